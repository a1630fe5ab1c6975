/* comm.c - the transport's sends, and the ports the engines see (comm.h);
 * the receives are comm_recv.c's. */
#include "comm.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "clock.h"
#include "comm_int.h"
#include "taskfarm.h"
#include "vec.h"

/* Receive buffers this large come from the kernel and go straight back to
 * it. The C library would keep freed ones for reuse (glibc raises the size
 * it keeps with the largest buffer freed), so large results would hold the
 * master's memory above the --max-in-flight budget long after they were
 * collected. */
#define TF_COMM_MAP_BYTES ((size_t)1 << 20)

void *tf__comm_buf_alloc(size_t len) {
  if (len < TF_COMM_MAP_BYTES) return malloc(len ? len : 1);
  void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  return p == MAP_FAILED ? NULL : p;
}

void tf__comm_buf_free(void *buf, size_t len) {
  if (!buf) return;
  if (len < TF_COMM_MAP_BYTES)
    free(buf);
  else
    munmap(buf, len);
}

int tf__comm_mpi_fail(tf_comm *c, const char *what, int rc) {
  char s[MPI_MAX_ERROR_STRING];
  int n = 0;
  if (MPI_Error_string(rc, s, &n) != MPI_SUCCESS) snprintf(s, sizeof s, "code %d", rc);
  snprintf(c->errmsg, sizeof c->errmsg, "%s failed: %s", what, s);
  return TF_EMPI;
}

int tf__comm_init(tf_comm *c, MPI_Comm comm, const tf_layout *layout) {
  memset(c, 0, sizeof *c);
  c->comm = comm;
  c->layout = *layout;
  MPI_Comm_rank(comm, &c->rank);
  MPI_Comm_size(comm, &c->size);
  return tf__comm_lanes_init(c);
}

void tf__comm_destroy(tf_comm *c) {
  tf__comm_lanes_destroy(c);
  for (int i = 0; i < c->nsends; i++) {
    tf__wbuf_free(&c->sends[i].w);
    free(c->sends[i].note);
  }
  free(c->sends);
  free(c->send_reqs);
  free(c->idx);
  free(c->st);
  memset(c, 0, sizeof *c);
}

int tf__comm_grow_scratch(tf_comm *c, int n) {
  return tf__vec_reserve(&c->idx, &c->cap_idx, (size_t)n, sizeof *c->idx, 16) ||
                 tf__vec_reserve(&c->st, &c->cap_st, (size_t)n, sizeof *c->st, 16)
             ? TF_ENOMEM
             : 0;
}

tf_wbuf *tf__comm_buffer(tf_comm *c) {
  for (int i = 0; i < c->nsends; i++)
    if (!c->sends[i].busy) return &c->sends[i].w;
  size_t n = (size_t)c->nsends + 1;
  if (tf__vec_reserve(&c->sends, &c->cap_sends, n, sizeof *c->sends, 8) ||
      tf__vec_reserve(&c->send_reqs, &c->cap_send_reqs, n, sizeof *c->send_reqs, 8) ||
      tf__comm_grow_scratch(c, (int)n))
    return NULL;
  tf_send_slot *s = &c->sends[c->nsends];
  memset(s, 0, sizeof *s);
  c->send_reqs[c->nsends] = MPI_REQUEST_NULL;
  c->nsends++;
  return &s->w;
}

int tf__comm_send(tf_comm *c, tf_wbuf *w, int dest) {
  return tf__comm_send_tag(c, w, dest, TF_WIRE_TAG);
}

/* A frame over TF_WIRE_SMALL is announced on TF_WIRE_TAG first (wire.h).
 * The note is not waited for: the frame's own send cannot finish before the
 * receiver has read the note, and the slot keeps the note until then. */
