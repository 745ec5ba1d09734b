// SPDX-License-Identifier: LGPL-2.1-or-later
// SPDX-FileCopyrightText: 2026 The agen authors
//
// JS async generators made into Agen.Generators with Agen.wrap()
// (bindings/gjs) and consumed by C code (AgenTest, tests/introspected/)
// and by JS through C.

import GLib from 'gi://GLib';
import Gio from 'gi://Gio';
import Agen from 'gi://Agen';
import AgenTest from 'gi://AgenTest';
import System from 'system';

import {test, run, assert, assertEqual, assertDeepEqual, assertRejects,
    assertThrows, assertError, sleep} from './tap.js';

async function* numbers(n) {
    for (let i = 0; i < n; i++)
        yield i;
    return 'numbers done';
}

async function* slowNumbers(n) {
    for (let i = 0; i < n; i++) {
        // eslint-disable-next-line no-await-in-loop
        await sleep(1);
        yield i;
    }
}

// A C consumer that calls `fn` (blocking C calls) from a GLib callback,
// where GJS can run the JS body's promise jobs meanwhile.
const blocking = fn => Agen.callBlocking(fn);

function sumAsync(gen) {
    return new Promise((resolve, reject) => {
        AgenTest.sum_async(gen, null, (source, result) => {
            try {
                resolve(AgenTest.sum_finish(result));
            } catch (e) {
                reject(e);
            }
        });
    });
}

function depth(n) {
    return n === 0 ? 0 : 1 + depth(n - 1);
}

test('Agen.wrap() makes an Agen.Generator', () => {
    const gen = Agen.wrap(numbers(3));
    assert(gen instanceof Agen.Generator);
    assertEqual(gen.get_state(), Agen.GeneratorState.CREATED);
    assert(Agen.wrap(gen) === gen, 'wrapping a generator again');
});

test('Agen.wrap() refuses what is not an async generator', () => {
    for (const bad of [null, undefined, 3, 'x', {}, {next() {}}]) {
        const e = assertThrows(() => Agen.wrap(bad));
        assert(e instanceof TypeError, `${bad}: ${e}`);
    }
});

test('C consumes with blocking next', async () => {
    assertEqual(await blocking(() => AgenTest.sum_blocking(Agen.wrap(numbers(100)))), 4950);
});

test('C consumes with blocking next, the body awaiting', async () => {
    assertEqual(await blocking(() => AgenTest.sum_blocking(Agen.wrap(slowNumbers(5)))), 10);
});

test('C consumes with next_async', async () => {
    assertEqual(await sumAsync(Agen.wrap(numbers(100))), 4950);
    assertEqual(await sumAsync(Agen.wrap(slowNumbers(5))), 10);
});

function sumInThread(gen) {
    return new Promise((resolve, reject) => {
        AgenTest.sum_in_thread_async(gen, null, (source, result) => {
            try {
                resolve(AgenTest.sum_in_thread_finish(result));
            } catch (e) {
                reject(e);
            }
        });
    });
}

test('C consumes from another thread: the JS body still runs on the main thread', async () => {
    assertEqual(await sumInThread(Agen.wrap(numbers(100))), 4950);
    assertEqual(await sumInThread(Agen.wrap(slowNumbers(5))), 10);
    // An exception crosses the thread and C, and comes back.
    const error = new URIError('from the main thread');
    async function* failing() {
        yield 1;
        throw error;
    }
    const e = await assertRejects(sumInThread(Agen.wrap(failing())));
    assert(Agen.unwrapError(e) === error, `got ${e}`);
});

test('a blocking C call from a promise job fails instead of hanging', () => {
    // This test function runs inside a promise job (after awaits).
    const e = assertThrows(() => AgenTest.sum_blocking(Agen.wrap(numbers(3))));
    assertError(e, Agen.Error, Agen.Error.FAILED, 'blocking in a job');
    assert(e.message.includes('promise job'), e.message);
});

