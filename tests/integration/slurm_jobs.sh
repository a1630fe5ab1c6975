#!/bin/sh
# The batch scripts in jobs/ on a real Slurm: a private cluster of two fake
# nodes on this machine (tests/slurm/start.sh), with its Torque wrappers.
#  1. jobs/slurm/run-app.sbatch (srun) and jobs/slurm/nqueens.sbatch (mpirun)
#     give the apps' answers;
#  2. walltime: a job with a 1-minute limit gets SIGUSR1 from Slurm before it,
#     the script passes it on, the farm stops (exit 75), the script requeues
#     the job, and the next run resumes from the journal and completes;
#  3. jobs/pbs/mandelbrot.pbs and jobs/pbs/run-app.pbs through qsub;
#  4. 2-node jobs (-N 2 --ntasks-per-node=2) with mpirun and with srun;
#  5. a worker killed in a 2-node job: --enable-recovery carries the run on.
# All jobs go in at once and run side by side (about 80 s in all, most of it
# the walltime job). Every wait is bounded; the cluster is stopped and the
# scratch directory removed on exit, also when the test fails (TF_KEEP_SLURM=1
# keeps the directory: outputs, journals, daemon logs). Skips (77) only when
# not root or when the Slurm packages are missing.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
set -e

slurm_prereqs

t0=$(date +%s)
S=$TMP/slurm
W=$TMP/work
mkdir -p "$W"
J=$top_srcdir/jobs
BIN=$top_builddir

# On exit: stop the cluster, remove the scratch directory (TF_KEEP_SLURM=1
# keeps it, to read the logs and outputs).
cleanup() {
  bash "$top_srcdir/tests/slurm/stop.sh" "$S" >/dev/null 2>&1 || true
  if [ "${TF_KEEP_SLURM:-0}" = 1 ]; then echo "kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# --- the cluster: 2 nodes, 2 CPUs each
tf_start_slurm "$S"
pass "local Slurm up: $(sinfo -h -N -o '%N %t' | tr '\n' ' ')"

# --- references: the same problems run directly, without a scheduler
"$PI" --samples 4000000 --tasks 300 --seed 7 --quiet >"$TMP/pi.ref"
MB=$top_builddir/taskfarm-mandelbrot
MB_ARGS="--width 160 --height 120 --max-iter 500"
# shellcheck disable=SC2086 # MB_ARGS is a list of words
"$MB" $MB_ARGS --output "$TMP/mb.ref.png" --quiet >"$TMP/mb.ref"
WALL_TASKS=1000
"$TESTAPP" --tasks $WALL_TASKS --quiet >"$TMP/wall.ref"
LOST_TASKS=600
"$TESTAPP" --tasks $LOST_TASKS --quiet >"$TMP/lost.ref"

# --- submit everything from the work directory (where outputs and journals
# go). --oversubscribe: the jobs may share cores, so they all run at once.
cd "$W"
sb() { sbatch --parsable --oversubscribe "$@"; }
# 2: the walltime job, first since it is the longest: 1000 tasks of 0-100 ms
# on one worker (about 50 s). The warning is due 5 s in; Slurm checks time
# limits every 30 s or so, so it comes 5 to 35 s in, while the farm runs.
wall=$(sb -N 1 --ntasks-per-node=2 -t 1 --signal=B:USR1@55 \
  --export=ALL,TF_BIN="$top_builddir/tests/apps",TF_EXIT_GRACE=5 \
  "$J/slurm/run-app.sbatch" tf_testapp --tasks $WALL_TASKS --sleep-us 100000)
# 1: the generic script with srun, and the nqueens script (mpirun, the default).
gen=$(sb -N 1 --ntasks-per-node=2 --export=ALL,TF_BIN="$BIN",TF_LAUNCHER=srun \
  "$J/slurm/run-app.sbatch" taskfarm-pi --samples 4000000 --tasks 300 --seed 7)
nq=$(sb -N 1 --ntasks-per-node=2 --export=ALL,TF_BIN="$BIN" "$J/slurm/nqueens.sbatch" --n 10)
# 4: two nodes, two ranks on each, both launchers. (The fake nodes are one
# machine: MPI must use TCP between them; a comma cannot go in --export.)
two_mpirun=$(OMPI_MCA_btl=self,tcp sb -N 2 --ntasks-per-node=2 --export=ALL,TF_BIN="$BIN" \
  "$J/slurm/run-app.sbatch" taskfarm-nqueens --n 11)
two_srun=$(OMPI_MCA_btl=self,tcp sb -N 2 --ntasks-per-node=2 \
  --export=ALL,TF_BIN="$BIN",TF_LAUNCHER=srun "$J/slurm/pi.sbatch" \
  --samples 4000000 --tasks 300 --seed 7)
# 5: a worker of a 2-node job will be killed (below) once the farm runs.
lost=$(OMPI_MCA_btl=self,tcp sb -N 2 --ntasks-per-node=2 \
  --export=ALL,TF_BIN="$top_builddir/tests/apps",TF_EXIT_GRACE=3 \
  "$J/slurm/run-app.sbatch" tf_testapp --tasks $LOST_TASKS --sleep-us 100000 \
  --worker-timeout 3 --started "$W/lost.started")
# 3: PBS scripts through the Torque wrapper: qsub runs sbatch, which reads
# the #PBS lines. Settings travel in the environment (qsub -V is the default
# of the wrapper's sbatch). The per-app script takes the wrapper's "--" and
# arguments; the generic one TF_APP and TF_ARGS.
# shellcheck disable=SC2086 # MB_ARGS is a list of words
pbs_mb=$(TF_BIN=$BIN qsub -l nodes=1:ppn=2 "$J/pbs/mandelbrot.pbs" -- $MB_ARGS --output mb.png)
pbs_nq=$(TF_BIN=$BIN TF_APP=taskfarm-nqueens TF_ARGS="--n 9" qsub -l nodes=1:ppn=2 \
  "$J/pbs/run-app.pbs")
all="$wall $gen $nq $two_mpirun $two_srun $lost $pbs_mb $pbs_nq"
for id in $all; do
  case $id in '' | *[!0-9]*) fail "a submission failed (job ids: $all)" ;; esac
