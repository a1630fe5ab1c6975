/* test_layout.c - each rank's role, parent and children (src/layout.c): a one-rank farm is
 * serial, rank 0 serves every other rank, and the rank <-> child-index mapping is one mapping
 * seen from both ends for every farm size. With relays (--relays K or node): which rank serves
 * which, each child's width, the workers numbered across the tree, the same from both ends for
 * every size and grouping; off, auto on one node, and too few ranks stay flat. Workers that
 * join a running farm: the root's layout grows (flat, with relays, one job after another, a
 * root alone), every mapping still agreeing; no other rank takes them in. */
#include <stdlib.h>

#include "layout.h"
#include "taskfarm.h"
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

/* ---- relays (tf__layout_init_groups, tf__layout_relays) ---- */

/* 8 ranks, --relays 3: ranks 1..3 are a group (relay 1 serves 2 and 3), 4..6 another (relay 4
 * serves 5 and 6), and rank 7, alone in its group, is a worker of the root. */
static void relays3_of_8(tf_layout *l, int rank) {
  CU_ASSERT_EQUAL_FATAL(tf__layout_relays(l, rank, 8, 3, NULL, 1), 0);
}

/* The root serves the two relays and rank 7; the workers are numbered 0..4 in rank order, the
 * relays skipped, and the two mappings are one seen from both ends. */
static void test_groups_root_of_8_ranks_by_3(void) {
  tf_layout l;
  relays3_of_8(&l, 0);
  CU_ASSERT_EQUAL(l.role, TF_ROLE_ROOT);
  CU_ASSERT_EQUAL(l.parent, -1);
  CU_ASSERT_EQUAL(l.index, -1);
  CU_ASSERT_EQUAL(l.siblings, 0);
  CU_ASSERT_EQUAL(l.nworkers, 5);
  CU_ASSERT_EQUAL(l.relays, 2);
  CU_ASSERT_EQUAL(l.width, 5);
  CU_ASSERT_EQUAL(l.worker, -1);
  CU_ASSERT_EQUAL(l.nchildren, 3);
  static const int kids[] = {1, 4, 7}, widths[] = {2, 2, 1}, relay[] = {1, 1, 0};
  for (int i = 0; i < 3; i++) {
    CU_ASSERT_EQUAL(tf__layout_child_rank(&l, i), kids[i]);
    CU_ASSERT_EQUAL(tf__layout_child_index(&l, kids[i]), i);
    CU_ASSERT_EQUAL(tf__layout_child_width(&l, i), widths[i]);
    CU_ASSERT_EQUAL(tf__layout_child_is_relay(&l, i), relay[i]);
  }
  CU_ASSERT_EQUAL(tf__layout_child_rank(&l, 3), -1);
  CU_ASSERT_EQUAL(tf__layout_child_rank(&l, -1), -1);
  static const int not_kids[] = {0, 2, 3, 5, 6, 8, -1};
  for (int k = 0; k < 7; k++)
    CU_ASSERT_EQUAL(tf__layout_child_index(&l, not_kids[k]), -1);
  static const int wrank[] = {2, 3, 5, 6, 7};
  for (int w = 0; w < 5; w++) {
    CU_ASSERT_EQUAL(tf__layout_worker_rank(&l, w), wrank[w]);
    CU_ASSERT_EQUAL(tf__layout_worker_of(&l, wrank[w]), w);
  }
  CU_ASSERT_EQUAL(tf__layout_worker_rank(&l, 5), -1);
  CU_ASSERT_EQUAL(tf__layout_worker_rank(&l, -1), -1);
  static const int not_workers[] = {0, 1, 4, 8, -1};
  for (int k = 0; k < 5; k++)
    CU_ASSERT_EQUAL(tf__layout_worker_of(&l, not_workers[k]), -1);
  tf__layout_free(&l);
  CU_ASSERT_PTR_NULL(l.kids);
  CU_ASSERT_PTR_NULL(l.wrank);
}

/* A relay: a child of the root (its index among the root's three children), the parent of the
 * rest of its group, standing for their two workers. */
