/* conformance.c - the contract of portalock(3), one test per rule, run
   once per backend.
   Copyright (C) 2026 The portalock authors.

   This program is free software: you can redistribute it and/or modify
   it under the terms of the GNU General Public License as published by
   the Free Software Foundation; either version 3 of the License, or (at
   your option) any later version.  See COPYING.

   The same test bodies run for every backend: tests/backend-wrapper.sh
   runs this program once per conformance-BACKEND.test with
   PORTALOCK_BACKEND=BACKEND, and each test first checks that the library
   really uses that backend.  Where the contract lets backends differ, the
   test reads the backend's PL_FEATURE_* bits and expects what the
   documentation says for them (lockf: no real shared locks; posix and
   lockf: a forked child does not share the lock).

   A second owner is a real second process, tests/pl-helper.  Test bodies
   use only tests/proc.h, tests/testutil.h and a small part of Check's
   API, so that they can run on Windows later; the tests that need fork()
   or POSIX signals are in their own test case at the end.

   No test measures time.  A non-blocking request is proven not to sleep
   by returning at all while another process holds the lock (a watchdog
   fails the test instead of letting it hang).  */

#include <config.h>

#include <check.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "portalock.h"
#include "proc.h"
#include "testutil.h"

/* Check's own timeout (the Makefile also sets CK_DEFAULT_TIMEOUT), and
   the watchdog each test arms, a little shorter so that its message is
   what the log shows.  */
#define TEST_TIMEOUT 120
#define WATCHDOG 100
#define NB_WATCHDOG 30

/* What every test starts from: the backend under test, its features and
   a fresh file.  */
struct ctx
{
  const char *backend;
  unsigned features;
  char path[256];
};

static bool
has (const struct ctx *c, unsigned feature)
{
  return (c->features & feature) != 0;
}

static void
begin (struct ctx *c, const char *tag)
{
  const char *want = getenv ("PORTALOCK_BACKEND");
  c->backend = pl_backend ();
  /* A misconfigured run must fail here, not silently test the default
     backend.  The wrapper forces one backend for whole files and ranges
     alike.  */
  if (want && *want && strcmp (want, "auto") != 0)
    {
      ck_assert_str_eq (c->backend, want);
      ck_assert_str_eq (pl_range_backend (), want);
    }
  c->features = pl_backend_features (c->backend);
  ck_assert_msg (c->features != 0, "no features for backend %s", c->backend);
  ck_assert_int_eq (test_file (c->path, sizeof c->path, tag), 0);
  test_watchdog (WATCHDOG, tag);
}

static void
end (struct ctx *c)
{
  test_remove (c->path);
  test_watchdog (0, NULL);
}

static int
open_file (const struct ctx *c)
{
  int fd = test_open (c->path);
  ck_assert_msg (fd >= 0, "cannot open %s", c->path);
  return fd;
}

static void
close_file (int fd)
{
  ck_assert_int_eq (pl_close (fd), 0);
}

/* The helper process ------------------------------------------------- */

static struct proc *
start_helper (const char *const *args, int inherit_fd)
{
  struct proc *p = proc_helper (args, inherit_fd);
  ck_assert_msg (p != NULL, "cannot start %s", proc_helper_path ());
  return p;
}

static void
expect_line (struct proc *p, const char *want)
{
  char line[256];
  ck_assert_msg (proc_read_line (p, line, sizeof line) == 0,
                 "helper ended before saying \"%s\"", want);
  ck_assert_str_eq (line, want);
}

static void
expect_answer (struct proc *p, const char *command, const char *want)
{
  char line[256];
  ck_assert_msg (proc_command (p, command, line, sizeof line) == 0,
                 "helper ended before answering \"%s\"", command);
  ck_assert_msg (strcmp (line, want) == 0, "helper: \"%s\" -> \"%s\", "
                 "expected \"%s\"", command, line, want);
}

/* Another process tries MODE on the whole file without sleeping:
   HELPER_OK (it could take it) or HELPER_BUSY.  */
static int
other_try (const struct ctx *c, const char *mode)
{
  const char *args[] = { "try", c->path, mode, NULL };
  return proc_wait (start_helper (args, -1));
}

static int
other_try_range (const struct ctx *c, const char *mode, int64_t start,
                 int64_t len)
{
  char s[32], l[32];
  snprintf (s, sizeof s, "%" PRId64, start);
  snprintf (l, sizeof l, "%" PRId64, len);
  const char *args[] = { "try", c->path, mode, s, l, NULL };
  return proc_wait (start_helper (args, -1));
}

/* Another process that asked for MODE: it has said "waiting" and is in
   the (possibly blocking) lock call.  */
static struct proc *
other_wait (const struct ctx *c, const char *mode)
{
  const char *args[] = { "hold", c->path, mode, NULL };
  struct proc *p = start_helper (args, -1);
  expect_line (p, "waiting");
  return p;
}

static struct proc *
other_wait_range (const struct ctx *c, const char *mode, int64_t start,
                  int64_t len)
{
  char s[32], l[32];
  snprintf (s, sizeof s, "%" PRId64, start);
  snprintf (l, sizeof l, "%" PRId64, len);
  const char *args[] = { "hold", c->path, mode, s, l, NULL };
  struct proc *p = start_helper (args, -1);
  expect_line (p, "waiting");
  return p;
}

/* Another process that holds MODE on the whole file.  */
static struct proc *
other_hold (const struct ctx *c, const char *mode)
{
  struct proc *p = other_wait (c, mode);
  expect_line (p, "held");
  return p;
}

/* Let the holder go; it must have ended well.  */
static void
other_release (struct proc *p)
{
  ck_assert_int_eq (proc_wait (p), HELPER_OK);
}

/* Rule 1: owner -------------------------------------------------------- */

START_TEST (owner_two_opens_conflict)
{
  struct ctx c;
  begin (&c, "owner-opens");
  int fd1 = open_file (&c), fd2 = open_file (&c);
  ck_assert_int_eq (pl_lock (fd1, PL_LOCK_EX), 0);
  ck_assert_int_eq (pl_lock (fd2, PL_LOCK_EX | PL_LOCK_NB), PL_EBUSY);
  ck_assert_int_eq (pl_lock (fd2, PL_LOCK_SH | PL_LOCK_NB), PL_EBUSY);
  /* The same open file is one owner: locking it again is no conflict.  */
  ck_assert_int_eq (pl_lock (fd1, PL_LOCK_EX | PL_LOCK_NB), 0);
  /* And the conflict came from fd1's lock, not from fd2 itself.  */
  ck_assert_int_eq (pl_unlock (fd1), 0);
  ck_assert_int_eq (pl_lock (fd2, PL_LOCK_EX | PL_LOCK_NB), 0);
  ck_assert_int_eq (pl_lock (fd1, PL_LOCK_SH | PL_LOCK_NB), PL_EBUSY);
  close_file (fd2);
  close_file (fd1);
  end (&c);
}
END_TEST

