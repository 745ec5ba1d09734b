#!/usr/bin/python3
# merge.py — an asyncio program that merges two generators as their items
# come: a C one (AgenTest.count_slowly, a fiber body awaiting GLib
# timeouts) and a Python one, on the loop Agen.run() makes, which
# dispatches GLib's main context.
#
# Copyright 2026 The agen authors
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import asyncio

import gi

gi.require_version('Agen', '1.0')
gi.require_version('AgenTest', '1.0')
from gi.repository import Agen, AgenTest  # noqa: E402


@Agen.generator
async def letters(text, delay):
    for letter in text:
        await asyncio.sleep(delay)
        yield letter


async def merge(*generators):
    """Yield (index, item) from all generators, in the order items come."""
    pending = {asyncio.ensure_future(anext(g)): i for i, g in enumerate(generators)}
    try:
        while pending:
            done, _ = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for future in done:
                i = pending.pop(future)
                try:
                    item = future.result()
                except StopAsyncIteration:
                    continue
                pending[asyncio.ensure_future(anext(generators[i]))] = i
                yield i, item
    finally:
        for future in pending:
            future.cancel()


async def main():
    sources = (AgenTest.count_slowly(5, 7), letters('agen', 0.01))
    async with Agen.aclosing(merge(*sources)) as merged:
        async for source, item in merged:
            print('%s: %r' % (('C', 'Python')[source], item))


if __name__ == '__main__':
    Agen.run(main())
