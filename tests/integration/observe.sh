#!/bin/sh
# Observability: --stats (JSON), --trace (Chrome trace-event JSON) and
# --timeline (SVG) parse, agree with each other and with the run (every task
# id exactly once, per-worker counts, durations positive, slices inside the
# run), on 1 and 3 ranks, with spawned tasks and an app; --verbose gives
# the master's busy time; --progress line prints in a run whose stderr is
# not a terminal.
. "$(dirname "$0")/lib.sh"
set -e
PY=/usr/bin/python3
[ -x $PY ] || PY=$(command -v python3 || true)
[ -n "$PY" ] || skip "python3 not found (scripts/install-deps.sh installs it)"

cat >"$TMP/check.py" <<'PYEOF'
import json, sys, xml.etree.ElementTree as ET
stats_f, trace_f, svg_f, want, ranks = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
s = json.load(open(stats_f))
t = json.load(open(trace_f))
svg = ET.parse(svg_f).getroot()
def bad(msg):
    print("FAIL:", msg); sys.exit(1)
if s["format"] != "taskfarm-stats" or s["status"] != "done": bad("stats header %r" % s.get("status"))
if s["tasks"]["results"] != want: bad("stats results %d, want %d" % (s["tasks"]["results"], want))
nw = len(s["workers"])
relays = s["relays"]  # TASKFARM_RELAYS: relays take ranks, and speak for their workers
if s["ranks"] != ranks or nw != max(1, ranks - 1 - relays) or s["nworkers"] != nw: bad("worker/rank counts")
wall = s["wall_s"]
tasks = [e for e in t["traceEvents"] if e.get("ph") == "X" and e.get("cat") == "task"]
ids = [e["args"]["id"] for e in tasks]
if len(ids) != want or len(set(ids)) != want: bad("trace: %d task slices, %d distinct, want %d" % (len(ids), len(set(ids)), want))
per_tid = {}
slack = 0.05 * wall + 0.01  # clock alignment is good to well under this
for e in tasks:
    if e["dur"] < 0: bad("negative duration")
    if e["ts"] < -slack * 1e6 or e["ts"] + e["dur"] > (wall + slack) * 1e6: bad("slice outside the run: %r" % e)
    per_tid[e["tid"]] = per_tid.get(e["tid"], 0) + 1
if sum(1 for e in tasks if e["dur"] > 0) == 0: bad("no slice has a positive duration")
for w in s["workers"]:
    if w["tasks"] != per_tid.get(w["rank"], 0): bad("worker %d: stats %d tasks, trace %d" % (w["worker"], w["tasks"], per_tid.get(w["rank"], 0)))
    if not w["reported"]: bad("worker %d did not report" % w["worker"])
    if w["busy_s"] <= 0: bad("worker %d busy 0" % w["worker"])
    if ranks > 1 and (w["msgs_sent"] < 2 or w["bytes_received"] <= 0): bad("worker %d message counters" % w["worker"])
if ranks > 1:
    if not any(e.get("tid") == 0 and e.get("cat") == "message" for e in t["traceEvents"]): bad("no master message slices")
    if s["master"]["msgs_received"] < (1 if relays else nw): bad("master counters")
    if not 0 < s["master"]["busy_s"] <= wall: bad("master busy %r s of %r" % (s["master"]["busy_s"], wall))
if not s["master"]["samples"]: bad("no queue samples")
ns = "{http://www.w3.org/2000/svg}"
bars = [r for r in svg.iter(ns + "rect") if r.get("data-id") is not None]
svg_ids = [r.get("data-id") for r in bars]
if sorted(svg_ids) != sorted(ids): bad("SVG bars (%d) and trace slices disagree" % len(svg_ids))
for g in svg.iter(ns + "g"):
    if g.get("data-worker") is not None:
        n = sum(1 for r in g.iter(ns + "rect") if r.get("data-id") is not None)
        if n != s["workers"][int(g.get("data-worker"))]["tasks"]: bad("SVG row %s has %d bars" % (g.get("data-worker"), n))
texts = " ".join(x.text or "" for x in svg.iter(ns + "text"))
if "worker 0" not in texts or "time since the run started" not in texts: bad("SVG labels missing")
print("ok: %d tasks on %d workers agree" % (want, nw))
PYEOF

check() { # desc want ranks
  $PY "$TMP/check.py" "$TMP/s.json" "$TMP/t.json" "$TMP/t.svg" "$2" "$3" || fail "$1"
}
obs="--stats $TMP/s.json --trace $TMP/t.json --timeline $TMP/t.svg"

