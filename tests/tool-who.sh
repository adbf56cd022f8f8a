#!/bin/sh
# tool-who.sh - portalock --who FILE: the pid of a holder, against real
# holders (util-linux flock(1) and portalock), per backend.
# Copyright (C) 2026 The portalock authors.
# This file is part of portalock, under the GNU GPL 3 or later.

. "${srcdir:-.}/tool-lib.sh"
require_flock_default

f=$T/f
: > "$f"

run "$PL" --who "$f"
[ $rc -eq 1 ] && [ -z "$out" ] && [ -z "$err" ]
ok $? "--who on a free file: exit 1, prints nothing"
expect 1 "^portalock: $f: not locked\$" "--who --verbose: says not locked" \
  "$PL" --verbose --who "$f"

if [ -n "$FLOCK" ]; then
  hold a "$FLOCK" "$f"
  run "$PL" --who "$f"
  [ $rc -eq 0 ] && [ "$out" = "$holder_a" ]
  ok $? "--who: the pid of the flock(1) that holds it"
  run "$PL" -s --who "$f"
  [ $rc -eq 0 ] && [ "$out" = "$holder_a" ]
  ok $? "-s --who: an exclusive holder conflicts with a shared lock too"
  release a
  hold a "$FLOCK" -s "$f"
  run "$PL" -s --who "$f"
  [ $rc -eq 1 ] && [ -z "$out" ]
  ok $? "-s --who: a shared holder does not conflict with a shared lock"
  run "$PL" --who "$f"
  [ $rc -eq 0 ] && [ "$out" = "$holder_a" ]
  ok $? "--who: a shared holder conflicts with an exclusive lock"
  release a
else
  skip "--who against flock(1)" "util-linux flock(1) not installed"
fi

hold b "$PL" "$T"
run "$PL" --who "$T"
[ $rc -eq 0 ] && [ "$out" = "$holder_b" ]
ok $? "--who on a directory: the pid of the portalock that holds it"
release b

for b in ofd posix lockf; do
  if ! backend_usable $b; then
    skip "--who with backend $b" "backend $b not usable here"
    continue
  fi
  hold c "$PL" --backend $b "$f"
  run "$PL" --backend $b --who "$f"
  # OFD locks belong to an open file, not a process: Linux shows no pid
  # for them, so "unknown" is right there.
  [ $rc -eq 0 ] && { [ "$out" = "$holder_c" ] \
                       || { [ $b = ofd ] && [ "$out" = unknown ]; }; }
  ok $? "--who with backend $b: the holder ($out)"
  release c
  run "$PL" --backend $b --who "$f"
  [ $rc -eq 1 ] && [ -z "$out" ]
  ok $? "--who with backend $b: free once released"
done

finish
