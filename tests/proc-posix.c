/* proc-posix.c - tests/proc.h with fork and exec.
   Copyright (C) 2026 The portalock authors.

   This program is free software: you can redistribute it and/or modify
   it under the terms of the GNU General Public License as published by
   the Free Software Foundation; either version 3 of the License, or (at
   your option) any later version.  See COPYING.  */

#include <config.h>

#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

struct proc
{
  pid_t pid;
  int to_child;                 /* write end of the child's stdin, or -1 */
  FILE *from_child;             /* read end of the child's stdout */
};

/* A helper must see end of file on its input when the test closes it:
   so no other child may inherit the write end.  Every pipe end we keep
   is close-on-exec (pipe2 is not everywhere, and the tests start their
   children from one thread, so pipe + fcntl is enough).  */
static int
cloexec_pipe (int fds[2])
{
  if (pipe (fds) != 0)
    return -1;
  if (fcntl (fds[0], F_SETFD, FD_CLOEXEC) != 0
      || fcntl (fds[1], F_SETFD, FD_CLOEXEC) != 0)
    {
      close (fds[0]);
      close (fds[1]);
      return -1;
    }
  return 0;
}

/* A helper that died must not kill the test with SIGPIPE when the test
   writes to it: the write fails with EPIPE and the test reports that.  */
static void
ignore_sigpipe (void)
{
  signal (SIGPIPE, SIG_IGN);
}

/* In the child, between fork and exec: only async-signal-safe calls.  */
static void
exec_child (const char *program, char *const *argv, int in, int out,
            int inherit_fd)
{
  if ((in >= 0 && dup2 (in, STDIN_FILENO) < 0)
      || (out >= 0 && dup2 (out, STDOUT_FILENO) < 0))
    _exit (127);
  /* FD_CLOEXEC belongs to the descriptor, not to the open file, so
     clearing it here leaves the parent's copy as it was.  */
  if (inherit_fd >= 0 && fcntl (inherit_fd, F_SETFD, 0) != 0)
    _exit (127);
  if (strchr (program, '/'))
    execv (program, argv);
  else
    execvp (program, argv);
  static const char msg[] = "proc: exec failed\n";
  if (write (STDERR_FILENO, msg, sizeof msg - 1) < 0)
    _exit (127);
  _exit (127);
}

/* ARGV = PROGRAM, ARGS..., NULL, in a malloc'ed array.  */
static char **
make_argv (const char *program, const char *const *args)
{
  size_t n = 0;
  while (args && args[n])
    n++;
  char **argv = malloc ((n + 2) * sizeof *argv);
  if (argv == NULL)
    return NULL;
  argv[0] = (char *) program;
  for (size_t i = 0; i < n; i++)
    argv[i + 1] = (char *) args[i];
  argv[n + 1] = NULL;
  return argv;
}

struct proc *
proc_start (const char *program, const char *const *args, int inherit_fd)
{
  int in[2], out[2];
  ignore_sigpipe ();
  struct proc *p = malloc (sizeof *p);
  char **argv = make_argv (program, args);
  if (p == NULL || argv == NULL)
    goto fail_alloc;
  if (cloexec_pipe (in) != 0)
    goto fail_alloc;
  if (cloexec_pipe (out) != 0)
    goto fail_in;
  fflush (NULL);
  p->pid = fork ();
  if (p->pid < 0)
    goto fail_out;
  if (p->pid == 0)
    exec_child (program, argv, in[0], out[1], inherit_fd);
  close (in[0]);
  close (out[1]);
  p->to_child = in[1];
  p->from_child = fdopen (out[0], "r");
  if (p->from_child == NULL)
    {
      close (out[0]);
      proc_kill (p);
      proc_wait (p);
      p = NULL;
    }
  free (argv);
  return p;

 fail_out:
  close (out[0]);
  close (out[1]);
 fail_in:
  close (in[0]);
  close (in[1]);
 fail_alloc:
  fprintf (stderr, "proc: cannot start %s: %s\n", program, strerror (errno));
  free (argv);
  free (p);
  return NULL;
}

const char *
proc_helper_path (void)
{
  const char *h = getenv ("PL_HELPER");
  return h && *h ? h : "./pl-helper";
}

struct proc *
proc_helper (const char *const *args, int inherit_fd)
{
  return proc_start (proc_helper_path (), args, inherit_fd);
}

int
proc_read_line (struct proc *p, char *buf, size_t size)
{
  if (p->from_child == NULL || fgets (buf, (int) size, p->from_child) == NULL)
    return -1;
  buf[strcspn (buf, "\r\n")] = '\0';
  return 0;
}

int
proc_write_line (struct proc *p, const char *line)
{
  size_t len = strlen (line);
  char *buf = malloc (len + 1);
  if (buf == NULL || p->to_child < 0)
    {
      free (buf);
      return -1;
    }
  memcpy (buf, line, len);
  buf[len++] = '\n';
  size_t done = 0;
  while (done < len)
    {
      ssize_t n = write (p->to_child, buf + done, len - done);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          free (buf);
          return -1;
        }
      done += (size_t) n;
    }
  free (buf);
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
  if (p->to_child >= 0)
    close (p->to_child);
  p->to_child = -1;
}

int
proc_kill (struct proc *p)
{
  return kill (p->pid, SIGKILL);
}

static int
wait_status (pid_t pid)
{
  int status;
  pid_t r;
  do
    r = waitpid (pid, &status, 0);
  while (r < 0 && errno == EINTR);
  if (r != pid)
    return PROC_ERROR;
  if (WIFEXITED (status))
    return WEXITSTATUS (status);
  if (WIFSIGNALED (status))
    return WTERMSIG (status) == SIGKILL ? PROC_KILLED : -WTERMSIG (status);
  return PROC_ERROR;
}

int
proc_wait (struct proc *p)
{
  proc_close_input (p);
  if (p->from_child)
    fclose (p->from_child);
  int status = wait_status (p->pid);
  free (p);
  return status;
}

int
proc_run (const char *const *argv)
{
  fflush (NULL);
  pid_t pid = fork ();
  if (pid < 0)
    return PROC_ERROR;
  if (pid == 0)
    exec_child (argv[0], (char *const *) argv, -1, -1, -1);
  return wait_status (pid);
}
