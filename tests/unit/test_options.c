/* test_options.c - the command-line parser (src/options.c, src/options_check.c): defaults, the
 * common options, sizes with suffixes, an app's own table of every type, and each way a command
 * line is refused. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "options.h"
#include "taskfarm.h"
#include "unit.h"

static char err[256];

/* Parse "prog" followed by the given arguments (in an array of the macro's own: a successful
 * parse reorders it, options first, then the operands). */
#define PARSE(app, cfg, ...)                                                                       \
  parse_argv((int)(sizeof((const char *[]){"prog", __VA_ARGS__}) / sizeof(const char *)),          \
             (const char *[]){"prog", __VA_ARGS__}, (app), (cfg))

static int parse_argv(int argc, const char **argv, const tf_app *app, tf_config *cfg) {
  memset(err, 'x', sizeof err - 1); /* the parser must leave a string, whatever happens */
  err[sizeof err - 1] = '\0';
  return tf_parse_args(argc, (char **)argv, app, cfg, err, sizeof err);
}

static const tf_app plain_app = {.name = "plain"};

/* An app with one option of each type; reset() puts back the defaults. */
static long long opt_tasks;
static uint64_t opt_chunk;
static double opt_rate;
static const char *opt_name;
static int opt_dry;
static long long opt_any;
static const tf_option app_options[] = {
    {"tasks", TF_OPT_INT, &opt_tasks, "N", "number of tasks", 1, 100},
    {"chunk", TF_OPT_SIZE, &opt_chunk, "BYTES", "chunk size", 1024, 1 << 20},
    {"rate", TF_OPT_DOUBLE, &opt_rate, "R", "a fraction", 0, 1},
    {"name", TF_OPT_STRING, &opt_name, "S", "a label", 0, 0},
    {"dry-run", TF_OPT_FLAG, &opt_dry, NULL, "do nothing", 0, 0},
    {"any", TF_OPT_INT, &opt_any, "N", "no range", 0, 0},
    TF_OPTIONS_END,
};
static const tf_app app = {.name = "testapp", .options = app_options};

static void reset(tf_config *cfg) {
  tf_config_defaults(cfg);
  opt_tasks = 10;
  opt_chunk = 4096;
  opt_rate = 0.5;
  opt_name = "default";
  opt_dry = 0;
  opt_any = 0;
}

/* Assert a TF_EUSAGE whose message mentions what. */
#define ASSERT_USAGE(rc, what)                                                                     \
  do {                                                                                             \
    CU_ASSERT_EQUAL((rc), TF_EUSAGE);                                                              \
    CU_ASSERT_PTR_NOT_NULL(strstr(err, (what)));                                                   \
  } while (0)

static void test_options_defaults(void) {
  tf_config cfg;
  memset(&cfg, 0x5a, sizeof cfg);
  tf_config_defaults(&cfg);
  CU_ASSERT_EQUAL(cfg.prefetch, TF_DEFAULT_PREFETCH);
  CU_ASSERT_EQUAL(cfg.prefetch, 4096);
  CU_ASSERT_EQUAL(cfg.schedule, TF_SCHEDULE_ADAPTIVE);
  CU_ASSERT_EQUAL(cfg.chunk, 1);
  CU_ASSERT_EQUAL(cfg.idle, TF_IDLE_BACKOFF);
  CU_ASSERT_EQUAL(cfg.max_payload, TF_DEFAULT_MAX_PAYLOAD);
  CU_ASSERT_EQUAL(cfg.max_payload, 8u << 20);
  CU_ASSERT_EQUAL(cfg.quiet, 0);
  CU_ASSERT_EQUAL(cfg.verbose, 0);
}

static void test_options_empty_command_line_keeps_defaults(void) {
  tf_config cfg;
  reset(&cfg);
  const char *argv[] = {"prog"};
  CU_ASSERT_EQUAL(parse_argv(1, argv, &app, &cfg), 0);
  CU_ASSERT_STRING_EQUAL(err, "");
  CU_ASSERT_EQUAL(cfg.prefetch, TF_DEFAULT_PREFETCH);
  CU_ASSERT_EQUAL(cfg.max_payload, TF_DEFAULT_MAX_PAYLOAD);
  CU_ASSERT_EQUAL(opt_tasks, 10);
  CU_ASSERT_EQUAL(opt_chunk, 4096);
  CU_ASSERT_STRING_EQUAL(opt_name, "default");
  CU_ASSERT_EQUAL(opt_dry, 0);
  /* An app without options of its own. */
  CU_ASSERT_EQUAL(PARSE(&plain_app, &cfg, "--prefetch", "2"), 0);
  CU_ASSERT_EQUAL(cfg.prefetch, 2);
}

static void test_options_prefetch_takes_separate_or_equals_value(void) {
  tf_config cfg;
  reset(&cfg);
  CU_ASSERT_EQUAL(PARSE(&app, &cfg, "--prefetch", "8"), 0);
  CU_ASSERT_EQUAL(cfg.prefetch, 8);
  reset(&cfg);
  CU_ASSERT_EQUAL(PARSE(&app, &cfg, "--prefetch=8"), 0);
  CU_ASSERT_EQUAL(cfg.prefetch, 8);
  CU_ASSERT_EQUAL(PARSE(&app, &cfg, "--prefetch=1"), 0);
  CU_ASSERT_EQUAL(cfg.prefetch, 1);
  CU_ASSERT_EQUAL(PARSE(&app, &cfg, "--prefetch", "65535"), 0);
  CU_ASSERT_EQUAL(cfg.prefetch, TF_MAX_PREFETCH);
  /* The last of repeated options wins. */
  CU_ASSERT_EQUAL(PARSE(&app, &cfg, "--prefetch=3", "--prefetch", "5"), 0);
  CU_ASSERT_EQUAL(cfg.prefetch, 5);
}

static void test_options_rejects_prefetch_out_of_range_or_not_a_number(void) {
  tf_config cfg;
  static const char *const bad[] = {"0",   "-1", "65536", "99999999999999999999",
                                    "abc", "8x", "",      "2.5"};
  for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    reset(&cfg);
    ASSERT_USAGE(PARSE(&app, &cfg, "--prefetch", bad[i]), "--prefetch");
    CU_ASSERT_EQUAL(cfg.prefetch, TF_DEFAULT_PREFETCH);
  }
  ASSERT_USAGE(PARSE(&app, &cfg, "--prefetch="), "--prefetch");
}

