/* test_wire.c - the frame encoder and the decoder's validation (src/wire.c): every frame kind
 * survives a round trip, and every malformed frame is rejected with TF_EPROTO and a reason; a
 * relay's BYE is parts opened by ORIGIN entries, each a goodbye of its own, with its workers'
 * FATE entries in its own part; its LOST and SLOW go in RESULTS; a copy's TASK carries
 * TF_WIRE_TASK_COPY in its attempt. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "taskfarm.h"
#include "unit.h"
#include "wire.h"

/* Offsets of the layout documented in wire.h, written out here so that a change in the
 * encoder cannot silently move the test along with it. */
enum {
  HDR_MAGIC = 0,
  HDR_VERSION = 4,
  HDR_KIND = 6,
  HDR_COUNT = 8,
  HDR_AUX = 12,
  HDR_BODY_LEN = 16,
  HDR_SIZE = 24,
  ENT_ID = 0,
  ENT_SIZE = 8,
  ENT_PRIO = 12,
  ENT_TYPE = 16,
  ENT_ATTEMPT = 20,
  ENT_DATA = 24,
};

static void poke16(unsigned char *p, uint16_t v) {
  p[0] = (unsigned char)v;
  p[1] = (unsigned char)(v >> 8);
}
static void poke32(unsigned char *p, uint32_t v) {
  for (int i = 0; i < 4; i++)
    p[i] = (unsigned char)(v >> (8 * i));
}
static void poke64(unsigned char *p, uint64_t v) {
  for (int i = 0; i < 8; i++)
    p[i] = (unsigned char)(v >> (8 * i));
}
static uint32_t peek32(const unsigned char *p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; i--)
    v = (v << 8) | p[i];
  return v;
}
static uint64_t peek64(const unsigned char *p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--)
    v = (v << 8) | p[i];
  return v;
}

static size_t padded(size_t n) { return (n + 7) / 8 * 8; }

/* Deterministic payload bytes that differ between entries. */
static void fill(unsigned char *p, size_t n, unsigned seed) {
  for (size_t i = 0; i < n; i++)
    p[i] = (unsigned char)(seed * 31u + i * 7u + 1u);
}

#define BIG_LIMIT UINT64_MAX

static char why[256];

/* Decode a copy of buf[0..len) held in a block of exactly len bytes, so that valgrind or
 * ASan would catch a read past the end. */
static int decode_copy(const unsigned char *buf, size_t len, uint64_t max_payload, tf_frame *f) {
  unsigned char *copy = malloc(len ? len : 1);
  if (!copy) return TF_ENOMEM;
  if (len) memcpy(copy, buf, len);
  why[0] = '\0';
  int rc = tf__wire_decode(copy, len, max_payload, f, why, sizeof why);
  free(copy);
  return rc;
}

/* Assert that buf[0..len) is rejected with TF_EPROTO and a non-empty reason. */
#define ASSERT_REJECTED(buf, len, max_payload)                                                     \
  do {                                                                                             \
    tf_frame f_;                                                                                   \
    CU_ASSERT_EQUAL(decode_copy((buf), (len), (max_payload), &f_), TF_EPROTO);                     \
    CU_ASSERT(why[0] != '\0');                                                                     \
  } while (0)

#define ASSERT_ACCEPTED(buf, len, max_payload)                                                     \
  do {                                                                                             \
    tf_frame f_;                                                                                   \
    CU_ASSERT_EQUAL(decode_copy((buf), (len), (max_payload), &f_), 0);                             \
  } while (0)

/* A finished frame of kind with one entry of type and size data bytes. */
static void one_entry_frame(tf_wbuf *w, unsigned kind, unsigned type, size_t size) {
  unsigned char data[2048];
  fill(data, size, type);
  CU_ASSERT_EQUAL_FATAL(tf__wire_begin(w, kind, 0), 0);
  CU_ASSERT_EQUAL_FATAL(tf__wire_add(w, type, 42, 0, data, size), 0);
  tf__wire_finish(w);
}

/* A valid TASKS frame of three entries (sizes 5, 0, 16) used by the corruption tests. */
static void tasks_frame(tf_wbuf *w) {
  unsigned char data[16];
  fill(data, sizeof data, 9);
  CU_ASSERT_EQUAL_FATAL(tf__wire_begin(w, TF_MSG_TASKS, 0), 0);
  CU_ASSERT_EQUAL_FATAL(tf__wire_add(w, TF_ENT_TASK, 1, 0, data, 5), 0);
  CU_ASSERT_EQUAL_FATAL(tf__wire_add(w, TF_ENT_TASK, 2, 3, NULL, 0), 0);
  CU_ASSERT_EQUAL_FATAL(tf__wire_add(w, TF_ENT_TASK, 3, -3, data, 16), 0);
  tf__wire_finish(w);
  ASSERT_ACCEPTED(w->buf, w->len, BIG_LIMIT);
}

/* ---- round trips ---- */

static void test_wire_round_trips_tasks_of_varied_sizes(void) {
  static const size_t sizes[] = {0, 1, 7, 8, 9, 13, 24, 100, 4096, 0, 3};
  static const int32_t prios[] = {0, -1, 1, INT32_MIN, INT32_MAX, 7, -100000, 5, 0, 2, -2};
  enum { N = sizeof sizes / sizeof sizes[0] };
  unsigned char data[4096];
  tf_wbuf w = {0};
  CU_ASSERT_EQUAL_FATAL(tf__wire_begin(&w, TF_MSG_TASKS, 0), 0);
  size_t expect_len = HDR_SIZE;
  for (unsigned i = 0; i < N; i++) {
    fill(data, sizes[i], i);
    uint64_t id = i == 3 ? (TF_ID_SPAWNED | 12345) : 1000 + i;
    CU_ASSERT_EQUAL(tf__wire_add(&w, TF_ENT_TASK, id, prios[i], data, sizes[i]), 0);
    expect_len += ENT_DATA + padded(sizes[i]);
  }
  tf__wire_finish(&w);
  CU_ASSERT_EQUAL(w.len, expect_len);
  CU_ASSERT_EQUAL(w.count, N);
  CU_ASSERT_EQUAL(peek32(w.buf + HDR_MAGIC), TF_WIRE_MAGIC);
  CU_ASSERT_EQUAL(peek32(w.buf + HDR_COUNT), N);
  CU_ASSERT_EQUAL(peek64(w.buf + HDR_BODY_LEN), expect_len - HDR_SIZE);

  tf_frame f;
  why[0] = '\0';
  CU_ASSERT_EQUAL_FATAL(tf__wire_decode(w.buf, w.len, BIG_LIMIT, &f, why, sizeof why), 0);
  CU_ASSERT_EQUAL(f.kind, TF_MSG_TASKS);
  CU_ASSERT_EQUAL(f.aux, 0);
  CU_ASSERT_EQUAL(f.count, N);
  CU_ASSERT_EQUAL(f.body_len, expect_len - HDR_SIZE);
  CU_ASSERT_PTR_EQUAL(f.body, w.buf + HDR_SIZE);

  size_t pos = 0, off = HDR_SIZE;
  unsigned seen = 0;
  tf_entry e;
  while (tf__wire_next(&f, &pos, &e)) {
    CU_ASSERT_FATAL(seen < N);
    uint64_t id = seen == 3 ? (TF_ID_SPAWNED | 12345) : 1000 + seen;
    CU_ASSERT_EQUAL(e.type, TF_ENT_TASK);
    CU_ASSERT_EQUAL(e.id, id);
    CU_ASSERT_EQUAL(e.prio, prios[seen]);
    CU_ASSERT_EQUAL(e.size, sizes[seen]);
    fill(data, sizes[seen], seen);
    CU_ASSERT(memcmp(e.data, data, sizes[seen]) == 0);
    /* Data starts 8-aligned within the frame and the padding carries no stale bytes. */
    CU_ASSERT_PTR_EQUAL(e.data, w.buf + off + ENT_DATA);
    CU_ASSERT_EQUAL((off + ENT_DATA) % 8, 0);
    for (size_t k = sizes[seen]; k < padded(sizes[seen]); k++)
      CU_ASSERT_EQUAL(((const unsigned char *)e.data)[k], 0);
    off += ENT_DATA + padded(sizes[seen]);
    seen++;
    CU_ASSERT_EQUAL(pos, off - HDR_SIZE);
  }
  CU_ASSERT_EQUAL(seen, N);
  CU_ASSERT_EQUAL(tf__wire_next(&f, &pos, &e), 0); /* stays at the end */
  tf__wbuf_free(&w);
  CU_ASSERT_PTR_NULL(w.buf);
  CU_ASSERT_EQUAL(w.len, 0);
}

static void test_wire_round_trips_results_fails_and_spawns(void) {
  const char msg[] = "task failed: exit status 3";
  unsigned char res[13], kid[40];
  fill(res, sizeof res, 1);
  fill(kid, sizeof kid, 2);
  tf_wbuf w = {0};
  CU_ASSERT_EQUAL_FATAL(tf__wire_begin(&w, TF_MSG_RESULTS, 17), 0);
  CU_ASSERT_EQUAL(tf__wire_add(&w, TF_ENT_RESULT, 5, 0, res, sizeof res), 0);
  CU_ASSERT_EQUAL(tf__wire_add(&w, TF_ENT_FAIL, 6, 3, msg, strlen(msg)), 0);
  CU_ASSERT_EQUAL(tf__wire_add(&w, TF_ENT_SPAWN, TF_ID_SPAWNED | 77, -9, kid, sizeof kid), 0);
  CU_ASSERT_EQUAL(tf__wire_add(&w, TF_ENT_RESULT, 7, 0, NULL, 0), 0);
  tf__wire_finish(&w);

  tf_frame f;
  CU_ASSERT_EQUAL_FATAL(tf__wire_decode(w.buf, w.len, 64, &f, why, sizeof why), 0);
  CU_ASSERT_EQUAL(f.kind, TF_MSG_RESULTS);
  CU_ASSERT_EQUAL(f.aux, 17);
  CU_ASSERT_EQUAL(f.count, 4);
  size_t pos = 0;
  tf_entry e;
  CU_ASSERT_FATAL(tf__wire_next(&f, &pos, &e));
  CU_ASSERT_EQUAL(e.type, TF_ENT_RESULT);
  CU_ASSERT_EQUAL(e.id, 5);
  CU_ASSERT_EQUAL(e.size, sizeof res);
  CU_ASSERT(memcmp(e.data, res, sizeof res) == 0);
  CU_ASSERT_FATAL(tf__wire_next(&f, &pos, &e));
  CU_ASSERT_EQUAL(e.type, TF_ENT_FAIL);
  CU_ASSERT_EQUAL(e.id, 6);
  CU_ASSERT_EQUAL(e.prio, 3);
  CU_ASSERT_EQUAL(e.size, strlen(msg));
  CU_ASSERT(memcmp(e.data, msg, strlen(msg)) == 0);
  CU_ASSERT_FATAL(tf__wire_next(&f, &pos, &e));
  CU_ASSERT_EQUAL(e.type, TF_ENT_SPAWN);
  CU_ASSERT_EQUAL(e.id, TF_ID_SPAWNED | 77);
  CU_ASSERT_EQUAL(e.prio, -9);
  CU_ASSERT_EQUAL(e.size, sizeof kid);
  CU_ASSERT(memcmp(e.data, kid, sizeof kid) == 0);
  CU_ASSERT_FATAL(tf__wire_next(&f, &pos, &e));
  CU_ASSERT_EQUAL(e.type, TF_ENT_RESULT);
  CU_ASSERT_EQUAL(e.id, 7);
  CU_ASSERT_EQUAL(e.size, 0);
  CU_ASSERT_EQUAL(tf__wire_next(&f, &pos, &e), 0);
  CU_ASSERT_EQUAL(pos, f.body_len);
  tf__wbuf_free(&w);
}

