/* worker.c - every rank but 0: keeps the tasks the master's plan says in
 * hand, asking for more before it runs dry (one request open at a time),
 * executes them in arrival order, and sends results back in batches that
 * carry the next request and the timings the schedule is computed from.
 * Children a task submits travel in the same frame as its result, so they are
 * never seen without it. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "comm.h"
#include "farm.h"
#include "flow.h"
#include "idle.h"
#include "policy.h"
#include "signals.h"
#include "trace.h"

/* A result waits at most this long for others to share its frame... */
#define TF_FLUSH_INTERVAL 0.01
/* ...and not at all when tasks take this long on average (seconds). */
#define TF_SLOW_TASK TF_FLUSH_INTERVAL
/* With nothing to run and a request open, results wait this long for the
 * answer, so that they ride with the next request instead of a frame of
 * their own. */
#define TF_RESULT_HOLD 100e-6
/* Between two looks for messages: at most this many tasks, or this long. */
#define TF_POLL_EVERY 32
#define TF_POLL_INTERVAL 20e-6
/* How often the heartbeat thread looks at the worker. */
#define TF_HB_WAKE 0.05
/* Bytes of results in one frame before it goes regardless. */
#define TF_WORKER_FRAME_BYTES (1u << 20)

typedef struct inbox_frame {
  unsigned char *buf; /* the received message, owned (tf_comm_buf_free) */
  size_t len;
  tf_frame f;
  size_t pos;
} inbox_frame;

typedef struct worker {
  tf_comm c;
  const tf_app *app;
  const tf_config *cfg;
  tf_handle h;
  inbox_frame *inbox; /* ring of frames holding tasks not yet run */
  size_t in_head, in_n, in_cap;
  tf_plan plan;     /* from the master's last TASKS frame */
  uint32_t queued;  /* tasks received, not started */
  int running;      /* 1 while execute runs */
  uint32_t asked;   /* tasks asked for in the open request; 0: none open */
  double asked_at;  /* when the open request was sent */
  double starved;   /* since when it has had nothing to run; < 0: it has */
  tf_wbuf out;      /* RESULTS frame being filled */
  double out_since; /* when its first result was added */
  int out_urgent;   /* holds children: other workers may be waiting for them */
  int out_charged;  /* holds results, failures or children: it needs room (flow.h) */
  tf_flow_out flow; /* room for results on the way to the master */
  int room_asked;   /* the master was told results wait for room */
  double avg_task;  /* moving average of execute's duration, seconds */
  double last_end;  /* when the last task ended, if the worker went straight on; else < 0 */
  int since_poll;   /* tasks run since the last look for messages */
  double last_poll; /* when that was (a task's end) */
  int stop, stop_status, gave_up, peer_lost;
  double heard;     /* when the master was last heard from (kept with heartbeats only) */
  double last_send; /* when this worker last sent anything (likewise) */
  /* The heartbeat thread: it sends "still here" while execute runs long.
   * Every MPI call on this rank happens under `lock`, which the main thread
   * lets go only inside execute and while it waits. */
  pthread_t hb;
  pthread_mutex_t lock;
  pthread_cond_t wake;
  int hb_on, hb_quit;
  double hb_every;
  uint64_t tasks, busy_ns, starved_ns, frames; /* the whole run */
  uint64_t f_tasks, f_busy, f_wait, f_waits;   /* since the last frame; wait: request to answer */
  uint64_t wait_ns, waits, wait_max, failed;    /* the whole run, for --stats */
  double epoch;                                 /* time 0 of its trace and counters */
  double stop_seen;                             /* when STOP arrived */
  tf_trace trace;                               /* --trace / --timeline: its tasks */
  uint64_t cur_task;                            /* the task execute runs (while running) */
  void (*leave)(int status, int peer_lost);     /* ends the process (tf_main), or NULL */
} worker;

/* Let the heartbeat thread at MPI while this thread does not use it. */
static inline void unlock_mpi(worker *k) {
  if (k->hb_on) pthread_mutex_unlock(&k->lock);
}
static inline void lock_mpi(worker *k) {
  if (k->hb_on) pthread_mutex_lock(&k->lock);
}

