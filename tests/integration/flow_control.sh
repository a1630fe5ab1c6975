#!/bin/sh
# Flow control by bytes (--max-in-flight): however large the results or the
# tasks, the master holds at most the budget of them, and a worker its share,
# while the answer stays exact. Peak memory (VmHWM) of each rank is compared
# with the same run's small-payload twin, so MPI's own footprint cancels out.
. "$(dirname "$0")/lib.sh"
set -e
# Under AddressSanitizer freed memory sits in a quarantine instead of being
# reused; without it the heap behaves as in a normal build.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0"
MiB=1024

# run NAME ARGS...: the test app on 3 ranks (2 workers; RANKS=N: N ranks); its
# peaks in $NAME.master and $NAME.worker (the largest of the workers'), in kB.
run() {
  name=$1
  shift
  mpi "${RANKS:-3}" "$TESTAPP" --report-rss --quiet "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" ||
    { cat "$TMP/$name.err" >&2; fail "$name: the run failed"; }
  sed -n 's/.*master peak RSS \([0-9]*\) kB.*/\1/p' "$TMP/$name.err" >"$TMP/$name.master"
  sed -n 's/.*worker rank [0-9]* peak RSS \([0-9]*\) kB.*/\1/p' "$TMP/$name.err" |
    sort -n | tail -n 1 >"$TMP/$name.worker"
  [ -s "$TMP/$name.master" ] && [ -s "$TMP/$name.worker" ] || { cat "$TMP/$name.err" >&2; fail "$name: no peak memory reported"; }
}

# within NAME WHO LIMIT_KB WHAT: NAME's peak on WHO grew by at most LIMIT_KB
# over the small-payload run.
within() {
  grown=$(( $(cat "$TMP/$1.$2") - $(cat "$TMP/small.$2") ))
  echo "$1: $2 grew by $((grown / MiB)) MiB (bound $(($3 / MiB)) MiB: $4)"
  [ "$grown" -le "$3" ] || fail "$1: the $2 grew by $grown kB, more than $3 kB ($4)"
}

run small --tasks 300
expect_text "$TMP/small.out" "results 300 expected 300" "small results"

# 300 results of 2 MiB (600 MiB in all) through a 16 MiB budget: the master
# holds at most 16 MiB of them, each worker its 8 MiB share plus the frame it
# is filling and the task's own result.
run results --tasks 300 --result-payload 2M --max-in-flight 16M
expect_text "$TMP/results.out" "results 300 expected 300" "2 MiB results"
within results master $((16 * MiB + 8 * MiB)) "the budget + 8 MiB"
within results worker $((8 * MiB + 3 * 2 * MiB + 8 * MiB)) "the share + 3 results + 8 MiB"

# Results as large as --max-payload, larger than a worker's share: each goes
# alone, and the run neither stalls nor grows.
run huge --tasks 40 --result-payload 8M --max-in-flight 16M
expect_text "$TMP/huge.out" "results 40 expected 40" "8 MiB results"
within huge master $((2 * 8 * MiB + 8 * MiB)) "one result per worker + 8 MiB"

# The same through a relay of 2 workers: the relay's frames keep to its share
# (the group's 16 MiB), so the master holds one frame at a time. A relay that
# took its workers' frames while its own waited for room sent frames of three
# results (24 MiB) when the room came.
RANKS=4 run relayed --relays 3 --tasks 40 --result-payload 8M --max-in-flight 16M
expect_text "$TMP/relayed.out" "results 40 expected 40" "8 MiB results through a relay"
within relayed master $((16 * MiB + 4 * MiB)) "the relay's share + 4 MiB"

# 300 tasks of 1 MiB: queued and handed out, the master holds at most the
# budget of them, besides the TASKS frames on their way (a frame a worker,
# and the send buffers kept for the next ones).
run tasks --tasks 300 --payload 1M --max-in-flight 16M
expect_text "$TMP/tasks.out" "results 300 expected 300" "1 MiB tasks"
within tasks master $((16 * MiB + 12 * MiB)) "the budget + 12 MiB"
within tasks worker $((8 * MiB + 8 * MiB)) "the share + 8 MiB"

# The option is checked like any size.
expect_status 2 "--max-in-flight 1K" "$TESTAPP" --max-in-flight 1K
expect_text "$TMP/err" "--max-in-flight" "the bad value is named"
pass "--max-in-flight bounds the master's and the workers' memory by bytes"
