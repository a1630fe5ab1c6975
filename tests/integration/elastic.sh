#!/bin/sh
# Elastic farms: jobs of workers join a running farm and leave it, two
# mpiruns meeting through Open MPI's name server (ompi-server), started here
# by its PID and ended on exit.
#  1. pi: a farm of 1 worker and a joining job of 2 ranks give the answer of
#     a plain run, byte for byte; the summary, --verbose and --stats count the
#     joined workers and their tasks; a farm of rank 0 alone runs on joined
#     workers only, a farm with a relay takes a joined worker in beside it;
#  2. a spawning app (tf_testapp's task trees): one job joins and leaves
#     after --leave-after, handing its tasks back, a second joins and stays:
#     the same output as a plain run;
#  3. a joined job killed mid-run (SIGKILL to one of its ranks): its workers
#     are lost or leave, their tasks run elsewhere, the answer is unchanged;
#     Open MPI's warnings about the dead peer do not reach the farm's mpirun;
#  4. joining a farm that has finished, a name no farm has, other app
#     options, and no --ompi-server: each a clear error, exit 2, in seconds;
#     a second farm cannot take a name a running one has; a farm or a job
#     whose ranks run under two Open MPI daemons (two nodes) is refused.
# shellcheck source-path=SCRIPTDIR source=lib.sh
# shellcheck disable=SC2086 # $P, $T and $two are option lists, split on purpose
. "$(dirname "$0")/lib.sh"
set -e

command -v ompi-server >/dev/null 2>&1 || skip "ompi-server not found (Open MPI's name server)"
[ -x "$PI" ] || fail "$PI is missing"
[ -x "$TESTAPP" ] || fail "$TESTAPP is missing (make check builds it)"

URI=$TMP/ompi-server.uri
ompi-server --report-uri "$URI" --no-daemonize >"$TMP/ompi-server.log" 2>&1 &
ns=$!
# On exit: the name server (by its PID), then the scratch directory.
trap 'kill "$ns" 2>/dev/null; wait "$ns" 2>/dev/null; rm -rf "$TMP"' EXIT
n=0
while [ ! -s "$URI" ] && [ $n -lt 100 ]; do
  sleep 0.1
  n=$((n + 1))
done
[ -s "$URI" ] || { cat "$TMP/ompi-server.log" >&2; fail "ompi-server wrote no URI in 10 s"; }

# em NP CMD...: CMD on NP ranks of an mpirun that knows the name server.
em() {
  np=$1
  shift
  timeout -k 5 "${TF_MPI_TIMEOUT:-120}" "$MPIRUN" --ompi-server "file:$URI" --oversubscribe \
    --mca mpi_yield_when_idle 1 -np "$np" "$@"
}

# wait_text FILE TEXT WHAT: wait (30 s at most) until FILE holds TEXT.
wait_text() {
  _w=0
  while ! grep -qF -- "$2" "$1" 2>/dev/null && [ $_w -lt 300 ]; do
    sleep 0.1
    _w=$((_w + 1))
  done
  grep -qF -- "$2" "$1" || { cat "$1" >&2; fail "$3: '$2' did not appear in 30 s"; }
}

# farm NAME NP ARGS...: a farm accepting workers as NAME, in the background;
# its PID in $farm, its output in $TMP/NAME.out and .err.
farm() {
  _name=$1
  _np=$2
  shift 2
  em "$_np" "$@" --accept-workers --service "$_name" >"$TMP/$_name.out" 2>"$TMP/$_name.err" &
  farm=$!
  wait_text "$TMP/$_name.err" "accepting workers as '$_name'" "farm $_name"
}

# ---- 1. pi ----------------------------------------------------------------------------
P="--samples 300000000 --tasks 300"
expect_status 0 "plain pi" mpi 3 "$PI" $P
cp "$TMP/out" "$TMP/pi.ref"

