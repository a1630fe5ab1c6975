/* ledger.h - the master's record of which tasks each worker holds (and each
 * relay: it ends them in any order, so its tasks are found by id, through an
 * index the ring gets when a task first leaves it other than from its head;
 * the slot it leaves stays a hole until the head passes it). A worker
 * runs its tasks in the order it received them unless a later one has a
 * higher priority; then it says which it starts (TF_ENT_START), and that task
 * moves to the head. It reports results in the order it ran them, so each
 * worker's share is a FIFO whose head is the task running: a result must
 * match its head. It also tells when the farm is done: when every worker's
 * FIFO is empty. */
#ifndef TF_LEDGER_H
#define TF_LEDGER_H

#include <stddef.h>
#include <stdint.h>

#include "idmap.h"
#include "queue.h"

typedef struct tf_ring {
  tf_rec *buf;
  size_t head, n, cap; /* n records; cap is a power of two */
  size_t span;         /* slots from head on in use: the records and the holes between them */
  uint64_t bytes;      /* payload bytes of the records */
  uint64_t seq0;       /* the number of the slot at head (indexed rings) */
  int indexed;
  tf_idmap index; /* id -> slot number, once indexed */
} tf_ring;

typedef struct tf_ledger {
  tf_ring *rings; /* one per worker */
  int nworkers;
  size_t total; /* tasks held by all workers */
  uint64_t bytes; /* their payload bytes */
} tf_ledger;

int tf__ledger_init(tf_ledger *l, int nworkers);
/* Room for nworkers in all (workers joined the farm): 0 or TF_ENOMEM. */
int tf__ledger_grow(tf_ledger *l, int nworkers);
/* Slot k of ring r (0 is its head). */
static inline tf_rec *tf__ring_slot(const tf_ring *r, size_t k) {
  return &r->buf[(r->head + k) & (r->cap - 1)];
}
/* Put rec in the slot after r's last (there is room) and count it. */
static inline void tf__ledger_append(tf_ledger *l, tf_ring *r, const tf_rec *rec) {
  *tf__ring_slot(r, r->span) = *rec;
  r->span++;
  r->n++;
  r->bytes += rec->size;
  l->bytes += rec->size;
  l->total++;
}
/* Count a task of size bytes out of ring r: the mirror of the append's counts. */
static inline void tf__ledger_uncount(tf_ledger *l, tf_ring *r, uint32_t size) {
  r->n--;
  r->bytes -= size;
  l->bytes -= size;
  l->total--;
}
/* tf__ledger_push when the ring is full or indexed. */
int tf__ledger_push_slow(tf_ledger *l, int w, const tf_rec *rec);
/* Worker w now holds rec (ownership of rec->data passes to the ledger).
 * Returns 0 or TF_ENOMEM. Inline: a worker's ring with room is the path of
 * every task sent. */
static inline int tf__ledger_push(tf_ledger *l, int w, const tf_rec *rec) {
  tf_ring *r = &l->rings[w];
  if (r->span == r->cap || r->indexed) return tf__ledger_push_slow(l, w, rec);
  tf__ledger_append(l, r, rec);
  return 0;
}
/* The oldest task worker w holds, or NULL. */
static inline const tf_rec *tf__ledger_head(const tf_ledger *l, int w) {
  const tf_ring *r = &l->rings[w];
  return r->n ? &r->buf[r->head] : NULL;
}
/* tf__ledger_pop for an indexed ring (a relay's). */
int tf__ledger_pop_indexed(tf_ledger *l, int w, tf_rec *out);
/* Remove worker w's oldest task; its data passes to *out. Returns 1, or 0
 * when w holds nothing. Inline: a worker's ring (no index, no holes) is the
 * path of every result. */
static inline int tf__ledger_pop(tf_ledger *l, int w, tf_rec *out) {
  tf_ring *r = &l->rings[w];
  if (!r->n) return 0;
  if (r->indexed) return tf__ledger_pop_indexed(l, w, out);
  *out = r->buf[r->head];
  r->head = (r->head + 1) & (r->cap - 1);
  r->span--;
  tf__ledger_uncount(l, r, out->size);
  return 1;
}
/* Move the task id worker w holds to the head of its FIFO (the others keep
 * their order). Returns 1, or 0 when w does not hold it. */
int tf__ledger_to_head(tf_ledger *l, int w, uint64_t id);
/* Worker w's task id, or NULL when w does not hold it. */
const tf_rec *tf__ledger_find(const tf_ledger *l, int w, uint64_t id);
/* Remove worker w's task id wherever it is (a relay's workers end tasks in
 * any order); its data passes to *out. Returns 1, or 0 when w does not
 * hold it. */
int tf__ledger_take(tf_ledger *l, int w, uint64_t id, tf_rec *out);
static inline size_t tf__ledger_held(const tf_ledger *l, int w) { return l->rings[w].n; }
/* Payload bytes of the tasks worker w holds. */
static inline uint64_t tf__ledger_bytes(const tf_ledger *l, int w) { return l->rings[w].bytes; }
/* Worker w's slots, oldest first: k < tf__ledger_span(l, w); a slot is a
 * task it holds, or NULL for a hole (a relay's task that ended before older
 * ones). The head is never a hole. */
static inline size_t tf__ledger_span(const tf_ledger *l, int w) { return l->rings[w].span; }
const tf_rec *tf__ledger_slot(const tf_ledger *l, int w, size_t k);
void tf__ledger_destroy(tf_ledger *l);

#endif
