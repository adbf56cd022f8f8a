/* atomic.c - atomic writes: a temporary file in the same directory,
   fsync, rename over the target, fsync the directory (portalocker's
   open_atomic).
   Copyright (C) 2026 The portalock authors.
   This file is part of portalock, under the GNU LGPL 2.1 or later.

   rename(2) within one file system replaces the name in one step, so a
   reader opens the old file or the new one.  The fsync before the rename
   makes sure the new name never points at data still in the page cache
   when the machine crashes (ext4 with delalloc: a zero-length file);
   the fsync of the directory makes the rename itself durable.  The
   temporary file lives in the target's directory: a rename across file
   systems is not atomic (EXDEV).  Trap: the temporary name is created
   with O_EXCL | O_NOFOLLOW, so a link planted under a guessable name
   cannot redirect the write.  */

#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "portalock.h"
#include "backend-internal.h"
#include "syscall-internal.h"
#include "path-internal.h"

#ifndef O_DIRECTORY
# define O_DIRECTORY 0
#endif
#ifdef _WIN32
# include <io.h>
# include <windows.h>
/* The CRT's rename() does not replace an existing file, and there is no
   fsync: MoveFileEx with MOVEFILE_REPLACE_EXISTING and _commit.  (Not
   tested on Windows yet.)  */
# define fsync _commit
static int
replace (const char *from, const char *to)
{
  if (MoveFileExA (from, to, MOVEFILE_REPLACE_EXISTING
                              | MOVEFILE_WRITE_THROUGH))
    return 0;
  errno = GetLastError () == ERROR_ACCESS_DENIED ? EACCES : EIO;
  return -1;
}
#else
# define replace rename
#endif

struct pl_atomic
{
  int fd;
  char *path;
  char *tmp;
};

/* DIR/.BASE.XXXXXX with a fresh random suffix.  */
static void
temp_name (char *out, size_t size, const char *path, unsigned attempt)
{
  const char *slash = strrchr (path, '/');
  int dirlen = slash ? (int) (slash - path + 1) : 0;
  const char *base = slash ? slash + 1 : path;
  struct timespec ts;
  clock_gettime (CLOCK_REALTIME, &ts);
  unsigned long x = ((unsigned long) getpid () << 16)
                    ^ (unsigned long) ts.tv_nsec ^ (attempt * 2654435761u);
  snprintf (out, size, "%.*s.%s.%06lx.tmp", dirlen, path, base,
            x & 0xffffff);
}

int
pl_open_atomic (pl_atomic **ap, const char *path, unsigned mode, int *fdp)
{
  if (ap == NULL || fdp == NULL || path == NULL || *path == '\0'
      || path[strlen (path) - 1] == '/' || (mode & ~07777u))
    return pl__refuse (PL_EINVAL);
  *ap = NULL;
  pl_atomic *a = calloc (1, sizeof *a);
  size_t size = strlen (path) + 32;
  if (a == NULL || (a->path = strdup (path)) == NULL
      || (a->tmp = malloc (size)) == NULL)
    {
      if (a)
        free (a->path);
      free (a);
      pl__set_os_error (ENOMEM);
      return PL_ENOMEM;
    }
  int r = PL_EEXIST;
  for (unsigned attempt = 0; r == PL_EEXIST && attempt < 100; attempt++)
    {
      temp_name (a->tmp, size, path, attempt);
      r = pl__open_path (a->tmp, O_WRONLY | O_CREAT | O_EXCL, mode, false,
                         &a->fd, NULL);
    }
  if (r != 0)
    {
      free (a->tmp);
      free (a->path);
      free (a);
      return r;
    }
  *ap = a;
  *fdp = a->fd;
  return 0;
}

static void
release (pl_atomic *a)
{
  free (a->tmp);
  free (a->path);
  free (a);
}

void
pl_atomic_abort (pl_atomic *a)
{
  if (a == NULL)
    return;
  close (a->fd);
  unlink (a->tmp);
  release (a);
}

/* fsync the directory holding PATH; file systems that cannot (EINVAL)
   are not an error.  */
static int
sync_dir (const char *path)
{
#ifdef _WIN32
  (void) path;          /* directories cannot be opened for fsync */
  return 0;
#else
  const char *slash = strrchr (path, '/');
  size_t len = slash ? (slash == path ? 1 : (size_t) (slash - path)) : 1;
  char *dir = malloc (len + 1);
  if (dir == NULL)
    return PL_ENOMEM;
  memcpy (dir, slash ? path : ".", len);
  dir[len] = '\0';
  int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  free (dir);
  if (fd < 0)
    return pl__from_path_errno (errno);
  int r = 0;
  if (fsync (fd) != 0 && errno != EINVAL && errno != EROFS)
    r = pl__from_path_errno (errno);
  close (fd);
  return r;
#endif
}

int
pl_atomic_commit (pl_atomic *a)
{
  if (a == NULL)
    return pl__refuse (PL_EINVAL);
  int r = 0;
  if (pl__sys.sync_fd (a->fd) != 0)
    r = pl__from_path_errno (errno);
  if (pl__sys.close (a->fd) != 0 && errno != EINTR && r == 0)
    r = pl__from_path_errno (errno);
  if (r == 0 && replace (a->tmp, a->path) != 0)
    r = pl__from_path_errno (errno);
  if (r != 0)
    unlink (a->tmp);
  else
    r = sync_dir (a->path);
  release (a);
  return r;
}
