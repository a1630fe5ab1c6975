/* testapp.c - a configurable app for the integration tests. Root tasks carry a
 * payload derived from their index; workers check it, may sleep a
 * pseudo-random time, may spawn a tree of children, and echo a payload the
 * master checks. The master counts every id and fails on a duplicate, a
 * missing result or a wrong byte, and prints an order-independent digest
 * that must be the same for every rank count. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include "taskfarm.h"

typedef struct app_ctx {
  long long tasks, sleep_us, depth, branch, fail_id, fail_once, fail_rank, follow_up;
  long long crash_id, crash_from, hang_id, on_rank, long_id, long_ms, exit_id;
  long long stop_at; /* collect or failed of this task calls tf_stop */
  int stop_now, stop_ok;
  const char *hang_once, *started;
  int fail_init, fail_fini, report_rss, report_fini, report_failed, in_order;
  long long last_root; /* --in-order: the last root task collected */
  long long max_ahead; /* --in-order: most ids generate went past the next root to collect */
  uint64_t roots_skipped; /* --in-order: roots passed over (given up on) */
  uint64_t payload, result_payload, child_payload;
  long long next;
  /* master bookkeeping: an open-addressing set of collected ids */
  uint64_t *seen;
  size_t cap, count;
  uint64_t digest;
  unsigned char *buf;
} app_ctx;

typedef struct hdr {
  uint64_t index; /* root index, carried down the tree */
  uint32_t level; /* depth of this task in its tree */
  uint32_t size;  /* payload bytes including this header */
} hdr;

static uint64_t mix(uint64_t z) {
  z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
  return z ^ (z >> 31);
}

static unsigned char pattern(uint64_t seed, size_t i) {
  return (unsigned char)(mix(seed + i) >> 56);
}

/* A payload of n bytes: the header when it fits, then a pattern. */
static void fill(unsigned char *p, size_t n, const hdr *h, uint64_t seed) {
  for (size_t i = 0; i < n; i++)
    p[i] = pattern(seed, i);
  if (n >= sizeof *h) memcpy(p, h, sizeof *h);
}

static int check(const unsigned char *p, size_t n, uint64_t seed) {
  for (size_t i = sizeof(hdr) <= n ? sizeof(hdr) : 0; i < n; i++)
    if (p[i] != pattern(seed, i)) return -1;
  return 0;
}

static long long tree_size(long long depth, long long branch) {
  long long total = 1, level = 1;
  for (long long d = 0; d < depth; d++)
    total += (level *= branch);
  return total;
}

static int generate(tf_handle *h, void *vc) {
  app_ctx *c = vc;
  if (c->started && c->next == 0) { /* every rank is past MPI_Init: tests may strike now */
    FILE *f = fopen(c->started, "w");
    if (f) fclose(f);
  }
  if (c->next >= c->tasks) return TF_GEN_DONE;
  if (c->in_order && c->next - (c->last_root + 1) > c->max_ahead) c->max_ahead = c->next - (c->last_root + 1);
  hdr t = {(uint64_t)c->next, 0, (uint32_t)c->payload};
  size_t n = c->payload;
  fill(c->buf, n, &t, (uint64_t)c->next);
  int rc = tf_submit(h, c->buf, n);
  if (rc) return rc;
  c->next++;
  return c->next < c->tasks ? TF_GEN_MORE : TF_GEN_DONE;
}

/* In page zero, not NULL (a sanitizer would stop a NULL store before the
 * fault): writing there is a segmentation fault (--crash-id). */
static volatile uintptr_t crash_address = 64;

