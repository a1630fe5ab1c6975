/* test_handle.c - what the handle allows where (src/handle.c): tf_stop only from collect and
 * failed, with a valid TF_STOP_* and a status of 0 or below; the first status stands, SOON may
 * become NOW but never the other way. tf_partial only from execute, passed on with the task's
 * id and run; the app's partial in a phase of its own. The children a run submits make a
 * frame of their own, begun with the first child and emptied for the next run. */
#include <string.h>

#include "handle.h"
#include "ids.h"
#include "taskfarm.h"
#include "unit.h"
#include "wire.h"

static tf_config cfg;
static tf_app app;

static void in_phase(tf_handle *h, enum tf_phase phase) {
  tf_config_defaults(&cfg);
  memset(&app, 0, sizeof app);
  tf__handle_init(h, &app, &cfg, 0, 2, -1);
  h->phase = phase;
}

static void test_handle_stop_only_from_collect_and_failed(void) {
  static const enum tf_phase refused[] = {TF_IN_NONE, TF_IN_GENERATE, TF_IN_EXECUTE, TF_IN_FINISH,
                                          TF_IN_INIT};
  tf_handle h;
  for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
    in_phase(&h, refused[i]);
    CU_ASSERT_EQUAL(tf_stop(&h, TF_STOP_SOON, TF_EAPP), TF_ESTATE);
    CU_ASSERT_EQUAL(h.stop, 0);
    CU_ASSERT_EQUAL(h.error, TF_ESTATE); /* the callback fails, as for tf_submit */
    CU_ASSERT_PTR_NOT_NULL(strstr(h.errmsg, "outside collect and failed"));
    tf__handle_free(&h);
  }
  in_phase(&h, TF_IN_COLLECT);
  CU_ASSERT_EQUAL(tf_stop(&h, TF_STOP_SOON, TF_EAPP), 0);
  CU_ASSERT_EQUAL(h.stop, TF_STOP_SOON);
  CU_ASSERT_EQUAL(h.stop_status, TF_EAPP);
  CU_ASSERT_EQUAL(h.error, 0);
  tf__handle_free(&h);
  in_phase(&h, TF_IN_FAILED);
  CU_ASSERT_EQUAL(tf_stop(&h, TF_STOP_NOW, 0), 0);
  CU_ASSERT_EQUAL(h.stop, TF_STOP_NOW);
  CU_ASSERT_EQUAL(h.stop_status, 0);
  tf__handle_free(&h);
  CU_ASSERT_EQUAL(tf_stop(NULL, TF_STOP_NOW, 0), TF_EINVAL);
}

static void test_handle_stop_rejects_a_bad_when_or_a_positive_status(void) {
  tf_handle h;
  in_phase(&h, TF_IN_COLLECT);
  CU_ASSERT_EQUAL(tf_stop(&h, 0, TF_EAPP), TF_EINVAL);
  CU_ASSERT_EQUAL(tf_stop(&h, 3, TF_EAPP), TF_EINVAL);
  CU_ASSERT_EQUAL(tf_stop(&h, TF_STOP_SOON, 1), TF_EINVAL);
  CU_ASSERT_EQUAL(h.stop, 0); /* none of them stops the run */
  CU_ASSERT_EQUAL(h.error, TF_EINVAL);
  tf__handle_free(&h);
}

static void test_handle_stop_keeps_the_first_status_and_soon_may_become_now(void) {
  tf_handle h;
  in_phase(&h, TF_IN_COLLECT);
  CU_ASSERT_EQUAL(tf_stop(&h, TF_STOP_SOON, 0), 0);
  h.phase = TF_IN_FAILED;
  CU_ASSERT_EQUAL(tf_stop(&h, TF_STOP_NOW, TF_EAPP), 0);
  CU_ASSERT_EQUAL(h.stop, TF_STOP_NOW);
  CU_ASSERT_EQUAL(h.stop_status, 0); /* the first call's */
  CU_ASSERT_EQUAL(tf_stop(&h, TF_STOP_SOON, TF_EAPP), 0);
  CU_ASSERT_EQUAL(h.stop, TF_STOP_NOW); /* NOW stays NOW */
  CU_ASSERT_EQUAL(h.stop_status, 0);
  tf__handle_free(&h);
}

