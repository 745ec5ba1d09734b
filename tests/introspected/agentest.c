/* agentest.c — C-made generators and C consumers for the binding tests
 *
 * Copyright 2026 The agen authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "agentest.h"

/* ------------------------------------------------------------------------
 * Body side helpers
 * ------------------------------------------------------------------------ */

static gboolean
yield_int (AgenGenerator *self,
           gint64         v,
           GError       **error)
{
  g_auto (GValue) value = G_VALUE_INIT;

  g_value_init (&value, G_TYPE_INT64);
  g_value_set_int64 (&value, v);
  return agen_generator_yield (self, &value, NULL, error);
}

static gboolean
yield_string (AgenGenerator *self,
              const char    *s,
              GValue        *sent,
              GError       **error)
{
  g_auto (GValue) value = G_VALUE_INIT;

  g_value_init (&value, G_TYPE_STRING);
  g_value_set_string (&value, s);
  return agen_generator_yield (self, &value, sent, error);
}

/* A timeout the body awaits; with a cancellable, cancelling it ends the
 * wait at once with G_IO_ERROR_CANCELLED. */
typedef struct
{
  GSource      *source;
  GCancellable *cancellable;
  gulong        handler;
} Sleep;

static void
sleep_free (gpointer data)
{
  Sleep *sleep = data;

  if (sleep->source != NULL)
    {
      g_source_destroy (sleep->source);
      g_source_unref (sleep->source);
    }
  g_clear_object (&sleep->cancellable);
  g_free (sleep);
}

static gboolean
sleep_timeout_cb (gpointer data)
{
  GTask *task = data;

  g_task_return_boolean (task, TRUE);
  return G_SOURCE_REMOVE;
}

static void
sleep_cancelled_cb (GCancellable *cancellable,
                    gpointer      data)
{
  GTask *task = data;

  /* GTask checks the cancellable when it returns: the error is
   * G_IO_ERROR_CANCELLED. */
  g_task_return_boolean (task, FALSE);
}

static gboolean
await_sleep (AgenGenerator  *self,
             guint           ms,
             GCancellable   *cancellable,
             GError        **error)
{
  GTask *task = g_task_new (NULL, cancellable, AGEN_AWAIT_CALLBACK (self));
  Sleep *sleep = g_new0 (Sleep, 1);
  GAsyncResult *result;
  gboolean ok;

  g_task_set_check_cancellable (task, TRUE);
  g_task_set_task_data (task, sleep, sleep_free);
  sleep->source = g_timeout_source_new (ms);
  g_source_set_callback (sleep->source, sleep_timeout_cb, task, NULL);
  g_source_attach (sleep->source, g_main_context_get_thread_default ());
  if (cancellable != NULL)
    {
      sleep->cancellable = g_object_ref (cancellable);
      sleep->handler = g_cancellable_connect (cancellable,
                                              G_CALLBACK (sleep_cancelled_cb),
                                              task, NULL);
    }

  result = agen_generator_await (self);
  ok = g_task_propagate_boolean (G_TASK (result), error);

  /* The task is done: stop whichever of the two did not fire. */
  if (sleep->handler != 0)
    g_cancellable_disconnect (sleep->cancellable, sleep->handler);
  sleep->handler = 0;
  g_source_destroy (sleep->source);
  return ok;
}

/* ------------------------------------------------------------------------
 * Generators
 * ------------------------------------------------------------------------ */

typedef struct
{
  int    n;
  guint  ms;
  char  *message;
} Params;

static void
params_free (gpointer data)
{
  Params *params = data;

  g_free (params->message);
  g_free (params);
}

static AgenGenerator *
new_generator (AgenGeneratorFunc  func,
               const char        *name,
               int                n,
               guint              ms,
               const char        *message)
{
  Params *params = g_new0 (Params, 1);
  AgenGenerator *generator;

  params->n = n;
  params->ms = ms;
  params->message = g_strdup (message);
  generator = agen_generator_new (func, params, params_free);
  agen_generator_set_name (generator, name);
  return generator;
}

