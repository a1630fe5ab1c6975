/* comm_recv.c - the transport's receives (comm.h): for every peer frames
 * come from, TF_COMM_SLOTS receives kept posted into reused buffers, so a
 * small frame costs no probe and no allocation; a large frame, announced in
 * a slot, is received on TF_WIRE_TAG_BIG into a buffer of its size. MPI
 * matches a peer's messages to its receives in the order they were posted,
 * so handing out each lane's slots in that order, and a large frame before
 * anything after its note, keeps every peer's frames in order. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "comm_int.h"
#include "taskfarm.h"

enum { PER_LANE = TF_COMM_SLOTS + 1, BIG = TF_COMM_SLOTS };

static MPI_Request *reqs(tf_comm *c, int lane) { return &c->lane_reqs[lane * PER_LANE]; }

static int post_slot(tf_comm *c, int lane, int s) {
  tf_lane *l = &c->lanes[lane];
  l->len[s] = -1;
  int rc = MPI_Irecv(l->slot[s], TF_WIRE_SMALL, MPI_BYTE, l->rank, TF_WIRE_TAG, l->comm,
                     &reqs(c, lane)[s]);
  return rc == MPI_SUCCESS ? 0 : tf__comm_mpi_fail(c, "MPI_Irecv", rc);
}

static unsigned char *small_buffer(tf_comm *c) {
  return c->nspare ? c->spare[--c->nspare] : malloc(TF_WIRE_SMALL);
}

/* Lanes from..n-1 (the arrays hold n), for the peers rank_of gives. */
static int open_lanes(tf_comm *c, int from, int n, MPI_Comm comm, int (*rank_of)(tf_comm *, int)) {
  for (int lane = from; lane < n; lane++) {
    tf_lane *l = &c->lanes[lane];
    memset(l, 0, sizeof *l);
    l->rank = l->peer = rank_of(c, lane);
    l->comm = comm;
    l->len[BIG] = -1;
    c->nlanes = lane + 1; /* from here on destroy cancels what this lane posted */
    for (int s = 0; s < TF_COMM_SLOTS; s++) {
      if (!(l->slot[s] = malloc(TF_WIRE_SMALL))) return TF_ENOMEM;
      int rc = post_slot(c, lane, s);
      if (rc) return rc;
    }
  }
  return 0;
}

static int layout_rank(tf_comm *c, int lane) {
  return lane < c->layout.nchildren ? tf__layout_child_rank(&c->layout, lane) : c->layout.parent;
}

/* Room for n lanes in all; the new requests are null. */
static int grow_lanes(tf_comm *c, int n) {
  tf_lane *lanes = realloc(c->lanes, (size_t)n * sizeof *lanes);
  if (!lanes) return TF_ENOMEM;
  c->lanes = lanes;
  MPI_Request *r = realloc(c->lane_reqs, (size_t)n * PER_LANE * sizeof *r);
  if (!r) return TF_ENOMEM;
  c->lane_reqs = r;
  for (int i = c->nlanes * PER_LANE; i < n * PER_LANE; i++)
    r[i] = MPI_REQUEST_NULL;
  return tf__comm_grow_scratch(c, n * PER_LANE);
}

int tf__comm_lanes_init(tf_comm *c) {
  int n = c->layout.nchildren + (c->layout.parent >= 0);
  c->nkids = c->layout.nchildren;
  if (!n) return 0;
  int rc = grow_lanes(c, n);
  return rc ? rc : open_lanes(c, 0, n, c->comm, layout_rank);
}

static int joined_rank(tf_comm *c, int lane) { return lane - c->nkids + 1; }

int tf__comm_add_children(tf_comm *c, MPI_Comm comm, int n) {
  if (c->layout.parent >= 0 || n < 1) return TF_EINVAL;
  int rc = grow_lanes(c, c->nlanes + n);
  if (!rc) rc = open_lanes(c, c->nlanes, c->nlanes + n, comm, joined_rank);
  c->nkids = c->nlanes;
  return rc;
}

/* Cancel what lane still has posted; those that complete within a second
 * (matched already) are freed, the others left to MPI. */
