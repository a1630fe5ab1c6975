/* taskfarm.h - the whole public API of libtaskfarm: task farming over MPI.
 *
 * An app fills a tf_app with callbacks and hands it to tf_main() (or tf_run()
 * inside a program that already uses MPI). Rank 0 becomes the master, every
 * other rank a worker; with one rank, master and worker share the process.
 * Every public name starts with tf_ (functions, types) or TF_ (constants).
 */
#ifndef TASKFARM_H
#define TASKFARM_H

#include <mpi.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(TF_BUILDING_LIBRARY) && defined(__GNUC__)
#define TF_EXPORT __attribute__((visibility("default")))
#else
#define TF_EXPORT
#endif

#define TF_VERSION_STRING "0.1.0"
#define TF_VERSION_MAJOR 0
#define TF_VERSION_MINOR 1
#define TF_VERSION_PATCH 0

/* ---- Error codes: 0 is success, every error is negative. ---- */
enum {
  TF_OK = 0,
  TF_EINVAL = -1,  /* an argument is out of range or NULL */
  TF_ENOMEM = -2,  /* out of memory */
  TF_ETOOBIG = -3, /* a payload is larger than the configured limit */
  TF_EPROTO = -4,  /* a malformed, truncated or unexpected message */
  TF_EMPI = -5,    /* an MPI call returned an error */
  TF_EAPP = -6,    /* an app callback reported failure */
  TF_EUSAGE = -7,  /* bad command line */
  TF_ESTATE = -8,  /* the call is not allowed in this context */
  TF_EHELP = -9,   /* --help or --version was given and answered */
  TF_ESTOPPED = -10, /* stopped early by a signal (SIGUSR1, SIGTERM); resumable */
  TF_EJOURNAL = -11, /* the journal could not be read, written or trusted */
  TF_EIO = -12,      /* a file could not be made, written or renamed */
};

/* A short, static, human-readable description of an error code. */
TF_EXPORT const char *tf_strerror(int code);

/* Exit statuses returned by tf_main(). */
enum {
  TF_EXIT_OK = 0,     /* the run finished and every task succeeded */
  TF_EXIT_FAILED = 1, /* the run failed; the reason was printed */
  TF_EXIT_USAGE = 2,  /* bad command line; the reason was printed */
  TF_EXIT_STOPPED = 75, /* stopped by SIGUSR1/SIGTERM before the end; what was
                           finished is in the journal: run again with --resume */
};

/* Return values of the generate callback. */
enum {
  TF_GEN_DONE = 0, /* no more tasks will come from generate */
  TF_GEN_MORE = 1, /* call generate again when the master wants more */
};

/* Limits. */
#define TF_DEFAULT_MAX_PAYLOAD (8u << 20) /* bytes per task or result */
#define TF_MAX_PAYLOAD_LIMIT (1u << 30)   /* the largest --max-payload */
#define TF_DEFAULT_MAX_IN_FLIGHT (64u << 20) /* bytes of results on the way to the master (--max-in-flight) */
#define TF_DEFAULT_PREFETCH 4096          /* most tasks a worker holds (--prefetch) */
#define TF_MAX_PREFETCH 65535

/* Task ids. Tasks submitted by generate are numbered 0, 1, 2, ... in
 * submission order. A task submitted by execute gets an id derived from its
 * parent's id and its index among that parent's children, with the top bit
 * set; both are the same on every run and every rank count. */
typedef uint64_t tf_id;
#define TF_ID_SPAWNED (UINT64_C(1) << 63)

/* A task or a result as a callback sees it. The data is borrowed: it is
 * valid only during the callback; copy what you keep. It is 8-byte aligned.
 * The children one task submits may hold at most 512 MiB in all. */
typedef struct tf_task {
  tf_id id;
  int32_t priority;
  uint32_t attempt; /* 0 the first time a task runs, then 1, 2, ... (--retries) */
  const void *data;
  size_t size;
} tf_task;

