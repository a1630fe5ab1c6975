/* resume.h - the journal as a farm keeps it (resume.c): the file is
 * journal.c's; what a record means for the run is decided here. */
#ifndef TF_RESUME_H
#define TF_RESUME_H

#include "handle.h"
#include "idset.h"
#include "journal.h"
#include "queue.h"
#include "stats.h"

/* The journal as the master (or the one-rank driver) keeps it: every
 * finished result with the children its task submitted, in one record. */
typedef struct tf_jstate {
  int on;
  tf_journal j;
  tf_idset done; /* ids whose results came from the journal */
  tf_jchild *kids; /* children of the task whose result comes next */
  size_t nkids, kcap;
  int said; /* its I/O error was logged */
} tf_jstate;

/* Open the --journal: with --resume, read it back (collect sees every
 * journaled result again, unfinished children are queued into q, and
 * h->skip is set so generate's tasks already done are not queued); a journal
 * that exists without --resume, from other options, or damaged in the middle
 * is an error that leaves it untouched. Returns 0 or a negative TF_E* code
 * (logged). Nothing to do without --journal. */
int tf__js_open(tf_jstate *js, tf_handle *h, tf_queue *q, tf_run_stats *s);
/* Note a child of the task whose result comes next. */
int tf__js_kid(tf_jstate *js, uint64_t id, int32_t prio, const void *data, uint32_t size);
/* Forget the noted children (their task failed). */
static inline void tf__js_drop_kids(tf_jstate *js) { js->nkids = 0; }
/* Journal a result with the children noted since the last one. */
int tf__js_result(tf_jstate *js, uint64_t id, const void *data, size_t size);
/* Write what is due; tf__js_flush writes and syncs everything. */
int tf__js_tick(tf_jstate *js, double now);
int tf__js_flush(tf_jstate *js);
/* Flush and close (keeping the first error). */
int tf__js_close(tf_jstate *js);

#endif
