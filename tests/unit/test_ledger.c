/* test_ledger.c - the master's per-worker FIFOs of tasks in flight (src/ledger.c): order, head
 * and pop, independence of workers, growth with wrap-around, the total, and freeing on destroy;
 * a relay's tasks found and taken by id in any order, counts and bytes kept exact, also under
 * mixed traffic once the ring is indexed (holes skipped, moved heads), and kept small behind a
 * task that stays at its head; rings added
 * for workers that join, the others kept as they were. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ledger.h"
#include "taskfarm.h"
#include "unit.h"

static uint64_t rng_state;
static uint64_t rng(void) { /* splitmix64, fixed seed per test */
  uint64_t z = (rng_state += UINT64_C(0x9e3779b97f4a7c15));
  z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
  return z ^ (z >> 31);
}

static tf_rec rec(uint64_t id) {
  tf_rec r = {id, (int32_t)(id % 5) - 2, 0, NULL, 0, -1};
  return r;
}

static void test_ledger_starts_empty(void) {
  tf_ledger l;
  CU_ASSERT_EQUAL_FATAL(tf__ledger_init(&l, 3), 0);
  CU_ASSERT_EQUAL(l.nworkers, 3);
  CU_ASSERT_EQUAL(l.total, 0);
  tf_rec out;
  for (int w = 0; w < 3; w++) {
    CU_ASSERT_EQUAL(tf__ledger_held(&l, w), 0);
    CU_ASSERT_PTR_NULL(tf__ledger_head(&l, w));
    CU_ASSERT_EQUAL(tf__ledger_pop(&l, w, &out), 0);
  }
  CU_ASSERT_EQUAL(l.total, 0);
  tf__ledger_destroy(&l);
  CU_ASSERT_PTR_NULL(l.rings);
}

static void test_ledger_keeps_fifo_order_per_worker(void) {
  tf_ledger l;
  CU_ASSERT_EQUAL_FATAL(tf__ledger_init(&l, 1), 0);
  /* Ids out of numeric order and mixed priorities: the ledger keeps arrival order only. */
  static const uint64_t ids[] = {7, 3, 100, 0, TF_ID_SPAWNED | 4, 5};
  for (unsigned i = 0; i < 6; i++) {
    tf_rec r = rec(ids[i]);
    r.prio = (int32_t)i * 10;
    CU_ASSERT_EQUAL_FATAL(tf__ledger_push(&l, 0, &r), 0);
    CU_ASSERT_EQUAL(tf__ledger_held(&l, 0), i + 1);
  }
  tf_rec out;
  for (unsigned i = 0; i < 6; i++) {
    CU_ASSERT_EQUAL_FATAL(tf__ledger_pop(&l, 0, &out), 1);
    CU_ASSERT_EQUAL(out.id, ids[i]);
    CU_ASSERT_EQUAL(out.prio, (int32_t)i * 10);
    CU_ASSERT_EQUAL(tf__ledger_held(&l, 0), 5 - i);
  }
  CU_ASSERT_EQUAL(tf__ledger_pop(&l, 0, &out), 0);
  tf__ledger_destroy(&l);
}

static void test_ledger_head_shows_oldest_without_removing(void) {
  tf_ledger l;
  CU_ASSERT_EQUAL_FATAL(tf__ledger_init(&l, 2), 0);
  tf_rec a = rec(40), b = rec(41);
  CU_ASSERT_EQUAL(tf__ledger_push(&l, 1, &a), 0);
  CU_ASSERT_EQUAL(tf__ledger_push(&l, 1, &b), 0);
  const tf_rec *h = tf__ledger_head(&l, 1);
  CU_ASSERT_PTR_NOT_NULL_FATAL(h);
  CU_ASSERT_EQUAL(h->id, 40);
  CU_ASSERT_EQUAL(tf__ledger_head(&l, 1)->id, 40); /* looking twice changes nothing */
  CU_ASSERT_EQUAL(tf__ledger_held(&l, 1), 2);
  CU_ASSERT_EQUAL(l.total, 2);
  tf_rec out;
  CU_ASSERT_EQUAL(tf__ledger_pop(&l, 1, &out), 1);
  CU_ASSERT_EQUAL(out.id, 40);
  CU_ASSERT_EQUAL(tf__ledger_head(&l, 1)->id, 41);
  CU_ASSERT_EQUAL(tf__ledger_pop(&l, 1, &out), 1);
  CU_ASSERT_PTR_NULL(tf__ledger_head(&l, 1));
  tf__ledger_destroy(&l);
}

