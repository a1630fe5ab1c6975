/* test_log.c - text from other ranks and apps made safe for a terminal (src/log.c). */
#include <string.h>

#include "log.h"
#include "unit.h"

static const char *safe(const char *text, size_t n, size_t cap) {
  static char out[256];
  return tf__printable(text, n, out, cap);
}

static void test_log_keeps_plain_text_and_utf8(void) {
  CU_ASSERT_STRING_EQUAL(safe("exit status 3", 13, 256), "exit status 3");
  const char *u = "\xc3\xa9t\xc3\xa9 \xe2\x80\xba \xf0\x9f\x98\x80"; /* été › 😀 */
  CU_ASSERT_STRING_EQUAL(safe(u, strlen(u), 256), u);
  CU_ASSERT_STRING_EQUAL(safe("", 0, 256), "");
}

static void test_log_escapes_control_bytes_and_bad_utf8(void) {
  const char *esc = "\x1b[2Jred\x1b[0m";
  CU_ASSERT_STRING_EQUAL(safe(esc, strlen(esc), 256), "\\x1b[2Jred\\x1b[0m");
  CU_ASSERT_STRING_EQUAL(safe("a\nb\tc\rd", 7, 256), "a\\x0ab\\x09c\\x0dd");
  CU_ASSERT_STRING_EQUAL(safe("a\0b", 3, 256), "a\\x00b");
  CU_ASSERT_STRING_EQUAL(safe("\x7f", 1, 256), "\\x7f");
  CU_ASSERT_STRING_EQUAL(safe("\xc2\x9b" "1m", 4, 256), "\\xc2\\x9b1m"); /* C1 CSI */
  CU_ASSERT_STRING_EQUAL(safe("\x9b", 1, 256), "\\x9b");                 /* a lone byte */
  CU_ASSERT_STRING_EQUAL(safe("\xc3", 1, 256), "\\xc3");                 /* cut short */
  CU_ASSERT_STRING_EQUAL(safe("\xc0\xaf", 2, 256), "\\xc0\\xaf");        /* overlong */
  CU_ASSERT_STRING_EQUAL(safe("\xed\xa0\x80", 3, 256), "\\xed\\xa0\\x80"); /* surrogate */
}

static void test_log_cuts_long_text_within_the_buffer(void) {
  char big[300];
  memset(big, 'x', sizeof big);
  const char *s = safe(big, sizeof big, 20);
  CU_ASSERT_EQUAL(strlen(s), 19);
  CU_ASSERT_STRING_EQUAL(s + 16, "...");
  s = safe("\x01\x02\x03\x04\x05\x06", 6, 12); /* escapes are never cut in half */
  CU_ASSERT_STRING_EQUAL(s, "\\x01\\x02...");
}

int main(void) {
  static const tf_unit_test tests[] = {
      TF_UNIT_TEST(test_log_keeps_plain_text_and_utf8),
      TF_UNIT_TEST(test_log_escapes_control_bytes_and_bad_utf8),
      TF_UNIT_TEST(test_log_cuts_long_text_within_the_buffer),
      TF_UNIT_END,
  };
  return tf_unit_run("log", tests);
}
