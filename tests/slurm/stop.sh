#!/bin/bash
# stop.sh SCRATCH: stop the private Slurm that tests/slurm/start.sh started in
# SCRATCH: cancel its jobs, stop its slurmd(s), slurmctld and munged (by the
# pids in their pid files), and end what is left of its jobs. Safe to run
# any number of times, and on a cluster that never fully started. SCRATCH
# itself is left in place (its logs may be wanted); remove it yourself.
# Waits are bounded: about 40 s in the worst case.
set -u
PATH=$PATH:/usr/sbin:/sbin

if [ $# -ne 1 ]; then
  echo "usage: $0 SCRATCH" >&2
  exit 2
fi
[ -d "$1" ] || exit 0
S=$(cd "$1" && pwd) || exit 1
conf=$S/slurm.conf

pid_of() { [ -s "$1" ] && cat "$1"; }
alive() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null; }

# stop_pid PID SECONDS: SIGTERM, wait up to SECONDS, then SIGKILL.
stop_pid() {
  alive "$1" || return 0
  kill -TERM "$1" 2>/dev/null
  i=0
  while alive "$1" && [ $i -lt $(($2 * 10)) ]; do
    sleep 0.1
    i=$((i + 1))
  done
  alive "$1" && kill -KILL "$1" 2>/dev/null
  return 0
}

# 1. Cancel every job while slurmctld and the slurmds can still end them,
# and give them 15 s to go (KillWait is 30 s, but the jobs here stop on
# SIGTERM).
ctld=$(pid_of "$S/run/slurmctld.pid")
if [ -f "$conf" ] && alive "$ctld"; then
  export SLURM_CONF=$conf
  jobs=$(timeout 10 squeue -h -o %i 2>/dev/null)
  if [ -n "$jobs" ]; then
    # shellcheck disable=SC2086 # one word per job id
    timeout 10 scancel $jobs 2>/dev/null
    i=0
    while [ -n "$(timeout 5 squeue -h -o %i 2>/dev/null)" ] && [ $i -lt 150 ]; do
      sleep 0.1
      i=$((i + 1))
    done
  fi
fi

# 2. The daemons, by the pids they wrote.
for f in "$S"/run/slurmd-*.pid; do
  [ -f "$f" ] && stop_pid "$(pid_of "$f")" 10
done
stop_pid "$ctld" 10
stop_pid "$(pid_of "$S/munge/munged.pid")" 5

# 3. What is left: slurmstepd processes (they inherited TF_SLURM_SCRATCH=S
# from their slurmd) and job processes (SLURM_CONF=S/slurm.conf with a
# SLURM_JOB_ID), never this script or the ones that called it.
keep=" $$ "
p=$$
while [ "$p" -gt 1 ] 2>/dev/null; do
  p=$(awk '/^PPid:/ { print $2 }' "/proc/$p/status" 2>/dev/null) || break
  [ -n "$p" ] || break
  keep="$keep$p "
done
for d in /proc/[0-9]*; do
  p=${d#/proc/}
  case $keep in *" $p "*) continue ;; esac
  env=$(tr '\0' '\n' <"$d/environ" 2>/dev/null) || continue
  if printf '%s\n' "$env" | grep -qxF "TF_SLURM_SCRATCH=$S" ||
    { printf '%s\n' "$env" | grep -qxF "SLURM_CONF=$conf" &&
      printf '%s\n' "$env" | grep -q '^SLURM_JOB_ID='; }; then
    kill -KILL "$p" 2>/dev/null
  fi
done
rm -f "$S"/run/*.pid "$S/munge/munged.pid"
exit 0
