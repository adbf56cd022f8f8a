/* run-win32.c - running the command under the lock on Windows:
   CreateProcess, a wait for the child, and its exit code.
   Copyright (C) 2026 The portalock authors.

   This file is part of portalock.

   portalock is free software: you can redistribute it and/or modify it
   under the terms of the GNU General Public License as published by the
   Free Software Foundation; either version 3 of the License, or (at your
   option) any later version.

   portalock is distributed in the hope that it will be useful, but
   WITHOUT ANY WARRANTY; without even the implied warranty of
   MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.  See the GNU
   General Public License for more details.

   You should have received a copy of the GNU General Public License
   along with this program.  If not, see <https://www.gnu.org/licenses/>.  */

/* What flock(1) does with fork and exec, done with one CreateProcess:

   - The command line.  Windows passes a child one string, which its C
     runtime splits again: run_quote_argv (run-quote.c) quotes each
     argument so that it arrives unchanged.  The program is looked up as
     CreateProcess does (lpApplicationName NULL): the program's directory,
     the current one, the system directories, then PATH, with ".exe"
     added when the name has no extension.

   - -c COMMAND.  There is no /bin/sh; $SHELL, when set at all (MSYS2,
     Cygwin), names a POSIX path a native program cannot start.  So the
     command goes to %COMSPEC% (cmd.exe when unset) as
     `%COMSPEC% /d /s /c "COMMAND"', as Node.js runs its `shell' option:
     /d skips the AutoRun commands of the registry, and /s makes cmd strip
     exactly the outer pair of quotes and run the rest as written, so
     COMMAND is inserted verbatim (cmd's own quoting rules apply to it,
     not the C runtime's; escaping it for the C runtime would break it).

   - Inheritance.  CreateProcess with bInheritHandles passes EVERY
     inheritable HANDLE of the process, and msvcrt's open() makes
     inheritable ones (no _O_NOINHERIT), so the child gets exactly a list
     (PROC_THREAD_ATTRIBUTE_HANDLE_LIST): its standard handles, and the
     locked HANDLE unless -o.  The locked descriptor also keeps its
     number in the child: the C runtime passes its descriptor table in
     STARTUPINFO.lpReserved2 (int count; unsigned char flags[count];
     HANDLE handles[count]), which _spawnv fills and we fill here, so a
     child built on msvcrt or the UCRT finds it open under the same
     number, as after fork and exec.  What the inherited HANDLE does for
     the lock is another matter (a LockFileEx lock belongs to the file
     object AND the process that took it): see doc/windows.txt, "The
     tool".

   - Trap: the locked HANDLE itself is made inheritable, not a
     duplicate.  Closing a HANDLE can release the closing process's
     locks on its file object even while other HANDLEs to it remain (the
     I/O manager's close path asks the file system to unlock all of that
     process's locks when a file object that has seen locks is closed;
     doc/windows.txt assumes only the last close does, and real Windows
     has not been tried), so a duplicate closed again after CreateProcess
     might drop the lock under the running command.  Nothing here closes
     a HANDLE to the locked file before the command has ended.

   - Ctrl-C.  A console sends Ctrl-C to every process attached to it:
     portalock would die and the command run on, with the lock gone.
     Like flock(1), which waits for a child that a SIGINT to the process
     group also reached, portalock lets the command decide, and exits
     with its status.  A handler that returns TRUE does that; the other
     way, SetConsoleCtrlHandler (NULL, TRUE), would be inherited by the
     command and make it ignore Ctrl-C too.

   - The exit status is the command's whole exit code (a DWORD: codes
     above 255, and NTSTATUS values such as 0xC0000005 for a crash, pass
     unchanged).  There are no signals, so no 128 + N.  */

#include <config.h>

#include "run.h"

#define WIN32_LEAN_AND_MEAN
#include <windows.h>
#include <errno.h>
#include <io.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "message.h"

/* The longest command line CreateProcess takes, NUL included.  */
#define CMDLINE_MAX 32768

/* The C runtime's descriptor flags in lpReserved2 (msvcrt's FOPEN,
   FPIPE, FDEV, FTEXT).  */
#define CRT_FOPEN 0x01
#define CRT_FPIPE 0x08
#define CRT_FDEV 0x40
#define CRT_FTEXT 0x80

const char *
run_no_fork_unsupported (void)
{
  return "--no-fork is not supported on Windows: a process cannot "
         "replace itself with another there (no exec), so the command "
         "could not run in portalock's place, holding its lock";
}

const char *
run_fd_form_unsupported (void)
{
  return "locking a descriptor number is not supported on Windows: the "
         "lock would belong to portalock's process, not to the caller's, "
         "and end with it (lock a file by name instead)";
}

