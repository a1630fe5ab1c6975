#!/bin/sh
# What the simulator predicts at scales no machine here has: 10^2 to 10^5
# workers (and 10^6 behind two levels of relays), flat (the root serves every
# worker) beside a relay on every node of 16 ranks, for exponential tasks of
# 1 ms, 10 ms and 1 s, with the costs measured on this machine (bench/tf_sim
# --help: the defaults) and InfiniBand-class links between nodes. Each run is
# PER tasks per worker (a longer run hides the start and the tail better).
# Prints a Markdown table: efficiency (task time / (workers x farm time)) and
# the root's load (the fraction of the run it spends handling messages).
# With PNG, also plots efficiency against workers there (gnuplot).
# Usage: bench/sim/predict.sh [PER] [PNG]   (from the build directory, after make)
set -eu
per=${1:-200}
png=${2:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/compare.inc" # field
run() { # workers mean_us extra...
  w=$1
  us=$2
  shift 2
  bench/tf_sim --workers "$w" --tasks $((w * per)) --dist exp --mean-us "$us" --node-ranks 16 "$@"
}
echo "| mean task | workers | flat: efficiency | flat: root load | relays: efficiency | relays: root load |"
echo "|---|---|---|---|---|---|"
for us in 1000 10000 1000000; do
  for w in 100 1000 3000 10000 30000 100000; do
    flat=$(run "$w" "$us")
    relay=$(run "$w" "$us" --relays 15)
    printf '| %s ms | %s | %.3f | %.2f | %.3f | %.2f |\n' "$((us / 1000))" "$w" \
      "$(echo "$flat" | field efficiency)" "$(echo "$flat" | field root_busy)" \
      "$(echo "$relay" | field efficiency)" "$(echo "$relay" | field root_busy)"
    echo "$w $(echo "$flat" | field efficiency) $(echo "$relay" | field efficiency)" >>"$tmp/$us.dat"
  done
done
if [ -n "$png" ]; then
  gnuplot <<EOF
set terminal pngcairo size 800,420 font ",10" noenhanced
set output "$png"
set title "Simulated efficiency, exponential tasks, 16 ranks per node (bench/sim/predict.sh $per)"
set logscale x
set xlabel "workers"
set ylabel "efficiency"
set yrange [0:1.05]
set grid
set key bottom left
plot "$tmp/1000.dat" using 1:2 title "1 ms, flat" with linespoints lc rgb "#c03030" dt 2, \\
     "$tmp/1000.dat" using 1:3 title "1 ms, relays" with linespoints lc rgb "#c03030", \\
     "$tmp/10000.dat" using 1:2 title "10 ms, flat" with linespoints lc rgb "#3070b0" dt 2, \\
     "$tmp/10000.dat" using 1:3 title "10 ms, relays" with linespoints lc rgb "#3070b0", \\
     "$tmp/1000000.dat" using 1:2 title "1 s, flat" with linespoints lc rgb "#30a030" dt 2, \\
     "$tmp/1000000.dat" using 1:3 title "1 s, relays" with linespoints lc rgb "#30a030"
EOF
fi
# A million workers: relays of 15 serving relays of 15; fewer tasks each.
w=1000000
big=$((per / 10 > 0 ? per / 10 : 1))
r=$(bench/tf_sim --workers $w --tasks $((w * big)) --dist exp --mean-us 10000 --node-ranks 16 --relays 15 --levels 2)
echo
echo "10^6 workers, 10 ms tasks, two levels of relays ($big tasks per worker):" \
  "efficiency $(echo "$r" | field efficiency), root load $(echo "$r" | field root_busy)"
