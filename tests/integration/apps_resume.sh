#!/bin/sh
# Real apps stopped mid-run (SIGUSR1 to mpirun: exit 75) and resumed from
# their journal print the same answer, and write the same files, as a run
# that was never stopped: nqueens (a tree of tasks spawned by workers) and
# mandelbrot (a PNG and raw counts).
. "$(dirname "$0")/lib.sh"
set -e

# stop_and_resume NAME CMD...: run CMD with a journal on 3 ranks, send
# SIGUSR1 after 1.5 s, expect 75 (or 0 if it finished first), then resume.
stop_and_resume() {
  name=$1
  shift
  J=$TMP/$name.journal
  "$MPIRUN" --oversubscribe --mca mpi_yield_when_idle 1 -np "$(ranks_for 3)" "$@" --journal "$J" \
    >"$TMP/$name.out" 2>"$TMP/$name.err" &
  pid=$!
  sleep 1.5
  kill -USR1 $pid 2>/dev/null || true
  n=0
  while kill -0 $pid 2>/dev/null && [ $n -lt 600 ]; do sleep 0.1; n=$((n + 1)); done
  kill -9 $pid 2>/dev/null || true
  set +e
  wait $pid
  got=$?
  set -e
  [ "$got" = 75 ] || [ "$got" = 0 ] || { cat "$TMP/$name.err" >&2; fail "$name: stopped with exit $got"; }
  mpi 2 "$@" --journal "$J" --resume >"$TMP/$name.out" 2>"$TMP/$name.err" ||
    { cat "$TMP/$name.err" >&2; fail "$name: the resumed run failed"; }
  echo "$name: first run exit $got; $(grep -o '[0-9]* of the results were read back' "$TMP/$name.err")"
}

NQ=$top_builddir/taskfarm-nqueens
"$NQ" --n 16 --split-depth 3 >"$TMP/nq.ref" 2>/dev/null
stop_and_resume nq "$NQ" --n 16 --split-depth 3
# The last line is the timing of this run; everything else must match.
grep -v "elapsed\|seconds" "$TMP/nq.ref" >"$TMP/a"
grep -v "elapsed\|seconds" "$TMP/nq.out" >"$TMP/b"
cmp -s "$TMP/a" "$TMP/b" || { diff "$TMP/a" "$TMP/b" >&2; fail "nqueens: resumed output differs"; }
pass "nqueens N=16 stopped and resumed: the same answer (spawned tasks journaled)"

MB=$top_builddir/taskfarm-mandelbrot
ARGS="--width 1200 --height 800 --max-iter 4000"
"$MB" $ARGS --output "$TMP/ref.png" --counts "$TMP/ref.cnt" >"$TMP/mb.ref" 2>/dev/null
stop_and_resume mb "$MB" $ARGS --output "$TMP/mb.png" --counts "$TMP/mb.cnt"
cmp -s "$TMP/ref.png" "$TMP/mb.png" || fail "mandelbrot: resumed PNG differs"
cmp -s "$TMP/ref.cnt" "$TMP/mb.cnt" || fail "mandelbrot: resumed counts differ"
pass "mandelbrot stopped and resumed: the same PNG and counts"
