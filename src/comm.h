/* comm.h - the transport: nonblocking MPI point-to-point on the library's
 * own communicator. Sends own their buffer until MPI is done with it;
 * receives of any size are matched with MPI_Improbe and completed with
 * MPI_Imrecv, so no rank ever blocks on one peer. Messages from one source
 * are handed out in the order they were sent. */
#ifndef TF_COMM_H
#define TF_COMM_H

#include <mpi.h>

#include "layout.h"
#include "port.h"
#include "wire.h"

typedef struct tf_send_slot {
  tf_wbuf w;
  int busy;
  int dest;
} tf_send_slot;

typedef struct tf_recv_slot {
  unsigned char *buf;
  int len, source;
  int done;
} tf_recv_slot;

typedef struct tf_comm {
  MPI_Comm comm;
  int rank, size;
  tf_layout layout; /* who this rank's children and parent are */
  tf_send_slot *sends;
  MPI_Request *send_reqs;
  int nsends, cap_sends, busy_sends;
  tf_recv_slot *recvs; /* in match order */
  MPI_Request *recv_reqs;
  int nrecvs, cap_recvs;
  int *idx; /* scratch for Testsome */
  MPI_Status *st;
  int cap_idx;
  char errmsg[400]; /* the last MPI error, named */
  uint64_t msgs_sent, bytes_sent, msgs_recv, bytes_recv; /* for --stats */
} tf_comm;

/* A received message; buf belongs to the caller, who gives it back with
 * tf__comm_buf_free(buf, len). */
typedef struct tf_msg {
  unsigned char *buf;
  int len, source;
} tf_msg;

/* On comm, as the rank layout describes. */
int tf__comm_init(tf_comm *c, MPI_Comm comm, const tf_layout *layout);
void tf__comm_destroy(tf_comm *c);

/* A frame buffer to build the next message in; pass it to tf__comm_send. */
tf_wbuf *tf__comm_buffer(tf_comm *c);
/* Start sending the finished frame in w (from tf__comm_buffer) to dest.
 * Returns 0 or TF_EMPI / TF_ENOMEM. */
int tf__comm_send(tf_comm *c, tf_wbuf *w, int dest);
/* The same with another tag than TF_WIRE_TAG (tf__comm_poll never sees it). */
int tf__comm_send_tag(tf_comm *c, tf_wbuf *w, int dest, int tag);
/* Reap finished sends. Returns the number reaped or a negative error. */
int tf__comm_progress_sends(tf_comm *c);
/* Wait for every send to finish, up to timeout seconds. Returns 0 or
 * TF_EMPI (timeout counts as an error). */
int tf__comm_drain_sends(tf_comm *c, double timeout);
/* Give up on everything to or from rank (it is lost): its unfinished
 * sends and receives are abandoned. Their buffers are left to MPI, which
 * may still hold them, so they are not freed. */
void tf__comm_forget(tf_comm *c, int rank);
/* Poll for incoming messages from source (or MPI_ANY_SOURCE). Returns 1 and
 * fills *m when a whole message is ready, 0 when none, or a negative error. */
int tf__comm_poll(tf_comm *c, int source, tf_msg *m);

/* Free a received message's buffer (NULL is fine). */
void tf__comm_buf_free(void *buf, size_t len);

/* This rank's children as a downstream engine's port (port.h): peer i is
 * child i of the layout. */
tf_port tf__comm_port(tf_comm *c);
/* This rank's parent as an upstream engine's port: peer 0. */
tf_port tf__comm_parent_port(tf_comm *c);

#endif
