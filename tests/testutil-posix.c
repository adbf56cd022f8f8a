/* testutil-posix.c - tests/testutil.h for POSIX systems.
   Copyright (C) 2026 The portalock authors.

   This program is free software: you can redistribute it and/or modify
   it under the terms of the GNU General Public License as published by
   the Free Software Foundation; either version 3 of the License, or (at
   your option) any later version.  See COPYING.  */

#include <config.h>

#include "testutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#if HAVE_LINUX_KCMP_H
# include <linux/kcmp.h>
# include <sys/syscall.h>
#endif

#ifndef O_CLOEXEC
# define O_CLOEXEC 0            /* then set with fcntl below */
#endif

int
test_file (char *buf, size_t size, const char *tag)
{
  static unsigned counter;
  int n = snprintf (buf, size, "t-%s-%ld-%u.tmp", tag, (long) getpid (),
                    counter++);
  if (n < 0 || (size_t) n >= size)
    return -1;
  int fd = open (buf, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    {
      fprintf (stderr, "test_file: %s: %s\n", buf, strerror (errno));
      return -1;
    }
  close (fd);
  return 0;
}

static int
open_cloexec (const char *path, int flags)
{
  int fd = open (path, flags | O_CLOEXEC, 0644);
  if (fd >= 0 && O_CLOEXEC == 0)
    fcntl (fd, F_SETFD, FD_CLOEXEC);
  return fd;
}

int
test_open (const char *path)
{
  return open_cloexec (path, O_RDWR | O_CREAT);
}

int
test_open_rdonly (const char *path)
{
  return open_cloexec (path, O_RDONLY);
}

int
test_open_wronly (const char *path)
{
  return open_cloexec (path, O_WRONLY);
}

int
test_dup (int fd)
{
#ifdef F_DUPFD_CLOEXEC
  return fcntl (fd, F_DUPFD_CLOEXEC, 0);
#else
  int d = dup (fd);
  if (d >= 0)
    fcntl (d, F_SETFD, FD_CLOEXEC);
  return d;
#endif
}

int
test_open_dir (const char *path)
{
  return open_cloexec (path, O_RDONLY);
}

void
test_setenv (const char *name, const char *value)
{
  if (value)
    setenv (name, value, 1);
  else
    unsetenv (name);
}

bool
test_kernel_knows_duplicates (int fd, int dup)
{
#if HAVE_LINUX_KCMP_H && defined SYS_kcmp
  return syscall (SYS_kcmp, (long) getpid (), (long) getpid (), KCMP_FILE,
                  (long) fd, (long) dup) == 0;
#else
  (void) fd;
  (void) dup;
  return false;
#endif
}

void
test_close_raw (int fd)
{
  close (fd);
}

void
test_remove (const char *path)
{
  unlink (path);
}

int
test_closed_fd (void)
{
  int fd = open_cloexec ("/dev/null", O_RDONLY);
  if (fd >= 0)
    close (fd);
  return fd;
}

/* /proc/self/fd where there is one (Linux); else ask fcntl about every
   number up to a bound that covers what a test opens.  */
int
test_count_fds (void)
{
  DIR *d = opendir ("/proc/self/fd");
  if (d)
    {
      int n = 0;
      struct dirent *e;
      while ((e = readdir (d)) != NULL)
        if (e->d_name[0] != '.')
          n++;
      closedir (d);
      return n - 1;             /* the directory's own descriptor */
    }
  int n = 0;
  for (int fd = 0; fd < 4096; fd++)
    if (fcntl (fd, F_GETFD) != -1)
      n++;
  return n;
}

void
test_limit_memory_growth (size_t bytes)
{
  /* The current size from /proc (first field of statm, in pages), so
     that sanitizers' large reservations already made still fit.  */
  FILE *f = fopen ("/proc/self/statm", "r");
  unsigned long pages;
  if (f == NULL)
    return;
  int n = fscanf (f, "%lu", &pages);
  fclose (f);
  long page = sysconf (_SC_PAGESIZE);
  if (n != 1 || page <= 0)
    return;
  struct rlimit rl;
  if (getrlimit (RLIMIT_AS, &rl) != 0)
    return;
  rlim_t want = (rlim_t) pages * (rlim_t) page + bytes;
  if (rl.rlim_max != RLIM_INFINITY && want > rl.rlim_max)
    want = rl.rlim_max;
  if (rl.rlim_cur == RLIM_INFINITY || want < rl.rlim_cur)
    {
      rl.rlim_cur = want;
      setrlimit (RLIMIT_AS, &rl);
    }
}

static char watchdog_msg[256];

static void
watchdog_fire (int sig)
{
  size_t len = strlen (watchdog_msg);
  if (write (STDERR_FILENO, watchdog_msg, len) < 0)
    _exit (99);
  signal (sig, SIG_DFL);
  raise (sig);
}

/* alarm(): the process dies of SIGALRM, which Check reports as an error
   of the test that was running (and which ends a CK_FORK=no run).  */
void
test_watchdog (unsigned seconds, const char *what)
{
  if (seconds == 0)
    {
      alarm (0);
      return;
    }
  snprintf (watchdog_msg, sizeof watchdog_msg,
            "watchdog: %s did not return within %u s\n",
            what ? what : "the test", seconds);
  signal (SIGALRM, watchdog_fire);
  alarm (seconds);
}

bool
test_os_error_is_busy (int os_error)
{
  return os_error == EAGAIN || os_error == EWOULDBLOCK || os_error == EACCES;
}

int
test_os_ebadf (void)
{
  return EBADF;
}

long long
test_now_ns (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

struct test_thread
{
  pthread_t id;
};

struct test_thread *
test_thread_start (void *(*fn) (void *), void *arg)
{
  struct test_thread *t = malloc (sizeof *t);
  if (t == NULL)
    return NULL;
  int err = pthread_create (&t->id, NULL, fn, arg);
  if (err != 0)
    {
      fprintf (stderr, "pthread_create: %s\n", strerror (err));
      free (t);
      return NULL;
    }
  return t;
}

void *
test_thread_join (struct test_thread *t)
{
  void *result = NULL;
  if (t == NULL)
    return NULL;
  pthread_join (t->id, &result);
  free (t);
  return result;
}

void
test_yield (void)
{
  sched_yield ();
}

bool
test_pwrite (int fd, const void *data, size_t len, long offset)
{
  return pwrite (fd, data, len, offset) == (ssize_t) len;
}

bool
test_pread (int fd, void *data, size_t len, long offset)
{
  return pread (fd, data, len, offset) == (ssize_t) len;
}
