/* test_down.c - the downstream engine (src/down.c) without MPI: a port that keeps the frames
 * the engine sends in memory and hands it made-up frames from its children, and a sink that
 * records what they return. Dispatch by the plan, results in order, failures and retries
 * elsewhere, pieces of a running task's output, a lost child's tasks taken back, a straggler
 * copied with the first result winning and the run's end counted exactly, spawned ids checked,
 * room handed back, and the stop. A relay child: requests and answers for each of its workers,
 * tasks ended in any order but only its own, new spawned ids, no START, and its goodbye split
 * by worker; the tasks it gives up on (LOST), its slow tasks copied elsewhere (SLOW), with its
 * other tasks when a copy wins, a relay of one worker stuck as a worker is in a task that hangs
 * (a wider one not), its goodbye unasked when its workers are lost (FATE), a loss behind it
 * heard during the run, and at the stop the relays told first (the root's own workers after
 * them, of the losses behind them, and all the same when a relay does not stop). A relay's own
 * engine: its worker inside a copy the root made, past --task-timeout, gets no more tasks and
 * the tasks behind the copy go to the other worker, the copy copied no further (not before the
 * timeout), and its request counts again once the copy ends there. Workers that join the running farm: served by a plan for the workers there are now;
 * one that leaves hands back what it held, as it was; the farm's own workers may not leave;
 * with jobs accepted, no worker left is a wait, not a failure. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "down.h"
#include "fake_port.h"
#include "ids.h"
#include "taskfarm.h"
#include "unit.h"

/* The ids of the tasks in the last TASKS frame sent to child i. */
static int tasks_to(fake_port *p, int i, uint64_t *ids, int cap) {
  tf_frame f;
  if (!last_to(p, i, TF_MSG_TASKS, &f)) return 0;
  size_t pos = 0;
  tf_entry e;
  int n = 0;
  while (n < cap && tf__wire_next(&f, &pos, &e))
    ids[n++] = e.id;
  return n;
}

/* ---- a sink that records ---- */

typedef struct fake_sink {
  uint64_t results[64];
  int nresults, nspawned, dropped, nfailed, ngiven_up;
  int retry;       /* what failed answers */
  int last_status; /* of the last failed run */
  size_t last_out;  /* bytes of its output (FAILOUT) */
  tf_failure gone; /* the last task given up on without a failed run */
  char gone_why[160]; /* its message */
  char gone_data[16]; /* its payload (gone.size bytes) */
  char pieces[64]; /* the pieces of output (tf_partial), one after the other */
  int npieces;
  int results_at_piece; /* results the sink had when the last piece came */
  int nslow;            /* a relay's: slow tasks told to its parent */
  int full_at;          /* fs_full: full once it holds this many results (0: never) */
  int last_rank;        /* the worker of the last failed run */
  int gone_child;       /* the child that held the last task given up on */
} fake_sink;

static int fs_result(void *ctx, int i, const tf_entry *e) {
  (void)i;
  fake_sink *s = ctx;
  s->results[s->nresults++] = e->id;
  return 0;
}
static int fs_spawned(void *ctx, int i, const tf_entry *e) {
  (void)i, (void)e;
  ((fake_sink *)ctx)->nspawned++;
  return 0;
}
static int fs_partial(void *ctx, int i, const tf_rec *r, const tf_entry *e) {
  (void)i;
  fake_sink *s = ctx;
  CU_ASSERT_EQUAL(r->id, e->id);
  size_t used = strlen(s->pieces);
  CU_ASSERT_FATAL(used + e->size < sizeof s->pieces);
  memcpy(s->pieces + used, e->data, e->size);
  s->pieces[used + e->size] = '\0';
  s->npieces++;
  s->results_at_piece = s->nresults;
  return 0;
}
static void fs_drop(void *ctx) { ((fake_sink *)ctx)->dropped++; }
static int fs_given_up(void *ctx, int i, const tf_failure *f) {
  fake_sink *s = ctx;
  s->ngiven_up++;
  s->gone_child = i;
  s->gone = *f;
  snprintf(s->gone_why, sizeof s->gone_why, "%s", f->message ? f->message : "");
  CU_ASSERT_FATAL(f->size <= sizeof s->gone_data);
  if (f->size) memcpy(s->gone_data, f->data, f->size);
  s->gone.message = NULL, s->gone.data = NULL; /* valid only during the call */
  return 0;
}
static int fs_slow(void *ctx, uint64_t id) {
  (void)id;
  ((fake_sink *)ctx)->nslow++;
  return 0;
}
static int fs_failed(void *ctx, int i, int rank, tf_rec *r, int status, const char *text,
                     size_t len, const tf_entry *out) {
  (void)i, (void)text, (void)len;
  fake_sink *s = ctx;
  s->last_rank = rank;
  s->last_out = out ? out->size : 0;
  s->nfailed++;
  s->last_status = status;
  if (!s->retry) return 0;
  r->attempt++;
  return 1;
}

/* ---- a farm of n children ---- */

typedef struct farm {
  tf_layout layout;
  tf_config cfg;
  tf_pool pool;
  tf_down d;
  fake_port p;
  fake_sink s;
  tf_run_stats st;
  uint64_t w_tasks[4], w_busy[4], w_wait[4], w_frames[4];
} farm;

/* Set up the farm whose layout f->layout is, with ntasks tasks (ids 0..ntasks-1). */
static void farm_begin(farm *f, int ntasks, void (*tune)(tf_config *)) {
  int n = f->layout.nchildren;
  tf_config_defaults(&f->cfg);
  f->cfg.schedule = TF_SCHEDULE_DYNAMIC;
  f->cfg.chunk = 2;
  f->cfg.prefetch = 4;
  if (tune) tune(&f->cfg);
  f->st.w_tasks = f->w_tasks;
  f->st.w_busy_ns = f->w_busy;
  f->st.w_wait_ns = f->w_wait;
  f->st.w_frames = f->w_frames;
  CU_ASSERT_EQUAL_FATAL(tf__pool_init(&f->pool, n, f->cfg.schedule == TF_SCHEDULE_STATIC), 0);
  f->pool.width = f->layout.kwidth; /* as the root sets it */
  for (int k = 0; k < ntasks; k++) {
    tf_rec r = {(uint64_t)k, 0, 0, NULL, 0, -1};
    CU_ASSERT_EQUAL_FATAL(tf__queue_push(tf__pool_input(&f->pool), &r), 0);
  }
  tf_sink sink = {&f->s, fs_result, fs_spawned, fs_drop, fs_failed, fs_given_up, fs_partial, NULL, NULL, NULL};
  CU_ASSERT_EQUAL_FATAL(
      tf__down_init(&f->d, &f->layout, &f->cfg, &f->pool, fake(&f->p), sink, &f->st, NULL, 100.0),
      0);
}

/* A flat farm: the root serves n workers. */
static void farm_start(farm *f, int n, int ntasks, void (*tune)(tf_config *)) {
  memset(f, 0, sizeof *f);
  tf__layout_init(&f->layout, 0, n + 1);
  farm_begin(f, ntasks, tune);
}

/* A farm of size ranks grouped by group (tf__layout_init_groups), seen from the root. */
static void group_farm_start(farm *f, int size, const int *group, int ntasks,
                             void (*tune)(tf_config *)) {
  memset(f, 0, sizeof *f);
  CU_ASSERT_EQUAL_FATAL(tf__layout_init_groups(&f->layout, 0, size, group), 0);
  CU_ASSERT_FATAL(f->layout.nworkers <= 4); /* the farm's per-worker counters */
  farm_begin(f, ntasks, tune);
}

/* A farm of 5 ranks with a relay: rank 1 serves ranks 2 and 3 (workers 0 and 1), rank 4 is a
 * worker of the root (worker 2). The root's child 0 is the relay (width 2), child 1 rank 4. */
static void relay_farm_start(farm *f, int ntasks, void (*tune)(tf_config *)) {
  static const int group[5] = {0, 1, 1, 1, 4};
  group_farm_start(f, 5, group, ntasks, tune);
  CU_ASSERT_EQUAL_FATAL(f->layout.nchildren, 2);
  CU_ASSERT_EQUAL_FATAL(f->layout.nworkers, 3);
  CU_ASSERT_FATAL(f->d.c[0].relay && f->d.c[0].width == 2 && f->d.c[0].slot == -1);
  CU_ASSERT_FATAL(!f->d.c[1].relay && f->d.c[1].width == 1 && f->d.c[1].slot == 2);
}

static void farm_stop(farm *f) {
  tf__down_destroy(&f->d);
  tf__pool_destroy(&f->pool);
  fake_port_free(&f->p);
  tf__layout_free(&f->layout);
}

/* Child i asks for n tasks. */
static void ask(farm *f, int i, uint32_t n) {
  tf_wbuf w = {0};
  tf__wire_begin(&w, TF_MSG_RESULTS, n);
  arrive(&f->p, i, &w);
  tf__wbuf_free(&w);
}

/* Child i reports task id done (a result of 8 bytes), asking for n more. */
static void done(farm *f, int i, uint64_t id, uint32_t n) {
  tf_wbuf w = {0};
  tf__wire_begin(&w, TF_MSG_RESULTS, n);
  tf__wire_add(&w, TF_ENT_RESULT, id, 0, "12345678", 8);
  arrive(&f->p, i, &w);
  tf__wbuf_free(&w);
}

static int poll(farm *f) { return tf__down_poll(&f->d); }

/* A farm of one child that asked for tasks and holds the only one, task 0. */
static void farm_one_out(farm *f) {
  farm_start(f, 1, 1, NULL);
  ask(f, 0, 2);
  poll(f);
  tf__down_dispatch(&f->d, TF_LEFT_UNKNOWN);
}

static void test_down_answers_requests_by_the_plan(void) {
  farm f;
  farm_start(&f, 2, 10, NULL);
  ask(&f, 0, 4);
  ask(&f, 1, 4);
  CU_ASSERT_EQUAL(poll(&f), 1);
  CU_ASSERT_EQUAL(tf__down_dispatch(&f.d, TF_LEFT_UNKNOWN), 1);
  uint64_t ids[8];
  /* dynamic, --chunk 2: two tasks each, in id order, round robin */
  CU_ASSERT_EQUAL(tasks_to(&f.p, 0, ids, 8), 2);
  CU_ASSERT_EQUAL(ids[0], 0);
  CU_ASSERT_EQUAL(ids[1], 1);
  CU_ASSERT_EQUAL(tasks_to(&f.p, 1, ids, 8), 2);
  CU_ASSERT_EQUAL(ids[0], 2);
  CU_ASSERT_EQUAL(tf__down_in_flight(&f.d), 4);
  CU_ASSERT_EQUAL(tf__down_queued(&f.d), 6);
  /* an answered request is closed: nothing more without a new one */
  CU_ASSERT_EQUAL(tf__down_dispatch(&f.d, TF_LEFT_UNKNOWN), 0);
  /* results in order reach the sink, and the ledger empties */
  done(&f, 0, 0, 0);
  done(&f, 0, 1, 0);
  done(&f, 1, 2, 0);
  done(&f, 1, 3, 0);
  CU_ASSERT_EQUAL(poll(&f), 1);
  CU_ASSERT_EQUAL(f.s.nresults, 4);
  CU_ASSERT_EQUAL(tf__down_in_flight(&f.d), 0);
  CU_ASSERT_EQUAL(f.d.status, 0);
  farm_stop(&f);
}

static int fs_full(void *ctx) {
  fake_sink *s = ctx;
  return s->full_at && s->nresults >= s->full_at;
}

static void heartbeats_on(tf_config *c) { c->worker_timeout = 1.0; }

/* A sink that is full (a relay whose frame up waits for room) gets no frame until it is not: the
 * frames wait, and meanwhile the children's silence is no loss, however long. */
static void test_down_takes_no_more_frames_while_the_sink_is_full(void) {
  farm f;
  farm_start(&f, 2, 10, heartbeats_on);
  f.d.heartbeats = 1; /* no MPI here to ask for the thread level */
  f.d.sink.full = fs_full;
  f.s.full_at = 1;
  ask(&f, 0, 4);
  ask(&f, 1, 4);
  poll(&f);
  tf__down_dispatch(&f.d, TF_LEFT_UNKNOWN); /* 0 and 1 to child 0, 2 and 3 to child 1 */
  CU_ASSERT_EQUAL_FATAL(tf__down_in_flight(&f.d), 4);
  done(&f, 0, 0, 0);
  done(&f, 1, 2, 0);
  CU_ASSERT_EQUAL(poll(&f), 1);
  CU_ASSERT_EQUAL(f.s.nresults, 1); /* full now: the second frame waits */
  CU_ASSERT_EQUAL(poll(&f), 0);
  CU_ASSERT_EQUAL(f.s.nresults, 1);
  for (int k = 1; k <= 60; k++) { /* 3 s of looks every 50 ms; --worker-timeout 1 */
    tf__down_set_now(&f.d, 100.0 + 0.05 * k);
    CU_ASSERT(tf__down_check(&f.d, 0) >= 0);
  }
  CU_ASSERT_EQUAL(f.st.lost, 0);
  CU_ASSERT(tf__down_alive(&f.d, 0) && tf__down_alive(&f.d, 1));
  f.s.full_at = 0; /* room again: what waits, and what comes, is all taken */
  done(&f, 0, 1, 0);
  done(&f, 1, 3, 0);
  CU_ASSERT_EQUAL(poll(&f), 1);
  CU_ASSERT_EQUAL(f.s.nresults, 4);
  CU_ASSERT_EQUAL(tf__down_in_flight(&f.d), 0);
  CU_ASSERT_EQUAL(f.d.status, 0);
  farm_stop(&f);
}

static void test_down_refuses_a_result_out_of_order(void) {
  farm f;
  farm_start(&f, 1, 4, NULL);
  ask(&f, 0, 2);
  poll(&f);
  tf__down_dispatch(&f.d, TF_LEFT_UNKNOWN);
  done(&f, 0, 1, 0); /* task 0 is older */
  CU_ASSERT_EQUAL(poll(&f), TF_EPROTO);
  CU_ASSERT_EQUAL(f.d.status, TF_EPROTO);
  CU_ASSERT_EQUAL(f.s.nresults, 0);
  farm_stop(&f);
}

/* Child i starts task id out of turn (a START entry alone). */
static void start(farm *f, int i, uint64_t id) {
  tf_wbuf w = {0};
  tf__wire_begin(&w, TF_MSG_RESULTS, 0);
  tf__wire_add(&w, TF_ENT_START, id, 0, NULL, 0);
  arrive(&f->p, i, &w);
  tf__wbuf_free(&w);
}

static void test_down_takes_a_task_started_out_of_turn(void) {
  farm f;
  farm_start(&f, 1, 4, NULL);
  ask(&f, 0, 2);
  poll(&f);
  tf__down_dispatch(&f.d, TF_LEFT_UNKNOWN); /* it holds 0 and 1 */
  start(&f, 0, 1);
  CU_ASSERT_EQUAL(poll(&f), 1);
  CU_ASSERT_EQUAL(f.d.status, 0);
  CU_ASSERT_EQUAL(tf__ledger_head(&f.d.ledger, 0)->id, 1); /* the task running */
  done(&f, 0, 1, 0);
  done(&f, 0, 0, 0);
  CU_ASSERT_EQUAL(poll(&f), 1);
  CU_ASSERT_EQUAL(f.s.nresults, 2);
  CU_ASSERT_EQUAL(f.d.status, 0);
  CU_ASSERT(tf__down_idle(&f.d));
  /* A START for a task it does not hold is refused. */
  ask(&f, 0, 2);
  poll(&f);
  tf__down_dispatch(&f.d, TF_LEFT_UNKNOWN); /* 2 and 3 */
  start(&f, 0, 7);
  CU_ASSERT_EQUAL(poll(&f), TF_EPROTO);
  CU_ASSERT_EQUAL(f.d.status, TF_EPROTO);
  farm_stop(&f);
}

