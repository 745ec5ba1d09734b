# Agen.py — PyGObject override for agen: Python's async-generator protocol
#
# Copyright 2026 The agen authors
#
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Applied by a plain `from gi.repository import Agen`. The guide is
# docs/python.md. In short:
#
# - Agen.Generator speaks Python's async-generator protocol (__aiter__,
#   __anext__, asend, athrow, aclose, ag_running) and plain iteration
#   (blocking next).
# - Agen.wrap() / @Agen.generator make a *driven* agen generator out of a
#   native Python async generator: agen calls _step() on the thread's own
#   stack for each operation, and _step() runs the Python generator's
#   asend/athrow up to its next yield, synchronously when it does not await
#   and as an asyncio task on a GLib-dispatching loop when it does.
# - Exceptions cross C as GErrors. A Python exception that is not a
#   GLib.Error becomes an error of the domain "agen-python-exception-quark"
#   whose code keys a side table holding the exception object; a GLib.Error
#   keeps its domain, code and message and is remembered by them. On the
#   way out the same object is raised again.

import asyncio
import collections
import collections.abc
import functools
import inspect
import itertools
import sys
import types
from asyncio import events

from gi.repository import GLib, GObject, Gio

from ..module import get_introspection_module
from ..overrides import override

from . import _agen_loop

Agen = get_introspection_module('Agen')

__all__ = []

# PyGObject's GLib.Error derives from RuntimeError: an Agen.Error.RUNNING
# error (re-entrance) is therefore a RuntimeError, as Python's own
# "asynchronous generator is already running" is.

_IO_DOMAIN = 'g-io-error-quark'
_WOULD_BLOCK = int(Gio.IOErrorEnum.WOULD_BLOCK)
_CANCELLED = int(Gio.IOErrorEnum.CANCELLED)
_AGEN_DOMAIN = 'agen-error-quark'
_EXIT = int(Agen.Error.EXIT)
PYTHON_EXCEPTION_DOMAIN = 'agen-python-exception-quark'
_PY_QUARK = GLib.quark_from_string(PYTHON_EXCEPTION_DOMAIN)

_STEP_NEXT = Agen.StepKind.NEXT
_STEP_SEND = Agen.StepKind.SEND
_STEP_THROW = Agen.StepKind.THROW

_INT32_MIN = -(1 << 31)
_INT32_MAX = (1 << 31) - 1
_INT64_MIN = -(1 << 63)
_INT64_MAX = (1 << 63) - 1

_get_running_loop = events._get_running_loop
_set_running_loop = events._set_running_loop

# ---------------------------------------------------------------------------
# Exceptions across C

# How many exceptions may wait in the side tables for their way back into
# Python. An exception handed to C code that never gives it back (a C body
# that catches it) stays until this many newer ones push it out; after
# that it comes back as a plain GLib.Error.
_TABLE_SIZE = 4096

_exceptions = collections.OrderedDict()   # code -> exception (our domain)
_glib_errors = collections.OrderedDict()  # (domain, code, message) -> exception
_codes = itertools.count(1)


def _remember(table, key, exc):
    table[key] = exc
    if len(table) > _TABLE_SIZE:
        table.popitem(last=False)


def _to_gerror(exc):
    """A GLib.Error standing for the Python exception exc, for C."""
    if isinstance(exc, GLib.Error):
        _remember(_glib_errors, (exc.domain, exc.code, exc.message), exc)
        return exc
    if isinstance(exc, asyncio.CancelledError):
        # C code sees a cancellation; Python gets the same object back.
        error = GLib.Error('Operation was cancelled (%s)' % id(exc), _IO_DOMAIN, _CANCELLED)
        _remember(_glib_errors, (_IO_DOMAIN, _CANCELLED, error.message), exc)
        return error
    code = next(_codes) & 0x7fffffff
    try:
        text = '%s: %s' % (type(exc).__qualname__, exc)
    except Exception:
        text = type(exc).__qualname__
    _remember(_exceptions, code, exc)
    return GLib.Error.new_literal(_PY_QUARK, text, code)


def _from_gerror(error):
    """The Python exception a GError from C stands for."""
    if error.domain == PYTHON_EXCEPTION_DOMAIN:
        exc = _exceptions.pop(error.code, None)
    else:
        exc = _glib_errors.pop((error.domain, error.code, error.message), None)
    return error if exc is None else exc


