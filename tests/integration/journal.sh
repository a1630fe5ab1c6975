#!/bin/sh
# The journal: a resumed run gives byte-identical output, on any rank count;
# a journal that cannot be trusted is refused and left as it is; a torn tail
# is cut off with a warning.
. "$(dirname "$0")/lib.sh"
set -e
J=$TMP/run.journal
# Spawned tasks too: 150 roots, each a tree of 1 + 3 + 9 tasks.
ARGS="--tasks 150 --depth 2 --branch 3 --result-payload 24 --child-payload 40"
mpi 3 "$TESTAPP" $ARGS >"$TMP/ref" 2>"$TMP/err" || { cat "$TMP/err" >&2; fail "reference run"; }
expect_text "$TMP/ref" "results 1950 expected 1950" "reference run complete"

for np in 1 3; do
  rm -f "$J"
  mpi $np "$TESTAPP" $ARGS --journal "$J" >"$TMP/out" 2>"$TMP/err" ||
    { cat "$TMP/err" >&2; fail "journaled run on $np ranks"; }
  cmp -s "$TMP/ref" "$TMP/out" || fail "a journaled run on $np ranks changed the output"
  [ -s "$J" ] || fail "no journal written on $np ranks"
done
pass "runs with --journal give the same output on 1 and 3 ranks"

# Resuming a complete journal runs nothing and prints the same answer.
for np in 1 2 4; do
  mpi $np "$TESTAPP" $ARGS --journal "$J" --resume >"$TMP/out" 2>"$TMP/err" ||
    { cat "$TMP/err" >&2; fail "resume of a complete journal on $np ranks"; }
  cmp -s "$TMP/ref" "$TMP/out" || fail "resume on $np ranks changed the output"
  expect_text "$TMP/err" "1950 of the results were read back" "every result read back ($np ranks)"
done
pass "a complete journal resumes to the same output on 1, 2 and 4 ranks"

# The same options spelled otherwise (1.5e2, 24B, an explicit default, another order) are the same
# run: the journal resumes.
mpi 2 "$TESTAPP" --child-payload=40 --result-payload 24B --branch=3 --sleep-us 0 --depth 2 \
  --tasks 1.5e2 --journal "$J" --resume >"$TMP/out" 2>"$TMP/err" ||
  { cat "$TMP/err" >&2; fail "resume with the options spelled otherwise"; }
cmp -s "$TMP/ref" "$TMP/out" || fail "resume with the options spelled otherwise changed the output"
expect_text "$TMP/err" "1950 of the results were read back" "every result read back (respelled)"
pass "a journal resumes with the same options spelled otherwise"

sum_before=$(cksum <"$J")
unchanged() { [ "$(cksum <"$J")" = "$sum_before" ] || fail "$1: the journal was modified"; }

expect_status 1 "journal exists, no --resume" mpi 2 "$TESTAPP" $ARGS --journal "$J"
expect_text "$TMP/err" "already exists" "an existing journal is named"
expect_text "$TMP/err" "pass --resume" "and the way out"
unchanged "journal exists without --resume"

expect_status 1 "journal from other options" mpi 2 "$TESTAPP" --tasks 151 --depth 2 --branch 3 \
  --result-payload 24 --child-payload 40 --journal "$J" --resume
expect_text "$TMP/err" "written by another app or with other options (journal: --tasks=150; this run: --tasks=151)" \
  "the option that differs named"
unchanged "journal from other options"
pass "a journal from other options, or without --resume, is refused and left as it is"

# Damage in the middle: an error naming the offset, the file untouched.
cp "$J" "$TMP/whole"
size=$(wc -c <"$J")
printf '\377' | dd of="$J" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
sum_before=$(cksum <"$J")
expect_status 1 "damaged journal" mpi 2 "$TESTAPP" $ARGS --journal "$J" --resume
expect_text "$TMP/err" "journal damaged at byte" "damage named with its offset"
expect_text "$TMP/err" "it is left as it is" "and left alone"
unchanged "damaged journal"
pass "damage in the middle of a journal is an error naming the offset"