static gboolean
count_body (AgenGenerator *self,
            gpointer       data,
            GError       **error)
{
  Params *params = data;
  g_auto (GValue) ret = G_VALUE_INIT;

  for (int i = 0; i < params->n; i++)
    {
      if (params->ms > 0 &&
          !await_sleep (self, params->ms, agen_generator_get_cancellable (self), error))
        return FALSE;
      if (!yield_int (self, i, error))
        return FALSE;
    }

  g_value_init (&ret, G_TYPE_INT64);
  g_value_set_int64 (&ret, params->n);
  agen_generator_set_return_value (self, &ret);
  return TRUE;
}

/**
 * agentest_count:
 * @n: how many items
 *
 * Returns: (transfer full): a generator yielding the int64 values 0 to
 *   @n - 1 without awaiting, whose return value is @n
 */
AgenGenerator *
agentest_count (int n)
{
  return new_generator (count_body, "count", n, 0, NULL);
}

/**
 * agentest_count_slowly:
 * @n: how many items
 * @ms: the timeout awaited before each item
 *
 * Returns: (transfer full): like agentest_count(), awaiting a timeout
 *   (with the step's cancellable) before each item
 */
AgenGenerator *
agentest_count_slowly (int   n,
                       guint ms)
{
  return new_generator (count_body, "count-slowly", n, MAX (ms, 1), NULL);
}

static gboolean
echo_body (AgenGenerator *self,
           gpointer       data,
           GError       **error)
{
  g_auto (GValue) current = G_VALUE_INIT;
  GError *local = NULL;

  g_value_init (&current, G_TYPE_STRING);
  g_value_set_string (&current, "ready");

  for (;;)
    {
      g_auto (GValue) sent = G_VALUE_INIT;

      if (!agen_generator_yield (self, &current, &sent, &local))
        {
          if (local->domain != G_IO_ERROR)
            {
              g_propagate_error (error, local);
              return FALSE;
            }
          g_value_unset (&current);
          g_value_init (&current, G_TYPE_STRING);
          g_value_take_string (&current, g_strdup_printf ("recovered: %s", local->message));
          g_clear_error (&local);
          continue;
        }

      g_value_unset (&current);
      g_value_init (&current, G_VALUE_TYPE (&sent));
      g_value_copy (&sent, &current);
    }
}

/**
 * agentest_echo:
 *
 * Returns: (transfer full): a generator that yields "ready", then yields
 *   back every value sent to it; a thrown G_IO_ERROR is caught and answered
 *   with the string "recovered: " and its message; other errors propagate
 */
AgenGenerator *
agentest_echo (void)
{
  return new_generator (echo_body, "echo", 0, 0, NULL);
}

static guint cleanups;

static gboolean
with_cleanup_body (AgenGenerator *self,
                   gpointer       data,
                   GError       **error)
{
  Params *params = data;
  GError *local = NULL;

  for (int i = 0; i < params->n; i++)
    {
      if (!yield_int (self, i, &local))
        {
          /* The cleanup awaits, then counts, then lets the error out. */
          await_sleep (self, 10, NULL, NULL);
          g_atomic_int_inc (&cleanups);
          g_propagate_error (error, local);
          return FALSE;
        }
    }

  g_atomic_int_inc (&cleanups);
  return TRUE;
}

/**
 * agentest_with_cleanup:
 * @n: how many items
 *
 * Returns: (transfer full): a generator yielding 0 to @n - 1 whose
 *   cleanup (when it ends or is closed or thrown into) awaits a 10 ms
 *   timeout and then counts one in agentest_cleanups()
 */
AgenGenerator *
agentest_with_cleanup (int n)
{
  return new_generator (with_cleanup_body, "with-cleanup", n, 0, NULL);
}

/**
 * agentest_cleanups:
 *
 * Returns: how many cleanups of agentest_with_cleanup() generators ran
 */
guint
agentest_cleanups (void)
{
  return g_atomic_int_get (&cleanups);
}

