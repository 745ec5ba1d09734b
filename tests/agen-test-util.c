/* agen-test-util.c — small helpers shared by the test programs
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <sys/socket.h>

#include "agen-test-util.h"

static gboolean
spin_timeout_cb (gpointer data)
{
  guint timeout_ms = GPOINTER_TO_UINT (data);

  g_error ("timed out after %u ms waiting for a callback", timeout_ms);
  return G_SOURCE_REMOVE;
}

void
agen_test_spin_until (gboolean *flag,
                      guint     timeout_ms)
{
  GMainContext *context = g_main_context_ref_thread_default ();
  GSource *timeout = g_timeout_source_new (timeout_ms);

  g_source_set_callback (timeout, spin_timeout_cb, GUINT_TO_POINTER (timeout_ms), NULL);
  g_source_attach (timeout, context);

  while (!*flag)
    g_main_context_iteration (context, TRUE);

  g_source_destroy (timeout);
  g_source_unref (timeout);
  g_main_context_unref (context);
}

void
agen_test_spin_until_count (guint *counter,
                            guint  target,
                            guint  timeout_ms)
{
  GMainContext *context = g_main_context_ref_thread_default ();
  GSource *timeout = g_timeout_source_new (timeout_ms);

  g_source_set_callback (timeout, spin_timeout_cb, GUINT_TO_POINTER (timeout_ms), NULL);
  g_source_attach (timeout, context);

  while (*counter < target)
    g_main_context_iteration (context, TRUE);

  g_source_destroy (timeout);
  g_source_unref (timeout);
  g_main_context_unref (context);
}

static void
finalized_cb (gpointer  data,
              GObject  *where_the_object_was)
{
  gboolean *finalized = data;

  *finalized = TRUE;
}

void
agen_test_assert_finalized (gpointer object,
                            guint    timeout_ms)
{
  gboolean finalized = FALSE;
  GMainContext *context;
  gint64 deadline;

  g_assert_true (G_IS_OBJECT (object));

  g_object_weak_ref (object, finalized_cb, &finalized);
  g_object_unref (object);

  /* Give deferred releases (an idle dropping a last reference) a chance,
   * but don't wait for timeouts that are not due. */
  context = g_main_context_ref_thread_default ();
  deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  while (!finalized && g_get_monotonic_time () < deadline)
    {
      if (!g_main_context_iteration (context, FALSE))
        g_usleep (1000);
    }
  g_main_context_unref (context);

  if (!finalized)
    g_error ("object %p was not finalized within %u ms", object, timeout_ms);
}

G_DEFINE_QUARK (agen-test-error-quark, agen_test_error)

GValue *
agen_test_value_int (GValue *value,
                     gint    v)
{
  g_value_init (value, G_TYPE_INT);
  g_value_set_int (value, v);
  return value;
}

GValue *
agen_test_value_string (GValue     *value,
                        const char *v)
{
  g_value_init (value, G_TYPE_STRING);
  g_value_set_string (value, v);
  return value;
}

GValue *
agen_test_value_none (GValue *value)
{
  g_value_init (value, G_TYPE_POINTER);
  g_value_set_pointer (value, NULL);
  return value;
}

gboolean
agen_test_value_is_none (const GValue *value)
{
  return G_IS_VALUE (value) &&
         G_VALUE_HOLDS_POINTER (value) &&
         g_value_get_pointer (value) == NULL;
}

gboolean
agen_test_yield_int (AgenGenerator  *self,
                     gint            v,
                     GValue         *sent,
                     GError        **error)
{
  g_auto(GValue) value = G_VALUE_INIT;

  return agen_generator_yield (self, agen_test_value_int (&value, v), sent, error);
}

gboolean
agen_test_yield_string (AgenGenerator  *self,
                        const char     *v,
                        GValue         *sent,
                        GError        **error)
{
  g_auto(GValue) value = G_VALUE_INIT;

  return agen_generator_yield (self, agen_test_value_string (&value, v), sent, error);
}

static gboolean
sleep_done_cb (gpointer data)
{
  GTask *task = data;

  g_task_return_boolean (task, TRUE);
  return G_SOURCE_REMOVE;
}

