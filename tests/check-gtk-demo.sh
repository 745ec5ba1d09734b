#!/usr/bin/env bash
# check-gtk-demo.sh — run examples/gtk-demo under Xvfb on a generated tree
#
# Usage: check-gtk-demo.sh DEMO ARTIFACT-DIR
#
# Generates a tree of 12,000 files, starts the demo in --self-test mode
# under xvfb-run (it clicks "Click me" during the walk, presses Stop once
# rows have appeared, checks that clicks were answered and that no rows
# came after the walk stopped) and keeps its screenshot as
# ARTIFACT-DIR/gtk-demo-screenshot.png. Then checks that --print lists
# every file of the tree. Speaks TAP.
#
# SPDX-License-Identifier: LGPL-2.1-or-later

set -uo pipefail

demo=$1
artifacts=$2
tree=$(mktemp -d)
trap 'rm -rf "$tree"' EXIT

for d in $(seq 1 30); do
  mkdir -p "$tree/d$d/sub"
  (cd "$tree/d$d" && touch $(seq -f 'f%g.txt' 1 300) && cd sub && touch $(seq -f 'g%g.c' 1 100))
done

echo "1..3"

shot=$artifacts/gtk-demo-screenshot.png
rm -f "$shot"
# Software rendering, and no session bus to register with.
if out=$(GSK_RENDERER=cairo NO_AT_BRIDGE=1 timeout 120 \
           xvfb-run -a -s "-screen 0 800x600x24" \
           "$demo" --self-test --screenshot="$shot" "$tree" 2>&1); then
  echo "ok 1 - the window fills, answers clicks and stops (${out##*$'\n'})"
else
  printf '%s\n' "$out" | sed 's/^/# /'
  echo "not ok 1 - the window fills, answers clicks and stops"
fi

if [ -s "$shot" ]; then
  echo "ok 2 - screenshot saved as $shot"
else
  echo "not ok 2 - screenshot saved as $shot"
fi

rows=$("$demo" --print "$tree" | sort)
files=$(cd "$tree" && find . -type f | sed 's|^\./||' | sort)
if [ "$rows" = "$files" ]; then
  echo "ok 3 - --print lists the 12,000 files of the tree"
else
  diff <(printf '%s\n' "$files") <(printf '%s\n' "$rows") | head -5 | sed 's/^/# /'
  echo "not ok 3 - --print lists the 12,000 files of the tree"
fi
