#!/bin/sh
# Tasks the master submits in collect and in failed (follow-ups, tf_submit outside generate and
# execute): their ids derive from the result's id, so the output (a digest of every id
# collected) is identical on 1, 2 and 4 ranks and under every schedule; a journal cut in the
# middle resumes to the same output with no result collected twice (the test app fails on a
# duplicate), the follow-ups of journaled results submitted again and those already done
# skipped; a root task given up on is followed up in failed.
. "$(dirname "$0")/lib.sh"
set -e
J=$TMP/run.journal
# 120 roots, each a tree of 1 + 2 tasks, and 3 follow-ups per root: 120 * 3 + 360 = 720.
ARGS="--tasks 120 --depth 1 --branch 2 --follow-up 3 --sleep-us 300"
"$TESTAPP" $ARGS --quiet >"$TMP/ref" 2>"$TMP/err" || { cat "$TMP/err" >&2; fail "one rank"; }
expect_text "$TMP/ref" "results 720 expected 720" "every follow-up ran once"
for run in "2" "4" "3 --schedule static" "3 --schedule dynamic --chunk 4" "4 --schedule guided"; do
  set -- $run
  np=$1
  shift
  mpi "$np" "$TESTAPP" $ARGS "$@" --quiet >"$TMP/out" 2>"$TMP/err" ||
    { cat "$TMP/err" >&2; fail "$np ranks $*"; }
  cmp -s "$TMP/ref" "$TMP/out" || { diff "$TMP/ref" "$TMP/out" >&2; fail "$np ranks $* differ from one rank"; }
done
pass "follow-ups from collect: the same tasks and output on 1, 2, 3 and 4 ranks, every schedule"

# The journal: a complete one resumes to the same output running nothing; one cut in the middle
# runs only what it lacks, the follow-ups included.
mpi 3 "$TESTAPP" $ARGS --journal "$J" --quiet >"$TMP/out" 2>"$TMP/err" || { cat "$TMP/err" >&2; fail "journaled run"; }
cmp -s "$TMP/ref" "$TMP/out" || fail "the journaled run differs"
cp "$J" "$TMP/whole"
for np in 1 3; do
  cp "$TMP/whole" "$J"
  truncate -s $(($(wc -c <"$J") / 2)) "$J"
  mpi $np "$TESTAPP" $ARGS --journal "$J" --resume >"$TMP/out" 2>"$TMP/err" ||
    { cat "$TMP/err" >&2; fail "resume from half a journal on $np ranks"; }
  cmp -s "$TMP/ref" "$TMP/out" || { diff "$TMP/ref" "$TMP/out" >&2; fail "resume on $np ranks changed the output"; }
  back=$(sed -n 's/.* \([0-9]*\) of the results were read back.*/\1/p' "$TMP/err")
  [ -n "$back" ] && [ "$back" -gt 100 ] && [ "$back" -lt 720 ] || { cat "$TMP/err" >&2; fail "read back: '$back'"; }
  # and now the journal is whole: nothing runs
  mpi 2 "$TESTAPP" $ARGS --journal "$J" --resume >"$TMP/out" 2>"$TMP/err" || fail "second resume"
  expect_text "$TMP/err" "720 of the results were read back" "the journal completed on $np ranks"
  cmp -s "$TMP/ref" "$TMP/out" || fail "the completed journal's output differs"
done
pass "a journal cut in half resumes to the same output on 1 and 3 ranks ($back read back), follow-ups included"

# A root given up on is followed up in failed: 720 - 3 (its tree) results, its 3 follow-ups too.
for np in 1 3; do
  expect_status 1 "failed root, $np ranks" mpi $np "$TESTAPP" $ARGS --fail-id 7 --report-failed
  expect_text "$TMP/out" "results 717 expected 717" "follow-ups of a failed root, $np ranks"
  expect_text "$TMP/out" "failed: task 7, 1 attempt, status 7, lost 0, payload intact (16 bytes), output 'partial 7'" "the failure, $np ranks"
  grep -v '^failed' "$TMP/out" >"$TMP/o$np"
done
cmp -s "$TMP/o1" "$TMP/o3" || fail "a failed root's follow-ups differ between 1 and 3 ranks"
pass "a task given up on: failed submits its follow-ups, the same on 1 and 3 ranks"
