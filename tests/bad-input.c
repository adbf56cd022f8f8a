/* bad-input.c - rule 11 of the contract: bad input gets a clear error
   code, never a crash, a hang, a leaked descriptor or a lock silently
   left behind (or silently not taken).
   Copyright (C) 2026 The portalock authors.

   This program is free software: you can redistribute it and/or modify
   it under the terms of the GNU General Public License as published by
   the Free Software Foundation; either version 3 of the License, or (at
   your option) any later version.  See COPYING.

   The lock calls are checked on every backend that works here, one after
   the other (pl_set_backend(), and PORTALOCK_BACKEND for the helper that
   checks no lock was left behind); the rest is backend-independent.  */

#include <config.h>

#include <check.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "portalock.h"
#include "proc.h"
#include "testutil.h"

#define TEST_TIMEOUT 120
#define WATCHDOG 100

/* Every backend name the library knows of, built in here or not.  */
static const char *const all_names[] = {
  "flock", "ofd", "posix", "lockf", "win32"
};
#define N_NAMES (sizeof all_names / sizeof all_names[0])

static bool
usable (const char *name)
{
  for (const char *const *b = pl_backends (); *b; b++)
    if (strcmp (*b, name) == 0)
      return true;
  return false;
}

/* Switch this process, and the helpers it starts, to backend NAME.  */
static void
use_backend (const char *name)
{
  ck_assert_int_eq (pl_set_backend (name), 0);
  ck_assert_str_eq (pl_backend (), name);
  ck_assert_str_eq (pl_range_backend (), name);
  test_setenv ("PORTALOCK_BACKEND", name);
}

static bool
has_range (void)
{
  return (pl_backend_features (pl_backend ()) & PL_FEATURE_RANGE) != 0;
}

/* Check's ck_assert_str_ne is outside the subset of Check the tests use
   (see tests/Makefile.am): keep to what a small Windows runner offers.  */
#define assert_str_differ(a, b)                                         \
  ck_assert_msg (strcmp ((a), (b)) != 0, "\"%s\" == \"%s\"", (a), (b))

/* Another process can take the lock: nothing was left behind.  */
static int
other_try (const char *path)
{
  const char *args[] = { "try", path, "ex", NULL };
  struct proc *p = proc_helper (args, -1);
  ck_assert_msg (p != NULL, "cannot start %s", proc_helper_path ());
  return proc_wait (p);
}

/* The library refused the call itself: no OS error behind it.  */
#define ck_assert_refused(expr, code)                                   \
  do                                                                    \
    {                                                                   \
      ck_assert_int_eq ((expr), (code));                                \
      ck_assert_int_eq (pl_os_error (), 0);                             \
    }                                                                   \
  while (0)

