/* backend-internal.h - what a locking backend provides.  Never installed.
   Copyright (C) 2026 The portalock authors.
   This file is part of portalock, under the GNU LGPL 2.1 or later.  */

#ifndef PL_BACKEND_INTERNAL_H
#define PL_BACKEND_INTERNAL_H 1

#include <stdint.h>
#include <stdbool.h>

#include "portalock.h"

/* Lock modes passed to backends (the flags, reduced and checked).  */
enum pl__mode
{
  PL__UNLOCK = 0,
  PL__SHARED = 1,
  PL__EXCLUSIVE = 2
};

/* A byte range, already checked by the public entry points: START >= 0,
   LEN >= 0, START + LEN does not overflow.  LEN 0 means "to the end of
   the file and beyond", as for fcntl.  The whole file is {0, 0}.  */
struct pl__range
{
  int64_t start;
  int64_t len;
};

/* One backend: a primitive, made to keep the contract of portalock(3).
   Every function returns 0 or a negative PL_E* code, and on failure has
   recorded the OS error with pl__set_os_error().  Blocking calls retry on
   EINTR: signals never end a wait.

   lock: take MODE (PL__SHARED or PL__EXCLUSIVE) on RANGE of FD, or on the
     whole file when RANGE is NULL.  WAIT false: never sleep, PL_EBUSY when
     held elsewhere.  On PL_EBUSY (and any failure of a conversion) the
     caller holds no lock on the range afterwards: conversion is
     release-then-acquire on every backend, because flock(2) is.
   unlock: release RANGE (NULL: the whole-file lock).
   close: close FD; NULL means close(2) is enough for this backend.
   kernel_wait: optional (NULL: timed waits poll with a bounded backoff).
     The bare blocking system call that waits until the kernel grants MODE
     on RANGE (NULL: whole file) to FD: flock (fd, LOCK_EX), fcntl
     F_OFD_SETLKW, fcntl F_SETLKW.  lib/wait.c runs it in a helper thread
     with ASYNCHRONOUS cancellation enabled and all signals blocked, and
     cancels that thread at the deadline.  So it must be async-cancel-safe:
     only the system call (and a loop on EINTR), no mutex, no malloc, no
     stdio, no thread-local library state -- not even pl__set_os_error()
     or pl__from_errno().  It returns 0 when the kernel granted the lock,
     else the NEGATED errno (-EDEADLK ...), never a PL_E* code; wait.c
     maps it in the calling thread.  Cancelled at any instant, it leaves
     FD either holding the kernel lock or not, never half.  It is only a
     wait: wait.c always follows a 0 (and every cancellation) with
     lock (FD, MODE, false, RANGE), which decides and records the result
     (emulated backends: the inode table).  If that answers PL_EBUSY while
     kernel_wait said 0 (another descriptor of this process holds the
     lock: the kernel cannot see that conflict), wait.c sleeps with a
     bounded backoff and tries again; lock() must then leave the kernel
     state consistent with the table, since kernel_wait on a per-process
     primitive may have changed the process's kernel lock.
   lock_timed: optional, for a backend that waits with a timeout its own
     way (win32: a helper thread in LockFileEx, stopped at the deadline,
     then one final non-blocking attempt; see backend-win32.c).  wait.c calls it instead of using a helper thread, with
     TIMEOUT > 0 and finite; it returns what pl__lock_wait() returns
     (wait-internal.h): 0, PL_ETIMEDOUT no earlier than TIMEOUT (no lock
     held), or an error; signals must not shorten it.  Or, when it cannot
     wait its own way this time (no helper thread to be had), it returns
     PL__WAIT_GENERIC, holding no lock on RANGE, and wait.c's backoff loop
     waits instead, until the same deadline.  */
/* lock_timed's "wait the generic way" (error codes are negative).  */
#define PL__WAIT_GENERIC 1

struct pl__backend
{
  const char *name;
  unsigned features;            /* PL_FEATURE_* */
  bool (*probe) (void);         /* does it work on this kernel? */
  int (*lock) (int fd, enum pl__mode mode, bool wait,
               const struct pl__range *range);
  int (*unlock) (int fd, const struct pl__range *range);
  int (*close) (int fd);
  int (*kernel_wait) (int fd, enum pl__mode mode,
                      const struct pl__range *range);
  int (*lock_timed) (int fd, enum pl__mode mode,
                     const struct pl__range *range, double timeout);
};

/* The backends, each defined in lib/backend-NAME.c when configure found
   its primitive.  */
extern const struct pl__backend pl__backend_flock;
extern const struct pl__backend pl__backend_ofd;
extern const struct pl__backend pl__backend_posix;
extern const struct pl__backend pl__backend_lockf;
extern const struct pl__backend pl__backend_win32;

/* The backends chosen for whole-file and byte-range locks.  Cheap: one
   atomic load after the first call.  Never NULL: the posix backend exists
   on every POSIX system and win32 on Windows.  */
const struct pl__backend *pl__whole_backend (void);
const struct pl__backend *pl__range_backend (void);

/* Errors (lib/error.c).  */
void pl__set_os_error (int os_error);
/* Map an errno from a lock system call; EWOULDBLOCK-type values are NOT
   mapped here (each backend knows which errno means "held").  FD is used
   to tell a closed descriptor from one opened with the wrong access.  */
int pl__from_errno (int err, int fd);

/* The argument rules every public entry point shares.  */

/* A refusal by the library itself: no OS error behind it.  */
static inline int
pl__refuse (int code)
{
  pl__set_os_error (0);
  return code;
}

/* FLAGS (PL_LOCK_*) to a mode, or PL_EINVAL: unknown bits, none or both
   of PL_LOCK_SH and PL_LOCK_EX.  A flag from a later release is thus
   never silently ignored.  */
static inline int
pl__flags_mode (int flags)
{
  if (flags & ~(PL_LOCK_SH | PL_LOCK_EX | PL_LOCK_NB))
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

/* START >= 0, LEN >= 0 and START + LEN does not overflow.  */
static inline bool
pl__range_ok (int64_t start, int64_t len)
{
  return start >= 0 && len >= 0 && len <= INT64_MAX - start;
}
#if PL_HAVE_WIN32
/* Map a GetLastError() value (lib/error-win32.c), recording it.  */
int pl__from_win32_error (unsigned long err);
/* pl_who() on win32 (lib/backend-win32.c): 1 held, 0 free, or an error.  */
int pl__win32_held (int fd, bool exclusive);
#endif

#endif /* PL_BACKEND_INTERNAL_H */
