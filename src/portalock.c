/* portalock.c - manage file locks from shell scripts: a drop-in
   replacement for util-linux flock(1), on libportalock.
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

/* Compatibility is with util-linux flock(1) 2.38 to 2.41: the same
   options, exit codes (<sysexits.h>), messages and --verbose lines, in
   the same words and on the same streams, so that scripts parsing them
   keep working.  The differences, each deliberate, are listed in
   portalock(1) under COMPATIBILITY and marked "Differs:" below.

   Start-up cost matters (P7 in PERFORMANCE.md: `portalock FILE true'
   within 5% of `flock FILE true'): no setlocale() (the tool has no
   message catalogue), no backend probing beyond the one the lock call
   itself makes, and the library linked in statically (see
   src/Makefile.am).  */

#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "closeout.h"
#include "progname.h"
#include "version-etc.h"

#include "portalock.h"
#include "message.h"
#include "numbers.h"
#include "run.h"

#ifndef O_NOCTTY
# define O_NOCTTY 0
#endif

/* version-etc-fsf would claim the FSF's copyright, and version-etc's
   year is gnulib's, not ours.  Defining the string here keeps
   version-etc-fsf.o out of the link; the year argument that follows
   "(C)" is left unused, which printf allows.  (Not "%1$s": msvcrt.dll's
   printf has no positional arguments and would print it as it is.)  */
const char version_etc_copyright[] =
  "Copyright %s 2026 The portalock authors.";

static _Noreturn void
try_help (void)
{
  fprintf (stderr, "Try '%s --help' for more information.\n", short_name);
  exit (EX_USAGE);
}

static _Noreturn void
usage (void)
{
  /* Not "%1$s": msvcrt.dll's printf has no positional arguments.  */
  const char *n = short_name;
  printf ("\nUsage:\n"
          " %s [options] <file>|<directory> <command> [<argument>...]\n"
          " %s [options] <file>|<directory> -c <command>\n"
          " %s [options] <file descriptor number>\n"
          " %s [options] --fd <number> [<command> [<argument>...]]\n"
          " %s [options] --who <file>|<directory>\n"
          " %s --list-backends\n", n, n, n, n, n, n);
  fputs ("\nManage file locks from shell scripts.\n", stdout);
  fputs ("\nOptions:\n"
" -s, --shared             get a shared lock\n"
" -x, --exclusive          get an exclusive lock (default)\n"
" -u, --unlock             remove a lock\n"
" -n, --nonblock           fail rather than wait\n"
" -w, --timeout <secs>     wait for a limited amount of time\n"
" -E, --conflict-exit-code <number>  exit code after conflict or timeout\n"
" -o, --close              close file descriptor before running command\n"
" -c, --command <command>  run a single command string through the shell\n"
" -F, --no-fork            execute command without forking\n"
"     --fcntl              use fcntl(F_OFD_SETLK) rather than flock()\n"
"     --start <offset>     starting offset for lock (implies --fcntl)\n"
"     --length <number>    number of bytes to lock (implies --fcntl)\n"
"     --verbose            increase verbosity\n"
"\n"
"     --fd <number>        lock this open file descriptor\n"
"     --backend <name>     lock with this portalock backend\n"
"     --list-backends      list the backends that work here, and exit\n"
"     --who <file>         print the pid of the lock's holder, and exit\n"
"\n"
" -h, --help               display this help\n"
" -V, --version            display version\n", stdout);
  printf ("\nFor more details see %s(1).\n", "portalock");
  /* Not emit_bug_reporting_address(): portalock is no GNU package and
     has no home page URL.  */
  printf ("\nReport bugs to: <%s>\n", PACKAGE_BUGREPORT);
  exit (EXIT_SUCCESS);
}

/* What the command line asks for.  */
struct options
{
  int mode;                     /* PL_LOCK_SH, PL_LOCK_EX, or 0: unlock */
  bool nonblock;
  bool have_timeout;
  double timeout;
  int conflict_exit_code;
  bool close_fd;                /* -o */
  bool no_fork;                 /* -F */
  bool verbose;
  const char *backend;          /* --backend, --fcntl; NULL: automatic */
  bool range;                   /* --start or --length given */
  int64_t start, length;
  bool have_fd;                 /* --fd */
  int fd;
  const char *command;          /* -c before the file, or with --fd */
  const char *who;              /* --who FILE */
  bool list_backends;
};

