#!/bin/sh
# The README's commands on a fresh minimal Debian 12 (debootstrap
# --variant=minbase, the debian:12 image), checked from the sources:
#  1. every tool beyond such a machine that a test, tests/slurm/, a jobs/
#     script or .ci/run calls comes from a package scripts/install-deps.sh
#     installs (cppcheck: .ci/run installs it itself);
#  2. no test finds the processes it signals by name (pkill, pgrep, killall,
#     pidof, ps): each uses the PIDs it started (lib.sh's tf_descendants);
#  3. the README says how long its test command takes.
# A tool counts as called where it starts a command (after a newline, ; & |
# ( { ! $( ` then do else exec, command -v, timeout's limit, or variable
# assignments), comments left out: a heuristic, good for the tools below.
. "$(dirname "$0")/lib.sh"
set -e
cd "$top_srcdir"
sh scripts/install-deps.sh --list >"$TMP/pkgs" || fail "install-deps.sh --list"

# TOOL PACKAGE: the tools beyond minbase that the tests might call, and the
# Debian package that has each.
cat >"$TMP/tools" <<'EOF'
pkill procps
pgrep procps
ps procps
killall psmisc
pidof sysvinit-utils
git git
ip iproute2
ss iproute2
python3 python3
xz xz-utils
bzip2 bzip2
curl curl
wget wget
xxd xxd
bc bc
jq jq
file file
lsof lsof
strace strace
gdb gdb
valgrind valgrind
cppcheck cppcheck
gcc gcc
clang clang
make make
autoreconf autoconf
pkg-config pkg-config
mpicc libopenmpi-dev
mpirun openmpi-bin
munge munge
munged munge
unmunge munge
slurmctld slurmctld
slurmd slurmd
sbatch slurm-client
srun slurm-client
scontrol slurm-client
squeue slurm-client
sinfo slurm-client
scancel slurm-client
qsub slurm-wlm-torque
parallel parallel
EOF
# Where to look: everything but this file, whose table names every tool.
files=$(ls tests/integration/*.sh tests/slurm/*.sh tests/bounded .ci/run scripts/*.sh jobs/lib/* \
  jobs/slurm/* jobs/pbs/* | grep -vx 'tests/integration/fresh_machine\.sh')

# calls TOOL: FILE:LINE: TEXT for each line of $files that calls TOOL.
calls() {
  # shellcheck disable=SC2086 # $files is a list of paths without spaces
  awk -v t="$1" '
    BEGIN {
      start = "(^|[;&|({!`]|\\$\\()[ \t]*"
      word = "((then|do|else|if|while|until|exec|command -v|timeout( -k [0-9]+)? [0-9]+)[ \t]+)?"
      assign = "([A-Za-z_][A-Za-z0-9_]*=(\"[^\"]*\"|[^ \t]*)[ \t]+)*"
      re = start word assign t "([ \t;)]|$)"
    }
    { line = $0; sub(/^[ \t]*#.*/, "", line); sub(/[ \t]#.*/, "", line) }
    line ~ re { print FILENAME ":" FNR ": " $0 }' $files
}

bad=0
while read -r tool pkg; do
  calls "$tool" >"$TMP/calls"
  [ -s "$TMP/calls" ] || continue
  if [ "$tool" = cppcheck ]; then continue; fi
  if ! grep -qx "$pkg" "$TMP/pkgs"; then
    echo "$tool (package $pkg) is called, but scripts/install-deps.sh does not install $pkg:" >&2
    sed 's/^/  /' "$TMP/calls" >&2
    bad=$((bad + 1))
  fi
  echo "$tool ($pkg): $(wc -l <"$TMP/calls") call(s)"
done <"$TMP/tools"
[ $bad = 0 ] || fail "$bad tool(s) the tests call are not installed by scripts/install-deps.sh"
pass "every tool beyond minbase that the tests and the CI call comes from install-deps.sh"

: >"$TMP/byname"
for tool in pkill pgrep killall pidof ps; do
  calls "$tool" | grep '^tests/' >>"$TMP/byname" ||
    [ $? = 1 ]
done
[ ! -s "$TMP/byname" ] || { cat "$TMP/byname" >&2; fail "tests find processes by name"; }
pass "no test finds the processes it signals by name"

# The sentence after the test command says how long it takes.
sed -n '/<!-- test-command:end -->/,/^## /p' README.md >"$TMP/after"
grep -Eq '[0-9]+ (to [0-9]+ )?min' "$TMP/after" || { cat "$TMP/after" >&2; fail "README: how long the tests take"; }
pass "the README says how long its test command takes"
