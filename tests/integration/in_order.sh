#!/bin/sh
# collect_in_order: collect sees generate's tasks in id order (the test app fails on a root
# collected after a later one) on any rank count, with children and follow-ups between them;
# generate never runs more than 2 x workers x --prefetch + 64 ids ahead of the result whose
# turn it is (exactly that, less one, behind a long first task); a task given up on passes
# its turn; a journal cut in half resumes in order; a run stopped by --fail-fast still hands
# collect every result it received (as many as the journal holds).
. "$(dirname "$0")/lib.sh"
set -e
J=$TMP/run.journal
ARGS="--tasks 400 --depth 1 --branch 2 --follow-up 1 --sleep-us 300 --in-order"
"$TESTAPP" $ARGS --quiet >"$TMP/ref" 2>"$TMP/err" || { cat "$TMP/err" >&2; fail "one rank"; }
expect_text "$TMP/ref" "results 1600 expected 1600" "every task"
expect_text "$TMP/ref" "roots in order: last 399, 0 passed over" "in order on one rank"
sed '/^roots in order/d' "$TMP/ref" >"$TMP/ref.results"
for run in "2" "4" "3 --schedule dynamic --chunk 8" "4 --schedule guided" "3 --schedule static"; do
  set -- $run
  np=$1
  shift
  mpi "$np" "$TESTAPP" $ARGS "$@" --quiet >"$TMP/out" 2>"$TMP/err" ||
    { cat "$TMP/err" >&2; fail "$np ranks $*"; }
  expect_text "$TMP/out" "roots in order: last 399, 0 passed over" "in order on $np ranks $*"
  sed '/^roots in order/d' "$TMP/out" | cmp -s "$TMP/ref.results" - || fail "$np ranks $*: other results"
done
pass "root results in id order on 1-4 ranks and every schedule, with children and follow-ups"

# The window: task 0 takes 1.5 s; the other workers run ahead only so far.
for np in 3 5; do
  w=$((2 * (np - 1) * 4 + 64))
  mpi $np "$TESTAPP" --tasks 3000 --in-order --long-id 0 --long-ms 1500 --prefetch 4 --quiet \
    >"$TMP/out" 2>"$TMP/err" || { cat "$TMP/err" >&2; fail "window, $np ranks"; }
  expect_text "$TMP/out" "results 3000 expected 3000" "window run complete"
  expect_text "$TMP/out" "generated at most $((w - 1)) ahead" "the window of $w ids holds on $np ranks"
done
pass "generate stays within 2 x workers x --prefetch + 64 ids of the turn"

# A root given up on passes its turn.
for np in 1 3; do
  expect_status 1 "a failing root, $np ranks" mpi $np "$TESTAPP" $ARGS --fail-id 42 --quiet
  expect_text "$TMP/out" "roots in order: last 399, 1 passed over" "the failed root passed over ($np ranks)"
done
pass "a task given up on passes its turn"

# The journal: cut in half, resumed, in order, the same results.
mpi 3 "$TESTAPP" $ARGS --journal "$J" --quiet >"$TMP/out" 2>"$TMP/err" || { cat "$TMP/err" >&2; fail "journaled run"; }
truncate -s $(($(wc -c <"$J") / 2)) "$J"
mpi 3 "$TESTAPP" $ARGS --journal "$J" --resume >"$TMP/out" 2>"$TMP/err" ||
  { cat "$TMP/err" >&2; fail "resume in order"; }
expect_text "$TMP/out" "roots in order: last 399, 0 passed over" "resumed in order"
sed '/^roots in order/d' "$TMP/out" | cmp -s "$TMP/ref.results" - || fail "the resumed run's results differ"
pass "a journal cut in half resumes in order to the same results"

# --fail-fast cuts the run short: the results that waited for a turn are collected anyway
# (before master_fini), as many as were journaled.
rm -f "$J"
expect_status 1 "--fail-fast" mpi 3 "$TESTAPP" --tasks 3000 --sleep-us 1000 --in-order --fail-id 300 \
  --fail-fast --journal "$J" --report-fini --quiet
collected=$(sed -n 's/^master_fini: status [-0-9]*, \([0-9]*\) results.*/\1/p' "$TMP/out")
[ -n "$collected" ] || { cat "$TMP/out" "$TMP/err" >&2; fail "no master_fini line"; }
# (the resumed run fails on task 300 again, but reads the journal back first)
expect_status 1 "resume after --fail-fast" mpi 2 "$TESTAPP" --tasks 3000 --sleep-us 1000 --in-order \
  --fail-id 300 --journal "$J" --resume --report-fini
back=$(sed -n 's/.* \([0-9]*\) of the results were read back.*/\1/p' "$TMP/err")
[ "$collected" = "$back" ] || { cat "$TMP/err" >&2; fail "stopped run collected $collected results, its journal holds $back"; }
[ "$collected" -gt 0 ] && [ "$collected" -lt 3000 ] || fail "$collected results before the stop: the run was not cut short mid-way"
pass "after --fail-fast, every result received ($collected) was collected, in order, before master_fini"
