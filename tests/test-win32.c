/* test-win32.c - what is particular to the win32 backend: advisory
   whole-file locks over mandatory LockFileEx, mandatory byte ranges,
   TerminateProcess, lock stacking, overlapped HANDLEs.
   Copyright (C) 2026 The portalock authors.

   This program is free software: you can redistribute it and/or modify
   it under the terms of the GNU General Public License as published by
   the Free Software Foundation; either version 3 of the License, or (at
   your option) any later version.  See COPYING.

   The second lock owner is a real second process: this program itself,
   started with CreateProcess as "test-win32 helper COMMAND ..." (see
   helper_main below), its standard input and output being pipes.

   Every file is opened with _O_NOINHERIT.  Trap: a HANDLE inherited by a
   child keeps the file object alive, and LockFileEx locks go only when
   the last HANDLE of the file object closes, so an inherited HANDLE
   would keep this process's locks alive in the helper.  */

#include <config.h>

#define WIN32_LEAN_AND_MEAN
#include <windows.h>
#include <errno.h>
#include <fcntl.h>
#include <io.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <check.h>

#include "portalock.h"

/* ------------------------------------------------------------------ */
/* Files.  */

static char path[MAX_PATH];

static void
make_file (const char *tag)
{
  static unsigned counter;
  snprintf (path, sizeof path, "t-win32-%s-%lu-%u.tmp", tag,
            (unsigned long) GetCurrentProcessId (), counter++);
  int fd = _open (path, _O_RDWR | _O_CREAT | _O_TRUNC | _O_BINARY
                  | _O_NOINHERIT, _S_IREAD | _S_IWRITE);
  ck_assert_msg (fd >= 0, "cannot create %s: %s", path, strerror (errno));
  static const char data[64] = "0123456789abcdefghijklmnopqrstuvwxyz";
  ck_assert_int_eq (_write (fd, data, sizeof data), sizeof data);
  _close (fd);
}

static int
open_file (void)
{
  int fd = _open (path, _O_RDWR | _O_BINARY | _O_NOINHERIT);
  ck_assert_msg (fd >= 0, "cannot open %s: %s", path, strerror (errno));
  return fd;
}

static void
remove_file (void)
{
  DeleteFileA (path);
}

/* ReadFile / WriteFile at OFFSET through FD's HANDLE (pread, pwrite):
   0 or the GetLastError() value.  */
static DWORD
io_at (int fd, bool write, long offset, size_t len)
{
  char buf[64] = "written by test-win32";
  HANDLE h = (HANDLE) _get_osfhandle (fd);
  OVERLAPPED ov = { .Offset = (DWORD) offset };
  DWORD done = 0;
  BOOL ok = write ? WriteFile (h, buf, (DWORD) len, &done, &ov)
                  : ReadFile (h, buf, (DWORD) len, &done, &ov);
  if (!ok)
    return GetLastError ();
  return done == len ? 0 : ERROR_HANDLE_EOF;
}

/* ------------------------------------------------------------------ */
/* The helper process.  */

struct child
{
  HANDLE process;
  HANDLE in;                    /* its standard input, our end */
  HANDLE out;                   /* its standard output, our end */
};

static void
append_arg (char *cmd, size_t size, const char *arg)
{
  /* The arguments here never hold quotes or backslashes before quotes,
     so plain quoting is enough for the CRT's command-line parser.  */
  size_t n = strlen (cmd);
  snprintf (cmd + n, size - n, "%s\"%s\"", n ? " " : "", arg);
}

/* Start "this-program helper ARGS..." (NULL-terminated).  */
static struct child
spawn (const char *arg, ...)
{
  char self[MAX_PATH], cmd[4 * MAX_PATH] = "";
  DWORD n = GetModuleFileNameA (NULL, self, sizeof self);
  ck_assert (n > 0 && n < sizeof self);
  append_arg (cmd, sizeof cmd, self);
  append_arg (cmd, sizeof cmd, "helper");
  va_list ap;
  va_start (ap, arg);
  for (const char *a = arg; a; a = va_arg (ap, const char *))
    append_arg (cmd, sizeof cmd, a);
  va_end (ap);

  SECURITY_ATTRIBUTES sa = { .nLength = sizeof sa, .bInheritHandle = TRUE };
  HANDLE in_r, in_w, out_r, out_w;
  ck_assert (CreatePipe (&in_r, &in_w, &sa, 0));
  ck_assert (CreatePipe (&out_r, &out_w, &sa, 0));
  SetHandleInformation (in_w, HANDLE_FLAG_INHERIT, 0);
  SetHandleInformation (out_r, HANDLE_FLAG_INHERIT, 0);

  STARTUPINFOA si = {
    .cb = sizeof si,
    .dwFlags = STARTF_USESTDHANDLES,
    .hStdInput = in_r,
    .hStdOutput = out_w,
    .hStdError = GetStdHandle (STD_ERROR_HANDLE),
  };
  PROCESS_INFORMATION pi;
  BOOL ok = CreateProcessA (self, cmd, NULL, NULL, TRUE, 0, NULL, NULL,
                            &si, &pi);
  DWORD err = GetLastError ();
  CloseHandle (in_r);
  CloseHandle (out_w);
  ck_assert_msg (ok, "CreateProcess %s: error %lu", cmd, (unsigned long) err);
  CloseHandle (pi.hThread);
  return (struct child) { .process = pi.hProcess, .in = in_w, .out = out_r };
}

/* One line from the child, without its newline; "" at end of file.  */
static const char *
child_line (struct child *c)
{
  static char line[128];
  size_t n = 0;
  char ch;
  DWORD got;
  while (n < sizeof line - 1 && ReadFile (c->out, &ch, 1, &got, NULL)
         && got == 1 && ch != '\n')
    if (ch != '\r')
      line[n++] = ch;
  line[n] = '\0';
  return line;
}

/* Close its input (the helper takes that as "release and exit") and
   wait for its exit code.  */
static DWORD
child_wait (struct child *c)
{
  if (c->in)
    CloseHandle (c->in);
  c->in = NULL;
  DWORD code = 1000;
  ck_assert (WaitForSingleObject (c->process, INFINITE) == WAIT_OBJECT_0);
  ck_assert (GetExitCodeProcess (c->process, &code));
  CloseHandle (c->process);
  CloseHandle (c->out);
  return code;
}