struct thread_try
{
  const char *path;
  bool blocking;
  int fd;                       /* left open (and locked) for the test */
  int rc;
  atomic_int acquired;
};

static void *
thread_try (void *arg)
{
  struct thread_try *t = arg;
  t->fd = test_open (t->path);
  if (t->fd < 0)
    {
      t->rc = PL_ESYSTEM;
      return NULL;
    }
  t->rc = pl_lock (t->fd, PL_LOCK_EX | (t->blocking ? 0 : PL_LOCK_NB));
  if (t->rc == 0)
    atomic_store (&t->acquired, 1);
  return NULL;
}

START_TEST (owner_two_threads_conflict)
{
  struct ctx c;
  begin (&c, "owner-threads");
  int fd = open_file (&c);
  ck_assert_int_eq (pl_lock (fd, PL_LOCK_EX), 0);

  struct thread_try nb = { .path = c.path, .blocking = false };
  test_thread_join (test_thread_start (thread_try, &nb));
  ck_assert_int_eq (nb.rc, PL_EBUSY);
  close_file (nb.fd);

  /* A blocking request from another thread waits for us.  Whenever it
     runs, it cannot have the lock before we release it.  */
  struct thread_try w = { .path = c.path, .blocking = true };
  struct test_thread *t = test_thread_start (thread_try, &w);
  ck_assert_msg (t != NULL, "cannot start a thread");
  for (int i = 0; i < 100; i++)
    test_yield ();
  ck_assert_int_eq (atomic_load (&w.acquired), 0);
  ck_assert_int_eq (pl_unlock (fd), 0);
  test_thread_join (t);
  ck_assert_int_eq (w.rc, 0);
  /* Now the thread's open file holds it, and excludes ours.  */
  ck_assert_int_eq (pl_lock (fd, PL_LOCK_SH | PL_LOCK_NB), PL_EBUSY);
  close_file (w.fd);
  ck_assert_int_eq (pl_lock (fd, PL_LOCK_EX | PL_LOCK_NB), 0);
  close_file (fd);
  end (&c);
}
END_TEST

START_TEST (owner_second_process_conflict)
{
  struct ctx c;
  begin (&c, "owner-process");
  int fd = open_file (&c);

  ck_assert_int_eq (pl_lock (fd, PL_LOCK_EX), 0);
  ck_assert_int_eq (other_try (&c, "ex"), HELPER_BUSY);
  ck_assert_int_eq (other_try (&c, "sh"), HELPER_BUSY);
  ck_assert_int_eq (pl_unlock (fd), 0);
  ck_assert_int_eq (other_try (&c, "ex"), HELPER_OK);

  struct proc *p = other_hold (&c, "ex");
  ck_assert_int_eq (pl_lock (fd, PL_LOCK_EX | PL_LOCK_NB), PL_EBUSY);
  ck_assert_int_eq (pl_lock (fd, PL_LOCK_SH | PL_LOCK_NB), PL_EBUSY);
  other_release (p);
  ck_assert_int_eq (pl_lock (fd, PL_LOCK_EX | PL_LOCK_NB), 0);
  close_file (fd);
  end (&c);
}
END_TEST

/* A descriptor and its duplicates are one owner.  On the emulated
   backends that holds where the kernel can tell duplicates apart
   (kcmp(2)); elsewhere a duplicate is documented as a separate owner.  */
START_TEST (owner_duplicate_is_same_owner)
{
  struct ctx c;
  begin (&c, "owner-dup");
  int fd = open_file (&c);
  ck_assert_int_eq (pl_lock (fd, PL_LOCK_SH), 0);
  int d = test_dup (fd);
  ck_assert_int_ge (d, 0);
  bool same = !has (&c, PL_FEATURE_EMULATED)
              || test_kernel_knows_duplicates (fd, d);
  if (same)
    {
      /* Converting through the duplicate converts the one lock ...  */
      ck_assert_int_eq (pl_lock (d, PL_LOCK_EX | PL_LOCK_NB), 0);
      ck_assert_int_eq (other_try (&c, "sh"), HELPER_BUSY);
      /* ... and unlocking through it releases it.  */
      ck_assert_int_eq (pl_unlock (d), 0);
      ck_assert_int_eq (other_try (&c, "ex"), HELPER_OK);
    }
  else
    {
      ck_assert_int_eq (pl_lock (d, PL_LOCK_EX | PL_LOCK_NB), PL_EBUSY);
      ck_assert_int_eq (pl_unlock (fd), 0);
    }
  close_file (d);
  close_file (fd);
  end (&c);
}
END_TEST

/* Rule 2: independence ------------------------------------------------- */

START_TEST (indep_close_dup)
{
  struct ctx c;
  begin (&c, "indep-dup");
  int fd = open_file (&c);
  ck_assert_int_eq (pl_lock (fd, PL_LOCK_EX), 0);
  int d = test_dup (fd);
  ck_assert_int_ge (d, 0);
  ck_assert_int_eq (pl_close (d), 0);
  ck_assert_int_eq (other_try (&c, "ex"), HELPER_BUSY);
  /* Still ours: we can convert it, and releasing it frees the file.  */
  ck_assert_int_eq (pl_lock (fd, PL_LOCK_EX | PL_LOCK_NB), 0);
  ck_assert_int_eq (pl_unlock (fd), 0);
  ck_assert_int_eq (other_try (&c, "ex"), HELPER_OK);
  close_file (fd);
  end (&c);
}
END_TEST

/* The other way round: pl_close() of the descriptor the lock was taken
   through, while a duplicate stays open.  flock and OFD keep the lock
   until the last duplicate is closed (the open file lives on); the
   emulated backends release it at once (portalock(3), "Owner").  */
START_TEST (indep_close_original_keeps_dup)
{
  struct ctx c;
  begin (&c, "indep-orig");
  int fd = open_file (&c);
  ck_assert_int_eq (pl_lock (fd, PL_LOCK_EX), 0);
  int d = test_dup (fd);
  ck_assert_int_ge (d, 0);
  close_file (fd);
  ck_assert_int_eq (other_try (&c, "ex"), has (&c, PL_FEATURE_EMULATED)
                                          ? HELPER_OK : HELPER_BUSY);
  close_file (d);
  ck_assert_int_eq (other_try (&c, "ex"), HELPER_OK);
  end (&c);
}
END_TEST

