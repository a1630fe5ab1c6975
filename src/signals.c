/* signals.c - see signals.h. The handlers only set flags or write(2) a
 * prepared message: nothing else is safe inside a signal handler. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* on_exit: the status a task passed to exit() */
#endif
#include "signals.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const int stop_signals[] = {SIGUSR1, SIGUSR2, SIGTERM, SIGINT};
static const int crash_signals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
#define NSTOP (int)(sizeof stop_signals / sizeof *stop_signals)
#define NCRASH (int)(sizeof crash_signals / sizeof *crash_signals)

static volatile sig_atomic_t stop_sig, stop_n, cont_n;
volatile sig_atomic_t tf__crash_in_task;
volatile uint64_t tf__crash_task_id;
static volatile sig_atomic_t exit_status;
static char prefix[64]; /* "taskfarm: rank R: " */
static struct sigaction old_stop[NSTOP], old_crash[NCRASH], old_alarm, old_cont;
static int installed, installed_stop;
static char altstack[64 * 1024]; /* a crash may be a stack overflow */

const char *tf__signal_name(int sig) {
  switch (sig) {
  case SIGUSR1: return "SIGUSR1";
  case SIGUSR2: return "SIGUSR2";
  case SIGTERM: return "SIGTERM";
  case SIGINT: return "SIGINT";
  case SIGSEGV: return "SIGSEGV (segmentation fault)";
  case SIGBUS: return "SIGBUS (bus error)";
  case SIGFPE: return "SIGFPE (arithmetic exception)";
  case SIGILL: return "SIGILL (illegal instruction)";
  case SIGABRT: return "SIGABRT (abort)";
  case SIGALRM: return "SIGALRM";
  default: return "a signal";
  }
}

static void on_stop(int sig) {
  if (!stop_sig) stop_sig = sig;
  stop_n++;
}

static void on_worker_stop(int sig) { (void)sig; /* the master decides */ }

static void on_cont(int sig) {
  (void)sig;
  cont_n++;
}

/* Append s to buf (async-signal-safe). */
static size_t put(char *buf, size_t n, size_t cap, const char *s) {
  while (*s && n + 1 < cap)
    buf[n++] = *s++;
  return n;
}

