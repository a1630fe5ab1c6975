#!/bin/sh
# module_cycles.sh - no two modules of the library depend on each other in a loop, counted two
# ways: by symbols (module A needs B when A's object uses a symbol that B's object defines,
# read with nm) and by includes (A needs B when A.c or A.h includes B.h). A module is the
# files named by one word before any underscore: journal.c, journal.h, journal_read.c and
# journal_layout.h are the module journal. A loop is printed with every module on it.
. "$(dirname "$0")/lib.sh"
set -e
command -v nm >/dev/null 2>&1 || fail "nm not found (binutils, installed with gcc)"
command -v python3 >/dev/null 2>&1 || fail "python3 not found (scripts/install-deps.sh installs it)"

# The convenience archive holds exactly the objects of this build (a stale object of a
# removed source file may still lie in src/).
lib=$top_builddir/.libs/libtfcore.a
[ -f "$lib" ] || fail "$lib not found: run make first"
nobj=$(ar t "$lib" | wc -l)
nm "$lib" | awk '
  /^libtfcore_la-.*\.o:$/ { m = $1; sub(/^libtfcore_la-/, "", m); sub(/[._].*/, "", m); next }
  $1 == "U" { print m, "U", $2 }
  NF == 3 && $2 ~ /^[TDBR]$/ { print m, "D", $3 }' >"$TMP/symbols"
for f in "$top_srcdir"/src/*.c "$top_srcdir"/src/*.h; do
  m=${f##*/}
  sed -n 's/^#include "\([a-z0-9]*\)[a-z0-9_]*\.h".*/\1/p' "$f" | sed "s/^/${m%%[._]*} /"
done >"$TMP/includes"

python3 - "$TMP/symbols" "$TMP/includes" <<'PY'
import sys
from collections import defaultdict

def loops(edges):
    """The strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out, n = {}, {}, [], set(), [], [0]
    def visit(v):
        index[v] = low[v] = n[0]; n[0] += 1; stack.append(v); on.add(v)
        for w in sorted(edges[v]):
            if w not in index:
                visit(w); low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop(); on.discard(w); comp.append(w)
                if w == v: break
            if len(comp) > 1: out.append(sorted(comp))
    for v in sorted(list(edges)):
        if v not in index: visit(v)
    return out

defined, used = {}, defaultdict(set)
for line in open(sys.argv[1]):
    m, kind, sym = line.split()
    if kind == "D": defined[sym] = m
    else: used[m].add(sym)
by_symbol = defaultdict(set)
for m, syms in used.items():
    for s in syms:
        if s in defined and defined[s] != m:
            by_symbol[m].add(defined[s])
by_include = defaultdict(set)
for line in open(sys.argv[2]):
    m, h = line.split()
    if h != m: by_include[m].add(h)
bad = 0
for name, edges in (("symbols", by_symbol), ("includes", by_include)):
    for comp in loops(edges):
        bad = 1
        print("FAIL: modules in a loop (by %s): %s" % (name, " ".join(comp)), file=sys.stderr)
        for m in comp:
            print("  %s -> %s" % (m, " ".join(sorted(edges[m] & set(comp)))), file=sys.stderr)
    print("%s: %d modules, %d dependencies" % (name, len(set(edges) | set().union(*edges.values())),
                                                sum(len(v) for v in edges.values())))
sys.exit(bad)
PY
pass "no loop among the library's $nobj objects, by symbols or by includes"
