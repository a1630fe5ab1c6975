#!/bin/sh
# taskfarm-dwalk: the counts per ROOT equal find's over a made tree (files of known sizes,
# nested and empty directories, symbolic links, a FIFO, an --exclude'd name, an unreadable
# directory) and over /usr/include; the output is identical on 1, 2 and 4 ranks; the operands
# (ROOT..., anywhere among the options, after --) and the repeatable --exclude are parsed by
# the library; a ROOT that is not a directory, or none, is refused naming it.
. "$(dirname "$0")/lib.sh"
set -e
DWALK=$top_builddir/taskfarm-dwalk

# find's counts for ROOT, leaving out entries called NAME (each -x NAME), in dwalk's format.
counts() {
  root=$1
  shift
  prune=""
  for x in "$@"; do prune="$prune -name $x -prune -o"; done
  # shellcheck disable=SC2086
  find "$root" -mindepth 1 $prune -printf '%y %s\n' | awk -v r="$root" '
    $1 == "f" { f++; b += $2 } $1 == "d" { d++ } $1 == "l" { l++ } $1 != "f" && $1 != "d" && $1 != "l" { o++ }
    END { printf "%s: files %d dirs %d symlinks %d other %d bytes %d unreadable 0\n", r, f, d, l, o, b }'
}

T=$TMP/tree
mkdir -p "$T/a/b/c" "$T/a/empty" "$T/d/skip/deep" "$T/skip" "$T/e"
printf 'x' >"$T/one"
head -c 1000 /dev/zero >"$T/a/thousand"
head -c 70000 /dev/zero >"$T/a/b/c/big"
: >"$T/a/b/c/zero"
printf 'hidden' >"$T/d/skip/deep/f"
printf 'also hidden' >"$T/skip/g"
i=0
while [ $i -lt 300 ]; do printf '%d' $i >"$T/e/f$i"; i=$((i + 1)); done
ln -s one "$T/link"
ln -s /nonexistent "$T/a/dangling"
ln -s ../a "$T/d/dirlink" # a link to a directory: counted, not followed
mkfifo "$T/a/fifo"

counts "$T" >"$TMP/want"
for np in 1 2 4; do
  if [ $np = 1 ]; then run=""; else run="mpi $np"; fi
  $run "$DWALK" --quiet "$T" >"$TMP/np$np" 2>"$TMP/err" || { cat "$TMP/err" >&2; fail "dwalk on $np ranks"; }
  cmp -s "$TMP/want" "$TMP/np$np" || { diff "$TMP/want" "$TMP/np$np" >&2; fail "dwalk on $np ranks differs from find"; }
done
pass "a made tree: the counts equal find's on 1, 2 and 4 ranks"

# Two ROOTs and a repeated --exclude, the options among and after the operands.
{ counts "$T" skip fifo; counts "$T/a" skip fifo; } >"$TMP/want"
awk '{ for (k = 3; k <= NF; k += 2) s[k] += $k } END { printf "total:"; for (k = 3; k <= NF; k += 2) printf " %s %d", $(k - 1), s[k]; printf "\n" }' \
  "$TMP/want" >>"$TMP/want"
for np in 1 3; do
  if [ $np = 1 ]; then run=""; else run="mpi $np"; fi
  $run "$DWALK" "$T" --exclude skip --quiet "$T/a" --exclude=fifo >"$TMP/out" 2>"$TMP/err" ||
    { cat "$TMP/err" >&2; fail "dwalk with two ROOTs on $np ranks"; }
  cmp -s "$TMP/want" "$TMP/out" || { diff "$TMP/want" "$TMP/out" >&2; fail "two ROOTs, --exclude twice, $np ranks"; }
done
grep -q 'symlinks 3' "$TMP/out" || fail "the links were not counted"
pass "two ROOTs with --exclude given twice: per-ROOT counts and the total equal find's"

# A real tree.
counts /usr/include >"$TMP/want"
mpi 3 "$DWALK" --quiet /usr/include >"$TMP/out" 2>"$TMP/err" || { cat "$TMP/err" >&2; fail "dwalk /usr/include"; }
cmp -s "$TMP/want" "$TMP/out" || { diff "$TMP/want" "$TMP/out" >&2; fail "/usr/include differs from find"; }
pass "$(cat "$TMP/out") (as find counts)"

# A directory that cannot be read is counted as such (root reads everything: skip the check).
if [ "$(id -u)" != 0 ]; then
  mkdir "$T/locked" && chmod 000 "$T/locked"
  mpi 2 "$DWALK" --quiet "$T" >"$TMP/out" 2>"$TMP/err" || fail "dwalk with a locked directory"
  chmod 700 "$T/locked"
  expect_text "$TMP/out" "unreadable 1" "the locked directory counted"
  expect_text "$TMP/err" "$T/locked: Permission denied" "and named"
fi

# Bad operands.
expect_status 2 "no ROOT" "$DWALK" --quiet
expect_text "$TMP/err" "ROOT... operand missing: 0 given, at least 1 needed (usage: taskfarm-dwalk [OPTIONS] ROOT...)" "no ROOT"
expect_status 2 "ROOT a file" mpi 2 "$DWALK" "$T" "$T/one"
expect_text "$TMP/err" "ROOT $T/one: not a directory" "a file as ROOT named"
expect_status 2 "ROOT missing" "$DWALK" "$T/nosuch"
expect_text "$TMP/err" "ROOT $T/nosuch: No such file or directory" "a missing ROOT named"
expect_status 2 "--exclude without a value" "$DWALK" "$T" --exclude
expect_text "$TMP/err" "--exclude needs a value (NAME)" "--exclude needs a value"
"$DWALK" --help >"$TMP/out"
expect_text "$TMP/out" "Usage: taskfarm-dwalk [OPTIONS] ROOT..." "--help shows the operands"
expect_text "$TMP/out" "(may be given more than once)" "--help shows the repeatable option"
pass "no ROOT, a file or a missing path as ROOT, a bare --exclude: exit 2 naming the cause"
