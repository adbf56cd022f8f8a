/* proc.h - second processes for the tests: start, talk to, kill, reap.
   Copyright (C) 2026 The portalock authors.

   This program is free software: you can redistribute it and/or modify
   it under the terms of the GNU General Public License as published by
   the Free Software Foundation; either version 3 of the License, or (at
   your option) any later version.  See COPYING.

   A second lock owner in the tests is a real process (rule 1 says two
   owners, and the kernel only tells owners apart by open file or by
   process).  Test bodies only use this interface, so that a Windows
   implementation (CreateProcess or _spawnv, with pipes) can be added as
   tests/proc-win32.c without touching them; tests/proc-posix.c is the
   fork+exec one.  */

#ifndef PL_TESTS_PROC_H
#define PL_TESTS_PROC_H 1

#include <stddef.h>

/* Exit statuses of the helper program, tests/pl-helper.c.  */
enum
{
  HELPER_OK = 0,        /* acquired (try), done (other commands) */
  HELPER_BUSY = 1,      /* PL_EBUSY: held by someone else */
  HELPER_ERROR = 2,     /* any other failure; details on stderr */
  HELPER_USAGE = 3      /* bad command line */
};

/* What proc_wait() returns: the exit status (0..255) of a process that
   exited; minus the signal number for one killed by a signal, so
   PROC_KILLED for one stopped by proc_kill() (a Windows implementation
   returns PROC_KILLED for TerminateProcess too); PROC_ERROR if it could
   not be waited for.  */
#define PROC_KILLED (-9)
#define PROC_ERROR (-1000)

struct proc;

/* Start PROGRAM (a path, or a name looked up in PATH) with the arguments
   ARGS (a NULL-terminated list, without argv[0]).  Its standard input and
   output are pipes to the caller; its standard error is the caller's.
   INHERIT_FD, if not -1, is a descriptor of the caller that the child gets
   under the same number (it may be close-on-exec in the caller); every
   other descriptor the tests open is close-on-exec and stays behind.
   NULL on failure, with a message on stderr.  */
struct proc *proc_start (const char *program, const char *const *args,
                         int inherit_fd);

/* proc_start() for the helper program tests/pl-helper.  */
struct proc *proc_helper (const char *const *args, int inherit_fd);

/* Path of the helper: $PL_HELPER, else pl-helper in the current
   directory.  */
const char *proc_helper_path (void);

/* Read one line from the child's standard output, without its newline,
   into BUF.  Blocks.  Returns 0, or -1 at end of file or on error.  */
int proc_read_line (struct proc *p, char *buf, size_t size);

/* Write LINE and a newline to the child's standard input.  0 or -1.  */
int proc_write_line (struct proc *p, const char *line);

/* Send LINE and read the one-line answer into BUF.  0 or -1.  */
int proc_command (struct proc *p, const char *line, char *buf, size_t size);

/* Close the child's standard input: the helper takes that as "exit".  */
void proc_close_input (struct proc *p);

/* Kill the child at once, the hardest way the platform has (SIGKILL,
   TerminateProcess): the child gets no chance to clean up.  */
int proc_kill (struct proc *p);

/* Wait for the child to end, free P, and return its exit status (see
   PROC_KILLED, PROC_ERROR above).  Closes its input first, so a helper
   that waits for its input to close ends.  */
int proc_wait (struct proc *p);

/* Run the command ARGV (ARGV[0] is the program, looked up in PATH if it
   has no slash) sharing the caller's standard streams, wait for it, and
   return its exit status as proc_wait() does.  */
int proc_run (const char *const *argv);

#endif /* PL_TESTS_PROC_H */
