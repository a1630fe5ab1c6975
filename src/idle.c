/* idle.c - back-off between empty polls (see idle.h). */
#include "idle.h"

#include <sched.h>
#include <time.h>

#include "clock.h"

void tf__idle_wait(tf_idle *s) {
  if (s->mode == TF_IDLE_SPIN) return;
  if (s->mode == TF_IDLE_SLEEP) s->napping = 1;
  if (!s->napping) {
    /* The polling window opens at the first yield: a wait that ends within
     * the spins (a reply on a dedicated core) reads no clock. */
    if (s->polls++ < TF_IDLE_SPINS) return;
    if (s->polls == TF_IDLE_SPINS + 1) s->poll_until = tf__now() + TF_IDLE_POLL_SECONDS;
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