static void test_down_runs_a_failed_task_again_elsewhere(void) {
  farm f;
  farm_start(&f, 2, 1, NULL);
  f.s.retry = 1;
  ask(&f, 0, 2);
  poll(&f);
  tf__down_dispatch(&f.d, TF_LEFT_UNKNOWN);
  tf_wbuf w = {0};
  tf__wire_begin(&w, TF_MSG_RESULTS, 2);
  tf__wire_add(&w, TF_ENT_FAIL, 0, 7, "no", 2);
  arrive(&f.p, 0, &w);
  poll(&f);
  CU_ASSERT_EQUAL(f.s.nfailed, 1);
  CU_ASSERT_EQUAL(f.s.last_status, 7); /* execute's return value, as the child sent it */
  CU_ASSERT_EQUAL(f.s.last_out, 0);     /* it gave no output */
  /* the task waits for another child than the one it failed on */
  CU_ASSERT_EQUAL(tf__down_dispatch(&f.d, TF_LEFT_UNKNOWN), 0);
  ask(&f, 1, 2);
  poll(&f);
  CU_ASSERT_EQUAL(tf__down_dispatch(&f.d, TF_LEFT_UNKNOWN), 1);
  uint64_t ids[4];
  CU_ASSERT_EQUAL(tasks_to(&f.p, 1, ids, 4), 1);
  CU_ASSERT_EQUAL(ids[0], 0);
  tf_frame fr;
  last_to(&f.p, 1, TF_MSG_TASKS, &fr);
  size_t pos = 0;
  tf_entry e;
  tf__wire_next(&fr, &pos, &e);
  CU_ASSERT_EQUAL(e.attempt, 1);
  tf__wbuf_free(&w);
  farm_stop(&f);
}

/* A failed run's output (FAILOUT) goes to the sink with its failure; one without its failure
 * right after it is a protocol error. */
static void test_down_hands_a_failed_runs_output_with_its_failure(void) {
  farm f;
  farm_one_out(&f);
  tf_wbuf w = {0};
  tf__wire_begin(&w, TF_MSG_RESULTS, 0);
  tf__wire_add(&w, TF_ENT_FAILOUT, 0, 0, "partial", 7);
  tf__wire_add(&w, TF_ENT_FAIL, 0, 3, "no", 2);
  arrive(&f.p, 0, &w);
  CU_ASSERT_EQUAL(poll(&f), 1);
  CU_ASSERT_EQUAL(f.s.nfailed, 1);
  CU_ASSERT_EQUAL(f.s.last_status, 3);
  CU_ASSERT_EQUAL(f.s.last_out, 7);
  tf__wbuf_free(&w);
  farm_stop(&f);

  farm_one_out(&f);
  tf__wire_begin(&w, TF_MSG_RESULTS, 0);
  tf__wire_add(&w, TF_ENT_FAILOUT, 0, 0, "partial", 7);
  tf__wire_add(&w, TF_ENT_RESULT, 0, 0, "12345678", 8);
  arrive(&f.p, 0, &w);
  CU_ASSERT_EQUAL(poll(&f), TF_EPROTO);
  CU_ASSERT_EQUAL(f.s.nresults, 0);
  tf__wbuf_free(&w);
  farm_stop(&f);

  farm_one_out(&f);
  tf__wire_begin(&w, TF_MSG_RESULTS, 0);
  tf__wire_add(&w, TF_ENT_FAILOUT, 0, 0, "partial", 7); /* the frame ends without the failure */
  arrive(&f.p, 0, &w);
  CU_ASSERT_EQUAL(poll(&f), TF_EPROTO);
  tf__wbuf_free(&w);
  farm_stop(&f);
}

/* Pieces of the output of the task a child runs (tf_partial) reach the sink in order, before
 * its result, and count against the child's share; a piece for another task, or from a child
 * that holds none, is a protocol error. */
static void test_down_hands_pieces_of_the_running_task_to_the_sink(void) {
  farm f;
  farm_one_out(&f);
  tf_wbuf w = {0};
  tf__wire_begin(&w, TF_MSG_RESULTS, 0);
  tf__wire_add(&w, TF_ENT_PARTIAL, 0, 0, "ab", 2);
  tf__wire_add(&w, TF_ENT_PARTIAL, 0, 0, "cd", 2);
  arrive(&f.p, 0, &w);
  CU_ASSERT_EQUAL(poll(&f), 1);
  CU_ASSERT_EQUAL(f.s.npieces, 2);
  CU_ASSERT_STRING_EQUAL(f.s.pieces, "abcd");
  CU_ASSERT(f.d.c[0].owed > 0); /* pieces are charged as results are */
  tf__wire_begin(&w, TF_MSG_RESULTS, 0);
  tf__wire_add(&w, TF_ENT_PARTIAL, 0, 0, "e", 1);
  tf__wire_add(&w, TF_ENT_RESULT, 0, 0, "12345678", 8);
  arrive(&f.p, 0, &w);
  CU_ASSERT_EQUAL(poll(&f), 1);
  CU_ASSERT_STRING_EQUAL(f.s.pieces, "abcde");
  CU_ASSERT_EQUAL(f.s.results_at_piece, 0); /* the last piece came before the result */
  CU_ASSERT_EQUAL(f.s.nresults, 1);
  farm_stop(&f);

  farm_one_out(&f); /* it runs task 0: a piece of task 5 is refused */
  tf__wire_begin(&w, TF_MSG_RESULTS, 0);
  tf__wire_add(&w, TF_ENT_PARTIAL, 5, 0, "x", 1);
  arrive(&f.p, 0, &w);
  CU_ASSERT_EQUAL(poll(&f), TF_EPROTO);
  CU_ASSERT_EQUAL(f.s.npieces, 0);
  farm_stop(&f);

  farm_one_out(&f); /* after task 0's result it holds nothing */
  tf__wire_begin(&w, TF_MSG_RESULTS, 0);
  tf__wire_add(&w, TF_ENT_RESULT, 0, 0, "12345678", 8);
  tf__wire_add(&w, TF_ENT_PARTIAL, 0, 0, "late", 4);
  arrive(&f.p, 0, &w);
  CU_ASSERT_EQUAL(poll(&f), TF_EPROTO);
  CU_ASSERT_EQUAL(f.s.npieces, 0);
  tf__wbuf_free(&w);
  farm_stop(&f);
}


static void test_down_takes_back_a_lost_childs_tasks(void) {
  farm f;
  farm_start(&f, 2, 4, heartbeats_on);
  f.d.heartbeats = 1; /* no MPI here to ask for the thread level */
  ask(&f, 0, 2);
  ask(&f, 1, 2);
  poll(&f);
  tf__down_dispatch(&f.d, TF_LEFT_UNKNOWN);
  /* tasks 0 and 1 to child 0; of the two left, half to child 1 (a short
   * queue is shared out) */
  CU_ASSERT_EQUAL(tf__down_queued(&f.d), 1);
  /* child 1 keeps talking (it sends heartbeats); child 0 falls silent for
   * longer than the timeout, while this rank looks every 50 ms */
  int found = 0;
  for (int k = 1; k <= 40 && !found; k++) {
    tf__down_set_now(&f.d, 100.0 + 0.05 * k);
    if (k == 20) {
      done(&f, 1, 2, 0);
      poll(&f);
    }
    found = tf__down_check(&f.d, 0) == 1 && f.st.lost;
  }
  CU_ASSERT(found);
  CU_ASSERT_EQUAL(f.st.lost, 1);
  CU_ASSERT_EQUAL(f.st.lost_ranks[0], 1);
  CU_ASSERT_EQUAL(f.p.forgotten, 1);
  CU_ASSERT(!tf__down_alive(&f.d, 0));
  CU_ASSERT_EQUAL(tf__down_queued(&f.d), 3); /* tasks 0 and 1 are back */
  /* whatever the lost child says now is ignored */
  done(&f, 0, 0, 0);
  poll(&f);
  CU_ASSERT_EQUAL(f.s.nresults, 1);
  farm_stop(&f);
}

/* Child i falls silent while the others keep talking, until it is lost. */
static int silence(farm *f, int i, double *now) {
  for (int k = 0; k < 60; k++) {
    *now += 0.05;
    tf__down_set_now(&f->d, *now);
    for (int j = 0; j < f->d.n && k % 8 == 0; j++) /* a word every 0.4 s (the fake port
                                                          holds 64 frames in all) */
      if (j != i && tf__down_alive(&f->d, j)) ask(f, j, 0);
    poll(f);
    int before = (int)f->st.lost;
    tf__down_check(&f->d, 0);
    if ((int)f->st.lost > before) return 1;
  }
  return 0;
}

/* A task whose workers are lost while it runs, twice: given up on, and the sink hears it with
 * its id, attempts and the rank it was last on. */
static void test_down_gives_up_a_task_that_loses_two_children(void) {
  farm f;
  farm_start(&f, 3, 1, heartbeats_on);
  f.d.heartbeats = 1;
  double now = 100.0;
  ask(&f, 0, 2);
  poll(&f);
  CU_ASSERT_EQUAL(tf__down_dispatch(&f.d, TF_LEFT_UNKNOWN), 1);
  CU_ASSERT(silence(&f, 0, &now));
  CU_ASSERT_EQUAL(f.s.ngiven_up, 0); /* once: maybe an innocent task; it goes back */
  CU_ASSERT_EQUAL(tf__down_queued(&f.d), 1);
  ask(&f, 1, 2);
  poll(&f);
  CU_ASSERT_EQUAL(tf__down_dispatch(&f.d, TF_LEFT_UNKNOWN), 1);
  CU_ASSERT(silence(&f, 1, &now));
  CU_ASSERT_EQUAL(f.s.ngiven_up, 1);
  CU_ASSERT_EQUAL(f.s.gone.id, 0);
  CU_ASSERT_EQUAL(f.s.gone.attempts, 2);
  CU_ASSERT_EQUAL(f.s.gone.rank, 2); /* child 1 is rank 2 */
  CU_ASSERT_EQUAL(f.s.gone.lost, 1);
  CU_ASSERT_EQUAL(f.s.nfailed, 0);
  CU_ASSERT_EQUAL(tf__down_queued(&f.d), 0);
  CU_ASSERT(tf__down_idle(&f.d));
  farm_stop(&f);
}

static void slow_tasks(tf_config *c) { c->task_timeout = 1.0; }

/* A straggler copied to an idle child: the first result counts, the second is
 * dropped, and the run ends exactly when nothing but stale entries is left. */
static void test_down_copies_a_straggler_and_keeps_the_first_result(void) {
  farm f;
  farm_start(&f, 2, 1, slow_tasks);
  ask(&f, 0, 2);
  poll(&f);
  tf__down_dispatch(&f.d, TF_LEFT_UNKNOWN);
  ask(&f, 1, 2); /* idle, nothing left in the pool */
  poll(&f);
  tf__down_set_now(&f.d, 101.5);
  CU_ASSERT_EQUAL(tf__down_check(&f.d, 0), 1);
  CU_ASSERT_EQUAL(f.st.copies, 1);
  uint64_t ids[4];
  CU_ASSERT_EQUAL(tasks_to(&f.p, 1, ids, 4), 1);
  CU_ASSERT_EQUAL(ids[0], 0);
  CU_ASSERT(!tf__down_idle(&f.d));
  done(&f, 1, 0, 0); /* the copy wins */
  poll(&f);
  CU_ASSERT_EQUAL(f.s.nresults, 1);
  CU_ASSERT_EQUAL(f.d.copies.stale, 1); /* child 0's entry is no longer wanted */
  CU_ASSERT(tf__down_idle(&f.d));
  CU_ASSERT_EQUAL(tf__down_in_flight(&f.d), 0);
  done(&f, 0, 0, 0); /* the original comes home late: dropped */
  poll(&f);
  CU_ASSERT_EQUAL(f.s.nresults, 1);
  CU_ASSERT_EQUAL(f.st.copies_dropped, 1);
  CU_ASSERT_EQUAL(f.d.copies.stale, 0);
  CU_ASSERT_EQUAL(f.d.copies.n, 0);
  CU_ASSERT(tf__down_idle(&f.d));
  farm_stop(&f);
}

static void test_down_checks_spawned_ids(void) {
  farm f;
  farm_one_out(&f);
  tf_wbuf w = {0};
  tf__wire_begin(&w, TF_MSG_RESULTS, 0);
  tf__wire_add(&w, TF_ENT_SPAWN, tf__child_id(0, 0), 0, "c", 1);
  tf__wire_add(&w, TF_ENT_SPAWN, tf__child_id(0, 1), 0, "c", 1);
  tf__wire_add(&w, TF_ENT_SPAWN, tf__child_id(0, 1), 0, "c", 1); /* child 2 claims child 1's id */
  arrive(&f.p, 0, &w);
  CU_ASSERT_EQUAL(poll(&f), TF_EPROTO);
  CU_ASSERT_EQUAL(f.s.nspawned, 2);
  tf__wbuf_free(&w);
  farm_stop(&f);
}

static void test_down_hands_room_back(void) {
  farm f;
  farm_one_out(&f);
  /* a result with the room flag: the master owes its frame and says so at once */
  tf_wbuf w = {0};
  tf__wire_begin(&w, TF_MSG_RESULTS, TF_WIRE_ASK_ROOM);
  tf__wire_add(&w, TF_ENT_RESULT, 0, 0, "12345678", 8);
  tf__wire_finish(&w);
  uint64_t len = w.len;
  arrive(&f.p, 0, &w);
  poll(&f);
  tf_frame fr;
  CU_ASSERT_FATAL(last_to(&f.p, 0, TF_MSG_CREDIT, &fr) != NULL);
  size_t pos = 0;
  tf_entry e;
  tf__wire_next(&fr, &pos, &e);
  CU_ASSERT_EQUAL(tf__wire_credit(&e), len);
  CU_ASSERT_EQUAL(f.d.c[0].owed, 0);
  tf__wbuf_free(&w);
  farm_stop(&f);
}

static void test_down_stop_waits_for_every_goodbye(void) {
  farm f;
  farm_start(&f, 2, 0, NULL);
  for (int i = 0; i < 2; i++) { /* both goodbyes are already on their way */
    tf_wbuf w = {0};
    uint64_t v[TF_WIRE_STATS_N] = {(uint64_t)(5 + i), 1000, 10, 3};
    tf__wire_begin(&w, TF_MSG_BYE, 0);
    tf__wire_add_stats(&w, v);
    arrive(&f.p, i, &w);
    tf__wbuf_free(&w);
  }
  CU_ASSERT_EQUAL(tf__down_stop(&f.d, 0, 0), 0);
  tf_frame fr;
  CU_ASSERT(last_to(&f.p, 0, TF_MSG_STOP, &fr) != NULL);
  CU_ASSERT(last_to(&f.p, 1, TF_MSG_STOP, &fr) != NULL);
  CU_ASSERT_EQUAL(f.w_tasks[0], 5);
  CU_ASSERT_EQUAL(f.w_tasks[1], 6);
  /* nobody held a task: no one was told to leave on the second tag */
  for (int k = 0; k < f.p.nsent; k++)
    CU_ASSERT_EQUAL(f.p.sent[k].tag, TF_WIRE_TAG);
  farm_stop(&f);
}

/* ---- a relay child ---- */

/* The relay (child 0) asked for 4 tasks and holds 0..3. */
static void relay_holding_four(farm *f, int ntasks) {
  relay_farm_start(f, ntasks, NULL);
  ask(f, 0, 4);
  CU_ASSERT_EQUAL(poll(f), 1);
  CU_ASSERT_EQUAL(tf__down_dispatch(&f->d, TF_LEFT_UNKNOWN), 1);
  CU_ASSERT_EQUAL_FATAL(tf__ledger_held(&f->d.ledger, 0), 4);
}

/* A relay stands for its workers: it may ask for more than --prefetch (4) allows one worker,
 * up to prefetch x width (8), and is answered with the plan's answer for each of its workers
 * (--chunk 2: 2 x 2 = 4). It ends its tasks in any order: results out of the order they were
 * sent in are accepted, each reaches the sink, and the ledger empties. */
static void test_down_serves_a_relay_for_each_of_its_workers(void) {
  farm f;
  relay_farm_start(&f, 8, NULL);
  ask(&f, 0, 6); /* more than one worker's 4 */
  CU_ASSERT_EQUAL(poll(&f), 1);
  CU_ASSERT_EQUAL(f.d.status, 0);
  CU_ASSERT_EQUAL(f.d.c[0].demand, 6);
  CU_ASSERT_EQUAL(tf__down_dispatch(&f.d, TF_LEFT_UNKNOWN), 1);
  uint64_t ids[8];
  CU_ASSERT_EQUAL_FATAL(tasks_to(&f.p, 0, ids, 8), 4);
  for (int k = 0; k < 4; k++)
    CU_ASSERT_EQUAL(ids[k], (uint64_t)k);
  ask(&f, 0, 4); /* holding 4: 4 more make 8, prefetch x width */
  CU_ASSERT_EQUAL(poll(&f), 1);
  CU_ASSERT_EQUAL(f.d.status, 0);
  CU_ASSERT_EQUAL(tf__down_dispatch(&f.d, TF_LEFT_UNKNOWN), 1);
  CU_ASSERT_EQUAL_FATAL(tasks_to(&f.p, 0, ids, 8), 4);
  CU_ASSERT_EQUAL(ids[0], 4);
  CU_ASSERT_EQUAL(tf__ledger_held(&f.d.ledger, 0), 8);
  static const uint64_t order[] = {5, 2, 7, 0, 3, 1, 6, 4}; /* as its workers end them */
  for (int k = 0; k < 8; k++)
    done(&f, 0, order[k], 0);
  CU_ASSERT_EQUAL(poll(&f), 1);
  CU_ASSERT_EQUAL(f.d.status, 0);
  CU_ASSERT_EQUAL_FATAL(f.s.nresults, 8);
  for (int k = 0; k < 8; k++)
    CU_ASSERT_EQUAL(f.s.results[k], order[k]);
  CU_ASSERT_EQUAL(tf__ledger_held(&f.d.ledger, 0), 0);
  CU_ASSERT(tf__down_idle(&f.d));
  farm_stop(&f);
}

