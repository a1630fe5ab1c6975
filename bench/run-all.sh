#!/usr/bin/env bash
# bench/run-all.sh - every benchmark behind docs/PERFORMANCE.md, in one run,
# each figure beside its reference measured in the same run; rewrites
# docs/PERFORMANCE.md and the plots in docs/perf/.
#
# Usage (from the top of a built tree, after `make`):
#   bench/run-all.sh            all of it (about 10 minutes on 2 cores)
#   bench/run-all.sh --quick    fewer repetitions and smaller sizes
#   REPS=N                      repetitions per figure (median quoted)
#   SKIP_PEERS=1                leave out mpi4py.futures and Dask
# Installs gnuplot (and, for the peers, python3-mpi4py and
# python3-distributed) from Debian's archive when they are missing.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
quick=0
[ "${1:-}" = --quick ] && quick=1
REPS=${REPS:-$([ $quick = 1 ] && echo 3 || echo 5)}
scale() { [ $quick = 1 ] && echo $(($1 / 4)) || echo "$1"; }
for b in bench/tf_bench_empty bench/tf_bench_work bench/tf_pingpong taskfarm-mandelbrot taskfarm-nqueens; do
  [ -x "$b" ] || { echo "run-all: $b not built; run make first" >&2; exit 2; }
done
if ! command -v gnuplot >/dev/null 2>&1; then
  echo "run-all: installing gnuplot-nox"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gnuplot-nox >/dev/null 2>&1 ||
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gnuplot-nox >/dev/null; }
fi
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
W=$(nproc)
out=docs/PERFORMANCE.md
plots=docs/perf
mkdir -p "$plots"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
log() { echo "run-all: $*" >&2; }

# mpi NP CMD...: oversubscribe only when there are more ranks than cores.
mpi() {
  local np=$1
  shift
  local over=()
  [ "$np" -gt "$W" ] && over=(--oversubscribe)
  timeout 900 mpirun "${over[@]}" -np "$np" "$@"
}
median() { sort -g | awk '{ a[NR] = $1 } END { if (NR) print a[int((NR + 1) / 2)]; else print "nan" }'; }
# "LO to HI" of the numbers on stdin, one a line
span() { sort -g | awk 'NR == 1 { lo = $1 } END { printf "%.2f to %.2f", lo, $1 }'; }
# field N of a line matching PAT, median over REPS runs of CMD...
med_field() {
  local field=$1 pat=$2
  shift 2
  for _ in $(seq "$REPS"); do "$@" 2>&1 | awk -v f="$field" -v p="$pat" '$0 ~ p { print $f }'; done | median
}
fmt() { awk -v v="$1" 'BEGIN { if (v >= 1e6) printf "%.2f M", v / 1e6; else if (v >= 1e3) printf "%.1f k", v / 1e3; else printf "%.3g", v }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')
machine="$W cores ($cpu), $(free -g | awk '/Mem:/ { print $2 }') GiB, $(. /etc/os-release && echo "$PRETTY_NAME"), $(mpirun --version | head -n 1), $(gcc --version | head -n 1)"
log "machine: $machine; $REPS repetitions per figure"

# ---- 1. overhead ------------------------------------------------------------
n1=$(scale 400000)
nb=$(scale 20000000)
empty() { med_field 12 '^empty' mpi "$1" bench/tf_bench_empty --quiet "${@:2}"; }
# The round-trip rate of this VM can change by 2-3 times within seconds, so
# each 1-worker run is paired with a ping-pong run just before it, and the
# ratios to the round trip are medians of the pairs' ratios.
log "overhead: MPI ping-pong and empty tasks, each farm run after a ping-pong"
: >"$tmp/pp"
pp() { mpi 2 bench/tf_pingpong 200000 | tee -a "$tmp/pp" | awk '{ print $7 }'; }
one() { mpi 2 bench/tf_bench_empty --quiet "$@" 2>&1 | awk '/^empty/ { print $12 }'; }
for _ in $(seq "$REPS"); do
  echo "$(pp) $(one --tasks "$n1" --schedule dynamic --chunk 1) $(pp) $(one --tasks "$nb")"
done >"$tmp/pairs"
rt=$(awk '{ print $7 }' "$tmp/pp" | median)
ow=$(awk '{ print $10 }' "$tmp/pp" | median)
pr=$(awk '{ print $13 }' "$tmp/pp" | median)
e_c1_1=$(awk '{ print $2 }' "$tmp/pairs" | median)
e_ad_1=$(awk '{ print $4 }' "$tmp/pairs" | median)
# the ratios of column T to column R of the pairs, one a line; their median, their range
pair_ratios() { awk -v r="$1" -v t="$2" '{ printf "%.4f\n", $t / $r }' "$tmp/pairs"; }
pair_ratio() { pair_ratios "$@" | median | xargs printf "%.2f"; }
pair_range() { pair_ratios "$@" | span; }
c1_ratio=$(pair_ratio 1 2)
ad_ratio=$(pair_ratio 3 4)
rt_range="$(awk '{ print $7 / 1e6 }' "$tmp/pp" | span) M"
e_c1_w=$(empty $((W + 1)) --tasks "$n1" --schedule dynamic --chunk 1)
e_ad_w=$(empty $((W + 1)) --tasks "$nb")
{
  echo "\"1 worker, chunk 1\" $e_c1_1"
  echo "\"1 worker, adaptive\" $e_ad_1"
  echo "\"$W workers, chunk 1\" $e_c1_w"
  echo "\"$W workers, adaptive\" $e_ad_w"
} >"$tmp/overhead.dat"

