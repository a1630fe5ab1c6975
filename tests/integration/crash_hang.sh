#!/bin/sh
# Tasks that crash their worker, hang, or merely take long.
. "$(dirname "$0")/lib.sh"
set -e

# named WANT TEXT ARGS...: a task that ends its process in execute is named:
# on one rank the exit status is one of WANT; on 3 ranks the run fails; both
# times stderr has TEXT.
named() {
  want=$1
  text=$2
  shift 2
  set +e
  "$TESTAPP" --tasks 100 "$@" >"$TMP/out" 2>"$TMP/err"
  got=$?
  set -e
  case " $want " in *" $got "*) ;; *) cat "$TMP/err" >&2; fail "$*, one rank: exit $got, expected $want" ;; esac
  expect_text "$TMP/err" "$text" "$*: one rank names the task"
  set +e
  mpi 3 "$TESTAPP" --tasks 100 "$@" >"$TMP/out" 2>"$TMP/err"
  got=$?
  set -e
  [ "$got" != 0 ] || fail "$*, without --enable-recovery: exit 0"
  expect_text "$TMP/err" "$text" "$*: a worker names the task"
}

# A segmentation fault inside execute is reported with the task's id.
# (139 is 128 + SIGSEGV; a sanitizer build reports the fault and exits 1.)
named "139 1" "task 42 crashed with SIGSEGV" --crash-id 42
expect_text "$TMP/err" "--enable-recovery" "and says how to survive it"
pass "a segfault in execute is reported with the task id"

# A task that calls exit() ends its process without a signal: named too.
named 3 "task 17 called exit(3) inside execute" --exit-id 17
pass "exit() inside execute is reported with the task id"

# Without --enable-recovery a dead worker ends the job, but the journal keeps
# what was finished: the run resumed (here on 2 ranks, where rank 2 that
# crashes does not exist) gives the answer of a clean run.
ARGS="--tasks 3000 --sleep-us 1000 --crash-from 1500 --on-rank 2"
mpi 2 "$TESTAPP" $ARGS >"$TMP/ref" 2>"$TMP/err" || { cat "$TMP/err" >&2; fail "reference run"; }
set +e
mpi 3 "$TESTAPP" $ARGS --journal "$TMP/j" >"$TMP/out" 2>"$TMP/err"
got=$?
set -e
[ "$got" != 0 ] || { cat "$TMP/err" >&2; fail "rank 2 crashing without --enable-recovery: exit 0"; }
mpi 2 "$TESTAPP" $ARGS --journal "$TMP/j" --resume >"$TMP/out" 2>"$TMP/err" ||
  { cat "$TMP/err" >&2; fail "resume after a crashed worker"; }
cmp -s "$TMP/ref" "$TMP/out" || fail "resume after a crashed worker: output differs"
expect_text "$TMP/err" "of the results were read back" "results kept in the journal"
pass "a worker crash without --enable-recovery ends the job; --resume completes it"

# Under --enable-recovery the run goes on; the task that kills every worker
# it lands on is given up on after the second loss.
# (mpirun --enable-recovery exits 0 whatever the ranks return: the status
# file tells.)
expect_status 0 "poison task: mpirun" timeout -k 5 120 "$MPIRUN" --enable-recovery --oversubscribe \
  --mca mpi_yield_when_idle 1 -np "$(ranks_for 4)" "$TESTAPP" --tasks 300 --sleep-us 2000 --crash-id 42 \
  --worker-timeout 1 --status-file "$TMP/status" --report-failed
[ "$(cat "$TMP/status")" = 1 ] || { cat "$TMP/err" >&2; fail "poison task: status $(cat "$TMP/status")"; }
expect_text "$TMP/err" "task 42 was running on 2 workers that were lost; giving up on it" "given up"
expect_text "$TMP/out" "failed: task 42, 2 attempts, status 0, lost 1, payload intact (16 bytes), output '': it was running on 2 workers that were lost" \
  "the failed hook hears of it"
expect_text "$TMP/err" "1 task failed for good: 42" "summary names it"
expect_text "$TMP/out" "results 299 expected 299" "every other result"
pass "a task that kills its workers is given up on after two; the rest completes"

# With --retries 3 the poison task kills every worker: the run fails, and the
# summary counts and names what was not done instead of just stopping short.
rm -f "$TMP/status"
set +e
timeout -k 5 120 "$MPIRUN" --enable-recovery --oversubscribe --mca mpi_yield_when_idle 1 -np "$(ranks_for 4)" \
  "$TESTAPP" --tasks 200 --sleep-us 2000 --crash-id 42 --retries 3 --worker-timeout 1 \
  --status-file "$TMP/status" >"$TMP/out" 2>"$TMP/err"
