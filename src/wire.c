/* wire.c - encoding and validation of protocol frames (layout in wire.h).
 * The decoder trusts nothing: it checks the header and walks every entry
 * before the caller sees any of them. */
#include "wire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "le.h"
#include "taskfarm.h"
#include "vec.h"

static size_t pad8(size_t n) { return (n + TF_WIRE_ALIGN - 1) & ~(size_t)(TF_WIRE_ALIGN - 1); }

size_t tf__wire_entry_bytes(size_t size) { return TF_WIRE_ENTRY_SIZE + pad8(size); }

static int reserve(tf_wbuf *w, size_t extra) {
  if (extra <= w->cap - w->len) return 0; /* the usual case, once a task */
  if (extra > SIZE_MAX - w->len) return TF_ENOMEM;
  return tf__vec_reserve(&w->buf, &w->cap, w->len + extra, 1, 256);
}

int tf__wire_begin(tf_wbuf *w, unsigned kind, uint32_t aux) {
  w->len = 0;
  w->count = 0;
  if (reserve(w, TF_WIRE_HEADER_SIZE)) return TF_ENOMEM;
  unsigned char *h = w->buf;
  put32(h, TF_WIRE_MAGIC);
  put16(h + 4, TF_WIRE_VERSION);
  put16(h + 6, (uint16_t)kind);
  put32(h + 8, 0);
  put32(h + 12, aux);
  put64(h + 16, 0);
  w->len = TF_WIRE_HEADER_SIZE;
  return 0;
}

void tf__wire_set_aux(tf_wbuf *w, uint32_t aux) { put32(w->buf + 12, aux); }

int tf__wire_add(tf_wbuf *w, unsigned type, uint64_t id, int32_t prio, const void *data,
                 size_t size) {
  return tf__wire_add_word(w, type, id, prio, 0, data, size);
}

int tf__wire_add_word(tf_wbuf *w, unsigned type, uint64_t id, int32_t prio, uint32_t word,
                      const void *data, size_t size) {
  if (size > TF_MAX_PAYLOAD_LIMIT) return TF_ETOOBIG;
  size_t n = tf__wire_entry_bytes(size);
  if (reserve(w, n)) return TF_ENOMEM;
  unsigned char *e = w->buf + w->len;
  put64(e, id);
  put32(e + 8, (uint32_t)size);
  put32(e + 12, (uint32_t)prio);
  memset(e + 16, 0, 4);
  e[16] = (unsigned char)type;
  put32(e + 20, word);
  if (size) memcpy(e + TF_WIRE_ENTRY_SIZE, data, size);
  size_t pad = n - TF_WIRE_ENTRY_SIZE - size;
  if (pad) memset(e + TF_WIRE_ENTRY_SIZE + size, 0, pad);
  w->len += n;
  w->count++;
  return 0;
}

int tf__wire_add_task(tf_wbuf *w, uint64_t id, int32_t prio, uint32_t attempt, const void *data,
                      size_t size) {
  return tf__wire_add_word(w, TF_ENT_TASK, id, prio, attempt, data, size);
}

int tf__wire_append(tf_wbuf *dst, const tf_wbuf *src) {
  if (!src->count) return 0;
  size_t n = src->len - TF_WIRE_HEADER_SIZE;
  if (reserve(dst, n)) return TF_ENOMEM;
  memcpy(dst->buf + dst->len, src->buf + TF_WIRE_HEADER_SIZE, n);
  dst->len += n;
  dst->count += src->count;
  return 0;
}

/* An entry that is n u64 counters (STATS, OBS), and reading one back. */
static int add_u64s(tf_wbuf *w, unsigned type, const uint64_t *v, int n) {
  unsigned char b[8 * (TF_WIRE_OBS_N > TF_WIRE_STATS_N ? TF_WIRE_OBS_N : TF_WIRE_STATS_N)];
  for (int i = 0; i < n; i++)
    put64(b + 8 * i, v[i]);
  return tf__wire_add(w, type, 0, 0, b, 8 * (size_t)n);
}

static void get_u64s(const tf_entry *e, uint64_t *v, int n) {
  for (int i = 0; i < n; i++)
    v[i] = get64((const unsigned char *)e->data + 8 * i);
}

int tf__wire_add_stats(tf_wbuf *w, const uint64_t v[TF_WIRE_STATS_N]) {
  return add_u64s(w, TF_ENT_STATS, v, TF_WIRE_STATS_N);
}

void tf__wire_stats(const tf_entry *e, uint64_t v[TF_WIRE_STATS_N]) {
  get_u64s(e, v, TF_WIRE_STATS_N);
}

int tf__wire_add_obs(tf_wbuf *w, const uint64_t v[TF_WIRE_OBS_N]) {
  return add_u64s(w, TF_ENT_OBS, v, TF_WIRE_OBS_N);
}