/* A task given up on for good, as tf_app.failed sees it (valid during the call). */
typedef struct tf_failure {
  tf_id id;
  uint32_t attempts;   /* its runs, all failed or lost (1 + --retries when each run failed) */
  int status;          /* what execute returned on the last run (cmdfarm: the command's exit
                          status, 128 + N for signal N); 0 when no run ended (lost, stuck) */
  int rank;            /* the rank of the worker of the last run; 0 in a one-rank farm */
  int lost;            /* 1: its workers were lost running it, or it hung (--task-timeout) */
  const char *message; /* why, as the library logged it: the worker's tf_* error or "execute
                          returned N", or what happened to the workers */
  const void *data;    /* the task's payload (NULL when the run that hung still holds it) */
  size_t size;
  const void *result;  /* what the last run gave with tf_result before it failed (apps/cmdfarm:
                          the failed command's output); NULL when nothing, or no run ended */
  size_t result_size;
} tf_failure;

/* The context handle passed to every callback. It carries the operations
 * allowed there (tf_submit, tf_result, ...). Opaque. */
typedef struct tf_handle tf_handle;

/* ---- App options: parsed by the library, listed in the one --help. ---- */
typedef enum tf_opt_type {
  TF_OPT_END = 0, /* terminates an option table */
  TF_OPT_FLAG,    /* int: set to 1 when present, takes no value */
  TF_OPT_INT,     /* long long, decimal, range [min, max] */
  TF_OPT_SIZE,    /* uint64_t, decimal with optional K, M, G suffix (1024) */
  TF_OPT_DOUBLE,  /* double, range [min, max] */
  TF_OPT_STRING,  /* const char *, points into argv */
} tf_opt_type;

/* Flags OR-ed into an option's type, e.g. {"csv", TF_OPT_STRING | TF_OPT_OUTPUT, ...}.
 * TF_OPT_NOT_JOURNALED: left out of the journal's fingerprint, for an option that changes no
 * result (a timeout, a report's name), so that a resumed run may change it.
 * TF_OPT_OUTPUT (STRING): a file rank 0 writes at the end (with tf_output_*); tf_main checks
 * that it can be made before the run starts (exit status 2 when not); "" means none. Not
 * journaled either. TF_OPT_TYPE_MASK takes the flags off again. */
#define TF_OPT_NOT_JOURNALED 0x100u
#define TF_OPT_OUTPUT 0x200u
#define TF_OPT_TYPE_MASK 0xffu
/* TF_OPT_REPEAT (STRING): the option may be given many times (--root A --root B); dest is a
 * tf_strings, which holds the defaults until the option is given, and then every value given,
 * in order. The array is the library's and lives until the program ends. */
#define TF_OPT_REPEAT 0x400u
/* TF_OPT_SHORT('k'): the option may also be written -k (a flag) or -k VALUE; for app options. */
#define TF_OPT_SHORT(c) ((unsigned)(unsigned char)(c) << 16)
#define TF_OPT_SHORT_OF(type) ((int)(((unsigned)(type) >> 16) & 0xffu))
typedef struct tf_strings {
  int count;
  const char *const *values;
} tf_strings;

typedef struct tf_option {
  const char *name; /* long name without the leading "--" */
  tf_opt_type type; /* with TF_OPT_NOT_JOURNALED or TF_OPT_OUTPUT OR-ed in, if any */
  void *dest;          /* where the value goes; holds the default already */
  const char *argname; /* placeholder in --help, e.g. "N" */
  const char *help;    /* one line */
  double min, max;     /* range for INT, SIZE and DOUBLE; both 0 = any */
} tf_option;

#define TF_OPTIONS_END                                                                             \
  { NULL, TF_OPT_END, NULL, NULL, NULL, 0, 0 }

/* ---- Run configuration: the common options. ---- */
/* Scheduling policies (--schedule): how many tasks go to a worker at once. */
typedef enum tf_schedule {
  TF_SCHEDULE_STATIC,   /* equal shares fixed in advance: the baseline */
  TF_SCHEDULE_DYNAMIC,  /* a fixed chunk (--chunk) to whichever worker asks */
  TF_SCHEDULE_GUIDED,   /* chunks shrink with the work left, down to --chunk */
  TF_SCHEDULE_ADAPTIVE, /* chosen from measured task and message times (default) */
} tf_schedule;

