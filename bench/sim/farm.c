/* farm.c - the model of a run (see farm.h). Ranks are nodes of a tree: the
 * root (index 0), then the relays level by level, then the workers; each
 * node's children are consecutive. A rank handles one thing at a time:
 * `free_at` is when it is done with what it has. */
#include "farm.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "events.h"
#include "policy.h"
#include "../uniform.h"

/* What src/up.c does with results while it waits for an answer. */
#define RESULT_HOLD 100e-6   /* TF_RESULT_HOLD: results wait for the answer at most this */
#define FLUSH_INTERVAL 0.01  /* TF_FLUSH_INTERVAL: results go without a request after this */
#define RELAY_BATCH 4        /* TF_RELAY_BATCH: chunks per worker in a relay's exchange */
#define HEADER_BYTES 24      /* TF_WIRE_HEADER_SIZE */
#define ENTRY_BYTES 24       /* TF_WIRE_ENTRY_SIZE */
#define STATS_BYTES (ENTRY_BYTES + 32)

enum { EV_MSG, EV_TASK_END, EV_HOLD, EV_SHARE };
enum { MSG_TASKS, MSG_RESULTS };

typedef struct msg {
  int kind, from;
  long long n;   /* tasks (TASKS) or results (RESULTS) */
  uint64_t *ids; /* TASKS: the tasks */
  long long ask; /* RESULTS: tasks asked for */
  double busy, wait;
  long long waits;
  int depth, chunk; /* TASKS: the plan */
  int last;         /* TASKS: the sender has no more after these */
} msg;

typedef struct ring {
  uint64_t *v;
  size_t head, n, cap;
} ring;

typedef struct node {
  int server; /* root or relay */
  int parent, first, nchildren, remote;
  long long width; /* workers at or below */
  double free_at;
  /* towards the parent */
  ring hand;          /* tasks here not yet started or handed on */
  long long below;    /* a server: tasks in its children's hands */
  int running;        /* a worker: 1 while a task runs */
  uint64_t cur;
  double cur_len, rem; /* the running task's length; work left of it (shared cores) */
  long long asked;    /* tasks asked for in its open requests (a worker: two at most) */
  long long asked_first; /* in the oldest */
  double asked_at, asked_last; /* when the oldest open request went; the newest */
  long long out_n, out_waits;
  double out_busy, out_wait, out_since;
  int hold_set;
  int depth, chunk;   /* the plan the parent sent */
  int parent_empty;   /* the parent said it has no more */
  long long dem, dem_next; /* its open requests as the parent sees them (oldest first) */
  long long given;    /* tasks the parent handed it whose results it has not yet seen */
  int mail;           /* messages a busy worker will handle after its task */
  /* serving children (servers) */
  tf_policy pol;
  ring asking; /* children with a request open, in the order they asked */
  uint64_t next_id; /* the root: the next task to generate */
} node;

typedef struct sim {
  const sim_config *cfg;
  node *n;
  int count, nworkers;
  sim_agenda ag;
  sim_result *r;
  long long done;
  double done_at;
  int oom;
  /* shared cores (cfg->cores): running tasks progress at rate `rate` */
  int running;
  double rate, shared_at;
  uint64_t share_gen;
} sim;

/* ---- tasks ------------------------------------------------------------------------------ */

double sim_task_time(const sim_config *cfg, uint64_t id) {
  double u = tf_bench_uniform(id), m = cfg->mean_s;
  if (cfg->dist == SIM_EXP) return -m * log(u);
  if (cfg->dist == SIM_PARETO) return m / 3.0 / pow(u, 1.0 / 1.5);
  return m;
}

/* ---- small helpers ---------------------------------------------------------------------- */

static int ring_push(ring *q, uint64_t id) {
  if (q->n == q->cap) {
    size_t cap = q->cap ? 2 * q->cap : 64;
    uint64_t *v = malloc(cap * sizeof *v);
    if (!v) return -1;
    for (size_t i = 0; i < q->n; i++)
      v[i] = q->v[(q->head + i) % q->cap];
    free(q->v);
    q->v = v;
    q->head = 0;
    q->cap = cap;
  }
  q->v[(q->head + q->n++) % q->cap] = id;
  return 0;
}