static void test_options_max_payload_takes_k_m_g_suffixes(void) {
  static const struct {
    const char *arg;
    uint64_t value;
  } cases[] = {
      {"4M", 4194304},  {"1G", 1073741824}, {"512K", 524288}, {"100", 100},
      {"3k", 3072},     {"2MiB", 2097152},  {"1g", 1u << 30}, {"1073741824", 1u << 30},
      {"8M", 8u << 20},
  };
  tf_config cfg;
  for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    reset(&cfg);
    CU_ASSERT_EQUAL(PARSE(&app, &cfg, "--max-payload", cases[i].arg), 0);
    CU_ASSERT_EQUAL(cfg.max_payload, cases[i].value);
    reset(&cfg);
    char eq[64] = "--max-payload=";
    strcat(eq, cases[i].arg);
    CU_ASSERT_EQUAL(PARSE(&app, &cfg, eq), 0);
    CU_ASSERT_EQUAL(cfg.max_payload, cases[i].value);
  }
  /* Beyond TF_MAX_PAYLOAD_LIMIT, and sizes that are not sizes. */
  static const char *const bad[] = {"2G", "1025M", "1073741825", "4MM", "5X", "-1", "", "M"};
  for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    reset(&cfg);
    ASSERT_USAGE(PARSE(&app, &cfg, "--max-payload", bad[i]), "--max-payload");
    CU_ASSERT_EQUAL(cfg.max_payload, TF_DEFAULT_MAX_PAYLOAD);
  }
}

static void test_options_parse_size_accepts_numbers_with_suffixes(void) {
  static const struct {
    const char *s;
    uint64_t value;
  } cases[] = {
      {"0", 0},
      {"12", 12},
      {"2k", 2048},
      {"2K", 2048},
      {"3MiB", 3145728},
      {"3M", 3145728},
      {"5Ki", 5120},
      {"7KB", 7168},
      {"1G", UINT64_C(1) << 30},
      {"0G", 0},
      {"16G", UINT64_C(16) << 30},
      {"18446744073709551615", UINT64_MAX},
      {"17179869183G", UINT64_C(17179869183) << 30}, /* the largest that fits */
  };
  for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    uint64_t v = 12345;
    CU_ASSERT_EQUAL(tf__parse_size(cases[i].s, &v), 0);
    CU_ASSERT_EQUAL(v, cases[i].value);
  }
}

static void test_options_parse_size_rejects_malformed_or_overflowing(void) {
  static const char *const malformed[] = {"",     "-1",  "+1",     "abc",  "5X",  "4MM",
                                          "1.5M", "12 ", "K",      "0x10", "4 M", "3MiBB",
                                          "2Gi2", "2iB", "12Bxyz", "12BB"};
  static const char *const overflowing[] = {"99999999999G", "17179869184G", "18446744073709551616"};
  for (unsigned i = 0; i < sizeof malformed / sizeof malformed[0]; i++) {
    uint64_t v = 12345;
    CU_ASSERT_EQUAL(tf__parse_size(malformed[i], &v), TF_EINVAL);
    CU_ASSERT_EQUAL(v, 12345); /* untouched on error */
  }
  for (unsigned i = 0; i < sizeof overflowing / sizeof overflowing[0]; i++) {
    uint64_t v = 12345;
    CU_ASSERT_EQUAL(tf__parse_size(overflowing[i], &v), TF_EINVAL);
    CU_ASSERT_EQUAL(v, 12345);
  }
  uint64_t v = 1;
  CU_ASSERT_EQUAL(tf__parse_size(NULL, &v), TF_EINVAL);
}

static void test_options_parse_size_rejects_sign_after_leading_space(void) {
  /* A sign is refused at the start; whitespace in front must not smuggle it past the check
   * (strtoull would wrap " -1" to 2^64-1). */
  static const char *const bad[] = {" -1", "\t-5", " +7", " -1K"};
  for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    uint64_t v = 12345;
    CU_ASSERT_EQUAL(tf__parse_size(bad[i], &v), TF_EINVAL);
    CU_ASSERT_EQUAL(v, 12345);
  }
}

static void test_options_flags_set_quiet_and_verbose(void) {
  tf_config cfg;
  reset(&cfg);
  CU_ASSERT_EQUAL(PARSE(&app, &cfg, "--quiet"), 0);
  CU_ASSERT_EQUAL(cfg.quiet, 1);
  CU_ASSERT_EQUAL(cfg.verbose, 0);
  reset(&cfg);
  CU_ASSERT_EQUAL(PARSE(&app, &cfg, "--verbose", "--quiet"), 0);
  CU_ASSERT_EQUAL(cfg.quiet, 1);
  CU_ASSERT_EQUAL(cfg.verbose, 1);
}

static void test_options_app_table_parses_every_type(void) {
  tf_config cfg;
  reset(&cfg);
  int rc = PARSE(&app, &cfg, "--tasks", "50", "--chunk=3K", "--rate", "0.25", "--name=run1",
                 "--dry-run", "--any", "-123456789012");
  CU_ASSERT_EQUAL_FATAL(rc, 0);
  CU_ASSERT_STRING_EQUAL(err, "");
  CU_ASSERT_EQUAL(opt_tasks, 50);
  CU_ASSERT_EQUAL(opt_chunk, 3072);
  CU_ASSERT_DOUBLE_EQUAL(opt_rate, 0.25, 1e-15);
  CU_ASSERT_STRING_EQUAL(opt_name, "run1");
  CU_ASSERT_EQUAL(opt_dry, 1);
  CU_ASSERT_EQUAL(opt_any, -123456789012LL);
  /* Common options untouched. */
  CU_ASSERT_EQUAL(cfg.prefetch, TF_DEFAULT_PREFETCH);
  CU_ASSERT_EQUAL(cfg.max_payload, TF_DEFAULT_MAX_PAYLOAD);
  CU_ASSERT_EQUAL(cfg.quiet, 0);

  /* The other spelling of each, and range boundaries. */
  reset(&cfg);
  rc = PARSE(&app, &cfg, "--tasks=100", "--chunk", "1M", "--rate=1", "--name", "x y");
  CU_ASSERT_EQUAL_FATAL(rc, 0);
  CU_ASSERT_EQUAL(opt_tasks, 100);
  CU_ASSERT_EQUAL(opt_chunk, 1u << 20);
  CU_ASSERT_DOUBLE_EQUAL(opt_rate, 1.0, 0);
  CU_ASSERT_STRING_EQUAL(opt_name, "x y");
  CU_ASSERT_EQUAL(opt_dry, 0);
  reset(&cfg);
  CU_ASSERT_EQUAL(PARSE(&app, &cfg, "--tasks", "1", "--chunk", "1K", "--rate", "0"), 0);
  CU_ASSERT_EQUAL(opt_tasks, 1);
  CU_ASSERT_EQUAL(opt_chunk, 1024);
  CU_ASSERT_DOUBLE_EQUAL(opt_rate, 0.0, 0);
  /* Options not given keep the defaults already in dest. */
  CU_ASSERT_STRING_EQUAL(opt_name, "default");
}

