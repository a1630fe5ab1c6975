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

/* The common options, in the order --help lists them: their rows in the table. */
enum {
  OPT_HELP,
  OPT_VERSION,
  OPT_SCHEDULE,
  OPT_CHUNK,
  OPT_PREFETCH,
  OPT_IDLE,
  OPT_RETRIES,
  OPT_KEEP_GOING,
  OPT_FAIL_FAST,
  OPT_MAX_PAYLOAD,
  OPT_MAX_IN_FLIGHT,
  OPT_QUIET,
  OPT_VERBOSE,
  OPT_INFO,
  OPT_RELAYS,
  OPT_ACCEPT_WORKERS,
  OPT_SERVICE,
  OPT_JOIN,
  OPT_LEAVE_AFTER,
  OPT_JOURNAL,
  OPT_RESUME,
  OPT_JOURNAL_SYNC,
  OPT_TASK_TIMEOUT,
  OPT_WORKER_TIMEOUT,
  OPT_DRAIN,
  OPT_STATUS_FILE,
  OPT_PROGRESS,
  OPT_PROGRESS_EVERY,
  OPT_STATS,
  OPT_TRACE,
  OPT_TIMELINE,
  OPT_TRACE_EVENTS,
  OPT_NCOMMON
};

/* Values parsed into temporaries, checked and copied into the config last. */
typedef struct common_vals {
  int help, version, keep_going, fail_fast;
  long long prefetch, chunk, retries;
  const char *schedule, *idle, *progress, *relays;
} common_vals;

/* The common options' table into t (OPT_NCOMMON rows and the end), their
 * values bound to cfg and v (options_table.c). */
void tf__options_common_table(tf_option t[OPT_NCOMMON + 1], tf_config *cfg, common_vals *v);

#endif