static void test_wire_round_trips_stop_with_status(void) {
  static const uint32_t statuses[] = {0, (uint32_t)-TF_EAPP, 0xffffffffu};
  tf_wbuf w = {0};
  for (unsigned i = 0; i < 3; i++) {
    CU_ASSERT_EQUAL_FATAL(tf__wire_begin(&w, TF_MSG_STOP, statuses[i]), 0);
    tf__wire_finish(&w);
    CU_ASSERT_EQUAL(w.len, HDR_SIZE);
    tf_frame f;
    CU_ASSERT_EQUAL_FATAL(tf__wire_decode(w.buf, w.len, 0, &f, why, sizeof why), 0);
    CU_ASSERT_EQUAL(f.kind, TF_MSG_STOP);
    CU_ASSERT_EQUAL(f.aux, statuses[i]);
    CU_ASSERT_EQUAL(f.count, 0);
    CU_ASSERT_EQUAL(f.body_len, 0);
    size_t pos = 0;
    tf_entry e;
    CU_ASSERT_EQUAL(tf__wire_next(&f, &pos, &e), 0);
    CU_ASSERT_EQUAL(pos, 0);
  }
  tf__wbuf_free(&w);
}

static void test_wire_task_entry_carries_its_attempt(void) {
  tf_wbuf w = {0};
  CU_ASSERT_EQUAL(tf__wire_begin(&w, TF_MSG_TASKS, 0), 0);
  CU_ASSERT_EQUAL(tf__wire_add_task(&w, 5, -2, 0, "ab", 2), 0);
  CU_ASSERT_EQUAL(tf__wire_add_task(&w, 6, 3, 7, NULL, 0), 0);
  CU_ASSERT_EQUAL(tf__wire_add_task(&w, 7, 0, UINT32_MAX, "xyz", 3), 0);
  tf__wire_finish(&w);
  tf_frame f;
  CU_ASSERT_EQUAL_FATAL(tf__wire_decode(w.buf, w.len, 1024, &f, NULL, 0), 0);
  const uint32_t want[] = {0, 7, UINT32_MAX};
  size_t pos = 0;
  tf_entry e;
  for (unsigned i = 0; i < 3; i++) {
    CU_ASSERT_EQUAL_FATAL(tf__wire_next(&f, &pos, &e), 1);
    CU_ASSERT_EQUAL(e.id, 5 + i);
    CU_ASSERT_EQUAL(e.attempt, want[i]);
  }
  CU_ASSERT_EQUAL(tf__wire_next(&f, &pos, &e), 0);
  tf__wbuf_free(&w);
}

static void test_wire_round_trips_bye_with_stats(void) {
  const uint64_t stats[4] = {123456789, UINT64_C(0x0123456789abcdef), 42, 7};
  CU_ASSERT_EQUAL(sizeof stats, TF_WIRE_STATS_SIZE);
  tf_wbuf w = {0};
  CU_ASSERT_EQUAL_FATAL(tf__wire_begin(&w, TF_MSG_BYE, 0), 0);
  CU_ASSERT_EQUAL(tf__wire_add(&w, TF_ENT_STATS, 0, 0, stats, sizeof stats), 0);
  tf__wire_finish(&w);
  tf_frame f;
  /* The stats entry is allowed whatever max_payload is: its size is fixed by the protocol. */
  CU_ASSERT_EQUAL_FATAL(tf__wire_decode(w.buf, w.len, 0, &f, why, sizeof why), 0);
  CU_ASSERT_EQUAL(f.kind, TF_MSG_BYE);
  CU_ASSERT_EQUAL(f.count, 1);
  size_t pos = 0;
  tf_entry e;
  CU_ASSERT_FATAL(tf__wire_next(&f, &pos, &e));
  CU_ASSERT_EQUAL(e.type, TF_ENT_STATS);
  CU_ASSERT_EQUAL(e.size, TF_WIRE_STATS_SIZE);
  uint64_t got[3];
  memcpy(got, e.data, sizeof got);
  CU_ASSERT(memcmp(got, stats, sizeof got) == 0);
  CU_ASSERT_EQUAL(tf__wire_next(&f, &pos, &e), 0);
  tf__wbuf_free(&w);
}

static void test_wire_round_trips_error_with_text(void) {
  const char text[] = "taskfarm: rank 2 on node07: out of memory";
  tf_wbuf w = {0};
  CU_ASSERT_EQUAL_FATAL(tf__wire_begin(&w, TF_MSG_ERROR, 0), 0);
  CU_ASSERT_EQUAL(tf__wire_add(&w, TF_ENT_TEXT, 0, 0, text, strlen(text)), 0);
  tf__wire_finish(&w);
  tf_frame f;
  CU_ASSERT_EQUAL_FATAL(tf__wire_decode(w.buf, w.len, 0, &f, why, sizeof why), 0);
  CU_ASSERT_EQUAL(f.kind, TF_MSG_ERROR);
  CU_ASSERT_EQUAL(f.count, 1);
  size_t pos = 0;
  tf_entry e;
  CU_ASSERT_FATAL(tf__wire_next(&f, &pos, &e));
  CU_ASSERT_EQUAL(e.type, TF_ENT_TEXT);
  CU_ASSERT_EQUAL(e.size, strlen(text));
  CU_ASSERT(memcmp(e.data, text, strlen(text)) == 0);
  CU_ASSERT_EQUAL(tf__wire_next(&f, &pos, &e), 0);
  tf__wbuf_free(&w);
}

static void test_wire_begin_reuses_buffer_for_a_new_frame(void) {
  tf_wbuf w = {0};
  tasks_frame(&w);
  CU_ASSERT_EQUAL_FATAL(tf__wire_begin(&w, TF_MSG_STOP, 4), 0);
  CU_ASSERT_EQUAL(w.count, 0);
  CU_ASSERT_EQUAL(w.len, HDR_SIZE);
  tf__wire_finish(&w);
  tf_frame f;
  CU_ASSERT_EQUAL_FATAL(tf__wire_decode(w.buf, w.len, 0, &f, why, sizeof why), 0);
  CU_ASSERT_EQUAL(f.kind, TF_MSG_STOP);
  CU_ASSERT_EQUAL(f.aux, 4);
  CU_ASSERT_EQUAL(f.count, 0);
  tf__wbuf_free(&w);
}

static void test_wire_entry_bytes_pads_data_to_eight(void) {
  CU_ASSERT_EQUAL(tf__wire_entry_bytes(0), 24);
  CU_ASSERT_EQUAL(tf__wire_entry_bytes(1), 32);
  CU_ASSERT_EQUAL(tf__wire_entry_bytes(7), 32);
  CU_ASSERT_EQUAL(tf__wire_entry_bytes(8), 32);
  CU_ASSERT_EQUAL(tf__wire_entry_bytes(9), 40);
  CU_ASSERT_EQUAL(tf__wire_entry_bytes(1000), 24 + 1000);
  CU_ASSERT_EQUAL(tf__wire_entry_bytes(1001), 24 + 1008);
}

static void test_wire_append_copies_entries_of_another_frame(void) {
  unsigned char a[11], b[3];
  fill(a, sizeof a, 3);
  fill(b, sizeof b, 4);
  tf_wbuf dst = {0}, src = {0};
  CU_ASSERT_EQUAL_FATAL(tf__wire_begin(&dst, TF_MSG_RESULTS, 2), 0);
  CU_ASSERT_EQUAL(tf__wire_add(&dst, TF_ENT_RESULT, 10, 0, "x", 1), 0);
  CU_ASSERT_EQUAL_FATAL(tf__wire_begin(&src, TF_MSG_RESULTS, 0), 0);
  /* An empty source adds nothing. */
  size_t before = dst.len;
  CU_ASSERT_EQUAL(tf__wire_append(&dst, &src), 0);
  CU_ASSERT_EQUAL(dst.len, before);
  CU_ASSERT_EQUAL(dst.count, 1);
  CU_ASSERT_EQUAL(tf__wire_add(&src, TF_ENT_SPAWN, TF_ID_SPAWNED | 1, -4, a, sizeof a), 0);
  CU_ASSERT_EQUAL(tf__wire_add(&src, TF_ENT_FAIL, 11, 1, b, sizeof b), 0);
  size_t src_len = src.len;
  CU_ASSERT_EQUAL(tf__wire_append(&dst, &src), 0);
  CU_ASSERT_EQUAL(dst.count, 3);
  CU_ASSERT_EQUAL(dst.len, before + src_len - HDR_SIZE);
  CU_ASSERT_EQUAL(src.count, 2); /* the source is left as it was */
  CU_ASSERT_EQUAL(src.len, src_len);
  tf__wire_finish(&dst);

  tf_frame f;
  CU_ASSERT_EQUAL_FATAL(tf__wire_decode(dst.buf, dst.len, 64, &f, why, sizeof why), 0);
  CU_ASSERT_EQUAL(f.count, 3);
  CU_ASSERT_EQUAL(f.aux, 2);
  size_t pos = 0;
  tf_entry e;
  CU_ASSERT_FATAL(tf__wire_next(&f, &pos, &e));
  CU_ASSERT_EQUAL(e.id, 10);
  CU_ASSERT_EQUAL(e.size, 1);
  CU_ASSERT_FATAL(tf__wire_next(&f, &pos, &e));
  CU_ASSERT_EQUAL(e.type, TF_ENT_SPAWN);
  CU_ASSERT_EQUAL(e.id, TF_ID_SPAWNED | 1);
  CU_ASSERT_EQUAL(e.prio, -4);
  CU_ASSERT_EQUAL(e.size, sizeof a);
  CU_ASSERT(memcmp(e.data, a, sizeof a) == 0);
  CU_ASSERT_FATAL(tf__wire_next(&f, &pos, &e));
  CU_ASSERT_EQUAL(e.type, TF_ENT_FAIL);
  CU_ASSERT_EQUAL(e.id, 11);
  CU_ASSERT_EQUAL(e.prio, 1);
  CU_ASSERT_EQUAL(e.size, sizeof b);
  CU_ASSERT(memcmp(e.data, b, sizeof b) == 0);
  CU_ASSERT_EQUAL(tf__wire_next(&f, &pos, &e), 0);
  tf__wbuf_free(&dst);
  tf__wbuf_free(&src);
}