const thingsToPass = () => {
    class Thing {}
    return [{a: 1}, [1, 2], () => 3, Symbol('s'), new Thing(), 'text', 7, 2.5,
        true, null, new Gio.Cancellable(), new Error('as a value')];
};

test('a sync JS generator: answered inside the step, even from a promise job', async () => {
    function* gen() {
        const got = yield 1;
        yield (got ?? 0) * 10;
        yield 3;
    }
    // No Agen.callBlocking() needed: nothing waits for a promise job.
    assertEqual(AgenTest.sum_blocking(Agen.wrap(gen())), 1 + 3);
    const g = Agen.wrap(gen());
    assertDeepEqual(await g.next(), {value: 1, done: false});
    assertDeepEqual(await g.next(5), {value: 50, done: false});
    const error = new Error('into a sync generator');
    assert(await assertRejects(g.throw(error)) === error);
});

test('an iterator that breaks the protocol fails the step', async () => {
    const broken = {
        next() {
            return 42;
        },
        throw() {
            throw new Error('no');
        },
        return() {
            return Promise.resolve({done: true});
        },
    };
    const e = await assertRejects(Agen.wrap(broken).next());
    assert(e instanceof TypeError, `got ${e}`);
});

test('JS values cross C (blocking next) and come back as the same objects', async () => {
    const items = thingsToPass();
    async function* gen() {
        yield* items;
    }
    const g = Agen.wrap(gen());
    const collected = await blocking(() => {
        const got = [];
        for (;;) {
            const [ok, v] = g.next_sync(null);
            if (!ok)
                return got;
            System.gc();
            got.push(v);
        }
    });
    System.gc();
    assertEqual(collected.length, items.length);
    for (const [i, v] of collected.entries())
        assert(Agen.unbox(v) === items[i], `item ${i}: ${String(items[i])}`);
});

test('JS values parked in C fiber bodies survive System.gc()', async () => {
    const items = thingsToPass();
    async function* gen() {
        for (const item of items) {
            System.gc();
            yield item;
        }
    }
    const got = [];
    for await (const v of AgenTest.delegate(Agen.wrap(gen()), 20)) {
        System.gc();
        got.push(v);
    }
    assertEqual(got.length, items.length);
    for (const [i, v] of got.entries())
        assert(v === items[i], `item ${i}: ${String(items[i])}`);
});

test('GObjects and introspected boxed values keep their type in C', async () => {
    const cancellable = new Gio.Cancellable();
    const variant = new GLib.Variant('as', ['a', 'b']);
    const bytes = new GLib.Bytes([1, 2, 3]);
    async function* gen() {
        yield cancellable;
        yield variant;
        yield bytes;
    }
    const g = Agen.wrap(gen());
    const got = await blocking(() => [g.next_sync(null), g.next_sync(null), g.next_sync(null)]);
    assert(got[0][1] === cancellable, 'a GObject comes back as itself');
    assert(got[1][1] instanceof GLib.Variant && got[1][1].deepUnpack().join() === 'a,b',
        `a GLib.Variant stays one: ${got[1][1]}`);
    assert(got[2][1] instanceof GLib.Bytes && got[2][1].get_size() === 3,
        `a GLib.Bytes stays one: ${got[2][1]}`);
});

test('a BigInt goes into C as gint64 and comes back as a Number', async () => {
    async function* gen() {
        yield 2n ** 40n;
        yield -5n;
    }
    assertEqual(await blocking(() => AgenTest.sum_blocking(Agen.wrap(gen()))), 2 ** 40 - 5);
    const g = Agen.wrap(gen());
    assertDeepEqual(await g.next(), {value: 2 ** 40, done: false});
    await g.return();
});

test('undefined goes into C as None and comes back as null', async () => {
    async function* gen() {
        yield undefined;
    }
    const g = Agen.wrap(gen());
    assertDeepEqual(await blocking(() => g.next_sync(null)), [true, null]);
    assertDeepEqual(await AgenTest.delegate(Agen.wrap(gen()), 1).next(),
        {value: null, done: false});
});

