/* syscall.c - the real system calls behind pl__sys.
   Copyright (C) 2026 The portalock authors.
   This file is part of portalock, under the GNU LGPL 2.1 or later.  */

#include <config.h>

#include <fcntl.h>
#include <unistd.h>
#if PL_HAVE_FLOCK
# include <sys/file.h>
#endif
#ifdef _WIN32
# include <io.h>
#endif

#include "syscall-internal.h"

/* Small wrappers give every entry one exact prototype on every platform
   (open is variadic, write's types differ on Windows).  */
static int
real_open (const char *path, int flags, mode_t mode)
{
  return open (path, flags, mode);
}

static ssize_t
real_write (int fd, const void *buf, size_t n)
{
  return write (fd, buf, n);
}

static int
real_fsync (int fd)
{
#ifdef _WIN32
  return _commit (fd);
#else
  return fsync (fd);
#endif
}

/* A macro on some systems (large-file and mingw variants).  */
static int
real_fstat (int fd, struct stat *st)
{
  return fstat (fd, st);
}

#if PL_HAVE_POSIX || PL_HAVE_OFD
static int
real_fcntl_lock (int fd, int cmd, struct flock *fl)
{
  return fcntl (fd, cmd, fl);
}
#endif

#define REAL_SYSCALLS {                     \
  .open = real_open,                          \
  .close = close,                             \
  .fstat = real_fstat,                        \
  .write = real_write,                        \
  .sync_fd = real_fsync,                      \
  FLOCK_ENTRY FCNTL_ENTRY LOCKF_ENTRY THREAD_ENTRY }
#if PL_HAVE_FLOCK
# define FLOCK_ENTRY .flock = flock,
#else
# define FLOCK_ENTRY
#endif
#if PL_HAVE_POSIX || PL_HAVE_OFD
# define FCNTL_ENTRY .fcntl_lock = real_fcntl_lock,
#else
# define FCNTL_ENTRY
#endif
#if PL_HAVE_LOCKF
# define LOCKF_ENTRY .lockf = lockf,
#else
# define LOCKF_ENTRY
#endif
#if PL_SYS_THREADS
# define THREAD_ENTRY .thread_create = pthread_create,
#else
# define THREAD_ENTRY
#endif

struct pl__syscalls pl__sys = REAL_SYSCALLS;

void
pl__sys_reset (void)
{
  pl__sys = (struct pl__syscalls) REAL_SYSCALLS;
}
