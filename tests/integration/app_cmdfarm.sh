#!/bin/sh
# taskfarm-cmdfarm: comments and blank lines skipped with line numbers kept; exact counts and the
# failed lines named; output in line order, byte for byte (1 MiB), cut with a marker at
# --max-output; stdout and the summary table identical on 1, 2 and 4 ranks; --output-dir with
# binary output; --timeout killing a sleep; --retries rescuing a flaky command; --journal reruns
# only what failed, resumes for a renamed FILE and refuses an edited one; a command over the
# argument limit named as such; --fail-fast still writes the table; bad input (a FIFO or a device
# as FILE, an unwritable --summary) exits 2, an empty FILE 0; --halt soon journals the command
# running and a rerun runs the rest.
. "$(dirname "$0")/lib.sh"
set -e
CMDFARM=$top_builddir/taskfarm-cmdfarm
lines() { sed -n 's/^\[line \([0-9]*\)\] .*/\1/p' "$1" | uniq | tr '\n' ' '; }

# Lines 1, 3 and 4 are not commands; 5 and 7 fail; 6, 10 and 12 take uneven time; 8 prints 1 MiB
# (kept whole at the default --max-output 1M), 11 prints 1.5 MB (cut).
cat >"$TMP/cmds" <<'EOF'
# a comment: not a command, but it counts as line 1
echo one

   # an indented comment
exit 3
sleep 0.03; echo slow
false
yes 0123456 | head -c 1048576
echo err-text >&2; echo out-text
sleep 0.01; echo "x$TASKFARM_LINE"
yes abc | head -c 1500000
sleep 0.02; echo done; echo done-err >&2
EOF
for np in 1 2 4; do
  expect_status 1 "commands on $np ranks" mpi $np "$CMDFARM" "$TMP/cmds" --summary "$TMP/sum$np"
  mv "$TMP/out" "$TMP/out$np"
  expect_text "$TMP/err" "cmdfarm: 9 commands: 7 succeeded, 2 failed: lines 5 7" "counts, $np"
  expect_text "$TMP/err" "line 5 (task 1) failed on rank" "the exit status named ($np ranks)"
  expect_text "$TMP/err" "exit status 3 after" "the exit status named ($np ranks)"
  expect_text "$TMP/err" "[line 9] err-text" "stderr of a command ($np ranks)"
  expect_text "$TMP/err" "[line 12] done-err" "stderr of a command ($np ranks)"
  cut -f1,2,3,6 "$TMP/sum$np" >"$TMP/table$np"
done
[ "$(lines "$TMP/out1")" = "2 6 8 9 10 11 12 " ] ||
  fail "stdout not in line order: $(lines "$TMP/out1")"
grep -q '^\[line 10\] x10$' "$TMP/out1" || fail "TASKFARM_LINE not set"
yes 0123456 | head -c 1048576 >"$TMP/want"
sed -n 's/^\[line 8\] //p' "$TMP/out1" | cmp -s - "$TMP/want" || fail "1 MiB of output changed"
expect_text "$TMP/out1" "[line 11] [cmdfarm: output cut: 1048576 of 1500000 bytes shown" "marker"
[ "$(grep -c '^\[line 11\] abc$' "$TMP/out1")" = 262144 ] || fail "the cut output is not 1 MiB"
cat >"$TMP/want" <<'EOF'
line	status	exit	command
2	ok	0	echo one
5	failed	3	exit 3
6	ok	0	sleep 0.03; echo slow
7	failed	1	false
8	ok	0	yes 0123456 | head -c 1048576
9	ok	0	echo err-text >&2; echo out-text
10	ok	0	sleep 0.01; echo "x$TASKFARM_LINE"
11	ok	0	yes abc | head -c 1500000
12	ok	0	sleep 0.02; echo done; echo done-err >&2
EOF
for np in 1 2 4; do
  cmp -s "$TMP/want" "$TMP/table$np" ||
    { diff "$TMP/want" "$TMP/table$np" >&2; fail "table on $np ranks"; }
  cmp -s "$TMP/out1" "$TMP/out$np" || fail "stdout on $np ranks differs from 1 rank"
done
awk -F'\t' 'NR > 1 && $2 == "ok" && ($4 !~ /^[0-9]+\.[0-9][0-9][0-9]$/ || $5 == "-") { exit 1 }
  NR > 1 && $2 == "ok" && $1 == 6 && $4 < 0.03 { exit 1 }' "$TMP/sum4" || fail "seconds or node"
