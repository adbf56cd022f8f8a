/* message.c - portalock(1)'s diagnostics, shared by its source files.
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

#include "message.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Messages start with the short program name, as util-linux's warnx()
   does with program_invocation_short_name.  */
const char *short_name = "portalock";

void
set_short_name (const char *argv0)
{
  const char *base = argv0;
  for (const char *p = argv0; *p; p++)
    if (*p == '/')
      base = p + 1;
#ifdef _WIN32
  /* Trap: the C runtime gives argv[0] as the command line had it, often
     a full "C:\dir\portalock.exe" (wine always does).  Messages say
     "portalock:" on every platform, so that scripts and the tests can
     match them: strip the directory, either separator, and ".exe".  */
  for (const char *p = base; *p; p++)
    if (*p == '\\' || *p == ':')
      base = p + 1;
  size_t len = strlen (base);
  if (len > 4 && _stricmp (base + len - 4, ".exe") == 0)
    {
      char *s = strdup (base);
      if (s)
        {
          s[len - 4] = '\0';
          base = s;
        }
    }
#endif
  short_name = base;
}

static void
vmessage (const char *fmt, va_list ap)
{
  fflush (stdout);
  fprintf (stderr, "%s: ", short_name);
  vfprintf (stderr, fmt, ap);
  fputc ('\n', stderr);
}

void
warnx (const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  vmessage (fmt, ap);
  va_end (ap);
}

_Noreturn void
die (int status, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  vmessage (fmt, ap);
  va_end (ap);
  exit (status);
}
