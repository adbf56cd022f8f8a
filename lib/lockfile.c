/* lockfile.c - lock objects for paths: portalocker's Lock, RLock,
   TemporaryFileLock, and a pid-file lock.
   Copyright (C) 2026 The portalock authors.
   This file is part of portalock, under the GNU LGPL 2.1 or later.

   Traps handled here (DESIGN.md section 4):
   - The unlink race: a waiter that opened a file which the holder then
     removed (temporary lock) or replaced gets the lock on an inode that
     no path names any more, while a newcomer creates and locks a fresh
     file: two "holders".  So after locking, the path must still name the
     locked inode (fstat vs lstat); if not, close and start again.
   - Truncating before the lock is held destroys the holder's data: the
     file is opened without O_TRUNC and emptied only once locked.
   - Symbolic links planted in shared directories: see path.c.
   - Reentrancy: acquiring a held object never locks again (which could
     only deadlock with itself on a conversion, or change the mode).  */

#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "glthread/lock.h"

#include "portalock.h"
#include "backend-internal.h"
#include "syscall-internal.h"
#include "lockfile-internal.h"
#include "path-internal.h"
#include "wait-internal.h"

struct pl_lockfile
{
  gl_lock_define (, mutex)
  char *path;
  struct pl_lockfile_options opt;
  unsigned depth;               /* 0: not held */
  int fd;                       /* -1 when not held */
  FILE *fp;                     /* NULL unless asked for */
};

#define KNOWN_OPEN (PL_OPEN_READ | PL_OPEN_WRITE | PL_OPEN_APPEND \
                    | PL_OPEN_TRUNCATE | PL_OPEN_CREATE | PL_OPEN_FOLLOW)
#define KNOWN_BEHAVIOUR (PL_LOCKFILE_REENTRANT | PL_LOCKFILE_TEMPORARY \
                         | PL_LOCKFILE_PIDFILE)

/* Copy the caller's options over the defaults: only the fields its
   header knew (SIZE), so that a program built against an older header
   keeps working when fields are added at the end.  */
int
pl__lockfile_options (struct pl_lockfile_options *out,
                      const struct pl_lockfile_options *in)
{
  static const struct pl_lockfile_options defaults
    = PL_LOCKFILE_OPTIONS_INIT;
  *out = defaults;
  if (in == NULL)
    return 0;
  if (in->size < offsetof (struct pl_lockfile_options, open)
                 + sizeof in->open)
    return PL_EINVAL;
  size_t n = in->size < sizeof *out ? in->size : sizeof *out;
  memcpy (out, in, n);
  out->size = sizeof *out;

  if ((out->open & ~KNOWN_OPEN) || (out->behaviour & ~KNOWN_BEHAVIOUR))
    return PL_EINVAL;
  int mode = out->flags & (PL_LOCK_SH | PL_LOCK_EX);
  if ((out->flags & ~(PL_LOCK_SH | PL_LOCK_EX | PL_LOCK_NB))
      || (mode != PL_LOCK_SH && mode != PL_LOCK_EX))
    return PL_EINVAL;
  if (!pl__timeout_ok (out->timeout)
      || out->check_interval != out->check_interval)      /* NaN */
    return PL_EINVAL;
  if (out->mode & ~07777u)
    return PL_EINVAL;
  /* Shared holders of a temporary lock would see the file removed under
     them by the first to let go; a pid file has room for one pid.  */
  if (mode == PL_LOCK_SH
      && (out->behaviour & (PL_LOCKFILE_TEMPORARY | PL_LOCKFILE_PIDFILE)))
    return PL_EINVAL;
  if (!(out->open & (PL_OPEN_READ | PL_OPEN_WRITE | PL_OPEN_APPEND
                     | PL_OPEN_TRUNCATE))
      && !(out->behaviour & PL_LOCKFILE_PIDFILE))
    return PL_EINVAL;           /* neither read nor write */
  return 0;
}

int
pl_lockfile_new (pl_lockfile **lfp, const char *path,
                 const struct pl_lockfile_options *options)
{
  if (lfp == NULL || path == NULL || *path == '\0')
    return pl__refuse (PL_EINVAL);
  *lfp = NULL;
  struct pl_lockfile_options opt;
  int r = pl__lockfile_options (&opt, options);
  if (r != 0)
    return pl__refuse (r);
  pl_lockfile *lf = calloc (1, sizeof *lf);
  if (lf == NULL || (lf->path = strdup (path)) == NULL)
    {
      free (lf);
      pl__set_os_error (ENOMEM);
      return PL_ENOMEM;
    }
  gl_lock_init (lf->mutex);
  lf->opt = opt;
  lf->fd = -1;
  *lfp = lf;
  return 0;
}

