#!/bin/sh
# A farm that grows, on a real Slurm (the private cluster of tests/slurm/
# start.sh: two fake nodes of 2 CPUs on this machine):
#  1. grow: a farm job of 1 worker (jobs/slurm/run-app.sbatch tf_testapp,
#     --ntasks 2, TF_ACCEPT_WORKERS=1) starts its name server and says it
#     accepts workers; `sbatch jobs/slurm/join.sbatch NAME` (2 ranks) joins
#     it mid-run; the farm prints the answer of a plain run (every result,
#     the same digest), its summary counts 2 joined workers, they ran tasks
#     (--verbose), the join job ends 0 when told to stop, and the farm's name
#     server and files are gone at the end;
#  2. cut: a second farm gets two join jobs; while it still has work, one is
#     cancelled (scancel) and the other is told to leave (scancel --batch
#     --signal=USR1, as the walltime warning does). The farm finishes with
#     the answer of a plain run, nothing lost or doubled (the exact result
#     count), and its summary counts all 4 joined workers as lost or left.
# Both farms run side by side (about 30 s in all). Every wait is
# bounded; the cluster is stopped and the scratch directory removed on exit
# (TF_KEEP_SLURM=1 keeps it). Skips (77) only when not root or when the
# Slurm packages are missing.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
set -e

slurm_prereqs
command -v ompi-server >/dev/null 2>&1 || fail "ompi-server is missing (package openmpi-bin)"

t0=$(date +%s)
S=$TMP/slurm
W=$TMP/work
mkdir -p "$W"
J=$top_srcdir/jobs

cleanup() {
  bash "$top_srcdir/tests/slurm/stop.sh" "$S" >/dev/null 2>&1
  if [ "${TF_KEEP_SLURM:-0}" = 1 ]; then echo "kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

tf_start_slurm "$S"
pass "local Slurm up: $(sinfo -h -N -o '%N %t' | tr '\n' ' ')"

# --- the problems, and their answers from a plain run (no MPI, no Slurm;
# the tasks' sleep changes the time, not the answer: the digest of every
# result). 1 worker alone needs about 40 s for either; the joins come within
# seconds (10 s under load), and with them the farms end in about 20 s.
"$TESTAPP" --tasks 800 --quiet >"$TMP/grow.ref"
"$TESTAPP" --tasks 1400 --quiet >"$TMP/cut.ref"
GROW="--tasks 800 --sleep-us 100000"
CUT="--tasks 1400 --sleep-us 60000"

# --- the farms, from the work directory (where their files go).
# --worker-timeout 3: the cancelled job's workers are found lost within
# seconds. --oversubscribe: the jobs share the 4 CPUs, so all run at once.
# TF_LAUNCHER_ARGS: each mpirun runs its 2 ranks itself, as it does on a
# real node. Here it would not: the fake nodes' names (tfnode1) are not this
# machine's, so mpirun starts its ranks under a daemon (orted) as on another
# node, and Open MPI 4.1 cannot connect two mpiruns when either has ranks
# under a daemon (the other mpirun crashes: open-mpi/ompi#6818; the scripts
# refuse jobs of more than one node for that reason). Without Slurm's node
# list (ras ^slurm) mpirun takes this machine as the one node.
export TF_LAUNCHER_ARGS="--mca ras ^slurm -np 2"
cd "$W"
sb() { sbatch --parsable --oversubscribe "$@"; }
farm() {
  # shellcheck disable=SC2086 # $2 is a list of words
  sb -J "$1" -N 1 --ntasks-per-node=2 \
    --export=ALL,TF_BIN="$top_builddir/tests/apps",TF_ACCEPT_WORKERS=1,TF_EXIT_GRACE=5 \
    "$J/slurm/run-app.sbatch" tf_testapp $2 --verbose --worker-timeout 3
}
grow=$(farm grow "$GROW")
cut=$(farm cut "$CUT")
for id in "$grow" "$cut"; do
  case $id in '' | *[!0-9]*) fail "a farm's submission failed (job ids: '$grow' '$cut')" ;; esac
done
pass "submitted the farms grow-$grow and cut-$cut (TF_ACCEPT_WORKERS=1)"

