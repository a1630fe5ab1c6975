#!/bin/sh
# The app printed in README.md, built out of tree against the *installed*
# library with `mpicc app.c $(pkg-config --cflags --libs taskfarm)`, runs on
# 1 and 3 ranks and finds the known longest Collatz chain below 10^6.
. "$(dirname "$0")/lib.sh"
set -e
command -v pkg-config >/dev/null 2>&1 || skip "pkg-config not found"
command -v mpicc >/dev/null 2>&1 || skip "mpicc not found"
inst=$TMP/inst
${MAKE:-make} -C "$top_builddir" install DESTDIR="$inst" >"$TMP/install.log" 2>&1 ||
  { tail -20 "$TMP/install.log" >&2; fail "make install DESTDIR=$inst"; }
pc=$(find "$inst" -name taskfarm.pc | head -n 1)
[ -n "$pc" ] || fail "taskfarm.pc was not installed"
export PKG_CONFIG_PATH="$(dirname "$pc")" PKG_CONFIG_SYSROOT_DIR="$inst"
# pkgconf puts the sysroot in front of variables, pkg-config does not.
var() {
  v=$(pkg-config --variable="$1" taskfarm)
  case "$v" in "$inst"/*) echo "$v" ;; *) echo "$inst$v" ;; esac
}
libdir=$(var libdir)
[ -f "$libdir/libtaskfarm.so" ] && [ -f "$libdir/libtaskfarm.a" ] || fail "shared and static library installed"
[ -f "$(var includedir)/taskfarm.h" ] || fail "taskfarm.h installed"

# The code block between the app markers in README.md, as a reader copies it.
sed -n '/<!-- app:begin -->/,/<!-- app:end -->/p' "$top_srcdir/README.md" | sed '/^<!--/d; /^```/d' \
  >"$TMP/collatz.c"
[ "$(wc -l <"$TMP/collatz.c")" -ge 20 ] || fail "no app found between the markers in README.md"
(cd "$TMP" && mpicc -Wall -o collatz collatz.c $(pkg-config --cflags --libs taskfarm)) ||
  fail "the README app does not compile against the installed library"
export LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
want="below 1000000 the longest chain starts at 837799: 524 steps"
"$TMP/collatz" --quiet >"$TMP/out1" || fail "README app on one process: exit $?"
expect_text "$TMP/out1" "$want" "README app, one process"
mpi 3 -x LD_LIBRARY_PATH "$TMP/collatz" --quiet >"$TMP/out3" || fail "README app on 3 ranks: exit $?"
expect_text "$TMP/out3" "$want" "README app, 3 ranks"
pass "README app built against the installed library, 1 and 3 ranks"

bindir=$(var prefix)/bin
"$bindir/taskfarm-pi" --version >"$TMP/v" || fail "installed taskfarm-pi --version"
expect_text "$TMP/v" "taskfarm-pi (taskfarm 0.1.0)" "installed pi"
pass "installed taskfarm-pi runs"