static void test_options_string_value_points_into_argv(void) {
  tf_config cfg;
  reset(&cfg);
  const char *argv[] = {"prog", "--name", "alpha", "--name=beta"};
  CU_ASSERT_EQUAL(parse_argv(3, argv, &app, &cfg), 0);
  CU_ASSERT_PTR_EQUAL(opt_name, argv[2]);
  CU_ASSERT_EQUAL(parse_argv(4, argv, &app, &cfg), 0);
  CU_ASSERT_PTR_EQUAL(opt_name, argv[3] + strlen("--name="));
  /* An empty value is a value for a string. */
  CU_ASSERT_EQUAL(PARSE(&app, &cfg, "--name="), 0);
  CU_ASSERT_STRING_EQUAL(opt_name, "");
}

static void test_options_app_and_common_options_mix_in_one_command_line(void) {
  tf_config cfg;
  reset(&cfg);
  int rc = PARSE(&app, &cfg, "--prefetch", "16", "--tasks=7", "--quiet", "--max-payload", "4M",
                 "--dry-run", "--verbose", "--rate", "0.75", "--chunk", "2K");
  CU_ASSERT_EQUAL_FATAL(rc, 0);
  CU_ASSERT_EQUAL(cfg.prefetch, 16);
  CU_ASSERT_EQUAL(cfg.max_payload, 4194304);
  CU_ASSERT_EQUAL(cfg.quiet, 1);
  CU_ASSERT_EQUAL(cfg.verbose, 1);
  CU_ASSERT_EQUAL(opt_tasks, 7);
  CU_ASSERT_EQUAL(opt_dry, 1);
  CU_ASSERT_DOUBLE_EQUAL(opt_rate, 0.75, 0);
  CU_ASSERT_EQUAL(opt_chunk, 2048);
}

static void test_options_rejects_int_out_of_range(void) {
  tf_config cfg;
  static const char *const bad[] = {"0", "101", "-5", "1000000000000"};
  for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    reset(&cfg);
    ASSERT_USAGE(PARSE(&app, &cfg, "--tasks", bad[i]), "--tasks");
    CU_ASSERT_EQUAL(opt_tasks, 10); /* the default stays */
  }
  static const char *const not_int[] = {"5.5", "abc", "", "12abc", "0x10"};
  for (unsigned i = 0; i < sizeof not_int / sizeof not_int[0]; i++) {
    reset(&cfg);
    ASSERT_USAGE(PARSE(&app, &cfg, "--tasks", not_int[i]), "--tasks");
    CU_ASSERT_EQUAL(opt_tasks, 10);
  }
  /* Beyond long long. */
  ASSERT_USAGE(PARSE(&app, &cfg, "--any", "9223372036854775808"), "--any");
  CU_ASSERT_EQUAL(PARSE(&app, &cfg, "--any", "9223372036854775807"), 0);
  CU_ASSERT_EQUAL(opt_any, INT64_MAX);
}

static void test_options_rejects_double_out_of_range(void) {
  tf_config cfg;
  static const char *const bad[] = {"1.5", "-0.1", "1.0000001", "1e300"};
  for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    reset(&cfg);
    ASSERT_USAGE(PARSE(&app, &cfg, "--rate", bad[i]), "--rate");
    CU_ASSERT_DOUBLE_EQUAL(opt_rate, 0.5, 0);
  }
  static const char *const not_num[] = {"abc", "", "0.5x", "nan", "inf", "-inf"};
  for (unsigned i = 0; i < sizeof not_num / sizeof not_num[0]; i++) {
    reset(&cfg);
    ASSERT_USAGE(PARSE(&app, &cfg, "--rate", not_num[i]), "--rate");
    CU_ASSERT_DOUBLE_EQUAL(opt_rate, 0.5, 0);
  }
}

static void test_options_rejects_size_option_out_of_range(void) {
  tf_config cfg;
  static const char *const bad[] = {"1023", "2M", "1025K", "0", "lots"};
  for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    reset(&cfg);
    ASSERT_USAGE(PARSE(&app, &cfg, "--chunk", bad[i]), "--chunk");
    CU_ASSERT_EQUAL(opt_chunk, 4096);
  }
}

static void test_options_rejects_unknown_option(void) {
  tf_config cfg;
  reset(&cfg);
  ASSERT_USAGE(PARSE(&app, &cfg, "--bogus"), "bogus");
  ASSERT_USAGE(PARSE(&app, &cfg, "--bogus=3"), "--bogus");
  /* No abbreviations and no near matches. */
  ASSERT_USAGE(PARSE(&app, &cfg, "--pre", "3"), "--pre");
  ASSERT_USAGE(PARSE(&app, &cfg, "--prefetchx", "3"), "--prefetchx");
  ASSERT_USAGE(PARSE(&app, &cfg, "--task", "3"), "--task");
  ASSERT_USAGE(PARSE(&app, &cfg, "--Quiet"), "--Quiet");
  /* An app option is unknown to an app that does not declare it. */
  ASSERT_USAGE(PARSE(&plain_app, &cfg, "--tasks", "3"), "--tasks");
  /* Checked even after valid options. */
  ASSERT_USAGE(PARSE(&app, &cfg, "--quiet", "--tasks", "3", "--nope"), "--nope");
}

static void test_options_rejects_missing_value_at_end(void) {
  tf_config cfg;
  reset(&cfg);
  ASSERT_USAGE(PARSE(&app, &cfg, "--prefetch"), "--prefetch");
  ASSERT_USAGE(PARSE(&app, &cfg, "--quiet", "--max-payload"), "--max-payload");
  ASSERT_USAGE(PARSE(&app, &cfg, "--tasks"), "--tasks");
  ASSERT_USAGE(PARSE(&app, &cfg, "--name"), "--name");
  ASSERT_USAGE(PARSE(&app, &cfg, "--rate"), "--rate");
}

static void test_options_rejects_value_given_to_flag(void) {
  tf_config cfg;
  reset(&cfg);
  ASSERT_USAGE(PARSE(&app, &cfg, "--quiet=1"), "--quiet");
  ASSERT_USAGE(PARSE(&app, &cfg, "--verbose="), "--verbose");
  ASSERT_USAGE(PARSE(&app, &cfg, "--dry-run=yes"), "--dry-run");
  ASSERT_USAGE(PARSE(&app, &cfg, "--help=1"), "--help");
  CU_ASSERT_EQUAL(opt_dry, 0);
}

static void test_options_rejects_positional_argument(void) {
  tf_config cfg;
  static const char *const bad[] = {"input.txt", "-q", "-", "8"};
  for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    reset(&cfg);
    ASSERT_USAGE(PARSE(&app, &cfg, bad[i]), bad[i]);
    ASSERT_USAGE(PARSE(&app, &cfg, "--quiet", bad[i]), bad[i]);
    ASSERT_USAGE(PARSE(&app, &cfg, "--", bad[i]), bad[i]);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "unexpected argument"));
  }
  /* "--" with nothing after it ends the options of an app that takes no operands: harmless. */
  reset(&cfg);
  CU_ASSERT_EQUAL(PARSE(&app, &cfg, "--quiet", "--"), 0);
  CU_ASSERT_EQUAL(cfg.noperands, 0);
  CU_ASSERT_PTR_NULL(cfg.operands);
}

