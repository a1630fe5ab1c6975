/* sweep.c - a sweep of the SIR epidemic model over a (beta, gamma) grid, one task per point: the
 * worker integrates the ODEs with GSL's rk8pd driver; the master keeps the summaries by grid index
 * and writes the closed-form check, the CSV table and the SVG heat map (whole, with tf_output). */
#include <gsl/gsl_errno.h>
#include <gsl/gsl_odeiv2.h>
#include <gsl/gsl_roots.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "taskfarm.h"

typedef struct sweep_ctx {
  long long nbeta, ngamma, samples; /* options */
  double bmin, bmax, gmin, gmax, i0, t_end, tol;
  const char *csv, *svg, *map;
  int check;
  long long next;     /* master: next grid index to submit */
  struct cell *cells; /* master: results by grid index */
} sweep_ctx;

typedef struct sweep_task {
  double beta, gamma;
} sweep_task;

/* What a task sends back: the summaries of one epidemic. */
typedef struct cell {
  double peak, t_peak; /* largest infected fraction and when */
  double s_end, r_end; /* S and R at t_end */
  uint64_t steps;      /* accepted ODE steps */
} cell;

static double grid(double lo, double hi, long long n, long long i) {
  return n == 1 ? lo : lo + (hi - lo) * (double)i / (double)(n - 1);
}
/* Grid index = ib * ngamma + ig = task id, so the CSV comes out sorted by (beta, gamma). */
static double beta_at(const sweep_ctx *c, long long id) {
  return grid(c->bmin, c->bmax, c->nbeta, id / c->ngamma);
}
static double gamma_at(const sweep_ctx *c, long long id) {
  return grid(c->gmin, c->gmax, c->ngamma, id % c->ngamma);
}

/* The root of F in [lo, hi] by Brent's method, to a bracket narrower than tol. */
static int brent(gsl_function *F, double lo, double hi, double tol, double *root) {
  gsl_root_fsolver *s = gsl_root_fsolver_alloc(gsl_root_fsolver_brent);
  if (!s) return GSL_ENOMEM;
  int st = gsl_root_fsolver_set(s, F, lo, hi);
  for (int it = 0; !st; it++) {
    if ((st = gsl_root_fsolver_iterate(s))) break;
    st = gsl_root_test_interval(gsl_root_fsolver_x_lower(s), gsl_root_fsolver_x_upper(s), tol, 0);
    if (st != GSL_CONTINUE) break;
    st = it < 200 ? GSL_SUCCESS : GSL_EMAXITER;
  }
  *root = gsl_root_fsolver_root(s);
  gsl_root_fsolver_free(s);
  return st;
}

static int check_options(void *vctx, const tf_config *cfg, char *err, size_t n) {
  (void)cfg;
  sweep_ctx *c = vctx;
  if (c->bmin > c->bmax) {
    snprintf(err, n, "--beta-min %g is larger than --beta-max %g", c->bmin, c->bmax);
    return -1;
  }
  if (c->gmin > c->gmax) {
    snprintf(err, n, "--gamma-min %g is larger than --gamma-max %g", c->gmin, c->gmax);
    return -1;
  }
  if (strcmp(c->map, "peak") && strcmp(c->map, "tpeak") && strcmp(c->map, "final")) {
    snprintf(err, n, "--map: '%s' is not one of peak, tpeak, final", c->map);
    return -1;
  }
  return 0;
}

/* The master's grid, before anything reaches collect (a --resume run reads
 * the journal back before generating). */
static int master_init(tf_handle *h, void *vctx) {
  (void)h;
  sweep_ctx *c = vctx;
  c->cells = calloc((size_t)(c->nbeta * c->ngamma), sizeof *c->cells);
  return c->cells ? 0 : TF_ENOMEM;
}

static int generate(tf_handle *h, void *vctx) {
  sweep_ctx *c = vctx;
  long long total = c->nbeta * c->ngamma;
  sweep_task t = {beta_at(c, c->next), gamma_at(c, c->next)};
  int rc = tf_submit(h, &t, sizeof t);
  if (rc) return rc;
  return ++c->next < total ? TF_GEN_MORE : TF_GEN_DONE;
}