for np in 1 3; do
  # Flat tasks of ~1 ms, and a spawned tree (ids with the top bit set).
  mpi $np "$TESTAPP" --tasks 300 --sleep-us 1000 $obs >"$TMP/out" 2>"$TMP/err" ||
    { cat "$TMP/err" >&2; fail "testapp with $obs on $np ranks"; }
  check "flat tasks, $np ranks" 300 "$(ranks_for $np)"
  mpi $np "$TESTAPP" --tasks 20 --depth 3 --branch 3 $obs >"$TMP/out" 2>"$TMP/err" ||
    { cat "$TMP/err" >&2; fail "spawning testapp on $np ranks"; }
  check "spawned tree, $np ranks" 800 "$(ranks_for $np)"
  expect_text "$TMP/err" "load balance" "the summary gives the load balance"
done
pass "stats, trace and timeline agree with the run on 1 and 3 ranks"

# --verbose: the master's frames and busy time, a share of the wall time
# (the stats' busy_s is checked above); one rank has no master line.
mpi 3 "$TESTAPP" --tasks 300 --sleep-us 1000 --verbose >"$TMP/out" 2>"$TMP/err" ||
  { cat "$TMP/err" >&2; fail "testapp --verbose on 3 ranks"; }
grep -Eq '^taskfarm:   master: [0-9]+ frames in, [0-9]+ frames out, busy [0-9.]+ s \((100\.0|[0-9]{1,2}\.[0-9])%\)$' "$TMP/err" ||
  { cat "$TMP/err" >&2; fail "--verbose: no master line with its busy time"; }
mpi 1 "$TESTAPP" --tasks 30 --verbose >"$TMP/out" 2>"$TMP/err" ||
  { cat "$TMP/err" >&2; fail "testapp --verbose on 1 rank"; }
grep -q 'taskfarm:   master:' "$TMP/err" && { cat "$TMP/err" >&2; fail "--verbose on 1 rank: a master line"; }
pass "--verbose gives the master's busy time, and no master line for one rank"

# A real app: mandelbrot's rows.
mpi 3 "$top_builddir/taskfarm-mandelbrot" --output "$TMP/m.png" $obs >"$TMP/out" 2>"$TMP/err" ||
  { cat "$TMP/err" >&2; fail "mandelbrot with $obs"; }
n=$($PY -c "import json; print(json.load(open('$TMP/s.json'))['tasks']['results'])")
check "mandelbrot" "$n" "$(ranks_for 3)"
pass "mandelbrot's stats, trace and timeline agree ($n tasks)"

# The event cap: later events are dropped, counted and said.
mpi 3 "$TESTAPP" --tasks 500 --trace "$TMP/t.json" --stats "$TMP/s.json" --trace-events 50 \
  >"$TMP/out" 2>"$TMP/err" || { cat "$TMP/err" >&2; fail "--trace-events 50"; }
expect_text "$TMP/err" "--trace-events cap of 50" "the cap is named"
$PY -c "
import json, sys
s = json.load(open('$TMP/s.json')); t = json.load(open('$TMP/t.json'))
n = sum(1 for e in t['traceEvents'] if e.get('cat') == 'task')
d = t['otherData']['dropped_events']
sys.exit(0 if n <= 100 and d > 0 and s['trace']['dropped'] == d else 1)" || fail "capped trace"
pass "--trace-events caps the events, and the drop is counted"

# Progress lines in a run whose stderr is a file.
mpi 3 "$TESTAPP" --tasks 400 --sleep-us 1000 --progress line --progress-every 0.05 \
  >"$TMP/out" 2>"$TMP/err" || { cat "$TMP/err" >&2; fail "--progress line"; }
expect_text "$TMP/err" "taskfarm: progress: " "a progress line"
expect_text "$TMP/err" "of 400 tasks done" "done / total"
expect_text "$TMP/err" "2 of 2 workers alive" "workers alive"
if grep -q "$(printf '\r')" "$TMP/err"; then fail "a bar (\\r) in a non-terminal run"; fi
mpi 3 "$TESTAPP" --tasks 400 --sleep-us 1000 --progress none --progress-every 0.05 \
  >"$TMP/out" 2>"$TMP/err" || fail "--progress none"
if grep -q "progress:" "$TMP/err"; then fail "--progress none printed progress"; fi
expect_status 2 "--progress bogus" "$TESTAPP" --progress bogus
expect_text "$TMP/err" "is not one of auto, bar, line, none" "bad --progress named"
pass "--progress line prints done/total, rate and workers; none prints nothing"
