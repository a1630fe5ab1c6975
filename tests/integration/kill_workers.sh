#!/bin/sh
# Under mpirun --enable-recovery, a worker killed with SIGKILL at a random
# moment does not stop the run: the master notices its silence
# (--worker-timeout), gives its tasks to the others, and the answer is the
# same as a clean run's, with no result collected twice (the test app fails
# on a duplicate). mpirun exits 0 whatever the ranks return under
# --enable-recovery, so the status is read from --status-file.
. "$(dirname "$0")/lib.sh"
set -e
RUNS=${TF_KILL_RUNS:-10}
ARGS="--tasks 200 --depth 1 --branch 4 --sleep-us 5000"
mpi 4 "$TESTAPP" $ARGS >"$TMP/ref" 2>"$TMP/err" || { cat "$TMP/err" >&2; fail "reference run"; }
expect_text "$TMP/ref" "results 1000 expected 1000" "reference run complete"

delay() { awk -v s="$1" 'BEGIN { srand(s); printf "%.2f", rand() * 1.0 }'; }
# The pid of the process with rank R among those whose command line has MARK.
rank_pid() {
  for p in $(pgrep -f -- "$2"); do
    if tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=$1"; then
      echo "$p"
      return
    fi
  done
}

seed=$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')
lost_total=0
i=1
while [ $i -le "$RUNS" ]; do
  mark="$TMP/status.$i"
  d=$(delay $((seed + i)))
  victim=$((1 + (seed + i) % 3))
  # Over TCP, where MPI_Finalize after a loss hangs unless bounded.
  timeout -k 5 120 "$MPIRUN" --enable-recovery --oversubscribe --mca mpi_yield_when_idle 1 \
    --mca btl self,tcp -np 4 \
    "$TESTAPP" $ARGS --worker-timeout 1 --status-file "$mark" --started "$TMP/started.$i" \
    >"$TMP/out" 2>"$TMP/err" &
  pid=$!
  # A rank killed inside MPI_Init hangs Open MPI's start-up itself, which no
  # library can help: strike once the farm runs.
  n=0
  while [ ! -f "$TMP/started.$i" ] && [ $n -lt 300 ]; do sleep 0.05; n=$((n + 1)); done
  sleep "$d"
  vp=$(rank_pid $victim "$mark")
  [ -n "$vp" ] && kill -KILL "$vp"
  set +e
  wait $pid
  set -e
  [ -f "$mark" ] || { cat "$TMP/err" "$TMP/out" >&2; fail "run $i (victim rank $victim after $d s): no status file"; }
  [ "$(cat "$mark")" = 0 ] || { cat "$TMP/err" >&2; fail "run $i: exit status $(cat "$mark")"; }
  cmp -s "$TMP/ref" "$TMP/out" || { cat "$TMP/err" >&2; fail "run $i: the answer differs"; }
  if grep -q "rank $victim is lost" "$TMP/err"; then lost_total=$((lost_total + 1)); fi
  i=$((i + 1))
done
echo "workers killed and reported lost: $lost_total of $RUNS runs (the others had finished first)"
[ "$lost_total" -ge $((RUNS / 2)) ] || fail "too few runs lost a worker mid-run ($lost_total)"
pass "$RUNS runs with a worker killed at a random moment: same answer, no duplicates, exit 0"