gboolean
agen_test_sleep (AgenGenerator  *self,
                 guint           ms,
                 GCancellable   *cancellable,
                 GError        **error)
{
  GTask *task;
  GSource *source;
  GAsyncResult *result;

  task = g_task_new (NULL, cancellable, AGEN_AWAIT_CALLBACK (self));
  g_task_set_source_tag (task, agen_test_sleep);

  /* The source owns the task's reference. */
  source = g_timeout_source_new (ms);
  g_source_set_callback (source, sleep_done_cb, task, g_object_unref);
  g_source_attach (source, g_main_context_get_thread_default ());
  g_source_unref (source);

  result = agen_generator_await (self);
  g_assert_true (G_IS_TASK (result));
  g_assert_true (g_task_get_source_tag (G_TASK (result)) == agen_test_sleep);

  return g_task_propagate_boolean (G_TASK (result), error);
}

gboolean
agen_test_gate_wait (AgenTestGate   *gate,
                     AgenGenerator  *self,
                     GError        **error)
{
  GAsyncResult *result;

  g_assert_null (gate->task);
  gate->task = g_task_new (NULL, NULL, AGEN_AWAIT_CALLBACK (self));
  g_task_set_source_tag (gate->task, agen_test_gate_wait);

  result = agen_generator_await (self);
  g_assert_true (G_IS_TASK (result));
  g_assert_true (g_task_get_source_tag (G_TASK (result)) == agen_test_gate_wait);

  return g_task_propagate_boolean (G_TASK (result), error);
}

gboolean
agen_test_gate_waiting (AgenTestGate *gate)
{
  return gate->task != NULL;
}

void
agen_test_gate_open (AgenTestGate *gate)
{
  GTask *task = g_steal_pointer (&gate->task);

  g_assert_nonnull (task);
  /* Returned from plain code, GTask calls back from a later iteration. */
  g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

void
agen_test_result_clear (AgenTestResult *result)
{
  result->done = FALSE;
  result->ok = FALSE;
  if (G_IS_VALUE (&result->value))
    g_value_unset (&result->value);
  g_clear_error (&result->error);
}

void
agen_test_next_cb (GObject      *source,
                   GAsyncResult *res,
                   gpointer      user_data)
{
  AgenTestResult *result = user_data;

  g_assert_false (result->done);
  result->ok = agen_generator_next_finish (AGEN_GENERATOR (source), res,
                                           &result->value, &result->error);
  result->done = TRUE;
}

void
agen_test_send_cb (GObject      *source,
                   GAsyncResult *res,
                   gpointer      user_data)
{
  AgenTestResult *result = user_data;

  g_assert_false (result->done);
  result->ok = agen_generator_send_finish (AGEN_GENERATOR (source), res,
                                           &result->value, &result->error);
  result->done = TRUE;
}

void
agen_test_throw_cb (GObject      *source,
                    GAsyncResult *res,
                    gpointer      user_data)
{
  AgenTestResult *result = user_data;

  g_assert_false (result->done);
  result->ok = agen_generator_throw_finish (AGEN_GENERATOR (source), res,
                                            &result->value, &result->error);
  result->done = TRUE;
}

void
agen_test_close_cb (GObject      *source,
                    GAsyncResult *res,
                    gpointer      user_data)
{
  AgenTestResult *result = user_data;

  g_assert_false (result->done);
  result->ok = agen_generator_close_finish (AGEN_GENERATOR (source), res,
                                            &result->error);
  result->done = TRUE;
}

gboolean
agen_test_next (AgenGenerator  *gen,
                GCancellable   *cancellable,
                AgenTestResult *result)
{
  agen_test_result_clear (result);
  agen_generator_next_async (gen, cancellable, agen_test_next_cb, result);
  g_assert_false (result->done);
  agen_test_spin_until (&result->done, 5000);
  return result->ok;
}

gboolean
agen_test_send (AgenGenerator  *gen,
                const GValue   *value,
                GCancellable   *cancellable,
                AgenTestResult *result)
{
  agen_test_result_clear (result);
  agen_generator_send_async (gen, value, cancellable, agen_test_send_cb, result);
  g_assert_false (result->done);
  agen_test_spin_until (&result->done, 5000);
  return result->ok;
}

gboolean
agen_test_throw (AgenGenerator  *gen,
                 const GError   *error,
                 GCancellable   *cancellable,
                 AgenTestResult *result)
{
  agen_test_result_clear (result);
  agen_generator_throw_async (gen, error, cancellable, agen_test_throw_cb, result);
  g_assert_false (result->done);
  agen_test_spin_until (&result->done, 5000);
  return result->ok;
}

gboolean
agen_test_close (AgenGenerator  *gen,
                 GCancellable   *cancellable,
                 AgenTestResult *result)
{
  agen_test_result_clear (result);
  agen_generator_close_async (gen, cancellable, agen_test_close_cb, result);
  g_assert_false (result->done);
  agen_test_spin_until (&result->done, 5000);
  return result->ok;
}

static GIOStream *
stream_for_fd (int fd)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocket) socket = NULL;

  socket = g_socket_new_from_fd (fd, &error);
  g_assert_no_error (error);
  return G_IO_STREAM (g_socket_connection_factory_create_connection (socket));
}

