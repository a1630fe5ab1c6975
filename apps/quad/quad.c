/* quad.c - numerical integration of a batch of integrals with known closed forms, one task per
 * integral: GSL's adaptive qags (qagiu for [a, inf)) on the worker, a table in task order on the
 * master with each result's error estimate and its true error against the closed form. */
#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>
#include <gsl/gsl_sf_bessel.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "taskfarm.h"

/* An integrand f(x; p) on [a, b] (b = INFINITY: [a, inf)) and its exact integral. */
typedef struct integrand {
  const char *name, *interval; /* one token each, so the table splits on blanks */
  double (*f)(double x, double p);
  double a, b;
  double (*exact)(double p);
  double p; /* the parameter of a fixed integral */
} integrand;

static double f_sqrtlog(double x, double p) { return (void)p, log(x) / sqrt(x); }
static double f_log1px(double x, double p) { return (void)p, log(x) / (1 + x); }
static double f_log2(double x, double p) { return (void)p, log(x) * log(x); }
static double f_arcsin(double x, double p) { return (void)p, 1 / sqrt((1 - x) * (1 + x)); }
static double f_pi(double x, double p) { return (void)p, 4 / (1 + x * x); }
static double f_sin(double x, double p) { return (void)p, sin(x); }
static double f_xsin(double x, double p) { return (void)p, x * sin(x) / (1 + cos(x) * cos(x)); }
static double f_gauss(double x, double p) { return (void)p, exp(-x * x); }
static double f_lorentz(double x, double p) { return (void)p, 1 / (1 + x * x); }
static double f_loglor(double x, double p) { return (void)p, log(x) / (1 + x * x); }
static double f_expcos(double x, double p) { return (void)p, exp(-x) * cos(x); }
static double f_bose(double x, double p) { return (void)p, x > 0 ? x / expm1(x) : 1; }
static double f_explog(double x, double p) { return (void)p, exp(-x) * log(x); }
/* 1 + e cos x written as (1 - e) + 2e cos^2(x/2): no cancellation near x = pi when e -> 1. */
static double f_kepler(double x, double e) {
  double c = cos(x / 2);
  return 1 / ((1 - e) + 2 * e * c * c);
}
/* Past a x = 745 exp(-a x) is 0 in double; stop there rather than ask J0 about x ~ 1e15. */
static double f_laplace_j0(double x, double a) {
  return a * x > 745 ? 0 : exp(-a * x) * gsl_sf_bessel_J0(x);
}

/* Closed forms; the sources are in the README. */
static double x_m4(double p) { return (void)p, -4; }
static double x_pi2_12(double p) { return (void)p, -M_PI * M_PI / 12; }
static double x_2(double p) { return (void)p, 2; }
static double x_pi_2(double p) { return (void)p, M_PI_2; }
static double x_pi(double p) { return (void)p, M_PI; }
static double x_pi2_4(double p) { return (void)p, M_PI * M_PI / 4; }
static double x_sqrtpi_2(double p) { return (void)p, sqrt(M_PI) / 2; }
static double x_0(double p) { return (void)p, 0; }
static double x_half(double p) { return (void)p, 0.5; }
static double x_pi2_6(double p) { return (void)p, M_PI * M_PI / 6; }
static double x_mgamma(double p) { return (void)p, -0.57721566490153286061; }
static double x_kepler(double e) { return 2 * M_PI / sqrt((1 - e) * (1 + e)); }
static double x_laplace_j0(double a) { return 1 / hypot(1, a); }

static const integrand fixed[] = {
    {"ln(x)/sqrt(x)", "[0,1]", f_sqrtlog, 0, 1, x_m4, 0},
    {"ln(x)/(1+x)", "[0,1]", f_log1px, 0, 1, x_pi2_12, 0},
    {"ln(x)^2", "[0,1]", f_log2, 0, 1, x_2, 0},
    {"1/sqrt(1-x^2)", "[0,1]", f_arcsin, 0, 1, x_pi_2, 0},
    {"4/(1+x^2)", "[0,1]", f_pi, 0, 1, x_pi, 0},
    {"sin(x)", "[0,pi]", f_sin, 0, M_PI, x_2, 0},
    {"x*sin(x)/(1+cos(x)^2)", "[0,pi]", f_xsin, 0, M_PI, x_pi2_4, 0},
    {"exp(-x^2)", "[0,inf)", f_gauss, 0, INFINITY, x_sqrtpi_2, 0},
    {"1/(1+x^2)", "[0,inf)", f_lorentz, 0, INFINITY, x_pi_2, 0},
    {"ln(x)/(1+x^2)", "[0,inf)", f_loglor, 0, INFINITY, x_0, 0},
    {"exp(-x)*cos(x)", "[0,inf)", f_expcos, 0, INFINITY, x_half, 0},
    {"x/(exp(x)-1)", "[0,inf)", f_bose, 0, INFINITY, x_pi2_6, 0},
    {"exp(-x)*ln(x)", "[0,inf)", f_explog, 0, INFINITY, x_mgamma, 0},
    {"1/(1+e*cos(x))", "[0,2pi]", f_kepler, 0, 2 * M_PI, x_kepler, 0.999999},
};
enum { NFIXED = sizeof fixed / sizeof fixed[0] };
/* The family that sizes the batch: e^(-a x) J0(x) on [0, inf) for a = 0.01 x 1000^((k+1/2)/N),
 * k = 0..N-1, log-evenly spread over (0.01, 10); small a costs over 100 times more than large a. */
