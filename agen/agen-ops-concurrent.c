/* agen-ops-concurrent.c — zip, merge and batch: combinators with more than
 * one operation on their sources in flight
 *
 * Copyright 2026 The agen authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <glib/gi18n-lib.h>

#include "agen-ops-private.h"

/*
 * Driven generators, like those of agen-ops.c. What they add: a pull of a
 * source may outlive the step that started it (merge keeps every source
 * busy; batch answers on a timeout while a pull is on its way). Such pulls
 * run with a cancellable of the combinator's own per source, linked to the
 * step's cancellable only while a step waits; before closing its sources
 * (a source cannot be closed while an operation runs) a combinator cancels
 * the pulls still in flight and waits for them.
 */

/* Closing a set of sources ----------------------------------------------- */

typedef void (*ClosedFunc) (gpointer  data,
                            GError   *error);

typedef struct
{
  guint       outstanding;
  GError     *error;
  ClosedFunc  done;
  gpointer    data;
} Closer;

static void
closer_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  Closer *closer = user_data;
  GError *error = NULL;

  if (!agen_generator_close_finish (AGEN_GENERATOR (object), result, &error))
    {
      if (closer->error == NULL)
        closer->error = error;
      else
        g_error_free (error);
    }

  if (--closer->outstanding == 0)
    {
      closer->done (closer->data, closer->error);
      g_free (closer);
    }
}

/* Closes every source at once; then calls done with the first error of
 * their cleanups (transfer full), or NULL. */
static void
close_all (GPtrArray  *sources,
           ClosedFunc  done,
           gpointer    data)
{
  Closer *closer;

  if (sources->len == 0)
    {
      done (data, NULL);
      return;
    }

  closer = g_new0 (Closer, 1);
  closer->outstanding = sources->len;
  closer->done = done;
  closer->data = data;
  for (guint i = 0; i < sources->len; i++)
    agen_generator_close_async (g_ptr_array_index (sources, i), NULL,
                                closer_cb, closer);
}

/* Answers the end of the combinator after its sources closed: error (the
 * reason to end, transfer full) if set, else the sources' first close
 * error, else the end. */
static void
answer_end (AgenGenerator *self,
            GError        *error,
            GError        *close_error)
{
  if (error != NULL)
    {
      agen_generator_answer_error (self, error);
      g_error_free (error);
      g_clear_error (&close_error);
    }
  else if (close_error != NULL)
    {
      agen_generator_answer_error (self, close_error);
      g_error_free (close_error);
    }
  else
    {
      agen_generator_answer_return (self, NULL);
    }
}

/* zip -------------------------------------------------------------------- */

typedef struct
{
  GPtrArray     *sources;
  AgenGenerator *self;
  GValue        *items;        /* one per source */
  guint          outstanding;
  gboolean       ended;        /* a source finished */
  GError        *error;        /* the first source error */
} Zip;

static void
zip_free (gpointer data)
{
  Zip *zip = data;

  for (guint i = 0; i < zip->sources->len; i++)
    if (G_IS_VALUE (&zip->items[i]))
      g_value_unset (&zip->items[i]);
  g_free (zip->items);
  g_ptr_array_unref (zip->sources);
  g_clear_error (&zip->error);
  g_free (zip);
}

static void
zip_closed (gpointer  data,
            GError   *close_error)
{
  Zip *zip = data;

  answer_end (zip->self, g_steal_pointer (&zip->error), close_error);
}

static void
zip_item_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  Zip *zip = user_data;
  guint i;
  GError *error = NULL;
  g_auto(GValue) tuple = G_VALUE_INIT;

  for (i = 0; i < zip->sources->len; i++)
    if (g_ptr_array_index (zip->sources, i) == (gpointer) object)
      break;
  g_assert (i < zip->sources->len);

  if (!agen_generator_next_finish (AGEN_GENERATOR (object), result,
                                   &zip->items[i], &error))
    {
      if (error == NULL)
        zip->ended = TRUE;
      else if (zip->error == NULL)
        zip->error = error;
      else
        g_error_free (error);
    }

  if (--zip->outstanding > 0)
    return;

  if (zip->ended || zip->error != NULL)
    {
      /* The shortest source ended (or one failed): the others' items of
       * this round are dropped, and the sources closed. */
      close_all (zip->sources, zip_closed, zip);
      return;
    }

  agen_ops_value_set_tuple (&tuple, zip->items, zip->sources->len);
  for (i = 0; i < zip->sources->len; i++)
    g_value_unset (&zip->items[i]);
  agen_generator_answer_yield (zip->self, &tuple);
}

