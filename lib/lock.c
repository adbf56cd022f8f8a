/* lock.c - the public lock entry points: check the arguments once, here,
   then call the chosen backend.
   Copyright (C) 2026 The portalock authors.
   This file is part of portalock, under the GNU LGPL 2.1 or later.  */

#include <config.h>

#include <errno.h>
#include <unistd.h>

#include "portalock.h"
#include "backend-internal.h"
#include "syscall-internal.h"

int
pl_lock (int fd, int flags)
{
  int mode = pl__flags_mode (flags);
  if (mode < 0)
    return pl__refuse (mode);
  if (fd < 0)
    return pl__refuse (PL_EBADF);
  return pl__whole_backend ()->lock (fd, mode, !(flags & PL_LOCK_NB), NULL);
}

int
pl_unlock (int fd)
{
  if (fd < 0)
    return pl__refuse (PL_EBADF);
  return pl__whole_backend ()->unlock (fd, NULL);
}

int
pl_lock_range (int fd, int flags, int64_t start, int64_t len)
{
  int mode = pl__flags_mode (flags);
  if (mode < 0 || !pl__range_ok (start, len))
    return pl__refuse (PL_EINVAL);
  if (fd < 0)
    return pl__refuse (PL_EBADF);
  const struct pl__backend *b = pl__range_backend ();
  if (!(b->features & PL_FEATURE_RANGE))
    return pl__refuse (PL_ENOTSUP);
  struct pl__range r = { start, len };
  return b->lock (fd, mode, !(flags & PL_LOCK_NB), &r);
}

int
pl_unlock_range (int fd, int64_t start, int64_t len)
{
  if (!pl__range_ok (start, len))
    return pl__refuse (PL_EINVAL);
  if (fd < 0)
    return pl__refuse (PL_EBADF);
  const struct pl__backend *b = pl__range_backend ();
  if (!(b->features & PL_FEATURE_RANGE))
    return pl__refuse (PL_ENOTSUP);
  struct pl__range r = { start, len };
  return b->unlock (fd, &r);
}

int
pl_close (int fd)
{
  if (fd < 0)
    return pl__refuse (PL_EBADF);
  /* Whole-file and range backends may differ (flock + ofd); the one that
     emulates owns the close, since only it defers closes.  */
  const struct pl__backend *w = pl__whole_backend ();
  const struct pl__backend *r = pl__range_backend ();
  const struct pl__backend *b = w->close ? w : r;
  if (b->close)
    return b->close (fd);
  /* POSIX leaves the descriptor's state unspecified after EINTR; on
     Linux and the BSDs it is closed, so retrying could close a
     descriptor another thread just opened.  Treat EINTR as done.  */
  if (pl__sys.close (fd) != 0 && errno != EINTR)
    return pl__from_errno (errno, -1);
  return 0;
}
