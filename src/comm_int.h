/* comm_int.h - what comm.c (sends, the ports) and comm_recv.c (the
 * receives kept posted) share; nothing else includes it. */
#ifndef TF_COMM_INT_H
#define TF_COMM_INT_H

#include "comm.h"

/* Name the failed MPI call in c->errmsg. Returns TF_EMPI. */
int tf__comm_mpi_fail(tf_comm *c, const char *what, int rc);
/* Keep p reachable but never free it: MPI may still write into it. */
void tf__comm_abandon(void *p);
/* Make the Testsome scratch hold n entries. 0 or TF_ENOMEM. */
int tf__comm_grow_scratch(tf_comm *c, int n);
/* A buffer for a large frame of len bytes (the kernel's, from 1 MiB). */
void *tf__comm_buf_alloc(size_t len);

/* Post the receives from every child and the parent. */
int tf__comm_lanes_init(tf_comm *c);
/* Cancel them, waiting briefly for those already matched. */
void tf__comm_lanes_destroy(tf_comm *c);
/* Abandon what is posted for lane. */
void tf__comm_lane_forget(tf_comm *c, int lane);
/* Send w to rank dest of comm (tf__comm_send_tag on any communicator). */
int tf__comm_send_on(tf_comm *c, tf_wbuf *w, MPI_Comm comm, int dest, int tag);

#endif
