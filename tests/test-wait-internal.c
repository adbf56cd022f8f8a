/* test-wait-internal.c - the paths of lib/wait.c that no backend built
   here reaches through the public API: polling when a backend has no
   kernel_wait, and the back-off when the kernel grants a lock that the
   backend still refuses (an emulated backend's conflict inside the
   process).  Linked statically, to call pl__lock_wait() with fake
   backends that wrap flock.
   Copyright (C) 2026 The portalock authors.
   This file is part of portalock, under the GNU GPL 3 or later.  */

#include <config.h>

#include <check.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <unistd.h>

#include "portalock.h"
#include "backend-internal.h"
#include "wait-internal.h"
#include "objtest.h"

/* ---- A backend without kernel_wait: timed waits poll ---- */

static int polls;

static int
poll_lock (int fd, enum pl__mode mode, bool wait,
           const struct pl__range *range)
{
  polls++;
  return pl__backend_flock.lock (fd, mode, wait, range);
}

static const struct pl__backend polling = {
  .name = "polling",
  .lock = poll_lock,
  .unlock = NULL,
  .kernel_wait = NULL,
};

/* ---- A backend whose lock() sees a conflict the kernel cannot: until
   the monotonic time conflict_until, as if another descriptor of this
   process held the lock (posix, lockf).  On PL_EBUSY it leaves no
   kernel lock behind, as the kernel_wait contract asks.  ---- */

static double conflict_until;
static int kernel_waits;

static int
emulated_lock (int fd, enum pl__mode mode, bool wait,
               const struct pl__range *range)
{
  (void) wait;
  if (ot_now () < conflict_until)
    {
      flock (fd, LOCK_UN);
      return PL_EBUSY;
    }
  return pl__backend_flock.lock (fd, mode, false, range);
}

static int
emulated_kernel_wait (int fd, enum pl__mode mode,
                      const struct pl__range *range)
{
  kernel_waits++;               /* a plain int: read after the wait */
  return pl__backend_flock.kernel_wait (fd, mode, range);
}

static const struct pl__backend emulated = {
  .name = "emulated",
  .lock = emulated_lock,
  .kernel_wait = emulated_kernel_wait,
};

/* ---- A backend with its own timed wait (as win32) ---- */

static double native_timeout;

static int
native_lock_timed (int fd, enum pl__mode mode,
                   const struct pl__range *range, double timeout)
{
  (void) fd, (void) mode, (void) range;
  native_timeout = timeout;
  return PL_ETIMEDOUT;
}

static const struct pl__backend native = {
  .name = "native",
  .lock = poll_lock,
  .lock_timed = native_lock_timed,
};

static int
open_rw (const char *path)
{
  int fd = open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  ck_assert_int_ge (fd, 0);
  return fd;
}

START_TEST (test_poll_expiry_and_handover)
{
  const char *path = ot_path ("f");
  struct ot_peer p;
  ot_peer_start (&p, path);
  ck_assert_int_eq (ot_peer_cmd (&p, 'X'), '.');
  int fd = open_rw (path);
  double t0 = ot_now ();
  ck_assert_int_eq (pl__lock_wait (&polling, fd, PL__EXCLUSIVE, NULL, 0.3,
                                   0), PL_ETIMEDOUT);
  ck_assert_double_ge (ot_now () - t0, 0.3);
  /* A backoff: several attempts (about 37 with the 10 ms cap), and far
     fewer than a busy loop.  */
  ck_assert_int_ge (polls, 5);
  ck_assert_int_le (polls, 2000);
  ck_assert (ot_free_for (path, false) == false);

  ot_peer_unlock_at (&p, ot_now () + 0.1);
  ck_assert_int_eq (pl__lock_wait (&polling, fd, PL__EXCLUSIVE, NULL, 30,
                                   0.05), 0);
  ck_assert_int_eq (ot_peer_wait (&p), '.');
  ck_assert (!ot_free_for (path, false));
  ot_peer_stop (&p);
  close (fd);
}
END_TEST

START_TEST (test_poll_check_interval_bound)
{
  const char *path = ot_path ("f");
  struct ot_peer p;
  ot_peer_start (&p, path);
  ck_assert_int_eq (ot_peer_cmd (&p, 'X'), '.');
  int fd = open_rw (path);
  polls = 0;
  /* check_interval 0.5 ms: no sleep is longer, so about 2000 attempts in
     1 s (the default cap would give about 100); 300 leaves room for a
     loaded machine's late wake-ups.  */
  ck_assert_int_eq (pl__lock_wait (&polling, fd, PL__EXCLUSIVE, NULL, 1.0,
                                   0.0005), PL_ETIMEDOUT);
  ck_assert_int_ge (polls, 300);
  ot_peer_stop (&p);
  close (fd);
}
END_TEST

