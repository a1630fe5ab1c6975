/* layout.h - who is who in a farm: each rank's role, its parent, its children
 * and the mapping between a child's rank and its index among its parent's
 * children; and the workers, numbered 0..nworkers-1 in rank order. A pure
 * function of the rank count and a grouping of the ranks (relays.h makes
 * one from --relays and the topology); nothing else in the library knows a
 * literal rank. */
#ifndef TF_LAYOUT_H
#define TF_LAYOUT_H

#include <stdio.h>

typedef enum tf_role {
  TF_ROLE_SERIAL, /* a farm of one rank: app side and executor in one process */
  TF_ROLE_ROOT,   /* serves its children: the app's generate, collect, finish */
  TF_ROLE_WORKER, /* runs tasks for its parent */
  TF_ROLE_RELAY,  /* serves the workers of its group, and stands for them to the root */
} tf_role;

typedef struct tf_layout {
  int rank, size;
  tf_role role;
  int parent;    /* the parent's rank; -1 for the root and a serial farm */
  int nchildren; /* how many this rank serves */
  int index;     /* this rank's index among its parent's children; -1 when it has no parent */
  int siblings;  /* how many children its parent serves, itself among them; 0 without a parent */
  int nworkers;  /* workers in the farm (every rank but the root and the relays; 1 when serial) */
  int width;     /* workers this rank stands for: 1 for a worker, its workers for a relay, all
                    for the root */
  int worker;    /* this rank's number among the workers, or -1 */
  int relays;    /* relays in the farm */
  int parent_width; /* the parent's width (the plan it starts from is for that many workers) */
  int joined_from;  /* the root's: the first rank of the workers that joined (accept.h), which
                       are numbered on from the farm's own ranks; 0 while none has */
  /* Owned (NULL in a flat farm, where child i is rank rank + 1 + i): */
  int *kids;     /* the ranks of this rank's children, ascending */
  int *kwidth;   /* the width of each */
  unsigned char *krelay; /* whether each is a relay */
  int *wrank;    /* the root's: the rank of worker w */
} tf_layout;

/* The flat layout of rank `rank` in a farm of `size` ranks (size >= 1): rank
 * 0 is the root and serves ranks 1..size-1; with one rank, that rank is
 * serial. Allocates nothing. */
void tf__layout_init(tf_layout *l, int rank, int size);
/* The layout with relays: group[r] (0 <= group[r] < size) for every rank r.
 * The ranks of rank 0's group are the root's own workers; in every other
 * group of two or more ranks, the lowest is a relay serving the others, and
 * the root serves the relays; a rank alone in its group is a worker of the
 * root. Returns 0 or TF_ENOMEM. */
/* A farm of one rank that serves only workers that join it (accept.h): a
 * root with no children yet. */
void tf__layout_root_alone(tf_layout *l);
int tf__layout_init_groups(tf_layout *l, int rank, int size, const int *group);
void tf__layout_free(tf_layout *l);
/* The layout --relays asks for: relays is a cfg->relays mode; leader[r] the
 * lowest rank on rank r's node (for node and auto), nnodes the nodes.
 * Returns 0 or TF_ENOMEM (l may then be freed, and holds nothing). */
int tf__layout_relays(tf_layout *l, int rank, int size, int relays, const int *leader, int nnodes);

/* The root's: n workers of a job that joined the farm (accept.h) become its
 * children, and workers, at ranks size..size+n-1. Returns the first of
 * them, or -1 when out of memory (the layout is as it was, but for spare
 * room). */
int tf__layout_add_joined(tf_layout *l, int n);

/* The root's picture of the tree for --info and --verbose: how many relays,
 * and which rank serves how many workers (nothing when flat). */
void tf__layout_print(const tf_layout *l, FILE *f);

/* The rank of child i (0 <= i < nchildren) of this rank. */
int tf__layout_child_rank(const tf_layout *l, int i);
/* The index of the child at rank r, or -1 when r is not a child of this rank. */
int tf__layout_child_index(const tf_layout *l, int r);
/* The workers child i stands for (1 for a worker). */
static inline int tf__layout_child_width(const tf_layout *l, int i) {
  return l->kwidth ? l->kwidth[i] : 1;
}
/* Whether child i is a relay. */
static inline int tf__layout_child_is_relay(const tf_layout *l, int i) {
  return l->krelay ? l->krelay[i] : 0;
}
/* The rank of worker w (0 <= w < nworkers); in a serial farm, 0. The root's
 * only, with relays. */
int tf__layout_worker_rank(const tf_layout *l, int w);
/* The number of the worker at rank r, or -1 when r is not a worker. The
 * root's only, with relays. */
int tf__layout_worker_of(const tf_layout *l, int r);

#endif