static void test_wire_append_grows_destination_buffer(void) {
  /* Enough data that dst must reallocate while appending. */
  unsigned char big[3000];
  fill(big, sizeof big, 5);
  tf_wbuf dst = {0}, src = {0};
  CU_ASSERT_EQUAL_FATAL(tf__wire_begin(&dst, TF_MSG_TASKS, 0), 0);
  CU_ASSERT_EQUAL_FATAL(tf__wire_begin(&src, TF_MSG_TASKS, 0), 0);
  for (unsigned i = 0; i < 5; i++)
    CU_ASSERT_EQUAL(tf__wire_add(&src, TF_ENT_TASK, i, (int32_t)i, big, sizeof big - i), 0);
  CU_ASSERT_EQUAL(tf__wire_append(&dst, &src), 0);
  CU_ASSERT_EQUAL(tf__wire_append(&dst, &src), 0);
  tf__wire_finish(&dst);
  CU_ASSERT(dst.cap >= dst.len);
  tf_frame f;
  CU_ASSERT_EQUAL_FATAL(tf__wire_decode(dst.buf, dst.len, sizeof big, &f, why, sizeof why), 0);
  CU_ASSERT_EQUAL(f.count, 10);
  size_t pos = 0;
  tf_entry e;
  for (unsigned i = 0; i < 10; i++) {
    CU_ASSERT_FATAL(tf__wire_next(&f, &pos, &e));
    CU_ASSERT_EQUAL(e.id, i % 5);
    CU_ASSERT_EQUAL(e.size, sizeof big - i % 5);
    CU_ASSERT(memcmp(e.data, big, e.size) == 0);
  }
  CU_ASSERT_EQUAL(tf__wire_next(&f, &pos, &e), 0);
  tf__wbuf_free(&dst);
  tf__wbuf_free(&src);
}

static void test_wire_set_aux_changes_credits_after_entries(void) {
  tf_wbuf w = {0};
  CU_ASSERT_EQUAL_FATAL(tf__wire_begin(&w, TF_MSG_RESULTS, 1), 0);
  CU_ASSERT_EQUAL(tf__wire_add(&w, TF_ENT_RESULT, 1, 0, "abc", 3), 0);
  tf__wire_set_aux(&w, 0xdeadbeefu);
  CU_ASSERT_EQUAL(tf__wire_add(&w, TF_ENT_RESULT, 2, 0, "de", 2), 0);
  tf__wire_finish(&w);
  CU_ASSERT_EQUAL(peek32(w.buf + HDR_AUX), 0xdeadbeefu);
  tf_frame f;
  CU_ASSERT_EQUAL_FATAL(tf__wire_decode(w.buf, w.len, 16, &f, why, sizeof why), 0);
  CU_ASSERT_EQUAL(f.aux, 0xdeadbeefu);
  CU_ASSERT_EQUAL(f.count, 2);
  tf__wbuf_free(&w);
}

static void test_wire_add_refuses_payload_over_hard_limit(void) {
  tf_wbuf w = {0};
  CU_ASSERT_EQUAL_FATAL(tf__wire_begin(&w, TF_MSG_TASKS, 0), 0);
  size_t len = w.len;
  /* Refused before any byte of data is read, so no buffer that large is needed. */
  static const unsigned char one = 1;
  CU_ASSERT_EQUAL(tf__wire_add(&w, TF_ENT_TASK, 1, 0, &one, (size_t)TF_MAX_PAYLOAD_LIMIT + 1),
                  TF_ETOOBIG);
  CU_ASSERT_EQUAL(w.len, len);
  CU_ASSERT_EQUAL(w.count, 0);
  tf__wbuf_free(&w);
}

static void test_wire_names_frame_kinds(void) {
  CU_ASSERT_STRING_EQUAL(tf__wire_kind_name(TF_MSG_TASKS), "TASKS");
  CU_ASSERT_STRING_EQUAL(tf__wire_kind_name(TF_MSG_RESULTS), "RESULTS");
  CU_ASSERT_STRING_EQUAL(tf__wire_kind_name(TF_MSG_STOP), "STOP");
  CU_ASSERT_STRING_EQUAL(tf__wire_kind_name(TF_MSG_BYE), "BYE");
  CU_ASSERT_STRING_EQUAL(tf__wire_kind_name(TF_MSG_ERROR), "ERROR");
  CU_ASSERT_STRING_EQUAL(tf__wire_kind_name(0), "unknown");
  CU_ASSERT_STRING_EQUAL(tf__wire_kind_name(TF_MSG_KIND_COUNT), "unknown");
  CU_ASSERT_STRING_EQUAL(tf__wire_kind_name(1000), "unknown");
}

/* ---- rejections ---- */

static void test_wire_rejects_frame_shorter_than_header(void) {
  tf_wbuf w = {0};
  CU_ASSERT_EQUAL_FATAL(tf__wire_begin(&w, TF_MSG_STOP, 0), 0);
  tf__wire_finish(&w);
  for (size_t len = 0; len < HDR_SIZE; len++)
    ASSERT_REJECTED(w.buf, len, BIG_LIMIT);
  ASSERT_ACCEPTED(w.buf, HDR_SIZE, BIG_LIMIT);
  tf_frame f;
  /* No buffer at all, and no room for a reason: still an error, not a crash. */
  CU_ASSERT_EQUAL(tf__wire_decode(NULL, 0, BIG_LIMIT, &f, why, sizeof why), TF_EPROTO);
  CU_ASSERT_EQUAL(tf__wire_decode(w.buf, 3, BIG_LIMIT, &f, NULL, 0), TF_EPROTO);
  tf__wbuf_free(&w);
}

static void test_wire_rejects_truncated_frame(void) {
  static const unsigned kinds[] = {TF_MSG_TASKS, TF_MSG_RESULTS, TF_MSG_BYE, TF_MSG_ERROR};
  const uint64_t stats[4] = {1, 2, 3, 4};
  for (unsigned k = 0; k < 4; k++) {
    tf_wbuf w = {0};
    switch (kinds[k]) {
    case TF_MSG_TASKS: tasks_frame(&w); break;
    case TF_MSG_RESULTS:
      CU_ASSERT_EQUAL_FATAL(tf__wire_begin(&w, TF_MSG_RESULTS, 3), 0);
      CU_ASSERT_EQUAL(tf__wire_add(&w, TF_ENT_RESULT, 1, 0, "hello", 5), 0);
      CU_ASSERT_EQUAL(tf__wire_add(&w, TF_ENT_FAIL, 2, 1, "", 0), 0);
      CU_ASSERT_EQUAL(tf__wire_add(&w, TF_ENT_SPAWN, 3, 2, "12345678", 8), 0);
      tf__wire_finish(&w);
      break;
    case TF_MSG_BYE:
      CU_ASSERT_EQUAL_FATAL(tf__wire_begin(&w, TF_MSG_BYE, 0), 0);
      CU_ASSERT_EQUAL(tf__wire_add(&w, TF_ENT_STATS, 0, 0, stats, sizeof stats), 0);
      tf__wire_finish(&w);
      break;
    default:
      CU_ASSERT_EQUAL_FATAL(tf__wire_begin(&w, TF_MSG_ERROR, 0), 0);
      CU_ASSERT_EQUAL(tf__wire_add(&w, TF_ENT_TEXT, 0, 0, "bad", 3), 0);
      tf__wire_finish(&w);
      break;
    }
    ASSERT_ACCEPTED(w.buf, w.len, BIG_LIMIT);
    for (size_t len = 0; len < w.len; len++)
      ASSERT_REJECTED(w.buf, len, BIG_LIMIT);
    tf__wbuf_free(&w);
  }
}

static void test_wire_rejects_truncated_frame_with_matching_length(void) {
  /* A sender that cut the frame and also fixed the body length: caught by walking entries. */
  tf_wbuf w = {0};
  tasks_frame(&w);
  for (size_t len = HDR_SIZE; len < w.len; len++) {
    poke64(w.buf + HDR_BODY_LEN, len - HDR_SIZE);
    ASSERT_REJECTED(w.buf, len, BIG_LIMIT);
  }
  tf__wbuf_free(&w);
}

static void test_wire_rejects_wrong_magic(void) {
  tf_wbuf w = {0};
  tasks_frame(&w);
  poke32(w.buf + HDR_MAGIC, TF_WIRE_MAGIC ^ 1u);
  ASSERT_REJECTED(w.buf, w.len, BIG_LIMIT);
  poke32(w.buf + HDR_MAGIC, 0);
  ASSERT_REJECTED(w.buf, w.len, BIG_LIMIT);
  /* The magic in the other byte order is not the magic. */
  poke32(w.buf + HDR_MAGIC, __builtin_bswap32(TF_WIRE_MAGIC));
  ASSERT_REJECTED(w.buf, w.len, BIG_LIMIT);
  poke32(w.buf + HDR_MAGIC, TF_WIRE_MAGIC);
  ASSERT_ACCEPTED(w.buf, w.len, BIG_LIMIT);
  CU_ASSERT(memcmp(w.buf, "TFW1", 4) == 0);
  tf__wbuf_free(&w);
}

static void test_wire_rejects_wrong_version(void) {
  tf_wbuf w = {0};
  tasks_frame(&w);
  static const uint16_t versions[] = {0, TF_WIRE_VERSION + 1, 0x0100, 0xffff};
  for (unsigned i = 0; i < 4; i++) {
    poke16(w.buf + HDR_VERSION, versions[i]);
    ASSERT_REJECTED(w.buf, w.len, BIG_LIMIT);
  }
  poke16(w.buf + HDR_VERSION, TF_WIRE_VERSION);
  ASSERT_ACCEPTED(w.buf, w.len, BIG_LIMIT);
  tf__wbuf_free(&w);
}

static void test_wire_rejects_unknown_kind(void) {
  tf_wbuf w = {0};
  CU_ASSERT_EQUAL_FATAL(tf__wire_begin(&w, TF_MSG_STOP, 0), 0);
  tf__wire_finish(&w);
  static const uint16_t kinds[] = {0, TF_MSG_KIND_COUNT, TF_MSG_KIND_COUNT + 1, 0x0100, 0xffff};
  for (unsigned i = 0; i < 5; i++) {
    poke16(w.buf + HDR_KIND, kinds[i]);
    ASSERT_REJECTED(w.buf, w.len, BIG_LIMIT);
  }
  poke16(w.buf + HDR_KIND, TF_MSG_STOP);
  ASSERT_ACCEPTED(w.buf, w.len, BIG_LIMIT);
  tf__wbuf_free(&w);
}