static gboolean
zip_step (AgenGenerator  *generator,
          AgenStepKind    kind,
          GValue         *value,
          GError         *thrown,
          GCancellable   *cancellable,
          gpointer        user_data,
          GError        **error)
{
  Zip *zip = user_data;

  zip->self = generator;

  switch (kind)
    {
    case AGEN_STEP_CLOSE:
      close_all (zip->sources, zip_closed, zip);
      return TRUE;
    case AGEN_STEP_THROW:
      zip->error = g_error_copy (thrown);
      close_all (zip->sources, zip_closed, zip);
      return TRUE;
    case AGEN_STEP_NEXT:
    case AGEN_STEP_SEND:
    default:
      break;
    }

  if (zip->sources->len == 0)
    {
      agen_generator_answer_return (generator, NULL);
      return TRUE;
    }

  zip->outstanding = zip->sources->len;
  for (guint i = 0; i < zip->sources->len; i++)
    agen_generator_next_async (g_ptr_array_index (zip->sources, i),
                               cancellable, zip_item_cb, zip);

  return TRUE;
}

/**
 * agen_zip:
 * @sources: (array length=n_sources): the generators to zip
 * @n_sources: how many there are
 *
 * Makes a generator that yields tuples, as Python's `zip()`: a
 * [struct@GObject.ValueArray] holding the next item of every source, in the
 * order of @sources.
 *
 * Each step asks all sources for their next item at once (with the step's
 * cancellable) and yields when all have answered. When one of them has
 * finished, the items the others gave in that round are dropped, every
 * source is closed, and the zip finishes; when one fails, likewise, and the
 * zip fails with the first error. Closing the zip closes every source. A
 * sent value is ignored; a thrown error closes the sources and is raised.
 *
 * Returns: (transfer full): a new generator
 *
 * Since: 0.1
 */
AgenGenerator *
agen_zip (AgenGenerator **sources,
          guint           n_sources)
{
  AgenGenerator *gen;
  GPtrArray *array;
  Zip *zip;

  g_return_val_if_fail (sources != NULL || n_sources == 0, NULL);

  array = agen_ops_sources_new (sources, n_sources);
  if (array == NULL)
    return NULL;

  zip = g_new0 (Zip, 1);
  zip->sources = array;
  zip->items = g_new0 (GValue, MAX (n_sources, 1));
  gen = agen_generator_new_driven (zip_step, zip, zip_free);
  agen_generator_set_name (gen, "zip");

  return gen;
}

/* merge ------------------------------------------------------------------ */

typedef struct _Merge Merge;

typedef struct
{
  Merge         *merge;
  AgenGenerator *source;
  GCancellable  *cancellable;   /* for the pull in flight */
  gboolean       pulling;
  gboolean       buffered;      /* its last item waits in merge->ready */
  gboolean       done;          /* finished or failed */
} Slot;

struct _Merge
{
  GPtrArray     *sources;
  Slot          *slots;
  guint          n_slots;
  GQueue         ready;          /* of Ready*, oldest first */
  AgenGenerator *self;
  gboolean       waiting;        /* a step waits for an item */
  GCancellable  *step_cancellable;
  gulong         step_handler;
  guint          pulling;        /* pulls in flight */
  GError        *error;          /* the first source error */
  gboolean       stopping;       /* closing, or failing: no more pulls */
  gboolean       closing_sources; /* close_all() is on its way */
  gboolean       shut;           /* failed, and the sources are closed */
  gboolean       closing;        /* the consumer closes (or throws) */
  GError        *throw_error;    /* what the consumer threw */
  gboolean       dead;           /* the generator let go of it */
};

