/* policy.c - chunk and depth for each schedule (see policy.h). */
#include "policy.h"

#include <math.h>

void tf__policy_init(tf_policy *p, tf_schedule kind, int nworkers, int chunk, int max_depth) {
  p->kind = kind;
  p->nworkers = nworkers > 0 ? nworkers : 1;
  p->max_depth = max_depth > 0 ? max_depth : 1;
  p->chunk = chunk < 1 ? 1 : chunk > p->max_depth ? p->max_depth : chunk;
  p->task_s = -1;
  p->rtt_s = -1;
  p->share = 0;
  p->task_b = p->result_b = -1;
}

void tf__policy_set_share(tf_policy *p, uint64_t share) { p->share = share; }

/* Weight of a new measurement in the moving averages. */
#define NEW_WEIGHT 0.25

void tf__policy_observe(tf_policy *p, uint64_t tasks, double busy_s, uint64_t waits,
                        double wait_s) {
  if (tasks) {
    double t = busy_s / (double)tasks;
    p->task_s = p->task_s < 0 ? t : p->task_s + NEW_WEIGHT * (t - p->task_s);
  }
  if (waits) {
    double r = wait_s / (double)waits;
    p->rtt_s = p->rtt_s < 0 ? r : p->rtt_s + NEW_WEIGHT * (r - p->rtt_s);
  }
}

static void average_bytes(double *avg, uint64_t n, uint64_t bytes) {
  if (!n) return;
  double b = (double)bytes / (double)n;
  *avg = *avg < 0 ? b : *avg + NEW_WEIGHT * (b - *avg);
}

void tf__policy_observe_task_bytes(tf_policy *p, uint64_t n, uint64_t bytes) {
  average_bytes(&p->task_b, n, bytes);
}

void tf__policy_observe_result_bytes(tf_policy *p, uint64_t n, uint64_t bytes) {
  average_bytes(&p->result_b, n, bytes);
}

/* The most tasks the byte share holds: of those handed out, and of the
 * results they make (at least one). */
static int byte_depth(const tf_policy *p) {
  double b = p->task_b > p->result_b ? p->task_b : p->result_b;
  if (!p->share || b <= 0) return INT32_MAX;
  double d = (double)p->share / b;
  return d < 1 ? 1 : d > INT32_MAX ? INT32_MAX : (int)d;
}

/* ceil() that ignores floating-point dust: 200.00000000000003 is 200. */
static double ceil_fuzzy(double x) { return ceil(x * (1 - 1e-12)); }

static int clamp(double v, int lo, int hi) {
  if (!(v >= lo)) return lo; /* also NaN */
  if (v > hi) return hi;
  return (int)v;
}

/* No worker should take more than half its fair share of what is left. */
static int tail_share(const tf_policy *p, uint64_t left) {
  if (left == TF_LEFT_UNKNOWN) return INT32_MAX;
  uint64_t share = (left + 2 * (uint64_t)p->nworkers - 1) / (2 * (uint64_t)p->nworkers);
  return share > INT32_MAX ? INT32_MAX : share < 1 ? 1 : (int)share;
}

tf_plan tf__policy_plan(const tf_policy *p, uint64_t left) {
  int chunk, depth, send = 0; /* 0: one chunk */
  /* The most a worker may hold: --prefetch, and what its byte share holds.
   * Every schedule plans within it, so that a depth cut by bytes still
   * leaves room for the next chunk to arrive while one runs. */
  int bytes = byte_depth(p);
  int max_depth = p->max_depth < bytes ? p->max_depth : bytes;
  switch (p->kind) {
  case TF_SCHEDULE_DYNAMIC:
    chunk = p->chunk;
    depth = 2 * chunk; /* the next chunk arrives while this one runs */
    break;
  case TF_SCHEDULE_GUIDED: {
    int share = tail_share(p, left);
    chunk = share == INT32_MAX ? p->chunk : share;          /* unknown: the smallest */
    if (chunk > max_depth / 2) chunk = max_depth / 2; /* so that two fit */
    if (chunk < p->chunk) chunk = p->chunk;
    depth = 2 * chunk;
    break;
  }
  case TF_SCHEDULE_ADAPTIVE: {
    if (p->task_s < 0) { /* nothing measured yet: one at a time, one ahead */
      chunk = 1;
      depth = 2;
      break;
    }
    double t = p->task_s > 1e-9 ? p->task_s : 1e-9;
    double rtt = p->rtt_s > 0 ? p->rtt_s : TF_POLICY_DEFAULT_RTT;
    /* Enough tasks per message that the message (an exchange with the
     * master: its measured round trip) costs little beside them,
     * and enough in hand to cover a round trip to the master (at least one:
     * on a shared core the master may answer late). When no more tasks are
     * left than workers, a worker fetches only when idle, so that none waits
     * behind a busy worker while another has nothing to do. */
    double msg = rtt > TF_POLICY_MSG_COST ? rtt : TF_POLICY_MSG_COST;
    chunk = clamp(ceil_fuzzy(msg / (TF_POLICY_OVERHEAD * t)), 1,
                  max_depth > 1 ? max_depth / 2 : 1);
    int share = tail_share(p, left);
    if (chunk > share) chunk = share;
    int cover = clamp(ceil_fuzzy(TF_POLICY_COVER * rtt / t) + 1, 1, max_depth);
    if (cover > share) cover = share;
    if (left != TF_LEFT_UNKNOWN && left <= (uint64_t)p->nworkers) cover = 0;
    depth = clamp((double)chunk + cover, chunk, max_depth);
    send = share < depth ? (share > chunk ? share : chunk) : depth;
    break;
  }
  case TF_SCHEDULE_STATIC:
  default:
    depth = max_depth;
    chunk = depth > 1 ? depth / 2 : 1;
    send = depth;
    break;
  }
  if (depth > max_depth) depth = max_depth;
  if (chunk > depth) chunk = depth;
  if (chunk < 1) chunk = 1;
  if (depth < chunk) depth = chunk;
  if (send < chunk) send = chunk;
  if (send > depth) send = depth;
  return (tf_plan){depth, chunk, send};
}