static void test_wire_rejects_body_length_disagreeing_with_bytes(void) {
  tf_wbuf w = {0};
  tasks_frame(&w);
  uint64_t body = w.len - HDR_SIZE;
  static const int64_t deltas[] = {-1, 1, -8, 8, -24, 24};
  for (unsigned i = 0; i < 6; i++) {
    poke64(w.buf + HDR_BODY_LEN, body + (uint64_t)deltas[i]);
    ASSERT_REJECTED(w.buf, w.len, BIG_LIMIT);
  }
  poke64(w.buf + HDR_BODY_LEN, 0);
  ASSERT_REJECTED(w.buf, w.len, BIG_LIMIT);
  poke64(w.buf + HDR_BODY_LEN, UINT64_MAX);
  ASSERT_REJECTED(w.buf, w.len, BIG_LIMIT);
  poke64(w.buf + HDR_BODY_LEN, UINT64_C(1) << 63);
  ASSERT_REJECTED(w.buf, w.len, BIG_LIMIT);
  poke64(w.buf + HDR_BODY_LEN, body);
  ASSERT_ACCEPTED(w.buf, w.len, BIG_LIMIT);

  /* Extra bytes received beyond the length the header states. */
  unsigned char *longer = calloc(1, w.len + 8);
  CU_ASSERT_PTR_NOT_NULL_FATAL(longer);
  memcpy(longer, w.buf, w.len);
  ASSERT_REJECTED(longer, w.len + 8, BIG_LIMIT);
  free(longer);
  tf__wbuf_free(&w);
}

static void test_wire_rejects_count_beyond_entries(void) {
  tf_wbuf w = {0};
  tasks_frame(&w);
  static const uint32_t counts[] = {4, 5, 100, 0x7fffffffu, 0xffffffffu};
  for (unsigned i = 0; i < 5; i++) {
    poke32(w.buf + HDR_COUNT, counts[i]);
    ASSERT_REJECTED(w.buf, w.len, BIG_LIMIT);
  }
  poke32(w.buf + HDR_COUNT, 3);
  ASSERT_ACCEPTED(w.buf, w.len, BIG_LIMIT);
  tf__wbuf_free(&w);

  /* Zero-size entries take the fewest bytes: 3 of them leave no room for a 4th. */
  CU_ASSERT_EQUAL_FATAL(tf__wire_begin(&w, TF_MSG_TASKS, 0), 0);
  for (unsigned i = 0; i < 3; i++)
    CU_ASSERT_EQUAL(tf__wire_add(&w, TF_ENT_TASK, i, 0, NULL, 0), 0);
  tf__wire_finish(&w);
  ASSERT_ACCEPTED(w.buf, w.len, BIG_LIMIT);
  poke32(w.buf + HDR_COUNT, 4);
  ASSERT_REJECTED(w.buf, w.len, BIG_LIMIT);
  tf__wbuf_free(&w);
}

