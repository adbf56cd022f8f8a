/* objtest.c - helpers for the timed-wait and lock-object tests.
   Copyright (C) 2026 The portalock authors.
   This file is part of portalock, under the GNU GPL 3 or later.  */

#include <config.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "portalock.h"
#include "objtest.h"

static const char *chosen[32];
static void new_dir (void);

const char *const *
ot_backends (void)
{
  if (chosen[0])
    return chosen;
  const char *env = getenv ("PORTALOCK_BACKEND");
  const char *const *all = pl_backends ();
  int n = 0;
  for (int i = 0; all[i] && n < 31; i++)
    if (!env || !*env || strcmp (env, "auto") == 0
        || strcmp (env, all[i]) == 0)
      chosen[n++] = all[i];
  chosen[n] = NULL;
  return chosen;
}

int
ot_n_backends (void)
{
  int n = 0;
  for (const char *const *b = ot_backends (); *b; b++)
    n++;
  return n;
}

void
ot_use_backend (int i)
{
  ck_assert_int_eq (pl_set_backend (ot_backends ()[i]), 0);
  new_dir ();                   /* a fresh directory for each test */
}

double
ot_now (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

void
ot_sleep_until (double t)
{
  struct timespec ts;
  ts.tv_sec = (time_t) t;
  ts.tv_nsec = (long) ((t - (double) ts.tv_sec) * 1e9);
  while (clock_nanosleep (CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL)
         == EINTR)
    continue;
}

/* The current test's directory; every directory made, to remove at exit
   by the process that made it (children inherit the current one).  */
static char dir[256];
static char *made[256];
static int n_made;
static pid_t maker;

static void
remove_dirs (void)
{
  if (maker != getpid ())
    return;
  for (int i = 0; i < n_made; i++)
    {
      char cmd[300];
      snprintf (cmd, sizeof cmd, "rm -rf '%s'", made[i]);
      if (system (cmd) != 0)
        fprintf (stderr, "could not remove %s\n", made[i]);
    }
}

static void
new_dir (void)
{
  const char *tmp = getenv ("TMPDIR");
  snprintf (dir, sizeof dir, "%s/portalock-test-XXXXXX",
            tmp && *tmp ? tmp : "/tmp");
  ck_assert_ptr_nonnull (mkdtemp (dir));
  if (maker != getpid ())
    {
      maker = getpid ();
      n_made = 0;
      atexit (remove_dirs);
    }
  if (n_made < 256)
    made[n_made++] = strdup (dir);
}

const char *
ot_dir (void)
{
  if (dir[0] == '\0')
    new_dir ();
  return dir;
}

const char *
ot_path (const char *name)
{
  static char buf[8][512];
  static int next;
  char *p = buf[next++ % 8];
  snprintf (p, sizeof buf[0], "%s/%s", ot_dir (), name);
  return p;
}

/* ---- Peers ---- */

static bool
read_all (int fd, void *buf, size_t n)
{
  char *p = buf;
  while (n > 0)
    {
      ssize_t r = read (fd, p, n);
      if (r < 0 && errno == EINTR)
        continue;
      if (r <= 0)
        return false;
      p += r;
      n -= r;
    }
  return true;
}

static void
write_all (int fd, const void *buf, size_t n)
{
  const char *p = buf;
  while (n > 0)
    {
      ssize_t r = write (fd, p, n);
      if (r < 0 && errno == EINTR)
        continue;
      if (r <= 0)
        _exit (3);
      p += r;
      n -= r;
    }
}

static char
peer_try (int fd, int flags)
{
  int r = pl_lock (fd, flags | PL_LOCK_NB);
  return r == 0 ? '1' : r == PL_EBUSY ? '0' : '!';
}

static void
peer_main (const char *path, int in, int out)
{
  int fd = open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  char c;
  while (read_all (in, &c, 1))
    {
      char reply = '.';
      double t;
      if (fd < 0)
        reply = '!';
      else
        switch (c)
          {
          case 'X':
          case 'S':
            reply = pl_lock (fd, c == 'X' ? PL_LOCK_EX : PL_LOCK_SH)
                    ? '!' : '.';
            break;
          case 'x':
            reply = peer_try (fd, PL_LOCK_EX);
            break;
          case 's':
            reply = peer_try (fd, PL_LOCK_SH);
            break;
          case 'U':
            reply = pl_unlock (fd) ? '!' : '.';
            break;
          case 'D':
            if (!read_all (in, &t, sizeof t))
              _exit (2);
            ot_sleep_until (t);
            reply = pl_unlock (fd) ? '!' : '.';
            break;
          case 'P':
            {
              char buf[32];
              int n = snprintf (buf, sizeof buf, "%ld", (long) getpid ());
              write_all (out, buf, n);
              reply = '\n';
            }
            break;
          default:
            reply = '!';
          }
      write_all (out, &reply, 1);
    }
  _exit (0);
}

void
ot_peer_start (struct ot_peer *p, const char *path)
{
  int down[2], up[2];
  ck_assert_int_eq (pipe (down), 0);
  ck_assert_int_eq (pipe (up), 0);
  p->pid = fork ();
  ck_assert_int_ge (p->pid, 0);
  if (p->pid == 0)
    {
      close (down[1]);
      close (up[0]);
      peer_main (path, down[0], up[1]);
    }
  close (down[0]);
  close (up[1]);
  p->to = down[1];
  p->from = up[0];
}

char
ot_peer_wait (struct ot_peer *p)
{
  char c;
  ck_assert_msg (read_all (p->from, &c, 1), "peer %ld died",
                 (long) p->pid);
  return c;
}

char
ot_peer_cmd (struct ot_peer *p, char cmd)
{
  write_all (p->to, &cmd, 1);
  return ot_peer_wait (p);
}

void
ot_peer_unlock_at (struct ot_peer *p, double t)
{
  char cmd = 'D';
  write_all (p->to, &cmd, 1);
  write_all (p->to, &t, sizeof t);
}

void
ot_peer_stop (struct ot_peer *p)
{
  if (p->pid <= 0)
    return;
  close (p->to);
  close (p->from);
  /* Not relying on EOF: a later fork may hold the pipe's other end.  */
  kill (p->pid, SIGKILL);
  int status;
  while (waitpid (p->pid, &status, 0) < 0 && errno == EINTR)
    continue;
  p->pid = 0;
}

bool
ot_free_for (const char *path, bool exclusive)
{
  struct ot_peer p;
  ot_peer_start (&p, path);
  char c = ot_peer_cmd (&p, exclusive ? 'x' : 's');
  ot_peer_stop (&p);
  ck_assert_msg (c == '1' || c == '0', "checker failed");
  return c == '1';
}

int
ot_run (Suite *s)
{
  if (ot_n_backends () == 0)
    {
      printf ("1..0 # SKIP no such backend: %s\n",
              getenv ("PORTALOCK_BACKEND"));
      return 77;
    }
  SRunner *sr = srunner_create (s);
  srunner_run_all (sr, CK_ENV);
  int failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
