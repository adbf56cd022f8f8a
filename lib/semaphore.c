/* semaphore.c - at most N holders across processes, through N slot files
   (portalocker's BoundedSemaphore and NamedBoundedSemaphore).
   Copyright (C) 2026 The portalock authors.
   This file is part of portalock, under the GNU LGPL 2.1 or later.

   No system call waits for "any one of N files", so a full semaphore is
   waited for in slices: a sweep of every slot without sleeping, then a
   kernel wait (lib/wait.c) on one slot for a slice of the time left, the
   slice doubling from 1 ms up to check_interval (default 100 ms), the
   slot waited on moving round.  A slot that frees while we wait on it is
   taken at kernel speed; any other within one slice.

   Trap: if every process swept from slot 0, all waiters would pile onto
   the first slots and the hand-over would favour the same slot; each
   process starts from an offset derived from its pid and the clock.  */

#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "glthread/lock.h"

#include "portalock.h"
#include "backend-internal.h"
#include "lockfile-internal.h"
#include "wait-internal.h"

#define PL_SEMAPHORE_MAX 10000
#define PL_SEMAPHORE_SLICE_CAP 0.100
#define PL_SEMAPHORE_SLICE_START 0.001

struct pl_semaphore
{
  gl_lock_define (, mutex)
  unsigned n;
  pl_lockfile **slots;
  int held;                     /* slot number, -1 */
  int flags;
  double timeout;
  double cap;
  int fail_when_locked;
};

static void
destroy (pl_semaphore *s)
{
  if (s->slots)
    for (unsigned i = 0; i < s->n; i++)
      pl_lockfile_free (s->slots[i]);
  free (s->slots);
  free (s);
}

int
pl_semaphore_new (pl_semaphore **sp, const char *directory,
                  const char *name, unsigned n,
                  const struct pl_lockfile_options *options)
{
  if (sp == NULL || name == NULL || *name == '\0' || strchr (name, '/')
      || n == 0 || n > PL_SEMAPHORE_MAX)
    return pl__refuse (PL_EINVAL);
  *sp = NULL;
  struct pl_lockfile_options o;
  int r = pl__lockfile_options (&o, options);
  if (r != 0 || (o.flags & PL_LOCK_SH) || o.behaviour != 0)
    return pl__refuse (PL_EINVAL);
  if (directory == NULL)
    {
#if defined _WIN32
      directory = getenv ("TEMP");
#elif HAVE_SECURE_GETENV
      directory = secure_getenv ("TMPDIR");     /* not in setuid programs */
#else
      directory = getenv ("TMPDIR");
#endif
      if (directory == NULL || *directory == '\0')
        directory = "/tmp";
    }

  pl_semaphore *s = calloc (1, sizeof *s);
  if (s == NULL || (s->slots = calloc (n, sizeof *s->slots)) == NULL)
    {
      free (s);
      pl__set_os_error (ENOMEM);
      return PL_ENOMEM;
    }
  s->n = n;
  s->held = -1;
  s->flags = o.flags;
  s->timeout = o.timeout;
  s->fail_when_locked = o.fail_when_locked;
  s->cap = o.check_interval > 0 ? o.check_interval : PL_SEMAPHORE_SLICE_CAP;

  /* The slots wait themselves: exclusive, blocking; the semaphore
     decides about PL_LOCK_NB and fail_when_locked.  */
  o.flags = PL_LOCK_EX;
  o.fail_when_locked = 0;
  o.open |= PL_OPEN_CREATE;
  size_t len = strlen (directory) + strlen (name) + 16;
  char *path = malloc (len);
  if (path == NULL)
    r = PL_ENOMEM;
  for (unsigned i = 0; r == 0 && i < n; i++)
    {
      snprintf (path, len, "%s/%s.%02u.lock", directory, name, i);
      r = pl_lockfile_new (&s->slots[i], path, &o);
    }
  free (path);
  if (r != 0)
    {
      destroy (s);
      if (r == PL_ENOMEM)
        pl__set_os_error (ENOMEM);
      return r;
    }
  gl_lock_init (s->mutex);
  *sp = s;
  return 0;
}

/* Where this process starts its sweeps.  */
static unsigned
start_offset (unsigned n)
{
  struct timespec ts;
  clock_gettime (CLOCK_REALTIME, &ts);
  unsigned x = (unsigned) getpid () * 2654435761u
               ^ (unsigned) ts.tv_nsec * 40503u;
  return x % n;
}

/* One pass over every slot from OFFSET, without sleeping.  */
static int
sweep (pl_semaphore *s, unsigned offset, int *fdp)
{
  for (unsigned k = 0; k < s->n; k++)
    {
      unsigned i = (offset + k) % s->n;
      int r = pl__lockfile_acquire (s->slots[i], 0, true, fdp, NULL);
      if (r == 0)
        {
          s->held = (int) i;
          return 0;
        }
      if (r != PL_EBUSY)
        return r;
    }
  return PL_EBUSY;
}

static int
acquire (pl_semaphore *s, int *fdp)
{
  unsigned offset = start_offset (s->n);
  int r = sweep (s, offset, fdp);
  if (r != PL_EBUSY || (s->flags & PL_LOCK_NB) || s->fail_when_locked)
    return r;
  bool forever = s->timeout == INFINITY;
  struct timespec deadline;
  if (!forever)
    pl__deadline (&deadline, s->timeout);
  double slice = PL_SEMAPHORE_SLICE_START;
  for (;;)
    {
      double left = forever ? slice : pl__remaining (&deadline);
      if (left <= 0)
        return PL_ETIMEDOUT;
      r = pl__lockfile_acquire (s->slots[offset], left < slice ? left : slice,
                                false, fdp, NULL);
      if (r == 0)
        {
          s->held = (int) offset;
          return 0;
        }
      if (r != PL_ETIMEDOUT)
        return r;
      offset = (offset + 1) % s->n;
      r = sweep (s, offset, fdp);
      if (r != PL_EBUSY)
        return r;
      slice = slice * 2 < s->cap ? slice * 2 : s->cap;
    }
}

int
pl_semaphore_acquire (pl_semaphore *s, unsigned *slot, int *fdp)
{
  if (s == NULL)
    return pl__refuse (PL_EINVAL);
  gl_lock_lock (s->mutex);
  int r = 0;
  int fd = -1;
  if (s->held < 0)
    r = acquire (s, &fd);
  else
    r = pl__lockfile_acquire (s->slots[s->held], 0, true, &fd, NULL);
  if (r == 0)
    {
      if (slot)
        *slot = (unsigned) s->held;
      if (fdp)
        *fdp = fd;
    }
  gl_lock_unlock (s->mutex);
  return r;
}

int
pl_semaphore_release (pl_semaphore *s)
{
  if (s == NULL)
    return pl__refuse (PL_EINVAL);
  gl_lock_lock (s->mutex);
  int r;
  if (s->held < 0)
    r = pl__refuse (PL_EINVAL);
  else
    {
      r = pl_lockfile_release (s->slots[s->held]);
      s->held = -1;
    }
  gl_lock_unlock (s->mutex);
  return r;
}

void
pl_semaphore_free (pl_semaphore *s)
{
  if (s == NULL)
    return;
  gl_lock_destroy (s->mutex);
  destroy (s);          /* pl_lockfile_free releases a held slot */
}
