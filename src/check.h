/* check.h - TF_ASSERT: an invariant of the library's own bookkeeping (never
 * a user's mistake, which gets an error code). A broken one is a bug: it is
 * named with its place and the process aborts, rather than a run ending
 * with a wrong count or never ending. Active unless NDEBUG is defined; the
 * checks sit off the per-task path. */
#ifndef TF_CHECK_H
#define TF_CHECK_H

#ifdef NDEBUG
#define TF_ASSERT(cond) ((void)0)
#else
#define TF_ASSERT(cond) ((cond) ? (void)0 : tf__assert_failed(#cond, __FILE__, __LINE__))
#endif

void tf__assert_failed(const char *what, const char *file, int line) __attribute__((noreturn));

#endif