typedef struct
{
  Slot   *slot;
  GValue  value;
} Ready;

static void
ready_free (gpointer data)
{
  Ready *ready = data;

  g_value_unset (&ready->value);
  g_free (ready);
}

/* The memory, once the generator and every pull and close in flight have
 * let go (a Merge is a g_rc_box: each of those holds a reference). */
static void
merge_clear (gpointer data)
{
  Merge *merge = data;

  for (guint i = 0; i < merge->n_slots; i++)
    g_clear_object (&merge->slots[i].cancellable);
  g_free (merge->slots);
  g_queue_clear_full (&merge->ready, ready_free);
  g_ptr_array_unref (merge->sources);
  g_clear_error (&merge->error);
  g_clear_error (&merge->throw_error);
}

static void
merge_release (Merge *merge)
{
  g_rc_box_release_full (merge, merge_clear);
}

static void merge_cancel_pulls (Merge *merge);

/* The generator's destroy notify. Pulls are normally over by then (a close
 * waits for them); if the generator was destroyed without a close (a
 * finalizer hook that drops it), the pulls still in flight are cancelled
 * and their outcomes dropped when they come. */
static void
merge_free (gpointer data)
{
  Merge *merge = data;

  merge->dead = TRUE;
  merge_cancel_pulls (merge);
  if (merge->step_cancellable != NULL)
    g_cancellable_disconnect (merge->step_cancellable, merge->step_handler);
  g_clear_object (&merge->step_cancellable);
  merge_release (merge);
}

/* Stops following the waiting step's cancellable. */
static void
merge_unlink_step (Merge *merge)
{
  if (merge->step_cancellable != NULL)
    {
      g_cancellable_disconnect (merge->step_cancellable, merge->step_handler);
      g_clear_object (&merge->step_cancellable);
      merge->step_handler = 0;
    }
}

static void
merge_cancel_pulls (Merge *merge)
{
  for (guint i = 0; i < merge->n_slots; i++)
    if (merge->slots[i].pulling)
      g_cancellable_cancel (merge->slots[i].cancellable);
}

static void merge_closed_alive (Merge  *merge,
                                GError *close_error);

static void
merge_closed (gpointer  data,
              GError   *close_error)
{
  Merge *merge = data;

  merge->closing_sources = FALSE;
  if (merge->dead)
    {
      g_clear_error (&close_error);
      merge_release (merge);
      return;
    }
  merge_closed_alive (merge, close_error);
  merge_release (merge);
}

static void
merge_closed_alive (Merge  *merge,
                    GError *close_error)
{
  if (merge->closing)
    {
      /* The consumer's close (its outcome is the cleanups'), or throw. */
      answer_end (merge->self, g_steal_pointer (&merge->throw_error),
                  close_error);
      return;
    }

  /* A source failed and every source is closed now. The error is
   * reported by the step that waits, or by the next one. */
  g_clear_error (&close_error);
  merge->shut = TRUE;
  if (merge->waiting && g_queue_is_empty (&merge->ready))
    {
      merge->waiting = FALSE;
      merge_unlink_step (merge);
      answer_end (merge->self, g_steal_pointer (&merge->error), NULL);
    }
}

/* Once no pull is in flight, closes the sources if the merge is stopping
 * (once: a consumer's close that comes while a failure is closing them
 * waits for that). */
static void
merge_maybe_close (Merge *merge)
{
  if (merge->stopping && merge->pulling == 0 && !merge->closing_sources &&
      !merge->shut)
    {
      merge->closing_sources = TRUE;
      close_all (merge->sources, merge_closed, g_rc_box_acquire (merge));
    }
}

static void merge_item_cb (GObject      *object,
                           GAsyncResult *result,
                           gpointer      user_data);

static void
merge_arm (Merge *merge)
{
  for (guint i = 0; i < merge->n_slots; i++)
    {
      Slot *slot = &merge->slots[i];

      if (slot->pulling || slot->buffered || slot->done)
        continue;
      if (g_cancellable_is_cancelled (slot->cancellable))
        {
          g_object_unref (slot->cancellable);
          slot->cancellable = g_cancellable_new ();
        }
      slot->pulling = TRUE;
      merge->pulling++;
      g_rc_box_acquire (merge);   /* released by merge_item_cb() */
      agen_generator_next_async (slot->source, slot->cancellable,
                                 merge_item_cb, slot);
    }
}