START_TEST (indep_close_other_open)
{
  struct ctx c;
  begin (&c, "indep-open");
  int fd1 = open_file (&c);
  ck_assert_int_eq (pl_lock (fd1, PL_LOCK_EX), 0);

  int fd2 = open_file (&c);
  close_file (fd2);
  ck_assert_int_eq (other_try (&c, "ex"), HELPER_BUSY);

  int fd3 = open_file (&c);
  ck_assert_int_eq (pl_unlock (fd3), 0);
  ck_assert_int_eq (other_try (&c, "ex"), HELPER_BUSY);
  close_file (fd3);
  ck_assert_int_eq (other_try (&c, "sh"), HELPER_BUSY);

  close_file (fd1);
  ck_assert_int_eq (other_try (&c, "ex"), HELPER_OK);
  end (&c);
}
END_TEST

/* The one case the contract does not cover, tested as portalock(3)
   documents it, so that a change is noticed: a raw close() of ANY
   descriptor of the file drops every lock the process holds on it on
   the emulated backends (classic fcntl semantics); on flock and OFD it
   releases nothing held through another open file.  */
START_TEST (indep_raw_close_as_documented)
{
  struct ctx c;
  begin (&c, "indep-raw");
  int fd1 = open_file (&c), fd2 = open_file (&c);
  ck_assert_int_eq (pl_lock (fd1, PL_LOCK_EX), 0);
  test_close_raw (fd2);
  ck_assert_int_eq (other_try (&c, "ex"), has (&c, PL_FEATURE_EMULATED)
                                          ? HELPER_OK : HELPER_BUSY);
  close_file (fd1);
  ck_assert_int_eq (other_try (&c, "ex"), HELPER_OK);
  end (&c);
}
END_TEST

/* Two open files that both hold locks; closing one keeps the other's.
   With shared locks where the backend has them, with disjoint ranges
   where it has those (lockf has ranges but no shared locks).  */
START_TEST (indep_close_other_holder)
{
  struct ctx c;
  begin (&c, "indep-holder");
  ck_assert (has (&c, PL_FEATURE_SHARED) || has (&c, PL_FEATURE_RANGE));
  if (has (&c, PL_FEATURE_SHARED))
    {
      int fd1 = open_file (&c), fd2 = open_file (&c);
      ck_assert_int_eq (pl_lock (fd1, PL_LOCK_SH), 0);
      ck_assert_int_eq (pl_lock (fd2, PL_LOCK_SH | PL_LOCK_NB), 0);
      close_file (fd2);
      ck_assert_int_eq (other_try (&c, "ex"), HELPER_BUSY);
      ck_assert_int_eq (other_try (&c, "sh"), HELPER_OK);
      close_file (fd1);
      ck_assert_int_eq (other_try (&c, "ex"), HELPER_OK);
    }
  if (has (&c, PL_FEATURE_RANGE))
    {
      int fd1 = open_file (&c), fd2 = open_file (&c);
      ck_assert_int_eq (pl_lock_range (fd1, PL_LOCK_EX, 0, 10), 0);
      ck_assert_int_eq (pl_lock_range (fd2, PL_LOCK_EX | PL_LOCK_NB, 20, 10),
                        0);
      close_file (fd2);
      ck_assert_int_eq (other_try_range (&c, "ex", 0, 10), HELPER_BUSY);
      ck_assert_int_eq (other_try_range (&c, "ex", 20, 10), HELPER_OK);
      ck_assert_int_eq (pl_unlock_range (fd1, 0, 10), 0);
      ck_assert_int_eq (other_try_range (&c, "ex", 0, 10), HELPER_OK);
      close_file (fd1);
    }
  end (&c);
}
END_TEST

/* Rule 3: modes -------------------------------------------------------- */

START_TEST (modes_shared_shared)
{
  struct ctx c;
  begin (&c, "modes-sh-sh");
  int fd1 = open_file (&c), fd2 = open_file (&c);
  ck_assert_int_eq (pl_lock (fd1, PL_LOCK_SH), 0);
  if (has (&c, PL_FEATURE_SHARED))
    {
      ck_assert_int_eq (pl_lock (fd2, PL_LOCK_SH | PL_LOCK_NB), 0);
      ck_assert_int_eq (other_try (&c, "sh"), HELPER_OK);
      ck_assert_int_eq (other_try (&c, "ex"), HELPER_BUSY);
    }
  else
    {
      /* Documented: without PL_FEATURE_SHARED (lockf) a shared request
         takes an exclusive lock.  */
      ck_assert_int_eq (pl_lock (fd2, PL_LOCK_SH | PL_LOCK_NB), PL_EBUSY);
      ck_assert_int_eq (other_try (&c, "sh"), HELPER_BUSY);
    }
  close_file (fd2);
  close_file (fd1);
  end (&c);
}
END_TEST

START_TEST (modes_shared_exclusive)
{
  struct ctx c;
  begin (&c, "modes-sh-ex");
  int fd1 = open_file (&c), fd2 = open_file (&c);
  ck_assert_int_eq (pl_lock (fd1, PL_LOCK_SH), 0);
  ck_assert_int_eq (pl_lock (fd2, PL_LOCK_EX | PL_LOCK_NB), PL_EBUSY);
  ck_assert_int_eq (other_try (&c, "ex"), HELPER_BUSY);
  ck_assert_int_eq (pl_unlock (fd1), 0);

  struct proc *p = other_hold (&c, "sh");
  ck_assert_int_eq (pl_lock (fd1, PL_LOCK_EX | PL_LOCK_NB), PL_EBUSY);
  other_release (p);
  ck_assert_int_eq (pl_lock (fd1, PL_LOCK_EX | PL_LOCK_NB), 0);
  close_file (fd2);
  close_file (fd1);
  end (&c);
}
END_TEST

START_TEST (modes_exclusive_shared)
{
  struct ctx c;
  begin (&c, "modes-ex-sh");
  int fd1 = open_file (&c), fd2 = open_file (&c);
  ck_assert_int_eq (pl_lock (fd1, PL_LOCK_EX), 0);
  ck_assert_int_eq (pl_lock (fd2, PL_LOCK_SH | PL_LOCK_NB), PL_EBUSY);
  ck_assert_int_eq (other_try (&c, "sh"), HELPER_BUSY);
  close_file (fd2);
  close_file (fd1);
  end (&c);
}
END_TEST

