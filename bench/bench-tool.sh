#!/bin/sh
# bench-tool.sh - P7: start-up of `portalock FILE true' against util-linux
# `flock FILE true', as whole processes.
# Copyright (C) 2026 The portalock authors.
# This file is part of portalock, under the GNU GPL 3 or later.
#
# Usage: bench-tool.sh [PORTALOCK [RUNS]]   (default ../src/portalock, 500)
#
# The two commands run alternately (flock first on even rounds, portalock
# first on odd ones) so that drift in machine load hits both alike, and
# each run is timed on its own; the ratio is of the medians.  Timing uses
# bash's $EPOCHREALTIME, which costs no fork: an external `date' per run
# would cost more than what is measured.

if [ -z "${EPOCHREALTIME-}" ]; then
  if command -v bash >/dev/null 2>&1; then
    exec bash "$0" "$@"
  fi
  echo "P7 tool-startup skipped (needs bash for \$EPOCHREALTIME)"
  exit 0
fi

tool=${1-../src/portalock}
runs=${2-500}
flock=$(command -v flock) || {
  echo "P7 tool-startup skipped (no util-linux flock(1) here)"
  exit 0
}
true=$(command -v true) || true=/bin/true
[ -x "$tool" ] || { echo "bench-tool.sh: $tool: not executable" >&2; exit 1; }

dir=$(mktemp -d "${TMPDIR:-/tmp}/bench-tool.XXXXXX") || exit 1
trap 'rm -rf "$dir"' EXIT
lock=$dir/lock
: > "$lock"

# Warm the page cache and the dynamic loader's caches first.
for i in 1 2 3 4 5 6 7 8 9 10; do
  "$flock" "$lock" "$true"
  "$tool" "$lock" "$true"
done

i=0
while [ $i -lt "$runs" ]; do
  if [ $((i % 2)) -eq 0 ]; then
    t0=$EPOCHREALTIME; "$flock" "$lock" "$true"; t1=$EPOCHREALTIME
    t2=$EPOCHREALTIME; "$tool" "$lock" "$true"; t3=$EPOCHREALTIME
  else
    t2=$EPOCHREALTIME; "$tool" "$lock" "$true"; t3=$EPOCHREALTIME
    t0=$EPOCHREALTIME; "$flock" "$lock" "$true"; t1=$EPOCHREALTIME
  fi
  echo "f $t0 $t1" >> "$dir/times"
  echo "p $t2 $t3" >> "$dir/times"
  i=$((i + 1))
done

# $EPOCHREALTIME may use a locale's decimal comma: accept both.
tr ',' '.' < "$dir/times" | awk '
  { d = ($3 - $2) * 1e6; if ($1 == "f") f[nf++] = d; else p[np++] = d }
  function median(a, n,   i, j, t) {
    for (i = 1; i < n; i++)
      for (j = i; j > 0 && a[j - 1] > a[j]; j--)
        { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
    return n % 2 ? a[(n - 1) / 2] : (a[n / 2 - 1] + a[n / 2]) / 2
  }
  END {
    mf = median(f, nf); mp = median(p, np)
    printf "flock FILE true:     median %.0f us (%d runs)\n", mf, nf
    printf "portalock FILE true: median %.0f us (%d runs)\n", mp, np
    printf "P7 tool-startup ratio=%.3f target<=1.05\n", mp / mf
  }'