/* EBADF from the library or from the OS: pl_os_error() says which.  */
#define ck_assert_badf(expr, fd)                                        \
  do                                                                    \
    {                                                                   \
      int rc_ = (expr);                                                 \
      ck_assert_msg (rc_ == PL_EBADF, "%s: %s with fd %d: %s, not PL_EBADF", \
                     pl_backend (), #expr, (fd), pl_strerror_name (rc_)); \
      ck_assert_msg (pl_os_error () == 0                                \
                     || pl_os_error () == test_os_ebadf (),             \
                     "pl_os_error() = %d after PL_EBADF", pl_os_error ()); \
    }                                                                   \
  while (0)

struct ctx
{
  char path[256];
  int fds;                      /* open descriptors at the start */
};

static void
begin (struct ctx *c, const char *tag)
{
  c->fds = test_count_fds ();
  ck_assert_int_ge (c->fds, 0);
  ck_assert_int_eq (test_file (c->path, sizeof c->path, tag), 0);
  test_watchdog (WATCHDOG, tag);
}

static void
end (struct ctx *c)
{
  test_watchdog (0, NULL);
  ck_assert_int_eq (test_count_fds (), c->fds);
  test_remove (c->path);
}

/* Invalid descriptors ------------------------------------------------- */

/* Without ranges, the refusal may come before the descriptor is looked
   at: PL_ENOTSUP is a clear answer too.  */
static void
check_bad_fd_range (int rc, int fd)
{
  if (has_range () || rc != PL_ENOTSUP)
    ck_assert_badf (rc, fd);
  else
    ck_assert_int_eq (pl_os_error (), 0);
}

static void
check_bad_fd (int fd)
{
  ck_assert_badf (pl_lock (fd, PL_LOCK_EX), fd);
  ck_assert_badf (pl_lock (fd, PL_LOCK_SH), fd);
  ck_assert_badf (pl_lock (fd, PL_LOCK_EX | PL_LOCK_NB), fd);
  ck_assert_badf (pl_unlock (fd), fd);
  check_bad_fd_range (pl_lock_range (fd, PL_LOCK_EX, 0, 10), fd);
  check_bad_fd_range (pl_lock_range (fd, PL_LOCK_SH | PL_LOCK_NB, 0, 0), fd);
  check_bad_fd_range (pl_unlock_range (fd, 0, 10), fd);
  ck_assert_badf (pl_close (fd), fd);
}

START_TEST (bad_descriptors)
{
  struct ctx c;
  begin (&c, "badfd");
  /* A descriptor number is no reason to allocate memory in proportion to
     it: huge ones must not take the machine's memory.  (Check runs each
     test in its own process, so the limit ends with this test.)  */
  test_limit_memory_growth ((size_t) 512 << 20);
  for (const char *const *b = pl_backends (); *b; b++)
    {
      use_backend (*b);
      check_bad_fd (-1);
      check_bad_fd (INT_MIN);
      /* Asked for right before its use: nothing else opens a descriptor
         in between that could take its number.  */
      check_bad_fd (test_closed_fd ());
      check_bad_fd (1 << 20);
      check_bad_fd (INT_MAX);
    }
  end (&c);
}
END_TEST

/* A descriptor not open for the access a lock needs (fcntl wants
   writing for exclusive locks, reading for shared ones; flock does not
   care): either a real lock or PL_EACCES, never a lock silently not
   taken.  */
static void
check_access (const char *path, int fd, int flags)
{
  int rc = pl_lock (fd, flags | PL_LOCK_NB);
  if (rc == 0)
    {
      ck_assert_int_eq (other_try (path), HELPER_BUSY);
      ck_assert_int_eq (pl_unlock (fd), 0);
    }
  else
    {
      ck_assert_int_eq (rc, PL_EACCES);
      ck_assert_int_eq (pl_os_error (), test_os_ebadf ());
    }
  ck_assert_int_eq (other_try (path), HELPER_OK);
}

START_TEST (wrong_access_mode)
{
  struct ctx c;
  begin (&c, "access");
  for (const char *const *b = pl_backends (); *b; b++)
    {
      use_backend (*b);
      int r = test_open_rdonly (c.path), w = test_open_wronly (c.path);
      ck_assert_int_ge (r, 0);
      ck_assert_int_ge (w, 0);
      check_access (c.path, r, PL_LOCK_EX);
      check_access (c.path, r, PL_LOCK_SH);
      check_access (c.path, w, PL_LOCK_EX);
      check_access (c.path, w, PL_LOCK_SH);
      ck_assert_int_eq (pl_close (w), 0);
      ck_assert_int_eq (pl_close (r), 0);
    }
  end (&c);
}
END_TEST

#ifndef _WIN32
/* A directory: a lock, or a clear error.  (Windows cannot open a
   directory as a CRT descriptor at all.)  */
START_TEST (directory)
{
  struct ctx c;
  begin (&c, "dir");
  for (const char *const *b = pl_backends (); *b; b++)
    {
      use_backend (*b);
      int d = test_open_dir (".");
      ck_assert_int_ge (d, 0);
      for (int i = 0; i < 2; i++)
        {
          int rc = pl_lock (d, (i ? PL_LOCK_SH : PL_LOCK_EX) | PL_LOCK_NB);
          ck_assert_msg (rc == 0 || rc == PL_EACCES || rc == PL_EBADF
                         || rc == PL_EINVAL || rc == PL_ENOTSUP,
                         "%s: pl_lock on a directory: %s", *b,
                         pl_strerror_name (rc));
          ck_assert_int_eq (pl_unlock (d), 0);
        }
      ck_assert_int_eq (pl_close (d), 0);
    }
  end (&c);
}
END_TEST
#endif

/* Flags ---------------------------------------------------------------- */

static const int bad_flags[] = {
  0,                                    /* neither SH nor EX */
  PL_LOCK_NB,
  PL_LOCK_SH | PL_LOCK_EX,              /* both */
  PL_LOCK_SH | PL_LOCK_EX | PL_LOCK_NB,
  0x8,                                  /* unknown bits */
  PL_LOCK_EX | 0x8,
  PL_LOCK_SH | 0x100,
  PL_LOCK_EX | PL_LOCK_NB | 0x40000000,
  PL_LOCK_EX | INT_MIN,
  -1,
};

START_TEST (bad_flags_refused)
{
  struct ctx c;
  begin (&c, "flags");
  for (const char *const *b = pl_backends (); *b; b++)
    {
      use_backend (*b);
      int fd = test_open (c.path);
      ck_assert_int_ge (fd, 0);
      for (size_t i = 0; i < sizeof bad_flags / sizeof bad_flags[0]; i++)
        {
          ck_assert_refused (pl_lock (fd, bad_flags[i]), PL_EINVAL);
          ck_assert_refused (pl_lock_range (fd, bad_flags[i], 0, 10),
                             PL_EINVAL);
          /* Bad flags are found before a bad descriptor is.  */
          ck_assert_refused (pl_lock (-1, bad_flags[i]), PL_EINVAL);
        }
      ck_assert_int_eq (other_try (c.path), HELPER_OK);
      /* A refused request also leaves a lock already held as it was.  */
      ck_assert_int_eq (pl_lock (fd, PL_LOCK_EX), 0);
      ck_assert_refused (pl_lock (fd, PL_LOCK_SH | PL_LOCK_EX), PL_EINVAL);
      ck_assert_int_eq (other_try (c.path), HELPER_BUSY);
      ck_assert_int_eq (pl_close (fd), 0);
      ck_assert_int_eq (other_try (c.path), HELPER_OK);
    }
  end (&c);
}
END_TEST

/* Timeouts: negative or NaN is PL_EINVAL; no lock taken.  */
START_TEST (bad_timeouts_refused)
{
  struct ctx c;
  begin (&c, "timeouts");
  static const double bad[] = { -1.0, -0.001, -INFINITY, NAN, -NAN };
  for (const char *const *b = pl_backends (); *b; b++)
    {
      use_backend (*b);
      int fd = test_open (c.path);
      ck_assert_int_ge (fd, 0);
      for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        {
          ck_assert_refused (pl_lock_timed (fd, PL_LOCK_EX, bad[i]),
                             PL_EINVAL);
          ck_assert_refused (pl_lock_range_timed (fd, PL_LOCK_SH, 0, 1,
                                                  bad[i]), PL_EINVAL);
        }
      ck_assert_refused (pl_lock_timed (fd, PL_LOCK_SH | PL_LOCK_EX, 1.0),
                         PL_EINVAL);
      ck_assert_int_eq (other_try (c.path), HELPER_OK);
      ck_assert_badf (pl_lock_timed (-1, PL_LOCK_EX, 1.0), -1);
      int closed = test_closed_fd ();
      ck_assert_badf (pl_lock_timed (closed, PL_LOCK_EX, 1.0), closed);
      ck_assert_int_eq (pl_close (fd), 0);
    }
  end (&c);
}
END_TEST

/* Ranges --------------------------------------------------------------- */

static const struct
{
  int64_t start, len;
} bad_ranges[] = {
  { -1, 10 },
  { 0, -1 },
  { -1, 0 },
  { INT64_MIN, 1 },
  { 0, INT64_MIN },
  { INT64_MAX, 1 },                     /* start + len overflows */
  { 1, INT64_MAX },
  { INT64_MAX / 2 + 1, INT64_MAX / 2 + 1 },
};

START_TEST (bad_ranges_refused)
{
  struct ctx c;
  begin (&c, "ranges");
  for (const char *const *b = pl_backends (); *b; b++)
    {
      use_backend (*b);
      int fd = test_open (c.path);
      ck_assert_int_ge (fd, 0);
      for (size_t i = 0; i < sizeof bad_ranges / sizeof bad_ranges[0]; i++)
        {
          int64_t s = bad_ranges[i].start, l = bad_ranges[i].len;
          ck_assert_refused (pl_lock_range (fd, PL_LOCK_EX, s, l), PL_EINVAL);
          ck_assert_refused (pl_lock_range (fd, PL_LOCK_SH | PL_LOCK_NB, s, l),
                             PL_EINVAL);
          ck_assert_refused (pl_unlock_range (fd, s, l), PL_EINVAL);
        }
      ck_assert_int_eq (other_try (c.path), HELPER_OK);
      /* The largest valid range is valid.  */
      if (has_range ())
        {
          ck_assert_int_eq (pl_lock_range (fd, PL_LOCK_EX | PL_LOCK_NB,
                                           0, INT64_MAX), 0);
          ck_assert_int_eq (other_try (c.path), HELPER_BUSY);
          ck_assert_int_eq (pl_unlock_range (fd, 0, INT64_MAX), 0);
          ck_assert_int_eq (other_try (c.path), HELPER_OK);
        }
      ck_assert_int_eq (pl_close (fd), 0);
    }
  end (&c);
}
END_TEST

/* Backends ------------------------------------------------------------- */

START_TEST (backend_names)
{
  const char *const *list = pl_backends ();
  ck_assert_msg (list != NULL && list[0] != NULL, "no backend works here");
  const char *first = list[0];

  ck_assert_int_eq (pl_set_backend (NULL), 0);          /* = automatic */
  ck_assert_str_eq (pl_backend (), first);
  ck_assert_int_eq (pl_set_backend ("auto"), 0);
  ck_assert_str_eq (pl_backend (), first);

  static const char *const unknown[] = {
    "", "nosuch", "FLOCK", "flock ", " flock", "auto2", "posix\n",
  };
  for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++)
    {
      ck_assert_refused (pl_set_backend (unknown[i]), PL_ENOBACKEND);
      ck_assert_str_eq (pl_backend (), first);          /* unchanged */
      ck_assert_int_eq (pl_backend_features (unknown[i]), 0);
    }
  ck_assert_int_eq (pl_backend_features (NULL), 0);

  /* Known names that are not usable here are refused; usable ones are
     accepted and have features.  */
  for (size_t i = 0; i < N_NAMES; i++)
    if (usable (all_names[i]))
      {
        ck_assert_int_eq (pl_set_backend (all_names[i]), 0);
        ck_assert_str_eq (pl_backend (), all_names[i]);
        ck_assert_int_ne (pl_backend_features (all_names[i]), 0);
      }
    else
      {
        ck_assert_refused (pl_set_backend (all_names[i]), PL_ENOBACKEND);
        assert_str_differ (pl_backend (), all_names[i]);
      }

  /* Every usable backend is listed once.  */
  for (size_t i = 0; list[i]; i++)
    for (size_t j = i + 1; list[j]; j++)
      assert_str_differ (list[i], list[j]);
  ck_assert_int_eq (pl_set_backend (NULL), 0);
}
END_TEST

