#!/bin/sh
# tool-lock.sh - portalock(1) against a real second holder: conflicts,
# -n, -w, -E, -s/-x, -u, the descriptor forms, --verbose, and
# interoperability both ways with util-linux flock(1).
# Copyright (C) 2026 The portalock authors.
# This file is part of portalock, under the GNU GPL 3 or later.

. "${srcdir:-.}/tool-lib.sh"
require_flock_default

f=$T/f
: > "$f"

if [ -z "$FLOCK" ]; then
  echo "1..0 # SKIP util-linux flock(1) not installed"
  exit 0
fi

# --- util-linux flock holds an exclusive lock --------------------------
hold a "$FLOCK" "$f"
expect 1 '' "-n while flock(1) holds it: conflict, exit 1" "$PL" -n "$f" true
expect 7 '' "-E 7 -n: exit 7" "$PL" -E 7 -n "$f" true
expect 0 '' "-E 0 -n: exit 0" "$PL" -E 0 -n "$f" true
expect 1 '^portalock: failed to get lock$' \
  "--verbose -n: says failed to get lock, on stderr" \
  "$PL" --verbose --nb "$f" true
expect 1 '' "-w 0 is -n" "$PL" -w 0 "$f" true
expect 1 '' "-s -n conflicts with an exclusive holder" "$PL" -s -n "$f" true
t0=$(now_ms)
expect 3 '^portalock: timeout while waiting to get lock$' \
  "-w 0.5 -E 3 --verbose: times out with exit 3" \
  "$PL" -w 0.5 -E 3 --verbose "$f" true
t1=$(now_ms)
[ $((t1 - t0)) -ge 500 ]
ok $? "-w 0.5 gave up no earlier than 0.5 s ($((t1 - t0)) ms)"
expect 1 '' "--wait 0.2: exit 1 on timeout" "$PL" --wait 0.2 "$f" true
expect 1 '' "--timeout 0.2: exit 1 on timeout" "$PL" --timeout 0.2 "$f" true

# A waiter blocks until the holder lets go: the order of the log shows it.
waiter_test "a blocking waiter gets the lock only after flock(1) released it" \
  "$f" a "$PL" "$f"
hold a "$FLOCK" "$f"
timed_waiter_test "-w 60: gets the lock when the holder lets go within the time" \
  "$f" a "$PL" -w 60 "$f"
hold a "$PL" "$f"
waiter_test "flock(1) waits for portalock's lock" "$f" a "$FLOCK" "$f"

# --- the long option names ----------------------------------------------
hold a "$FLOCK" "$f"
expect 1 '' "--nonblock" "$PL" --nonblock "$f" true
expect 1 '' "--nonblocking (util-linux's own name)" "$PL" --nonblocking "$f" true
expect 1 '' "--shared --nb" "$PL" --shared --nb "$f" true
expect 9 '' "--conflict-exit-code 9 --exclusive --wait 0" \
  "$PL" --conflict-exit-code 9 --exclusive --wait 0 "$f" true
release a

# --- shared locks ------------------------------------------------------
hold a "$FLOCK" -s "$f"
expect 0 '' "-s with a shared flock(1) holder: granted" "$PL" -s -n "$f" true
expect 1 '' "-x with a shared flock(1) holder: conflict" "$PL" -x -n "$f" true
expect 1 '' "-e is -x" "$PL" -e -n "$f" true
release a

# --- portalock holds; util-linux flock asks ----------------------------
hold b "$PL" "$f"
expect 1 '' "flock(1) -n while portalock holds it: conflict" \
  "$FLOCK" -n "$f" true
expect 1 '' "portalock -n while portalock holds it: conflict" \
  "$PL" -n "$f" true
release b
hold b "$PL" -s "$f"
expect 0 '' "flock(1) -s shares a portalock -s lock" "$FLOCK" -s -n "$f" true
expect 1 '' "flock(1) -x conflicts with a portalock -s lock" \
  "$FLOCK" -x -n "$f" true
release b
expect 0 '' "free again once the holder is gone" "$FLOCK" -n "$f" true

# --- directories -------------------------------------------------------
hold c "$FLOCK" "$T"
expect 1 '' "a directory locked by flock(1) conflicts" "$PL" -n "$T" true
release c
hold c "$PL" "$T"
expect 1 '' "a directory locked by portalock conflicts for flock(1)" \
  "$FLOCK" -n "$T" true
release c

# --- the descriptor forms ----------------------------------------------
(
  exec 9> "$f"
  "$PL" -n 9 || exit 10
  "$FLOCK" -n "$f" true && exit 11
  "$PL" -u 9 || exit 12
  "$FLOCK" -n "$f" true || exit 13
  exit 0
)
rc=$?
ok $rc "NUMBER form: the lock stays with the shell's descriptor, -u drops it (step $rc)"
(
  exec 8< "$f"
  "$PL" -s --fd 8 || exit 10
  "$FLOCK" -s -n "$f" true || exit 11
  "$FLOCK" -x -n "$f" true && exit 12
  exit 0
)
rc=$?
ok $rc "--fd NUMBER: a shared lock on a read-only descriptor (step $rc)"
hold a "$FLOCK" "$f"
(
  exec 9> "$f"
  run "$PL" -n 9
  [ $rc -eq 1 ]
)
ok $? "NUMBER form: conflict with flock(1) gives exit 1"
release a
(
  exec 7> "$f"
  "$PL" --fd 7 sh -c '"$1" -n "$2" true' sh "$FLOCK" "$f"
  [ $? -eq 1 ]
)
ok $? "--fd NUMBER COMMAND: the command runs under the lock"

# -u with a file: drops the lock of that open file, runs the command.
expect 0 '' "-u FILE COMMAND runs the command" "$PL" -u "$f" true

# --- --verbose ---------------------------------------------------------
run "$PL" --verbose "$f" true
[ $rc -eq 0 ] && [ -z "$err" ] && printf '%s\n' "$out" | sed -n 1p \
  | grep -Eq '^portalock: getting lock took [0-9]+\.[0-9]{6} seconds$' \
  && [ "$(printf '%s\n' "$out" | sed -n 2p)" = "portalock: executing true" ]
ok $? "--verbose: the two util-linux lines, on stdout"
run "$PL" --verbose "$f" echo hello
[ "$(printf '%s\n' "$out" | sed -n 3p)" = hello ]
ok $? "--verbose lines come before the command's output in a pipe"
run "$PL" --verbose -F "$f" echo hello
[ "$(printf '%s\n' "$out" | sed -n 2p)" = "portalock: executing echo" ] \
  && [ "$(printf '%s\n' "$out" | sed -n 3p)" = hello ]
ok $? "--verbose -F: the lines are not lost by exec"

# --- -w wins nothing over -n ---------------------------------------------
hold a "$PL" "$f"
expect 1 '' "-n with -w 30: -n wins" "$PL" -n -w 30 "$f" true
release a

# --- fractional timeout on a shared holder -------------------------------
hold a "$PL" -s "$f"
expect 0 '' "-s -w 0.1 with a shared holder: granted" "$PL" -s -w 0.1 "$f" true
expect 1 '' "-x -w 0.1 with a shared holder: times out" "$PL" -w 0.1 "$f" true
release a

finish