static uint64_t ring_pop(ring *q) {
  uint64_t id = q->v[q->head];
  q->head = (q->head + 1) % q->cap;
  q->n--;
  return id;
}

static void add(sim *s, double t, int kind, int node, void *m, uint64_t gen) {
  if (sim_agenda_add(&s->ag, t, kind, node, m, gen)) s->oom = 1;
}

/* Oversubscribed: handling costs stretch as the cores are shared. */
static double stretch(const sim *s) {
  if (!s->cfg->cores) return 1;
  double f = (double)(s->running + 1) / s->cfg->cores;
  return f > 1 ? f : 1;
}

/* Rank k does something costing `cost` from time t on: returns when done. */
static double work(sim *s, int k, double t, double cost) {
  node *x = &s->n[k];
  double start = t > x->free_at ? t : x->free_at;
  x->free_at = start + cost * stretch(s);
  if (k == 0) s->r->root_busy += x->free_at - start;
  return x->free_at;
}

static void post(sim *s, int from, int to, double t, msg *m) {
  const sim_costs *c = &s->cfg->c;
  node *link = s->n[from].parent == to ? &s->n[from] : &s->n[to]; /* the child end */
  double bytes = HEADER_BYTES;
  if (m->kind == MSG_TASKS)
    bytes += (double)m->n * (ENTRY_BYTES + s->cfg->task_bytes);
  else
    bytes += (double)m->n * (ENTRY_BYTES + s->cfg->result_bytes) + STATS_BYTES;
  double lat = link->remote ? c->lat_net : c->lat_local;
  double bw = link->remote ? c->bw_net : c->bw_local;
  if (s->cfg->cores && s->nworkers + 1 > s->cfg->cores) lat += c->wake;
  m->from = from;
  add(s, t + lat + (bw > 0 ? bytes / bw : 0), EV_MSG, to, m, 0);
}

static double msg_cost(const sim *s, int k) {
  return k == 0 ? s->cfg->c.root_msg : s->n[k].server ? s->cfg->c.relay_msg : s->cfg->c.worker_msg;
}

static double task_cost(const sim *s, int k) {
  return k == 0 ? s->cfg->c.root_task : s->n[k].server ? s->cfg->c.relay_task : s->cfg->c.worker_task;
}

/* Send the results gathered at k to its parent, with a request for `ask`. */
static double send_results(sim *s, int k, double t, long long ask) {
  node *x = &s->n[k];
  msg *m = calloc(1, sizeof *m);
  if (!m) {
    s->oom = 1;
    return t;
  }
  *m = (msg){.kind = MSG_RESULTS, .n = x->out_n, .ask = ask, .busy = x->out_busy,
             .wait = x->out_wait, .waits = x->out_waits};
  t = work(s, k, t, msg_cost(s, k) + (x->server ? (double)x->out_n * task_cost(s, k) / 2 : 0));
  if (ask) {
    if (!x->asked) {
      x->asked_first = ask;
      x->asked_at = t;
    }
    x->asked_last = t;
    x->asked += ask;
  }
  x->out_n = x->out_waits = 0;
  x->out_busy = x->out_wait = 0;
  x->hold_set = 0;
  post(s, k, x->parent, t, m);
  return t;
}

/* What a worker holding `held` tasks asks for under its plan, counting what
 * it asked for as held; a second request only with nothing queued, never a
 * third (up.c want). */
static long long want(const node *x, long long held) {
  if (x->asked && (x->asked > x->asked_first || x->hand.n)) return 0;
  held += x->asked;
  return held <= x->depth - x->chunk ? x->depth - held : 0;
}

/* The oldest open request was answered at time t (one frame answers it,
 * even with fewer tasks); a second, if one went, is the open one now. */
static void answered(node *x, double t) {
  x->out_wait += t - x->asked_at;
  x->out_waits++;
  x->asked -= x->asked_first;
  x->asked_first = x->asked;
  if (x->asked) x->asked_at = x->asked_last;
}

