/* wait.c - waiting for a lock with a timeout, at kernel speed, without
   polling on a fixed interval and without a signal handler.
   Copyright (C) 2026 The portalock authors.
   This file is part of portalock, under the GNU LGPL 2.1 or later.

   The technique (measured, see ../shared/PERFORMANCE.md and bench/P4, P5):
   a helper thread, started for the wait, sits in the backend's bare
   blocking system call (kernel_wait: flock (fd, LOCK_EX), fcntl
   F_OFD_SETLKW, F_SETLKW) on the SAME descriptor, so the kernel wakes it
   the moment the holder lets go; the calling thread waits on a condition
   variable for the helper or for the deadline (CLOCK_MONOTONIC).  At the
   deadline the helper is cancelled -- asynchronously, since flock(2) is
   not a cancellation point -- and joined.  Then ONE final non-blocking
   attempt through the backend decides: success means FD holds the lock
   (the helper got it just before it died, or it came free), "held" means
   it does not.  Without that attempt a release that lands at the
   deadline gives wrong "timed out" answers.

   Why this one: the hand-off is one wake-up after the kernel's own, the
   waiting process sleeps in the kernel (no CPU), and nothing is installed
   that the application did not ask for.  The alternatives measured worse:
   polling (120-450x), a forked helper (cost grows with the process's
   memory), a timer signal (needs a signal the application owns).

   Why a new thread per wait, not a kept one: measured on the 2-vCPU
   guests here (bench/bench-wait, P4), a kept helper gave a hand-over of
   either ~15 us or ~90 us, median 80-130 us, 8-10x a blocking lock: the
   scheduler put the caller and the kept helper to sleep on different
   CPUs, and the caller's wake-up then had to bring a halted virtual CPU
   back (~80 us here; a same-CPU wake-up costs ~5 us).  Sync wake-ups
   through pipes, pinning the helper to the caller's CPU, and pinning
   both were tried and stayed bimodal.  A thread created for the wait is
   placed by the scheduler's fork balancing, and gave 27-33 us, 1.3-1.7x
   a blocking lock, in every run.  It costs a thread creation (~15-30 us
   of CPU) per wait that has to wait at all, off the hand-over's path, and
   leaves nothing behind between waits: no thread, no descriptor, nothing
   for fork() to copy.

   Traps, handled here:
   - Asynchronous cancellation is only safe around a bare system call: the
     helper runs with cancellation DISABLED except around kernel_wait, and
     never holds a mutex while it is enabled.
   - The helper blocks every signal (it is created with all signals
     blocked), so an application's handler never runs on our thread and
     its signals go to its own threads.  glibc keeps its cancellation
     signal deliverable regardless.
   - The first pthread_cancel makes glibc dlopen libgcc_s; at that moment
     (the deadline) it can fail (no free descriptor) and glibc then aborts.
     So libgcc_s is loaded before the first helper is made, and if that
     fails the wait polls instead.  The library also pins itself then
     (RTLD_NODELETE): a helper that handed over may still be returning
     through this library's code after the wait returned, and a dlclose()
     must not unmap it.
   - On success the helper is detached, not joined: joining would wait for
     its exit, a third wake-up on the hand-over path.  The job it shares
     with the caller is reference-counted for that reason.
   - A signal caught by the application wakes the condition wait early:
     the loop re-checks the monotonic clock, so the wait goes on.
   - The calling thread is not cancellable during the wait: cancelling it
     would orphan a helper that could take the lock behind its back.
   - AddressSanitizer reports a false stack-buffer-underflow when a
     cancelled thread ends (google/sanitizers#1399): run sanitizer builds
     with ASAN_OPTIONS=use_sigaltstack=0.
   A backend with a native timed wait (win32) provides lock_timed and
   none of this is used.  Fallback (no kernel_wait, no threads, a thread
   that cannot be made): polling with a backoff from 50 us doubling up to
   check_interval (default 10 ms).  */

#include <config.h>

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "portalock.h"
#include "backend-internal.h"
#include "syscall-internal.h"
#include "wait-internal.h"

#ifdef _WIN32
# define WIN32_LEAN_AND_MEAN
# include <windows.h>
#endif

