/* signals.h - what the library does with signals. A stop request (SIGUSR1,
 * SIGUSR2, SIGTERM, SIGINT on the master) is noted for the master's loop,
 * which drains and exits with TF_EXIT_STOPPED; workers ignore the same
 * signals (mpirun and srun send them to every rank) and wait for the
 * master's word. A crash inside execute (SIGSEGV, SIGBUS, SIGFPE, SIGILL,
 * SIGABRT) is reported with the task's id before the signal takes its
 * course. And MPI_Finalize can be given a deadline. */
#ifndef TF_SIGNALS_H
#define TF_SIGNALS_H

#include <stdint.h>

/* Install the handlers for a master (1) or a worker (0) of rank `rank`;
 * tf__signals_restore puts back what was there before. */
void tf__signals_install(int master, int rank);
void tf__signals_restore(void);

/* After the farm, while the process ends: the stop signals are ignored (a
 * stop has nothing left to stop, and their default action would kill the
 * rank in the middle of MPI_Finalize). */
void tf__signals_ignore_stops(void);

/* Before MPI_Init, when the role is not known yet: note SIGUSR1, SIGUSR2
 * and SIGTERM instead of dying of them (mpirun forwards them as soon as the
 * ranks exist). tf__signals_install takes over. */
void tf__signals_early(void);

/* The first stop signal received (0: none), and how many have come. */
int tf__stop_signal(void);
int tf__stop_count(void);
/* The stop must be at once: SIGTERM to a rank that mpirun started means
 * mpirun itself got SIGTERM, SIGINT (Ctrl-C) or SIGHUP, and kills every rank
 * about a second later (odls_base_sigkill_timeout); there is no time to
 * drain, and MPI_Finalize would wait for mpirun until then. */
int tf__stop_urgent(void);
/* SIGCONTs received on the master: mpirun sends one at once when it starts
 * killing the job, a second before SIGTERM (also when a stopped job goes
 * on: it only means "flush the journal now"). */
unsigned tf__cont_count(void);
/* Forget stop signals received so far (a new farm starts). */
void tf__stop_reset(void);

/* The task now inside execute, for the crash report; tf__crash_clear when
 * execute has returned. Inline: they run around every task. */
#include <signal.h>
extern volatile sig_atomic_t tf__crash_in_task;
extern volatile uint64_t tf__crash_task_id;
static inline void tf__crash_set_task(uint64_t id) {
  tf__crash_task_id = id;
  tf__crash_in_task = 1;
}
static inline void tf__crash_clear(void) { tf__crash_in_task = 0; }

/* Exit the process with `status` if MPI_Finalize has not returned after
 * `seconds`: after a lost peer it can wait forever on a dead connection.
 * Everything worth keeping must be written before. */
void tf__finalize_deadline(unsigned seconds, int status, int rank);
/* MPI_Finalize returned: cancel the deadline. */
void tf__finalize_done(void);

/* "SIGTERM" and the like. */
const char *tf__signal_name(int sig);

#endif
