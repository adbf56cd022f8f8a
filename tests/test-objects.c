/* test-objects.c - lock objects, reentrancy, temporary lock files,
   semaphores, atomic writes, pl_who and symlink refusal, on every
   backend, with real second processes.
   Copyright (C) 2026 The portalock authors.
   This file is part of portalock, under the GNU GPL 3 or later.  */

#include <config.h>

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "portalock.h"
#include "testutil.h"
#include "objtest.h"

static const char *
backend (int i)
{
  return ot_backends ()[i];
}

static void
write_file (const char *path, const char *text)
{
  int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  ck_assert_int_ge (fd, 0);
  ck_assert_int_eq (write (fd, text, strlen (text)), (ssize_t) strlen (text));
  close (fd);
}

static char *
read_file (const char *path)
{
  static char buf[4096];
  int fd = open (path, O_RDONLY | O_CLOEXEC);
  ck_assert_int_ge (fd, 0);
  ssize_t n = read (fd, buf, sizeof buf - 1);
  ck_assert_int_ge (n, 0);
  buf[n] = '\0';
  close (fd);
  return buf;
}

/* Run FN (I) in N child processes at once; all must exit 0.  */
static void
run_children (int n, int (*fn) (int))
{
  pid_t pids[64];
  ck_assert_int_le (n, 64);
  for (int i = 0; i < n; i++)
    {
      pids[i] = fork ();
      ck_assert_int_ge (pids[i], 0);
      if (pids[i] == 0)
        _exit (fn (i));
    }
  int bad = 0;
  for (int i = 0; i < n; i++)
    {
      int status;
      ck_assert_int_eq (waitpid (pids[i], &status, 0), pids[i]);
      if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
        bad++;
    }
  ck_assert_msg (bad == 0, "%d of %d children failed", bad, n);
}

static pl_lockfile *
new_lock (const char *path, struct pl_lockfile_options *o)
{
  pl_lockfile *lf;
  ck_assert_int_eq (pl_lockfile_new (&lf, path, o), 0);
  return lf;
}

/* ---- Lock objects ---- */

START_TEST (test_lockfile_basic)
{
  ot_use_backend (_i);
  const char *path = ot_path ("lock");
  pl_lockfile *lf = new_lock (path, NULL);
  ck_assert_uint_eq (pl_lockfile_depth (lf), 0);
  int fd = -1;
  FILE *fp = NULL;
  ck_assert_int_eq (pl_lockfile_acquire (lf, &fd, &fp), 0);
  ck_assert_int_ge (fd, 0);
  ck_assert_ptr_nonnull (fp);
  ck_assert_int_eq (fileno (fp), fd);
  ck_assert (fcntl (fd, F_GETFD) & FD_CLOEXEC);
  ck_assert_uint_eq (pl_lockfile_depth (lf), 1);
  ck_assert (!ot_free_for (path, false));
  ck_assert_int_gt (fprintf (fp, "hello\n"), 0);
  ck_assert_int_eq (pl_lockfile_release (lf), 0);
  ck_assert_str_eq (read_file (path), "hello\n");
  ck_assert (ot_free_for (path, true));
  ck_assert_int_eq (pl_lockfile_release (lf), PL_EINVAL);
  /* Default open mode appends.  */
  ck_assert_int_eq (pl_lockfile_acquire (lf, NULL, &fp), 0);
  fprintf (fp, "again\n");
  pl_lockfile_free (lf);        /* releases */
  ck_assert_str_eq (read_file (path), "hello\nagain\n");
  ck_assert (ot_free_for (path, true));
  pl_lockfile_free (NULL);
}
END_TEST

START_TEST (test_lockfile_bad_options)
{
  ot_use_backend (_i);
  pl_lockfile *lf;
  struct pl_lockfile_options o = PL_LOCKFILE_OPTIONS_INIT;
  ck_assert_int_eq (pl_lockfile_new (&lf, NULL, NULL), PL_EINVAL);
  ck_assert_int_eq (pl_lockfile_new (&lf, "", NULL), PL_EINVAL);
  ck_assert_int_eq (pl_lockfile_new (NULL, "x", NULL), PL_EINVAL);
  o.size = 1;
  ck_assert_int_eq (pl_lockfile_new (&lf, "x", &o), PL_EINVAL);
  o = (struct pl_lockfile_options) PL_LOCKFILE_OPTIONS_INIT;
  o.flags = PL_LOCK_EX | PL_LOCK_SH;
  ck_assert_int_eq (pl_lockfile_new (&lf, "x", &o), PL_EINVAL);
  o = (struct pl_lockfile_options) PL_LOCKFILE_OPTIONS_INIT;
  o.timeout = NAN;
  ck_assert_int_eq (pl_lockfile_new (&lf, "x", &o), PL_EINVAL);
  o.timeout = -1;
  ck_assert_int_eq (pl_lockfile_new (&lf, "x", &o), PL_EINVAL);
  o = (struct pl_lockfile_options) PL_LOCKFILE_OPTIONS_INIT;
  o.open = 0x1000;
  ck_assert_int_eq (pl_lockfile_new (&lf, "x", &o), PL_EINVAL);
  o = (struct pl_lockfile_options) PL_LOCKFILE_OPTIONS_INIT;
  o.behaviour = 0x100;
  ck_assert_int_eq (pl_lockfile_new (&lf, "x", &o), PL_EINVAL);
  o.flags = PL_LOCK_SH;
  o.behaviour = PL_LOCKFILE_TEMPORARY;
  ck_assert_int_eq (pl_lockfile_new (&lf, "x", &o), PL_EINVAL);
  o.behaviour = PL_LOCKFILE_PIDFILE;
  ck_assert_int_eq (pl_lockfile_new (&lf, "x", &o), PL_EINVAL);
  ck_assert_int_eq (pl_lockfile_acquire (NULL, NULL, NULL), PL_EINVAL);
  ck_assert_int_eq (pl_lockfile_release (NULL), PL_EINVAL);

  /* An older caller that knew only the first fields: the rest default. */
  o = (struct pl_lockfile_options) PL_LOCKFILE_OPTIONS_INIT;
  o.size = offsetof (struct pl_lockfile_options, flags);
  o.flags = 12345;              /* beyond its size: ignored */
  ck_assert_int_eq (pl_lockfile_new (&lf, ot_path ("old"), &o), 0);
  ck_assert_int_eq (pl_lockfile_acquire (lf, NULL, NULL), 0);
  pl_lockfile_free (lf);

  /* Paths that cannot be locked: clear codes, nothing left open.  */
  ck_assert_int_eq (mkdir (ot_path ("dir"), 0700), 0);
  lf = new_lock (ot_path ("dir"), NULL);
  ck_assert_int_eq (pl_lockfile_acquire (lf, NULL, NULL), PL_EISDIR);
  pl_lockfile_free (lf);
  o = (struct pl_lockfile_options) PL_LOCKFILE_OPTIONS_INIT;
  o.open = PL_OPEN_READ | PL_OPEN_WRITE;        /* no create */
  lf = new_lock (ot_path ("missing"), &o);
  ck_assert_int_eq (pl_lockfile_acquire (lf, NULL, NULL), PL_ENOENT);
  pl_lockfile_free (lf);
  lf = new_lock (ot_path ("nodir/x"), NULL);
  ck_assert_int_eq (pl_lockfile_acquire (lf, NULL, NULL), PL_ENOENT);
  pl_lockfile_free (lf);
  char longname[5000];
  memset (longname, 'a', sizeof longname - 1);
  longname[sizeof longname - 1] = '\0';
  lf = new_lock (longname, NULL);
  ck_assert_int_eq (pl_lockfile_acquire (lf, NULL, NULL), PL_ENAMETOOLONG);
  pl_lockfile_free (lf);

  /* The path codes have names and messages.  */
  for (int code = PL_ENOENT; code >= PL_ENOTDIR; code--)
    {
      ck_assert_str_ne (pl_strerror_name (code), "PL_UNKNOWN");
      ck_assert_str_ne (pl_strerror (code), "unknown error");
    }
  ck_assert_str_eq (pl_strerror_name (PL_ELOOP), "PL_ELOOP");
}
END_TEST

