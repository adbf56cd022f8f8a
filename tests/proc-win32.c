/* proc-win32.c - tests/proc.h with CreateProcess and pipes.
   Copyright (C) 2026 The portalock authors.

   This program is free software: you can redistribute it and/or modify
   it under the terms of the GNU General Public License as published by
   the Free Software Foundation; either version 3 of the License, or (at
   your option) any later version.  See COPYING.

   Traps handled here:
   - CreateProcess with bInheritHandles gives the child EVERY inheritable
     HANDLE of the process (msvcrt's _dup makes inheritable ones), and a
     HANDLE that lives on in a helper keeps its file object, and so this
     process's LockFileEx locks, alive.  So the child gets exactly the
     HANDLEs it needs (PROC_THREAD_ATTRIBUTE_HANDLE_LIST), inheritable
     duplicates made for it and closed again at once.
   - A descriptor "under the same number" in the child: the CRT passes
     its descriptor table to a child through STARTUPINFO.lpReserved2
     (int count; unsigned char flags[count]; HANDLE handles[count]), which
     is what _spawnv does; we build that table ourselves.
   - The command line is one string that the child's CRT splits again:
     arguments are quoted by the rules of CommandLineToArgvW.
   - No signals: proc_kill is TerminateProcess, and proc_wait reports it
     as PROC_KILLED.  */

#include <config.h>

#include "proc.h"

#define WIN32_LEAN_AND_MEAN
#include <windows.h>
#include <io.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The exit code TerminateProcess gives the child: tells a kill from an
   exit.  */
#define KILL_CODE 0xDEAD0009u

struct proc
{
  HANDLE process;
  HANDLE to_child;              /* write end of its stdin, or NULL */
  HANDLE from_child;            /* read end of its stdout, or NULL */
  bool killed;
};

/* A growing string.  */
struct buf
{
  char *s;
  size_t len, cap;
  bool failed;
};

static void
buf_add (struct buf *b, const char *s, size_t n)
{
  if (b->failed)
    return;
  if (b->len + n + 1 > b->cap)
    {
      size_t cap = (b->len + n + 1) * 2;
      char *p = realloc (b->s, cap);
      if (p == NULL)
        {
          b->failed = true;
          return;
        }
      b->s = p;
      b->cap = cap;
    }
  memcpy (b->s + b->len, s, n);
  b->len += n;
  b->s[b->len] = '\0';
}

static void
buf_repeat (struct buf *b, char c, size_t n)
{
  while (n--)
    buf_add (b, &c, 1);
}

/* Append ARG quoted so that the child's CRT gives it back unchanged:
   backslashes are literal except before a quote, where 2n+1 of them make
   n backslashes and a quote.  */
static void
add_arg (struct buf *b, const char *arg)
{
  if (b->len)
    buf_add (b, " ", 1);
  if (*arg && strpbrk (arg, " \t\n\v\"") == NULL)
    {
      buf_add (b, arg, strlen (arg));
      return;
    }
  buf_add (b, "\"", 1);
  for (const char *p = arg;; p++)
    {
      size_t slashes = 0;
      while (*p == '\\')
        p++, slashes++;
      if (*p == '\0')
        {
          buf_repeat (b, '\\', 2 * slashes);
          break;
        }
      if (*p == '"')
        buf_repeat (b, '\\', 2 * slashes + 1);
      else
        buf_repeat (b, '\\', slashes);
      buf_add (b, p, 1);
    }
  buf_add (b, "\"", 1);
}

static char *
command_line (const char *program, const char *const *args)
{
  struct buf b = { .s = NULL };
  add_arg (&b, program);
  for (size_t i = 0; args && args[i]; i++)
    add_arg (&b, args[i]);
  if (b.failed)
    {
      free (b.s);
      return NULL;
    }
  return b.s;
}

/* An inheritable duplicate of H (NULL if H is not valid).  */
static HANDLE
inheritable (HANDLE h)
{
  HANDLE d = NULL;
  if (h == NULL || h == INVALID_HANDLE_VALUE
      || !DuplicateHandle (GetCurrentProcess (), h, GetCurrentProcess (), &d,
                           0, TRUE, DUPLICATE_SAME_ACCESS))
    return NULL;
  return d;
}

/* The CRT's descriptor flags in lpReserved2.  */
#define CRT_FOPEN 0x01
#define CRT_FPIPE 0x08
#define CRT_FDEV 0x40

/* Start PROGRAM with standard handles IN, OUT, ERR (inheritable) and the
   descriptor INHERIT_FD (or -1) as that number.  */
