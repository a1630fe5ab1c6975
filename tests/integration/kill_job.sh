#!/bin/sh
# The whole job killed (SIGKILL to mpirun and every rank) at random moments,
# then resumed from the journal: the output is byte-identical to a run that
# was never interrupted, and no result is collected twice (the test app
# fails on a duplicate).
#
# A kill counts only if it really interrupted the run: it found live
# processes of this run (mpirun's tree, by PID) and the resumed run read back
# fewer results than the total. At least 7 runs in 10 must be interrupted
# (a run may end before its kill comes), or the test fails: a kill that hit
# nothing proves nothing. TF_KILL_RUNS sets the number of runs (default 10);
# TF_KILL_DELAY fixes the seconds before each kill (default random, 0.3 to
# 1.5 s), which tests/integration/faults_missed.sh uses to make every kill
# miss.
. "$(dirname "$0")/lib.sh"
set -e
RUNS=${TF_KILL_RUNS:-10}
NEED=$(((RUNS * 7 + 9) / 10))
J=$TMP/run.journal
# 300 roots with trees of 13: 3900 tasks, spawned ones included.
TOTAL=3900
ARGS="--tasks 300 --depth 2 --branch 3 --sleep-us 1000 --result-payload 16"
mpi 3 "$TESTAPP" $ARGS >"$TMP/ref" 2>"$TMP/err" || { cat "$TMP/err" >&2; fail "reference run"; }
expect_text "$TMP/ref" "results $TOTAL expected $TOTAL" "reference run complete"

# A pseudo-random delay in seconds, different for each run.
delay() { awk -v s="$1" 'BEGIN { srand(s); printf "%.2f", 0.3 + rand() * 1.2 }'; }

seed=$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')
read_back=""
interrupted=0
missed=0
i=1
while [ $i -le "$RUNS" ]; do
  rm -f "$J"
  d=${TF_KILL_DELAY:-$(delay $((seed + i)))}
  timeout -k 5 120 "$MPIRUN" --oversubscribe --mca mpi_yield_when_idle 1 -np "$(ranks_for 3)" "$TESTAPP" $ARGS \
    --journal "$J" >"$TMP/out" 2>"$TMP/err" &
  pid=$!
  # Wait d seconds, or less if the run ends first (then the kill must miss).
  steps=$(awk -v d="$d" 'BEGIN { printf "%d", d * 20 }')
  n=0
  while [ $n -lt "$steps" ] && tf_running $pid; do sleep 0.05; n=$((n + 1)); done
  killed=$(tf_kill_tree $pid)
  set +e
  wait $pid
  status=$?
  set -e
  mpi 3 "$TESTAPP" $ARGS --journal "$J" --resume >"$TMP/out" 2>"$TMP/err" ||
    { cat "$TMP/err" >&2; fail "run $i (killed after $d s): the resumed run failed"; }
  cmp -s "$TMP/ref" "$TMP/out" || { diff "$TMP/ref" "$TMP/out" >&2; fail "run $i: output differs"; }
  back=$(sed -n 's/.* \([0-9]*\) of the results were read back.*/\1/p' "$TMP/err")
  back=${back:-0}
  read_back="$read_back $back"
  if [ "$killed" -gt 0 ] && [ "$back" -lt $TOTAL ]; then
    interrupted=$((interrupted + 1))
  else
    missed=$((missed + 1))
    echo "run $i: not interrupted (after $d s: $killed process(es) killed, mpirun status $status," \
      "$back of $TOTAL results read back)"
  fi
  i=$((i + 1))
done
echo "results read back from the journal after each kill:$read_back (of $TOTAL)"
echo "runs really interrupted by the kill: $interrupted of $RUNS (at least $NEED needed); missed: $missed"
[ "$interrupted" -ge "$NEED" ] || fail "only $interrupted of $RUNS kills interrupted a run (at least $NEED needed)"
pass "$interrupted of $RUNS runs killed whole at random moments, each resumed to byte-identical output"
