/* test_handle.c - what the handle allows where (src/handle.c): tf_stop only from collect and
 * failed, with a valid TF_STOP_* and a status of 0 or below; the first status stands, SOON may
 * become NOW but never the other way. */
#include <string.h>

#include "handle.h"
#include "taskfarm.h"
#include "unit.h"

static tf_config cfg;
static tf_app app;

static void in_phase(tf_handle *h, enum tf_phase phase) {
  tf_config_defaults(&cfg);
  memset(&app, 0, sizeof app);
  tf__handle_init(h, &app, &cfg, 0, 2, -1);
  h->phase = phase;
}

static void test_handle_stop_only_from_collect_and_failed(void) {
  static const enum tf_phase refused[] = {TF_IN_NONE, TF_IN_GENERATE, TF_IN_EXECUTE, TF_IN_FINISH,
                                          TF_IN_INIT};
  tf_handle h;
  for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
    in_phase(&h, refused[i]);
    CU_ASSERT_EQUAL(tf_stop(&h, TF_STOP_SOON, TF_EAPP), TF_ESTATE);
    CU_ASSERT_EQUAL(h.stop, 0);
    CU_ASSERT_EQUAL(h.error, TF_ESTATE); /* the callback fails, as for tf_submit */
    CU_ASSERT_PTR_NOT_NULL(strstr(h.errmsg, "outside collect and failed"));
    tf__handle_free(&h);
  }
  in_phase(&h, TF_IN_COLLECT);
  CU_ASSERT_EQUAL(tf_stop(&h, TF_STOP_SOON, TF_EAPP), 0);
  CU_ASSERT_EQUAL(h.stop, TF_STOP_SOON);
  CU_ASSERT_EQUAL(h.stop_status, TF_EAPP);
  CU_ASSERT_EQUAL(h.error, 0);
  tf__handle_free(&h);
  in_phase(&h, TF_IN_FAILED);
  CU_ASSERT_EQUAL(tf_stop(&h, TF_STOP_NOW, 0), 0);
  CU_ASSERT_EQUAL(h.stop, TF_STOP_NOW);
  CU_ASSERT_EQUAL(h.stop_status, 0);
  tf__handle_free(&h);
  CU_ASSERT_EQUAL(tf_stop(NULL, TF_STOP_NOW, 0), TF_EINVAL);
}

static void test_handle_stop_rejects_a_bad_when_or_a_positive_status(void) {
  tf_handle h;
  in_phase(&h, TF_IN_COLLECT);
  CU_ASSERT_EQUAL(tf_stop(&h, 0, TF_EAPP), TF_EINVAL);
  CU_ASSERT_EQUAL(tf_stop(&h, 3, TF_EAPP), TF_EINVAL);
  CU_ASSERT_EQUAL(tf_stop(&h, TF_STOP_SOON, 1), TF_EINVAL);
  CU_ASSERT_EQUAL(h.stop, 0); /* none of them stops the run */
  CU_ASSERT_EQUAL(h.error, TF_EINVAL);
  tf__handle_free(&h);
}

static void test_handle_stop_keeps_the_first_status_and_soon_may_become_now(void) {
  tf_handle h;
  in_phase(&h, TF_IN_COLLECT);
  CU_ASSERT_EQUAL(tf_stop(&h, TF_STOP_SOON, 0), 0);
  h.phase = TF_IN_FAILED;
  CU_ASSERT_EQUAL(tf_stop(&h, TF_STOP_NOW, TF_EAPP), 0);
  CU_ASSERT_EQUAL(h.stop, TF_STOP_NOW);
  CU_ASSERT_EQUAL(h.stop_status, 0); /* the first call's */
  CU_ASSERT_EQUAL(tf_stop(&h, TF_STOP_SOON, TF_EAPP), 0);
  CU_ASSERT_EQUAL(h.stop, TF_STOP_NOW); /* NOW stays NOW */
  CU_ASSERT_EQUAL(h.stop_status, 0);
  tf__handle_free(&h);
}

int main(void) {
  static const tf_unit_test tests[] = {
      TF_UNIT_TEST(test_handle_stop_only_from_collect_and_failed),
      TF_UNIT_TEST(test_handle_stop_rejects_a_bad_when_or_a_positive_status),
      TF_UNIT_TEST(test_handle_stop_keeps_the_first_status_and_soon_may_become_now),
      TF_UNIT_END,
  };
  return tf_unit_run("handle", tests);
}
