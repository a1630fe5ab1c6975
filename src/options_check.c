/* options_check.c - a parsed command line as a whole: whether its options go
 * together (the elastic ones, the journal's, --chunk and --prefetch, the app's
 * check_options, the files written at the end) and the journal's fingerprint
 * of the app and its options. options.c parses; nothing here prints. */
#include "options_int.h"

#include "le.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* FNV-1a, 64 bits: the fingerprint of an app and its options. */
static uint64_t fnv1a(uint64_t h, const void *p, size_t n) {
  const unsigned char *b = p;
  for (size_t i = 0; i < n; i++)
    h = (h ^ b[i]) * UINT64_C(0x100000001b3);
  return h;
}

static int journaled(const tf_option *o) {
  return !(o->type & (TF_OPT_NOT_JOURNALED | TF_OPT_OUTPUT));
}

/* v as the shortest decimal that reads back as v exactly. */
static void shortest(char *buf, size_t n, double v) {
  for (int prec = 1; prec <= 17; prec++) {
    snprintf(buf, n, "%.*g", prec, v);
    if (strtod(buf, NULL) == v) return;
  }
}

/* Append tok to the args text (as much as fits, then "..."). */
static void append_arg(char *args, size_t cap, const char *tok) {
  size_t used = strlen(args), room = cap - used, n = strlen(tok);
  if (room < 5) return;
  if (n + 1 < room) {
    snprintf(args + used, room, "%s%s", used ? " " : "", tok);
  } else if (!strstr(args, "...")) {
    snprintf(args + (used < cap - 4 ? used : cap - 4), 4, "...");
  }
}

/* The repeatable option o (a tf_strings): its count, then each value as text. */
static uint64_t hash_repeated(uint64_t h, const tf_option *o, char *args, size_t cap) {
  const tf_strings *l = o->dest;
  unsigned char type = TF_OPT_STRING, v[8];
  char tok[600];
  put64(v, (uint64_t)l->count);
  h = fnv1a(h, o->name, strlen(o->name) + 1);
  h = fnv1a(h, &type, 1);
  h = fnv1a(h, v, 8);
  for (int i = 0; i < l->count; i++) {
    h = fnv1a(h, l->values[i], strlen(l->values[i]) + 1);
    snprintf(tok, sizeof tok, "--%s=%s", o->name, l->values[i]);
    append_arg(args, cap, tok);
  }
  return h;
}

/* The journaled option o into the hash h (its name, its type, its value) and into the args text
 * (of cap bytes) as --NAME=VALUE, its default too (a flag as --NAME, when set). Returns the new
 * hash. */
static uint64_t hash_option(uint64_t h, const tf_option *o, char *args, size_t cap) {
  unsigned char type = (unsigned char)(o->type & TF_OPT_TYPE_MASK), v[8];
  size_t vn = 8;
  const char *text = NULL; /* a string's value, after v */
  char tok[600] = "", num[40];
  switch (type) {
  case TF_OPT_FLAG:
    v[0] = *(const int *)o->dest != 0;
    vn = 1;
    if (v[0]) snprintf(tok, sizeof tok, "--%s", o->name);
    break;
  case TF_OPT_INT: {
    long long x = *(const long long *)o->dest;
    put64(v, (uint64_t)x);
    snprintf(tok, sizeof tok, "--%s=%lld", o->name, x);
    break;
  }
  case TF_OPT_SIZE: {
    uint64_t x = *(const uint64_t *)o->dest;
    put64(v, x);
    snprintf(tok, sizeof tok, "--%s=%llu", o->name, (unsigned long long)x);
    break;
  }
  case TF_OPT_DOUBLE: {
    double x = *(const double *)o->dest;
    uint64_t bits;
    if (x == 0) x = 0; /* -0 */
    memcpy(&bits, &x, sizeof bits);
    put64(v, bits);
    shortest(num, sizeof num, x);
    snprintf(tok, sizeof tok, "--%s=%s", o->name, num);
    break;
  }
  case TF_OPT_STRING:
    if (o->type & TF_OPT_REPEAT) return hash_repeated(h, o, args, cap);
    text = *(const char *const *)o->dest;
    v[0] = text != NULL; /* no value at all differs from "" */
    vn = 1;
    if (text) snprintf(tok, sizeof tok, "--%s=%s", o->name, text);
    break;
  default: return h;
  }
  h = fnv1a(h, o->name, strlen(o->name) + 1);
  h = fnv1a(h, &type, 1);
  h = fnv1a(h, v, vn);
  if (text) h = fnv1a(h, text, strlen(text) + 1);
  if (tok[0]) append_arg(args, cap, tok);
  return h;
}

/* The journal's fingerprint and its text, from the values the app's options hold once parsed
 * and checked: every journaled option in table order, defaults included, so that how a value
 * was written (3e8 or 300000000, 4K or 4096), whether a default was given and the order of the
 * options do not matter. Each value goes in as what it is: an integer or a size as 8 bytes, a
 * double as its 8 bytes (0 and -0 are one), a flag as 0 or 1, a string as its text. */
