/* message.h - portalock(1)'s diagnostics, shared by its source files.
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

#ifndef PORTALOCK_MESSAGE_H
#define PORTALOCK_MESSAGE_H 1

/* The program's name without its directory, as util-linux's warnx()
   prints program_invocation_short_name.  */
extern const char *short_name;

/* Set SHORT_NAME from ARGV0: without its directory, and on Windows
   without the ".exe" as well.  */
void set_short_name (const char *argv0);

/* "SHORT_NAME: MESSAGE\n" on stderr, after flushing stdout.  */
void warnx (const char *fmt, ...)
  _GL_ATTRIBUTE_FORMAT ((__printf__, 1, 2));

/* warnx, then exit with STATUS.  */
_Noreturn void die (int status, const char *fmt, ...)
  _GL_ATTRIBUTE_FORMAT ((__printf__, 2, 3));

#endif /* PORTALOCK_MESSAGE_H */