void tf__wire_obs(const tf_entry *e, uint64_t v[TF_WIRE_OBS_N]) { get_u64s(e, v, TF_WIRE_OBS_N); }

int tf__wire_add_credit(tf_wbuf *w, uint64_t bytes) {
  return tf__wire_add(w, TF_ENT_CREDIT, bytes, 0, NULL, 0);
}

int tf__wire_add_all_events(tf_wbuf *w, const tf_event *ev, size_t n) {
  int rc = 0;
  for (size_t i = 0; !rc && i < n; i += TF_WIRE_EVENTS_PER_ENTRY)
    rc = tf__wire_add_events(w, ev + i, n - i < TF_WIRE_EVENTS_PER_ENTRY ? n - i : TF_WIRE_EVENTS_PER_ENTRY);
  return rc;
}

int tf__wire_add_events(tf_wbuf *w, const tf_event *ev, size_t n) {
  if (n > TF_WIRE_EVENTS_PER_ENTRY) return TF_ETOOBIG;
  size_t size = n * TF_WIRE_EVENT_SIZE, bytes = tf__wire_entry_bytes(size);
  if (reserve(w, bytes)) return TF_ENOMEM;
  unsigned char *e = w->buf + w->len;
  put64(e, n); /* the id field says how many, so a record cut short is seen */
  put32(e + 8, (uint32_t)size);
  memset(e + 12, 0, 12);
  e[16] = TF_ENT_EVENTS;
  unsigned char *p = e + TF_WIRE_ENTRY_SIZE;
  for (size_t i = 0; i < n; i++, p += TF_WIRE_EVENT_SIZE) {
    put64(p, ev[i].id);
    put64(p + 8, (uint64_t)ev[i].t0);
    put64(p + 16, (uint64_t)ev[i].t1);
    put32(p + 24, ev[i].kind);
    put32(p + 28, ev[i].arg);
  }
  w->len += bytes;
  w->count++;
  return 0;
}

size_t tf__wire_event_count(const tf_entry *e) { return e->size / TF_WIRE_EVENT_SIZE; }

void tf__wire_event_at(const tf_entry *e, size_t i, tf_event *out) {
  const unsigned char *p = (const unsigned char *)e->data + i * TF_WIRE_EVENT_SIZE;
  out->id = get64(p);
  out->t0 = (int64_t)get64(p + 8);
  out->t1 = (int64_t)get64(p + 16);
  out->kind = get32(p + 24);
  out->arg = get32(p + 28);
}

void tf__wire_finish(tf_wbuf *w) {
  put32(w->buf + 8, w->count);
  put64(w->buf + 16, (uint64_t)(w->len - TF_WIRE_HEADER_SIZE));
}

void tf__wbuf_free(tf_wbuf *w) {
  free(w->buf);
  w->buf = NULL;
  w->len = w->cap = 0;
  w->count = 0;
}

const char *tf__wire_kind_name(unsigned kind) {
  static const char *const names[TF_MSG_KIND_COUNT] = {
      [TF_MSG_TASKS] = "TASKS", [TF_MSG_RESULTS] = "RESULTS", [TF_MSG_STOP] = "STOP",
      [TF_MSG_BYE] = "BYE",     [TF_MSG_ERROR] = "ERROR",     [TF_MSG_HEARTBEAT] = "HEARTBEAT",
      [TF_MSG_CREDIT] = "CREDIT",
  };
  return kind > 0 && kind < TF_MSG_KIND_COUNT ? names[kind] : "unknown";
}

/* Which entry types each frame kind may carry (bit i = type i). */
static const unsigned allowed_types[TF_MSG_KIND_COUNT] = {
    [TF_MSG_TASKS] = 1u << TF_ENT_TASK,
    [TF_MSG_RESULTS] = (1u << TF_ENT_RESULT) | (1u << TF_ENT_FAIL) | (1u << TF_ENT_SPAWN) |
                       (1u << TF_ENT_STATS) | (1u << TF_ENT_FAILOUT) | (1u << TF_ENT_START) |
                       (1u << TF_ENT_PARTIAL) | (1u << TF_ENT_LOST) | (1u << TF_ENT_SLOW),
    [TF_MSG_STOP] = 0,
    [TF_MSG_BYE] = (1u << TF_ENT_STATS) | (1u << TF_ENT_OBS) | (1u << TF_ENT_EVENTS) |
                   (1u << TF_ENT_ORIGIN) | (1u << TF_ENT_FATE),
    [TF_MSG_ERROR] = 1u << TF_ENT_TEXT,
    [TF_MSG_HEARTBEAT] = 0,
    [TF_MSG_CREDIT] = 1u << TF_ENT_CREDIT,
};

