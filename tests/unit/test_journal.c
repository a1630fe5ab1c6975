/* test_journal.c - CRC-32C (src/crc32c.c) and the run journal (src/journal.c): records survive
 * a write and a read, a tail torn at any byte is told apart from damage in the middle, a
 * damaged or foreign file is refused with a reason, and I/O errors reach the caller. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "crc32c.h"
#include "journal.h"
#include "taskfarm.h"
#include "unit.h"

/* Offsets of the layout documented in journal.h, written out here so that a change in the
 * writer cannot silently move the test along with it. */
enum {
  HDR_VERSION = 8,
  HDR_LEN = 12,
  HDR_FINGERPRINT = 16,
  HDR_ARGS_LEN = 24,
  HDR_CRC = 28,
  HDR_SIZE = 32,
  REC_LEN = 4,
  REC_SIZE = 12,
};

#define MAX_RECORD UINT64_C(0xffffffff)

static void poke32(unsigned char *p, uint32_t v) {
  for (int i = 0; i < 4; i++)
    p[i] = (unsigned char)(v >> (8 * i));
}
static uint32_t peek32(const unsigned char *p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; i--)
    v = (v << 8) | p[i];
  return v;
}

/* Deterministic bytes that differ between seeds. */
static void fill(unsigned char *p, size_t n, unsigned seed) {
  for (size_t i = 0; i < n; i++)
    p[i] = (unsigned char)(seed * 131u + i * 7u + (i >> 8) + 1u);
}

/* A small xorshift generator, so that the random tests repeat exactly. */
static uint64_t rng_state = 0x9e3779b97f4a7c15u;
static uint64_t rnd(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return rng_state;
}

/* ---- a scratch directory per test ---- */

static char dir[512];
static char path[600];

static void make_dir(void) {
  const char *tmp = getenv("TMPDIR");
  snprintf(dir, sizeof dir, "%s/tfjournal.XXXXXX", tmp && *tmp ? tmp : "/tmp");
  CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
  snprintf(path, sizeof path, "%s/journal", dir);
}

/* The tests make no file in dir but path. */
static void remove_dir(void) {
  unlink(path);
  CU_ASSERT_EQUAL(rmdir(dir), 0);
}

static size_t file_size(const char *p) {
  struct stat st;
  return stat(p, &st) == 0 ? (size_t)st.st_size : (size_t)-1;
}

static void write_file(const char *p, const unsigned char *buf, size_t len) {
  FILE *f = fopen(p, "wb");
  CU_ASSERT_PTR_NOT_NULL_FATAL(f);
  if (len) CU_ASSERT_EQUAL(fwrite(buf, 1, len, f), len);
  CU_ASSERT_EQUAL(fclose(f), 0);
}

/* ---- what a parse saw ---- */

enum { MAX_SEEN = 8 };
typedef struct seen_rec {
  uint64_t id;
  size_t offset, result_size;
  uint32_t nchildren;
  uint32_t result_sum; /* a checksum of the result bytes */
  tf_jchild kids[4];
  uint32_t kid_sum[4];
} seen_rec;
typedef struct seen {
  int n;
  int stop_at; /* return 7 from this visit (1-based); 0: never */
  seen_rec r[MAX_SEEN];
} seen;

static int visit(void *arg, const tf_jrecord *r) {
  seen *s = arg;
  CU_ASSERT_FATAL(s->n < MAX_SEEN);
  seen_rec *o = &s->r[s->n++];
  o->id = r->id;
  o->offset = r->offset;
  o->result_size = r->result_size;
  o->nchildren = r->nchildren;
  o->result_sum = tf__crc32c(0, r->result, r->result_size);
  size_t pos = 0;
  tf_jchild c;
  uint32_t k = 0;
  while (tf__journal_next_child(r, &pos, &c)) {
    if (k < 4) {
      o->kids[k] = c;
      o->kid_sum[k] = tf__crc32c(0, c.data, c.size);
    }
    k++;
  }
  CU_ASSERT_EQUAL(k, r->nchildren);
  CU_ASSERT_EQUAL(pos, r->children_len);
  CU_ASSERT_EQUAL(tf__journal_next_child(r, &pos, &c), 0); /* stays at the end */
  return s->n == s->stop_at ? 7 : 0;
}

static int parse(const unsigned char *buf, size_t len, seen *s, tf_jscan *scan) {
  memset(s, 0, sizeof *s);
  return tf__journal_parse(buf, len, MAX_RECORD, visit, s, scan);
}

/* ---- a small journal used by several tests ---- */

static const char ARGS[] = "taskfarm-pi --tasks 100 --journal j";
#define FINGERPRINT UINT64_C(0x0123456789abcdef)

/* Write a journal of three records to path: task 10 with a 5-byte result, task 11 with no
 * result and two children, task 12 with a 9-byte result. Returns the file in *buf (the
 * caller frees it); offs[i] is where record i starts, offs[3] the end. */
static void three_records(unsigned char **buf, size_t *len, size_t offs[4]) {
  unsigned char res[9], kid[3];
  fill(res, sizeof res, 1);
  fill(kid, sizeof kid, 2);
  tf_jchild kids[2] = {{TF_ID_SPAWNED | 1, -4, sizeof kid, kid}, {TF_ID_SPAWNED | 2, 5, 0, NULL}};
  tf_journal j;
  CU_ASSERT_EQUAL_FATAL(tf__journal_create(&j, path, 0, FINGERPRINT, ARGS, strlen(ARGS), 0, 0), 0);
  CU_ASSERT_EQUAL(tf__journal_add(&j, 10, res, 5, NULL, 0, 0), 0);
  CU_ASSERT_EQUAL(tf__journal_add(&j, 11, NULL, 0, kids, 2, 0), 0);
  CU_ASSERT_EQUAL(tf__journal_add(&j, 12, res, 9, NULL, 0, 0), 0);
  CU_ASSERT_EQUAL_FATAL(tf__journal_close(&j, 0), 0);
  char err[256];
  CU_ASSERT_EQUAL_FATAL(tf__journal_read_file(path, buf, len, err, sizeof err), 0);
  offs[0] = HDR_SIZE + strlen(ARGS);
  offs[1] = offs[0] + REC_SIZE + 16 + 5;
  offs[2] = offs[1] + REC_SIZE + 16 + 2 * 16 + sizeof kid;
  offs[3] = offs[2] + REC_SIZE + 16 + 9;
  CU_ASSERT_EQUAL_FATAL(*len, offs[3]);
}

/* ---- CRC-32C ---- */

