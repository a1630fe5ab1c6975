/* down_watch.c - the downstream engine (down.h) watching over its children: a
 * silent one is lost and the tasks it held go back; stragglers are copied
 * (--task-timeout) and a task that hangs everywhere is given up on, its
 * children stuck; and the end: the stop, the goodbyes, what was not done. */
#include <stdio.h>
#include <stdlib.h>

#include "beat.h"
#include "clock.h"
#include "down.h"
#include "down_int.h"
#include "idle.h"
#include "log.h"
#include "observe.h"

/* How long children get to answer STOP: after success they are idle; after a
 * failure one may be inside a long task. */
#define TF_STOP_WAIT_OK 60.0
#define TF_STOP_WAIT_FAILED 10.0

/* ---- taking tasks back --------------------------------------------------------------- */

/* The next child after i still running (under static, the heir of i's
 * share), or -1. */
static int heir(const tf_down *d, int i) {
  for (int k = 1; k < d->n; k++) {
    int v = (i + k) % d->n;
    if (d->c[v].state == TF_CHILD_RUNNING) return v;
  }
  return -1;
}

/* Put r back for child v to draw on (any child, unless static); with no
 * child left to take it (v < 0 under static), it is counted as not done. */
static int put_back(tf_down *d, int v, tf_rec *r, const char *what) {
  if (v < 0 && !tf__pool_shared(d->pool)) {
    tf__note_not_done(d->stats, r->id);
    free(r->data);
    return 0;
  }
  if (tf__pool_put(d->pool, v >= 0 ? v : 0, r) == 0) return 0;
  free(r->data);
  return tf__down_oom(d, what);
}

/* Child i is out of the run (lost or stuck): under static its share goes to
 * its heir v; with no child left the run cannot go on. */
static int leave_run(tf_down *d, int i, int v, const char *what) {
  if (v >= 0) return tf__pool_move_share(d->pool, i, v) ? tf__down_oom(d, what) : 0;
  if (d->accepting) { /* the tasks wait in the pool for workers that join */
    tf__log(d->layout->rank, "no worker is left: the tasks wait for a job of workers to join");
    return 0;
  }
  tf__log(d->layout->rank, "every worker is lost or stuck; the run cannot go on");
  return tf__down_fail(d, TF_EMPI);
}

/* From now on child i gets nothing and is not listened to; it is counted and
 * named in the summary (a relay as its workers, unless it left because they
 * were lost: it counted them), and MPI_Finalize gets a deadline. */
void tf__down_mark_lost(tf_down *d, int i) {
  int left = d->c[i].state == TF_CHILD_DONE; /* a relay that said goodbye unasked */
  d->c[i].state = TF_CHILD_LOST;
  d->c[i].demand = d->c[i].demand_next = 0;
  tf_run_stats *s = d->stats;
  if (!left) tf__note_lost(s, tf__down_rank(d, i), (uint64_t)d->c[i].width);
  s->peer_lost = 1;
  d->port.forget(d->port.ctx, i);
}

/* Task f->id is given up on without a failed run: the sink hears of it. */
int tf__down_given_up(tf_down *d, int i, const tf_failure *f) {
  if (d->sink.given_up) return d->sink.given_up(d->sink.ctx, i, f);
  tf__note_failure(d->stats, f->id);
  return 0;
}

/* Child i is gone (silent too long): every task it held goes back, and the
 * run that ended with it counts as a failed attempt. Which task was running
 * is known only for a task on its second try or later (a "suspect"):
 * workers report everything before and after such a task at once, so it is
 * the oldest the lost child held. Otherwise any task it held may have been
 * the one, and all become suspects. So a task that kills every worker it
 * lands on is given up on after the second loss (or after --retries, if
 * more), and an innocent one never is. */