static gboolean
merge_all_done (Merge *merge)
{
  for (guint i = 0; i < merge->n_slots; i++)
    if (!merge->slots[i].done)
      return FALSE;
  return TRUE;
}

static void merge_item (Merge        *merge,
                        Slot         *slot,
                        GAsyncResult *result);

static void
merge_item_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  Slot *slot = user_data;
  Merge *merge = slot->merge;

  slot->pulling = FALSE;
  merge->pulling--;

  if (merge->dead)
    agen_generator_next_finish (slot->source, result, NULL, NULL);
  else
    merge_item (merge, slot, result);

  merge_release (merge);
}

static void
merge_item (Merge        *merge,
            Slot         *slot,
            GAsyncResult *result)
{
  Ready *ready = g_new0 (Ready, 1);
  GError *error = NULL;

  if (agen_generator_next_finish (slot->source, result, &ready->value, &error))
    {
      if (merge->stopping)
        {
          /* Closing or failing: items still arriving are dropped. */
          ready_free (ready);
          merge_maybe_close (merge);
          return;
        }
      ready->slot = slot;
      if (merge->waiting)
        {
          merge->waiting = FALSE;
          merge_unlink_step (merge);
          agen_generator_answer_yield (merge->self, &ready->value);
          ready_free (ready);
          merge_arm (merge);
          return;
        }
      slot->buffered = TRUE;
      g_queue_push_tail (&merge->ready, ready);
      return;
    }

  ready_free (ready);
  slot->done = TRUE;

  if (error != NULL)
    {
      if (merge->error == NULL && !merge->closing)
        {
          /* The first error: stop everything, close the sources, then
           * report it. */
          merge->error = error;
          if (!merge->stopping)
            {
              merge->stopping = TRUE;
              merge_cancel_pulls (merge);
            }
        }
      else
        {
          g_error_free (error);
        }
      merge_maybe_close (merge);
      return;
    }

  if (merge->stopping)
    {
      merge_maybe_close (merge);
      return;
    }

  /* This source finished; the merge ends after the last one. */
  if (merge->waiting && merge_all_done (merge) && g_queue_is_empty (&merge->ready))
    {
      merge->waiting = FALSE;
      merge_unlink_step (merge);
      agen_generator_answer_return (merge->self, NULL);
    }
}

static void
merge_step_cancelled_cb (GCancellable *cancellable,
                         gpointer      user_data)
{
  /* Cancels the pulls the step waits for; their outcomes end the wait. */
  merge_cancel_pulls (user_data);
}

static gboolean
merge_step (AgenGenerator  *generator,
            AgenStepKind    kind,
            GValue         *value,
            GError         *thrown,
            GCancellable   *cancellable,
            gpointer        user_data,
            GError        **error)
{
  Merge *merge = user_data;
  Ready *ready;

  merge->self = generator;

  switch (kind)
    {
    case AGEN_STEP_CLOSE:
    case AGEN_STEP_THROW:
      merge->closing = TRUE;
      if (kind == AGEN_STEP_THROW)
        merge->throw_error = g_error_copy (thrown);
      if (merge->shut)
        {
          answer_end (generator, g_steal_pointer (&merge->throw_error), NULL);
          return TRUE;
        }
      if (!merge->stopping)
        {
          merge->stopping = TRUE;
          merge_cancel_pulls (merge);
        }
      merge_maybe_close (merge);
      return TRUE;
    case AGEN_STEP_NEXT:
    case AGEN_STEP_SEND:
    default:
      break;
    }

  ready = g_queue_pop_head (&merge->ready);
  if (ready != NULL)
    {
      ready->slot->buffered = FALSE;
      if (!merge->stopping)
        merge_arm (merge);
      agen_generator_answer_yield (generator, &ready->value);
      ready_free (ready);
      return TRUE;
    }

  if (merge->error != NULL && merge->shut)
    {
      /* Failed and shut down: report the error, once. */
      answer_end (generator, g_steal_pointer (&merge->error), NULL);
      return TRUE;
    }

  if (merge->error == NULL && merge_all_done (merge))
    {
      agen_generator_answer_return (generator, NULL);
      return TRUE;
    }

  merge->waiting = TRUE;
  if (!merge->stopping)
    merge_arm (merge);
  if (cancellable != NULL && merge->waiting)
    {
      merge->step_cancellable = g_object_ref (cancellable);
      merge->step_handler = g_cancellable_connect (cancellable,
                                                   G_CALLBACK (merge_step_cancelled_cb),
                                                   merge, NULL);
    }

  return TRUE;
}

