/* lockfile-internal.h - lock objects, for the semaphore.  Never
   installed.
   Copyright (C) 2026 The portalock authors.
   This file is part of portalock, under the GNU LGPL 2.1 or later.  */

#ifndef PL_LOCKFILE_INTERNAL_H
#define PL_LOCKFILE_INTERNAL_H 1

#include <stdbool.h>
#include <stdio.h>

#include "portalock.h"

/* Check OPTIONS (NULL: defaults) and copy them, filled with the defaults,
   into OUT.  0 or PL_EINVAL.  */
int pl__lockfile_options (struct pl_lockfile_options *out,
                          const struct pl_lockfile_options *options);

/* pl_lockfile_acquire() with another TIMEOUT and FAIL_WHEN_LOCKED.  */
int pl__lockfile_acquire (pl_lockfile *lf, double timeout,
                          bool fail_when_locked, int *fd, FILE **fp);

#endif /* PL_LOCKFILE_INTERNAL_H */
