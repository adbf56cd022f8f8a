/* bench-wait.c - P4 and P5: the timed wait's hand-over and its CPU cost.
   Copyright (C) 2026 The portalock authors.

   This program is free software: you can redistribute it and/or modify
   it under the terms of the GNU General Public License as published by
   the Free Software Foundation; either version 3 of the License, or (at
   your option) any later version.

   This program is distributed in the hope that it will be useful, but
   WITHOUT ANY WARRANTY; without even the implied warranty of
   MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.  See the GNU
   General Public License for more details.

   You should have received a copy of the GNU General Public License
   along with this program.  If not, see <https://www.gnu.org/licenses/>.

   P4: a holder process unlocks while this process waits; the hand-over is
   the time from just before the holder's unlock to the waiter's return
   (CLOCK_MONOTONIC is one clock for both processes).  Untimed blocking
   pl_lock() and pl_lock_timed() rounds are interleaved, so that the
   machine's noise hits both alike; the line reports the ratio of the
   medians, and the timed p99 in milliseconds.
   P5: CPU time (user + system, getrusage) of this process while it waits
   on a lock held by another, as a percentage of one core.
   P8: a lock object's acquire + release against open, flock, unlock and
   close by hand.

   Usage: bench-wait [--quick] [--rounds N] [--wait SECONDS]  */

#include <config.h>

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "portalock.h"

