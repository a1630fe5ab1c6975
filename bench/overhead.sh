#!/bin/sh
# The framework's cost per task beside the MPI limit, measured side by side:
# empty tasks on 1 worker for fixed chunks of 1, 16 and 256 tasks per message
# and for the adaptive schedule, each run straight after the 8-byte ping-pong
# between two ranks (and its polled form, the floor of a rank that cannot
# block: bench/pingpong.c); each figure is the median over repetitions of
# (empty tasks/s) / (round trips/s of the ping-pong just before), so a machine
# that changes speed (this 2-core VM flips between two modes, for seconds or
# minutes) moves both. With OTHER, the build tree of another version, its
# bench program runs beside this one's in every repetition: before/after in
# one run. Each repetition prints a line as it ends; when some ping-pongs ran
# more than 1.5 times as fast as others (the two modes), the medians are
# given for each mode too (split at the geometric mean of the slowest and
# fastest ping-pong; a run counts in the mode of its own ping-pong).
# Usage: bench/overhead.sh [TASKS] [REPS] [OTHER]   (from the build directory,
# after make; docs/PERFORMANCE.md comes from bench/run-all.sh, which does more)
set -eu
tasks=${1:-10000000}
reps=${2:-5}
other=${3:-}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
run() { timeout 300 mpirun -np 2 "$@"; }
stats() { sort -g | awk '{ a[NR] = $1 } END { if (NR) printf "%.2f (%.2f-%.2f)", a[int((NR + 1) / 2)], a[1], a[NR]; else printf "no runs" }'; }
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
  line="repetition $i:"
  for s in $scheds; do
    for tree in . $other; do
      tag=$([ "$tree" = . ] && echo this || echo other)
      pp=$(run bench/tf_pingpong 200000)
      rt=$(echo "$pp" | awk '{ print $7 }')
      rate=$(run "$tree/bench/tf_bench_empty" $(opts $s) --quiet | awk '{ print $12 }')
      r=$(awk -v r="$rate" -v rt="$rt" 'BEGIN { printf "%.4f", r / rt }')
      echo "$s $tag $rt $r $(echo "$pp" | awk '{ print $13 / $7 }')" >>"$tmp/runs"
      line="$line $s $(printf '%.2f' "$r") ($(awk -v rt="$rt" 'BEGIN { printf "%.2f", rt / 1e6 }') M)"
    done
  done
  echo "$line"
done

# Field f of the runs of schedule s (any: "") on tree tag (any: "") whose
# ping-pong is in [lo, hi): median (range).
col() { # f s tag lo hi
  awk -v f="$1" -v s="$2" -v t="$3" -v lo="$4" -v hi="$5" \
    '(s == "" || $1 == s) && (t == "" || $2 == t) && $3 >= lo && $3 < hi { print $f }' "$tmp/runs" | stats
}
report() { # lo hi
  echo "MPI ping-pong: $(col 3 "" "" "$1" "$2") round trips/s (median, range over $(awk -v lo="$1" -v hi="$2" '$3 >= lo && $3 < hi' "$tmp/runs" | wc -l) runs)"
  echo "MPI ping-pong polled (Isend, Testsome, receives kept posted: bench/pingpong.c): $(col 5 "" "" "$1" "$2") x the round-trip rate"
  for s in $scheds; do
    label=$(opts $s | sed 's/--tasks [0-9]* *//')
    n=$(awk -v s="$s" -v lo="$1" -v hi="$2" '$1 == s && $2 == "this" && $3 >= lo && $3 < hi' "$tmp/runs" | wc -l)
    [ "$n" -gt 0 ] || continue
    line="1 worker, $(printf '%-36s' "${label:---schedule adaptive}:") $(col 4 $s this "$1" "$2") x the round-trip rate ($n runs)"
    [ -z "$other" ] || line="$line; $other: $(col 4 $s other "$1" "$2")"
    echo "$line"
  done
}
report 0 1e30
split=$(awk 'NR == 1 || $3 < lo { lo = $3 } NR == 1 || $3 > hi { hi = $3 }
  END { if (hi > 1.5 * lo) printf "%.0f", sqrt(lo * hi) }' "$tmp/runs")
if [ -n "$split" ]; then
  echo "the slow mode (ping-pong below $split round trips/s):"
  report 0 "$split" | sed 's/^/  /'
  echo "the fast mode (ping-pong at $split round trips/s or more):"
  report "$split" 1e30 | sed 's/^/  /'
fi
