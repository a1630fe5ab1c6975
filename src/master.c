/* master.c - rank 0 of a farm: generates tasks lazily into a bounded queue,
 * answers each worker's request with as many tasks as the schedule allows,
 * records who holds what in the ledger, collects results, and stops every
 * worker at the end. It only ever polls, so one slow or silent worker never
 * stalls the others. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "comm.h"
#include "farm.h"
#include "flow.h"
#include "idle.h"
#include "ledger.h"
#include "observe.h"
#include "policy.h"
#include "progress.h"
#include "signals.h"

/* Bytes of tasks packed into one TASKS frame (one larger task still goes alone). */
#define TF_MASTER_FRAME_BYTES (1u << 20)
/* How long workers get to answer STOP: after success they are idle; after
 * a failure one may be inside a long task. */
#define TF_STOP_WAIT_OK 60.0
#define TF_STOP_WAIT_FAILED 10.0

/* W_STUCK: inside a task that hangs (its copy hung too); it gets nothing
 * more and is told to leave at the end. */
enum { W_RUNNING, W_GAVE_UP, W_DONE, W_LOST, W_STUCK };

/* A task running twice (--task-timeout): the first result wins. */
typedef struct copy {
  uint64_t id;
  int copies; /* in workers' ledgers */
  int done;   /* its result has been collected */
  int queued;        /* in the queue, not yet sent */
  int first, second; /* the workers running it (-1: not known) */
  double since;      /* when the second copy was made */
} copy;

typedef struct master {
  tf_comm c;
  const tf_app *app;
  const tf_config *cfg;
  tf_handle h;
  tf_queue queue;
  tf_queue *own; /* static: each worker's share, fixed once generation is done */
  tf_ledger ledger;
  tf_policy policy;
  int nworkers;
  int *demand; /* tasks asked for in each worker's open request (0: none) */
  int *state;
  int gen_done, partitioned;
  int rr;    /* first worker served in the next dispatch round */
  int depth; /* the depth of the last plan sent: sizes the generation window */
  /* flow control by bytes (flow.h) */
  uint64_t share;    /* each worker's share of --max-in-flight */
  uint64_t *owed;    /* bytes of each worker's results handled, not yet handed back */
  int *room_asked;   /* the worker holds results back: hand the room back at once */
  uint32_t *nkids;   /* children seen of the task at the head of each worker's ledger */
  tf_idset spawned;  /* every spawned id: a 63-bit hash may collide */
  int status;
  tf_run_stats *stats;
  tf_jstate js;
  /* lost workers and stragglers */
  int heartbeats;           /* workers send heartbeats, so silence means lost */
  double hb_every;          /* seconds between heartbeats */
  double *heard, *told;     /* when each worker was last heard from / sent to */
  double *head_since;       /* when the task at the head of each ledger could have started */
  double next_check, last_check;
  double now; /* the time at the top of this turn of the loop */
  copy *copies;             /* tasks running twice */
  size_t ncopies, cap_copies;
  size_t stale;             /* ledger entries whose result is no longer wanted */
  size_t stale_queued;      /* queued copies of tasks already done */
  /* graceful stop */
  int draining;
  int urgent;      /* mpirun kills the job in a second: no drain, no goodbyes */
  unsigned conts;  /* SIGCONTs seen */
  double drain_until;
  /* observability: NULL / off unless asked for */
  tf_obs *obs;
  tf_trace *tr; /* the master's events, or NULL */
  tf_progress progress;
} master;

typedef int (*handler)(master *m, int w, const tf_frame *f);

static int fail_run(master *m, int code) {
  if (!m->status) m->status = code;
  return code;
}

static int out_of_memory(master *m, const char *what) {
  tf_log(0, "out of memory %s", what);
  return fail_run(m, TF_ENOMEM);
}

/* Tasks not yet handed out: known when the app gave a total or has finished
 * generating. */
static uint64_t tasks_left(const master *m) {
  uint64_t queued = tf_queue_size(&m->queue);
  if (m->h.total && !m->gen_done)
    return queued +
           (m->h.total > m->stats->tasks_generated ? m->h.total - m->stats->tasks_generated : 0);
  return m->gen_done ? queued : TF_LEFT_UNKNOWN;
}

/* Generate only while the queue is short: enough for every worker's next
 * two requests. Static generates everything first (it needs the count). */
static size_t window(const master *m) {
  if (m->cfg->schedule == TF_SCHEDULE_STATIC) return SIZE_MAX;
  return 2 * (size_t)m->nworkers * (size_t)m->depth + 64;
}

static int refill(master *m) {
  int progressed = 0;
  if (m->draining) return 0;
  size_t limit = window(m);
  /* Tasks queued and handed out stay within --max-in-flight bytes too. */
  uint64_t byte_limit = m->own ? UINT64_MAX : m->cfg->max_in_flight;
  while (!m->gen_done && tf_queue_size(&m->queue) < limit &&
         m->queue.bytes + m->ledger.bytes < byte_limit) {
    size_t before = tf_queue_size(&m->queue);
    double t = m->tr ? tf_now() : 0;
    int rc = tf_call_generate(&m->h, &m->gen_done, &m->stats->tasks_generated);
    if (m->tr) tf_trace_add(m->tr, TF_EV_GENERATE, tf_queue_size(&m->queue) - before, 0, t, tf_now());
    if (rc) return fail_run(m, rc);
    progressed = 1;
    if (tf_queue_size(&m->queue) == before) break; /* generate is asked again next round */
  }
  return progressed;
}

/* Static: worker w gets the w-th of nworkers equal runs of tasks, in id order. */
static int partition(master *m) {
  size_t n = tf_queue_size(&m->queue);
  for (size_t i = 0; i < n; i++) {
    tf_rec r;
    tf_queue_pop(&m->queue, &r);
    int w = (int)(i * (size_t)m->nworkers / n);
    if (tf_queue_push(&m->own[w], &r)) {
      free(r.data);
      return out_of_memory(m, "sharing out the tasks");
    }
  }
  m->partitioned = 1;
  return 1;
}

/* Where worker w's tasks come from. */
static tf_queue *source(master *m, int w) { return m->own ? &m->own[w] : &m->queue; }

static int queues_empty(const master *m) {
  size_t n = tf_queue_size(&m->queue);
  for (int w = 0; m->own && w < m->nworkers; w++)
    n += tf_queue_size(&m->own[w]);
  return n == m->stale_queued; /* what is left are copies nobody needs */
}

