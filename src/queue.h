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
int tf__rec_before(const tf_rec *a, const tf_rec *b);

/* Add a record; the queue takes ownership of rec->data. Returns 0 or
 * TF_ENOMEM (then the caller still owns the data). */
int tf__queue_push(tf_queue *q, const tf_rec *rec);
/* Add a new record for task id with a copy of its size bytes of data.
 * Returns 0 or TF_ENOMEM (then nothing was added or kept). */
int tf__queue_push_new(tf_queue *q, uint64_t id, int32_t prio, const void *data, uint32_t size);
/* Remove the first record into *out (ownership passes). Returns 1, or 0 when
 * the queue is empty. */
int tf__queue_pop(tf_queue *q, tf_rec *out);
const tf_rec *tf__queue_peek(const tf_queue *q);
static inline size_t tf__queue_size(const tf_queue *q) { return q->run_n + q->heap_n; }
/* Free every record and the storage; the queue is then empty and usable. */
void tf__queue_destroy(tf_queue *q);

#endif
