/* portalock.h - portable file locking with one contract on every platform.
   Copyright (C) 2026 The portalock authors.

   This file is part of portalock.

   portalock is free software: you can redistribute it and/or modify it
   under the terms of the GNU Lesser General Public License as published
   by the Free Software Foundation; either version 2.1 of the License, or
   (at your option) any later version.

   portalock is distributed in the hope that it will be useful, but
   WITHOUT ANY WARRANTY; without even the implied warranty of
   MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.  See the GNU
   Lesser General Public License for more details.

   You should have received a copy of the GNU Lesser General Public
   License along with this program.  If not, see
   <https://www.gnu.org/licenses/>.  */

#ifndef PORTALOCK_H
#define PORTALOCK_H 1

/* The whole API works on plain int file descriptors (CRT descriptors on
   Windows).  Every function that can fail returns 0 on success or one of
   the negative PL_E* codes below; nothing here ever returns a raw errno.
   Byte ranges use int64_t, never off_t, so that the ABI does not depend on
   _FILE_OFFSET_BITS.  See portalock(3) for the contract every backend
   keeps.  */

#include <stdint.h>
#include <stddef.h>             /* size_t (options structs) */
#include <stdio.h>              /* FILE (lock objects) */
#include <math.h>               /* INFINITY (default timeouts) */

/* PL_API marks the exported functions.  Only they are visible outside the
   shared library (see also lib/libportalock.map).  */
#ifndef PL_API
# if defined PORTALOCK_BUILDING && defined HAVE_VISIBILITY && HAVE_VISIBILITY
#  define PL_API __attribute__ ((__visibility__ ("default")))
# elif defined PORTALOCK_BUILDING && defined _WIN32 && defined DLL_EXPORT
#  define PL_API __declspec (dllexport)
# else
#  define PL_API
# endif
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Version of the header.  pl_check_version() tells the library's.  */
#define PORTALOCK_VERSION "0.1.0"
#define PORTALOCK_VERSION_MAJOR 0
#define PORTALOCK_VERSION_MINOR 1
#define PORTALOCK_VERSION_PATCH 0
/* 0xMMmmpp: compare with >= in preprocessor conditionals.  */
#define PORTALOCK_VERSION_NUMBER 0x000100

/* Lock flags.  Exactly one of PL_LOCK_SH and PL_LOCK_EX; PL_LOCK_NB may be
   or'ed in.  Any other bit is rejected with PL_EINVAL, so that a flag
   added in a later release is never silently ignored by an older one.  */
#define PL_LOCK_SH 0x1 /* shared: many holders at once */
#define PL_LOCK_EX 0x2 /* exclusive: one holder */
#define PL_LOCK_NB 0x4 /* never sleep: PL_EBUSY if held by someone else */

/* Error codes.  The values are part of the ABI and never change.
   PL_EBUSY ("held by someone else") and PL_ETIMEDOUT are never used for
   any operating-system failure.  pl_os_error() gives the raw errno (or
   GetLastError() value on Windows) behind the most recent failure in the
   calling thread.  */
enum
{
  PL_OK = 0,
  PL_EBUSY = -1,        /* the lock is held by another owner */
  PL_ETIMEDOUT = -2,    /* the timeout expired before the lock was free */
  PL_EINVAL = -3,       /* invalid argument: flags, range, NULL pointer */
  PL_EBADF = -4,        /* not an open file descriptor */
  PL_EACCES = -5,       /* descriptor not open for the access the lock
                           mode needs (fcntl-based backends), or
                           permission denied */
  PL_ENOLCK = -6,       /* the system ran out of locks (or NFS lockd) */
  PL_EDEADLK = -7,      /* the kernel detected a deadlock */
  PL_ENOMEM = -8,       /* out of memory */
  PL_ENOTSUP = -9,      /* the backend in use cannot do this */
  PL_ENOBACKEND = -10,  /* no such backend, or not usable on this system */
  PL_ESYSTEM = -11,     /* any other system error: see pl_os_error() */
  /* Paths (lock objects, semaphores, atomic writes).  */
  PL_ENOENT = -12,      /* no such file or directory */
  PL_EISDIR = -13,      /* the path names a directory */
  PL_ELOOP = -14,       /* the path is a symbolic link and following it
                           was not allowed (or too many links) */
  PL_EEXIST = -15,      /* the file exists */
  PL_ENAMETOOLONG = -16, /* the path is too long */
  PL_ENOTDIR = -17      /* a component of the path is not a directory */
};

