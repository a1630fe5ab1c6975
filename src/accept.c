/* accept.c - the farm's side of joining (accept.h): the published port, the
 * helper thread that accepts jobs on it and shakes hands with them, and the
 * queue of jobs it hands to the root's loop. */
#include "accept.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "log.h"
#include "vec.h"

typedef struct joined_job {
  MPI_Comm comm;
  int first, n;
} joined_job;

/* One per process: the thread outlives a farm (MPI_Comm_accept cannot be
 * interrupted), and a later farm of the same process reuses it. */
static struct {
  pthread_mutex_t mu;
  int started; /* the thread runs */
  int open;    /* a farm accepts: the name is published */
  char port[MPI_MAX_PORT_NAME];
  char service[256];
  tf_join_terms terms; /* the open farm's */
  unsigned farm;       /* farms opened so far: which one a handshake's terms are from */
  int next_worker;     /* the number the next job's first worker gets */
  joined_job *q;       /* accepted, not yet taken */
  size_t nq, capq;
  atomic_int ready; /* nq, for a look without the lock */
} acc = {.mu = PTHREAD_MUTEX_INITIALIZER};

static void mpi_text(int rc, char *out, size_t cap) {
  char s[MPI_MAX_ERROR_STRING];
  int n = 0;
  if (MPI_Error_string(rc, s, &n) != MPI_SUCCESS) snprintf(s, sizeof s, "MPI error %d", rc);
  snprintf(out, cap, "%s", s);
}

int tf__accept_has_server(void) { return getenv("OMPI_MCA_pmix_server_uri") != NULL; }

int tf__accept_under_mpirun(void) {
  const char *hnp = getenv("OMPI_MCA_orte_hnp_uri"), *mine = getenv("OMPI_MCA_orte_local_daemon_uri");
  if (!hnp || !mine) return 1; /* not Open MPI's mpirun: nothing known */
  size_t n = strcspn(hnp, ";"); /* "JOBID.VPID;tcp://...": the daemon's name */
  return strcspn(mine, ";") == n && !strncmp(hnp, mine, n);
}

int tf__accept_one_daemon(MPI_Comm comm, const char *opt, const char *app) {
  int ok = tf__accept_under_mpirun(), all = 0, rank = 0;
  if (MPI_Allreduce(&ok, &all, 1, MPI_INT, MPI_MIN, comm) != MPI_SUCCESS) all = ok;
  MPI_Comm_rank(comm, &rank);
  if (!all && rank == 0)
    fprintf(stderr, "%s: %s: some ranks run on another node than mpirun (under an Open MPI "
            "daemon): Open MPI 4.1 crashes connecting such jobs (its issue 6818), so a farm that "
            "grows and every job that joins it must each run on one node; join more jobs "
            "instead (docs/CLUSTER.md, \"Growing a farm\")\n", app, opt);
  return all;
}

void tf__accept_service_name(const tf_config *cfg, const char *app, char *out, size_t cap) {
  if (cfg->service) {
    snprintf(out, cap, "%s", cfg->service);
    return;
  }
  const char *job = getenv("SLURM_JOB_ID");
  if (!job || !*job) job = getenv("PBS_JOBID");
  if (job && *job) /* PBS: 1234.server: the number will do */
    snprintf(out, cap, "%s-%.*s", app, (int)strcspn(job, "."), job);
  else
    snprintf(out, cap, "%s", app);
}

/* Wait for req until end (tf__now): 1 when it finished, 0 when it failed or
 * ran out of time (then it is cancelled and let go: a job that died
 * mid-handshake must not hold the thread, which no other job could join
 * through then). */
static int until(MPI_Request *req, double end) {
  for (;;) {
    int done = 0;
    if (MPI_Test(req, &done, MPI_STATUS_IGNORE) != MPI_SUCCESS) break;
    if (done) return 1;
    if (tf__now() > end) break;
    struct timespec ts = {0, 1000000};
    nanosleep(&ts, NULL);
  }
  if (*req != MPI_REQUEST_NULL) {
    MPI_Cancel(req);
    MPI_Request_free(req);
  }
  return 0;
}

