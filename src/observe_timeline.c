/* observe_timeline.c - the --timeline file: an SVG Gantt chart of the run,
 * a row per worker and a bar per task coloured by its duration, drawn from
 * the events rank 0 gathered (observe.c) on the master's clock. */
#include "observe_int.h"

#include <math.h>
#include <stdio.h>

/* Above this many tasks, bars narrower than a pixel that touch are merged
 * in the SVG, so that it stays small enough for a browser. */
#define TF_SVG_MERGE_ABOVE 20000

/* The chart's scale and place on the page, in seconds and pixels. */
typedef struct tf_timeline_plot {
  double end;              /* seconds across the plot */
  double dmin, dmax;       /* the shortest and longest task */
  double lmin, lmax;       /* their logs: the ends of the colour ramp */
  double W, H;             /* the page */
  double left, top, row;   /* the plot's corner; a worker's row height */
  double plotw, ploth, px; /* the plot's size; seconds per pixel */
  int merge;               /* merge bars narrower than a pixel (many tasks) */
  size_t ntasks;
} tf_timeline_plot;

/* Tasks run back to back that are drawn as one bar. */
typedef struct tf_timeline_merged {
  double a, b, sum; /* from, to; their durations summed */
  size_t n;         /* how many (0: none open) */
  uint64_t first;   /* the first one's id */
} tf_timeline_merged;

static void xml_str(FILE *f, const char *s) {
  for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
    if (*p == '<') fputs("&lt;", f);
    else if (*p == '>') fputs("&gt;", f);
    else if (*p == '&') fputs("&amp;", f);
    else if (*p == '"') fputs("&quot;", f);
    else if (*p < 0x20) fputc(' ', f);
    else fputc(*p, f);
  }
}

/* A colour on a viridis-like ramp, v in [0, 1]. */
static void ramp(double v, char out[8]) {
  static const double stops[5][3] = {
      {68, 1, 84}, {59, 82, 139}, {33, 145, 140}, {94, 201, 98}, {253, 231, 37}};
  if (!(v >= 0)) v = 0;
  if (v > 1) v = 1;
  double x = v * 4;
  int i = x >= 4 ? 3 : (int)x;
  double t = x - i;
  int c[3];
  for (int k = 0; k < 3; k++)
    c[k] = (int)(stops[i][k] + t * (stops[i + 1][k] - stops[i][k]) + 0.5);
  snprintf(out, 8, "#%02x%02x%02x", c[0], c[1], c[2]);
}

/* The colour of a task of d seconds: its place between the shortest and the
 * longest on a log scale. */
static void duration_colour(const tf_timeline_plot *p, double d, char out[8]) {
  ramp(p->lmax > p->lmin ? (log(d > 1e-9 ? d : 1e-9) - p->lmin) / (p->lmax - p->lmin) : 0.5, out);
}

static void fmt_secs(char *b, size_t n, double s) {
  if (s >= 1 || s == 0)
    snprintf(b, n, "%.3g s", s);
  else if (s >= 1e-3)
    snprintf(b, n, "%.3g ms", s * 1e3);
  else
    snprintf(b, n, "%.3g us", s * 1e6);
}

/* The span and durations of the tasks, and the layout that follows from
 * them and the number of workers. */
static void plot_measure(const tf_obs *o, const tf_run_stats *s, tf_timeline_plot *p) {
  double end = s->wall, dmin = 1e300, dmax = 0;
  size_t ntasks = 0;
  for (int w = 0; w < o->nworkers; w++)
    for (size_t i = 0; i < o->w[w].nev; i++) {
      const tf_event *e = &o->w[w].ev[i];
      double b = tf__obs_w_time(o, w, e->t1), d = (double)(e->t1 - e->t0) * 1e-9;
      if (b > end) end = b;
      if (d < dmin) dmin = d;
      if (d > dmax) dmax = d;
      ntasks++;
    }
  if (end <= 0) end = 1e-3;
  if (dmin > dmax) dmin = dmax = 0;
  p->end = end, p->dmin = dmin, p->dmax = dmax, p->ntasks = ntasks;
  p->lmin = log(dmin > 1e-9 ? dmin : 1e-9), p->lmax = log(dmax > 1e-9 ? dmax : 1e-9);
  const double right = 30;
  p->W = 1200, p->left = 150, p->top = 70;
  p->row = o->nworkers <= 16 ? 24 : o->nworkers <= 64 ? 12 : 6;
  p->plotw = p->W - p->left - right, p->ploth = p->row * o->nworkers;
  p->H = p->top + p->ploth + 80;
  p->merge = ntasks > TF_SVG_MERGE_ABOVE;
  p->px = end / p->plotw;
}

