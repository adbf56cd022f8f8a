/* test-timed.c - pl_lock_timed() and pl_lock_range_timed(), on every
   backend, against real second processes.
   Copyright (C) 2026 The portalock authors.
   This file is part of portalock, under the GNU GPL 3 or later.

   Time is only ever asserted from below ("not earlier than the
   timeout"); upper bounds are seconds wide, so a loaded machine cannot
   fail the suite.  */

#include <config.h>

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "portalock.h"
#include "objtest.h"

static int
open_rw (const char *path)
{
  int fd = open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  ck_assert_int_ge (fd, 0);
  return fd;
}

/* A peer holding PATH exclusively.  */
static void
held_by_peer (struct ot_peer *p, const char *path, char mode)
{
  ot_peer_start (p, path);
  ck_assert_int_eq (ot_peer_cmd (p, mode), '.');
}

START_TEST (test_bad_arguments)
{
  ot_use_backend (_i);
  int fd = open_rw (ot_path ("f"));
  ck_assert_int_eq (pl_lock_timed (fd, PL_LOCK_EX, -1), PL_EINVAL);
  ck_assert_int_eq (pl_lock_timed (fd, PL_LOCK_EX, -0.001), PL_EINVAL);
  ck_assert_int_eq (pl_lock_timed (fd, PL_LOCK_EX, NAN), PL_EINVAL);
  ck_assert_int_eq (pl_lock_timed (fd, PL_LOCK_EX, -INFINITY), PL_EINVAL);
  ck_assert_int_eq (pl_lock_timed (fd, PL_LOCK_EX | PL_LOCK_NB, NAN),
                    PL_EINVAL);
  ck_assert_int_eq (pl_lock_timed (fd, 0, 1), PL_EINVAL);
  ck_assert_int_eq (pl_lock_timed (fd, PL_LOCK_EX | PL_LOCK_SH, 1),
                    PL_EINVAL);
  ck_assert_int_eq (pl_lock_timed (fd, PL_LOCK_EX | 0x100, 1), PL_EINVAL);
  ck_assert_int_eq (pl_lock_timed (-1, PL_LOCK_EX, 1), PL_EBADF);
  ck_assert_int_eq (pl_lock_range_timed (fd, PL_LOCK_EX, -1, 1, 1),
                    PL_EINVAL);
  ck_assert_int_eq (pl_lock_range_timed (fd, PL_LOCK_EX, INT64_MAX, 2, 1),
                    PL_EINVAL);
  ck_assert_int_eq (pl_lock_range_timed (fd, PL_LOCK_EX, 0, 1, NAN),
                    PL_EINVAL);
  /* A closed descriptor: an error, no hang, whatever the timeout.  */
  int dead = open_rw (ot_path ("g"));
  close (dead);
  ck_assert_int_eq (pl_lock_timed (dead, PL_LOCK_EX, 1), PL_EBADF);
  pl_close (fd);
}
END_TEST

START_TEST (test_free_lock)
{
  ot_use_backend (_i);
  int fd = open_rw (ot_path ("f"));
  ck_assert_int_eq (pl_lock_timed (fd, PL_LOCK_EX, 0), 0);
  ck_assert (!ot_free_for (ot_path ("f"), false));
  ck_assert_int_eq (pl_unlock (fd), 0);
  ck_assert_int_eq (pl_lock_timed (fd, PL_LOCK_EX, 5), 0);
  ck_assert_int_eq (pl_unlock (fd), 0);
  ck_assert_int_eq (pl_lock_timed (fd, PL_LOCK_EX, INFINITY), 0);
  ck_assert_int_eq (pl_unlock (fd), 0);
  ck_assert_int_eq (pl_lock_timed (fd, PL_LOCK_EX, 1e300), 0);
  ck_assert (!ot_free_for (ot_path ("f"), true));
  ck_assert_int_eq (pl_unlock (fd), 0);
  ck_assert (ot_free_for (ot_path ("f"), true));
  pl_close (fd);
}
END_TEST

