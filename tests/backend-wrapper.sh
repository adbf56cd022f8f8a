#! /bin/sh
# backend-wrapper.sh - run a test suite on one locking backend.
# Copyright (C) 2026 The portalock authors.
#
# This program is free software: you can redistribute it and/or modify it
# under the terms of the GNU General Public License as published by the
# Free Software Foundation; either version 3 of the License, or (at your
# option) any later version.  See COPYING.
#
# The LOG_COMPILER of the *.test files in tests/Makefile.am:
#   backend-wrapper.sh [DIR/]SUITE-BACKEND.test
# runs ./SUITE with PORTALOCK_BACKEND=BACKEND, or skips the whole file if
# the library says BACKEND does not work here (not built in, or its
# run-time probe failed).  The .test files hold nothing but a comment:
# their name is the whole test description, as in libevent's
# test-BACKEND runs.
#
# Skipping: under Automake's TAP driver an exit status of 77 is an error
# (tap-driver.sh only understands TAP), so a skip is the TAP plan
# "1..0 # SKIP reason" and exit 0, which the harness counts as SKIP.
#
# Environment: PL_INFO (path of pl-info), EXEEXT, PL_TEST_RUNNER (a
# command to run the test programs with, e.g. wine; empty natively).

test $# -ge 1 || {
  echo "usage: $0 SUITE-BACKEND.test [ARGS...]" >&2
  exit 99
}
name=`basename "$1" .test`
shift
suite=${name%%-*}
backend=${name#*-}
info=${PL_INFO:-./pl-info$EXEEXT}

$PL_TEST_RUNNER "$info" --has "$backend"
case $? in
  0) ;;
  1)
    available=`$PL_TEST_RUNNER "$info" --backends | tr '\n' ' '`
    echo "1..0 # SKIP backend $backend does not work here (available: $available)"
    exit 0 ;;
  *)
    echo "Bail out! $info --has $backend failed"
    exit 99 ;;
esac

PORTALOCK_BACKEND=$backend
export PORTALOCK_BACKEND
exec $PL_TEST_RUNNER "./$suite$EXEEXT" "$@"