/* Broadcast len bytes at buf to the job (nonblocking on both sides: a
 * blocking broadcast does not match a nonblocking one), bounded. */
static int tell(MPI_Comm comm, void *buf, int len, double end) {
  MPI_Request req;
  return MPI_Ibcast(buf, len, MPI_BYTE, 0, comm, &req) == MPI_SUCCESS && until(&req, end);
}

/* The joining job's answer: 1 with *a filled, 0 when it did not come in time. */
static int answer(MPI_Comm comm, tf_join_answer *a, double end) {
  MPI_Request req;
  return MPI_Irecv(a, (int)sizeof *a, MPI_BYTE, 1, TF_JOIN_TAG, comm, &req) == MPI_SUCCESS &&
         until(&req, end);
}

/* Shake hands with a job on comm (merged: it is ranks 1..n): the terms, its
 * answer, then whether it is in. Returns 1 when it is (queued for the
 * root), else 0 (comm is freed). */
static int shake_hands(MPI_Comm comm, int n) {
  pthread_mutex_lock(&acc.mu);
  tf_join_terms t = acc.terms;
  unsigned farm = acc.farm;
  t.verdict = acc.open ? TF_JOIN_WELCOME : TF_JOIN_FARM_DONE;
  t.first_worker = acc.next_worker;
  t.nworkers = acc.next_worker + n;
  pthread_mutex_unlock(&acc.mu);
  int in = 0;
  tf_join_answer a;
  memset(&a, 0, sizeof a);
  double end = tf__now() + TF_JOIN_ANSWER_WAIT;
  if (!tell(comm, &t, (int)sizeof t, end)) {
    tf__log(0, "a job of %d rank(s) connected to join, but the handshake failed: left out", n);
  } else if (t.verdict == TF_JOIN_FARM_DONE) {
    tf__log(0, "a job of %d rank(s) connected to join after the farm's work was done: sent away",
            n);
  } else if (!answer(comm, &a, end)) {
    tf__log(0, "a job of %d rank(s) connected to join, but did not answer within %.0f s: left out",
            n, TF_JOIN_ANSWER_WAIT);
  } else {
    a.args[sizeof a.args - 1] = '\0';
    pthread_mutex_lock(&acc.mu);
    /* the farm that made the terms is still open (not closed, nor followed by another farm
     * of this process, which may run another app or other options) */
    in = a.ok && acc.open && acc.farm == farm && t.first_worker == acc.next_worker &&
         tf__vec_reserve(&acc.q, &acc.capq, acc.nq + 1, sizeof *acc.q, 4) == 0;
    if (in) {
      acc.q[acc.nq++] = (joined_job){comm, t.first_worker, n};
      acc.next_worker += n;
      atomic_store(&acc.ready, (int)acc.nq);
    }
    pthread_mutex_unlock(&acc.mu);
    if (!a.ok)
      tf__log(0, "a job of %d rank(s) tried to join with other app options (the farm's: %s; "
              "the job's: %s): sent away", n, t.args[0] ? t.args : "(none)",
              a.args[0] ? a.args : "(none)");
    int32_t go = in;
    if (!tell(comm, &go, (int)sizeof go, end) && in)
      tf__log(0, "a joining job of %d rank(s) did not hear it was in: it will be lost", n);
  }
  if (!in) MPI_Comm_free(&comm);
  return in;
}

static void *accept_loop(void *arg) {
  (void)arg;
  for (;;) {
    MPI_Comm inter, merged;
    int rc = MPI_Comm_accept(acc.port, MPI_INFO_NULL, 0, MPI_COMM_SELF, &inter);
    if (rc != MPI_SUCCESS) { /* Open MPI gives up after a while without a job: again */
      struct timespec ts = {1, 0};
      nanosleep(&ts, NULL);
      continue;
    }
    int n = 0;
    MPI_Comm_remote_size(inter, &n);
    rc = MPI_Intercomm_merge(inter, 0, &merged);
    MPI_Comm_free(&inter);
    if (rc != MPI_SUCCESS) {
      char why[MPI_MAX_ERROR_STRING];
      mpi_text(rc, why, sizeof why);
      tf__log(0, "a job of %d rank(s) connected to join, but merging failed: %s", n, why);
      continue;
    }
    MPI_Comm_set_errhandler(merged, MPI_ERRORS_RETURN);
    shake_hands(merged, n);
  }
  return NULL;
}

