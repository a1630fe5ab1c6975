#!/bin/bash
# stop.sh SCRATCH: stop the private Slurm that tests/slurm/start.sh started in
# SCRATCH: cancel its jobs, stop its slurmd(s), slurmctld and munged (by the
# pids in their pid files), and end what is left of its jobs. Safe to run
# any number of times, and on a cluster that never fully started. SCRATCH
# itself is left in place (its logs may be wanted); remove it yourself.
# Waits are bounded: about 10 s in the worst case, 1 to 2 s as a rule.
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
# alive PID: PID runs (a zombie, dead but not yet reaped, does not count).
alive() {
  [ -n "$1" ] && kill -0 "$1" 2>/dev/null &&
    ! grep -q '^[0-9]* (.*) Z' "/proc/$1/stat" 2>/dev/null
}

# 1. Cancel every job while slurmctld and the slurmds can still end them,
# and give them 4 s in all (a test that times out has 10 s for all of this).
ctld=$(pid_of "$S/run/slurmctld.pid")
if [ -f "$conf" ] && alive "$ctld"; then
  export SLURM_CONF=$conf
  deadline=$((SECONDS + 4))
  jobs=$(timeout 2 squeue -h -o %i 2>/dev/null)
  if [ -n "$jobs" ]; then
    # shellcheck disable=SC2086 # one word per job id
    timeout 2 scancel $jobs 2>/dev/null
    while [ $SECONDS -lt $deadline ] && [ -n "$(timeout 1 squeue -h -o %i 2>/dev/null)" ]; do
      sleep 0.2
    done
  fi
fi

# 2. The daemons, by the pids they wrote: SIGTERM to all, 3 s to go, then
# SIGKILL.
daemons=
for f in "$S"/run/slurmd-*.pid "$S/run/slurmctld.pid" "$S/munge/munged.pid"; do
  p=$(pid_of "$f") && alive "$p" && daemons="$daemons $p"
done
for p in $daemons; do kill -TERM "$p" 2>/dev/null; done
i=0
while [ $i -lt 30 ]; do
  left=
  for p in $daemons; do alive "$p" && left="$left $p"; done
  [ -n "$left" ] || break
  sleep 0.1
  i=$((i + 1))
done
for p in $daemons; do alive "$p" && kill -KILL "$p" 2>/dev/null; done

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
  env=$(tr '\0' '\n' 2>/dev/null <"$d/environ") || continue
  if printf '%s\n' "$env" | grep -qxF "TF_SLURM_SCRATCH=$S" ||
    { printf '%s\n' "$env" | grep -qxF "SLURM_CONF=$conf" &&
      printf '%s\n' "$env" | grep -q '^SLURM_JOB_ID='; }; then
    kill -KILL "$p" 2>/dev/null
  fi
done
rm -f "$S"/run/*.pid "$S/munge/munged.pid"
exit 0