START_TEST (modes_exclusive_exclusive)
{
  struct ctx c;
  begin (&c, "modes-ex-ex");
  int fd1 = open_file (&c), fd2 = open_file (&c);
  ck_assert_int_eq (pl_lock (fd1, PL_LOCK_EX), 0);
  ck_assert_int_eq (pl_lock (fd2, PL_LOCK_EX | PL_LOCK_NB), PL_EBUSY);
  ck_assert_int_eq (other_try (&c, "ex"), HELPER_BUSY);
  close_file (fd2);
  close_file (fd1);
  end (&c);
}
END_TEST

START_TEST (modes_convert_up)
{
  struct ctx c;
  begin (&c, "convert-up");
  int fd1 = open_file (&c), fd2 = open_file (&c);
  ck_assert_int_eq (pl_lock (fd1, PL_LOCK_SH), 0);
  ck_assert_int_eq (pl_lock (fd1, PL_LOCK_EX | PL_LOCK_NB), 0);
  ck_assert_int_eq (pl_lock (fd2, PL_LOCK_SH | PL_LOCK_NB), PL_EBUSY);
  ck_assert_int_eq (other_try (&c, "sh"), HELPER_BUSY);
  close_file (fd2);
  close_file (fd1);
  ck_assert_int_eq (other_try (&c, "ex"), HELPER_OK);
  end (&c);
}
END_TEST

START_TEST (modes_convert_down)
{
  struct ctx c;
  begin (&c, "convert-down");
  int fd = open_file (&c);
  ck_assert_int_eq (pl_lock (fd, PL_LOCK_EX), 0);
  ck_assert_int_eq (pl_lock (fd, PL_LOCK_SH | PL_LOCK_NB), 0);
  ck_assert_int_eq (other_try (&c, "sh"),
                    has (&c, PL_FEATURE_SHARED) ? HELPER_OK : HELPER_BUSY);
  ck_assert_int_eq (other_try (&c, "ex"), HELPER_BUSY);
  close_file (fd);
  end (&c);
}
END_TEST

/* The documented choice: conversion is release-then-acquire on every
   backend, so a conversion that fails leaves the caller with NO lock.
   Seen from outside: once the other holder is gone, a third process can
   take the lock exclusively.  */
START_TEST (modes_failed_conversion_leaves_no_lock)
{
  struct ctx c;
  begin (&c, "convert-fail");
  int fd = open_file (&c);
  if (has (&c, PL_FEATURE_SHARED))
    {
      struct proc *p = other_hold (&c, "sh");
      ck_assert_int_eq (pl_lock (fd, PL_LOCK_SH | PL_LOCK_NB), 0);
      ck_assert_int_eq (pl_lock (fd, PL_LOCK_EX | PL_LOCK_NB), PL_EBUSY);
      other_release (p);
      ck_assert_int_eq (other_try (&c, "ex"), HELPER_OK);
    }
  else
    {
      /* No shared locks (lockf): two holders never coexist, so no
         conversion can fail; a failed plain request must leave nothing
         behind either.  */
      struct proc *p = other_hold (&c, "sh");
      ck_assert_int_eq (pl_lock (fd, PL_LOCK_SH | PL_LOCK_NB), PL_EBUSY);
      ck_assert_int_eq (pl_lock (fd, PL_LOCK_EX | PL_LOCK_NB), PL_EBUSY);
      other_release (p);
      ck_assert_int_eq (other_try (&c, "ex"), HELPER_OK);
    }
  if (has (&c, PL_FEATURE_RANGE) && has (&c, PL_FEATURE_SHARED))
    {
      struct proc *p = other_wait_range (&c, "sh", 0, 10);
      expect_line (p, "held");
      ck_assert_int_eq (pl_lock_range (fd, PL_LOCK_SH | PL_LOCK_NB, 0, 10), 0);
      ck_assert_int_eq (pl_lock_range (fd, PL_LOCK_EX | PL_LOCK_NB, 0, 10),
                        PL_EBUSY);
      other_release (p);
      ck_assert_int_eq (other_try_range (&c, "ex", 0, 10), HELPER_OK);
    }
  close_file (fd);
  end (&c);
}
END_TEST

/* Rule 4: non-blocking ------------------------------------------------- */

START_TEST (nb_returns_busy_without_sleeping)
{
  struct ctx c;
  begin (&c, "nb");
  int fd = open_file (&c);
  struct proc *p = other_hold (&c, "ex");

  /* If a request slept, the holder (which waits for us) would never let
     go: the watchdog turns that into a failure.  */
  test_watchdog (NB_WATCHDOG, "a non-blocking request");
  ck_assert_int_eq (pl_lock (fd, PL_LOCK_EX | PL_LOCK_NB), PL_EBUSY);
  /* "Held by someone else", and the OS said so: not an I/O error.  */
  ck_assert_msg (test_os_error_is_busy (pl_os_error ()),
                 "pl_os_error() = %d after PL_EBUSY", pl_os_error ());
  ck_assert_int_eq (pl_lock (fd, PL_LOCK_SH | PL_LOCK_NB), PL_EBUSY);
  if (has (&c, PL_FEATURE_RANGE))
    {
      /* A whole-file lock covers every range.  */
      ck_assert_int_eq (pl_lock_range (fd, PL_LOCK_EX | PL_LOCK_NB, 0, 1),
                        PL_EBUSY);
      ck_assert_int_eq (pl_lock_range (fd, PL_LOCK_SH | PL_LOCK_NB, 1000, 0),
                        PL_EBUSY);
    }
  /* Same from another open file of this process.  */
  int fd2 = open_file (&c);
  ck_assert_int_eq (pl_lock (fd2, PL_LOCK_EX | PL_LOCK_NB), PL_EBUSY);
  test_watchdog (WATCHDOG, "nb");

  other_release (p);
  ck_assert_int_eq (pl_lock (fd, PL_LOCK_EX | PL_LOCK_NB), 0);
  ck_assert_int_eq (pl_lock (fd2, PL_LOCK_EX | PL_LOCK_NB), PL_EBUSY);
  close_file (fd2);
  close_file (fd);
  end (&c);
}
END_TEST

/* Rule 5: timeout ------------------------------------------------------ */

