/* test_up.c - the upstream engine (src/up.c) without MPI, through a port in memory: it asks
 * its parent for what the plan says, runs tasks in the order they came (but a higher priority
 * first, with a START entry for the parent) and reports them in the order they ran, holds
 * results back when the parent has given no room and sends them when room comes back, sends
 * pieces of a running task's output at once (or with the results, when room lacks), refuses
 * answers it did not ask for, times short tasks in groups, and says goodbye with its counts. A
 * relay's link asks for the depth of each of its workers, counting what it holds below, and
 * hands what it gets to its queue, a copy of a slow task marked not to be copied again, and
 * tells its parent once that a worker of its was lost. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fake_port.h"
#include "taskfarm.h"
#include "unit.h"
#include "up.h"

typedef struct link {
  tf_layout layout;
  tf_config cfg;
  fake_port p;
  tf_up u;
} link;

/* A worker under --schedule dynamic --chunk `chunk` --prefetch 4: its first request asks for
 * two chunks. */
static void link_start_chunk(link *l, uint64_t max_in_flight, int chunk) {
  memset(l, 0, sizeof *l);
  tf__layout_init(&l->layout, 1, 2); /* a worker whose parent is rank 0 */
  tf_config_defaults(&l->cfg);
  l->cfg.schedule = TF_SCHEDULE_DYNAMIC;
  l->cfg.chunk = chunk;
  l->cfg.prefetch = 4;
  if (max_in_flight) l->cfg.max_in_flight = max_in_flight;
  CU_ASSERT_EQUAL_FATAL(tf__up_init(&l->u, &l->layout, &l->cfg, fake(&l->p), NULL), 0);
}

static void link_start(link *l, uint64_t max_in_flight) { link_start_chunk(l, max_in_flight, 2); }

static void link_stop(link *l) {
  tf__up_destroy(&l->u);
  fake_port_free(&l->p);
}

/* The parent answers with tasks first .. first + n - 1 (payload: the id), plan depth 4, chunk 2. */
static void send_tasks(link *l, uint64_t first, int n) {
  tf_wbuf w = {0};
  tf__wire_begin(&w, TF_MSG_TASKS, TF_WIRE_PLAN(4, 2));
  for (uint64_t id = first; id < first + (uint64_t)n; id++)
    tf__wire_add_task(&w, id, 0, 0, &id, sizeof id);
  arrive(&l->p, 0, &w);
  tf__wbuf_free(&w);
}

/* A link (max_in_flight as for link_start) that asked for tasks and received tasks first to
 * first + n - 1. */
static void link_holding(link *l, uint64_t max_in_flight, uint64_t first, int n) {
  link_start(l, max_in_flight);
  tf__up_flush_idle(&l->u);
  send_tasks(l, first, n);
  CU_ASSERT_EQUAL(tf__up_poll(&l->u), 1);
}

static void send_control(link *l, unsigned kind, uint32_t aux, uint64_t credit) {
  tf_wbuf w = {0};
  tf__wire_begin(&w, kind, aux);
  if (kind == TF_MSG_CREDIT) tf__wire_add_credit(&w, credit);
  arrive(&l->p, 0, &w);
  tf__wbuf_free(&w);
}

/* Run the next task with a result of size bytes (its id, then zeros). */
static uint64_t run_one(link *l, size_t size) {
  tf_entry e;
  CU_ASSERT_FATAL(tf__up_can_run(&l->u));
  CU_ASSERT_EQUAL_FATAL(tf__up_begin(&l->u, &e), 0);
  unsigned char *result = calloc(1, size);
  memcpy(result, &e.id, sizeof e.id < size ? sizeof e.id : size);
  tf_wbuf none = {0};
  CU_ASSERT_EQUAL(tf__up_end(&l->u, &e, 1, &none, 0, result, size, 0, NULL), 0);
  free(result);
  return e.id;
}

/* The entries of the given type in the k-th frame sent (k < 0: from the end). */
static int ids_in(link *l, int k, unsigned type, uint64_t *ids, int cap, tf_frame *f) {
  if (k < 0) k += l->p.nsent;
  CU_ASSERT_FATAL(k >= 0 && k < l->p.nsent);
  CU_ASSERT_EQUAL_FATAL(tf__wire_decode(l->p.sent[k].buf, l->p.sent[k].len, 1u << 30, f, NULL, 0),
                        0);
  size_t pos = 0;
  tf_entry e;
  int n = 0;
  while (tf__wire_next(f, &pos, &e))
    if (e.type == type && n < cap) ids[n++] = e.id;
  return n;
}

static void pause_ms(long ms) {
  struct timespec ts = {0, ms * 1000000L};
  nanosleep(&ts, NULL);
}

/* Idle as a worker does once results have waited their time for the answer:
 * empty turns (the engine reads the clock on some of them only) until a
 * frame goes, at most 16. Returns the last flush_idle's value. */
static int idle_after_hold(link *l) {
  pause_ms(1);
  int rc = 0;
  for (int k = 0; k < 16 && rc == 0; k++)
    rc = tf__up_flush_idle(&l->u);
  return rc;
}

