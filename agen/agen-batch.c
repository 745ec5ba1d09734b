/* agen-batch.c — next_many: several values per callback
 *
 * Copyright 2026 The agen authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "agen-batch-private.h"
#include "agen-result-private.h"

static void batch_finish (AgenBatch *batch);

static void
clear_value (gpointer data)
{
  agen_value_clear (data);
}

/* Takes the outcome of the step just done. TRUE to go on. */
static gboolean
batch_absorb (AgenBatch *batch)
{
  AgenOp *step = &batch->step;
  gboolean go_on = FALSE;

  switch (step->outcome)
    {
    case AGEN_OP_YIELDED:
      agen_batch_append (batch, &step->out_value);
      go_on = batch->n_items < batch->max;
      break;

    case AGEN_OP_FAILED:
      batch->error = g_steal_pointer (&step->out_error);
      break;

    case AGEN_OP_FINISHED:
    case AGEN_OP_PENDING:
    default:
      break;
    }

  agen_op_clear (step);
  return go_on;
}

static void
batch_step_complete (AgenOp *op)
{
  AgenBatch *batch = op->batch;

  batch->step_done = TRUE;
  if (batch->stepping)
    return;   /* the driver loop takes it from here */

  /* The step had to wait: deliver what there is. */
  batch_absorb (batch);
  batch_finish (batch);
}

static void
batch_run (AgenBatch *batch)
{
  for (;;)
    {
      agen_op_init (&batch->step, AGEN_OP_NEXT, NULL, NULL,
                    batch->op->cancellable, batch_step_complete);
      batch->step.batch = batch;
      batch->step_done = FALSE;
      batch->stepping = TRUE;
      agen_generator_start_op (batch->self, &batch->step);
      batch->stepping = FALSE;

      if (!batch->step_done)
        return;   /* batch_step_complete() finishes it */

      if (!batch_absorb (batch))
        break;
    }

  batch_finish (batch);
}

/* An AgenInvokeFunc: a batch started on another thread. */
static void
batch_run_cb (gpointer data)
{
  batch_run (data);
}

static void
batch_finish (AgenBatch *batch)
{
  AgenGenerator *self = batch->self;
  AgenOp *op = batch->op;

  if (batch->n_items > 0)
    {
      GValue value = G_VALUE_INIT;
      GArray *values;

      /* Values are never dropped: an error the body raised after some
       * came out is reported by the next operation. An error that changed
       * nothing (a busy generator, a cancellable cancelled before the
       * step) is dropped; the next call meets it again. */
      if (batch->error != NULL)
        {
          if (agen_generator_get_state (self) == AGEN_GENERATOR_STATE_CLOSED)
            {
              g_clear_error (&self->deferred_error);
              self->deferred_error = g_steal_pointer (&batch->error);
            }
          g_clear_error (&batch->error);
        }

      values = g_array_sized_new (FALSE, FALSE, sizeof (GValue), batch->n_items);
      /* Without a clear func, freeing an array of numbers frees just the
       * array, instead of calling the func for every value. */
      if (batch->has_owned)
        g_array_set_clear_func (values, clear_value);
      g_array_append_vals (values, batch->items, batch->n_items);
      batch->n_items = 0;

      g_value_init (&value, G_TYPE_ARRAY);
      g_value_take_boxed (&value, values);
      agen_op_set_yielded (op, &value);
    }
  else if (batch->error != NULL)
    {
      agen_op_take_error (op, g_steal_pointer (&batch->error));
    }
  else
    {
      agen_op_set_finished (op);
    }

  if (batch->items != batch->inline_items)
    g_free (batch->items);
  g_free (batch);

  op->complete (op);
}

/**
 * agen_generator_next_many_async:
 * @self: a generator
 * @max_items: the most values to deliver at once, at least 1
 * @cancellable: (nullable): a cancellable, the step cancellable of every
 *   step of the batch
 * @callback: (scope async) (closure user_data): called with the batch
 * @user_data: data for @callback
 *
 * Like [method@Generator.next_async], but runs the body for up to
 * @max_items values and delivers them in one callback: one main-loop pass
 * for the lot instead of one per value.
 *
 * Steps run one after the other for as long as each completes without
 * waiting; the batch is delivered when it is full, when the body finishes,
 * or right after a step that had to wait (for I/O, say), so values never
 * wait for more to come. Values are never lost: if the body raises after
 * some values of a batch, the batch is delivered and the error comes with
 * the next operation.
 *
 * Since: 0.1
 */
void
agen_generator_next_many_async (AgenGenerator       *self,
                                guint                max_items,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  AgenResult *result;
  AgenOp *op;
  AgenBatch *batch;
  guint capacity;

  g_return_if_fail (AGEN_IS_GENERATOR (self));
  g_return_if_fail (max_items > 0);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  result = agen_generator_new_result (self, agen_generator_next_many_async, callback, user_data);
  op = agen_result_get_op (result);
  agen_op_init (op, AGEN_OP_NEXT, NULL, NULL, cancellable, agen_result_complete_op);

  /* A cancellable already cancelled refuses the first step, which fails
   * the batch with nothing else done, as for any op. */
  capacity = MIN (max_items, AGEN_BATCH_INLINE_ITEMS);
  /* The values need no zeroing: each is written before it is read. */
  batch = g_malloc (sizeof (AgenBatch) + capacity * sizeof (GValue));
  memset (batch, 0, sizeof (AgenBatch));
  batch->self = self;
  batch->op = op;
  batch->max = max_items;
  batch->items = batch->inline_items;
  batch->capacity = capacity;

  /* The steps run on the owner's thread, and their completions touch the
   * batch: so the batch runs there too, handed over whole from any other
   * thread. Settle the owner first, as a step would (unless the
   * cancellable refuses the step, which must not record one). */
  if (g_atomic_pointer_get (&self->owner) == NULL &&
      !(cancellable != NULL && g_cancellable_is_cancelled (cancellable)))
    agen_generator_first_op (self);

  if (self->owner != NULL && !agen_dispatcher_is_current_thread (self->owner))
    agen_dispatcher_invoke (self->owner, batch_run_cb, batch);
  else
    batch_run (batch);
}

/**
 * agen_generator_next_many_finish:
 * @self: a generator
 * @result: the result passed to the callback
 * @values: (out) (optional) (nullable) (transfer full) (element-type GValue):
 *   return location for the values, in order; %NULL when none
 * @error: return location for an error
 *
 * Finishes [method@Generator.next_many_async].
 *
 * Returns: %TRUE with at least one value; %FALSE without an error when the
 *   generator has finished; %FALSE with @error set when the body raised
 *   (before any value of this batch) or the operation was not allowed
 *
 * Since: 0.1
 */
gboolean
agen_generator_next_many_finish (AgenGenerator  *self,
                                 GAsyncResult   *result,
                                 GArray        **values,
                                 GError        **error)
{
  GValue value = G_VALUE_INIT;
  gboolean ok;

  g_return_val_if_fail (AGEN_IS_GENERATOR (self), FALSE);

  if (values != NULL)
    *values = NULL;

  ok = agen_generator_finish_op (self, result, agen_generator_next_many_async, &value, error);
  if (ok && values != NULL)
    *values = g_value_dup_boxed (&value);
  g_value_unset (&value);

  return ok;
}
