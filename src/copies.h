/* copies.h - tasks that run twice (--task-timeout), and the two counts the
 * end of a run depends on. A straggler's task is copied to an idle child, or
 * the tasks behind it are copied into the pool; the first result counts and
 * every other outcome of the same task is dropped. Ledger entries whose
 * result is no longer wanted are `stale`; copies still in the pool of tasks
 * already done are `stale_queued`: the run is over when the ledger holds only
 * stale entries and the pool only stale copies. Plain bookkeeping, no MPI:
 * the unit tests drive it, and TF_ASSERT checks it in every build. */
#ifndef TF_COPIES_H
#define TF_COPIES_H

#include <stddef.h>
#include <stdint.h>

typedef struct tf_copy {
  uint64_t id;
  int copies;        /* in children's ledgers or in the pool */
  int done;          /* its result has been collected (or it was given up on) */
  int queued;        /* of the copies, those in the pool, not yet sent */
  int first, second; /* the children running it (-1: not known) */
  double since;      /* when the second copy was made */
} tf_copy;

typedef struct tf_copies {
  tf_copy *c;
  size_t n, cap;
  size_t stale;        /* ledger entries whose result is no longer wanted */
  size_t stale_queued; /* copies in the pool of tasks already done */
} tf_copies;

void tf__copies_free(tf_copies *t);
/* The entry of task id, or NULL. */
tf_copy *tf__copies_find(tf_copies *t, uint64_t id);
/* A task now runs twice: copies of it (1 or 2 more than before counted by
 * the caller), queued of them in the pool. Returns the entry or NULL (out of
 * memory). */
tf_copy *tf__copies_add(tf_copies *t, uint64_t id, int copies, int queued, int first, int second,
                        double since);
/* A copy of task id was taken out of the pool to be sent. Returns 1 when
 * it is moot (its task is done: drop it), else 0. */
int tf__copies_dequeued(tf_copies *t, uint64_t id);
/* One copy of task id has come back: a result (is_result), a failure, or
 * its child lost. Returns 1 when this outcome no longer matters (the result
 * was collected already; or, not a result, another copy still runs), else
 * 0. *dropped is set to 1 for a result that came second. */
int tf__copies_settle(tf_copies *t, uint64_t id, int is_result, int *dropped);
/* Both copies hang: the task is given up on; what they bring is dropped. */
void tf__copies_give_up(tf_copies *t, tf_copy *c);

#endif
