/* idset.c - see idset.h. Kept at most half full, so lookups stay short. */
#include "idset.h"

#include <stdlib.h>

#include "taskfarm.h"

#define TF_IDSET_EMPTY UINT64_MAX

static void put(uint64_t *slots, size_t cap, uint64_t id) {
  size_t i = tf__id_slot(id, cap);
  while (slots[i] != TF_IDSET_EMPTY)
    i = (i + 1) & (cap - 1);
  slots[i] = id;
}

static int grow(tf_idset *s) {
  size_t cap = s->cap ? 2 * s->cap : 64;
  uint64_t *slots = malloc(cap * sizeof *slots);
  if (!slots) return TF_ENOMEM;
  for (size_t i = 0; i < cap; i++)
    slots[i] = TF_IDSET_EMPTY;
  for (size_t i = 0; i < s->cap; i++)
    if (s->slots[i] != TF_IDSET_EMPTY) put(slots, cap, s->slots[i]);
  free(s->slots);
  s->slots = slots;
  s->cap = cap;
  return 0;
}

int tf__idset_has(const tf_idset *s, uint64_t id) {
  if (id == TF_IDSET_EMPTY) return s->has_empty_id;
  if (!s->cap) return 0;
  for (size_t i = tf__id_slot(id, s->cap);; i = (i + 1) & (s->cap - 1)) {
    if (s->slots[i] == id) return 1;
    if (s->slots[i] == TF_IDSET_EMPTY) return 0;
  }
}

int tf__idset_add(tf_idset *s, uint64_t id) {
  if (tf__idset_has(s, id)) return 0;
  if (id == TF_IDSET_EMPTY) {
    s->has_empty_id = 1;
  } else {
    if (2 * (s->count + 1) > s->cap && grow(s)) return TF_ENOMEM;
    put(s->slots, s->cap, id);
  }
  s->count++;
  return 1;
}

void tf__idset_free(tf_idset *s) {
  free(s->slots);
  s->slots = NULL;
  s->cap = s->count = 0;
  s->has_empty_id = 0;
}
