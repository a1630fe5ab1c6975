/* down.c - the downstream engine (down.h): serves a rank's children. It only
 * ever polls, so one slow or silent child never stalls the others. */
#include "down.h"

#include "down_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "beat.h"
#include "check.h"
#include "clock.h"
#include "flow.h"
#include "idle.h"
#include "ids.h"
#include "log.h"
#include "observe.h"
#include "trace.h"

/* Bytes of tasks packed into one TASKS frame (one larger task still goes alone). */
#define TF_DOWN_FRAME_BYTES (1u << 20)

int tf__down_fail(tf_down *d, int code) {
  if (!d->status) d->status = code;
  return code;
}

int tf__down_oom(tf_down *d, const char *what) {
  tf__log(d->layout->rank, "out of memory %s", what);
  return tf__down_fail(d, TF_ENOMEM);
}

int tf__down_rank(const tf_down *d, int i) { return tf__layout_child_rank(d->layout, i); }

/* Child i's share of --max-in-flight: its workers'. */
static inline uint64_t share_of(const tf_down *d, int i) {
  return d->share * (uint64_t)d->c[i].width;
}

/* ---- sending ----------------------------------------------------------------------- */

/* Send the frame b (finished here) to child i. */
static int send(tf_down *d, int i, tf_wbuf *b, int tag, const char *what) {
  tf__wire_finish(b);
  int rc = d->port.send(d->port.ctx, b, i, tag);
  if (rc) {
    tf__log(d->layout->rank, "sending %s to rank %d: %s", what, tf__down_rank(d, i),
            d->port.error(d->port.ctx));
    return tf__down_fail(d, rc);
  }
  d->c[i].told = d->now;
  return 0;
}

/* A frame of the given kind with no entries: a heartbeat, a STOP. */
int tf__down_send_empty(tf_down *d, int i, unsigned kind, uint32_t aux, int tag) {
  tf_wbuf *b = d->port.buffer(d->port.ctx);
  if (!b || tf__wire_begin(b, kind, aux)) return tf__down_oom(d, "building a message");
  return send(d, i, b, tag, tf__wire_kind_name(kind));
}

/* Send the TASKS frame b (n tasks, already in i's ledger) to child i. */
int tf__down_send_tasks(tf_down *d, int i, tf_wbuf *b, int n) {
  double t = d->trace ? tf__now() : 0;
  int rc = send(d, i, b, TF_WIRE_TAG, "tasks");
  if (d->trace)
    tf__trace_add(d->trace, TF_EV_SEND, (uint64_t)n, (uint32_t)tf__down_rank(d, i), t, tf__now());
  if (d->obs && d->c[i].slot >= 0) tf__obs_request_answered(d->obs, d->c[i].slot, d->now);
  if (rc) return rc;
  if (tf__ledger_held(&d->ledger, i) == (size_t)n) d->c[i].head_since = d->now; /* it had nothing */
  /* The oldest request is answered, even if with fewer tasks; the second,
   * if one came, is the open one now. */
  d->c[i].demand = d->c[i].demand_next;
  d->c[i].demand_next = 0;
  d->stats->frames_out++;
  return n;
}

/* Answer child i's request with up to n tasks and the plan to follow. */
static int send_tasks(tf_down *d, int i, int n, tf_plan plan) {
  tf_queue *q = tf__pool_of(d->pool, i);
  tf_wbuf *b = d->port.buffer(d->port.ctx);
  if (!b || tf__wire_begin(b, TF_MSG_TASKS, TF_WIRE_PLAN(plan.depth, plan.chunk)))
    return tf__down_oom(d, "building a TASKS message");
  int sent = 0;
  uint64_t bytes = 0;
  const tf_rec *next;
  while (sent < n && (next = tf__queue_peek(q))) {
    if (sent && b->len + tf__wire_entry_bytes(next->size) > TF_DOWN_FRAME_BYTES) break;
    if (next->avoid == i && tf__pool_shared(d->pool) && d->n > 1) break; /* it failed here */
    uint64_t held = tf__ledger_bytes(&d->ledger, i); /* one task always; more within the share */
    if (held && held + next->size > share_of(d, i)) break;
    tf_rec r;
    tf__queue_pop(q, &r);
    if (d->copies.n && tf__copies_dequeued(&d->copies, r.id)) { /* a copy of a task done */
      free(r.data);
      continue;
    }
    if (tf__wire_add_task(b, r.id, r.prio, r.attempt, r.data, r.size) ||
        tf__ledger_push(&d->ledger, i, &r)) {
      free(r.data);
      return tf__down_oom(d, "sending tasks");
    }
    sent++;
    bytes += r.size;
  }
  if (!sent) return 0; /* the request stays open */
  tf__policy_observe_task_bytes(&d->policy, (uint64_t)sent, bytes);
  return tf__down_send_tasks(d, i, b, sent);
}

