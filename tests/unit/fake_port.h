/* fake_port.h - a port (src/port.h) in memory for the engines' unit tests: it keeps every
 * frame an engine sends, and hands it made-up frames from its peers (children of a downstream
 * engine; peer 0, the parent, of an upstream one). Header-only, for tests. */
#ifndef TF_FAKE_PORT_H
#define TF_FAKE_PORT_H

#include <stdlib.h>
#include <string.h>

#include "port.h"
#include "unit.h"
#include "wire.h"

enum { MAX_SENT = 64, MAX_IN = 64 };

typedef struct sent_frame {
  unsigned char *buf;
  size_t len;
  int child, tag;
} sent_frame;

typedef struct fake_port {
  tf_wbuf slot;
  sent_frame sent[MAX_SENT];
  int nsent;
  unsigned char *in[MAX_IN];
  size_t in_len[MAX_IN];
  int in_child[MAX_IN];
  int nin, in_head;
  int forgotten;
} fake_port;

static inline tf_wbuf *fp_buffer(void *ctx) { return &((fake_port *)ctx)->slot; }

static inline int fp_send(void *ctx, tf_wbuf *w, int i, int tag) {
  fake_port *p = ctx;
  CU_ASSERT_FATAL(p->nsent < MAX_SENT);
  sent_frame *s = &p->sent[p->nsent++];
  s->buf = malloc(w->len);
  memcpy(s->buf, w->buf, w->len);
  s->len = w->len;
  s->child = i;
  s->tag = tag;
  return 0;
}

static inline int fp_poll(void *ctx, unsigned char **buf, size_t *len, int *i) {
  fake_port *p = ctx;
  if (p->in_head == p->nin) return 0;
  *buf = p->in[p->in_head];
  *len = p->in_len[p->in_head];
  *i = p->in_child[p->in_head++];
  return 1;
}

static inline void fp_release(void *ctx, unsigned char *buf, size_t len) {
  (void)ctx, (void)len;
  free(buf);
}
static inline int fp_progress(void *ctx) { return (void)ctx, 0; }
static inline int fp_drain(void *ctx, double t) { return (void)ctx, (void)t, 0; }
static inline void fp_forget(void *ctx, int i) { (void)i, ((fake_port *)ctx)->forgotten++; }
static inline const char *fp_error(void *ctx) { return (void)ctx, "no error"; }

static inline void fp_counts(void *ctx, uint64_t *ms, uint64_t *bs, uint64_t *mr, uint64_t *br) {
  fake_port *p = ctx;
  *ms = (uint64_t)p->nsent;
  *mr = (uint64_t)p->in_head;
  *bs = *br = 0;
}

static inline tf_port fake(fake_port *p) {
  memset(p, 0, sizeof *p);
  return (tf_port){p, fp_buffer, fp_send, fp_poll, fp_release, fp_progress, fp_drain,
                   fp_forget, fp_error, NULL, fp_counts};
}

/* A frame peer i sends next: kind, aux, and entries added by the caller to w. */
static inline void arrive(fake_port *p, int i, tf_wbuf *w) {
  tf__wire_finish(w);
  CU_ASSERT_FATAL(p->nin < MAX_IN);
  p->in[p->nin] = malloc(w->len);
  memcpy(p->in[p->nin], w->buf, w->len);
  p->in_len[p->nin] = w->len;
  p->in_child[p->nin++] = i;
}

/* The last frame of the given kind sent to peer i, decoded into *f; NULL when none. */
static inline const sent_frame *last_to(fake_port *p, int i, int kind, tf_frame *f) {
  for (int k = p->nsent - 1; k >= 0; k--) {
    if (p->sent[k].child != i) continue;
    CU_ASSERT_EQUAL_FATAL(tf__wire_decode(p->sent[k].buf, p->sent[k].len, 1u << 30, f, NULL, 0), 0);
    if ((int)f->kind == kind) return &p->sent[k];
  }
  return NULL;
}

static inline void fake_port_free(fake_port *p) {
  for (int k = 0; k < p->nsent; k++)
    free(p->sent[k].buf);
  for (int k = p->in_head; k < p->nin; k++)
    free(p->in[k]);
  tf__wbuf_free(&p->slot);
}

#endif
