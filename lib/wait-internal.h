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

/* Has DEADLINE (on the clock of pl__now) passed?  */
bool pl__passed (const struct timespec *deadline);

#ifdef _WIN32
/* Milliseconds until DEADLINE, rounded up (never early), capped below
   INFINITE: for Sleep() and WaitForSingleObject().  */
unsigned long pl__ms_until (const struct timespec *deadline);
#endif

/* The bare blocking system call of a backend: see kernel_wait in
   backend-internal.h for what it may and may not do.  */
typedef int (*pl__kernel_wait_fn) (int fd, enum pl__mode mode,
                                   const struct pl__range *range);

enum pl__wait_outcome
{
  PL__WAIT_FINISHED,    /* KERNEL_WAIT returned; *RESULT is 0 or -errno */
  PL__WAIT_DEADLINE,    /* the deadline passed; the helper was cancelled,
                           so FD may or may not hold the kernel lock now:
                           follow with one non-blocking attempt */
  PL__WAIT_NO_HELPER    /* no helper thread to be had: poll instead */
};

/* Run KERNEL_WAIT (FD, MODE, RANGE) in a helper thread until it
   returns or DEADLINE passes, whichever comes first.  The caller's
   signals do not end it.  Used by pl__lock_wait() and by the inode
   table, which must hold a reservation around the kernel wait.  */
enum pl__wait_outcome pl__wait_call (pl__kernel_wait_fn kernel_wait, int fd,
                                     enum pl__mode mode,
                                     const struct pl__range *range,
                                     const struct timespec *deadline,
                                     int *result);

#if USE_POSIX_THREADS && !defined _WIN32
# include <pthread.h>
/* A condition variable that waits on the clock of pl__now where the
   system allows, and a timed wait on it until DEADLINE (returns what
   pthread_cond_timedwait returns; spurious and signal wake-ups happen:
   re-check the clock).  */
void pl__cond_init (pthread_cond_t *cond);
int pl__cond_wait_until (pthread_cond_t *cond, pthread_mutex_t *mutex,
                         const struct timespec *deadline);
#endif

/* Timeout argument checks shared by every timed entry point: NaN or
   negative -> PL_EINVAL.  */
static inline bool
pl__timeout_ok (double timeout)
{
  return timeout >= 0;          /* false for NaN too */
}

#endif /* PL_WAIT_INTERNAL_H */
