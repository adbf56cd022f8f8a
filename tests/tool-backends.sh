#!/bin/sh
# tool-backends.sh - portalock(1) beyond the flock backend: --fcntl,
# --start/--length, --backend, PORTALOCK_BACKEND, --list-backends.
# Copyright (C) 2026 The portalock authors.
# This file is part of portalock, under the GNU GPL 3 or later.

. "${srcdir:-.}/tool-lib.sh"
require_flock_default

f=$T/f
: > "$f"

run "$PL" --list-backends
[ $rc -eq 0 ] && printf '%s\n' "$out" | grep -Eq '^flock +\*whole'
ok $? "--list-backends marks flock as the whole-file default"
if backend_usable ofd; then
  printf '%s\n' "$out" | grep -Eq '^ofd +\*range .*range'
  ok $? "--list-backends marks ofd as the byte-range default"
  run env PORTALOCK_BACKEND=ofd "$PL" --list-backends
  printf '%s\n' "$out" | grep -Eq '^ofd +\*whole,range'
  ok $? "--list-backends shows what PORTALOCK_BACKEND chose"
  run "$PL" --backend ofd --list-backends
  printf '%s\n' "$out" | grep -Eq '^ofd +\*whole,range'
  ok $? "--list-backends shows what --backend chose"
fi

# --- --fcntl: OFD locks -------------------------------------------------
if backend_usable ofd; then
  hold a "$PL" --fcntl "$f"
  expect 1 '' "--fcntl: conflicts with another --fcntl holder" \
    "$PL" --fcntl -n "$f" true
  expect 1 '' "--backend ofd is --fcntl" "$PL" --backend ofd -n "$f" true
  if [ -n "$FLOCK" ] && [ "$(uname -s)" = Linux ]; then
    expect 0 '' "--fcntl does not see flock(2) locks (Linux)" \
      "$FLOCK" -n "$f" true
  fi
  release a
  expect 65 "^portalock: $T: Bad file descriptor\$" \
    "--fcntl -x on a directory fails as in util-linux: 65" \
    "$PL" --fcntl "$T" true
  expect 0 '' "--fcntl -s on a directory works" "$PL" --fcntl -s "$T" true

  # --- byte ranges --------------------------------------------------------
  hold r "$PL" --start 0 --length 10 "$f"
  expect 0 '' "--start 10 --length 10: a disjoint range is free" \
    "$PL" -n --start 10 --length 10 "$f" true
  expect 1 '' "--start 5 --length 10: an overlapping range conflicts" \
    "$PL" -n --start 5 --length 10 "$f" true
  expect 1 '' "--start 9 --length 1 -w 0.2: times out" \
    "$PL" -w 0.2 --start 9 --length 1 "$f" true
  expect 1 '' "--fcntl: the whole file conflicts with the range" \
    "$PL" --fcntl -n "$f" true
  expect 1 '' "--start alone: from the offset to the end" \
    "$PL" -n --start 3 "$f" true
  release r
  hold r "$PL" --start 1KiB --length 1K "$f"
  expect 1 '' "--start 1KiB --length 1K: 1024 to 2047" \
    "$PL" -n --start 2047 --length 1 "$f" true
  expect 0 '' "--start 2KiB is past it" "$PL" -n --start 2KiB --length 1 "$f" true
  release r
  hold r "$PL" -s --start 0 --length 10 "$f"
  expect 0 '' "shared ranges share" "$PL" -s -n --start 5 --length 10 "$f" true
  release r
else
  skip "--fcntl and byte ranges" "no OFD locks here"
fi

# --- every backend, the core of the contract, portalock against itself ---
for b in ofd posix lockf; do
  if ! backend_usable $b; then
    skip "PORTALOCK_BACKEND=$b" "backend $b not usable here"
    continue
  fi
  PORTALOCK_BACKEND=$b
  export PORTALOCK_BACKEND
  hold e "$PL" "$f"
  expect 1 '' "$b: -n conflicts with an exclusive holder" "$PL" -n "$f" true
  expect 1 '' "$b: -w 0.2 times out" "$PL" -w 0.2 "$f" true
  if [ -n "$FLOCK" ] && [ "$(uname -s)" = Linux ]; then
    expect 0 '' "$b: PORTALOCK_BACKEND took effect (flock(2) is apart)" \
      "$FLOCK" -n "$f" true
  fi
  waiter_test "$b: a blocking waiter gets the lock after the release" \
    "$f" e "$PL" "$f"
  hold e "$PL" "$f"
  timed_waiter_test "$b: a timed waiter (-w 60) gets it after the release" \
    "$f" e "$PL" -w 60 "$f"
  if "$PL" --list-backends | awk -v b=$b '$1 == b' | grep -q ' shared'
  then
    hold s "$PL" -s "$f"
    expect 0 '' "$b: shared locks share" "$PL" -s -n "$f" true
    expect 1 '' "$b: exclusive conflicts with shared" "$PL" -n "$f" true
    release s
  fi
  unset PORTALOCK_BACKEND
  expect 1 '' "--backend $b selects it as PORTALOCK_BACKEND does" \
    sh -c '"$1" --backend "$2" "$3" "$1" --backend "$2" -n "$3" true' \
    sh "$PL" $b "$f"
  if ! "$PL" --list-backends | awk -v b=$b '$1 == b' | grep -q fork-shared
  then
    expect 64 "backend '$b' locks belong to the process" \
      "$b: the descriptor form is refused, its lock would die with us" \
      sh -c 'exec 9>"$1"; "$2" --backend "$3" 9' sh "$f" "$PL" $b
  fi
done

finish
