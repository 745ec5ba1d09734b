/* agen-generator-blocking.c — the blocking forms of next, send, throw
 * and close, and how they wait
 *
 * Copyright 2026 The agen authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <glib/gi18n-lib.h>

#include "agen-generator-impl-private.h"
#include "agen-runner-fiber-private.h"
#include "agen-tsan-private.h"
#include "agen-values.h"

typedef struct
{
  AgenOp          op;
  gboolean        done;
  /* Waiting from a fiber: the generator whose body waits, and whether it
   * has suspended (rather than the op completing while it was still in
   * the call). */
  AgenGenerator  *waiter;
  gboolean        waiting;
  /* Waiting from another thread. */
  GMutex          mutex;
  GCond           cond;
  gboolean        cross_thread;
} BlockingOp;

/* An AgenInvokeFunc: resumes a body that waits (for an await or a
 * blocking op), queued on its owner context when the wake-up comes from
 * elsewhere. */
static void
resume_fiber_cb (gpointer data)
{
  agen_generator_resume_fiber (data);
}

static void
blocking_op_complete (AgenOp *op)
{
  BlockingOp *blocking = (BlockingOp *) op;

  if (blocking->cross_thread)
    {
      /* GMutex is invisible to ThreadSanitizer: annotate the handover. */
      g_mutex_lock (&blocking->mutex);
      AGEN_TSAN_ACQUIRE (&blocking->mutex);
      blocking->done = TRUE;
      g_cond_signal (&blocking->cond);
      AGEN_TSAN_RELEASE (&blocking->mutex);
      g_mutex_unlock (&blocking->mutex);
      return;
    }

  blocking->done = TRUE;

  if (blocking->waiting)
    {
      AgenGenerator *waiter = blocking->waiter;

      blocking->waiting = FALSE;
      /* Resume the waiting body right here when we are on its thread's
       * stack; from a fiber (or another context) go through the owner's
       * dispatch source. */
      if (!agen_on_fiber_stack () && agen_dispatcher_is_current_thread (waiter->owner))
        agen_generator_resume_fiber (waiter);
      else
        agen_dispatcher_invoke (waiter->owner, resume_fiber_cb, waiter);
    }
}

static inline void
blocking_op_init (BlockingOp         *blocking,
                  AgenOpKind          kind,
                  const GValue       *in_value,
                  const GError       *in_error,
                  GCancellable       *cancellable)
{
  /* Field by field: zeroing the whole struct (mutex and cond included)
   * shows on the per-item path; agen_op_init() clears the op. */
  blocking->done = FALSE;
  blocking->waiter = NULL;
  blocking->waiting = FALSE;
  blocking->cross_thread = FALSE;

  agen_op_init (&blocking->op, kind, in_value, in_error, cancellable,
                blocking_op_complete);
  blocking->op.caller_waits = TRUE;
}

/* The blocking forms' return: the op's outcome, then the op cleared. */
static inline gboolean
blocking_op_finish (BlockingOp  *blocking,
                    GValue      *value,
                    GError     **error)
{
  gboolean ret;

  if (blocking->op.kind == AGEN_OP_CLOSE)
    ret = agen_op_propagate_close (&blocking->op, error);
  else
    ret = agen_op_propagate (&blocking->op, value, error);
  agen_op_clear (&blocking->op);

  return ret;
}

/* Waits on the owner's thread for a blocking op the body has not
 * completed yet (it awaits something): inside a body, by suspending that
 * body until blocking_op_complete() resumes it; on the thread's stack, by
 * iterating the owner context. */
static void
agen_generator_wait_blocking (AgenGenerator *self,
                              BlockingOp    *blocking)
{
  if (blocking->waiter != NULL)
    {
      blocking->waiting = TRUE;
      agen_fiber_suspend ();
      return;
    }

  while (!blocking->done)
    g_main_context_iteration (agen_dispatcher_get_main_context (self->owner), TRUE);
}

/* Whether the caller runs on self's owner thread (the owner is set).
 * fiber is the current fiber or NULL. A body runs only on its owner's
 * thread, so from inside one of the same owner that needs no lookup. */
static inline gboolean
on_owner_thread (AgenGenerator *self,
                 AgenFiber     *fiber)
{
  if (fiber != NULL &&
      ((AgenGenerator *) fiber->data)->owner == self->owner)
    return TRUE;

  return agen_dispatcher_is_current_thread (self->owner);
}

