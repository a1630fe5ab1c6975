/* down.c - the downstream engine (down.h): serves a rank's children. It only
 * ever polls, so one slow or silent child never stalls the others. */
#include "down.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "beat.h"
#include "check.h"
#include "clock.h"
#include "flow.h"
#include "ids.h"
#include "idle.h"
#include "log.h"
#include "observe.h"
#include "trace.h"

/* Bytes of tasks packed into one TASKS frame (one larger task still goes alone). */
#define TF_DOWN_FRAME_BYTES (1u << 20)
/* How long children get to answer STOP: after success they are idle; after a
 * failure one may be inside a long task. */
#define TF_STOP_WAIT_OK 60.0
#define TF_STOP_WAIT_FAILED 10.0

static int fail(tf_down *d, int code) {
  if (!d->status) d->status = code;
  return code;
}

static int out_of_memory(tf_down *d, const char *what) {
  tf_log(0, "out of memory %s", what);
  return fail(d, TF_ENOMEM);
}

static int rank_of(const tf_down *d, int i) { return tf_layout_child_rank(d->layout, i); }

/* ---- sending ----------------------------------------------------------------------- */

/* Send the frame b (finished here) to child i. */
static int send(tf_down *d, int i, tf_wbuf *b, int tag, const char *what) {
  tf_wire_finish(b);
  int rc = d->port.send(d->port.ctx, b, i, tag);
  if (rc) {
    tf_log(0, "sending %s to rank %d: %s", what, rank_of(d, i), d->port.error(d->port.ctx));
    return fail(d, rc);
  }
  d->c[i].told = d->now;
  return 0;
}

/* A frame of the given kind with no entries: a heartbeat, a STOP. */
static int send_empty(tf_down *d, int i, unsigned kind, uint32_t aux, int tag) {
  tf_wbuf *b = d->port.buffer(d->port.ctx);
  if (!b || tf_wire_begin(b, kind, aux)) return out_of_memory(d, "building a message");
  return send(d, i, b, tag, tf_wire_kind_name(kind));
}

/* Send the TASKS frame b (n tasks, already in i's ledger) to child i. */
static int send_tasks_frame(tf_down *d, int i, tf_wbuf *b, int n) {
  double t = d->trace ? tf_now() : 0;
  int rc = send(d, i, b, TF_WIRE_TAG, "tasks");
  if (d->trace) tf_trace_add(d->trace, TF_EV_SEND, (uint64_t)n, (uint32_t)rank_of(d, i), t, tf_now());
  if (d->obs) tf_obs_request_answered(d->obs, i, d->now);
  if (rc) return rc;
  if (tf_ledger_held(&d->ledger, i) == (size_t)n) d->c[i].head_since = d->now; /* it had nothing */
  d->c[i].demand = 0; /* the request is answered, even if with fewer tasks */
  d->stats->frames_out++;
  return n;
}

/* Answer child i's request with up to n tasks and the plan to follow. */
static int send_tasks(tf_down *d, int i, int n, tf_plan plan) {
  tf_queue *q = tf_pool_of(d->pool, i);
  tf_wbuf *b = d->port.buffer(d->port.ctx);
  if (!b || tf_wire_begin(b, TF_MSG_TASKS, TF_WIRE_PLAN(plan.depth, plan.chunk)))
    return out_of_memory(d, "building a TASKS message");
  int sent = 0;
  uint64_t bytes = 0;
  while (sent < n && tf_queue_size(q)) {
    const tf_rec *next = tf_queue_peek(q);
    if (sent && b->len + tf_wire_entry_bytes(next->size) > TF_DOWN_FRAME_BYTES) break;
    if (next->avoid == i && tf_pool_shared(d->pool) && d->n > 1) break; /* it failed here */
    uint64_t held = tf_ledger_bytes(&d->ledger, i); /* one task always; more within the share */
    if (held && held + next->size > d->share) break;
    tf_rec r;
    tf_queue_pop(q, &r);
    if (tf_copies_dequeued(&d->copies, r.id)) { /* a copy of a task done meanwhile */
      free(r.data);
      continue;
    }
    if (tf_wire_add_task(b, r.id, r.prio, r.attempt, r.data, r.size) ||
        tf_ledger_push(&d->ledger, i, &r)) {
      free(r.data);
      return out_of_memory(d, "sending tasks");
    }
    sent++;
    bytes += r.size;
  }
  if (!sent) return 0; /* the request stays open */
  tf_policy_observe_task_bytes(&d->policy, (uint64_t)sent, bytes);
  return send_tasks_frame(d, i, b, sent);
}

