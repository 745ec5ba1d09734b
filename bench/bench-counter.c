/* bench-counter.c — a class-based async iterator, the way a GNOME
 * developer writes one today: a GObject, one GTask per item
 *
 * Copyright 2026 The agen authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "bench-counter.h"

/* Written the ordinary way on purpose, checks included: it stands for what
 * agen has to beat, so it must not be a strawman (the value is moved out,
 * not copied) nor hand-tuned beyond what such code usually is. */

struct _BenchCounter
{
  GObject parent_instance;

  gint    next;
  gint    limit;
};

G_DEFINE_FINAL_TYPE (BenchCounter, bench_counter, G_TYPE_OBJECT)

static void
bench_counter_class_init (BenchCounterClass *klass)
{
}

static void
bench_counter_init (BenchCounter *self)
{
}

BenchCounter *
bench_counter_new (gint limit)
{
  BenchCounter *self = g_object_new (BENCH_TYPE_COUNTER, NULL);

  self->limit = limit;

  return self;
}

static void
value_free (gpointer data)
{
  GValue *value = data;

  g_value_unset (value);
  g_free (value);
}

void
bench_counter_next_async (BenchCounter        *self,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  GValue *value;

  g_return_if_fail (BENCH_IS_COUNTER (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, bench_counter_next_async);

  if (self->limit >= 0 && self->next >= self->limit)
    {
      /* The end of iteration: no value and no error. */
      g_task_return_pointer (task, NULL, NULL);
      return;
    }

  value = g_new0 (GValue, 1);
  g_value_init (value, G_TYPE_INT);
  g_value_set_int (value, self->next++);
  /* Called from a callback of this same main-context iteration (the usual
   * case in a callback loop), GTask defers the callback to an idle
   * source: the callback never runs synchronously. */
  g_task_return_pointer (task, value, value_free);
}

gboolean
bench_counter_next_finish (BenchCounter  *self,
                           GAsyncResult  *result,
                           GValue        *value,
                           GError       **error)
{
  GValue *next;

  g_return_val_if_fail (BENCH_IS_COUNTER (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_async_result_is_tagged (result, bench_counter_next_async), FALSE);

  next = g_task_propagate_pointer (G_TASK (result), error);
  if (next == NULL)
    {
      if (value != NULL)
        g_value_init (value, G_TYPE_POINTER);
      return FALSE;
    }

  /* Move the contents out rather than copy them. */
  if (value != NULL)
    *value = *next;
  else
    g_value_unset (next);
  g_free (next);

  return TRUE;
}
