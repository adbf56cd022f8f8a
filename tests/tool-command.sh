#!/bin/sh
# tool-command.sh - portalock(1) running a command: its exit status, the
# signal that killed it, -c, -o (the command does not inherit the lock)
# and -F (no fork: the command replaces portalock and keeps the lock).
# Copyright (C) 2026 The portalock authors.
# This file is part of portalock, under the GNU GPL 3 or later.

. "${srcdir:-.}/tool-lib.sh"
require_flock_default

f=$T/f
: > "$f"

expect 42 '' "the command's exit status" "$PL" "$f" sh -c 'exit 42'
expect 143 '' "a command killed by SIGTERM: 128 + 15" \
  "$PL" "$f" sh -c 'kill -TERM $$'
run "$PL" "$f" echo 'a  b' c
[ $rc -eq 0 ] && [ "$out" = "a  b c" ]
ok $? "the arguments reach the command unchanged"

run env SHELL=/bin/sh "$PL" "$f" -c 'echo "$0:" one; exit 3'
[ $rc -eq 3 ] && [ "$out" = "/bin/sh: one" ]
ok $? "FILE -c COMMAND runs \$SHELL -c COMMAND"
run env SHELL= "$PL" "$f" --command 'echo "$0"'
[ $rc -eq 0 ] && [ "$out" = "/bin/sh" ]
ok $? "FILE --command: /bin/sh when \$SHELL is empty"
run env SHELL=/bin/sh "$PL" -c 'echo under lock' "$f"
[ $rc -eq 0 ] && [ "$out" = "under lock" ]
ok $? "-c COMMAND before the file (extension)"
run env SHELL=/bin/sh "$PL" --verbose "$f" -c true
[ "$(printf '%s\n' "$out" | sed -n 2p)" = "portalock: executing /bin/sh" ]
ok $? "--verbose names the shell for -c, as util-linux"

(
  exec 8> "$f"
  PL=$PL F=$f SHELL=/bin/sh
  export PL F SHELL
  run "$PL" --fd 8 -c '"$PL" -n "$F" true; echo $?'
  [ $rc -eq 0 ] && [ "$out" = 1 ]
)
ok $? "--fd NUMBER -c COMMAND: the command runs under the lock"

# The command runs under the lock.
run "$PL" "$f" "$PL" -n "$f" true
[ $rc -eq 1 ]
ok $? "the command runs while the lock is held"

# Without -o the command inherits the locked descriptor: when portalock
# itself dies, the command still holds the lock.  With -o it does not.
mkfifo "$T/go1" "$T/go2"
"$PL" "$f" sh -c 'exec 7<>"$1"; kill -KILL $PPID; : > "$2"; read x <&7' \
  sh "$T/go1" "$T/ready1" &
wait_for "$T/ready1"
expect 1 '' "without -o the command keeps the lock after portalock died" \
  "$PL" -n "$f" true
echo x 1<>"$T/go1"
wait
"$PL" -o "$f" sh -c 'exec 7<>"$1"; kill -KILL $PPID; : > "$2"; read x <&7' \
  sh "$T/go2" "$T/ready2" &
wait_for "$T/ready2"
expect 0 '' "with -o the command does not hold the lock" "$PL" -n "$f" true
echo x 1<>"$T/go2"
wait

# -F: the command replaces portalock (same pid) and keeps the lock.
mkfifo "$T/go3"
"$PL" -F "$f" sh -c 'exec 7<>"$1"; echo $$ > "$2.tmp"; mv "$2.tmp" "$2"; read x <&7' \
  sh "$T/go3" "$T/ready3" &
p=$!
wait_for "$T/ready3"
[ "$(cat "$T/ready3")" = "$p" ]
ok $? "-F: the command runs in portalock's own process"
expect 1 '' "-F: the command holds the lock" "$PL" -n "$f" true
echo x 1<>"$T/go3"
wait $p
expect 5 '' "-F: the exit status is the command's" \
  "$PL" -F "$f" sh -c 'exit 5'

# --verbose output order with a command writing to the same pipe.
run "$PL" --verbose "$f" sh -c 'echo from-command'
[ "$(printf '%s\n' "$out" | tail -n 1)" = from-command ]
ok $? "--verbose: portalock's lines are flushed before the command runs"

finish
