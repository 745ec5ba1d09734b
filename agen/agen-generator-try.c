/* agen-generator-try.c — try_next and wait: synchronous completion for
 * bindings
 *
 * Copyright 2026 The agen authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <glib/gi18n-lib.h>

#include "agen-error.h"
#include "agen-generator-impl-private.h"

/*
 * A binding's per-item call. next_async already runs the body inside the
 * call on the owner's thread; what costs is the rest: a result object, a
 * callback from a later dispatch pass, a closure the binding allocates for
 * that callback and, in the binding, a future or promise per item.
 * try_next returns the value when the body yields within the call, with
 * none of that. Only when the body awaits does the step go on without the
 * caller: it becomes an AgenTryStep, and the caller collects its outcome
 * with wait_async, a separate call because a binding frees the closure of
 * an async callback only when it is called.
 *
 * The hazards, each settled here:
 * - Order. An _async result whose callback has not run holds an item the
 *   consumer has not seen: try_next refuses to run the body past it
 *   (self->async_outstanding). Conversely, while a try step runs or its
 *   outcome waits to be collected, every other operation but close is
 *   refused (agen_generator_try_step_admits()); a close discards it.
 * - Lifetime. A running step holds the generator, as every pending op
 *   does, until the body answers it; after that the uncollected outcome
 *   is kept in the generator and holds nothing, so a step nobody waits
 *   for does not keep the generator alive.
 * - Cancellation. try_next takes no cancellable: creating one per item
 *   would cost more than the step. The body gets one on demand, when it
 *   asks for its step's cancellable (it does so to await), and cancelling
 *   the wait's cancellable cancels that one. The wait still completes only
 *   with the step's real outcome, so that a value the body yields after
 *   handling the cancellation is not lost.
 * - Thread. try_next and wait run on the owner's thread, where the body
 *   runs inside the call; elsewhere they fail with AGEN_ERROR_WRONG_CONTEXT.
 */

struct _AgenTryStep
{
  AgenOp          op;          /* first: the op's complete function finds us */
  AgenGenerator  *self;        /* a reference while the step runs */
  gboolean        done;        /* the outcome is in op */
  AgenResult     *waiter;      /* wait_async's result, until done */
  GCancellable   *wait_cancellable;
  gulong          wait_handler;
};

static void
try_step_disconnect (AgenTryStep *step)
{
  if (step->wait_handler != 0)
    g_signal_handler_disconnect (step->wait_cancellable, step->wait_handler);
  step->wait_handler = 0;
  g_clear_object (&step->wait_cancellable);
}

static void
try_step_free (AgenTryStep *step)
{
  try_step_disconnect (step);
  agen_op_clear (&step->op);
  g_free (step);
}

/* Moves step's outcome into the waiter's op and completes it. */
static void
try_step_deliver (AgenTryStep *step,
                  AgenResult  *waiter)
{
  AgenOp *op = agen_result_get_op (waiter);

  op->outcome = step->op.outcome;
  op->out_value = step->op.out_value;
  step->op.out_value = (GValue) G_VALUE_INIT;
  op->out_error = g_steal_pointer (&step->op.out_error);
  op->complete_in_pass = step->op.complete_in_pass;
  try_step_free (step);
  agen_result_complete_op (op);
}

static void
unref_generator (gpointer data)
{
  g_object_unref (data);
}

/* The AgenOpCompleteFunc of a step that went on without its caller.
 * Owner thread, maybe on a fiber's stack: it only hands over. */
static void
try_step_complete (AgenOp *op)
{
  AgenTryStep *step = (AgenTryStep *) op;
  AgenGenerator *self = g_steal_pointer (&step->self);

  step->done = TRUE;
  if (step->waiter != NULL)
    {
      self->try_step = NULL;
      try_step_deliver (step, g_steal_pointer (&step->waiter));
    }

  /* The waiter's result holds the generator too; without one this may be
   * the last reference, whose disposal runs user code. */
  if (agen_on_fiber_stack ())
    agen_fiber_call_on_thread_stack (unref_generator, self);
  else
    g_object_unref (self);
}

/* The AgenOpCompleteFunc while the step runs inside try_next: the caller
 * reads the outcome when the state table returns. */
static void
try_op_complete_in_call (AgenOp *op)
{
}

