/* test_queue.c - the master's priority queue (src/queue.c): higher priority first, equal
 * priorities in id order, checked against a sorted reference; ownership of record data. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "queue.h"
#include "taskfarm.h"
#include "unit.h"

/* A fixed-seed generator (splitmix64) so every run checks the same sequences. */
static uint64_t rng_state;
static uint64_t rng(void) {
  uint64_t z = (rng_state += UINT64_C(0x9e3779b97f4a7c15));
  z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
  return z ^ (z >> 31);
}

static tf_rec rec(uint64_t id, int32_t prio) {
  tf_rec r = {id, prio, 0, NULL, 0, -1};
  return r;
}

/* The order the queue promises, written independently of tf__rec_before. */
static int ref_cmp(const void *pa, const void *pb) {
  const tf_rec *a = pa, *b = pb;
  if (a->prio != b->prio) return a->prio > b->prio ? -1 : 1;
  return a->id < b->id ? -1 : a->id > b->id;
}

static void test_queue_orders_records_by_priority_then_id(void) {
  tf_rec hi = rec(9, 5), lo = rec(1, -5), a = rec(3, 0), b = rec(4, 0);
  CU_ASSERT(tf__rec_before(&hi, &lo));
  CU_ASSERT(!tf__rec_before(&lo, &hi));
  CU_ASSERT(tf__rec_before(&a, &b));
  CU_ASSERT(!tf__rec_before(&b, &a));
  CU_ASSERT(!tf__rec_before(&a, &a)); /* strict: nothing leaves before itself */
  tf_rec min = rec(0, INT32_MIN), max = rec(UINT64_MAX, INT32_MAX);
  CU_ASSERT(tf__rec_before(&max, &min));
  CU_ASSERT(!tf__rec_before(&min, &max));
  tf_rec spawned = rec(TF_ID_SPAWNED | 1, 0);
  CU_ASSERT(tf__rec_before(&a, &spawned));
}

static void test_queue_pops_higher_priority_first(void) {
  tf_queue q = {0};
  static const int32_t prios[] = {0, 3, -2, 7, INT32_MIN, 1, INT32_MAX, -1};
  for (unsigned i = 0; i < 8; i++) {
    tf_rec r = rec(i, prios[i]);
    CU_ASSERT_EQUAL(tf__queue_push(&q, &r), 0);
  }
  CU_ASSERT_EQUAL(tf__queue_size(&q), 8);
  static const int32_t expect[] = {INT32_MAX, 7, 3, 1, 0, -1, -2, INT32_MIN};
  static const uint64_t expect_id[] = {6, 3, 1, 5, 0, 7, 2, 4};
  tf_rec out;
  for (unsigned i = 0; i < 8; i++) {
    CU_ASSERT_EQUAL_FATAL(tf__queue_pop(&q, &out), 1);
    CU_ASSERT_EQUAL(out.prio, expect[i]);
    CU_ASSERT_EQUAL(out.id, expect_id[i]);
    CU_ASSERT_EQUAL(tf__queue_size(&q), 7 - i);
  }
  CU_ASSERT_EQUAL(tf__queue_pop(&q, &out), 0);
  tf__queue_destroy(&q);
}

static void test_queue_pops_equal_priorities_in_id_order(void) {
  tf_queue q = {0};
  /* Ids pushed in a scrambled order, all at one priority, plus spawned ids. */
  static const uint64_t ids[] = {50, 3, 99, 0, 17, TF_ID_SPAWNED | 2, 4, TF_ID_SPAWNED, 1, 98};
  for (unsigned i = 0; i < 10; i++) {
    tf_rec r = rec(ids[i], 2);
    CU_ASSERT_EQUAL(tf__queue_push(&q, &r), 0);
  }
  static const uint64_t expect[] = {0, 1, 3, 4, 17, 50, 98, 99, TF_ID_SPAWNED, TF_ID_SPAWNED | 2};
  tf_rec out;
  for (unsigned i = 0; i < 10; i++) {
    CU_ASSERT_EQUAL_FATAL(tf__queue_pop(&q, &out), 1);
    CU_ASSERT_EQUAL(out.id, expect[i]);
    CU_ASSERT_EQUAL(out.prio, 2);
  }
  CU_ASSERT_EQUAL(tf__queue_size(&q), 0);
  tf__queue_destroy(&q);
}