/* Run a helper command to its end: its exit code.  */
static DWORD
helper (const char *arg, ...)
{
  const char *a[8];
  size_t n = 0;
  va_list ap;
  va_start (ap, arg);
  for (const char *s = arg; s && n < 7; s = va_arg (ap, const char *))
    a[n++] = s;
  va_end (ap);
  a[n] = NULL;
  struct child c = spawn (a[0], a[1], a[2], a[3], a[4], a[5], a[6], NULL);
  return child_wait (&c);
}

/* Start a helper that holds a lock, and wait until it does.  */
static struct child
holder (const char *mode, const char *start, const char *len)
{
  struct child c = start ? spawn ("hold", path, mode, start, len, NULL)
                         : spawn ("hold", path, mode, NULL);
  ck_assert_str_eq (child_line (&c), "waiting");
  ck_assert_str_eq (child_line (&c), "held");
  return c;
}

/* Let the helper go (close its input) from another thread, while this
   one sleeps in a blocking lock.  */
static DWORD WINAPI
release_thread (void *in)
{
  CloseHandle (in);
  return 0;
}

static HANDLE
release_later (struct child *c)
{
  HANDLE t = CreateThread (NULL, 0, release_thread, c->in, 0, NULL);
  ck_assert (t != NULL);
  c->in = NULL;
  return t;
}

/* The same, MS milliseconds from now.  */
struct delayed_release
{
  HANDLE in;
  DWORD ms;
};

static DWORD WINAPI
delayed_release_thread (void *arg)
{
  struct delayed_release *d = arg;
  Sleep (d->ms);
  CloseHandle (d->in);
  free (d);
  return 0;
}

static HANDLE
release_after (struct child *c, DWORD ms)
{
  struct delayed_release *d = malloc (sizeof *d);
  ck_assert (d != NULL);
  d->in = c->in;
  d->ms = ms;
  HANDLE t = CreateThread (NULL, 0, delayed_release_thread, d, 0, NULL);
  ck_assert (t != NULL);
  c->in = NULL;
  return t;
}

/* Seconds on the performance counter (monotonic).  */
static double
now (void)
{
  LARGE_INTEGER f, c;
  QueryPerformanceFrequency (&f);
  QueryPerformanceCounter (&c);
  return (double) c.QuadPart / (double) f.QuadPart;
}

enum { H_OK = 0, H_BUSY = 1, H_ERROR = 2, H_USAGE = 3 };

static int
helper_mode (const char *s)
{
  if (strcmp (s, "sh") == 0)
    return PL_LOCK_SH;
  if (strcmp (s, "ex") == 0)
    return PL_LOCK_EX;
  return -1;
}

static int
helper_lock (int fd, int flags, int argc, char **argv)
{
  if (argc >= 2)
    return pl_lock_range (fd, flags, _atoi64 (argv[0]), _atoi64 (argv[1]));
  return pl_lock (fd, flags);
}

/* The helper: "hold PATH MODE [START LEN]" (print "waiting", lock, print
   "held", wait for the end of input, exit 0); "try PATH MODE [START LEN]"
   (lock without sleeping: exit 0 acquired, 1 busy, 2 error); "rw PATH"
   (write and read back 16 bytes at offset 8 through its own open).  */
static int
helper_main (int argc, char **argv)
{
  _setmode (_fileno (stdout), _O_BINARY);
  if (argc < 2)
    return H_USAGE;
  const char *cmd = argv[0];
  if (strcmp (cmd, "inherited") == 0)
    {
      /* "inherited HANDLE": try an exclusive lock through a HANDLE this
         process inherited, say how it went, wait for the end of input.  */
      intptr_t h = (intptr_t) _strtoui64 (argv[1], NULL, 10);
      int ifd = _open_osfhandle (h, _O_RDWR | _O_BINARY);
      int rc = ifd < 0 ? PL_EBADF : pl_lock (ifd, PL_LOCK_EX | PL_LOCK_NB);
      printf ("%s\n", rc == 0 ? "ok" : pl_strerror_name (rc));
      fflush (stdout);
      char line[16];
      while (fgets (line, sizeof line, stdin))
        continue;
      return H_OK;
    }
  int fd = _open (argv[1], _O_RDWR | _O_BINARY | _O_NOINHERIT);
  if (fd < 0)
    {
      perror (argv[1]);
      return H_ERROR;
    }
  if (strcmp (cmd, "rw") == 0)
    return io_at (fd, true, 8, 16) == 0 && io_at (fd, false, 8, 16) == 0
           ? H_OK : H_ERROR;
  if (argc < 3 || helper_mode (argv[2]) < 0)
    return H_USAGE;
  int flags = helper_mode (argv[2]);
  if (strcmp (cmd, "try") == 0)
    {
      int rc = helper_lock (fd, flags | PL_LOCK_NB, argc - 3, argv + 3);
      if (rc == 0)
        return H_OK;
      if (rc == PL_EBUSY)
        return H_BUSY;
      fprintf (stderr, "helper: %s\n", pl_strerror_name (rc));
      return H_ERROR;
    }
  if (strcmp (cmd, "hold") == 0)
    {
      printf ("waiting\n");
      fflush (stdout);
      int rc = helper_lock (fd, flags, argc - 3, argv + 3);
      if (rc != 0)
        {
          fprintf (stderr, "helper: %s\n", pl_strerror_name (rc));
          return H_ERROR;
        }
      printf ("held\n");
      fflush (stdout);
      char line[16];
      while (fgets (line, sizeof line, stdin))
        continue;
      return H_OK;
    }
  return H_USAGE;
}

/* ------------------------------------------------------------------ */
/* Tests.  */

START_TEST (test_backend_is_win32)
{
  ck_assert_str_eq (pl_backend (), "win32");
  ck_assert_str_eq (pl_range_backend (), "win32");
  ck_assert_int_eq (pl_backend_features ("win32"),
                    PL_FEATURE_SHARED | PL_FEATURE_RANGE);
  ck_assert_int_eq (pl_set_backend ("flock"), PL_ENOBACKEND);
  ck_assert_int_eq (pl_set_backend ("win32"), 0);
}
END_TEST