/* An unknown PORTALOCK_BACKEND is ignored: the library still locks, with
   the automatic choice.  Seen through a fresh process (pl-info), since
   the environment is read once.  */
START_TEST (backend_env_unknown)
{
  /* A copy: on Windows, changing the environment (test_setenv below)
     may free the strings getenv returned.  */
  static char info[1024];
  const char *env = getenv ("PL_INFO");
  snprintf (info, sizeof info, "%s", env && *env ? env : "./pl-info");
  const char *args[] = { "--backend", NULL };
  char line[64];

  test_setenv ("PORTALOCK_BACKEND", "nosuch");
  struct proc *p = proc_start (info, args, -1);
  ck_assert_msg (p != NULL, "cannot start %s", info);
  ck_assert_int_eq (proc_read_line (p, line, sizeof line), 0);
  ck_assert_int_eq (proc_wait (p), 0);
  ck_assert_str_eq (line, pl_backends ()[0]);

  test_setenv ("PORTALOCK_BACKEND", "");
  p = proc_start (info, args, -1);
  ck_assert_msg (p != NULL, "cannot start %s", info);
  ck_assert_int_eq (proc_read_line (p, line, sizeof line), 0);
  ck_assert_int_eq (proc_wait (p), 0);
  ck_assert_str_eq (line, pl_backends ()[0]);
  test_setenv ("PORTALOCK_BACKEND", NULL);
}
END_TEST

