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
    -np "$(ranks_for "$np")" "$@"
}

# With TASKFARM_RELAYS=K (CI's second pass: every farm's default --relays), a
# relay serves every K ranks and takes a rank of its own: ranks_for NP is how
# many ranks give the farm NP - 1 workers all the same, so that every test
# means what it says. workers_in RANKS K: the workers of a farm of RANKS.
workers_in() {
  _wi_rest=$(($1 - 1))
  _wi_relays=$((_wi_rest / $2))
  [ $((_wi_rest % $2)) -ge 2 ] && _wi_relays=$((_wi_relays + 1))
  echo $((_wi_rest - _wi_relays))
}
ranks_for() {
  case ${TASKFARM_RELAYS:-off} in
  off | auto | node) echo "$1"; return ;;
  esac
  _rf_n=$1
  while [ "$(workers_in "$_rf_n" "$TASKFARM_RELAYS")" -lt $(($1 - 1)) ]; do _rf_n=$((_rf_n + 1)); done
  echo "$_rf_n"
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

# Processes are found by their parent links in /proc, never by name: a test
# signals only the processes it started (the PID from $!) and what they
# started in turn, and needs no procps.

# tf_descendants PID: the PIDs of every process below PID (its children,
# theirs, ...), one a line. A snapshot: a process may start or end just after.
tf_descendants() {
  _td_root=$1
  for _td_f in /proc/[0-9]*/stat; do
    { read -r _td_line <"$_td_f"; } 2>/dev/null || continue
    # The name (2nd field) may hold spaces and parentheses; after its last
    # ") " come the state and the parent's PID.
    _td_rest=${_td_line##*) }
    _td_rest=${_td_rest#* }
    echo "${_td_line%% *} ${_td_rest%% *}"
  done | awk -v root="$_td_root" '{ parent[$1] = $2 }
    END {
      for (p in parent) {
        q = parent[p]
        for (n = 0; q != "" && q + 0 > 0 && q != root && n < 4096; n++) q = parent[q]
        if (q == root) print p
      }
    }' | sort -n
}

# tf_running PID: PID is a live process (a zombie, ended but not yet reaped
# by its parent, does not count).
tf_running() {
  { read -r _tr_line <"/proc/$1/stat"; } 2>/dev/null || return 1
  _tr_rest=${_tr_line##*) }
  case $_tr_rest in Z* | X*) return 1 ;; esac
}

# rank_pid R PID: the live process of rank R below PID (this run's mpirun).
rank_pid() {
  for _rp_p in $(tf_descendants "$2"); do
    if tr '\0' '\n' <"/proc/$_rp_p/environ" 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=$1" &&
      tf_running "$_rp_p"; then
      echo "$_rp_p"
      return
    fi
  done
}

# tf_start_time PID: when PID started (clock ticks since boot): with the PID
# it names one process, where a PID alone may since have been reused.
tf_start_time() {
  { read -r _ts_line <"/proc/$1/stat"; } 2>/dev/null || return 1
  # Field 22 of the line is the 20th after the name.
  echo "${_ts_line##*) }" | awk '{ print $20 }'
}

# tf_kill_tree PID: SIGKILL PID and every process below it, as one blow:
# each is stopped first, so that none forks or loses its parent while the
# tree is listed, then all are killed. Prints how many live processes were
# killed: 0 means the tree had already ended.
tf_kill_tree() {
  _tk_seen=" "
  _tk_stopped=""
  _tk_new=$1
  _tk_round=0
  # Until a listing finds no process not seen yet (a bounded number of times).
  while [ -n "$_tk_new" ] && [ $_tk_round -lt 100 ]; do
    for _tk_p in $_tk_new; do
      _tk_seen="$_tk_seen$_tk_p "
      tf_running "$_tk_p" && kill -STOP "$_tk_p" 2>/dev/null && _tk_stopped="$_tk_stopped $_tk_p"
    done
    _tk_new=""
    for _tk_p in $(tf_descendants "$1"); do
      case $_tk_seen in *" $_tk_p "*) ;; *) _tk_new="$_tk_new $_tk_p" ;; esac
    done
    _tk_round=$((_tk_round + 1))
  done
  _tk_n=0
  for _tk_p in $_tk_stopped; do
    kill -KILL "$_tk_p" 2>/dev/null && _tk_n=$((_tk_n + 1))
  done
  echo "$_tk_n"
}