static void cancel_lane(tf_comm *c, int lane, double deadline) {
  tf_lane *l = &c->lanes[lane];
  MPI_Request *r = reqs(c, lane);
  unsigned char *bufs[PER_LANE] = {l->slot[0], l->slot[1], l->big};
  for (int s = 0; s < PER_LANE; s++)
    if (r[s] != MPI_REQUEST_NULL) MPI_Cancel(&r[s]);
  for (int s = 0; s < PER_LANE; s++) {
    int done = r[s] == MPI_REQUEST_NULL;
    while (!done && tf__now() < deadline)
      if (MPI_Test(&r[s], &done, MPI_STATUS_IGNORE) != MPI_SUCCESS) break;
    if (!done) {
      MPI_Request_free(&r[s]);
      tf__comm_abandon(bufs[s]);
    } else if (s == BIG) {
      tf__comm_buf_free(l->big, l->big_len);
    } else {
      free(bufs[s]);
    }
  }
  memset(l, 0, sizeof *l);
  l->rank = -1;
}

void tf__comm_lanes_destroy(tf_comm *c) {
  double deadline = tf__now() + 1.0;
  for (int lane = 0; lane < c->nlanes; lane++)
    if (c->lanes[lane].rank >= 0) cancel_lane(c, lane, deadline);
  while (c->nspare)
    free(c->spare[--c->nspare]);
  free(c->lanes);
  free(c->lane_reqs);
  c->lanes = NULL;
  c->lane_reqs = NULL;
  c->nlanes = 0;
}

void tf__comm_lane_forget(tf_comm *c, int lane) {
  tf_lane *l = &c->lanes[lane];
  if (l->rank < 0) return;
  MPI_Request *r = reqs(c, lane);
  unsigned char *bufs[PER_LANE] = {l->slot[0], l->slot[1], l->big};
  for (int s = 0; s < PER_LANE; s++) {
    if (r[s] == MPI_REQUEST_NULL) {
      if (s == BIG) tf__comm_buf_free(l->big, l->big_len);
      else free(bufs[s]);
      continue;
    }
    MPI_Cancel(&r[s]);
    MPI_Request_free(&r[s]); /* the buffer is MPI's from now on */
    tf__comm_abandon(bufs[s]);
  }
  l->slot[0] = l->slot[1] = l->big = NULL;
  l->rank = -1; /* peer and comm stay: sends to it may still be forgotten */
}

/* Note which receives of lanes [lo, hi) have finished, and how long their
 * messages are. */
static int test_lanes(tf_comm *c, int lo, int hi) {
  int n = 0;
  int rc = MPI_Testsome((hi - lo) * PER_LANE, reqs(c, lo), &n, c->idx, c->st);
  if (rc != MPI_SUCCESS && rc != MPI_ERR_IN_STATUS)
    return tf__comm_mpi_fail(c, "MPI_Testsome (receives)", rc);
  if (n == MPI_UNDEFINED) return 0;
  for (int k = 0; k < n; k++) {
    int lane = lo + c->idx[k] / PER_LANE, s = c->idx[k] % PER_LANE;
    MPI_Status *st = &c->st[k];
    if (rc == MPI_ERR_IN_STATUS && st->MPI_ERROR != MPI_SUCCESS) {
      if (st->MPI_ERROR == MPI_ERR_TRUNCATE) {
        snprintf(c->errmsg, sizeof c->errmsg,
                 "rank %d sent a message of more than %u bytes without announcing it",
                 c->lanes[lane].rank, TF_WIRE_SMALL);
        return TF_EPROTO;
      }
      return tf__comm_mpi_fail(c, "a receive", st->MPI_ERROR);
    }
    int len = 0;
    MPI_Get_count(st, MPI_BYTE, &len);
    c->lanes[lane].len[s] = len;
  }
  return 0;
}

static int is_note(const unsigned char *buf) {
  size_t len;
  return tf__wire_is_note(buf, TF_WIRE_NOTE_SIZE, INT_MAX, &len) != 0;
}

/* The note in slot s announces a large frame: post its receive and the slot
 * again, and see whether the frame is already here. */
