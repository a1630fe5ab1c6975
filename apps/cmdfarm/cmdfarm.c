/* cmdfarm.c - a command farm: every line of a file is a shell command, run by a worker with
 * /bin/sh -c, one task per command. The worker records the exit status, run time and node and
 * captures stdout and stderr; the master prints the output in line order (or the workers write it
 * to --output-dir), writes a summary table and names the lines that failed. A command that fails
 * is a failed task, so --retries, --keep-going, --fail-fast and --journal work as for any app. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* pipe2, _Fork, strsignal, SYS_close_range */
#endif
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "args.h"
#include "taskfarm.h"

extern char **environ;

#define ME "cmdfarm"
#define NEVER 1e300 /* a deadline that never comes */
enum {
  KILL_GRACE_S = 2,       /* after --timeout: SIGTERM, then SIGKILL this much later */
  NODE_MAX = 128,         /* node names kept in a result */
  LB_PIECE_MAX = 1 << 20, /* --line-buffer: a longer line goes to the master in parts */
  SHOWN_MAX = 200,        /* bytes of a command shown in a message */
  LISTED_MAX = 50,        /* line numbers listed on stderr (all of them go to --summary) */
};

/* A command of FILE: its line number (from 1) and where its text is. */
typedef struct cmd {
  uint64_t line;
  size_t off, len;
  size_t tag_off, tag_len; /* --tag: its arguments, in tags */
} cmd;

/* A task's payload: this header, then the command's text (no NUL). */
typedef struct cmd_task {
  uint64_t line;
} cmd_task;

/* A result: this header, then the first out_kept bytes of stdout, then err_kept of stderr.
 * A failed run sends one too: the library hands it to the master's failed. */
typedef struct cmd_result {
  uint64_t line;
  double start;                  /* when it started: seconds since 1970 (--joblog) */
  double seconds;                /* from start to exit */
  int32_t exitval, signal;       /* as GNU parallel's job log has them */
  uint64_t out_bytes, err_bytes; /* what the command wrote */
  uint32_t out_kept, err_kept;   /* what follows (less when --max-output cut it) */
  uint32_t attempt;
  int32_t rank;
  char node[NODE_MAX];
} cmd_result;

/* What the master knows of a command: nothing yet, its output waiting for its turn, or its
 * output printed (or none to print). A command that failed for good (the library's failed hook)
 * has failed set; its output, when its last run sent some, goes out at its turn like any. */
enum { R_NONE, R_SPOOLED, R_DONE };
typedef struct rec {
  double start, seconds;
  int32_t exitval, signal;
  uint64_t spool_off; /* where its output waits, when it came before its turn */
  uint64_t out_bytes, err_bytes;
  uint32_t out_kept, err_kept;
  int32_t node; /* index in the node table */
  int state;
  int failed; /* failed for good */
  int status; /* then: the verdict's code (exit status, 128 + signal, 124 timeout, ...) */
  /* --line-buffer: its output came in pieces (partial) and went out as they came, so its result's
   * copy of it is not printed; pieces that came before its turn wait in the spool, a chain of
   * records from held (offset + 1; 0: none) to held_last. */
  int live;
  uint64_t held, held_last;
} rec;

/* --halt WHEN,WHY=N (GNU parallel's): after N (or N% of all) commands failed, succeeded or
 * ended, in this run, stop: now (tf_stop's NOW: the commands running are abandoned) or soon
 * (SOON: they run to their end). */
enum { HALT_FAIL, HALT_SUCCESS, HALT_DONE };
typedef struct halt {
  int when;                  /* 0: never; TF_STOP_SOON or TF_STOP_NOW */
  int why;                   /* HALT_* */
  uint64_t n;                /* the count, or the percentage when pct */
  int pct;                   /* N%: of all the commands */
  uint64_t fails, successes; /* so far, in this run (not those the journal gave back) */
  int counting;              /* generate has run: collect no longer sees the journal's results */
  int reached;               /* tf_stop was called */
} halt;

typedef struct cmdfarm {
  const char *commands, *outdir, *summary, *joblog, *halt_arg; /* options */
  halt halt;
  uint64_t max_output;
  double timeout;
  tf_strings argfiles; /* -a FILE: argument sources */
  int keep_order, dry_run, tag, line_buffer;
  char *tags; /* --tag: every job's arguments, joined by spaces */
  int parallel;  /* COMMAND ::: ARGS (GNU parallel's way): raw output, no [line N] */
  /* FILE, read by check_options on every rank (a worker frees it in worker_init). */
  char *text;
  size_t text_len, longest;
  cmd *cmds;
  uint64_t ncmds, nlines;
  char key[48];       /* "commands-digest=HEX": the journal_key, a digest of FILE's bytes */
  /* Master (master_init sets it up). */
  int quiet;
  char here[NODE_MAX]; /* the master's node: "Host" is ":" for commands run there (--joblog) */
  uint64_t next;   /* next command to submit */
  uint64_t cursor; /* output of every command before this one is printed (or never came) */
  rec *recs;
  int spool_fd; /* out-of-turn output, waiting for its turn */
  uint64_t spool_len;
  char **nodes; /* node names, and an open-addressing index into them */
  int32_t *slots;
  size_t nnodes, nslots;
  /* Worker. */
  char node[NODE_MAX];
  int close_max; /* highest fd a child closes when close_range is missing */
} cmdfarm;

/* What a command is called in messages: its line in FILE, or its job number (GNU parallel's form). */
#define UNIT(c) ((c)->parallel ? "job" : "line")

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* FNV-1a, 64 bits: the digest of FILE that goes into the journal's fingerprint. */
static uint64_t fnv1a(uint64_t h, const void *p, size_t n) {
  const unsigned char *b = p;
  for (size_t i = 0; i < n; i++)
    h = (h ^ b[i]) * UINT64_C(0x100000001b3);
  return h;
}

/* ---- FILE, read in main ------------------------------------------------------------------ */

static const char *kind_of(mode_t mode) {
  return S_ISDIR(mode)    ? "a directory"
         : S_ISFIFO(mode) ? "a FIFO (a named pipe)"
         : S_ISCHR(mode)  ? "a character device"
         : S_ISBLK(mode)  ? "a block device"
         : S_ISSOCK(mode) ? "a socket"
                          : "not a regular file";
}

/* FILE, whole. Only a regular file: a FIFO would block every rank until a writer came (and each
 * rank reads FILE), /dev/zero never ends. It is read up to the size it had when opened. */
static int read_all(const char *path, char **text, size_t *len, char *err, size_t n) {
  /* O_NONBLOCK: a FIFO's open must not wait for a writer before it is refused. */
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) return snprintf(err, n, "cannot open %s: %s", path, strerror(errno)), -1;
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    int e = errno;
    if (S_ISREG(st.st_mode))
      snprintf(err, n, "cannot read %s: %s", path, strerror(e));
    else
      snprintf(err, n,
               "%s is %s, not a regular file: " ME " reads its commands from a file (save them "
               "to one first)",
               path, kind_of(st.st_mode));
    close(fd);
    return -1;
  }
  size_t size = (size_t)st.st_size, used = 0;
  char *buf = malloc(size ? size : 1);
  if (!buf) {
    close(fd);
    return snprintf(err, n, "%s: out of memory reading its %zu bytes", path, size), -1;
  }
  while (used < size) {
    ssize_t got = pread(fd, buf + used, size - used, (off_t)used);
    if (got == 0) break;
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      snprintf(err, n, "cannot read %s: %s", path, strerror(errno));
      free(buf);
      close(fd);
      return -1;
    }
    used += (size_t)got;
  }
  close(fd);
  *text = buf;
  *len = used;
  return 0;
}

/* Split the text into lines; a command is a line with something other than blanks that does
 * not start (after blanks) with '#'. A line's trailing '\r' is dropped (files from Windows). */