START_TEST (test_fail_when_locked)
{
  ot_use_backend (_i);
  const char *path = ot_path ("lock");
  struct ot_peer p;
  ot_peer_start (&p, path);
  ck_assert_int_eq (ot_peer_cmd (&p, 'X'), '.');

  struct pl_lockfile_options o = PL_LOCKFILE_OPTIONS_INIT;
  o.timeout = 30;
  o.fail_when_locked = 1;
  pl_lockfile *lf = new_lock (path, &o);
  double t0 = ot_now ();
  ck_assert_int_eq (pl_lockfile_acquire (lf, NULL, NULL), PL_EBUSY);
  ck_assert_double_lt (ot_now () - t0, 15);
  pl_lockfile_free (lf);

  o = (struct pl_lockfile_options) PL_LOCKFILE_OPTIONS_INIT;
  o.flags = PL_LOCK_EX | PL_LOCK_NB;
  lf = new_lock (path, &o);
  ck_assert_int_eq (pl_lockfile_acquire (lf, NULL, NULL), PL_EBUSY);
  pl_lockfile_free (lf);

  o = (struct pl_lockfile_options) PL_LOCKFILE_OPTIONS_INIT;
  o.timeout = 0.2;
  lf = new_lock (path, &o);
  t0 = ot_now ();
  ck_assert_int_eq (pl_lockfile_acquire (lf, NULL, NULL), PL_ETIMEDOUT);
  ck_assert_double_ge (ot_now () - t0, 0.2);
  /* fail_when_locked judges only the first attempt: a free lock is
     taken, and one that frees during the wait too.  */
  ot_peer_unlock_at (&p, ot_now () + 0.1);
  pl_lockfile_free (lf);
  o.timeout = 30;
  lf = new_lock (path, &o);
  ck_assert_int_eq (pl_lockfile_acquire (lf, NULL, NULL), 0);
  ck_assert_int_eq (ot_peer_wait (&p), '.');
  pl_lockfile_free (lf);
  ot_peer_stop (&p);
}
END_TEST

START_TEST (test_truncate_after_lock)
{
  ot_use_backend (_i);
  const char *path = ot_path ("data");
  write_file (path, "precious");
  struct ot_peer p;
  ot_peer_start (&p, path);
  ck_assert_int_eq (ot_peer_cmd (&p, 'X'), '.');
  struct pl_lockfile_options o = PL_LOCKFILE_OPTIONS_INIT;
  o.open = PL_OPEN_WRITE | PL_OPEN_TRUNCATE | PL_OPEN_CREATE;
  o.timeout = 0.1;
  pl_lockfile *lf = new_lock (path, &o);
  ck_assert_int_eq (pl_lockfile_acquire (lf, NULL, NULL), PL_ETIMEDOUT);
  ck_assert_str_eq (read_file (path), "precious");      /* untouched */
  ck_assert_int_eq (ot_peer_cmd (&p, 'U'), '.');
  ck_assert_int_eq (pl_lockfile_acquire (lf, NULL, NULL), 0);
  ck_assert_str_eq (read_file (path), "");
  pl_lockfile_free (lf);
  ot_peer_stop (&p);
}
END_TEST

