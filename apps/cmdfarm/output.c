/* output.c - the master's printing of the commands' output: the writers (the bytes as they are,
 * --tag's, or each line after "[line N] " for a FILE), the spool where output that came before
 * its turn waits, the --line-buffer pieces of commands that still run, and the cursor that
 * prints it all in line order when it has to be. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmdfarm.h"

/* ---- Writers ----------------------------------------------------------------------------- */

/* Output on its way to a stream, in whole lines: an unbuffered stderr would otherwise write a
 * prefix and its line apart, and mpirun can put another stream's text between them. */
typedef struct outbuf {
  FILE *f;
  size_t used;
  char buf[65536];
} outbuf;

static void flush_out(outbuf *o) {
  if (o->used) fwrite(o->buf, 1, o->used, o->f);
  o->used = 0;
}

static void put(outbuf *o, const char *p, size_t n) {
  if (o->used + n > sizeof o->buf) flush_out(o);
  if (n > sizeof o->buf) { /* a line longer than the buffer goes out on its own */
    fwrite(p, 1, n, o->f);
    return;
  }
  memcpy(o->buf + o->used, p, n);
  o->used += n;
}

/* Write n bytes of output to o, each line after the prefix pre (np bytes); a last line without
 * a newline gets one when newline is set. */
static void put_lines(outbuf *o, const char *pre, size_t np, const char *p, size_t n, int newline) {
  for (size_t i = 0; i < n;) {
    const char *nl = memchr(p + i, '\n', n - i);
    size_t len = nl ? (size_t)(nl - (p + i)) + 1 : n - i;
    if (o->used + np + len + 1 > sizeof o->buf) flush_out(o); /* a line in one write */
    put(o, pre, np);
    put(o, p + i, len);
    if (!nl && newline) put(o, "\n", 1);
    i += len;
  }
}

/* Write n bytes of a command's output to f, each line prefixed "[line L] "; a last line without
 * a newline gets one. total > n: the output was cut, and a marker says so. */
void cf_emit(FILE *f, uint64_t line, const char *p, size_t n, uint64_t total) {
  outbuf ob, *o = &ob;
  o->f = f, o->used = 0;
  char pre[200];
  int np = snprintf(pre, sizeof pre, "[line %llu] ", (unsigned long long)line);
  put_lines(o, pre, (size_t)np, p, n, 1);
  if (total > n) {
    int k = snprintf(pre, sizeof pre,
                     "[line %llu] [" ME ": output cut: %zu of %llu bytes shown; raise "
                     "--max-output or use --output-dir]\n",
                     (unsigned long long)line, n, (unsigned long long)total);
    put(o, pre, (size_t)k < sizeof pre ? (size_t)k : sizeof pre - 1);
  }
  flush_out(o);
}

/* A command's output as GNU parallel prints it: the bytes as they are, and a note on stderr
 * where --max-output cut them. */
static void emit_raw(FILE *f, uint64_t line, const char *p, size_t n, uint64_t total) {
  fwrite(p, 1, n, f);
  fflush(f);
  if (total > n)
    fprintf(stderr, ME ": output of job %llu cut: %zu of %llu bytes shown; raise --max-output\n",
            (unsigned long long)line, n, (unsigned long long)total);
}

/* --tag: each line after the job's arguments and a tab, as GNU parallel --tag writes it. */
static void emit_tagged(const cmdfarm *c, FILE *f, uint64_t id, const char *p, size_t n,
                        uint64_t total) {
  const cmd *k = &c->cmds[id];
  char *pre = malloc(k->tag_len + 1);
  if (!pre) return emit_raw(f, k->line, p, n, total);
  memcpy(pre, c->tags + k->tag_off, k->tag_len);
  pre[k->tag_len] = '\t';
  outbuf ob = {.f = f};
  put_lines(&ob, pre, k->tag_len + 1, p, n, 0);
  flush_out(&ob);
  free(pre);
  if (total > n) emit_raw(f, k->line, "", 0, total);
}