int tf__down_lose(tf_down *d, int i, const char *why) {
  tf__down_mark_lost(d, i);
  tf_run_stats *s = d->stats;
  int v = heir(d, i);
  tf__log(d->layout->rank, "rank %d is lost (%s)%s; %zu task(s) it held go to the other workers",
          tf__down_rank(d, i), why, d->c[i].relay ? ", a relay: its workers with it" : "",
          tf__ledger_held(&d->ledger, i));
  uint32_t budget = d->cfg->retries > 1 ? (uint32_t)d->cfg->retries : 1;
  const tf_rec *head = tf__ledger_head(&d->ledger, i);
  int suspect_ran = head && head->attempt > 0 && !d->c[i].relay; /* a relay ran many */
  tf_rec r;
  for (int first = 1; tf__ledger_pop(&d->ledger, i, &r); first = 0) {
    int dropped;
    if (tf__copies_settle(&d->copies, r.id, 0, &dropped)) { /* its twin runs on, or won already */
      free(r.data);
      continue;
    }
    if (suspect_ran ? first : r.attempt == 0) r.attempt++;
    if (first && suspect_ran && r.attempt > budget) {
      char why[96]; /* "it ...": the log line says "task ID ..." */
      snprintf(why, sizeof why, "it was running on %u workers that were lost", r.attempt);
      tf__log(d->layout->rank, "task %llu %s; giving up on it", (unsigned long long)r.id, why + 3);
      tf_failure f = {r.id, r.attempt, 0, tf__down_rank(d, i), 1, why, r.data, r.size, NULL, 0};
      int rc = tf__down_given_up(d, i, &f);
      free(r.data);
      if (rc || d->cfg->fail_fast) tf__down_fail(d, rc ? rc : TF_EAPP);
      continue;
    }
    r.avoid = -1;
    s->lost_tasks++;
    s->retried += first && suspect_ran; /* it was running: this is another try */
    int rc = put_back(d, v, &r, "queueing a lost worker's tasks");
    if (rc) return rc;
  }
  return leave_run(d, i, v, "queueing a lost worker's tasks");
}

/* Child i is stuck in a task given up on (a worker's is the head of its
 * ledger; a relay of one worker may hold it anywhere): it gets nothing more,
 * the other tasks it held go back (they will not run there), and at
 * the end it is told to leave (a relay tells its worker). It stays alive: a
 * worker's heartbeat thread answers for it, a relay's loop for a relay. */
static int make_stuck(tf_down *d, int i) {
  d->c[i].state = TF_CHILD_STUCK;
  d->c[i].demand = d->c[i].demand_next = 0;
  d->stats->stuck_workers++;
  int v = heir(d, i);
  tf_rec r;
  while (tf__ledger_pop(&d->ledger, i, &r)) {
    int dropped;
    if (tf__copies_settle(&d->copies, r.id, 0, &dropped)) { /* the hanging task, or a copy */
      free(r.data);
      continue;
    }
    int rc = put_back(d, v, &r, "queueing a stuck worker's tasks");
    if (rc) return rc;
  }
  return leave_run(d, i, v, "queueing a stuck worker's tasks");
}

/* ---- stragglers (--task-timeout) ----------------------------------------------------- */

/* Child i is still inside a task whose copy elsewhere has finished: the tasks
 * it holds behind that one are copied into the pool too, so they do not wait
 * for it. Whichever copy finishes first counts. */
int tf__down_copy_tail(tf_down *d, int i) {
  int v = tf__pool_shared(d->pool) ? 0 : heir(d, i);
  if (v < 0) return 0;
  /* a relay: its stuck worker may hold any of its tasks, and it may have no other */
  for (size_t k = d->c[i].relay ? 0 : 1; k < tf__ledger_span(&d->ledger, i); k++) {
    const tf_rec *t = tf__ledger_slot(&d->ledger, i, k);
    if (!t || tf__copies_find(&d->copies, t->id)) continue;
    tf_rec r;
    if (tf__rec_copy(&r, t) || !tf__copies_add(&d->copies, r.id, 2, 1, i, -1, d->now)) {
      free(r.data);
      return tf__down_oom(d, "copying the tasks of a slow worker");
    }
    r.avoid = i;
    if (tf__pool_put(d->pool, v, &r)) {
      free(r.data);
      return tf__down_oom(d, "copying the tasks of a slow worker");
    }
  }
  return 0;
}

