#!/usr/bin/env bash
# check-sizes.sh — each example is shorter than the same program written
# with the API as it was before the C conveniences (before/NAME.c):
# counted in lines of code, blank lines and comment-only lines left out.
# Prints TAP.
#
# usage: check-sizes.sh EXAMPLES_DIR NAME...
set -uo pipefail

dir=$1
shift
echo "1..$#"

# Lines that are neither blank nor inside or made of a comment.
code_lines () {
  sed -e ':a' -e 's|/\*[^*]*\*\+\([^/*][^*]*\*\+\)*/||g' -e '/\/\*/{N;ba' -e '}' "$1" |
    grep -cv '^[[:space:]]*$'
}

n=0
for name in "$@"; do
  n=$((n + 1))
  now=$(code_lines "$dir/$name.c")
  before=$(code_lines "$dir/before/$name.c")
  if [ "$now" -lt "$before" ]; then
    echo "ok $n /Agen/Examples/$name/shorter # $now lines of code, $before before"
  else
    echo "not ok $n /Agen/Examples/$name/shorter # $now lines of code, $before before"
  fi
done