# ---- 2. idle modes: dedicated cores and more ranks than cores ---------------
log "idle modes"
declare -A idle_rate idle_over
for mode in backoff spin sleep; do
  n=$n1
  [ $mode = sleep ] && n=$((n1 / 40)) # each message waits out a nap: slow, and rates are per task
  idle_rate[$mode]=$(empty 2 --tasks "$n" --schedule dynamic --chunk 1 --idle $mode)
  idle_over[$mode]=$(med_field 15 'workers in' mpi $((2 * W + 1)) taskfarm-mandelbrot --output "$tmp/m.png" --idle $mode)
done

# ---- 3. load balance ----------------------------------------------------------
log "load balance"
: >"$tmp/lb"
for mean in 1000 10000; do
  ntask=$((W * 1000000 / mean))
  [ $quick = 1 ] && ntask=$((ntask / 2))
  for dist in exp pareto ramp; do
    line="$dist $mean"
    for sched in static dynamic guided adaptive; do
      eff=$(med_field 15 '^work' mpi $((W + 1)) bench/tf_bench_work --tasks "$ntask" --mean-us "$mean" \
        --dist "$dist" --schedule "$sched" --quiet)
      line="$line $eff"
    done
    # What an ideal in-order dynamic schedule would reach (no costs at all).
    bound=$(bench/tf_bench_work --tasks "$ntask" --mean-us "$mean" --dist "$dist" --bound-for "$W" |
      awk '/^bound/ { print $NF }')
    echo "$line $bound" >>"$tmp/lb"
  done
done

# ---- 4. memory ------------------------------------------------------------------
log "memory"
: >"$tmp/mem"
for n in 1000000 10000000 100000000; do
  [ $quick = 1 ] && [ $n = 100000000 ] && n=30000000
  mpi 2 bench/tf_bench_empty --tasks $n --quiet | awk -v n=$n '{ print n, $15, $12 }' >>"$tmp/mem"
done

# ---- 5. scaling -------------------------------------------------------------------
log "scaling"
: >"$tmp/scale"
for w in $(seq 1 "$W"); do
  m=$(med_field 15 'workers? in' mpi $((w + 1)) taskfarm-mandelbrot --output "$tmp/m.png")
  q=$(med_field 15 'workers? in' mpi $((w + 1)) taskfarm-nqueens)
  echo "$w $m $q" >>"$tmp/scale"
done

# ---- 7. fault handling -------------------------------------------------------------
log "fault handling (heartbeats, journal)"
sh bench/faults.sh "$([ $quick = 1 ] && echo 2000000 || echo 10000000)" "$([ $quick = 1 ] && echo 1 || echo 5)" \
  >"$tmp/faults"

# ---- 8. tracing overhead -------------------------------------------------------------
log "tracing overhead (--trace)"
bash bench/trace.sh "$REPS" >"$tmp/trace"

# ---- 9. memory by bytes (flow control) -----------------------------------------------
log "flow control by bytes (large results)"
sh bench/flow.sh "$([ $quick = 1 ] && echo 1 || echo 3)" >"$tmp/flow"
# The table's rows: the master's largest peak over its base (default), the
# workers' largest, the worst default / best --prefetch ratio, and how many
# cases were more than 5 % slower than the best hand-tuned setting.
flow_rows() { awk -F'|' '$2 ~ /[0-9]/' "$tmp/flow"; }
flow_mem=$(flow_rows | awk -F'|' '{ split($7, a, ","); if (a[1] + 0 > m) m = a[1] + 0 } END { print m + 0 }')
flow_wmem=$(flow_rows | awk -F'|' '{ if ($8 + 0 > m) m = $8 + 0 } END { print m + 0 }')
flow_worst=$(flow_rows | awk -F'|' '{ split($5, a, " "); if (a[1] + 0 > m) m = a[1] + 0 } END { print m + 0 }')
flow_slow=$(flow_rows | awk -F'|' '{ split($5, a, " "); n++; if (a[1] + 0 > 1.05) k++ } END { printf "%d of %d", k, n }')

# ---- 10. farms larger than this machine (the simulator) -------------------------------
log "simulated farms up to 10^6 workers"
sh bench/sim/predict.sh "$([ $quick = 1 ] && echo 20 || echo 200)" "$plots/simulated.png" >"$tmp/sim"

# ---- 11. cmdfarm beside GNU parallel ---------------------------------------------------
log "cmdfarm beside GNU parallel"
sh bench/cmdfarm_parallel.sh "$([ $quick = 1 ] && echo 1 || echo 3)" >"$tmp/cmdfarm"

# ---- 12. longest first ----------------------------------------------------------------
log "longest first: tasks of very uneven cost"
sh bench/longest_first.sh "$([ $quick = 1 ] && echo 3 || echo 7)" 2 >"$tmp/longest"

