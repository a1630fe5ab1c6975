#!/bin/sh
# taskfarm-mandelbrot: the iteration counts equal a plain serial loop's byte for
# byte, the checksum and the PNG are identical on 1-4 ranks, the PNG is valid,
# and the inside pixels give the published area of the set to within 1%.
. "$(dirname "$0")/lib.sh"
set -e
MANDEL=$top_builddir/taskfarm-mandelbrot
REF=$top_builddir/tests/apps/tf_mandel_ref

# A small image; 7 rows per task leaves a short last band (120 = 17 x 7 + 1).
region="--xmin -2.6 --xmax 1 --ymin -1.2 --ymax 1.2"
args="--width 160 --height 120 $region --max-iter 500 --rows 7 --quiet"
"$REF" 160 120 -2.6 1 -1.2 1.2 500 "$TMP/ref.cnt" >/dev/null || fail "reference exited $?"
for np in 1 2 3 4; do
  if [ $np = 1 ]; then run=""; else run="mpi $np"; fi
  $run "$MANDEL" $args --output "$TMP/np$np.png" --counts "$TMP/np$np.cnt" >"$TMP/np$np.out" ||
    fail "mandelbrot on $np ranks exited $?"
  grep -v '^wrote' "$TMP/np$np.out" >"$TMP/np$np.sum"
  cmp -s "$TMP/ref.cnt" "$TMP/np$np.cnt" || fail "counts on $np ranks differ from the serial loop"
  cmp -s "$TMP/np1.sum" "$TMP/np$np.sum" || { diff "$TMP/np1.sum" "$TMP/np$np.sum" >&2;
    fail "checksum on $np ranks differs"; }
  cmp -s "$TMP/np1.png" "$TMP/np$np.png" || fail "PNG on $np ranks differs"
  pass "mandelbrot on $np ranks: counts equal the serial loop, same checksum and PNG"
done
expect_text "$TMP/np1.out" "checksum     " "checksum printed"

# The PNG: the 8-byte signature, then the IHDR chunk with width 160 (a0) and
# height 120 (78) as big-endian 32-bit numbers.
sig=$(od -A n -t x1 -N 24 "$TMP/np1.png" | tr -d ' \n')
[ "$sig" = "89504e470d0a1a0a0000000d49484452000000a000000078" ] ||
  fail "PNG signature or IHDR wrong: $sig"
# libpng decodes it all (chunk CRCs, zlib): 8-bit RGB, black exactly inside.
"$REF" 160 120 -2.6 1 -1.2 1.2 500 "$TMP/ref2.cnt" "$TMP/np1.png" >/dev/null ||
  fail "the PNG does not decode to the expected image"
pass "PNG valid: signature, IHDR 160x120, black exactly on the inside"

# The area of the Mandelbrot set is 1.50659177 +- 0.00000008 (Foerstemann 2012,
# pixel counting; Bittner et al. 2017 bound it by 1.5065918849 +- 2.8e-10).
# A 400x400 grid over [-2,0.5]x[-1.25,1.25] (pixel 1/160 wide) with 1000
# iterations gives about 1.510: the finite iteration limit counts slow-escaping
# boundary points as inside (+0.2 to +0.4%), and boundary pixels add sampling
# noise of about 0.1% (grids from 250 to 500 pixels gave 1.509-1.513). So 1%
# is a safe bound that still catches a wrong pixel size or region.
"$MANDEL" --width 400 --height 400 --xmin -2 --xmax 0.5 --ymin -1.25 --ymax 1.25 \
  --max-iter 1000 --output "" --quiet >"$TMP/area" || fail "area run exited $?"
awk '/^inside/ { a = $5 + 0; d = (a - 1.50659177) / 1.50659177; if (d < 0) d = -d;
     found = 1; if (d > 0.01) exit 1 } END { exit !found }' "$TMP/area" ||
  { cat "$TMP/area" >&2; fail "area of the set more than 1% from 1.50659177"; }
pass "area of the set within 1% of 1.50659177"

expect_status 2 "xmin above xmax" "$MANDEL" --xmin 1 --xmax 0
expect_text "$TMP/err" "--xmin" "bad region names --xmin"
expect_status 2 "zero width" "$MANDEL" --width 0
expect_text "$TMP/err" "--width" "bad width names --width"
pass "bad region and bad width are refused with a message"

# The files are written whole (tf_output): one that cannot be made is refused before a pixel is
# computed (this image would take minutes), with the option, the file and the cause.
big="--width 4000 --height 4000 --max-iter 100000 --quiet"
for opt in --output --counts; do
  expect_status 2 "$opt in a missing directory" timeout -k 5 60 "$MANDEL" $big $opt "$TMP/no/such/f"
  expect_text "$TMP/err" "$opt $TMP/no/such/f: cannot create a file in $TMP/no/such" \
    "$opt: option, file and cause named"
done
# A link at the PNG's name is replaced, its target left alone; no temporary file stays.
mkdir "$TMP/links"
echo precious >"$TMP/links/precious"
ln -s "$TMP/links/precious" "$TMP/links/m.png"
"$MANDEL" --width 16 --height 12 --quiet --output "$TMP/links/m.png" >/dev/null ||
  fail "mandelbrot with a link as --output exited $?"
[ "$(cat "$TMP/links/precious")" = precious ] || fail "the PNG was written through a link"
[ -f "$TMP/links/m.png" ] && [ ! -L "$TMP/links/m.png" ] || fail "the link is still there"
[ "$(ls -A "$TMP/links" | tr '\n' ' ')" = "m.png precious " ] || fail "files left: $(ls -A "$TMP/links")"
# A PNG that cannot be written whole (a 16 KiB file system, full half way): exit 1 naming the
# cause, and the PNG that was there before stays whole, with no half new one beside it.
mkdir "$TMP/small"
cat >"$TMP/full.sh" <<'EOF2'
mount -t tmpfs -o size=16k tmpfs "$1" || exit 77
echo old >"$1/m.png"
"$2" --width 400 --height 400 --max-iter 200 --quiet --output "$1/m.png" >/dev/null 2>"$3/err"
echo $? >"$3/rc"
cat "$1/m.png" >"$3/m.after"
ls -A "$1" >"$3/ls"
EOF2
if unshare -m sh "$TMP/full.sh" "$TMP/small" "$MANDEL" "$TMP" 2>"$TMP/unshare.err"; then
  [ "$(cat "$TMP/m.after")" = old ] || fail "the old PNG was not kept whole"
  [ "$(cat "$TMP/ls")" = m.png ] || fail "files left on the full disk: $(cat "$TMP/ls")"
  [ "$(cat "$TMP/rc")" = 1 ] || fail "a PNG on a full disk: exit status $(cat "$TMP/rc")"
  expect_text "$TMP/err" "--output $TMP/small/m.png" "the PNG named"
  expect_text "$TMP/err" "No space left on device" "the cause named"
else
  echo "not checked: a PNG on a full disk (cannot mount a small tmpfs: $(cat "$TMP/unshare.err"))"
fi
pass "outputs checked at the start, links replaced, a PNG never left half written"
