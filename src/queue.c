/* queue.c - priority queue of pending tasks (see queue.h): a sorted FIFO run
 * for the common in-order case, a heap for the rest. */
#include "queue.h"

#include <stdlib.h>
#include <string.h>

#include "taskfarm.h"
#include "vec.h"

static int run_push(tf_queue *q, const tf_rec *rec) {
  if (q->run_n == q->cap_run &&
      tf__ring_grow(&q->run, &q->cap_run, &q->run_head, q->run_n, sizeof *q->run, 64))
    return TF_ENOMEM;
  q->run_n++;
  *tf__queue_run_at(q, q->run_n - 1) = *rec;
  return 0;
}

static int heap_push(tf_queue *q, const tf_rec *rec) {
  if (tf__vec_reserve(&q->heap, &q->cap_heap, q->heap_n + 1, sizeof *q->heap, 64)) return TF_ENOMEM;
  size_t i = q->heap_n++;
  while (i > 0) {
    size_t parent = (i - 1) / 2;
    if (!tf__rec_before(rec, &q->heap[parent])) break;
    q->heap[i] = q->heap[parent];
    i = parent;
  }
  q->heap[i] = *rec;
  return 0;
}

static void heap_pop(tf_queue *q, tf_rec *out) {
  *out = q->heap[0];
  tf_rec last = q->heap[--q->heap_n];
  size_t i = 0;
  for (;;) {
    size_t child = 2 * i + 1;
    if (child >= q->heap_n) break;
    if (child + 1 < q->heap_n && tf__rec_before(&q->heap[child + 1], &q->heap[child])) child++;
    if (!tf__rec_before(&q->heap[child], &last)) break;
    q->heap[i] = q->heap[child];
    i = child;
  }
  if (q->heap_n) q->heap[i] = last;
}

int tf__rec_set_data(tf_rec *r, const void *data, uint32_t size) {
  r->size = size;
  r->data = NULL;
  if (!size) return 0;
  if (!(r->data = malloc(size))) return TF_ENOMEM;
  memcpy(r->data, data, size);
  return 0;
}

int tf__rec_copy(tf_rec *dst, const tf_rec *src) {
  *dst = *src;
  return tf__rec_set_data(dst, src->data, src->size);
}

int tf__queue_push_slow(tf_queue *q, const tf_rec *rec) {
  /* In order behind the run's last record: append; otherwise the heap. */
  int rc = !q->run_n || !tf__rec_before(rec, tf__queue_run_at(q, q->run_n - 1)) ? run_push(q, rec)
                                                                      : heap_push(q, rec);
  if (!rc) q->bytes += rec->size;
  return rc;
}

int tf__queue_push_new(tf_queue *q, uint64_t id, int32_t prio, const void *data, uint32_t size) {
  tf_rec r = {id, prio, size, NULL, 0, -1};
  if (tf__rec_set_data(&r, data, size)) return TF_ENOMEM;
  if (tf__queue_push(q, &r) == 0) return 0;
  free(r.data);
  return TF_ENOMEM;
}

/* 1 when the run's head leaves first, 0 when the heap's. */
static int run_first(const tf_queue *q) {
  if (!q->heap_n) return 1;
  if (!q->run_n) return 0;
  return tf__rec_before(tf__queue_run_at(q, 0), &q->heap[0]);
}

int tf__queue_pop_slow(tf_queue *q, tf_rec *out) {
  if (!tf__queue_size(q)) return 0;
  if (run_first(q)) {
    *out = *tf__queue_run_at(q, 0);
    q->run_head = (q->run_head + 1) & (q->cap_run - 1);
    q->run_n--;
  } else {
    heap_pop(q, out);
  }
  q->bytes -= out->size;
  return 1;
}

const tf_rec *tf__queue_peek_slow(const tf_queue *q) {
  if (!tf__queue_size(q)) return NULL;
  return run_first(q) ? tf__queue_run_at(q, 0) : &q->heap[0];
}

void tf__queue_destroy(tf_queue *q) {
  for (size_t i = 0; i < q->run_n; i++)
    free(tf__queue_run_at(q, i)->data);
  for (size_t i = 0; i < q->heap_n; i++)
    free(q->heap[i].data);
  free(q->run);
  free(q->heap);
  *q = (tf_queue){0};
}
