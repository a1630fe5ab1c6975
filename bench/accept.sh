#!/bin/sh
# What accepting workers costs a farm that none join, measured side by side:
# each repetition runs the same empty-task farm three ways, one after the
# other (their order turns with every repetition):
#   plain            nothing on: MPI_THREAD_SINGLE everywhere
#   heartbeats       --worker-timeout 30: MPI_THREAD_SERIALIZED and a
#                    heartbeat thread on each worker (section 7)
#   accept           --accept-workers: heartbeats as above, and rank 0 in
#                    MPI_THREAD_MULTIPLE with a thread blocked in
#                    MPI_Comm_accept (the port published with ompi-server)
# for 1 worker (-np 2) and, with --oversubscribe where there are fewer
# cores, 2 workers (-np 3), at one task per message (dynamic, chunk 1),
# batched at a fixed size (dynamic, chunk 16, --prefetch 32) and with the
# default schedule (adaptive). Then, in the same repetition, a farm of rank 0
# alone with --accept-workers and a job of 1 rank that joins it (--join):
# its worker reaches rank 0 through Open MPI's connect/accept, over TCP, not
# as a rank of the farm's own job; beside it, the farm's own worker over TCP
# too (an accepting farm of 2 ranks under --mca btl tcp,self).
# Each figure is the median over repetitions of a ratio of rates from the
# same repetition, with its range, so a machine that changes speed between
# runs (this 2-core VM flips between two) moves both sides alike; the MPI
# ping-pong of each repetition shows which speed it ran at, and where the
# repetitions fall into two groups the ratios are given for each group too.
# Rates are tf_bench_empty's: tasks over the time from the first generate
# to the last result, or from the first result (the joined worker and its
# references: a farm of rank 0 alone starts generating before a job joins).
# The time each whole mpirun takes beyond the farm's own (start, publishing
# the name, end) is given apart.
# Usage: bench/accept.sh [TASKS] [REPS]   (from the build directory, after
# make; TASKS with the adaptive schedule, a quarter of it at chunk 16, a
# twentieth at chunk 1, fewer for the joined worker; about 4 minutes at the
# defaults on 2 cores)
set -eu
tasks=${1:-4000000}
reps=${2:-9}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
cores=$(nproc)
for b in bench/tf_bench_empty bench/tf_pingpong; do
  [ -x "$b" ] || { echo "accept.sh: $b not built; run make first" >&2; exit 2; }
done
command -v ompi-server >/dev/null 2>&1 || { echo "accept.sh: ompi-server (Open MPI's name server) not found" >&2; exit 2; }
tmp=$(mktemp -d)
ompi-server --report-uri "$tmp/uri" --no-daemonize >"$tmp/ns.log" 2>&1 &
ns=$!
farm=
# On exit: a farm still running in the background, the name server (by their
# PIDs), the scratch directory.
trap '[ -z "$farm" ] || kill "$farm" 2>/dev/null; kill "$ns" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
n=0
while [ ! -s "$tmp/uri" ] && [ $n -lt 100 ]; do
  sleep 0.1
  n=$((n + 1))
done
[ -s "$tmp/uri" ] || { cat "$tmp/ns.log" >&2; echo "accept.sh: ompi-server wrote no URI in 10 s" >&2; exit 1; }

# run NP ARGS...: an mpirun that knows the name server (all three ways alike),
# oversubscribed only with more ranks than cores.
run() {
  np=$1
  shift
  over=
  [ "$np" -gt "$cores" ] && over=--oversubscribe
  timeout 300 mpirun --ompi-server "file:$tmp/uri" $over -np "$np" "$@"
}
now() { date +%s.%N; }
# field KEY: the word after KEY on tf_bench_empty's line
field() { awk -v k="$1" '{ for (i = 1; i < NF; i++) if ($i == k) print $(i + 1) }'; }
stats() { sort -g | awk '{ a[NR] = $1 } END { if (NR) printf "%.2f (%.2f-%.2f)", a[int((NR + 1) / 2)], a[1], a[NR]; else printf "-" }'; }
# kilo: the median of the rates on stdin, in k or M
kilo() { sort -g | awk '{ a[NR] = $1 } END { v = a[int((NR + 1) / 2)]; if (v >= 1e6) printf "%.2f M", v / 1e6; else printf "%.1f k", v / 1e3 }'; }
div() { awk -v a="$1" -v b="$2" 'BEGIN { if (a > 0 && b > 0) printf "%.4f\n", a / b }'; }
# opts SCHED [DIV]: the options of a schedule, with TASKS/DIV tasks (the
# joined worker runs fewer: it is slower)
opts() {
  case $1 in
  c1) echo "--tasks $((tasks / 20 / ${2:-1})) --schedule dynamic --chunk 1" ;;
  c16) echo "--tasks $((tasks / 4 / ${2:-1})) --schedule dynamic --chunk 16 --prefetch 32" ;;
  ad) echo "--tasks $((tasks / ${2:-1}))" ;;
  esac
}
jdiv() { case $1 in c1) echo 20 ;; c16) echo 10 ;; ad) echo 4 ;; esac; }
label() {
  case $1 in
  c1) echo "chunk 1" ;;
  c16) echo "chunk 16, --prefetch 32" ;;
  ad) echo "adaptive (default)" ;;
  esac
}
way() {
  case $1 in
  plain) echo "" ;;
  hb) echo "--worker-timeout 30" ;;
  acc) echo "--accept-workers --service accept-$$-$2" ;;
  esac
}
fail() { cat "$tmp/err" >&2; echo "accept.sh: failed: $*" >&2; exit 1; }