def original_exception(error):
    """The Python exception a GLib.Error from a C function stands for.

    A Python exception that crosses C code travels as a GError; where the
    override receives it (iterating, asend, athrow, aclose, async with) the
    original object comes out by itself. A C function that fails with it
    (a C consumer of a Python-made generator) raises PyGObject's own
    GLib.Error instead: pass that here to get the object back (once).
    Any other error is returned as it is."""
    return _from_gerror(error)


__all__ += ['original_exception', 'PYTHON_EXCEPTION_DOMAIN']


def _is_io_error(error, code):
    return error.code == code and error.domain == _IO_DOMAIN


# ---------------------------------------------------------------------------
# Values across C


def _to_value(v):
    """What to pass as a GValue argument so that v comes back as v."""
    t = type(v)
    if t is int:
        if _INT32_MIN <= v <= _INT32_MAX:
            return v
        if _INT64_MIN <= v <= _INT64_MAX:
            return GObject.Value(GObject.TYPE_INT64, v)
        return GObject.Value(GObject.TYPE_PYOBJECT, v)
    if t is str or t is float or t is bool or v is None:
        return v
    if isinstance(v, (GObject.Object, GObject.Value)):
        return v
    if isinstance(v, (int, str, float)):
        # subclasses (enums, str subclasses) keep their type boxed
        return GObject.Value(GObject.TYPE_PYOBJECT, v)
    return v


# ---------------------------------------------------------------------------
# The loop

try:
    from gi.events import GLibEventLoopPolicy as _EventsPolicy, GLibEventLoop as _EventsLoop
    EventLoopPolicy = _EventsPolicy
    _GLIB_LOOP_TYPES = (_agen_loop.GLibEventLoop, _EventsLoop)
except ImportError:
    EventLoopPolicy = _agen_loop.GLibEventLoopPolicy
    _EventsLoop = None
    _GLIB_LOOP_TYPES = (_agen_loop.GLibEventLoop,)

EventLoop = _agen_loop.GLibEventLoop
__all__ += ['EventLoopPolicy', 'EventLoop']


def _new_loop():
    return EventLoopPolicy().new_event_loop()


def _check_loop(loop):
    if loop is None:
        raise RuntimeError('agen: no running event loop; awaiting an Agen.Generator '
                           'needs an asyncio loop that dispatches GLib: use Agen.run() '
                           'or Agen.EventLoopPolicy')
    if not (isinstance(loop, _GLIB_LOOP_TYPES) or getattr(loop, '_agen_dispatches_glib', False)):
        raise RuntimeError('agen: the running event loop (%s) does not dispatch GLib\'s main '
                           'context, so an Agen.Generator awaiting something would never '
                           'resume: use Agen.run(), or asyncio.set_event_loop_policy('
                           'Agen.EventLoopPolicy())' % type(loop).__name__)


def run(main, *, debug=None):
    """Like asyncio.run(), on a loop that dispatches GLib's default main
    context. At the end, live generators are shut down: asyncio's native
    ones and agen's (Python-made ones included)."""
    if _get_running_loop() is not None:
        raise RuntimeError('Agen.run() cannot be called from a running event loop')
    # A new run takes GLib's default context over afresh, as each asyncio
    # loop does its own: generators started now are not "after shutdown".
    Agen.reopen_generators(None)
    with asyncio.Runner(debug=debug, loop_factory=_new_loop) as runner:
        try:
            return runner.run(main)
        finally:
            loop = runner.get_loop()
            if not isinstance(loop, _agen_loop.GLibEventLoop) and not loop.is_closed():
                # gi.events' loop shuts asyncio's generators down, not agen's
                runner.run(_agen_loop.shutdown_agen_generators(loop, GLib.MainContext.default()))


__all__.append('run')


# ---------------------------------------------------------------------------
# Awaiting agen's _async operations


