#!/bin/sh
# Three "hosts" on one machine, each a network namespace with its own IP on
# a bridge (../shared/notes/multihost-netns.md): ranks talk TCP across
# separate network stacks, as on separate nodes. An app's answer across them
# is the same as on one host; --info sees three nodes; and when one host's
# link goes down mid-run under --enable-recovery, the farm notices the lost
# workers, finishes with the right answer, and its ranks exit in bounded time.
. "$(dirname "$0")/lib.sh"
set -e
[ "$(id -u)" = 0 ] || skip "network namespaces need root"
command -v ip >/dev/null 2>&1 || skip "ip (iproute2) not found"
command -v unshare >/dev/null 2>&1 || skip "unshare (util-linux) not found"

. "$(dirname "$0")/netns_hosts.sh"
# On exit, end what this test started and left running: the mpirun in the
# background ($pid, not yet reaped, so its PID is still its own), and what
# the agent started on each host (it writes its PID and start time), which
# outlives an mpirun that timeout killed.
pid=
cleanup() {
  [ -z "$pid" ] || tf_kill_tree "$pid" >/dev/null
  if [ -f "$TMP/agents" ]; then
    while read -r p t; do
      [ "$(tf_start_time "$p")" != "$t" ] || tf_kill_tree "$p" >/dev/null
    done <"$TMP/agents"
  fi
  nh_down
  rm -rf "$TMP"
}
trap cleanup EXIT INT TERM
nh_up "$TMP"
across() { nh_mpirun "$TMP/hosts" "$@"; }

across -np 6 "$PI" --info >"$TMP/info" 2>&1 || { cat "$TMP/info" >&2; fail "--info across 3 hosts"; }
expect_text "$TMP/info" "6 ranks on 3 nodes" "three nodes seen"
expect_text "$TMP/info" "node 2 tfh4: 2 ranks (4-5)" "the third host and its ranks"
pass "--info across three network namespaces: 3 nodes, 2 ranks each"

"$PI" --samples 3000000 --tasks 60 >"$TMP/ref" 2>/dev/null
across -np 6 "$PI" --samples 3000000 --tasks 60 >"$TMP/out" 2>"$TMP/err" ||
  { cat "$TMP/err" >&2; fail "pi across 3 hosts"; }
cmp -s "$TMP/ref" "$TMP/out" || { diff "$TMP/ref" "$TMP/out" >&2; fail "pi across 3 hosts differs"; }
mpi 3 "$TESTAPP" --tasks 2000 --depth 1 --branch 2 >"$TMP/ref" 2>/dev/null
across -np 6 "$TESTAPP" --tasks 2000 --depth 1 --branch 2 >"$TMP/out" 2>"$TMP/err" ||
  { cat "$TMP/err" >&2; fail "test app across 3 hosts"; }
cmp -s "$TMP/ref" "$TMP/out" || fail "test app across 3 hosts differs"
pass "answers across 3 hosts over TCP equal those on one host"

# One relay per host but the root's: the tree, and the same answers through it.
across -np 6 "$PI" --info --relays node >"$TMP/info" 2>&1 || { cat "$TMP/info" >&2; fail "--relays node --info"; }
expect_text "$TMP/info" "2 relays, 3 workers: rank 2 serves 1, rank 4 serves 1; the root serves 1 worker of its own" \
  "a relay on each host but the root's"
"$PI" --samples 3000000 --tasks 60 >"$TMP/ref" 2>/dev/null
across -np 6 "$PI" --samples 3000000 --tasks 60 --relays node >"$TMP/out" 2>"$TMP/err" ||
  { cat "$TMP/err" >&2; fail "pi across 3 hosts through relays"; }