/* Errors --------------------------------------------------------------- */

#define CODE(c) { c, #c }
static const struct
{
  int code;
  const char *name;
} codes[] = {
  CODE (PL_OK), CODE (PL_EBUSY), CODE (PL_ETIMEDOUT), CODE (PL_EINVAL),
  CODE (PL_EBADF), CODE (PL_EACCES), CODE (PL_ENOLCK), CODE (PL_EDEADLK),
  CODE (PL_ENOMEM), CODE (PL_ENOTSUP), CODE (PL_ENOBACKEND), CODE (PL_ESYSTEM),
  CODE (PL_ENOENT), CODE (PL_EISDIR), CODE (PL_ELOOP), CODE (PL_EEXIST),
  CODE (PL_ENAMETOOLONG), CODE (PL_ENOTDIR),
};
/* The last code of the (dense) enum.  */
#define PL_LAST_CODE PL_ENOTDIR
#define N_CODES (sizeof codes / sizeof codes[0])

START_TEST (every_code_has_a_name_and_message)
{
  /* The enum is dense from PL_OK down to PL_LAST_CODE: walk all of it,
     so a code without a message is caught.  */
  ck_assert_int_eq (PL_OK - PL_LAST_CODE + 1, N_CODES);
  const char *unknown_name = pl_strerror_name (INT_MIN);
  const char *unknown_msg = pl_strerror (INT_MIN);
  for (int code = PL_OK; code >= PL_LAST_CODE; code--)
    {
      const char *name = pl_strerror_name (code);
      const char *msg = pl_strerror (code);
      ck_assert_msg (name != NULL && msg != NULL, "code %d", code);
      ck_assert_msg (strncmp (name, "PL_", 3) == 0, "code %d: %s", code, name);
      assert_str_differ (name, unknown_name);
      assert_str_differ (msg, unknown_msg);
      ck_assert_int_gt (strlen (msg), 0);
      for (int other = code - 1; other >= PL_LAST_CODE; other--)
        {
          assert_str_differ (name, pl_strerror_name (other));
          assert_str_differ (msg, pl_strerror (other));
        }
    }
  /* Each name is the code's own.  */
  for (size_t i = 0; i < N_CODES; i++)
    ck_assert_str_eq (pl_strerror_name (codes[i].code), codes[i].name);
}
END_TEST

