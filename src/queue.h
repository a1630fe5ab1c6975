/* queue.h - the master's queue of tasks waiting to be sent: a binary heap
 * ordered by priority (higher first), then by id (lower first). */
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
} tf_rec;

typedef struct tf_queue {
  tf_rec *heap;
  size_t n, cap;
} tf_queue;

/* Nonzero when a must leave the queue before b. */
int tf_rec_before(const tf_rec *a, const tf_rec *b);

/* Add a record; the queue takes ownership of rec->data. Returns 0 or
 * TF_ENOMEM (then the caller still owns the data). */
int tf_queue_push(tf_queue *q, const tf_rec *rec);
/* Remove the first record into *out (ownership passes). Returns 1, or 0 when
 * the queue is empty. */
int tf_queue_pop(tf_queue *q, tf_rec *out);
const tf_rec *tf_queue_peek(const tf_queue *q);
static inline size_t tf_queue_size(const tf_queue *q) { return q->n; }
/* Free every record and the heap. */
void tf_queue_destroy(tf_queue *q);

#endif
