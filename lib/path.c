/* path.c - opening lock files by path, safely.
   Copyright (C) 2026 The portalock authors.
   This file is part of portalock, under the GNU LGPL 2.1 or later.

   Traps handled here:
   - A lock file created or opened through a symbolic link planted in a
     shared directory (/tmp): O_NOFOLLOW unless the caller allows links.
     Only the last component is checked, as O_NOFOLLOW does; directories
     on the way are the caller's to trust.
   - A FIFO planted at the path would block open(2) for reading forever:
     the open is non-blocking, and anything but a regular file is refused.
   - Descriptors leaking into programs the application executes: always
     O_CLOEXEC.  */

#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#ifdef _WIN32
# define WIN32_LEAN_AND_MEAN
# include <windows.h>
# include <io.h>
# include <stdlib.h>             /* _doserrno */
#endif

#include "portalock.h"
#include "backend-internal.h"
#include "path-internal.h"
#include "syscall-internal.h"

#ifndef O_CLOEXEC
# define O_CLOEXEC 0
#endif
#ifndef O_NOFOLLOW
# define O_NOFOLLOW 0
#endif
#ifndef O_NONBLOCK
# define O_NONBLOCK 0
#endif
/* Windows: binary, or the CRT turns "\n" into "\r\n" in what is
   written.  (O_CLOEXEC is gnulib's O_NOINHERIT there: a HANDLE that a
   child inherits would keep the lock alive, see backend-win32.c.)  */
#ifndef O_BINARY
# define O_BINARY 0
#endif
#ifdef _WIN32
/* Windows: no symbolic links in the POSIX sense for the CRT (O_NOFOLLOW
   is 0 above), so lstat is stat.  */
# define lstat stat
#endif

int
pl__from_path_errno (int err)
{
  pl__set_os_error (err);
  switch (err)
    {
    case ENOENT:
      return PL_ENOENT;
    case EISDIR:
      return PL_EISDIR;
    case ELOOP:
#ifdef EMLINK
    case EMLINK:        /* FreeBSD's answer to O_NOFOLLOW on a link */
#endif
#ifdef EFTYPE
    case EFTYPE:        /* NetBSD's */
#endif
      return PL_ELOOP;
    case EEXIST:
      return PL_EEXIST;
    case ENAMETOOLONG:
      return PL_ENAMETOOLONG;
    case ENOTDIR:
      return PL_ENOTDIR;
    case EACCES:
    case EPERM:
#ifdef EROFS
    case EROFS:
#endif
      return PL_EACCES;
    default:
      return pl__from_errno (err, -1);
    }
}

int
pl__open_path (const char *path, int oflags, unsigned mode, bool follow,
               int *fdp, struct stat *stp)
{
  if (path == NULL || *path == '\0' || fdp == NULL)
    {
      pl__set_os_error (0);
      return PL_EINVAL;
    }
  int status = oflags & ~O_NONBLOCK;   /* for F_SETFL, which ignores the
                                          access mode and creation flags */
  oflags |= O_CLOEXEC | O_BINARY | O_NONBLOCK | (follow ? 0 : O_NOFOLLOW);
  int fd;
#ifdef _WIN32
  _doserrno = 0;
#endif
  do
    fd = pl__sys.open (path, oflags, (mode_t) mode);
  while (fd < 0 && errno == EINTR);
  if (fd < 0)
    {
      int r = pl__from_path_errno (errno);
#ifdef _WIN32
      /* pl_os_error() is GetLastError() on Windows.  The CRT keeps it in
         _doserrno when CreateFile failed: ERROR_SHARING_VIOLATION (a
         program opened the file without sharing it) where errno only
         says EACCES.  */
      if (_doserrno != 0)
        pl__set_os_error ((int) _doserrno);
#endif
      return r;
    }

  struct stat st;
  int r = 0;
  if (pl__sys.fstat (fd, &st) != 0)
    r = pl__from_path_errno (errno);
  else if (S_ISDIR (st.st_mode))
    r = pl__from_path_errno (EISDIR);
  else if (!S_ISREG (st.st_mode))
    {
      pl__set_os_error (0);
      r = PL_EINVAL;
    }
#ifdef F_SETFL
  else if (O_NONBLOCK && fcntl (fd, F_SETFL, status) == -1)
    r = pl__from_path_errno (errno);
#else
  (void) status;
#endif
  if (r != 0)
    {
      pl__sys.close (fd);
      return r;
    }
  *fdp = fd;
  if (stp)
    *stp = st;
  return 0;
}

int
pl__same_id (const struct stat *a, const char *path, bool follow)
{
  struct stat b;
  if ((follow ? stat (path, &b) : lstat (path, &b)) != 0)
    return errno == ENOENT ? 0 : pl__from_path_errno (errno);
  return a->st_dev == b.st_dev && a->st_ino == b.st_ino;
}

#ifndef _WIN32
int
pl__same_file (int fd, const char *path, bool follow)
{
  struct stat a;
  if (pl__sys.fstat (fd, &a) != 0)
    return pl__from_errno (errno, fd);
  return pl__same_id (&a, path, follow);
}
#else
/* Windows: the CRT's stat has no inode numbers (st_ino is 0, and st_dev
   differs between fstat and stat), so pl__same_id would never see the
   same file and lock objects would retry for ever.  Compare the volume
   serial number and file index of FD's HANDLE with those of a HANDLE
   opened on PATH without any access.  A path that names nothing (or a
   file being deleted: ERROR_ACCESS_DENIED) is not the same file.  */
int
pl__same_file (int fd, const char *path, bool follow)
{
  BY_HANDLE_FILE_INFORMATION a, b;
  HANDLE h = (HANDLE) _get_osfhandle (fd);
  if (h == INVALID_HANDLE_VALUE || !GetFileInformationByHandle (h, &a))
    return pl__from_win32_error (GetLastError ());
  HANDLE p = CreateFileA (path, 0,
                          FILE_SHARE_READ | FILE_SHARE_WRITE
                          | FILE_SHARE_DELETE, NULL, OPEN_EXISTING,
                          FILE_FLAG_BACKUP_SEMANTICS
                          | (follow ? 0 : FILE_FLAG_OPEN_REPARSE_POINT),
                          NULL);
  if (p == INVALID_HANDLE_VALUE)
    {
      DWORD err = GetLastError ();
      if (err == ERROR_FILE_NOT_FOUND || err == ERROR_PATH_NOT_FOUND
          || err == ERROR_ACCESS_DENIED)
        return 0;
      return pl__from_win32_error (err);
    }
  BOOL ok = GetFileInformationByHandle (p, &b);
  DWORD err = GetLastError ();
  CloseHandle (p);
  if (!ok)
    return pl__from_win32_error (err);
  return a.dwVolumeSerialNumber == b.dwVolumeSerialNumber
         && a.nFileIndexHigh == b.nFileIndexHigh
         && a.nFileIndexLow == b.nFileIndexLow;
}
#endif