static void test_groups_relay_of_8_ranks_by_3(void) {
  static const int rank[] = {1, 4}, index[] = {0, 1};
  for (int k = 0; k < 2; k++) {
    tf_layout l;
    relays3_of_8(&l, rank[k]);
    CU_ASSERT_EQUAL(l.role, TF_ROLE_RELAY);
    CU_ASSERT_EQUAL(l.parent, 0);
    CU_ASSERT_EQUAL(l.index, index[k]);
    CU_ASSERT_EQUAL(l.siblings, 3);
    CU_ASSERT_EQUAL(l.parent_width, 5);
    CU_ASSERT_EQUAL(l.width, 2);
    CU_ASSERT_EQUAL(l.worker, -1);
    CU_ASSERT_EQUAL(l.nworkers, 5);
    CU_ASSERT_EQUAL(l.relays, 2);
    CU_ASSERT_EQUAL(l.nchildren, 2);
    for (int i = 0; i < 2; i++) {
      CU_ASSERT_EQUAL(tf__layout_child_rank(&l, i), rank[k] + 1 + i);
      CU_ASSERT_EQUAL(tf__layout_child_index(&l, rank[k] + 1 + i), i);
      CU_ASSERT_EQUAL(tf__layout_child_width(&l, i), 1);
      CU_ASSERT_EQUAL(tf__layout_child_is_relay(&l, i), 0);
    }
    CU_ASSERT_EQUAL(tf__layout_child_index(&l, rank[k]), -1);     /* itself */
    CU_ASSERT_EQUAL(tf__layout_child_index(&l, rank[k] + 3), -1); /* the next group's */
    CU_ASSERT_EQUAL(tf__layout_child_index(&l, 7), -1);
    tf__layout_free(&l);
  }
}

/* The workers: 2, 3 under relay 1, 5, 6 under relay 4, each numbered across the tree; 7 under
 * the root, among its three children. */
static void test_groups_workers_of_8_ranks_by_3(void) {
  static const struct {
    int rank, parent, index, siblings, parent_width, worker;
  } want[] = {{2, 1, 0, 2, 2, 0}, {3, 1, 1, 2, 2, 1}, {5, 4, 0, 2, 2, 2},
              {6, 4, 1, 2, 2, 3}, {7, 0, 2, 3, 5, 4}};
  for (int k = 0; k < 5; k++) {
    tf_layout l;
    relays3_of_8(&l, want[k].rank);
    CU_ASSERT_EQUAL(l.role, TF_ROLE_WORKER);
    CU_ASSERT_EQUAL(l.parent, want[k].parent);
    CU_ASSERT_EQUAL(l.index, want[k].index);
    CU_ASSERT_EQUAL(l.siblings, want[k].siblings);
    CU_ASSERT_EQUAL(l.parent_width, want[k].parent_width);
    CU_ASSERT_EQUAL(l.worker, want[k].worker);
    CU_ASSERT_EQUAL(l.width, 1);
    CU_ASSERT_EQUAL(l.nchildren, 0);
    CU_ASSERT_EQUAL(l.nworkers, 5);
    CU_ASSERT_EQUAL(l.relays, 2);
    CU_ASSERT_EQUAL(tf__layout_child_rank(&l, 0), -1);
    CU_ASSERT_EQUAL(tf__layout_child_index(&l, want[k].rank + 1), -1);
    tf__layout_free(&l);
  }
}

/* Every rank r of a farm of size ranks laid out by mode (leader: each rank's node's lowest
 * rank) agrees with its parent: it is that parent's child at its index, with its width and
 * its relay flag; its parent's width is its parent_width; the root numbers the workers 0..n-1
 * in rank order, each as the worker believes, and the children's widths add up to them. */
static void check_tree(int size, int mode, const int *leader, int nnodes) {
  tf_layout root, *l = malloc((size_t)size * sizeof *l);
  CU_ASSERT_PTR_NOT_NULL_FATAL(l);
  for (int r = 0; r < size; r++)
    CU_ASSERT_EQUAL_FATAL(tf__layout_relays(&l[r], r, size, mode, leader, nnodes), 0);
  root = l[0];
  CU_ASSERT_EQUAL(root.role, TF_ROLE_ROOT);
  int relays = 0, workers = 0, sum = 0, bad = 0;
  for (int i = 0; i < root.nchildren; i++)
    sum += tf__layout_child_width(&root, i);
  for (int r = 1; r < size; r++) {
    const tf_layout *c = &l[r];
    const tf_layout *p = c->parent >= 0 && c->parent < size ? &l[c->parent] : NULL;
    bad += c->rank != r || c->size != size || !p || c->nworkers != root.nworkers ||
           c->relays != root.relays;
    if (!p) continue;
    bad += c->siblings != p->nchildren || c->index < 0 || c->index >= p->nchildren ||
           tf__layout_child_index(p, r) != c->index ||
           tf__layout_child_rank(p, c->index) != r ||
           tf__layout_child_width(p, c->index) != c->width ||
           tf__layout_child_is_relay(p, c->index) != (c->role == TF_ROLE_RELAY) ||
           c->parent_width != p->width;
    if (c->role == TF_ROLE_RELAY) {
      relays++;
      bad += c->parent != 0 || c->worker != -1 || c->width != c->nchildren || c->width < 1 ||
             tf__layout_worker_of(&root, r) != -1;
    } else {
      bad += c->role != TF_ROLE_WORKER || c->width != 1 || c->nchildren != 0 ||
             c->worker != workers || tf__layout_worker_of(&root, r) != c->worker ||
             tf__layout_worker_rank(&root, c->worker) != r;
      workers++;
    }
  }
  CU_ASSERT_EQUAL(bad, 0);
  CU_ASSERT_EQUAL(relays, root.relays);
  CU_ASSERT_EQUAL(workers, root.nworkers);
  CU_ASSERT_EQUAL(sum, root.nworkers);
  CU_ASSERT_EQUAL(root.width, root.nworkers);
  CU_ASSERT_EQUAL(tf__layout_worker_of(&root, 0), -1);
  for (int r = 0; r < size; r++)
    tf__layout_free(&l[r]);
  free(l);
}

