/* progress.h - the live progress report of the master on stderr: a bar
 * redrawn in place when stderr is a terminal, a plain line every few seconds
 * when it is not (batch logs). The caller decides when (it reads the clock
 * only on its quiet turns); this module only formats and writes. */
#ifndef TF_PROGRESS_H
#define TF_PROGRESS_H

#include <stdint.h>

#include "taskfarm.h"

/* How often the bar is redrawn, seconds. */
#define TF_PROGRESS_BAR_EVERY 0.25

typedef struct tf_progress {
  int mode; /* TF_PROGRESS_NONE, _BAR or _LINE (auto resolved) */
  double every, next, t0, last_t, rate;
  uint64_t last_done;
  int drawn; /* the bar is on screen */
} tf_progress;

typedef struct tf_progress_info {
  uint64_t done, total; /* total 0: not known yet */
  uint64_t failed, retried;
  int alive, nworkers;
} tf_progress_info;

/* Resolve --progress (auto: bar on a terminal, else line; none under
 * --quiet unless asked for). t0 is when the run started. */
void tf__progress_init(tf_progress *p, const tf_config *cfg, double t0);
/* Whether a report is due at now. */
static inline int tf__progress_due(const tf_progress *p, double now) {
  return p->mode != TF_PROGRESS_NONE && now >= p->next;
}
void tf__progress_show(tf_progress *p, double now, const tf_progress_info *in);
/* The run is over: end the bar's line. */
void tf__progress_end(tf_progress *p);

#endif