static int print_output(cmdfarm *c, uint64_t id, const char *out, const char *err) {
  const rec *r = &c->recs[id];
  uint64_t line = c->cmds[id].line;
  if (c->tag) {
    emit_tagged(c, stdout, id, out, r->out_kept, r->out_bytes);
    emit_tagged(c, stderr, id, err, r->err_kept, r->err_bytes);
  } else {
    void (*put_stream)(FILE *, uint64_t, const char *, size_t, uint64_t) =
        c->parallel ? emit_raw : cf_emit;
    put_stream(stdout, line, out, r->out_kept, r->out_bytes);
    put_stream(stderr, line, err, r->err_kept, r->err_bytes);
  }
  return ferror(stdout) ? -1 : 0;
}

/* ---- The spool: output waiting for its turn, in a file unlinked once made ---------------- */

static int spool_io(int fd, char *p, size_t n, uint64_t off, int writing) {
  while (n) {
    ssize_t k = writing ? pwrite(fd, p, n, (off_t)off) : pread(fd, p, n, (off_t)off);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) return -1;
    p += k, n -= (size_t)k, off += (uint64_t)k;
  }
  return 0;
}

/* Append n bytes to the spool file (made on first use); *off: where they went. */
static int spool_append(cmdfarm *c, const char *data, size_t n, uint64_t *off) {
  if (c->spool_fd < 0) {
    const char *dir = getenv("TMPDIR");
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/cmdfarm-spool.XXXXXX", dir && *dir ? dir : "/tmp");
    if ((c->spool_fd = mkstemp(path)) < 0) {
      fprintf(stderr, ME ": cannot make a spool file %s: %s\n", path, strerror(errno));
      return -1;
    }
    unlink(path); /* gone when the master exits, whatever way */
  }
  if (spool_io(c->spool_fd, (char *)data, n, c->spool_len, 1)) {
    fprintf(stderr, ME ": cannot write to the spool file: %s\n", strerror(errno));
    return -1;
  }
  *off = c->spool_len;
  c->spool_len += n;
  return 0;
}

static int spool(cmdfarm *c, rec *r, const char *data, size_t n) {
  if (spool_append(c, data, n, &r->spool_off)) return -1;
  r->state = R_SPOOLED;
  return 0;
}

/* Output in line (job) order: always for a FILE, with -k in GNU parallel's form; else each
 * command's output goes out as it ends (parallel's default, --group). */
static int in_order(const cmdfarm *c) { return !c->parallel || c->keep_order; }

/* ---- --line-buffer: pieces of the output of commands that still run ---------------------- */

/* A piece, as a worker sends it: the stream (0 stdout, 1 stderr), then whole lines; at the end
 * of the stream what is left (a last line without a newline); a line longer than a piece may be
 * (--max-payload) goes in parts. */

/* Print a piece of command id's output at once, as its result's output would be printed. */
static int print_piece(cmdfarm *c, uint64_t id, const char *p, size_t n) {
  FILE *f = p[0] ? stderr : stdout;
  uint64_t line = c->cmds[id].line;
  if (c->tag)
    emit_tagged(c, f, id, p + 1, n - 1, n - 1);
  else if (c->parallel)
    emit_raw(f, line, p + 1, n - 1, n - 1);
  else
    cf_emit(f, line, p + 1, n - 1, n - 1);
  fflush(f);
  return ferror(stdout) ? -1 : 0;
}

/* A piece that came before its command's turn (in order: -k, a FILE): appended to the spool as a
 * record (the next record's offset + 1, or 0; the piece's length; the piece), chained to the
 * command's last one. */
static int hold_piece(cmdfarm *c, rec *r, const char *p, size_t n) {
  uint64_t head[2] = {0, n}, off, data_off;
  if (spool_append(c, (const char *)head, sizeof head, &off) || spool_append(c, p, n, &data_off))
    return -1;
  uint64_t next = off + 1;
  if (r->held_last && spool_io(c->spool_fd, (char *)&next, sizeof next, r->held_last - 1, 1)) {
    fprintf(stderr, ME ": cannot write to the spool file: %s\n", strerror(errno));
    return -1;
  }
  if (!r->held) r->held = next;
  r->held_last = next;
  return 0;
}

