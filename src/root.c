/* root.c - the root of a farm: the app's side (generate into the pool, and,
 * as the downstream engine's sink, collect and the journal) composed with a
 * downstream engine that serves the workers; and the stop signals, progress
 * and observation around them. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "beat.h"
#include "clock.h"
#include "comm.h"
#include "down.h"
#include "grow.h"
#include "handle.h"
#include "log.h"
#include "resume.h"
#include "roles.h"
#include "idle.h"
#include "observe.h"
#include "progress.h"
#include "signals.h"

typedef struct root {
  tf_comm c;
  const tf_config *cfg;
  tf_handle h; /* what the app's callbacks get */
  tf_pool pool;
  tf_down down;
  tf_jstate js;
  tf_run_stats *stats;
  int gen_done;
  int status;
  double now;
  /* graceful stop */
  int draining;
  int stopping;    /* the app's tf_stop, as last noticed: 0, TF_STOP_SOON or TF_STOP_NOW */
  int urgent;      /* mpirun kills the job in a second: no drain, no goodbyes */
  unsigned conts;  /* SIGCONTs seen */
  double drain_until;
  tf_obs *obs;  /* --stats, --trace, --timeline: or NULL */
  tf_trace *tr; /* the root's events, or NULL */
  tf_progress progress;
  tf_queue followups; /* what collect or failed just submitted */
  tf_layout *layout;  /* grows when jobs join (--accept-workers): ranks come from here, not
                         from c.layout, the copy the transport took at the start */
  tf_grow grow;
} root;

static int fail_run(root *r, int code) {
  if (!r->status) r->status = code;
  return code;
}

/* ---- the app's side: the sink of the downstream engine ------------------------------ */

/* The tasks collect or failed submitted go where child i draws from (under static, its share;
 * a child no longer in the run hands over to the first that is). */
static int place_followups(root *r, int i) {
  if (!tf__queue_size(&r->followups)) return 0; /* the common case: collect submitted nothing */
  if (!tf__pool_shared(&r->pool) && (i < 0 || !tf__down_alive(&r->down, i)))
    for (i = 0; i < r->down.n && !tf__down_alive(&r->down, i); i++)
      ;
  if (i < 0 || i >= r->down.n) i = 0;
  tf_rec t;
  while (tf__queue_pop(&r->followups, &t)) {
    if (tf__pool_put(&r->pool, i, &t)) {
      free(t.data);
      tf__log(0, "out of memory queueing a task submitted by collect");
      return TF_ENOMEM;
    }
    r->stats->tasks_spawned++;
  }
  return 0;
}

static int sink_result(void *ctx, int i, const tf_entry *e) {
  root *r = ctx;
  r->stats->results++;
  int rc = r->js.on ? tf__js_result(&r->js, e->id, e->data, e->size) : 0;
  if (!rc) rc = tf__call_collect(&r->h, e->id, e->data, e->size);
  return rc ? rc : place_followups(r, i);
}

static int sink_spawned(void *ctx, int i, const tf_entry *e) {
  root *r = ctx;
  /* static: a worker's children stay in its share */
  if (tf__js_kid(&r->js, e->id, e->prio, e->data, e->size) ||
      tf__queue_push_new(tf__pool_of(&r->pool, i), e->id, e->prio, e->data, e->size)) {
    tf__log(0, "out of memory queueing a task spawned by a worker");
    return TF_ENOMEM;
  }
  r->stats->tasks_spawned++;
  return 0;
}

static int sink_partial(void *ctx, int i, const tf_rec *t, const tf_entry *e) {
  (void)i;
  return tf__call_partial(&((root *)ctx)->h, t->id, t->attempt, e->data, e->size);
}

static void sink_drop_spawned(void *ctx) { tf__js_drop_kids(&((root *)ctx)->js); }

/* A failed task runs again (elsewhere, when it can) until --retries is used
 * up; then it is given up on, and the run goes on unless --fail-fast. */
