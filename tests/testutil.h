/* testutil.h - the few platform services the test bodies need.
   Copyright (C) 2026 The portalock authors.

   This program is free software: you can redistribute it and/or modify
   it under the terms of the GNU General Public License as published by
   the Free Software Foundation; either version 3 of the License, or (at
   your option) any later version.  See COPYING.

   Like proc.h, this keeps the test bodies free of POSIX calls, so that a
   Windows port adds tests/testutil-win32.c and changes no test.  */

#ifndef PL_TESTS_TESTUTIL_H
#define PL_TESTS_TESTUTIL_H 1

#include <stdbool.h>
#include <stddef.h>

/* A fresh, empty file in the current directory, with a name that tells
   which test made it (so a failed run's leftovers can be traced).  Writes
   the name into BUF; returns 0, or -1 with a message on stderr.  */
int test_file (char *buf, size_t size, const char *tag);

/* Open PATH for reading and writing (creating it), close-on-exec, so that
   no helper process inherits it unless asked to.  -1 on failure.  */
int test_open (const char *path);

/* The same, read-only or write-only (for the bad-input tests).  */
int test_open_rdonly (const char *path);
int test_open_wronly (const char *path);

/* A duplicate of FD (close-on-exec), or -1.  */
int test_dup (int fd);

/* A directory, opened read-only (close-on-exec), or -1.  */
int test_open_dir (const char *path);

/* Set environment variable NAME to VALUE (NULL: unset) for this process
   and the processes it starts.  */
void test_setenv (const char *name, const char *value);

/* Can the kernel tell that descriptor DUP is a duplicate of FD (Linux
   kcmp(2))?  The emulated backends (posix, lockf) treat a duplicate as
   the same owner only where it can: portalock(3), "Owner".  */
bool test_kernel_knows_duplicates (int fd, int dup);

/* close(2) FD, bypassing the library.  */
void test_close_raw (int fd);

/* Remove PATH; ignore errors.  */
void test_remove (const char *path);

/* A descriptor number that is certainly not open: opened, then closed.  */
int test_closed_fd (void);

/* The number of descriptors open in this process, or -1 if it cannot be
   told.  */
int test_count_fds (void);

/* Let this process grow by at most about BYTES more of address space,
   where the system can say so (Linux: RLIMIT_AS over the current size).
   A test that hands the library absurd input uses it so that a library
   that allocates in proportion to that input fails the test with
   PL_ENOMEM instead of taking the machine's memory (and the OOM killer
   ending some other process).  */
void test_limit_memory_growth (size_t bytes);

/* Make a hanging test fail instead of hanging: after SECONDS the process
   dies with a message naming WHAT.  test_watchdog (0, NULL) disarms.  */
void test_watchdog (unsigned seconds, const char *what);

/* Does OS_ERROR (a pl_os_error() value) mean "held by someone else" to
   the operating system (EAGAIN, EWOULDBLOCK, EACCES; on Windows
   ERROR_LOCK_VIOLATION)?  */
bool test_os_error_is_busy (int os_error);

/* The OS error meaning "bad descriptor" (EBADF).  */
int test_os_ebadf (void);

/* A monotonic clock, in nanoseconds from an arbitrary origin (the clock
   timed waits run on).  */
long long test_now_ns (void);

/* Threads.  */
struct test_thread;
struct test_thread *test_thread_start (void *(*fn) (void *), void *arg);
void *test_thread_join (struct test_thread *t);
void test_yield (void);

/* Write LEN bytes of DATA at OFFSET through FD, or read them back: true
   on success.  */
bool test_pwrite (int fd, const void *data, size_t len, long offset);
bool test_pread (int fd, void *data, size_t len, long offset);

#endif /* PL_TESTS_TESTUTIL_H */
