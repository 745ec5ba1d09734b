/* agen-foreach.c — a function per item, one completion: the consumer loop
 * every program would otherwise write
 *
 * Copyright 2026 The agen authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "agen-generator.h"
#include "agen-values.h"

typedef struct
{
  AgenForeachFunc  func;
  gpointer         func_data;
  GDestroyNotify   func_data_destroy;
  GError          *stop_error;   /* what func stopped with, if anything */
} Foreach;

static void
foreach_free (gpointer data)
{
  Foreach *foreach = data;

  if (foreach->func_data_destroy != NULL)
    foreach->func_data_destroy (foreach->func_data);
  g_clear_error (&foreach->stop_error);
  g_free (foreach);
}

static void foreach_next_cb (GObject      *source,
                             GAsyncResult *result,
                             gpointer      user_data);

/* The consumer stopped early: the generator is closed, as a loop's break
 * closes it in Python's aclosing(). */
static void
foreach_close_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Foreach *foreach = g_task_get_task_data (task);
  GError *close_error = NULL;

  if (!agen_generator_close_finish (AGEN_GENERATOR (source), result, &close_error) &&
      foreach->stop_error == NULL)
    {
      g_task_return_error (task, close_error);
      return;
    }

  g_clear_error (&close_error);
  if (foreach->stop_error != NULL)
    g_task_return_error (task, g_steal_pointer (&foreach->stop_error));
  else
    g_task_return_boolean (task, TRUE);
}

static void
foreach_next_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  AgenGenerator *generator = AGEN_GENERATOR (source);
  g_autoptr(GTask) task = user_data;
  Foreach *foreach = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);
  g_auto(GValue) value = G_VALUE_INIT;
  GError *error = NULL;

  if (!agen_generator_next_finish (generator, result, &value, &error))
    {
      if (error != NULL)
        g_task_return_error (task, error);
      else
        g_task_return_boolean (task, TRUE);
      return;
    }

  if (!foreach->func (generator, &value, foreach->func_data, &foreach->stop_error))
    {
      agen_generator_close_async (generator, cancellable,
                                  foreach_close_cb, g_steal_pointer (&task));
      return;
    }

  agen_generator_next_async (generator, cancellable,
                             foreach_next_cb, g_steal_pointer (&task));
}

/**
 * agen_generator_foreach_async: (skip)
 * @self: a generator
 * @func: (scope notified) (closure func_data) (destroy func_data_destroy):
 *   called for each value
 * @func_data: data for @func
 * @func_data_destroy: (nullable): frees @func_data once the foreach is done
 * @cancellable: (nullable): passed to every next
 * @callback: (scope async) (closure user_data): called once, when the
 *   generator has finished or failed, or @func stopped
 * @user_data: data for @callback
 *
 * Consumes @self, calling @func for each value it yields, and completes
 * once: the `next_async` loop, with its callback, that every consumer
 * would otherwise write.
 *
 * ```c
 * static gboolean
 * print_line (AgenGenerator *gen, const GValue *value,
 *             gpointer user_data, GError **error)
 * {
 *   g_print ("%s\n", g_value_get_string (value));
 *   return TRUE;
 * }
 *
 * agen_generator_foreach_async (gen, print_line, NULL, NULL, NULL,
 *                               lines_done_cb, loop);
 * ```
 *
 * @func runs on the thread's own stack in the caller's thread-default
 * main context, one value at a time: the next value is asked for when it
 * returns. When it returns %FALSE the generator is closed (its cleanup
 * runs, as after a `break` in Python's `async with aclosing()`), and the
 * foreach completes with the error @func set, or successfully if it set
 * none.
 *
 * A foreach keeps @self alive until it completes.
 *
 * Since: 0.1
 */
void
agen_generator_foreach_async (AgenGenerator       *self,
                              AgenForeachFunc      func,
                              gpointer             func_data,
                              GDestroyNotify       func_data_destroy,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  GTask *task;
  Foreach *foreach;

  g_return_if_fail (AGEN_IS_GENERATOR (self));
  g_return_if_fail (func != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  foreach = g_new0 (Foreach, 1);
  foreach->func = func;
  foreach->func_data = func_data;
  foreach->func_data_destroy = func_data_destroy;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, agen_generator_foreach_async);
  g_task_set_task_data (task, foreach, foreach_free);
  /* The outcome is the generator's, as each next reports it: a
   * cancellation the body handled must not be turned into an error. */
  g_task_set_check_cancellable (task, FALSE);

  agen_generator_next_async (self, cancellable, foreach_next_cb, task);
}

/**
 * agen_generator_foreach_finish: (skip)
 * @self: a generator
 * @result: the result passed to the callback
 * @error: return location for an error
 *
 * Finishes [method@Generator.foreach_async].
 *
 * Returns: %TRUE when the generator finished or the function stopped
 *   without an error; %FALSE with @error set when the generator raised
 *   (or refused the first next: %AGEN_ERROR_RUNNING, say), when the
 *   function stopped with an error, or when closing the generator failed
 *
 * Since: 0.1
 */
gboolean
agen_generator_foreach_finish (AgenGenerator  *self,
                               GAsyncResult   *result,
                               GError        **error)
{
  g_return_val_if_fail (AGEN_IS_GENERATOR (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == agen_generator_foreach_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
