# test-c-generators.py — C-made generators (fiber bodies) consumed in Python
#
# Copyright 2026 The agen authors
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import asyncio
import collections.abc
import contextlib
import inspect
import unittest

import agentap
from gi.repository import Agen, AgenTest, GLib, Gio


def run(coro):
    return Agen.run(coro)


class CGenerators(unittest.TestCase):

    def test_override_applies(self):
        gen = AgenTest.count(1)
        self.assertIsInstance(gen, Agen.Generator)
        self.assertEqual(type(gen).__module__, 'gi.overrides.Agen')

    def test_iterate_to_the_end(self):
        async def main():
            gen = AgenTest.count(5)
            items = [v async for v in gen]
            return items, gen.get_state(), gen.get_return_value()
        items, state, (has, value) = run(main())
        self.assertEqual(items, [0, 1, 2, 3, 4])
        self.assertEqual(state, Agen.GeneratorState.CLOSED)
        self.assertEqual((has, value), (True, 5))

    def test_iterate_with_awaits(self):
        async def main():
            return [v async for v in AgenTest.count_slowly(4, 2)]
        self.assertEqual(run(main()), [0, 1, 2, 3])

    def test_end_is_stop_async_iteration(self):
        async def main():
            gen = AgenTest.count(0)
            with self.assertRaises(StopAsyncIteration):
                await gen.__anext__()
            with self.assertRaises(StopAsyncIteration):
                await anext(gen)
            self.assertEqual(await anext(gen, 'default'), 'default')
        run(main())

    def test_send(self):
        async def main():
            gen = AgenTest.echo()
            self.assertEqual(await gen.asend(None), 'ready')
            payload = {'a': [1, 2]}
            self.assertIs(await gen.asend(payload), payload)
            self.assertEqual(await gen.asend('text'), 'text')
            self.assertEqual(await gen.asend(1 << 40), 1 << 40)
            self.assertEqual(await gen.asend(1 << 70), 1 << 70)
            self.assertEqual(await gen.asend(2.5), 2.5)
            self.assertIs(await gen.asend(True), True)
            await gen.aclose()
        run(main())

    def test_send_before_start_is_refused(self):
        async def main():
            gen = AgenTest.echo()
            with self.assertRaises(GLib.Error) as cm:
                await gen.asend('too early')
            self.assertTrue(cm.exception.matches(Agen.error_quark(), Agen.Error.NOT_STARTED))
            self.assertEqual(await gen.asend(None), 'ready')
        run(main())

    def test_throw_and_recover(self):
        async def main():
            gen = AgenTest.echo()
            await gen.__anext__()
            error = GLib.Error.new_literal(Gio.io_error_quark(), 'boom', Gio.IOErrorEnum.FAILED)
            self.assertEqual(await gen.athrow(error), 'recovered: boom')
            self.assertEqual(await gen.asend(7), 7)
        run(main())

    def test_throw_python_exception_comes_back_same(self):
        async def main():
            gen = AgenTest.echo()
            await gen.__anext__()
            exc = KeyError('mine')
            with self.assertRaises(KeyError) as cm:
                await gen.athrow(exc)
            self.assertIs(cm.exception, exc)
            self.assertEqual(gen.get_state(), Agen.GeneratorState.CLOSED)
            # the three-argument form too
            gen = AgenTest.echo()
            await gen.__anext__()
            with self.assertRaises(ValueError):
                await gen.athrow(ValueError, ValueError('v'), None)
        run(main())

    def test_error_from_c_body(self):
        async def main():
            items = []
            with self.assertRaises(GLib.Error) as cm:
                async for v in AgenTest.fail_after(2, 'bad thing'):
                    items.append(v)
            self.assertEqual(items, [0, 1])
            e = cm.exception
            self.assertTrue(e.matches(Gio.io_error_quark(), Gio.IOErrorEnum.FAILED))
            self.assertEqual(e.message, 'bad thing')
        run(main())

    def test_close_with_cleanup_that_awaits(self):
        async def main():
            before = AgenTest.cleanups()
            gen = AgenTest.with_cleanup(10)
            self.assertEqual(await gen.__anext__(), 0)
            await gen.aclose()
            self.assertEqual(AgenTest.cleanups(), before + 1)
            self.assertEqual(gen.get_state(), Agen.GeneratorState.CLOSED)
            with self.assertRaises(StopAsyncIteration):
                await gen.__anext__()
            await gen.aclose()  # closing again does nothing
        run(main())

    def test_reentrance_is_running_error(self):
        async def main():
            gen = AgenTest.count_slowly(3, 50)
            first = asyncio.ensure_future(gen.__anext__())
            await asyncio.sleep(0.005)
            self.assertTrue(gen.ag_running)
            with self.assertRaises(RuntimeError) as cm:
                await gen.__anext__()
            self.assertIsInstance(cm.exception, GLib.Error)
            self.assertTrue(cm.exception.matches(Agen.error_quark(), Agen.Error.RUNNING))
            self.assertEqual(await first, 0)
            self.assertFalse(gen.ag_running)
            await gen.aclose()
        run(main())

    def test_aclosing(self):
        async def main():
            before = AgenTest.cleanups()
            async with Agen.aclosing(AgenTest.with_cleanup(5)) as gen:
                async for v in gen:
                    if v == 2:
                        break
            self.assertEqual(gen.get_state(), Agen.GeneratorState.CLOSED)
            self.assertEqual(AgenTest.cleanups(), before + 1)
            # contextlib's works as well
            async with contextlib.aclosing(AgenTest.with_cleanup(5)) as gen:
                await gen.__anext__()
            self.assertEqual(AgenTest.cleanups(), before + 2)
            # and the C helper, made from Python
            async with Agen.Aclosing.new(AgenTest.with_cleanup(5)) as gen:
                await gen.__anext__()
            self.assertEqual(AgenTest.cleanups(), before + 3)
        run(main())

    def test_bad_input(self):
        async def main():
            gen = AgenTest.echo()
            await gen.__anext__()
            with self.assertRaises(TypeError):
                await gen.athrow('not an exception')
            with self.assertRaises(TypeError):
                await gen.athrow(42)
            self.assertEqual(await gen.asend('still fine'), 'still fine')
            await gen.aclose()
            with self.assertRaises(StopAsyncIteration):
                await gen.asend('after close')
            with self.assertRaises(StopAsyncIteration):
                await gen.athrow(ValueError('after close'))
        run(main())
        with self.assertRaises(TypeError):
            Agen.asynccontextmanager(lambda: None)

    def test_protocol_recognised(self):
        gen = AgenTest.count(1)
        self.assertIsInstance(gen, collections.abc.AsyncGenerator)
        self.assertIsInstance(gen, collections.abc.AsyncIterator)
        self.assertTrue(Agen.isasyncgen(gen))
        self.assertFalse(gen.ag_running)
        self.assertIs(gen.__aiter__(), gen)
        self.assertFalse(Agen.isasyncgen([]))
        self.assertFalse(inspect.isasyncgen(gen))  # Python's own: native only

    def test_delegation_from_c_50_deep(self):
        async def main():
            gen = AgenTest.delegate(AgenTest.count(10), 50)
            items = [v async for v in gen]
            self.assertEqual(items, list(range(10)))
            self.assertEqual(gen.get_return_value(), (True, 10))
            gen = AgenTest.delegate(AgenTest.echo(), 50)
            self.assertEqual(await gen.asend(None), 'ready')
            obj = object()
            self.assertIs(await gen.asend(obj), obj)
            error = GLib.Error.new_literal(Gio.io_error_quark(), 'deep', Gio.IOErrorEnum.FAILED)
            self.assertEqual(await gen.athrow(error), 'recovered: deep')
            exc = OSError('python error through 50 C bodies')
            with self.assertRaises(OSError) as cm:
                await gen.athrow(exc)
            self.assertIs(cm.exception, exc)
            before = AgenTest.cleanups()
            gen = AgenTest.delegate(AgenTest.with_cleanup(3), 50)
            self.assertEqual(await gen.__anext__(), 0)
            await gen.aclose()
            self.assertEqual(AgenTest.cleanups(), before + 1)
        run(main())

    def test_blocking_for_loop(self):
        self.assertEqual(list(AgenTest.count(4)), [0, 1, 2, 3])
        self.assertEqual(list(AgenTest.count_slowly(3, 1)), [0, 1, 2])
        items = []
        with self.assertRaises(GLib.Error):
            for v in AgenTest.fail_after(1, 'x'):
                items.append(v)
        self.assertEqual(items, [0])

    def test_return_value_none_when_closed(self):
        gen = AgenTest.count(3)
        self.assertEqual(next(iter(gen)), 0)
        self.assertTrue(gen.close(None))
        self.assertEqual(gen.get_return_value(), (False, None))

    def test_map_and_filter_with_async_functions(self):
        async def double(x):
            await asyncio.sleep(0)
            return x * 2

        async def multiple_of_four(x):
            await asyncio.sleep(0)
            return x % 4 == 0

        async def main():
            mapped = [v async for v in AgenTest.count(5).map(double)]
            both = [v async for v in AgenTest.count(5).map(double).filter(multiple_of_four)]
            plain = [v async for v in AgenTest.count(3).map(lambda x: (True, x + 1))]
            # Leaving early closes the source, whose cleanup awaits.
            source = AgenTest.with_cleanup(10)
            before = AgenTest.cleanups()
            async with Agen.aclosing(source.map(double)) as gen:
                async for v in gen:
                    if v == 4:
                        break
            return mapped, both, plain, AgenTest.cleanups() - before, source.get_state()

        mapped, both, plain, cleanups, state = run(main())
        self.assertEqual(mapped, [0, 2, 4, 6, 8])
        self.assertEqual(both, [0, 4, 8])
        self.assertEqual(plain, [1, 2, 3])
        self.assertEqual(cleanups, 1)
        self.assertEqual(state, Agen.GeneratorState.CLOSED)


if __name__ == '__main__':
    agentap.main()