static void chunk_one(tf_config *c) { c->chunk = 1; }

/* A worker may ask again before its request is answered (--chunk 1: 1, and 1 more); each
 * request is answered by one frame, in order, and a short answer closes it. A third request
 * with two open is refused, and so is one that would take it past --prefetch (4), naming
 * what it held and had asked for. */
static void test_down_answers_a_second_request_after_the_first(void) {
  farm f;
  farm_start(&f, 1, 10, chunk_one);
  ask(&f, 0, 1);
  ask(&f, 0, 2);
  CU_ASSERT_EQUAL(poll(&f), 1);
  CU_ASSERT_EQUAL(f.d.status, 0);
  CU_ASSERT_EQUAL(f.d.c[0].demand, 1);
  CU_ASSERT_EQUAL(f.d.c[0].demand_next, 2);
  uint64_t ids[4];
  CU_ASSERT_EQUAL(tf__down_dispatch(&f.d, TF_LEFT_UNKNOWN), 1);
  CU_ASSERT_EQUAL_FATAL(tasks_to(&f.p, 0, ids, 4), 1);
  CU_ASSERT_EQUAL(ids[0], 0);
  CU_ASSERT_EQUAL(f.d.c[0].demand, 2); /* the second is the open one */
  CU_ASSERT_EQUAL(f.d.c[0].demand_next, 0);
  CU_ASSERT_EQUAL(tf__down_dispatch(&f.d, TF_LEFT_UNKNOWN), 1);
  CU_ASSERT_EQUAL_FATAL(tasks_to(&f.p, 0, ids, 4), 1); /* the chunk: 1 of the 2 */
  CU_ASSERT_EQUAL(ids[0], 1);
  CU_ASSERT_EQUAL(f.d.c[0].demand, 0); /* answered, even with fewer */
  CU_ASSERT_EQUAL(tf__down_dispatch(&f.d, TF_LEFT_UNKNOWN), 0);
  ask(&f, 0, 1);
  ask(&f, 0, 1); /* 2 held, 2 asked for */
  CU_ASSERT_EQUAL(poll(&f), 1);
  CU_ASSERT_EQUAL(f.d.status, 0);
  ask(&f, 0, 1); /* a third */
  CU_ASSERT_EQUAL(poll(&f), TF_EPROTO);
  CU_ASSERT_EQUAL(f.d.status, TF_EPROTO);
  farm_stop(&f);
  farm_start(&f, 1, 10, chunk_one);
  ask(&f, 0, 3);
  ask(&f, 0, 2); /* 3 asked for, 2 more: 5 */
  CU_ASSERT_EQUAL(poll(&f), TF_EPROTO);
  farm_stop(&f);
}

/* Past prefetch x width a relay's request is a protocol error; the worker beside it is still
 * held to one worker's --prefetch; and a relay asking again before its request is answered
 * is one too. */
static void test_down_limits_a_relays_request_to_prefetch_times_width(void) {
  farm f;
  relay_farm_start(&f, 10, NULL);
  ask(&f, 0, 9);
  CU_ASSERT_EQUAL(poll(&f), TF_EPROTO);
  CU_ASSERT_EQUAL(f.d.status, TF_EPROTO);
  farm_stop(&f);
  relay_holding_four(&f, 10); /* 4 held: 5 more would be 9 */
  ask(&f, 0, 5);
  CU_ASSERT_EQUAL(poll(&f), TF_EPROTO);
  farm_stop(&f);
  relay_farm_start(&f, 10, NULL);
  ask(&f, 1, 5); /* rank 4, a worker */
  CU_ASSERT_EQUAL(poll(&f), TF_EPROTO);
  farm_stop(&f);
  relay_farm_start(&f, 10, NULL); /* a relay keeps one request open */
  ask(&f, 0, 2);
  ask(&f, 0, 2);
  CU_ASSERT_EQUAL(poll(&f), TF_EPROTO);
  farm_stop(&f);
}

/* A relay's outcome or piece of output may be for any task it holds, not only the oldest; one
 * for a task it does not hold (never sent, or ended already) is a protocol error. */
static void test_down_refuses_what_a_relay_does_not_hold(void) {
  farm f;
  relay_holding_four(&f, 10);
  tf_wbuf w = {0};
  tf__wire_begin(&w, TF_MSG_RESULTS, 0);
  tf__wire_add(&w, TF_ENT_PARTIAL, 2, 0, "ab", 2); /* task 2 runs; 0 is older */
  tf__wire_add(&w, TF_ENT_RESULT, 3, 0, "12345678", 8);
  arrive(&f.p, 0, &w);
  CU_ASSERT_EQUAL(poll(&f), 1);
  CU_ASSERT_EQUAL(f.d.status, 0);
  CU_ASSERT_STRING_EQUAL(f.s.pieces, "ab");
  CU_ASSERT_EQUAL(f.s.nresults, 1);
  done(&f, 0, 9, 0); /* never sent (still in the pool) */
  CU_ASSERT_EQUAL(poll(&f), TF_EPROTO);
  CU_ASSERT_EQUAL(f.d.status, TF_EPROTO);
  CU_ASSERT_EQUAL(f.s.nresults, 1);
  farm_stop(&f);
  relay_holding_four(&f, 10);
  done(&f, 0, 1, 0);
  done(&f, 0, 1, 0); /* ended already */
  CU_ASSERT_EQUAL(poll(&f), TF_EPROTO);
  CU_ASSERT_EQUAL(f.s.nresults, 1);
  farm_stop(&f);
  relay_holding_four(&f, 10);
  tf__wire_begin(&w, TF_MSG_RESULTS, 0);
  tf__wire_add_word(&w, TF_ENT_FAIL, 7, 3, 2, "no", 2); /* a failure of a task it does not hold */
  arrive(&f.p, 0, &w);
  CU_ASSERT_EQUAL(poll(&f), TF_EPROTO);
  CU_ASSERT_EQUAL(f.s.nfailed, 0);
  tf__wbuf_free(&w);
  farm_stop(&f);
}

/* Child i sends one SPAWN entry of the given id. */
static void spawn(farm *f, int i, uint64_t id) {
  tf_wbuf w = {0};
  tf__wire_begin(&w, TF_MSG_RESULTS, 0);
  tf__wire_add(&w, TF_ENT_SPAWN, id, 0, "c", 1);
  arrive(&f->p, i, &w);
  tf__wbuf_free(&w);
}

/* A relay checked its tasks' children against their parents: the root takes any new child id
 * from it (whichever task the parent is), refuses an id that is not a child's, and stops the
 * run on an id spawned before. */
static void test_down_checks_a_relays_spawned_ids(void) {
  farm f;
  relay_holding_four(&f, 10);
  spawn(&f, 0, tf__child_id(2, 0)); /* task 2's, not the oldest's */
  spawn(&f, 0, tf__child_id(0, 5));
  CU_ASSERT_EQUAL(poll(&f), 1);
  CU_ASSERT_EQUAL(f.d.status, 0);
  CU_ASSERT_EQUAL(f.s.nspawned, 2);
  spawn(&f, 0, 77); /* a generated task's id */
  CU_ASSERT_EQUAL(poll(&f), TF_EPROTO);
  CU_ASSERT_EQUAL(f.s.nspawned, 2);
  farm_stop(&f);
  relay_holding_four(&f, 10);
  spawn(&f, 0, tf__child_id(2, 0));
  spawn(&f, 0, tf__child_id(2, 0)); /* the same id twice */
  CU_ASSERT_EQUAL(poll(&f), TF_EAPP);
  CU_ASSERT_EQUAL(f.s.nspawned, 1);
  farm_stop(&f);
}

/* A relay runs many tasks at once and never says which it starts: START from it is a protocol
 * error, even for a task it holds. */
static void test_down_refuses_start_from_a_relay(void) {
  farm f;
  relay_holding_four(&f, 10);
  start(&f, 0, 2);
  CU_ASSERT_EQUAL(poll(&f), TF_EPROTO);
  CU_ASSERT_EQUAL(f.d.status, TF_EPROTO);
  farm_stop(&f);
}

/* Child i's goodbye: statistics v (tasks, busy ns, wait ns, frames). */
static void add_stats(tf_wbuf *w, uint64_t tasks) {
  uint64_t v[TF_WIRE_STATS_N] = {tasks, tasks * 1000, tasks * 10, tasks + 1};
  tf__wire_add_stats(w, v);
}

/* A relay's goodbye is split by its ORIGIN entries: each worker's statistics land at that
 * worker's number (rank 2: worker 0, rank 3: worker 1), whatever order the parts come in; the
 * relay's own and a part naming a rank that is no worker are left out; the root's own worker
 * (rank 4, child 1) lands at worker 2. */
static void test_down_splits_a_relays_goodbye_by_origin(void) {
  farm f;
  relay_farm_start(&f, 0, NULL);
  uint64_t obs[TF_WIRE_OBS_N] = {0};
  tf_event ev = {1, 0, 1, TF_EV_TASK, 0};
  tf_wbuf w = {0};
  tf__wire_begin(&w, TF_MSG_BYE, 0);
  add_stats(&w, 100); /* the relay's own */
  tf__wire_add(&w, TF_ENT_ORIGIN, 3, 0, NULL, 0);
  add_stats(&w, 7);
  tf__wire_add_obs(&w, obs);
  tf__wire_add_events(&w, &ev, 1);
  tf__wire_add(&w, TF_ENT_ORIGIN, 2, 0, NULL, 0);
  add_stats(&w, 5);
  tf__wire_add(&w, TF_ENT_ORIGIN, 1, 0, NULL, 0); /* the relay itself: no worker */
  add_stats(&w, 55);
  tf__wire_add(&w, TF_ENT_ORIGIN, 99, 0, NULL, 0); /* no rank */
  add_stats(&w, 66);
  arrive(&f.p, 0, &w);
  tf__wire_begin(&w, TF_MSG_BYE, 0);
  add_stats(&w, 9);
  arrive(&f.p, 1, &w);
  tf__wbuf_free(&w);
  CU_ASSERT_EQUAL(tf__down_stop(&f.d, 0, 0), 0);
  tf_frame fr;
  CU_ASSERT(last_to(&f.p, 0, TF_MSG_STOP, &fr) != NULL);
  CU_ASSERT(last_to(&f.p, 1, TF_MSG_STOP, &fr) != NULL);
  CU_ASSERT_EQUAL(f.d.c[0].state, TF_CHILD_DONE);
  CU_ASSERT_EQUAL(f.d.c[1].state, TF_CHILD_DONE);
  static const uint64_t tasks[4] = {5, 7, 9, 0};
  for (int k = 0; k < 4; k++) {
    CU_ASSERT_EQUAL(f.w_tasks[k], tasks[k]);
    CU_ASSERT_EQUAL(f.w_busy[k], tasks[k] * 1000);
    CU_ASSERT_EQUAL(f.w_wait[k], tasks[k] * 10);
    CU_ASSERT_EQUAL(f.w_frames[k], tasks[k] ? tasks[k] + 1 : 0);
  }
  farm_stop(&f);
}

/* ---- a relay's LOST, SLOW and FATE ---- */

/* Child i sends one entry of type for task id (prio; text as its data, or none), asking for
 * nothing. */
static void entry(farm *f, int i, unsigned type, uint64_t id, int32_t prio, const char *text) {
  tf_wbuf w = {0};
  tf__wire_begin(&w, TF_MSG_RESULTS, 0);
  tf__wire_add(&w, type, id, prio, text, text ? strlen(text) : 0);
  arrive(&f->p, i, &w);
  tf__wbuf_free(&w);
}

/* The same, naming the worker at rank `rank` (a relay's FAIL and LOST do). */
static void ranked(farm *f, int i, unsigned type, uint64_t id, int32_t prio, int rank,
                   const char *text) {
  tf_wbuf w = {0};
  tf__wire_begin(&w, TF_MSG_RESULTS, 0);
  tf__wire_add_word(&w, type, id, prio, (uint32_t)rank, text, text ? strlen(text) : 0);
  arrive(&f->p, i, &w);
  tf__wbuf_free(&w);
}

/* The attempt of the k-th task of the last TASKS frame sent to child i, as on the wire. */
static uint32_t attempt_to(farm *f, int i, int k) {
  tf_frame fr;
  CU_ASSERT_FATAL(last_to(&f->p, i, TF_MSG_TASKS, &fr) != NULL);
  size_t pos = 0;
  tf_entry e = {0};
  for (int j = 0; j <= k; j++)
    CU_ASSERT_FATAL(tf__wire_next(&fr, &pos, &e));
  return e.attempt;
}

/* Task id, still in the pool, changed by edit (the queue is emptied and
 * refilled in the same order). */
static void edit_queued(farm *f, uint64_t id, void (*edit)(tf_rec *r, const void *arg),
                        const void *arg) {
  tf_queue *q = tf__pool_input(&f->pool), keep = {0};
  tf_rec r;
  while (tf__queue_pop(q, &r)) {
    if (r.id == id) edit(&r, arg);
    CU_ASSERT_EQUAL_FATAL(tf__queue_push(&keep, &r), 0);
  }
  while (tf__queue_pop(&keep, &r))
    CU_ASSERT_EQUAL_FATAL(tf__queue_push(q, &r), 0);
  tf__queue_destroy(&keep);
}

static void to_attempt(tf_rec *r, const void *arg) { r->attempt = *(const uint32_t *)arg; }

/* Task id, still in the pool, has failed `attempt` times before. */
static void set_attempt(farm *f, uint64_t id, uint32_t attempt) {
  edit_queued(f, id, to_attempt, &attempt);
}

/* A relay gave up on a task it holds (LOST, prio: its runs so far; the last word: the worker of
 * its last run; data: why): the root gives it up too, without a failed run and without running
 * it again: the sink hears its id, the relay's count of runs, the worker's rank, lost = 1 and
 * why, and that the relay held it; it leaves the ledger, not into the pool. A LOST with no count
 * (prio 0) counts the task's attempts so far plus this run. */
static void test_down_gives_up_what_a_relay_lost(void) {
  farm f;
  relay_holding_four(&f, 10);
  ranked(&f, 0, TF_ENT_LOST, 2, 3, 3, "its workers were lost");
  CU_ASSERT_EQUAL(poll(&f), 1);
  CU_ASSERT_EQUAL(f.d.status, 0);
  CU_ASSERT_EQUAL(f.s.ngiven_up, 1);
  CU_ASSERT_EQUAL(f.s.gone.id, 2);
  CU_ASSERT_EQUAL(f.s.gone.attempts, 3);
  CU_ASSERT_EQUAL(f.s.gone.status, 0);
  CU_ASSERT_EQUAL(f.s.gone.rank, 3); /* the worker, not the relay (rank 1) */
  CU_ASSERT_EQUAL(f.s.gone_child, 0);
  CU_ASSERT_EQUAL(f.s.gone.lost, 1);
  CU_ASSERT_STRING_EQUAL(f.s.gone_why, "its workers were lost");
  CU_ASSERT_EQUAL(f.s.nfailed, 0);
  CU_ASSERT_EQUAL(f.s.nresults, 0);
  CU_ASSERT_EQUAL(tf__ledger_held(&f.d.ledger, 0), 3);
  CU_ASSERT_PTR_NULL(tf__ledger_find(&f.d.ledger, 0, 2));
  CU_ASSERT_EQUAL(tf__down_in_flight(&f.d), 3);
  CU_ASSERT_EQUAL(tf__down_queued(&f.d), 6); /* 4..9: task 2 is not back */
  ranked(&f, 0, TF_ENT_LOST, 0, 0, 2, NULL);
  CU_ASSERT_EQUAL(poll(&f), 1);
  CU_ASSERT_EQUAL(f.s.ngiven_up, 2);
  CU_ASSERT_EQUAL(f.s.gone.id, 0);
  CU_ASSERT_EQUAL(f.s.gone.attempts, 1);
  CU_ASSERT_STRING_EQUAL(f.s.gone_why, "");
  CU_ASSERT_EQUAL(tf__ledger_held(&f.d.ledger, 0), 2);
  CU_ASSERT_EQUAL(f.d.status, 0);
  farm_stop(&f);
}

