# netns_hosts.sh - three "hosts" on one machine, for netns.sh,
# bench/sim/validate_net.sh, bench/sim/validate_relays_net.sh and
# bench/relays_net.sh: network namespaces tfh2, tfh3, tfh4 (each with
# its own IP, 10.77.0.2-4, on a bridge; ../shared/notes/multihost-netns.md),
# an agent through which mpirun starts its daemon on a host, and a hostfile of
# 2 slots each. Needs root, ip (iproute2) and unshare (util-linux).
# nh_up DIR: build them, with the agent and the hostfile DIR/hosts in DIR
# (the agent logs the PID and start time of what it starts in DIR/agents).
# nh_down: remove them (the caller first ends what the agents started).
# nh_mpirun HOSTFILE ARGS...: mpirun across them over TCP, bounded by
# TF_MPI_TIMEOUT.
NH_ID=$$
NH_NS="tfh2 tfh3 tfh4"
NH_BR=tfbr$NH_ID

nh_up() {
  NH_DIR=$1
  : >"$1/agents"
  ip link add "$NH_BR" type bridge
  ip addr add 10.77.0.1/24 dev "$NH_BR"
  ip link set "$NH_BR" up
  _nh_i=2
  for _nh_h in $NH_NS; do
    _nh_dev=tv$_nh_i$NH_ID # the host's end of the cable, in this namespace (15 characters at most)
    ip netns add "$_nh_h.$NH_ID"
    ip link add "$_nh_dev" type veth peer name eth0 netns "$_nh_h.$NH_ID"
    ip link set "$_nh_dev" master "$NH_BR" up
    ip -n "$_nh_h.$NH_ID" addr add "10.77.0.$_nh_i/24" dev eth0
    ip -n "$_nh_h.$NH_ID" link set eth0 up
    ip -n "$_nh_h.$NH_ID" link set lo up
    _nh_i=$((_nh_i + 1))
  done
  # mpirun reaches a host through an agent that enters its namespace and
  # gives it its own host name.
  cat >"$1/agent" <<AGENT
#!/bin/sh
h=\$1; shift
echo "\$\$ \$(awk '{ sub(/.*\) /, ""); print \$20 }' /proc/\$\$/stat)" >>"$1/agents"
exec ip netns exec "\$h.$NH_ID" unshare --uts /bin/sh -c "hostname \$h; \$*"
AGENT
  chmod +x "$1/agent"
  printf 'tfh2 slots=2\ntfh3 slots=2\ntfh4 slots=2\n' >"$1/hosts"
}

nh_down() {
  for _nh_h in $NH_NS; do ip netns del "$_nh_h.$NH_ID" 2>/dev/null || true; done
  for _nh_i in 2 3 4; do ip link del "tv$_nh_i$NH_ID" 2>/dev/null || true; done
  ip link del "$NH_BR" 2>/dev/null || true
}

# nh_session: for a benchmark, the hosts up with their files in a new
# directory $NH_TMP; on exit, what the agents started and left running is
# ended (by the PID and start time each agent wrote), the hosts go down and
# the directory is removed.
nh_session() {
  NH_TMP=$(mktemp -d)
  trap nh_session_end EXIT INT TERM
  nh_up "$NH_TMP"
}
nh_session_end() {
  if [ -f "$NH_TMP/agents" ]; then
    while read -r _nh_p _nh_t; do
      [ "$(awk '{ sub(/.*\) /, ""); print $20 }' "/proc/$_nh_p/stat" 2>/dev/null)" != "$_nh_t" ] ||
        kill -KILL "$_nh_p" 2>/dev/null || :
    done <"$NH_TMP/agents"
  fi
  nh_down
  rm -rf "$NH_TMP"
}

nh_mpirun() {
  _nh_hosts=$1
  shift
  timeout -k 5 "${TF_MPI_TIMEOUT:-120}" "${MPIRUN:-mpirun}" --hostfile "$_nh_hosts" \
    --mca plm_rsh_agent "$NH_DIR/agent" --mca btl self,tcp --mca btl_tcp_if_include 10.77.0.0/24 \
    --mca oob_tcp_if_include 10.77.0.0/24 --mca mpi_yield_when_idle 1 "$@"
}
