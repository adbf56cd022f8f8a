/* test-table.c - the per-inode table of the emulated backends (posix,
   lockf) beyond its common path: many files at once, many owners of one
   file, ranges cut at either end.  What the table records is checked
   from inside this process (another descriptor), and what the kernel
   holds from a real second process with the raw fcntl call (lockf is
   fcntl on Linux and the BSDs; the table keeps the kernel's per-process
   state equal to the strongest mode any owner holds on each byte).
   Copyright (C) 2026 The portalock authors.
   This file is part of portalock, under the GNU GPL 3 or later.  */

#include <config.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "portalock.h"
#include "objtest.h"

/* The emulated backends among those to run.  */
static const char *backends[8];
static int n_backends;

static const char *
use_backend (int i)
{
  ck_assert_int_eq (pl_set_backend (backends[i]), 0);
  return backends[i];
}

static int
open_rw (const char *path)
{
  int fd = open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  ck_assert_int_ge (fd, 0);
  return fd;
}

/* Could another process lock [START, START+LEN) of PATH in mode TYPE
   (F_RDLCK, F_WRLCK) right now?  */
static bool
other_can_lock (const char *path, short type, off_t start, off_t len)
{
  pid_t pid = fork ();
  ck_assert_int_ge (pid, 0);
  if (pid == 0)
    {
      int fd = open (path, O_RDWR);
      struct flock fl = { .l_type = type, .l_whence = SEEK_SET,
                          .l_start = start, .l_len = len };
      _exit (fd < 0 ? 2 : fcntl (fd, F_SETLK, &fl) == 0 ? 0 : 1);
    }
  int status;
  ck_assert_int_eq (waitpid (pid, &status, 0), pid);
  ck_assert (WIFEXITED (status) && WEXITSTATUS (status) != 2);
  return WEXITSTATUS (status) == 0;
}

/* How many of the N files PATHS another process could lock exclusively,
   whole, right now (one process tries them all).  */
static int
other_can_lock_count (char paths[][512], int n)
{
  int up[2];
  ck_assert_int_eq (pipe (up), 0);
  pid_t pid = fork ();
  ck_assert_int_ge (pid, 0);
  if (pid == 0)
    {
      int count = 0;
      for (int i = 0; i < n; i++)
        {
          int fd = open (paths[i], O_RDWR);
          struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
          if (fd < 0)
            _exit (2);
          count += fcntl (fd, F_SETLK, &fl) == 0;
          close (fd);
        }
      _exit (write (up[1], &count, sizeof count) == sizeof count ? 0 : 2);
    }
  int count = -1, status;
  ck_assert_int_eq (read (up[0], &count, sizeof count), sizeof count);
  ck_assert_int_eq (waitpid (pid, &status, 0), pid);
  ck_assert (WIFEXITED (status) && WEXITSTATUS (status) == 0);
  close (up[0]);
  close (up[1]);
  return count;
}

/* ---- many files ---- */

enum { NFILES = 150 };          /* more than two growths of the table */

/* 150 files locked at once, each through one descriptor: every one is
   held against other processes, and a second descriptor of any of them
   in this process is refused (the table finds the file among all the
   others); closing half of them frees exactly that half, and the other
   half stays held.  */
