#!/bin/sh
# A payload of exactly --max-payload passes through; one byte more is a clear
# error (exit 1, the sizes named), never a crash or a truncation.
. "$(dirname "$0")/lib.sh"
set -e
lim=1048576
for np in 1 3; do
  mpi $np "$TESTAPP" --tasks 6 --max-payload 1M --payload $lim --result-payload $lim --quiet \
    >"$TMP/out" || fail "maximal payload on $np ranks: exit $?"
  expect_text "$TMP/out" "results 6 expected 6" "maximal payload on $np ranks"
done
pass "payloads of exactly 1 MiB"

mpi 2 "$TESTAPP" --tasks 3 --payload 8M --result-payload 8M --quiet >"$TMP/out" ||
  fail "default limit (8 MiB) payload: exit $?"
expect_text "$TMP/out" "results 3 expected 3" "8 MiB payloads"
pass "payloads of the default limit, 8 MiB"

for np in 1 3; do
  expect_status 1 "task over the limit on $np ranks" \
    mpi $np "$TESTAPP" --tasks 6 --max-payload 1M --payload $((lim + 1))
  expect_text "$TMP/err" "task of 1048577 bytes is over the limit of 1048576 bytes" "task size named"
  expect_status 1 "result over the limit on $np ranks" \
    mpi $np "$TESTAPP" --tasks 6 --max-payload 1M --result-payload $((lim + 1))
  expect_text "$TMP/err" "result of 1048577 bytes is over the limit of 1048576 bytes" \
    "result size named"
done
pass "one byte over the limit is a clear error"