static HANDLE
spawn (const char *program, const char *const *args, HANDLE in, HANDLE out,
       HANDLE err, int inherit_fd)
{
  char *cmd = command_line (program, args);
  HANDLE process = NULL, extra = NULL;
  LPPROC_THREAD_ATTRIBUTE_LIST attrs = NULL;
  unsigned char *table = NULL;
  if (cmd == NULL)
    goto done;

  if (inherit_fd >= 0)
    {
      extra = inheritable ((HANDLE) _get_osfhandle (inherit_fd));
      if (extra == NULL)
        {
          fprintf (stderr, "proc: descriptor %d is not open\n", inherit_fd);
          goto done;
        }
    }

  /* The CRT descriptor table for the child: 0, 1, 2 and INHERIT_FD.  */
  int count = inherit_fd >= 3 ? inherit_fd + 1 : 3;
  size_t table_size = sizeof (int) + count * (1 + sizeof (HANDLE));
  table = calloc (1, table_size);
  if (table == NULL)
    goto done;
  memcpy (table, &count, sizeof count);
  unsigned char *flags = table + sizeof (int);
  unsigned char *handles = flags + count;
  HANDLE std[3] = { in, out, err };
  for (int fd = 0; fd < count; fd++)
    {
      HANDLE h = fd < 3 ? std[fd] : INVALID_HANDLE_VALUE;
      if (fd == inherit_fd)
        h = extra;
      if (h != INVALID_HANDLE_VALUE && h != NULL)
        {
          DWORD type = GetFileType (h);
          flags[fd] = CRT_FOPEN | (type == FILE_TYPE_PIPE ? CRT_FPIPE
                                   : type == FILE_TYPE_CHAR ? CRT_FDEV : 0);
        }
      else
        h = INVALID_HANDLE_VALUE;
      memcpy (handles + fd * sizeof (HANDLE), &h, sizeof h);
    }

  /* Exactly these HANDLEs go to the child.  */
  HANDLE list[4];
  size_t n = 0;
  for (int i = 0; i < 3; i++)
    if (std[i] != NULL && std[i] != INVALID_HANDLE_VALUE)
      {
        bool seen = false;
        for (size_t j = 0; j < n; j++)
          seen |= list[j] == std[i];
        if (!seen)
          list[n++] = std[i];
      }
  if (extra)
    list[n++] = extra;
  SIZE_T attrs_size = 0;
  InitializeProcThreadAttributeList (NULL, 1, 0, &attrs_size);
  attrs = malloc (attrs_size);
  if (attrs == NULL
      || !InitializeProcThreadAttributeList (attrs, 1, 0, &attrs_size)
      || !UpdateProcThreadAttribute (attrs, 0,
                                     PROC_THREAD_ATTRIBUTE_HANDLE_LIST, list,
                                     n * sizeof list[0], NULL, NULL))
    {
      fprintf (stderr, "proc: attribute list: error %lu\n",
               (unsigned long) GetLastError ());
      free (attrs);
      attrs = NULL;
      goto done;
    }

  STARTUPINFOEXA si;
  memset (&si, 0, sizeof si);
  si.StartupInfo.cb = sizeof si;
  si.StartupInfo.dwFlags = STARTF_USESTDHANDLES;
  si.StartupInfo.hStdInput = in;
  si.StartupInfo.hStdOutput = out;
  si.StartupInfo.hStdError = err;
  si.StartupInfo.cbReserved2 = (WORD) table_size;
  si.StartupInfo.lpReserved2 = table;
  si.lpAttributeList = attrs;
  PROCESS_INFORMATION pi;
  /* lpApplicationName NULL: the program is looked up in PATH, with
     ".exe" added, as the shell would.  */
  if (CreateProcessA (NULL, cmd, NULL, NULL, TRUE,
                      EXTENDED_STARTUPINFO_PRESENT, NULL, NULL,
                      &si.StartupInfo, &pi))
    {
      CloseHandle (pi.hThread);
      process = pi.hProcess;
    }
  else
    fprintf (stderr, "proc: cannot start %s: error %lu\n", program,
             (unsigned long) GetLastError ());

 done:
  if (attrs)
    {
      DeleteProcThreadAttributeList (attrs);
      free (attrs);
    }
  if (extra)
    CloseHandle (extra);
  free (table);
  free (cmd);
  return process;
}