static void test_ledger_workers_are_independent(void) {
  enum { W = 4 };
  tf_ledger l;
  CU_ASSERT_EQUAL_FATAL(tf__ledger_init(&l, W), 0);
  /* Worker w gets ids w*100 + k, k = 0..w*3: worker 0 one task, worker 3 ten. */
  for (int w = 0; w < W; w++)
    for (int k = 0; k <= w * 3; k++) {
      tf_rec r = rec((uint64_t)(w * 100 + k));
      CU_ASSERT_EQUAL_FATAL(tf__ledger_push(&l, w, &r), 0);
    }
  CU_ASSERT_EQUAL(l.total, 1 + 4 + 7 + 10);
  for (int w = 0; w < W; w++) {
    CU_ASSERT_EQUAL(tf__ledger_held(&l, w), (size_t)(w * 3 + 1));
    CU_ASSERT_EQUAL(tf__ledger_head(&l, w)->id, (uint64_t)(w * 100));
  }
  /* Emptying worker 2 leaves the others as they were. */
  tf_rec out;
  for (int k = 0; k <= 6; k++) {
    CU_ASSERT_EQUAL_FATAL(tf__ledger_pop(&l, 2, &out), 1);
    CU_ASSERT_EQUAL(out.id, (uint64_t)(200 + k));
  }
  CU_ASSERT_EQUAL(tf__ledger_pop(&l, 2, &out), 0);
  CU_ASSERT_EQUAL(l.total, 1 + 4 + 10);
  CU_ASSERT_EQUAL(tf__ledger_held(&l, 1), 4);
  CU_ASSERT_EQUAL(tf__ledger_head(&l, 3)->id, 300);
  CU_ASSERT_EQUAL(tf__ledger_pop(&l, 0, &out), 1);
  CU_ASSERT_EQUAL(out.id, 0);
  CU_ASSERT_EQUAL(tf__ledger_pop(&l, 3, &out), 1);
  CU_ASSERT_EQUAL(out.id, 300);
  CU_ASSERT_EQUAL(tf__ledger_pop(&l, 1, &out), 1);
  CU_ASSERT_EQUAL(out.id, 100);
  CU_ASSERT_EQUAL(l.total, 1 + 4 + 10 - 3);
  tf__ledger_destroy(&l);
}

static void test_ledger_grows_past_capacity_after_wrapping(void) {
  /* Push 10, pop 6 so the head sits mid-buffer, then push enough that the ring wraps and
   * then grows (twice): the order must survive each move. */
  tf_ledger l;
  CU_ASSERT_EQUAL_FATAL(tf__ledger_init(&l, 1), 0);
  uint64_t next_in = 0, next_out = 0;
  tf_rec out;
  for (int i = 0; i < 10; i++) {
    tf_rec r = rec(next_in++);
    CU_ASSERT_EQUAL_FATAL(tf__ledger_push(&l, 0, &r), 0);
  }
  for (int i = 0; i < 6; i++) {
    CU_ASSERT_EQUAL_FATAL(tf__ledger_pop(&l, 0, &out), 1);
    CU_ASSERT_EQUAL(out.id, next_out++);
  }
  for (int i = 0; i < 60; i++) {
    tf_rec r = rec(next_in++);
    CU_ASSERT_EQUAL_FATAL(tf__ledger_push(&l, 0, &r), 0);
    CU_ASSERT_EQUAL(tf__ledger_head(&l, 0)->id, next_out);
  }
  CU_ASSERT_EQUAL(tf__ledger_held(&l, 0), 64);
  CU_ASSERT_EQUAL(l.total, 64);
  while (tf__ledger_pop(&l, 0, &out))
    CU_ASSERT_EQUAL(out.id, next_out++);
  CU_ASSERT_EQUAL(next_out, next_in);
  CU_ASSERT_EQUAL(l.total, 0);
  tf__ledger_destroy(&l);
}

