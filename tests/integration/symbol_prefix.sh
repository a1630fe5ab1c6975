#!/bin/sh
# symbol_prefix.sh - the library's public symbols are the tf_ functions that include/taskfarm.h
# declares; every other symbol its objects define is internal and named tf__ (as libuv's uv__),
# and the shared library exports only the public ones.
. "$(dirname "$0")/lib.sh"
set -e
command -v nm >/dev/null 2>&1 || fail "nm not found (binutils, installed with gcc)"
# The convenience archive holds exactly the objects of this build (a stale object of a
# removed source file may still lie in src/).
lib=$top_builddir/.libs/libtfcore.a
[ -f "$lib" ] || fail "$lib not found: run make first"
sed -n 's/^TF_EXPORT [^(]*[ *]\(tf_[a-z0-9_]*\)(.*/\1/p' "$top_srcdir/include/taskfarm.h" |
  sort -u >"$TMP/public"
[ "$(wc -l <"$TMP/public")" -ge 20 ] || fail "taskfarm.h declares too few TF_EXPORT functions"
# Names the compiler makes up (AddressSanitizer's __odr_asan.NAME, ...) start with two
# underscores: not ours.
nm -g --defined-only "$lib" | awk 'NF == 3 && $3 !~ /^__/ { print $3 }' | sort -u >"$TMP/defined"
grep -v '^tf__' "$TMP/defined" | comm -23 - "$TMP/public" >"$TMP/bad"
if [ -s "$TMP/bad" ]; then
  sed 's/^/  /' "$TMP/bad" >&2
  fail "the symbols above are neither declared in taskfarm.h nor named tf__"
fi
comm -13 "$TMP/defined" "$TMP/public" >"$TMP/missing"
[ ! -s "$TMP/missing" ] || { cat "$TMP/missing" >&2; fail "declared in taskfarm.h, defined nowhere"; }
pass "$(grep -c '^tf__' "$TMP/defined") internal symbols named tf__, $(wc -l <"$TMP/public") public"
so=$(find "$top_builddir/.libs" -maxdepth 1 -name 'libtaskfarm.so.*.*' 2>/dev/null | head -n 1)
if [ -n "$so" ]; then
  nm -D --defined-only "$so" | awk '$2 == "T" { print $3 }' | sort -u >"$TMP/exported"
  cmp -s "$TMP/exported" "$TMP/public" || {
    diff "$TMP/public" "$TMP/exported" >&2
    fail "$so exports other functions than taskfarm.h declares"
  }
  pass "the shared library exports exactly the $(wc -l <"$TMP/public") public functions"
fi
