/* test_outfile.c - output files written whole (src/outfile.c): nothing at the final name until
 * the commit, then all of it; a failed write or a discard leaves the old file; a link at the
 * final name is replaced, not written through; devices are written directly; and the check at
 * the start of a run refuses what cannot be written and leaves nothing behind. */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "taskfarm.h"
#include "unit.h"

static char dir[512], path[600], err[512];

static void make_dir(void) {
  const char *tmp = getenv("TMPDIR");
  snprintf(dir, sizeof dir, "%s/tfoutfile.XXXXXX", tmp && *tmp ? tmp : "/tmp");
  CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
  snprintf(path, sizeof path, "%s/out.txt", dir);
}

/* Names in dir (not . and ..), and the first of them in first (if given). */
static int entries(char *first, size_t n) {
  DIR *d = opendir(dir);
  CU_ASSERT_PTR_NOT_NULL_FATAL(d);
  int count = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    if (!count && first) snprintf(first, n, "%s", e->d_name);
    count++;
  }
  closedir(d);
  return count;
}

static void remove_all(void) {
  DIR *d = opendir(dir);
  struct dirent *e;
  char p[1200];
  while (d && (e = readdir(d)) != NULL) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
    unlink(p);
  }
  if (d) closedir(d);
  CU_ASSERT_EQUAL(rmdir(dir), 0);
}

static void write_text(const char *p, const char *text) {
  FILE *f = fopen(p, "w");
  CU_ASSERT_PTR_NOT_NULL_FATAL(f);
  fputs(text, f);
  CU_ASSERT_EQUAL(fclose(f), 0);
}

/* The file's text (up to 255 bytes), or "(none)". */
static const char *read_text(const char *p) {
  static char buf[256];
  FILE *f = fopen(p, "r");
  if (!f) return "(none)";
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  buf[n] = '\0';
  fclose(f);
  return buf;
}

static void test_output_appears_whole_at_commit_with_the_umask_mode(void) {
  make_dir();
  mode_t old = umask(027);
  tf_output out;
  CU_ASSERT_EQUAL_FATAL(tf_output_open(path, &out, err, sizeof err), 0);
  CU_ASSERT_PTR_NOT_NULL(out.file);
  fputs("hello\n", out.file);
  fflush(out.file);
  /* Before the commit: one new file with a fresh hidden name, nothing at the final one. */
  char name[256];
  CU_ASSERT_EQUAL(entries(name, sizeof name), 1);
  CU_ASSERT_EQUAL(strncmp(name, ".out.txt.", 9), 0);
  CU_ASSERT_EQUAL(access(path, F_OK), -1);
  CU_ASSERT_EQUAL(tf_output_commit(&out, err, sizeof err), 0);
  CU_ASSERT_STRING_EQUAL(err, "");
  CU_ASSERT_PTR_NULL(out.file);
  CU_ASSERT_STRING_EQUAL(read_text(path), "hello\n");
  CU_ASSERT_EQUAL(entries(name, sizeof name), 1);
  CU_ASSERT_STRING_EQUAL(name, "out.txt");
  struct stat st;
  CU_ASSERT_EQUAL(stat(path, &st), 0);
  CU_ASSERT_EQUAL(st.st_mode & 0777, 0640); /* 0666 less the umask, as fopen would make it */
  umask(old);
  remove_all();
}

static void test_output_two_writers_get_different_new_files(void) {
  make_dir();
  tf_output a, b;
  CU_ASSERT_EQUAL_FATAL(tf_output_open(path, &a, err, sizeof err), 0);
  CU_ASSERT_EQUAL_FATAL(tf_output_open(path, &b, err, sizeof err), 0);
  CU_ASSERT_STRING_NOT_EQUAL(a.tmp, b.tmp);
  char predictable[700];
  snprintf(predictable, sizeof predictable, "%s.tmp", path);
  CU_ASSERT_STRING_NOT_EQUAL(a.tmp, predictable);
  fputs("a", a.file);
  fputs("b", b.file);
  CU_ASSERT_EQUAL(tf_output_commit(&a, err, sizeof err), 0);
  CU_ASSERT_EQUAL(tf_output_commit(&b, err, sizeof err), 0);
  CU_ASSERT_STRING_EQUAL(read_text(path), "b"); /* the last commit wins, whole */
  CU_ASSERT_EQUAL(entries(NULL, 0), 1);
  remove_all();
}

