/* topo.h - where the ranks run: how many share this node, and whether they
 * are more than the processors they may use there. */
#ifndef TF_TOPO_H
#define TF_TOPO_H

#include <mpi.h>

typedef struct tf_topo {
  int local_ranks; /* ranks of the communicator on this node */
  int local_cpus;  /* processors those ranks may run on, together */
} tf_topo;

/* Collective over comm. Returns 0, or TF_EMPI. */
int tf_topo_probe(MPI_Comm comm, tf_topo *t);
/* More ranks than processors on this node: waiting ranks must sleep. */
static inline int tf_topo_oversubscribed(const tf_topo *t) {
  return t->local_ranks > t->local_cpus;
}

#endif
