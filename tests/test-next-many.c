/* test-next-many.c — agen_generator_next_many_async(): batches of values
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <agen.h>

#include "agen-test-util.h"

typedef struct
{
  guint     count;        /* values to yield */
  gboolean  await_each;   /* await a short sleep before every yield */
  gboolean  fail_after;   /* raise after the last value */
} Counting;

static gboolean
counting_body (AgenGenerator  *self,
               gpointer        user_data,
               GError        **error)
{
  Counting *counting = user_data;

  for (guint i = 0; i < counting->count; i++)
    {
      if (counting->await_each && !agen_test_sleep (self, 1, NULL, error))
        return FALSE;
      if (!agen_test_yield_int (self, (int) i, NULL, error))
        return FALSE;
    }

  if (counting->fail_after)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE, "broken after %u", counting->count);
      return FALSE;
    }

  return TRUE;
}

typedef struct
{
  gboolean  done;
  gboolean  ok;
  GArray   *values;
  GError   *error;
} Batch;

static void
next_many_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Batch *batch = user_data;

  batch->ok = agen_generator_next_many_finish (AGEN_GENERATOR (source), result,
                                               &batch->values, &batch->error);
  batch->done = TRUE;
}

/* One call: asserts the callback is not synchronous, waits for it. */
static void
next_many (AgenGenerator *gen,
           guint          max_items,
           GCancellable  *cancellable,
           Batch         *batch)
{
  memset (batch, 0, sizeof *batch);
  agen_generator_next_many_async (gen, max_items, cancellable, next_many_cb, batch);
  g_assert_false (batch->done);
  agen_test_spin_until (&batch->done, 5000);
}

static void
batch_clear (Batch *batch)
{
  g_clear_pointer (&batch->values, g_array_unref);
  g_clear_error (&batch->error);
}

static void
assert_batch (Batch *batch,
              guint  first,
              guint  length)
{
  g_assert_no_error (batch->error);
  g_assert_true (batch->ok);
  g_assert_nonnull (batch->values);
  g_assert_cmpuint (batch->values->len, ==, length);
  for (guint i = 0; i < length; i++)
    {
      GValue *value = &g_array_index (batch->values, GValue, i);

      g_assert_true (G_VALUE_HOLDS_INT (value));
      g_assert_cmpint (g_value_get_int (value), ==, (int) (first + i));
    }
}

static void
assert_finished (Batch *batch)
{
  g_assert_no_error (batch->error);
  g_assert_false (batch->ok);
  g_assert_null (batch->values);
}

static void
test_full_batches (void)
{
  Counting counting = { 1000, FALSE, FALSE };
  g_autoptr(AgenGenerator) gen = agen_generator_new (counting_body, &counting, NULL);
  Batch batch;
  guint next = 0;

  g_test_summary ("1,000 values in batches of 64: every value once, in order; "
                  "the last batch is short; then finished");

  while (next < 1000)
    {
      guint expected = MIN (64, 1000 - next);

      next_many (gen, 64, NULL, &batch);
      assert_batch (&batch, next, expected);
      batch_clear (&batch);
      next += expected;
    }

  next_many (gen, 64, NULL, &batch);
  assert_finished (&batch);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_CLOSED);
}

static gboolean
string_body (AgenGenerator  *self,
             gpointer        user_data,
             GError        **error)
{
  guint count = GPOINTER_TO_UINT (user_data);

  for (guint i = 0; i < count; i++)
    {
      g_auto(GValue) value = G_VALUE_INIT;

      g_value_init (&value, G_TYPE_STRING);
      g_value_take_string (&value, g_strdup_printf ("value %u", i));
      if (!agen_generator_yield (self, &value, NULL, error))
        return FALSE;
    }

  return TRUE;
}

static void
test_large_batches (void)
{
  g_autoptr(AgenGenerator) gen = agen_generator_new (string_body, GUINT_TO_POINTER (700), NULL);
  Batch batch;
  guint next = 0;

  g_test_summary ("Batches larger than the 64 values a batch holds without "
                  "growing, of strings (copied, owned by the array): 700 "
                  "values in batches of 300, every one once, in order");

  while (next < 700)
    {
      guint expected = MIN (300, 700 - next);

      next_many (gen, 300, NULL, &batch);
      g_assert_no_error (batch.error);
      g_assert_true (batch.ok);
      g_assert_cmpuint (batch.values->len, ==, expected);
      for (guint i = 0; i < expected; i++)
        {
          GValue *value = &g_array_index (batch.values, GValue, i);
          g_autofree char *want = g_strdup_printf ("value %u", next + i);

          g_assert_true (G_VALUE_HOLDS_STRING (value));
          g_assert_cmpstr (g_value_get_string (value), ==, want);
        }
      batch_clear (&batch);
      next += expected;
    }

  next_many (gen, 300, NULL, &batch);
  assert_finished (&batch);
}

