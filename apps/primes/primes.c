/* primes.c - count the primes up to N with a segmented sieve of Eratosthenes.
 * Each task is a segment [lo, hi) of the integers; a worker sieves it with the
 * base primes up to sqrt(N), computed once in worker_init, and returns the
 * segment's prime count and largest prime. Integer sums and maxima make the
 * answer exact and the same for any number of ranks. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "taskfarm.h"

typedef struct pr_ctx {
  long long n;                   /* option: count the primes <= n */
  uint64_t segment;              /* option: integers per task */
  uint64_t next;                 /* master: start of the next segment */
  uint64_t count, largest, done; /* master: totals, integers covered */
  uint32_t *base;                /* worker: odd primes <= sqrt(n) */
  size_t nbase;                  /* worker: how many */
  unsigned char *mark;           /* worker: one byte per odd number of a segment */
} pr_ctx;

typedef struct pr_seg {
  uint64_t lo, hi; /* the integers lo <= k < hi */
} pr_seg;

typedef struct pr_out {
  uint64_t count, largest; /* largest is 0 when the segment holds no prime */
} pr_out;

static uint64_t isqrt(uint64_t v) {
  uint64_t r = 0;
  for (uint64_t bit = UINT64_C(1) << 62; bit; bit >>= 2) { /* digit-by-digit, no rounding */
    if (v >= r + bit) {
      v -= r + bit;
      r = (r >> 1) + bit;
    } else {
      r >>= 1;
    }
  }
  return r;
}

static int generate(tf_handle *h, void *vctx) {
  pr_ctx *c = vctx;
  uint64_t end = (uint64_t)c->n + 1; /* N itself is included */
  if (c->next >= end) return TF_GEN_DONE;
  pr_seg s = {c->next, end - c->next > c->segment ? c->next + c->segment : end};
  int rc = tf_submit(h, &s, sizeof s);
  if (rc) return rc;
  c->next = s.hi;
  return c->next < end ? TF_GEN_MORE : TF_GEN_DONE;
}

/* Base primes by a plain sieve up to sqrt(N) (at most 10^6 here): cheap, and
 * done once per worker rather than shipped with every task. */
static int worker_init(tf_handle *h, void *vctx) {
  (void)h;
  pr_ctx *c = vctx;
  uint64_t r = isqrt((uint64_t)c->n);
  unsigned char *comp = calloc(r + 1, 1);
  c->base = malloc((r / 2 + 1) * sizeof *c->base);
  c->mark = malloc(c->segment / 2 + 1);
  if (!comp || !c->base || !c->mark) return free(comp), -1;
  c->nbase = 0;
  for (uint64_t p = 3; p <= r; p += 2) {
    if (comp[p]) continue;
    c->base[c->nbase++] = (uint32_t)p;
    for (uint64_t m = p * p; m <= r; m += 2 * p)
      comp[m] = 1;
  }
  free(comp);
  return 0;
}

static int worker_fini(tf_handle *h, void *vctx) {
  (void)h;
  pr_ctx *c = vctx;
  free(c->base);
  free(c->mark);
  c->base = NULL;
  c->mark = NULL;
  return 0;
}

/* Sieve only the odd numbers: mark[i] stands for first + 2i. */
static int execute(tf_handle *h, const tf_task *task, void *vctx) {
  pr_ctx *c = vctx;
  pr_seg s;
  if (task->size != sizeof s) return -1;
  memcpy(&s, task->data, sizeof s);
  if (s.lo >= s.hi || s.hi - s.lo > c->segment) return -1;
  pr_out out = {0, 0};
  if (s.lo <= 2 && 2 < s.hi) out.count = 1, out.largest = 2; /* the one even prime */
  uint64_t first = s.lo < 3 ? 3 : s.lo | 1;
  if (first < s.hi) {
    size_t len = (size_t)((s.hi - first + 1) / 2);
    memset(c->mark, 0, len);
    for (size_t k = 0; k < c->nbase; k++) {
      uint64_t p = c->base[k];
      if (p * p >= s.hi) break;
      /* The first odd multiple of p in the segment, but not below p^2: smaller
       * multiples have a smaller factor, and p itself is prime. */
      uint64_t m = (first + p - 1) / p * p;
      if (m < p * p) m = p * p;
      if (!(m & 1)) m += p;
      for (uint64_t i = (m - first) / 2; i < len; i += p)
        c->mark[i] = 1;
    }
    for (size_t i = 0; i < len; i++)
      if (!c->mark[i]) out.count++, out.largest = first + 2 * i;
  }
  return tf_result(h, &out, sizeof out);
}

static int collect(tf_handle *h, const tf_task *result, void *vctx) {
  (void)h;
  pr_ctx *c = vctx;
  pr_out in;
  if (result->size != sizeof in) return -1;
  memcpy(&in, result->data, sizeof in);
  c->count += in.count;
  if (in.largest > c->largest) c->largest = in.largest;
  /* task k covers [k x segment, (k+1) x segment) clipped to N + 1 */
  uint64_t lo = result->id * c->segment, end = (uint64_t)c->n + 1;
  c->done += end - lo < c->segment ? end - lo : c->segment;
  return 0;
}

static int finish(tf_handle *h, void *vctx) {
  (void)h;
  pr_ctx *c = vctx;
  if (c->done != (uint64_t)c->n + 1) {
    fprintf(stderr, "primes: results cover %" PRIu64 " integers, expected %lld\n", c->done,
            c->n + 1);
    return -1;
  }
  uint64_t tasks = ((uint64_t)c->n + c->segment) / c->segment;
  printf("pi(%lld) = %" PRIu64 "\n", c->n, c->count);
  if (c->count)
    printf("largest prime <= %lld: %" PRIu64 "\n", c->n, c->largest);
  else
    printf("largest prime <= %lld: none\n", c->n);
  printf("segments     %" PRIu64 " of %" PRIu64 " integers\n", tasks, c->segment);
  return 0;
}

int main(int argc, char **argv) {
  pr_ctx c = {.n = 1000000000, .segment = 1u << 20};
  const tf_option options[] = {
      {"n", TF_OPT_INT, &c.n, "N", "count the primes <= N (default 1e9)", 0, 1e12},
      {"segment", TF_OPT_SIZE, &c.segment, "SIZE", "integers per task (default 1M = 2^20)", 16,
       1u << 30},
      TF_OPTIONS_END,
  };
  tf_app app = {
      .name = "taskfarm-primes",
      .summary = "Count the primes p <= N (the prime-counting function pi(N)) with a segmented\n"
                 "sieve of Eratosthenes: each task sieves one segment of integers with the primes\n"
                 "up to sqrt(N). Also prints the largest prime <= N.",
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
