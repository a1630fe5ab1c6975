/* main.c - tf_sim: run the model of bench/sim/farm.h for one configuration
 * and print one line: the farm's time, its efficiency and the root's load.
 * The costs default to those measured on the 2-core VM (docs/SIMULATION.md
 * says how), with InfiniBand-class links between nodes. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "farm.h"

static void usage(FILE *f) {
  fprintf(f,
          "Usage: tf_sim [OPTIONS]\n"
          "Simulate a taskfarm run (discrete events) and print its time and efficiency.\n"
          "  --tasks N          tasks (default 100000)\n"
          "  --workers N        workers (default 1)\n"
          "  --relays K         a relay for every K workers (default 0: flat)\n"
          "  --levels L         1, or 2: relays serving relays, K each (default 1)\n"
          "  --node-ranks P     ranks per node; links between nodes cost --lat-net-ns (default 0: one node)\n"
          "  --cores C          the one node's cores when there are more ranks (default 0: enough)\n"
          "  --dist D           const, exp or pareto (default const)\n"
          "  --mean-us US       mean task time in us (default 1000)\n"
          "  --chunk N          the dynamic schedule with this chunk (default 0: adaptive)\n"
          "  --prefetch N       most tasks a worker holds (default 4096)\n"
          "  --root-msg-ns X, --root-task-ns X, --worker-msg-ns X, --worker-task-ns X,\n"
          "  --relay-msg-ns X, --relay-task-ns X, --lat-local-ns X, --lat-net-ns X, --wake-us X\n"
          "                     override one cost (defaults: measured here; between nodes 1500 ns)\n"
          "  --help             this text\n");
}

/* Measured on the 2-core VM by bench/sim/validate.sh (its slower mode; see
 * docs/SIMULATION.md); a relay runs the root's engine, so it costs the same.
 * Between nodes: InfiniBand-class links, about 1.5 us and 10 GB/s. */
static const sim_costs here = {
    .root_msg = 200e-9, .root_task = 70e-9, .relay_msg = 200e-9, .relay_task = 70e-9,
    .worker_msg = 200e-9, .worker_task = 70e-9, .lat_local = 360e-9, .lat_net = 1.5e-6,
    .bw_local = 5e9, .bw_net = 10e9, .wake = 0};

static int number(const char *opt, const char *s, double lo, double hi, double *out) {
  char *end;
  double v = strtod(s, &end);
  if (end == s || *end || !(v >= lo && v <= hi)) {
    fprintf(stderr, "tf_sim: %s: '%s' is not a number from %g to %g\n", opt, s, lo, hi);
    return -1;
  }
  *out = v;
  return 0;
}

int main(int argc, char **argv) {
  sim_config cfg = {.tasks = 100000, .workers = 1, .relay_levels = 1, .dist = SIM_CONST,
                    .mean_s = 1e-3, .task_bytes = 8, .result_bytes = 8, .prefetch = 4096,
                    .c = here};
  static const struct option opts[] = {
      {"tasks", 1, 0, 't'},         {"workers", 1, 0, 'w'},       {"relays", 1, 0, 'r'},
      {"levels", 1, 0, 'l'},        {"node-ranks", 1, 0, 'p'},    {"cores", 1, 0, 'c'},
      {"dist", 1, 0, 'd'},          {"mean-us", 1, 0, 'm'},       {"chunk", 1, 0, 'k'},
      {"prefetch", 1, 0, 'f'},      {"root-msg-ns", 1, 0, 1},
      {"root-task-ns", 1, 0, 2},    {"worker-msg-ns", 1, 0, 3},   {"worker-task-ns", 1, 0, 4},
      {"relay-msg-ns", 1, 0, 5},    {"relay-task-ns", 1, 0, 6},   {"lat-local-ns", 1, 0, 7},
      {"lat-net-ns", 1, 0, 8},      {"wake-us", 1, 0, 9},         {"help", 0, 0, 'h'},
      {0, 0, 0, 0}};
  double v, lat_net = -1;
  int o;
  while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
    const char *name = o > 0 && o < 10 ? opts[9 + o].name : NULL;
    switch (o) {
    case 't': if (number("--tasks", optarg, 1, 1e10, &v)) return 2; cfg.tasks = (long long)v; break;
    case 'w': if (number("--workers", optarg, 1, 1e7, &v)) return 2; cfg.workers = (int)v; break;
    case 'r': if (number("--relays", optarg, 0, 1e6, &v)) return 2; cfg.relay_width = (int)v; break;
    case 'l': if (number("--levels", optarg, 1, 2, &v)) return 2; cfg.relay_levels = (int)v; break;
    case 'p': if (number("--node-ranks", optarg, 0, 1e6, &v)) return 2; cfg.node_ranks = (int)v; break;
    case 'c': if (number("--cores", optarg, 0, 1e6, &v)) return 2; cfg.cores = (int)v; break;
    case 'm': if (number("--mean-us", optarg, 0, 1e9, &v)) return 2; cfg.mean_s = v * 1e-6; break;
    case 'k': if (number("--chunk", optarg, 0, 1e6, &v)) return 2; cfg.chunk = (int)v; break;
    case 'f': if (number("--prefetch", optarg, 1, 1e6, &v)) return 2; cfg.prefetch = (int)v; break;
    case 'd':
      if (!strcmp(optarg, "const")) cfg.dist = SIM_CONST;
      else if (!strcmp(optarg, "exp")) cfg.dist = SIM_EXP;
      else if (!strcmp(optarg, "pareto")) cfg.dist = SIM_PARETO;
      else { fprintf(stderr, "tf_sim: --dist: '%s' is not one of const, exp, pareto\n", optarg); return 2; }
      break;
    case 1: case 2: case 3: case 4: case 5: case 6: case 7: case 8: {
      char opt[40];
      snprintf(opt, sizeof opt, "--%s", name);
      if (number(opt, optarg, 0, 1e9, &v)) return 2;
      double *at[] = {NULL, &cfg.c.root_msg, &cfg.c.root_task, &cfg.c.worker_msg, &cfg.c.worker_task,
                      &cfg.c.relay_msg, &cfg.c.relay_task, &cfg.c.lat_local, &lat_net};
      *at[o] = v * 1e-9;
      break;
    }
    case 9: if (number("--wake-us", optarg, 0, 1e9, &v)) return 2; cfg.c.wake = v * 1e-6; break;
    case 'h': usage(stdout); return 0;
    default: usage(stderr); return 2;
    }
  }
  if (optind < argc) {
    fprintf(stderr, "tf_sim: unexpected argument '%s'\n", argv[optind]);
    return 2;
  }
  if (lat_net >= 0) cfg.c.lat_net = lat_net;
  sim_result r;
  if (sim_run(&cfg, &r)) {
    fprintf(stderr, "tf_sim: out of memory\n");
    return 1;
  }
  printf("sim workers %d relays %d levels %d dist %s mean_us %g tasks %lld time %.6f "
         "efficiency %.4f root_busy %.4f root_msgs %lld events %lld\n",
         cfg.workers, cfg.relay_width, cfg.relay_width ? cfg.relay_levels : 0,
         cfg.dist == SIM_EXP ? "exp" : cfg.dist == SIM_PARETO ? "pareto" : "const",
         cfg.mean_s * 1e6, cfg.tasks, r.makespan, r.efficiency, r.root_busy, r.root_msgs,
         r.events);
  return 0;
}
