#!/bin/sh
# Tasks submitted by workers: 7 roots each grow a tree of depth 4 and
# branching 3, i.e. 7 x 121 = 847 tasks; the count and the digest of the
# (deterministic) ids are the same on every rank count.
. "$(dirname "$0")/lib.sh"
set -e
args="--tasks 7 --depth 4 --branch 3 --sleep-us 300 --quiet"
"$TESTAPP" $args >"$TMP/ref" || fail "one process exited $?"
expect_text "$TMP/ref" "results 847 expected 847" "tree size"
for np in 1 2 3 4; do
  mpi $np "$TESTAPP" $args >"$TMP/out" || fail "$np ranks: exit $?"
  cmp -s "$TMP/ref" "$TMP/out" || { cat "$TMP/out" >&2; fail "$np ranks: tree differs"; }
  pass "$np ranks: tree of 847 tasks, same ids"
done
# A wide, deep tree that only workers grow: 1 root, 4^6 leaves, 5461 tasks.
mpi 4 "$TESTAPP" --tasks 1 --depth 6 --branch 4 --quiet >"$TMP/out" || fail "deep tree: exit $?"
expect_text "$TMP/out" "results 5461 expected 5461" "deep tree"
pass "deep tree of 5461 tasks on 4 ranks"
# Under every schedule (static keeps a worker's children with it).
for sched in static dynamic guided; do
  mpi 3 "$TESTAPP" $args --schedule $sched >"$TMP/out" || fail "--schedule $sched: exit $?"
  cmp -s "$TMP/ref" "$TMP/out" || { cat "$TMP/out" >&2; fail "--schedule $sched: tree differs"; }
  pass "3 ranks, --schedule $sched: tree of 847 tasks"
done