static void test_ledger_random_traffic_matches_reference_fifos(void) {
  /* Many workers with pushes and pops interleaved at random: heads move around each ring,
   * rings wrap and grow at different times. Each worker's reference is a plain array. */
  enum { W = 5, OPS = 30000 };
  rng_state = 2024;
  uint64_t *ref[W];
  size_t rhead[W] = {0}, rtail[W] = {0};
  for (int w = 0; w < W; w++) {
    ref[w] = malloc(OPS * sizeof *ref[w]);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ref[w]);
  }
  tf_ledger l;
  CU_ASSERT_EQUAL_FATAL(tf__ledger_init(&l, W), 0);
  uint64_t id = 0;
  size_t total = 0, max_held = 0;
  unsigned wrong = 0;
  for (unsigned op = 0; op < OPS; op++) {
    int w = (int)(rng() % W);
    /* Worker w tends to fill (push 55% - 75%) so its ring grows while its head moves. */
    if (rng() % 100 < 55u + 5u * (unsigned)w) {
      tf_rec r = rec(id);
      ref[w][rtail[w]++] = id++;
      CU_ASSERT_EQUAL_FATAL(tf__ledger_push(&l, w, &r), 0);
      total++;
    } else {
      tf_rec out;
      int got = tf__ledger_pop(&l, w, &out);
      if (rhead[w] == rtail[w]) {
        if (got != 0) wrong++;
      } else {
        if (got != 1 || out.id != ref[w][rhead[w]]) wrong++;
        rhead[w]++;
        total--;
      }
    }
    size_t held = rtail[w] - rhead[w];
    if (tf__ledger_held(&l, w) != held || l.total != total) wrong++;
    const tf_rec *h = tf__ledger_head(&l, w);
    if (held ? !h || h->id != ref[w][rhead[w]] : h != NULL) wrong++;
    if (held > max_held) max_held = held;
  }
  CU_ASSERT_EQUAL(wrong, 0);
  CU_ASSERT(max_held > 64); /* the rings did grow several times */
  tf__ledger_destroy(&l);
  for (int w = 0; w < W; w++)
    free(ref[w]);
}

static void test_ledger_pop_hands_over_data(void) {
  tf_ledger l;
  CU_ASSERT_EQUAL_FATAL(tf__ledger_init(&l, 2), 0);
  unsigned char *d = malloc(5);
  CU_ASSERT_PTR_NOT_NULL_FATAL(d);
  memcpy(d, "abcde", 5);
  tf_rec r = {77, -3, 5, d, 0, -1};
  CU_ASSERT_EQUAL(tf__ledger_push(&l, 1, &r), 0);
  tf_rec out;
  CU_ASSERT_EQUAL(tf__ledger_pop(&l, 1, &out), 1);
  CU_ASSERT_EQUAL(out.id, 77);
  CU_ASSERT_EQUAL(out.prio, -3);
  CU_ASSERT_EQUAL(out.size, 5);
  CU_ASSERT_PTR_EQUAL(out.data, d);
  CU_ASSERT(memcmp(out.data, "abcde", 5) == 0);
  free(out.data);
  tf__ledger_destroy(&l);
}

static void test_ledger_to_head_moves_one_and_keeps_the_rest_in_order(void) {
  tf_ledger l;
  CU_ASSERT_EQUAL_FATAL(tf__ledger_init(&l, 2), 0);
  for (uint64_t id = 0; id < 20; id++) { /* wraps: pop 10 of them first */
    tf_rec r = rec(id);
    CU_ASSERT_EQUAL_FATAL(tf__ledger_push(&l, 0, &r), 0);
  }
  tf_rec out;
  for (int k = 0; k < 10; k++) tf__ledger_pop(&l, 0, &out);
  for (uint64_t id = 20; id < 26; id++) {
    tf_rec r = rec(id);
    CU_ASSERT_EQUAL_FATAL(tf__ledger_push(&l, 0, &r), 0);
  }
  CU_ASSERT_EQUAL(tf__ledger_to_head(&l, 0, 23), 1);
  CU_ASSERT_EQUAL(tf__ledger_to_head(&l, 0, 99), 0); /* not held */
  CU_ASSERT_EQUAL(tf__ledger_to_head(&l, 1, 23), 0); /* held by the other */
  CU_ASSERT_EQUAL(tf__ledger_held(&l, 0), 16);
  CU_ASSERT_EQUAL(l.total, 16);
  uint64_t want = 10;
  CU_ASSERT_EQUAL(tf__ledger_pop(&l, 0, &out), 1);
  CU_ASSERT_EQUAL(out.id, 23);
  while (tf__ledger_pop(&l, 0, &out)) {
    if (want == 23) want++;
    CU_ASSERT_EQUAL(out.id, want);
    want++;
  }
  CU_ASSERT_EQUAL(want, 26);
  CU_ASSERT_EQUAL(tf__ledger_to_head(&l, 0, 25), 0); /* empty */
  tf__ledger_destroy(&l);
}

