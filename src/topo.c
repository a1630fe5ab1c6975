/* topo.c - see topo.h. A node is what MPI_Comm_split_type(SHARED) groups:
 * ranks that can share memory. Its name is MPI_Get_processor_name's. */
#include "topo.h"

#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "taskfarm.h"

/* What one rank reports: the lowest rank on its node, its cores, whether its
 * node is crowded, its name. */
typedef struct where {
  int leader, cores, crowded;
  char name[TF_TOPO_NAME];
} where;

/* The node's cores online (not this rank's binding, which mpirun may have
 * narrowed to one). */
static int my_cores(void) {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? (int)n : 1;
}

/* Collective over node (the ranks of one node): whether they are more than
 * the cores they may run on, all of them together: the cores online, or
 * fewer where the ranks are confined (a cgroup or a container's cpuset, a
 * binding several ranks share). A rank whose affinity cannot be read counts
 * every core online. Returns an MPI error code. */
static int crowded(MPI_Comm node, int online, int *out) {
  int here = 0;
  int rc = MPI_Comm_size(node, &here);
  if (rc != MPI_SUCCESS) return rc;
  cpu_set_t mine, all;
  if (sched_getaffinity(0, sizeof mine, &mine)) memset(&mine, 0xff, sizeof mine);
  rc = MPI_Allreduce(&mine, &all, (int)sizeof all, MPI_BYTE, MPI_BOR, node);
  if (rc != MPI_SUCCESS) return rc;
  int usable = CPU_COUNT(&all);
  if (usable > online || usable < 1) usable = online;
  *out = here > usable;
  return MPI_SUCCESS;
}

int tf__topo_gather(MPI_Comm comm, tf_topo *t) {
  memset(t, 0, sizeof *t);
  int rank, size;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  t->nranks = size;
  MPI_Comm node;
  if (MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL, &node) != MPI_SUCCESS)
    return TF_EMPI;
  where me;
  memset(&me, 0, sizeof me);
  me.cores = my_cores();
  int len = 0;
  MPI_Get_processor_name(me.name, &len);
  int rc = MPI_Allreduce(&rank, &me.leader, 1, MPI_INT, MPI_MIN, node);
  if (!rc) rc = crowded(node, me.cores, &t->crowded);
  me.crowded = t->crowded;
  MPI_Comm_free(&node);
  if (rc != MPI_SUCCESS) return TF_EMPI;
  where *all = rank == 0 ? malloc((size_t)size * sizeof *all) : NULL;
  t->leader = malloc((size_t)size * sizeof *t->leader);
  int ok = (rank != 0 || all != NULL) && t->leader, all_ok = 0;
  MPI_Allreduce(&ok, &all_ok, 1, MPI_INT, MPI_MIN, comm); /* every rank takes part, or none */
  if (!all_ok || MPI_Allgather(&me.leader, 1, MPI_INT, t->leader, 1, MPI_INT, comm) != MPI_SUCCESS) {
    free(all);
    tf__topo_free(t);
    return all_ok ? TF_EMPI : TF_ENOMEM;
  }
  rc = MPI_Gather(&me, (int)sizeof me, MPI_BYTE, all, (int)sizeof me, MPI_BYTE, 0, comm);
  if (rc != MPI_SUCCESS) {
    free(all);
    return TF_EMPI;
  }
  if (rank == 0) {
    t->node_of = malloc((size_t)size * sizeof *t->node_of);
    t->nranks_on = calloc((size_t)size, sizeof *t->nranks_on);
    t->cores = calloc((size_t)size, sizeof *t->cores);
    t->crowded_on = calloc((size_t)size, sizeof *t->crowded_on);
    t->names = calloc((size_t)size, TF_TOPO_NAME);
    if (!t->node_of || !t->nranks_on || !t->cores || !t->crowded_on || !t->names) rc = TF_ENOMEM;
    /* A leader is the lowest rank of its node, so nodes come in rank order. */
    for (int r = 0; !rc && r < size; r++) {
      int l = all[r].leader;
      if (l < 0 || l > r) l = r; /* cannot happen; a node of its own, then */
      if (l == r) {
        int n = t->nnodes++;
        t->cores[n] = all[r].cores;
        t->crowded_on[n] = all[r].crowded;
        memcpy(t->names + (size_t)n * TF_TOPO_NAME, all[r].name, TF_TOPO_NAME);
        t->names[(size_t)n * TF_TOPO_NAME + TF_TOPO_NAME - 1] = '\0';
      }
      t->node_of[r] = l == r ? t->nnodes - 1 : t->node_of[l];
      t->nranks_on[t->node_of[r]]++;
    }
  }
  free(all);
  MPI_Bcast(&t->nnodes, 1, MPI_INT, 0, comm);
  if (rc) tf__topo_free(t);
  return rc;
}

void tf__topo_print(const tf_topo *t, FILE *f) {
  if (!t->node_of) return;
  fprintf(f, "taskfarm: %d rank%s on %d node%s; %s\n", t->nranks, t->nranks == 1 ? "" : "s",
          t->nnodes, t->nnodes == 1 ? "" : "s",
          t->nranks == 1 ? "master and worker in one process" : "rank 0 is the master");
  for (int n = 0; n < t->nnodes; n++) {
    fprintf(f, "taskfarm:   node %d %s: %d rank%s (", n, tf__topo_name(t, n), t->nranks_on[n],
            t->nranks_on[n] == 1 ? "" : "s");
    /* The ranks as ranges: 0-3,8,10-11. */
    const char *sep = "";
    for (int r = 0; r < t->nranks; r++) {
      if (t->node_of[r] != n || (r > 0 && t->node_of[r - 1] == n)) continue;
      int e = r;
      while (e + 1 < t->nranks && t->node_of[e + 1] == n)
        e++;
      if (e > r)
        fprintf(f, "%s%d-%d", sep, r, e);
      else
        fprintf(f, "%s%d", sep, r);
      sep = ",";
    }
    fprintf(f, "), %d core%s%s\n", t->cores[n], t->cores[n] == 1 ? "" : "s",
            t->crowded_on[n] ? "; more ranks than cores: idle ranks yield at once" : "");
  }
}

void tf__topo_free(tf_topo *t) {
  free(t->node_of);
  free(t->nranks_on);
  free(t->cores);
  free(t->crowded_on);
  free(t->names);
  free(t->leader);
  t->node_of = t->nranks_on = t->cores = t->crowded_on = t->leader = NULL;
  t->names = NULL;
}
