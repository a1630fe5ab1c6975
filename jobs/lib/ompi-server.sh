#!/bin/bash
# shellcheck shell=bash
# ompi-server.sh - start and stop Open MPI's name server for a farm that grows.
#
# A farm started with --accept-workers publishes its name with Open MPI's name
# server, ompi-server; a job of workers started later with --join NAME finds
# it there. Both mpiruns must be given the server's address, which it writes
# to a small file, the URI file: `mpirun --ompi-server file:URIFILE ...`.
# This script starts the server for a batch job and stops it afterwards:
#
#     jobs/lib/ompi-server.sh start [DIR [NAME]]  # prints DIR/NAME.uri
#     jobs/lib/ompi-server.sh stop [DIR [NAME]]
#
# or, sourced into a bash script (jobs/lib/taskfarm-job.sh does), the same as
# two functions:
#
#     . jobs/lib/ompi-server.sh
#     uri=$(tf_ompi_server_start DIR NAME) || exit 1
#     ...
#     tf_ompi_server_stop DIR NAME
#
#   DIR   where the URI file goes. The joining jobs' nodes must be able to read
#         it, so under a batch system it belongs on a shared file system; the
#         default is the job's working directory ($PBS_O_WORKDIR, else
#         $SLURM_SUBMIT_DIR, else the current directory). Created if missing.
#   NAME  base name of the two files (default ompi-server):
#           DIR/NAME.uri  the server's address (ompi-server --report-uri),
#           DIR/NAME.pid  its process id and host, for stop.
#
# start: runs `ompi-server --no-daemonize --report-uri DIR/NAME.uri` in the
# background, waits until the URI file is written (TF_OMPI_SERVER_WAIT
# seconds at most, default 30), keeps the pid in DIR/NAME.pid and prints the
# URI file's path. If a server started here in DIR with NAME still runs, it
# says so and prints the path again. The server inherits the caller's
# stderr, where it writes its rare complaints. Exit 1 (and nothing left
# running) when it cannot start: ompi-server missing (it comes with Open MPI:
# Debian and Ubuntu package openmpi-bin), DIR not writable, or the server
# gave up (its message is above).
#
# stop: ends the server by the pid in DIR/NAME.pid (SIGTERM, SIGKILL 5 s
# later), on the host that started it, and removes both files: a URI file
# left behind would send a joining job to a server that is gone (it would
# wait a minute, then give up). Stopping what is already gone is not an
# error.
#
# Stop the server only after the farm has ended: the farm takes its name off
# the server as it ends, and waits for the server to answer (with Open MPI
# 4.1, for ever, if the server is gone).

# _tf_os_log MESSAGE: on stderr; through taskfarm-job.sh's tf_log if loaded.
_tf_os_log() {
  if declare -F tf_log >/dev/null; then
    tf_log "$*"
  else
    printf 'ompi-server.sh: %s\n' "$*" >&2
  fi
}

# _tf_os_files DIR NAME: set _tf_os_dir, _tf_os_uri and _tf_os_pidfile.
_tf_os_files() {
  _tf_os_dir=${1:-${PBS_O_WORKDIR:-${SLURM_SUBMIT_DIR:-$PWD}}}
  local name=${2:-ompi-server}
  _tf_os_uri=$_tf_os_dir/$name.uri
  _tf_os_pidfile=$_tf_os_dir/$name.pid
}

# _tf_os_running PIDFILE: the server recorded in PIDFILE runs on this host;
# its pid in _tf_os_pid. (The pid is checked to be an ompi-server still, so a
# number reused by another process since is never signalled.)
_tf_os_running() {
  local pid host
  _tf_os_pid=''
  [ -s "$1" ] || return 1
  read -r pid host <"$1" || [ -n "${pid:-}" ] || return 1
  case $pid in '' | *[!0-9]*) return 1 ;; esac
  [ "${host:-}" = "$(uname -n)" ] || return 1
  tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -q 'ompi-server' || return 1
  _tf_os_pid=$pid
}

