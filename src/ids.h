/* ids.h - the ids of tasks that tasks spawn: derived from the parent's id
 * and the child's index, the same on every run and every rank count. */
#ifndef TF_IDS_H
#define TF_IDS_H

#include <stdint.h>

#include "idset.h"

/* The id of child number index of task parent. */
uint64_t tf__child_id(uint64_t parent, uint32_t index);

/* The id of the index-th follow-up task the master submitted in collect (or failed) for task
 * parent: like a child's, from another series, so the two never meet by construction (only by
 * a 63-bit hash collision). */
uint64_t tf__followup_id(uint64_t parent, uint32_t index);

/* A task spawned as child number index of task parent claims the given id
 * (rank: who sent it). It must be that child's id, and no task spawned
 * before may have had it: child ids are 63-bit hashes, so two can collide
 * (about n^2 / 2^64 for n spawned tasks), and the run stops rather than merge
 * two tasks. seen keeps every spawned id. Returns 0, or TF_EPROTO / TF_EAPP /
 * TF_ENOMEM (logged). */
int tf__check_child(tf_idset *seen, uint64_t parent, uint32_t index, uint64_t id, int rank);
/* The same for a task whose parent a relay has checked: only that it is a
 * child's id, and new. */
int tf__check_new_id(tf_idset *seen, uint64_t id, int rank);

#endif
