// SPDX-License-Identifier: LGPL-2.1-or-later
// SPDX-FileCopyrightText: 2026 The agen authors
//
// Agen.js — the GJS override for the Agen namespace (docs/javascript.md).
//
// GJS loads this file when a script imports 'gi://Agen' (statically or
// not), from an `overrides/` directory of its search path: $GJS_PATH, each
// $XDG_DATA_DIRS/gjs-1.0 and ${datadir}/gjs-1.0. It is a classic script,
// not a module: GJS calls _init() with `this` bound to the namespace.
//
// What it adds:
// - the JS AsyncGenerator protocol on Agen.Generator.prototype
//   ([Symbol.asyncIterator], next(v), throw(e), return(v), returning
//   Promises of {value, done}); withCancellable(c) for the same with a
//   Gio.Cancellable;
// - Agen.wrap(asyncGen): a driven Agen.Generator answering each step from
//   a JS async generator, on the thread's own stack; Agen.generator(fn),
//   the same for fn(...args), whose body sees the step's cancellable;
// - Promise forms of Agen.Aclosing and Agen.ContextManager, and
//   Agen.aclosing(gen, fn), Agen.withContext(cm, fn), Agen.contextManager(fn).
//
// JS values that cannot go into a GValue as they are (objects, arrays,
// functions, symbols, class instances) travel through C inside an
// AgenJSValue GObject created here: GJS keeps a GObject's JS wrapper, and
// the value stored on it, alive for as long as C holds a reference, and
// lets both go when C drops it. JS exceptions other than GLib.Error travel
// as AGEN_ERROR_FAILED errors whose message ends with "(JS exception #N)",
// N keying a side table that holds the exception object. (A domain of our
// own would be better, but GJS 1.74 cannot hand a GError of a domain
// unknown to introspection to a callback that C calls from the main loop:
// "Error getting saved frame information".)

