/* master.c - rank 0 of a farm: generates tasks lazily into a bounded queue,
 * answers each worker's request with as many tasks as the schedule allows,
 * records who holds what in the ledger, collects results, and stops every
 * worker at the end. It only ever polls, so one slow or silent worker never
 * stalls the others. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "comm.h"
#include "farm.h"
#include "idle.h"
#include "ledger.h"
#include "policy.h"

/* Bytes of tasks packed into one TASKS frame (one larger task still goes alone). */
#define TF_MASTER_FRAME_BYTES (1u << 20)
/* How long workers get to answer STOP: after success they are idle; after
 * a failure one may be inside a long task. */
#define TF_STOP_WAIT_OK 60.0
#define TF_STOP_WAIT_FAILED 10.0

enum { W_RUNNING, W_GAVE_UP, W_DONE };

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
  int status;
  tf_run_stats *stats;
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
  size_t limit = window(m);
  while (!m->gen_done && tf_queue_size(&m->queue) < limit) {
    size_t before = tf_queue_size(&m->queue);
    int rc = tf_call_generate(&m->h, &m->gen_done, &m->stats->tasks_generated);
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
  if (tf_queue_size(&m->queue)) return 0;
  for (int w = 0; m->own && w < m->nworkers; w++)
    if (tf_queue_size(&m->own[w])) return 0;
  return 1;
}

/* Answer worker w's request with up to n tasks and the plan to follow. */
static int send_tasks(master *m, int w, int n, tf_plan plan) {
  tf_queue *q = source(m, w);
  tf_wbuf *b = tf_comm_buffer(&m->c);
  if (!b || tf_wire_begin(b, TF_MSG_TASKS, TF_WIRE_PLAN(plan.depth, plan.chunk)))
    return out_of_memory(m, "building a TASKS message");
  int sent = 0;
  while (sent < n && tf_queue_size(q)) {
    const tf_rec *next = tf_queue_peek(q);
    if (sent && b->len + tf_wire_entry_bytes(next->size) > TF_MASTER_FRAME_BYTES) break;
    if (next->avoid == w && !m->own && m->nworkers > 1) break; /* it failed here: another's turn */
    tf_rec r;
    tf_queue_pop(q, &r);
    if (tf_wire_add_task(b, r.id, r.prio, r.attempt, r.data, r.size) ||
        tf_ledger_push(&m->ledger, w, &r)) {
      free(r.data);
      return out_of_memory(m, "sending tasks");
    }
    sent++;
  }
  if (!sent) return 0; /* the request stays open */
  tf_wire_finish(b);
  int rc = tf_comm_send(&m->c, b, w + 1);
  if (rc) {
    tf_log(0, "sending tasks to rank %d: %s", w + 1, m->c.errmsg);
    return fail_run(m, rc);
  }
  m->demand[w] = 0; /* the request is answered, even if with fewer tasks */
  m->stats->frames_out++;
  return sent;
}

/* Answer the open requests, round robin. Each gets the schedule's chunk; when
 * the queue is short it is shared out rather than given to the first in line. */
static int dispatch(master *m) {
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
  return 0;
}

static int on_spawn(master *m, int w, const tf_entry *e) {
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
  m->stats->results++;
  rc = tf_call_collect(&m->h, e->id, e->data, e->size);
  return rc ? fail_run(m, rc) : 0;
}

/* A failed task runs again (elsewhere, when it can) until --retries is used
 * up; then it is given up on, and the run goes on unless --fail-fast. */
static int on_fail(master *m, int w, const tf_entry *e) {
  tf_rec r;
  int rc = take_from_ledger(m, w, e, &r);
  if (rc) return rc;
  if (r.attempt < (uint32_t)m->cfg->retries) {
    tf_log(0, "task %llu failed on rank %d (attempt %u of %d): %.*s; trying again",
           (unsigned long long)r.id, w + 1, r.attempt + 1, m->cfg->retries + 1, (int)e->size,
           (const char *)e->data);
    r.attempt++;
    r.avoid = w;
    if (tf_queue_push(source(m, w), &r)) {
      free(r.data);
      return out_of_memory(m, "queueing a task to try again");
    }
    m->stats->retried++;
    return 0;
  }
  free(r.data);
  tf_log(0, "task %llu failed on rank %d after %u attempt%s: %.*s; giving up on it",
         (unsigned long long)r.id, w + 1, r.attempt + 1, r.attempt ? "s" : "", (int)e->size,
         (const char *)e->data);
  tf_note_failure(m->stats, r.id);
  return m->cfg->fail_fast ? fail_run(m, TF_EAPP) : 0;
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
  while (tf_wire_next(f, &pos, &e)) {
    int rc = e.type == TF_ENT_SPAWN    ? on_spawn(m, w, &e)
             : e.type == TF_ENT_RESULT ? on_result(m, w, &e)
             : e.type == TF_ENT_STATS  ? on_stats(m, w, &e)
                                       : on_fail(m, w, &e);
    if (rc) return rc;
  }
  if (!f->aux) return 0;
  /* One open request per worker, and never more in hand than --prefetch. */
  size_t held = tf_ledger_held(&m->ledger, w);
  if (m->demand[w] || held + f->aux > (size_t)m->cfg->prefetch) {
    tf_log(0,
           "rank %d asked for %u tasks while holding %zu with a request for %d open (at most %d)",
           w + 1, f->aux, held, m->demand[w], m->cfg->prefetch);
    return fail_run(m, TF_EPROTO);
  }
  m->demand[w] = (int)f->aux;
  return 0;
}