static int index_commands(cmdfarm *c, const char *path, char *err, size_t n) {
  size_t cap = 0;
  for (size_t off = 0; off < c->text_len;) {
    char *nl = memchr(c->text + off, '\n', c->text_len - off);
    size_t end = nl ? (size_t)(nl - c->text) : c->text_len, len = end - off;
    c->nlines++;
    if (len && c->text[off + len - 1] == '\r') len--;
    size_t k = 0;
    while (k < len && (c->text[off + k] == ' ' || c->text[off + k] == '\t'))
      k++;
    if (k < len && c->text[off + k] != '#') {
      if (memchr(c->text + off, '\0', len))
        return snprintf(err, n, "%s: line %llu holds a NUL byte", path,
                        (unsigned long long)c->nlines),
               -1;
      if (c->ncmds == cap) {
        cmd *p = realloc(c->cmds, (cap = cap ? 2 * cap : 1024) * sizeof *p);
        if (!p) return snprintf(err, n, "%s: out of memory indexing it", path), -1;
        c->cmds = p;
      }
      c->cmds[c->ncmds++] = (cmd){c->nlines, off, len, 0, 0};
      if (len > c->longest) c->longest = len;
    }
    off = end + 1;
  }
  return 0;
}

/* ---- Options ---------------------------------------------------------------------------- */

/* mkdir -p: --output-dir is made on every rank (on a shared file system they race; EEXIST is
 * fine). */
static int make_dirs(const char *path, char *err, size_t n) {
  char p[PATH_MAX];
  if (snprintf(p, sizeof p, "%s", path) >= (int)sizeof p)
    return snprintf(err, n, "--output-dir: name too long"), -1;
  for (char *s = p + 1;; s++) {
    if (*s && *s != '/') continue;
    char saved = *s;
    *s = '\0';
    if (mkdir(p, 0777) && errno != EEXIST)
      return snprintf(err, n, "--output-dir: cannot create %s: %s", p, strerror(errno)), -1;
    *s = saved;
    if (!saved) break;
  }
  struct stat st;
  if (stat(path, &st) || !S_ISDIR(st.st_mode))
    return snprintf(err, n, "--output-dir: %s is not a directory", path), -1;
  if (access(path, W_OK | X_OK))
    return snprintf(err, n, "--output-dir: cannot write in %s: %s", path, strerror(errno)), -1;
  return 0;
}

/* The most commands the product of the argument sources may make. */
#define MAX_JOBS 100000000ull

/* COMMAND... ::: ARG... [::: ARG...], :::: FILE..., -a FILE: the commands GNU parallel would
 * run, one per job in its order (job k is "line" k + 1, {#} and TASKFARM_LINE), into c->text
 * and c->cmds. The -a sources come first. 0, or -1 with the reason in err. */
static int build_jobs(cmdfarm *c, const tf_config *cfg, char *err, size_t n) {
  int nops = cfg->noperands, k = 0, nsrc = 0, rc = -1;
  char *const *ops = cfg->operands;
  cf_buf tmpl = {0}, text = {0}, tags = {0};
  cf_source *src = calloc((size_t)nops + (size_t)c->argfiles.count + 1, sizeof *src);
  const char **args = calloc((size_t)nops + (size_t)c->argfiles.count + 1, sizeof *args);
  if (!src || !args || cf_put(&tmpl, "", 0)) goto oom;
  for (; k < nops && strcmp(ops[k], ":::") && strcmp(ops[k], "::::"); k++)
    if ((k && cf_put(&tmpl, " ", 1)) || cf_put(&tmpl, ops[k], strlen(ops[k]))) goto oom;
  for (int i = 0; i < c->argfiles.count; i++)
    if (cf_read_source(c->argfiles.values[i], &src[nsrc++], err, n)) goto out;
  while (k < nops) {
    const char *sep = ops[k];
    int first = ++k;
    while (k < nops && strcmp(ops[k], ":::") && strcmp(ops[k], "::::"))
      k++;
    if (k == first) {
      snprintf(err, n, "%s with nothing after it", sep);
      goto out;
    }
    if (!strcmp(sep, ":::")) {
      src[nsrc++] = (cf_source){(char **)ops + first, (size_t)(k - first), 0};
      continue;
    }
    for (int f = first; f < k; f++)
      if (cf_read_source(ops[f], &src[nsrc++], err, n)) goto out;
  }
  if (!nsrc) {
    snprintf(err, n, "no arguments: give ::: ARG..., :::: FILE or -a FILE after the command");
    goto out;
  }
  uint64_t jobs = cf_job_count(src, nsrc);
  if (jobs > MAX_JOBS) {
    snprintf(err, n, "the argument sources make more than %llu commands", MAX_JOBS);
    goto out;
  }
  if (jobs && !(c->cmds = malloc(jobs * sizeof *c->cmds))) goto oom;
  for (uint64_t j = 0; j < jobs; j++) {
    cf_job_args(src, nsrc, j, args);
    size_t off = text.len;
    int e = cf_expand(&text, tmpl.p, args, nsrc, j + 1, err, n);
    if (e < 0) goto oom;
    if (e > 0) goto out;
    c->cmds[j] = (cmd){j + 1, off, text.len - off, tags.len, 0};
    for (int a = 0; c->tag && a < nsrc; a++)
      if ((a && cf_put(&tags, " ", 1)) || cf_put(&tags, args[a], strlen(args[a]))) goto oom;
    c->cmds[j].tag_len = tags.len - c->cmds[j].tag_off;
    if (text.len - off > c->longest) c->longest = text.len - off;
    if (cf_put(&text, "\n", 1)) goto oom;
  }
  c->text = text.p, c->text_len = text.len;
  c->tags = tags.p;
  text.p = tags.p = NULL;
  c->ncmds = c->nlines = jobs;
  rc = 0;
  goto out;
oom:
  snprintf(err, n, "out of memory making the commands");
out:
  for (int i = 0; i < nsrc; i++)
    cf_source_free(&src[i]);
  free(src), free(args), free(tmpl.p), free(text.p), free(tags.p);
  return rc;
}

