/* test_policy.c - the scheduling policy (src/policy.c) driven with made-up
 * timings: chunks and depths for every schedule, batching of tiny tasks, long
 * tasks fetched on demand, and the shrinking tail near the end. */
#include "policy.h"
#include "unit.h"

static tf_policy make(tf_schedule kind, int workers, int chunk, int max_depth) {
  tf_policy p;
  tf__policy_init(&p, kind, workers, chunk, max_depth);
  return p;
}

static void assert_valid(tf_plan plan, int max_depth) {
  CU_ASSERT(plan.chunk >= 1);
  CU_ASSERT(plan.chunk <= plan.depth);
  CU_ASSERT(plan.depth <= max_depth);
}

static void test_policy_dynamic_sends_the_fixed_chunk_and_keeps_the_next_in_hand(void) {
  for (int c = 1; c <= 64; c *= 4) {
    tf_policy p = make(TF_SCHEDULE_DYNAMIC, 4, c, 4096);
    tf_plan plan = tf__policy_plan(&p, 1000);
    CU_ASSERT_EQUAL(plan.chunk, c);
    CU_ASSERT_EQUAL(plan.depth, 2 * c);
    CU_ASSERT_EQUAL(plan.send, c);         /* one chunk per answer */
    tf__policy_observe(&p, 100, 1.0, 0, 0); /* timings change nothing */
    plan = tf__policy_plan(&p, 3);
    CU_ASSERT_EQUAL(plan.chunk, c);
  }
}

static void test_policy_guided_chunks_shrink_with_the_work_left(void) {
  tf_policy p = make(TF_SCHEDULE_GUIDED, 4, 2, 4096);
  CU_ASSERT_EQUAL(tf__policy_plan(&p, 8000).chunk, 1000); /* left / (2 x 4) */
  CU_ASSERT_EQUAL(tf__policy_plan(&p, 800).chunk, 100);
  CU_ASSERT_EQUAL(tf__policy_plan(&p, 9).chunk, 2); /* never below --chunk */
  CU_ASSERT_EQUAL(tf__policy_plan(&p, TF_LEFT_UNKNOWN).chunk, 2);
  CU_ASSERT_EQUAL(tf__policy_plan(&p, 1u << 30).chunk, 2048); /* capped by depth */
  assert_valid(tf__policy_plan(&p, 1u << 30), 4096);
}

static void test_policy_static_takes_the_largest_depth(void) {
  tf_policy p = make(TF_SCHEDULE_STATIC, 3, 1, 100);
  tf_plan plan = tf__policy_plan(&p, 10);
  CU_ASSERT_EQUAL(plan.depth, 100);
  CU_ASSERT_EQUAL(plan.chunk, 50);
  CU_ASSERT_EQUAL(plan.send, 100); /* whatever the worker asks for */
}

static void test_policy_adaptive_starts_one_at_a_time(void) {
  tf_policy p = make(TF_SCHEDULE_ADAPTIVE, 2, 1, 4096);
  tf_plan plan = tf__policy_plan(&p, TF_LEFT_UNKNOWN);
  CU_ASSERT_EQUAL(plan.chunk, 1);
  CU_ASSERT_EQUAL(plan.depth, 2);
}

static void test_policy_adaptive_batches_tiny_tasks(void) {
  tf_policy p = make(TF_SCHEDULE_ADAPTIVE, 2, 1, 4096);
  tf__policy_observe(&p, 100000, 100000 * 50e-9, 10, 10 * 5e-6); /* 50 ns tasks, 5 us waits */
  tf_plan plan = tf__policy_plan(&p, TF_LEFT_UNKNOWN);
  /* a message (a 5 us round trip) may cost 5 % of its tasks: 5e-6 / (0.05 x 50e-9) */
  CU_ASSERT_EQUAL(plan.chunk, 2000);
  /* plus four round trips of work and one task: 4 x 5e-6 / 50e-9 + 1 = 401 */
  CU_ASSERT_EQUAL(plan.depth, 2401);
  CU_ASSERT_EQUAL(plan.send, 2401); /* a worker is filled up in one answer */
  assert_valid(plan, 4096);
}

