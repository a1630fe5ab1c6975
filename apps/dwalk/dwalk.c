/* dwalk.c - walk directory trees in parallel, in libcircle's style: a task is one directory; the
 * worker that reads it counts its files and bytes and submits each subdirectory as a child task,
 * so the work spreads over the workers as the trees unfold. The trees are the operands
 * (ROOT...), the names to leave out a repeatable option (--exclude NAME). Integer sums per ROOT
 * make the answer the same for any number of ranks. */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "taskfarm.h"

enum { N_FILES, N_DIRS, N_LINKS, N_OTHER, N_BYTES, N_UNREADABLE, N_COUNTS };
static const char *const count_names[N_COUNTS] = {"files",  "dirs",  "symlinks",
                                                  "other",  "bytes", "unreadable"};

typedef struct dw_ctx {
  tf_strings exclude; /* option: entry names not to descend into or count */
  int next_root;      /* master: the next operand to submit */
  uint64_t (*sums)[N_COUNTS]; /* master: per ROOT */
  char *path;         /* worker: the path being built */
  size_t path_cap;
} dw_ctx;

/* A task: the ROOT it belongs to, then the directory's path (no NUL). */
typedef struct dw_task {
  uint32_t root;
} dw_task;

/* A result: the ROOT, then the counts of the directory's own entries. */
typedef struct dw_out {
  uint32_t root, pad;
  uint64_t n[N_COUNTS];
} dw_out;

static int excluded(const dw_ctx *c, const char *name) {
  for (int i = 0; i < c->exclude.count; i++)
    if (!strcmp(c->exclude.values[i], name)) return 1;
  return 0;
}

/* Every ROOT must be a directory: said before the run, on every rank. */
static int check_options(void *vctx, const tf_config *cfg, char *err, size_t n) {
  (void)vctx;
  for (int i = 0; i < cfg->noperands; i++) {
    struct stat st;
    const char *root = cfg->operands[i];
    if (stat(root, &st)) return snprintf(err, n, "ROOT %s: %s", root, strerror(errno)), -1;
    if (!S_ISDIR(st.st_mode)) return snprintf(err, n, "ROOT %s: not a directory", root), -1;
  }
  return 0;
}

static int master_init(tf_handle *h, void *vctx) {
  dw_ctx *c = vctx;
  c->sums = calloc((size_t)tf_operand_count(h), sizeof *c->sums);
  return c->sums ? 0 : TF_ENOMEM;
}

static int master_fini(tf_handle *h, void *vctx) {
  (void)h;
  dw_ctx *c = vctx;
  free(c->sums);
  c->sums = NULL;
  return 0;
}

/* One task per ROOT; the walk spawns the rest. */
static int submit_dir(tf_handle *h, uint32_t root, const char *path, size_t len) {
  unsigned char *buf = malloc(sizeof(dw_task) + len);
  if (!buf) return TF_ENOMEM;
  dw_task t = {root};
  memcpy(buf, &t, sizeof t);
  memcpy(buf + sizeof t, path, len);
  int rc = tf_submit(h, buf, sizeof t + len);
  free(buf);
  return rc;
}

static int generate(tf_handle *h, void *vctx) {
  dw_ctx *c = vctx;
  if (c->next_root >= tf_operand_count(h)) return TF_GEN_DONE;
  const char *root = tf_operand(h, c->next_root);
  int rc = submit_dir(h, (uint32_t)c->next_root, root, strlen(root));
  if (rc) return rc;
  c->next_root++;
  return c->next_root < tf_operand_count(h) ? TF_GEN_MORE : TF_GEN_DONE;
}

/* path + "/" + name into c->path. */
static const char *join(dw_ctx *c, const char *dir, size_t dlen, const char *name) {
  size_t nlen = strlen(name), need = dlen + 1 + nlen + 1;
  if (need > c->path_cap) {
    char *p = realloc(c->path, need);
    if (!p) return NULL;
    c->path = p, c->path_cap = need;
  }
  memcpy(c->path, dir, dlen);
  c->path[dlen] = '/';
  memcpy(c->path + dlen + 1, name, nlen + 1);
  return c->path;
}

