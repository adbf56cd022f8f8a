/* pl-helper.c - the second lock owner of the tests: a separate process.
   Copyright (C) 2026 The portalock authors.

   This program is free software: you can redistribute it and/or modify
   it under the terms of the GNU General Public License as published by
   the Free Software Foundation; either version 3 of the License, or (at
   your option) any later version.  See COPYING.

   Usage (MODE is sh, ex, sh-nb or ex-nb; START LEN make it a byte range):
     pl-helper try PATH MODE [START LEN]
         open PATH, lock without sleeping, exit: 0 acquired, 1 busy
         (PL_EBUSY), 2 any other error.
     pl-helper hold PATH MODE [START LEN]
         print "waiting", lock (sleeping unless -nb), print "held", then
         wait for a line or the end of standard input and exit 0.
     pl-helper with PATH MODE COMMAND [ARG...]
         lock, run COMMAND, exit with its status (as flock(1) does).
     pl-helper rw PATH
         write "helper" at offset 100 of PATH through its own open file,
         read it back; exit 0 if both worked.
     pl-helper serve
         read commands from standard input, answer each with one line,
         "ok" or the error's name (PL_EBUSY ...):
           open PATH | fd N (an inherited descriptor) | lock MODE [START LEN]
           | unlock [START LEN] | close | exit
   It uses the backend that PORTALOCK_BACKEND names, like any program
   linked with libportalock, and refuses to run (exit 2) if the library
   picked another one: a test must never test the wrong backend.  */

#include <config.h>

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "portalock.h"
#include "proc.h"
#include "testutil.h"

struct request
{
  int flags;
  bool range;
  int64_t start, len;
};

static bool
parse_mode (const char *s, int *flags)
{
  static const struct
  {
    const char *name;
    int flags;
  } modes[] = {
    { "sh", PL_LOCK_SH }, { "ex", PL_LOCK_EX },
    { "sh-nb", PL_LOCK_SH | PL_LOCK_NB }, { "ex-nb", PL_LOCK_EX | PL_LOCK_NB },
  };
  for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++)
    if (strcmp (s, modes[i].name) == 0)
      {
        *flags = modes[i].flags;
        return true;
      }
  return false;
}

static bool
parse_i64 (const char *s, int64_t *v)
{
  char *end;
  if (s == NULL || *s == '\0')
    return false;
  *v = strtoimax (s, &end, 10);
  return *end == '\0';
}

/* MODE [START LEN] from ARGV (N of them).  */
static bool
parse_request (char **argv, int n, struct request *rq)
{
  *rq = (struct request) { .range = false };
  if (n != 1 && n != 3)
    return false;
  if (!parse_mode (argv[0], &rq->flags))
    return false;
  if (n == 3)
    {
      rq->range = true;
      return parse_i64 (argv[1], &rq->start) && parse_i64 (argv[2], &rq->len);
    }
  return true;
}

static int
do_lock (int fd, const struct request *rq)
{
  return rq->range ? pl_lock_range (fd, rq->flags, rq->start, rq->len)
                   : pl_lock (fd, rq->flags);
}

static int
exit_code (int rc)
{
  if (rc == 0)
    return HELPER_OK;
  if (rc == PL_EBUSY)
    return HELPER_BUSY;
  fprintf (stderr, "pl-helper: %s (%s), os error %d\n",
           pl_strerror (rc), pl_strerror_name (rc), pl_os_error ());
  return HELPER_ERROR;
}

static int
open_or_die (const char *path)
{
  int fd = test_open (path);
  if (fd < 0)
    {
      perror (path);
      exit (HELPER_ERROR);
    }
  return fd;
}

static void
say (const char *line)
{
  printf ("%s\n", line);
  fflush (stdout);
}

static int
cmd_try (char **argv, int n)
{
  struct request rq;
  if (n < 2 || !parse_request (argv + 1, n - 1, &rq))
    return HELPER_USAGE;
  rq.flags |= PL_LOCK_NB;
  return exit_code (do_lock (open_or_die (argv[0]), &rq));
}

static int
cmd_hold (char **argv, int n)
{
  struct request rq;
  if (n < 2 || !parse_request (argv + 1, n - 1, &rq))
    return HELPER_USAGE;
  int fd = open_or_die (argv[0]);
  say ("waiting");
  int rc = do_lock (fd, &rq);
  if (rc != 0)
    return exit_code (rc);
  say ("held");
  /* A line or the end of input (the test closed the pipe, or died): in
     both cases exit, which releases the lock.  */
  char line[64];
  char *r = fgets (line, sizeof line, stdin);
  (void) r;
  return HELPER_OK;
}

