/* nqueens.c - count the solutions of the N-queens problem by divide and
 * conquer: a task is a partial board (queens on its first rows); it splits into
 * one child per legal queen in the next row while it is shallow, and counts its
 * completions by bitmask backtracking once it is deep enough. */
#include <stdio.h>
#include <string.h>

#include "taskfarm.h"

#define NQ_MAX 32 /* the masks below are 64 bits; 32 keeps every shift well inside them */

typedef struct nq_ctx {
  long long n, split_depth; /* options */
  long long next;           /* next first-row column generate will seed */
  unsigned long long solutions, tasks;
} nq_ctx;

/* A partial board: rows 0..row-1 hold queens. cols marks the taken columns, ld
 * and rd the squares of row `row` attacked along the two diagonals. weight is 2
 * when the mirror image of every completion is counted too (see generate). */
typedef struct nq_task {
  uint32_t row, weight;
  uint64_t cols, ld, rd;
} nq_task;

/* Completions of a partial board: the classic bitmask backtracking. Bits of
 * avail are the free squares of the current row; the lowest is taken first. */
static uint64_t complete(uint64_t all, uint64_t cols, uint64_t ld, uint64_t rd) {
  if (cols == all) return 1;
  uint64_t count = 0;
  uint64_t avail = all & ~(cols | ld | rd);
  while (avail) {
    uint64_t bit = avail & (~avail + 1);
    avail ^= bit;
    count += complete(all, cols | bit, (ld | bit) << 1, (rd | bit) >> 1);
  }
  return count;
}

/* Splitting tasks go first, the shallowest first: each one is cheap and feeds
 * the queue, so every worker has work early and the big counting tasks
 * (priority 0) are all known before the queue runs dry. */
static int32_t priority(const nq_ctx *c, uint32_t row) {
  return row < c->split_depth ? (int32_t)(c->split_depth - row) : 0;
}

/* The board after a queen at column bit `bit` of row t->row. */
static nq_task place(const nq_task *t, uint64_t bit) {
  nq_task k = {t->row + 1, t->weight, t->cols | bit, (t->ld | bit) << 1, (t->rd | bit) >> 1};
  return k;
}

/* The seeds are the queens of row 0. A board's mirror image (column c to
 * N-1-c) is a solution exactly when the board is, and moves a row-0 queen in
 * the left half to the right half, so only the left half is seeded, each seed
 * counting twice; the middle column of an odd N is its own mirror and counts
 * once. */
static int generate(tf_handle *h, void *vctx) {
  nq_ctx *c = vctx;
  long long half = (c->n + 1) / 2;
  if (c->next >= half) return TF_GEN_DONE;
  nq_task root = {0, 1, 0, 0, 0};
  nq_task t = place(&root, UINT64_C(1) << c->next);
  t.weight = (c->n % 2 && c->next == c->n / 2) ? 1 : 2;
  int rc = tf_submit_prio(h, &t, sizeof t, priority(c, t.row));
  if (rc) return rc;
  c->next++;
  return c->next < half ? TF_GEN_MORE : TF_GEN_DONE;
}

/* A splitting task returns 0 and leaves the counting to its children, so every
 * completion is counted by exactly one leaf. */
static int execute(tf_handle *h, const tf_task *task, void *vctx) {
  nq_ctx *c = vctx;
  nq_task t;
  if (task->size != sizeof t) return -1;
  memcpy(&t, task->data, sizeof t);
  uint64_t all = (UINT64_C(1) << c->n) - 1, count = 0;
  if (t.row > c->n || (t.cols & ~all)) return -1;
  if (t.row < c->split_depth && t.row < c->n) {
    uint64_t avail = all & ~(t.cols | t.ld | t.rd);
    while (avail) {
      uint64_t bit = avail & (~avail + 1);
      avail ^= bit;
      nq_task k = place(&t, bit);
      int rc = tf_submit_prio(h, &k, sizeof k, priority(c, k.row));
      if (rc) return rc;
    }
  } else {
    count = t.weight * complete(all, t.cols, t.ld, t.rd);
  }
  return tf_result(h, &count, sizeof count);
}

/* Integer sums: the same total whatever order the results arrive in. */
static int collect(tf_handle *h, const tf_task *result, void *vctx) {
  (void)h;
  nq_ctx *c = vctx;
  uint64_t count;
  if (result->size != sizeof count) {
    fprintf(stderr, "nqueens: task %llu returned %zu bytes, expected %zu\n",
            (unsigned long long)result->id, result->size, sizeof count);
    return -1;
  }
  memcpy(&count, result->data, sizeof count);
  c->solutions += count;
  c->tasks++;
  return 0;
}

static int finish(tf_handle *h, void *vctx) {
  (void)h;
  nq_ctx *c = vctx;
  printf("N            %lld\n", c->n);
  printf("solutions    %llu\n", c->solutions);
  printf("tasks        %llu (split depth %lld)\n", c->tasks, c->split_depth);
  return 0;
}

int main(int argc, char **argv) {
  nq_ctx c = {.n = 16, .split_depth = 3};
  const tf_option options[] = {
      {"n", TF_OPT_INT, &c.n, "N", "board size and number of queens (default 16)", 1, NQ_MAX},
      {"split-depth", TF_OPT_INT, &c.split_depth, "D",
       "split boards with fewer than D queens (seeds have 1; default 3)", 0, NQ_MAX},
      TF_OPTIONS_END,
  };
  tf_app app = {
      .name = "taskfarm-nqueens",
      .summary = "Count the ways to place N non-attacking queens on an N x N board. A task is a\n"
                 "board with queens on its first rows: it spawns one child task per legal queen\n"
                 "in the next row while fewer than D rows are placed, and otherwise counts its\n"
                 "completions by bitmask backtracking. Mirror symmetry halves the work.",
      .ctx = &c,
      .options = options,
      .generate = generate,
      .execute = execute,
      .collect = collect,
      .finish = finish,
  };
  return tf_main(argc, argv, &app);
}
