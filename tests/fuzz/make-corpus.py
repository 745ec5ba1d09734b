#!/usr/bin/env python3
# make-corpus.py — writes the seed corpus of the generator fuzzer
#
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Usage: python3 tests/fuzz/make-corpus.py [DIR]   (default: tests/fuzz/corpus)
#
# Each seed is a small scenario spelled with the helpers below, which mirror
# the input format decoded by fz_program_decode() (tests/fuzz/fuzz-script.c).
# The files are named after the scenarios; rerunning the script rewrites
# them identically. To see what a seed decodes to:
#   FUZZ_VERBOSE=1 build-fuzz/tests/fuzz/fuzz-generator tests/fuzz/corpus/NAME

import os
import sys

# Values (a yield's, a return value's): kind in bits 0-1, n in bits 2-7.
NULL, NONE = 0, 1


def INT(n):
    return 2 | (n << 2)


def STR(n):
    return 3 | (n << 2)


# Send arguments (index into the decoder's table) and thrown errors.
SEND_NULL, SEND_NONE, SEND_INT1, SEND_INT2, SEND_STR1, SEND_STR2 = range(6)
BOOM, OTHER, EXIT, CANCELLED = range(4)

# Op kinds, forms, cancel modes, await kinds, return kinds
NEXT, SEND, THROW, CLOSE = range(4)
ASYNC, BLOCKING, WORKER, ASYNC_OTHER_CONTEXT = 0, 1, 2, 3
C_NONE, C_FRESH, C_BEFORE, C_DURING = range(4)
IDLE, TIMEOUT, GTASK, STREAM, THREAD, THREAD_EARLY, SYNC = range(7)
HOOK_NONE, HOOK_CLOSE, HOOK_DROP = range(3)
F_YIELD, F_YIELD_FROM, F_AWAIT, F_SET_RV = range(4)
R_TRUE, R_FALSE_NO_ERROR, R_TRUE_WITH_ERROR = range(3)

# Instruction kinds
I_YIELD, I_AWAIT, I_YIELD_FROM, I_OP, I_ASYNC_OP, I_SET_RV, I_RETURN, \
    I_RAISE, I_RERAISE, I_FOREIGN = range(10)


def ins(kind, a=0, b=0, catch=0):
    """catch: 0 propagates the error, k catches it and goes on at pc + k."""
    assert 0 <= catch <= 3
    return bytes([kind | (catch << 4), a, b])


def yield_(v, catch=0):
    return ins(I_YIELD, v, 0, catch)


def await_(kind=IDLE, step_cancellable=False, catch=0):
    return ins(I_AWAIT, kind, int(step_cancellable), catch)


def yield_from(target, catch=0):
    return ins(I_YIELD_FROM, target, 0, catch)


def op_byte(kind, arg=0, step_cancellable=False):
    return kind | (arg << 2) | (0x20 if step_cancellable else 0)


def op(target, kind, arg=0, step_cancellable=False, catch=0):
    return ins(I_OP, target, op_byte(kind, arg, step_cancellable), catch)


def try_op(target, catch=0):
    """agen_generator_try_next() from the body, and a wait if it blocks."""
    return ins(I_OP, target, NEXT | 0x40, catch)


def async_op(target, kind, arg=0, step_cancellable=False):
    return ins(I_ASYNC_OP, target, op_byte(kind, arg, step_cancellable))


def set_rv(v):
    return ins(I_SET_RV, v)


def ret(kind=R_TRUE):
    return ins(I_RETURN, kind)


def raise_(n=0):
    return ins(I_RAISE, n)


def reraise():
    return ins(I_RERAISE)


def foreign(target, kind, catch=0):
    """A body-side call (F_*) on another generator."""
    return ins(I_FOREIGN, target, kind, catch)


def gen(*instructions):
    assert len(instructions) <= 8
    return bytes([len(instructions)]) + b''.join(instructions)


# When a driven body answers
NOW, LATER_IDLE, LATER_TIMEOUT, LATER_THREAD = range(4)


def driven(answer, *instructions):
    """The same script, run by a driven generator's step function."""
    assert len(instructions) <= 8
    return bytes([len(instructions) | 0x10 | (answer << 5)]) + b''.join(instructions)


