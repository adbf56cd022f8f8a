/* test-faults.c - injected system-call failures, at each call site.
   Copyright (C) 2026 The portalock authors.
   This file is part of portalock, under the GNU GPL 3 or later.

   Linked statically, so that it can replace entries of the library's
   internal system-call table (lib/syscall-internal.h).  For every fault:
   the documented PL_E* code and pl_os_error() come back, no descriptor
   is left open, no lock is left held (checked from a real second
   process, with the raw system call), and the next call works.  */

#include <config.h>

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "portalock.h"
#include "testutil.h"
#include "backend-internal.h"
#include "syscall-internal.h"

static char path[256];

/* ---- helpers ---------------------------------------------------------- */

/* Can another process take an exclusive lock on PATH right now, with the
   raw primitive of BACKEND?  1 yes, 0 no.  */
static int
other_process_can_lock (const char *backend)
{
  pid_t pid = fork ();
  ck_assert_int_ge (pid, 0);
  if (pid == 0)
    {
      int fd = open (path, O_RDWR);
      if (fd < 0)
        _exit (2);
      if (strcmp (backend, "flock") == 0)
        _exit (flock (fd, LOCK_EX | LOCK_NB) == 0 ? 0 : 1);
      struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
      /* ofd and classic fcntl locks see each other on Linux.  */
      _exit (fcntl (fd, F_SETLK, &fl) == 0 ? 0 : 1);
    }
  int status;
  ck_assert_int_eq (waitpid (pid, &status, 0), pid);
  ck_assert (WIFEXITED (status) && WEXITSTATUS (status) != 2);
  return WEXITSTATUS (status) == 0;
}

static int
open_file (void)
{
  int fd = open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  ck_assert_int_ge (fd, 0);
  return fd;
}

/* Use BACKEND, or return false (test does nothing) if it is not here.  */
static bool
use (const char *backend)       /* NULL: the default */
{
  pl__sys_reset ();
  if (pl_set_backend (backend) != 0 && backend)
    {
      printf ("# backend %s not available: case skipped\n", backend);
      return false;
    }
  return true;
}

/* A fault plan: the next N calls of an entry fail with ERR (then the real
   call runs).  Counters are atomic: the timed-wait helper thread calls
   the kernel-wait entries.  */
static atomic_int fail_left, skip_left, calls;
static int fail_errno;

static void
plan (int n, int err)
{
  atomic_store (&skip_left, 0);
  atomic_store (&fail_left, n);
  atomic_store (&calls, 0);
  fail_errno = err;
}

/* The first SKIP calls run for real, the next N fail.  */
static void
plan_after (int skip, int n, int err)
{
  plan (n, err);
  atomic_store (&skip_left, skip);
}

static bool
should_fail (void)
{
  atomic_fetch_add (&calls, 1);
  int skip = atomic_load (&skip_left);
  while (skip > 0)
    if (atomic_compare_exchange_weak (&skip_left, &skip, skip - 1))
      return false;
  int left = atomic_load (&fail_left);
  while (left > 0)
    if (atomic_compare_exchange_weak (&fail_left, &left, left - 1))
      return true;
  return false;
}

/* The lock entries exist only for the primitives configure built in
   (pl_cv_func_flock=no builds have no flock entry).  */
#if PL_HAVE_FLOCK
static int
fake_flock (int fd, int op)
{
  if (should_fail ())
    return errno = fail_errno, -1;
  return flock (fd, op);
}
#endif

#if PL_HAVE_POSIX || PL_HAVE_OFD
static int
fake_fcntl_lock (int fd, int cmd, struct flock *fl)
{
  if (should_fail ())
    return errno = fail_errno, -1;
  return fcntl (fd, cmd, fl);
}
#endif

#if PL_HAVE_LOCKF
static int
fake_lockf (int fd, int cmd, off_t len)
{
  if (should_fail ())
    return errno = fail_errno, -1;
  return lockf (fd, cmd, len);
}
#endif

/* Make BACKEND's lock system call fail as planned.  use() has checked
   that the backend is here, so its entry exists.  */
static void
fake_lock_call (const char *backend)
{
#if PL_HAVE_FLOCK
  if (strcmp (backend, "flock") == 0)
    {
      pl__sys.flock = fake_flock;
      return;
    }
#endif
#if PL_HAVE_LOCKF
  if (strcmp (backend, "lockf") == 0)
    {
      pl__sys.lockf = fake_lockf;
      return;
    }
#endif
#if PL_HAVE_POSIX || PL_HAVE_OFD
  pl__sys.fcntl_lock = fake_fcntl_lock;
#endif
  (void) backend;
}

static int
fake_fstat (int fd, struct stat *st)
{
  if (should_fail ())
    return errno = fail_errno, -1;
  return fstat (fd, st);
}

/* As Linux does: the descriptor IS closed, and close() reports EINTR or
   EIO anyway.  */
static int
fake_close (int fd)
{
  bool fail = should_fail ();
  int r = close (fd);
  if (fail)
    return errno = fail_errno, -1;
  return r;
}

/* The checks every fault ends with.  */
static void
after_fault (const char *backend, int fd, int fds_before)
{
  pl__sys_reset ();
  ck_assert_int_eq (test_count_fds (), fds_before);
  ck_assert_msg (other_process_can_lock (backend),
                 "%s: a lock was left held after the fault", backend);
  ck_assert_int_eq (pl_lock (fd, PL_LOCK_EX | PL_LOCK_NB), 0);
  ck_assert (!other_process_can_lock (backend));
  ck_assert_int_eq (pl_unlock (fd), 0);
}

/* ---- lock errors: ENOLCK, EINTR ---------------------------------------- */

/* ENOLCK from the primitive: PL_ENOLCK, the OS error kept, no lock.  */
static void
enolck_case (const char *backend, int flags)
{
  if (!use (backend))
    return;
  int fd = open_file ();
  int before = test_count_fds ();
  fake_lock_call (backend);
  plan (1, ENOLCK);
  ck_assert_int_eq (pl_lock (fd, flags), PL_ENOLCK);
  ck_assert_int_eq (pl_os_error (), ENOLCK);
  after_fault (backend, fd, before);
  pl_close (fd);
}

START_TEST (test_enolck_flock) { enolck_case ("flock", PL_LOCK_EX | PL_LOCK_NB); }
END_TEST
START_TEST (test_enolck_ofd) { enolck_case ("ofd", PL_LOCK_EX | PL_LOCK_NB); }
END_TEST
START_TEST (test_enolck_posix) { enolck_case ("posix", PL_LOCK_EX); }
END_TEST
START_TEST (test_enolck_lockf) { enolck_case ("lockf", PL_LOCK_EX); }
END_TEST

/* EINTR, many times, in a blocking request: the library retries, the
   lock is taken, and nothing returns early.  */
static void
eintr_case (const char *backend)
{
  if (!use (backend))
    return;
  int fd = open_file ();
  fake_lock_call (backend);
  plan (25, EINTR);
  ck_assert_int_eq (pl_lock (fd, PL_LOCK_EX), 0);
  ck_assert_int_eq (atomic_load (&fail_left), 0);   /* all 25 were seen */
  pl__sys_reset ();
  ck_assert_msg (!other_process_can_lock (backend),
                 "%s: EINTR lost the lock", backend);
  ck_assert_int_eq (pl_unlock (fd), 0);
  ck_assert (other_process_can_lock (backend));
  pl_close (fd);
}