static int sink_failed(void *ctx, int i, int rank, tf_rec *t, int status, const char *text,
                       size_t len, const tf_entry *out) {
  root *r = ctx;
  int rc = tf__after_failure(&r->h, r->stats, t, rank, status, text, len, out ? out->data : NULL,
                             out ? out->size : 0);
  int prc = rc == 1 ? 0 : place_followups(r, i);
  return prc ? prc : rc;
}

static int sink_given_up(void *ctx, int i, const tf_failure *f) {
  root *r = ctx;
  int rc = tf__given_up(&r->h, r->stats, f);
  int prc = place_followups(r, i);
  return rc ? rc : prc;
}

/* ---- generating -------------------------------------------------------------------- */

/* Tasks not yet handed out: known when the app gave a total or has finished
 * generating. */
static uint64_t tasks_left(const root *r) {
  uint64_t queued = tf__down_queued(&r->down);
  if (r->h.total && !r->gen_done)
    return queued + (r->h.total > r->stats->tasks_generated ? r->h.total - r->stats->tasks_generated
                                                            : 0);
  return r->gen_done ? queued : TF_LEFT_UNKNOWN;
}

/* Generate while the pool is short, in count (every worker's next two
 * requests) and in bytes (with the tasks handed out, --max-in-flight); the
 * static schedule generates everything first (it needs the count), then
 * fixes the shares. */
static int refill(root *r) {
  if (r->draining || r->stopping || r->gen_done) return 0;
  int progressed = 0, is_static = r->cfg->schedule == TF_SCHEDULE_STATIC;
  size_t limit =
      is_static ? SIZE_MAX : 2 * (size_t)r->layout->nworkers * (size_t)r->down.depth + 64;
  uint64_t byte_limit = is_static ? UINT64_MAX : r->cfg->max_in_flight;
  tf_queue *q = tf__pool_input(&r->pool);
  while (!r->gen_done && tf__queue_size(q) < limit &&
         q->bytes + r->down.ledger.bytes < byte_limit && tf__order_may_generate(&r->h, r->h.next_id)) {
    size_t before = tf__queue_size(q);
    double t = r->tr ? tf__now() : 0;
    int rc = tf__call_generate(&r->h, &r->gen_done, &r->stats->tasks_generated);
    if (r->tr) tf__trace_add(r->tr, TF_EV_GENERATE, tf__queue_size(q) - before, 0, t, tf__now());
    if (rc) return fail_run(r, rc);
    progressed = 1;
    if (tf__queue_size(q) == before) break; /* generate is asked again next round */
  }
  if (r->gen_done && tf__pool_fix_shares(&r->pool)) {
    tf__log(0, "out of memory sharing out the tasks");
    return fail_run(r, TF_ENOMEM);
  }
  return progressed;
}

/* ---- stopping ---------------------------------------------------------------------- */

/* The first stop signal: the journal first (the process may be killed any
 * moment), then the message. Returns 1 when the stop is at once. */
static int start_stop(root *r, int sig) {
  r->draining = 1;
  r->stats->stop_signal = sig;
  r->drain_until = tf__now() + r->cfg->drain;
  if (tf__js_flush(&r->js)) fail_run(r, TF_EJOURNAL);
  size_t in_flight = tf__down_in_flight(&r->down);
  if (tf__stop_urgent()) {
    r->urgent = 1;
    tf__log(0,
            "SIGTERM from mpirun (it was interrupted with Ctrl-C, or got SIGTERM or SIGHUP): it "
            "kills every rank about a second later, so the run stops at once, without waiting "
            "for the %zu tasks in flight; %s (SIGUSR1 to mpirun stops a run gracefully)",
            in_flight,
            r->js.on ? "the journal is flushed: run again with --resume"
                     : "no --journal was given, so the results so far are lost");
    return 1;
  }
  tf__log(0,
          "%s: no more tasks go out; waiting up to %g s (--drain) for the %zu in flight; %zu "
          "queued will not run; a second signal stops at once",
          tf__signal_name(sig), r->cfg->drain, in_flight, tf__down_queued(&r->down));
  if (sig == SIGTERM)
    tf__log(0, "(SIGTERM comes from the batch system's time limit, or from mpirun when a rank "
               "died: mpirun --enable-recovery keeps a run going without it)");
  return 0;
}

