/* test_pool.c - the tasks waiting to be handed out (src/pool.c): one queue every child draws
 * from, or under the static schedule equal runs of ids per child, fixed once generation is done;
 * retries and spawned tasks stay in the child's share, a lost child's share moves on whole, and
 * nothing is lost or counted twice. With widths (relays), a child's share is its workers'. */
#include <stdlib.h>

#include "pool.h"
#include "unit.h"

static void fill(tf_pool *p, uint64_t first, uint64_t n) {
  for (uint64_t id = first; id < first + n; id++)
    CU_ASSERT_EQUAL_FATAL(tf__queue_push_new(tf__pool_input(p), id, 0, &id, sizeof id), 0);
}

/* Empty the pool, checking that every task id in [first, first + n) comes out exactly once
 * with its own payload. */
static void drain_all(tf_pool *p, uint64_t first, uint64_t n) {
  char *seen = calloc(n, 1);
  tf_rec r;
  uint64_t count = 0;
  while (tf__pool_take_any(p, &r)) {
    CU_ASSERT(r.id >= first && r.id < first + n);
    if (r.id >= first && r.id < first + n) {
      CU_ASSERT_EQUAL(seen[r.id - first], 0);
      seen[r.id - first] = 1;
    }
    CU_ASSERT_EQUAL(r.size, sizeof(uint64_t));
    CU_ASSERT_EQUAL(*(uint64_t *)r.data, r.id);
    free(r.data);
    count++;
  }
  CU_ASSERT_EQUAL(count, n);
  CU_ASSERT_EQUAL(tf__pool_size(p), 0);
  free(seen);
}

static void test_shared_queue(void) {
  tf_pool p;
  CU_ASSERT_EQUAL_FATAL(tf__pool_init(&p, 3, 0), 0);
  fill(&p, 1, 5);
  CU_ASSERT(tf__pool_ready(&p));
  CU_ASSERT(tf__pool_shared(&p));
  CU_ASSERT_EQUAL(tf__pool_fix_shares(&p), 0); /* nothing to do */
  for (int i = 0; i < 3; i++)
    CU_ASSERT_PTR_EQUAL(tf__pool_of(&p, i), tf__pool_input(&p));
  CU_ASSERT_EQUAL(tf__pool_size(&p), 5);
  tf_rec r;
  CU_ASSERT_EQUAL(tf__queue_pop(tf__pool_of(&p, 2), &r), 1);
  CU_ASSERT_EQUAL(r.id, 1); /* in id order, whoever asks */
  CU_ASSERT_EQUAL(tf__pool_put(&p, 0, &r), 0); /* a retry goes back where everyone draws */
  drain_all(&p, 1, 5);
  tf__pool_destroy(&p);
}

/* Static: nothing goes out before the shares are fixed; then child i holds the i-th of n equal
 * runs of ids (sizes differing by at most one), in id order. */
static void test_static_shares(void) {
  enum { CHILDREN = 3, TASKS = 10 };
  tf_pool p;
  CU_ASSERT_EQUAL_FATAL(tf__pool_init(&p, CHILDREN, 1), 0);
  fill(&p, 1, TASKS);
  CU_ASSERT(!tf__pool_ready(&p));
  CU_ASSERT(!tf__pool_shared(&p));
  CU_ASSERT_EQUAL_FATAL(tf__pool_fix_shares(&p), 0);
  CU_ASSERT(tf__pool_ready(&p));
  CU_ASSERT_EQUAL(tf__queue_size(tf__pool_input(&p)), 0);
  CU_ASSERT_EQUAL(tf__pool_size(&p), TASKS);
  uint64_t next = 1;
  size_t least = TASKS, most = 0;
  for (int i = 0; i < CHILDREN; i++) {
    tf_queue *q = tf__pool_of(&p, i);
    size_t n = tf__queue_size(q);
    least = n < least ? n : least;
    most = n > most ? n : most;
    tf_rec held[TASKS];
    for (size_t k = 0; k < n; k++) {
      CU_ASSERT_FATAL(tf__queue_pop(q, &held[k]));
      CU_ASSERT_EQUAL(held[k].id, next); /* consecutive runs, child by child */
      next++;
    }
    for (size_t k = 0; k < n; k++) /* back into its share */
      CU_ASSERT_EQUAL(tf__pool_put(&p, i, &held[k]), 0);
  }
  CU_ASSERT_EQUAL(next, TASKS + 1);
  CU_ASSERT(most - least <= 1);
  drain_all(&p, 1, TASKS);
  tf__pool_destroy(&p);
}

/* Static: a spawned task or a retry stays in its child's share; a lost child's share moves to
 * another child whole. */
static void test_static_put_and_move(void) {
  tf_pool p;
  CU_ASSERT_EQUAL_FATAL(tf__pool_init(&p, 2, 1), 0);
  fill(&p, 1, 4); /* child 0: 1, 2; child 1: 3, 4 */
  CU_ASSERT_EQUAL_FATAL(tf__pool_fix_shares(&p), 0);
  uint64_t id = 5;
  tf_rec r = {.id = id, .size = sizeof id, .avoid = -1};
  CU_ASSERT_EQUAL_FATAL(tf__rec_set_data(&r, &id, sizeof id), 0);
  CU_ASSERT_EQUAL(tf__pool_put(&p, 0, &r), 0);
  CU_ASSERT_EQUAL(tf__queue_size(tf__pool_of(&p, 0)), 3);
  CU_ASSERT_EQUAL(tf__queue_size(tf__pool_of(&p, 1)), 2);
  CU_ASSERT_EQUAL(tf__pool_move_share(&p, 0, 1), 0);
  CU_ASSERT_EQUAL(tf__queue_size(tf__pool_of(&p, 0)), 0);
  CU_ASSERT_EQUAL(tf__queue_size(tf__pool_of(&p, 1)), 5);
  CU_ASSERT_EQUAL(tf__pool_size(&p), 5);
  drain_all(&p, 1, 5);
  tf__pool_destroy(&p);
}

