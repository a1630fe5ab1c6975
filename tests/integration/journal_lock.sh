#!/bin/sh
# One run owns a journal: a second run on it while the first still runs (a requeued batch job
# while the old one drains) is refused, naming the holder, and changes nothing; the first
# finishes and its journal resumes to the same answer. The lock dies with its holder: after a
# SIGKILL the next run goes on from the journal.
. "$(dirname "$0")/lib.sh"
set -e
J=$TMP/run.journal
ARGS="--tasks 300 --sleep-us 20000 --depth 1 --branch 2"
host=$(hostname)
mpi 3 "$TESTAPP" $ARGS --quiet >"$TMP/ref" 2>"$TMP/err" || { cat "$TMP/err" >&2; fail "reference run"; }

# started FILE PID: wait (up to 60 s) until the run PID has created FILE.
started() {
  i=0
  while [ ! -e "$1" ]; do
    kill -0 "$2" 2>/dev/null || fail "the first run ended before it started"
    i=$((i + 1))
    [ $i -lt 600 ] || fail "the first run did not start within 60 s"
    sleep 0.1
  done
}

# The first run: one rank (so that its pid is the one the lock names), about 3 s of tasks.
"$TESTAPP" $ARGS --quiet --journal "$J" --started "$TMP/started" >"$TMP/first" 2>"$TMP/first.err" &
first=$!
started "$TMP/started" $first
expect_status 1 "a second run on the journal" mpi 2 "$TESTAPP" $ARGS --quiet --journal "$J" --resume
expect_text "$TMP/err" "journal $J is in use by pid $first on $host since " "the holder named"
expect_text "$TMP/err" "wait for it to end or use another --journal" "and what to do"
kill -0 $first 2>/dev/null || fail "the first run did not outlive the second"
wait $first || { cat "$TMP/first.err" >&2; fail "the first run failed"; }
cmp -s "$TMP/ref" "$TMP/first" || fail "the first run's answer changed"
[ ! -e "$J.lock" ] || fail "the lock file was left behind by a run that ended"
mpi 2 "$TESTAPP" $ARGS --quiet --journal "$J" --resume >"$TMP/out" 2>"$TMP/err" ||
  { cat "$TMP/err" >&2; fail "resume of the first run's journal"; }
cmp -s "$TMP/ref" "$TMP/out" || fail "the first run's journal resumed to another answer"
pass "a second run on a journal in use is refused, naming the holder; the first's journal is whole"

# A holder killed with SIGKILL: the lock is gone with it, its lock file stays (stale); the next
# run takes the journal over and completes it.
rm -f "$J" "$TMP/started"
"$TESTAPP" $ARGS --quiet --journal "$J" --started "$TMP/started" >/dev/null 2>&1 &
victim=$!
started "$TMP/started" $victim
sleep 0.5
kill -KILL $victim
wait $victim 2>/dev/null || true
[ -e "$J.lock" ] || fail "no lock file while the killed run held the journal"
mpi 2 "$TESTAPP" $ARGS --journal "$J" --resume >"$TMP/out" 2>"$TMP/err" ||
  { cat "$TMP/err" >&2; fail "a run after the holder was killed"; }
cmp -s "$TMP/ref" "$TMP/out" || fail "the run after the kill gave another answer"
expect_text "$TMP/err" "resuming from journal $J" "it went on from the journal"
pass "the lock of a killed run does not block the next one"
