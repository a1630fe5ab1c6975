/* options.h - the one command-line parser: the common options of every app
 * plus the app's own table, and the --help text listing both. */
#ifndef TF_OPTIONS_H
#define TF_OPTIONS_H

#include "taskfarm.h"

/* Parse a size with an optional K/M/G suffix (powers of 1024). Returns 0 or
 * TF_EINVAL. */
int tf_parse_size(const char *s, uint64_t *out);

#endif