/* What an idle rank does while it waits (--idle). */
typedef enum tf_idle_mode {
  TF_IDLE_BACKOFF, /* poll for 5 ms (spinning for the first 20 us on a core of its own, then
                      yielding the core); then sleep in short naps (default) */
  TF_IDLE_SPIN,    /* poll without pause: dedicated cores only */
  TF_IDLE_SLEEP,   /* nap at once (but for one poll straight after work), 20 to 500 us: more
                      ranks than cores */
} tf_idle_mode;

/* Progress on stderr (--progress). */
typedef enum tf_progress_mode {
  TF_PROGRESS_AUTO, /* a bar when stderr is a terminal, else a line every few seconds (default) */
  TF_PROGRESS_BAR,  /* a bar redrawn in place */
  TF_PROGRESS_LINE, /* a plain line every --progress-every seconds */
  TF_PROGRESS_NONE, /* nothing */
} tf_progress_mode;
#define TF_DEFAULT_PROGRESS_EVERY 10.0 /* seconds between progress lines */

/* --relays: which ranks a relay serves (docs/CLUSTER.md). */
#define TF_RELAYS_OFF 0   /* one root serves every worker */
#define TF_RELAYS_NODE -1 /* one relay per node but the root's: the node's lowest rank */
#define TF_RELAYS_AUTO -2 /* node relays on 2+ nodes and TF_RELAYS_AUTO_RANKS+ ranks, else off */
#define TF_RELAYS_AUTO_RANKS 1024
#define TF_RELAYS_MAX 1000000

typedef struct tf_config {
  int schedule;         /* a tf_schedule (--schedule) */
  int chunk;            /* dynamic's chunk, guided's smallest (--chunk) */
  int idle;             /* a tf_idle_mode (--idle) */
  int prefetch;         /* most tasks a worker holds at once (--prefetch) */
  int retries;          /* times a failed task is run again, elsewhere if possible (--retries) */
  int fail_fast;        /* stop at the first task that fails for good (--fail-fast) */
  uint64_t max_payload; /* largest task or result in bytes (--max-payload) */
  uint64_t max_in_flight; /* bytes of results (and of tasks) on the way at once; each worker
                             gets an equal share (--max-in-flight) */
  int quiet;            /* no summary (--quiet) */
  int verbose;          /* per-worker statistics and where ranks run (--verbose) */
  int info;             /* print where every rank runs, and run nothing (--info) */
  int relays;           /* TF_RELAYS_OFF, _NODE, _AUTO, or K >= 2: a relay for every K
                           consecutive ranks (--relays; docs/CLUSTER.md) */
  /* Growing a farm (docs/CLUSTER.md, "Growing a farm"): under mpirun --ompi-server. */
  int accept_workers;   /* jobs of workers may join while it runs (--accept-workers) */
  const char *service;  /* the name they join by (--service); NULL: APP-JOBID, or APP */
  const char *join;     /* run this job's ranks as workers of the farm of that name (--join) */
  double leave_after;   /* a joined job leaves after this many seconds; 0: never (--leave-after) */
  /* Faults (docs/FAULTS.md). */
  const char *journal;   /* file of finished results, or NULL (--journal) */
  int resume;            /* continue from the journal (--resume) */
  double journal_sync;   /* seconds between syncs of the journal to disk (--journal-sync) */
  double task_timeout;   /* a task running longer is run elsewhere too; 0: never (--task-timeout) */
  double worker_timeout; /* a worker silent this long is lost; 0: see docs/FAULTS.md (--worker-timeout) */
  double drain;          /* seconds to wait for tasks in flight after a stop signal (--drain) */
  const char *status_file; /* tf_main writes its exit status here (--status-file) */
  /* Observability (docs/OBSERVABILITY.md); the files are written by rank 0. */
  int progress;              /* a tf_progress_mode (--progress) */
  double progress_every;     /* seconds between progress lines; 0: the default (--progress-every) */
  const char *stats_file;    /* run statistics as JSON, or NULL (--stats) */
  const char *trace_file;    /* Chrome trace-event JSON, or NULL (--trace) */
  const char *timeline_file; /* SVG Gantt chart, or NULL (--timeline) */
  uint64_t trace_events;     /* events each rank records at most (--trace-events) */
  /* Who wrote a journal (set by tf_parse_args; a journal from other options
   * is refused): a hash of the app's name, the parsed value of every app
   * option in table order, defaults included, except those marked
   * TF_OPT_NOT_JOURNALED or TF_OPT_OUTPUT, and app->journal_key; so
   * --n 300000000, --n 3e8, leaving out a default and another order are one
   * run. args: the same as text, for messages (--n=300000000 --x=0.5 ...). */
  uint64_t fingerprint;
  char args[512];
  /* The operands (tf_app.operands), in the order given; set by tf_parse_args, pointing into
   * its argv, where they were moved to the end (see tf_parse_args). */
  int noperands;
  char *const *operands;
} tf_config;

