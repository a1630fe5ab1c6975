/* options.h - the one command-line parser: the common options of every app
 * plus the app's own table, and the --help text listing both. */
#ifndef TF_OPTIONS_H
#define TF_OPTIONS_H

#include "taskfarm.h"

/* Parse a size with an optional K/M/G suffix (powers of 1024). Returns 0 or
 * TF_EINVAL. */
int tf__parse_size(const char *s, uint64_t *out);

/* Whether every file rank 0 writes at the end can be made (tf_output_check):
 * --stats, --trace, --timeline, --status-file and the app's options marked
 * TF_OPT_OUTPUT. Returns 0, or the first error with a message naming the
 * option and the file in err. */
int tf__check_outputs(const tf_app *app, const tf_config *cfg, char *err, size_t err_size);

#endif