# ---- 13. relays ------------------------------------------------------------------------
log "relays: on this machine and over the namespace network"
sh bench/relays.sh "$(scale 2000000)" "$REPS" 2 | tail -n 2 >"$tmp/relays"
if [ "$(id -u)" = 0 ]; then
  sh bench/relays_net.sh "$(scale 3000000)" "$REPS" 2>/dev/null | tail -n 3 >"$tmp/relays_net" ||
    echo "(failed: run bench/relays_net.sh by itself to see why)" >"$tmp/relays_net"
else
  echo "(not measured: the network namespaces need root)" >"$tmp/relays_net"
fi

# ---- 14. accepting workers -------------------------------------------------------------
log "accepting workers: plain, heartbeats, --accept-workers, a joined worker"
if command -v ompi-server >/dev/null 2>&1; then
  sh bench/accept.sh "$(scale 4000000)" "$REPS" | sed -n '/^MPI ping-pong/,$p' >"$tmp/accept" ||
    echo "(failed: run bench/accept.sh by itself to see why)" >"$tmp/accept"
else
  echo "(not measured: ompi-server, Open MPI's name server, not found)" >"$tmp/accept"
fi

# ---- 6. peers ------------------------------------------------------------------------
peers_ok=0
if [ "${SKIP_PEERS:-0}" != 1 ] && [ -x bench/peers/run.sh ]; then
  log "peers (mpi4py.futures, Dask)"
  if TF_BUILD="$top" bench/peers/run.sh "$([ $quick = 1 ] && echo 1 || echo 3)" >"$tmp/peers" 2>"$tmp/peers.err"; then
    peers_ok=1
  else
    log "peers failed: $(tail -n 3 "$tmp/peers.err")"
  fi
fi

# ---- plots ----------------------------------------------------------------------------
log "plots"
gnuplot <<EOF
set terminal pngcairo size 900,420 font ",10" noenhanced
set output "$plots/overhead.png"
set title "Empty tasks per second, beside the MPI limits measured in the same run"
set style data histograms
set style fill solid 0.8
set logscale y
set yrange [1e4:*]
set ylabel "tasks/s (log)"
set grid ytics
set key top left
plot "$tmp/overhead.dat" using 2:xtic(1) title "taskfarm" lc rgb "#3070b0", \
     $rt title sprintf("MPI round trips/s (%.2g)", $rt) with lines lw 2 lc rgb "#c03030", \
     $ow title sprintf("MPI one-way msgs/s (%.2g)", $ow) with lines lw 2 dt 2 lc rgb "#30a030"
EOF
awk '{ printf "\"%s %s ms\" %s %s %s %s\n", $1, $2 / 1000, $3, $4, $5, $6 }' "$tmp/lb" >"$tmp/lb.dat"
gnuplot <<EOF
set terminal pngcairo size 900,420 font ",10" noenhanced
set output "$plots/loadbalance.png"
set title "Load-balance efficiency, $W workers: sum of task times / (workers x wall time)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8
set yrange [0:1.05]
set grid ytics
set key outside right
set arrow from graph 0, first 0.95 to graph 1, first 0.95 nohead dt 2 lc rgb "#c03030"
plot "$tmp/lb.dat" using 2:xtic(1) title "static", '' using 3 title "dynamic", \
     '' using 4 title "guided", '' using 5 title "adaptive"
EOF
gnuplot <<EOF
set terminal pngcairo size 700,380 font ",10" noenhanced
set output "$plots/memory.png"
set title "Master peak resident memory"
set logscale x
set xlabel "empty tasks"
set ylabel "MiB"
set yrange [0:*]
set grid
plot "$tmp/mem" using 1:(\$2 / 1024) with linespoints lw 2 pt 7 title "master peak RSS"
EOF
gnuplot <<EOF
set terminal pngcairo size 700,380 font ",10" noenhanced
set output "$plots/scaling.png"
set title "Speed-up over 1 worker"
set xlabel "workers"
set ylabel "speed-up"
set xtics 1
set grid
set key top left
f1 = real(system("awk 'NR == 1 { print \$2 }' $tmp/scale"))
g1 = real(system("awk 'NR == 1 { print \$3 }' $tmp/scale"))
plot "$tmp/scale" using 1:(f1 / \$2) with linespoints lw 2 pt 7 title "mandelbrot", \
     '' using 1:(g1 / \$3) with linespoints lw 2 pt 5 title "nqueens", x with lines dt 2 title "ideal"
EOF