gboolean
agen_generator_try_step_admits (AgenGenerator *self,
                                AgenOp        *op)
{
  AgenTryStep *step = self->try_step;

  /* A running step: the generator is RUNNING, which the state table
   * refuses. */
  if (!step->done)
    return TRUE;

  if (op->kind == AGEN_OP_CLOSE)
    {
      self->try_step = NULL;
      try_step_free (step);
      return TRUE;
    }

  agen_op_set_error (op, AGEN_ERROR, AGEN_ERROR_RUNNING,
                     _("Generator “%s” has an item from agen_generator_try_next() "
                       "that agen_generator_wait_async() has not collected"),
                     agen_generator_display_name (self));
  op->complete (op);
  return FALSE;
}

void
agen_generator_try_step_drop (AgenGenerator *self)
{
  if (self->try_step != NULL)
    try_step_free (g_steal_pointer (&self->try_step));
}

static gboolean
on_owner_thread (AgenGenerator  *self,
                 GError        **error)
{
  if (g_atomic_pointer_get (&self->owner) == NULL ||
      agen_dispatcher_is_current_thread (self->owner))
    return TRUE;

  g_set_error (error, AGEN_ERROR, AGEN_ERROR_WRONG_CONTEXT,
               _("Generator “%s” belongs to a main context of another thread; "
                 "use agen_generator_next_async() there"),
               agen_generator_display_name (self));
  return FALSE;
}

/**
 * agen_generator_try_next:
 * @self: a generator
 * @value: (out caller-allocates) (optional): return location for the
 *   yielded value; always initialised, to None (a %G_TYPE_POINTER holding
 *   %NULL) when nothing was yielded
 * @error: return location for an error
 *
 * Starts or resumes the body, like [method@Generator.next_async], and
 * returns what it did within this call: the fast path of a language
 * binding's asynchronous iteration. When the body yields without awaiting
 * anything, the value comes back at once, with no callback, no allocation
 * and no main-loop pass.
 *
 * When the body awaits something first, this fails with
 * %G_IO_ERROR_WOULD_BLOCK and the step goes on: collect its outcome with
 * [method@Generator.wait_async]. Until then, and until that wait has
 * called back, every operation on @self but [method@Generator.close_async]
 * (or another form of close, which discards the outcome) fails with
 * %AGEN_ERROR_RUNNING. The step's cancellable, which the body sees,
 * is cancelled through the wait's.
 *
 * It also fails with %AGEN_ERROR_RUNNING while a callback of one of
 * @self's `_async` calls has not run yet: it would return an item before
 * that one. Call it on the thread of @self's owner context (any thread
 * before the first operation, which makes that thread's context the
 * owner); elsewhere it fails with %AGEN_ERROR_WRONG_CONTEXT.
 *
 * As with any asynchronous generator that yields without awaiting, other
 * sources of the main context do not run between the items of a loop
 * over this call.
 *
 * A driven generator's step function runs inside this call.
 *
 * Returns: %TRUE with the yielded value; %FALSE without an error when the
 *   generator has finished; %FALSE with @error set when the body raised,
 *   the operation was not allowed, or (%G_IO_ERROR_WOULD_BLOCK) the step
 *   goes on
 *
 * Since: 0.1
 */
