/* agen-aclosing.c — AgenAclosing, closes a generator at the end of a block
 *
 * Copyright 2026 The agen authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * AgenAclosing:
 *
 * Closes a generator when a block of code is done with it, like Python's
 * `contextlib.aclosing`.
 *
 * A consumer that stops iterating early (it found what it looked for, or
 * failed) leaves the generator suspended at a yield, its cleanup code not
 * yet run. Wrapping the loop between [method@Aclosing.enter_async] and
 * [method@Aclosing.exit_async] closes the generator deterministically, so
 * that cleanup runs before the block is left:
 *
 * ```c
 * static gboolean
 * find_first_match (AgenGenerator  *lines,
 *                   const char     *needle,
 *                   char          **match,
 *                   GError        **error)
 * {
 *   g_autoptr(AgenAclosing) closing = agen_aclosing_new (lines);
 *   g_autoptr(GError) block_error = NULL;
 *   AgenGenerator *gen;
 *   gboolean ok;
 *
 *   gen = agen_aclosing_enter (closing, NULL, error);
 *   if (gen == NULL)
 *     return FALSE;
 *
 *   for (;;)
 *     {
 *       g_auto(GValue) line = G_VALUE_INIT;
 *
 *       if (!agen_generator_next (gen, NULL, &line, &block_error))
 *         break;    // finished, or block_error is set
 *       if (strstr (g_value_get_string (&line), needle) != NULL)
 *         {
 *           *match = g_value_dup_string (&line);
 *           break;  // stop early: the generator is still suspended
 *         }
 *     }
 *
 *   // Closes the generator; its cleanup runs now
 *   ok = agen_aclosing_exit (closing, NULL, error);
 *   if (ok && block_error != NULL)
 *     {
 *       g_propagate_error (error, g_steal_pointer (&block_error));
 *       ok = FALSE;
 *     }
 *
 *   return ok;
 * }
 * ```
 *
 * Inside another generator's body the blocking forms shown above suspend
 * only that body; elsewhere use the `_async` forms.
 *
 * Enter at most once, and exit exactly once after a successful enter; any
 * other sequence is a programmer error, reported with a critical warning.
 * The exit never suppresses the error that ended the block: if both the
 * block and the close fail, propagate the close error, as Python does (the
 * block's error survives there only in the exception chain).
 *
 * An aclosing that is entered and then dropped without an exit still closes
 * its generator: the close runs from a later iteration of the generator's
 * owner context, as for a suspended generator that is dropped, and a
 * failure is logged with a warning. The same happens when the exit had no
 * effect on a suspended generator (its cancellable was already cancelled,
 * or the generator was busy), but not after the body ignored the exit's
 * close (%AGEN_ERROR_IGNORED_EXIT).
 *
 * An AgenAclosing is not thread-safe: use it from one thread at a time.
 * Callbacks run in the thread-default main context of the thread that
 * started the operation.
 *
 * Since: 0.1
 */

#include "config.h"

#include "agen-aclosing.h"
#include "agen-error.h"
#include "agen-generator-private.h"
#include "agen-helper-phase-private.h"
#include "agen-tsan-private.h"

struct _AgenAclosing
{
  GObject        parent_instance;

  AgenGenerator *generator;
  AgenHelperPhase phase;
};

enum {
  PROP_0,
  PROP_GENERATOR,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (AgenAclosing, agen_aclosing, G_TYPE_OBJECT)

/* ------------------------------------------------------------------------
 * GObject
 * ------------------------------------------------------------------------ */

static void
agen_aclosing_constructed (GObject *object)
{
  AgenAclosing *self = AGEN_ACLOSING (object);

  G_OBJECT_CLASS (agen_aclosing_parent_class)->constructed (object);

  if (self->generator == NULL)
    g_critical ("An AgenAclosing needs a generator: set AgenAclosing:generator "
                "at construction");
}

static void
agen_aclosing_dispose (GObject *object)
{
  AgenAclosing *self = AGEN_ACLOSING (object);

  /* Entered but never exited, or exited without effect (a cancellable
   * cancelled before the close started, or RUNNING): do the close the exit
   * owes the generator, without anyone to report to, on its owner context
   * like the default finalizer. Not after IGNORED_EXIT, which would only
   * come back. */
  if (self->generator != NULL)
    agen_generator_close_if_owed (self->generator,
                                  self->phase == AGEN_HELPER_ENTERED,
                                  self->phase == AGEN_HELPER_EXITED);

  AGEN_TSAN_RELEASE_REF (self->generator);   /* see agen-tsan-private.h */
  g_clear_object (&self->generator);

  G_OBJECT_CLASS (agen_aclosing_parent_class)->dispose (object);
}

static void
agen_aclosing_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  AgenAclosing *self = AGEN_ACLOSING (object);