test('a GLib.Error raised by the JS body keeps domain, code and message', async () => {
    async function* gen() {
        yield 1;
        throw new GLib.Error(Gio.IOErrorEnum, Gio.IOErrorEnum.NOT_FOUND, 'no such thing');
    }
    const e = await assertRejects(blocking(() => AgenTest.sum_blocking(Agen.wrap(gen()))));
    assertError(e, Gio.IOErrorEnum, Gio.IOErrorEnum.NOT_FOUND, 'sum_blocking');
    assertEqual(e.message, 'no such thing');
});

test('a JS exception raised by the body crosses C: AGEN_ERROR_FAILED, then the same object', async () => {
    const error = new RangeError('out of range');
    async function* gen() {
        yield 1;
        throw error;
    }
    const e = await assertRejects(sumAsync(Agen.wrap(gen())));
    assertError(e, Agen.Error, Agen.Error.FAILED, 'sum_finish');
    assert(e.message.startsWith('RangeError: out of range'), e.message);
    assert(Agen.unwrapError(e) === error, 'Agen.unwrapError()');
});

test('JS consumer of a JS-made generator: values, send, return value', async () => {
    async function* gen() {
        const got = yield 'first';
        yield {got};
        return 'the end';
    }
    const g = Agen.wrap(gen());
    assertDeepEqual(await g.next(), {value: 'first', done: false});
    const sent = {x: 1};
    const r = await g.next(sent);
    assert(r.value.got === sent);
    assertDeepEqual(await g.next(), {value: 'the end', done: true});
    assertDeepEqual(await g.next(), {value: undefined, done: true});
});

test('throw from JS into a JS body through C: the same object, caught or not', async () => {
    const error = new TypeError('thrown in');
    let caught = null;
    async function* gen() {
        try {
            yield 1;
        } catch (e) {
            caught = e;
            yield 'recovered';
        }
        yield 'again';
    }
    const g = Agen.wrap(gen());
    await g.next();
    assertDeepEqual(await g.throw(error), {value: 'recovered', done: false});
    assert(caught === error);
    assertDeepEqual(await g.next(), {value: 'again', done: false});
    const other = new Error('uncaught');
    assert(await assertRejects(g.throw(other)) === other);
    assertEqual(g.get_state(), Agen.GeneratorState.CLOSED);
});

test('return() runs the finally blocks, which may await', async () => {
    const log = [];
    async function* gen() {
        try {
            yield 1;
            yield 2;
        } finally {
            await sleep(5);
            log.push('cleaned');
        }
    }
    const g = Agen.wrap(gen());
    await g.next();
    assertDeepEqual(await g.return('r'), {value: 'r', done: true});
    assertDeepEqual(log, ['cleaned']);
});

test('break in for await over a JS-made generator closes it', async () => {
    const log = [];
    async function* gen() {
        try {
            yield* [1, 2, 3];
        } finally {
            log.push('finally');
        }
    }
    for await (const v of Agen.wrap(gen())) {
        if (v === 2)
            break;
    }
    assertDeepEqual(log, ['finally']);
});

test('yield in a finally during close: IGNORED_EXIT', async () => {
    async function* gen() {
        try {
            yield 1;
        } finally {
            // eslint-disable-next-line no-unsafe-finally
            yield 2;
        }
    }
    const g = Agen.wrap(gen());
    await g.next();
    assertError(await assertRejects(g.return()), Agen.Error, Agen.Error.IGNORED_EXIT, 'return');
    assertEqual(g.get_state(), Agen.GeneratorState.SUSPENDED);
    // Resumed, the finally ends and the interrupted return completes.
    assertDeepEqual(await g.next(), {value: undefined, done: true});
});

test('re-entrance on a JS-made generator: RUNNING', async () => {
    const g = Agen.wrap(slowNumbers(3));
    const first = g.next();
    assertError(await assertRejects(g.next()), Agen.Error, Agen.Error.RUNNING, 'second next');
    assertDeepEqual(await first, {value: 0, done: false});
    await g.return();
});