async def _await_op(start, finish):
    """Start an agen _async operation and wait for its outcome.

    start(cancellable, callback); finish(result) -> the operation's result.
    When the awaiting task is cancelled, the operation's cancellable is
    cancelled and the wait goes on for the real outcome: a value the body
    yields after handling the cancellation is returned; an error of
    cancellation becomes the task's CancelledError."""
    loop = _get_running_loop()
    _check_loop(loop)
    cancellable = Gio.Cancellable()
    holder = [loop.create_future(), None]

    def done(source, result, *unused):
        try:
            outcome = (True, finish(result))
        except Exception as e:  # GLib.Error, or a value PyGObject cannot convert
            outcome = (False, e)
        future = holder[0]
        if future.done():
            holder[1] = outcome
        else:
            future.set_result(outcome)

    start(cancellable, done)
    cancelled = None
    while True:
        try:
            ok, result = await holder[0]
            break
        except asyncio.CancelledError as e:
            if holder[1] is not None:
                ok, result = holder[1]
                break
            cancelled = e
            cancellable.cancel()
            holder[0] = loop.create_future()
    if ok:
        return result
    if not isinstance(result, GLib.Error):
        raise result
    if cancelled is not None and _is_io_error(result, _CANCELLED):
        exc = _from_gerror(result)
        raise exc if isinstance(exc, asyncio.CancelledError) else cancelled
    raise _from_gerror(result)


def _value_result(r):
    ok, value = r
    if ok:
        return value
    raise StopAsyncIteration


# ---------------------------------------------------------------------------
# Agen.Generator


class Generator(Agen.Generator):
    """An agen generator: Python's async-generator protocol, and blocking
    iteration for scripts (for v in gen)."""

    def __aiter__(self):
        return self

    if hasattr(Agen.Generator, 'try_next'):
        async def __anext__(self):
            try:
                ok, value = self.try_next()
            except GLib.Error as e:
                error = e
            else:
                if ok:
                    return value
                raise StopAsyncIteration
            # (raised outside the except block, so that an exception coming
            # back from C does not get the GLib.Error as its __context__)
            if error.code != _WOULD_BLOCK or error.domain != _IO_DOMAIN:
                raise _from_gerror(error)
            ok, value = await _await_op(lambda c, cb: self.wait_async(c, cb, None),
                                        self.wait_finish)
            if ok:
                return value
            raise StopAsyncIteration
    else:
        async def __anext__(self):
            ok, value = await _await_op(lambda c, cb: self.next_async(c, cb, None),
                                        self.next_finish)
            if ok:
                return value
            raise StopAsyncIteration

    async def asend(self, value):
        if value is None:
            r = await _await_op(lambda c, cb: self.next_async(c, cb, None), self.next_finish)
        else:
            v = _to_value(value)
            r = await _await_op(lambda c, cb: self.send_async(v, c, cb, None), self.send_finish)
        return _value_result(r)

    async def athrow(self, typ, val=None, tb=None):
        if val is None:
            exc = typ() if isinstance(typ, type) else typ
        else:
            exc = val if isinstance(val, BaseException) else typ(val)
        if tb is not None:
            exc = exc.with_traceback(tb)
        if not isinstance(exc, BaseException):
            raise TypeError('exceptions must derive from BaseException')
        error = _to_gerror(exc)
        r = await _await_op(lambda c, cb: self.throw_async(error, c, cb, None), self.throw_finish)
        return _value_result(r)

    async def aclose(self):
        await _await_op(lambda c, cb: self.close_async(c, cb, None), self.close_finish)

    @property
    def ag_running(self):
        return self.get_running()

    @property
    def ag_await(self):
        return None

    @property
    def ag_frame(self):
        return None

    @property
    def ag_code(self):
        return None

    def __iter__(self):
        """Blocking iteration: each item is a blocking next, which iterates
        the generator's main context while the body awaits. For scripts
        without asyncio; never from a coroutine."""
        nxt = self.next
        while True:
            error = None
            try:
                ok, value = nxt(None)
            except GLib.Error as e:
                error = e
            if error is not None:
                raise _from_gerror(error)
            if not ok:
                return
            yield value

    def map(self, func, *user_data):
        """agen's map combinator. A plain function returns (True, new_item)
        and runs in C's relay; an async function (async def) returns the
        new item and is awaited, by a Python-made generator over this one
        (leaving it closes this one)."""
        if not inspect.iscoroutinefunction(func):
            return Agen.Generator.map(self, func, *user_data)

        async def mapped(source):
            async with aclosing(source):
                async for item in source:
                    yield await func(item, *user_data)
        return wrap(mapped(self))

    def filter(self, func, *user_data):
        """agen's filter combinator; an async function is awaited, as for
        map()."""
        if not inspect.iscoroutinefunction(func):
            return Agen.Generator.filter(self, func, *user_data)

        async def filtered(source):
            async with aclosing(source):
                async for item in source:
                    if await func(item, *user_data):
                        yield item
        return wrap(filtered(self))

    def __repr__(self):
        name = self.get_name()
        return '<Agen.Generator %s at 0x%x (%s)>' % (
            repr(name) if name else 'unnamed', id(self), self.get_state().value_nick)


