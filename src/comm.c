/* comm.c - nonblocking send and receive pools over MPI (see comm.h). */
#include "comm.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "clock.h"
#include "taskfarm.h"

/* Receive buffers this large come from the kernel and go straight back to
 * it. The C library would keep freed ones for reuse (glibc raises the size
 * it keeps with the largest buffer freed), so large results would hold the
 * master's memory above the --max-in-flight budget long after they were
 * collected. */
#define TF_COMM_MAP_BYTES ((size_t)1 << 20)

static void *buf_alloc(size_t len) {
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

static int mpi_fail(tf_comm *c, const char *what, int rc) {
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
  return 0;
}

void tf__comm_destroy(tf_comm *c) {
  for (int i = 0; i < c->nsends; i++)
    tf__wbuf_free(&c->sends[i].w);
  for (int i = 0; i < c->nrecvs; i++)
    tf__comm_buf_free(c->recvs[i].buf, (size_t)c->recvs[i].len);
  free(c->sends);
  free(c->send_reqs);
  free(c->recvs);
  free(c->recv_reqs);
  free(c->idx);
  free(c->st);
  memset(c, 0, sizeof *c);
}

static int grow_scratch(tf_comm *c, int n) {
  if (n <= c->cap_idx) return 0;
  int cap = c->cap_idx ? c->cap_idx : 16;
  while (cap < n)
    cap *= 2;
  int *idx = realloc(c->idx, (size_t)cap * sizeof *idx);
  if (!idx) return TF_ENOMEM;
  c->idx = idx;
  MPI_Status *st = realloc(c->st, (size_t)cap * sizeof *st);
  if (!st) return TF_ENOMEM;
  c->st = st;
  c->cap_idx = cap;
  return 0;
}

tf_wbuf *tf__comm_buffer(tf_comm *c) {
  for (int i = 0; i < c->nsends; i++)
    if (!c->sends[i].busy) return &c->sends[i].w;
  if (c->nsends == c->cap_sends) {
    int cap = c->cap_sends ? 2 * c->cap_sends : 8;
    if (grow_scratch(c, cap)) return NULL;
    tf_send_slot *s = realloc(c->sends, (size_t)cap * sizeof *s);
    if (!s) return NULL;
    c->sends = s;
    MPI_Request *r = realloc(c->send_reqs, (size_t)cap * sizeof *r);
    if (!r) return NULL;
    c->send_reqs = r;
    c->cap_sends = cap;
  }
  tf_send_slot *s = &c->sends[c->nsends];
  memset(s, 0, sizeof *s);
  c->send_reqs[c->nsends] = MPI_REQUEST_NULL;
  c->nsends++;
  return &s->w;
}

int tf__comm_send(tf_comm *c, tf_wbuf *w, int dest) {
  return tf__comm_send_tag(c, w, dest, TF_WIRE_TAG);
}

int tf__comm_send_tag(tf_comm *c, tf_wbuf *w, int dest, int tag) {
  int i = (int)((tf_send_slot *)(void *)w - c->sends);
  if (w->len > (size_t)INT_MAX) {
    snprintf(c->errmsg, sizeof c->errmsg, "a message of %zu bytes is over MPI's limit of %d",
             w->len, INT_MAX);
    return TF_ETOOBIG;
  }
  int rc = MPI_Isend(w->buf, (int)w->len, MPI_BYTE, dest, tag, c->comm, &c->send_reqs[i]);
  if (rc != MPI_SUCCESS) return mpi_fail(c, "MPI_Isend", rc);
  c->sends[i].busy = 1;
  c->sends[i].dest = dest;
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

static void abandon(void *p) {
  if (nabandoned == cap_abandoned) {
    size_t cap = cap_abandoned ? 2 * cap_abandoned : 16;
    void **a = realloc(abandoned, cap * sizeof *a);
    if (!a) return; /* then it is merely leaked */
    abandoned = a;
    cap_abandoned = cap;
  }
  abandoned[nabandoned++] = p;
}

void tf__comm_forget(tf_comm *c, int rank) {
  for (int i = 0; i < c->nsends; i++) {
    if (!c->sends[i].busy || c->sends[i].dest != rank) continue;
    MPI_Request_free(&c->send_reqs[i]);
    c->send_reqs[i] = MPI_REQUEST_NULL;
    abandon(c->sends[i].w.buf);
    memset(&c->sends[i].w, 0, sizeof c->sends[i].w); /* MPI may still read the buffer */
    c->sends[i].busy = 0;
    c->busy_sends--;
  }
  for (int i = 0; i < c->nrecvs;) {
    if (c->recvs[i].source != rank || c->recvs[i].done) {
      i++;
      continue;
    }
    MPI_Request_free(&c->recv_reqs[i]); /* the buffer is MPI's from now on */
    abandon(c->recvs[i].buf);
    memmove(&c->recvs[i], &c->recvs[i + 1], (size_t)(c->nrecvs - i - 1) * sizeof *c->recvs);
    memmove(&c->recv_reqs[i], &c->recv_reqs[i + 1],
            (size_t)(c->nrecvs - i - 1) * sizeof *c->recv_reqs);
    c->nrecvs--;
  }
}

int tf__comm_progress_sends(tf_comm *c) {
  if (!c->busy_sends) return 0;
  int n = 0;
  int rc = MPI_Testsome(c->nsends, c->send_reqs, &n, c->idx, MPI_STATUSES_IGNORE);
  if (rc != MPI_SUCCESS) return mpi_fail(c, "MPI_Testsome (sends)", rc);
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

static int post_recv(tf_comm *c, MPI_Message *msg, MPI_Status *st) {
  int count = 0;
  MPI_Get_count(st, MPI_BYTE, &count);
  if (c->nrecvs == c->cap_recvs) {
    int cap = c->cap_recvs ? 2 * c->cap_recvs : 8;
    if (grow_scratch(c, cap)) return TF_ENOMEM;
    tf_recv_slot *s = realloc(c->recvs, (size_t)cap * sizeof *s);
    if (!s) return TF_ENOMEM;
    c->recvs = s;
    MPI_Request *r = realloc(c->recv_reqs, (size_t)cap * sizeof *r);
    if (!r) return TF_ENOMEM;
    c->recv_reqs = r;
    c->cap_recvs = cap;
  }
  tf_recv_slot *s = &c->recvs[c->nrecvs];
  s->buf = buf_alloc(count > 0 ? (size_t)count : 0);
  if (!s->buf) return TF_ENOMEM;
  s->len = count;
  s->source = st->MPI_SOURCE;
  s->done = 0;
  int rc = MPI_Imrecv(s->buf, count, MPI_BYTE, msg, &c->recv_reqs[c->nrecvs]);
  if (rc != MPI_SUCCESS) {
    tf__comm_buf_free(s->buf, (size_t)count);
    return mpi_fail(c, "MPI_Imrecv", rc);
  }
  c->nrecvs++;
  return 0;
}

int tf__comm_poll(tf_comm *c, int source, tf_msg *m) {
  /* Match everything that has arrived, so large messages start moving. */
  for (;;) {
    int flag = 0;
    MPI_Message msg;
    MPI_Status st;
    int rc = MPI_Improbe(source, TF_WIRE_TAG, c->comm, &flag, &msg, &st);
    if (rc != MPI_SUCCESS) return mpi_fail(c, "MPI_Improbe", rc);
    if (!flag) break;
    rc = post_recv(c, &msg, &st);
    if (rc) return rc;
  }
  if (!c->nrecvs) return 0;
  int n = 0;
  int rc = MPI_Testsome(c->nrecvs, c->recv_reqs, &n, c->idx, c->st);
  if (rc != MPI_SUCCESS) return mpi_fail(c, "MPI_Testsome (receives)", rc);
  if (n != MPI_UNDEFINED)
    for (int k = 0; k < n; k++)
      c->recvs[c->idx[k]].done = 1;
  /* Hand out the first finished message that no earlier message from the
   * same source is still ahead of. */
  for (int i = 0; i < c->nrecvs; i++) {
    if (!c->recvs[i].done) continue;
    int blocked = 0;
    for (int j = 0; j < i && !blocked; j++)
      blocked = c->recvs[j].source == c->recvs[i].source;
    if (blocked) continue;
    m->buf = c->recvs[i].buf;
    m->len = c->recvs[i].len;
    m->source = c->recvs[i].source;
    c->msgs_recv++;
    c->bytes_recv += (uint64_t)m->len;
    memmove(&c->recvs[i], &c->recvs[i + 1], (size_t)(c->nrecvs - i - 1) * sizeof *c->recvs);
    memmove(&c->recv_reqs[i], &c->recv_reqs[i + 1],
            (size_t)(c->nrecvs - i - 1) * sizeof *c->recv_reqs);
    c->nrecvs--;
    return 1;
  }
  return 0;
}

/* ---- this rank's children as a port (port.h) ---- */

static tf_wbuf *port_buffer(void *ctx) { return tf__comm_buffer(ctx); }

static int port_send(void *ctx, tf_wbuf *w, int i, int tag) {
  tf_comm *c = ctx;
  return tf__comm_send_tag(c, w, tf__layout_child_rank(&c->layout, i), tag);
}

static int port_poll(void *ctx, unsigned char **buf, size_t *len, int *i) {
  tf_comm *c = ctx;
  tf_msg m;
  int rc = tf__comm_poll(c, MPI_ANY_SOURCE, &m);
  if (rc <= 0) return rc;
  *i = tf__layout_child_index(&c->layout, m.source);
  if (*i < 0) { /* not one of this rank's children: nobody else may speak to it here */
    snprintf(c->errmsg, sizeof c->errmsg, "a message from rank %d, which is not a worker of rank %d",
             m.source, c->rank);
    tf__comm_buf_free(m.buf, (size_t)m.len);
    return TF_EPROTO;
  }
  *buf = m.buf;
  *len = (size_t)m.len;
  return 1;
}

static void port_release(void *ctx, unsigned char *buf, size_t len) {
  (void)ctx;
  tf__comm_buf_free(buf, len);
}

static int port_progress(void *ctx) { return tf__comm_progress_sends(ctx); }
static int port_drain(void *ctx, double timeout) { return tf__comm_drain_sends(ctx, timeout); }

static void port_forget(void *ctx, int i) {
  tf_comm *c = ctx;
  tf__comm_forget(c, tf__layout_child_rank(&c->layout, i));
}

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
  int rc = tf__comm_poll(c, c->layout.parent, &m);
  if (rc <= 0) return rc;
  *buf = m.buf;
  *len = (size_t)m.len;
  *i = 0;
  return 1;
}

static void parent_forget(void *ctx, int i) {
  tf_comm *c = ctx;
  (void)i;
  tf__comm_forget(c, c->layout.parent);
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