/* ---- shared cores ----------------------------------------------------------------------- */

/* Bring the running tasks' work up to time t at the rate so far. */
static void share_update(sim *s, double t) {
  double done = (t - s->shared_at) * s->rate;
  for (int k = 0; k < s->count; k++)
    if (!s->n[k].server && s->n[k].running) s->n[k].rem -= done;
  s->shared_at = t;
}

/* After a task started or ended: the new rate and the next end. */
static void share_plan(sim *s, double t) {
  s->rate = s->running > s->cfg->cores ? (double)s->cfg->cores / s->running : 1;
  double first = INFINITY;
  int who = -1;
  for (int k = 0; k < s->count; k++)
    if (!s->n[k].server && s->n[k].running && s->n[k].rem < first) {
      first = s->n[k].rem;
      who = k;
    }
  s->share_gen++;
  if (who >= 0) add(s, t + (first > 0 ? first : 0) / s->rate, EV_SHARE, who, NULL, s->share_gen);
}

/* ---- workers ---------------------------------------------------------------------------- */

static void worker_start(sim *s, int k, double t) {
  node *x = &s->n[k];
  x->cur = ring_pop(&x->hand);
  x->running = 1;
  long long ask = want(x, (long long)x->hand.n + 1);
  int slow = s->cfg->mean_s >= FLUSH_INTERVAL;
  if (ask || (x->out_n && (slow || t - x->out_since >= FLUSH_INTERVAL))) t = send_results(s, k, t, ask);
  x->cur_len = sim_task_time(s->cfg, x->cur);
  t = work(s, k, t, s->cfg->c.worker_task);
  s->r->work += x->cur_len;
  if (s->cfg->cores) {
    share_update(s, t);
    x->rem = x->cur_len;
    s->running++;
    share_plan(s, t);
  } else {
    s->running++;
    add(s, t + x->cur_len, EV_TASK_END, k, NULL, 0);
  }
}

/* A worker with nothing running at time t: the next task, or a request. */
static void worker_step(sim *s, int k, double t) {
  node *x = &s->n[k];
  if (x->hand.n) {
    worker_start(s, k, t);
    return;
  }
  long long ask = want(x, 0);
  if (ask || (x->out_n && !x->asked)) {
    send_results(s, k, t, ask);
  } else if (x->out_n && !x->hold_set) {
    x->hold_set = 1;
    add(s, x->out_since + RESULT_HOLD > t ? x->out_since + RESULT_HOLD : t, EV_HOLD, k, NULL, 0);
  }
}

static void worker_task_end(sim *s, int k, double t) {
  node *x = &s->n[k];
  x->running = 0;
  s->running--;
  x->free_at = t;
  if (!x->out_n) x->out_since = t;
  x->out_n++;
  x->out_busy += x->cur_len;
  if (x->mail) t = work(s, k, t, x->mail * s->cfg->c.worker_msg);
  x->mail = 0;
  worker_step(s, k, t);
}

static void worker_tasks(sim *s, int k, double t, msg *m) {
  node *x = &s->n[k];
  for (long long i = 0; i < m->n; i++)
    if (ring_push(&x->hand, m->ids[i])) s->oom = 1;
  x->depth = m->depth;
  x->chunk = m->chunk;
  answered(x, t);
  if (x->running) {
    x->mail++; /* seen when the task ends: a worker looks between tasks */
    return;
  }
  worker_step(s, k, work(s, k, t, s->cfg->c.worker_msg));
}

/* ---- servers (the root and relays) ------------------------------------------------------ */

static long long queued(const sim *s, int k) {
  const node *x = &s->n[k];
  return k == 0 ? s->cfg->tasks - (long long)x->next_id : (long long)x->hand.n;
}

static uint64_t take(sim *s, int k) {
  node *x = &s->n[k];
  return k == 0 ? x->next_id++ : ring_pop(&x->hand);
}

/* Answer the children's open requests as the plan says, a round of
 * tf__down_dispatch: one answer to each; *sent counts them. */
