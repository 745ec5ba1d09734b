/* agen-ops-sinks.c — consume a generator: into an array, a GOutputStream
 * or a GListStore
 *
 * Copyright 2026 The agen authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "agen-error.h"
#include "agen-ops.h"

/*
 * Each sink is a GTask that pulls the source in batches: it takes items
 * with agen_generator_try_next() as long as the source yields them within
 * the call (no callback, no main-loop pass per item), up to SINK_BATCH, and
 * hands the batch on at once (one write, one splice). Then:
 *
 *   the batch was full      → the next batch in a later main-loop pass, at
 *                             idle priority, so that a window's redraws and
 *                             input get their turn (a write's completion is
 *                             that pass already);
 *   the source has to wait  → agen_generator_wait_async() collects its
 *                             step, whose item starts the next batch;
 *   the source ended        → the sink completes, with the source's error
 *                             if it failed.
 *
 * When a sink stops for a reason of its own (its cancellable, a write
 * error, an item of the wrong type), it closes the source, so that the
 * source's cleanup runs, and then reports that reason.
 */

/* Items per batch: what a sink handles in one main-loop pass. */
#define SINK_BATCH 256

typedef enum
{
  AFTER_FULL,     /* the batch was full: go on in a later pass */
  AFTER_WAIT,     /* the source's step goes on: wait for it */
  AFTER_END,      /* the source ended (source_error if it failed) */
  AFTER_NEXT,     /* the source belongs to another thread: next_async */
} After;

typedef enum
{
  SINK_COLLECT,
  SINK_WRITE,
  SINK_FILL,
} SinkKind;

typedef struct
{
  SinkKind        kind;
  GPtrArray      *collected;   /* collect: of GValue* */
  GOutputStream  *stream;      /* write */
  AgenWriteFlags  flags;
  GBytes         *pending;     /* write: the batch being written */
  GListStore     *store;       /* fill */
  guint64         count;       /* bytes written, items added */
  GError         *error;       /* the sink's own reason to stop */
  After           after;       /* what follows the batch in hand */
  GError         *source_error;
} Sink;

static void
sink_free (gpointer data)
{
  Sink *sink = data;

  g_clear_pointer (&sink->collected, g_ptr_array_unref);
  g_clear_object (&sink->stream);
  g_clear_pointer (&sink->pending, g_bytes_unref);
  g_clear_object (&sink->store);
  g_clear_error (&sink->error);
  g_clear_error (&sink->source_error);
  g_free (sink);
}

static void
value_free (gpointer data)
{
  GValue *value = data;

  g_value_unset (value);
  g_free (value);
}

static void sink_pull     (GTask  *task,
                           GValue *first);
static void sink_continue (GTask  *task);

/* The end, successful (error NULL) or not (transfer full). With
 * AGEN_WRITE_FLAGS_CLOSE, closes the stream first. */
static void
sink_return (GTask  *task,
             GError *error);

static void
stream_closed_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Sink *sink = g_task_get_task_data (task);
  GError *error = g_steal_pointer (&sink->error);
  GError *close_error = NULL;

  g_output_stream_close_finish (G_OUTPUT_STREAM (object), result, &close_error);
  if (error == NULL)
    error = close_error;
  else
    g_clear_error (&close_error);

  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
sink_return (GTask  *task,
             GError *error)
{
  Sink *sink = g_task_get_task_data (task);

  if (sink->kind == SINK_WRITE && (sink->flags & AGEN_WRITE_FLAGS_CLOSE) != 0 &&
      !g_output_stream_is_closed (sink->stream))
    {
      g_clear_error (&sink->error);
      sink->error = error;
      g_output_stream_close_async (sink->stream, G_PRIORITY_DEFAULT, NULL,
                                   stream_closed_cb, g_object_ref (task));
      g_object_unref (task);
      return;
    }

  if (error != NULL)
    g_task_return_error (task, error);
  else if (sink->kind == SINK_COLLECT)
    g_task_return_pointer (task, g_steal_pointer (&sink->collected),
                           (GDestroyNotify) g_ptr_array_unref);
  else
    g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

static void
source_closed_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  GTask *task = user_data;
  Sink *sink = g_task_get_task_data (task);

  agen_generator_close_finish (AGEN_GENERATOR (object), result, NULL);
  sink_return (task, g_steal_pointer (&sink->error));
}

