/* observe.c - rank 0's picture of a run: gathering the workers' counters
 * and trace events from their BYE frames, aligning their clocks to the
 * master's, and writing --stats and --trace (whole, through tf_output);
 * observe_timeline.c writes --timeline. */
#include "observe_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "log.h"

int tf__obs_wanted(const tf_config *cfg) {
  return cfg->stats_file || cfg->trace_file || cfg->timeline_file;
}

int tf__obs_init(tf_obs *o, const tf_config *cfg, int nworkers, int serial, double t0) {
  memset(o, 0, sizeof *o);
  o->nworkers = nworkers;
  o->serial = serial;
  o->t0 = t0;
  o->trace = cfg->trace_file || cfg->timeline_file;
  o->sample_every = TF_OBS_SAMPLE_EVERY;
  o->next_sample = t0;
  o->w = calloc(nworkers > 0 ? (size_t)nworkers : 1, sizeof *o->w);
  o->samples = malloc(TF_OBS_MAX_SAMPLES * sizeof *o->samples);
  if (!o->w || !o->samples) return TF_ENOMEM;
  for (int i = 0; i < nworkers; i++)
    o->w[i].req_since = o->w[i].req_next_since = -1;
  if (o->trace && !serial && tf__trace_init(&o->master, (size_t)cfg->trace_events, t0))
    return TF_ENOMEM;
  return 0;
}

int tf__obs_grow(tf_obs *o, int nworkers) {
  if (nworkers <= o->nworkers) return 0;
  tf_obs_worker *w = realloc(o->w, (size_t)nworkers * sizeof *w);
  if (!w) return TF_ENOMEM;
  memset(w + o->nworkers, 0, (size_t)(nworkers - o->nworkers) * sizeof *w);
  for (int i = o->nworkers; i < nworkers; i++)
    w[i].req_since = w[i].req_next_since = -1;
  o->w = w;
  o->nworkers = nworkers;
  return 0;
}

void tf__obs_start(tf_obs *o, double t0) { o->t0 = o->next_sample = o->master.epoch = t0; }

void tf__obs_request_answered(tf_obs *o, int w, double now) {
  tf_obs_worker *x = &o->w[w];
  if (x->req_since < 0) return;
  uint64_t ns = now > x->req_since ? (uint64_t)((now - x->req_since) * 1e9) : 0;
  x->req_wait_ns += ns;
  x->req_waits++;
  if (ns > x->req_wait_max_ns) x->req_wait_max_ns = ns;
  x->req_since = x->req_next_since;
  x->req_next_since = -1;
}

void tf__obs_root_counts(tf_obs *o, uint64_t msgs_sent, uint64_t bytes_sent, uint64_t msgs_recv,
                         uint64_t bytes_recv) {
  o->m_msgs_sent = msgs_sent;
  o->m_bytes_sent = bytes_sent;
  o->m_msgs_recv = msgs_recv;
  o->m_bytes_recv = bytes_recv;
}

void tf__obs_free(tf_obs *o) {
  for (int i = 0; o->w && i < o->nworkers; i++)
    free(o->w[i].ev);
  free(o->w);
  free(o->samples);
  tf__trace_free(&o->master);
  memset(o, 0, sizeof *o);
}

void tf__obs_sample(tf_obs *o, double now, uint64_t queued, uint64_t in_flight, uint64_t done) {
  if (o->nsamples == TF_OBS_MAX_SAMPLES) { /* keep every other one, sample half as often */
    for (size_t i = 0; i < TF_OBS_MAX_SAMPLES / 2; i++)
      o->samples[i] = o->samples[2 * i];
    o->nsamples = TF_OBS_MAX_SAMPLES / 2;
    o->sample_every *= 2;
  }
  o->samples[o->nsamples++] = (tf_obs_point){now - o->t0, queued, in_flight, done};
  o->next_sample = now + o->sample_every;
}

