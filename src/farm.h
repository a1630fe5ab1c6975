/* farm.h - what the runtime, master, worker and serial driver share: the
 * handle given to callbacks, task-id derivation and run statistics. */
#ifndef TF_FARM_H
#define TF_FARM_H

#include <stdarg.h>

#include "idset.h"
#include "journal.h"
#include "log.h"
#include "queue.h"
#include "taskfarm.h"
#include "wire.h"

/* All the children of one task, in bytes on the wire: with the task's result
 * (at most TF_MAX_PAYLOAD_LIMIT) a frame stays under MPI's 2 GiB count. */
#define TF_MAX_SPAWN_BYTES (512u << 20)

/* Which callback the handle is inside; it decides what tf_submit does. */
enum tf_phase {
  TF_IN_NONE,
  TF_IN_GENERATE,
  TF_IN_EXECUTE,
  TF_IN_COLLECT,
  TF_IN_FINISH,
  TF_IN_INIT
};

struct tf_handle {
  enum tf_phase phase;
  int rank, nworkers, worker_index;
  const tf_config *cfg;
  const tf_app *app;
  /* generate: ids are handed out in submission order into queue */
  uint64_t next_id;
  tf_queue *queue;
  uint64_t total; /* tasks generate said it will submit (tf_set_total); 0: not said */
  uint64_t last_id;
  /* execute: the task, its children (SPAWN entries) and its result */
  uint64_t cur_id;
  uint32_t nchildren;
  tf_wbuf spawns;
  unsigned char *result;
  size_t result_len, result_cap;
  int run_status;   /* tf_run_status(): the run's status as master_fini sees it */
  int error;        /* first error a tf_* call returned inside the current callback */
  char errmsg[200]; /* what that error was about */
  /* resume: generated ids whose results the journal holds are not queued */
  const tf_idset *skip;
  uint64_t skipped;
};

#define TF_FAILED_LISTED 20
#define TF_LOST_LISTED 8

/* Run statistics, filled by whoever ran the farm. */
typedef struct tf_run_stats {
  uint64_t tasks_generated, tasks_spawned, results;
  uint64_t frames_in, frames_out;
  uint64_t retried, failed;              /* runs tried again; tasks given up on */
  uint64_t failed_ids[TF_FAILED_LISTED]; /* the first of them, for the summary */
  uint64_t resumed;                      /* results read back from the journal */
  uint64_t lost, lost_tasks;             /* workers lost; tasks they held, run again */
  int lost_ranks[TF_LOST_LISTED];
  uint64_t copies, copies_dropped;       /* --task-timeout: second copies sent; results dropped */
  int stop_signal;                       /* the signal that stopped the run early, or 0 */
  uint64_t not_done;                     /* tasks left undone by a stop or a failure */
  uint64_t not_done_held;                /* of them, in a worker's hands at the end */
  uint64_t not_done_ids[TF_FAILED_LISTED]; /* the first of them, for the summary */
  int more_to_generate;                  /* generate had not said it was done */
  double wall;
  int stuck; /* some worker did not stop: the caller must abort the job */
  int peer_lost; /* a rank was lost: MPI_Finalize may hang, so bound it */
  int urgent;    /* mpirun kills every rank in a second (tf_stop_urgent): no MPI_Finalize */
  int from_master; /* a worker's status is the master's verdict (STOP), not its own failure */
  /* Set by tf_main: how a worker stuck in a task ends the process from its
   * heartbeat thread after saying goodbye (NULL under tf_run). */
  void (*leave)(int status, int peer_lost);
  /* per worker (nworkers entries), from BYE frames */
  uint64_t *w_tasks, *w_busy_ns, *w_wait_ns, *w_frames;
  struct tf_obs *obs; /* rank 0 with --stats, --trace or --timeline: what they need; else NULL */
} tf_run_stats;

/* Count a task left undone at the end (a stop, a failure). */
static inline void tf_note_not_done(tf_run_stats *s, uint64_t id) {
  if (s->not_done < TF_FAILED_LISTED) s->not_done_ids[s->not_done] = id;
  s->not_done++;
}

/* Count a task given up on. */
static inline void tf_note_failure(tf_run_stats *s, uint64_t id) {
  if (s->failed < TF_FAILED_LISTED) s->failed_ids[s->failed] = id;
  s->failed++;
}

void tf_handle_init(tf_handle *h, const tf_app *app, const tf_config *cfg, int rank, int nworkers,
                    int worker_index);
void tf_handle_free(tf_handle *h);
/* Prepare h for executing task id (clears result and children). */
int tf_handle_begin_execute(tf_handle *h, uint64_t id);

/* The id of child number index of task parent. */
uint64_t tf_child_id(uint64_t parent, uint32_t index);