/* A repeatable option: every value in order, the defaults until it is given. */
static void test_options_repeatable_option_collects_every_value(void) {
  static const char *const defaults[] = {"/home"};
  static tf_strings roots;
  static long long depth;
  static const tf_option opts[] = {
      {"root", TF_OPT_STRING | TF_OPT_REPEAT, &roots, "DIR", "a tree to walk", 0, 0},
      {"depth", TF_OPT_INT, &depth, "N", "how deep", 0, 0},
      TF_OPTIONS_END,
  };
  tf_app a = {.name = "walker", .options = opts};
  tf_config cfg;
  roots = (tf_strings){1, defaults};
  reset(&cfg);
  CU_ASSERT_EQUAL(PARSE(&a, &cfg, "--depth", "2"), 0);
  CU_ASSERT_EQUAL(roots.count, 1);
  CU_ASSERT_STRING_EQUAL(roots.values[0], "/home");
  uint64_t home = cfg.fingerprint;
  CU_ASSERT_STRING_EQUAL(cfg.args, "--root=/home --depth=2");
  reset(&cfg);
  CU_ASSERT_EQUAL(PARSE(&a, &cfg, "--root", "/usr", "--depth", "2", "--root=/etc", "--root", "/usr"), 0);
  CU_ASSERT_EQUAL(roots.count, 3);
  CU_ASSERT_STRING_EQUAL(roots.values[0], "/usr");
  CU_ASSERT_STRING_EQUAL(roots.values[1], "/etc");
  CU_ASSERT_STRING_EQUAL(roots.values[2], "/usr");
  CU_ASSERT_NOT_EQUAL(cfg.fingerprint, home);
  CU_ASSERT_STRING_EQUAL(cfg.args, "--root=/usr --root=/etc --root=/usr --depth=2");
  uint64_t three = cfg.fingerprint;
  /* a second command line starts again from its own first value */
  CU_ASSERT_EQUAL(PARSE(&a, &cfg, "--root", "/usr", "--root", "/etc"), 0);
  CU_ASSERT_EQUAL(roots.count, 2);
  CU_ASSERT_NOT_EQUAL(cfg.fingerprint, three);
  /* order matters: another run */
  CU_ASSERT_EQUAL(PARSE(&a, &cfg, "--root", "/etc", "--root", "/usr"), 0);
  uint64_t swapped = cfg.fingerprint;
  CU_ASSERT_EQUAL(PARSE(&a, &cfg, "--root", "/usr", "--root", "/etc"), 0);
  CU_ASSERT_NOT_EQUAL(cfg.fingerprint, swapped);
  ASSERT_USAGE(PARSE(&a, &cfg, "--root"), "--root needs a value (DIR)");
  /* only a string option repeats */
  static long long n;
  static const tf_option wrong[] = {{"n", TF_OPT_INT | TF_OPT_REPEAT, &n, "N", "", 0, 0},
                                    TF_OPTIONS_END};
  tf_app b = {.name = "wrong", .options = wrong};
  ASSERT_USAGE(PARSE(&b, &cfg, "--n", "1"), "TF_OPT_REPEAT needs TF_OPT_STRING");
}

/* Short names (TF_OPT_SHORT) and a first operand that ends the options (a command line). */
static void test_options_short_names_and_operands_that_end_the_options(void) {
  static int keep;
  static tf_strings files;
  static long long jobs;
  static const tf_option opts[] = {
      {"keep-order", TF_OPT_FLAG | TF_OPT_SHORT('k'), &keep, NULL, "", 0, 0},
      {"arg-file", TF_OPT_STRING | TF_OPT_REPEAT | TF_OPT_SHORT('a'), &files, "FILE", "", 0, 0},
      {"jobs", TF_OPT_INT, &jobs, "N", "", 0, 0},
      TF_OPTIONS_END,
  };
  tf_app a = {.name = "cmd", .options = opts, .operands = "COMMAND...",
              .max_operands = TF_OPERANDS_ANY, .operand_flags = TF_OPERANDS_END_OPTIONS};
  tf_config cfg;
  reset(&cfg);
  keep = 0, files = (tf_strings){0, NULL};
  const char *argv[] = {"prog", "-k", "-a", "f1", "--jobs", "3", "-a", "f2",
                        "echo", "-n", "--jobs", "-k", "{}"};
  CU_ASSERT_EQUAL(parse_argv(13, argv, &a, &cfg), 0);
  CU_ASSERT_EQUAL(keep, 1);
  CU_ASSERT_EQUAL(jobs, 3);
  CU_ASSERT_EQUAL(files.count, 2);
  CU_ASSERT_STRING_EQUAL(files.values[1], "f2");
  CU_ASSERT_EQUAL(cfg.noperands, 5); /* echo -n --jobs -k {}: after the first operand, all are */
  CU_ASSERT_STRING_EQUAL(cfg.operands[1], "-n");
  CU_ASSERT_STRING_EQUAL(cfg.operands[3], "-k");
  reset(&cfg);
  ASSERT_USAGE(PARSE(&a, &cfg, "-a"), "-a needs a value (FILE)");
  ASSERT_USAGE(PARSE(&a, &cfg, "-x", "echo"), "unknown option '-x'");
  /* without the flag, options may follow operands (and "-n" is refused) */
  a.operand_flags = 0;
  reset(&cfg);
  jobs = 0;
  CU_ASSERT_EQUAL(PARSE(&a, &cfg, "echo", "--jobs", "4"), 0);
  CU_ASSERT_EQUAL(jobs, 4);
  CU_ASSERT_EQUAL(cfg.noperands, 1);
}

/* An app that takes operands: "ROOT...", one at least, three at most. */
static const tf_app walk_app = {.name = "walk",
                                .options = app_options,
                                .operands = "ROOT...",
                                .min_operands = 1,
                                .max_operands = 3};

