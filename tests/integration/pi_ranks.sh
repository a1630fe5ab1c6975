#!/bin/sh
# The pi estimate is bit-identical for 1, 2, 3 and 4 ranks, with and without
# mpirun, and lies within 5 standard errors of M_PI.
. "$(dirname "$0")/lib.sh"
set -e
args="--samples 4000000 --tasks 300 --seed 7 --quiet"
"$PI" $args >"$TMP/ref"
for np in 1 2 3 4; do
  mpi $np "$PI" $args >"$TMP/np$np" || fail "pi on $np ranks exited $?"
  cmp -s "$TMP/ref" "$TMP/np$np" || { diff "$TMP/ref" "$TMP/np$np" >&2; fail "pi on $np ranks differs"; }
  pass "pi on $np ranks identical"
done
awk '/minus M_PI/ { sub(/\(/, "", $4); if ($4 + 0 > 5) exit 1; found = 1 } END { exit !found }' \
  "$TMP/ref" || { cat "$TMP/ref" >&2; fail "estimate more than 5 standard errors from pi"; }
expect_text "$TMP/ref" "hits         " "hit count printed"
pass "estimate within 5 standard errors"
