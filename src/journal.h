/* journal.h - the run journal: an append-only file in which the master records every finished
 * task (--journal) so that a later run can skip it (--resume). All integers are little-endian.
 *
 * Header, at offset 0:
 *   0  8  magic "TFJOURNL"
 *   8  4  version (TF_JOURNAL_VERSION)
 *  12  4  header length H = 32 + args_len
 *  16  8  fingerprint of the run, chosen by the caller
 *  24  4  args_len, at most TF_JOURNAL_MAX_ARGS
 *  28  4  CRC-32C of bytes [0, 28) followed by the args text
 *  32     args_len bytes: the run's arguments as text, for messages (no NUL)
 * Then records, back to back:
 *   0  4  'T' 'F' 'J' 'R'
 *   4  4  body length L (at least 16)
 *   8  4  CRC-32C of bytes [4, 8) followed by the L body bytes
 *  12  L  body: u64 task id, u32 result_size, u32 nchildren, the result bytes, then per child
 *         u64 id, i32 priority, u32 size and the size data bytes; nothing else.
 *
 * A run killed while writing leaves at most a torn record at the end: the reader reports it
 * so that the writer can cut it off. A bad record followed by a good one is damage, not a torn
 * write, and is refused rather than silently dropping the records after it.
 *
 * Nothing here needs MPI: the reader works on a memory buffer and can be fuzzed alone. */
#ifndef TF_JOURNAL_H
#define TF_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#define TF_JOURNAL_MAGIC "TFJOURNL"
/* 2: the fingerprint hashes the app options' parsed values (1 hashed their text). */
#define TF_JOURNAL_VERSION 2u
#define TF_JOURNAL_HEADER_SIZE 32u /* the header without its args text */
#define TF_JOURNAL_MAX_ARGS 4096u
#define TF_JOURNAL_RECORD_MAGIC "TFJR"
#define TF_JOURNAL_RECORD_HEADER 12u      /* magic, body length, CRC */
#define TF_JOURNAL_BODY_MIN 16u           /* id, result_size, nchildren */
#define TF_JOURNAL_CHILD_HEADER 16u       /* id, priority, size */
#define TF_JOURNAL_WRITE_DELAY 0.05       /* seconds a record may wait in memory */
#define TF_JOURNAL_WRITE_BYTES (1u << 20) /* buffered bytes that are written without waiting */

/* Errors besides the TF_E* codes of taskfarm.h; the reason is in the journal's errmsg (or the
 * err text of tf__journal_read_file). */
#define TF_JOURNAL_EIO (-100)    /* a system call on the file failed */
#define TF_JOURNAL_ENOENT (-101) /* tf__journal_read_file: there is no such file */
#define TF_JOURNAL_EBUSY (-102)  /* tf__journal_open: another process holds the journal's lock */

/* ---- reading ---- */

/* A child task as recorded; data points into the parsed buffer. */
typedef struct tf_jchild {
  uint64_t id;
  int32_t prio;
  uint32_t size;
  const void *data;
} tf_jchild;

/* A valid record; the pointers point into the parsed buffer. */
typedef struct tf_jrecord {
  uint64_t id;
  const void *result;
  uint32_t result_size;
  uint32_t nchildren;
  const unsigned char *children; /* encoded; read them with tf__journal_next_child */
  size_t children_len;
  size_t offset; /* where the record starts in the file */
} tf_jrecord;

/* Read the child at *pos (start with 0) of r and advance *pos. Returns 1 when a child was read,
 * 0 at the end. */
int tf__journal_next_child(const tf_jrecord *r, size_t *pos, tf_jchild *out);

/* Called for each valid record in file order; a non-zero return stops the parse. */
typedef int (*tf_journal_visit)(void *arg, const tf_jrecord *r);

/* What tf__journal_parse found. */
typedef struct tf_jscan {
  int has_header; /* 0: the buffer was empty or held only part of a header (torn at creation) */
  uint64_t fingerprint;
  const char *args; /* points into the buffer; args_len bytes, no NUL */
  uint32_t args_len;
  size_t header_len;
  size_t valid_len; /* bytes of header and whole valid records: where appending goes on */
  size_t torn;      /* bytes after valid_len that are a torn tail, to be cut off */
  uint64_t records; /* valid records seen */
  char error[256];  /* why the parse failed; empty on success */
} tf_jscan;

/* Check buf[0..len) and call fn (may be NULL) with each valid record in order; records with a
 * body over max_record bytes count as invalid. Returns 0 when the buffer is a journal, perhaps
 * with a torn header or tail (see out); TF_EPROTO with out->error when it is not one or is
 * damaged before its last valid record; TF_EINVAL for bad arguments; or fn's non-zero return,
 * with out describing the records up to and including the one fn stopped at. */
int tf__journal_parse(const void *buf, size_t len, uint64_t max_record, tf_journal_visit fn,
                      void *arg, tf_jscan *out);

