#!/bin/sh
# exports.sh - the shared library exports exactly the public API: every
# defined dynamic symbol is pl_*, and the set equals both the functions
# <portalock.h> declares and the names in lib/libportalock.map.  TAP.
# Copyright (C) 2026 The portalock authors.
# This file is part of portalock, under the GNU GPL 3 or later.

srcdir=${srcdir:-.}
top_builddir=${top_builddir:-..}
lib=$top_builddir/lib/.libs/libportalock.so
echo "1..3"
if ! test -f "$lib" || ! command -v nm >/dev/null 2>&1; then
  for i in 1 2 3; do
    echo "ok $i # SKIP no ELF shared library or no nm (static or non-ELF build)"
  done
  exit 0
fi

tmp=${TMPDIR:-/tmp}/pl-exports.$$
trap 'rm -f "$tmp".*' EXIT
# Defined functions and data, without the version node itself (type A).
nm -D --defined-only "$lib" | awk '$2 != "A" { sub(/@.*/, "", $3); print $3 }' |
  sort -u > "$tmp.so"
sed -n 's/^[A-Za-z_].*[ *]\(pl_[a-z_0-9]*\) (.*/\1/p' \
  "$srcdir/../lib/portalock.h" | sort -u > "$tmp.h"
sed -n 's/^ *\(pl_[a-z_0-9]*\);$/\1/p' "$srcdir/../lib/libportalock.map" |
  sort -u > "$tmp.map"

if grep -v '^pl_' "$tmp.so" > "$tmp.bad"; then
  echo "not ok 1 - only pl_* symbols are exported"
  sed 's/^/# exported: /' "$tmp.bad"
else
  echo "ok 1 - only pl_* symbols are exported ($(wc -l < "$tmp.so") of them)"
fi
if diff "$tmp.h" "$tmp.so" > "$tmp.diff"; then
  echo "ok 2 - the exports are the functions <portalock.h> declares"
else
  echo "not ok 2 - the exports are the functions <portalock.h> declares"
  sed 's/^/# /' "$tmp.diff"
fi
if diff "$tmp.map" "$tmp.so" > "$tmp.diff"; then
  echo "ok 3 - the exports are the names in libportalock.map"
else
  echo "not ok 3 - the exports are the names in libportalock.map"
  sed 's/^/# /' "$tmp.diff"
fi
