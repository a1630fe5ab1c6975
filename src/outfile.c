/* outfile.c - output files written whole (tf_output_*): a new file with a unique name beside
 * the final one, synced and renamed over it, so that a run killed while writing leaves the old
 * file or none, never half of one; and a check, at the start of a run, that the file can be
 * made at all. No MPI here. */
#include "outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Tries at a fresh temporary name before giving up (each clash is another file's name). */
#define TEMP_TRIES 100
/* Bytes of the final name kept in the temporary one, so that it stays under NAME_MAX. */
#define TEMP_BASE_MAX 200

const char *tf__file_kind(unsigned mode) {
  switch (mode & S_IFMT) {
  case S_IFREG: return "a regular file";
  case S_IFDIR: return "a directory";
  case S_IFCHR: return "a character device";
  case S_IFBLK: return "a block device";
  case S_IFIFO: return "a FIFO (named pipe)";
  case S_IFSOCK: return "a socket";
  case S_IFLNK: return "a symbolic link";
  default: return "not a regular file";
  }
}

/* Put the reason in err (when given): the message, then ": " and errnum's text unless it is 0.
 * Returns rc. */
__attribute__((format(printf, 5, 6))) static int fail(char *err, size_t n, int rc, int errnum,
                                                      const char *fmt, ...) {
  if (!err || !n) return rc;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, n, fmt, ap);
  va_end(ap);
  size_t used = strlen(err);
  if (errnum && used + 1 < n) snprintf(err + used, n - used, ": %s", strerror(errnum));
  return rc;
}

/* Where path goes: written directly (a device, a FIFO, anything under /dev or /proc such as
 * /dev/stdout, which is a link that must never be replaced), or through a temporary file
 * (a regular file, nothing yet, or a link to either: the link is replaced, its target is not
 * written). 0, or TF_EINVAL / TF_EIO with the reason in err. */
static int classify(const char *path, int *direct, char *err, size_t n) {
  *direct = 0;
  if (!path || !*path) return fail(err, n, TF_EINVAL, 0, "no file name");
  if (!strncmp(path, "/dev/", 5) || !strncmp(path, "/proc/", 6)) {
    *direct = 1;
    return 0;
  }
  size_t len = strlen(path);
  if (path[len - 1] == '/') return fail(err, n, TF_EINVAL, 0, "%s names a directory", path);
  struct stat st;
  if (lstat(path, &st) != 0) {
    if (errno == ENOENT) return 0; /* a missing directory is found when the file is made */
    return fail(err, n, TF_EIO, errno, "%s: cannot look at it", path);
  }
  if (S_ISLNK(st.st_mode)) {
    struct stat t;
    if (stat(path, &t) != 0) return 0; /* a dangling link is replaced */
    if (S_ISDIR(t.st_mode)) return fail(err, n, TF_EINVAL, 0, "%s is a link to a directory", path);
    *direct = !S_ISREG(t.st_mode); /* a link to /dev/null stays one */
    return 0;
  }
  if (S_ISDIR(st.st_mode)) return fail(err, n, TF_EINVAL, 0, "%s is a directory", path);
  *direct = !S_ISREG(st.st_mode);
  return 0;
}

/* The directory of path ("." when it has none), malloc'd. */
static char *dir_of(const char *path) {
  const char *slash = strrchr(path, '/');
  if (!slash) return strdup(".");
  return strndup(path, slash == path ? 1 : (size_t)(slash - path));
}

/* Random letters for a temporary name; clashes are retried, so they need not be secret. */
static void random_tag(char out[7]) {
  static const char set[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  static unsigned long counter;
  unsigned char r[6];
  if (getrandom(r, sizeof r, GRND_NONBLOCK) != (ssize_t)sizeof r) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    unsigned long long x = (unsigned long long)ts.tv_nsec ^ ((unsigned long long)getpid() << 20) ^
                           (++counter * 0x9e3779b97f4a7c15ull);
    for (int i = 0; i < 6; i++, x >>= 8)
      r[i] = (unsigned char)x;
  }
  for (int i = 0; i < 6; i++)
    out[i] = set[r[i] % (sizeof set - 1)];
  out[6] = '\0';
}

/* Make a new empty file ".NAME.XXXXXX" beside path, mode 0666 less the umask (as a plain open
 * would make it), never through a link. Returns its descriptor with its name in *tmp, or -1 with
 * the reason in err. */
