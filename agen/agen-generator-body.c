/* agen-generator-body.c — what a generator's body calls: yield,
 * yield_from, await, the return value, the step's cancellable
 *
 * Copyright 2026 The agen authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <glib/gi18n-lib.h>

#include "agen-batch-private.h"
#include "agen-error.h"
#include "agen-generator-impl-private.h"
#include "agen-values.h"

const char *
agen_generator_exit_message (void)
{
  static gsize message;

  if (g_once_init_enter (&message))
    g_once_init_leave (&message, (gsize) _("The generator is being closed"));

  return (const char *) message;
}

static gboolean
wrong_context (AgenGenerator  *self,
               const char     *what,
               GError        **error)
{
  g_set_error (error, AGEN_ERROR, AGEN_ERROR_WRONG_CONTEXT,
               _("%s may only be called from the body of generator “%s”"),
               what, agen_generator_display_name (self));
  return FALSE;
}

/* A yield that cannot be carried out, for one of the two reasons a body
 * gets wrong (agen_generator_yield() checks both before calling): an unset
 * GValue, which is a GError saying what to pass instead, and a yield with
 * *error already set, which means an earlier yield (or await) failed and
 * the body went on as if it had not: that error is named, since it is the
 * cause of everything that follows. */
gboolean
agen_generator_yield_misused (AgenGenerator  *self,
                              const GValue   *value,
                              GError        **error,
                              const char     *what)
{
  if (error != NULL && *error != NULL)
    {
      /* A programmer error: a critical, untranslated like the others. */
      g_critical ("%s: the body of generator '%s' went on after a failed call "
                  "and yielded again with its error still set; the earlier "
                  "failure was: %s (%s, %d). A body must stop when a yield "
                  "returns FALSE, normally returning FALSE itself.",
                  what, agen_generator_display_name (self), (*error)->message,
                  g_quark_to_string ((*error)->domain), (*error)->code);
      return FALSE;
    }

  g_assert (value != NULL && G_VALUE_TYPE (value) == G_TYPE_INVALID);
  g_set_error (error, AGEN_ERROR, AGEN_ERROR_FAILED,
               _("%s: the body of generator “%s” yielded an unset GValue; "
                 "pass NULL to yield None"),
               what, agen_generator_display_name (self));
  return FALSE;
}

/* The batch a yield may go straight into, or NULL. */
G_ALWAYS_INLINE static inline AgenBatch *
agen_generator_open_batch (AgenGenerator *self)
{
  AgenBatch *batch = self->op->batch;

  if (batch == NULL || !agen_batch_has_room (batch))
    return NULL;

  return batch;
}

/* The yield itself. value is moved (NULL = None). On return, *sent (if
 * given) is initialised. */
G_ALWAYS_INLINE static inline gboolean
agen_generator_yield_take (AgenGenerator  *self,
                           GValue         *value,
                           GValue         *sent,
                           GError        **error)
{
  AgenOp *op;
  AgenBatch *batch;

  batch = agen_generator_open_batch (self);
  if (batch != NULL)
    {
      agen_batch_append (batch, value);
      if (sent != NULL)
        agen_value_init_none (sent);
      return TRUE;
    }

  op = g_steal_pointer (&self->op);
  agen_generator_set_yielded (self, op, value);
  self->completed_op = op;

  /* Inline, and so is this function: the body's call returns from
   * here without a frame in between (see
   * agen-fiber-inline-private.h). */
  agen_fiber_switch_out (self->fiber, FALSE);

  /* Resumed by agen_generator_run_op with the next op. */
  op = self->op;

  switch (op->kind)
    {
    case AGEN_OP_SEND:
      if (sent != NULL)
        agen_value_copy_into (&op->in_value, sent);
      return TRUE;

    case AGEN_OP_THROW:
      if (sent != NULL)
        agen_value_init_none (sent);
      g_propagate_error (error, g_error_copy (op->in_error));
      return FALSE;

    case AGEN_OP_CLOSE:
      if (sent != NULL)
        agen_value_init_none (sent);
      /* Every close of a suspended generator makes one: a fixed message,
       * translated once, keeps gettext and printf off that path. */
      g_set_error_literal (error, AGEN_ERROR, AGEN_ERROR_EXIT, agen_generator_exit_message ());
      return FALSE;

    case AGEN_OP_NEXT:
    default:
      if (sent != NULL)
        agen_value_init_none (sent);
      return TRUE;
    }
}