/* Tasks to ask for now: enough to hold `depth` again, once `chunk` are used. */
static uint32_t want(const worker *k) {
  if (k->gave_up || k->asked) return 0;
  int held = (int)k->queued + k->running;
  return held <= k->plan.depth - k->plan.chunk ? (uint32_t)(k->plan.depth - held) : 0;
}

/* The outgoing frame's length once flush has added the statistics entry. */
static size_t frame_len(const worker *k) {
  return k->out.len + (k->f_tasks || k->f_waits ? tf_wire_entry_bytes(TF_WIRE_STATS_SIZE) : 0);
}

/* Results wait for room and the outgoing frame is full: run nothing more
 * until the master hands room back, so what waits here stays bounded too. */
static int held_back(const worker *k) {
  return k->out_charged && k->out.len >= TF_WORKER_FRAME_BYTES &&
         !tf_flow_may_send(&k->flow, frame_len(k));
}

/* Tell the master (once) that results wait here for room. */
static int ask_room(worker *k) {
  if (k->room_asked) return 0;
  tf_wbuf *b = tf_comm_buffer(&k->c);
  if (!b || tf_wire_begin(b, TF_MSG_RESULTS, TF_WIRE_ASK_ROOM)) return TF_ENOMEM;
  tf_wire_finish(b);
  int rc = tf_comm_send(&k->c, b, 0);
  if (rc) {
    tf_log(k->c.rank, "asking for room: %s", k->c.errmsg);
    return rc;
  }
  k->room_asked = 1;
  if (k->hb_on) k->last_send = tf_now();
  return 0;
}

/* Send the outgoing frame, with a request when one is due. Returns 1 when it
 * went, 0 when there was nothing to send or its results wait for room, or a
 * negative error. */
static int flush(worker *k) {
  uint32_t ask = want(k);
  if (!k->out.count && !ask) return 0;
  if (k->out_charged && !tf_flow_may_send(&k->flow, frame_len(k))) return ask_room(k);
  if (k->f_tasks || k->f_waits) {
    uint64_t v[TF_WIRE_STATS_N] = {k->f_tasks, k->f_busy, k->f_wait, k->f_waits};
    if (tf_wire_add_stats(&k->out, v)) return TF_ENOMEM;
    k->f_tasks = k->f_busy = k->f_wait = k->f_waits = 0;
  }
  tf_wbuf *b = tf_comm_buffer(&k->c);
  if (!b) return TF_ENOMEM;
  tf_wire_set_aux(&k->out, ask);
  tf_wire_finish(&k->out);
  tf_wbuf t = *b; /* swap: the slot sends our frame, we keep its old buffer */
  *b = k->out;
  k->out = t;
  int rc = tf_comm_send(&k->c, b, 0);
  if (rc) {
    tf_log(k->c.rank, "sending results: %s", k->c.errmsg);
    return rc;
  }
  if (ask) {
    k->asked = ask;
    k->asked_at = tf_now();
    k->last_send = k->asked_at;
  } else if (k->hb_on) {
    k->last_send = tf_now();
  }
  k->frames++;
  k->out_urgent = 0;
  if (k->out_charged) tf_flow_sent(&k->flow, b->len);
  k->out_charged = 0;
  return tf_wire_begin(&k->out, TF_MSG_RESULTS, 0) ? TF_ENOMEM : 1;
}

