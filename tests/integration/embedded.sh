#!/bin/sh
# tf_run inside a program that uses MPI itself: two farms on the two halves
# of the world at once, with the program's own traffic on the same tag.
. "$(dirname "$0")/lib.sh"
set -e
for np in 2 4; do
  mpi $np "$top_builddir/tests/apps/tf_embedded" >"$TMP/out" || { cat "$TMP/out" >&2; fail "$np ranks: exit $?"; }
  # sum of k^2 for k = 1..n is n(n+1)(2n+1)/6
  expect_text "$TMP/out" "half 0: rc 0 sum of squares 1..1000 = 333833500, token 12345" "first half"
  expect_text "$TMP/out" "half 1: rc 0 sum of squares 1..2000 = 2668667000, token 12345" "second half"
  pass "$np ranks: two farms side by side"
done

# A program that embeds the farm learns from tf_run_ex that a worker stays inside a task that
# hangs (given up on after --task-timeout on two workers), so that it ends the job with MPI_Abort
# instead of waiting in MPI_Finalize forever; the other 19 tasks are collected.
expect_status 42 "--stuck" mpi 4 "$top_builddir/tests/apps/tf_embedded" --stuck
expect_text "$TMP/out" "stuck: rc -6 lost 0 stuck 1 finalize_unsafe 1 sum 2861" "the report"
pass "a stuck worker is reported to the embedding program"