static void test_crc32c_matches_known_values(void) {
  static const struct {
    unsigned char fill; /* 0, 0xff, or 1 for bytes 0, 1, 2, ... */
    uint32_t crc;
  } iscsi[] = {{0x00, 0x8A9136AAu}, {0xff, 0x62A8AB43u}, {1, 0x46DD794Eu}};
  CU_ASSERT_EQUAL(tf__crc32c(0, "123456789", 9), 0xE3069283u);
  CU_ASSERT_EQUAL(tf__crc32c_sw(0, "123456789", 9), 0xE3069283u);
  CU_ASSERT_EQUAL(tf__crc32c(0, "", 0), 0);
  CU_ASSERT_EQUAL(tf__crc32c(0x12345678u, NULL, 0), 0x12345678u);
  /* The 32-byte test patterns of RFC 3720, B.4. */
  for (size_t i = 0; i < sizeof iscsi / sizeof iscsi[0]; i++) {
    unsigned char b[32];
    for (int k = 0; k < 32; k++)
      b[k] = iscsi[i].fill == 1 ? (unsigned char)k : iscsi[i].fill;
    CU_ASSERT_EQUAL(tf__crc32c(0, b, 32), iscsi[i].crc);
    CU_ASSERT_EQUAL(tf__crc32c_sw(0, b, 32), iscsi[i].crc);
  }
#if defined(__x86_64__)
  /* Every x86-64 CPU this runs on in practice has SSE4.2; make the fast path's use visible. */
  printf("(crc32c: %s) ", tf__crc32c_hw() ? "sse4.2" : "tables");
#endif
}

static void test_crc32c_chains_across_any_split(void) {
  unsigned char b[100];
  fill(b, sizeof b, 3);
  uint32_t whole = tf__crc32c(0, b, sizeof b);
  CU_ASSERT_EQUAL(tf__crc32c_sw(0, b, sizeof b), whole);
  for (size_t k = 0; k <= sizeof b; k++) {
    CU_ASSERT_EQUAL(tf__crc32c(tf__crc32c(0, b, k), b + k, sizeof b - k), whole);
    CU_ASSERT_EQUAL(tf__crc32c_sw(tf__crc32c_sw(0, b, k), b + k, sizeof b - k), whole);
  }
}

static void test_crc32c_fast_path_equals_tables(void) {
  unsigned char b[300 + 8];
  for (size_t len = 0; len <= 300; len++)
    for (size_t align = 0; align < 8; align++) {
      for (size_t i = 0; i < len; i++)
        b[align + i] = (unsigned char)rnd();
      uint32_t seed = len & 1 ? (uint32_t)rnd() : 0;
      CU_ASSERT_EQUAL(tf__crc32c(seed, b + align, len), tf__crc32c_sw(seed, b + align, len));
    }
}

/* ---- round trips ---- */

static void test_journal_round_trips_empty_large_and_children(void) {
  enum { BIG = 3 << 20 }; /* over TF_JOURNAL_WRITE_BYTES */
  unsigned char *big = malloc(BIG), kid[100];
  CU_ASSERT_PTR_NOT_NULL_FATAL(big);
  fill(big, BIG, 4);
  fill(kid, sizeof kid, 5);
  tf_jchild kids[3] = {{TF_ID_SPAWNED | 7, INT32_MIN, sizeof kid, kid},
                       {TF_ID_SPAWNED | 8, 0, 0, NULL},
                       {UINT64_MAX, INT32_MAX, 1, kid + 99}};
  make_dir();
  tf_journal j;
  CU_ASSERT_EQUAL_FATAL(tf__journal_create(&j, path, 0, FINGERPRINT, ARGS, strlen(ARGS), 1, 0), 0);
  CU_ASSERT_EQUAL(tf__journal_add(&j, 0, NULL, 0, NULL, 0, 0), 0);
  CU_ASSERT_EQUAL(tf__journal_add(&j, 1, big, BIG, kids, 3, 0), 0);
  CU_ASSERT_EQUAL(tf__journal_add(&j, UINT64_MAX, kid, 17, kids + 1, 2, 0), 0);
  CU_ASSERT_EQUAL(j.records, 3);
  CU_ASSERT_EQUAL(tf__journal_close(&j, 0), 0);
  CU_ASSERT_PTR_NULL(j.path);

  unsigned char *buf;
  size_t len;
  char err[256];
  CU_ASSERT_EQUAL_FATAL(tf__journal_read_file(path, &buf, &len, err, sizeof err), 0);
  CU_ASSERT_EQUAL(len, j.bytes_written);
  CU_ASSERT_EQUAL(len, file_size(path));
  seen s;
  tf_jscan scan;
  CU_ASSERT_EQUAL_FATAL(parse(buf, len, &s, &scan), 0);
  CU_ASSERT_EQUAL(scan.has_header, 1);
  CU_ASSERT_EQUAL(scan.fingerprint, FINGERPRINT);
  CU_ASSERT_EQUAL(scan.args_len, strlen(ARGS));
  CU_ASSERT(scan.args_len == strlen(ARGS) && memcmp(scan.args, ARGS, scan.args_len) == 0);
  CU_ASSERT_EQUAL(scan.header_len, HDR_SIZE + strlen(ARGS));
  CU_ASSERT_EQUAL(scan.valid_len, len);
  CU_ASSERT_EQUAL(scan.torn, 0);
  CU_ASSERT_EQUAL(scan.records, 3);
  CU_ASSERT_STRING_EQUAL(scan.error, "");
  CU_ASSERT_EQUAL_FATAL(s.n, 3);

  CU_ASSERT_EQUAL(s.r[0].id, 0);
  CU_ASSERT_EQUAL(s.r[0].offset, scan.header_len);
  CU_ASSERT_EQUAL(s.r[0].result_size, 0);
  CU_ASSERT_EQUAL(s.r[0].nchildren, 0);

  CU_ASSERT_EQUAL(s.r[1].id, 1);
  CU_ASSERT_EQUAL(s.r[1].offset, scan.header_len + REC_SIZE + 16);
  CU_ASSERT_EQUAL(s.r[1].result_size, BIG);
  CU_ASSERT_EQUAL(s.r[1].result_sum, tf__crc32c(0, big, BIG));
  CU_ASSERT_EQUAL_FATAL(s.r[1].nchildren, 3);
  for (int k = 0; k < 3; k++) {
    CU_ASSERT_EQUAL(s.r[1].kids[k].id, kids[k].id);
    CU_ASSERT_EQUAL(s.r[1].kids[k].prio, kids[k].prio);
    CU_ASSERT_EQUAL(s.r[1].kids[k].size, kids[k].size);
    CU_ASSERT_EQUAL(s.r[1].kid_sum[k], tf__crc32c(0, kids[k].data, kids[k].size));
  }

  CU_ASSERT_EQUAL(s.r[2].id, UINT64_MAX);
  CU_ASSERT_EQUAL(s.r[2].result_size, 17);
  CU_ASSERT_EQUAL(s.r[2].result_sum, tf__crc32c(0, kid, 17));
  CU_ASSERT_EQUAL_FATAL(s.r[2].nchildren, 2);
  CU_ASSERT_EQUAL(s.r[2].kids[0].id, TF_ID_SPAWNED | 8);
  CU_ASSERT_EQUAL(s.r[2].kids[1].prio, INT32_MAX);

  /* The same records when nobody visits them. */
  CU_ASSERT_EQUAL(tf__journal_parse(buf, len, MAX_RECORD, NULL, NULL, &scan), 0);
  CU_ASSERT_EQUAL(scan.records, 3);
  /* A body over max_record is not a record: a journal read with too small a limit is
   * damaged from the big record on. */
  CU_ASSERT_EQUAL(tf__journal_parse(buf, len, BIG, NULL, NULL, &scan), TF_EPROTO);
  CU_ASSERT_EQUAL(scan.records, 1);
  CU_ASSERT_EQUAL(scan.valid_len, s.r[1].offset);
  char want[128];
  snprintf(want, sizeof want, "journal damaged at byte %zu (a whole record follows at byte %zu)",
           s.r[1].offset, s.r[2].offset);
  CU_ASSERT_STRING_EQUAL(scan.error, want);
  free(buf);
  free(big);
  remove_dir();
}

