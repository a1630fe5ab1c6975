/* idmap.c - see idmap.h. A deleted entry leaves no marker behind: the
 * entries after it that probed past it move back, so lookups stay short
 * however many tasks come and go. */
#include "idmap.h"

#include <stdlib.h>

#include "idset.h"
#include "taskfarm.h"

/* The slot holding id, or the free slot where it would go. */
static size_t probe(const tf_idmap *m, uint64_t id) {
  size_t i = tf__id_slot(id, m->cap);
  while (m->slots[i].val != TF_IDMAP_FREE && m->slots[i].id != id)
    i = (i + 1) & (m->cap - 1);
  return i;
}

static int grow(tf_idmap *m) {
  size_t cap = m->cap ? 2 * m->cap : 64;
  tf_idmap_slot *slots = malloc(cap * sizeof *slots);
  if (!slots) return TF_ENOMEM;
  for (size_t i = 0; i < cap; i++)
    slots[i].val = TF_IDMAP_FREE;
  tf_idmap bigger = {slots, cap, m->count};
  for (size_t i = 0; i < m->cap; i++)
    if (m->slots[i].val != TF_IDMAP_FREE) slots[probe(&bigger, m->slots[i].id)] = m->slots[i];
  free(m->slots);
  *m = bigger;
  return 0;
}

int tf__idmap_put(tf_idmap *m, uint64_t id, uint64_t val) {
  if (2 * (m->count + 1) > m->cap && grow(m)) return TF_ENOMEM;
  size_t i = probe(m, id);
  if (m->slots[i].val == TF_IDMAP_FREE) m->count++;
  m->slots[i] = (tf_idmap_slot){id, val};
  return 0;
}

uint64_t tf__idmap_get(const tf_idmap *m, uint64_t id) {
  return m->cap ? m->slots[probe(m, id)].val : TF_IDMAP_FREE;
}

int tf__idmap_del(tf_idmap *m, uint64_t id) {
  if (!m->cap) return 0;
  size_t mask = m->cap - 1, i = probe(m, id);
  if (m->slots[i].val == TF_IDMAP_FREE) return 0;
  /* Move back each later entry of the run whose home is not between the
   * hole and it (going round): it probed past the hole. */
  for (size_t j = (i + 1) & mask; m->slots[j].val != TF_IDMAP_FREE; j = (j + 1) & mask) {
    size_t h = tf__id_slot(m->slots[j].id, m->cap);
    if (((j - h) & mask) >= ((j - i) & mask)) {
      m->slots[i] = m->slots[j];
      i = j;
    }
  }
  m->slots[i].val = TF_IDMAP_FREE;
  m->count--;
  return 1;
}

void tf__idmap_clear(tf_idmap *m) {
  for (size_t i = 0; i < m->cap; i++)
    m->slots[i].val = TF_IDMAP_FREE;
  m->count = 0;
}

void tf__idmap_free(tf_idmap *m) {
  free(m->slots);
  *m = (tf_idmap){0};
}
