#!/bin/sh
# The helpers in lib.sh that find and kill the processes a test started, by
# PID and parent links in /proc (never by name, no procps): tf_descendants
# lists a whole tree and nothing else, also below a process whose name holds
# spaces and parentheses; tf_kill_tree kills exactly that tree and says how
# many it killed, 0 once the tree has ended; tf_running tells a zombie from a
# live process; tf_start_time tells a process from a later one with its PID.
. "$(dirname "$0")/lib.sh"
set -e

# sorted WORDS...: the words, one a line, in numeric order.
sorted() { printf '%s\n' "$@" | sort -n; }

# A process whose name, as /proc/PID/stat shows it, is "a b) c".
cp "$(command -v sleep)" "$TMP/a b) c"
# The tree: root (sh) -> mid (sh) -> "a b) c", and root -> sleep. Each
# writes its PID; a sibling sleep stands outside the tree.
cat >"$TMP/tree" <<EOF
echo \$\$ >"$TMP/mid.pid"
"$TMP/a b) c" 300 &
echo \$! >"$TMP/odd.pid"
wait
EOF
sleep 300 &
sibling=$!
sh -c "sh '$TMP/tree' & sleep 300 & echo \$! >'$TMP/leaf.pid'; wait" &
root=$!
n=0
while { [ ! -s "$TMP/odd.pid" ] || [ ! -s "$TMP/leaf.pid" ]; } && [ $n -lt 100 ]; do
  sleep 0.05
  n=$((n + 1))
done
[ -s "$TMP/odd.pid" ] && [ -s "$TMP/leaf.pid" ] || fail "the process tree did not start"
mid=$(cat "$TMP/mid.pid")
odd=$(cat "$TMP/odd.pid")
leaf=$(cat "$TMP/leaf.pid")
grep -qF '(a b) c)' "/proc/$odd/stat" || fail "the odd name is not in /proc/$odd/stat"

got=$(tf_descendants $root)
want=$(sorted $mid $odd $leaf)
[ "$got" = "$want" ] || fail "tf_descendants $root: got '$(echo $got)', want '$(echo $want)'"
[ "$(tf_descendants $mid)" = "$odd" ] || fail "tf_descendants below the middle: $(tf_descendants $mid)"
[ -z "$(tf_descendants $odd)" ] || fail "tf_descendants of a leaf: $(tf_descendants $odd)"
below_me=" $(echo $(tf_descendants $$)) "
case $below_me in *" $root "*) ;; *) fail "tf_descendants \$\$ lacks the root $root" ;; esac
case $below_me in *" $sibling "*) ;; *) fail "tf_descendants \$\$ lacks the sibling $sibling" ;; esac
pass "tf_descendants lists the tree and only it, through a name with ') ' in it"

tf_running $odd || fail "tf_running: a live process counts as ended"
t=$(tf_start_time $odd)
case $t in '' | *[!0-9]*) fail "tf_start_time $odd: '$t' is not a number" ;; esac
[ "$(tf_start_time $odd)" = "$t" ] || fail "tf_start_time changes"
[ "$t" -ge "$(tf_start_time $sibling)" ] || fail "tf_start_time: a later process started earlier"
if tf_start_time 999999999 >/dev/null; then fail "tf_start_time of no process"; fi
pass "tf_running and tf_start_time on a live process"

[ "$(tf_kill_tree $root)" = 4 ] || fail "tf_kill_tree $root: not 4 processes killed"
set +e
wait $root
st=$?
set -e
[ $st = 137 ] || fail "the root ended with status $st, not by SIGKILL (137)"
for p in $mid $odd $leaf; do
  n=0
  while tf_running $p && [ $n -lt 50 ]; do sleep 0.05; n=$((n + 1)); done
  if tf_running $p; then fail "process $p of the tree still runs"; fi
done
tf_running $sibling || fail "the sibling was killed too"
pass "tf_kill_tree kills the 4 processes of the tree, and not the sibling"

# An ended process: a zombie until reaped, not running, nothing to kill.
sh -c 'exit 3' &
gone=$!
n=0
while [ "$(sed -n 's/.*) \(.\).*/\1/p' "/proc/$gone/stat" 2>/dev/null)" != Z ] && [ $n -lt 100 ]; do
  sleep 0.05
  n=$((n + 1))
done
if tf_running $gone; then fail "tf_running: a zombie counts as running"; fi
[ "$(tf_kill_tree $gone)" = 0 ] || fail "tf_kill_tree of an ended process: not 0"
set +e
wait $gone
st=$?
set -e
[ $st = 3 ] || fail "the ended process's status is $st, not 3: it was killed"
[ "$(tf_kill_tree $sibling)" = 1 ] || fail "tf_kill_tree of a lone process: not 1"
set +e
wait $sibling
set -e
pass "an ended process: not running, and tf_kill_tree kills nothing (0)"