static void test_ledger_destroy_frees_held_data(void) {
  /* destroy frees the data still held, wrapped rings included; valgrind reports any leak. */
  tf_ledger l;
  CU_ASSERT_EQUAL_FATAL(tf__ledger_init(&l, 3), 0);
  tf_rec out;
  uint64_t id = 0;
  for (int round = 0; round < 4; round++)
    for (int w = 0; w < 3; w++) {
      for (int k = 0; k < 9 + w; k++) {
        tf_rec r = rec(id++);
        r.size = 16;
        r.data = malloc(r.size);
        CU_ASSERT_PTR_NOT_NULL_FATAL(r.data);
        memset(r.data, w, r.size);
        CU_ASSERT_EQUAL_FATAL(tf__ledger_push(&l, w, &r), 0);
      }
      for (int k = 0; k < 7; k++) {
        CU_ASSERT_EQUAL_FATAL(tf__ledger_pop(&l, w, &out), 1);
        CU_ASSERT_EQUAL(out.data[0], w);
        free(out.data);
      }
    }
  CU_ASSERT_EQUAL(l.total, 4 * (2 + 3 + 4));
  tf__ledger_destroy(&l);
  CU_ASSERT_PTR_NULL(l.rings);
  tf__ledger_destroy(&l); /* twice is harmless */
}

/* Push ids first..first+n-1 to worker w, task id carrying id % 7 + 1 bytes (each byte = id). */
static uint64_t push_sized(tf_ledger *l, int w, uint64_t first, int n) {
  uint64_t bytes = 0;
  for (uint64_t id = first; id < first + (uint64_t)n; id++) {
    tf_rec r = rec(id);
    r.size = (uint32_t)(id % 7 + 1);
    r.data = malloc(r.size);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r.data);
    memset(r.data, (int)(id & 0xff), r.size);
    CU_ASSERT_EQUAL_FATAL(tf__ledger_push(l, w, &r), 0);
    bytes += r.size;
  }
  return bytes;
}

/* A relay ends its tasks in any order: find shows any task held without moving it; take
 * removes it wherever it sits (a wrapped ring too), handing over its data, and the counts and
 * bytes of the worker and of the ledger follow; the rest keep their order, and the other
 * worker is untouched. */
