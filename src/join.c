/* join.c - a job's side of joining a running farm (accept.h): find the farm
 * by its service name, connect all the job's ranks, shake hands; from then
 * on they are workers of the farm on the merged communicator. Every step is
 * bounded: a farm that is gone, or never answers, is an error within
 * TF_JOIN_WAIT seconds, not a job that hangs. */
#include "join.h"

#include <errno.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "accept.h"

/* The watchdog: a thread that ends the process when joining takes too long
 * (MPI_Comm_connect to a farm that died waits for good). */
static struct {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int done;
  char msg[400];
} dog = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, ""};

static void *watch(void *arg) {
  (void)arg;
  struct timespec end;
  clock_gettime(CLOCK_REALTIME, &end);
  end.tv_sec += TF_JOIN_WAIT;
  pthread_mutex_lock(&dog.mu);
  int rc = 0;
  while (!dog.done && rc != ETIMEDOUT)
    rc = pthread_cond_timedwait(&dog.cv, &dog.mu, &end);
  int fire = !dog.done;
  pthread_mutex_unlock(&dog.mu);
  if (fire) {
    fputs(dog.msg, stderr);
    fflush(NULL);
    _exit(TF_EXIT_FAILED);
  }
  return NULL;
}

static void call_off(pthread_t th, int started) {
  if (!started) return;
  pthread_mutex_lock(&dog.mu);
  dog.done = 1;
  pthread_cond_signal(&dog.cv);
  pthread_mutex_unlock(&dog.mu);
  pthread_join(th, NULL);
}

/* The reason in err; returns status (an exit status). */
static int fail(char *err, size_t cap, int status, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail(char *err, size_t cap, int status, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, cap, fmt, ap);
  va_end(ap);
  return status;
}

/* The farm's name and port: rank 0 looks it up, every rank learns whether
 * it was found. */
static int find_farm(MPI_Comm job, const tf_config *cfg, int rank, char *port, char *err,
                     size_t cap) {
  int found = 1;
  if (rank == 0) found = MPI_Lookup_name(cfg->join, MPI_INFO_NULL, port) == MPI_SUCCESS;
  MPI_Bcast(&found, 1, MPI_INT, 0, job);
  if (found) return 0;
  if (!tf__accept_has_server())
    return fail(err, cap, TF_EXIT_USAGE,
                "--join %s: this mpirun was started without --ompi-server file:URI, so it cannot "
                "find another job's farm (give it the URI file the farm's mpirun got: "
                "docs/CLUSTER.md, \"Growing a farm\")",
                cfg->join);
  return fail(err, cap, TF_EXIT_USAGE,
              "--join %s: no farm accepts workers under that name: it has finished, or it was "
              "not started with --accept-workers (a farm prints the name it accepts workers as "
              "when it starts; both mpiruns need the same --ompi-server)",
              cfg->join);
}

/* The farm's broadcast of len bytes into buf (nonblocking, as the farm's:
 * the watchdog bounds the wait). */
static int hear(MPI_Comm comm, void *buf, int len) {
  MPI_Request req;
  return MPI_Ibcast(buf, len, MPI_BYTE, 0, comm, &req) == MPI_SUCCESS &&
         MPI_Wait(&req, MPI_STATUS_IGNORE) == MPI_SUCCESS;
}


static int connect_farm(MPI_Comm job, tf_config *cfg, const char *app, int rank,
                        MPI_Comm *merged, tf_layout *layout, tf_join_terms *terms, char *err,
                        size_t cap);

int tf__join(MPI_Comm job, tf_config *cfg, const char *app, MPI_Comm *merged, tf_layout *layout,
             tf_join_terms *terms, char *err, size_t cap) {
  int rank = 0;
  MPI_Comm_rank(job, &rank);
  snprintf(dog.msg, sizeof dog.msg,
           "taskfarm: rank %d: --join %s: the farm did not take this job within %d s (it may "
           "have died, or be finishing): giving up\n",
           rank, cfg->join, TF_JOIN_WAIT);
  pthread_mutex_lock(&dog.mu);
  dog.done = 0; /* a process may join more than once (tf_run with --join again) */
  pthread_mutex_unlock(&dog.mu);
  pthread_t th;
  int watching = pthread_create(&th, NULL, watch, NULL) == 0;
  /* MPI raises a failed lookup on MPI_COMM_WORLD (or SELF), a failed
   * connect on the job's communicator: returned, not fatal */
  MPI_Comm comms[3] = {MPI_COMM_WORLD, MPI_COMM_SELF, job};
  MPI_Errhandler eh[3];
  for (int i = 0; i < 3; i++) {
    MPI_Comm_get_errhandler(comms[i], &eh[i]);
    MPI_Comm_set_errhandler(comms[i], MPI_ERRORS_RETURN);
  }
  int status = connect_farm(job, cfg, app, rank, merged, layout, terms, err, cap);
  for (int i = 2; i >= 0; i--) { /* job may be MPI_COMM_WORLD: its own handler last */
    MPI_Comm_set_errhandler(comms[i], eh[i]);
    MPI_Errhandler_free(&eh[i]);
  }
  call_off(th, watching);
  return status;
}