static int
cmd_with (char **argv, int n)
{
  struct request rq;
  if (n < 3 || !parse_request (argv + 1, 1, &rq))
    return HELPER_USAGE;
  int rc = do_lock (open_or_die (argv[0]), &rq);
  if (rc != 0)
    return exit_code (rc);
  int status = proc_run ((const char *const *) argv + 2);
  return status >= 0 ? status : status == PROC_ERROR ? 127 : 128 - status;
}

static int
cmd_rw (char **argv, int n)
{
  static const char data[] = "helper";
  char back[sizeof data];
  if (n != 1)
    return HELPER_USAGE;
  int fd = open_or_die (argv[0]);
  if (!test_pwrite (fd, data, sizeof data, 100)
      || !test_pread (fd, back, sizeof back, 100)
      || memcmp (data, back, sizeof data) != 0)
    {
      perror ("pl-helper rw");
      return HELPER_ERROR;
    }
  return HELPER_OK;
}

/* One serve command, split into words; the answer in a line.  */
static const char *
serve_one (char **w, int n, int *fd, bool *done)
{
  struct request rq;
  int rc;
  if (n == 0)
    return "usage";
  if (strcmp (w[0], "exit") == 0)
    {
      *done = true;
      return "ok";
    }
  if (strcmp (w[0], "open") == 0 && n == 2)
    {
      *fd = test_open (w[1]);
      return *fd >= 0 ? "ok" : "error";
    }
  if (strcmp (w[0], "fd") == 0 && n == 2)
    {
      *fd = atoi (w[1]);
      return "ok";
    }
  if (strcmp (w[0], "lock") == 0 && parse_request (w + 1, n - 1, &rq))
    rc = do_lock (*fd, &rq);
  else if (strcmp (w[0], "unlock") == 0 && n == 1)
    rc = pl_unlock (*fd);
  else if (strcmp (w[0], "unlock") == 0 && n == 3
           && parse_i64 (w[1], &rq.start) && parse_i64 (w[2], &rq.len))
    rc = pl_unlock_range (*fd, rq.start, rq.len);
  else if (strcmp (w[0], "close") == 0 && n == 1)
    {
      rc = pl_close (*fd);
      *fd = -1;
    }
  else
    return "usage";
  return rc == 0 ? "ok" : pl_strerror_name (rc);
}

static int
cmd_serve (void)
{
  char line[4096];
  int fd = -1;
  bool done = false;
  while (!done && fgets (line, sizeof line, stdin))
    {
      char *w[8];
      int n = 0;
      for (char *t = strtok (line, " \t\r\n"); t && n < 8;
           t = strtok (NULL, " \t\r\n"))
        w[n++] = t;
      say (serve_one (w, n, &fd, &done));
    }
  return HELPER_OK;
}

/* A misconfigured run must fail, not silently test the default.  */
static bool
backend_as_asked (void)
{
  const char *want = getenv ("PORTALOCK_BACKEND");
  if (want == NULL || *want == '\0' || strcmp (want, "auto") == 0)
    return true;
  if (strcmp (pl_backend (), want) == 0)
    return true;
  fprintf (stderr, "pl-helper: PORTALOCK_BACKEND=%s but the library uses %s\n",
           want, pl_backend ());
  return false;
}

int
main (int argc, char **argv)
{
  if (argc < 2)
    {
      fprintf (stderr, "usage: pl-helper try|hold|with|rw|serve ARGS...\n");
      return HELPER_USAGE;
    }
  if (!backend_as_asked ())
    return HELPER_ERROR;
  const char *cmd = argv[1];
  char **args = argv + 2;
  int n = argc - 2;
  int status = HELPER_USAGE;
  if (strcmp (cmd, "try") == 0)
    status = cmd_try (args, n);
  else if (strcmp (cmd, "hold") == 0)
    status = cmd_hold (args, n);
  else if (strcmp (cmd, "with") == 0)
    status = cmd_with (args, n);
  else if (strcmp (cmd, "rw") == 0)
    status = cmd_rw (args, n);
  else if (strcmp (cmd, "serve") == 0)
    status = cmd_serve ();
  if (status == HELPER_USAGE)
    fprintf (stderr, "pl-helper: bad arguments for %s\n", cmd);
  return status;
}