def probe(target, kind, blocking=False, cancelled=False, arg=0):
    return bytes([target | (kind << 2) | (0x10 if blocking else 0) |
                  (0x20 if cancelled else 0) | (arg << 6)])


def step(target, kind, form=ASYNC, arg=0, cancel=C_NONE, unref_pending=False,
         probes=()):
    assert len(probes) <= 2
    form_bits = form
    b0 = target | (kind << 2) | (form_bits << 4) | (0x40 if unref_pending else 0)
    b1 = arg | (cancel << 3) | (len(probes) << 5)
    return bytes([b0, b1]) + b''.join(probes)


def unref(target):
    return bytes([0x80 | target])


# What a try_next step does at once when the body waits
NO_WAIT, WAIT, WAIT_TWICE, WAIT_TRY = range(4)


def try_next(target, waits=NO_WAIT, after_async=False, cancel=C_NONE, worker=False,
             probes=()):
    assert len(probes) <= 2
    b1 = waits | (4 if after_async else 0) | (cancel << 3) | (len(probes) << 5) | \
        (0x80 if worker else 0)
    return bytes([0x80 | (1 << 2) | target, b1]) + b''.join(probes)


def wait(target, cancel=C_NONE):
    return bytes([0x80 | (2 << 2) | target, cancel << 3])


def program(gens, steps, close_all=False, hook=HOOK_NONE):
    assert 1 <= len(gens) <= 4
    head = bytes([(len(gens) - 1) | (4 if close_all else 0) | (hook << 3)])
    return head + b''.join(gens) + b''.join(steps)


def nexts(target, n, form=ASYNC):
    return [step(target, NEXT, form) for _ in range(n)]


SEEDS = {}


def seed(name, data):
    assert name not in SEEDS
    SEEDS[name] = data


# The state x operation table ------------------------------------------------

three = gen(yield_(INT(1)), yield_(INT(2)), yield_(STR(3)))

seed('yield-three', program([three], nexts(0, 4)))
seed('yield-three-blocking', program([three], nexts(0, 4, BLOCKING)))
seed('yield-none-kinds', program([gen(yield_(NULL), yield_(NONE), set_rv(NONE))],
                                 nexts(0, 3)))
seed('send-values', program([three], [
    step(0, NEXT), step(0, SEND, arg=SEND_INT1), step(0, SEND, arg=SEND_STR2),
    step(0, SEND, BLOCKING, arg=SEND_NONE), step(0, SEND, arg=SEND_NULL)]))
seed('created-send-not-started', program([three], [
    step(0, SEND, arg=SEND_INT2), step(0, SEND, BLOCKING, arg=SEND_STR1),
    step(0, NEXT)]))
seed('created-throw', program([three], [step(0, THROW, arg=OTHER), step(0, NEXT)]))
seed('created-close', program([three], [step(0, CLOSE, BLOCKING), step(0, CLOSE)]))
seed('closed-ops', program([gen(yield_(INT(1)))], [
    step(0, NEXT), step(0, NEXT), step(0, NEXT), step(0, SEND, arg=SEND_INT1),
    step(0, THROW, arg=BOOM), step(0, CLOSE), step(0, CLOSE, BLOCKING)]))

# Throw and close into a suspended body ---------------------------------------

seed('throw-propagates', program([three], [step(0, NEXT), step(0, THROW, arg=BOOM),
                                           step(0, NEXT)]))
seed('throw-caught-yields', program([gen(yield_(INT(1), catch=1), yield_(INT(2)))], [
    step(0, NEXT), step(0, THROW, BLOCKING, arg=OTHER), step(0, NEXT)]))
seed('throw-caught-returns-rv', program([gen(yield_(INT(1), catch=1), set_rv(STR(7)),
                                             ret())], [
    step(0, NEXT), step(0, THROW, arg=BOOM), step(0, NEXT)]))
seed('throw-exit-ordinary', program([gen(yield_(INT(1), catch=1), yield_(INT(2)),
                                         yield_(INT(3)))], [
    step(0, NEXT), step(0, THROW, arg=EXIT), step(0, THROW, arg=EXIT)]))
seed('close-propagates-exit', program([three], [step(0, NEXT), step(0, CLOSE),
                                                step(0, NEXT)]))
