#!/bin/sh
# tf_stop: collect or failed ends the run early. SOON hands out nothing more, collects (and
# journals) what the workers run, and ends with the app's status; NOW abandons the tasks in
# flight. finish does not run, master_fini does, and --resume runs the tasks not done. Task 1
# runs long on one worker while the other runs 0 and 2, whatever the order the workers start
# in: when task 2 ends, task 1 is the one in flight.
. "$(dirname "$0")/lib.sh"
set -e
J=$TMP/journal

# SOON from collect: task 1 in flight is waited for and collected, 17 tasks never go out.
expect_status 1 "tf_stop soon" mpi 3 "$TESTAPP" --tasks 20 --prefetch 1 --long-id 1 --long-ms 1500 \
  --stop-at 2 --report-fini --journal "$J"
expect_text "$TMP/out" "master_fini: status -6, 3 results" "the task in flight collected, the status TF_EAPP"
if grep -q "^results" "$TMP/out"; then fail "tf_stop soon: finish ran"; fi
expect_text "$TMP/err" "the app stopped the run (tf_stop, soon): no more tasks go out; waiting for the 1 in flight" "the stop logged"
expect_text "$TMP/err" "stopped by the app (tf_stop): 17 tasks not done: 3 4 5" "the tasks not done named"
# the journal holds the three results: --resume runs the other 17
expect_status 0 "--resume after tf_stop" mpi 3 "$TESTAPP" --tasks 20 --prefetch 1 --long-id 1 --long-ms 1500 \
  --report-fini --journal "$J" --resume
expect_text "$TMP/err" "3 results read back" "the results collected during the wait were journaled"
expect_text "$TMP/out" "results 20 expected 20" "the resumed run completes"
pass "tf_stop soon: the task in flight is collected and journaled, the rest not sent; --resume completes"

# SOON from failed, status 0: the run ends well although a task failed and 17 did not run.
expect_status 0 "tf_stop soon from failed, status 0" mpi 3 "$TESTAPP" --tasks 20 --prefetch 1 \
  --long-id 1 --long-ms 1500 --fail-id 2 --stop-at 2 --stop-ok --report-fini
expect_text "$TMP/out" "master_fini: status 0, 2 results" "tasks 0 and 1 collected, the status 0"
expect_text "$TMP/err" "1 task failed for good: 2" "the failure that stopped the run"
expect_text "$TMP/err" "17 tasks not done" "the tasks not done"
pass "tf_stop from failed, with status 0: exit 0"

# NOW: task 1 (60 s) is abandoned; its worker leaves at once (heartbeats: --worker-timeout).
start=$(date +%s)
expect_status 1 "tf_stop now" mpi 3 "$TESTAPP" --tasks 20 --prefetch 1 --long-id 1 --long-ms 60000 \
  --stop-at 2 --stop-now --report-fini --worker-timeout 10
took=$(($(date +%s) - start))
expect_text "$TMP/out" "master_fini: status -6, 2 results" "tasks 0 and 2 only"
expect_text "$TMP/err" "the app stopped the run (tf_stop, now): the 1 task(s) in flight are abandoned" "the stop logged"
expect_text "$TMP/err" "18 tasks not done: 1 3 4" "the abandoned task is not done"
[ "$took" -lt 30 ] || fail "tf_stop now: the run took $took s: it waited for the task in flight"
pass "tf_stop now: the task in flight is abandoned ($took s)"

# One rank: nothing is in flight, SOON and NOW both stop after the task that called it.
for how in "" --stop-now; do
  expect_status 1 "one rank, tf_stop $how" "$TESTAPP" --tasks 20 --stop-at 3 $how --report-fini
  expect_text "$TMP/out" "master_fini: status -6, 4 results" "one rank: tasks 0 to 3"
  expect_text "$TMP/err" "stopped by the app (tf_stop): 16 tasks not done" "one rank: the rest not done"
done
pass "tf_stop in a one-rank farm"