/* Stops for a reason of the sink's own: closes the source, then reports
 * error (transfer full). */
static void
sink_fail (GTask  *task,
           GError *error)
{
  Sink *sink = g_task_get_task_data (task);

  g_clear_error (&sink->error);
  sink->error = error;
  agen_generator_close_async (g_task_get_source_object (task), NULL,
                              source_closed_cb, task);
}

/* The sink failed while the source's step went on: that step has ended,
 * now close the source and report the sink's error. */
static void
failed_wait_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  GTask *task = user_data;
  Sink *sink = g_task_get_task_data (task);

  agen_generator_wait_finish (AGEN_GENERATOR (object), result, NULL, NULL);
  sink_fail (task, g_steal_pointer (&sink->error));
}

/* Stops for a reason of the sink's own, after a batch was taken. A source
 * whose step goes on (a try_next that has to wait) cannot be closed while
 * it runs: collect that step first. */
static void
sink_stop (GTask  *task,
           GError *error)
{
  Sink *sink = g_task_get_task_data (task);

  if (sink->after != AFTER_WAIT)
    {
      sink_fail (task, error);
      return;
    }

  g_clear_error (&sink->error);
  sink->error = error;
  agen_generator_wait_async (g_task_get_source_object (task),
                             g_task_get_cancellable (task), failed_wait_cb, task);
}

static void
written_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  GTask *task = user_data;
  Sink *sink = g_task_get_task_data (task);
  GError *error = NULL;
  gsize written = 0;

  g_clear_pointer (&sink->pending, g_bytes_unref);
  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (object), result,
                                         &written, &error))
    {
      sink->count += written;
      g_clear_error (&sink->source_error);
      sink_stop (task, error);
      return;
    }
  sink->count += written;
  sink_continue (task);
}

/* Appends value to buffer for writing; FALSE with error for a value that
 * is neither a string nor bytes. */
static gboolean
append_for_write (GByteArray    *buffer,
                  const GValue  *value,
                  gboolean       lines,
                  GError       **error)
{
  if (G_VALUE_HOLDS_STRING (value))
    {
      const char *s = g_value_get_string (value);

      if (s != NULL)
        g_byte_array_append (buffer, (const guint8 *) s, strlen (s));
    }
  else if (G_VALUE_HOLDS (value, G_TYPE_BYTES))
    {
      GBytes *bytes = g_value_get_boxed (value);

      if (bytes != NULL)
        g_byte_array_append (buffer, g_bytes_get_data (bytes, NULL),
                             g_bytes_get_size (bytes));
    }
  else
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("Cannot write an item of type “%s” to a stream"),
                   G_VALUE_TYPE_NAME (value));
      return FALSE;
    }

  if (lines)
    g_byte_array_append (buffer, (const guint8 *) "\n", 1);

  return TRUE;
}

/* Takes one batch; FALSE with error to stop. Continues the loop itself
 * when it started an operation (a write). */