# one NP SCHED WAY REP: a run; its rates go to $tmp/{rate,first}.NP.SCHED.WAY.REP,
# the mpirun's time beyond the farm's own to $tmp/extra.WAY
one() {
  t0=$(now)
  # shellcheck disable=SC2046
  run "$1" bench/tf_bench_empty $(opts "$2") $(way "$3" "$1$2$4") --quiet >"$tmp/out" 2>"$tmp/err" ||
    fail "-np $1 $(opts "$2") $(way "$3" x)"
  t1=$(now)
  field rate <"$tmp/out" >"$tmp/rate.$1.$2.$3.$4"
  field rate_after_first_result <"$tmp/out" >"$tmp/first.$1.$2.$3.$4"
  awk -v a="$t0" -v b="$t1" -v w="$(field wall <"$tmp/out")" 'BEGIN { print b - a - w }' >>"$tmp/extra.$3"
}

# joined SCHED REP: a farm of rank 0 alone accepting, a job of 1 rank joining
# it; before it, as a reference, an accepting farm of 2 ranks that talk TCP
# (--mca btl tcp,self), as a joined worker does: Open MPI 4.1's shared memory
# does not reach another job's ranks
joined() {
  name=accept-$$-t$1$2
  # shellcheck disable=SC2046
  run 2 --mca btl tcp,self bench/tf_bench_empty $(opts "$1" "$(jdiv "$1")") --accept-workers \
    --service "$name" --quiet >"$tmp/out" 2>"$tmp/err" || fail "-np 2 --mca btl tcp,self $(opts "$1" "$(jdiv "$1")")"
  field rate_after_first_result <"$tmp/out" >"$tmp/first.2.$1.tcp.$2"
  name=accept-$$-j$1$2
  # shellcheck disable=SC2046
  timeout 300 mpirun --ompi-server "file:$tmp/uri" -np 1 bench/tf_bench_empty $(opts "$1" "$(jdiv "$1")") \
    --accept-workers --service "$name" --quiet >"$tmp/$name.out" 2>"$tmp/$name.err" &
  farm=$!
  n=0
  while ! grep -q "accepting workers as" "$tmp/$name.err" 2>/dev/null && [ $n -lt 300 ]; do
    sleep 0.1
    n=$((n + 1))
  done
  # shellcheck disable=SC2046
  run 1 bench/tf_bench_empty $(opts "$1" "$(jdiv "$1")") --join "$name" --quiet >/dev/null 2>"$tmp/err" ||
    fail "--join $name"
  wait "$farm" || { farm=; cat "$tmp/$name.err" >&2; echo "accept.sh: the farm of rank 0 alone failed" >&2; exit 1; }
  farm=
  field rate_after_first_result <"$tmp/$name.out" >"$tmp/first.1.$1.joined.$2"
}

