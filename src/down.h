/* down.h - the downstream engine: serves the children of a rank (the root's
 * workers; a relay's, later). It answers their requests with tasks drawn
 * from a pool, as the plan says and within each child's byte share; keeps
 * the ledger of what each child holds; takes the frames children send and
 * pushes what they carry (results, failures, spawned tasks, pieces of output,
 * goodbyes) to a sink; hands back room for their results; watches that they are alive,
 * copies stragglers (--task-timeout), takes back the tasks of a lost or stuck
 * child; and stops them. It calls no app callback and no MPI function: its
 * frames go through a port, so unit tests drive it with made-up frames. */
#ifndef TF_DOWN_H
#define TF_DOWN_H

#include <stdint.h>

#include "copies.h"
#include "idset.h"
#include "layout.h"
#include "ledger.h"
#include "policy.h"
#include "pool.h"
#include "port.h"
#include "stats.h"
#include "taskfarm.h"
#include "wire.h"

struct tf_obs;
struct tf_trace;

/* Where what children send goes (for the root: the app's collect and the
 * journal). Each returns 0 or a negative TF_E* code that ends the run. */
typedef struct tf_sink {
  void *ctx;
  /* Task e->id is done on child i with its result in e. */
  int (*result)(void *ctx, int i, const tf_entry *e);
  /* Task e->id, the child of the task child i runs, was spawned (validated). */
  int (*spawned)(void *ctx, int i, const tf_entry *e);
  /* The children noted since the last result belong to a task that failed:
   * forget them. */
  void (*drop_spawned)(void *ctx);
  /* A run of task r failed on child i, on the worker at rank `rank` (child i,
   * or one of its workers when it is a relay) (status: what execute returned;
   * text: why; out: what it gave with tf_result, NULL when nothing). Returns 1
   * when it is to run again (r->attempt raised), 0 when it is given up on, or
   * < 0. */
  int (*failed)(void *ctx, int i, int rank, tf_rec *r, int status, const char *text, size_t len,
                const tf_entry *out);
  /* Task f->id, which child i held, is given up on without a failed run: the
   * children running it were lost, or it hangs (f->rank: the worker of its
   * last run, below child i when that is a relay). 0 or < 0. NULL: the
   * failure is only counted. */
  int (*given_up)(void *ctx, int i, const tf_failure *f);
  /* A piece of the output of task r->id, which child i runs (tf_partial). 0 or < 0. NULL: the
   * pieces are dropped. */
  int (*partial)(void *ctx, int i, const tf_rec *r, const tf_entry *e);
  /* Child i's timings (a STATS entry's four counts: tasks, busy ns, request
   * to answer ns, answers), after the plan has seen them. NULL: only the plan
   * sees them (a relay passes them on). */
  void (*timings)(void *ctx, const uint64_t v[TF_WIRE_STATS_N]);
  /* Task id has run longer than --task-timeout and no other child can run it
   * too: a relay tells its parent, which may have one (0 or < 0). NULL:
   * nothing is done. */
  int (*slow)(void *ctx, uint64_t id);
  /* Whether the outcomes passed on must wait before more come: then the
   * engine takes no more of its children's frames until it is not (a relay
   * whose frame for its parent waits for room, so that the frame stays
   * within its share), and meanwhile counts no child's silence as a loss
   * and copies no slow task. NULL: never. */
  int (*full)(void *ctx);
} tf_sink;

enum { TF_CHILD_RUNNING, TF_CHILD_GAVE_UP, TF_CHILD_DONE, TF_CHILD_LOST, TF_CHILD_STUCK };

typedef struct tf_child {
  int state;
  int demand;         /* tasks asked for in its oldest open request (0: none) */
  int demand_next;    /* in a second, sent before the first was answered (0: none) */
  double heard, told; /* when last heard from / sent to */
  double head_since;  /* when the task at the head of its ledger could have started */
  uint64_t owed;      /* bytes of its results handled, not yet handed back */
  int room_asked;     /* it holds results back: hand the room back at once */
  uint32_t nkids;     /* children seen of the task at the head of its ledger */
  int width;          /* workers it stands for: 1 for a worker, a relay's workers */
  int relay;          /* it is a relay: it runs many tasks at once and ends them in any order */
  int slot;           /* a worker's number among the workers (stats, obs), or -1 for a relay */
  double stop_sent;   /* when STOP went to it (seconds since the obs' t0) */
  int slow;           /* slow_id is a slow task: it runs past --task-timeout (for a relay, as
                         it said; for a relay's worker, as the relay told its parent) */
  uint64_t slow_id;
  double slow_since;  /* when it started, as far as this rank knows */
  int held_demand;    /* a relay's worker inside its parent's copy of a slow task: its oldest
                         open request, set aside until that task ends there */
  int joined;         /* it joined the running farm (accept.h): it may leave before the end */
} tf_child;

