/* queue.c - priority queue of pending tasks (see queue.h). A heap keeps push
 * and pop O(log n); the master bounds n by its generation window. */
#include "queue.h"

#include <stdlib.h>

#include "taskfarm.h"

int tf_rec_before(const tf_rec *a, const tf_rec *b) {
  if (a->prio != b->prio) return a->prio > b->prio;
  return a->id < b->id;
}

int tf_queue_push(tf_queue *q, const tf_rec *rec) {
  if (q->n == q->cap) {
    size_t cap = q->cap ? 2 * q->cap : 64;
    tf_rec *h = realloc(q->heap, cap * sizeof *h);
    if (!h) return TF_ENOMEM;
    q->heap = h;
    q->cap = cap;
  }
  size_t i = q->n++;
  while (i > 0) {
    size_t parent = (i - 1) / 2;
    if (!tf_rec_before(rec, &q->heap[parent])) break;
    q->heap[i] = q->heap[parent];
    i = parent;
  }
  q->heap[i] = *rec;
  return 0;
}

int tf_queue_pop(tf_queue *q, tf_rec *out) {
  if (q->n == 0) return 0;
  *out = q->heap[0];
  tf_rec last = q->heap[--q->n];
  size_t i = 0;
  for (;;) {
    size_t child = 2 * i + 1;
    if (child >= q->n) break;
    if (child + 1 < q->n && tf_rec_before(&q->heap[child + 1], &q->heap[child])) child++;
    if (!tf_rec_before(&q->heap[child], &last)) break;
    q->heap[i] = q->heap[child];
    i = child;
  }
  if (q->n) q->heap[i] = last;
  return 1;
}

const tf_rec *tf_queue_peek(const tf_queue *q) { return q->n ? &q->heap[0] : NULL; }

void tf_queue_destroy(tf_queue *q) {
  for (size_t i = 0; i < q->n; i++)
    free(q->heap[i].data);
  free(q->heap);
  q->heap = NULL;
  q->n = q->cap = 0;
}
