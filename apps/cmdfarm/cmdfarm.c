/* cmdfarm.c - a command farm: every line of a file is a shell command, run by a worker with
 * /bin/sh -c, one task per command. The worker records the exit status, run time and node and
 * captures stdout and stderr; the master prints the output in line order (or the workers write it
 * to --output-dir), writes a summary table and names the lines that failed. A command that fails
 * is a failed task, so --retries, --keep-going, --fail-fast and --journal work as for any app.
 *
 * This file is the app: its options, the hooks that hand out the commands and take their
 * results, and main. The rest is in the files cmdfarm.h names. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmdfarm.h"

/* ---- Options ----------------------------------------------------------------------------- */

/* FILE (the operand, or --commands FILE) is read here, on every rank; a digest of its bytes
 * becomes the journal_key (read after this), so that the journal is refused for an edited FILE,
 * while FILE's name is no part of it (neither --commands nor the operand is journaled): the
 * same commands under another name resume the journal. */
static int check_options(void *vctx, const tf_config *cfg, char *err, size_t n) {
  cmdfarm *c = vctx;
  if (c->halt_arg && cf_parse_halt(c, err, n)) return -1;
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
    if (cf_build_jobs(c, cfg, err, n)) return -1;
    c->commands = "the command line";
    return cf_check_jobs(c, cfg, err, n);
  }
  if (c->tag) return snprintf(err, n, "--tag goes with COMMAND ::: ARGS, not with a FILE"), -1;
  if (cfg->noperands && c->commands)
    return snprintf(err, n, "two command files: --commands %s and %s", c->commands,
                    cfg->operands[0]),
           -1;
  if (cfg->noperands) c->commands = cfg->operands[0];
  if (!c->commands)
    return snprintf(err, n, "no command FILE given (usage: taskfarm-cmdfarm [OPTIONS] FILE)"), -1;
  if (cf_read_commands(c, err, n)) return -1;
  return cf_check_jobs(c, cfg, err, n);
}

/* ---- Master ------------------------------------------------------------------------------ */

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

/* --line-buffer: a piece of a running command's output, printed at once or held for its turn. */
static int partial(tf_handle *h, const tf_task *piece, void *vctx) {
  (void)h;
  return cf_piece(vctx, piece->id, piece->data, piece->size);
}

/* A command succeeded: noted, its output printed in its turn, and counted for --halt. */
static int collect(tf_handle *h, const tf_task *result, void *vctx) {
  int rc = cf_ended(vctx, result->id, result->data, result->size, 0, 0);
  return rc ? rc : cf_count_for_halt(h, vctx, result->id, 0);
}

/* A command failed for good: noted with its code and, when its last run ended, its output,
 * printed in its turn as the others' (no run ended when its workers were lost). */
static int failed(tf_handle *h, const tf_failure *f, void *vctx) {
  int rc = cf_ended(vctx, f->id, f->result, f->result_size, 1, f->status);
  return rc ? rc : cf_count_for_halt(h, vctx, f->id, 1);
}

/* ---- main: cmdfarm's defaults for two common options ------------------------------------- */

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

/* What --help says above the options. */
static const char SUMMARY[] =
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
    "COMMAND has none), quoted for the shell; output as parallel -k prints it.";

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
      .summary = SUMMARY,
      .ctx = &c,
      .options = options,
      .check_options = check_options,
      .generate = generate,
      .execute = cf_execute,
      .collect = collect,
      .worker_init = cf_worker_init,
      .master_init = master_init,
      .master_fini = cf_master_fini,
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