int tf__obs_bye(tf_obs *o, int w, const tf_frame *f, uint64_t tasks, double bye_recv) {
  tf_obs_worker *x = &o->w[w];
  x->bye_recv = bye_recv - o->t0;
  size_t pos = 0, n = 0;
  tf_entry e;
  while (tf__wire_next(f, &pos, &e)) {
    if (e.type == TF_ENT_OBS) {
      tf__wire_obs(&e, x->o);
      x->reported = 1;
    } else if (e.type == TF_ENT_EVENTS) {
      n += tf__wire_event_count(&e);
    }
  }
  if (!x->reported) return 0;
  /* A worker's counters are checked before anything prints them: one event
   * per task run, recorded or dropped; the events it says it sends are the
   * ones here; its clock stamps in order. */
  const uint64_t *v = x->o;
  if (v[TF_OBS_EVENTS] != n || v[TF_OBS_EVENTS] > tasks || v[TF_OBS_DROPPED] > tasks - v[TF_OBS_EVENTS] ||
      v[TF_OBS_FAILED] > tasks || v[TF_OBS_OUT_OF_TURN] > tasks || v[TF_OBS_STOP_SEEN] > v[TF_OBS_BYE_SENT] || v[TF_OBS_WAIT_MAX] > v[TF_OBS_WAIT_NS]) {
    tf__log(0,
            "rank %d sent counters that do not add up (%llu events sent, %llu said, %llu dropped, "
            "%llu tasks run): its counters and trace are left out",
            tf__obs_rank_of(o, w), (unsigned long long)n, (unsigned long long)v[TF_OBS_EVENTS],
            (unsigned long long)v[TF_OBS_DROPPED], (unsigned long long)tasks);
    memset(x->o, 0, sizeof x->o);
    x->reported = 0;
    return 0;
  }
  /* The STOP / BYE exchange as one NTP round: the worker's clock minus the
   * master's is the mean of the two one-way differences, good to half the
   * round trip less the worker's time between the two. */
  double seen = (double)x->o[TF_OBS_STOP_SEEN] * 1e-9, sent = (double)x->o[TF_OBS_BYE_SENT] * 1e-9;
  x->offset = ((seen - x->stop_sent) + (sent - x->bye_recv)) / 2;
  x->uncertainty = ((x->bye_recv - x->stop_sent) - (sent - seen)) / 2;
  if (!n || !o->trace) return 0;
  free(x->ev);
  x->ev = malloc(n * sizeof *x->ev);
  if (!x->ev) return TF_ENOMEM;
  pos = 0;
  while (tf__wire_next(f, &pos, &e))
    if (e.type == TF_ENT_EVENTS)
      for (size_t i = 0, k = tf__wire_event_count(&e); i < k; i++) {
        tf_event ev;
        tf__wire_event_at(&e, i, &ev);
        if (ev.kind != TF_EV_TASK || ev.t1 < ev.t0) continue; /* not a worker's: ignored */
        x->ev[x->nev++] = ev;
      }
  return 0;
}

/* ---- helpers ---------------------------------------------------------------- */

static void json_str(FILE *f, const char *s) {
  fputc('"', f);
  for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
    if (*p == '"' || *p == '\\')
      fprintf(f, "\\%c", *p);
    else if (*p < 0x20)
      fprintf(f, "\\u%04x", *p);
    else
      fputc(*p, f);
  }
  fputc('"', f);
}

/* A finite number for JSON. */
static double fin(double v) { return isfinite(v) ? v : 0.0; }

static const char *status_name(int status) {
  return status == TF_ESTOPPED ? "stopped" : status ? "failed" : "done";
}

/* The files are written whole (tf_output_*): a run killed while writing one leaves the old
 * file or none, never half of one. */
FILE *tf__obs_open_out(tf_output *out, const char *path, const char *opt) {
  char err[600];
  if (tf_output_open(path, out, err, sizeof err) == 0) return out->file;
  tf__log(0, "%s %s", opt, err);
  return NULL;
}

int tf__obs_close_out(tf_output *out, const char *opt) {
  char err[600];
  if (tf_output_commit(out, err, sizeof err) == 0) return 0;
  tf__log(0, "%s %s", opt, err);
  return TF_EIO;
}

uint64_t tf__obs_dropped_total(const tf_obs *o) {
  uint64_t d = o->master.dropped;
  for (int w = 0; w < o->nworkers; w++)
    d += o->w[w].o[TF_OBS_DROPPED];
  return d;
}

/* ---- --stats ---------------------------------------------------------------- */

/* Worker w joined the running farm (accept.h). */
static int joined(const tf_obs *o, int w) {
  return o->layout && o->layout->joined_from &&
         tf__obs_rank_of(o, w) >= o->layout->joined_from;
}

