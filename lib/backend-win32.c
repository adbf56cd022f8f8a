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
   parent's locks (there is no fork; no PL_FEATURE_FORK_SHARED), but its
   HANDLE keeps the file object alive, and the system releases the locks
   only when the last HANDLE to the file object is closed, which a
   process ending in any way does, TerminateProcess included (rule 8).
   So a parent's lock outlives its close while a child holds the
   inherited HANDLE: open with _O_NOINHERIT.  (Wine 8 decides conflicts
   by the file object alone, so there a child can take over its
   parent's lock through an inherited HANDLE; and it drops a process's
   locks when the process ends.)

   Trap: Windows locks are mandatory.  A locked range cannot be read (an
   exclusive lock) or written (any lock) through any other HANDLE, and a
   shared lock blocks writes even through the HANDLE that holds it.  So
   whole-file locks, which must be advisory (rule 6), do not lock the
   data.  Every portalock lock has a mirror 2^63 bytes up, in the top
   half of the 64-bit offset space, where no file holds data (as SQLite
   keeps its lock bytes apart from the data, at 1 GiB, which a big
   database reaches; no file reaches 2^63):
     - the range START, LEN (any int64_t range ends at or below 2^63)
       has its mirror at MIRROR + START, LEN;
     - a whole-file lock is the mirror of the whole range 0..2^63, and
       one byte just below it, at 2^63 - 1 (far beyond the largest file
       NTFS can hold): advisory.  That byte keeps it apart from the
       mirror of the range "0 to the end and beyond", which has the same
       extent otherwise: UnlockFileEx unlocks by exact offset and length,
       and must never take one for the other;
     - a byte-range lock takes its mirror AND the data itself, which
       makes it mandatory, as Windows means byte-range locks to be
       (documented in doc/windows.txt, and tested).
   All conflicts between portalock users are decided in the mirror, so a
   whole-file lock covers every range, as on the fcntl-based backends.
   Another program joins in by locking the mirror.

   Trap: LockFileEx locks do not convert, they accumulate.  A second
   request through the same HANDLE adds a second lock (a shared one
   succeeds and stacks; an exclusive one conflicts with our own lock and
   fails), and each needs its own UnlockFileEx.  The contract's conversion
   is release-then-acquire (as flock(2)), so every lock request first
   removes whatever this HANDLE holds on exactly that range (tolerating
   ERROR_NOT_LOCKED), then asks for the new mode.  If the request fails,
   no lock is left, as the contract says.

   Trap: Windows never merges the locks of one HANDLE: an exclusive
   request that overlaps another lock of the same HANDLE conflicts with
   it (PL_EBUSY, or a wait that never ends: no deadlock detection).  With
   the mirror, an exclusive whole-file lock overlaps every range lock of
   the same descriptor.  Documented: use separate opens.

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
#include <stdlib.h>

#include "portalock.h"
#include "backend-internal.h"
#include "wait-internal.h"

/* Where the mirror of byte 0 lives.  Offsets in LockFileEx are unsigned
   64-bit; the mirror of "to the end of the file and beyond" ends at
   2^64, which Windows accepts (Offset + Length - 1 does not wrap) and
   wine takes as "unbounded".  */
#define MIRROR UINT64_C (0x8000000000000000)

struct span
{
  uint64_t offset;
  uint64_t length;              /* never 0 */
};

/* The data a range names (LEN 0: up to 2^63, where any int64_t range
   ends).  */
static struct span
data_span (const struct pl__range *range)
{
  uint64_t start = (uint64_t) range->start;
  uint64_t len = range->len ? (uint64_t) range->len : MIRROR - start;
  return (struct span) { .offset = start, .length = len };
}

