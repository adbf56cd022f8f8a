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

#define PL_ALL_FLAGS (PL_LOCK_SH | PL_LOCK_EX | PL_LOCK_NB)

/* A refusal by the library itself: no OS error behind it.  */
static int
refuse (int code)
{
  pl__set_os_error (0);
  return code;
}

/* FLAGS to a mode, or PL_EINVAL: unknown bits, none or both of SH/EX.  */
static int
flags_mode (int flags)
{
  if (flags & ~PL_ALL_FLAGS)
    return PL_EINVAL;
  switch (flags & (PL_LOCK_SH | PL_LOCK_EX))
    {
    case PL_LOCK_SH:
      return PL__SHARED;
    case PL_LOCK_EX:
      return PL__EXCLUSIVE;
    default:
      return PL_EINVAL;
    }
}

static int
check_range (int64_t start, int64_t len)
{
  if (start < 0 || len < 0 || len > INT64_MAX - start)
    return PL_EINVAL;
  return 0;
}

int
pl_lock (int fd, int flags)
{
  int mode = flags_mode (flags);
  if (mode < 0)
    return refuse (mode);
  if (fd < 0)
    return refuse (PL_EBADF);
  return pl__whole_backend ()->lock (fd, mode, !(flags & PL_LOCK_NB), NULL);
}

int
pl_unlock (int fd)
{
  if (fd < 0)
    return refuse (PL_EBADF);
  return pl__whole_backend ()->unlock (fd, NULL);
}

int
pl_lock_range (int fd, int flags, int64_t start, int64_t len)
{
  int mode = flags_mode (flags);
  if (mode < 0 || check_range (start, len) < 0)
    return refuse (PL_EINVAL);
  if (fd < 0)
    return refuse (PL_EBADF);
  const struct pl__backend *b = pl__range_backend ();
  if (!(b->features & PL_FEATURE_RANGE))
    return refuse (PL_ENOTSUP);
  struct pl__range r = { start, len };
  return b->lock (fd, mode, !(flags & PL_LOCK_NB), &r);
}

int
pl_unlock_range (int fd, int64_t start, int64_t len)
{
  if (check_range (start, len) < 0)
    return refuse (PL_EINVAL);
  if (fd < 0)
    return refuse (PL_EBADF);
  const struct pl__backend *b = pl__range_backend ();
  if (!(b->features & PL_FEATURE_RANGE))
    return refuse (PL_ENOTSUP);
  struct pl__range r = { start, len };
  return b->unlock (fd, &r);
}

int
pl_close (int fd)
{
  if (fd < 0)
    return refuse (PL_EBADF);
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