/* The terms every joining job gets from this farm. */
static void set_terms(const tf_config *cfg, const char *app, int nworkers) {
  tf_join_terms *t = &acc.terms;
  memset(t, 0, sizeof *t);
  t->magic = TF_JOIN_MAGIC;
  t->schedule = cfg->schedule;
  t->chunk = cfg->chunk;
  t->prefetch = cfg->prefetch;
  t->trace = cfg->trace_file || cfg->timeline_file;
  t->max_payload = cfg->max_payload;
  t->max_in_flight = cfg->max_in_flight;
  t->trace_events = cfg->trace_events;
  t->fingerprint = cfg->fingerprint;
  t->worker_timeout = cfg->worker_timeout;
  t->task_timeout = cfg->task_timeout;
  snprintf(t->app, sizeof t->app, "%s", app);
  snprintf(t->args, sizeof t->args, "%s", cfg->args);
  acc.next_worker = nworkers;
  acc.farm++;
}

void tf__join_terms_apply(tf_config *cfg, const tf_join_terms *t) {
  cfg->schedule = t->schedule;
  cfg->chunk = t->chunk;
  cfg->prefetch = t->prefetch;
  cfg->max_payload = t->max_payload;
  cfg->max_in_flight = t->max_in_flight;
  cfg->worker_timeout = t->worker_timeout;
  cfg->task_timeout = t->task_timeout;
  cfg->trace_events = t->trace_events;
  cfg->trace_file = t->trace ? "(the farm's)" : NULL; /* workers record; the farm writes */
  cfg->timeline_file = NULL;
}

/* Publish (or unpublish) name, an error returned, not fatal: MPI raises it
 * on MPI_COMM_WORLD, whose handler is the program's. */
static int names(int publish, const char *name) {
  MPI_Errhandler eh;
  MPI_Comm_get_errhandler(MPI_COMM_WORLD, &eh);
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  char other[MPI_MAX_PORT_NAME];
  int rc = !publish ? MPI_Unpublish_name(name, MPI_INFO_NULL, acc.port)
           /* the name server takes a name twice: a farm that runs has it */
           : MPI_Lookup_name(name, MPI_INFO_NULL, other) == MPI_SUCCESS
               ? MPI_ERR_SERVICE
               : MPI_Publish_name(name, MPI_INFO_NULL, acc.port);
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, eh);
  MPI_Errhandler_free(&eh);
  return rc;
}

