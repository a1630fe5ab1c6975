/* up.c - the upstream engine (up.h): a rank's link to its parent. Children a
 * task submits travel in the same frame as its result, so they are never
 * seen without it. */
#include "up.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "beat.h"
#include "clock.h"
#include "idle.h"
#include "log.h"
#include "vec.h"

/* An outcome waits at most TF_FLUSH_INTERVAL (up.h) for others to share its
 * frame, and not at all when tasks take this long on average (seconds). */
#define TF_SLOW_TASK TF_FLUSH_INTERVAL
/* Tasks shorter than this on average are timed in groups of TF_CLOCK_GROUP,
 * one clock read per group: a read costs as much as a whole empty task. */
#define TF_CLOCK_GROUP_BELOW 5e-6
#define TF_CLOCK_GROUP 16
/* With nothing to run and a request open, results wait this long for the
 * answer, so that they ride with the next request instead of a frame of
 * their own. */
#define TF_RESULT_HOLD 100e-6

/* Tasks to ask for now: enough to hold `depth` again, once `chunk` are used,
 * counting those asked for as held. A worker asks again while its request is
 * on its way when nothing is queued (two open at most; each is answered by
 * one frame: down.c), so that when tasks are shorter than a round trip the
 * next one is already coming. A relay keeps one request open (up_relay.c). */
static uint32_t want(const tf_up *u) {
  if (u->gave_up) return 0;
  int held = (int)u->in.queued + u->running;
  if (u->relay) return u->asked ? 0 : tf__up_relay_want(u, held);
  if (u->asked && (u->asked > u->asked_first || u->in.queued)) return 0;
  held += (int)u->asked;
  return held <= u->plan.depth - u->plan.chunk ? (uint32_t)(u->plan.depth - held) : 0;
}

static int send(tf_up *u, tf_wbuf *b, int tag, const char *what) {
  int rc = u->port.send(u->port.ctx, b, 0, tag);
  if (rc) tf__log(u->rank, "%s: %s", what, u->port.error(u->port.ctx));
  return rc;
}

/* Tell the parent, once (*told), a flag of RESULTS' aux on a frame of no
 * entries: results wait here for room, or a worker below was lost. */
static int tell_once(tf_up *u, int *told, uint32_t flag, const char *what) {
  if (*told) return 0;
  int rc = tf__port_send_empty(&u->port, 0, TF_MSG_RESULTS, flag, TF_WIRE_TAG);
  if (rc) {
    if (rc != TF_ENOMEM) tf__log(u->rank, "%s: %s", what, u->port.error(u->port.ctx));
    return rc;
  }
  *told = 1;
  if (u->beats) u->last_send = tf__now();
  return 0;
}

static int ask_room(tf_up *u) {
  return tell_once(u, &u->room_asked, TF_WIRE_ASK_ROOM, "asking for room");
}

int tf__up_tell_lost(tf_up *u) {
  return tell_once(u, &u->lost_told, TF_WIRE_ASK_LOST, "telling of a lost worker");
}

/* Send the outgoing frame, with a request when one is due. Returns 1 when it
 * went, 0 when there was nothing to send or its results wait for room, or a
 * negative error. */
static int flush_at(tf_up *u, double now) {
  uint32_t ask = want(u);
  if (!u->out.count && !ask) return 0;
  if (u->out_charged && !tf__flow_may_send(&u->flow, tf__up_frame_len(u))) return ask_room(u);
  if (u->f_tasks || u->f_waits) {
    uint64_t v[TF_WIRE_STATS_N] = {u->f_tasks, u->f_busy, u->f_wait, u->f_waits};
    if (tf__wire_add_stats(&u->out, v)) return TF_ENOMEM;
    u->f_tasks = u->f_busy = u->f_wait = u->f_waits = 0;
  }
  tf_wbuf *b = u->port.buffer(u->port.ctx);
  if (!b) return TF_ENOMEM;
  tf__wire_set_aux(&u->out, ask);
  tf__wire_finish(&u->out);
  tf_wbuf t = *b; /* swap: the port sends our frame, we keep its old buffer */
  *b = u->out;
  u->out = t;
  int rc = send(u, b, TF_WIRE_TAG, "sending results");
  if (rc) return rc;
  if (ask) {
    double t = now >= 0 ? now : tf__now();
    if (!u->asked) {
      u->asked_first = ask;
      u->asked_at = t;
      u->ran_since_ask = 0;
    }
    u->asked_last = t;
    u->ran_since_last = 0;
    u->asked += ask;
    u->last_send = t;
  } else if (u->beats) {
    u->last_send = tf__now();
  }
  u->frames++;
  u->out_urgent = 0;
  if (u->out_charged) tf__flow_sent(&u->flow, b->len);
  u->out_charged = 0;
  return tf__wire_begin(&u->out, TF_MSG_RESULTS, 0) ? TF_ENOMEM : 1;
}