static void test_journal_parse_of_header_only_has_no_records(void) {
  make_dir();
  tf_journal j;
  CU_ASSERT_EQUAL_FATAL(tf__journal_create(&j, path, 0, 5, NULL, 0, 0, 0), 0);
  CU_ASSERT_EQUAL(tf__journal_close(&j, 0), 0);
  CU_ASSERT_EQUAL(j.bytes_written, HDR_SIZE);
  unsigned char *buf;
  size_t len;
  char err[256];
  CU_ASSERT_EQUAL_FATAL(tf__journal_read_file(path, &buf, &len, err, sizeof err), 0);
  CU_ASSERT_EQUAL_FATAL(len, HDR_SIZE);
  CU_ASSERT_EQUAL(peek32(buf + HDR_VERSION), 2);
  CU_ASSERT_EQUAL(peek32(buf + HDR_LEN), HDR_SIZE);
  CU_ASSERT_EQUAL(peek32(buf + HDR_ARGS_LEN), 0);
  CU_ASSERT_EQUAL(peek32(buf + HDR_CRC), tf__crc32c(0, buf, HDR_CRC));
  tf_jscan scan;
  seen s;
  CU_ASSERT_EQUAL(parse(buf, len, &s, &scan), 0);
  CU_ASSERT_EQUAL(scan.has_header, 1);
  CU_ASSERT_EQUAL(scan.fingerprint, 5);
  CU_ASSERT_EQUAL(scan.args_len, 0);
  CU_ASSERT_EQUAL(scan.records, 0);
  CU_ASSERT_EQUAL(scan.valid_len, HDR_SIZE);
  CU_ASSERT_EQUAL(scan.torn, 0);
  CU_ASSERT_EQUAL(s.n, 0);
  free(buf);
  remove_dir();
}

/* ---- torn tails and damage ---- */