START_TEST (test_eintr_flock) { eintr_case ("flock"); }
END_TEST
START_TEST (test_eintr_ofd) { eintr_case ("ofd"); }
END_TEST
START_TEST (test_eintr_posix) { eintr_case ("posix"); }
END_TEST
START_TEST (test_eintr_lockf) { eintr_case ("lockf"); }
END_TEST

/* ---- the blocking and timed paths of the emulated backend -------------- */

#if PL_HAVE_POSIX
/* A held lock is simulated by F_SETLK answering EAGAIN; the blocking
   F_SETLKW then meets an EINTR storm and finally EDEADLK.  PL_EDEADLK
   comes back, the table keeps nothing (another descriptor of this
   process can lock at once), and the kernel holds nothing.  */
static atomic_int edeadlk_eintrs;
static int
fake_fcntl_deadlock (int fd, int cmd, struct flock *fl)
{
  if (cmd == F_SETLK && fl->l_type != F_UNLCK)
    return errno = EAGAIN, -1;          /* someone else holds it */
  if (cmd == F_SETLKW)
    {
      if (atomic_fetch_add (&edeadlk_eintrs, 1) < 10)
        return errno = EINTR, -1;
      return errno = EDEADLK, -1;
    }
  return fcntl (fd, cmd, fl);
}

START_TEST (test_edeadlk_after_eintr_posix)
{
  if (!use ("posix"))
    return;
  int fd = open_file ();
  int other = open_file ();
  int before = test_count_fds ();
  atomic_store (&edeadlk_eintrs, 0);
  pl__sys.fcntl_lock = fake_fcntl_deadlock;
  ck_assert_int_eq (pl_lock (fd, PL_LOCK_EX), PL_EDEADLK);
  ck_assert_int_eq (pl_os_error (), EDEADLK);
  ck_assert_int_eq (atomic_load (&edeadlk_eintrs), 11);  /* EINTR retried */
  pl__sys_reset ();
  /* Nothing recorded for FD: another descriptor of this process locks.  */
  ck_assert_int_eq (pl_lock (other, PL_LOCK_EX | PL_LOCK_NB), 0);
  ck_assert_int_eq (pl_close (other), 0);
  after_fault ("posix", fd, before - 1);
  pl_close (fd);
}
END_TEST

/* A timed wait whose kernel wait (in the helper thread) meets EINTR over
   and over: the wait goes on and takes the lock once it is free.  */
static atomic_int timed_eintrs;
static atomic_int setlk_busy;
static int
fake_fcntl_timed (int fd, int cmd, struct flock *fl)
{
  if (cmd == F_SETLK && fl->l_type != F_UNLCK
      && atomic_fetch_sub (&setlk_busy, 1) > 0)
    return errno = EAGAIN, -1;
  if (cmd == F_SETLKW && atomic_fetch_add (&timed_eintrs, 1) < 50)
    return errno = EINTR, -1;
  return fcntl (fd, cmd, fl);
}

START_TEST (test_timed_eintr_storm_posix)
{
  if (!use ("posix"))
    return;
  int fd = open_file ();
  atomic_store (&timed_eintrs, 0);
  atomic_store (&setlk_busy, 1);
  pl__sys.fcntl_lock = fake_fcntl_timed;
  ck_assert_int_eq (pl_lock_timed (fd, PL_LOCK_EX, 30), 0);
  ck_assert_int_ge (atomic_load (&timed_eintrs), 51);
  pl__sys_reset ();
  ck_assert (!other_process_can_lock ("posix"));
  ck_assert_int_eq (pl_unlock (fd), 0);
  pl_close (fd);
}
END_TEST

#endif /* PL_HAVE_POSIX */

/* ---- no helper thread for a timed wait ---------------------------------- */

#if PL_SYS_THREADS
static atomic_int thread_creates;

static int
fake_thread_create (pthread_t *thread, const pthread_attr_t *attr,
                    void *(*start) (void *), void *arg)
{
  (void) thread, (void) attr, (void) start, (void) arg;
  atomic_fetch_add (&thread_creates, 1);
  return EAGAIN;                /* as at the process's thread limit */
}

