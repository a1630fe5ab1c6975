#!/bin/sh
# Install the Debian 12 packages that taskfarm needs to build, run and test.
# Installs only what is missing; uses sudo when not run as root.
set -e
# Build: the compilers, MPI, GSL, libpng, CUnit, autotools. Tests: clang's
# libFuzzer, iproute2 and util-linux (network namespaces), python3 (parses
# the JSON and SVG a run writes), and a private Slurm with its Torque
# wrappers (the jobs/ scripts are submitted to it).
pkgs="gcc clang libclang-rt-14-dev make openmpi-bin libopenmpi-dev libgsl-dev libcunit1-dev libpng-dev autoconf automake
libtool pkg-config iproute2 util-linux python3 slurmctld slurmd slurm-client munge slurm-wlm-torque"
missing=""
for p in $pkgs; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -n "$missing" ] || exit 0
sudo=""
[ "$(id -u)" -eq 0 ] || sudo=sudo
echo "install-deps: installing$missing"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $missing >/dev/null