echo "machine: $cores cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(mpirun --version | head -n 1)"
nps="2 3"
scheds="c1 c16 ad"
for i in $(seq "$reps"); do
  pp=$(run 2 bench/tf_pingpong 200000 | awk '{ print $7 }')
  echo "$i $pp" >>"$tmp/pp"
  # the order of the three ways turns with the repetition
  case $((i % 3)) in
  1) order="plain hb acc" ;;
  2) order="hb acc plain" ;;
  0) order="acc plain hb" ;;
  esac
  for np in $nps; do
    for s in $scheds; do
      for w in $order; do one "$np" "$s" "$w" "$i"; done
      r() { cat "$tmp/rate.$np.$s.$1.$i"; }
      r plain >>"$tmp/plain.$np.$s"
      echo "$i $(div "$(r hb)" "$(r plain)")" >>"$tmp/hb.$np.$s"
      echo "$i $(div "$(r acc)" "$(r plain)")" >>"$tmp/acc.$np.$s"
      echo "$i $(div "$(r acc)" "$(r hb)")" >>"$tmp/acchb.$np.$s"
      echo "repetition $i (ping-pong $pp round trips/s): $((np - 1)) worker(s), $(label "$s"): tasks/s plain $(r plain), heartbeats $(r hb), accept $(r acc)"
    done
  done
  for s in $scheds; do
    joined "$s" "$i"
    f() { cat "$tmp/first.$1.$s.$2.$i"; }
    f 1 joined >>"$tmp/joined.$s"
    echo "$i $(div "$(f 1 joined)" "$(f 2 plain)")" >>"$tmp/jp.$s"
    echo "$i $(div "$(f 1 joined)" "$(f 2 acc)")" >>"$tmp/ja.$s"
    echo "$i $(div "$(f 1 joined)" "$(f 2 tcp)")" >>"$tmp/jt.$s"
    echo "repetition $i: 1 worker, $(label "$s"), tasks/s after the first result: own worker plain $(f 2 plain), own worker accepting $(f 2 acc), own worker accepting over TCP $(f 2 tcp), joined $(f 1 joined)"
  done
done

# Two speeds: the widest step between the sorted ping-pong rates parts the
# repetitions into a slow and a fast group if it is one of 1.6 x or more
# (this VM's two speeds are about 2 x apart) with 2 repetitions or more on
# each side. Load from elsewhere on the machine can part them too: the
# ping-pong of every repetition is printed above.
split=$(awk '{ print $2 }' "$tmp/pp" | sort -g | awk '
  { a[NR] = $1 }
  END {
    best = 1
    for (k = 3; k <= NR - 1; k++)
      if (a[k - 1] > 0 && a[k] / a[k - 1] > best) { best = a[k] / a[k - 1]; cut = a[k] }
    if (best >= 1.6) print cut
  }')
# col FILE: the median (range) of the ratios in FILE, all repetitions, and if
# they part, the slow and the fast group's
col() {
  all=$(awk '$2 != "" { print $2 }' "$1" | stats)
  [ -n "$split" ] || { echo "$all"; return; }
  slow=$(awk -v c="$split" 'NR == FNR { p[$1] = $2; next } $2 != "" && p[$1] < c { print $2 }' "$tmp/pp" "$1" | stats)
  fast=$(awk -v c="$split" 'NR == FNR { p[$1] = $2; next } $2 != "" && p[$1] >= c { print $2 }' "$tmp/pp" "$1" | stats)
  echo "$all; slow $slow, fast $fast"
}
echo
echo "MPI ping-pong, round trips/s: $(awk '{ print $2 }' "$tmp/pp" | stats) (median, range over $reps repetitions)"
if [ -n "$split" ]; then
  echo "two groups: $(awk -v c="$split" '$2 < c' "$tmp/pp" | wc -l) repetitions slow (ping-pong below $split round trips/s), $(awk -v c="$split" '$2 >= c' "$tmp/pp" | wc -l) fast"
else
  echo "one group: the ping-pong rates part into no slow and fast group (no step of 1.6 x or more)"
fi
echo
echo "Empty tasks/s, ratios of rates from the same repetition: median (range) over $reps repetitions"
echo
echo "| workers | schedule | plain, tasks/s | heartbeats / plain | --accept-workers / plain | --accept-workers / heartbeats |"
echo "|---|---|---|---|---|---|"
for np in $nps; do
  for s in $scheds; do
    echo "| $((np - 1)) | $(label "$s") | $(kilo <"$tmp/plain.$np.$s") | $(col "$tmp/hb.$np.$s") | $(col "$tmp/acc.$np.$s") | $(col "$tmp/acchb.$np.$s") |"
  done
done
echo
echo "A joined worker beside the farm's own (1 worker; rates after the first result):"
echo
echo "| schedule | joined, tasks/s | joined / own worker, plain farm | joined / own worker, farm with --accept-workers | joined / own worker over TCP, farm with --accept-workers |"
echo "|---|---|---|---|---|"
for s in $scheds; do
  echo "| $(label "$s") | $(kilo <"$tmp/joined.$s") | $(col "$tmp/jp.$s") | $(col "$tmp/ja.$s") | $(col "$tmp/jt.$s") |"
done
echo
echo "Each mpirun's time beyond the farm's own (start, publishing, end), seconds, median (range) over every run: plain $(stats <"$tmp/extra.plain"), heartbeats $(stats <"$tmp/extra.hb"), --accept-workers $(stats <"$tmp/extra.acc")"