/* A relay's FAIL names the worker the run failed on, and the sink hears that rank; a FAIL or a
 * LOST from a relay that names no worker behind a relay (rank 0, the relay itself, the root's
 * own worker 4, a rank past the farm) is a protocol error, and nothing is taken from the
 * ledger. */
static void test_down_takes_the_worker_a_relay_names(void) {
  farm f;
  relay_holding_four(&f, 10);
  ranked(&f, 0, TF_ENT_FAIL, 1, 5, 3, "no");
  CU_ASSERT_EQUAL(poll(&f), 1);
  CU_ASSERT_EQUAL(f.d.status, 0);
  CU_ASSERT_EQUAL(f.s.nfailed, 1);
  CU_ASSERT_EQUAL(f.s.last_status, 5);
  CU_ASSERT_EQUAL(f.s.last_rank, 3);
  farm_stop(&f);
  static const int bad[] = {0, 1, 4, 99};
  for (int k = 0; k < 8; k++) {
    relay_holding_four(&f, 10);
    ranked(&f, 0, k < 4 ? TF_ENT_FAIL : TF_ENT_LOST, 1, 1, bad[k % 4], "no");
    CU_ASSERT_EQUAL(poll(&f), TF_EPROTO);
    CU_ASSERT_EQUAL(f.s.nfailed + f.s.ngiven_up, 0);
    CU_ASSERT_EQUAL(tf__ledger_held(&f.d.ledger, 0), 4);
    farm_stop(&f);
  }
}

/* LOST is a relay's word: from the root's own worker (rank 4), even for the task it runs, it is
 * a protocol error; from the relay, a LOST for a task it does not hold (never sent, or given up
 * on already) is one too. Nothing is given up on, and the ledger keeps what it held. */
static void test_down_refuses_lost_from_a_worker_or_for_a_task_not_held(void) {
  farm f;
  relay_farm_start(&f, 10, NULL);
  ask(&f, 1, 2);
  poll(&f);
  CU_ASSERT_EQUAL(tf__down_dispatch(&f.d, TF_LEFT_UNKNOWN), 1);
  CU_ASSERT_EQUAL_FATAL(tf__ledger_held(&f.d.ledger, 1), 2);
  entry(&f, 1, TF_ENT_LOST, 0, 1, "lost");
  CU_ASSERT_EQUAL(poll(&f), TF_EPROTO);
  CU_ASSERT_EQUAL(f.d.status, TF_EPROTO);
  CU_ASSERT_EQUAL(f.s.ngiven_up, 0);
  CU_ASSERT_EQUAL(tf__ledger_held(&f.d.ledger, 1), 2);
  farm_stop(&f);
  relay_holding_four(&f, 10);
  ranked(&f, 0, TF_ENT_LOST, 7, 1, 2, "lost"); /* still in the pool */
  CU_ASSERT_EQUAL(poll(&f), TF_EPROTO);
  CU_ASSERT_EQUAL(f.d.status, TF_EPROTO);
  CU_ASSERT_EQUAL(f.s.ngiven_up, 0);
  CU_ASSERT_EQUAL(tf__ledger_held(&f.d.ledger, 0), 4);
  farm_stop(&f);
  relay_holding_four(&f, 10);
  ranked(&f, 0, TF_ENT_LOST, 1, 1, 2, "lost");
  ranked(&f, 0, TF_ENT_LOST, 1, 1, 2, "lost"); /* given up on already */
  CU_ASSERT_EQUAL(poll(&f), TF_EPROTO);
  CU_ASSERT_EQUAL(f.s.ngiven_up, 1);
  CU_ASSERT_EQUAL(tf__ledger_held(&f.d.ledger, 0), 3);
  farm_stop(&f);
}

/* SLOW, too, is a relay's word, and only for a task it holds: from rank 4 (for the task it
 * runs) or for a task the relay does not hold it is a protocol error, and no task is marked
 * slow. */
static void test_down_refuses_slow_from_a_worker_or_for_a_task_not_held(void) {
  farm f;
  relay_farm_start(&f, 10, slow_tasks);
  ask(&f, 1, 2);
  poll(&f);
  tf__down_dispatch(&f.d, TF_LEFT_UNKNOWN);
  entry(&f, 1, TF_ENT_SLOW, 0, 0, NULL);
  CU_ASSERT_EQUAL(poll(&f), TF_EPROTO);
  CU_ASSERT_EQUAL(f.d.status, TF_EPROTO);
  CU_ASSERT_EQUAL(f.d.c[1].slow, 0);
  farm_stop(&f);
  relay_holding_four(&f, 10);
  entry(&f, 0, TF_ENT_SLOW, 5, 0, NULL);
  CU_ASSERT_EQUAL(poll(&f), TF_EPROTO);
  CU_ASSERT_EQUAL(f.d.status, TF_EPROTO);
  CU_ASSERT_EQUAL(f.d.c[0].slow, 0);
  farm_stop(&f);
}

/* Room for results (flow.h): a frame from the relay with nothing but SLOW is charged to no
 * share, so nothing is owed for it and no CREDIT goes (the relay does not count it either:
 * up.c tf__up_add); a frame with a LOST entry is charged its whole length. */
static void test_down_charges_a_relays_lost_but_not_its_slow(void) {
  farm f;
  relay_holding_four(&f, 10);
  int sent = f.p.nsent;
  entry(&f, 0, TF_ENT_SLOW, 2, 0, NULL);
  CU_ASSERT_EQUAL(poll(&f), 1);
  CU_ASSERT_EQUAL(f.d.status, 0);
  CU_ASSERT_EQUAL(f.d.c[0].owed, 0);
  ranked(&f, 0, TF_ENT_LOST, 1, 1, 2, "lost");
  CU_ASSERT_EQUAL(poll(&f), 1);
  CU_ASSERT_EQUAL(f.d.c[0].owed, TF_WIRE_HEADER_SIZE + tf__wire_entry_bytes(4));
  CU_ASSERT_EQUAL(f.p.nsent, sent); /* less than half a share owed: no CREDIT yet */
  farm_stop(&f);
}

/* The relay (holding all 4 tasks, task 2 on its second try) says task 2 is slow. */
static void relay_says_two_is_slow(farm *f, void (*tune)(tf_config *)) {
  relay_farm_start(f, 4, tune);
  set_attempt(f, 2, 1);
  ask(f, 0, 4);
  poll(f);
  CU_ASSERT_EQUAL_FATAL(tf__down_dispatch(&f->d, TF_LEFT_UNKNOWN), 1);
  CU_ASSERT_EQUAL_FATAL(tf__ledger_held(&f->d.ledger, 0), 4);
  CU_ASSERT_EQUAL_FATAL(tf__down_queued(&f->d), 0);
  tf__down_set_now(&f->d, 101.0);
  entry(f, 0, TF_ENT_SLOW, 2, 0, NULL);
  CU_ASSERT_EQUAL(poll(f), 1);
  CU_ASSERT_EQUAL(f->d.status, 0);
  CU_ASSERT(f->d.c[0].slow);
  CU_ASSERT_EQUAL(f->d.c[0].slow_id, 2);
}

/* A relay's SLOW task is copied by the root (--task-timeout) once a child asks with nothing in
 * hand: not before (rank 4 not asking), then to rank 4, a worker: the TASKS frame carries the
 * task with its attempt (1) and no TF_WIRE_TASK_COPY; the copy is counted once, and the two
 * runs are the relay's (first) and rank 4's (second). Without --task-timeout a SLOW copies
 * nothing. */
static void test_down_copies_a_relays_slow_task_to_an_idle_worker(void) {
  farm f;
  relay_says_two_is_slow(&f, slow_tasks);
  CU_ASSERT_EQUAL(tf__down_check(&f.d, 0), 0); /* nobody to copy it to yet */
  CU_ASSERT_EQUAL(f.st.copies, 0);
  ask(&f, 1, 2);
  poll(&f);
  CU_ASSERT_EQUAL(tf__down_dispatch(&f.d, TF_LEFT_UNKNOWN), 0); /* the pool is empty */
  tf__down_set_now(&f.d, 101.1);
  CU_ASSERT_EQUAL(tf__down_check(&f.d, 0), 1);
  CU_ASSERT_EQUAL(f.d.status, 0);
  CU_ASSERT_EQUAL(f.st.copies, 1);
  uint64_t ids[4];
  CU_ASSERT_EQUAL_FATAL(tasks_to(&f.p, 1, ids, 4), 1);
  CU_ASSERT_EQUAL(ids[0], 2);
  CU_ASSERT_EQUAL(attempt_to(&f, 1, 0), 1);
  const tf_copy *c = tf__copies_find(&f.d.copies, 2);
  CU_ASSERT_FATAL(c != NULL);
  CU_ASSERT_EQUAL(c->first, 0);
  CU_ASSERT_EQUAL(c->second, 1);
  CU_ASSERT_EQUAL(c->copies, 2);
  CU_ASSERT_EQUAL(c->queued, 0);
  CU_ASSERT_EQUAL(f.d.c[1].demand, 0); /* the copy answered its request */
  tf__down_set_now(&f.d, 101.2);
  CU_ASSERT_EQUAL(tf__down_check(&f.d, 0), 0); /* copied once */
  CU_ASSERT_EQUAL(f.st.copies, 1);
  farm_stop(&f);
  relay_says_two_is_slow(&f, NULL);
  ask(&f, 1, 2);
  poll(&f);
  tf__down_set_now(&f.d, 200.0);
  CU_ASSERT_EQUAL(tf__down_check(&f.d, 0), 0);
  CU_ASSERT_EQUAL(f.st.copies, 0);
  farm_stop(&f);
}

/* The copy on rank 4 ends first: its result counts, and the relay's other tasks (0, 1, 3) are
 * copied into the pool (its worker stuck in task 2 may hold them), each avoiding the relay;
 * rank 4 gets them as it asks. Then every outcome counts once: the relay's late result for 2
 * is dropped, its result for 0 counts and rank 4's copy of 0 is dropped, rank 4's result for 1
 * counts and the relay's is dropped, the relay's result for 3 counts and the copy of 3 left
 * in the pool is stale; the run is then idle with nothing queued. */
static void test_down_copies_a_relays_other_tasks_when_a_copy_wins(void) {
  farm f;
  relay_says_two_is_slow(&f, slow_tasks);
  ask(&f, 1, 2);
  poll(&f);
  tf__down_set_now(&f.d, 101.1);
  CU_ASSERT_EQUAL_FATAL(tf__down_check(&f.d, 0), 1);
  done(&f, 1, 2, 0);
  CU_ASSERT_EQUAL(poll(&f), 1);
  CU_ASSERT_EQUAL(f.d.status, 0);
  CU_ASSERT_EQUAL_FATAL(f.s.nresults, 1);
  CU_ASSERT_EQUAL(f.s.results[0], 2);
  CU_ASSERT_EQUAL(tf__down_queued(&f.d), 3);
  CU_ASSERT_EQUAL(f.d.copies.n, 4);
  CU_ASSERT_EQUAL(f.d.copies.stale, 1); /* the relay's run of 2 */
  CU_ASSERT_EQUAL(tf__down_in_flight(&f.d), 3);
  static const uint64_t others[3] = {0, 1, 3};
  for (int k = 0; k < 3; k++) {
    const tf_copy *c = tf__copies_find(&f.d.copies, others[k]);
    CU_ASSERT_FATAL(c != NULL);
    CU_ASSERT_EQUAL(c->copies, 2);
    CU_ASSERT_EQUAL(c->queued, 1);
    CU_ASSERT_EQUAL(c->first, 0);
    CU_ASSERT_EQUAL(c->second, -1);
  }
  const tf_rec *head = tf__queue_peek(tf__pool_input(&f.pool));
  CU_ASSERT_FATAL(head != NULL);
  CU_ASSERT_EQUAL(head->id, 0);
  CU_ASSERT_EQUAL(head->avoid, 0);
  ask(&f, 1, 2);
  poll(&f);
  CU_ASSERT_EQUAL(tf__down_dispatch(&f.d, TF_LEFT_UNKNOWN), 1);
  uint64_t ids[4];
  CU_ASSERT_EQUAL_FATAL(tasks_to(&f.p, 1, ids, 4), 2);
  CU_ASSERT_EQUAL(ids[0], 0);
  CU_ASSERT_EQUAL(ids[1], 1);
  CU_ASSERT_EQUAL(attempt_to(&f, 1, 0), 0);
  done(&f, 0, 2, 0); /* the relay's own run of 2, late */
  done(&f, 0, 0, 0);
  done(&f, 1, 0, 0);
  done(&f, 1, 1, 0);
  done(&f, 0, 1, 0);
  done(&f, 0, 3, 0);
  CU_ASSERT_EQUAL(poll(&f), 1);
  CU_ASSERT_EQUAL(f.d.status, 0);
  CU_ASSERT_EQUAL_FATAL(f.s.nresults, 4);
  static const uint64_t counted[4] = {2, 0, 1, 3};
  for (int k = 0; k < 4; k++)
    CU_ASSERT_EQUAL(f.s.results[k], counted[k]);
  CU_ASSERT_EQUAL(f.st.copies_dropped, 3);
  CU_ASSERT_EQUAL(tf__down_queued(&f.d), 0);
  CU_ASSERT(tf__down_idle(&f.d));
  farm_stop(&f);
}

/* A relay's LOST for a task that runs twice is only that run's end: while the copy on rank 4
 * runs on, the task is not given up on, and the copy's result counts; once a copy has won, a
 * LOST for the relay's run is dropped too. */
static void test_down_drops_a_relays_lost_while_a_copy_runs(void) {
  farm f;
  relay_says_two_is_slow(&f, slow_tasks);
  ask(&f, 1, 2);
  poll(&f);
  tf__down_set_now(&f.d, 101.1);
  CU_ASSERT_EQUAL_FATAL(tf__down_check(&f.d, 0), 1);
  ranked(&f, 0, TF_ENT_LOST, 2, 1, 2, "it hangs");
  CU_ASSERT_EQUAL(poll(&f), 1);
  CU_ASSERT_EQUAL(f.d.status, 0);
  CU_ASSERT_EQUAL(f.s.ngiven_up, 0);
  CU_ASSERT_PTR_NULL(tf__ledger_find(&f.d.ledger, 0, 2));
  CU_ASSERT_EQUAL(tf__down_in_flight(&f.d), 4); /* 0, 1, 3 on the relay, 2 on rank 4 */
  done(&f, 1, 2, 0);
  CU_ASSERT_EQUAL(poll(&f), 1);
  CU_ASSERT_EQUAL_FATAL(f.s.nresults, 1);
  CU_ASSERT_EQUAL(f.s.results[0], 2);
  CU_ASSERT_EQUAL(f.st.copies_dropped, 0);
  CU_ASSERT_EQUAL(tf__down_queued(&f.d), 0); /* the relay's run had ended: nothing copied */
  CU_ASSERT_EQUAL(f.d.copies.n, 0);
  farm_stop(&f);
  relay_says_two_is_slow(&f, slow_tasks);
  ask(&f, 1, 2);
  poll(&f);
  tf__down_set_now(&f.d, 101.1);
  CU_ASSERT_EQUAL_FATAL(tf__down_check(&f.d, 0), 1);
  done(&f, 1, 2, 0);
  ranked(&f, 0, TF_ENT_LOST, 2, 1, 2, "it hangs");
  CU_ASSERT_EQUAL(poll(&f), 1);
  CU_ASSERT_EQUAL(f.d.status, 0);
  CU_ASSERT_EQUAL(f.s.nresults, 1);
  CU_ASSERT_EQUAL(f.s.ngiven_up, 0);
  CU_ASSERT_EQUAL(f.d.copies.stale, 0);
  CU_ASSERT_PTR_NULL(tf__copies_find(&f.d.copies, 2));
  farm_stop(&f);
}

/* A farm of 7 ranks with two relays: rank 1 serves ranks 2 and 3, rank 4 serves ranks 5 and 6;
 * child 0 and child 1 are relays of width 2. */