static void test_journal_tail_torn_at_every_byte_is_cut_off(void) {
  unsigned char *buf;
  size_t len, offs[4];
  make_dir();
  three_records(&buf, &len, offs);
  for (size_t cut = 0; cut <= len; cut++) {
    /* An exact-size copy, so that a sanitizer would see a read past the end. */
    unsigned char *copy = malloc(cut ? cut : 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(copy);
    memcpy(copy, buf, cut);
    tf_jscan scan;
    seen s;
    CU_ASSERT_EQUAL(parse(copy, cut, &s, &scan), 0);
    if (cut < offs[0]) {
      CU_ASSERT_EQUAL(scan.has_header, 0);
      CU_ASSERT_EQUAL(scan.valid_len, 0);
      CU_ASSERT_EQUAL(scan.torn, cut);
      CU_ASSERT_EQUAL(scan.records, 0);
    } else {
      uint64_t whole = cut >= offs[3] ? 3 : cut >= offs[2] ? 2 : cut >= offs[1] ? 1 : 0;
      CU_ASSERT_EQUAL(scan.has_header, 1);
      CU_ASSERT_EQUAL(scan.records, whole);
      CU_ASSERT_EQUAL(s.n, (int)whole);
      CU_ASSERT_EQUAL(scan.valid_len, offs[whole]);
      CU_ASSERT_EQUAL(scan.torn, cut - offs[whole]);
    }
    free(copy);
  }
  free(buf);
  remove_dir();
}

static void test_journal_damage_before_a_whole_record_is_refused(void) {
  unsigned char *buf;
  size_t len, offs[4];
  make_dir();
  three_records(&buf, &len, offs);
  char want[128];
  snprintf(want, sizeof want, "journal damaged at byte %zu (a whole record follows at byte %zu)",
           offs[1], offs[2]);
  /* Any one byte of record 1 changed, in its header or its body. */
  for (size_t at = offs[1]; at < offs[2]; at++)
    for (unsigned bit = 0; bit < 8; bit += 7) {
      buf[at] ^= (unsigned char)(1u << bit);
      tf_jscan scan;
      seen s;
      CU_ASSERT_EQUAL(parse(buf, len, &s, &scan), TF_EPROTO);
      CU_ASSERT_STRING_EQUAL(scan.error, want);
      CU_ASSERT_EQUAL(scan.valid_len, offs[1]);
      CU_ASSERT_EQUAL(scan.records, 1);
      CU_ASSERT_EQUAL(s.n, 1);
      buf[at] ^= (unsigned char)(1u << bit);
    }
  /* Garbage between two good records is damage too. */
  unsigned char *wide = malloc(len + 5);
  CU_ASSERT_PTR_NOT_NULL_FATAL(wide);
  memcpy(wide, buf, offs[2]);
  memcpy(wide + offs[2], "TFJR?", 5);
  memcpy(wide + offs[2] + 5, buf + offs[2], len - offs[2]);
  tf_jscan scan;
  CU_ASSERT_EQUAL(tf__journal_parse(wide, len + 5, MAX_RECORD, NULL, NULL, &scan), TF_EPROTO);
  snprintf(want, sizeof want, "journal damaged at byte %zu (a whole record follows at byte %zu)",
           offs[2], offs[2] + 5);
  CU_ASSERT_STRING_EQUAL(scan.error, want);
  free(wide);
  free(buf);
  remove_dir();
}

static void test_journal_damage_in_last_record_is_a_torn_tail(void) {
  unsigned char *buf;
  size_t len, offs[4];
  make_dir();
  three_records(&buf, &len, offs);
  for (size_t at = offs[2]; at < offs[3]; at++) {
    buf[at] ^= 0x10;
    tf_jscan scan;
    seen s;
    CU_ASSERT_EQUAL(parse(buf, len, &s, &scan), 0);
    CU_ASSERT_EQUAL(scan.records, 2);
    CU_ASSERT_EQUAL(scan.valid_len, offs[2]);
    CU_ASSERT_EQUAL(scan.torn, len - offs[2]);
    buf[at] ^= 0x10;
  }
  /* Zeros after the last record (a file system that grew the file before the crash). */
  unsigned char *more = calloc(1, len + 4096);
  CU_ASSERT_PTR_NOT_NULL_FATAL(more);
  memcpy(more, buf, len);
  tf_jscan scan;
  CU_ASSERT_EQUAL(tf__journal_parse(more, len + 4096, MAX_RECORD, NULL, NULL, &scan), 0);
  CU_ASSERT_EQUAL(scan.records, 3);
  CU_ASSERT_EQUAL(scan.valid_len, len);
  CU_ASSERT_EQUAL(scan.torn, 4096);
  free(more);
  free(buf);
  remove_dir();
}

/* A record whose fields disagree with its length is damaged even with a correct CRC. */
static void test_journal_rejects_inconsistent_body_with_good_crc(void) {
  unsigned char *buf;
  size_t len, offs[4];
  make_dir();
  three_records(&buf, &len, offs);
  unsigned char *rec = buf + offs[1];
  uint32_t body = peek32(rec + REC_LEN);
  static const struct {
    size_t field; /* offset in the record */
    int32_t delta;
  } edits[] = {{REC_SIZE + 8, 1},   {REC_SIZE + 8, -1},      {REC_SIZE + 12, 1},
               {REC_SIZE + 12, -1}, {REC_SIZE + 16 + 12, 1}, {REC_SIZE + 16 + 12, -1}};
  for (size_t i = 0; i < sizeof edits / sizeof edits[0]; i++) {
    uint32_t old = peek32(rec + edits[i].field);
    poke32(rec + edits[i].field, old + (uint32_t)edits[i].delta);
    poke32(rec + 8, tf__crc32c(tf__crc32c(0, rec + REC_LEN, 4), rec + REC_SIZE, body));
    tf_jscan scan;
    CU_ASSERT_EQUAL(tf__journal_parse(buf, len, MAX_RECORD, NULL, NULL, &scan), TF_EPROTO);
    CU_ASSERT_EQUAL(scan.valid_len, offs[1]);
    poke32(rec + edits[i].field, old);
  }
  poke32(rec + 8, tf__crc32c(tf__crc32c(0, rec + REC_LEN, 4), rec + REC_SIZE, body));
  tf_jscan scan;
  CU_ASSERT_EQUAL(tf__journal_parse(buf, len, MAX_RECORD, NULL, NULL, &scan), 0);
  CU_ASSERT_EQUAL(scan.records, 3);
  free(buf);
  remove_dir();
}

/* ---- headers ---- */

static void test_journal_refuses_foreign_or_damaged_header(void) {
  unsigned char *buf;
  size_t len, offs[4];
  make_dir();
  three_records(&buf, &len, offs);
  tf_jscan scan;

  buf[3] = 'x';
  CU_ASSERT_EQUAL(tf__journal_parse(buf, len, MAX_RECORD, NULL, NULL, &scan), TF_EPROTO);
  CU_ASSERT_STRING_EQUAL(scan.error, "not a taskfarm journal (bad magic)");
  CU_ASSERT_EQUAL(tf__journal_parse(buf, 2, MAX_RECORD, NULL, NULL, &scan), 0); /* "TF" */
  CU_ASSERT_EQUAL(tf__journal_parse(buf, 4, MAX_RECORD, NULL, NULL, &scan), TF_EPROTO);
  CU_ASSERT_EQUAL(tf__journal_parse("#!/bin/sh\n", 10, MAX_RECORD, NULL, NULL, &scan), TF_EPROTO);
  CU_ASSERT_STRING_EQUAL(scan.error, "not a taskfarm journal (bad magic)");
  buf[3] = 'O';

  poke32(buf + HDR_VERSION, 3);
  CU_ASSERT_EQUAL(tf__journal_parse(buf, len, MAX_RECORD, NULL, NULL, &scan), TF_EPROTO);
  CU_ASSERT_PTR_NOT_NULL(strstr(scan.error, "version 3, written by a newer taskfarm"));
  CU_ASSERT_EQUAL(tf__journal_parse(buf, 12, MAX_RECORD, NULL, NULL, &scan), TF_EPROTO);
  /* Version 1 fingerprinted the options' text: refused with the way out. */
  poke32(buf + HDR_VERSION, 1);
  CU_ASSERT_EQUAL(tf__journal_parse(buf, len, MAX_RECORD, NULL, NULL, &scan), TF_EPROTO);
  CU_ASSERT_PTR_NOT_NULL(strstr(scan.error, "version 1, written by an older taskfarm"));
  CU_ASSERT_PTR_NOT_NULL(strstr(scan.error, "another --journal"));
  poke32(buf + HDR_VERSION, 2);

  /* Every byte of the header and its args is covered by the checks. */
  for (size_t at = 0; at < offs[0]; at++) {
    if (at < HDR_VERSION) continue; /* the magic, tested above */
    buf[at] ^= 0x04;
    CU_ASSERT_EQUAL(tf__journal_parse(buf, len, MAX_RECORD, NULL, NULL, &scan), TF_EPROTO);
    if (at >= HDR_LEN) CU_ASSERT_PTR_NOT_NULL(strstr(scan.error, "journal header damaged"));
    CU_ASSERT_EQUAL(scan.has_header, 0);
    buf[at] ^= 0x04;
  }
  /* Arguments over the limit, with a header length to match. */
  poke32(buf + HDR_ARGS_LEN, 5000);
  poke32(buf + HDR_LEN, HDR_SIZE + 5000);
  CU_ASSERT_EQUAL(tf__journal_parse(buf, 30, MAX_RECORD, NULL, NULL, &scan), TF_EPROTO);
  CU_ASSERT_PTR_NOT_NULL(strstr(scan.error, "journal header damaged"));
  free(buf);
  remove_dir();
}

static void test_journal_empty_or_partial_header_is_torn_creation(void) {
  tf_jscan scan;
  CU_ASSERT_EQUAL(tf__journal_parse(NULL, 0, MAX_RECORD, NULL, NULL, &scan), 0);
  CU_ASSERT_EQUAL(scan.has_header, 0);
  CU_ASSERT_EQUAL(scan.torn, 0);
  CU_ASSERT_EQUAL(scan.valid_len, 0);
  CU_ASSERT_EQUAL(tf__journal_parse(NULL, 5, MAX_RECORD, NULL, NULL, &scan), TF_EINVAL);
  CU_ASSERT_EQUAL(tf__journal_parse("TFJ", 3, MAX_RECORD, NULL, NULL, NULL), TF_EINVAL);
  /* Every prefix of a header is checked in the torn-tail test; here one with a field. */
  unsigned char h[HDR_SIZE] = "TFJOURNL";
  poke32(h + HDR_VERSION, 2);
  poke32(h + HDR_LEN, HDR_SIZE + 10);
  poke32(h + HDR_ARGS_LEN, 10);
  CU_ASSERT_EQUAL(tf__journal_parse(h, HDR_SIZE, MAX_RECORD, NULL, NULL, &scan), 0);
  CU_ASSERT_EQUAL(scan.has_header, 0);
  CU_ASSERT_EQUAL(scan.torn, HDR_SIZE);
}

static void test_journal_visitor_can_stop_the_parse(void) {
  unsigned char *buf;
  size_t len, offs[4];
  make_dir();
  three_records(&buf, &len, offs);
  seen s = {.stop_at = 2};
  tf_jscan scan;
  CU_ASSERT_EQUAL(tf__journal_parse(buf, len, MAX_RECORD, visit, &s, &scan), 7);
  CU_ASSERT_EQUAL(s.n, 2);
  CU_ASSERT_EQUAL(scan.records, 2);
  CU_ASSERT_EQUAL(scan.valid_len, offs[2]);
  free(buf);
  remove_dir();
}

/* ---- the writer ---- */

static void test_journal_writes_after_delay_or_size_and_syncs_on_schedule(void) {
  make_dir();
  tf_journal j;
  CU_ASSERT_EQUAL_FATAL(tf__journal_create(&j, path, 0, 1, "x", 1, 10, 100), 0);
  size_t header = HDR_SIZE + 1;
  CU_ASSERT_EQUAL(file_size(path), header);
  CU_ASSERT_EQUAL(tf__journal_add(&j, 1, "abc", 3, NULL, 0, 100), 0);
  CU_ASSERT_EQUAL(tf__journal_tick(&j, 100.01), 0); /* too soon */
  CU_ASSERT_EQUAL(file_size(path), header);
  CU_ASSERT_EQUAL(tf__journal_add(&j, 2, "de", 2, NULL, 0, 100.02), 0);
  CU_ASSERT_EQUAL(tf__journal_tick(&j, 100.06), 0); /* the first is due */
  size_t two = header + 2 * (REC_SIZE + 16) + 5;
  CU_ASSERT_EQUAL(file_size(path), two);
  CU_ASSERT_EQUAL(j.len, 0);
  CU_ASSERT_EQUAL(j.dirty, 1); /* synced at 100, next sync at 110 */
  CU_ASSERT_EQUAL(tf__journal_tick(&j, 109), 0);
  CU_ASSERT_EQUAL(j.dirty, 1);
  CU_ASSERT_EQUAL(tf__journal_tick(&j, 110), 0);
  CU_ASSERT_EQUAL(j.dirty, 0);
  CU_ASSERT_EQUAL(j.last_sync, 110);

  /* A megabyte goes out at once, however young. */
  unsigned char *big = calloc(1, TF_JOURNAL_WRITE_BYTES);
  CU_ASSERT_PTR_NOT_NULL_FATAL(big);
  CU_ASSERT_EQUAL(tf__journal_add(&j, 3, big, TF_JOURNAL_WRITE_BYTES, NULL, 0, 200), 0);
  CU_ASSERT_EQUAL(tf__journal_tick(&j, 200), 0);
  CU_ASSERT_EQUAL(file_size(path), two + REC_SIZE + 16 + TF_JOURNAL_WRITE_BYTES);
  free(big);

  /* flush writes whatever is left, however young, and syncs. */
  CU_ASSERT_EQUAL(tf__journal_add(&j, 4, NULL, 0, NULL, 0, 300), 0);
  CU_ASSERT_EQUAL(tf__journal_flush(&j, 300), 0);
  CU_ASSERT_EQUAL(j.dirty, 0);
  CU_ASSERT_EQUAL(j.len, 0);
  CU_ASSERT_EQUAL(j.bytes_written, file_size(path));
  CU_ASSERT_EQUAL(tf__journal_close(&j, 300), 0);
  CU_ASSERT_EQUAL(tf__journal_close(&j, 300), 0); /* twice is harmless */

  /* sync_every 0: a sync after every write. */
  CU_ASSERT_EQUAL_FATAL(tf__journal_create(&j, path, 1, 1, NULL, 0, 0, 0), 0);
  CU_ASSERT_EQUAL(tf__journal_add(&j, 1, NULL, 0, NULL, 0, 0), 0);
  CU_ASSERT_EQUAL(tf__journal_tick(&j, 1), 0);
  CU_ASSERT_EQUAL(j.dirty, 0);
  CU_ASSERT_EQUAL(tf__journal_close(&j, 1), 0);
  remove_dir();
}

static void test_journal_reopen_cuts_torn_tail_and_appends(void) {
  unsigned char *buf;
  size_t len, offs[4];
  make_dir();
  three_records(&buf, &len, offs);
  /* A fourth record torn half way, as a killed run leaves it. */
  unsigned char torn[REC_SIZE + 16 + 8];
  memcpy(torn, buf + offs[0], 20);
  unsigned char *longer = malloc(len + 20);
  CU_ASSERT_PTR_NOT_NULL_FATAL(longer);
  memcpy(longer, buf, len);
  memcpy(longer + len, torn, 20);
  write_file(path, longer, len + 20);
  free(longer);
  free(buf);

  char err[256];
  CU_ASSERT_EQUAL_FATAL(tf__journal_read_file(path, &buf, &len, err, sizeof err), 0);
  tf_jscan scan;
  CU_ASSERT_EQUAL(tf__journal_parse(buf, len, MAX_RECORD, NULL, NULL, &scan), 0);
  CU_ASSERT_EQUAL(scan.records, 3);
  CU_ASSERT_EQUAL(scan.torn, 20);
  free(buf);

  tf_journal j;
  CU_ASSERT_EQUAL_FATAL(tf__journal_reopen(&j, path, scan.valid_len, 0, 0), 0);
  CU_ASSERT_EQUAL(file_size(path), scan.valid_len);
  CU_ASSERT_EQUAL(tf__journal_add(&j, 99, "tail", 4, NULL, 0, 0), 0);
  CU_ASSERT_EQUAL(tf__journal_close(&j, 0), 0);

  CU_ASSERT_EQUAL_FATAL(tf__journal_read_file(path, &buf, &len, err, sizeof err), 0);
  seen s;
  CU_ASSERT_EQUAL(parse(buf, len, &s, &scan), 0);
  CU_ASSERT_EQUAL(scan.records, 4);
  CU_ASSERT_EQUAL(scan.torn, 0);
  CU_ASSERT_EQUAL(scan.fingerprint, FINGERPRINT);
  CU_ASSERT_EQUAL(s.r[3].id, 99);
  CU_ASSERT_EQUAL(s.r[3].offset, offs[3]);
  free(buf);

  /* A file shorter than what was found valid has changed under us. */
  CU_ASSERT_EQUAL(tf__journal_reopen(&j, path, len + 1, 0, 0), TF_JOURNAL_EIO);
  CU_ASSERT_PTR_NOT_NULL(strstr(j.errmsg, path));
  CU_ASSERT_EQUAL(tf__journal_close(&j, 0), TF_JOURNAL_EIO);
  remove_dir();
}

static void test_journal_create_refuses_existing_file_unless_replacing(void) {
  make_dir();
  write_file(path, (const unsigned char *)"TFJOUR", 6); /* a torn header */
  tf_journal j;
  CU_ASSERT_EQUAL(tf__journal_create(&j, path, 0, 1, NULL, 0, 0, 0), TF_JOURNAL_EIO);
  CU_ASSERT_PTR_NOT_NULL(strstr(j.errmsg, path));
  CU_ASSERT_PTR_NOT_NULL(strstr(j.errmsg, strerror(EEXIST)));
  CU_ASSERT_PTR_NULL(j.path);
  CU_ASSERT_EQUAL(file_size(path), 6); /* untouched */
  CU_ASSERT_EQUAL(tf__journal_close(&j, 0), TF_JOURNAL_EIO);

  CU_ASSERT_EQUAL_FATAL(tf__journal_create(&j, path, 1, 1, "ab", 2, 0, 0), 0);
  CU_ASSERT_EQUAL(file_size(path), HDR_SIZE + 2);
  CU_ASSERT_EQUAL(tf__journal_close(&j, 0), 0);

  /* No directory, no file; bad arguments. */
  char nodir[700];
  snprintf(nodir, sizeof nodir, "%s/no/such/dir", dir);
  CU_ASSERT_EQUAL(tf__journal_create(&j, nodir, 0, 1, NULL, 0, 0, 0), TF_JOURNAL_EIO);
  CU_ASSERT_PTR_NOT_NULL(strstr(j.errmsg, nodir));
  CU_ASSERT_EQUAL(tf__journal_reopen(&j, nodir, 0, 0, 0), TF_JOURNAL_EIO);
  CU_ASSERT_PTR_NOT_NULL(strstr(j.errmsg, nodir));
  CU_ASSERT_EQUAL(tf__journal_create(&j, path, 1, 1, NULL, TF_JOURNAL_MAX_ARGS + 1, 0, 0),
                  TF_EINVAL);
  CU_ASSERT_EQUAL(tf__journal_create(&j, path, 1, 1, NULL, 0, -1, 0), TF_EINVAL);
  CU_ASSERT_EQUAL(tf__journal_create(&j, "", 1, 1, NULL, 0, 0, 0), TF_EINVAL);
  CU_ASSERT_EQUAL(tf__journal_close(&j, 0), 0);
  remove_dir();
}

static void test_journal_add_refuses_bad_records(void) {
  tf_journal j = {0};
  CU_ASSERT_EQUAL(tf__journal_add(&j, 1, NULL, 0, NULL, 0, 0), TF_EINVAL); /* not open */
  CU_ASSERT_EQUAL(tf__journal_tick(&j, 0), 0);
  CU_ASSERT_EQUAL(tf__journal_close(&j, 0), 0); /* a zeroed struct */
  make_dir();
  CU_ASSERT_EQUAL_FATAL(tf__journal_create(&j, path, 0, 1, NULL, 0, 0, 0), 0);
  CU_ASSERT_EQUAL(tf__journal_add(&j, 1, NULL, 3, NULL, 0, 0), TF_EINVAL);
  CU_ASSERT_EQUAL(tf__journal_add(&j, 1, NULL, 0, NULL, 2, 0), TF_EINVAL);
  tf_jchild nodata = {1, 0, 4, NULL};
  CU_ASSERT_EQUAL(tf__journal_add(&j, 1, NULL, 0, &nodata, 1, 0), TF_EINVAL);
  /* Children of 4 GiB in all, described but never read: refused before any copy. */
  static unsigned char byte;
  tf_jchild huge[2] = {{1, 0, UINT32_MAX, &byte}, {2, 0, UINT32_MAX, &byte}};
  CU_ASSERT_EQUAL(tf__journal_add(&j, 1, NULL, 0, huge, 2, 0), TF_ETOOBIG);
  CU_ASSERT_EQUAL(j.records, 0);
  CU_ASSERT_EQUAL(tf__journal_close(&j, 0), 0);
  CU_ASSERT_EQUAL(file_size(path), HDR_SIZE);
  remove_dir();
}

/* Files may grow to `bytes` only: a write past that fails with EFBIG, as on a full disk
 * (SIGXFSZ ignored). limit_files(0) puts everything back. */
static void limit_files(rlim_t bytes) {
  static struct rlimit saved;
  static void (*handler)(int);
  static int on;
  if (bytes && !on) {
    CU_ASSERT_EQUAL_FATAL(getrlimit(RLIMIT_FSIZE, &saved), 0);
    struct rlimit small = saved;
    small.rlim_cur = bytes;
    handler = signal(SIGXFSZ, SIG_IGN);
    CU_ASSERT_EQUAL_FATAL(setrlimit(RLIMIT_FSIZE, &small), 0);
    on = 1;
  } else if (!bytes && on) {
    setrlimit(RLIMIT_FSIZE, &saved);
    signal(SIGXFSZ, handler);
    on = 0;
  }
}

static void test_journal_io_errors_are_reported_and_sticky(void) {
  tf_journal j;
  make_dir();
  /* The header cannot be written: the file this call made is removed again. */
  limit_files(10);
  CU_ASSERT_EQUAL(tf__journal_create(&j, path, 0, 1, NULL, 0, 0, 0), TF_JOURNAL_EIO);
  limit_files(0);
  CU_ASSERT_PTR_NOT_NULL(strstr(j.errmsg, path));
  CU_ASSERT_PTR_NOT_NULL(strstr(j.errmsg, strerror(EFBIG)));
  CU_ASSERT_EQUAL(tf__journal_close(&j, 0), TF_JOURNAL_EIO);
  CU_ASSERT_EQUAL(access(path, F_OK), -1);

  /* A record cannot be written: that error, and only it, from then on. */
  CU_ASSERT_EQUAL_FATAL(tf__journal_create(&j, path, 0, 1, NULL, 0, 0, 0), 0);
  limit_files(HDR_SIZE + 10);
  CU_ASSERT_EQUAL(tf__journal_add(&j, 1, "abc", 3, NULL, 0, 0), 0);
  CU_ASSERT_EQUAL(tf__journal_tick(&j, 0), 0); /* not due yet */
  CU_ASSERT_EQUAL(tf__journal_tick(&j, 1), TF_JOURNAL_EIO);
  char first[sizeof j.errmsg];
  memcpy(first, j.errmsg, sizeof first);
  CU_ASSERT_PTR_NOT_NULL(strstr(first, path));
  CU_ASSERT_PTR_NOT_NULL(strstr(first, "write failed"));
  CU_ASSERT_EQUAL(tf__journal_add(&j, 2, NULL, 0, NULL, 0, 2), TF_JOURNAL_EIO);
  CU_ASSERT_EQUAL(tf__journal_tick(&j, 2), TF_JOURNAL_EIO);
  CU_ASSERT_EQUAL(tf__journal_flush(&j, 2), TF_JOURNAL_EIO);
  CU_ASSERT_EQUAL(tf__journal_close(&j, 2), TF_JOURNAL_EIO);
  limit_files(0);
  CU_ASSERT_STRING_EQUAL(j.errmsg, first);
  CU_ASSERT_PTR_NULL(j.path);
  CU_ASSERT_EQUAL(file_size(path), HDR_SIZE + 10); /* what fitted; a torn tail */

  /* flush and close report it too, when nothing else ran first. */
  CU_ASSERT_EQUAL_FATAL(tf__journal_reopen(&j, path, HDR_SIZE, 60, 0), 0);
  limit_files(HDR_SIZE + 10);
  CU_ASSERT_EQUAL(tf__journal_add(&j, 1, "0123456789", 10, NULL, 0, 0), 0);
  CU_ASSERT_EQUAL(tf__journal_close(&j, 0), TF_JOURNAL_EIO);
  limit_files(0);
  remove_dir();
}

static void test_journal_read_file_reports_missing_and_empty_files(void) {
  unsigned char *buf = (unsigned char *)"x";
  size_t len = 1;
  char err[256];
  make_dir();
  CU_ASSERT_EQUAL(tf__journal_read_file(path, &buf, &len, err, sizeof err), TF_JOURNAL_ENOENT);
  CU_ASSERT_PTR_NULL(buf);
  CU_ASSERT_EQUAL(len, 0);
  CU_ASSERT_PTR_NOT_NULL(strstr(err, path));
  write_file(path, NULL, 0);
  CU_ASSERT_EQUAL(tf__journal_read_file(path, &buf, &len, err, sizeof err), 0);
  CU_ASSERT_PTR_NULL(buf);
  CU_ASSERT_EQUAL(len, 0);
  CU_ASSERT_EQUAL(tf__journal_read_file(dir, &buf, &len, err, sizeof err), TF_EINVAL);
  CU_ASSERT_PTR_NOT_NULL(strstr(err, dir));
  CU_ASSERT_PTR_NOT_NULL(strstr(err, "is a directory, not a regular file"));
  remove_dir();
}

/* /dev/zero never ends, /dev/full swallows nothing, a FIFO blocks a reader until a writer comes:
 * each is refused at once, by the reader and by open, with what it is; nothing is read. */
static void test_journal_refuses_what_is_not_a_regular_file(void) {
  make_dir();
  char fifo[700];
  snprintf(fifo, sizeof fifo, "%s/fifo", dir);
  CU_ASSERT_EQUAL_FATAL(mkfifo(fifo, 0600), 0);
  static const struct {
    const char *path, *kind;
  } cases[] = {{"/dev/zero", "a character device"},
               {"/dev/full", "a character device"},
               {NULL, "a FIFO"},
               {"/", "a directory"}};
  alarm(20); /* a blocking open or an endless read fails the test instead of hanging it */
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const char *p = cases[i].path ? cases[i].path : fifo;
    if (access(p, F_OK) != 0) continue;
    unsigned char *buf = NULL;
    size_t len = 0;
    char err[512];
    CU_ASSERT_EQUAL(tf__journal_read_file(p, &buf, &len, err, sizeof err), TF_EINVAL);
    CU_ASSERT_PTR_NULL(buf);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, cases[i].kind));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "not a regular file"));
    tf_journal j;
    CU_ASSERT_EQUAL(tf__journal_open(&j, p, 0, &buf, &len), TF_EINVAL);
    CU_ASSERT_PTR_NULL(buf);
    CU_ASSERT_PTR_NULL(j.path);
    CU_ASSERT_PTR_NOT_NULL(strstr(j.errmsg, p));
    CU_ASSERT_PTR_NOT_NULL(strstr(j.errmsg, cases[i].kind));
    CU_ASSERT_EQUAL(tf__journal_create(&j, p, 1, 1, NULL, 0, 0, 0), TF_EINVAL);
  }
  alarm(0);
  unlink(fifo);
  remove_dir();
}

