#!/bin/sh
# Fuzzing: libFuzzer, with AddressSanitizer and UndefinedBehaviorSanitizer, feeds the frame
# decoder (src/wire.c) and the journal reader (src/journal_read.c) mutated inputs for
# TF_FUZZ_SECONDS each (default 20), starting from valid frames and journals. A crash, an
# overrun, a leak, undefined behaviour, a broken invariant or a hang fails the test, which then
# prints the input in hex (and copies it to TF_FUZZ_ARTIFACTS, if set).
. "$(dirname "$0")/lib.sh"
set -e
secs=${TF_FUZZ_SECONDS:-20}
CLANG=${CLANG:-clang}
fuzz_src=$top_srcdir/tests/fuzz

# No skip when the tools are missing: CI counts a skip as a failure anyway, and the message
# says how to get them.
command -v "$CLANG" >/dev/null 2>&1 ||
  fail "$CLANG not found: the fuzz tests need clang with libFuzzer (apt-get install clang)"
# The sources include taskfarm.h, which includes mpi.h; nothing links MPI. Open MPI's wrapper
# answers --showme:compile, MPICH's -show.
if [ -z "${MPI_CFLAGS:-}" ]; then
  command -v mpicc >/dev/null 2>&1 || fail "mpicc not found: set MPI_CFLAGS to MPI's -I flags"
  MPI_CFLAGS=$(mpicc --showme:compile 2>/dev/null) ||
    MPI_CFLAGS=$(mpicc -show | tr ' ' '\n' | grep '^-I' | tr '\n' ' ')
fi
cflags="-g -O1 -I$top_srcdir/include -I$top_srcdir/src $MPI_CFLAGS -D_GNU_SOURCE"
# UBSan only prints by default; a finding must stop the run like any other.
sanitize="-fsanitize=address,undefined -fno-sanitize-recover=all"

cat >"$TMP/probe.c" <<'EOF'
int LLVMFuzzerTestOneInput(const void *d, unsigned long n) { (void)d; (void)n; return 0; }
EOF
"$CLANG" -fsanitize=fuzzer "$TMP/probe.c" -o "$TMP/probe" >"$TMP/probe.log" 2>&1 || {
  cat "$TMP/probe.log" >&2
  fail "$CLANG cannot build libFuzzer targets (-fsanitize=fuzzer): apt-get install clang"
}

export ASAN_OPTIONS="abort_on_error=0:detect_leaks=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"

# fuzz NAME DICT SOURCES...: build tests/fuzz/NAME.c with SOURCES (under $top_srcdir) as a
# fuzzer and as a seed writer, write the seeds, fuzz for $secs seconds. DICT: libFuzzer
# dictionary entries (quoted tokens without spaces) that help it past the magic numbers.
fuzz() {
  name=$1
  dict=$2
  shift 2
  srcs=""
  for s in "$@"; do srcs="$srcs $top_srcdir/$s"; done
  "$CLANG" $cflags $sanitize -fsanitize=fuzzer "$fuzz_src/$name.c" $srcs -o "$TMP/$name" \
    >"$TMP/$name.build" 2>&1 || { cat "$TMP/$name.build" >&2; fail "cannot build $name"; }
  "$CLANG" $cflags $sanitize -DTF_FUZZ_WRITE_SEEDS "$fuzz_src/$name.c" $srcs \
    -o "$TMP/$name.seeds" >"$TMP/$name.build" 2>&1 ||
    { cat "$TMP/$name.build" >&2; fail "cannot build the seed writer of $name"; }
  mkdir "$TMP/$name.corpus" "$TMP/$name.crash"
  "$TMP/$name.seeds" "$TMP/$name.corpus" || fail "$name: the seed writer failed"
  printf '%s\n' "$dict" | tr ' ' '\n' >"$TMP/$name.dict"

  set +e
  timeout -k 10 $((secs + 60)) "$TMP/$name" -max_total_time="$secs" -timeout=5 \
    -rss_limit_mb=2048 -print_final_stats=1 -dict="$TMP/$name.dict" \
    -artifact_prefix="$TMP/$name.crash/" "$TMP/$name.corpus" >"$TMP/$name.log" 2>&1
  rc=$?
  set -e
  if [ $rc != 0 ]; then
    tail -n 60 "$TMP/$name.log" >&2
    for f in "$TMP/$name.crash"/*; do
      [ -f "$f" ] || continue
      echo "--- $(basename "$f") ($(wc -c <"$f") bytes), reproduce with: $name $(basename "$f")" >&2
      od -A x -t x1 -v "$f" | head -n 64 >&2
      if [ -n "${TF_FUZZ_ARTIFACTS:-}" ]; then
        mkdir -p "$TF_FUZZ_ARTIFACTS" && cp "$f" "$TF_FUZZ_ARTIFACTS/$name-$(basename "$f")"
      fi
    done
    [ $rc = 124 ] && fail "$name: still running $((secs + 60)) s into a ${secs} s run"
    fail "$name: libFuzzer found a problem (exit status $rc)"
  fi
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$TMP/$name.log" | tail -n 1)
  [ -n "$runs" ] || runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$TMP/$name.log" | tail -n 1)
  if [ -z "$runs" ] || [ "$runs" -eq 0 ]; then
    cat "$TMP/$name.log" >&2
    fail "$name: no executions reported"
  fi
  pass "$name: $runs executions, no findings"
}

fuzz fuzz_wire '"TFW1" "\x01\x00"' src/wire.c src/vec.c
fuzz fuzz_journal '"TFJOURNL" "TFJR" "\x02\x00\x00\x00"' src/journal_read.c src/journal.c src/vec.c \
  src/crc32c.c
