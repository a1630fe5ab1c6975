/* idle.h - what a rank does when a poll found nothing (--idle). backoff, the
 * default: poll on for a while, then sleep with growing naps. While polling,
 * a rank on a core of its own spins for 20 us first (a reply comes within
 * microseconds, and sched_yield is a system call: on a VM it can cost a few
 * round trips), then yields the core between polls; a rank that shares its
 * core yields at once (ranks that compute get to run). The longest nap is
 * shorter than the polling window, so two ranks that wait on each other can
 * never fall into turns of sleeping. spin: never pause. sleep: nap at once
 * (but for one poll straight after work). */
#ifndef TF_IDLE_H
#define TF_IDLE_H

#include "taskfarm.h"

typedef struct tf_idle {
  tf_idle_mode mode;
  unsigned polls;    /* consecutive idle polls */
  int yielding;      /* the spins are over: yield between polls */
  int napping;       /* the polling window is over */
  double yield_from; /* set at the end of the first spins */
  double poll_until; /* the end of the polling window, set with yield_from */
  long nap_ns;
} tf_idle;

#define TF_IDLE_POLL_SECONDS 5e-3
#define TF_IDLE_SPINS 32 /* polls before the first clock read, and between two reads */
#define TF_IDLE_SPIN_SECONDS 20e-6 /* spinning before the first yield, on a core of its own */
#define TF_IDLE_NAP_MIN_NS 20000L
#define TF_IDLE_NAP_MAX_NS 500000L

/* After something was done: the next wait starts afresh. */
static inline void tf__idle_reset(tf_idle *s) {
  s->polls = 0;
  s->yielding = 0;
  s->napping = 0;
  s->nap_ns = TF_IDLE_NAP_MIN_NS;
}
static inline void tf__idle_init(tf_idle *s, int mode) {
  s->mode = (tf_idle_mode)mode;
  s->yield_from = s->poll_until = 0;
  tf__idle_reset(s);
}

/* Whether this process shares its core with other ranks (its node runs more
 * ranks than it has cores): set once at start-up; the backoff then yields
 * from the first spins on, where otherwise it spins TF_IDLE_SPIN_SECONDS
 * first. */
void tf__idle_share_cores(int shared);

/* Called after a poll that found nothing to do. */
void tf__idle_wait(tf_idle *s);

#endif