static int announce(tf_comm *c, tf_send_slot *s, MPI_Comm comm, int dest) {
  if (!s->note && !(s->note = malloc(TF_WIRE_NOTE_SIZE))) return TF_ENOMEM;
  tf__wire_note(s->note, s->w.len);
  MPI_Request r;
  int rc = MPI_Isend(s->note, TF_WIRE_NOTE_SIZE, MPI_BYTE, dest, TF_WIRE_TAG, comm, &r);
  if (rc != MPI_SUCCESS) return tf__comm_mpi_fail(c, "MPI_Isend", rc);
  MPI_Request_free(&r);
  return 0;
}

int tf__comm_send_tag(tf_comm *c, tf_wbuf *w, int dest, int tag) {
  return tf__comm_send_on(c, w, c->comm, dest, tag);
}

int tf__comm_send_on(tf_comm *c, tf_wbuf *w, MPI_Comm comm, int dest, int tag) {
  int i = (int)((tf_send_slot *)(void *)w - c->sends);
  if (w->len > (size_t)INT_MAX) {
    snprintf(c->errmsg, sizeof c->errmsg, "a message of %zu bytes is over MPI's limit of %d",
             w->len, INT_MAX);
    return TF_ETOOBIG;
  }
  if (tag == TF_WIRE_TAG && w->len > TF_WIRE_SMALL) {
    int rc = announce(c, &c->sends[i], comm, dest);
    if (rc) return rc;
    tag = TF_WIRE_TAG_BIG;
  }
  int rc = MPI_Isend(w->buf, (int)w->len, MPI_BYTE, dest, tag, comm, &c->send_reqs[i]);
  if (rc != MPI_SUCCESS) return tf__comm_mpi_fail(c, "MPI_Isend", rc);
  c->sends[i].busy = 1;
  c->sends[i].dest = dest;
  c->sends[i].comm = comm;
  c->busy_sends++;
  c->msgs_sent++;
  c->bytes_sent += w->len;
  return 0;
}

/* Buffers given up to MPI for a lost peer: never freed (MPI may still touch
 * them until the process ends), but kept reachable, so that a leak checker
 * does not count them. */
static void **abandoned;
static size_t nabandoned, cap_abandoned;

void tf__comm_abandon(void *p) {
  if (!p) return;
  if (tf__vec_reserve(&abandoned, &cap_abandoned, nabandoned + 1, sizeof *abandoned, 16) == 0)
    abandoned[nabandoned++] = p; /* else it is merely leaked */
}

void tf__comm_forget(tf_comm *c, int lane) {
  if (lane < 0 || lane >= c->nlanes) return;
  const tf_lane *l = &c->lanes[lane];
  for (int i = 0; i < c->nsends; i++) {
    if (!c->sends[i].busy || c->sends[i].dest != l->peer || c->sends[i].comm != l->comm) continue;
    MPI_Request_free(&c->send_reqs[i]);
    c->send_reqs[i] = MPI_REQUEST_NULL;
    tf__comm_abandon(c->sends[i].w.buf);
    tf__comm_abandon(c->sends[i].note);
    memset(&c->sends[i].w, 0, sizeof c->sends[i].w); /* MPI may still read the buffers */
    c->sends[i].note = NULL;
    c->sends[i].busy = 0;
    c->busy_sends--;
  }
  tf__comm_lane_forget(c, lane);
}

int tf__comm_progress_sends(tf_comm *c) {
  if (!c->busy_sends) return 0;
  int n = 0;
  int rc = MPI_Testsome(c->nsends, c->send_reqs, &n, c->idx, MPI_STATUSES_IGNORE);
  if (rc != MPI_SUCCESS) return tf__comm_mpi_fail(c, "MPI_Testsome (sends)", rc);
  if (n == MPI_UNDEFINED) return 0;
  for (int k = 0; k < n; k++)
    c->sends[c->idx[k]].busy = 0;
  c->busy_sends -= n;
  return n;
}

