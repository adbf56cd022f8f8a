/* numbers.h - parsing the numeric arguments of portalock(1).
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

#ifndef PORTALOCK_NUMBERS_H
#define PORTALOCK_NUMBERS_H 1

#include <stdbool.h>
#include <stdint.h>

/* Each returns true and stores the value, or returns false when STR is
   not a valid number of its kind; errno is then ERANGE if the number was
   well formed but too large, else 0.  */

/* A decimal int32 with optional sign and leading blanks, nothing after
   it: what util-linux's strtos32_or_err() accepts (descriptors, exit
   codes).  */
bool parse_int32 (const char *str, int32_t *result);

/* Seconds as strtod() reads them (so also "1e-3" and "0x10"): finite and
   not negative.  */
bool parse_seconds (const char *str, double *result);

/* A byte count: decimal digits and an optional suffix K, M, G, T, P, E
   (powers of 1024, also written KiB ...) or KB, MB ... (powers of 1000),
   as util-linux's strtosize() reads them.  Never negative.  */
bool parse_size (const char *str, int64_t *result);

#endif /* PORTALOCK_NUMBERS_H */