static gboolean
fail_after_body (AgenGenerator *self,
                 gpointer       data,
                 GError       **error)
{
  Params *params = data;

  for (int i = 0; i < params->n; i++)
    if (!yield_int (self, i, error))
      return FALSE;

  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, params->message);
  return FALSE;
}

/**
 * agentest_fail_after:
 * @n: how many items before failing
 * @message: the error message
 *
 * Returns: (transfer full): a generator yielding 0 to @n - 1, then failing
 *   with G_IO_ERROR_FAILED and @message
 */
AgenGenerator *
agentest_fail_after (int         n,
                     const char *message)
{
  return new_generator (fail_after_body, "fail-after", n, 0, message);
}

static gboolean
wait_for_cancel_body (AgenGenerator *self,
                      gpointer       data,
                      GError       **error)
{
  GError *local = NULL;

  if (await_sleep (self, 60 * 1000, agen_generator_get_cancellable (self), &local))
    return yield_string (self, "timed out", NULL, error);

  if (!g_error_matches (local, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_propagate_error (error, local);
      return FALSE;
    }

  g_clear_error (&local);
  return yield_string (self, "cancelled", NULL, error);
}

/**
 * agentest_wait_for_cancel:
 *
 * Returns: (transfer full): a generator whose first step awaits a 60 s
 *   timeout with the step's cancellable; when that is cancelled it yields
 *   "cancelled" (else "timed out"), and then finishes
 */
AgenGenerator *
agentest_wait_for_cancel (void)
{
  return new_generator (wait_for_cancel_body, "wait-for-cancel", 0, 0, NULL);
}

typedef struct
{
  AgenGenerator *inner;
  guint          depth;
} Delegate;

static void
delegate_free (gpointer data)
{
  Delegate *delegate = data;

  g_clear_object (&delegate->inner);
  g_free (delegate);
}

static gboolean
delegate_body (AgenGenerator *self,
               gpointer       data,
               GError       **error)
{
  Delegate *delegate = data;
  g_auto (GValue) ret = G_VALUE_INIT;

  if (!agen_generator_yield_from (self, delegate->inner, &ret, error))
    return FALSE;

  agen_generator_set_return_value (self, &ret);
  return TRUE;
}

/**
 * agentest_delegate:
 * @inner: the generator at the end of the chain
 * @depth: how many C fiber bodies delegate, one to the next
 *
 * Returns: (transfer full): the outermost of @depth generators whose
 *   bodies are each `yield_from` of the next, the last of @inner; next,
 *   send, throw and close pass through, and the return value comes back
 */
AgenGenerator *
agentest_delegate (AgenGenerator *inner,
                   guint          depth)
{
  AgenGenerator *current = g_object_ref (inner);

  g_return_val_if_fail (AGEN_IS_GENERATOR (inner), NULL);
  g_return_val_if_fail (depth > 0, NULL);

  for (guint i = 0; i < depth; i++)
    {
      Delegate *delegate = g_new0 (Delegate, 1);
      g_autofree char *name = g_strdup_printf ("delegate-%u", depth - i);

      delegate->inner = current;
      delegate->depth = depth - i;
      current = agen_generator_new (delegate_body, delegate, delegate_free);
      agen_generator_set_name (current, name);
    }

  return current;
}

/* ------------------------------------------------------------------------
 * Consumers
 * ------------------------------------------------------------------------ */

static gboolean
add_to_sum (gint64       *sum,
            const GValue *value,
            GError      **error)
{
  g_auto (GValue) as_int64 = G_VALUE_INIT;

  g_value_init (&as_int64, G_TYPE_INT64);
  if (!g_value_type_transformable (G_VALUE_TYPE (value), G_TYPE_INT64) ||
      !g_value_transform (value, &as_int64))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "Cannot add a value of type %s", G_VALUE_TYPE_NAME (value));
      return FALSE;
    }

  *sum += g_value_get_int64 (&as_int64);
  return TRUE;
}

/**
 * agentest_sum_blocking:
 * @generator: a generator of numbers
 * @error: return location for an error
 *
 * Returns: the sum of every item, taken with the blocking next
 */