ended() {
  case $(slurm_state "$1") in
    COMPLETED | FAILED | CANCELLED | TIMEOUT | NODE_FAIL | OUT_OF_MEMORY | BOOT_FAIL | DEADLINE | PREEMPTED) return 0 ;;
  esac
  return 1
}
showall() {
  for id in $grow $cut $join_grow $join_cut1 $join_cut2; do slurm_show "$id"; done
  echo "--- ls $W" >&2
  ls -l "$W" >&2
}
elapsed() { echo $(($(date +%s) - t0)); }

# --- the run, 150 s at most. Each farm's join jobs go in once it says it
# accepts workers; the cut farm's two are stopped 2 s after both joined.
join_grow='' join_cut1='' join_cut2='' cut_at='' server_pid=''
n=0
while ! ended "$grow" || ! ended "$cut" || { [ -n "$join_grow" ] && ! ended "$join_grow"; } ||
  { [ -n "$join_cut1" ] && ! ended "$join_cut1"; } || { [ -n "$join_cut2" ] && ! ended "$join_cut2"; }; do
  n=$((n + 1))
  if [ $n -gt 300 ]; then
    showall
    fail "the jobs did not end within 150 s"
  fi
  # 1: the grow farm accepts workers: one join job of 2 ranks.
  if [ -z "$join_grow" ] && [ -s "grow-$grow.uri" ] &&
    grep -qF "accepting workers as 'grow-$grow'" "grow-$grow.out" 2>/dev/null; then
    [ -s "grow-$grow.join" ] || { showall; fail "grow: no grow-$grow.join next to grow-$grow.uri"; }
    server_pid=$(cut -d' ' -f1 "grow-$grow.pid")
    tf_running "$server_pid" || { showall; fail "grow: the name server (pid $server_pid) does not run"; }
    join_grow=$(sb -N 1 --ntasks-per-node=2 "$J/slurm/join.sbatch" "grow-$grow")
    echo "grow-$grow accepts workers at $(elapsed) s: join job $join_grow submitted"
  fi
  # 2: the cut farm: two join jobs.
  if [ -z "$join_cut1" ] && [ -s "cut-$cut.uri" ] &&
    grep -qF "accepting workers as 'cut-$cut'" "cut-$cut.out" 2>/dev/null; then
    join_cut1=$(sb -N 1 --ntasks-per-node=2 "$J/slurm/join.sbatch" "cut-$cut")
    join_cut2=$(sb -N 1 --ntasks-per-node=2 "$J/slurm/join.sbatch" "cut-$cut")
    echo "cut-$cut accepts workers at $(elapsed) s: join jobs $join_cut1 and $join_cut2 submitted"
  fi
  if [ -n "$join_cut1" ] && [ -z "$cut_at" ] &&
    [ "$(grep -c "a job of 2 ranks joined" "cut-$cut.out")" -ge 2 ]; then
    sleep 2
    # Still work to do: the farm has not ended.
    grep -qF "taskfarm-job: done" "cut-$cut.out" && { showall; fail "cut: the farm ended before the cancel"; }
    [ "$(slurm_state "$cut")" = RUNNING ] || { showall; fail "cut: the farm's job is $(slurm_state "$cut") before the cancel"; }
    scancel "$join_cut1"
    scancel --batch --signal=USR1 "$join_cut2"
    cut_at=$(elapsed)
    echo "both joined cut-$cut; at $cut_at s: scancel $join_cut1, scancel --batch --signal=USR1 $join_cut2"
  fi
  sleep 0.5
done
echo "every job ended after $(elapsed) s"
[ -n "$join_grow" ] || { showall; fail "grow: the farm never said it accepts workers"; }
[ -n "$cut_at" ] || { showall; fail "cut: the two join jobs never both joined"; }