/* ---- The app. ---- */
typedef struct tf_app {
  const char *name;         /* program name for --help and messages */
  const char *summary;      /* one paragraph for --help */
  void *ctx;                /* passed to every callback */
  const tf_option *options; /* app options, ends with TF_OPTIONS_END; may be NULL */

  /* Every rank, after the command line is parsed: check the app's options as
   * a whole (say, xmin < xmax, or a task size against cfg->max_payload).
   * Return 0, or non-zero with a message in err (err_size bytes); the
   * program then exits with status 2. Optional. */
  int (*check_options)(void *ctx, const tf_config *cfg, char *err, size_t err_size);

  /* Master: submit the next task(s) with tf_submit(); return TF_GEN_MORE
   * when more will come, TF_GEN_DONE when there are no more, or a negative
   * error. Called lazily, only while the master's queue is short, so the
   * app can describe 10^9 tasks without holding them. NULL: no tasks. */
  int (*generate)(tf_handle *h, void *ctx);

  /* Worker: run one task; give the result with tf_result() (none means an
   * empty result); may submit child tasks with tf_submit(). Return 0 on
   * success, non-zero if the task failed: it is then run again up to
   * --retries times (task->attempt counts), on another worker when there is
   * one, and after that reported with its id; the run goes on
   * (--keep-going, the default) or stops (--fail-fast), and exits 1. A
   * failed task's children are discarded. Required. */
  int (*execute)(tf_handle *h, const tf_task *task, void *ctx);

  /* Master: receive one result; result->id is the task's id. Results
   * arrive in any order, each exactly once. With --resume, collect first
   * sees every result read back from the journal, before generate is
   * called: set up what it needs on first use. It may submit follow-up tasks
   * (tf_submit, here and in failed): their ids derive from result->id and
   * their order, as children's from their parent's; they are not journaled
   * but submitted again when --resume replays the result, and run unless the
   * journal holds their results. Return 0, or non-zero to fail the run. */
  int (*collect)(tf_handle *h, const tf_task *result, void *ctx);

  /* Master: a task was given up on for good (its runs failed --retries + 1 times, or the
   * workers running it were lost or stuck in it); after the library's own log line, before
   * the run goes on (or stops, under --fail-fast). Failed tasks are not journaled: --resume
   * runs them again, and failed sees them again if they fail again. Return 0, or non-zero to
   * fail the run. Optional. Here and in collect, tf_stop ends the run early on the app's own
   * terms (after N failures, or once a result is good enough: GNU parallel's --halt). */
  int (*failed)(tf_handle *h, const tf_failure *failure, void *ctx);

  /* Master: after the last result, when every task has run (not after a
   * stop signal or --fail-fast: see master_fini). Return 0, or non-zero to
   * fail the run. */
  int (*finish)(tf_handle *h, void *ctx);

  /* Worker: once before the first task, and once after the last (only if
   * worker_init succeeded). worker_fini runs after the worker has told the
   * master it is done, so a slow one never holds the master up; its failure
   * is reported by that rank, whose tf_run then returns TF_EAPP. Optional. */
  int (*worker_init)(tf_handle *h, void *ctx);
  int (*worker_fini)(tf_handle *h, void *ctx);

  /* Master (and a one-rank farm): master_init once before anything else the
   * master does (before --resume feeds the journal to collect, before the
   * first generate); master_fini once at the very end, if master_init
   * succeeded, however the run ended: after finish, but also after a stop
   * signal, --fail-fast or a failure, when finish does not run. By then the
   * journal is flushed and closed, so what master_fini writes can be partial
   * output of a run that --resume completes later; tf_run_status() tells
   * how the run ended. Return 0, or non-zero to fail the run. Optional. */
  int (*master_init)(tf_handle *h, void *ctx);
  int (*master_fini)(tf_handle *h, void *ctx);

  /* Optional text the journal's fingerprint covers besides the app's
   * options: what the results depend on that no journaled option holds.
   * apps/cmdfarm puts a digest of its command file here, so that the same
   * file under another name resumes its journal and an edited one is
   * refused. Set it before tf_main (or tf_parse_args), or in check_options (it is read
   * after); shown in messages. */
  const char *journal_key;

  /* Positional operands: the arguments that are not options (and all those after "--").
   * operands names them in --help's usage line, e.g. "ROOT..." or "FILE"; NULL: the app takes
   * none, and one is an error. Their count must lie in [min_operands, max_operands]
   * (max_operands TF_OPERANDS_ANY: no bound), or the command line is refused naming them.
   * Every rank reads them with tf_operand_count and tf_operand, in any callback (or from
   * cfg->operands in check_options). They are journaled, part of the journal's fingerprint in
   * order, unless operand_flags has TF_OPT_NOT_JOURNALED (apps/cmdfarm: its FILE's bytes are
   * journaled through journal_key, not its name). With TF_OPERANDS_END_OPTIONS in operand_flags
   * the first operand ends the options, as for env(1) or GNU parallel: what follows is a command
   * line, "-n" and all. */
  const char *operands;
  int min_operands, max_operands;
  unsigned operand_flags;

  /* Non-zero: collect sees the results of generate's tasks in id order (the order they were
   * submitted in), as Executor.map returns them: a result that comes early waits on the master
   * for its turn, and a task given up on passes its turn (failed sees it). The master does not
   * generate more than 2 x workers x --prefetch + 64 ids past the result whose turn it is, so
   * at most that many results wait (lower --prefetch to hold fewer; --schedule static makes all
   * its tasks first and is not bounded so). Children's and follow-ups' results come as they
   * arrive, between these. On --resume the journal's results also come in id order; after a
   * stop, the results still waiting are collected in id order, gaps and all, before
   * master_fini. */
  int collect_in_order;

  /* Master (and a one-rank farm): a piece of the output of a task that still runs, as execute
   * sent it with tf_partial: piece->id is the task's id, piece->attempt its run, piece->data and
   * piece->size the piece (borrowed, as in collect). Pieces of one run come in the order they
   * were sent, before that run's collect or failed; in a one-rank farm partial is called from
   * inside tf_partial. Pieces are not journaled, and come at least once per run: a run that
   * later fails, is tried again, runs twice (--task-timeout) or is lost may have sent some, and
   * --resume replays only collect. tf_submit and tf_stop are not allowed here. Return 0, or
   * non-zero to fail the run. Optional: without it, tf_partial sends nothing. */
  int (*partial)(tf_handle *h, const tf_task *piece, void *ctx);
} tf_app;
#define TF_OPERANDS_ANY (-1)
#define TF_OPERANDS_END_OPTIONS 0x800u