#if USE_POSIX_THREADS && !defined _WIN32
# define PL_WAIT_THREADS 1
# include <pthread.h>
# include <signal.h>
# include <stdatomic.h>
# if defined __GLIBC__ && defined HAVE_GNU_LIB_NAMES_H
#  include <dlfcn.h>
#  include <gnu/lib-names.h>
# endif
#else
# define PL_WAIT_THREADS 0
#endif

/* _POSIX_CLOCK_SELECTION gives clock_nanosleep and
   pthread_condattr_setclock; without it (macOS) relative sleeps and
   CLOCK_REALTIME condition waits, re-checked against the clock.  */
#if defined _POSIX_CLOCK_SELECTION && _POSIX_CLOCK_SELECTION > 0 \
    && defined CLOCK_MONOTONIC
# define PL_CLOCK_SELECTION 1
#else
# define PL_CLOCK_SELECTION 0
#endif

#ifdef CLOCK_MONOTONIC
# define PL_CLOCK CLOCK_MONOTONIC
#else
# define PL_CLOCK CLOCK_REALTIME
#endif

#define PL_TIME_T_MAX \
  ((time_t) (sizeof (time_t) >= 8 ? INT64_MAX : INT32_MAX))

/* The first sleep of a polling path.  */
#define PL_BACKOFF_START 50e-6

/* ---- Clock ---- */

#ifdef _WIN32
/* Trap: mingw-w64 has clock_gettime and clock_nanosleep only in
   winpthreads, which a program linking the static library would then
   need too (libtool puts LIBS before the archive).  The performance
   counter is Windows' monotonic clock (winpthreads' CLOCK_MONOTONIC is
   built on it).  */
void
pl__now (struct timespec *ts)
{
  LARGE_INTEGER freq, count;
  QueryPerformanceFrequency (&freq);
  QueryPerformanceCounter (&count);
  ts->tv_sec = (time_t) (count.QuadPart / freq.QuadPart);
  ts->tv_nsec = (long) (count.QuadPart % freq.QuadPart * 1000000000
                        / freq.QuadPart);
}
#else
void
pl__now (struct timespec *ts)
{
  clock_gettime (PL_CLOCK, ts);
}
#endif

static int
ts_cmp (const struct timespec *a, const struct timespec *b)
{
  if (a->tv_sec != b->tv_sec)
    return a->tv_sec < b->tv_sec ? -1 : 1;
  return a->tv_nsec < b->tv_nsec ? -1 : a->tv_nsec > b->tv_nsec;
}

static void
ts_add (struct timespec *ts, double seconds)
{
  if (seconds >= (double) (PL_TIME_T_MAX - ts->tv_sec) - 1)
    {
      ts->tv_sec = PL_TIME_T_MAX;
      ts->tv_nsec = 0;
      return;
    }
  time_t whole = (time_t) seconds;      /* SECONDS >= 0: truncation */
  double frac_ns = (seconds - (double) whole) * 1e9;
  long ns = (long) frac_ns;
  /* Round the fraction UP, so that a deadline is never early.  */
  if ((double) ns < frac_ns)
    ns++;
  ts->tv_sec += whole;
  ts->tv_nsec += ns;
  if (ts->tv_nsec >= 1000000000L)
    {
      ts->tv_sec++;
      ts->tv_nsec -= 1000000000L;
    }
}

void
pl__deadline (struct timespec *deadline, double timeout)
{
  pl__now (deadline);
  ts_add (deadline, timeout);
}

double
pl__remaining (const struct timespec *deadline)
{
  struct timespec now;
  pl__now (&now);
  if (ts_cmp (&now, deadline) >= 0)
    return 0;
  return (double) (deadline->tv_sec - now.tv_sec)
         + (deadline->tv_nsec - now.tv_nsec) / 1e9;
}

static bool
passed (const struct timespec *deadline)
{
  struct timespec now;
  pl__now (&now);
  return ts_cmp (&now, deadline) >= 0;
}

bool
pl__passed (const struct timespec *deadline)
{
  return passed (deadline);
}

#ifdef _WIN32
/* Sleep() and WaitForSingleObject() take milliseconds: round up, so as
   not to wake early (callers re-check the clock anyway).  */
unsigned long
pl__ms_until (const struct timespec *deadline)
{
  double left = pl__remaining (deadline) * 1e3;
  if (left >= 4e9)
    return 4000000000u;        /* below INFINITE; callers loop */
  unsigned long ms = (unsigned long) left;
  return ms < left ? ms + 1 : ms;
}
#endif

