// SPDX-License-Identifier: LGPL-2.1-or-later
// SPDX-FileCopyrightText: 2026 The agen authors
//
// C-made generators (AgenTest, tests/introspected/) consumed from JS
// through the override's AsyncGenerator protocol (bindings/gjs).

import GLib from 'gi://GLib';
import Gio from 'gi://Gio';
import Agen from 'gi://Agen';
import AgenTest from 'gi://AgenTest';
import System from 'system';

import {test, run, assert, assertEqual, assertDeepEqual, assertRejects,
    assertError, sleep, skip} from './tap.js';

async function collect(iterable) {
    const items = [];
    for await (const v of iterable)
        items.push(v);
    return items;
}

test('for await iterates a C generator to the end', async () => {
    assertDeepEqual(await collect(AgenTest.count(5)), [0, 1, 2, 3, 4]);
});

test('next() gives {value, done}, the return value once, then undefined', async () => {
    const gen = AgenTest.count(2);
    assertDeepEqual(await gen.next(), {value: 0, done: false});
    assertDeepEqual(await gen.next(), {value: 1, done: false});
    assertDeepEqual(await gen.next(), {value: 2, done: true});
    const after = await gen.next();
    assertEqual(after.done, true);
    assertEqual(after.value, undefined);
});

test('a body that yields at once gives an already-resolved Promise', async () => {
    const gen = AgenTest.count(3);
    if (!gen.try_next)
        skip('agen_generator_try_next() is not in this build');
    let settled = false;
    gen.next().then(() => {
        settled = true;
    });
    // One promise job later (no main-loop pass) the value is there.
    await null;
    assert(settled, 'the step needed a main-loop pass');
    await gen.return();
});

test('a body that awaits between items', async () => {
    assertDeepEqual(await collect(AgenTest.count_slowly(3, 5)), [0, 1, 2]);
});

test('[Symbol.asyncIterator]() is the generator itself', () => {
    const gen = AgenTest.count(1);
    assert(gen[Symbol.asyncIterator]() === gen);
});

test('send: next(v) sends v', async () => {
    const gen = AgenTest.echo();
    assertDeepEqual(await gen.next(), {value: 'ready', done: false});
    assertDeepEqual(await gen.next('hello'), {value: 'hello', done: false});
    assertDeepEqual(await gen.next(42), {value: 42, done: false});
    const obj = {answer: 42};
    System.gc();
    const r = await gen.next(obj);
    assert(r.value === obj, 'an object sent through C came back as another');
    await gen.return();
});

test('throw a GLib.Error and the body recovers', async () => {
    const gen = AgenTest.echo();
    await gen.next();
    const r = await gen.throw(new GLib.Error(Gio.IOErrorEnum, Gio.IOErrorEnum.FAILED, 'oops'));
    assertDeepEqual(r, {value: 'recovered: oops', done: false});
    assertDeepEqual(await gen.next('still'), {value: 'still', done: false});
    await gen.return();
});

test('a JS exception thrown through a C body comes back as the same object', async () => {
    const gen = AgenTest.echo();
    await gen.next();
    const error = new TypeError('not for C');
    const e = await assertRejects(gen.throw(error));
    assert(e === error, `got ${e}`);
    assertDeepEqual(await gen.next(), {value: undefined, done: true});
});

test('throw into a generator that has not started closes it', async () => {
    const gen = AgenTest.count(3);
    const error = new RangeError('early');
    assert(await assertRejects(gen.throw(error)) === error);
    assertEqual(gen.get_state(), Agen.GeneratorState.CLOSED);
});

test('a C body error arrives as GLib.Error with domain, code and message', async () => {
    const items = [];
    const e = await assertRejects((async () => {
        for await (const v of AgenTest.fail_after(2, 'bad thing'))
            items.push(v);
    })());
    assertDeepEqual(items, [0, 1]);
    assertError(e, Gio.IOErrorEnum, Gio.IOErrorEnum.FAILED, 'fail_after');
    assertEqual(e.message, 'bad thing');
});

test('return(v) closes, waits for a cleanup that awaits, gives {v, done}', async () => {
    const gen = AgenTest.with_cleanup(5);
    const before = AgenTest.cleanups();
    await gen.next();
    assertDeepEqual(await gen.return('bye'), {value: 'bye', done: true});
    assertEqual(AgenTest.cleanups(), before + 1);
    assertDeepEqual(await gen.next(), {value: undefined, done: true});
});

test('break in for await closes and waits for the cleanup', async () => {
    const gen = AgenTest.with_cleanup(10);
    const before = AgenTest.cleanups();
    for await (const v of gen) {
        if (v === 2)
            break;
    }
    assertEqual(AgenTest.cleanups(), before + 1);
    assertEqual(gen.get_state(), Agen.GeneratorState.CLOSED);
});