/* --relays K for every size up to 70 and K in 2, 3, 5: the tree is one tree from both ends,
 * with a relay for every full group of K consecutive ranks after the root (and for a last,
 * shorter group of two or more). */
static void test_groups_by_k_agree_from_both_ends(void) {
  static const int ks[] = {2, 3, 5};
  for (int size = 2; size <= 70; size++)
    for (int k = 0; k < 3; k++) {
      check_tree(size, ks[k], NULL, 1);
      tf_layout l;
      CU_ASSERT_EQUAL_FATAL(tf__layout_relays(&l, 0, size, ks[k], NULL, 1), 0);
      int groups = (size - 1 + ks[k] - 1) / ks[k], last = (size - 1) - (groups - 1) * ks[k];
      int want = size < 3 ? 0 : groups - (last == 1);
      CU_ASSERT_EQUAL(l.relays, want);
      CU_ASSERT_EQUAL(l.nworkers, size - 1 - want);
      tf__layout_free(&l);
    }
}

/* --relays node with ranks dealt round robin to 3 nodes (rank r on node r % 3, so node n's
 * lowest rank is n): the root's node's other ranks are its own workers; ranks 1 and 2 are the
 * relays of the two other nodes, serving ranks that are not next to them. */
static void test_groups_by_round_robin_nodes(void) {
  enum { SIZE = 10 };
  int leader[SIZE];
  for (int r = 0; r < SIZE; r++)
    leader[r] = r % 3;
  tf_layout l;
  CU_ASSERT_EQUAL_FATAL(tf__layout_relays(&l, 0, SIZE, TF_RELAYS_NODE, leader, 3), 0);
  CU_ASSERT_EQUAL(l.relays, 2);
  CU_ASSERT_EQUAL(l.nworkers, 7);
  CU_ASSERT_EQUAL(l.nchildren, 5);
  static const int kids[] = {1, 2, 3, 6, 9}, widths[] = {2, 2, 1, 1, 1};
  for (int i = 0; i < 5; i++) {
    CU_ASSERT_EQUAL(tf__layout_child_rank(&l, i), kids[i]);
    CU_ASSERT_EQUAL(tf__layout_child_width(&l, i), widths[i]);
    CU_ASSERT_EQUAL(tf__layout_child_is_relay(&l, i), i < 2);
  }
  for (int w = 0; w < 7; w++) /* ranks 3..9: none is a relay */
    CU_ASSERT_EQUAL(tf__layout_worker_rank(&l, w), w + 3);
  tf__layout_free(&l);
  tf_layout r7;
  CU_ASSERT_EQUAL_FATAL(tf__layout_relays(&r7, 7, SIZE, TF_RELAYS_NODE, leader, 3), 0);
  CU_ASSERT_EQUAL(r7.role, TF_ROLE_WORKER);
  CU_ASSERT_EQUAL(r7.parent, 1); /* node 1: ranks 1, 4, 7 */
  CU_ASSERT_EQUAL(r7.index, 1);
  CU_ASSERT_EQUAL(r7.siblings, 2);
  CU_ASSERT_EQUAL(r7.worker, 4);
  tf__layout_free(&r7);
  check_tree(SIZE, TF_RELAYS_NODE, leader, 3);
  for (int size = 3; size <= 40; size++) { /* and for other sizes */
    int lead[40];
    for (int r = 0; r < size; r++)
      lead[r] = r % 3;
    check_tree(size, TF_RELAYS_NODE, lead, 3);
  }
}

/* Nodes of uneven sizes whose ranks are not contiguous, one node of a single rank (a worker of
 * the root) and one whose lowest rank is not next to the others. */
