/* relay.c - a relay: an upstream engine (up.c) standing for a group of
 * workers to the root, and a downstream engine (down.c) serving them from a
 * queue of its own. The root sees one child as wide as the group: one
 * request and one results frame for all of it. The relay asks for the
 * parent's depth for each of its workers (never less than its own plan for
 * them and a chunk on the way), TF_RELAY_BATCH chunks for each at a time
 * (up.h), passes its workers' outcomes and task times up in frames of as
 * many, and ends by passing their goodbyes up with its own, their clocks set
 * to its own. It runs no task and calls no app callback. */
#include <stdlib.h>
#include <string.h>

#include "beat.h"
#include "clock.h"
#include "comm.h"
#include "down.h"
#include "idle.h"
#include "log.h"
#include "observe.h"
#include "roles.h"
#include "up.h"

/* Outcomes wait at most this long for others to share their frame. */
#define TF_RELAY_HOLD 0.01

typedef struct relay {
  tf_comm c;
  tf_up up;
  tf_pool pool; /* the group's queue */
  tf_down down;
  tf_run_stats ws; /* the workers' counters, from their goodbyes */
  tf_obs obs;      /* --stats, --trace, --timeline: their counters and events */
  int has_obs;
  int failed;   /* the group cannot go on: the parent was told */
  int orphaned; /* every worker is lost: the relay leaves, and the parent loses it */
} relay;

/* ---- the downstream engine's sink: everything goes up ------------------------------- */

/* An outcome into the frame for the parent; rank: the worker whose run a
 * FAIL or LOST tells of (the entry's word), else 0. */
static int add_ranked(relay *y, unsigned type, uint64_t id, int32_t prio, int rank,
                      const void *data, size_t size) {
  /* A frame goes once it holds a megabyte, as a worker's does (a failure's
   * output stays with its FAIL). */
  if (type != TF_ENT_FAIL && y->up.out.count &&
      y->up.out.len + tf__wire_entry_bytes(size) > TF_UP_FRAME_BYTES && tf__up_flush(&y->up) < 0)
    return TF_EMPI;
  int rc = tf__up_add(&y->up, type, id, prio, (uint32_t)rank, data, size);
  if (rc) tf__log(y->c.rank, "out of memory passing an outcome on");
  return rc;
}

static int add(relay *y, unsigned type, uint64_t id, int32_t prio, const void *data, size_t size) {
  return add_ranked(y, type, id, prio, 0, data, size);
}

static int sink_result(void *ctx, int i, const tf_entry *e) {
  (void)i;
  return add(ctx, TF_ENT_RESULT, e->id, 0, e->data, e->size);
}

static int sink_spawned(void *ctx, int i, const tf_entry *e) {
  (void)i;
  return add(ctx, TF_ENT_SPAWN, e->id, e->prio, e->data, e->size);
}

/* Its workers send no children of a failed task: nothing was passed on. */
static void sink_drop_spawned(void *ctx) { (void)ctx; }

/* The root decides whether a failed task runs again (and where). */
static int sink_failed(void *ctx, int i, int rank, tf_rec *t, int status, const char *text,
                       size_t len, const tf_entry *out) {
  (void)i;
  relay *y = ctx;
  int rc = out ? add(y, TF_ENT_FAILOUT, t->id, 0, out->data, out->size) : 0;
  return rc ? rc : add_ranked(y, TF_ENT_FAIL, t->id, status, rank, text, len);
}

/* A task given up on here (it hangs, or was running on workers that were
 * lost) is given up on: the root hears how many runs it had, and where the
 * last one was. */
static int sink_given_up(void *ctx, int i, const tf_failure *f) {
  (void)i;
  size_t len = strlen(f->message);
  return add_ranked(ctx, TF_ENT_LOST, f->id, (int32_t)f->attempts, f->rank, f->message,
                    len < TF_WIRE_MAX_MESSAGE ? len : TF_WIRE_MAX_MESSAGE);
}

static int sink_partial(void *ctx, int i, const tf_rec *t, const tf_entry *e) {
  (void)i;
  return add(ctx, TF_ENT_PARTIAL, t->id, 0, e->data, e->size);
}

static int sink_slow(void *ctx, uint64_t id) { return add(ctx, TF_ENT_SLOW, id, 0, NULL, 0); }

static void sink_timings(void *ctx, const uint64_t v[TF_WIRE_STATS_N]) {
  tf__up_add_timings(&((relay *)ctx)->up, v[0], v[1]);
}

/* The frame for the parent waits for room: the workers' next frames wait
 * too (in MPI, within each worker's share), or they would all be added to
 * it and it would go, larger than the relay's share, when room came. */
static int sink_full(void *ctx) { return tf__up_held_back(&((relay *)ctx)->up); }

/* ---- the goodbyes ------------------------------------------------------------------- */

/* ns on worker w's clock, on this rank's (the trace's epoch is obs' t0). */
static int64_t shift(const tf_obs_worker *x, int64_t ns) {
  int64_t t = ns - (int64_t)(x->offset * 1e9);
  return t > 0 ? t : 0;
}