/* Whether a blocking op may run the body right here, skipping what
 * agen_generator_start_op() and agen_generator_run_op() would only find
 * out: the per-item case of a consumer's loop (a next on a generator
 * suspended at a yield) and the start of every short-lived generator's
 * life (a first next). It holds when the state table says RUN, there is
 * no cancellable to check, the body runs on a fiber and we are on the
 * owner's thread. The state may only be trusted once we know we are on
 * the owner's thread, where it changes; read on another thread it merely
 * sends us down the general path. */
static inline gboolean
can_step_here (AgenGenerator *self,
               AgenOpKind     kind,
               GCancellable  *cancellable,
               AgenFiber     *fiber)
{
  AgenGeneratorState state = g_atomic_int_get (&self->state);

  if (cancellable != NULL || self->driven || self->try_step != NULL ||
      agen_generator_rule (state, kind) != AGEN_RULE_RUN)
    return FALSE;

  if (G_LIKELY (state == AGEN_GENERATOR_STATE_SUSPENDED))
    return on_owner_thread (self, fiber);

  /* A first next: settle the owner, as agen_generator_start_op() would.
   * Its first_iter hook may have done anything, to this generator too:
   * leave that to the state table. Without a stack, the state table
   * reports why. */
  if (g_atomic_pointer_get (&self->owner) == NULL)
    {
      agen_generator_first_op (self);
      if (g_atomic_int_get (&self->state) != AGEN_GENERATOR_STATE_CREATED)
        return FALSE;
    }

  return on_owner_thread (self, fiber) && agen_generator_create_fiber (self, NULL);
}

gboolean
agen_generator_run_blocking (AgenGenerator  *self,
                             AgenOpKind      kind,
                             const GValue   *in_value,
                             const GError   *in_error,
                             GCancellable   *cancellable,
                             GValue         *value,
                             GError        **error)
{
  BlockingOp blocking;
  AgenFiber *fiber = agen_fiber_peek_current ();

  blocking_op_init (&blocking, kind, in_value, in_error, cancellable);

  if (fiber != NULL)
    {
      /* Inside a body: suspend only that body until the op completes. */
      blocking.waiter = fiber->data;

      if (self->owner != NULL && !agen_dispatcher_is_current_thread (self->owner))
        {
          /* Owned by another thread: the completion comes back through
           * our owner context, which cannot run before we suspend, so
           * suspend in any case. */
          blocking.waiting = TRUE;
          agen_generator_start_op (self, &blocking.op);
          agen_fiber_suspend ();
        }
      else
        {
          agen_generator_start_op (self, &blocking.op);
          if (!blocking.done)
            agen_generator_wait_blocking (self, &blocking);
        }
      g_assert (blocking.done);
    }
  else
    {
      /* Whether the op will run here is only known after the first-op
       * bookkeeping, so settle the owner first (unless the op is refused
       * for its cancellable, which must not record one). */
      if (g_atomic_pointer_get (&self->owner) == NULL &&
          !(cancellable != NULL && g_cancellable_is_cancelled (cancellable)))
        agen_generator_first_op (self);

      if (self->owner != NULL && !agen_dispatcher_is_current_thread (self->owner))
        {
          blocking.cross_thread = TRUE;
          g_mutex_init (&blocking.mutex);
          g_cond_init (&blocking.cond);
        }

      agen_generator_start_op (self, &blocking.op);

      if (blocking.cross_thread)
        {
          g_mutex_lock (&blocking.mutex);
          AGEN_TSAN_ACQUIRE (&blocking.mutex);
          while (!blocking.done)
            {
              AGEN_TSAN_RELEASE (&blocking.mutex);
              g_cond_wait (&blocking.cond, &blocking.mutex);
              AGEN_TSAN_ACQUIRE (&blocking.mutex);
            }
          AGEN_TSAN_RELEASE (&blocking.mutex);
          g_mutex_unlock (&blocking.mutex);
          g_mutex_clear (&blocking.mutex);
          g_cond_clear (&blocking.cond);
        }
      else if (!blocking.done)
        {
          agen_generator_wait_blocking (self, &blocking);
        }
    }

  return blocking_op_finish (&blocking, value, error);
}

