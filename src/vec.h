/* vec.h - growing arrays and rings: the one place that doubles a capacity.
 * buf is the address of the array's pointer (T **, passed as void *). */
#ifndef TF_VEC_H
#define TF_VEC_H

#include <stddef.h>

/* Room for at least need elements of elem bytes: the capacity doubles, from
 * first, until it holds them. Returns 0, or TF_ENOMEM with the array as it
 * was. */
int tf__vec_reserve(void *buf, size_t *cap, size_t need, size_t elem, size_t first);
/* A full ring of *cap elements (0, or a power of two) whose n elements start
 * at *head: twice the room (first when empty), the elements in order from 0.
 * Returns 0, or TF_ENOMEM with the ring as it was. */
int tf__ring_grow(void *buf, size_t *cap, size_t *head, size_t n, size_t elem, size_t first);

#endif
