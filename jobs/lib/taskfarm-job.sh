# shellcheck shell=bash
# taskfarm-job.sh - what every batch script in jobs/ does, written once.
#
# The scripts in jobs/slurm/ and jobs/pbs/ hold only what the scheduler must
# read from the script itself (the #SBATCH or #PBS lines) and then source this
# file (bash) and call
#
#     tf_job_run PROGRAM [ARGUMENTS...]
#
# which runs the taskfarm PROGRAM on every core the job was given and makes it
# survive the walltime. In order, it:
#
#  1. goes to the directory the job was submitted from, where the output file
#     is, and puts two files next to it:
#       NAME.journal  every finished result (--journal), so that nothing done
#                     is ever lost, and a run of the same job continues from
#                     it (--resume; with no journal yet it starts afresh);
#       NAME.status   the farm's exit status (--status-file), read back and
#                     removed at the end;
#     NAME is the job's name and number, e.g. pi-1234 (TF_NAME changes it);
#  2. finds PROGRAM: in the directory $TF_BIN if set, else on the PATH;
#  3. starts it with the launcher (TF_LAUNCHER, see below), in the
#     background, and waits for it (if the launcher is still there
#     TF_EXIT_GRACE seconds after the farm wrote its status, it is ended);
#  4. on SIGUSR1 or SIGUSR2 (the scheduler's warning before the walltime,
#     `#SBATCH --signal=B:USR1@120`, or `scancel --batch --signal=USR1 ID`)
#     passes the signal on to the launcher, which passes it to the ranks: the
#     farm stops handing out tasks, waits for those in flight (--drain, 20 s
#     by default), saves the journal and exits 75. On SIGTERM or SIGINT
#     (scancel, the walltime itself, Ctrl-C) it passes SIGTERM on;
#  5. when the farm stopped on a warning (status 75), puts the job back in the
#     queue (`scontrol requeue`), and the next run resumes from the journal.
#     After SIGTERM it does not: scancel means "stop for good";
#  6. exits with the farm's status: 0 done, 1 failed, 2 bad command line,
#     75 stopped (run the same job again to resume); 0 after a requeue.
#
# With TF_ACCEPT_WORKERS=1 the farm also accepts jobs of workers while it
# runs (a farm that grows, docs/CLUSTER.md "Growing a farm"): before step 3
# it starts Open MPI's name server (jobs/lib/ompi-server.sh) and puts three
# more files next to the journal, all removed when the farm has ended:
#       NAME.uri      the name server's address: mpirun gets
#                     --ompi-server file:NAME.uri, the program
#                     --accept-workers --service NAME;
#       NAME.pid      the name server's process id and host;
#       NAME.join     what a joining job runs: the program on the first line,
#                     then its arguments, one a line, less those only a farm
#                     takes (--journal, --stats, ...);
# and a job of workers joins it with jobs/slurm/join.sbatch NAME or
# jobs/pbs/join.pbs, which call
#
#     tf_job_join NAME [PROGRAM [ARGUMENTS...]]
#
# (described where it is defined, at the end of this file). mpirun only.
#
# The scripts themselves take the program's arguments from their command
# line, else from TF_APP and TF_ARGS (split at spaces), which is how PBS's
# qsub, which passes no arguments, gets them there.
#
# Settings, all optional, as environment variables (for instance
# `sbatch --export=ALL,TF_LAUNCHER=srun job.sbatch`, or `qsub -v ...`):
#
#   TF_LAUNCHER    mpirun (the default) or srun.
#                  mpirun: Open MPI's launcher; it reads the job's nodes and
#                    cores from Slurm or from $PBS_NODEFILE itself, and with
#                    --enable-recovery (always passed) a lost node or a
#                    crashed worker does not end the run: its tasks go to the
#                    other workers (docs/FAULTS.md).
#                  srun: Slurm's own launcher (`srun --mpi=pmix`), Slurm jobs
#                    only; it needs a Slurm built with PMIx, and a lost node
#                    ends the run (the journal keeps what was done).
#   TF_BIN         directory of the taskfarm programs (default: the PATH).
#   TF_WORKDIR     where the files go (default: where the job was submitted).
#   TF_NAME        base name of the journal and status files.
#   TF_JOURNAL     the journal file; give an old one to continue a job that
#                  was cancelled or killed, in a new job.
#   TF_LAUNCHER_ARGS  more options for the launcher, split at spaces, e.g.
#                  "--bind-to core" (mpirun) or "--cpu-bind=cores" (srun).
#   TF_RELAYS      --relays for the farm: node (the default: one relay per
#                  node but rank 0's), off, auto, or K (a relay for every K
#                  ranks). A relay takes a rank of its own on each node.
#   TF_REQUEUE     1 (default): requeue after a stop on a warning; 0: don't.
#   TF_MAX_RESTARTS  requeue at most this many times (default 20), so a task
#                  longer than the walltime cannot loop forever.
#   TF_EXIT_GRACE  seconds the launcher may take to exit after the farm has
#                  written its status (default 30); then it is ended.
#   TF_ACCEPT_WORKERS  1: the farm accepts jobs of workers while it runs
#                  (above); mpirun only. 0 (default): it does not.
#   TF_OMPI_SERVER_WAIT  seconds the name server may take to start (30).
# Settings of tf_job_join (a joining job):
#   TF_URI         the farm's NAME.uri (default: WORKDIR/NAME.uri); its
#                  NAME.join is read from the same directory.
#   TF_JOIN_WAIT   seconds to wait for the farm's files (default 120).
#   TF_JOIN_RETRY  a farm whose NAME.uri is younger than this (default 60 s)
#                  is taken to be starting: joining it is tried again.
#   TF_BIN, TF_WORKDIR, TF_LAUNCHER_ARGS as above.