/* A blocking op when can_step_here() holds: straight into the body,
 * with no frame between the caller and the switch (inlined into the
 * blocking forms). The per-item case of a consumer's loop, a next or a
 * send, is what it is for; a close or throw merely skips the state table
 * too. fiber is the current fiber or NULL. */
G_ALWAYS_INLINE static inline gboolean
agen_generator_step_here (AgenGenerator  *self,
                          AgenOpKind      kind,
                          const GValue   *in_value,
                          const GError   *in_error,
                          AgenFiber      *fiber,
                          GValue         *value,
                          GError        **error)
{
  BlockingOp blocking;

  blocking_op_init (&blocking, kind, in_value, in_error, NULL);
  if (fiber != NULL)
    blocking.waiter = fiber->data;

  self->op = &blocking.op;
  agen_generator_set_state (self, AGEN_GENERATOR_STATE_RUNNING);
  agen_generator_resume_fiber_inline (self);

  /* Unless the body awaits something before it yields. */
  if (!blocking.done)
    agen_generator_wait_blocking (self, &blocking);

  return blocking_op_finish (&blocking, value, error);
}

/* Every blocking form: the direct path when it applies (a generator that
 * has not started only for a next: a send, throw or close of one has its
 * own rules in the state table), the general one otherwise. Inline, so
 * that the public function itself reaches the switch. */
G_ALWAYS_INLINE static inline gboolean
agen_generator_blocking (AgenGenerator  *self,
                         AgenOpKind      kind,
                         const GValue   *in_value,
                         const GError   *in_error,
                         GCancellable   *cancellable,
                         GValue         *value,
                         GError        **error)
{
  AgenFiber *fiber = agen_fiber_peek_current ();

  if (G_LIKELY (can_step_here (self, kind, cancellable, fiber)))
    return agen_generator_step_here (self, kind, in_value, in_error, fiber, value, error);

  return agen_generator_run_blocking (self, kind, in_value, in_error,
                                      cancellable, value, error);
}


/**
 * agen_generator_next:
 * @self: a generator
 * @cancellable: (nullable): a cancellable
 * @value: (out caller-allocates) (optional): return location for the yielded
 *   value; always initialised
 * @error: return location for an error
 *
 * The blocking form of [method@Generator.next_async], with the same
 * results. Called inside a generator's body, it suspends only that body
 * (no thread blocks, no main loop is nested). Called from plain code, it
 * blocks the calling thread until done, iterating the generator's owner
 * context meanwhile if that is the calling thread's thread-default
 * context. A body calling it on its own generator gets
 * %AGEN_ERROR_RUNNING.
 *
 * Returns: as [method@Generator.next_finish]
 *
 * Since: 0.1
 */
gboolean
agen_generator_next (AgenGenerator  *self,
                     GCancellable   *cancellable,
                     GValue         *value,
                     GError        **error)
{
  g_return_val_if_fail (AGEN_GENERATOR_IS_EXACTLY (self), FALSE);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return agen_generator_blocking (self, AGEN_OP_NEXT, NULL, NULL,
                                  cancellable, value, error);
}

/**
 * agen_generator_send:
 * @self: a generator
 * @in_value: (nullable): the value to send; %NULL or None is a next
 * @cancellable: (nullable): a cancellable
 * @value: (out caller-allocates) (optional): return location for the yielded
 *   value; always initialised
 * @error: return location for an error
 *
 * The blocking form of [method@Generator.send_async]; see
 * [method@Generator.next] for where it may block.
 *
 * Returns: as [method@Generator.next_finish]
 *
 * Since: 0.1
 */
gboolean
agen_generator_send (AgenGenerator  *self,
                     const GValue   *in_value,
                     GCancellable   *cancellable,
                     GValue         *value,
                     GError        **error)
{
  g_return_val_if_fail (AGEN_GENERATOR_IS_EXACTLY (self), FALSE);
  g_return_val_if_fail (in_value == NULL || G_IS_VALUE (in_value), FALSE);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return agen_generator_blocking (self, AGEN_OP_SEND, in_value, NULL,
                                  cancellable, value, error);
}

/**
 * agen_generator_throw:
 * @self: a generator
 * @in_error: the error to raise in the body (copied)
 * @cancellable: (nullable): a cancellable
 * @value: (out caller-allocates) (optional): return location for the yielded
 *   value; always initialised
 * @error: return location for an error
 *
 * The blocking form of [method@Generator.throw_async]; see
 * [method@Generator.next] for where it may block.
 *
 * Returns: as [method@Generator.next_finish]
 *
 * Since: 0.1
 */