# tf_ompi_server_start [DIR [NAME]]: see the top of this file.
tf_ompi_server_start() {
  _tf_os_files "${1:-}" "${2:-}"
  if ! command -v ompi-server >/dev/null 2>&1; then
    _tf_os_log "ompi-server is not on the PATH: it comes with Open MPI (Debian/Ubuntu:" \
      "apt-get install openmpi-bin; on a cluster, load the Open MPI module taskfarm was built with)"
    return 1
  fi
  if ! mkdir -p "$_tf_os_dir" 2>/dev/null || ! [ -d "$_tf_os_dir" ]; then
    _tf_os_log "cannot create the directory $_tf_os_dir for the URI file"
    return 1
  fi
  if _tf_os_running "$_tf_os_pidfile" && [ -s "$_tf_os_uri" ]; then
    _tf_os_log "the name server $_tf_os_uri already runs (pid $_tf_os_pid)"
    printf '%s\n' "$_tf_os_uri"
    return 0
  fi
  # A real write, not a permission test: root on an NFS mount, or a full
  # disk, passes `test -w` and still cannot write.
  if ! (: >"$_tf_os_pidfile") 2>/dev/null; then
    _tf_os_log "cannot write in $_tf_os_dir (not writable?): choose another directory for" \
      "the URI file, one the joining jobs' nodes can read"
    return 1
  fi
  rm -f "$_tf_os_uri"
  # --no-daemonize: it stays this shell's child, so its pid is $! and the
  # batch system ends it with the job if the job is killed.
  ompi-server --no-daemonize --report-uri "$_tf_os_uri" </dev/null >&2 &
  local pid=$!
  local wait=${TF_OMPI_SERVER_WAIT:-30} n=0
  # Written once the server listens: one line, "ID;tcp://ADDR:PORT;...".
  # Wait for the whole line (its newline), so nobody reads half of it.
  until grep -q 'tcp' "$_tf_os_uri" 2>/dev/null &&
    [ "$(tail -c 1 "$_tf_os_uri" | wc -l)" = 1 ]; do
    if ! kill -0 "$pid" 2>/dev/null; then
      wait "$pid"
      _tf_os_log "ompi-server exited (status $?) before writing $_tf_os_uri: the reason is above"
      rm -f "$_tf_os_pidfile" "$_tf_os_uri"
      return 1
    fi
    n=$((n + 1))
    if [ "$n" -gt $((wait * 10)) ]; then
      _tf_os_log "ompi-server (pid $pid) wrote no $_tf_os_uri within $wait s: ending it"
      kill -KILL "$pid" 2>/dev/null
      wait "$pid" 2>/dev/null
      rm -f "$_tf_os_pidfile" "$_tf_os_uri"
      return 1
    fi
    sleep 0.1
  done
  printf '%s %s\n' "$pid" "$(uname -n)" >"$_tf_os_pidfile"
  _tf_os_log "name server (ompi-server, pid $pid) runs; its address is in $_tf_os_uri"
  printf '%s\n' "$_tf_os_uri"
}

# tf_ompi_server_stop [DIR [NAME]]: see the top of this file.
tf_ompi_server_stop() {
  _tf_os_files "${1:-}" "${2:-}"
  local pid host
  if [ ! -s "$_tf_os_pidfile" ]; then
    rm -f "$_tf_os_uri" "$_tf_os_pidfile"
    return 0
  fi
  read -r pid host <"$_tf_os_pidfile"
  if [ -n "${host:-}" ] && [ "$host" != "$(uname -n)" ]; then
    _tf_os_log "the name server in $_tf_os_pidfile runs on $host, not here ($(uname -n)):" \
      "run the stop there"
    return 1
  fi
  if _tf_os_running "$_tf_os_pidfile"; then
    kill -TERM "$_tf_os_pid" 2>/dev/null
    local n=0
    while kill -0 "$_tf_os_pid" 2>/dev/null && [ "$n" -lt 50 ]; do
      # A child of this shell (started by tf_ompi_server_start here) is
      # reaped here; anything else is only waited for.
      if ! grep -q '^State:.*Z' "/proc/$_tf_os_pid/status" 2>/dev/null; then
        sleep 0.1
        n=$((n + 1))
      else
        break
      fi
    done
    if kill -0 "$_tf_os_pid" 2>/dev/null && ! grep -q '^State:.*Z' "/proc/$_tf_os_pid/status" 2>/dev/null; then
      _tf_os_log "ompi-server (pid $_tf_os_pid) still runs 5 s after SIGTERM: SIGKILL"
      kill -KILL "$_tf_os_pid" 2>/dev/null
    fi
    wait "$_tf_os_pid" 2>/dev/null
    _tf_os_log "name server (ompi-server, pid $_tf_os_pid) stopped"
  fi
  rm -f "$_tf_os_uri" "$_tf_os_pidfile"
  return 0
}

# Run as a program (not sourced): start or stop.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  case ${1:-} in
    start | stop)
      if [ $# -gt 3 ]; then
        echo "usage: $0 start|stop [DIR [NAME]]" >&2
        exit 2
      fi
      cmd=$1
      shift
      "tf_ompi_server_$cmd" "$@"
      exit
      ;;
    *)
      echo "usage: $0 start|stop [DIR [NAME]]   (files DIR/NAME.uri and DIR/NAME.pid;" \
        "DIR: the job's working directory, NAME: ompi-server, by default)" >&2
      exit 2
      ;;
  esac
fi
