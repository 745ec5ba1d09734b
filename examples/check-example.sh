#!/usr/bin/env bash
# check-example.sh — run an example and compare what it prints with the
# expected output, line for line, and check its exit status. Prints TAP.
#
# usage: check-example.sh NAME EXPECTED PROGRAM [ARG...]
set -uo pipefail

name=$1 expected=$2
shift 2
out=$(mktemp)
err=$(mktemp)
trap 'rm -f -- "$out" "$err"' EXIT

echo "1..2"

status=0
"$@" > "$out" 2> "$err" || status=$?
sed 's/^/# stderr: /' "$err"
if [ "$status" -eq 0 ]; then
  echo "ok 1 /Agen/Examples/$name/exit-status"
else
  echo "not ok 1 /Agen/Examples/$name/exit-status # exited with status $status"
fi

if diff -u "$expected" "$out" > "$err"; then
  echo "ok 2 /Agen/Examples/$name/output"
else
  sed 's/^/# /' "$err"
  echo "not ok 2 /Agen/Examples/$name/output"
fi