static void test_queue_matches_sorted_reference_for_random_pushes(void) {
  enum { N = 5000 };
  static const int32_t spread[] = {2, 11, 1000, 0}; /* 0: the whole int32 range */
  for (unsigned s = 0; s < 4; s++) {
    rng_state = 12345 + s;
    tf_rec *ref = malloc(N * sizeof *ref);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ref);
    /* Distinct ids 0..N-1, shuffled; few priorities so that ties are common. */
    for (unsigned i = 0; i < N; i++)
      ref[i].id = i;
    for (unsigned i = N - 1; i > 0; i--) {
      unsigned j = (unsigned)(rng() % (i + 1));
      uint64_t t = ref[i].id;
      ref[i].id = ref[j].id;
      ref[j].id = t;
    }
    tf_queue q = {0};
    for (unsigned i = 0; i < N; i++) {
      uint64_t r = rng();
      ref[i].prio =
          spread[s] ? (int32_t)(r % (uint64_t)spread[s]) - spread[s] / 2 : (int32_t)(uint32_t)r;
      ref[i].size = 0;
      ref[i].data = NULL;
      CU_ASSERT_EQUAL_FATAL(tf__queue_push(&q, &ref[i]), 0);
    }
    CU_ASSERT_EQUAL(tf__queue_size(&q), N);
    qsort(ref, N, sizeof *ref, ref_cmp);
    unsigned wrong = 0;
    tf_rec out;
    for (unsigned i = 0; i < N; i++) {
      CU_ASSERT_EQUAL_FATAL(tf__queue_pop(&q, &out), 1);
      if (out.id != ref[i].id || out.prio != ref[i].prio) wrong++;
    }
    CU_ASSERT_EQUAL(wrong, 0);
    CU_ASSERT_EQUAL(tf__queue_pop(&q, &out), 0);
    tf__queue_destroy(&q);
    free(ref);
  }
}

static void test_queue_interleaved_push_pop_matches_reference(void) {
  enum { OPS = 20000, MAXN = OPS };
  rng_state = 777;
  tf_rec *ref = malloc(MAXN * sizeof *ref); /* unsorted; the best is found by a scan */
  CU_ASSERT_PTR_NOT_NULL_FATAL(ref);
  size_t n = 0;
  uint64_t next_id = 0;
  unsigned wrong = 0, pops = 0;
  tf_queue q = {0};
  for (unsigned op = 0; op < OPS; op++) {
    /* Pushes outnumber pops in the first half and the reverse after, so the heap grows
     * past its first allocation and then drains to empty more than once. */
    unsigned push_pct = op < OPS / 2 ? 60 : 40;
    if (rng() % 100 < push_pct) {
      tf_rec r = rec(next_id++ * 7 % 100003, (int32_t)(rng() % 9) - 4);
      ref[n++] = r;
      CU_ASSERT_EQUAL_FATAL(tf__queue_push(&q, &r), 0);
    } else {
      tf_rec out;
      if (n == 0) {
        CU_ASSERT_EQUAL(tf__queue_pop(&q, &out), 0);
        CU_ASSERT_PTR_NULL(tf__queue_peek(&q));
        continue;
      }
      size_t best = 0;
      for (size_t i = 1; i < n; i++)
        if (ref_cmp(&ref[i], &ref[best]) < 0) best = i;
      const tf_rec *top = tf__queue_peek(&q);
      CU_ASSERT_PTR_NOT_NULL_FATAL(top);
      if (top->id != ref[best].id) wrong++;
      CU_ASSERT_EQUAL_FATAL(tf__queue_pop(&q, &out), 1);
      if (out.id != ref[best].id || out.prio != ref[best].prio) wrong++;
      ref[best] = ref[--n];
      pops++;
    }
    if (tf__queue_size(&q) != n) wrong++;
  }
  CU_ASSERT_EQUAL(wrong, 0);
  CU_ASSERT(pops > OPS / 3);
  tf__queue_destroy(&q);
  free(ref);
}

static void test_queue_pop_on_empty_returns_zero(void) {
  tf_queue q = {0};
  tf_rec out = rec(1234, 5);
  CU_ASSERT_EQUAL(tf__queue_pop(&q, &out), 0);
  CU_ASSERT_EQUAL(tf__queue_size(&q), 0);
  tf_rec r = rec(1, 1);
  CU_ASSERT_EQUAL(tf__queue_push(&q, &r), 0);
  CU_ASSERT_EQUAL(tf__queue_pop(&q, &out), 1);
  CU_ASSERT_EQUAL(out.id, 1);
  CU_ASSERT_EQUAL(tf__queue_pop(&q, &out), 0);
  CU_ASSERT_EQUAL(tf__queue_size(&q), 0);
  tf__queue_destroy(&q);
}

