/* agen-context-manager.c — AgenContextManager, a generator as a context
 * manager (Python's contextlib.asynccontextmanager)
 *
 * Copyright 2026 The agen authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * AgenContextManager:
 *
 * Turns a generator that yields once into a context manager, like Python's
 * `contextlib.asynccontextmanager`.
 *
 * The body sets a resource up, yields it, and tears it down when resumed;
 * the code before the yield runs at the enter, the code after it at the
 * exit. The teardown may await, and it sees the error that ended the block
 * as the error of its yield, so it can handle it:
 *
 * ```c
 * static gboolean
 * connection_body (AgenGenerator  *self,
 *                  gpointer        user_data,
 *                  GError        **error)
 * {
 *   GSocketClient *client = user_data;
 *   g_autoptr(GSocketConnection) connection = NULL;
 *   g_auto(GValue) value = G_VALUE_INIT;
 *   gboolean ok;
 *
 *   g_socket_client_connect_to_host_async (client, "example.com", 80,
 *                                          agen_generator_get_cancellable (self),
 *                                          AGEN_AWAIT_CALLBACK (self));
 *   connection = g_socket_client_connect_to_host_finish (client,
 *                                                        agen_generator_await (self),
 *                                                        error);
 *   if (connection == NULL)
 *     return FALSE;          // the enter fails with this error
 *
 *   g_value_init (&value, G_TYPE_SOCKET_CONNECTION);
 *   g_value_set_object (&value, connection);
 *   ok = agen_generator_yield (self, &value, NULL, error);
 *
 *   // The exit resumes us here: the yield failed if the block did.
 *   g_io_stream_close_async (G_IO_STREAM (connection), G_PRIORITY_DEFAULT,
 *                            NULL, AGEN_AWAIT_CALLBACK (self));
 *   g_io_stream_close_finish (G_IO_STREAM (connection),
 *                             agen_generator_await (self), NULL);
 *
 *   return ok;               // FALSE lets the block's error out
 * }
 *
 * static gboolean
 * fetch (GSocketClient  *client,
 *        GError        **error)
 * {
 *   g_autoptr(AgenContextManager) cm = NULL;
 *   g_autoptr(GError) block_error = NULL;
 *   g_auto(GValue) value = G_VALUE_INIT;
 *
 *   cm = agen_context_manager_new (connection_body, g_object_ref (client),
 *                                  g_object_unref);
 *   if (!agen_context_manager_enter (cm, NULL, &value, error))
 *     return FALSE;
 *
 *   use_connection (g_value_get_object (&value), &block_error);
 *
 *   return agen_context_manager_exit (cm, block_error, NULL, error);
 * }
 * ```
 *
 * Inside another generator's body the blocking forms shown above suspend
 * only that body; elsewhere use [method@ContextManager.enter_async] and
 * [method@ContextManager.exit_async].
 *
 * The enter runs the generator to its first yield and hands out the
 * yielded value. A generator that finishes without yielding makes it fail
 * with %AGEN_ERROR_DIDNT_YIELD.
 *
 * The exit of a block that ended normally resumes the generator, which
 * should then finish. The exit of a block that failed throws the block's
 * error into the generator ([method@Generator.throw_async]): the error
 * propagates, with its domain, code and message, if the body lets it out;
 * the body may replace it by raising another one, or suppress it by
 * returning %TRUE. A generator that yields again is closed and the exit
 * fails with %AGEN_ERROR_DIDNT_STOP (or with the close's own error if the
 * close fails).
 *
 * Enter once, then exit once, and only after a successful enter; any other
 * sequence is a programmer error, reported with a critical warning. A
 * context manager that is entered successfully and then dropped without an
 * exit closes its generator, from a later iteration of the generator's
 * owner context, as for a suspended generator that is dropped; a failure
 * is logged with a warning. The same happens when the exit had no effect
 * on the suspended generator (its cancellable was already cancelled, or
 * the generator was busy), but not after the body ignored the close that
 * followed a second yield (%AGEN_ERROR_IGNORED_EXIT).
 *
 * An AgenContextManager is not thread-safe: use it from one thread at a
 * time. Callbacks run in the thread-default main context of the thread
 * that started the operation.
 *
 * Since: 0.1
 */