START_TEST (unknown_codes)
{
  static const int unknown[] = {
    1, 42, PL_LAST_CODE - 1, -1000, INT_MIN, INT_MAX,
  };
  for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++)
    {
      const char *name = pl_strerror_name (unknown[i]);
      const char *msg = pl_strerror (unknown[i]);
      ck_assert_msg (name != NULL && msg != NULL, "code %d", unknown[i]);
      ck_assert_int_gt (strlen (name), 0);
      ck_assert_int_gt (strlen (msg), 0);
      for (size_t j = 0; j < N_CODES; j++)
        {
          assert_str_differ (name, codes[j].name);
          assert_str_differ (msg, pl_strerror (codes[j].code));
        }
    }
}
END_TEST

/* Version -------------------------------------------------------------- */

START_TEST (check_version)
{
  char v[32];
  snprintf (v, sizeof v, "%d.%d.%d", PORTALOCK_VERSION_MAJOR,
            PORTALOCK_VERSION_MINOR, PORTALOCK_VERSION_PATCH);
  ck_assert_str_eq (v, PORTALOCK_VERSION);
  ck_assert_int_eq (PORTALOCK_VERSION_NUMBER,
                    PORTALOCK_VERSION_MAJOR << 16
                    | PORTALOCK_VERSION_MINOR << 8 | PORTALOCK_VERSION_PATCH);

  ck_assert_msg (pl_check_version (NULL) != NULL, "no version");
  ck_assert_str_eq (pl_check_version (NULL), PORTALOCK_VERSION);
  ck_assert_msg (pl_check_version (PORTALOCK_VERSION) != NULL, "own version");
  ck_assert_str_eq (pl_check_version (PORTALOCK_VERSION), PORTALOCK_VERSION);

  static const char *const older[] = { "0", "0.0", "0.0.0", "0.0.1", "0.1" };
  for (size_t i = 0; i < sizeof older / sizeof older[0]; i++)
    ck_assert_msg (pl_check_version (older[i]) != NULL, "%s", older[i]);

  /* Newer than this library, or not a version: NULL.  */
  snprintf (v, sizeof v, "%d.%d.%d", PORTALOCK_VERSION_MAJOR,
            PORTALOCK_VERSION_MINOR, PORTALOCK_VERSION_PATCH + 1);
  ck_assert_msg (pl_check_version (v) == NULL, "%s", v);
  snprintf (v, sizeof v, "%d", PORTALOCK_VERSION_MAJOR + 1);
  ck_assert_msg (pl_check_version (v) == NULL, "%s", v);
  static const char *const bad[] = {
    "99.0.0", "0.99", "x", "1.x", "-1", "0.-1", "256", "0.1.256", "0.1.0x",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    ck_assert_msg (pl_check_version (bad[i]) == NULL, "%s", bad[i]);
}
END_TEST

static Suite *
bad_input_suite (void)
{
  Suite *s = suite_create ("bad-input");
  TCase *tc = tcase_create ("rule11-locks");
  tcase_set_timeout (tc, TEST_TIMEOUT);
  tcase_add_test (tc, bad_descriptors);
  tcase_add_test (tc, wrong_access_mode);
#ifndef _WIN32
  tcase_add_test (tc, directory);
#endif
  tcase_add_test (tc, bad_flags_refused);
  tcase_add_test (tc, bad_ranges_refused);
  tcase_add_test (tc, bad_timeouts_refused);
  suite_add_tcase (s, tc);

  tc = tcase_create ("rule11-backends");
  tcase_set_timeout (tc, TEST_TIMEOUT);
  tcase_add_test (tc, backend_names);
  tcase_add_test (tc, backend_env_unknown);
  suite_add_tcase (s, tc);

  tc = tcase_create ("errors-version");
  tcase_set_timeout (tc, TEST_TIMEOUT);
  tcase_add_test (tc, every_code_has_a_name_and_message);
  tcase_add_test (tc, unknown_codes);
  tcase_add_test (tc, check_version);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  SRunner *sr = srunner_create (bad_input_suite ());
  srunner_run_all (sr, CK_ENV);
  int failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
