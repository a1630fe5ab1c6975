/* log.c - messages for a person: where they come from, and text from other
 * ranks or from apps made safe for a terminal. */
#include "log.h"

#include "check.h"

#include <mpi.h>
#include <stdlib.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Bytes of the UTF-8 sequence at p (n left): 1-4, or 0 when it is not
 * well formed or is a C1 control character (U+0080..U+009F). */
static size_t utf8_len(const unsigned char *p, size_t n) {
  size_t len = p[0] >= 0xf0 && p[0] <= 0xf4 ? 4 : p[0] >= 0xe0 ? 3 : p[0] >= 0xc2 ? 2 : 0;
  if (!len || len > n) return 0;
  for (size_t i = 1; i < len; i++)
    if ((p[i] & 0xc0) != 0x80) return 0;
  if (len == 2 && p[0] == 0xc2 && p[1] < 0xa0) return 0;       /* C1 controls */
  if (len == 3 && p[0] == 0xe0 && p[1] < 0xa0) return 0;       /* overlong */
  if (len == 3 && p[0] == 0xed && p[1] >= 0xa0) return 0;      /* surrogates */
  if (len == 4 && ((p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] >= 0x90))) return 0;
  return len;
}

const char *tf__printable(const void *text, size_t n, char *out, size_t cap) {
  const unsigned char *p = text;
  size_t o = 0;
  if (!cap) return out;
  for (size_t i = 0; i < n;) {
    size_t len = p[i] >= 0x20 && p[i] < 0x7f ? 1 : p[i] >= 0x80 ? utf8_len(p + i, n - i) : 0;
    size_t need = len ? len : 4;
    if (o + need + 4 > cap) { /* room for "..." and the NUL */
      memcpy(out + o, "...", 3);
      o += 3;
      break;
    }
    if (len) {
      memcpy(out + o, p + i, len);
      o += len;
      i += len;
    } else {
      o += (size_t)snprintf(out + o, cap - o, "\\x%02x", p[i++]);
    }
  }
  out[o] = '\0';
  return out;
}

void tf__log(int rank, const char *fmt, ...) {
  char host[MPI_MAX_PROCESSOR_NAME] = "";
  int len = 0, init = 0;
  MPI_Initialized(&init);
  if (init) MPI_Get_processor_name(host, &len);
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (host[0])
    fprintf(stderr, "taskfarm: rank %d on %s: %s\n", rank, host, msg);
  else
    fprintf(stderr, "taskfarm: rank %d: %s\n", rank, msg);
}

void tf__assert_failed(const char *what, const char *file, int line) {
  fprintf(stderr, "taskfarm: internal error: %s does not hold (%s:%d); this is a bug in taskfarm\n",
          what, file, line);
  abort();
}