farm pi1 2 "$PI" $P --verbose --stats "$TMP/pi1.json" --trace "$TMP/pi1.trace" --timeline "$TMP/pi1.svg"
expect_status 0 "a job of 2 ranks joins the pi farm" em 2 "$PI" $P --join pi1
expect_text "$TMP/err" "joined the farm 'pi1': workers 1-2 of 3" "the joined job says where it is"
expect_text "$TMP/err" "told to stop by the farm 'pi1'" "the joined job is told to stop"
tf_reap "$farm" "the pi farm"
[ "$got" = 0 ] || { cat "$TMP/pi1.err" >&2; fail "the pi farm: exit status $got"; }
cmp "$TMP/pi.ref" "$TMP/pi1.out" || { diff "$TMP/pi.ref" "$TMP/pi1.out" >&2; fail "pi with a joined job: another answer"; }
expect_text "$TMP/pi1.err" "a job of 2 ranks joined: workers 1-2, ranks 2-3 here; 3 workers now" "the farm says who joined"
expect_text "$TMP/pi1.err" "300 results of 300 tasks (0 spawned) on 3 workers" "summary: 3 workers"
expect_text "$TMP/pi1.err" "2 workers joined in 1 job (ranks 2-3); 0 left before the end" "summary: the joined workers"
joined_tasks=$(sed -n 's/.*worker [12] (rank [23], joined): \([0-9]*\) tasks.*/\1/p' "$TMP/pi1.err" | awk '{ s += $1 } END { print s + 0 }')
[ "$joined_tasks" -gt 0 ] || { cat "$TMP/pi1.err" >&2; fail "the joined workers ran no task"; }
python3 - "$TMP/pi1.json" <<'EOF' || fail "--stats does not count the joined workers"
import json, sys
d = json.load(open(sys.argv[1]))
w = d["workers"]
assert d["nworkers"] == 3 and d["joined"]["workers"] == 2 and d["joined"]["jobs"] == 1, d["joined"]
assert [x["joined"] for x in w] == [False, True, True], w
assert [x["rank"] for x in w] == [1, 2, 3], w
assert sum(x["tasks"] for x in w) == 300 and all(x["reported"] for x in w), w
EOF
python3 - "$TMP/pi1.trace" "$TMP/pi1.json" <<'EOF' || fail "--trace does not show the joined workers' tasks"
import json, sys
t = json.load(open(sys.argv[1]))
ev = t["traceEvents"] if isinstance(t, dict) else t
w = json.load(open(sys.argv[2]))["workers"]
# a track per worker (tid 0 is the master): as many task slices on it as the worker ran
for x in w:
    n = sum(1 for e in ev if e.get("ph") == "X" and e.get("tid") == x["worker"] + 1 and e.get("name", "").startswith("task"))
    assert n == x["tasks"], (x["worker"], n, x["tasks"])
EOF
grep -q "worker 2" "$TMP/pi1.svg" || fail "--timeline has no row for the last joined worker"
pass "pi: a job of 2 ranks joins a farm of 1 worker: the same answer; $joined_tasks of 300 tasks ran on the joined workers; summary, --verbose, --stats, --trace and --timeline count them"

farm pi0 1 "$PI" $P
expect_status 0 "a job of 2 ranks joins a farm of rank 0 alone" em 2 "$PI" $P --join pi0
tf_reap "$farm" "the farm of rank 0 alone"
[ "$got" = 0 ] || { cat "$TMP/pi0.err" >&2; fail "the farm of rank 0 alone: exit status $got"; }
cmp "$TMP/pi.ref" "$TMP/pi0.out" || fail "pi on joined workers only: another answer"
expect_text "$TMP/pi0.err" "300 results of 300 tasks (0 spawned) on 2 workers" "summary: the 2 joined workers"
pass "pi: a farm of rank 0 alone waits for a job to join and runs on its workers: the same answer"

farm pir 4 "$PI" $P --relays 2 --verbose
expect_status 0 "a job of 1 rank joins a farm with a relay" em 1 "$PI" $P --join pir
tf_reap "$farm" "the farm with a relay"
[ "$got" = 0 ] || { cat "$TMP/pir.err" >&2; fail "the farm with a relay: exit status $got"; }
cmp "$TMP/pi.ref" "$TMP/pir.out" || fail "pi with a relay and a joined job: another answer"
expect_text "$TMP/pir.err" "a job of 1 rank joined: worker 2, rank 4 here; 3 workers now" "joined next to a relay"
expect_text "$TMP/pir.err" "worker 2 (rank 4, joined)" "--verbose names the joined worker"
pass "pi: a job joins a farm with a relay (--relays 2 on 4 ranks): a child of the root, the same answer"