static int flush(tf_up *u) { return flush_at(u, -1); }

void tf__up_give_up(tf_up *u, const char *fmt, ...) {
  char text[TF_WIRE_MAX_MESSAGE];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  u->gave_up = 1;
  tf_wbuf *b = u->port.buffer(u->port.ctx);
  if (!b || tf__wire_begin(b, TF_MSG_ERROR, 0) ||
      tf__wire_add(b, TF_ENT_TEXT, 0, 0, text, strlen(text))) {
    tf__log(u->rank, "%s", text);
    return;
  }
  tf__wire_finish(b);
  if (u->port.send(u->port.ctx, b, 0, TF_WIRE_TAG)) tf__log(u->rank, "%s", text);
}

/* ---- what the parent sends --------------------------------------------------------- */

/* When the tasks timed from t0 began to run after a request sent at `asked`. */
static double run_start_since(const tf_up *u, double asked) {
  return u->t0 > asked ? u->t0 : asked;
}

/* The time those tasks ran until t1 after that request, when it was long
 * (the answer may have waited behind it); else 0. */
static double long_run(const tf_up *u, double t1, double asked) {
  double ran = t1 - run_start_since(u, asked);
  return ran >= TF_SLOW_TASK ? ran : 0;
}

/* The time the n tasks since t0 took, into the counters (and, when they
 * were long, into the time the open requests' answers may have waited). */
static void account(tf_up *u, double t1, uint64_t n) {
  if (u->asked) u->ran_since_ask += long_run(u, t1, u->asked_at);
  if (u->asked > u->asked_first) /* a second request is open */
    u->ran_since_last += long_run(u, t1, u->asked_last);
  u->last_end = t1;
  u->unclocked = 0;
  uint64_t ns = (uint64_t)((t1 - u->t0) * 1e9);
  u->busy_ns += ns;
  u->f_busy += ns;
  u->avg_task += ((t1 - u->t0) / (double)n - u->avg_task) / 8;
  u->tasks += n;
  u->f_tasks += n;
}

/* Tasks ended but not yet clocked are counted at `now`: before a wait,
 * which is nobody's task time, and before the totals are sent. */
static void settle(tf_up *u, double now) {
  if (u->unclocked) account(u, now, (uint64_t)u->unclocked);
}

/* The answer to the open request came: how long it took. An answer that
 * came while a long task ran is seen only after it, so the time in long
 * tasks is not counted (else a worker of long tasks would take each task
 * for a round trip, and the plan would have it hold several: the end of a
 * run of uneven tasks would wait for one worker's hoard). Short tasks count:
 * for them the round trip is what the plan must cover, and the answer is
 * seen within one. */
static void answered(tf_up *u, double now) {
  double waited = now - u->asked_at - u->ran_since_ask;
  if (u->running) /* read inside a task (tf_partial): its time so far is not the answer's */
    waited -= now - run_start_since(u, u->asked_at);
  uint64_t wait = waited > 0 ? (uint64_t)(waited * 1e9) : 0;
  u->f_wait += wait;
  u->f_waits++;
  u->wait_ns += wait;
  u->waits++;
  if (wait > u->wait_max) u->wait_max = wait;
  if (u->starved >= 0) {
    u->starved_ns += (uint64_t)((now - u->starved) * 1e9);
    u->starved = -1;
  }
}

/* Keep a TASKS frame in the inbox ring (it takes buf). 0, or 1 when it was
 * refused (given up: buf released), or < 0. */