static bool
writes (const struct pl_lockfile_options *o)
{
  return (o->open & (PL_OPEN_WRITE | PL_OPEN_APPEND | PL_OPEN_TRUNCATE))
         || (o->behaviour & PL_LOCKFILE_PIDFILE);
}

static int
open_flags (const struct pl_lockfile_options *o)
{
  int fl = writes (o) ? ((o->open & PL_OPEN_READ) ? O_RDWR : O_WRONLY)
                      : O_RDONLY;
  if (o->open & PL_OPEN_APPEND)
    fl |= O_APPEND;
  if (o->open & PL_OPEN_CREATE)
    fl |= O_CREAT;
  return fl;
}

static const char *
stdio_mode (const struct pl_lockfile_options *o)
{
  bool rd = o->open & PL_OPEN_READ;
  if (!writes (o))
    return "r";
  if (o->open & PL_OPEN_APPEND)
    return rd ? "a+" : "a";
  return rd ? "r+" : "w";       /* fdopen never truncates */
}

/* Once locked: empty the file (PL_OPEN_TRUNCATE) and write the pid.  */
/* Write all N bytes.  A short write (a signal, a disk filling up) is
   continued, not taken for an error or for success; one that makes no
   progress at all means the disk is full.  */
static int
write_all (int fd, const char *buf, size_t n)
{
  while (n > 0)
    {
      ssize_t w = pl__sys.write (fd, buf, n);
      if (w < 0 && errno == EINTR)
        continue;
      if (w < 0)
        return pl__from_path_errno (errno);
      if (w == 0)
        return pl__from_path_errno (ENOSPC);
      buf += w;
      n -= (size_t) w;
    }
  return 0;
}

static int
after_lock (int fd, const struct pl_lockfile_options *o)
{
  bool pidfile = o->behaviour & PL_LOCKFILE_PIDFILE;
  if ((o->open & PL_OPEN_TRUNCATE) || pidfile)
    while (ftruncate (fd, 0) != 0)
      if (errno != EINTR)
        return pl__from_path_errno (errno);
  if (pidfile)
    {
      char buf[32];
      int n = snprintf (buf, sizeof buf, "%ld\n", (long) getpid ());
      /* The descriptor is ours, its offset too: lseek + write is as good
         as pwrite, and exists everywhere.  */
      if (lseek (fd, 0, SEEK_SET) != 0)
        return pl__from_path_errno (errno);
      return write_all (fd, buf, (size_t) n);
    }
  return 0;
}

/* Open, lock (waiting at most TIMEOUT), check the inode; loop on the
   unlink race.  On success *FDP holds the lock.  */
static int
open_and_lock (const char *path, const struct pl_lockfile_options *o,
               double timeout, bool fail_when_locked, int *fdp)
{
  const struct pl__backend *b = pl__whole_backend ();
  enum pl__mode mode = (o->flags & PL_LOCK_EX) ? PL__EXCLUSIVE : PL__SHARED;
  bool follow = o->open & PL_OPEN_FOLLOW;
  struct timespec deadline;
  bool forever = timeout == INFINITY;
  if (!forever)
    pl__deadline (&deadline, timeout);

  for (bool first = true;; first = false)
    {
      int fd, r;
      struct stat st;
      r = pl__open_path (path, open_flags (o), o->mode, follow, &fd, &st);
      if (r != 0)
        return r;
      if ((o->flags & PL_LOCK_NB) || (first && fail_when_locked))
        r = b->lock (fd, mode, false, NULL);
      else
        r = pl__lock_wait (b, fd, mode, NULL,
                           forever ? INFINITY : pl__remaining (&deadline),
                           o->check_interval);
      if (r == 0)
        {
#ifdef _WIN32
          /* No inode numbers in Windows' stat: ask through FD.  */
          r = pl__same_file (fd, path, follow);
#else
          r = pl__same_id (&st, path, follow);
#endif
          if (r == 1)
            {
              *fdp = fd;
              return 0;
            }
        }
      pl_close (fd);
      if (r < 0)
        return r;
      /* Locked a file the path no longer names: again, with the time
         left (none left: one more attempt without sleeping).  */
    }
}

