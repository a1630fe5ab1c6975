/* join.h - a job that joins a running farm as its workers (--join NAME;
 * the farm's side is accept.h). */
#ifndef TF_JOIN_H
#define TF_JOIN_H

#include <mpi.h>

#include "accept.h"
#include "layout.h"
#include "taskfarm.h"

#define TF_JOIN_WAIT 60 /* seconds joining may take at most */

/* Collective over job (the joining job's ranks: MPI_COMM_WORLD under
 * tf_main, tf_run's communicator): join the farm that accepts workers as
 * cfg->join. On success *merged is the communicator shared with it (the
 * farm's root is rank 0; owned by the caller: MPI_Comm_free it), *layout
 * this rank's place there (a worker; numbered among the farm's workers),
 * cfg takes the farm's settings a worker must share, and *terms (if not
 * NULL) what the farm said; returns 0. Else an exit status (TF_EXIT_USAGE:
 * no such farm, other app options; TF_EXIT_FAILED: the farm is done, or
 * MPI failed) with the reason in err. If it all takes longer than
 * TF_JOIN_WAIT, the process ends with TF_EXIT_FAILED and a message. */
int tf__join(MPI_Comm job, tf_config *cfg, const char *app, MPI_Comm *merged, tf_layout *layout,
             tf_join_terms *terms, char *err, size_t cap);

#endif
