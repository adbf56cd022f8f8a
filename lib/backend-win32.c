/* backend-win32.c - LockFileEx / UnlockFileEx on the HANDLE behind a CRT
   file descriptor.
   Copyright (C) 2026 The portalock authors.
   This file is part of portalock, under the GNU LGPL 2.1 or later.

   Owner.  A LockFileEx lock belongs to the file object the HANDLE refers
   to, together with the process that took it.  _dup() duplicates the
   HANDLE (DuplicateHandle) onto the same file object, so a descriptor and
   its _dup()s share their locks, as flock and OFD locks do (rule 1); two
   separate _open()s are two file objects and conflict, also in one
   thread.  A child process that inherits the HANDLE does NOT hold the
   parent's locks (there is no fork; no PL_FEATURE_FORK_SHARED).  The
   system releases the locks when the last HANDLE to the file object is
   closed, or when the process ends in any way, TerminateProcess included
   (rule 8).

   Trap: Windows locks are mandatory.  A locked range cannot be read (an
   exclusive lock) or written (any lock) through any other HANDLE, and a
   shared lock blocks writes even through the HANDLE that holds it.  So
   whole-file locks, which must be advisory (rule 6), do not lock the
   data: they lock one byte at the very top of the 64-bit offset space,
   LOCK_BYTE below, as SQLite does with its lock bytes (SQLite's sit at
   1 GiB, which a big database reaches; ours no file can reach).  Byte
   ranges given to pl_lock_range() lock the data they name, mandatorily:
   documented in doc/windows.txt and tested.  Since every int64_t range
   ends at or below 2^63, whole-file and range locks never overlap and are
   independent of each other, as flock and OFD locks are on Linux.

   Trap: LockFileEx locks do not convert, they accumulate.  A second
   request through the same HANDLE adds a second lock (a shared one
   succeeds and stacks; an exclusive one conflicts with our own lock and
   fails), and each needs its own UnlockFileEx.  The contract's conversion
   is release-then-acquire (as flock(2)), so every lock request first
   removes whatever this HANDLE holds on exactly that range (tolerating
   ERROR_NOT_LOCKED), then asks for the new mode.  If the request fails,
   no lock is left, as the contract says.

   Trap: UnlockFileEx must name a range exactly as it was locked; Windows
   does not split or merge ranges as fcntl does.  Unlocking a sub-range of
   a locked range is ERROR_NOT_LOCKED, which we treat like unlocking an
   unlocked range (not an error): the lock stays.  Documented.

   Trap: a HANDLE opened with FILE_FLAG_OVERLAPPED (a user may wrap one
   in a descriptor with _open_osfhandle) makes LockFileEx return at once
   with ERROR_IO_PENDING.  Every call therefore carries an event in its
   OVERLAPPED and waits for a pending request to finish, so the caller
   sees the same result on either kind of HANDLE.

   Trap: LOCKFILE_FAIL_IMMEDIATELY gives ERROR_LOCK_VIOLATION when the
   range is held: the only "held by someone else" answer (PL_EBUSY).  */

#include <config.h>

#if PL_HAVE_WIN32

#define WIN32_LEAN_AND_MEAN
#include <windows.h>
#include <errno.h>
#include <io.h>
#include <stddef.h>
#include <stdint.h>

#include "portalock.h"
#include "backend-internal.h"

/* The whole-file lock byte.  Offsets in LockFileEx are unsigned 64-bit;
   no file holds data there, and no range given to pl_lock_range() (an
   int64_t start + len <= 2^63) reaches it.  Other programs that want to
   interoperate with portalock's whole-file locks lock this byte.  */
#define LOCK_BYTE UINT64_C (0xFFFFFFFFFFFFFFFE)

/* A byte range of length 0 ("to the end of the file and beyond") covers
   everything an int64_t range can name: up to 2^63, not beyond, so that
   it stays apart from LOCK_BYTE.  */
#define RANGE_LIMIT UINT64_C (0x8000000000000000)

struct span
{
  uint64_t offset;
  uint64_t length;              /* never 0 */
};

static struct span
to_span (const struct pl__range *range)
{
  if (range == NULL)
    return (struct span) { .offset = LOCK_BYTE, .length = 1 };
  uint64_t start = (uint64_t) range->start;
  uint64_t len = range->len ? (uint64_t) range->len : RANGE_LIMIT - start;
  return (struct span) { .offset = start, .length = len };
}

/* The HANDLE behind FD, or INVALID_HANDLE_VALUE.  _get_osfhandle gives -2
   for the standard streams of a process without a console: not a file
   either.  With msvcrt.dll (mingw-w64's default) a bad FD sets EBADF;
   the UCRT would call its invalid-parameter handler instead.  */
static HANDLE
fd_handle (int fd)
{
  intptr_t h = _get_osfhandle (fd);
  if (h == -1 || h == -2)
    return INVALID_HANDLE_VALUE;
  return (HANDLE) h;
}

static int
bad_fd (void)
{
  return pl__from_win32_error (ERROR_INVALID_HANDLE);
}

