/* test_idle.c - how a rank waits (src/idle.c): --idle sleep never naps on the first empty poll
 * after work (a poll that ends a run of messages does not ask MPI, the next one does), and the
 * backoff spins before its first yield on a core of its own, where a rank that shares its core
 * yields from the first spins on; then it yields, then naps. */
#include "clock.h"
#include "idle.h"
#include "unit.h"

static void test_sleep_polls_once_before_napping(void) {
  tf_idle s;
  tf__idle_init(&s, TF_IDLE_SLEEP);
  tf__idle_wait(&s); /* no nap: the nap would have doubled */
  CU_ASSERT_EQUAL(s.nap_ns, TF_IDLE_NAP_MIN_NS);
  CU_ASSERT_EQUAL(s.napping, 0);
  tf__idle_wait(&s);
  CU_ASSERT_EQUAL(s.napping, 1);
  CU_ASSERT_EQUAL(s.nap_ns, 2 * TF_IDLE_NAP_MIN_NS);
  tf__idle_reset(&s); /* work was done: the next wait polls once again */
  tf__idle_wait(&s);
  CU_ASSERT_EQUAL(s.nap_ns, TF_IDLE_NAP_MIN_NS);
}

/* Waits until the clock is first read (the end of the first spins). */
static void spins(tf_idle *s) {
  for (unsigned i = 0; i <= TF_IDLE_SPINS; i++) {
    CU_ASSERT_EQUAL(s->yielding, 0);
    tf__idle_wait(s);
  }
}

static void test_backoff_spins_first_on_a_core_of_its_own(void) {
  tf_idle s;
  tf__idle_share_cores(0);
  tf__idle_init(&s, TF_IDLE_BACKOFF);
  spins(&s);
  CU_ASSERT_EQUAL(s.yielding, 0); /* TF_IDLE_SPIN_SECONDS still to go */
  CU_ASSERT(s.yield_from > s.poll_until - TF_IDLE_POLL_SECONDS);
  CU_ASSERT_EQUAL(s.napping, 0);
  CU_ASSERT_EQUAL(s.nap_ns, TF_IDLE_NAP_MIN_NS);
}

/* Past the spin's time it yields between polls; past the polling window it naps. The times are
 * set by hand, so that the test does not depend on how fast the polls go. */
static void test_backoff_yields_after_the_spin_then_naps(void) {
  tf_idle s;
  tf__idle_share_cores(0);
  tf__idle_init(&s, TF_IDLE_BACKOFF);
  spins(&s);
  s.yield_from = 0;               /* the spin's time is over... */
  s.poll_until = tf__now() + 600; /* ...the polling window is not */
  for (unsigned i = 0; i < TF_IDLE_SPINS; i++) tf__idle_wait(&s); /* up to the next clock read */
  CU_ASSERT_EQUAL(s.yielding, 1);
  CU_ASSERT_EQUAL(s.napping, 0);
  s.poll_until = 0; /* the window is over */
  for (unsigned i = 0; i < TF_IDLE_SPINS && !s.napping; i++) tf__idle_wait(&s);
  CU_ASSERT_EQUAL(s.napping, 1);
  CU_ASSERT_EQUAL(s.nap_ns, 2 * TF_IDLE_NAP_MIN_NS); /* one nap so far */
  tf__idle_reset(&s);
  CU_ASSERT_EQUAL(s.napping, 0);
  CU_ASSERT_EQUAL(s.yielding, 0);
}

static void test_backoff_yields_at_once_on_a_shared_core(void) {
  tf_idle s;
  tf__idle_share_cores(1);
  tf__idle_init(&s, TF_IDLE_BACKOFF);
  spins(&s);
  CU_ASSERT_EQUAL(s.yielding, 1);
  tf__idle_reset(&s);
  CU_ASSERT_EQUAL(s.yielding, 0);
  tf__idle_share_cores(0);
}

static void test_spin_never_pauses(void) {
  tf_idle s;
  tf__idle_init(&s, TF_IDLE_SPIN);
  for (int i = 0; i < 10000; i++) tf__idle_wait(&s);
  CU_ASSERT_EQUAL(s.yielding, 0);
  CU_ASSERT_EQUAL(s.napping, 0);
  CU_ASSERT_EQUAL(s.nap_ns, TF_IDLE_NAP_MIN_NS);
}

int main(void) {
  static const tf_unit_test tests[] = {
      TF_UNIT_TEST(test_sleep_polls_once_before_napping),
      TF_UNIT_TEST(test_backoff_spins_first_on_a_core_of_its_own),
      TF_UNIT_TEST(test_backoff_yields_after_the_spin_then_naps),
      TF_UNIT_TEST(test_backoff_yields_at_once_on_a_shared_core),
      TF_UNIT_TEST(test_spin_never_pauses),
      TF_UNIT_END,
  };
  return tf_unit_run("idle", tests);
}
