/* report.c - what the master writes at the end of a run, however it ended: the rest of the
 * output in line order, the --summary table, the --joblog (GNU parallel's job log), and on
 * stderr the count of the commands and the lines that failed, did not finish or were cut; and
 * the table of node names the results carry, which the two files name. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmdfarm.h"

/* The node table: results carry the node's name, the master keeps an index into this (open
 * addressing, at most half full: a million results from a thousand nodes stay cheap). */
static int grow_nodes(cmdfarm *c) {
  size_t ns = c->nslots ? 2 * c->nslots : 64;
  int32_t *s = malloc(ns * sizeof *s);
  char **nd = realloc(c->nodes, ns / 2 * sizeof *nd);
  if (nd) c->nodes = nd;
  if (!s || !nd) return free(s), -1;
  for (size_t i = 0; i < ns; i++)
    s[i] = -1;
  for (size_t i = 0; i < c->nnodes; i++) {
    size_t j = cf_fnv1a(UINT64_C(0xcbf29ce484222325), c->nodes[i], strlen(c->nodes[i])) & (ns - 1);
    while (s[j] >= 0)
      j = (j + 1) & (ns - 1);
    s[j] = (int32_t)i;
  }
  free(c->slots);
  c->slots = s;
  c->nslots = ns;
  return 0;
}

int32_t cf_intern_node(cmdfarm *c, const char *name) {
  if (2 * (c->nnodes + 1) > c->nslots && grow_nodes(c)) return -1;
  size_t j = cf_fnv1a(UINT64_C(0xcbf29ce484222325), name, strlen(name)) & (c->nslots - 1);
  for (; c->slots[j] >= 0; j = (j + 1) & (c->nslots - 1))
    if (!strcmp(c->nodes[c->slots[j]], name)) return c->slots[j];
  if (!(c->nodes[c->nnodes] = strdup(name))) return -1;
  c->slots[j] = (int32_t)c->nnodes;
  return (int32_t)c->nnodes++;
}

/* A command for a TSV field: tabs, newlines and backslashes escaped. */
static void tsv_text(FILE *f, const char *p, size_t n) {
  for (size_t i = 0; i < n; i++) {
    switch (p[i]) {
    case '\t': fputs("\\t", f); break;
    case '\n': fputs("\\n", f); break;
    case '\r': fputs("\\r", f); break;
    case '\\': fputs("\\\\", f); break;
    default: fputc(p[i], f);
    }
  }
}

/* --summary, written whole (tf_output_*): a run killed while writing it leaves no half table. */
static int write_summary(const cmdfarm *c, const char *missing) {
  tf_output out;
  char err[600];
  if (tf_output_open(c->summary, &out, err, sizeof err))
    return fprintf(stderr, ME ": --summary %s\n", err), -1;
  FILE *f = out.file;
  fprintf(f, "line\tstatus\texit\tseconds\tnode\tcommand\n");
  for (uint64_t i = 0; i < c->ncmds; i++) {
    const rec *r = c->recs ? &c->recs[i] : NULL;
    fprintf(f, "%llu\t", (unsigned long long)c->cmds[i].line);
    if (!r || r->state == R_NONE)
      fprintf(f, "%s\t-\t-\t-\t", missing);
    else if (r->node < 0) /* failed without a run that ended */
      fprintf(f, "failed\t%d\t-\t-\t", r->status);
    else
      fprintf(f, "%s\t%d\t%.3f\t%s\t", r->failed ? "failed" : "ok", r->status, r->seconds,
              c->nodes[r->node]);
    tsv_text(f, c->text + c->cmds[i].off, c->cmds[i].len);
    fputc('\n', f);
  }
  if (tf_output_commit(&out, err, sizeof err))
    return fprintf(stderr, ME ": --summary %s\n", err), -1;
  return 0;
}

/* --joblog FILE: GNU parallel's job log, its header and columns, a row per command that ran
 * (in line order; parallel writes them as they end). Host is ":" for the master's own node. */
