/* journal.c - the run journal's file (layout in journal.h; the reader is journal_read.c): opened,
 * locked and read back only when it is a regular file, and written by a writer that batches
 * records so that a farm finishing thousands of tasks a second does not make thousands of system
 * calls. A process that dies loses the
 * results of about the last TF_JOURNAL_WRITE_DELAY seconds (as often as the master ticks), a
 * machine that dies those of the last sync_every seconds; those tasks simply run again. */
#include "journal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "crc32c.h"
#include "journal_layout.h"
#include "le.h"
#include "taskfarm.h"
#include "vec.h"

/* The buffer is cut back to this after writing, so that one huge record does not pin its
 * memory for the rest of the run. */
#define KEEP_CAP (4u * TF_JOURNAL_WRITE_BYTES)

/* ---- the file ---- */

/* Read the first size bytes of fd (a regular file, from offset 0) into a malloc'd *buf (NULL
 * for none). Never past size: a file that grows meanwhile is read to the size it had. A file
 * that shrank is read to its end. 0, TF_ENOMEM or TF_JOURNAL_EIO, with the reason in err. */
static int read_to_size(int fd, const char *path, uint64_t size, unsigned char **buf, size_t *len,
                        char *err, size_t errsz) {
  *buf = NULL;
  *len = 0;
  if (size == 0) return 0;
  if (size >= SIZE_MAX) {
    snprintf(err, errsz, "journal %s: %llu bytes do not fit in memory", path,
             (unsigned long long)size);
    return TF_ENOMEM;
  }
  unsigned char *b = malloc((size_t)size);
  if (!b) {
    snprintf(err, errsz, "journal %s: out of memory reading its %llu bytes", path,
             (unsigned long long)size);
    return TF_ENOMEM;
  }
  size_t n = 0;
  while (n < size) {
    ssize_t got = pread(fd, b + n, (size_t)size - n, (off_t)n);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      snprintf(err, errsz, "journal %s: read failed after %zu bytes: %s", path, n, strerror(errno));
      free(b);
      return TF_JOURNAL_EIO;
    }
    if (got == 0) break;
    n += (size_t)got;
  }
  if (n == 0) {
    free(b);
    return 0;
  }
  *buf = b;
  *len = n;
  return 0;
}

static const char *kind_of(mode_t mode) {
  switch (mode & S_IFMT) {
  case S_IFDIR: return "a directory";
  case S_IFCHR: return "a character device";
  case S_IFBLK: return "a block device";
  case S_IFIFO: return "a FIFO (named pipe)";
  case S_IFSOCK: return "a socket";
  default: return "not a regular file";
  }
}

/* Refuse anything but a regular file: a device such as /dev/zero never ends, a FIFO blocks. */
static int not_regular(const char *path, mode_t mode, char *err, size_t errsz) {
  snprintf(err, errsz, "journal %s is %s, not a regular file: give --journal the name of a file",
           path, kind_of(mode));
  return TF_EINVAL;
}

int tf__journal_read_file(const char *path, unsigned char **buf, size_t *len, char *err,
                          size_t errsz) {
  char dummy[1];
  if (!err || !errsz) {
    err = dummy;
    errsz = sizeof dummy;
  }
  err[0] = '\0';
  if (!buf || !len) {
    snprintf(err, errsz, "journal: no place for the contents");
    return TF_EINVAL;
  }
  *buf = NULL;
  *len = 0;
  if (!path) {
    snprintf(err, errsz, "journal: no file name");
    return TF_EINVAL;
  }
  /* O_NONBLOCK: opening a FIFO must not wait for a writer before it can be refused. */
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) {
    int e = errno;
    snprintf(err, errsz, "journal %s: cannot open: %s", path, strerror(e));
    return e == ENOENT ? TF_JOURNAL_ENOENT : TF_JOURNAL_EIO;
  }
  struct stat st;
  int rc;
  if (fstat(fd, &st) != 0) {
    snprintf(err, errsz, "journal %s: cannot stat: %s", path, strerror(errno));
    rc = TF_JOURNAL_EIO;
  } else if (!S_ISREG(st.st_mode)) {
    rc = not_regular(path, st.st_mode, err, errsz);
  } else {
    rc = read_to_size(fd, path, (uint64_t)st.st_size, buf, len, err, errsz);
  }
  close(fd);
  return rc;
}

/* ---- writing ---- */

static void journal_init(tf_journal *j) {
  memset(j, 0, sizeof *j);
  j->fd = -1;
}