/* More children than tasks: some shares are empty, none holds a task twice. */
static void test_static_more_children_than_tasks(void) {
  tf_pool p;
  CU_ASSERT_EQUAL_FATAL(tf__pool_init(&p, 8, 1), 0);
  fill(&p, 1, 3);
  CU_ASSERT_EQUAL_FATAL(tf__pool_fix_shares(&p), 0);
  size_t total = 0, empty = 0;
  for (int i = 0; i < 8; i++) {
    size_t n = tf__queue_size(tf__pool_of(&p, i));
    CU_ASSERT(n <= 1);
    total += n;
    empty += n == 0;
  }
  CU_ASSERT_EQUAL(total, 3);
  CU_ASSERT_EQUAL(empty, 5);
  drain_all(&p, 1, 3);
  tf__pool_destroy(&p);
}

/* Static with widths (a relay stands for its workers): fix the shares of n tasks (ids 1..n)
 * among the children and check that child i holds exactly want[i] tasks, consecutive ids child
 * after child; the tasks go back to their shares. */
static void check_weighted(const int *width, int children, uint64_t n, const size_t *want) {
  tf_pool p;
  CU_ASSERT_EQUAL_FATAL(tf__pool_init(&p, children, 1), 0);
  p.width = width;
  fill(&p, 1, n);
  CU_ASSERT_EQUAL_FATAL(tf__pool_fix_shares(&p), 0);
  uint64_t next = 1;
  for (int i = 0; i < children; i++) {
    tf_queue *q = tf__pool_of(&p, i);
    CU_ASSERT_EQUAL(tf__queue_size(q), want[i]);
    for (tf_rec r; tf__queue_pop(q, &r);) {
      CU_ASSERT_EQUAL(r.id, next); /* in id order, child by child */
      next++;
      free(r.data);
    }
  }
  CU_ASSERT_EQUAL(next, n + 1);
  CU_ASSERT_EQUAL(tf__pool_size(&p), 0);
  tf__pool_destroy(&p);
}

/* Widths 2, 1, 3 (a relay of two, a worker, a relay of three): 12 tasks are six runs of two,
 * so 4, 2 and 6; 10 tasks are runs of 2, 2, 1, 2, 2, 1 (worker j's run is the ids k with
 * k * 6 / 10 = j), so 4, 1 and 5. */
static void test_static_shares_weighted_by_width(void) {
  static const int width[] = {2, 1, 3};
  check_weighted(width, 3, 12, (const size_t[]){4, 2, 6});
  check_weighted(width, 3, 10, (const size_t[]){4, 1, 5});
  check_weighted(width, 3, 6, (const size_t[]){2, 1, 3});
  check_weighted(width, 3, 0, (const size_t[]){0, 0, 0});
  /* fewer tasks than workers: worker j of 4 gets the one task with k * 4 / 2 = j */
  check_weighted((const int[]){1, 3}, 2, 2, (const size_t[]){1, 1});
  check_weighted((const int[]){3, 1}, 2, 2, (const size_t[]){2, 0});
  /* every width 1: the unweighted shares (10 over 3: 4, 3, 3) */
  check_weighted((const int[]){1, 1, 1}, 3, 10, (const size_t[]){4, 3, 3});
}

/* For many widths and task counts: child i's share differs from n * width[i] / workers by
 * less than one task, and the shares add up to n. */
static void test_static_weighted_shares_are_within_one_of_exact(void) {
  static const int widths[][5] = {
      {1, 1, 1, 1, 1}, {5, 1, 1, 1, 1}, {1, 7, 2, 1, 3}, {64, 1, 63, 2, 1}, {3, 3, 3, 1, 9}};
  unsigned wrong = 0;
  for (int c = 0; c < 5; c++) {
    int workers = 0;
    for (int i = 0; i < 5; i++)
      workers += widths[c][i];
    for (uint64_t n = 0; n <= 150; n += n < 20 ? 1 : 13) {
      tf_pool p;
      CU_ASSERT_EQUAL_FATAL(tf__pool_init(&p, 5, 1), 0);
      p.width = widths[c];
      fill(&p, 1, n);
      CU_ASSERT_EQUAL_FATAL(tf__pool_fix_shares(&p), 0);
      uint64_t sum = 0;
      for (int i = 0; i < 5; i++) {
        long long got = (long long)tf__queue_size(tf__pool_of(&p, i));
        long long off = got * workers - (long long)n * widths[c][i]; /* times workers */
        wrong += off <= -workers || off >= workers;
        sum += (uint64_t)got;
      }
      wrong += sum != n;
      drain_all(&p, 1, n);
      tf__pool_destroy(&p);
    }
  }
  CU_ASSERT_EQUAL(wrong, 0);
}

int main(void) {
  static const tf_unit_test tests[] = {
      TF_UNIT_TEST(test_shared_queue),
      TF_UNIT_TEST(test_static_shares),
      TF_UNIT_TEST(test_static_put_and_move),
      TF_UNIT_TEST(test_static_more_children_than_tasks),
      TF_UNIT_TEST(test_static_shares_weighted_by_width),
      TF_UNIT_TEST(test_static_weighted_shares_are_within_one_of_exact),
      TF_UNIT_END,
  };
  return tf_unit_run("pool", tests);
}