static int execute(tf_handle *h, const tf_task *task, void *vctx) {
  dw_ctx *c = vctx;
  dw_task t;
  if (task->size <= sizeof t) return -1;
  memcpy(&t, task->data, sizeof t);
  size_t dlen = task->size - sizeof t;
  char *dir = malloc(dlen + 1);
  if (!dir) return -1;
  memcpy(dir, (const char *)task->data + sizeof t, dlen);
  dir[dlen] = '\0';
  dw_out out = {.root = t.root};
  DIR *d = opendir(dir);
  if (!d) {
    fprintf(stderr, "taskfarm-dwalk: %s: %s\n", dir, strerror(errno));
    out.n[N_UNREADABLE] = 1;
  }
  int rc = 0;
  for (struct dirent *e; d && !rc && (e = readdir(d));) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") || excluded(c, e->d_name)) continue;
    const char *p = join(c, dir, dlen, e->d_name);
    struct stat st;
    if (!p) {
      rc = -1;
    } else if (lstat(p, &st)) {
      out.n[N_UNREADABLE]++;
    } else if (S_ISDIR(st.st_mode)) {
      out.n[N_DIRS]++;
      rc = submit_dir(h, t.root, p, strlen(p));
    } else if (S_ISREG(st.st_mode)) {
      out.n[N_FILES]++;
      out.n[N_BYTES] += (uint64_t)st.st_size;
    } else {
      out.n[S_ISLNK(st.st_mode) ? N_LINKS : N_OTHER]++;
    }
  }
  if (d) closedir(d);
  free(dir);
  return rc ? rc : tf_result(h, &out, sizeof out);
}

static int collect(tf_handle *h, const tf_task *result, void *vctx) {
  dw_ctx *c = vctx;
  dw_out in;
  if (result->size != sizeof in) return -1;
  memcpy(&in, result->data, sizeof in);
  if (in.root >= (uint32_t)tf_operand_count(h)) return -1;
  for (int k = 0; k < N_COUNTS; k++)
    c->sums[in.root][k] += in.n[k];
  return 0;
}

static void print_counts(const char *what, const uint64_t n[N_COUNTS]) {
  printf("%s:", what);
  for (int k = 0; k < N_COUNTS; k++)
    printf(" %s %" PRIu64, count_names[k], n[k]);
  printf("\n");
}

static int finish(tf_handle *h, void *vctx) {
  dw_ctx *c = vctx;
  uint64_t total[N_COUNTS] = {0};
  for (int i = 0; i < tf_operand_count(h); i++) {
    print_counts(tf_operand(h, i), c->sums[i]);
    for (int k = 0; k < N_COUNTS; k++)
      total[k] += c->sums[i][k];
  }
  if (tf_operand_count(h) > 1) print_counts("total", total);
  return 0;
}

static int worker_fini(tf_handle *h, void *vctx) {
  (void)h;
  dw_ctx *c = vctx;
  free(c->path);
  c->path = NULL;
  return 0;
}

int main(int argc, char **argv) {
  dw_ctx c = {0};
  const tf_option options[] = {
      {"exclude", TF_OPT_STRING | TF_OPT_REPEAT, &c.exclude, "NAME",
       "leave out entries called NAME (a directory: its whole tree)", 0, 0},
      TF_OPTIONS_END,
  };
  tf_app app = {
      .name = "taskfarm-dwalk",
      .summary = "Walk the directory trees ROOT... in parallel and count, per ROOT, the regular\n"
                 "files and their bytes (st_size), the directories below ROOT, the symbolic\n"
                 "links (not followed), other entries, and what could not be read. Each task\n"
                 "reads one directory and submits its subdirectories as new tasks.",
      .ctx = &c,
      .options = options,
      .check_options = check_options,
      .generate = generate,
      .execute = execute,
      .collect = collect,
      .finish = finish,
      .worker_fini = worker_fini,
      .master_init = master_init,
      .master_fini = master_fini,
      .operands = "ROOT...",
      .min_operands = 1,
      .max_operands = TF_OPERANDS_ANY,
  };
  return tf_main(argc, argv, &app);
}