/* PL_ETIMEDOUT, never earlier than the timeout (the only bound a test may
   check on a shared machine), and the caller holds nothing afterwards.
   Timeout 0 is one attempt; PL_LOCK_NB wins over any timeout.  */
START_TEST (timeout_expires_not_earlier)
{
  struct ctx c;
  begin (&c, "timeout");
  int fd = open_file (&c);
  struct proc *p = other_hold (&c, "ex");
  long long t0 = test_now_ns ();
  ck_assert_int_eq (pl_lock_timed (fd, PL_LOCK_EX, 0.1), PL_ETIMEDOUT);
  long long waited = test_now_ns () - t0;
  ck_assert_msg (waited >= 100000000LL, "timed out after %lld ns", waited);
  ck_assert_int_eq (pl_lock_timed (fd, PL_LOCK_SH, 0), PL_ETIMEDOUT);
  ck_assert_int_eq (pl_lock_timed (fd, PL_LOCK_EX | PL_LOCK_NB, 10.0),
                    PL_EBUSY);
  if (has (&c, PL_FEATURE_RANGE))
    ck_assert_int_eq (pl_lock_range_timed (fd, PL_LOCK_EX, 5, 5, 0.01),
                      PL_ETIMEDOUT);
  other_release (p);
  ck_assert_int_eq (other_try (&c, "ex"), HELPER_OK);
  ck_assert_int_eq (pl_lock_timed (fd, PL_LOCK_EX, 0), 0);
  ck_assert_int_eq (other_try (&c, "sh"), HELPER_BUSY);
  close_file (fd);
  end (&c);
}
END_TEST

struct releaser
{
  struct proc *holder;
};

static void *
release_later (void *arg)
{
  struct releaser *r = arg;
  /* Let the main thread start waiting first (coverage only).  */
  for (int i = 0; i < 1000; i++)
    test_yield ();
  proc_write_line (r->holder, "release");
  return NULL;
}

/* A timed waiter gets the lock when the holder lets go in time.  */
START_TEST (timeout_waiter_gets_lock)
{
  struct ctx c;
  begin (&c, "timed-waiter");
  int fd = open_file (&c);
  struct releaser r = { .holder = other_hold (&c, "ex") };
  struct test_thread *t = test_thread_start (release_later, &r);
  ck_assert_msg (t != NULL, "cannot start a thread");
  ck_assert_int_eq (pl_lock_timed (fd, PL_LOCK_EX, 60.0), 0);
  test_thread_join (t);
  other_release (r.holder);
  ck_assert_int_eq (other_try (&c, "sh"), HELPER_BUSY);
  close_file (fd);
  end (&c);
}
END_TEST

/* Blocking requests -------------------------------------------------- */

START_TEST (blocking_waiter_gets_lock)
{
  struct ctx c;
  begin (&c, "waiter");
  int fd = open_file (&c);
  ck_assert_int_eq (pl_lock (fd, PL_LOCK_EX), 0);
  struct proc *p = other_wait (&c, "ex");       /* blocks */
  ck_assert_int_eq (pl_unlock (fd), 0);
  expect_line (p, "held");
  ck_assert_int_eq (pl_lock (fd, PL_LOCK_SH | PL_LOCK_NB), PL_EBUSY);
  other_release (p);

  /* And a shared waiter behind a shared holder does not wait at all where
     shared locks are real.  */
  ck_assert_int_eq (pl_lock (fd, PL_LOCK_SH), 0);
  if (has (&c, PL_FEATURE_SHARED))
    {
      p = other_hold (&c, "sh");
      other_release (p);
    }
  close_file (fd);
  end (&c);
}
END_TEST

/* Rule 6: advisory ----------------------------------------------------- */

START_TEST (advisory_other_descriptor)
{
  struct ctx c;
  begin (&c, "advisory-fd");
  int fd1 = open_file (&c), fd2 = open_file (&c);
  char buf[4];
  ck_assert_int_eq (pl_lock (fd1, PL_LOCK_EX), 0);
  ck_assert (test_pwrite (fd2, "abc", 3, 0));
  ck_assert (test_pread (fd2, buf, 3, 0));
  ck_assert (test_pread (fd1, buf, 3, 0));
  ck_assert (memcmp (buf, "abc", 3) == 0);
  ck_assert_int_eq (pl_unlock (fd1), 0);
  if (has (&c, PL_FEATURE_RANGE))
    {
      ck_assert_int_eq (pl_lock_range (fd1, PL_LOCK_EX, 0, 10), 0);
      ck_assert (test_pwrite (fd2, "xyz", 3, 2));
      ck_assert (test_pread (fd2, buf, 3, 2));
      ck_assert (memcmp (buf, "xyz", 3) == 0);
    }
  close_file (fd2);
  close_file (fd1);
  end (&c);
}
END_TEST

START_TEST (advisory_other_process)
{
  struct ctx c;
  begin (&c, "advisory-proc");
  int fd = open_file (&c);
  char buf[7];
  ck_assert_int_eq (pl_lock (fd, PL_LOCK_EX), 0);
  const char *args[] = { "rw", c.path, NULL };
  ck_assert_int_eq (proc_wait (start_helper (args, -1)), HELPER_OK);
  ck_assert (test_pread (fd, buf, sizeof buf, 100));
  ck_assert_str_eq (buf, "helper");
  close_file (fd);
  end (&c);
}
END_TEST

/* Rule 8: crash safety ------------------------------------------------- */

START_TEST (crash_killed_holder_frees_waiter)
{
  struct ctx c;
  begin (&c, "crash-waiter");
  int fd = open_file (&c);
  struct proc *holder = other_hold (&c, "ex");
  struct proc *waiter = other_wait (&c, "ex");
  ck_assert_int_eq (proc_kill (holder), 0);
  ck_assert_int_eq (proc_wait (holder), PROC_KILLED);
  expect_line (waiter, "held");
  ck_assert_int_eq (pl_lock (fd, PL_LOCK_EX | PL_LOCK_NB), PL_EBUSY);
  other_release (waiter);
  ck_assert_int_eq (pl_lock (fd, PL_LOCK_EX | PL_LOCK_NB), 0);
  close_file (fd);
  end (&c);
}
END_TEST

START_TEST (crash_killed_holder_frees_at_once)
{
  struct ctx c;
  begin (&c, "crash-once");
  int fd = open_file (&c);
  struct proc *holder = other_hold (&c, "ex");
  ck_assert_int_eq (pl_lock (fd, PL_LOCK_EX | PL_LOCK_NB), PL_EBUSY);
  ck_assert_int_eq (proc_kill (holder), 0);
  ck_assert_int_eq (proc_wait (holder), PROC_KILLED);
  /* No clean-up by hand: the next request gets it.  */
  ck_assert_int_eq (pl_lock (fd, PL_LOCK_EX | PL_LOCK_NB), 0);
  close_file (fd);
  end (&c);
}
END_TEST