/* The run as a whole: the app, how it ended, the ranks, the workers that joined and left, the
 * wall time, the task counts, the first failed tasks and the ranks lost. */
static void stats_run(FILE *f, const tf_obs *o, const tf_app *app, const tf_run_stats *s,
                      int status, double wall) {
  fprintf(f, "{\n  \"format\": \"taskfarm-stats\", \"version\": 1,\n  \"app\": ");
  json_str(f, app && app->name ? app->name : "app");
  int relays = o->layout ? o->layout->relays : 0;
  fprintf(f, ", \"status\": \"%s\", \"ranks\": %d, \"nworkers\": %d, \"relays\": %d,\n",
          status_name(status), o->serial ? 1 : o->nworkers + 1 + relays, o->nworkers, relays);
  fprintf(f,
          "  \"joined\": {\"workers\": %llu, \"jobs\": %llu, \"left\": %llu, "
          "\"left_tasks\": %llu},\n",
          (unsigned long long)s->joined, (unsigned long long)s->joined_jobs,
          (unsigned long long)s->left, (unsigned long long)s->left_tasks);
  fprintf(f, "  \"wall_s\": %.9g, \"tasks_per_s\": %.9g,\n", wall,
          fin(wall > 0 ? (double)s->results / wall : 0));
  fprintf(f,
          "  \"tasks\": {\"generated\": %llu, \"spawned\": %llu, \"results\": %llu, \"failed\": "
          "%llu, \"retried\": %llu, \"resumed\": %llu, \"lost_tasks\": %llu, \"copies\": %llu, "
          "\"copies_dropped\": %llu, \"not_done\": %llu},\n",
          (unsigned long long)s->tasks_generated, (unsigned long long)s->tasks_spawned,
          (unsigned long long)s->results, (unsigned long long)s->failed,
          (unsigned long long)s->retried, (unsigned long long)s->resumed,
          (unsigned long long)s->lost_tasks, (unsigned long long)s->copies,
          (unsigned long long)s->copies_dropped, (unsigned long long)s->not_done);
  fprintf(f, "  \"failed_ids\": [");
  for (uint64_t i = 0; i < s->failed && i < TF_FAILED_LISTED; i++)
    fprintf(f, "%s\"%llu\"", i ? ", " : "", (unsigned long long)s->failed_ids[i]);
  fprintf(f, "],\n  \"lost_ranks\": [");
  for (int i = 0; i < s->nlost_ranks; i++)
    fprintf(f, "%s%d", i ? ", " : "", s->lost_ranks[i]);
  fprintf(f, "],\n");
}

/* How evenly the workers were kept busy: the mean share of the wall time they ran tasks, and
 * the least and most busy. */
static void stats_balance(FILE *f, const tf_obs *o, const tf_run_stats *s, double wall) {
  double sum_busy = 0, bmin = 1e300, bmax = 0;
  for (int w = 0; w < o->nworkers; w++) {
    double b = (double)s->w_busy_ns[w] * 1e-9;
    sum_busy += b;
    if (b < bmin) bmin = b;
    if (b > bmax) bmax = b;
  }
  double denom = wall * o->nworkers;
  fprintf(f,
          "  \"load_balance\": %.6f, \"busy_fraction\": {\"min\": %.6f, \"mean\": %.6f, \"max\": "
          "%.6f},\n",
          fin(denom > 0 ? sum_busy / denom : 0), fin(wall > 0 ? bmin / wall : 0),
          fin(denom > 0 ? sum_busy / denom : 0), fin(wall > 0 ? bmax / wall : 0));
}

/* Worker w's object in "workers": its tasks and time, its messages, its waits for an answer
 * (its own measure and the master's), its clock and its trace. */