/* Fill *cfg with the defaults. Local. */
TF_EXPORT void tf_config_defaults(tf_config *cfg);

/* Parse argv: the common options into *cfg, the app's options into their
 * dest, the operands into cfg->operands, then call app->check_options.
 * Options and operands may come in any order; on success argv is reordered
 * as GNU getopt does, the options (each with its value) first, then "--" if
 * it was given, then the operands in their order, so that parsing it again
 * gives the same. Prints nothing. Returns 0; TF_EHELP when --help or
 * --version was given (err then says "help" or "version"); TF_ENOMEM; or
 * TF_EUSAGE with a message in err (err_size bytes), leaving *cfg and argv
 * as they were. Local. */
TF_EXPORT int tf_parse_args(int argc, char **argv, const tf_app *app, tf_config *cfg, char *err,
                            size_t err_size);

/* Write the --help text for app to stdout. Local. */
TF_EXPORT void tf_print_help(const tf_app *app);

/* The whole program: MPI_Init, parse the command line, run the farm over
 * MPI_COMM_WORLD, print the summary, MPI_Finalize. Returns the exit status
 * (TF_EXIT_*). Collective over MPI_COMM_WORLD. */
TF_EXPORT int tf_main(int argc, char **argv, const tf_app *app);

/* Run one farm over comm (the library works on a duplicate of it) with the
 * given configuration. Rank 0 of comm is the master. MPI must be
 * initialised; with MPI_THREAD_SERIALIZED or more, workers send heartbeats
 * and a lost worker is detected (docs/FAULTS.md). While it runs, tf_run
 * handles SIGUSR1, SIGUSR2, SIGTERM (and SIGINT on rank 0) as a graceful
 * stop, and reports a crash inside execute; the previous handlers are put
 * back when it returns. Returns 0 or a negative TF_E* code, the same on every rank
 * except where a worker_fini failed (that rank returns TF_EAPP). Collective
 * over comm. */
