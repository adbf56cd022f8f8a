/* minicheck.c - the Check subset of minicheck.h, printing TAP.
   Copyright (C) 2026 The portalock authors.

   This program is free software: you can redistribute it and/or modify
   it under the terms of the GNU General Public License as published by
   the Free Software Foundation; either version 3 of the License, or (at
   your option) any later version.  See COPYING.  */

#include <config.h>

#include "minicheck.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _WIN32
# define WIN32_LEAN_AND_MEAN
# include <windows.h>
# include <fcntl.h>
# include <io.h>
# include <setjmp.h>
#else
# include <errno.h>
# include <fcntl.h>
# include <signal.h>
# include <sys/wait.h>
# include <time.h>
# include <unistd.h>
#endif

struct TCase
{
  char *name;
  const mc_test **tests;
  size_t n, cap;
  double timeout;               /* seconds; 0: none */
  TCase *next;
};

struct Suite
{
  char *name;
  TCase *first, *last;
};

struct SRunner
{
  Suite *suite;
  int failed;
};

static void *
xmalloc (size_t n)
{
  void *p = calloc (1, n);
  if (p == NULL)
    {
      fputs ("Bail out! minicheck: out of memory\n", stdout);
      exit (99);
    }
  return p;
}

static char *
xstrdup (const char *s)
{
  size_t n = strlen (s) + 1;
  return memcpy (xmalloc (n), s, n);
}

/* Check's default timeout, CK_DEFAULT_TIMEOUT, CK_TIMEOUT_MULTIPLIER.  */
static double
env_double (const char *name, double dflt)
{
  const char *v = getenv (name);
  if (v == NULL || *v == '\0')
    return dflt;
  char *end;
  double d = strtod (v, &end);
  return *end == '\0' && d >= 0 ? d : dflt;
}

Suite *
suite_create (const char *name)
{
  Suite *s = xmalloc (sizeof *s);
  s->name = xstrdup (name ? name : "");
  return s;
}

TCase *
tcase_create (const char *name)
{
  TCase *tc = xmalloc (sizeof *tc);
  tc->name = xstrdup (name ? name : "");
  tc->timeout = env_double ("CK_DEFAULT_TIMEOUT", 4);
  return tc;
}

void
suite_add_tcase (Suite *s, TCase *tc)
{
  if (s->last)
    s->last->next = tc;
  else
    s->first = tc;
  s->last = tc;
}

void
tcase_add_test (TCase *tc, const mc_test *t)
{
  if (tc->n == tc->cap)
    {
      size_t cap = tc->cap ? 2 * tc->cap : 16;
      const mc_test **a = xmalloc (cap * sizeof *a);
      if (tc->n)
        memcpy (a, tc->tests, tc->n * sizeof *a);
      free (tc->tests);
      tc->tests = a;
      tc->cap = cap;
    }
  tc->tests[tc->n++] = t;
}

void
tcase_set_timeout (TCase *tc, double seconds)
{
  if (seconds >= 0)
    tc->timeout = seconds;
}

SRunner *
srunner_create (Suite *s)
{
  SRunner *sr = xmalloc (sizeof *sr);
  sr->suite = s;
  return sr;
}

int
srunner_ntests_failed (SRunner *sr)
{
  return sr->failed;
}

void
srunner_free (SRunner *sr)
{
  if (sr == NULL)
    return;
  for (TCase *tc = sr->suite->first, *next; tc; tc = next)
    {
      next = tc->next;
      free (tc->tests);
      free (tc->name);
      free (tc);
    }
  free (sr->suite->name);
  free (sr->suite);
  free (sr);
}

/* The message of the current failure, one line (TAP is line-based).  */
static char fail_msg[1024];