__attribute__((format(printf, 3, 4))) static int set_error(tf_journal *j, int rc, const char *fmt,
                                                           ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(j->errmsg, sizeof j->errmsg, fmt, ap);
  va_end(ap);
  return rc;
}

/* Record an I/O error on path (what failed and errno's text); it sticks to the journal. */
static int io_error(tf_journal *j, const char *path, int errnum, const char *what) {
  snprintf(j->errmsg, sizeof j->errmsg, "journal %s: %s: %s", path, what, strerror(errnum));
  j->err = TF_JOURNAL_EIO;
  return j->err;
}

/* Write all n bytes, across partial writes and signals. */
static int write_all(tf_journal *j, const unsigned char *p, size_t n) {
  size_t done = 0;
  while (done < n) {
    ssize_t w = write(j->fd, p + done, n - done);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      int e = w < 0 ? errno : EIO; /* before snprintf can change errno */
      char what[96];
      snprintf(what, sizeof what, "write failed after %zu of %zu bytes", done, n);
      return io_error(j, j->path, e, what);
    }
    done += (size_t)w;
    j->bytes_written += (uint64_t)w;
  }
  return 0;
}

static int sync_file(tf_journal *j, double now) {
  while (fdatasync(j->fd) != 0)
    if (errno != EINTR) return io_error(j, j->path, errno, "fdatasync failed");
  j->dirty = 0;
  j->last_sync = now;
  return 0;
}

/* A new file survives a crash only once its directory entry is on disk too. A directory that
 * cannot be opened is left alone (the file is still written); some file systems cannot sync a
 * directory at all and say EINVAL. */
static int sync_dir(tf_journal *j) {
  const char *slash = strrchr(j->path, '/');
  char *dir =
      slash ? strndup(j->path, slash == j->path ? 1 : (size_t)(slash - j->path)) : strdup(".");
  if (!dir) return set_error(j, TF_ENOMEM, "journal %s: out of memory", j->path);
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int rc = 0;
  if (fd >= 0) {
    int r;
    while ((r = fsync(fd)) != 0 && errno == EINTR)
      ;
    int e = errno;
    if (r != 0 && e != EINVAL) {
      char what[64 + 256];
      snprintf(what, sizeof what, "fsync of directory %.256s failed", dir);
      rc = io_error(j, j->path, e, what);
    }
    close(fd);
  }
  free(dir);
  return rc;
}

/* A write lock on the whole file. An open file description lock (Linux 3.15) belongs to the
 * open file, not the process, so that nothing else the process does with the file (an app
 * opening and closing it) can drop it; where there is none, a classic POSIX lock. Either is
 * given back by the kernel (or the NFS lock manager) when the holder dies. */
static int take_lock(int fd) {
  struct flock fl;
  memset(&fl, 0, sizeof fl);
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
#ifdef F_OFD_SETLK
  if (fcntl(fd, F_OFD_SETLK, &fl) == 0) return 0;
  if (errno != EINVAL) return -1;
#endif
  return fcntl(fd, F_SETLK, &fl);
}

/* "pid 1234 on node07 since 2026-11-29 14:02:11": who holds the journal, from its lock file
 * (PATH.lock), or from the lock itself (a classic lock on this host), or NULL. */
static const char *holder(tf_journal *j, char *out, size_t n) {
  int fd = open(j->lock_path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW | O_NOCTTY);
  struct stat st;
  if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
    ssize_t got = read(fd, out, n - 1);
    close(fd);
    if (got > 0) {
      out[got] = '\0';
      out[strcspn(out, "\n")] = '\0';
      if (out[0]) return out;
    }
  } else if (fd >= 0) {
    close(fd);
  }
  struct flock fl;
  memset(&fl, 0, sizeof fl);
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  char host[256] = "this host";
  gethostname(host, sizeof host);
  host[sizeof host - 1] = '\0';
  if (fcntl(j->fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK && fl.l_pid > 0) {
    snprintf(out, n, "pid %ld on %s", (long)fl.l_pid, host);
    return out;
  }
  return NULL;
}

/* PATH.lock: who holds the journal, for the message of a run that finds it taken. Only a
 * courtesy: the lock is what keeps a second run out, so a lock file that cannot be written is
 * no error, and a stale one (its holder was killed) is simply written over. */
static void write_lock_file(tf_journal *j) {
  char host[256] = "?", when[64] = "?", text[400];
  gethostname(host, sizeof host);
  host[sizeof host - 1] = '\0';
  time_t t = time(NULL);
  struct tm tm;
  if (localtime_r(&t, &tm)) strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
  int n = snprintf(text, sizeof text, "pid %ld on %s since %s\n", (long)getpid(), host, when);
  int fd = open(j->lock_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0666);
  if (fd < 0) return;
  j->wrote_lock_file = write(fd, text, (size_t)n) == n;
  close(fd);
}

