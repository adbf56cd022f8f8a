/* numbers.c - parsing the numeric arguments of portalock(1).
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

#include "numbers.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "xstrtod.h"

bool
parse_int32 (const char *str, int32_t *result)
{
  char *end;
  errno = 0;
  intmax_t v = strtoimax (str, &end, 10);
  if (end == str || *end != '\0')
    {
      errno = 0;
      return false;
    }
  if (errno == ERANGE || v < INT32_MIN || v > INT32_MAX)
    {
      errno = ERANGE;
      return false;
    }
  *result = v;
  return true;
}

bool
parse_seconds (const char *str, double *result)
{
  const char *end;
  double v;
  /* xstrtod fails on an empty number, trailing junk and overflow; NaN,
     infinity and negative values are ours to refuse: none is a
     duration (no -w at all is the way to wait without a limit).  */
  if (!xstrtod (str, &end, &v, strtod) || *end != '\0')
    {
      errno = (errno == ERANGE ? ERANGE : 0);
      return false;
    }
  if (isnan (v) || isinf (v) || v < 0 || signbit (v))
    {
      errno = 0;
      return false;
    }
  *result = v;
  return true;
}

/* The multiplier named by suffix S ("", "K", "KiB", "KB" ...), or 0.  */
static uint64_t
size_suffix (const char *s)
{
  static const char units[] = "KMGTPE";
  if (*s == '\0')
    return 1;
  const char *u = strchr (units, *s == 'k' ? 'K' : *s);
  if (u == NULL || *s == '\0')
    return 0;
  uint64_t base;
  if (strcmp (s + 1, "") == 0 || strcmp (s + 1, "iB") == 0)
    base = 1024;
  else if (strcmp (s + 1, "B") == 0)
    base = 1000;
  else
    return 0;
  uint64_t m = 1;
  for (const char *p = units; p <= u; p++)
    m *= base;
  return m;
}

bool
parse_size (const char *str, int64_t *result)
{
  const char *p = str;
  uint64_t v = 0;

  errno = 0;
  if (*p < '0' || *p > '9')
    return false;
  for (; *p >= '0' && *p <= '9'; p++)
    {
      if (v > (UINT64_MAX - (*p - '0')) / 10)
        {
          errno = ERANGE;
          return false;
        }
      v = v * 10 + (*p - '0');
    }
  uint64_t m = size_suffix (p);
  if (m == 0)
    return false;
  if (v > (uint64_t) INT64_MAX / m)
    {
      errno = ERANGE;
      return false;
    }
  *result = (int64_t) (v * m);
  return true;
}
