/* serial.c - a farm of one rank: the same generate / execute / collect cycle
 * as master and worker, in one process and without messages, so every app
 * runs without mpirun and gives the same ids and answers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "handle.h"
#include "ids.h"
#include "log.h"
#include "resume.h"
#include "roles.h"
#include "observe.h"
#include "progress.h"
#include "signals.h"

static int out_of_memory(const tf_handle *h) {
  tf__log(0, "out of memory queueing task %llu or its children", (unsigned long long)h->cur_id);
  return TF_ENOMEM;
}

/* Queue the children of the task just executed (SPAWN entries in h->spawns). */
static int queue_children(tf_handle *h, tf_queue *q, tf_jstate *js, tf_idset *spawned,
                          tf_run_stats *stats) {
  if (!h->nchildren) return 0;
  tf__wire_finish(&h->spawns);
  tf_frame f;
  char why[200];
  if (tf__wire_decode(h->spawns.buf, h->spawns.len, h->cfg->max_payload, &f, why, sizeof why)) {
    tf__log(0, "internal error: children of task %llu: %s", (unsigned long long)h->cur_id, why);
    return TF_EPROTO;
  }
  size_t pos = 0;
  tf_entry e;
  for (uint32_t index = 0; tf__wire_next(&f, &pos, &e); index++) {
    int rc = tf__check_child(spawned, h->cur_id, index, e.id, 0);
    if (rc) return rc;
    if (tf__js_kid(js, e.id, e.prio, e.data, e.size)) return out_of_memory(h);
    if (tf__queue_push_new(q, e.id, e.prio, e.data, e.size)) return out_of_memory(h);
    stats->tasks_spawned++;
  }
  return 0;
}

/* What collect or failed submitted (in h->followups) joins the queue. */
static int queue_followups(tf_handle *h, tf_queue *q, tf_run_stats *stats) {
  tf_rec f;
  while (tf__queue_pop(h->followups, &f)) {
    if (tf__queue_push(q, &f)) {
      free(f.data);
      return out_of_memory(h);
    }
    stats->tasks_spawned++;
  }
  return 0;
}

/* tf_partial here: the master's partial, at once. */
static int partial_here(void *ctx, uint64_t id, uint32_t attempt, const void *data, size_t size) {
  tf_handle *h = ctx;
  if (!tf__call_partial(h, id, attempt, data, size)) return 0;
  h->partial_failed = 1; /* the run fails, not only the task */
  return TF_EAPP;
}

static int execute_one(tf_handle *h, const tf_app *app, tf_queue *q, tf_jstate *js,
                       tf_idset *spawned, tf_run_stats *stats) {
  tf_rec r;
  tf__queue_pop(q, &r);
  tf__handle_begin_execute(h, r.id, r.attempt);
  tf_task t = {r.id, r.prio, r.attempt, r.data, r.size};
  tf__crash_set_task(r.id);
  int xrc = app->execute(h, &t, app->ctx);
  tf__crash_clear();
  h->phase = TF_IN_NONE;
  int rc;
  if (h->partial_failed) {
    free(r.data);
    return TF_EAPP;
  }
  if (xrc != 0 || h->error) {
    char why[TF_WIRE_MAX_MESSAGE];
    if (h->error)
      snprintf(why, sizeof why, "%s", h->errmsg);
    else
      snprintf(why, sizeof why, "execute returned %d%s", xrc, tf__rc_hint(xrc));
    /* Its children are dropped with it. */
    rc = tf__after_failure(h, stats, &r, 0, xrc, why, strlen(why), h->result, h->result_len);
    if (rc == 1 && tf__queue_push(q, &r) == 0) return 0;
    free(r.data);
    if (rc == 1) return out_of_memory(h);
    int frc = queue_followups(h, q, stats);
    return rc ? rc : frc;
  }
  free(r.data);
  if ((rc = queue_children(h, q, js, spawned, stats))) return rc;
  stats->results++;
  if ((rc = tf__js_result(js, r.id, h->result, h->result_len))) return rc;
  if ((rc = tf__call_collect(h, r.id, h->result, h->result_len))) return rc;
  return queue_followups(h, q, stats);
}