/* Check the arguments shared by open and create, and take a copy of path. */
static int start(tf_journal *j, const char *path, double sync_every) {
  journal_init(j);
  if (!path || !*path) return set_error(j, TF_EINVAL, "journal: no file name");
  if (!(sync_every >= 0))
    return set_error(j, TF_EINVAL, "journal %s: sync interval %g is not >= 0", path, sync_every);
  j->path = strdup(path);
  j->lock_path = malloc(strlen(path) + 6);
  if (!j->path || !j->lock_path) return set_error(j, TF_ENOMEM, "journal %s: out of memory", path);
  sprintf(j->lock_path, "%s.lock", path);
  j->sync_every = sync_every;
  return 0;
}

/* Let go of the file: the lock file first (while the lock still keeps others out), then the
 * descriptor, which gives the lock back; its close error, if any. A file this handle made is
 * removed when remove_made is set. */
static int release(tf_journal *j, int remove_made) {
  int e = 0;
  if (j->wrote_lock_file) unlink(j->lock_path);
  if (j->fd >= 0 && j->created && remove_made) unlink(j->path);
  if (j->fd >= 0 && close(j->fd) != 0) e = errno;
  j->fd = -1;
  j->wrote_lock_file = 0;
  free(j->path);
  free(j->lock_path);
  j->path = j->lock_path = NULL;
  return e;
}

/* Undo an open that failed: nothing stays open, a file it made is gone, errmsg and err stay. */
static int abandon(tf_journal *j, int rc) {
  release(j, 1);
  return rc;
}

/* Open path to append into *fd, creating it when there is none (j->created); refuse anything
 * but a regular file. Returns 0, or TF_EINVAL / TF_JOURNAL_EIO with errmsg set. */
