#!/bin/sh
# A worker that sends a malformed or unexpected frame: the master names the
# sender's rank and the cause, and the run fails cleanly (exit 1, no hang).
. "$(dirname "$0")/lib.sh"
set -e
BAD=$top_builddir/tests/apps/tf_badpeer
check() {
  expect_status 1 "$1 frame" mpi 2 "$BAD" "$1"
  expect_text "$TMP/err" "$2" "$1 frame reported"
  expect_text "$TMP/out" "tf_run returned" "$1 frame: tf_run returned"
  pass "$1 frame: $2"
}
check magic "malformed message from rank 1: bad magic"
check version "malformed message from rank 1: protocol version 99"
check truncated "malformed message from rank 1: RESULTS frame says"
check short "malformed message from rank 1: truncated frame: 7 bytes"
check kind "malformed message from rank 1: unknown frame kind 77"
check unasked "rank 1 sent the outcome of task 42, but"
check spawn-orphan "rank 1 sent spawned task"
check spawn-id "as child 0 of task 0, whose id is"
# Text from a worker reaches the terminal escaped, never as control codes.
check error-text ': \x1b[2J\x1b[31mworker says hello\x07\x1b[0m'
esc=$(printf '\033')
if grep -q "$esc" "$TMP/err"; then fail "an escape character reached stderr"; fi
pass "a worker's text is printed with its control bytes escaped"

# A BYE whose counters cannot be (2^64-1 events dropped by a worker that ran
# no task): said and left out, not printed as if true; the run itself is fine.
expect_status 0 "a BYE with impossible counters" mpi 2 "$BAD" bye-counters "$TMP/stats.json"
expect_text "$TMP/err" "rank 1 sent counters that do not add up" "the counters are refused"
if grep -q 18446744073709551615 "$TMP/stats.json" || grep -q "were not recorded" "$TMP/err"; then
  fail "the impossible count was taken for true"
fi
pass "a worker's impossible counters are said and left out"
