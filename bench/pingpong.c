/* pingpong.c - the physical limit the framework is measured against: 8-byte
 * round trips between ranks 0 and 1 (a master that answers each request with
 * one reply can do no better), and a one-way stream of 8-byte messages. Each
 * figure is the second of two passes.
 *
 * A third figure, "polled", is the same round trip made the way a rank that
 * cannot block does it (the farm's master serves many peers and its own
 * work; src/comm_recv.c): 48-byte frames (a chunk-1 TASKS or RESULTS frame),
 * two receives kept posted and reposted as they complete, MPI_Isend, and
 * MPI_Testsome over the receives and the send until the reply is in (the
 * farm tests its receives and its sends in separate calls, so it makes more
 * MPI calls than this). It is the MPI cost of that design before any work
 * of the framework's. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

enum { FRAME = 48, SLOT = 4096 };

/* n polled round trips between ranks 0 and 1; seconds per round trip. */
static double polled(long n, int rank) {
  static char slot[2][SLOT], out[FRAME];
  int peer = 1 - rank, next = 0, done[2] = {0, 0};
  MPI_Request req[3]; /* the 2 receives, the send */
  req[2] = MPI_REQUEST_NULL;
  for (int s = 0; s < 2; s++)
    MPI_Irecv(slot[s], SLOT, MPI_BYTE, peer, 5, MPI_COMM_WORLD, &req[s]);
  double t0 = MPI_Wtime();
  for (long i = 0; i < n; i++) {
    for (int turn = 0; turn < 2; turn++) { /* rank 0 sends first, rank 1 answers */
      if (turn == rank) {
        if (req[2] != MPI_REQUEST_NULL) MPI_Wait(&req[2], MPI_STATUS_IGNORE);
        MPI_Isend(out, FRAME, MPI_BYTE, peer, 5, MPI_COMM_WORLD, &req[2]);
        continue;
      }
      while (!done[next]) {
        int k = 0, idx[3];
        MPI_Testsome(3, req, &k, idx, MPI_STATUSES_IGNORE);
        for (int j = 0; k != MPI_UNDEFINED && j < k; j++)
          if (idx[j] < 2) done[idx[j]] = 1;
      }
      done[next] = 0;
      MPI_Irecv(slot[next], SLOT, MPI_BYTE, peer, 5, MPI_COMM_WORLD, &req[next]);
      next ^= 1;
    }
  }
  double t = (MPI_Wtime() - t0) / (double)n;
  if (req[2] != MPI_REQUEST_NULL) MPI_Wait(&req[2], MPI_STATUS_IGNORE);
  for (int s = 0; s < 2; s++) {
    MPI_Cancel(&req[s]);
    MPI_Wait(&req[s], MPI_STATUS_IGNORE);
  }
  return t;
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  int rank, size;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  long n = argc > 1 ? atol(argv[1]) : 200000;
  if (size < 2 || n < 1) {
    if (rank == 0) fprintf(stderr, "usage: mpirun -np 2 pingpong [ROUND_TRIPS]\n");
    MPI_Finalize();
    return 2;
  }
  char buf[8] = {0};
  double rt = 0, ow = 0, pr = 0;
  for (int pass = 0; pass < 2; pass++) {
    MPI_Barrier(MPI_COMM_WORLD);
    double t0 = MPI_Wtime();
    for (long i = 0; i < n && rank < 2; i++) {
      if (rank == 0) {
        MPI_Send(buf, 8, MPI_BYTE, 1, 0, MPI_COMM_WORLD);
        MPI_Recv(buf, 8, MPI_BYTE, 1, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      } else {
        MPI_Recv(buf, 8, MPI_BYTE, 0, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        MPI_Send(buf, 8, MPI_BYTE, 0, 0, MPI_COMM_WORLD);
      }
    }
    rt = (MPI_Wtime() - t0) / (double)n;
    MPI_Barrier(MPI_COMM_WORLD);
    /* one-way: rank 1 streams, rank 0 receives; a final ack closes the timing */
    t0 = MPI_Wtime();
    for (long i = 0; i < n && rank < 2; i++) {
      if (rank == 1)
        MPI_Send(buf, 8, MPI_BYTE, 0, 1, MPI_COMM_WORLD);
      else
        MPI_Recv(buf, 8, MPI_BYTE, 1, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    }
    if (rank == 0) MPI_Send(buf, 8, MPI_BYTE, 1, 2, MPI_COMM_WORLD);
    if (rank == 1) MPI_Recv(buf, 8, MPI_BYTE, 0, 2, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    ow = (MPI_Wtime() - t0) / (double)n;
    MPI_Barrier(MPI_COMM_WORLD);
    if (rank < 2) pr = polled(n, rank);
  }
  if (rank == 0)
    printf("pingpong round trip %.3f us rate %.0f round-trips/s one-way %.0f msgs/s polled %.0f "
           "round-trips/s\n",
           rt * 1e6, 1.0 / rt, 1.0 / ow, 1.0 / pr);
  MPI_Finalize();
  return 0;
}