TF_EXPORT int tf_run(MPI_Comm comm, const tf_app *app, const tf_config *cfg);

/* How a farm ended beyond tf_run's return value, for a program that goes on
 * using MPI after it. */
typedef struct tf_run_report {
  uint64_t lost; /* rank 0: workers declared lost (their tasks ran elsewhere) */
  int stuck;     /* rank 0: a worker did not stop (it hangs in a task that was
                    given up on, --task-timeout); it never returns from tf_run */
  int finalize_unsafe; /* this rank: MPI_Finalize may wait forever (a worker
                          is stuck, or a rank was lost): save what must be
                          kept, then end the job with MPI_Abort */
} tf_run_report;

/* tf_run, and how the farm ended in *report (NULL: not wanted). */
TF_EXPORT int tf_run_ex(MPI_Comm comm, const tf_app *app, const tf_config *cfg,
                        tf_run_report *report);

/* ---- Operations on the handle inside callbacks. Local. ---- */

/* Submit a task with priority 0: from generate (ids 0, 1, 2, ...), execute
 * (a child of the task) or, on the master, collect and failed (a follow-up
 * of that task). The data is copied. Returns 0, TF_ETOOBIG when size
 * exceeds max_payload, TF_ESTATE in any other callback. */
TF_EXPORT int tf_submit(tf_handle *h, const void *data, size_t size);

/* Submit with a priority: among the tasks the master has not yet sent out,
 * higher priorities go first, equal priorities in id order; a worker runs
 * the tasks it holds the same way (a task that arrives with a higher
 * priority than those it holds runs next, else arrival order). generate's
 * tasks are ordered only within the master's window (about 2 x workers x
 * prefetch + 64 of them): to run the costliest first, generate them first
 * (docs/WRITING-AN-APP.md, "Longest first"). */
TF_EXPORT int tf_submit_prio(tf_handle *h, const void *data, size_t size, int32_t priority);

/* Set the result of the task being executed (copied; a second call replaces
 * the first). Returns 0, TF_ETOOBIG, or TF_ESTATE outside execute. */
TF_EXPORT int tf_result(tf_handle *h, const void *data, size_t size);

/* From execute: send a piece of the running task's output to the master now, without waiting
 * for the task to end (the app's partial sees it there; a log line, a progress report). The
 * data is copied. It travels as results do, within the worker's share of --max-in-flight: when
 * the master has handed back no room, pieces wait on the worker, and once a frame's worth
 * (1 MiB) waits, tf_partial waits for room. Returns 0 (also when the app has no partial hook:
 * nothing is sent), TF_ETOOBIG when size exceeds max_payload, TF_ESTATE outside execute,
 * TF_ENOMEM, or TF_EMPI when the link to the master broke. Call it from execute's own thread. */
TF_EXPORT int tf_partial(tf_handle *h, const void *data, size_t size);

/* The id of the task being executed (execute) or of the last task
 * submitted (generate). */
TF_EXPORT tf_id tf_task_id(const tf_handle *h);

/* Rank of this process in the farm's communicator, number of workers, and
 * this worker's index in 0..workers-1 (-1 on the master; 0 in a one-rank
 * farm, where master and worker are one). */
TF_EXPORT int tf_rank(const tf_handle *h);
TF_EXPORT int tf_nworkers(const tf_handle *h);
TF_EXPORT int tf_worker_index(const tf_handle *h);

/* From generate: the app will submit `total` tasks in all (children not
 * counted). A hint that lets the schedule shrink chunks towards the end;
 * optional. Returns 0 or TF_ESTATE outside generate. */
TF_EXPORT int tf_set_total(tf_handle *h, uint64_t total);

