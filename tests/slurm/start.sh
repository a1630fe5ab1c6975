#!/bin/bash
# start.sh SCRATCH [NODES]: start a private Slurm cluster on this machine, for
# testing the batch scripts in jobs/ (see tests/integration/slurm_jobs.sh).
#
#   SCRATCH  a directory for everything the cluster writes: its slurm.conf,
#            munge key and socket, state, spool, logs and pid files. Created
#            if missing. Nothing is written anywhere else (not /etc, not /run).
#   NODES    1 or 2 fake compute nodes (default 2), named tfnode1, tfnode2,
#            each with 2 CPUs, all of them this very machine.
#
# It runs as root, without systemd: a munged of its own (its own key and
# socket), one slurmctld and one slurmd per fake node, on free TCP ports. When
# it returns 0 the nodes are idle and SCRATCH/env.sh holds the one line the
# clients need:  . SCRATCH/env.sh   (export SLURM_CONF=SCRATCH/slurm.conf)
# Then sbatch, squeue, scontrol, srun and qsub talk to this cluster only.
#
# Running it again while the cluster is up does nothing (it says so). If it
# fails, it stops every daemon it started and exits 1 with the reason and the
# end of the logs. Exit 2: it cannot run here (not root, or the packages are
# missing). Stop the cluster with tests/slurm/stop.sh SCRATCH.
#
# What the configuration does and why: ../shared/notes/slurm-local.md in the
# project's notes; in short, proctrack/pgid and task/none need no cgroups,
# one TmpFS per node keeps the pmix plugins of the two fake nodes apart, and
# SlurmdParameters=config_overrides lets 2 CPUs per fake node be declared
# whatever the machine has.
#
# It works on a minimal machine too (tests/integration/slurm_minimal.sh):
# - the host name need not resolve (a minbase chroot or container may have
#   no /etc/hosts entry for it): every daemon is given 127.0.0.1
#   (SlurmctldHost=name(addr), NodeAddr, munged --origin);
# - nothing need be mounted on /sys/fs/cgroup: slurmd 22.05 loads a cgroup
#   plugin even when nothing uses it, and the default, CgroupPlugin=autodetect,
#   refuses to start without a cgroup file system there ("No filesystem
#   mounted on /sys/fs/cgroup"); cgroup.conf names cgroup/v1, which loads
#   without one, and with proctrack/pgid and task/none it is never used.
set -u

say() { printf 'start.sh: %s\n' "$*" >&2; }

if [ $# -lt 1 ] || [ $# -gt 2 ] || [ "${1:-}" = -h ] || [ "${1:-}" = --help ]; then
  echo "usage: $0 SCRATCH [NODES]   (NODES: 1 or 2, default 2)" >&2
  exit 2
fi
nodes=${2:-2}
case $nodes in 1 | 2) ;; *) say "NODES must be 1 or 2, not '$nodes'"; exit 2 ;; esac

if [ "$(id -u)" != 0 ]; then
  say "must run as root (the daemons and the jobs run as root)"
  exit 2
fi

# Debian puts the daemons in /usr/sbin, which a non-login root shell may lack.
PATH=$PATH:/usr/sbin:/sbin
export PATH
missing=
for c in munged munge unmunge slurmctld slurmd slurmstepd sbatch srun scontrol squeue sinfo \
  scancel qsub; do
  command -v "$c" >/dev/null 2>&1 || missing="$missing $c"
done
if [ -n "$missing" ]; then
  say "missing:$missing"
  say "install them with: apt-get install slurmctld slurmd slurm-client munge slurm-wlm-torque"
  exit 2
fi

mkdir -p "$1" || { say "cannot create $1"; exit 1; }
S=$(cd "$1" && pwd) || exit 1
conf=$S/slurm.conf
here=$(cd "$(dirname "$0")" && pwd)
# The host name from the kernel (no `hostname` binary needed); it is only a
# name here, never looked up.
host=$(uname -n)

# node_names: tfnode1 [tfnode2]
node_names() {
  local i=1
  while [ "$i" -le "$nodes" ]; do
    printf 'tfnode%s ' "$i"
    i=$((i + 1))
  done
}

# alive PIDFILE: the daemon whose pid is in PIDFILE is running (a zombie,
# dead but not yet reaped, does not count).
alive() {
  [ -s "$1" ] || return 1
  local pid
  pid=$(cat "$1")
  kill -0 "$pid" 2>/dev/null && ! grep -q '^[0-9]* (.*) Z' "/proc/$pid/stat" 2>/dev/null
}

# up: every daemon of this cluster runs and every node is idle or in use.
up() {
  local node states ready
  alive "$S/munge/munged.pid" && alive "$S/run/slurmctld.pid" || return 1
  for node in $(node_names); do alive "$S/run/slurmd-$node.pid" || return 1; done
  [ "$(cat "$S/nodes" 2>/dev/null)" = "$nodes" ] || return 1
  states=$(SLURM_CONF=$conf timeout 10 sinfo -h -N -o '%N %t' 2>/dev/null) || return 1
  ready=$(printf '%s\n' "$states" | awk '$2 ~ /^(idle|mix|alloc|comp)$/' | wc -l)
  [ "$ready" -eq "$nodes" ]
}

if up; then
  say "already running in $S ($nodes node(s)); nothing to do"
  echo "export SLURM_CONF=$conf"
  exit 0
fi

