#!/bin/bash
# bench/trace.sh [REPS] - what --trace costs: 1 ms tasks (tf_bench_work) and
# empty tasks (tf_bench_empty), each with and without --trace, side by side
# in one run; prints tasks/s medians and the ratio traced / untraced.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
REPS=${1:-3}
W=$(nproc)
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_btl_base_warn_component_unused=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mpi() { np=$1; shift; timeout 300 mpirun --oversubscribe --mca mpi_yield_when_idle 1 -np "$np" "$@"; }
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
# tasks/s from the summary line
rate() { "$@" 2>&1 | awk '/tasks\/s\)/ { gsub(/[()]/, "", $0); for (i = 1; i <= NF; i++) if ($(i) == "tasks/s") print $(i - 1) }'; }
run() { # label np cmd...
  local label=$1 np=$2; shift 2
  local off on
  off=$(for _ in $(seq "$REPS"); do rate mpi "$np" "$@"; done | median)
  on=$(for _ in $(seq "$REPS"); do rate mpi "$np" "$@" --trace "$tmp/t.json" --trace-events 2000000; done | median)
  awk -v l="$label" -v a="$off" -v b="$on" 'BEGIN { printf "%-34s %12.0f %12.0f %8.3f\n", l, a, b, b / a }'
}
echo "machine: $W cores, $(mpirun --version | head -n 1); median of $REPS runs"
printf "%-34s %12s %12s %8s\n" "workload" "tasks/s" "traced" "ratio"
run "1 ms tasks, $W workers" $((W + 1)) "$top/bench/tf_bench_work" --tasks $((W * 2000)) --mean-us 1000 --dist const
run "empty tasks, 1 worker" 2 "$top/bench/tf_bench_empty" --tasks 1000000
run "empty tasks, chunk 1, 1 worker" 2 "$top/bench/tf_bench_empty" --tasks 200000 --schedule dynamic --chunk 1
