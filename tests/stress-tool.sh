#! /bin/sh
# stress-tool.sh - no lost update through portalock(1), on every backend.
# Copyright (C) 2026 The portalock authors.
# This file is part of portalock, under the GNU GPL 3 or later.
#
# P processes (2, 4, 8, 16) each run M times
#   portalock FILE sh -c 'read the counter; add 1; write it back'
# and the final counter must be P x M.  PL_STRESS=full: M ten times
# larger.  PL_STRESS_BREAK=1 runs the same command without the lock
# (must then fail: that is how one checks the test can fail).

. "${srcdir:-.}/tool-lib.sh"

INFO=${PL_INFO:-./pl-info}
m=25
[ "${PL_STRESS-}" = full ] && m=120

# One worker: M locked increments of $1.count under the lock on $1.
worker ()
{
  i=0
  while [ $i -lt $m ]; do
    if [ -n "${PL_STRESS_BREAK-}" ] && [ "$PL_STRESS_BREAK" != 0 ]; then
      sh -c 'read n < "$1"; n=$((n + 1)); echo "$n" > "$1"' sh "$1.count"
    else
      "$PL" "$1" sh -c 'read n < "$1"; n=$((n + 1)); echo "$n" > "$1"' \
        sh "$1.count"
    fi || exit 1
    i=$((i + 1))
  done
}

for b in $("$INFO" --backends); do
  for p in 2 4 8 16; do
    f=$T/counter-$b-$p
    echo 0 > "$f.count"
    pids=
    k=0
    while [ $k -lt $p ]; do
      PORTALOCK_BACKEND=$b worker "$f" &
      pids="$pids $!"
      k=$((k + 1))
    done
    st=0
    for pid in $pids; do
      wait "$pid" || st=1
    done
    got=$(cat "$f.count")
    want=$((p * m))
    echo "# $b: $p processes x $m: counter $got"
    [ "$st" -eq 0 ] && [ "$got" = "$want" ]
    ok $? "portalock(1) on $b: $p x $m locked increments, none lost"
  done
done
finish
