/* testutil-win32.c - tests/testutil.h for Windows (mingw, run under wine
   in cross builds).
   Copyright (C) 2026 The portalock authors.

   This program is free software: you can redistribute it and/or modify
   it under the terms of the GNU General Public License as published by
   the Free Software Foundation; either version 3 of the License, or (at
   your option) any later version.  See COPYING.

   "Close-on-exec" is _O_NOINHERIT here, and a non-inheritable HANDLE:
   a HANDLE inherited by a helper would keep the file object, and so the
   locks taken through it, alive (see proc-win32.c).  */

#include <config.h>

#include "testutil.h"

#define WIN32_LEAN_AND_MEAN
#include <windows.h>
#include <errno.h>
#include <fcntl.h>
#include <io.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define OPEN_FLAGS (_O_BINARY | _O_NOINHERIT)

int
test_file (char *buf, size_t size, const char *tag)
{
  static unsigned counter;
  int n = snprintf (buf, size, "t-%s-%lu-%u.tmp", tag,
                    (unsigned long) GetCurrentProcessId (), counter++);
  if (n < 0 || (size_t) n >= size)
    return -1;
  int fd = _open (buf, _O_RDWR | _O_CREAT | _O_TRUNC | OPEN_FLAGS,
                  _S_IREAD | _S_IWRITE);
  if (fd < 0)
    {
      fprintf (stderr, "test_file: %s: %s\n", buf, strerror (errno));
      return -1;
    }
  _close (fd);
  return 0;
}

int
test_open (const char *path)
{
  return _open (path, _O_RDWR | _O_CREAT | OPEN_FLAGS, _S_IREAD | _S_IWRITE);
}

int
test_open_rdonly (const char *path)
{
  return _open (path, _O_RDONLY | OPEN_FLAGS);
}

int
test_open_wronly (const char *path)
{
  return _open (path, _O_WRONLY | OPEN_FLAGS);
}

/* msvcrt's _dup makes an inheritable HANDLE: take that back.  */
int
test_dup (int fd)
{
  int d = _dup (fd);
  if (d >= 0)
    SetHandleInformation ((HANDLE) _get_osfhandle (d), HANDLE_FLAG_INHERIT,
                          0);
  return d;
}

/* The CRT cannot _open a directory (EACCES); CreateFile can, with
   FILE_FLAG_BACKUP_SEMANTICS, and _open_osfhandle makes it a descriptor
   that the library then has to refuse.  */
int
test_open_dir (const char *path)
{
  HANDLE h = CreateFileA (path, GENERIC_READ,
                          FILE_SHARE_READ | FILE_SHARE_WRITE
                          | FILE_SHARE_DELETE, NULL, OPEN_EXISTING,
                          FILE_FLAG_BACKUP_SEMANTICS, NULL);
  if (h == INVALID_HANDLE_VALUE)
    return -1;
  int fd = _open_osfhandle ((intptr_t) h, _O_RDONLY);
  if (fd < 0)
    CloseHandle (h);
  return fd;
}

/* _putenv updates the CRT's copy and the process environment that
   CreateProcess hands to children.  */
void
test_setenv (const char *name, const char *value)
{
  size_t n = strlen (name) + (value ? strlen (value) : 0) + 2;
  char *s = malloc (n);
  if (s == NULL)
    return;
  snprintf (s, n, "%s=%s", name, value ? value : "");
  _putenv (s);                  /* "NAME=" removes NAME */
  SetEnvironmentVariableA (name, value);
  /* msvcrt keeps S in its environment: not freed.  */
}

/* Windows 10's CompareObjectHandles tells whether two HANDLEs are one
   object; where it is missing (older Windows, wine 8): false.  Only the
   emulated backends ask, and Windows has none.  */
bool
test_kernel_knows_duplicates (int fd, int dup)
{
  typedef BOOL (WINAPI *compare_fn) (HANDLE, HANDLE);
  HMODULE k = GetModuleHandleA ("kernelbase.dll");
  compare_fn compare
    = k ? (compare_fn) (void (*) (void)) GetProcAddress (k,
                                                         "CompareObjectHandles")
        : NULL;
  return compare && compare ((HANDLE) _get_osfhandle (fd),
                             (HANDLE) _get_osfhandle (dup));
}

void
test_close_raw (int fd)
{
  _close (fd);
}

/* Windows could cap the process with a job object's memory limit, but
   wine does not enforce one, and the win32 backend keeps no state per
   descriptor: nothing to guard against here.  */
