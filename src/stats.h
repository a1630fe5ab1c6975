/* stats.h - what a farm counts while it runs, for the summary, --stats and
 * the exit status. Filled by whichever role ran the farm. */
#ifndef TF_STATS_H
#define TF_STATS_H

#include <stdint.h>
#include <stdlib.h>

#include "taskfarm.h"

#define TF_FAILED_LISTED 20
#define TF_LOST_LISTED 8

/* Run statistics, filled by whoever ran the farm. */
typedef struct tf_run_stats {
  uint64_t tasks_generated, tasks_spawned, results;
  uint64_t frames_in, frames_out;
  uint64_t retried, failed;              /* runs tried again; tasks given up on */
  uint64_t failed_ids[TF_FAILED_LISTED]; /* the first of them, for the summary */
  uint64_t resumed;                      /* results read back from the journal */
  uint64_t lost, lost_tasks;             /* workers lost; tasks they held, run again */
  int lost_ranks[TF_LOST_LISTED];        /* the first of the ranks lost (a relay's: its workers') */
  int nlost_ranks;                       /* how many are listed there */
  uint64_t copies, copies_dropped;       /* --task-timeout: second copies sent; results dropped */
  int stop_signal;                       /* the signal that stopped the run early, or 0 */
  int app_stop;                          /* the app stopped it (tf_stop): TF_STOP_SOON or _NOW */
  uint64_t not_done;                     /* tasks left undone by a stop or a failure */
  uint64_t not_done_held;                /* of them, in a worker's hands at the end */
  uint64_t not_done_ids[TF_FAILED_LISTED]; /* the first of them, for the summary */
  int more_to_generate;                  /* generate had not said it was done */
  double wall;
  double master_busy; /* --stats or --verbose: seconds rank 0 spent in turns of its loop that did
                         something (the rest it waited for messages); else 0 */
  int stuck; /* some worker did not stop: the caller must abort the job */
  uint64_t stuck_workers; /* workers left inside a task given up on (they leave only under tf_main) */
  int peer_lost; /* a rank was lost: MPI_Finalize may hang, so bound it */
  int urgent;    /* mpirun kills every rank in a second (tf__stop_urgent): no MPI_Finalize */
  int from_master; /* a worker's status is the master's verdict (STOP), not its own failure */
  /* Workers that joined the running farm (--accept-workers) and left it */
  uint64_t joined, joined_jobs;  /* workers, and the jobs they came in */
  uint64_t left, left_tasks;     /* workers that left before the end; tasks they handed back */
  int left_early; /* a joined worker's own: it left (a signal, --leave-after), not told to stop */
  /* Set by tf_main: how a worker stuck in a task ends the process from its
   * heartbeat thread after saying goodbye (NULL under tf_run). */
  void (*leave)(int status, int peer_lost);
  /* per worker (nworkers entries), from BYE frames */
  uint64_t *w_tasks, *w_busy_ns, *w_wait_ns, *w_frames;
  struct tf_obs *obs; /* rank 0 with --stats, --trace or --timeline: what they need; else NULL */
} tf_run_stats;

/* The per-worker counters for n workers (zeroed): 0, or TF_ENOMEM (what
 * was allocated stays for tf__stats_free_workers). */
static inline int tf__stats_alloc_workers(tf_run_stats *s, int n) {
  size_t k = n > 0 ? (size_t)n : 1;
  s->w_tasks = calloc(k, sizeof *s->w_tasks);
  s->w_busy_ns = calloc(k, sizeof *s->w_busy_ns);
  s->w_wait_ns = calloc(k, sizeof *s->w_wait_ns);
  s->w_frames = calloc(k, sizeof *s->w_frames);
  return s->w_tasks && s->w_busy_ns && s->w_wait_ns && s->w_frames ? 0 : TF_ENOMEM;
}
/* Room for the counters of n workers in all, the new ones zeroed (had had
 * room): 0 or TF_ENOMEM (the counters stay as they were). */
static inline int tf__stats_grow_workers(tf_run_stats *s, int had, int n) {
  uint64_t **a[4] = {&s->w_tasks, &s->w_busy_ns, &s->w_wait_ns, &s->w_frames};
  for (int k = 0; k < 4; k++) {
    uint64_t *p = realloc(*a[k], (size_t)n * sizeof *p);
    if (!p) return TF_ENOMEM;
    for (int w = had; w < n; w++)
      p[w] = 0;
    *a[k] = p;
  }
  return 0;
}
static inline void tf__stats_free_workers(tf_run_stats *s) {
  free(s->w_tasks);
  free(s->w_busy_ns);
  free(s->w_wait_ns);
  free(s->w_frames);
  s->w_tasks = s->w_busy_ns = s->w_wait_ns = s->w_frames = NULL;
}

/* Count a task left undone at the end (a stop, a failure). */
static inline void tf__note_not_done(tf_run_stats *s, uint64_t id) {
  if (s->not_done < TF_FAILED_LISTED) s->not_done_ids[s->not_done] = id;
  s->not_done++;
}

/* Count n workers lost with the rank that was lost (a relay's stands for its workers). */
static inline void tf__note_lost(tf_run_stats *s, int rank, uint64_t n) {
  if (s->nlost_ranks < TF_LOST_LISTED) s->lost_ranks[s->nlost_ranks++] = rank;
  s->lost += n;
  s->peer_lost = 1;
}

/* Count a task given up on. */
static inline void tf__note_failure(tf_run_stats *s, uint64_t id) {
  if (s->failed < TF_FAILED_LISTED) s->failed_ids[s->failed] = id;
  s->failed++;
}

#endif
