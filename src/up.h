/* up.h - the upstream engine: a rank's link to its parent. It keeps the tasks
 * the parent's plan says in hand, asking for more before they run out
 * (counting what it asked for as held: a worker may ask again before the
 * answer comes, a relay keeps one request open); hands them out one by one
 * in arrival order, but a task of higher priority before those that came
 * before it (telling the parent which one it starts then: TF_ENT_START);
 * gathers outcomes (results, failures, spawned tasks, pieces of the output of
 * the task running) into frames that carry the next request and the timings
 * the plan is computed from, held back when
 * the parent has given no room (flow.h); answers heartbeats from a thread of
 * its own while a task runs long; and says goodbye. It calls no app callback
 * and no MPI function: its frames go through a port (peer 0 is the parent).
 * The executor (worker.c) runs the tasks. */
#ifndef TF_UP_H
#define TF_UP_H

#include <pthread.h>
#include <stdint.h>

#include "flow.h"
#include "inbox.h"
#include "layout.h"
#include "policy.h"
#include "port.h"
#include "queue.h"
#include "taskfarm.h"
#include "trace.h"
#include "wire.h"

/* An outcome waits at most this long (seconds) for others to share its frame. */
#define TF_FLUSH_INTERVAL 0.01

typedef struct tf_up {
  tf_port port;
  const tf_config *cfg;
  int rank, parent;       /* this rank and its parent, for messages */
  tf_inbox in;      /* tasks received, not started */
  tf_plan plan;     /* from the parent's last TASKS frame */
  int width;        /* workers this rank stands for: 1, or a relay's (the plan is per worker) */
  int relay;        /* this rank is a relay: it holds tasks for its workers too */
  uint32_t held_below; /* a relay's: tasks it holds besides its inbox (queued, in its workers' hands) */
  int floor_depth;  /* a relay's: tasks per worker it holds at least (its own plan and a chunk) */
  int starving;     /* a relay's: one of its workers asks with nothing in hand, and none is queued */
  int beats;        /* heartbeats are on: the time of the last send is kept */
  int running;      /* 1 while a task runs */
  uint64_t cur_task; /* the task that runs (while running) */
  uint32_t asked;   /* tasks asked for in its open requests (at most two); 0: none open */
  uint32_t asked_first; /* in the oldest: the most the next answer may carry */
  double asked_at;  /* when the oldest open request was sent */
  double asked_last; /* when the newest was */
  double tasks_came; /* when the last poll took tasks, < 0 when it took none (a task begun at
                        once starts then, and a request sent then goes then) */
  double ran_since_ask; /* time in long tasks since then: the answer waited behind them */
  double ran_since_last; /* the same since the newest request went (a second one open) */
  double starved;   /* since when it has had nothing to run; < 0: it has */
  tf_wbuf out;      /* RESULTS frame being filled */
  double out_since; /* when its first outcome was added */
  int out_urgent;   /* holds children: other workers may be waiting for them */
  int out_charged;  /* holds results, failures or children: it needs room */
  tf_flow_out flow; /* room for results on the way to the parent */
  int room_asked;   /* the parent was told results wait for room */
  int lost_told;    /* a relay: the parent was told a worker below was lost */
  double avg_task;  /* moving average of a task's duration, seconds */
  double last_end;  /* when the last task ended, if the next follows at once; else < 0 */
  int unclocked;    /* tasks ended since the clock was last read (short ones are timed in groups) */
  int since_poll;   /* tasks run since the last look for messages */
  unsigned idle_turns;  /* empty turns, for reading the clock on some of them only */
  unsigned quiet_turns; /* likewise, in tf__up_quiet (a counter of its own: both run each turn) */
  double last_poll; /* when that was (a task's end) */
  int stop, stop_status, gave_up, peer_lost;
  double heard;     /* when the parent was last heard from (kept with heartbeats only) */
  double last_send; /* when this rank last sent anything (likewise) */
  /* The heartbeat thread: it says "still here" while a task runs long, and
   * takes a STOP meant for a rank stuck in a task. Every port call happens
   * under `lock`, which the main thread lets go only inside a task and while
   * it waits. */
  pthread_t hb;
  pthread_mutex_t lock;
  pthread_cond_t wake;
  int hb_on, hb_quit;
  double hb_every;
  void (*leave)(int status, int peer_lost); /* ends the process after a stuck goodbye, or NULL */
  uint64_t tasks, busy_ns, starved_ns, frames; /* the whole run */
  uint64_t f_tasks, f_busy, f_wait, f_waits;   /* since the last frame; wait: request to answer */
  uint64_t wait_ns, waits, wait_max, failed;    /* the whole run, for --stats */
  uint64_t out_of_turn;                         /* likewise: tasks started out of turn */
  double stop_seen;                             /* when STOP arrived */
  tf_trace trace;                               /* --trace / --timeline: its tasks */
  /* the task being run: where its outcome starts in `out` */
  size_t mark_len;
  uint32_t mark_count;
  uint64_t mark_frames;
  double t0;
} tf_up;

/* The link of the rank layout describes to its parent, through port.
 * leave: see tf_run_stats. Returns 0 or TF_ENOMEM. */
int tf__up_init(tf_up *u, const tf_layout *layout, const tf_config *cfg, tf_port port,
                void (*leave)(int, int));
void tf__up_destroy(tf_up *u);
/* Start and stop the heartbeat thread (only when heartbeats are wanted;
 * up_beat.c). */
void tf__up_heartbeat_start(tf_up *u);
void tf__up_heartbeat_stop(tf_up *u);
/* Let the heartbeat thread at the port while this thread runs app code or
 * waits, and take it back. */