/* One LockFileEx (LOCK true) or UnlockFileEx call on SPAN, waited for if
   the HANDLE is overlapped.  Returns 0 or the GetLastError() value.  */
static DWORD
lock_call (HANDLE h, bool lock, DWORD flags, struct span s)
{
  OVERLAPPED ov = {
    .Offset = (DWORD) s.offset,
    .OffsetHigh = (DWORD) (s.offset >> 32),
    .hEvent = CreateEventW (NULL, TRUE, FALSE, NULL),
  };
  if (ov.hEvent == NULL)
    return GetLastError ();
  DWORD low = (DWORD) s.length, high = (DWORD) (s.length >> 32);
  BOOL ok = lock ? LockFileEx (h, flags, 0, low, high, &ov)
                 : UnlockFileEx (h, 0, low, high, &ov);
  DWORD err = ok ? 0 : GetLastError ();
  /* Windows marks a queued request STATUS_PENDING in ov.Internal.  Wine
     (8.0: "Async I/O lock wait not implemented") returns ERROR_IO_PENDING
     without queueing anything and never completes it: then return
     ERROR_IO_PENDING, and win32_lock falls back to polling.  */
  if (err == ERROR_IO_PENDING && ov.Internal == STATUS_PENDING)
    {
      DWORD unused;
      err = GetOverlappedResult (h, &ov, &unused, TRUE) ? 0 : GetLastError ();
    }
  CloseHandle (ov.hEvent);
  return err;
}

/* The fallback for a blocking request the system would not queue (see
   lock_call): try without sleeping, with a backoff from 1 ms to 64 ms.
   Only reached under wine with an overlapped HANDLE.  */
static DWORD
lock_poll (HANDLE h, DWORD flags, struct span s)
{
  DWORD nap = 1;
  for (;;)
    {
      DWORD err = lock_call (h, true, flags | LOCKFILE_FAIL_IMMEDIATELY, s);
      if (err != ERROR_LOCK_VIOLATION)
        return err;
      Sleep (nap);
      if (nap < 64)
        nap *= 2;
    }
}

/* Remove every lock this HANDLE holds on exactly SPAN (they may have
   stacked, see the trap above).  Not being locked is fine.

   Trap: Windows answers an unlock of a range that is not locked with
   ERROR_NOT_LOCKED; wine (8.0, server/fd.c unlock_fd) answers
   ERROR_LOCK_VIOLATION.  An unlock never waits for anybody, so both can
   only mean "nothing (left) to unlock here".  */
static DWORD
unlock_span (HANDLE h, struct span s)
{
  DWORD err;
  /* Each successful call removes one lock, so this ends.  */
  while ((err = lock_call (h, false, 0, s)) == 0)
    continue;
  return err == ERROR_NOT_LOCKED || err == ERROR_LOCK_VIOLATION ? 0 : err;
}

static int
win32_lock (int fd, enum pl__mode mode, bool wait,
            const struct pl__range *range)
{
  HANDLE h = fd_handle (fd);
  if (h == INVALID_HANDLE_VALUE)
    return bad_fd ();
  struct span s = to_span (range);

  /* Release, then acquire: the contract's conversion, and the only way
     not to stack a second lock on the first.  */
  DWORD err = unlock_span (h, s);
  if (err != 0)
    return pl__from_win32_error (err);

  DWORD flags = (mode == PL__EXCLUSIVE ? LOCKFILE_EXCLUSIVE_LOCK : 0)
                | (wait ? 0 : LOCKFILE_FAIL_IMMEDIATELY);
  err = lock_call (h, true, flags, s);
  if (err == ERROR_IO_PENDING && wait)
    err = lock_poll (h, flags, s);
  if (err == 0)
    return 0;
  return pl__from_win32_error (err);
}

static int
win32_unlock (int fd, const struct pl__range *range)
{
  HANDLE h = fd_handle (fd);
  if (h == INVALID_HANDLE_VALUE)
    return bad_fd ();
  DWORD err = unlock_span (h, to_span (range));
  return err ? pl__from_win32_error (err) : 0;
}

/* pl_close: just _close.  The locks go when the last HANDLE to the file
   object closes, so a _dup() of FD keeps holding them, as a dup keeps a
   flock lock.  Unlocking here first would take them away from that
   duplicate.  The check first: a bad descriptor is PL_EBADF, not a
   CRT assertion.  */
static int
win32_close (int fd)
{
  if (fd_handle (fd) == INVALID_HANDLE_VALUE)
    return bad_fd ();
  SetLastError (0);
  if (_close (fd) != 0)
    {
      DWORD err = GetLastError ();
      return pl__from_win32_error (err ? err : ERROR_INVALID_HANDLE);
    }
  return 0;
}

const struct pl__backend pl__backend_win32 = {
  .name = "win32",
  .features = PL_FEATURE_SHARED | PL_FEATURE_RANGE,
  .probe = NULL,                /* LockFileEx exists on every Windows NT */
  .lock = win32_lock,
  .unlock = win32_unlock,
  .close = win32_close,
};

#endif /* PL_HAVE_WIN32 */