START_TEST (test_reentrant)
{
  ot_use_backend (_i);
  const char *path = ot_path ("lock");
  struct pl_lockfile_options o = PL_LOCKFILE_OPTIONS_INIT;
  o.behaviour = PL_LOCKFILE_REENTRANT;
  o.timeout = 5;
  pl_lockfile *lf = new_lock (path, &o);
  int fd1, fd2, fd3;
  ck_assert_int_eq (pl_lockfile_acquire (lf, &fd1, NULL), 0);
  ck_assert_int_eq (pl_lockfile_acquire (lf, &fd2, NULL), 0);
  ck_assert_int_eq (pl_lockfile_acquire (lf, &fd3, NULL), 0);
  ck_assert_int_eq (fd1, fd2);
  ck_assert_int_eq (fd2, fd3);
  ck_assert_uint_eq (pl_lockfile_depth (lf), 3);
  ck_assert_int_eq (pl_lockfile_release (lf), 0);
  ck_assert_int_eq (pl_lockfile_release (lf), 0);
  ck_assert_uint_eq (pl_lockfile_depth (lf), 1);
  ck_assert (!ot_free_for (path, false));
  ck_assert_int_eq (pl_lockfile_release (lf), 0);
  ck_assert_uint_eq (pl_lockfile_depth (lf), 0);
  ck_assert (ot_free_for (path, true));
  ck_assert_int_eq (pl_lockfile_release (lf), PL_EINVAL);
  pl_lockfile_free (lf);

  /* Not reentrant: acquiring again is harmless (same descriptor, no
     deadlock), and one release lets go.  */
  o.behaviour = 0;
  lf = new_lock (path, &o);
  ck_assert_int_eq (pl_lockfile_acquire (lf, &fd1, NULL), 0);
  ck_assert_int_eq (pl_lockfile_acquire (lf, &fd2, NULL), 0);
  ck_assert_int_eq (fd1, fd2);
  ck_assert_uint_eq (pl_lockfile_depth (lf), 1);
  ck_assert_int_eq (pl_lockfile_release (lf), 0);
  ck_assert (ot_free_for (path, true));
  pl_lockfile_free (lf);

  /* Two objects on one path exclude each other, even in one process.  */
  pl_lockfile *a = new_lock (path, &o), *b;
  o.timeout = 0.05;
  b = new_lock (path, &o);
  ck_assert_int_eq (pl_lockfile_acquire (a, NULL, NULL), 0);
  ck_assert_int_eq (pl_lockfile_acquire (b, NULL, NULL), PL_ETIMEDOUT);
  pl_lockfile_free (a);
  ck_assert_int_eq (pl_lockfile_acquire (b, NULL, NULL), 0);
  pl_lockfile_free (b);
}
END_TEST

/* P processes x M rounds of read-increment-write on a counter, each
   round under a temporary lock whose file is removed at every release.
   A waiter left holding the removed inode would overlap the next holder
   and lose updates.  */
enum { TEMP_P = 4, TEMP_M = 150 };

static int
temp_worker (int id)
{
  (void) id;
  struct pl_lockfile_options o = PL_LOCKFILE_OPTIONS_INIT;
  o.behaviour = PL_LOCKFILE_TEMPORARY;
  o.timeout = 60;
  pl_lockfile *lf;
  if (pl_lockfile_new (&lf, ot_path ("temp.lock"), &o) != 0)
    return 1;
  for (int i = 0; i < TEMP_M; i++)
    {
      if (pl_lockfile_acquire (lf, NULL, NULL) != 0)
        return 2;
      int fd = open (ot_path ("counter"), O_RDWR | O_CLOEXEC);
      char buf[32] = "";
      if (fd < 0 || pread (fd, buf, sizeof buf - 1, 0) < 0)
        return 3;
      long n = atol (buf);
      usleep (20);              /* widen the window a lost update needs */
      int len = snprintf (buf, sizeof buf, "%ld\n", n + 1);
      if (pwrite (fd, buf, len, 0) != len)
        return 4;
      close (fd);
      if (pl_lockfile_release (lf) != 0)
        return 5;
    }
  pl_lockfile_free (lf);
  return 0;
}

START_TEST (test_temporary_unlink_race)
{
  ot_use_backend (_i);
  write_file (ot_path ("counter"), "0\n");
  run_children (TEMP_P, temp_worker);
  ck_assert_int_eq (atol (read_file (ot_path ("counter"))), TEMP_P * TEMP_M);
  ck_assert_int_ne (access (ot_path ("temp.lock"), F_OK), 0);
}
END_TEST

START_TEST (test_pidfile)
{
  ot_use_backend (_i);
  const char *path = ot_path ("pid");
  struct pl_lockfile_options o = PL_LOCKFILE_OPTIONS_INIT;
  o.open = PL_OPEN_READ | PL_OPEN_WRITE | PL_OPEN_CREATE;
  o.behaviour = PL_LOCKFILE_PIDFILE;
  int ready[2];
  ck_assert_int_eq (pipe (ready), 0);
  pid_t child = fork ();
  ck_assert_int_ge (child, 0);
  if (child == 0)
    {
      pl_lockfile *lf;
      if (pl_lockfile_new (&lf, path, &o) != 0
          || pl_lockfile_acquire (lf, NULL, NULL) != 0)
        _exit (1);
      char c = '.';
      if (write (ready[1], &c, 1) != 1)
        _exit (1);
      pause ();
      _exit (0);
    }
  char c;
  ck_assert_int_eq (read (ready[0], &c, 1), 1);
  char want[32];
  snprintf (want, sizeof want, "%ld\n", (long) child);
  ck_assert_str_eq (read_file (path), want);
  int fd = open (path, O_RDONLY | O_CLOEXEC);
  int64_t who = 0;
  ck_assert_int_eq (pl_who (fd, PL_LOCK_SH, &who), 0);
  ck_assert_int_eq (who, child);        /* every backend: the pid file */
  kill (child, SIGKILL);
  waitpid (child, NULL, 0);
  ck_assert_int_eq (pl_who (fd, PL_LOCK_EX, &who), 0);
  ck_assert_int_eq (who, 0);            /* the lock died with it */
  close (fd);

  /* Released cleanly: the pid is gone too.  */
  pl_lockfile *lf = new_lock (path, &o);
  ck_assert_int_eq (pl_lockfile_acquire (lf, NULL, NULL), 0);
  snprintf (want, sizeof want, "%ld\n", (long) getpid ());
  ck_assert_str_eq (read_file (path), want);
  ck_assert_int_eq (pl_lockfile_release (lf), 0);
  ck_assert_str_eq (read_file (path), "");
  pl_lockfile_free (lf);
}
END_TEST