gboolean
agen_generator_try_next (AgenGenerator  *self,
                         GValue         *value,
                         GError        **error)
{
  AgenTryStep *step;
  AgenOp op;
  gboolean ret;

  g_return_val_if_fail (AGEN_IS_GENERATOR (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (value != NULL)
    *value = (GValue) G_VALUE_INIT;

  if (!on_owner_thread (self, error))
    goto none;

  /* A step that went on and has ended: its outcome is the next one. */
  if (self->try_step != NULL && self->try_step->done)
    {
      step = g_steal_pointer (&self->try_step);
      ret = agen_op_propagate (&step->op, value, error);
      try_step_free (step);
      return ret;
    }

  if (g_atomic_int_get (&self->async_outstanding) > 0)
    {
      g_set_error (error, AGEN_ERROR, AGEN_ERROR_RUNNING,
                   _("Generator “%s” has an operation whose callback has not run yet"),
                   agen_generator_display_name (self));
      goto none;
    }

  agen_op_init (&op, AGEN_OP_NEXT, NULL, NULL, NULL, try_op_complete_in_call);
  op.caller_waits = TRUE;
  op.cancellable_on_demand = TRUE;
  agen_generator_start_op (self, &op);

  if (op.outcome != AGEN_OP_PENDING)
    {
      ret = agen_op_propagate (&op, value, error);
      agen_op_clear (&op);
      return ret;
    }

  /* The body awaits: the step goes on, out of this frame. Nothing but
   * self->op refers to op while its body awaits or a driven step waits
   * for its answer. */
  g_assert (self->op == &op);
  step = g_new0 (AgenTryStep, 1);
  step->op = op;
  step->op.complete = try_step_complete;
  step->self = g_object_ref (self);
  self->op = &step->op;
  self->try_step = step;

  g_set_error (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK,
               _("Generator “%s” is awaiting; wait for its item with agen_generator_wait_async()"),
               agen_generator_display_name (self));

none:
  if (value != NULL)
    agen_value_init_none (value);
  return FALSE;
}

static void
forward_cancel (GCancellable *cancellable,
                gpointer      step_cancellable)
{
  g_cancellable_cancel (step_cancellable);
}

/**
 * agen_generator_wait_async:
 * @self: a generator
 * @cancellable: (nullable): a cancellable; cancelling it cancels the
 *   step's cancellable, which the body sees
 * @callback: (scope async) (closure user_data): called when the step
 *   has yielded, finished or failed
 * @user_data: data for @callback
 *
 * Waits for the step that [method@Generator.try_next] left going on
 * (%G_IO_ERROR_WOULD_BLOCK), from the thread of @self's owner context.
 * Finish with [method@Generator.wait_finish].
 *
 * Cancelling @cancellable does not end the wait by itself: the body sees
 * its step cancelled, and the wait completes with whatever the body then
 * does, so that a value it yields after handling the cancellation is not
 * lost.
 *
 * Without such a step, the wait fails with %AGEN_ERROR_FAILED; when
 * another wait is already waiting for it, with %AGEN_ERROR_RUNNING.
 *
 * Since: 0.1
 */
void
agen_generator_wait_async (AgenGenerator       *self,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  AgenTryStep *step;
  AgenResult *result;
  AgenOp *op;
  GError *error = NULL;

  g_return_if_fail (AGEN_IS_GENERATOR (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  result = agen_generator_new_result (self, agen_generator_wait_async, callback, user_data);
  op = agen_result_get_op (result);
  agen_op_init (op, AGEN_OP_NEXT, NULL, NULL, NULL, agen_result_complete_op);

  step = self->try_step;
  if (!on_owner_thread (self, &error))
    ;
  else if (step == NULL)
    g_set_error (&error, AGEN_ERROR, AGEN_ERROR_FAILED,
                 _("Generator “%s” has no step of agen_generator_try_next() to wait for"),
                 agen_generator_display_name (self));
  else if (step->waiter != NULL)
    g_set_error (&error, AGEN_ERROR, AGEN_ERROR_RUNNING,
                 _("The step of generator “%s” already has a wait"),
                 agen_generator_display_name (self));

  if (error != NULL)
    {
      agen_op_take_error (op, error);
      agen_result_complete_op (op);
      return;
    }

  if (step->done)
    {
      self->try_step = NULL;
      try_step_deliver (step, result);
      return;
    }

  step->waiter = result;
  if (cancellable != NULL)
    {
      GCancellable *step_cancellable = agen_op_get_cancellable (&step->op);

      /* A plain signal handler rather than g_cancellable_connect(): the
       * step may end, and disconnect, inside this very emission. */
      step->wait_cancellable = g_object_ref (cancellable);
      step->wait_handler = g_signal_connect_data (cancellable, "cancelled",
                                                  G_CALLBACK (forward_cancel),
                                                  g_object_ref (step_cancellable),
                                                  (GClosureNotify) (void (*) (void)) g_object_unref,
                                                  0);
      if (g_cancellable_is_cancelled (cancellable))
        g_cancellable_cancel (step_cancellable);
    }
}

/**
 * agen_generator_wait_finish:
 * @self: a generator
 * @result: the result passed to the callback
 * @value: (out caller-allocates) (optional): return location for the
 *   yielded value; always initialised, to None when nothing was yielded
 * @error: return location for an error
 *
 * Finishes [method@Generator.wait_async].
 *
 * Returns: %TRUE with the yielded value; %FALSE without an error when the
 *   generator has finished; %FALSE with @error set when the body raised or
 *   the wait was not allowed
 *
 * Since: 0.1
 */
gboolean
agen_generator_wait_finish (AgenGenerator  *self,
                            GAsyncResult   *result,
                            GValue         *value,
                            GError        **error)
{
  g_return_val_if_fail (AGEN_IS_GENERATOR (self), FALSE);

  return agen_generator_finish_op (self, result, agen_generator_wait_async, value, error);
}