/* The SVG's opening and the title lines. */
static void write_title(FILE *f, const tf_obs *o, const tf_app *app, const tf_run_stats *s,
                        const tf_timeline_plot *p) {
  fprintf(f,
          "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
          "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 "
          "%.0f %.0f\" font-family=\"sans-serif\" font-size=\"12\">\n",
          p->W, p->H, p->W, p->H);
  fprintf(f, "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n<text x=\"%.0f\" y=\"24\" "
             "font-size=\"16\" font-weight=\"bold\">",
          p->left);
  xml_str(f, app && app->name ? app->name : "app");
  char wl[32];
  fmt_secs(wl, sizeof wl, s->wall);
  fprintf(f,
          ": %llu tasks on %d worker%s in %s</text>\n<text x=\"%.0f\" y=\"44\" fill=\"#444\">one "
          "row per worker; a bar per task, coloured by its duration; white gaps: the worker had "
          "nothing to run%s</text>\n",
          (unsigned long long)p->ntasks, o->nworkers, o->nworkers == 1 ? "" : "s", wl, p->left,
          p->merge ? "; tasks shorter than a pixel are merged" : "");
}

/* The time axis: grid lines, their labels and the axis title. */
static void write_axis(FILE *f, const tf_timeline_plot *p) {
  double end = p->end, left = p->left, top = p->top, plotw = p->plotw, ploth = p->ploth;
  double step = pow(10, floor(log10(end / 8)));
  if (end / step > 40) step *= 5;
  else if (end / step > 16) step *= 2;
  fprintf(f, "<g class=\"axis\" stroke=\"#ccc\">\n");
  for (double t = 0; t <= end * 1.0001; t += step)
    fprintf(f, "<line x1=\"%.2f\" y1=\"%.0f\" x2=\"%.2f\" y2=\"%.0f\"/>\n", left + t / end * plotw,
            top - 4, left + t / end * plotw, top + ploth);
  fprintf(f, "</g>\n<g class=\"ticks\" text-anchor=\"middle\">\n");
  for (double t = 0; t <= end * 1.0001; t += step) {
    char b[32];
    fmt_secs(b, sizeof b, t);
    fprintf(f, "<text x=\"%.2f\" y=\"%.0f\">%s</text>\n", left + t / end * plotw, top + ploth + 18,
            b);
  }
  fprintf(f, "</g>\n<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\">time since the run "
             "started</text>\n",
          left + plotw / 2, top + ploth + 38);
}

/* A row's background and label per worker, and the title of the rows. */
static void write_rows(FILE *f, const tf_obs *o, const tf_timeline_plot *p) {
  for (int w = 0; w < o->nworkers; w++) {
    double y = p->top + w * p->row;
    fprintf(f,
            "<rect x=\"%.0f\" y=\"%.1f\" width=\"%.0f\" height=\"%.1f\" fill=\"%s\" "
            "fill-opacity=\"0.6\"/>\n",
            p->left, y, p->plotw, p->row, w % 2 ? "#f4f4f4" : "#ffffff");
    if (p->row >= 10)
      fprintf(f, "<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">worker %d (rank %d)%s</text>\n",
              p->left - 8, y + p->row / 2 + 4, w, tf__obs_rank_of(o, w),
              o->w[w].reported || o->serial ? "" : " lost");
  }
  fprintf(f, "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\" transform=\"rotate(-90 %.0f "
             "%.0f)\">workers</text>\n",
          18.0, p->top + p->ploth / 2, 18.0, p->top + p->ploth / 2);
}

/* The bar of the tasks merged in m, at height y, h high; m is left empty. */
static void write_merged(FILE *f, const tf_timeline_plot *p, tf_timeline_merged *m, double y,
                         double h) {
  char col[8];
  duration_colour(p, m->sum / m->n, col);
  fprintf(f,
          "<rect class=\"tasks\" data-count=\"%zu\" data-first=\"%llu\" x=\"%.2f\" "
          "y=\"%.1f\" width=\"%.2f\" height=\"%.1f\" fill=\"%s\"><title>%zu tasks from "
          "%llu</title></rect>\n",
          m->n, (unsigned long long)m->first, p->left + m->a / p->end * p->plotw, y,
          (m->b - m->a) / p->end * p->plotw, h, col, m->n, (unsigned long long)m->first);
  m->n = 0;
}