/* A farm of one rank while it runs: what the steps of tf__serial_run share. */
typedef struct serial {
  const tf_app *app;
  const tf_config *cfg;
  tf_run_stats *stats;
  tf_handle h;
  tf_queue q, followups; /* the tasks to run; what collect and failed submit */
  tf_jstate js;
  tf_idset spawned;
  size_t window; /* generate no further ahead of execute than this */
  double t0;
  int master_ok, init_ok, done;
  uint64_t busy_ns;
  tf_trace tr; /* --trace / --timeline: the tasks go to worker 0's track, on one clock */
  tf_progress prog;
} serial;

/* The handle, then master_init, the journal (opened, replayed) and worker_init, each only when
 * the one before it succeeded. Returns 0 or the first error. */
static int start(serial *s) {
  tf_handle *h = &s->h;
  tf__handle_init(h, s->app, s->cfg, 0, 1, 0);
  h->queue = &s->q;
  h->followups = &s->followups;
  h->send_partial = partial_here;
  h->partial_ctx = h;
  s->window = 2 * (size_t)s->cfg->prefetch + 64;
  s->t0 = tf__now();
  int rc = tf__call_hook(h, s->app->master_init, "master_init");
  if (!rc) {
    s->master_ok = 1;
    rc = tf__js_open(&s->js, h, &s->q, s->stats);
  } else {
    memset(&s->js, 0, sizeof s->js);
  }
  if (!rc) {
    rc = tf__call_hook(h, s->app->worker_init, "worker_init");
    s->init_ok = rc == 0;
  }
  return rc;
}

/* --stats samples, --trace / --timeline events and --progress from the start of the run. */
static void watch_start(serial *s) {
  tf_obs *obs = s->stats->obs;
  if (obs) obs->t0 = obs->next_sample = s->t0;
  if (obs && obs->trace && tf__trace_init(&s->tr, (size_t)s->cfg->trace_events, s->t0))
    tf__log(0, "no room for %llu trace events (--trace-events): none are recorded",
            (unsigned long long)s->cfg->trace_events);
  tf__progress_init(&s->prog, s->cfg, s->t0);
}

/* The progress ended; the trace events handed to rank 0's observer as worker 0's. */
static void watch_end(serial *s) {
  tf_obs *obs = s->stats->obs;
  tf__progress_end(&s->prog);
  if (obs && s->tr.on) { /* worker 0's events, on the master's clock already */
    obs->w[0].ev = s->tr.ev;
    obs->w[0].nev = s->tr.n;
    obs->w[0].o[TF_OBS_DROPPED] = s->tr.dropped;
    obs->w[0].reported = 1;
    s->tr.ev = NULL;
  }
  tf__trace_free(&s->tr);
}

/* A stop signal: nothing is in flight here, so the run stops at once. TF_ESTOPPED, or 0 when
 * none came. */
static int stop_signal(tf_run_stats *stats) {
  int sig = tf__stop_signal();
  if (!sig) return 0;
  tf__log(0, "%s: stopping after the task that was running", tf__signal_name(sig));
  stats->stop_signal = sig;
  stats->urgent = tf__stop_urgent(); /* mpirun -np 1 kills it in a second */
  return TF_ESTOPPED;
}

/* generate until the window of tasks is full, generation is done, results in order hold it back
 * or a call gives no task. */
static int generate_some(serial *s) {
  int rc = 0;
  while (!rc && !s->done && tf__queue_size(&s->q) < s->window &&
         tf__order_may_generate(&s->h, s->h.next_id)) {
    size_t before = tf__queue_size(&s->q);
    rc = tf__call_generate(&s->h, &s->done, &s->stats->tasks_generated);
    if (tf__queue_size(&s->q) == before) break;
  }
  return rc;
}

