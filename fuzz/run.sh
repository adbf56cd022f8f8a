#!/bin/sh
# fuzz/run.sh - build the libFuzzer harnesses and run each for a bounded
# time; fail on any crash, leak, sanitizer report or hang.
# Copyright (C) 2026 The portalock authors.
# This file is part of portalock, under the GNU GPL 3 or later.
#
# Usage: fuzz/run.sh [HARNESS...]   (default: all of them)
# Environment:
#   FUZZ_SECONDS  run time per harness (default 60)
#   FUZZ_BUILD    build directory (default: ./fuzz-build, kept for reuse)
#   CC            a clang with libFuzzer (default: clang)
#
# The library, the tool's gnulib and config.h come from a separate
# configure run with clang and -fsanitize=fuzzer-no-link,address,
# undefined (static library only); the harnesses are then linked by hand
# with -fsanitize=fuzzer.  Each harness starts from its seed corpus in
# fuzz/corpus/NAME (copied: new inputs go to the build directory, not
# into the source tree).  -timeout=10: an input that runs 10 s is a hang
# and fails the run, as a crash or a leak does.

set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
build=${FUZZ_BUILD:-$PWD/fuzz-build}
seconds=${FUZZ_SECONDS:-60}
CC=${CC:-clang}
harnesses=${*:-fuzz-numbers fuzz-args fuzz-api}

san="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
cflags="-g -O1 -fno-omit-frame-pointer $san"

mkdir -p "$build/tree"
if [ ! -f "$build/tree/config.status" ]; then
  echo "fuzz: configuring $build/tree with $CC"
  (cd "$build/tree" &&
     "$src/configure" -q CC="$CC" CFLAGS="$cflags -fsanitize=fuzzer-no-link" \
       --disable-shared --disable-valgrind-tests) ||
    { echo "fuzz: configure failed" >&2; exit 1; }
fi
echo "fuzz: building the library and the tool's gnulib"
make -s -C "$build/tree/gl" >/dev/null
make -s -C "$build/tree/lib" >/dev/null
make -s -C "$build/tree/src/gl" >/dev/null

tree=$build/tree
inc="-I$tree -I$src/lib -I$tree/lib -I$tree/src/gl -I$src/src/gl -I$src/src"
libs="$tree/lib/.libs/libportalock.a -lpthread -lm"
link () # NAME SOURCES...
{
  name=$1
  shift
  $CC $cflags -fsanitize=fuzzer $inc -o "$build/$name" "$@" $libs
}

for h in $harnesses; do
  case $h in
    fuzz-numbers)
      link "$h" "$src/fuzz/fuzz-numbers.c" "$src/src/numbers.c" \
        "$tree/src/gl/libgnutools.a" ;;
    fuzz-args)
      link "$h" "$src/fuzz/fuzz-args.c" "$src/src/numbers.c" \
        "$tree/src/gl/libgnutools.a" ;;
    fuzz-api)
      link "$h" "$src/fuzz/fuzz-api.c" ;;
    *) echo "fuzz: no harness $h" >&2; exit 1 ;;
  esac
done

status=0
for h in $harnesses; do
  corpus=$build/corpus/$h
  mkdir -p "$corpus" "$build/artifacts"
  cp "$src/fuzz/corpus/$h"/* "$corpus"/ 2>/dev/null || true
  # fuzz-args prints the tool's usage errors: silence both streams
  # (libFuzzer keeps its own reports); the others print only failures.
  mask=1
  [ "$h" = fuzz-args ] && mask=3
  echo "fuzz: running $h for $seconds s"
  log=$build/$h.log
  # fuzz-api's private directory goes here: libFuzzer ends a timed run
  # without running atexit handlers, so it is removed from outside.
  tmp=$build/tmp-$h
  rm -rf "$tmp"
  mkdir -p "$tmp"
  if TMPDIR=$tmp "$build/$h" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
       -close_fd_mask=$mask -print_final_stats=1 \
       -artifact_prefix="$build/artifacts/$h-" "$corpus" > "$log" 2>&1
  then
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    echo "fuzz: $h: ok, ${runs:-?} executions"
  else
    echo "fuzz: $h FAILED; the end of its log:" >&2
    tail -n 60 "$log" >&2
    status=1
  fi
  rm -rf "$tmp"
done
exit $status