static int sir(double t, const double y[], double dydt[], void *params) {
  (void)t;
  const sweep_task *p = params;
  double infection = p->beta * y[0] * y[1], recovery = p->gamma * y[1];
  dydt[0] = -infection;
  dydt[1] = infection - recovery;
  dydt[2] = recovery;
  return GSL_SUCCESS;
}

/* beta S(t) - gamma, zero at the peak of I: S(t) from the state y0 at t0 by the driver. */
typedef struct peak_fn {
  gsl_odeiv2_driver *d;
  const sweep_task *p;
  double t0, y0[3], y[3];
  int status;
} peak_fn;
static double peak_g(double t, void *vp) {
  peak_fn *q = vp;
  double tt = q->t0;
  memcpy(q->y, q->y0, sizeof q->y);
  gsl_odeiv2_driver_reset_hstart(q->d, 1e-3);
  if (t > tt && (q->status = gsl_odeiv2_driver_apply(q->d, &tt, t, q->y))) return NAN;
  return q->p->beta * q->y[0] - q->p->gamma;
}

/* The peak lies between the samples around the largest one: where dI/dt = 0. */
static int refine_peak(peak_fn *q, double t1, cell *r) {
  gsl_function F = {peak_g, q};
  int st = brent(&F, q->t0, t1, 1e-9, &r->t_peak);
  if (!st && isnan(peak_g(r->t_peak, q))) st = GSL_EBADFUNC;
  if (st) return q->status ? q->status : st; /* the ODE's failure says more than Brent's */
  r->peak = q->y[1];
  return GSL_SUCCESS;
}

static int execute(tf_handle *h, const tf_task *task, void *vctx) {
  sweep_ctx *c = vctx;
  sweep_task p;
  if (task->size != sizeof p) return -1;
  memcpy(&p, task->data, sizeof p);
  gsl_odeiv2_system sys = {sir, NULL, 3, &p};
  /* A fresh driver per task: one reused across tasks would start from the step size the last
   * task ended with, and the results would depend on which worker ran what before. */
  gsl_odeiv2_driver *d =
      gsl_odeiv2_driver_alloc_y_new(&sys, gsl_odeiv2_step_rk8pd, 1e-3, c->tol, c->tol);
  if (!d) return -1;
  double y[3] = {1 - c->i0, c->i0, 0}, t = 0, yprev[3];
  peak_fn q = {d, &p, 0, {0, 0, 0}, {0, 0, 0}, 0};
  cell r = {y[1], 0, 0, 0, 0};
  long long kpeak = 0;
  int st = 0;
  for (long long k = 1; k <= c->samples && !st; k++) {
    memcpy(yprev, y, sizeof y);
    double tprev = t;
    st = gsl_odeiv2_driver_apply(d, &t, c->t_end * (double)k / (double)c->samples, y);
    if (y[1] > r.peak) {
      r.peak = y[1], r.t_peak = t, kpeak = k;
      q.t0 = tprev;
      memcpy(q.y0, yprev, sizeof y);
    }
  }
  r.s_end = y[0];
  r.r_end = y[2];
  r.steps = d->e->count;
  /* An interior largest sample brackets the peak; at t = 0 or t_end there is none to refine. */
  if (!st && kpeak > 0 && kpeak < c->samples)
    st = refine_peak(&q, c->t_end * (double)(kpeak + 1) / (double)c->samples, &r);
  gsl_odeiv2_driver_free(d);
  if (st) {
    fprintf(stderr, "sweep: beta %g gamma %g: ODE or peak search failed (%s)\n", p.beta, p.gamma,
            gsl_strerror(st));
    return -1;
  }
  return tf_result(h, &r, sizeof r);
}

static int collect(tf_handle *h, const tf_task *result, void *vctx) {
  (void)h;
  sweep_ctx *c = vctx;
  if (result->size != sizeof(cell) || result->id >= (tf_id)(c->nbeta * c->ngamma)) return -1;
  memcpy(&c->cells[result->id], result->data, sizeof(cell));
  return 0;
}

