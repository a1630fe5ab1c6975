/* pingpong.c - the physical limit the framework is measured against: 8-byte
 * round trips between ranks 0 and 1 (a master that answers each request with
 * one reply can do no better), and a one-way stream of 8-byte messages. Each
 * figure is the second of two passes. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

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
  double rt = 0, ow = 0;
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
  }
  if (rank == 0)
    printf("pingpong round trip %.3f us rate %.0f round-trips/s one-way %.0f msgs/s\n", rt * 1e6,
           1.0 / rt, 1.0 / ow);
  MPI_Finalize();
  return 0;
}
