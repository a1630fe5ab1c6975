/* vec.c - growing arrays and rings (vec.h). */
#include "vec.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "taskfarm.h"

int tf__vec_reserve(void *buf, size_t *cap, size_t need, size_t elem, size_t first) {
  if (need <= *cap) return 0;
  if (need > SIZE_MAX / elem / 2) return TF_ENOMEM; /* the doubling would overflow */
  size_t c = *cap ? *cap : first;
  while (c < need)
    c *= 2;
  void *old;
  memcpy(&old, buf, sizeof old);
  void *p = realloc(old, c * elem);
  if (!p) return TF_ENOMEM;
  memcpy(buf, &p, sizeof p);
  *cap = c;
  return 0;
}

int tf__ring_grow(void *buf, size_t *cap, size_t *head, size_t n, size_t elem, size_t first) {
  size_t c = *cap ? 2 * *cap : first;
  unsigned char *old, *p = malloc(c * elem);
  if (!p) return TF_ENOMEM;
  memcpy(&old, buf, sizeof old);
  for (size_t i = 0; i < n; i++)
    memcpy(p + i * elem, old + ((*head + i) & (*cap - 1)) * elem, elem);
  free(old);
  memcpy(buf, &p, sizeof p);
  *cap = c;
  *head = 0;
  return 0;
}