static void test_wire_rejects_stray_bytes_after_entries(void) {
  tf_wbuf w = {0};
  tasks_frame(&w);
  /* Fewer entries claimed than the body holds. */
  for (uint32_t c = 0; c < 3; c++) {
    poke32(w.buf + HDR_COUNT, c);
    ASSERT_REJECTED(w.buf, w.len, BIG_LIMIT);
  }
  poke32(w.buf + HDR_COUNT, 3);
  /* Zero bytes appended after the last entry, with the body length covering them. */
  static const size_t extras[] = {1, 7, 8, 24, 32};
  for (unsigned i = 0; i < 5; i++) {
    size_t len = w.len + extras[i];
    unsigned char *p = calloc(1, len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    memcpy(p, w.buf, w.len);
    poke64(p + HDR_BODY_LEN, len - HDR_SIZE);
    ASSERT_REJECTED(p, len, BIG_LIMIT);
    free(p);
  }
  tf__wbuf_free(&w);

  /* A STOP frame carries nothing after its header. */
  CU_ASSERT_EQUAL_FATAL(tf__wire_begin(&w, TF_MSG_STOP, 0), 0);
  tf__wire_finish(&w);
  unsigned char stop[HDR_SIZE + 8] = {0};
  memcpy(stop, w.buf, HDR_SIZE);
  poke64(stop + HDR_BODY_LEN, 8);
  ASSERT_REJECTED(stop, sizeof stop, BIG_LIMIT);
  tf__wbuf_free(&w);
}

/* A piece of a running task's output (tf_partial) is held to --max-payload, as a result is. */
static void test_wire_limits_a_partial_entry_to_the_payload_limit(void) {
  tf_wbuf w = {0};
  one_entry_frame(&w, TF_MSG_RESULTS, TF_ENT_PARTIAL, 100);
  tf_frame f;
  CU_ASSERT_EQUAL(decode_copy(w.buf, w.len, 100, &f), 0);
  CU_ASSERT_EQUAL(decode_copy(w.buf, w.len, 99, &f), TF_EPROTO);
  CU_ASSERT_PTR_NOT_NULL(strstr(why, "the limit is 99"));
  one_entry_frame(&w, TF_MSG_TASKS, TF_ENT_PARTIAL, 8); /* only from a worker */
  CU_ASSERT_EQUAL(decode_copy(w.buf, w.len, BIG_LIMIT, &f), TF_EPROTO);
  tf__wbuf_free(&w);
}

static void test_wire_accepts_only_entry_types_of_the_frame_kind(void) {
  /* The table of wire.h, written out independently: which types each kind may carry. */
  static const unsigned allowed[TF_MSG_KIND_COUNT] = {
      [TF_MSG_TASKS] = 1u << TF_ENT_TASK,
      [TF_MSG_RESULTS] = (1u << TF_ENT_RESULT) | (1u << TF_ENT_FAIL) | (1u << TF_ENT_SPAWN) |
                         (1u << TF_ENT_STATS) | (1u << TF_ENT_FAILOUT) | (1u << TF_ENT_START) |
                         (1u << TF_ENT_PARTIAL) | (1u << TF_ENT_LOST) | (1u << TF_ENT_SLOW),
      [TF_MSG_STOP] = 0,
      [TF_MSG_BYE] = 1u << TF_ENT_STATS, /* alone: ORIGIN and FATE need STATS before them */
      [TF_MSG_ERROR] = 1u << TF_ENT_TEXT,
      [TF_MSG_HEARTBEAT] = 0,
      [TF_MSG_CREDIT] = 1u << TF_ENT_CREDIT,
  };
  tf_wbuf w = {0};
  for (unsigned kind = 1; kind < TF_MSG_KIND_COUNT; kind++) {
    for (unsigned type = 0; type <= TF_ENT_TYPE_COUNT + 1; type++) {
      size_t size = type == TF_ENT_STATS                            ? TF_WIRE_STATS_SIZE
                    : type == TF_ENT_CREDIT || type == TF_ENT_START || type == TF_ENT_SLOW ||
                            type == TF_ENT_ORIGIN || type == TF_ENT_FATE
                        ? 0 /* they carry no data */
                                                                    : 8;
      one_entry_frame(&w, kind, type, size);
      tf_frame f;
      int rc = decode_copy(w.buf, w.len, BIG_LIMIT, &f);
      int ok = type < TF_ENT_TYPE_COUNT && (allowed[kind] & (1u << type));
      if (ok) {
        CU_ASSERT_EQUAL(rc, 0);
      } else {
        CU_ASSERT_EQUAL(rc, TF_EPROTO);
        CU_ASSERT(why[0] != '\0');
      }
    }
  }
  /* Type byte 255 patched into a valid frame. */
  one_entry_frame(&w, TF_MSG_TASKS, TF_ENT_TASK, 8);
  w.buf[HDR_SIZE + ENT_TYPE] = 255;
  ASSERT_REJECTED(w.buf, w.len, BIG_LIMIT);
  tf__wbuf_free(&w);
}

static void test_wire_rejects_task_in_results_and_result_in_tasks(void) {
  /* The bad entry comes after good ones: every entry is checked, not just the first. */
  tf_wbuf w = {0};
  CU_ASSERT_EQUAL_FATAL(tf__wire_begin(&w, TF_MSG_RESULTS, 0), 0);
  CU_ASSERT_EQUAL(tf__wire_add(&w, TF_ENT_RESULT, 1, 0, "ok", 2), 0);
  CU_ASSERT_EQUAL(tf__wire_add(&w, TF_ENT_TASK, 2, 0, "no", 2), 0);
  tf__wire_finish(&w);
  ASSERT_REJECTED(w.buf, w.len, BIG_LIMIT);
  CU_ASSERT_EQUAL_FATAL(tf__wire_begin(&w, TF_MSG_TASKS, 0), 0);
  CU_ASSERT_EQUAL(tf__wire_add(&w, TF_ENT_TASK, 1, 0, "ok", 2), 0);
  CU_ASSERT_EQUAL(tf__wire_add(&w, TF_ENT_TASK, 2, 0, "ok", 2), 0);
  CU_ASSERT_EQUAL(tf__wire_add(&w, TF_ENT_RESULT, 3, 0, "no", 2), 0);
  tf__wire_finish(&w);
  ASSERT_REJECTED(w.buf, w.len, BIG_LIMIT);
  tf__wbuf_free(&w);
}

static void test_wire_rejects_entry_over_max_payload(void) {
  static const unsigned kinds[] = {TF_MSG_TASKS, TF_MSG_RESULTS, TF_MSG_RESULTS};
  static const unsigned types[] = {TF_ENT_TASK, TF_ENT_RESULT, TF_ENT_SPAWN};
  tf_wbuf w = {0};
  for (unsigned i = 0; i < 3; i++) {
    one_entry_frame(&w, kinds[i], types[i], 100);
    ASSERT_ACCEPTED(w.buf, w.len, 100); /* exactly the limit */
    ASSERT_REJECTED(w.buf, w.len, 99);
    ASSERT_REJECTED(w.buf, w.len, 0);
    one_entry_frame(&w, kinds[i], types[i], 101);
    ASSERT_REJECTED(w.buf, w.len, 100);
    ASSERT_ACCEPTED(w.buf, w.len, 101);
    one_entry_frame(&w, kinds[i], types[i], 0);
    ASSERT_ACCEPTED(w.buf, w.len, 0);
  }
  /* An oversized entry after a good one. */
  CU_ASSERT_EQUAL_FATAL(tf__wire_begin(&w, TF_MSG_TASKS, 0), 0);
  unsigned char data[64] = {0};
  CU_ASSERT_EQUAL(tf__wire_add(&w, TF_ENT_TASK, 1, 0, data, 32), 0);
  CU_ASSERT_EQUAL(tf__wire_add(&w, TF_ENT_TASK, 2, 0, data, 33), 0);
  tf__wire_finish(&w);
  ASSERT_ACCEPTED(w.buf, w.len, 33);
  ASSERT_REJECTED(w.buf, w.len, 32);
  tf__wbuf_free(&w);
}

static void test_wire_allows_fail_message_up_to_max_message(void) {
  /* A failure report carries a message for a person, allowed even over a tiny max_payload. */
  tf_wbuf w = {0};
  one_entry_frame(&w, TF_MSG_RESULTS, TF_ENT_FAIL, TF_WIRE_MAX_MESSAGE);
  ASSERT_ACCEPTED(w.buf, w.len, 16);
  one_entry_frame(&w, TF_MSG_RESULTS, TF_ENT_FAIL, TF_WIRE_MAX_MESSAGE + 1);
  ASSERT_REJECTED(w.buf, w.len, 16);
  ASSERT_ACCEPTED(w.buf, w.len, TF_WIRE_MAX_MESSAGE + 1);
  tf__wbuf_free(&w);
}

static void test_wire_rejects_entry_size_beyond_body(void) {
  /* A size field within max_payload but larger than the bytes that follow. */
  tf_wbuf w = {0};
  tasks_frame(&w);
  size_t last = w.len - (ENT_DATA + 16); /* offset of the last entry (16 data bytes) */
  static const uint32_t sizes[] = {17, 24, 25, 1000, 0x7fffffffu, 0xfffffff9u, 0xffffffffu};
  for (unsigned i = 0; i < 7; i++) {
    poke32(w.buf + last + ENT_SIZE, sizes[i]);
    ASSERT_REJECTED(w.buf, w.len, BIG_LIMIT);
  }
  /* A smaller size leaves stray bytes. */
  poke32(w.buf + last + ENT_SIZE, 8);
  ASSERT_REJECTED(w.buf, w.len, BIG_LIMIT);
  poke32(w.buf + last + ENT_SIZE, 9); /* pads to the same 16 bytes: still valid */
  ASSERT_ACCEPTED(w.buf, w.len, BIG_LIMIT);
  poke32(w.buf + last + ENT_SIZE, 16);
  ASSERT_ACCEPTED(w.buf, w.len, BIG_LIMIT);
  /* The first entry claiming more than the whole body: the walk must stop there rather than
   * read the next entry header past the end (valgrind sees such a read). */
  for (unsigned i = 0; i < 7; i++) {
    poke32(w.buf + HDR_SIZE + ENT_SIZE, sizes[i] + 40);
    ASSERT_REJECTED(w.buf, w.len, BIG_LIMIT);
  }
  tf__wbuf_free(&w);
}

static void test_wire_rejects_stats_entry_of_wrong_size(void) {
  static const size_t sizes[] = {0, 8, 16, 24, 31, 33, 40};
  tf_wbuf w = {0};
  for (unsigned i = 0; i < 7; i++) {
    one_entry_frame(&w, TF_MSG_BYE, TF_ENT_STATS, sizes[i]);
    ASSERT_REJECTED(w.buf, w.len, BIG_LIMIT);
  }
  one_entry_frame(&w, TF_MSG_BYE, TF_ENT_STATS, TF_WIRE_STATS_SIZE);
  ASSERT_ACCEPTED(w.buf, w.len, BIG_LIMIT);
  tf__wbuf_free(&w);
}

static void test_wire_rejects_bye_or_error_without_exactly_one_entry(void) {
  const uint64_t stats[4] = {0};
  tf_wbuf w = {0};
  for (unsigned n = 0; n <= 3; n++) {
    CU_ASSERT_EQUAL_FATAL(tf__wire_begin(&w, TF_MSG_BYE, 0), 0);
    for (unsigned i = 0; i < n; i++)
      CU_ASSERT_EQUAL(tf__wire_add(&w, TF_ENT_STATS, i, 0, stats, sizeof stats), 0);
    tf__wire_finish(&w);
    if (n == 1)
      ASSERT_ACCEPTED(w.buf, w.len, BIG_LIMIT);
    else
      ASSERT_REJECTED(w.buf, w.len, BIG_LIMIT);

    CU_ASSERT_EQUAL_FATAL(tf__wire_begin(&w, TF_MSG_ERROR, 0), 0);
    for (unsigned i = 0; i < n; i++)
      CU_ASSERT_EQUAL(tf__wire_add(&w, TF_ENT_TEXT, i, 0, "why", 3), 0);
    tf__wire_finish(&w);
    if (n == 1)
      ASSERT_ACCEPTED(w.buf, w.len, BIG_LIMIT);
    else
      ASSERT_REJECTED(w.buf, w.len, BIG_LIMIT);
  }
  tf__wbuf_free(&w);
}

static void test_wire_rejects_text_over_max_message(void) {
  tf_wbuf w = {0};
  one_entry_frame(&w, TF_MSG_ERROR, TF_ENT_TEXT, TF_WIRE_MAX_MESSAGE);
  ASSERT_ACCEPTED(w.buf, w.len, 0);
  ASSERT_ACCEPTED(w.buf, w.len, BIG_LIMIT);
  one_entry_frame(&w, TF_MSG_ERROR, TF_ENT_TEXT, TF_WIRE_MAX_MESSAGE + 1);
  /* The text limit holds whatever max_payload is. */
  ASSERT_REJECTED(w.buf, w.len, BIG_LIMIT);
  ASSERT_REJECTED(w.buf, w.len, 0);
  one_entry_frame(&w, TF_MSG_ERROR, TF_ENT_TEXT, TF_WIRE_MAX_MESSAGE + 8);
  ASSERT_REJECTED(w.buf, w.len, BIG_LIMIT);
  tf__wbuf_free(&w);
}

static void test_wire_round_trips_bye_with_counters_and_events(void) {
  const uint64_t stats[TF_WIRE_STATS_N] = {1, 2, 3, 4};
  uint64_t obs[TF_WIRE_OBS_N], back[TF_WIRE_OBS_N];
  for (int i = 0; i < TF_WIRE_OBS_N; i++)
    obs[i] = UINT64_C(0x0102030405060708) * (uint64_t)(i + 1);
  tf_event ev[3] = {{7, 10, 20, TF_EV_TASK, 0}, {UINT64_C(1) << 63 | 5, -5, 40, TF_EV_TASK, 1},
                    {9, 41, 41, TF_EV_TASK, 0}};
  tf_wbuf w = {0};
  CU_ASSERT_EQUAL_FATAL(tf__wire_begin(&w, TF_MSG_BYE, 0), 0);
  CU_ASSERT_EQUAL(tf__wire_add_stats(&w, stats), 0);
  CU_ASSERT_EQUAL(tf__wire_add_obs(&w, obs), 0);
  CU_ASSERT_EQUAL(tf__wire_add_events(&w, ev, 2), 0);
  CU_ASSERT_EQUAL(tf__wire_add_events(&w, ev + 2, 1), 0);
  tf__wire_finish(&w);
  tf_frame f; /* decoded in place: its entries point into w.buf */
  CU_ASSERT_EQUAL_FATAL(tf__wire_decode(w.buf, w.len, 0, &f, why, sizeof why), 0);
  CU_ASSERT_EQUAL(f.count, 4);
  size_t pos = 0, k = 0;
  tf_entry e;
  tf__wire_next(&f, &pos, &e);
  CU_ASSERT_EQUAL(e.type, TF_ENT_STATS);
  tf__wire_next(&f, &pos, &e);
  CU_ASSERT_EQUAL_FATAL(e.type, TF_ENT_OBS);
  tf__wire_obs(&e, back);
  CU_ASSERT(memcmp(obs, back, sizeof obs) == 0);
  while (tf__wire_next(&f, &pos, &e)) {
    CU_ASSERT_EQUAL_FATAL(e.type, TF_ENT_EVENTS);
    for (size_t i = 0; i < tf__wire_event_count(&e); i++, k++) {
      tf_event x;
      tf__wire_event_at(&e, i, &x);
      CU_ASSERT(x.id == ev[k].id && x.t0 == ev[k].t0 && x.t1 == ev[k].t1 &&
                x.kind == ev[k].kind && x.arg == ev[k].arg);
    }
  }
  CU_ASSERT_EQUAL(k, 3);
  tf__wbuf_free(&w);
}

static void test_wire_rejects_bye_with_counters_first_or_twice_or_bad_events(void) {
  const uint64_t stats[TF_WIRE_STATS_N] = {0};
  uint64_t obs[TF_WIRE_OBS_N] = {0};
  tf_event ev = {1, 0, 1, TF_EV_TASK, 0};
  tf_wbuf w = {0};
  /* counters before the statistics */
  CU_ASSERT_EQUAL_FATAL(tf__wire_begin(&w, TF_MSG_BYE, 0), 0);
  CU_ASSERT_EQUAL(tf__wire_add_obs(&w, obs), 0);
  CU_ASSERT_EQUAL(tf__wire_add_stats(&w, stats), 0);
  tf__wire_finish(&w);
  ASSERT_REJECTED(w.buf, w.len, BIG_LIMIT);
  /* counters twice */
  CU_ASSERT_EQUAL_FATAL(tf__wire_begin(&w, TF_MSG_BYE, 0), 0);
  CU_ASSERT_EQUAL(tf__wire_add_stats(&w, stats), 0);
  CU_ASSERT_EQUAL(tf__wire_add_obs(&w, obs), 0);
  CU_ASSERT_EQUAL(tf__wire_add_obs(&w, obs), 0);
  tf__wire_finish(&w);
  ASSERT_REJECTED(w.buf, w.len, BIG_LIMIT);
  /* counters of the wrong size */
  CU_ASSERT_EQUAL_FATAL(tf__wire_begin(&w, TF_MSG_BYE, 0), 0);
  CU_ASSERT_EQUAL(tf__wire_add_stats(&w, stats), 0);
  CU_ASSERT_EQUAL(tf__wire_add(&w, TF_ENT_OBS, 0, 0, obs, TF_WIRE_OBS_SIZE - 8), 0);
  tf__wire_finish(&w);
  ASSERT_REJECTED(w.buf, w.len, BIG_LIMIT);
  /* events: a size that is no whole number of records, or a count that disagrees */
  CU_ASSERT_EQUAL_FATAL(tf__wire_begin(&w, TF_MSG_BYE, 0), 0);
  CU_ASSERT_EQUAL(tf__wire_add_stats(&w, stats), 0);
  CU_ASSERT_EQUAL(tf__wire_add(&w, TF_ENT_EVENTS, 1, 0, obs, TF_WIRE_EVENT_SIZE - 8), 0);
  tf__wire_finish(&w);
  ASSERT_REJECTED(w.buf, w.len, BIG_LIMIT);
  CU_ASSERT_EQUAL_FATAL(tf__wire_begin(&w, TF_MSG_BYE, 0), 0);
  CU_ASSERT_EQUAL(tf__wire_add_stats(&w, stats), 0);
  CU_ASSERT_EQUAL(tf__wire_add_events(&w, &ev, 1), 0);
  tf__wire_finish(&w);
  ASSERT_ACCEPTED(w.buf, w.len, BIG_LIMIT);
  poke64(w.buf + HDR_SIZE + padded(TF_WIRE_ENTRY_SIZE + TF_WIRE_STATS_SIZE), 2);
  ASSERT_REJECTED(w.buf, w.len, BIG_LIMIT);
  /* events are refused outside BYE, and beyond the per-entry limit */
  CU_ASSERT_EQUAL(tf__wire_add_events(&w, &ev, TF_WIRE_EVENTS_PER_ENTRY + 1), TF_ETOOBIG);
  CU_ASSERT_EQUAL_FATAL(tf__wire_begin(&w, TF_MSG_RESULTS, 0), 0);
  CU_ASSERT_EQUAL(tf__wire_add_events(&w, &ev, 1), 0);
  tf__wire_finish(&w);
  ASSERT_REJECTED(w.buf, w.len, BIG_LIMIT);
  tf__wbuf_free(&w);
}

static void test_wire_round_trips_credit_and_the_room_flag(void) {
  tf_wbuf w = {0};
  CU_ASSERT_EQUAL_FATAL(tf__wire_begin(&w, TF_MSG_CREDIT, 0), 0);
  CU_ASSERT_EQUAL_FATAL(tf__wire_add_credit(&w, UINT64_C(5) << 32), 0);
  tf__wire_finish(&w);
  tf_frame f;
  CU_ASSERT_EQUAL_FATAL(tf__wire_decode(w.buf, w.len, BIG_LIMIT, &f, why, sizeof why), 0);
  CU_ASSERT_EQUAL(f.kind, TF_MSG_CREDIT);
  size_t pos = 0;
  tf_entry e;
  CU_ASSERT_FATAL(tf__wire_next(&f, &pos, &e));
  CU_ASSERT_EQUAL(e.type, TF_ENT_CREDIT);
  CU_ASSERT_EQUAL(tf__wire_credit(&e), UINT64_C(5) << 32);
  CU_ASSERT_STRING_EQUAL(tf__wire_kind_name(TF_MSG_CREDIT), "CREDIT");
  /* RESULTS' aux: tasks asked for, and the flag beside them. */
  uint32_t aux = 4095 | TF_WIRE_ASK_ROOM;
  CU_ASSERT_EQUAL(TF_WIRE_ASK_TASKS(aux), 4095);
  CU_ASSERT(aux & TF_WIRE_ASK_ROOM);
  CU_ASSERT_EQUAL(TF_WIRE_ASK_TASKS((uint32_t)TF_MAX_PREFETCH), TF_MAX_PREFETCH);
  tf__wbuf_free(&w);
}

static void test_wire_rejects_credit_with_data_or_not_alone(void) {
  tf_wbuf w = {0};
  /* no entry, two entries */
  CU_ASSERT_EQUAL_FATAL(tf__wire_begin(&w, TF_MSG_CREDIT, 0), 0);
  tf__wire_finish(&w);
  ASSERT_REJECTED(w.buf, w.len, BIG_LIMIT);
  CU_ASSERT_EQUAL_FATAL(tf__wire_begin(&w, TF_MSG_CREDIT, 0), 0);
  CU_ASSERT_EQUAL(tf__wire_add_credit(&w, 1), 0);
  CU_ASSERT_EQUAL(tf__wire_add_credit(&w, 2), 0);
  tf__wire_finish(&w);
  ASSERT_REJECTED(w.buf, w.len, BIG_LIMIT);
  /* a credit entry carrying data */
  CU_ASSERT_EQUAL_FATAL(tf__wire_begin(&w, TF_MSG_CREDIT, 0), 0);
  CU_ASSERT_EQUAL(tf__wire_add(&w, TF_ENT_CREDIT, 1, 0, "12345678", 8), 0);
  tf__wire_finish(&w);
  ASSERT_REJECTED(w.buf, w.len, BIG_LIMIT);
  /* a START entry (results) carrying data */
  CU_ASSERT_EQUAL_FATAL(tf__wire_begin(&w, TF_MSG_RESULTS, 0), 0);
  CU_ASSERT_EQUAL(tf__wire_add(&w, TF_ENT_START, 1, 0, "12345678", 8), 0);
  tf__wire_finish(&w);
  ASSERT_REJECTED(w.buf, w.len, BIG_LIMIT);
  /* a credit entry anywhere but in a CREDIT frame */
  static const unsigned kinds[] = {TF_MSG_TASKS, TF_MSG_RESULTS, TF_MSG_BYE, TF_MSG_STOP};
  for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++) {
    CU_ASSERT_EQUAL_FATAL(tf__wire_begin(&w, kinds[i], 0), 0);
    CU_ASSERT_EQUAL(tf__wire_add_credit(&w, 1), 0);
    tf__wire_finish(&w);
    ASSERT_REJECTED(w.buf, w.len, BIG_LIMIT);
  }
  tf__wbuf_free(&w);
}

