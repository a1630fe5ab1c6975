/* trace.c - the per-rank trace buffer (trace.h). */
#include "trace.h"

#include <stdlib.h>
#include <string.h>

#include "taskfarm.h"

int tf__trace_init(tf_trace *t, size_t cap, double epoch) {
  memset(t, 0, sizeof *t);
  t->ev = malloc(cap * sizeof *t->ev); /* untouched pages cost nothing */
  if (!t->ev) return TF_ENOMEM;
  t->cap = cap;
  t->epoch = epoch;
  t->on = 1;
  return 0;
}

void tf__trace_free(tf_trace *t) {
  free(t->ev);
  memset(t, 0, sizeof *t);
}
