/* log.h - messages for a person. */
#ifndef TF_LOG_H
#define TF_LOG_H

#include <stddef.h>

/* Text from another rank or an app (an error, a failed task's message) made
 * safe for a terminal: well-formed UTF-8 and printable characters are kept,
 * every other byte (escape sequences, control characters, a NUL) becomes
 * \xNN. Writes a NUL-terminated string of at most cap bytes into out (cut
 * short, with "...", when it does not fit) and returns out. */
const char *tf__printable(const void *text, size_t n, char *out, size_t cap);

/* A message for a person, prefixed "taskfarm: rank R: ". */
void tf__log(int rank, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