static void test_groups_by_uneven_nodes(void) {
  /* node A: 0 5 9; node B: 1 2 7 10; node C: 3; node D: 4 6 8 */
  static const int leader[11] = {0, 1, 1, 3, 4, 0, 4, 1, 4, 0, 1};
  tf_layout l;
  CU_ASSERT_EQUAL_FATAL(tf__layout_relays(&l, 0, 11, TF_RELAYS_NODE, leader, 4), 0);
  CU_ASSERT_EQUAL(l.relays, 2);
  CU_ASSERT_EQUAL(l.nworkers, 8);
  static const int kids[] = {1, 3, 4, 5, 9}, widths[] = {3, 1, 2, 1, 1}, relay[] = {1, 0, 1, 0, 0};
  CU_ASSERT_EQUAL_FATAL(l.nchildren, 5);
  for (int i = 0; i < 5; i++) {
    CU_ASSERT_EQUAL(tf__layout_child_rank(&l, i), kids[i]);
    CU_ASSERT_EQUAL(tf__layout_child_width(&l, i), widths[i]);
    CU_ASSERT_EQUAL(tf__layout_child_is_relay(&l, i), relay[i]);
  }
  static const int wrank[] = {2, 3, 5, 6, 7, 8, 9, 10};
  for (int w = 0; w < 8; w++) {
    CU_ASSERT_EQUAL(tf__layout_worker_rank(&l, w), wrank[w]);
    CU_ASSERT_EQUAL(tf__layout_worker_of(&l, wrank[w]), w);
  }
  tf__layout_free(&l);
  tf_layout b;
  CU_ASSERT_EQUAL_FATAL(tf__layout_relays(&b, 1, 11, TF_RELAYS_NODE, leader, 4), 0);
  CU_ASSERT_EQUAL(b.role, TF_ROLE_RELAY);
  CU_ASSERT_EQUAL(b.width, 3);
  static const int bkids[] = {2, 7, 10};
  for (int i = 0; i < 3; i++)
    CU_ASSERT_EQUAL(tf__layout_child_rank(&b, i), bkids[i]);
  CU_ASSERT_EQUAL(tf__layout_child_index(&b, 7), 1);
  CU_ASSERT_EQUAL(tf__layout_child_index(&b, 6), -1); /* on node D */
  tf__layout_free(&b);
  check_tree(11, TF_RELAYS_NODE, leader, 4);
}

/* --relays 2 on 4 ranks: relay 1 serves rank 2 alone (a relay of width one); rank 3, alone in
 * the last group, is the root's own worker. */
static void test_groups_relay_of_a_single_worker(void) {
  tf_layout l;
  CU_ASSERT_EQUAL_FATAL(tf__layout_relays(&l, 0, 4, 2, NULL, 1), 0);
  CU_ASSERT_EQUAL(l.relays, 1);
  CU_ASSERT_EQUAL(l.nworkers, 2);
  CU_ASSERT_EQUAL(l.nchildren, 2);
  CU_ASSERT_EQUAL(tf__layout_child_rank(&l, 0), 1);
  CU_ASSERT_EQUAL(tf__layout_child_rank(&l, 1), 3);
  CU_ASSERT_EQUAL(tf__layout_child_width(&l, 0), 1);
  CU_ASSERT_EQUAL(tf__layout_child_is_relay(&l, 0), 1);
  CU_ASSERT_EQUAL(tf__layout_child_is_relay(&l, 1), 0);
  CU_ASSERT_EQUAL(tf__layout_worker_rank(&l, 0), 2);
  CU_ASSERT_EQUAL(tf__layout_worker_rank(&l, 1), 3);
  tf__layout_free(&l);
  CU_ASSERT_EQUAL_FATAL(tf__layout_relays(&l, 1, 4, 2, NULL, 1), 0);
  CU_ASSERT_EQUAL(l.role, TF_ROLE_RELAY);
  CU_ASSERT_EQUAL(l.width, 1);
  CU_ASSERT_EQUAL(l.nchildren, 1);
  CU_ASSERT_EQUAL(tf__layout_child_rank(&l, 0), 2);
  tf__layout_free(&l);
  CU_ASSERT_EQUAL_FATAL(tf__layout_relays(&l, 2, 4, 2, NULL, 1), 0);
  CU_ASSERT_EQUAL(l.role, TF_ROLE_WORKER);
  CU_ASSERT_EQUAL(l.parent, 1);
  CU_ASSERT_EQUAL(l.index, 0);
  CU_ASSERT_EQUAL(l.siblings, 1);
  CU_ASSERT_EQUAL(l.parent_width, 1);
  CU_ASSERT_EQUAL(l.worker, 0);
  tf__layout_free(&l);
  check_tree(4, 2, NULL, 1);
}

/* tf__layout_init_groups takes any labels for the groups, not only each group's lowest rank:
 * rank 0's label marks the root's own workers wherever they are. */