seed('close-caught-returns', program([gen(yield_(INT(1), catch=1), set_rv(INT(9)))], [
    step(0, NEXT), step(0, CLOSE, BLOCKING)]))
seed('close-caught-raises-other', program([gen(yield_(INT(1), catch=1), raise_(3))], [
    step(0, NEXT), step(0, CLOSE), step(0, NEXT)]))
seed('close-ignored-exit', program([gen(yield_(INT(1), catch=1), yield_(INT(2), catch=1),
                                        yield_(INT(3)))], [
    step(0, NEXT), step(0, CLOSE), step(0, NEXT), step(0, CLOSE, BLOCKING),
    step(0, CLOSE)]))
seed('reraise-after-catch', program([gen(yield_(INT(1), catch=1), await_(GTASK),
                                         reraise())], [
    step(0, NEXT), step(0, THROW, arg=OTHER)]))
seed('programmer-errors', program([gen(yield_(INT(1), catch=1), ret(R_FALSE_NO_ERROR)),
                                   gen(ret(R_TRUE_WITH_ERROR))], [
    step(0, NEXT), step(0, CLOSE), step(1, NEXT)]))
seed('return-value-cleared', program([gen(set_rv(INT(3)), set_rv(NULL), yield_(INT(1)),
                                          set_rv(STR(4)))], nexts(0, 2)))

# RUNNING: the step awaits and ops arrive meanwhile ---------------------------

awaiting = gen(await_(IDLE), yield_(INT(1)), await_(TIMEOUT), yield_(INT(2)))
seed('running-probes-async', program([awaiting], [
    step(0, NEXT, probes=[probe(0, NEXT), probe(0, CLOSE)]),
    step(0, NEXT, probes=[probe(0, SEND, arg=2), probe(0, THROW, arg=BOOM)])]))
seed('running-probes-blocking', program([awaiting], [
    step(0, NEXT, BLOCKING, probes=[probe(0, NEXT, blocking=True),
                                    probe(0, CLOSE, blocking=True)]),
    step(0, NEXT, probes=[probe(0, THROW, blocking=True, arg=EXIT)])]))
seed('running-probe-other', program([awaiting, three], [
    step(1, NEXT), step(1, CLOSE),
    step(0, NEXT, probes=[probe(1, NEXT), probe(1, CLOSE, blocking=True)])]))
seed('await-kinds', program([gen(await_(IDLE), await_(TIMEOUT), await_(GTASK),
                                 await_(STREAM), yield_(INT(1)))], nexts(0, 2)))

seed('await-from-threads', program([gen(await_(THREAD), await_(THREAD_EARLY), await_(SYNC),
                                      yield_(INT(1)), await_(THREAD, True, catch=1),
                                      yield_(INT(2)))], [
    step(0, NEXT, probes=[probe(0, NEXT)]), step(0, NEXT, cancel=C_DURING),
    step(0, NEXT, WORKER)]))
seed('await-early-then-cancel', program([gen(await_(SYNC, True), await_(THREAD_EARLY, True),
                                           await_(IDLE, True, catch=1),
                                           await_(THREAD_EARLY, True, catch=1),
                                           yield_(INT(1)))], [
    step(0, NEXT, cancel=C_DURING)]))

# Cancellation -----------------------------------------------------------------

cancellable_body = gen(await_(IDLE, True, catch=1), yield_(INT(1)),
                       await_(STREAM, True), yield_(INT(2)))
seed('cancel-before-each-state', program([three], [
    step(0, NEXT, cancel=C_BEFORE), step(0, NEXT), step(0, CLOSE, cancel=C_BEFORE),
    step(0, THROW, BLOCKING, arg=BOOM, cancel=C_BEFORE), step(0, NEXT, cancel=C_FRESH),
    step(0, NEXT), step(0, NEXT, cancel=C_BEFORE)]))
seed('cancel-during-caught', program([cancellable_body], [
    step(0, NEXT, cancel=C_DURING), step(0, NEXT, cancel=C_DURING)]))
seed('cancel-during-blocking', program([cancellable_body], [
    step(0, NEXT, BLOCKING, cancel=C_DURING), step(0, NEXT, BLOCKING, cancel=C_DURING)]))
seed('cancel-level-triggered', program([gen(await_(IDLE, True, catch=1),
                                            await_(GTASK, True, catch=1),
                                            await_(IDLE, False), yield_(INT(5)))], [
    step(0, NEXT, cancel=C_DURING, probes=[probe(0, NEXT)])]))
