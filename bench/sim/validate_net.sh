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
nh_session
tmp=$NH_TMP
cores=$(nproc)
# N ranks, one per host (tfh2 holds the root).
across() {
  n=$1
  shift
  head -n "$n" "$tmp/hosts" | sed 's/slots=2/slots=1/' >"$tmp/h$n"
  nh_mpirun "$tmp/h$n" $([ "$n" -le "$cores" ] || echo --oversubscribe) -np "$n" "$@" </dev/null
}
. "$(dirname "$0")/compare.inc"

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
  costs=$(costs_from --lat-net-ns "$rt" "$a" "$c1")
  echo "$costs" >>"$tmp/costs"
  compare_cases across --node-ranks 1 $costs
done
compare_table
