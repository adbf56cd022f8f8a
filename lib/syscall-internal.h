/* syscall-internal.h - the system calls the library makes, through a
   table that tests can override.  Never installed.
   Copyright (C) 2026 The portalock authors.
   This file is part of portalock, under the GNU LGPL 2.1 or later.

   As SQLite's aSyscall[]: every call whose failure the library must
   survive (EINTR, ENOLCK, EDEADLK, EMFILE, ENOSPC, EIO, a short write)
   goes through pl__sys, so that tests/test-faults.c can make it fail at
   each call site and check that the documented error comes back, no
   descriptor is left open, no lock is left held, and the next call
   works.  The entries are plain function pointers: one indirect call,
   nothing on the hot path worth measuring.  Only tests change them, and
   only while no other thread uses the library.  */

#ifndef PL_SYSCALL_INTERNAL_H
#define PL_SYSCALL_INTERNAL_H 1

#include <sys/types.h>
#include <sys/stat.h>
#ifndef _WIN32
# include <fcntl.h>
#endif
#if USE_POSIX_THREADS && !defined _WIN32
# define PL_SYS_THREADS 1
# include <pthread.h>
#endif

struct pl__syscalls
{
  int (*open) (const char *path, int flags, mode_t mode);
  int (*close) (int fd);
  int (*fstat) (int fd, struct stat *st);
  ssize_t (*write) (int fd, const void *buf, size_t n);
  int (*sync_fd) (int fd);     /* fsync; _commit on Windows */
#if PL_HAVE_FLOCK
  int (*flock) (int fd, int op);
#endif
#if PL_HAVE_POSIX || PL_HAVE_OFD
  /* fcntl with a struct flock: F_SETLK[W], F_GETLK, F_OFD_*.  */
  int (*fcntl_lock) (int fd, int cmd, struct flock *fl);
#endif
#if PL_HAVE_LOCKF
  int (*lockf) (int fd, int cmd, off_t len);
#endif
#if PL_SYS_THREADS
  /* The timed wait's helper thread (lib/wait.c): failing it takes the
     polling fallback.  */
  int (*thread_create) (pthread_t *thread, const pthread_attr_t *attr,
                        void *(*start) (void *), void *arg);
#endif
};

extern struct pl__syscalls pl__sys;

/* Put every entry back to the real call (tests).  */
void pl__sys_reset (void);

#endif /* PL_SYSCALL_INTERNAL_H */