/* Task id as child i holds it when i runs it, else NULL: a worker's is the
 * head of its ledger; a relay may run any task it holds. */
static const tf_rec *runs(const tf_down *d, int i, uint64_t id) {
  if (d->c[i].relay) return tf__ledger_find(&d->ledger, i, id);
  const tf_rec *h = tf__ledger_head(&d->ledger, i);
  return h && h->id == id ? h : NULL;
}

/* Whether child i, running a task that hangs, is stuck in it: a worker is,
 * and so is a relay of one worker (that worker is inside the task, and
 * nothing the relay holds besides will run there). A wider relay has other
 * workers: it watches its own, and those in the task are stopped with it at
 * the end. */
static int sticks(const tf_down *d, int i) { return !d->c[i].relay || d->c[i].width == 1; }

/* Both copies of a task have run longer than --task-timeout: it hangs. It is
 * given up on, and the two children stuck in it get nothing more. */
static int give_up_stuck(tf_down *d, tf_copy *c) {
  uint64_t id = c->id;
  int a = c->first, b = c->second;
  char why[160]; /* "it ...": the log line says "task ID ..." */
  snprintf(why, sizeof why, "it has run for more than %g s (--task-timeout) on rank %d and on rank %d",
           d->cfg->task_timeout, tf__down_rank(d, a), tf__down_rank(d, b));
  tf__log(0, "task %llu %s; giving up on it; both ranks are stuck in it and get no more tasks",
          (unsigned long long)id, why + 3);
  const tf_rec *t = runs(d, a, id);
  if (!t) t = runs(d, b, id);
  tf_failure f = {id, 2, 0, tf__down_rank(d, b), 1, why, t ? t->data : NULL, t ? t->size : 0,
                  NULL, 0};
  int failed = tf__down_given_up(d, b, &f);
  tf__copies_give_up(&d->copies, c); /* what either copy might still bring is dropped */
  int rc = sticks(d, a) ? make_stuck(d, a) : 0;
  if (rc >= 0 && sticks(d, b)) rc = make_stuck(d, b);
  if (rc >= 0 && (failed || d->cfg->fail_fast)) tf__down_fail(d, failed ? failed : TF_EAPP);
  return rc < 0 ? rc : 1;
}

/* A child with nothing in hand asking for tasks, other than i, or -1. */
static int idle_child(const tf_down *d, int i) {
  for (int k = 1; k < d->n; k++) {
    int u = (i + k) % d->n;
    if (d->c[u].state == TF_CHILD_RUNNING && d->c[u].demand > 0 &&
        !tf__ledger_held(&d->ledger, u) && !tf__queue_size(tf__pool_of(d->pool, u)))
      return u;
  }
  return -1;
}

/* Task head, which child i has run since `since`, for longer than
 * --task-timeout: when it runs twice already and both copies are past the
 * timeout it hangs; else when another child asks with nothing in hand, that
 * one runs it too (a relay with none to give it to tells its parent). */
