/* runtime.c - the entry points: tf_main (the whole program) and tf_run (one
 * farm on a given communicator): roles, the run summary, the exit status. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "comm.h"
#include "beat.h"
#include "clock.h"
#include "handle.h"
#include "layout.h"
#include "log.h"
#include "roles.h"
#include "stats.h"
#include "accept.h"
#include "idle.h"
#include "join.h"
#include "observe.h"
#include "options.h"
#include "signals.h"
#include "topo.h"


/* " 3 17 42", the first TF_FAILED_LISTED of n ids, then " ..." if more. */
static void print_ids(const uint64_t *ids, uint64_t n) {
  for (uint64_t i = 0; i < n && i < TF_FAILED_LISTED; i++)
    fprintf(stderr, " %llu", (unsigned long long)ids[i]);
  if (n > TF_FAILED_LISTED) fputs(" ...", stderr);
}

/* The summary's first line: the app, how the run ended, the counts and the rate. */
static void print_headline(const tf_app *app, const tf_run_stats *s, int nworkers, int status) {
  uint64_t tasks = s->tasks_generated + s->tasks_spawned;
  double rate = s->wall > 0 ? (double)s->results / s->wall : 0.0;
  fprintf(stderr,
          "taskfarm: %s: %s: %llu results of %llu tasks (%llu spawned) on %d worker%s in %.3f s "
          "(%.0f tasks/s)\n",
          app->name ? app->name : "app",
          status == TF_ESTOPPED ? "STOPPED" : status ? "FAILED" : "done",
          (unsigned long long)s->results,
          (unsigned long long)tasks, (unsigned long long)s->tasks_spawned, nworkers,
          nworkers == 1 ? "" : "s", s->wall, rate);
}

/* The workers lost: how many, their ranks (the first TF_LOST_LISTED) and the
 * tasks they held. */
static void print_lost(const tf_run_stats *s) {
  fprintf(stderr, "taskfarm:   %llu worker%s lost (rank", (unsigned long long)s->lost,
          s->lost == 1 ? "" : "s");
  for (int i = 0; i < s->nlost_ranks; i++)
    fprintf(stderr, " %d", s->lost_ranks[i]);
  fprintf(stderr, "%s); %llu task%s they held went back to the queue\n",
          s->nlost_ranks >= TF_LOST_LISTED ? " ..." : "", (unsigned long long)s->lost_tasks,
          s->lost_tasks == 1 ? "" : "s");
}

/* A line for each thing that only some runs see: results read back from the
 * journal, retries, lost workers, jobs that joined, copies of slow tasks. */
static void print_happenings(const tf_config *cfg, const tf_run_stats *s, const tf_layout *layout) {
  if (s->resumed)
    fprintf(stderr, "taskfarm:   %llu of the results were read back from the journal %s\n",
            (unsigned long long)s->resumed, cfg->journal ? cfg->journal : "");
  if (s->retried)
    fprintf(stderr, "taskfarm:   %llu runs of failed tasks tried again\n",
            (unsigned long long)s->retried);
  if (s->lost) print_lost(s);
  if (s->joined)
    fprintf(stderr,
            "taskfarm:   %llu worker%s joined in %llu job%s (ranks %d-%d); %llu left before the "
            "end, handing back %llu task%s\n",
            (unsigned long long)s->joined, s->joined == 1 ? "" : "s",
            (unsigned long long)s->joined_jobs, s->joined_jobs == 1 ? "" : "s",
            layout->joined_from, layout->size - 1, (unsigned long long)s->left,
            (unsigned long long)s->left_tasks, s->left_tasks == 1 ? "" : "s");
  if (s->copies)
    fprintf(stderr, "taskfarm:   %llu slow task%s also run elsewhere (--task-timeout); %llu late result%s dropped\n",
            (unsigned long long)s->copies, s->copies == 1 ? "" : "s",
            (unsigned long long)s->copies_dropped, s->copies_dropped == 1 ? "" : "s");
}

/* What a run that ended early left undone, and why: a stop signal (with
 * what to do next), tf_stop or a failure; then the tasks given up on. */