static void test_options_operands_come_in_order_among_options(void) {
  tf_config cfg;
  reset(&cfg);
  const char *argv[] = {"prog", "/usr", "--tasks", "7", "/etc", "--quiet", "--name=x", "/var"};
  CU_ASSERT_EQUAL(parse_argv(8, argv, &walk_app, &cfg), 0);
  CU_ASSERT_EQUAL(opt_tasks, 7);
  CU_ASSERT_EQUAL(cfg.quiet, 1);
  CU_ASSERT_STRING_EQUAL(opt_name, "x");
  CU_ASSERT_EQUAL(cfg.noperands, 3);
  CU_ASSERT_STRING_EQUAL(cfg.operands[0], "/usr");
  CU_ASSERT_STRING_EQUAL(cfg.operands[1], "/etc");
  CU_ASSERT_STRING_EQUAL(cfg.operands[2], "/var");
  /* argv reordered as getopt does: the options with their values, then the operands. */
  static const char *const want[] = {"prog", "--tasks", "7", "--quiet", "--name=x",
                                     "/usr", "/etc", "/var"};
  for (int i = 0; i < 8; i++)
    CU_ASSERT_STRING_EQUAL(argv[i], want[i]);
  CU_ASSERT_PTR_EQUAL(cfg.operands, (char *const *)argv + 5);
  /* Parsing the reordered argv again gives the same run. */
  uint64_t fp = cfg.fingerprint;
  reset(&cfg);
  CU_ASSERT_EQUAL(parse_argv(8, argv, &walk_app, &cfg), 0);
  CU_ASSERT_EQUAL(cfg.fingerprint, fp);
  CU_ASSERT_EQUAL(cfg.noperands, 3);
  CU_ASSERT_STRING_EQUAL(cfg.operands[2], "/var");
  CU_ASSERT_STRING_EQUAL(cfg.args, "--tasks=7 --chunk=4096 --rate=0.5 --name=x --any=0 /usr /etc /var");
}

static void test_options_operands_after_double_dash_may_start_with_a_dash(void) {
  tf_config cfg;
  reset(&cfg);
  const char *argv[] = {"prog", "a", "--", "--tasks", "-b"};
  CU_ASSERT_EQUAL(parse_argv(5, argv, &walk_app, &cfg), 0);
  CU_ASSERT_EQUAL(opt_tasks, 10); /* an operand, not the option */
  CU_ASSERT_EQUAL(cfg.noperands, 3);
  CU_ASSERT_STRING_EQUAL(cfg.operands[0], "a");
  CU_ASSERT_STRING_EQUAL(cfg.operands[1], "--tasks");
  CU_ASSERT_STRING_EQUAL(cfg.operands[2], "-b");
  /* "--" goes before the operands, so that a second parse reads them as operands again */
  CU_ASSERT_STRING_EQUAL(argv[1], "--");
  CU_ASSERT_STRING_EQUAL(argv[2], "a");
  uint64_t fp = cfg.fingerprint;
  reset(&cfg);
  CU_ASSERT_EQUAL(parse_argv(5, argv, &walk_app, &cfg), 0);
  CU_ASSERT_EQUAL(cfg.fingerprint, fp);
  CU_ASSERT_EQUAL(cfg.noperands, 3);
  /* after "--", a second "--" is an operand too: four here, one too many */
  reset(&cfg);
  ASSERT_USAGE(PARSE(&walk_app, &cfg, "a", "--", "b", "--", "c"), "'c' is one too many");
  /* without "--", one dash and a letter is an unknown option, named */
  reset(&cfg);
  ASSERT_USAGE(PARSE(&walk_app, &cfg, "a", "-b"), "unknown option '-b'");
  CU_ASSERT_PTR_NOT_NULL(strstr(err, "goes after --"));
  reset(&cfg);
  const char *dash[] = {"prog", "-"}; /* cfg.operands points into it: it must outlive the check */
  CU_ASSERT_EQUAL(parse_argv(2, dash, &walk_app, &cfg), 0); /* "-" alone is an operand (stdin) */
  CU_ASSERT_STRING_EQUAL(cfg.operands[0], "-");
}

static void test_options_operand_count_is_checked(void) {
  tf_config cfg;
  reset(&cfg);
  ASSERT_USAGE(PARSE(&walk_app, &cfg, "--tasks", "3"), "ROOT... operand missing: 0 given, at least 1");
  CU_ASSERT_PTR_NOT_NULL(strstr(err, "usage: walk [OPTIONS] ROOT..."));
  reset(&cfg);
  const char *argv[] = {"prog", "a", "b", "--quiet", "c", "d", "e"};
  CU_ASSERT_EQUAL(parse_argv(7, argv, &walk_app, &cfg), TF_EUSAGE);
  CU_ASSERT_PTR_NOT_NULL(strstr(err, "too many operands: 5 given, at most 3"));
  CU_ASSERT_PTR_NOT_NULL(strstr(err, "'d' is one too many"));
  /* a refused command line leaves argv and cfg as they were */
  CU_ASSERT_STRING_EQUAL(argv[3], "--quiet");
  CU_ASSERT_EQUAL(cfg.quiet, 0);
  CU_ASSERT_EQUAL(cfg.noperands, 0);
  /* --help needs no operands */
  reset(&cfg);
  CU_ASSERT_EQUAL(PARSE(&walk_app, &cfg, "--help"), TF_EHELP);
  /* no upper bound */
  tf_app any = walk_app;
  any.max_operands = TF_OPERANDS_ANY;
  reset(&cfg);
  CU_ASSERT_EQUAL(parse_argv(7, argv, &any, &cfg), 0);
  CU_ASSERT_EQUAL(cfg.noperands, 5);
  CU_ASSERT_STRING_EQUAL(cfg.operands[4], "e");
}

static void test_options_operands_are_in_the_fingerprint_in_order(void) {
  tf_config cfg;
  reset(&cfg);
  CU_ASSERT_EQUAL(PARSE(&walk_app, &cfg, "a", "b"), 0);
  uint64_t ab = cfg.fingerprint;
  reset(&cfg);
  CU_ASSERT_EQUAL(PARSE(&walk_app, &cfg, "b", "a"), 0);
  CU_ASSERT_NOT_EQUAL(cfg.fingerprint, ab);
  reset(&cfg);
  CU_ASSERT_EQUAL(PARSE(&walk_app, &cfg, "ab"), 0);
  CU_ASSERT_NOT_EQUAL(cfg.fingerprint, ab);
  reset(&cfg);
  CU_ASSERT_EQUAL(PARSE(&walk_app, &cfg, "a", "--quiet", "b"), 0); /* not journaled: the same */
  CU_ASSERT_EQUAL(cfg.fingerprint, ab);
  /* operands left out of the fingerprint: any operands, one run */
  tf_app unjournaled = walk_app;
  unjournaled.operand_flags = TF_OPT_NOT_JOURNALED;
  reset(&cfg);
  CU_ASSERT_EQUAL(PARSE(&unjournaled, &cfg, "a", "b"), 0);
  uint64_t u = cfg.fingerprint;
  CU_ASSERT_NOT_EQUAL(u, ab);
  CU_ASSERT_STRING_EQUAL(cfg.args, "--tasks=10 --chunk=4096 --rate=0.5 --name=default --any=0");
  reset(&cfg);
  CU_ASSERT_EQUAL(PARSE(&unjournaled, &cfg, "c"), 0);
  CU_ASSERT_EQUAL(cfg.fingerprint, u);
}