static int slow_task(tf_down *d, int i, const tf_rec *head, double since) {
  double timeout = d->cfg->task_timeout;
  tf_copy *c = tf__copies_find(&d->copies, head->id);
  if (c && !c->done && c->copies == 2 && c->second >= 0 && d->now - c->since > timeout &&
      runs(d, c->second, c->id))
    return give_up_stuck(d, c);
  if (head->avoid == TF_REC_NO_COPY) { /* a copy the parent made: it copies no further */
    /* but what child i holds behind it goes to the others, and it gets
     * nothing more while it asks from inside it: the parent may give the
     * task up as hanging, and then it never ends here */
    if (d->c[i].slow && d->c[i].slow_id == head->id) return 0;
    d->c[i].slow = 1;
    d->c[i].slow_id = head->id;
    d->c[i].held_demand += d->c[i].demand; /* answered if the task ends after all */
    d->c[i].demand = 0;
    return tf__down_copy_tail(d, i);
  }
  int v = c ? -1 : idle_child(d, i);
  if (v < 0 && !c && d->sink.slow && !(d->c[i].slow && d->c[i].slow_id == head->id)) {
    d->c[i].slow = 1; /* a relay with no other worker free: its parent may have one */
    d->c[i].slow_id = head->id;
    int rc = d->sink.slow(d->sink.ctx, head->id);
    return rc ? tf__down_fail(d, rc) : 0;
  }
  if (v < 0) return 0;
  tf_rec r;
  tf_plan plan = tf__policy_plan(&d->policy, d->left);
  tf_wbuf *b = d->port.buffer(d->port.ctx);
  if (tf__rec_copy(&r, head) || !b ||
      tf__wire_begin(b, TF_MSG_TASKS, TF_WIRE_PLAN(plan.depth, plan.chunk)) ||
      tf__wire_add_task(b, r.id, r.prio, r.attempt | (d->c[v].relay ? TF_WIRE_TASK_COPY : 0), r.data,
                        r.size) ||
      !tf__copies_add(&d->copies, r.id, 2, 0, i, v, d->now) || tf__ledger_push(&d->ledger, v, &r)) {
    free(r.data);
    return tf__down_oom(d, "copying a slow task");
  }
  d->stats->copies++;
  tf__log(d->layout->rank,
          "task %llu has run for %.1f s on rank %d (--task-timeout %g); rank %d runs it too",
          (unsigned long long)r.id, d->now - since, tf__down_rank(d, i), timeout,
          tf__down_rank(d, v));
  int rc = tf__down_send_tasks(d, v, b, 1);
  return rc < 0 ? rc : 1;
}

/* A worker's task that has run longer than --task-timeout is the head of its
 * ledger; a relay says which of its tasks it could not copy among its own
 * workers (on_slow). */
static int straggler(tf_down *d, int i) {
  if (d->c[i].relay) {
    const tf_rec *t = d->c[i].slow ? tf__ledger_find(&d->ledger, i, d->c[i].slow_id) : NULL;
    if (!t) d->c[i].slow = 0;
    return t ? slow_task(d, i, t, d->c[i].slow_since) : 0;
  }
  const tf_rec *head = tf__ledger_head(&d->ledger, i);
  if (!head || d->now - d->c[i].head_since < d->cfg->task_timeout) return 0;
  return slow_task(d, i, head, d->c[i].head_since);
}

int tf__down_check(tf_down *d, int draining) {
  double now = d->now;
  if (now < d->next_check) return 0;
  int deaf = tf__down_deaf(d);
  /* If this rank itself was away (a slow generate or collect), or took no
   * frames while its sink was full, nobody had a chance to be heard: start
   * every clock again. */
  if (now - d->last_check > d->hb_every || deaf)
    for (int i = 0; i < d->n; i++)
      if (d->c[i].heard < now) d->c[i].heard = now;
  d->last_check = now;
  d->next_check = now + (d->hb_every < 0.05 ? d->hb_every : 0.05);
  int progressed = 0;
  for (int i = 0; i < d->n && !d->status; i++) {
    if (d->c[i].state != TF_CHILD_RUNNING) continue;
    int rc = 0;
    if (d->heartbeats && now - d->c[i].heard > tf__worker_timeout(d->cfg)) {
      char why[64];
      snprintf(why, sizeof why, "silent for %.1f s", now - d->c[i].heard);
      rc = tf__down_lose(d, i, why);
    } else if (d->cfg->task_timeout > 0 && !draining && !deaf) { /* its result may wait unread */
      rc = straggler(d, i);
    }
    if (!rc && d->c[i].state == TF_CHILD_RUNNING && now - d->c[i].told >= d->hb_every)
      rc = tf__down_send_empty(d, i, TF_MSG_HEARTBEAT, 0, TF_WIRE_TAG);
    if (rc < 0) return rc;
    progressed |= rc > 0 || d->c[i].state == TF_CHILD_LOST;
  }
  return progressed;
}

