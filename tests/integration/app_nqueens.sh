#!/bin/sh
# taskfarm-nqueens counts N-queens solutions exactly: N = 1..12 match OEIS
# A000170, the output is byte-identical on 1, 2, 3 and 4 ranks, the count does
# not depend on --split-depth, task counts match their closed form, and a bad
# board size exits 2.
. "$(dirname "$0")/lib.sh"
set -e
NQ=$top_builddir/taskfarm-nqueens

# solutions N: the count the app printed.
solutions() { awk '$1 == "solutions" { print $2 }' "$1"; }

# OEIS A000170, the number of ways to place N non-attacking queens, N = 1..16.
known="1 0 0 2 10 4 40 92 352 724 2680 14200 73712 365596 2279184 14772512"
n=1
for want in $known; do
  [ $n -le 12 ] || break
  "$NQ" --n $n --quiet >"$TMP/n$n" || fail "N=$n exited $?"
  got=$(solutions "$TMP/n$n")
  [ "$got" = "$want" ] || { cat "$TMP/n$n" >&2; fail "N=$n: $got solutions, OEIS A000170 says $want"; }
  n=$((n + 1))
done
pass "N = 1..12 match OEIS A000170 exactly"

for n in 12 13; do
  want=$(echo $known | cut -d' ' -f$n)
  [ -f "$TMP/n$n" ] || "$NQ" --n $n --quiet >"$TMP/n$n" || fail "N=$n exited $?"
  cp "$TMP/n$n" "$TMP/ref"
  [ "$(solutions "$TMP/ref")" = "$want" ] || { cat "$TMP/ref" >&2; fail "N=$n: expected $want"; }
  for np in 1 2 3 4; do
    mpi $np "$NQ" --n $n --quiet >"$TMP/np$np" || fail "N=$n on $np ranks exited $?"
    cmp -s "$TMP/ref" "$TMP/np$np" || { diff "$TMP/ref" "$TMP/np$np" >&2; fail "N=$n on $np ranks differs"; }
  done
  pass "N=$n: $want solutions, identical on 1, 2, 3 and 4 ranks"
done

# The split depth changes the tree of tasks, never the count; depth N and more
# turn every node of the search tree into a task. (Depths 1 and 2 come below.)
for case in "8 8 92" "8 20 92" "12 0 14200" "12 6 14200"; do
  set -- $case
  "$NQ" --n $1 --split-depth $2 --quiet >"$TMP/out" || fail "N=$1 split depth $2 exited $?"
  expect_text "$TMP/out" "solutions    $3" "N=$1 split depth $2"
done
mpi 3 "$NQ" --n 12 --split-depth 5 --quiet >"$TMP/out" || fail "N=12 split depth 5 on 3 ranks exited $?"
expect_text "$TMP/out" "solutions    14200" "N=12 split depth 5 on 3 ranks"
pass "N=8 and N=12: same count for every split depth"

# Task counts, N = 12: the seeds are the ceil(12/2) = 6 row-0 queens of the left
# half, and hold one row, so depth 1 splits nothing. Depth 2 adds their
# children, the legal row-1 squares: 12 - 2 for the corner seed, 12 - 3 for the
# 5 others: 6 + 10 + 5 x 9 = 61 tasks.
"$NQ" --n 12 --split-depth 1 --quiet >"$TMP/out"
expect_text "$TMP/out" "tasks        6 (split depth 1)" "task count at depth 1"
expect_text "$TMP/out" "solutions    14200" "N=12 split depth 1"
mpi 4 "$NQ" --n 12 --split-depth 2 --quiet >"$TMP/out"
expect_text "$TMP/out" "tasks        61 (split depth 2)" "task count at depth 2"
expect_text "$TMP/out" "solutions    14200" "N=12 split depth 2"
pass "task counts 6 and 61 at split depths 1 and 2"

for bad in 0 40; do
  expect_status 2 "--n $bad" "$NQ" --n $bad
  expect_text "$TMP/err" "--n" "the message names the option"
done
expect_status 2 "--split-depth -1" "$NQ" --split-depth -1
expect_text "$TMP/err" "--split-depth" "the message names the option"
pass "bad N and split depth exit 2 naming the option"