/* Trap: msvcrt's open() of a directory fails with EACCES (CreateFile
   needs FILE_FLAG_BACKUP_SEMANTICS for one), and even a directory HANDLE
   cannot hold LockFileEx locks (ERROR_INVALID_FUNCTION): "Permission
   denied" would send the user looking for the wrong problem.  */
const char *
run_dir_unsupported (void)
{
  return "Windows cannot lock directories (lock a file instead)";
}

/* The text of Windows error ERR, without its trailing newline.  */
static const char *
win32_message (DWORD err)
{
  static char buf[256];
  DWORD n = FormatMessageA (FORMAT_MESSAGE_FROM_SYSTEM
                            | FORMAT_MESSAGE_IGNORE_INSERTS, NULL, err, 0,
                            buf, sizeof buf, NULL);
  while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'
                   || buf[n - 1] == '.' || buf[n - 1] == ' '))
    n--;
  if (n == 0)
    snprintf (buf, sizeof buf, "Windows error %lu", (unsigned long) err);
  else
    buf[n] = '\0';
  return buf;
}

/* The errno that says why CreateProcess could not run the program, as
   execvp would have said it, or 0 when the failure is not about the
   program (memory, handles: the process could not be made).  */
static int
exec_errno (DWORD err)
{
  switch (err)
    {
    case ERROR_FILE_NOT_FOUND:
    case ERROR_PATH_NOT_FOUND:
    case ERROR_INVALID_NAME:
    case ERROR_BAD_PATHNAME:
    case ERROR_INVALID_DRIVE:
      return ENOENT;
    case ERROR_ACCESS_DENIED:
    case ERROR_DIRECTORY:
    case 740:                   /* ERROR_ELEVATION_REQUIRED, not in mingw */
      return EACCES;
    case ERROR_BAD_EXE_FORMAT:
    case ERROR_BAD_FORMAT:
    case ERROR_EXE_MARKED_INVALID:
    case ERROR_INVALID_EXE_SIGNATURE:
    case ERROR_EXE_MACHINE_TYPE_MISMATCH:
      return ENOEXEC;
    case ERROR_FILENAME_EXCED_RANGE:
      return ENAMETOOLONG;
    default:
      return 0;
    }
}

/* The command line for R, in a malloc'd string, and the name of the
   program for messages.  NULL when it does not fit CreateProcess.  */
static char *
command_line (const struct run_request *r, const char **program)
{
  char *const *argv = r->argv;
  char *shell_argv[1];
  size_t n = 0;
  if (r->shell_command)
    {
      const char *comspec = getenv ("COMSPEC");
      shell_argv[0] = (char *) (comspec && *comspec ? comspec : "cmd.exe");
      argv = shell_argv;
      n = 1;
    }
  else
    while (argv[n])
      n++;
  *program = argv[0];

  size_t len = run_quote_argv (NULL, 0, argv, n);
  /* -c: ` /d /s /c "COMMAND"', COMMAND verbatim (see above).  */
  static const char shell_opts[] = " /d /s /c \"";
  if (r->shell_command)
    len += strlen (shell_opts) + strlen (r->shell_command) + 1;
  if (len >= CMDLINE_MAX)
    return NULL;
  char *line = malloc (len + 1);
  if (line == NULL)
    die (EX_OSERR, "cannot start %s: %s", *program, strerror (ENOMEM));
  size_t k = run_quote_argv (line, len + 1, argv, n);
  if (r->shell_command)
    {
      strcpy (line + k, shell_opts);
      strcat (line + k, r->shell_command);
      strcat (line + k, "\"");
    }
  return line;
}

/* The HANDLE behind descriptor FD, or NULL.  */
static HANDLE
fd_handle (int fd)
{
  intptr_t h = _get_osfhandle (fd);
  return h == -1 || h == -2 || h == 0 ? NULL : (HANDLE) h;
}

/* An inheritable duplicate of H, or NULL.  */
static HANDLE
inheritable_dup (HANDLE h)
{
  HANDLE d = NULL;
  if (!DuplicateHandle (GetCurrentProcess (), h, GetCurrentProcess (), &d,
                        0, TRUE, DUPLICATE_SAME_ACCESS))
    return NULL;
  return d;
}

static unsigned char
crt_flags (HANDLE h)
{
  DWORD type = GetFileType (h);
  return CRT_FOPEN | CRT_FTEXT | (type == FILE_TYPE_PIPE ? CRT_FPIPE
                                  : type == FILE_TYPE_CHAR ? CRT_FDEV : 0);
}

static BOOL WINAPI
let_the_command_decide (DWORD event)
{
  return event == CTRL_C_EVENT || event == CTRL_BREAK_EVENT;
}