# ---- the report ----------------------------------------------------------------------
log "writing $out"
mem1=$(awk 'NR == 1 { print $2 }' "$tmp/mem")
memN=$(awk 'END { print $2 }' "$tmp/mem")
tasksN=$(awk 'END { print $1 }' "$tmp/mem")
mpi_c1=$(awk '/^ratio empty workers=1 taskfarm\/mpi4py-chunk1 /{ print $NF }' "$tmp/peers" 2>/dev/null || true)
# The smallest ratio to mpi4py at its best chunksize, over workloads and worker counts.
mpi_best=$(awk '/^ratio .* taskfarm\/mpi4py-best\(/ { v = $NF + 0; if (min == "" || v < min) min = v } END { print min }' "$tmp/peers" 2>/dev/null || true)
verdict() { awk -v v="$1" -v t="$2" -v op="$3" 'BEGIN { if (v == "" || v == "nan") print "not measured"; else if ((op == ">=" && v >= t) || (op == "<=" && v <= t)) print "met"; else print "missed" }'; }
mem_ratio=$(ratio "$memN" "$mem1")
{
  cat <<EOF
# Performance

Every figure here comes from one run of

    bench/run-all.sh

on this machine: $machine, on $(date -u +%Y-%m-%d). Each figure is the median of
$REPS runs, and each is shown beside its reference (the MPI limits, a peer, the
other schedules) measured in the same run, since absolute times drift on these
shared machines. Rerun the command to reproduce; it rewrites this file and the
plots in docs/perf/.

## Targets

| target | measured | |
|---|---|---|
| chunk-1 dispatch >= 0.5 x the MPI round-trip rate (1 worker, shared memory; each run beside the ping-pong just before it) | $(fmt "$e_c1_1") tasks/s; $c1_ratio x the round trip (median of $REPS pairs, $(pair_range 1 2)) | $(verdict "$c1_ratio" 0.5 ">=") |
| adaptive >= 5 x the MPI round-trip rate (1 worker, paired the same way) | $(fmt "$e_ad_1") tasks/s; $ad_ratio x the round trip ($(pair_range 3 4)) | $(verdict "$ad_ratio" 5 ">=") |
| >= 10 M empty tasks/s batched, 1 worker | $(fmt "$e_ad_1") tasks/s | $(verdict "$e_ad_1" 10000000 ">=") |
| >= 100 x mpi4py.futures at chunksize 1 | ${mpi_c1:-?} x | $(verdict "${mpi_c1:-}" 100 ">=") |
| ahead of mpi4py.futures at its best chunksize (empty and 1 ms tasks, 1 and $W workers: the smallest ratio) | ${mpi_best:-?} x | $(verdict "${mpi_best:-}" 1 ">=") |
| load-balance efficiency >= 0.95 for adaptive where static falls clearly below | see the table below | $(awk '{ t = ($7 < 1 ? 0.95 * $7 : 0.95); if ($3 < 0.9 && $6 < t) bad++; if ($3 < 0.9) n++ } END { if (!n) print "no workload where static fell below 0.9"; else if (bad) print "missed on " bad " of " n " (0.95, or 0.95 x the bound)"; else print "met on all " n " (0.95, or 0.95 x the bound)" }' "$tmp/lb") |
| master peak RSS at $(fmt "$tasksN") tasks within 10 % of that at 1 M | $((memN / 1024)) MiB vs $((mem1 / 1024)) MiB (x $mem_ratio) | $(verdict "$mem_ratio" 1.10 "<=") |
| large results (64 KiB, 2 MiB, 8 MiB; 1-4 workers): master peak over a run with 8-byte results within \`--max-in-flight\` (64 MiB) | at most $flow_mem MiB (workers at most $flow_wmem MiB) | $(verdict "$flow_mem" 64 "<=") |
| large results: the default no slower than the best hand-tuned \`--prefetch\` (median ratio per case, 5 % noise allowed) | worst $flow_worst; above 1.05 in $flow_slow cases | $(verdict "$flow_worst" 1.05 "<=") |

What limits the targets that can be missed on a given run:
- chunk-1 dispatch: every task is one exchange with the master (a TASKS
  message out, a RESULTS message back carrying the next request), so the rate
  is the MPI round trip plus the master's work per message (MPI_Testsome over
  the receives kept posted, validation, the ledger, the answer's MPI_Isend)
  and the worker's, each side also polling without blocking where the
  ping-pong blocks inside MPI; with one request open at a time that landed
  between 0.35 and 0.5 of the bare ping-pong (a worker now keeps a second on
  its way, and two exchanges overlap: below). Batching (any chunk above 1, or adaptive) is the way
  past it. Each clock read costs about 28 ns here (\`clock_gettime\`, vDSO):
  a worker that starts a task the moment it arrives now reads the clock once
  for the arrival, the task's start and the request it sends, and the idle
  back-off reads none in a wait that ends within its first 32 polls (the
  worker still reads the clock once when a wait begins). Measured on 2026-11-30 (2
  cores, AMD EPYC; 15 repetitions, each running the ping-pong, the build
  before and the build after, one after the other: \`bench/tf_pingpong
  200000\`, \`bench/tf_bench_empty --tasks 300000 --schedule dynamic --chunk
  1\`): after / before median 1.12; chunk 1 / ping-pong median 0.56 after
  (0.49 before) in the 5 repetitions where the ping-pong ran in the slow mode
  (about 1.1 M round trips/s), 0.30 after (0.26 before) in the 10 in the
  fast mode (2.0-3.1 M). The fast mode is where the target stays missed: the
  ping-pong speeds up 2-3 times there, the farm's own work per message does
  not.
  The library is built with link-time optimisation (configure's default
  where the compiler has it; \`--disable-lto\` turns it off): the per-task
  path runs through the queue, the ledger, the wire code and the engines,
  small functions in separate files, and LTO lets the compiler inline across
  them. Measured on 2026-12-01 (2 cores, AMD EPYC; 25 repetitions, each
  running the ping-pong, then the build without and the build with, in
  alternating order: \`bench/tf_bench_empty --tasks 3000000\`, and
  \`--tasks 300000 --schedule dynamic --chunk 1\`): with / without median
  1.15 adaptive, 1.07 chunk 1; 1.23 and 1.18 in the 8 repetitions where the
  ping-pong ran in the slow mode (about 1.1 M round trips/s), 1.06 and 1.01
  in the 17 in the fast mode (about 2.3 M). Adaptive / ping-pong there: 8.89
  with (7.05 without) slow, 4.28 (3.88) fast; chunk 1 / ping-pong 0.53
  (0.49) slow, 0.26 (0.24) fast.
  Where the time of a chunk-1 task goes (2026-12-01, same machine). A rank
  that must not block in MPI_Recv (the master serves every worker and its
  own work; a worker has a heartbeat beside its tasks) pays for an
  MPI_Isend, for MPI_Testsome over the receives it keeps posted, and for
  posting each receive again. \`bench/tf_pingpong\` measures that alone, with
  no work of the framework's ("polled": 48-byte frames, two receives kept
  posted): 0.62-0.65 of the blocking round-trip rate in the fast mode, 0.74
  in the slow one (6 runs; \`bench/overhead.sh\` prints it beside chunk 1).
  A chunk-1 rate of 0.5 x the blocking one therefore leaves the framework
  about 0.15 us a round trip in the fast mode, both ranks together; it
  takes about 1 us now. Counted in instructions (the master rank under
  callgrind, 10^6 empty tasks, 1 worker:
  \`mpirun -np 1 -x LD_LIBRARY_PATH=.libs valgrind --tool=callgrind
  bench/.libs/tf_bench_empty --tasks 1000000 --schedule dynamic --chunk 1 :
  -np 1 bench/tf_bench_empty --tasks 1000000 --schedule dynamic --chunk 1\`):
  4,680 a task, of which about 2,100 inside MPI (about 4 MPI_Testsome
  calls at 370 each with the progress engine, MPI_Isend 470, a receive
  posted again 335) and the rest the framework's: the results frame 680
  (decoding and handling it), the answer 150 besides its send, and the
  loop's two to three turns a task (polling, dispatch, the sends in
  flight). With the adaptive schedule (the same command without the
  schedule options) the master executed 725 instructions a task: the
  result's path about 320 (decoding, the ledger, collect), generating 135
  (tf_submit, the queue), dispatch 220 (the queue, the ledger, encoding).
  Link-time optimisation left that count as it was (733 without); its
  gain is in how fast they run.
  Since then the steps every task takes are inline (the queue's append and
  pop, the ledger's push and pop, a result's check against its child's head,
  the call of collect), their rare cases out of line: about 560 instructions a
  task (556 to 565 between builds; chunk 1: 4,540, from 4,680). In time,
  beside the build before these steps (30 repetitions each, as above,
  \`--tasks 3000000\`; three such runs, at 621, 603 and 565 instructions):
  adaptive 1.12, 1.20 and 1.10 x its rate before (medians of the
  per-repetition ratios), and 5.36, 4.99 and 4.63 x the round trip in the fast
  mode (4.90, 4.13 and 4.22 before); chunk 1 within the noise (0.98 to 1.08).
  Link-time optimisation and these steps together, beside the build before
  both (50 repetitions, the same runs; both builds in alternating order):
  adaptive 1.29 x (1.22 in the 18 slow repetitions, 1.32 in the 32 fast ones),
  9.94 x the round trip in the slow mode (7.67 before) and 5.46 x in the fast
  mode (3.95 before); chunk 1 1.06 x, 0.57 (0.55) and 0.29 (0.26) of the round
  trip. The master's own time per task (\`--stats\`, \`master.busy_s\` over
  10^7 tasks on 1 worker, 12 runs, each beside the build before both): median
  63 ns (52 to 107) where that build took 103 ns (70 to 133), a ratio of 0.63;
  the master was busy 92 to 98 % of the run (6 runs of 5 x 10^6 tasks), so it
  still sets the rate.
  On 2026-12-02 (2-core Intel Xeon VM; \`sh bench/overhead.sh 3000000 9\`) the
  machine ran in one mode only, ping-pong 1.85 M round trips/s (1.77 to 1.89
  M): chunk 1 0.57 x (0.56 to 0.59), adaptive 14.05 x (11.68 to 15.03), the
  polled ping-pong 0.76 x; both targets hold in that mode. Chunk 1 stayed
  near one task per round trip whatever the depth because a worker had one
  request open at a time: with depth 2 the next task was asked for when the
  last one in hand started, and a task shorter than a round trip left the
  worker waiting for the answer. Since then a worker with nothing queued asks
  again while its request is on its way (two open at most, each answered by
  one frame in order: docs/ARCHITECTURE.md, "How a task flows"), so two
  exchanges overlap; and a rank asks MPI_Testsome once per drain of its
  messages, not once more after the last (src/comm_recv.c). Beside the build
  before both, the same day and machine (\`sh bench/overhead.sh 3000000 9
  BEFORE\`: every repetition runs the ping-pong, then each schedule on both
  builds; ping-pong 1.89 M round trips/s, 1.81 to 1.97 M, one mode again):
  chunk 1 0.96 x the round trip (0.85 to 0.97) where the build before made
  0.56 (0.52 to 0.61), x 1.71, above the polled ping-pong (0.74 x: both
  ranks polling, no work of the framework's); chunk 16 6.02 x (4.33 before),
  chunk 256 9.50 (8.98), adaptive 13.89 (14.32; the spreads 13.02 to 14.55
  and 12.10 to 14.60 overlap). Each step alone, in runs of their own: the
  second request, chunk 1 0.73 beside 0.56 (7 repetitions); the drain,
  beside the second request, 0.95 beside 0.75 (9). Two workers on the 2
  cores (3 ranks, \`--oversubscribe\`, 5 repetitions alternating the builds,
  \`bench/tf_bench_empty --schedule dynamic --chunk 1 --tasks 300000\`, and
  \`--tasks 3000000\` adaptive): chunk 1 median 1.96 x the build before
  (0.75 to 0.92 M tasks/s beside 0.37 to 0.49 M), adaptive 0.98 x (19 to
  27 M beside 18 to 27 M). Under callgrind (2 x
  10^5 chunk-1 tasks, 1 worker) the master with the second request
  executed 4,900 instructions a task where it executed 7,300 before (the
  same work, fewer empty polls while it waited): polling 2,100 a task (3.5
  MPI_Testsome calls over the posted receives at 355 instructions each;
  7.3 at 306 before), answering 1,120 (MPI_Isend 470), the results frame
  400; the drain then took the calls to 2.6 a task. By the factor measured
  here the fast mode's 0.29 would reach about 0.5, the target's edge;
  whether it holds there needs that mode to measure.
  On 2026-12-02 (2-core AMD EPYC VM, the machine of the fast mode) the
  next limit was the idle back-off: a rank whose wait outlasted 32 empty
  polls called \`sched_yield\` between polls, and on this VM a yield is a
  system call that costs a few round trips; in a chunk-1 run both ranks
  wait that long often, and the yields showed in a profile of both ranks
  (\`perf record\`, 5 to 8 % in \`sched_yield\`, 16 to 20 % in the kernel). A
  rank on a core of its own now spins for 20 us before its first yield (a
  rank whose node runs more ranks than cores yields at once, as before:
  docs/ARCHITECTURE.md, "Idle ranks"). \`bench/overhead.sh\` now runs the
  ping-pong right before each farm run, pairs the two, and gives the
  medians of each mode apart, since the modes change within seconds. With
  \`sh bench/overhead.sh 3000000 15 BEFORE\` (the build before this change):
  in the slow mode (83 ping-pongs, median 1.13 M round trips/s) chunk 1
  1.04 x the round trip (0.91 to 1.14; before 0.35, 0.28 to 0.91), chunk
  16 6.37 (6.22), chunk 256 7.67 (7.62), adaptive 10.49 (9.60); in the
  fast mode (37 ping-pongs, median 3.27 M, 2.33 to 3.82 M) chunk 1 0.57 x
  (0.49 to 0.68, 5 runs; before 0.44), chunk 16 3.55 (3.59), chunk 256
  4.23 (4.26), adaptive 6.44 (5.81 to 10.20, 4 runs; before 6.30). Both
  targets hold in both modes on the medians; chunk 1 in the fast mode is
  near the edge (its lowest run 0.49).
  Two more runs the same day: beside the build before again (\`sh
  bench/overhead.sh 3000000 20 BEFORE\`; the fast mode came for 8 of 160
  ping-pongs) slow mode chunk 1 1.07 (before 0.39), adaptive 10.12
  (10.40), fast mode chunk 1 0.72 and adaptive 6.06 (one run each); and
  this build alone (\`sh bench/overhead.sh 3000000 30\`): slow mode (87
  ping-pongs, median 1.12 M) chunk 1 0.95 (0.67 to 1.12), adaptive 10.17;
  fast mode (33 ping-pongs, median 3.30 M) chunk 1 0.53 (0.33 to 0.63, 9
  runs), chunk 16 3.32, chunk 256 4.36, adaptive 5.69 (5.13 to 6.65, 8
  runs). Over the three runs the fast mode's chunk-1 runs (15) have a
  median of 0.56 and its adaptive runs (13) all lie at 5.13 or above. A
  mode can change during a run (the ping-pong just before is the
  reference), which is one reason for single low runs.
- 1 ms tasks beside mpi4py.futures at its best chunksize: both run at the limit
  the work itself sets (1000 tasks/s per worker); the ratio is 1 within the
  run-to-run spread. The gap that matters is at small chunks and empty tasks.
- Large results, time: where a hand-tuned \`--prefetch\` wins, the default
  has fewer results on their way to the master (at most 4 large frames per
  worker, and only what its byte share allows) than a deep prefetch, which
  buys its speed with the master's memory. The ranges of the ratios mostly straddle 1: on
  this 2-core machine the master and the workers share the cores, and the
  run-to-run spread is as large as the differences.
- Load balance with Pareto 10 ms tasks: about 100 tasks per worker with a
  heavy tail; the longest task (about 0.5 s of a 1 s run) comes late in id
  order, so even the ideal in-order schedule (the bound column) reaches only
  0.89, and every schedule ends near it.

## 1. Overhead: empty tasks

Empty tasks (no payload, no result) measure the framework's own cost per task.
"chunk 1" is \`--schedule dynamic --chunk 1\`: one task per message, the next
request riding on the result; "adaptive" is the default schedule, which batches
tiny tasks. The references: 8-byte MPI ping-pong between two ranks (round trips/s:
the most tasks/s a master can serve if every task is a message each way) and a
one-way stream of 8-byte messages. The round-trip rate of a VM can change by
2-3 times within seconds, so every 1-worker run comes right after a ping-pong
run, and its ratio to the round trip is the median of the $REPS pairs' ratios
("paired"); the other rows divide medians.

| | tasks/s | / MPI round trips/s | / MPI one-way msgs/s |
|---|---|---|---|
| MPI ping-pong | $(fmt "$rt") round trips/s ($rt_range over $((2 * REPS)) runs) | 1 | |
| MPI one-way stream | $(fmt "$ow") msgs/s | | 1 |
| MPI ping-pong, polled (48-byte frames, Isend, Testsome over two receives kept posted and the send: bench/pingpong.c) | $(fmt "$pr") round trips/s | $(ratio "$pr" "$rt") | |
| 1 worker, chunk 1 | $(fmt "$e_c1_1") | $c1_ratio (paired) | $(ratio "$e_c1_1" "$ow") |
| 1 worker, adaptive | $(fmt "$e_ad_1") | $ad_ratio (paired) | $(ratio "$e_ad_1" "$ow") |
| $W workers, chunk 1 | $(fmt "$e_c1_w") | $(ratio "$e_c1_w" "$rt") | $(ratio "$e_c1_w" "$ow") |
| $W workers, adaptive | $(fmt "$e_ad_w") | $(ratio "$e_ad_w" "$rt") | $(ratio "$e_ad_w" "$ow") |

![overhead](perf/overhead.png)

With $W workers on $W cores the master shares a core with a worker
(\`--oversubscribe\`), so more workers do not mean more empty tasks per second
here: one master serves them all, and the 16-core figures need a machine with
real cores to spare.

## 2. Idle strategy

\`--idle\` decides what a waiting rank does. On dedicated cores (1 worker, chunk
1: every task waits for a reply) waiting must cost no latency; with more ranks
than cores (mandelbrot with $((2 * W)) workers and a master on $W cores) an idle
rank must leave the core to the ones that compute.

| --idle | 1 worker, chunk 1: tasks/s | mandelbrot, $((2 * W)) workers on $W cores: s |
|---|---|---|
EOF
  for mode in backoff spin sleep; do
    echo "| $mode | $(fmt "${idle_rate[$mode]}") | ${idle_over[$mode]} |"
  done
  cat <<EOF

\`backoff\`, the default, polls for 5 ms (spinning for the first 20 us on a
core of its own, yielding the core between polls after that, or from the
start where the node runs more ranks than it has cores) and then naps; it
should be close to \`spin\` in the first column and close to \`sleep\` in the
second.

## 3. Load balance

Busy-wait tasks with durations drawn per task id (the same workload for every
schedule): exponential, Pareto (alpha 1.5, heavy-tailed) and a ramp (task i
lasts in proportion to i, as in a triangular loop), with means of 1 ms and 10 ms,
about $W s of work per run on $W workers. Efficiency = sum of task times /
(workers x wall time from the first task generated to the last result). The
bound is what an ideal dynamic schedule would reach: tasks handed out in id
order (the order they are generated in), each to the first free worker, at no
cost. Even it waits for a long task that comes late, so with heavy tails and
few tasks per worker it is below 1.

| durations | mean | static | dynamic | guided | adaptive | bound |
|---|---|---|---|---|---|---|
EOF
  awk '{ printf "| %s | %g ms | %s | %s | %s | %s | %s |\n", $1, $2 / 1000, $3, $4, $5, $6, $7 }' "$tmp/lb"
  cat <<EOF

![load balance](perf/loadbalance.png)

## 4. Memory

Peak resident memory of the master (VmHWM) after running N empty tasks with 1
worker. Generation is lazy and the queue is bounded by the workers' plans, so it
must not grow with N.

| tasks | master peak RSS | tasks/s |
|---|---|---|
EOF
  awk '{ printf "| %d | %.1f MiB | %.2f M |\n", $1, $2 / 1024, $3 / 1e6 }' "$tmp/mem"
  cat <<EOF

![memory](perf/memory.png)

## 5. Scaling

Time of the farm (from the summary line: first task to last result) for the
mandelbrot and nqueens apps with their default arguments, 1 to $W workers
(one master more), and the speed-up over 1 worker. This machine has $W cores;
a scaling curve worth the name needs the 16-core machine.

| workers | mandelbrot s | speed-up | nqueens s | speed-up |
|---|---|---|---|---|
EOF
  awk 'NR == 1 { m = $2; q = $3 } { printf "| %d | %.3f | %.2f | %.3f | %.2f |\n", $1, $2, m / $2, $3, q / $3 }' "$tmp/scale"
  cat <<EOF

![scaling](perf/scaling.png)

## 6. Peers

The same empty and 1 ms workloads with mpi4py.futures (\`MPIPoolExecutor.map\`)
and Dask distributed (\`LocalCluster\`, processes), from Debian's packages;
Python start-up is not timed. See bench/peers/README.md.

EOF
  if [ $peers_ok = 1 ]; then
    echo '```'
    cat "$tmp/peers"
    echo '```'
  else
    echo "Not measured in this run (SKIP_PEERS=1, or bench/peers/run.sh failed)."
  fi
  cat <<EOF

## 7. What fault handling costs

\`bench/faults.sh\`: empty tasks with nothing on, with heartbeats (what
\`mpirun --enable-recovery\`, \`--task-timeout\` or \`--worker-timeout\` turn on:
\`MPI_THREAD_SERIALIZED\` and a heartbeat thread on each worker that takes
turns with the main thread through a lock), and with a \`--journal\` on local
disk; then 1 ms tasks, where none of it shows. Open MPI 4.1 makes every call
dearer under \`MPI_THREAD_SERIALIZED\`, which is why heartbeats are off unless
one of those asks for them (docs/FAULTS.md).

\`\`\`
EOF
  cat "$tmp/faults"
  echo '```'
  cat <<EOF

## 8. What tracing costs

\`bench/trace.sh\`: 1 ms tasks and empty tasks, each with and without
\`--trace\` (a preallocated buffer of 32-byte events on every rank, sent to
the master in the BYE frame at the end; docs/OBSERVABILITY.md). The rate is
the summary's, so writing the file after the run is not counted.

\`\`\`
EOF
  cat "$tmp/trace"
  echo '```'
  cat <<EOF

## 9. Memory by bytes: large results

\`bench/flow.sh\`: tasks whose results are 64 KiB, 2 MiB or 8 MiB, on 1 to 4
workers, with a master whose \`collect\` is slower than the workers (1 ms a
result: results pile up unless something pushes back) and with one that keeps
up. The default (\`--max-in-flight 64M\`, adaptive) runs beside hand-tuned
\`--prefetch 1, 2, 4, 8\` in turn within each repetition; the ratio is the
median over repetitions of the default's time over the best hand-tuned time
of the same repetition. Memory is each rank's peak (VmHWM) less that of the
same run with 8-byte results (what MPI and the program take by themselves).

EOF
  cat "$tmp/flow"
  cat <<EOF

## 10. Farms larger than this machine (simulated)

\`bench/sim/predict.sh\`: the simulator of docs/SIMULATION.md (checked there
against real runs on this machine) with the costs measured here and
InfiniBand-class links between nodes of 16 ranks; "relays": one relay per
node, as \`--relays node\` makes them (section 13 measures real ones).
Efficiency is task time over workers x farm time; the root's load is the
fraction of the run it spends handling messages. (The model is
deterministic, so its figures do not move with the machine's speed.)

![simulated](perf/simulated.png)

EOF
  cat "$tmp/sim"
  cat <<EOF

## 11. cmdfarm beside GNU parallel

\`bench/cmdfarm_parallel.sh\`: 10,000 trivial commands (\`true ARG\`) and 1,000
commands of 10 ms (\`sleep 0.01; : ARG\`), each in GNU parallel's form
(\`COMMAND :::: FILE\`, \`-k\`), through \`parallel -j2\` and through
\`taskfarm-cmdfarm\` with 2 workers (\`mpirun -np 3\`), the two interleaved in
every repetition. The ratio is the median of the per-repetition ratios
parallel / cmdfarm (above 1: cmdfarm is faster). "Per command" is the wall
time less the commands' own work over 2 workers, per command: what starting
it costs (a /bin/sh each for both) and what the farm costs.

\`\`\`
EOF
  cat "$tmp/cmdfarm"
  echo '```'
  cat <<EOF

## 12. Longest first: tasks of very uneven cost

\`bench/longest_first.sh\`: the example of docs/WRITING-AN-APP.md section 9
(the primes below k^4 M for k = 1..20 by trial division: task k costs about
k^6 times task 1), extracted from the doc and built against this tree, with 2
workers, in parameter order and with \`--longest-first\`, the two interleaved
in every repetition. The makespan is the farm's own time (the summary's "in
X s"); the bound is one process's time for all the tasks over 2.

EOF
  cat "$tmp/longest"
  cat <<EOF

## 13. Relays

\`bench/relays.sh\` and \`bench/relays_net.sh\`: the same workers served flat
(\`--relays off\`) and through relays, the two interleaved in every
repetition; each figure is the median of the per-repetition ratios (rate
through relays) / (rate flat), with their range. On one machine, a relay
for the group (\`--relays K\`):

\`\`\`
EOF
  cat "$tmp/relays"
  cat <<EOF
\`\`\`

Over the network of docs/SIMULATION.md (the three namespace hosts, TCP over
a bridge, every message TCP, inside a host too): the root alone on one
host, the workers one per other host, flat or through a relay on their
host (\`--relays node\`; needs root):

\`\`\`
EOF
  cat "$tmp/relays_net"
  echo '```'
  cat <<EOF

## 14. Cost of accepting workers

\`bench/accept.sh\`: empty tasks on a farm that accepts workers
(\`--accept-workers\`) and that none join, beside the same farm plain and
with heartbeats only (\`--worker-timeout 30\`), the three in turn in every
repetition; each figure is the median of the per-repetition ratios, with
their range. Heartbeats are \`MPI_THREAD_SERIALIZED\` and a heartbeat
thread on each worker; \`--accept-workers\` adds \`MPI_THREAD_MULTIPLE\` on
rank 0 and a thread there blocked in \`MPI_Comm_accept\`, so the last
column is what that part costs. Then a farm of rank 0 alone and a job of 1
rank that joins it, beside a farm's own worker (rates from the first
result on: the farm of rank 0 alone waits for the job).

EOF
  cat "$tmp/accept"
} >"$out"
log "done: $out"