typedef struct tf_down {
  const tf_layout *layout; /* whose children these are: their ranks, for messages */
  int n;
  tf_child *c;
  const tf_config *cfg;
  tf_pool *pool;
  tf_port port;
  tf_sink sink;
  tf_run_stats *stats;
  tf_ledger ledger;
  tf_copies copies;
  tf_policy policy;
  tf_idset spawned; /* every spawned id: a 63-bit hash may collide */
  uint64_t share;   /* each worker's share of --max-in-flight (a child's: times its width) */
  int wide;         /* some child is a relay: it ends its tasks in any order */
  int depth;        /* the depth of the last plan sent */
  uint64_t left;    /* tasks not yet handed out, as the last dispatch was told */
  int rr;           /* first child served in the next round */
  int accepting;    /* jobs of workers may join (--accept-workers): none left is no failure */
  int heartbeats;   /* children send heartbeats: silence means lost (the role says: beat.h) */
  double hb_every;
  double next_check, last_check;
  double now;       /* the time of the current turn (tf__down_set_now) */
  int status;       /* the first error */
  struct tf_obs *obs;     /* --stats, --trace, --timeline: or NULL */
  struct tf_trace *trace; /* the engine's events, or NULL */
} tf_down;

/* The sink is full (tf_sink.full): the engine takes no frames, and its
 * children's silence is no loss. */
static inline int tf__down_deaf(const tf_down *d) {
  return d->sink.full && d->sink.full(d->sink.ctx);
}

/* An engine for the children of layout, drawing on pool, answering through
 * port, handing what comes back to sink; counts go to stats (and obs, if
 * given). Returns 0 or TF_ENOMEM. */
int tf__down_init(tf_down *d, const tf_layout *layout, const tf_config *cfg, tf_pool *pool,
                  tf_port port, tf_sink sink, tf_run_stats *stats, struct tf_obs *obs, double now);
void tf__down_destroy(tf_down *d);
/* n more children, workers of a job that joined the farm (the layout has
 * them already: tf__layout_add_joined): they take part from now on, and
 * the plan and the byte shares count them. Returns 0 or TF_ENOMEM
 * (down_join.c). */
int tf__down_add_children(tf_down *d, int n, double now);
static inline void tf__down_set_now(tf_down *d, double now) { d->now = now; }

/* Take every message MPI has reported (comm.h: it is asked once a drain).
 * Returns 1 when something came, 0 when nothing did, or a negative error
 * (also in d->status). */
int tf__down_poll(tf_down *d);
/* Handle one message from child i (buf stays the caller's). */
int tf__down_frame(tf_down *d, int i, const unsigned char *buf, size_t len);
/* Answer the open requests, round robin, as the plan says; `left` is the
 * number of tasks not yet handed out (TF_LEFT_UNKNOWN while the source
 * still makes them). Returns 1 when something was sent, 0, or < 0. */
int tf__down_dispatch(tf_down *d, uint64_t left);
/* Now and then: heartbeats to quiet children, silent ones declared lost,
 * stragglers copied (not while draining). Returns 1 on a change, 0, or < 0. */
int tf__down_check(tf_down *d, int draining);
/* Every task handed out has come back (or is no longer wanted). */
static inline int tf__down_idle(const tf_down *d) { return d->ledger.total == d->copies.stale; }
/* Tasks in children's hands whose results are still wanted. */
static inline size_t tf__down_in_flight(const tf_down *d) {
  return d->ledger.total - d->copies.stale;
}
/* Whether a child asks for tasks with nothing in hand. */
int tf__down_starving(const tf_down *d);
/* Tasks in the pool, stale copies not counted. */
size_t tf__down_queued(const tf_down *d);
/* Tell every child to stop with the run's status (those inside a task
 * nobody needs, also on the tag their heartbeat thread watches) and wait,
 * bounded (shorter after a failure, or a stop that abandons tasks: draining,
 * a stop signal or tf_stop now), for each one's goodbye. Returns 0, or
 * TF_EMPI when one did not answer (it may still run:
 * the caller must abort rather than finalize). */
int tf__down_stop(tf_down *d, int status, int draining);
/* The run ends early: count and name the tasks not done (in children's
 * hands first), emptying the pool. */
void tf__down_count_undone(tf_down *d);
/* Whether child i still takes part in the run. */
static inline int tf__down_alive(const tf_down *d, int i) {
  return d->c[i].state == TF_CHILD_RUNNING;
}

#endif