static void test_up_asks_runs_and_reports_in_order(void) {
  link l;
  link_start(&l, 0);
  CU_ASSERT_EQUAL(tf__up_flush_idle(&l.u), 1); /* nothing in hand: a request */
  tf_frame f;
  uint64_t ids[8];
  CU_ASSERT_EQUAL(ids_in(&l, -1, TF_ENT_RESULT, ids, 8, &f), 0);
  CU_ASSERT_EQUAL(f.kind, TF_MSG_RESULTS);
  uint32_t asked = TF_WIRE_ASK_TASKS(f.aux);
  CU_ASSERT(asked >= 2 && asked <= 4);
  CU_ASSERT_EQUAL(tf__up_flush_idle(&l.u), 0); /* what it asked for counts as held */
  send_tasks(&l, 10, 2);
  CU_ASSERT_EQUAL(tf__up_poll(&l.u), 1);
  CU_ASSERT_EQUAL(run_one(&l, 8), 10);
  CU_ASSERT_EQUAL(run_one(&l, 8), 11);
  CU_ASSERT(!tf__up_can_run(&l.u));
  CU_ASSERT_EQUAL(l.u.in.n, 0); /* both frames' buffers went back to the port */
  int before = l.p.nsent;
  CU_ASSERT_EQUAL(idle_after_hold(&l), 1);
  CU_ASSERT_EQUAL(l.p.nsent, before + 1);
  CU_ASSERT_EQUAL(ids_in(&l, -1, TF_ENT_RESULT, ids, 8, &f), 2);
  CU_ASSERT_EQUAL(ids[0], 10);
  CU_ASSERT_EQUAL(ids[1], 11);
  CU_ASSERT(l.u.asked > 0); /* the next request went before the tasks in hand ran out */
  link_stop(&l);
}

/* Under --chunk 1 (depth 2) a worker asks for 2 and gets them; it asks for 1 more when it
 * starts the second (1 held), and once that ends asks again before the answer came (nothing
 * held, 1 asked for): two requests open, and then it asks for nothing. Each is answered by
 * one frame: after the first, 1 is asked for, and holding the task that came it has all it
 * may. A frame with more than the oldest request asked for is refused. */
static void test_up_asks_again_while_a_request_is_open(void) {
  link l;
  link_start_chunk(&l, 0, 1);
  CU_ASSERT_EQUAL(tf__up_flush_idle(&l.u), 1);
  CU_ASSERT_EQUAL(l.u.asked, 2);
  send_tasks(&l, 10, 2); /* plan depth 4, chunk 2: back to depth 2, chunk 1 below */
  CU_ASSERT_EQUAL(tf__up_poll(&l.u), 1);
  CU_ASSERT_EQUAL(l.u.asked, 0);
  l.u.plan = (tf_plan){2, 1, 0};
  int before = l.p.nsent;
  CU_ASSERT_EQUAL(run_one(&l, 8), 10); /* starting 11 leaves 1 held: it asks for 1 */
  CU_ASSERT_EQUAL(run_one(&l, 8), 11);
  CU_ASSERT_EQUAL(l.u.asked, 1);
  CU_ASSERT_EQUAL(tf__up_flush_idle(&l.u), 1); /* 0 held, 1 asked for: one more */
  CU_ASSERT_EQUAL(l.u.asked, 2);
  CU_ASSERT_EQUAL(l.p.nsent, before + 2);
  tf_frame f;
  uint64_t ids[4];
  CU_ASSERT_EQUAL(ids_in(&l, -1, TF_ENT_RESULT, ids, 4, &f), 1);
  CU_ASSERT_EQUAL(TF_WIRE_ASK_TASKS(f.aux), 1);
  CU_ASSERT_EQUAL(ids[0], 11);
  CU_ASSERT_EQUAL(tf__up_want(&l.u), 0); /* two open */
  tf_wbuf w = {0};
  tf__wire_begin(&w, TF_MSG_TASKS, TF_WIRE_PLAN(2, 1));
  uint64_t id = 12;
  tf__wire_add_task(&w, id, 0, 0, &id, sizeof id);
  arrive(&l.p, 0, &w);
  tf__wbuf_free(&w);
  CU_ASSERT_EQUAL(tf__up_poll(&l.u), 1);
  CU_ASSERT(!l.u.gave_up);
  CU_ASSERT_EQUAL(l.u.asked, 1);
  CU_ASSERT_EQUAL(tf__up_want(&l.u), 0);
  send_tasks(&l, 13, 2); /* 2 where the open request asked for 1 */
  CU_ASSERT_EQUAL(tf__up_poll(&l.u), 1);
  CU_ASSERT(l.u.gave_up);
  link_stop(&l);
}

static void test_up_runs_a_higher_priority_first_and_says_so(void) {
  link l;
  link_start(&l, 0);
  tf__up_flush_idle(&l.u);
  tf_wbuf w = {0};
  tf__wire_begin(&w, TF_MSG_TASKS, TF_WIRE_PLAN(4, 2));
  for (uint64_t id = 10; id < 12; id++) /* 11 has the higher priority */
    tf__wire_add_task(&w, id, id == 11 ? 5 : 0, 0, &id, sizeof id);
  arrive(&l.p, 0, &w);
  tf__wbuf_free(&w);
  CU_ASSERT_EQUAL(tf__up_poll(&l.u), 1);
  int before = l.p.nsent;
  CU_ASSERT_EQUAL(run_one(&l, 8), 11);
  /* The START went with the request sent before the task ran, ahead of its result. */
  CU_ASSERT_EQUAL_FATAL(l.p.nsent, before + 1);
  tf_frame f;
  uint64_t ids[8];
  CU_ASSERT_EQUAL(ids_in(&l, before, TF_ENT_START, ids, 8, &f), 1);
  CU_ASSERT_EQUAL(ids[0], 11);
  CU_ASSERT_EQUAL(ids_in(&l, before, TF_ENT_RESULT, ids, 8, &f), 0);
  CU_ASSERT_EQUAL(run_one(&l, 8), 10); /* in turn: no START */
  CU_ASSERT_EQUAL(idle_after_hold(&l), 1);
  CU_ASSERT_EQUAL(ids_in(&l, -1, TF_ENT_START, ids, 8, &f), 0);
  CU_ASSERT_EQUAL(ids_in(&l, -1, TF_ENT_RESULT, ids, 8, &f), 2);
  CU_ASSERT_EQUAL(ids[0], 11);
  CU_ASSERT_EQUAL(ids[1], 10);
  link_stop(&l);
}