/* Features a backend offers, as returned by pl_backend_features().  */
#define PL_FEATURE_SHARED 0x1   /* real shared locks (lockf: no, a shared
                                   request takes an exclusive lock) */
#define PL_FEATURE_RANGE 0x2    /* byte-range locks */
#define PL_FEATURE_FORK_SHARED 0x4 /* a forked child shares the lock
                                      through the inherited descriptor */
#define PL_FEATURE_FLOCK_COMPAT 0x8 /* excludes, and is excluded by, other
                                       programs that use flock(2) */
#define PL_FEATURE_EMULATED 0x10 /* per-process primitive made
                                    per-open-file by the library's inode
                                    table: use pl_close() */

/* Lock the whole file open as FD.  FLAGS as above.  Blocks until the lock
   is free unless PL_LOCK_NB is given.  Locking a descriptor that already
   holds a lock converts it; conversion is release-then-acquire on every
   backend, so if it fails the caller holds no lock on the file.  Signals
   caught while waiting do not end the wait.  */
PL_API int pl_lock (int fd, int flags);

/* Release the whole-file lock held through FD (or a duplicate of it).
   Unlocking a file that is not locked is not an error.  */
PL_API int pl_unlock (int fd);

/* Lock LEN bytes from offset START (LEN 0: up to the end of the file and
   any size it may grow to).  START and LEN must not be negative and
   START + LEN must not overflow.  Returns PL_ENOTSUP on a backend without
   PL_FEATURE_RANGE.  On failure the caller holds no lock on the range.  */
PL_API int pl_lock_range (int fd, int flags, int64_t start, int64_t len);

/* Release the byte range (same START/LEN rules).  */
PL_API int pl_unlock_range (int fd, int64_t start, int64_t len);

/* Timed waits (pl_lock_timed(3)).  Like pl_lock() and pl_lock_range(),
   but wait at most TIMEOUT seconds: returns 0 (FD holds the lock),
   PL_ETIMEDOUT no earlier than TIMEOUT after the call (FD holds no lock
   on the range: a conversion has lost the old lock, as with pl_lock()),
   or another error.  This holds also when the holder lets go just at the
   deadline.  TIMEOUT negative or NaN: PL_EINVAL; 0: one attempt without
   sleeping, PL_ETIMEDOUT if held; +INFINITY: wait as long as it takes.
   PL_LOCK_NB wins over TIMEOUT: one attempt, PL_EBUSY if held.  Signals
   caught by the application do not shorten the wait (it runs on
   CLOCK_MONOTONIC).  The wait does not poll: a helper thread with every
   signal blocked sleeps in the kernel's own blocking call on FD and is
   cancelled at the deadline; no signal handler is installed.  The
   calling thread is not a cancellation point during the wait.  */
PL_API int pl_lock_timed (int fd, int flags, double timeout);
PL_API int pl_lock_range_timed (int fd, int flags, int64_t start,
                                int64_t len, double timeout);

/* Close FD.  Use it instead of close() on files locked through the
   library: on emulated backends a plain close() drops every lock the
   process holds on the file, through any descriptor; pl_close() releases
   only the locks taken through FD and defers the real close while other
   descriptors of the same file still hold locks.  */
PL_API int pl_close (int fd);

/* Lock objects for paths (pl_lockfile(3)): portalocker's Lock, RLock,
   TemporaryFileLock and a pid-file lock, in one opaque object.  The file
   is opened on every acquire (never through a symbolic link unless
   PL_OPEN_FOLLOW, always close-on-exec), locked, then checked to be still
   the file the path names (else: the file was removed or replaced while
   we waited; close and start again); truncated only once the lock is
   held; released by unlock and close.  The functions are thread-safe; the
   lock belongs to the object, not to a thread (see pl_lockfile(3)).  */
