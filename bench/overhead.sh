#!/bin/sh
# The framework's cost per task beside the MPI limit, measured side by side:
# each repetition runs the 8-byte ping-pong between two ranks (and its polled
# form, the floor of a rank that cannot block: bench/pingpong.c) and then empty
# tasks on 1 worker for fixed chunks of 1, 16 and 256 tasks per message and
# for the adaptive schedule; each figure is the median over repetitions of
# (empty tasks/s) / (round trips/s of the same repetition), so a machine that
# changes speed between runs (this 2-core VM flips between two) moves both.
# With OTHER, the build tree of another version, its bench program runs
# beside this one's in every repetition: before/after in one run.
# Usage: bench/overhead.sh [TASKS] [REPS] [OTHER]   (from the build directory,
# after make; docs/PERFORMANCE.md comes from bench/run-all.sh, which does more)
set -eu
tasks=${1:-10000000}
reps=${2:-5}
other=${3:-}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
run() { timeout 300 mpirun -np 2 "$@"; }
stats() { sort -g | awk '{ a[NR] = $1 } END { printf "%.2f (%.2f-%.2f)", a[int((NR + 1) / 2)], a[1], a[NR] }'; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
[ -z "$other" ] || [ -x "$other/bench/tf_bench_empty" ] ||
  { echo "overhead.sh: $other/bench/tf_bench_empty not found (build that tree first)" >&2; exit 2; }

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(mpirun --version | head -n 1)"
scheds="c1 c16 c256 adaptive"
opts() {
  case $1 in
  c1) echo "--tasks $((tasks / 10)) --schedule dynamic --chunk 1" ;;
  c16) echo "--tasks $tasks --schedule dynamic --chunk 16" ;;
  c256) echo "--tasks $tasks --schedule dynamic --chunk 256" ;;
  adaptive) echo "--tasks $tasks" ;; # the default schedule
  esac
}
for i in $(seq "$reps"); do
  pp=$(run bench/tf_pingpong 200000)
  rt=$(echo "$pp" | awk '{ print $7 }')
  echo "$rt" >>"$tmp/rt"
  echo "$pp" | awk '{ print $13 / $7 }' >>"$tmp/polled"
  for s in $scheds; do
    for tree in . $other; do
      tag=$([ "$tree" = . ] && echo this || echo other)
      rate=$(run "$tree/bench/tf_bench_empty" $(opts $s) --quiet | awk '{ print $12 }')
      awk -v r="$rate" -v rt="$rt" 'BEGIN { print r / rt }' >>"$tmp/$tag.$s"
    done
  done
done
echo "MPI ping-pong: $(stats <"$tmp/rt") round trips/s (median, range over $reps repetitions)"
echo "MPI ping-pong polled (Isend, Testsome, receives kept posted: bench/pingpong.c): $(stats <"$tmp/polled") x the round-trip rate"
for s in $scheds; do
  label=$(opts $s | sed 's/--tasks [0-9]* *//')
  line="1 worker, $(printf '%-36s' "${label:---schedule adaptive}:") $(stats <"$tmp/this.$s") x the round-trip rate"
  [ -z "$other" ] || line="$line; $other: $(stats <"$tmp/other.$s")"
  echo "$line"
done