static void
test_waiting_step_delivers (void)
{
  Counting counting = { 3, TRUE, FALSE };
  g_autoptr(AgenGenerator) gen = agen_generator_new (counting_body, &counting, NULL);
  Batch batch;

  g_test_summary ("A step that had to wait delivers the batch at once: one "
                  "value per batch when every value is awaited");

  for (guint i = 0; i < 3; i++)
    {
      next_many (gen, 64, NULL, &batch);
      assert_batch (&batch, i, 1);
      batch_clear (&batch);
    }

  next_many (gen, 64, NULL, &batch);
  assert_finished (&batch);
}

static void
test_error_after_values_is_deferred (void)
{
  Counting counting = { 5, FALSE, TRUE };
  g_autoptr(AgenGenerator) gen = agen_generator_new (counting_body, &counting, NULL);
  Batch batch;

  g_test_summary ("The body raising after some values of a batch: the values "
                  "are delivered, the error comes with the next operation, "
                  "once, then finished");

  next_many (gen, 64, NULL, &batch);
  assert_batch (&batch, 0, 5);
  batch_clear (&batch);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_CLOSED);

  next_many (gen, 64, NULL, &batch);
  g_assert_error (batch.error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE);
  g_assert_cmpstr (batch.error->message, ==, "broken after 5");
  g_assert_false (batch.ok);
  g_assert_null (batch.values);
  batch_clear (&batch);

  next_many (gen, 64, NULL, &batch);
  assert_finished (&batch);
}

static void
test_deferred_error_reaches_next (void)
{
  Counting counting = { 2, FALSE, TRUE };
  g_autoptr(AgenGenerator) gen = agen_generator_new (counting_body, &counting, NULL);
  g_auto(GValue) value = G_VALUE_INIT;
  g_autoptr(GError) error = NULL;
  Batch batch;

  g_test_summary ("A deferred error is reported by a plain next too");

  next_many (gen, 10, NULL, &batch);
  assert_batch (&batch, 0, 2);
  batch_clear (&batch);

  g_assert_false (agen_generator_next (gen, NULL, &value, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE);
  g_assert_true (agen_test_value_is_none (&value));
}

static void
test_error_before_values (void)
{
  Counting counting = { 0, FALSE, TRUE };
  g_autoptr(AgenGenerator) gen = agen_generator_new (counting_body, &counting, NULL);
  Batch batch;

  g_test_summary ("The body raising before any value: the batch fails with it");

  next_many (gen, 8, NULL, &batch);
  g_assert_error (batch.error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE);
  g_assert_false (batch.ok);
  batch_clear (&batch);

  next_many (gen, 8, NULL, &batch);
  assert_finished (&batch);
}

static void
test_cancelled_at_call (void)
{
  Counting counting = { 3, FALSE, FALSE };
  g_autoptr(AgenGenerator) gen = agen_generator_new (counting_body, &counting, NULL);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  Batch batch;

  g_test_summary ("A cancellable already cancelled: G_IO_ERROR_CANCELLED, "
                  "nothing else happens");

  g_cancellable_cancel (cancellable);
  next_many (gen, 8, cancellable, &batch);
  g_assert_error (batch.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_false (batch.ok);
  batch_clear (&batch);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_CREATED);
}

static void
test_one_at_a_time (void)
{
  Counting counting = { 2, FALSE, FALSE };
  g_autoptr(AgenGenerator) gen = agen_generator_new (counting_body, &counting, NULL);
  g_auto(GValue) value = G_VALUE_INIT;
  Batch batch;

  g_test_summary ("max_items 1 is next; mixing with next keeps the order");

  next_many (gen, 1, NULL, &batch);
  assert_batch (&batch, 0, 1);
  batch_clear (&batch);

  g_assert_true (agen_generator_next (gen, NULL, &value, NULL));
  g_assert_cmpint (g_value_get_int (&value), ==, 1);

  next_many (gen, 1, NULL, &batch);
  assert_finished (&batch);
}

/* From another thread ---------------------------------------------------- */

typedef struct
{
  AgenGenerator *gen;
  guint          received;
  gboolean       in_order;
  gboolean       sizes_right;
  gboolean       finished;
  GArray        *last;
  gboolean       done;
  gint           exited;   /* atomic */
} WorkerBatches;

static gboolean
count_with_pauses_body (AgenGenerator  *self,
                        gpointer        user_data,
                        GError        **error)
{
  for (int i = 1; i <= 300; i++)
    {
      /* Every seventh value makes the step wait: the batch is then
       * delivered early, from the owner thread. */
      if (i % 7 == 0 && !agen_test_sleep (self, 0, NULL, error))
        return FALSE;
      if (!agen_test_yield_int (self, i, NULL, error))
        return FALSE;
    }
  return TRUE;
}

static void
worker_batch_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  WorkerBatches *w = user_data;
  g_autoptr(GError) error = NULL;

  g_assert_false (w->done);
  w->done = TRUE;
  if (!agen_generator_next_many_finish (AGEN_GENERATOR (source), result, &w->last, &error))
    {
      g_assert_no_error (error);
      w->finished = TRUE;
    }
}

