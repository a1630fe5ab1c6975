#!/bin/sh
# taskfarm-cmdfarm beside GNU parallel (Debian's `parallel`, from scripts/install-deps.sh), the
# same arguments to both: `parallel -j2 -k --joblog` and cmdfarm on 3 ranks (2 workers). For
# each case stdout must be byte for byte the same, and the job logs the same column by column
# but for the times (Starttime, JobRuntime): ::: products, :::: and -a files, every replacement
# string, quoting, unicode, failures, a signal, large outputs, order under uneven times,
# arguments that are themselves commands, and --halt. --dry-run prints what parallel --dry-run
# prints.
. "$(dirname "$0")/lib.sh"
set -e
CMDFARM=$top_builddir/taskfarm-cmdfarm
command -v parallel >/dev/null 2>&1 || fail "GNU parallel is not installed (scripts/install-deps.sh installs it)"
cd "$TMP"
printf 'one\n\nthree 3\nf.tar.gz\n' >args.txt
printf 'x\ny\n' >more.txt
printf 'echo first; sleep 3; echo second\n' >live.txt

n=0
# same NAME ARGS...: run both with ARGS; stdout and the job logs must agree.
same() {
  name=$1
  shift
  n=$((n + 1))
  set +e
  parallel --will-cite -j2 -k --joblog p.log "$@" >p.out 2>p.err
  ps=$?
  mpi 3 "$CMDFARM" --quiet -k --joblog c.log "$@" >c.out 2>c.err
  cs=$?
  set -e
  [ -s p.out ] || fail "$name: no output at all (a case that shows nothing)"
  cmp -s p.out c.out || { diff p.out c.out | head -20 >&2; cat c.err >&2; fail "$name: stdout differs from GNU parallel's"; }
  # both succeed or both fail (parallel's status is the number of failed jobs, cmdfarm's 1)
  [ "$ps" = 0 ] && [ "$cs" = 0 ] || { [ "$ps" != 0 ] && [ "$cs" = 1 ]; } ||
    { cat c.err >&2; fail "$name: exit status $cs, GNU parallel's $ps"; }
  # the job logs, rows in Seq order (parallel writes them as jobs end), times left out
  head -n 1 p.log >p.head
  head -n 1 c.log | cmp -s p.head - || fail "$name: job log header differs"
  tail -n +2 p.log | sort -n | cut -f 1,2,5,6,7,8,9 >p.rows
  tail -n +2 c.log | cut -f 1,2,5,6,7,8,9 >c.rows
  cmp -s p.rows c.rows || { diff p.rows c.rows >&2; fail "$name: job log differs"; }
  awk -F'\t' 'NR > 1 && ($3 !~ /^[0-9]+\.[0-9][0-9][0-9]$/ || $4 !~ /^ *[0-9]+\.[0-9][0-9][0-9]$/) { exit 1 }' c.log ||
    fail "$name: Starttime or JobRuntime not as parallel writes them"
  echo "same: $name ($(wc -l <p.rows) jobs, $(wc -c <p.out) bytes of output)"
}

same "arguments appended" echo ::: a b c
same "::: product, {1} {2}" echo '{2}-{1}' ::: a b ::: 1 2 3
same ":::: file, empty line" echo 'x{}y' :::: args.txt
same "-a file twice" -a args.txt -a more.txt echo
same "replacement strings" echo '[{}]' '[{.}]' '[{/}]' '[{//}]' '[{/.}]' '{#}' ::: a /a a/ a/b/ .bashrc x.tar.gz dir.d/file a/.b ''
same "numbered replacement strings" echo '{1.}' '{2/}' '{2//}' '{1/.}' ::: a.txt d/b.c ::: /x/y.z w
same "quoting" echo ::: 'a b' "it's" '$HOME' '*' 'a;b' '"q"' 'back\slash' '' 'a  b' '{}'
same "unicode" echo ::: héllo 日本語 'ü ö' '→'
same "failures" ::: 'echo out; exit 3' 'echo ok' 'false' 'echo err >&2; exit 1'
same "a signal" ::: 'echo before; kill -9 $$' 'echo after'
same "large outputs" ::: 'head -c 100000 /dev/zero | tr "\0" a' 'seq 1 20000' 'printf "no newline"'
same "order under uneven times" ::: 'sleep 0.4; echo 1' 'sleep 0.2; echo 2' 'echo 3' 'sleep 0.1; echo 4'
same "command words with their own options" echo -n '{}.' :::: more.txt ::: p q
same "--tag" --tag 'printf "%s\n%s" {1} {2}' ::: a 'b c' ::: 1 2
# --halt: which jobs run must not depend on when the two workers start, so the job that halts
# ends well after both have a job (0.5 s or more), and a job that runs on ends later still.
# now: the job running (2) is killed and leaves no row, 3 and 4 never start.
same "--halt now,fail=1" --halt now,fail=1 ::: 'sleep 0.5; echo a; exit 3' 'sleep 2; echo b' 'echo c' 'echo d'
# soon: after the second failure (job 2, at 1 s) nothing starts; job 3 (from 0.5 s to 2 s) ends.
same "--halt soon,fail=2" --halt soon,fail=2 ::: 'sleep 0.5; echo f1; exit 1' 'sleep 1; echo f2; exit 4' \
  'sleep 1.5; echo long' 'echo never1' 'echo never2'