static copy *find_copy(master *m, uint64_t id);
static int copy_tail(master *m, int w);

/* A queued copy of a task whose result came meanwhile: drop it. */
static int moot_copy(master *m, const tf_rec *r) {
  copy *c = m->ncopies ? find_copy(m, r->id) : NULL;
  if (!c || !c->queued) return 0;
  c->queued--;
  if (!c->done) return 0;
  m->stale_queued--;
  if (--c->copies == 0) *c = m->copies[--m->ncopies];
  return 1;
}

/* Send the TASKS frame b (holding n tasks, already in w's ledger) to w. */
static int send_frame(master *m, int w, tf_wbuf *b, int n) {
  tf_wire_finish(b);
  double t = m->tr ? tf_now() : 0;
  int rc = tf_comm_send(&m->c, b, w + 1);
  if (m->tr) tf_trace_add(m->tr, TF_EV_SEND, (uint64_t)n, (uint32_t)(w + 1), t, tf_now());
  if (m->obs && m->obs->w[w].req_since >= 0) { /* how long the request waited here */
    tf_obs_worker *x = &m->obs->w[w];
    uint64_t ns = m->now > x->req_since ? (uint64_t)((m->now - x->req_since) * 1e9) : 0;
    x->req_wait_ns += ns;
    x->req_waits++;
    if (ns > x->req_wait_max_ns) x->req_wait_max_ns = ns;
    x->req_since = -1;
  }
  if (rc) {
    tf_log(0, "sending tasks to rank %d: %s", w + 1, m->c.errmsg);
    return fail_run(m, rc);
  }
  if (tf_ledger_held(&m->ledger, w) == (size_t)n) m->head_since[w] = m->now; /* it had nothing */
  m->told[w] = m->now;
  m->demand[w] = 0; /* the request is answered, even if with fewer tasks */
  m->stats->frames_out++;
  return n;
}

/* Answer worker w's request with up to n tasks and the plan to follow. */
static int send_tasks(master *m, int w, int n, tf_plan plan) {
  tf_queue *q = source(m, w);
  tf_wbuf *b = tf_comm_buffer(&m->c);
  if (!b || tf_wire_begin(b, TF_MSG_TASKS, TF_WIRE_PLAN(plan.depth, plan.chunk)))
    return out_of_memory(m, "building a TASKS message");
  int sent = 0;
  uint64_t bytes = 0;
  while (sent < n && tf_queue_size(q)) {
    const tf_rec *next = tf_queue_peek(q);
    if (sent && b->len + tf_wire_entry_bytes(next->size) > TF_MASTER_FRAME_BYTES) break;
    if (next->avoid == w && !m->own && m->nworkers > 1) break; /* it failed here: another's turn */
    uint64_t held = tf_ledger_bytes(&m->ledger, w); /* one task always; more within the share */
    if (held && held + next->size > m->share) break;
    tf_rec r;
    tf_queue_pop(q, &r);
    if (moot_copy(m, &r)) {
      free(r.data);
      continue;
    }
    if (tf_wire_add_task(b, r.id, r.prio, r.attempt, r.data, r.size) ||
        tf_ledger_push(&m->ledger, w, &r)) {
      free(r.data);
      return out_of_memory(m, "sending tasks");
    }
    sent++;
    bytes += r.size;
  }
  if (!sent) return 0; /* the request stays open */
  tf_policy_observe_task_bytes(&m->policy, (uint64_t)sent, bytes);
  return send_frame(m, w, b, sent);
}

/* Answer the open requests, round robin. Each gets the schedule's chunk; when
 * the queue is short it is shared out rather than given to the first in line. */
static int dispatch(master *m) {
  if (m->draining) return 0;
  if (m->own && !m->partitioned) {
    if (!m->gen_done) return 0;
    int rc = partition(m);
    if (rc < 0) return rc;
  }
  int asking = 0;
  for (int w = 0; w < m->nworkers; w++)
    asking += m->demand[w] > 0 && m->state[w] == W_RUNNING;
  if (!asking) return 0;
  tf_plan plan = tf_policy_plan(&m->policy, tasks_left(m));
  m->depth = plan.depth;
  int progressed = 0;
  for (int k = 0; k < m->nworkers; k++) {
    int w = (m->rr + k) % m->nworkers;
    size_t q = tf_queue_size(source(m, w));
    if (m->demand[w] <= 0 || m->state[w] != W_RUNNING || !q) continue;
    int n = m->demand[w] < plan.send ? m->demand[w] : plan.send;
    if (!m->own) {
      size_t share = q / (size_t)asking;
      if ((size_t)n > share) n = share > 0 ? (int)share : 1;
    }
    int rc = send_tasks(m, w, n, plan);
    if (rc < 0) return rc;
    if (rc > 0) progressed = 1; /* 0: the head task failed on w and waits for another */
  }
  m->rr = (m->rr + 1) % m->nworkers;
  return progressed;
}

/* The result (or failure) for task e->id must be the oldest task worker w holds. */
static int take_from_ledger(master *m, int w, const tf_entry *e, tf_rec *out) {
  const tf_rec *head = tf_ledger_head(&m->ledger, w);
  if (!head || head->id != e->id) {
    if (head)
      tf_log(0, "rank %d reported task %llu, but the next task it holds is %llu", w + 1,
             (unsigned long long)e->id, (unsigned long long)head->id);
    else
      tf_log(0, "rank %d reported task %llu, but it holds no task", w + 1,
             (unsigned long long)e->id);
    return fail_run(m, TF_EPROTO);
  }
  tf_ledger_pop(&m->ledger, w, out);
  m->head_since[w] = m->now; /* the next one starts now */
  m->nkids[w] = 0;
  return 0;
}

static copy *find_copy(master *m, uint64_t id) {
  for (size_t i = 0; i < m->ncopies; i++)
    if (m->copies[i].id == id) return &m->copies[i];
  return NULL;
}

/* One copy of a task running twice has come back (result, failure, or its
 * worker lost). Returns 1 when this outcome no longer matters: the task's
 * result was collected already, or (not a result) another copy still runs. */
