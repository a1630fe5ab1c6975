/* handle.c - the operations an app may call inside its callbacks (tf_submit,
 * tf_result, ...) and the derivation of task ids. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handle.h"
#include "ids.h"
#include "log.h"

void tf__handle_init(tf_handle *h, const tf_app *app, const tf_config *cfg, int rank, int nworkers,
                     int worker_index) {
  memset(h, 0, sizeof *h);
  h->app = app;
  h->cfg = cfg;
  h->rank = rank;
  h->nworkers = nworkers;
  h->worker_index = worker_index;
}

void tf__handle_free(tf_handle *h) {
  tf__wbuf_free(&h->spawns);
  tf__order_free(&h->order);
  tf__idset_free(&h->followed);
  free(h->result);
  h->result = NULL;
  h->result_len = h->result_cap = 0;
}

void tf__handle_begin_execute(tf_handle *h, uint64_t id, uint32_t attempt) {
  h->phase = TF_IN_EXECUTE;
  h->cur_id = id;
  h->cur_attempt = attempt;
  h->nchildren = 0;
  h->result_len = 0;
  h->error = 0;
  h->errmsg[0] = '\0';
  h->spawns.len = 0; /* its header is written with the first child: most tasks have none */
  h->spawns.count = 0;
}

static int fail(tf_handle *h, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(tf_handle *h, int code, const char *fmt, ...) {
  if (!h->error) {
    h->error = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(h->errmsg, sizeof h->errmsg, fmt, ap);
    va_end(ap);
  }
  return code;
}

static const char *fn_name(const tf_handle *h) {
  return h->phase == TF_IN_EXECUTE    ? "execute"
         : h->phase == TF_IN_GENERATE ? "generate"
         : h->phase == TF_IN_COLLECT  ? "collect"
         : h->phase == TF_IN_FAILED   ? "failed"
                                      : "this callback";
}

int tf_submit_prio(tf_handle *h, const void *data, size_t size, int32_t priority) {
  if (!h) return TF_EINVAL;
  if (size && !data) return fail(h, TF_EINVAL, "tf_submit: NULL data with size %zu", size);
  if (size > h->cfg->max_payload)
    return fail(
        h, TF_ETOOBIG,
        "tf_submit in %s: task of %zu bytes is over the limit of %llu bytes (--max-payload)",
        fn_name(h), size, (unsigned long long)h->cfg->max_payload);
  if (h->phase == TF_IN_GENERATE) {
    if (h->skip && tf__idset_has(h->skip, h->next_id)) { /* its result is in the journal */
      h->last_id = h->next_id++;
      h->skipped++;
      return 0;
    }
    if (tf__queue_push_new(h->queue, h->next_id, priority, data, (uint32_t)size))
      return fail(h, TF_ENOMEM, "tf_submit: out of memory for a task of %zu bytes", size);
    h->last_id = h->next_id++;
    return 0;
  }
  if (h->phase == TF_IN_EXECUTE) {
    if (!h->spawns.len && tf__wire_begin(&h->spawns, TF_MSG_RESULTS, 0))
      return fail(h, TF_ENOMEM, "tf_submit in execute: out of memory");
    if (h->spawns.len + tf__wire_entry_bytes(size) > TF_MAX_SPAWN_BYTES + TF_WIRE_HEADER_SIZE)
      return fail(h, TF_ETOOBIG,
                  "tf_submit in execute: the children of task %llu would exceed %u MiB in all",
                  (unsigned long long)h->cur_id, TF_MAX_SPAWN_BYTES >> 20);
    uint64_t id = tf__child_id(h->cur_id, h->nchildren);
    int rc = tf__wire_add(&h->spawns, TF_ENT_SPAWN, id, priority, data, size);
    if (rc) return fail(h, rc, "tf_submit in execute: %s", tf_strerror(rc));
    h->nchildren++;
    return 0;
  }
  if ((h->phase == TF_IN_COLLECT || h->phase == TF_IN_FAILED) && h->followups) {
    uint64_t id = tf__followup_id(h->cur_id, h->nfollow);
    int rc = tf__idset_add(&h->followed, id);
    if (rc < 0) return fail(h, TF_ENOMEM, "tf_submit in %s: out of memory", fn_name(h));
    if (rc == 0)
      return fail(h, TF_EAPP,
                  "task id collision: follow-up %u of task %llu has id %llu, the id of an earlier "
                  "follow-up (63-bit hashes); the run stops rather than merge two tasks",
                  h->nfollow, (unsigned long long)h->cur_id, (unsigned long long)id);
    h->nfollow++;
    if (h->skip && tf__idset_has(h->skip, id)) return 0; /* its result is in the journal */
    if (tf__queue_push_new(h->followups, id, priority, data, (uint32_t)size))
      return fail(h, TF_ENOMEM, "tf_submit: out of memory for a task of %zu bytes", size);
    return 0;
  }
  return fail(h, TF_ESTATE, "tf_submit called outside generate, execute, collect and failed");
}

int tf_submit(tf_handle *h, const void *data, size_t size) {
  return tf_submit_prio(h, data, size, 0);
}

int tf_result(tf_handle *h, const void *data, size_t size) {
  if (!h) return TF_EINVAL;
  if (h->phase != TF_IN_EXECUTE) return fail(h, TF_ESTATE, "tf_result called outside execute");
  if (size && !data) return fail(h, TF_EINVAL, "tf_result: NULL data with size %zu", size);
  if (size > h->cfg->max_payload)
    return fail(h, TF_ETOOBIG,
                "tf_result: result of %zu bytes is over the limit of %llu bytes (--max-payload)",
                size, (unsigned long long)h->cfg->max_payload);
  if (size > h->result_cap) {
    unsigned char *p = realloc(h->result, size);
    if (!p) return fail(h, TF_ENOMEM, "tf_result: out of memory for %zu bytes", size);
    h->result = p;
    h->result_cap = size;
  }
  if (size) memcpy(h->result, data, size);
  h->result_len = size;
  return 0;
}

int tf_partial(tf_handle *h, const void *data, size_t size) {
  if (!h) return TF_EINVAL;
  if (h->phase != TF_IN_EXECUTE) return fail(h, TF_ESTATE, "tf_partial called outside execute");
  if (size && !data) return fail(h, TF_EINVAL, "tf_partial: NULL data with size %zu", size);
  if (size > h->cfg->max_payload)
    return fail(h, TF_ETOOBIG,
                "tf_partial: a piece of %zu bytes is over the limit of %llu bytes (--max-payload)",
                size, (unsigned long long)h->cfg->max_payload);
  if (!h->app->partial || !h->send_partial) return 0; /* nobody would read it */
  int rc = h->send_partial(h->partial_ctx, h->cur_id, h->cur_attempt, data, size);
  return rc ? fail(h, rc, "tf_partial: %s", tf_strerror(rc)) : 0;
}

int tf_set_total(tf_handle *h, uint64_t total) {
  if (!h) return TF_EINVAL;
  if (h->phase != TF_IN_GENERATE) return fail(h, TF_ESTATE, "tf_set_total called outside generate");
  h->total = total;
  return 0;
}

tf_id tf_task_id(const tf_handle *h) {
  if (!h) return 0;
  return h->phase == TF_IN_EXECUTE ? h->cur_id : h->last_id;
}

int tf_stop(tf_handle *h, int when, int status) {
  if (!h) return TF_EINVAL;
  if (h->phase != TF_IN_COLLECT && h->phase != TF_IN_FAILED)
    return fail(h, TF_ESTATE, "tf_stop called outside collect and failed");
  if ((when != TF_STOP_SOON && when != TF_STOP_NOW) || status > 0)
    return fail(h, TF_EINVAL,
                "tf_stop: when %d is not TF_STOP_SOON or TF_STOP_NOW, or status %d > 0", when,
                status);
  if (!h->stop) h->stop_status = status;
  if (when > h->stop) h->stop = when; /* SOON may become NOW, never the other way */
  return 0;
}

int tf_run_status(const tf_handle *h) { return h ? h->run_status : TF_EINVAL; }
int tf_rank(const tf_handle *h) { return h ? h->rank : -1; }
int tf_nworkers(const tf_handle *h) { return h ? h->nworkers : 0; }
int tf_worker_index(const tf_handle *h) { return h ? h->worker_index : -1; }
const tf_config *tf_get_config(const tf_handle *h) { return h ? h->cfg : NULL; }

int tf_operand_count(const tf_handle *h) { return h && h->cfg ? h->cfg->noperands : 0; }

const char *tf_operand(const tf_handle *h, int i) {
  return h && h->cfg && i >= 0 && i < h->cfg->noperands ? h->cfg->operands[i] : NULL;
}

int tf__call_hook(tf_handle *h, int (*fn)(tf_handle *, void *), const char *what) {
  if (!fn) return 0;
  enum tf_phase saved = h->phase;
  h->phase = TF_IN_INIT;
  h->error = 0;
  int rc = fn(h, h->app->ctx);
  h->phase = saved;
  if (rc != 0 || h->error) {
    if (h->error)
      tf__log(h->rank, "%s failed: %s", what, h->errmsg);
    else
      tf__log(h->rank, "%s failed (returned %d)", what, rc);
    return TF_EAPP;
  }
  return 0;
}

int tf__call_generate(tf_handle *h, int *done, uint64_t *generated) {
  if (!h->app->generate) {
    *done = 1;
    return 0;
  }
  size_t before = tf__queue_size(h->queue);
  uint64_t skipped = h->skipped;
  h->phase = TF_IN_GENERATE;
  h->error = 0;
  int rc = h->app->generate(h, h->app->ctx);
  h->phase = TF_IN_NONE;
  *generated += tf__queue_size(h->queue) - before + (h->skipped - skipped);
  if (h->error) {
    tf__log(0, "generate: %s", h->errmsg);
    return h->error;
  }
  if (rc < 0) {
    tf__log(0, "generate failed (returned %d%s)", rc, tf__rc_hint(rc));
    return TF_EAPP;
  }
  if (rc == TF_GEN_DONE) *done = 1;
  return 0;
}

static inline __attribute__((always_inline)) int collect_now(tf_handle *h, uint64_t id,
                                                             const void *data, size_t size);

static int in_order(const tf_handle *h, uint64_t id) {
  return h->app->collect_in_order && !(id & TF_ID_SPAWNED);
}

/* Collect the waiting results whose turn has come (all = 1: every one, in id order). */
static int release(tf_handle *h, int all) {
  tf_held x;
  int rc = 0;
  while (!rc && (all ? tf__order_pop_any(&h->order, &x) : tf__order_pop(&h->order, &x))) {
    if (!x.gone) rc = collect_now(h, x.id, x.data, x.size);
    free(x.data);
  }
  return rc;
}

static int order_failed(uint64_t id, int rc) {
  tf__log(0, "%s task %llu's result in order (collect_in_order)",
          rc == TF_ENOMEM ? "out of memory keeping" : "internal error: a second turn for",
          (unsigned long long)id);
  return rc == TF_ENOMEM ? TF_ENOMEM : TF_EAPP;
}

int tf__call_collect(tf_handle *h, uint64_t id, const void *data, size_t size) {
  if (!h->app->collect) return 0;
  if (!in_order(h, id)) return collect_now(h, id, data, size);
  int rc = tf__order_put(&h->order, id, data, size);
  if (rc < 0) return order_failed(id, rc);
  if (rc == 1 && (rc = collect_now(h, id, data, size))) return rc;
  return release(h, 0);
}

int tf__collect_rest(tf_handle *h) { return h->app->collect_in_order ? release(h, 1) : 0; }

int tf__order_may_generate(const tf_handle *h, uint64_t id) {
  if (!h->app->collect_in_order || h->cfg->schedule == TF_SCHEDULE_STATIC) return 1;
  uint64_t window = 2 * (uint64_t)(h->nworkers > 0 ? h->nworkers : 1) * (uint64_t)h->cfg->prefetch + 64;
  return tf__order_room(&h->order, id, window);
}

static inline __attribute__((always_inline)) int collect_now(tf_handle *h, uint64_t id,
                                                             const void *data, size_t size) {
  tf_task t = {id, 0, 0, size ? data : NULL, size};
  h->cur_id = id;
  h->nfollow = 0;
  h->phase = TF_IN_COLLECT;
  h->error = 0;
  int rc = h->app->collect(h, &t, h->app->ctx);
  h->phase = TF_IN_NONE;
  if (rc == 0 && !h->error) return 0;
  tf__log(0, "collect failed for task %llu (%s)", (unsigned long long)id,
          h->error ? h->errmsg : "it returned non-zero");
  return TF_EAPP;
}

int tf__call_finish(tf_handle *h) {
  if (!h->app->finish) return 0;
  h->phase = TF_IN_FINISH;
  h->error = 0;
  int rc = h->app->finish(h, h->app->ctx);
  h->phase = TF_IN_NONE;
  if (rc == 0 && !h->error) return 0;
  tf__log(0, "finish failed (%s)", h->error ? h->errmsg : "it returned non-zero");
  return TF_EAPP;
}

int tf__call_partial(tf_handle *h, uint64_t id, uint32_t attempt, const void *data, size_t size) {
  if (!h->app->partial) return 0;
  /* A one-rank farm is inside execute: its phase, task and error stay as they were. */
  enum tf_phase phase = h->phase;
  uint64_t cur_id = h->cur_id;
  int error = h->error;
  char errmsg[sizeof h->errmsg];
  if (error) memcpy(errmsg, h->errmsg, sizeof errmsg);
  tf_task t = {id, 0, attempt, size ? data : NULL, size};
  h->phase = TF_IN_PARTIAL;
  h->cur_id = id;
  h->error = 0;
  int rc = h->app->partial(h, &t, h->app->ctx);
  int bad = rc != 0 || h->error;
  if (bad)
    tf__log(0, "partial failed for task %llu (%s)", (unsigned long long)id,
            h->error ? h->errmsg : "it returned non-zero");
  h->phase = phase;
  h->cur_id = cur_id;
  h->error = error;
  if (error) memcpy(h->errmsg, errmsg, sizeof errmsg);
  return bad ? TF_EAPP : 0;
}

int tf__call_master_fini(tf_handle *h, int status) {
  h->run_status = status;
  return tf__call_hook(h, h->app->master_fini, "master_fini");
}

static int call_failed(tf_handle *h, const tf_failure *f) {
  if (!h->app->failed) return 0;
  h->cur_id = f->id;
  h->nfollow = 0;
  h->phase = TF_IN_FAILED;
  h->error = 0;
  int rc = h->app->failed(h, f, h->app->ctx);
  h->phase = TF_IN_NONE;
  if (rc == 0 && !h->error) return 0;
  tf__log(0, "failed (the app's hook) failed for task %llu (%s)", (unsigned long long)f->id,
          h->error ? h->errmsg : "it returned non-zero");
  return TF_EAPP;
}

int tf__given_up(tf_handle *h, tf_run_stats *s, const tf_failure *f) {
  tf__note_failure(s, f->id);
  int rc = call_failed(h, f);
  if (rc || !in_order(h, f->id) || !h->app->collect) return rc;
  if ((rc = tf__order_gone(&h->order, f->id)) < 0) return order_failed(f->id, rc);
  return release(h, 0);
}

int tf__after_failure(tf_handle *h, tf_run_stats *s, tf_rec *r, int rank, int status,
                      const char *text, size_t text_len, const void *out, size_t out_len) {
  const tf_config *cfg = h->cfg;
  char why[4 * TF_WIRE_MAX_MESSAGE + 4]; /* every byte may become \xNN */
  tf__printable(text, text_len, why, sizeof why);
  int why_len = (int)strlen(why);
  char where[32] = "";
  if (rank > 0) snprintf(where, sizeof where, " on rank %d", rank);
  if (r->attempt < (uint32_t)cfg->retries) {
    tf__log(0, "task %llu failed%s (attempt %u of %d): %.*s; trying again",
            (unsigned long long)r->id, where, r->attempt + 1, cfg->retries + 1, why_len, why);
    r->attempt++;
    s->retried++;
    return 1;
  }
  tf__log(0, "task %llu failed%s after %u attempt%s: %.*s; giving up on it",
          (unsigned long long)r->id, where, r->attempt + 1, r->attempt ? "s" : "", why_len, why);
  tf_failure f = {r->id, r->attempt + 1, status, rank, 0, why, r->data, r->size,
                  out_len ? out : NULL, out_len};
  int rc = tf__given_up(h, s, &f);
  return rc ? rc : cfg->fail_fast ? TF_EAPP : 0;
}
