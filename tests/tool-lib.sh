# tool-lib.sh - shared helpers for the portalock(1) shell tests (TAP).
# Copyright (C) 2026 The portalock authors.
# This file is part of portalock, under the GNU GPL 3 or later.
#
# Sourced by tests/tool-*.sh.  Provides:
#   PL          absolute path of the portalock under test ($PORTALOCK, or
#               ../src/portalock$EXEEXT from the build directory); in a
#               cross build run under wine, a script that runs it there
#   PL_EXE      the program itself (on Windows, what another Windows
#               program must start: $PL may be a script)
#   WINDOWS     yes when the portalock under test is a Windows program
#   TOOL_HELPER the Windows stand-in for sh as portalock's command
#               (tool-helper.exe; Windows builds only)
#   FLOCK       util-linux flock(1), or empty if missing
#   T           a fresh scratch directory, removed at exit
#   ok STATUS DESC, skip DESC REASON, finish (prints the TAP plan last)
#   run CMD...  runs CMD, sets $rc, $out (stdout) and $err (stderr)
#   hold NAME HOLDER-CMD...  starts a background holder that takes a lock
#               with HOLDER-CMD (e.g. "$FLOCK -s f") and keeps it until
#               release NAME; waits (bounded) until it holds the lock
#   release NAME  lets holder NAME go and reaps it
#
# Synchronisation never relies on sleeping: a holder creates a ready file
# once its command runs under the lock, and waits on a FIFO it opened
# first, so that a release written before it reads is never lost.

set -u
LC_ALL=C
export LC_ALL

