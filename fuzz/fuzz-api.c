/* fuzz-api.c - libFuzzer harness for the library's inputs: flag words,
   byte ranges, timeouts (NaN, infinities, huge), option structs
   (random bytes, size field included), paths, error codes.
   Copyright (C) 2026 The portalock authors.
   This file is part of portalock, under the GNU GPL 3 or later.

   One input is a small program: a header (backend, number of
   descriptors) and a list of operations, each read from fixed-size
   fields of the input.  Everything happens on files inside a private
   directory made once (mkdtemp); a path from the input is one name in
   that directory: never a '/', and always prefixed, so never "." or "..".

   The invariants checked after every input, besides "no crash" and
   what ASan and UBSan see (leaks included):
   - no descriptor is left open (the count of /proc/self/fd before the
     input equals the count after it);
   - no lock is left: every file in the directory can be locked
     exclusively without waiting through a fresh open;
   - every call returned 0 or a known PL_E* code.

   Nothing may wait for long: with two descriptors on one file, every
   lock request is non-blocking or its timeout clamped to 10 ms (a
   blocking request against our own other descriptor would wait forever,
   as rule 1 says it must).  With one descriptor nobody else holds a
   lock, so the raw timeout (also INFINITY or 1e300) is passed.  */

#include <config.h>

#include <dirent.h>
#include <fcntl.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "portalock.h"

static char dir[256];
static int dir_fd = -1;

static int
count_fds (void)
{
  DIR *d = opendir ("/proc/self/fd");
  if (d == NULL)
    abort ();
  int n = 0;
  while (readdir (d) != NULL)
    n++;
  closedir (d);
  return n;
}

static void
remove_dir (void)
{
  DIR *d = opendir (dir);
  if (d)
    {
      struct dirent *e;
      while ((e = readdir (d)) != NULL)
        if (strcmp (e->d_name, ".") != 0 && strcmp (e->d_name, "..") != 0)
          unlinkat (dirfd (d), e->d_name, 0);
      closedir (d);
    }
  rmdir (dir);
}

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  (void) argc;
  (void) argv;
  const char *tmp = getenv ("TMPDIR");
  snprintf (dir, sizeof dir, "%s/portalock-fuzz-XXXXXX",
            tmp && *tmp ? tmp : "/tmp");
  if (mkdtemp (dir) == NULL)
    abort ();
  atexit (remove_dir);
  /* Warm up what the library keeps for the process's lifetime (the
     timed-wait helper thread, the backend probes), so that it does not
     count as a leak of the first input.  */
  char path[300];
  snprintf (path, sizeof path, "%s/warm", dir);
  int fd = open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0 || pl_lock_timed (fd, PL_LOCK_EX, 0.001) != 0)
    abort ();
  int64_t pid;
  pl_who (fd, PL_LOCK_EX, &pid);
  pl_close (fd);
  unlink (path);
  return 0;
}

/* The input, read field by field; zeros once it runs out.  */
struct input
{
  const uint8_t *p;
  size_t n;
};

static void
take (struct input *in, void *out, size_t size)
{
  size_t k = in->n < size ? in->n : size;
  memset (out, 0, size);
  memcpy (out, in->p, k);
  in->p += k;
  in->n -= k;
}

static uint8_t
u8 (struct input *in)
{
  uint8_t v;
  take (in, &v, sizeof v);
  return v;
}

static int
i32 (struct input *in)
{
  int32_t v;
  take (in, &v, sizeof v);
  return v;
}

static int64_t
i64 (struct input *in)
{
  int64_t v;
  take (in, &v, sizeof v);
  /* Small values now and then, so that ranges also succeed.  */
  return (v & 1) ? (v >> 1) % 4096 : v;
}

static double
f64 (struct input *in)
{
  double v;
  take (in, &v, sizeof v);
  return v;
}

static bool
known_code (int rc)
{
  return rc <= 0 && rc >= PL_ENOTDIR;
}

