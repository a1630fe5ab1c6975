/* resume.c - the journal as a farm keeps it: open (and with --resume, read
 * back), one record per finished task, written in batches. The file format
 * is journal.c's; what a record means for the run is decided here. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "resume.h"
#include "clock.h"
#include "log.h"
#include "vec.h"

/* The largest record a journal may hold: the largest result and the most
 * children one task may submit, whatever this run's --max-payload. */
#define TF_JOURNAL_MAX_RECORD ((uint64_t)TF_MAX_PAYLOAD_LIMIT + TF_MAX_SPAWN_BYTES + 16)

typedef struct reader {
  tf_jstate *js;
  tf_handle *h;
  tf_run_stats *s;
  tf_queue kids; /* every journaled child; those without a result are queued */
  const char *path;
} reader;

static int read_record(void *arg, const tf_jrecord *r) {
  reader *rd = arg;
  int rc = tf__idset_add(&rd->js->done, r->id);
  if (rc == 0) {
    tf__log(0, "journal %s: task %llu appears twice (again at byte %zu); it is left as it is",
            rd->path, (unsigned long long)r->id, r->offset);
    return TF_EJOURNAL;
  }
  if (rc < 0) return rc;
  size_t pos = 0;
  tf_jchild c;
  while (tf__journal_next_child(r, &pos, &c)) {
    if (tf__queue_push_new(&rd->kids, c.id, c.prio, c.data, c.size)) return TF_ENOMEM;
    rd->s->tasks_spawned++;
  }
  rd->s->results++;
  rd->s->resumed++;
  size_t before = tf__queue_size(&rd->kids);
  int crc = tf__call_collect(rd->h, r->id, r->result, r->result_size);
  rd->s->tasks_spawned += tf__queue_size(&rd->kids) - before; /* its follow-ups, submitted again */
  return crc;
}

/* Read the journal back: every result to collect, every unfinished child
 * into q. The whole file was checked before, so collect sees nothing of a
 * journal that is then refused. */
static int replay(tf_jstate *js, tf_handle *h, tf_queue *q, tf_run_stats *s,
                  const unsigned char *buf, size_t len, tf_jscan *sc) {
  reader rd = {js, h, s, {0}, h->cfg->journal};
  /* What collect submits again for a journaled result joins the children: queued once the
   * whole journal is read, unless its own result is in it. */
  tf_queue *followups = h->followups;
  h->followups = &rd.kids;
  int rc = tf__journal_parse(buf, len, TF_JOURNAL_MAX_RECORD, read_record, &rd, sc);
  h->followups = followups;
  if (rc == TF_ENOMEM) tf__log(0, "out of memory reading the journal back");
  tf_rec k;
  uint64_t requeued = 0;
  while (tf__queue_pop(&rd.kids, &k)) {
    if (rc || tf__idset_has(&js->done, k.id)) {
      free(k.data);
    } else if (tf__queue_push(q, &k)) {
      free(k.data);
      tf__log(0, "out of memory queueing the journal's unfinished tasks");
      rc = TF_ENOMEM;
    } else {
      requeued++;
    }
  }
  tf__queue_destroy(&rd.kids);
  if (!rc && !h->cfg->quiet)
    tf__log(0, "resuming from journal %s: %llu results read back, %llu spawned tasks to run",
            h->cfg->journal, (unsigned long long)s->resumed, (unsigned long long)requeued);
  return rc;
}

/* Does the space-separated text s (n bytes) hold the token t (tn bytes)? */
static int has_token(const char *s, size_t n, const char *t, size_t tn) {
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j < n && s[j] != ' ')
      j++;
    if (j - i == tn && !memcmp(s + i, t, tn)) return 1;
    i = j + 1;
  }
  return 0;
}

/* Append to out the tokens of a (an bytes) that b (bn bytes) lacks, or "-" when none. */
static void tokens_missing(char *out, size_t cap, const char *a, size_t an, const char *b,
                           size_t bn) {
  size_t used = strlen(out), start = used;
  for (size_t i = 0; i < an;) {
    size_t j = i;
    while (j < an && a[j] != ' ')
      j++;
    if (j > i && !has_token(b, bn, a + i, j - i) && used + 2 < cap)
      used += (size_t)snprintf(out + used, cap - used, "%s%.*s", used > start ? " " : "",
                               (int)(j - i), a + i);
    if (used >= cap) used = cap - 1;
    i = j + 1;
  }
  if (used == start) snprintf(out + used, cap - used, "-");
}

/* "journal: --tasks=150; this run: --tasks=151": where the two option texts differ. */
static void differences(char *out, size_t cap, const char *jargs, size_t jn, const char *args) {
  size_t n = strlen(args);
  snprintf(out, cap, "journal: ");
  tokens_missing(out, cap, jargs, jn, args, n);
  size_t used = strlen(out);
  snprintf(out + used, cap - used, "; this run: ");
  tokens_missing(out, cap, args, n, jargs, jn);
}

/* Give up on the journal at open: let go of it (and its lock) untouched. */
static int refuse(tf_jstate *js, unsigned char *buf, int rc) {
  free(buf);
  tf__journal_close(&js->j, tf__now());
  tf__idset_free(&js->done);
  return rc;
}