static void test_ledger_find_and_take_in_any_order(void) {
  tf_ledger l;
  CU_ASSERT_EQUAL_FATAL(tf__ledger_init(&l, 2), 0);
  push_sized(&l, 0, 100, 12); /* wrap: pop 10 of 12, then push 14 more (ids 112..125) */
  tf_rec out;
  for (int k = 0; k < 10; k++) {
    CU_ASSERT_EQUAL_FATAL(tf__ledger_pop(&l, 0, &out), 1);
    free(out.data);
  }
  push_sized(&l, 0, 112, 14);
  uint64_t other = push_sized(&l, 1, 500, 3);
  uint64_t bytes0 = 0;
  for (uint64_t id = 110; id < 126; id++)
    bytes0 += id % 7 + 1;
  CU_ASSERT_EQUAL(tf__ledger_held(&l, 0), 16);
  CU_ASSERT_EQUAL(tf__ledger_bytes(&l, 0), bytes0);
  CU_ASSERT_EQUAL(l.bytes, bytes0 + other);
  /* find: every task where it is, without moving anything */
  const tf_rec *f = tf__ledger_find(&l, 0, 117);
  CU_ASSERT_PTR_NOT_NULL_FATAL(f);
  CU_ASSERT_EQUAL(f->id, 117);
  CU_ASSERT_EQUAL(f->size, 117 % 7 + 1);
  CU_ASSERT_EQUAL(f->data[0], 117);
  CU_ASSERT_PTR_NULL(tf__ledger_find(&l, 0, 500)); /* the other worker's */
  CU_ASSERT_PTR_NULL(tf__ledger_find(&l, 1, 117));
  CU_ASSERT_PTR_NULL(tf__ledger_find(&l, 0, 105)); /* popped before */
  CU_ASSERT_EQUAL(tf__ledger_head(&l, 0)->id, 110);
  CU_ASSERT_EQUAL(tf__ledger_held(&l, 0), 16);
  /* take: in an order unlike the one they came in, the head, the tail and the middle */
  static const uint64_t order[] = {117, 125, 110, 121, 111, 113};
  size_t held = 16, total = 19;
  for (unsigned k = 0; k < sizeof order / sizeof *order; k++) {
    CU_ASSERT_EQUAL_FATAL(tf__ledger_take(&l, 0, order[k], &out), 1);
    CU_ASSERT_EQUAL(out.id, order[k]);
    CU_ASSERT_EQUAL(out.size, order[k] % 7 + 1);
    CU_ASSERT_EQUAL(out.data[out.size - 1], order[k]);
    free(out.data);
    bytes0 -= order[k] % 7 + 1;
    held--, total--;
    CU_ASSERT_EQUAL(tf__ledger_held(&l, 0), held);
    CU_ASSERT_EQUAL(tf__ledger_bytes(&l, 0), bytes0);
    CU_ASSERT_EQUAL(l.total, total);
    CU_ASSERT_EQUAL(l.bytes, bytes0 + other);
    CU_ASSERT_PTR_NULL(tf__ledger_find(&l, 0, order[k]));
  }
  /* a task not held (taken already, the other worker's, never sent) changes nothing */
  CU_ASSERT_EQUAL(tf__ledger_take(&l, 0, 117, &out), 0);
  CU_ASSERT_EQUAL(tf__ledger_take(&l, 0, 501, &out), 0);
  CU_ASSERT_EQUAL(tf__ledger_take(&l, 0, 999, &out), 0);
  CU_ASSERT_EQUAL(l.total, total);
  CU_ASSERT_EQUAL(l.bytes, bytes0 + other);
  CU_ASSERT_EQUAL(tf__ledger_held(&l, 1), 3);
  CU_ASSERT_EQUAL(tf__ledger_bytes(&l, 1), other);
  /* the rest come out in the order they went in */
  static const uint64_t rest[] = {112, 114, 115, 116, 118, 119, 120, 122, 123, 124};
  for (unsigned k = 0; k < sizeof rest / sizeof *rest; k++) {
    CU_ASSERT_EQUAL_FATAL(tf__ledger_pop(&l, 0, &out), 1);
    CU_ASSERT_EQUAL(out.id, rest[k]);
    free(out.data);
  }
  CU_ASSERT_EQUAL(tf__ledger_held(&l, 0), 0);
  CU_ASSERT_EQUAL(tf__ledger_bytes(&l, 0), 0);
  CU_ASSERT_EQUAL(l.total, 3);
  CU_ASSERT_EQUAL(l.bytes, other);
  CU_ASSERT_EQUAL(tf__ledger_take(&l, 0, 112, &out), 0); /* empty */
  CU_ASSERT_PTR_NULL(tf__ledger_find(&l, 0, 112));
  tf__ledger_destroy(&l); /* frees worker 1's three */
}

/* Take every task of a long ledger in a scrambled order, against a reference: each take finds
 * its task, and the counts and bytes stay exact to the end. */
