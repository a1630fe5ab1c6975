#!/bin/sh
# taskfarm-cmdfarm beside GNU parallel on the same commands, interleaved in every repetition:
# 10,000 trivial commands (`true ARG`) and 1,000 commands of 10 ms (`sleep 0.01; : ARG`; the
# argument is appended to each, so the sleep must not take it), cmdfarm with 2
# workers (mpirun -np 3) against `parallel -j2`, both in GNU parallel's form (COMMAND ::: ARGS)
# with -k. Prints, per workload, the median wall time of each over the repetitions, the median
# of the per-repetition ratios parallel / cmdfarm (above 1: cmdfarm is faster) and what each
# costs per command beyond the command itself: (wall - work / 2) / commands, work being the
# commands' own time (0 for `true`, 10 ms each for the sleeps).
# Usage: bench/cmdfarm_parallel.sh [REPS]   (from the build directory, after make)
set -eu
reps=${1:-5}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
command -v parallel >/dev/null || { echo "cmdfarm_parallel.sh: GNU parallel is not installed" >&2; exit 2; }
[ -x ./taskfarm-cmdfarm ] || { echo "cmdfarm_parallel.sh: run it in the build directory, after make" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
seq 1 10000 >"$tmp/10k"
seq 1 1000 >"$tmp/1k"
# wall SECONDS of a command line (stdout and stderr dropped; a failure stops the benchmark)
wall() {
  s=$(date +%s.%N)
  "$@" >/dev/null 2>&1 || { echo "cmdfarm_parallel.sh: failed: $*" >&2; exit 1; }
  e=$(date +%s.%N)
  awk -v s="$s" -v e="$e" 'BEGIN { printf "%.3f\n", e - s }'
}
median() { sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); $(parallel --version | head -n 1); $(mpirun --version | head -n 1)"
for w in trivial sleep10ms; do
  case $w in
  trivial) cmd="true"; src="$tmp/10k"; n=10000; work=0 ;;
  sleep10ms) cmd="sleep 0.01; :"; src="$tmp/1k"; n=1000; work=10 ;;
  esac
  : >"$tmp/p" && : >"$tmp/c" && : >"$tmp/r"
  for i in $(seq "$reps"); do
    p=$(wall timeout 600 parallel --will-cite -j2 -k "$cmd" :::: "$src" </dev/null)
    c=$(wall timeout 600 mpirun --oversubscribe -np 3 ./taskfarm-cmdfarm --quiet -k "$cmd" :::: "$src" </dev/null)
    echo "$p" >>"$tmp/p"
    echo "$c" >>"$tmp/c"
    awk -v p="$p" -v c="$c" 'BEGIN { print p / c }' >>"$tmp/r"
  done
  pm=$(median <"$tmp/p")
  cm=$(median <"$tmp/c")
  rm_=$(median <"$tmp/r")
  awk -v w="$w" -v n="$n" -v pm="$pm" -v cm="$cm" -v r="$rm_" -v work="$work" -v reps="$reps" 'BEGIN {
    printf "%-10s %5d commands: GNU parallel -j2 %7.2f s, cmdfarm 2 workers %7.2f s (medians of %d);", w, n, pm, cm, reps
    printf " parallel / cmdfarm %.2f (median of the per-repetition ratios)\n", r
    printf "%-10s per command beyond the command itself: parallel %.2f ms, cmdfarm %.2f ms\n", "", \
      (pm - n * work / 1000 / 2) / n * 1000, (cm - n * work / 1000 / 2) / n * 1000 }'
done
