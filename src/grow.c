/* grow.c - the root taking joined jobs in (grow.h). */
#include "grow.h"

#include <stdio.h>
#include <stdlib.h>

#include "accept.h"
#include "log.h"
#include "observe.h"
#include "vec.h"

int tf__grow_open(tf_grow *g, const tf_config *cfg, const char *app) {
  char err[600];
  int rc = tf__accept_open(cfg, app, g->layout->nworkers, err, sizeof err);
  if (rc) {
    tf__log(0, "%s", err);
    return rc;
  }
  g->open = 1;
  const char *uri = getenv("OMPI_MCA_pmix_server_uri");
  tf__log(0, "accepting workers as '%s': add a job of them with mpirun --ompi-server %s ... %s "
          "[the same app options] --join %s",
          tf__accept_service(), uri ? uri : "file:URI", app, tf__accept_service());
  return 0;
}

/* "7", or "7-9" for 3 from 7. */
static void span(char *out, size_t cap, int from, int n) {
  if (n == 1)
    snprintf(out, cap, "%d", from);
  else
    snprintf(out, cap, "%d-%d", from, from + n - 1);
}

/* A job of n ranks, its workers numbered from first, on comm. */
static int take_in(tf_grow *g, MPI_Comm comm, int first, int n, double now) {
  tf_layout *l = g->layout;
  int had = l->nworkers;
  if (first != had) { /* the acceptor numbers jobs in the order the root takes them */
    tf__log(0, "a joined job's workers were numbered from %d, not %d: left out", first, had);
    MPI_Comm_free(&comm);
    return 0;
  }
  if (tf__vec_reserve(&g->jobs, &g->cap, g->njobs + 1, sizeof *g->jobs, 4) ||
      tf__stats_grow_workers(g->stats, had, had + n) ||
      (g->stats->obs && tf__obs_grow(g->stats->obs, had + n))) {
    MPI_Comm_free(&comm);
    return TF_ENOMEM;
  }
  g->jobs[g->njobs++] = comm;
  /* From here on a failure may leave the layout, the engine's children and the transport's
   * lanes out of step (child i is lane i): no job is taken in after it. */
  int rank = tf__layout_add_joined(l, n);
  if (rank < 0 || tf__down_add_children(g->down, n, now)) {
    g->broken = 1;
    return TF_ENOMEM;
  }
  int rc = tf__comm_add_children(g->comm, comm, n);
  if (rc) {
    g->broken = 1;
    /* the root's lanes are its children's: those left without one get nothing more, the
     * stop included (a send would read a lane that is not there) */
    for (int i = g->comm->nlanes; i < g->down->n; i++)
      g->down->c[i].state = TF_CHILD_LOST;
    tf__log(0, "cannot listen to a joined job: %s", rc == TF_ENOMEM ? "out of memory" : g->comm->errmsg);
    return rc;
  }
  g->h->nworkers = l->nworkers;
  g->stats->joined += (uint64_t)n;
  g->stats->joined_jobs++;
  char ws[32], rs[32];
  span(ws, sizeof ws, first, n);
  span(rs, sizeof rs, rank, n);
  tf__log(0, "a job of %d rank%s joined: worker%s %s, rank%s %s here; %d workers now", n,
          n == 1 ? "" : "s", n == 1 ? "" : "s", ws, n == 1 ? "" : "s", rs, l->nworkers);
  return 1;
}

int tf__grow_take(tf_grow *g, double now) {
  MPI_Comm comm;
  int first, n, took = 0;
  if (g->broken) return 0; /* the jobs still queued are left to time out */
  while (tf__accept_take(&comm, &first, &n)) {
    int rc = take_in(g, comm, first, n, now);
    if (rc < 0) return rc;
    took |= rc;
  }
  return took;
}

int tf__grow_close(tf_grow *g, double now) {
  if (!g->open) return 0;
  g->open = 0;
  tf__accept_close();
  return tf__grow_take(g, now);
}

void tf__grow_free(tf_grow *g) {
  for (size_t i = 0; i < g->njobs; i++)
    MPI_Comm_free(&g->jobs[i]);
  free(g->jobs);
  g->jobs = NULL;
  g->njobs = g->cap = 0;
}
