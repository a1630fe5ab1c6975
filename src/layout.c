/* layout.c - who is who in a farm (layout.h). Flat today: rank 0 serves
 * every other rank. Relays will give ranks a parent other than 0 here, and
 * nowhere else. */
#include "layout.h"

void tf__layout_init(tf_layout *l, int rank, int size) {
  l->rank = rank;
  l->size = size > 0 ? size : 1;
  if (l->size == 1) {
    l->role = TF_ROLE_SERIAL;
    l->parent = -1;
    l->nchildren = 0;
    l->index = -1;
    l->siblings = 0;
  } else if (rank == 0) {
    l->role = TF_ROLE_ROOT;
    l->parent = -1;
    l->nchildren = l->size - 1;
    l->index = -1;
    l->siblings = 0;
  } else {
    l->role = TF_ROLE_WORKER;
    l->parent = 0;
    l->nchildren = 0;
    l->index = rank - 1;
    l->siblings = l->size - 1;
  }
}

int tf__layout_child_rank(const tf_layout *l, int i) {
  return i >= 0 && i < l->nchildren ? l->rank + 1 + i : -1;
}

int tf__layout_child_index(const tf_layout *l, int r) {
  int i = r - l->rank - 1;
  return i >= 0 && i < l->nchildren ? i : -1;
}
