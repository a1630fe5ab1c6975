/* badpeer.c - a hostile worker for the integration tests. Rank 0 runs a real
 * master through tf_run; rank 1 mirrors the library's duplicate of the
 * communicator and sends it a broken frame of the kind named on the command
 * line, then behaves (answers STOP with BYE) so that the run can end cleanly.
 * The master must report the sender's rank and fail with exit status 1. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ids.h"
#include "taskfarm.h"
#include "topo.h"
#include "wire.h"

static int execute(tf_handle *h, const tf_task *t, void *ctx) {
  (void)h, (void)t, (void)ctx;
  return 0;
}

static int generate(tf_handle *h, void *ctx) {
  (void)ctx;
  return tf_submit(h, "x", 1) ? -1 : TF_GEN_DONE;
}

/* A frame of the requested kind of damage in w. */
static int build(const char *how, tf_wbuf *w) {
  if (!strcmp(how, "error-text")) { /* an ERROR whose text would drive a terminal */
    static const char text[] = "\x1b[2J\x1b[31mworker says hello\x07\x1b[0m";
    tf__wire_begin(w, TF_MSG_ERROR, 0);
    tf__wire_add(w, TF_ENT_TEXT, 0, 0, text, sizeof text - 1);
    tf__wire_finish(w);
    return 0;
  }
  tf__wire_begin(w, TF_MSG_RESULTS, 1);
  if (!strcmp(how, "spawn-orphan")) /* a child of no task it holds */
    tf__wire_add(w, TF_ENT_SPAWN, tf__child_id(0, 0), 0, "c", 1);
  if (!strcmp(how, "spawn-id")) /* a child of task 0 with an id not derived from it */
    tf__wire_add(w, TF_ENT_SPAWN, tf__child_id(0, 0) ^ 1, 0, "c", 1);
  tf__wire_add(w, TF_ENT_RESULT, 0, 0, "ok", 2);
  tf__wire_finish(w);
  if (!strncmp(how, "spawn-", 6) || !strcmp(how, "bye-counters")) {
    /* well formed */
  } else if (!strcmp(how, "magic")) {
    w->buf[0] ^= 0xff;
  } else if (!strcmp(how, "version")) {
    w->buf[4] = 99;
  } else if (!strcmp(how, "truncated")) {
    w->len -= 5;
  } else if (!strcmp(how, "short")) {
    w->len = 7;
  } else if (!strcmp(how, "kind")) {
    w->buf[6] = 77;
  } else if (!strcmp(how, "unasked")) { /* well formed, but a result for a task never sent */
    w->buf[TF_WIRE_HEADER_SIZE] = 42;
  } else {
    return -1;
  }
  return 0;
}

/* Receive the master's next frame; its kind (0 if it does not decode). */
static unsigned receive_kind(MPI_Comm dup) {
  MPI_Status st;
  MPI_Probe(0, TF_WIRE_TAG, dup, &st);
  int n;
  MPI_Get_count(&st, MPI_BYTE, &n);
  unsigned char *buf = malloc((size_t)n);
  MPI_Recv(buf, n, MPI_BYTE, 0, TF_WIRE_TAG, dup, MPI_STATUS_IGNORE);
  tf_frame f;
  unsigned kind = tf__wire_decode(buf, (size_t)n, TF_DEFAULT_MAX_PAYLOAD, &f, NULL, 0) ? 0 : f.kind;
  free(buf);
  return kind;
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  int rank, size;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (argc < 2 || argc > 3 || size != 2) {
    if (rank == 0)
      fprintf(stderr, "usage: mpirun -np 2 badpeer "
                      "magic|version|truncated|short|kind|unasked|spawn-orphan|spawn-id|error-text\n"
                      "       mpirun -np 2 badpeer bye-counters STATS_FILE\n");
    MPI_Finalize();
    return 2;
  }
  int rc = 0;
  if (rank == 0) {
    tf_app app = {.name = "badpeer", .generate = generate, .execute = execute};
    tf_config cfg;
    tf_config_defaults(&cfg);
    cfg.quiet = 1;
    if (argc == 3) cfg.stats_file = argv[2];
    rc = tf_run(MPI_COMM_WORLD, &app, &cfg);
    printf("tf_run returned %d (%s)\n", rc, tf_strerror(rc));
  } else {
    MPI_Comm dup; /* the same communicator the library makes on rank 0 */
    MPI_Comm_dup(MPI_COMM_WORLD, &dup);
    tf_topo topo; /* and the start-up exchange every rank takes part in */
    tf__topo_gather(dup, &topo);
    tf__topo_free(&topo);
    tf_wbuf w = {0};
    if (build(argv[1], &w)) MPI_Abort(MPI_COMM_WORLD, 2);
    /* ask for task 0 and take it first */
    if (!strcmp(argv[1], "spawn-id") || !strcmp(argv[1], "bye-counters")) {
      tf_wbuf ask = {0};
      tf__wire_begin(&ask, TF_MSG_RESULTS, 1);
      tf__wire_finish(&ask);
      MPI_Send(ask.buf, (int)ask.len, MPI_BYTE, 0, TF_WIRE_TAG, dup);
      tf__wbuf_free(&ask);
      receive_kind(dup); /* the TASKS frame */
      tf__wire_set_aux(&w, 0); /* no new request */
    }
    MPI_Send(w.buf, (int)w.len, MPI_BYTE, 0, TF_WIRE_TAG, dup);
    /* Take what the master sends until STOP, then say goodbye properly. */
    while (receive_kind(dup) != TF_MSG_STOP) {
    }
    uint64_t stats[TF_WIRE_STATS_N] = {0};
    tf__wire_begin(&w, TF_MSG_BYE, 0);
    tf__wire_add_stats(&w, stats);
    if (!strcmp(argv[1], "bye-counters")) { /* counters that cannot be: 0 tasks, 2^64-1 dropped */
      uint64_t obs[TF_WIRE_OBS_N] = {0};
      obs[TF_OBS_DROPPED] = UINT64_MAX;
      tf__wire_add_obs(&w, obs);
    }
    tf__wire_finish(&w);
    MPI_Send(w.buf, (int)w.len, MPI_BYTE, 0, TF_WIRE_TAG, dup);
    tf__wbuf_free(&w);
    MPI_Comm_free(&dup);
  }
  MPI_Finalize();
  return rc ? 1 : 0;
}
