#!/bin/sh
# What a relay costs over a network: bench/relays.sh's comparison with the
# ranks on the three "hosts" of tests/integration/netns_hosts.sh (network
# namespaces, TCP over a bridge; every message TCP, inside a host too). The
# root is alone on tfh2; the same workers, one per other host, are served
# flat (--relays off) or through a relay on their host (--relays node: the
# host's lowest rank), the two interleaved in each repetition; each figure
# is the median over repetitions of (rate through relays) / (rate flat).
#   empty tasks, 1 worker:   flat: root tfh2, worker tfh3 (2 ranks)
#                            relays: root tfh2, relay + worker tfh3 (3 ranks)
#   empty tasks, 2 workers:  flat: root tfh2, a worker on tfh3 and tfh4 (3 ranks)
#   1 ms tasks, 2 workers:   relays: root tfh2, a relay + a worker on tfh3 and tfh4 (5 ranks)
# (1 ms tasks: exponential, 2000 per worker.) Ranks are not bound to cores
# (each host's daemon would bind its first rank to core 0, the same core on
# every host). Needs root.
# Usage: bench/relays_net.sh [EMPTY_TASKS] [REPS]   (from the build directory, after make)
set -eu
tasks=${1:-3000000}
reps=${2:-5}
[ "$(id -u)" = 0 ] || { echo "relays_net.sh: network namespaces need root" >&2; exit 2; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
. "$(dirname "$0")/../tests/integration/netns_hosts.sh"
nh_session
tmp=$NH_TMP
field() { awk -v k="$1" '{ for (i = 1; i < NF; i++) if ($i == k) print $(i + 1) }'; }
stats() { sort -g | awk '{ a[NR] = $1 } END { printf "%.2f (%.2f-%.2f)", a[int((NR + 1) / 2)], a[1], a[NR] }'; }
printf 'tfh2 slots=1\ntfh3 slots=1\n' >"$tmp/flat1"
printf 'tfh2 slots=1\ntfh3 slots=1\ntfh4 slots=1\n' >"$tmp/flat2"
printf 'tfh2 slots=1\ntfh3 slots=2\n' >"$tmp/tree1"
printf 'tfh2 slots=1\ntfh3 slots=2\ntfh4 slots=2\n' >"$tmp/tree2"
# rate W off|node ARGS...: tasks/s of a farm of W workers, flat or through relays
rate() {
  _w=$1 _r=$2
  shift 2
  if [ "$_r" = off ]; then _f=$tmp/flat$_w _np=$((_w + 1)); else _f=$tmp/tree$_w _np=$((2 * _w + 1)); fi
  nh_mpirun "$_f" --bind-to none -np "$_np" "$@" --relays "$_r" --quiet </dev/null | field rate
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { print b / a }'; }

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(mpirun --version | head -n 1); ranks on 3 network namespaces, TCP over a bridge"
work="--tasks 4000 --mean-us 1000 --dist exp"
for i in $(seq "$reps"); do
  a=$(rate 1 off bench/tf_bench_empty --tasks "$tasks")
  b=$(rate 1 node bench/tf_bench_empty --tasks "$tasks")
  ratio "$a" "$b" >>"$tmp/empty1"
  echo "repetition $i: empty tasks/s, 1 worker: flat $a, through a relay $b"
  a=$(rate 2 off bench/tf_bench_empty --tasks "$tasks")
  b=$(rate 2 node bench/tf_bench_empty --tasks "$tasks")
  ratio "$a" "$b" >>"$tmp/empty2"
  echo "repetition $i: empty tasks/s, 2 workers: flat $a, through relays $b"
  a=$(rate 2 off bench/tf_bench_work $work)
  b=$(rate 2 node bench/tf_bench_work $work)
  ratio "$a" "$b" >>"$tmp/work"
  echo "repetition $i: 1 ms tasks/s, 2 workers: flat $a, through relays $b"
done
echo "empty tasks, 1 worker: through a relay / flat = $(stats <"$tmp/empty1") (median, range over $reps repetitions)"
echo "empty tasks, 2 workers: through relays / flat = $(stats <"$tmp/empty2")"
echo "1 ms exponential tasks, 2 workers: through relays / flat = $(stats <"$tmp/work")"
