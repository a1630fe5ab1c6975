/* trace.h - a rank's trace buffer: fixed-size events in one block allocated
 * before the run, so recording costs a compare and a store. When it is full,
 * later events are counted, not kept. */
#ifndef TF_TRACE_H
#define TF_TRACE_H

#include <stddef.h>
#include <stdint.h>

#include "wire.h"

/* The default --trace-events: events per rank. malloc'ed untouched, so only
 * the pages used are paid for. */
#define TF_DEFAULT_TRACE_EVENTS 1000000

typedef struct tf_trace {
  int on;
  tf_event *ev;
  size_t n, cap;
  uint64_t dropped; /* events after the cap */
  double epoch;     /* tf__now() that is time 0 of this rank's events */
} tf_trace;

/* Allocate room for cap events; epoch is this rank's time 0. Returns 0 or
 * TF_ENOMEM. A trace not set up (all zero) records nothing. */
int tf__trace_init(tf_trace *t, size_t cap, double epoch);
void tf__trace_free(tf_trace *t);

/* Nanoseconds since the epoch of a tf__now() time. */
static inline int64_t tf__trace_ns(const tf_trace *t, double when) {
  return (int64_t)((when - t->epoch) * 1e9);
}

/* Record one event from t0 to t1 (tf__now() times). */
static inline void tf__trace_add(tf_trace *t, unsigned kind, uint64_t id, uint32_t arg, double t0,
                                 double t1) {
  if (t->n < t->cap) {
    tf_event *e = &t->ev[t->n++];
    e->id = id;
    e->t0 = tf__trace_ns(t, t0);
    e->t1 = tf__trace_ns(t, t1);
    e->kind = kind;
    e->arg = arg;
  } else {
    t->dropped++;
  }
}

#endif
