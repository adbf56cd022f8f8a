/* error-win32.c - Windows error codes to PL_E* codes, one by one.
   Copyright (C) 2026 The portalock authors.
   This file is part of portalock, under the GNU LGPL 2.1 or later.

   The Windows counterpart of pl__from_errno() in error.c, as libuv's
   uv_translate_sys_error(): every GetLastError() value that a lock,
   unlock or close can give is listed here, so that none of them falls
   into PL_EBUSY ("held by someone else") by accident, and the raw value
   stays reachable through pl_os_error().  */

#include <config.h>

#if PL_HAVE_WIN32

#define WIN32_LEAN_AND_MEAN
#include <windows.h>

#include "portalock.h"
#include "backend-internal.h"

int
pl__from_win32_error (unsigned long err)
{
  pl__set_os_error ((int) err);
  switch (err)
    {
      /* Held by another owner: LockFileEx with LOCKFILE_FAIL_IMMEDIATELY.
         ERROR_IO_PENDING only reaches this function if a request on an
         overlapped handle could not be waited for; the backend waits for
         pending requests itself (see backend-win32.c), so in practice it
         means "not granted yet".  */
    case ERROR_LOCK_VIOLATION:
    case ERROR_IO_PENDING:
      return PL_EBUSY;

      /* Not a valid handle: a closed CRT descriptor, or a HANDLE closed
         behind the CRT's back.  */
    case ERROR_INVALID_HANDLE:
    case ERROR_DIRECT_ACCESS_HANDLE:
      return PL_EBADF;

      /* A handle opened without GENERIC_READ or GENERIC_WRITE, or an
         open that another process refused to share.  */
    case ERROR_ACCESS_DENIED:
    case ERROR_SHARING_VIOLATION:
      return PL_EACCES;

    case ERROR_NOT_ENOUGH_MEMORY:
    case ERROR_OUTOFMEMORY:
      return PL_ENOMEM;

      /* The file system (or the redirector of a network share) has no
         room left in its lock list: the nearest thing to ENOLCK.  */
    case ERROR_NO_SYSTEM_RESOURCES:
    case ERROR_NOT_ENOUGH_QUOTA:
    case ERROR_LOCK_FAILED:
    case ERROR_SHARING_BUFFER_EXCEEDED:
      return PL_ENOLCK;

    case ERROR_POSSIBLE_DEADLOCK:
      return PL_EDEADLK;

    case ERROR_INVALID_PARAMETER:
#ifdef ERROR_INVALID_LOCK_RANGE  /* 307: not in every SDK */
    case ERROR_INVALID_LOCK_RANGE:
#endif
    case ERROR_NEGATIVE_SEEK:
      return PL_EINVAL;

      /* A pipe, console or device: no byte-range locks there.  */
    case ERROR_INVALID_FUNCTION:
    case ERROR_NOT_SUPPORTED:
      return PL_ENOTSUP;

      /* ERROR_NOT_LOCKED is tolerated by the backend (unlocking what is
         not locked is not an error); if it gets here, something else
         went wrong.  ERROR_OPERATION_ABORTED means a wait was cancelled
         by somebody else (CancelIoEx on our handle, or the thread that
         issued the request exited): an OS failure, not a timeout.  */
    case ERROR_NOT_LOCKED:
    case ERROR_OPERATION_ABORTED:
    default:
      return PL_ESYSTEM;
    }
}

#endif /* PL_HAVE_WIN32 */