/**
 * agen_merge:
 * @sources: (array length=n_sources): the generators to merge
 * @n_sources: how many there are
 *
 * Makes a generator that yields the items of all @sources as they arrive.
 *
 * Every source is pulled concurrently: each has one `next` in flight, and
 * gets the next one once its item has been yielded, so a fast source never
 * waits for a slow one, and no more than one item per source waits in the
 * merge. Items of one source keep their order; the merge finishes when all
 * sources have finished.
 *
 * When a source fails, the merge stops pulling, cancels the pulls in
 * flight, closes every source, and fails with that error, once (after the
 * items that were already waiting). Closing the merge does the same and
 * succeeds; throwing into it closes the sources and raises the thrown
 * error. A waiting step whose cancellable is cancelled cancels the pulls in
 * flight; what the sources do with that (usually fail with
 * %G_IO_ERROR_CANCELLED) decides the step's outcome. Sent values are
 * ignored.
 *
 * Returns: (transfer full): a new generator
 *
 * Since: 0.1
 */
AgenGenerator *
agen_merge (AgenGenerator **sources,
            guint           n_sources)
{
  AgenGenerator *gen;
  GPtrArray *array;
  Merge *merge;

  g_return_val_if_fail (sources != NULL || n_sources == 0, NULL);

  array = agen_ops_sources_new (sources, n_sources);
  if (array == NULL)
    return NULL;

  merge = g_rc_box_new0 (Merge);
  merge->sources = array;
  merge->n_slots = n_sources;
  merge->slots = g_new0 (Slot, MAX (n_sources, 1));
  for (guint i = 0; i < n_sources; i++)
    {
      merge->slots[i].merge = merge;
      merge->slots[i].source = g_ptr_array_index (array, i);
      merge->slots[i].cancellable = g_cancellable_new ();
    }
  g_queue_init (&merge->ready);

  gen = agen_generator_new_driven (merge_step, merge, merge_free);
  agen_generator_set_name (gen, "merge");

  return gen;
}

/* batch ------------------------------------------------------------------ */

typedef struct
{
  AgenGenerator *source;
  AgenGenerator *self;
  guint          max_items;
  guint          timeout_ms;
  GArray        *items;           /* of GValue, the batch being filled */
  GCancellable  *cancellable;     /* for the pull in flight */
  gboolean       pulling;
  gboolean       waiting;         /* a step waits for the batch */
  gboolean       expired;         /* the batch's time is up */
  GSource       *timer;           /* the batch's timeout, in flight */
  gboolean       ended;           /* the source finished or failed */
  GError        *error;           /* the source's error, to report */
  gboolean       closing;
  GError        *throw_error;     /* what the consumer threw */
  GCancellable  *step_cancellable;
  gulong         step_handler;
  gboolean       dead;            /* the generator let go of it */
} Batch;

static void
batch_unlink_step (Batch *batch)
{
  if (batch->step_cancellable != NULL)
    {
      g_cancellable_disconnect (batch->step_cancellable, batch->step_handler);
      g_clear_object (&batch->step_cancellable);
      batch->step_handler = 0;
    }
}

static void
batch_stop_timer (Batch *batch)
{
  if (batch->timer != NULL)
    {
      g_source_destroy (batch->timer);
      g_clear_pointer (&batch->timer, g_source_unref);
    }
}