static void two_relay_farm_start(farm *f, int ntasks, void (*tune)(tf_config *)) {
  static const int group[7] = {0, 1, 1, 1, 4, 4, 4};
  group_farm_start(f, 7, group, ntasks, tune);
  CU_ASSERT_EQUAL_FATAL(f->layout.nchildren, 2);
  CU_ASSERT_FATAL(f->d.c[0].relay && f->d.c[0].width == 2);
  CU_ASSERT_FATAL(f->d.c[1].relay && f->d.c[1].width == 2);
}

/* A copy of a relay's slow task sent to another relay carries TF_WIRE_TASK_COPY in its
 * attempt, above the attempt count (1), so that relay does not copy it again; the ledger keeps
 * the count alone. */
static void test_down_marks_a_copy_sent_to_a_relay(void) {
  farm f;
  two_relay_farm_start(&f, 4, slow_tasks);
  set_attempt(&f, 2, 1);
  ask(&f, 0, 4);
  poll(&f);
  CU_ASSERT_EQUAL_FATAL(tf__down_dispatch(&f.d, TF_LEFT_UNKNOWN), 1);
  CU_ASSERT_EQUAL_FATAL(tf__ledger_held(&f.d.ledger, 0), 4);
  tf__down_set_now(&f.d, 101.0);
  entry(&f, 0, TF_ENT_SLOW, 2, 0, NULL);
  ask(&f, 1, 4);
  CU_ASSERT_EQUAL(poll(&f), 1);
  CU_ASSERT_EQUAL(tf__down_check(&f.d, 0), 1);
  CU_ASSERT_EQUAL(f.d.status, 0);
  CU_ASSERT_EQUAL(f.st.copies, 1);
  uint64_t ids[4];
  CU_ASSERT_EQUAL_FATAL(tasks_to(&f.p, 1, ids, 4), 1);
  CU_ASSERT_EQUAL(ids[0], 2);
  CU_ASSERT_EQUAL(attempt_to(&f, 1, 0), TF_WIRE_TASK_COPY | 1);
  const tf_rec *r = tf__ledger_find(&f.d.ledger, 1, 2);
  CU_ASSERT_FATAL(r != NULL);
  CU_ASSERT_EQUAL(r->attempt, 1);
  farm_stop(&f);
}

/* A relay of one worker (rank 1 serves rank 2; rank 3 is the root's own worker) whose task
 * hangs: once the copy of it on rank 3 has won, the relay gets no more tasks though it asks
 * (its only worker is still inside that task); once its late result comes, it is served again. */
static void test_down_serves_nothing_to_a_one_worker_relay_stuck_in_a_task(void) {
  static const int group[4] = {0, 1, 1, 3};
  farm f;
  group_farm_start(&f, 4, group, 2, slow_tasks);
  CU_ASSERT_FATAL(f.d.c[0].relay && f.d.c[0].width == 1 && !f.d.c[1].relay);
  ask(&f, 0, 2);
  poll(&f);
  CU_ASSERT_EQUAL_FATAL(tf__down_dispatch(&f.d, TF_LEFT_UNKNOWN), 1);
  CU_ASSERT_EQUAL_FATAL(tf__ledger_held(&f.d.ledger, 0), 2); /* tasks 0 and 1 */
  tf__down_set_now(&f.d, 101.0);
  entry(&f, 0, TF_ENT_SLOW, 0, 0, NULL);
  ask(&f, 1, 1);
  poll(&f);
  CU_ASSERT_EQUAL_FATAL(tf__down_check(&f.d, 0), 1); /* task 0 to rank 3 too */
  done(&f, 1, 0, 1);                                 /* it wins, and asks for one more */
  poll(&f);
  CU_ASSERT_EQUAL_FATAL(f.s.nresults, 1);
  CU_ASSERT_EQUAL(tf__down_queued(&f.d), 1); /* the copy of task 1 */
  CU_ASSERT_EQUAL(tf__down_dispatch(&f.d, TF_LEFT_UNKNOWN), 1);
  uint64_t ids[4];
  CU_ASSERT_EQUAL_FATAL(tasks_to(&f.p, 1, ids, 4), 1);
  CU_ASSERT_EQUAL(ids[0], 1);
  for (uint64_t id = 10; id < 12; id++) { /* more work comes */
    tf_rec r = {id, 0, 0, NULL, 0, -1};
    CU_ASSERT_EQUAL_FATAL(tf__queue_push(tf__pool_input(&f.pool), &r), 0);
  }
  int sent = f.p.nsent;
  ask(&f, 0, 2); /* the relay holds 2 and asks for 2 */
  poll(&f);
  CU_ASSERT_EQUAL(f.d.status, 0);
  CU_ASSERT_EQUAL(tf__down_dispatch(&f.d, TF_LEFT_UNKNOWN), 0);
  CU_ASSERT_EQUAL(f.p.nsent, sent);
  CU_ASSERT_EQUAL(f.d.c[0].demand, 2); /* its request stays open */
  CU_ASSERT_EQUAL(tf__down_queued(&f.d), 2);
  done(&f, 0, 0, 0); /* the hung run ends after all: dropped */
  poll(&f);
  CU_ASSERT_EQUAL(f.st.copies_dropped, 1);
  CU_ASSERT_EQUAL(tf__down_dispatch(&f.d, TF_LEFT_UNKNOWN), 1);
  CU_ASSERT_EQUAL_FATAL(tasks_to(&f.p, 0, ids, 4), 2);
  CU_ASSERT_EQUAL(ids[0], 10);
  CU_ASSERT_EQUAL(ids[1], 11);
  farm_stop(&f);
}

/* A farm of 6 ranks with two relays of one worker each: rank 1 serves rank 2, rank 3 serves
 * rank 4; rank 5 is the root's own worker. Children 0 and 1 are the relays, child 2 rank 5. */
static void one_worker_relays_start(farm *f, int ntasks, void (*tune)(tf_config *)) {
  static const int group[6] = {0, 1, 1, 3, 3, 5};
  group_farm_start(f, 6, group, ntasks, tune);
  CU_ASSERT_EQUAL_FATAL(f->layout.nchildren, 3);
  CU_ASSERT_FATAL(f->d.c[0].relay && f->d.c[0].width == 1);
  CU_ASSERT_FATAL(f->d.c[1].relay && f->d.c[1].width == 1);
  CU_ASSERT_FATAL(!f->d.c[2].relay);
}

/* A task that hangs on two relays of one worker each: the first (holding tasks 0 and 1) says
 * task 0 is slow; the root copies it to the second, idle, and once that copy too runs past
 * --task-timeout gives up on it: the sink hears of it once (2 runs, the second relay's rank,
 * lost, why); each relay is stuck as a worker would be (its only worker is inside the task):
 * counted, served nothing more, what it says ignored, and task 1, which it held behind the
 * hanging one, runs on rank 5. At the stop each relay is told on the plain tag only (it tells
 * its own worker to leave), and its goodbye still counts. */
static void test_down_gives_up_a_task_hanging_on_two_one_worker_relays(void) {
  farm f;
  one_worker_relays_start(&f, 2, slow_tasks);
  ask(&f, 0, 2);
  poll(&f);
  CU_ASSERT_EQUAL_FATAL(tf__down_dispatch(&f.d, TF_LEFT_UNKNOWN), 1);
  CU_ASSERT_EQUAL_FATAL(tf__ledger_held(&f.d.ledger, 0), 2); /* tasks 0 and 1 */
  tf__down_set_now(&f.d, 101.0);
  entry(&f, 0, TF_ENT_SLOW, 0, 0, NULL);
  ask(&f, 1, 1);
  CU_ASSERT_EQUAL(poll(&f), 1);
  CU_ASSERT_EQUAL_FATAL(tf__down_check(&f.d, 0), 1); /* task 0 to the second relay too */
  CU_ASSERT_EQUAL(f.st.copies, 1);
  CU_ASSERT_EQUAL(attempt_to(&f, 1, 0), TF_WIRE_TASK_COPY);
  tf__down_set_now(&f.d, 101.5);
  CU_ASSERT_EQUAL(tf__down_check(&f.d, 0), 0); /* the copy has not run a whole timeout yet */
  CU_ASSERT_EQUAL(f.s.ngiven_up, 0);
  tf__down_set_now(&f.d, 102.2);
  CU_ASSERT_EQUAL(tf__down_check(&f.d, 0), 1);
  CU_ASSERT_EQUAL(f.d.status, 0);
  CU_ASSERT_EQUAL(f.s.ngiven_up, 1);
  CU_ASSERT_EQUAL(f.s.gone.id, 0);
  CU_ASSERT_EQUAL(f.s.gone.attempts, 2);
  CU_ASSERT_EQUAL(f.s.gone.rank, 3);
  CU_ASSERT_EQUAL(f.s.gone.lost, 1);
  CU_ASSERT_STRING_EQUAL(f.s.gone_why, "it has run for more than 1 s (--task-timeout) on rank 1 "
                                       "and on rank 3");
  CU_ASSERT_EQUAL(f.s.nfailed, 0);
  CU_ASSERT_EQUAL(f.d.c[0].state, TF_CHILD_STUCK);
  CU_ASSERT_EQUAL(f.d.c[1].state, TF_CHILD_STUCK);
  CU_ASSERT_EQUAL(f.d.c[2].state, TF_CHILD_RUNNING);
  CU_ASSERT_EQUAL(f.st.stuck_workers, 2);
  CU_ASSERT_EQUAL(f.st.lost, 0);
  CU_ASSERT_EQUAL(tf__ledger_held(&f.d.ledger, 0), 0);
  CU_ASSERT_EQUAL(tf__ledger_held(&f.d.ledger, 1), 0);
  CU_ASSERT_EQUAL(f.d.copies.n, 0); /* both runs of task 0 left the ledger with their relays */
  CU_ASSERT_EQUAL(f.d.copies.stale, 0);
  CU_ASSERT_EQUAL(tf__down_queued(&f.d), 1); /* task 1 */
  CU_ASSERT(tf__down_idle(&f.d));
  int sent = f.p.nsent;
  done(&f, 0, 1, 2); /* a stuck relay's word comes too late: ignored, its request too */
  CU_ASSERT_EQUAL(poll(&f), 1);
  CU_ASSERT_EQUAL(f.d.status, 0);
  CU_ASSERT_EQUAL(f.s.nresults, 0);
  CU_ASSERT_EQUAL(f.d.c[0].demand, 0);
  CU_ASSERT_EQUAL(tf__down_dispatch(&f.d, TF_LEFT_UNKNOWN), 0);
  CU_ASSERT_EQUAL(f.p.nsent, sent);
  ask(&f, 2, 2);
  poll(&f);
  CU_ASSERT_EQUAL(tf__down_dispatch(&f.d, TF_LEFT_UNKNOWN), 1);
  uint64_t ids[4];
  CU_ASSERT_EQUAL_FATAL(tasks_to(&f.p, 2, ids, 4), 1);
  CU_ASSERT_EQUAL(ids[0], 1);
  done(&f, 2, 1, 0);
  poll(&f);
  CU_ASSERT_EQUAL_FATAL(f.s.nresults, 1);
  CU_ASSERT_EQUAL(f.s.results[0], 1);
  CU_ASSERT(tf__down_idle(&f.d));
  for (int i = 0; i < 3; i++) { /* every goodbye is on its way */
    tf_wbuf w = {0};
    tf__wire_begin(&w, TF_MSG_BYE, 0);
    add_stats(&w, 1);
    arrive(&f.p, i, &w);
    tf__wbuf_free(&w);
  }
  sent = f.p.nsent;
  CU_ASSERT_EQUAL(tf__down_stop(&f.d, 1, 0), 0);
  CU_ASSERT_EQUAL(f.p.nsent, sent + 3);
  for (int k = sent; k < f.p.nsent; k++)
    CU_ASSERT_EQUAL(f.p.sent[k].tag, TF_WIRE_TAG);
  for (int i = 0; i < 3; i++)
    CU_ASSERT_EQUAL(f.d.c[i].state, TF_CHILD_DONE);
  CU_ASSERT_EQUAL(f.st.stuck_workers, 2);
  farm_stop(&f);
}

static void to_payload(tf_rec *r, const void *arg) {
  const char *data = arg;
  r->size = strlen(data);
  r->data = malloc(r->size);
  CU_ASSERT_FATAL(r->data != NULL);
  memcpy(r->data, data, r->size);
}

/* Task id, still in the pool, carries data as its payload. */
static void set_payload(farm *f, uint64_t id, const char *data) {
  edit_queued(f, id, to_payload, data);
}

/* A relay of two workers is not stuck in a task that hangs on it (its other worker runs on;
 * it watches its own): when the root gives up on the relay's slow task 2, whose copy hangs on
 * rank 4 too, only rank 4 is stuck; the relay keeps its other tasks (0, 1, 3) and is served.
 * The sink gets task 2's payload though the relay holds it behind others. */
static void test_down_keeps_a_wider_relay_running_past_a_task_that_hangs(void) {
  farm f;
  relay_farm_start(&f, 4, slow_tasks);
  set_payload(&f, 2, "two");
  ask(&f, 0, 4);
  poll(&f);
  CU_ASSERT_EQUAL_FATAL(tf__down_dispatch(&f.d, TF_LEFT_UNKNOWN), 1);
  CU_ASSERT_EQUAL_FATAL(tf__ledger_held(&f.d.ledger, 0), 4);
  tf__down_set_now(&f.d, 101.0);
  entry(&f, 0, TF_ENT_SLOW, 2, 0, NULL);
  ask(&f, 1, 2);
  poll(&f);
  tf__down_set_now(&f.d, 101.1);
  CU_ASSERT_EQUAL_FATAL(tf__down_check(&f.d, 0), 1);
  tf__down_set_now(&f.d, 102.2);
  CU_ASSERT_EQUAL(tf__down_check(&f.d, 0), 1);
  CU_ASSERT_EQUAL(f.d.status, 0);
  CU_ASSERT_EQUAL(f.s.ngiven_up, 1);
  CU_ASSERT_EQUAL(f.s.gone.id, 2);
  CU_ASSERT_EQUAL_FATAL(f.s.gone.size, 3);
  CU_ASSERT_EQUAL(memcmp(f.s.gone_data, "two", 3), 0);
  CU_ASSERT_EQUAL(f.d.c[0].state, TF_CHILD_RUNNING);
  CU_ASSERT_EQUAL(f.d.c[1].state, TF_CHILD_STUCK);
  CU_ASSERT_EQUAL(f.st.stuck_workers, 1);
  CU_ASSERT_EQUAL(tf__ledger_held(&f.d.ledger, 0), 4); /* 2 among them, stale */
  CU_ASSERT_EQUAL(f.d.copies.stale, 1);
  CU_ASSERT_EQUAL(tf__down_in_flight(&f.d), 3);
  done(&f, 0, 0, 0);
  CU_ASSERT_EQUAL(poll(&f), 1);
  CU_ASSERT_EQUAL(f.d.status, 0);
  CU_ASSERT_EQUAL_FATAL(f.s.nresults, 1);
  CU_ASSERT_EQUAL(f.s.results[0], 0);
  farm_stop(&f);
}

/* A FATE entry in a relay's BYE: the relay's worker at rank met fate. */
static void add_fate(tf_wbuf *w, int rank, int fate) {
  tf__wire_add(w, TF_ENT_FATE, (uint64_t)rank, fate, NULL, 0);
}

/* A relay whose workers are all lost says goodbye unasked, its FATE entries naming them: each
 * FATE_LOST counts one lost worker, listed by rank (2 and 3), and the relay itself (rank 1, of
 * width 2) is not counted again; it is lost (forgotten by the port), every task it held (0..3)
 * goes back to the pool, each a suspect of the runs lost (attempt 1), and rank 4 gets them
 * first. What the relay says later is ignored. */