/* What tf_partial passed on, and what the app's partial saw. */
static struct {
  int sent, seen;
  uint64_t id;
  uint32_t attempt;
  size_t size;
  enum tf_phase phase; /* the handle's, inside partial */
  int submit;          /* partial tries tf_submit (and so fails) */
} got;

static int record_send(void *ctx, uint64_t id, uint32_t attempt, const void *data, size_t size) {
  (void)ctx, (void)data;
  got.sent++, got.id = id, got.attempt = attempt, got.size = size;
  return 0;
}

static int app_partial(tf_handle *h, const tf_task *piece, void *ctx) {
  (void)ctx;
  got.seen++, got.id = piece->id, got.attempt = piece->attempt, got.size = piece->size;
  got.phase = h->phase;
  if (got.submit) CU_ASSERT_EQUAL(tf_submit(h, "x", 1), TF_ESTATE); /* no tasks from here */
  return 0;
}

static void test_handle_partial_only_from_execute(void) {
  static const enum tf_phase refused[] = {TF_IN_NONE,   TF_IN_GENERATE, TF_IN_COLLECT, TF_IN_FAILED,
                                          TF_IN_FINISH, TF_IN_INIT,     TF_IN_PARTIAL};
  tf_handle h;
  memset(&got, 0, sizeof got);
  for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
    in_phase(&h, refused[i]);
    app.partial = app_partial;
    h.send_partial = record_send;
    CU_ASSERT_EQUAL(tf_partial(&h, "out", 3), TF_ESTATE);
    CU_ASSERT_EQUAL(h.error, TF_ESTATE);
    CU_ASSERT_PTR_NOT_NULL(strstr(h.errmsg, "outside execute"));
    tf__handle_free(&h);
  }
  CU_ASSERT_EQUAL(got.sent, 0);
  CU_ASSERT_EQUAL(tf_partial(NULL, "out", 3), TF_EINVAL);
}

static void test_handle_partial_sends_the_running_task_s_piece(void) {
  tf_handle h;
  memset(&got, 0, sizeof got);
  in_phase(&h, TF_IN_NONE);
  h.send_partial = record_send;
  tf__handle_begin_execute(&h, 7, 2);
  CU_ASSERT_EQUAL(tf_partial(&h, "out", 3), 0); /* no partial hook: nothing goes */
  CU_ASSERT_EQUAL(got.sent, 0);
  app.partial = app_partial;
  CU_ASSERT_EQUAL(tf_partial(&h, "out", 3), 0);
  CU_ASSERT_EQUAL(got.sent, 1);
  CU_ASSERT_EQUAL(got.id, 7);
  CU_ASSERT_EQUAL(got.attempt, 2);
  CU_ASSERT_EQUAL(got.size, 3);
  cfg.max_payload = 2;
  CU_ASSERT_EQUAL(tf_partial(&h, "out", 3), TF_ETOOBIG);
  CU_ASSERT_EQUAL(got.sent, 1);
  tf__handle_free(&h);
}

/* A one-rank farm calls the app's partial from inside execute: partial runs in a phase of its
 * own (no tf_submit there), and execute's task and error state are as they were after it. */
