/* test_idmap.c - the map from task id to a number that the ledger indexes a relay's tasks
 * with (src/idmap.c): put, get and delete against a reference, ids of every kind (0, all
 * ones, spawned, consecutive), deletions that must shift later entries back, and growth. */
#include <stdint.h>
#include <stdlib.h>

#include "idmap.h"
#include "ids.h"
#include "taskfarm.h"
#include "unit.h"

static void test_idmap_empty_has_nothing(void) {
  tf_idmap m = {0};
  CU_ASSERT_EQUAL(tf__idmap_get(&m, 0), TF_IDMAP_FREE);
  CU_ASSERT_EQUAL(tf__idmap_del(&m, 0), 0);
  tf__idmap_free(&m);
}

/* 0, all ones and a spawned id are keys like any other; a put replaces. */
static void test_idmap_puts_gets_and_replaces(void) {
  tf_idmap m = {0};
  static const uint64_t ids[] = {0, UINT64_MAX, TF_ID_SPAWNED | 12345, 7};
  for (unsigned i = 0; i < 4; i++)
    CU_ASSERT_EQUAL_FATAL(tf__idmap_put(&m, ids[i], 100 + i), 0);
  CU_ASSERT_EQUAL(m.count, 4);
  for (unsigned i = 0; i < 4; i++)
    CU_ASSERT_EQUAL(tf__idmap_get(&m, ids[i]), 100 + i);
  CU_ASSERT_EQUAL_FATAL(tf__idmap_put(&m, 7, 5), 0);
  CU_ASSERT_EQUAL(m.count, 4);
  CU_ASSERT_EQUAL(tf__idmap_get(&m, 7), 5);
  CU_ASSERT_EQUAL(tf__idmap_get(&m, 8), TF_IDMAP_FREE);
  CU_ASSERT_EQUAL(tf__idmap_del(&m, UINT64_MAX), 1);
  CU_ASSERT_EQUAL(tf__idmap_del(&m, UINT64_MAX), 0);
  CU_ASSERT_EQUAL(tf__idmap_get(&m, UINT64_MAX), TF_IDMAP_FREE);
  CU_ASSERT_EQUAL(tf__idmap_get(&m, 0), 100);
  CU_ASSERT_EQUAL(m.count, 3);
  tf__idmap_free(&m);
  CU_ASSERT_PTR_NULL(m.slots);
}

static uint64_t rng_state;
static uint64_t rng(void) { /* splitmix64 */
  uint64_t z = (rng_state += UINT64_C(0x9e3779b97f4a7c15));
  z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
  return z ^ (z >> 31);
}

/* A window of consecutive ids slides as a relay's tasks come and go, taken out in any order
 * (many deletions land inside runs of probed entries): after every step each id of the
 * reference is found with its number, and each deleted one is gone. */
static void test_idmap_sliding_window_matches_reference(void) {
  enum { N = 4096, STEPS = 60000 };
  static uint64_t in[N]; /* the ids in, unordered; each maps to 3 x id */
  int nin = 0;
  uint64_t next = 0;
  rng_state = 5;
  tf_idmap m = {0};
  unsigned wrong = 0;
  for (int s = 0; s < STEPS; s++) {
    if (nin < N / 2 || (nin < N && rng() % 2)) { /* a new task */
      uint64_t id = next++;
      if (tf__idmap_put(&m, id, id * 3) != 0) wrong++;
      in[nin++] = id;
    } else { /* one ends, any of them */
      int k = (int)(rng() % (uint64_t)nin);
      uint64_t id = in[k];
      in[k] = in[--nin];
      if (tf__idmap_del(&m, id) != 1) wrong++;
      if (tf__idmap_get(&m, id) != TF_IDMAP_FREE) wrong++;
    }
    if (s % 1000 == 0)
      for (int k = 0; k < nin; k++)
        wrong += tf__idmap_get(&m, in[k]) != in[k] * 3;
  }
  for (int k = 0; k < nin; k++)
    wrong += tf__idmap_get(&m, in[k]) != in[k] * 3;
  CU_ASSERT_EQUAL(wrong, 0);
  CU_ASSERT_EQUAL(m.count, (size_t)nin);
  CU_ASSERT(m.cap <= 4 * N); /* deletions free their slots: the map does not grow without end */
  tf__idmap_free(&m);
}

int main(void) {
  static const tf_unit_test tests[] = {
      TF_UNIT_TEST(test_idmap_empty_has_nothing),
      TF_UNIT_TEST(test_idmap_puts_gets_and_replaces),
      TF_UNIT_TEST(test_idmap_sliding_window_matches_reference),
      TF_UNIT_END,
  };
  return tf_unit_run("idmap", tests);
}