static void test_policy_adaptive_prefetches_one_millisecond_tasks(void) {
  tf_policy p = make(TF_SCHEDULE_ADAPTIVE, 2, 1, 4096);
  tf__policy_observe(&p, 10, 10e-3, 1, 5e-6);
  tf_plan plan = tf__policy_plan(&p, 10000);
  CU_ASSERT_EQUAL(plan.chunk, 1);
  CU_ASSERT_EQUAL(plan.depth, 3); /* one running, two in hand */
  CU_ASSERT_EQUAL(plan.send, 3);
  /* on a shared core the master answers in 1 ms: 1e-3 / (0.05 x 1e-3) = 20 per message */
  for (int i = 0; i < 40; i++)
    tf__policy_observe(&p, 0, 0, 10, 10 * 1e-3);
  plan = tf__policy_plan(&p, 100000);
  CU_ASSERT(plan.chunk >= 15 && plan.chunk <= 20);
  CU_ASSERT(plan.depth >= plan.chunk + 4);
}

static void test_policy_adaptive_fetches_long_tasks_on_demand_at_the_end(void) {
  tf_policy p = make(TF_SCHEDULE_ADAPTIVE, 8, 1, 4096);
  tf__policy_observe(&p, 4, 40.0, 2, 2 * 20e-6); /* 10 s tasks, 20 us round trips */
  tf_plan plan = tf__policy_plan(&p, 100000);
  CU_ASSERT_EQUAL(plan.chunk, 1);
  CU_ASSERT_EQUAL(plan.depth, 3); /* two more in hand while plenty are left */
  plan = tf__policy_plan(&p, 8);
  CU_ASSERT_EQUAL(plan.depth, 1);                  /* no more left than workers: fetch when idle */
  CU_ASSERT_EQUAL(tf__policy_plan(&p, 9).depth, 2); /* a fair half of 9: one more */
}

static void test_policy_adaptive_tail_takes_no_more_than_a_fair_half(void) {
  tf_policy p = make(TF_SCHEDULE_ADAPTIVE, 4, 1, 4096);
  tf__policy_observe(&p, 1000000, 1000000 * 10e-9, 1, 5e-6);         /* 10 ns tasks */
  CU_ASSERT_EQUAL(tf__policy_plan(&p, TF_LEFT_UNKNOWN).chunk, 2048); /* half of --prefetch */
  CU_ASSERT_EQUAL(tf__policy_plan(&p, 800).chunk, 100);              /* 800 / (2 x 4) */
  CU_ASSERT_EQUAL(tf__policy_plan(&p, 800).depth, 200);
  CU_ASSERT_EQUAL(tf__policy_plan(&p, 800).send, 100); /* never more than the share */
  CU_ASSERT_EQUAL(tf__policy_plan(&p, 3).chunk, 1);
  assert_valid(tf__policy_plan(&p, 3), 4096);
}

static void test_policy_moving_averages_follow_a_change(void) {
  tf_policy p = make(TF_SCHEDULE_ADAPTIVE, 2, 1, 4096);
  tf__policy_observe(&p, 1, 1e-3, 0, 0);
  CU_ASSERT_DOUBLE_EQUAL(p.task_s, 1e-3, 1e-15);
  for (int i = 0; i < 60; i++)
    tf__policy_observe(&p, 100, 100 * 1e-7, 0, 0);
  CU_ASSERT_DOUBLE_EQUAL(p.task_s, 1e-7, 1e-9);
  CU_ASSERT(p.rtt_s < 0); /* no wait seen yet */
  tf__policy_observe(&p, 0, 0, 4, 4 * 8e-6);
  CU_ASSERT_DOUBLE_EQUAL(p.rtt_s, 8e-6, 1e-15);
}

