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
  int rc = tf__handle_begin_execute(h, r.id, r.attempt);
  if (rc) {
    free(r.data);
    return rc;
  }
  tf_task t = {r.id, r.prio, r.attempt, r.data, r.size};
  tf__crash_set_task(r.id);
  int xrc = app->execute(h, &t, app->ctx);
  tf__crash_clear();
  h->phase = TF_IN_NONE;
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

int tf__serial_run(const tf_app *app, const tf_config *cfg, tf_run_stats *stats) {
  tf_handle h;
  tf_queue q = {0}, followups = {0};
  tf__handle_init(&h, app, cfg, 0, 1, 0);
  h.queue = &q;
  h.followups = &followups;
  h.send_partial = partial_here;
  h.partial_ctx = &h;
  size_t window = 2 * (size_t)cfg->prefetch + 64;
  double t0 = tf__now();
  tf_jstate js;
  tf_idset spawned = {0};
  int master_ok = 0, init_ok = 0;
  int rc = tf__call_hook(&h, app->master_init, "master_init");
  if (!rc) {
    master_ok = 1;
    rc = tf__js_open(&js, &h, &q, stats);
  } else {
    memset(&js, 0, sizeof js);
  }
  if (!rc) {
    rc = tf__call_hook(&h, app->worker_init, "worker_init");
    init_ok = rc == 0;
  }
  int done = 0;
  uint64_t busy_ns = 0;
  /* --trace / --timeline: the tasks go to worker 0's track, on one clock. */
  tf_obs *obs = stats->obs;
  tf_trace tr = {0};
  if (obs) obs->t0 = obs->next_sample = t0;
  if (obs && obs->trace && tf__trace_init(&tr, (size_t)cfg->trace_events, t0))
    tf__log(0, "no room for %llu trace events (--trace-events): none are recorded",
            (unsigned long long)cfg->trace_events);
  tf_progress prog;
  tf__progress_init(&prog, cfg, t0);
  while (!rc && !h.stop) { /* tf_stop: nothing else is in flight, so SOON stops as NOW does */
    int sig = tf__stop_signal();
    if (sig) { /* nothing is in flight here: stop at once */
      tf__log(0, "%s: stopping after the task that was running", tf__signal_name(sig));
      stats->stop_signal = sig;
      stats->urgent = tf__stop_urgent(); /* mpirun -np 1 kills it in a second */
      rc = TF_ESTOPPED;
      break;
    }
    while (!rc && !done && tf__queue_size(&q) < window && tf__order_may_generate(&h, h.next_id)) {
      size_t before = tf__queue_size(&q);
      rc = tf__call_generate(&h, &done, &stats->tasks_generated);
      if (tf__queue_size(&q) == before) break;
    }
    if (rc || !tf__queue_size(&q)) {
      if (!rc && !done) continue; /* generate said more but gave none yet */
      break;
    }
    double a = tf__now();
    uint64_t before = stats->results, id = tf__queue_peek(&q)->id;
    rc = execute_one(&h, app, &q, &js, &spawned, stats);
    double b = tf__now();
    busy_ns += (uint64_t)((b - a) * 1e9);
    if (tr.on) tf__trace_add(&tr, TF_EV_TASK, id, stats->results == before, a, b);
    if (tf__obs_sample_due(obs, b)) tf__obs_sample(obs, b, tf__queue_size(&q), 1, stats->results);
    if (tf__progress_due(&prog, b)) {
      tf_progress_info in = {stats->results + stats->failed,
                             done ? stats->tasks_generated + stats->tasks_spawned
                             : h.total ? h.total + stats->tasks_spawned
                                       : 0,
                             stats->failed, stats->retried, 1, 1};
      tf__progress_show(&prog, b, &in);
    }
    if (!rc && js.on && tf__js_tick(&js, b)) rc = TF_EJOURNAL;
  }
  tf__progress_end(&prog);
  if (obs && tr.on) { /* worker 0's events, on the master's clock already */
    obs->w[0].ev = tr.ev;
    obs->w[0].nev = tr.n;
    obs->w[0].o[TF_OBS_DROPPED] = tr.dropped;
    obs->w[0].reported = 1;
    tr.ev = NULL;
  }
  tf__trace_free(&tr);
  int stopped = h.stop != 0; /* by the app: its status stands, finish does not run */
  if (stopped) {
    stats->app_stop = h.stop;
    tf__log(0, "the app stopped the run (tf_stop, %s)", h.stop == TF_STOP_NOW ? "now" : "soon");
    if (!rc) rc = h.stop_status;
  }
  int frc = init_ok ? tf__call_hook(&h, app->worker_fini, "worker_fini") : 0;
  if (!rc) rc = frc;
  int jrc = tf__js_close(&js); /* what finished is safe before finish runs */
  if (!rc) rc = jrc;
  int crc = tf__collect_rest(&h); /* a run cut short: what waits in order */
  if (!rc) rc = crc;
  if (!rc && !stopped) rc = tf__call_finish(&h);
  if (!rc && !stopped && stats->failed) rc = TF_EAPP; /* --keep-going: finished, but not whole */
  if (master_ok && (frc = tf__call_master_fini(&h, rc)) && !rc) rc = frc;
  if (rc || stopped) { /* what was left undone: named in the summary */
    tf_rec r;
    while (tf__queue_pop(&q, &r)) {
      tf__note_not_done(stats, r.id);
      free(r.data);
    }
    stats->more_to_generate = !done;
  }
  stats->wall = tf__now() - t0;
  stats->w_tasks[0] = stats->results;
  stats->w_busy_ns[0] = busy_ns;
  tf__queue_destroy(&q);
  tf__queue_destroy(&followups);
  tf__idset_free(&spawned);
  tf__handle_free(&h);
  return rc;
}