/* The documented choices: PL_LOCK_NB wins (PL_EBUSY, at once); timeout 0
   makes one attempt and says PL_ETIMEDOUT.  */
START_TEST (test_zero_and_nb)
{
  ot_use_backend (_i);
  struct ot_peer p;
  held_by_peer (&p, ot_path ("f"), 'X');
  int fd = open_rw (ot_path ("f"));
  ck_assert_int_eq (pl_lock_timed (fd, PL_LOCK_EX, 0), PL_ETIMEDOUT);
  double t0 = ot_now ();
  ck_assert_int_eq (pl_lock_timed (fd, PL_LOCK_EX | PL_LOCK_NB, 30),
                    PL_EBUSY);
  ck_assert_double_lt (ot_now () - t0, 10);
  ot_peer_stop (&p);
  pl_close (fd);
}
END_TEST

START_TEST (test_expiry)
{
  ot_use_backend (_i);
  const char *path = ot_path ("f");
  struct ot_peer p;
  held_by_peer (&p, path, 'X');
  int fd = open_rw (path);
  for (int i = 0; i < 3; i++)
    {
      double timeout = 0.05 + 0.1 * i;
      double t0 = ot_now ();
      ck_assert_int_eq (pl_lock_timed (fd, PL_LOCK_EX, timeout),
                        PL_ETIMEDOUT);
      double waited = ot_now () - t0;
      ck_assert_msg (waited >= timeout, "timed out after %.6f s < %.3f s",
                     waited, timeout);
      ck_assert_double_lt (waited, timeout + 10);
    }
  /* Shared against an exclusive holder times out too.  */
  ck_assert_int_eq (pl_lock_timed (fd, PL_LOCK_SH, 0.05), PL_ETIMEDOUT);
  /* Timed out means not held: once the peer lets go, a third process
     gets the lock.  */
  ck_assert_int_eq (ot_peer_cmd (&p, 'U'), '.');
  ck_assert (ot_free_for (path, true));
  ot_peer_stop (&p);
  pl_close (fd);
}
END_TEST

START_TEST (test_handover)
{
  ot_use_backend (_i);
  const char *path = ot_path ("f");
  struct ot_peer p;
  held_by_peer (&p, path, 'X');
  int fd = open_rw (path);
  double t0 = ot_now ();
  ot_peer_unlock_at (&p, t0 + 0.2);
  ck_assert_int_eq (pl_lock_timed (fd, PL_LOCK_EX, 30), 0);
  ck_assert_double_ge (ot_now () - t0, 0.2);
  ck_assert_int_eq (ot_peer_wait (&p), '.');
  ck_assert (!ot_free_for (path, false));
  ck_assert_int_eq (pl_unlock (fd), 0);
  ot_peer_stop (&p);
  pl_close (fd);
}
END_TEST

/* Shared holders do not exclude each other; an upgrade that times out
   leaves the caller with no lock (conversion is release-then-acquire).  */
START_TEST (test_shared_and_upgrade)
{
  ot_use_backend (_i);
  if (!(pl_backend_features (ot_backends ()[_i]) & PL_FEATURE_SHARED))
    return;     /* lockf: shared is exclusive, documented */
  const char *path = ot_path ("f");
  struct ot_peer p;
  held_by_peer (&p, path, 'S');
  int fd = open_rw (path);
  ck_assert_int_eq (pl_lock_timed (fd, PL_LOCK_SH, 1), 0);
  ck_assert_int_eq (pl_lock_timed (fd, PL_LOCK_EX, 0.1), PL_ETIMEDOUT);
  ck_assert_int_eq (ot_peer_cmd (&p, 'U'), '.');
  ck_assert (ot_free_for (path, true));
  ot_peer_stop (&p);
  pl_close (fd);
}
END_TEST