/* ---- a relay's goodbye: ORIGIN entries ---- */

/* Start a BYE frame with the relay's own statistics (tasks = 100). */
static void relay_bye(tf_wbuf *w) {
  const uint64_t own[TF_WIRE_STATS_N] = {100, 0, 0, 0};
  CU_ASSERT_EQUAL_FATAL(tf__wire_begin(w, TF_MSG_BYE, 0), 0);
  CU_ASSERT_EQUAL_FATAL(tf__wire_add_stats(w, own), 0);
}

/* Add an ORIGIN entry naming the worker at rank (no data). */
static void origin(tf_wbuf *w, uint64_t rank) {
  CU_ASSERT_EQUAL_FATAL(tf__wire_add(w, TF_ENT_ORIGIN, rank, 0, NULL, 0), 0);
}

/* Add the statistics of the worker at rank (tasks = rank * 10). */
static void worker_stats(tf_wbuf *w, uint64_t rank) {
  const uint64_t v[TF_WIRE_STATS_N] = {rank * 10, rank * 1000, rank, 1};
  CU_ASSERT_EQUAL_FATAL(tf__wire_add_stats(w, v), 0);
}

/* A relay's BYE: its own STATS, OBS and EVENTS, then for each worker an ORIGIN naming its
 * rank and that worker's STATS, OBS, EVENTS: it decodes, and the entries come back in order
 * with the ranks and the statistics of each part. */
static void test_wire_round_trips_a_relays_bye_with_origin_parts(void) {
  uint64_t obs[TF_WIRE_OBS_N] = {0};
  tf_event ev = {7, 10, 20, TF_EV_TASK, 0};
  tf_wbuf w = {0};
  relay_bye(&w);
  CU_ASSERT_EQUAL(tf__wire_add_obs(&w, obs), 0);
  CU_ASSERT_EQUAL(tf__wire_add_events(&w, &ev, 1), 0);
  origin(&w, 2);
  worker_stats(&w, 2);
  CU_ASSERT_EQUAL(tf__wire_add_obs(&w, obs), 0);
  CU_ASSERT_EQUAL(tf__wire_add_events(&w, &ev, 1), 0);
  CU_ASSERT_EQUAL(tf__wire_add_events(&w, &ev, 1), 0);
  origin(&w, 3);
  worker_stats(&w, 3); /* statistics alone */
  tf__wire_finish(&w);
  ASSERT_ACCEPTED(w.buf, w.len, BIG_LIMIT);
  tf_frame f; /* decoded in place: its entries point into w.buf */
  CU_ASSERT_EQUAL_FATAL(tf__wire_decode(w.buf, w.len, BIG_LIMIT, &f, why, sizeof why), 0);
  CU_ASSERT_EQUAL(f.kind, TF_MSG_BYE);
  CU_ASSERT_EQUAL_FATAL(f.count, 10);
  static const unsigned types[10] = {TF_ENT_STATS,  TF_ENT_OBS,    TF_ENT_EVENTS, TF_ENT_ORIGIN,
                                     TF_ENT_STATS,  TF_ENT_OBS,    TF_ENT_EVENTS, TF_ENT_EVENTS,
                                     TF_ENT_ORIGIN, TF_ENT_STATS};
  size_t pos = 0, k = 0;
  uint64_t from = 0, v[TF_WIRE_STATS_N]; /* the part's rank; 0: the relay's own */
  tf_entry e;
  for (; k < 10 && tf__wire_next(&f, &pos, &e); k++) {
    CU_ASSERT_EQUAL(e.type, types[k]);
    if (e.type == TF_ENT_ORIGIN) {
      CU_ASSERT_EQUAL(e.size, 0);
      from = e.id;
    } else if (e.type == TF_ENT_STATS) {
      tf__wire_stats(&e, v);
      CU_ASSERT_EQUAL(v[0], from ? from * 10 : 100);
      CU_ASSERT_EQUAL(v[1], from * 1000);
    }
  }
  CU_ASSERT_EQUAL(k, 10);
  CU_ASSERT_EQUAL(from, 3);
  CU_ASSERT(!tf__wire_next(&f, &pos, &e));
  tf__wbuf_free(&w);
}

/* Each part is a goodbye of its own: at most one OBS in each, so one per part across parts is
 * accepted, while two in one part (the relay's or a worker's) are not. */
static void test_wire_allows_one_counters_entry_per_part(void) {
  uint64_t obs[TF_WIRE_OBS_N] = {0};
  tf_wbuf w = {0};
  relay_bye(&w);
  CU_ASSERT_EQUAL(tf__wire_add_obs(&w, obs), 0);
  for (uint64_t r = 2; r <= 4; r++) {
    origin(&w, r);
    worker_stats(&w, r);
    CU_ASSERT_EQUAL(tf__wire_add_obs(&w, obs), 0);
  }
  tf__wire_finish(&w);
  ASSERT_ACCEPTED(w.buf, w.len, BIG_LIMIT);
  /* two in a worker's part */
  relay_bye(&w);
  origin(&w, 2);
  worker_stats(&w, 2);
  CU_ASSERT_EQUAL(tf__wire_add_obs(&w, obs), 0);
  CU_ASSERT_EQUAL(tf__wire_add_obs(&w, obs), 0);
  tf__wire_finish(&w);
  ASSERT_REJECTED(w.buf, w.len, BIG_LIMIT);
  /* two in a later worker's part, the earlier one with none */
  relay_bye(&w);
  origin(&w, 2);
  worker_stats(&w, 2);
  origin(&w, 3);
  worker_stats(&w, 3);
  CU_ASSERT_EQUAL(tf__wire_add_obs(&w, obs), 0);
  CU_ASSERT_EQUAL(tf__wire_add_obs(&w, obs), 0);
  tf__wire_finish(&w);
  ASSERT_REJECTED(w.buf, w.len, BIG_LIMIT);
  /* two in the relay's own, before any part */
  relay_bye(&w);
  CU_ASSERT_EQUAL(tf__wire_add_obs(&w, obs), 0);
  CU_ASSERT_EQUAL(tf__wire_add_obs(&w, obs), 0);
  origin(&w, 2);
  worker_stats(&w, 2);
  tf__wire_finish(&w);
  ASSERT_REJECTED(w.buf, w.len, BIG_LIMIT);
  tf__wbuf_free(&w);
}

/* A part must open with its statistics, once: an ORIGIN followed by anything else (counters,
 * events, another ORIGIN), an ORIGIN last, a part with two STATS, or an ORIGIN before the
 * relay's own statistics are rejected. */
