#!/bin/sh
# Graceful stop: SIGUSR1 or SIGTERM makes the master stop handing out tasks,
# wait for those in flight (--drain), flush the journal and exit 75; a run
# with --resume then completes with byte-identical output.
. "$(dirname "$0")/lib.sh"
set -e
J=$TMP/run.journal
ARGS="--tasks 4000 --sleep-us 1500"
mpi 3 "$TESTAPP" $ARGS >"$TMP/ref" 2>"$TMP/err" || { cat "$TMP/err" >&2; fail "reference run"; }

# start NP SIGNAL WHO: run the farm in the background and, once its journal
# holds a result, send SIGNAL to mpirun (WHO=mpirun, which forwards it) or to
# rank 0 itself (WHO=rank0: mpirun -np 1 has that one process below it).
start() {
  rm -f "$J"
  "$MPIRUN" --oversubscribe --mca mpi_yield_when_idle 1 -np "$(ranks_for "$1")" "$TESTAPP" $ARGS --journal "$J" \
    >"$TMP/out" 2>"$TMP/err" &
  pid=$!
  tf_wait_grows "$J" "SIG$2 to $3"
  if [ "$3" = mpirun ]; then
    kill -"$2" $pid
  else
    rank0=$(tf_descendants $pid)
    [ "$(echo "$rank0" | wc -w)" = 1 ] || fail "SIG$2 to rank 0: mpirun has '$rank0' below it, not one rank"
    kill -"$2" "$rank0"
  fi
  tf_reap $pid "SIG$2 to $3"
}

resume_and_compare() {
  mpi "$1" "$TESTAPP" $ARGS --journal "$J" --resume >"$TMP/out2" 2>"$TMP/err2" ||
    { cat "$TMP/err2" >&2; fail "$2: the resumed run failed"; }
  cmp -s "$TMP/ref" "$TMP/out2" || fail "$2: the resumed run's output differs"
  expect_text "$TMP/err2" "of the results were read back" "$2: results read back"
}

start 3 USR1 mpirun
[ "$got" = 75 ] || { cat "$TMP/err" >&2; fail "SIGUSR1 to mpirun: exit $got, expected 75"; }
expect_text "$TMP/err" "SIGUSR1: no more tasks go out" "the stop is announced"
expect_text "$TMP/err" "STOPPED" "the summary says stopped"
expect_text "$TMP/err" "run again with --resume" "and what to do"
resume_and_compare 3 "SIGUSR1 to mpirun"
pass "SIGUSR1 to mpirun: exit 75, then --resume completes the run"

# The resumed run's progress counts what the journal held once: never more
# done than the total, and the total is the run's.
rm -f "$J"
start 3 USR1 mpirun
[ "$got" = 75 ] || { cat "$TMP/err" >&2; fail "SIGUSR1 to mpirun (for progress): exit $got"; }
mpi 3 "$TESTAPP" $ARGS --journal "$J" --resume --progress line --progress-every 0.05 \
  >"$TMP/out2" 2>"$TMP/err2" || { cat "$TMP/err2" >&2; fail "resume with --progress"; }
grep 'tasks done' "$TMP/err2" >"$TMP/progress" || { cat "$TMP/err2" >&2; fail "no progress line"; }
# (Lines before generate is done know no total: "N tasks done".)
awk '/ of [0-9]+ tasks done/ { for (i = NF - 1; i >= 1; i--) if ($(i + 1) == "of") { d = $i; t = $(i + 2) }
       n++; if (d + 0 > t + 0 || t + 0 != 4000) { print "bad line: " $0; bad = 1 } }
     END { if (!n) print "no line with a total"; exit bad || !n }' \
  "$TMP/progress" || fail "resumed progress: done beyond the total, or a total other than 4000"
pass "a resumed run's progress counts each task once ($(wc -l <"$TMP/progress") lines, total 4000)"

start 1 TERM rank0
[ "$got" = 75 ] || { cat "$TMP/err" >&2; fail "SIGTERM to a one-rank farm: exit $got, expected 75"; }
resume_and_compare 1 "SIGTERM, one rank"
pass "SIGTERM to a one-rank farm: exit 75, then --resume completes the run"

# SIGTERM to mpirun: it passes SIGTERM on and kills the ranks a second
# later; the journal was flushed first, so nothing finished is lost.
start 3 TERM mpirun
[ "$got" != 0 ] || fail "SIGTERM to mpirun: exit 0"
resume_and_compare 2 "SIGTERM to mpirun"
pass "SIGTERM to mpirun: the journal survives, --resume completes the run"

# Without a journal the stop still exits 75 and says the results are lost.
"$MPIRUN" --oversubscribe --mca mpi_yield_when_idle 1 -np "$(ranks_for 2)" "$TESTAPP" $ARGS --drain 5 \
  --started "$TMP/started" >"$TMP/out" 2>"$TMP/err" &
pid=$!
n=0
while [ ! -e "$TMP/started" ] && [ $n -lt 300 ]; do
  sleep 0.1
  n=$((n + 1))
done
kill -USR1 $pid
tf_reap $pid "SIGUSR1 without a journal"
[ "$got" = 75 ] || { cat "$TMP/err" >&2; fail "SIGUSR1 without a journal: exit $got"; }
expect_text "$TMP/err" "no --journal was given" "the loss is said"
pass "SIGUSR1 without a journal: exit 75 and a warning"
