/* halt.c - --halt, GNU parallel's: its forms read (never; now|soon,fail|success|done=N or N%;
 * the old 0, 1, 2, -1, -2), and the commands that end in this run counted until the run stops. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmdfarm.h"

/* GNU parallel's old forms of --halt, and what they stand for. */
static const char *const halt_aliases[][2] = {
    {"0", "never"},           {"1", "soon,fail=1"},    {"2", "now,fail=1"},
    {"-1", "soon,success=1"}, {"-2", "now,success=1"},
};

/* N or N%: a count of at least 1, or a percentage from 1 to 100. 0, or -1 with the reason. */
static int halt_amount(halt *h, const char *v, const char *arg, char *err, size_t n) {
  size_t digits = strspn(v, "0123456789");
  h->pct = v[digits] == '%' && v[digits + 1] == '\0';
  if (!digits || digits > 12 || (v[digits] && !h->pct))
    return snprintf(err, n, "--halt %s: '%s' is not a number of commands (N) or a percentage (N%%)",
                    arg, v),
           -1;
  h->n = strtoull(v, NULL, 10);
  if (h->n == 0) return snprintf(err, n, "--halt %s: the count must be at least 1", arg), -1;
  if (h->pct && h->n > 100)
    return snprintf(err, n, "--halt %s: a percentage is at most 100%%", arg), -1;
  return 0;
}

/* --halt as GNU parallel reads it: never; now|soon,fail|success|done=N|N%; N% (soon,fail=N%);
 * 0, 1, 2, -1, -2. Into c->halt; 0, or -1 with the reason in err. */
int cf_parse_halt(cmdfarm *c, char *err, size_t n) {
  const char *arg = c->halt_arg, *v = arg;
  char buf[64];
  for (size_t i = 0; i < sizeof halt_aliases / sizeof halt_aliases[0]; i++)
    if (!strcmp(arg, halt_aliases[i][0])) v = halt_aliases[i][1];
  size_t len = strlen(v);
  if (len && v[len - 1] == '%' && !strchr(v, ',')) /* "10%": soon,fail=10% */
    v = (snprintf(buf, sizeof buf, "soon,fail=%s", v), buf);
  halt *h = &c->halt;
  if (!strcmp(v, "never")) return h->when = 0, 0;
  const char *why = strchr(v, ','), *eq = why ? strchr(why, '=') : NULL;
  size_t wl = why ? (size_t)(why - v) : strlen(v);
  if (wl == 3 && !strncmp(v, "now", 3))
    h->when = TF_STOP_NOW;
  else if (wl == 4 && !strncmp(v, "soon", 4))
    h->when = TF_STOP_SOON;
  else
    return snprintf(err, n,
                    "--halt %s: '%.*s' is not never, now or soon (GNU parallel's --halt: "
                    "never, now,fail=N, soon,fail=N, success=N, done=N, N%%)",
                    arg, (int)wl, v),
           -1;
  static const char *const whys[] = {"fail", "success", "done"};
  h->why = -1;
  for (int k = 0; eq && k < 3; k++)
    if ((size_t)(eq - why - 1) == strlen(whys[k]) && !strncmp(why + 1, whys[k], strlen(whys[k])))
      h->why = k;
  if (h->why < 0)
    return snprintf(err, n, "--halt %s: after %.*s, give fail=N, success=N or done=N", arg, (int)wl,
                    v),
           -1;
  return halt_amount(h, eq + 1, arg, err, n);
}

/* --halt: command id ended in this run, failed or not; when that makes the count, the run
 * stops (tf_stop), with status 0 for success=N, or done=N without a failure, else TF_EAPP. */
int cf_count_for_halt(tf_handle *h, cmdfarm *c, uint64_t id, int failed) {
  halt *x = &c->halt;
  if (!x->when || !x->counting || x->reached) return 0;
  if (failed)
    x->fails++;
  else
    x->successes++;
  static const char *const verb[] = {"failed", "succeeded", "ended"};
  uint64_t k = x->why == HALT_FAIL      ? x->fails
               : x->why == HALT_SUCCESS ? x->successes
                                        : x->fails + x->successes;
  if (x->pct ? k * 100 < x->n * c->ncmds : k < x->n) return 0;
  x->reached = 1;
  if (!c->quiet)
    fprintf(stderr, ME ": --halt %s: %llu of %llu %ss %s (the last: %s %llu); %s\n", c->halt_arg,
            (unsigned long long)k, (unsigned long long)c->ncmds, UNIT(c), verb[x->why], UNIT(c),
            (unsigned long long)c->cmds[id].line,
            x->when == TF_STOP_NOW ? "stopping now"
                                   : "starting no more, waiting for those running");
  return tf_stop(h, x->when, x->why != HALT_SUCCESS && x->fails ? TF_EAPP : 0);
}
