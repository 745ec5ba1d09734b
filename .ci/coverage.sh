#!/usr/bin/env bash
# .ci/coverage.sh — line and branch coverage of the library, agen/, by the
# test suite.
#
# Usage: bash .ci/coverage.sh [MESON-TEST-ARGS...]
#   e.g. bash .ci/coverage.sh test-generator   (what one unit covers)
#
# Configures its own build directory, AGEN_COVERAGE_BUILD_DIR (default:
# build-coverage), with -Db_coverage=true at -O0 (-Dbuildtype=debug: lines
# and branches as written, nothing folded away), runs the tests there except
# the 'script' suite (which builds a copy of its own), and reports with
# gcovr, which setup.sh installs (Debian's gcovr) if it is missing. Only the
# sources under agen/ are reported: not the tests, benchmarks, examples, nor
# the files generated in the build directory.
#
# Output, under BUILD/coverage/:
#   files.txt      per file: lines, lines executed, % and the uncovered
#                  line ranges ("Missing")
#   branches.txt   the same for branches
#   functions.txt  the functions with uncovered lines, most first, and
#                  their uncovered line ranges (.ci/coverage-gaps.py)
#   coverage.json  gcovr's JSON, for other tools
#   html/index.html  annotated sources
# and the totals on stdout. The exit status is non-zero if a test failed
# (the report is still written).
#
# Environment: AGEN_MESON_OPTIONS as .ci/setup.sh, added before ours.

set -euo pipefail

ci=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
root=$(cd -- "$ci/.." && pwd)
build=${AGEN_COVERAGE_BUILD_DIR:-build-coverage}
case $build in
  /*) ;;
  *) build=$root/$build ;;
esac

# -fprofile-update=atomic: the thread tests run agen code on several threads
# at once, and plain counter increments would race.
AGEN_EXTRA_PACKAGES="${AGEN_EXTRA_PACKAGES:-} gcovr" \
AGEN_BUILD_DIR=$build \
AGEN_MESON_OPTIONS="${AGEN_MESON_OPTIONS:-} -Db_coverage=true -Dbuildtype=debug -Dc_args=-fprofile-update=atomic -Dbenchmarks=false" \
  bash "$ci/setup.sh"

export PATH=/usr/bin:/bin:$PATH

# Counters of an earlier run would add up with this one's.
find "$build" -name '*.gcda' -delete

status=0
meson test -C "$build" --no-suite script --print-errorlogs --num-processes 2 "$@" || status=$?

out=$build/coverage
rm -rf -- "$out"
mkdir -p -- "$out/html"

# Run from the root: gcovr takes relative --filter patterns relative to the
# working directory, so 'agen/' is the source directory and not
# BUILD/agen/, where the generated agen-enum-types.c lives.
cd -- "$root"
gcovr --root "$root" --filter 'agen/' \
  --object-directory "$build" \
  --json "$out/coverage.json" \
  "$build" > /dev/null
gcovr --add-tracefile "$out/coverage.json" --root "$root" \
  --txt "$out/files.txt" \
  --html-details "$out/html/index.html" \
  --print-summary
gcovr --add-tracefile "$out/coverage.json" --root "$root" \
  --branches --txt "$out/branches.txt" > /dev/null
/usr/bin/python3 "$ci/coverage-gaps.py" "$out/coverage.json" "$root" > "$out/functions.txt"

echo "coverage: per file: ${out#"$root"/}/files.txt (lines), ${out#"$root"/}/branches.txt;"
echo "coverage: per function: ${out#"$root"/}/functions.txt; annotated: ${out#"$root"/}/html/index.html"
if [ "$status" -ne 0 ]; then
  echo "coverage: meson test failed (status $status); the figures above are of a failing run"
fi
exit "$status"