test('an exception in the for await body closes the generator', async () => {
    const gen = AgenTest.with_cleanup(10);
    const before = AgenTest.cleanups();
    const error = new Error('in the loop');
    const e = await assertRejects((async () => {
        for await (const v of gen) {
            if (v === 1)
                throw error;
        }
    })());
    assert(e === error);
    assertEqual(AgenTest.cleanups(), before + 1);
});

test('re-entrance: next() while a step runs rejects with RUNNING', async () => {
    const gen = AgenTest.count_slowly(3, 20);
    const first = gen.next();
    const e = await assertRejects(gen.next());
    assertError(e, Agen.Error, Agen.Error.RUNNING, 'second next');
    assertDeepEqual(await first, {value: 0, done: false});
    const e2 = await assertRejects((async () => {
        const p = gen.next();
        try {
            await gen.return();
        } finally {
            await p;
        }
    })());
    assertError(e2, Agen.Error, Agen.Error.RUNNING, 'return while running');
    await gen.return();
});

test('cancellation mid-await through a Gio.Cancellable', async () => {
    const gen = AgenTest.wait_for_cancel();
    const cancellable = new Gio.Cancellable();
    const it = gen.withCancellable(cancellable);
    const pending = it.next();
    await sleep(20);
    assertEqual(gen.get_state(), Agen.GeneratorState.RUNNING);
    cancellable.cancel();
    assertDeepEqual(await pending, {value: 'cancelled', done: false});
    assertDeepEqual(await gen.next(), {value: undefined, done: true});
});

test('a cancellable already cancelled: CANCELLED, nothing runs', async () => {
    const gen = AgenTest.count(3);
    const cancellable = new Gio.Cancellable();
    cancellable.cancel();
    const e = await assertRejects(gen.withCancellable(cancellable).next());
    assertError(e, Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED, 'next');
    assertEqual(gen.get_state(), Agen.GeneratorState.CREATED);
    assertDeepEqual(await collect(gen), [0, 1, 2]);
});

test('for await over withCancellable()', async () => {
    const gen = AgenTest.count_slowly(3, 1);
    assertDeepEqual(await collect(gen.withCancellable(new Gio.Cancellable())), [0, 1, 2]);
});

test('leaving a withCancellable() loop after cancelling still closes', async () => {
    const gen = AgenTest.with_cleanup(10);
    const before = AgenTest.cleanups();
    const cancellable = new Gio.Cancellable();
    for await (const v of gen.withCancellable(cancellable)) {
        if (v === 1) {
            cancellable.cancel();
            break;
        }
    }
    assertEqual(gen.get_state(), Agen.GeneratorState.CLOSED);
    assertEqual(AgenTest.cleanups(), before + 1);
});

test('bad arguments are exceptions, not crashes', async () => {
    const gen = AgenTest.count(3);
    assert(await assertRejects(gen.withCancellable('not a cancellable').next()) instanceof Error);
    assert(await assertRejects(Agen.aclosing(null, async () => 1)) instanceof Error);
    assert(await assertRejects(Agen.withContext({}, async () => 1)) instanceof Error);
    assert(await assertRejects(gen.throw(undefined)) === undefined, 'throw(undefined) rejects with undefined');
    assertEqual(gen.get_state(), Agen.GeneratorState.CLOSED);
});

test('the shadowed GI methods stay reachable', async () => {
    const gen = AgenTest.count(3);
    assertDeepEqual(gen.next_sync(null), [true, 0]);
    const v = await new Promise((resolve, reject) => gen.next_async(null, (g, res) => {
        try {
            resolve(g.next_finish(res));
        } catch (e) {
            reject(e);
        }
    }));
    assertDeepEqual(v, [true, 1]);
    const e = (() => {
        try {
            gen.throw_sync(new GLib.Error(Gio.IOErrorEnum, Gio.IOErrorEnum.FAILED, 'x'), null);
        } catch (err) {
            return err;
        }
        return null;
    })();
    assertError(e, Gio.IOErrorEnum, Gio.IOErrorEnum.FAILED, 'throw_sync');
});

test('a chain of 50 C bodies delegating to a C generator', async () => {
    assertDeepEqual(await collect(AgenTest.delegate(AgenTest.count(4), 50)), [0, 1, 2, 3]);
});

test('aclosing: Agen.aclosing(gen, fn) closes after fn', async () => {
    const gen = AgenTest.with_cleanup(10);
    const before = AgenTest.cleanups();
    const result = await Agen.aclosing(gen, async g => {
        assert(g === gen);
        return (await g.next()).value;
    });
    assertEqual(result, 0);
    assertEqual(AgenTest.cleanups(), before + 1);
    assertEqual(gen.get_state(), Agen.GeneratorState.CLOSED);
});