typedef struct pl_lockfile pl_lockfile;

/* pl_lockfile_options.open: how the file is opened.  */
#define PL_OPEN_READ 0x01       /* for reading (fcntl-based backends need
                                   PL_OPEN_WRITE for PL_LOCK_EX) */
#define PL_OPEN_WRITE 0x02      /* for writing */
#define PL_OPEN_APPEND 0x04     /* writes append (implies PL_OPEN_WRITE) */
#define PL_OPEN_TRUNCATE 0x08   /* empty the file once the lock is held
                                   (implies PL_OPEN_WRITE) */
#define PL_OPEN_CREATE 0x10     /* create the file if it does not exist */
#define PL_OPEN_FOLLOW 0x20     /* allow the path to be a symbolic link */

/* pl_lockfile_options.behaviour.  */
#define PL_LOCKFILE_REENTRANT 0x1 /* acquiring a held object adds one to
                                     its depth; the last release unlocks */
#define PL_LOCKFILE_TEMPORARY 0x2 /* remove the file on release */
#define PL_LOCKFILE_PIDFILE 0x4   /* write the holder's pid (and a
                                     newline) into the file once locked;
                                     empty it on release */

/* Options.  Always start from PL_LOCKFILE_OPTIONS_INIT: SIZE tells the
   library which fields the caller knows, so options added later never
   break a program built against this header.  */
struct pl_lockfile_options
{
  size_t size;                  /* sizeof (struct pl_lockfile_options) */
  unsigned open;                /* PL_OPEN_* */
  int flags;                    /* PL_LOCK_EX or PL_LOCK_SH, | PL_LOCK_NB */
  double timeout;               /* seconds, as pl_lock_timed(); INFINITY */
  double check_interval;        /* upper bound of one sleep where a wait
                                   must poll; <= 0: the default, 10 ms */
  int fail_when_locked;         /* PL_EBUSY at once if the first attempt
                                   finds the lock held, whatever TIMEOUT */
  unsigned mode;                /* permission bits of a created file */
  unsigned behaviour;           /* PL_LOCKFILE_* */
};

#define PL_LOCKFILE_OPTIONS_INIT                                        \
  { sizeof (struct pl_lockfile_options),                                \
    PL_OPEN_WRITE | PL_OPEN_APPEND | PL_OPEN_CREATE, PL_LOCK_EX,         \
    INFINITY, 0, 0, 0644, 0 }

/* Make an object for PATH (copied); OPTIONS NULL: the defaults.  Nothing
   is opened yet.  */
PL_API int pl_lockfile_new (pl_lockfile **lockfile, const char *path,
                            const struct pl_lockfile_options *options);

/* Open and lock the file.  On success *FD (if FD is not NULL) is the
   locked descriptor and *FP (if FP is not NULL) a stdio stream on it;
   both belong to the object until the release.  Returns PL_EBUSY
   (PL_LOCK_NB or fail_when_locked), PL_ETIMEDOUT, PL_ELOOP (a symbolic
   link and no PL_OPEN_FOLLOW), or another error.  A held object: with
   PL_LOCKFILE_REENTRANT, depth + 1; without, 0 and the same descriptor.  */
PL_API int pl_lockfile_acquire (pl_lockfile *lockfile, int *fd, FILE **fp);

/* Release: at depth 0, (remove the file if temporary,) unlock and close.
   PL_EINVAL if the object is not held.  */
PL_API int pl_lockfile_release (pl_lockfile *lockfile);

/* The depth: 0 when not held, 1 when held, more for a reentrant object
   acquired again.  */
PL_API unsigned pl_lockfile_depth (pl_lockfile *lockfile);

/* Release if held, and free.  NULL is allowed.  */
PL_API void pl_lockfile_free (pl_lockfile *lockfile);