/* Load the file at path into a malloc'd *buf (NULL with *len 0 for an empty file), up to the
 * size it had when opened. Returns 0, TF_JOURNAL_ENOENT when there is no such file, TF_EINVAL
 * when it is not a regular file (a device, a FIFO, a directory), TF_JOURNAL_EIO or TF_ENOMEM,
 * with the reason in err. */
int tf__journal_read_file(const char *path, unsigned char **buf, size_t *len, char *err,
                          size_t errsz);

/* ---- writing ---- */

/* An open journal. Times ("now") are seconds on any clock that does not go backwards.
 *
 * One run owns a journal: tf__journal_open takes a write lock on the whole file with fcntl (an
 * open file description lock where the kernel has them, else a POSIX lock), which the kernel,
 * or on NFS the lock manager, gives back when the holder dies however it dies; and it writes
 * PATH.lock, "pid P on HOST since DATE", so that a second run can say who holds it. The file is
 * opened with O_APPEND, so that even writers that do not see each other's locks never
 * overwrite each other's records. */
typedef struct tf_journal {
  int fd;             /* valid only while path is set */
  char *path;         /* NULL when the journal is not open */
  char *lock_path;    /* PATH.lock */
  int created;        /* tf__journal_open made the file */
  int wrote_lock_file; /* PATH.lock is ours, to remove on close */
  int lock_errno;      /* not 0: the file system refused the lock (ENOLCK, EOPNOTSUPP, ...) and
                          the journal is open without it */
  unsigned char *buf; /* encoded records not yet written */
  size_t len, cap;
  double oldest;          /* when the oldest record in buf was added */
  double last_sync;       /* when the file was last synced */
  double sync_every;      /* seconds between fdatasync calls; 0: after every write */
  int dirty;              /* written since the last fdatasync */
  int err;                /* the first I/O error; every later call returns it */
  uint64_t records;       /* records added through this handle */
  uint64_t bytes_written; /* bytes written through this handle, header included */
  char errmsg[512];       /* the reason for the last error, naming the file */
} tf_journal;

/* Open the journal at path for this run, creating an empty one when there is none, and lock
 * it; then, when buf and len are given, read what it holds into a malloc'd *buf (NULL with
 * *len 0 when empty), up to the size it had then, never more. j is overwritten. Returns 0;
 * TF_EINVAL when path is not a regular file (a device, a FIFO, a directory: refused before
 * anything is read); TF_JOURNAL_EBUSY when another process holds the lock (errmsg names it);
 * TF_JOURNAL_EIO or TF_ENOMEM; on failure nothing stays open and a file this call made is
 * removed. A file system without working locks is no error: j->lock_errno says so. */
int tf__journal_open(tf_journal *j, const char *path, double sync_every, unsigned char **buf,
                     size_t *len);
/* Give an open journal (empty, or holding a header torn at its creation) a new header and
 * sync it. Returns 0, TF_EINVAL or TF_JOURNAL_EIO. */
int tf__journal_start(tf_journal *j, uint64_t fingerprint, const char *args, size_t args_len,
                      double now);
/* Go on appending to an open journal whose first valid_len bytes tf__journal_parse found
 * valid: cut off anything after them (a torn tail) and sync. Returns 0 or TF_JOURNAL_EIO. */
int tf__journal_continue(tf_journal *j, size_t valid_len, double now);
/* tf__journal_open and tf__journal_start: path must not exist, or with replace may (it is
 * emptied first). */
int tf__journal_create(tf_journal *j, const char *path, int replace, uint64_t fingerprint,
                       const char *args, size_t args_len, double sync_every, double now);
/* tf__journal_open (reading nothing) and tf__journal_continue. */
int tf__journal_reopen(tf_journal *j, const char *path, size_t valid_len, double sync_every,
                       double now);
/* Buffer one record for task id: its result and the n children it submitted (all copied).
 * Returns 0, TF_EINVAL, TF_ETOOBIG (a body over 4 GiB), TF_ENOMEM or the sticky error. */
int tf__journal_add(tf_journal *j, uint64_t id, const void *result, size_t result_size,
                    const tf_jchild *children, uint32_t n, double now);
/* Write the buffer when its oldest record is TF_JOURNAL_WRITE_DELAY old or it holds
 * TF_JOURNAL_WRITE_BYTES, and sync when sync_every has passed since the last sync. Cheap when
 * there is nothing to do: call it often. Returns 0 or TF_JOURNAL_EIO. */
int tf__journal_tick(tf_journal *j, double now);
/* Write everything buffered and sync. Returns 0 or TF_JOURNAL_EIO. */
int tf__journal_flush(tf_journal *j, double now);
/* Flush, close (which gives the lock back, after removing PATH.lock) and free; safe on a
 * zeroed struct, after an error and twice. A file tf__journal_open made that never got a
 * header is removed. Returns 0 or the journal's I/O error, TF_JOURNAL_EIO, whenever it
 * happened (errmsg says why). */
int tf__journal_close(tf_journal *j, double now);

#endif