seed('cancel-close-cleanup', program([gen(yield_(INT(1), catch=1), await_(TIMEOUT, True),
                                          reraise())], [
    step(0, NEXT), step(0, CLOSE, cancel=C_DURING), step(0, NEXT)]))
seed('cancel-nested-op', program([gen(await_(IDLE), op(1, NEXT, step_cancellable=True,
                                                          catch=1),
                                      yield_(INT(1))),
                                  gen(await_(IDLE, True), yield_(INT(2)))], [
    step(0, NEXT, cancel=C_DURING), step(1, NEXT)]))

# yield_from ---------------------------------------------------------------------

inner = gen(yield_(INT(1)), yield_(INT(2)), set_rv(STR(5)))
seed('yield-from-basic', program([gen(yield_from(1), yield_(INT(9))), inner],
                                 nexts(0, 5)))
seed('yield-from-empty-inner', program([gen(yield_from(1), yield_(INT(9))),
                                        gen(set_rv(INT(3)))], nexts(0, 2)))
seed('yield-from-send', program([gen(yield_from(1)), inner], [
    step(0, NEXT), step(0, SEND, arg=SEND_INT2), step(0, SEND, arg=SEND_NONE),
    step(0, NEXT)]))
seed('yield-from-throw', program([gen(yield_from(1, catch=1), yield_(INT(9))),
                                  gen(yield_(INT(1), catch=1), yield_(INT(2)))], [
    step(0, NEXT), step(0, THROW, arg=BOOM), step(0, THROW, arg=OTHER), step(0, NEXT)]))
seed('yield-from-close', program([gen(yield_from(1), yield_(INT(9))),
                                  gen(yield_(INT(1), catch=1), await_(IDLE), reraise())], [
    step(0, NEXT), step(0, CLOSE), step(1, NEXT)]))
seed('yield-from-throw-exit', program([gen(yield_from(1, catch=1), yield_(INT(9))),
                                       gen(yield_(INT(1), catch=1), yield_(INT(2)))], [
    step(0, NEXT), step(0, THROW, arg=EXIT), step(0, NEXT), step(1, NEXT)]))
seed('yield-from-inner-ignores-exit', program([gen(yield_from(1, catch=1), reraise()),
                                               gen(yield_(INT(1), catch=1),
                                                   yield_(INT(2)))], [
    step(0, NEXT), step(0, CLOSE), step(1, NEXT), step(1, CLOSE)]))
seed('yield-from-inner-raises', program([gen(yield_from(1, catch=2), yield_(INT(8)),
                                             yield_(INT(9))),
                                         gen(yield_(INT(1)), raise_(2))], nexts(0, 3)))
seed('yield-from-self', program([gen(yield_from(0, catch=1), yield_(INT(4)))],
                                nexts(0, 2)))
seed('yield-from-chain', program([gen(yield_from(1)), gen(yield_from(2), yield_(INT(7))),
                                  gen(await_(TIMEOUT), yield_(INT(1)), set_rv(INT(2)))],
                                 nexts(0, 3) + [step(0, CLOSE)]))
seed('yield-from-busy-inner', program([gen(await_(IDLE), yield_from(1, catch=1),
                                           yield_(INT(3))),
                                       gen(op(0, NEXT, catch=1), yield_(INT(1)))], [
    step(1, NEXT), step(0, NEXT, probes=[probe(0, CLOSE)])]))
seed('yield-from-cancel-during', program([gen(yield_from(1, catch=1), yield_(INT(3))),
                                          gen(yield_(INT(1)), await_(IDLE, True),
                                              yield_(INT(2)))], [
    step(0, NEXT), step(0, NEXT, cancel=C_DURING), step(0, NEXT)]))

# Ops on other generators from a body -------------------------------------------

seed('body-blocking-ops', program([gen(op(1, NEXT), op(1, SEND, SEND_INT2),
                                       op(1, THROW, BOOM, catch=1), op(1, CLOSE),
                                       yield_(INT(1))),
                                   gen(yield_(INT(1)), await_(IDLE),
                                       yield_(INT(2), catch=1), yield_(INT(3)))],
                                  nexts(0, 2)))
