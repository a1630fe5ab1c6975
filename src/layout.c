/* layout.c - who is who in a farm (layout.h): flat, or with relays serving
 * groups of ranks. */
#include "layout.h"

#include <stdlib.h>
#include <string.h>

#include "taskfarm.h"

void tf__layout_init(tf_layout *l, int rank, int size) {
  *l = (tf_layout){0};
  l->rank = rank;
  l->size = size > 0 ? size : 1;
  l->nworkers = l->size > 1 ? l->size - 1 : 1;
  l->worker = -1;
  if (l->size == 1) {
    l->role = TF_ROLE_SERIAL;
    l->parent = -1;
    l->index = -1;
    l->worker = 0;
    l->width = 1;
  } else if (rank == 0) {
    l->role = TF_ROLE_ROOT;
    l->parent = -1;
    l->nchildren = l->size - 1;
    l->index = -1;
    l->width = l->nworkers;
  } else {
    l->role = TF_ROLE_WORKER;
    l->parent = 0;
    l->index = rank - 1;
    l->siblings = l->size - 1;
    l->worker = rank - 1;
    l->width = 1;
    l->parent_width = l->nworkers;
  }
}

void tf__layout_root_alone(tf_layout *l) {
  tf__layout_init(l, 0, 1);
  l->role = TF_ROLE_ROOT;
  l->nworkers = l->width = 0;
  l->worker = -1;
}

/* The parent of rank r, given each group's lowest rank and size. */
static int parent_of(int r, const int *group, const int *lead, const int *count) {
  if (r == 0) return -1;
  int g = group[r];
  if (g == group[0] || count[g] == 1 || lead[g] == r) return 0;
  return lead[g];
}

int tf__layout_init_groups(tf_layout *l, int rank, int size, const int *group) {
  tf__layout_init(l, rank, size);
  if (size < 2) return 0;
  int *lead = malloc((size_t)size * sizeof *lead), *count = calloc((size_t)size, sizeof *count);
  int *par = malloc((size_t)size * sizeof *par);
  if (!lead || !count || !par) goto oom;
  for (int r = size - 1; r >= 0; r--) {
    lead[group[r]] = r;
    count[group[r]]++;
  }
  int relays = 0;
  for (int r = 0; r < size; r++) {
    par[r] = parent_of(r, group, lead, count);
    relays += r > 0 && par[r] == 0 && group[r] != group[0] && count[group[r]] > 1;
  }
  l->relays = relays;
  l->nworkers = size - 1 - relays;
  int nkids = 0;
  for (int r = 1; r < size; r++)
    nkids += par[r] == rank;
  l->nchildren = nkids;
  l->kids = malloc((size_t)(nkids ? nkids : 1) * sizeof *l->kids);
  l->kwidth = malloc((size_t)(nkids ? nkids : 1) * sizeof *l->kwidth);
  l->krelay = malloc((size_t)(nkids ? nkids : 1));
  if (!l->kids || !l->kwidth || !l->krelay) goto oom;
  int k = 0, w = 0;
  for (int r = 1; r < size; r++) {
    int is_relay = par[r] == 0 && group[r] != group[0] && count[group[r]] > 1;
    if (par[r] == rank) {
      l->kids[k] = r;
      l->krelay[k] = (unsigned char)is_relay;
      l->kwidth[k++] = is_relay ? count[group[r]] - 1 : 1;
    }
    if (r == rank) {
      l->parent = par[r];
      l->role = is_relay ? TF_ROLE_RELAY : TF_ROLE_WORKER;
      l->worker = is_relay ? -1 : w;
      l->width = is_relay ? count[group[r]] - 1 : 1;
    }
    w += !is_relay;
  }
  if (rank == 0) {
    l->width = l->nworkers;
    if (!(l->wrank = malloc((size_t)l->nworkers * sizeof *l->wrank))) goto oom;
    w = 0;
    for (int r = 1; r < size; r++)
      if (!(par[r] == 0 && group[r] != group[0] && count[group[r]] > 1)) l->wrank[w++] = r;
  } else { /* its place among its parent's children */
    int p = l->parent, sib = 0;
    for (int r = 1; r < size; r++) {
      if (par[r] != p) continue;
      if (r == rank) l->index = sib;
      sib++;
    }
    l->siblings = sib;
    l->parent_width = p == 0 ? l->nworkers : sib;
  }
  free(lead);
  free(count);
  free(par);
  return 0;
oom:
  free(lead);
  free(count);
  free(par);
  tf__layout_free(l);
  return TF_ENOMEM;
}