static gpointer
worker_batches_thread (gpointer data)
{
  WorkerBatches *w = data;
  g_autoptr(GMainContext) context = g_main_context_new ();

  g_main_context_push_thread_default (context);
  while (!w->finished)
    {
      w->done = FALSE;
      agen_generator_next_many_async (w->gen, 5, NULL, worker_batch_cb, w);
      while (!w->done)
        g_main_context_iteration (context, TRUE);

      /* A batch ends when full or right after a step that waited. */
      if (w->last != NULL)
        {
          guint expected = 0;

          for (int v = w->received + 1; v <= 300 && expected < 5; v++)
            {
              expected++;
              if (v % 7 == 0)
                break;
            }
          if (w->last->len != expected)
            w->sizes_right = FALSE;
        }

      for (guint i = 0; w->last != NULL && i < w->last->len; i++)
        {
          GValue *v = &g_array_index (w->last, GValue, i);

          if (g_value_get_int (v) != (int) w->received + 1)
            w->in_order = FALSE;
          w->received++;
        }
      g_clear_pointer (&w->last, g_array_unref);
    }
  g_main_context_pop_thread_default (context);

  g_atomic_int_set (&w->exited, 1);
  g_main_context_wakeup (NULL);
  return NULL;
}

static void
test_from_other_thread (void)
{
  WorkerBatches w = { NULL, 1, TRUE, TRUE, FALSE, NULL, FALSE, 0 };
  g_autoptr(AgenGenerator) gen = agen_generator_new (count_with_pauses_body, NULL, NULL);
  g_autoptr(GError) error = NULL;
  g_auto(GValue) first = G_VALUE_INIT;
  GThread *thread;

  g_test_summary ("batches asked for from another thread run on the owner's "
                  "thread and come back whole (full, or ending at a step that "
                  "waited, as on the owner's thread), in order, none lost");

  /* The main context owns it. */
  g_assert_true (agen_generator_next (gen, NULL, &first, &error));
  agen_test_assert_int (&first, 1);

  w.gen = gen;
  thread = g_thread_new ("batches", worker_batches_thread, &w);
  while (!g_atomic_int_get (&w.exited))
    g_main_context_iteration (NULL, TRUE);
  g_thread_join (thread);

  g_assert_true (w.in_order);
  g_assert_true (w.sizes_right);
  g_assert_cmpuint (w.received, ==, 300);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Agen/NextMany/full-batches", test_full_batches);
  g_test_add_func ("/Agen/NextMany/large-batches", test_large_batches);
  g_test_add_func ("/Agen/NextMany/waiting-step-delivers", test_waiting_step_delivers);
  g_test_add_func ("/Agen/NextMany/error-after-values-is-deferred", test_error_after_values_is_deferred);
  g_test_add_func ("/Agen/NextMany/deferred-error-reaches-next", test_deferred_error_reaches_next);
  g_test_add_func ("/Agen/NextMany/error-before-values", test_error_before_values);
  g_test_add_func ("/Agen/NextMany/cancelled-at-call", test_cancelled_at_call);
  g_test_add_func ("/Agen/NextMany/one-at-a-time", test_one_at_a_time);
  g_test_add_func ("/Agen/NextMany/from-other-thread", test_from_other_thread);

  return g_test_run ();
}