/* Child i's goodbye for the parent: ORIGIN, its statistics, and (when it
 * sent them) its counters and events on this rank's clock. */
static int add_goodbye(relay *y, tf_wbuf *b, int i) {
  uint64_t v[TF_WIRE_STATS_N] = {y->ws.w_tasks[i], y->ws.w_busy_ns[i], y->ws.w_wait_ns[i],
                                 y->ws.w_frames[i]};
  int rc = tf__wire_add(b, TF_ENT_ORIGIN, (uint64_t)tf__layout_child_rank(&y->c.layout, i), 0,
                        NULL, 0);
  if (!rc) rc = tf__wire_add_stats(b, v);
  const tf_obs_worker *x = y->has_obs ? &y->obs.w[i] : NULL;
  if (rc || !x || !x->reported) return rc;
  uint64_t o[TF_WIRE_OBS_N];
  memcpy(o, x->o, sizeof o);
  o[TF_OBS_STOP_SEEN] = (uint64_t)shift(x, (int64_t)o[TF_OBS_STOP_SEEN]);
  o[TF_OBS_BYE_SENT] = (uint64_t)shift(x, (int64_t)o[TF_OBS_BYE_SENT]);
  o[TF_OBS_EVENTS] = x->nev;
  if ((rc = tf__wire_add_obs(b, o))) return rc;
  for (size_t j = 0; j < x->nev; j++) {
    x->ev[j].t0 = shift(x, x->ev[j].t0);
    x->ev[j].t1 = shift(x, x->ev[j].t1);
  }
  return tf__wire_add_all_events(b, x->ev, x->nev);
}

static int add_fate(tf_wbuf *b, const relay *y, int i, int fate) {
  return tf__wire_add(b, TF_ENT_FATE, (uint64_t)tf__layout_child_rank(&y->c.layout, i), fate, NULL,
                      0);
}

/* STOP came (or every worker is lost): stop the workers, then say goodbye
 * for the group. */
static void stop_group(relay *y) {
  y->ws.peer_lost |= y->up.peer_lost;
  tf_wbuf extra = {0};
  int rc = tf__wire_begin(&extra, TF_MSG_BYE, 0);
  /* The workers' fates, in the relay's own part: lost or stuck before the
   * stop (a stuck one may still say goodbye from its heartbeat thread)... */
  for (int i = 0; !rc && i < y->down.n; i++) {
    int st = y->down.c[i].state;
    if (st == TF_CHILD_LOST || st == TF_CHILD_STUCK)
      rc = add_fate(&extra, y, i, st == TF_CHILD_LOST ? TF_FATE_LOST : TF_FATE_STUCK);
  }
  if (tf__down_stop(&y->down, y->up.stop_status, y->up.stop_status != 0 || !y->up.stop))
    y->ws.stuck = 1;
  for (int i = 0; !rc && i < y->down.n; i++) /* ...and those that did not stop */
    if (y->down.c[i].state != TF_CHILD_DONE && y->down.c[i].state != TF_CHILD_LOST)
      rc = add_fate(&extra, y, i, TF_FATE_NO_BYE);
  for (int i = 0; !rc && i < y->down.n; i++)
    if (y->down.c[i].state == TF_CHILD_DONE) rc = add_goodbye(y, &extra, i);
  if (rc) tf__log(y->c.rank, "out of memory passing the workers' goodbyes on: left out");
  tf__up_bye_with(&y->up, rc ? NULL : &extra);
  tf__wbuf_free(&extra);
}

/* ---- running ------------------------------------------------------------------------ */

/* The group cannot go on (a worker gave up, a broken message, no memory):
 * the parent hears why, and the relay waits for STOP. */
static void fail_group(relay *y, int rc) {
  if (y->failed) return;
  y->failed = 1;
  tf__up_give_up(&y->up, "the relay at rank %d cannot go on: %s", y->c.rank, tf_strerror(rc));
}

/* Whether the outgoing frame goes now: with a request; children at once;
 * else when it holds TF_RELAY_BATCH chunks for every worker, is old, or the
 * group's queue is empty (the root may be waiting for these to end the run). */
static int flush_due(relay *y, double now) {
  tf_up *u = &y->up;
  if (tf__up_want(u) || u->out_urgent) return 1;
  if (!u->out.count) return 0;
  return u->out.count >= (uint64_t)u->plan.chunk * u->width * TF_RELAY_BATCH ||
         now - u->out_since >= TF_RELAY_HOLD || !tf__down_queued(&y->down);
}

/* Whether a worker of the group still runs tasks. */
static int group_alive(const relay *y) {
  for (int i = 0; i < y->down.n; i++)
    if (tf__down_alive(&y->down, i)) return 1;
  return 0;
}

/* One turn: the parent's frames, the workers' frames, answers, and what goes
 * up. Returns 1 when something happened, 0, or < 0 when the link to the
 * parent is broken. */