done
pass "submitted 6 jobs with sbatch and 2 with qsub in $(($(date +%s) - t0)) s"

# --- wait for every job to end, 200 s at most. Meanwhile: start a requeued
# walltime job at once (Slurm would hold it about 2 minutes), and kill a
# worker of the "lost" job once its farm has started.
pending=$all
requeues_seen=0
killed=
n=0
while [ -n "$pending" ]; do
  n=$((n + 1))
  if [ $n -gt 400 ]; then
    for id in $pending; do slurm_show "$id"; done
    echo "--- slurmctld.log" >&2
    tail -n 30 "$S/log/slurmctld.log" >&2
    fail "jobs $pending did not end within 200 s"
  fi
  still=
  for id in $pending; do
    case $(slurm_state "$id") in
      COMPLETED | FAILED | CANCELLED | TIMEOUT | NODE_FAIL | OUT_OF_MEMORY | BOOT_FAIL | DEADLINE | PREEMPTED)
        echo "job $id ended after $(($(date +%s) - t0)) s: $(slurm_state "$id")" ;;
      *) still="$still $id" ;;
    esac
  done
  pending=$still
  # The walltime job back in the queue: skip Slurm's requeue delay, once per
  # requeue, when it has been PENDING a moment (an update during the requeue
  # itself is lost).
  r=$(slurm_field "$wall" Restarts)
  if [ "$(slurm_state "$wall")" = PENDING ] && [ "${r:-0}" -gt "$requeues_seen" ]; then
    sleep 1
    scontrol update JobId="$wall" StartTime=now
    requeues_seen=$r
    echo "walltime job $wall requeued ($r); started again at $(($(date +%s) - t0)) s"
  fi
  # The "lost" job: SIGKILL rank 2 (on the second node) once the farm runs.
  if [ -z "$killed" ] && [ -f "$W/lost.started" ]; then
    sleep 1
    for d in /proc/[0-9]*; do
      e=$(tr '\0' '\n' 2>/dev/null <"$d/environ") || continue
      if printf '%s\n' "$e" | grep -qx "SLURM_JOB_ID=$lost" &&
        printf '%s\n' "$e" | grep -qx 'OMPI_COMM_WORLD_RANK=2'; then
        killed="${d#/proc/} on $(printf '%s\n' "$e" | sed -n 's/^SLURMD_NODENAME=//p')"
        kill -KILL "${d#/proc/}" 2>/dev/null || true
      fi
    done
    [ -n "$killed" ] || { slurm_show "$lost"; fail "rank 2 of job $lost not found"; }
    echo "killed rank 2 of job $lost (pid $killed) at $(($(date +%s) - t0)) s"
  fi
  sleep 0.5
done
elapsed=$(($(date +%s) - t0))

# --- the checks. ok ID DESC: the job completed with exit code 0; $out is
# its output file.
ok() {
  if [ "$(slurm_state "$1")" != COMPLETED ] || [ "$(slurm_field "$1" ExitCode)" != 0:0 ]; then
    slurm_show "$1"
    fail "job $1 ($2): $(slurm_state "$1"), exit code $(slurm_field "$1" ExitCode)"
  fi
  out=$(slurm_field "$1" StdOut)
}
# has FILE TEXT JOB DESC: FILE holds the fixed string TEXT.
has() { grep -qF -- "$2" "$1" || { slurm_show "$3"; fail "$4: '$2' not in the output"; }; }
# same_pi FILE JOB DESC: the estimate equals the direct run's, within 5 s.e.
same_pi() {
  grep -F 'pi estimate' "$TMP/pi.ref" >"$TMP/a"
  grep -F 'pi estimate' "$1" >"$TMP/b" || true
  cmp -s "$TMP/a" "$TMP/b" || { slurm_show "$2"; fail "$3: not the estimate of a direct run"; }
  awk '/minus M_PI/ { sub(/\(/, "", $4); d = $4 < 0 ? -$4 : $4; if (d > 5) exit 1; f = 1 }
       END { exit !f }' "$1" || { slurm_show "$2"; fail "$3: more than 5 standard errors from pi"; }
}