static void test_options_help_and_version_return_ehelp(void) {
  tf_config cfg;
  reset(&cfg);
  CU_ASSERT_EQUAL(PARSE(&app, &cfg, "--help"), TF_EHELP);
  CU_ASSERT_STRING_EQUAL(err, "help");
  CU_ASSERT_EQUAL(PARSE(&app, &cfg, "--version"), TF_EHELP);
  CU_ASSERT_STRING_EQUAL(err, "version");
  /* Among other valid options, in any position. */
  CU_ASSERT_EQUAL(PARSE(&app, &cfg, "--tasks", "3", "--help", "--quiet"), TF_EHELP);
  CU_ASSERT_STRING_EQUAL(err, "help");
  CU_ASSERT_EQUAL(PARSE(&plain_app, &cfg, "--prefetch=2", "--version"), TF_EHELP);
  CU_ASSERT_STRING_EQUAL(err, "version");
  CU_ASSERT_EQUAL(PARSE(&app, &cfg, "--help", "--version"), TF_EHELP);
  CU_ASSERT_STRING_EQUAL(err, "help");
}

static void test_options_error_fits_any_buffer(void) {
  tf_config cfg;
  reset(&cfg);
  char *argv[] = {"prog", "--bogus-option-with-a-long-name"};
  /* No buffer at all. */
  CU_ASSERT_EQUAL(tf_parse_args(2, argv, &app, &cfg, NULL, 0), TF_EUSAGE);
  /* A small one: cut, still terminated, the bytes after it untouched. */
  char small[12];
  memset(small, 'z', sizeof small);
  CU_ASSERT_EQUAL(tf_parse_args(2, argv, &app, &cfg, small, 8), TF_EUSAGE);
  CU_ASSERT_EQUAL(strlen(small), 7);
  CU_ASSERT_EQUAL(small[8], 'z');
  memset(small, 'z', sizeof small);
  CU_ASSERT_EQUAL(tf_parse_args(1, argv, &app, &cfg, small, 1), 0);
  CU_ASSERT_EQUAL(small[0], '\0');
  CU_ASSERT_EQUAL(small[1], 'z');
}

/* An app-wide check that the two bounds are in order. */
static long long opt_lo, opt_hi;
static int calls;
static int check_bounds(void *ctx, const tf_config *cfg, char *e, size_t n) {
  calls++;
  CU_ASSERT_PTR_EQUAL(ctx, &opt_lo);
  CU_ASSERT_EQUAL(cfg->prefetch, 9 + (opt_lo < opt_hi)); /* sees this command line's values */
  if (opt_lo < opt_hi) return 0;
  snprintf(e, n, "--lo (%lld) must be below --hi (%lld)", opt_lo, opt_hi);
  return 1;
}
static const tf_option bound_options[] = {
    {"lo", TF_OPT_INT, &opt_lo, "N", "lower bound", 0, 0},
    {"hi", TF_OPT_INT, &opt_hi, "N", "upper bound", 0, 0},
    TF_OPTIONS_END,
};

static void test_options_check_options_turns_a_bad_combination_into_usage_error(void) {
  tf_app app = {
      .name = "bounds", .ctx = &opt_lo, .options = bound_options, .check_options = check_bounds};
  tf_config cfg;
  tf_config_defaults(&cfg);
  opt_lo = 0, opt_hi = 10, calls = 0;
  CU_ASSERT_EQUAL(PARSE(&app, &cfg, "--lo", "3", "--hi", "5", "--prefetch", "10"), 0);
  CU_ASSERT_EQUAL(calls, 1);
  CU_ASSERT_EQUAL(PARSE(&app, &cfg, "--lo", "7", "--hi", "5", "--prefetch", "9"), TF_EUSAGE);
  CU_ASSERT_STRING_EQUAL(err, "--lo (7) must be below --hi (5)");
  CU_ASSERT_EQUAL(cfg.prefetch, 10); /* a refused line changes nothing */
  calls = 0;
  CU_ASSERT_EQUAL(PARSE(&app, &cfg, "--lo", "7", "--hi", "5", "--help"), TF_EHELP);
  CU_ASSERT_EQUAL(calls, 0); /* --help is answered whatever the other options say */
}

static void test_options_fault_options_take_their_values(void) {
  tf_config cfg;
  reset(&cfg);
  CU_ASSERT_EQUAL(cfg.journal_sync, 1.0);
  CU_ASSERT_EQUAL(cfg.worker_timeout, 0.0); /* 30 s once heartbeats run */
  CU_ASSERT_EQUAL(cfg.drain, 20.0);
  CU_ASSERT_EQUAL(cfg.task_timeout, 0.0);
  CU_ASSERT_EQUAL(PARSE(&plain_app, &cfg, "--journal", "j.log", "--resume", "--journal-sync", "0",
                        "--task-timeout", "2.5", "--worker-timeout=3", "--drain", "7",
                        "--status-file", "st"),
                  0);
  CU_ASSERT_STRING_EQUAL(cfg.journal, "j.log");
  CU_ASSERT_EQUAL(cfg.resume, 1);
  CU_ASSERT_EQUAL(cfg.journal_sync, 0.0);
  CU_ASSERT_EQUAL(cfg.task_timeout, 2.5);
  CU_ASSERT_EQUAL(cfg.worker_timeout, 3.0);
  CU_ASSERT_EQUAL(cfg.drain, 7.0);
  CU_ASSERT_STRING_EQUAL(cfg.status_file, "st");
  ASSERT_USAGE(PARSE(&plain_app, &cfg, "--worker-timeout", "0.1"), "--worker-timeout");
  ASSERT_USAGE(PARSE(&plain_app, &cfg, "--drain", "-1"), "--drain");
}

/* Integers may be written 1e6 or 2.5e3 when the value is whole. */
static void test_options_int_takes_whole_numbers_in_e_notation(void) {
  tf_config cfg;
  reset(&cfg);
  CU_ASSERT_EQUAL(PARSE(&app, &cfg, "--any", "1e9"), 0);
  CU_ASSERT_EQUAL(opt_any, 1000000000LL);
  CU_ASSERT_EQUAL(PARSE(&app, &cfg, "--any=2.5e3"), 0);
  CU_ASSERT_EQUAL(opt_any, 2500);
  ASSERT_USAGE(PARSE(&app, &cfg, "--any", "1.5"), "not an integer");
  ASSERT_USAGE(PARSE(&app, &cfg, "--any", "1e"), "not an integer");
  ASSERT_USAGE(PARSE(&app, &cfg, "--any", "1e30"), "not an integer");
  ASSERT_USAGE(PARSE(&app, &cfg, "--tasks", "1e3"), "out of range");
}

