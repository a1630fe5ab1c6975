/* clock.h - the one clock of the library: seconds on a clock that never goes
 * backwards. */
#ifndef TF_CLOCK_H
#define TF_CLOCK_H

#include <time.h>

static inline double tf__now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

#endif