static int execute(tf_handle *h, const tf_task *task, void *vc) {
  app_ctx *c = vc;
  hdr t = {0, 0, 0};
  if (task->size >= sizeof t) memcpy(&t, task->data, sizeof t);
  /* Root payloads are seeded by the root index; children carry a header only. */
  if (t.level == 0 && task->size < sizeof t) t.index = task->id;
  if (t.level == 0 && check(task->data, task->size, t.index)) {
    fprintf(stderr, "testapp: task %" PRIu64 ": payload corrupted\n", task->id);
    return 1;
  }
  if (c->fail_id >= 0 && task->id == (uint64_t)c->fail_id) {
    char out[32]; /* what it had written before it failed: the master's failed sees it */
    snprintf(out, sizeof out, "partial %" PRIu64, task->id);
    tf_result(h, out, strlen(out));
    return 7;
  }
  if (c->fail_once >= 0 && task->id == (uint64_t)c->fail_once && task->attempt == 0) return 8;
  if (c->fail_rank >= 0 && tf_rank(h) == c->fail_rank) return 9;
  if (c->exit_id >= 0 && task->id == (uint64_t)c->exit_id) exit(3); /* a task must not, but may */
  int here = c->on_rank < 0 || tf_rank(h) == c->on_rank;
  if (here && ((c->crash_id >= 0 && task->id == (uint64_t)c->crash_id) ||
               (c->crash_from >= 0 && task->id >= (uint64_t)c->crash_from))) {
    *(volatile int *)crash_address = 1; /* a real segmentation fault */
  }
  /* With --hang-once FILE, only the first run anywhere hangs: the one that
   * creates FILE. */
  if (c->hang_id >= 0 && task->id == (uint64_t)c->hang_id && here &&
      (!c->hang_once || open(c->hang_once, O_CREAT | O_EXCL | O_WRONLY, 0600) >= 0))
    for (;;)
      pause();
  if (c->long_id >= 0 && task->id == (uint64_t)c->long_id) {
    struct timespec ts = {c->long_ms / 1000, (c->long_ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
  }
  if (c->sleep_us > 0) {
    long us = (long)(mix(task->id) % (uint64_t)c->sleep_us);
    struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
    nanosleep(&ts, NULL);
  }
  if (t.level < c->depth) {
    hdr child = {t.index, t.level + 1, sizeof child};
    size_t n = c->child_payload > sizeof child ? c->child_payload : sizeof child;
    unsigned char *p = calloc(1, n);
    if (!p) return 1;
    memcpy(p, &child, sizeof child);
    for (long long b = 0; b < c->branch; b++) {
      int rc = tf_submit_prio(h, p, n, (int32_t)child.level);
      if (rc) {
        free(p);
        return rc;
      }
    }
    free(p);
  }
  size_t n = c->result_payload;
  unsigned char *out = malloc(n ? n : 1);
  if (!out) return 1;
  fill(out, n, &t, task->id ^ 0x5a5a);
  int rc = tf_result(h, out, n);
  free(out);
  return rc;
}

/* This process's peak resident memory, kB (VmHWM), or -1. */
static long peak_rss_kb(void) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long kb = -1;
  while (f && fgets(line, sizeof line, f))
    if (sscanf(line, "VmHWM: %ld", &kb) == 1) break;
  if (f) fclose(f);
  return kb;
}

static int worker_init(tf_handle *h, void *vc) {
  (void)h;
  return ((app_ctx *)vc)->fail_init ? -1 : 0;
}

static int worker_fini(tf_handle *h, void *vc) {
  app_ctx *c = vc;
  if (c->report_rss) fprintf(stderr, "tf_testapp: worker rank %d peak RSS %ld kB\n", tf_rank(h), peak_rss_kb());
  return c->fail_fini ? -1 : 0;
}

/* Whatever the end: what was collected (a stop's partial output), and memory. */
static int master_fini(tf_handle *h, void *vc) {
  app_ctx *c = vc;
  if (c->report_fini)
    printf("master_fini: status %d, %zu results, digest %016" PRIx64 "\n", tf_run_status(h),
           c->count, c->digest);
  if (c->report_rss) fprintf(stderr, "tf_testapp: master peak RSS %ld kB\n", peak_rss_kb());
  return 0;
}

/* --follow-up N: the master submits N tasks for each root task that ends (in collect, or in
 * failed when it is given up on); they carry the root's index and a level no tree reaches. */
#define FOLLOW_LEVEL UINT32_MAX
static int follow_up(tf_handle *h, const app_ctx *c, uint64_t id) {
  if (id >= (uint64_t)c->tasks) return 0; /* only after root tasks */
  hdr t = {id, FOLLOW_LEVEL, sizeof t};
  for (long long k = 0; k < c->follow_up; k++) {
    int rc = tf_submit(h, &t, sizeof t);
    if (rc) return rc;
  }
  return 0;
}

/* --stop-at ID: the end of task ID (its result, or its failure) stops the run: soon, or now
 * with --stop-now; with status 0 under --stop-ok, else TF_EAPP. */
static int maybe_stop(tf_handle *h, const app_ctx *c, uint64_t id) {
  if (c->stop_at < 0 || id != (uint64_t)c->stop_at) return 0;
  return tf_stop(h, c->stop_now ? TF_STOP_NOW : TF_STOP_SOON, c->stop_ok ? 0 : TF_EAPP);
}

/* --report-failed: each task given up on, on stdout, with whether its payload came back whole. */
static int failed(tf_handle *h, const tf_failure *f, void *vc) {
  app_ctx *c = vc;
  if (follow_up(h, c, f->id) || maybe_stop(h, c, f->id)) return 1;
  if (!c->report_failed) return 0;
  hdr t = {f->id, 0, 0};
  if (f->size >= sizeof t) memcpy(&t, f->data, sizeof t);
  const char *payload = !f->data ? "none" : t.level == 0 && check(f->data, f->size, t.index) ? "damaged" : "intact";
  printf("failed: task %" PRIu64 ", %u attempt%s, status %d, lost %d, payload %s (%zu bytes), "
         "output '%.*s': %s\n",
         f->id, f->attempts, f->attempts == 1 ? "" : "s", f->status, f->lost, payload, f->size,
         (int)f->result_size, f->result ? (const char *)f->result : "", f->message);
  return 0;
}

static int collect(tf_handle *h, const tf_task *r, void *vc) {
  app_ctx *c = vc;
  /* --in-order: root tasks' results in id order, one after another but for those given up on */
  if (c->in_order && r->id < (uint64_t)c->tasks) {
    if ((long long)r->id <= c->last_root) {
      fprintf(stderr, "testapp: root %" PRIu64 " collected after root %lld\n", r->id, c->last_root);
      return 1;
    }
    c->roots_skipped += r->id - (uint64_t)(c->last_root + 1);
    c->last_root = (long long)r->id;
  }
  if (r->size != c->result_payload || check(r->data, r->size, r->id ^ 0x5a5a)) {
    fprintf(stderr, "testapp: result of task %" PRIu64 " has wrong size or bytes\n", r->id);
    return 1;
  }
  if (2 * (c->count + 1) > c->cap) {
    size_t cap = c->cap ? 2 * c->cap : 1024;
    uint64_t *s = calloc(cap, sizeof *s);
    if (!s) return 1;
    for (size_t i = 0; i < c->cap; i++)
      if (c->seen[i]) {
        size_t j = mix(c->seen[i] - 1) & (cap - 1);
        while (s[j])
          j = (j + 1) & (cap - 1);
        s[j] = c->seen[i];
      }
    free(c->seen);
    c->seen = s;
    c->cap = cap;
  }
  size_t j = mix(r->id) & (c->cap - 1);
  for (; c->seen[j]; j = (j + 1) & (c->cap - 1))
    if (c->seen[j] == r->id + 1) {
      fprintf(stderr, "testapp: task %" PRIu64 " collected twice\n", r->id);
      return 1;
    }
  c->seen[j] = r->id + 1;
  c->count++;
  c->digest += mix(r->id);
  return follow_up(h, c, r->id) || maybe_stop(h, c, r->id);
}

static int finish(tf_handle *h, void *vc) {
  (void)h;
  app_ctx *c = vc;
  long long expected = c->tasks * tree_size(c->depth, c->branch) + c->tasks * c->follow_up;
  /* With --keep-going the run finishes without a root that always fails. */
  if (c->fail_id >= 0 && c->fail_id < c->tasks) expected -= tree_size(c->depth, c->branch);
  /* So is a root that crashes or hangs wherever it runs. */
  if (c->on_rank < 0 && c->crash_id >= 0 && c->crash_id < c->tasks)
    expected -= tree_size(c->depth, c->branch);
  if (c->on_rank < 0 && !c->hang_once && c->hang_id >= 0 && c->hang_id < c->tasks)
    expected -= tree_size(c->depth, c->branch);
  printf("results %zu expected %lld digest %016" PRIx64 "\n", c->count, expected, c->digest);
  if (c->in_order)
    printf("roots in order: last %lld, %" PRIu64 " passed over, generated at most %lld ahead\n",
           c->last_root, c->roots_skipped + (uint64_t)(c->tasks - 1 - c->last_root), c->max_ahead);
  if ((long long)c->count != expected) {
    fprintf(stderr, "testapp: %zu results, expected %lld\n", c->count, expected);
    return 1;
  }
  return 0;
}

int main(int argc, char **argv) {
  app_ctx c = {.tasks = 100,
               .last_root = -1,
               .fail_id = -1,
               .fail_once = -1,
               .fail_rank = -1,
               .crash_id = -1,
               .crash_from = -1,
               .hang_id = -1,
               .on_rank = -1,
               .long_id = -1,
               .exit_id = -1,
               .stop_at = -1,
               .payload = 16,
               .result_payload = 8};
  const tf_option options[] = {
      {"tasks", TF_OPT_INT, &c.tasks, "N", "root tasks (default 100)", 0, 1e12},
      {"sleep-us", TF_OPT_INT, &c.sleep_us, "U", "each task sleeps a pseudo-random 0..U-1 us", 0,
       1e8},
      {"depth", TF_OPT_INT, &c.depth, "D", "each root task grows a tree this deep", 0, 40},
      {"branch", TF_OPT_INT, &c.branch, "B", "children per tree node", 0, 1000},
      {"payload", TF_OPT_SIZE, &c.payload, "BYTES", "task payload size (default 16)", 0, 0},
      {"result-payload", TF_OPT_SIZE, &c.result_payload, "BYTES", "result size (default 8)", 0, 0},
      {"fail-id", TF_OPT_INT, &c.fail_id, "ID", "the task with this id fails", -1, 1e18},
      {"fail-once", TF_OPT_INT, &c.fail_once, "ID", "that task fails its first run", -1, 1e18},
      {"fail-on-rank", TF_OPT_INT, &c.fail_rank, "R", "every task run on rank R fails", -1, 1e6},
      {"crash-id", TF_OPT_INT, &c.crash_id, "ID", "that task dies of SIGSEGV", -1, 1e18},
      {"exit-id", TF_OPT_INT, &c.exit_id, "ID", "that task calls exit(3)", -1, 1e18},
      {"crash-from", TF_OPT_INT, &c.crash_from, "ID", "every task from ID on dies of SIGSEGV", -1,
       1e18},
      {"hang-id", TF_OPT_INT, &c.hang_id, "ID", "that task never returns", -1, 1e18},
      {"hang-once", TF_OPT_STRING, &c.hang_once, "FILE", "--hang-id only where FILE gets created",
       0, 0},
      /* A signal for the tests, no part of the results: a resumed run need not repeat it. */
      {"started", TF_OPT_STRING | TF_OPT_NOT_JOURNALED, &c.started, "FILE",
       "create FILE when the farm starts", 0, 0},
      {"on-rank", TF_OPT_INT, &c.on_rank, "R", "--crash-id, --hang-id only on rank R", -1, 1e6},
      {"long-id", TF_OPT_INT, &c.long_id, "ID", "that task takes --long-ms", -1, 1e18},
      {"long-ms", TF_OPT_INT, &c.long_ms, "MS", "how long (default 0)", 0, 1e9},
      {"child-payload", TF_OPT_SIZE, &c.child_payload, "BYTES", "payload of each child", 0, 0},
      {"fail-init", TF_OPT_FLAG, &c.fail_init, NULL, "worker_init fails", 0, 0},
      {"fail-fini", TF_OPT_FLAG, &c.fail_fini, NULL, "worker_fini fails", 0, 0},
      {"report-rss", TF_OPT_FLAG, &c.report_rss, NULL, "print each rank's peak memory at the end", 0, 0},
      {"report-fini", TF_OPT_FLAG, &c.report_fini, NULL, "master_fini prints the status and what was collected", 0, 0},
      {"report-failed", TF_OPT_FLAG, &c.report_failed, NULL, "failed prints each task given up on", 0, 0},
      {"follow-up", TF_OPT_INT, &c.follow_up, "N", "collect (or failed) submits N tasks after each root task", 0, 1000},
      {"in-order", TF_OPT_FLAG, &c.in_order, NULL, "collect_in_order: root results in id order (checked)", 0, 0},
      /* How a run ends, no part of its results: a resumed run may leave them out. */
      {"stop-at", TF_OPT_INT | TF_OPT_NOT_JOURNALED, &c.stop_at, "ID",
       "the end of task ID (result or failure) calls tf_stop (soon)", -1, 1e18},
      {"stop-now", TF_OPT_FLAG | TF_OPT_NOT_JOURNALED, &c.stop_now, NULL, "--stop-at stops now",
       0, 0},
      {"stop-ok", TF_OPT_FLAG | TF_OPT_NOT_JOURNALED, &c.stop_ok, NULL,
       "--stop-at ends the run with status 0, not TF_EAPP", 0, 0},
      TF_OPTIONS_END,
  };
  tf_app app = {
      .name = "tf_testapp",
      .summary = "Test app: exact-count checks of the taskfarm runtime.",
      .ctx = &c,
      .options = options,
      .generate = generate,
      .execute = execute,
      .collect = collect,
      .finish = finish,
      .worker_init = worker_init,
      .worker_fini = worker_fini,
      .master_fini = master_fini,
      .failed = failed,
  };
  /* The payload buffer is sized after parsing; tf_main parses again (cheap). */
  tf_config cfg;
  tf_config_defaults(&cfg);
  char err[256];
  if (tf_parse_args(argc, argv, &app, &cfg, err, sizeof err) == 0 && c.payload <= (2u << 30)) {
    c.buf = malloc(c.payload ? c.payload : 1);
    if (!c.buf) return 1;
  }
  app.collect_in_order = c.in_order;
  int rc = tf_main(argc, argv, &app);
  free(c.buf);
  free(c.seen);
  return rc;
}