static int settle_copy(master *m, uint64_t id, int is_result) {
  copy *c = m->ncopies ? find_copy(m, id) : NULL;
  if (!c) return 0;
  c->copies--;
  int moot = c->done || (!is_result && c->copies > 0);
  if (c->done) {
    m->stale--;
    m->stats->copies_dropped += is_result;
  } else if (is_result) {
    c->done = 1; /* what the other copy brings is dropped */
    m->stale += (size_t)(c->copies - c->queued);
    m->stale_queued += (size_t)c->queued;
  }
  if (c->copies == 0) *c = m->copies[--m->ncopies];
  return moot;
}

static int on_spawn(master *m, int w, const tf_entry *e) {
  /* The children of the task at the head of w's ledger: dropped when it is
   * a copy whose twin's result (and children) came first. */
  const tf_rec *head = tf_ledger_head(&m->ledger, w);
  if (!head) {
    tf_log(0, "rank %d sent spawned task %llu, but it holds no task", w + 1,
           (unsigned long long)e->id);
    return fail_run(m, TF_EPROTO);
  }
  const copy *c = m->ncopies ? find_copy(m, head->id) : NULL;
  if (c && c->done) return 0;
  int rc = tf_check_child(&m->spawned, head->id, m->nkids[w]++, e->id, w + 1);
  if (rc) return fail_run(m, rc);
  if (tf_js_kid(&m->js, e->id, e->prio, e->data, e->size))
    return out_of_memory(m, "noting a spawned task for the journal");
  tf_rec r = {e->id, e->prio, e->size, NULL, 0, -1};
  if (e->size) {
    r.data = malloc(e->size);
    if (!r.data) return out_of_memory(m, "queueing a task spawned by a worker");
    memcpy(r.data, e->data, e->size);
  }
  /* Static: a worker's children stay in its share. */
  if (tf_queue_push(m->partitioned ? &m->own[w] : &m->queue, &r)) {
    free(r.data);
    return out_of_memory(m, "queueing a task spawned by a worker");
  }
  m->stats->tasks_spawned++;
  return 0;
}

static int on_result(master *m, int w, const tf_entry *e) {
  tf_rec r;
  int rc = take_from_ledger(m, w, e, &r);
  if (rc) return rc;
  free(r.data);
  if (settle_copy(m, e->id, 1)) {
    tf_js_drop_kids(&m->js); /* the winning copy's children were queued already */
    return 0;
  }
  copy *c = m->ncopies ? find_copy(m, e->id) : NULL;
  if (c) { /* the first copy home: the other may be stuck, with tasks behind it */
    int loser = w == c->first ? c->second : c->first;
    const tf_rec *lh = loser >= 0 ? tf_ledger_head(&m->ledger, loser) : NULL;
    if (lh && lh->id == e->id && m->state[loser] == W_RUNNING && (rc = copy_tail(m, loser)))
      return rc;
  }
  m->stats->results++;
  if (m->js.on && (rc = tf_js_result(&m->js, e->id, e->data, e->size))) return fail_run(m, rc);
  rc = tf_call_collect(&m->h, e->id, e->data, e->size);
  return rc ? fail_run(m, rc) : 0;
}

/* A failed task runs again (elsewhere, when it can) until --retries is used
 * up; then it is given up on, and the run goes on unless --fail-fast. */
static int on_fail(master *m, int w, const tf_entry *e) {
  tf_rec r;
  int rc = take_from_ledger(m, w, e, &r);
  if (rc) return rc;
  tf_js_drop_kids(&m->js);
  if (settle_copy(m, r.id, 0)) {
    free(r.data);
    return 0;
  }
  rc = tf_after_failure(m->cfg, m->stats, &r, w + 1, (const char *)e->data, e->size);
  if (rc == 1) {
    r.avoid = w;
    if (tf_queue_push(source(m, w), &r) == 0) return 0;
    free(r.data);
    return out_of_memory(m, "queueing a task to try again");
  }
  free(r.data);
  return rc ? fail_run(m, rc) : 0;
}

static int on_stats(master *m, int w, const tf_entry *e) {
  (void)w;
  uint64_t v[TF_WIRE_STATS_N];
  tf_wire_stats(e, v);
  tf_policy_observe(&m->policy, v[0], (double)v[1] * 1e-9, v[3], (double)v[2] * 1e-9);
  return 0;
}

static int on_results_frame(master *m, int w, const tf_frame *f) {
  size_t pos = 0;
  tf_entry e;
  int charged = 0; /* results, failures or children: it counts against w's share */
  uint64_t results = 0, result_bytes = 0;
  while (tf_wire_next(f, &pos, &e)) {
    int rc = e.type == TF_ENT_SPAWN    ? on_spawn(m, w, &e)
             : e.type == TF_ENT_RESULT ? on_result(m, w, &e)
             : e.type == TF_ENT_STATS  ? on_stats(m, w, &e)
                                       : on_fail(m, w, &e);
    if (rc) return rc;
    charged |= e.type != TF_ENT_STATS;
    results += e.type == TF_ENT_RESULT;
    result_bytes += e.type == TF_ENT_RESULT ? e.size : 0;
  }
  tf_policy_observe_result_bytes(&m->policy, results, result_bytes);
  if (charged) m->owed[w] += TF_WIRE_HEADER_SIZE + f->body_len; /* handed back after the free */
  if (f->aux & TF_WIRE_ASK_ROOM) m->room_asked[w] = 1;
  uint32_t ask = TF_WIRE_ASK_TASKS(f->aux);
  if (!ask) return 0;
  /* One open request per worker, and never more in hand than --prefetch. */
  size_t held = tf_ledger_held(&m->ledger, w);
  if (m->demand[w] || held + ask > (size_t)m->cfg->prefetch) {
    tf_log(0,
           "rank %d asked for %u tasks while holding %zu with a request for %d open (at most %d)",
           w + 1, ask, held, m->demand[w], m->cfg->prefetch);
    return fail_run(m, TF_EPROTO);
  }
  m->demand[w] = (int)ask;
  if (m->obs) m->obs->w[w].req_since = m->now;
  return 0;
}

static int on_error_frame(master *m, int w, const tf_frame *f) {
  size_t pos = 0;
  tf_entry e;
  tf_wire_next(f, &pos, &e);
  char text[4 * TF_WIRE_MAX_MESSAGE + 4];
  tf_log(w + 1, "%s", tf_printable(e.data, e.size, text, sizeof text));
  m->state[w] = W_GAVE_UP;
  return fail_run(m, TF_EAPP);
}