static void test_groups_by_any_labels(void) {
  static const int group[6] = {2, 5, 5, 0, 2, 0}; /* root: 0, 4; {1, 2}; {3, 5} */
  tf_layout l[6];
  for (int r = 0; r < 6; r++)
    CU_ASSERT_EQUAL_FATAL(tf__layout_init_groups(&l[r], r, 6, group), 0);
  CU_ASSERT_EQUAL(l[0].nchildren, 3);
  static const int kids[] = {1, 3, 4}, widths[] = {1, 1, 1}, relay[] = {1, 1, 0};
  for (int i = 0; i < 3; i++) {
    CU_ASSERT_EQUAL(tf__layout_child_rank(&l[0], i), kids[i]);
    CU_ASSERT_EQUAL(tf__layout_child_width(&l[0], i), widths[i]);
    CU_ASSERT_EQUAL(tf__layout_child_is_relay(&l[0], i), relay[i]);
  }
  CU_ASSERT_EQUAL(l[0].relays, 2);
  CU_ASSERT_EQUAL(l[0].nworkers, 3);
  static const int role[] = {TF_ROLE_ROOT, TF_ROLE_RELAY, TF_ROLE_WORKER,
                             TF_ROLE_RELAY, TF_ROLE_WORKER, TF_ROLE_WORKER};
  static const int parent[] = {-1, 0, 1, 0, 0, 3}, worker[] = {-1, -1, 0, -1, 1, 2};
  for (int r = 0; r < 6; r++) {
    CU_ASSERT_EQUAL(l[r].role, role[r]);
    CU_ASSERT_EQUAL(l[r].parent, parent[r]);
    CU_ASSERT_EQUAL(l[r].worker, worker[r]);
    if (worker[r] >= 0) CU_ASSERT_EQUAL(tf__layout_worker_rank(&l[0], worker[r]), r);
  }
  for (int r = 0; r < 6; r++)
    tf__layout_free(&l[r]);
}

/* The flat layout, as tf__layout_init gives it, allocating nothing. */
static void check_flat(const tf_layout *l, int rank, int size) {
  tf_layout want;
  tf__layout_init(&want, rank, size);
  CU_ASSERT_EQUAL(l->role, want.role);
  CU_ASSERT_EQUAL(l->parent, want.parent);
  CU_ASSERT_EQUAL(l->nchildren, want.nchildren);
  CU_ASSERT_EQUAL(l->index, want.index);
  CU_ASSERT_EQUAL(l->siblings, want.siblings);
  CU_ASSERT_EQUAL(l->nworkers, size - 1);
  CU_ASSERT_EQUAL(l->width, rank == 0 ? size - 1 : 1);
  CU_ASSERT_EQUAL(l->worker, rank - 1);
  CU_ASSERT_EQUAL(l->relays, 0);
  CU_ASSERT_PTR_NULL(l->kids);
  CU_ASSERT_PTR_NULL(l->kwidth);
  CU_ASSERT_PTR_NULL(l->krelay);
  CU_ASSERT_PTR_NULL(l->wrank);
}

/* --relays off, auto on one node (or on two nodes below TF_RELAYS_AUTO_RANKS ranks), node on
 * one node and node without a topology, and any K on two ranks: the flat layout. */
static void test_relays_off_and_auto_on_one_node_are_flat(void) {
  enum { SIZE = 12 };
  int one_node[SIZE] = {0}, two_nodes[SIZE];
  for (int r = 0; r < SIZE; r++)
    two_nodes[r] = r < SIZE / 2 ? 0 : SIZE / 2;
  for (int r = 0; r < SIZE; r++) {
    tf_layout l;
    CU_ASSERT_EQUAL_FATAL(tf__layout_relays(&l, r, SIZE, TF_RELAYS_OFF, two_nodes, 2), 0);
    check_flat(&l, r, SIZE);
    tf__layout_free(&l);
    CU_ASSERT_EQUAL_FATAL(tf__layout_relays(&l, r, SIZE, TF_RELAYS_AUTO, one_node, 1), 0);
    check_flat(&l, r, SIZE);
    tf__layout_free(&l);
    CU_ASSERT_EQUAL_FATAL(tf__layout_relays(&l, r, SIZE, TF_RELAYS_AUTO, two_nodes, 2), 0);
    check_flat(&l, r, SIZE);
    tf__layout_free(&l);
    CU_ASSERT_EQUAL_FATAL(tf__layout_relays(&l, r, SIZE, TF_RELAYS_NODE, one_node, 1), 0);
    CU_ASSERT_EQUAL(l.relays, 0); /* every rank in the root's group: its own workers */
    CU_ASSERT_EQUAL(l.nworkers, SIZE - 1);
    CU_ASSERT_EQUAL(l.parent, r ? 0 : -1);
    tf__layout_free(&l);
    CU_ASSERT_EQUAL_FATAL(tf__layout_relays(&l, r, SIZE, TF_RELAYS_NODE, NULL, 2), 0);
    check_flat(&l, r, SIZE);
    tf__layout_free(&l);
  }
  for (int r = 0; r < 2; r++) {
    tf_layout l;
    CU_ASSERT_EQUAL_FATAL(tf__layout_relays(&l, r, 2, 2, NULL, 1), 0);
    check_flat(&l, r, 2);
    tf__layout_free(&l);
  }
}