/* Command id's turn came: print the pieces it holds, in the order they came. */
static int release_held(cmdfarm *c, uint64_t id) {
  rec *r = &c->recs[id];
  for (uint64_t at = r->held; at;) {
    uint64_t head[2];
    char *buf = NULL;
    if (spool_io(c->spool_fd, (char *)head, sizeof head, at - 1, 0) ||
        !(buf = malloc(head[1] ? head[1] : 1)) ||
        spool_io(c->spool_fd, buf, head[1], at - 1 + sizeof head, 0)) {
      fprintf(stderr, ME ": cannot read back the output of %s %llu held for its turn: %s\n",
              UNIT(c), (unsigned long long)c->cmds[id].line, buf ? strerror(errno) : "no memory");
      free(buf);
      return -1;
    }
    int rc = head[1] ? print_piece(c, id, buf, head[1]) : 0;
    free(buf);
    if (rc) return -1;
    at = head[0];
  }
  r->held = r->held_last = 0;
  return 0;
}

/* A piece of command id's output (its stream's number, then its text), printed now when the
 * command's output may go out now (as commands end, or it is its turn), else held for its turn. */
int cf_piece(cmdfarm *c, uint64_t id, const char *p, size_t n) {
  if (!c->recs || id >= c->ncmds || n < 1 || (unsigned char)p[0] > 1) return -1;
  rec *r = &c->recs[id];
  r->live = 1;
  if (in_order(c) && id > c->cursor) return hold_piece(c, r, p, n);
  return print_piece(c, id, p, n);
}

/* ---- Line order -------------------------------------------------------------------------- */

/* Print the output of every command from the cursor on that is here, in line order, passing
 * over those that failed for good (their output went to stderr on their worker). At the end
 * (all = 1) also skip over the commands that never sent a result. */
int cf_advance(cmdfarm *c, int all) {
  for (; c->cursor < c->ncmds; c->cursor++) {
    rec *r = &c->recs[c->cursor];
    if (r->held && release_held(c, c->cursor)) return -1; /* --line-buffer: its turn came */
    if (r->state == R_DONE || (r->state == R_NONE && all)) continue; /* nothing to print */
    if (r->state != R_SPOOLED) break;
    size_t n = (size_t)r->out_kept + r->err_kept;
    char *buf = malloc(n ? n : 1);
    if (!buf || spool_io(c->spool_fd, buf, n, r->spool_off, 0)) {
      fprintf(stderr, ME ": cannot read back the output of line %llu: %s\n",
              (unsigned long long)c->cmds[c->cursor].line, buf ? strerror(errno) : "no memory");
      free(buf);
      return -1;
    }
    int rc = print_output(c, c->cursor, buf, buf + r->out_kept);
    free(buf);
    r->state = R_DONE;
    if (rc) return -1;
  }
  return 0;
}

/* Command id ended, with the result its (last) run sent (size bytes, or none): noted, and its
 * output printed if it is its turn (then that of the commands after it that waited), else
 * spooled until then; out of order, printed at once. Under --line-buffer, output that came in
 * pieces went out as they came (or waits for its turn): the result's copy is not printed. */
int cf_ended(cmdfarm *c, uint64_t id, const void *data, size_t size, int failed, int status) {
  if (id >= c->ncmds) return -1;
  rec *r = &c->recs[id], was = *r;
  *r = (rec){.node = -1,
             .state = R_DONE,
             .failed = failed,
             .status = status,
             .live = was.live,
             .held = was.held,
             .held_last = was.held_last};
  if (size) {
    cmd_result x;
    if (size < sizeof x) return -1;
    memcpy(&x, data, sizeof x);
    if (x.line != c->cmds[id].line || size != sizeof x + (size_t)x.out_kept + x.err_kept) return -1;
    x.node[NODE_MAX - 1] = '\0';
    *r = (rec){x.start,    x.seconds,    x.exitval, x.signal, 0,      x.out_bytes, x.err_bytes,
               x.out_kept, x.err_kept,   0,         R_DONE,   failed, status,      was.live,
               was.held,   was.held_last};
    if ((r->node = cf_intern_node(c, x.node)) < 0) return -1;
    const char *out = (const char *)data + sizeof x;
    int printed = c->outdir || r->live; /* in files, or in pieces already */
    if (!printed && in_order(c) && id != c->cursor)
      return spool(c, r, out, (size_t)x.out_kept + x.err_kept);
    if (!printed && print_output(c, id, out, out + x.out_kept)) return -1;
  }
  if (c->outdir || !in_order(c) || id != c->cursor) return 0;
  c->cursor++;
  return cf_advance(c, 0);
}
