#!/bin/sh
# taskfarm-primes: pi(N) and the largest prime <= N equal the published values
# exactly, the output is identical on 1-4 ranks, and the segment edges (N not
# a multiple of the segment, tiny N, segments holding base primes) are right.
. "$(dirname "$0")/lib.sh"
set -e
PRIMES=$top_builddir/taskfarm-primes

# check N SEGMENT PI LARGEST RANKS...: run on each rank count (1: no mpirun).
# Known values: pi(10^n) is OEIS A006880, the largest prime below 10^n is
# OEIS A003618; the rest are small enough to count by hand.
check() {
  n=$1 seg=$2 want=$3 largest=$4
  shift 4
  for np in "$@"; do
    if [ $np = 1 ]; then run=""; else run="mpi $np"; fi
    $run "$PRIMES" --n "$n" --segment "$seg" --quiet >"$TMP/np$np" ||
      fail "primes --n $n on $np ranks exited $?"
    cmp -s "$TMP/np1" "$TMP/np$np" || { diff "$TMP/np1" "$TMP/np$np" >&2;
      fail "primes --n $n on $np ranks differs from 1 rank"; }
  done
  grep -qx "pi($n) = $want" "$TMP/np1" || { cat "$TMP/np1" >&2; fail "pi($n) is not $want"; }
  grep -qx "largest prime <= $n: $largest" "$TMP/np1" ||
    { cat "$TMP/np1" >&2; fail "largest prime <= $n is not $largest"; }
  pass "pi($n) = $want, largest $largest, segment $seg, on ranks $*"
}
check 1000000 64K 78498 999983 1 2 3 4
check 10000000 1M 664579 9999991 1 2 3 4
# The edge cases on 1 rank and on 3 (two workers, some idle when there is one
# segment). 1000003 is the smallest 7-digit prime (A003617), so pi(1000003) =
# 78498 + 1; its 1000004 integers make 244 segments of 4096 and a short one.
check 1000003 4096 78499 1000003 1 3
check 7919 100 1000 7919 1 3 # the 1000th prime is 7919 (A000040)
check 100 16 25 97 1 3
check 10 16 4 7 1 3
check 2 16 1 2 1 3
check 1 16 0 none 1 3
check 0 16 0 none 1

expect_status 2 "negative N" "$PRIMES" --n -5
expect_text "$TMP/err" "--n" "bad N names --n"
expect_status 2 "segment too small" "$PRIMES" --segment 8
expect_text "$TMP/err" "--segment" "bad segment names --segment"
pass "bad --n and --segment exit 2 with a message"
