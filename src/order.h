/* order.h - the results of generate's tasks handed to collect in id order
 * (tf_app.collect_in_order): a result that comes before its turn waits here,
 * in a heap by id, as does the mark of a task given up on (it will have no
 * result, and the turn passes it). The master bounds what can wait by not
 * generating past next + a window (see tf__order_room). */
#ifndef TF_ORDER_H
#define TF_ORDER_H

#include <stddef.h>
#include <stdint.h>

typedef struct tf_held {
  uint64_t id;
  unsigned char *data; /* a copy, the taker's to free; NULL for a mark or an empty result */
  size_t size;
  int gone; /* given up on: nothing to collect */
} tf_held;

typedef struct tf_order {
  uint64_t next; /* the id whose turn it is */
  tf_held *heap; /* waiting, smallest id first */
  size_t n, cap;
  uint64_t bytes; /* of the results waiting */
} tf_order;

/* The result of task id (data, size: borrowed). 1: it is its turn (the
 * caller hands it on now, then calls tf__order_pop until it gives 0); 0:
 * it waits here (copied); TF_ENOMEM; TF_EINVAL for an id whose turn is past. */
int tf__order_put(tf_order *o, uint64_t id, const void *data, size_t size);
/* Task id will have no result: 1 when it was its turn (then pop as above),
 * 0 when noted, or TF_ENOMEM / TF_EINVAL. */
int tf__order_gone(tf_order *o, uint64_t id);
/* The waiting result whose turn it is: 1 with *out filled (the turn moves
 * past it), 0 when the next one has not come. */
int tf__order_pop(tf_order *o, tf_held *out);
/* At the end of a run cut short: the smallest id waiting, turn or not (the
 * turn moves past it). 1 or 0. */
int tf__order_pop_any(tf_order *o, tf_held *out);
/* May task id be generated: is it within window ids of the turn? */
static inline int tf__order_room(const tf_order *o, uint64_t id, uint64_t window) {
  return id < o->next + window;
}
void tf__order_free(tf_order *o);

#endif