int tf__down_dispatch(tf_down *d, uint64_t left) {
  d->left = left;
  if (!tf__pool_ready(d->pool)) return 0;
  int asking = 0, running = 0; /* workers below the children asking, and running */
  for (int i = 0; i < d->n; i++) {
    asking += d->c[i].demand > 0 && d->c[i].state == TF_CHILD_RUNNING ? d->c[i].width : 0;
    running += d->c[i].state == TF_CHILD_RUNNING ? d->c[i].width : 0;
  }
  /* A relay under the static schedule gets its workers' shares in a few
   * large answers: it splits them evenly, not among those asking first. */
  int sharers = d->layout->role == TF_ROLE_RELAY && d->cfg->schedule == TF_SCHEDULE_STATIC
                    ? running
                    : asking;
  if (!asking) return 0;
  tf_plan plan = tf__policy_plan(&d->policy, left);
  d->depth = plan.depth;
  int progressed = 0;
  for (int k = 0; k < d->n; k++) {
    int i = (d->rr + k) % d->n;
    size_t q = tf__queue_size(tf__pool_of(d->pool, i));
    if (d->c[i].demand <= 0 || d->c[i].state != TF_CHILD_RUNNING || !q || tf__down_stalled(d, i))
      continue;
    int w = d->c[i].width, send = plan.send * w; /* a relay: the plan's answer for each worker */
    int n = d->c[i].demand < send ? d->c[i].demand : send;
    if (tf__pool_shared(d->pool)) { /* a short queue is shared out, not given to the first */
      size_t share = q * (size_t)w / (size_t)sharers;
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
  if (!b || tf__wire_begin(b, TF_MSG_CREDIT, 0) || tf__wire_add_credit(b, d->c[i].owed))
    return tf__down_oom(d, "building a CREDIT message");
  int rc = send(d, i, b, TF_WIRE_TAG, "CREDIT");
  if (rc) return rc;
  d->c[i].owed = 0;
  d->c[i].room_asked = 0;
  return 1;
}

/* ---- what children send ---------------------------------------------------------------- */

/* Something came for task id from child i, but i's head is not id (or i
 * holds nothing): the run fails with a protocol error. Returns NULL. */
static __attribute__((noinline, cold)) const tf_rec *not_head(tf_down *d, int i, uint64_t id,
                                                              const tf_rec *head,
                                                              const char *what) {
  if (head)
    tf__log(d->layout->rank, "rank %d sent %s task %llu, but the task it runs is %llu",
            tf__down_rank(d, i), what, (unsigned long long)id, (unsigned long long)head->id);
  else
    tf__log(d->layout->rank, "rank %d sent %s task %llu, but it holds no task",
            tf__down_rank(d, i), what, (unsigned long long)id);
  tf__down_fail(d, TF_EPROTO);
  return NULL;
}

/* The task at the head of i's ledger, the one it runs, when it is task id;
 * else NULL, the run failed with a protocol error (what: what came for id). */
static inline const tf_rec *head_is(tf_down *d, int i, uint64_t id, const char *what) {
  const tf_rec *head = tf__ledger_head(&d->ledger, i);
  return head && head->id == id ? head : not_head(d, i, id, head, what);
}

/* The result (or failure) for task e->id must be for the task child i runs
 * (for a relay: one it holds). */
static inline __attribute__((always_inline)) int take_from_ledger(tf_down *d, int i,
                                                                  const tf_entry *e, tf_rec *out) {
  if (d->c[i].relay) { /* one lookup: the error, when it holds no such task, says so */
    if (tf__ledger_take(&d->ledger, i, e->id, out)) return 0;
    tf__down_relay_holds(d, i, e->id, "the outcome of");
    return TF_EPROTO;
  }
  if (!head_is(d, i, e->id, "the outcome of")) return TF_EPROTO;
  tf__ledger_pop(&d->ledger, i, out);
  d->c[i].head_since = d->now; /* the next one starts now */
  d->c[i].nkids = 0;
  if (d->c[i].held_demand && d->c[i].slow && d->c[i].slow_id == e->id) {
    d->c[i].demand = d->c[i].held_demand; /* out of the copy (down_watch.c): its request counts */
    d->c[i].held_demand = 0;
  }
  return 0;
}

/* Child i starts task e->id out of turn (a later task of higher priority):
 * it becomes the head, the task running. The last one's outcome came first. */
static int on_start(tf_down *d, int i, const tf_entry *e) {
  if (d->c[i].relay || d->c[i].nkids || !tf__ledger_to_head(&d->ledger, i, e->id)) {
    tf__log(d->layout->rank, "rank %d started task %llu, %s", tf__down_rank(d, i),
            (unsigned long long)e->id,
            d->c[i].relay ? "but it is a relay"
            : d->c[i].nkids   ? "but the task before it has not ended"
                              : "but it does not hold it");
    return tf__down_fail(d, TF_EPROTO);
  }
  d->c[i].head_since = d->now;
  return 0;
}

/* The children of the task at the head of i's ledger: dropped when it is a
 * copy whose twin's result (and children) came first. */
static int on_spawn(tf_down *d, int i, const tf_entry *e) {
  if (d->c[i].relay) { /* a relay checked it against its parent; the id must be new */
    int rc = tf__check_new_id(&d->spawned, e->id, tf__down_rank(d, i));
    if (!rc) rc = d->sink.spawned(d->sink.ctx, i, e);
    return rc ? tf__down_fail(d, rc) : 0;
  }
  const tf_rec *head = tf__ledger_head(&d->ledger, i);
  if (!head) {
    tf__log(d->layout->rank, "rank %d sent spawned task %llu, but it holds no task",
            tf__down_rank(d, i), (unsigned long long)e->id);
    return tf__down_fail(d, TF_EPROTO);
  }
  const tf_copy *c = tf__copies_find(&d->copies, head->id);
  if (c && c->done) return 0;
  int rc = tf__check_child(&d->spawned, head->id, d->c[i].nkids++, e->id, tf__down_rank(d, i));
  if (!rc) rc = d->sink.spawned(d->sink.ctx, i, e);
  return rc ? tf__down_fail(d, rc) : 0;
}

/* A piece of the output of the task at the head of i's ledger, the one it
 * runs: dropped when it is a copy whose twin's result came first. */
static int on_partial(tf_down *d, int i, const tf_entry *e) {
  const tf_rec *head = d->c[i].relay ? tf__down_relay_holds(d, i, e->id, "output of")
                                         : head_is(d, i, e->id, "output of");
  if (!head) return TF_EPROTO;
  const tf_copy *c = d->copies.n ? tf__copies_find(&d->copies, head->id) : NULL;
  if ((c && c->done) || !d->sink.partial) return 0;
  int rc = d->sink.partial(d->sink.ctx, i, head, e);
  return rc ? tf__down_fail(d, rc) : 0;
}

/* The result of task id, a task that has run twice (--task-timeout), came
 * from child i: 1 when it is dropped (the other copy's came first), < 0 on
 * error, 0 when it counts (then the other copy, if it is stuck with tasks
 * behind it, has those copied elsewhere). */
static int settle_copy(tf_down *d, int i, uint64_t id) {
  int dropped;
  if (tf__copies_settle(&d->copies, id, 1, &dropped)) {
    d->stats->copies_dropped += (uint64_t)dropped;
    d->sink.drop_spawned(d->sink.ctx); /* the winning copy's children came already */
    return 1;
  }
  const tf_copy *c = tf__copies_find(&d->copies, id);
  if (!c) return 0;
  /* The first copy home: the other may be stuck, with tasks behind it. */
  int loser = i == c->first ? c->second : c->first;
  const tf_rec *lh = loser >= 0 ? tf__ledger_head(&d->ledger, loser) : NULL;
  if (lh && lh->id == id && !d->c[loser].relay && d->c[loser].state == TF_CHILD_RUNNING)
    return tf__down_copy_tail(d, loser);
  if (loser >= 0 && d->c[loser].relay && d->c[loser].state == TF_CHILD_RUNNING &&
      tf__ledger_find(&d->ledger, loser, id))
    return tf__down_copy_tail(d, loser);
  return 0;
}

static int on_result(tf_down *d, int i, const tf_entry *e) {
  tf_rec r;
  int rc = take_from_ledger(d, i, e, &r);
  if (rc) return rc;
  free(r.data);
  /* Per task only when some task runs twice. */
  if (d->copies.n && (rc = settle_copy(d, i, e->id))) return rc > 0 ? 0 : rc;
  rc = d->sink.result(d->sink.ctx, i, e);
  return rc ? tf__down_fail(d, rc) : 0;
}

/* A failed run: the sink decides whether the task runs again (on another
 * child when there is one). */
static int on_fail(tf_down *d, int i, const tf_entry *e, const tf_entry *out) {
  tf_rec r;
  int rank = tf__down_run_rank(d, i, e);
  if (rank < 0) return TF_EPROTO;
  int rc = take_from_ledger(d, i, e, &r), dropped;
  if (rc) return rc;
  d->sink.drop_spawned(d->sink.ctx);
  if (tf__copies_settle(&d->copies, r.id, 0, &dropped)) {
    free(r.data);
    return 0;
  }
  rc = d->sink.failed(d->sink.ctx, i, rank, &r, e->prio, (const char *)e->data, e->size, out);
  if (rc == 1) {
    r.avoid = i;
    if (tf__pool_put(d->pool, i, &r) == 0) return 0;
    free(r.data);
    return tf__down_oom(d, "queueing a task to try again");
  }
  free(r.data);
  return rc ? tf__down_fail(d, rc) : 0;
}

static int on_stats(tf_down *d, const tf_entry *e) {
  uint64_t v[TF_WIRE_STATS_N];
  tf__wire_stats(e, v);
  tf__policy_observe(&d->policy, v[0], (double)v[1] * 1e-9, v[3], (double)v[2] * 1e-9);
  if (d->sink.timings) d->sink.timings(d->sink.ctx, v);
  return 0;
}

/* A request rides in aux. Each is answered by one TASKS frame, in the order
 * they came, with at most what it asked for. A child may ask again before
 * its request is answered, so that when tasks are shorter than a round trip
 * the next one is on its way while it waits (up.c); never a third time. What
 * it holds and has asked for stays within --prefetch for each worker it
 * stands for. */
static int take_request(tf_down *d, int i, uint32_t aux) {
  if (aux & TF_WIRE_ASK_ROOM) d->c[i].room_asked = 1;
  if ((aux & TF_WIRE_ASK_LOST) && d->c[i].relay) d->stats->peer_lost = 1; /* STOP says so */
  uint32_t ask = TF_WIRE_ASK_TASKS(aux);
  if (!ask) return 0;
  tf_child *c = &d->c[i];
  int first_open = c->demand || c->held_demand; /* (set aside, it is still open) */
  if (first_open && (c->demand_next || c->relay)) {
    tf__log(0, "rank %d asked for tasks %s before its first request was answered",
            tf__down_rank(d, i), c->relay ? "again (a relay keeps one request open)" : "a third time");
    return tf__down_fail(d, TF_EPROTO);
  }
  size_t held = tf__ledger_held(&d->ledger, i), most = (size_t)d->cfg->prefetch * (size_t)c->width;
  size_t open = (size_t)c->demand + (size_t)c->held_demand;
  if (held + open + ask > most) {
    tf__log(0, "rank %d asked for %u more tasks while holding %zu and waiting for %zu (at most %zu)",
            tf__down_rank(d, i), ask, held, open, most);
    return tf__down_fail(d, TF_EPROTO);
  }
  if (first_open)
    c->demand_next = (int)ask;
  else
    c->demand = (int)ask;
  if (d->obs && c->slot >= 0) tf__obs_request_open(d->obs, c->slot, d->now);
  return 0;
}

/* A FAILOUT entry not followed at once by its FAIL. */
static int stray_output(tf_down *d, int i, const tf_entry *out) {
  tf__log(0, "rank %d sent the output of failed task %llu without its failure",
          tf__down_rank(d, i), (unsigned long long)out->id);
  return tf__down_fail(d, TF_EPROTO);
}

static int on_results_frame(tf_down *d, int i, const tf_frame *f) {
  size_t pos = 0;
  tf_entry e, out;
  int charged = 0; /* results, failures, children or pieces: it counts against i's share */
  int has_out = 0; /* out: the output of the failed run whose FAIL comes next */
  uint64_t results = 0, result_bytes = 0;
  while (tf__wire_next(f, &pos, &e)) {
    if (has_out && (e.type != TF_ENT_FAIL || e.id != out.id)) return stray_output(d, i, &out);
    if (e.type == TF_ENT_FAILOUT) {
      out = e;
      has_out = 1;
      charged = 1;
      continue;
    }
    int rc = e.type == TF_ENT_SPAWN     ? on_spawn(d, i, &e)
             : e.type == TF_ENT_RESULT  ? on_result(d, i, &e)
             : e.type == TF_ENT_STATS   ? on_stats(d, &e)
             : e.type == TF_ENT_START   ? on_start(d, i, &e)
             : e.type == TF_ENT_PARTIAL ? on_partial(d, i, &e)
             : e.type == TF_ENT_LOST    ? tf__down_on_lost(d, i, &e)
             : e.type == TF_ENT_SLOW    ? tf__down_on_slow(d, i, &e)
                                        : on_fail(d, i, &e, has_out ? &out : NULL);
    has_out = 0;
    if (rc) return rc;
    charged |= e.type != TF_ENT_STATS && e.type != TF_ENT_START && e.type != TF_ENT_SLOW;
    results += e.type == TF_ENT_RESULT;
    result_bytes += e.type == TF_ENT_RESULT ? e.size : 0;
  }
  if (has_out) return stray_output(d, i, &out);
  tf__policy_observe_result_bytes(&d->policy, results, result_bytes);
  if (charged) d->c[i].owed += TF_WIRE_HEADER_SIZE + f->body_len; /* handed back after the free */
  return take_request(d, i, f->aux);
}

int tf__down_on_error(tf_down *d, int i, const tf_frame *f) {
  size_t pos = 0;
  tf_entry e = {0};
  tf__wire_next(f, &pos, &e);
  char text[4 * TF_WIRE_MAX_MESSAGE + 4];
  tf__log(tf__down_rank(d, i), "%s", tf__printable(e.data, e.size, text, sizeof text));
  d->c[i].state = TF_CHILD_GAVE_UP;
  return tf__down_fail(d, TF_EAPP);
}

/* The goodbye of worker w (its entries in f, a BYE frame or a part of a
 * relay's): its counters for the summary and --stats. */
void tf__down_record_worker(tf_down *d, int w, int rank, const tf_frame *f, double stop_sent) {
  size_t pos = 0;
  tf_entry e = {0};
  tf__wire_next(f, &pos, &e);
  uint64_t v[TF_WIRE_STATS_N];
  tf__wire_stats(&e, v);
  d->stats->w_tasks[w] = v[0];
  d->stats->w_busy_ns[w] = v[1];
  d->stats->w_wait_ns[w] = v[2];
  d->stats->w_frames[w] = v[3];
  if (!d->obs) return;
  d->obs->w[w].stop_sent = stop_sent;
  if (tf__obs_bye(d->obs, w, f, v[0], tf__now()))
    tf__log(d->layout->rank, "out of memory keeping the trace of rank %d", rank);
}

/* The last frame of a child: its counters for the summary and --stats. */
void tf__down_record_bye(tf_down *d, int i, const tf_frame *f) {
  d->c[i].state = TF_CHILD_DONE;
  if (d->c[i].relay)
    tf__down_record_relay_bye(d, i, f);
  else
    tf__down_record_worker(d, d->c[i].slot, tf__down_rank(d, i), f, d->c[i].stop_sent);
}

static int on_early_bye(tf_down *d, int i, const tf_frame *f) {
  if (d->c[i].joined) return tf__down_on_leave(d, i, f);
  if (d->c[i].relay) { /* its workers are all lost: the relay leaves, and is lost with them */
    tf__down_record_bye(d, i, f);
    return tf__down_lose(d, i, "every worker it served was lost");
  }
  tf__log(d->layout->rank, "rank %d said goodbye before it was told to stop", tf__down_rank(d, i));
  d->c[i].state = TF_CHILD_DONE;
  return tf__down_fail(d, TF_EPROTO);
}

static int on_heartbeat(tf_down *d, int i, const tf_frame *f) {
  (void)d, (void)i, (void)f; /* being heard from is all it says */
  return 0;
}

typedef int (*handler)(tf_down *d, int i, const tf_frame *f);
static const handler handlers[TF_MSG_KIND_COUNT] = {
    [TF_MSG_RESULTS] = on_results_frame,
    [TF_MSG_ERROR] = tf__down_on_error,
    [TF_MSG_BYE] = on_early_bye,
    [TF_MSG_HEARTBEAT] = on_heartbeat,
};

/* Validate a message from child i into *f; 0, or TF_EPROTO (logged). */
int tf__down_decode(tf_down *d, int i, const unsigned char *buf, size_t len, tf_frame *f) {
  char why[200];
  d->stats->frames_in++;
  if (!tf__wire_decode(buf, len, d->cfg->max_payload, f, why, sizeof why)) {
    d->c[i].heard = d->now;
    return 0;
  }
  tf__log(d->layout->rank, "malformed message from rank %d: %s", tf__down_rank(d, i), why);
  return tf__down_fail(d, TF_EPROTO);
}

int tf__down_frame(tf_down *d, int i, const unsigned char *buf, size_t len) {
  tf_frame f;
  int rc = tf__down_decode(d, i, buf, len, &f);
  if (rc) return rc;
  if (d->c[i].state == TF_CHILD_LOST || d->c[i].state == TF_CHILD_STUCK)
    return 0; /* its tasks went elsewhere: whatever it says comes too late */
  handler fn = handlers[f.kind];
  if (!fn) {
    tf__log(d->layout->rank, "unexpected %s message from rank %d", tf__wire_kind_name(f.kind),
            tf__down_rank(d, i));
    return tf__down_fail(d, TF_EPROTO);
  }
  double t = d->trace ? tf__now() : 0;
  rc = fn(d, i, &f);
  if (d->trace)
    tf__trace_add(d->trace, TF_EV_RECV, f.kind, (uint32_t)tf__down_rank(d, i), t, tf__now());
  return rc;
}

int tf__down_poll(tf_down *d) {
  int progressed = 0;
  for (;;) {
    if (tf__down_deaf(d)) return progressed;
    unsigned char *buf;
    size_t len;
    int i;
    int rc = d->port.poll(d->port.ctx, &buf, &len, &i);
    if (rc < 0) {
      tf__log(d->layout->rank, "%s", d->port.error(d->port.ctx));
      return tf__down_fail(d, rc);
    }
    if (!rc) return progressed;
    progressed = 1;
    rc = tf__down_frame(d, i, buf, len);
    d->port.release(d->port.ctx, buf, len);
    if (rc < 0) return rc;
    if (d->c[i].state == TF_CHILD_RUNNING &&
        tf__flow_due(d->c[i].owed, share_of(d, i), (uint64_t)len, d->c[i].room_asked) &&
        (rc = give_room(d, i)) < 0)
      return rc;
  }
}

/* ---- setting up ---------------------------------------------------------------------- */

void tf__down_init_child(tf_down *d, int i, double now) {
  const tf_layout *layout = d->layout;
  tf_child *c = &d->c[i];
  c->heard = c->told = now;
  c->width = tf__layout_child_width(layout, i);
  c->relay = tf__layout_child_is_relay(layout, i);
  d->wide |= c->relay;
  /* the root counts every worker of the farm; a relay, its own */
  c->slot = c->relay                       ? -1
            : layout->role == TF_ROLE_ROOT ? tf__layout_worker_of(layout, tf__down_rank(d, i))
                                           : i;
}

int tf__down_init(tf_down *d, const tf_layout *layout, const tf_config *cfg, tf_pool *pool,
                  tf_port port, tf_sink sink, tf_run_stats *stats, struct tf_obs *obs, double now) {
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
  tf__policy_init(&d->policy, (tf_schedule)cfg->schedule, layout->width, cfg->chunk,
                  cfg->prefetch);
  d->share = tf__flow_share(cfg->max_in_flight, layout->nworkers);
  tf__policy_set_share(&d->policy, d->share);
  d->depth = tf__policy_plan(&d->policy, TF_LEFT_UNKNOWN).depth;
  d->hb_every = tf__heartbeat_interval(cfg);
  d->c = calloc(d->n > 0 ? (size_t)d->n : 1, sizeof *d->c);
  if (!d->c || tf__ledger_init(&d->ledger, d->n)) return TF_ENOMEM;
  for (int i = 0; i < d->n; i++)
    tf__down_init_child(d, i, now);
  return 0;
}

void tf__down_destroy(tf_down *d) {
  tf__ledger_destroy(&d->ledger);
  tf__copies_free(&d->copies);
  tf__idset_free(&d->spawned);
  free(d->c);
  d->c = NULL;
}
