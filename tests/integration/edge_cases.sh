#!/bin/sh
# Zero tasks, empty payloads, more ranks than tasks, one rank, and a task
# that fails (the run exits 1 and names the task).
. "$(dirname "$0")/lib.sh"
set -e
for np in 1 2 4; do
  mpi $np "$TESTAPP" --tasks 0 --quiet >"$TMP/out" || fail "zero tasks on $np ranks: exit $?"
  expect_text "$TMP/out" "results 0 expected 0" "zero tasks on $np ranks"
done
pass "zero tasks on 1, 2, 4 ranks"

for np in 1 3; do
  mpi $np "$TESTAPP" --tasks 500 --payload 0 --result-payload 0 --quiet >"$TMP/out" ||
    fail "empty payloads on $np ranks: exit $?"
  expect_text "$TMP/out" "results 500 expected 500" "empty payloads on $np ranks"
done
pass "empty payloads and results"

mpi 4 "$TESTAPP" --tasks 2 --quiet >"$TMP/out" || fail "more ranks than tasks: exit $?"
expect_text "$TMP/out" "results 2 expected 2" "more ranks than tasks"
pass "4 ranks, 2 tasks"

"$TESTAPP" --tasks 300 --depth 1 --branch 2 --quiet >"$TMP/out" || fail "one process: exit $?"
expect_text "$TMP/out" "results 900 expected 900" "one process without mpirun"
pass "one process without mpirun"

expect_status 1 "failing task, 1 process" "$TESTAPP" --tasks 50 --fail-id 17
expect_text "$TMP/err" "task 17 failed" "failing task named"
expect_status 1 "failing task, 3 ranks" mpi 3 "$TESTAPP" --tasks 50 --fail-id 17
expect_text "$TMP/err" "task 17 failed on rank" "failing task named with its rank"
pass "a failing task fails the run and is named"

expect_status 1 "worker_init fails, 3 ranks" mpi 3 "$TESTAPP" --tasks 20 --fail-init
expect_text "$TMP/err" "worker_init failed" "worker_init failure named"
expect_status 1 "worker_init fails, 1 process" "$TESTAPP" --tasks 20 --fail-init
expect_text "$TMP/err" "worker_init failed" "worker_init failure named"
expect_status 1 "worker_fini fails, 3 ranks" mpi 3 "$TESTAPP" --tasks 20 --fail-fini
expect_text "$TMP/err" "worker_fini failed" "worker_fini failure named"
expect_text "$TMP/out" "results 20 expected 20" "results before a failing worker_fini"
pass "failing worker_init and worker_fini fail the run and are named"

# A task whose children would not fit in one message: a clear error, no hang.
expect_status 1 "children over 512 MiB" \
  mpi 2 "$TESTAPP" --tasks 1 --depth 1 --branch 520 --child-payload 1M --quiet
expect_text "$TMP/err" "the children of task 0 would exceed 512 MiB in all" "spawn limit named"
pass "children over 512 MiB in all are refused"
