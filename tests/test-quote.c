/* test-quote.c - run_quote_argv (src/run-quote.c): the Windows command
   line that portalock(1) builds for the command it runs.  TAP, no Check,
   so that it runs in every build (under wine in a cross build too).
   Copyright (C) 2026 The portalock authors.

   This program is free software: you can redistribute it and/or modify
   it under the terms of the GNU General Public License as published by
   the Free Software Foundation; either version 3 of the License, or (at
   your option) any later version.  See COPYING.

   Each case checks the exact command line, and that splitting it again
   by the C runtime's rules (split() below, written from the rules, not
   from run-quote.c) gives back the arguments.  tool-win32.sh checks the
   same round trip through a real child process under wine.  */

#include <config.h>

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _WIN32
# include <fcntl.h>
# include <io.h>
#endif

/* The function under test, compiled in here: it is part of the program,
   not of the library.  */
#include "run-quote.c"

#define MAX_ARGS 8

static int n, failed;

static void
ok (bool cond, const char *desc)
{
  printf ("%s %d - %s\n", cond ? "ok" : "not ok", ++n, desc);
  if (!cond)
    failed = 1;
}

/* Split LINE as msvcrt.dll's C runtime does (and CommandLineToArgvW,
   for these inputs): argv[0] up to the next quote if it starts with
   one, else to the next blank; then the backslash-and-quote rules.
   Returns the count; the strings are malloc'd.  */
static size_t
split (const char *line, char **out)
{
  size_t argc = 0;
  const char *p = line;
  char *buf = malloc (strlen (line) + 1), *b = buf;

  if (*p == '"')
    {
      for (p++; *p && *p != '"'; p++)
        *b++ = *p;
      if (*p == '"')
        p++;
    }
  else
    while (*p && *p != ' ' && *p != '\t')
      *b++ = *p++;
  *b = '\0';
  out[argc++] = strdup (buf);

  for (;;)
    {
      while (*p == ' ' || *p == '\t')
        p++;
      if (*p == '\0' || argc == MAX_ARGS)
        break;
      bool quoted = false;
      b = buf;
      while (*p && (quoted || (*p != ' ' && *p != '\t')))
        {
          size_t slashes = 0;
          while (*p == '\\')
            p++, slashes++;
          if (*p == '"')
            {
              for (size_t i = 0; i < slashes / 2; i++)
                *b++ = '\\';
              if (slashes % 2)
                *b++ = '"';
              else
                quoted = !quoted;
              p++;
            }
          else
            {
              for (size_t i = 0; i < slashes; i++)
                *b++ = '\\';
              if (*p && (quoted || (*p != ' ' && *p != '\t')))
                *b++ = *p++;
            }
        }
      *b = '\0';
      out[argc++] = strdup (buf);
    }
  free (buf);
  return argc;
}

/* ARGV (N strings) must quote to EXPECT and split back to itself.  */
static void
check (const char *desc, const char *expect, size_t argc, ...)
{
  char *argv[MAX_ARGS];
  va_list ap;
  va_start (ap, argc);
  for (size_t i = 0; i < argc; i++)
    argv[i] = va_arg (ap, char *);
  va_end (ap);

  size_t len = run_quote_argv (NULL, 0, argv, argc);
  char *line = malloc (len + 1);
  size_t len2 = run_quote_argv (line, len + 1, argv, argc);
  bool good = len2 == len && strlen (line) == len
              && strcmp (line, expect) == 0;
  if (!good)
    printf ("# got      <%s>\n# expected <%s>\n", line, expect);

  char *back[MAX_ARGS];
  size_t m = split (line, back);
  bool same = m == argc;
  for (size_t i = 0; i < m; i++)
    {
      if (same && strcmp (back[i], argv[i]) != 0)
        {
          printf ("# argument %lu came back as <%s>, not <%s>\n",
                  (unsigned long) i, back[i], argv[i]);
          same = false;
        }
      free (back[i]);
    }
  if (m != argc)
    printf ("# %lu arguments came back, not %lu\n", (unsigned long) m,
            (unsigned long) argc);
  free (line);
  char d[200];
  snprintf (d, sizeof d, "%s: quoted as expected", desc);
  ok (good, d);
  snprintf (d, sizeof d, "%s: splits back unchanged", desc);
  ok (same, d);
}

int
main (void)
{
#ifdef _WIN32
  /* LF, not CRLF: a CR would break the TAP plan line.  */
  _setmode (1, _O_BINARY);
#endif
  check ("plain words", "prog a bc", 3, "prog", "a", "bc");
  check ("a space", "prog \"a b\"", 2, "prog", "a b");
  check ("a tab", "prog \"a\tb\"", 2, "prog", "a\tb");
  check ("an empty argument", "prog \"\" x", 3, "prog", "", "x");
  check ("an embedded quote", "prog \"say \\\"hi\\\"\"", 2, "prog",
         "say \"hi\"");
  check ("a lone quote", "prog \"\\\"\"", 2, "prog", "\"");
  check ("backslashes not before a quote stay single",
         "prog C:\\dir\\file \"C:\\a b\\c\"", 3, "prog", "C:\\dir\\file",
         "C:\\a b\\c");
  check ("backslashes before a quote are doubled, plus one",
         "prog \"a\\\\\\\"b\"", 2, "prog", "a\\\"b");
  check ("trailing backslashes in quotes are doubled",
         "prog \"a b\\\\\\\\\"", 2, "prog", "a b\\\\");
  check ("a trailing backslash without blanks is left alone",
         "prog dir\\", 2, "prog", "dir\\");
  check ("a program name with a space is quoted, its backslashes not",
         "\"C:\\Program Files\\x.exe\" y", 2, "C:\\Program Files\\x.exe",
         "y");
  check ("an empty program name", "\"\"", 1, "");

  /* The bound: SIZE 0 writes nothing; a short buffer is cut and ends in
     NUL; the length is always the whole line's.  */
  char *argv[] = { (char *) "prog", (char *) "a b" };
  char small[6];
  memset (small, 'x', sizeof small);
  size_t len = run_quote_argv (small, sizeof small, argv, 2);
  ok (len == 10 && strcmp (small, "prog ") == 0,
      "a short buffer: cut, terminated, whole length returned");
  ok (run_quote_argv (NULL, 0, argv, 2) == 10, "size 0: only the length");

  printf ("1..%d\n", n);
  return failed;
}
