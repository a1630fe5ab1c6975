/* beat.h - heartbeats: whether they run, and their timing. */
#ifndef TF_BEAT_H
#define TF_BEAT_H

#include "taskfarm.h"

/* Heartbeats: a thread on each worker says "still here" while execute runs
 * long, so silence means lost. It needs MPI_THREAD_SERIALIZED, which costs
 * Open MPI 4.1 about a quarter of its message rate (0.73 x at one task per
 * message, 0.81 x batched: docs/PERFORMANCE.md section 7), so they run only
 * when wanted: under mpirun --enable-recovery, with --task-timeout, with
 * an explicit --worker-timeout, or in a farm that grows (--accept-workers,
 * --join). Without them no worker is declared lost. */
#define TF_DEFAULT_WORKER_TIMEOUT 30.0
int tf__heartbeats_wanted(const tf_config *cfg);
/* Wanted, and MPI gives the thread level they need. */
int tf__heartbeats_on(const tf_config *cfg);
/* --worker-timeout, or its default; and how often heartbeats are sent. */
double tf__worker_timeout(const tf_config *cfg);
double tf__heartbeat_interval(const tf_config *cfg);

#endif