static const integrand family = {"exp(-a*x)*J0(x)", "[0,inf)", f_laplace_j0, 0, INFINITY,
                                 x_laplace_j0,      0};
static double family_a(long long k, long long n) {
  return 0.01 * pow(1000, ((double)k + 0.5) / (double)n);
}

typedef struct quad_task {
  int32_t which; /* index into fixed[], or NFIXED for the family */
  int32_t pad;   /* explicit, so that no byte sent is uninitialised */
  double p, a, b;
} quad_task;

typedef struct quad_result {
  double value, abserr;
  int32_t status; /* GSL status of the integration */
  int32_t pad;    /* explicit, so that no byte sent is uninitialised */
  uint64_t neval; /* integrand evaluations */
} quad_result;

typedef struct quad_ctx {
  double epsabs, epsrel; /* options */
  long long limit, count;
  int all;
  long long ntasks, next;        /* master */
  quad_result *res;              /* master: results by task id */
  gsl_integration_workspace *ws; /* worker */
  const integrand *cur;          /* worker: what the wrapper evaluates */
  double cur_p;
  uint64_t neval;
} quad_ctx;

static const integrand *task_integrand(int32_t which) {
  return which < NFIXED ? &fixed[which] : &family;
}

/* Task ids are 0..ntasks-1: the fixed integrals first, then the family. */
static quad_task make_task(const quad_ctx *c, long long id) {
  quad_task t = {id < NFIXED ? (int32_t)id : NFIXED, 0, 0, 0, 0};
  t.p = id < NFIXED ? fixed[id].p : family_a(id - NFIXED, c->count);
  t.a = task_integrand(t.which)->a;
  t.b = task_integrand(t.which)->b;
  return t;
}

static int check_options(void *vctx, const tf_config *cfg, char *err, size_t n) {
  (void)cfg;
  quad_ctx *c = vctx;
  /* GSL refuses these tolerances with GSL_EBADTOL: say so before the run. */
  if (c->epsabs <= 0 && c->epsrel < 50 * GSL_DBL_EPSILON) {
    snprintf(err, n, "--epsrel: %g is below 50 x DBL_EPSILON (%.3g) and --epsabs is 0", c->epsrel,
             50 * GSL_DBL_EPSILON);
    return -1;
  }
  return 0;
}

/* The master's table of results, before anything reaches collect (a
 * --resume run reads the journal back before generating). */
static int master_init(tf_handle *h, void *vctx) {
  (void)h;
  quad_ctx *c = vctx;
  c->ntasks = NFIXED + c->count;
  return (c->res = calloc((size_t)c->ntasks, sizeof *c->res)) ? 0 : TF_ENOMEM;
}

static int generate(tf_handle *h, void *vctx) {
  quad_ctx *c = vctx;
  quad_task t = make_task(c, c->next);
  int rc = tf_submit(h, &t, sizeof t);
  if (rc) return rc;
  return ++c->next < c->ntasks ? TF_GEN_MORE : TF_GEN_DONE;
}

static int worker_init(tf_handle *h, void *vctx) {
  (void)h;
  quad_ctx *c = vctx;
  gsl_set_error_handler_off();
  c->ws = gsl_integration_workspace_alloc((size_t)c->limit);
  return c->ws ? 0 : -1;
}

static int worker_fini(tf_handle *h, void *vctx) {
  (void)h;
  quad_ctx *c = vctx;
  gsl_integration_workspace_free(c->ws);
  c->ws = NULL;
  return 0;
}

/* What GSL calls: the integrand, counting evaluations. */
static double wrapper(double x, void *vctx) {
  quad_ctx *c = vctx;
  c->neval++;
  return c->cur->f(x, c->cur_p);
}

static int execute(tf_handle *h, const tf_task *task, void *vctx) {
  quad_ctx *c = vctx;
  quad_task t;
  if (task->size != sizeof t) return -1;
  memcpy(&t, task->data, sizeof t);
  if (t.which < 0 || t.which > NFIXED) return -1;
  c->cur = task_integrand(t.which);
  c->cur_p = t.p;
  c->neval = 0;
  gsl_function F = {wrapper, c};
  quad_result r = {0, 0, 0, 0, 0};
  /* A status other than success still comes back with GSL's best estimate: the master shows it
   * in the table and fails the run then, rather than losing the whole table. */
  if (isinf(t.b))
    r.status = gsl_integration_qagiu(&F, t.a, c->epsabs, c->epsrel, (size_t)c->limit, c->ws,
                                     &r.value, &r.abserr);
  else
    r.status = gsl_integration_qags(&F, t.a, t.b, c->epsabs, c->epsrel, (size_t)c->limit, c->ws,
                                    &r.value, &r.abserr);
  r.neval = c->neval;
  return tf_result(h, &r, sizeof r);
}

