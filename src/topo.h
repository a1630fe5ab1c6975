/* topo.h - where every rank of a farm runs: node names, ranks per node,
 * cores. Gathered once at start-up (collective), printed by --info and
 * --verbose, and made into the layout's groups by --relays node. */
#ifndef TF_TOPO_H
#define TF_TOPO_H

#include <mpi.h>
#include <stdio.h>

typedef struct tf_topo {
  int nranks, nnodes;
  int crowded;    /* this rank's node runs more of the farm's ranks than the cores they may use */
  int *node_of;   /* rank -> node (nodes numbered by their lowest rank) */
  int *leader;    /* every rank's: rank -> the lowest rank on its node */
  int *nranks_on; /* node -> ranks on it */
  int *cores;     /* node -> cores online */
  int *crowded_on; /* node -> more ranks than the cores they may use (crowded) */
  char *names;    /* node -> name, TF_TOPO_NAME bytes each */
} tf_topo;

#define TF_TOPO_NAME MPI_MAX_PROCESSOR_NAME

/* Collective over comm: every rank says where it runs; rank 0 gets the
 * whole picture in *t (other ranks get nranks, nnodes, crowded and leader
 * only).
 * Returns 0, TF_ENOMEM or TF_EMPI. */
int tf__topo_gather(MPI_Comm comm, tf_topo *t);
static inline const char *tf__topo_name(const tf_topo *t, int node) {
  return t->names + (size_t)node * TF_TOPO_NAME;
}
/* "4 ranks on 2 nodes", then a line per node with its ranks and cores. */
void tf__topo_print(const tf_topo *t, FILE *f);
void tf__topo_free(tf_topo *t);

#endif
