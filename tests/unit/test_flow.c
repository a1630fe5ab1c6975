/* test_flow.c - flow control by bytes (src/flow.h): each worker's share, what a worker may send
 * against it, what the master owes back and when, driven by made-up frame sizes. */
#include <stdint.h>

#include "flow.h"
#include "unit.h"

static void test_flow_share_splits_the_budget_with_a_floor(void) {
  CU_ASSERT_EQUAL(tf__flow_share(64u << 20, 4), 16u << 20);
  CU_ASSERT_EQUAL(tf__flow_share(64u << 20, 1), 64u << 20);
  CU_ASSERT_EQUAL(tf__flow_share(64u << 20, 0), 64u << 20); /* a one-rank farm */
  CU_ASSERT_EQUAL(tf__flow_share(1u << 20, 1000), TF_FLOW_MIN_SHARE);
}

static void test_flow_worker_sends_within_its_share(void) {
  tf_flow_out f;
  tf__flow_out_init(&f, 1000);
  CU_ASSERT(tf__flow_may_send(&f, 400));
  tf__flow_sent(&f, 400);
  CU_ASSERT(tf__flow_may_send(&f, 600)); /* exactly the share */
  tf__flow_sent(&f, 600);
  CU_ASSERT_FALSE(tf__flow_may_send(&f, 1)); /* full */
  CU_ASSERT_EQUAL(tf__flow_credit(&f, 400), 0);
  CU_ASSERT(tf__flow_may_send(&f, 400));
  CU_ASSERT_FALSE(tf__flow_may_send(&f, 401));
}

static void test_flow_oversized_frame_goes_alone(void) {
  tf_flow_out f;
  tf__flow_out_init(&f, 1000);
  CU_ASSERT(tf__flow_may_send(&f, 5000)); /* nothing on the way: a large result still goes */
  tf__flow_sent(&f, 5000);
  CU_ASSERT_FALSE(tf__flow_may_send(&f, 1)); /* but nothing after it */
  CU_ASSERT_EQUAL(tf__flow_credit(&f, 5000), 0);
  CU_ASSERT(tf__flow_may_send(&f, 10));
  tf__flow_sent(&f, 10);
  CU_ASSERT_FALSE(tf__flow_may_send(&f, 5000)); /* nor beside something else */
}

static void test_flow_at_most_a_few_large_frames_on_the_way(void) {
  tf_flow_out f;
  tf__flow_out_init(&f, 64u << 20);
  for (int i = 0; i < TF_FLOW_BIG_FRAMES; i++) {
    CU_ASSERT(tf__flow_may_send(&f, TF_FLOW_BIG));
    tf__flow_sent(&f, TF_FLOW_BIG);
  }
  CU_ASSERT_FALSE(tf__flow_may_send(&f, TF_FLOW_BIG)); /* the share has room, the window not */
  CU_ASSERT(tf__flow_may_send(&f, 1000));              /* small frames still go */
  tf__flow_sent(&f, 1000);
  CU_ASSERT_EQUAL(tf__flow_credit(&f, TF_FLOW_BIG), 0); /* the oldest handled: one slot free */
  CU_ASSERT(tf__flow_may_send(&f, TF_FLOW_BIG));
  tf__flow_sent(&f, TF_FLOW_BIG);
  CU_ASSERT_FALSE(tf__flow_may_send(&f, TF_FLOW_BIG));
  /* everything handed back, the small frame with it */
  CU_ASSERT_EQUAL(tf__flow_credit(&f, f.unacked), 0);
  CU_ASSERT_EQUAL(f.nbig, 0);
  CU_ASSERT(tf__flow_may_send(&f, TF_FLOW_BIG));
}

static void test_flow_refuses_credit_for_more_than_was_sent(void) {
  tf_flow_out f;
  tf__flow_out_init(&f, 1000);
  tf__flow_sent(&f, 300);
  CU_ASSERT_EQUAL(tf__flow_credit(&f, 301), -1);
  CU_ASSERT_EQUAL(f.unacked, 300); /* unchanged */
  CU_ASSERT_EQUAL(tf__flow_credit(&f, 300), 0);
  CU_ASSERT_EQUAL(f.unacked, 0);
  CU_ASSERT_EQUAL(tf__flow_credit(&f, 1), -1);
}

static void test_flow_master_owes_back_at_half_a_share_or_when_asked(void) {
  CU_ASSERT_FALSE(tf__flow_due(0, 1000, 100, 0));
  CU_ASSERT_FALSE(
      tf__flow_due(0, 1000, 100, 1)); /* nothing owed: the credit is on its way already */
  CU_ASSERT_FALSE(tf__flow_due(499, 1000, 100, 0));
  CU_ASSERT(tf__flow_due(500, 1000, 100, 0));
  CU_ASSERT(tf__flow_due(1, 1000, 100, 1));
  CU_ASSERT(tf__flow_due(TF_FLOW_BIG, 64u << 20, TF_FLOW_BIG, 0)); /* after a large frame */
  CU_ASSERT_FALSE(tf__flow_due(TF_FLOW_BIG, 64u << 20, TF_FLOW_BIG - 1, 0));
}

/* A worker and the master in lock step with a slow master: results never
 * wait forever, and what is on the way never passes the share (but for one
 * oversized frame alone). */
static void test_flow_a_stream_of_frames_never_stalls_or_overflows(void) {
  static const uint64_t sizes[] = {100, 700, 2500, 1, 999, 1000, 3000, 64, 64, 64, 500};
  enum { N = sizeof sizes / sizeof *sizes, SHARE = 1000 };
  tf_flow_out f;
  tf__flow_out_init(&f, SHARE);
  uint64_t on_way[N], owed = 0;
  int head = 0, tail = 0, asked = 0, sent = 0;
  for (int step = 0; step < 1000 && sent < N; step++) {
    if (tf__flow_may_send(&f, sizes[sent])) { /* the worker sends what it may */
      tf__flow_sent(&f, sizes[sent]);
      on_way[tail++] = sizes[sent++];
      CU_ASSERT(f.unacked <= SHARE || tail - head == 1);
      continue;
    }
    asked = 1; /* held back: it says so (TF_WIRE_ASK_ROOM) */
    if (head < tail) owed += on_way[head++]; /* the master handles one frame */
    if (tf__flow_due(owed, SHARE, 0, asked)) {
      CU_ASSERT_EQUAL(tf__flow_credit(&f, owed), 0);
      owed = 0;
      asked = 0;
    }
  }
  CU_ASSERT_EQUAL(sent, N);
}

int main(void) {
  static const tf_unit_test tests[] = {
      TF_UNIT_TEST(test_flow_share_splits_the_budget_with_a_floor),
      TF_UNIT_TEST(test_flow_worker_sends_within_its_share),
      TF_UNIT_TEST(test_flow_oversized_frame_goes_alone),
      TF_UNIT_TEST(test_flow_at_most_a_few_large_frames_on_the_way),
      TF_UNIT_TEST(test_flow_refuses_credit_for_more_than_was_sent),
      TF_UNIT_TEST(test_flow_master_owes_back_at_half_a_share_or_when_asked),
      TF_UNIT_TEST(test_flow_a_stream_of_frames_never_stalls_or_overflows),
      TF_UNIT_END,
  };
  return tf_unit_run("flow", tests);
}