PL=${PORTALOCK:-../src/portalock${EXEEXT-}}
case $PL in
  /*) ;;
  *) PL=$(pwd)/$PL ;;
esac
PL_EXE=$PL
FLOCK=$(command -v flock || true)

T=$(mktemp -d "${TMPDIR:-/tmp}/pltool.XXXXXX") || exit 99

# Windows builds (EXEEXT=.exe, exported by tests/Makefile.am): the tests
# call "$PL" as one word, so under wine ($PL_TEST_RUNNER) that word is a
# script that runs the program there.  Wine takes the POSIX paths of $T
# as they are (drive Z: is /).
WINDOWS=
TOOL_HELPER=
case ${EXEEXT-} in
  .exe|.EXE)
    WINDOWS=yes
    TOOL_HELPER=$(pwd)/tool-helper${EXEEXT}
    if [ -n "${PL_TEST_RUNNER-}" ]; then
      printf '#!/bin/sh\nexec %s "%s" "$@"\n' "$PL_TEST_RUNNER" "$PL" \
        > "$T/portalock"
      chmod +x "$T/portalock"
      PL=$T/portalock
    fi
    ;;
esac
holders=
cleanup ()
{
  for h in $holders; do
    [ -e "$T/$h.fifo" ] && let_go "$h"
  done
  wait
  rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 99' HUP INT TERM

n=0
failed=0
ok ()
{
  n=$((n + 1))
  if [ "$1" -eq 0 ]; then
    echo "ok $n - $2"
  else
    echo "not ok $n - $2"
    failed=1
    # Show what the last run printed, for the log.
    printf '# rc=%s\n# stdout: %s\n# stderr: %s\n' "${rc-}" "${out-}" \
      "${err-}" | sed '2,$s/^\([^#]\)/# \1/'
  fi
}
skip () { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }

run ()
{
  "$@" > "$T/.out" 2> "$T/.err"
  rc=$?
  # A Windows program writes CRLF in text mode; the lines are the same.
  if [ -n "$WINDOWS" ]; then
    out=$(tr -d '\r' < "$T/.out")
    err=$(tr -d '\r' < "$T/.err")
  else
    out=$(cat "$T/.out")
    err=$(cat "$T/.err")
  fi
}

# expect RC REGEX DESC CMD...: exit status RC, and a one-line stderr that
# matches REGEX (an empty REGEX: stderr must be empty).
expect ()
{
  _rc=$1 _re=$2 _desc=$3
  shift 3
  run "$@"
  if [ -z "$_re" ]; then
    [ "$rc" -eq "$_rc" ] && [ -z "$err" ]
  else
    [ "$rc" -eq "$_rc" ] && [ "$(printf '%s\n' "$err" | wc -l)" -eq 1 ] \
      && printf '%s\n' "$err" | grep -Eq -- "$_re"
  fi
  ok $? "$_desc"
}

# wait_for FILE: until FILE exists, at most 60 s (a loaded machine).
wait_for ()
{
  _i=0
  while [ ! -e "$1" ]; do
    _i=$((_i + 1))
    [ $_i -gt 1200 ] && return 1
    sleep 0.05
  done
}

# wait_blocked FILE [TICKS]: until some process waits for a lock on FILE,
# as Linux's /proc/locks shows (a "->" line with FILE's inode), at most
# TICKS * 0.05 s (default 60 s).  Returns 1 if it never showed, 2 at once
# where /proc/locks is missing.
wait_blocked ()
{
  # Wine keeps its locks in wineserver, not in the kernel.
  [ -z "$WINDOWS" ] && [ -r /proc/locks ] || return 2
  _ino=$(stat -c %i "$1") || return 2
  _i=0
  until grep -Eq -- "-> .* [0-9a-f]+:[0-9a-f]+:$_ino " /proc/locks; do
    _i=$((_i + 1))
    [ $_i -gt "${2-1200}" ] && return 1
    sleep 0.05
  done
}

# waiter_test DESC FILE HOLDER-NAME WAITER-CMD...: WAITER-CMD (a
# portalock command line without its command) must get the lock only
# after holder HOLDER-NAME lets go: it runs in the background, we wait
# until it is blocked (where the system shows it), release the holder,
# and the log must say "released" before "got".
# timed_waiter_test: the same for a timed waiter, which the library may
# implement without a blocking call that /proc/locks would show: give it
# 2 s to show up, then go on.
waiter_test ()
{
  _ticks=1200
  _waiter_test "$@"
}
timed_waiter_test ()
{
  _ticks=40
  _waiter_test "$@"
}
_waiter_test ()
{
  _desc=$1 _file=$2 _holder=$3
  shift 3
  rm -f "$T/log"
  "$@" sh -c 'echo got >> "$1"' sh "$T/log" &
  _w=$!
  wait_blocked "$_file" $_ticks
  _blocked=$?
  [ $_ticks -lt 1200 ] && _blocked=0
  echo released >> "$T/log"
  release "$_holder"
  wait $_w
  _st=$?
  [ $_st -eq 0 ] && [ "$(cat "$T/log")" = "released
got" ] && [ $_blocked -ne 1 ]
  ok $? "$_desc"
}

# now_ms: milliseconds since the epoch (GNU date).
now_ms () { date +%s%3N; }

hold ()
{
  _h=$1
  shift
  rm -f "$T/$_h.ready" "$T/$_h.go"
  if [ -n "$WINDOWS" ]; then
    # A Windows command cannot read a FIFO: it waits for a go file.
    : > "$T/$_h.fifo"
    "$@" "$TOOL_HELPER" hold "$T/$_h.ready" "$T/$_h.go" &
  else
    mkfifo "$T/$_h.fifo" || return 1
    "$@" sh -c 'exec 7<>"$1"; : > "$2"; read x <&7' sh \
      "$T/$_h.fifo" "$T/$_h.ready" &
  fi
  eval "holder_$_h=\$!"
  holders="$holders $_h"
  wait_for "$T/$_h.ready"
}

# let_go NAME: tell holder NAME to end (without waiting for it).
let_go ()
{
  if [ -n "$WINDOWS" ]; then
    : > "$T/$1.go"
  else
    echo x 1<>"$T/$1.fifo"
  fi
}

release ()
{
  let_go "$1"
  eval "wait \$holder_$1"
  _st=$?
  rm -f "$T/$1.fifo"
  holders=$(echo "$holders" | sed "s/ $1\$//; s/ $1 / /")
  return $_st
}

# backend_usable NAME: is NAME in portalock --list-backends?
backend_usable ()
{
  "$PL" --list-backends | awk '{ print $1 }' | grep -qx "$1"
}

finish () { echo "1..$n"; exit $failed; }

# The tests that check flock(1) behaviour (interoperation with util-linux
# flock, directories, a shell's descriptor outliving portalock) need the
# flock backend as the whole-file default, as on every Linux and BSD
# build.  A build configured without it (pl_cv_func_flock=no) has the
# library's conformance suites for its backends instead: skip the file,
# saying why, rather than test flock(1) semantics the build cannot have.
require_flock_default ()
{
  if [ -n "$WINDOWS" ]; then
    echo "1..0 # SKIP POSIX semantics (flock(1) peers, sh, fork, signals); the Windows tool is tested by tool-win32.sh"
    exit 0
  fi
  if ! "$PL" --list-backends 2>/dev/null | grep -q '^flock .*\*whole'; then
    echo "1..0 # SKIP the whole-file backend is not flock (configured without it)"
    exit 0
  fi
}
