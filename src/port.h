/* port.h - how an engine's frames reach the ranks it talks to and come back:
 * for MPI, comm.c (tf__comm_port); in the unit tests, a list in memory. Peers
 * are numbered 0..n-1 (a downstream engine's children); the port knows which
 * rank each one is. */
#ifndef TF_PORT_H
#define TF_PORT_H

#include <stddef.h>
#include <stdint.h>

#include "taskfarm.h"
#include "wire.h"

typedef struct tf_port {
  void *ctx;
  tf_wbuf *(*buffer)(void *ctx); /* a frame to build the next message in, or NULL */
  /* Send the finished frame w (from buffer) to peer i with the given tag: 0,
   * or a negative TF_E* code with the reason in error(). */
  int (*send)(void *ctx, tf_wbuf *w, int i, int tag);
  /* The next whole message from any peer: 1 with *buf (give it back with
   * release), *len and *i set; 0 when none; < 0 on error. */
  int (*poll)(void *ctx, unsigned char **buf, size_t *len, int *i);
  void (*release)(void *ctx, unsigned char *buf, size_t len);
  int (*progress)(void *ctx);              /* move sends along: >= 0, or < 0 on error */
  int (*drain)(void *ctx, double timeout); /* finish every send, bounded: 0 or < 0 */
  void (*forget)(void *ctx, int i);        /* peer i is lost: abandon what is on the way */
  const char *(*error)(void *ctx);         /* the last error, named */
  /* A message of at most cap bytes with the given tag (not the frames' own)
   * from peer i, if one is there: 1 with *len set, 0 when none, < 0. */
  int (*take)(void *ctx, int i, int tag, unsigned char *buf, size_t cap, size_t *len);
  /* Messages and bytes sent and received so far, for --stats. */
  void (*counts)(void *ctx, uint64_t *msgs_sent, uint64_t *bytes_sent, uint64_t *msgs_recv,
                 uint64_t *bytes_recv);
} tf_port;

/* Send peer i a frame of the given kind with no entries (a heartbeat, a
 * STOP, a request for room): 0, TF_ENOMEM, or the send's error. */
static inline int tf__port_send_empty(const tf_port *p, int i, unsigned kind, uint32_t aux,
                                      int tag) {
  tf_wbuf *b = p->buffer(p->ctx);
  if (!b || tf__wire_begin(b, kind, aux)) return TF_ENOMEM;
  tf__wire_finish(b);
  return p->send(p->ctx, b, i, tag);
}

#endif
