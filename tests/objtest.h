/* objtest.h - helpers for the timed-wait and lock-object tests: the
   backends to run, a temporary directory, and "peers": real second
   processes that lock a file on command.
   Copyright (C) 2026 The portalock authors.
   This file is part of portalock, under the GNU GPL 3 or later.  */

#ifndef OBJTEST_H
#define OBJTEST_H 1

#include <stdbool.h>
#include <sys/types.h>

/* The backends to run the suite on: every usable one, or only
   $PORTALOCK_BACKEND when it is set.  NULL-terminated.  */
const char *const *ot_backends (void);
int ot_n_backends (void);
/* Select backend I of ot_backends() (asserts success).  */
void ot_use_backend (int i);

/* CLOCK_MONOTONIC in seconds.  */
double ot_now (void);
/* Sleep until the monotonic time T.  */
void ot_sleep_until (double t);

/* A fresh directory for this process (removed at exit, best effort), and
   a path in it (in a static buffer of a rotating set of 8).  */
const char *ot_dir (void);
const char *ot_path (const char *name);

/* A peer: a forked process that opens PATH (O_RDWR|O_CREAT) and obeys
   one-byte commands:
     'X' / 'S'  lock exclusive / shared, blocking         -> '.'
     'x' / 's'  try exclusive / shared without blocking  -> '1' got, '0' busy
     'U'        unlock                                    -> '.'
     'D'        read a double T, sleep until monotonic T, unlock -> '.'
     'P'        reply with its pid as text, then '\n'
   Any failure makes the peer reply '!'.  Closing its pipe ends it.  */
struct ot_peer
{
  pid_t pid;
  int to;
  int from;
};
void ot_peer_start (struct ot_peer *p, const char *path);
char ot_peer_cmd (struct ot_peer *p, char cmd);
/* 'D': unlock at monotonic time T; returns at once, ot_peer_wait() reads
   the reply.  */
void ot_peer_unlock_at (struct ot_peer *p, double t);
char ot_peer_wait (struct ot_peer *p);
void ot_peer_stop (struct ot_peer *p);

/* Is the lock on PATH free for an exclusive (or shared) request from a
   separate process right now?  (Forks a short-lived peer.)  */
bool ot_free_for (const char *path, bool exclusive);

/* Run the Check suite S: TAP when CK_TAP_LOG_FILE_NAME is set, exit 77
   (skip) when there is no backend to run.  */
struct Suite;
int ot_run (struct Suite *s);

#endif /* OBJTEST_H */
