/* down_join.c - the downstream engine (down.h) in a farm that grows: the
 * workers of a job that joined become children while it runs, and such a
 * worker may leave before the end (a signal to its job, --leave-after),
 * handing back what it holds. */
#include <stdlib.h>
#include <string.h>

#include "down.h"
#include "down_int.h"
#include "flow.h"
#include "log.h"

int tf__down_add_children(tf_down *d, int n, double now) {
  tf_child *c = realloc(d->c, (size_t)(d->n + n) * sizeof *c);
  if (!c) return TF_ENOMEM;
  d->c = c;
  if (tf__ledger_grow(&d->ledger, d->n + n)) return TF_ENOMEM;
  memset(c + d->n, 0, (size_t)n * sizeof *c);
  d->n += n;
  for (int i = d->n - n; i < d->n; i++) {
    tf__down_init_child(d, i, now);
    c[i].joined = 1;
  }
  /* the plan and the byte shares, for the workers there are now */
  d->policy.nworkers = d->layout->width;
  d->share = tf__flow_share(d->cfg->max_in_flight, d->layout->nworkers);
  tf__policy_set_share(&d->policy, d->share);
  return 0;
}

/* It sent every result before its goodbye, and runs nothing: the tasks it
 * still holds never started, and go back as they were (but those whose copy
 * runs on elsewhere, or won already: they are not handed back, nor counted). */
int tf__down_on_leave(tf_down *d, int i, const tf_frame *f) {
  tf__down_record_bye(d, i, f);
  d->c[i].demand = d->c[i].demand_next = 0;
  d->port.forget(d->port.ctx, i);
  size_t held = tf__ledger_held(&d->ledger, i);
  tf__log(d->layout->rank, "rank %d, a worker that joined, left the farm; %zu task(s) it held go "
          "to the other workers", tf__down_rank(d, i), held);
  d->stats->left++;
  tf_rec r;
  while (tf__ledger_pop(&d->ledger, i, &r)) {
    int dropped;
    if (tf__copies_settle(&d->copies, r.id, 0, &dropped)) { /* its twin runs on, or won already */
      free(r.data);
      continue;
    }
    r.avoid = -1;
    if (tf__pool_put(d->pool, 0, &r)) {
      free(r.data);
      return tf__down_oom(d, "queueing the tasks of a worker that left");
    }
    d->stats->left_tasks++;
  }
  return 0;
}