enum
{
  OPT_VERBOSE = CHAR_MAX + 1,
  OPT_FCNTL,
  OPT_START,
  OPT_LENGTH,
  OPT_FD,
  OPT_BACKEND,
  OPT_LIST_BACKENDS,
  OPT_WHO
};

static const struct option long_options[] = {
  { "shared", no_argument, NULL, 's' },
  { "exclusive", no_argument, NULL, 'x' },
  { "unlock", no_argument, NULL, 'u' },
  { "nonblocking", no_argument, NULL, 'n' },
  { "nonblock", no_argument, NULL, 'n' },
  { "nb", no_argument, NULL, 'n' },
  { "timeout", required_argument, NULL, 'w' },
  { "wait", required_argument, NULL, 'w' },
  { "conflict-exit-code", required_argument, NULL, 'E' },
  { "close", no_argument, NULL, 'o' },
  { "command", required_argument, NULL, 'c' },
  { "no-fork", no_argument, NULL, 'F' },
  { "verbose", no_argument, NULL, OPT_VERBOSE },
  { "fcntl", no_argument, NULL, OPT_FCNTL },
  { "start", required_argument, NULL, OPT_START },
  { "length", required_argument, NULL, OPT_LENGTH },
  { "fd", required_argument, NULL, OPT_FD },
  { "backend", required_argument, NULL, OPT_BACKEND },
  { "list-backends", no_argument, NULL, OPT_LIST_BACKENDS },
  { "who", required_argument, NULL, OPT_WHO },
  { "help", no_argument, NULL, 'h' },
  { "version", no_argument, NULL, 'V' },
  { NULL, 0, NULL, 0 }
};

/* util-linux's "<what>: '<arg>'" for a number it cannot read, with the
   strerror() text added when the number was only too large.  */
static _Noreturn void
bad_number (const char *what, const char *arg)
{
  if (errno == ERANGE)
    die (EX_USAGE, "%s: '%s': %s", what, arg, strerror (ERANGE));
  die (EX_USAGE, "%s: '%s'", what, arg);
}

static int32_t
int32_arg (const char *arg, const char *what)
{
  int32_t v;
  if (!parse_int32 (arg, &v))
    bad_number (what, arg);
  return v;
}

static int64_t
size_arg (const char *arg, const char *what)
{
  int64_t v;
  if (!parse_size (arg, &v))
    bad_number (what, arg);
  return v;
}

static void
parse_options (int argc, char **argv, struct options *o)
{
  int c;
  while ((c = getopt_long (argc, argv, "+sexnoFuw:E:c:hV", long_options,
                           NULL)) != -1)
    switch (c)
      {
      case 's':
        o->mode = PL_LOCK_SH;
        break;
      case 'e':
      case 'x':
        o->mode = PL_LOCK_EX;
        break;
      case 'u':
        o->mode = 0;
        break;
      case 'n':
        o->nonblock = true;
        break;
      case 'o':
        o->close_fd = true;
        break;
      case 'c':
        /* util-linux knows -c only after the file; before it (needed
           with --fd) is an extension.  */
        o->command = optarg;
        break;
      case 'F':
        o->no_fork = true;
        break;
      case 'w':
        /* Differs: util-linux takes a negative, infinite or NaN timeout
           and then fails to arm its timer (exit 71); here each is a
           usage error.  */
        if (!parse_seconds (optarg, &o->timeout))
          bad_number ("invalid timeout value", optarg);
        o->have_timeout = true;
        break;
      case 'E':
        o->conflict_exit_code = int32_arg (optarg, "invalid exit code");
        if (o->conflict_exit_code < 0 || o->conflict_exit_code > 255)
          die (EX_USAGE, "exit code out of range (expected 0 to 255)");
        break;
      case OPT_VERBOSE:
        o->verbose = true;
        break;
      case OPT_FCNTL:
        o->backend = "ofd";
        break;
      case OPT_START:
        o->start = size_arg (optarg, "invalid as start offset");
        o->range = true;
        break;
      case OPT_LENGTH:
        o->length = size_arg (optarg, "invalid as length of lock range");
        o->range = true;
        break;
      case OPT_FD:
        o->fd = int32_arg (optarg, "bad file descriptor");
        o->have_fd = true;
        break;
      case OPT_BACKEND:
        o->backend = optarg;
        break;
      case OPT_LIST_BACKENDS:
        o->list_backends = true;
        break;
      case OPT_WHO:
        o->who = optarg;
        break;
      case 'V':
        version_etc (stdout, "portalock", PACKAGE_NAME, PACKAGE_VERSION,
                     "the portalock authors", (char *) NULL);
        exit (EXIT_SUCCESS);
      case 'h':
        usage ();
      default:
        try_help ();
      }
}