/* --relays auto on two nodes and TF_RELAYS_AUTO_RANKS ranks: one relay per node but the
 * root's. */
static void test_relays_auto_on_two_big_nodes(void) {
  enum { SIZE = TF_RELAYS_AUTO_RANKS };
  static int leader[SIZE];
  for (int r = 0; r < SIZE; r++)
    leader[r] = r < SIZE / 2 ? 0 : SIZE / 2;
  tf_layout l;
  CU_ASSERT_EQUAL_FATAL(tf__layout_relays(&l, 0, SIZE, TF_RELAYS_AUTO, leader, 2), 0);
  CU_ASSERT_EQUAL(l.relays, 1);
  CU_ASSERT_EQUAL(l.nworkers, SIZE - 2);
  CU_ASSERT_EQUAL(l.nchildren, SIZE / 2); /* its node's SIZE/2 - 1 ranks and the relay */
  int i = tf__layout_child_index(&l, SIZE / 2);
  CU_ASSERT_EQUAL(i, SIZE / 2 - 1);
  CU_ASSERT(tf__layout_child_is_relay(&l, i));
  CU_ASSERT_EQUAL(tf__layout_child_width(&l, i), SIZE / 2 - 1);
  tf__layout_free(&l);
}

/* ---- workers that join a running farm (tf__layout_add_joined, tf__layout_root_alone) ---- */

/* Every mapping of the root's layout l, seen from both ends: child i is rank kids[i] of
 * width[i] (relay[i]), worker w is rank wrank[w]; past either end, and ranks that are no child
 * or no worker, are refused. */
static void check_root(const tf_layout *l, const int *kids, const int *width, const int *relay,
                       int nkids, const int *wrank, int nworkers) {
  CU_ASSERT_EQUAL_FATAL(l->nchildren, nkids);
  CU_ASSERT_EQUAL_FATAL(l->nworkers, nworkers);
  CU_ASSERT_EQUAL(l->width, nworkers);
  for (int i = 0; i < nkids; i++) {
    CU_ASSERT_EQUAL(tf__layout_child_rank(l, i), kids[i]);
    CU_ASSERT_EQUAL(tf__layout_child_index(l, kids[i]), i);
    CU_ASSERT_EQUAL(tf__layout_child_width(l, i), width[i]);
    CU_ASSERT_EQUAL(tf__layout_child_is_relay(l, i), relay[i]);
  }
  CU_ASSERT_EQUAL(tf__layout_child_rank(l, nkids), -1);
  CU_ASSERT_EQUAL(tf__layout_child_rank(l, -1), -1);
  CU_ASSERT_EQUAL(tf__layout_child_index(l, 0), -1);
  CU_ASSERT_EQUAL(tf__layout_child_index(l, l->size), -1);
  for (int w = 0; w < nworkers; w++) {
    CU_ASSERT_EQUAL(tf__layout_worker_rank(l, w), wrank[w]);
    CU_ASSERT_EQUAL(tf__layout_worker_of(l, wrank[w]), w);
  }
  CU_ASSERT_EQUAL(tf__layout_worker_rank(l, nworkers), -1);
  CU_ASSERT_EQUAL(tf__layout_worker_of(l, 0), -1);
  CU_ASSERT_EQUAL(tf__layout_worker_of(l, l->size), -1);
}

/* A flat root of 4 ranks takes in 2 workers that joined: its arrays are spelled out (the
 * flat rule no longer holds), the new children are ranks 4 and 5, workers 3 and 4, and every
 * count grows by 2; joined_from is the first of them. */
