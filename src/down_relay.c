/* down_relay.c - the downstream engine (down.h) serving relays: a relay runs
 * many tasks at once and ends them in any order, gives up on tasks and says
 * which it cannot copy, and says goodbye for its workers. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "down.h"
#include "down_int.h"
#include "log.h"

/* A relay's task id, which it holds (it runs many at once, and ends them in
 * any order); else NULL, the run failed with a protocol error. */
const tf_rec *tf__down_relay_holds(tf_down *d, int i, uint64_t id, const char *what) {
  const tf_rec *r = tf__ledger_find(&d->ledger, i, id);
  if (r) return r;
  tf__log(d->layout->rank, "rank %d sent %s task %llu, which it does not hold", tf__down_rank(d, i),
          what, (unsigned long long)id);
  tf__down_fail(d, TF_EPROTO);
  return NULL;
}

/* Whether child i, which sent an entry only a relay sends, is one; else the
 * run failed with a protocol error. */
static int from_relay(tf_down *d, int i, const char *entry) {
  if (d->c[i].relay) return 1;
  tf__log(d->layout->rank, "rank %d, a worker, sent a relay's %s entry", tf__down_rank(d, i), entry);
  tf__down_fail(d, TF_EPROTO);
  return 0;
}

int tf__down_run_rank(tf_down *d, int i, const tf_entry *e) {
  if (!d->c[i].relay) return tf__down_rank(d, i);
  int r = e->attempt <= INT_MAX ? (int)e->attempt : -1;
  if (tf__layout_worker_of(d->layout, r) >= 0 && tf__layout_child_index(d->layout, r) < 0)
    return r;
  tf__log(d->layout->rank, "rank %d told of task %llu on rank %u, no worker behind a relay",
          tf__down_rank(d, i), (unsigned long long)e->id, e->attempt);
  tf__down_fail(d, TF_EPROTO);
  return -1;
}

/* A relay gave up on task e->id without a failed run (its workers were lost
 * running it, or it hangs): given up on here too, as the relay counted its
 * runs, named by the worker of the last run. */
int tf__down_on_lost(tf_down *d, int i, const tf_entry *e) {
  tf_rec r;
  int rank;
  if (!from_relay(d, i, "LOST") || (rank = tf__down_run_rank(d, i, e)) < 0) return TF_EPROTO;
  if (!tf__ledger_take(&d->ledger, i, e->id, &r)) { /* one lookup: the error says why */
    tf__down_relay_holds(d, i, e->id, "the loss of");
    return TF_EPROTO;
  }
  int rc, dropped;
  if (tf__copies_settle(&d->copies, r.id, 0, &dropped)) { /* its twin runs on, or won already */
    free(r.data);
    return 0;
  }
  char why[TF_WIRE_MAX_MESSAGE + 1];
  memcpy(why, e->data, e->size);
  why[e->size] = '\0';
  tf_failure f = {r.id, e->prio > 0 ? (uint32_t)e->prio : r.attempt + 1, 0, rank, 1, why, r.data,
                  r.size, NULL, 0};
  rc = tf__down_given_up(d, i, &f);
  free(r.data);
  if (!rc && d->cfg->fail_fast) rc = TF_EAPP;
  return rc ? tf__down_fail(d, rc) : 0;
}

/* A relay's task e->id has run past --task-timeout and none of its other
 * workers is free to run it too: another child may (down_watch.c). */
int tf__down_on_slow(tf_down *d, int i, const tf_entry *e) {
  if (!from_relay(d, i, "SLOW") || !tf__down_relay_holds(d, i, e->id, "a slow"))
    return TF_EPROTO;
  d->c[i].slow = 1;
  d->c[i].slow_id = e->id;
  d->c[i].slow_since = d->now - d->cfg->task_timeout;
  return 0;
}

/* A relay of one worker whose task hangs (it said so, and the task still
 * runs there though its copy elsewhere has ended): nothing more goes to it. */
int tf__down_stalled(tf_down *d, int i) {
  if (!d->c[i].relay || d->c[i].width > 1 || !d->c[i].slow) return 0;
  const tf_copy *c = tf__copies_find(&d->copies, d->c[i].slow_id);
  return c && c->done && tf__ledger_find(&d->ledger, i, d->c[i].slow_id);
}

int tf__down_starving(const tf_down *d) {
  for (int i = 0; i < d->n; i++)
    if (d->c[i].demand > 0 && d->c[i].state == TF_CHILD_RUNNING && !tf__ledger_held(&d->ledger, i))
      return 1;
  return 0;
}

/* ---- the goodbye of a relay --------------------------------------------------------- */

/* The part of relay i's goodbye from its worker at rank (len bytes of entries at body). */
static void record_part(tf_down *d, int i, uint64_t rank, const unsigned char *body, size_t len) {
  int w = rank < (uint64_t)d->layout->size ? tf__layout_worker_of(d->layout, (int)rank) : -1;
  if (w < 0) {
    tf__log(d->layout->rank, "rank %d sent the goodbye of rank %llu, not a worker: left out",
            tf__down_rank(d, i), (unsigned long long)rank);
    return;
  }
  tf_frame part = {TF_MSG_BYE, 0, 0, body, len};
  tf_entry e;
  for (size_t p = 0; tf__wire_next(&part, &p, &e);) part.count++;
  tf__down_record_worker(d, w, (int)rank, &part, d->c[i].stop_sent);
}

/* What became of relay i's worker at rank (a FATE entry): counted as the
 * root counts its own workers. */
static void record_fate(tf_down *d, int i, uint64_t rank, int fate) {
  tf_run_stats *s = d->stats;
  if (fate == TF_FATE_LOST) {
    tf__note_lost(s, (int)rank, 1);
  } else if (fate == TF_FATE_STUCK) {
    s->stuck_workers++;
  } else {
    tf__log(d->layout->rank, "rank %llu, a worker of rank %d, did not stop",
            (unsigned long long)rank, tf__down_rank(d, i));
    s->stuck = 1;
  }
}

/* A relay's goodbye: its own, then each of its workers' after an ORIGIN
 * entry naming the worker's rank. */
void tf__down_record_relay_bye(tf_down *d, int i, const tf_frame *f) {
  size_t pos = 0, at = 0;
  tf_entry e;
  int in_part = 0; /* reading a worker's part (else the relay's own) */
  uint64_t rank = 0;
  for (int more = 1; more;) {
    size_t end = pos;
    more = tf__wire_next(f, &pos, &e);
    if (more && e.type == TF_ENT_FATE) record_fate(d, i, e.id, e.prio);
    if (more && e.type != TF_ENT_ORIGIN) continue;
    if (in_part) record_part(d, i, rank, f->body + at, end - at);
    in_part = 1;
    rank = e.id;
    at = pos;
  }
}
