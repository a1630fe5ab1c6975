#!/bin/sh
# The simulator beside real runs on this machine. Each repetition first
# calibrates the model's costs (the ping-pong's half round trip for a
# message's latency; empty tasks with the adaptive schedule for the cost of a
# task on each side; empty tasks one per message for the cost of a message),
# and, with more ranks than cores, the wait for a core; then runs each case
# for real (bench/tf_bench_work) and simulated with those
# costs; each figure is the median over repetitions of simulated / real farm
# time, so a machine that changes speed between runs moves both.
# Usage: bench/sim/validate.sh [REPS]   (from the build directory, after make)
set -eu
reps=${1:-3}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
cores=$(nproc)
mpi() {
  np=$1
  shift
  over=
  [ "$np" -le "$cores" ] || over=--oversubscribe
  timeout 300 mpirun -np "$np" $over "$@" </dev/null # (not the cases read from stdin)
}
. "$(dirname "$0")/compare.inc"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Cases: workers, tasks, distribution, mean task time (us), schedule.
cases="1 2000000 const 1 adaptive
1 20000 const 100 adaptive
1 200000 exp 10 adaptive
1 100000 const 10 chunk1
1 200000 exp 2 chunk1
1 2000 exp 1000 adaptive
2 20000 const 100 chunk1
3 100000 const 10 chunk1
2 20000 exp 100 adaptive
2 2000 const 1000 adaptive
3 3000 const 1000 adaptive
3 30000 exp 100 adaptive"

echo "machine: $cores cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(mpirun --version | head -n 1)"
for r in $(seq "$reps"); do
  rt=$(mpi 2 bench/tf_pingpong 200000 | awk '{ print $7 }')
  a=$(mpi 2 bench/tf_bench_empty --tasks 10000000 --quiet | field rate)
  c1=$(mpi 2 bench/tf_bench_empty --tasks 300000 --schedule dynamic --chunk 1 --quiet | field rate)
  costs=$(costs_from --lat-local-ns "$rt" "$a" "$c1")
  # More ranks than cores: a message waits for its rank to get a core. The
  # wait per message is what 2 workers taking 10 us tasks one per message
  # lose beside the model without it (that case calibrates, it is not shown).
  real=$(mpi $((cores + 1)) bench/tf_bench_work --tasks 50000 --mean-us 10 --schedule dynamic --chunk 1 --quiet | field wall)
  sim=$(bench/tf_sim --workers "$cores" --cores "$cores" --tasks 50000 --mean-us 10 --chunk 1 $costs | field time)
  wake=$(awk -v r="$real" -v s="$sim" -v w="$cores" 'BEGIN { x = (r - s) * w / 50000 / 2 * 1e6; printf "%.2f", (x > 0 ? x : 0) }')
  costs="$costs --wake-us $wake"
  echo "$costs" >>"$tmp/costs"
  compare_cases mpi $costs
done
compare_table
