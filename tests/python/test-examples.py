# test-examples.py — the Python examples (examples/python/) run and say
# what they should
#
# Copyright 2026 The agen authors
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import os
import pathlib
import subprocess
import sys
import tempfile
import unittest

import agentap

ROOT = pathlib.Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / 'examples' / 'python'


def run(name, *args):
    return subprocess.run([sys.executable, str(EXAMPLES / name), *map(str, args)],
                          capture_output=True, text=True, timeout=60)


class Examples(unittest.TestCase):

    def test_number_lines(self):
        path = ROOT / 'COPYING'
        done = run('number-lines.py', path)
        self.assertEqual(done.returncode, 0, done.stderr)
        # split('\n'): COPYING has form feeds, which splitlines() splits at
        expected = path.read_text().split('\n')[:-1]
        got = done.stdout.split('\n')[:-1]
        self.assertEqual(len(got), len(expected))
        for number, (line, original) in enumerate(zip(got, expected), 1):
            self.assertEqual(line, '%6d  %s' % (number, original))

    def test_number_lines_empty_and_missing(self):
        with tempfile.NamedTemporaryFile() as empty:
            done = run('number-lines.py', empty.name)
            self.assertEqual((done.returncode, done.stdout), (0, ''), done.stderr)
        done = run('number-lines.py', '/nonexistent/file')
        self.assertEqual(done.returncode, 1)
        self.assertIn('No such file', done.stderr)
        self.assertNotIn('Traceback', done.stderr)

    def test_merge(self):
        done = run('merge.py')
        self.assertEqual(done.returncode, 0, done.stderr)
        lines = done.stdout.splitlines()
        c = [line for line in lines if line.startswith('C: ')]
        py = [line for line in lines if line.startswith('Python: ')]
        self.assertEqual(c, ['C: %d' % i for i in range(5)])
        self.assertEqual(py, ["Python: '%s'" % x for x in 'agen'])
        self.assertEqual(len(lines), 9)


if __name__ == '__main__':
    agentap.main()