void
pl__sleep_until (const struct timespec *deadline, double seconds)
{
  struct timespec until;
  pl__now (&until);
  ts_add (&until, seconds);
  if (ts_cmp (&until, deadline) > 0)
    until = *deadline;
#if defined _WIN32
  while (!passed (&until))
    Sleep (pl__ms_until (&until));
#elif PL_CLOCK_SELECTION
  /* Absolute: a signal caught meanwhile (EINTR) just sleeps again.  */
  while (clock_nanosleep (PL_CLOCK, TIMER_ABSTIME, &until, NULL) == EINTR)
    continue;
#else
  for (double left; (left = pl__remaining (&until)) > 0;)
    {
      struct timespec rel = { .tv_sec = (time_t) left,
                              .tv_nsec = (long) ((left - (double) (time_t)
                                                  left) * 1e9) };
      nanosleep (&rel, NULL);
    }
#endif
}

static double
next_backoff (double backoff, double cap)
{
  backoff *= 2;
  return backoff < cap ? backoff : cap;
}

/* ---- The helper thread ---- */

#if PL_WAIT_THREADS

/* One wait's job, shared by the caller and its helper thread.  It lives
   on the heap: on success the caller returns while the helper may still
   be leaving pthread_cond_signal, so the last of the two to let go of it
   (REFS) frees it.  */
struct job
{
  pthread_mutex_t mutex;
  pthread_cond_t done_cond;     /* the caller waits here, on PL_CLOCK */
  bool done;                    /* kernel_wait returned; RESULT is valid */
  int result;                   /* 0 or -errno */
  atomic_int refs;
  int (*kernel_wait) (int, enum pl__mode, const struct pl__range *);
  int fd;
  enum pl__mode mode;
  bool whole;
  struct pl__range range;
};

/* Make COND wait on PL_CLOCK where the system lets us choose.  */
void
pl__cond_init (pthread_cond_t *cond)
{
  pthread_condattr_t ca;
  pthread_condattr_init (&ca);
# if PL_CLOCK_SELECTION
  pthread_condattr_setclock (&ca, PL_CLOCK);
# endif
  pthread_cond_init (cond, &ca);
  pthread_condattr_destroy (&ca);
}

int
pl__cond_wait_until (pthread_cond_t *cond, pthread_mutex_t *mutex,
                     const struct timespec *deadline)
{
# if PL_CLOCK_SELECTION
  const struct timespec *until = deadline;
# else
  /* The condition variable runs on CLOCK_REALTIME here: turn the time
     left into a wall-clock time; callers re-check PL_CLOCK.  */
  struct timespec wall;
  clock_gettime (CLOCK_REALTIME, &wall);
  ts_add (&wall, pl__remaining (deadline));
  const struct timespec *until = &wall;
# endif
  return pthread_cond_timedwait (cond, mutex, until);
}

static void
job_free (struct job *j)
{
  pthread_mutex_destroy (&j->mutex);
  pthread_cond_destroy (&j->done_cond);
  free (j);
}

static void
job_unref (struct job *j)
{
  if (atomic_fetch_sub (&j->refs, 1) == 1)
    job_free (j);
}

/* Runs in the helper with cancellation disabled, except around the bare
   system call, where it is asynchronous.  pthread_setcancelstate and
   pthread_setcanceltype are async-cancel-safe.  */
static int
run_job (const struct job *j)
{
  struct pl__range range = j->range;
  int old;
  pthread_setcanceltype (PTHREAD_CANCEL_ASYNCHRONOUS, &old);
  pthread_setcancelstate (PTHREAD_CANCEL_ENABLE, &old);
  int r = j->kernel_wait (j->fd, j->mode, j->whole ? NULL : &range);
  pthread_setcancelstate (PTHREAD_CANCEL_DISABLE, &old);
  pthread_setcanceltype (PTHREAD_CANCEL_DEFERRED, &old);
  return r;
}