static void print_unfinished(const tf_config *cfg, const tf_run_stats *s, int status) {
  const char *more = s->more_to_generate ? "; generate had more tasks to give" : "";
  if (status == TF_ESTOPPED)
    fprintf(stderr,
            "taskfarm:   stopped by %s: %llu task%s not done (%llu in workers' hands, %llu never "
            "sent)%s; %s (exit status %d%s)\n",
            tf__signal_name(s->stop_signal), (unsigned long long)s->not_done,
            s->not_done == 1 ? "" : "s", (unsigned long long)s->not_done_held,
            (unsigned long long)(s->not_done - s->not_done_held), more,
            cfg->journal ? "the journal holds every result: run again with --resume"
                         : "no --journal was given, so the results so far are lost",
            TF_EXIT_STOPPED,
            s->urgent
                ? "; mpirun itself exits 1 after SIGTERM or Ctrl-C: --status-file keeps the 75"
                : "");
  else if ((status || s->app_stop) && (s->not_done || s->more_to_generate)) {
    fprintf(stderr, "taskfarm:   %s%llu task%s not done:",
            s->app_stop ? "stopped by the app (tf_stop): " : "", (unsigned long long)s->not_done,
            s->not_done == 1 ? "" : "s");
    print_ids(s->not_done_ids, s->not_done);
    fprintf(stderr, "%s\n", more);
  }
  if (s->failed) {
    fprintf(stderr, "taskfarm:   %llu task%s failed for good:", (unsigned long long)s->failed,
            s->failed == 1 ? "" : "s");
    print_ids(s->failed_ids, s->failed);
    fputc('\n', stderr);
  }
}

/* Per-worker busy fractions (min / mean / max beyond 8 workers) and the
 * load balance: the sum of task times over workers x wall time. */
static void print_balance(const tf_run_stats *s, int nworkers) {
  double sum = 0, lo = 1e300, hi = 0;
  char list[160] = "";
  size_t n = 0;
  for (int w = 0; w < nworkers; w++) {
    double b = (double)s->w_busy_ns[w] * 1e-9 / s->wall;
    sum += b;
    lo = b < lo ? b : lo;
    hi = b > hi ? b : hi;
    if (nworkers <= 8 && n < sizeof list)
      n += (size_t)snprintf(list + n, sizeof list - n, " %.0f%%", 100 * b);
  }
  if (nworkers > 8) snprintf(list, sizeof list, " min %.0f%%, max %.0f%%,", 100 * lo, 100 * hi);
  fprintf(stderr, "taskfarm:   busy:%s mean %.1f%%; load balance %.2f; %llu retried, %llu failed\n",
          list, 100 * sum / nworkers, sum / nworkers, (unsigned long long)s->retried,
          (unsigned long long)s->failed);
}

/* --verbose: each worker's tasks, busy and idle time and frames, then the master's frames. */
/* t seconds as a percentage of the run's wall time. */
static double pct_of_wall(const tf_run_stats *s, double t) {
  return s->wall > 0 ? 100.0 * t / s->wall : 0.0;
}

static void print_per_worker(const tf_run_stats *s, const tf_layout *layout) {
  for (int w = 0; w < layout->nworkers; w++) {
    double busy = (double)s->w_busy_ns[w] * 1e-9;
    int r = tf__layout_worker_rank(layout, w);
    fprintf(stderr,
            "taskfarm:   worker %d (rank %d%s): %llu tasks, busy %.3f s (%.1f%%), idle "
            "%.3f s, %llu frames\n",
            w, r, layout->joined_from && r >= layout->joined_from ? ", joined" : "",
            (unsigned long long)s->w_tasks[w],
            busy, pct_of_wall(s, busy), (double)s->w_wait_ns[w] * 1e-9,
            (unsigned long long)s->w_frames[w]);
  }
  if (layout->role == TF_ROLE_SERIAL) return; /* no master: one rank runs the tasks */
  fprintf(stderr, "taskfarm:   master: %llu frames in, %llu frames out, busy %.3f s (%.1f%%)\n",
          (unsigned long long)s->frames_in, (unsigned long long)s->frames_out, s->master_busy,
          pct_of_wall(s, s->master_busy));
}

