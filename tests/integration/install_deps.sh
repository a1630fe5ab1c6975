#!/bin/sh
# scripts/install-deps.sh, with dpkg-query, apt-get and sudo replaced by
# stubs (nothing is installed): --list names the packages; with nothing
# missing it says so and leaves apt alone; otherwise it names what is
# missing, installs exactly that, shows apt's line per download and per
# package set up (not a silent minute), and fails when apt-get fails.
. "$(dirname "$0")/lib.sh"
set -e
DEPS=$top_srcdir/scripts/install-deps.sh

sh "$DEPS" --list >"$TMP/list" || fail "--list"
n=$(wc -l <"$TMP/list")
[ "$n" -ge 10 ] || fail "--list: $n packages"
for p in openmpi-bin libgsl-dev slurmd python3; do
  grep -qx "$p" "$TMP/list" || fail "--list lacks $p"
done
pass "--list: $n packages"

mkdir "$TMP/bin"
# dpkg-query -W -f=... PKG: installed unless PKG is in $STUB_MISSING.
cat >"$TMP/bin/dpkg-query" <<'EOF'
#!/bin/sh
for p; do :; done
case " $STUB_MISSING " in *" $p "*) echo "dpkg-query: no packages found matching $p" >&2; exit 1 ;; esac
printf 'install ok installed'
EOF
# apt-get: logs its arguments and writes what apt writes; install exits
# $STUB_APT_STATUS.
cat >"$TMP/bin/apt-get" <<EOF
#!/bin/sh
echo "\$*" >>"$TMP/apt.log"
case " \$* " in
  *" update "*) echo "Get:1 http://deb.debian.org/debian bookworm InRelease [151 kB]" ;;
  *" install "*)
    for p in \$STUB_MISSING; do
      echo "Get:1 http://deb.debian.org/debian bookworm/main amd64 \$p amd64 1.0 [100 kB]"
      echo "Selecting previously unselected package \$p."
      echo "(Reading database ... 6000 files and directories currently installed.)"
      echo "Preparing to unpack .../\$p_1.0_amd64.deb ..."
      echo "Unpacking \$p (1.0) ..."
      echo "Setting up \$p (1.0) ..."
    done
    exit \${STUB_APT_STATUS:-0} ;;
esac
EOF
printf '#!/bin/sh\nexec "$@"\n' >"$TMP/bin/sudo"
chmod +x "$TMP/bin/"*
stub() { PATH=$TMP/bin:$PATH sh "$DEPS" >"$TMP/out" 2>&1; }

rm -f "$TMP/apt.log"
STUB_MISSING="" stub || { cat "$TMP/out" >&2; fail "nothing missing: exit status $?"; }
expect_text "$TMP/out" "all $n packages are installed; nothing to do" "nothing missing"
[ ! -e "$TMP/apt.log" ] || fail "nothing missing, yet apt-get ran: $(cat "$TMP/apt.log")"
pass "nothing missing: says so, and apt-get does not run"

rm -f "$TMP/apt.log"
STUB_MISSING="python3 munge" stub || { cat "$TMP/out" >&2; fail "2 missing: exit status $?"; }
expect_text "$TMP/out" "install-deps: missing: python3 munge" "the missing packages named"
expect_text "$TMP/out" "install-deps: reading the package lists" "the update step"
expect_text "$TMP/out" "amd64 python3 amd64 1.0 [100 kB]" "apt's line per download"
expect_text "$TMP/out" "Setting up munge (1.0) ..." "apt's line per package set up"
if grep -q '^Unpacking\|^Selecting previously\|^Preparing to unpack\|^(Reading database' "$TMP/out"; then
  cat "$TMP/out" >&2
  fail "dpkg's per-file noise is shown"
fi
expect_text "$TMP/out" "install-deps: done: installed python3 munge" "the end"
grep -q ' install -y python3 munge$' "$TMP/apt.log" || { cat "$TMP/apt.log" >&2; fail "not exactly the missing ones installed"; }
pass "2 missing: named, each step and each package shown, exactly those installed"

set +e
STUB_MISSING="python3" STUB_APT_STATUS=100 stub
st=$?
set -e
[ $st != 0 ] || { cat "$TMP/out" >&2; fail "apt-get failed, yet install-deps.sh exited 0"; }
expect_text "$TMP/out" "apt-get install failed (exit status 100)" "apt-get's failure named"
pass "apt-get fails: install-deps.sh fails ($st) and says so"
