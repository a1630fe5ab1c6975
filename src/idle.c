/* idle.c - back-off between empty polls (see idle.h). */
#include "idle.h"

#include <sched.h>
#include <time.h>

#include "clock.h"

static int cores_shared;

void tf__idle_share_cores(int shared) { cores_shared = shared; }

/* The backoff's polling window: spins first, for TF_IDLE_SPIN_SECONDS on a
 * core of its own, then yields. The clock is read at the end of the first
 * TF_IDLE_SPINS polls and then every TF_IDLE_SPINS polls only: an empty
 * poll costs nanoseconds.
 * Returns 0 when the window is over. */
static int poll_on(tf_idle *s) {
  unsigned n = s->polls++;
  if (n < TF_IDLE_SPINS) return 1;
  if (n % TF_IDLE_SPINS == 0) {
    double now = tf__now();
    if (n == TF_IDLE_SPINS) {
      s->yield_from = cores_shared ? now : now + TF_IDLE_SPIN_SECONDS;
      s->poll_until = now + TF_IDLE_POLL_SECONDS;
    }
    if (now >= s->poll_until) return 0;
    s->yielding = now >= s->yield_from;
  }
  if (s->yielding) sched_yield();
  return 1;
}

void tf__idle_wait(tf_idle *s) {
  if (s->mode == TF_IDLE_SPIN) return;
  if (s->mode == TF_IDLE_SLEEP) {
    /* The first empty poll after work never naps: a poll that ends a run of
     * messages returns without asking MPI (comm_recv.c), so a message that
     * came meanwhile shows only on the next one. */
    if (!s->polls++) return;
  } else if (!s->napping && poll_on(s)) {
    return;
  }
  s->napping = 1;
  struct timespec ts = {0, s->nap_ns};
  nanosleep(&ts, NULL);
  if (s->nap_ns < TF_IDLE_NAP_MAX_NS) s->nap_ns *= 2;
  if (s->nap_ns > TF_IDLE_NAP_MAX_NS) s->nap_ns = TF_IDLE_NAP_MAX_NS;
}