static int open_file(tf_journal *j, const char *path, int *fd) {
  for (int tries = 0; tries < 10; tries++) {
    struct stat st;
    /* Before opening: opening a device can have effects of its own (a tape rewinds). */
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
      return not_regular(path, st.st_mode, j->errmsg, sizeof j->errmsg);
    /* O_APPEND: whatever else writes to the file (another run on a file system without
     * locks), every write lands at the end and none overwrites another. O_NONBLOCK: a FIFO
     * put there since the stat must not block the open; it is refused below. */
    *fd = open(path, O_RDWR | O_APPEND | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (*fd < 0 && errno == ENOENT) {
      *fd = open(path, O_RDWR | O_APPEND | O_CLOEXEC | O_NOCTTY | O_CREAT | O_EXCL, 0666);
      if (*fd < 0 && errno == EEXIST) continue; /* another run made it just now */
      j->created = *fd >= 0;
    }
    if (*fd < 0) return io_error(j, path, errno, "cannot open or create");
    if (fstat(*fd, &st) != 0 || !S_ISREG(st.st_mode)) {
      int rc = S_ISREG(st.st_mode) ? io_error(j, path, errno, "cannot stat")
                                   : not_regular(path, st.st_mode, j->errmsg, sizeof j->errmsg);
      close(*fd);
      *fd = -1;
      return rc;
    }
    fcntl(*fd, F_SETFL, O_APPEND);
    return 0;
  }
  return set_error(j, TF_JOURNAL_EIO, "journal %s: made and removed again and again by others",
                   path);
}

int tf__journal_open(tf_journal *j, const char *path, double sync_every, unsigned char **buf,
                     size_t *len) {
  if (buf) *buf = NULL;
  if (len) *len = 0;
  int rc = start(j, path, sync_every);
  if (rc) return abandon(j, rc);
  for (int tries = 0;; tries++) {
    j->created = 0;
    if ((rc = open_file(j, path, &j->fd))) return abandon(j, rc);
    if (take_lock(j->fd) != 0) {
      int e = errno;
      if (e == EAGAIN || e == EACCES) {
        char who[300];
        const char *h = holder(j, who, sizeof who);
        set_error(j, TF_JOURNAL_EBUSY,
                  "journal %s is in use by %s (another run, or a requeued job still draining); "
                  "wait for it to end or use another --journal",
                  path, h ? h : "another process (its lock file says no more)");
        j->created = 0; /* it is the other run's */
        return abandon(j, TF_JOURNAL_EBUSY);
      }
      /* No working locks (NFS without a lock manager, Lustre without -o flock): the run goes
       * on, appending; the caller warns that a second run would not be noticed. */
      j->lock_errno = e;
    }
    /* The name may have been taken away between our open and our lock (a run that made the
     * file, failed and removed it): a lock on a file that no longer has the name is worth
     * nothing, so start again. */
    struct stat a, b;
    if (fstat(j->fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev &&
        a.st_ino == b.st_ino)
      break;
    if (tries == 10) {
      set_error(j, TF_JOURNAL_EIO, "journal %s: replaced again and again by others", path);
      j->created = 0;
      return abandon(j, TF_JOURNAL_EIO);
    }
    j->created = 0;
    close(j->fd);
    j->fd = -1;
  }
  if (!j->lock_errno) write_lock_file(j);
  struct stat st;
  if (fstat(j->fd, &st) != 0) return abandon(j, io_error(j, path, errno, "cannot stat"));
  if (buf && len &&
      (rc = read_to_size(j->fd, path, (uint64_t)st.st_size, buf, len, j->errmsg,
                         sizeof j->errmsg))) {
    if (rc == TF_JOURNAL_EIO) j->err = rc;
    return abandon(j, rc);
  }
  return 0;
}

int tf__journal_start(tf_journal *j, uint64_t fingerprint, const char *args, size_t args_len,
                      double now) {
  if (!j->path) return set_error(j, TF_EINVAL, "journal: not open");
  if (args_len > TF_JOURNAL_MAX_ARGS || (args_len && !args))
    return set_error(j, TF_EINVAL, "journal %s: %zu bytes of arguments, at most %u", j->path,
                     args_len, TF_JOURNAL_MAX_ARGS);
  /* What is there (a header torn at creation) goes first; the cut is synced with the header. */
  if (ftruncate(j->fd, 0) != 0) return io_error(j, j->path, errno, "cannot empty it");
  unsigned char h[TF_JOURNAL_HEADER_SIZE + TF_JOURNAL_MAX_ARGS];
  memcpy(h + H_MAGIC, TF_JOURNAL_MAGIC, 8);
  put32(h + H_VERSION, TF_JOURNAL_VERSION);
  put32(h + H_LEN, TF_JOURNAL_HEADER_SIZE + (uint32_t)args_len);
  put64(h + H_FINGERPRINT, fingerprint);
  put32(h + H_ARGS_LEN, (uint32_t)args_len);
  if (args_len) memcpy(h + TF_JOURNAL_HEADER_SIZE, args, args_len);
  put32(h + H_CRC, tf__crc32c(tf__crc32c(0, h, H_CRC), h + TF_JOURNAL_HEADER_SIZE, args_len));
  int rc;
  if ((rc = write_all(j, h, TF_JOURNAL_HEADER_SIZE + args_len)) || (rc = sync_file(j, now)) ||
      (j->created && (rc = sync_dir(j))))
    return rc;
  return 0;
}

int tf__journal_continue(tf_journal *j, size_t valid_len, double now) {
  if (!j->path) return set_error(j, TF_EINVAL, "journal: not open");
  struct stat st;
  if (fstat(j->fd, &st) != 0) return io_error(j, j->path, errno, "cannot stat");
  if ((uint64_t)st.st_size < (uint64_t)valid_len) {
    j->err = set_error(j, TF_JOURNAL_EIO, "journal %s: %lld bytes, fewer than the %zu read before",
                       j->path, (long long)st.st_size, valid_len);
    return j->err;
  }
  /* The cut is synced before anything is appended: a torn tail that came back after a crash
   * would sit between good records and read as damage. */
  if ((uint64_t)st.st_size > (uint64_t)valid_len) {
    if (ftruncate(j->fd, (off_t)valid_len) != 0)
      return io_error(j, j->path, errno, "cannot cut off the torn tail");
    int rc = sync_file(j, now);
    if (rc) return rc;
  }
  j->last_sync = now;
  return 0;
}

int tf__journal_create(tf_journal *j, const char *path, int replace, uint64_t fingerprint,
                       const char *args, size_t args_len, double sync_every, double now) {
  int rc = tf__journal_open(j, path, sync_every, NULL, NULL);
  if (rc) return rc;
  if (!j->created && !replace) {
    io_error(j, path, EEXIST, "cannot create");
    return abandon(j, j->err);
  }
  if ((rc = tf__journal_start(j, fingerprint, args, args_len, now))) return abandon(j, rc);
  return 0;
}

int tf__journal_reopen(tf_journal *j, const char *path, size_t valid_len, double sync_every,
                       double now) {
  int rc = tf__journal_open(j, path, sync_every, NULL, NULL);
  if (rc) return rc;
  if ((rc = tf__journal_continue(j, valid_len, now))) return abandon(j, rc);
  return 0;
}

static int reserve(tf_journal *j, size_t extra) {
  if (extra <= j->cap - j->len) return 0; /* the usual case, once a record */
  if (extra > SIZE_MAX - j->len) return TF_ENOMEM;
  return tf__vec_reserve(&j->buf, &j->cap, j->len + extra, 1, 4096);
}

int tf__journal_add(tf_journal *j, uint64_t id, const void *result, size_t result_size,
                    const tf_jchild *children, uint32_t n, double now) {
  if (j->err) return j->err;
  if (!j->path) return set_error(j, TF_EINVAL, "journal: not open");
  if ((result_size && !result) || (n && !children))
    return set_error(j, TF_EINVAL, "journal %s: record for task %llu without its data", j->path,
                     (unsigned long long)id);
  uint64_t body = TF_JOURNAL_BODY_MIN + (uint64_t)result_size;
  for (uint32_t i = 0; i < n && body <= UINT32_MAX; i++) {
    if (children[i].size && !children[i].data)
      return set_error(j, TF_EINVAL, "journal %s: child %u of task %llu without its data", j->path,
                       i, (unsigned long long)id);
    body += TF_JOURNAL_CHILD_HEADER + (uint64_t)children[i].size;
  }
  if (result_size > UINT32_MAX || body > UINT32_MAX)
    return set_error(j, TF_ETOOBIG, "journal %s: record for task %llu is over 4 GiB", j->path,
                     (unsigned long long)id);
  size_t total = TF_JOURNAL_RECORD_HEADER + (size_t)body;
  if (reserve(j, total))
    return set_error(j, TF_ENOMEM, "journal %s: out of memory for a record of %zu bytes", j->path,
                     total);

  unsigned char *rec = j->buf + j->len, *b = rec + TF_JOURNAL_RECORD_HEADER;
  memcpy(rec + R_MAGIC, TF_JOURNAL_RECORD_MAGIC, 4);
  put32(rec + R_LEN, (uint32_t)body);
  put64(b + B_ID, id);
  put32(b + B_RESULT_SIZE, (uint32_t)result_size);
  put32(b + B_NCHILDREN, n);
  size_t pos = TF_JOURNAL_BODY_MIN;
  if (result_size) memcpy(b + pos, result, result_size);
  pos += result_size;
  for (uint32_t i = 0; i < n; i++) {
    put64(b + pos + C_ID, children[i].id);
    put32(b + pos + C_PRIO, (uint32_t)children[i].prio);
    put32(b + pos + C_SIZE, children[i].size);
    pos += TF_JOURNAL_CHILD_HEADER;
    if (children[i].size) memcpy(b + pos, children[i].data, children[i].size);
    pos += children[i].size;
  }
  put32(rec + R_CRC, tf__crc32c(tf__crc32c(0, rec + R_LEN, 4), b, (size_t)body));
  if (j->len == 0) j->oldest = now;
  j->len += total;
  j->records++;
  return 0;
}

static int write_buffer(tf_journal *j) {
  int rc = write_all(j, j->buf, j->len);
  if (rc) return rc;
  j->len = 0;
  j->dirty = 1;
  if (j->cap > KEEP_CAP) {
    free(j->buf);
    j->buf = NULL;
    j->cap = 0;
  }
  return 0;
}

int tf__journal_tick(tf_journal *j, double now) {
  if (j->err) return j->err;
  if (j->len && (now - j->oldest >= TF_JOURNAL_WRITE_DELAY || j->len >= TF_JOURNAL_WRITE_BYTES)) {
    int rc = write_buffer(j);
    if (rc) return rc;
  }
  if (j->dirty && (j->sync_every <= 0 || now - j->last_sync >= j->sync_every))
    return sync_file(j, now);
  return 0;
}

int tf__journal_flush(tf_journal *j, double now) {
  if (j->err) return j->err;
  if (j->len) {
    int rc = write_buffer(j);
    if (rc) return rc;
  }
  return j->dirty ? sync_file(j, now) : 0;
}

int tf__journal_close(tf_journal *j, double now) {
  if (j->path) {
    tf__journal_flush(j, now);
    char *path = strdup(j->path);
    /* A file opened, made and then left without a header (a refused run) is not left behind.
     * Some file systems (NFS) report a failed write only when the file is closed. */
    int e = release(j, j->bytes_written == 0);
    if (e && !j->err) io_error(j, path ? path : "?", e, "close failed");
    free(path);
  }
  free(j->buf);
  j->buf = NULL;
  j->len = j->cap = 0;
  return j->err;
}