int tf__accept_open(const tf_config *cfg, const char *app, int nworkers, char *err, size_t cap) {
  int level = MPI_THREAD_SINGLE;
  MPI_Query_thread(&level);
  if (level < MPI_THREAD_MULTIPLE) {
    snprintf(err, cap, "--accept-workers: MPI gives no MPI_THREAD_MULTIPLE, which accepting "
             "jobs while the farm runs needs");
    return TF_EMPI;
  }
  char name[sizeof acc.service], why[MPI_MAX_ERROR_STRING];
  tf__accept_service_name(cfg, app, name, sizeof name);
  int rc = MPI_SUCCESS;
  pthread_mutex_lock(&acc.mu);
  if (!acc.started && (rc = MPI_Open_port(MPI_INFO_NULL, acc.port)) != MPI_SUCCESS) {
    pthread_mutex_unlock(&acc.mu);
    mpi_text(rc, why, sizeof why);
    snprintf(err, cap, "--accept-workers: cannot open a port: %s", why);
    return TF_EMPI;
  }
  set_terms(cfg, app, nworkers);
  pthread_mutex_unlock(&acc.mu);
  MPI_Comm_set_errhandler(MPI_COMM_SELF, MPI_ERRORS_RETURN); /* the thread's accept's */
  if ((rc = names(1, name)) != MPI_SUCCESS) {
    mpi_text(rc, why, sizeof why);
    snprintf(err, cap, "--accept-workers: cannot publish the service '%s' with the name server "
             "(%s): %s",
             name, rc == MPI_ERR_SERVICE ? "the name is taken" : why,
             rc == MPI_ERR_SERVICE ? "a farm that runs has it, or one that died did not give it "
                                     "back; --service NAME gives this farm another"
                                   : "is the name server (ompi-server) running?");
    if (!acc.started) MPI_Close_port(acc.port); /* no thread listens on it */
    return rc == MPI_ERR_SERVICE ? TF_EUSAGE : TF_EMPI;
  }
  pthread_mutex_lock(&acc.mu);
  snprintf(acc.service, sizeof acc.service, "%s", name);
  acc.open = 1;
  pthread_t th;
  pthread_attr_t attr;
  if (!acc.started && !pthread_attr_init(&attr)) {
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    acc.started = pthread_create(&th, &attr, accept_loop, NULL) == 0;
    pthread_attr_destroy(&attr);
  }
  int started = acc.started;
  pthread_mutex_unlock(&acc.mu);
  if (!started) {
    tf__accept_close();
    MPI_Close_port(acc.port);
    snprintf(err, cap, "--accept-workers: cannot start the thread that accepts jobs");
    return TF_EMPI;
  }
  return 0;
}

const char *tf__accept_service(void) { return acc.open ? acc.service : NULL; }

int tf__accept_take(MPI_Comm *comm, int *first, int *n) {
  if (atomic_load_explicit(&acc.ready, memory_order_relaxed) == 0) return 0;
  pthread_mutex_lock(&acc.mu);
  int got = acc.nq > 0;
  if (got) {
    *comm = acc.q[0].comm;
    *first = acc.q[0].first;
    *n = acc.q[0].n;
    memmove(acc.q, acc.q + 1, (acc.nq - 1) * sizeof *acc.q);
    acc.nq--;
    atomic_store(&acc.ready, (int)acc.nq);
  }
  pthread_mutex_unlock(&acc.mu);
  return got;
}

/* Unpublishing, in a thread of its own: a name server that died makes
 * MPI_Unpublish_name wait for good, and the farm must end all the same. */
static struct {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int done;
  char name[sizeof acc.service];
} unpub = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, ""};

static void *unpublish(void *arg) {
  (void)arg;
  names(0, unpub.name);
  pthread_mutex_lock(&unpub.mu);
  unpub.done = 1;
  pthread_cond_signal(&unpub.cv);
  pthread_mutex_unlock(&unpub.mu);
  return NULL;
}

void tf__accept_close(void) {
  pthread_mutex_lock(&acc.mu);
  int was_open = acc.open;
  acc.open = 0;
  pthread_mutex_unlock(&acc.mu);
  if (!was_open) return;
  pthread_mutex_lock(&unpub.mu);
  unpub.done = 0;
  snprintf(unpub.name, sizeof unpub.name, "%s", acc.service);
  pthread_t th;
  pthread_attr_t attr;
  int started = !pthread_attr_init(&attr);
  if (started) {
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    started = pthread_create(&th, &attr, unpublish, NULL) == 0;
    pthread_attr_destroy(&attr);
  }
  struct timespec end;
  clock_gettime(CLOCK_REALTIME, &end);
  end.tv_sec += TF_UNPUBLISH_WAIT;
  int rc = 0;
  while (started && !unpub.done && rc != ETIMEDOUT)
    rc = pthread_cond_timedwait(&unpub.cv, &unpub.mu, &end);
  int done = unpub.done;
  pthread_mutex_unlock(&unpub.mu);
  if (!started) names(0, acc.service);
  else if (!done)
    tf__log(0, "the name server did not answer within %d s (has ompi-server died?): the name '%s' "
            "may stay published; going on", TF_UNPUBLISH_WAIT, acc.service);
}