seed('body-reenters-self', program([gen(op(0, NEXT, catch=1), op(0, CLOSE, catch=1),
                                        async_op(0, THROW, BOOM), yield_from(0, catch=1),
                                        async_op(0, NEXT, step_cancellable=True),
                                        yield_(INT(1)))], nexts(0, 2)))
seed('body-async-on-closed', program([gen(await_(GTASK), async_op(1, NEXT),
                                          async_op(1, CLOSE), async_op(1, SEND, 2),
                                          yield_(INT(1))),
                                      gen()], [step(1, NEXT), step(0, NEXT)]))
seed('body-op-cross', program([gen(op(1, NEXT, catch=1), yield_(INT(1)),
                                   op(1, NEXT, catch=1)),
                               gen(op(0, NEXT, catch=1), yield_(INT(2)))], nexts(0, 3)))

# Finalization -----------------------------------------------------------------

seed('unref-suspended-clean', program([gen(yield_(INT(1)), yield_(INT(2)))], [
    step(0, NEXT), unref(0)]))
seed('unref-suspended-cleanup-awaits', program([gen(yield_(INT(1), catch=1),
                                                    await_(TIMEOUT), reraise())], [
    step(0, NEXT), unref(0)]))
seed('unref-suspended-cleanup-fails', program([gen(yield_(INT(1), catch=1), raise_(1))], [
    step(0, NEXT), unref(0)]))
seed('unref-suspended-ignores-exit', program([gen(yield_(INT(1), catch=1),
                                                  yield_(INT(2)))], [
    step(0, NEXT), unref(0)]))
seed('unref-after-ignored-exit', program([gen(yield_(INT(1), catch=1), yield_(INT(2)))], [
    step(0, NEXT), step(0, CLOSE), unref(0)]))
seed('unref-pending', program([gen(await_(IDLE), yield_(INT(1)), yield_(INT(2)))], [
    step(0, NEXT, unref_pending=True)]))
seed('unref-pending-no-await', program([three, three], [
    step(0, NEXT), step(0, NEXT, unref_pending=True), step(1, NEXT, unref_pending=True)]))
seed('unref-inner-while-delegating', program([gen(yield_from(1), yield_(INT(9))), inner], [
    step(0, NEXT), unref(1), step(0, NEXT), step(0, NEXT)]))
seed('unref-outer-while-delegating', program([gen(yield_from(1), yield_(INT(9))),
                                              gen(yield_(INT(1), catch=1), await_(IDLE),
                                                  reraise())], [
    step(0, NEXT), unref(0), step(1, NEXT)]))
seed('unref-ignoring-outer-holds-inner', program([gen(yield_(INT(1), catch=1),
                                                      yield_from(1)), inner], [
    step(0, NEXT), step(0, CLOSE), step(0, NEXT), unref(1), unref(0)]))
seed('unref-cleanup-uses-others', program([gen(yield_(INT(1), catch=1), op(1, NEXT),
                                               op(1, CLOSE), reraise()), three], [
    step(0, NEXT), unref(0), step(1, NEXT)]))
seed('close-all-at-end', program([gen(yield_(INT(1), catch=1), yield_(INT(2), catch=1),
                                      yield_(INT(3), catch=1)),
                                  gen(yield_from(0, catch=1), yield_(INT(4)))], [
    step(1, NEXT)], close_all=True))

seed('hook-close', program([gen(yield_(INT(1), catch=1), await_(THREAD), reraise()),
                            gen(yield_(INT(1), catch=1), yield_(INT(2)))], [
    step(0, NEXT), step(1, NEXT), unref(0), unref(1)], hook=HOOK_CLOSE))
seed('hook-drop', program([gen(yield_(INT(1), catch=1), raise_(1)), three], [
    step(0, NEXT), unref(0), step(1, NEXT)], hook=HOOK_DROP))
seed('foreign-body-calls', program([gen(foreign(1, F_YIELD, catch=1), foreign(1, F_YIELD_FROM,
                                                                               catch=1),
                                        foreign(1, F_AWAIT), foreign(1, F_SET_RV),
                                        foreign(0, F_YIELD), yield_(INT(1))),
                                    gen(yield_(INT(2)), foreign(0, F_YIELD))], [
    step(1, NEXT), step(0, NEXT), step(1, NEXT), step(0, NEXT)]))