static int on_error_frame(master *m, int w, const tf_frame *f) {
  size_t pos = 0;
  tf_entry e;
  tf_wire_next(f, &pos, &e);
  tf_log(w + 1, "%.*s", (int)e.size, (const char *)e.data);
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
}

static int on_early_bye(master *m, int w, const tf_frame *f) {
  (void)f;
  tf_log(0, "rank %d said goodbye before it was told to stop", w + 1);
  m->state[w] = W_DONE;
  return fail_run(m, TF_EPROTO);
}

/* What the master does with each frame kind while the farm runs. */
static const handler handlers[TF_MSG_KIND_COUNT] = {
    [TF_MSG_RESULTS] = on_results_frame,
    [TF_MSG_ERROR] = on_error_frame,
    [TF_MSG_BYE] = on_early_bye,
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
    free(msg->buf);
    return fail_run(m, TF_EPROTO);
  }
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
    if (!fn) {
      tf_log(0, "unexpected %s message from rank %d", tf_wire_kind_name(f.kind), msg.source);
      rc = fail_run(m, TF_EPROTO);
    } else {
      rc = fn(m, w, &f);
    }
    free(msg.buf);
    if (rc < 0) return rc;
  }
}

/* Tell every worker to stop and wait, bounded, for each one's BYE. Frames
 * that arrive meanwhile are only possible after a failure and are dropped. */
static int stop_workers(master *m) {
  int rc = 0;
  for (int w = 0; w < m->nworkers; w++) {
    tf_wbuf *b = tf_comm_buffer(&m->c);
    if (!b || tf_wire_begin(b, TF_MSG_STOP, (uint32_t)(-m->status))) {
      tf_log(0, "out of memory stopping the workers");
      return TF_ENOMEM;
    }
    tf_wire_finish(b);
    if ((rc = tf_comm_send(&m->c, b, w + 1))) {
      tf_log(0, "sending STOP to rank %d: %s", w + 1, m->c.errmsg);
      return rc;
    }
  }
  double wait = m->status ? TF_STOP_WAIT_FAILED : TF_STOP_WAIT_OK;
  double deadline = tf_now() + wait;
  int left = 0;
  for (int w = 0; w < m->nworkers; w++)
    left += m->state[w] != W_DONE;
  tf_idle idle;
  tf_idle_init(&idle, m->cfg->idle);
  while (left) {
    tf_msg msg;
    tf_frame f;
    int w;
    int got = next_frame(m, &msg, &f, &w);
    if (got < 0 && got != TF_EPROTO) return got;
    if (got > 0) {
      if (f.kind == TF_MSG_BYE && m->state[w] != W_DONE) {
        record_bye(m, w, &f);
        left--;
      } else if (f.kind == TF_MSG_ERROR) {
        on_error_frame(m, w, &f);
      }
      free(msg.buf);
      tf_idle_reset(&idle);
      continue;
    }
    tf_comm_progress_sends(&m->c);
    if (tf_now() > deadline) {
      char ranks[200] = "";
      size_t n = 0;
      for (int k = 0; k < m->nworkers && n + 12 < sizeof ranks; k++)
        if (m->state[k] != W_DONE) n += (size_t)snprintf(ranks + n, sizeof ranks - n, " %d", k + 1);
      tf_log(0, "%d worker(s) did not stop within %.0f s (rank%s%s)", left, wait,
             left > 1 ? "s" : "", ranks);
      return TF_EMPI;
    }
    tf_idle_wait(&idle);
  }
  if ((rc = tf_comm_drain_sends(&m->c, wait))) tf_log(0, "%s", m->c.errmsg);
  return rc;
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
  m.demand = calloc((size_t)m.nworkers, sizeof *m.demand);
  m.state = calloc((size_t)m.nworkers, sizeof *m.state);
  if (cfg->schedule == TF_SCHEDULE_STATIC) m.own = calloc((size_t)m.nworkers, sizeof *m.own);
  int rc = (!m.demand || !m.state || (cfg->schedule == TF_SCHEDULE_STATIC && !m.own) ||
            tf_ledger_init(&m.ledger, m.nworkers))
               ? TF_ENOMEM
               : 0;
  if (rc) out_of_memory(&m, "starting the master");
  double t0 = tf_now();

  tf_idle idle;
  tf_idle_init(&idle, cfg->idle);
  while (!m.status) {
    int progressed = 0, r;
    if ((r = poll_incoming(&m)) < 0) break;
    progressed |= r;
    if ((r = refill(&m)) < 0) break;
    progressed |= r;
    if ((r = dispatch(&m)) < 0) break;
    progressed |= r;
    if ((r = tf_comm_progress_sends(&m.c)) < 0) {
      tf_log(0, "%s", m.c.errmsg);
      fail_run(&m, r);
      break;
    }
    if (m.gen_done && queues_empty(&m) && !m.ledger.total) break;
    if (progressed)
      tf_idle_reset(&idle);
    else
      tf_idle_wait(&idle);
  }
  if (!m.status && (rc = tf_call_finish(&m.h))) fail_run(&m, rc);
  if (!m.status && stats->failed) m.status = TF_EAPP; /* --keep-going: finished, but not whole */
  stats->wall = tf_now() - t0;
  rc = stop_workers(&m);
  if (rc && !m.status) m.status = rc;
  int status = m.status;
  stats->stuck = rc != 0; /* some worker may still run: finalize could hang */

  tf_queue_destroy(&m.queue);
  for (int w = 0; m.own && w < m.nworkers; w++)
    tf_queue_destroy(&m.own[w]);
  free(m.own);
  tf_ledger_destroy(&m.ledger);
  tf_handle_free(&m.h);
  free(m.demand);
  free(m.state);
  tf_comm_destroy(&m.c);
  return status;
}
