# test-loop.py — the GLib-dispatching asyncio loop, both ways round
#
# Copyright 2026 The agen authors
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import asyncio
import os
import sys
import threading
import unittest

import agentap
from gi.repository import Agen, AgenTest, GLib, Gio


@Agen.generator
async def ticks(n):
    for i in range(n):
        await asyncio.sleep(0.001)
        yield i


async def consume_everything():
    c = [v async for v in AgenTest.count(3)]
    slow = [v async for v in AgenTest.count_slowly(3, 1)]
    py = [v async for v in ticks(3)]
    return c, slow, py, AgenTest.sum_blocking(AgenTest.count(4))


EXPECTED = ([0, 1, 2], [0, 1, 2], [0, 1, 2], 6)


async def _handle(reader, writer):
    data = await reader.readline()
    writer.write(data.upper())
    await writer.drain()
    writer.close()


async def asyncio_features():
    """Sockets, a subprocess, gather, wait_for, a thread's wake-up, an
    executor and a GIO callback, on the running loop."""
    server = await asyncio.start_server(_handle, '127.0.0.1', 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection('127.0.0.1', port)
    writer.write(b'hello\n')
    reply = await reader.readline()
    writer.close()
    server.close()
    await server.wait_closed()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, '-c', 'print(6 * 7)', stdout=asyncio.subprocess.PIPE)
    out, _ = await proc.communicate()
    gathered = await asyncio.gather(asyncio.sleep(0.002, 'a'), asyncio.sleep(0.001, 'b'))
    try:
        await asyncio.wait_for(asyncio.sleep(10), 0.01)
        timed_out = False
    except asyncio.TimeoutError:
        timed_out = True
    loop = asyncio.get_running_loop()
    woken = loop.create_future()
    threading.Thread(target=lambda: loop.call_soon_threadsafe(woken.set_result, 'thread')).start()
    executor = await loop.run_in_executor(None, lambda: 'executor')
    done = loop.create_future()
    f = Gio.File.new_for_path(__file__)
    f.load_contents_async(None, lambda s, r, *a: done.set_result(s.load_contents_finish(r)[0]))
    return reply, out.strip(), gathered, timed_out, await woken, executor, await done


ASYNCIO_FEATURES = (b'HELLO\n', b'42', ['a', 'b'], True, 'thread', 'executor', True)


class AsyncioDrives(unittest.TestCase):

    def test_agen_run(self):
        self.assertEqual(Agen.run(consume_everything()), EXPECTED)

    def test_policy_with_asyncio_run(self):
        old = asyncio.get_event_loop_policy()
        asyncio.set_event_loop_policy(Agen.EventLoopPolicy())
        try:
            self.assertEqual(asyncio.run(consume_everything()), EXPECTED)
        finally:
            asyncio.set_event_loop_policy(old)

    def test_glib_sources_run(self):
        async def main():
            loop = asyncio.get_running_loop()
            future = loop.create_future()
            GLib.timeout_add(5, lambda: future.set_result('glib timeout') or False)
            idle = loop.create_future()
            GLib.idle_add(lambda: idle.set_result('idle') or False)
            return await future, await idle
        self.assertEqual(Agen.run(main()), ('glib timeout', 'idle'))

    def test_asyncio_features(self):
        self.assertEqual(Agen.run(asyncio_features()), ASYNCIO_FEATURES)

    def test_run_shuts_generators_down(self):
        finished = []

        async def native():
            try:
                yield 1
                yield 2
            finally:
                finished.append('native')

        async def main():
            global left_over
            gen = AgenTest.with_cleanup(5)
            await gen.__anext__()
            py = ticks(5)
            await py.__anext__()
            nat = native()
            await nat.__anext__()
            return gen, py, nat
        before = AgenTest.cleanups()
        gen, py, nat = Agen.run(main())
        self.assertEqual(AgenTest.cleanups(), before + 1)
        self.assertEqual(gen.get_state(), Agen.GeneratorState.CLOSED)
        self.assertEqual(py.get_state(), Agen.GeneratorState.CLOSED)
        self.assertEqual(finished, ['native'])

    def test_stock_loop_fails_at_once(self):
        async def main():
            # a body that yields at once needs no loop pass: that works
            self.assertEqual([v async for v in AgenTest.count(2)], [0, 1])
            with self.assertRaises(RuntimeError) as cm:
                async for v in AgenTest.count_slowly(2, 1):
                    pass
            self.assertIn('does not dispatch GLib', str(cm.exception))
            gen = ticks(2)
            with self.assertRaises(RuntimeError):
                async for v in gen:
                    pass
            # the Python body's own await goes on on this loop, and ends the step
            while gen.ag_running:
                await asyncio.sleep(0.001)
            gen.close(None)
            with self.assertRaises(RuntimeError):
                await AgenTest.echo().asend(None)
        loop = asyncio.SelectorEventLoop()
        try:
            loop.run_until_complete(asyncio.wait_for(main(), 10))
        finally:
            loop.close()

    def test_task_cancellation_mid_await(self):
        async def main():
            gen = AgenTest.wait_for_cancel()
            task = asyncio.ensure_future(gen.__anext__())
            await asyncio.sleep(0.01)
            self.assertTrue(gen.ag_running)
            task.cancel()
            # the body handled the cancellation and yielded: not lost
            self.assertEqual(await task, 'cancelled')
            with self.assertRaises(StopAsyncIteration):
                await gen.__anext__()

            # a body that lets the cancellation out: the task is cancelled
            gen = AgenTest.count_slowly(3, 60000)
            task = asyncio.ensure_future(gen.__anext__())
            await asyncio.sleep(0.01)
            task.cancel()
            with self.assertRaises(asyncio.CancelledError):
                await task
            self.assertTrue(task.cancelled())
            self.assertEqual(gen.get_state(), Agen.GeneratorState.CLOSED)

            # a Python-made one: the body sees CancelledError where it awaits
            seen = []

            @Agen.generator
            async def waits():
                try:
                    await asyncio.sleep(60)
                except asyncio.CancelledError:
                    seen.append('cancelled')
                    yield 'handled'
            gen = waits()
            task = asyncio.ensure_future(gen.__anext__())
            await asyncio.sleep(0.01)
            task.cancel()
            self.assertEqual(await task, 'handled')
            self.assertEqual(seen, ['cancelled'])

            # wait_for's timeout goes the same way
            gen = AgenTest.count_slowly(3, 60000)
            with self.assertRaises(asyncio.TimeoutError):
                await asyncio.wait_for(gen.__anext__(), 0.01)
        Agen.run(main())


