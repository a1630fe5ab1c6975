/* inbox.c - tasks held in the frames they came in, in arrival order but a
 * higher priority first (see inbox.h). */
#include "inbox.h"

#include <stdlib.h>

#include "taskfarm.h"
#include "vec.h"

static tf_inbox_frame *frame_at(tf_inbox *in, size_t k) {
  return &in->fr[(in->head + k) & (in->cap - 1)];
}

int tf__inbox_push(tf_inbox *in, unsigned char *buf, size_t len, const tf_frame *f) {
  if (in->n == in->cap && tf__ring_grow(&in->fr, &in->cap, &in->head, in->n, sizeof *in->fr, 8))
    return TF_ENOMEM;
  *frame_at(in, in->n) = (tf_inbox_frame){buf, len, *f, 0};
  in->n++;
  size_t pos = 0;
  tf_entry e;
  for (uint32_t had = in->queued; tf__wire_next(f, &pos, &e); had++) {
    if (had && e.prio > in->tail_prio) in->mixed = 1;
    in->tail_prio = e.prio;
  }
  in->queued += f->count;
  return 0;
}

/* Where a task not taken was found: frame k, entry at pos. */
typedef struct spot {
  size_t k, pos;
  tf_entry e;
} spot;

/* The first task of the highest priority; clears `mixed` when arrival order
 * is priority order again (every task at most as high as the one before). */
static spot best_task(tf_inbox *in) {
  spot best = {0, 0, {0}}, first = best;
  int found = 0, ordered = 1;
  int32_t last = 0;
  for (size_t k = 0; k < in->n; k++) {
    tf_inbox_frame *fr = frame_at(in, k);
    size_t pos = fr->pos, at = pos;
    tf_entry e;
    for (; tf__wire_next(&fr->f, &pos, &e); at = pos) {
      if (e.type == TF_ENT_TAKEN) continue;
      if (!found) first = best = (spot){k, at, e};
      if (found && e.prio > best.e.prio) best = (spot){k, at, e};
      if (found && e.prio > last) ordered = 0;
      last = e.prio;
      found = 1;
    }
  }
  if (ordered) in->mixed = 0;
  return best.e.prio > first.e.prio ? best : first;
}

int tf__inbox_take_best(tf_inbox *in, tf_entry *e) {
  if (--in->queued == 0) in->mixed = 0; /* this is the last */
  tf_inbox_frame *fr = frame_at(in, 0);
  if (in->mixed) {
    spot s = best_task(in);
    tf_inbox_frame *at = frame_at(in, s.k);
    if (s.k != 0 || s.pos != fr->pos) {
      tf__wire_take(at->buf + (at->f.body - at->buf), s.pos);
      in->taken++;
      *e = s.e;
      return 1;
    }
  }
  tf__wire_next(&fr->f, &fr->pos, e);
  return 0;
}

void tf__inbox_skip_taken(tf_inbox *in, void (*release)(void *, unsigned char *, size_t),
                          void *ctx) {
  while (in->n) {
    tf_inbox_frame *fr = frame_at(in, 0);
    size_t pos = fr->pos;
    tf_entry e;
    while (tf__wire_next(&fr->f, &pos, &e) && e.type == TF_ENT_TAKEN) {
      fr->pos = pos;
      in->taken--;
    }
    if (fr->pos < fr->f.body_len) return;
    tf__inbox_release_head(in, release, ctx);
  }
}

void tf__inbox_destroy(tf_inbox *in, void (*release)(void *, unsigned char *, size_t), void *ctx) {
  for (size_t k = 0; k < in->n; k++)
    release(ctx, frame_at(in, k)->buf, frame_at(in, k)->len);
  free(in->fr);
  *in = (tf_inbox){0};
}
