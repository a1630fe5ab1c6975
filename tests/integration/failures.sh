#!/bin/sh
# Failing tasks: retried up to --retries times (on another worker when there
# is one), then given up on with their ids named; the run goes on
# (--keep-going, the default) and exits 1, or stops at once (--fail-fast).
. "$(dirname "$0")/lib.sh"
set -e
# A task that fails once succeeds on its second run: exit 0, every result.
for np in 1 3; do
  mpi $np "$TESTAPP" --tasks 200 --fail-once 17 --retries 1 >"$TMP/out" 2>"$TMP/err" ||
    { cat "$TMP/err" >&2; fail "fail once, --retries 1, $np ranks: exit $?"; }
  expect_text "$TMP/out" "results 200 expected 200" "fail once, retried"
  expect_text "$TMP/err" "task 17 failed" "the first failure is reported"
  expect_text "$TMP/err" "trying again" "and the retry"
done
pass "a task that fails once is run again and succeeds"

# Without retries the same task is given up on, the others finish, exit 1.
expect_status 1 "fail once, no retries" mpi 3 "$TESTAPP" --tasks 200 --fail-once 17
expect_text "$TMP/err" "task 17 failed on rank" "failure named with its rank"
expect_text "$TMP/err" "giving up on it" "given up"
expect_text "$TMP/err" "1 task failed for good: 17" "the summary lists the failed id"

# A task that always fails: tried 1 + 2 times, the rest of the run completes.
for np in 1 3; do
  expect_status 1 "always failing, $np ranks" mpi $np "$TESTAPP" --tasks 300 --fail-id 42 --retries 2 \
    --report-failed --payload 40
  expect_text "$TMP/err" "after 3 attempts" "three attempts"
  # the app's failed hook saw it once, with what the worker said and the payload
  expect_text "$TMP/out" "failed: task 42, 3 attempts, status 7, lost 0, payload intact (40 bytes), output 'partial 42': execute returned 7" \
    "failed hook, $np ranks"
  [ "$(grep -c '^failed:' "$TMP/out")" = 1 ] || fail "the failed hook ran $(grep -c '^failed:' "$TMP/out") times"
  expect_text "$TMP/err" "1 task failed for good: 42" "the summary lists it"
  expect_text "$TMP/out" "results 299 expected 299" "the other 299 results, with --keep-going"
done
pass "a task that always fails is given up on after --retries, the rest completes; failed sees it once"

# A bad worker: every task run on rank 1 fails; retried on rank 2, all succeed.
mpi 3 "$TESTAPP" --tasks 300 --fail-on-rank 1 --retries 1 >"$TMP/out" 2>"$TMP/err" ||
  { cat "$TMP/err" >&2; fail "bad rank 1 with --retries 1: exit $?"; }
expect_text "$TMP/out" "results 300 expected 300" "every task succeeded elsewhere"
pass "tasks that fail on one worker are retried on another"

# --fail-fast stops at the first task given up on.
expect_status 1 "--fail-fast" mpi 3 "$TESTAPP" --tasks 5000 --sleep-us 200 --fail-id 10 --fail-fast
expect_text "$TMP/err" "1 task failed for good: 10" "fail-fast names the task"
if grep -q "^results" "$TMP/out"; then fail "--fail-fast still ran finish"; fi
pass "--fail-fast stops the run"

expect_status 2 "both modes" "$TESTAPP" --keep-going --fail-fast
expect_text "$TMP/err" "--keep-going and --fail-fast contradict each other" "contradiction named"
pass "--keep-going with --fail-fast is refused"
