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
#include "ids.h"
#include "idle.h"
#include "log.h"
#include "observe.h"
#include "trace.h"

/* Bytes of tasks packed into one TASKS frame (one larger task still goes alone). */
#define TF_DOWN_FRAME_BYTES (1u << 20)

int tf_down_fail(tf_down *d, int code) {
  if (!d->status) d->status = code;
  return code;
}

int tf_down_oom(tf_down *d, const char *what) {
  tf_log(0, "out of memory %s", what);
  return tf_down_fail(d, TF_ENOMEM);
}

int tf_down_rank(const tf_down *d, int i) { return tf_layout_child_rank(d->layout, i); }

/* ---- sending ----------------------------------------------------------------------- */

/* Send the frame b (finished here) to child i. */
static int send(tf_down *d, int i, tf_wbuf *b, int tag, const char *what) {
  tf_wire_finish(b);
  int rc = d->port.send(d->port.ctx, b, i, tag);
  if (rc) {
    tf_log(0, "sending %s to rank %d: %s", what, tf_down_rank(d, i), d->port.error(d->port.ctx));
    return tf_down_fail(d, rc);
  }
  d->c[i].told = d->now;
  return 0;
}

/* A frame of the given kind with no entries: a heartbeat, a STOP. */
int tf_down_send_empty(tf_down *d, int i, unsigned kind, uint32_t aux, int tag) {
  tf_wbuf *b = d->port.buffer(d->port.ctx);
  if (!b || tf_wire_begin(b, kind, aux)) return tf_down_oom(d, "building a message");
  return send(d, i, b, tag, tf_wire_kind_name(kind));
}

/* Send the TASKS frame b (n tasks, already in i's ledger) to child i. */
int tf_down_send_tasks(tf_down *d, int i, tf_wbuf *b, int n) {
  double t = d->trace ? tf_now() : 0;
  int rc = send(d, i, b, TF_WIRE_TAG, "tasks");
  if (d->trace) tf_trace_add(d->trace, TF_EV_SEND, (uint64_t)n, (uint32_t)tf_down_rank(d, i), t, tf_now());
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
    return tf_down_oom(d, "building a TASKS message");
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
      return tf_down_oom(d, "sending tasks");
    }
    sent++;
    bytes += r.size;
  }
  if (!sent) return 0; /* the request stays open */
  tf_policy_observe_task_bytes(&d->policy, (uint64_t)sent, bytes);
  return tf_down_send_tasks(d, i, b, sent);
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
    return tf_down_oom(d, "building a CREDIT message");
  int rc = send(d, i, b, TF_WIRE_TAG, "CREDIT");
  if (rc) return rc;
  d->c[i].owed = 0;
  d->c[i].room_asked = 0;
  return 1;
}

/* ---- what children send ---------------------------------------------------------------- */

/* The result (or failure) for task e->id must be the oldest task child i holds. */
static int take_from_ledger(tf_down *d, int i, const tf_entry *e, tf_rec *out) {
  const tf_rec *head = tf_ledger_head(&d->ledger, i);
  if (!head || head->id != e->id) {
    if (head)
      tf_log(0, "rank %d reported task %llu, but the next task it holds is %llu", tf_down_rank(d, i),
             (unsigned long long)e->id, (unsigned long long)head->id);
    else
      tf_log(0, "rank %d reported task %llu, but it holds no task", tf_down_rank(d, i),
             (unsigned long long)e->id);
    return tf_down_fail(d, TF_EPROTO);
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
    tf_log(0, "rank %d sent spawned task %llu, but it holds no task", tf_down_rank(d, i),
           (unsigned long long)e->id);
    return tf_down_fail(d, TF_EPROTO);
  }
  const tf_copy *c = tf_copies_find(&d->copies, head->id);
  if (c && c->done) return 0;
  int rc = tf_check_child(&d->spawned, head->id, d->c[i].nkids++, e->id, tf_down_rank(d, i));
  if (!rc) rc = d->sink.spawned(d->sink.ctx, i, e);
  return rc ? tf_down_fail(d, rc) : 0;
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
        (rc = tf_down_copy_tail(d, loser)))
      return rc;
  }
  rc = d->sink.result(d->sink.ctx, i, e);
  return rc ? tf_down_fail(d, rc) : 0;
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
    return tf_down_oom(d, "queueing a task to try again");
  }
  free(r.data);
  return rc ? tf_down_fail(d, rc) : 0;
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
           tf_down_rank(d, i), ask, held, d->c[i].demand, d->cfg->prefetch);
    return tf_down_fail(d, TF_EPROTO);
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

int tf_down_on_error(tf_down *d, int i, const tf_frame *f) {
  size_t pos = 0;
  tf_entry e;
  tf_wire_next(f, &pos, &e);
  char text[4 * TF_WIRE_MAX_MESSAGE + 4];
  tf_log(tf_down_rank(d, i), "%s", tf_printable(e.data, e.size, text, sizeof text));
  d->c[i].state = TF_CHILD_GAVE_UP;
  return tf_down_fail(d, TF_EAPP);
}

/* The last frame of a child: its counters for the summary and --stats. */
void tf_down_record_bye(tf_down *d, int i, const tf_frame *f) {
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
    tf_log(0, "out of memory keeping the trace of rank %d", tf_down_rank(d, i));
}

static int on_early_bye(tf_down *d, int i, const tf_frame *f) {
  (void)f;
  tf_log(0, "rank %d said goodbye before it was told to stop", tf_down_rank(d, i));
  d->c[i].state = TF_CHILD_DONE;
  return tf_down_fail(d, TF_EPROTO);
}

static int on_heartbeat(tf_down *d, int i, const tf_frame *f) {
  (void)d, (void)i, (void)f; /* being heard from is all it says */
  return 0;
}

typedef int (*handler)(tf_down *d, int i, const tf_frame *f);
static const handler handlers[TF_MSG_KIND_COUNT] = {
    [TF_MSG_RESULTS] = on_results_frame,
    [TF_MSG_ERROR] = tf_down_on_error,
    [TF_MSG_BYE] = on_early_bye,
    [TF_MSG_HEARTBEAT] = on_heartbeat,
};

/* Validate a message from child i into *f; 0, or TF_EPROTO (logged). */
int tf_down_decode(tf_down *d, int i, const unsigned char *buf, size_t len, tf_frame *f) {
  char why[200];
  d->stats->frames_in++;
  if (!tf_wire_decode(buf, len, d->cfg->max_payload, f, why, sizeof why)) {
    d->c[i].heard = d->now;
    return 0;
  }
  tf_log(0, "malformed message from rank %d: %s", tf_down_rank(d, i), why);
  return tf_down_fail(d, TF_EPROTO);
}

int tf_down_frame(tf_down *d, int i, const unsigned char *buf, size_t len) {
  tf_frame f;
  int rc = tf_down_decode(d, i, buf, len, &f);
  if (rc) return rc;
  if (d->c[i].state == TF_CHILD_LOST || d->c[i].state == TF_CHILD_STUCK)
    return 0; /* its tasks went elsewhere: whatever it says comes too late */
  handler fn = handlers[f.kind];
  if (!fn) {
    tf_log(0, "unexpected %s message from rank %d", tf_wire_kind_name(f.kind), tf_down_rank(d, i));
    return tf_down_fail(d, TF_EPROTO);
  }
  double t = d->trace ? tf_now() : 0;
  rc = fn(d, i, &f);
  if (d->trace) tf_trace_add(d->trace, TF_EV_RECV, f.kind, (uint32_t)tf_down_rank(d, i), t, tf_now());
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
      return tf_down_fail(d, rc);
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