START_TEST (test_range)
{
  ot_use_backend (_i);
  if (!(pl_backend_features (ot_backends ()[_i]) & PL_FEATURE_RANGE))
    {
      int fd = open_rw (ot_path ("f"));
      ck_assert_int_eq (pl_lock_range_timed (fd, PL_LOCK_EX, 0, 1, 1),
                        PL_ENOTSUP);
      pl_close (fd);
      return;
    }
  const char *path = ot_path ("f");
  struct ot_peer p;
  held_by_peer (&p, path, 'X');        /* whole file */
  int fd = open_rw (path);
  double t0 = ot_now ();
  ck_assert_int_eq (pl_lock_range_timed (fd, PL_LOCK_EX, 10, 5, 0.1),
                    PL_ETIMEDOUT);
  ck_assert_double_ge (ot_now () - t0, 0.1);
  ot_peer_unlock_at (&p, ot_now () + 0.1);
  ck_assert_int_eq (pl_lock_range_timed (fd, PL_LOCK_EX, 10, 5, 30), 0);
  ck_assert_int_eq (ot_peer_wait (&p), '.');
  ck_assert_int_eq (pl_unlock_range (fd, 10, 5), 0);
  ot_peer_stop (&p);
  pl_close (fd);
}
END_TEST

/* The deadline race: the holder lets go within +-300 us of the waiter's
   deadline, many times.  Whatever the waiter answers must be true, as
   seen by a third process right after the holder has let go: success ->
   the checker cannot lock; timed out -> it can.  */
START_TEST (test_deadline_race)
{
  ot_use_backend (_i);
  const char *path = ot_path ("f");
  const char *env = getenv ("PORTALOCK_RACE_ROUNDS");
  int rounds = env ? atoi (env) : 300;
  const double timeout = 0.005;
  struct ot_peer holder, checker;
  ot_peer_start (&holder, path);
  ot_peer_start (&checker, path);
  int fd = open_rw (path);
  int got = 0, timed_out = 0;
  unsigned seed = (unsigned) getpid ();
  for (int i = 0; i < rounds; i++)
    {
      ck_assert_int_eq (ot_peer_cmd (&holder, 'X'), '.');
      double offset = ((double) rand_r (&seed) / RAND_MAX - 0.5) * 600e-6;
      double t0 = ot_now ();
      ot_peer_unlock_at (&holder, t0 + timeout + offset);
      int r = pl_lock_timed (fd, PL_LOCK_EX, timeout);
      ck_assert_int_eq (ot_peer_wait (&holder), '.');   /* it let go */
      char seen = ot_peer_cmd (&checker, 'x');
      if (r == 0)
        {
          got++;
          ck_assert_msg (seen == '0', "round %d: success, but a third "
                         "process could take the lock", i);
          ck_assert_int_eq (pl_unlock (fd), 0);
        }
      else
        {
          ck_assert_int_eq (r, PL_ETIMEDOUT);
          timed_out++;
          ck_assert_msg (seen == '1', "round %d: timed out, but the lock "
                         "was not free afterwards", i);
          ck_assert_int_eq (ot_peer_cmd (&checker, 'U'), '.');
        }
    }
  fprintf (stderr, "# %s: deadline race: %d acquired, %d timed out\n",
           ot_backends ()[_i], got, timed_out);
  ot_peer_stop (&holder);
  ot_peer_stop (&checker);
  pl_close (fd);
}
END_TEST

/* ---- Signals ---- */

static atomic_int caught;

static void
on_usr1 (int sig)
{
  (void) sig;
  atomic_fetch_add (&caught, 1);
}

/* A process that sends SIGUSR1 to TARGET every 200 us until killed.  */
static pid_t
start_storm (pid_t target)
{
  pid_t pid = fork ();
  ck_assert_int_ge (pid, 0);
  if (pid == 0)
    {
      struct timespec gap = { 0, 200000 };
      for (;;)
        {
          if (kill (target, SIGUSR1) != 0)
            _exit (0);
          nanosleep (&gap, NULL);
        }
    }
  return pid;
}

static void
stop_storm (pid_t pid)
{
  kill (pid, SIGKILL);
  waitpid (pid, NULL, 0);
}

