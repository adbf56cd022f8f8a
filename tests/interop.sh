#! /bin/sh
# interop.sh - rule 7: a whole-file lock taken through the library
# excludes, and is excluded by, other programs that use flock(2):
# util-linux flock(1), Python's portalocker and filelock.
# Copyright (C) 2026 The portalock authors.
#
# This program is free software: you can redistribute it and/or modify it
# under the terms of the GNU General Public License as published by the
# Free Software Foundation; either version 3 of the License, or (at your
# option) any later version.  See COPYING.
#
# Prints TAP.  Uses the backend the library picks (or PORTALOCK_BACKEND);
# the whole file is skipped if that backend does not interoperate with
# flock(2) (no PL_FEATURE_FLOCK_COMPAT), and each peer that is not
# installed is skipped alone.  The Python peers are Debian's packages, so
# Debian's /usr/bin/python3 is used, not whatever python3 is first on PATH
# (PL_PYTHON overrides).
#
# No background processes: each holder runs the other side as its child
# while it holds the lock (pl-helper with ..., flock FILE CMD, and the
# same for Python), so nothing waits and nothing is left behind.

helper=${PL_HELPER:-./pl-helper}
info=${PL_INFO:-./pl-info}
python=${PL_PYTHON:-/usr/bin/python3}

if "$info" --feature flock-compat; then :; else
  echo "1..0 # SKIP backend `"$info" --backend` does not interoperate with flock(2)"
  exit 0
fi

lock=interop-$$.tmp
trap 'rm -f "$lock"' 0
: > "$lock" || exit 99

echo 1..22
n=0
failed=0

# check DESCRIPTION EXPECTED-STATUS COMMAND [ARG...]
check ()
{
  desc=$1 want=$2
  shift 2
  n=`expr $n + 1`
  "$@"
  got=$?
  if test $got = $want; then
    echo "ok $n - $desc"
  else
    echo "not ok $n - $desc (exit status $got, expected $want)"
    failed=1
  fi
}

# skip COUNT REASON
skip ()
{
  i=0
  while test $i -lt $1; do
    n=`expr $n + 1`
    i=`expr $i + 1`
    echo "ok $n # SKIP $2"
  done
}

busy=1 free=0

# util-linux flock(1): -n fails with status 1 when the lock is held.
if command -v flock >/dev/null 2>&1; then
  check "library ex excludes flock(1) -x" $busy \
    "$helper" with "$lock" ex flock -n -x "$lock" true
  check "library ex excludes flock(1) -s" $busy \
    "$helper" with "$lock" ex flock -n -s "$lock" true
  check "library sh admits flock(1) -s" $free \
    "$helper" with "$lock" sh flock -n -s "$lock" true
  check "library sh excludes flock(1) -x" $busy \
    "$helper" with "$lock" sh flock -n -x "$lock" true
  check "flock(1) -x excludes library ex" $busy \
    flock -x "$lock" "$helper" try "$lock" ex
  check "flock(1) -x excludes library sh" $busy \
    flock -x "$lock" "$helper" try "$lock" sh
  check "flock(1) -s admits library sh" $free \
    flock -s "$lock" "$helper" try "$lock" sh
  check "flock(1) -s excludes library ex" $busy \
    flock -s "$lock" "$helper" try "$lock" ex
  check "flock(1) gets the lock when nobody holds it" $free \
    flock -n -x "$lock" true
else
  skip 9 "flock(1) not installed"
fi

# python3-portalocker (flock(2) underneath).
py_try='import sys, portalocker
mode = portalocker.LOCK_SH if sys.argv[2] == "sh" else portalocker.LOCK_EX
with open(sys.argv[1], "a") as f:
    try:
        portalocker.lock(f, mode | portalocker.LOCK_NB)
    except portalocker.exceptions.LockException:
        sys.exit(1)
'
py_with='import sys, subprocess, portalocker
mode = portalocker.LOCK_SH if sys.argv[2] == "sh" else portalocker.LOCK_EX
with open(sys.argv[1], "a") as f:
    portalocker.lock(f, mode)
    status = subprocess.call(sys.argv[3:])
sys.exit(status)
'
if "$python" -c 'import portalocker' >/dev/null 2>&1; then
  check "library ex excludes portalocker ex" $busy \
    "$helper" with "$lock" ex "$python" -c "$py_try" "$lock" ex
  check "library ex excludes portalocker sh" $busy \
    "$helper" with "$lock" ex "$python" -c "$py_try" "$lock" sh
  check "library sh admits portalocker sh" $free \
    "$helper" with "$lock" sh "$python" -c "$py_try" "$lock" sh
  check "library sh excludes portalocker ex" $busy \
    "$helper" with "$lock" sh "$python" -c "$py_try" "$lock" ex
  check "portalocker ex excludes library ex" $busy \
    "$python" -c "$py_with" "$lock" ex "$helper" try "$lock" ex
  check "portalocker ex excludes library sh" $busy \
    "$python" -c "$py_with" "$lock" ex "$helper" try "$lock" sh
  check "portalocker sh admits library sh" $free \
    "$python" -c "$py_with" "$lock" sh "$helper" try "$lock" sh
  check "portalocker sh excludes library ex" $busy \
    "$python" -c "$py_with" "$lock" sh "$helper" try "$lock" ex
  check "portalocker gets the lock when nobody holds it" $free \
    "$python" -c "$py_try" "$lock" ex
else
  skip 9 "python3-portalocker not installed for $python"
fi

# python3-filelock (exclusive flock(2) only).
fl_try='import sys, filelock
try:
    filelock.FileLock(sys.argv[1]).acquire(timeout=0)
except filelock.Timeout:
    sys.exit(1)
'
fl_with='import sys, subprocess, filelock
with filelock.FileLock(sys.argv[1]):
    status = subprocess.call(sys.argv[2:])
sys.exit(status)
'
if "$python" -c 'import filelock' >/dev/null 2>&1; then
  check "library ex excludes filelock" $busy \
    "$helper" with "$lock" ex "$python" -c "$fl_try" "$lock"
  check "library sh excludes filelock" $busy \
    "$helper" with "$lock" sh "$python" -c "$fl_try" "$lock"
  check "filelock excludes library sh" $busy \
    "$python" -c "$fl_with" "$lock" "$helper" try "$lock" sh
  check "filelock gets the lock when nobody holds it" $free \
    "$python" -c "$fl_try" "$lock"
else
  skip 4 "python3-filelock not installed for $python"
fi

exit $failed
