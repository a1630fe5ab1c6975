/* test_sim.c - the simulator of bench/sim/ where the answer is known: with every cost zero,
 * N workers (flat, or behind relays of one or two levels) run M constant tasks of T in
 * exactly M / N x T flat and within a task per relay level of it behind relays (plus at most
 * one result hold at the end); ranks sharing C cores run them in M x T / C; a worker with two
 * requests open runs tasks shorter than a round trip two to a round trip; the work is the sum
 * of the task times; and costs only ever slow it. */
#include <math.h>
#include <string.h>

#include "farm.h"
#include "unit.h"

#define HOLD 100e-6 /* the most the last results wait for an answer (farm.c) */

static sim_config zero(int workers, long long tasks) {
  sim_config c;
  memset(&c, 0, sizeof c);
  c.tasks = tasks;
  c.workers = workers;
  c.relay_levels = 1;
  c.dist = SIM_CONST;
  c.mean_s = 1e-3;
  c.task_bytes = c.result_bytes = 8;
  c.prefetch = 4096;
  return c;
}

/* The farm's time is want, or at most `slack` more (plus the last results' hold). */
static void expect_time(const sim_config *c, double want, double slack) {
  sim_result r;
  CU_ASSERT_EQUAL_FATAL(sim_run(c, &r), 0);
  CU_ASSERT(r.makespan >= want * (1 - 1e-12));
  CU_ASSERT(r.makespan <= want + slack + HOLD + 1e-9);
  CU_ASSERT(fabs(r.work - (double)c->tasks * c->mean_s) < 1e-9 * r.work);
  CU_ASSERT(r.efficiency <= 1 + 1e-12);
}

static void test_sim_flat_without_costs(void) {
  for (int w = 1; w <= 8; w *= 2) {
    sim_config c = zero(w, 400);
    expect_time(&c, 400.0 / w * 1e-3, 0);
  }
}

static void test_sim_relays_without_costs(void) {
  sim_config c = zero(8, 800);
  /* A relay hands out what it holds as its workers ask, not knowing what is
   * left until its parent has no more: the last tasks may go to a worker that
   * still holds one, which costs at most one task per level at the end. */
  c.relay_width = 4;
  expect_time(&c, 100e-3, 1e-3);
  c.relay_width = 2;
  c.relay_levels = 2;
  expect_time(&c, 100e-3, 2e-3);
}

static void test_sim_shared_cores(void) {
  sim_config c = zero(3, 600);
  c.cores = 2; /* 3 tasks at once at 2/3 speed */
  expect_time(&c, 600 * 1e-3 / 2, 0);
}

/* A worker keeps two requests open: under --chunk 1, tasks of T behind a one-way latency L
 * (and no other cost) run two to a round trip, M x (2L + T) / 2 in all, within the start's
 * few round trips (one request open at a time would take twice as long). */
static void test_sim_two_requests_open(void) {
  sim_config c = zero(1, 1000);
  c.chunk = 1;
  c.mean_s = 1e-6;
  c.c.lat_local = 10e-6;
  expect_time(&c, 1000 * (2 * 10e-6 + 1e-6) / 2, 3 * 20e-6);
}

static void test_sim_costs_slow_it_down(void) {
  sim_config c = zero(4, 4000);
  c.mean_s = 10e-6;
  sim_result free_run, costly;
  CU_ASSERT_EQUAL_FATAL(sim_run(&c, &free_run), 0);
  c.c.root_msg = c.c.worker_msg = 1e-6;
  c.c.root_task = c.c.worker_task = 100e-9;
  c.c.lat_local = 1e-6;
  CU_ASSERT_EQUAL_FATAL(sim_run(&c, &costly), 0);
  CU_ASSERT(costly.makespan > free_run.makespan);
  CU_ASSERT(costly.root_busy > 0 && costly.root_busy <= 1);
  CU_ASSERT(costly.root_msgs > 0);
}

static void test_sim_task_times_follow_the_distribution(void) {
  sim_config c = zero(1, 1);
  c.mean_s = 1.0;
  for (int d = SIM_CONST; d <= SIM_PARETO; d++) {
    c.dist = (sim_dist)d;
    double sum = 0;
    for (uint64_t id = 0; id < 200000; id++)
      sum += sim_task_time(&c, id);
    /* const and exp: the mean within 1 %; Pareto (alpha 1.5, infinite variance): within 10 % */
    CU_ASSERT(fabs(sum / 200000 - 1.0) < (d == SIM_PARETO ? 0.1 : 0.01));
  }
}

int main(void) {
  static const tf_unit_test tests[] = {
      TF_UNIT_TEST(test_sim_flat_without_costs),
      TF_UNIT_TEST(test_sim_relays_without_costs),
      TF_UNIT_TEST(test_sim_shared_cores),
      TF_UNIT_TEST(test_sim_two_requests_open),
      TF_UNIT_TEST(test_sim_costs_slow_it_down),
      TF_UNIT_TEST(test_sim_task_times_follow_the_distribution),
      TF_UNIT_END,
  };
  return tf_unit_run("sim", tests);
}