/* Semaphores (pl_semaphore(3)): at most N holders across processes,
   through N slot files DIRECTORY/NAME.00.lock, NAME.01.lock ... each
   locked exclusively by one holder (portalocker's BoundedSemaphore and
   NamedBoundedSemaphore).  A process tries the slots from a pid-derived
   random offset, so that waiters do not all queue on slot 0.  OPTIONS as
   for lock objects (flags PL_LOCK_EX, optionally | PL_LOCK_NB; behaviour
   0); DIRECTORY NULL: $TMPDIR or /tmp.  */
typedef struct pl_semaphore pl_semaphore;
PL_API int pl_semaphore_new (pl_semaphore **semaphore, const char *directory,
                             const char *name, unsigned n,
                             const struct pl_lockfile_options *options);
/* Take a slot: *SLOT (if not NULL) its number, *FD (if not NULL) its
   locked descriptor.  PL_EBUSY, PL_ETIMEDOUT as for lock objects.  */
PL_API int pl_semaphore_acquire (pl_semaphore *semaphore, unsigned *slot,
                                 int *fd);
PL_API int pl_semaphore_release (pl_semaphore *semaphore);
PL_API void pl_semaphore_free (pl_semaphore *semaphore);

/* Atomic writes (pl_open_atomic(3)): write a temporary file in PATH's
   directory, then pl_atomic_commit() flushes it to disk, renames it over
   PATH and flushes the directory, so that readers see the old file or the
   new one, never a part.  MODE: permission bits of the new file.  */
typedef struct pl_atomic pl_atomic;
PL_API int pl_open_atomic (pl_atomic **atomic, const char *path,
                           unsigned mode, int *fd);
/* Commit and free ATOMIC (also on failure: then PATH is unchanged and the
   temporary file removed).  */
PL_API int pl_atomic_commit (pl_atomic *atomic);
/* Remove the temporary file and free ATOMIC; PATH is unchanged.  */
PL_API void pl_atomic_abort (pl_atomic *atomic);

/* Who holds a lock on the file open as FD that conflicts with FLAGS
   (PL_LOCK_SH or PL_LOCK_EX)?  *PID > 0: that process (on an emulated or
   fcntl backend, or read from /proc/locks, or from a pid file whose
   holder is alive); 0: nobody; -1: held, but the holder cannot be told.
   The whole-file backend in use is asked.  PL_ENOTSUP where the system
   cannot tell at all (flock without /proc/locks).  */
PL_API int pl_who (int fd, int flags, int64_t *pid);

/* Backends.  pl_backend() names the backend used for whole-file locks,
   pl_range_backend() the one used for byte ranges ("flock", "ofd",
   "posix", "lockf", "win32").  The choice is made once per process from a
   preference table, overridden by the PORTALOCK_BACKEND environment
   variable (ignored in setuid/setgid programs) or by pl_set_backend().  */
PL_API const char *pl_backend (void);
PL_API const char *pl_range_backend (void);

/* Use backend NAME for all locks from now on; NULL or "auto" restores the
   automatic choice.  Returns PL_ENOBACKEND if NAME is unknown or does not
   work on this system.  Call it before taking locks: a lock must be
   released through the backend that took it.  */
PL_API int pl_set_backend (const char *name);

/* The backends compiled in that work on this system, best first, as a
   NULL-terminated array of names.  The array is static: do not free.  */
PL_API const char *const *pl_backends (void);

/* PL_FEATURE_* bits of backend NAME; 0 if no such backend is built in.  */
PL_API unsigned pl_backend_features (const char *name);

/* Errors.  pl_strerror() gives a message, pl_strerror_name() the code's
   name ("PL_EBUSY"); both return a static string for any int, also for an
   unknown code.  */
PL_API const char *pl_strerror (int code);
PL_API const char *pl_strerror_name (int code);

/* The operating system's error number behind the most recent failure of
   a portalock call in this thread: errno on POSIX, GetLastError() on
   Windows; 0 if the library itself refused the call (bad flags, ...).  */
PL_API int pl_os_error (void);

/* NULL if the library is older than REQ_VERSION ("0.1.0"), else the
   library's version string.  REQ_VERSION NULL: just the version.  */
PL_API const char *pl_check_version (const char *req_version);

#ifdef __cplusplus
}
#endif

#endif /* PORTALOCK_H */
