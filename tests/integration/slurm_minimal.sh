#!/bin/sh
# The private Slurm of tests/slurm/start.sh on a machine as bare as a fresh
# minimal Debian (a debootstrap chroot, a container): a host name that does
# not resolve, and no cgroup file system on /sys/fs/cgroup. The test makes
# both in namespaces of its own (UTS and mount), starts two fake nodes, and
# runs a job across them with srun and one with mpirun; then stops them.
if [ -z "${TF_SLURM_MINIMAL:-}" ] && [ "$(id -u)" = 0 ]; then
  # Run again in a new UTS and mount namespace: the changes stay in there.
  TF_SLURM_MINIMAL=1 exec unshare --uts --mount --propagation private sh "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"
set -e
[ "$(id -u)" = 0 ] || skip "needs root (the local Slurm's daemons and jobs run as root)"
[ -x "$TESTAPP" ] || fail "$TESTAPP is missing (make check builds it)"

# A host name that resolves nowhere.
name=tf-noname-$$
echo "$name" >/proc/sys/kernel/hostname
[ "$(uname -n)" = "$name" ] || fail "cannot set the host name in a UTS namespace"
if getent hosts "$name" >/dev/null; then fail "the made-up host name $name resolves"; fi
# No cgroup file system: /sys/fs/cgroup is then a bare directory of sysfs.
if [ "$(stat -f -c %T /sys/fs/cgroup)" != sysfs ]; then umount -R /sys/fs/cgroup; fi
[ "$(stat -f -c %T /sys/fs/cgroup)" = sysfs ] || fail "/sys/fs/cgroup is still mounted"
pass "host name $name does not resolve; nothing mounted on /sys/fs/cgroup"

S=$TMP/slurm
trap 'bash "$top_srcdir/tests/slurm/stop.sh" "$S" >/dev/null 2>&1; rm -rf "$TMP"' EXIT
tf_start_slurm "$S"
PATH=$PATH:/usr/sbin:/sbin
pass "start.sh: $(sinfo -h -N -o '%N %t' | tr '\n' ' ')"

timeout 30 srun -N 2 -n 2 sh -c 'echo "$SLURMD_NODENAME $(uname -n)"' >"$TMP/srun" 2>&1 ||
  { cat "$TMP/srun" >&2; fail "srun across the 2 nodes"; }
[ "$(sort "$TMP/srun" | tr '\n' ' ')" = "tfnode1 $name tfnode2 $name " ] ||
  { cat "$TMP/srun" >&2; fail "srun: not one task on each node"; }
pass "srun -N 2: one task on each fake node"

# 4 ranks on 2 nodes with mpirun (the fake nodes are one machine: TCP).
cd "$TMP"
id=$(OMPI_MCA_btl=self,tcp sbatch --parsable -N 2 --ntasks-per-node=2 -o "$TMP/job.out" \
  --wrap "mpirun $TESTAPP --tasks 500")
n=0
while [ $n -lt 120 ]; do
  st=$(scontrol show job "$id" | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p')
  case $st in PENDING | RUNNING | CONFIGURING | COMPLETING | '') ;; *) break ;; esac
  sleep 0.5
  n=$((n + 1))
done
[ "$st" = COMPLETED ] || { scontrol show job "$id" >&2; cat "$TMP/job.out" >&2; fail "job $id: $st"; }
"$TESTAPP" --tasks 500 --quiet >"$TMP/ref"
grep -qxF -- "$(cat "$TMP/ref")" "$TMP/job.out" || { cat "$TMP/job.out" >&2; fail "job $id: not the direct run's answer"; }
expect_text "$TMP/job.out" "on 3 workers" "job $id: 4 ranks"
pass "sbatch -N 2 with mpirun on 4 ranks: the answer of a direct run"