static void test_output_discard_leaves_the_old_file(void) {
  make_dir();
  write_text(path, "old\n");
  tf_output out;
  CU_ASSERT_EQUAL_FATAL(tf_output_open(path, &out, err, sizeof err), 0);
  fputs("new, but never finished", out.file);
  fflush(out.file);
  CU_ASSERT_STRING_EQUAL(read_text(path), "old\n");
  tf_output_discard(&out);
  tf_output_discard(&out); /* twice is harmless */
  CU_ASSERT_STRING_EQUAL(read_text(path), "old\n");
  CU_ASSERT_EQUAL(entries(NULL, 0), 1);
  tf_output zero = {0};
  tf_output_discard(&zero);
  CU_ASSERT_EQUAL(tf_output_commit(&zero, err, sizeof err), TF_EINVAL);
  remove_all();
}

static void test_output_replaces_a_link_and_leaves_its_target(void) {
  make_dir();
  char target[700], dangling[700];
  snprintf(target, sizeof target, "%s/precious", dir);
  snprintf(dangling, sizeof dangling, "%s/nowhere", dir);
  write_text(target, "precious\n");
  CU_ASSERT_EQUAL_FATAL(symlink(target, path), 0);
  tf_output out;
  CU_ASSERT_EQUAL_FATAL(tf_output_open(path, &out, err, sizeof err), 0);
  fputs("output\n", out.file);
  CU_ASSERT_EQUAL(tf_output_commit(&out, err, sizeof err), 0);
  struct stat st;
  CU_ASSERT_EQUAL(lstat(path, &st), 0);
  CU_ASSERT(S_ISREG(st.st_mode));
  CU_ASSERT_STRING_EQUAL(read_text(path), "output\n");
  CU_ASSERT_STRING_EQUAL(read_text(target), "precious\n");
  /* A link to nothing is replaced too, and nothing is made where it pointed. */
  unlink(path);
  CU_ASSERT_EQUAL_FATAL(symlink(dangling, path), 0);
  CU_ASSERT_EQUAL(tf_output_check(path, err, sizeof err), 0);
  CU_ASSERT_EQUAL_FATAL(tf_output_open(path, &out, err, sizeof err), 0);
  CU_ASSERT_EQUAL(tf_output_commit(&out, err, sizeof err), 0);
  CU_ASSERT_EQUAL(access(dangling, F_OK), -1);
  CU_ASSERT_EQUAL(lstat(path, &st), 0);
  CU_ASSERT(S_ISREG(st.st_mode));
  remove_all();
}

static void test_output_writes_devices_directly(void) {
  tf_output out;
  CU_ASSERT_EQUAL_FATAL(tf_output_open("/dev/null", &out, err, sizeof err), 0);
  CU_ASSERT_PTR_NULL(out.tmp);
  fputs("gone", out.file);
  CU_ASSERT_EQUAL(tf_output_commit(&out, err, sizeof err), 0);
  CU_ASSERT_EQUAL(tf_output_check("/dev/null", err, sizeof err), 0);
  /* A link to a device stays a link. */
  make_dir();
  CU_ASSERT_EQUAL_FATAL(symlink("/dev/null", path), 0);
  CU_ASSERT_EQUAL_FATAL(tf_output_open(path, &out, err, sizeof err), 0);
  CU_ASSERT_PTR_NULL(out.tmp);
  CU_ASSERT_EQUAL(tf_output_commit(&out, err, sizeof err), 0);
  struct stat st;
  CU_ASSERT_EQUAL(lstat(path, &st), 0);
  CU_ASSERT(S_ISLNK(st.st_mode));
  CU_ASSERT_EQUAL(entries(NULL, 0), 1);
  remove_all();
}

