/* embedded.c - a program that already uses MPI runs farms with tf_run: the
 * world is split in two halves, each runs its own farm at the same time, and
 * the program's own messages on MPI_COMM_WORLD, with the library's tag, are
 * never mistaken for protocol messages. Prints one line per half.
 *
 * With --stuck: one farm over the world (tf_run_ex, --task-timeout 1) whose
 * task 3 hangs wherever it runs; the farm gives it up, both workers it ran on
 * stay in it, and rank 0 learns so from the report and ends the job with
 * MPI_Abort(42), as such a program must (MPI_Finalize would wait forever). */
#include <mpi.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "taskfarm.h"
#include "wire.h"

typedef struct sum_ctx {
  long long n, next, sum;
} sum_ctx;

static int generate(tf_handle *h, void *vc) {
  sum_ctx *c = vc;
  long long v = ++c->next;
  if (tf_submit(h, &v, sizeof v)) return -1;
  return c->next < c->n ? TF_GEN_MORE : TF_GEN_DONE;
}

static int execute(tf_handle *h, const tf_task *t, void *vc) {
  (void)vc;
  long long v = *(const long long *)t->data;
  v *= v;
  return tf_result(h, &v, sizeof v);
}

static int collect(tf_handle *h, const tf_task *r, void *vc) {
  (void)h;
  ((sum_ctx *)vc)->sum += *(const long long *)r->data;
  return 0;
}

static int execute_hang(tf_handle *h, const tf_task *t, void *vc) {
  if (*(const long long *)t->data == 3)
    for (;;)
      sleep(1);
  return execute(h, t, vc);
}

static int run_stuck(void) {
  int rank;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  sum_ctx c = {.n = 20};
  tf_app app = {.name = "embedded-stuck",
                .ctx = &c,
                .generate = generate,
                .execute = execute_hang,
                .collect = collect};
  tf_config cfg;
  tf_config_defaults(&cfg);
  cfg.quiet = 1;
  cfg.task_timeout = 1;
  tf_run_report rep;
  memset(&rep, 0xff, sizeof rep); /* every field must be set */
  int rc = tf_run_ex(MPI_COMM_WORLD, &app, &cfg, &rep);
  if (rank == 0) {
    printf("stuck: rc %d lost %llu stuck %d finalize_unsafe %d sum %lld\n", rc,
           (unsigned long long)rep.lost, rep.stuck, rep.finalize_unsafe, c.sum);
    fflush(stdout);
    if (rep.finalize_unsafe) MPI_Abort(MPI_COMM_WORLD, 42);
  }
  MPI_Finalize();
  return 0;
}

int main(int argc, char **argv) {
  if (argc > 1 && !strcmp(argv[1], "--stuck")) { /* heartbeats need a thread level */
    int provided;
    MPI_Init_thread(&argc, &argv, MPI_THREAD_SERIALIZED, &provided);
    return run_stuck();
  }
  MPI_Init(&argc, &argv);
  int rank, size;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  /* A message of the program's own, with the library's tag, in flight
   * across the whole run. */
  int token = 12345, got = 0;
  MPI_Request req;
  int peer = (rank + 1) % size, from = (rank + size - 1) % size;
  MPI_Irecv(&got, 1, MPI_INT, from, TF_WIRE_TAG, MPI_COMM_WORLD, &req);
  MPI_Send(&token, 1, MPI_INT, peer, TF_WIRE_TAG, MPI_COMM_WORLD);

  MPI_Comm half;
  int color = rank < size / 2 ? 0 : 1;
  MPI_Comm_split(MPI_COMM_WORLD, color, rank, &half);
  sum_ctx c = {.n = color ? 2000 : 1000};
  tf_app app = {
      .name = "embedded", .ctx = &c, .generate = generate, .execute = execute, .collect = collect};
  tf_config cfg;
  tf_config_defaults(&cfg);
  cfg.quiet = 1;
  int rc = tf_run(half, &app, &cfg);
  MPI_Wait(&req, MPI_STATUS_IGNORE);
  int hrank;
  MPI_Comm_rank(half, &hrank);
  if (hrank == 0)
    printf("half %d: rc %d sum of squares 1..%lld = %lld, token %d\n", color, rc, c.n, c.sum, got);
  MPI_Comm_free(&half);
  MPI_Finalize();
  return rc || got != token ? 1 : 0;
}
