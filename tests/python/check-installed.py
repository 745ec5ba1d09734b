# check-installed.py — the Python binding from an installed prefix alone
#
# Copyright 2026 The agen authors
#
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Run with the variables docs/python.md names for a prefix (PYTHONPATH,
# GI_TYPELIB_PATH, LD_LIBRARY_PATH) and nothing from the build tree: the
# override must come from PREFIX, `async for` must iterate a generator
# through C (agen's try_next), and C code must consume a Python generator
# (AgenContextManager's blocking enter/exit, agen's blocking next).
# Prints TAP. usage: check-installed.py PREFIX

import asyncio
import os
import sys

import gi

gi.require_version('Agen', '1.0')
from gi.repository import Agen, GLib, Gio  # noqa: E402

prefix = os.path.realpath(sys.argv[1])
checks = []


def check(name, ok):
    checks.append((name, bool(ok)))


import gi.overrides.Agen as override  # noqa: E402
check('override from the prefix', os.path.realpath(override.__file__).startswith(prefix + os.sep))


@Agen.generator
async def numbers(n):
    for i in range(n):
        await asyncio.sleep(0)
        yield i


async def main():
    return [v async for v in numbers(3)]


async def lines():
    stream = Gio.MemoryInputStream.new_from_bytes(GLib.Bytes.new(b'a\nb\nc\n'))
    return [v async for v in Agen.input_stream_lines(stream, Agen.StreamFlags.NONE, 0)]


async def relayed():
    # map's C relay pulls from the Python-made generator.
    return [v async for v in numbers(3).map(lambda v: (True, v * 10))]


check('async for', Agen.run(main()) == [0, 1, 2])
check('async for over a C generator', Agen.run(lines()) == ['a', 'b', 'c'])
check('C relays a Python generator', Agen.run(relayed()) == [0, 10, 20])
check('blocking for', list(numbers(3)) == [0, 1, 2])
cm = Agen.ContextManager.new_for_generator(numbers(1))
ok, value = cm.enter(None)
check('C enters a Python-made context manager', ok and value == 0 and cm.exit_normally(None))

print('1..%d' % len(checks))
for i, (name, ok) in enumerate(checks, 1):
    print('%s %d - %s' % ('ok' if ok else 'not ok', i, name))
sys.exit(0 if all(ok for _, ok in checks) else 1)