#define FAIL(...)                                                                                  \
  do {                                                                                             \
    if (why && why_size) snprintf(why, why_size, __VA_ARGS__);                                     \
    return TF_EPROTO;                                                                              \
  } while (0)

void tf__wire_note(unsigned char note[TF_WIRE_NOTE_SIZE], size_t len) {
  put32(note, TF_WIRE_NOTE_MAGIC);
  put64(note + 4, (uint64_t)len);
}

int tf__wire_is_note(const unsigned char *buf, size_t n, size_t max, size_t *len) {
  if (n != TF_WIRE_NOTE_SIZE || get32(buf) != TF_WIRE_NOTE_MAGIC) return 0;
  uint64_t v = get64(buf + 4);
  if (v <= TF_WIRE_SMALL || v > max) return TF_EPROTO;
  *len = (size_t)v;
  return 1;
}

/* The header of a frame of len bytes at p: its kind, its entry count and its body's length,
 * each checked. */
static int check_header(const unsigned char *p, size_t len, unsigned *kind_out, uint32_t *count_out,
                        uint64_t *body_len_out, char *why, size_t why_size) {
  if (!p || len < TF_WIRE_HEADER_SIZE)
    FAIL("truncated frame: %zu bytes, a header needs %u", len, TF_WIRE_HEADER_SIZE);
  uint32_t magic = get32(p);
  if (magic != TF_WIRE_MAGIC) FAIL("bad magic 0x%08x (not a taskfarm frame)", magic);
  unsigned version = get16(p + 4);
  if (version != TF_WIRE_VERSION)
    FAIL("protocol version %u, this library speaks %u", version, TF_WIRE_VERSION);
  unsigned kind = get16(p + 6);
  if (kind == 0 || kind >= TF_MSG_KIND_COUNT) FAIL("unknown frame kind %u", kind);
  uint32_t count = get32(p + 8);
  uint64_t body_len = get64(p + 16);
  if (body_len != len - TF_WIRE_HEADER_SIZE)
    FAIL("%s frame says %llu body bytes, %zu arrived", tf__wire_kind_name(kind),
         (unsigned long long)body_len, len - TF_WIRE_HEADER_SIZE);
  if (count > body_len / TF_WIRE_ENTRY_SIZE)
    FAIL("%s frame claims %u entries in %llu bytes", tf__wire_kind_name(kind), count,
         (unsigned long long)body_len);
  *kind_out = kind;
  *count_out = count;
  *body_len_out = body_len;
  return 0;
}

/* The most bytes an entry of this type may hold. */
static uint64_t entry_limit(unsigned type, uint64_t max_payload) {
  uint64_t limit = type == TF_ENT_TEXT     ? TF_WIRE_MAX_MESSAGE
                   : type == TF_ENT_STATS  ? TF_WIRE_STATS_SIZE
                   : type == TF_ENT_OBS    ? TF_WIRE_OBS_SIZE
                   : type == TF_ENT_EVENTS ? TF_WIRE_EVENTS_PER_ENTRY * TF_WIRE_EVENT_SIZE
                   : type == TF_ENT_CREDIT ? 0
                   : type == TF_ENT_START  ? 0
                   : type == TF_ENT_ORIGIN ? 0
                   : type == TF_ENT_FATE   ? 0
                   : type == TF_ENT_SLOW   ? 0
                   : type == TF_ENT_LOST   ? TF_WIRE_MAX_MESSAGE
                                           : max_payload;
  if (type == TF_ENT_FAIL && limit < TF_WIRE_MAX_MESSAGE) limit = TF_WIRE_MAX_MESSAGE;
  return limit;
}

/* Entry i of a frame of this kind, at e: a type the kind may carry, a size within the type's
 * limit, and the sizes the counters and events entries must have. */
static int check_entry(unsigned kind, uint32_t i, const unsigned char *e, uint64_t max_payload,
                       char *why, size_t why_size) {
  unsigned type = e[16];
  uint32_t size = get32(e + 8);
  if (type == 0 || type >= TF_ENT_TYPE_COUNT || !(allowed_types[kind] & (1u << type)))
    FAIL("%s frame: entry %u has type %u, not allowed here", tf__wire_kind_name(kind), i, type);
  uint64_t limit = entry_limit(type, max_payload);
  if (size > limit)
    FAIL("%s frame: entry %u holds %u bytes, the limit is %llu", tf__wire_kind_name(kind), i, size,
         (unsigned long long)limit);
  if (type == TF_ENT_STATS && size != TF_WIRE_STATS_SIZE)
    FAIL("%s frame: statistics entry of %u bytes", tf__wire_kind_name(kind), size);
  if (type == TF_ENT_OBS && size != TF_WIRE_OBS_SIZE)
    FAIL("%s frame: counters entry of %u bytes", tf__wire_kind_name(kind), size);
  if (type == TF_ENT_EVENTS && (size % TF_WIRE_EVENT_SIZE || get64(e) != size / TF_WIRE_EVENT_SIZE))
    FAIL("%s frame: events entry of %u bytes saying %llu events", tf__wire_kind_name(kind), size,
         (unsigned long long)get64(e));
  return 0;
}