static void record_bye(master *m, int w, const tf_frame *f) {
  size_t pos = 0;
  tf_entry e;
  tf_wire_next(f, &pos, &e);
  uint64_t v[TF_WIRE_STATS_N];
  tf_wire_stats(&e, v);
  m->stats->w_tasks[w] = v[0];
  m->stats->w_busy_ns[w] = v[1];
  m->stats->w_wait_ns[w] = v[2];
  m->stats->w_frames[w] = v[3];
  m->state[w] = W_DONE;
  if (m->obs && tf_obs_bye(m->obs, w, f, v[0], tf_now()))
    tf_log(0, "out of memory keeping the trace of rank %d", w + 1);
}

static int on_early_bye(master *m, int w, const tf_frame *f) {
  (void)f;
  tf_log(0, "rank %d said goodbye before it was told to stop", w + 1);
  m->state[w] = W_DONE;
  return fail_run(m, TF_EPROTO);
}

/* What the master does with each frame kind while the farm runs. */
static int on_heartbeat(master *m, int w, const tf_frame *f) {
  (void)m, (void)w, (void)f; /* being heard from is all it says */
  return 0;
}

static const handler handlers[TF_MSG_KIND_COUNT] = {
    [TF_MSG_RESULTS] = on_results_frame,
    [TF_MSG_ERROR] = on_error_frame,
    [TF_MSG_BYE] = on_early_bye,
    [TF_MSG_HEARTBEAT] = on_heartbeat,
};

/* Receive and validate one message; returns 1 with *f filled, 0 if none, or
 * a negative error (already logged). */
static int next_frame(master *m, tf_msg *msg, tf_frame *f, int *w) {
  int rc = tf_comm_poll(&m->c, MPI_ANY_SOURCE, msg);
  if (rc < 0) {
    tf_log(0, "%s", m->c.errmsg);
    return fail_run(m, rc);
  }
  if (!rc) return 0;
  m->stats->frames_in++;
  *w = msg->source - 1;
  char why[200];
  if (tf_wire_decode(msg->buf, (size_t)msg->len, m->cfg->max_payload, f, why, sizeof why)) {
    tf_log(0, "malformed message from rank %d: %s", msg->source, why);
    tf_comm_buf_free(msg->buf, (size_t)msg->len);
    return fail_run(m, TF_EPROTO);
  }
  m->heard[*w] = m->now;
  return 1;
}

/* Hand worker w back the room its handled results took (flow.h). */
static int give_room(master *m, int w) {
  tf_wbuf *b = tf_comm_buffer(&m->c);
  if (!b || tf_wire_begin(b, TF_MSG_CREDIT, 0) || tf_wire_add_credit(b, m->owed[w]))
    return out_of_memory(m, "sending a CREDIT message");
  tf_wire_finish(b);
  int rc = tf_comm_send(&m->c, b, w + 1);
  if (rc) {
    tf_log(0, "sending CREDIT to rank %d: %s", w + 1, m->c.errmsg);
    return fail_run(m, rc);
  }
  m->owed[w] = 0;
  m->room_asked[w] = 0;
  m->told[w] = m->now;
  return 1;
}

static int poll_incoming(master *m) {
  int progressed = 0;
  for (;;) {
    tf_msg msg;
    tf_frame f;
    int w;
    int rc = next_frame(m, &msg, &f, &w);
    if (rc <= 0) return rc < 0 ? rc : progressed;
    progressed = 1;
    handler fn = handlers[f.kind];
    if (m->state[w] == W_LOST || m->state[w] == W_STUCK) {
      rc = 0; /* its tasks went elsewhere: whatever it says comes too late */
    } else if (!fn) {
      tf_log(0, "unexpected %s message from rank %d", tf_wire_kind_name(f.kind), msg.source);
      rc = fail_run(m, TF_EPROTO);
    } else if (m->tr) {
      double t = tf_now();
      rc = fn(m, w, &f);
      tf_trace_add(m->tr, TF_EV_RECV, f.kind, (uint32_t)(w + 1), t, tf_now());
    } else {
      rc = fn(m, w, &f);
    }
    tf_comm_buf_free(msg.buf, (size_t)msg.len);
    if (rc < 0) return rc;
    if (m->state[w] == W_RUNNING &&
        tf_flow_due(m->owed[w], m->share, (uint64_t)msg.len, m->room_asked[w]) &&
        (rc = give_room(m, w)) < 0)
      return rc;
  }
}

/* A worker for w's orphans under static: the next one still running. */
static int heir(const master *m, int w) {
  for (int k = 1; k < m->nworkers; k++) {
    int v = (w + k) % m->nworkers;
    if (m->state[v] == W_RUNNING) return v;
  }
  return -1;
}

/* Put r back for another worker: into dest, or, when no worker is left to
 * take it (static), counted as not done. */
static int requeue(master *m, tf_queue *dest, tf_rec *r, const char *what) {
  if (dest && tf_queue_push(dest, r) == 0) return 0;
  free(r->data);
  if (dest) return out_of_memory(m, what);
  tf_note_not_done(m->stats, r->id);
  return 0;
}

/* Worker w is out of the run (lost or stuck): under static its share goes
 * to its heir v; with no worker left the run cannot go on. */
static int leave_run(master *m, int w, int v, const char *what) {
  tf_rec r;
  if (m->own && v >= 0)
    while (tf_queue_pop(&m->own[w], &r))
      if (tf_queue_push(&m->own[v], &r)) {
        free(r.data);
        return out_of_memory(m, what);
      }
  if (v >= 0) return 0;
  tf_log(0, "every worker is lost or stuck; the run cannot go on");
  return fail_run(m, TF_EMPI);
}

/* From now on worker w gets nothing and is not listened to; it is counted
 * and named in the summary, and MPI_Finalize gets a deadline. */
static void mark_lost(master *m, int w) {
  m->state[w] = W_LOST;
  m->demand[w] = 0;
  tf_run_stats *s = m->stats;
  if (s->lost < TF_LOST_LISTED) s->lost_ranks[s->lost] = w + 1;
  s->lost++;
  s->peer_lost = 1;
  tf_comm_forget(&m->c, w + 1);
}

/* Worker w is gone (silent too long): every task it held goes back to the
 * queue, and the run that ended with it counts as a failed attempt. Which
 * task was running is known only for a task on its second try or later
 * (a "suspect"): workers report everything before and after such a task at
 * once, so it is the oldest the lost worker held. Otherwise any task it
 * held may have been the one, and all become suspects. So a task that
 * kills every worker it lands on is given up on after the second loss (or
 * after --retries, if more), and an innocent one never is. */