gboolean
agen_generator_throw (AgenGenerator  *self,
                      const GError   *in_error,
                      GCancellable   *cancellable,
                      GValue         *value,
                      GError        **error)
{
  g_return_val_if_fail (AGEN_IS_GENERATOR (self), FALSE);
  g_return_val_if_fail (in_error != NULL, FALSE);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return agen_generator_blocking (self, AGEN_OP_THROW, NULL, in_error,
                                  cancellable, value, error);
}

/**
 * agen_generator_close:
 * @self: a generator
 * @cancellable: (nullable): a cancellable
 * @error: return location for an error
 *
 * The blocking form of [method@Generator.close_async]; see
 * [method@Generator.next] for where it may block.
 *
 * Returns: as [method@Generator.close_finish]
 *
 * Since: 0.1
 */
gboolean
agen_generator_close (AgenGenerator  *self,
                      GCancellable   *cancellable,
                      GError        **error)
{
  g_return_val_if_fail (AGEN_IS_GENERATOR (self), FALSE);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return agen_generator_blocking (self, AGEN_OP_CLOSE, NULL, NULL,
                                  cancellable, NULL, error);
}

/* Typed reads (agen-values.h) --------------------------------------------- */

static gboolean
is_number_type (GType type)
{
  switch (G_TYPE_FUNDAMENTAL (type))
    {
    case G_TYPE_CHAR:
    case G_TYPE_UCHAR:
    case G_TYPE_INT:
    case G_TYPE_UINT:
    case G_TYPE_LONG:
    case G_TYPE_ULONG:
    case G_TYPE_INT64:
    case G_TYPE_UINT64:
    case G_TYPE_FLOAT:
    case G_TYPE_DOUBLE:
      return TRUE;
    default:
      return FALSE;
    }
}

/* What a typed read got when it is not exactly of the type wanted: a
 * value of a derived type, None where none_ok, or a number converted;
 * otherwise an error. got is moved into *value or unset. Out of line: the
 * exact type is the per-item path. */
static gboolean
read_other_type (AgenGenerator  *self,
                 GValue         *got,
                 GType           want,
                 gboolean        none_ok,
                 GValue         *value,
                 GError        **error)
{
  if (G_VALUE_HOLDS (got, want) || (none_ok && agen_value_is_none (got)))
    {
      *value = *got;
      return TRUE;
    }

  if (is_number_type (want) && is_number_type (G_VALUE_TYPE (got)))
    {
      g_value_init (value, want);
      if (g_value_transform (got, value))
        {
          g_value_unset (got);
          return TRUE;
        }
      g_value_unset (value);
    }

  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
               _("Generator “%s” yielded a value of type %s where %s was expected"),
               agen_generator_display_name (self),
               G_VALUE_TYPE_NAME (got), g_type_name (want));
  g_value_unset (got);
  return FALSE;
}

/* The blocking next, its value checked against want. TRUE: *value holds
 * a want (converted from another number type if need be), or None where
 * none_ok. Inline, so that each public typed read reaches the switch
 * itself, as agen_generator_next() does. */
G_ALWAYS_INLINE static inline gboolean
next_typed (AgenGenerator  *self,
            GCancellable   *cancellable,
            GType           want,
            gboolean        none_ok,
            GValue         *value,
            GError        **error)
{
  GValue got = G_VALUE_INIT;

  g_return_val_if_fail (AGEN_GENERATOR_IS_EXACTLY (self), FALSE);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!agen_generator_blocking (self, AGEN_OP_NEXT, NULL, NULL, cancellable, &got, error))
    {
      g_value_unset (&got);
      return FALSE;
    }

  if (G_LIKELY (G_VALUE_TYPE (&got) == want))
    {
      *value = got;
      return TRUE;
    }

  return read_other_type (self, &got, want, none_ok, value, error);
}