START_TEST (test_many_files)
{
  use_backend (_i);
  struct rlimit rl;
  ck_assert_int_eq (getrlimit (RLIMIT_NOFILE, &rl), 0);
  if (rl.rlim_cur < 2 * NFILES + 64)
    {
      rl.rlim_cur = rl.rlim_max < 2 * NFILES + 64 ? rl.rlim_max
                                                   : 2 * NFILES + 64;
      setrlimit (RLIMIT_NOFILE, &rl);
    }
  if (rl.rlim_cur < 2 * NFILES + 64)
    {
      printf ("# only %ld descriptors: case skipped\n", (long) rl.rlim_cur);
      return;
    }
  static char paths[NFILES][512];
  int fd[NFILES], other[NFILES];
  for (int i = 0; i < NFILES; i++)
    {
      char name[32];
      snprintf (name, sizeof name, "f%03d", i);
      snprintf (paths[i], sizeof paths[i], "%s", ot_path (name));
      fd[i] = open_rw (paths[i]);
      other[i] = open_rw (paths[i]);
      ck_assert_int_eq (pl_lock (fd[i], PL_LOCK_EX), 0);
    }
  ck_assert_int_eq (other_can_lock_count (paths, NFILES), 0);
  for (int i = 0; i < NFILES; i++)
    ck_assert_int_eq (pl_lock (other[i], PL_LOCK_SH | PL_LOCK_NB), PL_EBUSY);
  for (int i = 0; i < NFILES; i += 2)
    ck_assert_int_eq (pl_close (fd[i]), 0);
  ck_assert_int_eq (other_can_lock_count (paths, NFILES), NFILES / 2);
  for (int i = 0; i < NFILES; i++)
    ck_assert_int_eq (pl_lock (other[i], PL_LOCK_EX | PL_LOCK_NB),
                      i % 2 ? PL_EBUSY : 0);
  for (int i = 0; i < NFILES; i++)
    {
      if (i % 2)
        ck_assert_int_eq (pl_close (fd[i]), 0);
      ck_assert_int_eq (pl_close (other[i]), 0);
    }
  ck_assert_int_eq (other_can_lock_count (paths, NFILES), NFILES);
}
END_TEST

/* ---- ranges cut at either end ---- */

/* Unlocking the head and the tail of a held range leaves the middle held
   (for other processes and for another descriptor of this one) and frees
   both ends (for both).  */
START_TEST (test_cut_head_and_tail)
{
  use_backend (_i);
  const char *path = ot_path ("r");
  int a = open_rw (path), b = open_rw (path);
  ck_assert_int_eq (pl_lock_range (a, PL_LOCK_EX, 0, 100), 0);
  ck_assert_int_eq (pl_unlock_range (a, 0, 30), 0);             /* head */
  ck_assert_int_eq (pl_unlock_range (a, 70, 50), 0);            /* tail */
  ck_assert (other_can_lock (path, F_WRLCK, 0, 30));
  ck_assert (!other_can_lock (path, F_RDLCK, 30, 40));
  ck_assert (other_can_lock (path, F_WRLCK, 70, 0));
  ck_assert_int_eq (pl_lock_range (b, PL_LOCK_EX | PL_LOCK_NB, 20, 10), 0);
  ck_assert_int_eq (pl_lock_range (b, PL_LOCK_EX | PL_LOCK_NB, 69, 1),
                    PL_EBUSY);
  ck_assert_int_eq (pl_lock_range (b, PL_LOCK_EX | PL_LOCK_NB, 70, 10), 0);
  ck_assert_int_eq (pl_lock_range (b, PL_LOCK_EX | PL_LOCK_NB, 29, 2),
                    PL_EBUSY);
  ck_assert_int_eq (pl_close (a), 0);
  ck_assert (other_can_lock (path, F_WRLCK, 30, 40));
  ck_assert (!other_can_lock (path, F_WRLCK, 20, 10));          /* b's */
  ck_assert (!other_can_lock (path, F_WRLCK, 70, 10));
  ck_assert_int_eq (pl_close (b), 0);
  ck_assert (other_can_lock (path, F_WRLCK, 0, 0));
}
END_TEST

/* ---- many owners of one file ---- */

enum { NOWNERS = 10 };

/* Ten descriptors hold overlapping shared ranges [10i, 10i+15), plus one
   [52, 55).  When one owner lets go, the kernel's state is rebuilt from
   all the others: the bytes nobody else holds are free for a writer in
   another process, those a neighbour holds stay shared (readers may,
   writers may not).  */