# 1
ok "$gen" "run-app.sbatch taskfarm-pi, srun"
same_pi "$out" "$gen" "run-app.sbatch taskfarm-pi"
has "$out" "srun --mpi=pmix" "$gen" "run-app.sbatch with TF_LAUNCHER=srun"
has "$out" "done: every task succeeded" "$gen" "run-app.sbatch"
pass "run-app.sbatch taskfarm-pi under srun: the estimate of a direct run, within 5 s.e. of pi"
ok "$nq" "nqueens.sbatch"
has "$out" "solutions    724" "$nq" "nqueens.sbatch --n 10"
has "$out" "mpirun --enable-recovery" "$nq" "nqueens.sbatch under mpirun"
has "$out" "--status-file" "$nq" "nqueens.sbatch"
[ -f "$W/nqueens-$nq.journal" ] || fail "nqueens.sbatch: no journal nqueens-$nq.journal"
pass "nqueens.sbatch --n 10 under mpirun --enable-recovery: 724 solutions, a journal"

# 2
ok "$wall" "walltime"
r=$(slurm_field "$wall" Restarts)
[ "${r:-0}" -ge 1 ] || { slurm_show "$wall"; fail "walltime: the job was never requeued (it ended before the warning)"; }
has "$out" "got SIGUSR1: passing SIGUSR1 on to mpirun" "$wall" "walltime: the warning"
has "$out" "SIGUSR1: no more tasks go out" "$wall" "walltime: the farm stops"
has "$out" "stopped (status 75)" "$wall" "walltime: exit 75"
has "$out" "of the results were read back from the journal" "$wall" "walltime: the resumed run"
has "$out" "$(cat "$TMP/wall.ref")" "$wall" "walltime: every result, the digest of a direct run"
has "$out" "done: every task succeeded" "$wall" "walltime"
back=$(sed -n 's/.* \([0-9]*\) of the results were read back.*/\1/p' "$out" | head -n 1)
pass "walltime: SIGUSR1 before the limit, exit 75, requeued $r time(s), resumed ($back results read back), complete"

# 3
ok "$pbs_mb" "mandelbrot.pbs via qsub"
grep -F checksum "$TMP/mb.ref" >"$TMP/a"
grep -F checksum "$out" >"$TMP/b" || true
cmp -s "$TMP/a" "$TMP/b" || { slurm_show "$pbs_mb"; fail "mandelbrot.pbs: not the checksum of a direct run"; }
cmp -s "$TMP/mb.ref.png" "$W/mb.png" || { slurm_show "$pbs_mb"; fail "mandelbrot.pbs: the PNG differs from a direct run's"; }
ok "$pbs_nq" "run-app.pbs via qsub"
has "$out" "solutions    352" "$pbs_nq" "run-app.pbs TF_APP=taskfarm-nqueens TF_ARGS='--n 9'"
pass "qsub mandelbrot.pbs and run-app.pbs: the checksum and PNG of a direct run, 352 solutions for N=9"

# 4
ok "$two_mpirun" "2 nodes, mpirun"
has "$out" "on 2 node(s), 4 task(s)" "$two_mpirun" "2 nodes, mpirun"
has "$out" "solutions    2680" "$two_mpirun" "2 nodes, mpirun: nqueens --n 11"
# The scripts ask for a relay per node: rank 2 relays for rank 3, so the
# farm has 2 workers (rank 1 beside the root, rank 3 behind the relay).
has "$out" "--relays node" "$two_mpirun" "2 nodes, mpirun: the job passes --relays node"
has "$out" "on 2 workers" "$two_mpirun" "2 nodes, mpirun: a relay on the second node"
ok "$two_srun" "2 nodes, srun"
has "$out" "on 2 node(s), 4 task(s)" "$two_srun" "2 nodes, srun"
same_pi "$out" "$two_srun" "2 nodes, srun"
has "$out" "on 2 workers" "$two_srun" "2 nodes, srun: a relay on the second node"
pass "2 nodes x 2 ranks through a relay per node: mpirun (2680 solutions for N=11) and srun (pi as a direct run)"

# 5
ok "$lost" "lost worker"
has "$out" "rank 2 is lost" "$lost" "lost worker: noticed"
has "$out" "$(cat "$TMP/lost.ref")" "$lost" "lost worker: every result, the digest of a direct run"
has "$out" "done: every task succeeded" "$lost" "lost worker"
how="mpirun ended by itself"
grep -qF "ending it (TF_EXIT_GRACE)" "$out" && how="mpirun ended by the script's watchdog"
pass "a worker SIGKILLed on the second node: the run completes, status 0 ($how)"

echo "all jobs ended in $elapsed s; the test took $(($(date +%s) - t0)) s"
