/* test_idset.c - the set of task ids a resumed run skips (src/idset.c). */
#include <stdint.h>

#include "ids.h"
#include "taskfarm.h"
#include "idset.h"
#include "unit.h"

static void test_idset_empty_has_nothing(void) {
  tf_idset s = {0};
  CU_ASSERT_FALSE(tf__idset_has(&s, 0));
  CU_ASSERT_FALSE(tf__idset_has(&s, UINT64_MAX));
  tf__idset_free(&s);
}

static void test_idset_adds_each_id_once(void) {
  tf_idset s = {0};
  CU_ASSERT_EQUAL(tf__idset_add(&s, 7), 1);
  CU_ASSERT_EQUAL(tf__idset_add(&s, 7), 0);
  CU_ASSERT_EQUAL(s.count, 1);
  CU_ASSERT_TRUE(tf__idset_has(&s, 7));
  CU_ASSERT_FALSE(tf__idset_has(&s, 8));
  tf__idset_free(&s);
}

/* 0 and the all-ones id (the empty-slot marker) are ids like any other. */
static void test_idset_keeps_zero_and_all_ones(void) {
  tf_idset s = {0};
  CU_ASSERT_EQUAL(tf__idset_add(&s, 0), 1);
  CU_ASSERT_EQUAL(tf__idset_add(&s, UINT64_MAX), 1);
  CU_ASSERT_EQUAL(tf__idset_add(&s, UINT64_MAX), 0);
  CU_ASSERT_TRUE(tf__idset_has(&s, 0));
  CU_ASSERT_TRUE(tf__idset_has(&s, UINT64_MAX));
  CU_ASSERT_EQUAL(s.count, 2);
  tf__idset_free(&s);
}

/* Generated ids (consecutive) and spawned ids (top bit set), many of each,
 * across many growths; exactly those are members. */
static void test_idset_holds_many_ids_through_growth(void) {
  tf_idset s = {0};
  const uint64_t n = 100000;
  for (uint64_t i = 0; i < n; i++) {
    CU_ASSERT_EQUAL_FATAL(tf__idset_add(&s, i), 1);
    CU_ASSERT_EQUAL_FATAL(tf__idset_add(&s, (UINT64_C(1) << 63) | (i * 0x9e3779b97f4a7c15u >> 1)),
                          1);
  }
  CU_ASSERT_EQUAL(s.count, 2 * n);
  CU_ASSERT_TRUE(2 * s.count <= s.cap); /* at most half full */
  uint64_t found = 0, stray = 0;
  for (uint64_t i = 0; i < 2 * n; i++) {
    found += (uint64_t)tf__idset_has(
        &s, i < n ? i : (UINT64_C(1) << 63) | ((i - n) * 0x9e3779b97f4a7c15u >> 1));
    stray += (uint64_t)tf__idset_has(&s, n + i); /* ids never added */
  }
  CU_ASSERT_EQUAL(found, 2 * n);
  CU_ASSERT_EQUAL(stray, 0);
  tf__idset_free(&s);
  CU_ASSERT_EQUAL(s.count, 0);
  CU_ASSERT_FALSE(tf__idset_has(&s, 1));
}

/* Spawned ids (tf__check_child, which keeps them in an idset): each must be
 * derived from its parent and index, and none may repeat. */
static void test_idset_child_check_refuses_a_wrong_id_and_a_collision(void) {
  tf_idset seen = {0};
  for (uint32_t i = 0; i < 100; i++)
    CU_ASSERT_EQUAL(tf__check_child(&seen, 7, i, tf__child_id(7, i), 1), 0);
  CU_ASSERT_EQUAL(seen.count, 100);
  /* not the id of child 3 of task 7 */
  CU_ASSERT_EQUAL(tf__check_child(&seen, 7, 3, tf__child_id(7, 4), 1), TF_EPROTO);
  CU_ASSERT_EQUAL(tf__check_child(&seen, 8, 0, 12345, 1), TF_EPROTO);
  /* A real collision takes billions of hashes to find; one is made by
   * noting the id a later child will get as taken already. */
  uint64_t later = tf__child_id(9, 0);
  CU_ASSERT_EQUAL(tf__idset_add(&seen, later), 1);
  CU_ASSERT_EQUAL(tf__check_child(&seen, 9, 0, later, 1), TF_EAPP);
  tf__idset_free(&seen);
}

/* Follow-up ids (tasks the master submits in collect): spawned ids of their own series, the
 * same for the same parent and index, and none met among 10^5 parents' children and
 * follow-ups. */
static void test_idset_followup_ids_are_their_own_series(void) {
  tf_idset all = {0};
  int repeats = 0;
  for (uint64_t p = 0; p < 20000; p++)
    for (uint32_t i = 0; i < 5; i++) {
      uint64_t f = tf__followup_id(p, i);
      CU_ASSERT((f & TF_ID_SPAWNED) != 0);
      CU_ASSERT_EQUAL(f, tf__followup_id(p, i));
      repeats += tf__idset_add(&all, f) != 1;
      repeats += tf__idset_add(&all, tf__child_id(p, i)) != 1;
    }
  CU_ASSERT_EQUAL(repeats, 0);
  CU_ASSERT_EQUAL(all.count, 200000);
  CU_ASSERT_NOT_EQUAL(tf__followup_id(7, 0), tf__child_id(7, 0));
  tf__idset_free(&all);
}

int main(void) {
  static const tf_unit_test tests[] = {
      TF_UNIT_TEST(test_idset_empty_has_nothing),
      TF_UNIT_TEST(test_idset_adds_each_id_once),
      TF_UNIT_TEST(test_idset_keeps_zero_and_all_ones),
      TF_UNIT_TEST(test_idset_holds_many_ids_through_growth),
      TF_UNIT_TEST(test_idset_child_check_refuses_a_wrong_id_and_a_collision),
      TF_UNIT_TEST(test_idset_followup_ids_are_their_own_series),
      TF_UNIT_END,
  };
  return tf_unit_run("idset", tests);
}