static void test_output_check_refuses_what_cannot_be_written_and_makes_nothing(void) {
  make_dir();
  CU_ASSERT_EQUAL(tf_output_check(path, err, sizeof err), 0);
  CU_ASSERT_EQUAL(entries(NULL, 0), 0);
  CU_ASSERT_EQUAL(tf_output_check(dir, err, sizeof err), TF_EINVAL);
  CU_ASSERT_PTR_NOT_NULL(strstr(err, "is a directory"));
  char p[700];
  snprintf(p, sizeof p, "%s/", dir);
  CU_ASSERT_EQUAL(tf_output_check(p, err, sizeof err), TF_EINVAL);
  snprintf(p, sizeof p, "%s/no/such/file", dir);
  CU_ASSERT_EQUAL(tf_output_check(p, err, sizeof err), TF_EIO);
  CU_ASSERT_PTR_NOT_NULL(strstr(err, p));
  CU_ASSERT_PTR_NOT_NULL(strstr(err, strerror(ENOENT)));
  tf_output out;
  CU_ASSERT_EQUAL(tf_output_open(p, &out, err, sizeof err), TF_EIO);
  CU_ASSERT_PTR_NULL(out.file);
  CU_ASSERT_EQUAL(tf_output_check("", err, sizeof err), TF_EINVAL);
  CU_ASSERT_EQUAL(tf_output_check(NULL, NULL, 0), TF_EINVAL);
  /* A directory nobody may write to: as root, checked by a child that is not root. */
  CU_ASSERT_EQUAL_FATAL(chmod(dir, 0555), 0);
  pid_t pid = fork();
  CU_ASSERT_FATAL(pid >= 0);
  if (pid == 0) {
    if (geteuid() == 0 && setuid(65534) != 0) _exit(3);
    int rc = tf_output_check(path, err, sizeof err);
    _exit(rc == TF_EIO && strstr(err, "cannot create a file in") && strstr(err, strerror(EACCES))
              ? 0
              : 1);
  }
  int st = 0;
  CU_ASSERT_EQUAL(waitpid(pid, &st, 0), pid);
  CU_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  chmod(dir, 0700);
  CU_ASSERT_EQUAL(entries(NULL, 0), 0);
  remove_all();
}

static void test_output_failed_write_keeps_the_old_file(void) {
  make_dir();
  write_text(path, "old\n");
  /* Files may grow to 4 KiB only: the write fails (EFBIG) as on a full disk. */
  struct rlimit saved, small;
  CU_ASSERT_EQUAL_FATAL(getrlimit(RLIMIT_FSIZE, &saved), 0);
  small = saved;
  small.rlim_cur = 4096;
  void (*old_handler)(int) = signal(SIGXFSZ, SIG_IGN);
  CU_ASSERT_EQUAL_FATAL(setrlimit(RLIMIT_FSIZE, &small), 0);
  tf_output out;
  int rc = tf_output_open(path, &out, err, sizeof err);
  CU_ASSERT_EQUAL(rc, 0);
  if (rc == 0) {
    for (int i = 0; i < 1000; i++)
      fputs("0123456789", out.file);
    CU_ASSERT_EQUAL(tf_output_commit(&out, err, sizeof err), TF_EIO);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, path));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, strerror(EFBIG)));
  }
  setrlimit(RLIMIT_FSIZE, &saved);
  signal(SIGXFSZ, old_handler);
  CU_ASSERT_STRING_EQUAL(read_text(path), "old\n");
  CU_ASSERT_EQUAL(entries(NULL, 0), 1);
  remove_all();
}

int main(void) {
  static const tf_unit_test tests[] = {
      TF_UNIT_TEST(test_output_appears_whole_at_commit_with_the_umask_mode),
      TF_UNIT_TEST(test_output_two_writers_get_different_new_files),
      TF_UNIT_TEST(test_output_discard_leaves_the_old_file),
      TF_UNIT_TEST(test_output_replaces_a_link_and_leaves_its_target),
      TF_UNIT_TEST(test_output_writes_devices_directly),
      TF_UNIT_TEST(test_output_check_refuses_what_cannot_be_written_and_makes_nothing),
      TF_UNIT_TEST(test_output_failed_write_keeps_the_old_file),
      TF_UNIT_END,
  };
  return tf_unit_run("outfile", tests);
}