/* A task spawned as child number index of task parent claims the given id
 * (rank: who sent it). It must be that child's id, and no task spawned
 * before may have had it: child ids are 63-bit hashes, so two can collide
 * (about n^2 / 2^64 for n spawned tasks), and the run stops rather than merge
 * two tasks. seen keeps every spawned id. Returns 0, or TF_EPROTO / TF_EAPP /
 * TF_ENOMEM (logged). */
int tf_check_child(tf_idset *seen, uint64_t parent, uint32_t index, uint64_t id, int rank);

/* The master (rank 0 of a multi-rank farm), a worker, and the one-rank
 * driver. Each returns 0 or a negative TF_E* code, and fills stats where
 * given. */
int tf_master_run(MPI_Comm comm, const tf_app *app, const tf_config *cfg, tf_run_stats *stats);
int tf_worker_run(MPI_Comm comm, const tf_app *app, const tf_config *cfg, tf_run_stats *stats);
int tf_serial_run(const tf_app *app, const tf_config *cfg, tf_run_stats *stats);

/* A run of task r failed with the message why (on rank `rank`, or 0 in a
 * one-rank farm). Decides, logs and counts: returns 1 when it is to run
 * again (r->attempt raised; the caller queues it), 0 when it is given up on,
 * TF_EAPP when it is given up on under --fail-fast. */
int tf_after_failure(const tf_config *cfg, tf_run_stats *s, tf_rec *r, int rank, const char *why,
                     size_t why_len);

/* Heartbeats: a thread on each worker says "still here" while execute runs
 * long, so silence means lost. It needs MPI_THREAD_SERIALIZED, which costs
 * Open MPI 4.1 a third of its message rate, so they run only when wanted:
 * under mpirun --enable-recovery, with --task-timeout, or with an explicit
 * --worker-timeout. Without them no worker is declared lost. */
#define TF_DEFAULT_WORKER_TIMEOUT 30.0
int tf_heartbeats_wanted(const tf_config *cfg);
/* Wanted, and MPI gives the thread level they need. */
int tf_heartbeats_on(const tf_config *cfg);
/* --worker-timeout, or its default; and how often heartbeats are sent. */
double tf_worker_timeout(const tf_config *cfg);
double tf_heartbeat_interval(const tf_config *cfg);

/* For a callback's return value: ": <description>" when it is a TF_E* code
 * (an app passing on what tf_submit returned), else "". */
const char *tf_rc_hint(int rc);

/* Call the app's worker_init / worker_fini, if any, with logging. */
int tf_call_hook(tf_handle *h, int (*fn)(tf_handle *, void *), const char *what);

/* The master's calls into the app, shared by master.c and serial.c; each
 * logs what went wrong and returns 0 or a negative TF_E* code.
 * tf_call_generate calls generate once (it submits into h->queue), adds the
 * tasks it submitted to *generated and sets *done when there are no more. */
int tf_call_generate(tf_handle *h, int *done, uint64_t *generated);
int tf_call_collect(tf_handle *h, uint64_t id, const void *data, size_t size);
int tf_call_finish(tf_handle *h);
/* master_fini, told the run's status (0 or a negative TF_E* code); returns
 * TF_EAPP when it failed, else 0. */
int tf_call_master_fini(tf_handle *h, int status);

/* The journal as the master (or the one-rank driver) keeps it: every
 * finished result with the children its task submitted, in one record. */
typedef struct tf_jstate {
  int on;
  tf_journal j;
  tf_idset done; /* ids whose results came from the journal */
  tf_jchild *kids; /* children of the task whose result comes next */
  uint32_t nkids, kcap;
  int said; /* its I/O error was logged */
} tf_jstate;

/* Open the --journal: with --resume, read it back (collect sees every
 * journaled result again, unfinished children are queued into q, and
 * h->skip is set so generate's tasks already done are not queued); a journal
 * that exists without --resume, from other options, or damaged in the middle
 * is an error that leaves it untouched. Returns 0 or a negative TF_E* code
 * (logged). Nothing to do without --journal. */
int tf_js_open(tf_jstate *js, tf_handle *h, tf_queue *q, tf_run_stats *s);
/* Note a child of the task whose result comes next. */
int tf_js_kid(tf_jstate *js, uint64_t id, int32_t prio, const void *data, uint32_t size);
/* Forget the noted children (their task failed). */
static inline void tf_js_drop_kids(tf_jstate *js) { js->nkids = 0; }
/* Journal a result with the children noted since the last one. */
int tf_js_result(tf_jstate *js, uint64_t id, const void *data, size_t size);
/* Write what is due; tf_js_flush writes and syncs everything. */
int tf_js_tick(tf_jstate *js, double now);
int tf_js_flush(tf_jstate *js);
/* Flush and close (keeping the first error). */
int tf_js_close(tf_jstate *js);

#endif