/* Rule 6: a whole-file lock never blocks I/O, through any handle.  */
START_TEST (test_whole_file_is_advisory)
{
  make_file ("advisory");
  int fd1 = open_file (), fd2 = open_file ();
  for (int i = 0; i < 2; i++)
    {
      ck_assert_int_eq (pl_lock (fd1, i ? PL_LOCK_SH : PL_LOCK_EX), 0);
      ck_assert_int_eq (io_at (fd2, false, 0, 64), 0);
      ck_assert_int_eq (io_at (fd2, true, 0, 64), 0);
      ck_assert_int_eq (io_at (fd1, false, 0, 64), 0);
      ck_assert_int_eq (io_at (fd1, true, 0, 64), 0);
      /* Past the end too: the file may grow under a whole-file lock.  */
      ck_assert_int_eq (io_at (fd2, true, 4096, 64), 0);
      /* ... and the lock is really there.  */
      ck_assert_int_eq (pl_lock (fd2, PL_LOCK_EX | PL_LOCK_NB), PL_EBUSY);
      ck_assert_int_eq (helper ("rw", path, NULL), H_OK);
      ck_assert_int_eq (helper ("try", path, "ex", NULL), H_BUSY);
    }
  ck_assert_int_eq (pl_unlock (fd1), 0);
  ck_assert_int_eq (helper ("try", path, "ex", NULL), H_OK);
  pl_close (fd1);
  pl_close (fd2);
  remove_file ();
}
END_TEST

/* Wine does not enforce LockFileEx locks on ReadFile / WriteFile at all
   (8.0: the data of a locked range is readable and writable through any
   HANDLE), so the I/O half of the next test can only run on Windows.  */
static bool
on_wine (void)
{
  HMODULE ntdll = GetModuleHandleA ("ntdll.dll");
  return ntdll && GetProcAddress (ntdll, "wine_get_version");
}

/* Byte ranges are mandatory on Windows: documented, and checked.  */
START_TEST (test_range_is_mandatory)
{
  make_file ("mandatory");
  int fd1 = open_file (), fd2 = open_file ();

  ck_assert_int_eq (pl_lock_range (fd1, PL_LOCK_EX, 0, 16), 0);
  ck_assert_int_eq (pl_lock_range (fd2, PL_LOCK_SH | PL_LOCK_NB, 15, 1),
                    PL_EBUSY);
  ck_assert_int_eq (pl_lock_range (fd2, PL_LOCK_EX | PL_LOCK_NB, 16, 1), 0);
  ck_assert_int_eq (pl_unlock_range (fd2, 16, 1), 0);
  if (on_wine ())
    {
      printf ("# wine does not enforce mandatory locks on I/O: the I/O "
              "checks of test_range_is_mandatory need Windows\n");
      pl_close (fd1);
      pl_close (fd2);
      remove_file ();
      return;
    }
  ck_assert_int_eq (io_at (fd2, false, 0, 8), ERROR_LOCK_VIOLATION);
  ck_assert_int_eq (io_at (fd2, true, 8, 8), ERROR_LOCK_VIOLATION);
  ck_assert_int_eq (io_at (fd2, false, 32, 8), 0);      /* outside */
  ck_assert_int_eq (io_at (fd2, true, 32, 8), 0);
  ck_assert_int_eq (io_at (fd1, true, 0, 8), 0);        /* the holder */
  ck_assert_int_eq (helper ("rw", path, NULL), H_ERROR);        /* 8..24 */

  /* Shared: others read, nobody writes (not even the holder).  */
  ck_assert_int_eq (pl_lock_range (fd1, PL_LOCK_SH, 0, 16), 0);
  ck_assert_int_eq (io_at (fd2, false, 0, 8), 0);
  ck_assert_int_eq (io_at (fd2, true, 0, 8), ERROR_LOCK_VIOLATION);
  ck_assert_int_eq (io_at (fd1, true, 0, 8), ERROR_LOCK_VIOLATION);

  ck_assert_int_eq (pl_unlock_range (fd1, 0, 16), 0);
  ck_assert_int_eq (io_at (fd2, true, 0, 8), 0);
  ck_assert_int_eq (helper ("rw", path, NULL), H_OK);
  pl_close (fd1);
  pl_close (fd2);
  remove_file ();
}
END_TEST

/* Rule 8: a holder killed with TerminateProcess leaves no lock behind;
   a waiter gets it with no clean-up by hand.  */
START_TEST (test_terminate_frees_locks)
{
  make_file ("terminate");
  int fd = open_file (), fd2 = open_file ();
  struct child whole = holder ("ex", NULL, NULL);
  ck_assert_int_eq (pl_lock (fd, PL_LOCK_EX | PL_LOCK_NB), PL_EBUSY);
  ck_assert (TerminateProcess (whole.process, 9));
  ck_assert_int_eq (child_wait (&whole), 9);
  /* Blocking: if the lock were never freed, the tcase would time out.  */
  ck_assert_int_eq (pl_lock (fd, PL_LOCK_EX), 0);
  ck_assert_int_eq (pl_unlock (fd), 0);

  struct child range = holder ("ex", "10", "5");
  ck_assert_int_eq (pl_lock_range (fd2, PL_LOCK_SH | PL_LOCK_NB, 12, 1),
                    PL_EBUSY);
  ck_assert (TerminateProcess (range.process, 9));
  ck_assert_int_eq (child_wait (&range), 9);
  /* The data is free again too (the range lock was mandatory).  */
  ck_assert_int_eq (io_at (fd, true, 10, 5), 0);
  ck_assert_int_eq (pl_lock_range (fd2, PL_LOCK_EX, 10, 5), 0);
  pl_close (fd);
  pl_close (fd2);
  remove_file ();
}
END_TEST

/* Rule 3 between two processes: shared with shared, not with exclusive.  */
START_TEST (test_shared_exclusive_processes)
{
  make_file ("shex");
  int fd = open_file ();
  struct child c = holder ("sh", NULL, NULL);
  ck_assert_int_eq (pl_lock (fd, PL_LOCK_SH | PL_LOCK_NB), 0);
  ck_assert_int_eq (helper ("try", path, "sh", NULL), H_OK);
  ck_assert_int_eq (pl_lock (fd, PL_LOCK_EX | PL_LOCK_NB), PL_EBUSY);
  ck_assert_int_eq (child_wait (&c), H_OK);

  ck_assert_int_eq (pl_lock (fd, PL_LOCK_EX | PL_LOCK_NB), 0);
  ck_assert_int_eq (helper ("try", path, "sh", NULL), H_BUSY);
  ck_assert_int_eq (helper ("try", path, "ex", NULL), H_BUSY);
  ck_assert_int_eq (pl_lock (fd, PL_LOCK_SH | PL_LOCK_NB), 0);
  ck_assert_int_eq (helper ("try", path, "sh", NULL), H_OK);
  ck_assert_int_eq (helper ("try", path, "ex", NULL), H_BUSY);
  ck_assert_int_eq (pl_unlock (fd), 0);
  ck_assert_int_eq (helper ("try", path, "ex", NULL), H_OK);

  /* The same for a byte range.  */
  c = holder ("sh", "100", "10");
  ck_assert_int_eq (pl_lock_range (fd, PL_LOCK_SH | PL_LOCK_NB, 105, 10), 0);
  ck_assert_int_eq (pl_lock_range (fd, PL_LOCK_EX | PL_LOCK_NB, 105, 10),
                    PL_EBUSY);
  ck_assert_int_eq (pl_lock_range (fd, PL_LOCK_EX | PL_LOCK_NB, 110, 10), 0);
  ck_assert_int_eq (child_wait (&c), H_OK);
  ck_assert_int_eq (helper ("try", path, "sh", "115", "1", NULL), H_BUSY);
  ck_assert_int_eq (helper ("try", path, "sh", "100", "10", NULL), H_OK);
  pl_close (fd);
  remove_file ();
}
END_TEST