static void test_layout_adds_joined_workers_to_a_flat_root(void) {
  tf_layout l;
  tf__layout_init(&l, 0, 4);
  CU_ASSERT_PTR_NULL(l.kids);
  CU_ASSERT_EQUAL(l.joined_from, 0);
  CU_ASSERT_EQUAL(tf__layout_add_joined(&l, 2), 4);
  CU_ASSERT_PTR_NOT_NULL(l.kids);
  CU_ASSERT_PTR_NOT_NULL(l.kwidth);
  CU_ASSERT_PTR_NOT_NULL(l.krelay);
  CU_ASSERT_PTR_NOT_NULL(l.wrank);
  CU_ASSERT_EQUAL(l.role, TF_ROLE_ROOT);
  CU_ASSERT_EQUAL(l.rank, 0);
  CU_ASSERT_EQUAL(l.parent, -1);
  CU_ASSERT_EQUAL(l.index, -1);
  CU_ASSERT_EQUAL(l.worker, -1);
  CU_ASSERT_EQUAL(l.relays, 0);
  CU_ASSERT_EQUAL(l.size, 6);
  CU_ASSERT_EQUAL(l.joined_from, 4);
  static const int kids[] = {1, 2, 3, 4, 5}, width[] = {1, 1, 1, 1, 1}, relay[] = {0, 0, 0, 0, 0};
  check_root(&l, kids, width, relay, 5, kids, 5);
  tf__layout_free(&l);
  CU_ASSERT_PTR_NULL(l.kids);
  CU_ASSERT_PTR_NULL(l.kwidth);
  CU_ASSERT_PTR_NULL(l.krelay);
  CU_ASSERT_PTR_NULL(l.wrank);
}

/* Two jobs join one after the other (3 workers, then 1): numbered on, the second after the
 * first; joined_from stays the first job's first rank. */
static void test_layout_adds_two_jobs_in_a_row(void) {
  tf_layout l;
  tf__layout_init(&l, 0, 3);
  CU_ASSERT_EQUAL(tf__layout_add_joined(&l, 3), 3);
  CU_ASSERT_EQUAL(l.size, 6);
  CU_ASSERT_EQUAL(tf__layout_add_joined(&l, 1), 6);
  CU_ASSERT_EQUAL(l.size, 7);
  CU_ASSERT_EQUAL(l.joined_from, 3);
  static const int kids[] = {1, 2, 3, 4, 5, 6}, width[] = {1, 1, 1, 1, 1, 1},
                   relay[] = {0, 0, 0, 0, 0, 0};
  check_root(&l, kids, width, relay, 6, kids, 6);
  tf__layout_free(&l);
}

/* The root of 8 ranks by 3 (relays 1 and 4 serve 2, 3 and 5, 6; rank 7 is its own worker)
 * takes in 3 joined workers: its children are the relays, rank 7 and ranks 8..10 (width 1, no
 * relay); the workers 2, 3, 5, 6, 7 and then 8, 9, 10; the relays stay no workers. A second
 * job of 2 follows at ranks 11 and 12. */
static void test_layout_adds_joined_workers_to_a_root_with_relays(void) {
  tf_layout l;
  relays3_of_8(&l, 0);
  CU_ASSERT_EQUAL(tf__layout_add_joined(&l, 3), 8);
  CU_ASSERT_EQUAL(l.size, 11);
  CU_ASSERT_EQUAL(l.relays, 2);
  CU_ASSERT_EQUAL(l.joined_from, 8);
  static const int kids[] = {1, 4, 7, 8, 9, 10, 11, 12}, width[] = {2, 2, 1, 1, 1, 1, 1, 1},
                   relay[] = {1, 1, 0, 0, 0, 0, 0, 0};
  static const int wrank[] = {2, 3, 5, 6, 7, 8, 9, 10, 11, 12};
  check_root(&l, kids, width, relay, 6, wrank, 8);
  CU_ASSERT_EQUAL(tf__layout_worker_of(&l, 1), -1); /* a relay */
  CU_ASSERT_EQUAL(tf__layout_worker_of(&l, 4), -1);
  CU_ASSERT_EQUAL(tf__layout_child_index(&l, 2), -1); /* a relay's worker */
  CU_ASSERT_EQUAL(tf__layout_add_joined(&l, 2), 11);
  CU_ASSERT_EQUAL(l.size, 13);
  CU_ASSERT_EQUAL(l.joined_from, 8);
  check_root(&l, kids, width, relay, 8, wrank, 10);
  tf__layout_free(&l);
}

/* Only the root takes workers in, and at least one: a worker, a relay, a serial farm and a
 * root asked for 0 or -1 are refused (-1) and left as they were. */
