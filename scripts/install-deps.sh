#!/bin/sh
# Install the Debian 12 packages that taskfarm needs to build, run and test.
# Installs only what is missing; uses sudo when not run as root.
set -e
pkgs="gcc clang libclang-rt-14-dev make openmpi-bin libopenmpi-dev libgsl-dev libcunit1-dev libpng-dev autoconf automake
libtool pkg-config iproute2 util-linux"
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
