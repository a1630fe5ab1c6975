/* options_table.c - the common options every program has: a row each, in
 * groups, bound to the config and to the values checked last (options.c
 * finish_config). */
#include "options_int.h"

#include <string.h>

/* One row of an option table. */
static tf_option option(const char *name, tf_opt_type type, void *dest, const char *argname,
                        const char *help, double min, double max) {
  return (tf_option){name, type, dest, argname, help, min, max};
}

/* What the program says about itself: --help and --version. */
static void program_options(tf_option *t, common_vals *v) {
  t[OPT_HELP] = option("help", TF_OPT_FLAG, &v->help, NULL, "print this help and exit", 0, 0);
  t[OPT_VERSION] =
      option("version", TF_OPT_FLAG, &v->version, NULL, "print the version and exit", 0, 0);
}

/* How tasks go out to the workers, and how idle ranks wait. */
static void schedule_options(tf_option *t, common_vals *v) {
  t[OPT_SCHEDULE] = option("schedule", TF_OPT_STRING, &v->schedule, "NAME",
                           "static, dynamic, guided or adaptive (default adaptive)", 0, 0);
  t[OPT_CHUNK] =
      option("chunk", TF_OPT_INT, &v->chunk, "N",
             "tasks per message for dynamic, smallest for guided (default 1)", 1, TF_MAX_PREFETCH);
  t[OPT_PREFETCH] = option("prefetch", TF_OPT_INT, &v->prefetch, "N",
                           "most tasks a worker holds at once (default 4096)", 1, TF_MAX_PREFETCH);
  t[OPT_IDLE] = option("idle", TF_OPT_STRING, &v->idle, "MODE",
                       "backoff, spin or sleep: how idle ranks wait (default backoff)", 0, 0);
}

/* How often a failed task is tried again, and whether the run goes on after one fails for
 * good. */
static void failure_options(tf_option *t, common_vals *v) {
  t[OPT_RETRIES] =
      option("retries", TF_OPT_INT, &v->retries, "N",
             "run a failed task again up to N times, elsewhere if possible (default 0)", 0, 1000);
  t[OPT_KEEP_GOING] =
      option("keep-going", TF_OPT_FLAG, &v->keep_going, NULL,
             "go on after a task fails for good; exit 1 at the end (default)", 0, 0);
  t[OPT_FAIL_FAST] = option("fail-fast", TF_OPT_FLAG, &v->fail_fast, NULL,
                            "stop at the first task that fails for good", 0, 0);
}

/* How large a task or result may be, and how many bytes may be on the way. */
static void size_options(tf_option *t, tf_config *cfg) {
  t[OPT_MAX_PAYLOAD] =
      option("max-payload", TF_OPT_SIZE, &cfg->max_payload, "BYTES",
             "largest task or result, K/M/G suffixes (default 8M)", 1, TF_MAX_PAYLOAD_LIMIT);
  t[OPT_MAX_IN_FLIGHT] = option("max-in-flight", TF_OPT_SIZE, &cfg->max_in_flight, "BYTES",
                                "bytes of results (and of tasks) on the way at once, shared by the "
                                "workers (default 64M)",
                                64 << 10, 1ull << 40);
}

/* How much the run says on stderr at its end (or at its start, --info). */
static void summary_options(tf_option *t, tf_config *cfg) {
  t[OPT_QUIET] = option("quiet", TF_OPT_FLAG, &cfg->quiet, NULL, "print no run summary", 0, 0);
  t[OPT_VERBOSE] = option("verbose", TF_OPT_FLAG, &cfg->verbose, NULL,
                          "print where ranks run and per-worker statistics", 0, 0);
  t[OPT_INFO] = option("info", TF_OPT_FLAG, &cfg->info, NULL,
                       "print the nodes, ranks and cores of this run, and exit", 0, 0);
}

/* The shape of the farm: relays, and jobs of workers that join it. */
static void shape_options(tf_option *t, tf_config *cfg, common_vals *v) {
  t[OPT_RELAYS] = option("relays", TF_OPT_STRING, &v->relays, "MODE",
                         "off, node (a relay per node), auto, or K (a relay for every K ranks); "
                         "default auto: node on 2+ nodes and 1024+ ranks, else off; "
                         "TASKFARM_RELAYS sets the default",
                         0, 0);
  t[OPT_ACCEPT_WORKERS] = option("accept-workers", TF_OPT_FLAG, &cfg->accept_workers, NULL,
                                 "let jobs of workers join while the farm runs (--join; needs "
                                 "mpirun --ompi-server: docs/CLUSTER.md)",
                                 0, 0);
  t[OPT_SERVICE] = option("service", TF_OPT_STRING, &cfg->service, "NAME",
                          "the name jobs join this farm by (default: APP-JOBID under Slurm or PBS, "
                          "else APP)",
                          0, 0);
  t[OPT_JOIN] =
      option("join", TF_OPT_STRING, &cfg->join, "NAME",
             "run this job's ranks as workers of the running farm that accepts workers as "
             "NAME (same app and app options)",
             0, 0);
  t[OPT_LEAVE_AFTER] = option("leave-after", TF_OPT_DOUBLE, &cfg->leave_after, "SECONDS",
                              "with --join: leave the farm after this long, handing back the tasks "
                              "not started (SIGUSR1 or SIGTERM to the job: at once)",
                              0.001, 1e9);
}