static void print_summary(const tf_app *app, const tf_config *cfg, const tf_run_stats *s,
                          const tf_layout *layout, int status) {
  int nworkers = layout->nworkers;
  fflush(stdout); /* the app's answer first */
  if (cfg->quiet && !cfg->verbose) return;
  print_headline(app, s, nworkers, status);
  print_happenings(cfg, s, layout);
  print_unfinished(cfg, s, status);
  if (s->wall > 0 && nworkers > 0) print_balance(s, nworkers);
  if (cfg->verbose) print_per_worker(s, layout);
}

/* A mistake in how the program set up the farm: named once, by rank 0. */
static int check_setup(const tf_app *app, const tf_config *cfg, int rank) {
  const char *why = NULL;
  if (!app)
    why = "no app given";
  else if (!cfg)
    why = "no configuration given";
  else if (!app->execute)
    why = "the app has no execute callback";
  else if (cfg->prefetch < 1 || cfg->prefetch > TF_MAX_PREFETCH)
    why = "prefetch out of range";
  else if (cfg->max_payload > TF_MAX_PAYLOAD_LIMIT)
    why = "max_payload over 1 GiB";
  if (!why) return 0;
  if (rank == 0) tf__log(0, "tf_run: %s", why);
  return TF_EINVAL;
}

/* How a farm ended, for tf_main's end of the process. */
typedef struct farm_end {
  uint64_t lost;   /* workers declared lost */
  int stuck;       /* a worker may still run: abort the job rather than finalize */
  uint64_t stuck_workers; /* workers left in a task given up on */
  int peer_lost;   /* a rank was lost: MPI_Finalize may wait forever */
  int urgent;      /* mpirun kills every rank in a second: no MPI_Finalize */
  int from_master; /* a worker's status is the master's verdict */
} farm_end;

static void write_status_file(const char *path, int status);
static int exit_status(int rc);
static void leave_process(int status, int peer_lost);

/* --join: this job's ranks are workers of a running farm (join.h). World
 * rank 0 says when the job joined and how it left. */
static int run_joined(MPI_Comm job, const tf_app *app, const tf_config *cfg, int owns_process,
                      farm_end *end) {
  int rank = 0;
  MPI_Comm_rank(job, &rank);
  const char *name = app && app->name ? app->name : "app";
  if (!app || !app->execute) return check_setup(app, cfg, rank);
  tf_config jc = *cfg;
  MPI_Comm merged;
  tf_layout layout;
  tf_join_terms t = {0};
  char err[900];
  int st = tf__join(job, &jc, name, &merged, &layout, &t, err, sizeof err);
  if (st) {
    if (rank == 0) fprintf(stderr, "%s: %s\n", name, err);
    return st == TF_EXIT_USAGE ? TF_EUSAGE : TF_EMPI;
  }
  int size = 1;
  MPI_Comm_size(job, &size);
  int quiet = cfg->quiet && !cfg->verbose;
  if (rank == 0 && !quiet)
    fprintf(stderr, "taskfarm: %s: joined the farm '%s': workers %d-%d of %d\n", name, cfg->join,
            t.first_worker, t.first_worker + size - 1, t.nworkers);
  tf_run_stats s;
  memset(&s, 0, sizeof s);
  if (owns_process) s.leave = leave_process;
  tf__signals_install(1, rank); /* a stop signal: leave the farm */
  /* Whether the farm's ranks share this job's cores is not known here: its
   * idle ranks yield at once, as where they do. */
  tf__idle_share_cores(1);
  int rc = tf__worker_run(merged, &layout, app, &jc, &s);
  int sig = tf__stop_signal();
  tf__signals_restore();
  if (rank == 0 && !quiet && !rc)
    fprintf(stderr, "taskfarm: %s: %s the farm '%s'%s%s\n", name,
            s.left_early ? "left" : "told to stop by", cfg->join,
            s.left_early ? (sig ? " on " : " after --leave-after") : "",
            s.left_early && sig ? tf__signal_name(sig) : "");
  end->peer_lost = s.peer_lost;
  end->stuck = s.stuck;
  if (!end->stuck) MPI_Comm_free(&merged);
  if (s.from_master || s.left_early) rc = 0; /* the farm's verdict is the farm's to report */
  if (owns_process && rank == 0 && cfg->status_file)
    write_status_file(cfg->status_file, exit_status(rc));
  return rc;
}