START_TEST (test_poll_deadline_race)
{
  const char *path = ot_path ("f");
  struct ot_peer holder, checker;
  ot_peer_start (&holder, path);
  ot_peer_start (&checker, path);
  int fd = open_rw (path);
  unsigned seed = (unsigned) getpid ();
  for (int i = 0; i < 100; i++)
    {
      ck_assert_int_eq (ot_peer_cmd (&holder, 'X'), '.');
      double offset = ((double) rand_r (&seed) / RAND_MAX - 0.5) * 4e-3;
      ot_peer_unlock_at (&holder, ot_now () + 0.005 + offset);
      int r = pl__lock_wait (&polling, fd, PL__EXCLUSIVE, NULL, 0.005, 0);
      ck_assert_int_eq (ot_peer_wait (&holder), '.');
      char seen = ot_peer_cmd (&checker, 'x');
      if (r == 0)
        {
          ck_assert_int_eq (seen, '0');
          flock (fd, LOCK_UN);
        }
      else
        {
          ck_assert_int_eq (r, PL_ETIMEDOUT);
          ck_assert_int_eq (seen, '1');
          ck_assert_int_eq (ot_peer_cmd (&checker, 'U'), '.');
        }
    }
  ot_peer_stop (&holder);
  ot_peer_stop (&checker);
  close (fd);
}
END_TEST

START_TEST (test_in_process_conflict)
{
  const char *path = ot_path ("f");
  int fd = open_rw (path);
  /* The conflict ends during the wait: success, not before it ended.  */
  conflict_until = ot_now () + 0.1;
  ck_assert_int_eq (pl__lock_wait (&emulated, fd, PL__EXCLUSIVE, NULL, 30,
                                   0), 0);
  ck_assert_double_ge (ot_now (), conflict_until);
  ck_assert_int_ge (kernel_waits, 1);
  ck_assert (!ot_free_for (path, false));
  flock (fd, LOCK_UN);

  /* It outlasts the timeout: timed out, no earlier, and nothing held.  */
  conflict_until = ot_now () + 60;
  double t0 = ot_now ();
  ck_assert_int_eq (pl__lock_wait (&emulated, fd, PL__EXCLUSIVE, NULL, 0.2,
                                   0), PL_ETIMEDOUT);
  ck_assert_double_ge (ot_now () - t0, 0.2);
  ck_assert (ot_free_for (path, true));
  close (fd);
}
END_TEST

/* lock_timed is used for finite timeouts > 0, never for 0 or INFINITY. */
START_TEST (test_native_timed_wait)
{
  int fd = open_rw (ot_path ("f"));
  ck_assert_int_eq (pl__lock_wait (&native, fd, PL__EXCLUSIVE, NULL, 2.5,
                                   0), PL_ETIMEDOUT);
  ck_assert_double_eq (native_timeout, 2.5);
  native_timeout = -1;
  ck_assert_int_eq (pl__lock_wait (&native, fd, PL__EXCLUSIVE, NULL, 0, 0),
                    0);                 /* free: one attempt, no wait */
  ck_assert_int_eq (pl__lock_wait (&native, fd, PL__EXCLUSIVE, NULL,
                                   INFINITY, 0), 0);
  ck_assert_double_eq (native_timeout, -1);
  close (fd);
}
END_TEST

START_TEST (test_clock_helpers)
{
  struct timespec d;
  pl__deadline (&d, 0.05);
  ck_assert_double_gt (pl__remaining (&d), 0);
  ck_assert_double_le (pl__remaining (&d), 0.05);
  double t0 = ot_now ();
  pl__sleep_until (&d, 10);             /* the deadline comes first */
  ck_assert_double_ge (ot_now () - t0, 0.04);
  ck_assert_double_eq (pl__remaining (&d), 0);
  pl__deadline (&d, 1e300);             /* clamped, not wrapped */
  ck_assert_double_gt (pl__remaining (&d), 1e9);
  ck_assert (pl__timeout_ok (0) && pl__timeout_ok (INFINITY));
  ck_assert (!pl__timeout_ok (-1) && !pl__timeout_ok (NAN));
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("wait-internal");
  TCase *tc = tcase_create ("fake-backends");
  tcase_set_timeout (tc, 120);
  tcase_add_test (tc, test_poll_expiry_and_handover);
  tcase_add_test (tc, test_poll_check_interval_bound);
  tcase_add_test (tc, test_poll_deadline_race);
  tcase_add_test (tc, test_in_process_conflict);
  tcase_add_test (tc, test_native_timed_wait);
  tcase_add_test (tc, test_clock_helpers);
  suite_add_tcase (s, tc);
  /* The fakes wrap flock; peers lock through the public API.  */
  if (pl_set_backend ("flock") != 0)
    {
      printf ("1..0 # SKIP no flock backend\n");
      return 77;
    }
  return ot_run (s);
}