struct proc *
proc_start (const char *program, const char *const *args, int inherit_fd)
{
  struct proc *p = calloc (1, sizeof *p);
  SECURITY_ATTRIBUTES sa = { .nLength = sizeof sa, .bInheritHandle = TRUE };
  HANDLE in_r = NULL, in_w = NULL, out_r = NULL, out_w = NULL, err = NULL;
  if (p == NULL)
    goto fail;
  /* The child's ends inheritable, ours not.  */
  if (!CreatePipe (&in_r, &in_w, &sa, 0) || !CreatePipe (&out_r, &out_w, &sa, 0)
      || !SetHandleInformation (in_w, HANDLE_FLAG_INHERIT, 0)
      || !SetHandleInformation (out_r, HANDLE_FLAG_INHERIT, 0))
    goto fail;
  err = inheritable (GetStdHandle (STD_ERROR_HANDLE));
  fflush (NULL);
  p->process = spawn (program, args, in_r, out_w, err, inherit_fd);
  if (p->process == NULL)
    goto fail;
  CloseHandle (in_r);
  CloseHandle (out_w);
  if (err)
    CloseHandle (err);
  p->to_child = in_w;
  p->from_child = out_r;
  return p;

 fail:
  for (HANDLE *h = (HANDLE[]) { in_r, in_w, out_r, out_w, err, NULL }; *h;
       h++)
    CloseHandle (*h);
  free (p);
  return NULL;
}

/* $PL_HELPER, else pl-helper in the current directory (libtool's wrapper
   .exe in a build tree, which finds the DLL).  */
const char *
proc_helper_path (void)
{
  const char *h = getenv ("PL_HELPER");
  return h && *h ? h : ".\\pl-helper.exe";
}

struct proc *
proc_helper (const char *const *args, int inherit_fd)
{
  return proc_start (proc_helper_path (), args, inherit_fd);
}

int
proc_read_line (struct proc *p, char *buf, size_t size)
{
  size_t n = 0;
  bool any = false;
  char c;
  DWORD got;
  if (p->from_child == NULL || size == 0)
    return -1;
  while (ReadFile (p->from_child, &c, 1, &got, NULL) && got == 1)
    {
      any = true;
      if (c == '\n')
        break;
      if (c != '\r' && n + 1 < size)
        buf[n++] = c;
    }
  buf[n] = '\0';
  return any ? 0 : -1;
}

int
proc_write_line (struct proc *p, const char *line)
{
  if (p->to_child == NULL)
    return -1;
  size_t len = strlen (line);
  const char *parts[2] = { line, "\n" };
  size_t lens[2] = { len, 1 };
  for (int i = 0; i < 2; i++)
    {
      size_t done = 0;
      while (done < lens[i])
        {
          DWORD w;
          if (!WriteFile (p->to_child, parts[i] + done,
                          (DWORD) (lens[i] - done), &w, NULL) || w == 0)
            return -1;
          done += w;
        }
    }
  return 0;
}

int
proc_command (struct proc *p, const char *line, char *buf, size_t size)
{
  if (proc_write_line (p, line) != 0)
    return -1;
  return proc_read_line (p, buf, size);
}

void
proc_close_input (struct proc *p)
{
  if (p->to_child)
    CloseHandle (p->to_child);
  p->to_child = NULL;
}

int
proc_kill (struct proc *p)
{
  if (!TerminateProcess (p->process, KILL_CODE))
    return -1;
  p->killed = true;
  return 0;
}

static int
wait_code (HANDLE process, bool killed)
{
  DWORD code;
  if (WaitForSingleObject (process, INFINITE) != WAIT_OBJECT_0
      || !GetExitCodeProcess (process, &code))
    return PROC_ERROR;
  if (killed && code == KILL_CODE)
    return PROC_KILLED;
  /* An exit code beyond 255 is an NTSTATUS: the process crashed.  Report
     it as POSIX reports the nearest signal: an access violation as
     SIGSEGV (11), anything else as SIGABRT (6).  */
  if (code <= 255)
    return (int) code;
  return code == 0xC0000005u ? -11 : -6;
}

int
proc_wait (struct proc *p)
{
  proc_close_input (p);
  if (p->from_child)
    CloseHandle (p->from_child);
  int status = wait_code (p->process, p->killed);
  CloseHandle (p->process);
  free (p);
  return status;
}

int
proc_run (const char *const *argv)
{
  HANDLE in = inheritable (GetStdHandle (STD_INPUT_HANDLE));
  HANDLE out = inheritable (GetStdHandle (STD_OUTPUT_HANDLE));
  HANDLE err = inheritable (GetStdHandle (STD_ERROR_HANDLE));
  fflush (NULL);
  HANDLE process = spawn (argv[0], argv + 1, in, out, err, -1);
  for (HANDLE *h = (HANDLE[]) { in, out, err }, *end = h + 3; h < end; h++)
    if (*h)
      CloseHandle (*h);
  if (process == NULL)
    return PROC_ERROR;
  int status = wait_code (process, false);
  CloseHandle (process);
  return status;
}