Generator = override(Generator)
__all__.append('Generator')
collections.abc.AsyncGenerator.register(Generator)


# ---------------------------------------------------------------------------
# Python-made generators: the driven step function

_pending_steps = set()  # tasks finishing steps whose body awaits


class _Resume:
    """Awaitable that goes on with a coroutine already started by hand,
    which is waiting on `awaited` (what its last send() returned)."""

    __slots__ = ('coro', 'awaited')

    def __init__(self, coro, awaited):
        self.coro = coro
        self.awaited = awaited

    def __await__(self):
        coro = self.coro
        awaited = self.awaited
        self.awaited = None
        while True:
            try:
                yield awaited
            except BaseException as e:
                try:
                    awaited = coro.throw(e)
                except StopIteration as s:
                    return s.value
            else:
                try:
                    awaited = coro.send(None)
                except StopIteration as s:
                    return s.value


def _answer_yield(gen, value):
    try:
        gen.answer_yield(_to_value(value))
    except Exception as e:
        # a value that cannot cross C: the step fails with the reason
        gen.answer_error(_to_gerror(e))


def _answer_exception(gen, exc, closing):
    if closing and isinstance(exc, (GeneratorExit, StopAsyncIteration)):
        gen.answer_return(None)
    elif isinstance(exc, StopAsyncIteration):
        gen.answer_return(None)
    else:
        gen.answer_error(_to_gerror(exc))


async def _finish_step(gen, coro, awaited, closing, cancellable):
    handler = None
    try:
        if cancellable is not None:
            # Gio.Cancellable.connect is g_cancellable_connect: use GObject's.
            task = asyncio.current_task()
            loop = task.get_loop()
            handler = GObject.Object.connect(
                cancellable, 'cancelled', lambda c: loop.call_soon_threadsafe(task.cancel))
            if cancellable.is_cancelled():
                task.cancel()
        value = await _Resume(coro, awaited)
    except BaseException as e:
        _answer_exception(gen, e, closing)
    else:
        _answer_yield(gen, value)
    finally:
        if handler is not None:
            GObject.signal_handler_disconnect(cancellable, handler)


_get_asyncgen_hooks = sys.get_asyncgen_hooks


def _step(gen, kind, value, thrown, cancellable, agen):
    # The per-item path (a next whose body yields without awaiting) is
    # kept short: it is most of what a C consumer pays per item.
    closing = False
    try:
        if kind == _STEP_NEXT:
            coro = agen.asend(None)
        elif kind == _STEP_SEND:
            coro = agen.asend(value)
        elif kind == _STEP_THROW:
            coro = agen.athrow(_from_gerror(thrown))
        else:
            closing = True
            if getattr(agen, 'ag_frame', True) is None:
                # finished, or closed by asyncio's own shutdown_asyncgens
                # (athrow() would not say so on Python 3.11)
                gen.answer_return(None)
                return True
            coro = agen.athrow(GeneratorExit())
    except BaseException as e:
        _answer_exception(gen, e, closing)
        return True
    # The body needs a running loop if it awaits. Inside a running loop
    # (the usual case) it has one; a C consumer's blocking call in a
    # script has none, so the body gets the thread's fallback loop, which
    # GLib drives while the consumer waits. The running loop is found
    # through its asyncgen hooks first: asyncio's get_running_loop() calls
    # getpid() whenever a loop runs (measured ~2.7 us here), the hooks cost
    # no system call; asyncio's loops set them in run_forever(), the
    # GLib-driven loop while it dispatches.
    own_loop = None
    if (getattr(_get_asyncgen_hooks().firstiter, '__self__', None) is None
            and _get_running_loop() is None):
        own_loop = _agen_loop.fallback_loop()
        _set_running_loop(own_loop)
    try:
        try:
            awaited = coro.send(None)
        except StopIteration as s:
            v = s.value
            t = type(v)
            if ((t is int and _INT32_MIN <= v <= _INT32_MAX) or t is str or t is float
                    or t is bool or v is None):
                gen.answer_yield(v)
            else:
                _answer_yield(gen, v)
            return True
        except BaseException as e:
            _answer_exception(gen, e, closing)
            return True
        loop = own_loop or _get_running_loop()
        task = loop.create_task(_finish_step(gen, coro, awaited, closing, cancellable))
        _pending_steps.add(task)
        task.add_done_callback(_pending_steps.discard)
        return True
    finally:
        if own_loop is not None:
            _set_running_loop(None)