static void test_queue_peek_shows_next_without_removing(void) {
  tf_queue q = {0};
  CU_ASSERT_PTR_NULL(tf__queue_peek(&q));
  tf_rec a = rec(10, 1), b = rec(11, 4), c = rec(5, 1);
  CU_ASSERT_EQUAL(tf__queue_push(&q, &a), 0);
  CU_ASSERT_PTR_NOT_NULL_FATAL(tf__queue_peek(&q));
  CU_ASSERT_EQUAL(tf__queue_peek(&q)->id, 10);
  CU_ASSERT_EQUAL(tf__queue_push(&q, &b), 0);
  CU_ASSERT_EQUAL(tf__queue_peek(&q)->id, 11);
  CU_ASSERT_EQUAL(tf__queue_push(&q, &c), 0);
  CU_ASSERT_EQUAL(tf__queue_peek(&q)->id, 11);
  CU_ASSERT_EQUAL(tf__queue_peek(&q)->id, 11); /* peeking twice changes nothing */
  CU_ASSERT_EQUAL(tf__queue_size(&q), 3);
  tf_rec out;
  CU_ASSERT_EQUAL(tf__queue_pop(&q, &out), 1);
  CU_ASSERT_EQUAL(out.id, 11);
  CU_ASSERT_EQUAL(tf__queue_peek(&q)->id, 5);
  CU_ASSERT_EQUAL(tf__queue_peek(&q)->prio, 1);
  CU_ASSERT_EQUAL(tf__queue_pop(&q, &out), 1);
  CU_ASSERT_EQUAL(tf__queue_pop(&q, &out), 1);
  CU_ASSERT_EQUAL(out.id, 10);
  CU_ASSERT_PTR_NULL(tf__queue_peek(&q));
  tf__queue_destroy(&q);
}

static void test_queue_pop_hands_over_the_pushed_data(void) {
  tf_queue q = {0};
  unsigned char *ptrs[100];
  for (unsigned i = 0; i < 100; i++) {
    ptrs[i] = malloc(i + 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ptrs[i]);
    memset(ptrs[i], (int)i, i + 1);
    tf_rec r = {i, (int32_t)(i % 3), i + 1, ptrs[i], 0, -1};
    CU_ASSERT_EQUAL_FATAL(tf__queue_push(&q, &r), 0);
  }
  tf_rec out;
  unsigned popped = 0;
  while (tf__queue_pop(&q, &out)) {
    /* The record comes back whole: the same buffer, its size and its bytes. */
    CU_ASSERT_PTR_EQUAL(out.data, ptrs[out.id]);
    CU_ASSERT_EQUAL(out.size, out.id + 1);
    CU_ASSERT_EQUAL(out.prio, (int32_t)(out.id % 3));
    CU_ASSERT_EQUAL(out.data[out.size - 1], (unsigned char)out.id);
    free(out.data);
    popped++;
  }
  CU_ASSERT_EQUAL(popped, 100);
  tf__queue_destroy(&q);
}

static void test_queue_destroy_frees_remaining_records(void) {
  /* destroy frees the data still queued; valgrind --leak-check=full reports any it misses. */
  tf_queue q = {0};
  for (unsigned i = 0; i < 300; i++) {
    tf_rec r = rec(i, (int32_t)(i % 7));
    if (i % 4) {
      r.size = 32;
      r.data = malloc(r.size);
      CU_ASSERT_PTR_NOT_NULL_FATAL(r.data);
      memset(r.data, 0xab, r.size);
    }
    CU_ASSERT_EQUAL_FATAL(tf__queue_push(&q, &r), 0);
  }
  tf_rec out;
  for (unsigned i = 0; i < 100; i++) {
    CU_ASSERT_EQUAL_FATAL(tf__queue_pop(&q, &out), 1);
    free(out.data);
  }
  CU_ASSERT_EQUAL(tf__queue_size(&q), 200);
  tf__queue_destroy(&q);
  CU_ASSERT_PTR_NULL(q.heap);
  CU_ASSERT_EQUAL(tf__queue_size(&q), 0);
  CU_ASSERT_EQUAL(tf__queue_pop(&q, &out), 0);
  /* A destroyed queue is an empty one and can be used again. */
  tf_rec r = rec(1, 0);
  CU_ASSERT_EQUAL(tf__queue_push(&q, &r), 0);
  CU_ASSERT_EQUAL(tf__queue_pop(&q, &out), 1);
  CU_ASSERT_EQUAL(out.id, 1);
  tf__queue_destroy(&q);
  tf__queue_destroy(&q); /* twice is harmless */
  CU_ASSERT_PTR_NULL(q.heap);
}

int main(void) {
  static const tf_unit_test tests[] = {
      TF_UNIT_TEST(test_queue_orders_records_by_priority_then_id),
      TF_UNIT_TEST(test_queue_pops_higher_priority_first),
      TF_UNIT_TEST(test_queue_pops_equal_priorities_in_id_order),
      TF_UNIT_TEST(test_queue_matches_sorted_reference_for_random_pushes),
      TF_UNIT_TEST(test_queue_interleaved_push_pop_matches_reference),
      TF_UNIT_TEST(test_queue_pop_on_empty_returns_zero),
      TF_UNIT_TEST(test_queue_peek_shows_next_without_removing),
      TF_UNIT_TEST(test_queue_pop_hands_over_the_pushed_data),
      TF_UNIT_TEST(test_queue_destroy_frees_remaining_records),
      TF_UNIT_END,
  };
  return tf_unit_run("queue", tests);
}