static void
storm_test (int backend, int sa_flags)
{
  ot_use_backend (backend);
  struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = sa_flags };
  sigemptyset (&sa.sa_mask);
  ck_assert_int_eq (sigaction (SIGUSR1, &sa, NULL), 0);
  const char *path = ot_path ("f");
  struct ot_peer p;
  held_by_peer (&p, path, 'X');
  int fd = open_rw (path);

  /* Expiry is not brought forward.  */
  pid_t storm = start_storm (getpid ());
  double t0 = ot_now ();
  int r = pl_lock_timed (fd, PL_LOCK_EX, 0.5);
  double waited = ot_now () - t0;
  ck_assert_int_eq (r, PL_ETIMEDOUT);
  ck_assert_msg (waited >= 0.5, "signals shortened the wait to %.6f s",
                 waited);

  /* A hand-over during the storm still succeeds.  */
  t0 = ot_now ();
  ot_peer_unlock_at (&p, t0 + 0.3);
  r = pl_lock_timed (fd, PL_LOCK_EX, 30);
  stop_storm (storm);
  ck_assert_int_eq (r, 0);
  ck_assert_double_ge (ot_now () - t0, 0.3);
  ck_assert_int_eq (ot_peer_wait (&p), '.');
  ck_assert_int_gt (atomic_load (&caught), 10);  /* the storm was real */
  ot_peer_stop (&p);
  pl_close (fd);
}

START_TEST (test_signal_storm_restart)
{
  storm_test (_i, SA_RESTART);
}
END_TEST

START_TEST (test_signal_storm_norestart)
{
  storm_test (_i, 0);
}
END_TEST

/* No signal handler the application did not ask for, and the caller's
   signal mask is left as it was.  */
START_TEST (test_no_handlers_installed)
{
  ot_use_backend (_i);
  const char *path = ot_path ("f");
  struct ot_peer p;
  held_by_peer (&p, path, 'X');
  int fd = open_rw (path);
  sigset_t before, after;
  sigemptyset (&before);
  sigaddset (&before, SIGUSR2);
  pthread_sigmask (SIG_BLOCK, &before, NULL);
  pthread_sigmask (SIG_BLOCK, NULL, &before);
  /* The handlers as they are (Check has its own in the test process).  */
  static struct sigaction old[NSIG];
  for (int sig = 1; sig < NSIG; sig++)
    sigaction (sig, NULL, &old[sig]);
  ck_assert_int_eq (pl_lock_timed (fd, PL_LOCK_EX, 0.05), PL_ETIMEDOUT);
  pthread_sigmask (SIG_BLOCK, NULL, &after);
  for (int sig = 1; sig < NSIG; sig++)
    {
      ck_assert_int_eq (sigismember (&before, sig),
                        sigismember (&after, sig));
      struct sigaction sa;
      if (sigaction (sig, NULL, &sa) == 0)
        ck_assert_msg (sa.sa_handler == old[sig].sa_handler,
                       "the handler of signal %d changed", sig);
    }
  ot_peer_stop (&p);
  pl_close (fd);
}
END_TEST

/* ---- Threads and fork ---- */

struct waiter
{
  int fd;
  double timeout;
  int result;
  double waited;
};

static void *
waiter_main (void *arg)
{
  struct waiter *w = arg;
  double t0 = ot_now ();
  w->result = pl_lock_timed (w->fd, PL_LOCK_EX, w->timeout);
  w->waited = ot_now () - t0;
  return NULL;
}

