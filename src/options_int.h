/* options_int.h - what options.c (the table, the parser, --help) and
 * options_check.c (the checks across options, the fingerprint) share;
 * nothing else includes it. */
#ifndef TF_OPTIONS_INT_H
#define TF_OPTIONS_INT_H

#include "options.h"

/* A bad command line: the message from fmt into err (when err_size > 0).
 * Returns TF_EUSAGE. */
int tf__options_usage(char *err, size_t err_size, const char *fmt, ...);

/* The checks of the parsed config c as a whole, in this order: the elastic
 * options (--accept-workers, --service, --join, --leave-after), --resume and
 * --journal, --chunk against --prefetch, then the app's check_options. Then
 * c's fingerprint and args text for the journal. Returns 0, or TF_EUSAGE with
 * the message in err (c's fingerprint then unset). */
int tf__options_check(tf_config *c, const tf_app *app, char *err, size_t err_size);

#endif
