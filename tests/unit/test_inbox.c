/* test_inbox.c - the tasks a worker holds (src/inbox.c): arrival order while priorities do not
 * rise, the first task of the highest priority out of turn when they do (across frames, ties in
 * arrival order), frames released only once every task in them has left, and the out-of-turn
 * search switched off again once arrival order is priority order. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "inbox.h"
#include "taskfarm.h"
#include "unit.h"

static int released;
static void release(void *ctx, unsigned char *buf, size_t len) {
  (void)ctx;
  (void)len;
  free(buf);
  released++;
}

/* A TASKS frame of n tasks: ids first.., priorities prio[0..n-1], payload the id. */
static void arrive(tf_inbox *in, uint64_t first, const int32_t *prio, int n) {
  tf_wbuf w = {0};
  CU_ASSERT_EQUAL_FATAL(tf__wire_begin(&w, TF_MSG_TASKS, TF_WIRE_PLAN(8, 1)), 0);
  for (int k = 0; k < n; k++) {
    uint64_t id = first + (uint64_t)k;
    CU_ASSERT_EQUAL_FATAL(tf__wire_add_task(&w, id, prio[k], 0, &id, sizeof id), 0);
  }
  tf__wire_finish(&w);
  unsigned char *buf = malloc(w.len);
  memcpy(buf, w.buf, w.len);
  tf_frame f;
  CU_ASSERT_EQUAL_FATAL(tf__wire_decode(buf, w.len, 1u << 20, &f, NULL, 0), 0);
  CU_ASSERT_EQUAL_FATAL(tf__inbox_push(in, buf, w.len, &f), 0);
  tf__wbuf_free(&w);
}

/* Take the next task, run it (its payload must be its id), end it; returns its id, and whether
 * it left out of turn in *oot. */
static uint64_t take(tf_inbox *in, int *oot) {
  tf_entry e;
  int o = tf__inbox_take(in, &e);
  if (oot) *oot = o;
  CU_ASSERT_EQUAL(e.type, TF_ENT_TASK);
  uint64_t payload;
  CU_ASSERT_EQUAL_FATAL(e.size, sizeof payload);
  memcpy(&payload, e.data, sizeof payload);
  CU_ASSERT_EQUAL(payload, e.id);
  tf__inbox_drop_spent(in, release, NULL);
  return e.id;
}

static void test_inbox_keeps_arrival_order_at_one_priority(void) {
  tf_inbox in = {0};
  released = 0;
  static const int32_t zero[4] = {0};
  arrive(&in, 10, zero, 3);
  arrive(&in, 20, zero, 2);
  CU_ASSERT_EQUAL(in.queued, 5);
  CU_ASSERT_EQUAL(in.mixed, 0);
  static const uint64_t want[] = {10, 11, 12, 20, 21};
  for (int k = 0; k < 5; k++) {
    int oot;
    CU_ASSERT_EQUAL(take(&in, &oot), want[k]);
    CU_ASSERT_EQUAL(oot, 0);
    CU_ASSERT_EQUAL(released, k < 2 ? 0 : k < 4 ? 1 : 2); /* a frame goes with its last task */
  }
  CU_ASSERT_EQUAL(in.queued, 0);
  CU_ASSERT_EQUAL(in.n, 0);
  tf__inbox_destroy(&in, release, NULL);
}

static void test_inbox_falling_priorities_stay_in_turn(void) {
  tf_inbox in = {0};
  static const int32_t falling[] = {9, 5, 5, 1}, lower[] = {1, 0};
  arrive(&in, 0, falling, 4);
  arrive(&in, 4, lower, 2);
  CU_ASSERT_EQUAL(in.mixed, 0); /* no search needed: arrival order is priority order */
  for (uint64_t id = 0; id < 6; id++)
    CU_ASSERT_EQUAL(take(&in, NULL), id);
  tf__inbox_destroy(&in, release, NULL);
}

