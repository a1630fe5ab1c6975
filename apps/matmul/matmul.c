/* matmul.c - the blocked matrix product C = A B: one task per block of C,
 * carrying the row panel of A and the column panel of B it needs (large
 * payloads); the worker multiplies them with gsl_blas_dgemm and the master
 * assembles C, prints checksums of it and checks it against a serial dgemm. */
#include <gsl/gsl_blas.h>
#include <gsl/gsl_errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "taskfarm.h"

typedef struct mm_ctx {
  long long n, block, check, ones; /* options */
  long long nb;                    /* blocks per side: ceil(n / block) */
  long long next;                  /* next block generate will submit */
  long long received;              /* blocks of C collected */
  double *c;                       /* master: the product, row-major n x n */
  double *task;                    /* master: the task being built (header, panels) */
  double *cblock;                  /* worker: one block of C */
} mm_ctx;

/* A task: rows i0..i0+rb-1 and columns j0..j0+cb-1 of C; the rb x n row panel
 * of A and the n x cb column panel of B follow, both row-major. */
typedef struct mm_head {
  uint64_t i0, j0, rb, cb;
} mm_head;
#define HEAD_DOUBLES (sizeof(mm_head) / sizeof(double)) /* where the panels start */

/* The entries are a closed-form function of (matrix, i, j) - a hash mapped to
 * [-1, 1) - so any rank can produce any panel without storing A or B. */
static double entry(const mm_ctx *c, uint64_t which, uint64_t i, uint64_t j) {
  if (c->ones) return 1.0;
  uint64_t z = (which << 62 | i << 31 | j) + UINT64_C(0x9e3779b97f4a7c15);
  z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
  z ^= z >> 31;
  return (double)(z >> 11) * 0x1p-52 - 1.0;
}

/* Rows (or columns) in block k: the last block is ragged when block does not
 * divide n. */
static uint64_t extent(const mm_ctx *c, long long k) {
  long long rest = c->n - k * c->block;
  return (uint64_t)(rest < c->block ? rest : c->block);
}

static size_t task_bytes(const mm_ctx *c, uint64_t rb, uint64_t cb) {
  return sizeof(mm_head) + (size_t)(rb + cb) * (size_t)c->n * sizeof(double);
}

/* The largest task (the first block) must fit the payload limit. */
static int check_options(void *vctx, const tf_config *cfg, char *err, size_t err_size) {
  mm_ctx *c = vctx;
  if (c->block > c->n) {
    snprintf(err, err_size, "--block %lld is larger than the matrix (--n %lld)", c->block, c->n);
    return -1;
  }
  c->nb = (c->n + c->block - 1) / c->block;
  size_t need = task_bytes(c, extent(c, 0), extent(c, 0));
  if (need > cfg->max_payload) {
    snprintf(err, err_size,
             "a task carries a %lld x %lld panel of A and a %lld x %lld panel of B: %zu bytes, "
             "over --max-payload %llu bytes; use a smaller --block",
             (long long)extent(c, 0), c->n, c->n, (long long)extent(c, 0), need,
             (unsigned long long)cfg->max_payload);
    return -1;
  }
  return 0;
}

/* The master's product and task buffer, before anything reaches collect (a
 * --resume run reads the journal back before generating). */
static int master_init(tf_handle *h, void *vctx) {
  (void)h;
  mm_ctx *c = vctx;
  c->c = malloc((size_t)(c->n * c->n) * sizeof(double));
  c->task = malloc(task_bytes(c, extent(c, 0), extent(c, 0)));
  return c->c && c->task ? 0 : TF_ENOMEM;
}

