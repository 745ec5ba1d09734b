# test-leaks.py — references and memory stay flat over 10,000 items
#
# Copyright 2026 The agen authors
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import asyncio
import gc
import sys
import tracemalloc
import unittest
import weakref

import agentap
from gi.repository import Agen, AgenTest, GLib, Gio

N = 10_000


def settle():
    for _ in range(3):
        gc.collect()


class Leaks(unittest.TestCase):

    def check_flat(self, action, slack_objects=50, slack_bytes=64 * 1024):
        action(100)  # warm caches up
        settle()
        objects = len(gc.get_objects())
        tracemalloc.start()
        before, _ = tracemalloc.get_traced_memory()
        action(N)
        settle()
        after, _ = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        grown = len(gc.get_objects()) - objects
        self.assertLess(grown, slack_objects, 'gc objects grew by %d' % grown)
        self.assertLess(after - before, slack_bytes, 'memory grew by %d bytes' % (after - before))

    def test_async_for_over_c_generator(self):
        def action(n):
            async def main():
                total = 0
                async for v in AgenTest.count(n):
                    total += v
                return total
            self.assertEqual(Agen.run(main()), n * (n - 1) // 2)
        self.check_flat(action)

    def test_async_for_over_awaiting_c_generator(self):
        def action(n):
            async def main():
                k = 0
                async for v in AgenTest.count_slowly(n // 10, 0):
                    k += 1
                return k
            self.assertEqual(Agen.run(main()), n // 10)
        self.check_flat(action)

    def test_python_generator_object_refcount(self):
        obj = object()

        @Agen.generator
        async def same(n):
            for _ in range(n):
                yield obj

        async def main(n):
            k = 0
            async for v in same(n):
                assert v is obj
                k += 1
            return k
        self.assertEqual(Agen.run(main(100)), 100)
        settle()
        refs = sys.getrefcount(obj)
        self.assertEqual(Agen.run(main(N)), N)
        self.assertEqual(sum(1 for v in same(N) if v is obj), N)
        settle()
        self.assertEqual(sys.getrefcount(obj), refs)
        self.check_flat(lambda n: Agen.run(main(n)))

    def test_c_consumer_of_python_generator(self):
        @Agen.generator
        async def numbers(n):
            for i in range(n):
                if i % 100 == 0:
                    await asyncio.sleep(0)
                yield i

        self.check_flat(lambda n: self.assertEqual(AgenTest.sum_blocking(numbers(n)),
                                                   n * (n - 1) // 2))

    def test_send_and_throw_refcounts(self):
        payload = ['payload']
        error = GLib.Error.new_literal(Gio.io_error_quark(), 'again', Gio.IOErrorEnum.FAILED)

        @Agen.generator
        async def py_echo():
            received = yield 'ready'
            while True:
                try:
                    received = yield received
                except KeyError as e:
                    received = e

        async def main(n):
            c = AgenTest.echo()
            py = py_echo()
            await c.asend(None)
            await py.asend(None)
            for _ in range(n):
                # a fresh one each time: raising the same exception object
                # again and again grows its __traceback__ (Python's rule)
                exc = KeyError('k')
                assert await c.asend(payload) is payload
                assert await c.athrow(error) == 'recovered: again'
                assert await py.asend(payload) is payload
                assert await py.athrow(exc) is exc
            await c.aclose()
            await py.aclose()
        Agen.run(main(100))
        settle()
        refs = sys.getrefcount(payload)
        self.check_flat(lambda n: Agen.run(main(n // 10)))
        self.assertEqual(sys.getrefcount(payload), refs)

    def test_generators_are_freed(self):
        agens = []
        finalized = []

        async def native():
            yield 1
            yield 2

        for _ in range(1000):
            a = native()
            agens.append(weakref.ref(a))
            g = Agen.wrap(a)
            g.weak_ref(finalized.append, 1)  # when the GObject itself is finalized
            self.assertEqual(next(iter(g)), 1)  # left suspended: closed when dropped
            del a, g
        ctx = GLib.MainContext.default()
        while ctx.iteration(False):
            pass
        settle()
        self.assertEqual(sum(1 for r in agens if r() is not None), 0)
        self.assertEqual(len(finalized), 1000)


if __name__ == '__main__':
    agentap.main()