void
agen_test_socket_pair (GIOStream **a,
                       GIOStream **b)
{
  int fds[2];

  g_assert_cmpint (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), ==, 0);
  *a = stream_for_fd (fds[0]);
  *b = stream_for_fd (fds[1]);
}

void
agen_test_spin_until_atomic (gint  *counter,
                             gint   target,
                             guint  timeout_ms)
{
  GMainContext *context = g_main_context_ref_thread_default ();
  GSource *timeout = g_timeout_source_new (timeout_ms);

  g_source_set_callback (timeout, spin_timeout_cb, GUINT_TO_POINTER (timeout_ms), NULL);
  g_source_attach (timeout, context);

  while (g_atomic_int_get (counter) < target)
    g_main_context_iteration (context, TRUE);

  g_source_destroy (timeout);
  g_source_unref (timeout);
  g_main_context_unref (context);
}

void
agen_test_wait_atomic (gint  *counter,
                       gint   target,
                       guint  timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  while (g_atomic_int_get (counter) < target)
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("timed out after %u ms waiting for another thread", timeout_ms);
      g_usleep (1000);
    }
}

struct _AgenTestWarnings
{
  char      *log_domain;
  guint      handler_id;
  GMutex     lock;
  GPtrArray *messages;
};

static void
warnings_log_cb (const char     *log_domain,
                 GLogLevelFlags  log_level,
                 const char     *message,
                 gpointer        user_data)
{
  AgenTestWarnings *warnings = user_data;

  g_mutex_lock (&warnings->lock);
  g_ptr_array_add (warnings->messages, g_strdup (message));
  g_mutex_unlock (&warnings->lock);
}

static gboolean
warnings_fatal_cb (const char     *log_domain,
                   GLogLevelFlags  log_level,
                   const char     *message,
                   gpointer        user_data)
{
  AgenTestWarnings *warnings = user_data;

  /* FALSE: not fatal. Only the warnings the catcher records. */
  return !((log_level & G_LOG_LEVEL_WARNING) &&
           g_strcmp0 (log_domain, warnings->log_domain) == 0);
}

AgenTestWarnings *
agen_test_warnings_catch (const char *log_domain)
{
  AgenTestWarnings *warnings = g_new0 (AgenTestWarnings, 1);

  warnings->log_domain = g_strdup (log_domain);
  g_mutex_init (&warnings->lock);
  warnings->messages = g_ptr_array_new_with_free_func (g_free);
  warnings->handler_id = g_log_set_handler (log_domain,
                                            G_LOG_LEVEL_WARNING | G_LOG_FLAG_FATAL | G_LOG_FLAG_RECURSION,
                                            warnings_log_cb, warnings);
  g_test_log_set_fatal_handler (warnings_fatal_cb, warnings);

  return warnings;
}

guint
agen_test_warnings_count (AgenTestWarnings *warnings,
                          const char       *pattern)
{
  guint count = 0;

  g_mutex_lock (&warnings->lock);
  for (guint i = 0; i < warnings->messages->len; i++)
    {
      if (g_pattern_match_simple (pattern, warnings->messages->pdata[i]))
        count++;
    }
  g_mutex_unlock (&warnings->lock);

  return count;
}

guint
agen_test_warnings_total (AgenTestWarnings *warnings)
{
  guint total;

  g_mutex_lock (&warnings->lock);
  total = warnings->messages->len;
  g_mutex_unlock (&warnings->lock);

  return total;
}

void
agen_test_warnings_free (AgenTestWarnings *warnings)
{
  g_log_remove_handler (warnings->log_domain, warnings->handler_id);
  g_test_log_set_fatal_handler (NULL, NULL);
  g_ptr_array_unref (warnings->messages);
  g_mutex_clear (&warnings->lock);
  g_free (warnings->log_domain);
  g_free (warnings);
}

static void
watch_finalize_cb (gpointer data)
{
  gint *finalized = data;

  g_atomic_int_set (finalized, 1);
}

void
agen_test_watch_finalize (gpointer  object,
                          gint     *finalized)
{
  g_assert_true (G_IS_OBJECT (object));

  g_atomic_int_set (finalized, 0);
  /* qdata is cleared by g_object_finalize, not by dispose */
  g_object_set_data_full (object, "agen-test-watch-finalize", finalized,
                          watch_finalize_cb);
}
