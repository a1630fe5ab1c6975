/* test_order.c - results in id order (src/order.c): early results wait and come out at their
 * turn, marks of tasks given up on pass theirs, a shuffled stream comes out sorted, and at the
 * end of a run cut short what waits comes out in id order, gaps and all. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "order.h"
#include "taskfarm.h"
#include "unit.h"

static void test_order_holds_an_early_result_until_its_turn(void) {
  tf_order o = {0};
  tf_held x;
  CU_ASSERT_EQUAL(tf__order_put(&o, 1, "one", 3), 0); /* early: held, copied */
  CU_ASSERT_EQUAL(o.bytes, 3);
  CU_ASSERT_EQUAL(tf__order_pop(&o, &x), 0);       /* 0 has not come */
  CU_ASSERT_EQUAL(tf__order_put(&o, 0, "zero", 4), 1); /* its turn: the caller hands it on */
  CU_ASSERT_EQUAL(tf__order_pop(&o, &x), 1);
  CU_ASSERT_EQUAL(x.id, 1);
  CU_ASSERT_EQUAL(x.size, 3);
  CU_ASSERT_EQUAL(memcmp(x.data, "one", 3), 0);
  free(x.data);
  CU_ASSERT_EQUAL(o.next, 2);
  CU_ASSERT_EQUAL(o.bytes, 0);
  CU_ASSERT_EQUAL(tf__order_pop(&o, &x), 0);
  /* a result whose turn is past is an error, not a second delivery */
  CU_ASSERT_EQUAL(tf__order_put(&o, 1, "one", 3), TF_EINVAL);
  CU_ASSERT_EQUAL(tf__order_gone(&o, 0), TF_EINVAL);
  tf__order_free(&o);
}

static void test_order_a_task_given_up_on_passes_its_turn(void) {
  tf_order o = {0};
  tf_held x;
  CU_ASSERT_EQUAL(tf__order_put(&o, 2, NULL, 0), 0);
  CU_ASSERT_EQUAL(tf__order_gone(&o, 1), 0); /* noted */
  CU_ASSERT_EQUAL(tf__order_gone(&o, 0), 1); /* its turn: passed at once */
  CU_ASSERT_EQUAL(tf__order_pop(&o, &x), 1);
  CU_ASSERT_EQUAL(x.id, 1);
  CU_ASSERT(x.gone);
  CU_ASSERT_EQUAL(tf__order_pop(&o, &x), 1);
  CU_ASSERT_EQUAL(x.id, 2);
  CU_ASSERT(!x.gone);
  CU_ASSERT_PTR_NULL(x.data); /* an empty result */
  CU_ASSERT_EQUAL(tf__order_pop(&o, &x), 0);
  CU_ASSERT_EQUAL(o.next, 3);
  tf__order_free(&o);
}

/* 10^4 ids in a shuffled order, some given up on: what comes out is 0, 1, 2, ... exactly. */
static void test_order_sorts_a_shuffled_stream(void) {
  enum { N = 10000 };
  static uint64_t ids[N];
  for (uint64_t i = 0; i < N; i++)
    ids[i] = i;
  srand(7);
  for (int i = N - 1; i > 0; i--) {
    int j = rand() % (i + 1);
    uint64_t t = ids[i];
    ids[i] = ids[j];
    ids[j] = t;
  }
  tf_order o = {0};
  uint64_t expect = 0, results = 0, marks = 0;
  size_t most = 0;
  int bad = 0;
  for (int i = 0; i < N; i++) {
    uint64_t v = ids[i] * 3;
    int rc = ids[i] % 10 == 3 ? tf__order_gone(&o, ids[i]) : tf__order_put(&o, ids[i], &v, sizeof v);
    if (rc < 0) bad++;
    if (rc == 1) { /* handed on by the caller */
      bad += ids[i] != expect++;
      ids[i] % 10 == 3 ? marks++ : results++;
    }
    tf_held x;
    while (tf__order_pop(&o, &x)) {
      bad += x.id != expect++;
      if (x.gone) {
        marks++;
      } else {
        uint64_t got;
        memcpy(&got, x.data, sizeof got);
        bad += got != x.id * 3;
        results++;
      }
      free(x.data);
    }
    if (o.n > most) most = o.n;
  }
  CU_ASSERT_EQUAL(bad, 0);
  CU_ASSERT_EQUAL(expect, N);
  CU_ASSERT_EQUAL(marks, N / 10);
  CU_ASSERT_EQUAL(results, N - N / 10);
  CU_ASSERT_EQUAL(o.n, 0);
  CU_ASSERT(most > 100); /* the shuffle made many wait */
  tf__order_free(&o);
}

static void test_order_pop_any_empties_in_id_order_at_the_end(void) {
  tf_order o = {0};
  tf_held x;
  CU_ASSERT_EQUAL(tf__order_put(&o, 9, "9", 1), 0);
  CU_ASSERT_EQUAL(tf__order_put(&o, 4, "4", 1), 0);
  CU_ASSERT_EQUAL(tf__order_gone(&o, 6), 0);
  uint64_t seen[3];
  int n = 0;
  while (tf__order_pop_any(&o, &x)) {
    seen[n++] = x.id;
    free(x.data);
  }
  CU_ASSERT_EQUAL(n, 3);
  CU_ASSERT_EQUAL(seen[0], 4);
  CU_ASSERT_EQUAL(seen[1], 6);
  CU_ASSERT_EQUAL(seen[2], 9);
  CU_ASSERT_EQUAL(o.next, 10);
  /* the window: ids within it may be generated */
  CU_ASSERT(tf__order_room(&o, 10 + 79, 80));
  CU_ASSERT(!tf__order_room(&o, 10 + 80, 80));
  /* held data is freed with the buffer */
  CU_ASSERT_EQUAL(tf__order_put(&o, 12, "12", 2), 0);
  tf__order_free(&o);
  CU_ASSERT_EQUAL(o.n, 0);
}

int main(void) {
  static const tf_unit_test tests[] = {
      TF_UNIT_TEST(test_order_holds_an_early_result_until_its_turn),
      TF_UNIT_TEST(test_order_a_task_given_up_on_passes_its_turn),
      TF_UNIT_TEST(test_order_sorts_a_shuffled_stream),
      TF_UNIT_TEST(test_order_pop_any_empties_in_id_order_at_the_end),
      TF_UNIT_END,
  };
  return tf_unit_run("order", tests);
}