/* --backend NAME, or --fcntl: "ofd".  */
static void
choose_backend (const char *name)
{
  if (pl_set_backend (name) == 0)
    return;
  if (pl_backend_features (name) == 0)
    die (EX_USAGE, "unknown backend '%s' (see --list-backends)", name);
  die (EX_UNAVAILABLE, "backend '%s' does not work on this system", name);
}

/* The backend that will take the lock: the whole-file one, or for
   --start/--length the byte-range one.  Asking is the probe the first
   lock would make anyway, so it costs nothing extra.  */
static const char *
lock_backend (const struct options *o)
{
  return o->range ? pl_range_backend () : pl_backend ();
}

/* fcntl-based locks need a descriptor open for writing to take an
   exclusive lock (F_WRLCK), and lockf locks are always exclusive; flock
   locks need no particular access.  util-linux opens O_WRONLY for an
   exclusive --fcntl lock and O_RDONLY otherwise: the same here, by
   backend.  */
static int
open_access (const struct options *o)
{
  unsigned f = pl_backend_features (lock_backend (o));
  if (f & PL_FEATURE_FLOCK_COMPAT || o->mode == 0)
    return O_RDONLY;
  if (o->mode == PL_LOCK_EX || !(f & PL_FEATURE_SHARED))
    return O_WRONLY;
  return O_RDONLY;
}

/* Where directories cannot be locked (Windows), exit with a message
   that says so when NAME, which failed to open, is one.  */
static void
refuse_directory (const char *name)
{
  const char *why = run_dir_unsupported ();
  struct stat st;
  if (why && stat (name, &st) == 0 && S_ISDIR (st.st_mode))
    die (EX_NOINPUT, "cannot lock directory %s: %s", name, why);
}

/* Open (creating it 0666 & ~umask if need be) the lock file, as
   util-linux does, and with its exit codes.  *ACC_MODE is the access mode
   asked for, on return the one obtained.  */
static int
open_lock_file (const char *name, int *acc_mode)
{
  int fd = open (name, *acc_mode | O_NOCTTY | O_CREAT, 0666);
  /* Linux refuses O_CREAT on a directory (EISDIR) even though it would
     be a no-op, and POSIX allows only O_RDONLY for one: so a directory
     is opened read-only.  */
  if (fd < 0 && errno == EISDIR)
    {
      *acc_mode = O_RDONLY;
      fd = open (name, O_RDONLY | O_NOCTTY);
    }
  if (fd < 0)
    {
      int err = errno;
      refuse_directory (name);
      warnx ("cannot open lock file %s: %s", name, strerror (err));
      if (err == ENOMEM || err == EMFILE || err == ENFILE)
        exit (EX_OSERR);
      if (err == EROFS || err == ENOSPC)
        exit (EX_CANTCREAT);
      exit (EX_NOINPUT);
    }
  return fd;
}