/* Rule 9: exec (fork is below, with the POSIX-only tests) --------------- */

/* A helper started with our locked descriptor.  flock and OFD locks
   belong to the open file, which the helper now shares: it can lock
   through it, and the lock outlives our close.  Classic fcntl locks
   (posix, lockf) belong to a process: the helper holds nothing.
   win32 (neither FORK_SHARED nor EMULATED): a LockFileEx lock belongs to
   the file object and the process, so the helper holds nothing; but its
   inherited HANDLE keeps the file object, and so our lock, alive after
   our close, until the helper exits.  (Wine 8 ties the lock to the file
   object alone, so there the helper can take it over: "ok".)  */
START_TEST (exec_inherited_descriptor)
{
  struct ctx c;
  begin (&c, "exec");
  bool shared = has (&c, PL_FEATURE_FORK_SHARED);
  bool kept_alive = shared || !has (&c, PL_FEATURE_EMULATED);
  int fd = open_file (&c);
  ck_assert_int_eq (pl_lock (fd, PL_LOCK_EX), 0);
  const char *args[] = { "serve", NULL };
  struct proc *p = start_helper (args, fd);
  char cmd[64];
  snprintf (cmd, sizeof cmd, "fd %d", fd);
  expect_answer (p, cmd, "ok");
  if (shared == kept_alive)
    expect_answer (p, "lock ex-nb", shared ? "ok" : "PL_EBUSY");
  else
    {
      char line[256];
      ck_assert_int_eq (proc_command (p, "lock ex-nb", line, sizeof line), 0);
      ck_assert_msg (strcmp (line, "PL_EBUSY") == 0 || strcmp (line, "ok") == 0,
                     "helper: \"lock ex-nb\" -> \"%s\"", line);
    }
  close_file (fd);
  ck_assert_int_eq (other_try (&c, "ex"),
                    kept_alive ? HELPER_BUSY : HELPER_OK);
  expect_answer (p, "exit", "ok");
  other_release (p);
  ck_assert_int_eq (other_try (&c, "ex"), HELPER_OK);
  end (&c);
}
END_TEST

/* Rule 10: threads ----------------------------------------------------- */

#define N_THREADS 8
#define N_ROUNDS 200

struct crowd
{
  const char *path;
  atomic_int readers, writers;  /* inside the critical section now */
  atomic_int violations, errors, rounds;
};

/* Each thread has its own open file (reopened now and then, which on
   emulated backends goes through the deferred close); one round in four
   is shared.  Inside, no writer may meet anyone.  */
static void *
crowd_thread (void *arg)
{
  struct crowd *cr = arg;
  int fd = test_open (cr->path);
  for (int i = 0; i < N_ROUNDS && fd >= 0; i++)
    {
      bool shared = i % 4 == 0;
      if (pl_lock (fd, shared ? PL_LOCK_SH : PL_LOCK_EX) != 0)
        {
          atomic_fetch_add (&cr->errors, 1);
          break;
        }
      if (shared)
        {
          atomic_fetch_add (&cr->readers, 1);
          if (atomic_load (&cr->writers) != 0)
            atomic_fetch_add (&cr->violations, 1);
        }
      else if (atomic_fetch_add (&cr->writers, 1) != 0
               || atomic_load (&cr->readers) != 0)
        atomic_fetch_add (&cr->violations, 1);
      test_yield ();
      if (shared)
        atomic_fetch_sub (&cr->readers, 1);
      else
        atomic_fetch_sub (&cr->writers, 1);
      atomic_fetch_add (&cr->rounds, 1);
      if (pl_unlock (fd) != 0)
        atomic_fetch_add (&cr->errors, 1);
      if (i % 50 == 49)
        {
          if (pl_close (fd) != 0)
            atomic_fetch_add (&cr->errors, 1);
          fd = test_open (cr->path);
        }
    }
  if (fd < 0 || pl_close (fd) != 0)
    atomic_fetch_add (&cr->errors, 1);
  return NULL;
}

START_TEST (threads_never_overlap)
{
  struct ctx c;
  begin (&c, "threads");
  struct crowd cr = { .path = c.path };
  struct test_thread *t[N_THREADS];
  for (int i = 0; i < N_THREADS; i++)
    {
      t[i] = test_thread_start (crowd_thread, &cr);
      ck_assert_msg (t[i] != NULL, "cannot start thread %d", i);
    }
  for (int i = 0; i < N_THREADS; i++)
    test_thread_join (t[i]);
  ck_assert_int_eq (atomic_load (&cr.errors), 0);
  ck_assert_int_eq (atomic_load (&cr.violations), 0);
  ck_assert_int_eq (atomic_load (&cr.rounds), N_THREADS * N_ROUNDS);
  ck_assert_int_eq (other_try (&c, "ex"), HELPER_OK);
  end (&c);
}
END_TEST

/* Byte ranges ---------------------------------------------------------- */