static void stats_worker(FILE *f, const tf_obs *o, const tf_run_stats *s, int w, double wall) {
  const tf_obs_worker *x = &o->w[w];
  double busy = (double)s->w_busy_ns[w] * 1e-9;
  uint64_t waits = x->o[TF_OBS_WAITS];
  fprintf(f,
          "    {\"worker\": %d, \"rank\": %d, \"joined\": %s, \"reported\": %s, \"tasks\": %llu, "
          "\"failed_runs\": %llu, \"out_of_turn\": %llu, \"busy_s\": %.9g, \"idle_s\": %.9g, "
          "\"busy_fraction\": %.6f,\n",
          w, tf__obs_rank_of(o, w), joined(o, w) ? "true" : "false",
          x->reported || o->serial ? "true" : "false",
          (unsigned long long)s->w_tasks[w], (unsigned long long)x->o[TF_OBS_FAILED],
          (unsigned long long)x->o[TF_OBS_OUT_OF_TURN], busy,
          (double)s->w_wait_ns[w] * 1e-9, fin(wall > 0 ? busy / wall : 0));
  fprintf(f,
          "     \"frames_sent\": %llu, \"msgs_sent\": %llu, \"bytes_sent\": %llu, "
          "\"msgs_received\": %llu, \"bytes_received\": %llu,\n",
          (unsigned long long)s->w_frames[w], (unsigned long long)x->o[TF_OBS_MSGS_SENT],
          (unsigned long long)x->o[TF_OBS_BYTES_SENT], (unsigned long long)x->o[TF_OBS_MSGS_RECV],
          (unsigned long long)x->o[TF_OBS_BYTES_RECV]);
  fprintf(f,
          "     \"answer_wait\": {\"count\": %llu, \"mean_s\": %.9g, \"max_s\": %.9g}, "
          "\"request_wait_at_master\": {\"count\": %llu, \"mean_s\": %.9g, \"max_s\": %.9g},\n",
          (unsigned long long)waits,
          fin(waits ? (double)x->o[TF_OBS_WAIT_NS] * 1e-9 / (double)waits : 0),
          (double)x->o[TF_OBS_WAIT_MAX] * 1e-9, (unsigned long long)x->req_waits,
          fin(x->req_waits ? (double)x->req_wait_ns * 1e-9 / (double)x->req_waits : 0),
          (double)x->req_wait_max_ns * 1e-9);
  fprintf(f,
          "     \"clock_offset_s\": %.9g, \"clock_uncertainty_s\": %.9g, \"trace_events\": %llu, "
          "\"trace_dropped\": %llu}%s\n",
          fin(x->offset), fin(x->uncertainty),
          (unsigned long long)(o->serial ? x->nev : x->o[TF_OBS_EVENTS]),
          (unsigned long long)x->o[TF_OBS_DROPPED], w + 1 < o->nworkers ? "," : "");
}

/* The master's object: its frames and messages, and its queue as sampled during the run. */
static void stats_master(FILE *f, const tf_obs *o, const tf_run_stats *s) {
  uint64_t qmax = 0, fmax = 0;
  for (size_t i = 0; i < o->nsamples; i++) {
    if (o->samples[i].queued > qmax) qmax = o->samples[i].queued;
    if (o->samples[i].in_flight > fmax) fmax = o->samples[i].in_flight;
  }
  fprintf(f,
          "  \"master\": {\"frames_in\": %llu, \"frames_out\": %llu, \"msgs_sent\": %llu, "
          "\"bytes_sent\": %llu, \"msgs_received\": %llu, \"bytes_received\": %llu,\n",
          (unsigned long long)s->frames_in, (unsigned long long)s->frames_out,
          (unsigned long long)o->m_msgs_sent, (unsigned long long)o->m_bytes_sent,
          (unsigned long long)o->m_msgs_recv, (unsigned long long)o->m_bytes_recv);
  fprintf(f,
          "    \"busy_s\": %.9g, \"queue_max\": %llu, \"in_flight_max\": %llu, "
          "\"sample_interval_s\": %.6g,\n"
          "    \"samples_fields\": [\"t_s\", \"queued\", \"in_flight\", \"done\"],\n"
          "    \"samples\": [",
          s->master_busy, (unsigned long long)qmax, (unsigned long long)fmax, o->sample_every);
  for (size_t i = 0; i < o->nsamples; i++)
    fprintf(f, "%s[%.6f, %llu, %llu, %llu]", i ? (i % 4 ? ", " : ",\n      ") : "",
            o->samples[i].t, (unsigned long long)o->samples[i].queued,
            (unsigned long long)o->samples[i].in_flight, (unsigned long long)o->samples[i].done);
  fprintf(f, "]},\n");
}