/**
 * agen_generator_yield: (skip)
 * @self: the generator whose body is calling
 * @value: (nullable): the value to hand out (copied); %NULL yields None
 * @sent: (out caller-allocates) (optional): return location for the value
 *   sent in; None for a next; always initialised
 * @error: return location for the error thrown in
 *
 * Hands @value to the operation in progress, which completes with it, and
 * pauses the body until the next operation resumes it.
 *
 * Only from inside @self's own body; elsewhere it fails with
 * %AGEN_ERROR_WRONG_CONTEXT.
 *
 * Returns: %TRUE when resumed by a next or send; %FALSE with @error set to
 *   the error thrown in, or to %AGEN_ERROR_EXIT for a close. The body
 *   should then clean up and normally return %FALSE propagating it.
 *
 * Since: 0.1
 */
gboolean
agen_generator_yield (AgenGenerator  *self,
                      const GValue   *value,
                      GValue         *sent,
                      GError        **error)
{
  GValue copy = G_VALUE_INIT;
  AgenBatch *batch;

  g_return_val_if_fail (AGEN_GENERATOR_IS_EXACTLY (self), FALSE);

  /* Two mistakes whose first message must name the cause: one compare
   * each on the per-item path. Not G_IS_VALUE(): that is a type-system
   * lookup per item. */
  if (G_UNLIKELY ((value != NULL && G_VALUE_TYPE (value) == G_TYPE_INVALID) ||
                  (error != NULL && *error != NULL)))
    {
      if (sent != NULL)
        agen_value_init_none (sent);
      return agen_generator_yield_misused (self, value, error, "agen_generator_yield()");
    }

  if (!agen_generator_in_own_body (self))
    {
      if (sent != NULL)
        agen_value_init_none (sent);
      return wrong_context (self, "agen_generator_yield()", error);
    }

  batch = agen_generator_open_batch (self);
  if (batch != NULL)
    {
      agen_batch_append_copy (batch, value);
      if (sent != NULL)
        agen_value_init_none (sent);
      return TRUE;
    }

  if (value != NULL)
    agen_value_copy_into (value, &copy);

  return agen_generator_yield_take (self, value != NULL ? &copy : NULL, sent, error);
}

/**
 * agen_generator_yield_from: (skip)
 * @self: the generator whose body is calling
 * @inner: the generator to delegate to
 * @return_value: (out caller-allocates) (optional): return location for
 *   @inner's return value; always initialised
 * @error: return location for an error
 *
 * Delegates to @inner until it finishes, like Python's `yield from`: its
 * values go out as if @self yielded them, and what @self's consumer does
 * is forwarded: next and send to @inner, a throw into it, a close (or a
 * throw of %AGEN_ERROR_EXIT) closes it and then raises %AGEN_ERROR_EXIT
 * here. Each of @inner's operations gets this step's cancellable.
 *
 * Only from inside @self's own body; elsewhere it fails with
 * %AGEN_ERROR_WRONG_CONTEXT.
 *
 * Returns: %TRUE with @inner's return value (None if it set none) when it
 *   finished; %FALSE with @error set when it raised, when @self was
 *   closed, or when closing @inner failed
 *
 * Since: 0.1
 */