static void test_ledger_take_random_order_matches_reference(void) {
  enum { N = 300 };
  rng_state = 77;
  uint64_t ids[N];
  for (int k = 0; k < N; k++)
    ids[k] = (uint64_t)k;
  for (int k = N - 1; k > 0; k--) { /* Fisher-Yates */
    int j = (int)(rng() % (uint64_t)(k + 1));
    uint64_t t = ids[k];
    ids[k] = ids[j], ids[j] = t;
  }
  tf_ledger l;
  CU_ASSERT_EQUAL_FATAL(tf__ledger_init(&l, 1), 0);
  uint64_t bytes = push_sized(&l, 0, 0, N);
  unsigned wrong = 0;
  for (int k = 0; k < N; k++) {
    tf_rec out;
    if (tf__ledger_take(&l, 0, ids[k], &out) != 1 || out.id != ids[k] ||
        out.size != ids[k] % 7 + 1 || out.data[0] != (unsigned char)ids[k]) {
      wrong++;
      continue;
    }
    free(out.data);
    bytes -= ids[k] % 7 + 1;
    if (tf__ledger_held(&l, 0) != (size_t)(N - 1 - k) || l.total != (size_t)(N - 1 - k) ||
        tf__ledger_bytes(&l, 0) != bytes || l.bytes != bytes)
      wrong++;
  }
  CU_ASSERT_EQUAL(wrong, 0);
  CU_ASSERT_EQUAL(l.total, 0);
  CU_ASSERT_EQUAL(l.bytes, 0);
  tf__ledger_destroy(&l);
}

/* Workers join (tf__ledger_grow): from 2 workers to 5. Worker 0's ring (wrapped: its head mid
 * buffer) and worker 1's tasks with their data come through whole, in order, with the counts
 * and bytes; the new workers' rings are empty, and take tasks like any other. A smaller or
 * equal count changes nothing. */
static void test_ledger_grow_keeps_the_rings_and_adds_empty_ones(void) {
  tf_ledger l;
  CU_ASSERT_EQUAL_FATAL(tf__ledger_init(&l, 2), 0);
  tf_rec out;
  for (uint64_t id = 0; id < 16; id++) { /* worker 0: 16 in, 12 out, 9 more: wrapped */
    tf_rec r = rec(id);
    CU_ASSERT_EQUAL_FATAL(tf__ledger_push(&l, 0, &r), 0);
  }
  for (int k = 0; k < 12; k++)
    CU_ASSERT_EQUAL_FATAL(tf__ledger_pop(&l, 0, &out), 1);
  for (uint64_t id = 16; id < 25; id++) {
    tf_rec r = rec(id);
    CU_ASSERT_EQUAL_FATAL(tf__ledger_push(&l, 0, &r), 0);
  }
  uint64_t bytes1 = push_sized(&l, 1, 500, 5);
  const tf_ring before0 = l.rings[0];
  CU_ASSERT_EQUAL_FATAL(before0.head + before0.n > before0.cap, 1); /* it wraps */
  CU_ASSERT_EQUAL(tf__ledger_grow(&l, 5), 0);
  CU_ASSERT_EQUAL(l.nworkers, 5);
  CU_ASSERT_EQUAL(l.total, 13 + 5);
  CU_ASSERT_EQUAL(l.bytes, bytes1);
  CU_ASSERT_EQUAL(l.rings[0].head, before0.head);
  CU_ASSERT_EQUAL(l.rings[0].cap, before0.cap);
  CU_ASSERT_PTR_EQUAL(l.rings[0].buf, before0.buf);
  CU_ASSERT_EQUAL(tf__ledger_held(&l, 0), 13);
  CU_ASSERT_EQUAL(tf__ledger_held(&l, 1), 5);
  CU_ASSERT_EQUAL(tf__ledger_bytes(&l, 1), bytes1);
  CU_ASSERT_EQUAL(tf__ledger_head(&l, 0)->id, 12);
  CU_ASSERT_EQUAL(tf__ledger_find(&l, 1, 503)->data[0], 503 & 0xff);
  for (int w = 2; w < 5; w++) {
    CU_ASSERT_EQUAL(tf__ledger_held(&l, w), 0);
    CU_ASSERT_EQUAL(tf__ledger_bytes(&l, w), 0);
    CU_ASSERT_EQUAL(l.rings[w].cap, 0);
    CU_ASSERT_PTR_NULL(l.rings[w].buf);
    CU_ASSERT_PTR_NULL(tf__ledger_head(&l, w));
    CU_ASSERT_EQUAL(tf__ledger_pop(&l, w, &out), 0);
  }
  CU_ASSERT_EQUAL(tf__ledger_grow(&l, 3), 0); /* fewer: nothing to do */
  CU_ASSERT_EQUAL(tf__ledger_grow(&l, 5), 0);
  CU_ASSERT_EQUAL(l.nworkers, 5);
  CU_ASSERT_EQUAL(l.total, 18);
  uint64_t bytes4 = push_sized(&l, 4, 900, 3); /* a new worker takes tasks like any other */
  CU_ASSERT_EQUAL(tf__ledger_held(&l, 4), 3);
  CU_ASSERT_EQUAL(l.total, 21);
  CU_ASSERT_EQUAL(l.bytes, bytes1 + bytes4);
  CU_ASSERT_EQUAL(tf__ledger_held(&l, 3), 0);
  for (uint64_t id = 12; id < 25; id++) {
    CU_ASSERT_EQUAL_FATAL(tf__ledger_pop(&l, 0, &out), 1);
    CU_ASSERT_EQUAL(out.id, id);
  }
  for (uint64_t id = 500; id < 505; id++) {
    CU_ASSERT_EQUAL_FATAL(tf__ledger_pop(&l, 1, &out), 1);
    CU_ASSERT_EQUAL(out.id, id);
    CU_ASSERT_EQUAL(out.size, id % 7 + 1);
    free(out.data);
  }
  CU_ASSERT_EQUAL_FATAL(tf__ledger_pop(&l, 4, &out), 1);
  CU_ASSERT_EQUAL(out.id, 900);
  free(out.data);
  CU_ASSERT_EQUAL(l.total, 2);
  CU_ASSERT_EQUAL(l.bytes, bytes4 - (900 % 7 + 1));
  tf__ledger_destroy(&l); /* frees worker 4's other two */
}