/* Final size: the root in (0, 1) of f(R) = R - 1 + S0 exp(-R0 R); f(0) = -I0 < 0 < f(1). */
typedef struct final_eq {
  double s0, r0;
} final_eq;
static double final_f(double r, void *vp) {
  const final_eq *q = vp;
  return r - 1 + q->s0 * exp(-q->r0 * r);
}
static int final_size(double s0, double r0, double *out) {
  final_eq q = {s0, r0};
  gsl_function F = {final_f, &q};
  return brent(&F, 0, 1, 1e-14, out);
}

static double cell_value(const sweep_ctx *c, const cell *r) {
  return !strcmp(c->map, "peak") ? r->peak : !strcmp(c->map, "tpeak") ? r->t_peak : r->r_end;
}

static const char *map_title(const sweep_ctx *c) {
  return !strcmp(c->map, "peak")    ? "peak infected fraction"
         : !strcmp(c->map, "tpeak") ? "time of the peak"
                                    : "final size R(t_end)";
}

/* Start and finish an output file, written whole (tf_output_*): a run killed while writing it,
 * or a full disk, leaves the old file or none, never half of one. */
static FILE *open_file(tf_output *out, const char *opt, const char *path) {
  char err[600];
  if (tf_output_open(path, out, err, sizeof err) == 0) return out->file;
  fprintf(stderr, "sweep: %s %s\n", opt, err);
  return NULL;
}

static int close_file(tf_output *out, const char *opt) {
  char err[600];
  if (tf_output_commit(out, err, sizeof err) == 0) return 0;
  fprintf(stderr, "sweep: %s %s\n", opt, err);
  return -1;
}

static int write_csv(const sweep_ctx *c) {
  tf_output out;
  FILE *f = open_file(&out, "--csv", c->csv);
  if (!f) return -1;
  fprintf(f, "beta,gamma,R0,peak_infected,t_peak,S_end,R_end,steps\n");
  for (long long id = 0; id < c->nbeta * c->ngamma; id++) {
    double b = beta_at(c, id), g = gamma_at(c, id);
    const cell *r = &c->cells[id];
    fprintf(f, "%.10g,%.10g,%.10g,%.10g,%.10g,%.10g,%.10g,%llu\n", b, g, b / g, r->peak, r->t_peak,
            r->s_end, r->r_end, (unsigned long long)r->steps);
  }
  return close_file(&out, "--csv");
}

/* A five-stop approximation of the viridis palette, t in [0, 1]. */
static void colour(double t, char out[8]) {
  static const int stop[5][3] = {
      {68, 1, 84}, {59, 82, 139}, {33, 145, 140}, {94, 201, 98}, {253, 231, 37}};
  double x = fmin(fmax(t, 0), 1) * 4;
  int i = x >= 4 ? 3 : (int)x;
  double u = x - i;
  int rgb[3];
  for (int k = 0; k < 3; k++)
    rgb[k] = (int)lround(stop[i][k] + u * (stop[i + 1][k] - stop[i][k]));
  snprintf(out, 8, "#%02x%02x%02x", rgb[0], rgb[1], rgb[2]);
}