static void test_policy_respects_a_small_prefetch_limit(void) {
  tf_schedule kinds[] = {TF_SCHEDULE_STATIC, TF_SCHEDULE_DYNAMIC, TF_SCHEDULE_GUIDED,
                         TF_SCHEDULE_ADAPTIVE};
  for (int k = 0; k < 4; k++)
    for (int max = 1; max <= 3; max++) {
      tf_policy p = make(kinds[k], 2, 5, max);
      tf__policy_observe(&p, 1000, 1000 * 1e-8, 1, 1e-5);
      assert_valid(tf__policy_plan(&p, TF_LEFT_UNKNOWN), max);
      assert_valid(tf__policy_plan(&p, 1), max);
      assert_valid(tf__policy_plan(&p, 0), max);
    }
}

static void test_policy_depth_fits_the_byte_share(void) {
  tf_schedule kinds[] = {TF_SCHEDULE_STATIC, TF_SCHEDULE_DYNAMIC, TF_SCHEDULE_GUIDED,
                         TF_SCHEDULE_ADAPTIVE};
  for (int k = 0; k < 4; k++) {
    tf_policy p = make(kinds[k], 2, 8, 4096);
    tf__policy_observe(&p, 1000, 1000 * 1e-6, 1, 1e-5); /* 1 us tasks: adaptive goes deep */
    tf__policy_set_share(&p, 32u << 20);
    int before = tf__policy_plan(&p, TF_LEFT_UNKNOWN).depth;
    /* 2 MiB results: 16 fit in a 32 MiB share. */
    tf__policy_observe_result_bytes(&p, 10, 10 * (2u << 20));
    tf_plan plan = tf__policy_plan(&p, TF_LEFT_UNKNOWN);
    assert_valid(plan, 4096);
    CU_ASSERT(plan.depth <= 16);
    CU_ASSERT(plan.depth == (before < 16 ? before : 16));
    /* Tasks larger still: the larger of the two counts. */
    tf__policy_observe_task_bytes(&p, 1, 8u << 20);
    plan = tf__policy_plan(&p, TF_LEFT_UNKNOWN);
    CU_ASSERT_EQUAL(plan.depth, 4);
    /* and the next chunk still arrives while one runs (not for dynamic and
     * guided, whose --chunk 8 is the user's) */
    if (kinds[k] == TF_SCHEDULE_ADAPTIVE || kinds[k] == TF_SCHEDULE_STATIC)
      CU_ASSERT(plan.chunk <= plan.depth / 2);
    /* One task larger than the share: still one at a time. */
    tf__policy_observe_task_bytes(&p, 1, 1u << 30);
    plan = tf__policy_plan(&p, TF_LEFT_UNKNOWN);
    CU_ASSERT_EQUAL(plan.depth, 1);
    CU_ASSERT_EQUAL(plan.chunk, 1);
  }
  /* No share set (or nothing measured): the byte rule stays out of the way. */
  tf_policy p = make(TF_SCHEDULE_DYNAMIC, 2, 8, 4096);
  tf__policy_observe_result_bytes(&p, 1, 1u << 30);
  CU_ASSERT_EQUAL(tf__policy_plan(&p, TF_LEFT_UNKNOWN).depth, 16);
}

int main(void) {
  static const tf_unit_test tests[] = {
      TF_UNIT_TEST(test_policy_dynamic_sends_the_fixed_chunk_and_keeps_the_next_in_hand),
      TF_UNIT_TEST(test_policy_guided_chunks_shrink_with_the_work_left),
      TF_UNIT_TEST(test_policy_static_takes_the_largest_depth),
      TF_UNIT_TEST(test_policy_adaptive_starts_one_at_a_time),
      TF_UNIT_TEST(test_policy_adaptive_batches_tiny_tasks),
      TF_UNIT_TEST(test_policy_adaptive_prefetches_one_millisecond_tasks),
      TF_UNIT_TEST(test_policy_adaptive_fetches_long_tasks_on_demand_at_the_end),
      TF_UNIT_TEST(test_policy_adaptive_tail_takes_no_more_than_a_fair_half),
      TF_UNIT_TEST(test_policy_moving_averages_follow_a_change),
      TF_UNIT_TEST(test_policy_respects_a_small_prefetch_limit),
      TF_UNIT_TEST(test_policy_depth_fits_the_byte_share),
      TF_UNIT_END,
  };
  return tf_unit_run("policy", tests);
}