static int expect_big(tf_comm *c, int lane, int s) {
  tf_lane *l = &c->lanes[lane];
  size_t len = 0;
  if (tf__wire_is_note(l->slot[s], (size_t)l->len[s], INT_MAX, &len) < 0) {
    snprintf(c->errmsg, sizeof c->errmsg, "rank %d announced a frame of an impossible size",
             l->rank);
    return TF_EPROTO;
  }
  if (!(l->big = tf__comm_buf_alloc(len))) return TF_ENOMEM;
  l->big_len = len;
  l->len[BIG] = -1;
  int rc = MPI_Irecv(l->big, (int)len, MPI_BYTE, l->rank, TF_WIRE_TAG_BIG, l->comm,
                     &reqs(c, lane)[BIG]);
  if (rc != MPI_SUCCESS) {
    tf__comm_buf_free(l->big, len);
    l->big = NULL;
    return tf__comm_mpi_fail(c, "MPI_Irecv", rc);
  }
  l->next = (s + 1) % TF_COMM_SLOTS;
  rc = post_slot(c, lane, s);
  return rc ? rc : test_lanes(c, lane, lane + 1);
}

/* The next message of lane, in order: 1 with *m filled, 0 when it has not
 * arrived, or < 0. */
static int take_from(tf_comm *c, int lane, tf_msg *m) {
  tf_lane *l = &c->lanes[lane];
  for (;;) {
    if (l->rank < 0) return 0;
    if (l->big) {
      if (l->len[BIG] < 0) return 0;
      *m = (tf_msg){l->big, l->len[BIG], l->rank, lane};
      l->big = NULL;
      l->len[BIG] = -1;
      return 1;
    }
    int s = l->next;
    if (l->len[s] < 0) return 0;
    if (l->len[s] == TF_WIRE_NOTE_SIZE && is_note(l->slot[s])) {
      int rc = expect_big(c, lane, s);
      if (rc) return rc;
      continue; /* the frame may be here already */
    }
    unsigned char *fresh = small_buffer(c);
    if (!fresh) return TF_ENOMEM;
    *m = (tf_msg){l->slot[s], l->len[s], l->rank, lane};
    l->slot[s] = fresh;
    l->next = (s + 1) % TF_COMM_SLOTS;
    int rc = post_slot(c, lane, s);
    return rc ? rc : 1;
  }
}

/* The next message of lanes [lo, hi) that MPI has reported, round robin
 * among children: 1, 0 or < 0. */
static int take_reported(tf_comm *c, int children, int lo, int hi, tf_msg *m) {
  int n = hi - lo;
  for (int k = 0; k < n; k++) {
    int lane = lo + (c->rr + k) % n;
    int rc = take_from(c, lane, m);
    if (rc == 0) continue;
    if (rc > 0) {
      if (children) c->rr = (lane - lo + 1) % n; /* the others first next time */
      c->msgs_recv++;
      c->bytes_recv += (uint64_t)m->len;
    }
    return rc;
  }
  return 0;
}

/* The receives are tested once for a run of polls that each take a
 * message (a caller drains its messages that way): what MPI reported is
 * taken first, and when that is all, the run ends without asking MPI again
 * (the next poll does). MPI_Testsome costs about as much as the rest of a
 * small message's handling. */
int tf__comm_poll(tf_comm *c, int children, tf_msg *m) {
  int lo = children ? 0 : c->nkids;
  int hi = children ? c->nkids : c->nlanes;
  if (lo >= hi) return 0;
  int rc, *drained = &c->drained[children != 0];
  if (*drained) {
    rc = take_reported(c, children, lo, hi, m);
    if (rc) return rc;
    *drained = 0;
    return 0;
  }
  rc = test_lanes(c, lo, hi);
  if (rc) return rc;
  rc = take_reported(c, children, lo, hi, m);
  *drained = rc > 0;
  return rc;
}

void tf__comm_release(tf_comm *c, void *buf, size_t len) {
  if (!buf) return;
  if (len > TF_WIRE_SMALL)
    tf__comm_buf_free(buf, len);
  else if (c->nspare < TF_COMM_SPARE)
    c->spare[c->nspare++] = buf;
  else
    free(buf);
}