gint64
agentest_sum_blocking (AgenGenerator  *generator,
                       GError        **error)
{
  gint64 sum = 0;

  for (;;)
    {
      g_auto (GValue) value = G_VALUE_INIT;
      GError *local = NULL;

      if (!agen_generator_next (generator, NULL, &value, &local))
        {
          if (local != NULL)
            {
              g_propagate_error (error, local);
              return 0;
            }
          return sum;
        }
      if (!add_to_sum (&sum, &value, error))
        return 0;
    }
}

static void
value_free (gpointer data)
{
  GValue *value = data;

  g_value_unset (value);
  g_free (value);
}

/**
 * agentest_collect_blocking:
 * @generator: a generator
 * @error: return location for an error
 *
 * Returns: (transfer full) (element-type GValue): every item, taken with
 *   the blocking next
 */
GPtrArray *
agentest_collect_blocking (AgenGenerator  *generator,
                           GError        **error)
{
  g_autoptr (GPtrArray) items = g_ptr_array_new_with_free_func (value_free);

  for (;;)
    {
      GValue *value = g_new0 (GValue, 1);
      GError *local = NULL;

      if (!agen_generator_next (generator, NULL, value, &local))
        {
          value_free (value);
          if (local != NULL)
            {
              g_propagate_error (error, local);
              return NULL;
            }
          return g_steal_pointer (&items);
        }
      g_ptr_array_add (items, value);
    }
}

typedef struct
{
  AgenGenerator *generator;
  gint64         sum;
} SumState;

static void
sum_state_free (gpointer data)
{
  SumState *state = data;

  g_clear_object (&state->generator);
  g_free (state);
}

static void
sum_next_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      data)
{
  g_autoptr (GTask) task = data;
  SumState *state = g_task_get_task_data (task);
  g_auto (GValue) value = G_VALUE_INIT;
  GError *error = NULL;

  if (!agen_generator_next_finish (state->generator, result, &value, &error))
    {
      if (error != NULL)
        g_task_return_error (task, error);
      else
        g_task_return_int (task, state->sum);
      return;
    }

  if (!add_to_sum (&state->sum, &value, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  agen_generator_next_async (state->generator, g_task_get_cancellable (task),
                             sum_next_cb, g_object_ref (task));
}

/**
 * agentest_sum_async:
 * @generator: a generator of numbers
 * @cancellable: (nullable): a cancellable, passed to every next
 * @callback: (scope async) (closure user_data): called with the sum
 * @user_data: data for @callback
 *
 * Sums every item, taken with agen_generator_next_async().
 */
void
agentest_sum_async (AgenGenerator       *generator,
                    GCancellable        *cancellable,
                    GAsyncReadyCallback  callback,
                    gpointer             user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  SumState *state = g_new0 (SumState, 1);

  g_task_set_source_tag (task, agentest_sum_async);
  state->generator = g_object_ref (generator);
  g_task_set_task_data (task, state, sum_state_free);
  agen_generator_next_async (generator, cancellable, sum_next_cb, task);
}

/**
 * agentest_sum_finish:
 * @result: the result passed to the callback
 * @error: return location for an error
 *
 * Returns: the sum
 */
gint64
agentest_sum_finish (GAsyncResult  *result,
                     GError       **error)
{
  return g_task_propagate_int (G_TASK (result), error);
}

/**
 * agentest_with_context_manager:
 * @generator: a generator that yields once
 * @entered: (out caller-allocates): the value it yielded on entry
 * @error: return location for an error
 *
 * Enters an AgenContextManager over @generator with the blocking API and
 * exits it normally.
 *
 * Returns: %TRUE when both the entry and the exit succeeded
 */
gboolean
agentest_with_context_manager (AgenGenerator  *generator,
                               GValue         *entered,
                               GError        **error)
{
  g_autoptr (AgenContextManager) cm = agen_context_manager_new_for_generator (generator);

  if (!agen_context_manager_enter (cm, NULL, entered, error))
    return FALSE;

  return agen_context_manager_exit_normally (cm, NULL, error);
}