static double dispatch_round(sim *s, int k, double t, int *sent) {
  node *x = &s->n[k];
  long long asking = (long long)x->asking.n;
  if (!asking || !queued(s, k)) return t;
  /* What is left: the root knows; a relay, once its parent has no more. */
  uint64_t left = k == 0 || x->parent_empty ? (uint64_t)queued(s, k) : TF_LEFT_UNKNOWN;
  tf_plan plan = tf__policy_plan(&x->pol, left);
  /* In the order they asked (the engine goes round robin: the same over
   * time); those that hold their share already wait for the next round. */
  long long rounds = (long long)x->asking.n;
  while (rounds-- > 0 && queued(s, k)) {
    int c = (int)ring_pop(&x->asking);
    long long q = queued(s, k);
    /* the plan is per worker: a relay gets it for each worker it serves */
    long long send = (long long)plan.send * s->n[c].width;
    long long n = s->n[c].dem < send ? s->n[c].dem : send;
    if (n > q / asking) n = q / asking > 0 ? q / asking : 1;
    /* Where relays are involved, no child holds more than its workers'
     * fair share of what is here or out (counting what the child holds;
     * the tail share of policy.c bounds each answer): a plan made from the first
     * results, which are the short tasks, asks for far too many, and a
     * relay would ask again and again. A child holding nothing gets one. */
    if (k != 0 || s->n[c].server) {
      double all = (double)(q + x->below);
      long long fair =
          (long long)(all * (double)s->n[c].width / (double)x->width) - s->n[c].given;
      if (fair <= 0 && s->n[c].given > 0) {
        if (ring_push(&x->asking, (uint64_t)c)) s->oom = 1; /* asks again later */
        continue;
      }
      if (n > fair) n = fair > 0 ? fair : 1;
    }
    msg *m = calloc(1, sizeof *m);
    uint64_t *ids = malloc((size_t)n * sizeof *ids);
    if (!m || !ids) {
      free(m);
      free(ids);
      s->oom = 1;
      return t;
    }
    for (long long a = 0; a < n; a++)
      ids[a] = take(s, k);
    *m = (msg){.kind = MSG_TASKS, .n = n, .ids = ids, .depth = plan.depth, .chunk = plan.chunk,
               .last = queued(s, k) == 0 && (k == 0 || x->parent_empty)};
    /* the request is answered; a second one is served in a later round */
    s->n[c].dem = s->n[c].dem_next;
    s->n[c].dem_next = 0;
    if (s->n[c].dem > 0 && ring_push(&x->asking, (uint64_t)c)) s->oom = 1;
    s->n[c].given += n;
    x->below += n;
    t = work(s, k, t, msg_cost(s, k) + (double)n * task_cost(s, k) / 2);
    if (k == 0) s->r->root_msgs++;
    post(s, k, c, t, m);
    (*sent)++;
  }
  return t;
}

/* Rounds until no answer goes: what an answer left asked for goes in the
 * next (the engine's loop dispatches on every turn). */
static double dispatch(sim *s, int k, double t) {
  int sent;
  do {
    sent = 0;
    t = dispatch_round(s, k, t, &sent);
  } while (sent && !s->oom);
  return t;
}

/* A relay: ask its parent for more, and send its children's results up.
 * The parent's plan is per worker (it sees a relay as `width` workers): the
 * relay holds that plan for each worker below it, never less than its own
 * plan for them and a chunk, within --prefetch, asks when a chunk for all of
 * them fits, and then asks for RELAY_BATCH chunks each. Results go up with
 * a request, or once they make RELAY_BATCH such chunks, or after
 * FLUSH_INTERVAL, or at once when the relay has nothing left to hand out
 * (its workers may be waiting). */