/* --accept-workers: other jobs find this farm through mpirun's name server,
 * and a daemon accepts them. 0, or TF_EUSAGE when there is no name server
 * (rank 0 says so) or the daemon cannot start. */
static int check_accept(MPI_Comm comm, const tf_app *app, int crank) {
  if (!tf__accept_has_server()) {
    if (crank == 0)
      fprintf(stderr, "%s: --accept-workers: mpirun was started without --ompi-server file:URI, "
              "so no other job could find this farm (jobs/lib/ompi-server.sh starts the name "
              "server: docs/CLUSTER.md, \"Growing a farm\")\n",
              app->name ? app->name : "taskfarm");
    return TF_EUSAGE;
  }
  if (!tf__accept_one_daemon(comm, "--accept-workers", app->name ? app->name : "taskfarm"))
    return TF_EUSAGE;
  return 0;
}

/* The farm's shape on dup (collective): where every rank runs, then the
 * roles --relays asks for; --info and --verbose print both. After an error
 * there is no layout to free. */
static int lay_out_farm(MPI_Comm dup, const tf_config *cfg, int rank, int size, tf_layout *layout) {
  tf_topo topo;
  int rc = tf__topo_gather(dup, &topo);
  if (rc) {
    if (rank == 0) tf__log(0, "cannot learn where the ranks run: %s", tf_strerror(rc));
    return rc;
  }
  /* Rank 0's --relays for all: every rank must build the same tree, and
   * TASKFARM_RELAYS may not reach the ranks on other nodes. */
  int relays = cfg->relays;
  if (MPI_Bcast(&relays, 1, MPI_INT, 0, dup) != MPI_SUCCESS) relays = TF_RELAYS_OFF;
  rc = tf__layout_relays(layout, rank, size, relays, topo.leader, topo.nnodes);
  if (!rc && size == 1 && cfg->accept_workers) tf__layout_root_alone(layout);
  if (!rc && rank == 0 && (cfg->info || cfg->verbose)) {
    fflush(stdout);
    tf__topo_print(&topo, cfg->info ? stdout : stderr);
    tf__layout_print(layout, cfg->info ? stdout : stderr);
  }
  tf__idle_share_cores(topo.crowded);
  tf__topo_free(&topo);
  if (rc) { /* out of memory: on every rank alike, or a rank waits for one that left */
    tf__log(rank, "out of memory laying out the farm");
    tf__layout_free(layout);
  }
  return rc;
}

/* This rank's part of the farm, by its role in layout, counted in s. */
static int run_role(MPI_Comm dup, tf_layout *layout, const tf_app *app, const tf_config *cfg,
                    int owns_process, int rank, tf_run_stats *s) {
  int nworkers = layout->nworkers;
  if (tf__stats_alloc_workers(s, nworkers)) {
    tf__log(rank, "out of memory starting the farm");
    return TF_ENOMEM;
  }
  if (rank == 0 && tf__obs_wanted(cfg) &&
      (!(s->obs = malloc(sizeof *s->obs)) ||
       tf__obs_init(s->obs, cfg, nworkers, layout->role == TF_ROLE_SERIAL, tf__now()))) {
    tf__log(0, "out of memory for --stats / --trace / --timeline (try a smaller --trace-events)");
    return TF_ENOMEM;
  }
  int rc;
  if (s->obs) s->obs->layout = layout;
  tf__signals_install(layout->role == TF_ROLE_ROOT || layout->role == TF_ROLE_SERIAL, rank);
  if (owns_process) s->leave = leave_process;
  if (layout->role == TF_ROLE_SERIAL)
    rc = tf__serial_run(app, cfg, s);
  else if (layout->role == TF_ROLE_ROOT)
    rc = tf__root_run(dup, layout, app, cfg, s);
  else if (layout->role == TF_ROLE_RELAY)
    rc = tf__relay_run(dup, layout, app, cfg, s);
  else
    rc = tf__worker_run(dup, layout, app, cfg, s);
  tf__signals_restore();
  return rc;
}