gboolean
agen_generator_yield_from (AgenGenerator  *self,
                           AgenGenerator  *inner,
                           GValue         *return_value,
                           GError        **error)
{
  AgenOpKind kind = AGEN_OP_NEXT;
  GValue send_value = G_VALUE_INIT;
  GError *throw_error = NULL;

  g_return_val_if_fail (AGEN_IS_GENERATOR (self), FALSE);
  g_return_val_if_fail (AGEN_IS_GENERATOR (inner), FALSE);

  if (return_value != NULL)
    agen_value_init_none (return_value);

  if (error != NULL && *error != NULL)
    return agen_generator_yield_misused (self, NULL, error, "agen_generator_yield_from()");

  if (!agen_generator_in_own_body (self))
    return wrong_context (self, "agen_generator_yield_from()", error);

  for (;;)
    {
      GCancellable *cancellable = agen_generator_get_cancellable (self);
      GValue item = G_VALUE_INIT;
      GValue sent = G_VALUE_INIT;
      GError *inner_error = NULL;
      GError *resume_error = NULL;
      gboolean yielded;

      yielded = agen_generator_run_blocking (inner, kind,
                                             kind == AGEN_OP_SEND ? &send_value : NULL,
                                             throw_error, cancellable,
                                             &item, &inner_error);
      agen_value_clear (&send_value);
      g_clear_error (&throw_error);

      if (!yielded)
        {
          g_value_unset (&item);
          if (inner_error != NULL)
            {
              g_propagate_error (error, inner_error);
              return FALSE;
            }

          if (return_value != NULL)
            {
              g_value_unset (return_value);
              agen_generator_get_return_value (inner, return_value);
            }
          return TRUE;
        }

      if (agen_generator_yield_take (self, &item, &sent, &resume_error))
        {
          if (agen_value_is_none (&sent))
            {
              kind = AGEN_OP_NEXT;
              g_value_unset (&sent);
            }
          else
            {
              kind = AGEN_OP_SEND;
              send_value = sent;
            }
          continue;
        }

      g_value_unset (&sent);

      if (g_error_matches (resume_error, AGEN_ERROR, AGEN_ERROR_EXIT))
        {
          GError *close_error = NULL;

          /* Close the inner rather than throwing into it, as the
           * async_generator library does; its failure wins. */
          if (!agen_generator_close (inner, agen_generator_get_cancellable (self),
                                     &close_error))
            {
              g_clear_error (&resume_error);
              g_propagate_error (error, close_error);
              return FALSE;
            }

          g_propagate_error (error, resume_error);
          return FALSE;
        }

      kind = AGEN_OP_THROW;
      throw_error = resume_error;
    }
}

/**
 * agen_generator_set_return_value: (skip)
 * @self: the generator whose body is calling
 * @value: (nullable): the value (copied); %NULL clears it
 *
 * Sets what [method@Generator.get_return_value] and a delegating
 * [method@Generator.yield_from] get once the body returns %TRUE. Only
 * from inside @self's own body.
 *
 * Since: 0.1
 */
void
agen_generator_set_return_value (AgenGenerator *self,
                                 const GValue  *value)
{
  g_return_if_fail (AGEN_IS_GENERATOR (self));
  g_return_if_fail (value == NULL || G_IS_VALUE (value));

  if (!agen_generator_in_own_body (self))
    {
      g_critical ("agen_generator_set_return_value() may only be called from "
                  "the body of generator '%s'", agen_generator_display_name (self));
      return;
    }

  if (G_IS_VALUE (&self->return_value))
    g_value_unset (&self->return_value);

  if (value != NULL)
    {
      g_value_init (&self->return_value, G_VALUE_TYPE (value));
      g_value_copy (value, &self->return_value);
    }
}

/**
 * agen_generator_get_cancellable: (skip)
 * @self: the generator whose body is calling
 *
 * Gets the cancellable of the current step: the one passed to the
 * operation that started or resumed the body. Pass it to what the body
 * awaits, so that cancelling the operation makes that await fail with
 * %G_IO_ERROR_CANCELLED where the body waits. The body decides what
 * follows; a value it yields is never lost.
 *
 * Returns: (nullable) (transfer none): the step's cancellable, or %NULL
 *
 * Since: 0.1
 */
GCancellable *
agen_generator_get_cancellable (AgenGenerator *self)
{
  g_return_val_if_fail (AGEN_IS_GENERATOR (self), NULL);

  if (self->op == NULL)
    return NULL;

  return agen_op_get_cancellable (self->op);
}

