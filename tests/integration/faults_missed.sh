#!/bin/sh
# The fault tests count the faults they really caused: when every kill comes
# too late (TF_KILL_DELAY past the end of each run, so the kill finds
# nothing), kill_job.sh and kill_workers.sh fail and say how many runs were
# really interrupted, instead of passing without having killed anything.
. "$(dirname "$0")/lib.sh"
set -e

# missed TEST WANT: run tests/integration/TEST with 2 runs whose kills all
# miss; it must exit 1 and print WANT.
missed() {
  set +e
  TF_KILL_RUNS=2 TF_KILL_DELAY=60 timeout -k 5 200 sh "$here/$1" >"$TMP/out" 2>"$TMP/err"
  st=$?
  set -e
  [ $st = 1 ] || { cat "$TMP/out" "$TMP/err" >&2; fail "$1 with kills that miss: exit status $st, not 1"; }
  expect_text "$TMP/out" "$2" "$1 counts what it killed"
  echo "$1 with every kill too late: $(grep -h '^FAIL' "$TMP/err")"
}
missed kill_job.sh "runs really interrupted by the kill: 0 of 2"
missed kill_workers.sh "kills that found their victim alive: 0 of 2 runs"
pass "kill_job.sh and kill_workers.sh fail when their kills hit nothing"