got=$?
set -e
# mpirun --enable-recovery exits 0 whatever the ranks return; the status file tells.
[ "$got" = 0 ] || { cat "$TMP/err" >&2; fail "every worker lost: mpirun exit $got"; }
[ "$(cat "$TMP/status")" = 1 ] || { cat "$TMP/err" >&2; fail "every worker lost: status $(cat "$TMP/status")"; }
expect_text "$TMP/err" "every worker is lost or stuck; the run cannot go on" "the cause"
done=$(sed -n 's/.*FAILED: \([0-9]*\) results of 200 tasks.*/\1/p' "$TMP/err")
left=$(sed -n 's/.* \([0-9]*\) tasks* not done:.*/\1/p' "$TMP/err")
[ -n "$done" ] && [ -n "$left" ] && [ $((done + left)) = 200 ] ||
  { cat "$TMP/err" >&2; fail "every worker lost: $done results and $left not done, not 200"; }
grep -q "tasks* not done:.* 42\( \|$\)" "$TMP/err" || { cat "$TMP/err" >&2; fail "task 42 is not named"; }
expect_text "$TMP/err" "3 workers lost" "the losses are counted"
pass "every worker lost: $done results, the $left tasks not done counted and named"

# A task that runs far longer than --worker-timeout is not a lost worker:
# the worker's heartbeat says it is alive.
mpi 3 "$TESTAPP" --tasks 50 --long-id 3 --long-ms 3000 --worker-timeout 0.5 \
  >"$TMP/out" 2>"$TMP/err" || { cat "$TMP/err" >&2; fail "a long task"; }
expect_text "$TMP/out" "results 50 expected 50" "the long task's result"
if grep -q "is lost" "$TMP/err"; then cat "$TMP/err" >&2; fail "a long task was taken for a lost worker"; fi
pass "a task 6 x --worker-timeout long is not taken for a lost worker"

# A task that hangs once: after --task-timeout another worker runs it too;
# the first result counts. At the end the stuck worker's heartbeat thread
# takes the STOP, says goodbye and ends its process: no MPI_Abort, and
# mpirun itself exits 0 (it once crashed or hung while aborting a stuck rank).
# A run repeated 5 times: the end was a race.
i=1
while [ $i -le 5 ]; do
  rm -f "$TMP/hang" "$TMP/status"
  expect_status 0 "a task that hangs once (run $i)" mpi 4 "$TESTAPP" --tasks 300 --sleep-us 1000 \
    --hang-id 7 --hang-once "$TMP/hang" --task-timeout 1 --drain 2 --status-file "$TMP/status"
  [ "$(cat "$TMP/status" 2>/dev/null)" = 0 ] || { cat "$TMP/err" >&2; fail "a task that hangs once: status"; }
  expect_text "$TMP/out" "results 300 expected 300" "every result, each once"
  expect_text "$TMP/err" "task 7 has run for" "the straggler is named"
  expect_text "$TMP/err" "told to stop while task 7 still runs" "the stuck worker leaves"
  i=$((i + 1))
done
pass "a task that hangs once is run elsewhere after --task-timeout; mpirun and the status say 0 (5 runs)"

# A task that hangs wherever it runs: given up on when its copy hangs too;
# both stuck workers leave at the end; the farm fails (1) with every other
# result, and mpirun says so too.
rm -f "$TMP/status"
expect_status 1 "a task that always hangs" mpi 4 "$TESTAPP" --tasks 300 --sleep-us 1000 --hang-id 7 \
  --task-timeout 1 --drain 2 --status-file "$TMP/status" --report-failed
[ "$(cat "$TMP/status" 2>/dev/null)" = 1 ] || { cat "$TMP/err" >&2; fail "a task that always hangs: status"; }
expect_text "$TMP/err" "giving up on it" "the hanging task is given up"
expect_text "$TMP/err" "1 task failed for good: 7" "summary names it"
expect_text "$TMP/out" "failed: task 7, 2 attempts, status 0, lost 1, payload intact (16 bytes), output '': it has run for more than 1 s (--task-timeout) on rank" \
  "the failed hook hears of the hung task"
expect_text "$TMP/out" "results 299 expected 299" "every other result"
[ "$(grep -c "told to stop while task 7 still runs" "$TMP/err")" = 2 ] ||
  { cat "$TMP/err" >&2; fail "a task that always hangs: both stuck workers should leave"; }
pass "a task that always hangs is given up on after two timeouts; both workers leave; status 1"