/**
 * agen_generator_next_int: (skip)
 * @self: a generator
 * @cancellable: (nullable): a cancellable
 * @out: (out): return location for the value; 0 when there is none
 * @error: return location for an error
 *
 * The blocking [method@Generator.next], for a generator that yields
 * ints: no [struct@GObject.Value] to initialise and unset. A yielded
 * number of another type is converted, as g_value_transform() does; any
 * other value fails with %G_IO_ERROR_INVALID_DATA (the item is lost).
 *
 * ```c
 * int n;
 *
 * while (agen_generator_next_int (gen, NULL, &n, &error))
 *   total += n;
 * if (error != NULL)
 *   …
 * ```
 *
 * Returns: %TRUE with @out set; %FALSE with no error when the generator
 *   has finished; %FALSE with @error set when it raised or yielded
 *   something else
 *
 * Since: 0.1
 */
gboolean
agen_generator_next_int (AgenGenerator  *self,
                         GCancellable   *cancellable,
                         int            *out,
                         GError        **error)
{
  GValue value = G_VALUE_INIT;

  g_return_val_if_fail (out != NULL, FALSE);

  *out = 0;
  if (!next_typed (self, cancellable, G_TYPE_INT, FALSE, &value, error))
    return FALSE;
  *out = g_value_get_int (&value);
  return TRUE;
}

/**
 * agen_generator_next_uint: (skip)
 * @self: a generator
 * @cancellable: (nullable): a cancellable
 * @out: (out): return location for the value; 0 when there is none
 * @error: return location for an error
 *
 * [method@Generator.next_int] for `guint`.
 *
 * Returns: as [method@Generator.next_int]
 *
 * Since: 0.1
 */
gboolean
agen_generator_next_uint (AgenGenerator  *self,
                          GCancellable   *cancellable,
                          guint          *out,
                          GError        **error)
{
  GValue value = G_VALUE_INIT;

  g_return_val_if_fail (out != NULL, FALSE);

  *out = 0;
  if (!next_typed (self, cancellable, G_TYPE_UINT, FALSE, &value, error))
    return FALSE;
  *out = g_value_get_uint (&value);
  return TRUE;
}

/**
 * agen_generator_next_int64: (skip)
 * @self: a generator
 * @cancellable: (nullable): a cancellable
 * @out: (out): return location for the value; 0 when there is none
 * @error: return location for an error
 *
 * [method@Generator.next_int] for `gint64`.
 *
 * Returns: as [method@Generator.next_int]
 *
 * Since: 0.1
 */
gboolean
agen_generator_next_int64 (AgenGenerator  *self,
                           GCancellable   *cancellable,
                           gint64         *out,
                           GError        **error)
{
  GValue value = G_VALUE_INIT;

  g_return_val_if_fail (out != NULL, FALSE);

  *out = 0;
  if (!next_typed (self, cancellable, G_TYPE_INT64, FALSE, &value, error))
    return FALSE;
  *out = g_value_get_int64 (&value);
  return TRUE;
}

/**
 * agen_generator_next_double: (skip)
 * @self: a generator
 * @cancellable: (nullable): a cancellable
 * @out: (out): return location for the value; 0 when there is none
 * @error: return location for an error
 *
 * [method@Generator.next_int] for `double`.
 *
 * Returns: as [method@Generator.next_int]
 *
 * Since: 0.1
 */
gboolean
agen_generator_next_double (AgenGenerator  *self,
                            GCancellable   *cancellable,
                            double         *out,
                            GError        **error)
{
  GValue value = G_VALUE_INIT;

  g_return_val_if_fail (out != NULL, FALSE);

  *out = 0;
  if (!next_typed (self, cancellable, G_TYPE_DOUBLE, FALSE, &value, error))
    return FALSE;
  *out = g_value_get_double (&value);
  return TRUE;
}

/**
 * agen_generator_next_boolean: (skip)
 * @self: a generator
 * @cancellable: (nullable): a cancellable
 * @out: (out): return location for the value; %FALSE when there is none
 * @error: return location for an error
 *
 * [method@Generator.next_int] for `gboolean`; only boolean values are
 * accepted.
 *
 * Returns: as [method@Generator.next_int]
 *
 * Since: 0.1
 */
gboolean
agen_generator_next_boolean (AgenGenerator  *self,
                             GCancellable   *cancellable,
                             gboolean       *out,
                             GError        **error)
{
  GValue value = G_VALUE_INIT;

  g_return_val_if_fail (out != NULL, FALSE);

  *out = FALSE;
  if (!next_typed (self, cancellable, G_TYPE_BOOLEAN, FALSE, &value, error))
    return FALSE;
  *out = g_value_get_boolean (&value);
  return TRUE;
}

