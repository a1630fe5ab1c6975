#!/bin/sh
# Relays (--relays K: a relay for every K ranks after rank 0; node: one per
# node): the tree changes how tasks travel, never what a run computes.
# Checked, with the tree named on every run:
#  1. pi, the test app's spawned trees and nqueens print the same bytes on
#     1 rank, on 2, 4 and 6 ranks flat, and on 4 and 6 ranks under
#     --relays 2, 3 and node (one machine: flat); every run exits 0 and its
#     summary counts every result on the workers the tree has;
#  2. --info prints the tree; --verbose numbers the workers in rank order
#     with their real ranks (the relays' ranks run no task);
#  3. bad --relays values and a bad TASKFARM_RELAYS are refused (exit 2,
#     naming the option or the variable); --relays off beats TASKFARM_RELAYS;
#  4. the static schedule through relays: a relay's share is its width's;
#  5. --stats and --trace through relays: the tree, every worker reported
#     under its real rank, every task once, on the rank that ran it;
#  6. priorities through a relay: workers behind it run children before the
#     roots they hold (out of turn), never when all tasks share a priority;
#  7. a task that fails behind a relay is reported on the worker that ran
#     it, not on the relay;
#  8. under mpirun --enable-recovery: a worker behind a relay killed mid-run
#     (the relay loses it), a relay killed mid-run (the root loses it and
#     its workers), and a worker behind one of two relays killed (the other
#     relay's workers hear of it and do not wait at the end for the dead
#     rank): the clean run's answer, status 0, within the time allowed.
. "$(dirname "$0")/lib.sh"
set -e
# CI's second pass sets TASKFARM_RELAYS for every farm; this test names its
# tree itself, and mpi (ranks_for) must start exactly the ranks it asks for.
unset TASKFARM_RELAYS
PY=/usr/bin/python3
[ -x $PY ] || PY=$(command -v python3 || true)
[ -n "$PY" ] || skip "python3 not found (scripts/install-deps.sh installs it)"
NQUEENS=$top_builddir/taskfarm-nqueens

# mpi_env NP VALUE CMD...: CMD on exactly NP ranks with TASKFARM_RELAYS=VALUE
# (mpi would start more ranks for it: ranks_for reads the variable).
mpi_env() {
  _np=$1
  _v=$2
  shift 2
  TASKFARM_RELAYS=$_v timeout -k 5 60 "$MPIRUN" --oversubscribe --mca mpi_yield_when_idle 1 -np "$_np" "$@"
}

# tree_workers NP MODE: the workers of NP ranks under --relays MODE (one
# machine: node is flat).
tree_workers() {
  case $2 in
  off | node) if [ "$1" = 1 ]; then echo 1; else echo $(($1 - 1)); fi ;;
  *) workers_in "$1" "$2" ;;
  esac
}

# summary_ok DESC TASKS WORKERS: the summary in $TMP/err counts a result for
# each of TASKS tasks, run on WORKERS workers.
summary_ok() {
  if [ "$3" = 1 ]; then _w="1 worker"; else _w="$3 workers"; fi
  expect_text "$TMP/err" "done: $2 results of $2 tasks (" "$1: every result"
  expect_text "$TMP/err" ") on $_w in " "$1: $_w"
}

# run NP DESC CMD...: CMD on NP ranks (1: no mpirun), stdout in $TMP/out;
# it must exit 0.
run() {
  _np=$1
  _desc=$2
  shift 2
  set +e
  if [ "$_np" = 1 ]; then "$@" >"$TMP/out" 2>"$TMP/err"; else mpi "$_np" "$@" >"$TMP/out" 2>"$TMP/err"; fi
  _rc=$?
  set -e
  [ $_rc = 0 ] || { cat "$TMP/err" >&2; fail "$_desc: exit $_rc"; }
}

