/* inode-table.c - per-open-file locks over per-process primitives.
   Copyright (C) 2026 The portalock authors.
   This file is part of portalock, under the GNU LGPL 2.1 or later.

   "POSIX advisory locks are broken by design" (SQLite, os_unix.c).
   Classic fcntl locks, and lockf which is built on them, belong to the
   PROCESS and the inode, not to the open file:

   - two opens of one file in one process never conflict (contract rule 1
     wants them to);
   - closing ANY descriptor of the file drops every lock the process holds
     on it, also those taken through other descriptors (rule 2 forbids);
   - the process has one lock state per byte: a shared lock taken through
     one descriptor and released through another is simply gone.

   This table answers all three, as SQLite's inodeInfo does.  It records,
   per inode, which descriptor (the "owner") holds which byte range in
   which mode.  Conflicts between owners inside this process are decided
   here; conflicts with other processes by the kernel.  The kernel's
   per-process state is kept equal to the strongest mode any owner holds
   on each byte.  pl_close() of a descriptor while other descriptors of
   the same inode still hold locks is deferred (the descriptor is kept
   open, so the kernel does not drop their locks) until the last lock on
   the inode is released.

   The owner is the open file description, as for flock and OFD locks: a
   descriptor and its dup()s.  The table records the descriptor number a
   lock was taken through; whether another number is a duplicate of it is
   asked of the kernel (Linux kcmp(2)) only when two numbers meet on one
   inode, so the common path pays nothing.

   What it cannot cover (documented in portalock(3)): a raw close() that
   bypasses the library still drops the process's locks on the inode;
   where kcmp(2) is missing or refused (seccomp), a dup() is a separate
   owner; and pl_close() of the descriptor a lock was taken through
   releases it even if a dup() of that descriptor stays open (flock would
   keep it until the last duplicate is closed).

   Cost: one mutex and one hash probe per call.  An inode is found from a
   descriptor that holds locks through a direct fd-indexed array, so
   unlock and re-lock need no fstat().  And fstat() is put off until it
   can matter: while the process holds locks on one file only, that file's
   entry stays "unresolved" (its dev/ino unknown), since there is nothing
   to conflict with; the first lock through a second descriptor resolves
   it.  So the common lock-unlock cycle is the bare fcntl pair plus a few
   dozen nanoseconds (PERFORMANCE.md, P2), and nothing walks all the
   locks of the process, so the cost does not grow with how many are held
   (P3).  */

#include <config.h>

#if PL_HAVE_POSIX

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#if HAVE_LINUX_KCMP_H
# include <linux/kcmp.h>
# include <sys/syscall.h>
#endif

#include "portalock.h"
#include "inode-table-internal.h"
#include "syscall-internal.h"
#include "wait-internal.h"

/* Byte ranges here are half-open [start, end); a lock "to the end of the
   file and beyond" (len 0) ends at INFINITE.  (A finite lock that ends
   exactly at INT64_MAX is treated the same: no file can reach that.)  */
#define INFINITE INT64_MAX

struct held
{
  int fd;                       /* owner */
  enum pl__mode mode;
  bool pending;                 /* reserved: the owner waits in the kernel */
  int64_t start, end;
};

struct inode
{
  dev_t dev;
  ino_t ino;
  struct inode *next;           /* hash chain */
  struct held *held;
  size_t nheld, cap;
  int *closing;                 /* descriptors whose close is deferred */
  size_t nclosing, closing_cap;
  unsigned waiters;             /* threads in cond_wait on this inode */
  bool resolved;                /* dev, ino known and in the hash */
};

/* One mutex for the whole table: critical sections are a few hundred
   nanoseconds and never include a blocking system call.  */
static pthread_mutex_t table_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t table_cond = PTHREAD_COND_INITIALIZER;

static struct inode **buckets;
static size_t nbuckets;         /* 0 or a power of two */
static size_t ninodes;          /* in the hash */

/* The one inode whose dev/ino are not known yet.  Invariant: it exists
   only while it is the only inode in the table (ninodes == 0).  */
static struct inode *unresolved;

/* An idle inode kept for reuse, so that a lock-unlock cycle allocates
   nothing.  */
static struct inode *spare;

/* Descriptors pl_close() could not place: fstat() failed (EIO, ESTALE),
   so their file is unknown, and closing them could drop the locks other
   descriptors of that same file hold.  Closed once the table is empty,
   when no close can drop anything.  */
static int *orphans;
static size_t norphans, orphans_cap;