/* SIGUSR1, SIGTERM, ...: hand out nothing more, wait up to --drain for the
 * tasks in flight, then end with TF_ESTOPPED. A second signal ends the
 * wait. Returns 1 when the wait is over. */
static int check_stop(root *r) {
  unsigned conts = tf__cont_count();
  if (conts != r->conts) { /* perhaps mpirun starting to kill the job: the journal first */
    r->conts = conts;
    if (tf__js_flush(&r->js)) fail_run(r, TF_EJOURNAL);
  }
  int sig = tf__stop_signal();
  if (!sig) return 0;
  if (!r->draining && start_stop(r, sig)) return 1;
  return tf__stop_count() > 1 || tf__now() >= r->drain_until || tf__down_idle(&r->down);
}

/* tf_stop from collect or failed (r->h.stop): no more tasks go out; said once, and again if
 * SOON turns into NOW. Returns 1 when the run ends now: NOW, or nothing is in flight. */
static int app_stops(root *r) {
  if (r->stopping != r->h.stop) {
    r->stopping = r->stats->app_stop = r->h.stop;
    size_t in_flight = tf__down_in_flight(&r->down);
    if (r->h.stop == TF_STOP_NOW)
      tf__log(0, "the app stopped the run (tf_stop, now): the %zu task(s) in flight are abandoned",
              in_flight);
    else
      tf__log(0,
              "the app stopped the run (tf_stop, soon): no more tasks go out; waiting for the %zu "
              "in flight",
              in_flight);
  }
  return r->h.stop == TF_STOP_NOW || tf__down_idle(&r->down);
}

/* ---- progress ---------------------------------------------------------------------- */

/* --progress: done / total when the total is known, workers alive, failures. */
static void show_progress(root *r) {
  const tf_run_stats *s = r->stats;
  tf_progress_info in = {0};
  /* results and the counts of generated and spawned tasks include what a
   * resumed run read back from its journal */
  in.done = s->results + s->failed;
  if (r->gen_done)
    in.total = s->tasks_generated + s->tasks_spawned;
  else if (r->h.total)
    in.total = r->h.total + s->tasks_spawned;
  in.failed = s->failed;
  in.retried = s->retried;
  in.nworkers = r->layout->nworkers;
  for (int i = 0; i < r->down.n; i++) /* a relay's workers as it is */
    in.alive += tf__down_alive(&r->down, i) ? r->down.c[i].width : 0;
  tf__progress_show(&r->progress, r->now, &in);
}

/* ---- the run ----------------------------------------------------------------------- */

/* What the loop does now and then, not on every busy turn: timers, the
 * journal, samples, progress. Returns 1 when it changed something, 0, or < 0. */
static int housekeeping(root *r) {
  int rc = tf__down_check(&r->down, r->draining || r->stopping);
  if (rc < 0) return fail_run(r, rc);
  int joined = r->grow.open ? tf__grow_take(&r->grow, r->now) : 0;
  if (joined < 0) {
    if (joined == TF_ENOMEM) tf__log(0, "out of memory taking in a job of workers");
    return fail_run(r, joined); /* an MPI error: grow.c said which */
  }
  rc |= joined;
  if (r->js.on && tf__js_tick(&r->js, r->now)) return fail_run(r, TF_EJOURNAL);
  if (tf__obs_sample_due(r->obs, r->now))
    tf__obs_sample(r->obs, r->now, tf__down_queued(&r->down), tf__down_in_flight(&r->down),
                   r->stats->results);
  if (tf__progress_due(&r->progress, r->now)) show_progress(r);
  return rc;
}

/* The master's busy time (--stats, --verbose): each run of turns that did
 * something, from the start of its first turn to the start of the next
 * quiet one. turn_at: when this turn started (one clock read a turn, only
 * when asked for); *since: when the open run started, < 0 when none is. */