static void *
helper_main (void *arg)
{
  struct job *j = arg;
  int old;
  pthread_setcancelstate (PTHREAD_CANCEL_DISABLE, &old);
  int r = run_job (j);
  pthread_mutex_lock (&j->mutex);
  j->result = r;
  j->done = true;
  pthread_mutex_unlock (&j->mutex);
  /* Signalled with the mutex released, so that the caller does not wake
     only to block on the mutex again.  */
  pthread_cond_signal (&j->done_cond);
  job_unref (j);
  return NULL;
}

/* glibc loads libgcc_s on the first pthread_cancel and aborts if it
   cannot; load it now, while failing is still harmless.  */
static bool
cancel_ready (void)
{
# if defined LIBGCC_S_SO && defined RTLD_NODELETE
  static _Atomic int ready;     /* 0 unknown, 1 yes, -1 no */
  int r = atomic_load (&ready);
  if (r == 0)
    {
      void *handle = dlopen (LIBGCC_S_SO, RTLD_NOW | RTLD_NODELETE);
      r = handle ? 1 : -1;
      /* A finished helper may still be on its way out of this library's
         code when the wait returns: the library must stay mapped even if
         the program dlclose()s it.  */
      Dl_info self;
      if (r > 0 && dladdr ((void *) pl__lock_wait, &self) && self.dli_fname)
        dlopen (self.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE);
      atomic_store (&ready, r);
    }
  return r > 0;
# else
  return true;
# endif
}

/* Start the helper thread on J, or return false.  */
static bool
helper_start (pthread_t *thread, struct job *j)
{
  if (!cancel_ready ())
    return false;
  /* A small stack: the helper only makes one system call.  */
  pthread_attr_t attr;
  pthread_attr_init (&attr);
  pthread_attr_setstacksize (&attr, 128 * 1024);
  /* Created with every signal blocked, so the application's signals are
     never delivered to it.  */
  sigset_t all, old;
  sigfillset (&all);
  pthread_sigmask (SIG_SETMASK, &all, &old);
  int err = pl__sys.thread_create (thread, &attr, helper_main, j);
  pthread_sigmask (SIG_SETMASK, &old, NULL);
  pthread_attr_destroy (&attr);
  return err == 0;
}

enum pl__wait_outcome
pl__wait_call (pl__kernel_wait_fn kernel_wait, int fd, enum pl__mode mode,
               const struct pl__range *range,
               const struct timespec *deadline, int *result)
{
  struct job *j = calloc (1, sizeof *j);
  if (j == NULL)
    return PL__WAIT_NO_HELPER;
  pthread_mutex_init (&j->mutex, NULL);
  pl__cond_init (&j->done_cond);
  atomic_init (&j->refs, 2);
  j->kernel_wait = kernel_wait;
  j->fd = fd;
  j->mode = mode;
  j->whole = range == NULL;
  if (range)
    j->range = *range;

  pthread_t thread;
  if (!helper_start (&thread, j))
    {
      job_free (j);
      return PL__WAIT_NO_HELPER;
    }

  pthread_mutex_lock (&j->mutex);
  while (!j->done)
    {
      int err = pl__cond_wait_until (&j->done_cond, &j->mutex, deadline);
      /* Spurious wake-ups, and wake-ups by a signal the application
         caught, land here too: only the clock ends the wait.  (The only
         other error, EINVAL, needs an invalid UNTIL: ts_add normalises
         every deadline.)  */
      if (err == ETIMEDOUT && !j->done && passed (deadline))
        break;
    }
  bool done = j->done;
  *result = j->result;
  pthread_mutex_unlock (&j->mutex);

  if (done)
    {
      /* The helper is past kernel_wait and on its way out: let it go.  */
      pthread_detach (thread);
      job_unref (j);
      return PL__WAIT_FINISHED;
    }

  /* Deadline.  The helper holds no mutex while it can be cancelled; if
     it is already past kernel_wait, the cancellation stays pending and
     it ends by itself.  Joined either way, so that no kernel wait is in
     progress when the caller makes its final attempt.  */
  pthread_cancel (thread);
  pthread_join (thread, NULL);
  job_free (j);
  return PL__WAIT_DEADLINE;
}

#else /* !PL_WAIT_THREADS */

enum pl__wait_outcome
pl__wait_call (pl__kernel_wait_fn kernel_wait, int fd, enum pl__mode mode,
               const struct pl__range *range,
               const struct timespec *deadline, int *result)
{
  (void) kernel_wait, (void) fd, (void) mode, (void) range;
  (void) deadline, (void) result;
  return PL__WAIT_NO_HELPER;
}