/* The memory, once the generator and the pull in flight, if any, have let
 * go (a Batch is a g_rc_box; the pull holds a reference). */
static void
batch_clear (gpointer data)
{
  Batch *batch = data;

  g_clear_object (&batch->source);
  g_clear_object (&batch->cancellable);
  g_array_unref (batch->items);
  g_clear_error (&batch->error);
  g_clear_error (&batch->throw_error);
}

/* The generator's destroy notify: a pull still in flight (the generator
 * was destroyed without a close) is cancelled and its outcome dropped. */
static void
batch_free (gpointer data)
{
  Batch *batch = data;

  batch->dead = TRUE;
  batch_stop_timer (batch);
  batch_unlink_step (batch);
  if (batch->pulling)
    g_cancellable_cancel (batch->cancellable);
  g_rc_box_release_full (batch, batch_clear);
}

/* Yields the batch to the waiting step. */
static void
batch_deliver (Batch *batch)
{
  g_auto(GValue) tuple = G_VALUE_INIT;

  g_assert (batch->waiting && batch->items->len > 0);
  batch_stop_timer (batch);
  batch->expired = FALSE;
  batch->waiting = FALSE;
  batch_unlink_step (batch);

  agen_ops_value_set_tuple (&tuple, (GValue *) (gpointer) batch->items->data,
                            batch->items->len);
  g_array_set_size (batch->items, 0);
  agen_generator_answer_yield (batch->self, &tuple);
}

static void
batch_source_closed_cb (GObject      *object,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  Batch *batch = user_data;
  GError *close_error = NULL;

  agen_generator_close_finish (batch->source, result, &close_error);
  answer_end (batch->self, g_steal_pointer (&batch->throw_error), close_error);
}

static void batch_pull (Batch *batch);

static gboolean
batch_timeout_cb (gpointer user_data)
{
  Batch *batch = user_data;

  g_clear_pointer (&batch->timer, g_source_unref);
  batch->expired = TRUE;
  if (batch->waiting && batch->items->len > 0)
    batch_deliver (batch);

  return G_SOURCE_REMOVE;
}

static void batch_item (Batch        *batch,
                        GAsyncResult *result);

static void
batch_item_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  Batch *batch = user_data;

  batch->pulling = FALSE;
  if (batch->dead)
    agen_generator_next_finish (batch->source, result, NULL, NULL);
  else
    batch_item (batch, result);
  g_rc_box_release_full (batch, batch_clear);
}

static void
batch_item (Batch        *batch,
            GAsyncResult *result)
{
  GValue item = G_VALUE_INIT;
  GError *error = NULL;

  if (agen_generator_next_finish (batch->source, result, &item, &error))
    {
      if (batch->closing)
        {
          g_value_unset (&item);
          agen_generator_close_async (batch->source, NULL,
                                      batch_source_closed_cb, batch);
          return;
        }
      g_array_append_val (batch->items, item);   /* moved */
      if (batch->items->len == 1 && batch->timeout_ms > 0)
        {
          /* In the owner context, thread-default here. */
          batch->timer = g_timeout_source_new (batch->timeout_ms);
          g_source_set_callback (batch->timer, batch_timeout_cb, batch, NULL);
          g_source_set_static_name (batch->timer, "[agen] batch timeout");
          g_source_attach (batch->timer, g_main_context_get_thread_default ());
        }
      if (batch->items->len >= batch->max_items)
        {
          if (batch->waiting)
            batch_deliver (batch);
          return;
        }
      if (batch->waiting)
        batch_pull (batch);
      return;
    }

  batch->ended = TRUE;
  batch->error = error;

  if (batch->closing)
    {
      agen_generator_close_async (batch->source, NULL,
                                  batch_source_closed_cb, batch);
      return;
    }
  if (!batch->waiting)
    return;
  if (batch->items->len > 0)
    {
      batch_deliver (batch);   /* the error, if any, comes next */
      return;
    }

  batch->waiting = FALSE;
  batch_unlink_step (batch);
  answer_end (batch->self, g_steal_pointer (&batch->error), NULL);
}

