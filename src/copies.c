/* copies.c - tasks that run twice, and the counts the end of a run depends
 * on (copies.h). */
#include "copies.h"

#include <stdlib.h>

#include "check.h"
#include "vec.h"

void tf__copies_free(tf_copies *t) {
  free(t->c);
  *t = (tf_copies){0};
}

tf_copy *tf__copies_find(tf_copies *t, uint64_t id) {
  for (size_t i = 0; i < t->n; i++)
    if (t->c[i].id == id) return &t->c[i];
  return NULL;
}

tf_copy *tf__copies_add(tf_copies *t, uint64_t id, int copies, int queued, int first, int second,
                        double since) {
  TF_ASSERT(!tf__copies_find(t, id) && copies == 2 && queued >= 0 && queued < copies);
  if (tf__vec_reserve(&t->c, &t->cap, t->n + 1, sizeof *t->c, 8)) return NULL;
  t->c[t->n] = (tf_copy){id, copies, 0, queued, first, second, since};
  return &t->c[t->n++];
}

/* An entry with no copy left anywhere goes. */
static void drop_if_gone(tf_copies *t, tf_copy *c) {
  TF_ASSERT(c->copies >= 0 && c->queued >= 0 && c->queued <= c->copies);
  if (c->copies == 0) *c = t->c[--t->n];
}

int tf__copies_dequeued(tf_copies *t, uint64_t id) {
  tf_copy *c = t->n ? tf__copies_find(t, id) : NULL;
  if (!c || !c->queued) return 0;
  c->queued--;
  if (!c->done) return 0;
  TF_ASSERT(t->stale_queued > 0);
  t->stale_queued--;
  c->copies--;
  drop_if_gone(t, c);
  return 1;
}

/* The task is done (or given up on): every copy of it still in a ledger is
 * stale, every one still in the pool a stale copy. */
static void mark_done(tf_copies *t, tf_copy *c) {
  c->done = 1;
  t->stale += (size_t)(c->copies - c->queued);
  t->stale_queued += (size_t)c->queued;
}

int tf__copies_settle(tf_copies *t, uint64_t id, int is_result, int *dropped) {
  tf_copy *c = t->n ? tf__copies_find(t, id) : NULL;
  *dropped = 0;
  if (!c) return 0;
  TF_ASSERT(c->copies > c->queued); /* this one came back from a ledger */
  c->copies--;
  int moot = c->done || (!is_result && c->copies > 0);
  if (c->done) {
    TF_ASSERT(t->stale > 0);
    t->stale--;
    *dropped = is_result;
  } else if (is_result) {
    mark_done(t, c); /* what the other copy brings is dropped */
  }
  drop_if_gone(t, c);
  return moot;
}

void tf__copies_give_up(tf_copies *t, tf_copy *c) {
  TF_ASSERT(!c->done);
  mark_done(t, c);
}