static void clock_busy(root *r, int progressed, double turn_at, double *since) {
  if (progressed && *since < 0) {
    *since = turn_at;
  } else if (!progressed && *since >= 0) {
    r->stats->master_busy += turn_at - *since;
    *since = -1;
  }
}

static void run_loop(root *r) {
  tf_idle idle;
  tf__idle_init(&idle, r->cfg->idle);
  int quiet = 0;    /* turns in a row that did nothing */
  unsigned turn = 0;
  int timed = r->obs || r->cfg->verbose;
  double busy_since = -1;
  while (!r->status) {
    int progressed = 0, rc;
    /* The clock, signals, timers and the journal: on the first quiet turn
     * and every 8th after it, or every 64th busy one, so that a busy root
     * spends its time on messages and a waiting one notices them soon. */
    int busy_turn = !r->draining && (quiet ? (quiet & 7) != 1 : (++turn & 63) != 0);
    double turn_at = timed ? tf__now() : 0;
    if (!busy_turn) tf__down_set_now(&r->down, r->now = timed ? turn_at : tf__now());
    if ((rc = tf__down_poll(&r->down)) < 0) break;
    progressed |= rc;
    if (r->h.stop && app_stops(r)) break; /* collect or failed called tf_stop */
    if (!busy_turn && check_stop(r)) break;
    if ((rc = refill(r)) < 0) break;
    progressed |= rc;
    int serving = !r->draining && !r->stopping;
    if (serving && (rc = tf__down_dispatch(&r->down, tasks_left(r))) < 0) break;
    progressed |= rc;
    if ((rc = r->down.port.progress(r->down.port.ctx)) < 0) {
      tf__log(0, "%s", r->c.errmsg);
      fail_run(r, rc);
      break;
    }
    if (!busy_turn && (rc = housekeeping(r)) < 0) break;
    progressed |= rc;
    if (r->gen_done && tf__down_queued(&r->down) == 0 && tf__down_idle(&r->down)) break;
    if (timed) clock_busy(r, progressed, turn_at, &busy_since);
    quiet = progressed ? 0 : quiet + 1;
    if (progressed)
      tf__idle_reset(&idle);
    else
      tf__idle_wait(&idle);
  }
  if (timed) clock_busy(r, 0, tf__now(), &busy_since); /* a run the loop left open ends here */
  if (r->down.status) fail_run(r, r->down.status);
}

/* After the loop: what was not done, the journal closed (results are safe
 * before anything that may hang or abort), finish if every task ran,
 * master_fini whatever happened, then the workers stopped. */
static void run_end(root *r, int init_ok, double t0) {
  tf_run_stats *s = r->stats;
  if (tf__grow_close(&r->grow, tf__now()) < 0) fail_run(r, TF_ENOMEM); /* join now: told to stop */
  if (r->draining && !r->status) r->status = TF_ESTOPPED;
  if (r->h.stop && !r->status) r->status = r->h.stop_status; /* may be 0: the app's verdict */
  int cut_short = r->status || r->h.stop;
  if (cut_short) {
    tf__down_count_undone(&r->down);
    s->more_to_generate = !r->gen_done;
  }
  if (r->progress.mode != TF_PROGRESS_NONE) {
    if (r->progress.mode == TF_PROGRESS_BAR) show_progress(r); /* the bar ends full */
    tf__progress_end(&r->progress);
  }
  if (r->obs)
    tf__obs_sample(r->obs, tf__now(), tf__down_queued(&r->down), tf__down_in_flight(&r->down),
                   s->results);
  int rc = tf__js_close(&r->js);
  if (rc) fail_run(r, rc);
  double t = r->tr ? tf__now() : 0;
  if ((rc = tf__collect_rest(&r->h))) fail_run(r, rc); /* a run cut short: what waits in order */
  if (!cut_short && (rc = tf__call_finish(&r->h))) fail_run(r, rc);
  if (r->tr) tf__trace_add(r->tr, TF_EV_FINISH, 0, 0, t, tf__now());
  if (!cut_short && s->failed) r->status = TF_EAPP; /* --keep-going: finished, but not whole */
  /* After the journal is safe: partial output of a stop. */
  if (init_ok && (rc = tf__call_master_fini(&r->h, r->status)) && !r->status) r->status = rc;
  s->wall = tf__now() - t0;
  t = r->tr ? tf__now() : 0;
  s->urgent = r->urgent;
  int abandons = r->draining || r->stopping == TF_STOP_NOW;
  rc = r->urgent ? 0 : tf__down_stop(&r->down, r->status, abandons); /* mpirun kills them anyway */
  if (r->tr) tf__trace_add(r->tr, TF_EV_STOP, 0, 0, t, tf__now());
  if (r->obs)
    tf__obs_root_counts(r->obs, r->c.msgs_sent, r->c.bytes_sent, r->c.msgs_recv, r->c.bytes_recv);
  /* A worker stuck in a task nobody needs any more (a copy that lost, the
   * drain after a stop, tf_stop now) does not change the run's outcome. */
  if (rc && !r->status && !r->down.copies.stale && !abandons) r->status = rc;
  s->stuck |= rc != 0; /* some worker may still run: finalize could hang */
}