static int write_svg(const sweep_ctx *c) {
  const double x0 = 70, y0 = 40, w = 480, hgt = 480; /* plot area */
  long long n = c->nbeta * c->ngamma;
  double lo = INFINITY, hi = -INFINITY;
  for (long long id = 0; id < n; id++) {
    lo = fmin(lo, cell_value(c, &c->cells[id]));
    hi = fmax(hi, cell_value(c, &c->cells[id]));
  }
  double span = hi > lo ? hi - lo : 1;
  tf_output out;
  FILE *f = open_file(&out, "--svg", c->svg);
  if (!f) return -1;
  fprintf(f,
          "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"680\" height=\"580\" "
          "font-family=\"sans-serif\" font-size=\"13\">\n<rect width=\"680\" height=\"580\" "
          "fill=\"white\"/>\n<text x=\"310\" y=\"25\" text-anchor=\"middle\">SIR model: %s "
          "(I0 = %g, t_end = %g)</text>\n",
          map_title(c), c->i0, c->t_end);
  double cw = w / (double)c->nbeta, ch = hgt / (double)c->ngamma;
  char col[8];
  for (long long id = 0; id < n; id++) { /* beta across, gamma up */
    colour((cell_value(c, &c->cells[id]) - lo) / span, col);
    fprintf(f,
            "<rect class=\"cell\" x=\"%.3f\" y=\"%.3f\" width=\"%.3f\" height=\"%.3f\" "
            "fill=\"%s\"/>\n",
            x0 + cw * (double)(id / c->ngamma), y0 + hgt - ch * (double)(id % c->ngamma + 1),
            cw + 0.05, ch + 0.05, col);
  }
  /* Axes (the plot area is 480 x 480 at (70, 40)) and the colour bar's range. */
  fprintf(f,
          "<text x=\"310\" y=\"555\" text-anchor=\"middle\">beta (infection rate)</text>\n"
          "<text x=\"70\" y=\"536\">%g</text>\n<text x=\"550\" y=\"536\" "
          "text-anchor=\"end\">%g</text>\n<text transform=\"translate(30 280) rotate(-90)\" "
          "text-anchor=\"middle\">gamma (recovery rate)</text>\n<text x=\"66\" y=\"520\" "
          "text-anchor=\"end\">%g</text>\n<text x=\"66\" y=\"50\" text-anchor=\"end\">%g</text>\n"
          "<text x=\"605\" y=\"520\">%.4g</text>\n<text x=\"605\" y=\"50\">%.4g</text>\n",
          c->bmin, c->bmax, c->gmin, c->gmax, lo, hi);
  for (int k = 0; k < 64; k++) { /* colour bar, low to high going up */
    colour((k + 0.5) / 64, col);
    fprintf(f,
            "<rect class=\"bar\" x=\"580\" y=\"%.3f\" width=\"20\" height=\"7.6\" fill=\"%s\"/>\n",
            y0 + hgt - 7.5 * (k + 1), col);
  }
  fprintf(f, "</svg>\n");
  return close_file(&out, "--svg");
}

/* --check: the closed forms for every grid point, and the largest deviations from them. */
static int check(const sweep_ctx *c) {
  double s0 = 1 - c->i0, dr = 0, dp = 0, dinv = 0;
  long long wr = 0, wp = 0;
  for (long long id = 0; id < c->nbeta * c->ngamma; id++) {
    double r0 = beta_at(c, id) / gamma_at(c, id), rinf;
    const cell *r = &c->cells[id];
    int st = final_size(s0, r0, &rinf);
    if (st) return fprintf(stderr, "sweep: final size for R0 = %g: %s\n", r0, gsl_strerror(st)), -1;
    /* dI/dS = -1 + 1/(R0 S): the peak is where S = 1/R0, or at t = 0 if S0 R0 <= 1. */
    double pk = s0 * r0 > 1 ? c->i0 + s0 - (1 + log(s0 * r0)) / r0 : c->i0;
    if (fabs(r->r_end - rinf) > dr) dr = fabs(r->r_end - rinf), wr = id;
    if (fabs(r->peak - pk) > dp) dp = fabs(r->peak - pk), wp = id;
    dinv = fmax(dinv, fabs(r->s_end - s0 * exp(-r0 * r->r_end))); /* dS/dR = -R0 S */
  }
  printf("check: max |R(t_end) - R_inf|        %.3e (beta %g, gamma %g)\n", dr, beta_at(c, wr),
         gamma_at(c, wr));
  printf("check: max |peak I - closed form|    %.3e (beta %g, gamma %g)\n", dp, beta_at(c, wp),
         gamma_at(c, wp));
  printf("check: max |S - S0 exp(-R0 R)| at t_end %.3e\n", dinv);
  return 0;
}