static double
now (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
die (const char *what, int code)
{
  fprintf (stderr, "bench-wait: %s: %s\n", what,
           code ? pl_strerror (code) : strerror (errno));
  exit (1);
}

static int
open_file (const char *path)
{
  int fd = open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    die (path, 0);
  return fd;
}

static void
put_byte (int fd)
{
  char c = 'x';
  if (write (fd, &c, 1) != 1)
    die ("write", 0);
}

static void
get_byte (int fd)
{
  char c;
  if (read (fd, &c, 1) != 1)
    die ("read", 0);
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

static double
percentile (double *v, int n, double p)
{
  qsort (v, n, sizeof *v, cmp_double);
  int i = (int) (p * (n - 1) + 0.5);
  return v[i];
}

/* The holder: per round, lock, tell the waiter to start, give it 2 ms to
   fall asleep in its wait, stamp the time, unlock, wait for "done".  */
static void
holder (const char *path, int rounds, int to_waiter, int from_waiter,
        volatile double *stamp)
{
  int fd = open_file (path);
  for (int i = 0; i < rounds; i++)
    {
      int r = pl_lock (fd, PL_LOCK_EX);
      if (r != 0)
        die ("holder lock", r);
      put_byte (to_waiter);
      get_byte (from_waiter);       /* the waiter is about to wait */
      struct timespec pause = { 0, 2000000 };
      nanosleep (&pause, NULL);
      *stamp = now ();
      pl_unlock (fd);
      get_byte (from_waiter);       /* the waiter got it and let go */
    }
  _exit (0);
}

static void
p4 (const char *path, int rounds)
{
  int to_waiter[2], from_waiter[2];
  if (pipe (to_waiter) != 0 || pipe (from_waiter) != 0)
    die ("pipe", 0);
  volatile double *stamp = mmap (NULL, sizeof (double),
                                 PROT_READ | PROT_WRITE,
                                 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (stamp == MAP_FAILED)
    die ("mmap", 0);
  pid_t pid = fork ();
  if (pid < 0)
    die ("fork", 0);
  if (pid == 0)
    holder (path, 2 * rounds, to_waiter[1], from_waiter[0], stamp);

  int fd = open_file (path);
  double *blocking = calloc (rounds, sizeof *blocking);
  double *timed = calloc (rounds, sizeof *timed);
  if (!blocking || !timed)
    die ("calloc", 0);
  for (int i = 0; i < 2 * rounds; i++)
    {
      get_byte (to_waiter[0]);
      put_byte (from_waiter[1]);
      bool is_timed = i % 2;
      int r = is_timed ? pl_lock_timed (fd, PL_LOCK_EX, 10.0)
                       : pl_lock (fd, PL_LOCK_EX);
      double t = now ();
      if (r != 0)
        die ("waiter lock", r);
      (is_timed ? timed : blocking)[i / 2] = t - *stamp;
      pl_unlock (fd);
      put_byte (from_waiter[1]);
    }
  waitpid (pid, NULL, 0);
  pl_close (fd);

  double mb = percentile (blocking, rounds, 0.5);
  double mt = percentile (timed, rounds, 0.5);
  double p99 = percentile (timed, rounds, 0.99);
  printf ("P4 timed-handover ratio=%.2f target<=3"
          " (median timed %.1f us, blocking %.1f us, %d rounds, %s)\n",
          mt / mb, mt * 1e6, mb * 1e6, rounds, pl_backend ());
  printf ("P4 timed-handover-p99 ms=%.3f target<=0.5\n", p99 * 1e3);
  free (blocking);
  free (timed);
}

static double
cpu_seconds (void)
{
  struct rusage ru;
  getrusage (RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6
         + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static void
p5 (const char *path, double seconds)
{
  int ready[2];
  if (pipe (ready) != 0)
    die ("pipe", 0);
  pid_t pid = fork ();
  if (pid < 0)
    die ("fork", 0);
  if (pid == 0)
    {
      int fd = open_file (path);
      if (pl_lock (fd, PL_LOCK_EX) != 0)
        _exit (1);
      put_byte (ready[1]);
      pause ();                 /* killed by the parent */
      _exit (0);
    }
  get_byte (ready[0]);
  int fd = open_file (path);
  double c0 = cpu_seconds (), t0 = now ();
  int r = pl_lock_timed (fd, PL_LOCK_EX, seconds);
  double t1 = now (), c1 = cpu_seconds ();
  kill (pid, SIGKILL);
  waitpid (pid, NULL, 0);
  pl_close (fd);
  if (r != PL_ETIMEDOUT)
    die ("P5 expected PL_ETIMEDOUT", r);
  printf ("P5 timed-wait-cpu percent=%.3f target<1"
          " (%.2f s waited, %.4f s CPU)\n",
          100 * (c1 - c0) / (t1 - t0), t1 - t0, c1 - c0);
}

/* P8: a lock object's acquire + release (open, lock, check the path
   still names the file, unlock, close) against the bare sequence
   open + flock + unlock + close, interleaved in batches.  */
static void
p8 (const char *path, int n)
{
  pl_lockfile *lf;
  struct pl_lockfile_options o = PL_LOCKFILE_OPTIONS_INIT;
  if (pl_lockfile_new (&lf, path, &o) != 0)
    die ("pl_lockfile_new", 0);
  enum { BATCH = 200 };
  int batches = n / BATCH > 0 ? n / BATCH : 1;
  double *raw = calloc (batches, sizeof *raw);
  double *obj = calloc (batches, sizeof *obj);
  if (!raw || !obj)
    die ("calloc", 0);
  for (int b = 0; b < batches; b++)
    {
      double t0 = now ();
      for (int i = 0; i < BATCH; i++)
        {
          int fd = open (path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
                         0644);
          if (fd < 0 || pl_lock (fd, PL_LOCK_EX) != 0)
            die ("raw", 0);
          pl_unlock (fd);
          close (fd);
        }
      double t1 = now ();
      for (int i = 0; i < BATCH; i++)
        {
          int r = pl_lockfile_acquire (lf, NULL, NULL);
          if (r != 0)
            die ("pl_lockfile_acquire", r);
          pl_lockfile_release (lf);
        }
      double t2 = now ();
      raw[b] = (t1 - t0) / BATCH;
      obj[b] = (t2 - t1) / BATCH;
    }
  double mr = percentile (raw, batches, 0.5);
  double mo = percentile (obj, batches, 0.5);
  printf ("P8 lockfile-acquire-release ratio=%.2f target<=1.10"
          " (object %.2f us, open+lock+unlock+close %.2f us, %s)\n",
          mo / mr, mo * 1e6, mr * 1e6, pl_backend ());
  free (raw);
  free (obj);
  pl_lockfile_free (lf);
}

int
main (int argc, char **argv)
{
  int rounds = 200;
  double wait = 10;
  for (int i = 1; i < argc; i++)
    if (strcmp (argv[i], "--quick") == 0)
      rounds = 100, wait = 2;
    else if (strcmp (argv[i], "--rounds") == 0 && i + 1 < argc)
      rounds = atoi (argv[++i]);
    else if (strcmp (argv[i], "--wait") == 0 && i + 1 < argc)
      wait = atof (argv[++i]);
    else
      {
        fprintf (stderr, "usage: %s [--quick] [--rounds N] [--wait S]\n",
                 argv[0]);
        return 2;
      }
  if (rounds < 1)
    rounds = 1;

  char path[] = "/tmp/portalock-bench-wait-XXXXXX";
  int fd = mkstemp (path);
  if (fd < 0)
    die ("mkstemp", 0);
  close (fd);
  p4 (path, rounds);
  p5 (path, wait);
  p8 (path, rounds * 100);
  unlink (path);
  return 0;
}