/* The journal, which a later run can --resume from. */
static void journal_options(tf_option *t, tf_config *cfg) {
  t[OPT_JOURNAL] = option("journal", TF_OPT_STRING, &cfg->journal, "FILE",
                          "append every finished result to FILE (see --resume)", 0, 0);
  t[OPT_RESUME] = option("resume", TF_OPT_FLAG, &cfg->resume, NULL,
                         "continue from the --journal FILE: run only what it lacks", 0, 0);
  t[OPT_JOURNAL_SYNC] =
      option("journal-sync", TF_OPT_DOUBLE, &cfg->journal_sync, "SECONDS",
             "sync the journal to disk this often; 0: every write (default 1)", 0, 3600);
}

/* Slow tasks, silent workers, how long a stop waits for the tasks in flight, and the exit
 * status in a file for when mpirun does not pass it on. */
static void timeout_options(tf_option *t, tf_config *cfg) {
  t[OPT_TASK_TIMEOUT] =
      option("task-timeout", TF_OPT_DOUBLE, &cfg->task_timeout, "SECONDS",
             "run a task that takes longer on another worker too (default 0: off)", 0, 1e9);
  t[OPT_WORKER_TIMEOUT] =
      option("worker-timeout", TF_OPT_DOUBLE, &cfg->worker_timeout, "SECONDS",
             "a worker silent this long is lost (turns heartbeats on; default 30 "
             "under mpirun --enable-recovery or with --task-timeout, else off)",
             0.5, 1e9);
  t[OPT_DRAIN] = option(
      "drain", TF_OPT_DOUBLE, &cfg->drain, "SECONDS",
      "after SIGUSR1 (or SIGTERM but from mpirun), wait this long for tasks in flight (default 20)",
      0, 1e9);
  t[OPT_STATUS_FILE] = option("status-file", TF_OPT_STRING, &cfg->status_file, "FILE",
                              "write the exit status to FILE (mpirun --enable-recovery exits 0 "
                              "whatever the ranks return)",
                              0, 0);
}

/* What the run reports while it runs and after: progress, statistics, traces. */
static void report_options(tf_option *t, tf_config *cfg, common_vals *v) {
  t[OPT_PROGRESS] = option("progress", TF_OPT_STRING, &v->progress, "MODE",
                           "auto, bar, line or none: progress on stderr (default auto: a bar on a "
                           "terminal, else a line every 10 s)",
                           0, 0);
  t[OPT_PROGRESS_EVERY] = option("progress-every", TF_OPT_DOUBLE, &cfg->progress_every, "SECONDS",
                                 "seconds between progress lines (default 10)", 0.01, 1e6);
  t[OPT_STATS] = option("stats", TF_OPT_STRING, &cfg->stats_file, "FILE",
                        "write run statistics as JSON to FILE", 0, 0);
  t[OPT_TRACE] = option("trace", TF_OPT_STRING, &cfg->trace_file, "FILE",
                        "write a Chrome trace-event JSON of the run to FILE (Perfetto)", 0, 0);
  t[OPT_TIMELINE] = option("timeline", TF_OPT_STRING, &cfg->timeline_file, "FILE",
                           "write an SVG Gantt chart of the tasks on each worker to FILE", 0, 0);
  t[OPT_TRACE_EVENTS] =
      option("trace-events", TF_OPT_SIZE, &cfg->trace_events, "N",
             "events each rank records at most for --trace/--timeline (default 1M)", 1, 1e9);
}

/* The common options, a group at a time; --help shows them in the OPT_ order. A row that no
 * group sets stays zero, which ends the table there: --help shows the gap. */
void tf__options_common_table(tf_option t[OPT_NCOMMON + 1], tf_config *cfg, common_vals *v) {
  memset(t, 0, (OPT_NCOMMON + 1) * sizeof *t);
  program_options(t, v);
  schedule_options(t, v);
  failure_options(t, v);
  size_options(t, cfg);
  summary_options(t, cfg);
  shape_options(t, cfg, v);
  journal_options(t, cfg);
  timeout_options(t, cfg);
  report_options(t, cfg, v);
  t[OPT_NCOMMON] = (tf_option)TF_OPTIONS_END;
}