static inline void tf__up_unlock(tf_up *u) {
  if (u->hb_on) pthread_mutex_unlock(&u->lock);
}
static inline void tf__up_lock(tf_up *u) {
  if (u->hb_on) pthread_mutex_lock(&u->lock);
}

/* Take what the parent sent (now and then between tiny tasks: see
 * tf__up_poll_due). Returns 1 when something came, 0, or < 0 when the link
 * is broken. */
int tf__up_poll(tf_up *u);

/* A relay asks its parent for this many chunks for each of its workers at a
 * time, and sends their results up in frames of as many. A message costs the
 * root about as much as three tasks (200 ns beside 70: docs/SIMULATION.md):
 * a frame for 15 workers at a chunk of one task added 27 ns a task, one of
 * four chunks adds 7, and at 10^5 workers that share decides whether the
 * root keeps up. */
#define TF_RELAY_BATCH 4

/* Between two looks for messages: at most this many tasks, or this long. */
#define TF_POLL_EVERY 32
#define TF_POLL_INTERVAL 20e-6
/* Bytes of outcomes in one frame before it goes regardless. */
#define TF_UP_FRAME_BYTES (1u << 20)

/* Whether to look for messages now. Between tiny tasks only now and then:
 * the plan keeps enough in hand that an answer can wait a few tasks. (This
 * and the next two run once a task, so they are inline.) */
static inline int tf__up_poll_due(const tf_up *u) {
  return !u->in.queued || u->gave_up || u->since_poll >= TF_POLL_EVERY || u->last_end < 0 ||
         u->last_end - u->last_poll >= TF_POLL_INTERVAL;
}
/* The outgoing frame's length once flush has added the statistics entry. */
static inline size_t tf__up_frame_len(const tf_up *u) {
  return u->out.len + (u->f_tasks || u->f_waits ? tf__wire_entry_bytes(TF_WIRE_STATS_SIZE) : 0);
}
/* Results wait for room with a full frame: then nothing more runs (nor is a
 * piece of output added: tf__up_partial) until the parent hands room back, so
 * what waits here stays bounded too. A task can run now: one is in hand, and
 * results are not held back so. */
static inline int tf__up_held_back(const tf_up *u) {
  return u->out_charged && u->out.len >= TF_UP_FRAME_BYTES &&
         !tf__flow_may_send(&u->flow, tf__up_frame_len(u));
}
static inline int tf__up_can_run(const tf_up *u) {
  return u->in.queued && !u->gave_up && !tf__up_held_back(u);
}
/* The next task, which now runs: its entry in *e (the payload stays valid
 * until tf__up_end). Results due go out first. Returns 0 or < 0. */
int tf__up_begin(tf_up *u, tf_entry *e);
/* The task ended: a result (ok: its data and the children it spawned, as a
 * frame under construction), or a failure with status and text. Returns 0
 * or < 0. */
int tf__up_end(tf_up *u, const tf_entry *e, int ok, const tf_wbuf *spawns, uint32_t nchildren,
               const void *result, size_t len, int status, const char *text);
/* A piece of the running task's output (tf_partial): it goes at once when the
 * parent has room for it, else waits with the results; when a full frame
 * waits, this waits (looking for the room handed back) until it can go, the
 * parent says STOP, or the link breaks. Returns 0 or < 0. */
int tf__up_partial(tf_up *u, const void *data, size_t size);
/* Nothing to run: send results and a request when they are due. Returns 1
 * when a frame went, 0, or < 0. */
int tf__up_flush_idle(tf_up *u);
/* Nothing happened this turn: the clock of waiting starts; returns < 0 when
 * the parent has been silent too long (it is lost). */
int tf__up_quiet(tf_up *u);
/* This rank cannot go on: tell the parent (an ERROR frame), then wait for STOP. */
void tf__up_give_up(tf_up *u, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* STOP came: the goodbye (BYE) with the run's counters and trace (and a
 * relay's extra entries: its workers' goodbyes). */
void tf__up_bye(tf_up *u);
void tf__up_bye_with(tf_up *u, const tf_wbuf *extra);

/* A relay's side: it runs no task, and keeps what it is sent in a queue of
 * its own for its workers. */

/* Tasks to ask the parent for, with `held` in its inbox (up.c's want() for
 * a relay): see up_relay.c. */
uint32_t tf__up_relay_want(const tf_up *u, int held);
/* Move every task in the inbox into q: how many, or TF_ENOMEM. */
int tf__up_hand_over(tf_up *u, tf_queue *q);
/* Add an outcome (a worker's result, failure, child, piece of output; a
 * task given up on, LOST) to the outgoing frame, charged against the room
 * for results; a SLOW entry is not charged. word: the entry's last word (the
 * worker of a FAIL or LOST). 0 or TF_ENOMEM / TF_ETOOBIG. */
int tf__up_add(tf_up *u, unsigned type, uint64_t id, int32_t prio, uint32_t word, const void *data,
               size_t size);
/* Task times of the workers, for the parent's plan. */
void tf__up_add_timings(tf_up *u, uint64_t tasks, uint64_t busy_ns);
/* Send the outgoing frame (with a request when one is due): 1, 0 (nothing
 * to send, or it waits for room), or < 0. */
int tf__up_flush(tf_up *u);
/* A relay: tell the parent (once) that a worker of its was lost
 * (TF_WIRE_ASK_LOST). 0 or < 0. */
int tf__up_tell_lost(tf_up *u);
/* The tasks a request now would ask for (0: none is due). */
uint32_t tf__up_want(const tf_up *u);
/* Heartbeats without the thread (a relay is never inside a task; up_beat.c): say
 * "still here" when nothing went for a while. 1 when one went, 0, or < 0. */
void tf__up_beats_on(tf_up *u);
int tf__up_beat(tf_up *u, double now);

#endif
