/* fuzz-args.c - libFuzzer harness for portalock(1)'s command line.
   Copyright (C) 2026 The portalock authors.
   This file is part of portalock, under the GNU GPL 3 or later.

   The input, split at NUL bytes, is an argument vector (up to 64
   arguments after argv[0], each in a buffer of exactly its size).  The
   tool's own option parser, parse_options() in src/portalock.c, runs on
   it: this file includes portalock.c (and message.c, run-posix.c) with
   its main() renamed, and exit() turned into a longjmp back here, so that the usage errors,
   --help and --version (which print and exit) are covered in-process.
   A --backend or --fcntl choice is also applied (pl_set_backend(), then
   reset), as main() does.

   Not covered: the rest of main() (the positional arguments, -c after
   the file, opening and locking the file, running the command), because
   it acts on the system: it creates files named by the input and runs
   commands.  The numeric arguments are fuzzed on their own by
   fuzz-numbers.  libFuzzer's -close_fd_mask=3 keeps the tool's output
   quiet.  */

#include <config.h>

#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static jmp_buf exit_jump;
static int exit_status;

static _Noreturn void
fuzz_exit (int status)
{
  exit_status = status;
  longjmp (exit_jump, 1);
}

/* The tool's own files, with die()'s exit() caught too (message.c).  */
#define main portalock_main
#define exit fuzz_exit
#include "message.c"
#include "run-posix.c"
#include "portalock.c"
#undef exit
#undef main

enum { MAX_ARGS = 64 };

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  char *argv[MAX_ARGS + 2];
  int argc = 0;
  argv[argc++] = strdup ("portalock");
  size_t i = 0;
  while (i < size && argc <= MAX_ARGS)
    {
      size_t len = strnlen ((const char *) data + i, size - i);
      argv[argc] = malloc (len + 1);
      memcpy (argv[argc], data + i, len);
      argv[argc][len] = '\0';
      argc++;
      i += len + 1;
    }
  argv[argc] = NULL;

  /* parse_options() permutes nothing ("+" in its option string), but
     keep the pointers to free them whatever getopt does.  */
  char *owned[MAX_ARGS + 2];
  memcpy (owned, argv, sizeof owned);

  struct options o = { .mode = PL_LOCK_EX, .conflict_exit_code = 1 };
  optind = 0;                   /* a fresh getopt scan each time */
  opterr = 1;
  volatile bool parsed = false;
  if (setjmp (exit_jump) == 0)
    {
      parse_options (argc, argv, &o);
      parsed = true;
      if (o.backend)
        choose_backend (o.backend);
      /* What parse_options() promises main().  */
      if (o.mode != 0 && o.mode != PL_LOCK_SH && o.mode != PL_LOCK_EX)
        abort ();
      if (o.conflict_exit_code < 0 || o.conflict_exit_code > 255)
        abort ();
      if (o.have_timeout && !(o.timeout >= 0 && isfinite (o.timeout)))
        abort ();
      if (o.range && (o.start < 0 || o.length < 0))
        abort ();
      if (optind < 1 || optind > argc)
        abort ();
    }
  (void) parsed;
  pl_set_backend (NULL);
  for (int k = 0; k < argc; k++)
    free (owned[k]);
  return 0;
}
