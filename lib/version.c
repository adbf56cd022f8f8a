/* version.c - run-time version check, as in libidn2.
   Copyright (C) 2026 The portalock authors.
   This file is part of portalock, under the GNU LGPL 2.1 or later.  */

#include <config.h>

#include <stdlib.h>

#include "portalock.h"

/* Parse "MAJOR.MINOR.PATCH" (missing parts are 0) into 0xMMmmpp; -1 if
   it is not a version string.  */
static long
version_number (const char *s)
{
  long n = 0;
  for (int part = 0; part < 3; part++)
    {
      char *end;
      long v = 0;
      if (*s)
        {
          if (*s < '0' || *s > '9')
            return -1;
          v = strtol (s, &end, 10);
          if (v > 255)
            return -1;
          s = end;
          if (*s == '.')
            s++;
          else if (*s)
            return -1;
        }
      n = n * 256 + v;
    }
  return n;
}

const char *
pl_check_version (const char *req_version)
{
  if (req_version == NULL)
    return PORTALOCK_VERSION;
  long req = version_number (req_version);
  if (req < 0 || req > PORTALOCK_VERSION_NUMBER)
    return NULL;
  return PORTALOCK_VERSION;
}
