/* pl-info.c - what the library says about its backends, for test scripts.
   Copyright (C) 2026 The portalock authors.

   This program is free software: you can redistribute it and/or modify
   it under the terms of the GNU General Public License as published by
   the Free Software Foundation; either version 3 of the License, or (at
   your option) any later version.  See COPYING.

   Usage:
     pl-info --has NAME        exit 0 if backend NAME works here (it is in
                               pl_backends()), 1 if not
     pl-info --backend         print pl_backend() (whole files)
     pl-info --range-backend   print pl_range_backend()
     pl-info --backends        print pl_backends(), one a line
     pl-info --feature FEATURE [NAME]
                               exit 0 if backend NAME (default: the one in
                               use) has FEATURE (shared, range, fork-shared,
                               flock-compat, emulated), 1 if not
   Exit 2 on bad usage.  */

#include <config.h>

#include <stdio.h>
#include <string.h>

#include "portalock.h"

static int
has_backend (const char *name)
{
  for (const char *const *b = pl_backends (); *b; b++)
    if (strcmp (*b, name) == 0)
      return 0;
  return 1;
}

static int
has_feature (const char *feature, const char *name)
{
  static const struct
  {
    const char *name;
    unsigned bit;
  } features[] = {
    { "shared", PL_FEATURE_SHARED },
    { "range", PL_FEATURE_RANGE },
    { "fork-shared", PL_FEATURE_FORK_SHARED },
    { "flock-compat", PL_FEATURE_FLOCK_COMPAT },
    { "emulated", PL_FEATURE_EMULATED },
  };
  for (size_t i = 0; i < sizeof features / sizeof features[0]; i++)
    if (strcmp (features[i].name, feature) == 0)
      return pl_backend_features (name) & features[i].bit ? 0 : 1;
  fprintf (stderr, "pl-info: unknown feature %s\n", feature);
  return 2;
}

int
main (int argc, char **argv)
{
  if (argc == 3 && strcmp (argv[1], "--has") == 0)
    return has_backend (argv[2]);
  if (argc == 2 && strcmp (argv[1], "--backend") == 0)
    return puts (pl_backend ()) < 0;
  if (argc == 2 && strcmp (argv[1], "--range-backend") == 0)
    return puts (pl_range_backend ()) < 0;
  if (argc == 2 && strcmp (argv[1], "--backends") == 0)
    {
      for (const char *const *b = pl_backends (); *b; b++)
        puts (*b);
      return 0;
    }
  if ((argc == 3 || argc == 4) && strcmp (argv[1], "--feature") == 0)
    return has_feature (argv[2], argc == 4 ? argv[3] : pl_backend ());
  fprintf (stderr, "usage: pl-info --has NAME | --backend | --range-backend"
           " | --backends | --feature FEATURE [NAME]\n");
  return 2;
}