static int on_tasks(tf_up *u, unsigned char *buf, size_t len, const tf_frame *f) {
  tf_plan plan = {TF_WIRE_PLAN_DEPTH(f->aux), TF_WIRE_PLAN_CHUNK(f->aux), 0};
  if (f->count == 0 || f->count > u->asked_first) {
    tf__up_give_up(u, "rank %d sent %u tasks, %u were asked for", u->parent, f->count,
                   u->asked_first);
    return 1;
  }
  if (plan.chunk < 1 || plan.chunk > plan.depth || plan.depth > u->cfg->prefetch) {
    tf__up_give_up(u, "rank %d sent a plan of depth %d, chunk %d (--prefetch %d)", u->parent,
                   plan.depth, plan.chunk, u->cfg->prefetch);
    return 1;
  }
  if (tf__inbox_push(&u->in, buf, len, f)) return TF_ENOMEM;
  u->heard = tf__now();
  u->tasks_came = u->running ? -1 : u->heard; /* (a task's tf_partial may wait for room) */
  /* Tasks that ran since the request and are not yet timed: when they took
   * long, time them before the wait is (short ones stay grouped; a task that
   * still runs, waiting in tf_partial, is not timed yet). */
  if (!u->running && u->unclocked && u->heard - u->t0 >= TF_SLOW_TASK) settle(u, u->heard);
  answered(u, u->heard);
  u->asked -= u->asked_first; /* answered, even if with fewer */
  u->asked_first = u->asked;   /* the second request, if one went, is the open one now */
  if (u->asked) {
    u->asked_at = u->asked_last;
    u->ran_since_ask = u->ran_since_last;
  }
  u->plan = plan;
  return 0;
}

/* A frame that is not TASKS: STOP, a heartbeat, room handed back. */
static void on_control(tf_up *u, const tf_frame *f) {
  if (u->beats) u->heard = tf__now();
  if (f->kind == TF_MSG_STOP) {
    u->stop_seen = tf__now();
    u->stop = 1;
    u->stop_status = TF_WIRE_STOP_STATUS(f->aux);
    u->peer_lost = (int)TF_WIRE_STOP_LOST(f->aux);
  } else if (f->kind == TF_MSG_HEARTBEAT) {
    /* the parent is there */
  } else if (f->kind == TF_MSG_CREDIT) {
    size_t pos = 0;
    tf_entry e = {0};
    tf__wire_next(f, &pos, &e);
    if (tf__flow_credit(&u->flow, tf__wire_credit(&e)))
      tf__up_give_up(u, "rank %d handed back room for %llu bytes, only %llu were on the way",
                     u->parent, (unsigned long long)tf__wire_credit(&e),
                     (unsigned long long)u->flow.unacked);
    u->room_asked = 0;
  } else {
    tf__up_give_up(u, "unexpected %s message from rank %d", tf__wire_kind_name(f->kind), u->parent);
  }
}

int tf__up_poll(tf_up *u) {
  int progressed = 0;
  u->since_poll = 0;
  u->last_poll = u->last_end;
  u->tasks_came = -1;
  for (;;) {
    unsigned char *buf;
    size_t len;
    int i;
    int rc = u->port.poll(u->port.ctx, &buf, &len, &i);
    if (rc < 0) {
      tf__log(u->rank, "%s", u->port.error(u->port.ctx));
      return rc;
    }
    if (!rc) return progressed;
    progressed = 1;
    tf_frame f;
    char why[200];
    if (tf__wire_decode(buf, len, u->cfg->max_payload, &f, why, sizeof why)) {
      u->port.release(u->port.ctx, buf, len);
      tf__up_give_up(u, "malformed message from rank %d: %s", u->parent, why);
      continue;
    }
    if (f.kind == TF_MSG_TASKS) {
      if ((rc = on_tasks(u, buf, len, &f)) < 0) return rc; /* on_tasks keeps buf */
      if (rc) u->port.release(u->port.ctx, buf, len);
      continue;
    }
    on_control(u, &f);
    u->port.release(u->port.ctx, buf, len);
  }
}

/* ---- running tasks ----------------------------------------------------------------- */