static void test_up_reports_a_failure(void) {
  link l;
  link_holding(&l, 0, 5, 1);
  tf_entry e;
  CU_ASSERT_EQUAL_FATAL(tf__up_begin(&l.u, &e), 0);
  tf_wbuf none = {0};
  CU_ASSERT_EQUAL(tf__up_end(&l.u, &e, 0, &none, 0, NULL, 0, 3, "it broke"), 0);
  idle_after_hold(&l);
  tf_frame f;
  uint64_t ids[4];
  CU_ASSERT_EQUAL(ids_in(&l, -1, TF_ENT_FAIL, ids, 4, &f), 1);
  CU_ASSERT_EQUAL(ids[0], 5);
  CU_ASSERT_EQUAL(ids_in(&l, -1, TF_ENT_RESULT, ids, 4, &f), 0);
  CU_ASSERT_EQUAL(l.u.failed, 1);
  link_stop(&l);
}

/* More tasks than asked for, or a plan beyond --prefetch: the rank gives up with an ERROR. */
static void test_up_refuses_what_it_did_not_ask_for(void) {
  link l;
  link_start(&l, 0);
  tf__up_flush_idle(&l.u);
  send_tasks(&l, 0, 5); /* at most 4 were asked for */
  CU_ASSERT_EQUAL(tf__up_poll(&l.u), 1);
  tf_frame f;
  uint64_t ids[1];
  ids_in(&l, -1, TF_ENT_TEXT, ids, 1, &f);
  CU_ASSERT_EQUAL(f.kind, TF_MSG_ERROR);
  CU_ASSERT(l.u.gave_up);
  CU_ASSERT(!tf__up_can_run(&l.u));
  CU_ASSERT_EQUAL(tf__up_flush_idle(&l.u), 0); /* and asks for nothing more */
  link_stop(&l);

  link_start(&l, 0);
  tf__up_flush_idle(&l.u);
  tf_wbuf w = {0};
  tf__wire_begin(&w, TF_MSG_TASKS, TF_WIRE_PLAN(64, 2)); /* depth 64, --prefetch 4 */
  uint64_t id = 1;
  tf__wire_add_task(&w, id, 0, 0, &id, sizeof id);
  arrive(&l.p, 0, &w);
  tf__wbuf_free(&w);
  tf__up_poll(&l.u);
  ids_in(&l, -1, TF_ENT_TEXT, ids, 1, &f);
  CU_ASSERT_EQUAL(f.kind, TF_MSG_ERROR);
  CU_ASSERT(l.u.gave_up);
  link_stop(&l);
}

/* With a share of 64 KiB, a second 40 KiB result waits until the parent hands room back; the
 * rank asks for room once, and room for more than was sent is refused. */
static void test_up_holds_results_back_for_room(void) {
  enum { SIZE = 40 << 10 };
  link l;
  link_holding(&l, 64 << 10, 0, 2);
  run_one(&l, SIZE);
  CU_ASSERT_EQUAL(idle_after_hold(&l), 1); /* nothing on the way: it goes */
  size_t first_len = l.p.sent[l.p.nsent - 1].len;
  run_one(&l, SIZE);
  int before = l.p.nsent;
  idle_after_hold(&l);
  CU_ASSERT_EQUAL(l.p.nsent, before + 1); /* only the request for room */
  tf_frame f;
  uint64_t ids[4];
  CU_ASSERT_EQUAL(ids_in(&l, -1, TF_ENT_RESULT, ids, 4, &f), 0);
  CU_ASSERT(f.aux & TF_WIRE_ASK_ROOM);
  idle_after_hold(&l);
  CU_ASSERT_EQUAL(l.p.nsent, before + 1); /* asked once */
  send_control(&l, TF_MSG_CREDIT, 0, first_len);
  CU_ASSERT_EQUAL(tf__up_poll(&l.u), 1);
  CU_ASSERT_EQUAL(idle_after_hold(&l), 1);
  CU_ASSERT_EQUAL(ids_in(&l, -1, TF_ENT_RESULT, ids, 4, &f), 1);
  CU_ASSERT_EQUAL(ids[0], 1);
  CU_ASSERT(!l.u.gave_up);
  send_control(&l, TF_MSG_CREDIT, 0, 1u << 30); /* more than is on the way */
  tf__up_poll(&l.u);
  CU_ASSERT(l.u.gave_up);
  link_stop(&l);
}

/* A link that asked, got tasks 0 and 1, and ran both (empty tasks: short). */
static void link_ran_two(link *l) {
  link_start(l, 0);
  tf__up_flush_idle(&l->u);
  send_tasks(l, 0, 2);
  tf__up_poll(&l->u);
  run_one(l, 8);
  run_one(l, 8);
}

static void test_up_times_short_tasks_in_groups(void) {
  link l;
  link_ran_two(&l);
  CU_ASSERT_EQUAL(l.u.unclocked, 2); /* empty tasks: no clock read of their own */
  CU_ASSERT_EQUAL(l.u.tasks, 0);
  CU_ASSERT_EQUAL(tf__up_quiet(&l.u), 0); /* a wait: what ran is clocked first */
  CU_ASSERT_EQUAL(l.u.unclocked, 0);
  CU_ASSERT_EQUAL(l.u.tasks, 2);
  CU_ASSERT(l.u.busy_ns > 0);
  link_stop(&l);
}

