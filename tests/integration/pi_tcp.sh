#!/bin/sh
# The same pi run over TCP (the transport between separate nodes) gives the
# same answer as one process.
. "$(dirname "$0")/lib.sh"
set -e
args="--samples 2000000 --tasks 200 --seed 3 --quiet"
"$PI" $args >"$TMP/ref"
mpi 3 --mca btl self,tcp "$PI" $args >"$TMP/tcp" || fail "pi over TCP exited $?"
cmp -s "$TMP/ref" "$TMP/tcp" || { diff "$TMP/ref" "$TMP/tcp" >&2; fail "pi over TCP differs"; }
pass "pi over TCP on 3 ranks identical"
