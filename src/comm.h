/* comm.h - the transport: nonblocking MPI point-to-point on the library's
 * own communicator. Sends own their buffer until MPI is done with it. Each
 * peer this rank hears from (its children, its parent) has receives kept
 * posted into reused buffers of TF_WIRE_SMALL bytes; a larger frame is
 * announced there and received into a buffer of its size (wire.h). No rank
 * ever blocks on one peer, and each peer's frames are handed out in the
 * order they were sent. */
#ifndef TF_COMM_H
#define TF_COMM_H

#include <mpi.h>

#include "layout.h"
#include "port.h"
#include "wire.h"

#define TF_COMM_SLOTS 2  /* receives kept posted per peer */
#define TF_COMM_SPARE 64 /* small buffers kept for reuse once handed back */

typedef struct tf_send_slot {
  tf_wbuf w;
  unsigned char *note; /* the announcement of a large frame (wire.h), or NULL */
  int busy;
  int dest;
  MPI_Comm comm; /* dest's communicator */
} tf_send_slot;

/* A peer frames come from: TF_COMM_SLOTS receives posted in turn (a peer's
 * messages fill them in the order they were posted), and at most one
 * announced large frame on its way. */
typedef struct tf_lane {
  int rank; /* the peer; -1 once forgotten */
  int peer; /* the peer, for good */
  MPI_Comm comm; /* the communicator it is on: the farm's, or a joined job's (accept.h) */
  int next; /* the slot posted first: its message is the peer's next */
  unsigned char *slot[TF_COMM_SLOTS];
  int len[TF_COMM_SLOTS + 1]; /* bytes received in each slot and the large frame; -1: pending */
  unsigned char *big;         /* the announced large frame being received, or NULL */
  size_t big_len;
} tf_lane;

typedef struct tf_comm {
  MPI_Comm comm;
  int rank, size;
  tf_layout layout; /* who this rank's children and parent are, at tf__comm_init: children
                       added later (tf__comm_add_children) are lanes only, and its arrays
                       are the caller's, which may move as the root's layout grows */
  tf_send_slot *sends;
  MPI_Request *send_reqs;
  int nsends, busy_sends;
  size_t cap_sends, cap_send_reqs;
  tf_lane *lanes; /* the children's (child i is lane i), then the parent's */
  int nlanes;
  int nkids;      /* lanes of children */
  MPI_Request *lane_reqs; /* TF_COMM_SLOTS + 1 per lane: the slots, then the large frame */
  int rr;                 /* the child lane looked at first next time (round robin) */
  int drained[2];         /* the last poll of the parent's lane [0], the children's [1], took a
                             message MPI had reported */
  unsigned char *spare[TF_COMM_SPARE];
  int nspare;
  int *idx; /* scratch for Testsome */
  MPI_Status *st;
  size_t cap_idx, cap_st;
  char errmsg[400]; /* the last MPI error, named */
  uint64_t msgs_sent, bytes_sent, msgs_recv, bytes_recv; /* for --stats */
} tf_comm;

/* A received message; buf belongs to the caller until it hands it back
 * with tf__comm_release. */
typedef struct tf_msg {
  unsigned char *buf;
  int len, source;
  int lane; /* a child's message: the child's index */
} tf_msg;

/* On comm, as the rank layout describes; posts the receives from every
 * child and the parent. Returns 0, TF_ENOMEM or TF_EMPI (reason in errmsg). */
int tf__comm_init(tf_comm *c, MPI_Comm comm, const tf_layout *layout);
void tf__comm_destroy(tf_comm *c);
/* n more children, ranks 1..n of comm (a joined job's, accept.h): they
 * become children nkids..nkids+n-1. For a rank without a parent only (the
 * root). Returns 0, TF_ENOMEM, TF_EMPI or TF_EINVAL. */
int tf__comm_add_children(tf_comm *c, MPI_Comm comm, int n);

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
/* Give up on everything to or from the peer of lane (it is lost): its
 * unfinished sends and receives are abandoned. Their buffers are left to
 * MPI, which may still hold them, so they are not freed. */
void tf__comm_forget(tf_comm *c, int lane);
/* The next message from a child (children: 1) or from the parent (0).
 * Returns 1 and fills *m when a whole message is ready, 0 when none, or a
 * negative error. MPI is asked once for a run of calls that each take a
 * message: the 0 that ends such a run does not ask it again, the next call
 * does (drain with it, then poll again on the next turn). */
int tf__comm_poll(tf_comm *c, int children, tf_msg *m);
/* Hand back a message's buffer (NULL is fine). */
void tf__comm_release(tf_comm *c, void *buf, size_t len);
/* Free a buffer of len bytes from the large-frame allocator. */
void tf__comm_buf_free(void *buf, size_t len);

/* This rank's children as a downstream engine's port (port.h): peer i is
 * child i of the layout. */
tf_port tf__comm_port(tf_comm *c);
/* This rank's parent as an upstream engine's port: peer 0. */
tf_port tf__comm_parent_port(tf_comm *c);

#endif
