/* run-quote.c - the Windows command line of an argument vector.
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

/* Trap: a Windows program gets ONE string, its command line, and its C
   runtime splits that into argv again (msvcrt.dll, the UCRT and
   CommandLineToArgvW agree on the rules below for everything but
   argv[0]).  _spawnvp() and CreateProcess() only join the arguments with
   spaces, so "a b" would arrive as two arguments and "" as none.  The
   rules, for every argument after the first:
     - whitespace (space, tab) ends an argument unless inside quotes;
     - a quote toggles "inside quotes" and is dropped;
     - 2n backslashes before a quote are n backslashes, and the quote
       toggles; 2n+1 backslashes before a quote are n backslashes and a
       literal quote;
     - backslashes not before a quote are literal.
   So an argument that needs it is written in quotes, each run of
   backslashes before a quote (or before the closing quote) doubled, and
   a quote inside escaped with one more backslash.

   Trap: argv[0] is split by other rules, the ones CreateProcess itself
   uses to find the program: it runs up to the next quote if it starts
   with one, else to the next blank, and backslashes are never escapes.
   So argv[0] is quoted if it holds a blank (or is empty) and otherwise
   left alone; a quote cannot be in a Windows file name, so a program
   name with one is not found whatever we do.

   Built on every platform, although only run-win32.c calls it, so that
   tests/test-quote.c checks it in every build.  */

#include <config.h>

#include "run.h"

#include <stdbool.h>
#include <string.h>

/* Output with a bound: counts every byte, stores those that fit.  */
struct out
{
  char *buf;
  size_t size, len;
};

static void
put (struct out *o, char c, size_t count)
{
  for (; count > 0; count--, o->len++)
    if (o->len + 1 < o->size)
      o->buf[o->len] = c;
}

static void
quote_program (struct out *o, const char *arg)
{
  bool q = *arg == '\0' || strpbrk (arg, " \t") != NULL;
  if (q)
    put (o, '"', 1);
  for (const char *p = arg; *p; p++)
    put (o, *p, 1);
  if (q)
    put (o, '"', 1);
}

static void
quote_arg (struct out *o, const char *arg)
{
  /* \n and \v: CommandLineToArgvW splits on them too (msvcrt does not);
     quoting them is harmless for both.  */
  if (*arg != '\0' && strpbrk (arg, " \t\n\v\"") == NULL)
    {
      for (const char *p = arg; *p; p++)
        put (o, *p, 1);
      return;
    }
  put (o, '"', 1);
  for (const char *p = arg;; p++)
    {
      size_t slashes = 0;
      while (*p == '\\')
        p++, slashes++;
      if (*p == '\0')
        {
          /* Before the closing quote: doubled, so that it still closes.  */
          put (o, '\\', 2 * slashes);
          break;
        }
      if (*p == '"')
        put (o, '\\', 2 * slashes + 1);
      else
        put (o, '\\', slashes);
      put (o, *p, 1);
    }
  put (o, '"', 1);
}

size_t
run_quote_argv (char *buf, size_t size, char *const *argv, size_t n)
{
  struct out o = { .buf = buf, .size = size, .len = 0 };
  for (size_t i = 0; i < n; i++)
    {
      if (i == 0)
        quote_program (&o, argv[0]);
      else
        {
          put (&o, ' ', 1);
          quote_arg (&o, argv[i]);
        }
    }
  if (size > 0)
    buf[o.len < size ? o.len : size - 1] = '\0';
  return o.len;
}