int tf__up_begin(tf_up *u, tf_entry *e) {
  int out_of_turn = tf__inbox_take(&u->in, e);
  u->out_of_turn += (uint64_t)out_of_turn;
  u->running = 1;
  u->cur_task = e->id;
  /* The parent takes the oldest task it sent as the one running: say so
   * when it is another, before anything the task may spawn. The news goes
   * as results do (below), so a task that may be long is known to be the
   * one running (--task-timeout) and one that failed or was lost before is
   * known to run. */
  if (out_of_turn) {
    if (!u->out.count) u->out_since = u->last_end >= 0 ? u->last_end : tf__now();
    if (tf__wire_add(&u->out, TF_ENT_START, e->id, 0, NULL, 0)) return TF_ENOMEM;
  }
  /* Ask for more before running what may be the last task in hand, and do
   * not let results wait behind a task that may be long, nor behind one
   * that failed or was on a lost worker before (the master must be able to
   * tell whether it was that one which was running if this rank dies). */
  if (want(u) || (u->out.count && (e->attempt || u->avg_task >= TF_SLOW_TASK ||
                                   u->last_end - u->out_since >= TF_FLUSH_INTERVAL ||
                                   u->out.len >= TF_UP_FRAME_BYTES))) {
    int rc = flush_at(u, u->tasks_came);
    if (rc < 0) return rc;
  }
  u->mark_len = u->out.len;
  u->mark_count = u->out.count;
  u->mark_frames = u->frames;
  /* One clock read per task (or group) when tasks follow each other: this
   * one starts when the last one ended (the little between them counts as
   * its own); after a wait, when the tasks came, if they came in this turn
   * (one read for both, as for the request above: at one task a message,
   * each read is a few percent of the round trip). */
  if (u->last_end < 0) u->last_end = u->tasks_came >= 0 ? u->tasks_came : tf__now();
  if (!u->unclocked) u->t0 = u->last_end;
  u->tasks_came = -1; /* the task runs: time passes */
  return 0;
}

/* Whether the task that just ended needs its own clock read. */
static int clock_due(const tf_up *u, int ok) {
  return !ok || u->trace.on || u->avg_task >= TF_CLOCK_GROUP_BELOW ||
         u->unclocked + 1 >= TF_CLOCK_GROUP;
}

int tf__up_end(tf_up *u, const tf_entry *e, int ok, const tf_wbuf *spawns, uint32_t nchildren,
               const void *result, size_t len, int status, const char *text) {
  if (u->frames != u->mark_frames) { /* the heartbeat thread sent the results meanwhile */
    u->mark_len = u->out.len;
    u->mark_count = u->out.count;
  }
  u->since_poll++;
  u->running = 0;
  double t1 = u->last_end;
  if (clock_due(u, ok))
    account(u, t1 = tf__now(), (uint64_t)u->unclocked + 1);
  else
    u->unclocked++;
  if (u->trace.on) tf__trace_add(&u->trace, TF_EV_TASK, e->id, !ok, u->t0, t1);
  int rc;
  if (ok) {
    rc = tf__wire_append(&u->out, spawns);
    if (!rc) rc = tf__wire_add(&u->out, TF_ENT_RESULT, e->id, 0, result, len);
    if (nchildren) u->out_urgent = 1;
  } else {
    u->failed++;
    u->out.len = u->mark_len; /* children of a failed task never existed */
    u->out.count = u->mark_count;
    rc = len ? tf__wire_add(&u->out, TF_ENT_FAILOUT, e->id, 0, result, len) : 0;
    if (!rc) rc = tf__wire_add(&u->out, TF_ENT_FAIL, e->id, status, text, strlen(text));
  }
  if (e->attempt) u->out_urgent = 1; /* see lose() in down.c */
  u->out_charged = 1;
  if (rc) return rc;
  if (u->mark_count == 0) u->out_since = t1;
  tf__inbox_drop_spent(&u->in, u->port.release, u->port.ctx);
  /* Children go at once: other workers may be idle for want of them. */
  return u->out_urgent && (rc = flush(u)) < 0 ? rc : 0;
}

