/* args.h - commands made from a template and argument sources, as GNU parallel makes them:
 * `taskfarm-cmdfarm COMMAND ::: A B ::: X Y` runs COMMAND for every combination of one
 * argument from each source (the last source varies fastest), its replacement strings
 * replaced, each argument quoted for /bin/sh. Pure: no MPI, no I/O but reading a source file. */
#ifndef CF_ARGS_H
#define CF_ARGS_H

#include <stddef.h>
#include <stdint.h>

/* One source of arguments: the words after :::, or the lines of a file (:::: FILE, -a FILE). */
typedef struct cf_source {
  char **v; /* the arguments; owned when read from a file (own = 1), else argv's */
  size_t n;
  int own;
} cf_source;

/* A growing text buffer. */
typedef struct cf_buf {
  char *p;
  size_t len, cap;
} cf_buf;

/* Append s (n bytes) to b; 0 or -1 (out of memory). */
int cf_put(cf_buf *b, const char *s, size_t n);
/* Append s quoted for /bin/sh the way GNU parallel quotes it: as it is when it is not empty and
 * made only of letters, digits and _ + - . /; else in single quotes, a ' as '"'"'. */
int cf_quote(cf_buf *b, const char *s);

/* The arguments of source s: the lines of the file path (without their newline; a last line
 * without one counts; an empty line is an empty argument). 0, or -1 with the reason in err. */
int cf_read_source(const char *path, cf_source *s, char *err, size_t errsz);
void cf_source_free(cf_source *s);

/* Does the template hold a replacement string ({}, {.}, {/}, {//}, {/.}, {#}, {N}, {N.}, ...)?
 * Without one the arguments are appended, quoted, after a space. */
int cf_has_replacement(const char *tmpl);

/* Append to b the command of job seq (1-based) from tmpl and its nargs arguments (one from
 * each source, in source order). An empty template makes the arguments, joined by spaces and
 * not quoted, the command itself. Returns 0, -1 (out of memory), or 1 for a {N} with N larger
 * than nargs (then err says so). */
int cf_expand(cf_buf *b, const char *tmpl, const char *const *args, int nargs, uint64_t seq,
              char *err, size_t errsz);

/* The number of jobs: the product of the sources' sizes (0 when one is empty); UINT64_MAX when
 * it overflows. */
uint64_t cf_job_count(const cf_source *src, int nsrc);
/* The arguments of job number k (0-based) into args[0..nsrc): the last source varies fastest. */
void cf_job_args(const cf_source *src, int nsrc, uint64_t k, const char **args);

#endif