static int write_joblog(const cmdfarm *c) {
  tf_output out;
  char err[600];
  if (tf_output_open(c->joblog, &out, err, sizeof err))
    return fprintf(stderr, ME ": --joblog %s\n", err), -1;
  FILE *f = out.file;
  fprintf(f, "Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\tCommand\n");
  for (uint64_t i = 0; c->recs && i < c->ncmds; i++) {
    const rec *r = &c->recs[i];
    if (r->state == R_NONE || r->node < 0) continue; /* never ran, or no run ended */
    const char *host = strcmp(c->nodes[r->node], c->here) ? c->nodes[r->node] : ":";
    fprintf(f, "%llu\t%s\t%.3f\t%10.3f\t0\t%llu\t%d\t%d\t%.*s\n",
            (unsigned long long)c->cmds[i].line, host, r->start, r->seconds,
            (unsigned long long)r->out_bytes, r->exitval, r->signal, (int)c->cmds[i].len,
            c->text + c->cmds[i].off);
  }
  if (tf_output_commit(&out, err, sizeof err))
    return fprintf(stderr, ME ": --joblog %s\n", err), -1;
  return 0;
}

/* " 3 7 12" for the commands that pass the test, at most LISTED_MAX of them. */
static void list_lines(const cmdfarm *c, int (*pick)(const rec *)) {
  uint64_t shown = 0, all = 0;
  for (uint64_t i = 0; i < c->ncmds; i++) {
    if (!pick(&c->recs[i])) continue;
    if (shown < LISTED_MAX) fprintf(stderr, " %llu", (unsigned long long)c->cmds[i].line), shown++;
    all++;
  }
  if (all > shown)
    fprintf(stderr, " ... (%llu more%s)", (unsigned long long)(all - shown),
            c->summary ? ", all in --summary" : "");
}
static int pick_failed(const rec *r) { return r->failed; }
static int pick_missing(const rec *r) { return r->state == R_NONE; }
static int pick_cut(const rec *r) { /* what came in pieces (--line-buffer) is never cut */
  return r->state != R_NONE && !r->live &&
         (r->out_bytes > r->out_kept || r->err_bytes > r->err_kept);
}

/* The end of a run, however it ended (master_fini: after finish, or after a stop signal,
 * --fail-fast or a failure, when finish did not run; the journal is closed by then): the rest of
 * the output in line order, the summary table, and on stderr how many commands succeeded, which
 * failed for good (the failed hook said so) and which did not finish (no result, no verdict:
 * they never ran, or ran when the run was cut short). */
int cf_master_fini(tf_handle *h, void *vctx) {
  (void)h;
  cmdfarm *c = vctx;
  if (c->dry_run) return 0;
  if (!c->ncmds) {
    if (c->parallel)
      fprintf(stderr, ME ": an argument source is empty: no command to run\n");
    else
      fprintf(stderr, ME ": %s has no commands (%llu lines, blank or comments): nothing to do\n",
              c->commands, (unsigned long long)c->nlines);
    return (c->summary && write_summary(c, "")) || (c->joblog && write_joblog(c)) ? -1 : 0;
  }
  int rc = c->outdir ? 0 : cf_advance(c, 1);
  fflush(stdout);
  uint64_t ok = 0, bad = 0, cut = 0;
  for (uint64_t i = 0; i < c->ncmds; i++) {
    ok += c->recs[i].state != R_NONE && !c->recs[i].failed;
    bad += pick_failed(&c->recs[i]);
    cut += pick_cut(&c->recs[i]);
  }
  uint64_t missing = c->ncmds - ok - bad;
  if (c->summary && write_summary(c, "not-done")) rc = -1;
  if (c->joblog && write_joblog(c)) rc = -1;
  if (c->quiet) return rc;
  fprintf(stderr, ME ": %llu command%s: %llu succeeded", (unsigned long long)c->ncmds,
          c->ncmds == 1 ? "" : "s", (unsigned long long)ok);
  if (bad) {
    fprintf(stderr, ", %llu failed: %s%s", (unsigned long long)bad, UNIT(c), bad == 1 ? "" : "s");
    list_lines(c, pick_failed);
  }
  if (missing) {
    fprintf(stderr, ", %llu did not finish: %s%s", (unsigned long long)missing, UNIT(c),
            missing == 1 ? "" : "s");
    list_lines(c, pick_missing);
  }
  fputc('\n', stderr);
  if (cut) {
    fprintf(stderr,
            ME ": output of %llu command%s cut at --max-output %llu bytes per stream: line%s",
            (unsigned long long)cut, cut == 1 ? "" : "s", (unsigned long long)c->max_output,
            cut == 1 ? "" : "s");
    list_lines(c, pick_cut);
    fputc('\n', stderr);
  }
  return rc;
}
