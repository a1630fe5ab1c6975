/* inbox.h - the tasks a rank holds and has not started, in the TASKS frames
 * they came in (kept whole: a task's payload is read in place). Tasks leave
 * in arrival order, unless a task has a higher priority than one that came
 * before it: then the first task of the highest priority leaves first, "out
 * of turn". Telling whether that can happen costs a comparison per task
 * received; the inbox is searched only while it can. */
#ifndef TF_INBOX_H
#define TF_INBOX_H

#include <stddef.h>
#include <stdint.h>

#include "wire.h"

/* A received TASKS frame whose tasks have not all left. */
typedef struct tf_inbox_frame {
  unsigned char *buf; /* the message, owned */
  size_t len;
  tf_frame f;
  size_t pos; /* the next entry in turn (entries taken out of turn are marked in place) */
} tf_inbox_frame;

typedef struct tf_inbox {
  tf_inbox_frame *fr; /* ring; cap is a power of two */
  size_t head, n, cap;
  uint32_t queued;   /* tasks not taken */
  int32_t tail_prio; /* priority of the last task received */
  int mixed;         /* a task not taken has a higher priority than one before it */
  size_t taken;      /* entries taken out of turn, not yet stepped over */
} tf_inbox;

/* Keep the validated TASKS frame f, received in buf (the inbox takes buf).
 * Returns 0 or TF_ENOMEM (then the caller keeps buf). */
int tf__inbox_push(tf_inbox *in, unsigned char *buf, size_t len, const tf_frame *f);
/* The next task (queued must be > 0): its entry in *e, its payload valid
 * until tf__inbox_drop_spent. Returns 0 when it was next in arrival order,
 * 1 when it left out of turn. (The common case, inline: once per task.) */
int tf__inbox_take_best(tf_inbox *in, tf_entry *e);
static inline int tf__inbox_take(tf_inbox *in, tf_entry *e) {
  if (in->mixed) return tf__inbox_take_best(in, e);
  in->queued--;
  tf_inbox_frame *fr = &in->fr[in->head];
  tf__wire_next(&fr->f, &fr->pos, e);
  return 0;
}
/* Release the oldest frames whose tasks have all been taken (call it when
 * the task taken last has ended, before the next take: its frame may go). */
void tf__inbox_skip_taken(tf_inbox *in, void (*release)(void *ctx, unsigned char *buf, size_t len),
                          void *ctx);
/* Release the oldest frame (all its tasks have left). */
static inline void
tf__inbox_release_head(tf_inbox *in, void (*release)(void *ctx, unsigned char *buf, size_t len),
                       void *ctx) {
  release(ctx, in->fr[in->head].buf, in->fr[in->head].len);
  in->head = (in->head + 1) & (in->cap - 1);
  in->n--;
}
static inline void tf__inbox_drop_spent(tf_inbox *in,
                                        void (*release)(void *ctx, unsigned char *buf, size_t len),
                                        void *ctx) {
  if (in->taken) {
    tf__inbox_skip_taken(in, release, ctx);
  } else if (in->n && in->fr[in->head].pos >= in->fr[in->head].f.body_len) {
    tf__inbox_release_head(in, release, ctx);
  }
}
/* Release every frame and the ring. */
void tf__inbox_destroy(tf_inbox *in, void (*release)(void *ctx, unsigned char *buf, size_t len),
                       void *ctx);

#endif
