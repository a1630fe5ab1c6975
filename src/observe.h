/* observe.h - what rank 0 gathers to describe a run after the fact: each
 * worker's counters and trace events (from its BYE), the master's own
 * events and sampled queue depth, and the writers of --stats (JSON),
 * --trace (Chrome trace-event JSON) and --timeline (SVG). */
#ifndef TF_OBSERVE_H
#define TF_OBSERVE_H

#include <stdint.h>

#include "stats.h"
#include "taskfarm.h"
#include "wire.h"
#include "trace.h"

/* Samples of the master's queue kept at most; when full, every other one is
 * dropped and the interval doubles, so any run fits. */
#define TF_OBS_MAX_SAMPLES 4096
#define TF_OBS_SAMPLE_EVERY 0.01

typedef struct tf_obs_worker {
  int reported; /* its BYE arrived (a lost worker's never does) */
  uint64_t o[TF_WIRE_OBS_N];
  double stop_sent, bye_recv; /* master clock, seconds since t0 */
  double offset, uncertainty; /* seconds: its clock minus the master's, and +- */
  tf_event *ev;               /* its events (owned), on its own clock */
  size_t nev;
  uint64_t ans_wait_ns, ans_waits;                  /* request to answer, as it measured */
  uint64_t req_wait_ns, req_waits, req_wait_max_ns; /* request arrival to answer, at the master */
  double req_since, req_next_since; /* when its oldest open request arrived, and a second; < 0: none */
} tf_obs_worker;

typedef struct tf__obs_sample {
  double t;
  uint64_t queued, in_flight, done;
} tf_obs_point;

typedef struct tf_obs {
  int trace; /* events are recorded (--trace or --timeline) */
  int nworkers;
  int serial; /* one rank: worker 0 is rank 0 itself */
  const struct tf_layout *layout; /* the root's: which rank each worker is (NULL: worker w is rank
                                     w + 1) */
  double t0;  /* the master's time 0 (tf__now) */
  tf_trace master;
  tf_obs_worker *w;
  tf_obs_point *samples;
  size_t nsamples;
  double sample_every, next_sample;
  uint64_t m_msgs_sent, m_bytes_sent, m_msgs_recv, m_bytes_recv;
} tf_obs;

/* Whether any of --stats, --trace, --timeline was given. */
int tf__obs_wanted(const tf_config *cfg);
/* Set up for nworkers; the master's trace starts at t0. 0 or TF_ENOMEM. */
int tf__obs_init(tf_obs *o, const tf_config *cfg, int nworkers, int serial, double t0);
void tf__obs_free(tf_obs *o);

/* A sample of the master's queue at now (call when tf__obs_sample_due). */
static inline int tf__obs_sample_due(const tf_obs *o, double now) {
  return o && now >= o->next_sample;
}
void tf__obs_sample(tf_obs *o, double now, uint64_t queued, uint64_t in_flight, uint64_t done);

/* The run starts at t0: time 0 of the master's clock, trace and samples. */
/* Workers joined the farm: room for nworkers in all. 0 or TF_ENOMEM. */
int tf__obs_grow(tf_obs *o, int nworkers);
void tf__obs_start(tf_obs *o, double t0);
/* Worker w's request arrived at now (a second one, while one is open, is
 * timed from its arrival too, its wait counted once it is answered in turn);
 * its oldest was answered at now (the wait it had at the master is counted). */
static inline void tf__obs_request_open(tf_obs *o, int w, double now) {
  if (o->w[w].req_since < 0)
    o->w[w].req_since = now;
  else
    o->w[w].req_next_since = now;
}
void tf__obs_request_answered(tf_obs *o, int w, double now);
/* The master's own message counts. */
void tf__obs_root_counts(tf_obs *o, uint64_t msgs_sent, uint64_t bytes_sent, uint64_t msgs_recv,
                         uint64_t bytes_recv);

/* The BYE frame f of worker w, received at bye_recv (tf__now), from a worker
 * that ran `tasks` tasks (its statistics): its counters and events, checked
 * to add up (else left out, and said), and its clock offset. Returns 0 or
 * TF_ENOMEM. */
int tf__obs_bye(tf_obs *o, int w, const tf_frame *f, uint64_t tasks, double bye_recv);

/* Write the files asked for; problems are logged. Returns 0 or TF_EIO
 * when a file could not be written. */
int tf__obs_write(const tf_obs *o, const tf_config *cfg, const tf_app *app, const tf_run_stats *s,
                  int status);

#endif