#endif /* PL_WAIT_THREADS */

/* ---- The wait ---- */

/* The kernel said yes (or the deadline passed) and the backend then
   answered PL_EBUSY: only another descriptor of this process can hold
   it (emulated backends).  The kernel cannot wait for that: back off.  */
static int
wait_loop (const struct pl__backend *b, int fd, enum pl__mode mode,
           const struct pl__range *range, const struct timespec *deadline,
           double cap)
{
  double backoff = PL_BACKOFF_START;
  for (;;)
    {
      int r = b->lock (fd, mode, false, range);
      if (r != PL_EBUSY)
        return r;
      if (passed (deadline))
        return PL_ETIMEDOUT;
#if PL_WAIT_THREADS
      if (b->kernel_wait)
        {
          int kr = 0;
          switch (pl__wait_call (b->kernel_wait, fd, mode, range, deadline,
                                 &kr))
            {
            case PL__WAIT_FINISHED:
              if (kr < 0)
                return pl__from_errno (-kr, fd);
              r = b->lock (fd, mode, false, range);
              if (r != PL_EBUSY)
                return r;
              break;    /* conflict inside this process: back off */
            case PL__WAIT_DEADLINE:
              /* The one final non-blocking attempt.  */
              r = b->lock (fd, mode, false, range);
              return r == PL_EBUSY ? PL_ETIMEDOUT : r;
            case PL__WAIT_NO_HELPER:
              break;
            }
        }
#endif
      pl__sleep_until (deadline, backoff);
      backoff = next_backoff (backoff, cap);
    }
}

int
pl__lock_wait (const struct pl__backend *b, int fd, enum pl__mode mode,
               const struct pl__range *range, double timeout,
               double check_interval)
{
  struct timespec deadline;
  if (!isinf (timeout))
    pl__deadline (&deadline, timeout);
  /* INFINITY, or a deadline beyond what time_t can hold: block.  */
  if (isinf (timeout) || deadline.tv_sec == PL_TIME_T_MAX)
    return b->lock (fd, mode, true, range);
  if (b->lock_timed && timeout > 0)
    {
      int r = b->lock_timed (fd, mode, range, timeout);   /* native wait */
      if (r != PL__WAIT_GENERIC)
        return r;
    }
  double cap = check_interval > 0 ? check_interval
                                  : PL__DEFAULT_CHECK_INTERVAL;

#if PL_WAIT_THREADS
  int old_state;
  pthread_setcancelstate (PTHREAD_CANCEL_DISABLE, &old_state);
#endif
  int r = wait_loop (b, fd, mode, range, &deadline, cap);
#if PL_WAIT_THREADS
  pthread_setcancelstate (old_state, &old_state);
#endif
  return r;
}

/* ---- Public entry points ---- */

/* PL_LOCK_NB wins over the timeout: one attempt, PL_EBUSY if held (as
   flock(1) -n -w).  Timeout 0 without PL_LOCK_NB: one attempt,
   PL_ETIMEDOUT if held -- the code depends on the flags, not on how much
   time was left, so a caller counting a timeout down to 0 sees the same
   code as one that waited.  */
static int
timed (const struct pl__backend *b, int fd, int flags,
       const struct pl__range *range, double timeout)
{
  int mode = pl__flags_mode (flags);
  if (mode < 0 || !pl__timeout_ok (timeout))
    return pl__refuse (PL_EINVAL);
  if (fd < 0)
    return pl__refuse (PL_EBADF);
  if (range && !(b->features & PL_FEATURE_RANGE))
    return pl__refuse (PL_ENOTSUP);
  if (flags & PL_LOCK_NB)
    return b->lock (fd, mode, false, range);
  return pl__lock_wait (b, fd, mode, range, timeout, 0);
}

int
pl_lock_timed (int fd, int flags, double timeout)
{
  return timed (pl__whole_backend (), fd, flags, NULL, timeout);
}

int
pl_lock_range_timed (int fd, int flags, int64_t start, int64_t len,
                     double timeout)
{
  if (!pl__range_ok (start, len))
    return pl__refuse (PL_EINVAL);
  struct pl__range r = { .start = start, .len = len };
  return timed (pl__range_backend (), fd, flags, &r, timeout);
}
