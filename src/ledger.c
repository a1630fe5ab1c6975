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

/* A hole: the slot of a task taken out of the middle of an indexed ring. */
#define HOLE INT32_MIN
static int is_hole(const tf_rec *t) { return t->avoid == HOLE; }

/* Relay rings are indexed from 2^62 on, far from TF_IDMAP_FREE either way. */
#define SEQ_BASE (UINT64_C(1) << 62)

/* Close the holes of an indexed ring, the records kept in order from the
 * head, and number them anew: a task that stays at the head (one that
 * hangs, or a long one) no longer makes the ring grow with every task that
 * ends after it. The index keeps its room: no allocation, no failure. */
static void compact(tf_ring *r) {
  size_t kept = 0;
  for (size_t k = 0; k < r->span; k++) {
    const tf_rec *t = tf__ring_slot(r, k);
    if (!is_hole(t)) *tf__ring_slot(r, kept++) = *t;
  }
  r->span = kept;
  r->seq0 = SEQ_BASE;
  tf__idmap_clear(&r->index);
  for (size_t k = 0; k < r->span; k++)
    tf__idmap_put(&r->index, tf__ring_slot(r, k)->id, r->seq0 + k);
}

int tf__ledger_push_slow(tf_ledger *l, int w, const tf_rec *rec) {
  tf_ring *r = &l->rings[w];
  if (r->span == r->cap && r->indexed && r->n <= r->cap / 2) compact(r);
  if (r->span == r->cap && tf__ring_grow(&r->buf, &r->cap, &r->head, r->span, sizeof *r->buf, 16))
    return TF_ENOMEM;
  if (r->indexed && tf__idmap_put(&r->index, rec->id, r->seq0 + r->span)) return TF_ENOMEM;
  tf__ledger_append(l, r, rec);
  return 0;
}

const tf_rec *tf__ledger_slot(const tf_ledger *l, int w, size_t k) {
  const tf_rec *t = tf__ring_slot(&l->rings[w], k);
  return is_hole(t) ? NULL : t;
}

/* Take the record in slot k out into *out; the slot becomes a hole, and the
 * head moves past the holes before it. */
static void remove_at(tf_ledger *l, tf_ring *r, size_t k, tf_rec *out) {
  tf_rec *t = tf__ring_slot(r, k);
  *out = *t;
  if (r->indexed) tf__idmap_del(&r->index, t->id);
  t->avoid = HOLE;
  t->data = NULL;
  tf__ledger_uncount(l, r, out->size);
  while (r->span && is_hole(&r->buf[r->head])) {
    r->head = (r->head + 1) & (r->cap - 1);
    r->seq0++;
    r->span--;
  }
}

int tf__ledger_pop_indexed(tf_ledger *l, int w, tf_rec *out) {
  remove_at(l, &l->rings[w], 0, out);
  return 1;
}

/* Index ring r by id: from now on a task is found in one step. */
static int make_index(tf_ring *r) {
  r->seq0 = SEQ_BASE;
  for (size_t k = 0; k < r->span; k++) {
    const tf_rec *t = tf__ring_slot(r, k);
    if (!is_hole(t) && tf__idmap_put(&r->index, t->id, r->seq0 + k)) {
      tf__idmap_free(&r->index);
      return TF_ENOMEM;
    }
  }
  r->indexed = 1;
  return 0;
}

/* Where worker w's task id sits (0 is the head), or r->span. */
static size_t find(const tf_ring *r, uint64_t id) {
  if (r->indexed) {
    uint64_t seq = tf__idmap_get(&r->index, id);
    return seq == TF_IDMAP_FREE ? r->span : (size_t)(seq - r->seq0);
  }
  size_t k = 0;
  while (k < r->span && tf__ring_slot(r, k)->id != id) k++; /* no holes before it is indexed */
  return k;
}

int tf__ledger_to_head(tf_ledger *l, int w, uint64_t id) {
  tf_ring *r = &l->rings[w];
  size_t k = find(r, id);
  if (k == r->span) return 0;
  if (k == 0) return 1;
  if (r->indexed) { /* the slot before the head takes it; its own becomes a hole */
    if (r->span == r->cap &&
        tf__ring_grow(&r->buf, &r->cap, &r->head, r->span, sizeof *r->buf, 16))
      return 0;
    tf_rec moved;
    remove_at(l, r, k, &moved); /* not the head: the head stays */
    r->head = (r->head + r->cap - 1) & (r->cap - 1);
    r->seq0--;
    r->span++;
    r->buf[r->head] = moved;
    r->n++;
    r->bytes += moved.size;
    l->bytes += moved.size;
    l->total++;
    tf__idmap_put(&r->index, moved.id, r->seq0); /* as many ids as before: no room to find */
    return 1;
  }
  tf_rec moved = *tf__ring_slot(r, k);
  for (; k > 0; k--) *tf__ring_slot(r, k) = *tf__ring_slot(r, k - 1);
  r->buf[r->head] = moved;
  return 1;
}

const tf_rec *tf__ledger_find(const tf_ledger *l, int w, uint64_t id) {
  const tf_ring *r = &l->rings[w];
  size_t k = find(r, id);
  return k < r->span ? tf__ring_slot(r, k) : NULL;
}

int tf__ledger_take(tf_ledger *l, int w, uint64_t id, tf_rec *out) {
  tf_ring *r = &l->rings[w];
  if (r->n && r->buf[r->head].id == id) return tf__ledger_pop(l, w, out);
  if (!r->indexed && make_index(r)) { /* out of memory: the slow way, as before indexing */
    size_t k = find(r, id);
    if (k == r->span) return 0;
    return tf__ledger_to_head(l, w, id) && tf__ledger_pop(l, w, out);
  }
  size_t k = find(r, id);
  if (k == r->span) return 0;
  remove_at(l, r, k, out);
  return 1;
}

void tf__ledger_destroy(tf_ledger *l) {
  if (!l->rings) return;
  for (int w = 0; w < l->nworkers; w++) {
    tf_ring *r = &l->rings[w];
    for (size_t k = 0; k < r->span; k++)
      free(tf__ring_slot(r, k)->data); /* a hole's is NULL */
    free(r->buf);
    tf__idmap_free(&r->index);
  }
  free(l->rings);
  l->rings = NULL;
}
