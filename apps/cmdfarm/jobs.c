/* jobs.c - the commands of a run, on every rank: FILE read whole and split into its lines, or
 * GNU parallel's COMMAND ::: ARGS made into one command per job (args.h); then the digest that
 * is the journal_key, the checks against --max-payload, and --output-dir made. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "args.h"
#include "cmdfarm.h"

/* FNV-1a, 64 bits: the digest of FILE that goes into the journal's fingerprint (and the hash of
 * the master's node table). */
uint64_t cf_fnv1a(uint64_t h, const void *p, size_t n) {
  const unsigned char *b = p;
  for (size_t i = 0; i < n; i++)
    h = (h ^ b[i]) * UINT64_C(0x100000001b3);
  return h;
}

/* ---- FILE -------------------------------------------------------------------------------- */

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

int cf_read_commands(cmdfarm *c, char *err, size_t n) {
  free(c->text), free(c->cmds);
  c->text = NULL, c->cmds = NULL, c->ncmds = c->nlines = c->longest = 0;
  if (read_all(c->commands, &c->text, &c->text_len, err, n) ||
      index_commands(c, c->commands, err, n))
    return -1;
  return 0;
}

/* ---- COMMAND ::: ARGS -------------------------------------------------------------------- */

/* The most commands the product of the argument sources may make. */
#define MAX_JOBS 100000000ull

/* COMMAND... ::: ARG... [::: ARG...], :::: FILE..., -a FILE: the commands GNU parallel would
 * run, one per job in its order (job k is "line" k + 1, {#} and TASKFARM_LINE), into c->text
 * and c->cmds. The -a sources come first. 0, or -1 with the reason in err. */
int cf_build_jobs(cmdfarm *c, const tf_config *cfg, char *err, size_t n) {
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

/* ---- Checks ------------------------------------------------------------------------------ */

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

/* The commands are known (c->text, c->cmds): their digest as the journal_key, and whether the
 * largest fits a task and the output a result. */
int cf_check_jobs(cmdfarm *c, const tf_config *cfg, char *err, size_t n) {
  uint64_t d = cf_fnv1a(UINT64_C(0xcbf29ce484222325), c->text ? c->text : "", c->text_len);
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
