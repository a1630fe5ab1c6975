/* handle.h - the handle every app callback gets (tf_handle), and the calls
 * into the app: what a callback may do depends on which one it is in. */
#ifndef TF_HANDLE_H
#define TF_HANDLE_H

#include <stddef.h>
#include <stdint.h>

#include "idset.h"
#include "order.h"
#include "queue.h"
#include "stats.h"
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
  TF_IN_INIT,
  TF_IN_FAILED,
  TF_IN_PARTIAL
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
  uint32_t cur_attempt;
  uint32_t nchildren;
  tf_wbuf spawns;
  unsigned char *result;
  size_t result_len, result_cap;
  /* execute: where tf_partial sends a piece of task id's output (the worker's link; a one-rank
   * farm calls the app's partial); NULL: nowhere. Returns 0 or a negative TF_E* code. */
  int (*send_partial)(void *ctx, uint64_t id, uint32_t attempt, const void *data, size_t size);
  void *partial_ctx;
  int partial_failed; /* a one-rank farm: the app's partial failed, the run fails */
  int run_status;   /* tf_run_status(): the run's status as master_fini sees it */
  int stop;         /* tf_stop: 0, TF_STOP_SOON or TF_STOP_NOW; the master's loop acts on it */
  int stop_status;  /* tf_stop: the status the run ends with (the first call's) */
  int error;        /* first error a tf_* call returned inside the current callback */
  char errmsg[200]; /* what that error was about */
  /* resume: generated ids whose results the journal holds are not queued */
  const tf_idset *skip;
  uint64_t skipped;
  /* collect, failed: tasks the master submits go into followups (the caller places them), with
   * ids derived from cur_id and nfollow; followed holds every such id, so that a repeat (a
   * hash collision) stops the run rather than merge two tasks */
  tf_queue *followups;
  uint32_t nfollow;
  tf_idset followed;
  /* app->collect_in_order: generate's results waiting for their turn */
  tf_order order;
};

void tf__handle_init(tf_handle *h, const tf_app *app, const tf_config *cfg, int rank, int nworkers,
                     int worker_index);
void tf__handle_free(tf_handle *h);
/* Prepare h for executing run `attempt` of task id (clears result and children). */
void tf__handle_begin_execute(tf_handle *h, uint64_t id, uint32_t attempt);

/* A run of task r failed with the message why and execute's return value status (on rank
 * `rank`, or 0 in a one-rank farm). Decides, logs and counts: returns 1 when it is to run
 * again (r->attempt raised; the caller queues it), 0 when it is given up on (the app's failed
 * has seen it), TF_EAPP when it is given up on under --fail-fast or failed did not return 0. */
int tf__after_failure(tf_handle *h, tf_run_stats *s, tf_rec *r, int rank, int status,
                      const char *why, size_t why_len, const void *out, size_t out_len);

/* Task f->id is given up on for good: count it and call the app's failed, if any (and with
 * collect_in_order, pass its turn). 0, or TF_EAPP when failed did not return 0. */
int tf__given_up(tf_handle *h, tf_run_stats *s, const tf_failure *f);

/* With collect_in_order, at the end of a run: collect every result still waiting for a turn
 * that will not come (the run was cut short), in id order. 0 or TF_EAPP. */
int tf__collect_rest(tf_handle *h);

/* With collect_in_order, may generate's task with id be generated now? Not past the results
 * collect waits for by more than about two requests of every worker (2 x workers x --prefetch
 * + 64 ids): so at most that many results wait. Always under static (it generates all first). */
int tf__order_may_generate(const tf_handle *h, uint64_t id);

/* For a callback's return value: ": <description>" when it is a TF_E* code
 * (an app passing on what tf_submit returned), else "". */
const char *tf__rc_hint(int rc);

/* Call the app's worker_init / worker_fini, if any, with logging. */
int tf__call_hook(tf_handle *h, int (*fn)(tf_handle *, void *), const char *what);

/* The master's calls into the app, shared by master.c and serial.c; each
 * logs what went wrong and returns 0 or a negative TF_E* code.
 * tf__call_generate calls generate once (it submits into h->queue), adds the
 * tasks it submitted to *generated and sets *done when there are no more. */
int tf__call_generate(tf_handle *h, int *done, uint64_t *generated);
int tf__call_collect(tf_handle *h, uint64_t id, const void *data, size_t size);
int tf__call_finish(tf_handle *h);
/* The app's partial, if any, with a piece of run `attempt` of task id; callable from inside
 * execute (a one-rank farm), whose state it leaves as it was. 0, or TF_EAPP when it failed. */
int tf__call_partial(tf_handle *h, uint64_t id, uint32_t attempt, const void *data, size_t size);
/* master_fini, told the run's status (0 or a negative TF_E* code); returns
 * TF_EAPP when it failed, else 0. */
int tf__call_master_fini(tf_handle *h, int status);

#endif