/* An answer that comes while a long task runs is seen only after it: the task's time is not
 * counted as waiting for the answer (the plan would have a worker of long tasks hold several). */
static void test_up_does_not_count_a_long_task_as_waiting(void) {
  link l;
  link_holding(&l, 0, 10, 2);
  tf_entry e;
  CU_ASSERT_EQUAL_FATAL(tf__up_begin(&l.u, &e), 0); /* holds 2 of 4: asks for 2 more */
  CU_ASSERT_FATAL(l.u.asked > 0);
  send_tasks(&l, 12, 2); /* the answer, there before the task ends */
  pause_ms(30);
  tf_wbuf none = {0};
  CU_ASSERT_EQUAL(tf__up_end(&l.u, &e, 1, &none, 0, "r", 1, 0, NULL), 0);
  CU_ASSERT_EQUAL(tf__up_poll(&l.u), 1);
  CU_ASSERT_EQUAL(l.u.waits, 2);
  /* The first answer came at once; this one within a few ms of the task's end, not 30 ms. */
  CU_ASSERT(l.u.wait_max < 10000000u);
  link_stop(&l);
}

/* The parent answers with tasks first .. first + n - 1 and the plan depth, chunk. */
static void send_plan_tasks(link *l, uint64_t first, int n, int depth, int chunk) {
  tf_wbuf w = {0};
  tf__wire_begin(&w, TF_MSG_TASKS, TF_WIRE_PLAN(depth, chunk));
  for (uint64_t id = first; id < first + (uint64_t)n; id++)
    tf__wire_add_task(&w, id, 0, 0, &id, sizeof id);
  arrive(&l->p, 0, &w);
  tf__wbuf_free(&w);
}

/* The same with two requests open: under a plan of depth 4, chunk 1, a worker holding 2 asks
 * for 2 when it starts the first (R1), and for 1 more when it starts the second with R1 still
 * open (R2). Both answers come while that task runs 30 ms: neither wait counts the task. */
static void test_up_does_not_count_a_long_task_as_waiting_for_either_request(void) {
  link l;
  link_start_chunk(&l, 0, 1);
  CU_ASSERT_EQUAL(tf__up_flush_idle(&l.u), 1); /* asks for 2 */
  send_plan_tasks(&l, 10, 2, 4, 1);
  CU_ASSERT_EQUAL(tf__up_poll(&l.u), 1);
  CU_ASSERT_EQUAL(run_one(&l, 8), 10); /* R1: 2 */
  CU_ASSERT_EQUAL(l.u.asked, 2);
  tf_entry e;
  CU_ASSERT_EQUAL_FATAL(tf__up_begin(&l.u, &e), 0); /* task 11, the last in hand: R2, 1 */
  CU_ASSERT_EQUAL(l.u.asked, 3);
  CU_ASSERT_EQUAL(l.u.asked_first, 2);
  uint64_t waits = l.u.waits;
  send_plan_tasks(&l, 12, 2, 4, 1);
  send_plan_tasks(&l, 14, 1, 4, 1);
  pause_ms(30);
  tf_wbuf none = {0};
  CU_ASSERT_EQUAL(tf__up_end(&l.u, &e, 1, &none, 0, "r", 1, 0, NULL), 0);
  CU_ASSERT_EQUAL(tf__up_poll(&l.u), 1);
  CU_ASSERT(!l.u.gave_up);
  CU_ASSERT_EQUAL(l.u.asked, 0);
  CU_ASSERT_EQUAL(l.u.waits, waits + 2);
  CU_ASSERT(l.u.wait_max < 10000000u); /* within a few ms of the task's end, not 30 ms */
  link_stop(&l);
}

/* Tasks that come while a task runs (its tf_partial waits for room, and polls) came before
 * that task's end: their arrival is never taken as the start of the next task or the time of
 * the next request (that would count the rest of the running task as waiting for an answer). */
static void test_up_takes_no_arrival_from_inside_a_task(void) {
  link l;
  link_holding(&l, 0, 10, 2);
  CU_ASSERT(l.u.tasks_came >= 0); /* they came just now: a task begun at once starts then */
  tf_entry e;
  CU_ASSERT_EQUAL_FATAL(tf__up_begin(&l.u, &e), 0);
  CU_ASSERT(l.u.tasks_came < 0); /* the task runs: time passes */
  send_tasks(&l, 12, 2);
  CU_ASSERT_EQUAL(tf__up_poll(&l.u), 1); /* as tf_partial's wait for room does */
  CU_ASSERT(l.u.tasks_came < 0);
  tf_wbuf none = {0};
  CU_ASSERT_EQUAL(tf__up_end(&l.u, &e, 1, &none, 0, "r", 1, 0, NULL), 0);
  CU_ASSERT(l.u.tasks_came < 0);
  link_stop(&l);
}

/* The type and id of entry k of the frame f. */
static unsigned entry_at(const tf_frame *f, int k, uint64_t *id) {
  size_t pos = 0;
  tf_entry e = {0};
  for (int j = 0; j <= k; j++)
    CU_ASSERT_FATAL(tf__wire_next(f, &pos, &e));
  *id = e.id;
  return e.type;
}

/* A piece of the running task's output (tf_partial) goes at once, tagged with the task; there
 * is none outside a task. */