/* ---- the end ------------------------------------------------------------------------- */

/* Whether child k has still to say goodbye (and is a relay, if relays_only). */
static int still_to_stop(const tf_down *d, int k, int relays_only) {
  return d->c[k].state != TF_CHILD_DONE && d->c[k].state != TF_CHILD_LOST &&
         (!relays_only || d->c[k].relay);
}

/* Children (or relays only) still to say goodbye, by rank, for a message. */
static void name_left(const tf_down *d, char *out, size_t cap, int relays_only) {
  size_t n = 0;
  out[0] = '\0';
  for (int k = 0; k < d->n && n + 12 < cap; k++)
    if (still_to_stop(d, k, relays_only))
      n += (size_t)snprintf(out + n, cap - n, " %d", tf__down_rank(d, k));
}

/* While stopping: a frame from child i (a BYE; an error; anything else comes
 * too late). */
static void stop_frame(tf_down *d, int i, const unsigned char *buf, size_t len) {
  tf_frame f;
  if (tf__down_decode(d, i, buf, len, &f) || d->c[i].state == TF_CHILD_LOST) return;
  if (f.kind == TF_MSG_BYE && d->c[i].state != TF_CHILD_DONE)
    tf__down_record_bye(d, i, &f);
  else if (f.kind == TF_MSG_ERROR)
    tf__down_on_error(d, i, &f);
}

/* With heartbeats, a child that died after the last result is lost, not
 * stuck: nothing is waited for from it. */
static void lost_while_stopping(tf_down *d) {
  for (int k = 0; d->heartbeats && k < d->n; k++)
    if (d->c[k].state != TF_CHILD_DONE && d->c[k].state != TF_CHILD_LOST &&
        d->now - d->c[k].heard > tf__worker_timeout(d->cfg)) {
      tf__log(d->layout->rank, "rank %d is lost (silent for %.1f s) while stopping",
              tf__down_rank(d, k), d->now - d->c[k].heard);
      tf__down_mark_lost(d, k);
    }
}

/* Tell the children that are relays (relays 1), or those that are not
 * (relays 0), to stop; one still inside a task nobody needs (it hangs, a
 * copy won, or a stop signal's drain ended) also on TF_WIRE_TAG_LEAVE, which
 * its heartbeat thread answers while execute runs on. Returns how many were
 * told, or < 0. */
static int tell_stop(tf_down *d, int status, int relays) {
  int told = 0;
  uint32_t aux = TF_WIRE_STOP(status, d->stats->lost > 0 || d->stats->peer_lost);
  for (int i = 0; i < d->n; i++) {
    if (d->c[i].state == TF_CHILD_LOST || d->c[i].state == TF_CHILD_DONE ||
        d->c[i].relay != relays)
      continue;
    int rc = tf__down_send_empty(d, i, TF_MSG_STOP, aux, TF_WIRE_TAG);
    if (!rc && d->heartbeats && !d->c[i].relay &&
        (d->c[i].state == TF_CHILD_STUCK || tf__ledger_held(&d->ledger, i)))
      rc = tf__down_send_empty(d, i, TF_MSG_STOP, aux, TF_WIRE_TAG_LEAVE);
    if (rc) return rc;
    if (d->obs) d->c[i].stop_sent = tf__now() - d->obs->t0;
    told++;
  }
  return told;
}

/* Children not yet gone: all of them, or the relays only. */
static int still_here(const tf_down *d, int relays_only) {
  int n = 0;
  for (int k = 0; k < d->n; k++)
    n += still_to_stop(d, k, relays_only);
  return n;
}