pass "9 commands on 1, 2 and 4 ranks: same stdout, same table, lines 5 and 7 failed"

# --output-dir: the workers write binary output byte for byte, also of a failed command;
# --timeout kills a sleep (and the output it wrote before stays). FILE after the options.
head -c 300000 /dev/urandom >"$TMP/rand"
cat >"$TMP/cmds2" <<EOF
cat "$TMP/rand"; cat "$TMP/rand" >&2
cat "$TMP/rand"; exit 4
echo before; sleep 97.5
EOF
start=$(date +%s)
expect_status 1 "--output-dir and --timeout" mpi 3 "$CMDFARM" --output-dir "$TMP/o/d" --timeout 1 \
  "$TMP/cmds2"
[ $(($(date +%s) - start)) -lt 10 ] || fail "--timeout 1 did not stop sleep 97.5 in time"
expect_text "$TMP/err" "3 commands: 1 succeeded, 2 failed: lines 2 3" "counts"
expect_text "$TMP/err" "timed out (--timeout 1), killed" "the timeout named"
cmp -s "$TMP/rand" "$TMP/o/d/1.out" && cmp -s "$TMP/rand" "$TMP/o/d/1.err" || fail "1.out, 1.err"
cmp -s "$TMP/rand" "$TMP/o/d/2.out" || fail "the output of a failed command"
[ "$(cat "$TMP/o/d/3.out")" = before ] || fail "output before the timeout"
[ ! -s "$TMP/out" ] || fail "stdout with --output-dir"
[ -z "$(ls -A "$TMP/o/d" | grep '^\.')" ] || fail "temporary files left in the output dir"
# No process runs "sleep 97.5" any more (read from /proc: no procps needed).
for f in /proc/[0-9]*/cmdline; do
  [ "$({ tr '\0' ' ' <"$f"; } 2>/dev/null)" != "sleep 97.5 " ] || fail "sleep 97.5 still runs"
done
pass "--output-dir keeps binary output; --timeout kills the command"

# --retries: a command that fails the first time (a marker file) succeeds on its second run; one
# that always fails is tried twice.
cat >"$TMP/cmds3" <<EOF
test -e "$TMP/marker" || { touch "$TMP/marker"; exit 1; }
echo "attempt \$TASKFARM_ATTEMPT"; exit 5
EOF
expect_status 1 "--retries 1" mpi 3 "$CMDFARM" "$TMP/cmds3" --retries 1 --summary "$TMP/sum"
expect_text "$TMP/err" "2 commands: 1 succeeded, 1 failed: line 2" "the flaky one succeeded"
expect_text "$TMP/err" "line 1 (task 0) failed on rank" "its first run failed"
# the output of a run tried again goes with its failure message; that of the last run, failed
# for good, is printed by the master in its turn, on stdout
expect_text "$TMP/err" "[line 2] attempt 0" "the first run of line 2"
expect_text "$TMP/out" "[line 2] attempt 1" "the second run of line 2"
grep -qx "\[line 2\] attempt 1" "$TMP/err" && fail "the last run's output went to stderr"
[ "$(cut -f1,2 "$TMP/sum" | tr '\t\n' ': ')" = "line:status 1:ok 2:failed " ] || fail "table"
pass "--retries runs a flaky command again"

# --journal: a rerun skips what succeeded (each appends to a log: once each), runs what failed;
# an edited FILE is refused and the journal left as it was.
printf 'echo a >>"%s"\necho b >>"%s"; test -e "%s"\necho c >>"%s"\n' "$TMP/log" "$TMP/log" \
  "$TMP/flag" "$TMP/log" >"$TMP/cmds4"
expect_status 1 "journaled run" mpi 2 "$CMDFARM" "$TMP/cmds4" --journal "$TMP/j"
expect_text "$TMP/err" "3 commands: 2 succeeded, 1 failed: line 2" "first run"
touch "$TMP/flag"
expect_status 0 "rerun" mpi 3 "$CMDFARM" "$TMP/cmds4" --journal "$TMP/j" --summary "$TMP/sum"
expect_text "$TMP/err" "2 of the results were read back" "results read back"
expect_text "$TMP/err" "3 commands: 3 succeeded" "all done"
[ "$(sort "$TMP/log" | tr '\n' ' ')" = "a b b c " ] || fail "log: $(sort "$TMP/log" | tr '\n' ' ')"
[ "$(cut -f2 "$TMP/sum" | tr '\n' ' ')" = "status ok ok ok " ] || fail "table after the rerun"
# The same commands under another name and path, with another --timeout and --summary: the
# journal's fingerprint covers FILE's bytes, not its name, nor the run options.
mkdir "$TMP/elsewhere"
cp "$TMP/cmds4" "$TMP/elsewhere/renamed"
expect_status 0 "FILE renamed" mpi 2 "$CMDFARM" --timeout 50 --summary "$TMP/sum2" \
  --journal "$TMP/j" "$TMP/elsewhere/renamed"