static void
batch_pull (Batch *batch)
{
  if (g_cancellable_is_cancelled (batch->cancellable))
    {
      g_object_unref (batch->cancellable);
      batch->cancellable = g_cancellable_new ();
    }
  batch->pulling = TRUE;
  agen_generator_next_async (batch->source, batch->cancellable,
                             batch_item_cb, g_rc_box_acquire (batch));
}

/* Cancels the pull the waiting step waits for (whichever cancellable it
 * has by then). */
static void
batch_step_cancelled_cb (GCancellable *cancellable,
                         gpointer      user_data)
{
  Batch *batch = user_data;

  g_cancellable_cancel (batch->cancellable);
}

static gboolean
batch_step (AgenGenerator  *generator,
            AgenStepKind    kind,
            GValue         *value,
            GError         *thrown,
            GCancellable   *cancellable,
            gpointer        user_data,
            GError        **error)
{
  Batch *batch = user_data;

  batch->self = generator;

  switch (kind)
    {
    case AGEN_STEP_CLOSE:
    case AGEN_STEP_THROW:
      batch->closing = TRUE;
      if (kind == AGEN_STEP_THROW)
        batch->throw_error = g_error_copy (thrown);
      if (batch->pulling)
        g_cancellable_cancel (batch->cancellable);
      else
        agen_generator_close_async (batch->source, NULL,
                                    batch_source_closed_cb, batch);
      return TRUE;
    case AGEN_STEP_NEXT:
    case AGEN_STEP_SEND:
    default:
      break;
    }

  batch->waiting = TRUE;

  if (batch->items->len > 0 &&
      (batch->expired || batch->ended || batch->items->len >= batch->max_items))
    {
      batch_deliver (batch);
      return TRUE;
    }
  if (batch->ended)
    {
      batch->waiting = FALSE;
      answer_end (generator, g_steal_pointer (&batch->error), NULL);
      return TRUE;
    }

  if (!batch->pulling)
    batch_pull (batch);
  if (cancellable != NULL)
    {
      batch->step_cancellable = g_object_ref (cancellable);
      batch->step_handler = g_cancellable_connect (cancellable,
                                                   G_CALLBACK (batch_step_cancelled_cb),
                                                   batch, NULL);
    }

  return TRUE;
}

/**
 * agen_generator_batch:
 * @self: the source
 * @max_items: the most items per batch; at least 1
 * @timeout_ms: how long a batch may wait for more items after its first
 *   one, in milliseconds; 0 for no limit
 *
 * Makes a generator that yields the items of @self in batches: each a
 * [struct@GObject.ValueArray] of 1 to @max_items items, in order.
 *
 * A batch is yielded when it holds @max_items items, or @timeout_ms after
 * its first item arrived (whichever comes first), or when @self ends. A
 * pull of @self still in flight when the timeout yields a batch goes on;
 * its item starts the next batch. When @self fails, the items before the
 * error are yielded first and the error comes at the next step. Closing
 * the batch generator cancels a pull in flight and closes @self; a thrown
 * error does the same, then is raised (the items of an unfinished batch
 * are dropped in both cases). The step's cancellable, while a step waits, cancels
 * the pull in flight.
 *
 * Returns: (transfer full): a new generator
 *
 * Since: 0.1
 */
AgenGenerator *
agen_generator_batch (AgenGenerator *self,
                      guint          max_items,
                      guint          timeout_ms)
{
  AgenGenerator *gen;
  Batch *batch;

  g_return_val_if_fail (AGEN_IS_GENERATOR (self), NULL);
  g_return_val_if_fail (max_items > 0, NULL);

  batch = g_rc_box_new0 (Batch);
  batch->source = g_object_ref (self);
  batch->max_items = max_items;
  batch->timeout_ms = timeout_ms;
  batch->items = g_array_new (FALSE, TRUE, sizeof (GValue));
  g_array_set_clear_func (batch->items, (GDestroyNotify) g_value_unset);
  batch->cancellable = g_cancellable_new ();

  gen = agen_generator_new_driven (batch_step, batch, batch_free);
  agen_generator_set_name (gen, "batch");

  return gen;
}
