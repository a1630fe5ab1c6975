/* queue.h - the master's queue of tasks waiting to be sent, ordered by
 * priority (higher first), then by id (lower first). Tasks usually arrive
 * already in that order (generate numbers them upwards, at one priority), so
 * they go to a FIFO run where push and pop cost O(1); only a task that would
 * break the run's order goes to a binary heap. Pop takes the better head. */
#ifndef TF_QUEUE_H
#define TF_QUEUE_H

#include <stddef.h>
#include <stdint.h>

/* One task as the library stores it. data is owned by whoever holds the
 * record (malloc'd; NULL when size is 0). */
typedef struct tf_rec {
  uint64_t id;
  int32_t prio;
  uint32_t size;
  unsigned char *data;
  uint32_t attempt; /* runs that failed so far */
  int32_t avoid;    /* the worker it last failed on, or -1; TF_REC_NO_COPY: a relay holds
                       a copy its parent made of a slow task, not to be copied again */
} tf_rec;
#define TF_REC_NO_COPY (-2)

typedef struct tf_queue {
  tf_rec *run; /* ring of records in queue order; cap_run is a power of two */
  size_t run_head, run_n, cap_run;
  tf_rec *heap; /* records that came out of order */
  size_t heap_n, cap_heap;
  uint64_t bytes; /* payload bytes of every record */
} tf_queue;

/* Give r a copy of size bytes of data (none when size is 0). Returns 0, or
 * TF_ENOMEM with r->data NULL. */
int tf__rec_set_data(tf_rec *r, const void *data, uint32_t size);
/* *dst = *src with a copy of its payload. Returns 0, or TF_ENOMEM with
 * dst->data NULL. */
int tf__rec_copy(tf_rec *dst, const tf_rec *src);

/* Nonzero when a must leave the queue before b. */
static inline int tf__rec_before(const tf_rec *a, const tf_rec *b) {
  if (a->prio != b->prio) return a->prio > b->prio;
  return a->id < b->id;
}

/* The run's record i (0 is its head). */
static inline tf_rec *tf__queue_run_at(const tf_queue *q, size_t i) {
  return &q->run[(q->run_head + i) & (q->cap_run - 1)];
}
/* tf__queue_push when the record is not simply appended to a run with room. */
int tf__queue_push_slow(tf_queue *q, const tf_rec *rec);
/* Add a record; the queue takes ownership of rec->data. Returns 0 or
 * TF_ENOMEM (then the caller still owns the data). Inline: appending in
 * order, the path of nearly every task, is a copy and two counters. */
static inline int tf__queue_push(tf_queue *q, const tf_rec *rec) {
  if (q->run_n && q->run_n < q->cap_run &&
      !tf__rec_before(rec, tf__queue_run_at(q, q->run_n - 1))) {
    *tf__queue_run_at(q, q->run_n) = *rec;
    q->run_n++;
    q->bytes += rec->size;
    return 0;
  }
  return tf__queue_push_slow(q, rec);
}
/* Add a new record for task id with a copy of its size bytes of data.
 * Returns 0 or TF_ENOMEM (then nothing was added or kept). */
int tf__queue_push_new(tf_queue *q, uint64_t id, int32_t prio, const void *data, uint32_t size);
static inline size_t tf__queue_size(const tf_queue *q) { return q->run_n + q->heap_n; }
/* tf__queue_pop and tf__queue_peek when some record is out of order. */
int tf__queue_pop_slow(tf_queue *q, tf_rec *out);
const tf_rec *tf__queue_peek_slow(const tf_queue *q);
/* Remove the first record into *out (ownership passes). Returns 1, or 0 when
 * the queue is empty. */
static inline int tf__queue_pop(tf_queue *q, tf_rec *out) {
  if (q->heap_n || !q->run_n) return tf__queue_pop_slow(q, out);
  *out = q->run[q->run_head];
  q->run_head = (q->run_head + 1) & (q->cap_run - 1);
  q->run_n--;
  q->bytes -= out->size;
  return 1;
}
static inline const tf_rec *tf__queue_peek(const tf_queue *q) {
  if (q->heap_n || !q->run_n) return tf__queue_peek_slow(q);
  return &q->run[q->run_head];
}
/* Free every record and the storage; the queue is then empty and usable. */
void tf__queue_destroy(tf_queue *q);

#endif