static void test_wire_rejects_an_origin_not_followed_by_statistics(void) {
  uint64_t obs[TF_WIRE_OBS_N] = {0};
  tf_event ev = {1, 0, 1, TF_EV_TASK, 0};
  tf_wbuf w = {0};
  relay_bye(&w); /* ORIGIN, OBS */
  origin(&w, 2);
  CU_ASSERT_EQUAL(tf__wire_add_obs(&w, obs), 0);
  tf__wire_finish(&w);
  ASSERT_REJECTED(w.buf, w.len, BIG_LIMIT);
  relay_bye(&w); /* ORIGIN, EVENTS */
  origin(&w, 2);
  CU_ASSERT_EQUAL(tf__wire_add_events(&w, &ev, 1), 0);
  tf__wire_finish(&w);
  ASSERT_REJECTED(w.buf, w.len, BIG_LIMIT);
  relay_bye(&w); /* ORIGIN, ORIGIN, STATS */
  origin(&w, 2);
  origin(&w, 3);
  worker_stats(&w, 3);
  tf__wire_finish(&w);
  ASSERT_REJECTED(w.buf, w.len, BIG_LIMIT);
  relay_bye(&w); /* ORIGIN last */
  origin(&w, 2);
  tf__wire_finish(&w);
  ASSERT_REJECTED(w.buf, w.len, BIG_LIMIT);
  relay_bye(&w); /* a full part, then ORIGIN last */
  origin(&w, 2);
  worker_stats(&w, 2);
  origin(&w, 3);
  tf__wire_finish(&w);
  ASSERT_REJECTED(w.buf, w.len, BIG_LIMIT);
  relay_bye(&w); /* ORIGIN, STATS, STATS */
  origin(&w, 2);
  worker_stats(&w, 2);
  worker_stats(&w, 2);
  tf__wire_finish(&w);
  ASSERT_REJECTED(w.buf, w.len, BIG_LIMIT);
  CU_ASSERT_EQUAL_FATAL(tf__wire_begin(&w, TF_MSG_BYE, 0), 0); /* ORIGIN first */
  origin(&w, 2);
  worker_stats(&w, 2);
  tf__wire_finish(&w);
  ASSERT_REJECTED(w.buf, w.len, BIG_LIMIT);
  tf__wbuf_free(&w);
}

/* ORIGIN carries no data, and belongs in BYE frames only. */
static void test_wire_rejects_origin_with_data_or_outside_bye(void) {
  tf_wbuf w = {0};
  relay_bye(&w);
  CU_ASSERT_EQUAL(tf__wire_add(&w, TF_ENT_ORIGIN, 2, 0, "12345678", 8), 0);
  worker_stats(&w, 2);
  tf__wire_finish(&w);
  ASSERT_REJECTED(w.buf, w.len, BIG_LIMIT);
  /* in a RESULTS frame, after a good result, and alone */
  CU_ASSERT_EQUAL_FATAL(tf__wire_begin(&w, TF_MSG_RESULTS, 0), 0);
  CU_ASSERT_EQUAL(tf__wire_add(&w, TF_ENT_RESULT, 1, 0, "ok", 2), 0);
  origin(&w, 2);
  tf__wire_finish(&w);
  ASSERT_REJECTED(w.buf, w.len, BIG_LIMIT);
  static const unsigned kinds[] = {TF_MSG_TASKS, TF_MSG_RESULTS, TF_MSG_STOP, TF_MSG_ERROR,
                                   TF_MSG_HEARTBEAT, TF_MSG_CREDIT};
  for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++) {
    CU_ASSERT_EQUAL_FATAL(tf__wire_begin(&w, kinds[i], 0), 0);
    origin(&w, 2);
    tf__wire_finish(&w);
    ASSERT_REJECTED(w.buf, w.len, BIG_LIMIT);
  }
  tf__wbuf_free(&w);
}

/* ---- a relay's news: FATE, LOST, SLOW, and copies of slow tasks ---- */

/* Assert that buf[0..len) is rejected with a reason that says `because`. */
#define ASSERT_REJECTED_FOR(buf, len, max_payload, because)                                        \
  do {                                                                                             \
    ASSERT_REJECTED((buf), (len), (max_payload));                                                  \
    CU_ASSERT_PTR_NOT_NULL(strstr(why, (because)));                                                \
  } while (0)

/* Add a FATE entry: the relay's worker at rank met fate (prio). */
static void fate(tf_wbuf *w, uint64_t rank, int32_t what) {
  CU_ASSERT_EQUAL_FATAL(tf__wire_add(w, TF_ENT_FATE, rank, what, NULL, 0), 0);
}

/* FATE entries belong in the relay's own part, after its statistics (and its counters and
 * events, as a relay builds its goodbye) and before the first ORIGIN: such a BYE decodes, and
 * each comes back with its rank, its fate and no data. */
static void test_wire_accepts_fate_in_a_relays_own_part(void) {
  uint64_t obs[TF_WIRE_OBS_N] = {0};
  tf_event ev = {7, 10, 20, TF_EV_TASK, 0};
  tf_wbuf w = {0};
  relay_bye(&w);
  fate(&w, 2, TF_FATE_LOST);
  fate(&w, 3, TF_FATE_STUCK);
  fate(&w, 5, TF_FATE_NO_BYE);
  origin(&w, 4);
  worker_stats(&w, 4);
  tf__wire_finish(&w);
  tf_frame f;
  CU_ASSERT_EQUAL_FATAL(tf__wire_decode(w.buf, w.len, BIG_LIMIT, &f, why, sizeof why), 0);
  CU_ASSERT_EQUAL_FATAL(f.count, 6);
  static const unsigned types[6] = {TF_ENT_STATS, TF_ENT_FATE,   TF_ENT_FATE,
                                    TF_ENT_FATE,  TF_ENT_ORIGIN, TF_ENT_STATS};
  static const uint64_t ids[6] = {0, 2, 3, 5, 4, 0};
  static const int32_t prios[6] = {0, TF_FATE_LOST, TF_FATE_STUCK, TF_FATE_NO_BYE, 0, 0};
  size_t pos = 0;
  tf_entry e;
  for (int k = 0; k < 6; k++) {
    CU_ASSERT_FATAL(tf__wire_next(&f, &pos, &e));
    CU_ASSERT_EQUAL(e.type, types[k]);
    CU_ASSERT_EQUAL(e.id, ids[k]);
    CU_ASSERT_EQUAL(e.prio, prios[k]);
    if (e.type == TF_ENT_FATE) CU_ASSERT_EQUAL(e.size, 0);
  }
  CU_ASSERT(!tf__wire_next(&f, &pos, &e));
  /* after the relay's counters and events, with no worker's part at all */
  relay_bye(&w);
  CU_ASSERT_EQUAL(tf__wire_add_obs(&w, obs), 0);
  CU_ASSERT_EQUAL(tf__wire_add_events(&w, &ev, 1), 0);
  fate(&w, 2, TF_FATE_LOST);
  fate(&w, 3, TF_FATE_LOST);
  tf__wire_finish(&w);
  ASSERT_ACCEPTED(w.buf, w.len, BIG_LIMIT);
  tf__wbuf_free(&w);
}

/* A FATE entry anywhere but the relay's own part is rejected: after an ORIGIN and the worker's
 * statistics (in a worker's part, the first or a later one), right after an ORIGIN, or first
 * in the frame, before any statistics. */
static void test_wire_rejects_fate_outside_the_relays_own_part(void) {
  tf_wbuf w = {0};
  relay_bye(&w); /* in the first worker's part */
  origin(&w, 2);
  worker_stats(&w, 2);
  fate(&w, 3, TF_FATE_LOST);
  tf__wire_finish(&w);
  ASSERT_REJECTED_FOR(w.buf, w.len, BIG_LIMIT, "fate 1 in a worker's part");
  relay_bye(&w); /* in a later part, the relay's own fine */
  fate(&w, 4, TF_FATE_STUCK);
  origin(&w, 2);
  worker_stats(&w, 2);
  origin(&w, 3);
  worker_stats(&w, 3);
  fate(&w, 4, TF_FATE_STUCK);
  tf__wire_finish(&w);
  ASSERT_REJECTED_FOR(w.buf, w.len, BIG_LIMIT, "entry 6 tells a worker's fate 2 in a worker");
  relay_bye(&w); /* in place of a part's statistics */
  origin(&w, 2);
  fate(&w, 2, TF_FATE_LOST);
  worker_stats(&w, 2);
  tf__wire_finish(&w);
  ASSERT_REJECTED_FOR(w.buf, w.len, BIG_LIMIT, "statistics must come first");
  CU_ASSERT_EQUAL_FATAL(tf__wire_begin(&w, TF_MSG_BYE, 0), 0); /* before the relay's STATS */
  fate(&w, 2, TF_FATE_LOST);
  worker_stats(&w, 1);
  tf__wire_finish(&w);
  ASSERT_REJECTED_FOR(w.buf, w.len, BIG_LIMIT, "statistics must come first");
  tf__wbuf_free(&w);
}

/* A fate is one of 1 (lost), 2 (stuck), 3 (did not stop): 0, 4 and -1 are rejected; a FATE
 * entry carries no data, and belongs in BYE frames only. */
static void test_wire_rejects_fate_of_no_kind_or_with_data(void) {
  static const int32_t bad[] = {0, 4, -1, INT32_MAX};
  tf_wbuf w = {0};
  for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
    relay_bye(&w);
    fate(&w, 2, bad[k]);
    tf__wire_finish(&w);
    ASSERT_REJECTED_FOR(w.buf, w.len, BIG_LIMIT, "not one of 1-3");
  }
  for (int32_t k = TF_FATE_LOST; k <= TF_FATE_NO_BYE; k++) { /* the same frames, good fates */
    relay_bye(&w);
    fate(&w, 2, k);
    tf__wire_finish(&w);
    ASSERT_ACCEPTED(w.buf, w.len, BIG_LIMIT);
  }
  relay_bye(&w);
  CU_ASSERT_EQUAL(tf__wire_add(&w, TF_ENT_FATE, 2, TF_FATE_LOST, "12345678", 8), 0);
  tf__wire_finish(&w);
  ASSERT_REJECTED_FOR(w.buf, w.len, BIG_LIMIT, "holds 8 bytes, the limit is 0");
  relay_bye(&w);
  CU_ASSERT_EQUAL(tf__wire_add(&w, TF_ENT_FATE, 2, TF_FATE_LOST, "x", 1), 0);
  tf__wire_finish(&w);
  ASSERT_REJECTED_FOR(w.buf, w.len, BIG_LIMIT, "holds 1 bytes, the limit is 0");
  CU_ASSERT_EQUAL_FATAL(tf__wire_begin(&w, TF_MSG_RESULTS, 0), 0);
  CU_ASSERT_EQUAL(tf__wire_add(&w, TF_ENT_STATS, 0, 0, "0123456789abcdef0123456789abcdef", 32), 0);
  fate(&w, 2, TF_FATE_LOST);
  tf__wire_finish(&w);
  ASSERT_REJECTED_FOR(w.buf, w.len, BIG_LIMIT, "type 15, not allowed here");
  tf__wbuf_free(&w);
}

/* A relay's LOST (with why, up to TF_WIRE_MAX_MESSAGE bytes whatever --max-payload is) and
 * SLOW (no data) ride in a RESULTS frame among its other outcomes and come back as sent. */
