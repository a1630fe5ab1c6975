/* pool.h - the tasks waiting to be handed out, as a downstream engine draws
 * on them: one queue every child draws from, or, under the static schedule,
 * a share per child, fixed once generation is done (runs of ids in order,
 * the i-th as long as child i's workers make it: one run per worker). Under static a child's spawned tasks and its retries stay
 * in its own share, and a lost child's share goes to the next child still
 * running. This is the whole of the static schedule: the engine asks the
 * pool, never the schedule. */
#ifndef TF_POOL_H
#define TF_POOL_H

#include <stddef.h>

#include "queue.h"

typedef struct tf_pool {
  tf_queue all;  /* generate's tasks; every task unless the shares are fixed */
  tf_queue *own; /* static: each child's share (NULL otherwise) */
  int n;         /* children */
  int fixed;     /* static: the shares are fixed (generation is done) */
  const int *width; /* static: child i's share is width[i] workers' (NULL: one each) */
} tf_pool;

/* A pool for n children; is_static: the static schedule. Returns 0 or
 * TF_ENOMEM. */
int tf__pool_init(tf_pool *p, int n, int is_static);
void tf__pool_destroy(tf_pool *p);

/* Where generate submits its tasks. */
static inline tf_queue *tf__pool_input(tf_pool *p) { return &p->all; }
/* Static: split what generate made into the children's shares (call once
 * generation is done). Returns 0 or TF_ENOMEM. Nothing to do otherwise. */
int tf__pool_fix_shares(tf_pool *p);
/* Whether tasks may be handed out: always, but under static only once the
 * shares are fixed. */
static inline int tf__pool_ready(const tf_pool *p) { return !p->own || p->fixed; }
/* The queue child i draws from. */
static inline tf_queue *tf__pool_of(tf_pool *p, int i) {
  return p->own && p->fixed ? &p->own[i] : &p->all;
}
/* Whether a task that failed on child i should wait for another child: only
 * when every child draws from one queue (a static share has no other). */
static inline int tf__pool_shared(const tf_pool *p) { return !p->own; }
/* Put r (a retry, a spawned task, a task a lost child held) where child i
 * draws from; it takes r's data. Returns 0 or TF_ENOMEM (r's data is then
 * still the caller's). */
int tf__pool_put(tf_pool *p, int i, tf_rec *r);
/* Static: child from is out of the run; its share goes to child to. Returns
 * 0 or TF_ENOMEM. */
int tf__pool_move_share(tf_pool *p, int from, int to);
/* Tasks in the pool, every share counted. */
size_t tf__pool_size(const tf_pool *p);
/* Remove the first task of any queue, for emptying the pool at the end: 1
 * with *out filled (its data is the caller's), 0 when empty. */
int tf__pool_take_any(tf_pool *p, tf_rec *out);

#endif
