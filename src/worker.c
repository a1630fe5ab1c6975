/* worker.c - a worker: an upstream engine (up.c) linking it to its parent,
 * and the executor that runs the app's tasks in the order they came. */
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "comm.h"
#include "handle.h"
#include "idle.h"
#include "log.h"
#include "roles.h"
#include "signals.h"
#include "up.h"

typedef struct worker {
  tf_comm c;
  tf_up up;
  const tf_app *app;
  tf_handle h;
  int may_leave;   /* it joined a running farm (--join): it may leave before the end */
  double leave_at; /* --leave-after, as a time; 0: never */
  unsigned turns;
  int left;
} worker;

/* tf_partial inside execute, which runs with the link let go: take it to send. */
static int send_partial(void *ctx, uint64_t id, uint32_t attempt, const void *data, size_t size) {
  (void)id, (void)attempt; /* the link knows the task it runs */
  tf_up *up = ctx;
  tf__up_lock(up);
  int rc = tf__up_partial(up, data, size);
  tf__up_unlock(up);
  return rc;
}

/* Run the next task in hand and hand its outcome to the link. */
static int run_one(worker *k) {
  tf_entry e;
  int rc = tf__up_begin(&k->up, &e);
  if (rc) return rc;
  tf__handle_begin_execute(&k->h, e.id, e.attempt);
  tf_task t = {e.id, e.prio, e.attempt, e.size ? e.data : NULL, e.size};
  tf__up_unlock(&k->up);
  tf__crash_set_task(e.id);
  int xrc = k->app->execute(&k->h, &t, k->app->ctx);
  tf__crash_clear();
  tf__up_lock(&k->up);
  k->h.phase = TF_IN_NONE;
  int ok = xrc == 0 && !k->h.error;
  char why[TF_WIRE_MAX_MESSAGE]; /* not cleared: that would cost a task its time */
  why[0] = '\0';
  if (!ok && k->h.error)
    snprintf(why, sizeof why, "%s", k->h.errmsg);
  else if (!ok)
    snprintf(why, sizeof why, "execute returned %d%s", xrc, tf__rc_hint(xrc));
  return tf__up_end(&k->up, &e, ok, &k->h.spawns, k->h.nchildren, k->h.result, k->h.result_len, xrc,
                    why);
}

/* One turn: what the parent sent, then a task, or results and a request.
 * Returns 1 when something happened, 0, or < 0 when the link is broken. */
static int turn(worker *k) {
  int progressed = 0, r = 0;
  if (tf__up_poll_due(&k->up) && (progressed = tf__up_poll(&k->up)) < 0) return progressed;
  if (k->up.stop) return 1;
  if (tf__up_can_run(&k->up)) {
    r = run_one(k);
    progressed = 1;
  } else {
    r = tf__up_flush_idle(&k->up);
    progressed |= r > 0;
  }
  if (r == TF_EMPI) return r;
  if (r < 0) tf__up_give_up(&k->up, "cannot go on: %s", tf_strerror(r));
  if (k->up.port.progress(k->up.port.ctx) < 0) {
    tf__log(k->c.rank, "%s", k->c.errmsg);
    return TF_EMPI;
  }
  return progressed;
}

/* A joined worker leaves on a stop signal to its job, or at --leave-after. */
static int time_to_leave(worker *k) {
  if (tf__stop_signal()) return 1;
  return k->leave_at > 0 && (++k->turns & 63) == 0 && tf__now() >= k->leave_at;
}

/* Leave the farm before it ends: the results done go first, then a goodbye
 * it did not ask for; the tasks still in hand go back to the farm, which
 * runs them elsewhere. */
static int leave(worker *k) {
  int rc = tf__up_flush(&k->up);
  tf__up_bye(&k->up);
  k->left = 1;
  return rc < 0 ? rc : 0;
}

/* Until STOP: whatever goes wrong, the worker tells its parent and waits for
 * STOP, so that the run ends cleanly; only a broken link ends it here. */
static int run_loop(worker *k) {
  tf_idle idle;
  tf__idle_init(&idle, k->h.cfg->idle);
  while (!k->up.stop) {
    if (k->may_leave && !k->up.gave_up && time_to_leave(k)) return leave(k);
    int rc = turn(k);
    if (rc < 0) return rc;
    if (rc) {
      tf__idle_reset(&idle);
      continue;
    }
    if ((rc = tf__up_quiet(&k->up)) < 0) return rc;
    tf__up_unlock(&k->up);
    tf__idle_wait(&idle);
    tf__up_lock(&k->up);
  }
  return 0;
}

int tf__worker_run(MPI_Comm comm, const tf_layout *layout, const tf_app *app, const tf_config *cfg,
                   tf_run_stats *stats) {
  worker k;
  memset(&k, 0, sizeof k);
  int crc = tf__comm_init(&k.c, comm, layout);
  k.app = app;
  tf__handle_init(&k.h, app, cfg, layout->rank, layout->nworkers, layout->worker);
  k.h.send_partial = send_partial;
  k.may_leave = cfg->join != NULL;
  k.leave_at = cfg->leave_after > 0 ? tf__now() + cfg->leave_after : 0;
  k.h.partial_ctx = &k.up;
  int init_ok = 0;
  if (tf__up_init(&k.up, layout, cfg, tf__comm_parent_port(&k.c), stats->leave)) {
    tf__up_give_up(&k.up, "out of memory");
  } else if (crc) {
    tf__up_give_up(&k.up, "cannot receive from its parent: %s",
                   crc == TF_ENOMEM ? "out of memory" : k.c.errmsg);
  } else {
    tf__up_heartbeat_start(&k.up);
    tf__up_unlock(&k.up);
    int irc = tf__call_hook(&k.h, app->worker_init, "worker_init");
    tf__up_lock(&k.up);
    if (irc)
      tf__up_give_up(&k.up, "worker_init failed");
    else
      init_ok = 1;
  }
  int rc = run_loop(&k);
  if (k.up.stop) tf__up_bye(&k.up);
  tf__up_heartbeat_stop(&k.up);
  stats->peer_lost = k.up.peer_lost;
  stats->left_early = k.left;
  stats->stuck = rc == TF_EMPI;
  /* After BYE, so a slow worker_fini never holds up the master's shutdown;
   * its failure is this rank's to report. */
  int fini_failed = init_ok && tf__call_hook(&k.h, app->worker_fini, "worker_fini") != 0;
  int stop_status = k.up.stop_status;
  tf__up_destroy(&k.up);
  tf__handle_free(&k.h);
  tf__comm_destroy(&k.c);
  if (rc) return rc;
  if (fini_failed) return TF_EAPP;
  if (k.left) return 0;
  stats->from_master = 1; /* what STOP said */
  return stop_status;
}
