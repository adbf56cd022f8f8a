/* backend-ofd.c - open-file-description locks: fcntl F_OFD_SETLK[W].
   Copyright (C) 2026 The portalock authors.
   This file is part of portalock, under the GNU LGPL 2.1 or later.

   OFD locks (Linux 3.15, also FreeBSD 14 and others) are fcntl byte-range
   locks owned by the open file description, like flock: no per-inode
   table, no deferred close.  The default for byte ranges.

   Trap: the headers may define F_OFD_SETLK while the running kernel is
   older and answers EINVAL; the run-time probe catches that and the
   preference table falls through to posix.

   Trap: OFD locks have no deadlock detection.  Two shared holders that
   both upgrade to exclusive with F_OFD_SETLKW would wait for each other
   forever.  Conversion is release-then-acquire here (as the contract
   says, and as flock does), which also removes that deadlock.

   Trap: l_pid must be 0 for OFD requests, or the kernel says EINVAL.  */

#include <config.h>

#if PL_HAVE_OFD

#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "portalock.h"
#include "backend-internal.h"
#include "syscall-internal.h"

static int
ofd_set (int fd, int cmd, short type, const struct pl__range *range)
{
  struct flock fl;
  memset (&fl, 0, sizeof fl);   /* l_pid = 0 */
  fl.l_type = type;
  fl.l_whence = SEEK_SET;
  if (range)
    {
      fl.l_start = range->start;
      fl.l_len = range->len;
      if (fl.l_start != range->start || fl.l_len != range->len)
        {
          /* off_t narrower than int64_t: the range cannot be expressed.  */
          errno = EOVERFLOW;
          return -1;
        }
    }
  int r;
  do
    r = pl__sys.fcntl_lock (fd, cmd, &fl);
  while (r != 0 && errno == EINTR);
  return r;
}

static int
ofd_unlock (int fd, const struct pl__range *range)
{
  if (ofd_set (fd, F_OFD_SETLK, F_UNLCK, range) != 0)
    return errno == EOVERFLOW ? (pl__set_os_error (errno), PL_EINVAL)
                              : pl__from_errno (errno, fd);
  return 0;
}

static int
ofd_lock (int fd, enum pl__mode mode, bool wait,
          const struct pl__range *range)
{
  short type = mode == PL__SHARED ? F_RDLCK : F_WRLCK;

  /* Try without sleeping first: the uncontended case is one call.  */
  if (ofd_set (fd, F_OFD_SETLK, type, range) == 0)
    return 0;
  int err = errno;
  if (err != EAGAIN && err != EACCES)
    {
      if (err == EOVERFLOW)
        {
          pl__set_os_error (err);
          return PL_EINVAL;
        }
      return pl__from_errno (err, fd);
    }

  /* Held elsewhere.  Release whatever we held on the range: a failed
     request leaves no lock, and a blocking upgrade must not sit on its
     shared lock (see the deadlock trap above).  */
  ofd_set (fd, F_OFD_SETLK, F_UNLCK, range);
  if (!wait)
    {
      pl__set_os_error (err);
      return PL_EBUSY;
    }
  if (ofd_set (fd, F_OFD_SETLKW, type, range) != 0)
    return pl__from_errno (errno, fd);
  return 0;
}

/* The timed wait's bare call (see kernel_wait in backend-internal.h).
   ofd_set is memset + fcntl only, so asynchronous cancellation is safe.
   glibc makes fcntl (F_OFD_SETLKW) a cancellation point too.  */
static int
ofd_kernel_wait (int fd, enum pl__mode mode, const struct pl__range *range)
{
  short type = mode == PL__SHARED ? F_RDLCK : F_WRLCK;
  if (ofd_set (fd, F_OFD_SETLKW, type, range) != 0)
    return -errno;
  return 0;
}

/* Headers may know F_OFD_GETLK while the kernel does not.  On a kernel
   that knows it, a bad descriptor gives EBADF; otherwise EINVAL.  */
static bool
ofd_probe (void)
{
  struct flock fl;
  memset (&fl, 0, sizeof fl);
  fl.l_type = F_RDLCK;
  fl.l_whence = SEEK_SET;
  return fcntl (-1, F_OFD_GETLK, &fl) == -1 && errno == EBADF;
}

const struct pl__backend pl__backend_ofd = {
  .name = "ofd",
  .features = PL_FEATURE_SHARED | PL_FEATURE_RANGE | PL_FEATURE_FORK_SHARED,
  .probe = ofd_probe,
  .lock = ofd_lock,
  .unlock = ofd_unlock,
  .close = NULL,
  .kernel_wait = ofd_kernel_wait,
};

#endif /* PL_HAVE_OFD */
