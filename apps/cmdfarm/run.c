/* run.c - the worker: a command run with /bin/sh -c under a guardian process that leads its
 * process group, its stdout and stderr read as they come (kept up to --max-output, written to
 * --output-dir, or sent as lines to the master under --line-buffer), --timeout enforced, a
 * failure told on stderr, and the exit status, run time, node and output sent back as the
 * result. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* pipe2, _Fork, strsignal, memrchr, SYS_close_range */
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
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cmdfarm.h"

extern char **environ;

#define NEVER 1e300 /* a deadline that never comes */

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int cf_worker_init(tf_handle *h, void *vctx) {
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

/* Follow the command (its guardian is pid, started at t0) to its end, or past --timeout: SIGTERM
 * to its process group, SIGKILL KILL_GRACE_S later; read stdout and stderr as they come (poll:
 * neither pipe can fill up and block the command). The output ends when every process holding
 * the pipes is gone, background jobs included; a second after the SIGKILL the worker stops
 * waiting for it. */
static void wait_reading(const cmdfarm *c, pid_t pid, double t0, stream s[2], outcome *o) {
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
}

/* Run the command under its guardian: stdin from /dev/null, stdout and stderr into pipes read
 * until they end, its wait status (and execve's errno) from the guardian over a socket. */
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
  wait_reading(c, pid, t0, s, o);
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
      cf_emit(f, line, s[i].buf ? s[i].buf : "", s[i].kept, s[i].total);
  if (f == stderr) return;
  fclose(f);
  for (size_t done = 0; text && done < len;) {
    ssize_t w = write(2, text + done, len - done);
    if (w < 0 && errno != EINTR) break;
    if (w > 0) done += (size_t)w;
  }
  free(text);
}

/* The verdict on a run: 0 when it succeeded, else the code execute returns (it becomes "execute
 * returned N" in the library's message), with what happened in why (n bytes). io: its output
 * could not go to --output-dir; len: the command's length. */
static int verdict(const cmdfarm *c, const outcome *o, int io, size_t len, char *why, size_t n) {
  int code = 0;
  if (io)
    code = 126, snprintf(why, n, "its output could not be written to --output-dir");
  else if (o->spawn_errno)
    code = 127, snprintf(why, n, "cannot start /bin/sh: %s", strerror(o->spawn_errno));
  else if (o->exec_errno == E2BIG)
    code = 126, snprintf(why, n,
                         "the command (%zu bytes) is longer than the system's argument limit "
                         "(ARG_MAX %ld bytes for the arguments and the environment; Linux takes "
                         "%ld bytes in one argument); /bin/sh could not be started",
                         len, sysconf(_SC_ARG_MAX), 32 * sysconf(_SC_PAGESIZE));
  else if (o->exec_errno)
    code = o->exec_errno == ENOENT ? 127 : 126,
    snprintf(why, n, "cannot start /bin/sh: %s", strerror(o->exec_errno));
  else if (o->timed_out)
    code = 124, snprintf(why, n, "timed out (--timeout %g), killed", c->timeout);
  else if (o->wait_errno)
    code = 127, snprintf(why, n, "no exit status: %s", strerror(o->wait_errno));
  else if (WIFSIGNALED(o->status)) {
    int sig = WTERMSIG(o->status);
    code = 128 + sig, snprintf(why, n, "killed by signal %d (%s)", sig, strsignal(sig));
  } else if (WEXITSTATUS(o->status))
    code = WEXITSTATUS(o->status), snprintf(why, n, "exit status %d", code);
  return code;
}

/* The result of a run of command line, also of a failed run (the master's failed gets it): the
 * exit status or signal, the times, the node, and the output kept. 0, or -1. */
static int send_result(tf_handle *h, const cmdfarm *c, const tf_task *task, uint64_t line,
                       double start, int code, const outcome *o, const stream s[2]) {
  cmd_result r;
  memset(&r, 0, sizeof r);
  r.line = line;
  r.seconds = o->seconds;
  r.start = start;
  r.exitval = o->reaped && WIFEXITED(o->status) ? WEXITSTATUS(o->status)
              : code && !o->reaped              ? code
                                                : 0;
  r.signal = o->reaped && WIFSIGNALED(o->status) ? WTERMSIG(o->status) : 0;
  r.out_bytes = s[0].total, r.err_bytes = s[1].total;
  r.out_kept = (uint32_t)s[0].kept, r.err_kept = (uint32_t)s[1].kept;
  r.attempt = task->attempt;
  r.rank = tf_rank(h);
  snprintf(r.node, sizeof r.node, "%s", c->node);
  size_t size = sizeof r + s[0].kept + s[1].kept;
  char *buf = malloc(size);
  if (!buf) return -1;
  memcpy(buf, &r, sizeof r);
  if (s[0].kept) memcpy(buf + sizeof r, s[0].buf, s[0].kept);
  if (s[1].kept) memcpy(buf + sizeof r + s[0].kept, s[1].buf, s[1].kept);
  int rc = tf_result(h, buf, size);
  free(buf);
  return rc;
}

/* A task: its command run (into --output-dir, or kept for the result), a failure told, the result
 * sent. A failed run returns its verdict's code. */
int cf_execute(tf_handle *h, const tf_task *task, void *vctx) {
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
  char why[320];
  int code = verdict(c, &o, io, len, why, sizeof why);
  if (code)
    tell_failure(c, command, t.line, task->id, rank, task->attempt, tf_get_config(h)->retries, why,
                 o.seconds, s);
  int rc = send_result(h, c, task, t.line, start, code, &o, s);
  if (code) rc = code; /* "execute returned N" in the library's message */
  free(s[0].buf), free(s[1].buf), free(s[0].line), free(s[1].line);
  free(command);
  return rc;
}