static void test_up_sends_a_piece_of_output_at_once(void) {
  link l;
  link_start(&l, 0);
  CU_ASSERT_EQUAL(tf__up_partial(&l.u, "x", 1), TF_ESTATE); /* no task runs */
  tf__up_flush_idle(&l.u);
  send_tasks(&l, 10, 2);
  tf__up_poll(&l.u);
  tf_entry e;
  CU_ASSERT_EQUAL_FATAL(tf__up_begin(&l.u, &e), 0);
  int before = l.p.nsent;
  CU_ASSERT_EQUAL(tf__up_partial(&l.u, "line 1\n", 7), 0);
  CU_ASSERT_EQUAL(l.p.nsent, before + 1);
  tf_frame f;
  uint64_t ids[4];
  CU_ASSERT_EQUAL(ids_in(&l, -1, TF_ENT_PARTIAL, ids, 4, &f), 1);
  CU_ASSERT_EQUAL(ids[0], 10);
  tf_wbuf none = {0};
  CU_ASSERT_EQUAL(tf__up_end(&l.u, &e, 1, &none, 0, "r", 1, 0, NULL), 0);
  link_stop(&l);
}

/* Without room a piece waits with the results, and stays when its task then fails (a failed
 * run's children are dropped, not what it sent); once a full frame waits, tf__up_partial waits
 * for the room the parent hands back. */
static void test_up_holds_pieces_for_room(void) {
  enum { SIZE = 40 << 10 };
  link l;
  link_holding(&l, 64 << 10, 0, 2);
  tf_entry e;
  CU_ASSERT_EQUAL_FATAL(tf__up_begin(&l.u, &e), 0);
  static char piece[2u << 20];
  CU_ASSERT_EQUAL(tf__up_partial(&l.u, piece, SIZE), 0); /* nothing on the way: it goes */
  size_t first_len = l.p.sent[l.p.nsent - 1].len;
  int before = l.p.nsent;
  CU_ASSERT_EQUAL(tf__up_partial(&l.u, piece, SIZE), 0); /* no room: it waits */
  CU_ASSERT_EQUAL(l.p.nsent, before + 1);                /* only the request for room */
  tf_frame f;
  uint64_t ids[4];
  CU_ASSERT_EQUAL(ids_in(&l, -1, TF_ENT_PARTIAL, ids, 4, &f), 0);
  CU_ASSERT(f.aux & TF_WIRE_ASK_ROOM);
  tf_wbuf none = {0};
  CU_ASSERT_EQUAL(tf__up_end(&l.u, &e, 0, &none, 0, NULL, 0, 3, "failed"), 0);
  send_control(&l, TF_MSG_CREDIT, 0, first_len);
  CU_ASSERT_EQUAL(tf__up_poll(&l.u), 1);
  CU_ASSERT_EQUAL(idle_after_hold(&l), 1);
  CU_ASSERT_EQUAL(ids_in(&l, -1, TF_ENT_PARTIAL, ids, 4, &f), 1);
  uint64_t id;
  CU_ASSERT_EQUAL(entry_at(&f, 0, &id), TF_ENT_PARTIAL);
  CU_ASSERT_EQUAL(entry_at(&f, 1, &id), TF_ENT_FAIL); /* the piece, then its run's failure */
  CU_ASSERT_EQUAL(id, 0);
  send_control(&l, TF_MSG_CREDIT, 0, l.p.sent[l.p.nsent - 1].len);
  CU_ASSERT_EQUAL(tf__up_poll(&l.u), 1);

  /* Task 1: a piece of 40 KiB is on the way; a piece of 2 MiB, a full frame, waits for room.
   * The room is there before the call, in the port: the call takes it and sends. */
  CU_ASSERT_EQUAL_FATAL(tf__up_begin(&l.u, &e), 0);
  before = l.p.nsent;
  CU_ASSERT_EQUAL(tf__up_partial(&l.u, piece, SIZE), 0);
  CU_ASSERT_EQUAL_FATAL(l.p.nsent, before + 1);
  send_control(&l, TF_MSG_CREDIT, 0, l.p.sent[l.p.nsent - 1].len);
  before = l.p.nsent;
  CU_ASSERT_EQUAL(tf__up_partial(&l.u, piece, sizeof piece), 0);
  CU_ASSERT(l.p.nsent > before);
  CU_ASSERT_EQUAL(ids_in(&l, -1, TF_ENT_PARTIAL, ids, 4, &f), 1);
  CU_ASSERT_EQUAL(ids[0], 1);
  CU_ASSERT_EQUAL(l.u.out.count, 0); /* nothing waits any more */
  CU_ASSERT(!l.u.gave_up);
  CU_ASSERT_EQUAL(tf__up_end(&l.u, &e, 1, &none, 0, "r", 1, 0, NULL), 0);
  link_stop(&l);
}

static void test_up_stop_and_goodbye(void) {
  link l;
  link_ran_two(&l);
  send_control(&l, TF_MSG_STOP, TF_WIRE_STOP(TF_ESTOPPED, 1), 0);
  CU_ASSERT_EQUAL(tf__up_poll(&l.u), 1);
  CU_ASSERT(l.u.stop);
  CU_ASSERT_EQUAL(l.u.stop_status, TF_ESTOPPED);
  CU_ASSERT(l.u.peer_lost);
  tf__up_bye(&l.u);
  tf_frame f;
  uint64_t ids[1];
  ids_in(&l, -1, TF_ENT_STATS, ids, 1, &f);
  CU_ASSERT_EQUAL(f.kind, TF_MSG_BYE);
  size_t pos = 0;
  tf_entry e;
  CU_ASSERT_FATAL(tf__wire_next(&f, &pos, &e));
  CU_ASSERT_EQUAL(e.type, TF_ENT_STATS);
  uint64_t v[TF_WIRE_STATS_N];
  tf__wire_stats(&e, v);
  CU_ASSERT_EQUAL(v[0], 2); /* tasks run, though neither was clocked before */
  link_stop(&l);
}

