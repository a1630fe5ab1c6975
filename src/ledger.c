/* ledger.c - per-worker FIFOs of tasks in flight (see ledger.h). Each record
 * keeps its payload until the result arrives: the copy a task would be handed
 * out again from if its worker were lost. */
#include "ledger.h"

#include <stdlib.h>
#include <string.h>

#include "taskfarm.h"
#include "vec.h"

int tf__ledger_init(tf_ledger *l, int nworkers) {
  memset(l, 0, sizeof *l);
  l->rings = calloc(nworkers > 0 ? (size_t)nworkers : 1, sizeof *l->rings);
  if (!l->rings) return TF_ENOMEM;
  l->nworkers = nworkers;
  return 0;
}

int tf__ledger_grow(tf_ledger *l, int nworkers) {
  if (nworkers <= l->nworkers) return 0;
  tf_ring *r = realloc(l->rings, (size_t)nworkers * sizeof *r);
  if (!r) return TF_ENOMEM;
  memset(r + l->nworkers, 0, (size_t)(nworkers - l->nworkers) * sizeof *r);
  l->rings = r;
  l->nworkers = nworkers;
  return 0;
}

int tf__ledger_push(tf_ledger *l, int w, const tf_rec *rec) {
  tf_ring *r = &l->rings[w];
  if (r->n == r->cap && tf__ring_grow(&r->buf, &r->cap, &r->head, r->n, sizeof *r->buf, 16))
    return TF_ENOMEM;
  r->buf[(r->head + r->n) & (r->cap - 1)] = *rec;
  r->n++;
  r->bytes += rec->size;
  l->bytes += rec->size;
  l->total++;
  return 0;
}

const tf_rec *tf__ledger_head(const tf_ledger *l, int w) {
  const tf_ring *r = &l->rings[w];
  return r->n ? &r->buf[r->head] : NULL;
}

int tf__ledger_pop(tf_ledger *l, int w, tf_rec *out) {
  tf_ring *r = &l->rings[w];
  if (!r->n) return 0;
  *out = r->buf[r->head];
  r->head = (r->head + 1) & (r->cap - 1);
  r->n--;
  r->bytes -= out->size;
  l->bytes -= out->size;
  l->total--;
  return 1;
}

/* Where worker w's task id sits (0 is the head), or r->n. */
static size_t find(const tf_ring *r, uint64_t id) {
  size_t k = 0, mask = r->cap - 1;
  while (k < r->n && r->buf[(r->head + k) & mask].id != id) k++;
  return k;
}

int tf__ledger_to_head(tf_ledger *l, int w, uint64_t id) {
  tf_ring *r = &l->rings[w];
  size_t k = find(r, id), mask = r->cap - 1;
  if (k == r->n) return 0;
  tf_rec moved = r->buf[(r->head + k) & mask];
  for (; k > 0; k--) r->buf[(r->head + k) & mask] = r->buf[(r->head + k - 1) & mask];
  r->buf[r->head] = moved;
  return 1;
}

const tf_rec *tf__ledger_find(const tf_ledger *l, int w, uint64_t id) {
  const tf_ring *r = &l->rings[w];
  size_t k = find(r, id);
  return k < r->n ? &r->buf[(r->head + k) & (r->cap - 1)] : NULL;
}

int tf__ledger_take(tf_ledger *l, int w, uint64_t id, tf_rec *out) {
  if (!tf__ledger_to_head(l, w, id)) return 0;
  return tf__ledger_pop(l, w, out);
}

void tf__ledger_destroy(tf_ledger *l) {
  if (!l->rings) return;
  for (int w = 0; w < l->nworkers; w++) {
    tf_ring *r = &l->rings[w];
    for (size_t i = 0; i < r->n; i++)
      free(r->buf[(r->head + i) & (r->cap - 1)].data);
    free(r->buf);
  }
  free(l->rings);
  l->rings = NULL;
}