/* Rank 0's account of a farm that ran: the summary, the status file (under
 * tf_main), then --stats, --trace and --timeline. */
static void report_farm(const tf_app *app, const tf_config *cfg, tf_run_stats *s,
                        const tf_layout *layout, int owns_process, int rc) {
  if (rc != TF_EUSAGE) print_summary(app, cfg, s, layout, rc); /* said why */
  if (owns_process && cfg->status_file) write_status_file(cfg->status_file, exit_status(rc));
  if (s->obs) {
    tf__obs_write(s->obs, cfg, app, s, rc); /* a file it cannot write is logged, not fatal */
    tf__obs_free(s->obs);
    free(s->obs);
  }
}

/* How the farm ended, from its statistics. */
static void note_end(farm_end *end, const tf_run_stats *s) {
  end->lost = s->lost;
  end->stuck_workers = s->stuck_workers;
  end->stuck = s->stuck;
  end->peer_lost = s->peer_lost;
  end->urgent = s->urgent;
  end->from_master = s->from_master;
}

/* tf_run, and how it ended. Under tf_main (owns_process), rank 0 writes the
 * status file right after the summary, before anything slower, and a
 * worker stuck in a task may end the process from its heartbeat thread. */
static int run_farm(MPI_Comm comm, const tf_app *app, const tf_config *cfg, int owns_process,
                    farm_end *end) {
  memset(end, 0, sizeof *end);
  if (cfg && cfg->join) return run_joined(comm, app, cfg, owns_process, end);
  int crank = 0;
  MPI_Comm_rank(comm, &crank);
  int rc = check_setup(app, cfg, crank);
  if (!rc && cfg->accept_workers) rc = check_accept(comm, app, crank);
  if (rc) return rc;
  MPI_Comm dup;
  if (MPI_Comm_dup(comm, &dup) != MPI_SUCCESS) {
    tf__log(crank, "tf_run: MPI_Comm_dup failed");
    return TF_EMPI;
  }
  MPI_Comm_set_errhandler(dup, MPI_ERRORS_RETURN);
  int rank, size;
  MPI_Comm_rank(dup, &rank);
  MPI_Comm_size(dup, &size);
  tf_layout layout;
  rc = lay_out_farm(dup, cfg, rank, size, &layout);
  if (rc || cfg->info) {
    if (!rc) tf__layout_free(&layout);
    MPI_Comm_free(&dup);
    return rc;
  }
  tf_run_stats s;
  memset(&s, 0, sizeof s);
  rc = run_role(dup, &layout, app, cfg, owns_process, rank, &s);
  if (rank == 0) report_farm(app, cfg, &s, &layout, owns_process, rc);
  note_end(end, &s);
  tf__stats_free_workers(&s);
  tf__layout_free(&layout);
  if (!end->stuck && !end->urgent) MPI_Comm_free(&dup);
  return rc;
}

int tf_run_ex(MPI_Comm comm, const tf_app *app, const tf_config *cfg, tf_run_report *report) {
  farm_end end;
  tf__stop_reset(); /* a signal from before this farm is not for it */
  int rc = run_farm(comm, app, cfg, 0, &end);
  /* A worker left in a task that hangs says goodbye from its heartbeat
   * thread, but only tf_main's workers then end their process: here it never
   * returns from tf_run. */
  int stuck = end.stuck || end.stuck_workers > 0;
  if (report)
    *report = (tf_run_report){
        .lost = end.lost, .stuck = stuck, .finalize_unsafe = stuck || end.peer_lost};
  return rc;
}

int tf_run(MPI_Comm comm, const tf_app *app, const tf_config *cfg) {
  return tf_run_ex(comm, app, cfg, NULL);
}

/* --status-file: the exit status, written whole (tf_output_*: a new file with
 * a unique name renamed over the old) so that a batch script never reads half
 * of it. */
static void write_status_file(const char *path, int status) {
  tf_output out;
  char err[600];
  if (tf_output_open(path, &out, err, sizeof err) == 0) {
    fprintf(out.file, "%d\n", status);
    if (tf_output_commit(&out, err, sizeof err) == 0) return;
  }
  tf__log(0, "--status-file %s", err);
}

