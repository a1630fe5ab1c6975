#!/bin/sh
# The journal on a full disk (a 16 KiB tmpfs in a mount namespace of its own): the run fails with
# exit 1 and one clear message naming the journal and the cause, said once however many writes,
# flushes and the close then meet the same error; what fitted is a journal that resumes.
. "$(dirname "$0")/lib.sh"
set -e
command -v unshare >/dev/null 2>&1 || skip "unshare (util-linux) not found"
mkdir "$TMP/small"
# in_small_fs CMD...: run CMD (a shell command line) with a fresh 16 KiB file system at $TMP/small.
in_small_fs() {
  unshare -m sh -c 'mount -t tmpfs -o size=16k tmpfs "$0" || exit 77; eval "$1"' "$TMP/small" "$1"
}
in_small_fs true 2>"$TMP/err" || skip "cannot mount a small tmpfs in a mount namespace: $(cat "$TMP/err")"

ARGS="--tasks 1000 --sleep-us 1000 --result-payload 64"
for ranks in 1 3; do
  run="timeout -k 5 120"
  [ $ranks = 1 ] || run="$run $MPIRUN --oversubscribe --mca mpi_yield_when_idle 1 -np $(ranks_for $ranks)"
  set +e
  in_small_fs "$run \"$TESTAPP\" $ARGS --journal \"$TMP/small/j\" >\"$TMP/out\" 2>\"$TMP/err\";
    echo \$? >\"$TMP/rc\"; cp \"$TMP/small/j\" \"$TMP/j\""
  set -e
  [ "$(cat "$TMP/rc")" = 1 ] || { cat "$TMP/err" >&2; fail "a full journal on $ranks ranks exited $(cat "$TMP/rc")"; }
  expect_text "$TMP/err" "journal $TMP/small/j: write failed after" "the journal named ($ranks ranks)"
  n=$(grep -c "No space left on device" "$TMP/err")
  [ "$n" = 1 ] || { cat "$TMP/err" >&2; fail "the full disk was reported $n times on $ranks ranks"; }
  # What is in the journal (all of it but a torn tail) resumes, on a disk with room.
  mpi 2 "$TESTAPP" $ARGS --journal "$TMP/j" --resume >"$TMP/out" 2>"$TMP/err" ||
    { cat "$TMP/err" >&2; fail "resume of what fitted ($ranks ranks)"; }
  expect_text "$TMP/out" "results 1000 expected 1000" "the resumed run is complete ($ranks ranks)"
done
pass "a journal on a full disk: one message, exit 1, and what fitted resumes"
