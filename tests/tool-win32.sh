#!/bin/sh
# tool-win32.sh - portalock(1) on Windows (run under wine in a cross
# build): the command line that reaches the command, its exit status,
# -c through %COMSPEC%, what the command inherits (-o), conflicts with a
# real second portalock process (-n, -w, -E, -s, --who, ranges), and the
# options Windows cannot have (-F, the descriptor forms) refused with 64.
# The command is tool-helper.exe (see tool-helper.c).
# Copyright (C) 2026 The portalock authors.
# This file is part of portalock, under the GNU GPL 3 or later.

. "${srcdir:-.}/tool-lib.sh"

if [ -z "$WINDOWS" ]; then
  echo "1..0 # SKIP not a Windows build (tool-command.sh and tool-lock.sh cover POSIX)"
  exit 0
fi

f=$T/f
: > "$f"
H=$TOOL_HELPER

run "$PL" --list-backends
[ $rc -eq 0 ] && printf '%s\n' "$out" | grep -Eq '^win32 +\*whole,range +shared range$'
ok $? "--list-backends: win32, for whole files and ranges"

# --- the command line --------------------------------------------------
# Each argument must reach the child's C runtime unchanged: blanks,
# quotes, backslashes before quotes and at the end, empty strings.
run "$PL" "$f" "$H" argv 'a b' '' 'say "hi"' 'C:\dir\' 'x\"y' 'tab	t' \
  '\\server\share' 'end\\' '"' 'plain' 'C:\a dir\' 'q\\" r'