static void
format_failure (const char *file, int line, const char *fmt, va_list ap)
{
  const char *base = strrchr (file, '/');
  int n = snprintf (fail_msg, sizeof fail_msg, "%s:%d: ",
                    base ? base + 1 : file, line);
  if (n < 0 || (size_t) n >= sizeof fail_msg)
    n = 0;
  vsnprintf (fail_msg + n, sizeof fail_msg - n, fmt, ap);
  for (char *p = fail_msg; *p; p++)
    if (*p == '\n' || *p == '\r')
      *p = ' ';
}

static void
report (int number, const TCase *tc, const mc_test *t, const char *failure)
{
  if (failure)
    printf ("not ok %d - %s:%s # %s\n", number, tc->name, t->name, failure);
  else
    printf ("ok %d - %s:%s\n", number, tc->name, t->name);
  fflush (stdout);
}

#ifdef _WIN32

/* No fork: the test runs here.  A failed assertion in the runner's
   thread longjmps back; one in another thread cannot, and ends the run.
   A watchdog thread ends the run at the timeout.  */

static jmp_buf fail_jump;
static DWORD runner_thread;
static int current_number;
static const TCase *current_tc;
static const mc_test *current_test;

void
mc_fail (const char *file, int line, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  format_failure (file, line, fmt, ap);
  va_end (ap);
  if (GetCurrentThreadId () == runner_thread)
    longjmp (fail_jump, 1);
  report (current_number, current_tc, current_test, fail_msg);
  fputs ("Bail out! assertion failed in a thread of the test\n", stdout);
  fflush (stdout);
  _exit (1);
}

struct watch
{
  HANDLE done;
  DWORD ms;
};

static DWORD WINAPI
watchdog (void *arg)
{
  struct watch *w = arg;
  if (WaitForSingleObject (w->done, w->ms) == WAIT_TIMEOUT)
    {
      char msg[128];
      snprintf (msg, sizeof msg, "timeout: still running after %lu ms",
                (unsigned long) w->ms);
      report (current_number, current_tc, current_test, msg);
      fputs ("Bail out! a test timed out\n", stdout);
      fflush (stdout);
      /* Not exit(): the test thread may hold the CRT's locks.  */
      TerminateProcess (GetCurrentProcess (), 1);
    }
  return 0;
}

static bool
run_one (int number, const TCase *tc, const mc_test *t, double timeout)
{
  current_number = number;
  current_tc = tc;
  current_test = t;
  runner_thread = GetCurrentThreadId ();

  struct watch w = { .done = NULL };
  HANDLE thread = NULL;
  if (timeout > 0)
    {
      w.done = CreateEventW (NULL, TRUE, FALSE, NULL);
      w.ms = (DWORD) (timeout * 1000);
      thread = w.done ? CreateThread (NULL, 0, watchdog, &w, 0, NULL) : NULL;
    }

  volatile bool ok = true;
  if (setjmp (fail_jump) == 0)
    t->fn (0);
  else
    ok = false;

  if (thread)
    {
      SetEvent (w.done);
      WaitForSingleObject (thread, INFINITE);
      CloseHandle (thread);
    }
  if (w.done)
    CloseHandle (w.done);
  report (number, tc, t, ok ? NULL : fail_msg);
  return ok;
}

/* A crash would start wine's debugger (or Windows Error Reporting) and
   leave the TAP stream unfinished: report it as this test's failure and
   end the run.  */
static LONG WINAPI
crash_filter (EXCEPTION_POINTERS *info)
{
  char msg[128];
  snprintf (msg, sizeof msg, "crashed: exception 0x%08lx",
            (unsigned long) info->ExceptionRecord->ExceptionCode);
  report (current_number, current_tc, current_test, msg);
  fputs ("Bail out! a test crashed\n", stdout);
  fflush (stdout);
  TerminateProcess (GetCurrentProcess (), 1);
  return EXCEPTION_EXECUTE_HANDLER;
}

static void
setup_output (void)
{
  SetErrorMode (SEM_FAILCRITICALERRORS | SEM_NOGPFAULTERRORBOX);
  SetUnhandledExceptionFilter (crash_filter);
  /* Text mode would write "1..N\r\n", and the TAP driver would not take
     "N\r" for a number.  */
  _setmode (_fileno (stdout), _O_BINARY);
  _setmode (_fileno (stderr), _O_BINARY);
}

