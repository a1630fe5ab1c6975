/* test_copies.c - tasks that run twice and the two counts the end of a run depends on
 * (src/copies.c): whichever copy comes back first counts, every other outcome is dropped, and
 * `stale` / `stale_queued` return to zero once every copy is accounted for, in every order the
 * copies can come back or be sent. */
#include "copies.h"
#include "unit.h"

/* The table holds nothing and no copy is counted stale. */
static void assert_settled(const tf_copies *t) {
  CU_ASSERT_EQUAL(t->n, 0);
  CU_ASSERT_EQUAL(t->stale, 0);
  CU_ASSERT_EQUAL(t->stale_queued, 0);
}

static void test_first_result_wins(void) {
  tf_copies t = {0};
  int dropped = -1;
  CU_ASSERT_PTR_NOT_NULL(tf__copies_add(&t, 7, 2, 0, 0, 1, 1.0));
  CU_ASSERT_EQUAL(tf__copies_settle(&t, 7, 1, &dropped), 0); /* collected */
  CU_ASSERT_EQUAL(dropped, 0);
  CU_ASSERT_EQUAL(t.stale, 1); /* the other copy, still in a ledger */
  CU_ASSERT_EQUAL(tf__copies_settle(&t, 7, 1, &dropped), 1); /* second: dropped */
  CU_ASSERT_EQUAL(dropped, 1);
  assert_settled(&t);
  tf__copies_free(&t);
}

static void test_failure_while_the_other_runs(void) {
  tf_copies t = {0};
  int dropped = -1;
  tf__copies_add(&t, 7, 2, 0, 0, 1, 1.0);
  CU_ASSERT_EQUAL(tf__copies_settle(&t, 7, 0, &dropped), 1); /* moot: the other still runs */
  CU_ASSERT_EQUAL(dropped, 0);
  CU_ASSERT_EQUAL(t.stale, 0);
  CU_ASSERT_EQUAL(tf__copies_settle(&t, 7, 1, &dropped), 0); /* its result counts */
  CU_ASSERT_EQUAL(dropped, 0);
  assert_settled(&t);
  tf__copies_free(&t);
}

static void test_last_failure_counts(void) {
  tf_copies t = {0};
  int dropped = -1;
  tf__copies_add(&t, 7, 2, 0, 0, 1, 1.0);
  CU_ASSERT_EQUAL(tf__copies_settle(&t, 7, 0, &dropped), 1);
  CU_ASSERT_EQUAL(tf__copies_settle(&t, 7, 0, &dropped), 0); /* no copy left: the failure is real */
  assert_settled(&t);
  tf__copies_free(&t);
}

/* A copy still in the pool when the original's result arrives: stale until it is taken out, then
 * dropped instead of sent. */
static void test_queued_copy_of_a_done_task(void) {
  tf_copies t = {0};
  int dropped = -1;
  tf__copies_add(&t, 7, 2, 1, 0, -1, 1.0);
  CU_ASSERT_EQUAL(tf__copies_settle(&t, 7, 1, &dropped), 0);
  CU_ASSERT_EQUAL(t.stale, 0);
  CU_ASSERT_EQUAL(t.stale_queued, 1);
  CU_ASSERT_EQUAL(tf__copies_dequeued(&t, 7), 1); /* moot: drop it */
  assert_settled(&t);
  tf__copies_free(&t);
}

/* The queued copy is sent before either comes back, and its result comes first. */
static void test_queued_copy_sent_and_first(void) {
  tf_copies t = {0};
  int dropped = -1;
  tf__copies_add(&t, 7, 2, 1, 0, -1, 1.0);
  CU_ASSERT_EQUAL(tf__copies_dequeued(&t, 7), 0); /* not done: send it */
  CU_ASSERT_EQUAL(t.stale_queued, 0);
  CU_ASSERT_EQUAL(tf__copies_settle(&t, 7, 1, &dropped), 0);
  CU_ASSERT_EQUAL(t.stale, 1);
  CU_ASSERT_EQUAL(tf__copies_settle(&t, 7, 1, &dropped), 1);
  CU_ASSERT_EQUAL(dropped, 1);
  assert_settled(&t);
  tf__copies_free(&t);
}

