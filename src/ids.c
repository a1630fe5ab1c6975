/* ids.c - the ids of spawned tasks (ids.h). */
#include "ids.h"

#include <stdio.h>

#include "log.h"
#include "taskfarm.h"

/* splitmix64's finaliser: a bijection that scatters nearby inputs. */
static uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
  return z ^ (z >> 31);
}

uint64_t tf__child_id(uint64_t parent, uint32_t index) {
  return TF_ID_SPAWNED | (mix64(parent ^ mix64(UINT64_C(0x9e3779b97f4a7c15) + index)) >> 1);
}

uint64_t tf__followup_id(uint64_t parent, uint32_t index) {
  return TF_ID_SPAWNED | (mix64(~parent ^ mix64(UINT64_C(0xd1b54a32d192ed03) + index)) >> 1);
}

/* The collision of a new spawned id with one spawned before (or running out of memory). */
static int id_taken(int rc, const char *whose) {
  if (rc == 1) return 0;
  if (rc == 0) {
    tf__log(0,
            "task id collision: %s, the id of a task spawned "
            "before it (child ids are 63-bit hashes; with n spawned tasks a collision has a "
            "chance of about n^2 / 2^64); the run stops rather than merge two tasks",
            whose);
    return TF_EAPP;
  }
  tf__log(0, "out of memory keeping the ids of spawned tasks");
  return TF_ENOMEM;
}

int tf__check_child(tf_idset *seen, uint64_t parent, uint32_t index, uint64_t id, int rank) {
  uint64_t want = tf__child_id(parent, index);
  if (id != want) {
    tf__log(0, "rank %d sent task %llu as child %u of task %llu, whose id is %llu", rank,
            (unsigned long long)id, index, (unsigned long long)parent, (unsigned long long)want);
    return TF_EPROTO;
  }
  int rc = tf__idset_add(seen, id);
  if (rc == 1) return 0;
  char whose[96];
  snprintf(whose, sizeof whose, "child %u of task %llu has id %llu", index,
           (unsigned long long)parent, (unsigned long long)id);
  return id_taken(rc, whose);
}

int tf__check_new_id(tf_idset *seen, uint64_t id, int rank) {
  if (!(id & TF_ID_SPAWNED)) {
    tf__log(0, "rank %d sent task %llu as a spawned task, but it is not a child's id", rank,
            (unsigned long long)id);
    return TF_EPROTO;
  }
  int rc = tf__idset_add(seen, id);
  if (rc == 1) return 0;
  char whose[64];
  snprintf(whose, sizeof whose, "spawned task %llu has the id", (unsigned long long)id);
  return id_taken(rc, whose);
}