static void relay_up(sim *s, int k, double t) {
  node *x = &s->n[k];
  tf_plan p = tf__policy_plan(&x->pol, TF_LEFT_UNKNOWN);
  long long own = (long long)p.depth + p.chunk, per = x->depth > own ? x->depth : own;
  if (per > s->cfg->prefetch) per = s->cfg->prefetch;
  long long chunk = (long long)x->chunk * x->width;
  long long held = (long long)x->hand.n + x->below, ask = 0;
  if (!x->asked && !x->parent_empty && held <= per * x->width - chunk) {
    long long most = per + (long long)(RELAY_BATCH - 1) * x->chunk;
    ask = (most < s->cfg->prefetch ? most : s->cfg->prefetch) * x->width - held;
  }
  /* (the same sum as the hold event's time: a difference could round below it) */
  if (ask || (x->out_n && (x->out_n >= RELAY_BATCH * chunk || !x->hand.n ||
                           t >= x->out_since + FLUSH_INTERVAL))) {
    send_results(s, k, t, ask);
  } else if (x->out_n && !x->hold_set) {
    x->hold_set = 1;
    add(s, x->out_since + FLUSH_INTERVAL, EV_HOLD, k, NULL, 0);
  }
}

static void server_results(sim *s, int k, double t, msg *m) {
  node *x = &s->n[k], *c = &s->n[m->from];
  t = work(s, k, t, msg_cost(s, k) + (double)m->n * task_cost(s, k) / 2);
  if (k == 0) s->r->root_msgs++;
  x->below -= m->n;
  c->given -= m->n;
  /* The plan is per worker, whatever the child: a relay's results tell
   * the task time of its workers (dividing by its width would make the first
   * results, which are the short tasks, look `width` times shorter still),
   * and the relay gets the plan once for each of them. */
  tf__policy_observe(&x->pol, (uint64_t)m->n, m->busy, (uint64_t)m->waits, m->wait);
  if (m->ask) { /* (results alone leave open requests open) */
    if (c->dem) {
      c->dem_next = m->ask; /* answered after the first */
    } else {
      c->dem = m->ask;
      if (ring_push(&x->asking, (uint64_t)m->from)) s->oom = 1;
    }
  }
  if (k == 0) {
    s->done += m->n;
    if (s->done == s->cfg->tasks) s->done_at = t;
  } else {
    if (!x->out_n && m->n) x->out_since = t;
    x->out_n += m->n;
    x->out_busy += m->busy;
  }
  t = dispatch(s, k, t);
  if (k != 0) relay_up(s, k, t);
}

static void server_tasks(sim *s, int k, double t, msg *m) {
  node *x = &s->n[k];
  t = work(s, k, t, msg_cost(s, k) + (double)m->n * task_cost(s, k) / 2);
  for (long long i = 0; i < m->n; i++)
    if (ring_push(&x->hand, m->ids[i])) s->oom = 1;
  x->depth = m->depth;
  x->chunk = m->chunk;
  x->parent_empty = m->last;
  answered(x, t);
  t = dispatch(s, k, t);
  relay_up(s, k, t);
}

/* ---- the tree --------------------------------------------------------------------------- */