static void test_down_loses_a_relay_that_leaves_early(void) {
  farm f;
  relay_holding_four(&f, 10);
  tf_wbuf w = {0};
  tf__wire_begin(&w, TF_MSG_BYE, 0);
  add_stats(&w, 100);
  add_fate(&w, 2, TF_FATE_LOST);
  add_fate(&w, 3, TF_FATE_LOST);
  arrive(&f.p, 0, &w);
  tf__wbuf_free(&w);
  CU_ASSERT_EQUAL(poll(&f), 1);
  CU_ASSERT_EQUAL(f.d.status, 0);
  CU_ASSERT_EQUAL(f.d.c[0].state, TF_CHILD_LOST);
  CU_ASSERT_EQUAL(f.p.forgotten, 1);
  CU_ASSERT_EQUAL(f.st.lost, 2);
  CU_ASSERT_EQUAL_FATAL(f.st.nlost_ranks, 2);
  CU_ASSERT_EQUAL(f.st.lost_ranks[0], 2);
  CU_ASSERT_EQUAL(f.st.lost_ranks[1], 3);
  CU_ASSERT(f.st.peer_lost);
  CU_ASSERT_EQUAL(f.st.lost_tasks, 4);
  CU_ASSERT_EQUAL(f.st.stuck_workers, 0);
  CU_ASSERT_EQUAL(f.st.stuck, 0);
  CU_ASSERT_EQUAL(f.w_tasks[0], 0); /* no worker's goodbye in it */
  CU_ASSERT_EQUAL(f.w_tasks[1], 0);
  CU_ASSERT_EQUAL(tf__ledger_held(&f.d.ledger, 0), 0);
  CU_ASSERT_EQUAL(tf__down_queued(&f.d), 10);
  ask(&f, 1, 2);
  poll(&f);
  CU_ASSERT_EQUAL(tf__down_dispatch(&f.d, TF_LEFT_UNKNOWN), 1);
  uint64_t ids[4];
  CU_ASSERT_EQUAL_FATAL(tasks_to(&f.p, 1, ids, 4), 2);
  CU_ASSERT_EQUAL(ids[0], 0);
  CU_ASSERT_EQUAL(ids[1], 1);
  CU_ASSERT_EQUAL(attempt_to(&f, 1, 0), 1);
  CU_ASSERT_EQUAL(attempt_to(&f, 1, 1), 1);
  done(&f, 0, 2, 0); /* too late */
  poll(&f);
  CU_ASSERT_EQUAL(f.s.nresults, 0);
  CU_ASSERT_EQUAL(f.d.status, 0);
  CU_ASSERT_EQUAL(f.st.lost, 2);
  farm_stop(&f);
}

/* The index in the port's log of the STOP sent to child i (on the usual tag), or -1. */
static int stop_sent_at(const fake_port *p, int i, uint32_t *aux) {
  for (int k = 0; k < p->nsent; k++) {
    tf_frame f;
    if (p->sent[k].child != i || p->sent[k].tag != TF_WIRE_TAG ||
        tf__wire_decode(p->sent[k].buf, p->sent[k].len, 1u << 30, &f, NULL, 0) ||
        f.kind != TF_MSG_STOP)
      continue;
    *aux = f.aux;
    return k;
  }
  return -1;
}

/* Goodbyes waiting at the stop of relay_farm_start's farm: the relay's (naming rank `lost`
 * lost behind it, when > 0), then that of the root's own worker. */
static void goodbyes(farm *f, int lost) {
  tf_wbuf w = {0};
  tf__wire_begin(&w, TF_MSG_BYE, 0);
  add_stats(&w, 100);
  if (lost > 0) add_fate(&w, lost, TF_FATE_LOST);
  arrive(&f->p, 0, &w);
  tf__wire_begin(&w, TF_MSG_BYE, 0);
  add_stats(&w, 9);
  arrive(&f->p, 1, &w);
  tf__wbuf_free(&w);
}

/* At the stop, the relays hear first, and the root's own workers only once the relays said
 * goodbye: a relay's goodbye may tell of a worker lost behind it (FATE_LOST), and a worker
 * of the root's must hear that a rank was lost, or it would wait at the end for a barrier
 * the dead rank never joins. */
static void test_down_stops_relays_first_and_tells_workers_of_their_losses(void) {
  farm f;
  relay_farm_start(&f, 0, NULL);
  goodbyes(&f, 2);
  CU_ASSERT_EQUAL(tf__down_stop(&f.d, 0, 0), 0);
  uint32_t to_relay = 0, to_worker = 0;
  int relay_at = stop_sent_at(&f.p, 0, &to_relay), worker_at = stop_sent_at(&f.p, 1, &to_worker);
  CU_ASSERT_FATAL(relay_at >= 0 && worker_at >= 0);
  CU_ASSERT(relay_at < worker_at);
  CU_ASSERT_EQUAL(TF_WIRE_STOP_LOST(to_relay), 0); /* nothing was lost when it went */
  CU_ASSERT_EQUAL(TF_WIRE_STOP_LOST(to_worker), 1);
  CU_ASSERT_EQUAL(TF_WIRE_STOP_STATUS(to_worker), 0);
  CU_ASSERT_EQUAL(f.st.lost, 1);
  CU_ASSERT_EQUAL(f.d.c[1].state, TF_CHILD_DONE);
  farm_stop(&f);
  /* Nothing lost behind the relay: the worker's STOP says so. */
  relay_farm_start(&f, 0, NULL);
  goodbyes(&f, 0);
  CU_ASSERT_EQUAL(tf__down_stop(&f.d, 0, 0), 0);
  CU_ASSERT(stop_sent_at(&f.p, 1, &to_worker) > stop_sent_at(&f.p, 0, &to_relay));
  CU_ASSERT_EQUAL(TF_WIRE_STOP_LOST(to_worker), 0);
  CU_ASSERT_EQUAL(f.st.lost, 0);
  farm_stop(&f);
}

static void no_drain(tf_config *c) { c->drain = 0; }

/* A relay that never says goodbye: once the wait is over (1 s: a stop with no drain), the
 * root's own worker is told to stop all the same, and gets a wait of its own (1 s more: it
 * too is silent here), and the stop fails. */
static void test_down_stops_its_workers_when_a_relay_does_not_stop(void) {
  farm f;
  relay_farm_start(&f, 0, no_drain);
  double t0 = tf__now();
  CU_ASSERT_EQUAL(tf__down_stop(&f.d, 0, 1), TF_EMPI);
  double took = tf__now() - t0;
  uint32_t aux = 0;
  int relay_at = stop_sent_at(&f.p, 0, &aux);
  CU_ASSERT(relay_at >= 0);
  CU_ASSERT(stop_sent_at(&f.p, 1, &aux) > relay_at);
  CU_ASSERT(took >= 2.0 && took < 10.0);
  farm_stop(&f);
}

/* A relay says during the run that a worker of its was lost (TF_WIRE_ASK_LOST): the root's
 * STOP then says a rank was lost to every child, the root's own worker too, which would
 * otherwise wait at the end for the dead rank. The same flag from a worker means nothing. */
static void test_down_hears_of_a_loss_behind_a_relay_before_the_stop(void) {
  farm f;
  relay_farm_start(&f, 0, NULL);
  tf_wbuf w = {0};
  tf__wire_begin(&w, TF_MSG_RESULTS, TF_WIRE_ASK_LOST);
  arrive(&f.p, 1, &w); /* from the worker: ignored */
  poll(&f);
  CU_ASSERT_EQUAL(f.st.peer_lost, 0);
  tf__wire_begin(&w, TF_MSG_RESULTS, TF_WIRE_ASK_LOST);
  arrive(&f.p, 0, &w);
  tf__wbuf_free(&w);
  poll(&f);
  CU_ASSERT_EQUAL(f.d.status, 0);
  CU_ASSERT_EQUAL(f.st.peer_lost, 1);
  CU_ASSERT_EQUAL(f.st.lost, 0); /* counted from its goodbye, by rank */
  CU_ASSERT_EQUAL(f.d.c[0].demand, 0); /* it asked for nothing */
  goodbyes(&f, 0);
  CU_ASSERT_EQUAL(tf__down_stop(&f.d, 0, 0), 0);
  uint32_t to_relay = 0, to_worker = 0;
  CU_ASSERT(stop_sent_at(&f.p, 0, &to_relay) >= 0);
  CU_ASSERT(stop_sent_at(&f.p, 1, &to_worker) >= 0);
  CU_ASSERT_EQUAL(TF_WIRE_STOP_LOST(to_relay), 1);
  CU_ASSERT_EQUAL(TF_WIRE_STOP_LOST(to_worker), 1);
  farm_stop(&f);
}

/* The FATE entries of a relay's goodbye at the stop count as the root counts its own workers:
 * FATE_STUCK raises stuck_workers (rank 3's own goodbye still lands at worker 1), FATE_NO_BYE
 * sets stuck (the job must be aborted), FATE_LOST counts a lost worker by rank; none counts the
 * relay. */
static void test_down_counts_the_fates_in_a_relays_goodbye(void) {
  farm f;
  relay_farm_start(&f, 0, NULL);
  tf_wbuf w = {0};
  tf__wire_begin(&w, TF_MSG_BYE, 0);
  add_stats(&w, 100);
  add_fate(&w, 2, TF_FATE_STUCK);
  tf__wire_add(&w, TF_ENT_ORIGIN, 3, 0, NULL, 0);
  add_stats(&w, 7);
  arrive(&f.p, 0, &w);
  tf__wire_begin(&w, TF_MSG_BYE, 0);
  add_stats(&w, 9);
  arrive(&f.p, 1, &w);
  CU_ASSERT_EQUAL(tf__down_stop(&f.d, 0, 0), 0);
  CU_ASSERT_EQUAL(f.st.stuck_workers, 1);
  CU_ASSERT_EQUAL(f.st.stuck, 0);
  CU_ASSERT_EQUAL(f.st.lost, 0);
  CU_ASSERT_EQUAL(f.st.nlost_ranks, 0);
  CU_ASSERT_EQUAL(f.w_tasks[0], 0);
  CU_ASSERT_EQUAL(f.w_tasks[1], 7);
  CU_ASSERT_EQUAL(f.w_tasks[2], 9);
  farm_stop(&f);
  relay_farm_start(&f, 0, NULL);
  tf__wire_begin(&w, TF_MSG_BYE, 0);
  add_stats(&w, 100);
  add_fate(&w, 2, TF_FATE_NO_BYE);
  add_fate(&w, 3, TF_FATE_LOST);
  arrive(&f.p, 0, &w);
  tf__wire_begin(&w, TF_MSG_BYE, 0);
  add_stats(&w, 9);
  arrive(&f.p, 1, &w);
  tf__wbuf_free(&w);
  CU_ASSERT_EQUAL(tf__down_stop(&f.d, 0, 0), 0);
  CU_ASSERT_EQUAL(f.st.stuck, 1);
  CU_ASSERT_EQUAL(f.st.stuck_workers, 0);
  CU_ASSERT_EQUAL(f.st.lost, 1);
  CU_ASSERT_EQUAL_FATAL(f.st.nlost_ranks, 1);
  CU_ASSERT_EQUAL(f.st.lost_ranks[0], 3);
  CU_ASSERT(f.st.peer_lost);
  CU_ASSERT_EQUAL(f.d.c[0].state, TF_CHILD_DONE);
  farm_stop(&f);
}

/* ---- a relay's own engine: its workers ---- */

/* The engine of rank 1 in the farm of relay_farm_start: a relay serving ranks 2 and 3 (its
 * children and workers 0 and 1), set up as relay.c does: a shared pool with no widths, and a
 * sink that tells the parent of a slow task (counted). */
static void relay_side_start(farm *f, int ntasks, void (*tune)(tf_config *)) {
  static const int group[5] = {0, 1, 1, 1, 4};
  memset(f, 0, sizeof *f);
  CU_ASSERT_EQUAL_FATAL(tf__layout_init_groups(&f->layout, 1, 5, group), 0);
  CU_ASSERT_FATAL(f->layout.role == TF_ROLE_RELAY && f->layout.nchildren == 2);
  farm_begin(f, ntasks, tune);
  f->pool.width = NULL;
  f->d.sink.slow = fs_slow;
  CU_ASSERT_FATAL(!f->d.c[0].relay && !f->d.c[1].relay && f->d.c[1].slot == 1);
}

static void to_no_copy(tf_rec *r, const void *arg) { (void)arg, r->avoid = TF_REC_NO_COPY; }

/* How many times task id went to child i, over every TASKS frame sent. */
static int times_sent(fake_port *p, int i, uint64_t id) {
  int n = 0;
  for (int k = 0; k < p->nsent; k++) {
    const sent_frame *sf = &p->sent[k];
    tf_frame fr;
    if (sf->child != i) continue;
    CU_ASSERT_EQUAL_FATAL(tf__wire_decode(sf->buf, sf->len, 1u << 30, &fr, NULL, 0), 0);
    size_t pos = 0;
    tf_entry e;
    while (fr.kind == TF_MSG_TASKS && tf__wire_next(&fr, &pos, &e))
      n += e.id == id;
  }
  return n;
}

/* The relay's worker 0 runs task 0, a copy the root made (TF_REC_NO_COPY), since time 100,
 * with tasks 1 and 4 behind it and a request for one more open; worker 1 ran 2 and 3 and asks
 * for 2 with nothing in hand; the pool is empty. */
static void relay_worker_in_a_copy(farm *f) {
  relay_side_start(f, 5, slow_tasks);
  edit_queued(f, 0, to_no_copy, NULL);
  static const int asker[3] = {0, 1, 0}; /* worker 0 gets 0, 1; worker 1 2, 3; worker 0 4 */
  for (int k = 0; k < 3; k++) {
    ask(f, asker[k], 2);
    poll(f);
    CU_ASSERT_EQUAL_FATAL(tf__down_dispatch(&f->d, TF_LEFT_UNKNOWN), 1);
  }
  ask(f, 0, 1); /* 3 held and 1 asked for: --prefetch (4) allows it */
  done(f, 1, 2, 0);
  done(f, 1, 3, 2);
  poll(f);
  CU_ASSERT_EQUAL_FATAL(tf__down_dispatch(&f->d, TF_LEFT_UNKNOWN), 0);
  CU_ASSERT_EQUAL_FATAL(f->d.status, 0);
  CU_ASSERT_EQUAL_FATAL(tf__ledger_held(&f->d.ledger, 0), 3);
  CU_ASSERT_EQUAL_FATAL(tf__ledger_head(&f->d.ledger, 0)->id, 0);
  CU_ASSERT_EQUAL_FATAL(tf__ledger_head(&f->d.ledger, 0)->avoid, TF_REC_NO_COPY);
  CU_ASSERT_FATAL(tf__ledger_find(&f->d.ledger, 0, 1) && tf__ledger_find(&f->d.ledger, 0, 4));
  CU_ASSERT_EQUAL_FATAL(tf__ledger_held(&f->d.ledger, 1), 0);
  CU_ASSERT_EQUAL_FATAL(f->d.c[0].demand, 1);
  CU_ASSERT_EQUAL_FATAL(f->d.c[1].demand, 2);
  CU_ASSERT_EQUAL_FATAL(tf__down_queued(&f->d), 0);
  CU_ASSERT_EQUAL_FATAL(f->s.nresults, 2);
}

/* Until the copy has run --task-timeout on worker 0 nothing moves, though worker 1 asks with
 * nothing in hand: worker 0 keeps its tasks and its open request, nothing is copied and the
 * parent is told nothing. */
static void test_down_leaves_a_relays_worker_in_a_copy_before_the_timeout(void) {
  farm f;
  relay_worker_in_a_copy(&f);
  int sent = f.p.nsent;
  tf__down_set_now(&f.d, 100.9);
  CU_ASSERT_EQUAL(tf__down_check(&f.d, 0), 0);
  CU_ASSERT_EQUAL(tf__down_dispatch(&f.d, TF_LEFT_UNKNOWN), 0);
  CU_ASSERT_EQUAL(f.d.status, 0);
  CU_ASSERT_EQUAL(f.p.nsent, sent);
  CU_ASSERT_EQUAL(tf__ledger_held(&f.d.ledger, 0), 3);
  CU_ASSERT_EQUAL(tf__ledger_held(&f.d.ledger, 1), 0);
  CU_ASSERT_EQUAL(tf__down_queued(&f.d), 0);
  CU_ASSERT_EQUAL(f.d.copies.n, 0);
  CU_ASSERT_EQUAL(f.d.c[0].demand, 1);
  CU_ASSERT_EQUAL(f.d.c[1].demand, 2);
  CU_ASSERT(!f.d.c[0].slow);
  CU_ASSERT_EQUAL(f.st.copies, 0);
  CU_ASSERT_EQUAL(f.s.nslow, 0);
  farm_stop(&f);
}

/* Past --task-timeout worker 0 is taken as stuck in the copy (the root may give that task up
 * as hanging, and then it never ends here): its open request is dropped, and the tasks behind
 * the copy (1, 4) are copied into the pool avoiding it, for worker 1, which gets them; the copy
 * itself is neither copied nor told to the parent. More tasks from the parent (5, 6) go to
 * worker 1 as it asks, none to worker 0. Every task went to one worker but 1 and 4 (once to
 * each); every result counts once: worker 1's for 1 and 4 first, so worker 0's late ones are
 * dropped when the copy ends there after all. */
