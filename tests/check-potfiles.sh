#!/usr/bin/env bash
# check-potfiles.sh — every library source with translatable strings is in
# po/POTFILES.in, and every file listed there exists: a missing entry would
# silently leave its messages untranslated.
#
# usage: check-potfiles.sh SOURCE_DIR
set -euo pipefail

cd "$1"
echo "1..1"

missing=$(grep -l '_("' agen/*.c | sort | comm -23 - <(sort po/POTFILES.in) || true)
stale=$(while read -r f; do [ -f "$f" ] || echo "$f"; done < po/POTFILES.in)

if [ -n "$missing" ] || [ -n "$stale" ]; then
  [ -n "$missing" ] && echo "# not in po/POTFILES.in: $missing"
  [ -n "$stale" ] && echo "# listed but missing: $stale"
  echo "not ok 1 /Agen/Po/potfiles"
  exit 1
fi

echo "ok 1 /Agen/Po/potfiles"