/* A relay's ring under mixed traffic: tasks pushed, taken by id anywhere (which indexes the
 * ring and leaves holes), popped from the head, and moved to the head, against a reference
 * list in order. After every step the head, the count, the bytes and the slots read oldest
 * first (holes skipped) are the reference's, and a task taken is found no more. */
static void test_ledger_indexed_ring_matches_reference(void) {
  enum { CAP = 3000, STEPS = 40000 };
  static uint64_t ref[CAP]; /* the ids held, oldest first */
  int nref = 0;
  uint64_t next = 0, bytes = 0;
  rng_state = 99;
  tf_ledger l;
  CU_ASSERT_EQUAL_FATAL(tf__ledger_init(&l, 1), 0);
  unsigned wrong = 0;
  for (int s = 0; s < STEPS; s++) {
    uint64_t dice = rng() % 8;
    tf_rec out;
    if (nref < 10 || (nref < CAP && dice < 4)) {
      bytes += push_sized(&l, 0, next, 1);
      ref[nref++] = next++;
    } else if (dice < 6) { /* taken anywhere */
      int k = (int)(rng() % (uint64_t)nref);
      uint64_t id = ref[k];
      if (tf__ledger_take(&l, 0, id, &out) != 1 || out.id != id) {
        wrong++;
        continue;
      }
      bytes -= out.size;
      free(out.data);
      memmove(ref + k, ref + k + 1, (size_t)(nref - k - 1) * sizeof *ref);
      nref--;
      wrong += tf__ledger_find(&l, 0, id) != NULL;
    } else if (dice == 6) { /* the head ends */
      if (tf__ledger_pop(&l, 0, &out) != 1 || out.id != ref[0]) wrong++;
      bytes -= out.size;
      free(out.data);
      memmove(ref, ref + 1, (size_t)(nref - 1) * sizeof *ref);
      nref--;
    } else { /* one starts out of turn */
      int k = (int)(rng() % (uint64_t)nref);
      uint64_t id = ref[k];
      if (tf__ledger_to_head(&l, 0, id) != 1) wrong++;
      memmove(ref + 1, ref, (size_t)k * sizeof *ref);
      ref[0] = id;
    }
    const tf_rec *head = tf__ledger_head(&l, 0);
    wrong += !head || head->id != ref[0] || tf__ledger_held(&l, 0) != (size_t)nref ||
             l.total != (size_t)nref || tf__ledger_bytes(&l, 0) != bytes;
    if (s % 500 == 0 || s == STEPS - 1) {
      int k = 0;
      for (size_t j = 0; j < tf__ledger_span(&l, 0); j++) {
        const tf_rec *t = tf__ledger_slot(&l, 0, j);
        if (t) wrong += k >= nref || t->id != ref[k++] || tf__ledger_find(&l, 0, t->id) != t;
      }
      wrong += k != nref;
    }
  }
  CU_ASSERT_EQUAL(wrong, 0);
  CU_ASSERT(l.rings[0].indexed);
  CU_ASSERT(tf__ledger_span(&l, 0) >= tf__ledger_held(&l, 0));
  tf__ledger_destroy(&l); /* frees what is still held (ASan: nothing leaks) */
}