static void test_options_resume_needs_a_journal(void) {
  tf_config cfg;
  reset(&cfg);
  ASSERT_USAGE(PARSE(&plain_app, &cfg, "--resume"), "--resume needs --journal");
  ASSERT_USAGE(PARSE(&plain_app, &cfg, "--journal="), "empty file name");
}

/* The journal's fingerprint: the app's name and its own options, not the
 * common ones; the args text lists every app option's value, in table order. */
static void test_options_fingerprint_covers_the_app_options_only(void) {
  tf_config a, b;
  reset(&a);
  CU_ASSERT_EQUAL(PARSE(&app, &a, "--tasks", "5", "--name=x y"), 0);
  CU_ASSERT_STRING_EQUAL(a.args, "--tasks=5 --chunk=4096 --rate=0.5 --name=x y --any=0");
  reset(&b);
  CU_ASSERT_EQUAL(PARSE(&app, &b, "--tasks=5", "--schedule", "static", "--name", "x y",
                        "--journal", "j", "--verbose"),
                  0);
  CU_ASSERT_EQUAL(a.fingerprint, b.fingerprint);
  CU_ASSERT_STRING_EQUAL(b.args, a.args);
  reset(&b);
  CU_ASSERT_EQUAL(PARSE(&app, &b, "--tasks", "6", "--name=x y"), 0);
  CU_ASSERT_NOT_EQUAL(a.fingerprint, b.fingerprint);
  reset(&b);
  CU_ASSERT_EQUAL(PARSE(&app, &b, "--tasks", "5", "--name=x y", "--dry-run"), 0);
  CU_ASSERT_NOT_EQUAL(a.fingerprint, b.fingerprint);
  CU_ASSERT_STRING_EQUAL(b.args, "--tasks=5 --chunk=4096 --rate=0.5 --name=x y --dry-run --any=0");
  /* Another app with the same (no) options. */
  tf_config p, q;
  reset(&p);
  reset(&q);
  tf_app other = {.name = "other"};
  CU_ASSERT_EQUAL(PARSE(&plain_app, &p, "--quiet"), 0);
  CU_ASSERT_EQUAL(PARSE(&other, &q, "--quiet"), 0);
  CU_ASSERT_NOT_EQUAL(p.fingerprint, q.fingerprint);
  CU_ASSERT_STRING_EQUAL(p.args, "");
}

/* Parse the arguments (after reset) and return the fingerprint; 0 when the parse failed. */
static uint64_t fingerprint_of(int argc, const char **argv) {
  tf_config c;
  reset(&c);
  return parse_argv(argc, argv, &app, &c) ? 0 : c.fingerprint;
}
#define PRINT(...)                                                                                 \
  fingerprint_of((int)(sizeof((const char *[]){"prog", __VA_ARGS__}) / sizeof(const char *)),      \
                 (const char *[]){"prog", __VA_ARGS__})

/* One run however its values are written: 3e1 or 30, 4K or 4096, 0.5 or 5e-1, an explicit
 * default or none, in any order; and a different value is another run. */
static void test_options_fingerprint_covers_values_not_spelling(void) {
  uint64_t base = PRINT("--tasks", "30", "--chunk", "4096", "--rate", "0.25", "--name", "n");
  CU_ASSERT_NOT_EQUAL(base, 0);
  CU_ASSERT_EQUAL(PRINT("--tasks=3e1", "--chunk=4K", "--rate=2.5e-1", "--name=n"), base);
  CU_ASSERT_EQUAL(PRINT("--name", "n", "--rate", ".25", "--chunk", "4KiB", "--tasks", "30"), base);
  CU_ASSERT_EQUAL(PRINT("--tasks", "30", "--rate", "0.250", "--name", "n"), base);
  CU_ASSERT_EQUAL(PRINT("--tasks", "30", "--rate", "0.25", "--name", "n", "--any", "0"), base);
  CU_ASSERT_EQUAL(PRINT("--tasks", "29", "--tasks", "30", "--rate", "0.25", "--name", "n"), base);
  /* An explicit default is the same as none; 0 and -0 are one value. */
  uint64_t defaults = PRINT("--quiet");
  CU_ASSERT_EQUAL(PRINT("--tasks", "10", "--chunk", "4096", "--rate", "0.5", "--name", "default"),
                  defaults);
  CU_ASSERT_EQUAL(PRINT("--rate", "0"), PRINT("--rate", "-0"));
  /* Any value that differs is another run. */
  CU_ASSERT_NOT_EQUAL(PRINT("--tasks", "31", "--chunk", "4096", "--rate", "0.25", "--name", "n"),
                      base);
  CU_ASSERT_NOT_EQUAL(PRINT("--tasks", "30", "--chunk", "4097", "--rate", "0.25", "--name", "n"),
                      base);
  CU_ASSERT_NOT_EQUAL(
      PRINT("--tasks", "30", "--chunk", "4096", "--rate", "0.2500000001", "--name", "n"), base);
  CU_ASSERT_NOT_EQUAL(PRINT("--tasks", "30", "--chunk", "4096", "--rate", "0.25", "--name", "m"),
                      base);
  CU_ASSERT_NOT_EQUAL(PRINT("--name", ""), PRINT("--quiet"));
  CU_ASSERT_NOT_EQUAL(PRINT("--dry-run"), defaults);
  CU_ASSERT_NOT_EQUAL(PRINT("--any", "1"), defaults);
  /* The text is canonical: the values as parsed, in table order. */
  tf_config cfg;
  reset(&cfg);
  CU_ASSERT_EQUAL(PARSE(&app, &cfg, "--rate=1e-1", "--chunk", "1M", "--tasks", "3e1"), 0);
  CU_ASSERT_STRING_EQUAL(cfg.args, "--tasks=30 --chunk=1048576 --rate=0.1 --name=default --any=0");
}

/* Options marked TF_OPT_NOT_JOURNALED or TF_OPT_OUTPUT do not count; the app's journal_key
 * does, and shows in the text. The flags do not change how a value is parsed. */
static long long run_timeout;
static const char *run_report, *run_label;
static int run_loud;
static const tf_option run_options[] = {
    {"n", TF_OPT_INT, &opt_tasks, "N", "counts", 1, 100},
    {"timeout", TF_OPT_INT | TF_OPT_NOT_JOURNALED, &run_timeout, "S", "no result changes", 0, 99},
    {"report", TF_OPT_STRING | TF_OPT_OUTPUT, &run_report, "FILE", "a report", 0, 0},
    {"loud", TF_OPT_FLAG | TF_OPT_NOT_JOURNALED, &run_loud, NULL, "a flag", 0, 0},
    {"label", TF_OPT_STRING, &run_label, "S", "no default: no word in the text", 0, 0},
    TF_OPTIONS_END,
};