static void test_handle_call_partial_leaves_execute_as_it_was(void) {
  tf_handle h;
  memset(&got, 0, sizeof got);
  in_phase(&h, TF_IN_NONE);
  app.partial = app_partial;
  tf__handle_begin_execute(&h, 9, 0);
  CU_ASSERT_EQUAL(tf_result(&h, NULL, 5), TF_EINVAL); /* execute has an error already */
  CU_ASSERT_EQUAL(tf__call_partial(&h, 9, 1, "ab", 2), 0);
  CU_ASSERT_EQUAL(got.seen, 1);
  CU_ASSERT_EQUAL(got.id, 9);
  CU_ASSERT_EQUAL(got.attempt, 1);
  CU_ASSERT_EQUAL(got.phase, TF_IN_PARTIAL);
  CU_ASSERT_EQUAL(h.phase, TF_IN_EXECUTE);
  CU_ASSERT_EQUAL(h.cur_id, 9);
  CU_ASSERT_EQUAL(h.error, TF_EINVAL);
  CU_ASSERT_PTR_NOT_NULL(strstr(h.errmsg, "tf_result"));
  got.submit = 1; /* tf_submit's error fails partial, not execute */
  CU_ASSERT_EQUAL(tf__call_partial(&h, 9, 1, "ab", 2), TF_EAPP);
  CU_ASSERT_EQUAL(h.phase, TF_IN_EXECUTE);
  CU_ASSERT_EQUAL(h.error, TF_EINVAL);
  CU_ASSERT_PTR_NOT_NULL(strstr(h.errmsg, "tf_result"));
  tf__handle_free(&h);
}

/* The one SPAWN entry of h's children frame, with the frame checked as a receiver would. */
static void only_child_is(tf_handle *h, uint64_t id, const char *data) {
  tf_frame f;
  tf_entry e;
  char why[200];
  size_t pos = 0;
  tf__wire_finish(&h->spawns);
  CU_ASSERT_EQUAL_FATAL(
      tf__wire_decode(h->spawns.buf, h->spawns.len, 1024, &f, why, sizeof why), 0);
  CU_ASSERT_EQUAL(f.count, 1);
  CU_ASSERT_EQUAL_FATAL(tf__wire_next(&f, &pos, &e), 1);
  CU_ASSERT_EQUAL(e.type, TF_ENT_SPAWN);
  CU_ASSERT_EQUAL(e.id, id);
  CU_ASSERT_EQUAL(e.size, strlen(data));
  CU_ASSERT_EQUAL(memcmp(e.data, data, e.size), 0);
}

static void test_handle_children_frame_begins_with_the_first_child(void) {
  tf_handle h;
  in_phase(&h, TF_IN_NONE);
  tf__handle_begin_execute(&h, 5, 0);
  CU_ASSERT_EQUAL(h.spawns.count, 0); /* a run without children writes nothing */
  CU_ASSERT_EQUAL(h.spawns.len, 0);
  CU_ASSERT_EQUAL(tf_submit(&h, "ab", 2), 0);
  CU_ASSERT_EQUAL(h.nchildren, 1);
  only_child_is(&h, tf__child_id(5, 0), "ab");
  tf__handle_begin_execute(&h, 6, 1); /* the next run starts with none */
  CU_ASSERT_EQUAL(h.spawns.count, 0);
  CU_ASSERT_EQUAL(h.nchildren, 0);
  CU_ASSERT_EQUAL(tf_submit(&h, "xyz", 3), 0);
  only_child_is(&h, tf__child_id(6, 0), "xyz");
  tf__handle_free(&h);
}

int main(void) {
  static const tf_unit_test tests[] = {
      TF_UNIT_TEST(test_handle_stop_only_from_collect_and_failed),
      TF_UNIT_TEST(test_handle_stop_rejects_a_bad_when_or_a_positive_status),
      TF_UNIT_TEST(test_handle_stop_keeps_the_first_status_and_soon_may_become_now),
      TF_UNIT_TEST(test_handle_partial_only_from_execute),
      TF_UNIT_TEST(test_handle_partial_sends_the_running_task_s_piece),
      TF_UNIT_TEST(test_handle_call_partial_leaves_execute_as_it_was),
      TF_UNIT_TEST(test_handle_children_frame_begins_with_the_first_child),
      TF_UNIT_END,
  };
  return tf_unit_run("handle", tests);
}