/* ---- a relay's link ---- */

/* A relay's link: rank 1 of 5 relays for ranks 2, 3, 4 (width 3), under --prefetch prefetch
 * (--chunk 2) and max_in_flight as for link_start, with the plan depth 4, chunk 2 that the
 * tests below take as the parent's. */
static void relay_link_start(link *l, int prefetch, uint64_t max_in_flight) {
  static const int group[5] = {0, 1, 1, 1, 1};
  memset(l, 0, sizeof *l);
  CU_ASSERT_EQUAL_FATAL(tf__layout_init_groups(&l->layout, 1, 5, group), 0);
  CU_ASSERT_EQUAL_FATAL(l->layout.role, TF_ROLE_RELAY);
  CU_ASSERT_EQUAL_FATAL(l->layout.width, 3);
  tf_config_defaults(&l->cfg);
  l->cfg.schedule = TF_SCHEDULE_DYNAMIC;
  l->cfg.chunk = 2;
  l->cfg.prefetch = prefetch;
  if (max_in_flight) l->cfg.max_in_flight = max_in_flight;
  CU_ASSERT_EQUAL_FATAL(tf__up_init(&l->u, &l->layout, &l->cfg, fake(&l->p), NULL), 0);
  CU_ASSERT_FATAL(l->u.relay && l->u.width == 3);
  l->u.plan = (tf_plan){4, 2, 0};
}

static void relay_link_stop(link *l) {
  link_stop(l);
  tf__layout_free(&l->layout);
}

/* A relay holds the plan's depth for each of its workers (4 x 3 = 12) and asks once a chunk for
 * every worker fits (held_below, its queue and its workers' hands, counts): 12 with nothing
 * held, 6 with 6 held, nothing with 7 (7 > 12 - 2 x 3). With a worker starving it asks once
 * one chunk fits: 5 with 7 held, 2 with 10, nothing with 11. A request open: nothing more. */
static void test_up_relay_asks_for_each_of_its_workers(void) {
  link l;
  relay_link_start(&l, 4, 0);
  CU_ASSERT_EQUAL(tf__up_want(&l.u), 12);
  l.u.held_below = 6;
  CU_ASSERT_EQUAL(tf__up_want(&l.u), 6);
  l.u.held_below = 7;
  CU_ASSERT_EQUAL(tf__up_want(&l.u), 0);
  l.u.starving = 1;
  CU_ASSERT_EQUAL(tf__up_want(&l.u), 5);
  l.u.held_below = 10;
  CU_ASSERT_EQUAL(tf__up_want(&l.u), 2);
  l.u.held_below = 11;
  CU_ASSERT_EQUAL(tf__up_want(&l.u), 0);
  l.u.held_below = 12;
  CU_ASSERT_EQUAL(tf__up_want(&l.u), 0);
  /* a worker's link with the same fields asks for its own depth: 4 */
  l.u.relay = 0;
  l.u.held_below = 7;
  CU_ASSERT_EQUAL(tf__up_want(&l.u), 4);
  l.u.relay = 1;
  /* the request goes with what want says, and then it waits for the answer */
  l.u.held_below = 0;
  l.u.starving = 0;
  CU_ASSERT_EQUAL(tf__up_flush(&l.u), 1);
  tf_frame f;
  uint64_t ids[1];
  ids_in(&l, -1, TF_ENT_RESULT, ids, 1, &f);
  CU_ASSERT_EQUAL(f.kind, TF_MSG_RESULTS);
  CU_ASSERT_EQUAL(TF_WIRE_ASK_TASKS(f.aux), 12);
  CU_ASSERT_EQUAL(l.u.asked, 12);
  CU_ASSERT_EQUAL(tf__up_want(&l.u), 0);
  relay_link_stop(&l);
}

/* Tasks in the relay's inbox count with held_below: 3 received and 3 below make 6 (it asks
 * 6 more), 3 and 4 make 7 (nothing). */
static void test_up_relay_counts_its_inbox_with_what_it_holds_below(void) {
  link l;
  relay_link_start(&l, 4, 0);
  CU_ASSERT_EQUAL(tf__up_flush(&l.u), 1); /* asks for 12 */
  send_tasks(&l, 10, 3);                  /* the answer: plan depth 4, chunk 2 */
  CU_ASSERT_EQUAL(tf__up_poll(&l.u), 1);
  CU_ASSERT(!l.u.gave_up);
  CU_ASSERT_EQUAL(l.u.in.queued, 3);
  CU_ASSERT_EQUAL(l.u.asked, 0);
  CU_ASSERT_EQUAL(tf__up_want(&l.u), 9);
  l.u.held_below = 3;
  CU_ASSERT_EQUAL(tf__up_want(&l.u), 6);
  l.u.held_below = 4;
  CU_ASSERT_EQUAL(tf__up_want(&l.u), 0);
  relay_link_stop(&l);
}

/* Once a chunk for every worker fits, a relay asks for TF_RELAY_BATCH (4) chunks for each:
 * with --prefetch 100, depth 4 and chunk 2 for 3 workers it holds up to (4 + 3 x 2) x 3 = 30,
 * and asks when 12 - 2 x 3 = 6 are left: 30 with nothing held, 24 with 6, nothing with 7;
 * with a worker starving once 12 - 2 = 10 are left: 23 with 7, 20 with 10, nothing with 11. */