int tf__root_run(MPI_Comm comm, tf_layout *layout, const tf_app *app, const tf_config *cfg,
                 tf_run_stats *stats) {
  root r;
  memset(&r, 0, sizeof r);
  r.layout = layout;
  int crc = tf__comm_init(&r.c, comm, layout);
  r.cfg = cfg;
  r.stats = stats;
  r.obs = stats->obs;
  r.tr = r.obs && r.obs->trace ? &r.obs->master : NULL;
  double t0 = r.now = tf__now();
  tf__handle_init(&r.h, app, cfg, layout->rank, layout->nworkers, -1);
  r.h.queue = tf__pool_input(&r.pool);
  r.h.followups = &r.followups;
  tf_sink sink = {&r,          sink_result,   sink_spawned, sink_drop_spawned,
                  sink_failed, sink_given_up, sink_partial, NULL, NULL, NULL};
  int rc = tf__pool_init(&r.pool, layout->nchildren, cfg->schedule == TF_SCHEDULE_STATIC);
  r.pool.width = layout->kwidth; /* a relay's static share is its workers' */
  if (!rc)
    rc = tf__down_init(&r.down, layout, cfg, &r.pool, tf__comm_port(&r.c), sink, stats, r.obs, t0);
  if (rc) tf__log(0, "out of memory starting the master");
  if (!rc && crc) {
    tf__log(0, "cannot receive from the workers: %s",
            crc == TF_ENOMEM ? "out of memory" : r.c.errmsg);
    rc = crc;
  }
  if (rc) fail_run(&r, rc);
  r.down.heartbeats = tf__heartbeats_on(cfg);
  tf__progress_init(&r.progress, cfg, t0);
  if (r.obs) tf__obs_start(r.obs, t0);
  /* Published before master_init: a name taken is a mistake on the command line */
  r.grow = (tf_grow){layout, &r.c, &r.down, &r.h, stats, NULL, 0, 0, 0, 0};
  if (!rc && cfg->accept_workers && (rc = tf__grow_open(&r.grow, cfg, app->name ? app->name : "app")))
    fail_run(&r, rc);
  r.down.accepting = r.grow.open;
  int init_ok = 0;
  if (!rc && !(rc = tf__call_hook(&r.h, app->master_init, "master_init"))) init_ok = 1;
  if (rc) fail_run(&r, rc);
  if (!rc && (rc = tf__js_open(&r.js, &r.h, tf__pool_input(&r.pool), stats))) fail_run(&r, rc);
  r.progress.last_done = stats->results; /* read back: not done at this run's rate */
  if (!r.status) run_loop(&r);
  run_end(&r, init_ok, t0);
  tf__down_destroy(&r.down);
  tf__pool_destroy(&r.pool);
  tf__queue_destroy(&r.followups);
  tf__handle_free(&r.h);
  tf__comm_destroy(&r.c);
  tf__grow_free(&r.grow);
  return r.status;
}