# Torn tails (a run killed while writing): cut off, the rest resumed. A cut must fall strictly
# inside a record, never on a boundary (there nothing is torn), so the records are walked
# (journal.h: header length at byte 12; each record 12 bytes and a body whose length is at
# byte 4 of the record) and each cut is placed inside the record that holds a fraction of the
# file: in its record header (start + 5), in its body (start + 12 + body/2), in its last byte.
# records_at F: "start end" of every record of journal F, one per line.
records_at() {
  od -An -v -tu1 "$1" | awk '
    { for (i = 1; i <= NF; i++) b[n++] = $i }
    function u32(o) { return b[o] + 256 * (b[o + 1] + 256 * (b[o + 2] + 256 * b[o + 3])) }
    END {
      o = u32(12)
      while (o + 12 <= n) { e = o + 12 + u32(o + 4); print o, e; o = e }
      if (o != n) { print "the records do not end at the end of the file", o, n > "/dev/stderr"; exit 1 }
    }'
}
records_at "$TMP/whole" >"$TMP/records" || fail "walking the journal's records"
# inside F PART: a cut point inside the record that holds byte F of the file (PART: head, body, end).
inside() {
  awk -v f="$1" -v part="$2" '$1 <= f && f < $2 {
      if (part == "head") print $1 + 5; else if (part == "body") print $1 + 12 + int(($2 - $1 - 12) / 2);
      else print $2 - 1
      found = 1; exit }
    END { if (!found) exit 1 }' "$TMP/records"
}
cuts="10 31 $((size - 1)) $(inside $((size - 37)) head) $(inside $((size * 2 / 3)) body)"
cuts="$cuts $(inside $((size / 5)) head) $(inside $((size / 2)) end)"
[ "$(echo $cuts | wc -w)" = 7 ] || fail "no record found for a cut point ($cuts)"
for cut in $cuts; do
  awk -v c="$cut" '$1 < c && c < $2 { found = 1 } END { exit !found }' "$TMP/records" ||
    [ "$cut" -lt 32 ] || fail "cut point $cut is not inside a record"
  cp "$TMP/whole" "$J"
  truncate -s "$cut" "$J"
  mpi 3 "$TESTAPP" $ARGS --journal "$J" --resume >"$TMP/out" 2>"$TMP/err" ||
    { cat "$TMP/err" >&2; fail "resume after cutting the journal to $cut bytes"; }
  cmp -s "$TMP/ref" "$TMP/out" || fail "resume from a journal cut to $cut bytes changed the output"
  if [ "$cut" -lt 32 ]; then
    expect_text "$TMP/err" "holds only the start of a header" "torn header at $cut bytes"
  else
    expect_text "$TMP/err" "cutting off a torn last record" "torn record at $cut bytes"
  fi
  # The journal is whole again: one more resume reads everything back.
  mpi 2 "$TESTAPP" $ARGS --journal "$J" --resume >"$TMP/out" 2>"$TMP/err" || fail "second resume"
  expect_text "$TMP/err" "1950 of the results were read back" "journal mended after a cut at $cut"
done
pass "torn journals are cut back and resumed to byte-identical output"

# An empty journal file (killed before the header was written) starts over.
: >"$J"
mpi 2 "$TESTAPP" $ARGS --journal "$J" --resume >"$TMP/out" 2>"$TMP/err" ||
  { cat "$TMP/err" >&2; fail "resume from an empty journal"; }
cmp -s "$TMP/ref" "$TMP/out" || fail "resume from an empty journal changed the output"
# --resume with no journal yet (a batch script's first run) starts too.
rm -f "$J"
mpi 2 "$TESTAPP" $ARGS --journal "$J" --resume >"$TMP/out" 2>"$TMP/err" ||
  { cat "$TMP/err" >&2; fail "resume with no journal yet"; }
cmp -s "$TMP/ref" "$TMP/out" || fail "resume with no journal yet changed the output"
pass "an empty or missing journal with --resume starts from the beginning"

echo "these are not the bytes of a journal" >"$TMP/text"
expect_status 1 "not a journal" mpi 2 "$TESTAPP" $ARGS --journal "$TMP/text" --resume
expect_text "$TMP/err" "not a taskfarm journal" "wrong file named"
expect_status 2 "--resume alone" "$TESTAPP" --resume
expect_text "$TMP/err" "--resume needs --journal FILE" "--resume without --journal"
expect_status 1 "journal in a missing directory" "$TESTAPP" --journal "$TMP/nowhere/j"
expect_text "$TMP/err" "$TMP/nowhere/j" "the path is named"
pass "bad journal arguments are refused with the reason"

# Not a regular file: a device that never ends (/dev/zero) or swallows everything (/dev/full), a
# FIFO that would block, a directory: refused at once, naming what it is, nothing read or run.
mkfifo "$TMP/fifo"
mkdir "$TMP/jdir"
# The memory bound: an address-space limit, except in a build with AddressSanitizer, which
# reserves terabytes of address space for its shadow and cannot start under one; there the
# sanitizer's own limit on resident memory does the same job.
if grep -q -- '-fsanitize=address' "$top_builddir/Makefile"; then
  memcap='export ASAN_OPTIONS="${ASAN_OPTIONS:-}:hard_rss_limit_mb=4000"'
else
  memcap='ulimit -v 4000000'
fi
for p in /dev/zero /dev/full "$TMP/fifo" "$TMP/jdir"; do
  for resume in "" --resume; do
    rm -f "$TMP/started"
    # Bounded in time (SIGKILL too: a run blocked in open ignores SIGTERM) and in memory (an
    # endless read must not take the machine with it).
    expect_status 1 "--journal $p $resume" sh -c "$memcap"'; exec "$@"' sh \
      timeout -k 5 30 "$TESTAPP" --tasks 5 --started "$TMP/started" --journal "$p" $resume
    expect_text "$TMP/err" "journal $p is a" "$p named"
    expect_text "$TMP/err" "not a regular file" "$p refused as not a regular file"
    [ ! -e "$TMP/started" ] || fail "tasks ran with --journal $p"
  done
done
[ -p "$TMP/fifo" ] && [ -d "$TMP/jdir" ] || fail "the FIFO or the directory was replaced"
pass "a device, a FIFO or a directory as the journal is refused at once"