expect_text "$TMP/err" "3 of the results were read back" "the renamed FILE resumes the journal"
[ "$(wc -l <"$TMP/log")" = 4 ] || fail "a command ran again for a renamed FILE"
sum_before=$(cksum <"$TMP/j")
echo "# edited" >>"$TMP/cmds4"
expect_status 1 "edited FILE" mpi 2 "$CMDFARM" "$TMP/cmds4" --journal "$TMP/j"
expect_text "$TMP/err" "(journal: commands-digest=" "the digest named"
[ "$(cksum <"$TMP/j")" = "$sum_before" ] || fail "the journal was modified"
[ "$(wc -l <"$TMP/log")" = 4 ] || fail "a command ran with a refused journal"
pass "--journal: a rerun runs only the failed command; a renamed FILE resumes, an edited one is refused"

# A command over the argument limit (execve's E2BIG: Linux takes 128 KiB in one argument) is
# reported as such, not as "exit status 127"; the other commands run.
awk 'BEGIN { s = "echo "; for (i = 0; i < 200000; i++) s = s "A"; print s; print "echo small" }' \
  >"$TMP/big"
expect_status 1 "a command over the argument limit" mpi 2 "$CMDFARM" "$TMP/big"
expect_text "$TMP/err" "line 1 (task 0) failed on rank 1" "the line named"
expect_text "$TMP/err" "the command (200005 bytes) is longer than the system's argument limit (ARG_MAX" \
  "the argument limit named"
grep -q "exit status 127" "$TMP/err" && fail "the argument limit reported as exit status 127"
expect_text "$TMP/out" "[line 2] small" "the other command ran"
pass "a command over the argument limit is named as such"

# --fail-fast while another command still runs: the run ends (the worker in the long command
# never answers, so the job is aborted); the output held back, the table and the report are
# written before that, with the commands that have no result "not done".
printf 'sleep 0.3; exit 3\nsleep 40\necho never\n' >"$TMP/cmds5"
expect_status 1 "--fail-fast with a command running" mpi 3 "$CMDFARM" "$TMP/cmds5" --fail-fast \
  --summary "$TMP/sum5"
[ -f "$TMP/sum5" ] || { cat "$TMP/err" >&2; fail "no --summary after --fail-fast"; }
[ "$(cut -f1,2,3 "$TMP/sum5" | tr '\t\n' ':,')" = "line:status:exit,1:failed:3,2:not-done:-,3:not-done:-," ] ||
  fail "table after --fail-fast: $(cut -f1,2,3 "$TMP/sum5" | tr '\t\n' ':,')"
expect_text "$TMP/err" "3 commands: 0 succeeded, 1 failed: line 1, 2 did not finish: lines 2 3" "the report"
pass "--fail-fast: the table and the report are written before the job ends"

# A --summary that cannot be written is refused before any command runs.
expect_status 2 "unwritable --summary" mpi 2 "$CMDFARM" "$TMP/cmds3" --summary "$TMP/no/such/sum"
expect_text "$TMP/err" "--summary $TMP/no/such/sum: cannot create a file in $TMP/no/such" \
  "the summary named"
pass "an unwritable --summary exits 2 at the start"

# Bad input.
expect_status 2 "missing FILE" "$CMDFARM" "$TMP/nosuch"
expect_text "$TMP/err" "cannot open $TMP/nosuch" "the file named"
expect_status 2 "missing FILE, 2 ranks" mpi 2 "$CMDFARM" "$TMP/nosuch"
expect_status 2 "no FILE" "$CMDFARM" --quiet
expect_text "$TMP/err" "no command FILE given" "no FILE"
expect_status 2 "unknown option" "$CMDFARM" "$TMP/cmds" --bogus
expect_text "$TMP/err" "unknown option '--bogus'" "the option named"
printf '\n  # nothing\n\n' >"$TMP/empty"
expect_status 0 "empty FILE" "$CMDFARM" "$TMP/empty"
expect_text "$TMP/err" "has no commands (3 lines, blank or comments): nothing to do" "empty"
# Not a regular file: a FIFO would block every rank for ever, /dev/zero never ends.
mkfifo "$TMP/fifo"
for f in "$TMP/fifo" /dev/zero "$TMP/o"; do
  expect_status 2 "FILE $f" timeout -k 5 30 "$CMDFARM" "$f"
  expect_text "$TMP/err" "$f is a" "$f named"
  expect_text "$TMP/err" "not a regular file" "$f refused"