/* tf__join's steps, watched. */
static int connect_farm(MPI_Comm job, tf_config *cfg, const char *app, int rank,
                        MPI_Comm *merged, tf_layout *layout, tf_join_terms *terms, char *err,
                        size_t cap) {
  char port[MPI_MAX_PORT_NAME] = "";
  if (!tf__accept_one_daemon(job, "--join", app)) /* said */
    return fail(err, cap, TF_EXIT_USAGE, "--join %s: this job runs on more than one node", cfg->join);
  int status = find_farm(job, cfg, rank, port, err, cap);
  MPI_Comm inter = MPI_COMM_NULL;
  if (!status && MPI_Comm_connect(port, MPI_INFO_NULL, 0, job, &inter) != MPI_SUCCESS)
    status = fail(err, cap, TF_EXIT_FAILED,
                  "--join %s: cannot connect to the farm (it may have just finished)",
                  cfg->join);
  if (!status && MPI_Intercomm_merge(inter, 1, merged) != MPI_SUCCESS)
    status = fail(err, cap, TF_EXIT_FAILED, "--join %s: cannot merge with the farm", cfg->join);
  if (inter != MPI_COMM_NULL) MPI_Comm_free(&inter);
  if (status) return status;
  MPI_Comm_set_errhandler(*merged, MPI_ERRORS_RETURN);
  tf_join_terms t;
  memset(&t, 0, sizeof t);
  if (!hear(*merged, &t, (int)sizeof t) || t.magic != TF_JOIN_MAGIC)
    status = fail(err, cap, TF_EXIT_FAILED,
                  "--join %s: the farm's handshake failed (is it a taskfarm farm of this "
                  "version?)",
                  cfg->join);
  else if (t.verdict == TF_JOIN_FARM_DONE)
    status = fail(err, cap, TF_EXIT_FAILED,
                  "--join %s: the farm has done its work: there is nothing left to join",
                  cfg->join);
  t.app[sizeof t.app - 1] = t.args[sizeof t.args - 1] = '\0';
  int mrank = 0, msize = 0;
  MPI_Comm_rank(*merged, &mrank);
  MPI_Comm_size(*merged, &msize);
  int same = !strcmp(t.app, app) && t.fingerprint == cfg->fingerprint;
  int32_t go = 0;
  if (!status) {
    tf_join_answer a;
    memset(&a, 0, sizeof a);
    a.ok = same;
    snprintf(a.args, sizeof a.args, "%s", cfg->args);
    if (mrank == 1) MPI_Send(&a, (int)sizeof a, MPI_BYTE, 0, TF_JOIN_TAG, *merged);
    if (!hear(*merged, &go, (int)sizeof go)) go = 0;
    if (!same)
      status = fail(err, cap, TF_EXIT_USAGE,
                    "--join %s: this job must run the farm's app with the same app options: the "
                    "farm runs %s %s; this job has %s",
                    cfg->join, t.app, t.args[0] ? t.args : "(no app options)",
                    cfg->args[0] ? cfg->args : "none");
    else if (!go)
      status = fail(err, cap, TF_EXIT_FAILED,
                    "--join %s: the farm finished its work while this job joined", cfg->join);
  }
  if (status) {
    MPI_Comm_free(merged);
    return status;
  }
  tf__join_terms_apply(cfg, &t);
  tf__layout_init(layout, mrank, msize);
  layout->worker = t.first_worker + mrank - 1;
  layout->nworkers = layout->parent_width = t.nworkers;
  if (terms) *terms = t;
  return 0;
}