int
run_command (const struct run_request *r)
{
  const char *program;
  char *line = command_line (r, &program);
  if (line == NULL)
    {
      warnx ("failed to execute %s: %s", program, strerror (E2BIG));
      return EX_UNAVAILABLE;
    }
  if (r->verbose)
    printf ("%s: executing %s\n", short_name, program);
  fflush (stdout);

  /* The handles the child gets: standard ones as duplicates (so their
     inheritance flag is ours to set), the locked one itself (see the
     trap above).  With -o, a locked standard descriptor (portalock was
     started with it closed) is not passed either.  */
  HANDLE lock = fd_handle (r->fd);
  HANDLE std[3];
  for (int i = 0; i < 3; i++)
    {
      HANDLE h = fd_handle (i);
      std[i] = h && !(i == r->fd && r->close_fd) ? inheritable_dup (h) : NULL;
    }
  bool pass_lock = !r->close_fd && lock != NULL && r->fd > 2;
  if (lock && !SetHandleInformation (lock, HANDLE_FLAG_INHERIT,
                                     pass_lock ? HANDLE_FLAG_INHERIT : 0))
    pass_lock = false;

  /* The C runtime's descriptor table: 0, 1, 2 and the locked one.  */
  int count = pass_lock ? r->fd + 1 : 3;
  size_t table_size = sizeof (int) + count * (1 + sizeof (HANDLE));
  unsigned char *table = calloc (1, table_size);
  HANDLE list[4];
  size_t n = 0;
  for (int i = 0; i < 3; i++)
    if (std[i])
      list[n++] = std[i];
  if (pass_lock)
    list[n++] = lock;
  SIZE_T attrs_size = 0;
  InitializeProcThreadAttributeList (NULL, 1, 0, &attrs_size);
  LPPROC_THREAD_ATTRIBUTE_LIST attrs = malloc (attrs_size);
  if (table == NULL || attrs == NULL)
    die (EX_OSERR, "cannot start %s: %s", program, strerror (ENOMEM));
  if (!InitializeProcThreadAttributeList (attrs, 1, 0, &attrs_size)
      || (n > 0 && !UpdateProcThreadAttribute (attrs, 0,
                                               PROC_THREAD_ATTRIBUTE_HANDLE_LIST,
                                               list, n * sizeof list[0],
                                               NULL, NULL)))
    die (EX_OSERR, "cannot start %s: %s", program,
         win32_message (GetLastError ()));
  memcpy (table, &count, sizeof count);
  unsigned char *flags = table + sizeof (int);
  unsigned char *handles = flags + count;
  for (int fd = 0; fd < count; fd++)
    {
      HANDLE h = fd < 3 ? std[fd] : fd == r->fd ? lock : NULL;
      if (h)
        flags[fd] = crt_flags (h);
      else
        h = INVALID_HANDLE_VALUE;
      memcpy (handles + fd * sizeof (HANDLE), &h, sizeof h);
    }

  STARTUPINFOEXA si;
  memset (&si, 0, sizeof si);
  si.StartupInfo.cb = sizeof si;
  si.StartupInfo.dwFlags = STARTF_USESTDHANDLES;
  si.StartupInfo.hStdInput = std[0] ? std[0] : INVALID_HANDLE_VALUE;
  si.StartupInfo.hStdOutput = std[1] ? std[1] : INVALID_HANDLE_VALUE;
  si.StartupInfo.hStdError = std[2] ? std[2] : INVALID_HANDLE_VALUE;
  si.StartupInfo.cbReserved2 = (WORD) table_size;
  si.StartupInfo.lpReserved2 = table;
  si.lpAttributeList = attrs;

  SetConsoleCtrlHandler (let_the_command_decide, TRUE);
  PROCESS_INFORMATION pi;
  if (!CreateProcessA (NULL, line, NULL, NULL, n > 0,
                       EXTENDED_STARTUPINFO_PRESENT, NULL, NULL,
                       &si.StartupInfo, &pi))
    {
      DWORD err = GetLastError ();
      int e = exec_errno (err);
      if (e)
        {
          warnx ("failed to execute %s: %s", program, strerror (e));
          return EX_UNAVAILABLE;
        }
      warnx ("failed to execute %s: %s", program, win32_message (err));
      return EX_OSERR;
    }
  CloseHandle (pi.hThread);

  DWORD code;
  if (WaitForSingleObject (pi.hProcess, INFINITE) != WAIT_OBJECT_0
      || !GetExitCodeProcess (pi.hProcess, &code))
    {
      warnx ("cannot wait for %s: %s", program,
             win32_message (GetLastError ()));
      return EX_OSERR;
    }
  /* After the command is gone: only now may a duplicate of a locked
     standard descriptor close (see the trap above).  */
  for (int i = 0; i < 3; i++)
    if (std[i])
      CloseHandle (std[i]);
  DeleteProcThreadAttributeList (attrs);
  free (attrs);
  free (table);
  free (line);
  return (int) code;
}