static void test_up_relay_asks_for_batch_chunks_at_a_time(void) {
  CU_ASSERT_EQUAL(TF_RELAY_BATCH, 4);
  link l;
  relay_link_start(&l, 100, 0);
  CU_ASSERT_EQUAL(tf__up_want(&l.u), 30);
  l.u.held_below = 6;
  CU_ASSERT_EQUAL(tf__up_want(&l.u), 24);
  l.u.held_below = 7;
  CU_ASSERT_EQUAL(tf__up_want(&l.u), 0);
  l.u.starving = 1;
  CU_ASSERT_EQUAL(tf__up_want(&l.u), 23);
  l.u.held_below = 10;
  CU_ASSERT_EQUAL(tf__up_want(&l.u), 20);
  l.u.held_below = 11;
  CU_ASSERT_EQUAL(tf__up_want(&l.u), 0);
  relay_link_stop(&l);
}

/* The relay's own plan for its workers and a chunk on the way (floor_depth) raise the depth
 * when above the parent's, and what it asks for is capped at --prefetch for each worker. With
 * --prefetch 8 (3 workers, chunk 2): floor 6 asks when 18 - 6 = 12 are left, for up to
 * min(6 + 3 x 2, 8) x 3 = 24 (24 with nothing held, 12 with 12, nothing with 13, 11 with 13
 * when starving); a floor below the plan's depth leaves 4 x 3 for when to ask, and 24; with
 * --prefetch 4, floor 6 is cut to 4: 12, and nothing with 7 held. */
static void test_up_relay_depth_floor_capped_at_prefetch(void) {
  link l;
  relay_link_start(&l, 8, 0);
  l.u.floor_depth = 6;
  CU_ASSERT_EQUAL(tf__up_want(&l.u), 24);
  l.u.held_below = 12;
  CU_ASSERT_EQUAL(tf__up_want(&l.u), 12);
  l.u.held_below = 13;
  CU_ASSERT_EQUAL(tf__up_want(&l.u), 0);
  l.u.starving = 1;
  CU_ASSERT_EQUAL(tf__up_want(&l.u), 11);
  l.u.starving = 0;
  l.u.held_below = 6;
  l.u.floor_depth = 3;
  CU_ASSERT_EQUAL(tf__up_want(&l.u), 18);
  l.u.held_below = 7;
  CU_ASSERT_EQUAL(tf__up_want(&l.u), 0);
  l.u.held_below = 0;
  l.u.floor_depth = 10;
  CU_ASSERT_EQUAL(tf__up_want(&l.u), 24);
  l.u.floor_depth = 0;
  l.u.plan = (tf_plan){8, 2, 0};
  CU_ASSERT_EQUAL(tf__up_want(&l.u), 24);
  relay_link_stop(&l);
  relay_link_start(&l, 4, 0);
  l.u.floor_depth = 6;
  CU_ASSERT_EQUAL(tf__up_want(&l.u), 12);
  l.u.held_below = 7;
  CU_ASSERT_EQUAL(tf__up_want(&l.u), 0);
  relay_link_stop(&l);
}

/* What the parent sent goes into the relay's queue: a copy of a slow task (TF_WIRE_TASK_COPY
 * in its attempt) loses the flag and is marked TF_REC_NO_COPY, keeping its attempt count,
 * priority and payload; other tasks keep avoid -1. The queue orders them by priority, then
 * id, and the inbox lets every frame go. */
static void test_up_relay_hand_over_strips_the_copy_flag(void) {
  link l;
  relay_link_start(&l, 4, 0);
  CU_ASSERT_EQUAL(tf__up_flush(&l.u), 1);
  tf_wbuf w = {0};
  tf__wire_begin(&w, TF_MSG_TASKS, TF_WIRE_PLAN(4, 2));
  tf__wire_add_task(&w, 10, 0, 0, "a", 1);
  tf__wire_add_task(&w, 11, 5, TF_WIRE_TASK_COPY | 2, "copy", 4);
  tf__wire_add_task(&w, 12, -1, TF_WIRE_TASK_COPY, NULL, 0);
  tf__wire_add_task(&w, 13, 0, 3, "ddd", 3);
  arrive(&l.p, 0, &w);
  tf__wbuf_free(&w);
  CU_ASSERT_EQUAL(tf__up_poll(&l.u), 1);
  CU_ASSERT_EQUAL_FATAL(l.u.in.queued, 4);
  tf_queue q = {0};
  CU_ASSERT_EQUAL(tf__up_hand_over(&l.u, &q), 4);
  CU_ASSERT_EQUAL(l.u.in.queued, 0);
  CU_ASSERT_EQUAL(l.u.in.n, 0);
  CU_ASSERT_EQUAL_FATAL(tf__queue_size(&q), 4);
  static const struct {
    uint64_t id;
    int32_t prio;
    uint32_t attempt;
    int32_t avoid;
    const char *data;
  } want[4] = {{11, 5, 2, TF_REC_NO_COPY, "copy"},
               {10, 0, 0, -1, "a"},
               {13, 0, 3, -1, "ddd"},
               {12, -1, 0, TF_REC_NO_COPY, ""}};
  for (int k = 0; k < 4; k++) {
    tf_rec r;
    CU_ASSERT_FATAL(tf__queue_pop(&q, &r));
    CU_ASSERT_EQUAL(r.id, want[k].id);
    CU_ASSERT_EQUAL(r.prio, want[k].prio);
    CU_ASSERT_EQUAL(r.attempt, want[k].attempt);
    CU_ASSERT_EQUAL(r.avoid, want[k].avoid);
    CU_ASSERT_EQUAL_FATAL(r.size, strlen(want[k].data));
    if (r.size) CU_ASSERT(memcmp(r.data, want[k].data, r.size) == 0);
    free(r.data);
  }
  tf__queue_destroy(&q);
  relay_link_stop(&l);
}