/* One block of C per call, row by row. */
static int generate(tf_handle *h, void *vctx) {
  mm_ctx *c = vctx;
  long long bi = c->next / c->nb, bj = c->next % c->nb;
  mm_head hd = {(uint64_t)(bi * c->block), (uint64_t)(bj * c->block), extent(c, bi), extent(c, bj)};
  memcpy(c->task, &hd, sizeof hd);
  double *a = c->task + HEAD_DOUBLES, *b = a + hd.rb * (uint64_t)c->n;
  for (uint64_t i = 0; i < hd.rb; i++)
    for (uint64_t k = 0; k < (uint64_t)c->n; k++)
      a[i * c->n + k] = entry(c, 0, hd.i0 + i, k);
  for (uint64_t k = 0; k < (uint64_t)c->n; k++)
    for (uint64_t j = 0; j < hd.cb; j++)
      b[k * hd.cb + j] = entry(c, 1, k, hd.j0 + j);
  int rc = tf_submit(h, c->task, task_bytes(c, hd.rb, hd.cb));
  if (rc) return rc;
  c->next++;
  return c->next < c->nb * c->nb ? TF_GEN_MORE : TF_GEN_DONE;
}

static int worker_init(tf_handle *h, void *vctx) {
  (void)h;
  mm_ctx *c = vctx;
  c->cblock = malloc((size_t)(c->block * c->block) * sizeof(double));
  return c->cblock ? 0 : -1;
}

static int worker_fini(tf_handle *h, void *vctx) {
  (void)h;
  mm_ctx *c = vctx;
  free(c->cblock);
  c->cblock = NULL;
  return 0;
}

/* The panels are used in place: task data is 8-byte aligned. */
static int execute(tf_handle *h, const tf_task *task, void *vctx) {
  mm_ctx *c = vctx;
  mm_head hd;
  if (task->size < sizeof hd) return -1;
  memcpy(&hd, task->data, sizeof hd);
  if (hd.rb < 1 || hd.rb > (uint64_t)c->block || hd.cb < 1 || hd.cb > (uint64_t)c->block ||
      task->size != task_bytes(c, hd.rb, hd.cb))
    return -1;
  const double *a = (const double *)task->data + HEAD_DOUBLES;
  gsl_matrix_const_view A = gsl_matrix_const_view_array(a, hd.rb, c->n);
  gsl_matrix_const_view B = gsl_matrix_const_view_array(a + hd.rb * c->n, c->n, hd.cb);
  gsl_matrix_view C = gsl_matrix_view_array(c->cblock, hd.rb, hd.cb);
  int st = gsl_blas_dgemm(CblasNoTrans, CblasNoTrans, 1.0, &A.matrix, &B.matrix, 0.0, &C.matrix);
  if (st) {
    fprintf(stderr, "taskfarm-matmul: dgemm of block %llu failed: %s\n",
            (unsigned long long)task->id, gsl_strerror(st));
    return -1;
  }
  return tf_result(h, c->cblock, hd.rb * hd.cb * sizeof(double));
}

/* A block's place in C follows from its task id (generate numbers blocks row
 * by row), and each block is written once, so arrival order cannot matter. */
static int collect(tf_handle *h, const tf_task *result, void *vctx) {
  (void)h;
  mm_ctx *c = vctx;
  if (result->id >= (tf_id)(c->nb * c->nb)) return -1;
  long long bi = (long long)result->id / c->nb, bj = (long long)result->id % c->nb;
  uint64_t rb = extent(c, bi), cb = extent(c, bj);
  if (result->size != rb * cb * sizeof(double)) {
    fprintf(stderr, "taskfarm-matmul: block %llu came back with %zu bytes, expected %llu\n",
            (unsigned long long)result->id, result->size,
            (unsigned long long)(rb * cb * sizeof(double)));
    return -1;
  }
  const double *blk = result->data;
  for (uint64_t i = 0; i < rb; i++)
    memcpy(c->c + (bi * c->block + i) * c->n + bj * c->block, blk + i * cb, cb * sizeof(double));
  c->received++;
  return 0;
}