/**
 * agen_generator_next_string: (skip)
 * @self: a generator
 * @cancellable: (nullable): a cancellable
 * @out: (out) (transfer full) (nullable): return location for the string,
 *   freed with g_free(); %NULL when there is none, and for None
 * @error: return location for an error
 *
 * [method@Generator.next_int] for strings. None reads as %NULL.
 *
 * Returns: as [method@Generator.next_int]
 *
 * Since: 0.1
 */
gboolean
agen_generator_next_string (AgenGenerator  *self,
                            GCancellable   *cancellable,
                            char          **out,
                            GError        **error)
{
  GValue value = G_VALUE_INIT;

  g_return_val_if_fail (out != NULL, FALSE);

  *out = NULL;
  if (!next_typed (self, cancellable, G_TYPE_STRING, TRUE, &value, error))
    return FALSE;
  if (G_VALUE_HOLDS_STRING (&value))
    *out = g_value_dup_string (&value);
  g_value_unset (&value);
  return TRUE;
}

/**
 * agen_generator_next_object: (skip)
 * @self: a generator
 * @cancellable: (nullable): a cancellable
 * @out: (out) (transfer full) (nullable) (type GObject): return location
 *   for the object, with a reference for the caller; %NULL when there is
 *   none, and for None
 * @error: return location for an error
 *
 * [method@Generator.next_int] for objects (of any class). None reads as
 * %NULL.
 *
 * Returns: as [method@Generator.next_int]
 *
 * Since: 0.1
 */
gboolean
agen_generator_next_object (AgenGenerator  *self,
                            GCancellable   *cancellable,
                            gpointer       *out,
                            GError        **error)
{
  GValue value = G_VALUE_INIT;

  g_return_val_if_fail (out != NULL, FALSE);

  *out = NULL;
  if (!next_typed (self, cancellable, G_TYPE_OBJECT, TRUE, &value, error))
    return FALSE;
  if (G_VALUE_HOLDS_OBJECT (&value))
    *out = g_value_dup_object (&value);
  g_value_unset (&value);
  return TRUE;
}

/**
 * agen_generator_next_boxed: (skip)
 * @self: a generator
 * @boxed_type: the boxed type expected
 * @cancellable: (nullable): a cancellable
 * @out: (out) (transfer full) (nullable): return location for a copy of
 *   the value, freed with g_boxed_free(); %NULL when there is none, and
 *   for None
 * @error: return location for an error
 *
 * [method@Generator.next_int] for a boxed type. None reads as %NULL.
 *
 * Returns: as [method@Generator.next_int]
 *
 * Since: 0.1
 */
gboolean
agen_generator_next_boxed (AgenGenerator  *self,
                           GType           boxed_type,
                           GCancellable   *cancellable,
                           gpointer       *out,
                           GError        **error)
{
  GValue value = G_VALUE_INIT;

  g_return_val_if_fail (G_TYPE_IS_BOXED (boxed_type), FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  *out = NULL;
  if (!next_typed (self, cancellable, boxed_type, TRUE, &value, error))
    return FALSE;
  if (G_VALUE_HOLDS (&value, boxed_type))
    *out = g_value_dup_boxed (&value);
  g_value_unset (&value);
  return TRUE;
}

/**
 * agen_generator_next_pointer: (skip)
 * @self: a generator
 * @cancellable: (nullable): a cancellable
 * @out: (out) (nullable): return location for the pointer; %NULL when
 *   there is none, and for None
 * @error: return location for an error
 *
 * [method@Generator.next_int] for `G_TYPE_POINTER` values.
 *
 * Returns: as [method@Generator.next_int]
 *
 * Since: 0.1
 */
gboolean
agen_generator_next_pointer (AgenGenerator  *self,
                             GCancellable   *cancellable,
                             gpointer       *out,
                             GError        **error)
{
  GValue value = G_VALUE_INIT;

  g_return_val_if_fail (out != NULL, FALSE);

  *out = NULL;
  if (!next_typed (self, cancellable, G_TYPE_POINTER, FALSE, &value, error))
    return FALSE;
  *out = g_value_get_pointer (&value);
  g_value_unset (&value);
  return TRUE;
}
