#!/usr/bin/env bash
# .ci/test.sh — build agen and run every test.
#
# Usage: bash .ci/test.sh [MESON-TEST-OPTIONS...]
#   e.g. bash .ci/test.sh test-generator
#        bash .ci/test.sh --wrap='valgrind --error-exitcode=1' --timeout-multiplier 10
#
# Environment: as .ci/setup.sh (AGEN_BUILD_DIR, AGEN_MESON_OPTIONS).
#
# The last line of the output is always "N passed, N failed", counting the
# individual TAP subtests (every GTest test case), and the exit status is
# non-zero if anything failed: a failed subtest, a test program that crashed
# or timed out, a failed build, or `meson test` itself.

set -euo pipefail

ci=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
root=$(cd -- "$ci/.." && pwd)
build=${AGEN_BUILD_DIR:-build}
case $build in
  /*) ;;
  *) build=$root/$build ;;
esac

if ! bash "$ci/setup.sh"; then
  # Nothing ran; still end with the summary line that CI looks for.
  echo "test: setup or build failed; no test ran"
  echo "0 passed, 1 failed"
  exit 1
fi

export PATH=/usr/bin:/bin:$PATH

# Remove logs of earlier runs so that a run that dies early is never
# summarised from stale results. The name varies: `--setup NAME` writes
# testlog-NAME.json and `--wrap='valgrind …'` testlog-valgrind.json.
rm -f -- "$build"/meson-logs/testlog*.json

meson_status=0
meson test -C "$build" --print-errorlogs --num-processes 2 "$@" || meson_status=$?

# Count subtests from Meson's JSON log: one object per line, the raw TAP
# output of each test program in "stdout". Debian's own python3 is used
# explicitly: setup.sh installed it, and the first python3 on PATH may be
# some other interpreter.
summary_status=0
/usr/bin/python3 - "$meson_status" "$build"/meson-logs/testlog*.json <<'PY' || summary_status=$?
import json
import re
import sys
import traceback

meson_status = int(sys.argv[1])
logs = [p for p in sys.argv[2:] if not p.endswith('*.json')]

# TAP 13/14: "ok N description # SKIP reason", "not ok N description # TODO".
# Only unindented lines: indented ones would be nested subtests, whose
# parent line already counts them.
result_re = re.compile(r'^(not ok|ok)\b(.*)$')
directive_re = re.compile(r'#\s*(SKIP|TODO)\b', re.IGNORECASE)

passed = failed = skipped = todo = 0

try:
    for path in logs:
        with open(path, encoding='utf-8', errors='replace') as log:
            for line in log:
                if not line.strip():
                    continue
                test = json.loads(line)
                name = test.get('name', '?')
                result = test.get('result', '?')
                t_pass = t_fail = t_skip = t_todo = 0
                for tap in (test.get('stdout') or '').splitlines():
                    m = result_re.match(tap)
                    if not m:
                        continue
                    d = directive_re.search(m.group(2))
                    directive = d.group(1).upper() if d else None
                    if m.group(1) == 'ok':
                        if directive == 'SKIP':
                            t_skip += 1
                        else:
                            t_pass += 1
                    elif directive == 'TODO':
                        t_todo += 1      # an expected failure
                    else:
                        t_fail += 1
                note = ''
                if result == 'SKIP' and t_pass + t_fail + t_skip == 0:
                    t_skip += 1          # "1..0 # SKIP": the whole program
                elif result not in ('OK', 'SKIP', 'EXPECTEDFAIL') and t_fail == 0:
                    # Crash, abort (GTest's "Bail out!"), timeout, bad TAP:
                    # no "not ok" line says so, but it is a failure.
                    t_fail += 1
                    note = ' (no "not ok" line: the program itself failed)'
                print(f'{name}: {result}: {t_pass} passed, {t_fail} failed'
                      + (f', {t_skip} skipped' if t_skip else '')
                      + (f', {t_todo} todo' if t_todo else '') + note)
                passed += t_pass
                failed += t_fail
                skipped += t_skip
                todo += t_todo
except Exception:
    traceback.print_exc(file=sys.stdout)
    print('test: could not read the test log; counted as 1 failed')
    failed += 1

if skipped or todo:
    print(f'{skipped} skipped, {todo} expected failures (TODO); '
          'counted as neither passed nor failed')
if meson_status != 0 and failed == 0:
    print(f'test: meson test exited with status {meson_status}; '
          'counted as 1 failed')
    failed = 1
print(f'{passed} passed, {failed} failed', flush=True)
sys.exit(1 if failed else 0)
PY

if [ "$meson_status" -ne 0 ]; then
  exit "$meson_status"
fi
exit "$summary_status"