/* Both copies hang: given up; whatever they bring later is dropped. */
static void test_given_up(void) {
  tf_copies t = {0};
  int dropped = -1;
  tf__copies_add(&t, 7, 2, 0, 0, 1, 1.0);
  tf__copies_give_up(&t, tf__copies_find(&t, 7));
  CU_ASSERT_EQUAL(t.stale, 2);
  CU_ASSERT_EQUAL(tf__copies_settle(&t, 7, 0, &dropped), 1);
  CU_ASSERT_EQUAL(tf__copies_settle(&t, 7, 1, &dropped), 1);
  CU_ASSERT_EQUAL(dropped, 1);
  assert_settled(&t);
  tf__copies_free(&t);
}

static void test_unknown_ids_are_not_copies(void) {
  tf_copies t = {0};
  int dropped = -1;
  CU_ASSERT_EQUAL(tf__copies_settle(&t, 99, 1, &dropped), 0);
  CU_ASSERT_EQUAL(dropped, 0);
  CU_ASSERT_EQUAL(tf__copies_dequeued(&t, 99), 0);
  tf__copies_add(&t, 7, 2, 0, 0, 1, 1.0);
  CU_ASSERT_EQUAL(tf__copies_settle(&t, 99, 1, &dropped), 0);
  CU_ASSERT_PTR_NULL(tf__copies_find(&t, 99));
  CU_ASSERT_EQUAL(t.n, 1);
  tf__copies_free(&t);
}

/* Many tasks copied at once, settled in another order than added: entries removed from the middle
 * leave every other one findable, and the counts end at zero. */
static void test_many_in_any_order(void) {
  enum { N = 200 };
  tf_copies t = {0};
  int dropped;
  for (uint64_t id = 1; id <= N; id++)
    CU_ASSERT_PTR_NOT_NULL_FATAL(tf__copies_add(&t, id * 1000, 2, (int)(id % 2), 0, 1, 0.0));
  for (uint64_t k = 0; k < N; k++) { /* a stride coprime to N visits every id once */
    uint64_t id = (k * 7 % N + 1) * 1000;
    CU_ASSERT_PTR_NOT_NULL(tf__copies_find(&t, id));
    CU_ASSERT_EQUAL(tf__copies_settle(&t, id, 1, &dropped), 0);
  }
  CU_ASSERT_EQUAL(t.stale, N / 2);        /* the ones whose other copy is in a ledger */
  CU_ASSERT_EQUAL(t.stale_queued, N / 2); /* and those whose other copy is in the pool */
  for (uint64_t id = N; id >= 1; id--) {
    int moot = id % 2 ? tf__copies_dequeued(&t, id * 1000) /* its other copy is in the pool */
                      : tf__copies_settle(&t, id * 1000, 1, &dropped);
    CU_ASSERT_EQUAL(moot, 1);
  }
  assert_settled(&t);
  tf__copies_free(&t);
}

int main(void) {
  static const tf_unit_test tests[] = {
      TF_UNIT_TEST(test_first_result_wins),
      TF_UNIT_TEST(test_failure_while_the_other_runs),
      TF_UNIT_TEST(test_last_failure_counts),
      TF_UNIT_TEST(test_queued_copy_of_a_done_task),
      TF_UNIT_TEST(test_queued_copy_sent_and_first),
      TF_UNIT_TEST(test_given_up),
      TF_UNIT_TEST(test_unknown_ids_are_not_copies),
      TF_UNIT_TEST(test_many_in_any_order),
      TF_UNIT_END,
  };
  return tf_unit_run("copies", tests);
}
