/* inode-table-internal.h - the per-inode table that turns per-process
   lock primitives (classic fcntl, lockf) into per-open-file locks.
   Never installed.
   Copyright (C) 2026 The portalock authors.
   This file is part of portalock, under the GNU LGPL 2.1 or later.  */

#ifndef PL_INODE_TABLE_INTERNAL_H
#define PL_INODE_TABLE_INTERNAL_H 1

#include "backend-internal.h"

/* What an emulated backend gives the table: set the PROCESS's lock on
   LEN bytes from START (LEN 0: to the end and beyond) of the file open as
   FD to MODE (PL__UNLOCK, PL__SHARED or PL__EXCLUSIVE), replacing what
   the process held there, exactly as fcntl(F_SETLK) does.  WAIT: sleep
   until granted (retrying EINTR).  Returns 0, PL_EBUSY when another
   process holds a conflicting lock and WAIT is false, or another PL_E*
   code with the OS error recorded.  */
typedef int (*pl__kernel_set) (int fd, enum pl__mode mode, bool wait,
                               int64_t start, int64_t len);

/* The backend ops of an emulated backend, implemented once by the table
   over KSET.  Same contract as struct pl__backend's lock, unlock, close. */
int pl__table_lock (pl__kernel_set kset, int fd, enum pl__mode mode,
                    bool wait, const struct pl__range *range);
int pl__table_unlock (pl__kernel_set kset, int fd,
                      const struct pl__range *range);
int pl__table_close (pl__kernel_set kset, int fd);

/* A timed lock (the backend's lock_timed: TIMEOUT > 0 and finite).
   KWAIT: the primitive's bare blocking call, run in wait.c's helper
   thread; NULL to poll the kernel with a bounded backoff instead.  Never
   lets the kernel change the process's lock behind the table's back:
   see the comment at the function.  */
int pl__table_lock_timed (pl__kernel_set kset,
                          int (*kwait) (int fd, enum pl__mode mode,
                                        const struct pl__range *range),
                          int fd, enum pl__mode mode,
                          const struct pl__range *range, double timeout);

#endif /* PL_INODE_TABLE_INTERNAL_H */