# Another thread -----------------------------------------------------------------

seed('worker-ops', program([gen(yield_(INT(1)), await_(IDLE), yield_(INT(2), catch=1),
                                yield_(INT(3)))], [
    step(0, NEXT), step(0, NEXT, WORKER), step(0, SEND, WORKER, arg=SEND_STR1),
    step(0, THROW, WORKER, arg=OTHER), step(0, CLOSE, WORKER), step(0, NEXT, WORKER)]))
seed('async-other-context', program([gen(yield_(INT(1)), await_(IDLE, True), yield_(INT(2)),
                                       await_(THREAD), yield_(INT(3)))], [
    step(0, NEXT, ASYNC_OTHER_CONTEXT), step(0, NEXT),
    step(0, NEXT, ASYNC_OTHER_CONTEXT, cancel=C_DURING, probes=[probe(0, NEXT)]),
    step(0, CLOSE, ASYNC_OTHER_CONTEXT, unref_pending=True)]))
seed('worker-first-op-refused', program([three], [
    step(0, SEND, arg=SEND_INT1), step(0, NEXT, WORKER),
    step(0, NEXT, WORKER, cancel=C_DURING)]))
seed('worker-cancel-during', program([cancellable_body], [
    step(0, CLOSE, cancel=C_BEFORE), step(0, NEXT, BLOCKING),
    step(0, NEXT, WORKER, cancel=C_DURING, probes=[probe(0, NEXT, blocking=True)])]))


# Driven bodies: the same scripts as above, answered now or later ------------

for mode, name in ((NOW, 'now'), (LATER_IDLE, 'idle'), (LATER_THREAD, 'thread')):
    seed(f'driven-yield-three-{name}', program([driven(mode, yield_(INT(1)), yield_(INT(2)),
                                                       yield_(STR(3)))],
                                               nexts(0, 2) + nexts(0, 2, BLOCKING)))
seed('driven-answer-timeout', program([driven(LATER_TIMEOUT, yield_(INT(1)), set_rv(INT(4)))],
                                      [step(0, NEXT, probes=[probe(0, NEXT)]),
                                       step(0, NEXT, WORKER)]))
seed('driven-send-throw-close', program([driven(NOW, yield_(INT(1), catch=1),
                                                yield_(INT(2), catch=1), yield_(INT(3)),
                                                set_rv(STR(2)))], [
    step(0, SEND, arg=SEND_INT1), step(0, NEXT), step(0, SEND, arg=SEND_STR1),
    step(0, THROW, arg=BOOM), step(0, CLOSE), step(0, NEXT)]))
seed('driven-close-ignored', program([driven(LATER_IDLE, yield_(INT(1), catch=1),
                                             yield_(INT(2)))], [
    step(0, NEXT), step(0, CLOSE), step(0, CLOSE, BLOCKING)]))
seed('driven-return-values', program([driven(NOW, set_rv(NONE)), driven(NOW, set_rv(INT(7))),
                                      driven(LATER_IDLE, set_rv(STR(1)), set_rv(NULL))],
                                     [step(0, NEXT), step(1, NEXT), step(2, NEXT)]))
seed('driven-step-function-errors', program([
    driven(NOW, ret(R_FALSE_NO_ERROR)), driven(NOW, set_rv(INT(1)), ret(R_TRUE_WITH_ERROR)),
    driven(NOW, await_(IDLE), ret(R_FALSE_NO_ERROR)),
    driven(LATER_IDLE, ret(R_TRUE_WITH_ERROR))],
    [step(0, NEXT), step(1, NEXT), step(2, NEXT), step(3, NEXT)]))
seed('driven-awaits', program([driven(NOW, await_(IDLE), await_(TIMEOUT), await_(GTASK),
                                      await_(STREAM), await_(THREAD), await_(THREAD_EARLY),
                                      await_(SYNC), yield_(INT(1)))], nexts(0, 2)))
seed('driven-cancel-during', program([driven(NOW, await_(IDLE, True, catch=1), yield_(INT(1)),
                                             await_(GTASK, True), yield_(INT(2)))], [
    step(0, NEXT, cancel=C_DURING), step(0, NEXT, cancel=C_DURING),
    step(0, NEXT, cancel=C_DURING)]))
