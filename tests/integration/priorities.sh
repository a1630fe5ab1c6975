#!/bin/sh
# A worker runs the tasks it holds highest priority first: the test app's children have the
# priority of their level in the tree (deeper: higher), so children reach workers that hold
# roots of priority 0, and run before them (out of turn, with a START entry that tells the
# master which task runs). Checked: the output is identical on 1 to 4 ranks under several
# schedules; --stats counts the tasks each worker started out of turn, and they happen on a
# worker that holds several roots (a fixed plan of up to 8 in hand) and never when every task has the
# same priority. (What the master does with a START: tests/unit/test_down.c; the worker's
# choice: tests/unit/test_inbox.c and test_up.c.)
. "$(dirname "$0")/lib.sh"
set -e
# 20 roots, each a tree of 1 + 2 + 4 tasks: 140 results. Tasks of 0-10 ms: the answers to a
# worker's requests come while it still holds roots.
ARGS="--tasks 20 --depth 2 --branch 2 --sleep-us 10000"
"$TESTAPP" $ARGS --quiet >"$TMP/ref" 2>"$TMP/err" || { cat "$TMP/err" >&2; fail "one rank"; }
expect_text "$TMP/ref" "results 140 expected 140" "every task once on one rank"
# out_of_turn summed over the workers of a --stats file
out_of_turn() { sed -n 's/.*"out_of_turn": \([0-9]*\).*/\1/p' "$1" | awk '{ s += $1 } END { print s + 0 }'; }
for run in "2 --schedule dynamic --chunk 4 --prefetch 8" "2" "3" "4 --schedule guided" "3 --schedule dynamic --chunk 1"; do
  set -- $run
  np=$1
  shift
  mpi "$np" "$TESTAPP" $ARGS "$@" --stats "$TMP/stats.json" --quiet >"$TMP/out" 2>"$TMP/err" ||
    { cat "$TMP/err" >&2; fail "$np ranks $*"; }
  cmp -s "$TMP/ref" "$TMP/out" || { diff "$TMP/ref" "$TMP/out" >&2; fail "$np ranks $* differ from one rank"; }
  n=$(out_of_turn "$TMP/stats.json")
  echo "$np ranks $*: $n tasks started out of turn"
  if [ "$*" = "--schedule dynamic --chunk 4 --prefetch 8" ]; then
    [ "$n" -gt 0 ] || fail "one worker holding up to 8 roots never ran a child out of turn"
    first=$n
  fi
done
pass "children of higher priority run before the roots a worker holds ($first out of turn on one worker); the same output on 1 to 4 ranks"

# One priority for all: never out of turn.
for np in 2 3; do
  mpi "$np" "$TESTAPP" --tasks 400 --sleep-us 500 --schedule dynamic --chunk 2 --prefetch 8 \
    --stats "$TMP/stats.json" --quiet >"$TMP/out" 2>"$TMP/err" || { cat "$TMP/err" >&2; fail "flat, $np ranks"; }
  expect_text "$TMP/out" "results 400 expected 400" "flat, $np ranks"
  n=$(out_of_turn "$TMP/stats.json")
  [ "$n" -eq 0 ] || fail "tasks of one priority started out of turn ($n) on $np ranks"
done
pass "tasks of one priority run in arrival order (0 out of turn)"
