#!/bin/sh
# 10,000 tasks of pseudo-random duration: every id is collected exactly once
# (the test app fails on a duplicate or a missing id) and the digest of the
# ids is the same for 1 to 4 ranks, for small and large prefetch, for every
# schedule and every idle mode.
. "$(dirname "$0")/lib.sh"
set -e
args="--tasks 10000 --sleep-us 100 --quiet"
"$TESTAPP" $args >"$TMP/ref" || fail "one process exited $?"
expect_text "$TMP/ref" "results 10000 expected 10000" "one process"
for np in 2 3 4; do
  for pf in 1 4 32; do
    mpi $np "$TESTAPP" $args --prefetch $pf >"$TMP/out" || fail "$np ranks, prefetch $pf: exit $?"
    cmp -s "$TMP/ref" "$TMP/out" || { cat "$TMP/out" >&2; fail "$np ranks, prefetch $pf: differs"; }
    pass "$np ranks, prefetch $pf: 10000 ids exactly once"
  done
done
for sched in static dynamic guided adaptive; do
  mpi 3 "$TESTAPP" $args --schedule $sched --chunk 3 >"$TMP/out" || fail "--schedule $sched: exit $?"
  cmp -s "$TMP/ref" "$TMP/out" || { cat "$TMP/out" >&2; fail "--schedule $sched: differs"; }
  pass "3 ranks, --schedule $sched --chunk 3: 10000 ids exactly once"
done
for idle in spin sleep; do
  mpi 3 "$TESTAPP" $args --idle $idle >"$TMP/out" || fail "--idle $idle: exit $?"
  cmp -s "$TMP/ref" "$TMP/out" || { cat "$TMP/out" >&2; fail "--idle $idle: differs"; }
  pass "3 ranks, --idle $idle: 10000 ids exactly once"
done