test('yield_from 50 C levels deep: next, send, throw, return pass through', async () => {
    const error = new EvalError('deep');
    const log = [];
    async function* inner() {
        try {
            let got = yield 'start';
            log.push(got);
            try {
                got = yield 'sent back';
            } catch (e) {
                log.push(e === error ? 'same error' : `other ${e}`);
                got = yield 'caught';
            }
            yield 'after throw';
            yield 'never';
        } finally {
            await sleep(1);
            log.push('finally');
        }
    }
    const g = AgenTest.delegate(Agen.wrap(inner()), 50);
    assertDeepEqual(await g.next(), {value: 'start', done: false});
    assertDeepEqual(await g.next('hello'), {value: 'sent back', done: false});
    assertDeepEqual(await g.throw(error), {value: 'caught', done: false});
    assertDeepEqual(await g.next(), {value: 'after throw', done: false});
    assertDeepEqual(await g.return(), {value: undefined, done: true});
    assertDeepEqual(log, ['hello', 'same error', 'finally']);
});

test('yield_from 50 C levels deep: return value and raised exception come back', async () => {
    const g = AgenTest.delegate(Agen.wrap(numbers(3)), 50);
    const items = [];
    let r;
    while (!(r = await g.next()).done)
        items.push(r.value);
    assertDeepEqual(items, [0, 1, 2]);
    assertEqual(r.value, 'numbers done');

    const error = new Error('from the bottom');
    async function* failing() {
        yield 1;
        throw error;
    }
    const f = AgenTest.delegate(Agen.wrap(failing()), 50);
    await f.next();
    assert(await assertRejects(f.next()) === error);
});

test('yield_from 50 C levels deep, consumed by C with blocking next', async () => {
    assertEqual(await blocking(() =>
        AgenTest.sum_blocking(AgenTest.delegate(Agen.wrap(numbers(10)), 50))), 45);
});

test('an Agen.GeneratorListModel (C) filled by a JS-made generator', async () => {
    const made = [];
    async function* rows(n) {
        for (let i = 0; i < n; i++) {
            if (i % 10 === 0)
                // eslint-disable-next-line no-await-in-loop
                await sleep(1);
            const row = new Gio.SimpleAction({name: `row${i}`});
            made.push(row);
            yield row;
        }
    }
    const model = Agen.GeneratorListModel.new(Agen.wrap(rows(25)), Gio.SimpleAction.$gtype, 4);
    await new Promise(resolve => {
        const check = () => {
            if (model.complete)
                resolve();
            else
                model.load_more();
        };
        model.connect('notify::complete', check);
        model.connect('items-changed', check);
    });
    System.gc();
    assertEqual(model.get_n_items(), 25);
    for (let i = 0; i < 25; i++)
        assert(model.get_item(i) === made[i], `row ${i}`);
});

// A Promise resolved after ms, rejected with CANCELLED when cancellable is.
function cancellableSleep(ms, cancellable) {
    return new Promise((resolve, reject) => {
        let handler = 0;
        const id = GLib.timeout_add(GLib.PRIORITY_DEFAULT, ms, () => {
            if (handler)
                cancellable.disconnect(handler);
            resolve();
            return GLib.SOURCE_REMOVE;
        });
        if (cancellable) {
            // Gio.Cancellable.connect is g_cancellable_connect().
            handler = cancellable.connect(() => {
                GLib.source_remove(id);
                reject(new GLib.Error(Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED, 'cancelled'));
            });
        }
    });
}