/* by_fd[fd]: the inode on which FD holds (or waits for) locks, else
   NULL.  Lets unlock and close find the inode without fstat().  */
static struct inode **by_fd;
static size_t by_fd_len;

static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

/* This process's id, for kcmp(2); reset in a forked child.  */
static pid_t self_pid;

/* ---- hash table of inodes --------------------------------------------- */

static size_t
hash_inode (dev_t dev, ino_t ino)
{
  uint64_t h = (uint64_t) ino * UINT64_C (0x9E3779B97F4A7C15);
  h ^= (uint64_t) dev + (h >> 29);
  return (size_t) (h ^ (h >> 32));
}

static struct inode *
find_inode (dev_t dev, ino_t ino)
{
  if (nbuckets == 0)
    return NULL;
  for (struct inode *p = buckets[hash_inode (dev, ino) & (nbuckets - 1)];
       p; p = p->next)
    if (p->dev == dev && p->ino == ino)
      return p;
  return NULL;
}

/* Keep the load factor at most 1.  false: out of memory (table intact).  */
static bool
grow_buckets (void)
{
  if (ninodes < nbuckets)
    return true;
  size_t n = nbuckets ? 2 * nbuckets : 64;
  struct inode **b = calloc (n, sizeof *b);
  if (b == NULL)
    return false;
  for (size_t i = 0; i < nbuckets; i++)
    for (struct inode *p = buckets[i], *next; p; p = next)
      {
        next = p->next;
        size_t h = hash_inode (p->dev, p->ino) & (n - 1);
        p->next = b[h];
        b[h] = p;
      }
  free (buckets);
  buckets = b;
  nbuckets = n;
  return true;
}

static struct inode *
new_inode (void)
{
  struct inode *p = spare;
  if (p)
    {
      spare = NULL;
      return p;
    }
  return calloc (1, sizeof *p);
}

static void
hash_insert (struct inode *p)
{
  size_t h = hash_inode (p->dev, p->ino) & (nbuckets - 1);
  p->next = buckets[h];
  buckets[h] = p;
  p->resolved = true;
  ninodes++;
}

static struct inode *
add_inode (dev_t dev, ino_t ino)
{
  if (!grow_buckets ())
    return NULL;
  struct inode *p = new_inode ();
  if (p == NULL)
    return NULL;
  p->dev = dev;
  p->ino = ino;
  hash_insert (p);
  return p;
}

static void
free_inode_memory (struct inode *p)
{
  free (p->held);
  free (p->closing);
  free (p);
}

/* Close the deferred descriptors and forget P, once nothing holds or
   waits for a lock on it.  */
static void
release_inode_if_idle (struct inode *p)
{
  if (p->nheld > 0 || p->waiters > 0)
    return;
  for (size_t i = 0; i < p->nclosing; i++)
    pl__sys.close (p->closing[i]);     /* nothing left: no locks */
  p->nclosing = 0;
  if (p->resolved)
    {
      struct inode **pp
        = &buckets[hash_inode (p->dev, p->ino) & (nbuckets - 1)];
      while (*pp != p)
        pp = &(*pp)->next;
      *pp = p->next;
      ninodes--;
      p->resolved = false;
    }
  else
    unresolved = NULL;
  if (spare == NULL)
    spare = p;                  /* keeps its arrays for the next user */
  else
    free_inode_memory (p);
  if (ninodes == 0 && unresolved == NULL)
    {
      for (size_t i = 0; i < norphans; i++)
        pl__sys.close (orphans[i]);
      norphans = 0;
    }
}

/* ---- descriptor index ------------------------------------------------- */

static struct inode *
inode_of_fd (int fd)
{
  return (size_t) fd < by_fd_len ? by_fd[fd] : NULL;
}

/* Room for FD in by_fd.  0, or PL_EBADF / PL_ENOMEM.  */
static int
reserve_fd_slot (int fd)
{
  if ((size_t) fd < by_fd_len)
    return 0;
  /* Growing for a descriptor that does not exist would let
     pl_lock (INT_MAX, ...) allocate gigabytes before the kernel says
     EBADF: check it first.  Only growth pays this call.  */
  if (fcntl (fd, F_GETFD) == -1)
    return pl__from_errno (errno, -1);
  size_t n = by_fd_len ? by_fd_len : 64;
  while (n <= (size_t) fd)
    n *= 2;
  struct inode **a = realloc (by_fd, n * sizeof *a);
  if (a == NULL)
    {
      pl__set_os_error (ENOMEM);
      return PL_ENOMEM;
    }
  memset (a + by_fd_len, 0, (n - by_fd_len) * sizeof *a);
  by_fd = a;
  by_fd_len = n;
  return 0;
}