/* Every file rank 0 writes at the end can be made: said at the start, not
 * after hours of work. Rank 0 checks, every rank learns the verdict. */
static int outputs_ok(const tf_app *app, const tf_config *cfg, const char *name, int rank) {
  int ok = 1;
  if (rank == 0) {
    char err[700];
    ok = tf__check_outputs(app, cfg, err, sizeof err) == 0;
    if (!ok) fprintf(stderr, "%s: %s\n", name, err);
  }
  MPI_Bcast(&ok, 1, MPI_INT, 0, MPI_COMM_WORLD);
  return ok;
}

/* --status-file's value, looked up by hand in a command line that did not
 * parse. */
static const char *status_file_arg(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    if (!strncmp(argv[i], "--status-file=", 14) && argv[i][14]) return argv[i] + 14;
    if (!strcmp(argv[i], "--status-file") && i + 1 < argc) return argv[i + 1];
  }
  return NULL;
}

static int exit_status(int rc) {
  return rc == 0              ? TF_EXIT_OK
         : rc == TF_ESTOPPED ? TF_EXIT_STOPPED
         : rc == TF_EUSAGE   ? TF_EXIT_USAGE
                             : TF_EXIT_FAILED;
}

/* Wait until every rank is here, with the idle strategy of the ranks
 * (MPI_Barrier would spin). */
static void end_barrier(void) {
  MPI_Request req;
  if (MPI_Ibarrier(MPI_COMM_WORLD, &req) != MPI_SUCCESS) return;
  tf_idle idle;
  tf__idle_init(&idle, TF_IDLE_BACKOFF);
  for (;;) {
    int done = 0;
    if (MPI_Test(&req, &done, MPI_STATUS_IGNORE) != MPI_SUCCESS || done) return;
    tf__idle_wait(&idle);
  }
}

/* The end of a process that ran a farm: every rank waits until rank 0 has
 * written everything (the summary, the status file, master_fini's output),
 * so that no rank's exit makes mpirun kill rank 0 midway; then
 * MPI_Finalize, with a deadline after a lost peer (it can wait forever on
 * a dead connection; the results are safe by now). */
static void end_process(int status, int peer_lost, int rank) {
  tf__finalize_deadline(peer_lost ? 3 : 300, status, rank);
  if (!peer_lost) end_barrier();
  MPI_Finalize();
  tf__finalize_done();
}

/* A worker stuck in a task ends its process this way, from its heartbeat
 * thread, after its goodbye (s.leave). */
static void leave_process(int status, int peer_lost) {
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  end_process(status, peer_lost, rank);
  _exit(status);
}

/* Whether the launcher made this process rank 0 (or says nothing). */
static int launched_as_rank0(void) {
  static const char *const vars[] = {"OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK"};
  for (int i = 0; i < 3; i++) {
    const char *v = getenv(vars[i]);
    if (v && *v) return !strcmp(v, "0");
  }
  return 1;
}

/* Open MPI 4.1 relays a rank's warnings (its show_help messages) to mpirun,
 * whose handler copies each from a buffer that another of its threads may
 * already have freed: mpirun's memory is corrupted (show_help.c's "Data
 * unpack would read past end of buffer"), and at times it crashes, taking the
 * farm with it. In a farm that grows, a joined job that dies makes the farm's
 * ranks print such warnings (a peer that hung up, a TCP connect that failed;
 * docs/CLUSTER.md, "Limits"). So there, unless the user chose otherwise,
 * Open MPI prints none of its help messages in the farm's ranks: neither the
 * warnings nor MPI_Abort's banner, the text of a fatal MPI error or why
 * MPI_Init failed (mpirun's own messages stay). taskfarm names lost ranks,
 * and says why it aborts, in its own words. A joined job's ranks keep their
 * messages: its mpirun matters only as long as the job lives. MPI_Init reads
 * the variable; after it the variable goes, so that the commands an app
 * starts do not inherit it. Whether it was set here. */