/* The parent has been silent too long: it is lost (heartbeats only). */
static int parent_lost(tf_up *u, double now) {
  if (!u->beats) return 0;
  /* The parent may be busy in a long generate, collect or finish, so it
   * gets ten times the workers' allowance. */
  if (now - u->heard <= 10 * tf__worker_timeout(u->cfg)) return 0;
  tf__log(u->rank,
          "no word from the master for %.1f s (10 x --worker-timeout): it is lost; stopping",
          now - u->heard);
  u->peer_lost = 1;
  return 1;
}

/* A full frame of results and pieces waits for room: take what the parent
 * sent (the room handed back), then send. Returns 1 when the frame went, 0,
 * or < 0. */
static int wait_for_room(tf_up *u, tf_idle *idle) {
  int rc = tf__up_poll(u);
  if (rc < 0) return rc;
  if (rc > 0) {
    tf__idle_reset(idle);
    return flush(u);
  }
  if (parent_lost(u, tf__now())) return TF_EMPI;
  tf__up_unlock(u); /* the heartbeat thread may speak meanwhile */
  tf__idle_wait(idle);
  tf__up_lock(u);
  return 0;
}

int tf__up_partial(tf_up *u, const void *data, size_t size) {
  if (!u->running) return TF_ESTATE;
  if (u->stop || u->gave_up) return 0; /* the parent wants nothing more */
  if (!u->out.count) u->out_since = tf__now();
  if (tf__wire_add(&u->out, TF_ENT_PARTIAL, u->cur_task, 0, data, size)) return TF_ENOMEM;
  u->out_charged = 1;
  int rc = flush(u);
  tf_idle idle;
  tf__idle_init(&idle, u->cfg->idle);
  while (rc >= 0 && tf__up_held_back(u) && !u->stop && !u->gave_up)
    rc = wait_for_room(u, &idle);
  /* What went or waits now stays, whatever becomes of the task (tf__up_end). */
  u->mark_len = u->out.len;
  u->mark_count = u->out.count;
  u->mark_frames = u->frames;
  return rc < 0 ? rc : 0;
}

int tf__up_flush_idle(tf_up *u) {
  if (u->gave_up) return 0;
  if (want(u) || (u->out.count && !u->asked)) return flush(u);
  /* Results wait for the answer to ride with the next request, for at
   * most TF_RESULT_HOLD: the clock is read every 16th empty turn only, so
   * that waiting for the answer stays a tight loop (the answer to a request
   * comes within a round trip). */
  if (u->out.count && (++u->idle_turns & 15) == 0 && tf__now() - u->out_since >= TF_RESULT_HOLD)
    return flush(u);
  return 0;
}

int tf__up_quiet(tf_up *u) {
  /* One clock read when a wait begins (the last task's end, the start of
   * starving), then one every 16th empty turn only: the answer that ends
   * the wait comes within a round trip, and every read delays noticing it. */
  int begins = u->last_end >= 0 || (!u->in.queued && u->starved < 0);
  if (!begins && (++u->quiet_turns & 15) != 0) return 0;
  double now = tf__now();
  settle(u, now);
  u->last_end = -1; /* a wait is nobody's task time */
  if (!u->in.queued && u->starved < 0) u->starved = now;
  return parent_lost(u, now) ? TF_EMPI : 0;
}

/* ---- a relay's side (the rest in up_relay.c) -------------------------------------- */

int tf__up_flush(tf_up *u) { return u->gave_up ? 0 : flush(u); }

uint32_t tf__up_want(const tf_up *u) { return want(u); }

/* ---- the end ----------------------------------------------------------------------- */

/* The BYE frame in b: the run's statistics, the counters --stats shows, and
 * (--trace, --timeline) every event recorded. Returns 0 or TF_ENOMEM. */
