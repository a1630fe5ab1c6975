/* work.c - tasks that busy-wait for a chosen time, for the load-balance and
 * peer benchmarks. Durations come from a distribution seeded by the task id
 * (so every policy and rank count sees the same workload): constant,
 * exponential, heavy-tailed (Pareto, alpha 1.5) or a ramp that grows with the
 * id. Prints the wall time and the efficiency: the sum of task times over
 * (workers x wall time). */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "taskfarm.h"
#include "uniform.h"

typedef struct work {
  long long tasks, next, got;
  double mean_us;
  const char *dist;
  double busy; /* seconds of task time, as the tasks measured it */
  struct timespec t0;
} work;

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static double duration_us(const work *w, uint64_t id) {
  double u = tf_bench_uniform(id), m = w->mean_us;
  if (!strcmp(w->dist, "exp")) return -m * log(u);
  if (!strcmp(w->dist, "pareto")) return m / 3.0 / pow(u, 1.0 / 1.5); /* x_m = m (a-1)/a */
  if (!strcmp(w->dist, "ramp")) return 2.0 * m * ((double)id + 0.5) / (double)w->tasks;
  return m;
}

static int check_options(void *vw, const tf_config *cfg, char *err, size_t n) {
  (void)cfg;
  const work *w = vw;
  const char *ok[] = {"const", "exp", "pareto", "ramp"};
  for (unsigned i = 0; i < 4; i++)
    if (!strcmp(w->dist, ok[i])) return 0;
  snprintf(err, n, "--dist: '%s' is not one of const, exp, pareto, ramp", w->dist);
  return 1;
}

/* The efficiency of an ideal dynamic schedule on `workers` workers: tasks
 * handed out in id order (the order generate makes them), each to the first
 * worker free, at no cost. Even that one waits for a long task that comes
 * late, so heavy tails and few tasks per worker keep it below 1. */
static void print_bound(const work *w, long long workers) {
  double free_at[1024] = {0}, sum = 0, end = 0;
  if (workers > 1024) workers = 1024;
  for (long long i = 0; i < w->tasks; i++) {
    double d = duration_us(w, (uint64_t)i) * 1e-6;
    long long k = 0;
    for (long long j = 1; j < workers; j++)
      if (free_at[j] < free_at[k]) k = j;
    free_at[k] += d;
    if (free_at[k] > end) end = free_at[k];
    sum += d;
  }
  printf("bound dist %s mean_us %g tasks %lld workers %lld %.4f\n", w->dist, w->mean_us, w->tasks,
         workers, sum / ((double)workers * end));
}

static int generate(tf_handle *h, void *vw) {
  work *w = vw;
  if (w->next == 0) {
    clock_gettime(CLOCK_MONOTONIC, &w->t0);
    tf_set_total(h, (uint64_t)w->tasks);
  }
  for (int i = 0; i < 64 && w->next < w->tasks; i++, w->next++) {
    double us = duration_us(w, (uint64_t)w->next);
    if (tf_submit(h, &us, sizeof us)) return -1;
  }
  return w->next < w->tasks ? TF_GEN_MORE : TF_GEN_DONE;
}

static int execute(tf_handle *h, const tf_task *t, void *vw) {
  (void)vw;
  double us = *(const double *)t->data;
  double start = now(), end = start + us * 1e-6, x = start;
  while (x < end)
    x = now();
  double took = x - start;
  return tf_result(h, &took, sizeof took);
}

static int collect(tf_handle *h, const tf_task *r, void *vw) {
  (void)h;
  work *w = vw;
  w->busy += *(const double *)r->data;
  w->got++;
  return 0;
}

static int finish(tf_handle *h, void *vw) {
  work *w = vw;
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  double wall = (double)(t.tv_sec - w->t0.tv_sec) + 1e-9 * (double)(t.tv_nsec - w->t0.tv_nsec);
  int nw = tf_nworkers(h);
  printf("work dist %s mean_us %g tasks %lld workers %d wall %.4f busy %.4f efficiency %.4f "
         "rate %.0f\n",
         w->dist, w->mean_us, w->got, nw, wall, w->busy, w->busy / (nw * wall),
         (double)w->got / wall);
  return w->got == w->tasks ? 0 : 1;
}

int main(int argc, char **argv) {
  work w = {.tasks = 10000, .mean_us = 1000, .dist = "const"};
  long long bound_for = 0;
  const tf_option options[] = {
      {"tasks", TF_OPT_INT, &w.tasks, "N", "tasks (default 10000)", 1, 1e12},
      {"mean-us", TF_OPT_DOUBLE, &w.mean_us, "US", "mean task duration in us (default 1000)", 0,
       1e9},
      {"dist", TF_OPT_STRING, &w.dist, "D", "const, exp, pareto or ramp (default const)", 0, 0},
      {"bound-for", TF_OPT_INT, &bound_for, "W",
       "run nothing; print an ideal in-order dynamic schedule's efficiency", 1, 1024},
      TF_OPTIONS_END,
  };
  tf_app app = {.name = "tf_bench_work",
                .summary = "Busy-wait tasks of chosen durations: load balance and peers.",
                .ctx = &w,
                .options = options,
                .check_options = check_options,
                .generate = generate,
                .execute = execute,
                .collect = collect,
                .finish = finish};
  tf_config cfg;
  tf_config_defaults(&cfg);
  char err[256];
  if (tf_parse_args(argc, argv, &app, &cfg, err, sizeof err) == 0 && bound_for > 0) {
    print_bound(&w, bound_for); /* no farm, no MPI */
    return 0;
  }
  return tf_main(argc, argv, &app);
}
