/* layout.h - who is who in a farm: each rank's role, its parent, its children
 * and the mapping between a child's rank and its index among its parent's
 * children. A pure function of the rank count (and, later, of the topology
 * and the options); nothing else in the library knows a literal rank. */
#ifndef TF_LAYOUT_H
#define TF_LAYOUT_H

typedef enum tf_role {
  TF_ROLE_SERIAL, /* a farm of one rank: app side and executor in one process */
  TF_ROLE_ROOT,   /* serves every worker: the app's generate, collect, finish */
  TF_ROLE_WORKER, /* runs tasks for its parent */
} tf_role;

typedef struct tf_layout {
  int rank, size;
  tf_role role;
  int parent;    /* the parent's rank; -1 for the root and a serial farm */
  int nchildren; /* how many this rank serves */
  int index;     /* this rank's index among its parent's children; -1 when it has no parent */
  int siblings;  /* how many children its parent serves, itself among them; 0 without a parent */
} tf_layout;

/* The layout of rank `rank` in a farm of `size` ranks (size >= 1): rank 0 is
 * the root and serves ranks 1..size-1; with one rank, that rank is serial. */
void tf__layout_init(tf_layout *l, int rank, int size);
/* The rank of child i (0 <= i < nchildren) of this rank. */
int tf__layout_child_rank(const tf_layout *l, int i);
/* The index of the child at rank r, or -1 when r is not a child of this rank. */
int tf__layout_child_index(const tf_layout *l, int r);

#endif