test('aclosing: an exception in fn still closes, and propagates', async () => {
    const gen = AgenTest.with_cleanup(10);
    const before = AgenTest.cleanups();
    const error = new Error('block failed');
    const e = await assertRejects(Agen.aclosing(gen, async g => {
        await g.next();
        throw error;
    }));
    assert(e === error);
    assertEqual(AgenTest.cleanups(), before + 1);
});

test('aclosing: Promise forms of Agen.Aclosing enter/exit', async () => {
    const gen = AgenTest.count(3);
    const closer = Agen.Aclosing.new(gen);
    assert(await closer.enter() === gen);
    await gen.next();
    assertEqual(await closer.exit(), true);
    assertEqual(gen.get_state(), Agen.GeneratorState.CLOSED);
});

test('context manager over a C generator: enter, exit normally', async () => {
    const cm = Agen.ContextManager.new_for_generator(AgenTest.count(1));
    assertEqual(await cm.enter(), 0);
    assertEqual(await cm.exit(), true);
    assertEqual(cm.get_generator().get_state(), Agen.GeneratorState.CLOSED);
});

test('context manager over a C generator: Agen.withContext, block error', async () => {
    const cm = Agen.ContextManager.new_for_generator(AgenTest.count(1));
    const error = new SyntaxError('block');
    const e = await assertRejects(Agen.withContext(cm, value => {
        assertEqual(value, 0);
        throw error;
    }));
    assert(e === error, `got ${e}`);
});

test('context manager over a C generator: DIDNT_STOP', async () => {
    const cm = Agen.ContextManager.new_for_generator(AgenTest.count(2));
    assertEqual(await cm.enter(), 0);
    assertError(await assertRejects(cm.exit()), Agen.Error, Agen.Error.DIDNT_STOP, 'exit');
});

test('helpers used out of sequence reject instead of hanging', async () => {
    const cm = Agen.ContextManager.new_for_generator(AgenTest.count(1));
    let e = await assertRejects(cm.exit());
    assert(e.message.includes('not entered'), e.message);
    const entering = cm.enter();
    e = await assertRejects(cm.exit());
    assert(e.message.includes('in progress'), e.message);
    assertEqual(await entering, 0);
    e = await assertRejects(cm.enter());
    assert(e.message.includes('already entered'), e.message);
    assertEqual(await cm.exit(), true);
    e = await assertRejects(cm.exit());
    assert(e.message.includes('already exited'), e.message);

    const closer = Agen.Aclosing.new(AgenTest.count(1));
    e = await assertRejects(closer.exit());
    assert(e.message.includes('not entered'), e.message);
    const cancelled = new Gio.Cancellable();
    cancelled.cancel();
    assertError(await assertRejects(closer.enter(cancelled)),
        Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED, 'cancelled enter');
    e = await assertRejects(closer.enter());
    assert(e.message.includes('enter failed'), e.message);

    const closer2 = Agen.Aclosing.new(AgenTest.count(1));
    assert(closer2.enter_sync(null) === closer2.get_generator());
    assertEqual(closer2.exit_sync(null), true);
    e = (() => {
        try {
            closer2.exit_sync(null);
        } catch (err) {
            return err;
        }
        return null;
    })();
    assert(e?.message.includes('already exited'), `${e}`);

    const failing = Agen.ContextManager.new_for_generator(AgenTest.fail_after(0, 'no'));
    assertError(await assertRejects(failing.enter()), Gio.IOErrorEnum, Gio.IOErrorEnum.FAILED, 'enter');
    e = await assertRejects(failing.exit());
    assert(e.message.includes('enter failed'), e.message);
});

test('the blocking helper forms stay reachable', () => {
    const cm = Agen.ContextManager.new_for_generator(AgenTest.count(1));
    assertDeepEqual(cm.enter_sync(null), [true, 0]);
    assertEqual(cm.exit_normally(null), true);
});

test('many items: values keep their order', async () => {
    let expected = 0;
    for await (const v of AgenTest.count(10000)) {
        if (v !== expected)
            throw new Error(`got ${v}, expected ${expected}`);
        expected++;
    }
    assertEqual(expected, 10000);
});

test('map and filter with async functions, and early exit closes the source', async () => {
    const both = await collect(AgenTest.count(5)
        .map(async x => {
            await sleep(0);
            return x * 2;
        })
        .filter(async x => x % 4 === 0));
    assertDeepEqual(both, [0, 4, 8]);
    assertDeepEqual(await collect(AgenTest.count(3).map(x => [true, x + 1])), [1, 2, 3]);

    const source = AgenTest.with_cleanup(10);
    const before = AgenTest.cleanups();
    for await (const v of source.map(async x => x * 2)) {
        if (v === 4)
            break;
    }
    assertEqual(AgenTest.cleanups() - before, 1);
    assertEqual(source.get_state(), Agen.GeneratorState.CLOSED);
});

const failed = await run();
if (failed)
    System.exit(1);
