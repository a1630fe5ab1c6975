#!/bin/sh
# The files the library writes (--stats, --trace, --timeline, --status-file): one that cannot be
# made fails the run at the start (exit 2, no task run); a link at the final name is replaced,
# its target untouched; no predictable FILE.tmp is used; a write that fails half way (a full
# disk, here a file size limit) leaves the old file, not half a new one.
. "$(dirname "$0")/lib.sh"
set -e
ARGS="--tasks 200 --quiet"

for opt in --stats --trace --timeline --status-file; do
  rm -f "$TMP/started"
  expect_status 2 "$opt in a missing directory" mpi 2 "$TESTAPP" $ARGS --started "$TMP/started" \
    $opt "$TMP/no/such/dir/f"
  expect_text "$TMP/err" "$opt $TMP/no/such/dir/f: cannot create a file in $TMP/no/such/dir" \
    "$opt: the option, the file and the cause named"
  [ ! -e "$TMP/started" ] || fail "$opt: tasks ran although the file cannot be written"
done
mkdir "$TMP/adir"
expect_status 2 "--stats naming a directory" "$TESTAPP" $ARGS --started "$TMP/started" \
  --stats "$TMP/adir"
expect_text "$TMP/err" "--stats $TMP/adir is a directory" "a directory named"
[ ! -e "$TMP/started" ] || fail "tasks ran although --stats names a directory"
# The status file still says 2 when it is not itself the problem.
expect_status 2 "bad --trace with --status-file" mpi 2 "$TESTAPP" $ARGS --trace "$TMP/no/t.json" \
  --status-file "$TMP/status"
[ "$(cat "$TMP/status")" = 2 ] || fail "status file after a bad --trace: $(cat "$TMP/status")"
pass "an output that cannot be made fails at the start with exit 2 and the cause, nothing run"

# Links at the final names are replaced; their targets stay as they were. A link at FILE.tmp (the
# name the status file was once written through) is left alone too.
rm -f "$TMP/status"
echo precious >"$TMP/precious"
for f in s.json t.json t.svg status status.tmp; do ln -s "$TMP/precious" "$TMP/$f"; done
mpi 2 "$TESTAPP" $ARGS --stats "$TMP/s.json" --trace "$TMP/t.json" --timeline "$TMP/t.svg" \
  --status-file "$TMP/status" >"$TMP/out" 2>"$TMP/err" || { cat "$TMP/err" >&2; fail "run"; }
[ "$(cat "$TMP/precious")" = precious ] || fail "a file was written through a link"
for f in s.json t.json t.svg status; do
  [ -f "$TMP/$f" ] && [ ! -L "$TMP/$f" ] || fail "$f is still a link"
done
[ "$(cat "$TMP/status")" = 0 ] || fail "status file: $(cat "$TMP/status")"
expect_text "$TMP/s.json" '"status": "done"' "stats written"
expect_text "$TMP/t.svg" "</svg>" "timeline written"
[ -L "$TMP/status.tmp" ] || fail "status.tmp was used"
ls -A "$TMP" | grep -q '^\.' && { ls -A "$TMP" >&2; fail "a temporary file was left behind"; }
pass "links at the output names are replaced, never written through; no FILE.tmp"

# A write that fails half way: the trace goes to a 16 KiB file system (a tmpfs in a mount
# namespace of its own), full long before the trace is written. The old trace stays whole, no
# temporary file is left, the cause is named, and the run's own answer still counts.
mkdir "$TMP/small"
cat >"$TMP/full.sh" <<'EOF2'
mount -t tmpfs -o size=16k tmpfs "$1" || exit 77
echo '{"old": true}' >"$1/t.json"
"$2" --tasks 2000 --quiet --trace "$1/t.json" >/dev/null 2>"$3/err"
echo $? >"$3/rc"
cat "$1/t.json" >"$3/t.after"
ls -A "$1" >"$3/ls"
EOF2
set +e
unshare -m sh "$TMP/full.sh" "$TMP/small" "$TESTAPP" "$TMP" 2>"$TMP/unshare.err"
got=$?
set -e
if [ "$got" = 0 ]; then
  [ "$(cat "$TMP/rc")" = 0 ] || { cat "$TMP/err" >&2; fail "run with a failing --trace exited $(cat "$TMP/rc")"; }
  [ "$(cat "$TMP/t.after")" = '{"old": true}' ] || fail "the old trace was not kept whole"
  expect_text "$TMP/err" "--trace $TMP/small/t.json: cannot write it: No space left on device" \
    "the failed write named"
  [ "$(cat "$TMP/ls")" = t.json ] || { cat "$TMP/ls" >&2; fail "a temporary file was left behind"; }
  pass "a write that fails half way (disk full) leaves the old file whole and no temporary file"
else
  echo "not checked: a write to a full disk (cannot mount a small tmpfs: $(cat "$TMP/unshare.err"))"
fi
