/* up_relay.c - the upstream engine (up.h) of a relay: it runs no task; what
 * it is sent goes into its group's queue, and its workers' outcomes and
 * timings go up in its frames; it says "still here" from its own loop
 * (up_beat.c). */
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "up.h"

/* For each of its workers, once a chunk for all of them fits (or a chunk for
 * one when one of them has nothing to run), and then TF_RELAY_BATCH - 1
 * chunks each beyond the depth, within --prefetch. */
uint32_t tf__up_relay_want(const tf_up *u, int held) {
  int64_t depth = u->plan.depth > u->floor_depth ? u->plan.depth : u->floor_depth;
  if (depth > u->cfg->prefetch) depth = u->cfg->prefetch;
  int64_t have = (int64_t)held + u->held_below;
  if (have > depth * u->width - (int64_t)u->plan.chunk * (u->starving ? 1 : u->width)) return 0;
  depth += (int64_t)(TF_RELAY_BATCH - 1) * u->plan.chunk;
  if (depth > u->cfg->prefetch) depth = u->cfg->prefetch;
  int64_t ask = depth * u->width - have;
  return ask < TF_WIRE_ASK_LOST ? (uint32_t)ask : TF_WIRE_ASK_LOST - 1;
}

int tf__up_hand_over(tf_up *u, tf_queue *q) {
  int n = 0;
  while (u->in.queued) {
    tf_entry e;
    tf__inbox_take(&u->in, &e);
    tf_rec r = {e.id, e.prio, e.size, NULL, e.attempt & ~TF_WIRE_TASK_COPY,
                e.attempt & TF_WIRE_TASK_COPY ? TF_REC_NO_COPY : -1};
    if ((e.size && !(r.data = malloc(e.size))) || tf__queue_push(q, &r)) {
      free(r.data);
      return TF_ENOMEM;
    }
    if (e.size) memcpy(r.data, e.data, e.size);
    tf__inbox_drop_spent(&u->in, u->port.release, u->port.ctx);
    n++;
  }
  return n;
}

int tf__up_add(tf_up *u, unsigned type, uint64_t id, int32_t prio, uint32_t word, const void *data,
               size_t size) {
  if (!u->out.count) u->out_since = tf__now();
  int rc = tf__wire_add_word(&u->out, type, id, prio, word, data, size);
  if (rc) return rc;
  /* charged as the parent charges it (down.c on_results_frame): SLOW, like START, is not */
  if (type != TF_ENT_SLOW) u->out_charged = 1;
  if (type == TF_ENT_SPAWN) u->out_urgent = 1; /* other workers may be waiting for it */
  return 0;
}

void tf__up_add_timings(tf_up *u, uint64_t tasks, uint64_t busy_ns) {
  u->f_tasks += tasks;
  u->f_busy += busy_ns;
}
