#!/bin/sh
# Peer benchmarks: taskfarm beside mpi4py.futures (MPIPoolExecutor.map) and
# Dask distributed (LocalCluster) on the same workloads, side by side in one
# run: empty tasks and 1 ms busy-wait tasks, with 1 and 2 workers. Every
# (workload, workers, system, variant) runs REPS times, interleaved, and the
# median rate is printed, then the ratios taskfarm/peer.
#
# Usage: bench/peers/run.sh [REPS]        (default 3)
#   TF_BUILD  build directory holding bench/tf_bench_empty and
#             bench/tf_bench_work (default: the repository root)
#   PYTHON    interpreter that has Debian's python3-mpi4py and
#             python3-distributed (default /usr/bin/python3)
# Installs python3-mpi4py and python3-distributed with apt-get if missing.
set -eu
reps=${1:-3}
here=$(cd "$(dirname "$0")" && pwd)
TF_BUILD=${TF_BUILD:-$(cd "$here/../.." && pwd)}
PY=${PYTHON:-/usr/bin/python3}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export PYTHONDONTWRITEBYTECODE=1
cores=$(nproc)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# ---- workload sizes (rates are per task, so different N compare) --------
TF_EMPTY_N=10000000
TF_MS_N=2000
MPI_EMPTY="1:5000 100:200000 10000:2000000 100000:2000000"   # chunksize:N
MPI_MS="1:1000 100:2000 1000:2000"
DASK_EMPTY="map:1000 batch:1000:50000"         # map:N | batch:K:N
DASK_MS="map:500 batch:100:2000"

# ---- set-up -----------------------------------------------------------------
have_py() { "$PY" -c 'import mpi4py.futures, dask.distributed' 2>/dev/null; }
if ! have_py; then
  export DEBIAN_FRONTEND=noninteractive
  pkgs="python3-mpi4py python3-distributed"
  echo "setup: installing $pkgs"
  if ! timeout 600 apt-get install -y --no-install-recommends $pkgs >"$tmp/apt" 2>&1; then
    timeout 600 apt-get update >>"$tmp/apt" 2>&1 || true
    timeout 600 apt-get install -y --no-install-recommends $pkgs >>"$tmp/apt" 2>&1 ||
      { tail -n 20 "$tmp/apt"; echo "setup: apt-get install failed" >&2; exit 1; }
  fi
  have_py || { echo "setup: $PY still cannot import mpi4py.futures / dask.distributed" >&2; exit 1; }
fi

echo "machine: $cores cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "versions: $("$PY" -c 'import sys, mpi4py, dask, distributed; print("python3", sys.version.split()[0], "mpi4py", mpi4py.__version__, "dask", dask.__version__, "distributed", distributed.__version__)'), $(mpirun --version | head -n 1)"
echo "taskfarm: $TF_BUILD/bench/tf_bench_empty, $TF_BUILD/bench/tf_bench_work"
if [ -x "$TF_BUILD/bench/tf_bench_empty" ]; then
  echo "taskfarm defaults (variant=default): $(timeout 30 "$TF_BUILD/bench/tf_bench_empty" --help 2>&1 |
    sed -n 's/^ *--\(schedule\|chunk\|prefetch\|idle\) .*(default \([^)]*\)).*/\1 \2/p' | paste -sd, - | sed 's/,/, /g')"
fi
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "note: rate = tasks / wall of the timed section (first submit to last result);"
echo "      start-up (MPI_Init, Python, cluster) is not timed; N differs per system, rates are per task"

# mpirun for W workers + 1 master: oversubscribe (and yield) only where ranks > cores
mpirun_w() {
  w=$1; shift
  np=$((w + 1))
  if [ "$np" -gt "$cores" ]; then
    set -- --oversubscribe --mca mpi_yield_when_idle 1 "$@"
  fi
  timeout -k 5 120 mpirun -np "$np" "$@"
}

# taskfarm binary run with retries (it may be mid-rebuild): prints its output
# line. A binary that fails all its tries is not run again in this run.
tf_run() {
  key=$(echo "$2" | tr / _)
  [ -e "$tmp/dead$key" ] && return 1
  for try in 1 2 3; do
    if out=$(mpirun_w "$@" 2>"$tmp/tf.err") && [ -n "$out" ]; then
      echo "$out"; return 0
    fi
    echo "warn: taskfarm run failed (try $try): $* : $(tail -n 2 "$tmp/tf.err" | tr '\n' ' ')" >&2
    [ "$try" -lt 3 ] && sleep 10
  done
  : >"$tmp/dead$key"
  return 1
}

