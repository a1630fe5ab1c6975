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
med() { sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
field() { awk -v k="$1" '{ for (i = 1; i < NF; i++) if ($i == k) print $(i + 1) }'; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Cases: workers, tasks, distribution, mean task time (us), extra options.
cases="1 2000000 const 1 -
1 20000 const 100 -
1 200000 exp 10 -
1 100000 const 10 --chunk=1
1 200000 exp 2 --chunk=1
1 2000 exp 1000 -
2 20000 const 100 --chunk=1
3 100000 const 10 --chunk=1
2 20000 exp 100 -
2 2000 const 1000 -
3 3000 const 1000 -
3 30000 exp 100 -"

echo "machine: $cores cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(mpirun --version | head -n 1)"
for r in $(seq "$reps"); do
  rt=$(mpi 2 bench/tf_pingpong 200000 | awk '{ print $7 }')
  a=$(mpi 2 bench/tf_bench_empty --tasks 10000000 --quiet | field rate)
  c1=$(mpi 2 bench/tf_bench_empty --tasks 300000 --schedule dynamic --chunk 1 --quiet | field rate)
  # ns: latency = half a round trip; a task costs 1/A on each side; a
  # chunk-1 task = two latencies + a message handled twice on each side +
  # a task on each side.
  costs=$(awk -v rt="$rt" -v a="$a" -v c="$c1" 'BEGIN {
    lat = 0.5e9 / rt; task = 1e9 / a; msg = (1e9 / c - 2 * lat - 2 * task) / 4
    if (msg < 0) msg = 0
    printf "--lat-local-ns %.1f --root-task-ns %.1f --worker-task-ns %.1f --root-msg-ns %.1f --worker-msg-ns %.1f", lat, task, task, msg, msg }')
  # More ranks than cores: a message waits for its rank to get a core. The
  # wait per message is what 2 workers taking 10 us tasks one per message
  # lose beside the model without it (that case calibrates, it is not shown).
  real=$(mpi $((cores + 1)) bench/tf_bench_work --tasks 50000 --mean-us 10 --schedule dynamic --chunk 1 --quiet | field wall)
  sim=$(bench/tf_sim --workers "$cores" --cores "$cores" --tasks 50000 --mean-us 10 --chunk 1 $costs | field time)
  wake=$(awk -v r="$real" -v s="$sim" -v w="$cores" 'BEGIN { x = (r - s) * w / 50000 / 2 * 1e6; printf "%.2f", (x > 0 ? x : 0) }')
  costs="$costs --wake-us $wake"
  echo "$costs" >>"$tmp/costs"
  echo "$cases" | while read -r w n d us extra; do
    key="$w.$n.$d.$us.$extra"
    ropt=
    sopt=
    if [ "$extra" = --chunk=1 ]; then
      ropt="--schedule dynamic --chunk 1"
      sopt="--chunk 1"
    fi
    [ "$w" -lt "$cores" ] || sopt="$sopt --cores $cores"
    real=$(mpi $((w + 1)) bench/tf_bench_work --tasks "$n" --dist "$d" --mean-us "$us" $ropt --quiet | field wall)
    sim=$(bench/tf_sim --workers "$w" --tasks "$n" --dist "$d" --mean-us "$us" $sopt $costs | field time)
    echo "$real" >>"$tmp/real.$key"
    echo "$sim" >>"$tmp/sim.$key"
    awk -v s="$sim" -v r="$real" 'BEGIN { print s / r }' >>"$tmp/ratio.$key"
  done
done
echo "calibrated costs (first repetition): $(head -n 1 "$tmp/costs")"
echo "| workers | tasks | distribution | mean task | schedule | real s | simulated s | simulated / real |"
echo "|---|---|---|---|---|---|---|---|"
echo "$cases" | while read -r w n d us extra; do
  key="$w.$n.$d.$us.$extra"
  sched=adaptive
  [ "$extra" != --chunk=1 ] || sched="chunk 1"
  [ "$w" -lt "$cores" ] || sched="$sched, $((w + 1)) ranks on $cores cores"
  printf '| %s | %s | %s | %s us | %s | %.3f | %.3f | %.2f |\n' "$w" "$n" "$d" "$us" "$sched" \
    "$(med <"$tmp/real.$key")" "$(med <"$tmp/sim.$key")" "$(med <"$tmp/ratio.$key")"
done
