#!/bin/sh
# What fault handling costs per task, measured side by side in one run: empty
# tasks/s with 1 worker, at 1 task per message (dynamic, chunk 1) and batched
# (adaptive), with nothing on, with heartbeats (what --enable-recovery,
# --task-timeout or --worker-timeout turn on: MPI_THREAD_SERIALIZED and a
# heartbeat thread per worker), and with a --journal on local disk.
# Usage: bench/faults.sh [TASKS] [REPS]   (from the build directory, after make)
set -eu
tasks=${1:-10000000}
reps=${2:-5}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
rate() { # rate N ARGS...: median empty tasks/s over the reps
  n=$1
  shift
  for i in $(seq "$reps"); do
    rm -f "$tmp/journal"
    timeout 300 mpirun -np 2 bench/tf_bench_empty --tasks "$n" --quiet "$@" | awk '{ print $12 }'
  done | median
}
eff() { # eff ARGS...: median efficiency of 2000 busy 1 ms tasks on 1 worker
  for i in $(seq "$reps"); do
    rm -f "$tmp/journal"
    timeout 300 mpirun -np 2 bench/tf_bench_work --tasks 2000 --quiet "$@" | awk '{ print $15 }'
  done | median
}
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(mpirun --version | head -n 1)"
c1=$(rate $((tasks / 10)) --schedule dynamic --chunk 1)
c1h=$(rate $((tasks / 10)) --schedule dynamic --chunk 1 --worker-timeout 30)
ad=$(rate "$tasks")
adh=$(rate "$tasks" --worker-timeout 30)
adj=$(rate "$tasks" --journal "$tmp/journal")
w=$(eff)
wh=$(eff --worker-timeout 30)
wj=$(eff --journal "$tmp/journal")
awk -v a="$c1" -v b="$c1h" -v c="$ad" -v d="$adh" -v e="$adj" -v r="$reps" -v w="$w" -v wh="$wh" -v wj="$wj" 'BEGIN {
  printf "1 worker, empty tasks/s, median of %d:\n", r
  printf "  chunk 1:  plain %9.0f   heartbeats %9.0f (x %.2f)\n", a, b, b / a
  printf "  adaptive: plain %9.0f   heartbeats %9.0f (x %.2f)   journal %9.0f (x %.2f)\n", c, d, d / c, e, e / c
  printf "1 worker, 2000 busy 1 ms tasks, efficiency: plain %.4f   heartbeats %.4f   journal %.4f\n", w, wh, wj
}'