static int turn(relay *y) {
  double now = tf__now();
  tf__down_set_now(&y->down, now);
  int progressed = tf__up_poll(&y->up);
  if (progressed < 0) return progressed;
  if (y->up.in.queued) {
    int rc = tf__up_hand_over(&y->up, tf__pool_input(&y->pool));
    if (rc < 0) fail_group(y, rc);
  }
  if (y->up.stop) return 1;
  if (!y->failed) {
    int rc = tf__down_poll(&y->down); /* nothing while the frame up waits for room (sink_full) */
    if (rc >= 0) {
      progressed |= rc;
      rc = tf__down_dispatch(&y->down, TF_LEFT_UNKNOWN);
    }
    if (rc >= 0) {
      progressed |= rc;
      rc = tf__down_check(&y->down, 0);
    }
    if (rc < 0 && !group_alive(y)) { /* the parent runs its tasks elsewhere */
      y->orphaned = 1;
      return tf__up_flush(&y->up) < 0 ? TF_EMPI : 1;
    }
    if (rc < 0)
      fail_group(y, rc);
    else
      progressed |= rc;
  }
  tf_plan own = tf__policy_plan(&y->down.policy, TF_LEFT_UNKNOWN);
  y->up.floor_depth = own.depth + own.chunk;
  y->up.held_below = (uint32_t)(tf__down_queued(&y->down) + tf__down_in_flight(&y->down));
  y->up.starving = !tf__down_queued(&y->down) && tf__down_starving(&y->down);
  if (!y->failed && flush_due(y, now)) {
    int rc = tf__up_flush(&y->up);
    if (rc < 0) return rc;
    progressed |= rc;
  }
  int rc = tf__up_beat(&y->up, now);
  if (rc >= 0 && y->ws.peer_lost) rc = tf__up_tell_lost(&y->up); /* its STOP tells everyone */
  if (rc < 0) return rc;
  if (y->up.port.progress(y->up.port.ctx) < 0) {
    tf__log(y->c.rank, "%s", y->c.errmsg);
    return TF_EMPI;
  }
  return progressed;
}

static int run_loop(relay *y) {
  tf_idle idle;
  tf__idle_init(&idle, y->up.cfg->idle);
  while (!y->up.stop && !y->orphaned) {
    int rc = turn(y);
    if (rc < 0) return rc;
    if (rc) {
      tf__idle_reset(&idle);
      continue;
    }
    if ((rc = tf__up_quiet(&y->up)) < 0) return rc;
    tf__idle_wait(&idle);
  }
  return 0;
}

int tf__relay_run(MPI_Comm comm, const tf_layout *layout, const tf_app *app, const tf_config *cfg,
                  tf_run_stats *stats) {
  (void)app;
  relay y;
  memset(&y, 0, sizeof y);
  int n = layout->nchildren;
  int crc = tf__comm_init(&y.c, comm, layout);
  int wrc = tf__stats_alloc_workers(&y.ws, n);
  tf_sink sink = {&y,           sink_result,  sink_spawned, sink_drop_spawned, sink_failed,
                  sink_given_up, sink_partial, sink_timings, sink_slow,         sink_full};
  int rc = tf__up_init(&y.up, layout, cfg, tf__comm_parent_port(&y.c), NULL);
  if (!rc && tf__obs_wanted(cfg)) {
    y.has_obs = 1;
    rc = tf__obs_init(&y.obs, cfg, n, 0, y.up.trace.epoch);
  }
  if (!rc) rc = tf__pool_init(&y.pool, n, 0);
  if (!rc)
    rc = tf__down_init(&y.down, layout, cfg, &y.pool, tf__comm_port(&y.c), sink, &y.ws,
                       y.has_obs ? &y.obs : NULL, tf__now());
  if (wrc) rc = TF_ENOMEM;
  y.down.heartbeats = tf__heartbeats_on(cfg);
  tf__up_beats_on(&y.up);
  if (rc)
    fail_group(&y, rc);
  else if (crc)
    tf__up_give_up(&y.up, "cannot receive from its parent and workers: %s",
                   crc == TF_ENOMEM ? "out of memory" : y.c.errmsg);
  rc = run_loop(&y);
  if (y.orphaned)
    tf__log(y.c.rank, "every worker of this relay is lost: leaving; its tasks run elsewhere");
  if (y.up.stop || y.orphaned) {
    stop_group(&y);
  } else if (rc < 0) { /* the parent is lost: the workers are told, nobody hears goodbyes */
    y.ws.peer_lost = 1;
    if (tf__down_stop(&y.down, rc, 1)) y.ws.stuck = 1;
  }
  if (y.orphaned) y.ws.peer_lost = 1;
  stats->peer_lost = y.up.peer_lost || y.ws.peer_lost;
  stats->stuck = rc == TF_EMPI || y.ws.stuck;
  int stop_status = y.up.stop_status;
  tf__down_destroy(&y.down);
  tf__pool_destroy(&y.pool);
  if (y.has_obs) tf__obs_free(&y.obs);
  tf__up_destroy(&y.up);
  tf__comm_destroy(&y.c);
  tf__stats_free_workers(&y.ws);
  if (rc) return rc;
  stats->from_master = 1;
  return stop_status;
}