static bool
fd_has_entries (const struct inode *p, int fd)
{
  for (size_t i = 0; i < p->nheld; i++)
    if (p->held[i].fd == fd)
      return true;
  return false;
}

static void
forget_fd_if_unused (struct inode *p, int fd)
{
  if (inode_of_fd (fd) == p && !fd_has_entries (p, fd))
    by_fd[fd] = NULL;
}

/* ---- owners ------------------------------------------------------------ */

/* Do descriptors A and B share one open file description (a dup())?  */
static bool
same_owner (int a, int b)
{
  if (a == b)
    return true;
#if HAVE_LINUX_KCMP_H && defined SYS_kcmp
  /* 0: same file; other values order them; -1: no kcmp (ENOSYS, or
     EPERM under seccomp): then only equal numbers are one owner.  */
  return syscall (SYS_kcmp, self_pid, self_pid, KCMP_FILE, a, b) == 0;
#else
  return false;
#endif
}

/* ---- held ranges -------------------------------------------------------- */

/* Room for N more entries.  false: out of memory.  */
static bool
reserve_held (struct inode *p, size_t n)
{
  if (p->nheld + n <= p->cap)
    return true;
  size_t cap = p->cap ? 2 * p->cap : 4;
  while (cap < p->nheld + n)
    cap *= 2;
  struct held *h = realloc (p->held, cap * sizeof *h);
  if (h == NULL)
    return false;
  p->held = h;
  p->cap = cap;
  return true;
}

static void forget_fd_if_unused (struct inode *p, int fd);

static void
remove_entry (struct inode *p, size_t i)
{
  int fd = p->held[i].fd;
  p->held[i] = p->held[--p->nheld];
  forget_fd_if_unused (p, fd);
}

static bool
overlaps (const struct held *h, int64_t start, int64_t end)
{
  return h->start < end && start < h->end;
}

/* Cut [START, END) out of entry I, which overlaps it: shrink the entry,
   split it in two around a hole (needs room for one more entry: callers
   reserve_held() first, so this cannot fail), or remove it.  True if it
   was removed, and the last entry moved to I.  */
static bool
cut_entry (struct inode *p, size_t i, int64_t start, int64_t end)
{
  struct held *h = &p->held[i];
  if (h->start < start && h->end > end)
    {
      struct held right = *h;
      right.start = end;
      h->end = start;
      p->held[p->nheld++] = right;
    }
  else if (h->start < start)
    h->end = start;
  else if (h->end > end)
    h->start = end;
  else
    {
      remove_entry (p, i);
      return true;
    }
  return false;
}

/* Does an owner other than FD hold or wait for a lock on [START, END)
   that conflicts with MODE?  */
static bool
conflicts (const struct inode *p, int fd, enum pl__mode mode,
           int64_t start, int64_t end)
{
  for (size_t i = 0; i < p->nheld; i++)
    {
      const struct held *h = &p->held[i];
      if (overlaps (h, start, end)
          && (mode == PL__EXCLUSIVE || h->mode == PL__EXCLUSIVE)
          && !same_owner (h->fd, fd))
        return true;
    }
  return false;
}

static int
cmp_int64 (const void *a, const void *b)
{
  int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
  return (x > y) - (x < y);
}

/* Which owner decides the kernel's mode at byte OFFSET: the strongest
   holder (pending reservations count, so that a grant arriving while we
   recompute is never undone).  NULL if nobody.  */
static const struct held *
strongest_at (const struct inode *p, int64_t offset)
{
  const struct held *best = NULL;
  for (size_t i = 0; i < p->nheld; i++)
    {
      const struct held *h = &p->held[i];
      if (h->start <= offset && offset < h->end
          && (best == NULL || h->mode > best->mode))
        best = h;
    }
  return best;
}

static int
kernel_apply (pl__kernel_set kset, int fd, enum pl__mode mode,
              int64_t start, int64_t end)
{
  return kset (fd, mode, false, start, end == INFINITE ? 0 : end - start);
}

/* Bring the kernel's lock state on [START, END), which FD's owner has
   just given up, back to what the remaining owners hold there.  Only
   downgrades or unlocks (an exclusive holder has no overlapping
   neighbours), so no call here can block or meet a conflict.  Each
   shared piece is set through a descriptor that holds it, which is known
   to be open for reading.  */
