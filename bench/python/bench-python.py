#!/usr/bin/python3
# bench-python.py — the Python binding's per-item costs (docs/performance.md,
# "Python")
#
# Copyright 2026 The agen authors
#
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# P1: `async for` over a C generator whose body yields without awaiting
#     (AgenTest.count) against asyncio's own async generator doing one loop
#     pass per item (`await asyncio.sleep(0)`), on the same loop in the same
#     run, interleaved; once with asyncio driving (Agen.run) and once with
#     GLib driving (GLib.MainLoop.run() with the asyncio loop inside).
#     Target: ratio <= 0.5 (stretch 0.3).
# P2: a Python async generator (Agen.wrap) consumed by C with the blocking
#     next (AgenTest.sum_blocking), inside a running loop and from a script
#     (no loop), each beside a bare Python step function that answers at
#     once (what PyGObject's callback costs). Target: <= 3 us per item.
#
# Each figure is the median of 7 runs after a warm-up run, in ns per item.
# Usage: bench-python.py [--quick]

import asyncio
import statistics
import sys
import time

import gi

gi.require_version('Agen', '1.0')
gi.require_version('AgenTest', '1.0')
from gi.repository import Agen, AgenTest, GLib  # noqa: E402

QUICK = '--quick' in sys.argv
N = 20_000 if QUICK else 200_000
RUNS = 3 if QUICK else 7


async def native_sleep0(n):
    for i in range(n):
        await asyncio.sleep(0)
        yield i


async def native_plain(n):
    for i in range(n):
        yield i


@Agen.generator
async def wrapped(n):
    for i in range(n):
        yield i


async def consume(gen):
    total = 0
    async for v in gen:
        total += v
    return total


VARIANTS = [
    # name, factory, baseline?
    ('asyncio gen, sleep(0) per item', native_sleep0),
    ('async for over AgenTest.count', AgenTest.count),
    ('asyncio gen, no await (for reference)', native_plain),
    ('async for over Agen.wrap(asyncio gen)', wrapped),
]


async def p1_rounds():
    times = {name: [] for name, _ in VARIANTS}
    for run in range(RUNS + 1):
        for name, factory in VARIANTS:
            start = time.perf_counter_ns()
            total = await consume(factory(N))
            elapsed = time.perf_counter_ns() - start
            assert total == N * (N - 1) // 2, (name, total)
            if run > 0:
                times[name].append(elapsed / N)
    return {name: statistics.median(t) for name, t in times.items()}


def p1_asyncio_drives():
    return Agen.run(p1_rounds())


def p1_glib_drives():
    old = asyncio.get_event_loop_policy()
    asyncio.set_event_loop_policy(Agen.EventLoopPolicy())
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    main_loop = GLib.MainLoop()
    try:
        task = loop.create_task(p1_rounds())
        task.add_done_callback(lambda t: main_loop.quit())
        main_loop.run()
        return task.result()
    finally:
        asyncio.set_event_loop(None)
        loop.close()
        asyncio.set_event_loop_policy(old)


def floor(n):
    """PyGObject's floor for a Python-made generator: a bare step function
    that answers every next at once (no Python generator behind it)."""
    state = [0]

    def step(gen, kind, value, thrown, cancellable, data):
        i = state[0]
        if i >= n:
            gen.answer_return(None)
        else:
            state[0] = i + 1
            gen.answer_yield(i)
        return True
    return Agen.Generator.new_driven(step, None)


def p2_samples():
    """(Agen.wrap, the floor): medians, interleaved"""
    samples = ([], [])
    for run in range(RUNS + 1):
        for i, factory in enumerate((wrapped, floor)):
            start = time.perf_counter_ns()
            total = AgenTest.sum_blocking(factory(N))
            elapsed = time.perf_counter_ns() - start
            assert total == N * (N - 1) // 2
            if run > 0:
                samples[i].append(elapsed / N)
    return tuple(statistics.median(x) for x in samples)


async def p2_in_loop():
    return p2_samples()


def p2_blocking():
    """(in a coroutine under Agen.run, in a script with no loop running)"""
    return Agen.run(p2_in_loop()), p2_samples()


async def stock_rounds():
    samples = []
    for run in range(RUNS + 1):
        start = time.perf_counter_ns()
        await consume(native_sleep0(N))
        if run > 0:
            samples.append((time.perf_counter_ns() - start) / N)
    return statistics.median(samples)


def report(title, results):
    base = results[VARIANTS[0][0]]
    print(title)
    for name, _ in VARIANTS:
        print('  %-42s %9.0f ns/item  %5.2fx' % (name, results[name], results[name] / base))


def main():
    print('bench-python: %d items, median of %d runs, Python %s, PyGObject %s'
          % (N, RUNS, sys.version.split()[0], gi.__version__))
    a = p1_asyncio_drives()
    report('P1, asyncio drives (Agen.run):', a)
    g = p1_glib_drives()
    report('P1, GLib drives (GLib.MainLoop.run):', g)
    print('(reference: asyncio gen, sleep(0) per item, on asyncio\'s stock loop: %.0f ns/item)'
          % asyncio.run(stock_rounds()))
    (p2, p2_floor), (p2_script, p2_script_floor) = p2_blocking()
    print('P2, C blocking next over Agen.wrap(asyncio gen) (target <= 3000 ns/item):')
    print('  inside a running loop: %.0f ns/item; a bare Python step function: %.0f ns/item'
          % (p2, p2_floor))
    print('  from a script:         %.0f ns/item; a bare Python step function: %.0f ns/item'
          % (p2_script, p2_script_floor))
    ratio_a = a[VARIANTS[1][0]] / a[VARIANTS[0][0]]
    ratio_g = g[VARIANTS[1][0]] / g[VARIANTS[0][0]]
    met = ratio_a <= 0.5 and ratio_g <= 0.5 and p2 <= 3000
    print('targets: P1 %.2fx / %.2fx (<= 0.5), P2 %.2f us (<= 3): %s'
          % (ratio_a, ratio_g, p2 / 1000, 'met' if met else 'MISSED'))


if __name__ == '__main__':
    main()