/**
 * agen_generator_prepare_await: (skip)
 * @self: the generator whose body is calling
 *
 * Announces one result for @self's body to take with
 * [method@Generator.await]: returns @self, with a reference that
 * [func@Generator.resume_callback] releases when the result arrives. So
 * an operation still pending when the body ends (an early return on an
 * error path, say) finds its generator alive, and a result nobody
 * announced is refused.
 *
 * [func@AWAIT_CALLBACK] calls it; call it yourself only where the callback
 * and its data are passed separately. Only from inside @self's own body;
 * elsewhere it logs a critical and returns @self without a reference.
 *
 * Returns: (transfer full): @self, the user data for
 *   [func@Generator.resume_callback]
 *
 * Since: 0.1
 */
gpointer
agen_generator_prepare_await (AgenGenerator *self)
{
  g_return_val_if_fail (AGEN_IS_GENERATOR (self), self);

  if (!agen_generator_in_own_body (self))
    {
      g_critical ("AGEN_AWAIT_CALLBACK() may only be used in the body of "
                  "generator '%s'", agen_generator_display_name (self));
      return self;
    }

  g_atomic_int_inc (&self->awaits_prepared);
  return g_object_ref (self);
}

/* Takes one announced result, if there is one: its reference passes to
 * the caller. */
static gboolean
take_prepared_await (AgenGenerator *self)
{
  int prepared = g_atomic_int_get (&self->awaits_prepared);

  while (prepared > 0)
    {
      if (g_atomic_int_compare_and_exchange_full (&self->awaits_prepared,
                                                  prepared, prepared - 1,
                                                  &prepared))
        return TRUE;
    }

  return FALSE;
}

/* Hands result to the body, on the owner's thread: resumes it if it waits
 * in agen_generator_await(), keeps it for its next await otherwise. A
 * body that has ended will never await it: then it is dropped. */
static void
agen_generator_deliver_await (AgenGenerator *self,
                              GAsyncResult  *result)
{
  if (self->fiber == NULL)
    return;

  if (self->await_pending != NULL)
    {
      g_critical ("Generator '%s' was resumed by a second result before it "
                  "awaited the first", agen_generator_display_name (self));
      return;
    }

  self->await_pending = g_object_ref (result);

  if (!self->awaiting)
    return;   /* delivered before the body got to its await */

  self->awaiting = FALSE;
  agen_generator_resume_fiber (self);
}

typedef struct
{
  AgenGenerator *self;     /* owned */
  GAsyncResult  *result;   /* owned */
} AwaitDelivery;

/* An AgenInvokeFunc: a result that arrived on another thread. */
static void
await_delivery_run (gpointer data)
{
  AwaitDelivery *delivery = data;

  agen_generator_deliver_await (delivery->self, delivery->result);
  g_object_unref (delivery->result);
  g_object_unref (delivery->self);
  g_free (delivery);
}

/**
 * agen_generator_resume_callback: (skip)
 * @source: (nullable): the source object of the operation
 * @result: its result
 * @self: (type AgenGenerator): what [method@Generator.prepare_await]
 *   returned
 *
 * The [callback@Gio.AsyncReadyCallback] to pass, with the data
 * [method@Generator.prepare_await] returns, to a GIO `_async` call whose
 * result the body then takes with [method@Generator.await];
 * [func@AWAIT_CALLBACK] spells both.
 *
 * A result that was not announced that way is accepted only while the
 * body is running (passing the generator itself as the data, without
 * [method@Generator.prepare_await], is how earlier code did it, and then
 * the generator must outlive the operation); otherwise, on a suspended,
 * finished or unstarted generator, it is refused with a critical.
 *
 * Since: 0.1
 */
