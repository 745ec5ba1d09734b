#!/usr/bin/env bash
# .ci/demo.sh — build agen and run the demo on README.md (or on FILE).
#
# Usage: bash .ci/demo.sh [FILE]
#
# The demo, examples/agen-lines.c, reads FILE through a chain of
# AgenGenerators and prints its lines numbered. Environment: as .ci/setup.sh
# (AGEN_BUILD_DIR, AGEN_MESON_OPTIONS).

set -euo pipefail

ci=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
root=$(cd -- "$ci/.." && pwd)
build=${AGEN_BUILD_DIR:-build}
case $build in
  /*) ;;
  *) build=$root/$build ;;
esac

# The build output goes to stderr so that stdout is the demo's alone.
bash "$ci/setup.sh" >&2

# A FILE given on the command line is taken relative to the caller's working
# directory. Without one, run from the root so that the demo reads this
# repository's README.md and names it by its short name.
if [ $# -gt 0 ]; then
  file=$1
else
  cd -- "$root"
  file=README.md
fi

exec "$build/examples/agen-lines" "$file"
