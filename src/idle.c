/* idle.c - back-off between empty polls (see idle.h). */
#include "idle.h"

#include <sched.h>
#include <time.h>

#include "clock.h"

void tf__idle_wait(tf_idle *s) {
  if (s->mode == TF_IDLE_SPIN) return;
  if (s->mode == TF_IDLE_SLEEP) s->napping = 1;
  if (!s->napping) {
    if (s->polls++ == 0) {
      s->poll_until = tf__now() + TF_IDLE_POLL_SECONDS;
      return;
    }
    if (s->polls < TF_IDLE_SPINS) return;
    /* Read the clock only every 32 polls: an empty poll costs nanoseconds. */
    if (s->polls % 32 || tf__now() < s->poll_until) {
      sched_yield();
      return;
    }
    s->napping = 1;
  }
  struct timespec ts = {0, s->nap_ns};
  nanosleep(&ts, NULL);
  if (s->nap_ns < TF_IDLE_NAP_MAX_NS) s->nap_ns *= 2;
  if (s->nap_ns > TF_IDLE_NAP_MAX_NS) s->nap_ns = TF_IDLE_NAP_MAX_NS;
}
