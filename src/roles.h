/* roles.h - the roles a rank of a farm plays (layout.h says which): the
 * root (the app's side and a downstream engine serving the workers), a
 * worker (an upstream engine and the executor) and a farm of one rank (the
 * app's side and the executor in one process). Each returns 0 or a negative
 * TF_E* code, and fills stats. */
#ifndef TF_ROLES_H
#define TF_ROLES_H

#include <mpi.h>

#include "layout.h"
#include "stats.h"
#include "taskfarm.h"

int tf__root_run(MPI_Comm comm, tf_layout *layout, const tf_app *app, const tf_config *cfg,
                 tf_run_stats *stats);
int tf__worker_run(MPI_Comm comm, const tf_layout *layout, const tf_app *app, const tf_config *cfg,
                   tf_run_stats *stats);
int tf__relay_run(MPI_Comm comm, const tf_layout *layout, const tf_app *app, const tf_config *cfg,
                  tf_run_stats *stats);
int tf__serial_run(const tf_app *app, const tf_config *cfg, tf_run_stats *stats);

#endif
