/* fuzz_wire.c - a libFuzzer target for the frame decoder (src/wire.c): any input is either
 * refused with a reason, or decodes to entries that lie wholly inside it and survive being
 * encoded again. Every data byte is read, so that AddressSanitizer sees any overrun.
 *
 * tests/integration/fuzz.sh builds it with -fsanitize=fuzzer. Built with -DTF_FUZZ_WRITE_SEEDS
 * instead, it is a program that writes valid frames of every kind into the directory named by
 * its argument: the seed corpus. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "taskfarm.h"
#include "wire.h"

#define MAX_PAYLOAD (1u << 20)

/* Stores to a volatile, so that the byte reads cannot be optimised away. */
static volatile unsigned sink;

#define CHECK(cond)                                                                                \
  do {                                                                                             \
    if (!(cond)) __builtin_trap();                                                                 \
  } while (0)

/* Every entry of f encoded again: the decoder must accept the result and read back the same
 * fields (only padding and the spare bytes of non-task entries may differ). */
static void reencode(const tf_frame *f) {
  tf_wbuf w = {0};
  CHECK(tf__wire_begin(&w, f->kind, f->aux) == 0);
  size_t pos = 0;
  tf_entry e;
  while (tf__wire_next(f, &pos, &e)) {
    int rc = e.type == TF_ENT_TASK ? tf__wire_add_task(&w, e.id, e.prio, e.attempt, e.data, e.size)
                                   : tf__wire_add(&w, e.type, e.id, e.prio, e.data, e.size);
    CHECK(rc == 0);
  }
  tf__wire_finish(&w);
  tf_frame g;
  char why[256];
  CHECK(tf__wire_decode(w.buf, w.len, MAX_PAYLOAD, &g, why, sizeof why) == 0);
  CHECK(g.kind == f->kind && g.aux == f->aux && g.count == f->count);
  size_t pf = 0, pg = 0;
  tf_entry a, b;
  while (tf__wire_next(f, &pf, &a)) {
    CHECK(tf__wire_next(&g, &pg, &b));
    CHECK(a.type == b.type && a.id == b.id && a.prio == b.prio && a.size == b.size);
    CHECK(a.type != TF_ENT_TASK || a.attempt == b.attempt);
    CHECK(memcmp(a.data, b.data, a.size) == 0);
  }
  CHECK(!tf__wire_next(&g, &pg, &b));
  tf__wbuf_free(&w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  /* A block of exactly size bytes: libFuzzer's own buffer may have room after the input. */
  unsigned char *buf = malloc(size ? size : 1);
  if (!buf) return 0;
  if (size) memcpy(buf, data, size);
  tf_frame f;
  char why[256] = "";
  int rc = tf__wire_decode(buf, size, MAX_PAYLOAD, &f, why, sizeof why);
  if (rc != 0) {
    CHECK(rc == TF_EPROTO && why[0] != '\0');
  } else {
    CHECK(f.body == buf + TF_WIRE_HEADER_SIZE && f.body_len == size - TF_WIRE_HEADER_SIZE);
    const unsigned char *end = buf + size;
    size_t pos = 0;
    uint32_t n = 0;
    unsigned sum = 0;
    tf_entry e;
    while (tf__wire_next(&f, &pos, &e)) {
      const unsigned char *d = e.data;
      CHECK(d >= f.body && d <= end && e.size <= (size_t)(end - d));
      for (uint32_t i = 0; i < e.size; i++)
        sum += d[i];
      if (e.type == TF_ENT_STATS) {
        uint64_t v[TF_WIRE_STATS_N];
        tf__wire_stats(&e, v);
        sum += (unsigned)v[TF_WIRE_STATS_N - 1];
      }
      n++;
    }
    CHECK(n == f.count && pos == f.body_len);
    sum += (unsigned)tf__wire_kind_name(f.kind)[0];
    sink = sum;
    reencode(&f);
  }
  free(buf);
  return 0;
}

#ifdef TF_FUZZ_WRITE_SEEDS
static int save(const char *dir, const char *name, const tf_wbuf *w) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "wb");
  if (!f || fwrite(w->buf, 1, w->len, f) != w->len || fclose(f) != 0) {
    perror(path);
    return 1;
  }
  /* A seed must pass the target itself, or the corpus starts from nothing valid. */
  LLVMFuzzerTestOneInput(w->buf, w->len);
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  const char *dir = argv[1];
  const char msg[] = "task 3 failed: exit status 1";
  uint64_t stats[TF_WIRE_STATS_N] = {5, 123456, 789, 2};
  tf_wbuf w = {0};
  int bad = 0;

  tf__wire_begin(&w, TF_MSG_TASKS, TF_WIRE_PLAN(2, 16));
  tf__wire_add_task(&w, 0, 0, 0, "abcdefgh", 8);
  tf__wire_add_task(&w, 1, -5, 2, "xyz", 3);
  tf__wire_add_task(&w, TF_ID_SPAWNED | 7, 9, 0, NULL, 0);
  tf__wire_finish(&w);
  bad |= save(dir, "tasks", &w);

  tf__wire_begin(&w, TF_MSG_RESULTS, 3);
  tf__wire_add(&w, TF_ENT_RESULT, 0, 0, "result!", 7);
  tf__wire_add(&w, TF_ENT_FAIL, 1, 1, msg, sizeof msg - 1);
  tf__wire_add(&w, TF_ENT_SPAWN, TF_ID_SPAWNED | 1, -1, "child", 5);
  tf__wire_add_stats(&w, stats);
  tf__wire_finish(&w);
  bad |= save(dir, "results", &w);

  tf__wire_begin(&w, TF_MSG_STOP, (uint32_t)TF_EAPP);
  tf__wire_finish(&w);
  bad |= save(dir, "stop", &w);

  tf__wire_begin(&w, TF_MSG_BYE, 0);
  tf__wire_add_stats(&w, stats);
  tf__wire_finish(&w);
  bad |= save(dir, "bye", &w);

  tf__wire_begin(&w, TF_MSG_ERROR, 0);
  tf__wire_add(&w, TF_ENT_TEXT, 0, 0, msg, sizeof msg - 1);
  tf__wire_finish(&w);
  bad |= save(dir, "error", &w);

  tf__wbuf_free(&w);
  return bad;
}
#endif