/* Rule 4: PL_EBUSY, with the raw ERROR_LOCK_VIOLATION behind it.  */
START_TEST (test_nonblocking_busy)
{
  make_file ("busy");
  int fd1 = open_file (), fd2 = open_file ();
  ck_assert_int_eq (pl_lock (fd1, PL_LOCK_EX), 0);
  ck_assert_int_eq (pl_lock (fd2, PL_LOCK_SH | PL_LOCK_NB), PL_EBUSY);
  ck_assert_int_eq (pl_os_error (), ERROR_LOCK_VIOLATION);
  ck_assert_int_eq (pl_lock (fd2, PL_LOCK_EX | PL_LOCK_NB), PL_EBUSY);
  ck_assert_int_eq (pl_lock_range (fd2, PL_LOCK_SH | PL_LOCK_NB, 0, 1),
                    PL_EBUSY);
  ck_assert_int_eq (pl_unlock (fd1), 0);
  ck_assert_int_eq (pl_lock_range (fd1, PL_LOCK_SH, 0, 0), 0);
  ck_assert_int_eq (pl_lock_range (fd2, PL_LOCK_EX | PL_LOCK_NB, 1000, 1),
                    PL_EBUSY);
  ck_assert_int_eq (pl_os_error (), ERROR_LOCK_VIOLATION);
  ck_assert_int_eq (pl_lock_range (fd2, PL_LOCK_SH | PL_LOCK_NB, 1000, 1), 0);
  pl_close (fd1);
  pl_close (fd2);
  remove_file ();
}
END_TEST

/* The contract: a conversion that fails leaves no lock at all (Windows
   alone would have kept the shared lock and stacked nothing).  */
START_TEST (test_failed_conversion_leaves_no_lock)
{
  make_file ("conversion");
  int fd1 = open_file (), fd2 = open_file ();
  ck_assert_int_eq (pl_lock (fd1, PL_LOCK_SH), 0);
  ck_assert_int_eq (pl_lock (fd2, PL_LOCK_SH), 0);
  ck_assert_int_eq (pl_lock (fd1, PL_LOCK_EX | PL_LOCK_NB), PL_EBUSY);
  ck_assert_int_eq (pl_unlock (fd2), 0);
  /* fd1 holds nothing now: another process gets the exclusive lock.  */
  ck_assert_int_eq (helper ("try", path, "ex", NULL), H_OK);

  ck_assert_int_eq (pl_lock_range (fd1, PL_LOCK_SH, 0, 10), 0);
  ck_assert_int_eq (pl_lock_range (fd2, PL_LOCK_SH, 0, 10), 0);
  ck_assert_int_eq (pl_lock_range (fd1, PL_LOCK_EX | PL_LOCK_NB, 0, 10),
                    PL_EBUSY);
  ck_assert_int_eq (pl_unlock_range (fd2, 0, 10), 0);
  ck_assert_int_eq (helper ("try", path, "ex", "0", "10", NULL), H_OK);
  /* And the range is readable and writable again: no stale lock.  */
  ck_assert_int_eq (io_at (fd2, true, 0, 10), 0);
  pl_close (fd1);
  pl_close (fd2);
  remove_file ();
}
END_TEST

/* LockFileEx locks stack; ours must not: converting or re-locking leaves
   one lock, and one unlock frees the file.  */
START_TEST (test_locks_do_not_stack)
{
  make_file ("stack");
  int fd1 = open_file (), fd2 = open_file ();
  ck_assert_int_eq (pl_lock (fd1, PL_LOCK_SH), 0);
  ck_assert_int_eq (pl_lock (fd1, PL_LOCK_SH), 0);
  ck_assert_int_eq (pl_lock (fd1, PL_LOCK_EX), 0);      /* converts */
  ck_assert_int_eq (pl_lock (fd1, PL_LOCK_EX | PL_LOCK_NB), 0);
  ck_assert_int_eq (pl_lock (fd1, PL_LOCK_SH), 0);      /* back */
  ck_assert_int_eq (pl_lock (fd2, PL_LOCK_SH | PL_LOCK_NB), 0);
  ck_assert_int_eq (pl_unlock (fd2), 0);
  ck_assert_int_eq (pl_unlock (fd1), 0);
  ck_assert_int_eq (pl_lock (fd2, PL_LOCK_EX | PL_LOCK_NB), 0);
  ck_assert_int_eq (pl_unlock (fd2), 0);

  ck_assert_int_eq (pl_lock_range (fd1, PL_LOCK_SH, 5, 5), 0);
  ck_assert_int_eq (pl_lock_range (fd1, PL_LOCK_SH, 5, 5), 0);
  ck_assert_int_eq (pl_lock_range (fd1, PL_LOCK_EX, 5, 5), 0);
  ck_assert_int_eq (pl_unlock_range (fd1, 5, 5), 0);
  ck_assert_int_eq (pl_lock_range (fd2, PL_LOCK_EX | PL_LOCK_NB, 5, 5), 0);
  /* Unlocking what is not locked is not an error.  */
  ck_assert_int_eq (pl_unlock (fd1), 0);
  ck_assert_int_eq (pl_unlock_range (fd1, 5, 5), 0);
  pl_close (fd1);
  pl_close (fd2);
  remove_file ();
}
END_TEST

/* Whole-file locks live in the mirror of every range, so they cover
   every range (as on the fcntl-based backends), and yet unlocking one
   never unlocks the other, although the mirror of "0 to the end" has
   nearly the same extent.  */