static void test_options_not_journaled_options_and_journal_key(void) {
  tf_app a = {.name = "runner", .options = run_options};
  tf_config cfg;
  run_timeout = 0, run_report = NULL, run_loud = 0;
  reset(&cfg);
  CU_ASSERT_EQUAL(PARSE(&a, &cfg, "--n", "4"), 0);
  uint64_t base = cfg.fingerprint;
  CU_ASSERT_STRING_EQUAL(cfg.args, "--n=4");
  reset(&cfg);
  CU_ASSERT_EQUAL(PARSE(&a, &cfg, "--n", "4", "--timeout", "7", "--report", "r.txt", "--loud"), 0);
  CU_ASSERT_EQUAL(run_timeout, 7);
  CU_ASSERT_STRING_EQUAL(run_report, "r.txt");
  CU_ASSERT_EQUAL(run_loud, 1);
  CU_ASSERT_EQUAL(cfg.fingerprint, base);
  CU_ASSERT_STRING_EQUAL(cfg.args, "--n=4");
  ASSERT_USAGE(PARSE(&a, &cfg, "--timeout", "100"), "--timeout");
  ASSERT_USAGE(PARSE(&a, &cfg, "--loud=1"), "takes no value");
  a.journal_key = "digest=abc";
  reset(&cfg);
  CU_ASSERT_EQUAL(PARSE(&a, &cfg, "--n", "4"), 0);
  CU_ASSERT_NOT_EQUAL(cfg.fingerprint, base);
  CU_ASSERT_STRING_EQUAL(cfg.args, "--n=4 digest=abc");
  uint64_t keyed = cfg.fingerprint;
  a.journal_key = "digest=abd";
  reset(&cfg);
  CU_ASSERT_EQUAL(PARSE(&a, &cfg, "--n", "4"), 0);
  CU_ASSERT_NOT_EQUAL(cfg.fingerprint, keyed);
}

/* The files rank 0 writes, the library's and the app's TF_OPT_OUTPUT ones, are checked before
 * a run: the first that cannot be made is named with its option. */
static void test_options_check_outputs_names_the_option_and_the_file(void) {
  tf_app a = {.name = "runner", .options = run_options};
  tf_config cfg;
  run_report = NULL;
  reset(&cfg);
  CU_ASSERT_EQUAL(tf__check_outputs(&a, &cfg, err, sizeof err), 0);
  run_report = "/nonexistent-dir-of-taskfarm/r.txt";
  CU_ASSERT_EQUAL(tf__check_outputs(&a, &cfg, err, sizeof err), TF_EIO);
  CU_ASSERT_PTR_NOT_NULL(strstr(err, "--report /nonexistent-dir-of-taskfarm/r.txt: cannot create"));
  run_report = ""; /* none */
  CU_ASSERT_EQUAL(tf__check_outputs(&a, &cfg, err, sizeof err), 0);
  cfg.stats_file = "/";
  CU_ASSERT_EQUAL(tf__check_outputs(&a, &cfg, err, sizeof err), TF_EINVAL);
  CU_ASSERT_PTR_NOT_NULL(strstr(err, "--stats /"));
  cfg.stats_file = NULL;
  cfg.status_file = "/nonexistent-dir-of-taskfarm/status";
  CU_ASSERT_EQUAL(tf__check_outputs(&a, &cfg, err, sizeof err), TF_EIO);
  CU_ASSERT_PTR_NOT_NULL(strstr(err, "--status-file /nonexistent-dir-of-taskfarm/status"));
  run_report = NULL;
}

static void test_options_rejects_null_app_or_config(void) {
  tf_config cfg;
  reset(&cfg);
  char *argv[] = {"prog"};
  CU_ASSERT_EQUAL(tf_parse_args(1, argv, NULL, &cfg, err, sizeof err), TF_EINVAL);
  CU_ASSERT_EQUAL(tf_parse_args(1, argv, &app, NULL, err, sizeof err), TF_EINVAL);
}

int main(void) {
  static const tf_unit_test tests[] = {
      TF_UNIT_TEST(test_options_defaults),
      TF_UNIT_TEST(test_options_empty_command_line_keeps_defaults),
      TF_UNIT_TEST(test_options_prefetch_takes_separate_or_equals_value),
      TF_UNIT_TEST(test_options_rejects_prefetch_out_of_range_or_not_a_number),
      TF_UNIT_TEST(test_options_max_payload_takes_k_m_g_suffixes),
      TF_UNIT_TEST(test_options_parse_size_accepts_numbers_with_suffixes),
      TF_UNIT_TEST(test_options_parse_size_rejects_malformed_or_overflowing),
      TF_UNIT_TEST(test_options_parse_size_rejects_sign_after_leading_space),
      TF_UNIT_TEST(test_options_flags_set_quiet_and_verbose),
      TF_UNIT_TEST(test_options_app_table_parses_every_type),
      TF_UNIT_TEST(test_options_string_value_points_into_argv),
      TF_UNIT_TEST(test_options_app_and_common_options_mix_in_one_command_line),
      TF_UNIT_TEST(test_options_rejects_int_out_of_range),
      TF_UNIT_TEST(test_options_rejects_double_out_of_range),
      TF_UNIT_TEST(test_options_rejects_size_option_out_of_range),
      TF_UNIT_TEST(test_options_rejects_unknown_option),
      TF_UNIT_TEST(test_options_rejects_missing_value_at_end),
      TF_UNIT_TEST(test_options_rejects_value_given_to_flag),
      TF_UNIT_TEST(test_options_rejects_positional_argument),
      TF_UNIT_TEST(test_options_repeatable_option_collects_every_value),
      TF_UNIT_TEST(test_options_short_names_and_operands_that_end_the_options),
      TF_UNIT_TEST(test_options_operands_come_in_order_among_options),
      TF_UNIT_TEST(test_options_operands_after_double_dash_may_start_with_a_dash),
      TF_UNIT_TEST(test_options_operand_count_is_checked),
      TF_UNIT_TEST(test_options_operands_are_in_the_fingerprint_in_order),
      TF_UNIT_TEST(test_options_help_and_version_return_ehelp),
      TF_UNIT_TEST(test_options_error_fits_any_buffer),
      TF_UNIT_TEST(test_options_check_options_turns_a_bad_combination_into_usage_error),
      TF_UNIT_TEST(test_options_rejects_null_app_or_config),
      TF_UNIT_TEST(test_options_fault_options_take_their_values),
      TF_UNIT_TEST(test_options_resume_needs_a_journal),
      TF_UNIT_TEST(test_options_int_takes_whole_numbers_in_e_notation),
      TF_UNIT_TEST(test_options_fingerprint_covers_the_app_options_only),
      TF_UNIT_TEST(test_options_fingerprint_covers_values_not_spelling),
      TF_UNIT_TEST(test_options_not_journaled_options_and_journal_key),
      TF_UNIT_TEST(test_options_check_outputs_names_the_option_and_the_file),
      TF_UNIT_END,
  };
  return tf_unit_run("options", tests);
}
