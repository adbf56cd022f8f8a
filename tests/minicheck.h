/* minicheck.h - the small subset of Check that portalock's tests use,
   for platforms without Check (mingw: Debian has no mingw build of it).
   Copyright (C) 2026 The portalock authors.

   This program is free software: you can redistribute it and/or modify
   it under the terms of the GNU General Public License as published by
   the Free Software Foundation; either version 3 of the License, or (at
   your option) any later version.  See COPYING.

   Exactly this subset, with Check's meaning: START_TEST/END_TEST,
   ck_assert, ck_assert_int_eq/ne/lt/le/gt/ge, ck_assert_str_eq,
   ck_assert_msg, suite_create, tcase_create, tcase_add_test,
   tcase_set_timeout, suite_add_tcase, srunner_create, srunner_run_all,
   srunner_ntests_failed, srunner_free.  A test that uses anything else
   does not compile here, which is the point: the test bodies stay
   shared between Check and minicheck.

   The output is always TAP for Automake's tap-driver.sh: "1..N", then
   "ok N - tcase:test" or "not ok N - tcase:test # file:line message".

   How a test runs:
   - POSIX: in a forked child, as Check's default CK_FORK=yes, so that a
     crash or a failed assertion ends only that test; the parent kills
     the child at the tcase's timeout.
   - Windows (no fork): in the process itself; a failed assertion jumps
     back to the runner with longjmp (as Check's CK_FORK=no), and a
     watchdog thread ends the whole run with "Bail out!" at the timeout,
     since a thread stuck in a wait cannot be stopped safely.  */

#ifndef PL_MINICHECK_H
#define PL_MINICHECK_H 1

#include <stdint.h>
#include <string.h>

#if defined __GNUC__ || defined __clang__
# define MC_UNUSED __attribute__ ((__unused__))
# define MC_NORETURN __attribute__ ((__noreturn__))
# ifdef __MINGW32__   /* config.h asks for mingw's C99 printf */
#  define MC_PRINTF(f, a) __attribute__ ((__format__ (__gnu_printf__, f, a)))
# else
#  define MC_PRINTF(f, a) __attribute__ ((__format__ (__printf__, f, a)))
# endif
#else
# define MC_UNUSED
# define MC_NORETURN
# define MC_PRINTF(f, a)
#endif

typedef struct mc_test
{
  const char *name;
  void (*fn) (int);
  const char *file;
  int line;
} mc_test;

typedef struct Suite Suite;
typedef struct TCase TCase;
typedef struct SRunner SRunner;

/* Check's print modes: accepted and ignored (the output is TAP).  */
enum print_output
{
  CK_SILENT,
  CK_MINIMAL,
  CK_NORMAL,
  CK_VERBOSE,
  CK_ENV
};

#define START_TEST(tname)                                               \
  static void tname##_mcfn (int _i MC_UNUSED);                          \
  static const mc_test tname##_mctest                                   \
    = { #tname, tname##_mcfn, __FILE__, __LINE__ };                     \
  static const mc_test *const tname MC_UNUSED = &tname##_mctest;        \
  static void tname##_mcfn (int _i MC_UNUSED)

#define END_TEST

Suite *suite_create (const char *name);
TCase *tcase_create (const char *name);
void suite_add_tcase (Suite *s, TCase *tc);
void tcase_add_test (TCase *tc, const mc_test *t);
void tcase_set_timeout (TCase *tc, double seconds);
SRunner *srunner_create (Suite *s);
void srunner_run_all (SRunner *sr, enum print_output mode);
int srunner_ntests_failed (SRunner *sr);
void srunner_free (SRunner *sr);

/* Record a failure at FILE:LINE and leave the test.  */
void mc_fail (const char *file, int line, const char *fmt, ...)
  MC_NORETURN MC_PRINTF (3, 4);

#define ck_assert_msg(expr, ...)                                        \
  ((expr) ? (void) 0 : mc_fail (__FILE__, __LINE__, __VA_ARGS__))

#define ck_assert(expr)                                                 \
  ck_assert_msg (expr, "Assertion '%s' failed", #expr)

#define MC_ASSERT_INT(X, OP, Y)                                         \
  do                                                                    \
    {                                                                   \
      intmax_t mc_x = (X), mc_y = (Y);                                  \
      ck_assert_msg (mc_x OP mc_y,                                      \
                     "Assertion '%s' failed: %s == %jd, %s == %jd",     \
                     #X " " #OP " " #Y, #X, mc_x, #Y, mc_y);            \
    }                                                                   \
  while (0)

#define ck_assert_int_eq(X, Y) MC_ASSERT_INT (X, ==, Y)
#define ck_assert_int_ne(X, Y) MC_ASSERT_INT (X, !=, Y)
#define ck_assert_int_lt(X, Y) MC_ASSERT_INT (X, <, Y)
#define ck_assert_int_le(X, Y) MC_ASSERT_INT (X, <=, Y)
#define ck_assert_int_gt(X, Y) MC_ASSERT_INT (X, >, Y)
#define ck_assert_int_ge(X, Y) MC_ASSERT_INT (X, >=, Y)

#define ck_assert_str_eq(X, Y)                                          \
  do                                                                    \
    {                                                                   \
      const char *mc_x = (X), *mc_y = (Y);                              \
      ck_assert_msg (mc_x && mc_y && strcmp (mc_x, mc_y) == 0,          \
                     "Assertion '%s' failed: %s == \"%s\", %s == \"%s\"", \
                     #X " == " #Y, #X, mc_x ? mc_x : "(null)",          \
                     #Y, mc_y ? mc_y : "(null)");                       \
    }                                                                   \
  while (0)

#endif /* PL_MINICHECK_H */
