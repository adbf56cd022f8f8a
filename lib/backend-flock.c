/* backend-flock.c - whole-file locks with flock(2).
   Copyright (C) 2026 The portalock authors.
   This file is part of portalock, under the GNU LGPL 2.1 or later.

   flock locks belong to the open file description, so they already keep
   rules 1 (owner), 2 (independence) and 9 (a forked child shares the lock
   through the inherited descriptor) of the contract, and they are what
   flock(1), Python's portalocker and filelock and Go's gofrs/flock use
   (rule 7).  No byte ranges.

   Trap: converting a flock lock is not atomic.  Linux removes the old
   lock, then tries for the new one; a conversion that fails (LOCK_NB) has
   lost the old lock.  The contract adopts exactly this on every backend,
   so nothing needs emulating here.

   Trap: on Linux before 2.6.12 and on some NFS setups flock is emulated
   with fcntl locks (per process).  Such systems should configure with
   pl_cv_func_flock=no.  */

#include <config.h>

#if PL_HAVE_FLOCK

#include <errno.h>
#include <stddef.h>
#include <sys/file.h>

#include "portalock.h"
#include "backend-internal.h"
#include "syscall-internal.h"

static int
flock_lock (int fd, enum pl__mode mode, bool wait,
            const struct pl__range *range)
{
  (void) range;         /* lock.c never passes one: no PL_FEATURE_RANGE */
  int op = (mode == PL__SHARED ? LOCK_SH : LOCK_EX) | (wait ? 0 : LOCK_NB);
  while (pl__sys.flock (fd, op) != 0)
    {
      if (errno == EWOULDBLOCK)
        {
          pl__set_os_error (errno);
          return PL_EBUSY;
        }
      if (errno != EINTR)
        return pl__from_errno (errno, fd);
    }
  return 0;
}

static int
flock_unlock (int fd, const struct pl__range *range)
{
  (void) range;
  while (pl__sys.flock (fd, LOCK_UN) != 0)
    if (errno != EINTR)
      return pl__from_errno (errno, fd);
  return 0;
}

/* The timed wait's bare call (see kernel_wait in backend-internal.h):
   nothing but flock(2), so that asynchronous cancellation is safe.  */
static int
flock_kernel_wait (int fd, enum pl__mode mode, const struct pl__range *range)
{
  (void) range;
  int op = mode == PL__SHARED ? LOCK_SH : LOCK_EX;
  while (pl__sys.flock (fd, op) != 0)
    if (errno != EINTR)
      return -errno;
  return 0;
}

const struct pl__backend pl__backend_flock = {
  .name = "flock",
  .features = PL_FEATURE_SHARED | PL_FEATURE_FORK_SHARED
              | PL_FEATURE_FLOCK_COMPAT,
  .probe = NULL,                /* flock(2) is a system call everywhere it
                                   exists: nothing to probe */
  .lock = flock_lock,
  .unlock = flock_unlock,
  .close = NULL,
  .kernel_wait = flock_kernel_wait,
};

#endif /* PL_HAVE_FLOCK */