static int lose(master *m, int w, const char *why) {
  mark_lost(m, w);
  tf_run_stats *s = m->stats;
  int v = heir(m, w);
  tf_queue *dest = m->own ? (v >= 0 ? &m->own[v] : NULL) : &m->queue;
  size_t held = tf_ledger_held(&m->ledger, w);
  tf_log(0, "rank %d is lost (%s); %zu task(s) it held go to the other workers", w + 1, why,
         held);
  uint32_t budget = m->cfg->retries > 1 ? (uint32_t)m->cfg->retries : 1;
  const tf_rec *head = tf_ledger_head(&m->ledger, w);
  int suspect_ran = head && head->attempt > 0;
  tf_rec r;
  for (int first = 1; tf_ledger_pop(&m->ledger, w, &r); first = 0) {
    if (settle_copy(m, r.id, 0)) { /* its twin runs on, or won already */
      free(r.data);
      continue;
    }
    if (suspect_ran ? first : r.attempt == 0) r.attempt++;
    if (first && suspect_ran && r.attempt > budget) {
      tf_log(0, "task %llu was running on %u workers that were lost; giving up on it",
             (unsigned long long)r.id, r.attempt);
      tf_note_failure(s, r.id);
      free(r.data);
      if (m->cfg->fail_fast) fail_run(m, TF_EAPP);
      continue;
    }
    r.avoid = -1;
    s->lost_tasks++;
    s->retried += first && suspect_ran; /* it was running: this is another try */
    int rc = requeue(m, dest, &r, "queueing a lost worker's tasks");
    if (rc) return rc;
  }
  return leave_run(m, w, v, "queueing a lost worker's tasks");
}

static int grow_copies(master *m) {
  if (m->ncopies < m->cap_copies) return 0;
  size_t cap = m->cap_copies ? 2 * m->cap_copies : 8;
  copy *c = realloc(m->copies, cap * sizeof *c);
  if (!c) return TF_ENOMEM;
  m->copies = c;
  m->cap_copies = cap;
  return 0;
}

/* Worker w is still inside a task whose copy elsewhere has finished: the
 * tasks it holds behind that one are copied into the queue too, so they do
 * not wait for it. Whichever copy finishes first counts. */
static int copy_tail(master *m, int w) {
  int v = m->own ? heir(m, w) : -1;
  tf_queue *dest = m->own ? (v >= 0 ? &m->own[v] : NULL) : &m->queue;
  if (!dest) return 0;
  double now = tf_now();
  for (size_t i = 1; i < tf_ledger_held(&m->ledger, w); i++) {
    const tf_rec *t = tf_ledger_at(&m->ledger, w, i);
    if (m->ncopies && find_copy(m, t->id)) continue;
    tf_rec r = *t;
    r.avoid = w;
    if (grow_copies(m) || (r.size && !(r.data = malloc(r.size))))
      return out_of_memory(m, "copying the tasks of a slow worker");
    if (r.size) memcpy(r.data, t->data, r.size);
    if (tf_queue_push(dest, &r)) {
      free(r.data);
      return out_of_memory(m, "copying the tasks of a slow worker");
    }
    m->copies[m->ncopies++] = (copy){r.id, 2, 0, 1, w, -1, now};
  }
  return 0;
}

/* Worker w is stuck in the task at the head of its ledger (given up on):
 * it gets nothing more, the tasks it held behind that one go back to the
 * queue (they never ran), and at the end it is told to leave (stop_workers).
 * It stays alive: its heartbeat thread answers for it. */
static int make_stuck(master *m, int w) {
  m->state[w] = W_STUCK;
  m->demand[w] = 0;
  int v = heir(m, w);
  tf_queue *dest = m->own ? (v >= 0 ? &m->own[v] : NULL) : &m->queue;
  tf_rec r;
  while (tf_ledger_pop(&m->ledger, w, &r)) {
    if (settle_copy(m, r.id, 0)) { /* the hanging task itself, or a copy that runs on */
      free(r.data);
      continue;
    }
    int rc = requeue(m, dest, &r, "queueing a stuck worker's tasks");
    if (rc) return rc;
  }
  return leave_run(m, w, v, "queueing a stuck worker's tasks");
}

/* Both copies of a task have run longer than --task-timeout: it hangs. It
 * is given up on, and the two workers stuck in it get nothing more; at the
 * end they are told to leave (their heartbeat threads answer). */
static int give_up_stuck(master *m, copy *c, double now) {
  uint64_t id = c->id;
  int a = c->first, b = c->second;
  tf_log(0, "task %llu has run for more than %g s (--task-timeout) on rank %d and on rank %d; giving up on it; "
         "both ranks are stuck in it and get no more tasks",
         (unsigned long long)id, m->cfg->task_timeout, a + 1, b + 1);
  (void)now;
  tf_note_failure(m->stats, id);
  c->done = 1; /* what either copy might still bring is dropped */
  m->stale += (size_t)c->copies;
  int rc = make_stuck(m, a);
  if (rc >= 0) rc = make_stuck(m, b);
  if (rc >= 0 && m->cfg->fail_fast) fail_run(m, TF_EAPP);
  return rc < 0 ? rc : 1;
}

/* --task-timeout: when w's oldest task has run too long and another worker
 * asks with nothing in hand, that worker runs it too. The first result
 * counts; the other is dropped. */
