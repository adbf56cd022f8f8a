#!/bin/sh
# tool-usage.sh - portalock(1): --help, --version, and bad input: each
# gets the right exit status and a message naming the problem.
# Copyright (C) 2026 The portalock authors.
# This file is part of portalock, under the GNU GPL 3 or later.

. "${srcdir:-.}/tool-lib.sh"
# Also for Windows (what differs there is marked "Windows:").
[ -n "$WINDOWS" ] || require_flock_default

f=$T/f

run "$PL" --help
[ $rc -eq 0 ] && [ -z "$err" ] && printf '%s\n' "$out" | grep -q '^Usage:' \
  && [ "$(printf '%s\n' "$out" | awk 'length > 79' | wc -l)" -eq 0 ]
ok $? "--help: exit 0, usage on stdout, lines shorter than 80 columns"
for opt in --shared --exclusive --unlock --nonblock --timeout \
           --conflict-exit-code --close --command --no-fork --fcntl --start \
           --length --verbose --fd --backend --list-backends --who; do
  printf '%s\n' "$out" | grep -q -- "$opt" || { missing=$opt; break; }
done
[ -z "${missing-}" ]
ok $? "--help names every option ${missing-}"

run "$PL" -V
[ $rc -eq 0 ] && printf '%s\n' "$out" | head -n 1 \
  | grep -Eq '^portalock \(portalock\) [0-9]+\.[0-9]+\.[0-9]+$' \
  && printf '%s\n' "$out" | grep -q '^License GPLv3+'
ok $? "-V: GNU version form"

run "$PL"
[ $rc -eq 64 ] && printf '%s\n' "$err" | head -n 1 \
  | grep -q 'portalock: not enough arguments'
ok $? "no argument: 64, not enough arguments"

run "$PL" -q "$f" true
[ $rc -eq 64 ] && printf '%s\n' "$err" | grep -q "invalid option -- 'q'" \
  && printf '%s\n' "$err" | grep -q "Try 'portalock --help'"
ok $? "unknown option: 64, names it"

run "$PL" --frobnicate "$f" true
[ $rc -eq 64 ] && printf '%s\n' "$err" | grep -q "unrecognized option '--frobnicate'"
ok $? "unknown long option: 64, names it"

expect 64 'requires file descriptor, file or directory' \
  "options but no file: 64" "$PL" -n
expect 64 "invalid timeout value: 'abc'" \
  "non-numeric timeout: 64" "$PL" -w abc "$f" true
expect 64 "invalid timeout value: '-1'" \
  "negative timeout: 64" "$PL" -w -1 "$f" true
expect 64 "invalid timeout value: 'nan'" \
  "NaN timeout: 64" "$PL" -w nan "$f" true
expect 64 "invalid timeout value: 'inf'" \
  "infinite timeout: 64" "$PL" -w inf "$f" true
expect 64 "invalid timeout value: '1.5x'" \
  "timeout with trailing junk: 64" "$PL" --timeout 1.5x "$f" true
expect 64 "bad file descriptor: 'abc'" \
  "non-numeric descriptor: 64" "$PL" abc
expect 64 "bad file descriptor: '3x'" \
  "--fd with a non-number: 64" "$PL" --fd 3x true
if [ -n "$WINDOWS" ]; then
  # Windows: the descriptor forms are refused (tool-win32.sh).
  skip "descriptor not open: 65" "Windows: the descriptor form is refused"
  skip "negative descriptor: 65" "Windows: the descriptor form is refused"
else
  expect 65 '^portalock: 99: Bad file descriptor$' \
    "descriptor not open: 65" "$PL" 99
  expect 65 '^portalock: -5: Bad file descriptor$' \
    "negative descriptor: 65" "$PL" -- -5
fi
expect 64 "invalid exit code: 'x'" \
  "non-numeric -E: 64" "$PL" -E x "$f" true
expect 64 'exit code out of range \(expected 0 to 255\)' \
  "-E 256: 64" "$PL" -E 256 "$f" true
expect 64 'exit code out of range' \
  "-E -1: 64" "$PL" --conflict-exit-code -1 "$f" true
expect 64 'the --no-fork and --close options are incompatible' \
  "-F with -o: 64" "$PL" -F -o "$f" true
expect 64 '^portalock: -c requires exactly one command argument$' \
  "-c without its command: 64" "$PL" "$f" -c
expect 64 '^portalock: -c requires exactly one command argument$' \
  "-c with two arguments: 64" "$PL" "$f" -c a b