# Whatever is left of an earlier start (a crash, another node count) goes.
bash "$here/stop.sh" "$S" >/dev/null 2>&1

ok=0
on_exit() {
  [ "$ok" = 1 ] && return
  say "failed; the end of the logs:"
  for f in "$S"/munge/munged.log "$S"/log/*.log; do
    [ -f "$f" ] || continue
    echo "--- $f" >&2
    tail -n 15 "$f" >&2
  done
  bash "$here/stop.sh" "$S" >/dev/null 2>&1
  say "stopped what had started"
}
trap on_exit EXIT
trap 'exit 1' INT TERM HUP

mkdir -p "$S/munge" "$S/state" "$S/run" "$S/log" || exit 1
chmod 755 "$S/munge"
for n in $(node_names); do mkdir -p "$S/spool/$n" "$S/tmp/$n" || exit 1; done

# --- munge: Slurm's authentication, a daemon of our own on a socket of our
# own, so the machine's munged (if any) and /etc/munge are left alone.
key=$S/munge/munge.key
if [ ! -s "$key" ]; then
  dd if=/dev/urandom of="$key" bs=1024 count=1 2>/dev/null || { say "cannot write $key"; exit 1; }
fi
chmod 400 "$key"
sock=$S/munge/munge.socket
# --force: munged refuses a socket under a directory that not everybody can
# enter (SCRATCH is often a mode-700 mktemp directory); only root uses it here.
munged --force --origin=127.0.0.1 --socket="$sock" --key-file="$key" --pid-file="$S/munge/munged.pid" \
  --log-file="$S/munge/munged.log" --seed-file="$S/munge/munged.seed" ||
  { say "munged did not start"; exit 1; }
tries=0
until munge -n -S "$sock" 2>/dev/null | unmunge -S "$sock" >/dev/null 2>&1; do
  tries=$((tries + 1))
  [ $tries -lt 50 ] || { say "munge does not answer on $sock after 10 s"; exit 1; }
  sleep 0.2
done

# --- free TCP ports: one for slurmctld, one per slurmd, away from the
# ephemeral range (where srun and MPI listen). Another cluster started by this
# script at the same time picks others.
port_free() { ! ss -Hltn "sport = :$1" 2>/dev/null | grep -q .; }
base=
for _ in $(seq 1 40); do
  p=$((20000 + (RANDOM % 2000) * 5))
  if port_free $p && port_free $((p + 1)) && port_free $((p + 2)) && port_free $((p + 3)); then
    base=$p
    break
  fi
done
[ -n "$base" ] || { say "found no 4 free TCP ports in 20000-29999"; exit 1; }

# --- slurm.conf
{
  cat <<EOF
# Written by tests/slurm/start.sh: a private test cluster in $S
ClusterName=tftest
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$base
SlurmdPort=$((base + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$sock
CredType=cred/munge
StateSaveLocation=$S/state
SlurmdSpoolDir=$S/spool/%n
SlurmctldPidFile=$S/run/slurmctld.pid
SlurmdPidFile=$S/run/slurmd-%n.pid
SlurmctldLogFile=$S/log/slurmctld.log
SlurmdLogFile=$S/log/slurmd-%n.log
SlurmctldDebug=info
SlurmdDebug=info
TmpFS=$S/tmp/%n
PlugStackConfig=$S/plugstack.conf
ProctrackType=proctrack/pgid
TaskPlugin=task/none
SwitchType=switch/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SlurmdParameters=config_overrides
ReturnToService=2
MpiDefault=none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
MailProg=/bin/true
# Finished jobs stay visible to 'scontrol show job' for 10 minutes.
MinJobAge=600
InactiveLimit=0
KillWait=30
EOF
  i=1
  for n in $(node_names); do
    echo "NodeName=$n NodeHostname=$host NodeAddr=127.0.0.1 Port=$((base + 1 + i)) CPUs=2 RealMemory=1000 State=UNKNOWN"
    i=$((i + 1))
  done
  echo "PartitionName=debug Nodes=$(node_names | tr -s ' ' ',' | sed 's/,$//') Default=YES MaxTime=INFINITE State=UP OverSubscribe=YES"
} >"$conf" || { say "cannot write $conf"; exit 1; }
: >"$S/plugstack.conf"
# Read from beside slurm.conf; see the top of this file.
echo "CgroupPlugin=cgroup/v1" >"$S/cgroup.conf"
echo "$nodes" >"$S/nodes"
echo "export SLURM_CONF=$conf" >"$S/env.sh"

# Every daemon, and so every slurmstepd, carries TF_SLURM_SCRATCH in its
# environment: stop.sh finds what is left of this cluster by it.
export SLURM_CONF=$conf TF_SLURM_SCRATCH=$S
slurmctld -f "$conf" || { say "slurmctld did not start"; exit 1; }
for n in $(node_names); do
  slurmd -f "$conf" -N "$n" || { say "slurmd $n did not start"; exit 1; }
done

# Wait (30 s at most) for every node to be idle.
tries=0
until up; do
  tries=$((tries + 1))
  if [ $tries -ge 150 ]; then
    say "the nodes are not idle after 30 s:"
    timeout 10 sinfo -N >&2
    exit 1
  fi
  sleep 0.2
done
ok=1
say "Slurm is up in $S: $nodes node(s), slurmctld on port $base"
echo "export SLURM_CONF=$conf"
