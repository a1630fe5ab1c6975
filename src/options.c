/* options.c - command-line parsing for tf_main and tf_parse_args. Common
 * options and app options share one table format (tf_option), one parser and
 * one --help; each value is checked here, the options together in
 * options_check.c. Nothing here prints except tf_print_help. */
#include "options_int.h"

#include "trace.h"
#include "vec.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --relays MODE into *out: 0, or TF_EINVAL. */
static int parse_relays(const char *s, int *out) {
  static const char *const names[] = {"off", "node", "auto"};
  static const int modes[] = {TF_RELAYS_OFF, TF_RELAYS_NODE, TF_RELAYS_AUTO};
  for (int i = 0; i < 3; i++)
    if (!strcmp(s, names[i])) {
      *out = modes[i];
      return 0;
    }
  char *end;
  errno = 0;
  long k = isdigit((unsigned char)*s) ? strtol(s, &end, 10) : 0;
  if (errno || k < 2 || k > TF_RELAYS_MAX || *end) return TF_EINVAL;
  *out = (int)k;
  return 0;
}

void tf_config_defaults(tf_config *cfg) {
  memset(cfg, 0, sizeof *cfg);
  cfg->prefetch = TF_DEFAULT_PREFETCH;
  cfg->schedule = TF_SCHEDULE_ADAPTIVE;
  cfg->chunk = 1;
  cfg->idle = TF_IDLE_BACKOFF;
  cfg->max_payload = TF_DEFAULT_MAX_PAYLOAD;
  cfg->max_in_flight = TF_DEFAULT_MAX_IN_FLIGHT;
  cfg->journal_sync = 1.0;
  cfg->drain = 20.0;
  cfg->progress = TF_PROGRESS_AUTO;
  cfg->trace_events = TF_DEFAULT_TRACE_EVENTS;
  cfg->relays = TF_RELAYS_AUTO;
  const char *env = getenv("TASKFARM_RELAYS"); /* an invalid one: tf_parse_args says so */
  if (env && parse_relays(env, &cfg->relays)) cfg->relays = TF_RELAYS_AUTO;
}

static const char *const schedule_names[] = {"static", "dynamic", "guided", "adaptive"};
static const char *const idle_names[] = {"backoff", "spin", "sleep"};
static const char *const progress_names[] = {"auto", "bar", "line", "none"};

static int lookup(const char *const *names, int n, const char *s) {
  for (int i = 0; i < n; i++)
    if (!strcmp(names[i], s)) return i;
  return -1;
}

int tf__parse_size(const char *s, uint64_t *out) {
  if (!s || !isdigit((unsigned char)*s)) return TF_EINVAL; /* no sign, no blanks */
  errno = 0;
  char *end;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || end == s) return TF_EINVAL;
  unsigned shift = 0;
  if (*end && *end != 'B' && *end != 'b') {
    switch (*end) {
    case 'k':
    case 'K': shift = 10; break;
    case 'm':
    case 'M': shift = 20; break;
    case 'g':
    case 'G': shift = 30; break;
    default: return TF_EINVAL;
    }
    end++;
    if (*end == 'i') end++; /* "Ki", "MiB" */
  }
  if (*end == 'B' || *end == 'b') end++; /* "12B", "4KB", "3MiB" */
  if (*end) return TF_EINVAL;
  if (shift && v > (ULLONG_MAX >> shift)) return TF_EINVAL;
  *out = (uint64_t)v << shift;
  return 0;
}

int tf__options_usage(char *err, size_t n, const char *fmt, ...) {
  if (err && n) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, n, fmt, ap);
    va_end(ap);
  }
  return TF_EUSAGE;
}

static int in_range(const tf_option *o, double v) {
  return (o->min == 0 && o->max == 0) || (v >= o->min && v <= o->max);
}