static int
recompute (struct inode *p, pl__kernel_set kset, int fd,
           int64_t start, int64_t end)
{
  bool anyone = false;
  for (size_t i = 0; i < p->nheld && !anyone; i++)
    anyone = overlaps (&p->held[i], start, end);
  if (!anyone)
    return kernel_apply (kset, fd, PL__UNLOCK, start, end);

  int64_t stack_points[16];
  int64_t *pt = stack_points;
  size_t max = 2 * p->nheld + 2, n = 0;
  if (max > sizeof stack_points / sizeof *pt)
    {
      pt = malloc (max * sizeof *pt);
      if (pt == NULL)
        {
          /* Cannot split: at least never leave a stale exclusive lock.  */
          const struct held *h = strongest_at (p, start);
          return kernel_apply (kset, h ? h->fd : fd,
                               h ? PL__SHARED : PL__UNLOCK, start, end);
        }
    }
  pt[n++] = start;
  pt[n++] = end;
  for (size_t i = 0; i < p->nheld; i++)
    {
      const struct held *h = &p->held[i];
      if (start < h->start && h->start < end)
        pt[n++] = h->start;
      if (start < h->end && h->end < end)
        pt[n++] = h->end;
    }
  qsort (pt, n, sizeof *pt, cmp_int64);

  int result = 0;
  for (size_t i = 0; i + 1 < n; i++)
    {
      if (pt[i] == pt[i + 1])
        continue;
      const struct held *h = strongest_at (p, pt[i]);
      /* Merge following pieces that the same owner decides.  */
      size_t j = i + 1;
      while (j + 1 < n && strongest_at (p, pt[j]) == h)
        j++;
      int r = kernel_apply (kset, h ? h->fd : fd, h ? h->mode : PL__UNLOCK,
                            pt[i], pt[j]);
      if (r != 0 && result == 0)
        result = r;
      i = j - 1;
    }
  if (pt != stack_points)
    free (pt);
  return result;
}

/* Does FD's owner hold (not just wait for) anything on [START, END)?  */
static bool
owner_holds (const struct inode *p, int fd, int64_t start, int64_t end)
{
  for (size_t i = 0; i < p->nheld; i++)
    {
      const struct held *h = &p->held[i];
      if (!h->pending && overlaps (h, start, end) && same_owner (h->fd, fd))
        return true;
    }
  return false;
}

/* FD's owner gives up whatever it holds on [START, END): cut its entries
   and fix the kernel's state where they were.  DUPS: also what was taken
   through duplicates of FD (false for pl_close(), which only ends FD).
   Needs room for one more entry (a split).  */
static int
release_own (struct inode *p, pl__kernel_set kset, int fd, bool dups,
             int64_t start, int64_t end)
{
  int result = 0;
  for (size_t i = 0; i < p->nheld; i++)
    {
      struct held *h = &p->held[i];
      if (h->pending || !overlaps (h, start, end)
          || (dups ? !same_owner (h->fd, fd) : h->fd != fd))
        continue;
      int64_t cut_start = h->start > start ? h->start : start;
      int64_t cut_end = h->end < end ? h->end : end;
      if (cut_entry (p, i, start, end))
        i--;                    /* the last entry moved to I */
      int r = recompute (p, kset, fd, cut_start, cut_end);
      if (r != 0 && result == 0)
        result = r;
    }
  return result;
}

/* ---- fork --------------------------------------------------------------- */

/* A child of fork() holds none of its parent's fcntl locks (POSIX), so
   its copy of the table is wrong: empty it.  The deferred descriptors are
   the child's own copies; closing them cannot touch the parent's locks,
   and keeping them would leak them.  The mutex is held across fork() so
   the child never inherits it locked by a thread that does not exist.  */
static void
atfork_prepare (void)
{
  pthread_mutex_lock (&table_mutex);
}

static void
atfork_parent (void)
{
  pthread_mutex_unlock (&table_mutex);
}