/* From t on, silence counts (the app may have kept this rank away). */
static void listen_from(tf_down *d, double t) {
  for (int k = 0; k < d->n; k++)
    d->c[k].heard = t;
}

int tf__down_stop(tf_down *d, int status, int draining) {
  double wait = status || draining ? TF_STOP_WAIT_FAILED : TF_STOP_WAIT_OK;
  if ((d->copies.stale || draining) && d->cfg->drain < wait) wait = d->cfg->drain;
  if (wait < 1.0) wait = 1.0;
  /* Relays first: their goodbyes tell which of their workers were lost, and
   * the workers told after them then hear that a rank was (their
   * MPI_Finalize needs a deadline, not a barrier with a dead rank). Each
   * phase that tells somebody gets the whole wait. */
  int rc = tell_stop(d, status, 1), workers_told = 0, late = 0;
  if (rc < 0) return rc;
  double deadline = tf__now() + wait;
  listen_from(d, deadline - wait);
  tf_idle idle;
  tf__idle_init(&idle, d->cfg->idle);
  for (;;) {
    int here = still_here(d, !workers_told);
    if (!workers_told && (!here || late)) {
      if ((rc = tell_stop(d, status, 0)) < 0) return rc;
      workers_told = 1;
      if (rc > 0) { /* a wait of their own; a relay already late gets no more */
        deadline = tf__now() + wait;
        listen_from(d, deadline - wait);
      }
      continue;
    }
    if (!here) break;
    unsigned char *buf;
    size_t len;
    int i;
    int got = d->port.poll(d->port.ctx, &buf, &len, &i);
    if (got < 0) {
      tf__log(d->layout->rank, "%s", d->port.error(d->port.ctx));
      return got;
    }
    if (got > 0) {
      stop_frame(d, i, buf, len);
      d->port.release(d->port.ctx, buf, len);
      tf__idle_reset(&idle);
      continue;
    }
    d->port.progress(d->port.ctx);
    d->now = tf__now();
    lost_while_stopping(d);
    if (d->now > deadline) {
      char ranks[200];
      name_left(d, ranks, sizeof ranks, !workers_told);
      tf__log(d->layout->rank, "%d %s did not stop within %.0f s (rank%s%s)", here,
              workers_told ? "child rank(s)" : "relay(s)", wait, here > 1 ? "s" : "", ranks);
      if (workers_told) return TF_EMPI;
      late = 1; /* the workers are still told, and waited for */
    }
    tf__idle_wait(&idle);
  }
  rc = d->port.drain(d->port.ctx, wait);
  if (rc) tf__log(d->layout->rank, "%s", d->port.error(d->port.ctx));
  return rc ? rc : late ? TF_EMPI : 0;
}

/* A task not done at the end, counted once (a task running twice, or held
 * and queued as a copy, is one), and not when it was done after all. */
static int undone(tf_down *d, tf_idset *seen, uint64_t id) {
  const tf_copy *c = tf__copies_find(&d->copies, id);
  if ((c && c->done) || tf__idset_add(seen, id) != 1) return 0;
  tf__note_not_done(d->stats, id);
  return 1;
}

void tf__down_count_undone(tf_down *d) {
  tf_idset seen = {0};
  for (int i = 0; i < d->n; i++)
    for (size_t k = 0; k < tf__ledger_span(&d->ledger, i); k++) {
      const tf_rec *t = tf__ledger_slot(&d->ledger, i, k);
      if (t) d->stats->not_done_held += (uint64_t)undone(d, &seen, t->id);
    }
  tf_rec r;
  while (tf__pool_take_any(d->pool, &r)) { /* the run is over: the pool is emptied here */
    undone(d, &seen, r.id);
    free(r.data);
  }
  tf__idset_free(&seen);
}

size_t tf__down_queued(const tf_down *d) { return tf__pool_size(d->pool) - d->copies.stale_queued; }