static int set_value(const tf_option *o, const char *val, char *err, size_t n) {
  switch (o->type & TF_OPT_TYPE_MASK) {
  case TF_OPT_INT: {
    errno = 0;
    char *end;
    long long v = strtoll(val, &end, 10);
    int digits =
        isdigit((unsigned char)val[0]) || (val[0] == '-' && isdigit((unsigned char)val[1]));
    if (!errno && digits && (*end == 'e' || *end == 'E' || *end == '.')) {
      /* 1e9, 2.5e6: a whole number written the short way */
      char *dend;
      double d = strtod(val, &dend);
      if (!*dend && isfinite(d) && d == floor(d) && fabs(d) < 9.2e18) {
        v = (long long)d;
        end = dend;
      }
    }
    if (errno || !digits || *end)
      return tf__options_usage(err, n, "--%s: '%s' is not an integer", o->name, val);
    if (!in_range(o, (double)v))
      return tf__options_usage(err, n, "--%s: %lld is out of range [%.0f, %.0f]", o->name, v,
                               o->min, o->max);
    *(long long *)o->dest = v;
    return 0;
  }
  case TF_OPT_SIZE: {
    uint64_t v;
    if (tf__parse_size(val, &v))
      return tf__options_usage(
          err, n, "--%s: '%s' is not a size (a number with an optional K, M or G)", o->name, val);
    if (!in_range(o, (double)v))
      return tf__options_usage(err, n, "--%s: %s is out of range [%.0f, %.0f]", o->name, val,
                               o->min, o->max);
    *(uint64_t *)o->dest = v;
    return 0;
  }
  case TF_OPT_DOUBLE: {
    errno = 0;
    char *end;
    double v = strtod(val, &end);
    if (errno || end == val || *end || !isfinite(v) || isspace((unsigned char)val[0]))
      return tf__options_usage(err, n, "--%s: '%s' is not a number", o->name, val);
    if (!in_range(o, v))
      return tf__options_usage(err, n, "--%s: %g is out of range [%g, %g]", o->name, v, o->min,
                               o->max);
    *(double *)o->dest = v;
    return 0;
  }
  case TF_OPT_STRING: *(const char **)o->dest = val; return 0;
  default: return tf__options_usage(err, n, "--%s: option of unknown type", o->name);
  }
}

/* The value arrays of repeatable options: the library's, kept for the program's life. */
static const char ***repeat_arrays;
static size_t nrepeat_arrays, cap_repeat_arrays;

/* Append val to the repeatable option o; its first value on this command line (first) replaces
 * the defaults. room: how many values it can have at most (the arguments). */
static int add_value(const tf_option *o, const char *val, int first, int room, char *err,
                     size_t n) {
  if ((o->type & TF_OPT_TYPE_MASK) != TF_OPT_STRING)
    return tf__options_usage(err, n, "--%s: TF_OPT_REPEAT needs TF_OPT_STRING", o->name);
  tf_strings *d = o->dest;
  if (first) {
    if (tf__vec_reserve(&repeat_arrays, &cap_repeat_arrays, nrepeat_arrays + 1,
                        sizeof *repeat_arrays, 8))
      return TF_ENOMEM;
    const char **v = malloc((size_t)room * sizeof *v);
    if (!v) return TF_ENOMEM;
    repeat_arrays[nrepeat_arrays++] = v;
    d->values = v;
    d->count = 0;
  }
  ((const char **)d->values)[d->count++] = val;
  return 0;
}

static const tf_option *find(const tf_option *t, const char *name, size_t len) {
  for (; t && t->name; t++)
    if (strlen(t->name) == len && !strncmp(t->name, name, len)) return t;
  return NULL;
}

/* The app option whose short name is c (TF_OPT_SHORT), or NULL. */
static const tf_option *find_short(const tf_option *t, int c) {
  for (; t && t->name; t++)
    if (TF_OPT_SHORT_OF(t->type) == c) return t;
  return NULL;
}

/* Option o, written shown ("--name" or "-n") at argv[*i], eq its "=VALUE" or NULL: set, with its
 * value from eq or from the next argument (which then goes to order too). seen: which of the
 * app's options (apps) a repeatable one's values came from on this command line already. */
