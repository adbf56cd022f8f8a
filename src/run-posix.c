/* run-posix.c - running the command under the lock: fork, execvp,
   waitpid, and `$SHELL -c' for -c, as util-linux flock(1) does.
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

#include <config.h>

#include "run.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

#include "message.h"

/* Run the command holding the lock on R->fd: in a child (the exit status
   is the child's, or 128 + the signal that killed it), or with -F in this
   process.  The child inherits the locked descriptor unless -o: flock
   and OFD locks are then shared with it.  */
int
run_command (const struct run_request *r)
{
  char **cmd_argv = r->argv;
  char *sh_argv[4];
  if (r->shell_command)
    {
      /* As util-linux: the user's $SHELL, else /bin/sh.  */
      sh_argv[0] = getenv ("SHELL");
      if (sh_argv[0] == NULL || *sh_argv[0] == '\0')
        sh_argv[0] = (char *) "/bin/sh";
      sh_argv[1] = (char *) "-c";
      sh_argv[2] = (char *) r->shell_command;
      sh_argv[3] = NULL;
      cmd_argv = sh_argv;
    }

  /* Clear an inherited SIGCHLD disposition: SIG_IGN would make waitpid
     fail.  */
  signal (SIGCHLD, SIG_DFL);
  if (r->verbose)
    printf ("%s: executing %s\n", short_name, cmd_argv[0]);
  /* Differs: util-linux does not flush here, so with stdout a pipe its
     --verbose lines come after the command's output, or never (-F).  */
  fflush (stdout);

  pid_t pid = r->no_fork ? 0 : fork ();
  if (pid < 0)
    die (EX_OSERR, "fork failed: %s", strerror (errno));
  if (pid == 0)
    {
      if (r->close_fd)
        close (r->fd);
      execvp (cmd_argv[0], cmd_argv);
      int err = errno;
      warnx ("failed to execute %s: %s", cmd_argv[0], strerror (err));
      _exit (err == ENOMEM ? EX_OSERR : EX_UNAVAILABLE);
    }

  int status;
  pid_t w;
  while ((w = waitpid (pid, &status, 0)) != pid)
    if (w == -1 && errno != EINTR)
      {
        warnx ("waitpid failed: %s", strerror (errno));
        return EXIT_FAILURE;
      }
  if (WIFEXITED (status))
    return WEXITSTATUS (status);
  if (WIFSIGNALED (status))
    return 128 + WTERMSIG (status);
  return EX_OSERR;
}

const char *
run_no_fork_unsupported (void)
{
  return NULL;
}

const char *
run_fd_form_unsupported (void)
{
  return NULL;
}

const char *
run_dir_unsupported (void)
{
  return NULL;
}