void
agen_generator_resume_callback (GObject      *source,
                                GAsyncResult *result,
                                gpointer      self_ptr)
{
  AgenGenerator *self = self_ptr;
  gboolean owns_ref;

  g_return_if_fail (AGEN_IS_GENERATOR (self));
  g_return_if_fail (G_IS_ASYNC_RESULT (result));

  owns_ref = take_prepared_await (self);
  if (!owns_ref &&
      g_atomic_int_get (&self->state) != AGEN_GENERATOR_STATE_RUNNING)
    {
      g_critical ("Generator '%s' got a result it was not awaiting "
                  "(not from AGEN_AWAIT_CALLBACK() in its body, or delivered twice)",
                  agen_generator_display_name (self));
      return;
    }

  if (!agen_dispatcher_is_current_thread (self->owner))
    {
      AwaitDelivery *delivery = g_new (AwaitDelivery, 1);

      delivery->self = owns_ref ? self : g_object_ref (self);
      delivery->result = g_object_ref (result);
      agen_dispatcher_invoke (self->owner, await_delivery_run, delivery);
      return;
    }

  agen_generator_deliver_await (self, result);
  if (owns_ref)
    g_object_unref (self);
}

/**
 * agen_generator_await: (skip)
 * @self: the generator whose body is calling
 *
 * Pauses the body until the operation started with
 * [func@AWAIT_CALLBACK] (@self) completes, and returns its result, to pass
 * to that operation's `_finish` function. The generator stays running
 * meanwhile.
 *
 * Only from inside @self's own body; elsewhere it logs a critical and
 * returns %NULL.
 *
 * Returns: (transfer none) (nullable): the result, valid until the next
 *   await
 *
 * Since: 0.1
 */
GAsyncResult *
agen_generator_await (AgenGenerator *self)
{
  g_return_val_if_fail (AGEN_IS_GENERATOR (self), NULL);

  if (!agen_generator_in_own_body (self))
    {
      g_critical ("agen_generator_await() may only be called from the body "
                  "of generator '%s'", agen_generator_display_name (self));
      return NULL;
    }

  g_clear_object (&self->await_current);

  if (self->await_pending == NULL)
    {
      self->awaiting = TRUE;
      agen_fiber_suspend ();
    }

  self->await_current = g_steal_pointer (&self->await_pending);
  return self->await_current;
}

/* Typed yields (agen-values.h) -------------------------------------------- */

/* agen_generator_yield() for a value the caller made: moved, not copied.
 * Inline, so that each public typed yield reaches the switch itself, as
 * agen_generator_yield() does. */
G_ALWAYS_INLINE static inline gboolean
yield_typed_take (AgenGenerator  *self,
                  GValue         *value,
                  const char     *what,
                  GError        **error)
{
  if (G_UNLIKELY (!AGEN_GENERATOR_IS_EXACTLY (self)))
    {
      g_value_unset (value);
      g_return_val_if_fail (AGEN_GENERATOR_IS_EXACTLY (self), FALSE);
    }

  if (G_UNLIKELY (error != NULL && *error != NULL))
    {
      g_value_unset (value);
      return agen_generator_yield_misused (self, NULL, error, what);
    }

  if (!agen_generator_in_own_body (self))
    {
      g_value_unset (value);
      return wrong_context (self, what, error);
    }

  return agen_generator_yield_take (self, value, NULL, error);
}

/**
 * agen_generator_yield_int: (skip)
 * @self: the generator whose body is calling
 * @v: the value
 * @error: return location for the error thrown in
 *
 * Yields @v as a `G_TYPE_INT` value, like [method@Generator.yield]
 * without the sent value: a value sent in is dropped.
 *
 * Returns: %TRUE when resumed by a next or send; %FALSE with @error set
 *   to the error thrown in, or to %AGEN_ERROR_EXIT for a close: the body
 *   should then clean up and return %FALSE
 *
 * Since: 0.1
 */
gboolean
agen_generator_yield_int (AgenGenerator  *self,
                          int             v,
                          GError        **error)
{
  GValue value = G_VALUE_INIT;

  g_value_init (&value, G_TYPE_INT);
  g_value_set_int (&value, v);
  return yield_typed_take (self, &value, "agen_generator_yield_int()", error);
}