START_TEST (test_who)
{
  ot_use_backend (_i);
  const char *path = ot_path ("f");
  write_file (path, "not a pid file");
  int fd = open (path, O_RDWR | O_CLOEXEC);
  int64_t who = 7;
  ck_assert_int_eq (pl_who (fd, 0, &who), PL_EINVAL);
  ck_assert_int_eq (pl_who (fd, PL_LOCK_EX, NULL), PL_EINVAL);
  ck_assert_int_eq (pl_who (-1, PL_LOCK_EX, &who), PL_EBADF);
  ck_assert_int_eq (pl_who (fd, PL_LOCK_EX, &who), 0);
  ck_assert_int_eq (who, 0);

  struct ot_peer p;
  ot_peer_start (&p, path);
  ck_assert_int_eq (ot_peer_cmd (&p, 'X'), '.');
  ck_assert_int_eq (pl_who (fd, PL_LOCK_SH, &who), 0);
  if (strcmp (backend (_i), "ofd") == 0)
    ck_assert_int_eq (who, -1);         /* OFD locks have no owner pid */
  else
    ck_assert_int_eq (who, p.pid);
  ck_assert_int_eq (ot_peer_cmd (&p, 'U'), '.');
  if (pl_backend_features (backend (_i)) & PL_FEATURE_SHARED)
    {
      ck_assert_int_eq (ot_peer_cmd (&p, 'S'), '.');
      ck_assert_int_eq (pl_who (fd, PL_LOCK_SH, &who), 0);
      ck_assert_int_eq (who, 0);        /* shared does not conflict */
      ck_assert_int_eq (pl_who (fd, PL_LOCK_EX, &who), 0);
      ck_assert_int_ne (who, 0);
    }
  ot_peer_stop (&p);
  ck_assert_int_eq (pl_who (fd, PL_LOCK_EX, &who), 0);
  ck_assert_int_eq (who, 0);
  close (fd);
}
END_TEST

START_TEST (test_symlink_refused)
{
  ot_use_backend (_i);
  const char *real = ot_path ("real");
  write_file (real, "x");
  ck_assert_int_eq (symlink (real, ot_path ("link")), 0);
  ck_assert_int_eq (symlink (ot_path ("created"), ot_path ("dangling")), 0);

  pl_lockfile *lf = new_lock (ot_path ("link"), NULL);
  ck_assert_int_eq (pl_lockfile_acquire (lf, NULL, NULL), PL_ELOOP);
  ck_assert_uint_eq (pl_lockfile_depth (lf), 0);
  pl_lockfile_free (lf);
  /* A dangling link must not create its target.  */
  lf = new_lock (ot_path ("dangling"), NULL);
  ck_assert_int_eq (pl_lockfile_acquire (lf, NULL, NULL), PL_ELOOP);
  pl_lockfile_free (lf);
  ck_assert_int_ne (access (ot_path ("created"), F_OK), 0);
  /* Allowed on request.  */
  struct pl_lockfile_options o = PL_LOCKFILE_OPTIONS_INIT;
  o.open |= PL_OPEN_FOLLOW;
  lf = new_lock (ot_path ("link"), &o);
  ck_assert_int_eq (pl_lockfile_acquire (lf, NULL, NULL), 0);
  ck_assert (!ot_free_for (real, true));
  pl_lockfile_free (lf);
  /* Semaphore slots and atomic temporaries refuse links too.  */
  ck_assert_int_eq (symlink (real, ot_path ("sem.00.lock")), 0);
  pl_semaphore *s;
  ck_assert_int_eq (pl_semaphore_new (&s, ot_dir (), "sem", 1, NULL), 0);
  ck_assert_int_eq (pl_semaphore_acquire (s, NULL, NULL), PL_ELOOP);
  pl_semaphore_free (s);
}
END_TEST

/* ---- Semaphores ---- */

enum { SEM_N = 3, SEM_ROUNDS = 15 };
static atomic_int *sem_shared;  /* [0] holders now, [1] max, [2+i] slot i */

static int
sem_worker (int id)
{
  (void) id;
  struct pl_lockfile_options o = PL_LOCKFILE_OPTIONS_INIT;
  o.timeout = 60;
  pl_semaphore *s;
  if (pl_semaphore_new (&s, ot_dir (), "sem", SEM_N, &o) != 0)
    return 1;
  for (int i = 0; i < SEM_ROUNDS; i++)
    {
      unsigned slot;
      if (pl_semaphore_acquire (s, &slot, NULL) != 0 || slot >= SEM_N)
        return 2;
      int now = atomic_fetch_add (&sem_shared[0], 1) + 1;
      int max = atomic_load (&sem_shared[1]);
      while (now > max
             && !atomic_compare_exchange_weak (&sem_shared[1], &max, now))
        continue;
      atomic_fetch_add (&sem_shared[2 + slot], 1);
      usleep (500);
      atomic_fetch_sub (&sem_shared[0], 1);
      if (pl_semaphore_release (s) != 0)
        return 3;
    }
  pl_semaphore_free (s);
  return 0;
}