[ $rc -eq 0 ] && [ "$out" = '[a b]
[]
[say "hi"]
[C:\dir\]
[x\"y]
[tab	t]
[\\server\share]
[end\\]
["]
[plain]
[C:\a dir\]
[q\\" r]' ]
ok $? "arguments reach the command unchanged (blanks, quotes, backslashes, empty)"

expect 42 '' "the command's exit status: 42" "$PL" "$f" "$H" exit 42
expect 0 '' "the command's exit status: 0" "$PL" "$f" "$H" exit 0
expect 255 '' "the command's exit status: 255" "$PL" "$f" "$H" exit 255

# --- -c: %COMSPEC% /d /s /c "COMMAND" ------------------------------------
# cmd finds tool-helper in the current directory (the build's tests/).
run "$PL" "$f" -c 'tool-helper argv "a b" c & exit 5'
[ $rc -eq 5 ] && [ "$out" = '[a b]
[c]' ]
ok $? "FILE -c COMMAND: cmd runs COMMAND as written, with its exit status"
run "$PL" -c 'exit 3' "$f"
[ $rc -eq 3 ]
ok $? "-c COMMAND before the file"
run "$PL" --verbose "$f" --command 'exit 0'
[ $rc -eq 0 ] && printf '%s\n' "$out" | sed -n 2p \
  | grep -Eiq '^portalock: executing .*cmd\.exe$'
ok $? "--verbose names %COMSPEC% for -c"
# (Wine sets %COMSPEC% from its registry, whatever the environment says:
# a test cannot point it elsewhere.)

# --- what the command inherits -----------------------------------------
run "$PL" "$f" "$H" inherited "$f"
[ $rc -eq 0 ] && [ -n "$out" ]
ok $? "without -o the command inherits the locked descriptor (number $out)"
run "$PL" -o "$f" "$H" inherited "$f"
[ $rc -eq 1 ] && [ -z "$out" ]
ok $? "with -o the command does not inherit it"
expect 1 '' "the command runs while the lock is held" \
  "$PL" "$f" "$PL_EXE" -n "$f" "$H" exit 0

# Differs from POSIX: the lock belongs to portalock's process, and wine
# (like Windows, which releases a process's locks when it ends) drops it
# when portalock is killed, although the command still runs with the
# inherited HANDLE.  flock(1)'s command would keep it.
if [ -n "${PL_TEST_RUNNER-}" ]; then
  hold k "$PL" "$f"
  kill -KILL "$holder_k"
  wait "$holder_k"
  expect 0 '' "wine: a killed portalock's lock is gone, the command's HANDLE does not keep it" \
    "$PL" -n "$f" "$H" exit 0
  release k
else
  skip "the lock after portalock died" "not under wine"
fi

# --- what Windows cannot have ----------------------------------------------
expect 64 '^portalock: --no-fork is not supported on Windows: ' \
  "-F is refused: 64" "$PL" -F "$f" "$H" exit 0
expect 64 '^portalock: locking a descriptor number is not supported on Windows: ' \
  "the NUMBER form is refused: 64" "$PL" 3
expect 64 '^portalock: locking a descriptor number is not supported on Windows: ' \
  "--fd NUMBER COMMAND is refused: 64" "$PL" --fd 3 "$H" exit 0
expect 64 '^portalock: --no-fork is not supported on Windows: ' \
  "-F is refused before the file is touched" "$PL" -F "$T/not-made" "$H" exit 0
[ ! -e "$T/not-made" ]
ok $? "-F refused: no lock file was created"

# --- a second portalock process holds the lock ------------------------------
hold a "$PL" "$f"
expect 1 '' "-n while another portalock holds it: conflict, exit 1" \
  "$PL" -n "$f" "$H" exit 0
expect 7 '' "-E 7 -n: exit 7" "$PL" -E 7 -n "$f" "$H" exit 0
expect 1 '^portalock: failed to get lock$' \
  "--verbose -n: says failed to get lock, on stderr" \
  "$PL" --verbose -n "$f" "$H" exit 0
expect 1 '' "-w 0 is -n" "$PL" -w 0 "$f" "$H" exit 0
expect 1 '' "-s -n conflicts with an exclusive holder" \
  "$PL" -s -n "$f" "$H" exit 0
t0=$(now_ms)
expect 3 '^portalock: timeout while waiting to get lock$' \
  "-w 0.5 -E 3 --verbose: times out with exit 3" \
  "$PL" -w 0.5 -E 3 --verbose "$f" "$H" exit 0
t1=$(now_ms)
[ $((t1 - t0)) -ge 500 ]
ok $? "-w 0.5 gave up no earlier than 0.5 s ($((t1 - t0)) ms)"
run "$PL" --who "$f"
[ $rc -eq 0 ] && [ "$out" = unknown ]
ok $? "--who: held, by a process Windows cannot name (unknown)"
expect 0 '' "-u FILE COMMAND runs the command" "$PL" -u "$f" "$H" exit 0
expect 1 '' "-u FILE did not take another process's lock away" \
  "$PL" -n "$f" "$H" exit 0

# A waiter blocks until the holder lets go (no /proc/locks under wine:
# it must still be running after 1 s, and exit 0 once "a" releases).
# waiter_gets_it DESCRIPTION COMMAND...
waiter_gets_it () {
  desc=$1
  shift
  "$@" &
  w=$!
  sleep 1
  kill -0 $w 2>/dev/null
  blocked=$?
  release a
  wait $w
  st=$?
  [ $blocked -eq 0 ] && [ $st -eq 0 ]
  ok $? "$desc (exit $st)"
}
waiter_gets_it "a blocking waiter waits, and gets the lock after the release" \
  "$PL" "$f" "$H" exit 0
hold a "$PL" "$f"
waiter_gets_it "-w 60: gets the lock when the holder lets go within the time" \
  "$PL" -w 60 "$f" "$H" exit 0
expect 0 '' "free again once the holder is gone" "$PL" -n "$f" "$H" exit 0
run "$PL" --who "$f"
[ $rc -eq 1 ] && [ -z "$out" ]
ok $? "--who on a free file: exit 1, prints nothing"

# --- shared locks ------------------------------------------------------
hold s "$PL" -s "$f"
expect 0 '' "-s with a shared holder: granted" "$PL" -s -n "$f" "$H" exit 0
expect 1 '' "-x with a shared holder: conflict" "$PL" -x -n "$f" "$H" exit 0
expect 1 '' "-x -w 0.2 with a shared holder: times out" \
  "$PL" -w 0.2 "$f" "$H" exit 0
release s

# --- byte ranges -------------------------------------------------------
hold r "$PL" --start 0 --length 10 "$f"
expect 0 '' "--start 10 --length 10: a disjoint range is free" \
  "$PL" -n --start 10 --length 10 "$f" "$H" exit 0
expect 1 '' "--start 5 --length 10: an overlapping range conflicts" \
  "$PL" -n --start 5 --length 10 "$f" "$H" exit 0
expect 1 '' "the whole file conflicts with the range" \
  "$PL" -n "$f" "$H" exit 0
release r

# --- directories -------------------------------------------------------
expect 66 "^portalock: cannot lock directory $T: Windows cannot lock directories" \
  "a directory is refused, saying why: 66" "$PL" "$T" "$H" exit 0
expect 66 "^portalock: cannot lock directory $T: Windows cannot lock directories" \
  "--who on a directory: the same" "$PL" --who "$T"

# --- --verbose ---------------------------------------------------------
run "$PL" --verbose "$f" "$H" argv hello
[ $rc -eq 0 ] && [ -z "$err" ] && printf '%s\n' "$out" | sed -n 1p \
  | grep -Eq '^portalock: getting lock took [0-9]+\.[0-9]{6} seconds$' \
  && [ "$(printf '%s\n' "$out" | sed -n 2p)" = "portalock: executing $H" ] \
  && [ "$(printf '%s\n' "$out" | sed -n 3p)" = "[hello]" ]
ok $? "--verbose: the two lines, then the command's output"

finish
