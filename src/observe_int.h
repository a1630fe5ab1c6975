/* observe_int.h - what observe.c (the gathering, --stats, --trace) and
 * observe_timeline.c (the --timeline SVG) share; nothing else includes it. */
#ifndef TF_OBSERVE_INT_H
#define TF_OBSERVE_INT_H

#include <stdio.h>

#include "layout.h"
#include "observe.h"

/* Worker w's rank (0 in a one-rank farm). */
static inline int tf__obs_rank_of(const tf_obs *o, int w) {
  return o->serial ? 0 : o->layout ? tf__layout_worker_rank(o->layout, w) : w + 1;
}

/* An event of worker w on the master's clock, seconds since t0. */
static inline double tf__obs_w_time(const tf_obs *o, int w, int64_t ns) {
  return (double)ns * 1e-9 - o->w[w].offset;
}

/* Open path for the option opt (its name, for the message) through out, or
 * log why not and return NULL. */
FILE *tf__obs_open_out(tf_output *out, const char *path, const char *opt);
/* Put the file in place: 0, or TF_EIO (logged). */
int tf__obs_close_out(tf_output *out, const char *opt);
/* Trace events not recorded, by the master and every worker. */
uint64_t tf__obs_dropped_total(const tf_obs *o);

/* Write --timeline: 0 or TF_EIO (logged). */
int tf__obs_write_timeline(const tf_obs *o, const tf_config *cfg, const tf_app *app,
                           const tf_run_stats *s);

#endif