#include "config.h"

#include <glib/gi18n-lib.h>

#include "agen-context-manager.h"
#include "agen-error.h"
#include "agen-generator-private.h"
#include "agen-helper-phase-private.h"
#include "agen-tsan-private.h"

struct _AgenContextManager
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

G_DEFINE_FINAL_TYPE (AgenContextManager, agen_context_manager, G_TYPE_OBJECT)

/* ------------------------------------------------------------------------
 * Small helpers
 * ------------------------------------------------------------------------ */

static void
value_init_none (GValue *value)
{
  if (value != NULL)
    g_value_init (value, G_TYPE_POINTER);
}

static void
value_free (gpointer data)
{
  GValue *value = data;

  g_value_unset (value);
  g_free (value);
}

/* The enter's outcome, from the result of the generator's next. Takes
 * next_error. */
static gboolean
enter_outcome (AgenContextManager  *self,
               gboolean             yielded,
               GError              *next_error,
               GError             **error)
{
  if (yielded)
    {
      g_assert (next_error == NULL);
      self->phase = AGEN_HELPER_ENTERED;
      return TRUE;
    }

  self->phase = AGEN_HELPER_ENTER_FAILED;

  if (next_error != NULL)
    g_propagate_error (error, next_error);
  else
    g_set_error_literal (error, AGEN_ERROR, AGEN_ERROR_DIDNT_YIELD,
                         _("generator didn't yield"));

  return FALSE;
}

static GError *
didnt_stop_error (gboolean threw)
{
  if (threw)
    return g_error_new_literal (AGEN_ERROR, AGEN_ERROR_DIDNT_STOP,
                                _("generator didn't stop after throw"));
  else
    return g_error_new_literal (AGEN_ERROR, AGEN_ERROR_DIDNT_STOP,
                                _("generator didn't stop"));
}

/* ------------------------------------------------------------------------
 * GObject
 * ------------------------------------------------------------------------ */

static void
agen_context_manager_constructed (GObject *object)
{
  AgenContextManager *self = AGEN_CONTEXT_MANAGER (object);

  G_OBJECT_CLASS (agen_context_manager_parent_class)->constructed (object);

  if (self->generator == NULL)
    g_critical ("An AgenContextManager needs a generator: set "
                "AgenContextManager:generator at construction");
}

static void
agen_context_manager_dispose (GObject *object)
{
  AgenContextManager *self = AGEN_CONTEXT_MANAGER (object);

  /* Entered but never exited, or exited without effect (a cancellable
   * cancelled before the step started, or RUNNING): the body is suspended
   * at its yield, its teardown not run. Close it on the owner context, like
   * the default finalizer; the generator may have other references, so do
   * not leave this to its own finalization. Not after IGNORED_EXIT, which
   * would only come back. */
  if (self->generator != NULL)
    agen_generator_close_if_owed (self->generator,
                                  self->phase == AGEN_HELPER_ENTERED,
                                  self->phase == AGEN_HELPER_EXITED);

  AGEN_TSAN_RELEASE_REF (self->generator);   /* see agen-tsan-private.h */
  g_clear_object (&self->generator);

  G_OBJECT_CLASS (agen_context_manager_parent_class)->dispose (object);
}