/* ||C - S||_F / ||S||_F against S = A B from one serial dgemm. */
static int residual(const mm_ctx *c, double *res) {
  size_t nn = (size_t)(c->n * c->n);
  double *a = malloc(3 * nn * sizeof(double));
  if (!a) return GSL_ENOMEM;
  double *b = a + nn, *s = b + nn;
  for (long long i = 0; i < c->n; i++)
    for (long long j = 0; j < c->n; j++) {
      a[i * c->n + j] = entry(c, 0, i, j);
      b[i * c->n + j] = entry(c, 1, i, j);
    }
  gsl_matrix_view A = gsl_matrix_view_array(a, c->n, c->n),
                  B = gsl_matrix_view_array(b, c->n, c->n),
                  S = gsl_matrix_view_array(s, c->n, c->n);
  int st = gsl_blas_dgemm(CblasNoTrans, CblasNoTrans, 1.0, &A.matrix, &B.matrix, 0.0, &S.matrix);
  double diff = 0, norm = 0;
  for (size_t k = 0; k < nn; k++) {
    diff += (c->c[k] - s[k]) * (c->c[k] - s[k]);
    norm += s[k] * s[k];
  }
  free(a);
  *res = sqrt(diff) / sqrt(norm);
  return st;
}

static int finish(tf_handle *h, void *vctx) {
  (void)h;
  mm_ctx *c = vctx;
  if (c->received != c->nb * c->nb) {
    fprintf(stderr, "taskfarm-matmul: %lld blocks came back, %lld expected\n", c->received,
            c->nb * c->nb);
    return -1;
  }
  /* Row-major order, so both checksums depend only on the values of C. */
  double sum = 0;
  uint64_t fnv = UINT64_C(0xcbf29ce484222325);
  const unsigned char *p = (const unsigned char *)c->c;
  for (long long k = 0; k < c->n * c->n; k++)
    sum += c->c[k];
  for (size_t k = 0; k < (size_t)(c->n * c->n) * sizeof(double); k++)
    fnv = (fnv ^ p[k]) * UINT64_C(0x100000001b3);
  printf("matrices     %lld x %lld, blocks of %lld: %lld x %lld = %lld tasks of up to %zu bytes\n",
         c->n, c->n, c->block, c->nb, c->nb, c->nb * c->nb,
         task_bytes(c, extent(c, 0), extent(c, 0)));
  printf("sum of C     %.17g\n", sum);
  printf("FNV-1a of C  %016llx\n", (unsigned long long)fnv);
  if (c->check) {
    double res;
    int st = residual(c, &res);
    if (st) {
      fprintf(stderr, "taskfarm-matmul: serial dgemm for the check failed: %s\n", gsl_strerror(st));
      return -1;
    }
    printf("residual     %.3e (||C - C_serial||_F / ||C_serial||_F)\n", res);
  }
  return 0;
}

int main(int argc, char **argv) {
  mm_ctx c = {.n = 1024, .block = 256, .check = 1};
  const tf_option options[] = {
      {"n", TF_OPT_INT, &c.n, "N", "order of the matrices (default 1024)", 1, 16384},
      {"block", TF_OPT_INT, &c.block, "B", "rows and columns per block of C (default 256)", 1,
       16384},
      {"check", TF_OPT_INT, &c.check, "0|1", "compare with a serial dgemm (default 1)", 0, 1},
      {"ones", TF_OPT_FLAG, &c.ones, NULL, "A and B all ones, so every entry of C is N", 0, 0},
      TF_OPTIONS_END,
  };
  tf_app app = {
      .name = "taskfarm-matmul",
      .summary = "Multiply two N x N matrices, C = A B, whose entries are a fixed function of\n"
                 "their position. One task per B x B block of C carries the row panel of A and\n"
                 "the column panel of B it needs and is multiplied with gsl_blas_dgemm; the\n"
                 "master assembles C, prints its sum and an FNV-1a hash of its bytes, and the\n"
                 "relative residual against one serial dgemm of the whole matrices.",
      .ctx = &c,
      .options = options,
      .check_options = check_options,
      .master_init = master_init,
      .generate = generate,
      .execute = execute,
      .collect = collect,
      .finish = finish,
      .worker_init = worker_init,
      .worker_fini = worker_fini,
  };
  gsl_set_error_handler_off();
  int status = tf_main(argc, argv, &app);
  free(c.c);
  free(c.task);
  return status;
}