expect 64 "unknown backend 'nope'" \
  "--backend with an unknown name: 64" "$PL" --backend nope "$f" true
if [ -n "$WINDOWS" ]; then
  expect 64 "^portalock: unknown backend 'flock' \\(see --list-backends\\)\$" \
    "Windows: --backend flock is unknown: 64" \
    "$PL" --backend flock --start 1 "$f" true
else
  expect 64 "backend 'flock' cannot lock byte ranges" \
    "--start on the flock backend: 64" \
    "$PL" --backend flock --start 1 "$f" true
fi
expect 64 "invalid as start offset: 'x'" \
  "--start not a number: 64" "$PL" --start x "$f" true
expect 64 "invalid as length of lock range: '-3'" \
  "--length negative: 64" "$PL" --length -3 "$f" true
expect 64 "--who takes no other argument" \
  "--who with a command: 64" "$PL" --who "$f" true

expect 66 "^portalock: cannot open lock file $T/none/f: No such file or directory\$" \
  "lock file in a missing directory: 66" "$PL" "$T/none/f" true
expect 66 "cannot open lock file $T/none" \
  "--who on a missing file: 66" "$PL" --who "$T/none"
[ ! -e "$T/none" ]
ok $? "--who does not create the file"

expect 69 '^portalock: failed to execute no-such-command-here: No such file or directory$' \
  "command that does not exist: 69" "$PL" "$f" no-such-command-here
if [ -n "$WINDOWS" ]; then
  skip "-F, command that does not exist: 69" "Windows: -F is refused"
  # Windows: no execute bit; a file that is no program is what fails.
  echo 'not a program' > "$T/noexec.exe"
  expect 69 "^portalock: failed to execute $T/noexec.exe: Exec format error\$" \
    "Windows: command that is no program: 69" "$PL" "$f" "$T/noexec.exe"
else
  expect 69 'failed to execute no-such-command-here' \
    "-F, command that does not exist: 69" "$PL" -F "$f" no-such-command-here
  : > "$T/noexec"
  chmod 644 "$T/noexec"
  expect 69 "failed to execute $T/noexec: Permission denied" \
    "command not executable: 69" "$PL" "$f" "$T/noexec"
fi

# An unreadable directory: root reads anything, so drop to nobody when
# running as root and setpriv(1) is there.
mkdir "$T/closed" && chmod 000 "$T/closed"
chmod 755 "$T"
if [ -n "$WINDOWS" ]; then
  skip "unreadable directory: 66" "Windows: no POSIX modes (directories: tool-win32.sh)"
elif [ "$(id -u)" -ne 0 ]; then
  expect 66 "cannot open lock file $T/closed: Permission denied" \
    "unreadable directory: 66" "$PL" "$T/closed" true
elif command -v setpriv > /dev/null \
     && setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$PL"; then
  expect 66 "cannot open lock file $T/closed: Permission denied" \
    "unreadable directory: 66" \
    setpriv --reuid=65534 --regid=65534 --clear-groups "$PL" "$T/closed" true
else
  skip "unreadable directory: 66" "root, and no way to drop privileges"
fi
chmod 755 "$T/closed"

# The lock file is created 0666 & ~umask.
if [ -n "$WINDOWS" ]; then
  expect 0 '' "Windows: a missing lock file is created" \
    "$PL" "$T/new1" "$TOOL_HELPER" exit 0
  [ -f "$T/new1" ]
  ok $? "Windows: the lock file exists afterwards"
else
  (umask 022 && "$PL" "$T/new1" true) \
    && [ "$(stat -c %a "$T/new1")" = 644 ]
  ok $? "missing lock file created with mode 0666 & ~umask (022)"
  (umask 077 && "$PL" "$T/new2" true) \
    && [ "$(stat -c %a "$T/new2")" = 600 ]
  ok $? "missing lock file created with mode 0666 & ~umask (077)"
fi

if [ -n "$WINDOWS" ]; then
  : # Windows: directories, in tool-win32.sh
else
  expect 0 '' "a directory can be locked" "$PL" "$T" true
fi
expect 0 '' "--timeout with a hexadecimal number, as strtod reads it" \
  "$PL" -w 0x10 "$f" ${TOOL_HELPER:-true} ${TOOL_HELPER:+exit 0}

if command -v groff > /dev/null; then
  run groff -ww -z -man "${srcdir:-.}/../doc/portalock.1"
  [ $rc -eq 0 ] && [ -z "$err" ]
  ok $? "portalock.1 renders without warnings (groff -ww)"
else
  skip "portalock.1 renders without warnings" "no groff"
fi

finish