done
expect_status 2 "FILE a FIFO, 2 ranks" timeout -k 5 60 "$MPIRUN" --oversubscribe -np "$(ranks_for 2)" "$CMDFARM" \
  "$TMP/fifo"
pass "a missing FILE, no FILE, an unknown option, a FIFO or a device exit 2; an empty FILE exits 0"

# FILE is the app's one operand: anywhere among the options, after "--" even when it starts
# with a dash; two of them, or FILE and --commands, are refused naming both.
printf 'echo one\necho two\n' >"$TMP/-dash"
cp "$TMP/-dash" "$TMP/plain"
(cd "$TMP" && "$CMDFARM" --quiet -- -dash) >"$TMP/out1" 2>"$TMP/err" ||
  { cat "$TMP/err" >&2; fail "FILE after --"; }
(cd "$TMP" && expect_status 2 "-dash without --" "$CMDFARM" -dash)
expect_text "$TMP/err" "unknown option '-dash' (options start with --; an operand that starts with - goes after --)" \
  "a dash operand without -- refused"
"$CMDFARM" "$TMP/plain" --quiet >"$TMP/out2" 2>"$TMP/err" || fail "FILE first"
expect_text "$TMP/out2" "[line 2] two" "the commands ran"
cmp -s "$TMP/out1" "$TMP/out2" || fail "FILE after -- ran something else"
expect_status 2 "two FILEs" "$CMDFARM" "$TMP/cmds3" --quiet "$TMP/cmds"
expect_text "$TMP/err" "too many operands: 2 given, at most 1" "two FILEs refused"
expect_text "$TMP/err" "'$TMP/cmds' is one too many" "the extra one named"
expect_status 2 "FILE and --commands" "$CMDFARM" "$TMP/cmds3" --commands "$TMP/cmds"
expect_text "$TMP/err" "two command files: --commands $TMP/cmds and $TMP/cmds3" "both named"
"$CMDFARM" --help >"$TMP/out" || fail "--help"
expect_text "$TMP/out" "Usage: taskfarm-cmdfarm [OPTIONS] FILE" "--help shows the operand"
pass "FILE is an operand: anywhere, after --, one only"

# --halt soon,fail=1 with a FILE and --journal: line 1 fails (its first time), line 2, running
# then, ends and is journaled, lines 3 and 4 never start; the same command line again runs
# lines 1, 3 and 4 only.
cat >"$TMP/halt.txt" <<EOC
if [ -e $TMP/halt.flag ]; then echo 1 >>$TMP/halt.log; else touch $TMP/halt.flag; sleep 1; exit 2; fi
sleep 2; echo 2 >>$TMP/halt.log
echo 3 >>$TMP/halt.log
echo 4 >>$TMP/halt.log
EOC
expect_status 1 "--halt soon,fail=1" mpi 3 "$CMDFARM" "$TMP/halt.txt" --halt soon,fail=1 --journal "$TMP/halt.j"
[ "$(cat "$TMP/halt.log")" = 2 ] || fail "--halt soon: ran $(tr '\n' ' ' <"$TMP/halt.log"), not line 2 alone"
expect_text "$TMP/err" "cmdfarm: --halt soon,fail=1: 1 of 4 lines failed (the last: line 1); starting no more" "the halt said"
expect_text "$TMP/err" "1 failed: line 1, 2 did not finish: lines 3 4" "lines 3 and 4 not done"
expect_status 0 "rerun after --halt" mpi 3 "$CMDFARM" "$TMP/halt.txt" --halt soon,fail=1 --journal "$TMP/halt.j"
[ "$(sort "$TMP/halt.log" | tr '\n' ' ')" = "1 2 3 4 " ] ||
  fail "the rerun after --halt ran $(tr '\n' ' ' <"$TMP/halt.log"): line 2 twice, or one missing"
pass "--halt soon with --journal: the command running is journaled, a rerun runs the rest"