/* Two threads wait at once (two helpers), on two files.  */
START_TEST (test_threads)
{
  ot_use_backend (_i);
  struct ot_peer p1, p2;
  held_by_peer (&p1, ot_path ("a"), 'X');
  held_by_peer (&p2, ot_path ("b"), 'X');
  struct waiter w1 = { .fd = open_rw (ot_path ("a")), .timeout = 0.2 };
  struct waiter w2 = { .fd = open_rw (ot_path ("b")), .timeout = 30 };
  pthread_t t1, t2;
  ot_peer_unlock_at (&p2, ot_now () + 0.1);
  ck_assert_int_eq (pthread_create (&t1, NULL, waiter_main, &w1), 0);
  ck_assert_int_eq (pthread_create (&t2, NULL, waiter_main, &w2), 0);
  pthread_join (t1, NULL);
  pthread_join (t2, NULL);
  ck_assert_int_eq (w1.result, PL_ETIMEDOUT);
  ck_assert_double_ge (w1.waited, 0.2);
  ck_assert_int_eq (w2.result, 0);
  ck_assert_int_eq (ot_peer_wait (&p2), '.');
  ck_assert (!ot_free_for (ot_path ("b"), false));
  ot_peer_stop (&p1);
  ot_peer_stop (&p2);
  pl_close (w1.fd);
  pl_close (w2.fd);
}
END_TEST

/* Threads of this process, or -1 where the system cannot tell.  */
static int
count_threads (void)
{
  DIR *d = opendir ("/proc/self/task");
  if (d == NULL)
    return -1;
  int n = 0;
  for (struct dirent *e; (e = readdir (d));)
    if (e->d_name[0] != '.')
      n++;
  closedir (d);
  return n;
}

static void *
nothing_main (void *arg)
{
  return arg;
}

/* The thread count comes back to N within a few seconds (a helper that
   handed over is detached and ends on its own), or -1 is returned where
   the system cannot count threads; else the count seen last.  */
static int
settled_threads (int n)
{
  double until = ot_now () + 5;
  int c;
  while ((c = count_threads ()) != n && c >= 0 && ot_now () < until)
    {
      struct timespec ms = { 0, 1000000 };
      nanosleep (&ms, NULL);
    }
  return c;
}

/* Waits one after the other, then two threads at once, all granted: no
   helper thread is left behind by any of them.  */
START_TEST (test_threads_both_granted)
{
  ot_use_backend (_i);
  /* One thread started and joined first, so that a runtime that starts
     a thread of its own with the first pthread_create (ThreadSanitizer)
     has done so before the count.  */
  pthread_t t0;
  ck_assert_int_eq (pthread_create (&t0, NULL, nothing_main, NULL), 0);
  pthread_join (t0, NULL);
  int before = count_threads ();

  /* A first wait that ends in a grant.  */
  struct ot_peer p0;
  held_by_peer (&p0, ot_path ("w"), 'X');
  int w = open_rw (ot_path ("w"));
  ot_peer_unlock_at (&p0, ot_now () + 0.05);
  ck_assert_int_eq (pl_lock_timed (w, PL_LOCK_EX, 30), 0);
  ck_assert_int_eq (ot_peer_wait (&p0), '.');
  ck_assert_int_eq (pl_close (w), 0);
  ot_peer_stop (&p0);
  if (before > 0)
    ck_assert_int_eq (settled_threads (before), before);

  struct ot_peer p1, p2;
  held_by_peer (&p1, ot_path ("a"), 'X');
  held_by_peer (&p2, ot_path ("b"), 'X');
  struct waiter w1 = { .fd = open_rw (ot_path ("a")), .timeout = 30 };
  struct waiter w2 = { .fd = open_rw (ot_path ("b")), .timeout = 30 };
  double at = ot_now () + 0.3;
  ot_peer_unlock_at (&p1, at);
  ot_peer_unlock_at (&p2, at);
  pthread_t t1, t2;
  ck_assert_int_eq (pthread_create (&t1, NULL, waiter_main, &w1), 0);
  ck_assert_int_eq (pthread_create (&t2, NULL, waiter_main, &w2), 0);
  pthread_join (t1, NULL);
  pthread_join (t2, NULL);
  ck_assert_int_eq (w1.result, 0);
  ck_assert_int_eq (w2.result, 0);
  ck_assert_int_eq (ot_peer_wait (&p1), '.');
  ck_assert_int_eq (ot_peer_wait (&p2), '.');
  ck_assert (!ot_free_for (ot_path ("a"), false));
  ck_assert (!ot_free_for (ot_path ("b"), false));
  if (before > 0)
    ck_assert_int_eq (settled_threads (before), before);
  ck_assert_int_eq (pl_close (w1.fd), 0);
  ck_assert_int_eq (pl_close (w2.fd), 0);
  ck_assert (ot_free_for (ot_path ("a"), true));
  ck_assert (ot_free_for (ot_path ("b"), true));
  ot_peer_stop (&p1);
  ot_peer_stop (&p2);
}
END_TEST