seed('driven-cancel-before-step', program([driven(LATER_IDLE, await_(IDLE, True, catch=1),
                                                  reraise())], [
    step(0, NEXT, cancel=C_DURING, probes=[probe(0, CLOSE), probe(0, NEXT, blocking=True)])]))
seed('driven-ops', program([driven(NOW, op(1, NEXT), op(1, SEND, SEND_INT2),
                                   op(1, THROW, BOOM, catch=1), op(0, NEXT, catch=1),
                                   async_op(0, CLOSE), op(1, CLOSE), yield_(INT(1))),
                            gen(yield_(INT(1)), await_(IDLE), yield_(INT(2), catch=1),
                                yield_(INT(3)))], nexts(0, 2)))
seed('driven-foreign-on-self', program([driven(NOW, foreign(0, F_YIELD, catch=1),
                                               foreign(0, F_YIELD_FROM, catch=1),
                                               foreign(0, F_AWAIT), foreign(0, F_SET_RV),
                                               foreign(1, F_YIELD, catch=1), yield_(INT(1))),
                                        gen(yield_(INT(2)))], nexts(0, 2)))
seed('driven-unref-suspended', program([driven(LATER_THREAD, yield_(INT(1), catch=1),
                                               await_(TIMEOUT), reraise()),
                                        driven(NOW, yield_(INT(1), catch=1), raise_(1))], [
    step(0, NEXT), step(1, NEXT), unref(0), unref(1)]))
seed('driven-hook-close', program([driven(NOW, yield_(INT(1), catch=1), await_(THREAD),
                                          reraise())], [step(0, NEXT), unref(0)],
                                  hook=HOOK_CLOSE))
seed('driven-unref-pending', program([driven(LATER_IDLE, yield_(INT(1)), yield_(INT(2)))], [
    step(0, NEXT, unref_pending=True)]))
seed('driven-async-other-context', program([driven(LATER_IDLE, yield_(INT(1)), yield_(INT(2)),
                                                   yield_(INT(3)))], [
    step(0, NEXT), step(0, NEXT, ASYNC_OTHER_CONTEXT, cancel=C_DURING),
    step(0, CLOSE, WORKER)]))

# yield_from across the two kinds ---------------------------------------------

driven_inner = driven(LATER_IDLE, yield_(INT(1), catch=1), yield_(INT(2)), set_rv(STR(5)))
seed('yield-from-fiber-outer-driven-inner', program([gen(yield_from(1), yield_(INT(9))),
                                                     driven_inner],
                                                    nexts(0, 2) + [step(0, SEND, arg=SEND_INT2),
                                                                   step(0, NEXT)]))
seed('yield-from-driven-outer-fiber-inner', program([driven(NOW, yield_from(1), yield_(INT(9))),
                                                     inner],
                                                    nexts(0, 2) + [step(0, SEND, arg=SEND_INT1),
                                                                   step(0, NEXT)]))
seed('yield-from-driven-both', program([driven(LATER_THREAD, yield_from(1, catch=1),
                                               yield_(INT(9))),
                                        driven(NOW, yield_(INT(1), catch=1), yield_(INT(2)))], [
    step(0, NEXT), step(0, THROW, arg=BOOM), step(0, THROW, arg=EXIT), step(0, NEXT),
    step(1, NEXT)]))
seed('yield-from-driven-close', program([driven(NOW, yield_from(1)), driven_inner,
                                         gen(yield_from(0, catch=1), yield_(INT(4)))], [
    step(2, NEXT), step(2, CLOSE), step(1, NEXT)]))
seed('yield-from-driven-chain', program([gen(yield_from(1)), driven(LATER_IDLE, yield_from(2),
                                                                    yield_(INT(7))),
                                         gen(await_(TIMEOUT), yield_(INT(1)), set_rv(INT(2))),
                                         driven(NOW, yield_from(0, catch=1))],
                                        nexts(0, 3) + [step(3, NEXT), step(0, CLOSE)]))
seed('yield-from-driven-cancel', program([driven(NOW, yield_from(1, catch=1), yield_(INT(3))),
                                          gen(yield_(INT(1)), await_(IDLE, True),
                                              yield_(INT(2)))], [
    step(0, NEXT), step(0, NEXT, cancel=C_DURING), step(0, NEXT)]))