  switch (prop_id)
    {
    case PROP_GENERATOR:
      g_value_set_object (value, self->generator);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
agen_aclosing_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  AgenAclosing *self = AGEN_ACLOSING (object);

  switch (prop_id)
    {
    case PROP_GENERATOR:
      g_assert (self->generator == NULL);
      self->generator = g_value_dup_object (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
agen_aclosing_class_init (AgenAclosingClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = agen_aclosing_constructed;
  object_class->dispose = agen_aclosing_dispose;
  object_class->get_property = agen_aclosing_get_property;
  object_class->set_property = agen_aclosing_set_property;

  /**
   * AgenAclosing:generator:
   *
   * The generator that the exit closes.
   *
   * Since: 0.1
   */
  properties[PROP_GENERATOR] =
    g_param_spec_object ("generator", NULL, NULL,
                         AGEN_TYPE_GENERATOR,
                         (G_PARAM_READWRITE |
                          G_PARAM_CONSTRUCT_ONLY |
                          G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
agen_aclosing_init (AgenAclosing *self)
{
  self->phase = AGEN_HELPER_NEW;
}

/* ------------------------------------------------------------------------
 * Public API
 * ------------------------------------------------------------------------ */

/**
 * agen_aclosing_new:
 * @generator: the generator to close at the exit
 *
 * Creates an aclosing for @generator. It takes a reference to @generator
 * and does not touch it before the exit.
 *
 * Returns: (transfer full): a new aclosing
 *
 * Since: 0.1
 */
AgenAclosing *
agen_aclosing_new (AgenGenerator *generator)
{
  g_return_val_if_fail (AGEN_IS_GENERATOR (generator), NULL);

  return g_object_new (AGEN_TYPE_ACLOSING,
                       "generator", generator,
                       NULL);
}

/**
 * agen_aclosing_get_generator:
 * @self: an aclosing
 *
 * Gets the [property@Aclosing:generator].
 *
 * Returns: (transfer none): the generator
 *
 * Since: 0.1
 */
AgenGenerator *
agen_aclosing_get_generator (AgenAclosing *self)
{
  g_return_val_if_fail (AGEN_IS_ACLOSING (self), NULL);

  return self->generator;
}

/**
 * agen_aclosing_enter_async:
 * @self: an aclosing
 * @cancellable: (nullable): a cancellable
 * @callback: (scope async) (closure user_data): called with the generator
 * @user_data: data for @callback
 *
 * Enters the block: hands out the generator without iterating it (Python's
 * `__aenter__`). Finish with [method@Aclosing.enter_finish].
 *
 * Only a @cancellable that is already cancelled makes the enter fail, with
 * %G_IO_ERROR_CANCELLED; the aclosing then counts as not entered (do not
 * exit it, and dropping it does not close the generator).
 *
 * Enter an aclosing at most once. @callback runs from a later iteration
 * of the caller's thread-default main context, never inside this call.
 *
 * Since: 0.1
 */
void
agen_aclosing_enter_async (AgenAclosing        *self,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  GError *error = NULL;

  g_return_if_fail (AGEN_IS_ACLOSING (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  if (!agen_helper_may_enter (self, self->phase, G_STRFUNC))
    return;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, agen_aclosing_enter_async);
  g_task_set_check_cancellable (task, FALSE);

  if (g_cancellable_set_error_if_cancelled (cancellable, &error))
    {
      self->phase = AGEN_HELPER_ENTER_FAILED;
      g_task_return_error (task, error);
      return;
    }

  /* Borrowed: the task holds self, which holds the generator. */
  self->phase = AGEN_HELPER_ENTERED;
  g_task_return_pointer (task, self->generator, NULL);
}

/**
 * agen_aclosing_enter_finish:
 * @self: an aclosing
 * @result: the result passed to the callback
 * @error: return location for an error
 *
 * Finishes [method@Aclosing.enter_async].
 *
 * Returns: (transfer none) (nullable): the generator, not yet iterated by
 *   the aclosing; %NULL with @error set if the enter was cancelled
 *
 * Since: 0.1
 */
AgenGenerator *
agen_aclosing_enter_finish (AgenAclosing  *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (AGEN_IS_ACLOSING (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_async_result_is_tagged (result, agen_aclosing_enter_async), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
exit_close_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (agen_generator_close_finish (AGEN_GENERATOR (source), result, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

/**
 * agen_aclosing_exit_async:
 * @self: an aclosing
 * @cancellable: (nullable): a cancellable, passed to the close
 * @callback: (scope async) (closure user_data): called when the generator
 *   is closed or the close failed
 * @user_data: data for @callback
 *
 * Leaves the block: closes the generator with
 * [method@Generator.close_async] (Python's `__aexit__`). Finish with
 * [method@Aclosing.exit_finish].
 *
 * Call it once, after a successful enter, whether the block ended
 * normally or with an error. @callback runs from a later iteration of the
 * caller's thread-default main context, never inside this call.
 *
 * Since: 0.1
 */
void
agen_aclosing_exit_async (AgenAclosing        *self,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (AGEN_IS_ACLOSING (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  if (!agen_helper_may_exit (self, self->phase, G_STRFUNC))
    return;

  self->phase = AGEN_HELPER_EXITED;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, agen_aclosing_exit_async);
  /* The close's outcome is final: a cancellation that the body handled
   * must not be reported as one. */
  g_task_set_check_cancellable (task, FALSE);

  agen_generator_close_async (self->generator, cancellable, exit_close_cb, task);
}

/**
 * agen_aclosing_exit_finish:
 * @self: an aclosing
 * @result: the result passed to the callback
 * @error: return location for an error
 *
 * Finishes [method@Aclosing.exit_async].
 *
 * Returns: %TRUE when the generator is closed; %FALSE with @error set to
 *   the close's error (for example %AGEN_ERROR_IGNORED_EXIT, or an error
 *   the body's cleanup raised)
 *
 * Since: 0.1
 */
gboolean
agen_aclosing_exit_finish (AgenAclosing  *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (AGEN_IS_ACLOSING (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_async_result_is_tagged (result, agen_aclosing_exit_async), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * agen_aclosing_enter:
 * @self: an aclosing
 * @cancellable: (nullable): a cancellable
 * @error: return location for an error
 *
 * The blocking form of [method@Aclosing.enter_async], with the same
 * result. It never waits.
 *
 * Returns: (transfer none) (nullable): the generator; %NULL with @error
 *   set if @cancellable was already cancelled
 *
 * Since: 0.1
 */
AgenGenerator *
agen_aclosing_enter (AgenAclosing  *self,
                     GCancellable  *cancellable,
                     GError       **error)
{
  g_return_val_if_fail (AGEN_IS_ACLOSING (self), NULL);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!agen_helper_may_enter (self, self->phase, G_STRFUNC))
    return NULL;

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    {
      self->phase = AGEN_HELPER_ENTER_FAILED;
      return NULL;
    }

  self->phase = AGEN_HELPER_ENTERED;
  return self->generator;
}

/**
 * agen_aclosing_exit:
 * @self: an aclosing
 * @cancellable: (nullable): a cancellable, passed to the close
 * @error: return location for an error
 *
 * The blocking form of [method@Aclosing.exit_async]: closes the generator
 * with [method@Generator.close], with the same results. Inside a
 * generator's body it suspends only that body; from plain code it blocks
 * the calling thread, iterating the generator's owner context meanwhile if
 * that is the thread's thread-default context.
 *
 * Returns: as [method@Aclosing.exit_finish]
 *
 * Since: 0.1
 */
gboolean
agen_aclosing_exit (AgenAclosing  *self,
                    GCancellable  *cancellable,
                    GError       **error)
{
  GError *local_error = NULL;

  g_return_val_if_fail (AGEN_IS_ACLOSING (self), FALSE);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!agen_helper_may_exit (self, self->phase, G_STRFUNC))
    return FALSE;

  self->phase = AGEN_HELPER_EXITED;

  if (!agen_generator_close (self->generator, cancellable, &local_error))
    {
      g_propagate_error (error, local_error);
      return FALSE;
    }

  return TRUE;
}
