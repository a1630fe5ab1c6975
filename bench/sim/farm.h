/* farm.h - a discrete-event model of a taskfarm run: the root, optional
 * relays (one or two levels) and the workers, each a rank that does one
 * thing at a time; messages with latency and bandwidth; the request and
 * answer protocol of src/up.c and src/down.c (a worker asks for more when
 * what it holds and has asked for falls to the plan's depth less one chunk,
 * again before the answer when nothing is queued, never three requests
 * open; results riding with the requests); and the library's own
 * adaptive plan (src/policy.c), fed with the task times and round trips the
 * model produces, as the real one is. What it leaves out: faults, the
 * journal, flow control by bytes, heartbeats. */
#ifndef SIM_FARM_H
#define SIM_FARM_H

#include <stdint.h>

/* Seconds a rank spends per message it handles (received or sent) and per
 * task that passes through it (half on the way out, half on the way back),
 * besides the tasks themselves; one-way latency and bandwidth of a link
 * inside a node and between nodes. */
typedef struct sim_costs {
  double root_msg, root_task;
  double relay_msg, relay_task;
  double worker_msg, worker_task;
  double lat_local, lat_net;
  double bw_local, bw_net;
  double wake; /* oversubscribed: extra delay before a rank sees a message */
} sim_costs;

typedef enum { SIM_CONST, SIM_EXP, SIM_PARETO } sim_dist;

typedef struct sim_config {
  long long tasks;
  int workers;
  int relay_width;  /* children per relay; 0: flat (the root serves every worker) */
  int relay_levels; /* 1, or 2: relays serving relays */
  int node_ranks;   /* ranks per node: links between nodes take the network's costs; 0: one node */
  int cores;        /* cores of the one node, when they are fewer than the ranks; 0: enough */
  sim_dist dist;
  double mean_s;
  int task_bytes, result_bytes;
  int chunk;    /* > 0: the dynamic schedule with this chunk; 0: adaptive */
  int prefetch; /* most tasks a worker holds */
  sim_costs c;
} sim_config;

typedef struct sim_result {
  double makespan;   /* until the root has every result */
  double work;       /* sum of task times */
  double efficiency; /* work / (workers x makespan) */
  double root_busy;  /* fraction of the makespan the root spent handling messages */
  long long root_msgs, events;
} sim_result;

/* A task's duration: the same function of its id as bench/work.c's, so a
 * simulated run and a real one see the same workload. */
double sim_task_time(const sim_config *cfg, uint64_t id);
/* Run the model. Returns 0, or -1 when out of memory. */
int sim_run(const sim_config *cfg, sim_result *r);

#endif
