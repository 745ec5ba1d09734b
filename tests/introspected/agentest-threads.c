/* agentest-threads.c — a C consumer that iterates from a worker thread,
 * for the binding tests: every operation comes from a thread that is not
 * the generator's owner, so agen hands it to the owner thread, where a
 * Python or JS step function runs (docs/semantics.md, "Threads").
 *
 * Copyright 2026 The agen authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "agentest-threads.h"

#include "agentest.h"

static void
sum_in_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  AgenGenerator *generator = task_data;
  GError *error = NULL;
  gint64 sum;

  sum = agentest_sum_blocking (generator, &error);
  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_int (task, sum);
}

/**
 * agentest_sum_in_thread_async:
 * @generator: a generator of numbers, owned by the caller's thread (it
 *   must have been iterated there once, or the caller's thread must
 *   iterate the global default main context)
 * @cancellable: (nullable): a cancellable for the task
 * @callback: (scope async) (closure user_data): called with the sum
 * @user_data: data for @callback
 *
 * Sums every item with agentest_sum_blocking() called from a thread of
 * GTask's pool.
 */
void
agentest_sum_in_thread_async (AgenGenerator       *generator,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr (GTask) task = g_task_new (NULL, cancellable, callback, user_data);

  g_return_if_fail (AGEN_IS_GENERATOR (generator));

  g_task_set_source_tag (task, agentest_sum_in_thread_async);
  g_task_set_task_data (task, g_object_ref (generator), g_object_unref);
  g_task_run_in_thread (task, sum_in_thread);
}

/**
 * agentest_sum_in_thread_finish:
 * @result: the result passed to the callback
 * @error: return location for an error
 *
 * Returns: the sum
 */
gint64
agentest_sum_in_thread_finish (GAsyncResult  *result,
                               GError       **error)
{
  return g_task_propagate_int (G_TASK (result), error);
}