static int check_jobs(cmdfarm *c, const tf_config *cfg, char *err, size_t n);

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
static int parse_halt(cmdfarm *c, char *err, size_t n) {
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

/* FILE (the operand, or --commands FILE) is read here, on every rank; a digest of its bytes
 * becomes the journal_key (read after this), so that the journal is refused for an edited FILE,
 * while FILE's name is no part of it (neither --commands nor the operand is journaled): the
 * same commands under another name resume the journal. */
static int check_options(void *vctx, const tf_config *cfg, char *err, size_t n) {
  cmdfarm *c = vctx;
  if (c->halt_arg && parse_halt(c, err, n)) return -1;
  if (c->line_buffer && c->outdir)
    return snprintf(err, n,
                    "--line-buffer and --output-dir do not go together (with --output-dir "
                    "nothing is printed)"),
           -1;
  if (c->halt_arg && cfg->fail_fast)
    return snprintf(err, n,
                    "--halt and --fail-fast do not go together (--fail-fast is --halt "
                    "now,fail=1)"),
           -1;
  if (c->parallel) {
    if (c->commands)
      return snprintf(err, n, "--commands FILE and arguments (:::, ::::, -a) do not go together"),
             -1;
    if (build_jobs(c, cfg, err, n)) return -1;
    c->commands = "the command line";
    return check_jobs(c, cfg, err, n);
  }
  if (c->tag) return snprintf(err, n, "--tag goes with COMMAND ::: ARGS, not with a FILE"), -1;
  if (cfg->noperands && c->commands)
    return snprintf(err, n, "two command files: --commands %s and %s", c->commands,
                    cfg->operands[0]),
           -1;
  if (cfg->noperands) c->commands = cfg->operands[0];
  if (!c->commands)
    return snprintf(err, n, "no command FILE given (usage: taskfarm-cmdfarm [OPTIONS] FILE)"), -1;
  free(c->text), free(c->cmds);
  c->text = NULL, c->cmds = NULL, c->ncmds = c->nlines = c->longest = 0;
  if (read_all(c->commands, &c->text, &c->text_len, err, n) ||
      index_commands(c, c->commands, err, n))
    return -1;
  return check_jobs(c, cfg, err, n);
}

/* The commands are known (c->text, c->cmds): their digest as the journal_key, and whether the
 * largest fits a task and the output a result. */
static int check_jobs(cmdfarm *c, const tf_config *cfg, char *err, size_t n) {
  uint64_t d = fnv1a(UINT64_C(0xcbf29ce484222325), c->text ? c->text : "", c->text_len);
  snprintf(c->key, sizeof c->key, "commands-digest=%016llx", (unsigned long long)d);
  if (c->longest + sizeof(cmd_task) > cfg->max_payload)
    return snprintf(err, n, "%s: a command of %zu bytes does not fit --max-payload %llu",
                    c->commands, c->longest, (unsigned long long)cfg->max_payload),
           -1;
  /* Both streams of one command must fit one result. */
  if (!c->outdir && 2 * c->max_output + sizeof(cmd_result) > cfg->max_payload)
    return snprintf(err, n,
                    "--max-output %llu: stdout and stderr of one command (2 x %llu bytes) would "
                    "not fit --max-payload %llu; raise --max-payload or use --output-dir",
                    (unsigned long long)c->max_output, (unsigned long long)c->max_output,
                    (unsigned long long)cfg->max_payload),
           -1;
  if (c->outdir) return make_dirs(c->outdir, err, n);
  return 0;
}

/* ---- Master ------------------------------------------------------------------------------- */

/* Before the journal is read back into collect and before generate: a record per command. */
static int master_init(tf_handle *h, void *vctx) {
  cmdfarm *c = vctx;
  c->quiet = tf_get_config(h)->quiet;
  int len = 0;
  if (MPI_Get_processor_name(c->here, &len) != MPI_SUCCESS || len < 0 || len >= NODE_MAX) len = 0;
  c->here[len] = '\0';
  if (c->dry_run) { /* the commands, one a line, and nothing runs (generate gives none) */
    for (uint64_t i = 0; i < c->ncmds; i++)
      printf("%.*s\n", (int)c->cmds[i].len, c->text + c->cmds[i].off);
    return fflush(stdout) ? -1 : 0;
  }
  if (c->ncmds && !(c->recs = calloc(c->ncmds, sizeof *c->recs))) {
    fprintf(stderr, ME ": out of memory for %llu commands\n", (unsigned long long)c->ncmds);
    return TF_ENOMEM;
  }
  return 0;
}

static int generate(tf_handle *h, void *vctx) {
  cmdfarm *c = vctx;
  c->halt.counting = 1; /* the journal's results, if any, came before */
  if (c->dry_run) return TF_GEN_DONE;
  if (c->next == 0 && tf_set_total(h, c->ncmds)) return -1;
  if (c->next >= c->ncmds) return TF_GEN_DONE; /* an empty FILE: finish says so */
  const cmd *k = &c->cmds[c->next];
  size_t size = sizeof(cmd_task) + k->len;
  unsigned char *buf = malloc(size);
  if (!buf) return TF_ENOMEM;
  cmd_task t = {k->line};
  memcpy(buf, &t, sizeof t);
  memcpy(buf + sizeof t, c->text + k->off, k->len);
  int rc = tf_submit(h, buf, size);
  free(buf);
  if (rc) return rc;
  return ++c->next < c->ncmds ? TF_GEN_MORE : TF_GEN_DONE;
}

/* The node table: results carry the node's name, the master keeps an index into this (open
 * addressing, at most half full: a million results from a thousand nodes stay cheap). */
static int grow_nodes(cmdfarm *c) {
  size_t ns = c->nslots ? 2 * c->nslots : 64;
  int32_t *s = malloc(ns * sizeof *s);
  char **nd = realloc(c->nodes, ns / 2 * sizeof *nd);
  if (nd) c->nodes = nd;
  if (!s || !nd) return free(s), -1;
  for (size_t i = 0; i < ns; i++)
    s[i] = -1;
  for (size_t i = 0; i < c->nnodes; i++) {
    size_t j = fnv1a(UINT64_C(0xcbf29ce484222325), c->nodes[i], strlen(c->nodes[i])) & (ns - 1);
    while (s[j] >= 0)
      j = (j + 1) & (ns - 1);
    s[j] = (int32_t)i;
  }
  free(c->slots);
  c->slots = s;
  c->nslots = ns;
  return 0;
}

static int32_t intern_node(cmdfarm *c, const char *name) {
  if (2 * (c->nnodes + 1) > c->nslots && grow_nodes(c)) return -1;
  size_t j = fnv1a(UINT64_C(0xcbf29ce484222325), name, strlen(name)) & (c->nslots - 1);
  for (; c->slots[j] >= 0; j = (j + 1) & (c->nslots - 1))
    if (!strcmp(c->nodes[c->slots[j]], name)) return c->slots[j];
  if (!(c->nodes[c->nnodes] = strdup(name))) return -1;
  c->slots[j] = (int32_t)c->nnodes;
  return (int32_t)c->nnodes++;
}

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
static void emit(FILE *f, uint64_t line, const char *p, size_t n, uint64_t total) {
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
    void (*put_stream)(FILE *, uint64_t, const char *, size_t, uint64_t) = c->parallel ? emit_raw : emit;
    put_stream(stdout, line, out, r->out_kept, r->out_bytes);
    put_stream(stderr, line, err, r->err_kept, r->err_bytes);
  }
  return ferror(stdout) ? -1 : 0;
}

static int spool_io(int fd, char *p, size_t n, uint64_t off, int writing) {
  while (n) {
    ssize_t k = writing ? pwrite(fd, p, n, (off_t)off) : pread(fd, p, n, (off_t)off);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) return -1;
    p += k, n -= (size_t)k, off += (uint64_t)k;
  }
  return 0;
}

/* ---- --line-buffer: pieces of the output of commands that still run ---- */

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
    emit(f, line, p + 1, n - 1, n - 1);
  fflush(f);
  return ferror(stdout) ? -1 : 0;
}

static int spool_append(cmdfarm *c, const char *data, size_t n, uint64_t *off);

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

/* Print the output of every command from the cursor on that is here, in line order, passing
 * over those that failed for good (their output went to stderr on their worker). At the end
 * (all = 1) also skip over the commands that never sent a result. */
static int advance(cmdfarm *c, int all) {
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

/* Command id ended, with the result its (last) run sent (size bytes, or none): noted, and its
 * output printed if it is its turn (then that of the commands after it that waited), else
 * spooled until then; out of order, printed at once. Under --line-buffer, output that came in
 * pieces went out as they came (or waits for its turn): the result's copy is not printed. */
static int ended(cmdfarm *c, uint64_t id, const void *data, size_t size, int failed, int status) {
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
    if (x.line != c->cmds[id].line || size != sizeof x + (size_t)x.out_kept + x.err_kept)
      return -1;
    x.node[NODE_MAX - 1] = '\0';
    *r = (rec){x.start,    x.seconds,    x.exitval, x.signal, 0,      x.out_bytes, x.err_bytes,
               x.out_kept, x.err_kept,   0,         R_DONE,   failed, status,      was.live,
               was.held,   was.held_last};
    if ((r->node = intern_node(c, x.node)) < 0) return -1;
    const char *out = (const char *)data + sizeof x;
    int printed = c->outdir || r->live; /* in files, or in pieces already */
    if (!printed && in_order(c) && id != c->cursor)
      return spool(c, r, out, (size_t)x.out_kept + x.err_kept);
    if (!printed && print_output(c, id, out, out + x.out_kept)) return -1;
  }
  if (c->outdir || !in_order(c) || id != c->cursor) return 0;
  c->cursor++;
  return advance(c, 0);
}