/* The reader stops at the size fstat gave when the file was opened, whatever read() would give
 * after it: a /proc file says 0 bytes and has more, as a journal that another process appends to
 * while it is read would. */
static void test_journal_reads_no_more_than_the_size_at_open(void) {
  if (access("/proc/self/status", R_OK) != 0) {
    printf("(no /proc) ");
    return;
  }
  unsigned char *buf = (unsigned char *)"x";
  size_t len = 1;
  char err[256];
  CU_ASSERT_EQUAL(tf__journal_read_file("/proc/self/status", &buf, &len, err, sizeof err), 0);
  CU_ASSERT_PTR_NULL(buf);
  CU_ASSERT_EQUAL(len, 0);
  free(buf);
}

/* A child process tries to open the journal at path and exits 0 when it was refused as busy
 * with want in the message (want NULL: exits 0 when it opened it). */
static int try_in_child(const char *want) {
  fflush(NULL);
  pid_t pid = fork();
  if (pid == 0) {
    tf_journal j;
    int rc = tf__journal_open(&j, path, 0, NULL, NULL);
    if (want) _exit(rc == TF_JOURNAL_EBUSY && strstr(j.errmsg, want) ? 0 : 1);
    _exit(rc == 0 && tf__journal_close(&j, 0) == 0 ? 0 : 1);
  }
  int st = 0;
  CU_ASSERT_FATAL(pid > 0 && waitpid(pid, &st, 0) == pid);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void test_journal_one_run_at_a_time_and_the_holder_named(void) {
  make_dir();
  tf_journal j;
  unsigned char *buf;
  size_t len;
  CU_ASSERT_EQUAL_FATAL(tf__journal_open(&j, path, 0, &buf, &len), 0);
  CU_ASSERT_EQUAL(j.created, 1);
  CU_ASSERT_EQUAL(j.lock_errno, 0);
  CU_ASSERT(fcntl(j.fd, F_GETFL) & O_APPEND);
  CU_ASSERT_EQUAL(tf__journal_start(&j, 7, "--n=1", 5, 0), 0);
  /* Another process is refused, told who holds it, and changes nothing. */
  char host[256], want[400];
  gethostname(host, sizeof host);
  host[sizeof host - 1] = '\0';
  snprintf(want, sizeof want, "is in use by pid %ld on %s since ", (long)getpid(), host);
  CU_ASSERT_EQUAL(try_in_child(want), 0);
  CU_ASSERT_EQUAL(try_in_child("wait for it to end or use another --journal"), 0);
  CU_ASSERT_EQUAL(file_size(path), HDR_SIZE + 5);
  char lock[700];
  snprintf(lock, sizeof lock, "%s.lock", path);
  CU_ASSERT_EQUAL(access(lock, F_OK), 0);
  /* Once it is closed the lock is free again and its lock file gone. */
  CU_ASSERT_EQUAL(tf__journal_close(&j, 0), 0);
  CU_ASSERT_EQUAL(access(lock, F_OK), -1);
  CU_ASSERT_EQUAL(try_in_child(NULL), 0);
  CU_ASSERT_EQUAL(file_size(path), HDR_SIZE + 5);
  remove_dir();
}

/* A holder killed with SIGKILL leaves its lock file behind, but its lock dies with it: the next
 * run opens the journal and writes its own lock file over the stale one. */
static void test_journal_stale_lock_of_a_killed_run_does_not_block(void) {
  make_dir();
  fflush(NULL);
  pid_t pid = fork();
  if (pid == 0) {
    tf_journal j;
    if (tf__journal_create(&j, path, 0, 7, NULL, 0, 0, 0)) _exit(1);
    raise(SIGKILL);
    _exit(2);
  }
  int st = 0;
  CU_ASSERT_FATAL(pid > 0 && waitpid(pid, &st, 0) == pid);
  CU_ASSERT(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
  char lock[700], text[256] = "", want[64];
  snprintf(lock, sizeof lock, "%s.lock", path);
  CU_ASSERT_EQUAL(access(lock, F_OK), 0); /* stale */
  tf_journal j;
  unsigned char *buf;
  size_t len;
  CU_ASSERT_EQUAL_FATAL(tf__journal_open(&j, path, 0, &buf, &len), 0);
  CU_ASSERT_EQUAL(len, HDR_SIZE);
  free(buf);
  FILE *f = fopen(lock, "r");
  CU_ASSERT_PTR_NOT_NULL_FATAL(f);
  CU_ASSERT_PTR_NOT_NULL(fgets(text, sizeof text, f));
  fclose(f);
  snprintf(want, sizeof want, "pid %ld on ", (long)getpid());
  CU_ASSERT_EQUAL(strncmp(text, want, strlen(want)), 0);
  CU_ASSERT_EQUAL(tf__journal_close(&j, 0), 0);
  unlink(lock);
  remove_dir();
}

int main(void) {
  static const tf_unit_test tests[] = {
      TF_UNIT_TEST(test_crc32c_matches_known_values),
      TF_UNIT_TEST(test_crc32c_chains_across_any_split),
      TF_UNIT_TEST(test_crc32c_fast_path_equals_tables),
      TF_UNIT_TEST(test_journal_round_trips_empty_large_and_children),
      TF_UNIT_TEST(test_journal_parse_of_header_only_has_no_records),
      TF_UNIT_TEST(test_journal_tail_torn_at_every_byte_is_cut_off),
      TF_UNIT_TEST(test_journal_damage_before_a_whole_record_is_refused),
      TF_UNIT_TEST(test_journal_damage_in_last_record_is_a_torn_tail),
      TF_UNIT_TEST(test_journal_rejects_inconsistent_body_with_good_crc),
      TF_UNIT_TEST(test_journal_refuses_foreign_or_damaged_header),
      TF_UNIT_TEST(test_journal_empty_or_partial_header_is_torn_creation),
      TF_UNIT_TEST(test_journal_visitor_can_stop_the_parse),
      TF_UNIT_TEST(test_journal_writes_after_delay_or_size_and_syncs_on_schedule),
      TF_UNIT_TEST(test_journal_reopen_cuts_torn_tail_and_appends),
      TF_UNIT_TEST(test_journal_create_refuses_existing_file_unless_replacing),
      TF_UNIT_TEST(test_journal_add_refuses_bad_records),
      TF_UNIT_TEST(test_journal_io_errors_are_reported_and_sticky),
      TF_UNIT_TEST(test_journal_read_file_reports_missing_and_empty_files),
      TF_UNIT_TEST(test_journal_refuses_what_is_not_a_regular_file),
      TF_UNIT_TEST(test_journal_reads_no_more_than_the_size_at_open),
      TF_UNIT_TEST(test_journal_one_run_at_a_time_and_the_holder_named),
      TF_UNIT_TEST(test_journal_stale_lock_of_a_killed_run_does_not_block),
      TF_UNIT_END,
  };
  return tf_unit_run("journal", tests);
}