static int quiet_ompi_warnings(const tf_config *cfg) {
  if (!cfg->accept_workers || getenv("OMPI_MCA_orte_execute_quiet")) return 0;
  return setenv("OMPI_MCA_orte_execute_quiet", "1", 1) == 0;
}

int tf_main(int argc, char **argv, const tf_app *app) {
  /* The command line first: it says whether workers need heartbeats, and
   * with them MPI_THREAD_SERIALIZED (a worker's heartbeat thread sends while
   * execute runs), which costs Open MPI about a quarter of its message rate. */
  /* A stop signal that comes while MPI starts is noted, not fatal. */
  tf__signals_early();
  const char *name = app && app->name ? app->name : (argc > 0 ? argv[0] : "taskfarm");
  tf_config cfg;
  tf_config_defaults(&cfg);
  char err[256];
  int rc = app ? tf_parse_args(argc, argv, app, &cfg, err, sizeof err) : TF_EINVAL;
  int level = rc == 0 && tf__heartbeats_wanted(&cfg) ? MPI_THREAD_SERIALIZED : MPI_THREAD_SINGLE;
  /* Accepting jobs of workers takes a thread of rank 0's of its own, which
   * needs MPI_THREAD_MULTIPLE: there only (the launcher says which rank this
   * process is before MPI does). */
  if (rc == 0 && cfg.accept_workers && launched_as_rank0()) level = MPI_THREAD_MULTIPLE;
  int quieted = rc == 0 && quiet_ompi_warnings(&cfg);
  int provided = 0;
  if (MPI_Init_thread(&argc, &argv, level, &provided) != MPI_SUCCESS) {
    fprintf(stderr, "taskfarm: MPI_Init failed\n");
    return TF_EXIT_FAILED;
  }
  if (quieted) unsetenv("OMPI_MCA_orte_execute_quiet");
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (level > MPI_THREAD_SINGLE && provided < level && rank == 0)
    tf__log(0,
            "MPI gives no MPI_THREAD_SERIALIZED: no heartbeats, no worker will be declared lost");
  if (rc == TF_EHELP) {
    if (rank == 0) {
      if (!strcmp(err, "help"))
        tf_print_help(app);
      else
        printf("%s (taskfarm %s)\n", name, TF_VERSION_STRING);
    }
    MPI_Finalize();
    return TF_EXIT_OK;
  }
  if (rc) {
    int status = rc == TF_EUSAGE ? TF_EXIT_USAGE : TF_EXIT_FAILED;
    if (rank == 0) {
      if (rc == TF_EUSAGE)
        fprintf(stderr, "%s: %s\nTry '%s --help'.\n", name, err, name);
      else
        fprintf(stderr, "%s: %s\n", name, tf_strerror(rc));
      /* A batch script under mpirun --enable-recovery learns the status
       * only from --status-file, also when the command line was wrong. */
      const char *sf = status_file_arg(argc, argv);
      if (sf) write_status_file(sf, status);
    }
    MPI_Finalize();
    return status;
  }
  if (!outputs_ok(app, &cfg, name, rank)) {
    char err[8];
    if (rank == 0 && cfg.status_file && !tf_output_check(cfg.status_file, err, sizeof err))
      write_status_file(cfg.status_file, TF_EXIT_USAGE);
    MPI_Finalize();
    return TF_EXIT_USAGE;
  }
  farm_end end;
  rc = run_farm(MPI_COMM_WORLD, app, &cfg, 1, &end);
  tf__signals_ignore_stops(); /* the run is over: a late stop signal must not kill the rank */
  int status = exit_status(rc), verdict = status;
  /* The run's outcome is rank 0's to report: a worker that exited with it
   * before rank 0 had written everything would make mpirun kill rank 0. */
  if (rank != 0 && end.from_master) status = TF_EXIT_OK;
  fflush(NULL);
  if (end.urgent) _exit(status); /* mpirun kills every rank in a second: nothing to wait for */
  /* A worker never stopped; finalize would hang. A relay aborts too, with
   * the verdict STOP brought: its abort and rank 0's race, and mpirun may
   * report either. */
  if (end.stuck) MPI_Abort(MPI_COMM_WORLD, verdict);
  end_process(status, end.peer_lost, rank);
  return status;
}
