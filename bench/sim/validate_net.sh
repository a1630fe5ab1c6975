#!/bin/sh
# The simulator beside real runs whose ranks are on different "hosts": the
# network namespaces of tests/integration/netns_hosts.sh, talking TCP over a
# bridge, one rank per host. As bench/sim/validate.sh, each repetition first
# calibrates the costs over that network (the latency from the ping-pong
# between two hosts; a task's and a message's cost from empty tasks on a
# worker on another host), then runs each case for real and simulated with
# every worker on a node of its own; the figure is the median over
# repetitions of simulated / real farm time. Needs root.
# Usage: bench/sim/validate_net.sh [REPS]   (from the build directory, after make)
set -eu
reps=${1:-3}
[ "$(id -u)" = 0 ] || { echo "validate_net.sh: network namespaces need root" >&2; exit 2; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
. "$(dirname "$0")/../../tests/integration/netns_hosts.sh"
tmp=$(mktemp -d)
cleanup() {
  # what the agents started, should a run have left it behind (by the PID
  # and start time each agent wrote)
  if [ -f "$tmp/agents" ]; then
    while read -r p t; do
      [ "$(awk '{ sub(/.*\) /, ""); print $20 }' "/proc/$p/stat" 2>/dev/null)" != "$t" ] ||
        kill -KILL "$p" 2>/dev/null || :
    done <"$tmp/agents"
  fi
  nh_down
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
nh_up "$tmp"
cores=$(nproc)
# N ranks, one per host (tfh2 holds the root).
across() {
  n=$1
  shift
  head -n "$n" "$tmp/hosts" | sed 's/slots=2/slots=1/' >"$tmp/h$n"
  cp "$tmp/h$n" "$tmp/hosts.now"
  timeout -k 5 300 mpirun --hostfile "$tmp/h$n" --mca plm_rsh_agent "$tmp/agent" --mca btl self,tcp \
    --mca btl_tcp_if_include 10.77.0.0/24 --mca oob_tcp_if_include 10.77.0.0/24 \
    --mca mpi_yield_when_idle 1 $([ "$n" -le "$cores" ] || echo --oversubscribe) -np "$n" "$@" </dev/null
}
med() { sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
field() { awk -v k="$1" '{ for (i = 1; i < NF; i++) if ($i == k) print $(i + 1) }'; }

# Cases: workers, tasks, distribution, mean task time (us), schedule.
cases="1 20000 exp 100 adaptive
1 100000 const 10 adaptive
1 10000 const 100 chunk1
2 2000 const 1000 adaptive
2 20000 exp 100 adaptive"

echo "machine: $cores cores, $(mpirun --version | head -n 1); ranks on 3 network namespaces, TCP over a bridge"
for r in $(seq "$reps"); do
  rt=$(across 2 bench/tf_pingpong 20000 | awk '{ print $7 }')
  a=$(across 2 bench/tf_bench_empty --tasks 3000000 --quiet | field rate)
  c1=$(across 2 bench/tf_bench_empty --tasks 30000 --schedule dynamic --chunk 1 --quiet | field rate)
  costs=$(awk -v rt="$rt" -v a="$a" -v c="$c1" 'BEGIN {
    lat = 0.5e9 / rt; task = 1e9 / a; msg = (1e9 / c - 2 * lat - 2 * task) / 4
    if (msg < 0) msg = 0
    printf "--lat-net-ns %.1f --root-task-ns %.1f --worker-task-ns %.1f --root-msg-ns %.1f --worker-msg-ns %.1f", lat, task, task, msg, msg }')
  echo "$costs" >>"$tmp/costs"
  echo "$cases" | while read -r w n d us sched; do
    key="$w.$n.$d.$us.$sched"
    ropt=
    sopt="--node-ranks 1"
    if [ "$sched" = chunk1 ]; then
      ropt="--schedule dynamic --chunk 1"
      sopt="$sopt --chunk 1"
    fi
    [ "$w" -lt "$cores" ] || sopt="$sopt --cores $cores"
    real=$(across $((w + 1)) bench/tf_bench_work --tasks "$n" --dist "$d" --mean-us "$us" $ropt --quiet | field wall)
    sim=$(bench/tf_sim --workers "$w" --tasks "$n" --dist "$d" --mean-us "$us" $sopt $costs | field time)
    echo "$real" >>"$tmp/real.$key"
    echo "$sim" >>"$tmp/sim.$key"
    awk -v s="$sim" -v r="$real" 'BEGIN { print s / r }' >>"$tmp/ratio.$key"
  done
done
echo "calibrated costs (first repetition): $(head -n 1 "$tmp/costs")"
echo "| workers | tasks | distribution | mean task | schedule | real s | simulated s | simulated / real |"
echo "|---|---|---|---|---|---|---|---|"
echo "$cases" | while read -r w n d us sched; do
  key="$w.$n.$d.$us.$sched"
  s=$([ "$sched" = chunk1 ] && echo "chunk 1" || echo adaptive)
  [ "$w" -lt "$cores" ] || s="$s, $((w + 1)) ranks on $cores cores"
  printf '| %s | %s | %s | %s us | %s | %.3f | %.3f | %.2f |\n' "$w" "$n" "$d" "$us" "$s" \
    "$(med <"$tmp/real.$key")" "$(med <"$tmp/sim.$key")" "$(med <"$tmp/ratio.$key")"
done