START_TEST (test_whole_covers_ranges)
{
  make_file ("cover");
  int fd1 = open_file (), fd2 = open_file ();
  ck_assert_int_eq (pl_lock_range (fd1, PL_LOCK_EX, 1000, 0), 0);
  ck_assert_int_eq (pl_lock (fd2, PL_LOCK_SH | PL_LOCK_NB), PL_EBUSY);
  ck_assert_int_eq (pl_lock_range (fd2, PL_LOCK_SH | PL_LOCK_NB,
                                   INT64_MAX, 0), PL_EBUSY);
  ck_assert_int_eq (pl_lock_range (fd2, PL_LOCK_EX | PL_LOCK_NB, 0, 1000), 0);
  ck_assert_int_eq (pl_unlock_range (fd2, 0, 1000), 0);
  ck_assert_int_eq (pl_unlock_range (fd1, 1000, 0), 0);

  ck_assert_int_eq (pl_lock (fd1, PL_LOCK_SH), 0);
  ck_assert_int_eq (pl_lock_range (fd1, PL_LOCK_SH, 0, 0), 0);
  ck_assert_int_eq (pl_unlock_range (fd1, 0, 0), 0);
  /* The whole-file lock is still there, and still covers the ranges.  */
  ck_assert_int_eq (pl_lock (fd2, PL_LOCK_EX | PL_LOCK_NB), PL_EBUSY);
  ck_assert_int_eq (pl_lock_range (fd2, PL_LOCK_EX | PL_LOCK_NB, 5, 1),
                    PL_EBUSY);
  ck_assert_int_eq (pl_lock_range (fd2, PL_LOCK_SH | PL_LOCK_NB, 5, 1), 0);
  ck_assert_int_eq (pl_unlock_range (fd2, 5, 1), 0);
  ck_assert_int_eq (pl_lock_range (fd1, PL_LOCK_SH, 0, 0), 0);
  ck_assert_int_eq (pl_unlock (fd1), 0);
  /* ... and the other way round.  */
  ck_assert_int_eq (pl_lock_range (fd2, PL_LOCK_EX | PL_LOCK_NB, 5, 1),
                    PL_EBUSY);
  ck_assert_int_eq (pl_unlock_range (fd1, 0, 0), 0);
  ck_assert_int_eq (pl_lock (fd2, PL_LOCK_EX | PL_LOCK_NB), 0);
  ck_assert_int_eq (pl_unlock (fd2), 0);

  /* Documented: through ONE descriptor an exclusive lock conflicts with
     any other lock of that descriptor it overlaps (Windows keeps them
     apart; nothing merges them).  */
  ck_assert_int_eq (pl_lock_range (fd1, PL_LOCK_EX, 0, 10), 0);
  ck_assert_int_eq (pl_lock (fd1, PL_LOCK_EX | PL_LOCK_NB), PL_EBUSY);
  ck_assert_int_eq (pl_lock_range (fd1, PL_LOCK_EX | PL_LOCK_NB, 5, 10),
                    PL_EBUSY);
  pl_close (fd1);
  pl_close (fd2);
  remove_file ();
}
END_TEST

/* Owner: a _dup() shares the lock (one file object); pl_close() of one
   descriptor keeps the lock for the other.  */
START_TEST (test_dup_shares_lock)
{
  make_file ("dup");
  int fd1 = open_file (), fd2 = open_file ();
  ck_assert_int_eq (pl_lock (fd1, PL_LOCK_EX), 0);
  int d = _dup (fd1);
  ck_assert_int_ge (d, 0);
  ck_assert_int_eq (pl_lock (d, PL_LOCK_EX | PL_LOCK_NB), 0);   /* same owner */
  ck_assert_int_eq (pl_close (fd1), 0);
  ck_assert_int_eq (pl_lock (fd2, PL_LOCK_EX | PL_LOCK_NB), PL_EBUSY);
  ck_assert_int_eq (pl_unlock (d), 0);
  ck_assert_int_eq (pl_lock (fd2, PL_LOCK_EX | PL_LOCK_NB), 0);
  ck_assert_int_eq (pl_lock (d, PL_LOCK_SH | PL_LOCK_NB), PL_EBUSY);
  ck_assert_int_eq (pl_close (fd2), 0);
  /* Closing the last HANDLE of the file object frees its locks.  */
  ck_assert_int_eq (pl_lock (d, PL_LOCK_EX | PL_LOCK_NB), 0);
  ck_assert_int_eq (pl_close (d), 0);
  ck_assert_int_eq (helper ("try", path, "ex", NULL), H_OK);
  remove_file ();
}
END_TEST

/* A child that inherits our HANDLE does not hold our lock (it belongs to
   the file object AND the process), yet its HANDLE keeps the file
   object, and so our lock, alive after we close ours.  Wine 8 ties the
   lock to the file object alone: there the child can take it over.  */
START_TEST (test_inherited_handle)
{
  make_file ("inherit");
  int fd = open_file ();
  ck_assert_int_eq (pl_lock (fd, PL_LOCK_EX), 0);
  HANDLE dup;
  ck_assert (DuplicateHandle (GetCurrentProcess (),
                              (HANDLE) _get_osfhandle (fd),
                              GetCurrentProcess (), &dup, 0, TRUE,
                              DUPLICATE_SAME_ACCESS));
  char num[32];
  snprintf (num, sizeof num, "%llu", (unsigned long long) (uintptr_t) dup);
  struct child c = spawn ("inherited", num, NULL);
  CloseHandle (dup);
  ck_assert_str_eq (child_line (&c), on_wine () ? "ok" : "PL_EBUSY");
  ck_assert_int_eq (pl_close (fd), 0);
  ck_assert_int_eq (helper ("try", path, "ex", NULL), H_BUSY);
  ck_assert_int_eq (child_wait (&c), H_OK);
  ck_assert_int_eq (helper ("try", path, "ex", NULL), H_OK);
  remove_file ();
}
END_TEST

/* A HANDLE opened with FILE_FLAG_OVERLAPPED makes LockFileEx pend
   (ERROR_IO_PENDING): the backend waits for it.  */