static int collect(tf_handle *h, const tf_task *result, void *vctx) {
  (void)h;
  quad_ctx *c = vctx;
  if (result->size != sizeof(quad_result) || result->id >= (tf_id)c->ntasks) return -1;
  memcpy(&c->res[result->id], result->data, sizeof(quad_result));
  return 0;
}

static const char *status_word(int s) {
  switch (s) {
  case GSL_SUCCESS: return "ok";
  case GSL_EMAXITER: return "maxiter";
  case GSL_EROUND: return "roundoff";
  case GSL_ESING: return "singular";
  case GSL_EDIVERGE: return "divergent";
  case GSL_ETOL: return "tolerance";
  default: return "error";
  }
}

static void print_row(const quad_ctx *c, long long id) {
  quad_task t = make_task(c, id);
  const integrand *in = task_integrand(t.which);
  const quad_result *r = &c->res[id];
  char param[32] = "-";
  if (t.which == NFIXED) snprintf(param, sizeof param, "a=%.6g", t.p);
  if (in->exact == x_kepler) snprintf(param, sizeof param, "e=%g", t.p);
  printf("%6lld  %-21s %-15s %-7s %22.15g %9.2e %+10.2e %7llu  %s\n", id, in->name, param,
         in->interval, r->value, r->abserr, r->value - in->exact(t.p), (unsigned long long)r->neval,
         status_word(r->status));
}

static int finish(tf_handle *h, void *vctx) {
  (void)h;
  quad_ctx *c = vctx;
  printf("%6s  %-21s %-15s %-7s %22s %9s %10s %7s  %s\n", "task", "integrand", "parameter", "range",
         "result", "GSL err", "true err", "evals", "status");
  long long shown = c->all ? c->ntasks : NFIXED, failed = 0, first_failed = -1, worst = NFIXED;
  long long under = 0; /* GSL's estimate is a heuristic: count where it was 10 times too small */
  double worst_rel = -1;
  unsigned long long evals = 0;
  for (long long id = 0; id < c->ntasks; id++) {
    quad_task t = make_task(c, id);
    const quad_result *r = &c->res[id];
    double x = task_integrand(t.which)->exact(t.p), err = fabs(r->value - x);
    if (id < shown) print_row(c, id);
    if (r->status && failed++ == 0) first_failed = id;
    under += err > 10 * r->abserr;
    evals += r->neval;
    if (id >= NFIXED && err / x > worst_rel) worst_rel = err / x, worst = id;
  }
  printf("family %s on %s, a = 0.01 x 1000^((k+1/2)/%lld) for k = 0..%lld: %lld integrals\n",
         family.name, family.interval, c->count, c->count - 1, c->count);
  if (!c->all) {
    printf("worst relative error in the family:\n");
    print_row(c, worst);
  }
  printf("%lld integrals, %llu integrand evaluations, epsabs %g, epsrel %g, limit %lld\n",
         c->ntasks, evals, c->epsabs, c->epsrel, c->limit);
  printf("true error > 10 x GSL's estimate: %lld of %lld integrals\n", under, c->ntasks);
  if (failed) {
    fprintf(stderr,
            "quad: %lld of %lld integrals did not reach the tolerance; first: task %lld (%s)\n",
            failed, c->ntasks, first_failed, gsl_strerror(c->res[first_failed].status));
    return -1;
  }
  return 0;
}

int main(int argc, char **argv) {
  quad_ctx c = {.epsabs = 1e-12, .epsrel = 1e-12, .limit = 1000, .count = 10000};
  const tf_option options[] = {
      {"epsabs", TF_OPT_DOUBLE, &c.epsabs, "A", "absolute tolerance (default 1e-12)", 0, 1},
      {"epsrel", TF_OPT_DOUBLE, &c.epsrel, "R", "relative tolerance (default 1e-12)", 0, 1},
      {"limit", TF_OPT_INT, &c.limit, "N", "most subintervals per integral (default 1000)", 1, 1e6},
      {"count", TF_OPT_INT, &c.count, "N", "integrals in the family (default 10000)", 1, 1e7},
      {"all", TF_OPT_FLAG, &c.all, NULL, "list every family member in the table", 0, 0},
      TF_OPTIONS_END,
  };
  tf_app app = {
      .name = "taskfarm-quad",
      .summary = "Integrate a batch of functions with GSL's adaptive quadrature (qags, and qagiu\n"
                 "on [0, inf)), one task per integral: 14 integrals with known closed forms and\n"
                 "the family e^(-a x) J0(x) on [0, inf) = 1/sqrt(1+a^2), N values of a in\n"
                 "(0.01, 10). Prints each result with GSL's error estimate and its true error.",
      .ctx = &c,
      .options = options,
      .check_options = check_options,
      .master_init = master_init,
      .generate = generate,
      .execute = execute,
      .collect = collect,
      .finish = finish,
      .worker_init = worker_init,
      .worker_fini = worker_fini,
  };
  int rc = tf_main(argc, argv, &app);
  free(c.res);
  return rc;
}