#else /* !_WIN32 */

/* As Check's CK_FORK=yes: each test in a child, whose failure message
   comes back through a pipe (close-on-exec, so that helper programs the
   test starts do not hold it open).  */

static int fail_fd = -1;

void
mc_fail (const char *file, int line, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  format_failure (file, line, fmt, ap);
  va_end (ap);
  size_t len = strlen (fail_msg), off = 0;
  while (off < len)
    {
      ssize_t w = write (fail_fd, fail_msg + off, len - off);
      if (w < 0 && errno == EINTR)
        continue;
      if (w <= 0)
        break;
      off += w;
    }
  _exit (1);
}

static double
now (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Wait for PID until TIMEOUT seconds (0: for ever); kill it then.
   Returns its wait status, or -1 if it had to be killed.  */
static int
wait_child (pid_t pid, double timeout)
{
  double deadline = now () + timeout;
  int status;
  for (;;)
    {
      pid_t r = waitpid (pid, &status, timeout > 0 ? WNOHANG : 0);
      if (r == pid)
        return status;
      if (r < 0 && errno != EINTR)
        return -2;
      if (timeout > 0 && now () >= deadline)
        {
          kill (pid, SIGKILL);
          while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
            continue;
          return -1;
        }
      struct timespec nap = { 0, 5 * 1000 * 1000 };
      nanosleep (&nap, NULL);
    }
}

static bool
run_one (int number, const TCase *tc, const mc_test *t, double timeout)
{
  int p[2];
  if (pipe (p) != 0)
    {
      report (number, tc, t, "minicheck: pipe failed");
      return false;
    }
  fcntl (p[0], F_SETFD, FD_CLOEXEC);
  fcntl (p[1], F_SETFD, FD_CLOEXEC);
  fflush (NULL);
  pid_t pid = fork ();
  if (pid == 0)
    {
      close (p[0]);
      fail_fd = p[1];
      t->fn (0);
      fflush (NULL);
      _exit (0);
    }
  close (p[1]);
  if (pid < 0)
    {
      close (p[0]);
      report (number, tc, t, "minicheck: fork failed");
      return false;
    }
  int status = wait_child (pid, timeout);
  char msg[sizeof fail_msg];
  fcntl (p[0], F_SETFL, O_NONBLOCK);
  ssize_t n = read (p[0], msg, sizeof msg - 1);
  close (p[0]);
  msg[n > 0 ? n : 0] = '\0';

  if (status == -1)
    snprintf (msg, sizeof msg, "timeout: killed after %g s", timeout);
  else if (status == -2)
    snprintf (msg, sizeof msg, "minicheck: waitpid failed");
  else if (WIFSIGNALED (status))
    snprintf (msg, sizeof msg, "killed by signal %d", WTERMSIG (status));
  else if (WEXITSTATUS (status) == 0 && n <= 0)
    {
      report (number, tc, t, NULL);
      return true;
    }
  else if (n <= 0)
    snprintf (msg, sizeof msg, "exited with status %d",
              WEXITSTATUS (status));
  report (number, tc, t, msg);
  return false;
}

static void
setup_output (void)
{
}

#endif /* !_WIN32 */

void
srunner_run_all (SRunner *sr, enum print_output mode)
{
  (void) mode;
  setup_output ();
  double multiplier = env_double ("CK_TIMEOUT_MULTIPLIER", 1);

  int total = 0;
  for (TCase *tc = sr->suite->first; tc; tc = tc->next)
    total += (int) tc->n;
  printf ("1..%d\n", total);
  fflush (stdout);

  int number = 0;
  for (TCase *tc = sr->suite->first; tc; tc = tc->next)
    for (size_t i = 0; i < tc->n; i++)
      if (!run_one (++number, tc, tc->tests[i], tc->timeout * multiplier))
        sr->failed++;
}
