/* cmdfarm.h - what the files of cmdfarm share: a command, the task that carries it and the
 * result that comes back, the master's record of each command, --halt, the app's context, and
 * the functions one file calls in another (cf_*). The files: cmdfarm.c the app (options, hooks,
 * main); jobs.c the commands (FILE, or made from COMMAND ::: ARGS with args.h); halt.c --halt;
 * output.c the master's printing; report.c the tables and the lines at the end; run.c the
 * worker, which runs a command. */
#ifndef CF_CMDFARM_H
#define CF_CMDFARM_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "taskfarm.h"

#define ME "cmdfarm"
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
  char *tags;   /* --tag: every job's arguments, joined by spaces */
  int parallel; /* COMMAND ::: ARGS (GNU parallel's way): raw output, no [line N] */
  /* FILE, read by check_options on every rank (a worker frees it in worker_init). */
  char *text;
  size_t text_len, longest;
  cmd *cmds;
  uint64_t ncmds, nlines;
  char key[48]; /* "commands-digest=HEX": the journal_key, a digest of FILE's bytes */
  /* Master (master_init sets it up). */
  int quiet;
  char here[NODE_MAX]; /* the master's node: "Host" is ":" for commands run there (--joblog) */
  uint64_t next;       /* next command to submit */
  uint64_t cursor;     /* output of every command before this one is printed (or never came) */
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

/* What a command is called in messages: its line in FILE, or its job number (GNU parallel's
 * form). */
#define UNIT(c) ((c)->parallel ? "job" : "line")

/* ---- jobs.c: the commands ---------------------------------------------------------------- */

/* FNV-1a, 64 bits, of n bytes at p, from h (UINT64_C(0xcbf29ce484222325) to start). */
uint64_t cf_fnv1a(uint64_t h, const void *p, size_t n);
/* FILE (c->commands), read whole and split into commands (c->text, c->cmds). 0, or -1 with the
 * reason in err. */
int cf_read_commands(cmdfarm *c, char *err, size_t n);
/* GNU parallel's COMMAND ::: ARGS (the operands) and -a FILE: the commands, one per job, into
 * c->text and c->cmds. 0, or -1 with the reason in err. */
int cf_build_jobs(cmdfarm *c, const tf_config *cfg, char *err, size_t n);
/* The commands are known: the journal_key (c->key), the checks against --max-payload, and
 * --output-dir made. 0, or -1 with the reason in err. */
int cf_check_jobs(cmdfarm *c, const tf_config *cfg, char *err, size_t n);

/* ---- halt.c: --halt ---------------------------------------------------------------------- */

/* c->halt_arg into c->halt. 0, or -1 with the reason in err. */
int cf_parse_halt(cmdfarm *c, char *err, size_t n);
/* Command id ended in this run, failed or not: counted, and the run stopped at the count. */
int cf_count_for_halt(tf_handle *h, cmdfarm *c, uint64_t id, int failed);

/* ---- output.c: the master's printing ----------------------------------------------------- */

/* n bytes of a command's output to f, each line after "[line L] "; total > n: a cut marker. */
void cf_emit(FILE *f, uint64_t line, const char *p, size_t n, uint64_t total);
/* Command id ended, with its (last) run's result (size bytes, or none): noted, its output
 * printed or spooled for its turn. 0, or -1 (a result that does not hold together, output that
 * could not be printed or spooled). */
int cf_ended(cmdfarm *c, uint64_t id, const void *data, size_t size, int failed, int status);
/* --line-buffer: a piece (n bytes) of the output of command id, which still runs: printed, or
 * held for its turn. 0 or -1. */
int cf_piece(cmdfarm *c, uint64_t id, const char *p, size_t n);
/* Print the output waiting from the cursor on, in line order; all: also pass over the commands
 * that never sent a result. */
int cf_advance(cmdfarm *c, int all);

/* ---- report.c: the tables and the end of the run ----------------------------------------- */

/* The index of node name in the master's node table (added when new); -1: out of memory. */
int32_t cf_intern_node(cmdfarm *c, const char *name);
/* The master_fini hook. */
int cf_master_fini(tf_handle *h, void *vctx);

/* ---- run.c: the worker ------------------------------------------------------------------- */

/* The worker_init and execute hooks. */
int cf_worker_init(tf_handle *h, void *vctx);
int cf_execute(tf_handle *h, const tf_task *task, void *vctx);

#endif