START_TEST (test_semaphore_bound)
{
  ot_use_backend (_i);
  sem_shared = mmap (NULL, 4096, PROT_READ | PROT_WRITE,
                     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  ck_assert_ptr_ne (sem_shared, MAP_FAILED);
  run_children (4 * SEM_N, sem_worker);
  ck_assert_int_le (atomic_load (&sem_shared[1]), SEM_N);
  ck_assert_int_ge (atomic_load (&sem_shared[1]), 1);
  int total = 0;
  for (int i = 0; i < SEM_N; i++)
    {
      ck_assert_int_gt (atomic_load (&sem_shared[2 + i]), 0);   /* all used */
      total += atomic_load (&sem_shared[2 + i]);
    }
  ck_assert_int_eq (total, 4 * SEM_N * SEM_ROUNDS);
}
END_TEST

/* No herd on slot 0: processes that find every slot free, one after the
   other, do not all take the same slot.  (All on one slot by chance:
   probability 3^-11.)  */
START_TEST (test_semaphore_spread)
{
  ot_use_backend (_i);
  int seen[SEM_N] = { 0 };
  for (int i = 0; i < 12; i++)
    {
      int fds[2];
      ck_assert_int_eq (pipe (fds), 0);
      pid_t pid = fork ();
      ck_assert_int_ge (pid, 0);
      if (pid == 0)
        {
          pl_semaphore *s;
          unsigned slot = 99;
          if (pl_semaphore_new (&s, ot_dir (), "spread", SEM_N, NULL) != 0
              || pl_semaphore_acquire (s, &slot, NULL) != 0)
            _exit (1);
          _exit (write (fds[1], &slot, sizeof slot) == sizeof slot ? 0 : 1);
        }
      unsigned slot = 99;
      ck_assert_int_eq (read (fds[0], &slot, sizeof slot), sizeof slot);
      ck_assert_uint_lt (slot, SEM_N);
      seen[slot]++;
      waitpid (pid, NULL, 0);
      close (fds[0]);
      close (fds[1]);
    }
  int used = 0;
  for (int i = 0; i < SEM_N; i++)
    used += seen[i] > 0;
  ck_assert_int_ge (used, 2);
}
END_TEST

START_TEST (test_semaphore_timeout)
{
  ot_use_backend (_i);
  pl_semaphore *s;
  ck_assert_int_eq (pl_semaphore_new (&s, ot_dir (), "", 1, NULL),
                    PL_EINVAL);
  ck_assert_int_eq (pl_semaphore_new (&s, ot_dir (), "a/b", 1, NULL),
                    PL_EINVAL);
  ck_assert_int_eq (pl_semaphore_new (&s, ot_dir (), "s", 0, NULL),
                    PL_EINVAL);
  struct ot_peer p1, p2;
  ot_peer_start (&p1, ot_path ("s.00.lock"));
  ot_peer_start (&p2, ot_path ("s.01.lock"));
  ck_assert_int_eq (ot_peer_cmd (&p1, 'X'), '.');
  ck_assert_int_eq (ot_peer_cmd (&p2, 'X'), '.');

  struct pl_lockfile_options o = PL_LOCKFILE_OPTIONS_INIT;
  o.timeout = 0.3;
  ck_assert_int_eq (pl_semaphore_new (&s, ot_dir (), "s", 2, &o), 0);
  double t0 = ot_now ();
  ck_assert_int_eq (pl_semaphore_acquire (s, NULL, NULL), PL_ETIMEDOUT);
  ck_assert_double_ge (ot_now () - t0, 0.3);
  pl_semaphore_free (s);

  o.flags |= PL_LOCK_NB;
  ck_assert_int_eq (pl_semaphore_new (&s, ot_dir (), "s", 2, &o), 0);
  ck_assert_int_eq (pl_semaphore_acquire (s, NULL, NULL), PL_EBUSY);
  pl_semaphore_free (s);

  /* A slot that frees during the wait is taken.  */
  o = (struct pl_lockfile_options) PL_LOCKFILE_OPTIONS_INIT;
  o.timeout = 30;
  ck_assert_int_eq (pl_semaphore_new (&s, ot_dir (), "s", 2, &o), 0);
  ot_peer_unlock_at (&p2, ot_now () + 0.2);
  unsigned slot = 9;
  int fd = -1;
  ck_assert_int_eq (pl_semaphore_acquire (s, &slot, &fd), 0);
  ck_assert_uint_eq (slot, 1);
  ck_assert_int_ge (fd, 0);
  ck_assert_int_eq (ot_peer_wait (&p2), '.');
  ck_assert_int_eq (ot_peer_cmd (&p2, 'x'), '0');
  ck_assert_int_eq (pl_semaphore_release (s), 0);
  ck_assert_int_eq (pl_semaphore_release (s), PL_EINVAL);
  ck_assert_int_eq (ot_peer_cmd (&p2, 'x'), '1');
  pl_semaphore_free (s);
  ot_peer_stop (&p1);
  ot_peer_stop (&p2);
}
END_TEST

/* ---- Atomic writes ---- */

enum { ATOMIC_SIZE = 256 * 1024, ATOMIC_WRITES = 60 };

static int
atomic_writer (int id)
{
  (void) id;
  static char chunk[4096];
  for (int i = 0; i < ATOMIC_WRITES; i++)
    {
      pl_atomic *a;
      int fd;
      if (pl_open_atomic (&a, ot_path ("atomic"), 0644, &fd) != 0)
        return 1;
      memset (chunk, 'a' + i % 26, sizeof chunk);
      for (int done = 0; done < ATOMIC_SIZE; done += sizeof chunk)
        if (write (fd, chunk, sizeof chunk) != sizeof chunk)
          return 2;
      if (pl_atomic_commit (a) != 0)
        return 3;
    }
  return 0;
}

START_TEST (test_open_atomic)
{
  ot_use_backend (_i);
  const char *path = ot_path ("atomic");
  ck_assert_int_eq (atomic_writer (0), 0);      /* a first, whole file */
  pid_t writer = fork ();
  ck_assert_int_ge (writer, 0);
  if (writer == 0)
    _exit (atomic_writer (1));
  static char buf[ATOMIC_SIZE + 1];
  int reads = 0, torn = 0;
  for (;;)
    {
      int status;
      bool done = waitpid (writer, &status, WNOHANG) == writer;
      int fd = open (path, O_RDONLY | O_CLOEXEC);
      ck_assert_int_ge (fd, 0);
      ssize_t n = 0, r;
      while ((r = read (fd, buf + n, sizeof buf - n)) > 0)
        n += r;
      close (fd);
      reads++;
      if (n != ATOMIC_SIZE || memchr (buf, buf[0] == 'a' ? 'b' : 'a', n)
          || buf[n - 1] != buf[0])
        torn++;
      if (done)
        {
          ck_assert (WIFEXITED (status) && WEXITSTATUS (status) == 0);
          break;
        }
    }
  ck_assert_msg (torn == 0, "%d of %d reads saw a partial file", torn,
                 reads);

  /* Abort: the target unchanged, no temporary left behind.  */
  pl_atomic *a;
  int fd;
  ck_assert_int_eq (pl_open_atomic (&a, path, 0600, &fd), 0);
  ck_assert_int_eq (write (fd, "zz", 2), 2);
  pl_atomic_abort (a);
  ck_assert_int_eq (read_file (path)[0], 'a' + (ATOMIC_WRITES - 1) % 26);
  DIR *d = opendir (ot_dir ());
  struct dirent *e;
  while ((e = readdir (d)))
    ck_assert_msg (strstr (e->d_name, ".tmp") == NULL, "left: %s",
                   e->d_name);
  closedir (d);
  ck_assert_int_eq (pl_open_atomic (&a, ot_path ("nodir/x"), 0600, &fd),
                    PL_ENOENT);
  ck_assert_int_eq (pl_open_atomic (NULL, path, 0600, &fd), PL_EINVAL);
  ck_assert_int_eq (pl_atomic_commit (NULL), PL_EINVAL);
  pl_atomic_abort (NULL);
}
END_TEST

/* ---- More options, streams, release errors, semaphores, pl_who ---- */

/* Options refused when the object is made: permission bits beyond 07777,
   and an object that would open the file for neither reading nor
   writing (a pid file implies writing).  */
START_TEST (test_lockfile_more_bad_options)
{
  ot_use_backend (_i);
  pl_lockfile *lf;
  struct pl_lockfile_options o = PL_LOCKFILE_OPTIONS_INIT;
  o.mode = 010644;
  ck_assert_int_eq (pl_lockfile_new (&lf, ot_path ("x"), &o), PL_EINVAL);
  o = (struct pl_lockfile_options) PL_LOCKFILE_OPTIONS_INIT;
  o.open = PL_OPEN_CREATE;
  ck_assert_int_eq (pl_lockfile_new (&lf, ot_path ("x"), &o), PL_EINVAL);
  o.behaviour = PL_LOCKFILE_PIDFILE;
  lf = new_lock (ot_path ("x"), &o);
  ck_assert_int_eq (pl_lockfile_acquire (lf, NULL, NULL), 0);
  char want[32];
  snprintf (want, sizeof want, "%ld\n", (long) getpid ());
  ck_assert_str_eq (read_file (ot_path ("x")), want);
  pl_lockfile_free (lf);
  ck_assert_uint_eq (pl_lockfile_depth (NULL), 0);
}
END_TEST

/* The stream matches the open mode: read-only objects give a stream that
   reads (and cannot write); read-write objects without append write
   from the start of the file, and what was written is on disk once the
   object is released.  */
START_TEST (test_lockfile_stream_modes)
{
  ot_use_backend (_i);
  const char *path = ot_path ("s");
  write_file (path, "0123456789\n");
  struct pl_lockfile_options o = PL_LOCKFILE_OPTIONS_INIT;
  FILE *fp;
  if (pl_backend_features (backend (_i)) & PL_FEATURE_SHARED)
    {
      o.open = PL_OPEN_READ;
      o.flags = PL_LOCK_SH;
      pl_lockfile *lf = new_lock (path, &o);
      ck_assert_int_eq (pl_lockfile_acquire (lf, NULL, &fp), 0);
      char line[32] = "";
      ck_assert_ptr_nonnull (fgets (line, sizeof line, fp));
      ck_assert_str_eq (line, "0123456789\n");
      ck_assert_int_eq (fputc ('x', fp), EOF);          /* read-only */
      ck_assert (ot_free_for (path, false));
      ck_assert (!ot_free_for (path, true));
      ck_assert_int_eq (pl_lockfile_release (lf), 0);
      ck_assert (ot_free_for (path, true));
      pl_lockfile_free (lf);
    }
  o = (struct pl_lockfile_options) PL_LOCKFILE_OPTIONS_INIT;
  o.open = PL_OPEN_READ | PL_OPEN_WRITE;
  pl_lockfile *lf = new_lock (path, &o);
  ck_assert_int_eq (pl_lockfile_acquire (lf, NULL, &fp), 0);
  char first[4] = "";
  ck_assert_int_eq (fread (first, 1, 3, fp), 3);
  ck_assert_str_eq (first, "012");
  ck_assert_int_eq (fseek (fp, 0, SEEK_SET), 0);
  ck_assert_int_ge (fputs ("ab", fp), 0);
  ck_assert_int_eq (pl_lockfile_release (lf), 0);
  ck_assert_str_eq (read_file (path), "ab23456789\n");
  pl_lockfile_free (lf);
}
END_TEST

/* A release whose flush fails (the file size limit is reached) reports
   the error, and still lets go: the lock is free for another process
   and no descriptor is left open.  */
START_TEST (test_lockfile_release_flush_fails)
{
  ot_use_backend (_i);
  const char *path = ot_path ("big");
  struct pl_lockfile_options o = PL_LOCKFILE_OPTIONS_INIT;
  o.open = PL_OPEN_WRITE | PL_OPEN_TRUNCATE | PL_OPEN_CREATE;
  pl_lockfile *lf = new_lock (path, &o);
  int fds = test_count_fds ();
  FILE *fp;
  ck_assert_int_eq (pl_lockfile_acquire (lf, NULL, &fp), 0);
  static char block[4096];
  memset (block, 'z', sizeof block);
  ck_assert_int_eq (fwrite (block, 1, 1000, fp), 1000);   /* buffered */
  struct rlimit old, small;
  ck_assert_int_eq (getrlimit (RLIMIT_FSIZE, &old), 0);
  small = old;
  small.rlim_cur = 100;
  void (*old_handler) (int) = signal (SIGXFSZ, SIG_IGN);
  ck_assert_int_eq (setrlimit (RLIMIT_FSIZE, &small), 0);
  int r = pl_lockfile_release (lf);
  int err = pl_os_error ();
  ck_assert_int_eq (setrlimit (RLIMIT_FSIZE, &old), 0);
  signal (SIGXFSZ, old_handler);
  ck_assert_int_eq (r, PL_ESYSTEM);
  ck_assert_int_eq (err, EFBIG);
  ck_assert_uint_eq (pl_lockfile_depth (lf), 0);
  if (fds >= 0)
    ck_assert_int_eq (test_count_fds (), fds);
  ck_assert (ot_free_for (path, true));
  ck_assert_int_eq (pl_lockfile_acquire (lf, NULL, NULL), 0);
  pl_lockfile_free (lf);
}
END_TEST

/* Semaphore arguments, the default directory ($TMPDIR, else /tmp), and
   a second acquire by the holder: the same slot, not a second one.  */
START_TEST (test_semaphore_more)
{
  ot_use_backend (_i);
  pl_semaphore *s;
  struct pl_lockfile_options o = PL_LOCKFILE_OPTIONS_INIT;
  o.flags = PL_LOCK_SH;
  ck_assert_int_eq (pl_semaphore_new (&s, ot_dir (), "s", 2, &o), PL_EINVAL);
  o = (struct pl_lockfile_options) PL_LOCKFILE_OPTIONS_INIT;
  o.behaviour = PL_LOCKFILE_TEMPORARY;
  ck_assert_int_eq (pl_semaphore_new (&s, ot_dir (), "s", 2, &o), PL_EINVAL);
  ck_assert_int_eq (pl_semaphore_acquire (NULL, NULL, NULL), PL_EINVAL);
  ck_assert_int_eq (pl_semaphore_release (NULL), PL_EINVAL);
  pl_semaphore_free (NULL);

  /* $TMPDIR names the directory.  */
  char name[64];
  snprintf (name, sizeof name, "sem-%ld", (long) getpid ());
  setenv ("TMPDIR", ot_dir (), 1);
  ck_assert_int_eq (pl_semaphore_new (&s, NULL, name, 2, NULL), 0);
  unsigned a = 9, b = 9;
  int fa = -1, fb = -1;
  ck_assert_int_eq (pl_semaphore_acquire (s, &a, &fa), 0);
  ck_assert_int_eq (pl_semaphore_acquire (s, &b, &fb), 0);
  ck_assert_uint_eq (a, b);
  ck_assert_int_eq (fa, fb);
  char slot[600], other[600];
  snprintf (slot, sizeof slot, "%s/%s.%02u.lock", ot_dir (), name, a);
  snprintf (other, sizeof other, "%s/%s.%02u.lock", ot_dir (), name, 1 - a);
  ck_assert (!ot_free_for (slot, false));
  ck_assert (ot_free_for (other, true));        /* one slot, not two */
  ck_assert_int_eq (pl_semaphore_release (s), 0);
  ck_assert (ot_free_for (slot, true));
  ck_assert_int_eq (pl_semaphore_release (s), PL_EINVAL);
  pl_semaphore_free (s);

  /* No $TMPDIR (or an empty one): /tmp.  */
  setenv ("TMPDIR", "", 1);
  ck_assert_int_eq (pl_semaphore_new (&s, NULL, name, 1, NULL), 0);
  ck_assert_int_eq (pl_semaphore_acquire (s, &a, NULL), 0);
  snprintf (slot, sizeof slot, "/tmp/%s.00.lock", name);
  ck_assert_int_eq (access (slot, F_OK), 0);
  ck_assert (!ot_free_for (slot, false));
  pl_semaphore_free (s);                /* releases */
  ck_assert (ot_free_for (slot, true));
  unlink (slot);
  unsetenv ("TMPDIR");
}
END_TEST

/* pl_who on a descriptor that is not open: PL_EBADF, on every backend.  */
START_TEST (test_who_closed_descriptor)
{
  ot_use_backend (_i);
  int fd = open (ot_path ("w"), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  ck_assert_int_ge (fd, 0);
  close (fd);
  int64_t who = 7;
  ck_assert_int_eq (pl_who (fd, PL_LOCK_EX, &who), PL_EBADF);
  ck_assert_int_eq (pl_os_error (), EBADF);
  ck_assert_int_eq (who, 7);
}
END_TEST

/* Where the kernel does not name the holder (ofd), a pid file does, but
   only a well-formed one naming a live process; everywhere else the
   kernel's answer wins over the file's content.  */
START_TEST (test_who_pid_file_contents)
{
  ot_use_backend (_i);
  const char *path = ot_path ("p");
  write_file (path, "");
  struct ot_peer p;
  ot_peer_start (&p, path);
  ck_assert_int_eq (ot_peer_cmd (&p, 'X'), '.');
  int fd = open (path, O_RDWR | O_CLOEXEC);
  ck_assert_int_ge (fd, 0);
  bool kernel_tells = strcmp (backend (_i), "ofd") != 0;

  /* A process that surely no longer exists.  */
  pid_t dead = fork ();
  ck_assert_int_ge (dead, 0);
  if (dead == 0)
    _exit (0);
  ck_assert_int_eq (waitpid (dead, NULL, 0), dead);

  char live[32], gone[32];
  snprintf (live, sizeof live, "%ld\n", (long) p.pid);
  snprintf (gone, sizeof gone, "%ld\n", (long) dead);
  const struct { const char *text; bool names_peer; } cases[] = {
    { "12x\n", false }, { "0\n", false }, { gone, false },
    { "99999999999\n", false }, { live, true },
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    {
      ck_assert_int_eq (ftruncate (fd, 0), 0);
      ssize_t n = (ssize_t) strlen (cases[i].text);
      ck_assert_int_eq (pwrite (fd, cases[i].text, n, 0), n);
      int64_t who = 0;
      ck_assert_int_eq (pl_who (fd, PL_LOCK_EX, &who), 0);
      if (kernel_tells || cases[i].names_peer)
        ck_assert_int_eq (who, p.pid);
      else
        ck_assert_msg (who == -1, "%s: %lld", cases[i].text,
                       (long long) who);
    }
  ot_peer_stop (&p);
  close (fd);
}
END_TEST

/* A process waiting for the lock is not its holder: with a shared holder
   and an exclusive waiter queued behind it, a shared request conflicts
   with nobody, and an exclusive one names the holder.  */
static bool
waiter_listed (const char *path)
{
  struct stat st;
  ck_assert_int_eq (stat (path, &st), 0);
  char ino[32];
  snprintf (ino, sizeof ino, ":%llu ", (unsigned long long) st.st_ino);
  FILE *f = fopen ("/proc/locks", "re");
  if (f == NULL)
    return true;                /* cannot tell: do not wait */
  char line[256];
  bool found = false;
  while (!found && fgets (line, sizeof line, f))
    found = strstr (line, "->") && strstr (line, ino);
  fclose (f);
  return found;
}

START_TEST (test_who_ignores_waiters)
{
  ot_use_backend (_i);
  if (!(pl_backend_features (backend (_i)) & PL_FEATURE_SHARED))
    return;                     /* lockf: no shared holder */
  const char *path = ot_path ("q");
  write_file (path, "");
  struct ot_peer holder, waiter;
  ot_peer_start (&holder, path);
  ot_peer_start (&waiter, path);
  ck_assert_int_eq (ot_peer_cmd (&holder, 'S'), '.');
  char cmd = 'X';
  ck_assert_int_eq (write (waiter.to, &cmd, 1), 1);     /* blocks */
  for (double t0 = ot_now (); !waiter_listed (path) && ot_now () - t0 < 10;)
    ot_sleep_until (ot_now () + 0.01);
  int fd = open (path, O_RDONLY | O_CLOEXEC);
  int64_t who = 7;
  ck_assert_int_eq (pl_who (fd, PL_LOCK_SH, &who), 0);
  ck_assert_int_eq (who, 0);
  ck_assert_int_eq (pl_who (fd, PL_LOCK_EX, &who), 0);
  if (strcmp (backend (_i), "ofd") == 0)
    ck_assert_int_eq (who, -1);
  else
    ck_assert_int_eq (who, holder.pid);
  ck_assert_int_eq (ot_peer_cmd (&holder, 'U'), '.');
  ck_assert_int_eq (ot_peer_wait (&waiter), '.');       /* granted */
  ot_peer_stop (&holder);
  ot_peer_stop (&waiter);
  close (fd);
}
END_TEST

/* Committing over a directory fails with PL_EISDIR; the directory is
   untouched and the temporary file removed.  */
START_TEST (test_atomic_commit_over_directory)
{
  ot_use_backend (_i);
  const char *target = ot_path ("d");
  ck_assert_int_eq (mkdir (target, 0700), 0);
  write_file (ot_path ("d/inside"), "kept");
  pl_atomic *a;
  int fd;
  ck_assert_int_eq (pl_open_atomic (&a, target, 0644, &fd), 0);
  ck_assert_int_eq (write (fd, "new", 3), 3);
  ck_assert_int_eq (pl_atomic_commit (a), PL_EISDIR);
  ck_assert_int_eq (pl_os_error (), EISDIR);
  ck_assert_str_eq (read_file (ot_path ("d/inside")), "kept");
  DIR *d = opendir (ot_dir ());
  for (struct dirent *e; (e = readdir (d));)
    ck_assert_msg (strstr (e->d_name, ".tmp") == NULL, "left: %s",
                   e->d_name);
  closedir (d);
}
END_TEST

static Suite *
objects_suite (void)
{
  Suite *s = suite_create ("objects");
  for (int i = 0; i < ot_n_backends (); i++)
    {
      TCase *tc = tcase_create (ot_backends ()[i]);
      tcase_set_timeout (tc, 120);
      tcase_add_loop_test (tc, test_lockfile_basic, i, i + 1);
      tcase_add_loop_test (tc, test_lockfile_bad_options, i, i + 1);
      tcase_add_loop_test (tc, test_fail_when_locked, i, i + 1);
      tcase_add_loop_test (tc, test_truncate_after_lock, i, i + 1);
      tcase_add_loop_test (tc, test_reentrant, i, i + 1);
      tcase_add_loop_test (tc, test_temporary_unlink_race, i, i + 1);
      tcase_add_loop_test (tc, test_pidfile, i, i + 1);
      tcase_add_loop_test (tc, test_who, i, i + 1);
      tcase_add_loop_test (tc, test_symlink_refused, i, i + 1);
      tcase_add_loop_test (tc, test_semaphore_bound, i, i + 1);
      tcase_add_loop_test (tc, test_semaphore_spread, i, i + 1);
      tcase_add_loop_test (tc, test_semaphore_timeout, i, i + 1);
      tcase_add_loop_test (tc, test_open_atomic, i, i + 1);
      tcase_add_loop_test (tc, test_lockfile_more_bad_options, i, i + 1);
      tcase_add_loop_test (tc, test_lockfile_stream_modes, i, i + 1);
      tcase_add_loop_test (tc, test_lockfile_release_flush_fails, i, i + 1);
      tcase_add_loop_test (tc, test_semaphore_more, i, i + 1);
      tcase_add_loop_test (tc, test_who_closed_descriptor, i, i + 1);
      tcase_add_loop_test (tc, test_who_pid_file_contents, i, i + 1);
      tcase_add_loop_test (tc, test_who_ignores_waiters, i, i + 1);
      tcase_add_loop_test (tc, test_atomic_commit_over_directory, i, i + 1);
      suite_add_tcase (s, tc);
    }
  return s;
}

int
main (void)
{
  return ot_run (objects_suite ());
}