static int take_value(const tf_option *o, const char *shown, const char *eq, int argc, char **argv,
                      int *i, char **order, int *nopts, const tf_option *apps, char *seen,
                      char *err, size_t n) {
  if ((o->type & TF_OPT_TYPE_MASK) == TF_OPT_FLAG) {
    if (eq) return tf__options_usage(err, n, "%s takes no value", shown);
    *(int *)o->dest = 1;
    return 0;
  }
  const char *val = eq ? eq + 1 : NULL;
  if (!val) {
    if (*i + 1 >= argc)
      return tf__options_usage(err, n, "%s needs a value (%s)", shown,
                               o->argname ? o->argname : "VALUE");
    order[(*nopts)++] = argv[++*i];
    val = argv[*i];
  }
  if (!(o->type & TF_OPT_REPEAT)) return set_value(o, val, err, n);
  int k = (int)(o - apps); /* only app options repeat */
  int rc = add_value(o, val, !seen[k], argc, err, n);
  seen[k] = 1;
  return rc;
}

/* Argument a is an operand (after "--", or after the first operand under
 * TF_OPERANDS_END_OPTIONS, when dashes): refused when the app takes none, or when it looks like
 * an option, a dash and more ("-x" that no app option has as its short name). */
static int operand(const tf_app *app, const char *a, int dashes, char *err, size_t err_size) {
  if (!app->operands)
    return tf__options_usage(err, err_size,
                             "unexpected argument '%s' (options start with --; see --help)", a);
  if (!dashes && a[0] == '-' && a[1])
    return tf__options_usage(
        err, err_size,
        "unknown option '%s' (options start with --; an operand that starts with - goes "
        "after --)",
        a);
  return 0;
}

/* The n operands ops: as many as the app takes? */
static int count_operands(const tf_app *app, char **ops, int n, char *err, size_t err_size) {
  const char *what = app->operands ? app->operands : "";
  const char *name = app->name ? app->name : "app";
  if (n < app->min_operands)
    return tf__options_usage(err, err_size,
                             "%s operand%s missing: %d given, at least %d needed (usage: %s "
                             "[OPTIONS] %s)",
                             what, app->min_operands - n == 1 ? "" : "s", n, app->min_operands,
                             name, what);
  if (app->max_operands != TF_OPERANDS_ANY && n > app->max_operands)
    return tf__options_usage(err, err_size,
                             "too many operands: %d given, at most %d (usage: %s [OPTIONS] "
                             "%s); '%s' is one too many",
                             n, app->max_operands, name, what, ops[app->max_operands]);
  return 0;
}

/* The common options' values into c, then the checks across options and the fingerprint
 * (tf__options_check). */
static int finish_config(tf_config *cp, const common_vals *vp, const tf_app *app, char *err,
                         size_t err_size) {
  tf_config c = *cp;
  common_vals v = *vp;
  c.prefetch = (int)v.prefetch;
  c.chunk = (int)v.chunk;
  c.retries = (int)v.retries;
  if (v.keep_going && v.fail_fast)
    return tf__options_usage(err, err_size, "--keep-going and --fail-fast contradict each other");
  if (v.keep_going) c.fail_fast = 0;
  if (v.fail_fast) c.fail_fast = 1;
  if ((c.schedule = lookup(schedule_names, 4, v.schedule)) < 0)
    return tf__options_usage(err, err_size,
                             "--schedule: '%s' is not one of static, dynamic, guided, adaptive",
                             v.schedule);
  if ((c.idle = lookup(idle_names, 3, v.idle)) < 0)
    return tf__options_usage(err, err_size, "--idle: '%s' is not one of backoff, spin, sleep",
                             v.idle);
  if ((c.progress = lookup(progress_names, 4, v.progress)) < 0)
    return tf__options_usage(err, err_size, "--progress: '%s' is not one of auto, bar, line, none",
                             v.progress);
  const char *files[4] = {c.stats_file, c.trace_file, c.timeline_file, c.status_file};
  static const char *const fopts[4] = {"--stats", "--trace", "--timeline", "--status-file"};
  for (int i = 0; i < 4; i++)
    if (files[i] && !files[i][0])
      return tf__options_usage(err, err_size, "%s: empty file name", fopts[i]);
  const char *env = getenv("TASKFARM_RELAYS");
  if (v.relays ? parse_relays(v.relays, &c.relays) : env && parse_relays(env, &c.relays))
    return tf__options_usage(err, err_size,
                             "%s: '%s' is not off, node, auto or a number of ranks from 2 to %d",
                             v.relays ? "--relays" : "TASKFARM_RELAYS (the default --relays)",
                             v.relays ? v.relays : env, TF_RELAYS_MAX);
  int rc = tf__options_check(&c, app, err, err_size);
  if (rc) return rc;
  *cp = c;
  return 0;
}

