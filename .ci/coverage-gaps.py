# .ci/coverage-gaps.py — where the uncovered lines are, per function.
#
# Usage: python3 coverage-gaps.py COVERAGE.json [ROOT]
#
# Reads gcovr's JSON report (written by .ci/coverage.sh) and prints the
# functions that have uncovered lines, most uncovered lines first: the
# file, the function and the line it starts on, the uncovered lines as
# ranges, and the function's branches not taken. A line belongs to the
# function that starts last before it. Where a function starts is read
# from the source (ROOT, default the working directory, + the report's
# file name): agen's GNU style puts a definition's name at the start of a
# line, "name (". gcovr's own list of functions misses those always
# inlined, and is only the fallback when the source cannot be read.

import json
import os
import re
import sys

definition_re = re.compile(r'^([A-Za-z_][A-Za-z0-9_]*) ?\(')


def function_starts(path, entry):
    try:
        with open(path, encoding='utf-8', errors='replace') as source:
            starts = [(number, m.group(1))
                      for number, text in enumerate(source, start=1)
                      for m in [definition_re.match(text)] if m]
        if starts:
            return starts
    except OSError:
        pass
    return sorted((fn['lineno'], fn['name']) for fn in entry['functions'])



def ranges(numbers):
    out = []
    start = prev = None
    for n in numbers:
        if prev is not None and n == prev + 1:
            prev = n
            continue
        if start is not None:
            out.append(f'{start}' if start == prev else f'{start}-{prev}')
        start = prev = n
    if start is not None:
        out.append(f'{start}' if start == prev else f'{start}-{prev}')
    return ','.join(out)


with open(sys.argv[1], encoding='utf-8') as f:
    report = json.load(f)
root = sys.argv[2] if len(sys.argv) > 2 else '.'

rows = []
for entry in report['files']:
    functions = function_starts(os.path.join(root, entry['file']), entry)
    per_function = {}
    for line in entry['lines']:
        if line.get('gcovr/noncode') or line.get('gcovr/excluded'):
            continue
        number = line['line_number']
        owner = (0, '(outside any function)')
        for start, name in functions:
            if start > number:
                break
            owner = (start, name)
        stats = per_function.setdefault(owner, {'missed': [], 'branches': 0,
                                                 'branches_missed': 0})
        if line['count'] == 0:
            stats['missed'].append(number)
        for branch in line.get('branches', []):
            stats['branches'] += 1
            if branch['count'] == 0:
                stats['branches_missed'] += 1
    for (start, name), stats in per_function.items():
        if stats['missed']:
            rows.append((len(stats['missed']), entry['file'], start, name, stats))

rows.sort(key=lambda r: (-r[0], r[1], r[2]))
total = sum(r[0] for r in rows)
print(f'{total} uncovered lines in {len(rows)} functions, most first')
print('lines  file:line function  [uncovered lines]  (branches not taken)')
for missed, path, start, name, stats in rows:
    print(f'{missed:5}  {path}:{start} {name}  [{ranges(stats["missed"])}]'
          f'  ({stats["branches_missed"]} of {stats["branches"]} branches not taken)')