static void
atfork_child (void)
{
  for (size_t i = 0; i < nbuckets; i++)
    for (struct inode *p = buckets[i], *next; p; p = next)
      {
        next = p->next;
        for (size_t k = 0; k < p->nclosing; k++)
          close (p->closing[k]);
        free_inode_memory (p);
      }
  if (unresolved)
    {
      for (size_t k = 0; k < unresolved->nclosing; k++)
        close (unresolved->closing[k]);
      free_inode_memory (unresolved);
    }
  if (spare)
    free_inode_memory (spare);
  for (size_t k = 0; k < norphans; k++)
    close (orphans[k]);         /* the child's copies: no locks */
  norphans = 0;
  unresolved = spare = NULL;
  free (buckets);
  free (by_fd);
  buckets = NULL;
  by_fd = NULL;
  nbuckets = ninodes = by_fd_len = 0;
  pthread_mutex_init (&table_mutex, NULL);
  pl__cond_init (&table_cond);
  self_pid = getpid ();
}

static void
install_atfork (void)
{
  self_pid = getpid ();
  /* Timed waits need the condition variable on the monotonic clock.  No
     thread can wait on it before this runs (pthread_once).  */
  pl__cond_init (&table_cond);
  pthread_atfork (atfork_prepare, atfork_parent, atfork_child);
}

/* ---- the operations ----------------------------------------------------- */

/* Give the unresolved inode, if any, its dev/ino and put it in the hash:
   a second file is about to enter the table.  Any descriptor holding a
   lock on it will do for fstat(): the caller may not close it behind our
   back (the documented raw-close() case).  */
static int
resolve_pending_inode (void)
{
  struct inode *p = unresolved;
  if (p == NULL)
    return 0;
  /* An inode in the table has an entry or a deferred close, except while
     only waiters keep it: and a waiter resolves it before it waits.  */
  int fd = p->nheld ? p->held[0].fd : p->closing[0];
  struct stat st;
  if (pl__sys.fstat (fd, &st) != 0)
    return pl__from_errno (errno, -1);
  if (!grow_buckets ())
    {
      pl__set_os_error (ENOMEM);
      return PL_ENOMEM;
    }
  p->dev = st.st_dev;
  p->ino = st.st_ino;
  unresolved = NULL;
  hash_insert (p);
  return 0;
}

/* The inode FD refers to, if the table knows it; *OUT NULL if not.  For
   a descriptor the table does not know, that takes an fstat() unless the
   table is empty.  fstat() does not block, so it is done under the
   mutex.  */
static int
find_for_fd (int fd, struct inode **out)
{
  *out = inode_of_fd (fd);
  if (*out || (ninodes == 0 && unresolved == NULL))
    return 0;
  struct stat st;
  if (pl__sys.fstat (fd, &st) != 0)
    return pl__from_errno (errno, -1);
  int r = resolve_pending_inode ();
  if (r != 0)
    return r;
  *out = find_inode (st.st_dev, st.st_ino);
  return 0;
}

/* The inode FD refers to, created if needed.  */
static int
lookup (int fd, struct inode **out)
{
  struct inode *p = inode_of_fd (fd);
  if (p == NULL && ninodes == 0 && unresolved == NULL)
    {
      /* The only file in the table: no need to know which it is yet.
         Check FD, cheaply, since fstat() will not.  */
      p = new_inode ();
      if (p == NULL)
        {
          pl__set_os_error (ENOMEM);
          return PL_ENOMEM;
        }
      unresolved = p;
    }
  else if (p == NULL)
    {
      struct stat st;
      if (pl__sys.fstat (fd, &st) != 0)
        return pl__from_errno (errno, -1);
      int r = resolve_pending_inode ();
      if (r != 0)
        return r;
      p = find_inode (st.st_dev, st.st_ino);
      if (p == NULL && (p = add_inode (st.st_dev, st.st_ino)) == NULL)
        {
          pl__set_os_error (ENOMEM);
          return PL_ENOMEM;
        }
    }
  *out = p;
  return 0;
}

static void
range_bounds (const struct pl__range *range, int64_t *start, int64_t *end)
{
  *start = range ? range->start : 0;
  *end = range && range->len ? range->start + range->len : INFINITE;
}

/* Record FD's new lock, replacing what it held on the range (the kernel
   state already matches: it was set by the lock call itself).  */
static void
record (struct inode *p, int fd, enum pl__mode mode, int64_t start,
        int64_t end)
{
  for (size_t i = 0; i < p->nheld; i++)
    {
      struct held *h = &p->held[i];
      if (h->pending || !overlaps (h, start, end) || !same_owner (h->fd, fd))
        continue;
      if (cut_entry (p, i, start, end))
        i--;
    }
  p->held[p->nheld++] = (struct held) { .fd = fd, .mode = mode,
                                        .start = start, .end = end };
  by_fd[fd] = p;
}