static void test_wire_round_trips_lost_and_slow_in_results(void) {
  const char text[] = "its workers were lost running it";
  static char longest[TF_WIRE_MAX_MESSAGE];
  memset(longest, 'x', sizeof longest);
  tf_wbuf w = {0};
  CU_ASSERT_EQUAL_FATAL(tf__wire_begin(&w, TF_MSG_RESULTS, 4), 0);
  CU_ASSERT_EQUAL(tf__wire_add(&w, TF_ENT_RESULT, 1, 0, "12345678", 8), 0);
  CU_ASSERT_EQUAL(tf__wire_add(&w, TF_ENT_LOST, 7, 3, text, strlen(text)), 0);
  CU_ASSERT_EQUAL(tf__wire_add(&w, TF_ENT_SLOW, 9, 0, NULL, 0), 0);
  CU_ASSERT_EQUAL(tf__wire_add(&w, TF_ENT_LOST, 11, 1, longest, sizeof longest), 0);
  tf__wire_finish(&w);
  tf_frame f;
  CU_ASSERT_EQUAL_FATAL(tf__wire_decode(w.buf, w.len, 16, &f, why, sizeof why), 0);
  CU_ASSERT_EQUAL(f.aux, 4);
  CU_ASSERT_EQUAL_FATAL(f.count, 4);
  size_t pos = 0;
  tf_entry e;
  CU_ASSERT_FATAL(tf__wire_next(&f, &pos, &e));
  CU_ASSERT_EQUAL(e.type, TF_ENT_RESULT);
  CU_ASSERT_FATAL(tf__wire_next(&f, &pos, &e));
  CU_ASSERT_EQUAL(e.type, TF_ENT_LOST);
  CU_ASSERT_EQUAL(e.id, 7);
  CU_ASSERT_EQUAL(e.prio, 3);
  CU_ASSERT_EQUAL_FATAL(e.size, strlen(text));
  CU_ASSERT(memcmp(e.data, text, e.size) == 0);
  CU_ASSERT_FATAL(tf__wire_next(&f, &pos, &e));
  CU_ASSERT_EQUAL(e.type, TF_ENT_SLOW);
  CU_ASSERT_EQUAL(e.id, 9);
  CU_ASSERT_EQUAL(e.size, 0);
  CU_ASSERT_FATAL(tf__wire_next(&f, &pos, &e));
  CU_ASSERT_EQUAL(e.type, TF_ENT_LOST);
  CU_ASSERT_EQUAL(e.id, 11);
  CU_ASSERT_EQUAL(e.size, TF_WIRE_MAX_MESSAGE);
  CU_ASSERT(!tf__wire_next(&f, &pos, &e));
  tf__wbuf_free(&w);
}

/* A LOST entry's why is a message: one byte over TF_WIRE_MAX_MESSAGE is rejected even when
 * --max-payload is larger; LOST and SLOW go up in RESULTS only (not in a BYE, after its
 * statistics, nor in TASKS); a SLOW entry carries no data. */
static void test_wire_rejects_lost_and_slow_out_of_place(void) {
  static char over[TF_WIRE_MAX_MESSAGE + 1];
  tf_wbuf w = {0};
  CU_ASSERT_EQUAL_FATAL(tf__wire_begin(&w, TF_MSG_RESULTS, 0), 0);
  CU_ASSERT_EQUAL(tf__wire_add(&w, TF_ENT_LOST, 7, 1, over, sizeof over), 0);
  tf__wire_finish(&w);
  ASSERT_REJECTED_FOR(w.buf, w.len, BIG_LIMIT, "holds 1025 bytes, the limit is 1024");
  relay_bye(&w);
  CU_ASSERT_EQUAL(tf__wire_add(&w, TF_ENT_LOST, 7, 1, "lost", 4), 0);
  tf__wire_finish(&w);
  ASSERT_REJECTED_FOR(w.buf, w.len, BIG_LIMIT, "entry 1 has type 14, not allowed here");
  relay_bye(&w);
  CU_ASSERT_EQUAL(tf__wire_add(&w, TF_ENT_SLOW, 7, 0, NULL, 0), 0);
  tf__wire_finish(&w);
  ASSERT_REJECTED_FOR(w.buf, w.len, BIG_LIMIT, "entry 1 has type 16, not allowed here");
  CU_ASSERT_EQUAL_FATAL(tf__wire_begin(&w, TF_MSG_TASKS, 0), 0);
  CU_ASSERT_EQUAL(tf__wire_add(&w, TF_ENT_TASK, 1, 0, "ok", 2), 0);
  CU_ASSERT_EQUAL(tf__wire_add(&w, TF_ENT_LOST, 7, 1, "lost", 4), 0);
  tf__wire_finish(&w);
  ASSERT_REJECTED_FOR(w.buf, w.len, BIG_LIMIT, "entry 1 has type 14, not allowed here");
  CU_ASSERT_EQUAL_FATAL(tf__wire_begin(&w, TF_MSG_RESULTS, 0), 0);
  CU_ASSERT_EQUAL(tf__wire_add(&w, TF_ENT_RESULT, 1, 0, "12345678", 8), 0);
  CU_ASSERT_EQUAL(tf__wire_add(&w, TF_ENT_SLOW, 9, 0, "12345678", 8), 0);
  tf__wire_finish(&w);
  ASSERT_REJECTED_FOR(w.buf, w.len, BIG_LIMIT, "entry 1 holds 8 bytes, the limit is 0");
  CU_ASSERT_EQUAL_FATAL(tf__wire_begin(&w, TF_MSG_RESULTS, 0), 0);
  CU_ASSERT_EQUAL(tf__wire_add(&w, TF_ENT_SLOW, 9, 0, "x", 1), 0);
  tf__wire_finish(&w);
  ASSERT_REJECTED_FOR(w.buf, w.len, BIG_LIMIT, "entry 0 holds 1 bytes, the limit is 0");
  tf__wbuf_free(&w);
}

/* TF_WIRE_TASK_COPY is the top bit of a TASK entry's attempt (bytes 20..23): it round-trips
 * with the attempt count below it and the priority untouched, and a task without it reads
 * back without it. */
static void test_wire_task_copy_flag_rides_in_the_attempt(void) {
  tf_wbuf w = {0};
  CU_ASSERT_EQUAL_FATAL(tf__wire_begin(&w, TF_MSG_TASKS, TF_WIRE_PLAN(4, 2)), 0);
  CU_ASSERT_EQUAL(tf__wire_add_task(&w, 5, -3, TF_WIRE_TASK_COPY | 2, "abc", 3), 0);
  CU_ASSERT_EQUAL(tf__wire_add_task(&w, 6, 7, TF_WIRE_TASK_COPY, NULL, 0), 0);
  CU_ASSERT_EQUAL(tf__wire_add_task(&w, 7, 0, 2, "d", 1), 0);
  tf__wire_finish(&w);
  CU_ASSERT_EQUAL(peek32(w.buf + HDR_SIZE + ENT_ATTEMPT), UINT32_C(0x80000002));
  tf_frame f;
  CU_ASSERT_EQUAL_FATAL(tf__wire_decode(w.buf, w.len, 1024, &f, why, sizeof why), 0);
  static const uint32_t attempts[3] = {TF_WIRE_TASK_COPY | 2, TF_WIRE_TASK_COPY, 2};
  static const int32_t prios[3] = {-3, 7, 0};
  size_t pos = 0;
  tf_entry e;
  for (unsigned k = 0; k < 3; k++) {
    CU_ASSERT_FATAL(tf__wire_next(&f, &pos, &e));
    CU_ASSERT_EQUAL(e.id, 5 + k);
    CU_ASSERT_EQUAL(e.attempt, attempts[k]);
    CU_ASSERT_EQUAL(e.prio, prios[k]);
  }
  CU_ASSERT_EQUAL(TF_WIRE_TASK_COPY, UINT32_C(0x80000000));
  tf__wbuf_free(&w);
}

int main(void) {
  static const tf_unit_test tests[] = {
      TF_UNIT_TEST(test_wire_round_trips_tasks_of_varied_sizes),
      TF_UNIT_TEST(test_wire_round_trips_results_fails_and_spawns),
      TF_UNIT_TEST(test_wire_round_trips_stop_with_status),
      TF_UNIT_TEST(test_wire_task_entry_carries_its_attempt),
      TF_UNIT_TEST(test_wire_round_trips_bye_with_stats),
      TF_UNIT_TEST(test_wire_round_trips_error_with_text),
      TF_UNIT_TEST(test_wire_begin_reuses_buffer_for_a_new_frame),
      TF_UNIT_TEST(test_wire_entry_bytes_pads_data_to_eight),
      TF_UNIT_TEST(test_wire_append_copies_entries_of_another_frame),
      TF_UNIT_TEST(test_wire_append_grows_destination_buffer),
      TF_UNIT_TEST(test_wire_set_aux_changes_credits_after_entries),
      TF_UNIT_TEST(test_wire_add_refuses_payload_over_hard_limit),
      TF_UNIT_TEST(test_wire_names_frame_kinds),
      TF_UNIT_TEST(test_wire_rejects_frame_shorter_than_header),
      TF_UNIT_TEST(test_wire_rejects_truncated_frame),
      TF_UNIT_TEST(test_wire_rejects_truncated_frame_with_matching_length),
      TF_UNIT_TEST(test_wire_rejects_wrong_magic),
      TF_UNIT_TEST(test_wire_rejects_wrong_version),
      TF_UNIT_TEST(test_wire_rejects_unknown_kind),
      TF_UNIT_TEST(test_wire_rejects_body_length_disagreeing_with_bytes),
      TF_UNIT_TEST(test_wire_rejects_count_beyond_entries),
      TF_UNIT_TEST(test_wire_rejects_stray_bytes_after_entries),
      TF_UNIT_TEST(test_wire_accepts_only_entry_types_of_the_frame_kind),
      TF_UNIT_TEST(test_wire_limits_a_partial_entry_to_the_payload_limit),
      TF_UNIT_TEST(test_wire_rejects_task_in_results_and_result_in_tasks),
      TF_UNIT_TEST(test_wire_rejects_entry_over_max_payload),
      TF_UNIT_TEST(test_wire_allows_fail_message_up_to_max_message),
      TF_UNIT_TEST(test_wire_rejects_entry_size_beyond_body),
      TF_UNIT_TEST(test_wire_rejects_stats_entry_of_wrong_size),
      TF_UNIT_TEST(test_wire_rejects_bye_or_error_without_exactly_one_entry),
      TF_UNIT_TEST(test_wire_rejects_text_over_max_message),
      TF_UNIT_TEST(test_wire_round_trips_bye_with_counters_and_events),
      TF_UNIT_TEST(test_wire_rejects_bye_with_counters_first_or_twice_or_bad_events),
      TF_UNIT_TEST(test_wire_round_trips_credit_and_the_room_flag),
      TF_UNIT_TEST(test_wire_rejects_credit_with_data_or_not_alone),
      TF_UNIT_TEST(test_wire_round_trips_a_relays_bye_with_origin_parts),
      TF_UNIT_TEST(test_wire_allows_one_counters_entry_per_part),
      TF_UNIT_TEST(test_wire_rejects_an_origin_not_followed_by_statistics),
      TF_UNIT_TEST(test_wire_rejects_origin_with_data_or_outside_bye),
      TF_UNIT_TEST(test_wire_accepts_fate_in_a_relays_own_part),
      TF_UNIT_TEST(test_wire_rejects_fate_outside_the_relays_own_part),
      TF_UNIT_TEST(test_wire_rejects_fate_of_no_kind_or_with_data),
      TF_UNIT_TEST(test_wire_round_trips_lost_and_slow_in_results),
      TF_UNIT_TEST(test_wire_rejects_lost_and_slow_out_of_place),
      TF_UNIT_TEST(test_wire_task_copy_flag_rides_in_the_attempt),
      TF_UNIT_END,
  };
  return tf_unit_run("wire", tests);
}