static double
seconds_since (const struct timespec *t0)
{
  struct timespec t1;
  clock_gettime (CLOCK_MONOTONIC, &t1);
  return (t1.tv_sec - t0->tv_sec) + (t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Timeouts too long to matter (util-linux cannot arm a timer for them
   and fails) are a plain blocking wait here: 100 years.  */
#define FOREVER (100.0 * 365 * 24 * 3600)

/* One lock (or unlock) call, as the options ask.  */
static int
lock_once (int fd, const struct options *o)
{
  if (o->mode == 0)
    return o->range ? pl_unlock_range (fd, o->start, o->length)
                    : pl_unlock (fd);

  int flags = o->mode;
  bool timed = o->have_timeout && !o->nonblock && o->timeout < FOREVER;
  /* -w 0 means -n (util-linux: a zero itimer would be no timer).  */
  if (o->nonblock || (o->have_timeout && o->timeout == 0))
    {
      flags |= PL_LOCK_NB;
      timed = false;
    }
  /* The library's timed acquire, not flock(1)'s SIGALRM: the library
     retries EINTR, and its wait hands over at kernel speed.  */
  if (timed)
    return o->range ? pl_lock_range_timed (fd, flags, o->start, o->length,
                                           o->timeout)
                    : pl_lock_timed (fd, flags, o->timeout);
  return o->range ? pl_lock_range (fd, flags, o->start, o->length)
                  : pl_lock (fd, flags);
}

/* The OS error behind library failure RC, as an errno for messages and
   exit codes; the library's own refusals (0) map to the nearest one.  */
static int
failure_errno (int rc)
{
  int err = pl_os_error ();
  if (err != 0)
    return err;
  switch (rc)
    {
    case PL_EBADF:
      return EBADF;
    case PL_ENOLCK:
      return ENOLCK;
    case PL_ENOMEM:
      return ENOMEM;
    case PL_ENOTSUP:
      return ENOTSUP;
    default:
      return EINVAL;
    }
}

/* Take the lock on FD (NAME the file it was opened from, or NULL),
   reopening read-write once where util-linux does; returns the
   descriptor that holds it.  Exits on failure with util-linux's codes.  */
static int
take_lock (int fd, const char *name, int acc_mode, const struct options *o)
{
  struct timespec t0;
  if (o->verbose)
    clock_gettime (CLOCK_MONOTONIC, &t0);

  for (;;)
    {
      int rc = lock_once (fd, o);
      if (rc == 0)
        break;
      if (rc == PL_EBUSY || rc == PL_ETIMEDOUT)
        {
          if (o->verbose)
            warnx (rc == PL_EBUSY ? "failed to get lock"
                                  : "timeout while waiting to get lock");
          exit (o->conflict_exit_code);
        }
      int err = failure_errno (rc);
      /* Trap: where flock() is emulated with fcntl() (NFSv4, and Linux
         since 3.4 says EBADF), an exclusive lock needs write access.
         util-linux then reopens the file read-write, once, if the user
         may; so do we.  A directory reopens read-only again and fails
         with EBADF, as in util-linux.  */
      if ((err == EBADF || err == EIO) && acc_mode != O_RDWR
          && o->mode != PL_LOCK_SH && name != NULL
          && access (name, R_OK | W_OK) == 0)
        {
          pl_close (fd);
          acc_mode = O_RDWR;
          fd = open_lock_file (name, &acc_mode);
          if (acc_mode == O_RDWR)
            continue;
        }
      if (name)
        warnx ("%s: %s", name, strerror (err));
      else
        warnx ("%d: %s", fd, strerror (err));
      exit (err == ENOLCK || err == ENOMEM ? EX_OSERR : EX_DATAERR);
    }

  if (o->verbose)
    {
      double dt = seconds_since (&t0);
      printf ("%s: getting lock took %" PRId64 ".%06" PRId64 " seconds\n",
              short_name, (int64_t) dt, (int64_t) ((dt - (int64_t) dt)
                                                   * 1e6));
    }
  return fd;
}

/* --list-backends: one line per backend that works here, best first,
   with the ones in use marked and the features that tell them apart.  */
static int
list_backends (void)
{
  static const struct
  {
    unsigned bit;
    const char *name;
  } features[] = {
    { PL_FEATURE_SHARED, "shared" },
    { PL_FEATURE_RANGE, "range" },
    { PL_FEATURE_FORK_SHARED, "fork-shared" },
    { PL_FEATURE_FLOCK_COMPAT, "flock-compatible" },
    { PL_FEATURE_EMULATED, "emulated" },
  };
  const char *whole = pl_backend ();
  const char *range = pl_range_backend ();

  for (const char *const *b = pl_backends (); *b; b++)
    {
      unsigned f = pl_backend_features (*b);
      char mark[32] = "";
      if (strcmp (*b, whole) == 0)
        strcat (mark, "*whole");
      if (strcmp (*b, range) == 0)
        strcat (mark, *mark ? ",range" : "*range");
      printf ("%-7s %-14s", *b, mark);
      const char *sep = "";
      for (size_t i = 0; i < sizeof features / sizeof features[0]; i++)
        if (f & features[i].bit)
          {
            printf ("%s%s", sep, features[i].name);
            sep = " ";
          }
      putchar ('\n');
    }
  return EXIT_SUCCESS;
}

/* --who FILE: print the pid of a holder of a lock that would conflict
   with the lock the options describe.  Exit 0 if the lock is held (pid,
   or "unknown" where the backend cannot tell), 1 if it is free.  */
static int
who_holds (const char *name, const struct options *o)
{
  if (o->range)
    die (EX_USAGE, "--who does not take --start or --length");
  /* Never create the file: asking must not change anything.  */
  int fd = open (name, O_RDONLY | O_NOCTTY);
  if (fd < 0)
    {
      int err = errno;
      refuse_directory (name);
      warnx ("cannot open lock file %s: %s", name, strerror (err));
      exit (err == ENOMEM || err == EMFILE || err == ENFILE
            ? EX_OSERR : EX_NOINPUT);
    }
  int64_t pid;
  int rc = pl_who (fd, o->mode ? o->mode : PL_LOCK_EX, &pid);
  if (rc != 0)
    {
      int err = failure_errno (rc);
      warnx ("%s: %s", name, rc == PL_ENOTSUP ? pl_strerror (rc)
                                              : strerror (err));
      exit (err == ENOLCK || err == ENOMEM ? EX_OSERR : EX_DATAERR);
    }
  pl_close (fd);
  if (pid == 0)
    {
      if (o->verbose)
        warnx ("%s: not locked", name);
      return EXIT_FAILURE;
    }
  if (pid > 0)
    printf ("%" PRId64 "\n", pid);
  else
    puts ("unknown");
  return EXIT_SUCCESS;
}

int
main (int argc, char **argv)
{
  struct options o = {
    .mode = PL_LOCK_EX,
    .conflict_exit_code = 1,
  };
  const char *name = NULL;
  int fd;

  set_short_name (argv[0]);
  set_program_name (short_name);
  atexit (close_stdout);

  if (argc < 2)
    {
      warnx ("not enough arguments");
      try_help ();
    }
  parse_options (argc, argv, &o);

  if (o.no_fork && o.close_fd)
    die (EX_USAGE, "the --no-fork and --close options are incompatible");
  const char *why;
  if (o.no_fork && (why = run_no_fork_unsupported ()))
    die (EX_USAGE, "%s", why);
  if (o.backend)
    choose_backend (o.backend);
  if (o.list_backends)
    return list_backends ();
  if (o.who)
    {
      if (optind < argc)
        die (EX_USAGE, "--who takes no other argument: '%s'", argv[optind]);
      return who_holds (o.who, &o);
    }
  if (o.range && !(pl_backend_features (pl_range_backend ())
                   & PL_FEATURE_RANGE))
    die (EX_USAGE, "backend '%s' cannot lock byte ranges",
         pl_range_backend ());

  /* What remains: [FILE] [COMMAND [ARG...] | -c COMMAND], FILE absent
     with --fd.  */
  int first_cmd = o.have_fd ? optind : optind + 1;
  if (o.command && first_cmd < argc)
    die (EX_USAGE, "-c requires exactly one command argument");
  if (!o.command && first_cmd < argc
      && (strcmp (argv[first_cmd], "-c") == 0
          || strcmp (argv[first_cmd], "--command") == 0))
    {
      if (argc != first_cmd + 2)
        die (EX_USAGE, "%s requires exactly one command argument",
             argv[first_cmd]);
      o.command = argv[first_cmd + 1];
    }
  bool have_command = o.command || first_cmd < argc;
  int acc_mode = O_RDONLY;
  if (o.have_fd)
    fd = o.fd;
  else if (have_command && optind < argc)
    {
      name = argv[optind];
      acc_mode = open_access (&o);
      fd = open_lock_file (name, &acc_mode);
    }
  else if (optind < argc)
    fd = int32_arg (argv[optind], "bad file descriptor");
  else
    die (EX_USAGE, "requires file descriptor, file or directory");
  if (name == NULL && (why = run_fd_form_unsupported ()))
    die (EX_USAGE, "%s", why);

  /* Differs: util-linux would lock and exit, and the lock would vanish
     with it.  A process-owned (posix, lockf) lock cannot outlive this
     process, so locking a shell's descriptor with one is refused.  */
  if (!have_command
      && !(pl_backend_features (lock_backend (&o)) & PL_FEATURE_FORK_SHARED))
    die (EX_USAGE, "backend '%s' locks belong to the process: they cannot "
         "outlive %s on descriptor %d", lock_backend (&o), short_name, fd);

  fd = take_lock (fd, name, acc_mode, &o);
  if (!have_command)
    return EXIT_SUCCESS;
  struct run_request r = {
    .argv = o.command ? NULL : &argv[first_cmd],
    .shell_command = o.command,
    .fd = fd,
    .close_fd = o.close_fd,
    .no_fork = o.no_fork,
    .verbose = o.verbose,
  };
  return run_command (&r);
}