static int make_temp(const char *path, char **tmp, char *err, size_t n) {
  char *dir = dir_of(path);
  const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
  size_t cap = strlen(path) + 16;
  char *name = malloc(cap);
  if (!dir || !name) {
    free(dir), free(name);
    return fail(err, n, -1, 0, "%s: out of memory", path);
  }
  int fd = -1, e = 0;
  for (int i = 0; i < TEMP_TRIES && fd < 0; i++) {
    char tag[7];
    random_tag(tag);
    if (slash)
      snprintf(name, cap, "%.*s/.%.*s.%s", (int)(slash - path), path, TEMP_BASE_MAX, base, tag);
    else
      snprintf(name, cap, ".%.*s.%s", TEMP_BASE_MAX, base, tag);
    fd = open(name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0666);
    e = errno;
    if (fd < 0 && e != EEXIST) break;
  }
  if (fd < 0) {
    fail(err, n, -1, e, "%s: cannot create a file in %s", path, dir);
    free(dir), free(name);
    return -1;
  }
  free(dir);
  *tmp = name;
  return fd;
}

int tf_output_check(const char *path, char *err, size_t err_size) {
  if (err && err_size) err[0] = '\0';
  int direct, rc = classify(path, &direct, err, err_size);
  if (rc) return rc;
  if (direct) {
    if (access(path, W_OK) != 0)
      return fail(err, err_size, TF_EIO, errno, "%s: cannot write it", path);
    return 0;
  }
  char *tmp = NULL;
  int fd = make_temp(path, &tmp, err, err_size);
  if (fd < 0) return TF_EIO;
  close(fd);
  unlink(tmp);
  free(tmp);
  return 0;
}

static void reset(tf_output *out) { memset(out, 0, sizeof *out); }

int tf_output_open(const char *path, tf_output *out, char *err, size_t err_size) {
  if (err && err_size) err[0] = '\0';
  if (!out) return fail(err, err_size, TF_EINVAL, 0, "no tf_output given");
  reset(out);
  int direct, rc = classify(path, &direct, err, err_size);
  if (rc) return rc;
  if (!(out->path = strdup(path)))
    return fail(err, err_size, TF_ENOMEM, 0, "%s: out of memory", path);
  if (direct) {
    out->file = fopen(path, "w");
    if (!out->file) {
      fail(err, err_size, TF_EIO, errno, "%s: cannot open it", path);
      tf_output_discard(out);
      return TF_EIO;
    }
    return 0;
  }
  int fd = make_temp(path, &out->tmp, err, err_size);
  if (fd < 0) {
    tf_output_discard(out);
    return TF_EIO;
  }
  out->file = fdopen(fd, "w");
  if (!out->file) {
    int e = errno;
    close(fd);
    fail(err, err_size, TF_EIO, e, "%s: cannot write %s", path, out->tmp);
    tf_output_discard(out);
    return TF_EIO;
  }
  return 0;
}

/* After a rename, the new name survives a crash only once its directory is on disk. Some file
 * systems cannot sync a directory (EINVAL); the file is in place either way. */
static void sync_dir(const char *path) {
  char *dir = dir_of(path);
  int fd = dir ? open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
  if (fd >= 0) {
    while (fsync(fd) != 0 && errno == EINTR)
      ;
    close(fd);
  }
  free(dir);
}

int tf_output_commit(tf_output *out, char *err, size_t err_size) {
  if (err && err_size) err[0] = '\0';
  if (!out || !out->file) return fail(err, err_size, TF_EINVAL, 0, "no output open");
  int e = 0;
  const char *what = "cannot write it";
  if (fflush(out->file) != 0 || ferror(out->file)) e = errno ? errno : EIO;
  if (!e && out->tmp) {
    int r;
    while ((r = fsync(fileno(out->file))) != 0 && errno == EINTR)
      ;
    if (r != 0) e = errno, what = "cannot sync it";
  }
  if (fclose(out->file) != 0 && !e) e = errno ? errno : EIO;
  out->file = NULL;
  if (!e && out->tmp && rename(out->tmp, out->path) != 0)
    e = errno, what = "cannot rename the new file over it";
  if (e) {
    fail(err, err_size, TF_EIO, e, "%s: %s", out->path, what);
    tf_output_discard(out);
    return TF_EIO;
  }
  if (out->tmp) sync_dir(out->path);
  free(out->tmp);
  free(out->path);
  reset(out);
  return 0;
}

void tf_output_discard(tf_output *out) {
  if (!out) return;
  if (out->file) fclose(out->file);
  if (out->tmp) unlink(out->tmp);
  free(out->tmp);
  free(out->path);
  reset(out);
}
