/* tool-helper.c - the command that portalock(1) runs in the Windows tool
   tests (tool-win32.sh): under wine a Windows program cannot run the
   POSIX sh and see its exit status, so this stands in for it.
   Copyright (C) 2026 The portalock authors.

   This program is free software: you can redistribute it and/or modify
   it under the terms of the GNU General Public License as published by
   the Free Software Foundation; either version 3 of the License, or (at
   your option) any later version.  See COPYING.

   Usage:
     tool-helper argv [ARG...]
         print each ARG as "[ARG]" on a line of its own (LF, not CRLF)
     tool-helper exit N
         exit with status N (decimal, up to 2^32 - 1)
     tool-helper hold READY GO
         create the file READY, then wait until the file GO exists (at
         most 120 s: exit 3 then), exit 0
     tool-helper inherited PATH
         exit 0 and print the number if a descriptor above 2 that this
         program inherited refers to the file PATH (the same volume and
         file index), 1 if none does  */

#include <config.h>

#define WIN32_LEAN_AND_MEAN
#include <windows.h>
#include <fcntl.h>
#include <io.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int
usage (void)
{
  fputs ("usage: tool-helper argv|exit|hold|inherited ...\n", stderr);
  return 2;
}

static BOOL
file_id (HANDLE h, BY_HANDLE_FILE_INFORMATION *info)
{
  return h != INVALID_HANDLE_VALUE && GetFileInformationByHandle (h, info);
}

static int
inherited (const char *path)
{
  HANDLE h = CreateFileA (path, 0, FILE_SHARE_READ | FILE_SHARE_WRITE
                          | FILE_SHARE_DELETE, NULL, OPEN_EXISTING,
                          FILE_FLAG_BACKUP_SEMANTICS, NULL);
  BY_HANDLE_FILE_INFORMATION want, got;
  if (!file_id (h, &want))
    {
      fprintf (stderr, "tool-helper: cannot open %s: error %lu\n", path,
               (unsigned long) GetLastError ());
      return 2;
    }
  CloseHandle (h);
  for (int fd = 3; fd < 256; fd++)
    {
      intptr_t fh = _get_osfhandle (fd);
      if (fh != -1 && fh != -2 && file_id ((HANDLE) fh, &got)
          && got.dwVolumeSerialNumber == want.dwVolumeSerialNumber
          && got.nFileIndexHigh == want.nFileIndexHigh
          && got.nFileIndexLow == want.nFileIndexLow)
        {
          printf ("%d\n", fd);
          return 0;
        }
    }
  return 1;
}

static int
hold (const char *ready, const char *go)
{
  FILE *f = fopen (ready, "w");
  if (f == NULL || fclose (f) != 0)
    {
      fprintf (stderr, "tool-helper: cannot create %s\n", ready);
      return 2;
    }
  for (int i = 0; i < 12000; i++)
    {
      if (GetFileAttributesA (go) != INVALID_FILE_ATTRIBUTES)
        return 0;
      Sleep (10);
    }
  return 3;
}

int
main (int argc, char **argv)
{
  /* LF line ends: the shell compares the lines.  */
  _setmode (1, _O_BINARY);
  if (argc < 2)
    return usage ();
  if (strcmp (argv[1], "argv") == 0)
    {
      for (int i = 2; i < argc; i++)
        printf ("[%s]\n", argv[i]);
      return 0;
    }
  if (strcmp (argv[1], "exit") == 0 && argc == 3)
    return (int) strtoul (argv[2], NULL, 10);
  if (strcmp (argv[1], "hold") == 0 && argc == 4)
    return hold (argv[2], argv[3]);
  if (strcmp (argv[1], "inherited") == 0 && argc == 3)
    return inherited (argv[2]);
  return usage ();
}