/* Tell the master this worker cannot go on, then wait for STOP. */
static void give_up(worker *k, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void give_up(worker *k, const char *fmt, ...) {
  char text[TF_WIRE_MAX_MESSAGE];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  k->gave_up = 1;
  tf_wbuf *b = tf_comm_buffer(&k->c);
  if (!b || tf_wire_begin(b, TF_MSG_ERROR, 0) ||
      tf_wire_add(b, TF_ENT_TEXT, 0, 0, text, strlen(text))) {
    tf_log(k->c.rank, "%s", text);
    return;
  }
  tf_wire_finish(b);
  if (tf_comm_send(&k->c, b, 0)) tf_log(k->c.rank, "%s", text);
}

static int on_tasks(worker *k, unsigned char *buf, size_t len, const tf_frame *f) {
  tf_plan plan = {TF_WIRE_PLAN_DEPTH(f->aux), TF_WIRE_PLAN_CHUNK(f->aux), 0};
  if (f->count == 0 || f->count > k->asked) {
    give_up(k, "master sent %u tasks, %u were asked for", f->count, k->asked);
    tf_comm_buf_free(buf, len);
    return 0;
  }
  if (plan.chunk < 1 || plan.chunk > plan.depth || plan.depth > k->cfg->prefetch) {
    give_up(k, "master sent a plan of depth %d, chunk %d (--prefetch %d)", plan.depth, plan.chunk,
            k->cfg->prefetch);
    tf_comm_buf_free(buf, len);
    return 0;
  }
  if (k->in_n == k->in_cap) {
    size_t cap = k->in_cap ? 2 * k->in_cap : 8;
    inbox_frame *r = malloc(cap * sizeof *r);
    if (!r) return TF_ENOMEM;
    for (size_t i = 0; i < k->in_n; i++)
      r[i] = k->inbox[(k->in_head + i) % k->in_cap];
    free(k->inbox);
    k->inbox = r;
    k->in_cap = cap;
    k->in_head = 0;
  }
  k->inbox[(k->in_head + k->in_n) % k->in_cap] = (inbox_frame){buf, len, *f, 0};
  k->in_n++;
  k->queued += f->count;
  k->asked = 0;
  k->plan = plan;
  double now = tf_now();
  k->heard = now;
  uint64_t wait = (uint64_t)((now - k->asked_at) * 1e9);
  k->f_wait += wait;
  k->f_waits++;
  k->wait_ns += wait;
  k->waits++;
  if (wait > k->wait_max) k->wait_max = wait;
  if (k->starved >= 0) {
    k->starved_ns += (uint64_t)((now - k->starved) * 1e9);
    k->starved = -1;
  }
  return 0;
}

static int poll_incoming(worker *k) {
  int progressed = 0;
  for (;;) {
    tf_msg msg;
    int rc = tf_comm_poll(&k->c, 0, &msg);
    if (rc < 0) {
      tf_log(k->c.rank, "%s", k->c.errmsg);
      return rc;
    }
    if (!rc) return progressed;
    progressed = 1;
    tf_frame f;
    char why[200];
    if (tf_wire_decode(msg.buf, (size_t)msg.len, k->cfg->max_payload, &f, why, sizeof why)) {
      tf_comm_buf_free(msg.buf, (size_t)msg.len);
      give_up(k, "malformed message from rank 0: %s", why);
      continue;
    }
    if (f.kind == TF_MSG_TASKS) {
      if ((rc = on_tasks(k, msg.buf, (size_t)msg.len, &f))) return rc; /* on_tasks owns msg.buf now */
      continue;
    }
    if (k->hb_on) k->heard = tf_now();
    if (f.kind == TF_MSG_STOP) {
      k->stop_seen = tf_now();
      k->stop = 1;
      k->stop_status = TF_WIRE_STOP_STATUS(f.aux);
      k->peer_lost = (int)TF_WIRE_STOP_LOST(f.aux);
    } else if (f.kind == TF_MSG_HEARTBEAT) {
      /* the master is there */
    } else if (f.kind == TF_MSG_CREDIT) {
      size_t pos = 0;
      tf_entry e;
      tf_wire_next(&f, &pos, &e);
      if (tf_flow_credit(&k->flow, tf_wire_credit(&e)))
        give_up(k, "master handed back room for %llu bytes, only %llu were on the way",
                (unsigned long long)tf_wire_credit(&e), (unsigned long long)k->flow.unacked);
      k->room_asked = 0;
    } else {
      give_up(k, "unexpected %s message from rank 0", tf_wire_kind_name(f.kind));
    }
    tf_comm_buf_free(msg.buf, (size_t)msg.len);
  }
}

/* Run the oldest queued task and put its outcome into the outgoing frame. */
static int run_one(worker *k) {
  inbox_frame *fr = &k->inbox[k->in_head];
  tf_entry e;
  tf_wire_next(&fr->f, &fr->pos, &e);
  k->queued--;
  k->running = 1;
  /* Ask for more before running what may be the last task in hand, and do
   * not let results wait behind a task that may be long, nor behind one
   * that failed or was on a lost worker before (the master must be able to
   * tell whether it was that one which was running if this rank dies). */
  if (want(k) || (k->out.count &&
                  (e.attempt || k->avg_task >= TF_SLOW_TASK ||
                   k->last_end - k->out_since >= TF_FLUSH_INTERVAL ||
                   k->out.len >= TF_WORKER_FRAME_BYTES))) {
    int rc = flush(k);
    if (rc < 0) return rc;
  }
  size_t mark_len = k->out.len;
  uint32_t mark_count = k->out.count;
  int rc = tf_handle_begin_execute(&k->h, e.id);
  if (rc) return rc;
  tf_task t = {e.id, e.prio, e.attempt, e.size ? e.data : NULL, e.size};
  /* One clock read per task when tasks follow each other: this one starts
   * when the last one ended (the little between them counts as its own). */
  double t0 = k->last_end >= 0 ? k->last_end : tf_now();
  uint64_t frames = k->frames;
  unlock_mpi(k);
  k->cur_task = e.id;
  tf_crash_set_task(e.id);
  int xrc = k->app->execute(&k->h, &t, k->app->ctx);
  tf_crash_clear();
  lock_mpi(k);
  if (k->frames != frames) { /* the heartbeat thread sent the results meanwhile */
    mark_len = k->out.len;
    mark_count = k->out.count;
  }
  double t1 = tf_now();
  k->last_end = t1;
  k->since_poll++;
  k->h.phase = TF_IN_NONE;
  k->running = 0;
  uint64_t ns = (uint64_t)((t1 - t0) * 1e9);
  k->busy_ns += ns;
  k->f_busy += ns;
  k->avg_task += (t1 - t0 - k->avg_task) / 8;
  k->tasks++;
  k->f_tasks++;
  int ok = xrc == 0 && !k->h.error;
  if (k->trace.on) tf_trace_add(&k->trace, TF_EV_TASK, e.id, !ok, t0, t1);
  if (ok) {
    rc = tf_wire_append(&k->out, &k->h.spawns);
    if (!rc) rc = tf_wire_add(&k->out, TF_ENT_RESULT, e.id, 0, k->h.result, k->h.result_len);
    if (k->h.nchildren) k->out_urgent = 1;
    if (e.attempt) k->out_urgent = 1; /* see lose() in master.c */
    k->out_charged = 1;
  } else {
    char msg[TF_WIRE_MAX_MESSAGE];
    if (k->h.error)
      snprintf(msg, sizeof msg, "%s", k->h.errmsg);
    else
      snprintf(msg, sizeof msg, "execute returned %d%s", xrc, tf_rc_hint(xrc));
    k->failed++;
    k->out.len = mark_len; /* children of a failed task never existed */
    k->out.count = mark_count;
    rc = tf_wire_add(&k->out, TF_ENT_FAIL, e.id, xrc, msg, strlen(msg));
    if (e.attempt) k->out_urgent = 1;
    k->out_charged = 1;
  }
  if (rc) return rc;
  if (mark_count == 0) k->out_since = t1;
  if (fr->pos >= fr->f.body_len) {
    tf_comm_buf_free(fr->buf, fr->len);
    k->in_head = (k->in_head + 1) % k->in_cap;
    k->in_n--;
  }
  /* Children go at once: other workers may be idle for want of them. */
  return k->out_urgent && (rc = flush(k)) < 0 ? rc : 0;
}

/* BYE: the run's statistics, the counters --stats shows, and (--trace,
 * --timeline) every event recorded, in one frame: the master gets all of it
 * or, from a lost worker, nothing, and never waits for more. */
static void send_bye(worker *k) {
  tf_wbuf *b = tf_comm_buffer(&k->c);
  uint64_t v[TF_WIRE_STATS_N] = {k->tasks, k->busy_ns, k->starved_ns, k->frames};
  uint64_t o[TF_WIRE_OBS_N] = {0};
  int rc = !b || tf_wire_begin(b, TF_MSG_BYE, 0) || tf_wire_add_stats(b, v);
  if (!rc) {
    o[TF_OBS_MSGS_SENT] = k->c.msgs_sent + 1; /* this BYE */
    o[TF_OBS_MSGS_RECV] = k->c.msgs_recv;
    o[TF_OBS_BYTES_RECV] = k->c.bytes_recv;
    o[TF_OBS_STOP_SEEN] = (uint64_t)tf_trace_ns(&k->trace, k->stop_seen);
    o[TF_OBS_EVENTS] = k->trace.n;
    o[TF_OBS_DROPPED] = k->trace.dropped;
    o[TF_OBS_WAIT_NS] = k->wait_ns;
    o[TF_OBS_WAITS] = k->waits;
    o[TF_OBS_WAIT_MAX] = k->wait_max;
    o[TF_OBS_FAILED] = k->failed;
    size_t at = b->len;
    rc = tf_wire_add_obs(b, o);
    for (size_t i = 0; !rc && i < k->trace.n; i += TF_WIRE_EVENTS_PER_ENTRY) {
      size_t n = k->trace.n - i < TF_WIRE_EVENTS_PER_ENTRY ? k->trace.n - i : TF_WIRE_EVENTS_PER_ENTRY;
      rc = tf_wire_add_events(b, k->trace.ev + i, n);
    }
    if (!rc) { /* the last word: the bytes sent (with this frame's) and the clock */
      size_t len = b->len;
      b->len = at;
      b->count--;
      o[TF_OBS_BYTES_SENT] = k->c.bytes_sent + len;
      o[TF_OBS_BYE_SENT] = (uint64_t)tf_trace_ns(&k->trace, tf_now());
      tf_wire_add_obs(b, o); /* same size: rewrites the entry in place */
      b->len = len;
    }
  }
  if (rc) {
    tf_log(k->c.rank, "out of memory saying goodbye");
    return;
  }
  tf_wire_finish(b);
  if (tf_comm_send(&k->c, b, 0)) tf_log(k->c.rank, "saying goodbye: %s", k->c.errmsg);
}

int tf_heartbeats_wanted(const tf_config *cfg) {
  const char *recovery = getenv("OMPI_MCA_orte_enable_recovery"); /* set by --enable-recovery */
  return cfg->worker_timeout > 0 || cfg->task_timeout > 0 ||
         (recovery && (!strcmp(recovery, "1") || !strcmp(recovery, "true")));
}

int tf_heartbeats_on(const tf_config *cfg) {
  int level = MPI_THREAD_SINGLE;
  MPI_Query_thread(&level);
  return level >= MPI_THREAD_SERIALIZED && tf_heartbeats_wanted(cfg);
}

double tf_worker_timeout(const tf_config *cfg) {
  return cfg->worker_timeout > 0 ? cfg->worker_timeout : TF_DEFAULT_WORKER_TIMEOUT;
}

double tf_heartbeat_interval(const tf_config *cfg) {
  double t = tf_worker_timeout(cfg) / 5;
  return t < 0.01 ? 0.01 : t > 5.0 ? 5.0 : t;
}

/* Told to leave while execute runs on (it hangs, or nobody needs its result
 * any more): say goodbye from this thread, then end the process if the
 * library owns it. Runs with the MPI lock held; the main thread is inside
 * execute. Returns 1 when told to leave. */
static int leave_if_told(worker *k) {
  int flag = 0;
  MPI_Status st;
  if (MPI_Iprobe(0, TF_WIRE_TAG_LEAVE, k->c.comm, &flag, &st) != MPI_SUCCESS || !flag) return 0;
  unsigned char buf[TF_WIRE_HEADER_SIZE];
  int n = 0;
  MPI_Get_count(&st, MPI_BYTE, &n);
  if (n != (int)sizeof buf ||
      MPI_Recv(buf, n, MPI_BYTE, 0, TF_WIRE_TAG_LEAVE, k->c.comm, MPI_STATUS_IGNORE) != MPI_SUCCESS)
    return 0;
  tf_frame f;
  if (tf_wire_decode(buf, sizeof buf, k->cfg->max_payload, &f, NULL, 0) || f.kind != TF_MSG_STOP)
    return 0;
  if (!k->running) return 0; /* the task ended meanwhile: the main thread takes the STOP */
  tf_log(k->c.rank,
         "told to stop while task %llu still runs (it hangs, or its result is no longer needed): "
         "leaving without worker_fini",
         (unsigned long long)k->cur_task);
  k->stop_seen = tf_now();
  send_bye(k);
  if (tf_comm_drain_sends(&k->c, 5.0)) tf_log(k->c.rank, "%s", k->c.errmsg);
  fflush(NULL);
  if (k->leave) k->leave(0, (int)TF_WIRE_STOP_LOST(f.aux)); /* does not return */
  return 1; /* inside tf_run: the program's own thread stays in execute */
}

static void *heartbeat_thread(void *arg) {
  worker *k = arg;
  pthread_mutex_lock(&k->lock);
  while (!k->hb_quit) {
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    double next = (double)until.tv_sec + 1e-9 * (double)until.tv_nsec +
                  (k->hb_every / 2 < TF_HB_WAKE ? k->hb_every / 2 : TF_HB_WAKE);
    until.tv_sec = (time_t)next;
    until.tv_nsec = (long)((next - (double)until.tv_sec) * 1e9);
    pthread_cond_timedwait(&k->wake, &k->lock, &until);
    if (k->hb_quit) break;
    if (k->running && leave_if_told(k)) break;
    double now = tf_now();
    int sent = 0;
    if (k->running && k->out.count && now - k->out_since >= TF_FLUSH_INTERVAL) {
      /* Results that finished before a long task go out while it runs, so
       * the master knows which task is the long one (--task-timeout). */
      sent = flush(k) > 0; /* a failure here shows in the main loop */
    }
    if (!sent && now - k->last_send >= k->hb_every) {
      tf_wbuf *b = tf_comm_buffer(&k->c);
      if (b && !tf_wire_begin(b, TF_MSG_HEARTBEAT, 0)) {
        tf_wire_finish(b);
        tf_comm_send(&k->c, b, 0); /* a failure here shows in the main loop */
        k->last_send = now;
      }
    }
    tf_comm_progress_sends(&k->c);
  }
  pthread_mutex_unlock(&k->lock);
  return NULL;
}

static void heartbeat_start(worker *k) {
  if (!tf_heartbeats_on(k->cfg)) return;
  k->hb_every = tf_heartbeat_interval(k->cfg);
  if (pthread_mutex_init(&k->lock, NULL)) return;
  if (pthread_cond_init(&k->wake, NULL)) {
    pthread_mutex_destroy(&k->lock);
    return;
  }
  pthread_mutex_lock(&k->lock);
  if (pthread_create(&k->hb, NULL, heartbeat_thread, k)) {
    pthread_mutex_unlock(&k->lock);
    pthread_cond_destroy(&k->wake);
    pthread_mutex_destroy(&k->lock);
    tf_log(k->c.rank, "cannot start the heartbeat thread: the master may take a long task for a lost worker");
    return;
  }
  k->hb_on = 1;
}

static void heartbeat_stop(worker *k) {
  if (!k->hb_on) return;
  k->hb_quit = 1;
  pthread_cond_signal(&k->wake);
  pthread_mutex_unlock(&k->lock);
  pthread_join(k->hb, NULL);
  pthread_cond_destroy(&k->wake);
  pthread_mutex_destroy(&k->lock);
  k->hb_on = 0;
}

int tf_worker_run(MPI_Comm comm, const tf_app *app, const tf_config *cfg, tf_run_stats *stats) {
  worker k;
  memset(&k, 0, sizeof k);
  tf_comm_init(&k.c, comm);
  k.app = app;
  k.cfg = cfg;
  tf_handle_init(&k.h, app, cfg, k.c.rank, k.c.size - 1, k.c.rank - 1);
  /* The first request follows the plan the master starts from; it sends
   * its own plan with every answer. */
  tf_policy start;
  tf_policy_init(&start, (tf_schedule)cfg->schedule, k.c.size - 1, cfg->chunk, cfg->prefetch);
  k.plan = tf_policy_plan(&start, TF_LEFT_UNKNOWN);
  tf_flow_out_init(&k.flow, tf_flow_share(cfg->max_in_flight, k.c.size - 1));
  k.starved = -1;
  k.last_end = -1;
  k.heard = tf_now();
  k.epoch = k.trace.epoch = k.heard;
  if ((cfg->trace_file || cfg->timeline_file) &&
      tf_trace_init(&k.trace, (size_t)cfg->trace_events, k.epoch))
    tf_log(k.c.rank, "no room for %llu trace events (--trace-events): this rank records none",
           (unsigned long long)cfg->trace_events);
  k.trace.epoch = k.epoch;
  k.leave = stats->leave;
  k.last_send = k.heard;
  heartbeat_start(&k);
  int rc = 0, init_ok = 0;
  if (tf_wire_begin(&k.out, TF_MSG_RESULTS, 0))
    give_up(&k, "out of memory");
  else {
    unlock_mpi(&k);
    int irc = tf_call_hook(&k.h, app->worker_init, "worker_init");
    lock_mpi(&k);
    if (irc)
      give_up(&k, "worker_init failed");
    else
      init_ok = 1;
  }

  /* Whatever goes wrong here, the worker tells the master and waits for
   * STOP, so that the run ends cleanly; only a broken transport ends it. */
  tf_idle idle;
  tf_idle_init(&idle, cfg->idle);
  while (!k.stop) {
    /* Between tiny tasks, look for messages only now and then: the plan
     * keeps enough in hand that an answer can wait a few tasks. */
    int progressed = 0;
    if (!k.queued || k.gave_up || k.since_poll >= TF_POLL_EVERY || k.last_end < 0 ||
        k.last_end - k.last_poll >= TF_POLL_INTERVAL) {
      progressed = poll_incoming(&k);
      k.since_poll = 0;
      k.last_poll = k.last_end;
    }
    if (progressed < 0) {
      rc = progressed;
      break;
    }
    if (k.stop) break;
    int r = 0;
    if (k.in_n && !k.gave_up && !held_back(&k)) {
      r = run_one(&k);
      progressed = 1;
    } else if (!k.gave_up && (want(&k) || (k.out.count && (!k.asked || tf_now() - k.out_since >=
                                                                           TF_RESULT_HOLD)))) {
      r = flush(&k);
      progressed = r > 0;
    }
    if (r == TF_EMPI) {
      rc = r;
      break;
    }
    if (r < 0) give_up(&k, "cannot go on: %s", tf_strerror(r));
    if (tf_comm_progress_sends(&k.c) < 0) {
      tf_log(k.c.rank, "%s", k.c.errmsg);
      rc = TF_EMPI;
      break;
    }
    if (progressed) {
      tf_idle_reset(&idle);
    } else {
      k.last_end = -1; /* a wait is nobody's task time */
      double now = tf_now();
      if (!k.in_n && k.starved < 0) k.starved = now;
      /* The master may be busy in a long generate, collect or finish, so
       * it gets ten times the workers' allowance. */
      if (k.hb_on && now - k.heard > 10 * tf_worker_timeout(cfg)) {
        tf_log(k.c.rank, "no word from the master for %.1f s (10 x --worker-timeout): it is lost; stopping",
               now - k.heard);
        rc = TF_EMPI;
        k.peer_lost = 1;
        break;
      }
      unlock_mpi(&k);
      tf_idle_wait(&idle);
      lock_mpi(&k);
    }
  }
  if (k.stop) {
    send_bye(&k);
    if (tf_comm_drain_sends(&k.c, 30.0)) tf_log(k.c.rank, "%s", k.c.errmsg);
  }
  heartbeat_stop(&k);
  stats->peer_lost = k.peer_lost;
  stats->stuck = rc == TF_EMPI;
  /* After BYE, so a slow worker_fini never holds up the master's shutdown;
   * its failure is this rank's to report. */
  int fini_failed = init_ok && tf_call_hook(&k.h, app->worker_fini, "worker_fini") != 0;
  for (size_t i = 0; i < k.in_n; i++)
    tf_comm_buf_free(k.inbox[(k.in_head + i) % k.in_cap].buf, k.inbox[(k.in_head + i) % k.in_cap].len);
  free(k.inbox);
  tf_wbuf_free(&k.out);
  tf_trace_free(&k.trace);
  tf_handle_free(&k.h);
  tf_comm_destroy(&k.c);
  if (rc) return rc;
  if (fini_failed) return TF_EAPP;
  stats->from_master = 1; /* what STOP said */
  return k.stop_status;
}