# success: exit 0 although jobs 1 and 3 (which runs on after the halt) fail.
same "--halt soon,success=1" --halt soon,success=1 ::: 'sleep 0.5; echo x; exit 5' 'sleep 1; echo ok' \
  'sleep 1.5; echo late; exit 3' 'echo never'
# 30% of 6 jobs: the second failure halts.
same "--halt now,fail=30%" --halt now,fail=30% ::: 'sleep 0.5; echo f1; exit 5' 'sleep 1; echo f2; exit 6' \
  'sleep 2; echo long' 'echo n1' 'echo n2' 'echo n3'
[ "$n" -ge 10 ] || fail "only $n cases"
pass "$n cases: stdout byte for byte and the job logs column by column as GNU parallel's"

# Without -k, each job's output as it ends (parallel's --group): the same lines, grouped by job,
# a short job's before a long one's.
parallel --will-cite -j2 echo ::: $(seq 1 30) | sort >p.out
mpi 3 "$CMDFARM" --quiet echo ::: $(seq 1 30) | sort >c.out
cmp -s p.out c.out || fail "without -k: other lines than GNU parallel's"
mpi 3 "$CMDFARM" --quiet ::: 'sleep 1; echo slow' 'echo fast' >c.out
[ "$(cat c.out)" = "fast
slow" ] || fail "without -k the output is not in the order the jobs ended: $(cat c.out)"
pass "without -k, output comes as jobs end, grouped by job"

# --line-buffer: lines as the jobs write them. One worker (parallel -j1): the output is
# deterministic and must be byte for byte parallel's, unfinished last lines included; -k on two
# workers too (the first job live, the others' lines held for their turn); on two workers without
# -k, the same lines (with --tag, each tagged).
lb_jobs="printf 'a1\na2'; sleep 0.2; printf 'x\na3 no newline'|echo b1; echo e1 >&2; printf 'b2\n'|printf 'c1\nc2\n'"
lb_same() { # lb_same NAME JOBS PARALLEL-OPTIONS -- CMDFARM-RANKS: stdout must be parallel's
  name=$1 jobs=$2 popts=$3 np=$4
  old_ifs=$IFS IFS='|'
  set -f
  set -- $jobs
  IFS=$old_ifs
  parallel --will-cite $popts --lb ::: "$@" >p.out 2>p.err || fail "$name: GNU parallel failed"
  if [ "$np" = 1 ]; then
    "$CMDFARM" --quiet $(echo "$popts" | sed 's/-j[0-9]*//') --line-buffer ::: "$@" >c.out 2>c.err
  else
    mpi "$np" "$CMDFARM" --quiet $(echo "$popts" | sed 's/-j[0-9]*//') --line-buffer ::: "$@" >c.out 2>c.err
  fi || { cat c.err >&2; fail "$name: cmdfarm failed"; }
  set +f
}
lb_same "--line-buffer, one worker" "$lb_jobs" -j1 2
cmp -s p.out c.out || { od -c c.out | head >&2; fail "--line-buffer, one worker: stdout differs from GNU parallel's"; }
lb_same "--line-buffer, one rank" "$lb_jobs" -j1 1
cmp -s p.out c.out || { od -c c.out | head >&2; fail "--line-buffer, one rank: stdout differs from GNU parallel's"; }
lb_same "--line-buffer -k" "$lb_jobs" "-j2 -k" 3
cmp -s p.out c.out || { od -c c.out | head >&2; fail "--line-buffer -k: stdout differs from GNU parallel's"; }
lb_same "--line-buffer --tag" "$lb_jobs|echo d1; sleep 0.1; echo d2" "-j2 --tag" 3
sort p.out >p.sorted
sort c.out >c.sorted
cmp -s p.sorted c.sorted || { diff p.sorted c.sorted >&2; fail "--line-buffer --tag: other lines than GNU parallel's"; }
pass "--line-buffer: stdout as GNU parallel's (one worker, one rank, -k), the same lines with --tag"

# A line reaches stdout while its job still runs: the job prints a line, sleeps 3 s, prints
# another; the first must be in the output file within 2.5 s, before the second.
lb_live() { # lb_live NAME CMD...: CMD in the background, its stdout in live.out
  name=$1
  shift
  rm -f live.out
  "$@" >live.out 2>live.err &
  pid=$!
  k=0
  while ! grep -q "first\$" live.out && [ $k -lt 25 ]; do sleep 0.1; k=$((k + 1)); done
  cp live.out seen.out
  wait "$pid" || { cat live.err >&2; fail "$name: the run failed"; }
  grep -q "first\$" seen.out || fail "$name: no line within 2.5 s of the start, while the job ran 3 s"
  if grep -q "second\$" seen.out; then
    fail "$name: the first line came only with the second (at the job's end)"
  fi
  grep -q "second\$" live.out || fail "$name: the second line is missing"
  pass "$name: the first line came while the job ran"
}
lb_live "--line-buffer on 3 ranks" mpi 3 "$CMDFARM" --quiet --line-buffer ::: 'echo first; sleep 3; echo second' 'echo other'
lb_live "--line-buffer on one rank" "$CMDFARM" --quiet --lb ::: 'echo first; sleep 3; echo second'
lb_live "--line-buffer --tag" mpi 2 "$CMDFARM" --quiet --lb --tag ::: 'echo first; sleep 3; echo second'
grep -q "^echo first; sleep 3; echo second	first$" live.out || fail "--line-buffer --tag: the line is not tagged"
lb_live "--line-buffer with a FILE" mpi 2 "$CMDFARM" --quiet --lb "$TMP/live.txt"
grep -q "^\[line 1\] first$" live.out || fail "--line-buffer with a FILE: no [line 1] prefix"

expect_status 2 "--line-buffer with --output-dir" "$CMDFARM" --lb --output-dir out echo ::: a
expect_text "$TMP/err" "--line-buffer and --output-dir do not go together" "the conflict named"
pass "--line-buffer with --output-dir: exit 2 naming the cause"

# --dry-run: the commands, as parallel prints them.
parallel --will-cite -k --dry-run echo '{}' ::: 'a b' "it's" x '' >p.out
"$CMDFARM" --dry-run --quiet echo '{}' ::: 'a b' "it's" x '' >c.out 2>c.err || { cat c.err >&2; fail "--dry-run"; }
cmp -s p.out c.out || { diff p.out c.out >&2; fail "--dry-run differs from parallel's"; }
pass "--dry-run prints the commands as GNU parallel does, and runs none"

# --halt now kills the job running: with heartbeats (--worker-timeout) its worker leaves at once
# and the guardian kills the command's process group, so a 60 s job ends with the run.
set +e
mpi 3 "$CMDFARM" --quiet --worker-timeout 30 --halt now,fail=1 ::: 'sleep 0.5; exit 3' \
  'echo $$ >long.pid; exec sleep 60' >c.out 2>c.err
cs=$?
set -e
[ "$cs" = 1 ] || { cat c.err >&2; fail "--halt now with a 60 s job: exit status $cs, not 1"; }
[ -s long.pid ] || fail "--halt now: the long job never started"
expect_text c.err "told to stop while task 1 still runs" "--halt now: the worker of the job running leaves"
if grep -q "did not stop within" c.err; then fail "--halt now: a worker had to be aborted"; fi
k=0
while tf_running "$(cat long.pid)" && [ $k -lt 50 ]; do sleep 0.1; k=$((k + 1)); done
if tf_running "$(cat long.pid)"; then
  kill -KILL "$(cat long.pid)"
  fail "--halt now: the job running was not killed"
fi
pass "--halt now: the job running is killed"

# Bad arguments: named, exit 2.
expect_status 2 "{3} of two sources" "$CMDFARM" echo '{3}' ::: a ::: b
expect_text "$TMP/err" "{3}: there are only 2 input sources" "the replacement string named"
expect_status 2 "::: at the end" "$CMDFARM" echo :::
expect_text "$TMP/err" "::: with nothing after it" "an empty source named"
expect_status 2 "a missing argument file" "$CMDFARM" echo :::: nosuch.txt
expect_text "$TMP/err" "argument file nosuch.txt: No such file or directory" "the file named"
expect_status 2 "-a and --commands" "$CMDFARM" --commands args.txt -a more.txt echo
expect_text "$TMP/err" "--commands FILE and arguments (:::, ::::, -a) do not go together" "the conflict named"
pass "an unknown source number, an empty :::, a missing file: exit 2 naming the cause"

expect_status 2 "--halt now,fail=0" "$CMDFARM" --halt now,fail=0 echo ::: a
expect_text "$TMP/err" "--halt now,fail=0: the count must be at least 1" "a zero count named"
expect_status 2 "--halt sometimes" "$CMDFARM" --halt sometimes echo ::: a
expect_text "$TMP/err" "--halt sometimes: 'sometimes' is not never, now or soon" "a bad WHEN named"
expect_status 2 "--halt now,fail=abc" "$CMDFARM" --halt now,fail=abc echo ::: a
expect_text "$TMP/err" "--halt now,fail=abc: 'abc' is not a number of commands (N) or a percentage (N%)" "a bad count named"
expect_status 2 "--halt soon,done" "$CMDFARM" --halt soon,done echo ::: a
expect_text "$TMP/err" "--halt soon,done: after soon, give fail=N, success=N or done=N" "a missing count named"
expect_status 2 "--halt 101%" "$CMDFARM" --halt 101% echo ::: a
expect_text "$TMP/err" "--halt 101%: a percentage is at most 100%" "a percentage over 100 named"
expect_status 2 "--halt with --fail-fast" "$CMDFARM" --halt soon,fail=2 --fail-fast echo ::: a
expect_text "$TMP/err" "--halt and --fail-fast do not go together" "the conflict named"
pass "bad --halt values: exit 2 naming the cause"
