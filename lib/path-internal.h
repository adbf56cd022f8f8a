/* path-internal.h - opening lock files by path, safely.  Never installed.
   Copyright (C) 2026 The portalock authors.
   This file is part of portalock, under the GNU LGPL 2.1 or later.  */

#ifndef PL_PATH_INTERNAL_H
#define PL_PATH_INTERNAL_H 1

#include <stdbool.h>
#include <sys/stat.h>

/* Map an errno from open, stat, rename, unlink, fsync ... on a path to a
   PL_E* code, recording it for pl_os_error().  */
int pl__from_path_errno (int err);

/* Open PATH with OFLAGS (O_RDONLY/O_WRONLY/O_RDWR, O_CREAT, O_APPEND,
   O_EXCL; never O_TRUNC: truncation belongs after the lock) plus
   O_CLOEXEC always and O_NOFOLLOW unless FOLLOW, MODE for a created file.
   Only regular files are accepted: a directory gives PL_EISDIR, anything
   else PL_EINVAL (and a FIFO does not block the open).  On success *FD is
   the descriptor, *ST (if not NULL) its fstat, and 0 is returned.  */
int pl__open_path (const char *path, int oflags, unsigned mode, bool follow,
                   int *fd, struct stat *st);

/* Does PATH (lstat unless FOLLOW) still name the file open as FD?
   1 yes, 0 no (another file, or none: the unlink race), or a PL_E*
   error.  */
int pl__same_file (int fd, const char *path, bool follow);
/* The same, for a file whose fstat is ST.  */
int pl__same_id (const struct stat *st, const char *path, bool follow);

#endif /* PL_PATH_INTERNAL_H */
