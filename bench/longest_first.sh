#!/bin/sh
# The "longest first" example of docs/WRITING-AN-APP.md (section 9), extracted from the doc and
# built against this build tree, run with W workers (mpirun -np W+1) in parameter order and with
# --longest-first, the two interleaved in every repetition. Prints the median makespan of each
# (the farm's own time: "in X s" of the summary) and the median of the per-repetition ratios
# parameter order / longest first (above 1: longest first is faster), with the lower bound the
# sum of the task times over W (measured on one process first) beside them.
# Usage: bench/longest_first.sh [REPS] [W]   (from the top of a built tree, after make)
set -eu
reps=${1:-5}
w=${2:-$(nproc)}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
[ -f .libs/libtaskfarm.so ] || { echo "longest_first.sh: run it at the top of a built tree, after make" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sed -n '/<!-- example-costly:begin -->/,/<!-- example-costly:end -->/p' docs/WRITING-AN-APP.md |
  sed '/^<!--/d; /^```/d' >"$tmp/costly.c"
mpicc -O2 -Iinclude -o "$tmp/costly" "$tmp/costly.c" -L.libs -ltaskfarm -Wl,-rpath,"$PWD/.libs"
# makespan SECONDS of one run (its summary), the rest dropped; a failure stops the benchmark
makespan() {
  timeout 600 "$@" --quiet --verbose >"$tmp/out" 2>&1 || { cat "$tmp/out" >&2; echo "longest_first.sh: failed: $*" >&2; exit 1; }
  sed -n 's/.* in \([0-9.]*\) s (.*/\1/p' "$tmp/out" | head -n 1
}
median() { sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
serial=$(makespan "$tmp/costly")
: >"$tmp/p" && : >"$tmp/l" && : >"$tmp/r"
for i in $(seq "$reps"); do
  p=$(makespan mpirun --oversubscribe -np $((w + 1)) "$tmp/costly")
  l=$(makespan mpirun --oversubscribe -np $((w + 1)) "$tmp/costly" --longest-first)
  echo "$p" >>"$tmp/p"
  echo "$l" >>"$tmp/l"
  awk -v p="$p" -v l="$l" 'BEGIN { print p / l }' >>"$tmp/r"
done
awk -v s="$serial" -v w="$w" -v p="$(median <"$tmp/p")" -v l="$(median <"$tmp/l")" \
  -v r="$(median <"$tmp/r")" -v lo="$(sort -g "$tmp/r" | head -n 1)" -v hi="$(sort -g "$tmp/r" | tail -n 1)" -v n="$reps" 'BEGIN {
  printf "| | makespan (median of %d) | over the bound |\n|---|---|---|\n", n
  printf "| bound: one process, %.3f s, over %d workers | %.3f s | 1.00 |\n", s, w, s / w
  printf "| parameter order | %.3f s | %.2f |\n", p, p / (s / w)
  printf "| --longest-first | %.3f s | %.2f |\n", l, l / (s / w)
  printf "\nparameter order / longest first: %.2f (median of the per-repetition ratios; %.2f to %.2f)\n", r, lo, hi
}'