/* --halt: command id ended in this run, failed or not; when that makes the count, the run
 * stops (tf_stop), with status 0 for success=N, or done=N without a failure, else TF_EAPP. */
static int count_for_halt(tf_handle *h, cmdfarm *c, uint64_t id, int failed) {
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

/* --line-buffer: a piece of a running command's output, printed now when the command's output
 * may go out now (as commands end, or it is its turn), else held for its turn. */
static int partial(tf_handle *h, const tf_task *piece, void *vctx) {
  (void)h;
  cmdfarm *c = vctx;
  const char *p = piece->data;
  if (!c->recs || piece->id >= c->ncmds || piece->size < 1 || (unsigned char)p[0] > 1) return -1;
  rec *r = &c->recs[piece->id];
  r->live = 1;
  if (in_order(c) && piece->id > c->cursor) return hold_piece(c, r, p, piece->size);
  return print_piece(c, piece->id, p, piece->size);
}

static int collect(tf_handle *h, const tf_task *result, void *vctx) {
  int rc = ended(vctx, result->id, result->data, result->size, 0, 0);
  return rc ? rc : count_for_halt(h, vctx, result->id, 0);
}

/* A command failed for good: noted with its code and, when its last run ended, its output,
 * printed in its turn as the others' (no run ended when its workers were lost). */
static int failed(tf_handle *h, const tf_failure *f, void *vctx) {
  int rc = ended(vctx, f->id, f->result, f->result_size, 1, f->status);
  return rc ? rc : count_for_halt(h, vctx, f->id, 1);
}

/* A command for a TSV field: tabs, newlines and backslashes escaped. */
static void tsv_text(FILE *f, const char *p, size_t n) {
  for (size_t i = 0; i < n; i++) {
    switch (p[i]) {
    case '\t': fputs("\\t", f); break;
    case '\n': fputs("\\n", f); break;
    case '\r': fputs("\\r", f); break;
    case '\\': fputs("\\\\", f); break;
    default: fputc(p[i], f);
    }
  }
}

/* --summary, written whole (tf_output_*): a run killed while writing it leaves no half table. */
static int write_summary(const cmdfarm *c, const char *missing) {
  tf_output out;
  char err[600];
  if (tf_output_open(c->summary, &out, err, sizeof err))
    return fprintf(stderr, ME ": --summary %s\n", err), -1;
  FILE *f = out.file;
  fprintf(f, "line\tstatus\texit\tseconds\tnode\tcommand\n");
  for (uint64_t i = 0; i < c->ncmds; i++) {
    const rec *r = c->recs ? &c->recs[i] : NULL;
    fprintf(f, "%llu\t", (unsigned long long)c->cmds[i].line);
    if (!r || r->state == R_NONE)
      fprintf(f, "%s\t-\t-\t-\t", missing);
    else if (r->node < 0) /* failed without a run that ended */
      fprintf(f, "failed\t%d\t-\t-\t", r->status);
    else
      fprintf(f, "%s\t%d\t%.3f\t%s\t", r->failed ? "failed" : "ok", r->status, r->seconds,
              c->nodes[r->node]);
    tsv_text(f, c->text + c->cmds[i].off, c->cmds[i].len);
    fputc('\n', f);
  }
  if (tf_output_commit(&out, err, sizeof err))
    return fprintf(stderr, ME ": --summary %s\n", err), -1;
  return 0;
}

/* --joblog FILE: GNU parallel's job log, its header and columns, a row per command that ran
 * (in line order; parallel writes them as they end). Host is ":" for the master's own node. */
static int write_joblog(const cmdfarm *c) {
  tf_output out;
  char err[600];
  if (tf_output_open(c->joblog, &out, err, sizeof err))
    return fprintf(stderr, ME ": --joblog %s\n", err), -1;
  FILE *f = out.file;
  fprintf(f, "Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\tCommand\n");
  for (uint64_t i = 0; c->recs && i < c->ncmds; i++) {
    const rec *r = &c->recs[i];
    if (r->state == R_NONE || r->node < 0) continue; /* never ran, or no run ended */
    const char *host = strcmp(c->nodes[r->node], c->here) ? c->nodes[r->node] : ":";
    fprintf(f, "%llu\t%s\t%.3f\t%10.3f\t0\t%llu\t%d\t%d\t%.*s\n",
            (unsigned long long)c->cmds[i].line, host, r->start, r->seconds,
            (unsigned long long)r->out_bytes, r->exitval, r->signal, (int)c->cmds[i].len,
            c->text + c->cmds[i].off);
  }
  if (tf_output_commit(&out, err, sizeof err))
    return fprintf(stderr, ME ": --joblog %s\n", err), -1;
  return 0;
}

/* " 3 7 12" for the commands that pass the test, at most LISTED_MAX of them. */
static void list_lines(const cmdfarm *c, int (*pick)(const rec *)) {
  uint64_t shown = 0, all = 0;
  for (uint64_t i = 0; i < c->ncmds; i++) {
    if (!pick(&c->recs[i])) continue;
    if (shown < LISTED_MAX) fprintf(stderr, " %llu", (unsigned long long)c->cmds[i].line), shown++;
    all++;
  }
  if (all > shown)
    fprintf(stderr, " ... (%llu more%s)", (unsigned long long)(all - shown),
            c->summary ? ", all in --summary" : "");
}
static int pick_failed(const rec *r) { return r->failed; }
static int pick_missing(const rec *r) { return r->state == R_NONE; }
static int pick_cut(const rec *r) { /* what came in pieces (--line-buffer) is never cut */
  return r->state != R_NONE && !r->live &&
         (r->out_bytes > r->out_kept || r->err_bytes > r->err_kept);
}

/* The end of a run, however it ended (master_fini: after finish, or after a stop signal,
 * --fail-fast or a failure, when finish did not run; the journal is closed by then): the rest of
 * the output in line order, the summary table, and on stderr how many commands succeeded, which
 * failed for good (the failed hook said so) and which did not finish (no result, no verdict:
 * they never ran, or ran when the run was cut short). */
static int master_fini(tf_handle *h, void *vctx) {
  (void)h;
  cmdfarm *c = vctx;
  if (c->dry_run) return 0;
  if (!c->ncmds) {
    if (c->parallel)
      fprintf(stderr, ME ": an argument source is empty: no command to run\n");
    else
      fprintf(stderr, ME ": %s has no commands (%llu lines, blank or comments): nothing to do\n",
              c->commands, (unsigned long long)c->nlines);
    return (c->summary && write_summary(c, "")) || (c->joblog && write_joblog(c)) ? -1 : 0;
  }
  int rc = c->outdir ? 0 : advance(c, 1);
  fflush(stdout);
  uint64_t ok = 0, bad = 0, cut = 0;
  for (uint64_t i = 0; i < c->ncmds; i++) {
    ok += c->recs[i].state != R_NONE && !c->recs[i].failed;
    bad += pick_failed(&c->recs[i]);
    cut += pick_cut(&c->recs[i]);
  }
  uint64_t missing = c->ncmds - ok - bad;
  if (c->summary && write_summary(c, "not-done")) rc = -1;
  if (c->joblog && write_joblog(c)) rc = -1;
  if (c->quiet) return rc;
  fprintf(stderr, ME ": %llu command%s: %llu succeeded", (unsigned long long)c->ncmds,
          c->ncmds == 1 ? "" : "s", (unsigned long long)ok);
  if (bad) {
    fprintf(stderr, ", %llu failed: %s%s", (unsigned long long)bad, UNIT(c), bad == 1 ? "" : "s");
    list_lines(c, pick_failed);
  }
  if (missing) {
    fprintf(stderr, ", %llu did not finish: %s%s", (unsigned long long)missing, UNIT(c),
            missing == 1 ? "" : "s");
    list_lines(c, pick_missing);
  }
  fputc('\n', stderr);
  if (cut) {
    fprintf(stderr,
            ME ": output of %llu command%s cut at --max-output %llu bytes per stream: line%s",
            (unsigned long long)cut, cut == 1 ? "" : "s", (unsigned long long)c->max_output,
            cut == 1 ? "" : "s");
    list_lines(c, pick_cut);
    fputc('\n', stderr);
  }
  return rc;
}

/* ---- Worker ------------------------------------------------------------------------------- */

static int worker_init(tf_handle *h, void *vctx) {
  cmdfarm *c = vctx;
  int len = 0;
  char name[MPI_MAX_PROCESSOR_NAME] = "?";
  if (MPI_Get_processor_name(name, &len) != MPI_SUCCESS) len = 1;
  if (len < 0 || len >= NODE_MAX) len = NODE_MAX - 1; /* a result carries NODE_MAX bytes */
  memcpy(c->node, name, (size_t)len);
  c->node[len] = '\0';
  long m = sysconf(_SC_OPEN_MAX);
  c->close_max = m > 0 && m < 65536 ? (int)m : 65536;
  if (tf_rank(h) > 0) { /* the commands come in the tasks; only the master needs FILE */
    free(c->text), free(c->cmds), free(c->tags);
    c->text = NULL, c->cmds = NULL, c->tags = NULL;
  }
  return 0;
}

/* One output stream of a running command: kept in memory up to a limit, or written to a file. */
typedef struct stream {
  int fd;    /* the pipe; -1 at EOF */
  int file;  /* --output-dir: the file it goes to, else -1 */
  char *buf; /* else: the first `limit` bytes */
  size_t kept, cap, limit;
  uint64_t total;
  int werr; /* errno of a failed write to the file */
  /* --line-buffer: whole lines go to the master as they come (tf_partial through h); line holds
   * the stream's number, then what came after the last newline sent (up to piece_max bytes) */
  tf_handle *h;
  char *line;
  size_t line_len, line_cap, piece_max;
} stream;

/* --line-buffer: the first n bytes after the stream's number in s->line go as one piece. */
static void send_piece(stream *s, size_t n) {
  if (tf_partial(s->h, s->line, 1 + n)) s->h = NULL; /* the task fails (tf_partial said why) */
  memmove(s->line + 1, s->line + 1 + n, s->line_len - n);
  s->line_len -= n;
}

/* --line-buffer: n more bytes of output (eof: the stream ended). Every whole line goes to the
 * master at once; the rest, a line not finished yet, waits for its newline or the end, or goes
 * in parts once it fills a piece. s->line holds a piece and a chunk (line_buffers). */
static void pass_lines(stream *s, const char *p, size_t n, int eof) {
  if (!s->h) return;
  memcpy(s->line + 1 + s->line_len, p, n);
  s->line_len += n;
  const char *nl = memrchr(s->line + 1, '\n', s->line_len);
  size_t whole = eof ? s->line_len : nl ? (size_t)(nl - (s->line + 1)) + 1 : 0;
  while (s->h && (whole || s->line_len >= s->piece_max)) {
    size_t k = whole < s->piece_max ? whole : s->piece_max;
    if (!k) k = s->piece_max;
    send_piece(s, k);
    whole -= whole < k ? whole : k;
  }
}

#define CHUNK 65536 /* bytes read from a pipe at once */

/* --line-buffer: room for the line held back and a chunk read, in each stream. 0 or -1. */
static int line_buffers(tf_handle *h, stream s[2]) {
  uint64_t max = tf_get_config(h)->max_payload - 1; /* a piece is the stream's number and text */
  for (int i = 0; i < 2; i++) {
    s[i].h = h;
    s[i].piece_max = max < LB_PIECE_MAX ? (size_t)max : LB_PIECE_MAX;
    s[i].line_cap = 1 + s[i].piece_max + CHUNK;
    if (!(s[i].line = malloc(s[i].line_cap))) return -1;
    s[i].line[0] = (char)i;
  }
  return 0;
}

static int take(stream *s) {
  char chunk[CHUNK];
  ssize_t n = read(s->fd, chunk, sizeof chunk);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return 0;
  if (n <= 0) { /* EOF (or an error, which ends the stream the same way) */
    close(s->fd);
    s->fd = -1;
    pass_lines(s, chunk, 0, 1);
    return 1;
  }
  s->total += (uint64_t)n;
  pass_lines(s, chunk, (size_t)n, 0);
  if (s->file >= 0) {
    for (ssize_t done = 0; done < n && !s->werr;) {
      ssize_t w = write(s->file, chunk + done, (size_t)(n - done));
      if (w < 0 && errno != EINTR) s->werr = errno;
      if (w > 0) done += w;
    }
    return 0;
  }
  /* Past the limit the pipe is still read (and counted), so that the command never blocks. */
  size_t want = s->kept + (size_t)n < s->limit ? (size_t)n : s->limit - s->kept;
  if (s->kept + want > s->cap) {
    size_t cap = s->cap ? s->cap : 65536;
    while (cap < s->kept + want)
      cap *= 2;
    char *p = realloc(s->buf, cap < s->limit ? cap : s->limit);
    if (!p) return 0; /* cut here; the total still counts */
    s->buf = p;
    s->cap = cap < s->limit ? cap : s->limit;
  }
  memcpy(s->buf + s->kept, chunk, want);
  s->kept += want;
  return 0;
}

/* How a run of a command ended. */
typedef struct outcome {
  int status; /* from waitpid; valid when reaped */
  int reaped, timed_out, spawn_errno, wait_errno;
  int exec_errno; /* the shell could not be started: execve's errno */
  double seconds;
} outcome;

/* ---- Between fork and exec: the worker has other threads (MPI, heartbeats), so only
 * async-signal-safe calls from here to the next section. ---- */

/* Close every descriptor from lo up. */
static void close_from(const cmdfarm *c, int lo) {
#ifdef SYS_close_range
  if (!syscall(SYS_close_range, (unsigned)lo, ~0U, 0)) return;
#endif
  for (int fd = lo; fd < c->close_max; fd++)
    close(fd);
}

#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 34)
#define safe_fork _Fork /* fork without the atfork handlers (MPI's), safe after fork */
#else
#define safe_fork fork
#endif

static volatile sig_atomic_t chld_fd = -1; /* the guardian's self-pipe */
static void on_chld(int sig) {
  (void)sig;
  int e = errno;
  char b = 0;
  ssize_t r = write(chld_fd, &b, 1); /* a full pipe is fine: a wake-up is pending */
  (void)r;
  errno = e;
}

/* The command: default signals, nothing blocked, no descriptor but 0, 1, 2; the shell. When
 * execve fails (E2BIG: the command is over the argument limit), its errno goes to the guardian
 * through errfd, which a successful execve closes (FD_CLOEXEC). */
static void command(const cmdfarm *c, char **argv, char **envp, int errfd) {
  struct sigaction dfl;
  memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  for (int s = 1; s < NSIG; s++)
    sigaction(s, &dfl, NULL); /* SIG_IGN would survive exec (the guardian ignores SIGTERM) */
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  if (dup2(errfd, 3) < 0 || fcntl(3, F_SETFD, FD_CLOEXEC) < 0) _exit(127);
  close_from(c, 4);
  execve("/bin/sh", argv, envp);
  int e = errno;
  ssize_t w = write(3, &e, sizeof e);
  (void)w;
  _exit(127);
}

/* The guardian: leads the command's process group, runs the shell in it, and sends its wait
 * status (and execve's errno when the shell could not start) back over `life`, a socket to the
 * worker. Should the worker die first (a lost worker,
 * an aborted job), the socket reads EOF and the guardian kills the whole group: nothing of the
 * command runs on, twice with its retry elsewhere. It ignores the SIGTERM of --timeout, which is
 * for the command (SIGKILL, later, ends it too). */
static void guardian(const cmdfarm *c, pid_t parent, int devnull, int out, int err, int life,
                     char **argv, char **envp) {
  setpgid(0, 0);
  if (getppid() != parent) _exit(127); /* the worker is gone already */
  if (dup2(devnull, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0 || dup2(life, 3) < 0) _exit(127);
  close_from(c, 4);
  int sp[2];
  if (pipe2(sp, O_CLOEXEC | O_NONBLOCK)) _exit(127);
  chld_fd = sp[1];
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_chld;
  sa.sa_flags = SA_NOCLDSTOP | SA_RESTART;
  sigaction(SIGCHLD, &sa, NULL);
  sa.sa_handler = SIG_IGN;
  sa.sa_flags = 0;
  sigaction(SIGTERM, &sa, NULL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  int ep[2];
  if (pipe2(ep, O_CLOEXEC)) _exit(127);
  pid_t sh = safe_fork();
  if (sh == 0) command(c, argv, envp, ep[1]);
  if (sh < 0) _exit(127);
  close(ep[1]);
  close(0), close(1), close(2); /* the output ends when the command's processes end */
  for (;;) {
    struct pollfd pf[2] = {{3, POLLIN, 0}, {sp[0], POLLIN, 0}};
    if (poll(pf, 2, -1) < 0) continue;
    char b[64];
    if (pf[0].revents && read(3, b, sizeof b) <= 0) { /* EOF: the worker died */
      kill(-getpid(), SIGKILL);
      _exit(127);
    }
    while (read(sp[0], b, sizeof b) > 0) {
    }
    int st;
    if (waitpid(sh, &st, WNOHANG) == sh) {
      /* The shell's end of ep is closed by now (by execve, or by its exit). */
      int msg[2] = {st, 0};
      if (read(ep[0], &msg[1], sizeof msg[1]) != (ssize_t)sizeof msg[1]) msg[1] = 0;
      send(3, msg, sizeof msg, MSG_NOSIGNAL);
      _exit(0);
    }
  }
}

/* ---- Back in the worker. ---- */

/* The environment of a command: the worker's, with TASKFARM_LINE, _RANK and _ATTEMPT set. */
static char **command_env(char vars[3][48], uint64_t line, int rank, unsigned attempt) {
  size_t n = 0;
  for (char **e = environ; *e; e++)
    n++;
  char **env = malloc((n + 4) * sizeof *env);
  if (!env) return NULL;
  size_t k = 0;
  for (char **e = environ; *e; e++)
    if (strncmp(*e, "TASKFARM_LINE=", 14) && strncmp(*e, "TASKFARM_RANK=", 14) &&
        strncmp(*e, "TASKFARM_ATTEMPT=", 17))
      env[k++] = *e;
  snprintf(vars[0], 48, "TASKFARM_LINE=%llu", (unsigned long long)line);
  snprintf(vars[1], 48, "TASKFARM_RANK=%d", rank);
  snprintf(vars[2], 48, "TASKFARM_ATTEMPT=%u", attempt);
  env[k++] = vars[0], env[k++] = vars[1], env[k++] = vars[2];
  env[k] = NULL;
  return env;
}

/* Run the command to its end (or past --timeout: SIGTERM to its process group, SIGKILL
 * KILL_GRACE_S later), reading stdout and stderr as they come (poll: neither pipe can fill up
 * and block the command). The output ends when every process holding the pipes is gone,
 * background jobs included; a second after the SIGKILL the worker stops waiting for it. */
static void run_command(const cmdfarm *c, const char *command, uint64_t line, int rank,
                        unsigned attempt, stream s[2], outcome *o) {
  memset(o, 0, sizeof *o);
  int po[2] = {-1, -1}, pe[2] = {-1, -1};
  int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
  char vars[3][48];
  char **env = command_env(vars, line, rank, attempt);
  char *argv[] = {"sh", "-c", (char *)command, NULL};
  double t0 = now();
  pid_t pid = -1, parent = getpid();
  int life[2] = {-1, -1};
  if (devnull < 0 || !env || pipe2(po, O_CLOEXEC) || pipe2(pe, O_CLOEXEC) ||
      socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, life))
    o->spawn_errno = errno ? errno : ENOMEM;
  else if ((pid = fork()) == 0)
    guardian(c, parent, devnull, po[1], pe[1], life[1], argv, env);
  else if (pid < 0)
    o->spawn_errno = errno;
  if (devnull >= 0) close(devnull);
  if (po[1] >= 0) close(po[1]);
  if (pe[1] >= 0) close(pe[1]);
  if (life[1] >= 0) close(life[1]);
  free(env);
  s[0].fd = po[0], s[1].fd = pe[0];
  if (pid < 0) {
    for (int i = 0; i < 2; i++)
      if (s[i].fd >= 0) close(s[i].fd), s[i].fd = -1;
    if (life[0] >= 0) close(life[0]);
    return;
  }
  setpgid(pid, pid); /* the guardian does it too: whichever runs first */
  double deadline = c->timeout > 0 ? t0 + c->timeout : NEVER, kill_at = NEVER, abandon_at = NEVER;
  for (;;) {
    if (!o->reaped) {
      pid_t r = waitpid(pid, &o->status, WNOHANG);
      if (r == pid) o->reaped = 1, o->seconds = now() - t0;
      if (r < 0 && errno != EINTR) o->reaped = 1, o->wait_errno = errno, o->seconds = now() - t0;
    }
    int open_fds = (s[0].fd >= 0) + (s[1].fd >= 0);
    if (o->reaped && !open_fds) break;
    double t = now();
    if (t >= deadline) { /* once: then the deadline is NEVER */
      o->timed_out = 1;
      kill(-pid, SIGTERM);
      deadline = NEVER, kill_at = t + KILL_GRACE_S;
    }
    if (t >= kill_at) {
      kill(-pid, SIGKILL);
      kill_at = NEVER, abandon_at = t + 1;
    }
    if (t >= abandon_at) { /* something outside the group holds the pipes: stop reading */
      for (int i = 0; i < 2; i++)
        if (s[i].fd >= 0) close(s[i].fd), s[i].fd = -1;
      abandon_at = NEVER;
      continue;
    }
    double next = deadline < kill_at ? deadline : kill_at;
    next = next < abandon_at ? next : abandon_at;
    int ms = next >= NEVER ? -1 : (int)((next - t) * 1000) + 1; /* rounded up */
    if (!open_fds) { /* the pipes are closed, the shell still runs */
      if (ms < 0) {  /* no deadline: just wait for it */
        if (waitpid(pid, &o->status, 0) == pid) o->reaped = 1, o->seconds = now() - t0;
        continue;
      }
      poll(NULL, 0, ms < 5 ? ms : 5); /* a deadline: check again in 5 ms */
      continue;
    }
    struct pollfd pf[2] = {{s[0].fd, POLLIN, 0}, {s[1].fd, POLLIN, 0}};
    if (poll(pf, 2, ms) <= 0) continue;
    for (int i = 0; i < 2; i++)
      if (pf[i].revents && s[i].fd >= 0) take(&s[i]);
  }
  if (!o->seconds) o->seconds = now() - t0;
  /* The guardian's exit says little: the shell's wait status came over the socket. Without it
   * (the guardian was killed: --timeout's SIGKILL) the guardian's own status stands. */
  int msg[2];
  if (recv(life[0], msg, sizeof msg, MSG_DONTWAIT) == (ssize_t)sizeof msg)
    o->status = msg[0], o->exec_errno = msg[1], o->wait_errno = 0;
  else if (!o->wait_errno && WIFEXITED(o->status))
    o->status = 127 << 8; /* it could not start the shell */
  close(life[0]);
}

/* --output-dir: DIR/LINE.out and DIR/LINE.err, written as DIR/.LINE.out.RANK and renamed when the
 * command is done, so that two runs of one command (a --task-timeout copy) never mix. */
static int open_outputs(const cmdfarm *c, uint64_t line, int rank, stream s[2],
                        char tmp[2][PATH_MAX]) {
  static const char *const ext[2] = {"out", "err"};
  for (int i = 0; i < 2; i++) {
    snprintf(tmp[i], PATH_MAX, "%s/.%llu.%s.%d", c->outdir, (unsigned long long)line, ext[i], rank);
    s[i].file = open(tmp[i], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (s[i].file < 0) {
      fprintf(stderr, ME ": line %llu: cannot create %s: %s\n", (unsigned long long)line, tmp[i],
              strerror(errno));
      for (int j = 0; j < i; j++) /* nothing half made stays behind */
        close(s[j].file), unlink(tmp[j]), s[j].file = -1;
      return -1;
    }
  }
  return 0;
}

static int close_outputs(const cmdfarm *c, uint64_t line, stream s[2], char tmp[2][PATH_MAX]) {
  static const char *const ext[2] = {"out", "err"};
  int bad = 0;
  for (int i = 0; i < 2; i++) {
    if (s[i].file < 0) continue;
    if (close(s[i].file) && !s[i].werr) s[i].werr = errno;
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%llu.%s", c->outdir, (unsigned long long)line, ext[i]);
    if (!s[i].werr && rename(tmp[i], path)) s[i].werr = errno;
    if (s[i].werr) {
      fprintf(stderr, ME ": line %llu: cannot write %s: %s\n", (unsigned long long)line, path,
              strerror(s[i].werr));
      unlink(tmp[i]);
      bad = 1;
    }
  }
  return bad ? -1 : 0;
}

/* A failed run, told by the worker: what happened, in one write so that ranks do not interleave.
 * The output of the last run goes to the master with the failure (printed in its turn there);
 * that of a run to be tried again (retries left) is printed here, prefixed, after the message. */
static void tell_failure(const cmdfarm *c, const char *command, uint64_t line, tf_id id, int rank,
                         unsigned attempt, int retries, const char *why, double seconds,
                         const stream s[2]) {
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  if (!f) f = stderr;
  size_t n = strlen(command);
  fprintf(f, ME ": %s %llu (task %llu) failed on rank %d (%s), attempt %u of %d: ", UNIT(c),
          (unsigned long long)line, (unsigned long long)id, rank, c->node, attempt + 1,
          retries + 1);
  fprintf(f, "%s after %.3f s: %.*s%s\n", why, seconds, (int)(n < SHOWN_MAX ? n : SHOWN_MAX),
          command, n > SHOWN_MAX ? "..." : "");
  if (c->outdir)
    fprintf(f, ME ": line %llu: its output is in %s/%llu.out and .err\n", (unsigned long long)line,
            c->outdir, (unsigned long long)line);
  else if ((int)attempt < retries && !c->line_buffer) /* --line-buffer: the master printed it */
    for (int i = 0; i < 2; i++)
      emit(f, line, s[i].buf ? s[i].buf : "", s[i].kept, s[i].total);
  if (f == stderr) return;
  fclose(f);
  for (size_t done = 0; text && done < len;) {
    ssize_t w = write(2, text + done, len - done);
    if (w < 0 && errno != EINTR) break;
    if (w > 0) done += (size_t)w;
  }
  free(text);
}

static int execute(tf_handle *h, const tf_task *task, void *vctx) {
  cmdfarm *c = vctx;
  cmd_task t;
  if (task->size < sizeof t) return -1;
  memcpy(&t, task->data, sizeof t);
  size_t len = task->size - sizeof t;
  char *command = malloc(len + 1);
  if (!command) return -1;
  memcpy(command, (const char *)task->data + sizeof t, len);
  command[len] = '\0';
  int rank = tf_rank(h);
  stream s[2] = {{.fd = -1, .file = -1, .limit = c->max_output},
                 {.fd = -1, .file = -1, .limit = c->max_output}};
  char tmp[2][PATH_MAX];
  outcome o = {0};
  if (c->line_buffer && line_buffers(h, s)) {
    free(s[0].line), free(command);
    return -1;
  }
  int io = c->outdir ? open_outputs(c, t.line, rank, s, tmp) : 0;
  struct timespec wall;
  clock_gettime(CLOCK_REALTIME, &wall);
  double start = (double)wall.tv_sec + 1e-9 * (double)wall.tv_nsec;
  if (!io) run_command(c, command, t.line, rank, task->attempt, s, &o);
  if (c->outdir) io |= close_outputs(c, t.line, s, tmp);

  /* The verdict; the code returned becomes "execute returned N" in the library's message. */
  char why[320];
  int code = 0;
  if (io)
    code = 126, snprintf(why, sizeof why, "its output could not be written to --output-dir");
  else if (o.spawn_errno)
    code = 127, snprintf(why, sizeof why, "cannot start /bin/sh: %s", strerror(o.spawn_errno));
  else if (o.exec_errno == E2BIG)
    code = 126, snprintf(why, sizeof why,
                         "the command (%zu bytes) is longer than the system's argument limit "
                         "(ARG_MAX %ld bytes for the arguments and the environment; Linux takes "
                         "%ld bytes in one argument); /bin/sh could not be started",
                         len, sysconf(_SC_ARG_MAX), 32 * sysconf(_SC_PAGESIZE));
  else if (o.exec_errno)
    code = o.exec_errno == ENOENT ? 127 : 126,
    snprintf(why, sizeof why, "cannot start /bin/sh: %s", strerror(o.exec_errno));
  else if (o.timed_out)
    code = 124, snprintf(why, sizeof why, "timed out (--timeout %g), killed", c->timeout);
  else if (o.wait_errno)
    code = 127, snprintf(why, sizeof why, "no exit status: %s", strerror(o.wait_errno));
  else if (WIFSIGNALED(o.status)) {
    int sig = WTERMSIG(o.status);
    code = 128 + sig, snprintf(why, sizeof why, "killed by signal %d (%s)", sig, strsignal(sig));
  } else if (WEXITSTATUS(o.status))
    code = WEXITSTATUS(o.status), snprintf(why, sizeof why, "exit status %d", code);

  int rc = 0;
  if (code)
    tell_failure(c, command, t.line, task->id, rank, task->attempt, tf_get_config(h)->retries, why,
                 o.seconds, s);
  { /* the result, also of a failed run (the master's failed gets it) */
    cmd_result r;
    memset(&r, 0, sizeof r);
    r.line = t.line;
    r.seconds = o.seconds;
    r.start = start;
    r.exitval = o.reaped && WIFEXITED(o.status) ? WEXITSTATUS(o.status) : code && !o.reaped ? code : 0;
    r.signal = o.reaped && WIFSIGNALED(o.status) ? WTERMSIG(o.status) : 0;
    r.out_bytes = s[0].total, r.err_bytes = s[1].total;
    r.out_kept = (uint32_t)s[0].kept, r.err_kept = (uint32_t)s[1].kept;
    r.attempt = task->attempt;
    r.rank = rank;
    snprintf(r.node, sizeof r.node, "%s", c->node);
    size_t size = sizeof r + s[0].kept + s[1].kept;
    char *buf = malloc(size);
    if (!buf) {
      rc = -1;
    } else {
      memcpy(buf, &r, sizeof r);
      if (s[0].kept) memcpy(buf + sizeof r, s[0].buf, s[0].kept);
      if (s[1].kept) memcpy(buf + sizeof r + s[0].kept, s[1].buf, s[1].kept);
      rc = tf_result(h, buf, size);
      free(buf);
    }
  }
  if (code) rc = code; /* "execute returned N" in the library's message */
  free(s[0].buf), free(s[1].buf), free(s[0].line), free(s[1].line);
  free(command);
  return rc;
}

/* ---- main: cmdfarm's defaults for two common options ------------------------------------ */

/* Does the command line give option name (with its value, or as --name=V)? The scan ends at
 * "--", after which everything is an operand. */
static int given(int argc, char **argv, const char *name) {
  size_t len = strlen(name);
  for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
    if (!strncmp(argv[i], name, len) && (argv[i][len] == '\0' || argv[i][len] == '=')) return 1;
  return 0;
}

/* The command line the library sees: the user's, after argv[0] two defaults of cmdfarm's own,
 * which what the user gives overrides:
 * - --resume with a --journal: running the same command again skips what succeeded;
 * - --prefetch=1 unless --prefetch or --chunk is given: a command costs a millisecond or more,
 *   so handing them out one by one costs nothing measurable, and a short command never waits
 *   on a worker behind a long one. */
static char **with_defaults(int argc, char **argv, int *nargc) {
  char **out = calloc((size_t)argc + 3, sizeof *out);
  if (!out) return NULL;
  int n = 0;
  out[n++] = argv[0];
  if (given(argc, argv, "--journal") && !given(argc, argv, "--resume")) out[n++] = "--resume";
  if (!given(argc, argv, "--prefetch") && !given(argc, argv, "--chunk")) out[n++] = "--prefetch=1";
  for (int i = 1; i < argc; i++)
    out[n++] = argv[i];
  out[n] = NULL;
  *nargc = n;
  return out;
}

/* GNU parallel's form: an argument source (:::, ::::, -a/--arg-file) anywhere on the line. */
static int parallel_form(int argc, char **argv) {
  for (int i = 1; i < argc; i++)
    if (!strcmp(argv[i], ":::") || !strcmp(argv[i], "::::") || !strcmp(argv[i], "-a") ||
        !strncmp(argv[i], "--arg-file", 10))
      return 1;
  return 0;
}

int main(int argc, char **argv) {
  cmdfarm c = {.max_output = 1 << 20, .spool_fd = -1, .parallel = parallel_form(argc, argv)};
  const tf_option options[] = {
      /* FILE's name is not journaled, its contents are (the journal_key). */
      {"commands", TF_OPT_STRING | TF_OPT_NOT_JOURNALED, &c.commands, "FILE",
       "the command file, one shell command a line (or give it as the operand FILE)", 0, 0},
      {"output-dir", TF_OPT_STRING, &c.outdir, "DIR",
       "workers write each command's output to DIR/LINE.out, DIR/LINE.err", 0, 0},
      {"max-output", TF_OPT_SIZE, &c.max_output, "BYTES",
       "keep this much stdout and stderr per command (default 1M)", 0, TF_MAX_PAYLOAD_LIMIT},
      /* A rerun from the journal may change these. */
      {"timeout", TF_OPT_DOUBLE | TF_OPT_NOT_JOURNALED, &c.timeout, "SECONDS",
       "kill a command's process group after this long (default 0: none)", 0, 1e9},
      {"summary", TF_OPT_STRING | TF_OPT_OUTPUT, &c.summary, "FILE",
       "write a TSV table: line, status, exit, seconds, node, command", 0, 0},
      {"joblog", TF_OPT_STRING | TF_OPT_OUTPUT, &c.joblog, "FILE",
       "write GNU parallel's job log (Seq, Host, Starttime, JobRuntime, ...) to FILE", 0, 0},
      {"arg-file", TF_OPT_STRING | TF_OPT_REPEAT | TF_OPT_SHORT('a') | TF_OPT_NOT_JOURNALED,
       &c.argfiles, "FILE", "an argument source, one argument a line (as :::: FILE)", 0, 0},
      {"keep-order", TF_OPT_FLAG | TF_OPT_SHORT('k') | TF_OPT_NOT_JOURNALED, &c.keep_order, NULL,
       "COMMAND ::: ARGS: output in job order, not as jobs end (a FILE's always is)", 0, 0},
      {"tag", TF_OPT_FLAG | TF_OPT_NOT_JOURNALED, &c.tag, NULL,
       "COMMAND ::: ARGS: each output line after the job's arguments and a tab", 0, 0},
      {"line-buffer", TF_OPT_FLAG | TF_OPT_NOT_JOURNALED, &c.line_buffer, NULL,
       "print output lines as the commands write them (GNU parallel's --line-buffer)", 0, 0},
      {"lb", TF_OPT_FLAG | TF_OPT_NOT_JOURNALED, &c.line_buffer, NULL, "--line-buffer", 0, 0},
      {"dry-run", TF_OPT_FLAG | TF_OPT_NOT_JOURNALED, &c.dry_run, NULL,
       "print the commands, one a line, and run none", 0, 0},
      {"halt", TF_OPT_STRING | TF_OPT_NOT_JOURNALED, &c.halt_arg, "WHEN,WHY=N",
       "stop early as GNU parallel: never (default), now|soon,fail|success|done=N or N%", 0, 0},
      TF_OPTIONS_END,
  };
  tf_app app = {
      .name = "taskfarm-cmdfarm",
      .summary =
          "taskfarm-cmdfarm [OPTIONS] FILE: run every line of FILE as a shell command\n"
          "(/bin/sh -c LINE) on the workers, one task per line; blank lines and lines that\n"
          "start with # are skipped. A command gets TASKFARM_LINE, TASKFARM_RANK and\n"
          "TASKFARM_ATTEMPT in its environment and /dev/null as stdin. Its stdout and stderr\n"
          "are printed by the master in line order, each line prefixed \"[line N] \" (or go\n"
          "to DIR/N.out and DIR/N.err with --output-dir). A command that exits non-zero, is\n"
          "killed or runs past --timeout has failed: --retries runs it again elsewhere, and\n"
          "the exit status is 1 when any failed for good. With --journal FILE, --resume is\n"
          "implied: running the same command again skips the commands that succeeded.\n\n"
          "taskfarm-cmdfarm [OPTIONS] COMMAND ::: ARG... [::: ARG...] (or :::: FILE, -a FILE)\n"
          "makes the commands as GNU parallel does: one for every combination of arguments,\n"
          "with {} {.} {/} {//} {/.} {#} {1} {2} ... replaced (the arguments appended when\n"
          "COMMAND has none), quoted for the shell; output as parallel -k prints it.",
      .ctx = &c,
      .options = options,
      .check_options = check_options,
      .generate = generate,
      .execute = execute,
      .collect = collect,
      .worker_init = worker_init,
      .master_init = master_init,
      .master_fini = master_fini,
      .failed = failed,
      .partial = partial,
      .journal_key = c.key, /* filled by check_options */
      /* FILE, or --commands FILE; or GNU parallel's COMMAND ::: ARGS: the first operand then
       * ends the options (the command's own -n and all are its). The commands' digest is the
       * journal_key, so the operands themselves are not journaled. */
      .operands = c.parallel ? "COMMAND... ::: ARG... (or :::: FILE..., -a FILE)" : "FILE",
      .min_operands = 0,
      .max_operands = c.parallel ? TF_OPERANDS_ANY : 1,
      .operand_flags = TF_OPT_NOT_JOURNALED | (c.parallel ? TF_OPERANDS_END_OPTIONS : 0),
  };
  int nargc = 0;
  char **args = with_defaults(argc, argv, &nargc);
  if (!args) return fprintf(stderr, ME ": out of memory\n"), TF_EXIT_FAILED;
  int rc = tf_main(nargc, args, &app);
  if (c.spool_fd >= 0) close(c.spool_fd);
  for (size_t i = 0; i < c.nnodes; i++)
    free(c.nodes[i]);
  free(c.nodes), free(c.slots), free(c.recs), free(c.text), free(c.cmds), free(c.tags);
  free(args);
  return rc;
}
