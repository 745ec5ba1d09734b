#!/usr/bin/env bash
# check-output.sh — run agen-vala-demo on its input and compare what it
# prints with the expected output, line for line. Prints TAP.
#
# usage: check-output.sh DEMO INPUT EXPECTED
set -uo pipefail

demo=$1 input=$2 expected=$3
out=$(mktemp)
err=$(mktemp)
trap 'rm -f -- "$out" "$err"' EXIT

echo "1..2"

status=0
"$demo" "$input" > "$out" 2> "$err" || status=$?
sed 's/^/# stderr: /' "$err"
if [ "$status" -eq 0 ]; then
  echo "ok 1 /Agen/Vala/demo/exit-status"
else
  echo "not ok 1 /Agen/Vala/demo/exit-status # exited with status $status"
fi

if diff -u "$expected" "$out" > "$err"; then
  echo "ok 2 /Agen/Vala/demo/output"
else
  sed 's/^/# /' "$err"
  echo "not ok 2 /Agen/Vala/demo/output"
fi
