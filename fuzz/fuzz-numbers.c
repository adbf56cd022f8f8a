/* fuzz-numbers.c - libFuzzer harness for portalock(1)'s number parsing
   (src/numbers.c): descriptors and exit codes, timeouts, byte counts.
   Copyright (C) 2026 The portalock authors.
   This file is part of portalock, under the GNU GPL 3 or later.

   The input, cut at its first NUL, is one argument (copied into a buffer
   of exactly its length, so that ASan sees any read past the end).
   Besides "no crash, no undefined behaviour", each parser's promise is
   checked: an accepted number is in range (int32; finite and not
   negative seconds; non-negative sizes, equal to strtoll's value when
   the argument is plain digits), and errno is 0 or ERANGE on refusal.  */

#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "numbers.h"

static void
check_errno (const char *what)
{
  if (errno != 0 && errno != ERANGE)
    {
      fprintf (stderr, "%s: refused with errno %d\n", what, errno);
      abort ();
    }
}

static bool
all_digits (const char *s)
{
  if (*s == '\0')
    return false;
  for (; *s; s++)
    if (!isdigit ((unsigned char) *s))
      return false;
  return true;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  size_t len = strnlen ((const char *) data, size);
  char *s = malloc (len + 1);
  if (s == NULL)
    return 0;
  memcpy (s, data, len);
  s[len] = '\0';

  int32_t i;
  errno = 0;
  if (parse_int32 (s, &i))
    {
      errno = 0;
      long long v = strtoll (s, NULL, 10);
      if (errno != 0 || v != i)
        {
          fprintf (stderr, "parse_int32 (\"%s\") = %d, strtoll %lld\n", s,
                   (int) i, v);
          abort ();
        }
    }
  else
    check_errno ("parse_int32");

  double d;
  errno = 0;
  if (parse_seconds (s, &d))
    {
      if (!isfinite (d) || d < 0)
        {
          fprintf (stderr, "parse_seconds (\"%s\") = %g\n", s, d);
          abort ();
        }
    }
  else
    check_errno ("parse_seconds");

  int64_t z;
  errno = 0;
  if (parse_size (s, &z))
    {
      if (z < 0)
        abort ();
      if (all_digits (s))
        {
          errno = 0;
          long long v = strtoll (s, NULL, 10);
          if (errno != 0 || v != z)
            {
              fprintf (stderr, "parse_size (\"%s\") = %lld, strtoll %lld\n",
                       s, (long long) z, v);
              abort ();
            }
        }
    }
  else
    check_errno ("parse_size");

  free (s);
  return 0;
}