/* A relay's SLOW entry asks for no room: the parent charges a frame with nothing but SLOW
 * (and statistics) to no share and hands no room back for it (down.c on_results_frame), so the
 * relay counts it as nothing on the way; a frame of its whole share (3 x 64 KiB) then goes at
 * once. Results and LOST entries are charged as ever. */
static void test_up_relay_does_not_charge_a_slow_entry(void) {
  link l;
  relay_link_start(&l, 4, 1); /* each worker's share: the least, 64 KiB */
  CU_ASSERT_EQUAL_FATAL(l.u.flow.share, 3 * TF_FLOW_MIN_SHARE);
  l.u.held_below = 12; /* it wants no tasks: no request rides along */
  CU_ASSERT_EQUAL(tf__up_add(&l.u, TF_ENT_SLOW, 7, 0, 0, NULL, 0), 0);
  CU_ASSERT_EQUAL(tf__up_flush(&l.u), 1);
  tf_frame f;
  uint64_t ids[2];
  CU_ASSERT_EQUAL(ids_in(&l, -1, TF_ENT_SLOW, ids, 2, &f), 1);
  CU_ASSERT_EQUAL(ids[0], 7);
  CU_ASSERT_EQUAL(l.u.flow.unacked, 0);
  size_t size = l.u.flow.share - 48; /* the frame: header, entry, data: the whole share */
  unsigned char *big = calloc(1, size);
  CU_ASSERT_EQUAL(tf__up_add(&l.u, TF_ENT_RESULT, 8, 0, 0, big, size), 0);
  free(big);
  int before = l.p.nsent;
  CU_ASSERT_EQUAL(tf__up_flush(&l.u), 1);
  CU_ASSERT_EQUAL_FATAL(l.p.nsent, before + 1);
  CU_ASSERT_EQUAL(ids_in(&l, -1, TF_ENT_RESULT, ids, 2, &f), 1);
  CU_ASSERT_EQUAL(l.u.flow.unacked, l.u.flow.share);
  send_control(&l, TF_MSG_CREDIT, 0, l.u.flow.share);
  CU_ASSERT_EQUAL(tf__up_poll(&l.u), 1);
  CU_ASSERT_EQUAL(l.u.flow.unacked, 0);
  CU_ASSERT_EQUAL(tf__up_add(&l.u, TF_ENT_LOST, 9, 2, 3, "hangs", 5), 0);
  CU_ASSERT_EQUAL(tf__up_flush(&l.u), 1);
  CU_ASSERT_EQUAL(l.u.flow.unacked, l.p.sent[l.p.nsent - 1].len);
  CU_ASSERT(!l.u.gave_up);
  relay_link_stop(&l);
}

/* A relay tells its parent once that a worker of its was lost: an empty RESULTS frame with
 * the LOST flag, which asks for nothing. */
static void test_up_relay_tells_of_a_lost_worker_once(void) {
  link l;
  relay_link_start(&l, 8, 0);
  CU_ASSERT_EQUAL(tf__up_tell_lost(&l.u), 0);
  CU_ASSERT_EQUAL_FATAL(l.p.nsent, 1);
  tf_frame f;
  CU_ASSERT_EQUAL_FATAL(tf__wire_decode(l.p.sent[0].buf, l.p.sent[0].len, 1u << 20, &f, NULL, 0), 0);
  CU_ASSERT_EQUAL(f.kind, TF_MSG_RESULTS);
  CU_ASSERT_EQUAL(f.count, 0);
  CU_ASSERT(f.aux & TF_WIRE_ASK_LOST);
  CU_ASSERT_EQUAL(TF_WIRE_ASK_TASKS(f.aux), 0);
  CU_ASSERT_EQUAL(tf__up_tell_lost(&l.u), 0);
  CU_ASSERT_EQUAL(l.p.nsent, 1); /* once */
  relay_link_stop(&l);
}

int main(void) {
  static const tf_unit_test tests[] = {
      TF_UNIT_TEST(test_up_asks_runs_and_reports_in_order),
      TF_UNIT_TEST(test_up_asks_again_while_a_request_is_open),
      TF_UNIT_TEST(test_up_runs_a_higher_priority_first_and_says_so),
      TF_UNIT_TEST(test_up_reports_a_failure),
      TF_UNIT_TEST(test_up_refuses_what_it_did_not_ask_for),
      TF_UNIT_TEST(test_up_holds_results_back_for_room),
      TF_UNIT_TEST(test_up_times_short_tasks_in_groups),
      TF_UNIT_TEST(test_up_does_not_count_a_long_task_as_waiting),
      TF_UNIT_TEST(test_up_does_not_count_a_long_task_as_waiting_for_either_request),
      TF_UNIT_TEST(test_up_takes_no_arrival_from_inside_a_task),
      TF_UNIT_TEST(test_up_sends_a_piece_of_output_at_once),
      TF_UNIT_TEST(test_up_holds_pieces_for_room),
      TF_UNIT_TEST(test_up_stop_and_goodbye),
      TF_UNIT_TEST(test_up_relay_asks_for_each_of_its_workers),
      TF_UNIT_TEST(test_up_relay_counts_its_inbox_with_what_it_holds_below),
      TF_UNIT_TEST(test_up_relay_asks_for_batch_chunks_at_a_time),
      TF_UNIT_TEST(test_up_relay_depth_floor_capped_at_prefetch),
      TF_UNIT_TEST(test_up_relay_hand_over_strips_the_copy_flag),
      TF_UNIT_TEST(test_up_relay_does_not_charge_a_slow_entry),
      TF_UNIT_TEST(test_up_relay_tells_of_a_lost_worker_once),
      TF_UNIT_END,
  };
  return tf_unit_run("up", tests);
}