/* Unlock and close what LF holds, at depth 0.  */
static int
drop (pl_lockfile *lf)
{
  int r = 0;
#ifdef _WIN32
  bool remove_after = false;
#endif
  if (lf->fp && fflush (lf->fp) != 0)
    r = pl__from_path_errno (errno);
  if (lf->opt.behaviour & PL_LOCKFILE_TEMPORARY)
    {
      /* Remove while still holding the lock, and only the file we hold:
         a waiter on this inode will find the path gone (or naming a new
         file) and start again.  */
      bool follow = lf->opt.open & PL_OPEN_FOLLOW;
#ifdef _WIN32
      /* Windows cannot remove a file that is open (the CRT's opens do
         not share deletion): remove it after the close below.  If
         another process has opened it by then, the removal fails
         (EACCES) and the file stays, theirs.  */
      remove_after = pl__same_file (lf->fd, lf->path, follow) == 1;
#else
      /* Whether the path still names our file cannot be told (fstat of
         our descriptor, or lstat of the path, failed): leave the file,
         it may not be ours, and say so rather than report success.  */
      int same = pl__same_file (lf->fd, lf->path, follow);
      if (same < 0 && r == 0)
        r = same;
      else if (same == 1 && unlink (lf->path) != 0 && errno != ENOENT
               && r == 0)
        r = pl__from_path_errno (errno);
#endif
    }
  else if (lf->opt.behaviour & PL_LOCKFILE_PIDFILE)
    {
      /* No stale pid for the next reader.  */
      if (ftruncate (lf->fd, 0) != 0 && r == 0)
        r = pl__from_path_errno (errno);
    }
  int u = pl_unlock (lf->fd);
  if (u != 0 && r == 0)
    r = u;
  /* A stream closes its descriptor itself: a raw close, which on the
     emulated backends drops the process's other locks on this file
     (documented in pl_lockfile(3)).  */
  int c = lf->fp ? (fclose (lf->fp) == 0 ? 0 : pl__from_path_errno (errno))
                 : pl_close (lf->fd);
  if (c != 0 && r == 0)
    r = c;
#ifdef _WIN32
  if (remove_after && unlink (lf->path) != 0 && errno != ENOENT
      && errno != EACCES && r == 0)
    r = pl__from_path_errno (errno);
#endif
  lf->fp = NULL;
  lf->fd = -1;
  lf->depth = 0;
  return r;
}

int
pl__lockfile_acquire (pl_lockfile *lf, double timeout,
                      bool fail_when_locked, int *fdp, FILE **fpp)
{
  gl_lock_lock (lf->mutex);
  int r = 0;
  bool took = false;
  if (lf->depth == 0)
    {
      int fd;
      r = open_and_lock (lf->path, &lf->opt, timeout, fail_when_locked,
                         &fd);
      if (r == 0)
        {
          lf->fd = fd;
          lf->depth = 1;
          took = true;
          r = after_lock (fd, &lf->opt);
        }
    }
  else if (lf->opt.behaviour & PL_LOCKFILE_REENTRANT)
    lf->depth++;

  if (r == 0 && fpp && lf->fp == NULL)
    {
      lf->fp = fdopen (lf->fd, stdio_mode (&lf->opt));
      if (lf->fp == NULL)
        r = pl__from_errno (errno, -1);
    }
  if (r == 0)
    {
      if (fdp)
        *fdp = lf->fd;
      if (fpp)
        *fpp = lf->fp;
    }
  else if (took)
    drop (lf);                  /* leave nothing behind */
  else if (lf->depth > 1)
    lf->depth--;
  gl_lock_unlock (lf->mutex);
  return r;
}

int
pl_lockfile_acquire (pl_lockfile *lf, int *fdp, FILE **fpp)
{
  if (lf == NULL)
    return pl__refuse (PL_EINVAL);
  return pl__lockfile_acquire (lf, lf->opt.timeout,
                               lf->opt.fail_when_locked, fdp, fpp);
}

int
pl_lockfile_release (pl_lockfile *lf)
{
  if (lf == NULL)
    return pl__refuse (PL_EINVAL);
  gl_lock_lock (lf->mutex);
  int r;
  if (lf->depth == 0)
    r = pl__refuse (PL_EINVAL);
  else if (--lf->depth > 0)
    r = 0;
  else
    r = drop (lf);
  gl_lock_unlock (lf->mutex);
  return r;
}

unsigned
pl_lockfile_depth (pl_lockfile *lf)
{
  if (lf == NULL)
    return 0;
  gl_lock_lock (lf->mutex);
  unsigned d = lf->depth;
  gl_lock_unlock (lf->mutex);
  return d;
}

void
pl_lockfile_free (pl_lockfile *lf)
{
  if (lf == NULL)
    return;
  if (lf->depth > 0)
    drop (lf);
  gl_lock_destroy (lf->mutex);
  free (lf->path);
  free (lf);
}