# tf_reap PID WHAT: wait for the background job PID, 60 s at most; its exit
# status in $got. Still there after that, its tree is killed and the test
# fails: WHAT hung.
tf_reap() {
  _tp_n=0
  while tf_running "$1" && [ $_tp_n -lt 600 ]; do
    sleep 0.1
    _tp_n=$((_tp_n + 1))
  done
  if tf_running "$1"; then
    tf_kill_tree "$1" >/dev/null
    wait "$1" 2>/dev/null
    fail "$2: still running 60 s later"
  fi
  set +e
  wait "$1"
  got=$?
  set -e
}

# tf_wait_grows FILE WHAT: wait (30 s at most) until FILE exists and then
# grows: a journal has its header, then a first result.
tf_wait_grows() {
  _tg_n=0
  while [ ! -s "$1" ] && [ $_tg_n -lt 300 ]; do
    sleep 0.1
    _tg_n=$((_tg_n + 1))
  done
  _tg_size=$(wc -c <"$1" 2>/dev/null) || fail "$2: $1 never appeared"
  while [ "$(wc -c <"$1")" -le "$_tg_size" ] && [ $_tg_n -lt 300 ]; do
    sleep 0.05
    _tg_n=$((_tg_n + 1))
  done
  [ "$(wc -c <"$1")" -gt "$_tg_size" ] || fail "$2: $1 did not grow in 30 s"
}

# expect_text FILE PATTERN DESC: FILE must contain the fixed string PATTERN.
expect_text() {
  grep -qF -- "$2" "$1" || { cat "$1" >&2; fail "$3: '$2' not found"; }
}

# tf_start_slurm DIR: the private Slurm of tests/slurm/start.sh (2 nodes) in DIR, within a
# minute; SLURM_CONF is exported for the commands that follow. A machine that cannot run it
# (start.sh exits 2, saying why) skips the test; any other failure fails it with start.sh's
# output.
tf_start_slurm() {
  set +e
  timeout 60 bash "$top_srcdir/tests/slurm/start.sh" "$1" 2 >"$TMP/start.out" 2>"$TMP/start.err"
  _rc=$?
  set -e
  if [ $_rc = 2 ]; then
    skip "$(cat "$TMP/start.err")"
  elif [ $_rc != 0 ]; then
    cat "$TMP/start.out" "$TMP/start.err" >&2
    fail "tests/slurm/start.sh exited $_rc"
  fi
  export SLURM_CONF="$1/slurm.conf"
}

# slurm_prereqs: what every test on the private Slurm needs (skipped, 77,
# when not root: its daemons and jobs run as root).
slurm_prereqs() {
  [ "$(id -u)" = 0 ] || skip "needs root (the local Slurm's daemons and jobs run as root)"
  for _sp_f in start.sh stop.sh; do
    [ -f "$top_srcdir/tests/slurm/$_sp_f" ] || fail "tests/slurm/$_sp_f is missing"
  done
  [ -x "$TESTAPP" ] || fail "$TESTAPP is missing (make check builds it)"
}

# For the tests on the private Slurm (no accounting there, so no sacct):
# slurm_state ID: the job's JobState; slurm_field ID NAME: one field of
# scontrol show job (Restarts, StdOut, ExitCode, ...); slurm_show ID:
# everything about a job and its output, for a failure message.
slurm_state() { scontrol show job "$1" 2>/dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p'; }
slurm_field() { scontrol show job "$1" 2>/dev/null | tr ' ' '\n' | sed -n "s/^$2=//p" | head -n 1; }
slurm_show() {
  echo "--- scontrol show job $1" >&2
  scontrol show job "$1" >&2 || echo "(scontrol knows no job $1)" >&2
  _ss_out=$(slurm_field "$1" StdOut)
  _ss_err=$(slurm_field "$1" StdErr)
  [ "$_ss_err" != "$_ss_out" ] || _ss_err=''
  for _ss_f in $_ss_out $_ss_err; do
    [ -f "$_ss_f" ] || continue
    echo "--- $_ss_f" >&2
    cat "$_ss_f" >&2
  done
}