static int finish(tf_handle *h, void *vctx) {
  (void)h;
  sweep_ctx *c = vctx;
  long long n = c->nbeta * c->ngamma, big = 0;
  unsigned long long steps = 0;
  for (long long id = 0; id < n; id++) {
    steps += c->cells[id].steps;
    if (c->cells[id].peak > c->cells[big].peak) big = id;
  }
  printf("SIR sweep: %lld x %lld grid, beta in [%g, %g], gamma in [%g, %g], I0 %g, t_end %g\n",
         c->nbeta, c->ngamma, c->bmin, c->bmax, c->gmin, c->gmax, c->i0, c->t_end);
  printf("highest peak: I = %.6f at t = %.3f (beta %g, gamma %g), final size %.6f\n",
         c->cells[big].peak, c->cells[big].t_peak, beta_at(c, big), gamma_at(c, big),
         c->cells[big].r_end);
  printf("%llu rk8pd steps in all, tolerance %g\n", steps, c->tol);
  if (c->check && check(c)) return -1;
  if (c->csv && write_csv(c)) return -1;
  if (c->svg && write_svg(c)) return -1;
  return 0;
}

int main(int argc, char **argv) {
  sweep_ctx c = {.nbeta = 241, .ngamma = 201, .samples = 200, .map = "peak"};
  c.bmin = 0.3, c.bmax = 1.5, c.gmin = 0.05, c.gmax = 0.25; /* R0 from 1.2 to 30 */
  c.i0 = 1e-4, c.t_end = 1000, c.tol = 1e-10;
  const tf_option options[] = {
      {"nbeta", TF_OPT_INT, &c.nbeta, "N", "grid points in beta (default 241)", 1, 10000},
      {"ngamma", TF_OPT_INT, &c.ngamma, "N", "grid points in gamma (default 201)", 1, 10000},
      {"beta-min", TF_OPT_DOUBLE, &c.bmin, "B", "smallest infection rate (default 0.3)", 1e-6, 1e3},
      {"beta-max", TF_OPT_DOUBLE, &c.bmax, "B", "largest infection rate (default 1.5)", 1e-6, 1e3},
      {"gamma-min", TF_OPT_DOUBLE, &c.gmin, "G", "smallest recovery rate (default 0.05)", 1e-6,
       1e3},
      {"gamma-max", TF_OPT_DOUBLE, &c.gmax, "G", "largest recovery rate (default 0.25)", 1e-6, 1e3},
      {"i0", TF_OPT_DOUBLE, &c.i0, "F", "infected fraction at t = 0 (default 1e-4)", 1e-12, 0.5},
      {"t-end", TF_OPT_DOUBLE, &c.t_end, "T", "integrate over [0, T] (default 1000)", 1e-3, 1e6},
      {"samples", TF_OPT_INT, &c.samples, "N", "output points searched for the peak (default 200)",
       3, 1e7},
      {"tol", TF_OPT_DOUBLE, &c.tol, "E", "absolute and relative ODE tolerance (default 1e-10)",
       1e-14, 1e-2},
      {"csv", TF_OPT_STRING | TF_OPT_OUTPUT, &c.csv, "FILE",
       "write one line per grid point to FILE", 0, 0},
      {"svg", TF_OPT_STRING | TF_OPT_OUTPUT, &c.svg, "FILE", "write a heat map to FILE", 0, 0},
      {"map", TF_OPT_STRING, &c.map, "Q", "heat map of peak, tpeak or final (default peak)", 0, 0},
      {"check", TF_OPT_FLAG, &c.check, NULL, "compare with the closed forms (final size, peak)", 0,
       0},
      TF_OPTIONS_END,
  };
  tf_app app = {
      .name = "taskfarm-sweep",
      .summary = "Sweep the SIR epidemic model dS/dt = -beta S I, dI/dt = beta S I - gamma I,\n"
                 "dR/dt = gamma I over a grid of (beta, gamma), one task per grid point, with\n"
                 "GSL's rk8pd driver: peak infected fraction, its time, and the final size R.\n"
                 "--check compares them with the closed forms (final size equation, peak).",
      .ctx = &c,
      .options = options,
      .check_options = check_options,
      .master_init = master_init,
      .generate = generate,
      .execute = execute,
      .collect = collect,
      .finish = finish,
  };
  gsl_set_error_handler_off(); /* every rank: workers integrate, the master solves (--check) */
  int rc = tf_main(argc, argv, &app);
  free(c.cells);
  return rc;
}