/* A relay's task that stays at the head (it hangs) while thousands after it end: the ring
 * closes its holes instead of growing, the head stays that task, and every task is still
 * found by id. */
static void test_ledger_indexed_ring_stays_small_behind_a_stuck_head(void) {
  tf_ledger l;
  CU_ASSERT_EQUAL_FATAL(tf__ledger_init(&l, 1), 0);
  uint64_t bytes = push_sized(&l, 0, 0, 4); /* task 0 stays; 1, 2, 3 end */
  unsigned wrong = 0;
  tf_rec out;
  for (uint64_t id = 4; id < 20000; id++) {
    bytes += push_sized(&l, 0, id, 1);
    uint64_t gone = id - 3;
    if (tf__ledger_take(&l, 0, gone, &out) != 1 || out.id != gone) {
      wrong++;
      continue;
    }
    bytes -= out.size;
    free(out.data);
    const tf_rec *head = tf__ledger_head(&l, 0);
    wrong += !head || head->id != 0 || tf__ledger_held(&l, 0) != 4 ||
             tf__ledger_bytes(&l, 0) != bytes || !tf__ledger_find(&l, 0, id) ||
             tf__ledger_find(&l, 0, gone) != NULL;
  }
  CU_ASSERT_EQUAL(wrong, 0);
  CU_ASSERT(l.rings[0].cap <= 64);
  CU_ASSERT(l.rings[0].index.cap <= 64);
  size_t k = 0, found = 0;
  static const uint64_t left[4] = {0, 19997, 19998, 19999};
  for (size_t j = 0; j < tf__ledger_span(&l, 0); j++) {
    const tf_rec *t = tf__ledger_slot(&l, 0, j);
    if (t) found += k < 4 && t->id == left[k++];
  }
  CU_ASSERT_EQUAL(found, 4);
  tf__ledger_destroy(&l);
}

int main(void) {
  static const tf_unit_test tests[] = {
      TF_UNIT_TEST(test_ledger_starts_empty),
      TF_UNIT_TEST(test_ledger_keeps_fifo_order_per_worker),
      TF_UNIT_TEST(test_ledger_head_shows_oldest_without_removing),
      TF_UNIT_TEST(test_ledger_workers_are_independent),
      TF_UNIT_TEST(test_ledger_grows_past_capacity_after_wrapping),
      TF_UNIT_TEST(test_ledger_random_traffic_matches_reference_fifos),
      TF_UNIT_TEST(test_ledger_pop_hands_over_data),
      TF_UNIT_TEST(test_ledger_to_head_moves_one_and_keeps_the_rest_in_order),
      TF_UNIT_TEST(test_ledger_destroy_frees_held_data),
      TF_UNIT_TEST(test_ledger_find_and_take_in_any_order),
      TF_UNIT_TEST(test_ledger_take_random_order_matches_reference),
      TF_UNIT_TEST(test_ledger_grow_keeps_the_rings_and_adds_empty_ones),
      TF_UNIT_TEST(test_ledger_indexed_ring_matches_reference),
      TF_UNIT_TEST(test_ledger_indexed_ring_stays_small_behind_a_stuck_head),
      TF_UNIT_END,
  };
  return tf_unit_run("ledger", tests);
}