/**
 * agen_generator_yield_uint: (skip)
 * @self: the generator whose body is calling
 * @v: the value
 * @error: return location for the error thrown in
 *
 * Yields @v as a `G_TYPE_UINT` value; see [method@Generator.yield_int].
 *
 * Returns: as [method@Generator.yield_int]
 *
 * Since: 0.1
 */
gboolean
agen_generator_yield_uint (AgenGenerator  *self,
                           guint           v,
                           GError        **error)
{
  GValue value = G_VALUE_INIT;

  g_value_init (&value, G_TYPE_UINT);
  g_value_set_uint (&value, v);
  return yield_typed_take (self, &value, "agen_generator_yield_uint()", error);
}

/**
 * agen_generator_yield_int64: (skip)
 * @self: the generator whose body is calling
 * @v: the value
 * @error: return location for the error thrown in
 *
 * Yields @v as a `G_TYPE_INT64` value; see [method@Generator.yield_int].
 *
 * Returns: as [method@Generator.yield_int]
 *
 * Since: 0.1
 */
gboolean
agen_generator_yield_int64 (AgenGenerator  *self,
                            gint64          v,
                            GError        **error)
{
  GValue value = G_VALUE_INIT;

  g_value_init (&value, G_TYPE_INT64);
  g_value_set_int64 (&value, v);
  return yield_typed_take (self, &value, "agen_generator_yield_int64()", error);
}

/**
 * agen_generator_yield_double: (skip)
 * @self: the generator whose body is calling
 * @v: the value
 * @error: return location for the error thrown in
 *
 * Yields @v as a `G_TYPE_DOUBLE` value; see [method@Generator.yield_int].
 *
 * Returns: as [method@Generator.yield_int]
 *
 * Since: 0.1
 */
gboolean
agen_generator_yield_double (AgenGenerator  *self,
                             double          v,
                             GError        **error)
{
  GValue value = G_VALUE_INIT;

  g_value_init (&value, G_TYPE_DOUBLE);
  g_value_set_double (&value, v);
  return yield_typed_take (self, &value, "agen_generator_yield_double()", error);
}

/**
 * agen_generator_yield_boolean: (skip)
 * @self: the generator whose body is calling
 * @v: the value
 * @error: return location for the error thrown in
 *
 * Yields @v as a `G_TYPE_BOOLEAN` value; see [method@Generator.yield_int].
 *
 * Returns: as [method@Generator.yield_int]
 *
 * Since: 0.1
 */
gboolean
agen_generator_yield_boolean (AgenGenerator  *self,
                              gboolean        v,
                              GError        **error)
{
  GValue value = G_VALUE_INIT;

  g_value_init (&value, G_TYPE_BOOLEAN);
  g_value_set_boolean (&value, v);
  return yield_typed_take (self, &value, "agen_generator_yield_boolean()", error);
}

/**
 * agen_generator_yield_string: (skip)
 * @self: the generator whose body is calling
 * @v: (nullable): the string, copied
 * @error: return location for the error thrown in
 *
 * Yields a copy of @v as a `G_TYPE_STRING` value; see
 * [method@Generator.yield_int]. [method@Generator.take_string] saves the
 * copy.
 *
 * Returns: as [method@Generator.yield_int]
 *
 * Since: 0.1
 */
gboolean
agen_generator_yield_string (AgenGenerator  *self,
                             const char     *v,
                             GError        **error)
{
  GValue value = G_VALUE_INIT;

  g_value_init (&value, G_TYPE_STRING);
  g_value_set_string (&value, v);
  return yield_typed_take (self, &value, "agen_generator_yield_string()", error);
}

/**
 * agen_generator_take_string: (skip)
 * @self: the generator whose body is calling
 * @v: (nullable) (transfer full): the string, which the generator takes
 * @error: return location for the error thrown in
 *
 * Yields @v as a `G_TYPE_STRING` value and takes ownership of it, also
 * when the yield fails: `agen_generator_take_string (self,
 * g_strdup_printf (…), error)` copies nothing.
 *
 * Returns: as [method@Generator.yield_int]
 *
 * Since: 0.1
 */