static gboolean
sink_take (GTask   *task,
           GArray  *values,
           GError **error)
{
  Sink *sink = g_task_get_task_data (task);

  switch (sink->kind)
    {
    case SINK_COLLECT:
      for (guint i = 0; i < values->len; i++)
        {
          GValue *copy = g_new0 (GValue, 1);
          GValue *value = &g_array_index (values, GValue, i);

          /* Moved, not copied: the array's own is left empty. */
          *copy = *value;
          memset (value, 0, sizeof (GValue));
          g_ptr_array_add (sink->collected, copy);
        }
      return TRUE;

    case SINK_WRITE:
      {
        GByteArray *buffer = g_byte_array_new ();
        gboolean lines = (sink->flags & AGEN_WRITE_FLAGS_LINES) != 0;

        for (guint i = 0; i < values->len; i++)
          if (!append_for_write (buffer, &g_array_index (values, GValue, i),
                                 lines, error))
            {
              g_byte_array_unref (buffer);
              return FALSE;
            }

        sink->pending = g_byte_array_free_to_bytes (buffer);
        g_output_stream_write_all_async (sink->stream,
                                         g_bytes_get_data (sink->pending, NULL),
                                         g_bytes_get_size (sink->pending),
                                         G_PRIORITY_DEFAULT,
                                         g_task_get_cancellable (task),
                                         written_cb, task);
        return TRUE;
      }

    case SINK_FILL:
    default:
      {
        GType item_type = g_list_model_get_item_type (G_LIST_MODEL (sink->store));
        g_autofree gpointer *objects = g_new0 (gpointer, values->len);

        for (guint i = 0; i < values->len; i++)
          {
            GValue *value = &g_array_index (values, GValue, i);
            GObject *object = G_VALUE_HOLDS_OBJECT (value) ? g_value_get_object (value) : NULL;

            if (object == NULL || !g_type_is_a (G_OBJECT_TYPE (object), item_type))
              {
                g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                             _("Cannot add an item of type “%s” to a list of “%s”"),
                             object ? G_OBJECT_TYPE_NAME (object) : G_VALUE_TYPE_NAME (value),
                             g_type_name (item_type));
                return FALSE;
              }
            objects[i] = object;
          }

        /* One items-changed per batch. */
        g_list_store_splice (sink->store,
                             g_list_model_get_n_items (G_LIST_MODEL (sink->store)),
                             0, objects, values->len);
        sink->count += values->len;
        return TRUE;
      }
    }
}

static void
wait_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  GTask *task = user_data;
  Sink *sink = g_task_get_task_data (task);
  GValue item = G_VALUE_INIT;
  GError *error = NULL;

  if (agen_generator_wait_finish (AGEN_GENERATOR (object), result, &item, &error))
    {
      sink_pull (task, &item);
      return;
    }

  g_value_unset (&item);
  sink->after = AFTER_END;
  sink->source_error = error;
  sink_continue (task);
}

static void
next_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  GTask *task = user_data;
  Sink *sink = g_task_get_task_data (task);
  GValue item = G_VALUE_INIT;
  GError *error = NULL;

  if (agen_generator_next_finish (AGEN_GENERATOR (object), result, &item, &error))
    {
      sink_pull (task, &item);
      return;
    }

  g_value_unset (&item);
  sink->after = AFTER_END;
  sink->source_error = error;
  sink_continue (task);
}

static gboolean
next_batch_cb (gpointer user_data)
{
  sink_pull (user_data, NULL);
  return G_SOURCE_REMOVE;
}

/* What follows a batch that has been handed on. */
static void
sink_continue (GTask *task)
{
  Sink *sink = g_task_get_task_data (task);
  GSource *source;

  switch (sink->after)
    {
    case AFTER_WAIT:
      agen_generator_wait_async (g_task_get_source_object (task),
                                 g_task_get_cancellable (task), wait_cb, task);
      break;

    case AFTER_END:
      sink_return (task, g_steal_pointer (&sink->source_error));
      break;

    case AFTER_NEXT:
      agen_generator_next_async (g_task_get_source_object (task),
                                 g_task_get_cancellable (task), next_cb, task);
      break;

    case AFTER_FULL:
    default:
      if (sink->kind == SINK_WRITE)
        {
          /* The write's completion came in a pass of its own already. */
          sink_pull (task, NULL);
          break;
        }
      source = g_idle_source_new ();
      g_source_set_priority (source, G_PRIORITY_DEFAULT_IDLE);
      g_source_set_callback (source, next_batch_cb, task, NULL);
      g_source_set_static_name (source, "[agen] sink batch");
      g_source_attach (source, g_task_get_context (task));
      g_source_unref (source);
      break;
    }
}

/* Takes a batch (first, when given, is its first item, moved) and hands it
 * on; then sink_continue(), or the write's callback, goes on. */
