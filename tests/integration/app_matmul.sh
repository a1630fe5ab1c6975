#!/bin/sh
# taskfarm-matmul assembles C = A B from block tasks: the output (checksums of
# C and the residual against one serial dgemm) is byte-identical on 1, 2, 3 and
# 4 ranks, also with ragged edge blocks; the all-ones product has the closed
# form C = n everywhere; a panel over --max-payload fails with the sizes named.
. "$(dirname "$0")/lib.sh"
set -e
MM=$top_builddir/taskfarm-matmul

# Each block of C is one dgemm on exactly the data the serial dgemm uses for
# those entries, so the residual is 0 with GSL's CBLAS; 1e-12 leaves room for a
# BLAS that sums a block in another order than the whole product.
small_residual() {
  awk '$1 == "residual" { found = 1; if ($2 + 0 >= 1e-12) exit 1 } END { exit !found }' "$1" ||
    { cat "$1" >&2; fail "$2: residual missing or not below 1e-12"; }
}

for args in "--n 256 --block 64" "--n 300 --block 64"; do
  "$MM" $args --quiet >"$TMP/ref" || fail "$args exited $?"
  small_residual "$TMP/ref" "$args"
  for np in 1 2 3 4; do
    mpi $np "$MM" $args --quiet >"$TMP/np$np" || fail "$args on $np ranks exited $?"
    cmp -s "$TMP/ref" "$TMP/np$np" || { diff "$TMP/ref" "$TMP/np$np" >&2; fail "$args on $np ranks differs"; }
  done
  pass "$args: residual below 1e-12, identical on 1, 2, 3 and 4 ranks"
done
expect_text "$TMP/ref" "5 x 5 = 25 tasks" "300 = 4 x 64 + 44: a ragged fifth block row and column"

# All ones: every entry of C is n, so the sum is n^3 = 27000000 exactly (every
# partial sum is an integer below 2^53).
mpi 3 "$MM" --n 300 --block 64 --ones --quiet >"$TMP/out" || fail "--ones exited $?"
expect_text "$TMP/out" "sum of C     27000000" "sum of the all-ones product"
small_residual "$TMP/out" "--ones"
pass "all-ones product sums to n^3"

# A 64 x 300 panel of A and a 300 x 64 panel of B: 2 x 64 x 300 x 8 bytes plus
# a 32-byte header = 307232 bytes, over 64 KiB.
expect_status 2 "panel over --max-payload" mpi 2 "$MM" --n 300 --block 64 --max-payload 64K
expect_text "$TMP/err" "307232 bytes, over --max-payload 65536 bytes" "the message names the sizes"
pass "a panel over --max-payload is refused (exit 2) naming the sizes"

expect_status 2 "--block 0" "$MM" --block 0
expect_text "$TMP/err" "--block" "the message names the option"
expect_status 2 "--block over --n" "$MM" --n 100 --block 200
expect_text "$TMP/err" "--block 200 is larger than the matrix (--n 100)" "block larger than n"
pass "bad block sizes exit 2 naming the option"