gboolean
agen_generator_take_string (AgenGenerator  *self,
                            char           *v,
                            GError        **error)
{
  GValue value = G_VALUE_INIT;

  g_value_init (&value, G_TYPE_STRING);
  g_value_take_string (&value, v);
  return yield_typed_take (self, &value, "agen_generator_take_string()", error);
}

/**
 * agen_generator_yield_object: (skip)
 * @self: the generator whose body is calling
 * @v: (type GObject) (nullable): the object; %NULL yields None
 * @error: return location for the error thrown in
 *
 * Yields @v, with a reference of its own, as a value of @v's own type
 * (so a consumer can check for it with `G_VALUE_HOLDS`); see
 * [method@Generator.yield_int].
 *
 * Returns: as [method@Generator.yield_int]
 *
 * Since: 0.1
 */
gboolean
agen_generator_yield_object (AgenGenerator  *self,
                             gpointer        v,
                             GError        **error)
{
  GValue value = G_VALUE_INIT;

  g_return_val_if_fail (v == NULL || G_IS_OBJECT (v), FALSE);

  if (v == NULL)
    {
      g_value_init (&value, G_TYPE_POINTER);
    }
  else
    {
      g_value_init (&value, G_OBJECT_TYPE (v));
      g_value_set_object (&value, v);
    }
  return yield_typed_take (self, &value, "agen_generator_yield_object()", error);
}

/**
 * agen_generator_take_object: (skip)
 * @self: the generator whose body is calling
 * @v: (type GObject) (nullable) (transfer full): the object, whose
 *   reference the generator takes; %NULL yields None
 * @error: return location for the error thrown in
 *
 * Yields @v as [method@Generator.yield_object] does, taking the caller's
 * reference, also when the yield fails.
 *
 * Returns: as [method@Generator.yield_int]
 *
 * Since: 0.1
 */
gboolean
agen_generator_take_object (AgenGenerator  *self,
                            gpointer        v,
                            GError        **error)
{
  GValue value = G_VALUE_INIT;

  g_return_val_if_fail (v == NULL || G_IS_OBJECT (v), FALSE);

  if (v == NULL)
    {
      g_value_init (&value, G_TYPE_POINTER);
    }
  else
    {
      g_value_init (&value, G_OBJECT_TYPE (v));
      g_value_take_object (&value, v);
    }
  return yield_typed_take (self, &value, "agen_generator_take_object()", error);
}

/**
 * agen_generator_yield_boxed: (skip)
 * @self: the generator whose body is calling
 * @boxed_type: a boxed type
 * @v: (nullable): the boxed value, copied with g_boxed_copy()
 * @error: return location for the error thrown in
 *
 * Yields a copy of @v as a value of @boxed_type; see
 * [method@Generator.yield_int].
 *
 * Returns: as [method@Generator.yield_int]
 *
 * Since: 0.1
 */
gboolean
agen_generator_yield_boxed (AgenGenerator  *self,
                            GType           boxed_type,
                            gconstpointer   v,
                            GError        **error)
{
  GValue value = G_VALUE_INIT;

  g_return_val_if_fail (G_TYPE_IS_BOXED (boxed_type), FALSE);

  g_value_init (&value, boxed_type);
  g_value_set_boxed (&value, v);
  return yield_typed_take (self, &value, "agen_generator_yield_boxed()", error);
}

/**
 * agen_generator_yield_pointer: (skip)
 * @self: the generator whose body is calling
 * @v: (nullable): the pointer; %NULL yields None
 * @error: return location for the error thrown in
 *
 * Yields @v as a `G_TYPE_POINTER` value; what it points to stays the
 * body's to keep alive. See [method@Generator.yield_int].
 *
 * Returns: as [method@Generator.yield_int]
 *
 * Since: 0.1
 */
gboolean
agen_generator_yield_pointer (AgenGenerator  *self,
                              gpointer        v,
                              GError        **error)
{
  GValue value = G_VALUE_INIT;

  g_value_init (&value, G_TYPE_POINTER);
  g_value_set_pointer (&value, v);
  return yield_typed_take (self, &value, "agen_generator_yield_pointer()", error);
}