test('Agen.generator(): the body sees the step cancellable as this.cancellable', async () => {
    const sleepy = Agen.generator(async function* (ms) {
        try {
            await cancellableSleep(ms, this.cancellable);
            yield 'slept';
        } catch (e) {
            if (!e.matches?.(Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED))
                throw e;
            yield 'cancelled';
        }
    });
    const gen = sleepy(60000);
    assert(gen instanceof Agen.Generator);
    const cancellable = new Gio.Cancellable();
    const pending = gen.withCancellable(cancellable).next();
    await sleep(20);
    cancellable.cancel();
    assertDeepEqual(await pending, {value: 'cancelled', done: false});
    await gen.return();

    // From C: sum_async passes its cancellable to every next (and, a
    // GTask, reports CANCELLED once it is cancelled).
    let sawCancel = false;
    const counting = Agen.generator(async function* () {
        yield 1;
        try {
            await cancellableSleep(60000, this.cancellable);
            yield 100;
        } catch (e) {
            sawCancel = e.matches(Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED);
        }
    });
    const c2 = new Gio.Cancellable();
    const sum = new Promise((resolve, reject) => {
        AgenTest.sum_async(counting(), c2, (source, result) => {
            try {
                resolve(AgenTest.sum_finish(result));
            } catch (e) {
                reject(e);
            }
        });
    });
    await sleep(20);
    c2.cancel();
    assertError(await assertRejects(sum), Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED, 'sum');
    assert(sawCancel, 'the JS body did not see the cancellation');
});

test('Agen.generator() refuses what is not a generator function', () => {
    assert(assertThrows(() => Agen.generator(3)) instanceof TypeError);
    assert(assertThrows(() => Agen.generator(() => 3)()) instanceof TypeError);
});

test('AgenContextManager (C) around a JS-made generator', async () => {
    const log = [];
    const session = Agen.contextManager(async function* (name) {
        log.push(`open ${name}`);
        try {
            yield `resource ${name}`;
        } finally {
            await sleep(1);
            log.push(`close ${name}`);
        }
    });
    const cm = session('a');
    assert(cm instanceof Agen.ContextManager);
    const [ok, entered] = await blocking(() =>
        AgenTest.with_context_manager(cm.get_generator()));
    assertEqual(ok, true);
    assertEqual(entered, 'resource a');
    assertDeepEqual(log, ['open a', 'close a']);
});

test('a JS context manager used from JS: normal exit, suppressed and propagated errors', async () => {
    const log = [];
    const session = Agen.contextManager(async function* () {
        try {
            yield 'value';
        } catch (e) {
            log.push(`saw ${e.message}`);
            if (e.message === 'suppress me')
                return;
            throw e;
        } finally {
            log.push('cleanup');
        }
    });
    assertEqual(await Agen.withContext(session(), v => `${v}!`), 'value!');
    assertEqual(await Agen.withContext(session(), () => {
        throw new Error('suppress me');
    }), undefined);
    const error = new Error('keep me');
    assert(await assertRejects(Agen.withContext(session(), () => {
        throw error;
    })) === error);
    assertDeepEqual(log, ['cleanup', 'saw suppress me', 'cleanup', 'saw keep me', 'cleanup']);
});

test('a JS body recursing 5,000 deep runs on the thread stack', async () => {
    async function* deep() {
        yield depth(5000);
        yield depth(5000) + 1;
    }
    // Blocking C consumer, and a JS consumer through 50 C fiber bodies.
    assertEqual(await blocking(() => AgenTest.sum_blocking(Agen.wrap(deep()))), 10001);
    const items = [];
    for await (const v of AgenTest.delegate(Agen.wrap(deep()), 50))
        items.push(v);
    assertDeepEqual(items, [5000, 5001]);
});

test('a C generator dropped by C closes the JS body (finally runs)', async () => {
    let finalized = false;
    async function* gen() {
        try {
            yield 1;
            yield 2;
        } finally {
            finalized = true;
        }
    }
    // C takes one item and drops the chain: the default finalizer closes it
    // from a later main-loop iteration.
    await (async () => {
        const g = AgenTest.delegate(Agen.wrap(gen()), 1);
        await g.next();
    })();
    for (let i = 0; i < 50 && !finalized; i++) {
        System.gc();
        // eslint-disable-next-line no-await-in-loop
        await sleep(2);
    }
    assert(finalized, 'the body was not closed');
});

const failed = await run();
if (failed)
    System.exit(1);