/* How tf_stop ends the run. */
enum {
  TF_STOP_SOON = 1, /* hand out no more tasks; those handed out run to their end (their results
                       collected and journaled, their failures reported), then the run ends */
  TF_STOP_NOW = 2,  /* end at once, as --fail-fast does: workers inside a task leave (the
                       process ends under tf_main) and their tasks count as not done */
};

/* From collect or failed (the master; the serial farm stops after the task that ran): end the
 * run early, TF_STOP_SOON or TF_STOP_NOW, with status: 0 (the app has what it needs: tf_run
 * returns 0 even if tasks failed or were not run) or a negative TF_E* code, usually TF_EAPP
 * (tf_main's exit status 1). finish does not run; master_fini does, with tf_run_status() =
 * status, after the journal is flushed, so --resume runs the tasks not done (the summary names
 * them). An error of the farm itself (a journal that cannot be written) still wins, and so does
 * a stop signal during TF_STOP_SOON's wait (TF_ESTOPPED). A later call may turn SOON into NOW;
 * the first status stands. Returns 0, TF_EINVAL (when not a TF_STOP_*, status > 0), or
 * TF_ESTATE in any other callback. Local. */
TF_EXPORT int tf_stop(tf_handle *h, int when, int status);

/* Inside master_fini: how the run ended. 0 when every task ran and finish
 * succeeded (or tf_stop's status); TF_ESTOPPED after a stop signal (exit status 75); TF_EAPP when
 * tasks failed for good (--keep-going: finish did run) or a callback failed;
 * another negative TF_E* code when the farm itself failed. 0 outside
 * master_fini. */
TF_EXPORT int tf_run_status(const tf_handle *h);

/* The configuration the farm runs with. */
TF_EXPORT const tf_config *tf_get_config(const tf_handle *h);

/* The command line's operands (tf_app.operands): how many, and operand i (0-based), or NULL
 * when there is no operand i. Any rank, any callback. */
TF_EXPORT int tf_operand_count(const tf_handle *h);
TF_EXPORT const char *tf_operand(const tf_handle *h, int i);

/* ---- Output files, written whole or not at all. Local. ----
 * tf_output_open gives a FILE on a new file with a unique name (".NAME.XXXXXX") in the
 * directory of the final name; tf_output_commit flushes, syncs and renames it over the final
 * name. So a run killed while writing leaves the old file, or none, never half of one; a
 * symbolic link at the final name is replaced, its target never written. A name under /dev or
 * /proc, or one that is (or links to) a device or a FIFO, such as /dev/null or /dev/stdout, is
 * written directly. The library writes --stats, --trace, --timeline and --status-file this
 * way, and checks them, and every app option marked TF_OPT_OUTPUT, with tf_output_check
 * before the run starts. Each function puts the reason for a failure, naming the file, in
 * err (err_size bytes; err may be NULL). */
typedef struct tf_output {
  FILE *file; /* write here, between tf_output_open and tf_output_commit */
  char *path; /* private: the final name */
  char *tmp;  /* private: the new file, NULL when writing directly */
} tf_output;

/* Whether path can be written at the end of the run: it is not a directory, and a file can be
 * made in its directory (one is made and removed again). Returns 0, TF_EINVAL (no name, a
 * directory) or TF_EIO (cannot make a file there: no such directory, no permission, a
 * read-only file system, ...). */
TF_EXPORT int tf_output_check(const char *path, char *err, size_t err_size);
/* Start writing path: out->file is ready for writing. Returns 0, TF_EINVAL, TF_ENOMEM or
 * TF_EIO; on failure *out holds nothing to commit or discard. */
TF_EXPORT int tf_output_open(const char *path, tf_output *out, char *err, size_t err_size);
/* Finish: flush, sync, close and rename over the final name. Returns 0, or TF_EIO when any
 * step failed (a full disk): the new file is removed and the final name left as it was. Either
 * way out is closed. */
TF_EXPORT int tf_output_commit(tf_output *out, char *err, size_t err_size);
/* Give up (an error while writing): close and remove the new file; the final name is left as
 * it was. Safe on a committed, discarded or zeroed out. */
TF_EXPORT void tf_output_discard(tf_output *out);

#ifdef __cplusplus
}
#endif
#endif /* TASKFARM_H */
