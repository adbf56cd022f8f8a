/* who.c - pl_who(): which process holds a conflicting lock?
   Copyright (C) 2026 The portalock authors.
   This file is part of portalock, under the GNU LGPL 2.1 or later.

   Where the answer comes from, per backend in use for whole files:
   - posix, lockf: fcntl F_GETLK gives the holder's pid.  The kernel does
     not report this process's own locks (they never conflict with it), so
     a holder inside this process is not seen.
   - ofd: F_OFD_GETLK says whether the lock is held, but an OFD lock has
     no owning process (l_pid is -1); /proc/locks shows -1 too.
   - flock: the kernel has no query call; Linux lists flock locks with the
     pid of the process that took them in /proc/locks (device and inode
     identify the file).  A lock held through FD itself is listed like any
     other and so reported too (with this process's pid).
   - win32: LockFileEx has no query call; a lock taken through a new file
     object on the same file (ReOpenFile) without sleeping says whether
     the lock is held, by anyone (FD itself included), not by whom.
   Held but no pid: if the file reads as a pid file ("1234\n", as
   PL_LOCKFILE_PIDFILE writes) and that process exists, its pid; else -1.  */

#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>
#if defined __linux__
# include <sys/sysmacros.h>
#endif
#ifdef _WIN32
# define WIN32_LEAN_AND_MEAN
# include <windows.h>
# include <io.h>
#endif

#include "portalock.h"
#include "backend-internal.h"

#ifdef F_GETLK
/* 1 held (*PID set, maybe -1), 0 free, or an error.  */
static int
ask_fcntl (int fd, int cmd, bool exclusive, int64_t *pid)
{
  struct flock fl;
  memset (&fl, 0, sizeof fl);
  fl.l_type = exclusive ? F_WRLCK : F_RDLCK;
  fl.l_whence = SEEK_SET;
  while (fcntl (fd, cmd, &fl) != 0)
    if (errno != EINTR)
      return pl__from_errno (errno, fd);
  if (fl.l_type == F_UNLCK)
    return 0;
  *pid = fl.l_pid > 0 ? fl.l_pid : -1;
  return 1;
}
#endif

#if defined __linux__
/* /proc/locks, e.g. "2: FLOCK  ADVISORY  WRITE 535 fe:00:10953114 0 EOF";
   lines with "->" are waiters, not holders.  */
static int
ask_proc_locks (int fd, bool exclusive, int64_t *pid)
{
  struct stat st;
  if (fstat (fd, &st) != 0)
    return pl__from_errno (errno, fd);
  FILE *f = fopen ("/proc/locks", "re");
  if (f == NULL)
    return pl__refuse (PL_ENOTSUP);
  char line[256];
  int held = 0;
  while (!held && fgets (line, sizeof line, f))
    {
      char kind[16], how[16], rw[16];
      long p;
      unsigned maj, min;
      unsigned long long ino;
      if (strstr (line, "->"))
        continue;
      const char *s = strchr (line, ':');
      if (s == NULL
          || sscanf (s + 1, "%15s %15s %15s %ld %x:%x:%llu", kind, how, rw,
                     &p, &maj, &min, &ino) != 7)
        continue;
      if (strcmp (kind, "FLOCK") != 0 || ino != (unsigned long long) st.st_ino
          || maj != major (st.st_dev) || min != minor (st.st_dev))
        continue;
      if (strcmp (rw, "WRITE") == 0 || exclusive)
        {
          held = 1;
          *pid = p > 0 ? p : -1;
        }
    }
  fclose (f);
  return held;
}
#endif

/* The holder named in a pid file, if the file is one and the process
   exists; else -1.  */
static int64_t
pid_from_file (int fd)
{
#ifdef _WIN32
  /* pread and kill (pid, 0), the Windows way: ReadFile at offset 0 of
     FD's HANDLE, and a process handle that is still active.  */
  char buf[24];
  HANDLE h = (HANDLE) _get_osfhandle (fd);
  OVERLAPPED ov = { .Offset = 0 };
  DWORD got = 0;
  if (h == INVALID_HANDLE_VALUE
      || !ReadFile (h, buf, sizeof buf - 1, &got, &ov))
    return -1;
  ssize_t n = (ssize_t) got;
#else
  char buf[24];
  ssize_t n = pread (fd, buf, sizeof buf - 1, 0);
#endif
  if (n < 2 || buf[n - 1] != '\n')
    return -1;
  int64_t pid = 0;
  for (ssize_t i = 0; i < n - 1; i++)
    {
      if (buf[i] < '0' || buf[i] > '9' || pid > INT32_MAX)
        return -1;
      pid = pid * 10 + (buf[i] - '0');
    }
#ifdef _WIN32
  if (pid <= 0)
    return -1;
  HANDLE proc = OpenProcess (PROCESS_QUERY_LIMITED_INFORMATION, FALSE,
                             (DWORD) pid);
  DWORD code = 0;
  bool alive = proc && GetExitCodeProcess (proc, &code)
               && code == STILL_ACTIVE;
  if (proc)
    CloseHandle (proc);
  return alive ? pid : -1;
#else
  if (pid <= 0 || (pid_t) pid != pid)
    return -1;
  if (kill ((pid_t) pid, 0) != 0 && errno != EPERM)
    return -1;
  return pid;
#endif
}

int
pl_who (int fd, int flags, int64_t *pid)
{
  int mode = flags & (PL_LOCK_SH | PL_LOCK_EX);
  if (pid == NULL || (flags & ~(PL_LOCK_SH | PL_LOCK_EX | PL_LOCK_NB))
      || (mode != PL_LOCK_SH && mode != PL_LOCK_EX))
    return pl__refuse (PL_EINVAL);
  if (fd < 0)
    return pl__refuse (PL_EBADF);
  bool exclusive = mode == PL_LOCK_EX;
  const char *name = pl__whole_backend ()->name;
  int64_t who = -1;
  int held;
  (void) exclusive;     /* unused where the system cannot tell */
  (void) name;
  if (false)
    ;
#ifdef F_GETLK
  else if (strcmp (name, "posix") == 0 || strcmp (name, "lockf") == 0)
    held = ask_fcntl (fd, F_GETLK, exclusive, &who);
#endif
#ifdef F_OFD_GETLK
  else if (strcmp (name, "ofd") == 0)
    held = ask_fcntl (fd, F_OFD_GETLK, exclusive, &who);
#endif
#if defined __linux__
  else if (strcmp (name, "flock") == 0)
    held = ask_proc_locks (fd, exclusive, &who);
#endif
#if PL_HAVE_WIN32
  else if (strcmp (name, "win32") == 0)
    held = pl__win32_held (fd, exclusive);      /* held, but by whom? */
#endif
  else
    held = pl__refuse (PL_ENOTSUP);
  if (held < 0)
    return held;
  if (held && who < 0)
    who = pid_from_file (fd);
  *pid = held ? who : 0;
  return 0;
}