int tf_down_dispatch(tf_down *d, uint64_t left) {
  d->left = left;
  if (!tf_pool_ready(d->pool)) return 0;
  int asking = 0;
  for (int i = 0; i < d->n; i++)
    asking += d->c[i].demand > 0 && d->c[i].state == TF_CHILD_RUNNING;
  if (!asking) return 0;
  tf_plan plan = tf_policy_plan(&d->policy, left);
  d->depth = plan.depth;
  int progressed = 0;
  for (int k = 0; k < d->n; k++) {
    int i = (d->rr + k) % d->n;
    size_t q = tf_queue_size(tf_pool_of(d->pool, i));
    if (d->c[i].demand <= 0 || d->c[i].state != TF_CHILD_RUNNING || !q) continue;
    int n = d->c[i].demand < plan.send ? d->c[i].demand : plan.send;
    if (tf_pool_shared(d->pool)) { /* a short queue is shared out, not given to the first */
      size_t share = q / (size_t)asking;
      if ((size_t)n > share) n = share > 0 ? (int)share : 1;
    }
    int rc = send_tasks(d, i, n, plan);
    if (rc < 0) return rc;
    if (rc > 0) progressed = 1; /* 0: the head task failed on i and waits for another */
  }
  d->rr = (d->rr + 1) % d->n;
  return progressed;
}

/* Hand child i back the room its handled results took (flow.h). */
static int give_room(tf_down *d, int i) {
  tf_wbuf *b = d->port.buffer(d->port.ctx);
  if (!b || tf_wire_begin(b, TF_MSG_CREDIT, 0) || tf_wire_add_credit(b, d->c[i].owed))
    return out_of_memory(d, "building a CREDIT message");
  int rc = send(d, i, b, TF_WIRE_TAG, "CREDIT");
  if (rc) return rc;
  d->c[i].owed = 0;
  d->c[i].room_asked = 0;
  return 1;
}

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
  if (v < 0 && !tf_pool_shared(d->pool)) {
    tf_note_not_done(d->stats, r->id);
    free(r->data);
    return 0;
  }
  if (tf_pool_put(d->pool, v >= 0 ? v : 0, r) == 0) return 0;
  free(r->data);
  return out_of_memory(d, what);
}

/* Child i is out of the run (lost or stuck): under static its share goes to
 * its heir v; with no child left the run cannot go on. */
static int leave_run(tf_down *d, int i, int v, const char *what) {
  if (v >= 0) return tf_pool_move_share(d->pool, i, v) ? out_of_memory(d, what) : 0;
  tf_log(0, "every worker is lost or stuck; the run cannot go on");
  return fail(d, TF_EMPI);
}

/* From now on child i gets nothing and is not listened to; it is counted and
 * named in the summary, and MPI_Finalize gets a deadline. */
static void mark_lost(tf_down *d, int i) {
  d->c[i].state = TF_CHILD_LOST;
  d->c[i].demand = 0;
  tf_run_stats *s = d->stats;
  if (s->lost < TF_LOST_LISTED) s->lost_ranks[s->lost] = rank_of(d, i);
  s->lost++;
  s->peer_lost = 1;
  d->port.forget(d->port.ctx, i);
}

/* Child i is gone (silent too long): every task it held goes back, and the
 * run that ended with it counts as a failed attempt. Which task was running
 * is known only for a task on its second try or later (a "suspect"):
 * workers report everything before and after such a task at once, so it is
 * the oldest the lost child held. Otherwise any task it held may have been
 * the one, and all become suspects. So a task that kills every worker it
 * lands on is given up on after the second loss (or after --retries, if
 * more), and an innocent one never is. */