START_TEST (test_overlapped_handle)
{
  make_file ("overlapped");
  HANDLE h = CreateFileA (path, GENERIC_READ | GENERIC_WRITE,
                          FILE_SHARE_READ | FILE_SHARE_WRITE
                          | FILE_SHARE_DELETE, NULL, OPEN_EXISTING,
                          FILE_FLAG_OVERLAPPED, NULL);
  ck_assert (h != INVALID_HANDLE_VALUE);
  int fd = _open_osfhandle ((intptr_t) h, _O_RDWR | _O_BINARY);
  ck_assert_int_ge (fd, 0);

  ck_assert_int_eq (pl_lock (fd, PL_LOCK_EX | PL_LOCK_NB), 0);
  ck_assert_int_eq (helper ("try", path, "sh", NULL), H_BUSY);
  ck_assert_int_eq (pl_unlock (fd), 0);

  /* Blocking, held elsewhere: pends, and is granted when the holder
     exits.  The holder is told to go by a thread of ours, since this one
     sleeps in pl_lock.  */
  struct child c = holder ("ex", NULL, NULL);
  ck_assert_int_eq (pl_lock (fd, PL_LOCK_SH | PL_LOCK_NB), PL_EBUSY);
  HANDLE t = release_later (&c);
  ck_assert_int_eq (pl_lock (fd, PL_LOCK_SH), 0);
  WaitForSingleObject (t, INFINITE);
  CloseHandle (t);
  ck_assert_int_eq (child_wait (&c), H_OK);
  ck_assert_int_eq (helper ("try", path, "sh", NULL), H_OK);
  ck_assert_int_eq (helper ("try", path, "ex", NULL), H_BUSY);
  ck_assert_int_eq (pl_close (fd), 0);
  remove_file ();
}
END_TEST

/* A blocking request waits for another process's lock, then gets it.  */
START_TEST (test_blocking_wait)
{
  make_file ("blocking");
  int fd = open_file ();
  struct child c = holder ("ex", "0", "1");
  HANDLE t = release_later (&c);
  ck_assert_int_eq (pl_lock_range (fd, PL_LOCK_EX, 0, 1), 0);
  WaitForSingleObject (t, INFINITE);
  CloseHandle (t);
  ck_assert_int_eq (child_wait (&c), H_OK);
  ck_assert_int_eq (helper ("try", path, "sh", "0", "1", NULL), H_BUSY);
  pl_close (fd);
  remove_file ();
}
END_TEST

/* Rule 11 on Windows: a closed descriptor is PL_EBADF, with
   ERROR_INVALID_HANDLE behind it; nothing crashes.  */
START_TEST (test_bad_descriptor)
{
  make_file ("badfd");
  int fd = open_file ();
  ck_assert_int_eq (_close (fd), 0);
  ck_assert_int_eq (pl_lock (fd, PL_LOCK_EX), PL_EBADF);
  ck_assert_int_eq (pl_os_error (), ERROR_INVALID_HANDLE);
  ck_assert_int_eq (pl_unlock (fd), PL_EBADF);
  ck_assert_int_eq (pl_lock_range (fd, PL_LOCK_SH, 0, 1), PL_EBADF);
  ck_assert_int_eq (pl_unlock_range (fd, 0, 1), PL_EBADF);
  ck_assert_int_eq (pl_close (fd), PL_EBADF);
  ck_assert_int_eq (pl_lock (-1, PL_LOCK_EX), PL_EBADF);
  ck_assert_int_eq (pl_lock (4000, PL_LOCK_EX), PL_EBADF);
  remove_file ();
}
END_TEST

/* The lock objects on Windows: a lock file excludes another process, is
   not inherited by children, a temporary one is gone after its release;
   an atomic write replaces the file.  */
START_TEST (test_lock_objects)
{
  make_file ("objects");
  pl_lockfile *lf;
  int fd = -1;
  ck_assert_int_eq (pl_lockfile_new (&lf, path, NULL), 0);
  ck_assert_int_eq (pl_lockfile_acquire (lf, &fd, NULL), 0);
  DWORD hflags = 0;
  ck_assert (GetHandleInformation ((HANDLE) _get_osfhandle (fd), &hflags));
  ck_assert_msg (!(hflags & HANDLE_FLAG_INHERIT), "lock file inheritable");
  ck_assert_int_eq (helper ("try", path, "sh", NULL), H_BUSY);
  ck_assert_int_eq (pl_lockfile_release (lf), 0);
  ck_assert_int_eq (helper ("try", path, "ex", NULL), H_OK);
  pl_lockfile_free (lf);

  struct pl_lockfile_options o = PL_LOCKFILE_OPTIONS_INIT;
  o.behaviour = PL_LOCKFILE_TEMPORARY;
  ck_assert_int_eq (pl_lockfile_new (&lf, path, &o), 0);
  ck_assert_int_eq (pl_lockfile_acquire (lf, NULL, NULL), 0);
  ck_assert_int_eq (pl_lockfile_release (lf), 0);
  ck_assert (GetFileAttributesA (path) == INVALID_FILE_ATTRIBUTES);
  pl_lockfile_free (lf);

  /* pl_who: held or not, and the holder's pid from a pid file.  */
  int64_t who = 99;
  make_file ("who");
  int fd2 = open_file ();
  ck_assert_int_eq (pl_who (fd2, PL_LOCK_EX, &who), 0);
  ck_assert_int_eq (who, 0);
  o = (struct pl_lockfile_options) PL_LOCKFILE_OPTIONS_INIT;
  o.behaviour = PL_LOCKFILE_PIDFILE;
  ck_assert_int_eq (pl_lockfile_new (&lf, path, &o), 0);
  ck_assert_int_eq (pl_lockfile_acquire (lf, NULL, NULL), 0);
  ck_assert_int_eq (pl_who (fd2, PL_LOCK_EX, &who), 0);
  ck_assert_int_eq (who, (int64_t) GetCurrentProcessId ());
  ck_assert_int_eq (pl_who (fd2, PL_LOCK_SH, &who), 0);
  ck_assert_int_eq (who, (int64_t) GetCurrentProcessId ());
  ck_assert_int_eq (pl_lockfile_release (lf), 0);
  pl_lockfile_free (lf);
  struct child c = holder ("sh", NULL, NULL);
  ck_assert_int_eq (pl_who (fd2, PL_LOCK_SH, &who), 0);
  ck_assert_int_eq (who, 0);                    /* shared: no conflict */
  ck_assert_int_eq (pl_who (fd2, PL_LOCK_EX, &who), 0);
  ck_assert_int_eq (who, -1);                   /* held, by whom: untold */
  ck_assert_int_eq (child_wait (&c), H_OK);
  pl_close (fd2);

  pl_atomic *at;
  ck_assert_int_eq (pl_open_atomic (&at, path, 0644, &fd), 0);
  ck_assert_int_eq (_write (fd, "new\n", 4), 4);
  ck_assert_int_eq (pl_atomic_commit (at), 0);
  char buf[8] = "";
  int r = _open (path, _O_RDONLY | _O_BINARY | _O_NOINHERIT);
  ck_assert_int_ge (r, 0);
  ck_assert_int_eq (_read (r, buf, sizeof buf - 1), 4);
  _close (r);
  ck_assert_str_eq (buf, "new\n");
  remove_file ();
}
END_TEST

