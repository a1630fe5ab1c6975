/* idset.h - a set of task ids (open addressing, linear probing): the ids a
 * resumed run finds in its journal, which generate must not queue again. */
#ifndef TF_IDSET_H
#define TF_IDSET_H

#include <stddef.h>
#include <stdint.h>

/* Where id's probe starts in a table of cap slots (a power of two), for
 * this set and for the id map (idmap.h). Generated ids are consecutive:
 * they are scattered first. */
static inline size_t tf__id_slot(uint64_t id, size_t cap) {
  id ^= id >> 33;
  id *= UINT64_C(0xff51afd7ed558ccd);
  id ^= id >> 33;
  return (size_t)id & (cap - 1);
}

typedef struct tf_idset {
  uint64_t *slots; /* TF_IDSET_EMPTY where free; cap is a power of two */
  size_t cap, count;
  int has_empty_id; /* the one id equal to the empty marker is kept here */
} tf_idset;

/* Add id. Returns 1 when added, 0 when it was there already, or TF_ENOMEM. */
int tf__idset_add(tf_idset *s, uint64_t id);
int tf__idset_has(const tf_idset *s, uint64_t id);
void tf__idset_free(tf_idset *s);

#endif
