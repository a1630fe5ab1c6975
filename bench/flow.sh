#!/bin/sh
# Flow control by bytes (--max-in-flight), measured side by side: tasks whose
# results are 64 KiB, 2 MiB or 8 MiB, on 1 to 4 workers, with a master whose
# collect is slower than the workers (results pile up unless something pushes
# back) and with one that keeps up. For each case the default (adaptive,
# --max-in-flight 64M) runs beside hand-tuned --prefetch 1, 2, 4 and 8, in
# turn within each repetition. The best hand-tuned setting is the one with
# the lowest median time; the figure is the median over repetitions of
# default time / that setting's time in the same repetition (so a lucky run of
# one setting does not count as its being best). Beside it, the master's and
# workers' peak memory (VmHWM) over a run with 8-byte results (what MPI and
# the program take by themselves).
# Usage: bench/flow.sh [REPS] [WORKERS...]   (from the build directory, after make)
set -eu
reps=${1:-3}
shift $(($# > 0 ? 1 : 0))
workers=${*:-1 2 3 4}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
B=bench/tf_bench_results
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
median() { sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

# run W ARGS...: one farm on W workers; prints "farm_s master_kb worker_kb".
run() {
  w=$1
  shift
  timeout 600 mpirun --oversubscribe --mca mpi_yield_when_idle 1 -np $((w + 1)) "$B" --quiet "$@" \
    >"$tmp/out" 2>"$tmp/err" || { cat "$tmp/err" >&2; echo "flow.sh: a run failed: $B $*" >&2; exit 1; }
  grep -q 'sum_ok 1 status 0' "$tmp/out" || { cat "$tmp/out" >&2; exit 1; }
  awk '/^farm_s/ { f = $2; m = $4 } /^worker/ { if ($4 > k) k = $4 } END { print f, m, k }' "$tmp/out"
}

configs="default p1 p2 p4 p8"
args_of() { case $1 in default) echo "" ;; p*) echo "--prefetch ${1#p}" ;; esac; }

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(mpirun --version | head -n 1)"
echo "each task busy-waits 500 us; collect reads every byte and busy-waits C us; $reps repetitions"
echo "| result | collect C | workers | default / best --prefetch (median) | best --prefetch | master peak over base, MiB: default, --prefetch 1 | worker peak over base, MiB: default | base (8 B results) master, worker MiB |"
echo "|---|---|---|---|---|---|---|---|"
for size in 64K 2M 8M; do
  case $size in 64K) n=4000 ;; 2M) n=600 ;; 8M) n=150 ;; esac
  for collect in 1000 0; do
    for w in $workers; do
      for c in $configs; do : >"$tmp/t.$c"; : >"$tmp/m.$c"; : >"$tmp/k.$c"; done
      : >"$tmp/bm"; : >"$tmp/bk"
      for r in $(seq "$reps"); do
        run "$w" --tasks "$n" --result-bytes 8 --collect-us "$collect" >"$tmp/base"
        read -r _ bm bk <"$tmp/base"
        echo "$bm" >>"$tmp/bm"; echo "$bk" >>"$tmp/bk"
        for c in $configs; do
          # shellcheck disable=SC2046
          run "$w" --tasks "$n" --result-bytes "$size" --collect-us "$collect" $(args_of "$c") >"$tmp/r"
          read -r t m k <"$tmp/r"
          echo "$t" >>"$tmp/t.$c"; echo "$m" >>"$tmp/m.$c"; echo "$k" >>"$tmp/k.$c"
        done
      done
      bm=$(median <"$tmp/bm"); bk=$(median <"$tmp/bk")
      bestc=$(for c in $configs; do [ $c = default ] || echo "$(median <"$tmp/t.$c") $c"; done |
        sort -g | awk 'NR == 1 { print $2 }')
      paste "$tmp/t.default" "$tmp/t.$bestc" | awk '{ print $1 / $2 }' >"$tmp/ratios"
      awk -v size="$size" -v c="$collect" -v w="$w" -v ratio="$(median <"$tmp/ratios")" \
        -v rmin="$(sort -g "$tmp/ratios" | head -n 1)" -v rmax="$(sort -g "$tmp/ratios" | tail -n 1)" \
        -v bestc="$bestc" -v md="$(median <"$tmp/m.default")" -v mp1="$(median <"$tmp/m.p1")" \
        -v kd="$(median <"$tmp/k.default")" -v bm="$bm" -v bk="$bk" 'BEGIN {
        printf "| %s | %d us | %d | %.2f (%.2f-%.2f) | %s | %.1f, %.1f | %.1f | %.1f, %.1f |\n", size, c, w,
          ratio, rmin, rmax, bestc, (md - bm) / 1024, (mp1 - bm) / 1024, (kd - bk) / 1024, bm / 1024, bk / 1024
      }'
    done
  done
done