/* A pipe cannot hold byte-range locks: a clear PL_ENOTSUP (never
   PL_EBADF, never PL_EBUSY), and unlocking it is not an error.  */
START_TEST (test_pipe_not_supported)
{
  HANDLE r, w;
  ck_assert (CreatePipe (&r, &w, NULL, 0));
  int fd = _open_osfhandle ((intptr_t) r, _O_RDONLY);
  ck_assert_int_ge (fd, 0);
  ck_assert_int_eq (pl_lock (fd, PL_LOCK_EX | PL_LOCK_NB), PL_ENOTSUP);
  ck_assert_int_ne (pl_os_error (), 0);
  ck_assert_int_eq (pl_lock_range (fd, PL_LOCK_SH, 0, 10), PL_ENOTSUP);
  ck_assert_int_eq (pl_unlock (fd), 0);
  ck_assert_int_eq (pl_unlock_range (fd, 0, 10), 0);
  ck_assert_int_eq (pl_close (fd), 0);
  CloseHandle (w);
}
END_TEST

/* Sharing modes: a file that another program opened without sharing
   write access cannot be opened by a lock object.  That is a clear
   PL_EACCES with ERROR_SHARING_VIOLATION behind it, nothing is left open
   or held, and the object works once the file is shared again.  */
START_TEST (test_sharing_violation)
{
  make_file ("share");
  HANDLE other = CreateFileA (path, GENERIC_READ, FILE_SHARE_READ, NULL,
                              OPEN_EXISTING, 0, NULL);
  ck_assert (other != INVALID_HANDLE_VALUE);
  pl_lockfile *lf;
  ck_assert_int_eq (pl_lockfile_new (&lf, path, NULL), 0);
  ck_assert_int_eq (pl_lockfile_acquire (lf, NULL, NULL), PL_EACCES);
  ck_assert_int_eq (pl_os_error (), ERROR_SHARING_VIOLATION);
  ck_assert_int_eq (pl_lockfile_depth (lf), 0);
  pl_atomic *a;
  int afd;
  ck_assert_int_eq (helper ("try", path, "ex", NULL), H_ERROR);
  CloseHandle (other);
  ck_assert_int_eq (pl_lockfile_acquire (lf, NULL, NULL), 0);
  ck_assert_int_eq (helper ("try", path, "sh", NULL), H_BUSY);
  ck_assert_int_eq (pl_lockfile_release (lf), 0);
  pl_lockfile_free (lf);
  /* An atomic replacement is refused while the target is open unshared
     for deletion, and leaves the target as it was.  */
  other = CreateFileA (path, GENERIC_READ, FILE_SHARE_READ
                       | FILE_SHARE_WRITE, NULL, OPEN_EXISTING, 0, NULL);
  ck_assert (other != INVALID_HANDLE_VALUE);
  ck_assert_int_eq (pl_open_atomic (&a, path, 0644, &afd), 0);
  ck_assert_int_eq (_write (afd, "new", 3), 3);
  ck_assert_int_lt (pl_atomic_commit (a), 0);
  CloseHandle (other);
  struct _stat st;
  ck_assert_int_eq (_stat (path, &st), 0);
  ck_assert_int_eq (st.st_size, 64);
  /* ... and removes its temporary file, .PATH.XXXXXX.tmp.  */
  char pattern[MAX_PATH + 8];
  snprintf (pattern, sizeof pattern, ".%s.*.tmp", path);
  WIN32_FIND_DATAA found;
  HANDLE search = FindFirstFileA (pattern, &found);
  ck_assert_msg (search == INVALID_HANDLE_VALUE, "%s left behind",
                 found.cFileName);
  remove_file ();
}
END_TEST

/* Timed waits (pl_lock_timed(3)): a helper thread waits in LockFileEx
   and is stopped at the deadline.  A timeout comes no earlier than asked
   and leaves nothing locked -- not even half of a byte range's two spans,
   which a helper stopped between them would hold -- and the kept helper
   serves the next wait.  */
START_TEST (test_timed_timeout)
{
  make_file ("timed");
  int fd = open_file ();
  for (int round = 0; round < 3; round++)
    {
      bool range = round == 1;
      struct child c = range ? holder ("ex", "4", "8") : holder ("ex", NULL,
                                                                   NULL);
      double t0 = now ();
      int r = range ? pl_lock_range_timed (fd, PL_LOCK_SH, 0, 16, 0.3)
                    : pl_lock_timed (fd, PL_LOCK_EX, 0.3);
      double waited = now () - t0;
      ck_assert_int_eq (r, PL_ETIMEDOUT);
      ck_assert_msg (waited >= 0.3, "timed out after %.3f s < 0.3 s", waited);
      ck_assert_int_eq (child_wait (&c), H_OK);
      /* The holder is gone: if our stopped helper had left any lock
         behind, these would be refused.  */
      ck_assert_int_eq (helper ("try", path, "ex", NULL), H_OK);
      ck_assert_int_eq (helper ("try", path, "ex", "0", "16", NULL), H_OK);
    }
  /* And the next timed request that can be granted at once is.  */
  ck_assert_int_eq (pl_lock_timed (fd, PL_LOCK_EX, 5), 0);
  ck_assert_int_eq (helper ("try", path, "sh", NULL), H_BUSY);
  ck_assert_int_eq (pl_close (fd), 0);
  remove_file ();
}
END_TEST

/* The stopped helper may hold half of a byte range: its mirror was
   granted, its data is held by a program that locks the data directly
   (here: a raw LockFileEx through another HANDLE).  The timeout must
   leave neither half.  */
START_TEST (test_timed_timeout_half_range)
{
  make_file ("half");
  int fd = open_file ();
  HANDLE raw = CreateFileA (path, GENERIC_READ | GENERIC_WRITE,
                            FILE_SHARE_READ | FILE_SHARE_WRITE, NULL,
                            OPEN_EXISTING, 0, NULL);
  ck_assert (raw != INVALID_HANDLE_VALUE);
  OVERLAPPED ov = { .Offset = 4 };
  ck_assert (LockFileEx (raw, LOCKFILE_EXCLUSIVE_LOCK
                         | LOCKFILE_FAIL_IMMEDIATELY, 0, 8, 0, &ov));
  double t0 = now ();
  ck_assert_int_eq (pl_lock_range_timed (fd, PL_LOCK_EX, 0, 16, 0.3),
                    PL_ETIMEDOUT);
  ck_assert_msg (now () - t0 >= 0.3, "timed out early");
  /* The mirror is free (another process gets the range's mirror when
     the data is free too).  */
  ck_assert (UnlockFileEx (raw, 0, 8, 0, &ov));
  CloseHandle (raw);
  ck_assert_int_eq (helper ("try", path, "ex", "0", "16", NULL), H_OK);
  ck_assert_int_eq (helper ("try", path, "ex", NULL), H_OK);
  ck_assert_int_eq (pl_close (fd), 0);
  remove_file ();
}
END_TEST