START_TEST (range_adjacent_and_overlapping)
{
  struct ctx c;
  begin (&c, "range");
  int fd1 = open_file (&c), fd2 = open_file (&c), fd3 = open_file (&c);
  if (!has (&c, PL_FEATURE_RANGE))
    {
      ck_assert_int_eq (pl_lock_range (fd1, PL_LOCK_EX, 0, 10), PL_ENOTSUP);
      ck_assert_int_eq (pl_lock_range (fd1, PL_LOCK_SH | PL_LOCK_NB, 0, 0),
                        PL_ENOTSUP);
      ck_assert_int_eq (pl_unlock_range (fd1, 0, 10), PL_ENOTSUP);
      /* ... and nothing was locked by the refused call.  */
      ck_assert_int_eq (other_try (&c, "ex"), HELPER_OK);
    }
  else
    {
      ck_assert_int_eq (pl_lock_range (fd1, PL_LOCK_EX, 0, 10), 0);
      /* Touching ranges do not overlap.  */
      ck_assert_int_eq (pl_lock_range (fd2, PL_LOCK_EX | PL_LOCK_NB, 10, 10),
                        0);
      ck_assert_int_eq (pl_lock_range (fd3, PL_LOCK_EX | PL_LOCK_NB, 20, 0),
                        0);
      /* Overlapping ones conflict, by one byte too.  */
      ck_assert_int_eq (other_try_range (&c, "ex", 9, 1), HELPER_BUSY);
      ck_assert_int_eq (other_try_range (&c, "ex", 5, 10), HELPER_BUSY);
      ck_assert_int_eq (other_try_range (&c, "ex", 19, 1), HELPER_BUSY);
      ck_assert_int_eq (other_try_range (&c, "sh", 1000000, 1), HELPER_BUSY);
      ck_assert_int_eq (other_try (&c, "sh"), HELPER_BUSY);
      int fd4 = open_file (&c);
      ck_assert_int_eq (pl_lock_range (fd4, PL_LOCK_EX | PL_LOCK_NB, 15, 1),
                        PL_EBUSY);
      close_file (fd4);
      /* Releasing one range frees exactly that range.  */
      ck_assert_int_eq (pl_unlock_range (fd2, 10, 10), 0);
      ck_assert_int_eq (other_try_range (&c, "ex", 10, 10), HELPER_OK);
      ck_assert_int_eq (other_try_range (&c, "ex", 9, 2), HELPER_BUSY);
      ck_assert_int_eq (other_try_range (&c, "ex", 19, 2), HELPER_BUSY);
      /* Shared ranges coexist where shared locks are real.  */
      ck_assert_int_eq (pl_lock_range (fd2, PL_LOCK_SH, 10, 5), 0);
      ck_assert_int_eq (other_try_range (&c, "sh", 12, 1),
                        has (&c, PL_FEATURE_SHARED) ? HELPER_OK : HELPER_BUSY);
      ck_assert_int_eq (other_try_range (&c, "ex", 12, 1), HELPER_BUSY);
    }
  close_file (fd3);
  close_file (fd2);
  close_file (fd1);
  end (&c);
}
END_TEST

START_TEST (range_to_end_of_file_and_beyond)
{
  struct ctx c;
  begin (&c, "range-eof");
  int fd = open_file (&c);
  if (!has (&c, PL_FEATURE_RANGE))
    ck_assert_int_eq (pl_lock_range (fd, PL_LOCK_EX, 100, 0), PL_ENOTSUP);
  else
    {
      ck_assert_int_eq (pl_lock_range (fd, PL_LOCK_EX, 100, 0), 0);
      ck_assert_int_eq (other_try_range (&c, "ex", 0, 100), HELPER_OK);
      ck_assert_int_eq (other_try_range (&c, "ex", 100, 1), HELPER_BUSY);
      ck_assert_int_eq (other_try_range (&c, "ex", INT64_C (1) << 40, 1), HELPER_BUSY);
      ck_assert_int_eq (pl_unlock_range (fd, 100, 0), 0);
      ck_assert_int_eq (other_try_range (&c, "ex", INT64_C (1) << 40, 1), HELPER_OK);
    }
  close_file (fd);
  end (&c);
}
END_TEST

START_TEST (unlock_unlocked_is_ok)
{
  struct ctx c;
  begin (&c, "unlock");
  int fd = open_file (&c);
  ck_assert_int_eq (pl_unlock (fd), 0);
  ck_assert_int_eq (pl_lock (fd, PL_LOCK_EX), 0);
  ck_assert_int_eq (pl_unlock (fd), 0);
  ck_assert_int_eq (pl_unlock (fd), 0);
  if (has (&c, PL_FEATURE_RANGE))
    {
      ck_assert_int_eq (pl_unlock_range (fd, 0, 10), 0);
      ck_assert_int_eq (pl_unlock_range (fd, 5, 0), 0);
    }
  ck_assert_int_eq (other_try (&c, "ex"), HELPER_OK);
  close_file (fd);
  end (&c);
}
END_TEST

#ifndef _WIN32
/* POSIX only: fork and signals ----------------------------------------- */

# include <errno.h>
# include <fcntl.h>
# include <pthread.h>
# include <signal.h>
# include <sys/wait.h>
# include <time.h>
# include <unistd.h>

static int
wait_child (pid_t pid)
{
  int status;
  pid_t r;
  do
    r = waitpid (pid, &status, 0);
  while (r < 0 && errno == EINTR);
  ck_assert_int_eq (r, pid);
  ck_assert_msg (WIFEXITED (status), "child did not exit normally");
  return WEXITSTATUS (status);
}

/* Rule 9: the forked child shares the lock through the inherited
   descriptor exactly when the backend has PL_FEATURE_FORK_SHARED.  The
   child tries to take, through the inherited descriptor, the lock its
   parent holds: flock/OFD say yes (it is the same lock), posix/lockf say
   busy (the parent process holds it, the child does not).  */
START_TEST (fork_child_locks_inherited)
{
  struct ctx c;
  begin (&c, "fork-lock");
  int fd = open_file (&c);
  ck_assert_int_eq (pl_lock (fd, PL_LOCK_EX), 0);
  fflush (NULL);
  pid_t pid = fork ();
  ck_assert_int_ge (pid, 0);
  if (pid == 0)
    {
      int rc = pl_lock (fd, PL_LOCK_EX | PL_LOCK_NB);
      _exit (rc == 0 ? HELPER_OK : rc == PL_EBUSY ? HELPER_BUSY : HELPER_ERROR);
    }
  ck_assert_int_eq (wait_child (pid),
                    has (&c, PL_FEATURE_FORK_SHARED) ? HELPER_OK : HELPER_BUSY);
  /* Whatever the child did, the parent still holds the lock.  */
  ck_assert_int_eq (other_try (&c, "ex"), HELPER_BUSY);
  close_file (fd);
  ck_assert_int_eq (other_try (&c, "ex"), HELPER_OK);
  end (&c);
}
END_TEST

/* The parent closes its descriptor while the child lives: the lock stays
   with the child on FORK_SHARED backends, and is gone on the others.  */
START_TEST (fork_child_keeps_lock)
{
  struct ctx c;
  begin (&c, "fork-keep");
  int fd = open_file (&c);
  int go[2];
  ck_assert_int_eq (pipe (go), 0);
  fcntl (go[0], F_SETFD, FD_CLOEXEC);
  fcntl (go[1], F_SETFD, FD_CLOEXEC);
  ck_assert_int_eq (pl_lock (fd, PL_LOCK_EX), 0);
  fflush (NULL);
  pid_t pid = fork ();
  ck_assert_int_ge (pid, 0);
  if (pid == 0)
    {
      char b;
      close (go[1]);
      while (read (go[0], &b, 1) < 0 && errno == EINTR)
        continue;
      _exit (0);                /* no unlock: the descriptor just closes */
    }
  close (go[0]);
  close_file (fd);
  ck_assert_int_eq (other_try (&c, "ex"), has (&c, PL_FEATURE_FORK_SHARED)
                                          ? HELPER_BUSY : HELPER_OK);
  close (go[1]);
  ck_assert_int_eq (wait_child (pid), 0);
  ck_assert_int_eq (other_try (&c, "ex"), HELPER_OK);
  end (&c);
}
END_TEST

