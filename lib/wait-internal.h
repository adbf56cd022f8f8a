/* wait-internal.h - waiting for a lock with a timeout.  Never installed.
   Copyright (C) 2026 The portalock authors.
   This file is part of portalock, under the GNU LGPL 2.1 or later.  */

#ifndef PL_WAIT_INTERNAL_H
#define PL_WAIT_INTERNAL_H 1

#include <stdbool.h>
#include <time.h>

#include "backend-internal.h"

/* The default upper bound of one sleep in the paths that must poll
   (no kernel_wait, no helper thread, or a conflict inside this process
   on an emulated backend).  */
#define PL__DEFAULT_CHECK_INTERVAL 0.010

/* Take MODE on RANGE (NULL: whole file) of FD through backend B, waiting
   at most TIMEOUT seconds (checked by the caller: >= 0, not NaN).
   TIMEOUT 0: one non-blocking attempt.  TIMEOUT +INF: block.
   CHECK_INTERVAL > 0 bounds every sleep of the polling paths (else
   PL__DEFAULT_CHECK_INTERVAL); it is an upper bound, not a rhythm.
   Returns 0 (FD holds the lock), PL_ETIMEDOUT no earlier than TIMEOUT
   after the call (FD holds no lock on RANGE), or another PL_E* error.
   Signals caught by the application never shorten the wait.  */
int pl__lock_wait (const struct pl__backend *b, int fd, enum pl__mode mode,
                   const struct pl__range *range, double timeout,
                   double check_interval);

/* CLOCK_MONOTONIC (CLOCK_REALTIME where there is none).  */
void pl__now (struct timespec *ts);

/* The deadline TIMEOUT seconds from now (clamped to the largest time_t
   for a huge TIMEOUT).  TIMEOUT must be >= 0 and finite.  */
void pl__deadline (struct timespec *deadline, double timeout);

/* Seconds left until DEADLINE (0 if it has passed).  */
double pl__remaining (const struct timespec *deadline);

/* Sleep until DEADLINE or for SECONDS, whichever comes first; signals
   do not end the sleep early.  */
void pl__sleep_until (const struct timespec *deadline, double seconds);

/* Timeout argument checks shared by every timed entry point: NaN or
   negative -> PL_EINVAL.  */
static inline bool
pl__timeout_ok (double timeout)
{
  return timeout >= 0;          /* false for NaN too */
}

#endif /* PL_WAIT_INTERNAL_H */
