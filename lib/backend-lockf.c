/* backend-lockf.c - lockf(3), made per open file by the inode table.
   Copyright (C) 2026 The portalock authors.
   This file is part of portalock, under the GNU LGPL 2.1 or later.

   The last resort: lockf is the one locking call in POSIX's XSI option
   that some minimal systems offer without fcntl byte-range commands
   exposed.  It has the per-process semantics of fcntl locks (on Linux it
   IS fcntl), so it goes through the same inode table.

   Trap: lockf has no shared locks.  A shared request takes an exclusive
   lock: never weaker than asked, so no writer can slip in, but two
   shared holders exclude each other (documented in portalock(3); the
   backend lacks PL_FEATURE_SHARED).  The table is told "exclusive" too,
   so two descriptors in one process behave as two processes do.
   Trap: lockf locks from the CURRENT FILE OFFSET.  The offset is moved to
   the range's start and put back, under the table's mutex; another
   thread doing I/O on the same open file (the offset is shared by dup()s)
   at that instant would see it move.  Documented; use the posix backend
   where that matters.
   Trap: lockf needs a descriptor open for writing, even to unlock on some
   systems.  */

#include <config.h>

#if PL_HAVE_LOCKF

#include <errno.h>
#include <unistd.h>

#include "portalock.h"
#include "inode-table-internal.h"
#include "syscall-internal.h"

static int
lockf_set (int fd, enum pl__mode mode, bool wait, int64_t start, int64_t len)
{
  off_t start_off = start, len_off = len;
  if (start_off != start || len_off != len)
    {
      pl__set_os_error (EOVERFLOW);
      return PL_EINVAL;
    }
  off_t saved = lseek (fd, 0, SEEK_CUR);
  if (saved == -1 || lseek (fd, start_off, SEEK_SET) == -1)
    return pl__from_errno (errno, fd);

  int cmd = mode == PL__UNLOCK ? F_ULOCK : wait ? F_LOCK : F_TLOCK;
  int r, err = 0;
  while ((r = pl__sys.lockf (fd, cmd, len_off)) != 0 && errno == EINTR)
    continue;
  if (r != 0)
    err = errno;
  lseek (fd, saved, SEEK_SET);

  if (r == 0)
    return 0;
  if (cmd == F_TLOCK && (err == EAGAIN || err == EACCES))
    {
      pl__set_os_error (err);
      return PL_EBUSY;
    }
  return pl__from_errno (err, fd);
}

static int
lockf_lock (int fd, enum pl__mode mode, bool wait,
            const struct pl__range *range)
{
  (void) mode;                  /* always exclusive: see above */
  return pl__table_lock (lockf_set, fd, PL__EXCLUSIVE, wait, range);
}

/* Timed waits: the table's, polling the kernel with a bounded backoff.
   No helper-thread wait here: lockf works from the file offset, and a
   thread cancelled between its lseek() and lockf() would leave the
   offset moved.  */
static int
lockf_lock_timed (int fd, enum pl__mode mode, const struct pl__range *range,
                  double timeout)
{
  (void) mode;                  /* always exclusive: see above */
  return pl__table_lock_timed (lockf_set, NULL, fd, PL__EXCLUSIVE, range,
                               timeout);
}

static int
lockf_unlock (int fd, const struct pl__range *range)
{
  return pl__table_unlock (lockf_set, fd, range);
}

static int
lockf_close (int fd)
{
  return pl__table_close (lockf_set, fd);
}

const struct pl__backend pl__backend_lockf = {
  .name = "lockf",
  .features = PL_FEATURE_RANGE | PL_FEATURE_EMULATED,
  .probe = NULL,
  .lock = lockf_lock,
  .unlock = lockf_unlock,
  .close = lockf_close,
  .lock_timed = lockf_lock_timed,
};

#endif /* PL_HAVE_LOCKF */