void
test_limit_memory_growth (size_t bytes)
{
  (void) bytes;
}

void
test_remove (const char *path)
{
  DeleteFileA (path);
}

int
test_closed_fd (void)
{
  int fd = _open ("NUL", _O_RDONLY | OPEN_FLAGS);
  if (fd >= 0)
    _close (fd);
  return fd;
}

/* msvcrt's _get_osfhandle answers -1 (EBADF) for a descriptor that is
   not open; it has no invalid-parameter abort (the UCRT would).  */
int
test_count_fds (void)
{
  int n = 0;
  for (int fd = 0; fd < 2048; fd++)
    if (_get_osfhandle (fd) != -1)
      n++;
  return n;
}

/* A thread that ends the process unless disarmed in time.  */
static HANDLE watchdog_thread, watchdog_disarm;
static char watchdog_msg[256];
static DWORD watchdog_ms;

static DWORD WINAPI
watchdog (void *arg)
{
  (void) arg;
  if (WaitForSingleObject (watchdog_disarm, watchdog_ms) == WAIT_TIMEOUT)
    {
      fputs (watchdog_msg, stderr);
      fflush (stderr);
      TerminateProcess (GetCurrentProcess (), 99);
    }
  return 0;
}

void
test_watchdog (unsigned seconds, const char *what)
{
  if (watchdog_thread)
    {
      SetEvent (watchdog_disarm);
      WaitForSingleObject (watchdog_thread, INFINITE);
      CloseHandle (watchdog_thread);
      CloseHandle (watchdog_disarm);
      watchdog_thread = watchdog_disarm = NULL;
    }
  if (seconds == 0)
    return;
  snprintf (watchdog_msg, sizeof watchdog_msg,
            "watchdog: %s did not return within %u s\n",
            what ? what : "the test", seconds);
  watchdog_ms = seconds * 1000;
  watchdog_disarm = CreateEventW (NULL, TRUE, FALSE, NULL);
  if (watchdog_disarm)
    watchdog_thread = CreateThread (NULL, 0, watchdog, NULL, 0, NULL);
}

bool
test_os_error_is_busy (int os_error)
{
  return os_error == ERROR_LOCK_VIOLATION;
}

int
test_os_ebadf (void)
{
  return ERROR_INVALID_HANDLE;
}

/* The clock lib/wait.c runs on: clock_gettime (CLOCK_MONOTONIC), which
   mingw-w64 has from winpthreads (QueryPerformanceCounter).  */
long long
test_now_ns (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

struct test_thread
{
  HANDLE handle;
  void *(*fn) (void *);
  void *arg;
  void *result;
};

static DWORD WINAPI
thread_main (void *p)
{
  struct test_thread *t = p;
  t->result = t->fn (t->arg);
  return 0;
}

struct test_thread *
test_thread_start (void *(*fn) (void *), void *arg)
{
  struct test_thread *t = calloc (1, sizeof *t);
  if (t == NULL)
    return NULL;
  t->fn = fn;
  t->arg = arg;
  t->handle = CreateThread (NULL, 0, thread_main, t, 0, NULL);
  if (t->handle == NULL)
    {
      fprintf (stderr, "CreateThread: error %lu\n",
               (unsigned long) GetLastError ());
      free (t);
      return NULL;
    }
  return t;
}

void *
test_thread_join (struct test_thread *t)
{
  if (t == NULL)
    return NULL;
  WaitForSingleObject (t->handle, INFINITE);
  CloseHandle (t->handle);
  void *result = t->result;
  free (t);
  return result;
}

void
test_yield (void)
{
  SwitchToThread ();
}

/* pread/pwrite: ReadFile/WriteFile at an explicit offset.  */
static bool
io_at (int fd, bool write, void *data, size_t len, long offset)
{
  HANDLE h = (HANDLE) _get_osfhandle (fd);
  if (h == INVALID_HANDLE_VALUE)
    return false;
  OVERLAPPED ov = { .Offset = (DWORD) offset };
  DWORD done = 0;
  BOOL ok = write ? WriteFile (h, data, (DWORD) len, &done, &ov)
                  : ReadFile (h, data, (DWORD) len, &done, &ov);
  return ok && done == len;
}

bool
test_pwrite (int fd, const void *data, size_t len, long offset)
{
  return io_at (fd, true, (void *) data, len, offset);
}

bool
test_pread (int fd, void *data, size_t len, long offset)
{
  return io_at (fd, false, data, len, offset);
}
