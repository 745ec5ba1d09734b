#!/usr/bin/python3
# number-lines.py — number the lines of a file, through a Python generator
# and a C one.
#
# Copyright 2026 The agen authors
#
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# lines() is a Python async generator reading the file with GIO; Agen turns
# it into an Agen.Generator. A C generator body (AgenTest.delegate, a C
# fiber that does agen_generator_yield_from) passes its lines on, and this
# script walks the C generator with a plain for loop (each item a blocking
# next, which runs GLib's main context, and with it the GIO reads, while it
# waits). Usage: number-lines.py FILE

import asyncio
import sys

import gi

gi.require_version('Agen', '1.0')
gi.require_version('AgenTest', '1.0')
from gi.repository import Agen, AgenTest, Gio, GLib  # noqa: E402


async def gio(start, finish):
    """Await a GIO _async call: start(callback), finish(result)."""
    future = asyncio.get_running_loop().create_future()

    def done(source, result, *data):
        try:
            future.set_result(finish(result))
        except GLib.Error as e:
            future.set_exception(e)
    start(done)
    return await future


@Agen.generator
async def lines(path):
    file = Gio.File.new_for_commandline_arg(path)
    stream = await gio(lambda cb: file.read_async(GLib.PRIORITY_DEFAULT, None, cb),
                       file.read_finish)
    data = Gio.DataInputStream.new(stream)
    try:
        while True:
            line, length = await gio(
                lambda cb: data.read_line_async(GLib.PRIORITY_DEFAULT, None, cb),
                data.read_line_finish_utf8)
            if line is None:
                return
            yield line
    finally:
        data.close()


def main(path):
    through_c = AgenTest.delegate(lines(path), 1)
    for number, line in enumerate(through_c, 1):
        print('%6d  %s' % (number, line))


if __name__ == '__main__':
    if len(sys.argv) != 2:
        sys.exit('usage: number-lines.py FILE')
    try:
        main(sys.argv[1])
    except GLib.Error as e:
        sys.exit('number-lines.py: ' + e.message)