static int write_stats(const tf_obs *o, const tf_config *cfg, const tf_app *app,
                       const tf_run_stats *s, int status) {
  tf_output out;
  FILE *f = tf__obs_open_out(&out, cfg->stats_file, "--stats");
  if (!f) return TF_EIO;
  double wall = s->wall > 0 ? s->wall : 0;
  stats_run(f, o, app, s, status, wall);
  stats_balance(f, o, s, wall);
  fprintf(f, "  \"workers\": [\n");
  for (int w = 0; w < o->nworkers; w++)
    stats_worker(f, o, s, w, wall);
  fprintf(f, "  ],\n");
  stats_master(f, o, s);
  fprintf(f,
          "  \"trace\": {\"on\": %s, \"cap_per_rank\": %llu, \"master_events\": %llu, "
          "\"dropped\": %llu}\n}\n",
          o->trace ? "true" : "false", (unsigned long long)cfg->trace_events,
          (unsigned long long)o->master.n, (unsigned long long)tf__obs_dropped_total(o));
  return tf__obs_close_out(&out, "--stats");
}

/* ---- --trace ------------------------------------------------------------------ */

static const char *kind_title(unsigned kind) {
  switch (kind) {
  case TF_EV_RECV: return "handle";
  case TF_EV_SEND: return "send TASKS";
  case TF_EV_GENERATE: return "generate";
  case TF_EV_FINISH: return "finish";
  case TF_EV_STOP: return "stop workers";
  default: return "event";
  }
}

/* The trace's header: the run in "otherData", then a name for the process and for each
 * thread (the master's, and a worker's on its rank's tid). */
static void trace_names(FILE *f, const tf_obs *o, const tf_config *cfg, const tf_app *app,
                        const tf_run_stats *s) {
  fprintf(f, "{\"displayTimeUnit\": \"ms\",\n\"otherData\": {\"app\": ");
  json_str(f, app && app->name ? app->name : "app");
  fprintf(f,
          ", \"workers\": %d, \"wall_s\": %.9g, \"results\": %llu, \"cap_per_rank\": %llu, "
          "\"dropped_events\": %llu, \"clock\": \"worker clocks aligned to the master's by the "
          "STOP/BYE exchange; see clock_offset_s in --stats\"},\n\"traceEvents\": [\n",
          o->nworkers, s->wall, (unsigned long long)s->results,
          (unsigned long long)cfg->trace_events, (unsigned long long)tf__obs_dropped_total(o));
  fprintf(f, "{\"name\": \"process_name\", \"ph\": \"M\", \"pid\": 1, \"tid\": 0, \"args\": "
             "{\"name\": ");
  json_str(f, app && app->name ? app->name : "taskfarm");
  fprintf(f, "}}");
  if (!o->serial)
    fprintf(f, ",\n{\"name\": \"thread_name\", \"ph\": \"M\", \"pid\": 1, \"tid\": 0, \"args\": "
               "{\"name\": \"master (rank 0)\"}}");
  for (int w = 0; w < o->nworkers; w++)
    fprintf(f,
            ",\n{\"name\": \"thread_name\", \"ph\": \"M\", \"pid\": 1, \"tid\": %d, \"args\": "
            "{\"name\": \"worker %d (rank %d)%s\"}},\n{\"name\": \"thread_sort_index\", \"ph\": "
            "\"M\", \"pid\": 1, \"tid\": %d, \"args\": {\"sort_index\": %d}}",
            tf__obs_rank_of(o, w), w, tf__obs_rank_of(o, w),
            o->w[w].reported || o->serial ? "" : " - lost", tf__obs_rank_of(o, w), w + 1);
}