# try_next and wait ------------------------------------------------------------

seed('try-next-no-await', program([three], [try_next(0)] * 4))
seed('try-next-driven-now', program([driven(NOW, yield_(INT(1)), raise_(2))], [try_next(0)] * 3))
seed('try-next-wait', program([awaiting], [try_next(0, WAIT), try_next(0, WAIT),
                                           try_next(0, WAIT)]))
seed('try-next-driven-later', program([driven(LATER_IDLE, yield_(INT(1)), yield_(INT(2))),
                                       driven(LATER_THREAD, yield_(INT(3)))], [
    try_next(0, WAIT), try_next(0), wait(0), try_next(1, WAIT_TWICE), try_next(0, WAIT_TRY),
    try_next(1)]))
seed('try-next-uncollected', program([awaiting], [
    try_next(0), step(0, NEXT), step(0, SEND, BLOCKING, arg=SEND_INT1), try_next(0),
    try_next(0), step(0, CLOSE)]))
seed('try-next-close-discards', program([gen(await_(IDLE), yield_(INT(1), catch=1),
                                             yield_(INT(2)))], [
    try_next(0), step(0, CLOSE), try_next(0), wait(0)]))
seed('try-next-unref-uncollected', program([gen(await_(GTASK), yield_(INT(1), catch=1),
                                                await_(IDLE), reraise())], [
    try_next(0), unref(0)]))
seed('try-next-after-async', program([three, awaiting], [
    try_next(0, after_async=True), try_next(0), try_next(1, after_async=True),
    try_next(1, WAIT), try_next(1, after_async=True), step(1, NEXT)]))
seed('wait-without-step', program([three], [wait(0), step(0, NEXT), wait(0, C_BEFORE),
                                             try_next(0), wait(0)]))
seed('try-next-cancel', program([gen(await_(IDLE, True, catch=1), yield_(INT(1)),
                                     await_(TIMEOUT, True), yield_(INT(2)))], [
    try_next(0, WAIT, cancel=C_DURING, probes=[probe(0, NEXT), probe(0, CLOSE, blocking=True)]),
    try_next(0, WAIT, cancel=C_BEFORE), try_next(0, WAIT, cancel=C_FRESH)]))
seed('try-next-cancel-driven', program([driven(LATER_IDLE, await_(IDLE, True, catch=1),
                                               yield_(INT(1)), await_(THREAD, True),
                                               yield_(INT(2)))], [
    try_next(0, WAIT, cancel=C_DURING), try_next(0, WAIT, cancel=C_BEFORE)]))
seed('try-next-worker', program([three], [try_next(0, worker=True), try_next(0),
                                          try_next(0, worker=True)]))
seed('try-next-yield-from', program([gen(yield_from(1)), driven(LATER_TIMEOUT, yield_(INT(1)),
                                                                yield_(INT(2)))], [
    try_next(0, WAIT), try_next(0), try_next(0), wait(0), try_next(0, WAIT)]))

seed('body-try-next', program([gen(try_op(1), try_op(1), try_op(1), yield_(INT(5))), awaiting],
                              nexts(0, 2)))
seed('driven-body-try-next', program([driven(NOW, try_op(1), try_op(2), try_op(2), try_op(2),
                                             yield_(INT(5))),
                                      three, driven(LATER_IDLE, yield_(INT(1)),
                                                    await_(THREAD), yield_(INT(2)))],
                                     nexts(0, 2, BLOCKING)))
seed('body-try-next-fallback', program([gen(await_(IDLE), async_op(1, NEXT), try_op(1),
                                            try_op(0, catch=1), yield_(INT(1))),
                                        gen(yield_(INT(2)))],
                                       [step(1, NEXT), step(1, NEXT), step(0, NEXT)]))
seed('body-try-next-collects', program([driven(LATER_IDLE, try_op(1), try_op(1), yield_(INT(3))),
                                        awaiting], [
    try_next(1), step(0, NEXT), step(0, CLOSE)]))


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, 'corpus')
    os.makedirs(out, exist_ok=True)
    for name, data in sorted(SEEDS.items()):
        with open(os.path.join(out, name), 'wb') as f:
            f.write(data)
    print(f'{len(SEEDS)} seeds written to {out}')


if __name__ == '__main__':
    main()
