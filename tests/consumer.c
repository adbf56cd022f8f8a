/* consumer.c - `make installcheck': a program built against the
   INSTALLED library (with pkg-config) must lock.
   Copyright (C) 2026 The portalock authors.

   This program is free software: you can redistribute it and/or modify
   it under the terms of the GNU General Public License as published by
   the Free Software Foundation; either version 3 of the License, or (at
   your option) any later version.  See COPYING.

   Deliberately nothing from the build tree: no config.h, no test
   helpers, only <portalock.h> and what pkg-config says.  */

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <portalock.h>

static int
fail (const char *what, int rc)
{
  fprintf (stderr, "consumer: %s: %s (%s)\n", what, pl_strerror_name (rc),
           pl_strerror (rc));
  return EXIT_FAILURE;
}

int
main (int argc, char **argv)
{
  if (argc != 2)
    {
      fprintf (stderr, "usage: consumer FILE\n");
      return EXIT_FAILURE;
    }
  const char *v = pl_check_version (PORTALOCK_VERSION);
  if (v == NULL)
    {
      fprintf (stderr, "consumer: library %s older than header %s\n",
               pl_check_version (NULL), PORTALOCK_VERSION);
      return EXIT_FAILURE;
    }
  int fd1 = open (argv[1], O_RDWR | O_CREAT, 0644);
  int fd2 = open (argv[1], O_RDWR | O_CREAT, 0644);
  if (fd1 < 0 || fd2 < 0)
    {
      perror (argv[1]);
      return EXIT_FAILURE;
    }
  int rc = pl_lock (fd1, PL_LOCK_EX | PL_LOCK_NB);
  if (rc != 0)
    return fail ("lock", rc);
  rc = pl_lock (fd2, PL_LOCK_EX | PL_LOCK_NB);
  if (rc != PL_EBUSY)
    return fail ("second open file was not excluded", rc);
  rc = pl_unlock (fd1);
  if (rc != 0)
    return fail ("unlock", rc);
  rc = pl_lock (fd2, PL_LOCK_EX | PL_LOCK_NB);
  if (rc != 0)
    return fail ("lock after unlock", rc);
  if (pl_close (fd2) != 0 || pl_close (fd1) != 0)
    return fail ("close", PL_ESYSTEM);
  printf ("consumer: portalock %s, backend %s: locks\n", v, pl_backend ());
  return EXIT_SUCCESS;
}
