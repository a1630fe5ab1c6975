/* events.c - a binary heap of events (see events.h). */
#include "events.h"

#include <stdlib.h>

static int before(const sim_event *a, const sim_event *b) {
  return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

int sim_agenda_add(sim_agenda *a, double t, int kind, int node, void *msg, uint64_t gen) {
  if (a->n == a->cap) {
    size_t cap = a->cap ? 2 * a->cap : 1024;
    sim_event *e = realloc(a->e, cap * sizeof *e);
    if (!e) return -1;
    a->e = e;
    a->cap = cap;
  }
  sim_event ev = {t, a->seq++, kind, node, msg, gen};
  size_t i = a->n++;
  while (i > 0 && before(&ev, &a->e[(i - 1) / 2])) {
    a->e[i] = a->e[(i - 1) / 2];
    i = (i - 1) / 2;
  }
  a->e[i] = ev;
  return 0;
}

int sim_agenda_next(sim_agenda *a, sim_event *out) {
  if (!a->n) return 0;
  *out = a->e[0];
  sim_event last = a->e[--a->n];
  size_t i = 0;
  for (;;) {
    size_t c = 2 * i + 1;
    if (c >= a->n) break;
    if (c + 1 < a->n && before(&a->e[c + 1], &a->e[c])) c++;
    if (!before(&a->e[c], &last)) break;
    a->e[i] = a->e[c];
    i = c;
  }
  if (a->n) a->e[i] = last;
  return 1;
}

void sim_agenda_free(sim_agenda *a) {
  free(a->e);
  *a = (sim_agenda){0};
}