static int straggler(master *m, int w, double now) {
  const tf_rec *head = tf_ledger_head(&m->ledger, w);
  if (!head || now - m->head_since[w] < m->cfg->task_timeout) return 0;
  copy *c = m->ncopies ? find_copy(m, head->id) : NULL;
  if (c && !c->done && c->copies == 2 && c->second >= 0 && now - c->since > m->cfg->task_timeout &&
      tf_ledger_head(&m->ledger, c->second) &&
      tf_ledger_head(&m->ledger, c->second)->id == c->id)
    return give_up_stuck(m, c, now);
  if (c) return 0;
  int v = -1;
  for (int k = 1; k < m->nworkers && v < 0; k++) {
    int u = (w + k) % m->nworkers;
    if (m->state[u] == W_RUNNING && m->demand[u] > 0 && !tf_ledger_held(&m->ledger, u) &&
        !tf_queue_size(source(m, u)))
      v = u;
  }
  if (v < 0) return 0;
  if (grow_copies(m)) return out_of_memory(m, "copying a slow task");
  tf_rec r = *head;
  if (r.size && !(r.data = malloc(r.size))) return out_of_memory(m, "copying a slow task");
  if (r.size) memcpy(r.data, head->data, r.size);
  tf_plan plan = tf_policy_plan(&m->policy, tasks_left(m));
  tf_wbuf *b = tf_comm_buffer(&m->c);
  if (!b || tf_wire_begin(b, TF_MSG_TASKS, TF_WIRE_PLAN(plan.depth, plan.chunk)) ||
      tf_wire_add_task(b, r.id, r.prio, r.attempt, r.data, r.size) ||
      tf_ledger_push(&m->ledger, v, &r)) {
    free(r.data);
    return out_of_memory(m, "copying a slow task");
  }
  m->copies[m->ncopies++] = (copy){r.id, 2, 0, 0, w, v, now};
  m->stats->copies++;
  tf_log(0, "task %llu has run for %.1f s on rank %d (--task-timeout %g); rank %d runs it too",
         (unsigned long long)r.id, now - m->head_since[w], w + 1, m->cfg->task_timeout, v + 1);
  int rc = send_frame(m, v, b, 1);
  return rc < 0 ? rc : 1;
}

static int send_heartbeat(master *m, int w, double now) {
  tf_wbuf *b = tf_comm_buffer(&m->c);
  if (!b || tf_wire_begin(b, TF_MSG_HEARTBEAT, 0)) return out_of_memory(m, "sending a heartbeat");
  tf_wire_finish(b);
  int rc = tf_comm_send(&m->c, b, w + 1);
  if (rc) {
    tf_log(0, "sending a heartbeat to rank %d: %s", w + 1, m->c.errmsg);
    return fail_run(m, rc);
  }
  m->told[w] = now;
  return 0;
}

/* Now and then (not on every turn of the loop): heartbeats to quiet
 * workers, silent workers declared lost, stragglers copied. */
static int check_workers(master *m) {
  double now = m->now;
  if (now < m->next_check) return 0;
  /* If the master itself was away (a slow generate or collect), nobody had
   * a chance to be heard: start every clock again. */
  if (now - m->last_check > m->hb_every)
    for (int w = 0; w < m->nworkers; w++)
      if (m->heard[w] < now) m->heard[w] = now;
  m->last_check = now;
  m->next_check = now + (m->hb_every < 0.05 ? m->hb_every : 0.05);
  int progressed = 0;
  for (int w = 0; w < m->nworkers && !m->status; w++) {
    if (m->state[w] != W_RUNNING) continue;
    int rc = 0;
    if (m->heartbeats && now - m->heard[w] > tf_worker_timeout(m->cfg)) {
      char why[64];
      snprintf(why, sizeof why, "silent for %.1f s", now - m->heard[w]);
      rc = lose(m, w, why);
    }
    else if (m->cfg->task_timeout > 0 && !m->draining)
      rc = straggler(m, w, now);
    if (!rc && m->state[w] == W_RUNNING && now - m->told[w] >= m->hb_every)
      rc = send_heartbeat(m, w, now);
    if (rc < 0) return rc;
    progressed |= rc > 0 || m->state[w] == W_LOST;
  }
  return progressed;
}

/* SIGUSR1, SIGTERM, ...: hand out nothing more, wait up to --drain for the
 * tasks in flight, then end with TF_ESTOPPED. A second signal ends the
 * wait. Returns 1 when the wait is over. */
static int check_stop(master *m) {
  unsigned conts = tf_cont_count();
  if (conts != m->conts) { /* perhaps mpirun starting to kill the job: the journal first */
    m->conts = conts;
    if (tf_js_flush(&m->js)) fail_run(m, TF_EJOURNAL);
  }
  int sig = tf_stop_signal();
  if (!sig) return 0;
  if (!m->draining) {
    m->draining = 1;
    m->stats->stop_signal = sig;
    m->drain_until = tf_now() + m->cfg->drain;
    /* before anything else: the process may be killed any moment */
    if (tf_js_flush(&m->js)) fail_run(m, TF_EJOURNAL);
    size_t queued = tf_queue_size(&m->queue) - m->stale_queued;
    for (int w = 0; m->own && w < m->nworkers; w++)
      queued += tf_queue_size(&m->own[w]);
    if (tf_stop_urgent()) {
      m->urgent = 1;
      tf_log(0,
             "SIGTERM from mpirun (it was interrupted with Ctrl-C, or got SIGTERM or SIGHUP): it "
             "kills every rank about a second later, so the run stops at once, without waiting "
             "for the %zu tasks in flight; %s (SIGUSR1 to mpirun stops a run gracefully)",
             m->ledger.total - m->stale,
             m->js.on ? "the journal is flushed: run again with --resume"
                      : "no --journal was given, so the results so far are lost");
      return 1;
    }
    tf_log(0,
           "%s: no more tasks go out; waiting up to %g s (--drain) for the %zu in flight; %zu "
           "queued will not run; a second signal stops at once",
           tf_signal_name(sig), m->cfg->drain, m->ledger.total - m->stale, queued);
    if (sig == SIGTERM)
      tf_log(0, "(SIGTERM comes from the batch system's time limit, or from mpirun when a rank "
                "died: mpirun --enable-recovery keeps a run going without it)");
  }
  return tf_stop_count() > 1 || tf_now() >= m->drain_until || m->ledger.total == m->stale;
}

/* Send STOP to worker w with the given tag. */
static int send_stop(master *m, int w, int tag) {
  tf_wbuf *b = tf_comm_buffer(&m->c);
  if (!b || tf_wire_begin(b, TF_MSG_STOP, TF_WIRE_STOP(m->status, m->stats->lost > 0))) {
    tf_log(0, "out of memory stopping the workers");
    return TF_ENOMEM;
  }
  tf_wire_finish(b);
  int rc = tf_comm_send_tag(&m->c, b, w + 1, tag);
  if (rc) tf_log(0, "sending STOP to rank %d: %s", w + 1, m->c.errmsg);
  return rc;
}

/* Tell every worker to stop and wait, bounded, for each one's BYE. Frames
 * that arrive meanwhile are only possible after a failure and are dropped.
 * Lost workers are not waited for. A worker still inside a task nobody
 * needs (it hangs, a copy won, or a stop signal's drain ended) is also told
 * to leave on TF_WIRE_TAG_LEAVE, which its heartbeat thread answers while
 * execute runs on; without heartbeats it is waited for up to --drain. */