cmp -s "$TMP/ref" "$TMP/out" || fail "pi across 3 hosts through relays differs"
mpi 3 "$TESTAPP" --tasks 2000 --depth 1 --branch 2 >"$TMP/ref" 2>/dev/null
across -np 6 "$TESTAPP" --tasks 2000 --depth 1 --branch 2 --relays node >"$TMP/out" 2>"$TMP/err" ||
  { cat "$TMP/err" >&2; fail "test app across 3 hosts through relays"; }
cmp -s "$TMP/ref" "$TMP/out" || fail "test app across 3 hosts through relays differs"
pass "--relays node across 3 hosts: a relay on each host but the root's, the same answers"

# One host's link goes down mid-run: its two ranks fall silent. link_down
# RELAYS: flat, the root loses both workers; with --relays node, the lost
# host's relay (rank 4) and its worker go together.
mpi 3 "$TESTAPP" --tasks 6000 --sleep-us 4000 >"$TMP/ref" 2>/dev/null
link_down() {
ip link set "tv4$NH_ID" up
rm -f "$TMP/status" "$TMP/started"
across -np 6 --enable-recovery --mca oob_tcp_keepalive_time 2 --mca oob_tcp_keepalive_intvl 1 \
  --mca oob_tcp_keepalive_probes 3 "$TESTAPP" --tasks 6000 --sleep-us 4000 --worker-timeout 2 \
  --status-file "$TMP/status" --started "$TMP/started" --relays "$1" >"$TMP/out" 2>"$TMP/err" &
pid=$!
n=0
while [ ! -f "$TMP/started" ] && [ $n -lt 600 ]; do sleep 0.05; n=$((n + 1)); done
sleep 1
ip link set "tv4$NH_ID" down
down=$(date +%s)
# The farm must finish and say so within a bound; mpirun itself may go on
# waiting for its daemon on the lost host (Open MPI's, not the farm's).
n=0
while [ ! -f "$TMP/status" ] && [ $n -lt 600 ]; do sleep 0.1; n=$((n + 1)); done
[ -f "$TMP/status" ] || { cat "$TMP/err" >&2; fail "no status 60 s after the link went down"; }
ended=$(($(date +%s) - down))
n=0
while tf_running $pid && [ $n -lt 200 ]; do sleep 0.1; n=$((n + 1)); done
if tf_running $pid; then
  echo "note: mpirun still waits for the lost host's daemon 20 s after the farm ended;" \
    "killed $(tf_kill_tree $pid) process(es): timeout, mpirun and what they started"
fi
# Its exit status says nothing under --enable-recovery: the status file does.
set +e
wait $pid
set -e
pid=
[ "$(cat "$TMP/status")" = 0 ] || { cat "$TMP/err" >&2; fail "link down: status $(cat "$TMP/status")"; }
# mpirun writes its own notice to stdout once it declares the lost host's
# daemon dead ("Abort is in progress...", then an empty line), after the
# farm's answer or between its lines: it is Open MPI's, not the farm's.
awk 'drop && $0 == "" { drop = 0; next } { drop = 0 }
  /^Abort is in progress\.\.\.hit ctrl-c again within 5 seconds to forcibly terminate$/ { drop = 1; next }
  { print }' "$TMP/out" >"$TMP/farm"
cmp -s "$TMP/out" "$TMP/farm" || echo "note: mpirun's own abort notice left out of its stdout"
cmp -s "$TMP/ref" "$TMP/farm" || {
  cat "$TMP/err" >&2
  diff "$TMP/ref" "$TMP/farm" | head -n 20 >&2
  fail "link down: the answer differs"
}
expect_text "$TMP/err" "rank 4 is lost" "the lost host's ranks are named"
echo "link down mid-run (--relays $1): right answer, status 0; the farm ended $ended s after the link went down"
}
link_down off
pass "a host lost mid-run under --enable-recovery: the farm finishes correctly, bounded"
link_down node
expect_text "$TMP/err" "a relay: its workers with it" "the lost host's relay is lost with its worker"
pass "a host lost mid-run behind its relay (--relays node): its tasks run elsewhere, bounded"