int tf__layout_relays(tf_layout *l, int rank, int size, int relays, const int *leader, int nnodes) {
  memset(l, 0, sizeof *l); /* freeable whatever fails below */
  if (relays == TF_RELAYS_AUTO)
    relays = nnodes >= 2 && size >= TF_RELAYS_AUTO_RANKS ? TF_RELAYS_NODE : TF_RELAYS_OFF;
  if (relays == TF_RELAYS_OFF || size < 3 || (relays == TF_RELAYS_NODE && !leader)) {
    tf__layout_init(l, rank, size);
    return 0;
  }
  int *group = malloc((size_t)size * sizeof *group);
  if (!group) return TF_ENOMEM;
  for (int r = 0; r < size; r++) /* K: ranks 1..K, K+1..2K, ...; node: the node's lowest rank */
    group[r] = relays == TF_RELAYS_NODE ? leader[r] : r == 0 ? 0 : 1 + (r - 1) / relays;
  int rc = tf__layout_init_groups(l, rank, size, group);
  free(group);
  return rc;
}

/* kids, kwidth, krelay and wrank as arrays of cap entries (a flat farm's made
 * from its rule). */
static int spell_out(tf_layout *l, int cap) {
  int flat = !l->kids;
  int *kids = realloc(l->kids, (size_t)cap * sizeof *kids);
  if (kids) l->kids = kids;
  int *kwidth = realloc(l->kwidth, (size_t)cap * sizeof *kwidth);
  if (kwidth) l->kwidth = kwidth;
  unsigned char *krelay = realloc(l->krelay, (size_t)cap);
  if (krelay) l->krelay = krelay;
  int *wrank = realloc(l->wrank, (size_t)cap * sizeof *wrank);
  if (wrank) l->wrank = wrank;
  if (!kids || !kwidth || !krelay || !wrank) {
    if (flat) tf__layout_free(l); /* flat again, by its rule */
    return TF_ENOMEM;
  }
  if (flat)
    for (int i = 0; i < l->nchildren; i++) {
      kids[i] = wrank[i] = i + 1;
      kwidth[i] = 1;
      krelay[i] = 0;
    }
  return 0;
}

int tf__layout_add_joined(tf_layout *l, int n) {
  if (l->role != TF_ROLE_ROOT || n < 1) return -1;
  /* the arrays hold the children and the workers: as many of each, or more workers */
  int cap = l->nworkers + n > l->nchildren + n ? l->nworkers + n : l->nchildren + n;
  if (spell_out(l, cap)) return -1;
  if (!l->joined_from) l->joined_from = l->size;
  int first = l->size;
  for (int k = 0; k < n; k++) {
    l->kids[l->nchildren + k] = l->wrank[l->nworkers + k] = first + k;
    l->kwidth[l->nchildren + k] = 1;
    l->krelay[l->nchildren + k] = 0;
  }
  l->nchildren += n;
  l->nworkers += n;
  l->width += n;
  l->size += n;
  return first;
}

void tf__layout_print(const tf_layout *l, FILE *f) {
  if (!l->relays) return;
  int own = 0, listed = 0;
  fprintf(f, "taskfarm: %d relay%s, %d workers:", l->relays, l->relays == 1 ? "" : "s",
          l->nworkers);
  for (int i = 0; i < l->nchildren; i++) {
    if (!l->krelay[i]) {
      own++;
    } else if (listed++ < 16) {
      fprintf(f, "%s rank %d serves %d", listed > 1 ? "," : "", l->kids[i], l->kwidth[i]);
    }
  }
  fprintf(f, "%s; the root serves %d worker%s of its own\n", listed > 16 ? ", ..." : "", own,
          own == 1 ? "" : "s");
}

void tf__layout_free(tf_layout *l) {
  free(l->kids);
  free(l->kwidth);
  free(l->wrank);
  free(l->krelay);
  l->kids = l->kwidth = l->wrank = NULL;
  l->krelay = NULL;
}

/* Where r is in the ascending a[0..n-1], or -1. */
static int find(const int *a, int n, int r) {
  int lo = 0, hi = n - 1;
  while (lo <= hi) {
    int mid = lo + (hi - lo) / 2;
    if (a[mid] == r) return mid;
    if (a[mid] < r)
      lo = mid + 1;
    else
      hi = mid - 1;
  }
  return -1;
}

int tf__layout_child_rank(const tf_layout *l, int i) {
  if (i < 0 || i >= l->nchildren) return -1;
  return l->kids ? l->kids[i] : l->rank + 1 + i;
}

int tf__layout_child_index(const tf_layout *l, int r) {
  if (!l->kids) {
    int i = r - l->rank - 1;
    return i >= 0 && i < l->nchildren ? i : -1;
  }
  return find(l->kids, l->nchildren, r);
}

int tf__layout_worker_rank(const tf_layout *l, int w) {
  if (l->role == TF_ROLE_SERIAL) return 0;
  if (w < 0 || w >= l->nworkers) return -1;
  return l->wrank ? l->wrank[w] : w + 1;
}

int tf__layout_worker_of(const tf_layout *l, int r) {
  if (l->role == TF_ROLE_SERIAL) return r == 0 ? 0 : -1;
  if (!l->wrank) return r >= 1 && r < l->size ? r - 1 : -1;
  return find(l->wrank, l->nworkers, r);
}
