# agentap.py — run a test module's unittest cases and report them as TAP
#
# Copyright 2026 The agen authors
#
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# `meson test` reads TAP (protocol: 'tap'): one `ok N - name` or
# `not ok N - name` per test case, diagnostics as `#` lines.

import os
import sys
import traceback
import unittest

import gi

gi.require_version('Agen', '1.0')
gi.require_version('AgenTest', '1.0')


def _flatten(suite):
    for item in suite:
        if isinstance(item, unittest.TestSuite):
            yield from _flatten(item)
        else:
            yield item


def main(module='__main__'):
    loader = unittest.TestLoader()
    suite = loader.loadTestsFromModule(sys.modules[module])
    only = sys.argv[1:]
    tests = [t for t in _flatten(suite)
             if not only or any(o in t.id() for o in only)]
    print('1..%d' % len(tests), flush=True)
    failed = 0
    for number, test in enumerate(tests, 1):
        result = unittest.TestResult()
        test.run(result)
        name = test.id().split('.', 1)[-1]
        if result.skipped:
            print('ok %d - %s # SKIP %s' % (number, name, result.skipped[0][1]), flush=True)
            continue
        problems = result.errors + result.failures + [
            (t, 'unexpected success') for t in result.unexpectedSuccesses]
        if problems:
            failed += 1
            print('not ok %d - %s' % (number, name))
            for _, text in problems:
                for line in text.splitlines():
                    print('# ' + line)
            sys.stdout.flush()
        else:
            print('ok %d - %s' % (number, name), flush=True)
    sys.exit(1 if failed else 0)