def wrap(agen):
    """An Agen.Generator over the native Python async generator agen, for C
    consumers (driven: the Python body never runs on a fiber)."""
    if isinstance(agen, Agen.Generator):
        return agen
    if not (isinstance(agen, types.AsyncGeneratorType)
            or isinstance(agen, collections.abc.AsyncGenerator)):
        raise TypeError('Agen.wrap() needs an async generator, not %s' % type(agen).__name__)
    gen = Agen.Generator.new_driven(_step, agen)
    name = getattr(agen, '__qualname__', None) or getattr(agen, '__name__', None)
    if name:
        gen.set_name(name)
    return gen


def generator(func):
    """Decorator for an `async def ... yield` function: calling it returns
    an Agen.Generator that C code can consume."""
    if not inspect.isasyncgenfunction(func):
        raise TypeError('@Agen.generator needs an async generator function (async def with yield)')

    @functools.wraps(func)
    def make(*args, **kwargs):
        return wrap(func(*args, **kwargs))

    make._agen_generator_function = True
    return make


def isasyncgen(obj):
    """True for any Agen.Generator and native async generators."""
    return isinstance(obj, (Agen.Generator, types.AsyncGeneratorType))


def isasyncgenfunction(func):
    """True for @Agen.generator functions and native async generator functions."""
    return (inspect.isasyncgenfunction(func)
            or getattr(func, '_agen_generator_function', False) is True)


__all__ += ['wrap', 'generator', 'isasyncgen', 'isasyncgenfunction']


# ---------------------------------------------------------------------------
# Helpers


class aclosing:
    """async with Agen.aclosing(gen) as g: ... — closes gen at the end, like
    contextlib.aclosing (any object with aclose())."""

    def __init__(self, thing):
        self.thing = thing

    async def __aenter__(self):
        return self.thing

    async def __aexit__(self, *exc_info):
        await self.thing.aclose()


class ContextManager(Agen.ContextManager):
    """async with cm as value: ... over any Agen.ContextManager."""

    async def __aenter__(self):
        ok, value = await _await_op(lambda c, cb: self.enter_async(c, cb, None),
                                    self.enter_finish)
        return value

    async def __aexit__(self, typ, exc, tb):
        if exc is None and typ is None:
            await _await_op(lambda c, cb: self.exit_normally_async(c, cb, None),
                            self.exit_normally_finish)
            return False
        if exc is None:
            exc = typ()
        error = _to_gerror(exc)
        try:
            await _await_op(lambda c, cb: self.exit_async(error, c, cb, None),
                            self.exit_finish)
        except BaseException as e:
            if e is exc:
                return False
            raise
        return True


ContextManager = override(ContextManager)
__all__.append('ContextManager')


class Aclosing(Agen.Aclosing):
    """async with on an Agen.Aclosing made by C code."""

    async def __aenter__(self):
        return await _await_op(lambda c, cb: self.enter_async(c, cb, None), self.enter_finish)

    async def __aexit__(self, *exc_info):
        await _await_op(lambda c, cb: self.exit_async(c, cb, None), self.exit_finish)
        return False


Aclosing = override(Aclosing)
__all__.append('Aclosing')


def asynccontextmanager(func):
    """Like contextlib.asynccontextmanager, but calling the decorated
    function returns an Agen.ContextManager, which C code can enter and
    exit too."""
    if not inspect.isasyncgenfunction(func):
        raise TypeError('@Agen.asynccontextmanager needs an async generator function')

    @functools.wraps(func)
    def make(*args, **kwargs):
        return Agen.ContextManager.new_for_generator(wrap(func(*args, **kwargs)))

    return make


__all__ += ['aclosing', 'asynccontextmanager']
