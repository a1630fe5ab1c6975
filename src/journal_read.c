/* journal_read.c - the journal reader (layout in journal.h): it trusts nothing in the buffer it
 * is given, checks the structure before the CRC so that garbage lengths cost nothing, and tells a
 * torn tail (cut off and resumed) from damage followed by a whole record (refused). Pure: no
 * file, no MPI, fuzzed alone (tests/fuzz/fuzz_journal.c). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "crc32c.h"
#include "journal.h"
#include "journal_layout.h"
#include "le.h"
#include "taskfarm.h"

/* The length of the valid record that starts at p (avail bytes there), filling r; or 0 when no
 * valid record starts there. The structure is checked before the CRC, so that garbage lengths
 * cost nothing. */
static size_t record_at(const unsigned char *p, size_t avail, uint64_t max_record, tf_jrecord *r) {
  if (avail < TF_JOURNAL_RECORD_HEADER) return 0;
  if (memcmp(p + R_MAGIC, TF_JOURNAL_RECORD_MAGIC, 4) != 0) return 0;
  uint32_t len = get32(p + R_LEN);
  if (len < TF_JOURNAL_BODY_MIN || len > max_record || len > avail - TF_JOURNAL_RECORD_HEADER)
    return 0;
  const unsigned char *b = p + TF_JOURNAL_RECORD_HEADER;
  uint32_t result_size = get32(b + B_RESULT_SIZE);
  uint32_t nchildren = get32(b + B_NCHILDREN);
  size_t pos = TF_JOURNAL_BODY_MIN;
  if (result_size > len - pos) return 0;
  pos += result_size;
  size_t children_at = pos;
  /* Each child takes a header at least, which bounds the loop below by the body length. */
  if (nchildren > (len - pos) / TF_JOURNAL_CHILD_HEADER) return 0;
  for (uint32_t i = 0; i < nchildren; i++) {
    if (len - pos < TF_JOURNAL_CHILD_HEADER) return 0;
    uint32_t size = get32(b + pos + C_SIZE);
    pos += TF_JOURNAL_CHILD_HEADER;
    if (size > len - pos) return 0;
    pos += size;
  }
  if (pos != len) return 0;
  uint32_t crc = tf__crc32c(tf__crc32c(0, p + R_LEN, 4), b, len);
  if (crc != get32(p + R_CRC)) return 0;
  r->id = get64(b + B_ID);
  r->result = b + TF_JOURNAL_BODY_MIN;
  r->result_size = result_size;
  r->nchildren = nchildren;
  r->children = b + children_at;
  r->children_len = len - children_at;
  r->offset = 0;
  return TF_JOURNAL_RECORD_HEADER + (size_t)len;
}

int tf__journal_next_child(const tf_jrecord *r, size_t *pos, tf_jchild *out) {
  /* The record was validated whole, but a reader must never step out of it even so. */
  if (*pos >= r->children_len || r->children_len - *pos < TF_JOURNAL_CHILD_HEADER) return 0;
  const unsigned char *c = r->children + *pos;
  uint32_t size = get32(c + C_SIZE);
  if (size > r->children_len - *pos - TF_JOURNAL_CHILD_HEADER) return 0;
  out->id = get64(c + C_ID);
  out->prio = (int32_t)get32(c + C_PRIO);
  out->size = size;
  out->data = c + TF_JOURNAL_CHILD_HEADER;
  *pos += TF_JOURNAL_CHILD_HEADER + (size_t)size;
  return 1;
}

#define FAIL(...)                                                                                  \
  do {                                                                                             \
    snprintf(out->error, sizeof out->error, __VA_ARGS__);                                          \
    return TF_EPROTO;                                                                              \
  } while (0)

int tf__journal_parse(const void *buf, size_t len, uint64_t max_record, tf_journal_visit fn,
                      void *arg, tf_jscan *out) {
  if (!out) return TF_EINVAL;
  memset(out, 0, sizeof *out);
  if (!buf && len) {
    snprintf(out->error, sizeof out->error, "no buffer to parse");
    return TF_EINVAL;
  }
  if (len == 0) return 0;
  const unsigned char *p = buf;

  /* A header is written with one write(), so a run killed while creating the journal can
   * leave a prefix of one. Check each field that is there; if all agree, it is such a prefix. */
  if (memcmp(p + H_MAGIC, TF_JOURNAL_MAGIC, len < 8 ? len : 8) != 0)
    FAIL("not a taskfarm journal (bad magic)");
  if (len >= H_VERSION + 4 && get32(p + H_VERSION) < TF_JOURNAL_VERSION)
    FAIL("journal version %u, written by an older taskfarm (this one reads version %u, whose "
         "fingerprint covers the options' values, not how they were written): finish that run "
         "with the taskfarm that wrote it, or start again with another --journal",
         get32(p + H_VERSION), TF_JOURNAL_VERSION);
  if (len >= H_VERSION + 4 && get32(p + H_VERSION) != TF_JOURNAL_VERSION)
    FAIL("journal version %u, written by a newer taskfarm (this one reads version %u)",
         get32(p + H_VERSION), TF_JOURNAL_VERSION);
  uint32_t args_len = len >= H_ARGS_LEN + 4 ? get32(p + H_ARGS_LEN) : 0;
  if (args_len > TF_JOURNAL_MAX_ARGS)
    FAIL("journal header damaged (%u bytes of arguments, at most %u)", args_len,
         TF_JOURNAL_MAX_ARGS);
  if (len >= TF_JOURNAL_HEADER_SIZE && get32(p + H_LEN) != TF_JOURNAL_HEADER_SIZE + args_len)
    FAIL("journal header damaged (header length %u, arguments %u bytes)", get32(p + H_LEN),
         args_len);
  size_t header_len = TF_JOURNAL_HEADER_SIZE + (size_t)args_len;
  if (len < header_len) {
    out->torn = len;
    return 0;
  }
  const unsigned char *args = p + TF_JOURNAL_HEADER_SIZE;
  if (tf__crc32c(tf__crc32c(0, p, H_CRC), args, args_len) != get32(p + H_CRC))
    FAIL("journal header damaged (checksum mismatch)");
  out->has_header = 1;
  out->fingerprint = get64(p + H_FINGERPRINT);
  out->args = (const char *)args;
  out->args_len = args_len;
  out->header_len = header_len;
  out->valid_len = header_len;

  size_t at = header_len;
  while (at < len) {
    tf_jrecord r;
    size_t n = record_at(p + at, len - at, max_record, &r);
    if (!n) break;
    r.offset = at;
    at += n;
    out->valid_len = at;
    out->records++;
    if (fn) {
      int rc = fn(arg, &r);
      if (rc) return rc;
    }
  }
  if (at == len) return 0;

  /* No valid record at `at`. Killed mid-write, the writer leaves only a torn tail; a whole
   * record after the bad bytes means the file was damaged, and dropping the records from there
   * on would lose finished work without a word. */
  for (const unsigned char *q = p + at + 1;
       (q = memmem(q, len - (size_t)(q - p), TF_JOURNAL_RECORD_MAGIC, 4)) != NULL; q++) {
    tf_jrecord r;
    if (record_at(q, len - (size_t)(q - p), max_record, &r))
      FAIL("journal damaged at byte %zu (a whole record follows at byte %zu)", at, (size_t)(q - p));
  }
  out->torn = len - at;
  return 0;
}