# tf_log MESSAGE: a dated line on stderr, which lands in the job's output.
tf_log() { printf '%s taskfarm-job: %s\n' "$(date '+%F %T')" "$*" >&2; }

# The names every script may use once this file is sourced:
#   tf_workdir  where the job was submitted from
#   tf_jobid    the job's number (empty outside a scheduler)
#   tf_name     base name of this job's files, e.g. pi-1234
# PBS_O_WORKDIR is PBS's "submitted from"; Slurm's Torque wrappers (qsub on
# a Slurm cluster) leave it unset, so SLURM_SUBMIT_DIR, then the current
# directory, stand in.
tf_workdir=${TF_WORKDIR:-${PBS_O_WORKDIR:-${SLURM_SUBMIT_DIR:-$PWD}}}
# PBS numbers look like 1234.server: keep the number.
tf_jobid=${SLURM_JOB_ID:-${PBS_JOBID:-}}
tf_jobid=${tf_jobid%%.*}
# Outside a scheduler (bash jobs/slurm/pi.sbatch), the script's name: pi.
tf_jobname=${SLURM_JOB_NAME:-${PBS_JOBNAME:-$(basename "$0" | sed 's/\.[^.]*$//')}}
# A job name could hold a slash; a file name cannot.
tf_jobname=${tf_jobname//\//_}
tf_name=${TF_NAME:-$tf_jobname${tf_jobid:+-$tf_jobid}}

# tf_find_program NAME: print the path of the program NAME.
tf_find_program() {
  case $1 in
    */*)
      # A path (./taskfarm-pi, /opt/x/bin/myapp): taken as it is.
      [ -x "$1" ] && { printf '%s\n' "$1"; return 0; }
      tf_log "$1: no such program (relative paths start from $tf_workdir)"
      return 1
      ;;
  esac
  if [ -n "${TF_BIN:-}" ]; then
    [ -x "$TF_BIN/$1" ] && { printf '%s\n' "$TF_BIN/$1"; return 0; }
    tf_log "$1 is not in TF_BIN=$TF_BIN"
    return 1
  fi
  command -v "$1" 2>/dev/null && return 0
  tf_log "$1 is not on the PATH ($PATH): load the module that has it," \
    "install taskfarm, or set TF_BIN to the directory that holds it"
  return 1
}

# _tf_on_signal SIG: the trap. Remember what came and pass it on; the wait
# in _tf_launch_wait goes on waiting for the launcher to finish. A farm gets
# SIGUSR1 or SIGUSR2 as it came, SIGTERM for SIGTERM or SIGINT; a joined job
# (_tf_pass_as=USR1, set by tf_job_join) gets SIGUSR1 for every one of them:
# its workers leave the farm, handing back their tasks (SIGTERM would make
# mpirun end them at once).
_tf_on_signal() {
  _tf_signal=$1
  local pass=TERM
  case $1 in
    USR1 | USR2) _tf_warned=$1 pass=$1 ;;
    *) _tf_cancelled=$1 ;;
  esac
  [ -z "${_tf_pass_as:-}" ] || pass=$_tf_pass_as
  [ -n "${_tf_pid:-}" ] || return 0
  # A warning in the first seconds could reach the ranks before they are
  # ready for it, and kill them: hold it back until 5 s after the start.
  local age=$((SECONDS - _tf_started))
  if [ "$pass" != TERM ] && [ "$age" -lt 5 ]; then sleep $((5 - age)); fi
  tf_log "got SIG$1: passing SIG$pass on to $_tf_launcher (pid $_tf_pid)"
  kill -s "$pass" "$_tf_pid" 2>/dev/null
}

# _tf_watchdog PID FILE GRACE: once FILE exists, give PID GRACE seconds to
# exit, then end it (SIGTERM, SIGKILL 5 s later). Runs in the background.
_tf_watchdog() {
  trap - USR1 USR2 TERM INT
  while kill -0 "$1" 2>/dev/null; do
    if [ -s "$2" ]; then
      sleep "$3"
      kill -0 "$1" 2>/dev/null || return 0
      tf_log "$_tf_launcher still runs $3 s after the farm ended (status $(cat "$2" 2>/dev/null)):" \
        "ending it (TF_EXIT_GRACE)"
      kill -TERM "$1" 2>/dev/null
      sleep 5
      kill -KILL "$1" 2>/dev/null
      return 0
    fi
    sleep 1
  done
}

# _tf_where SUFFIX: the job, for the log line that shows the launcher's
# command: "job 1234 run 2 on 1 node(s), 4 task(s)" (SUFFIX " run 2"; a
# Slurm job's only), "job 1234.server on 8 core(s)", "outside a scheduler".
_tf_where() {
  if [ -n "${SLURM_JOB_ID:-}" ]; then
    echo "job $SLURM_JOB_ID$1 on ${SLURM_JOB_NUM_NODES:-?} node(s), ${SLURM_NTASKS:-?} task(s)"
  elif [ -n "${PBS_JOBID:-}" ]; then
    echo "job $PBS_JOBID on $(wc -l <"${PBS_NODEFILE:-/dev/null}") core(s)"
  else
    echo "outside a scheduler"
  fi
}

# _tf_allow_root: Open MPI refuses to start as root unless told twice. Only
# root needs it (test clusters, containers), so only root gets it.
_tf_allow_root() {
  if [ "$(id -u)" = 0 ]; then
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
  fi
}

# _tf_launch_wait STATUS_FILE LAUNCHER...: run the launcher's command line
# in the background, pass the signals this shell gets on to it
# (_tf_on_signal), and wait for it to end; its exit status in _tf_st. With a
# STATUS_FILE (a farm's), the watchdog ends the launcher TF_EXIT_GRACE
# seconds after the farm wrote that file.
_tf_launch_wait() {
  local status_file=$1
  shift
  _tf_warned='' _tf_cancelled='' _tf_pid=''
  trap '_tf_on_signal USR1' USR1
  trap '_tf_on_signal USR2' USR2
  trap '_tf_on_signal TERM' TERM
  trap '_tf_on_signal INT' INT
  # In the background, so that this shell is free to run its traps: bash
  # runs a trap only between commands, and `wait` is one it interrupts.
  _tf_started=$SECONDS
  "$@" &
  _tf_pid=$!
  # The watchdog: the farm writes its status file last, just before its
  # ranks exit. After a lost rank, mpirun can wait forever for it (seen with
  # Open MPI 4.1 under Slurm); TF_EXIT_GRACE seconds (default 30) after the
  # status file appeared, the launcher is ended. The results are safe by then.
  local watchdog=''
  if [ -n "$status_file" ]; then
    _tf_watchdog "$_tf_pid" "$status_file" "${TF_EXIT_GRACE:-30}" &
    watchdog=$!
  fi
  local w
  _tf_st=0
  while :; do
    _tf_signal=''
    wait "$_tf_pid" 2>/dev/null
    w=$?
    # 127: the launcher's status was already reported by the last wait.
    [ "$w" = 127 ] && break
    _tf_st=$w
    # A trap ran and wait says "signal" (above 128): the wait was cut
    # short, the launcher may well still run, so wait again.
    if [ -z "$_tf_signal" ] || [ "$w" -le 128 ]; then break; fi
  done
  trap - USR1 USR2 TERM INT
  if [ -n "$watchdog" ]; then
    kill "$watchdog" 2>/dev/null
    wait "$watchdog" 2>/dev/null
  fi
  return 0
}

# _tf_nodes: how many nodes the job has (1 outside a scheduler).
_tf_nodes() {
  if [ -n "${SLURM_JOB_NUM_NODES:-}" ]; then
    echo "$SLURM_JOB_NUM_NODES"
  elif [ -r "${PBS_NODEFILE:-}" ]; then
    sort -u "$PBS_NODEFILE" | wc -l
  else
    echo 1
  fi
}

# _tf_one_node WHAT: WHAT (a farm that accepts workers, a job that joins
# one) runs on one node, else say why it must and fail. Open MPI 4.1
# connects two mpiruns only when each runs all its ranks itself: when either
# job has ranks on another node (under an orted), the other job's mpirun
# crashes in MPI_Comm_connect/accept (SIGSEGV in orte_rml_base_parse_uris:
# the daemons' addresses are missing; open-mpi/ompi#6818), and the farm is
# lost with it.
_tf_one_node() {
  local n
  n=$(_tf_nodes)
  [ "$n" -le 1 ] && return 0
  tf_log "$1 must run on one node, not $n: Open MPI 4.1 cannot connect two mpiruns" \
    "when either one has ranks on other nodes (its mpirun crashes: open-mpi/ompi#6818)." \
    "Start the farm on one node (sbatch -N 1) and grow it by one join job per node," \
    "e.g. 'sbatch --array=1-4 jobs/slurm/join.sbatch NAME' (docs/CLUSTER.md, \"Growing a farm\")"
  return 2
}

# _tf_load_ompi_server: source ompi-server.sh, which sits next to this file.
_tf_load_ompi_server() {
  declare -F tf_ompi_server_start >/dev/null && return 0
  local lib=${BASH_SOURCE[0]%/*}/ompi-server.sh
  # shellcheck source-path=SCRIPTDIR source=ompi-server.sh
  [ -f "$lib" ] && . "$lib" && return 0
  tf_log "$lib not found: it comes with this file (jobs/lib/)"
  return 1
}

# _tf_write_join FILE PROGRAM [ARGUMENTS...]: write what a joining job runs
# to FILE: PROGRAM on the first line, then its arguments, one a line,
# without those only a farm takes (--journal, --resume, --stats, --trace,
# --timeline, --status-file, --relays, --info, --accept-workers, --service;
# after "--", every word is kept).
_tf_write_join() {
  local file=$1 a skip=0 rest=0
  shift
  local -a keep=()
  for a; do
    if [ "$rest" = 1 ]; then
      keep+=("$a")
      continue
    fi
    if [ "$skip" = 1 ]; then
      skip=0
      continue
    fi
    case $a in
      --) rest=1 keep+=("$a") ;;
      --journal | --stats | --trace | --timeline | --status-file | --relays | --service) skip=1 ;;
      --journal=* | --stats=* | --trace=* | --timeline=* | --status-file=* | --relays=* | \
        --service=* | --resume | --info | --accept-workers) ;;
      *) keep+=("$a") ;;
    esac
  done
  for a in "${keep[@]}"; do
    case $a in
      *$'\n'*)
        tf_log "an argument holds a newline: cannot write $file; joining jobs must then" \
          "be given the program and its arguments themselves"
        return 1
        ;;
    esac
  done
  { printf '%s\n' "${keep[@]}" >"$file.tmp" && mv -f "$file.tmp" "$file"; } ||
    { tf_log "cannot write $file"; return 1; }
}

# tf_job_run PROGRAM [ARGUMENTS...]: everything described at the top.
tf_job_run() {
  if [ $# -lt 1 ]; then
    tf_log "no program given: submit as e.g. 'sbatch run-app.sbatch taskfarm-pi --samples 1000000'"
    return 2
  fi
  local name=$1
  shift
  cd "$tf_workdir" || { tf_log "cannot go to $tf_workdir"; return 1; }
  local prog
  prog=$(tf_find_program "$name") || return 1
  local journal=${TF_JOURNAL:-$tf_workdir/$tf_name.journal}
  local status_file=$tf_workdir/$tf_name.status
  local restarts=${SLURM_RESTART_COUNT:-0}

  # The launcher: mpirun or srun, plus TF_LAUNCHER_ARGS.
  _tf_launcher=${TF_LAUNCHER:-mpirun}
  local -a launch extra
  read -r -a extra <<<"${TF_LAUNCHER_ARGS:-}"
  case $_tf_launcher in
    mpirun)
      # --enable-recovery: a dead rank does not end the job (the farm gives
      # its tasks to the others); mpirun then exits 0 whatever the ranks
      # return, so the farm's own status comes from --status-file.
      # orte_abort_on_non_zero_status 0: without it, mpirun (Open MPI 4.1)
      # under Slurm with --enable-recovery never exits once the ranks have
      # exited with a status other than 0 (1, 2, or 75 after a stop).
      launch=(mpirun --enable-recovery --mca orte_abort_on_non_zero_status 0)
      # Under PBS (not Slurm's qsub wrapper, where mpirun asks Slurm), the
      # nodes are in $PBS_NODEFILE, one line per core: that is the hostfile.
      if [ -z "${SLURM_JOB_ID:-}" ] && [ -r "${PBS_NODEFILE:-}" ]; then
        launch+=(--hostfile "$PBS_NODEFILE")
      fi
      ;;
    srun)
      if [ -z "${SLURM_JOB_ID:-}" ]; then
        tf_log "TF_LAUNCHER=srun works in Slurm jobs only; use TF_LAUNCHER=mpirun"
        return 2
      fi
      # One rank per task of the allocation, wired up through PMIx.
      launch=(srun --mpi=pmix)
      ;;
    *)
      tf_log "TF_LAUNCHER=$_tf_launcher: use mpirun or srun"
      return 2
      ;;
  esac
  # A farm that accepts workers (TF_ACCEPT_WORKERS=1) needs mpirun: the
  # joining jobs find it through Open MPI's name server, which only
  # mpirun --ompi-server connects to.
  local accept=${TF_ACCEPT_WORKERS:-0}
  case $accept in
    0 | '') accept=0 ;;
    1)
      if [ "$_tf_launcher" != mpirun ]; then
        tf_log "TF_ACCEPT_WORKERS=1 is not supported with TF_LAUNCHER=$_tf_launcher: jobs of" \
          "workers find the farm through Open MPI's name server, which only mpirun" \
          "(--ompi-server) talks to; use TF_LAUNCHER=mpirun"
        return 2
      fi
      _tf_one_node "a farm that accepts workers (TF_ACCEPT_WORKERS=1)" || return 2
      ;;
    *)
      tf_log "TF_ACCEPT_WORKERS=$accept: use 1 (accept jobs of workers) or 0"
      return 2
      ;;
  esac
  command -v "${launch[0]}" >/dev/null 2>&1 ||
    { tf_log "${launch[0]} is not on the PATH: load your MPI module"; return 1; }
  launch+=("${extra[@]}")
  _tf_allow_root

  # A status file left by an earlier run must not be taken for this run's.
  rm -f "$status_file" "$status_file.tmp"
  # TF_ACCEPT_WORKERS=1: start the name server (NAME.uri, NAME.pid), write
  # NAME.join for the jobs that join, and tell mpirun and the farm. The
  # farm's name is NAME (the job's, e.g. pi-1234), blanks made _.
  local -a accept_args=()
  local service=${tf_name//[![:graph:]]/_} join_file=''
  if [ "$accept" = 1 ]; then
    join_file=$tf_workdir/$service.join
    _tf_load_ompi_server || return 1
    tf_ompi_server_start "$tf_workdir" "$service" >/dev/null || return 1
    if ! _tf_write_join "$join_file" "$prog" "$@"; then
      tf_ompi_server_stop "$tf_workdir" "$service"
      return 1
    fi
    launch+=(--ompi-server "file:$_tf_os_uri")
    accept_args=(--accept-workers --service "$service")
    tf_log "accepting jobs of workers as '$service': add one with" \
      "'sbatch jobs/slurm/join.sbatch $service' (PBS: 'qsub -v TF_JOIN=$service" \
      "jobs/pbs/join.pbs') from $tf_workdir"
  fi
  # One relay per node (--relays node) unless TF_RELAYS says otherwise: on
  # the nodes other than rank 0's, the lowest rank serves the others and
  # talks to the root for all of them (docs/CLUSTER.md). The program's own
  # --relays, given later on its command line, wins.
  local -a cmd=("${launch[@]}" "$prog" --relays "${TF_RELAYS:-node}" "$@" --journal "$journal"
    --resume --status-file "$status_file" "${accept_args[@]}")
  tf_log "$(_tf_where " run $((restarts + 1))"): ${cmd[*]}"

  _tf_pass_as=''
  _tf_launch_wait "$status_file" "${cmd[@]}"
  local st=$_tf_st
  if [ "$accept" = 1 ]; then
    # The farm has ended: no job can join it any more.
    tf_ompi_server_stop "$tf_workdir" "$service"
    rm -f "$join_file"
  fi

  # The farm's status: from its status file, else from the launcher.
  local farm='' rc
  [ -s "$status_file" ] && farm=$(cat "$status_file")
  rm -f "$status_file"
  if [ -n "$farm" ]; then
    rc=$farm
  elif [ "$st" -ne 0 ]; then
    rc=$st
    tf_log "$_tf_launcher exited $st and the farm wrote no status"
  else
    rc=1
    tf_log "the farm wrote no status: it did not start (a bad command line? see above) or died"
  fi
  case $rc in
    0) tf_log "done: every task succeeded" ;;
    1) tf_log "failed (status 1): the reason is above" ;;
    2) tf_log "bad command line (status 2): see above; '$name --help' lists the options" ;;
    75) tf_log "stopped (status 75): the journal $journal holds every result so far" ;;
    *) tf_log "ended with status $rc" ;;
  esac

  # Put the job back in the queue when it stopped on a warning: status 75,
  # or killed by the warning before it could stop cleanly. After SIGTERM
  # (scancel, the walltime itself) it is not requeued.
  if [ "$rc" = 75 ] || { [ -n "$_tf_warned" ] && [ -z "$farm" ]; }; then
    if [ -n "$_tf_cancelled" ] || [ "${TF_REQUEUE:-1}" = 0 ]; then
      tf_log "not requeued; to continue, submit again with TF_JOURNAL=$journal"
    elif [ "$restarts" -ge "${TF_MAX_RESTARTS:-20}" ]; then
      tf_log "not requeued: it already ran $((restarts + 1)) times (TF_MAX_RESTARTS)"
    elif [ -n "${SLURM_JOB_ID:-}" ]; then
      # Slurm (also under its qsub wrapper): same job number, same output
      # file (--open-mode=append), so the next run finds this journal.
      # Slurm ends this run at once after the requeue, so say it first.
      tf_log "requeueing job $SLURM_JOB_ID: the next run resumes from $journal"
      scontrol requeue "$SLURM_JOB_ID" && return 0
      tf_log "scontrol requeue $SLURM_JOB_ID failed; submit again with TF_JOURNAL=$journal"
    elif [ -n "${PBS_JOBID:-}" ] && command -v qrerun >/dev/null 2>&1 &&
      qrerun "$PBS_JOBID"; then
      # PBS: most sites let only operators rerun jobs; then the line below.
      tf_log "requeued job $PBS_JOBID: the next run resumes from $journal"
      return 0
    else
      tf_log "not requeued; to continue, submit again with TF_JOURNAL=$journal"
    fi
  fi
  return "$rc"
}

# tf_job_join NAME [PROGRAM [ARGUMENTS...]]: run this job's ranks as workers
# of the running farm NAME (a job started with TF_ACCEPT_WORKERS=1; NAME is
# its name, e.g. pi-1234). In order, it:
#
#  1. goes to the directory the job was submitted from and waits
#     (TF_JOIN_WAIT seconds at most, default 120: the farm's job may still
#     be starting) for the farm's two files there:
#       NAME.uri   the address of the farm's name server (TF_URI names
#                  another file, e.g. in the farm's directory elsewhere);
#       NAME.join  the program and arguments to run (next to NAME.uri);
#                  PROGRAM and ARGUMENTS, if given, are run instead;
#  2. runs `mpirun --ompi-server file:NAME.uri PROGRAM ARGUMENTS --join NAME`
#     on every core of the job, in the background. A farm whose name is not
#     published yet (it is starting: its NAME.uri is less than TF_JOIN_RETRY
#     seconds old, default 60) answers status 2: then it tries again every
#     5 s;
#  3. on SIGUSR1, SIGUSR2, SIGTERM or SIGINT (the walltime warning, scancel)
#     passes SIGUSR1 on to mpirun: the workers leave the farm, handing back
#     the tasks they hold, and exit 0;
#  4. exits with the joined job's status: 0 when the farm told it to stop (its
#     work is done) or when it left; 1 failed (e.g. the farm has done its
#     work, or was lost); 2 no such farm, or not the farm's app options.
tf_job_join() {
  local farm=${1:-}
  if [ -z "$farm" ]; then
    tf_log "no farm named: submit as e.g. 'sbatch join.sbatch pi-1234' (the farm job's name" \
      "and number, as its output says: \"accepting jobs of workers as 'pi-1234'\")"
    return 2
  fi
  shift
  cd "$tf_workdir" || { tf_log "cannot go to $tf_workdir"; return 1; }
  local uri=${TF_URI:-$tf_workdir/$farm.uri}
  local join_file=$farm.join
  case $uri in */*) join_file=${uri%/*}/$farm.join ;; esac

  _tf_launcher=${TF_LAUNCHER:-mpirun}
  if [ "$_tf_launcher" != mpirun ]; then
    tf_log "TF_LAUNCHER=$_tf_launcher: a job that joins a farm needs mpirun (--ompi-server);" \
      "srun cannot join one"
    return 2
  fi
  _tf_one_node "a job that joins a farm" || return 2
  command -v mpirun >/dev/null 2>&1 ||
    { tf_log "mpirun is not on the PATH: load your MPI module"; return 1; }

  # 1. The farm's files.
  local wait=${TF_JOIN_WAIT:-120} t0=$SECONDS said=''
  while [ ! -s "$uri" ] || { [ $# -eq 0 ] && [ ! -s "$join_file" ]; }; do
    if [ $((SECONDS - t0)) -ge "$wait" ]; then
      tf_log "no farm '$farm' to join: $uri${join_file:+ or $join_file} not there after $wait s" \
        "(TF_JOIN_WAIT). The farm's job must run with TF_ACCEPT_WORKERS=1, and this job be" \
        "submitted from the same directory (or set TF_URI to its NAME.uri)"
      return 1
    fi
    if [ -z "$said" ]; then
      tf_log "waiting for the farm '$farm': $uri and $join_file (TF_JOIN_WAIT=$wait s)"
      said=1
    fi
    sleep 2
  done
  local -a words
  if [ $# -gt 0 ]; then
    words=("$@")
  else
    mapfile -t words <"$join_file"
  fi
  local prog
  prog=$(tf_find_program "${words[0]}") || return 1

  # 2. The joined job. No --enable-recovery: a rank of it that dies ends it,
  # and mpirun exits with the ranks' status; the farm carries on without it.
  local -a launch extra
  read -r -a extra <<<"${TF_LAUNCHER_ARGS:-}"
  launch=(mpirun --ompi-server "file:$uri")
  if [ -z "${SLURM_JOB_ID:-}" ] && [ -r "${PBS_NODEFILE:-}" ]; then
    launch+=(--hostfile "$PBS_NODEFILE")
  fi
  launch+=("${extra[@]}")
  _tf_allow_root
  local -a cmd=("${launch[@]}" "$prog" "${words[@]:1}" --join "$farm")
  tf_log "$(_tf_where '') joins the farm '$farm': ${cmd[*]}"

  # 3. Signals: SIGUSR1 to mpirun, whichever came (_tf_on_signal).
  _tf_pass_as=USR1
  local st age
  while :; do
    _tf_launch_wait '' "${cmd[@]}"
    st=$_tf_st
    if [ "$st" != 2 ] || [ -n "$_tf_warned$_tf_cancelled" ] || [ ! -s "$uri" ]; then break; fi
    # Status 2 from a farm that has just started: its name may not be
    # published yet.
    age=$(($(date +%s) - $(date -r "$uri" +%s)))
    [ "$age" -lt "${TF_JOIN_RETRY:-60}" ] || break
    tf_log "the farm '$farm' started ${age} s ago and may not accept workers yet: trying again in 5 s"
    sleep 5
  done
  _tf_pass_as=''

  # 4. Its status.
  case $st in
    0) tf_log "done: the farm '$farm' told this job to stop, or it left the farm" ;;
    1) tf_log "failed (status 1): the reason is above" ;;
    2) tf_log "bad command line, no farm '$farm', or not the farm's app options (status 2): see above" ;;
    *) tf_log "mpirun ended with status $st" ;;
  esac
  return "$st"
}