int tf__js_open(tf_jstate *js, tf_handle *h, tf_queue *q, tf_run_stats *s) {
  memset(js, 0, sizeof *js);
  const tf_config *cfg = h->cfg;
  if (!cfg->journal) return 0;
  const char *path = cfg->journal;
  unsigned char *buf = NULL;
  size_t len = 0;
  int rc = tf__journal_open(&js->j, path, cfg->journal_sync, &buf, &len);
  if (rc) {
    tf__log(0, "%s", js->j.errmsg);
    return rc == TF_ENOMEM ? TF_ENOMEM : TF_EJOURNAL;
  }
  if (js->j.lock_errno)
    tf__log(0,
            "journal %s: the file system cannot lock it (%s): a second run on this journal at the "
            "same time would not be noticed (NFS needs its lock manager, Lustre -o flock)",
            path, strerror(js->j.lock_errno));
  if (len && !cfg->resume) {
    tf__log(0,
            "journal %s already exists (%zu bytes, from an earlier run): pass --resume to continue "
            "from it, or remove it to start again",
            path, len);
    return refuse(js, buf, TF_EJOURNAL);
  }
  tf_jscan sc;
  memset(&sc, 0, sizeof sc);
  if (len) {
    rc = tf__journal_parse(buf, len, TF_JOURNAL_MAX_RECORD, NULL, NULL, &sc);
    if (rc) {
      tf__log(0, "journal %s: %s; it is left as it is", path, sc.error);
      return refuse(js, buf, TF_EJOURNAL);
    }
    if (sc.has_header && sc.fingerprint != cfg->fingerprint) {
      char diff[1200];
      if (sc.args_len == strlen(cfg->args) && !memcmp(sc.args, cfg->args, sc.args_len))
        snprintf(diff, sizeof diff,
                 "the same options as text (%s): another app, or options "
                 "whose defaults changed",
                 cfg->args);
      else
        differences(diff, sizeof diff, sc.args, sc.args_len, cfg->args);
      tf__log(0,
              "journal %s was written by another app or with other options (%s); it is left as "
              "it is (run with the same options, or use another --journal)",
              path, diff);
      return refuse(js, buf, TF_EJOURNAL);
    }
  }
  double now = tf__now();
  if (len && sc.has_header) {
    if (sc.torn)
      tf__log(0,
              "journal %s: cutting off a torn last record (%zu bytes at byte %zu: the run was "
              "stopped while writing it; that task runs again)",
              path, sc.torn, sc.valid_len);
    rc = replay(js, h, q, s, buf, len, &sc);
    if (rc) return refuse(js, buf, rc == TF_ENOMEM || rc == TF_EJOURNAL ? rc : TF_EAPP);
    free(buf);
    rc = tf__journal_continue(&js->j, sc.valid_len, now);
  } else {
    if (len)
      tf__log(
          0, "journal %s holds only the start of a header (%zu bytes): starting from the beginning",
          path, len);
    free(buf);
    rc = tf__journal_start(&js->j, cfg->fingerprint, cfg->args, strlen(cfg->args), now);
  }
  if (rc) {
    tf__log(0, "%s", js->j.errmsg);
    return refuse(js, NULL, TF_EJOURNAL);
  }
  js->on = 1;
  h->skip = js->done.count ? &js->done : NULL;
  return 0;
}

int tf__js_kid(tf_jstate *js, uint64_t id, int32_t prio, const void *data, uint32_t size) {
  if (!js->on) return 0;
  if (tf__vec_reserve(&js->kids, &js->kcap, js->nkids + 1, sizeof *js->kids, 16)) return TF_ENOMEM;
  js->kids[js->nkids++] = (tf_jchild){id, prio, size, data};
  return 0;
}

/* The journal's first I/O error sticks: every later write, flush and the close return it
 * again, and it is said once. */
static int io_error(tf_jstate *js) {
  if (!js->said) tf__log(0, "%s", js->j.errmsg);
  js->said = 1;
  return TF_EJOURNAL;
}

int tf__js_result(tf_jstate *js, uint64_t id, const void *data, size_t size) {
  if (!js->on) return 0;
  int rc = tf__journal_add(&js->j, id, data, size, js->kids, js->nkids, tf__now());
  js->nkids = 0;
  if (rc == TF_ENOMEM) tf__log(0, "out of memory journaling task %llu", (unsigned long long)id);
  return rc == TF_ENOMEM ? rc : rc ? io_error(js) : 0;
}

int tf__js_tick(tf_jstate *js, double now) {
  if (!js->on) return 0;
  return tf__journal_tick(&js->j, now) ? io_error(js) : 0;
}

int tf__js_flush(tf_jstate *js) {
  if (!js->on) return 0;
  return tf__journal_flush(&js->j, tf__now()) ? io_error(js) : 0;
}

int tf__js_close(tf_jstate *js) {
  int rc = 0;
  if (js->on && tf__journal_close(&js->j, tf__now())) rc = io_error(js);
  js->on = 0;
  tf__idset_free(&js->done);
  free(js->kids);
  js->kids = NULL;
  js->nkids = js->kcap = 0;
  return rc;
}
