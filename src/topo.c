/* topo.c - ranks and processors per node (see topo.h). The processors are the
 * union of the local ranks' affinity masks: ranks bound to cores of their own
 * are not oversubscribed, unbound ranks on a node with fewer cores than ranks
 * are, and a batch system's CPU limits show in the masks. */
#include "topo.h"

#include <sched.h>
#include <string.h>

#include "taskfarm.h"

int tf_topo_probe(MPI_Comm comm, tf_topo *t) {
  MPI_Comm node;
  if (MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node) != MPI_SUCCESS)
    return TF_EMPI;
  MPI_Comm_size(node, &t->local_ranks);
  cpu_set_t mine, all;
  CPU_ZERO(&mine);
  if (sched_getaffinity(0, sizeof mine, &mine) != 0) CPU_SET(0, &mine);
  int rc = MPI_Allreduce(&mine, &all, (int)sizeof mine, MPI_BYTE, MPI_BOR, node);
  MPI_Comm_free(&node);
  if (rc != MPI_SUCCESS) return TF_EMPI;
  t->local_cpus = CPU_COUNT(&all);
  if (t->local_cpus < 1) t->local_cpus = 1;
  return 0;
}