static void
sink_pull (GTask  *task,
           GValue *first)
{
  Sink *sink = g_task_get_task_data (task);
  AgenGenerator *source = g_task_get_source_object (task);
  g_autoptr(GArray) values = g_array_sized_new (FALSE, TRUE, sizeof (GValue), SINK_BATCH);
  GError *error = NULL;

  g_array_set_clear_func (values, (GDestroyNotify) g_value_unset);
  if (first != NULL)
    g_array_append_val (values, *first);   /* moved */

  /* A source that goes on after a cancellation (it does not pass the step
   * cancellable on) is stopped here. */
  if (g_cancellable_set_error_if_cancelled (g_task_get_cancellable (task), &error))
    {
      sink_fail (task, error);
      return;
    }

  sink->after = AFTER_FULL;
  while (values->len < SINK_BATCH)
    {
      GValue item = G_VALUE_INIT;

      if (agen_generator_try_next (source, &item, &error))
        {
          g_array_append_val (values, item);   /* moved */
          continue;
        }
      g_value_unset (&item);
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        {
          g_clear_error (&error);
          sink->after = AFTER_WAIT;
        }
      else if (g_error_matches (error, AGEN_ERROR, AGEN_ERROR_WRONG_CONTEXT))
        {
          /* Owned by another thread's context, where try_next cannot run
           * the body: the ordinary next_async hands each step over. */
          g_clear_error (&error);
          sink->after = AFTER_NEXT;
        }
      else
        {
          sink->after = AFTER_END;
          sink->source_error = g_steal_pointer (&error);
        }
      break;
    }

  if (values->len > 0)
    {
      if (!sink_take (task, values, &error))
        {
          g_clear_error (&sink->source_error);
          sink_stop (task, error);
          return;
        }
      if (sink->kind == SINK_WRITE)
        return;   /* written_cb goes on */
    }

  sink_continue (task);
}

static GTask *
sink_task_new (AgenGenerator       *self,
               SinkKind             kind,
               GCancellable        *cancellable,
               GAsyncReadyCallback  callback,
               gpointer             user_data,
               gpointer             source_tag)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  Sink *sink = g_new0 (Sink, 1);

  sink->kind = kind;
  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, sink, sink_free);
  /* The outcome is what the sink decided, also when the cancellable was
   * cancelled after the last item. */
  g_task_set_check_cancellable (task, FALSE);

  return task;
}

/**
 * agen_generator_collect_async:
 * @self: the generator to consume
 * @cancellable: (nullable): a cancellable, passed to every step of @self
 * @callback: (scope async): called when done
 * @user_data: data for @callback
 *
 * Consumes @self to the end and collects its items into an array.
 *
 * Items are taken in batches of up to 256, one main-loop pass per batch
 * at most (none between the items a source yields without waiting). When @self fails, so does the collection, with
 * @self's error; when @cancellable is cancelled and @self goes on anyway,
 * @self is closed and the collection fails with %G_IO_ERROR_CANCELLED.
 *
 * Since: 0.1
 */
