#!/bin/sh
# taskfarm-sweep: the CSV and the summary are byte-identical for 1, 2, 3 and 4 ranks; every grid
# point's final size and peak agree with the SIR closed forms (solved again here, in awk); the SVG
# has one cell per grid point; a reversed range or an unwritable CSV exits 2 at the start.
. "$(dirname "$0")/lib.sh"
set -e
SWEEP=$top_builddir/taskfarm-sweep
grid="--nbeta 13 --ngamma 11 --beta-min 0.3 --beta-max 1.5 --gamma-min 0.05 --gamma-max 0.25"
args="$grid --i0 1e-4 --t-end 1000 --check --quiet"
"$SWEEP" $args --csv "$TMP/ref.csv" --svg "$TMP/map.svg" >"$TMP/ref" || fail "sweep on 1 rank exited $?"
for np in 1 2 3 4; do
  mpi $np "$SWEEP" $args --csv "$TMP/np$np.csv" >"$TMP/np$np" || fail "sweep on $np ranks exited $?"
  cmp -s "$TMP/ref.csv" "$TMP/np$np.csv" || { diff "$TMP/ref.csv" "$TMP/np$np.csv" >&2; fail "CSV on $np ranks differs"; }
  cmp -s "$TMP/ref" "$TMP/np$np" || { diff "$TMP/ref" "$TMP/np$np" >&2; fail "summary on $np ranks differs"; }
  pass "sweep on $np ranks identical"
done

# SIR closed forms (Kermack & McKendrick 1927; Brauer, "Compartmental models in epidemiology",
# Lecture Notes in Mathematics 1945, 2008),
# with S0 = 1 - I0, R(0) = 0, R0 = beta/gamma:
#   final size R_inf solves R = 1 - S0 exp(-R0 R) (bisection on [0, 1] below);
#   peak I = I0 + S0 - (1 + ln(S0 R0))/R0 when S0 R0 > 1.
# Tolerances: |R(t_end) - R_inf| < 1e-6 (R0 >= 1.2 here, so I(1000) is far below that) and
# |peak - closed form| < 1e-8 (rk8pd at 1e-10 and a peak time found to 1e-9).
awk -F, -v i0=1e-4 '
NR == 1 { next }
{
  rows++; b = $1; g = $2; r0 = b / g; s0 = 1 - i0
  if (rows > 1 && (b < pb || (b == pb && g <= pg))) { print "row " rows " out of order"; bad = 1 }
  pb = b; pg = g
  lo = 0; hi = 1
  for (k = 0; k < 200; k++) { m = (lo + hi) / 2; if (m - 1 + s0 * exp(-r0 * m) < 0) lo = m; else hi = m }
  d = $7 - lo; if (d < 0) d = -d
  if (d >= 1e-6) { print "beta " b " gamma " g ": R_end " $7 " vs R_inf " lo; bad = 1 }
  pk = i0 + s0 - (1 + log(s0 * r0)) / r0
  d = $4 - pk; if (d < 0) d = -d
  if (d >= 1e-8) { print "beta " b " gamma " g ": peak " $4 " vs " pk; bad = 1 }
}
END { if (rows != 13 * 11) { print rows " rows"; bad = 1 }; exit bad }
' "$TMP/ref.csv" || fail "CSV disagrees with the closed forms"
pass "143 grid points: final size within 1e-6, peak within 1e-8 of the closed forms"

# The app's own --check (the final-size equation solved with gsl_root's Brent) must agree too.
awk '/R\(t_end\) - R_inf/ { found++; if ($6 + 0 >= 1e-6) bad = 1 }
     /peak I - closed form/ { found++; if ($8 + 0 >= 1e-8) bad = 1 } END { exit bad || found != 2 }' \
  "$TMP/ref" || { cat "$TMP/ref" >&2; fail "--check deviation above tolerance"; }
pass "--check deviations below 1e-6 (final size) and 1e-8 (peak)"

cells=$(grep -c 'class="cell"' "$TMP/map.svg")
[ "$cells" = 143 ] || fail "SVG has $cells cells, expected 143"
expect_text "$TMP/map.svg" "</svg>" "SVG complete"
pass "SVG heat map with 143 cells"

expect_status 2 "sweep with beta-min > beta-max" "$SWEEP" --beta-min 2 --beta-max 1
expect_text "$TMP/err" "--beta-min" "message naming the bad range"
pass "reversed range rejected"

# The CSV and the SVG are checked before the sweep starts (this grid would take minutes) and
# written whole: a link at their names is replaced, its target untouched.
for opt in --csv --svg; do
  expect_status 2 "sweep writing $opt to a missing directory" timeout -k 5 60 "$SWEEP" --nbeta 2000 \
    --ngamma 2000 --quiet $opt "$TMP/no/such.file"
  expect_text "$TMP/err" "$opt $TMP/no/such.file: cannot create a file in $TMP/no" \
    "message naming the option, the file and the cause"
done
echo precious >"$TMP/precious"
ln -s "$TMP/precious" "$TMP/link.csv"
"$SWEEP" --nbeta 2 --ngamma 2 --quiet --csv "$TMP/link.csv" >/dev/null || fail "CSV over a link"
[ "$(cat "$TMP/precious")" = precious ] || fail "the CSV was written through a link"
[ ! -L "$TMP/link.csv" ] && [ "$(wc -l <"$TMP/link.csv")" = 5 ] || fail "the CSV is not in place"
pass "unwritable CSV or SVG refused at the start; a link at the CSV's name replaced"
