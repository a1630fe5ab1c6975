# lib.sh - sourced by the integration tests: where the programs are, and how
# to run an MPI job that cannot hang (every mpirun is under `timeout`).
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${top_srcdir:=$(cd "$here/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${MPIRUN:=mpirun}"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# Keep Open MPI from warning about missing high-speed networks on test hosts.
export OMPI_MCA_btl_base_warn_component_unused=0

PI=$top_builddir/taskfarm-pi
TESTAPP=$top_builddir/tests/apps/tf_testapp
TMP=$(mktemp -d "${TMPDIR:-/tmp}/tftest.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok: $*"; }

command -v "$MPIRUN" >/dev/null 2>&1 || skip "mpirun not found ($MPIRUN)"

# mpi NP CMD...: run CMD on NP ranks. More ranks than cores is normal here,
# so oversubscribe and let idle ranks yield the CPU.
mpi() {
  np=$1
  shift
  timeout -k 5 "${TF_MPI_TIMEOUT:-120}" "$MPIRUN" --oversubscribe --mca mpi_yield_when_idle 1 \
    -np "$np" "$@"
}

# expect_status WANT DESC CMD...: run CMD, check its exit status.
expect_status() {
  want=$1
  desc=$2
  shift 2
  set +e
  "$@" >"$TMP/out" 2>"$TMP/err"
  got=$?
  set -e
  if [ "$got" != "$want" ]; then
    echo "--- stdout" >&2; cat "$TMP/out" >&2
    echo "--- stderr" >&2; cat "$TMP/err" >&2
    fail "$desc: exit status $got, expected $want"
  fi
}

# expect_text FILE PATTERN DESC: FILE must contain the fixed string PATTERN.
expect_text() {
  grep -qF -- "$2" "$1" || { cat "$1" >&2; fail "$3: '$2' not found"; }
}