/* Where the walk through a BYE frame is: a part per rank, the sender's first, then each after
 * an ORIGIN entry. */
typedef struct bye_walk {
  unsigned seen_obs;     /* this part has its counters entry */
  unsigned after_origin; /* the entry before was an ORIGIN: a part starts */
  unsigned seen_origin;  /* past the sender's own part */
} bye_walk;

/* Entry i of a BYE frame, at e. Per rank: STATS first and only once; OBS at most once; FATE
 * only in the sender's own part. */
static int check_bye_entry(bye_walk *b, uint32_t i, const unsigned char *e, char *why,
                           size_t why_size) {
  unsigned type = e[16];
  if ((i == 0 || b->after_origin) != (type == TF_ENT_STATS))
    FAIL("BYE frame: entry %u has type %u, the statistics must come first and once", i, type);
  if (type == TF_ENT_OBS && b->seen_obs++) FAIL("BYE frame: a second counters entry");
  if (type == TF_ENT_FATE &&
      (b->seen_origin || get32(e + 12) < TF_FATE_LOST || get32(e + 12) > TF_FATE_NO_BYE))
    FAIL("BYE frame: entry %u tells a worker's fate %u%s", i, get32(e + 12),
         b->seen_origin ? " in a worker's part" : ", not one of 1-3");
  b->after_origin = type == TF_ENT_ORIGIN;
  b->seen_origin |= b->after_origin;
  if (b->after_origin) b->seen_obs = 0;
  return 0;
}

/* The count entries of a frame's body, each checked, which must fill the body exactly; then
 * what the kind asks of the entries together. */
static int check_body(unsigned kind, uint32_t count, const unsigned char *body, uint64_t body_len,
                      uint64_t max_payload, char *why, size_t why_size) {
  size_t pos = 0;
  bye_walk bye = {0, 0, 0};
  for (uint32_t i = 0; i < count; i++) {
    if (body_len - pos < TF_WIRE_ENTRY_SIZE)
      FAIL("%s frame: entry %u of %u is truncated", tf__wire_kind_name(kind), i, count);
    const unsigned char *e = body + pos;
    int rc = check_entry(kind, i, e, max_payload, why, why_size);
    if (!rc && kind == TF_MSG_BYE) rc = check_bye_entry(&bye, i, e, why, why_size);
    if (rc) return rc;
    size_t need = tf__wire_entry_bytes(get32(e + 8));
    if (body_len - pos < need)
      FAIL("%s frame: entry %u needs %zu bytes, %llu left", tf__wire_kind_name(kind), i, need,
           (unsigned long long)(body_len - pos));
    pos += need;
  }
  if (pos != body_len)
    FAIL("%s frame: %llu stray bytes after %u entries", tf__wire_kind_name(kind),
         (unsigned long long)(body_len - pos), count);
  if ((kind == TF_MSG_ERROR || kind == TF_MSG_CREDIT) && count != 1)
    FAIL("%s frame with %u entries, expected 1", tf__wire_kind_name(kind), count);
  if (kind == TF_MSG_BYE && (count < 1 || bye.after_origin))
    FAIL("BYE frame without its statistics");
  return 0;
}

int tf__wire_decode(const void *buf, size_t len, uint64_t max_payload, tf_frame *out, char *why,
                    size_t why_size) {
  const unsigned char *p = buf;
  unsigned kind;
  uint32_t count;
  uint64_t body_len;
  int rc = check_header(p, len, &kind, &count, &body_len, why, why_size);
  if (!rc)
    rc = check_body(kind, count, p + TF_WIRE_HEADER_SIZE, body_len, max_payload, why, why_size);
  if (rc) return rc;
  out->kind = kind;
  out->aux = get32(p + 12);
  out->count = count;
  out->body = p + TF_WIRE_HEADER_SIZE;
  out->body_len = (size_t)body_len;
  return 0;
}

void tf__wire_take(unsigned char *body, size_t pos) { body[pos + 16] = TF_ENT_TAKEN; }

int tf__wire_next(const tf_frame *f, size_t *pos, tf_entry *e) {
  if (*pos >= f->body_len) return 0;
  const unsigned char *p = f->body + *pos;
  e->id = get64(p);
  e->size = get32(p + 8);
  e->prio = (int32_t)get32(p + 12);
  e->type = p[16];
  e->attempt = get32(p + 20);
  e->data = p + TF_WIRE_ENTRY_SIZE;
  *pos += tf__wire_entry_bytes(e->size);
  return 1;
}