#define CHECK(rc)                                                       \
  do                                                                    \
    {                                                                   \
      int rc_ = (rc);                                                   \
      if (!known_code (rc_))                                            \
        {                                                               \
          fprintf (stderr, "%s: unknown return value %d\n", #rc, rc_);  \
          abort ();                                                     \
        }                                                               \
    }                                                                   \
  while (0)

/* A name in the private directory, from the input: 1..300 bytes, no
   '/' and no NUL, prefixed with "l" (so never "." or "..", and never
   the fd-API file "f").  */
static void
take_path (struct input *in, char *path, size_t size)
{
  size_t len = u8 (in) + u8 (in) % 64; /* up to 318: also > NAME_MAX */
  int k = snprintf (path, size, "%s/l", dir);
  for (size_t i = 0; i < len && (size_t) k + 1 < size; i++)
    {
      uint8_t c = u8 (in);
      if (c == '/' || c == '\0')
        c = '_';
      path[k++] = (char) c;
    }
  path[k] = '\0';
}

/* A timeout that cannot wait long when CLAMP.  */
static double
timeout_arg (struct input *in, bool clamp)
{
  double t = f64 (in);
  if (clamp && !(t <= 0.01) && t == t)
    t = 0.01;                   /* +inf, huge, or just long */
  return t;
}

/* One lock object: new, acquire (twice now and then), release, free.  */
static void
lockfile_ops (struct input *in)
{
  char path[600];
  take_path (in, path, sizeof path);
  /* The options as random bytes, in a buffer of exactly their size (so
     that ASan sees a read past it); the size field is random too, or
     now and then right.  */
  struct pl_lockfile_options *o = malloc (sizeof *o);
  if (o == NULL)
    abort ();
  take (in, o, sizeof *o);
  uint8_t how = u8 (in);
  if (how & 1)
    o->size = sizeof *o;
  else if (how & 2)
    o->size %= sizeof *o + 16;
  if (how & 4)
    o->open &= 0x3f;
  if (how & 8)
    o->behaviour &= 7;
  if (how & 16)
    o->mode &= 0777;
  if (how & 32)
    o->check_interval = 0;
  pl_lockfile *lf = NULL;
  int rc = pl_lockfile_new (&lf, path, (how & 64) ? NULL : o);
  free (o);
  CHECK (rc);
  if (rc != 0)
    {
      if (lf != NULL)
        abort ();
      return;
    }
  int fd = -1;
  FILE *fp = NULL;
  rc = pl_lockfile_acquire (lf, &fd, (how & 128) ? &fp : NULL);
  CHECK (rc);
  if (rc == 0 && (how & 2))
    CHECK (pl_lockfile_acquire (lf, NULL, NULL));
  if (rc == 0 && pl_lockfile_depth (lf) == 0)
    abort ();
  unsigned depth = pl_lockfile_depth (lf);
  for (unsigned i = 0; i < depth && i < 4; i++)
    CHECK (pl_lockfile_release (lf));
  if (u8 (in) & 1)
    CHECK (pl_lockfile_release (lf));   /* not held: PL_EINVAL */
  pl_lockfile_free (lf);
}

static void
one_input (struct input *in)
{
  uint8_t header = u8 (in);
  const char *const *backends = pl_backends ();
  int nb = 0;
  while (backends[nb])
    nb++;
  if (nb == 0 || pl_set_backend (backends[header % nb]) != 0)
    abort ();
  bool two = header & 0x80;     /* a second descriptor on the same file */

  char file[300];
  snprintf (file, sizeof file, "%s/f", dir);
  int fd[2];
  fd[0] = open (file, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  fd[1] = two ? open (file, O_RDWR | O_CLOEXEC) : -1;
  if (fd[0] < 0 || (two && fd[1] < 0))
    abort ();

  for (int ops = 0; in->n > 0 && ops < 32; ops++)
    {
      uint8_t op = u8 (in);
      int f = fd[(op >> 4) & (two ? 1 : 0)];
      /* Now and then a descriptor that is not ours to use.  */
      if ((op & 0x60) == 0x60)
        f = (op & 0x80) ? -1 - (op & 3) : 1000 + (op & 7);
      int flags = i32 (in);
      if (two)
        flags |= PL_LOCK_NB;
      int64_t start, len, pid;
      double t;
      switch (op & 0xf)
        {
        case 0:
          CHECK (pl_lock (f, flags));
          break;
        case 1:
          CHECK (pl_unlock (f));
          break;
        case 2:
          start = i64 (in);
          len = i64 (in);
          CHECK (pl_lock_range (f, flags, start, len));
          break;
        case 3:
          start = i64 (in);
          len = i64 (in);
          CHECK (pl_unlock_range (f, start, len));
          break;
        case 4:
          t = timeout_arg (in, two);
          CHECK (pl_lock_timed (f, flags & ~(two ? PL_LOCK_NB : 0), t));
          break;
        case 5:
          start = i64 (in);
          len = i64 (in);
          t = timeout_arg (in, two);
          CHECK (pl_lock_range_timed (f, flags & ~(two ? PL_LOCK_NB : 0),
                                      start, len, t));
          break;
        case 6:
          CHECK (pl_who (f, flags, &pid));
          break;
        case 7:
          if (pl_strerror (flags) == NULL || pl_strerror_name (flags) == NULL)
            abort ();
          break;
        case 8:
        case 9:
          lockfile_ops (in);
          break;
        default:
          CHECK (pl_lock (f, flags | PL_LOCK_NB));
          break;
        }
    }
  for (int i = 0; i < 2; i++)
    if (fd[i] >= 0)
      CHECK (pl_close (fd[i]));
}

/* No lock left on any file of the directory; then empty it.  */
static void
check_and_empty_dir (void)
{
  DIR *d = opendir (dir);
  if (d == NULL)
    abort ();
  struct dirent *e;
  while ((e = readdir (d)) != NULL)
    {
      if (strcmp (e->d_name, ".") == 0 || strcmp (e->d_name, "..") == 0)
        continue;
      int fd = openat (dirfd (d), e->d_name, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
      if (fd >= 0)
        {
          int rc = pl_lock (fd, PL_LOCK_EX | PL_LOCK_NB);
          if (rc != 0)
            {
              fprintf (stderr, "a lock was left on %s (%s)\n", e->d_name,
                       pl_strerror_name (rc));
              abort ();
            }
          pl_close (fd);
        }
      unlinkat (dirfd (d), e->d_name, 0);
    }
  closedir (d);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  struct input in = { .p = data, .n = size };
  int before = count_fds ();
  one_input (&in);
  int after = count_fds ();
  if (after != before)
    {
      fprintf (stderr, "descriptors: %d before, %d after\n", before, after);
      abort ();
    }
  check_and_empty_dir ();
  pl_set_backend (NULL);
  return 0;
}
