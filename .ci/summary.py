# .ci/summary.py — count the TAP subtests of one `meson test` run.
#
# Usage: python3 summary.py LABEL MESON_STATUS TOTALS_FILE [LOG.json...]
#
# Reads Meson's JSON test logs (one object per line, the raw TAP output of
# each test program in "stdout"), prints one line per test program and then
# "LABEL: N passed, N failed", and appends "N_PASSED N_FAILED" to
# TOTALS_FILE, from which .ci/test.sh adds up the runs. Exits non-zero if
# anything failed. Run by .ci/test.sh with Debian's /usr/bin/python3.

import json
import re
import sys
import traceback

label = sys.argv[1]
meson_status = int(sys.argv[2])
totals_file = sys.argv[3]
# An unmatched glob reaches us as the pattern itself: no log was written.
logs = [p for p in sys.argv[4:] if not p.endswith('*.json')]

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
                    # Crash, abort (GTest's "Bail out!"), timeout, bad TAP,
                    # a Valgrind error (--error-exitcode): no "not ok" line
                    # says so, but it is a failure.
                    t_fail += 1
                    note = ' (no "not ok" line: the program itself failed)'
                print(f'{label}: {name}: {result}: {t_pass} passed, {t_fail} failed'
                      + (f', {t_skip} skipped' if t_skip else '')
                      + (f', {t_todo} todo' if t_todo else '') + note)
                passed += t_pass
                failed += t_fail
                skipped += t_skip
                todo += t_todo
except Exception:
    traceback.print_exc(file=sys.stdout)
    print(f'{label}: could not read the test log; counted as 1 failed')
    failed += 1

if skipped or todo:
    print(f'{label}: {skipped} skipped, {todo} expected failures (TODO); '
          'counted as neither passed nor failed')
if meson_status != 0 and failed == 0:
    print(f'{label}: meson test exited with status {meson_status}; '
          'counted as 1 failed')
    failed = 1
print(f'{label}: {passed} passed, {failed} failed', flush=True)
with open(totals_file, 'a', encoding='utf-8') as totals:
    totals.write(f'{passed} {failed}\n')
sys.exit(1 if failed else 0)