static void test_inbox_runs_a_later_higher_priority_first(void) {
  tf_inbox in = {0};
  released = 0;
  static const int32_t low[] = {0, 0, 0}, high[] = {0, 7, 3, 7};
  arrive(&in, 0, low, 3);
  take(&in, NULL); /* task 0 is running when the next frame comes */
  arrive(&in, 10, high, 4);
  CU_ASSERT_EQUAL(in.mixed, 1);
  /* 11 (7, first of the highest), 13 (7), 12 (3), then the zeros in arrival order. */
  static const uint64_t want[] = {11, 13, 12, 1, 2, 10};
  static const int want_oot[] = {1, 1, 1, 0, 0, 0};
  for (int k = 0; k < 6; k++) {
    int oot;
    CU_ASSERT_EQUAL(take(&in, &oot), want[k]);
    CU_ASSERT_EQUAL(oot, want_oot[k]);
    /* The first frame goes once 1 and 2 have left; the second once 10, its last, has. */
    CU_ASSERT_EQUAL(released, k < 4 ? 0 : k < 5 ? 1 : 2);
  }
  CU_ASSERT_EQUAL(in.queued, 0);
  CU_ASSERT_EQUAL(in.n, 0);
  CU_ASSERT_EQUAL(in.mixed, 0);
  tf__inbox_destroy(&in, release, NULL);
}

static void test_inbox_a_rise_within_one_frame(void) {
  tf_inbox in = {0};
  static const int32_t prio[] = {1, 4, 2, 4};
  arrive(&in, 0, prio, 4);
  CU_ASSERT_EQUAL(in.mixed, 1);
  static const uint64_t want[] = {1, 3, 2, 0};
  for (int k = 0; k < 4; k++)
    CU_ASSERT_EQUAL(take(&in, NULL), want[k]);
  tf__inbox_destroy(&in, release, NULL);
}

static void test_inbox_search_ends_once_order_is_restored(void) {
  tf_inbox in = {0};
  static const int32_t first[] = {0, 0}, second[] = {5, 0};
  arrive(&in, 0, first, 2);
  arrive(&in, 2, second, 2);
  CU_ASSERT_EQUAL(in.mixed, 1);
  int oot;
  CU_ASSERT_EQUAL(take(&in, &oot), 2);
  CU_ASSERT_EQUAL(oot, 1);
  CU_ASSERT_EQUAL(take(&in, &oot), 0); /* the search finds 0, 1, 3 all at 0: in order again */
  CU_ASSERT_EQUAL(oot, 0);
  CU_ASSERT_EQUAL(in.mixed, 0);
  CU_ASSERT_EQUAL(take(&in, NULL), 1);
  CU_ASSERT_EQUAL(take(&in, NULL), 3);
  tf__inbox_destroy(&in, release, NULL);
}

static void test_inbox_destroy_releases_what_is_left(void) {
  tf_inbox in = {0};
  released = 0;
  static const int32_t prio[] = {0, 3};
  arrive(&in, 0, prio, 2);
  arrive(&in, 2, prio, 2);
  take(&in, NULL); /* 1 leaves out of turn; both frames stay */
  CU_ASSERT_EQUAL(in.n, 2);
  tf__inbox_destroy(&in, release, NULL);
  CU_ASSERT_EQUAL(released, 2);
  CU_ASSERT_PTR_NULL(in.fr);
}

int main(void) {
  static const tf_unit_test tests[] = {
      TF_UNIT_TEST(test_inbox_keeps_arrival_order_at_one_priority),
      TF_UNIT_TEST(test_inbox_falling_priorities_stay_in_turn),
      TF_UNIT_TEST(test_inbox_runs_a_later_higher_priority_first),
      TF_UNIT_TEST(test_inbox_a_rise_within_one_frame),
      TF_UNIT_TEST(test_inbox_search_ends_once_order_is_restored),
      TF_UNIT_TEST(test_inbox_destroy_releases_what_is_left),
      TF_UNIT_END,
  };
  return tf_unit_run("inbox", tests);
}