/* The bar of task e, which ran from a to b (d seconds), at height y, h high. */
static void write_bar(FILE *f, const tf_timeline_plot *p, const tf_event *e, double a, double b,
                      double d, double y, double h) {
  char col[8], ds[32];
  if (e->arg)
    snprintf(col, sizeof col, "#d62728");
  else
    duration_colour(p, d, col);
  fmt_secs(ds, sizeof ds, d);
  double bw = (b - a) / p->end * p->plotw;
  fprintf(f,
          "<rect class=\"task%s\" data-id=\"%llu\" x=\"%.2f\" y=\"%.1f\" width=\"%.3f\" "
          "height=\"%.1f\" fill=\"%s\"%s><title>task %llu%s: %s</title></rect>\n",
          e->arg ? " failed" : "", (unsigned long long)e->id, p->left + a / p->end * p->plotw, y,
          bw > 0.05 ? bw : 0.05, h, col, bw > 3 ? " stroke=\"white\" stroke-width=\"0.5\"" : "",
          (unsigned long long)e->id, e->arg ? " (failed)" : "", ds);
}

/* Worker w's group of bars: a bar per task, or per run of touching tasks
 * narrower than a pixel when p->merge (a failed one is always its own). */
static void write_worker_bars(FILE *f, const tf_obs *o, int w, const tf_timeline_plot *p) {
  double y = p->top + w * p->row + 1, h = p->row - 2;
  fprintf(f, "<g class=\"worker\" data-worker=\"%d\" data-rank=\"%d\">\n", w,
          tf__obs_rank_of(o, w));
  tf_timeline_merged m = {0, -1, 0, 0, 0};
  for (size_t i = 0; i <= o->w[w].nev; i++) {
    const tf_event *e = i < o->w[w].nev ? &o->w[w].ev[i] : NULL;
    double a = e ? tf__obs_w_time(o, w, e->t0) : 0, b = e ? tf__obs_w_time(o, w, e->t1) : 0;
    double d = e ? (double)(e->t1 - e->t0) * 1e-9 : 0;
    if (p->merge && m.n && e && !e->arg && b - a < p->px && a - m.b < p->px) {
      m.b = b; /* extend the merged bar */
      m.sum += d;
      m.n++;
      continue;
    }
    if (m.n) write_merged(f, p, &m, y, h);
    if (!e) break;
    if (p->merge && !e->arg && b - a < p->px) { /* start a merged bar */
      m = (tf_timeline_merged){a, b, d, 1, e->id};
      continue;
    }
    write_bar(f, p, e, a, b, d, y, h);
  }
  fprintf(f, "</g>\n");
}

/* The legend: the duration ramp, the colour of a failed run, and the
 * events left out past --trace-events. */
static void write_legend(FILE *f, const tf_obs *o, const tf_timeline_plot *p) {
  double left = p->left, ly = p->top + p->ploth + 52;
  fprintf(f, "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"end\">task duration</text>\n", left - 8,
          ly + 11);
  for (int i = 0; i < 10; i++) {
    char col[8];
    ramp(i / 9.0, col);
    fprintf(f, "<rect x=\"%.0f\" y=\"%.0f\" width=\"30\" height=\"14\" fill=\"%s\"/>\n",
            left + 70 + 30 * i, ly, col);
  }
  char a[32], b[32];
  fmt_secs(a, sizeof a, p->dmin);
  fmt_secs(b, sizeof b, p->dmax);
  fprintf(f,
          "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"end\">%s</text>\n<text x=\"%.0f\" "
          "y=\"%.0f\">%s (log scale)</text>\n<rect x=\"%.0f\" y=\"%.0f\" width=\"14\" "
          "height=\"14\" fill=\"#d62728\"/>\n<text x=\"%.0f\" y=\"%.0f\">failed run</text>\n",
          left + 66, ly + 11, a, left + 376, ly + 11, b, left + 560, ly, left + 580, ly + 11);
  uint64_t dropped = tf__obs_dropped_total(o);
  if (dropped)
    fprintf(f,
            "<text x=\"%.0f\" y=\"%.0f\" fill=\"#d62728\">%llu events past the --trace-events cap "
            "were not recorded</text>\n",
            left + 700, ly + 11, (unsigned long long)dropped);
}

int tf__obs_write_timeline(const tf_obs *o, const tf_config *cfg, const tf_app *app,
                           const tf_run_stats *s) {
  tf_output out;
  FILE *f = tf__obs_open_out(&out, cfg->timeline_file, "--timeline");
  if (!f) return TF_EIO;
  tf_timeline_plot p;
  plot_measure(o, s, &p);
  write_title(f, o, app, s, &p);
  write_axis(f, &p);
  write_rows(f, o, &p);
  for (int w = 0; w < o->nworkers; w++)
    write_worker_bars(f, o, w, &p);
  write_legend(f, o, &p);
  fprintf(f, "</svg>\n");
  return tf__obs_close_out(&out, "--timeline");
}