void
agen_generator_collect_async (AgenGenerator       *self,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  GTask *task;
  Sink *sink;

  g_return_if_fail (AGEN_IS_GENERATOR (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = sink_task_new (self, SINK_COLLECT, cancellable, callback, user_data,
                        agen_generator_collect_async);
  sink = g_task_get_task_data (task);
  sink->collected = g_ptr_array_new_with_free_func (value_free);
  sink_pull (task, NULL);
}

/**
 * agen_generator_collect_finish:
 * @self: the generator
 * @result: the result passed to the callback
 * @error: return location for an error
 *
 * Gets the items [method@Generator.collect_async] collected.
 *
 * Returns: (transfer container) (element-type GValue): the items in
 *   order, or %NULL with @error set
 *
 * Since: 0.1
 */
GPtrArray *
agen_generator_collect_finish (AgenGenerator  *self,
                               GAsyncResult   *result,
                               GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                        agen_generator_collect_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * agen_generator_write_to_stream_async:
 * @self: the generator to consume
 * @stream: where to write
 * @flags: options
 * @cancellable: (nullable): a cancellable, for the steps of @self and the
 *   writes
 * @callback: (scope async): called when done
 * @user_data: data for @callback
 *
 * Consumes @self to the end, writing each item to @stream: a string's
 * bytes (without its terminating NUL) or a [struct@GLib.Bytes]'s, followed
 * by `"\n"` with %AGEN_WRITE_FLAGS_LINES.
 *
 * Flow control: the items that are ready are written with one
 * [method@Gio.OutputStream.write_all_async], and @self is asked for more
 * only when that write has completed, so a slow stream slows the
 * generator down instead of filling memory. An item of another type fails
 * the operation with %G_IO_ERROR_INVALID_ARGUMENT; that, a write error or
 * a cancellation closes @self before the operation completes. With
 * %AGEN_WRITE_FLAGS_CLOSE, @stream is closed at the end, after an error
 * too.
 *
 * Since: 0.1
 */
void
agen_generator_write_to_stream_async (AgenGenerator       *self,
                                      GOutputStream       *stream,
                                      AgenWriteFlags       flags,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  GTask *task;
  Sink *sink;

  g_return_if_fail (AGEN_IS_GENERATOR (self));
  g_return_if_fail (G_IS_OUTPUT_STREAM (stream));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = sink_task_new (self, SINK_WRITE, cancellable, callback, user_data,
                        agen_generator_write_to_stream_async);
  sink = g_task_get_task_data (task);
  sink->stream = g_object_ref (stream);
  sink->flags = flags;
  sink_pull (task, NULL);
}

/**
 * agen_generator_write_to_stream_finish:
 * @self: the generator
 * @result: the result passed to the callback
 * @bytes_written: (out) (optional): how many bytes were written, also
 *   when it failed
 * @error: return location for an error
 *
 * Finishes [method@Generator.write_to_stream_async].
 *
 * Returns: %TRUE when every item was written; %FALSE with @error set
 *
 * Since: 0.1
 */
gboolean
agen_generator_write_to_stream_finish (AgenGenerator  *self,
                                       GAsyncResult   *result,
                                       guint64        *bytes_written,
                                       GError        **error)
{
  Sink *sink;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                        agen_generator_write_to_stream_async, FALSE);

  sink = g_task_get_task_data (G_TASK (result));
  if (bytes_written != NULL)
    *bytes_written = sink->count;

  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * agen_generator_fill_list_store_async:
 * @self: the generator to consume
 * @store: the store to append to
 * @cancellable: (nullable): a cancellable, passed to every step of @self
 * @callback: (scope async): called when done
 * @user_data: data for @callback
 *
 * Consumes @self to the end, appending its items to @store as they arrive,
 * for a view (a `GtkListView`) that fills while the work goes on.
 *
 * The items that are ready are appended together, with one
 * [method@Gio.ListStore.splice] and so one
 * [signal@Gio.ListModel::items-changed], at most 256 per main-loop pass:
 * the main loop, and the window, stay responsive. Every item must be an
 * object of @store's item type; another one fails the operation with
 * %G_IO_ERROR_INVALID_ARGUMENT (the items before it stay in @store). That
 * or a cancellation closes @self before the operation completes.
 *
 * Since: 0.1
 */
void
agen_generator_fill_list_store_async (AgenGenerator       *self,
                                      GListStore          *store,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  GTask *task;
  Sink *sink;

  g_return_if_fail (AGEN_IS_GENERATOR (self));
  g_return_if_fail (G_IS_LIST_STORE (store));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = sink_task_new (self, SINK_FILL, cancellable, callback, user_data,
                        agen_generator_fill_list_store_async);
  sink = g_task_get_task_data (task);
  sink->store = g_object_ref (store);
  sink_pull (task, NULL);
}

/**
 * agen_generator_fill_list_store_finish:
 * @self: the generator
 * @result: the result passed to the callback
 * @n_items: (out) (optional): how many items were appended, also when it
 *   failed
 * @error: return location for an error
 *
 * Finishes [method@Generator.fill_list_store_async].
 *
 * Returns: %TRUE when @self ended normally; %FALSE with @error set
 *
 * Since: 0.1
 */
gboolean
agen_generator_fill_list_store_finish (AgenGenerator  *self,
                                       GAsyncResult   *result,
                                       guint64        *n_items,
                                       GError        **error)
{
  Sink *sink;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                        agen_generator_fill_list_store_async, FALSE);

  sink = g_task_get_task_data (G_TASK (result));
  if (n_items != NULL)
    *n_items = sink->count;

  return g_task_propagate_boolean (G_TASK (result), error);
}
