/* flow.h - flow control by bytes (--max-in-flight): how much of its results
 * a worker may have on the way to the master, and when the master gives the
 * room back. Plain arithmetic, no MPI, so unit tests can drive both sides.
 *
 * Each worker gets an equal share of the budget. A RESULTS frame that carries
 * results, failures or children is charged its whole length against the
 * sender's share from the moment it is sent until the master has handled it
 * (collect has run and the buffer is freed); frames with nothing but a
 * request and statistics are not charged (there is at most one of those
 * open at a time). A frame larger than the share goes alone, when nothing
 * else of that worker is on the way, so a result of any allowed size can
 * always be sent. So the master never holds more than the budget of results
 * (plus one oversized frame per worker), however slow collect is. A relay's
 * share is its workers'; it reads no more of their frames while its own
 * waits for room (relay.c sink_full), so its frames keep to it too.
 *
 * The master hands room back in a CREDIT frame when it owes half a share, or
 * at once when the worker says (TF_WIRE_ASK_ROOM) that it holds results back.
 */
#ifndef TF_FLOW_H
#define TF_FLOW_H

#include <stdint.h>

/* The least share a worker gets, whatever the budget and the worker count. */
#define TF_FLOW_MIN_SHARE (64u << 10)

/* Each worker's share of a budget of max_in_flight bytes. */
uint64_t tf__flow_share(uint64_t max_in_flight, int nworkers);

/* Large frames (a large result, or a full batch) are also counted: at most
 * TF_FLOW_BIG_FRAMES of them on the way per worker, whatever the share.
 * More would not move results faster (two or three keep the master busy)
 * and only spread them over more memory: measured with 2 MiB results, 32 of
 * them on the way took 5-15 % longer than 4. The master hands room back
 * after each one, so the window slides frame by frame. */
#define TF_FLOW_BIG ((uint64_t)256 << 10)
#define TF_FLOW_BIG_FRAMES 4

/* The worker's side: what it has sent that the master has not handed back. */
typedef struct tf_flow_out {
  uint64_t share;
  uint64_t unacked;
  uint64_t sent, acked;                 /* bytes in all, as running totals */
  uint64_t big_end[TF_FLOW_BIG_FRAMES]; /* where each large frame on the way ends, oldest first */
  int nbig;
} tf_flow_out;

static inline void tf__flow_out_init(tf_flow_out *f, uint64_t share) {
  f->share = share;
  f->unacked = f->sent = f->acked = 0;
  f->nbig = 0;
}
/* May a charged frame of len bytes go now? */
static inline int tf__flow_may_send(const tf_flow_out *f, uint64_t len) {
  if (f->unacked == 0) return 1;
  if (len >= TF_FLOW_BIG && f->nbig >= TF_FLOW_BIG_FRAMES) return 0;
  return f->unacked + len <= f->share;
}
static inline void tf__flow_sent(tf_flow_out *f, uint64_t len) {
  f->unacked += len;
  f->sent += len;
  if (len >= TF_FLOW_BIG && f->nbig < TF_FLOW_BIG_FRAMES) f->big_end[f->nbig++] = f->sent;
}
/* Room handed back; returns 0, or -1 when it is more than was sent (a
 * protocol error: nothing changes). The master hands back whole frames, in
 * the order they were sent. */
static inline int tf__flow_credit(tf_flow_out *f, uint64_t bytes) {
  if (bytes > f->unacked) return -1;
  f->unacked -= bytes;
  f->acked += bytes;
  int k = 0;
  while (k < f->nbig && f->big_end[k] <= f->acked)
    k++;
  for (int i = k; i < f->nbig; i++)
    f->big_end[i - k] = f->big_end[i];
  f->nbig -= k;
  return 0;
}

/* The master's side, per worker: bytes handled and not yet handed back. Due
 * when half a share has built up, after a large frame, or when the worker
 * asked. */
static inline int tf__flow_due(uint64_t owed, uint64_t share, uint64_t frame, int asked) {
  return owed > 0 && (asked || owed >= share / 2 || frame >= TF_FLOW_BIG);
}

#endif
