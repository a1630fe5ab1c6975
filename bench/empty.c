/* empty.c - the framework's own cost: N tasks that do nothing, with empty
 * payloads and results. Prints the rate the master saw, from the first
 * generate to the last collect. */
#include <stdio.h>
#include <time.h>

#include "taskfarm.h"

typedef struct bench {
  long long tasks, next, got;
  struct timespec t0, t1; /* the first generate; the first result */
} bench;

static double since(const struct timespec *t0) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)(t.tv_sec - t0->tv_sec) + 1e-9 * (double)(t.tv_nsec - t0->tv_nsec);
}

static int generate(tf_handle *h, void *vb) {
  bench *b = vb;
  if (b->next == 0) clock_gettime(CLOCK_MONOTONIC, &b->t0);
  /* Several per call: the cost measured is the farm's, not this callback's. */
  for (int i = 0; i < 64 && b->next < b->tasks; i++, b->next++)
    if (tf_submit(h, NULL, 0)) return -1;
  return b->next < b->tasks ? TF_GEN_MORE : TF_GEN_DONE;
}

static int execute(tf_handle *h, const tf_task *t, void *vb) {
  (void)h, (void)t, (void)vb;
  return 0;
}

static int collect(tf_handle *h, const tf_task *r, void *vb) {
  (void)h, (void)r;
  bench *b = vb;
  if (b->got++ == 0) clock_gettime(CLOCK_MONOTONIC, &b->t1);
  return 0;
}

/* The master's peak resident memory in KiB, from /proc (0 if unknown). */
static long peak_rss_kib(void) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long kib = 0;
  while (f && fgets(line, sizeof line, f))
    if (sscanf(line, "VmHWM: %ld", &kib) == 1) break;
  if (f) fclose(f);
  return kib;
}

static int finish(tf_handle *h, void *vb) {
  bench *b = vb;
  double s = since(&b->t0), s1 = since(&b->t1);
  /* The rate after the first result leaves out any wait for workers (a farm
   * of rank 0 alone that accepts them starts generating before one joins). */
  printf("empty tasks %lld workers %d prefetch %d wall %.4f s rate %.0f tasks/s master_rss_kib "
         "%ld rate_after_first_result %.0f\n",
         b->got, tf_nworkers(h), tf_get_config(h)->prefetch, s, (double)b->got / s,
         peak_rss_kib(), b->got > 1 && s1 > 0 ? (double)(b->got - 1) / s1 : 0.0);
  return b->got == b->tasks ? 0 : 1;
}

int main(int argc, char **argv) {
  bench b = {.tasks = 1000000};
  const tf_option options[] = {
      {"tasks", TF_OPT_INT, &b.tasks, "N", "empty tasks to run (default 1e6)", 1, 1e12},
      TF_OPTIONS_END,
  };
  tf_app app = {.name = "tf_bench_empty",
                .summary = "Empty tasks: the framework's cost per task.",
                .ctx = &b,
                .options = options,
                .generate = generate,
                .execute = execute,
                .collect = collect,
                .finish = finish};
  return tf_main(argc, argv, &app);
}
