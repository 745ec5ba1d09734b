// SPDX-License-Identifier: LGPL-2.1-or-later
// SPDX-FileCopyrightText: 2026 The agen authors
//
// GC stress for the GJS override (bindings/gjs): JS values and JS-made
// generators that only C holds survive System.gc(), and are collected
// once C lets them go.

import GLib from 'gi://GLib';
import Gio from 'gi://Gio';
import Agen from 'gi://Agen';
import AgenTest from 'gi://AgenTest';
import System from 'system';

import {test, run, assert, assertEqual, assertRejects, assertError, sleep} from './tap.js';

// Resident memory, in MiB. (GJS 1.74 never clears WeakRef targets, so
// collection is shown by memory that does not grow.)
function rssMiB() {
    const [, contents] = GLib.file_get_contents('/proc/self/statm');
    const pages = Number(new TextDecoder().decode(contents).split(' ')[1]);
    return pages * 4096 / (1024 * 1024);
}

async function settle() {
    for (let i = 0; i < 5; i++) {
        System.gc();
        // eslint-disable-next-line no-await-in-loop
        await sleep(1);
    }
}

// 2 MiB that must be freed with the object holding it.
const bulk = () => new Uint8Array(2 * 1024 * 1024).fill(1);
const ROUNDS = 150;
// Less than half of what ROUNDS leaked buffers would take.
const MAX_GROWTH_MIB = 120;

test('values parked in a C body survive System.gc() between steps', async () => {
    const gen = AgenTest.echo();
    await gen.next();
    for (let i = 0; i < 200; i++) {
        const value = {i, payload: new Array(100).fill(i)};
        // The value waits in C (the body's sent value, then the yield).
        const pending = gen.next(value);
        System.gc();
        // eslint-disable-next-line no-await-in-loop
        const r = await pending;
        assert(r.value === value, `step ${i}`);
        assertEqual(r.value.payload[99], i);
    }
    await gen.return();
});

test('a JS-made generator held only by C survives, and its values', async () => {
    let asyncGenRef;
    const made = [];
    // Only the C chain holds the wrapped generator.
    const chain = (() => {
        async function* gen() {
            for (let i = 0; i < 100; i++) {
                const value = {i};
                made.push(new WeakRef(value));
                yield value;
            }
        }
        const asyncGen = gen();
        asyncGenRef = new WeakRef(asyncGen);
        return AgenTest.delegate(Agen.wrap(asyncGen), 10);
    })();
    let count = 0;
    for (;;) {
        System.gc();
        // eslint-disable-next-line no-await-in-loop
        const r = await chain.next();
        System.gc();
        if (r.done)
            break;
        assertEqual(r.value.i, count++);
    }
    assertEqual(count, 100);
    assert(asyncGenRef.deref() !== undefined, 'the async generator went away early');
});

test('values yielded through C are collected once C drops them', async () => {
    await settle();
    const before = rssMiB();
    for (let i = 0; i < ROUNDS; i++) {
        async function* gen() {
            yield {data: bulk()};
            yield [bulk()];
        }
        // C takes the first value and drops it (it is not a number).
        // eslint-disable-next-line no-await-in-loop
        const e = await assertRejects(Agen.callBlocking(
            () => AgenTest.sum_blocking(Agen.wrap(gen()))));
        assertError(e, Gio.IOErrorEnum, Gio.IOErrorEnum.INVALID_DATA, 'sum_blocking');
        // JS takes one through C and drops it.
        const chain = AgenTest.delegate(Agen.wrap(gen()), 2);
        // eslint-disable-next-line no-await-in-loop
        assertEqual((await chain.next()).value.data.length, 2 * 1024 * 1024);
        if (i % 10 === 0)
            System.gc();
    }
    await settle();
    const growth = rssMiB() - before;
    assert(growth < 2 * MAX_GROWTH_MIB, `memory grew by ${growth.toFixed(0)} MiB`);
});

test('JS-made generators dropped by C are collected', async () => {
    await settle();
    const before = rssMiB();
    for (let i = 0; i < ROUNDS; i++) {
        const buffer = bulk();
        async function* gen() {
            try {
                yield buffer.length;
                yield 0;
            } finally {
                buffer[0] = 0;
            }
        }
        const chain = AgenTest.delegate(Agen.wrap(gen()), 2);
        // eslint-disable-next-line no-await-in-loop
        assertEqual((await chain.next()).value, buffer.length);
        if (i % 10 === 0)
            System.gc();
    }
    await settle();
    const growth = rssMiB() - before;
    assert(growth < MAX_GROWTH_MIB, `memory grew by ${growth.toFixed(0)} MiB`);
});

test('values sent into a C body are collected after', async () => {
    await settle();
    const before = rssMiB();
    const gen = AgenTest.echo();
    await gen.next();
    for (let i = 0; i < ROUNDS; i++) {
        // eslint-disable-next-line no-await-in-loop
        const r = await gen.next({data: bulk()});
        assertEqual(r.value.data.length, 2 * 1024 * 1024);
        if (i % 10 === 0)
            System.gc();
    }
    await gen.return();
    await settle();
    const growth = rssMiB() - before;
    assert(growth < MAX_GROWTH_MIB, `memory grew by ${growth.toFixed(0)} MiB`);
});

test('exceptions parked in C survive System.gc()', async () => {
    const error = new Error('parked');
    let caught = null;
    async function* gen() {
        try {
            yield 1;
        } catch (e) {
            System.gc();
            caught = e;
            throw e;
        }
    }
    const chain = AgenTest.delegate(Agen.wrap(gen()), 10);
    await chain.next();
    const pending = chain.throw(error);
    System.gc();
    let out = null;
    try {
        await pending;
    } catch (e) {
        out = e;
    }
    assert(caught === error && out === error);
});

const failed = await run();
if (failed)
    System.exit(1);
