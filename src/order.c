/* order.c - results in id order (order.h): a binary min-heap of the early ones. */
#include "order.h"

#include <stdlib.h>
#include <string.h>

#include "taskfarm.h"
#include "vec.h"

static void swap(tf_held *a, tf_held *b) {
  tf_held t = *a;
  *a = *b;
  *b = t;
}

static int push(tf_order *o, tf_held x) {
  if (tf__vec_reserve(&o->heap, &o->cap, o->n + 1, sizeof *o->heap, 16)) return TF_ENOMEM;
  size_t k = o->n++;
  o->heap[k] = x;
  while (k > 0 && o->heap[(k - 1) / 2].id > o->heap[k].id) {
    swap(&o->heap[(k - 1) / 2], &o->heap[k]);
    k = (k - 1) / 2;
  }
  o->bytes += x.size;
  return 0;
}

static tf_held pop_min(tf_order *o) {
  tf_held top = o->heap[0];
  o->heap[0] = o->heap[--o->n];
  for (size_t k = 0;;) {
    size_t l = 2 * k + 1, r = l + 1, m = k;
    if (l < o->n && o->heap[l].id < o->heap[m].id) m = l;
    if (r < o->n && o->heap[r].id < o->heap[m].id) m = r;
    if (m == k) break;
    swap(&o->heap[k], &o->heap[m]);
    k = m;
  }
  o->bytes -= top.size;
  return top;
}

int tf__order_put(tf_order *o, uint64_t id, const void *data, size_t size) {
  if (id < o->next) return TF_EINVAL;
  if (id == o->next) {
    o->next++;
    return 1;
  }
  tf_held x = {id, NULL, size, 0};
  if (size && !(x.data = malloc(size))) return TF_ENOMEM;
  if (size) memcpy(x.data, data, size);
  int rc = push(o, x);
  if (rc) free(x.data);
  return rc;
}

int tf__order_gone(tf_order *o, uint64_t id) {
  if (id < o->next) return TF_EINVAL;
  if (id == o->next) {
    o->next++;
    return 1;
  }
  return push(o, (tf_held){id, NULL, 0, 1});
}

int tf__order_pop(tf_order *o, tf_held *out) {
  if (!o->n || o->heap[0].id != o->next) return 0;
  *out = pop_min(o);
  o->next++;
  return 1;
}

int tf__order_pop_any(tf_order *o, tf_held *out) {
  if (!o->n) return 0;
  *out = pop_min(o);
  o->next = out->id + 1;
  return 1;
}

void tf__order_free(tf_order *o) {
  for (size_t k = 0; k < o->n; k++)
    free(o->heap[k].data);
  free(o->heap);
  memset(o, 0, sizeof *o);
}