# ---- 2. a spawning app: one job leaves, another stays ---------------------------------
T="--tasks 60 --depth 3 --branch 2 --sleep-us 20000"
expect_status 0 "plain task trees" mpi 3 "$TESTAPP" $T
cp "$TMP/out" "$TMP/tree.ref"
farm tree 2 "$TESTAPP" $T
expect_status 0 "a job that leaves after 1 s" em 2 "$TESTAPP" $T --join tree --leave-after 1
expect_text "$TMP/err" "left the farm 'tree' after --leave-after" "the job says it left"
expect_status 0 "a job that joins and stays" em 1 "$TESTAPP" $T --join tree
expect_text "$TMP/err" "told to stop by the farm 'tree'" "the second job stays to the end"
tf_reap "$farm" "the task-tree farm"
[ "$got" = 0 ] || { cat "$TMP/tree.err" >&2; fail "the task-tree farm: exit status $got"; }
cmp "$TMP/tree.ref" "$TMP/tree.out" || { diff "$TMP/tree.ref" "$TMP/tree.out" >&2; fail "task trees with joined jobs: another output"; }
expect_text "$TMP/tree.err" "3 workers joined in 2 jobs (ranks 2-4); 2 left before the end" "summary: joined and left"
[ "$(grep -c "a worker that joined, left the farm" "$TMP/tree.err")" = 2 ] ||
  { cat "$TMP/tree.err" >&2; fail "both workers of the first job should leave"; }
pass "task trees (spawned tasks): a job joins and leaves after --leave-after, handing its tasks back, a second joins and stays: the same output"

# ---- 3. a joined job killed mid-run --------------------------------------------------
farm kill 2 "$PI" $P --worker-timeout 3
em 2 "$PI" $P --join kill >"$TMP/kj.out" 2>"$TMP/kj.err" &
joiner=$!
wait_text "$TMP/kill.err" "a job of 2 ranks joined" "the job to kill"
sleep 1
victim=$(rank_pid 0 "$joiner")
[ -n "$victim" ] || fail "no rank 0 found below the joined job's mpirun"
kill -KILL "$victim" || fail "could not kill rank 0 of the joined job (pid $victim)"
tf_reap "$joiner" "the killed joined job"
[ "$got" != 0 ] || fail "the killed joined job exited 0"
tf_reap "$farm" "the farm whose joined job was killed"
[ "$got" = 0 ] || { cat "$TMP/kill.err" >&2; fail "the farm whose joined job was killed: exit status $got"; }
cmp "$TMP/pi.ref" "$TMP/kill.out" || fail "pi with a joined job killed: another answer"
expect_text "$TMP/kill.err" "300 results of 300 tasks" "every result"
# The dead peer's warnings stay in the ranks (src/runtime.c): relayed, they
# corrupt the farm's mpirun (show_help.c's ORTE_ERROR_LOG lines), at times
# fatally; seen in 22 of 30 such runs without, none in 76 with.
if grep -q "ORTE_ERROR_LOG\|peer process has unexpectedly disconnected\|failed to TCP connect" "$TMP/kill.err"; then
  cat "$TMP/kill.err" >&2
  fail "Open MPI relayed a rank's warnings to the farm's mpirun"
fi
lost=$(sed -n 's/^taskfarm:   \([0-9]*\) workers\{0,1\} lost.*/\1/p' "$TMP/kill.err")
left=$(sed -n 's/.*joined in 1 job (ranks 2-3); \([0-9]*\) left.*/\1/p' "$TMP/kill.err")
if [ "${lost:-0}" -lt 1 ] || [ $((${lost:-0} + ${left:-0})) != 2 ]; then
  cat "$TMP/kill.err" >&2
  fail "the killed job's 2 workers should be lost or gone: lost ${lost:-0}, left ${left:-0}"