# ---- 1. the same output whatever the tree ---------------------------------
PI_ARGS="--tasks 60 --samples 600000"
for app in pi testapp nqueens; do
  case $app in
  pi) set -- "$PI" $PI_ARGS; n=60; want="hits" ;;
  testapp) set -- "$TESTAPP" --tasks 20 --depth 3 --branch 3; n=800; want="results 800 expected 800" ;;
  nqueens) set -- "$NQUEENS" --n 9 --split-depth 3; n=165; want="solutions    352" ;;
  esac
  run 1 "$app, 1 rank" "$@" --relays off
  cp "$TMP/out" "$TMP/ref.$app"
  expect_text "$TMP/ref.$app" "$want" "$app, 1 rank"
  summary_ok "$app, 1 rank" "$n" 1
  for tree in "2 off" "4 off" "6 off" "4 2" "4 3" "4 node" "6 2" "6 3" "6 node"; do
    np=${tree% *}
    mode=${tree#* }
    run "$np" "$app, $np ranks, --relays $mode" "$@" --relays "$mode"
    cmp -s "$TMP/ref.$app" "$TMP/out" ||
      { diff "$TMP/ref.$app" "$TMP/out" >&2; fail "$app, $np ranks, --relays $mode: output differs from 1 rank"; }
    summary_ok "$app, $np ranks, --relays $mode" "$n" "$(tree_workers "$np" "$mode")"
  done
done
pass "pi, the test app's spawned trees and nqueens: the same output on 1 rank, 2-6 flat, 4 and 6 under --relays 2, 3, node"

# ---- 2. the tree, as --info and --verbose tell it -------------------------
TREE8="taskfarm: 2 relays, 5 workers: rank 1 serves 2, rank 4 serves 2; the root serves 1 worker of its own"
run 8 "--info --relays 3 on 8 ranks" "$PI" --info --relays 3
grep -qxF "$TREE8" "$TMP/out" || { cat "$TMP/out" >&2; fail "--info --relays 3 on 8 ranks: no line '$TREE8'"; }
if grep -q "pi estimate" "$TMP/out"; then fail "--info ran the farm"; fi
run 6 "--info --relays node on 6 ranks" "$PI" --info --relays node
expect_text "$TMP/out" "6 ranks on 1 node" "--info --relays node"
# More ranks than cores: --info says that idle ranks yield from the start (idle.c).
if [ "$(nproc)" -lt 6 ]; then
  expect_text "$TMP/out" "cores; more ranks than cores: idle ranks yield at once" "--info on 6 ranks, $(nproc) cores"
fi
if grep -q "^taskfarm: [0-9]* relays*, " "$TMP/out"; then cat "$TMP/out" >&2; fail "--relays node on one node made relays"; fi
run 8 "--verbose --relays 3 on 8 ranks" "$PI" $PI_ARGS --verbose --relays 3
cmp -s "$TMP/ref.pi" "$TMP/out" || fail "--verbose --relays 3 on 8 ranks: output differs"
grep -qxF "$TREE8" "$TMP/err" || { cat "$TMP/err" >&2; fail "--verbose --relays 3: no line '$TREE8'"; }
got=$(sed -n 's/^taskfarm:   \(worker [0-9]* (rank [0-9]*)\):.*/\1/p' "$TMP/err" | tr '\n' ',')
[ "$got" = "worker 0 (rank 2),worker 1 (rank 3),worker 2 (rank 5),worker 3 (rank 6),worker 4 (rank 7)," ] ||
  { cat "$TMP/err" >&2; fail "--verbose --relays 3 on 8 ranks: workers '$got'"; }
pass "--relays 3 on 8 ranks: --info prints the tree; --verbose numbers workers 0-4 on ranks 2, 3, 5, 6, 7"

# ---- 3. values refused, and which setting wins ----------------------------
for v in 1 0 -3 banana 99999999; do
  expect_status 2 "--relays $v" "$PI" $PI_ARGS --relays "$v"
  expect_text "$TMP/err" "--relays: '$v' is not" "--relays $v is named"
done
# On 3 ranks too: every rank refuses it, and the job ends (mpirun exits 2).
expect_status 2 "--relays banana on 3 ranks" mpi 3 "$PI" $PI_ARGS --relays banana
expect_text "$TMP/err" "--relays: 'banana' is not" "--relays banana on 3 ranks is named"
# The variable alone (the one run without --relays: what is checked is the default it sets).
expect_status 2 "TASKFARM_RELAYS=banana" env TASKFARM_RELAYS=banana "$PI" $PI_ARGS
expect_text "$TMP/err" "TASKFARM_RELAYS (the default --relays): 'banana' is not" "TASKFARM_RELAYS=banana is named"
# TASKFARM_RELAYS=3 makes the tree (the other run without --relays: it shows
# the variable works, so that --relays off overriding it means something)...
expect_status 0 "TASKFARM_RELAYS=3 --info on 8 ranks" mpi_env 8 3 "$PI" --info
grep -qxF "$TREE8" "$TMP/out" || { cat "$TMP/out" >&2; fail "TASKFARM_RELAYS=3 on 8 ranks: no tree"; }
# ...and --relays off beats it.
expect_status 0 "TASKFARM_RELAYS=3 --relays off --info on 8 ranks" mpi_env 8 3 "$PI" --info --relays off
expect_text "$TMP/out" "8 ranks on 1 node" "TASKFARM_RELAYS=3 --relays off --info"
if grep -q "^taskfarm: [0-9]* relays*, " "$TMP/out"; then cat "$TMP/out" >&2; fail "--relays off under TASKFARM_RELAYS=3 made relays"; fi
pass "--relays 1, 0, -3, banana, 99999999 and TASKFARM_RELAYS=banana exit 2 naming them; --relays off beats TASKFARM_RELAYS=3"

# ---- 4. the static schedule through relays --------------------------------
# 6 ranks, --relays 3: rank 1 serves ranks 2 and 3, rank 4 serves rank 5.
# The 60 tasks are split into one run of 20 per worker: rank 1's share is
# 40 (width 2), rank 4's 20; inside its group a relay shares its part as
# its workers ask, so each of ranks 2 and 3 runs some of the 40.
# Known to fail now and then (about 1 run in 10-30, reported): inside the
# group the share is not fixed per worker, and a worker that asks first
# alone may take all 40, leaving its sibling none.
run 6 "--schedule static --relays 3 on 6 ranks" "$PI" $PI_ARGS --schedule static --verbose --relays 3
cmp -s "$TMP/ref.pi" "$TMP/out" || fail "--schedule static --relays 3: output differs"
summary_ok "--schedule static --relays 3" 60 3
tasks_of() { sed -n "s/^taskfarm:   worker [0-9]* (rank $1): \([0-9]*\) tasks,.*/\1/p" "$TMP/err"; }
t2=$(tasks_of 2)
t3=$(tasks_of 3)
t5=$(tasks_of 5)
echo "static through relays: rank 2 ran $t2 tasks, rank 3 $t3, rank 5 $t5"
[ -n "$t2" ] && [ -n "$t3" ] && [ "$t5" = 20 ] && [ $((t2 + t3)) = 40 ] ||
  { cat "$TMP/err" >&2; fail "--schedule static --relays 3: shares $t2 + $t3 and $t5, not 40 and 20"; }
[ "$t2" -gt 0 ] && [ "$t3" -gt 0 ] ||
  { cat "$TMP/err" >&2; fail "--schedule static --relays 3: a worker of rank 1's group ran no task ($t2 and $t3)"; }
pass "--schedule static through relays: shares by width (40 for 2 workers, 20 for 1), each worker runs tasks"

# ---- 5. --stats and --trace through relays --------------------------------
cat >"$TMP/check.py" <<'PYEOF'
import json, sys
s = json.load(open(sys.argv[1]))
t = json.load(open(sys.argv[2]))
want = int(sys.argv[3])
def bad(msg):
    print("FAIL:", msg); sys.exit(1)
# 6 ranks, --relays 3: relays 1 (for 2, 3) and 4 (for 5).
ranks = [2, 3, 5]
if s["status"] != "done": bad("status %r" % s["status"])
if s["ranks"] != 6 or s["relays"] != 2 or s["nworkers"] != 3:
    bad("ranks %r, relays %r, nworkers %r; want 6, 2, 3" % (s["ranks"], s["relays"], s["nworkers"]))
if s["tasks"]["results"] != want or s["tasks"]["not_done"] != 0: bad("results %r" % s["tasks"])
if s["lost_ranks"]: bad("lost ranks %r" % s["lost_ranks"])
ws = s["workers"]
if [(w["worker"], w["rank"]) for w in ws] != list(enumerate(ranks)):
    bad("workers %r" % [(w["worker"], w["rank"]) for w in ws])
for w in ws:
    if w["reported"] is not True: bad("worker %d (rank %d) did not report" % (w["worker"], w["rank"]))
if sum(w["tasks"] for w in ws) != want: bad("per-worker tasks sum to %d" % sum(w["tasks"] for w in ws))
tasks = [e for e in t["traceEvents"] if e.get("ph") == "X" and e.get("cat") == "task"]
ids = [e["args"]["id"] for e in tasks]
if len(ids) != want or len(set(ids)) != want:
    bad("trace: %d task slices, %d distinct, want %d" % (len(ids), len(set(ids)), want))
per_tid = {}
for e in tasks:
    per_tid[e["tid"]] = per_tid.get(e["tid"], 0) + 1
if not set(per_tid) <= set(ranks): bad("task slices on tids %r, workers are ranks %r" % (sorted(per_tid), ranks))
for w in ws:
    if per_tid.get(w["rank"], 0) != w["tasks"]:
        bad("rank %d: stats %d tasks, trace %d" % (w["rank"], w["tasks"], per_tid.get(w["rank"], 0)))
print("ok: %d tasks on ranks %r: %r" % (want, ranks, [w["tasks"] for w in ws]))
PYEOF
run 6 "--stats --trace --relays 3 on 6 ranks" "$TESTAPP" --tasks 20 --depth 3 --branch 3 \
  --stats "$TMP/s.json" --trace "$TMP/t.json" --relays 3
cmp -s "$TMP/ref.testapp" "$TMP/out" || fail "--stats --trace --relays 3: output differs"
$PY "$TMP/check.py" "$TMP/s.json" "$TMP/t.json" 800 || fail "--stats and --trace through relays"
pass "--stats and --trace through relays: 2 relays, 3 workers on their ranks, every task once where it ran"

# ---- 6. priorities through a relay ----------------------------------------
# 4 ranks, --relays 3: rank 1 relays for ranks 2 and 3, every worker behind
# it. Children have their tree level as priority (deeper: higher); a worker
# holding up to 8 roots runs the children that reach it first (as
# priorities.sh checks flat), and the relay passes its workers' counts up.
ARGS="--tasks 20 --depth 2 --branch 2 --sleep-us 10000"
run 1 "priorities, 1 rank" "$TESTAPP" $ARGS --quiet --relays off
cp "$TMP/out" "$TMP/ref.prio"
expect_text "$TMP/ref.prio" "results 140 expected 140" "priorities, 1 rank"
out_of_turn() { sed -n 's/.*"out_of_turn": \([0-9]*\).*/\1/p' "$1" | awk '{ s += $1 } END { print s + 0 }'; }
run 4 "priorities, --relays 3" "$TESTAPP" $ARGS --schedule dynamic --chunk 4 --prefetch 8 \
  --stats "$TMP/s.json" --quiet --relays 3
cmp -s "$TMP/ref.prio" "$TMP/out" || fail "priorities, --relays 3: output differs from 1 rank"
grep -q '"relays": 1,' "$TMP/s.json" || fail "priorities: no relay in the tree"
n=$(out_of_turn "$TMP/s.json")
[ "$n" -gt 0 ] || fail "workers behind a relay never ran a child before the roots they held"
run 4 "one priority, --relays 3" "$TESTAPP" --tasks 400 --sleep-us 500 --schedule dynamic --chunk 2 \
  --prefetch 8 --stats "$TMP/s.json" --quiet --relays 3
expect_text "$TMP/out" "results 400 expected 400" "one priority, --relays 3"
n1=$(out_of_turn "$TMP/s.json")
[ "$n1" -eq 0 ] || fail "tasks of one priority started out of turn ($n1) behind a relay"
pass "behind a relay, children run before the roots a worker holds ($n out of turn); one priority: never"

# ---- 7. failures behind a relay name the worker ----------------------------
# 7 ranks, --relays 3: rank 1 relays for ranks 2 and 3, rank 4 for 5 and 6;
# every task run on rank 5 fails (--retries 0): each is given up on as failed
# on rank 5 (before, the root named the relay, rank 4).
expect_status 1 "failures behind a relay" mpi 7 "$TESTAPP" --relays 3 --tasks 100 --fail-on-rank 5 \
  --keep-going --retries 0 --sleep-us 2000
nfail=$(sed -n 's/^taskfarm: *\([0-9]*\) tasks* failed for good.*/\1/p' "$TMP/err")
[ -n "$nfail" ] && [ "$nfail" -gt 0 ] || { cat "$TMP/err" >&2; fail "no task failed on rank 5"; }
on5=$(awk '/failed on rank 5 after 1 attempt/ { n++ } END { print n + 0 }' "$TMP/err")
others=$(awk '/failed on rank/ && !/failed on rank 5 / { n++ } END { print n + 0 }' "$TMP/err")
[ "$on5" = "$nfail" ] && [ "$others" = 0 ] ||
  { cat "$TMP/err" >&2; fail "$nfail failed tasks: $on5 named rank 5, $others another rank"; }
pass "$nfail tasks failed behind a relay, each named on its worker's rank (5)"

# ---- 8. faults under mpirun --enable-recovery -----------------------------
# fault NP VICTIM TIMEOUT ARGS...: a clean run on NP ranks with --relays 3,
# then the same under mpirun --enable-recovery with rank VICTIM killed
# (SIGKILL, by PID) a third of the clean run's time into the farm (with
# $FAULT_MPI as mpirun's options). The answer must be the clean run's, the
# status 0; stderr in $TMP/err.
FAULT_MPI=
fault() {
  _f_np=$1
  _f_victim=$2
  _f_limit=$3
  shift 3
  run "$_f_np" "clean run, $_f_np ranks" "$TESTAPP" "$@" --relays 3
  cp "$TMP/out" "$TMP/ref.fault"
  _f_span=$(sed -n 's/.* workers in \([0-9.]*\) s .*/\1/p' "$TMP/err" | head -n 1)
  [ -n "$_f_span" ] || { cat "$TMP/err" >&2; fail "the clean run printed no duration"; }
  rm -f "$TMP/status" "$TMP/started"
  timeout -k 5 "$_f_limit" "$MPIRUN" --enable-recovery --oversubscribe --mca mpi_yield_when_idle 1 \
    $FAULT_MPI -np "$_f_np" "$TESTAPP" "$@" --relays 3 --worker-timeout 1 --status-file "$TMP/status" \
    --started "$TMP/started" >"$TMP/out" 2>"$TMP/err" &
  _f_pid=$!
  _f_n=0
  while [ ! -f "$TMP/started" ] && [ $_f_n -lt 300 ]; do sleep 0.05; _f_n=$((_f_n + 1)); done
  [ -f "$TMP/started" ] || { tf_kill_tree $_f_pid >/dev/null; fail "the farm did not start in 15 s"; }
  sleep "$(awk -v t="$_f_span" 'BEGIN { printf "%.2f", t / 3 }')"
  _f_vp=$(rank_pid "$_f_victim" $_f_pid)
  if [ -z "$_f_vp" ] || ! kill -KILL "$_f_vp" 2>/dev/null; then
    tf_kill_tree $_f_pid >/dev/null
    wait $_f_pid 2>/dev/null || :
    fail "rank $_f_victim not found alive $_f_span / 3 s into the farm"
  fi
  set +e
  wait $_f_pid
  _f_got=$?
  set -e
  [ $_f_got != 124 ] && [ $_f_got != 137 ] || { cat "$TMP/err" >&2; fail "rank $_f_victim killed: still running after $_f_limit s"; }
  [ -f "$TMP/status" ] || { cat "$TMP/err" >&2; fail "rank $_f_victim killed: no status file"; }
  [ "$(cat "$TMP/status")" = 0 ] || { cat "$TMP/err" >&2; fail "rank $_f_victim killed: status $(cat "$TMP/status")"; }
  cmp -s "$TMP/ref.fault" "$TMP/out" || { cat "$TMP/err" >&2; fail "rank $_f_victim killed: the answer differs"; }
}
# (a) 4 ranks: rank 1 relays for ranks 2 and 3; rank 2 is killed: its relay
# loses it, and rank 3 runs what it held.
fault 4 2 60 --tasks 800 --sleep-us 10000
grep -q "^taskfarm: rank 1 on .*: rank 2 is lost" "$TMP/err" || { cat "$TMP/err" >&2; fail "the relay did not lose rank 2"; }
pass "a worker behind a relay killed mid-run: the relay loses it; the same answer, status 0"
# (b) 6 ranks: rank 1 relays for ranks 2 and 3, rank 4 for rank 5; relay 1
# is killed: the root loses it with its workers, and rank 5 runs the rest.
# Its orphaned workers notice only after 10 x --worker-timeout (10 s) of
# silence, then leave, and mpirun waits for them: the run takes 12 s or
# more, hence a limit of 60 s.
fault 6 1 60 --tasks 600 --sleep-us 10000
grep -q "^taskfarm: rank 0 on .*: rank 1 is lost (.*), a relay: its workers with it" "$TMP/err" ||
  { cat "$TMP/err" >&2; fail "the root did not lose relay 1 with its workers"; }
# One orphan's word at least: the first to leave may abort the other first.
grep -q "^taskfarm: rank [23] on .*: no word from the master for .*: it is lost; stopping" "$TMP/err" ||
  { cat "$TMP/err" >&2; fail "the relay's orphaned workers did not leave on their own"; }
pass "a relay killed mid-run: the root loses it and its workers; they leave on their own; the same answer, status 0"
# (c) 7 ranks: relays 1 (ranks 2 and 3) and 4 (ranks 5 and 6); rank 2 is
# killed. Relay 1 tells the root at once, so the root's STOP tells relay 4
# and its workers too that a rank was lost: they do not wait at the end for
# the dead rank (before, they waited until mpirun's limit). Over TCP, where
# that wait does not end by itself (on shared memory it may). A run takes a
# few seconds (1 s to find the loss, 3 s at most to end), hence 30 s.
FAULT_MPI="--mca btl self,tcp"
fault 7 2 30 --tasks 800 --sleep-us 10000
grep -q "^taskfarm: rank 1 on .*: rank 2 is lost" "$TMP/err" || { cat "$TMP/err" >&2; fail "relay 1 did not lose rank 2"; }
pass "a worker behind one of two relays killed mid-run: every rank ends in time; the same answer, status 0"
