/* fuzz_journal.c - a libFuzzer target for the journal reader (src/journal_read.c): any input is
 * either refused with a reason or read as a header, whole records and a torn tail that add up
 * to the input, with every record and child inside it. Every byte handed out is read, so that
 * AddressSanitizer sees any overrun; a broken invariant traps.
 *
 * tests/integration/fuzz.sh builds it with -fsanitize=fuzzer. Built with -DTF_FUZZ_WRITE_SEEDS
 * instead, it is a program that writes journals with the real writer into the directory named
 * by its argument: the seed corpus. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "journal.h"
#include "taskfarm.h"

#define MAX_RECORD (1u << 20)

static volatile unsigned sink;

#define CHECK(cond)                                                                                \
  do {                                                                                             \
    if (!(cond)) __builtin_trap();                                                                 \
  } while (0)

typedef struct walk {
  const unsigned char *buf;
  size_t size;
  const tf_jscan *scan; /* filled in before the first record is visited */
  size_t next;          /* where the next record must start */
  uint64_t records;     /* records visited */
  unsigned sum;
} walk;

/* 1 when [p, p + n) lies inside the input. */
static int inside(const walk *w, const void *p, size_t n) {
  const unsigned char *c = p;
  return c >= w->buf && c <= w->buf + w->size && n <= (size_t)(w->buf + w->size - c);
}

static int visit(void *arg, const tf_jrecord *r) {
  walk *w = arg;
  CHECK(r->offset == (w->records ? w->next : w->scan->header_len));
  CHECK(inside(w, w->buf + r->offset, TF_JOURNAL_RECORD_HEADER + TF_JOURNAL_BODY_MIN));
  CHECK(inside(w, r->result, r->result_size));
  CHECK(inside(w, r->children, r->children_len));
  CHECK((const unsigned char *)r->result + r->result_size == r->children);
  const unsigned char *res = r->result;
  for (uint32_t i = 0; i < r->result_size; i++)
    w->sum += res[i];
  size_t pos = 0;
  uint32_t n = 0;
  tf_jchild c;
  while (tf__journal_next_child(r, &pos, &c)) {
    CHECK(inside(w, c.data, c.size));
    const unsigned char *d = c.data;
    for (uint32_t i = 0; i < c.size; i++)
      w->sum += d[i];
    w->sum += (unsigned)c.prio + (unsigned)c.id;
    n++;
  }
  CHECK(n == r->nchildren && pos == r->children_len);
  w->next = (size_t)(r->children + r->children_len - w->buf);
  w->records++;
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  /* A block of exactly size bytes: libFuzzer's own buffer may have room after the input. */
  unsigned char *buf = malloc(size ? size : 1);
  if (!buf) return 0;
  if (size) memcpy(buf, data, size);
  tf_jscan s;
  walk w = {buf, size, &s, 0, 0, 0};
  int rc = tf__journal_parse(buf, size, MAX_RECORD, visit, &w, &s);
  CHECK(rc == 0 || rc == TF_EPROTO);
  CHECK(s.valid_len <= size && s.torn <= size - s.valid_len);
  CHECK(w.records == s.records);
  if (s.has_header) CHECK(s.valid_len == (s.records ? w.next : s.header_len));
  if (rc == TF_EPROTO) {
    CHECK(s.error[0] != '\0');
  } else if (!s.has_header) {
    CHECK(s.valid_len == 0 && s.torn == size && s.records == 0);
  } else {
    CHECK(s.valid_len + s.torn == size);
    CHECK(s.header_len == TF_JOURNAL_HEADER_SIZE + s.args_len);
    CHECK(s.args_len <= TF_JOURNAL_MAX_ARGS && inside(&w, s.args, s.args_len));
    for (uint32_t i = 0; i < s.args_len; i++)
      w.sum += (unsigned char)s.args[i];
    /* Cutting the torn tail off, as tf__journal_reopen does, leaves a clean journal with the
     * same records. */
    if (s.torn) {
      tf_jscan t;
      CHECK(tf__journal_parse(buf, s.valid_len, MAX_RECORD, NULL, NULL, &t) == 0);
      CHECK(t.has_header && t.torn == 0 && t.valid_len == s.valid_len && t.records == s.records &&
            t.fingerprint == s.fingerprint);
    }
  }
  sink = w.sum;
  free(buf);
  return 0;
}

#ifdef TF_FUZZ_WRITE_SEEDS
#include <unistd.h>

/* Feed the file at path to the target (a seed must pass it) and, when cut is not 0, also save
 * its first cut bytes as name.torn: a run killed mid-write. */
static int check(const char *path, size_t cut) {
  unsigned char *buf;
  size_t len;
  char err[512];
  if (tf__journal_read_file(path, &buf, &len, err, sizeof err) != 0) {
    fprintf(stderr, "%s\n", err);
    return 1;
  }
  LLVMFuzzerTestOneInput(buf, len);
  int bad = 0;
  if (cut && cut < len) {
    char torn[4200];
    snprintf(torn, sizeof torn, "%s.torn", path);
    FILE *f = fopen(torn, "wb");
    bad = !f || fwrite(buf, 1, cut, f) != cut || fclose(f) != 0;
    if (bad) perror(torn);
  }
  free(buf);
  return bad;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  static const char args[] = "taskfarm-pi --tasks 1000 --journal run.tfj";
  unsigned char res[64];
  for (size_t i = 0; i < sizeof res; i++)
    res[i] = (unsigned char)(i * 37 + 11);
  tf_jchild kids[3] = {{TF_ID_SPAWNED | 1, -3, 5, "child"},
                       {TF_ID_SPAWNED | 2, 0, 0, NULL},
                       {TF_ID_SPAWNED | 3, 7, 16, res}};
  char path[4096];
  int bad = 0;
  tf_journal j;

  /* A header alone, no arguments. */
  snprintf(path, sizeof path, "%s/header", argv[1]);
  unlink(path);
  if (tf__journal_create(&j, path, 0, 42, NULL, 0, 0, 0) || tf__journal_close(&j, 0)) goto fail;
  bad |= check(path, 20);

  /* Records of every shape, then the same journal torn inside its last record. */
  snprintf(path, sizeof path, "%s/records", argv[1]);
  unlink(path);
  if (tf__journal_create(&j, path, 0, 0xfeedface, args, sizeof args - 1, 0, 0)) goto fail;
  tf__journal_add(&j, 0, res, 8, NULL, 0, 0);
  tf__journal_add(&j, 1, NULL, 0, kids, 3, 0);
  tf__journal_add(&j, 2, res, sizeof res, kids + 1, 1, 0);
  tf__journal_add(&j, TF_ID_SPAWNED | 1, "r", 1, kids, 1, 0);
  if (tf__journal_close(&j, 0)) goto fail;
  bad |= check(path, (size_t)j.bytes_written - 9);
  return bad;

fail:
  fprintf(stderr, "%s\n", j.errmsg);
  tf__journal_close(&j, 0);
  return 1;
}
#endif