int tf__comm_drain_sends(tf_comm *c, double timeout) {
  double end = tf__now() + timeout;
  while (c->busy_sends) {
    int rc = tf__comm_progress_sends(c);
    if (rc < 0) return rc;
    if (c->busy_sends && tf__now() > end) {
      snprintf(c->errmsg, sizeof c->errmsg, "%d message(s) still unsent after %.0f s",
               c->busy_sends, timeout);
      return TF_EMPI;
    }
    if (c->busy_sends) {
      struct timespec ts = {0, 100000};
      nanosleep(&ts, NULL);
    }
  }
  return 0;
}

/* ---- this rank's children as a port (port.h) ---- */

static tf_wbuf *port_buffer(void *ctx) { return tf__comm_buffer(ctx); }

static int port_send(void *ctx, tf_wbuf *w, int i, int tag) {
  tf_comm *c = ctx;
  return tf__comm_send_on(c, w, c->lanes[i].comm, c->lanes[i].peer, tag);
}

static int port_poll(void *ctx, unsigned char **buf, size_t *len, int *i) {
  tf_comm *c = ctx;
  tf_msg m;
  int rc = tf__comm_poll(c, 1, &m);
  if (rc <= 0) return rc;
  *i = m.lane;
  *buf = m.buf;
  *len = (size_t)m.len;
  return 1;
}

static void port_release(void *ctx, unsigned char *buf, size_t len) {
  tf__comm_release(ctx, buf, len);
}

static int port_progress(void *ctx) { return tf__comm_progress_sends(ctx); }
static int port_drain(void *ctx, double timeout) { return tf__comm_drain_sends(ctx, timeout); }

static void port_forget(void *ctx, int i) { tf__comm_forget(ctx, i); }

static const char *port_error(void *ctx) { return ((tf_comm *)ctx)->errmsg; }

static void port_counts(void *ctx, uint64_t *ms, uint64_t *bs, uint64_t *mr, uint64_t *br) {
  const tf_comm *c = ctx;
  *ms = c->msgs_sent;
  *bs = c->bytes_sent;
  *mr = c->msgs_recv;
  *br = c->bytes_recv;
}

tf_port tf__comm_port(tf_comm *c) {
  return (tf_port){c,          port_buffer, port_send,   port_poll,  port_release, port_progress,
                   port_drain, port_forget, port_error, NULL,       port_counts};
}

/* ---- this rank's parent as a port: peer 0 ---- */

static int parent_send(void *ctx, tf_wbuf *w, int i, int tag) {
  tf_comm *c = ctx;
  (void)i;
  return tf__comm_send_tag(c, w, c->layout.parent, tag);
}

static int parent_poll(void *ctx, unsigned char **buf, size_t *len, int *i) {
  tf_comm *c = ctx;
  tf_msg m;
  int rc = tf__comm_poll(c, 0, &m);
  if (rc <= 0) return rc;
  *buf = m.buf;
  *len = (size_t)m.len;
  *i = 0;
  return 1;
}

static void parent_forget(void *ctx, int i) {
  tf_comm *c = ctx;
  (void)i;
  tf__comm_forget(c, c->nkids); /* the parent's lane follows the children's */
}

static int parent_take(void *ctx, int i, int tag, unsigned char *buf, size_t cap, size_t *len) {
  tf_comm *c = ctx;
  int flag = 0, n = 0;
  MPI_Status st;
  (void)i;
  if (MPI_Iprobe(c->layout.parent, tag, c->comm, &flag, &st) != MPI_SUCCESS) return TF_EMPI;
  if (!flag) return 0;
  MPI_Get_count(&st, MPI_BYTE, &n);
  if (n < 0 || (size_t)n > cap) return TF_EPROTO;
  if (MPI_Recv(buf, n, MPI_BYTE, c->layout.parent, tag, c->comm, MPI_STATUS_IGNORE) != MPI_SUCCESS)
    return TF_EMPI;
  *len = (size_t)n;
  return 1;
}

tf_port tf__comm_parent_port(tf_comm *c) {
  return (tf_port){c,          port_buffer,   parent_send, parent_poll, port_release, port_progress,
                   port_drain, parent_forget, port_error,  parent_take, port_counts};
}
