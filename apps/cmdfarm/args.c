/* args.c - commands from a template and argument sources, as GNU parallel makes them (args.h). */
#include "args.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cf_put(cf_buf *b, const char *s, size_t n) {
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + n + 1)
      cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) return -1;
    b->p = p, b->cap = cap;
  }
  if (n) memcpy(b->p + b->len, s, n);
  b->len += n;
  b->p[b->len] = '\0';
  return 0;
}

static int safe_char(unsigned char ch) {
  return isalnum(ch) || ch == '_' || ch == '+' || ch == '-' || ch == '.' || ch == '/';
}

int cf_quote(cf_buf *b, const char *s) {
  size_t n = strlen(s), k = 0;
  while (k < n && safe_char((unsigned char)s[k]))
    k++;
  if (n && k == n) return cf_put(b, s, n);
  if (cf_put(b, "'", 1)) return -1;
  for (const char *p = s; *p; p++)
    if (*p == '\'' ? cf_put(b, "'\"'\"'", 5) : cf_put(b, p, 1)) return -1;
  return cf_put(b, "'", 1);
}

int cf_read_source(const char *path, cf_source *s, char *err, size_t errsz) {
  memset(s, 0, sizeof *s);
  s->own = 1;
  FILE *f = fopen(path, "r");
  if (!f) return snprintf(err, errsz, "argument file %s: %s", path, strerror(errno)), -1;
  size_t cap = 0;
  char *line = NULL;
  size_t lcap = 0;
  ssize_t got;
  int rc = 0;
  while ((got = getline(&line, &lcap, f)) >= 0) {
    if (got && line[got - 1] == '\n') line[--got] = '\0';
    if (s->n == cap) {
      cap = cap ? 2 * cap : 64;
      char **v = realloc(s->v, cap * sizeof *v);
      if (!v) {
        rc = -1;
        break;
      }
      s->v = v;
    }
    if (!(s->v[s->n] = strdup(line))) {
      rc = -1;
      break;
    }
    s->n++;
  }
  if (!rc && ferror(f)) {
    snprintf(err, errsz, "argument file %s: %s", path, strerror(errno));
    rc = -1;
  } else if (rc) {
    snprintf(err, errsz, "argument file %s: out of memory", path);
  }
  free(line);
  fclose(f);
  if (rc) cf_source_free(s);
  return rc;
}

void cf_source_free(cf_source *s) {
  if (s->own)
    for (size_t i = 0; i < s->n; i++)
      free(s->v[i]);
  if (s->own) free(s->v);
  memset(s, 0, sizeof *s);
}

/* A replacement string at p: its length (0 when there is none), the source it names (0: all,
 * -1: {#}) and its transformation ("", ".", "/", "//", "/."). */
static size_t replacement(const char *p, long *source, const char **how) {
  if (*p != '{') return 0;
  const char *q = p + 1;
  *source = 0;
  if (*q == '#' && q[1] == '}') {
    *source = -1;
    *how = "";
    return 3;
  }
  if (isdigit((unsigned char)*q) && *q != '0') {
    char *end;
    *source = strtol(q, &end, 10);
    q = end;
  }
  static const char *const forms[] = {"/.", "//", "/", ".", ""};
  for (int i = 0; i < 5; i++) {
    size_t n = strlen(forms[i]);
    if (!strncmp(q, forms[i], n) && q[n] == '}') {
      *how = forms[i];
      return (size_t)(q + n + 1 - p);
    }
  }
  return 0;
}

int cf_has_replacement(const char *tmpl) {
  long source;
  const char *how;
  for (const char *p = tmpl; *p; p++)
    if (replacement(p, &source, &how)) return 1;
  return 0;
}

/* v as {how} makes it (GNU parallel's: {.} drops a last .EXT that holds no / or ., {/} keeps what
 * follows the last /, {//} is dirname(1)'s answer, {/.} is {/} without .EXT), into b. */
static int transformed(cf_buf *b, const char *v, const char *how) {
  size_t n = strlen(v);
  const char *start = v;
  if (how[0] == '/' && how[1] != '/') { /* "/" and "/.": what follows the last slash */
    const char *slash = strrchr(v, '/');
    if (slash) start = slash + 1;
    n = strlen(start);
  }
  if (!strcmp(how, "//")) {
    size_t k = n;
    while (k > 1 && v[k - 1] == '/') /* trailing slashes */
      k--;
    while (k > 0 && v[k - 1] != '/')
      k--;
    if (k == 0) return cf_quote(b, ".");
    while (k > 1 && v[k - 1] == '/')
      k--;
    char *d = strndup(v, k);
    if (!d) return -1;
    int rc = cf_quote(b, d);
    free(d);
    return rc;
  }
  if (strchr(how, '.')) { /* drop \.[^/.]*$ */
    size_t k = n;
    while (k > 0 && start[k - 1] != '.' && start[k - 1] != '/')
      k--;
    if (k > 0 && start[k - 1] == '.') n = k - 1;
  }
  char *t = strndup(start, n);
  if (!t) return -1;
  int rc = cf_quote(b, t);
  free(t);
  return rc;
}

int cf_expand(cf_buf *b, const char *tmpl, const char *const *args, int nargs, uint64_t seq,
              char *err, size_t errsz) {
  if (!*tmpl) { /* the arguments are the command */
    for (int i = 0; i < nargs; i++)
      if ((i && cf_put(b, " ", 1)) || cf_put(b, args[i], strlen(args[i]))) return -1;
    return 0;
  }
  if (!cf_has_replacement(tmpl)) {
    if (cf_put(b, tmpl, strlen(tmpl))) return -1;
    for (int i = 0; i < nargs; i++)
      if (cf_put(b, " ", 1) || cf_quote(b, args[i])) return -1;
    return 0;
  }
  for (const char *p = tmpl; *p;) {
    long source;
    const char *how;
    size_t n = replacement(p, &source, &how);
    if (!n) {
      if (cf_put(b, p, 1)) return -1;
      p++;
      continue;
    }
    if (source > nargs) {
      snprintf(err, errsz, "%.*s: there %s only %d input source%s", (int)n, p,
               nargs == 1 ? "is" : "are", nargs, nargs == 1 ? "" : "s");
      return 1;
    }
    if (source < 0) {
      char num[24];
      snprintf(num, sizeof num, "%llu", (unsigned long long)seq);
      if (cf_put(b, num, strlen(num))) return -1;
    } else if (source > 0) {
      if (transformed(b, args[source - 1], how)) return -1;
    } else {
      for (int i = 0; i < nargs; i++)
        if ((i && cf_put(b, " ", 1)) || transformed(b, args[i], how)) return -1;
    }
    p += n;
  }
  return 0;
}

uint64_t cf_job_count(const cf_source *src, int nsrc) {
  uint64_t n = 1;
  for (int i = 0; i < nsrc; i++) {
    if (!src[i].n) return 0;
    if (n > UINT64_MAX / src[i].n) return UINT64_MAX;
    n *= src[i].n;
  }
  return nsrc ? n : 0;
}

void cf_job_args(const cf_source *src, int nsrc, uint64_t k, const char **args) {
  for (int i = nsrc - 1; i >= 0; i--) {
    args[i] = src[i].v[k % src[i].n];
    k /= src[i].n;
  }
}