# raw results: one line per measurement: WORKLOAD WORKERS SYSTEM VARIANT TASKS RATE
res=$tmp/raw
: >"$res"
for rep in $(seq "$reps"); do
  for wl in empty ms; do
    for w in 1 2; do
      # taskfarm
      if [ "$wl" = empty ]; then
        bin=$TF_BUILD/bench/tf_bench_empty
        line=$( [ -x "$bin" ] && tf_run "$w" "$bin" --tasks $TF_EMPTY_N --quiet ) || line=
        echo "$line" | awk -v wl=$wl -v w=$w '{ for (i = 1; i < NF; i++) f[$i] = $(i + 1) } ("rate" in f) { print wl, w, "taskfarm default", f["tasks"], f["rate"] }' >>"$res"
      else
        bin=$TF_BUILD/bench/tf_bench_work
        line=$( [ -x "$bin" ] && tf_run "$w" "$bin" --tasks $TF_MS_N --mean-us 1000 --dist const --quiet ) || line=
        echo "$line" | awk -v wl=$wl -v w=$w '{ for (i = 1; i < NF; i++) f[$i] = $(i + 1) } ("rate" in f) { print wl, w, "taskfarm default", f["tasks"], f["rate"] }' >>"$res"
      fi
      [ -n "$line" ] || echo "warn: taskfarm $wl workers=$w rep $rep: no result ($bin)" >&2
      # mpi4py.futures
      if [ "$wl" = empty ]; then specs=$MPI_EMPTY; else specs=$MPI_MS; fi
      (cd "$here" && mpirun_w "$w" "$PY" -m mpi4py.futures mpi4py_futures.py "$wl" $specs) \
        >"$tmp/out" 2>"$tmp/err" || echo "warn: mpi4py $wl workers=$w rep $rep: exit $?: $(tail -n 3 "$tmp/err")" >&2
      awk -v wl=$wl -v w=$w '/^mpi4py/ { print wl, w, "mpi4py chunk" $7, $9, $NF }' "$tmp/out" >>"$res"
      # Dask distributed
      if [ "$wl" = empty ]; then specs=$DASK_EMPTY; else specs=$DASK_MS; fi
      (cd "$here" && timeout -k 5 180 "$PY" dask_local.py "$wl" "$w" $specs) \
        >"$tmp/out" 2>"$tmp/err" || echo "warn: dask $wl workers=$w rep $rep: exit $?: $(tail -n 3 "$tmp/err")" >&2
      awk -v wl=$wl -v w=$w '/^dask/ { v = ($7 == "map") ? "map" : "batch" $9; print wl, w, "dask", v, $11, $NF }' "$tmp/out" >>"$res"
      if [ -s "$tmp/err" ]; then sort -u "$tmp/err" | head -n 3 | sed 's/^/note: dask stderr: /' >&2; fi
    done
  done
done

echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg) (this run's own processes count too; much above ~2-3 means something else ran beside it)"

# ---- medians and ratios ---------------------------------------------------------
awk '
  { k = $1 SUBSEP $2 SUBSEP $3 SUBSEP $4; if (!(k in n)) order[++nk] = k
    r[k, ++n[k]] = $6; tasks[k] = $5 }
  END {
    for (i = 1; i <= nk; i++) {
      k = order[i]; c = n[k]
      for (a = 1; a <= c; a++) s[a] = r[k, a] + 0
      for (a = 2; a <= c; a++) { x = s[a]; for (b = a - 1; b >= 1 && s[b] > x; b--) s[b + 1] = s[b]; s[b + 1] = x }
      med = (c % 2) ? s[(c + 1) / 2] : (s[c / 2] + s[c / 2 + 1]) / 2
      split(k, f, SUBSEP)
      printf "peer %s workers=%s system=%s variant=%s tasks=%s rate=%.0f min=%.0f max=%.0f (median of %d)\n", f[1], f[2], f[3], f[4], tasks[k], med, s[1], s[c], c
    }
  }' "$res" >"$tmp/med"
cat "$tmp/med"
echo
awk '
  { split($3, w, "="); split($4, s, "="); split($5, v, "="); split($7, r, "=")
    g = $2 " " $3; if (!(g in seen)) { seen[g] = 1; groups[++ng] = g }
    if (s[2] == "taskfarm") tf[g] = r[2]
    else { name = s[2] "-" v[2]; peers[g, ++np[g]] = name; rate[g, name] = r[2]
           if (s[2] == "mpi4py" && r[2] > best[g]) { best[g] = r[2]; bestv[g] = v[2] } } }
  END {
    for (i = 1; i <= ng; i++) {
      g = groups[i]
      if (!(g in tf)) { printf "ratio %s taskfarm/* = n/a (no taskfarm result)\n", g; continue }
      for (j = 1; j <= np[g]; j++) { p = peers[g, j]; printf "ratio %s taskfarm/%s = %.2f\n", g, p, tf[g] / rate[g, p] }
      if (best[g] > 0) printf "ratio %s taskfarm/mpi4py-best(%s) = %.2f\n", g, bestv[g], tf[g] / best[g]
    }
  }' "$tmp/med"
