/* pool.c - the tasks waiting to be handed out, and the static schedule's
 * shares (pool.h). */
#include "pool.h"

#include <stdlib.h>

#include "taskfarm.h"

int tf__pool_init(tf_pool *p, int n, int is_static) {
  *p = (tf_pool){0};
  p->n = n;
  if (is_static && !(p->own = calloc(n > 0 ? (size_t)n : 1, sizeof *p->own))) return TF_ENOMEM;
  return 0;
}

void tf__pool_destroy(tf_pool *p) {
  tf__queue_destroy(&p->all);
  for (int i = 0; p->own && i < p->n; i++)
    tf__queue_destroy(&p->own[i]);
  free(p->own);
  *p = (tf_pool){0};
}

/* The workers child i stands for. */
static size_t width_of(const tf_pool *p, int i) { return p->width ? (size_t)p->width[i] : 1; }

int tf__pool_fix_shares(tf_pool *p) {
  if (!p->own || p->fixed) return 0;
  size_t n = tf__queue_size(&p->all), workers = 0;
  for (int i = 0; i < p->n; i++)
    workers += width_of(p, i);
  int i = 0;
  size_t below = 0; /* workers of the children before i */
  for (size_t k = 0; k < n; k++) { /* worker j gets the j-th of equal runs, in id order */
    size_t j = k * workers / n;
    while (j >= below + width_of(p, i)) below += width_of(p, i++);
    tf_rec r;
    tf__queue_pop(&p->all, &r);
    if (tf__queue_push(&p->own[i], &r)) {
      free(r.data);
      return TF_ENOMEM;
    }
  }
  p->fixed = 1;
  return 0;
}

int tf__pool_put(tf_pool *p, int i, tf_rec *r) { return tf__queue_push(tf__pool_of(p, i), r); }

int tf__pool_move_share(tf_pool *p, int from, int to) {
  tf_rec r;
  if (!p->own || !p->fixed) return 0;
  while (tf__queue_pop(&p->own[from], &r))
    if (tf__queue_push(&p->own[to], &r)) {
      free(r.data);
      return TF_ENOMEM;
    }
  return 0;
}

size_t tf__pool_size(const tf_pool *p) {
  size_t n = tf__queue_size(&p->all);
  for (int i = 0; p->own && i < p->n; i++)
    n += tf__queue_size(&p->own[i]);
  return n;
}

int tf__pool_take_any(tf_pool *p, tf_rec *out) {
  if (tf__queue_pop(&p->all, out)) return 1;
  for (int i = 0; p->own && i < p->n; i++)
    if (tf__queue_pop(&p->own[i], out)) return 1;
  return 0;
}