static struct span
mirror_span (const struct pl__range *range)
{
  if (range == NULL)
    return (struct span) { .offset = MIRROR - 1, .length = MIRROR + 1 };
  struct span s = data_span (range);
  s.offset += MIRROR;
  return s;
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
   the HANDLE is overlapped.  OV: the OVERLAPPED to use, its hEvent a
   manual-reset event (the timed wait's helper thread brings its own, so
   that the caller can cancel exactly its request and so that it creates
   nothing it could leak if it is stopped); NULL: a fresh one.  Returns 0
   or the GetLastError() value.  */
static DWORD
lock_call (HANDLE h, bool lock, DWORD flags, struct span s, OVERLAPPED *ov)
{
  if (ov == NULL)
    {
      OVERLAPPED local = { .hEvent = CreateEventW (NULL, TRUE, FALSE, NULL) };
      if (local.hEvent == NULL)
        return GetLastError ();
      DWORD err = lock_call (h, lock, flags, s, &local);
      CloseHandle (local.hEvent);
      return err;
    }
  HANDLE ev = ov->hEvent;
  *ov = (OVERLAPPED) {
    .Offset = (DWORD) s.offset,
    .OffsetHigh = (DWORD) (s.offset >> 32),
    .hEvent = ev,
  };
  ResetEvent (ev);
  DWORD low = (DWORD) s.length, high = (DWORD) (s.length >> 32);
  BOOL ok = lock ? LockFileEx (h, flags, 0, low, high, ov)
                 : UnlockFileEx (h, 0, low, high, ov);
  DWORD err = ok ? 0 : GetLastError ();
  /* Windows marks a queued request STATUS_PENDING in ov.Internal.  Wine
     (8.0: "Async I/O lock wait not implemented") returns ERROR_IO_PENDING
     without queueing anything and never completes it: then return
     ERROR_IO_PENDING, and acquire() falls back to polling.  */
  if (err == ERROR_IO_PENDING && ov->Internal == STATUS_PENDING)
    {
      DWORD unused;
      err = GetOverlappedResult (h, ov, &unused, TRUE) ? 0 : GetLastError ();
    }
  return err;
}

/* The fallback for a blocking request the system would not queue (see
   lock_call): try without sleeping, with a backoff from 1 ms to 64 ms.
   Only reached under wine with an overlapped HANDLE.  */
static DWORD
lock_poll (HANDLE h, DWORD flags, struct span s, OVERLAPPED *ov)
{
  DWORD nap = 1;
  for (;;)
    {
      DWORD err = lock_call (h, true, flags | LOCKFILE_FAIL_IMMEDIATELY, s,
                             ov);
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
unlock_span (HANDLE h, struct span s, OVERLAPPED *ov)
{
  DWORD err;
  /* Each successful call removes one lock, so this ends.  */
  while ((err = lock_call (h, false, 0, s, ov)) == 0)
    continue;
  return err == ERROR_NOT_LOCKED || err == ERROR_LOCK_VIOLATION ? 0 : err;
}

/* Trap: a directory HANDLE (CreateFile with FILE_FLAG_BACKUP_SEMANTICS,
   wrapped by _open_osfhandle), a pipe or a console cannot hold
   byte-range locks: Windows answers ERROR_INVALID_FUNCTION, wine
   ERROR_INVALID_HANDLE for a directory.  Such a descriptor gets
   PL_ENOTSUP from a lock and 0 from an unlock (nothing can be locked
   there, so nothing is), never PL_EBADF.  Only asked on failure.  */
static bool
not_lockable (HANDLE h)
{
  SetLastError (NO_ERROR);
  DWORD type = GetFileType (h);
  if (type == FILE_TYPE_UNKNOWN && GetLastError () != NO_ERROR)
    return false;               /* a bad HANDLE: its error stands */
  if (type != FILE_TYPE_DISK)
    return true;
  BY_HANDLE_FILE_INFORMATION info;
  return GetFileInformationByHandle (h, &info)
         && (info.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY);
}

/* Release RANGE (NULL: the whole-file lock): its mirror, and for a byte
   range its data.  0 or a GetLastError() value.  */
static DWORD
release (HANDLE h, const struct pl__range *range)
{
  DWORD err = unlock_span (h, mirror_span (range), NULL);
  if (range)
    {
      DWORD err2 = unlock_span (h, data_span (range), NULL);
      if (err == 0)
        err = err2;
    }
  return err;
}

/* Take SPAN in the mode FLAGS say, waiting if they do not say
   LOCKFILE_FAIL_IMMEDIATELY.  OV as for lock_call.  */
static DWORD
acquire (HANDLE h, DWORD flags, struct span s, OVERLAPPED *ov)
{
  DWORD err = lock_call (h, true, flags, s, ov);
  if (err == ERROR_IO_PENDING && !(flags & LOCKFILE_FAIL_IMMEDIATELY))
    err = lock_poll (h, flags, s, ov);
  return err;
}

/* Take RANGE (NULL: the whole file) in the mode FLAGS say, after
   release().  The mirror first: it decides between portalock users.
   The data of a byte range after it; if that fails (a program that locks
   data directly holds it), the mirror goes again: a failed request leaves
   no lock.  0 or a GetLastError() value.  */
static DWORD
take (HANDLE h, DWORD flags, const struct pl__range *range, OVERLAPPED *ov)
{
  DWORD err = acquire (h, flags, mirror_span (range), ov);
  if (err == 0 && range)
    {
      err = acquire (h, flags, data_span (range), ov);
      if (err != 0)
        unlock_span (h, mirror_span (range), ov);
    }
  return err;
}

/* A lock request's GetLastError() value as a PL_E* code.  */
static int
lock_result (HANDLE h, DWORD err)
{
  if (err == 0)
    return 0;
  if ((err == ERROR_INVALID_HANDLE || err == ERROR_INVALID_FUNCTION)
      && not_lockable (h))
    {
      pl__set_os_error ((int) err);
      return PL_ENOTSUP;
    }
  return pl__from_win32_error (err);
}

static DWORD
mode_flags (enum pl__mode mode)
{
  return mode == PL__EXCLUSIVE ? LOCKFILE_EXCLUSIVE_LOCK : 0;
}

static int
win32_lock (int fd, enum pl__mode mode, bool wait,
            const struct pl__range *range)
{
  HANDLE h = fd_handle (fd);
  if (h == INVALID_HANDLE_VALUE)
    return bad_fd ();

  /* Release, then acquire: the contract's conversion, and the only way
     not to stack a second lock on the first.  */
  DWORD err = release (h, range);
  if (err == 0)
    err = take (h, mode_flags (mode) | (wait ? 0 : LOCKFILE_FAIL_IMMEDIATELY),
                range, NULL);
  return lock_result (h, err);
}

static int
win32_unlock (int fd, const struct pl__range *range)
{
  HANDLE h = fd_handle (fd);
  if (h == INVALID_HANDLE_VALUE)
    return bad_fd ();
  DWORD err = release (h, range);
  if (err == 0 || not_lockable (h))
    return 0;
  return pl__from_win32_error (err);
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

/* For pl_who(): is a lock that conflicts with MODE held on FD's file,
   by anyone (FD itself included)?  Asked through a new file object on
   the same file (ReOpenFile), which conflicts with every holder: 1 held,
   0 free, or an error.  Nothing stays locked.  */
int
pl__win32_held (int fd, bool exclusive)
{
  HANDLE h = fd_handle (fd);
  if (h == INVALID_HANDLE_VALUE)
    return bad_fd ();
  HANDLE probe = ReOpenFile (h, GENERIC_READ,
                             FILE_SHARE_READ | FILE_SHARE_WRITE
                             | FILE_SHARE_DELETE, 0);
  if (probe == INVALID_HANDLE_VALUE)
    return pl__from_win32_error (GetLastError ());
  struct span s = mirror_span (NULL);
  DWORD err = lock_call (probe, true,
                         (exclusive ? LOCKFILE_EXCLUSIVE_LOCK : 0)
                         | LOCKFILE_FAIL_IMMEDIATELY, s, NULL);
  if (err == 0)
    unlock_span (probe, s, NULL);
  CloseHandle (probe);
  if (err == 0)
    return 0;
  if (err == ERROR_LOCK_VIOLATION)
    return 1;
  return pl__from_win32_error (err);
}

/* ---- Timed waits --------------------------------------------------------

   pl_lock_timed() must not poll (portalock(3), pl_lock_timed(3)), and
   Windows has neither a signal that cuts a blocking LockFileEx short nor
   a way to give LockFileEx a timeout.  What it has, and what this does:
   a kept helper thread makes the blocking LockFileEx calls (take()) on
   FD's own HANDLE -- the same file object, so the lock it gets is FD's --
   and the caller waits for it on an event, with the time left on the
   monotonic clock.  The kernel wakes the helper the moment the holder
   lets go, so the hand-over costs one event wake-up more than a blocking
   lock.  At the deadline the helper is stopped:

   - CancelIoEx() on the helper's own OVERLAPPED (a HANDLE opened
     FILE_FLAG_OVERLAPPED, where the request is queued) or
     CancelSynchronousIo() on the helper thread (a plain HANDLE): the
     LockFileEx fails with ERROR_OPERATION_ABORTED and the helper is kept
     for the next wait;
   - where neither takes, TerminateThread().  Trap: wine 8 implements
     neither for lock waits (CancelSynchronousIo answers ERROR_NOT_FOUND:
     its LockFileEx waits in the wine server), so under wine every
     timeout ends this way.  TerminateThread is safe here, and only here,
     because the helper runs nothing but LockFileEx, UnlockFileEx,
     GetOverlappedResult, ResetEvent, SetEvent and WaitForSingleObject on
     objects the caller owns: no CRT, no heap, no lock of any kind; and it
     is never stopped before it has said it is running, so the loader
     lock it held for DLL_THREAD_ATTACH is long released.  The thread is
     waited for before anything it used is freed.

   Then, as on POSIX, ONE final non-blocking attempt decides: the helper
   may have been granted the lock (or half of a byte range's two spans)
   just before it stopped.  That attempt releases what FD holds on the
   range and asks again without waiting: success means FD holds the lock,
   ERROR_LOCK_VIOLATION that it does not (PL_ETIMEDOUT).  */

struct waiter
{
  HANDLE thread;
  HANDLE job;                   /* auto-reset: a job (or quit) is posted */
  HANDLE done;                  /* auto-reset: running, or job finished */
  OVERLAPPED ov;                /* the helper's; ov.hEvent manual-reset */
  volatile LONG quit;
  /* The job, written before JOB is set, read after DONE is.  */
  HANDLE file;
  DWORD flags;
  bool whole;
  struct pl__range range;
  DWORD result;
};

/* The helper's code: see the list above before adding anything here.  */
static DWORD WINAPI
waiter_main (void *arg)
{
  struct waiter *w = arg;
  SetEvent (w->done);           /* running: attach notifications are over */
  for (;;)
    {
      WaitForSingleObject (w->job, INFINITE);
      if (w->quit)
        return 0;
      w->result = take (w->file, w->flags, w->whole ? NULL : &w->range,
                        &w->ov);
      SetEvent (w->done);
    }
}

static void
waiter_free (struct waiter *w)
{
  if (w->thread)
    CloseHandle (w->thread);
  if (w->job)
    CloseHandle (w->job);
  if (w->done)
    CloseHandle (w->done);
  if (w->ov.hEvent)
    CloseHandle (w->ov.hEvent);
  free (w);
}

static struct waiter *
waiter_new (void)
{
  struct waiter *w = calloc (1, sizeof *w);
  if (w == NULL)
    return NULL;
  w->job = CreateEventW (NULL, FALSE, FALSE, NULL);
  w->done = CreateEventW (NULL, FALSE, FALSE, NULL);
  w->ov.hEvent = CreateEventW (NULL, TRUE, FALSE, NULL);
  if (w->job && w->done && w->ov.hEvent)
    /* A small stack: the helper makes a few system calls.  */
    w->thread = CreateThread (NULL, 64 * 1024, waiter_main, w,
                              STACK_SIZE_PARAM_IS_A_RESERVATION, NULL);
  if (w->thread == NULL)
    {
      waiter_free (w);
      return NULL;
    }
  WaitForSingleObject (w->done, INFINITE);
  return w;
}

static void
waiter_quit (struct waiter *w)
{
  w->quit = 1;
  SetEvent (w->job);
  WaitForSingleObject (w->thread, INFINITE);
  waiter_free (w);
}

/* One kept helper, idle; a second concurrent waiter makes its own and
   ends it afterwards.  */
static struct waiter *volatile spare;

static struct waiter *
waiter_get (void)
{
  struct waiter *w = InterlockedExchangePointer ((void *volatile *) &spare,
                                                 NULL);
  return w ? w : waiter_new ();
}

static void
waiter_put (struct waiter *w)
{
  if (InterlockedCompareExchangePointer ((void *volatile *) &spare, w, NULL)
      != NULL)
    waiter_quit (w);
}

/* Have W take RANGE of H with FLAGS, waiting until DEADLINE at most.
   true: the helper finished by itself, *RESULT is take()'s answer (0, or
   an error -- ERROR_OPERATION_ABORTED if another thread of the program
   cancelled the request: that is not a timeout); also true with 0 if a
   cancel at the deadline came too late to stop the grant.  false: it
   was stopped at the deadline, and FD may hold any part of the lock.
   W is kept or freed.  */
static bool
waiter_run (struct waiter *w, HANDLE h, DWORD flags,
            const struct pl__range *range, const struct timespec *deadline,
            DWORD *result)
{
  w->file = h;
  w->flags = flags;
  w->whole = range == NULL;
  if (range)
    w->range = *range;
  SetEvent (w->job);

  for (;;)
    {
      if (WaitForSingleObject (w->done, pl__ms_until (deadline))
          == WAIT_OBJECT_0)
        {
          *result = w->result;
          waiter_put (w);
          return true;
        }
      if (pl__passed (deadline))
        break;
    }

  /* The deadline.  A cancelled request ends at once; give it a generous
     moment before the hard way.  */
  bool cancelled = CancelIoEx (h, &w->ov)
                   || CancelSynchronousIo (w->thread);
  if (WaitForSingleObject (w->done, cancelled ? 1000 : 0) == WAIT_OBJECT_0)
    {
      *result = w->result;
      waiter_put (w);
      return *result == 0;
    }
  TerminateThread (w->thread, ERROR_TIMEOUT);
  WaitForSingleObject (w->thread, INFINITE);
  waiter_free (w);
  return false;
}

static int
win32_lock_timed (int fd, enum pl__mode mode, const struct pl__range *range,
                  double timeout)
{
  struct timespec deadline;
  pl__deadline (&deadline, timeout);
  HANDLE h = fd_handle (fd);
  if (h == INVALID_HANDLE_VALUE)
    return bad_fd ();

  /* As win32_lock: release, then one attempt without waiting, which
     settles most calls without a thread.  */
  DWORD flags = mode_flags (mode);
  DWORD err = release (h, range);
  if (err == 0)
    err = take (h, flags | LOCKFILE_FAIL_IMMEDIATELY, range, NULL);
  if (err != ERROR_LOCK_VIOLATION)
    return lock_result (h, err);

  /* Where no helper thread can be made, wait.c's backoff loop waits
     instead.  */
  struct waiter *w = waiter_get ();
  if (w == NULL)
    return PL__WAIT_GENERIC;
  if (waiter_run (w, h, flags, range, &deadline, &err))
    return lock_result (h, err);
  /* Stopped at the deadline: the one final attempt decides.  */
  int r = win32_lock (fd, mode, false, range);
  return r == PL_EBUSY ? PL_ETIMEDOUT : r;
}

const struct pl__backend pl__backend_win32 = {
  .name = "win32",
  .features = PL_FEATURE_SHARED | PL_FEATURE_RANGE,
  .probe = NULL,                /* LockFileEx exists on every Windows NT */
  .lock = win32_lock,
  .unlock = win32_unlock,
  .close = win32_close,
  .lock_timed = win32_lock_timed,
};

#endif /* PL_HAVE_WIN32 */