static int stop_workers(master *m) {
  int rc = 0;
  double wait = m->status ? TF_STOP_WAIT_FAILED : TF_STOP_WAIT_OK;
  if ((m->stale || m->draining) && m->cfg->drain < wait) wait = m->cfg->drain;
  if (wait < 1.0) wait = 1.0;
  int left = 0;
  for (int w = 0; w < m->nworkers; w++) {
    if (m->state[w] == W_LOST || m->state[w] == W_DONE) continue;
    if ((rc = send_stop(m, w, TF_WIRE_TAG))) return rc;
    if (m->heartbeats && (m->state[w] == W_STUCK || tf_ledger_held(&m->ledger, w)) &&
        (rc = send_stop(m, w, TF_WIRE_TAG_LEAVE)))
      return rc;
    if (m->obs) m->obs->w[w].stop_sent = tf_now() - m->obs->t0;
    left++;
  }
  double deadline = tf_now() + wait;
  for (int k = 0; k < m->nworkers; k++) /* finish may have kept the master away */
    m->heard[k] = deadline - wait;
  tf_idle idle;
  tf_idle_init(&idle, m->cfg->idle);
  while (left) {
    tf_msg msg;
    tf_frame f;
    int w;
    int got = next_frame(m, &msg, &f, &w);
    if (got < 0 && got != TF_EPROTO) return got;
    if (got > 0) {
      if (m->state[w] == W_LOST) {
        /* too late */
      } else if (f.kind == TF_MSG_BYE && m->state[w] != W_DONE) {
        record_bye(m, w, &f);
        left--;
      } else if (f.kind == TF_MSG_ERROR) {
        on_error_frame(m, w, &f);
      }
      tf_comm_buf_free(msg.buf, (size_t)msg.len);
      tf_idle_reset(&idle);
      continue;
    }
    tf_comm_progress_sends(&m->c);
    m->now = tf_now();
    /* With heartbeats, a worker that died after the last result is lost,
     * not stuck: nothing is waited for from it. */
    for (int k = 0; m->heartbeats && k < m->nworkers; k++)
      if (m->state[k] != W_DONE && m->state[k] != W_LOST &&
          m->now - m->heard[k] > tf_worker_timeout(m->cfg)) {
        tf_log(0, "rank %d is lost (silent for %.1f s) while stopping", k + 1, m->now - m->heard[k]);
        mark_lost(m, k);
        left--;
      }
    if (!left) break;
    if (m->now > deadline) {
      char ranks[200] = "";
      size_t n = 0;
      for (int k = 0; k < m->nworkers && n + 12 < sizeof ranks; k++)
        if (m->state[k] != W_DONE && m->state[k] != W_LOST)
          n += (size_t)snprintf(ranks + n, sizeof ranks - n, " %d", k + 1);
      tf_log(0, "%d worker(s) did not stop within %.0f s (rank%s%s)", left, wait,
             left > 1 ? "s" : "", ranks);
      return TF_EMPI;
    }
    tf_idle_wait(&idle);
  }
  if ((rc = tf_comm_drain_sends(&m->c, wait))) tf_log(0, "%s", m->c.errmsg);
  return rc;
}

/* The run ends early (a stop, a failure): count and name the tasks left
 * undone, in workers' hands first, then queued; a task running twice, or
 * held and queued as a copy, counts once, and one already done not at all. */
static int undone(master *m, tf_idset *seen, uint64_t id) {
  const copy *c = m->ncopies ? find_copy(m, id) : NULL;
  if (c && c->done) return 0;
  if (tf_idset_add(seen, id) != 1) return 0;
  tf_note_not_done(m->stats, id);
  return 1;
}

static void note_not_done(master *m) {
  tf_idset seen = {0};
  for (int w = 0; w < m->nworkers; w++)
    for (size_t i = 0; i < tf_ledger_held(&m->ledger, w); i++)
      m->stats->not_done_held += (uint64_t)undone(m, &seen, tf_ledger_at(&m->ledger, w, i)->id);
  for (int k = -1; k < (m->own ? m->nworkers : 0); k++) {
    tf_queue *q = k < 0 ? &m->queue : &m->own[k];
    tf_rec r;
    while (tf_queue_pop(q, &r)) { /* the run is over: the queue is emptied here */
      undone(m, &seen, r.id);
      free(r.data);
    }
  }
  tf_idset_free(&seen);
  m->stats->more_to_generate = !m->gen_done;
}

/* --progress: done / total when the total is known, workers alive, failures. */
static void show_progress(master *m) {
  const tf_run_stats *s = m->stats;
  tf_progress_info in = {0};
  /* results and the counts of generated and spawned tasks include what a
   * resumed run read back from its journal */
  in.done = s->results + s->failed;
  uint64_t spawned = s->tasks_spawned;
  if (m->gen_done)
    in.total = s->tasks_generated + spawned;
  else if (m->h.total)
    in.total = m->h.total + spawned;
  in.failed = s->failed;
  in.retried = s->retried;
  in.nworkers = m->nworkers;
  for (int w = 0; w < m->nworkers; w++)
    in.alive += m->state[w] == W_RUNNING;
  tf_progress_show(&m->progress, m->now, &in);
}