/* A fork right after a granted wait (whose helper may still be on its
   way out in the parent): the child's timed waits must still work.  */
START_TEST (test_fork_after_wait)
{
#if defined __SANITIZE_THREAD__
  /* ThreadSanitizer cannot follow a thread made in the forked child of a
     multithreaded process ("dup thread with used id", even with
     die_after_fork=0): a tool limit, not ours.  The case runs in every
     other build, ASan and valgrind included.  */
  puts ("# test_fork_after_wait: skipped under ThreadSanitizer");
  return;
#endif
  ot_use_backend (_i);
  const char *path = ot_path ("f");
  struct ot_peer p;
  held_by_peer (&p, path, 'X');
  int fd = open_rw (path);
  ot_peer_unlock_at (&p, ot_now () + 0.05);
  ck_assert_int_eq (pl_lock_timed (fd, PL_LOCK_EX, 30), 0);
  ck_assert_int_eq (ot_peer_wait (&p), '.');
  ck_assert_int_eq (pl_unlock (fd), 0);
  ck_assert_int_eq (ot_peer_cmd (&p, 'X'), '.');

  /* exit(), not _exit(): so that coverage tools count what the child
     ran (the stdio buffers were flushed before the fork).  Not under
     AddressSanitizer: its leak check at exit() would look at a
     thread of the parent that does not exist in the child.  */
#if defined __SANITIZE_ADDRESS__
# define child_exit _exit
#else
# define child_exit exit
#endif
  fflush (NULL);
  pid_t child = fork ();
  ck_assert_int_ge (child, 0);
  if (child == 0)
    {
      int cfd = open (path, O_RDWR | O_CLOEXEC);
      double t0 = ot_now ();
      int r = pl_lock_timed (cfd, PL_LOCK_EX, 0.1);
      if (r != PL_ETIMEDOUT || ot_now () - t0 < 0.1)
        child_exit (1);
      child_exit (0);
    }
  int status;
  ck_assert_int_eq (waitpid (child, &status, 0), child);
  ck_assert (WIFEXITED (status) && WEXITSTATUS (status) == 0);
  ot_peer_stop (&p);
  pl_close (fd);
}
END_TEST

static Suite *
timed_suite (void)
{
  Suite *s = suite_create ("timed");
  for (int i = 0; i < ot_n_backends (); i++)
    {
      TCase *tc = tcase_create (ot_backends ()[i]);
      tcase_set_timeout (tc, 120);
      tcase_add_loop_test (tc, test_bad_arguments, i, i + 1);
      tcase_add_loop_test (tc, test_free_lock, i, i + 1);
      tcase_add_loop_test (tc, test_zero_and_nb, i, i + 1);
      tcase_add_loop_test (tc, test_expiry, i, i + 1);
      tcase_add_loop_test (tc, test_handover, i, i + 1);
      tcase_add_loop_test (tc, test_shared_and_upgrade, i, i + 1);
      tcase_add_loop_test (tc, test_range, i, i + 1);
      tcase_add_loop_test (tc, test_deadline_race, i, i + 1);
      tcase_add_loop_test (tc, test_signal_storm_restart, i, i + 1);
      tcase_add_loop_test (tc, test_signal_storm_norestart, i, i + 1);
      tcase_add_loop_test (tc, test_no_handlers_installed, i, i + 1);
      tcase_add_loop_test (tc, test_threads, i, i + 1);
      tcase_add_loop_test (tc, test_threads_both_granted, i, i + 1);
      tcase_add_loop_test (tc, test_fork_after_wait, i, i + 1);
      suite_add_tcase (s, tc);
    }
  return s;
}

int
main (void)
{
  return ot_run (timed_suite ());
}
