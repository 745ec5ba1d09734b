# _agen_loop.py — an asyncio event loop that dispatches GLib's main context
#
# Copyright 2026 The agen authors
#
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Private module of the Agen override (gi/overrides/Agen.py); docs/python.md
# describes the loop for users.
#
# One loop class serves both directions:
#
# - asyncio drives (Agen.run, loop.run_until_complete, run_forever): the
#   loop is an asyncio.SelectorEventLoop whose selector adds asyncio's file
#   descriptors to a GLib source of GLib's own (a timeout source used only
#   for its descriptors and its ready time) and, in select(), runs one
#   iteration of the GLib main context: blocking when asyncio has nothing
#   ready, with asyncio's next timer as that source's ready time. GLib's
#   sources (agen's callbacks, GIO operations, timeouts) are dispatched
#   there; the selector's source only records which descriptors are ready.
#   No Python runs at an iteration unless a source is dispatched.
# - GLib drives (GLib.MainLoop.run(), Gio.Application.run(), or a blocking
#   agen call that iterates the context): a GLib.Source written in Python
#   (_LoopSource) runs one asyncio iteration whenever asyncio has callbacks
#   ready, a timer due or descriptors ready. It is detached while asyncio
#   drives. (Its prepare() and check() run at every iteration; a GLib
#   timeout source cannot replace it, since GLib resets a timeout's ready
#   time after each dispatch.)
#
# On PyGObject >= 3.50 the Agen override uses gi.events instead.

import asyncio
import math
import selectors
import sys
import threading
from asyncio import events

from gi.repository import GLib

__all__ = ['GLibEventLoop', 'GLibEventLoopPolicy', 'fallback_loop']

_IN = GLib.IOCondition.IN | GLib.IOCondition.HUP | GLib.IOCondition.ERR
_OUT = GLib.IOCondition.OUT | GLib.IOCondition.ERR
_NEVER = 0x7fffffff  # seconds: the selector's source fires only when told
_READ = selectors.EVENT_READ
_WRITE = selectors.EVENT_WRITE


class _GLibSelector(selectors._BaseSelectorImpl):
    """A selector whose waiting is done by a GLib main context.

    Its descriptors are added (g_source_add_unix_fd) to one GLib source of
    GLib's own (a timeout source that otherwise never fires, so no Python
    runs at each iteration of the context): GLib polls them with everything
    else and dispatches that source when one is ready, or when the ready
    time select() sets for asyncio's next timer comes; its callback records
    what is ready.
    """

    def __init__(self, context):
        super().__init__()
        self._context = context
        self._tags = {}         # fd -> tag from GLib.Source.add_unix_fd
        self._ready = {}        # fd -> selectors events seen since the last select()
        self.glib_drives = False
        self.source = GLib.timeout_source_new_seconds(_NEVER)
        self.source.set_callback(self._on_source)
        self.source.attach(context)

    def register(self, fileobj, events, data=None):
        key = super().register(fileobj, events, data)
        condition = GLib.IOCondition(0)
        if events & _READ:
            condition |= _IN
        if events & _WRITE:
            condition |= _OUT
        self._tags[key.fd] = self.source.add_unix_fd(key.fd, condition)
        return key

    def unregister(self, fileobj):
        key = super().unregister(fileobj)
        tag = self._tags.pop(key.fd, None)
        if tag is not None and self.source is not None:
            self.source.remove_unix_fd(tag)
        self._ready.pop(key.fd, None)
        return key

    def _on_source(self, *unused):
        """Dispatched by GLib: a descriptor is ready, or select()'s time is up."""
        source = self.source
        if source is None:
            return GLib.SOURCE_REMOVE
        fd_to_key = self._fd_to_key
        for fd, tag in self._tags.items():
            condition = source.query_unix_fd(tag)
            if condition:
                mask = 0
                if condition & _IN:
                    mask |= _READ
                if condition & _OUT:
                    mask |= _WRITE
                key = fd_to_key.get(fd)
                if key is not None:
                    mask &= key.events
                    if mask:
                        self._ready[fd] = self._ready.get(fd, 0) | mask
        return GLib.SOURCE_CONTINUE

    def has_ready(self):
        return bool(self._ready)

    def select(self, timeout=None):
        if not self.glib_drives:
            context = self._context
            if self._ready or (timeout is not None and timeout <= 0):
                context.iteration(False)
            else:
                if timeout is not None:
                    # Round up: waking before asyncio's timer is due would spin.
                    self.source.set_ready_time(GLib.get_monotonic_time()
                                               + math.ceil(timeout * 1e6))
                context.iteration(True)
        if not self._ready:
            return []
        ready = []
        fd_to_key = self._fd_to_key
        for fd, mask in self._ready.items():
            key = fd_to_key.get(fd)
            if key is not None:
                ready.append((key, mask))
        self._ready.clear()
        return ready

    def close(self):
        source = self.source
        self.source = None
        if source is not None:
            source.destroy()
        self._tags.clear()
        self._ready.clear()
        super().close()


