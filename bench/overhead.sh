#!/bin/sh
# The framework's cost per task beside the MPI limit, measured in one run:
# 8-byte ping-pong round trips/s and one-way messages/s between two ranks,
# then empty tasks/s with 1 worker for fixed chunks of 1, 16 and 256 tasks
# per message and for the adaptive schedule, each the median of REPS runs.
# Usage: bench/overhead.sh [TASKS] [REPS]   (from the build directory, after
# make; docs/PERFORMANCE.md comes from bench/run-all.sh, which does more)
set -eu
tasks=${1:-10000000}
reps=${2:-5}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
run() { timeout 300 mpirun -np 2 "$@"; }
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(mpirun --version | head -n 1)"
for i in $(seq "$reps"); do run bench/tf_pingpong 200000; done >"$tmp/pp"
rt=$(awk '{ print $7 }' "$tmp/pp" | median)
ow=$(awk '{ print $10 }' "$tmp/pp" | median)
echo "MPI ping-pong: $rt round trips/s, $ow one-way msgs/s (median of $reps)"
for sched in "dynamic --chunk 1" "dynamic --chunk 16" "dynamic --chunk 256" "adaptive"; do
  n=$tasks
  [ "$sched" = "dynamic --chunk 1" ] && n=$((tasks / 10))
  for i in $(seq "$reps"); do run bench/tf_bench_empty --tasks "$n" --schedule $sched --quiet; done >"$tmp/e"
  rate=$(awk '{ print $12 }' "$tmp/e" | median)
  awk -v r="$rate" -v rt="$rt" -v s="$sched" 'BEGIN {
    printf "1 worker, --schedule %-19s %10.0f empty tasks/s = %5.2f x the round-trip rate\n", s ":", r, r / rt }'
done
