/* idmap.h - a map from task id to a number (open addressing, linear
 * probing, deletion by shifting back): where the ledger keeps each task a
 * relay holds, so that a result found by id costs the same wherever the
 * task sits among thousands. */
#ifndef TF_IDMAP_H
#define TF_IDMAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct tf_idmap_slot {
  uint64_t id, val; /* val TF_IDMAP_FREE: the slot is free */
} tf_idmap_slot;

#define TF_IDMAP_FREE UINT64_MAX

typedef struct tf_idmap {
  tf_idmap_slot *slots; /* cap is a power of two; at most half full */
  size_t cap, count;
} tf_idmap;

/* id now maps to val (val != TF_IDMAP_FREE), replacing what it mapped to.
 * Returns 0 or TF_ENOMEM (then the map is as it was). */
int tf__idmap_put(tf_idmap *m, uint64_t id, uint64_t val);
/* What id maps to, or TF_IDMAP_FREE. */
uint64_t tf__idmap_get(const tf_idmap *m, uint64_t id);
/* Forget id. Returns 1, or 0 when it was not there. */
int tf__idmap_del(tf_idmap *m, uint64_t id);
/* Forget every id, keeping the room. */
void tf__idmap_clear(tf_idmap *m);
void tf__idmap_free(tf_idmap *m);

#endif
