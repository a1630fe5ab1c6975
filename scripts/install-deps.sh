#!/bin/sh
# Install the Debian 12 packages that taskfarm needs to build, run and test,
# also on a minimal machine (debootstrap --variant=minbase, the debian:12
# image). Installs only what is missing and says what it does; uses sudo
# when not run as root. `install-deps.sh --list` prints the packages.
set -e
# Build: the compilers, MPI, GSL, libpng, CUnit, autotools. Tests: clang's
# libFuzzer, iproute2 and util-linux (network namespaces), python3 (parses
# the JSON and SVG a run writes), and a private Slurm with its Torque
# wrappers (the jobs/ scripts are submitted to it), and GNU parallel (cmdfarm is
# compared with it side by side).
# tests/integration/fresh_machine.sh checks that every tool the tests call
# beyond a minimal Debian comes from one of these.
pkgs="gcc clang libclang-rt-14-dev make openmpi-bin libopenmpi-dev libgsl-dev libcunit1-dev libpng-dev autoconf automake
libtool pkg-config iproute2 util-linux python3 slurmctld slurmd slurm-client munge slurm-wlm-torque
parallel"
case ${1:-} in
  --list) printf '%s\n' $pkgs; exit 0 ;;
  "") ;;
  *) echo "usage: $0 [--list]" >&2; exit 2 ;;
esac
say() { echo "install-deps: $*"; }
missing=""
n=0
for p in $pkgs; do
  n=$((n + 1))
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -z "$missing" ]; then
  say "all $n packages are installed; nothing to do"
  exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { say "not root and no sudo: run it as root"; exit 1; }
  sudo=sudo
fi
say "missing:$missing"
say "(on a bare machine: about 300 packages with their dependencies, 270 MB to download, 1 to 3 minutes)"

# apt STEP ARGS...: run apt-get with its plain line-per-step output (-q: no
# progress bar, which a log cannot show), less the lines dpkg writes for each
# package between its download (Get:) and Setting up; fails if apt-get fails.
apt() {
  say "$1"
  shift
  st=$(mktemp)
  { s=0; $sudo env DEBIAN_FRONTEND=noninteractive apt-get -q -o Dpkg::Use-Pty=0 "$@" 2>&1 || s=$?; echo $s >"$st"; } |
    sed -u -e '/^Selecting previously unselected/d' -e '/^(Reading database/d' \
      -e '/^Preparing to unpack/d' -e '/^Unpacking /d'
  s=$(cat "$st")
  rm -f "$st"
  [ "$s" = 0 ] || { say "apt-get $1 failed (exit status $s)"; exit 1; }
}
apt "reading the package lists (apt-get update)" update
# shellcheck disable=SC2086 # one word per package
apt "installing the missing packages and what they depend on" install -y $missing
say "done: installed$missing"