static void test_down_takes_the_tasks_behind_a_copy_from_a_relays_stuck_worker(void) {
  farm f;
  relay_worker_in_a_copy(&f);
  tf__down_set_now(&f.d, 101.5);
  CU_ASSERT(tf__down_check(&f.d, 0) >= 0);
  CU_ASSERT_EQUAL(f.d.status, 0);
  CU_ASSERT(f.d.c[0].slow);
  CU_ASSERT_EQUAL(f.d.c[0].slow_id, 0);
  CU_ASSERT_EQUAL(f.d.c[0].demand, 0);
  CU_ASSERT_EQUAL(f.d.c[0].state, TF_CHILD_RUNNING);
  CU_ASSERT_EQUAL(tf__ledger_held(&f.d.ledger, 0), 3); /* it may still end them */
  CU_ASSERT_EQUAL(tf__down_queued(&f.d), 2);
  const tf_rec *head = tf__queue_peek(tf__pool_input(&f.pool));
  CU_ASSERT(head && head->id == 1 && head->avoid == 0); /* not for worker 0 */
  static const uint64_t behind[2] = {1, 4};
  for (int k = 0; k < 2; k++) {
    const tf_copy *c = tf__copies_find(&f.d.copies, behind[k]);
    CU_ASSERT_FATAL(c != NULL);
    CU_ASSERT_EQUAL(c->copies, 2);
    CU_ASSERT_EQUAL(c->queued, 1);
    CU_ASSERT_EQUAL(c->first, 0);
  }
  CU_ASSERT_PTR_NULL(tf__copies_find(&f.d.copies, 0));
  CU_ASSERT_EQUAL(f.st.copies, 0);
  CU_ASSERT_EQUAL(f.s.nslow, 0);
  CU_ASSERT_EQUAL(tf__down_dispatch(&f.d, TF_LEFT_UNKNOWN), 1);
  uint64_t ids[4];
  CU_ASSERT_EQUAL_FATAL(tasks_to(&f.p, 1, ids, 4), 2);
  CU_ASSERT_EQUAL(ids[0], 1);
  CU_ASSERT_EQUAL(ids[1], 4);
  CU_ASSERT_EQUAL(tf__down_queued(&f.d), 0);
  tf__down_set_now(&f.d, 102.0);
  CU_ASSERT_EQUAL(tf__down_check(&f.d, 0), 0); /* once only */
  CU_ASSERT_EQUAL(tf__down_queued(&f.d), 0);
  for (uint64_t id = 5; id < 7; id++) { /* more tasks from the parent */
    tf_rec r = {id, 0, 0, NULL, 0, -1};
    CU_ASSERT_EQUAL_FATAL(tf__queue_push(tf__pool_input(&f.pool), &r), 0);
  }
  CU_ASSERT_EQUAL(tf__down_dispatch(&f.d, TF_LEFT_UNKNOWN), 0); /* nobody asks */
  done(&f, 1, 1, 0);
  done(&f, 1, 4, 2);
  poll(&f);
  CU_ASSERT_EQUAL(tf__down_dispatch(&f.d, TF_LEFT_UNKNOWN), 1);
  CU_ASSERT_EQUAL_FATAL(tasks_to(&f.p, 1, ids, 4), 2);
  CU_ASSERT_EQUAL(ids[0], 5);
  CU_ASSERT_EQUAL(ids[1], 6);
  done(&f, 1, 5, 0);
  done(&f, 1, 6, 0);
  poll(&f);
  CU_ASSERT_EQUAL(f.d.status, 0);
  for (uint64_t id = 0; id < 7; id++) {
    int twice = id == 1 || id == 4;
    CU_ASSERT_EQUAL(times_sent(&f.p, 0, id), id == 0 || id == 1 || id == 4);
    CU_ASSERT_EQUAL(times_sent(&f.p, 1, id), id != 0);
    CU_ASSERT_EQUAL(times_sent(&f.p, 0, id) + times_sent(&f.p, 1, id), 1 + twice);
  }
  CU_ASSERT_EQUAL(tf__down_in_flight(&f.d), 1); /* the copy: worker 0's 1 and 4 are stale */
  CU_ASSERT_EQUAL(f.d.copies.stale, 2);
  done(&f, 0, 0, 0); /* the copy ends here after all, then the tasks behind it */
  poll(&f);
  CU_ASSERT_EQUAL(f.d.c[0].demand, 1); /* the request it sent before is open again */
  CU_ASSERT_EQUAL(f.d.c[0].held_demand, 0);
  done(&f, 0, 1, 0);
  done(&f, 0, 4, 0);
  poll(&f);
  CU_ASSERT_EQUAL(f.d.status, 0);
  CU_ASSERT_EQUAL_FATAL(f.s.nresults, 7);
  static const uint64_t counted[7] = {2, 3, 1, 4, 5, 6, 0};
  for (int k = 0; k < 7; k++)
    CU_ASSERT_EQUAL(f.s.results[k], counted[k]);
  CU_ASSERT_EQUAL(f.st.copies_dropped, 2);
  CU_ASSERT_EQUAL(f.d.copies.n, 0);
  CU_ASSERT_EQUAL(tf__down_queued(&f.d), 0);
  CU_ASSERT(tf__down_idle(&f.d));
  farm_stop(&f);
}

/* ---- workers that join the running farm, and leave it (down_join.c) ---- */

/* n workers of a job join at time now, taken in as the root does (grow.c): the layout first,
 * then the engine. Returns the index of the first new child. */
static int join(farm *f, int n, double now) {
  int had = f->d.n, size = f->layout.size;
  CU_ASSERT_EQUAL_FATAL(tf__layout_add_joined(&f->layout, n), size); /* ranks size.. */
  f->pool.width = f->layout.kwidth; /* spelled out anew (only the static schedule reads it) */
  CU_ASSERT_EQUAL_FATAL(tf__down_add_children(&f->d, n, now), 0);
  CU_ASSERT_EQUAL_FATAL(f->d.n, had + n);
  return had;
}

/* Child i says goodbye before it is told to stop, its statistics saying `tasks` tasks. */
static void bye(farm *f, int i, uint64_t tasks) {
  tf_wbuf w = {0};
  tf__wire_begin(&w, TF_MSG_BYE, 0);
  add_stats(&w, tasks);
  arrive(&f->p, i, &w);
  tf__wbuf_free(&w);
}

/* Children kids[0..nkids-1] run what is left: each reports the task it runs and asks for one
 * more (two with nothing in hand), until the pool and the ledgers are empty. */
static void run_out(farm *f, const int *kids, int nkids) {
  for (int round = 0; round < 24 && !(tf__down_queued(&f->d) == 0 && tf__down_idle(&f->d));
       round++) {
    for (int k = 0; k < nkids; k++) {
      int i = kids[k];
      const tf_rec *h = tf__ledger_head(&f->d.ledger, i);
      uint32_t more = f->d.c[i].demand ? 0 : 1;
      if (h)
        done(f, i, h->id, more);
      else if (more)
        ask(f, i, 2);
    }
    CU_ASSERT_FATAL(poll(f) >= 0);
    CU_ASSERT_FATAL(tf__down_dispatch(&f->d, TF_LEFT_UNKNOWN) >= 0);
  }
  CU_ASSERT_EQUAL(tf__down_queued(&f->d), 0);
  CU_ASSERT(tf__down_idle(&f->d));
}

/* The sink has every result of tasks 0..n-1, each once. */
static void check_every_result(const farm *f, int n) {
  CU_ASSERT_EQUAL_FATAL(f->s.nresults, n);
  int seen[64] = {0};
  CU_ASSERT_FATAL(n <= 64);
  for (int k = 0; k < n; k++) {
    CU_ASSERT_FATAL(f->s.results[k] < (uint64_t)n);
    seen[f->s.results[k]]++;
  }
  for (int id = 0; id < n; id++)
    CU_ASSERT_EQUAL(seen[id], 1);
}

/* Guided, --chunk 1, --prefetch 64, --max-in-flight 16 MiB: the plan and the byte share
 * both depend on the number of workers. */
static void guided_wide(tf_config *c) {
  c->schedule = TF_SCHEDULE_GUIDED;
  c->chunk = 1;
  c->prefetch = 64;
  c->max_in_flight = 16u << 20;
}

/* Two workers join a farm of two at 100.5: children 2 and 3 (ranks 3 and 4, workers 2 and 3),
 * marked as joined, heard from and told at 100.5; the plan is for four workers (guided, 40
 * left: chunks of 5, not 10) and so is each worker's byte share (4 MiB, not 8). The new
 * children are served when they ask, with that plan; their results reach the sink; at the stop
 * they are told to stop and their goodbyes land at workers 2 and 3. */
static void test_down_serves_children_that_join(void) {
  farm f;
  farm_start(&f, 2, 40, guided_wide);
  CU_ASSERT_EQUAL(f.d.policy.nworkers, 2);
  CU_ASSERT_EQUAL(f.d.share, 8u << 20);
  CU_ASSERT_EQUAL(f.d.policy.share, 8u << 20);
  CU_ASSERT_EQUAL(tf__policy_plan(&f.d.policy, 40).chunk, 10);
  CU_ASSERT_EQUAL(join(&f, 2, 100.5), 2);
  CU_ASSERT_EQUAL(f.layout.nworkers, 4);
  for (int i = 0; i < 4; i++) {
    CU_ASSERT_EQUAL(f.d.c[i].joined, i >= 2);
    CU_ASSERT_EQUAL(f.d.c[i].state, TF_CHILD_RUNNING);
    CU_ASSERT_EQUAL(f.d.c[i].relay, 0);
    CU_ASSERT_EQUAL(f.d.c[i].width, 1);
    CU_ASSERT_EQUAL(f.d.c[i].slot, i);
  }
  for (int i = 2; i < 4; i++) {
    CU_ASSERT_EQUAL(f.d.c[i].demand, 0);
    CU_ASSERT_EQUAL(f.d.c[i].heard, 100.5);
    CU_ASSERT_EQUAL(f.d.c[i].told, 100.5);
    CU_ASSERT_EQUAL(tf__ledger_held(&f.d.ledger, i), 0);
  }
  CU_ASSERT_EQUAL(f.d.ledger.nworkers, 4);
  CU_ASSERT_EQUAL(f.d.policy.nworkers, 4);
  CU_ASSERT_EQUAL(f.d.share, 4u << 20);
  CU_ASSERT_EQUAL(f.d.policy.share, 4u << 20);
  CU_ASSERT_EQUAL(tf__policy_plan(&f.d.policy, 40).chunk, 5);
  ask(&f, 3, 8);
  CU_ASSERT_EQUAL(poll(&f), 1);
  CU_ASSERT_EQUAL(tf__down_dispatch(&f.d, 40), 1);
  uint64_t ids[16];
  CU_ASSERT_EQUAL_FATAL(tasks_to(&f.p, 3, ids, 16), 5);
  for (int k = 0; k < 5; k++)
    CU_ASSERT_EQUAL(ids[k], (uint64_t)k);
  tf_frame fr;
  CU_ASSERT_FATAL(last_to(&f.p, 3, TF_MSG_TASKS, &fr) != NULL);
  CU_ASSERT_EQUAL(TF_WIRE_PLAN_CHUNK(fr.aux), 5);
  CU_ASSERT_EQUAL(TF_WIRE_PLAN_DEPTH(fr.aux), 10);
  CU_ASSERT_EQUAL(tf__ledger_held(&f.d.ledger, 3), 5);
  CU_ASSERT_EQUAL(tasks_to(&f.p, 2, ids, 16), 0); /* it did not ask */
  ask(&f, 2, 8);
  poll(&f);
  CU_ASSERT_EQUAL(tf__down_dispatch(&f.d, 35), 1);
  CU_ASSERT_EQUAL_FATAL(tasks_to(&f.p, 2, ids, 16), 5); /* 35 left: (35 + 7) / 8 */
  for (int k = 0; k < 5; k++)
    CU_ASSERT_EQUAL(ids[k], (uint64_t)(5 + k));
  for (uint64_t id = 0; id < 5; id++)
    done(&f, 3, id, 0);
  CU_ASSERT_EQUAL(poll(&f), 1);
  CU_ASSERT_EQUAL(f.d.status, 0);
  CU_ASSERT_EQUAL_FATAL(f.s.nresults, 5);
  for (int k = 0; k < 5; k++)
    CU_ASSERT_EQUAL(f.s.results[k], (uint64_t)k);
  CU_ASSERT_EQUAL(tf__ledger_held(&f.d.ledger, 3), 0);
  for (int i = 0; i < 4; i++)
    bye(&f, i, (uint64_t)(10 + i));
  CU_ASSERT_EQUAL(tf__down_stop(&f.d, 0, 0), 0);
  for (int i = 0; i < 4; i++) {
    CU_ASSERT(last_to(&f.p, i, TF_MSG_STOP, &fr) != NULL);
    CU_ASSERT_EQUAL(f.d.c[i].state, TF_CHILD_DONE);
    CU_ASSERT_EQUAL(f.w_tasks[i], (uint64_t)(10 + i));
  }
  CU_ASSERT_EQUAL(f.st.left, 0);
  farm_stop(&f);
}

/* A worker that joined (child 1, rank 2) holds tasks 0..3, task 2 on its second try; it
 * reports task 0 and says goodbye unasked: it left. Its counters land at worker 1; it is
 * forgotten by the port, counted as left (1 worker, 3 tasks handed back), not as lost; tasks
 * 1, 2 and 3 go back to the pool as they were (no run was lost: task 2 still on its second
 * try, the others on their first) and the next worker to ask gets them first; the run ends
 * with the farm's own worker and the other that joined, every task done once. */
static void test_down_puts_back_the_tasks_of_a_joined_child_that_leaves(void) {
  farm f;
  farm_start(&f, 1, 10, NULL);
  f.d.accepting = 1; /* as the root sets it with --accept-workers */
  set_attempt(&f, 2, 1);
  CU_ASSERT_EQUAL(join(&f, 2, 100.0), 1);
  uint64_t ids[4];
  ask(&f, 1, 2);
  poll(&f);
  CU_ASSERT_EQUAL(tf__down_dispatch(&f.d, TF_LEFT_UNKNOWN), 1);
  ask(&f, 1, 2);
  poll(&f);
  CU_ASSERT_EQUAL(tf__down_dispatch(&f.d, TF_LEFT_UNKNOWN), 1);
  CU_ASSERT_EQUAL_FATAL(tasks_to(&f.p, 1, ids, 4), 2);
  CU_ASSERT_EQUAL(ids[0], 2);
  CU_ASSERT_EQUAL(ids[1], 3);
  CU_ASSERT_EQUAL(attempt_to(&f, 1, 0), 1);
  CU_ASSERT_EQUAL_FATAL(tf__ledger_held(&f.d.ledger, 1), 4);
  done(&f, 1, 0, 0);
  bye(&f, 1, 1);
  CU_ASSERT_EQUAL(poll(&f), 1);
  CU_ASSERT_EQUAL(f.d.status, 0);
  CU_ASSERT_EQUAL_FATAL(f.s.nresults, 1);
  CU_ASSERT_EQUAL(f.s.results[0], 0);
  CU_ASSERT_EQUAL(f.d.c[1].state, TF_CHILD_DONE);
  CU_ASSERT_EQUAL(f.d.c[1].demand, 0);
  CU_ASSERT_EQUAL(f.p.forgotten, 1);
  CU_ASSERT_EQUAL(f.st.left, 1);
  CU_ASSERT_EQUAL(f.st.left_tasks, 3);
  CU_ASSERT_EQUAL(f.st.lost, 0);
  CU_ASSERT_EQUAL(f.st.lost_tasks, 0);
  CU_ASSERT_EQUAL(f.st.nlost_ranks, 0);
  CU_ASSERT_EQUAL(f.st.peer_lost, 0);
  CU_ASSERT_EQUAL(f.st.retried, 0);
  CU_ASSERT_EQUAL(f.w_tasks[1], 1);
  CU_ASSERT_EQUAL(f.w_busy[1], 1000);
  CU_ASSERT_EQUAL(f.w_frames[1], 2);
  CU_ASSERT_EQUAL(tf__ledger_held(&f.d.ledger, 1), 0);
  CU_ASSERT_EQUAL(tf__down_in_flight(&f.d), 0);
  CU_ASSERT_EQUAL(tf__down_queued(&f.d), 9);
  CU_ASSERT(tf__down_alive(&f.d, 0));
  CU_ASSERT(!tf__down_alive(&f.d, 1));
  CU_ASSERT(tf__down_alive(&f.d, 2));
  ask(&f, 2, 2);
  poll(&f);
  CU_ASSERT_EQUAL(tf__down_dispatch(&f.d, TF_LEFT_UNKNOWN), 1);
  CU_ASSERT_EQUAL_FATAL(tasks_to(&f.p, 2, ids, 4), 2);
  CU_ASSERT_EQUAL(ids[0], 1);
  CU_ASSERT_EQUAL(ids[1], 2);
  CU_ASSERT_EQUAL(attempt_to(&f, 2, 0), 0);
  CU_ASSERT_EQUAL(attempt_to(&f, 2, 1), 1);
  static const int others[] = {0, 2};
  run_out(&f, others, 2);
  CU_ASSERT_EQUAL(f.d.status, 0);
  check_every_result(&f, 10);
  CU_ASSERT_EQUAL(f.st.left, 1);
  CU_ASSERT_EQUAL(f.st.left_tasks, 3);
  CU_ASSERT_EQUAL(f.st.lost, 0);
  farm_stop(&f);
}