fi
pass "a joined job killed mid-run: $lost worker(s) lost, ${left:-0} left; the farm exits 0 with every result and the same answer; no Open MPI warning reached its mpirun"

# ---- 4. errors ------------------------------------------------------------------------
t=$(date +%s)
expect_status 2 "joining a farm that has finished" em 2 "$PI" $P --join pi1
expect_text "$TMP/err" "--join pi1: no farm accepts workers under that name: it has finished" "a finished farm is named"
expect_status 2 "joining a name no farm has" em 1 "$PI" $P --join no-such-farm
expect_text "$TMP/err" "--join no-such-farm: no farm accepts workers under that name" "a wrong name is named"
[ $(($(date +%s) - t)) -lt 20 ] || fail "the two failed joins took $(($(date +%s) - t)) s"
pass "joining a finished farm or a name no farm has: exit 2 with the reason, in $(($(date +%s) - t)) s for both"

# A farm of rank 0 alone: it cannot finish before a job joins it with the
# right options. A farm with a worker of its own could, while the refused
# mpiruns were still exiting (seconds each under LeakSanitizer).
farm opts 1 "$PI" $P
expect_status 2 "a second farm with the same name" em 1 "$PI" $P --accept-workers --service opts
expect_text "$TMP/err" "cannot publish the service 'opts' with the name server (the name is taken)" "a taken name"
expect_status 2 "a job with other app options" em 1 "$PI" --samples 300000000 --tasks 301 --join opts
expect_text "$TMP/err" "this job must run the farm's app with the same app options" "other options are named"
expect_text "$TMP/err" "--tasks=300" "the farm's options are shown"
expect_status 0 "a job with the farm's options, after one sent away" em 2 "$PI" $P --join opts
tf_reap "$farm" "the farm that sent a job away"
[ "$got" = 0 ] || fail "the farm that sent a job away: exit status $got"
expect_text "$TMP/opts.err" "tried to join with other app options" "the farm says why it sent the job away"
cmp "$TMP/pi.ref" "$TMP/opts.out" || fail "the farm that sent a job away: another answer"
# A farm or a job with ranks under a second Open MPI daemon (what a second
# node gives; here a stand-in for ssh starts it on this machine) would make
# an mpirun crash on connecting (Open MPI 4.1): refused before it does.
cat >"$TMP/rsh" <<'EOF2'
#!/bin/sh
while [ $# -gt 0 ]; do case $1 in -*) shift ;; *) break ;; esac; done
shift
exec sh -c "$*"
EOF2
chmod +x "$TMP/rsh"
two="--mca plm_rsh_agent $TMP/rsh --host localhost:1,elsewhere:1"
expect_status 2 "a joining job on two daemons" em 2 $two "$PI" $P --join opts
expect_text "$TMP/err" "--join: some ranks run on another node than mpirun" "a job on two nodes is refused"
expect_status 2 "a farm on two daemons" em 2 $two "$PI" $P --accept-workers --service two
expect_text "$TMP/err" "--accept-workers: some ranks run on another node than mpirun" "a farm on two nodes is refused"
pass "a second farm cannot take a running farm's name; a job with other app options is sent away (exit 2, both sets of options named) and the farm goes on; a job or a farm on two nodes is refused before it connects"

expect_status 2 "a farm without --ompi-server" mpi 2 "$PI" $P --accept-workers
expect_text "$TMP/err" "mpirun was started without --ompi-server" "the farm names the missing name server"
expect_status 2 "a job joining without --ompi-server" mpi 1 "$PI" $P --join pi1
expect_text "$TMP/err" "this mpirun was started without --ompi-server" "the joining job names it"
expect_status 2 "--join with --journal" mpi 1 "$PI" $P --join pi1 --journal "$TMP/j"
expect_text "$TMP/err" "--journal is the farm's to write" "--journal with --join"
expect_status 2 "--leave-after without --join" mpi 2 "$PI" $P --leave-after 3
expect_status 2 "--accept-workers with static" mpi 2 "$PI" $P --accept-workers --schedule static
pass "no name server, and options that do not go with joining: exit 2 with the reason"