/* The master's own slices: the frames it handled, the tasks it sent, its calls into the app. */
static void trace_master(FILE *f, const tf_obs *o) {
  for (size_t i = 0; i < o->master.n; i++) {
    const tf_event *e = &o->master.ev[i];
    double ts = (double)e->t0 * 1e-3, dur = (double)(e->t1 - e->t0) * 1e-3;
    if (e->kind == TF_EV_RECV)
      fprintf(f,
              ",\n{\"name\": \"%s from rank %u\", \"cat\": \"message\", \"ph\": \"X\", \"ts\": "
              "%.3f, \"dur\": %.3f, \"pid\": 1, \"tid\": 0, \"args\": {\"rank\": %u}}",
              tf__wire_kind_name((unsigned)e->id), e->arg, ts, dur, e->arg);
    else if (e->kind == TF_EV_SEND)
      fprintf(f,
              ",\n{\"name\": \"TASKS to rank %u\", \"cat\": \"message\", \"ph\": \"X\", \"ts\": "
              "%.3f, \"dur\": %.3f, \"pid\": 1, \"tid\": 0, \"args\": {\"rank\": %u, \"tasks\": "
              "%llu}}",
              e->arg, ts, dur, e->arg, (unsigned long long)e->id);
    else
      fprintf(f,
              ",\n{\"name\": \"%s\", \"cat\": \"master\", \"ph\": \"X\", \"ts\": %.3f, \"dur\": "
              "%.3f, \"pid\": 1, \"tid\": 0, \"args\": {\"tasks\": %llu}}",
              kind_title(e->kind), ts, dur, (unsigned long long)e->id);
  }
}

/* A slice per task a worker ran, on the master's clock. */
static void trace_tasks(FILE *f, const tf_obs *o) {
  for (int w = 0; w < o->nworkers; w++)
    for (size_t i = 0; i < o->w[w].nev; i++) {
      const tf_event *e = &o->w[w].ev[i];
      double a = tf__obs_w_time(o, w, e->t0), b = tf__obs_w_time(o, w, e->t1);
      fprintf(f,
              ",\n{\"name\": \"task %llu%s\", \"cat\": \"%s\", \"ph\": \"X\", \"ts\": %.3f, "
              "\"dur\": %.3f, \"pid\": 1, \"tid\": %d, \"args\": {\"id\": \"%llu\"}}",
              (unsigned long long)e->id, e->arg ? " (failed)" : "", e->arg ? "task,failed" : "task",
              a * 1e6, (b - a) * 1e6, tf__obs_rank_of(o, w), (unsigned long long)e->id);
    }
}

static int write_trace(const tf_obs *o, const tf_config *cfg, const tf_app *app,
                       const tf_run_stats *s) {
  tf_output out;
  FILE *f = tf__obs_open_out(&out, cfg->trace_file, "--trace");
  if (!f) return TF_EIO;
  trace_names(f, o, cfg, app, s);
  trace_master(f, o);
  trace_tasks(f, o);
  for (size_t i = 0; i < o->nsamples; i++)
    fprintf(f,
            ",\n{\"name\": \"master queue\", \"ph\": \"C\", \"ts\": %.3f, \"pid\": 1, \"tid\": 0, "
            "\"args\": {\"queued\": %llu, \"in_flight\": %llu}}",
            o->samples[i].t * 1e6, (unsigned long long)o->samples[i].queued,
            (unsigned long long)o->samples[i].in_flight);
  fprintf(f, "\n]}\n");
  return tf__obs_close_out(&out, "--trace");
}

int tf__obs_write(const tf_obs *o, const tf_config *cfg, const tf_app *app, const tf_run_stats *s,
                  int status) {
  int rc = 0;
  uint64_t dropped = tf__obs_dropped_total(o);
  if (o->trace && dropped) {
    tf__log(0, "trace: %llu events were not recorded: ranks reached the --trace-events cap of %llu",
            (unsigned long long)dropped, (unsigned long long)cfg->trace_events);
    if (o->master.dropped)
      tf__log(0, "trace: the master dropped %llu", (unsigned long long)o->master.dropped);
    for (int w = 0; w < o->nworkers; w++)
      if (o->w[w].o[TF_OBS_DROPPED])
        tf__log(0, "trace: rank %d dropped %llu", tf__obs_rank_of(o, w),
                (unsigned long long)o->w[w].o[TF_OBS_DROPPED]);
  }
  for (int w = 0; o->trace && !o->serial && w < o->nworkers; w++)
    if (!o->w[w].reported)
      tf__log(0, "trace: rank %d sent no trace (it was lost or did not stop)",
              tf__obs_rank_of(o, w));
  if (cfg->stats_file && write_stats(o, cfg, app, s, status)) rc = TF_EIO;
  if (cfg->trace_file && write_trace(o, cfg, app, s)) rc = TF_EIO;
  if (cfg->timeline_file && tf__obs_write_timeline(o, cfg, app, s)) rc = TF_EIO;
  return rc;
}