static size_t put_u64(char *buf, size_t n, size_t cap, uint64_t v) {
  char d[24];
  int k = 0;
  do {
    d[k++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  while (k && n + 1 < cap)
    buf[n++] = d[--k];
  return n;
}

static void on_crash(int sig) {
  char msg[512];
  size_t n = put(msg, 0, sizeof msg, prefix);
  if (tf__crash_in_task) {
    n = put(msg, n, sizeof msg, "task ");
    n = put_u64(msg, n, sizeof msg, tf__crash_task_id);
    n = put(msg, n, sizeof msg, " crashed with ");
  } else {
    n = put(msg, n, sizeof msg, "crashed outside any task with ");
  }
  n = put(msg, n, sizeof msg, tf__signal_name(sig));
  n = put(msg, n, sizeof msg,
          "; this process dies now (under mpirun, --enable-recovery lets the others go on; "
          "--journal and --resume keep what finished)\n");
  ssize_t w = write(STDERR_FILENO, msg, n);
  (void)w;
  /* Hand the signal back to whoever had it (Open MPI's backtrace, or the
   * default action): a fault happens again on return, abort() raises again. */
  for (int i = 0; i < NCRASH; i++)
    if (crash_signals[i] == sig) sigaction(sig, &old_crash[i], NULL);
}

/* A task that calls exit() ends its process without a signal: name it too.
 * (The handler stays registered for the life of the process; outside a task
 * it says nothing.) */
static void on_process_exit(int status, void *arg) {
  (void)arg;
  if (!tf__crash_in_task) return;
  char msg[512];
  size_t n = put(msg, 0, sizeof msg, prefix);
  n = put(msg, n, sizeof msg, "task ");
  n = put_u64(msg, n, sizeof msg, tf__crash_task_id);
  n = put(msg, n, sizeof msg, " called exit(");
  if (status < 0) n = put(msg, n, sizeof msg, "-");
  n = put_u64(msg, n, sizeof msg, (uint64_t)(status < 0 ? -(int64_t)status : status));
  n = put(msg, n, sizeof msg,
          ") inside execute; this process ends now (a task fails by returning non-zero from "
          "execute; under mpirun, --enable-recovery lets the others go on)\n");
  ssize_t w = write(STDERR_FILENO, msg, n);
  (void)w;
}

void tf__signals_early(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sa.sa_handler = on_stop;
  for (int i = 0; i < NSTOP; i++)
    if (stop_signals[i] != SIGINT) sigaction(stop_signals[i], &sa, NULL);
}

void tf__signals_ignore_stops(void) {
  for (int i = 0; i < NSTOP; i++)
    signal(stop_signals[i], SIG_IGN);
}

void tf__signals_install(int master, int rank) {
  if (installed) return;
  snprintf(prefix, sizeof prefix, "taskfarm: rank %d: ", rank);
  stack_t ss;
  memset(&ss, 0, sizeof ss);
  ss.ss_sp = altstack;
  ss.ss_size = sizeof altstack;
  sigaltstack(&ss, NULL);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  /* Stop signals: on a worker only those mpirun and the batch system send
   * to every rank; SIGINT keeps its meaning there. */
  sa.sa_handler = master ? on_stop : on_worker_stop;
  for (int i = 0; i < NSTOP; i++)
    if (master || stop_signals[i] != SIGINT) sigaction(stop_signals[i], &sa, &old_stop[i]);
  installed_stop = master ? 2 : 1;
  if (master) {
    sa.sa_handler = on_cont;
    sigaction(SIGCONT, &sa, &old_cont);
  }
  sa.sa_handler = on_crash;
  sa.sa_flags = SA_ONSTACK | SA_NODEFER;
  for (int i = 0; i < NCRASH; i++)
    sigaction(crash_signals[i], &sa, &old_crash[i]);
  static int exit_hook;
  if (!exit_hook) exit_hook = on_exit(on_process_exit, NULL) == 0;
  installed = 1;
}

void tf__signals_restore(void) {
  if (!installed) return;
  for (int i = 0; i < NSTOP; i++)
    if (installed_stop == 2 || stop_signals[i] != SIGINT) sigaction(stop_signals[i], &old_stop[i], NULL);
  if (installed_stop == 2) sigaction(SIGCONT, &old_cont, NULL);
  for (int i = 0; i < NCRASH; i++)
    sigaction(crash_signals[i], &old_crash[i], NULL);
  installed = 0;
}

int tf__stop_signal(void) { return stop_sig; }
int tf__stop_count(void) { return stop_n; }
void tf__stop_reset(void) { stop_sig = stop_n = 0; }
unsigned tf__cont_count(void) { return (unsigned)cont_n; }

int tf__stop_urgent(void) {
  /* mpirun (ORTE) tells the ranks it started where it is; srun does not */
  return stop_sig == SIGTERM && getenv("OMPI_MCA_orte_hnp_uri") != NULL;
}

static void on_alarm(int sig) {
  (void)sig;
  char msg[256];
  size_t n = put(msg, 0, sizeof msg, prefix);
  n = put(msg, n, sizeof msg, "MPI_Finalize did not return in time (a peer was lost); exiting\n");
  ssize_t w = write(STDERR_FILENO, msg, n);
  (void)w;
  _exit(exit_status);
}

void tf__finalize_deadline(unsigned seconds, int status, int rank) {
  snprintf(prefix, sizeof prefix, "taskfarm: rank %d: ", rank);
  exit_status = status;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sigemptyset(&sa.sa_mask);
  sa.sa_handler = on_alarm;
  sigaction(SIGALRM, &sa, &old_alarm);
  alarm(seconds);
}

void tf__finalize_done(void) {
  alarm(0);
  sigaction(SIGALRM, &old_alarm, NULL);
}
