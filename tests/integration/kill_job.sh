#!/bin/sh
# The whole job killed (SIGKILL to mpirun and every rank) at random moments,
# then resumed from the journal: the output is byte-identical to a run that
# was never interrupted, and no result is collected twice (the test app
# fails on a duplicate).
. "$(dirname "$0")/lib.sh"
set -e
RUNS=${TF_KILL_RUNS:-10}
J=$TMP/run.journal
# 300 roots with trees of 13: 3900 tasks, spawned ones included.
ARGS="--tasks 300 --depth 2 --branch 3 --sleep-us 1000 --result-payload 16"
mpi 3 "$TESTAPP" $ARGS >"$TMP/ref" 2>"$TMP/err" || { cat "$TMP/err" >&2; fail "reference run"; }
expect_text "$TMP/ref" "results 3900 expected 3900" "reference run complete"

# A pseudo-random delay in seconds, different for each run.
delay() { awk -v s="$1" 'BEGIN { srand(s); printf "%.2f", 0.3 + rand() * 1.2 }'; }

seed=$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')
read_back=""
i=1
while [ $i -le "$RUNS" ]; do
  rm -f "$J"
  d=$(delay $((seed + i)))
  "$MPIRUN" --oversubscribe --mca mpi_yield_when_idle 1 -np 3 "$TESTAPP" $ARGS --journal "$J" \
    >"$TMP/out" 2>"$TMP/err" &
  pid=$!
  sleep "$d"
  pkill -KILL -f -- "--journal $J" || true
  set +e
  wait $pid
  set -e
  mpi 3 "$TESTAPP" $ARGS --journal "$J" --resume >"$TMP/out" 2>"$TMP/err" ||
    { cat "$TMP/err" >&2; fail "run $i (killed after $d s): the resumed run failed"; }
  cmp -s "$TMP/ref" "$TMP/out" || { diff "$TMP/ref" "$TMP/out" >&2; fail "run $i: output differs"; }
  n=$(sed -n 's/.* \([0-9]*\) of the results were read back.*/\1/p' "$TMP/err")
  read_back="$read_back ${n:-0}"
  i=$((i + 1))
done
echo "results read back from the journal after each kill:$read_back (of 3900)"
pass "$RUNS whole-job kills at random moments, each resumed to byte-identical output"
