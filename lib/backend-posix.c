/* backend-posix.c - classic fcntl F_SETLK[W] locks, made per open file by
   the inode table.
   Copyright (C) 2026 The portalock authors.
   This file is part of portalock, under the GNU LGPL 2.1 or later.

   Every POSIX system has these, so this is the backend of last resort
   for byte ranges and the default for whole files where flock(2) is
   missing.  The primitive's traps (per-process ownership; close() of any
   descriptor drops all the process's locks on the file; a forked child
   holds none of them) are answered in lib/inode-table.c.

   Trap: a conflict is reported as EAGAIN by some systems and EACCES by
   others (POSIX allows both) for F_SETLK; F_SETLKW never reports a
   conflict, it waits (or says EDEADLK).
   Trap: F_WRLCK needs a descriptor open for writing and F_RDLCK one open
   for reading, else EBADF (told apart from a closed descriptor by
   pl__from_errno()).  */

#include <config.h>

#if PL_HAVE_POSIX

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "portalock.h"
#include "inode-table-internal.h"
#include "syscall-internal.h"

static int
posix_set (int fd, enum pl__mode mode, bool wait, int64_t start, int64_t len)
{
  struct flock fl;
  memset (&fl, 0, sizeof fl);
  fl.l_type = mode == PL__UNLOCK ? F_UNLCK
              : mode == PL__SHARED ? F_RDLCK : F_WRLCK;
  fl.l_whence = SEEK_SET;
  fl.l_start = start;
  fl.l_len = len;
  if (fl.l_start != start || fl.l_len != len)
    {
      /* off_t narrower than int64_t: not expressible here.  */
      pl__set_os_error (EOVERFLOW);
      return PL_EINVAL;
    }
  while (pl__sys.fcntl_lock (fd, wait ? F_SETLKW : F_SETLK, &fl) != 0)
    {
      if (errno == EINTR)
        continue;
      if (!wait && (errno == EAGAIN || errno == EACCES))
        {
          pl__set_os_error (errno);
          return PL_EBUSY;
        }
      return pl__from_errno (errno, fd);
    }
  return 0;
}

/* The bare F_SETLKW for a timed wait: runs in wait.c's helper thread
   with asynchronous cancellation, so nothing but the system call (see
   kernel_wait in backend-internal.h).  The table holds a reservation
   meanwhile, so the grant cannot land on another owner's range.  */
static int
posix_kernel_wait (int fd, enum pl__mode mode, const struct pl__range *range)
{
  struct flock fl;
  memset (&fl, 0, sizeof fl);
  fl.l_type = mode == PL__SHARED ? F_RDLCK : F_WRLCK;
  fl.l_whence = SEEK_SET;
  if (range)
    {
      fl.l_start = range->start;        /* fits: checked by posix_set */
      fl.l_len = range->len;
    }
  while (pl__sys.fcntl_lock (fd, F_SETLKW, &fl) != 0)
    if (errno != EINTR)
      return -errno;
  return 0;
}

static int
posix_lock_timed (int fd, enum pl__mode mode, const struct pl__range *range,
                  double timeout)
{
  return pl__table_lock_timed (posix_set, posix_kernel_wait, fd, mode, range,
                               timeout);
}

static int
posix_lock (int fd, enum pl__mode mode, bool wait,
            const struct pl__range *range)
{
  return pl__table_lock (posix_set, fd, mode, wait, range);
}

static int
posix_unlock (int fd, const struct pl__range *range)
{
  return pl__table_unlock (posix_set, fd, range);
}

static int
posix_close (int fd)
{
  return pl__table_close (posix_set, fd);
}

const struct pl__backend pl__backend_posix = {
  .name = "posix",
  .features = PL_FEATURE_SHARED | PL_FEATURE_RANGE | PL_FEATURE_EMULATED,
  .probe = NULL,
  .lock = posix_lock,
  .unlock = posix_unlock,
  .close = posix_close,
  /* Not kernel_wait: a blind F_SETLKW from wait.c could change locks
     other descriptors of this process hold.  The table waits itself.  */
  .lock_timed = posix_lock_timed,
};

#endif /* PL_HAVE_POSIX */
