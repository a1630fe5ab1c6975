#!/bin/sh
# Stopping a run under plain mpirun (no --enable-recovery), as users do:
# SIGUSR1 (a graceful stop: mpirun forwards it), SIGTERM and SIGINT (mpirun
# kills every rank about a second after either: SIGINT is what Ctrl-C sends
# it), TF_STOP_RUNS times each (default 10), at a random moment, for the pi
# app and the command farm. Every run must leave what it writes on a stop
# (the status file with 75, the summary; cmdfarm's table and output so far)
# and a journal that --resume completes to output identical to a run never
# stopped. A run that finished before its signal counts as not interrupted;
# most must be. Then one real Ctrl-C, typed on a terminal.
. "$(dirname "$0")/lib.sh"
set -e
RUNS=${TF_STOP_RUNS:-10}
J=$TMP/run.journal
ST=$TMP/status
CMDFARM=$top_builddir/taskfarm-cmdfarm
PY=/usr/bin/python3
[ -x $PY ] || PY=$(command -v python3) || skip "python3 not found (tests/apps/ctrl_c.py needs it)"

# The two apps: their arguments, and the output a resumed run must match.
PI_ARGS="--samples 3e8 --tasks 3000"
i=1
while [ $i -le 300 ]; do
  echo "sleep 0.00$((i % 7)); echo line $i; echo err $i >&2"
  i=$((i + 1))
done >"$TMP/cmds"
CF_ARGS="$TMP/cmds --summary $TMP/summary"

mpi 3 "$PI" $PI_ARGS >"$TMP/pi.ref" 2>"$TMP/err" || { cat "$TMP/err" >&2; fail "pi: reference run"; }
mpi 3 "$CMDFARM" $CF_ARGS >"$TMP/cmdfarm.ref" 2>"$TMP/err" || { cat "$TMP/err" >&2; fail "cmdfarm: reference run"; }

# A pseudo-random delay in seconds (0.3 to 1.3), different for each run.
seed=$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')
delay() { awk -v s="$1" 'BEGIN { srand(s); printf "%.2f", 0.3 + rand() }'; }

# reap PID: wait for it, 60 s at most (then SIGKILL, and the test fails);
# its exit status in $got.
reap() {
  n=0
  while kill -0 "$1" 2>/dev/null && [ $n -lt 600 ]; do
    sleep 0.1
    n=$((n + 1))
  done
  if kill -0 "$1" 2>/dev/null; then
    kill -KILL "$1"
    wait "$1" || true
    fail "$what: mpirun still ran 60 s after the signal"
  fi
  set +e
  wait "$1"
  got=$?
  set -e
}

for app in pi cmdfarm; do
  if [ $app = pi ]; then prog=$PI; args=$PI_ARGS; else prog=$CMDFARM; args=$CF_ARGS; fi
  for sig in USR1 TERM INT; do
    stopped=0
    k=1
    while [ $k -le "$RUNS" ]; do
      what="$app, SIG$sig to mpirun, run $k"
      rm -f "$J" "$ST" "$TMP/summary"
      d=$(delay $((seed + k + 100 * ${#sig} + ${#app})))
      "$MPIRUN" --oversubscribe --mca mpi_yield_when_idle 1 -np 3 "$prog" $args --journal "$J" \
        --status-file "$ST" >"$TMP/out" 2>"$TMP/err" &
      pid=$!
      sleep "$d"
      kill -"$sig" $pid
      reap $pid
      status=$(cat "$ST" 2>/dev/null) || { cat "$TMP/err" >&2; fail "$what: no status file"; }
      if [ "$status" = 0 ]; then
        # It ended before the signal: complete, and nothing to resume.
        [ "$got" = 0 ] || { cat "$TMP/err" >&2; fail "$what: status 0 but mpirun exit $got"; }
      else
        [ "$status" = 75 ] || { cat "$TMP/err" >&2; fail "$what: status $status, expected 75"; }
        # mpirun passes rank 0's 75 on after SIGUSR1; after SIGTERM or
        # SIGINT it exits 1 whatever the ranks say.
        want=75
        [ $sig = USR1 ] || want=1
        [ "$got" = $want ] || { cat "$TMP/err" >&2; fail "$what: mpirun exit $got, expected $want"; }
        expect_text "$TMP/err" "STOPPED" "$what: the summary"
        expect_text "$TMP/err" "run again with --resume" "$what: what to do"
        [ $sig = USR1 ] || expect_text "$TMP/err" "SIGTERM from mpirun" "$what: why at once"
        if [ $app = cmdfarm ]; then
          # The table and the output so far, written by master_fini.
          [ -s "$TMP/summary" ] || { cat "$TMP/err" >&2; fail "$what: no --summary table"; }
          [ "$(wc -l <"$TMP/summary")" = 301 ] || fail "$what: the table lacks lines"
          grep -q 'not-done' "$TMP/summary" || fail "$what: the table does not say what was not done"
          expect_text "$TMP/err" "did not finish" "$what: the report"
        fi
        stopped=$((stopped + 1))
      fi
      mpi 3 "$prog" $args --journal "$J" --resume >"$TMP/out2" 2>"$TMP/err2" ||
        { cat "$TMP/err2" >&2; fail "$what: the resumed run failed"; }
      cmp -s "$TMP/$app.ref" "$TMP/out2" || { diff "$TMP/$app.ref" "$TMP/out2" | head >&2; fail "$what: the resumed output differs"; }
      k=$((k + 1))
    done
    # At least 7 of 10 must really have been stopped.
    [ $((stopped * 10)) -ge $((RUNS * 7)) ] || fail "$app, SIG$sig: only $stopped of $RUNS runs were stopped"
    pass "$app, SIG$sig to mpirun: $stopped of $RUNS runs stopped (status 75, outputs written), each resumed to identical output"
  done
done

# Ctrl-C typed on a terminal: it reaches mpirun only (each rank has its own
# process group), which kills the job; rank 0 flushes and reports first.
rm -f "$J" "$ST"
set +e
timeout -k 5 120 $PY "$top_srcdir/tests/apps/ctrl_c.py" 1.0 "$MPIRUN" --oversubscribe \
  --mca mpi_yield_when_idle 1 -np 3 "$PI" $PI_ARGS --journal "$J" --status-file "$ST" >"$TMP/tty" 2>&1
got=$?
set -e
[ "$(cat "$ST" 2>/dev/null)" = 75 ] || { cat "$TMP/tty" >&2; fail "Ctrl-C: status $(cat "$ST" 2>/dev/null)"; }
[ "$got" = 1 ] || { cat "$TMP/tty" >&2; fail "Ctrl-C: mpirun exit $got, expected 1"; }
expect_text "$TMP/tty" "SIGTERM from mpirun (it was interrupted with Ctrl-C" "Ctrl-C: the message"
mpi 3 "$PI" $PI_ARGS --journal "$J" --resume >"$TMP/out2" 2>"$TMP/err2" ||
  { cat "$TMP/err2" >&2; fail "Ctrl-C: the resumed run failed"; }
cmp -s "$TMP/pi.ref" "$TMP/out2" || fail "Ctrl-C: the resumed output differs"
pass "Ctrl-C on a terminal: the journal is flushed and the status file says 75; --resume completes the run"