static void
agen_context_manager_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  AgenContextManager *self = AGEN_CONTEXT_MANAGER (object);

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
agen_context_manager_set_property (GObject      *object,
                                   guint         prop_id,
                                   const GValue *value,
                                   GParamSpec   *pspec)
{
  AgenContextManager *self = AGEN_CONTEXT_MANAGER (object);

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
agen_context_manager_class_init (AgenContextManagerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = agen_context_manager_constructed;
  object_class->dispose = agen_context_manager_dispose;
  object_class->get_property = agen_context_manager_get_property;
  object_class->set_property = agen_context_manager_set_property;

  /**
   * AgenContextManager:generator:
   *
   * The generator that the enter and the exit run.
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
agen_context_manager_init (AgenContextManager *self)
{
  self->phase = AGEN_HELPER_NEW;
}

/* ------------------------------------------------------------------------
 * Construction
 * ------------------------------------------------------------------------ */

/**
 * agen_context_manager_new: (skip)
 * @func: (scope notified) (closure user_data) (destroy user_data_destroy): the
 *   generator's body; it should yield exactly once
 * @user_data: data passed to @func
 * @user_data_destroy: (nullable): destroys @user_data once the body can
 *   never run again
 *
 * Creates a context manager over a new generator whose body is @func (see
 * [ctor@Generator.new]). The body does not start before the enter.
 *
 * Returns: (transfer full): a new context manager
 *
 * Since: 0.1
 */
AgenContextManager *
agen_context_manager_new (AgenGeneratorFunc func,
                          gpointer          user_data,
                          GDestroyNotify    user_data_destroy)
{
  g_autoptr(AgenGenerator) generator = NULL;

  g_return_val_if_fail (func != NULL, NULL);

  generator = agen_generator_new (func, user_data, user_data_destroy);

  return agen_context_manager_new_for_generator (generator);
}

/**
 * agen_context_manager_new_for_generator:
 * @generator: a generator that yields once
 *
 * Creates a context manager over @generator. It takes a reference to
 * @generator and does not touch it before the enter.
 *
 * Returns: (transfer full): a new context manager
 *
 * Since: 0.1
 */
AgenContextManager *
agen_context_manager_new_for_generator (AgenGenerator *generator)
{
  g_return_val_if_fail (AGEN_IS_GENERATOR (generator), NULL);

  return g_object_new (AGEN_TYPE_CONTEXT_MANAGER,
                       "generator", generator,
                       NULL);
}

/**
 * agen_context_manager_get_generator:
 * @self: a context manager
 *
 * Gets the [property@ContextManager:generator].
 *
 * Returns: (transfer none): the generator
 *
 * Since: 0.1
 */
AgenGenerator *
agen_context_manager_get_generator (AgenContextManager *self)
{
  g_return_val_if_fail (AGEN_IS_CONTEXT_MANAGER (self), NULL);

  return self->generator;
}

/* ------------------------------------------------------------------------
 * Enter
 * ------------------------------------------------------------------------ */

static void
enter_next_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  AgenContextManager *self = g_task_get_source_object (task);
  GValue *value = g_new0 (GValue, 1);
  GError *next_error = NULL;
  GError *error = NULL;
  gboolean yielded;

  yielded = agen_generator_next_finish (AGEN_GENERATOR (source), result,
                                        value, &next_error);

  if (enter_outcome (self, yielded, next_error, &error))
    g_task_return_pointer (task, g_steal_pointer (&value), value_free);
  else
    {
      value_free (value);
      g_task_return_error (task, error);
    }
}

/**
 * agen_context_manager_enter_async:
 * @self: a context manager
 * @cancellable: (nullable): a cancellable, passed to the generator's next
 *   (the body's step cancellable)
 * @callback: (scope async) (closure user_data): called when the generator
 *   has yielded, finished or failed
 * @user_data: data for @callback
 *
 * Enters the block (Python's `__aenter__`): runs the generator with
 * [method@Generator.next_async] to its first yield. Finish with
 * [method@ContextManager.enter_finish].
 *
 * Enter a context manager only once, whatever the outcome. @callback runs
 * from a later iteration of the caller's thread-default main context,
 * never inside this call. A value that the generator yielded is never
 * replaced by a cancellation.
 *
 * Since: 0.1
 */
void
agen_context_manager_enter_async (AgenContextManager  *self,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (AGEN_IS_CONTEXT_MANAGER (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  if (!agen_helper_may_enter (self, self->phase, G_STRFUNC))
    return;

  self->phase = AGEN_HELPER_ENTERING;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, agen_context_manager_enter_async);
  g_task_set_check_cancellable (task, FALSE);

  agen_generator_next_async (self->generator, cancellable, enter_next_cb, task);
}

/**
 * agen_context_manager_enter_finish:
 * @self: a context manager
 * @result: the result passed to the callback
 * @value: (out caller-allocates) (optional): return location for the value
 *   the generator yielded; always initialised, to None (a %G_TYPE_POINTER
 *   holding %NULL) when the enter failed
 * @error: return location for an error
 *
 * Finishes [method@ContextManager.enter_async].
 *
 * Returns: %TRUE with the yielded value; %FALSE with @error set to
 *   %AGEN_ERROR_DIDNT_YIELD when the generator finished without yielding,
 *   or to the error the body raised or the generator's next reported
 *
 * Since: 0.1
 */
gboolean
agen_context_manager_enter_finish (AgenContextManager  *self,
                                   GAsyncResult        *result,
                                   GValue              *value,
                                   GError             **error)
{
  g_autofree GValue *yielded = NULL;

  /* Initialised in every case, even a failed precondition: bindings
   * read it. */
  value_init_none (value);

  g_return_val_if_fail (AGEN_IS_CONTEXT_MANAGER (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_async_result_is_tagged (result, agen_context_manager_enter_async), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  yielded = g_task_propagate_pointer (G_TASK (result), error);
  if (yielded == NULL)
    return FALSE;

  /* Move the value out of its heap box. */
  if (value != NULL)
    {
      g_value_unset (value);
      *value = *yielded;
    }
  else
    g_value_unset (yielded);

  return TRUE;
}

/**
 * agen_context_manager_enter:
 * @self: a context manager
 * @cancellable: (nullable): a cancellable, passed to the generator's next
 * @value: (out caller-allocates) (optional): return location for the value
 *   the generator yielded; always initialised
 * @error: return location for an error
 *
 * The blocking form of [method@ContextManager.enter_async], with the same
 * results, using [method@Generator.next]: inside a generator's body it
 * suspends only that body; from plain code it blocks the calling thread,
 * iterating the generator's owner context meanwhile if that is the
 * thread's thread-default context.
 *
 * Returns: as [method@ContextManager.enter_finish]
 *
 * Since: 0.1
 */
gboolean
agen_context_manager_enter (AgenContextManager  *self,
                            GCancellable        *cancellable,
                            GValue              *value,
                            GError             **error)
{
  GValue yielded = G_VALUE_INIT;
  GError *next_error = NULL;
  gboolean ret;

  value_init_none (value);

  g_return_val_if_fail (AGEN_IS_CONTEXT_MANAGER (self), FALSE);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!agen_helper_may_enter (self, self->phase, G_STRFUNC))
    return FALSE;

  self->phase = AGEN_HELPER_ENTERING;

  /* next always initialises yielded, to None unless something was
   * yielded. */
  ret = agen_generator_next (self->generator, cancellable, &yielded, &next_error);
  ret = enter_outcome (self, ret, next_error, error);

  if (value != NULL)
    {
      g_value_unset (value);
      *value = yielded;
    }
  else
    g_value_unset (&yielded);

  return ret;
}

/* ------------------------------------------------------------------------
 * Exit: the decisions, shared by the async and the blocking forms
 * ------------------------------------------------------------------------ */

/* Before the step: a generator closed behind our back (by
 * agen_shutdown_generators_async(), say) cannot handle the block's error,
 * and a throw would report "finished", which must not suppress it. TRUE
 * with *error set when the exit ends here. */
static gboolean
exit_ends_before_step (AgenContextManager  *self,
                       const GError        *block_error,
                       GError             **error)
{
  if (block_error == NULL ||
      agen_generator_get_state (self->generator) != AGEN_GENERATOR_STATE_CLOSED)
    return FALSE;

  g_propagate_error (error, g_error_copy (block_error));
  return TRUE;
}

/* After the step (the throw of the block's error, or the next): TRUE when
 * the exit ends here, with *ok and, if it failed, *error (step_error is
 * taken); FALSE when the generator yielded again and must be closed.
 * The close is cleanup that must run, so it takes no cancellable (one
 * cancelled during the step would make it refuse at once). */
static gboolean
exit_ends_after_step (gboolean   yielded,
                      GError    *step_error,
                      gboolean  *ok,
                      GError   **error)
{
  if (yielded)
    return FALSE;

  /* Finished: the error was suppressed, or there was none. */
  *ok = step_error == NULL;
  if (step_error != NULL)
    g_propagate_error (error, step_error);
  return TRUE;
}

/* After that close: the exit fails, with DIDNT_STOP, or with the close's
 * own error (taken), which replaces it as in CPython's finally. */
static void
exit_after_close (gboolean   threw,
                  gboolean   closed,
                  GError    *close_error,
                  GError   **error)
{
  if (closed)
    g_propagate_error (error, didnt_stop_error (threw));
  else
    g_propagate_error (error, close_error);
}

/* ------------------------------------------------------------------------
 * Exit
 * ------------------------------------------------------------------------ */

/* The exit task's data: whether it threw the block's error in (or ran
 * next). */
#define exit_threw(task) GPOINTER_TO_INT (g_task_get_task_data (task))

static void
exit_close_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *close_error = NULL;
  GError *error = NULL;
  gboolean closed;

  closed = agen_generator_close_finish (AGEN_GENERATOR (source), result, &close_error);
  exit_after_close (exit_threw (task), closed, close_error, &error);
  g_task_return_error (task, error);
}

static void
exit_step_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  AgenGenerator *generator = AGEN_GENERATOR (source);
  GError *step_error = NULL;
  GError *error = NULL;
  gboolean yielded;
  gboolean ok;

  if (exit_threw (task))
    yielded = agen_generator_throw_finish (generator, result, NULL, &step_error);
  else
    yielded = agen_generator_next_finish (generator, result, NULL, &step_error);

  if (!exit_ends_after_step (yielded, step_error, &ok, &error))
    agen_generator_close_async (generator, NULL, exit_close_cb, g_steal_pointer (&task));
  else if (ok)
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

/**
 * agen_context_manager_exit_async:
 * @self: a context manager
 * @block_error: (nullable): the error that ended the block, or %NULL if the
 *   block ended normally (copied)
 * @cancellable: (nullable): a cancellable, passed to the generator's next
 *   or throw (the body's step cancellable)
 * @callback: (scope async) (closure user_data): called when the exit is
 *   done
 * @user_data: data for @callback
 *
 * Leaves the block (Python's `__aexit__`). Finish with
 * [method@ContextManager.exit_finish].
 *
 * With @block_error %NULL, resumes the generator with
 * [method@Generator.next_async]; it should finish. Otherwise throws
 * @block_error into it with [method@Generator.throw_async]; the body may
 * let it out, replace it or suppress it. If the generator yields instead,
 * it is closed (with no cancellable, so that its cleanup runs) and the
 * exit fails with %AGEN_ERROR_DIDNT_STOP, or with the close's error if the
 * close fails.
 *
 * A generator that was closed during the block by someone else (for
 * example by [func@shutdown_generators_async]) cannot handle @block_error:
 * the exit then fails with a copy of @block_error, never suppressing it.
 *
 * Call it once, only after a successful enter. @callback runs from a later
 * iteration of the caller's thread-default main context, never inside
 * this call.
 *
 * Since: 0.1
 */
void
agen_context_manager_exit_async (AgenContextManager  *self,
                                 const GError        *block_error,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  GError *error = NULL;
  GTask *task;

  g_return_if_fail (AGEN_IS_CONTEXT_MANAGER (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  if (!agen_helper_may_exit (self, self->phase, G_STRFUNC))
    return;

  self->phase = AGEN_HELPER_EXITED;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, agen_context_manager_exit_async);
  g_task_set_check_cancellable (task, FALSE);

  g_task_set_task_data (task, GINT_TO_POINTER (block_error != NULL), NULL);

  if (exit_ends_before_step (self, block_error, &error))
    {
      g_task_return_error (task, error);
      g_object_unref (task);
    }
  else if (block_error != NULL)
    agen_generator_throw_async (self->generator, block_error, cancellable,
                                exit_step_cb, task);
  else
    agen_generator_next_async (self->generator, cancellable,
                               exit_step_cb, task);
}

/**
 * agen_context_manager_exit_finish:
 * @self: a context manager
 * @result: the result passed to the callback
 * @error: return location for an error
 *
 * Finishes [method@ContextManager.exit_async].
 *
 * Returns: %TRUE when the block ended normally and the generator finished,
 *   or when the body suppressed the block's error by returning; %FALSE
 *   with @error set to the error that propagates: the block's own error
 *   (domain, code and message intact) if the body let it out, the error
 *   the body raised instead, %AGEN_ERROR_DIDNT_STOP, or the error of the
 *   close that followed a second yield
 *
 * Since: 0.1
 */
gboolean
agen_context_manager_exit_finish (AgenContextManager  *self,
                                  GAsyncResult        *result,
                                  GError             **error)
{
  g_return_val_if_fail (AGEN_IS_CONTEXT_MANAGER (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_async_result_is_tagged (result, agen_context_manager_exit_async), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * agen_context_manager_exit:
 * @self: a context manager
 * @block_error: (nullable): the error that ended the block, or %NULL
 *   (copied)
 * @cancellable: (nullable): a cancellable, passed to the generator's next
 *   or throw
 * @error: return location for an error
 *
 * The blocking form of [method@ContextManager.exit_async], with the same
 * results, using [method@Generator.next], [method@Generator.throw] and
 * [method@Generator.close]; see [method@ContextManager.enter] for where it
 * blocks.
 *
 * Returns: as [method@ContextManager.exit_finish]
 *
 * Since: 0.1
 */
gboolean
agen_context_manager_exit (AgenContextManager  *self,
                           const GError        *block_error,
                           GCancellable        *cancellable,
                           GError             **error)
{
  GError *step_error = NULL;
  GError *close_error = NULL;
  gboolean yielded;
  gboolean closed;
  gboolean ok;

  g_return_val_if_fail (AGEN_IS_CONTEXT_MANAGER (self), FALSE);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!agen_helper_may_exit (self, self->phase, G_STRFUNC))
    return FALSE;

  self->phase = AGEN_HELPER_EXITED;

  if (exit_ends_before_step (self, block_error, error))
    return FALSE;

  if (block_error != NULL)
    yielded = agen_generator_throw (self->generator, block_error, cancellable,
                                    NULL, &step_error);
  else
    yielded = agen_generator_next (self->generator, cancellable, NULL,
                                   &step_error);

  if (exit_ends_after_step (yielded, step_error, &ok, error))
    return ok;

  closed = agen_generator_close (self->generator, NULL, &close_error);
  exit_after_close (block_error != NULL, closed, close_error, error);
  return FALSE;
}

/**
 * agen_context_manager_exit_normally_async:
 * @self: a context manager
 * @cancellable: (nullable): a cancellable, passed to the generator's next
 * @callback: (scope async) (closure user_data): called when the exit is
 *   done
 * @user_data: data for @callback
 *
 * [method@ContextManager.exit_async] for a block that ended without an
 * error, for callers that cannot pass %NULL for a #GError (PyGObject
 * before 3.47). Finish with [method@ContextManager.exit_normally_finish].
 *
 * Since: 0.1
 */
void
agen_context_manager_exit_normally_async (AgenContextManager  *self,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data)
{
  agen_context_manager_exit_async (self, NULL, cancellable, callback, user_data);
}

/**
 * agen_context_manager_exit_normally_finish:
 * @self: a context manager
 * @result: the result passed to the callback
 * @error: return location for an error
 *
 * Finishes [method@ContextManager.exit_normally_async].
 *
 * Returns: as [method@ContextManager.exit_finish]
 *
 * Since: 0.1
 */
gboolean
agen_context_manager_exit_normally_finish (AgenContextManager  *self,
                                           GAsyncResult        *result,
                                           GError             **error)
{
  return agen_context_manager_exit_finish (self, result, error);
}

/**
 * agen_context_manager_exit_normally:
 * @self: a context manager
 * @cancellable: (nullable): a cancellable, passed to the generator's next
 * @error: return location for an error
 *
 * [method@ContextManager.exit] for a block that ended without an error;
 * see [method@ContextManager.exit_normally_async].
 *
 * Returns: as [method@ContextManager.exit_finish]
 *
 * Since: 0.1
 */
gboolean
agen_context_manager_exit_normally (AgenContextManager  *self,
                                    GCancellable        *cancellable,
                                    GError             **error)
{
  return agen_context_manager_exit (self, NULL, cancellable, error);
}