# --- checks. ok ID DESC: completed with exit code 0; $out its output file.
ok() {
  if [ "$(slurm_state "$1")" != COMPLETED ] || [ "$(slurm_field "$1" ExitCode)" != 0:0 ]; then
    showall
    fail "job $1 ($2): $(slurm_state "$1"), exit code $(slurm_field "$1" ExitCode)"
  fi
  out=$(slurm_field "$1" StdOut)
}
has() { grep -qF -- "$2" "$1" || { showall; fail "$3: '$2' not in $1"; }; }
# answer OUT REF DESC: the app's answer (its "results" line) is the plain run's.
answer() {
  grep '^results ' "$1" >"$TMP/answer" || { showall; fail "$3: no answer in $1"; }
  cmp -s "$2" "$TMP/answer" || { showall; fail "$3: '$(cat "$TMP/answer")', not '$(cat "$2")'"; }
}
# joined_tasks OUT: the tasks the joined workers ran, summed (--verbose lines).
joined_tasks() {
  sed -n 's/.*worker [0-9]* (rank [0-9]*, joined): \([0-9]*\) tasks.*/\1/p' "$1" |
    awk '{ s += $1 } END { print s + 0 }'
}

# 1
ok "$grow" "grow: the farm"
farm_out=$out
answer "$farm_out" "$TMP/grow.ref" "grow"
has "$farm_out" "done: every task succeeded" "grow"
has "$farm_out" "--ompi-server file:$W/grow-$grow.uri" "grow: mpirun's name server"
has "$farm_out" "--accept-workers --service grow-$grow" "grow: the farm's options"
has "$farm_out" "a job of 2 ranks joined: workers 1-2, ranks 2-3 here; 3 workers now" "grow: the join"
has "$farm_out" "2 workers joined in 1 job (ranks 2-3)" "grow: the summary"
jt=$(joined_tasks "$farm_out")
[ "$jt" -gt 0 ] || { showall; fail "grow: the joined workers ran no task"; }
ok "$join_grow" "grow: the join job"
has "$out" "joined the farm 'grow-$grow': workers 1-2 of 3" "grow: the join job"
has "$out" "told to stop by the farm 'grow-$grow'" "grow: the join job"
for f in uri pid join; do
  [ ! -e "grow-$grow.$f" ] || { showall; fail "grow: grow-$grow.$f is still there after the farm"; }
done
if tf_running "$server_pid"; then showall; fail "grow: the name server (pid $server_pid) still runs"; fi
has "$farm_out" "name server (ompi-server, pid $server_pid) stopped" "grow: the name server"
grep -F "workers joined" "$farm_out"
grep -F ", joined)" "$farm_out"
pass "grow: 2 workers joined mid-run and ran $jt of 800 tasks; the answer of a plain run ($(cat "$TMP/grow.ref")); the join job exited 0; the name server and its files are gone"

# 2
ok "$cut" "cut: the farm"
farm_out=$out
answer "$farm_out" "$TMP/cut.ref" "cut"
has "$farm_out" "done: every task succeeded" "cut"
has "$farm_out" "4 workers joined in 2 jobs (ranks 2-5)" "cut: the summary"
left=$(sed -n 's/.*joined in 2 jobs (ranks 2-5); \([0-9]*\) left before the end.*/\1/p' "$farm_out")
lost=$(sed -n 's/^taskfarm:   \([0-9]*\) workers\{0,1\} lost (rank.*/\1/p' "$farm_out")
if [ $((${left:-0} + ${lost:-0})) != 4 ]; then
  showall
  fail "cut: of the 4 joined workers, ${left:-0} left and ${lost:-0} were lost: not 4"
fi
# The job told to leave (SIGUSR1) left and exited 0; the cancelled one was cancelled.
ok "$join_cut2" "cut: the join job told to leave"
has "$out" "got SIGUSR1: passing SIGUSR1 on to mpirun" "cut: the join job told to leave"
has "$out" "left the farm 'cut-$cut'" "cut: the join job told to leave"
[ "$(slurm_state "$join_cut1")" = CANCELLED ] || { showall; fail "cut: job $join_cut1 is $(slurm_state "$join_cut1"), not CANCELLED"; }
grep -F -e "workers joined" -e "lost (rank" -e "left the farm" -e "is lost" "$farm_out"
pass "cut: a join job cancelled and one told to leave at $cut_at s; ${left:-0} workers left, ${lost:-0} lost; every result once, the answer of a plain run ($(cat "$TMP/cut.ref"))"

echo "the test took $(elapsed) s"
