# test-python-generators.py — Python-made generators (driven) consumed by C
# and by Python
#
# Copyright 2026 The agen authors
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import asyncio
import sys
import unittest

import agentap
from gi.repository import Agen, AgenTest, GLib, Gio

closed = []


@Agen.generator
async def numbers(n, await_every=0):
    try:
        for i in range(n):
            if await_every and i % await_every == 0:
                await asyncio.sleep(0.001)
            yield i
    finally:
        closed.append(n)


@Agen.generator
async def echo():
    received = yield 'ready'
    while True:
        try:
            received = yield received
        except LookupError as e:
            received = 'recovered: %r' % (e,)
        except GLib.Error as e:
            received = 'recovered: ' + e.message


class PythonGenerators(unittest.TestCase):

    def setUp(self):
        closed.clear()

    def test_decorator_and_wrap(self):
        gen = numbers(3)
        self.assertIsInstance(gen, Agen.Generator)
        self.assertEqual(gen.get_name(), 'numbers')
        self.assertTrue(Agen.isasyncgenfunction(numbers))
        self.assertTrue(Agen.isasyncgen(gen))

        async def native():
            yield 1
        self.assertTrue(Agen.isasyncgenfunction(native))
        self.assertFalse(Agen.isasyncgenfunction(lambda: None))
        agen = native()
        self.assertTrue(Agen.isasyncgen(agen))
        wrapped = Agen.wrap(agen)
        self.assertIsInstance(wrapped, Agen.Generator)
        self.assertIs(Agen.wrap(wrapped), wrapped)
        self.assertEqual(list(wrapped), [1])
        with self.assertRaises(TypeError):
            Agen.wrap([1, 2])
        with self.assertRaises(TypeError):
            Agen.generator(lambda: None)

    def test_c_blocking_next(self):
        self.assertEqual(AgenTest.sum_blocking(numbers(100)), 4950)
        self.assertEqual(closed, [100])
        # the body awaits (asyncio.sleep): GLib runs asyncio's loop meanwhile
        self.assertEqual(AgenTest.sum_blocking(numbers(20, await_every=3)), 190)

    def test_c_next_async(self):
        async def main():
            loop = asyncio.get_running_loop()
            future = loop.create_future()
            AgenTest.sum_async(numbers(50, await_every=7), None,
                               lambda s, r, *a: future.set_result(AgenTest.sum_finish(r)))
            return await future
        self.assertEqual(Agen.run(main()), 1225)

    def test_values_keep_identity(self):
        objects = [object(), [1], {'k': 'v'}, (1, 2), b'bytes', 'text', 1 << 40,
                   1 << 80, -5, 2.5, True, None, Gio.Cancellable(), ValueError('v')]

        @Agen.generator
        async def gen():
            for o in objects:
                yield o
        got = AgenTest.collect_blocking(gen())
        self.assertEqual(len(got), len(objects))
        for a, b in zip(got, objects):
            if isinstance(b, (int, float, str)):
                self.assertEqual(a, b)
                self.assertIs(type(a), type(b))
            else:
                self.assertIs(a, b)

        async def main():
            return [v async for v in gen()]
        for a, b in zip(Agen.run(main()), objects):
            if not isinstance(b, (int, float, str)):
                self.assertIs(a, b)

    def test_send_throw_from_python(self):
        async def main():
            gen = echo()
            self.assertEqual(await gen.asend(None), 'ready')
            payload = ['payload']
            self.assertIs(await gen.asend(payload), payload)
            self.assertEqual(await gen.athrow(KeyError('k')), "recovered: KeyError('k')")
            error = GLib.Error.new_literal(Gio.io_error_quark(), 'glib one', Gio.IOErrorEnum.FAILED)
            self.assertEqual(await gen.athrow(error), 'recovered: glib one')
            exc = ZeroDivisionError('comes back')
            with self.assertRaises(ZeroDivisionError) as cm:
                await gen.athrow(exc)
            self.assertIs(cm.exception, exc)
            self.assertEqual(gen.get_state(), Agen.GeneratorState.CLOSED)
        Agen.run(main())

    def test_exception_raised_in_body_keeps_identity(self):
        exc = RuntimeError('from the body')
        glib_error = GLib.Error.new_literal(Gio.io_error_quark(), 'glib body', Gio.IOErrorEnum.NOT_FOUND)

        @Agen.generator
        async def raiser(e):
            yield 1
            raise e

        for e in (exc, glib_error):
            items = []
            with self.assertRaises(type(e)) as cm:
                for v in raiser(e):
                    items.append(v)
            self.assertIs(cm.exception, e)
            self.assertEqual(items, [1])

        # A C function that fails with the body's error raises PyGObject's
        # own GLib.Error: domain, code and message are kept, and
        # Agen.original_exception() gives back the object.
        with self.assertRaises(GLib.Error) as cm:
            AgenTest.sum_blocking(raiser(glib_error))
        self.assertTrue(cm.exception.matches(Gio.io_error_quark(), Gio.IOErrorEnum.NOT_FOUND))
        self.assertEqual(cm.exception.message, 'glib body')
        self.assertIs(Agen.original_exception(cm.exception), glib_error)
        with self.assertRaises(GLib.Error) as cm:
            AgenTest.sum_blocking(raiser(exc))
        self.assertEqual(cm.exception.domain, Agen.PYTHON_EXCEPTION_DOMAIN)
        self.assertEqual(cm.exception.message, 'RuntimeError: from the body')
        self.assertIs(Agen.original_exception(cm.exception), exc)
        plain = GLib.Error('not from Python')
        self.assertIs(Agen.original_exception(plain), plain)

    def test_exception_comes_back_untouched(self):
        exc = LookupError('plain')

        @Agen.generator
        async def raiser():
            raise exc
            yield

        async def main():
            with self.assertRaises(LookupError) as cm:
                await raiser().__anext__()
            return cm.exception
        got = Agen.run(main())
        self.assertIs(got, exc)
        self.assertIsNone(got.__context__)
        self.assertIsNone(got.__cause__)
        with self.assertRaises(LookupError) as cm:
            list(AgenTest.delegate(raiser(), 3))
        self.assertIs(cm.exception, exc)
        self.assertIsNone(cm.exception.__context__)

    def test_stop_async_iteration_in_body_is_an_error(self):
        @Agen.generator
        async def bad():
            yield 1
            raise StopAsyncIteration

        gen = bad()
        it = iter(gen)
        self.assertEqual(next(it), 1)
        with self.assertRaises(RuntimeError) as cm:
            next(it)
        self.assertNotIsInstance(cm.exception, GLib.Error)
        self.assertIn('StopAsyncIteration', str(cm.exception))

    def test_close_is_generator_exit(self):
        seen = []

        @Agen.generator
        async def gen():
            try:
                yield 1
                yield 2
            except GeneratorExit:
                seen.append('exit')
                await asyncio.sleep(0.001)
                seen.append('cleaned')
                raise

        async def main():
            g = gen()
            self.assertEqual(await g.__anext__(), 1)
            await g.aclose()
            self.assertEqual(g.get_state(), Agen.GeneratorState.CLOSED)
        Agen.run(main())
        self.assertEqual(seen, ['exit', 'cleaned'])
        # closed from C, blocking, from a script
        g = gen()
        seen.clear()
        self.assertEqual(next(iter(g)), 1)
        self.assertTrue(g.close(None))
        self.assertEqual(seen, ['exit', 'cleaned'])

    def test_yield_after_close_is_ignored_exit(self):
        @Agen.generator
        async def stubborn():
            for _ in range(3):
                try:
                    yield 1
                except GeneratorExit:
                    pass

        async def main():
            g = stubborn()
            await g.__anext__()
            with self.assertRaises(RuntimeError) as cm:
                await g.aclose()
            self.assertTrue(cm.exception.matches(Agen.error_quark(), Agen.Error.IGNORED_EXIT))
            self.assertEqual(g.get_state(), Agen.GeneratorState.SUSPENDED)
            self.assertEqual(await g.__anext__(), 1)
            with self.assertRaises(StopAsyncIteration):
                await g.__anext__()
        Agen.run(main())

    def test_reentrance_from_python(self):
        @Agen.generator
        async def slow():
            await asyncio.sleep(0.02)
            yield 1

        async def main():
            g = slow()
            first = asyncio.ensure_future(g.__anext__())
            await asyncio.sleep(0.001)
            self.assertTrue(g.ag_running)
            with self.assertRaises(RuntimeError) as cm:
                await g.asend(None)
            self.assertTrue(cm.exception.matches(Agen.error_quark(), Agen.Error.RUNNING))
            self.assertEqual(await first, 1)
        Agen.run(main())

    def test_delegation_50_deep_from_c(self):
        gen = AgenTest.delegate(numbers(10), 50)
        self.assertEqual(list(gen), list(range(10)))
        self.assertEqual(closed, [10])

        async def main():
            g = AgenTest.delegate(echo(), 50)
            self.assertEqual(await g.asend(None), 'ready')
            obj = object()
            self.assertIs(await g.asend(obj), obj)
            self.assertEqual(await g.athrow(IndexError('i')), "recovered: IndexError('i')")
            exc = ArithmeticError('through 50 C bodies and back')
            with self.assertRaises(ArithmeticError) as cm:
                await g.athrow(exc)
            self.assertIs(cm.exception, exc)

            closed.clear()
            g = AgenTest.delegate(numbers(5, await_every=2), 50)
            self.assertEqual(await g.__anext__(), 0)
            self.assertEqual(await g.__anext__(), 1)
            await g.aclose()
            self.assertEqual(closed, [5])
        Agen.run(main())

    def test_context_manager_entered_from_c(self):
        events = []

        @Agen.generator
        async def session():
            events.append('enter')
            await asyncio.sleep(0.001)
            yield 'the session'
            events.append('exit')

        ok, entered = AgenTest.with_context_manager(session())
        self.assertTrue(ok)
        self.assertEqual(entered, 'the session')
        self.assertEqual(events, ['enter', 'exit'])

    def test_asynccontextmanager(self):
        events = []

        @Agen.asynccontextmanager
        async def session(name):
            events.append('enter ' + name)
            try:
                yield name.upper()
            except KeyError:
                events.append('suppressed')
            finally:
                events.append('exit ' + name)

        async def main():
            cm = session('a')
            self.assertIsInstance(cm, Agen.ContextManager)
            async with cm as value:
                self.assertEqual(value, 'A')
            async with session('b'):
                raise KeyError('b')
            exc = ValueError('passes')
            with self.assertRaises(ValueError) as raised:
                async with session('c'):
                    raise exc
            self.assertIs(raised.exception, exc)
        Agen.run(main())
        self.assertEqual(events, ['enter a', 'exit a', 'enter b', 'suppressed', 'exit b',
                                  'enter c', 'exit c'])

    def test_context_manager_of_c_generator(self):
        async def main():
            cm = Agen.ContextManager.new_for_generator(AgenTest.count(1))
            async with cm as value:
                self.assertEqual(value, 0)
            cm = Agen.ContextManager.new_for_generator(AgenTest.count(2))
            with self.assertRaises(GLib.Error) as raised:
                async with cm:
                    pass
            self.assertTrue(raised.exception.matches(Agen.error_quark(), Agen.Error.DIDNT_STOP))
        Agen.run(main())

    def test_deep_recursion_in_body(self):
        # 5,000 Python frames inside the body: it runs on the thread's own
        # stack (a 256 KiB fiber would overflow long before).
        def deep(n):
            return 0 if n == 0 else 1 + deep(n - 1)

        def nested(n):
            x = []
            for _ in range(n):
                x = [x]
            return x

        @Agen.generator
        async def recursive():
            yield deep(5000)
            yield len(repr(nested(2000)))

        old = sys.getrecursionlimit()
        sys.setrecursionlimit(20000)
        try:
            self.assertEqual(AgenTest.collect_blocking(recursive()), [5000, 4002])
            gen = AgenTest.delegate(recursive(), 50)
            self.assertEqual(list(gen), [5000, 4002])
        finally:
            sys.setrecursionlimit(old)

    def test_cancellation_from_c_reaches_body(self):
        seen = []

        @Agen.generator
        async def waits():
            try:
                await asyncio.sleep(60)
            except asyncio.CancelledError:
                seen.append('cancelled')
                yield 'after cancel'
                return
            yield 'timed out'

        async def main():
            g = waits()
            cancellable = Gio.Cancellable()
            loop = asyncio.get_running_loop()
            future = loop.create_future()
            g.next_async(cancellable, lambda s, r, *a: future.set_result(g.next_finish(r)))
            await asyncio.sleep(0.01)
            cancellable.cancel()
            return await future
        self.assertEqual(Agen.run(main()), (True, 'after cancel'))
        self.assertEqual(seen, ['cancelled'])


if __name__ == '__main__':
    agentap.main()