static int build_bye(tf_up *u, tf_wbuf *b, const tf_wbuf *extra) {
  settle(u, tf__now());
  uint64_t v[TF_WIRE_STATS_N] = {u->tasks, u->busy_ns, u->starved_ns, u->frames};
  uint64_t o[TF_WIRE_OBS_N] = {0}, ms, bs, mr, br;
  if (tf__wire_begin(b, TF_MSG_BYE, 0) || tf__wire_add_stats(b, v)) return TF_ENOMEM;
  u->port.counts(u->port.ctx, &ms, &bs, &mr, &br);
  o[TF_OBS_MSGS_SENT] = ms + 1; /* this BYE */
  o[TF_OBS_MSGS_RECV] = mr;
  o[TF_OBS_BYTES_RECV] = br;
  o[TF_OBS_STOP_SEEN] = (uint64_t)tf__trace_ns(&u->trace, u->stop_seen);
  o[TF_OBS_EVENTS] = u->trace.n;
  o[TF_OBS_DROPPED] = u->trace.dropped;
  o[TF_OBS_WAIT_NS] = u->wait_ns;
  o[TF_OBS_WAITS] = u->waits;
  o[TF_OBS_WAIT_MAX] = u->wait_max;
  o[TF_OBS_FAILED] = u->failed;
  o[TF_OBS_OUT_OF_TURN] = u->out_of_turn;
  size_t at = b->len;
  int rc = tf__wire_add_obs(b, o);
  if (!rc) rc = tf__wire_add_all_events(b, u->trace.ev, u->trace.n);
  if (!rc && extra) rc = tf__wire_append(b, extra);
  if (rc) return rc;
  /* the last word: the bytes sent (with this frame's) and the clock */
  size_t len = b->len;
  b->len = at;
  b->count--;
  o[TF_OBS_BYTES_SENT] = bs + len;
  o[TF_OBS_BYE_SENT] = (uint64_t)tf__trace_ns(&u->trace, tf__now());
  tf__wire_add_obs(b, o); /* same size: rewrites the entry in place */
  b->len = len;
  return 0;
}

/* One frame, so that the parent gets all of it or, from a lost rank,
 * nothing, and never waits for more. */
void tf__up_bye(tf_up *u) { tf__up_bye_with(u, NULL); }

void tf__up_bye_with(tf_up *u, const tf_wbuf *extra) {
  tf_wbuf *b = u->port.buffer(u->port.ctx);
  if (!b || build_bye(u, b, extra)) {
    tf__log(u->rank, "out of memory saying goodbye");
    return;
  }
  tf__wire_finish(b);
  if (send(u, b, TF_WIRE_TAG, "saying goodbye")) return;
  if (u->port.drain(u->port.ctx, 30.0)) tf__log(u->rank, "%s", u->port.error(u->port.ctx));
}

/* ---- setting up -------------------------------------------------------------------- */

int tf__up_init(tf_up *u, const tf_layout *layout, const tf_config *cfg, tf_port port,
                void (*leave)(int, int)) {
  memset(u, 0, sizeof *u);
  u->port = port;
  u->cfg = cfg;
  u->rank = layout->rank;
  u->parent = layout->parent;
  u->leave = leave;
  /* The first request follows the plan the parent starts from; it sends
   * its own plan with every answer. */
  tf_policy start;
  tf__policy_init(&start, (tf_schedule)cfg->schedule, layout->parent_width, cfg->chunk,
                  cfg->prefetch);
  u->plan = tf__policy_plan(&start, TF_LEFT_UNKNOWN);
  u->width = layout->width;
  u->relay = layout->role == TF_ROLE_RELAY;
  tf__flow_out_init(&u->flow,
                    tf__flow_share(cfg->max_in_flight, layout->nworkers) * (uint64_t)layout->width);
  u->starved = -1;
  u->last_end = -1;
  u->tasks_came = -1;
  u->heard = u->last_send = u->trace.epoch = tf__now();
  if ((cfg->trace_file || cfg->timeline_file) &&
      tf__trace_init(&u->trace, (size_t)cfg->trace_events, u->heard))
    tf__log(u->rank, "no room for %llu trace events (--trace-events): this rank records none",
            (unsigned long long)cfg->trace_events);
  u->trace.epoch = u->heard;
  return tf__wire_begin(&u->out, TF_MSG_RESULTS, 0) ? TF_ENOMEM : 0;
}

void tf__up_destroy(tf_up *u) {
  tf__inbox_destroy(&u->in, u->port.release, u->port.ctx);
  tf__wbuf_free(&u->out);
  tf__trace_free(&u->trace);
}