// Everything lives in the scope of this function, and only _init is
// global: GJS evaluates an override in a non-syntactic scope (the module
// object), where every top-level name of the script would be looked up
// dynamically, at every use (measured: 2 µs of the 4 µs next() cost).
// eslint-disable-next-line no-unused-vars, no-var
var _init = (function () {
    const {GLib, GObject, Gio} = imports.gi;
    const System = imports.system;

    // Filled in by _init().
    let Agen = null;
    let JSValueBox = null;
    // Agen.StepKind's values, read once (a namespace's properties are slow
    // to look up).
    let STEP_NEXT, STEP_SEND, STEP_THROW, STEP_CLOSE;
    const PARKED_SUFFIX = /\(JS exception #(\d+)\)$/;

    // --- Values --------------------------------------------------------------

    function needsBox(value) {
        switch (typeof value) {
        case 'number':
        case 'string':
        case 'boolean':
        case 'bigint':
            return false;
        case 'undefined':
            return false;
        case 'object': {
            if (value === null || value instanceof GObject.Object)
                return false;
            // Instances of introspected boxed types (GLib.Variant, GLib.Bytes,
            // GLib.Error...) keep their type too; GJS gives Object itself a
            // $gtype (JSObject), which is what must not be used unrooted.
            const ctor = value.constructor;
            return typeof ctor !== 'function' || ctor.$gtype === undefined ||
                ctor === Object || ctor === Number || ctor === String || ctor === Boolean;
        }
        default:
            // functions, symbols
            return true;
        }
    }

    // A JS value as something GJS can put into a GValue. undefined is None
    // (NULL), as a JS `yield;` is Python's `yield None`.
    function toC(value) {
        if (value === undefined)
            return null;
        if (!needsBox(value))
            return value;
        const box = new JSValueBox();
        box._agenValue = value;
        return box;
    }

    // A value from C as the JS value it stands for.
    function fromC(value) {
        if (value !== null && typeof value === 'object' && value instanceof JSValueBox)
            return value._agenValue;
        return value;
    }

    // GJS before 1.77.1 frees an (out caller-allocates) GValue without unsetting
    // it (GNOME/gjs issue 543): an object in it keeps one reference forever, so
    // a JS value boxed for C would never be collected. _init() checks whether
    // this GJS does so; then fromOut() gives back the reference of every object
    // that came out through such a GValue. (Strings in them still leak there.)
    let outValueLeaks = false;

    function probeOutValueLeak(giNext) {
        const box = new JSValueBox();
        const gen = Agen.Generator.new_driven(g => {
            g.answer_return(box);
            return true;
        });
        giNext.call(gen, null);
        const before = System.refcount(box);
        gen.get_return_value();
        outValueLeaks = System.refcount(box) === before + 1;
        if (outValueLeaks)
            box.unref();
    }

    // A value that came out of an (out caller-allocates) GValue.
    function fromOut(value) {
        if (outValueLeaks && value !== null && typeof value === 'object' &&
            value instanceof GObject.Object)
            value.unref();
        return fromC(value);
    }

    // --- Errors --------------------------------------------------------------

    // Exceptions parked in C: code → exception. An entry goes when the error
    // comes back to JS; the table keeps at most MAX_PARKED_ERRORS, dropping the
    // oldest (an error that C consumed without handing it back to JS).
    const MAX_PARKED_ERRORS = 1024;
    const parkedErrors = new Map();
    let nextErrorCode = 1;

    function describe(exception) {
        try {
            if (exception instanceof Error)
                return `${exception.name}: ${exception.message}`;
            return String(exception);
        } catch (e) {
            return 'a JavaScript exception';
        }
    }

    // Any JS exception as a GLib.Error: a GLib.Error stays itself (domain,
    // code and message intact); anything else is parked and represented.
    function toGError(exception) {
        if (exception instanceof GLib.Error)
            return exception;
        const code = nextErrorCode;
        nextErrorCode = nextErrorCode >= 0x7fffffff ? 1 : nextErrorCode + 1;
        parkedErrors.set(code, exception);
        if (parkedErrors.size > MAX_PARKED_ERRORS)
            parkedErrors.delete(parkedErrors.keys().next().value);
        return new GLib.Error(Agen.Error, Agen.Error.FAILED,
            `${describe(exception)} (JS exception #${code})`);
    }

    // A GLib.Error from C as the JS exception it stands for.
    function fromGError(error) {
        if (!(error instanceof GLib.Error) ||
            !error.matches(Agen.Error, Agen.Error.FAILED))
            return error;
        const match = PARKED_SUFFIX.exec(error.message);
        if (match === null)
            return error;
        const code = Number(match[1]);
        if (!parkedErrors.has(code))
            return error;
        const exception = parkedErrors.get(code);
        parkedErrors.delete(code);
        return exception;
    }

    // --- Consuming an Agen.Generator from JS ---------------------------------

    // Generators whose return value has been reported once: later steps give
    // {value: undefined, done: true}, as for a JS async generator.
    const reported = new WeakSet();

    function doneResult(gen) {
        if (reported.has(gen))
            return {value: undefined, done: true};
        reported.add(gen);
        const [has, value] = gen.get_return_value();
        const back = fromOut(value);
        return {value: has ? back : undefined, done: true};
    }

    function stepResult(gen, ok, value) {
        const back = fromOut(value);
        return ok ? {value: back, done: false} : doneResult(gen);
    }

    // A Promise of {value, done} for a (send|throw|next|wait)_async-style
    // call; `start(callback)` starts it, `finish(result)` gives [ok, value].
    function stepPromise(gen, start, finish) {
        return new Promise((resolve, reject) => {
            start((source, result) => {
                let ok, value;
                try {
                    [ok, value] = finish(result);
                } catch (e) {
                    reject(fromGError(e));
                    return;
                }
                resolve(stepResult(gen, ok, value));
            });
        });
    }

    function isWouldBlock(e) {
        return e instanceof GLib.Error &&
            e.matches(Gio.IOErrorEnum, Gio.IOErrorEnum.WOULD_BLOCK);
    }

    function nextStep(gen, value, cancellable) {
        if (value !== undefined && value !== null) {
            return stepPromise(gen,
                cb => gen.send_async(toC(value), cancellable, cb),
                res => gen.send_finish(res));
        }
        if (cancellable || !gen.try_next) {
            return stepPromise(gen,
                cb => gen.next_async(cancellable, cb),
                res => gen.next_finish(res));
        }
        // The fast path: a body that yields at once gives its value inside
        // try_next, and the Promise is already resolved (no main-loop pass).
        let step;
        try {
            step = gen.try_next();
        } catch (e) {
            if (isWouldBlock(e)) {
                return stepPromise(gen,
                    cb => gen.wait_async(null, cb),
                    res => gen.wait_finish(res));
            }
            return Promise.reject(fromGError(e));
        }
        const item = fromOut(step[1]);
        return Promise.resolve(step[0] ? {value: item, done: false} : doneResult(gen));
    }

    function throwStep(gen, exception, cancellable) {
        let error;
        try {
            error = toGError(exception);
        } catch (e) {
            return Promise.reject(e);
        }
        return stepPromise(gen,
            cb => gen.throw_async(error, cancellable, cb),
            res => gen.throw_finish(res));
    }

    function returnStep(gen, value, cancellable) {
        return new Promise((resolve, reject) => {
            gen.close_async(cancellable, (source, result) => {
                try {
                    gen.close_finish(result);
                } catch (e) {
                    reject(fromGError(e));
                    return;
                }
                reported.add(gen);
                resolve({value, done: true});
            });
        });
    }

    // The protocol bound to a cancellable: gen.withCancellable(c).
    class CancellableIterator {
        constructor(gen, cancellable) {
            this.generator = gen;
            this.cancellable = cancellable;
        }

        next(value) {
            return nextStep(this.generator, value, this.cancellable);
        }

        throw(exception) {
            return throwStep(this.generator, exception, this.cancellable);
        }

        // The close is cleanup that must run: it gets no cancellable (a
        // loop left because the cancellable was cancelled still closes).
        return(value) {
            return returnStep(this.generator, value, null);
        }

        [Symbol.asyncIterator]() {
            return this;
        }
    }

    // --- Agen.wrap: a JS async generator as a driven Agen.Generator ----------

    // Drivers whose step waits for its iterator's promise.
    const pendingSteps = new Set();

    // The watchdog. A JS async body runs in promise jobs, and GJS never runs
    // promise jobs inside promise jobs: a blocking C call made from a promise
    // job (an async function after its first await, say) that iterates the
    // main loop waiting for a JS-made generator would wait forever. While
    // steps are pending, a timeout checks every WATCHDOG_MS that a probe job
    // it queued has run; when one did not, promise jobs are starved, and the
    // steps that were pending through the whole period fail with a clear
    // error instead of hanging.
    const WATCHDOG_MS = 100;
    let watchdog = 0;
    let probe = null;

    function watchdogTick() {
        if (pendingSteps.size === 0) {
            watchdog = 0;
            probe = null;
            return GLib.SOURCE_REMOVE;
        }
        if (probe !== null && !probe.ran) {
            for (const driver of probe.drivers) {
                if (driver.generator !== null && driver.step === probe.steps.get(driver)) {
                    driver.fail(new GLib.Error(Agen.Error, Agen.Error.FAILED,
                        'A JavaScript generator cannot step while promise jobs ' +
                        'cannot run: a blocking call was made from a promise job ' +
                        '(use the _async form, or make the call from a GLib ' +
                        'callback, e.g. with Agen.callBlocking())'));
                }
            }
        }
        const next = {ran: false, drivers: [...pendingSteps], steps: new Map()};
        for (const driver of next.drivers)
            next.steps.set(driver, driver.step);
        probe = next;
        Promise.resolve().then(() => {
            next.ran = true;
        });
        return GLib.SOURCE_CONTINUE;
    }

    // Answers the steps of one driven generator from a JS iterator: an async
    // generator (each step answered from its promise, in a promise job), or a
    // sync one (answered inside the step).
    //
    // The step function must not keep the Agen.Generator alive (it would keep
    // itself alive through its own step function): the driver holds it only
    // while a step waits for its answer.
    class Driver {
        constructor(iterator, context = null) {
            this.iterator = iterator;
            this.context = context;
            this.generator = null;
            this.step = 0;
            this.onResult = result => {
                const g = this.generator;
                if (g === null)
                    return;
                this.release();
                answerResult(g, result);
            };
            this.onError = exception => {
                const g = this.generator;
                if (g === null)
                    return;
                this.release();
                answerError(g, exception);
            };
        }

        release() {
            this.generator = null;
            if (this.context !== null)
                this.context._cancellable = null;
            pendingSteps.delete(this);
        }

        fail(error) {
            const g = this.generator;
            this.release();
            g.answer_error(error);
        }

        run(g, kind, value, thrown, cancellable) {
            const iterator = this.iterator;
            let result;
            if (this.context !== null)
                this.context._cancellable = cancellable;
            try {
                switch (kind) {
                case STEP_NEXT:
                    result = iterator.next();
                    break;
                case STEP_SEND:
                    result = iterator.next(fromC(value));
                    break;
                case STEP_THROW:
                    result = iterator.throw(fromGError(thrown));
                    break;
                case STEP_CLOSE:
                    result = iterator.return(undefined);
                    break;
                default:
                    throw new Error(`unknown step kind ${kind}`);
                }
            } catch (e) {
                // A sync generator's body raised, or an iterator's method threw.
                if (this.context !== null)
                    this.context._cancellable = null;
                answerError(g, e);
                return true;
            }
            if (result !== null && typeof result === 'object' &&
                typeof result.then === 'function') {
                this.generator = g;
                this.step++;
                pendingSteps.add(this);
                if (watchdog === 0)
                    watchdog = GLib.timeout_add(GLib.PRIORITY_DEFAULT, WATCHDOG_MS, watchdogTick);
                result.then(this.onResult, this.onError);
            } else {
                if (this.context !== null)
                    this.context._cancellable = null;
                answerResult(g, result);
            }
            return true;
        }
    }

    // What the body of a generator made by Agen.generator() gets as `this`.
    class StepContext {
        constructor() {
            this._cancellable = null;
        }

        // The cancellable of the step in progress (the one its consumer
        // passed to next_async() and the like), or null.
        get cancellable() {
            return this._cancellable;
        }
    }

    function answerResult(g, result) {
        try {
            if (result === null || typeof result !== 'object')
                throw new TypeError(`the iterator gave ${String(result)} instead of {value, done}`);
            const value = toC(result.value);
            if (result.done)
                g.answer_return(value);
            else
                g.answer_yield(value);
        } catch (e) {
            answerError(g, e);
        }
    }

    function answerError(g, exception) {
        let error;
        try {
            error = toGError(exception);
        } catch (e) {
            error = new GLib.Error(Agen.Error, Agen.Error.FAILED,
                'a JavaScript exception that cannot be described');
        }
        g.answer_error(error);
    }

    function wrap(iterator) {
        if (iterator instanceof Agen.Generator)
            return iterator;
        if (iterator === null || typeof iterator !== 'object' ||
            typeof iterator.next !== 'function' ||
            typeof iterator.throw !== 'function' ||
            typeof iterator.return !== 'function') {
            throw new TypeError('Agen.wrap() needs an async generator object ' +
                '(or any iterator with next, throw and return methods)');
        }
        return drive(new Driver(iterator));
    }

    function drive(driver) {
        return Agen.Generator.new_driven((g, kind, value, thrown, cancellable) =>
            driver.run(g, kind, value, thrown, cancellable));
    }

    // const lines = Agen.generator(async function* (file) { ... this.cancellable ... });
    // lines(file) is an Agen.Generator whose body sees, as
    // this.cancellable, the cancellable of the step in progress.
    function generator(generatorFunction) {
        if (typeof generatorFunction !== 'function')
            throw new TypeError('Agen.generator() needs a generator function');
        return function (...args) {
            const context = new StepContext();
            const iterator = generatorFunction.apply(context, args);
            if (iterator === null || typeof iterator !== 'object' ||
                typeof iterator.next !== 'function' ||
                typeof iterator.throw !== 'function' ||
                typeof iterator.return !== 'function')
                throw new TypeError('Agen.generator(): the function did not return a generator');
            return drive(new Driver(iterator, context));
        };
    }

    // Agen.callBlocking(fn): a Promise of fn()'s result, fn being called from
    // a GLib idle callback, outside any promise job, where a blocking C call
    // may wait for a JS-made generator.
    function callBlocking(fn) {
        return new Promise((resolve, reject) => {
            GLib.idle_add(GLib.PRIORITY_DEFAULT, () => {
                try {
                    resolve(fn());
                } catch (e) {
                    reject(e);
                }
                return GLib.SOURCE_REMOVE;
            });
        });
    }

    // --- Helpers -------------------------------------------------------------

    function asyncCall(start, finish) {
        return new Promise((resolve, reject) => {
            start((source, result) => {
                try {
                    resolve(finish(result));
                } catch (e) {
                    reject(fromGError(e));
                }
            });
        });
    }

    // The helpers' sequence (semantics.md: one enter, then one exit, the exit
    // only after a successful enter) is checked here: agen treats a call out
    // of sequence as a programmer error whose callback never runs, which would
    // leave a Promise pending forever. Helper → 'entering', 'entered',
    // 'failed', 'exiting' or 'exited'.
    const helperPhase = new WeakMap();

    function sequenceError(helper, what) {
        const phase = helperPhase.get(helper);
        const reasons = {
            undefined: 'it was not entered',
            entering: 'its enter is still in progress',
            entered: 'it was already entered',
            failed: 'its enter failed',
            exiting: 'it is being exited',
            exited: 'it was already exited',
        };
        return new Error(`${helper.constructor.name}: cannot ${what}: ${reasons[phase]}`);
    }

    function enterStarted(helper) {
        if (helperPhase.has(helper))
            throw sequenceError(helper, 'enter');
        helperPhase.set(helper, 'entering');
    }

    function enterEnded(helper, ok) {
        helperPhase.set(helper, ok ? 'entered' : 'failed');
    }

    function exitStarted(helper) {
        if (helperPhase.get(helper) !== 'entered')
            throw sequenceError(helper, 'exit');
        helperPhase.set(helper, 'exiting');
    }

    function checkedEnter(helper, call) {
        enterStarted(helper);
        let ok = false;
        try {
            const result = call();
            ok = result !== false && result !== null &&
                !(Array.isArray(result) && result[0] === false);
            return result;
        } finally {
            enterEnded(helper, ok);
        }
    }

    function checkedExit(helper, call) {
        exitStarted(helper);
        try {
            return call();
        } finally {
            helperPhase.set(helper, 'exited');
        }
    }

    async function checkedEnterAsync(helper, call) {
        enterStarted(helper);
        let ok = false;
        try {
            const result = await call();
            ok = true;
            return result;
        } finally {
            enterEnded(helper, ok);
        }
    }

    async function checkedExitAsync(helper, call) {
        exitStarted(helper);
        try {
            return await call();
        } finally {
            helperPhase.set(helper, 'exited');
        }
    }

    // await Agen.aclosing(gen, async g => { ... }): runs the function with the
    // generator and closes it afterwards, whatever the function did; the
    // close's error wins over the function's, as in Python.
    async function aclosing(gen, fn) {
        const closer = Agen.Aclosing.new(gen);
        const entered = await closer.enter();
        let result;
        try {
            result = await fn(entered);
        } catch (e) {
            await closer.exit();
            throw e;
        }
        await closer.exit();
        return result;
    }

    // await Agen.withContext(cm, async value => { ... }): Python's
    // `async with cm as value`. An exception from the function is thrown into
    // the manager's generator; it is suppressed when the generator ends
    // without raising.
    async function withContext(cm, fn) {
        const value = await cm.enter();
        let result;
        try {
            result = await fn(value);
        } catch (e) {
            if (await cm.exit(e))
                return undefined;
            throw e;
        }
        await cm.exit();
        return result;
    }

    // const session = Agen.contextManager(async function* (...) { ...; yield v; ... });
    // session(...) is an Agen.ContextManager (C code can enter and exit it).
    function contextManager(asyncGenFunction) {
        if (typeof asyncGenFunction !== 'function')
            throw new TypeError('Agen.contextManager() needs an async generator function');
        const make = generator(asyncGenFunction);
        return function (...args) {
            return Agen.ContextManager.new_for_generator(make(...args));
        };
    }

    function isAsyncFunction(func) {
        return typeof func === 'function' &&
            Object.getPrototypeOf(func) === Object.getPrototypeOf(async function () {});
    }

    return function _init() {
        // this is imports.gi.Agen
        Agen = this;
        ({NEXT: STEP_NEXT, SEND: STEP_SEND, THROW: STEP_THROW, CLOSE: STEP_CLOSE} = Agen.StepKind);

        JSValueBox = GObject.registerClass({
            GTypeName: 'AgenJSValue',
        }, class JSValueBox extends GObject.Object {
            // The JS value this box carries through C.
            get value() {
                return this._agenValue;
            }
        });
        Agen.JSValue = JSValueBox;

        const gen = Agen.Generator.prototype;
        try {
            probeOutValueLeak(gen.next);
        } catch (e) {
            // Never fail the import over it: without the probe, objects
            // from C keep GJS's extra reference (a leak, not a crash).
            logError(e, 'Agen override: the GValue leak probe failed');
        }
        // The blocking GI methods that the protocol shadows stay reachable.
        gen.next_sync = gen.next;
        gen.throw_sync = gen.throw;

        gen.next = function (value) {
            return nextStep(this, value, null);
        };
        gen.throw = function (exception) {
            return throwStep(this, exception, null);
        };
        gen.return = function (value) {
            return returnStep(this, value, null);
        };
        gen[Symbol.asyncIterator] = function () {
            return this;
        };
        gen.withCancellable = function (cancellable) {
            return new CancellableIterator(this, cancellable);
        };

        // map and filter with an async function: C cannot wait for a
        // Promise inside its callback, so a JS generator over this one
        // awaits each result (leaving it closes this one). A plain
        // function goes to agen's C combinator.
        const giMap = gen.map, giFilter = gen.filter;
        gen.map = function (func, ...rest) {
            if (!isAsyncFunction(func))
                return giMap.call(this, func, ...rest);
            const source = this;
            return wrap((async function* () {
                for await (const item of source)
                    yield await func(item);
            })());
        };
        gen.filter = function (func, ...rest) {
            if (!isAsyncFunction(func))
                return giFilter.call(this, func, ...rest);
            const source = this;
            return wrap((async function* () {
                for await (const item of source) {
                    if (await func(item))
                        yield item;
                }
            })());
        };

        const closer = Agen.Aclosing.prototype;
        const closerEnter = closer.enter, closerExit = closer.exit;
        closer.enter_sync = function (cancellable = null) {
            return checkedEnter(this, () => closerEnter.call(this, cancellable));
        };
        closer.exit_sync = function (cancellable = null) {
            return checkedExit(this, () => closerExit.call(this, cancellable));
        };
        closer.enter = function (cancellable = null) {
            return checkedEnterAsync(this, () => asyncCall(
                cb => this.enter_async(cancellable, cb),
                res => this.enter_finish(res)));
        };
        closer.exit = function (cancellable = null) {
            return checkedExitAsync(this, () => asyncCall(
                cb => this.exit_async(cancellable, cb),
                res => this.exit_finish(res)));
        };

        const cm = Agen.ContextManager.prototype;
        const cmEnter = cm.enter, cmExit = cm.exit, cmExitNormally = cm.exit_normally;
        cm.enter_sync = function (cancellable = null) {
            return checkedEnter(this, () => cmEnter.call(this, cancellable));
        };
        cm.exit_sync = function (blockError, cancellable = null) {
            return checkedExit(this, () => cmExit.call(this, blockError, cancellable));
        };
        cm.exit_normally = function (cancellable = null) {
            return checkedExit(this, () => cmExitNormally.call(this, cancellable));
        };
        cm.enter = function (cancellable = null) {
            return checkedEnterAsync(this, () => asyncCall(
                cb => this.enter_async(cancellable, cb),
                res => fromOut(this.enter_finish(res)[1])));
        };
        // exit() or exit(null): the block ended normally; exit(e): it raised e.
        // Resolves to true when the error is suppressed (or there was none).
        cm.exit = function (exception = null, cancellable = null) {
            if (exception === null || exception === undefined) {
                return checkedExitAsync(this, () => asyncCall(
                    cb => this.exit_normally_async(cancellable, cb),
                    res => this.exit_normally_finish(res)));
            }
            return checkedExitAsync(this, () => {
                const error = toGError(exception);
                return asyncCall(cb => this.exit_async(error, cancellable, cb),
                    res => this.exit_finish(res));
            });
        };

        Agen.wrap = wrap;
        Agen.generator = generator;
        Agen.callBlocking = callBlocking;
        Agen.aclosing = aclosing;
        Agen.withContext = withContext;
        Agen.contextManager = contextManager;
        Agen.unbox = fromC;
        Agen.unwrapError = fromGError;
    };
})();
