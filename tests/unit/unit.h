/* unit.h - the runner shared by the CUnit tests: each test file lists its tests in one table
 * and calls tf_unit_run; the exit status is non-zero when any assertion failed. */
#ifndef TF_UNIT_H
#define TF_UNIT_H

#include <CUnit/Basic.h>
#include <stdio.h>

typedef struct tf_unit_test {
  const char *name;
  void (*fn)(void);
} tf_unit_test;

#define TF_UNIT_TEST(fn)                                                                           \
  { #fn, fn }
#define TF_UNIT_END                                                                                \
  { NULL, NULL }

/* Run every test of tests (ending with TF_UNIT_END) in one suite. Returns 0 when all passed,
 * 1 when an assertion failed or CUnit itself failed (the reason is printed). */
static inline int tf_unit_run(const char *suite_name, const tf_unit_test *tests) {
  if (CU_initialize_registry() != CUE_SUCCESS) {
    fprintf(stderr, "%s: CUnit: %s\n", suite_name, CU_get_error_msg());
    return 1;
  }
  CU_pSuite suite = CU_add_suite(suite_name, NULL, NULL);
  if (!suite) goto fail;
  for (const tf_unit_test *t = tests; t->name; t++)
    if (!CU_add_test(suite, t->name, t->fn)) goto fail;
  CU_basic_set_mode(CU_BRM_VERBOSE);
  if (CU_basic_run_tests() != CUE_SUCCESS) goto fail;
  unsigned failures = CU_get_number_of_failures();
  unsigned run = CU_get_number_of_tests_run();
  CU_cleanup_registry();
  /* A test that never ran (a table mistake) must not pass silently. */
  return failures != 0 || run == 0;

fail:
  fprintf(stderr, "%s: CUnit: %s\n", suite_name, CU_get_error_msg());
  CU_cleanup_registry();
  return 1;
}

#endif
