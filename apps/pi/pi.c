/* pi.c - estimate pi by Monte Carlo: throw points into the unit square and
 * count those inside the quarter circle. Each task throws its share of the
 * points with its own GSL generator, seeded from --seed and the task id, and
 * returns an integer count, so the answer is bit-identical for any number of
 * ranks. */
#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "taskfarm.h"

typedef struct pi_ctx {
  long long samples, tasks, seed; /* options */
  long long next;                 /* next task to generate */
  gsl_rng *rng;                   /* worker's generator */
  unsigned long long hits, thrown;
} pi_ctx;

typedef struct pi_task {
  uint64_t n; /* points to throw */
} pi_task;

/* A seed per task: a hash of the run's seed and the task id. */
static unsigned long task_seed(long long seed, tf_id id) {
  uint64_t z = (uint64_t)seed * UINT64_C(0x9e3779b97f4a7c15) + id + 1;
  z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
  return (unsigned long)(z ^ (z >> 31));
}

static int generate(tf_handle *h, void *vctx) {
  pi_ctx *c = vctx;
  if (c->next >= c->tasks) return TF_GEN_DONE;
  /* The first samples % tasks tasks throw one point more. */
  pi_task t = {(uint64_t)(c->samples / c->tasks + (c->next < c->samples % c->tasks))};
  int rc = tf_submit(h, &t, sizeof t);
  if (rc) return rc;
  c->next++;
  return c->next < c->tasks ? TF_GEN_MORE : TF_GEN_DONE;
}

static int worker_init(tf_handle *h, void *vctx) {
  (void)h;
  pi_ctx *c = vctx;
  c->rng = gsl_rng_alloc(gsl_rng_mt19937);
  return c->rng ? 0 : -1;
}

static int worker_fini(tf_handle *h, void *vctx) {
  (void)h;
  pi_ctx *c = vctx;
  gsl_rng_free(c->rng);
  c->rng = NULL;
  return 0;
}

static int execute(tf_handle *h, const tf_task *task, void *vctx) {
  pi_ctx *c = vctx;
  pi_task t;
  if (task->size != sizeof t) return -1;
  memcpy(&t, task->data, sizeof t);
  gsl_rng_set(c->rng, task_seed(c->seed, task->id));
  uint64_t hits = 0;
  for (uint64_t i = 0; i < t.n; i++) {
    double x = gsl_rng_uniform(c->rng), y = gsl_rng_uniform(c->rng);
    hits += x * x + y * y < 1.0;
  }
  uint64_t out[2] = {hits, t.n};
  return tf_result(h, out, sizeof out);
}

static int collect(tf_handle *h, const tf_task *result, void *vctx) {
  (void)h;
  pi_ctx *c = vctx;
  uint64_t in[2];
  if (result->size != sizeof in) return -1;
  memcpy(in, result->data, sizeof in);
  c->hits += in[0];
  c->thrown += in[1];
  return 0;
}

static int finish(tf_handle *h, void *vctx) {
  (void)h;
  pi_ctx *c = vctx;
  if (c->thrown != (unsigned long long)c->samples) {
    fprintf(stderr, "pi: %llu points came back, %lld were thrown\n", c->thrown, c->samples);
    return -1;
  }
  double p = (double)c->hits / (double)c->thrown;
  double est = 4.0 * p;
  double se = 4.0 * sqrt(p * (1.0 - p) / (double)c->thrown);
  printf("pi estimate  %.12f\n", est);
  printf("std. error   %.12f\n", se);
  printf("minus M_PI   %+.12f (%.2f standard errors)\n", est - M_PI, fabs(est - M_PI) / se);
  printf("hits         %llu of %llu points in %lld tasks, seed %lld\n", c->hits, c->thrown,
         c->tasks, c->seed);
  return 0;
}

int main(int argc, char **argv) {
  gsl_set_error_handler_off(); /* on every rank: the master may call GSL too */
  pi_ctx c = {.samples = 100000000, .tasks = 1000, .seed = 1};
  const tf_option options[] = {
      {"samples", TF_OPT_INT, &c.samples, "N", "points to throw in all (default 1e8)", 1, 1e15},
      {"tasks", TF_OPT_INT, &c.tasks, "M", "tasks to split them into (default 1000)", 1, 1e9},
      {"seed", TF_OPT_INT, &c.seed, "S", "random seed (default 1)", 0, 1e15},
      TF_OPTIONS_END,
  };
  tf_app app = {
      .name = "taskfarm-pi",
      .summary = "Estimate pi by Monte Carlo: N points in the unit square, split into M tasks;\n"
                 "the estimate is 4 x (points inside the quarter circle) / N.",
      .ctx = &c,
      .options = options,
      .generate = generate,
      .execute = execute,
      .collect = collect,
      .finish = finish,
      .worker_init = worker_init,
      .worker_fini = worker_fini,
  };
  return tf_main(argc, argv, &app);
}