class OtherThread(unittest.TestCase):

    def test_agen_run_on_a_thread_with_its_own_context(self):
        results = []

        def thread():
            context = GLib.MainContext.new()
            context.push_thread_default()
            try:
                async def main():
                    loop = asyncio.get_running_loop()
                    assert loop.glib_context == context
                    return await consume_everything()
                results.append(Agen.run(main()))
            except BaseException as e:
                results.append(e)
            finally:
                context.pop_thread_default()
        t = threading.Thread(target=thread)
        t.start()
        t.join(60)
        self.assertFalse(t.is_alive())
        self.assertEqual(results, [EXPECTED])


class GLibDrives(unittest.TestCase):

    def test_glib_main_loop_outer(self):
        old = asyncio.get_event_loop_policy()
        asyncio.set_event_loop_policy(Agen.EventLoopPolicy())
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        main_loop = GLib.MainLoop()
        results = []

        async def main():
            try:
                results.append(await consume_everything())
                results.append(await asyncio.wait_for(asyncio.sleep(0.001, 'slept'), 1))
                results.append(await asyncio_features())
            finally:
                main_loop.quit()
        try:
            task = loop.create_task(main())
            GLib.timeout_add_seconds(20, main_loop.quit)
            main_loop.run()
            self.assertTrue(task.done())
            task.result()
            self.assertEqual(results, [EXPECTED, 'slept', ASYNCIO_FEATURES])
        finally:
            asyncio.set_event_loop(None)
            loop.close()
            asyncio.set_event_loop_policy(old)

    def test_gio_application_outer(self):
        old = asyncio.get_event_loop_policy()
        asyncio.set_event_loop_policy(Agen.EventLoopPolicy())
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        app = Gio.Application(application_id='org.example.AgenTest',
                              flags=Gio.ApplicationFlags.NON_UNIQUE)
        results = []
        tasks = []

        async def work():
            try:
                results.append(await consume_everything())
            finally:
                app.release()

        def activate(app):
            app.hold()
            tasks.append(loop.create_task(work()))
        app.connect('activate', activate)
        try:
            self.assertEqual(app.run([]), 0)
            tasks[0].result()
            self.assertEqual(results, [EXPECTED])
        finally:
            asyncio.set_event_loop(None)
            loop.close()
            asyncio.set_event_loop_policy(old)

    def test_blocking_script_runs_python_bodies(self):
        # no asyncio loop at all: a C consumer's blocking next iterates GLib,
        # which runs the Python body's awaits
        self.assertEqual(AgenTest.sum_blocking(ticks(5)), 10)
        self.assertEqual(list(ticks(3)), [0, 1, 2])


if __name__ == '__main__':
    agentap.main()