/* Node indices: the root, the relays of each level from the top, the workers. */
static int build(sim *s) {
  const sim_config *cfg = s->cfg;
  int levels = cfg->relay_width > 0 ? (cfg->relay_levels > 1 ? 2 : 1) : 0;
  int size[4], start[4], nl = levels + 2; /* level sizes from the root down */
  size[nl - 1] = cfg->workers;
  for (int l = nl - 2; l >= 1; l--)
    size[l] = (size[l + 1] + cfg->relay_width - 1) / cfg->relay_width;
  size[0] = 1;
  int total = 0;
  for (int l = 0; l < nl; l++) {
    start[l] = total;
    total += size[l];
  }
  s->count = total;
  s->nworkers = cfg->workers;
  if (!(s->n = calloc((size_t)total, sizeof *s->n))) return -1;
  for (int l = 0; l < nl; l++) {
    int per = l == nl - 1 ? 0 : l == 0 ? size[1] : cfg->relay_width;
    for (int i = 0; i < size[l]; i++) {
      node *x = &s->n[start[l] + i];
      x->server = l < nl - 1;
      x->parent = l == 0 ? -1 : start[l - 1] + (l == 1 ? 0 : i / cfg->relay_width);
      if (x->server) {
        x->first = start[l + 1] + i * per;
        x->nchildren = per;
        if (x->first + x->nchildren > start[l + 1] + size[l + 1])
          x->nchildren = start[l + 1] + size[l + 1] - x->first;
      }
    }
  }
  /* widths from the bottom; which links cross nodes */
  for (int k = total - 1; k >= 0; k--) {
    node *x = &s->n[k];
    if (!x->server) x->width = 1;
    if (x->parent >= 0) s->n[x->parent].width += x->width;
  }
  for (int k = 1; k < total; k++) {
    node *x = &s->n[k];
    if (!cfg->node_ranks)
      x->remote = 0;
    else if (levels)
      x->remote = x->server; /* relays reach their parent over the network; workers share their relay's node */
    else
      x->remote = k / cfg->node_ranks != 0; /* flat: rank k; the root's node holds ranks 0..node_ranks-1 */
  }
  /* Plans: every child starts from the plan its parent starts from. */
  for (int k = 0; k < total; k++) {
    node *x = &s->n[k];
    if (!x->server) continue;
    /* as src/down.c: the plan is per worker, for the workers at or below */
    tf__policy_init(&x->pol, cfg->chunk ? TF_SCHEDULE_DYNAMIC : TF_SCHEDULE_ADAPTIVE,
                    (int)x->width, cfg->chunk ? cfg->chunk : 1, cfg->prefetch);
    tf_plan p = tf__policy_plan(&x->pol, TF_LEFT_UNKNOWN);
    for (int i = 0; i < x->nchildren; i++) {
      s->n[x->first + i].depth = p.depth;
      s->n[x->first + i].chunk = p.chunk;
    }
  }
  return 0;
}

/* Every rank but the root asks its parent at time 0 (as the workers and
 * relays do when they start). */
static void start(sim *s) {
  for (int k = s->count - 1; k >= 1; k--) {
    if (s->n[k].server)
      relay_up(s, k, 0);
    else
      worker_step(s, k, 0);
  }
}

static void handle(sim *s, const sim_event *e) {
  node *x = &s->n[e->node];
  switch (e->kind) {
  case EV_MSG: {
    msg *m = e->msg;
    if (m->kind == MSG_TASKS && !x->server)
      worker_tasks(s, e->node, e->t, m);
    else if (m->kind == MSG_TASKS)
      server_tasks(s, e->node, e->t, m);
    else
      server_results(s, e->node, e->t, m);
    free(m->ids);
    free(m);
    break;
  }
  case EV_TASK_END:
    worker_task_end(s, e->node, e->t);
    break;
  case EV_SHARE:
    if (e->gen != s->share_gen) break; /* a later start or end moved it */
    share_update(s, e->t);
    x->rem = 0;
    worker_task_end(s, e->node, e->t);
    share_plan(s, e->t);
    break;
  case EV_HOLD:
    x->hold_set = 0;
    if (x->server)
      relay_up(s, e->node, e->t > x->free_at ? e->t : x->free_at);
    else if (!x->running && !x->hand.n && x->out_n) /* waited long enough for the answer */
      send_results(s, e->node, e->t > x->free_at ? e->t : x->free_at, 0);
    break;
  }
}

int sim_run(const sim_config *cfg, sim_result *r) {
  memset(r, 0, sizeof *r);
  sim s = {.cfg = cfg, .r = r, .rate = 1};
  if (build(&s)) return -1;
  start(&s);
  sim_event e;
  while (!s.oom && s.done < cfg->tasks && sim_agenda_next(&s.ag, &e)) {
    r->events++;
    handle(&s, &e);
  }
  int oom = s.oom;
  while (sim_agenda_next(&s.ag, &e))
    if (e.msg) {
      free(((msg *)e.msg)->ids);
      free(e.msg);
    }
  for (int k = 0; k < s.count; k++) {
    free(s.n[k].hand.v);
    free(s.n[k].asking.v);
  }
  free(s.n);
  sim_agenda_free(&s.ag);
  if (oom || s.done < cfg->tasks) return -1;
  r->makespan = s.done_at;
  r->efficiency = r->work / ((double)cfg->workers * r->makespan);
  r->root_busy /= r->makespan;
  return 0;
}