/* Wait in the kernel, unlocked, holding a reservation that keeps other
   owners of this process off the range meanwhile.  */
static int
kernel_wait (struct inode *p, pl__kernel_set kset, int fd,
             enum pl__mode mode, int64_t start, int64_t end)
{
  p->held[p->nheld++] = (struct held) { .fd = fd, .mode = mode,
                                        .pending = true,
                                        .start = start, .end = end };
  by_fd[fd] = p;
  p->waiters++;                 /* keeps P alive while unlocked */
  pthread_mutex_unlock (&table_mutex);

  int r = kset (fd, mode, true, start, end == INFINITE ? 0 : end - start);

  pthread_mutex_lock (&table_mutex);
  p->waiters--;
  for (size_t i = 0; i < p->nheld; i++)
    if (p->held[i].fd == fd && p->held[i].pending)
      {
        remove_entry (p, i);
        break;
      }
  if (r == 0)
    record (p, fd, mode, start, end);
  else
    {
      /* Whatever the kernel did, leave no trace of the failed request.  */
      recompute (p, kset, fd, start, end);
      forget_fd_if_unused (p, fd);
    }
  pthread_cond_broadcast (&table_cond);
  return r;
}

static int
table_lock_locked (pl__kernel_set kset, int fd, enum pl__mode mode,
                   bool wait, int64_t start, int64_t end)
{
  struct inode *p = NULL;
  int r = lookup (fd, &p);
  if (r != 0)
    return r;
  /* Room for a split in release_own() and record(), plus one reservation
     or new entry: allocate before touching any state.  */
  r = reserve_fd_slot (fd);
  if (r == 0 && !reserve_held (p, 3))
    r = (pl__set_os_error (ENOMEM), PL_ENOMEM);
  if (r != 0)
    {
      release_inode_if_idle (p);
      return r;
    }

  for (;;)
    {
      if (conflicts (p, fd, mode, start, end))
        {
          /* Held by another descriptor of this process.  Release first,
             as for any conflict (the contract: a failed request leaves no
             lock on the range), then fail or wait for that owner.  */
          release_own (p, kset, fd, true, start, end);
          forget_fd_if_unused (p, fd);
          if (!wait)
            {
              release_inode_if_idle (p);
              pl__set_os_error (EWOULDBLOCK);
              return PL_EBUSY;
            }
          /* A waiter keeps P alive, perhaps with no entries left to
             fstat() later: resolve P while its holder's entry is here.  */
          if (!p->resolved && (r = resolve_pending_inode ()) != 0)
            {
              release_inode_if_idle (p);
              return r;
            }
          p->waiters++;
          pthread_cond_wait (&table_cond, &table_mutex);
          p->waiters--;
          if (!reserve_held (p, 3))
            {
              release_inode_if_idle (p);
              pl__set_os_error (ENOMEM);
              return PL_ENOMEM;
            }
          continue;
        }

      r = kset (fd, mode, false, start, end == INFINITE ? 0 : end - start);
      if (r == 0)
        {
          record (p, fd, mode, start, end);
          return 0;
        }
      if (r != PL_EBUSY)
        {
          release_inode_if_idle (p);
          return r;
        }
      /* Held by another process: release-then-acquire.  */
      release_own (p, kset, fd, true, start, end);
      forget_fd_if_unused (p, fd);
      if (!wait)
        {
          release_inode_if_idle (p);
          return PL_EBUSY;
        }
      r = kernel_wait (p, kset, fd, mode, start, end);
      release_inode_if_idle (p);
      return r;
    }
}

int
pl__table_lock (pl__kernel_set kset, int fd, enum pl__mode mode, bool wait,
                const struct pl__range *range)
{
  int64_t start, end;
  range_bounds (range, &start, &end);
  pthread_once (&atfork_once, install_atfork);
  pthread_mutex_lock (&table_mutex);
  int r = table_lock_locked (kset, fd, mode, wait, start, end);
  pthread_mutex_unlock (&table_mutex);
  return r;
}