/* Which of the app's options apps were given on this command line already, a byte each: a
 * repeatable one's first value drops its defaults. NULL when out of memory. */
static char *new_seen(const tf_option *apps) {
  size_t napp = 0;
  while (apps && apps[napp].name)
    napp++;
  return calloc(napp + 1, 1);
}

/* Turn the n pointers at a round. */
static void reverse(char **a, int n) {
  for (int i = 0; i < n / 2; i++) {
    char *t = a[i];
    a[i] = a[n - 1 - i];
    a[n - 1 - i] = t;
  }
}

/* A command line as it is read. order: argv[1..] as it will be, options (with their values)
 * from the front, then "--" if given, then the operands, stored from the back and turned round
 * at the end (ops). */
typedef struct arg_scan {
  int argc;
  char **argv;
  const tf_app *app;
  const tf_option *common;
  char **order;
  char *seen;      /* which app options were given already (new_seen) */
  int nopts, nops; /* the options and values at the front of order, the operands at its back */
  int dashes;      /* where "--" is in argv, or 0 */
  int ended;       /* an operand ended the options (TF_OPERANDS_END_OPTIONS) */
  char **ops;      /* the operands in order, once the scan is over */
} arg_scan;

/* argv[*i], an operand. plain: it comes where only operands do. */
static int scan_operand(arg_scan *sc, int i, int plain, char *err, size_t err_size) {
  int rc = operand(sc->app, sc->argv[i], plain, err, err_size);
  sc->order[sc->argc - 1 - ++sc->nops] = sc->argv[i]; /* from the back, turned round later */
  sc->ended = (sc->app->operand_flags & TF_OPERANDS_END_OPTIONS) != 0; /* the rest are operands */
  return rc;
}

/* "--name" or "--name=VALUE" at argv[*i]: an app option, else a common one. */
static int scan_long(arg_scan *sc, int *i, char *err, size_t err_size) {
  sc->order[sc->nopts++] = sc->argv[*i];
  const char *name = sc->argv[*i] + 2;
  const char *eq = strchr(name, '=');
  size_t len = eq ? (size_t)(eq - name) : strlen(name);
  const tf_option *o = find(sc->app->options, name, len);
  if (!o) o = find(sc->common, name, len);
  if (!o)
    return tf__options_usage(err, err_size, "unknown option '--%.*s' (see --help)", (int)len, name);
  char shown[80];
  snprintf(shown, sizeof shown, "--%s", o->name);
  return take_value(o, shown, eq, sc->argc, sc->argv, i, sc->order, &sc->nopts, sc->app->options,
                    sc->seen, err, err_size);
}

/* argv[*i]: a short option (-k, or -a VALUE), "--", a long option or an operand; *i moves
 * past the value an option takes from the next argument. */
static int scan_arg(arg_scan *sc, int *i, char *err, size_t err_size) {
  const char *a = sc->argv[*i];
  int plain = sc->dashes || sc->ended;
  const tf_option *o = NULL;
  if (!plain && a[0] == '-' && a[1] && a[1] != '-' && !a[2]) o = find_short(sc->app->options, a[1]);
  if (!o && (plain || strncmp(a, "--", 2) != 0)) return scan_operand(sc, *i, plain, err, err_size);
  if (o) { /* -k, or -a VALUE */
    sc->order[sc->nopts++] = sc->argv[*i];
    return take_value(o, a, NULL, sc->argc, sc->argv, i, sc->order, &sc->nopts, sc->app->options,
                      sc->seen, err, err_size);
  }
  if (a[2] == '\0') {
    sc->dashes = *i;
    return 0;
  }
  return scan_long(sc, i, err, err_size);
}

/* Every argument, into sc: the options set, the operands and "--" in their places in
 * sc->order, the operands in order at sc->ops. Stops at the first error. */
