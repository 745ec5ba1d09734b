#!/usr/bin/env bash
# tsan-repeat.sh — run the ThreadSanitizer subset of the tests many times
#
# Usage: bash tests/tsan-repeat.sh BUILD-DIR COUNT [TEST...]
#   e.g. bash tests/tsan-repeat.sh build-tsan 50
#        bash tests/tsan-repeat.sh build-tsan 200 test-threads
#
# BUILD-DIR must be configured with -Db_sanitize=thread. Each round is one
# `meson test` of the given tests (by default the units whose threads
# synchronise only through agen, the ones README names for TSan), so they
# run with the test environment of tests/meson.build: G_SLICE=always-malloc
# and G_DEBUG=gc-friendly make GLib free memory through free() and scribble
# on it, which is what lets TSan see a free racing with a read. A race
# shows up in some runs only, hence the repetition. The first round that
# fails stops the loop; its log is kept as
# BUILD-DIR/meson-logs/tsan-repeat-failed.txt. The last line is
# "N of COUNT rounds passed".
#
# SPDX-License-Identifier: LGPL-2.1-or-later

set -uo pipefail

if [ $# -lt 2 ] || ! [[ $2 =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: $0 BUILD-DIR COUNT [TEST...]" >&2
  exit 2
fi

build=$1
count=$2
shift 2
if [ $# -gt 0 ]; then
  tests=("$@")
else
  tests=(test-threads test-hooks test-generator test-yield-from test-driven
         test-aclosing test-context-manager test-fiber)
fi

sanitize=$(meson introspect --buildoptions "$build" 2>/dev/null |
  /usr/bin/python3 -c 'import json, sys
print(next((o["value"] for o in json.load(sys.stdin) if o["name"] == "b_sanitize"), ""))')
if [ "$sanitize" != thread ]; then
  echo "$build is not a ThreadSanitizer build (b_sanitize=${sanitize:-?});" \
       "configure it with -Db_sanitize=thread" >&2
  exit 2
fi

if ! meson compile -C "$build" >/dev/null; then
  echo "build failed" >&2
  echo "0 of $count rounds passed"
  exit 1
fi

for ((round = 1; round <= count; round++)); do
  start=$SECONDS
  if meson test -C "$build" --no-rebuild --print-errorlogs --num-processes 2 \
       "${tests[@]}" >"$build/meson-logs/tsan-repeat-round.txt" 2>&1; then
    echo "round $round/$count: ok ($((SECONDS - start)) s)"
  else
    cp "$build/meson-logs/testlog.txt" "$build/meson-logs/tsan-repeat-failed.txt"
    grep -E '^ *[0-9]+/[0-9]+ ' "$build/meson-logs/tsan-repeat-round.txt" | grep -v ' OK ' | sort -u || true
    echo "round $round/$count: FAILED; log in $build/meson-logs/tsan-repeat-failed.txt"
    echo "$((round - 1)) of $count rounds passed"
    exit 1
  fi
done

echo "$count of $count rounds passed"
