/* error.c - error codes, messages, and the per-thread OS error.
   Copyright (C) 2026 The portalock authors.
   This file is part of portalock, under the GNU LGPL 2.1 or later.  */

#include <config.h>

#include <errno.h>
#include <fcntl.h>

#include "portalock.h"
#include "backend-internal.h"

/* One list: code, name, message.  pl_strerror, pl_strerror_name and the
   test that checks every code all come from it.  */
#define PL_ERRORS(X)                                                    \
  X (PL_OK, "success")                                                  \
  X (PL_EBUSY, "the lock is held by another owner")                     \
  X (PL_ETIMEDOUT, "timed out waiting for the lock")                    \
  X (PL_EINVAL, "invalid argument")                                     \
  X (PL_EBADF, "not an open file descriptor")                           \
  X (PL_EACCES, "descriptor not open for the access this lock needs, "  \
                "or permission denied")                                 \
  X (PL_ENOLCK, "no locks available")                                   \
  X (PL_EDEADLK, "deadlock detected")                                   \
  X (PL_ENOMEM, "out of memory")                                        \
  X (PL_ENOTSUP, "not supported by this backend")                       \
  X (PL_ENOBACKEND, "no such locking backend on this system")           \
  X (PL_ESYSTEM, "system error")                                        \
  X (PL_ENOENT, "no such file or directory")                            \
  X (PL_EISDIR, "is a directory")                                       \
  X (PL_ELOOP, "symbolic link not followed, or too many links")         \
  X (PL_EEXIST, "file exists")                                          \
  X (PL_ENAMETOOLONG, "file name too long")                             \
  X (PL_ENOTDIR, "not a directory")

const char *
pl_strerror (int code)
{
  switch (code)
    {
#define X(c, msg) case c: return msg;
      PL_ERRORS (X)
#undef X
    }
  return "unknown error";
}

const char *
pl_strerror_name (int code)
{
  switch (code)
    {
#define X(c, msg) case c: return #c;
      PL_ERRORS (X)
#undef X
    }
  return "PL_UNKNOWN";
}

/* The raw OS error of the last failure, per thread.  Written only on
   failure paths, so the cost of thread-local storage (emulated TLS on
   mingw) never reaches a successful lock.  */
static _Thread_local int last_os_error;

void
pl__set_os_error (int os_error)
{
  last_os_error = os_error;
}

int
pl_os_error (void)
{
  return last_os_error;
}

int
pl__from_errno (int err, int fd)
{
  pl__set_os_error (err);
  switch (err)
    {
    case EBADF:
      /* fcntl locks answer EBADF both for a closed descriptor and for one
         not open for writing (F_WRLCK) or reading (F_RDLCK).  Tell them
         apart: only the first is a bad descriptor.  */
#if defined F_GETFD && !defined _WIN32 /* gnulib's mingw <fcntl.h>
                                            has F_GETFD, not fcntl() */
      if (fd >= 0 && fcntl (fd, F_GETFD) != -1)
        return PL_EACCES;
#else
      (void) fd;
#endif
      return PL_EBADF;
    case EINVAL:
      return PL_EINVAL;
    case ENOLCK:
      return PL_ENOLCK;
#ifdef EDEADLK
    case EDEADLK:
      return PL_EDEADLK;
#endif
    case ENOMEM:
      return PL_ENOMEM;
    case EACCES:
    case EPERM:
      return PL_EACCES;
#ifdef EOPNOTSUPP
    case EOPNOTSUPP:
#endif
#if defined ENOTSUP && (!defined EOPNOTSUPP || ENOTSUP != EOPNOTSUPP)
    case ENOTSUP:
#endif
      return PL_ENOTSUP;
    default:
      return PL_ESYSTEM;
    }
}