START_TEST (test_many_owners)
{
  use_backend (_i);
  if (!(pl_backend_features (backends[_i]) & PL_FEATURE_SHARED))
    {
      printf ("# %s has no shared locks: case skipped\n", backends[_i]);
      return;
    }
  const char *path = ot_path ("o");
  int fd[NOWNERS], extra = open_rw (path);
  for (int i = 0; i < NOWNERS; i++)
    {
      fd[i] = open_rw (path);
      ck_assert_int_eq (pl_lock_range (fd[i], PL_LOCK_SH, 10 * i, 15), 0);
    }
  ck_assert_int_eq (pl_lock_range (extra, PL_LOCK_SH, 52, 3), 0);

  ck_assert_int_eq (pl_close (fd[5]), 0);       /* [50, 65) */
  ck_assert (other_can_lock (path, F_WRLCK, 55, 5));
  ck_assert (!other_can_lock (path, F_WRLCK, 50, 5));
  ck_assert (!other_can_lock (path, F_WRLCK, 60, 5));
  ck_assert (other_can_lock (path, F_RDLCK, 50, 15));
  /* And inside this process: a writer fits exactly in the hole.  */
  int w = open_rw (path);
  ck_assert_int_eq (pl_lock_range (w, PL_LOCK_EX | PL_LOCK_NB, 55, 5), 0);
  ck_assert_int_eq (pl_lock_range (w, PL_LOCK_EX | PL_LOCK_NB, 54, 2),
                    PL_EBUSY);
  ck_assert (!other_can_lock (path, F_RDLCK, 55, 5));          /* w's */
  ck_assert_int_eq (pl_close (w), 0);

  ck_assert_int_eq (pl_unlock_range (fd[0], 0, 0), 0);         /* [0, 15) */
  ck_assert (other_can_lock (path, F_WRLCK, 0, 10));
  ck_assert (!other_can_lock (path, F_WRLCK, 10, 5));

  /* A wide shared holder over all of it: a release then changes nothing
     a reader or writer outside can see.  */
  int wide = open_rw (path);
  ck_assert_int_eq (pl_lock_range (wide, PL_LOCK_SH, 0, 200), 0);
  ck_assert_int_eq (pl_close (fd[3]), 0);
  ck_assert (!other_can_lock (path, F_WRLCK, 30, 15));
  ck_assert (other_can_lock (path, F_RDLCK, 0, 200));
  ck_assert_int_eq (pl_close (wide), 0);
  ck_assert (other_can_lock (path, F_WRLCK, 35, 5));           /* nobody */
  ck_assert (!other_can_lock (path, F_WRLCK, 30, 5));          /* fd[2] */
  ck_assert (!other_can_lock (path, F_WRLCK, 40, 5));          /* fd[4] */

  for (int i = 0; i < NOWNERS; i++)
    if (i != 3 && i != 5)
      ck_assert_int_eq (pl_close (fd[i]), 0);
  ck_assert (!other_can_lock (path, F_WRLCK, 52, 3));          /* extra */
  ck_assert_int_eq (pl_close (extra), 0);
  ck_assert (other_can_lock (path, F_WRLCK, 0, 0));
}
END_TEST

static Suite *
table_suite (void)
{
  Suite *s = suite_create ("table");
  for (int i = 0; i < n_backends; i++)
    {
      TCase *tc = tcase_create (backends[i]);
      tcase_set_timeout (tc, 120);
      tcase_add_loop_test (tc, test_many_files, i, i + 1);
      tcase_add_loop_test (tc, test_cut_head_and_tail, i, i + 1);
      tcase_add_loop_test (tc, test_many_owners, i, i + 1);
      suite_add_tcase (s, tc);
    }
  return s;
}

int
main (void)
{
  for (const char *const *b = ot_backends (); *b && n_backends < 7; b++)
    if (pl_backend_features (*b) & PL_FEATURE_EMULATED)
      backends[n_backends++] = *b;
  if (n_backends == 0)
    {
      printf ("1..0 # SKIP no emulated backend here\n");
      return 77;
    }
  return ot_run (table_suite ());
}
