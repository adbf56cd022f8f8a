/* backend-internal.h - what a locking backend provides.  Never installed.
   Copyright (C) 2026 The portalock authors.
   This file is part of portalock, under the GNU LGPL 2.1 or later.  */

#ifndef PL_BACKEND_INTERNAL_H
#define PL_BACKEND_INTERNAL_H 1

#include <stdint.h>
#include <stdbool.h>

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
   close: close FD; NULL means close(2) is enough for this backend.  */
struct pl__backend
{
  const char *name;
  unsigned features;            /* PL_FEATURE_* */
  bool (*probe) (void);         /* does it work on this kernel? */
  int (*lock) (int fd, enum pl__mode mode, bool wait,
               const struct pl__range *range);
  int (*unlock) (int fd, const struct pl__range *range);
  int (*close) (int fd);
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
#if PL_HAVE_WIN32
/* Map a GetLastError() value (lib/error-win32.c), recording it.  */
int pl__from_win32_error (unsigned long err);
#endif

#endif /* PL_BACKEND_INTERNAL_H */
