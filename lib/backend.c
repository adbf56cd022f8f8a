/* backend.c - choosing the backend: a preference table, probed at run
   time, as libevent's eventops[].
   Copyright (C) 2026 The portalock authors.
   This file is part of portalock, under the GNU LGPL 2.1 or later.  */

#include <config.h>

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "glthread/lock.h"

#include "portalock.h"
#include "backend-internal.h"

/* Best first.  Whole-file locks take the first usable entry; byte ranges
   the first usable one with PL_FEATURE_RANGE.  So on Linux: flock for
   whole files (it interoperates with flock(1) and every other flock(2)
   user, and is the cheapest), OFD for ranges (per open file, unlike
   classic fcntl); posix and lockf only where those are missing, or when
   configure was told they are (pl_cv_func_flock=no ...).  */
static const struct pl__backend *const preference[] = {
#if PL_HAVE_WIN32
  &pl__backend_win32,
#endif
#if PL_HAVE_FLOCK
  &pl__backend_flock,
#endif
#if PL_HAVE_OFD
  &pl__backend_ofd,
#endif
#if PL_HAVE_POSIX
  &pl__backend_posix,
#endif
#if PL_HAVE_LOCKF
  &pl__backend_lockf,
#endif
  NULL
};

#define N_BACKENDS (sizeof preference / sizeof preference[0])

/* The usable ones (probe succeeded), computed once.  */
static const struct pl__backend *usable[N_BACKENDS];
static const char *usable_names[N_BACKENDS];
/* Trap: gnulib's Windows once-initialiser ({ -1, -1 }) leaves the lock
   field out, which -Wextra (--enable-gcc-warnings) reports.  */
#if defined _WIN32 && defined __GNUC__
# pragma GCC diagnostic push
# pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#endif
gl_once_define (static, probe_once)
#if defined _WIN32 && defined __GNUC__
# pragma GCC diagnostic pop
#endif

static void
probe_all (void)
{
  size_t n = 0;
  for (size_t i = 0; preference[i]; i++)
    if (preference[i]->probe == NULL || preference[i]->probe ())
      {
        usable[n] = preference[i];
        usable_names[n] = preference[i]->name;
        n++;
      }
}

static void
probe_backends (void)
{
  gl_once (probe_once, probe_all);      /* aborts if threads are broken */
}

static const struct pl__backend *
find_usable (const char *name)
{
  probe_backends ();
  for (size_t i = 0; usable[i]; i++)
    if (strcmp (usable[i]->name, name) == 0)
      return usable[i];
  return NULL;
}

static const struct pl__backend *
first_usable (unsigned need)
{
  probe_backends ();
  for (size_t i = 0; usable[i]; i++)
    if ((usable[i]->features & need) == need)
      return usable[i];
  return NULL;
}

/* Environment variables must not steer a setuid or setgid program: the
   invoking user could otherwise pick a weaker backend for it.  */
static const char *
trusted_getenv (const char *name)
{
#if HAVE_SECURE_GETENV
  return secure_getenv (name);
#elif HAVE_ISSETUGID
  return issetugid () ? NULL : getenv (name);
#elif defined _WIN32
  return getenv (name);
#else
  if (getuid () != geteuid () || getgid () != getegid ())
    return NULL;
  return getenv (name);
#endif
}

/* The choice, read on every lock: one atomic load once set.  NULL until
   the first use.  The whole-file and the range backend are set together
   by pl_set_backend(), so a reader may see one pair member updated
   before the other for an instant; both are valid backends.  */
static _Atomic (const struct pl__backend *) chosen_whole;
static _Atomic (const struct pl__backend *) chosen_range;

static void
choose_default (void)
{
  const struct pl__backend *whole = NULL, *range = NULL;
  const char *env = trusted_getenv ("PORTALOCK_BACKEND");

  /* An unknown or unusable name in the environment is ignored rather than
     fatal: the library must still lock.  pl_backend() tells what won.  */
  if (env && *env && strcmp (env, "auto") != 0)
    whole = range = find_usable (env);
  if (whole == NULL)
    {
      whole = first_usable (0);
      range = first_usable (PL_FEATURE_RANGE);
      if (range == NULL)
        range = whole;
    }

  /* Only the first chooser stores: a concurrent pl_set_backend() wins.  */
  const struct pl__backend *expected = NULL;
  atomic_compare_exchange_strong (&chosen_range, &expected, range);
  expected = NULL;
  atomic_compare_exchange_strong (&chosen_whole, &expected, whole);
}

const struct pl__backend *
pl__whole_backend (void)
{
  const struct pl__backend *b
    = atomic_load_explicit (&chosen_whole, memory_order_acquire);
  if (__builtin_expect (b == NULL, 0))
    {
      choose_default ();
      b = atomic_load_explicit (&chosen_whole, memory_order_acquire);
    }
  return b;
}

const struct pl__backend *
pl__range_backend (void)
{
  const struct pl__backend *b
    = atomic_load_explicit (&chosen_range, memory_order_acquire);
  if (__builtin_expect (b == NULL, 0))
    {
      choose_default ();
      b = atomic_load_explicit (&chosen_range, memory_order_acquire);
    }
  return b;
}

int
pl_set_backend (const char *name)
{
  if (name == NULL || strcmp (name, "auto") == 0)
    {
      atomic_store (&chosen_whole, first_usable (0));
      const struct pl__backend *r = first_usable (PL_FEATURE_RANGE);
      atomic_store (&chosen_range, r ? r : first_usable (0));
      return 0;
    }
  const struct pl__backend *b = find_usable (name);
  if (b == NULL)
    {
      pl__set_os_error (0);
      return PL_ENOBACKEND;
    }
  atomic_store (&chosen_range, b);
  atomic_store (&chosen_whole, b);
  return 0;
}

const char *
pl_backend (void)
{
  return pl__whole_backend ()->name;
}

const char *
pl_range_backend (void)
{
  return pl__range_backend ()->name;
}

const char *const *
pl_backends (void)
{
  probe_backends ();
  return usable_names;
}

unsigned
pl_backend_features (const char *name)
{
  if (name == NULL)
    return 0;
  for (size_t i = 0; preference[i]; i++)
    if (strcmp (preference[i]->name, name) == 0)
      return preference[i]->features;
  return 0;
}