static void test_layout_refuses_joined_workers_but_at_the_root(void) {
  tf_layout l;
  tf__layout_init(&l, 2, 4);
  CU_ASSERT_EQUAL(tf__layout_add_joined(&l, 1), -1);
  CU_ASSERT_EQUAL(l.size, 4);
  CU_ASSERT_EQUAL(l.nchildren, 0);
  CU_ASSERT_EQUAL(l.nworkers, 3);
  CU_ASSERT_EQUAL(l.joined_from, 0);
  CU_ASSERT_PTR_NULL(l.kids);
  relays3_of_8(&l, 4);
  CU_ASSERT_EQUAL(tf__layout_add_joined(&l, 2), -1);
  CU_ASSERT_EQUAL(l.size, 8);
  CU_ASSERT_EQUAL(l.nchildren, 2);
  CU_ASSERT_EQUAL(l.nworkers, 5);
  CU_ASSERT_EQUAL(l.width, 2);
  CU_ASSERT_EQUAL(l.joined_from, 0);
  tf__layout_free(&l);
  tf__layout_init(&l, 0, 1);
  CU_ASSERT_EQUAL(tf__layout_add_joined(&l, 1), -1);
  CU_ASSERT_EQUAL(l.role, TF_ROLE_SERIAL);
  CU_ASSERT_EQUAL(l.size, 1);
  CU_ASSERT_EQUAL(l.nchildren, 0);
  tf__layout_init(&l, 0, 3);
  CU_ASSERT_EQUAL(tf__layout_add_joined(&l, 0), -1);
  CU_ASSERT_EQUAL(tf__layout_add_joined(&l, -1), -1);
  CU_ASSERT_EQUAL(l.size, 3);
  CU_ASSERT_EQUAL(l.nchildren, 2);
  CU_ASSERT_EQUAL(l.joined_from, 0);
  CU_ASSERT_PTR_NULL(l.kids);
}

/* A farm of one rank that accepts workers is a root with no child and no worker (not
 * serial); the first job's workers are ranks 1 and 2, workers 0 and 1, and joined_from is 1. */
static void test_layout_root_alone_takes_joined_workers(void) {
  tf_layout l;
  tf__layout_root_alone(&l);
  CU_ASSERT_EQUAL(l.role, TF_ROLE_ROOT);
  CU_ASSERT_EQUAL(l.rank, 0);
  CU_ASSERT_EQUAL(l.size, 1);
  CU_ASSERT_EQUAL(l.parent, -1);
  CU_ASSERT_EQUAL(l.index, -1);
  CU_ASSERT_EQUAL(l.worker, -1);
  CU_ASSERT_EQUAL(l.relays, 0);
  CU_ASSERT_EQUAL(l.joined_from, 0);
  CU_ASSERT_PTR_NULL(l.kids);
  check_root(&l, NULL, NULL, NULL, 0, NULL, 0);
  CU_ASSERT_EQUAL(tf__layout_add_joined(&l, 2), 1);
  CU_ASSERT_EQUAL(l.role, TF_ROLE_ROOT);
  CU_ASSERT_EQUAL(l.size, 3);
  CU_ASSERT_EQUAL(l.joined_from, 1);
  static const int kids[] = {1, 2}, width[] = {1, 1}, relay[] = {0, 0};
  check_root(&l, kids, width, relay, 2, kids, 2);
  tf__layout_free(&l);
}

int main(void) {
  static const tf_unit_test tests[] = {
      TF_UNIT_TEST(test_one_rank_is_serial),
      TF_UNIT_TEST(test_root_serves_every_other_rank),
      TF_UNIT_TEST(test_worker_knows_its_parent),
      TF_UNIT_TEST(test_mapping_agrees_from_both_ends),
      TF_UNIT_TEST(test_groups_root_of_8_ranks_by_3),
      TF_UNIT_TEST(test_groups_relay_of_8_ranks_by_3),
      TF_UNIT_TEST(test_groups_workers_of_8_ranks_by_3),
      TF_UNIT_TEST(test_groups_by_k_agree_from_both_ends),
      TF_UNIT_TEST(test_groups_by_round_robin_nodes),
      TF_UNIT_TEST(test_groups_by_uneven_nodes),
      TF_UNIT_TEST(test_groups_relay_of_a_single_worker),
      TF_UNIT_TEST(test_groups_by_any_labels),
      TF_UNIT_TEST(test_relays_off_and_auto_on_one_node_are_flat),
      TF_UNIT_TEST(test_relays_auto_on_two_big_nodes),
      TF_UNIT_TEST(test_layout_adds_joined_workers_to_a_flat_root),
      TF_UNIT_TEST(test_layout_adds_two_jobs_in_a_row),
      TF_UNIT_TEST(test_layout_adds_joined_workers_to_a_root_with_relays),
      TF_UNIT_TEST(test_layout_refuses_joined_workers_but_at_the_root),
      TF_UNIT_TEST(test_layout_root_alone_takes_joined_workers),
      TF_UNIT_END,
  };
  return tf_unit_run("layout", tests);
}
