#!/bin/sh
# --help lists the app's and the common options; --version; bad options and
# values exit 2 with a message naming them, on one rank and under mpirun.
. "$(dirname "$0")/lib.sh"
set -e
expect_status 0 "--help" "$PI" --help
for o in --samples --tasks --seed --schedule --chunk --prefetch --idle --max-payload --quiet \
  --verbose --help --version; do
  expect_text "$TMP/out" "$o" "--help lists $o"
done
expect_status 0 "--version" "$PI" --version
expect_text "$TMP/out" "taskfarm 0.1.0" "--version"

expect_status 2 "unknown option" "$PI" --bogus
expect_text "$TMP/err" "unknown option '--bogus'" "unknown option named"
expect_status 2 "bad integer" "$PI" --samples many
expect_text "$TMP/err" "--samples: 'many' is not an integer" "bad value named"
expect_status 2 "out of range" "$PI" --prefetch 0
expect_text "$TMP/err" "--prefetch: 0 is out of range" "range named"
expect_status 2 "missing value" "$PI" --seed
expect_text "$TMP/err" "--seed needs a value" "missing value named"
expect_status 2 "positional argument" "$PI" 12
expect_text "$TMP/err" "unexpected argument '12'" "positional named"
expect_status 2 "bad size" "$PI" --max-payload 3X
expect_status 2 "unknown schedule" "$PI" --schedule fastest
expect_text "$TMP/err" "--schedule: 'fastest' is not one of static, dynamic, guided, adaptive" "schedule named"
expect_status 2 "unknown idle mode" "$PI" --idle nap
expect_text "$TMP/err" "--idle: 'nap' is not one of backoff, spin, sleep" "idle mode named"
expect_status 2 "chunk over prefetch" "$PI" --chunk 9 --prefetch 8
expect_text "$TMP/err" "--chunk 9 is larger than --prefetch 8" "chunk and prefetch named"
expect_status 2 "bad option under mpirun" mpi 2 "$PI" --bogus
expect_text "$TMP/err" "unknown option '--bogus'" "unknown option named under mpirun"
pass "options"
