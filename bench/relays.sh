#!/bin/sh
# What a relay costs on one machine, measured side by side: each repetition
# runs the same farm flat and through relays (--relays K: a relay for every K
# ranks, one more rank per group), the two interleaved, and each figure is
# the median over repetitions of (rate through relays) / (rate flat), so a
# machine that changes speed between runs moves both alike.
#   empty tasks, 1 worker:    flat -np 2 beside --relays 2 -np 3
#   empty tasks, W workers:   flat -np W+1 beside --relays W+1 -np W+2 (their
#                             tasks end in any order: the root finds them by id)
#   1 ms tasks, W workers:    flat -np W+1 beside --relays W+1 -np W+2
# On a machine with fewer cores than ranks the relay shares a core with the
# others (--idle backoff: it sleeps when it has nothing to do), which is what
# the second figure shows; the first puts the relay's whole cost on the path
# of every message.
# Usage: bench/relays.sh [EMPTY_TASKS] [REPS] [W]   (from the build directory, after make)
set -eu
tasks=${1:-2000000}
reps=${2:-5}
w=${3:-2}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
run() { np=$1; shift; timeout 300 mpirun --oversubscribe --mca mpi_yield_when_idle 1 -np "$np" "$@"; }
stats() { sort -g | awk '{ a[NR] = $1 } END { printf "%.2f (%.2f-%.2f)", a[int((NR + 1) / 2)], a[1], a[NR] }'; }
rate() { awk '{ for (i = 1; i <= NF; i++) if ($i == "tasks/s)") { gsub(/\(/, "", $(i - 1)); print $(i - 1) } }'; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(mpirun --version | head -n 1)"
work="--tasks $((2000 * w)) --mean-us 1000 --dist exp"
for i in $(seq "$reps"); do
  a=$(run 2 bench/tf_bench_empty --tasks "$tasks" --relays off 2>&1 | rate)
  b=$(run 3 bench/tf_bench_empty --tasks "$tasks" --relays 2 2>&1 | rate)
  awk -v a="$a" -v b="$b" 'BEGIN { print b / a }' >>"$tmp/empty"
  echo "repetition $i: empty tasks/s flat $a, through a relay $b"
  a=$(run $((w + 1)) bench/tf_bench_empty --tasks "$tasks" --relays off 2>&1 | rate)
  b=$(run $((w + 2)) bench/tf_bench_empty --tasks "$tasks" --relays $((w + 1)) 2>&1 | rate)
  awk -v a="$a" -v b="$b" 'BEGIN { print b / a }' >>"$tmp/wide"
  echo "repetition $i: empty tasks/s on $w workers flat $a, through a relay $b"
  a=$(run $((w + 1)) bench/tf_bench_work $work --relays off 2>&1 | rate)
  b=$(run $((w + 2)) bench/tf_bench_work $work --relays $((w + 1)) 2>&1 | rate)
  awk -v a="$a" -v b="$b" 'BEGIN { print b / a }' >>"$tmp/work"
  echo "repetition $i: 1 ms tasks/s on $w workers flat $a, through a relay $b"
done
echo "empty tasks, 1 worker: through a relay / flat = $(stats <"$tmp/empty") (median, range over $reps repetitions)"
echo "empty tasks, $w workers: through a relay / flat = $(stats <"$tmp/wide")"
echo "1 ms exponential tasks, $w workers: through a relay / flat = $(stats <"$tmp/work")"
