#!/usr/bin/env bash
# .ci/test.sh — build agen and run the test suite, in up to three builds,
# and the fuzzer.
#
# Usage: bash .ci/test.sh [--plain] [--asan] [--valgrind] [--all] [MESON-TEST-ARGS...]
#
#   --plain     the plain build, in AGEN_BUILD_DIR (default: build)
#   --asan      a build with AddressSanitizer and UndefinedBehaviorSanitizer,
#               in AGEN_ASAN_BUILD_DIR (default: build-asan), tests run with
#               `meson test --setup sanitize`
#   --valgrind  the plain build's tests under Valgrind's memcheck,
#               `meson test --setup valgrind` (see tests/meson.build)
#   --fuzz      the model-based fuzzer for 60 s (tests/fuzz/run.sh), in its
#               own clang build; one pass or one failure in the count
#   --all       all four, in that order: what CI runs (.ci/run)
#
# Without any of these it runs the plain build only, the quick check while
# developing, unless CI is true (or 1, yes), as on CI, where it runs all
# four. Every other argument goes to each `meson test`, e.g.
#        bash .ci/test.sh test-generator
#        bash .ci/test.sh --valgrind test-threads
#        bash .ci/test.sh --wrap='strace -f' test-fiber
#
# Environment: AGEN_BUILD_DIR and AGEN_MESON_OPTIONS as .ci/setup.sh;
# AGEN_MESON_OPTIONS go to every build, the ASan build adding
# -Db_sanitize=address,undefined after them and the Valgrind run
# -Db_sanitize=none (memcheck cannot run a sanitizer build).
#
# The last line of the output is always "N passed, N failed", counting the
# individual TAP subtests (every GTest test case) of all the runs together,
# and the exit status is non-zero if anything failed: a failed subtest, a
# test program that crashed, timed out or made Valgrind report an error, a
# failed build, or `meson test` itself. Each run first prints its own
# "RUN: N passed, N failed" line (RUN is plain, asan+ubsan or valgrind).

set -euo pipefail

ci=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
root=$(cd -- "$ci/.." && pwd)

absolute() {
  case $1 in
    /*) printf '%s\n' "$1" ;;
    *) printf '%s\n' "$root/$1" ;;
  esac
}
build=$(absolute "${AGEN_BUILD_DIR:-build}")
asan_build=$(absolute "${AGEN_ASAN_BUILD_DIR:-build-asan}")
options=${AGEN_MESON_OPTIONS:-}

want_plain=0 want_asan=0 want_valgrind=0 want_fuzz=0
meson_args=()
for arg in "$@"; do
  case $arg in
    --plain) want_plain=1 ;;
    --asan) want_asan=1 ;;
    --valgrind) want_valgrind=1 ;;
    --fuzz) want_fuzz=1 ;;
    --all) want_plain=1 want_asan=1 want_valgrind=1 want_fuzz=1 ;;
    *) meson_args+=("$arg") ;;
  esac
done
if [ $((want_plain + want_asan + want_valgrind + want_fuzz)) -eq 0 ]; then
  case ${CI:-} in
    true | TRUE | True | 1 | yes) want_plain=1 want_asan=1 want_valgrind=1 want_fuzz=1 ;;
    *) want_plain=1 ;;
  esac
fi

export PATH=/usr/bin:/bin:$PATH

# One line "PASSED FAILED" per run, written by summary.py.
totals=$(mktemp)
trap 'rm -f -- "$totals"' EXIT
labels=()
times=()

# run LABEL BUILD_DIR MESON_OPTIONS [MESON-TEST-ARGS...]
run() {
  local label=$1 dir=$2 opts=$3
  shift 3
  local start=$SECONDS lines status=0
  lines=$(wc -l < "$totals")
  echo "=== $label: build in ${dir#"$root"/}, meson test $*"

  if ! AGEN_BUILD_DIR=$dir AGEN_MESON_OPTIONS=$opts bash "$ci/setup.sh"; then
    # Nothing ran; count it, and go on with the other runs.
    echo "$label: setup or build failed; no test ran"
    echo "0 1" >> "$totals"
  else
    # Remove logs of earlier runs so that a run that dies early is never
    # summarised from stale results. The name varies: `--setup NAME`
    # writes testlog-NAME.json and `--wrap='valgrind …'` testlog-valgrind.json.
    rm -f -- "$dir"/meson-logs/testlog*.json
    meson test -C "$dir" --print-errorlogs --num-processes 2 "$@" || status=$?
    # Debian's own python3, explicitly: setup.sh installed it, and the
    # first python3 on PATH may be some other interpreter.
    /usr/bin/python3 "$ci/summary.py" "$label" "$status" "$totals" \
      "$dir"/meson-logs/testlog*.json || true
    if [ "$(wc -l < "$totals")" -eq "$lines" ]; then
      echo "$label: the test log could not be summarised; counted as 1 failed"
      echo "0 1" >> "$totals"
    fi
  fi
  labels+=("$label")
  times+=($((SECONDS - start)))
}

# The plain build also builds the API reference, whose checks (suite
# 'docs') run there only.
if [ $want_plain -eq 1 ]; then
  run plain "$build" "-Ddocs=true $options" "${meson_args[@]}"
fi
if [ $want_asan -eq 1 ]; then
  run asan+ubsan "$asan_build" "$options -Db_sanitize=address,undefined" \
    --setup sanitize "${meson_args[@]}"
fi
if [ $want_valgrind -eq 1 ]; then
  run valgrind "$build" "$options -Db_sanitize=none" \
    --setup valgrind "${meson_args[@]}"
fi
if [ $want_fuzz -eq 1 ]; then
  # The fuzzer checks every outcome against its model; a run is one test.
  start=$SECONDS
  echo "=== fuzz: tests/fuzz/run.sh 60"
  if AGEN_EXTRA_PACKAGES="clang libclang-rt-14-dev llvm" bash "$ci/setup.sh" --packages-only &&
     bash "$root/tests/fuzz/run.sh" 60; then
    echo "1 0" >> "$totals"
  else
    echo "fuzz: failed; counted as 1 failed"
    echo "0 1" >> "$totals"
  fi
  labels+=(fuzz)
  times+=($((SECONDS - start)))
fi

passed=0 failed=0 i=0
echo "=== summary"
while read -r p f; do
  echo "${labels[$i]}: $p passed, $f failed (${times[$i]} s, build included)"
  passed=$((passed + p))
  failed=$((failed + f))
  i=$((i + 1))
done < "$totals"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
