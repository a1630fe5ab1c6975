/* grow.h - the root of a farm that grows (--accept-workers): it takes the
 * ranks of each job that joined (accept.h) in as workers, in every part of
 * the farm that counts workers, and lets the jobs go at the end. */
#ifndef TF_GROW_H
#define TF_GROW_H

#include <mpi.h>

#include "comm.h"
#include "down.h"
#include "handle.h"
#include "layout.h"
#include "stats.h"

typedef struct tf_grow {
  tf_layout *layout;
  tf_comm *comm;
  tf_down *down;
  tf_handle *h;
  tf_run_stats *stats;
  MPI_Comm *jobs; /* the joined jobs' communicators, freed at the end */
  size_t njobs, cap;
  int open;       /* accepting */
  int broken;     /* taking a job in failed half way: no more are taken in */
} tf_grow;

/* Start accepting (rank 0 of a farm with --accept-workers): publish the
 * service and say how to join. Returns 0, TF_EUSAGE (the name is taken) or
 * TF_EMPI (said). */
int tf__grow_open(tf_grow *g, const tf_config *cfg, const char *app);
/* Take in the jobs that joined since the last call. Returns 1 when some
 * did, 0, or < 0 (out of memory: the run cannot go on). */
int tf__grow_take(tf_grow *g, double now);
/* The farm's work is done: no more jobs are taken in; those accepted
 * meanwhile are taken in, so that they are stopped with the others. */
int tf__grow_close(tf_grow *g, double now);
/* After the workers were stopped and the transport is gone: free the
 * jobs' communicators. */
void tf__grow_free(tf_grow *g);

#endif