/* A timed wait of a lock object gets the lock when the holder lets go
   (1 s into a 60 s wait), whatever its check_interval: that bounds the
   sleeps of a polling wait, and this one does not poll.  The hand-over
   time is printed; the bound only catches a wait that missed the
   release altogether (that no poller is used is not a timing question:
   a backoff poller can be lucky).  */
START_TEST (test_timed_handover)
{
  make_file ("handover");
  struct pl_lockfile_options o = PL_LOCKFILE_OPTIONS_INIT;
  o.open = PL_OPEN_READ | PL_OPEN_WRITE;
  o.timeout = 60;
  o.check_interval = 3600;
  pl_lockfile *lf;
  ck_assert_int_eq (pl_lockfile_new (&lf, path, &o), 0);
  struct child c = holder ("ex", NULL, NULL);
  double t0 = now ();
  HANDLE t = release_after (&c, 1000);
  ck_assert_int_eq (pl_lockfile_acquire (lf, NULL, NULL), 0);
  double waited = now () - t0;
  printf ("# acquired %.1f ms after the release\n", (waited - 1) * 1e3);
  WaitForSingleObject (t, INFINITE);
  CloseHandle (t);
  ck_assert_int_eq (child_wait (&c), H_OK);
  ck_assert_msg (waited >= 0.9, "acquired after %.3f s, while held", waited);
  ck_assert_msg (waited < 5, "acquired only %.3f s after the release",
                 waited - 1);
  ck_assert_int_eq (helper ("try", path, "sh", NULL), H_BUSY);
  ck_assert_int_eq (pl_lockfile_release (lf), 0);
  pl_lockfile_free (lf);
  remove_file ();
}
END_TEST

/* The race at the deadline: the holder lets go just before, at, or just
   after it.  Whatever the answer, it must be true: 0 means FD holds the
   lock (another process is refused), PL_ETIMEDOUT that it does not
   (another process gets it, once the holder is gone).  */
START_TEST (test_timed_deadline_race)
{
  make_file ("race");
  int fd = open_file ();
  int got = 0, timed_out = 0;
  for (int round = 0; round < 16; round++)
    {
      struct child c = holder ("ex", NULL, NULL);
      HANDLE t = release_after (&c, 190 + 5 * (round % 5));
      int r = pl_lock_timed (fd, PL_LOCK_EX, 0.2);
      WaitForSingleObject (t, INFINITE);
      CloseHandle (t);
      ck_assert_int_eq (child_wait (&c), H_OK);
      if (r == 0)
        {
          got++;
          ck_assert_int_eq (helper ("try", path, "sh", NULL), H_BUSY);
          ck_assert_int_eq (pl_unlock (fd), 0);
        }
      else
        {
          ck_assert_int_eq (r, PL_ETIMEDOUT);
          timed_out++;
          ck_assert_int_eq (helper ("try", path, "ex", NULL), H_OK);
        }
    }
  printf ("# deadline race: %d acquired, %d timed out\n", got, timed_out);
  ck_assert_int_eq (pl_close (fd), 0);
  remove_file ();
}
END_TEST

/* Timeouts leave no HANDLE behind (the stopped helper's events and
   thread are closed).  The first timed wait makes the kept helper.  */
START_TEST (test_timed_no_handle_leak)
{
  make_file ("leak");
  int fd = open_file ();
  struct child c = holder ("ex", NULL, NULL);
  ck_assert_int_eq (pl_lock_timed (fd, PL_LOCK_EX, 0.05), PL_ETIMEDOUT);
  DWORD before, after;
  ck_assert (GetProcessHandleCount (GetCurrentProcess (), &before));
  for (int i = 0; i < 5; i++)
    ck_assert_int_eq (pl_lock_timed (fd, PL_LOCK_EX, 0.05), PL_ETIMEDOUT);
  ck_assert (GetProcessHandleCount (GetCurrentProcess (), &after));
  ck_assert_int_eq (child_wait (&c), H_OK);
  ck_assert_msg (after <= before, "%lu HANDLEs before 5 timeouts, %lu after",
                 (unsigned long) before, (unsigned long) after);
  ck_assert_int_eq (pl_close (fd), 0);
  remove_file ();
}
END_TEST

int
main (int argc, char **argv)
{
  if (argc > 1 && strcmp (argv[1], "helper") == 0)
    return helper_main (argc - 2, argv + 2);

  Suite *s = suite_create ("win32");
  TCase *tc = tcase_create ("win32");
  /* A hang guard, not a time limit: test_timed_deadline_race starts 32
     wine processes, and under a loaded machine each can take a second.  */
  tcase_set_timeout (tc, 120);
  tcase_add_test (tc, test_backend_is_win32);
  tcase_add_test (tc, test_whole_file_is_advisory);
  tcase_add_test (tc, test_range_is_mandatory);
  tcase_add_test (tc, test_terminate_frees_locks);
  tcase_add_test (tc, test_shared_exclusive_processes);
  tcase_add_test (tc, test_nonblocking_busy);
  tcase_add_test (tc, test_failed_conversion_leaves_no_lock);
  tcase_add_test (tc, test_locks_do_not_stack);
  tcase_add_test (tc, test_whole_covers_ranges);
  tcase_add_test (tc, test_dup_shares_lock);
  tcase_add_test (tc, test_inherited_handle);
  tcase_add_test (tc, test_overlapped_handle);
  tcase_add_test (tc, test_blocking_wait);
  tcase_add_test (tc, test_bad_descriptor);
  tcase_add_test (tc, test_pipe_not_supported);
  tcase_add_test (tc, test_lock_objects);
  tcase_add_test (tc, test_sharing_violation);
  tcase_add_test (tc, test_timed_timeout);
  tcase_add_test (tc, test_timed_timeout_half_range);
  tcase_add_test (tc, test_timed_handover);
  tcase_add_test (tc, test_timed_deadline_race);
  tcase_add_test (tc, test_timed_no_handle_leak);
  suite_add_tcase (s, tc);
  SRunner *sr = srunner_create (s);
  srunner_run_all (sr, CK_ENV);
  int failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