static double
now (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Another process takes PATH exclusively with the raw primitive of
   BACKEND, and keeps it HOLD seconds after this returns (then exits).  */
static pid_t
held_for (const char *backend, double hold)
{
  int ready[2];
  ck_assert_int_eq (pipe (ready), 0);
  pid_t pid = fork ();
  ck_assert_int_ge (pid, 0);
  if (pid == 0)
    {
      int fd = open (path, O_RDWR);
      struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
      if (fd < 0
          || (strcmp (backend, "flock") == 0 ? flock (fd, LOCK_EX)
                                              : fcntl (fd, F_SETLK, &fl)))
        _exit (1);
      double t0 = now ();
      if (write (ready[1], "x", 1) != 1)
        _exit (1);
      struct timespec nap = { 0, 1000000 };
      while (now () - t0 < hold)
        nanosleep (&nap, NULL);
      _exit (0);
    }
  char c;
  ck_assert_int_eq (read (ready[0], &c, 1), 1);
  close (ready[0]);
  close (ready[1]);
  return pid;
}

/* No thread can be made (pthread_create fails, as at RLIMIT_NPROC): the
   timed wait falls back to polling with a backoff, and keeps its
   promises: success means the lock is held, PL_ETIMEDOUT comes no
   earlier than the timeout and means it is not.  */
static void
no_thread_case (const char *backend)
{
  if (!use (backend))
    return;
  int fd = open_file ();
  atomic_store (&thread_creates, 0);
  pl__sys.thread_create = fake_thread_create;

  pid_t holder = held_for (backend, 0.3);
  ck_assert_int_eq (pl_lock_timed (fd, PL_LOCK_EX, 30), 0);
  ck_assert_int_ge (atomic_load (&thread_creates), 1);
  ck_assert (!other_process_can_lock (backend));
  ck_assert_int_eq (pl_unlock (fd), 0);
  int status;
  ck_assert_int_eq (waitpid (holder, &status, 0), holder);
  ck_assert (WIFEXITED (status) && WEXITSTATUS (status) == 0);

  holder = held_for (backend, 30);
  double t0 = now ();
  ck_assert_int_eq (pl_lock_timed (fd, PL_LOCK_EX, 0.1), PL_ETIMEDOUT);
  ck_assert_double_ge (now () - t0, 0.1);
  kill (holder, SIGKILL);
  ck_assert_int_eq (waitpid (holder, &status, 0), holder);
  pl__sys_reset ();
  ck_assert (other_process_can_lock (backend));   /* we hold nothing */
  pl_close (fd);
}

START_TEST (test_timed_no_thread_flock)
{
  no_thread_case ("flock");
}
END_TEST

START_TEST (test_timed_no_thread_ofd)
{
  no_thread_case ("ofd");
}
END_TEST

START_TEST (test_timed_no_thread_posix)
{
  no_thread_case ("posix");
}
END_TEST
#endif /* PL_SYS_THREADS */

/* ---- the inode table's fstat and the close path ------------------------- */

/* fstat fails (EIO) when a second file enters the table: the error comes
   back, and the table keeps nothing of the failed request.  */
START_TEST (test_fstat_eio_posix)
{
  if (!use ("posix"))
    return;
  int a = open_file ();
  char path2[300];
  snprintf (path2, sizeof path2, "%s.2", path);
  int b = open (path2, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  ck_assert_int_ge (b, 0);
  ck_assert_int_eq (pl_lock (a, PL_LOCK_EX), 0);
  int before = test_count_fds ();
  pl__sys.fstat = fake_fstat;
  plan (1, EIO);
  ck_assert_int_eq (pl_lock (b, PL_LOCK_EX), PL_ESYSTEM);
  ck_assert_int_eq (pl_os_error (), EIO);
  pl__sys_reset ();
  ck_assert_int_eq (test_count_fds (), before);
  ck_assert_int_eq (pl_lock (b, PL_LOCK_EX | PL_LOCK_NB), 0);
  ck_assert_int_eq (pl_close (b), 0);
  ck_assert_int_eq (pl_unlock (a), 0);
  after_fault ("posix", a, before - 1);
  pl_close (a);
  unlink (path2);
}
END_TEST

/* close() saying EINTR has closed the descriptor (Linux, BSD): pl_close
   reports success and does not close again; EIO is reported, and the
   descriptor is gone all the same.  Both with a lock held.  */
static void
close_case (const char *backend, int err, int expect)
{
  if (!use (backend))
    return;
  int fd = open_file ();
  int before = test_count_fds ();
  ck_assert_int_eq (pl_lock (fd, PL_LOCK_EX), 0);
  pl__sys.close = fake_close;
  plan (1, err);
  ck_assert_int_eq (pl_close (fd), expect);
  if (expect != 0)
    ck_assert_int_eq (pl_os_error (), err);
  pl__sys_reset ();
  ck_assert_int_eq (test_count_fds (), before - 1);
  ck_assert (other_process_can_lock (backend));
}

START_TEST (test_close_eintr_flock) { close_case ("flock", EINTR, 0); }
END_TEST
START_TEST (test_close_eintr_posix) { close_case ("posix", EINTR, 0); }
END_TEST
START_TEST (test_close_eio_flock) { close_case ("flock", EIO, PL_ESYSTEM); }
END_TEST
START_TEST (test_close_eio_posix) { close_case ("posix", EIO, PL_ESYSTEM); }
END_TEST

/* ---- lock objects: the lock-file open and the pid write ------------------ */

static int
fake_open (const char *p, int flags, mode_t mode)
{
  if (should_fail ())
    return errno = fail_errno, -1;
  return open (p, flags, mode);
}

static ssize_t
fake_write (int fd, const void *buf, size_t n)
{
  if (should_fail ())
    return errno = fail_errno, -1;
  return write (fd, buf, n);
}

/* One byte a time: every write is short.  */
static ssize_t
short_write (int fd, const void *buf, size_t n)
{
  atomic_fetch_add (&calls, 1);
  return write (fd, buf, n ? 1 : 0);
}

static pl_lockfile *
new_pidfile_lock (void)
{
  struct pl_lockfile_options o = PL_LOCKFILE_OPTIONS_INIT;
  o.open = PL_OPEN_WRITE | PL_OPEN_CREATE;
  o.behaviour = PL_LOCKFILE_PIDFILE;
  o.flags = PL_LOCK_EX | PL_LOCK_NB;
  pl_lockfile *lf;
  ck_assert_int_eq (pl_lockfile_new (&lf, path, &o), 0);
  return lf;
}

/* After a failed acquire: no descriptor more than BEFORE, the file is
   free for another process, and the next acquire works.  */
static void
after_object_fault (pl_lockfile *lf, int before)
{
  pl__sys_reset ();
  ck_assert_int_eq (test_count_fds (), before);
  ck_assert (other_process_can_lock (pl_backend ()));
  ck_assert_int_eq (pl_lockfile_acquire (lf, NULL, NULL), 0);
  ck_assert (!other_process_can_lock (pl_backend ()));
  ck_assert_int_eq (pl_lockfile_release (lf), 0);
  pl_lockfile_free (lf);
}

/* A lock object's acquire meets ERR from the system call INSTALL fakes:
   PL_ESYSTEM with ERR behind it, nothing open, nothing held, and the
   next acquire works.  */
static void
acquire_fault_case (void (*install) (void), int err)
{
  if (!use (NULL))
    return;
  pl_lockfile *lf = new_pidfile_lock ();
  int before = test_count_fds ();
  install ();
  plan (1, err);
  ck_assert_int_eq (pl_lockfile_acquire (lf, NULL, NULL), PL_ESYSTEM);
  ck_assert_int_eq (pl_os_error (), err);
  after_object_fault (lf, before);
}

static void
install_fake_open (void)
{
  pl__sys.open = fake_open;
}

static void
open_fault_case (int err)
{
  acquire_fault_case (install_fake_open, err);
}

START_TEST (test_open_emfile) { open_fault_case (EMFILE); }
END_TEST
START_TEST (test_open_enfile) { open_fault_case (ENFILE); }
END_TEST

/* The pid write fails once the lock is held: the error comes back, and
   the lock is released and the descriptor closed.  */
static void
pid_write_fault_case (int err)
{
  if (!use (NULL))
    return;
  pl_lockfile *lf = new_pidfile_lock ();
  int before = test_count_fds ();
  pl__sys.write = fake_write;
  plan (1, err);
  ck_assert_int_eq (pl_lockfile_acquire (lf, NULL, NULL), PL_ESYSTEM);
  ck_assert_int_eq (pl_os_error (), err);
  ck_assert_int_eq (atomic_load (&calls), 1);
  after_object_fault (lf, before);
}

START_TEST (test_pid_write_enospc) { pid_write_fault_case (ENOSPC); }
END_TEST
START_TEST (test_pid_write_eio) { pid_write_fault_case (EIO); }
END_TEST

/* Short writes are continued: the pid file ends up whole.  */
START_TEST (test_pid_short_write)
{
  if (!use (NULL))
    return;
  pl_lockfile *lf = new_pidfile_lock ();
  pl__sys.write = short_write;
  atomic_store (&calls, 0);
  ck_assert_int_eq (pl_lockfile_acquire (lf, NULL, NULL), 0);
  pl__sys_reset ();
  char want[32], got[32] = "";
  int n = snprintf (want, sizeof want, "%ld\n", (long) getpid ());
  ck_assert_int_eq (atomic_load (&calls), n);      /* one byte a call */
  int fd = open (path, O_RDONLY);
  ck_assert_int_eq (read (fd, got, sizeof got - 1), n);
  close (fd);
  ck_assert_str_eq (got, want);
  ck_assert_int_eq (pl_lockfile_release (lf), 0);
  pl_lockfile_free (lf);
}
END_TEST

/* ---- error mapping, path errors, atomic commit, range splits ------------ */

/* Every errno a lock call can meet maps to its documented code, with the
   raw value kept in pl_os_error().  */
START_TEST (test_lock_errno_mapping)
{
  static const struct { int err, code; } map[] = {
    { EINVAL, PL_EINVAL }, { ENOMEM, PL_ENOMEM }, { EACCES, PL_EACCES },
    { EPERM, PL_EACCES }, { EOPNOTSUPP, PL_ENOTSUP }, { EIO, PL_ESYSTEM },
    { ENOLCK, PL_ENOLCK }, { EDEADLK, PL_EDEADLK },
  };
  const char *b = pl_backends ()[0];
  if (!use (b))
    return;
  int fd = open_file ();
  int before = test_count_fds ();
  for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
    {
      /* fcntl's F_SETLK (and lockf's F_TLOCK) may say EACCES for "held
         by another" (POSIX allows EACCES or EAGAIN): there it is
         PL_EBUSY.  Only flock means a permission problem by it.  */
      int code = map[i].code;
      if (map[i].err == EACCES && strcmp (b, "flock") != 0)
        code = PL_EBUSY;
      fake_lock_call (b);
      plan (1, map[i].err);
      ck_assert_int_eq (pl_lock (fd, PL_LOCK_EX | PL_LOCK_NB), code);
      ck_assert_int_eq (pl_os_error (), map[i].err);
      after_fault (b, fd, before);
    }
  pl_close (fd);
}
END_TEST

/* Every errno the lock-file open can meet maps to its path code, and
   leaves nothing behind.  */
START_TEST (test_open_errno_mapping)
{
  static const struct { int err, code; } map[] = {
    { EIO, PL_ESYSTEM }, { ENOENT, PL_ENOENT }, { EISDIR, PL_EISDIR },
    { ELOOP, PL_ELOOP }, { EEXIST, PL_EEXIST },
    { ENAMETOOLONG, PL_ENAMETOOLONG }, { ENOTDIR, PL_ENOTDIR },
    { EACCES, PL_EACCES }, { EPERM, PL_EACCES }, { EROFS, PL_EACCES },
  };
  if (!use (NULL))
    return;
  for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
    {
      pl_lockfile *lf = new_pidfile_lock ();
      int before = test_count_fds ();
      pl__sys.open = fake_open;
      plan (1, map[i].err);
      ck_assert_int_eq (pl_lockfile_acquire (lf, NULL, NULL), map[i].code);
      ck_assert_int_eq (pl_os_error (), map[i].err);
      after_object_fault (lf, before);
    }
}
END_TEST

/* A lock object refuses a directory and a FIFO (without hanging in the
   FIFO's open), and leaks nothing.  */
START_TEST (test_object_on_directory_and_fifo)
{
  if (!use (NULL))
    return;
  char dir[300], fifo[300];
  snprintf (dir, sizeof dir, "%s.d", path);
  snprintf (fifo, sizeof fifo, "%s.fifo", path);
  ck_assert_int_eq (mkdir (dir, 0700), 0);
  ck_assert_int_eq (mkfifo (fifo, 0600), 0);
  int before = test_count_fds ();
  struct pl_lockfile_options o = PL_LOCKFILE_OPTIONS_INIT;
  o.open = PL_OPEN_READ;
  o.flags = PL_LOCK_SH | PL_LOCK_NB;
  pl_lockfile *lf;
  ck_assert_int_eq (pl_lockfile_new (&lf, dir, &o), 0);
  ck_assert_int_eq (pl_lockfile_acquire (lf, NULL, NULL), PL_EISDIR);
  pl_lockfile_free (lf);
  ck_assert_int_eq (pl_lockfile_new (&lf, fifo, &o), 0);
  ck_assert_int_eq (pl_lockfile_acquire (lf, NULL, NULL), PL_EINVAL);
  pl_lockfile_free (lf);
  ck_assert_int_eq (test_count_fds (), before);
  rmdir (dir);
  unlink (fifo);
}
END_TEST

/* fsync fails (EIO) in pl_atomic_commit: the error comes back, the target
   keeps its old content, and the temporary file is gone.  */
static int
fake_fsync (int fd)
{
  if (should_fail ())
    return errno = fail_errno, -1;
  return fsync (fd);
}

/* One of pl_atomic_commit()'s system calls fails (INSTALL puts the fake
   in place): the error comes back, the target TARGET keeps its old
   content, and the temporary file is gone.  */
static void
atomic_commit_fault_case (const char *suffix, void (*install) (void))
{
  pl__sys_reset ();
  char target[300];
  snprintf (target, sizeof target, "%s.%s", path, suffix);
  FILE *f = fopen (target, "w");
  ck_assert (f != NULL);
  fputs ("old\n", f);
  fclose (f);
  int before = test_count_fds ();
  pl_atomic *a;
  int fd;
  ck_assert_int_eq (pl_open_atomic (&a, target, 0644, &fd), 0);
  ck_assert_int_eq (write (fd, "new\n", 4), 4);
  install ();
  plan (1, EIO);
  ck_assert_int_eq (pl_atomic_commit (a), PL_ESYSTEM);
  ck_assert_int_eq (pl_os_error (), EIO);
  pl__sys_reset ();
  ck_assert_int_eq (test_count_fds (), before);
  char got[16] = "";
  f = fopen (target, "r");
  ck_assert (f != NULL);
  ck_assert (fgets (got, sizeof got, f) != NULL);
  fclose (f);
  ck_assert_str_eq (got, "old\n");
  /* Nothing but the target (and the test's own files) in the directory:
     the temporary file was removed.  */
  char dirpath[300];
  snprintf (dirpath, sizeof dirpath, "%s", path);
  *strrchr (dirpath, '/') = '\0';
  DIR *d = opendir (dirpath);
  ck_assert (d != NULL);
  const char *base = strrchr (target, '/') + 1;
  for (struct dirent *e; (e = readdir (d));)
    ck_assert_msg (!(strstr (e->d_name, base) && strcmp (e->d_name, base)),
                   "temporary file %s left behind", e->d_name);
  closedir (d);
  unlink (target);
}

static void
install_fake_fsync (void)
{
  pl__sys.sync_fd = fake_fsync;
}

START_TEST (test_atomic_commit_fsync_eio)
{
  atomic_commit_fault_case ("target", install_fake_fsync);
}
END_TEST

/* Can another process take [START, START+LEN) exclusively now?  */
static int
other_can_lock_range (off_t start, off_t len)
{
  pid_t pid = fork ();
  ck_assert_int_ge (pid, 0);
  if (pid == 0)
    {
      int fd = open (path, O_RDWR);
      struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET,
                          .l_start = start, .l_len = len };
      _exit (fd >= 0 && fcntl (fd, F_SETLK, &fl) == 0 ? 0 : 1);
    }
  int status;
  ck_assert_int_eq (waitpid (pid, &status, 0), pid);
  return WIFEXITED (status) && WEXITSTATUS (status) == 0;
}

/* The emulated backends split and merge ranges as fcntl does, across
   several owners in one process, and the kernel's state follows: a hole
   unlocked in the middle of a range is free for others, the rest is
   not; a second owner's shared lock over the hole's edge survives the
   first owner's unlock.  */
START_TEST (test_range_split_and_owners_posix)
{
  if (!use ("posix"))
    return;
  int a = open_file (), b = open_file ();
  ck_assert_int_eq (pl_lock_range (a, PL_LOCK_SH, 0, 100), 0);
  ck_assert_int_eq (pl_unlock_range (a, 40, 20), 0);        /* a hole */
  ck_assert (other_can_lock_range (45, 10));
  ck_assert (!other_can_lock_range (10, 10));
  ck_assert (!other_can_lock_range (70, 10));
  ck_assert_int_eq (pl_lock_range (b, PL_LOCK_SH, 30, 40), 0); /* spans it */
  ck_assert (!other_can_lock_range (45, 10));
  ck_assert_int_eq (pl_unlock_range (a, 0, 0), 0);          /* a: all */
  ck_assert (!other_can_lock_range (30, 40));               /* b's stays */
  ck_assert (other_can_lock_range (0, 30));
  ck_assert (other_can_lock_range (70, 30));
  ck_assert_int_eq (pl_lock_range (b, PL_LOCK_EX, 50, 10), 0); /* convert */
  ck_assert_int_eq (pl_lock_range (a, PL_LOCK_SH | PL_LOCK_NB, 55, 1),
                    PL_EBUSY);
  ck_assert_int_eq (pl_lock_range (a, PL_LOCK_SH | PL_LOCK_NB, 30, 5), 0);
  ck_assert_int_eq (pl_close (b), 0);
  ck_assert (!other_can_lock_range (30, 5));                /* a's stays */
  ck_assert (other_can_lock_range (35, 65));
  ck_assert_int_eq (pl_close (a), 0);
  ck_assert (other_can_lock_range (0, 0));
}
END_TEST

/* fork() called through a pointer.  gcc's --coverage turns a direct
   call into __gcov_fork(), which zeroes the child's counters once fork()
   has returned, that is after the library's pthread_atfork child handler
   ran: the handler would never be counted although the tests below check
   what it does.  Through the pointer the child keeps its counters (the
   parent's counts up to the fork are then counted twice, which changes
   no line from "not run" to "run").  Without coverage it is plain fork().
   The children end with exit(), not _exit(), so that their counts are
   written.  */
static pid_t (*volatile plain_fork) (void) = fork;

/* fork on an emulated backend: the child holds none of the parent's
   fcntl locks, so its copy of the inode table must be empty (no phantom
   owner), and the descriptors whose close the parent deferred are
   closed in the child.  */
START_TEST (test_fork_resets_table_posix)
{
  if (!use ("posix"))
    return;
  int a = open_file (), b = open_file ();
  ck_assert_int_eq (pl_lock (a, PL_LOCK_EX), 0);
  ck_assert_int_eq (pl_close (b), 0);           /* deferred: a holds */
  ck_assert_int_ne (fcntl (b, F_GETFD), -1);    /* still open, for a */
  /* A third file locked and unlocked: its idle entry is kept for reuse,
     and the child must not inherit it either.  */
  char path3[300];
  snprintf (path3, sizeof path3, "%s.3", path);
  int c3 = open (path3, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  ck_assert_int_ge (c3, 0);
  ck_assert_int_eq (pl_lock (c3, PL_LOCK_EX), 0);
  ck_assert_int_eq (pl_unlock (c3), 0);
  ck_assert_int_eq (pl_close (c3), 0);
  unlink (path3);
  fflush (NULL);
  pid_t pid = plain_fork ();
  ck_assert_int_ge (pid, 0);
  if (pid == 0)
    {
      int bad = 0;
      if (fcntl (b, F_GETFD) != -1)
        bad |= 1;                       /* deferred close not done */
      if (pl_lock (a, PL_LOCK_EX | PL_LOCK_NB) != PL_EBUSY)
        bad |= 2;                       /* the parent holds it */
      if (pl_unlock (a) != 0)
        bad |= 4;
      int c = open (path, O_RDWR);
      if (pl_lock (c, PL_LOCK_SH | PL_LOCK_NB) != PL_EBUSY)
        bad |= 8;
      pl_close (c);
      exit (bad);
    }
  int status;
  ck_assert_int_eq (waitpid (pid, &status, 0), pid);
  ck_assert_msg (WIFEXITED (status) && WEXITSTATUS (status) == 0,
                 "child found %d", WEXITSTATUS (status));
  /* The child's unlock did not touch the parent's lock.  */
  ck_assert (!other_process_can_lock ("posix"));
  ck_assert_int_eq (pl_close (a), 0);
  ck_assert_int_eq (fcntl (b, F_GETFD), -1);    /* closed with a's lock */
  ck_assert (other_process_can_lock ("posix"));
}
END_TEST

/* The same with the table's cheapest state: one lock on one file, whose
   entry the table has not even fstat()ed yet.  The child's table must
   be empty: once the parent lets go, a new descriptor of the child gets
   the lock at once (a phantom entry for A would refuse it, PL_EBUSY,
   without asking the kernel).  */
START_TEST (test_fork_resets_single_entry_posix)
{
  if (!use ("posix"))
    return;
  int a = open_file ();
  ck_assert_int_eq (pl_lock (a, PL_LOCK_EX), 0);
  int go[2], done[2];
  ck_assert_int_eq (pipe (go), 0);
  ck_assert_int_eq (pipe (done), 0);
  fflush (NULL);
  pid_t pid = plain_fork ();
  ck_assert_int_ge (pid, 0);
  if (pid == 0)
    {
      /* Each step answers one byte, then waits for the parent's.  */
      int bad = 0;
      char ch;
      int c = open (path, O_RDWR | O_CLOEXEC);
      if (pl_lock (c, PL_LOCK_EX | PL_LOCK_NB) != PL_EBUSY)
        bad |= 1;                       /* the parent holds it */
      if (write (done[1], "", 1) != 1 || read (go[0], &ch, 1) != 1)
        bad |= 2;
      if (pl_lock (c, PL_LOCK_EX | PL_LOCK_NB) != 0)
        bad |= 4;                       /* the parent has let go */
      if (write (done[1], "", 1) != 1 || read (go[0], &ch, 1) != 1)
        bad |= 8;
      if (pl_close (c) != 0)
        bad |= 16;
      exit (bad);
    }
  char ch;
  ck_assert_int_eq (read (done[0], &ch, 1), 1);
  ck_assert_int_eq (pl_unlock (a), 0);
  ck_assert_int_eq (write (go[1], "", 1), 1);
  ck_assert_int_eq (read (done[0], &ch, 1), 1);
  ck_assert (!other_process_can_lock ("posix"));        /* the child's */
  ck_assert_int_eq (write (go[1], "", 1), 1);
  int status;
  ck_assert_int_eq (waitpid (pid, &status, 0), pid);
  ck_assert_msg (WIFEXITED (status) && WEXITSTATUS (status) == 0,
                 "child found %d", WEXITSTATUS (status));
  ck_assert (other_process_can_lock ("posix"));
  ck_assert_int_eq (pl_close (a), 0);
  close (go[0]), close (go[1]), close (done[0]), close (done[1]);
}
END_TEST

/* ---- the kernel's blocking wait fails ------------------------------------ */

/* The lock is held elsewhere (the non-blocking call says so) and then the
   blocking wait itself fails: the error comes back at once (not a
   timeout), the OS error is kept, and nothing is held afterwards.  */
#if PL_HAVE_FLOCK
static int
fake_flock_wait_fails (int fd, int op)
{
  if (op & LOCK_NB)
    return errno = EWOULDBLOCK, -1;
  if (!(op & LOCK_UN))
    return errno = fail_errno, -1;
  return flock (fd, op);
}
#endif

#if PL_HAVE_POSIX || PL_HAVE_OFD
static int
fake_fcntl_wait_fails (int fd, int cmd, struct flock *fl)
{
  bool blocking = cmd == F_SETLKW;
# ifdef F_OFD_SETLKW
  blocking |= cmd == F_OFD_SETLKW;
# endif
  if (blocking)
    return errno = fail_errno, -1;
  if (fl->l_type != F_UNLCK && cmd != F_GETLK)
    return errno = EAGAIN, -1;
  return fcntl (fd, cmd, fl);
}
#endif

static void
wait_fails_case (const char *backend, bool timed, int err, int code)
{
  if (!use (backend))
    return;
  int fd = open_file ();
  int before = test_count_fds ();
  fail_errno = err;
#if PL_HAVE_FLOCK
  if (strcmp (backend, "flock") == 0)
    pl__sys.flock = fake_flock_wait_fails;
#endif
#if PL_HAVE_POSIX || PL_HAVE_OFD
  if (strcmp (backend, "flock") != 0)
    pl__sys.fcntl_lock = fake_fcntl_wait_fails;
#endif
  if (timed)
    ck_assert_int_eq (pl_lock_timed (fd, PL_LOCK_EX, 30), code);
  else
    ck_assert_int_eq (pl_lock (fd, PL_LOCK_EX), code);
  ck_assert_int_eq (pl_os_error (), err);
  after_fault (backend, fd, before);
  pl_close (fd);
}

START_TEST (test_timed_wait_enolck_flock)
{ wait_fails_case ("flock", true, ENOLCK, PL_ENOLCK); }
END_TEST
START_TEST (test_timed_wait_enolck_ofd)
{ wait_fails_case ("ofd", true, ENOLCK, PL_ENOLCK); }
END_TEST
START_TEST (test_blocking_wait_enolck_ofd)
{ wait_fails_case ("ofd", false, ENOLCK, PL_ENOLCK); }
END_TEST
START_TEST (test_timed_wait_edeadlk_posix)
{ wait_fails_case ("posix", true, EDEADLK, PL_EDEADLK); }
END_TEST

#if PL_HAVE_POSIX
/* The timed path's non-blocking attempt fails with a real error (not
   "held"): that error, at once.  */
START_TEST (test_timed_enolck_posix)
{
  if (!use ("posix"))
    return;
  int fd = open_file ();
  int before = test_count_fds ();
  fake_lock_call ("posix");
  plan (1, ENOLCK);
  ck_assert_int_eq (pl_lock_timed (fd, PL_LOCK_EX, 30), PL_ENOLCK);
  ck_assert_int_eq (pl_os_error (), ENOLCK);
  after_fault ("posix", fd, before);
  pl_close (fd);
}
END_TEST

/* fstat fails while the table looks up a second file: for a timed lock,
   for an unlock of a descriptor the table does not know (the fstat of
   that descriptor, or the one that resolves the first file's entry),
   and for a lock that needs the first file's entry resolved.
   The error comes back; the lock held through the first descriptor is
   kept, in the table (another descriptor of this process is refused)
   and in the kernel; and the call works once fstat does.  */
START_TEST (test_lookup_fstat_eio_posix)
{
  if (!use ("posix"))
    return;
  int a = open_file ();
  char path2[300];
  snprintf (path2, sizeof path2, "%s.2", path);
  int b = open (path2, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  int c = open_file ();
  ck_assert_int_ge (b, 0);
  ck_assert_int_eq (pl_lock (a, PL_LOCK_EX), 0);
  int before = test_count_fds ();

  pl__sys.fstat = fake_fstat;
  plan (1, EIO);                        /* b's own fstat */
  ck_assert_int_eq (pl_lock_timed (b, PL_LOCK_EX, 30), PL_ESYSTEM);
  ck_assert_int_eq (pl_os_error (), EIO);
  plan (1, EIO);
  ck_assert_int_eq (pl_unlock (c), PL_ESYSTEM);
  ck_assert_int_eq (pl_os_error (), EIO);
  plan_after (1, 1, EIO);               /* the fstat that resolves a's */
  ck_assert_int_eq (pl_unlock (c), PL_ESYSTEM);
  ck_assert_int_eq (pl_os_error (), EIO);
  ck_assert_int_eq (atomic_load (&calls), 2);
  plan_after (1, 1, EIO);               /* the same, for a lock */
  ck_assert_int_eq (pl_lock (b, PL_LOCK_EX), PL_ESYSTEM);
  ck_assert_int_eq (pl_os_error (), EIO);
  ck_assert_int_eq (atomic_load (&calls), 2);
  pl__sys_reset ();

  ck_assert_int_eq (test_count_fds (), before);
  ck_assert (!other_process_can_lock ("posix"));
  ck_assert_int_eq (pl_lock (c, PL_LOCK_SH | PL_LOCK_NB), PL_EBUSY);
  ck_assert_int_eq (pl_unlock (c), 0);
  ck_assert (!other_process_can_lock ("posix"));        /* still a's */
  ck_assert_int_eq (pl_lock_timed (b, PL_LOCK_EX, 30), 0);
  ck_assert_int_eq (pl_close (b), 0);
  ck_assert_int_eq (pl_close (c), 0);
  ck_assert_int_eq (pl_unlock (a), 0);
  after_fault ("posix", a, before - 2);
  pl_close (a);
  unlink (path2);
}
END_TEST
/* pl_close() of a descriptor whose file the table cannot tell (fstat
   fails: EIO, a stale NFS handle).  Closing it could drop the lock
   another descriptor of the same file holds, so it is kept open until
   the table is empty, and closed then: the error is reported, the other
   lock survives, and nothing leaks.  */
START_TEST (test_close_fstat_eio_posix)
{
  if (!use ("posix"))
    return;
  int a = open_file ();
  int c = open_file ();                 /* the same file, nothing locked */
  ck_assert_int_eq (pl_lock (a, PL_LOCK_EX), 0);
  int before = test_count_fds ();
  pl__sys.fstat = fake_fstat;
  plan (1, EIO);
  ck_assert_int_eq (pl_close (c), PL_ESYSTEM);
  ck_assert_int_eq (pl_os_error (), EIO);
  pl__sys_reset ();
  ck_assert_msg (!other_process_can_lock ("posix"),
                 "pl_close of another descriptor dropped the lock");
  ck_assert_int_eq (test_count_fds (), before);      /* kept for now */
  ck_assert_int_eq (pl_unlock (a), 0);          /* the table is empty */
  ck_assert_int_eq (test_count_fds (), before - 1);  /* and C is closed */
  after_fault ("posix", a, before - 1);
  /* A closed descriptor is just PL_EBADF, with nothing kept.  */
  ck_assert_int_eq (pl_lock (a, PL_LOCK_EX), 0);
  ck_assert_int_eq (pl_close (c), PL_EBADF);
  ck_assert_int_eq (test_count_fds (), before - 1);
  pl_close (a);
}
END_TEST

/* An unlock that lets go in the table and then fails in the kernel
   (ENOLCK: cutting a hole in the process's lock needs a lock record)
   while another descriptor still holds part of the file.  The error is
   reported, and a retried unlock releases in the kernel too.  */
START_TEST (test_unlock_retry_after_kernel_failure_posix)
{
  if (!use ("posix"))
    return;
  int a = open_file ();
  int c = open_file ();
  ck_assert_int_eq (pl_lock_range (a, PL_LOCK_SH, 0, 100), 0);
  ck_assert_int_eq (pl_lock_range (c, PL_LOCK_SH, 50, 10), 0);
  fake_lock_call ("posix");
  plan (1, ENOLCK);                     /* the kernel unlock of [0, 50) */
  ck_assert_int_eq (pl_unlock_range (a, 0, 100), PL_ENOLCK);
  pl__sys_reset ();
  ck_assert (!other_can_lock_range (0, 10));    /* still held */
  ck_assert_int_eq (pl_unlock_range (a, 0, 100), 0);    /* the retry */
  ck_assert_msg (other_can_lock_range (0, 10),
                 "a retried unlock left the kernel's lock in place");
  ck_assert (other_can_lock_range (60, 40));
  ck_assert (!other_can_lock_range (50, 10));   /* C's */
  ck_assert_int_eq (pl_close (c), 0);
  ck_assert (other_process_can_lock ("posix"));
  pl_close (a);
}
END_TEST
#endif /* PL_HAVE_POSIX */

/* ---- lock objects: the pid write, the release, semaphores ----------------- */

/* EINTR from the pid write is retried: the pid file ends up whole.  */
START_TEST (test_pid_write_eintr)
{
  if (!use (NULL))
    return;
  pl_lockfile *lf = new_pidfile_lock ();
  pl__sys.write = fake_write;
  plan (3, EINTR);
  ck_assert_int_eq (pl_lockfile_acquire (lf, NULL, NULL), 0);
  ck_assert_int_eq (atomic_load (&calls), 4);
  pl__sys_reset ();
  char want[32], got[32] = "";
  int n = snprintf (want, sizeof want, "%ld\n", (long) getpid ());
  int fd = open (path, O_RDONLY | O_CLOEXEC);
  ck_assert_int_eq (read (fd, got, sizeof got - 1), n);
  close (fd);
  ck_assert_str_eq (got, want);
  ck_assert_int_eq (pl_lockfile_release (lf), 0);
  pl_lockfile_free (lf);
}
END_TEST

/* A write that makes no progress at all (returns 0) means the disk is
   full: ENOSPC, and the lock is let go.  */
static ssize_t
zero_write (int fd, const void *buf, size_t n)
{
  (void) fd, (void) buf, (void) n;
  atomic_fetch_add (&calls, 1);
  return 0;
}

START_TEST (test_pid_write_no_progress)
{
  if (!use (NULL))
    return;
  pl_lockfile *lf = new_pidfile_lock ();
  int before = test_count_fds ();
  pl__sys.write = zero_write;
  ck_assert_int_eq (pl_lockfile_acquire (lf, NULL, NULL), PL_ESYSTEM);
  ck_assert_int_eq (pl_os_error (), ENOSPC);
  ck_assert_int_eq (pl_lockfile_depth (lf), 0);
  after_object_fault (lf, before);
}
END_TEST

/* fstat of the freshly opened lock file fails: the error, and the
   descriptor is closed.  */
static void
install_fake_fstat (void)
{
  pl__sys.fstat = fake_fstat;
}

START_TEST (test_lockfile_fstat_eio)
{
  acquire_fault_case (install_fake_fstat, EIO);
}
END_TEST

/* The release meets a failing unlock, or a failing close: the error is
   reported, and still the object is released, the descriptor closed,
   and the file free for another process.  */
static int
fake_fcntl_unlock_fails (int fd, int cmd, struct flock *fl)
{
  if (fl->l_type == F_UNLCK && should_fail ())
    return errno = fail_errno, -1;
  return fcntl (fd, cmd, fl);
}

#if PL_HAVE_FLOCK
static int
fake_flock_unlock_fails (int fd, int op)
{
  if ((op & LOCK_UN) && should_fail ())
    return errno = fail_errno, -1;
  return flock (fd, op);
}
#endif

static void
release_fault_case (const char *backend, bool in_close)
{
  if (!use (backend))
    return;
  pl_lockfile *lf = new_pidfile_lock ();
  int before = test_count_fds ();
  ck_assert_int_eq (pl_lockfile_acquire (lf, NULL, NULL), 0);
  plan (1, EIO);
  if (in_close)
    pl__sys.close = fake_close;
#if PL_HAVE_FLOCK
  else if (strcmp (backend, "flock") == 0)
    pl__sys.flock = fake_flock_unlock_fails;
#endif
  else
    pl__sys.fcntl_lock = fake_fcntl_unlock_fails;
  ck_assert_int_eq (pl_lockfile_release (lf), PL_ESYSTEM);
  ck_assert_int_eq (pl_os_error (), EIO);
  ck_assert_int_eq (atomic_load (&fail_left), 0);
  ck_assert_int_eq (pl_lockfile_depth (lf), 0);
  after_object_fault (lf, before);
}

START_TEST (test_release_unlock_eio_flock)
{ release_fault_case ("flock", false); }
END_TEST
START_TEST (test_release_unlock_eio_ofd)
{ release_fault_case ("ofd", false); }
END_TEST
START_TEST (test_release_close_eio_flock)
{ release_fault_case ("flock", true); }
END_TEST

/* A temporary lock file whose identity cannot be checked at release
   (fstat fails) is not removed (it might not be ours), and the release
   says so instead of claiming success; the lock is let go all the
   same.  */
START_TEST (test_temporary_release_fstat_eio)
{
  if (!use (NULL))
    return;
  struct pl_lockfile_options o = PL_LOCKFILE_OPTIONS_INIT;
  o.behaviour = PL_LOCKFILE_TEMPORARY;
  pl_lockfile *lf;
  ck_assert_int_eq (pl_lockfile_new (&lf, path, &o), 0);
  int before = test_count_fds ();
  ck_assert_int_eq (pl_lockfile_acquire (lf, NULL, NULL), 0);
  pl__sys.fstat = fake_fstat;
  plan (1, EIO);
  ck_assert_int_eq (pl_lockfile_release (lf), PL_ESYSTEM);
  ck_assert_int_eq (pl_os_error (), EIO);
  ck_assert_int_eq (access (path, F_OK), 0);            /* still there */
  pl__sys_reset ();
  ck_assert_int_eq (test_count_fds (), before);
  ck_assert (other_process_can_lock (pl_backend ()));
  /* Without the fault: removed.  */
  ck_assert_int_eq (pl_lockfile_acquire (lf, NULL, NULL), 0);
  ck_assert_int_eq (pl_lockfile_release (lf), 0);
  ck_assert_int_ne (access (path, F_OK), 0);
  pl_lockfile_free (lf);
}
END_TEST

/* An error while waiting for a full semaphore (the slot file's open
   fails) comes back at once, not as a timeout; nothing is left open or
   held, and the semaphore works afterwards.  The slot is held by a real
   second process.  */
START_TEST (test_semaphore_wait_open_fails)
{
  if (!use (NULL))
    return;
  char dir[300], slot[340];
  snprintf (dir, sizeof dir, "%s.semdir", path);
  ck_assert_int_eq (mkdir (dir, 0700), 0);
  snprintf (slot, sizeof slot, "%s/sem.00.lock", dir);
  int go[2], ready[2];
  ck_assert_int_eq (pipe (go), 0);
  ck_assert_int_eq (pipe (ready), 0);
  pid_t pid = fork ();
  ck_assert_int_ge (pid, 0);
  if (pid == 0)
    {
      char ch;
      pl__sys_reset ();
      int fd = open (slot, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
      if (fd < 0 || pl_lock (fd, PL_LOCK_EX) != 0
          || write (ready[1], "", 1) != 1 || read (go[0], &ch, 1) != 1)
        _exit (1);
      _exit (0);
    }
  char ch;
  ck_assert_int_eq (read (ready[0], &ch, 1), 1);

  struct pl_lockfile_options o = PL_LOCKFILE_OPTIONS_INIT;
  o.timeout = 30;
  pl_semaphore *s;
  ck_assert_int_eq (pl_semaphore_new (&s, dir, "sem", 1, &o), 0);
  int before = test_count_fds ();
  pl__sys.open = fake_open;
  plan_after (1, 1, EMFILE);            /* the sweep's open works */
  double t0 = (double) time (NULL);
  ck_assert_int_eq (pl_semaphore_acquire (s, NULL, NULL), PL_ESYSTEM);
  ck_assert_int_eq (pl_os_error (), EMFILE);
  ck_assert ((double) time (NULL) - t0 < 20);
  pl__sys_reset ();
  ck_assert_int_eq (test_count_fds (), before);

  ck_assert_int_eq (write (go[1], "", 1), 1);           /* let go */
  int status;
  ck_assert_int_eq (waitpid (pid, &status, 0), pid);
  ck_assert (WIFEXITED (status) && WEXITSTATUS (status) == 0);
  unsigned n = 9;
  ck_assert_int_eq (pl_semaphore_acquire (s, &n, NULL), 0);
  ck_assert_uint_eq (n, 0);
  ck_assert_int_eq (pl_semaphore_release (s), 0);
  pl_semaphore_free (s);
  close (go[0]), close (go[1]), close (ready[0]), close (ready[1]);
  unlink (slot);
  rmdir (dir);
}
END_TEST

/* close() of the written temporary file fails in pl_atomic_commit.  */
static void
install_fake_close (void)
{
  pl__sys.close = fake_close;
}

START_TEST (test_atomic_commit_close_eio)
{
  atomic_commit_fault_case ("target2", install_fake_close);
}
END_TEST

static Suite *
faults_suite (void)
{
  Suite *s = suite_create ("faults");
  TCase *tc = tcase_create ("lock");
  tcase_set_timeout (tc, 120);
  tcase_add_test (tc, test_enolck_flock);
  tcase_add_test (tc, test_enolck_ofd);
  tcase_add_test (tc, test_enolck_posix);
  tcase_add_test (tc, test_enolck_lockf);
  tcase_add_test (tc, test_eintr_flock);
  tcase_add_test (tc, test_eintr_ofd);
  tcase_add_test (tc, test_eintr_posix);
  tcase_add_test (tc, test_eintr_lockf);
#if PL_HAVE_POSIX
  tcase_add_test (tc, test_edeadlk_after_eintr_posix);
  tcase_add_test (tc, test_timed_eintr_storm_posix);
#endif
#if PL_SYS_THREADS
  tcase_add_test (tc, test_timed_no_thread_flock);
  tcase_add_test (tc, test_timed_no_thread_ofd);
  tcase_add_test (tc, test_timed_no_thread_posix);
#endif
  tcase_add_test (tc, test_timed_wait_enolck_flock);
  tcase_add_test (tc, test_timed_wait_enolck_ofd);
  tcase_add_test (tc, test_blocking_wait_enolck_ofd);
  tcase_add_test (tc, test_timed_wait_edeadlk_posix);
#if PL_HAVE_POSIX
  tcase_add_test (tc, test_timed_enolck_posix);
#endif
  suite_add_tcase (s, tc);
  tc = tcase_create ("table-and-close");
#if PL_HAVE_POSIX
  tcase_add_test (tc, test_lookup_fstat_eio_posix);
  tcase_add_test (tc, test_close_fstat_eio_posix);
  tcase_add_test (tc, test_unlock_retry_after_kernel_failure_posix);
#endif
  tcase_set_timeout (tc, 120);
  tcase_add_test (tc, test_fstat_eio_posix);
  tcase_add_test (tc, test_close_eintr_flock);
  tcase_add_test (tc, test_close_eintr_posix);
  tcase_add_test (tc, test_close_eio_flock);
  tcase_add_test (tc, test_close_eio_posix);
  suite_add_tcase (s, tc);
  tc = tcase_create ("objects");
  tcase_set_timeout (tc, 120);
  tcase_add_test (tc, test_open_emfile);
  tcase_add_test (tc, test_open_enfile);
  tcase_add_test (tc, test_pid_write_enospc);
  tcase_add_test (tc, test_pid_write_eio);
  tcase_add_test (tc, test_pid_short_write);
  tcase_add_test (tc, test_open_errno_mapping);
  tcase_add_test (tc, test_object_on_directory_and_fifo);
  tcase_add_test (tc, test_atomic_commit_fsync_eio);
  tcase_add_test (tc, test_pid_write_eintr);
  tcase_add_test (tc, test_pid_write_no_progress);
  tcase_add_test (tc, test_lockfile_fstat_eio);
  tcase_add_test (tc, test_release_unlock_eio_flock);
  tcase_add_test (tc, test_release_unlock_eio_ofd);
  tcase_add_test (tc, test_release_close_eio_flock);
  tcase_add_test (tc, test_temporary_release_fstat_eio);
  tcase_add_test (tc, test_semaphore_wait_open_fails);
  tcase_add_test (tc, test_atomic_commit_close_eio);
  suite_add_tcase (s, tc);
  tc = tcase_create ("mapping-and-ranges");
  tcase_set_timeout (tc, 120);
  tcase_add_test (tc, test_lock_errno_mapping);
#if PL_HAVE_POSIX
  tcase_add_test (tc, test_range_split_and_owners_posix);
  tcase_add_test (tc, test_fork_resets_table_posix);
  tcase_add_test (tc, test_fork_resets_single_entry_posix);
#endif
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  const char *tmp = getenv ("TMPDIR");
  snprintf (path, sizeof path, "%s/pl-faults-%ld.lck", tmp ? tmp : "/tmp",
            (long) getpid ());
  SRunner *sr = srunner_create (faults_suite ());
  srunner_run_all (sr, CK_ENV);
  int failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  unlink (path);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