/* A goodbye unasked from one of the farm's own workers (child 0) is still a protocol error in
 * a farm that workers joined: nothing is counted as left, nothing is forgotten. */
static void test_down_refuses_an_unasked_goodbye_from_a_child_that_did_not_join(void) {
  farm f;
  farm_start(&f, 2, 4, NULL);
  f.d.accepting = 1;
  CU_ASSERT_EQUAL(join(&f, 1, 100.0), 2);
  CU_ASSERT_EQUAL(f.d.c[0].joined, 0);
  CU_ASSERT_EQUAL(f.d.c[2].joined, 1);
  ask(&f, 0, 2);
  poll(&f);
  CU_ASSERT_EQUAL(tf__down_dispatch(&f.d, TF_LEFT_UNKNOWN), 1);
  bye(&f, 0, 0);
  CU_ASSERT_EQUAL(poll(&f), TF_EPROTO);
  CU_ASSERT_EQUAL(f.d.status, TF_EPROTO);
  CU_ASSERT_EQUAL(f.d.c[0].state, TF_CHILD_DONE);
  CU_ASSERT_EQUAL(f.st.left, 0);
  CU_ASSERT_EQUAL(f.st.left_tasks, 0);
  CU_ASSERT_EQUAL(f.p.forgotten, 0);
  CU_ASSERT_EQUAL(tf__ledger_held(&f.d.ledger, 0), 2); /* nothing went back */
  farm_stop(&f);
}

/* The farm's only worker (holding tasks 0 and 1 of 3) is lost. While jobs may join
 * (d->accepting) that is no failure: its tasks wait in the pool (each a suspect: attempt 1)
 * and the run goes on when a worker joins and asks. Without it the run fails (TF_EMPI). */
static void test_down_waits_for_a_job_when_the_last_worker_is_lost(void) {
  for (int accepting = 1; accepting >= 0; accepting--) {
    farm f;
    farm_start(&f, 1, 3, heartbeats_on);
    f.d.heartbeats = 1;
    f.d.accepting = accepting;
    ask(&f, 0, 2);
    poll(&f);
    CU_ASSERT_EQUAL(tf__down_dispatch(&f.d, TF_LEFT_UNKNOWN), 1);
    double now = 100.0;
    CU_ASSERT_FATAL(silence(&f, 0, &now));
    CU_ASSERT_EQUAL(f.d.c[0].state, TF_CHILD_LOST);
    CU_ASSERT_EQUAL(f.st.lost, 1);
    CU_ASSERT_EQUAL(f.st.lost_tasks, 2);
    CU_ASSERT_EQUAL(tf__down_queued(&f.d), 3);
    CU_ASSERT_EQUAL(tf__down_in_flight(&f.d), 0);
    if (!accepting) {
      CU_ASSERT_EQUAL(f.d.status, TF_EMPI);
      farm_stop(&f);
      continue;
    }
    CU_ASSERT_EQUAL(f.d.status, 0);
    CU_ASSERT_EQUAL(tf__down_dispatch(&f.d, TF_LEFT_UNKNOWN), 0); /* nobody to serve */
    CU_ASSERT_EQUAL(join(&f, 1, now), 1);
    CU_ASSERT_EQUAL(f.d.c[1].slot, 1);
    ask(&f, 1, 2);
    poll(&f);
    CU_ASSERT_EQUAL(tf__down_dispatch(&f.d, TF_LEFT_UNKNOWN), 1);
    uint64_t ids[4];
    CU_ASSERT_EQUAL_FATAL(tasks_to(&f.p, 1, ids, 4), 2);
    CU_ASSERT_EQUAL(ids[0], 0);
    CU_ASSERT_EQUAL(ids[1], 1);
    CU_ASSERT_EQUAL(attempt_to(&f, 1, 0), 1);
    CU_ASSERT_EQUAL(attempt_to(&f, 1, 1), 1);
    static const int joined[] = {1};
    run_out(&f, joined, 1);
    CU_ASSERT_EQUAL(f.d.status, 0);
    check_every_result(&f, 3);
    farm_stop(&f);
  }
}

/* A farm of one rank that accepts workers (tf__layout_root_alone) has no child: nothing to
 * dispatch or check. A job of one worker joins (child 0, rank 1, worker 0), takes tasks 0 and
 * 1, and leaves: the last worker gone is no failure, the tasks wait. A second job's worker
 * (child 1, rank 2, worker 1) runs all four. */
static void test_down_root_alone_serves_jobs_that_join_and_leave(void) {
  farm f;
  memset(&f, 0, sizeof f);
  tf__layout_root_alone(&f.layout);
  farm_begin(&f, 4, NULL);
  f.d.accepting = 1;
  CU_ASSERT_EQUAL(f.d.n, 0);
  CU_ASSERT_EQUAL(tf__down_dispatch(&f.d, TF_LEFT_UNKNOWN), 0);
  tf__down_set_now(&f.d, 100.1);
  CU_ASSERT_EQUAL(tf__down_check(&f.d, 0), 0);
  CU_ASSERT_EQUAL(poll(&f), 0);
  CU_ASSERT_EQUAL(join(&f, 1, 100.1), 0);
  CU_ASSERT_EQUAL(f.d.c[0].slot, 0);
  CU_ASSERT_EQUAL(f.d.policy.nworkers, 1);
  ask(&f, 0, 2);
  poll(&f);
  CU_ASSERT_EQUAL(tf__down_dispatch(&f.d, TF_LEFT_UNKNOWN), 1);
  CU_ASSERT_EQUAL(tf__ledger_held(&f.d.ledger, 0), 2);
  bye(&f, 0, 0);
  CU_ASSERT_EQUAL(poll(&f), 1);
  CU_ASSERT_EQUAL(f.d.status, 0);
  CU_ASSERT_EQUAL(f.st.left, 1);
  CU_ASSERT_EQUAL(f.st.left_tasks, 2);
  CU_ASSERT_EQUAL(tf__down_queued(&f.d), 4);
  CU_ASSERT_EQUAL(tf__down_dispatch(&f.d, TF_LEFT_UNKNOWN), 0);
  CU_ASSERT_EQUAL(join(&f, 1, 100.2), 1);
  CU_ASSERT_EQUAL(f.d.c[1].slot, 1);
  CU_ASSERT_EQUAL(tf__layout_child_rank(&f.layout, 1), 2);
  CU_ASSERT_EQUAL(f.d.policy.nworkers, 2);
  static const int second[] = {1};
  run_out(&f, second, 1);
  CU_ASSERT_EQUAL(f.d.status, 0);
  check_every_result(&f, 4);
  CU_ASSERT_EQUAL(f.st.left, 1);
  CU_ASSERT_EQUAL(f.st.left_tasks, 2);
  farm_stop(&f);
}

/* A joined worker (child 1) holds tasks 0 and 1; task 0, past --task-timeout, is copied to the
 * idle child 0. The joined worker leaves: task 0 is not handed back (its copy runs on child
 * 0), task 1 is; one task counted as handed back. The copy's result counts, and child 0 runs
 * task 1 too. */
static void test_down_leaves_a_copied_task_to_its_twin(void) {
  farm f;
  farm_start(&f, 1, 2, slow_tasks);
  f.d.accepting = 1;
  CU_ASSERT_EQUAL(join(&f, 1, 100.0), 1);
  ask(&f, 1, 2);
  poll(&f);
  CU_ASSERT_EQUAL(tf__down_dispatch(&f.d, TF_LEFT_UNKNOWN), 1);
  CU_ASSERT_EQUAL_FATAL(tf__ledger_held(&f.d.ledger, 1), 2);
  ask(&f, 0, 2); /* nothing left in the pool */
  poll(&f);
  tf__down_set_now(&f.d, 101.5);
  CU_ASSERT_EQUAL(tf__down_check(&f.d, 0), 1);
  CU_ASSERT_EQUAL(f.st.copies, 1);
  uint64_t ids[4];
  CU_ASSERT_EQUAL_FATAL(tasks_to(&f.p, 0, ids, 4), 1);
  CU_ASSERT_EQUAL(ids[0], 0);
  bye(&f, 1, 0);
  CU_ASSERT_EQUAL(poll(&f), 1);
  CU_ASSERT_EQUAL(f.d.status, 0);
  CU_ASSERT_EQUAL(f.st.left, 1);
  CU_ASSERT_EQUAL(f.st.left_tasks, 1);
  CU_ASSERT_EQUAL(tf__down_queued(&f.d), 1);
  CU_ASSERT_EQUAL(tf__down_in_flight(&f.d), 1);
  CU_ASSERT_EQUAL(f.d.copies.n, 1);
  CU_ASSERT_EQUAL(f.d.copies.stale, 0);
  done(&f, 0, 0, 1);
  poll(&f);
  CU_ASSERT_EQUAL(f.d.copies.n, 0);
  CU_ASSERT_EQUAL(f.st.copies_dropped, 0);
  CU_ASSERT_EQUAL(tf__down_dispatch(&f.d, TF_LEFT_UNKNOWN), 1);
  CU_ASSERT_EQUAL_FATAL(tasks_to(&f.p, 0, ids, 4), 1);
  CU_ASSERT_EQUAL(ids[0], 1);
  done(&f, 0, 1, 0);
  poll(&f);
  CU_ASSERT_EQUAL(f.d.status, 0);
  check_every_result(&f, 2);
  CU_ASSERT(tf__down_idle(&f.d));
  farm_stop(&f);
}

/* The root's per-worker counters grow with the farm (tf__stats_grow_workers): from 2 workers
 * to 5, the first two as they were, the new ones zero; growing to as many changes nothing. */
static void test_down_grows_the_per_worker_counters(void) {
  tf_run_stats s;
  memset(&s, 0, sizeof s);
  CU_ASSERT_EQUAL_FATAL(tf__stats_alloc_workers(&s, 2), 0);
  for (int w = 0; w < 2; w++) {
    s.w_tasks[w] = 10 + (uint64_t)w;
    s.w_busy_ns[w] = 20 + (uint64_t)w;
    s.w_wait_ns[w] = 30 + (uint64_t)w;
    s.w_frames[w] = 40 + (uint64_t)w;
  }
  CU_ASSERT_EQUAL_FATAL(tf__stats_grow_workers(&s, 2, 5), 0);
  for (int w = 0; w < 5; w++) {
    uint64_t was = w < 2 ? (uint64_t)w : 0;
    CU_ASSERT_EQUAL(s.w_tasks[w], w < 2 ? 10 + was : 0);
    CU_ASSERT_EQUAL(s.w_busy_ns[w], w < 2 ? 20 + was : 0);
    CU_ASSERT_EQUAL(s.w_wait_ns[w], w < 2 ? 30 + was : 0);
    CU_ASSERT_EQUAL(s.w_frames[w], w < 2 ? 40 + was : 0);
  }
  s.w_tasks[4] = 7;
  CU_ASSERT_EQUAL_FATAL(tf__stats_grow_workers(&s, 5, 5), 0);
  CU_ASSERT_EQUAL(s.w_tasks[4], 7);
  CU_ASSERT_EQUAL(s.w_tasks[1], 11);
  tf__stats_free_workers(&s);
}

int main(void) {
  static const tf_unit_test tests[] = {
      TF_UNIT_TEST(test_down_answers_requests_by_the_plan),
      TF_UNIT_TEST(test_down_takes_no_more_frames_while_the_sink_is_full),
      TF_UNIT_TEST(test_down_refuses_a_result_out_of_order),
      TF_UNIT_TEST(test_down_takes_a_task_started_out_of_turn),
      TF_UNIT_TEST(test_down_runs_a_failed_task_again_elsewhere),
      TF_UNIT_TEST(test_down_hands_a_failed_runs_output_with_its_failure),
      TF_UNIT_TEST(test_down_hands_pieces_of_the_running_task_to_the_sink),
      TF_UNIT_TEST(test_down_takes_back_a_lost_childs_tasks),
      TF_UNIT_TEST(test_down_gives_up_a_task_that_loses_two_children),
      TF_UNIT_TEST(test_down_copies_a_straggler_and_keeps_the_first_result),
      TF_UNIT_TEST(test_down_checks_spawned_ids),
      TF_UNIT_TEST(test_down_hands_room_back),
      TF_UNIT_TEST(test_down_stop_waits_for_every_goodbye),
      TF_UNIT_TEST(test_down_serves_a_relay_for_each_of_its_workers),
      TF_UNIT_TEST(test_down_answers_a_second_request_after_the_first),
      TF_UNIT_TEST(test_down_limits_a_relays_request_to_prefetch_times_width),
      TF_UNIT_TEST(test_down_refuses_what_a_relay_does_not_hold),
      TF_UNIT_TEST(test_down_checks_a_relays_spawned_ids),
      TF_UNIT_TEST(test_down_refuses_start_from_a_relay),
      TF_UNIT_TEST(test_down_splits_a_relays_goodbye_by_origin),
      TF_UNIT_TEST(test_down_gives_up_what_a_relay_lost),
      TF_UNIT_TEST(test_down_refuses_lost_from_a_worker_or_for_a_task_not_held),
      TF_UNIT_TEST(test_down_takes_the_worker_a_relay_names),
      TF_UNIT_TEST(test_down_refuses_slow_from_a_worker_or_for_a_task_not_held),
      TF_UNIT_TEST(test_down_charges_a_relays_lost_but_not_its_slow),
      TF_UNIT_TEST(test_down_copies_a_relays_slow_task_to_an_idle_worker),
      TF_UNIT_TEST(test_down_copies_a_relays_other_tasks_when_a_copy_wins),
      TF_UNIT_TEST(test_down_drops_a_relays_lost_while_a_copy_runs),
      TF_UNIT_TEST(test_down_marks_a_copy_sent_to_a_relay),
      TF_UNIT_TEST(test_down_serves_nothing_to_a_one_worker_relay_stuck_in_a_task),
      TF_UNIT_TEST(test_down_gives_up_a_task_hanging_on_two_one_worker_relays),
      TF_UNIT_TEST(test_down_keeps_a_wider_relay_running_past_a_task_that_hangs),
      TF_UNIT_TEST(test_down_loses_a_relay_that_leaves_early),
      TF_UNIT_TEST(test_down_counts_the_fates_in_a_relays_goodbye),
      TF_UNIT_TEST(test_down_stops_relays_first_and_tells_workers_of_their_losses),
      TF_UNIT_TEST(test_down_stops_its_workers_when_a_relay_does_not_stop),
      TF_UNIT_TEST(test_down_hears_of_a_loss_behind_a_relay_before_the_stop),
      TF_UNIT_TEST(test_down_leaves_a_relays_worker_in_a_copy_before_the_timeout),
      TF_UNIT_TEST(test_down_takes_the_tasks_behind_a_copy_from_a_relays_stuck_worker),
      TF_UNIT_TEST(test_down_serves_children_that_join),
      TF_UNIT_TEST(test_down_puts_back_the_tasks_of_a_joined_child_that_leaves),
      TF_UNIT_TEST(test_down_refuses_an_unasked_goodbye_from_a_child_that_did_not_join),
      TF_UNIT_TEST(test_down_waits_for_a_job_when_the_last_worker_is_lost),
      TF_UNIT_TEST(test_down_root_alone_serves_jobs_that_join_and_leave),
      TF_UNIT_TEST(test_down_leaves_a_copied_task_to_its_twin),
      TF_UNIT_TEST(test_down_grows_the_per_worker_counters),
      TF_UNIT_END,
  };
  return tf_unit_run("down", tests);
}
