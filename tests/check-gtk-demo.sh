#!/usr/bin/env bash
# check-gtk-demo.sh — run examples/gtk-demo under Xvfb on a generated tree
#
# Usage: check-gtk-demo.sh DEMO ARTIFACT-DIR [EXAMPLES-DIR]
#
# Generates a tree of 24,000 files, starts the demo in --self-test mode
# under xvfb-run (it clicks "Click me" during the walk, presses Stop once
# rows have appeared, checks that clicks were answered and that no rows
# came after the walk stopped) and keeps its screenshot as
# ARTIFACT-DIR/gtk-demo-screenshot.png. Then checks that --print lists
# every file of the tree, and, given EXAMPLES-DIR, that the same pipeline
# in Python (python/walk.py) and in JavaScript (gjs/walk.js) prints the
# same rows in the same order (the environment must let them import the
# build tree's Agen, as meson devenv does). Speaks TAP.
#
# SPDX-License-Identifier: LGPL-2.1-or-later

set -uo pipefail

demo=$1
artifacts=$2
examples=${3:-}
tree=$(mktemp -d)
trap 'rm -rf "$tree"' EXIT

for d in $(seq 1 60); do
  mkdir -p "$tree/d$d/sub"
  (cd "$tree/d$d" && touch $(seq -f 'f%g.txt' 1 300) && cd sub && touch $(seq -f 'g%g.c' 1 100))
done

echo "1..5"

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
  echo "ok 3 - --print lists the 24,000 files of the tree"
else
  diff <(printf '%s\n' "$files") <(printf '%s\n' "$rows") | head -5 | sed 's/^/# /'
  echo "not ok 3 - --print lists the 24,000 files of the tree"
fi

# The same pipeline from the bindings.
compare() {
  local n=$1 name=$2 tool=$3
  shift 3
  local got
  if [ -z "$examples" ]; then
    echo "ok $n - $name # SKIP no examples directory given"
  elif ! command -v "$tool" >/dev/null; then
    echo "ok $n - $name # SKIP $tool is not installed"
  elif got=$("$@" "$tree" 2>&1) && [ "$got" = "$c_rows" ]; then
    echo "ok $n - $name"
  else
    diff <(printf '%s\n' "$c_rows") <(printf '%s\n' "$got") | head -5 | sed 's/^/# /'
    echo "not ok $n - $name"
  fi
}
c_rows=$("$demo" --print "$tree")
compare 4 "examples/python/walk.py prints the C demo's rows" /usr/bin/python3 \
  /usr/bin/python3 "$examples/python/walk.py"
compare 5 "examples/gjs/walk.js prints the C demo's rows" gjs \
  gjs -m "$examples/gjs/walk.js"
