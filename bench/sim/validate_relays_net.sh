#!/bin/sh
# The simulator's relays beside real ones (--relays node) whose ranks are on
# the three "hosts" of tests/integration/netns_hosts.sh (network namespaces,
# TCP over a bridge). The real tree is the one tf_sim builds for
# --relays 1 --node-ranks P: the root alone on its host (tfh2: one slot),
# and on each other host a relay (its lowest rank) and one worker; one
# worker uses tfh3 only (3 ranks), two use tfh3 and tfh4 (5 ranks). Every
# message is TCP, inside a host too (nh_mpirun's btl self,tcp), so a relay
# handles each message at the cost the calibration measures over TCP.
#
# As bench/sim/validate_net.sh, each repetition first calibrates the costs
# over that network: the latency between hosts and inside one host from the
# ping-pong (two hosts; two ranks on one host), a task's and a message's
# cost from empty tasks on a worker on another host (bench/sim/compare.inc);
# a relay is given the root's costs (it runs the root's engine: the same
# work per message and per task). Then each case runs for real and
# simulated, and beside it the same workers flat (--relays off: the root on
# tfh2, a worker on tfh3 and tfh4; simulated with every rank on a node of
# its own), the reference that tells the relays' share of a gap from the
# machine's; each figure is the median over repetitions of simulated / real
# farm time. Each repetition's times go to stderr. Ranks are not bound to
# cores (--bind-to none): each host's mpirun daemon would bind its first
# rank to core 0, the same core on every host. Needs root.
# Usage: bench/sim/validate_relays_net.sh [REPS]   (from the build directory, after make)
set -eu
reps=${1:-3}
[ "$(id -u)" = 0 ] || { echo "validate_relays_net.sh: network namespaces need root" >&2; exit 2; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
. "$(dirname "$0")/../../tests/integration/netns_hosts.sh"
nh_session
tmp=$NH_TMP
hosts=$tmp # (the flat reference below runs with $tmp set to $tmp/flat)
cores=$(nproc)
mpi() { # HOSTFILE NP ARGS...
  _f=$1 _np=$2
  shift 2
  nh_mpirun "$_f" --bind-to none -np "$_np" "$@" </dev/null
}
printf 'tfh2 slots=1\ntfh3 slots=1\n' >"$tmp/apart"  # two ranks, two hosts
printf 'tfh3 slots=2\n' >"$tmp/together"             # two ranks, one host
. "$(dirname "$0")/compare.inc"
# A case of W workers (1, or 2: one per host) has a relay per worker.
nranks() { echo $((2 * $1 + 1)); }
tree() { # NP ARGS...: the root alone on tfh2, a relay and a worker on each of tfh3 (and tfh4)
  _np=$1
  shift
  if [ "$_np" -le 3 ]; then
    printf 'tfh2 slots=1\ntfh3 slots=2\n'
  else
    printf 'tfh2 slots=1\ntfh3 slots=2\ntfh4 slots=2\n'
  fi >"$tmp/tree$_np"
  mpi "$tmp/tree$_np" "$_np" "$@" --relays node
}
flat() { # NP ARGS...: the same workers flat (--relays off), the root on tfh2, a worker on tfh3 (and tfh4)
  _np=$1
  shift
  head -n "$_np" "$hosts/hosts" | sed 's/slots=2/slots=1/' >"$hosts/flat$_np"
  mpi "$hosts/flat$_np" "$_np" "$@" --relays off
}
mkdir "$tmp/flat"

# Cases: workers, tasks, distribution, mean task time (us), schedule.
cases="1 2000 exp 1000 adaptive
1 20000 exp 100 adaptive
2 3000 const 1000 adaptive
2 3000 exp 1000 adaptive
2 30000 const 100 adaptive
2 30000 exp 100 adaptive"

echo "machine: $cores cores, $(mpirun --version | head -n 1); ranks on 3 network namespaces, TCP over a bridge; relays: --relays node"
for r in $(seq "$reps"); do
  rt=$(mpi "$tmp/apart" 2 bench/tf_pingpong 20000 | awk '{ print $7 }')
  rtl=$(mpi "$tmp/together" 2 bench/tf_pingpong 20000 | awk '{ print $7 }')
  a=$(mpi "$tmp/apart" 2 bench/tf_bench_empty --tasks 3000000 --quiet | field rate)
  c1=$(mpi "$tmp/apart" 2 bench/tf_bench_empty --tasks 30000 --schedule dynamic --chunk 1 --quiet | field rate)
  costs=$(costs_from --lat-net-ns "$rt" "$a" "$c1")
  # the relay: the root's costs; inside a host: half the round trip there
  costs="$costs $(echo "$costs" | awk -v rtl="$rtl" '{ for (i = 1; i < NF; i++) { if ($i == "--root-msg-ns") m = $(i + 1); if ($i == "--root-task-ns") t = $(i + 1) }
    printf "--relay-msg-ns %s --relay-task-ns %s --lat-local-ns %.1f", m, t, 0.5e9 / rtl }')"
  echo "$costs" >>"$tmp/costs"
  compare_cases tree --relays 1 --node-ranks 2 $costs
  # the reference: the same workers flat, real and simulated (every rank
  # on a node of its own), in the same repetition
  (
    tmp=$tmp/flat
    nranks() { echo $(($1 + 1)); }
    compare_cases flat --node-ranks 1 $costs
  )
  echo "$cases" | while read -r w n d us sched; do
    key="$w.$n.$d.$us.$sched"
    echo "repetition $r: $w workers, $n $d tasks of $us us: real $(tail -n 1 "$tmp/real.$key") s, simulated $(tail -n 1 "$tmp/sim.$key") s; flat: real $(tail -n 1 "$tmp/flat/real.$key") s, simulated $(tail -n 1 "$tmp/flat/sim.$key") s" >&2
  done
done
cp "$tmp/costs" "$tmp/flat/costs"
compare_table >"$tmp/table.relays"
(
  tmp=$tmp/flat
  nranks() { echo $(($1 + 1)); }
  compare_table >"$tmp/table"
)
head -n 1 "$tmp/table.relays"
# one table: each case through relays, and the same workers flat
echo "| workers | tasks | distribution | mean task | ranks on $cores cores: relays, flat | relays: real s | simulated s | simulated / real | flat: real s | simulated s | simulated / real |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
awk -F'|' 'FNR == 1 { f++ } $2 ~ /[0-9]/ { k = $2 $3 $4 $5; if (f == 1) { o[++n] = k; row[k] = $2 "|" $3 "|" $4 "|" $5; w[k] = $2 + 0; v[k] = $7 "|" $8 "|" $9 } else fl[k] = $7 "|" $8 "|" $9 }
  END { for (i = 1; i <= n; i++) { k = o[i]; printf "|%s| %d, %d |%s|%s|\n", row[k], 2 * w[k] + 1, w[k] + 1, v[k], fl[k] } }' \
  "$tmp/table.relays" "$tmp/flat/table"