static void fingerprint(tf_config *c, const tf_app *app) {
  const char *appname = app->name ? app->name : "";
  uint64_t h = fnv1a(UINT64_C(0xcbf29ce484222325), appname, strlen(appname) + 1);
  c->args[0] = '\0';
  for (const tf_option *o = app->options; o && o->name; o++)
    if (journaled(o)) h = hash_option(h, o, c->args, sizeof c->args);
  for (int i = 0; i < c->noperands && !(app->operand_flags & TF_OPT_NOT_JOURNALED); i++) {
    h = fnv1a(h, "", 1); /* as the key: no option name is empty */
    h = fnv1a(h, c->operands[i], strlen(c->operands[i]) + 1);
    append_arg(c->args, sizeof c->args, c->operands[i]);
  }
  if (app->journal_key) {
    h = fnv1a(h, "", 1); /* no option name is empty: the key cannot pass for one */
    h = fnv1a(h, app->journal_key, strlen(app->journal_key) + 1);
    append_arg(c->args, sizeof c->args, app->journal_key);
  }
  c->fingerprint = h;
}

/* --accept-workers, --service, --join, --leave-after, and what goes with them. */
static int check_elastic(const tf_config *c, char *err, size_t err_size) {
  if (c->accept_workers && c->join)
    return tf__options_usage(err, err_size,
                             "--accept-workers and --join contradict each other: a farm "
                             "accepts workers, a joining job gives them");
  if (c->service && !c->accept_workers)
    return tf__options_usage(err, err_size,
                             "--service names a farm that accepts workers: give "
                             "--accept-workers too (a joining job gives the name to --join)");
  if (c->leave_after > 0 && !c->join)
    return tf__options_usage(err, err_size, "--leave-after is for a joining job (--join NAME)");
  const char *name = c->join ? c->join : c->service;
  const char *opt = c->join ? "--join" : "--service";
  if (name && !name[0]) return tf__options_usage(err, err_size, "%s: empty name", opt);
  for (const char *p = name; p && *p; p++)
    if (!isgraph((unsigned char)*p))
      return tf__options_usage(err, err_size, "%s '%s': a name has no blanks or control characters",
                               opt, name);
  if (name && strlen(name) > 200)
    return tf__options_usage(err, err_size, "%s: a name of at most 200 characters", opt);
  if ((c->accept_workers || c->join) && c->schedule == TF_SCHEDULE_STATIC)
    return tf__options_usage(err, err_size,
                             "--schedule static splits the tasks among the workers there at "
                             "the start: a farm that %s needs dynamic, guided or adaptive",
                             c->join ? "workers join" : "accepts workers");
  if (!c->join) return 0;
  const char *farm_only[] = {c->journal, c->stats_file, c->trace_file, c->timeline_file};
  static const char *const farm_opts[] = {"--journal", "--stats", "--trace", "--timeline"};
  for (int i = 0; i < 4; i++)
    if (farm_only[i])
      return tf__options_usage(err, err_size,
                               "%s is the farm's to write: give it to the farm, not to the "
                               "job that joins it (--join)",
                               farm_opts[i]);
  if (c->info)
    return tf__options_usage(err, err_size, "--info describes a farm's own ranks: not with --join");
  return 0;
}

int tf__options_check(tf_config *c, const tf_app *app, char *err, size_t err_size) {
  int rc = check_elastic(c, err, err_size);
  if (rc) return rc;
  if (c->resume && !c->journal)
    return tf__options_usage(err, err_size,
                             "--resume needs --journal FILE (the journal to continue from)");
  if (c->journal && !c->journal[0])
    return tf__options_usage(err, err_size, "--journal: empty file name");
  if (c->chunk > c->prefetch)
    return tf__options_usage(err, err_size, "--chunk %d is larger than --prefetch %d", c->chunk,
                             c->prefetch);
  if (app->check_options) {
    char msg[256] = "";
    if (app->check_options(app->ctx, c, msg, sizeof msg))
      return tf__options_usage(err, err_size, "%s",
                               msg[0] ? msg : "invalid combination of options");
  }
  fingerprint(c, app);
  return 0;
}

int tf__check_outputs(const tf_app *app, const tf_config *cfg, char *err, size_t err_size) {
  const char *files[] = {cfg->stats_file, cfg->trace_file, cfg->timeline_file, cfg->status_file};
  static const char *const opts[] = {"stats", "trace", "timeline", "status-file"};
  char why[600];
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
    if (!files[i]) continue;
    int rc = tf_output_check(files[i], why, sizeof why);
    if (rc) return tf__options_usage(err, err_size, "--%s %s", opts[i], why), rc;
  }
  for (const tf_option *o = app ? app->options : NULL; o && o->name; o++) {
    if (!(o->type & TF_OPT_OUTPUT) || (o->type & TF_OPT_TYPE_MASK) != TF_OPT_STRING) continue;
    const char *f = *(const char *const *)o->dest;
    if (!f || !*f) continue; /* none wanted */
    int rc = tf_output_check(f, why, sizeof why);
    if (rc) return tf__options_usage(err, err_size, "--%s %s", o->name, why), rc;
  }
  return 0;
}
