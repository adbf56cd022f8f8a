# pl-locking.m4 -- which locking primitives does the platform have?
# Copyright (C) 2026 The portalock authors.
# This file is free software; the authors give unlimited permission to copy
# and/or distribute it, with or without modifications.
#
# One AC_CACHE_CHECK per primitive.  Each result can be forced from the
# command line or a config.site, e.g. `pl_cv_func_flock=no ./configure`, so
# that the fallback backends are built and tested on Linux too.  None of
# these run a program, so cross-compiling needs no defaults: the run-time
# probe in lib/backend.c decides whether a compiled-in primitive works on
# the running kernel (OFD on a kernel older than 3.15).

AC_DEFUN([PL_CHECK_FLOCK],
[AC_CACHE_CHECK([for flock], [pl_cv_func_flock],
  [AC_LINK_IFELSE([AC_LANG_PROGRAM([[#include <sys/file.h>]],
     [[return flock (0, LOCK_EX | LOCK_NB) + flock (0, LOCK_UN);]])],
   [pl_cv_func_flock=yes], [pl_cv_func_flock=no])])])

AC_DEFUN([PL_CHECK_FCNTL_SETLK],
[AC_CACHE_CHECK([for fcntl F_SETLK], [pl_cv_func_fcntl_setlk],
  [AC_LINK_IFELSE([AC_LANG_PROGRAM([[#include <fcntl.h>
#include <unistd.h>]],
     [[struct flock fl = { 0 };
       fl.l_type = F_WRLCK; fl.l_whence = SEEK_SET;
       return fcntl (0, F_SETLKW, &fl) + fcntl (0, F_SETLK, &fl)
              + fcntl (0, F_GETLK, &fl);]])],
   [pl_cv_func_fcntl_setlk=yes], [pl_cv_func_fcntl_setlk=no])])])

AC_DEFUN([PL_CHECK_FCNTL_OFD],
[AC_REQUIRE([PL_CHECK_FCNTL_SETLK])
AC_CACHE_CHECK([for fcntl F_OFD_SETLK], [pl_cv_func_fcntl_ofd],
  [AC_LINK_IFELSE([AC_LANG_PROGRAM([[#include <fcntl.h>
#include <unistd.h>]],
     [[struct flock fl = { 0 };
       fl.l_type = F_WRLCK; fl.l_whence = SEEK_SET;
       return fcntl (0, F_OFD_SETLKW, &fl) + fcntl (0, F_OFD_SETLK, &fl)
              + fcntl (0, F_OFD_GETLK, &fl);]])],
   [pl_cv_func_fcntl_ofd=yes], [pl_cv_func_fcntl_ofd=no])])])

AC_DEFUN([PL_CHECK_LOCKF],
[AC_CACHE_CHECK([for lockf], [pl_cv_func_lockf],
  [AC_LINK_IFELSE([AC_LANG_PROGRAM([[#include <unistd.h>]],
     [[return lockf (0, F_TLOCK, 0) + lockf (0, F_LOCK, 0)
              + lockf (0, F_ULOCK, 0);]])],
   [pl_cv_func_lockf=yes], [pl_cv_func_lockf=no])])])

AC_DEFUN([PL_CHECK_LOCKFILEEX],
[AC_CACHE_CHECK([for LockFileEx], [pl_cv_func_lockfileex],
  [AC_LINK_IFELSE([AC_LANG_PROGRAM([[#include <windows.h>]],
     [[OVERLAPPED ov = { 0 };
       return !LockFileEx (INVALID_HANDLE_VALUE,
                           LOCKFILE_EXCLUSIVE_LOCK
                           | LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, &ov)
              + !UnlockFileEx (INVALID_HANDLE_VALUE, 0, 1, 0, &ov);]])],
   [pl_cv_func_lockfileex=yes], [pl_cv_func_lockfileex=no])])])

# PL_BACKEND(NAME, CONDITION-SHELL-TEST)
# Defines PL_HAVE_NAME to 1 or 0 and the Automake conditional PL_NAME.
AC_DEFUN([PL_BACKEND],
[AS_IF([$2], [pl_have_$1=1], [pl_have_$1=0])
AC_DEFINE_UNQUOTED([PL_HAVE_]m4_toupper([$1]), [$pl_have_$1],
  [Define to 1 to build the $1 locking backend.])
AM_CONDITIONAL([PL_]m4_toupper([$1]), [test $pl_have_$1 = 1])
AS_IF([test $pl_have_$1 = 1], [pl_backends="$pl_backends $1"])])

AC_DEFUN([PL_LOCKING_BACKENDS],
[PL_CHECK_FLOCK
PL_CHECK_FCNTL_SETLK
PL_CHECK_FCNTL_OFD
PL_CHECK_LOCKF
PL_CHECK_LOCKFILEEX
pl_backends=
dnl The order is the run-time preference order of lib/backend.c.
PL_BACKEND([win32], [test $pl_cv_func_lockfileex = yes])
PL_BACKEND([flock], [test $pl_cv_func_flock = yes])
PL_BACKEND([ofd], [test $pl_cv_func_fcntl_ofd = yes])
PL_BACKEND([posix], [test $pl_cv_func_fcntl_setlk = yes])
dnl lockf shares the inode table, which is built with the posix backend.
PL_BACKEND([lockf], [test $pl_cv_func_lockf = yes && test $pl_cv_func_fcntl_setlk = yes])
AS_IF([test -z "$pl_backends"],
  [AC_MSG_ERROR([no file-locking primitive found: portalock needs flock, fcntl F_SETLK, lockf or LockFileEx])])
# Whole files use the first, byte ranges the first but flock.
set dummy $pl_backends
pl_default_whole=$[2]
pl_default_range=`echo "$pl_backends" | sed 's/ flock//' | awk '{print $[1]}'`
AC_SUBST([PL_BACKENDS], [$pl_backends])])
