/* run.h - running the command under the lock: fork and exec on POSIX
   (run-posix.c), CreateProcess on Windows (run-win32.c); and the few
   things of the tool that cannot exist on a platform.
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

#ifndef PORTALOCK_RUN_H
#define PORTALOCK_RUN_H 1

#include <stdbool.h>
#include <stddef.h>

/* The command to run while FD holds the lock.  */
struct run_request
{
  char **argv;                  /* COMMAND [ARG...], NULL-terminated */
  const char *shell_command;    /* -c COMMAND instead of ARGV, or NULL */
  int fd;                       /* the descriptor that holds the lock */
  bool close_fd;                /* -o: the command must not inherit FD */
  bool no_fork;                 /* -F: run the command in this process */
  bool verbose;                 /* say "executing PROGRAM" on stdout */
};

/* Run the command and wait for it.  Returns portalock's exit status:
   the command's, or 128 + the signal that killed it (POSIX), or
   EX_UNAVAILABLE when the command cannot be run (not found, not
   executable), EX_OSERR when a process cannot be made.  With -F on POSIX
   it returns only if exec failed.  */
int run_command (const struct run_request *r);

/* NULL where -F works; else the one-line message that refuses it.  */
const char *run_no_fork_unsupported (void);

/* NULL where the descriptor forms (portalock NUMBER, --fd NUMBER) work;
   else the one-line message that refuses them.  */
const char *run_fd_form_unsupported (void);

/* NULL where a directory can be locked; else why not, for the message
   "cannot lock directory DIR: WHY" (the lock file's open fails there).  */
const char *run_dir_unsupported (void);

/* Windows only: quote ARGV (N strings) into one command line that the
   child's C runtime (or CommandLineToArgvW) splits back into exactly
   ARGV.  Returns its length without the NUL, and writes at most SIZE
   bytes (NUL included) to BUF: call with SIZE 0 to learn the length.
   In run-quote.c, which builds on every platform so that its unit test
   runs everywhere.  */
size_t run_quote_argv (char *buf, size_t size, char *const *argv, size_t n);

#endif /* PORTALOCK_RUN_H */