int tf_master_run(MPI_Comm comm, const tf_app *app, const tf_config *cfg, tf_run_stats *stats) {
  master m;
  memset(&m, 0, sizeof m);
  tf_comm_init(&m.c, comm);
  m.app = app;
  m.cfg = cfg;
  m.stats = stats;
  m.nworkers = m.c.size - 1;
  tf_handle_init(&m.h, app, cfg, 0, m.nworkers, -1);
  m.h.queue = &m.queue;
  tf_policy_init(&m.policy, (tf_schedule)cfg->schedule, m.nworkers, cfg->chunk, cfg->prefetch);
  m.depth = tf_policy_plan(&m.policy, TF_LEFT_UNKNOWN).depth;
  m.heartbeats = tf_heartbeats_on(cfg);
  m.obs = stats->obs;
  m.tr = m.obs && m.obs->trace ? &m.obs->master : NULL;
  m.hb_every = tf_heartbeat_interval(cfg);
  size_t nw = (size_t)m.nworkers;
  m.demand = calloc(nw, sizeof *m.demand);
  m.state = calloc(nw, sizeof *m.state);
  m.heard = calloc(nw, sizeof *m.heard);
  m.told = calloc(nw, sizeof *m.told);
  m.head_since = calloc(nw, sizeof *m.head_since);
  m.owed = calloc(nw, sizeof *m.owed);
  m.room_asked = calloc(nw, sizeof *m.room_asked);
  m.nkids = calloc(nw, sizeof *m.nkids);
  m.share = tf_flow_share(cfg->max_in_flight, m.nworkers);
  tf_policy_set_share(&m.policy, m.share);
  if (cfg->schedule == TF_SCHEDULE_STATIC) m.own = calloc(nw, sizeof *m.own);
  int rc = (!m.demand || !m.state || !m.heard || !m.told || !m.head_since || !m.owed || !m.room_asked || !m.nkids ||
            (cfg->schedule == TF_SCHEDULE_STATIC && !m.own) || tf_ledger_init(&m.ledger, m.nworkers))
               ? TF_ENOMEM
               : 0;
  if (rc) out_of_memory(&m, "starting the master");
  double t0 = tf_now();
  m.now = t0;
  for (int w = 0; m.heard && m.told && w < m.nworkers; w++)
    m.heard[w] = m.told[w] = t0;
  m.last_check = t0;
  tf_progress_init(&m.progress, cfg, t0);
  if (m.obs) {
    m.obs->t0 = m.obs->next_sample = m.obs->master.epoch = t0;
    for (size_t w = 0; w < nw; w++)
      m.obs->w[w].req_since = -1;
  }
  int init_ok = 0;
  if (!rc && !(rc = tf_call_hook(&m.h, app->master_init, "master_init"))) init_ok = 1;
  if (rc) fail_run(&m, rc);
  if (!rc && (rc = tf_js_open(&m.js, &m.h, &m.queue, stats))) fail_run(&m, rc);
  m.progress.last_done = stats->results; /* read back: not done at this run's rate */

  tf_idle idle;
  tf_idle_init(&idle, cfg->idle);
  int quiet = 1;    /* the last turn did nothing */
  unsigned turn = 0;
  while (!m.status) {
    int progressed = 0, r;
    /* The clock, signals, timers and the journal: on a quiet turn, or every
     * 64th, so that a busy master spends its time on messages. */
    int housekeeping = quiet || m.draining || (++turn & 63) == 0;
    if (housekeeping) m.now = tf_now();
    if ((r = poll_incoming(&m)) < 0) break;
    progressed |= r;
    if (housekeeping && check_stop(&m)) break;
    if ((r = refill(&m)) < 0) break;
    progressed |= r;
    if ((r = dispatch(&m)) < 0) break;
    progressed |= r;
    if ((r = tf_comm_progress_sends(&m.c)) < 0) {
      tf_log(0, "%s", m.c.errmsg);
      fail_run(&m, r);
      break;
    }
    if (housekeeping) {
      if ((r = check_workers(&m)) < 0) break;
      progressed |= r;
      if (m.js.on && tf_js_tick(&m.js, m.now)) {
        fail_run(&m, TF_EJOURNAL);
        break;
      }
      if (tf_obs_sample_due(m.obs, m.now))
        tf_obs_sample(m.obs, m.now, tf_queue_size(&m.queue), m.ledger.total - m.stale,
                      stats->results);
      if (tf_progress_due(&m.progress, m.now)) show_progress(&m);
    }
    if (m.gen_done && queues_empty(&m) && m.ledger.total == m.stale) break;
    quiet = !progressed;
    if (progressed)
      tf_idle_reset(&idle);
    else
      tf_idle_wait(&idle);
  }
  if (m.draining && !m.status) m.status = TF_ESTOPPED;
  if (m.status) note_not_done(&m);
  if (m.progress.mode != TF_PROGRESS_NONE) {
    if (m.progress.mode == TF_PROGRESS_BAR) show_progress(&m); /* the bar ends full */
    tf_progress_end(&m.progress);
  }
  if (m.obs) tf_obs_sample(m.obs, tf_now(), tf_queue_size(&m.queue), m.ledger.total - m.stale,
                           stats->results);
  /* Results are safe before anything that may hang or abort. */
  if ((rc = tf_js_close(&m.js)) && !m.status) m.status = rc;
  double tf = m.tr ? tf_now() : 0;
  if (!m.status && (rc = tf_call_finish(&m.h))) fail_run(&m, rc);
  if (m.tr) tf_trace_add(m.tr, TF_EV_FINISH, 0, 0, tf, tf_now());
  if (!m.status && stats->failed) m.status = TF_EAPP; /* --keep-going: finished, but not whole */
  /* Whatever happened, after the journal is safe: partial output of a stop. */
  if (init_ok && (rc = tf_call_master_fini(&m.h, m.status)) && !m.status) m.status = rc;
  stats->wall = tf_now() - t0;
  double ts = m.tr ? tf_now() : 0;
  stats->urgent = m.urgent;
  rc = m.urgent ? 0 : stop_workers(&m); /* mpirun kills them anyway */
  if (m.tr) tf_trace_add(m.tr, TF_EV_STOP, 0, 0, ts, tf_now());
  if (m.obs) {
    m.obs->m_msgs_sent = m.c.msgs_sent;
    m.obs->m_bytes_sent = m.c.bytes_sent;
    m.obs->m_msgs_recv = m.c.msgs_recv;
    m.obs->m_bytes_recv = m.c.bytes_recv;
  }
  /* A worker stuck in a task nobody needs any more (a copy that lost, or
   * the drain after a stop) does not change the run's outcome. */
  if (rc && !m.status && !m.stale) m.status = rc;
  int status = m.status;
  stats->stuck |= rc != 0; /* some worker may still run: finalize could hang */

  tf_queue_destroy(&m.queue);
  for (int w = 0; m.own && w < m.nworkers; w++)
    tf_queue_destroy(&m.own[w]);
  free(m.own);
  tf_ledger_destroy(&m.ledger);
  tf_handle_free(&m.h);
  free(m.demand);
  free(m.state);
  free(m.heard);
  free(m.told);
  free(m.head_since);
  free(m.owed);
  free(m.room_asked);
  free(m.nkids);
  tf_idset_free(&m.spawned);
  free(m.copies);
  tf_comm_destroy(&m.c);
  return status;
}
