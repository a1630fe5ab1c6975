/* events.h - the simulator's agenda: events ordered by time, ties by the
 * order they were added (so a run is deterministic). */
#ifndef SIM_EVENTS_H
#define SIM_EVENTS_H

#include <stddef.h>
#include <stdint.h>

typedef struct sim_event {
  double t;
  uint64_t seq;
  int kind, node;
  void *msg; /* a message in flight, or NULL */
  uint64_t gen; /* for events that a later one may make obsolete */
} sim_event;

typedef struct sim_agenda {
  sim_event *e;
  size_t n, cap;
  uint64_t seq;
} sim_agenda;

/* Add an event; returns 0, or -1 when out of memory. */
int sim_agenda_add(sim_agenda *a, double t, int kind, int node, void *msg, uint64_t gen);
/* Take the earliest event; returns 0 when there is none. */
int sim_agenda_next(sim_agenda *a, sim_event *out);
void sim_agenda_free(sim_agenda *a);

#endif
