/* accept.h - a farm that grows: jobs of workers join it while it runs.
 *
 * The farm (--accept-workers) opens an MPI port and publishes it under its
 * service name with Open MPI's name server (mpirun --ompi-server); a helper
 * thread of rank 0 accepts one job after another on it (MPI_Comm_accept
 * blocks, hence MPI_THREAD_MULTIPLE on rank 0, and only when asked for).
 * Each joining job (--join NAME, join.c) connects with all its ranks; the
 * two sides merge into one communicator, rank 0 the farm's root and ranks
 * 1..n the job's, and shake hands on it: the farm sends its terms (the
 * settings a worker must share with it, and its app options), the job
 * answers whether it runs the same app with the same options. A job that
 * joins when the farm is done is told so and leaves.
 *
 * The root takes each accepted job in its loop (tf__accept_take) and makes
 * its ranks new workers (layout, engine, transport, counters). */
#ifndef TF_ACCEPT_H
#define TF_ACCEPT_H

#include <mpi.h>
#include <stdint.h>

#include "taskfarm.h"

#define TF_JOIN_MAGIC 0x74666a31u /* "tfj1": the handshake's version */
#define TF_JOIN_TAG 0x7466        /* the joining job's answer, on the merged communicator */
#define TF_JOIN_ANSWER_WAIT 30.0  /* seconds the farm waits for it */
#define TF_UNPUBLISH_WAIT 5       /* seconds the farm waits for the name server at the end */

enum { TF_JOIN_WELCOME, TF_JOIN_FARM_DONE };

/* What the farm tells a joining job, broadcast on the merged communicator. */
typedef struct tf_join_terms {
  uint32_t magic;
  int32_t verdict;       /* TF_JOIN_WELCOME or TF_JOIN_FARM_DONE */
  int32_t first_worker;  /* the number of the job's first worker; the rest follow */
  int32_t nworkers;      /* workers in the farm with this job's */
  int32_t schedule, chunk, prefetch, trace;
  uint64_t max_payload, max_in_flight, trace_events, fingerprint;
  double worker_timeout, task_timeout;
  char app[64];   /* the farm's app */
  char args[512]; /* its app options, for a message */
} tf_join_terms;

/* What the joining job answers (its first rank, on TF_JOIN_TAG). */
typedef struct tf_join_answer {
  int32_t ok;     /* it runs the same app with the same options */
  char args[512]; /* its app options, for the farm's message */
} tf_join_answer;

/* On the joining side: what the farm's terms set there, the settings a
 * worker must share with its master (set_terms in accept.c makes them). */
void tf__join_terms_apply(tf_config *cfg, const tf_join_terms *t);

/* Whether this rank's Open MPI daemon is mpirun itself (1 also when the
 * launcher is not Open MPI's mpirun). */
int tf__accept_under_mpirun(void);
/* Collective over comm: whether every rank's daemon is mpirun, as Open MPI
 * 4.1 needs of two jobs that connect (a rank under another node's daemon
 * makes an mpirun crash: open-mpi/ompi#6818). Rank 0 says why not, for
 * option opt of app. */
int tf__accept_one_daemon(MPI_Comm comm, const char *opt, const char *app);

/* The service name: cfg->service, else APP-JOBID (Slurm's or PBS's job),
 * else APP. */
/* Whether this process's mpirun was given a name server (--ompi-server),
 * without which no other job can find the farm. */
int tf__accept_has_server(void);
void tf__accept_service_name(const tf_config *cfg, const char *app, char *out, size_t cap);

/* Rank 0 of a farm with --accept-workers: publish the service (refused
 * when a farm that runs has the name) and start
 * accepting (the helper thread is started once per process; a later farm
 * reuses it). nworkers: the farm's own workers (joined ones are numbered
 * on from there). Returns 0, or TF_EUSAGE (the name is taken) or TF_EMPI
 * with the reason in err. */
int tf__accept_open(const tf_config *cfg, const char *app, int nworkers, char *err, size_t cap);
/* The name it publishes, while open. */
const char *tf__accept_service(void);
/* A job accepted since the last call: 1 with *comm (the merged
 * communicator, owned by the caller from now on: MPI_Comm_free it at the
 * end), *first (its first worker's number) and *n (its ranks, all workers);
 * 0 when none. Cheap when none (one atomic load). */
int tf__accept_take(MPI_Comm *comm, int *first, int *n);
/* The farm's work is done: unpublish the name (waiting TF_UNPUBLISH_WAIT
 * seconds at most for the name server); a job that still connects is told
 * the farm is done. Jobs accepted but not yet taken stay for
 * tf__accept_take. */
void tf__accept_close(void);

#endif
