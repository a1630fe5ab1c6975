/* policy.h - the scheduling policy: how many tasks go in one message (the
 * chunk) and how many a worker keeps in hand (the depth). Plain arithmetic on
 * measured timings, no MPI, so unit tests can drive it with made-up numbers.
 *
 *   static   equal shares fixed in advance (the baseline; see master.c)
 *   dynamic  a fixed chunk (--chunk) to whoever asks
 *   guided   chunks shrink with the work left: left / (2 x workers), at least --chunk
 *   adaptive chunk and depth from the measured task time and round trip: tiny
 *            tasks travel in big batches, long ones one by one with one more in
 *            hand, and no worker takes more than its share of what is left
 */
#ifndef TF_POLICY_H
#define TF_POLICY_H

#include <stdint.h>

#include "taskfarm.h"

#define TF_LEFT_UNKNOWN UINT64_MAX
/* Before anything is measured: a round trip on shared memory, roughly. */
#define TF_POLICY_DEFAULT_RTT 5e-6
/* Adaptive keeps this many average round trips of work in hand, plus one
 * task: round trips vary (a master on a shared core answers late). */
#define TF_POLICY_COVER 4
/* A message may cost at most this fraction of the work it carries (adaptive). */
#define TF_POLICY_OVERHEAD 0.05
/* The least a message is taken to cost (adaptive's batching); the measured
 * round trip counts when it is more. */
#define TF_POLICY_MSG_COST 1e-6

typedef struct tf_policy {
  tf_schedule kind;
  int nworkers;
  int chunk;     /* dynamic's chunk, guided's smallest */
  int max_depth; /* the most tasks a worker may hold (--prefetch) */
  double task_s; /* moving average of one task's duration; < 0 until measured */
  double rtt_s;  /* moving average of the time from a request to its answer */
  uint64_t share; /* bytes each worker may have on the way (flow.h); 0: no limit */
  double task_b, result_b; /* moving averages of a task's and a result's bytes; < 0: none yet */
} tf_policy;

/* The schedule a worker follows: it keeps up to `depth` tasks in hand (queued
 * plus the one running) and asks for more when it holds depth - chunk or
 * fewer. So depth == chunk means it asks only when it has nothing left; a
 * larger depth overlaps the request with work. 1 <= chunk <= depth <=
 * max_depth. dynamic and guided answer with one chunk at a time; adaptive
 * fills the worker up to depth at once, up to its share of what is left. */
typedef struct tf_plan {
  int depth, chunk;
  int send; /* the most tasks the master puts in one answer (not sent to workers) */
} tf_plan;

void tf__policy_init(tf_policy *p, tf_schedule kind, int nworkers, int chunk, int max_depth);
/* Feed what a worker reported: `tasks` tasks took `busy_s` seconds in all;
 * `waits` requests took `wait_s` seconds in all to be answered. */
void tf__policy_observe(tf_policy *p, uint64_t tasks, double busy_s, uint64_t waits, double wait_s);
/* Bytes: each worker's share of --max-in-flight (flow.h); the depth is kept
 * to what the share holds of tasks handed out and of the results they make,
 * so that a worker never holds tasks it cannot report. */
void tf__policy_set_share(tf_policy *p, uint64_t share);
/* Feed the bytes of `n` tasks sent or of `n` results received. */
void tf__policy_observe_task_bytes(tf_policy *p, uint64_t n, uint64_t bytes);
void tf__policy_observe_result_bytes(tf_policy *p, uint64_t n, uint64_t bytes);
/* The plan for a worker now, with `left` tasks not yet handed out
 * (TF_LEFT_UNKNOWN while the app is still generating without a total). */
tf_plan tf__policy_plan(const tf_policy *p, uint64_t left);

#endif