static int scan_args(arg_scan *sc, char *err, size_t err_size) {
  int argc = sc->argc;
  sc->order = argc > 1 ? malloc((size_t)argc * sizeof *sc->order) : NULL;
  sc->seen = new_seen(sc->app->options);
  if ((argc > 1 && !sc->order) || !sc->seen) {
    free(sc->order), free(sc->seen);
    sc->order = NULL;
    return TF_ENOMEM;
  }
  int rc = 0;
  for (int i = 1; i < argc && !rc; i++)
    rc = scan_arg(sc, &i, err, err_size);
  free(sc->seen);
  sc->ops = sc->order ? sc->order + argc - 1 - sc->nops : NULL;
  reverse(sc->ops, sc->nops);
  if (sc->dashes) sc->order[sc->nopts] = sc->argv[sc->dashes];
  return rc;
}

int tf_parse_args(int argc, char **argv, const tf_app *app, tf_config *cfg, char *err,
                  size_t err_size) {
  if (!app || !cfg) return TF_EINVAL;
  if (err && err_size) err[0] = '\0';
  tf_config c = *cfg; /* a rejected command line leaves *cfg as it was */
  common_vals v = {.prefetch = c.prefetch,
                   .chunk = c.chunk,
                   .retries = c.retries,
                   .schedule = schedule_names[c.schedule],
                   .idle = idle_names[c.idle],
                   .progress = progress_names[c.progress]};
  tf_option common[OPT_NCOMMON + 1];
  tf__options_common_table(common, &c, &v);
  arg_scan sc = {.argc = argc, .argv = argv, .app = app, .common = common};
  int rc = scan_args(&sc, err, err_size);
  if (!rc && !v.help && !v.version) rc = count_operands(app, sc.ops, sc.nops, err, err_size);
  if (!rc && (v.help || v.version)) {
    if (err && err_size) snprintf(err, err_size, "%s", v.help ? "help" : "version");
    rc = TF_EHELP;
  } else if (!rc) {
    c.noperands = sc.nops;
    c.operands = sc.ops;
    rc = finish_config(&c, &v, app, err, err_size);
  }
  if (!rc) { /* argv as order has it: the operands last */
    if (argc > 1) memcpy(argv + 1, sc.order, (size_t)(argc - 1) * sizeof *argv);
    c.operands = sc.nops ? argv + argc - sc.nops : NULL;
    *cfg = c;
  }
  free(sc.order);
  return rc;
}

static void print_table(const tf_option *t) {
  for (; t && t->name; t++) {
    char left[64], shortname[8] = "";
    if (TF_OPT_SHORT_OF(t->type)) snprintf(shortname, sizeof shortname, "-%c, ", TF_OPT_SHORT_OF(t->type));
    if (t->argname)
      snprintf(left, sizeof left, "%s--%s %s", shortname, t->name, t->argname);
    else
      snprintf(left, sizeof left, "%s--%s", shortname, t->name);
    printf("  %-24s %s%s\n", left, t->help ? t->help : "",
           t->type & TF_OPT_REPEAT ? " (may be given more than once)" : "");
  }
}

void tf_print_help(const tf_app *app) {
  tf_config cfg;
  tf_config_defaults(&cfg);
  common_vals v = {0};
  tf_option common[OPT_NCOMMON + 1];
  tf__options_common_table(common, &cfg, &v);
  const char *name = app && app->name ? app->name : "taskfarm-app";
  const char *ops = app && app->operands ? app->operands : NULL;
  printf("Usage: %s [OPTIONS]%s%s\n", name, ops ? " " : "", ops ? ops : "");
  printf("       mpirun -np N %s [OPTIONS]%s%s   (rank 0 is the master, the rest are workers)\n",
         name, ops ? " " : "", ops ? ops : "");
  if (app && app->summary) printf("\n%s\n", app->summary);
  if (app && app->options && app->options->name) {
    printf("\n%s options:\n", name);
    print_table(app->options);
  }
  printf("\nCommon options (taskfarm %s):\n", TF_VERSION_STRING);
  print_table(common);
  printf("\nExit status: 0 success, 1 the run failed, 2 bad command line, 75 stopped by a\n"
         "signal (what finished is in the --journal; run again with --resume). To stop a\n"
         "run under mpirun gracefully, send mpirun SIGUSR1; Ctrl-C stops it at once.\n");
}