class _LoopSource(GLib.Source):
    """Runs asyncio iterations while GLib drives; not attached while asyncio
    drives (its prepare() and check() are Python, called at every
    iteration of the context)."""

    def __init__(self, loop):
        super().__init__()
        self.loop = loop

    def _timeout(self):
        loop = self.loop
        if loop is None or loop._agen_asyncio_drives or loop._closed:
            return -1
        if loop._ready or loop._selector._ready:
            timeout = 0
        elif loop._scheduled:
            delay = loop._scheduled[0]._when - loop.time()
            timeout = 0 if delay <= 0 else max(1, math.ceil(delay * 1000))
        else:
            return -1
        running = events._get_running_loop()
        if running is not None and running is not loop:
            # another loop runs on this thread (this one waits its turn):
            # being ready now would only make GLib spin
            return -1
        return timeout

    def prepare(self):
        timeout = self._timeout()
        return (timeout == 0, timeout)

    def check(self):
        return self._timeout() == 0

    def dispatch(self, callback, args):
        loop = self.loop
        if loop is not None:
            loop._run_once_from_glib()
        return GLib.SOURCE_CONTINUE

    def finalize(self):
        self.loop = None


class GLibEventLoop(asyncio.SelectorEventLoop):
    """An asyncio event loop that dispatches a GLib main context.

    Run it as any asyncio loop (asyncio drives, GLib's sources are
    dispatched from its select()), or run a GLib main loop on the same
    context (GLib drives, asyncio's callbacks run from a GLib source).
    """

    _agen_dispatches_glib = True

    def __init__(self, context=None):
        if context is None:
            context = GLib.MainContext.default()
        self._agen_context = context
        self._agen_asyncio_drives = False
        self._agen_glib_dispatching = False
        super().__init__(_GLibSelector(context))
        self._agen_source = None
        self._agen_attach()

    def _agen_attach(self):
        source = _LoopSource(self)
        source.attach(self._agen_context)
        self._agen_source = source

    def _agen_detach(self):
        source = self._agen_source
        self._agen_source = None
        if source is not None:
            source.loop = None
            source.destroy()

    @property
    def glib_context(self):
        """The GLib.MainContext this loop dispatches."""
        return self._agen_context

    def run_forever(self):
        if self._agen_glib_dispatching:
            raise RuntimeError('This event loop is already running (driven by GLib)')
        self._agen_asyncio_drives = True
        self._agen_detach()
        try:
            super().run_forever()
        finally:
            self._agen_asyncio_drives = False
            if not self.is_closed():
                self._agen_attach()

    def _run_once_from_glib(self):
        if self._agen_asyncio_drives or self.is_closed() or self._agen_glib_dispatching:
            return
        previous = events._get_running_loop()
        if previous is not None and previous is not self:
            return
        self._agen_glib_dispatching = True
        self._selector.glib_drives = True
        events._set_running_loop(self)
        # as run_forever() does: asyncio's own generators are tracked, and
        # the Agen override finds the running loop through them cheaply
        old_hooks = sys.get_asyncgen_hooks()
        sys.set_asyncgen_hooks(firstiter=self._asyncgen_firstiter_hook,
                               finalizer=self._asyncgen_finalizer_hook)
        try:
            self._run_once()
        finally:
            sys.set_asyncgen_hooks(*old_hooks)
            events._set_running_loop(previous)
            self._selector.glib_drives = False
            self._agen_glib_dispatching = False

    def close(self):
        if self.is_running():
            raise RuntimeError('Cannot close a running event loop')
        self._agen_detach()
        super().close()

    async def shutdown_asyncgens(self):
        # agen's own generators on this context first: closing a Python-made
        # one closes its Python generator through agen, as its C consumers
        # would see it; asyncio's native ones after.
        await self._agen_shutdown()
        await super().shutdown_asyncgens()

    async def _agen_shutdown(self):
        await shutdown_agen_generators(self, self._agen_context)


async def shutdown_agen_generators(loop, context):
    """agen_shutdown_generators_async() on context, awaited on loop; a
    failure goes to the loop's exception handler."""
    from gi.repository import Agen
    future = loop.create_future()

    def done(source, result, *unused):
        try:
            Agen.shutdown_generators_finish(result)
        except GLib.Error as e:
            if not future.done():
                future.set_exception(e)
            return
        if not future.done():
            future.set_result(None)

    Agen.shutdown_generators_async(context, None, done)
    try:
        await future
    except GLib.Error as e:
        loop.call_exception_handler({
            'message': 'an error occurred while shutting agen generators down',
            'exception': e,
        })


class GLibEventLoopPolicy(asyncio.DefaultEventLoopPolicy):
    """asyncio's default policy, making GLibEventLoops.

    The main thread's loop dispatches GLib's default main context; a loop
    made on another thread dispatches that thread's thread-default context
    (GLib.MainContext.ref_thread_default()).
    """

    def new_event_loop(self):
        if threading.current_thread() is threading.main_thread():
            return GLibEventLoop(GLib.MainContext.default())
        return GLibEventLoop(GLib.MainContext.ref_thread_default())


_fallback = threading.local()


def fallback_loop():
    """The loop a Python-made generator's body runs on when it is stepped
    with no asyncio loop running (a C consumer with blocking calls in a
    script): the thread's current loop if it dispatches GLib, else one
    private GLibEventLoop per thread, driven by GLib."""
    loop = getattr(_fallback, 'loop', None)
    if loop is not None and not loop.is_closed():
        return loop
    try:
        policy_loop = events.get_event_loop_policy()._local._loop
    except AttributeError:
        policy_loop = None
    if (policy_loop is not None and not policy_loop.is_closed()
            and getattr(policy_loop, '_agen_dispatches_glib', False)):
        return policy_loop
    if threading.current_thread() is threading.main_thread():
        context = GLib.MainContext.default()
    else:
        context = GLib.MainContext.ref_thread_default()
    loop = _fallback.loop = GLibEventLoop(context)
    return loop