int
pl__table_unlock (pl__kernel_set kset, int fd, const struct pl__range *range)
{
  int64_t start, end;
  range_bounds (range, &start, &end);
  pthread_mutex_lock (&table_mutex);
  /* FD may hold nothing itself but be a dup() of a descriptor that does:
     find the inode either way.  */
  struct inode *p;
  int r = find_for_fd (fd, &p);
  if (r != 0 || p == NULL)
    {
      /* The table knows nothing of this file.  Still tell the kernel
         (that also checks FD): nothing of ours can be dropped.  */
      if (r == 0)
        r = kernel_apply (kset, fd, PL__UNLOCK, start, end);
      pthread_mutex_unlock (&table_mutex);
      return r;
    }
  if (!reserve_held (p, 1))
    r = (pl__set_os_error (ENOMEM), PL_ENOMEM);
  else if (!owner_holds (p, fd, start, end))
    /* Nothing of FD's here in the table.  Perhaps an earlier unlock let
       go in the table and then failed in the kernel (ENOLCK: cutting a
       hole in the process's lock needs a lock record): bring the kernel
       back to what the other owners hold, so a retried unlock does
       release.  Otherwise a no-op for the kernel.  */
    r = recompute (p, kset, fd, start, end);
  else
    {
      r = release_own (p, kset, fd, true, start, end);
      forget_fd_if_unused (p, fd);
      if (p->waiters)
        pthread_cond_broadcast (&table_cond);
      release_inode_if_idle (p);
    }
  pthread_mutex_unlock (&table_mutex);
  return r;
}

/* Close FD on behalf of pl_close().  POSIX leaves a descriptor's state
   unspecified after close() fails with EINTR; Linux and the BSDs have
   closed it, so EINTR counts as closed (retrying could close another
   thread's new descriptor).  */
static int
close_fd (int fd)
{
  if (pl__sys.close (fd) != 0 && errno != EINTR)
    return pl__from_errno (errno, -1);
  return 0;
}

/* Keep FD open until the table is empty (see orphans).  If even that
   memory cannot be had, FD leaks: never close it early.  */
static void
orphan (int fd)
{
  if (norphans == orphans_cap)
    {
      size_t cap = orphans_cap ? 2 * orphans_cap : 4;
      int *o = realloc (orphans, cap * sizeof *o);
      if (o == NULL)
        return;
      orphans = o;
      orphans_cap = cap;
    }
  orphans[norphans++] = fd;
}

int
pl__table_close (pl__kernel_set kset, int fd)
{
  pthread_mutex_lock (&table_mutex);
  struct inode *p;
  /* If FD holds nothing, other descriptors of its file still may.  */
  int r = find_for_fd (fd, &p);
  if (r != 0)
    {
      /* fstat() failed: of FD, or of the descriptor that would tell
         the table's first file.  FD not open: nothing to do.  Else FD's
         file is unknown: orphan FD (pl_close(3): whatever the result,
         FD is the library's now), and report the error.  */
      if (r != PL_EBADF || fcntl (fd, F_GETFD) != -1)
        orphan (fd);
      pthread_mutex_unlock (&table_mutex);
      return r;
    }
  if (p == NULL)
    {
      pthread_mutex_unlock (&table_mutex);
      return close_fd (fd);
    }

  if (!reserve_held (p, 1))
    r = (pl__set_os_error (ENOMEM), PL_ENOMEM);
  else
    {
      release_own (p, kset, fd, false, 0, INFINITE);
      forget_fd_if_unused (p, fd);
      if (p->waiters)
        pthread_cond_broadcast (&table_cond);
    }
  if (r == 0 && (p->nheld > 0 || p->waiters > 0))
    {
      /* Others still lock this file: a real close() now would drop their
         locks.  Keep FD open until the inode is idle.  */
      if (p->nclosing == p->closing_cap)
        {
          size_t cap = p->closing_cap ? 2 * p->closing_cap : 4;
          int *c = realloc (p->closing, cap * sizeof *c);
          if (c == NULL)
            {
              pthread_mutex_unlock (&table_mutex);
              pl__set_os_error (ENOMEM);
              return PL_ENOMEM;
            }
          p->closing = c;
          p->closing_cap = cap;
        }
      p->closing[p->nclosing++] = fd;
      pthread_mutex_unlock (&table_mutex);
      return 0;
    }
  if (r == 0)
    release_inode_if_idle (p);
  pthread_mutex_unlock (&table_mutex);
  return r ? r : close_fd (fd);
}


/* ---- timed waits -------------------------------------------------------- */

