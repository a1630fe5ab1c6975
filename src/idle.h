/* idle.h - what a rank does when a poll found nothing (--idle). backoff, the
 * default: poll on for a while, yielding the core between polls (a reply on a
 * dedicated core comes within microseconds; on a shared core, ranks that
 * compute get to run), then sleep with growing naps. The longest nap is
 * shorter than the polling window, so two ranks that wait on each other can
 * never fall into turns of sleeping. spin: never pause. sleep: nap at once. */
#ifndef TF_IDLE_H
#define TF_IDLE_H

#include "taskfarm.h"

typedef struct tf_idle {
  tf_idle_mode mode;
  unsigned polls;    /* consecutive idle polls */
  int napping;       /* the polling window is over */
  double poll_until; /* set at the first yield */
  long nap_ns;
} tf_idle;

#define TF_IDLE_POLL_SECONDS 5e-3
#define TF_IDLE_SPINS 32 /* polls before the first yield */
#define TF_IDLE_NAP_MIN_NS 20000L
#define TF_IDLE_NAP_MAX_NS 500000L

/* After something was done: the next wait starts afresh. */
static inline void tf__idle_reset(tf_idle *s) {
  s->polls = 0;
  s->napping = 0;
  s->nap_ns = TF_IDLE_NAP_MIN_NS;
}
static inline void tf__idle_init(tf_idle *s, int mode) {
  s->mode = (tf_idle_mode)mode;
  s->poll_until = 0;
  tf__idle_reset(s);
}

/* Called after a poll that found nothing to do. */
void tf__idle_wait(tf_idle *s);

#endif
