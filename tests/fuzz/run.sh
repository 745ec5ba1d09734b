#!/usr/bin/env bash
# tests/fuzz/run.sh — build the generator fuzzer and run it for a while.
#
# Usage: bash tests/fuzz/run.sh [SECONDS [LIBFUZZER-OPTIONS...]]
#   SECONDS defaults to 60. Extra options go to libFuzzer, e.g.
#   bash tests/fuzz/run.sh 3600 -jobs=1 -workers=1
#
# Configures (once) and builds a separate build directory with clang,
# -Dfuzzing=true and AddressSanitizer + UBSan, copies the seed corpus
# (tests/fuzz/corpus) to a scratch directory and fuzzes over that copy, so
# the repository's corpus never changes. The last line of the output is
# always a summary:
#   fuzz: OK, N executions in S s (E exec/s), cov C
#   fuzz: FAILED after N executions: ... (reproducer: PATH; ...)
#   (or "FAILED on the seed corpus", or "FAILED before fuzzing: ...")
# and the exit status is non-zero when anything failed: a mismatch with the
# model, a sanitizer report, a leak, a timeout, or the build.
#
# Environment:
#   AGEN_FUZZ_BUILD_DIR  build directory (default: build-fuzz at the root)
#   CC                   the compiler to configure with (default: clang)
#
# Needs clang and its sanitizer/libFuzzer runtimes (Debian 12: clang,
# libclang-rt-14-dev; llvm for symbolized stack traces).

set -euo pipefail

here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
root=$(cd -- "$here/../.." && pwd)
build=${AGEN_FUZZ_BUILD_DIR:-build-fuzz}
case $build in
  /*) ;;
  *) build=$root/$build ;;
esac

seconds=${1:-60}
shift || true
case $seconds in
  ''|*[!0-9]*)
    echo "usage: $0 [SECONDS [LIBFUZZER-OPTIONS...]]" >&2
    echo "fuzz: FAILED before fuzzing: bad arguments"
    exit 2
    ;;
esac

export PATH=/usr/bin:/bin:$PATH

options=(
  -Dfuzzing=true
  -Db_sanitize=address,undefined
  -Db_lundef=false
  -Dtests=false
  -Dbenchmarks=false
  -Dexamples=false
  -Dintrospection=disabled
  -Dvapi=disabled
)

if ! {
  if [ -f "$build/meson-private/coredata.dat" ]; then
    meson setup --reconfigure "${options[@]}" "$build" > /dev/null
  else
    CC=${CC:-clang} meson setup "${options[@]}" "$build" > /dev/null
  fi &&
  meson compile -C "$build" fuzz-generator > /dev/null
} ; then
  echo "fuzz: FAILED before fuzzing: the fuzzer did not build"
  exit 1
fi

fuzzer=$build/tests/fuzz/fuzz-generator
run=$build/fuzz-run
rm -rf -- "$run"
mkdir -p -- "$run/corpus" "$run/artifacts"
cp -- "$here"/corpus/* "$run/corpus/"

if [ -z "${ASAN_SYMBOLIZER_PATH:-}" ] && [ -x /usr/lib/llvm-14/bin/llvm-symbolizer ]; then
  export ASAN_SYMBOLIZER_PATH=/usr/lib/llvm-14/bin/llvm-symbolizer
fi
# detect_stack_use_after_return: ASan's fake stacks do not follow fiber
# switches.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:detect_stack_use_after_return=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# GObjects through malloc, where ASan sees them (the fuzzer also restarts
# itself with this when it is missing).
export G_SLICE=always-malloc

log=$run/fuzz.log
status=0
# With -jobs=N libFuzzer writes each job's output to fuzz-K.log in the
# working directory: keep those in the scratch directory.
cd -- "$run"
# -max_len: a program never reads more than about 200 bytes.
# -timeout: one input takes milliseconds; the harness's own watchdog
# reports a hang after 30 s with the program.
"$fuzzer" \
  -max_total_time="$seconds" \
  -max_len=256 \
  -timeout=60 \
  -print_final_stats=1 \
  -artifact_prefix="$run/artifacts/" \
  "$@" \
  "$run/corpus" 2>&1 | tee "$log" || status=$?

# With -jobs, libFuzzer prints each job's log when the job exits; one
# that was killed has only its fuzz-K.log.
if ! grep -q '^Done ' "$log"; then
  for job_log in "$run"/fuzz-[0-9]*.log; do
    if [ -f "$job_log" ]; then
      cat -- "$job_log" >> "$log"
    fi
  done
fi

# (Each of these may match nothing: no pipefail here.)
set +o pipefail
execs=$(sed -n 's/^Done \([0-9]*\) runs in .*/\1/p' "$log" | awk '{ n += $1 } END { print n + 0 }')
if [ "$execs" = 0 ]; then
  # Stopped early: the last status line says how far it got.
  execs=$(grep -o '^#[0-9]*' "$log" | tail -1 | tr -d '#')
  execs=${execs:-0}
fi
secs=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -1)
cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | awk '{ print $2 }')
rate=$(awk -v n="$execs" -v s="${secs:-0}" 'BEGIN { if (s > 0) printf "%d", n / s; else print 0 }')
artifact=$(ls -1 "$run/artifacts" 2> /dev/null | head -1)

if [ "$status" -ne 0 ] || [ -n "$artifact" ] || grep -q 'MISMATCH\|ERROR: ' "$log"; then
  what=$(grep -m1 -o 'MISMATCH\|ERROR: [A-Za-z]*: [a-z -]*\|SUMMARY: .*' "$log" || true)
  when="after $execs executions"
  if [ "$execs" = 0 ]; then
    when="on the seed corpus"
  fi
  if [ -n "$artifact" ]; then
    echo "fuzz: FAILED $when: ${what:-exit status $status} (reproducer: $run/artifacts/$artifact; replay with FUZZ_VERBOSE=1 $fuzzer FILE)"
  else
    echo "fuzz: FAILED $when: ${what:-exit status $status}"
  fi
  exit 1
fi

echo "fuzz: OK, $execs executions in ${secs:-?} s ($rate exec/s), cov ${cov:-?}"