/* Why not wait.c's generic loop (kernel_wait in a helper thread, then a
   non-blocking lock()): on a per-process primitive the helper's
   F_SETLKW would be granted against the PROCESS, over ranges other
   descriptors of this process hold.  A shared request could turn their
   exclusive lock into a shared one, and another process could slip in
   before the table put it back.  So here the wait in the kernel happens
   only while a reservation in the table keeps every other owner of this
   process off the range, exactly as in the untimed blocking path; waits
   for an owner inside this process are on the table's condition
   variable, with the deadline.  Then one final non-blocking attempt under
   the mutex decides, as in wait.c: success means the lock is held (the
   helper got it just before it was cancelled, or it came free), "held"
   means it is not.  */

#define BACKOFF_START 50e-6
#define BACKOFF_CAP 10e-3

static int
timed_locked (pl__kernel_set kset, pl__kernel_wait_fn kwait, int fd,
              enum pl__mode mode, const struct pl__range *range,
              const struct timespec *deadline)
{
  int64_t start, end;
  range_bounds (range, &start, &end);
  struct inode *p;
  int r = lookup (fd, &p);
  if (r != 0)
    return r;
  double backoff = BACKOFF_START;
  for (;;)
    {
      if ((r = reserve_fd_slot (fd)) != 0)
        break;
      if (!reserve_held (p, 3))
        {
          r = (pl__set_os_error (ENOMEM), PL_ENOMEM);
          break;
        }
      if (conflicts (p, fd, mode, start, end))
        {
          release_own (p, kset, fd, true, start, end);
          if (pl__passed (deadline))
            {
              r = (pl__set_os_error (ETIMEDOUT), PL_ETIMEDOUT);
              break;
            }
          if (!p->resolved && (r = resolve_pending_inode ()) != 0)
            break;
          p->waiters++;
          pl__cond_wait_until (&table_cond, &table_mutex, deadline);
          p->waiters--;
          continue;
        }
      r = kset (fd, mode, false, start, end == INFINITE ? 0 : end - start);
      if (r == 0)
        {
          record (p, fd, mode, start, end);
          break;
        }
      if (r != PL_EBUSY)
        break;
      release_own (p, kset, fd, true, start, end);      /* release first */
      if (pl__passed (deadline))
        {
          r = (pl__set_os_error (ETIMEDOUT), PL_ETIMEDOUT);
          break;
        }

      /* Held by another process: wait in the kernel with a reservation
         (room for it was reserved above).  */
      p->held[p->nheld++] = (struct held) { .fd = fd, .mode = mode,
                                            .pending = true,
                                            .start = start, .end = end };
      by_fd[fd] = p;
      p->waiters++;
      pthread_mutex_unlock (&table_mutex);
      int kr = 0;
      enum pl__wait_outcome out
        = kwait ? pl__wait_call (kwait, fd, mode, range, deadline, &kr)
                : PL__WAIT_NO_HELPER;
      if (out == PL__WAIT_NO_HELPER)
        {
          pl__sleep_until (deadline, backoff);
          backoff = backoff * 2 < BACKOFF_CAP ? backoff * 2 : BACKOFF_CAP;
        }
      pthread_mutex_lock (&table_mutex);
      p->waiters--;
      for (size_t i = 0; i < p->nheld; i++)
        if (p->held[i].fd == fd && p->held[i].pending)
          {
            remove_entry (p, i);
            break;
          }
      pthread_cond_broadcast (&table_cond);
      if (out == PL__WAIT_FINISHED && kr < 0)
        {
          /* The kernel refused (EDEADLK, ENOLCK...): leave no trace.  */
          recompute (p, kset, fd, start, end);
          r = pl__from_errno (-kr, fd);
          break;
        }
      /* Granted, deadline, or a poll: the next turn's non-blocking
         attempt decides.  */
    }
  forget_fd_if_unused (p, fd);
  release_inode_if_idle (p);
  return r;
}

int
pl__table_lock_timed (pl__kernel_set kset, pl__kernel_wait_fn kwait, int fd,
                      enum pl__mode mode, const struct pl__range *range,
                      double timeout)
{
  struct timespec deadline;
  pl__deadline (&deadline, timeout);
  pthread_once (&atfork_once, install_atfork);
  /* The condition wait is a cancellation point; being cancelled there
     would leave the mutex locked (as in wait.c: not cancellable).  */
  int old_state;
  pthread_setcancelstate (PTHREAD_CANCEL_DISABLE, &old_state);
  pthread_mutex_lock (&table_mutex);
  int r = timed_locked (kset, kwait, fd, mode, range, &deadline);
  pthread_mutex_unlock (&table_mutex);
  pthread_setcancelstate (old_state, &old_state);
  return r;
}
#endif /* PL_HAVE_POSIX */
