/* results.c - tasks with large results, for the flow-control benchmark
 * (bench/flow.sh). Each task busy-waits --task-us on its worker and returns
 * --result-bytes bytes; the master's collect reads every byte and busy-waits
 * --collect-us (a slow reduction or file system). Prints the farm time and the
 * peak resident memory (VmHWM) of the master and of each worker. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "taskfarm.h"

typedef struct bench {
  long long tasks, next, task_us, collect_us;
  uint64_t result_bytes;
  unsigned char *buf;
  uint64_t sum; /* of every byte collected: the answer, and what makes collect read them */
  double t0;
} bench;

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void spin(long long us) {
  double end = now() + 1e-6 * (double)us;
  while (now() < end) {
  }
}

static long peak_rss_kb(void) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long kb = -1;
  while (f && fgets(line, sizeof line, f))
    if (sscanf(line, "VmHWM: %ld", &kb) == 1) break;
  if (f) fclose(f);
  return kb;
}

static int master_init(tf_handle *h, void *vb) {
  bench *b = vb;
  (void)h;
  b->t0 = now();
  return 0;
}

static int generate(tf_handle *h, void *vb) {
  bench *b = vb;
  if (b->next == 0) tf_set_total(h, (uint64_t)b->tasks);
  if (b->next >= b->tasks) return TF_GEN_DONE;
  uint64_t i = (uint64_t)b->next++;
  int rc = tf_submit(h, &i, sizeof i);
  if (rc) return rc;
  return b->next < b->tasks ? TF_GEN_MORE : TF_GEN_DONE;
}

static int worker_init(tf_handle *h, void *vb) {
  (void)h;
  bench *b = vb;
  b->buf = malloc(b->result_bytes ? b->result_bytes : 1);
  return b->buf ? 0 : -1;
}

static int execute(tf_handle *h, const tf_task *t, void *vb) {
  bench *b = vb;
  spin(b->task_us);
  memset(b->buf, (int)(t->id & 0xff), b->result_bytes);
  return tf_result(h, b->buf, b->result_bytes);
}

static int collect(tf_handle *h, const tf_task *r, void *vb) {
  (void)h;
  bench *b = vb;
  const unsigned char *p = r->data;
  uint64_t s = 0;
  for (size_t i = 0; i < r->size; i++)
    s += p[i];
  b->sum += s;
  spin(b->collect_us);
  return 0;
}

static int worker_fini(tf_handle *h, void *vb) {
  bench *b = vb;
  printf("worker %d peak_rss_kb %ld\n", tf_rank(h), peak_rss_kb());
  free(b->buf);
  return 0;
}

static int master_fini(tf_handle *h, void *vb) {
  bench *b = vb;
  /* Every byte of result i is i mod 256. */
  uint64_t want = 0;
  for (long long i = 0; i < b->tasks; i++)
    want += (uint64_t)(i & 0xff) * b->result_bytes;
  printf("farm_s %.4f master_peak_rss_kb %ld sum_ok %d status %d\n", now() - b->t0, peak_rss_kb(),
         b->sum == want, tf_run_status(h));
  return b->sum == want ? 0 : -1;
}

int main(int argc, char **argv) {
  bench b = {.tasks = 1000, .task_us = 500, .result_bytes = 2u << 20};
  const tf_option options[] = {
      {"tasks", TF_OPT_INT, &b.tasks, "N", "tasks (default 1000)", 1, 1e12},
      {"task-us", TF_OPT_INT, &b.task_us, "US", "each task busy-waits this long (default 500)", 0, 1e9},
      {"collect-us", TF_OPT_INT, &b.collect_us, "US", "collect busy-waits this long per result (default 0)", 0, 1e9},
      {"result-bytes", TF_OPT_SIZE, &b.result_bytes, "BYTES", "bytes of each result (default 2M)", 0, 1 << 30},
      TF_OPTIONS_END,
  };
  tf_app app = {.name = "tf_bench_results",
                .summary = "Benchmark: tasks with large results and a slow collect (bench/flow.sh).",
                .ctx = &b,
                .options = options,
                .generate = generate,
                .execute = execute,
                .collect = collect,
                .worker_init = worker_init,
                .worker_fini = worker_fini,
                .master_init = master_init,
                .master_fini = master_fini};
  return tf_main(argc, argv, &app);
}