static int lose(tf_down *d, int i, const char *why) {
  mark_lost(d, i);
  tf_run_stats *s = d->stats;
  int v = heir(d, i);
  tf_log(0, "rank %d is lost (%s); %zu task(s) it held go to the other workers", rank_of(d, i),
         why, tf_ledger_held(&d->ledger, i));
  uint32_t budget = d->cfg->retries > 1 ? (uint32_t)d->cfg->retries : 1;
  const tf_rec *head = tf_ledger_head(&d->ledger, i);
  int suspect_ran = head && head->attempt > 0;
  tf_rec r;
  for (int first = 1; tf_ledger_pop(&d->ledger, i, &r); first = 0) {
    int dropped;
    if (tf_copies_settle(&d->copies, r.id, 0, &dropped)) { /* its twin runs on, or won already */
      free(r.data);
      continue;
    }
    if (suspect_ran ? first : r.attempt == 0) r.attempt++;
    if (first && suspect_ran && r.attempt > budget) {
      tf_log(0, "task %llu was running on %u workers that were lost; giving up on it",
             (unsigned long long)r.id, r.attempt);
      tf_note_failure(s, r.id);
      free(r.data);
      if (d->cfg->fail_fast) fail(d, TF_EAPP);
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

/* Child i is stuck in the task at the head of its ledger (given up on): it
 * gets nothing more, the tasks it held behind that one go back (they never
 * ran), and at the end it is told to leave. It stays alive: its heartbeat
 * thread answers for it. */
static int make_stuck(tf_down *d, int i) {
  d->c[i].state = TF_CHILD_STUCK;
  d->c[i].demand = 0;
  int v = heir(d, i);
  tf_rec r;
  while (tf_ledger_pop(&d->ledger, i, &r)) {
    int dropped;
    if (tf_copies_settle(&d->copies, r.id, 0, &dropped)) { /* the hanging task, or a copy */
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
static int copy_tail(tf_down *d, int i) {
  int v = tf_pool_shared(d->pool) ? 0 : heir(d, i);
  if (v < 0) return 0;
  for (size_t k = 1; k < tf_ledger_held(&d->ledger, i); k++) {
    const tf_rec *t = tf_ledger_at(&d->ledger, i, k);
    if (tf_copies_find(&d->copies, t->id)) continue;
    tf_rec r;
    if (tf_rec_copy(&r, t) || !tf_copies_add(&d->copies, r.id, 2, 1, i, -1, d->now)) {
      free(r.data);
      return out_of_memory(d, "copying the tasks of a slow worker");
    }
    r.avoid = i;
    if (tf_pool_put(d->pool, v, &r)) {
      free(r.data);
      return out_of_memory(d, "copying the tasks of a slow worker");
    }
  }
  return 0;
}

/* Both copies of a task have run longer than --task-timeout: it hangs. It is
 * given up on, and the two children stuck in it get nothing more. */
static int give_up_stuck(tf_down *d, tf_copy *c) {
  uint64_t id = c->id;
  int a = c->first, b = c->second;
  tf_log(0,
         "task %llu has run for more than %g s (--task-timeout) on rank %d and on rank %d; "
         "giving up on it; both ranks are stuck in it and get no more tasks",
         (unsigned long long)id, d->cfg->task_timeout, rank_of(d, a), rank_of(d, b));
  tf_note_failure(d->stats, id);
  tf_copies_give_up(&d->copies, c); /* what either copy might still bring is dropped */
  int rc = make_stuck(d, a);
  if (rc >= 0) rc = make_stuck(d, b);
  if (rc >= 0 && d->cfg->fail_fast) fail(d, TF_EAPP);
  return rc < 0 ? rc : 1;
}

/* A child with nothing in hand asking for tasks, other than i, or -1. */
static int idle_child(const tf_down *d, int i) {
  for (int k = 1; k < d->n; k++) {
    int u = (i + k) % d->n;
    if (d->c[u].state == TF_CHILD_RUNNING && d->c[u].demand > 0 &&
        !tf_ledger_held(&d->ledger, u) && !tf_queue_size(tf_pool_of(d->pool, u)))
      return u;
  }
  return -1;
}

/* When child i's oldest task has run longer than --task-timeout and another
 * child asks with nothing in hand, that one runs it too. */
static int straggler(tf_down *d, int i) {
  const tf_rec *head = tf_ledger_head(&d->ledger, i);
  double timeout = d->cfg->task_timeout;
  if (!head || d->now - d->c[i].head_since < timeout) return 0;
  tf_copy *c = tf_copies_find(&d->copies, head->id);
  if (c && !c->done && c->copies == 2 && c->second >= 0 && d->now - c->since > timeout &&
      tf_ledger_head(&d->ledger, c->second) && tf_ledger_head(&d->ledger, c->second)->id == c->id)
    return give_up_stuck(d, c);
  int v = c ? -1 : idle_child(d, i);
  if (v < 0) return 0;
  tf_rec r;
  tf_plan plan = tf_policy_plan(&d->policy, d->left);
  tf_wbuf *b = d->port.buffer(d->port.ctx);
  if (tf_rec_copy(&r, head) || !b ||
      tf_wire_begin(b, TF_MSG_TASKS, TF_WIRE_PLAN(plan.depth, plan.chunk)) ||
      tf_wire_add_task(b, r.id, r.prio, r.attempt, r.data, r.size) ||
      !tf_copies_add(&d->copies, r.id, 2, 0, i, v, d->now) ||
      tf_ledger_push(&d->ledger, v, &r)) {
    free(r.data);
    return out_of_memory(d, "copying a slow task");
  }
  d->stats->copies++;
  tf_log(0, "task %llu has run for %.1f s on rank %d (--task-timeout %g); rank %d runs it too",
         (unsigned long long)r.id, d->now - d->c[i].head_since, rank_of(d, i), timeout,
         rank_of(d, v));
  int rc = send_tasks_frame(d, v, b, 1);
  return rc < 0 ? rc : 1;
}

int tf_down_check(tf_down *d, int draining) {
  double now = d->now;
  if (now < d->next_check) return 0;
  /* If this rank itself was away (a slow generate or collect), nobody had a
   * chance to be heard: start every clock again. */
  if (now - d->last_check > d->hb_every)
    for (int i = 0; i < d->n; i++)
      if (d->c[i].heard < now) d->c[i].heard = now;
  d->last_check = now;
  d->next_check = now + (d->hb_every < 0.05 ? d->hb_every : 0.05);
  int progressed = 0;
  for (int i = 0; i < d->n && !d->status; i++) {
    if (d->c[i].state != TF_CHILD_RUNNING) continue;
    int rc = 0;
    if (d->heartbeats && now - d->c[i].heard > tf_worker_timeout(d->cfg)) {
      char why[64];
      snprintf(why, sizeof why, "silent for %.1f s", now - d->c[i].heard);
      rc = lose(d, i, why);
    } else if (d->cfg->task_timeout > 0 && !draining) {
      rc = straggler(d, i);
    }
    if (!rc && d->c[i].state == TF_CHILD_RUNNING && now - d->c[i].told >= d->hb_every)
      rc = send_empty(d, i, TF_MSG_HEARTBEAT, 0, TF_WIRE_TAG);
    if (rc < 0) return rc;
    progressed |= rc > 0 || d->c[i].state == TF_CHILD_LOST;
  }
  return progressed;
}

/* ---- what children send ---------------------------------------------------------------- */

/* The result (or failure) for task e->id must be the oldest task child i holds. */
static int take_from_ledger(tf_down *d, int i, const tf_entry *e, tf_rec *out) {
  const tf_rec *head = tf_ledger_head(&d->ledger, i);
  if (!head || head->id != e->id) {
    if (head)
      tf_log(0, "rank %d reported task %llu, but the next task it holds is %llu", rank_of(d, i),
             (unsigned long long)e->id, (unsigned long long)head->id);
    else
      tf_log(0, "rank %d reported task %llu, but it holds no task", rank_of(d, i),
             (unsigned long long)e->id);
    return fail(d, TF_EPROTO);
  }
  tf_ledger_pop(&d->ledger, i, out);
  d->c[i].head_since = d->now; /* the next one starts now */
  d->c[i].nkids = 0;
  return 0;
}

/* The children of the task at the head of i's ledger: dropped when it is a
 * copy whose twin's result (and children) came first. */
static int on_spawn(tf_down *d, int i, const tf_entry *e) {
  const tf_rec *head = tf_ledger_head(&d->ledger, i);
  if (!head) {
    tf_log(0, "rank %d sent spawned task %llu, but it holds no task", rank_of(d, i),
           (unsigned long long)e->id);
    return fail(d, TF_EPROTO);
  }
  const tf_copy *c = tf_copies_find(&d->copies, head->id);
  if (c && c->done) return 0;
  int rc = tf_check_child(&d->spawned, head->id, d->c[i].nkids++, e->id, rank_of(d, i));
  if (!rc) rc = d->sink.spawned(d->sink.ctx, i, e);
  return rc ? fail(d, rc) : 0;
}

static int on_result(tf_down *d, int i, const tf_entry *e) {
  tf_rec r;
  int rc = take_from_ledger(d, i, e, &r), dropped;
  if (rc) return rc;
  free(r.data);
  if (tf_copies_settle(&d->copies, e->id, 1, &dropped)) {
    d->stats->copies_dropped += (uint64_t)dropped;
    d->sink.drop_spawned(d->sink.ctx); /* the winning copy's children came already */
    return 0;
  }
  const tf_copy *c = tf_copies_find(&d->copies, e->id);
  if (c) { /* the first copy home: the other may be stuck, with tasks behind it */
    int loser = i == c->first ? c->second : c->first;
    const tf_rec *lh = loser >= 0 ? tf_ledger_head(&d->ledger, loser) : NULL;
    if (lh && lh->id == e->id && d->c[loser].state == TF_CHILD_RUNNING &&
        (rc = copy_tail(d, loser)))
      return rc;
  }
  rc = d->sink.result(d->sink.ctx, i, e);
  return rc ? fail(d, rc) : 0;
}

/* A failed run: the sink decides whether the task runs again (on another
 * child when there is one). */
static int on_fail(tf_down *d, int i, const tf_entry *e) {
  tf_rec r;
  int rc = take_from_ledger(d, i, e, &r), dropped;
  if (rc) return rc;
  d->sink.drop_spawned(d->sink.ctx);
  if (tf_copies_settle(&d->copies, r.id, 0, &dropped)) {
    free(r.data);
    return 0;
  }
  rc = d->sink.failed(d->sink.ctx, i, &r, (const char *)e->data, e->size);
  if (rc == 1) {
    r.avoid = i;
    if (tf_pool_put(d->pool, i, &r) == 0) return 0;
    free(r.data);
    return out_of_memory(d, "queueing a task to try again");
  }
  free(r.data);
  return rc ? fail(d, rc) : 0;
}

static int on_stats(tf_down *d, const tf_entry *e) {
  uint64_t v[TF_WIRE_STATS_N];
  tf_wire_stats(e, v);
  tf_policy_observe(&d->policy, v[0], (double)v[1] * 1e-9, v[3], (double)v[2] * 1e-9);
  return 0;
}

/* A request rides in aux: one open at a time, never more in hand than
 * --prefetch. */
static int take_request(tf_down *d, int i, uint32_t aux) {
  if (aux & TF_WIRE_ASK_ROOM) d->c[i].room_asked = 1;
  uint32_t ask = TF_WIRE_ASK_TASKS(aux);
  if (!ask) return 0;
  size_t held = tf_ledger_held(&d->ledger, i);
  if (d->c[i].demand || held + ask > (size_t)d->cfg->prefetch) {
    tf_log(0, "rank %d asked for %u tasks while holding %zu with a request for %d open (at most %d)",
           rank_of(d, i), ask, held, d->c[i].demand, d->cfg->prefetch);
    return fail(d, TF_EPROTO);
  }
  d->c[i].demand = (int)ask;
  if (d->obs) tf_obs_request_open(d->obs, i, d->now);
  return 0;
}

static int on_results_frame(tf_down *d, int i, const tf_frame *f) {
  size_t pos = 0;
  tf_entry e;
  int charged = 0; /* results, failures or children: it counts against i's share */
  uint64_t results = 0, result_bytes = 0;
  while (tf_wire_next(f, &pos, &e)) {
    int rc = e.type == TF_ENT_SPAWN    ? on_spawn(d, i, &e)
             : e.type == TF_ENT_RESULT ? on_result(d, i, &e)
             : e.type == TF_ENT_STATS  ? on_stats(d, &e)
                                       : on_fail(d, i, &e);
    if (rc) return rc;
    charged |= e.type != TF_ENT_STATS;
    results += e.type == TF_ENT_RESULT;
    result_bytes += e.type == TF_ENT_RESULT ? e.size : 0;
  }
  tf_policy_observe_result_bytes(&d->policy, results, result_bytes);
  if (charged) d->c[i].owed += TF_WIRE_HEADER_SIZE + f->body_len; /* handed back after the free */
  return take_request(d, i, f->aux);
}

static int on_error_frame(tf_down *d, int i, const tf_frame *f) {
  size_t pos = 0;
  tf_entry e;
  tf_wire_next(f, &pos, &e);
  char text[4 * TF_WIRE_MAX_MESSAGE + 4];
  tf_log(rank_of(d, i), "%s", tf_printable(e.data, e.size, text, sizeof text));
  d->c[i].state = TF_CHILD_GAVE_UP;
  return fail(d, TF_EAPP);
}

/* The last frame of a child: its counters for the summary and --stats. */
static void record_bye(tf_down *d, int i, const tf_frame *f) {
  size_t pos = 0;
  tf_entry e;
  tf_wire_next(f, &pos, &e);
  uint64_t v[TF_WIRE_STATS_N];
  tf_wire_stats(&e, v);
  d->stats->w_tasks[i] = v[0];
  d->stats->w_busy_ns[i] = v[1];
  d->stats->w_wait_ns[i] = v[2];
  d->stats->w_frames[i] = v[3];
  d->c[i].state = TF_CHILD_DONE;
  if (d->obs && tf_obs_bye(d->obs, i, f, v[0], tf_now()))
    tf_log(0, "out of memory keeping the trace of rank %d", rank_of(d, i));
}

static int on_early_bye(tf_down *d, int i, const tf_frame *f) {
  (void)f;
  tf_log(0, "rank %d said goodbye before it was told to stop", rank_of(d, i));
  d->c[i].state = TF_CHILD_DONE;
  return fail(d, TF_EPROTO);
}

static int on_heartbeat(tf_down *d, int i, const tf_frame *f) {
  (void)d, (void)i, (void)f; /* being heard from is all it says */
  return 0;
}

typedef int (*handler)(tf_down *d, int i, const tf_frame *f);
static const handler handlers[TF_MSG_KIND_COUNT] = {
    [TF_MSG_RESULTS] = on_results_frame,
    [TF_MSG_ERROR] = on_error_frame,
    [TF_MSG_BYE] = on_early_bye,
    [TF_MSG_HEARTBEAT] = on_heartbeat,
};

/* Validate a message from child i into *f; 0, or TF_EPROTO (logged). */
static int decode(tf_down *d, int i, const unsigned char *buf, size_t len, tf_frame *f) {
  char why[200];
  d->stats->frames_in++;
  if (!tf_wire_decode(buf, len, d->cfg->max_payload, f, why, sizeof why)) {
    d->c[i].heard = d->now;
    return 0;
  }
  tf_log(0, "malformed message from rank %d: %s", rank_of(d, i), why);
  return fail(d, TF_EPROTO);
}

int tf_down_frame(tf_down *d, int i, const unsigned char *buf, size_t len) {
  tf_frame f;
  int rc = decode(d, i, buf, len, &f);
  if (rc) return rc;
  if (d->c[i].state == TF_CHILD_LOST || d->c[i].state == TF_CHILD_STUCK)
    return 0; /* its tasks went elsewhere: whatever it says comes too late */
  handler fn = handlers[f.kind];
  if (!fn) {
    tf_log(0, "unexpected %s message from rank %d", tf_wire_kind_name(f.kind), rank_of(d, i));
    return fail(d, TF_EPROTO);
  }
  double t = d->trace ? tf_now() : 0;
  rc = fn(d, i, &f);
  if (d->trace) tf_trace_add(d->trace, TF_EV_RECV, f.kind, (uint32_t)rank_of(d, i), t, tf_now());
  return rc;
}

int tf_down_poll(tf_down *d) {
  int progressed = 0;
  for (;;) {
    unsigned char *buf;
    size_t len;
    int i;
    int rc = d->port.poll(d->port.ctx, &buf, &len, &i);
    if (rc < 0) {
      tf_log(0, "%s", d->port.error(d->port.ctx));
      return fail(d, rc);
    }
    if (!rc) return progressed;
    progressed = 1;
    rc = tf_down_frame(d, i, buf, len);
    d->port.release(d->port.ctx, buf, len);
    if (rc < 0) return rc;
    if (d->c[i].state == TF_CHILD_RUNNING &&
        tf_flow_due(d->c[i].owed, d->share, (uint64_t)len, d->c[i].room_asked) &&
        (rc = give_room(d, i)) < 0)
      return rc;
  }
}

/* ---- the end ------------------------------------------------------------------------- */

/* Children still to say goodbye, by rank, for a message. */
static void name_left(const tf_down *d, char *out, size_t cap) {
  size_t n = 0;
  out[0] = '\0';
  for (int k = 0; k < d->n && n + 12 < cap; k++)
    if (d->c[k].state != TF_CHILD_DONE && d->c[k].state != TF_CHILD_LOST)
      n += (size_t)snprintf(out + n, cap - n, " %d", rank_of(d, k));
}

/* While stopping: a frame from child i (a BYE; an error; anything else comes
 * too late). Returns 1 when i said goodbye. */
static int stop_frame(tf_down *d, int i, const unsigned char *buf, size_t len) {
  tf_frame f;
  if (decode(d, i, buf, len, &f) || d->c[i].state == TF_CHILD_LOST) return 0;
  if (f.kind == TF_MSG_BYE && d->c[i].state != TF_CHILD_DONE) {
    record_bye(d, i, &f);
    return 1;
  }
  if (f.kind == TF_MSG_ERROR) on_error_frame(d, i, &f);
  return 0;
}

/* With heartbeats, a child that died after the last result is lost, not
 * stuck: nothing is waited for from it. Returns how many were found. */
static int lost_while_stopping(tf_down *d) {
  int found = 0;
  for (int k = 0; d->heartbeats && k < d->n; k++)
    if (d->c[k].state != TF_CHILD_DONE && d->c[k].state != TF_CHILD_LOST &&
        d->now - d->c[k].heard > tf_worker_timeout(d->cfg)) {
      tf_log(0, "rank %d is lost (silent for %.1f s) while stopping", rank_of(d, k),
             d->now - d->c[k].heard);
      mark_lost(d, k);
      found++;
    }
  return found;
}

/* Tell every child to stop; one still inside a task nobody needs (it hangs,
 * a copy won, or a stop signal's drain ended) also on TF_WIRE_TAG_LEAVE,
 * which its heartbeat thread answers while execute runs on. Returns how many
 * were told, or < 0. */
static int tell_stop(tf_down *d, int status) {
  int told = 0;
  uint32_t aux = TF_WIRE_STOP(status, d->stats->lost > 0);
  for (int i = 0; i < d->n; i++) {
    if (d->c[i].state == TF_CHILD_LOST || d->c[i].state == TF_CHILD_DONE) continue;
    int rc = send_empty(d, i, TF_MSG_STOP, aux, TF_WIRE_TAG);
    if (!rc && d->heartbeats &&
        (d->c[i].state == TF_CHILD_STUCK || tf_ledger_held(&d->ledger, i)))
      rc = send_empty(d, i, TF_MSG_STOP, aux, TF_WIRE_TAG_LEAVE);
    if (rc) return rc;
    if (d->obs) tf_obs_stop_sent(d->obs, i, tf_now());
    told++;
  }
  return told;
}

int tf_down_stop(tf_down *d, int status, int draining) {
  double wait = status ? TF_STOP_WAIT_FAILED : TF_STOP_WAIT_OK;
  if ((d->copies.stale || draining) && d->cfg->drain < wait) wait = d->cfg->drain;
  if (wait < 1.0) wait = 1.0;
  int left = tell_stop(d, status);
  if (left < 0) return left;
  double deadline = tf_now() + wait;
  for (int k = 0; k < d->n; k++) /* the app may have kept this rank away */
    d->c[k].heard = deadline - wait;
  tf_idle idle;
  tf_idle_init(&idle, d->cfg->idle);
  while (left > 0) {
    unsigned char *buf;
    size_t len;
    int i;
    int got = d->port.poll(d->port.ctx, &buf, &len, &i);
    if (got < 0) {
      tf_log(0, "%s", d->port.error(d->port.ctx));
      return got;
    }
    if (got > 0) {
      left -= stop_frame(d, i, buf, len);
      d->port.release(d->port.ctx, buf, len);
      tf_idle_reset(&idle);
      continue;
    }
    d->port.progress(d->port.ctx);
    d->now = tf_now();
    left -= lost_while_stopping(d);
    if (left <= 0) break;
    if (d->now > deadline) {
      char ranks[200];
      name_left(d, ranks, sizeof ranks);
      tf_log(0, "%d worker(s) did not stop within %.0f s (rank%s%s)", left, wait,
             left > 1 ? "s" : "", ranks);
      return TF_EMPI;
    }
    tf_idle_wait(&idle);
  }
  int rc = d->port.drain(d->port.ctx, wait);
  if (rc) tf_log(0, "%s", d->port.error(d->port.ctx));
  return rc;
}

/* A task not done at the end, counted once (a task running twice, or held
 * and queued as a copy, is one), and not when it was done after all. */
static int undone(tf_down *d, tf_idset *seen, uint64_t id) {
  const tf_copy *c = tf_copies_find(&d->copies, id);
  if ((c && c->done) || tf_idset_add(seen, id) != 1) return 0;
  tf_note_not_done(d->stats, id);
  return 1;
}

void tf_down_count_undone(tf_down *d) {
  tf_idset seen = {0};
  for (int i = 0; i < d->n; i++)
    for (size_t k = 0; k < tf_ledger_held(&d->ledger, i); k++)
      d->stats->not_done_held += (uint64_t)undone(d, &seen, tf_ledger_at(&d->ledger, i, k)->id);
  tf_rec r;
  while (tf_pool_take_any(d->pool, &r)) { /* the run is over: the pool is emptied here */
    undone(d, &seen, r.id);
    free(r.data);
  }
  tf_idset_free(&seen);
}

size_t tf_down_queued(const tf_down *d) {
  return tf_pool_size(d->pool) - d->copies.stale_queued;
}

/* ---- setting up ---------------------------------------------------------------------- */

int tf_down_init(tf_down *d, const tf_layout *layout, const tf_config *cfg, tf_pool *pool,
                 tf_port port, tf_sink sink, tf_run_stats *stats, struct tf_obs *obs,
                 double now) {
  memset(d, 0, sizeof *d);
  d->layout = layout;
  d->n = layout->nchildren;
  d->cfg = cfg;
  d->pool = pool;
  d->port = port;
  d->sink = sink;
  d->stats = stats;
  d->obs = obs;
  d->trace = obs && obs->trace ? &obs->master : NULL;
  d->now = d->last_check = now;
  d->left = TF_LEFT_UNKNOWN;
  tf_policy_init(&d->policy, (tf_schedule)cfg->schedule, d->n, cfg->chunk, cfg->prefetch);
  d->share = tf_flow_share(cfg->max_in_flight, d->n);
  tf_policy_set_share(&d->policy, d->share);
  d->depth = tf_policy_plan(&d->policy, TF_LEFT_UNKNOWN).depth;
  d->hb_every = tf_heartbeat_interval(cfg);
  d->c = calloc(d->n > 0 ? (size_t)d->n : 1, sizeof *d->c);
  if (!d->c || tf_ledger_init(&d->ledger, d->n)) return TF_ENOMEM;
  for (int i = 0; i < d->n; i++)
    d->c[i].heard = d->c[i].told = now;
  return 0;
}

void tf_down_destroy(tf_down *d) {
  tf_ledger_destroy(&d->ledger);
  tf_copies_free(&d->copies);
  tf_idset_free(&d->spawned);
  free(d->c);
  d->c = NULL;
}
