/* beat.c - whether heartbeats run, and their timing (beat.h). */
#include "beat.h"

#include <mpi.h>
#include <stdlib.h>
#include <string.h>

int tf__heartbeats_wanted(const tf_config *cfg) {
  const char *recovery = getenv("OMPI_MCA_orte_enable_recovery"); /* set by --enable-recovery */
  /* a farm that grows: a joined job may die or be cancelled any time */
  return cfg->worker_timeout > 0 || cfg->task_timeout > 0 || cfg->accept_workers || cfg->join ||
         (recovery && (!strcmp(recovery, "1") || !strcmp(recovery, "true")));
}

int tf__heartbeats_on(const tf_config *cfg) {
  int level = MPI_THREAD_SINGLE;
  MPI_Query_thread(&level);
  return level >= MPI_THREAD_SERIALIZED && tf__heartbeats_wanted(cfg);
}

double tf__worker_timeout(const tf_config *cfg) {
  return cfg->worker_timeout > 0 ? cfg->worker_timeout : TF_DEFAULT_WORKER_TIMEOUT;
}

double tf__heartbeat_interval(const tf_config *cfg) {
  double t = tf__worker_timeout(cfg) / 5;
  return t < 0.01 ? 0.01 : t > 5.0 ? 5.0 : t;
}