/* Rule 5 (the part that needs no timed API): signals caught while
   waiting do not end the wait.  A thread interrupts the main thread many
   times with a signal whose handler has no SA_RESTART (so the system call
   does fail with EINTR), then lets the holder go.  Only "at least one
   arrived" is checked: signals sent close together may merge into one
   (classic signals always may; under ThreadSanitizer, which delays
   delivery, even real-time ones do).  */

#define PESTER_SIGNAL SIGUSR1

static atomic_int pester_count;

static void
on_pester (int sig)
{
  (void) sig;
  atomic_fetch_add (&pester_count, 1);
}

struct pester
{
  pthread_t target;
  struct proc *holder;
  int sent;
};

#define N_SIGNALS 20

static void *
pester_thread (void *arg)
{
  struct pester *ps = arg;
  struct timespec pause = { 0, 5 * 1000 * 1000 };
  /* Give the main thread time to enter the wait (coverage only: the
     result does not depend on it).  */
  nanosleep (&pause, NULL);
  for (int i = 0; i < N_SIGNALS; i++)
    {
      if (pthread_kill (ps->target, PESTER_SIGNAL) == 0)
        ps->sent++;
      nanosleep (&pause, NULL);
    }
  proc_write_line (ps->holder, "release");
  return NULL;
}

START_TEST (wait_survives_signals)
{
  struct ctx c;
  begin (&c, "signals");
  int fd = open_file (&c);
  struct sigaction sa = { .sa_handler = on_pester, .sa_flags = 0 };
  sigemptyset (&sa.sa_mask);
  ck_assert_int_eq (sigaction (PESTER_SIGNAL, &sa, NULL), 0);

  struct pester ps = { .target = pthread_self (),
                       .holder = other_hold (&c, "ex") };
  /* Only the main thread may receive the signal: block it in the
     pester, which inherits the mask at creation.  */
  sigset_t set, old;
  sigemptyset (&set);
  sigaddset (&set, PESTER_SIGNAL);
  pthread_sigmask (SIG_BLOCK, &set, &old);
  struct test_thread *t = test_thread_start (pester_thread, &ps);
  pthread_sigmask (SIG_SETMASK, &old, NULL);
  ck_assert_msg (t != NULL, "cannot start a thread");

  ck_assert_int_eq (pl_lock (fd, PL_LOCK_EX), 0);
  test_thread_join (t);
  ck_assert_int_eq (ps.sent, N_SIGNALS);
  int caught = atomic_load (&pester_count);
  ck_assert_int_ge (caught, 1);
  other_release (ps.holder);
  /* The 0 meant a lock, not an interrupted wait.  */
  ck_assert_int_eq (other_try (&c, "sh"), HELPER_BUSY);
  close_file (fd);
  end (&c);
}
END_TEST
#endif /* !_WIN32 */

static TCase *
rule (Suite *s, const char *name)
{
  TCase *tc = tcase_create (name);
  tcase_set_timeout (tc, TEST_TIMEOUT);
  suite_add_tcase (s, tc);
  return tc;
}

static Suite *
conformance_suite (void)
{
  Suite *s = suite_create ("conformance");
  TCase *tc;

  tc = rule (s, "rule1-owner");
  tcase_add_test (tc, owner_two_opens_conflict);
  tcase_add_test (tc, owner_two_threads_conflict);
  tcase_add_test (tc, owner_second_process_conflict);
  tcase_add_test (tc, owner_duplicate_is_same_owner);

  tc = rule (s, "rule2-independence");
  tcase_add_test (tc, indep_close_dup);
  tcase_add_test (tc, indep_close_original_keeps_dup);
  tcase_add_test (tc, indep_close_other_open);
  tcase_add_test (tc, indep_close_other_holder);
  tcase_add_test (tc, indep_raw_close_as_documented);

  tc = rule (s, "rule3-modes");
  tcase_add_test (tc, modes_shared_shared);
  tcase_add_test (tc, modes_shared_exclusive);
  tcase_add_test (tc, modes_exclusive_shared);
  tcase_add_test (tc, modes_exclusive_exclusive);
  tcase_add_test (tc, modes_convert_up);
  tcase_add_test (tc, modes_convert_down);
  tcase_add_test (tc, modes_failed_conversion_leaves_no_lock);

  tc = rule (s, "rule4-nonblocking");
  tcase_add_test (tc, nb_returns_busy_without_sleeping);
  tcase_add_test (tc, blocking_waiter_gets_lock);

  tc = rule (s, "rule5-timeout");
  tcase_add_test (tc, timeout_expires_not_earlier);
  tcase_add_test (tc, timeout_waiter_gets_lock);

  tc = rule (s, "rule6-advisory");
  tcase_add_test (tc, advisory_other_descriptor);
  tcase_add_test (tc, advisory_other_process);

  tc = rule (s, "rule8-crash");
  tcase_add_test (tc, crash_killed_holder_frees_waiter);
  tcase_add_test (tc, crash_killed_holder_frees_at_once);

  tc = rule (s, "rule9-exec");
  tcase_add_test (tc, exec_inherited_descriptor);

  tc = rule (s, "rule10-threads");
  tcase_add_test (tc, threads_never_overlap);

  tc = rule (s, "ranges");
  tcase_add_test (tc, range_adjacent_and_overlapping);
  tcase_add_test (tc, range_to_end_of_file_and_beyond);
  tcase_add_test (tc, unlock_unlocked_is_ok);

#ifndef _WIN32
  tc = rule (s, "posix-rule9-fork");
  tcase_add_test (tc, fork_child_locks_inherited);
  tcase_add_test (tc, fork_child_keeps_lock);

  tc = rule (s, "posix-rule5-signals");
  tcase_add_test (tc, wait_survives_signals);
#endif
  return s;
}

int
main (void)
{
  SRunner *sr = srunner_create (conformance_suite ());
  srunner_run_all (sr, CK_ENV);
  int failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  test_watchdog (0, NULL);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
