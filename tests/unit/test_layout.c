/* test_layout.c - each rank's role, parent and children (src/layout.c): a one-rank farm is
 * serial, rank 0 serves every other rank, and the rank <-> child-index mapping is one mapping
 * seen from both ends for every farm size. */
#include "layout.h"
#include "unit.h"

static void test_one_rank_is_serial(void) {
  tf_layout l;
  tf__layout_init(&l, 0, 1);
  CU_ASSERT_EQUAL(l.role, TF_ROLE_SERIAL);
  CU_ASSERT_EQUAL(l.parent, -1);
  CU_ASSERT_EQUAL(l.nchildren, 0);
  CU_ASSERT_EQUAL(l.index, -1);
  CU_ASSERT_EQUAL(l.siblings, 0);
}

static void test_root_serves_every_other_rank(void) {
  tf_layout l;
  tf__layout_init(&l, 0, 5);
  CU_ASSERT_EQUAL(l.role, TF_ROLE_ROOT);
  CU_ASSERT_EQUAL(l.parent, -1);
  CU_ASSERT_EQUAL(l.nchildren, 4);
  CU_ASSERT_EQUAL(l.index, -1);
  for (int i = 0; i < 4; i++)
    CU_ASSERT_EQUAL(tf__layout_child_rank(&l, i), i + 1);
  CU_ASSERT_EQUAL(tf__layout_child_index(&l, 0), -1); /* itself */
  CU_ASSERT_EQUAL(tf__layout_child_index(&l, 5), -1); /* past the end */
  CU_ASSERT_EQUAL(tf__layout_child_index(&l, -3), -1);
}

static void test_worker_knows_its_parent(void) {
  tf_layout l;
  tf__layout_init(&l, 3, 5);
  CU_ASSERT_EQUAL(l.role, TF_ROLE_WORKER);
  CU_ASSERT_EQUAL(l.parent, 0);
  CU_ASSERT_EQUAL(l.nchildren, 0);
  CU_ASSERT_EQUAL(l.index, 2);
  CU_ASSERT_EQUAL(l.siblings, 4);
  CU_ASSERT_EQUAL(tf__layout_child_index(&l, 4), -1); /* a worker has no children */
}

/* For every size up to 70: each non-root rank is exactly one child of its parent, at the index
 * it believes it has, and the parent maps that index back to its rank. */
static void test_mapping_agrees_from_both_ends(void) {
  for (int size = 2; size <= 70; size++) {
    int children = 0;
    for (int r = 0; r < size; r++) {
      tf_layout l;
      tf__layout_init(&l, r, size);
      CU_ASSERT_EQUAL(l.rank, r);
      CU_ASSERT_EQUAL(l.size, size);
      if (l.parent < 0) continue;
      children++;
      tf_layout p;
      tf__layout_init(&p, l.parent, size);
      CU_ASSERT_EQUAL(l.siblings, p.nchildren);
      CU_ASSERT(l.index >= 0 && l.index < p.nchildren);
      CU_ASSERT_EQUAL(tf__layout_child_index(&p, r), l.index);
      CU_ASSERT_EQUAL(tf__layout_child_rank(&p, l.index), r);
    }
    CU_ASSERT_EQUAL(children, size - 1); /* every rank but the root has a parent */
  }
}

int main(void) {
  static const tf_unit_test tests[] = {
      TF_UNIT_TEST(test_one_rank_is_serial),
      TF_UNIT_TEST(test_root_serves_every_other_rank),
      TF_UNIT_TEST(test_worker_knows_its_parent),
      TF_UNIT_TEST(test_mapping_agrees_from_both_ends),
      TF_UNIT_END,
  };
  return tf_unit_run("layout", tests);
}