/* --progress: the tasks done out of all of them, when generate has said how many. */
static void show_progress(serial *s, double now) {
  const tf_run_stats *st = s->stats;
  tf_progress_info in = {st->results + st->failed,
                         s->done      ? st->tasks_generated + st->tasks_spawned
                         : s->h.total ? s->h.total + st->tasks_spawned
                                      : 0,
                         st->failed, st->retried, 1, 1};
  tf__progress_show(&s->prog, now, &in);
}

/* The next task, timed; then its trace event, a --stats sample, the progress and the journal's
 * sync when they are due. */
static int execute_next(serial *s) {
  tf_run_stats *stats = s->stats;
  double a = tf__now();
  uint64_t before = stats->results, id = tf__queue_peek(&s->q)->id;
  int rc = execute_one(&s->h, s->app, &s->q, &s->js, &s->spawned, stats);
  double b = tf__now();
  s->busy_ns += (uint64_t)((b - a) * 1e9);
  if (s->tr.on) tf__trace_add(&s->tr, TF_EV_TASK, id, stats->results == before, a, b);
  if (tf__obs_sample_due(stats->obs, b))
    tf__obs_sample(stats->obs, b, tf__queue_size(&s->q), 1, stats->results);
  if (tf__progress_due(&s->prog, b)) show_progress(s, b);
  if (!rc && s->js.on && tf__js_tick(&s->js, b)) rc = TF_EJOURNAL;
  return rc;
}

/* generate and execute until the tasks run out, an error, a stop signal or tf_stop (nothing
 * else is in flight, so SOON stops as NOW does). */
static int run_tasks(serial *s) {
  int rc = 0;
  while (!rc && !s->h.stop) {
    if ((rc = stop_signal(s->stats))) break;
    rc = generate_some(s);
    if (rc || !tf__queue_size(&s->q)) {
      if (!rc && !s->done) continue; /* generate said more but gave none yet */
      break;
    }
    rc = execute_next(s);
  }
  return rc;
}

/* The end of the run from status rc: the app's stop, worker_fini, the journal closed, what waits
 * in order collected, finish, master_fini, and what was left undone named in the summary.
 * Returns the run's status: rc, or the first error after it. */
static int end_run(serial *s, int rc) {
  tf_handle *h = &s->h;
  tf_run_stats *stats = s->stats;
  int stopped = h->stop != 0; /* by the app: its status stands, finish does not run */
  if (stopped) {
    stats->app_stop = h->stop;
    tf__log(0, "the app stopped the run (tf_stop, %s)", h->stop == TF_STOP_NOW ? "now" : "soon");
    if (!rc) rc = h->stop_status;
  }
  int frc = s->init_ok ? tf__call_hook(h, s->app->worker_fini, "worker_fini") : 0;
  if (!rc) rc = frc;
  int jrc = tf__js_close(&s->js); /* what finished is safe before finish runs */
  if (!rc) rc = jrc;
  int crc = tf__collect_rest(h); /* a run cut short: what waits in order */
  if (!rc) rc = crc;
  if (!rc && !stopped) rc = tf__call_finish(h);
  if (!rc && !stopped && stats->failed) rc = TF_EAPP; /* --keep-going: finished, but not whole */
  if (s->master_ok && (frc = tf__call_master_fini(h, rc)) && !rc) rc = frc;
  if (rc || stopped) {
    tf_rec r;
    while (tf__queue_pop(&s->q, &r)) {
      tf__note_not_done(stats, r.id);
      free(r.data);
    }
    stats->more_to_generate = !s->done;
  }
  return rc;
}

int tf__serial_run(const tf_app *app, const tf_config *cfg, tf_run_stats *stats) {
  serial s = {.app = app, .cfg = cfg, .stats = stats};
  int rc = start(&s);
  watch_start(&s);
  if (!rc) rc = run_tasks(&s);
  watch_end(&s);
  rc = end_run(&s, rc);
  stats->wall = tf__now() - s.t0;
  stats->w_tasks[0] = stats->results;
  stats->w_busy_ns[0] = s.busy_ns;
  tf__queue_destroy(&s.q);
  tf__queue_destroy(&s.followups);
  tf__idset_free(&s.spawned);
  tf__handle_free(&s.h);
  return rc;
}
