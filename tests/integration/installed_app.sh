#!/bin/sh
# The apps printed in README.md and docs/WRITING-AN-APP.md, built out of tree against the *installed*
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
# Built with the flags the library was built with (a sanitizer build needs them).
# -Wall -Wextra -Werror: what a reader copies must build under strict flags.
(cd "$TMP" && mpicc -Wall -Wextra -Werror ${APP_CFLAGS:-} -o collatz collatz.c $(pkg-config --cflags --libs taskfarm) ${APP_LDFLAGS:-}) ||
  fail "the README app does not compile against the installed library"
# taskfarm.pc's rpath variable: a program that finds the library without LD_LIBRARY_PATH.
rpath=$(pkg-config --variable=rpath taskfarm)
[ "$rpath" = "-Wl,-rpath,$(pkg-config --variable=libdir taskfarm)" ] || fail "taskfarm.pc: rpath is '$rpath'"
(cd "$TMP" && mpicc ${APP_CFLAGS:-} -o collatz_rp collatz.c $(pkg-config --cflags --libs taskfarm) $rpath ${APP_LDFLAGS:-}) ||
  fail "the README app does not build with the rpath variable"
env -u LD_LIBRARY_PATH "$TMP/collatz_rp" --quiet >"$TMP/out1" 2>"$TMP/err" || { cat "$TMP/err" >&2; fail "the app built with rpath does not run without LD_LIBRARY_PATH"; }
expect_text "$TMP/out1" "below 1000000 the longest chain starts at 837799: 524 steps" "rpath app"
pass "the README app builds with -Wall -Wextra -Werror, and with \$(pkg-config --variable=rpath taskfarm) runs without LD_LIBRARY_PATH"
export LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
want="below 1000000 the longest chain starts at 837799: 524 steps"
"$TMP/collatz" --quiet >"$TMP/out1" || fail "README app on one process: exit $?"
expect_text "$TMP/out1" "$want" "README app, one process"
mpi 3 -x LD_LIBRARY_PATH "$TMP/collatz" --quiet >"$TMP/out3" || fail "README app on 3 ranks: exit $?"
expect_text "$TMP/out3" "$want" "README app, 3 ranks"
pass "README app built against the installed library, 1 and 3 ranks"

# doc_example MARKER NAME: the code block between <!-- MARKER:begin --> and <!-- MARKER:end -->
# in docs/WRITING-AN-APP.md, as a reader copies it, built as $TMP/NAME against the installed
# library with -Wall -Wextra -Werror.
doc_example() {
  sed -n "/<!-- $1:begin -->/,/<!-- $1:end -->/p" "$top_srcdir/docs/WRITING-AN-APP.md" |
    sed '/^<!--/d; /^```/d' >"$TMP/$2.c"
  [ "$(wc -l <"$TMP/$2.c")" -ge 20 ] || fail "no $1 block found in docs/WRITING-AN-APP.md"
  (cd "$TMP" && mpicc -Wall -Wextra -Werror ${APP_CFLAGS:-} -o "$2" "$2.c" $(pkg-config --cflags --libs taskfarm) -lm ${APP_LDFLAGS:-}) ||
    fail "the $1 block of WRITING-AN-APP.md does not compile against the installed library"
}

# The example of docs/WRITING-AN-APP.md, the same way: the Basel sum for
# N = 10^7 falls short of pi^2/6 by 1/N - 1/(2N^2) + ... = 1.000e-07.
doc_example example basel
"$TMP/basel" --quiet >"$TMP/b1" || fail "basel on one process: exit $?"
mpi 3 -x LD_LIBRARY_PATH "$TMP/basel" --quiet >"$TMP/b3" || fail "basel on 3 ranks: exit $?"
cmp -s "$TMP/b1" "$TMP/b3" || { cat "$TMP/b1" "$TMP/b3" >&2; fail "basel differs between 1 and 3 ranks"; }
expect_text "$TMP/b1" "pi^2/6 - sum = 1.000e-07" "basel answer"
pass "WRITING-AN-APP example built against the installed library, same answer on 1 and 3 ranks"

# The hooks example of docs/WRITING-AN-APP.md (section 3): an operand, master_init/master_fini,
# collect_in_order, follow-ups from collect and failed. For x = 1..10000, 47 x take more than 200
# steps; the highest value on their paths is 6810136 (x = 4255); 27 takes 111 steps (all from an
# independent computation).
doc_example example-hooks steps
"$TMP/steps" --n 10000 --long 200 --quiet "$TMP/s1.csv" >"$TMP/s1" || fail "steps on one process: exit $?"
expect_text "$TMP/s1" "10000 rows; the highest value, 6810136, is on the path of x = 4255" "steps, one process"
mpi 3 -x LD_LIBRARY_PATH "$TMP/steps" --n 10000 --long 200 --quiet "$TMP/s3.csv" >"$TMP/s3" || fail "steps on 3 ranks: exit $?"
cmp -s "$TMP/s1" "$TMP/s3" || fail "steps prints differently on 3 ranks"
cmp -s "$TMP/s1.csv" "$TMP/s3.csv" || fail "steps writes a different FILE on 3 ranks"
[ "$(wc -l <"$TMP/s1.csv")" -eq 10001 ] && grep -qx '27,111' "$TMP/s1.csv" && [ "$(sed -n 2p "$TMP/s1.csv")" = "1,0" ] &&
  [ "$(tail -n 1 "$TMP/s1.csv")" = "10000,29" ] || fail "steps.csv: not the 10000 rows in x order"
expect_status 1 "steps --bad 27 on 3 ranks" mpi 3 -x LD_LIBRARY_PATH "$TMP/steps" --n 1000 --bad 27 --quiet "$TMP/b.csv"
expect_text "$TMP/err" "x = 27 failed (status 3)" "failed names the task"
[ "$(wc -l <"$TMP/b.csv")" -eq 1000 ] && ! grep -q '^27,' "$TMP/b.csv" || fail "steps --bad 27: the row of 27 is not the one missing"
expect_status 2 "steps without FILE" "$TMP/steps" --quiet
expect_text "$TMP/err" "FILE operand missing" "the missing operand is named"
pass "the hooks example: an operand, rows in order, follow-ups, failed, the same on 1 and 3 ranks"

# The "longest first" example of docs/WRITING-AN-APP.md (section 9): the same answer in
# parameter order and costliest first, on 1 and 3 ranks. pi(6^4 x 10) = pi(12960) = 1543 and the
# sum of pi(k^4 x 10) for k = 1..6 is 2911 (both from a sieve).
doc_example example-costly costly
want="pi(12960) = 1543; the sum of pi(k^4 10) for k = 1..6 is 2911"
for order in "" --longest-first; do
  "$TMP/costly" --n 6 --m 10 $order --quiet >"$TMP/c1" || fail "costly $order on one process: exit $?"
  expect_text "$TMP/c1" "$want" "costly $order, one process"
  mpi 3 -x LD_LIBRARY_PATH "$TMP/costly" --n 6 --m 10 $order --quiet >"$TMP/c3" || fail "costly $order on 3 ranks: exit $?"
  cmp -s "$TMP/c1" "$TMP/c3" || { cat "$TMP/c1" "$TMP/c3" >&2; fail "costly $order differs between 1 and 3 ranks"; }
done
pass "the longest-first example: the same answer in both orders, on 1 and 3 ranks"

bindir=$(var prefix)/bin
"$bindir/taskfarm-pi" --version >"$TMP/v" || fail "installed taskfarm-pi --version"
expect_text "$TMP/v" "taskfarm-pi (taskfarm 0.1.0)" "installed pi"
pass "installed taskfarm-pi runs"
