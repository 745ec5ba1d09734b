/* test-await.c — bodies that await GIO operations, cleanup that awaits,
 * and cancellation (docs/semantics.md, "Close outcome", "Awaiting" and
 * "Cancellation")
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include <agen.h>

#include "agen-test-util.h"

#define N_LINES 2000

/* A temporary file with N_LINES numbered lines. */
static GFile *
make_temp_file (char **contents_out)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GFileIOStream) iostream = NULL;
  g_autoptr(GString) contents = g_string_new (NULL);
  GFile *file;
  guint i;

  for (i = 0; i < N_LINES; i++)
    g_string_append_printf (contents, "line %05u of the agen await test\n", i);

  file = g_file_new_tmp ("agen-await-XXXXXX", &iostream, &error);
  g_assert_no_error (error);
  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (iostream)),
                             contents->str, contents->len, NULL, NULL, &error);
  g_assert_no_error (error);
  g_io_stream_close (G_IO_STREAM (iostream), NULL, &error);
  g_assert_no_error (error);

  *contents_out = g_string_free (g_steal_pointer (&contents), FALSE);
  return file;
}

static void
delete_temp_file (GFile *file)
{
  g_autoptr(GError) error = NULL;

  g_file_delete (file, NULL, &error);
  g_assert_no_error (error);
}

/* Real GIO: a file read in chunks ------------------------------------------ */

#define CHUNK_SIZE 4096

typedef struct
{
  GFile *file;
  guint  destroyed;
} FileData;

static void
file_data_destroy (gpointer user_data)
{
  FileData *data = user_data;

  data->destroyed++;
}

static gboolean
chunks_body (AgenGenerator  *self,
             gpointer        user_data,
             GError        **error)
{
  FileData *data = user_data;
  g_autoptr(GFileInputStream) stream = NULL;
  GInputStream *in;

  g_file_read_async (data->file, G_PRIORITY_DEFAULT,
                     agen_generator_get_cancellable (self),
                     AGEN_AWAIT_CALLBACK (self));
  stream = g_file_read_finish (data->file, agen_generator_await (self), error);
  if (stream == NULL)
    return FALSE;
  in = G_INPUT_STREAM (stream);

  while (TRUE)
    {
      g_autoptr(GBytes) bytes = NULL;
      g_auto(GValue) v = G_VALUE_INIT;

      g_input_stream_read_bytes_async (in, CHUNK_SIZE, G_PRIORITY_DEFAULT,
                                       agen_generator_get_cancellable (self),
                                       AGEN_AWAIT_CALLBACK (self));
      bytes = g_input_stream_read_bytes_finish (in, agen_generator_await (self), error);
      if (bytes == NULL)
        return FALSE;
      if (g_bytes_get_size (bytes) == 0)
        break;

      g_value_init (&v, G_TYPE_BYTES);
      g_value_take_boxed (&v, g_steal_pointer (&bytes));
      if (!agen_generator_yield (self, &v, NULL, error))
        return FALSE;
    }

  g_input_stream_close_async (in, G_PRIORITY_DEFAULT, NULL, AGEN_AWAIT_CALLBACK (self));
  return g_input_stream_close_finish (in, agen_generator_await (self), error);
}

static void
test_file_chunks (void)
{
  g_autofree char *contents = NULL;
  g_autoptr(GFile) file = make_temp_file (&contents);
  g_autoptr(GString) got = g_string_new (NULL);
  g_autoptr(AgenGenerator) gen = NULL;
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;
  FileData data = { 0, };
  guint chunks = 0;

  g_test_summary ("a body that awaits g_file_read_async and "
                  "g_input_stream_read_bytes_async between yields delivers "
                  "the file's exact content in chunks");

  data.file = file;
  gen = agen_generator_new (chunks_body, &data, file_data_destroy);

  while (agen_test_next (gen, NULL, &r))
    {
      GBytes *bytes;

      g_assert_true (G_VALUE_HOLDS (&r.value, G_TYPE_BYTES));
      bytes = g_value_get_boxed (&r.value);
      g_assert_cmpuint (g_bytes_get_size (bytes), >, 0);
      g_assert_cmpuint (g_bytes_get_size (bytes), <=, CHUNK_SIZE);
      g_string_append_len (got, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
      chunks++;
    }
  agen_test_assert_finished (&r);

  g_assert_cmpuint (chunks, >=, strlen (contents) / CHUNK_SIZE);
  g_assert_cmpstr (got->str, ==, contents);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_CLOSED);
  g_assert_cmpuint (data.destroyed, ==, 1);

  delete_temp_file (file);
}

/* Real GIO: a file read line by line --------------------------------------- */

static gboolean
lines_body (AgenGenerator  *self,
            gpointer        user_data,
            GError        **error)
{
  FileData *data = user_data;
  g_autoptr(GFileInputStream) stream = NULL;
  g_autoptr(GDataInputStream) lines = NULL;

  g_file_read_async (data->file, G_PRIORITY_DEFAULT,
                     agen_generator_get_cancellable (self),
                     AGEN_AWAIT_CALLBACK (self));
  stream = g_file_read_finish (data->file, agen_generator_await (self), error);
  if (stream == NULL)
    return FALSE;
  lines = g_data_input_stream_new (G_INPUT_STREAM (stream));

  while (TRUE)
    {
      g_autoptr(GError) local = NULL;
      g_auto(GValue) v = G_VALUE_INIT;
      char *line;

      g_data_input_stream_read_line_async (lines, G_PRIORITY_DEFAULT,
                                           agen_generator_get_cancellable (self),
                                           AGEN_AWAIT_CALLBACK (self));
      line = g_data_input_stream_read_line_finish_utf8 (lines, agen_generator_await (self),
                                                        NULL, &local);
      if (line == NULL)
        {
          if (local == NULL)
            return TRUE;
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }

      g_value_init (&v, G_TYPE_STRING);
      g_value_take_string (&v, line);
      if (!agen_generator_yield (self, &v, NULL, error))
        return FALSE;
    }
}

static void
test_file_lines (void)
{
  g_autofree char *contents = NULL;
  g_autoptr(GFile) file = make_temp_file (&contents);
  g_auto(GStrv) expected = g_strsplit (contents, "\n", -1);
  g_autoptr(AgenGenerator) gen = NULL;
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;
  FileData data = { 0, };
  guint n = 0;

  g_test_summary ("a body that awaits g_data_input_stream_read_line_async "
                  "yields every line of the file, in order");

  data.file = file;
  gen = agen_generator_new (lines_body, &data, file_data_destroy);

  while (agen_test_next (gen, NULL, &r))
    {
      g_assert_cmpuint (n, <, N_LINES);
      agen_test_assert_string (&r.value, expected[n]);
      n++;
    }
  agen_test_assert_finished (&r);
  g_assert_cmpuint (n, ==, N_LINES);
  g_assert_cmpuint (data.destroyed, ==, 1);

  delete_temp_file (file);
}

/* Real GIO: query info, then close before the end -------------------------- */

static gboolean
query_info_body (AgenGenerator  *self,
                 gpointer        user_data,
                 GError        **error)
{
  FileData *data = user_data;
  g_autoptr(GFileInfo) info = NULL;
  g_auto(GValue) v = G_VALUE_INIT;

  g_file_query_info_async (data->file, G_FILE_ATTRIBUTE_STANDARD_SIZE,
                           G_FILE_QUERY_INFO_NONE, G_PRIORITY_DEFAULT,
                           agen_generator_get_cancellable (self),
                           AGEN_AWAIT_CALLBACK (self));
  info = g_file_query_info_finish (data->file, agen_generator_await (self), error);
  if (info == NULL)
    return FALSE;

  g_value_init (&v, G_TYPE_INT64);
  g_value_set_int64 (&v, g_file_info_get_size (info));
  return agen_generator_yield (self, &v, NULL, error);
}

static void
test_query_info (void)
{
  g_autofree char *contents = NULL;
  g_autoptr(GFile) file = make_temp_file (&contents);
  g_autoptr(AgenGenerator) gen = NULL;
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;
  FileData data = { 0, };

  g_test_summary ("a body awaiting g_file_query_info_async yields the file "
                  "size; the op completes only after the await");

  data.file = file;
  gen = agen_generator_new (query_info_body, &data, file_data_destroy);

  agen_generator_next_async (gen, NULL, agen_test_next_cb, &r);
  g_assert_false (r.done);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_RUNNING);
  agen_test_spin_until (&r.done, 5000);

  g_assert_true (r.ok);
  g_assert_true (G_VALUE_HOLDS_INT64 (&r.value));
  g_assert_cmpint (g_value_get_int64 (&r.value), ==, (gint64) strlen (contents));

  g_assert_true (agen_test_close (gen, NULL, &r));
  g_assert_cmpuint (data.destroyed, ==, 1);
  delete_temp_file (file);
}

/* A GTask completed later from an idle ------------------------------------- */

typedef struct
{
  gboolean idle_ran;
  gint     awaits;
} IdleData;

typedef struct
{
  GTask    *task;
  IdleData *data;
  gint      value;
} IdleReturn;

static gboolean
idle_return_cb (gpointer user_data)
{
  IdleReturn *ret = user_data;

  ret->data->idle_ran = TRUE;
  g_task_return_int (ret->task, ret->value);
  g_object_unref (ret->task);
  g_free (ret);
  return G_SOURCE_REMOVE;
}

static gint
await_idle_int (AgenGenerator  *self,
                IdleData       *data,
                gint            value,
                GError        **error)
{
  IdleReturn *ret = g_new0 (IdleReturn, 1);

  ret->task = g_task_new (NULL, NULL, AGEN_AWAIT_CALLBACK (self));
  ret->data = data;
  ret->value = value;
  g_idle_add (idle_return_cb, ret);

  data->awaits++;
  return (gint) g_task_propagate_int (G_TASK (agen_generator_await (self)), error);
}

static gboolean
idle_body (AgenGenerator  *self,
           gpointer        user_data,
           GError        **error)
{
  IdleData *data = user_data;
  g_autoptr(GError) local = NULL;
  gint sum;

  sum = await_idle_int (self, data, 40, &local);
  g_assert_no_error (local);
  sum += await_idle_int (self, data, 2, &local);
  g_assert_no_error (local);

  return agen_test_yield_int (self, sum, NULL, error);
}

static void
test_task_completed_from_idle (void)
{
  IdleData data = { FALSE, 0 };
  g_autoptr(AgenGenerator) gen = agen_generator_new (idle_body, &data, NULL);
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;

  g_test_summary ("a body awaiting GTasks completed later from idles: the op "
                  "stays RUNNING across the awaits and completes with the "
                  "value computed from both results");

  agen_generator_next_async (gen, NULL, agen_test_next_cb, &r);
  g_assert_false (r.done);
  g_assert_false (data.idle_ran);
  g_assert_cmpint (data.awaits, ==, 1);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_RUNNING);
  g_assert_true (agen_generator_get_running (gen));

  agen_test_spin_until (&r.done, 5000);
  agen_test_assert_yielded_int (&r, 42);
  g_assert_cmpint (data.awaits, ==, 2);
  g_assert_false (agen_generator_get_running (gen));

  g_assert_true (agen_test_close (gen, NULL, &r));
}

typedef struct
{
  guint done_awaits;
} SleepCount;

static gboolean
three_sleeps_body (AgenGenerator  *self,
                   gpointer        user_data,
                   GError        **error)
{
  SleepCount *data = user_data;
  guint i;

  for (i = 0; i < 3; i++)
    {
      if (!agen_test_sleep (self, 10, NULL, error))
        return FALSE;
      data->done_awaits++;
    }

  return agen_test_yield_int (self, (gint) data->done_awaits, NULL, error);
}

static void
test_several_awaits_one_step (void)
{
  SleepCount data = { 0 };
  g_autoptr(AgenGenerator) gen = agen_generator_new (three_sleeps_body, &data, NULL);
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;

  g_test_summary ("a step with several awaits completes only after the last "
                  "one");

  g_assert_true (agen_test_next (gen, NULL, &r));
  agen_test_assert_yielded_int (&r, 3);
  g_assert_false (agen_test_next (gen, NULL, &r));
  agen_test_assert_finished (&r);
}

/* RUNNING while awaiting --------------------------------------------------- */

typedef struct
{
  AgenTestGate gate;
  gboolean     saw_error;
} WaitData;

static gboolean
wait_body (AgenGenerator  *self,
           gpointer        user_data,
           GError        **error)
{
  WaitData *data = user_data;
  g_autoptr(GError) local = NULL;

  if (!agen_test_gate_wait (&data->gate, self, &local))
    {
      data->saw_error = TRUE;
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }

  return agen_test_yield_int (self, 1, NULL, error);
}

static void
test_running_while_awaiting (void)
{
  WaitData data = { { NULL }, FALSE };
  g_autoptr(AgenGenerator) gen = agen_generator_new (wait_body, &data, NULL);
  g_autoptr(GError) boom = g_error_new_literal (AGEN_TEST_ERROR, AGEN_TEST_ERROR_BOOM, "boom");
  g_auto(AgenTestResult) first = AGEN_TEST_RESULT_INIT;
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;
  g_auto(GValue) v = G_VALUE_INIT;

  g_test_summary ("while the body awaits, every other op fails with RUNNING; "
                  "the awaiting step then completes normally");

  agen_generator_next_async (gen, NULL, agen_test_next_cb, &first);
  g_assert_true (agen_test_gate_waiting (&data.gate));

  g_assert_false (agen_test_next (gen, NULL, &r));
  agen_test_assert_failed (&r, AGEN_ERROR, AGEN_ERROR_RUNNING);
  g_assert_false (agen_test_send (gen, agen_test_value_int (&v, 1), NULL, &r));
  agen_test_assert_failed (&r, AGEN_ERROR, AGEN_ERROR_RUNNING);
  g_assert_false (agen_test_throw (gen, boom, NULL, &r));
  agen_test_assert_failed (&r, AGEN_ERROR, AGEN_ERROR_RUNNING);
  g_assert_false (agen_test_close (gen, NULL, &r));
  g_assert_error (r.error, AGEN_ERROR, AGEN_ERROR_RUNNING);

  g_assert_false (first.done);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_RUNNING);
  agen_test_gate_open (&data.gate);
  agen_test_spin_until (&first.done, 5000);
  agen_test_assert_yielded_int (&first, 1);
  g_assert_false (data.saw_error);

  g_assert_true (agen_test_close (gen, NULL, &r));
}

/* Cleanup that awaits ------------------------------------------------------ */

typedef enum
{
  CLEANUP_LET_EXIT_OUT,
  CLEANUP_RETURN,
  CLEANUP_RAISE_OTHER,
} CleanupMode;

typedef struct
{
  CleanupMode mode;
  gboolean    cleanup_started;
  gboolean    cleanup_done;
  guint       destroyed;
} CleanupData;

static void
cleanup_data_destroy (gpointer user_data)
{
  CleanupData *data = user_data;

  data->destroyed++;
}

static gboolean
cleanup_body (AgenGenerator  *self,
              gpointer        user_data,
              GError        **error)
{
  CleanupData *data = user_data;
  g_autoptr(GError) local = NULL;

  if (agen_test_yield_int (self, 1, NULL, &local))
    return TRUE;

  data->cleanup_started = TRUE;
  if (!agen_test_sleep (self, 20, NULL, error))
    return FALSE;
  data->cleanup_done = TRUE;

  switch (data->mode)
    {
    case CLEANUP_LET_EXIT_OUT:
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;

    case CLEANUP_RETURN:
      return TRUE;

    case CLEANUP_RAISE_OTHER:
      g_set_error_literal (error, AGEN_TEST_ERROR, AGEN_TEST_ERROR_OTHER, "cleanup failed");
      return FALSE;

    default:
      g_assert_not_reached ();
    }
}

/* Starts the close of a cleanup_body generator suspended at its yield and
 * checks that it is still in progress while the cleanup awaits. */
static void
close_with_cleanup (AgenGenerator  *gen,
                    CleanupData    *data,
                    AgenTestResult *r)
{
  agen_test_next (gen, NULL, r);
  agen_test_assert_yielded_int (r, 1);

  agen_test_result_clear (r);
  agen_generator_close_async (gen, NULL, agen_test_close_cb, r);
  g_assert_false (r->done);
  g_assert_true (data->cleanup_started);
  g_assert_false (data->cleanup_done);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_RUNNING);
  g_assert_cmpuint (data->destroyed, ==, 0);

  agen_test_spin_until (&r->done, 5000);
  g_assert_true (data->cleanup_done);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_CLOSED);
  g_assert_cmpuint (data->destroyed, ==, 1);
}

static void
test_close_cleanup_awaits (void)
{
  CleanupData data = { CLEANUP_LET_EXIT_OUT, FALSE, FALSE, 0 };
  g_autoptr(AgenGenerator) gen = agen_generator_new (cleanup_body, &data, cleanup_data_destroy);
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;

  g_test_summary ("a close whose cleanup awaits completes only after the "
                  "awaited op: TRUE, CLOSED");

  close_with_cleanup (gen, &data, &r);
  g_assert_true (r.ok);
  g_assert_no_error (r.error);
}

static void
test_close_cleanup_awaits_and_returns (void)
{
  CleanupData data = { CLEANUP_RETURN, FALSE, FALSE, 0 };
  g_autoptr(AgenGenerator) gen = agen_generator_new (cleanup_body, &data, cleanup_data_destroy);
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;

  g_test_summary ("a close whose cleanup awaits and then returns TRUE gives "
                  "TRUE, CLOSED");

  close_with_cleanup (gen, &data, &r);
  g_assert_true (r.ok);
  g_assert_no_error (r.error);
}

static void
test_close_cleanup_raises (void)
{
  CleanupData data = { CLEANUP_RAISE_OTHER, FALSE, FALSE, 0 };
  g_autoptr(AgenGenerator) gen = agen_generator_new (cleanup_body, &data, cleanup_data_destroy);
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;

  g_test_summary ("a close whose cleanup awaits and then raises another "
                  "error gives FALSE + that error, CLOSED");

  close_with_cleanup (gen, &data, &r);
  g_assert_false (r.ok);
  g_assert_error (r.error, AGEN_TEST_ERROR, AGEN_TEST_ERROR_OTHER);

  /* Reported once */
  g_assert_true (agen_test_close (gen, NULL, &r));
  g_assert_no_error (r.error);
}

/* agen_generator_await from the wrong place -------------------------------- */

static gboolean
yield_once_body (AgenGenerator  *self,
                 gpointer        user_data,
                 GError        **error)
{
  return agen_test_yield_int (self, 1, NULL, error);
}

static void
test_await_outside_body (void)
{
  g_autoptr(AgenGenerator) gen = agen_generator_new (yield_once_body, NULL, NULL);
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;
  GAsyncResult *result;

  g_test_summary ("agen_generator_await from plain code logs g_critical and "
                  "returns NULL, on a CREATED and a SUSPENDED generator");

  if (!g_test_undefined ())
    return;

  g_test_expect_message ("Agen", G_LOG_LEVEL_CRITICAL, "*");
  result = agen_generator_await (gen);
  g_test_assert_expected_messages ();
  g_assert_null (result);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_CREATED);

  agen_test_next (gen, NULL, &r);
  agen_test_assert_yielded_int (&r, 1);

  g_test_expect_message ("Agen", G_LOG_LEVEL_CRITICAL, "*");
  result = agen_generator_await (gen);
  g_test_assert_expected_messages ();
  g_assert_null (result);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_SUSPENDED);

  g_assert_false (agen_test_next (gen, NULL, &r));
  agen_test_assert_finished (&r);
}

typedef struct
{
  AgenGenerator *victim;
  GAsyncResult  *result;
  gboolean       called;
} ForeignAwait;

static gboolean
foreign_await_body (AgenGenerator  *self,
                    gpointer        user_data,
                    GError        **error)
{
  ForeignAwait *data = user_data;

  data->result = agen_generator_await (data->victim);
  data->called = TRUE;
  return agen_test_yield_int (self, 2, NULL, error);
}

static void
test_await_in_other_body (void)
{
  ForeignAwait data = { NULL, NULL, FALSE };
  g_autoptr(AgenGenerator) victim = agen_generator_new (yield_once_body, NULL, NULL);
  g_autoptr(AgenGenerator) other = NULL;
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;

  g_test_summary ("agen_generator_await on generator A from the body of "
                  "generator B logs g_critical and returns NULL; B goes on");

  if (!g_test_undefined ())
    return;

  agen_test_next (victim, NULL, &r);
  data.victim = victim;
  other = agen_generator_new (foreign_await_body, &data, NULL);

  g_test_expect_message ("Agen", G_LOG_LEVEL_CRITICAL, "*");
  g_assert_true (agen_test_next (other, NULL, &r));
  g_test_assert_expected_messages ();
  agen_test_assert_yielded_int (&r, 2);
  g_assert_true (data.called);
  g_assert_null (data.result);
  g_assert_cmpint (agen_generator_get_state (victim), ==, AGEN_GENERATOR_STATE_SUSPENDED);

  agen_test_close (victim, NULL, &r);
  agen_test_close (other, NULL, &r);
}

/* Results the body does not await --------------------------------------- */

typedef struct
{
  GTask    *task;       /* started by the body, returned by the test */
  gboolean  destroyed;  /* the body's user_data */
} Abandoned;

static void
abandoned_destroy (gpointer data)
{
  ((Abandoned *) data)->destroyed = TRUE;
}

/* Starts an operation, then fails without awaiting it: an early error
 * path. */
static gboolean
abandon_await_body (AgenGenerator  *self,
                    gpointer        user_data,
                    GError        **error)
{
  Abandoned *data = user_data;

  data->task = g_task_new (NULL, NULL, AGEN_AWAIT_CALLBACK (self));
  g_set_error_literal (error, AGEN_TEST_ERROR, AGEN_TEST_ERROR_BOOM, "early exit");
  return FALSE;
}

static void
test_pending_when_body_returns (void)
{
  Abandoned data = { NULL, FALSE };
  AgenGenerator *gen = agen_generator_new (abandon_await_body, &data, abandoned_destroy);
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;
  GTask *task;

  g_test_summary ("an operation started with AGEN_AWAIT_CALLBACK and not awaited "
                  "when the body returns keeps the generator alive until it "
                  "completes; then the result is dropped and the generator "
                  "freed");

  g_object_add_weak_pointer (G_OBJECT (gen), (gpointer *) &gen);
  g_assert_false (agen_test_next (gen, NULL, &r));
  g_assert_error (r.error, AGEN_TEST_ERROR, AGEN_TEST_ERROR_BOOM);
  g_assert_true (data.destroyed);
  g_assert_nonnull (data.task);

  /* The consumer lets go while the operation is still pending. */
  g_object_unref (gen);
  g_assert_nonnull (gen);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_CLOSED);

  task = g_steal_pointer (&data.task);
  g_task_return_boolean (task, TRUE);
  g_object_unref (task);
  while (gen != NULL)
    g_main_context_iteration (NULL, TRUE);
}

/* Starts an operation, yields, and only then awaits it. */
static gboolean
await_after_yield_body (AgenGenerator  *self,
                        gpointer        user_data,
                        GError        **error)
{
  Abandoned *data = user_data;
  GAsyncResult *result;

  data->task = g_task_new (NULL, NULL, AGEN_AWAIT_CALLBACK (self));
  g_task_set_source_tag (data->task, await_after_yield_body);
  if (!agen_test_yield_int (self, 1, NULL, error))
    return FALSE;

  result = agen_generator_await (self);
  g_assert_true (g_task_get_source_tag (G_TASK (result)) == await_after_yield_body);
  if (!g_task_propagate_boolean (G_TASK (result), error))
    return FALSE;
  return agen_test_yield_int (self, 2, NULL, error);
}

static void
test_result_while_suspended (void)
{
  Abandoned data = { NULL, FALSE };
  g_autoptr(AgenGenerator) gen = agen_generator_new (await_after_yield_body, &data, NULL);
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;
  GTask *task;

  g_test_summary ("a result announced before a yield and delivered while the "
                  "body is suspended waits for the body's next await");

  agen_test_next (gen, NULL, &r);
  agen_test_assert_yielded_int (&r, 1);

  task = g_steal_pointer (&data.task);
  g_task_return_boolean (task, TRUE);
  g_object_unref (task);
  /* GTask delivers from an idle. */
  while (g_main_context_pending (NULL))
    g_main_context_iteration (NULL, FALSE);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_SUSPENDED);

  agen_test_next (gen, NULL, &r);
  agen_test_assert_yielded_int (&r, 2);
  agen_test_close (gen, NULL, &r);
}

static gboolean
await_one_sleep_body (AgenGenerator  *self,
                      gpointer        user_data,
                      GError        **error)
{
  if (!agen_test_yield_int (self, 1, NULL, error))
    return FALSE;
  if (!agen_test_sleep (self, 1, NULL, error))
    return FALSE;
  return agen_test_yield_int (self, 2, NULL, error);
}

static void
test_spurious_resume_refused (void)
{
  g_autoptr(AgenGenerator) gen = agen_generator_new (await_one_sleep_body, NULL, NULL);
  g_autoptr(GTask) stray = g_task_new (NULL, NULL, NULL, NULL);
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;

  g_test_summary ("agen_generator_resume_callback on a generator suspended at a "
                  "yield, with a result it did not announce, is refused with a "
                  "critical; the body's next await gets its own result");

  if (!g_test_undefined ())
    return;

  g_task_return_boolean (stray, FALSE);

  g_test_expect_message ("Agen", G_LOG_LEVEL_CRITICAL, "*not awaiting*");
  agen_generator_resume_callback (NULL, G_ASYNC_RESULT (stray), gen);
  g_test_assert_expected_messages ();

  agen_test_next (gen, NULL, &r);
  agen_test_assert_yielded_int (&r, 1);

  g_test_expect_message ("Agen", G_LOG_LEVEL_CRITICAL, "*not awaiting*");
  agen_generator_resume_callback (NULL, G_ASYNC_RESULT (stray), gen);
  g_test_assert_expected_messages ();

  /* agen_test_sleep asserts that its await returns its own task. */
  agen_test_next (gen, NULL, &r);
  agen_test_assert_yielded_int (&r, 2);
  g_assert_false (agen_test_next (gen, NULL, &r));
  agen_test_assert_finished (&r);

  g_test_expect_message ("Agen", G_LOG_LEVEL_CRITICAL, "*not awaiting*");
  agen_generator_resume_callback (NULL, G_ASYNC_RESULT (stray), gen);
  g_test_assert_expected_messages ();
}

typedef struct
{
  gpointer  token;   /* what agen_generator_prepare_await() returned */
  GTask    *task;
} ForeignDelivery;

static gboolean
await_foreign_body (AgenGenerator  *self,
                    gpointer        user_data,
                    GError        **error)
{
  ForeignDelivery *d = user_data;
  GAsyncResult *result;

  d->task = g_task_new (NULL, NULL, NULL, NULL);
  g_task_set_source_tag (d->task, await_foreign_body);
  d->token = agen_generator_prepare_await (self);
  result = agen_generator_await (self);
  g_assert_true (g_task_get_source_tag (G_TASK (result)) == await_foreign_body);
  return agen_test_yield_int (self, 5, NULL, error);
}

static gpointer
deliver_thread (gpointer data)
{
  ForeignDelivery *d = data;

  g_task_return_boolean (d->task, TRUE);
  agen_generator_resume_callback (NULL, G_ASYNC_RESULT (d->task), d->token);
  return NULL;
}

static void
test_result_from_other_thread (void)
{
  ForeignDelivery d = { NULL, NULL };
  g_autoptr(AgenGenerator) gen = agen_generator_new (await_foreign_body, &d, NULL);
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;

  g_test_summary ("a result delivered to agen_generator_resume_callback on "
                  "another thread is handed to the body on its owner's thread");

  agen_generator_next_async (gen, NULL, agen_test_next_cb, &r);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_RUNNING);
  g_thread_join (g_thread_new ("deliver", deliver_thread, &d));
  agen_test_spin_until (&r.done, 5000);
  agen_test_assert_yielded_int (&r, 5);
  g_clear_object (&d.task);
  agen_test_close (gen, NULL, &r);
}

/* Cancellation (docs/semantics.md, "Cancellation") ------------------------- */

typedef enum
{
  READ_PROPAGATE,     /* let a failed read's error out */
  READ_HANDLE,        /* yield "cancelled" and go on */
  READ_HANDLE_RETRY,  /* read again with the step cancellable, then yield */
} ReadMode;

typedef struct
{
  GInputStream *in;
  ReadMode      mode;
  gboolean      null_cancellable;  /* read with NULL: ignore cancellation */
  gboolean      cleanup_reads;     /* on EXIT, await a read before leaving */
  guint         reads;
  guint         reads_cancelled_at_start;
  guint         destroyed;
  GError       *first_error;
  GError       *second_error;
  GError       *cleanup_error;
} ReadData;

static void
read_data_destroy (gpointer user_data)
{
  ReadData *data = user_data;

  data->destroyed++;
}

static void
read_data_clear (ReadData *data)
{
  g_clear_error (&data->first_error);
  g_clear_error (&data->second_error);
  g_clear_error (&data->cleanup_error);
}

static GBytes *
await_read (AgenGenerator  *self,
            GInputStream   *in,
            GCancellable   *cancellable,
            GError        **error)
{
  g_input_stream_read_bytes_async (in, 64, G_PRIORITY_DEFAULT, cancellable,
                                   AGEN_AWAIT_CALLBACK (self));
  return g_input_stream_read_bytes_finish (in, agen_generator_await (self), error);
}

/* Reads from data->in and yields what arrived as a string, until EOF. */
static gboolean
read_body (AgenGenerator  *self,
           gpointer        user_data,
           GError        **error)
{
  ReadData *data = user_data;

  while (TRUE)
    {
      g_autoptr(GBytes) bytes = NULL;
      g_autoptr(GError) local = NULL;
      g_autofree char *text = NULL;
      GCancellable *step = agen_generator_get_cancellable (self);

      data->reads++;
      if (g_cancellable_is_cancelled (step))
        data->reads_cancelled_at_start++;

      bytes = await_read (self, data->in, data->null_cancellable ? NULL : step, &local);
      if (bytes != NULL)
        {
          if (g_bytes_get_size (bytes) == 0)
            return TRUE;
          text = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
        }
      else
        {
          g_clear_error (&data->first_error);
          data->first_error = g_error_copy (local);

          switch (data->mode)
            {
            case READ_PROPAGATE:
              g_propagate_error (error, g_steal_pointer (&local));
              return FALSE;

            case READ_HANDLE:
              g_clear_error (&local);
              text = g_strdup ("cancelled");
              break;

            case READ_HANDLE_RETRY:
              {
                g_autoptr(GBytes) again = NULL;
                g_autoptr(GError) second = NULL;

                g_clear_error (&local);
                again = await_read (self, data->in, agen_generator_get_cancellable (self), &second);
                if (second != NULL)
                  data->second_error = g_error_copy (second);
                text = g_strdup ("cancelled twice");
              }
              break;

            default:
              g_assert_not_reached ();
            }
        }

      if (!agen_test_yield_string (self, text, NULL, &local))
        {
          if (data->cleanup_reads &&
              g_error_matches (local, AGEN_ERROR, AGEN_ERROR_EXIT))
            {
              g_autoptr(GBytes) last = NULL;
              g_autoptr(GError) cleanup = NULL;

              last = await_read (self, data->in, agen_generator_get_cancellable (self), &cleanup);
              if (last == NULL)
                {
                  data->cleanup_error = g_error_copy (cleanup);
                  g_propagate_error (error, g_steal_pointer (&cleanup));
                  return FALSE;
                }
            }
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
    }
}

typedef struct
{
  GIOStream *a;  /* the body reads from a */
  GIOStream *b;  /* the test writes to b */
} Pipe;

static void
pipe_init (Pipe *pipe)
{
  agen_test_socket_pair (&pipe->a, &pipe->b);
}

static void
pipe_write (Pipe       *pipe,
            const char *text)
{
  g_autoptr(GError) error = NULL;

  g_output_stream_write_all (g_io_stream_get_output_stream (pipe->b),
                             text, strlen (text), NULL, NULL, &error);
  g_assert_no_error (error);
}

static void
pipe_clear (Pipe *pipe)
{
  g_clear_object (&pipe->a);
  g_clear_object (&pipe->b);
}

/* Iterates the default context for ms, without a flag to wait for. */
static void
spin_for (guint ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) ms * 1000;

  while (g_get_monotonic_time () < end)
    {
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (1000);
    }
}

static AgenGenerator *
read_new (ReadData *data,
          Pipe     *pipe,
          ReadMode  mode)
{
  memset (data, 0, sizeof *data);
  pipe_init (pipe);
  data->in = g_io_stream_get_input_stream (pipe->a);
  data->mode = mode;
  return agen_generator_new (read_body, data, read_data_destroy);
}

static void
test_cancelled_at_call_created (void)
{
  ReadData data;
  Pipe pipe;
  g_autoptr(AgenGenerator) gen = read_new (&data, &pipe, READ_PROPAGATE);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) boom = g_error_new_literal (AGEN_TEST_ERROR, AGEN_TEST_ERROR_BOOM, "boom");
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;
  g_auto(GValue) v = G_VALUE_INIT;

  g_test_summary ("every op with a cancellable already cancelled gives "
                  "G_IO_ERROR_CANCELLED and nothing else on a CREATED "
                  "generator: still CREATED, body not started, no owner");

  g_cancellable_cancel (cancellable);

  g_assert_false (agen_test_next (gen, cancellable, &r));
  agen_test_assert_failed (&r, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_false (agen_test_send (gen, agen_test_value_int (&v, 1), cancellable, &r));
  agen_test_assert_failed (&r, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_false (agen_test_throw (gen, boom, cancellable, &r));
  agen_test_assert_failed (&r, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_false (agen_test_close (gen, cancellable, &r));
  g_assert_error (r.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);

  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_CREATED);
  g_assert_cmpuint (data.reads, ==, 0);
  g_assert_cmpuint (data.destroyed, ==, 0);
  g_assert_null (agen_generator_get_context (gen));

  /* Nothing changed: a plain close still finds it CREATED */
  g_assert_true (agen_test_close (gen, NULL, &r));
  g_assert_cmpuint (data.reads, ==, 0);
  g_assert_cmpuint (data.destroyed, ==, 1);
  read_data_clear (&data);
  pipe_clear (&pipe);
}

static void
test_cancelled_at_call_suspended (void)
{
  ReadData data;
  Pipe pipe;
  g_autoptr(AgenGenerator) gen = read_new (&data, &pipe, READ_PROPAGATE);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) boom = g_error_new_literal (AGEN_TEST_ERROR, AGEN_TEST_ERROR_BOOM, "boom");
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;
  g_auto(GValue) v = G_VALUE_INIT;

  g_test_summary ("every op with a cancellable already cancelled gives "
                  "G_IO_ERROR_CANCELLED and nothing else on a SUSPENDED "
                  "generator: still SUSPENDED, body not resumed");

  pipe_write (&pipe, "first");
  g_assert_true (agen_test_next (gen, NULL, &r));
  agen_test_assert_string (&r.value, "first");
  g_assert_cmpuint (data.reads, ==, 1);

  g_cancellable_cancel (cancellable);

  g_assert_false (agen_test_next (gen, cancellable, &r));
  agen_test_assert_failed (&r, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_false (agen_test_send (gen, agen_test_value_int (&v, 1), cancellable, &r));
  agen_test_assert_failed (&r, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_false (agen_test_throw (gen, boom, cancellable, &r));
  agen_test_assert_failed (&r, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_false (agen_test_close (gen, cancellable, &r));
  g_assert_error (r.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);

  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_SUSPENDED);
  g_assert_cmpuint (data.reads, ==, 1);
  g_assert_null (data.first_error);
  g_assert_cmpuint (data.destroyed, ==, 0);

  /* Still usable */
  pipe_write (&pipe, "second");
  g_assert_true (agen_test_next (gen, NULL, &r));
  agen_test_assert_string (&r.value, "second");

  g_assert_true (agen_test_close (gen, NULL, &r));
  read_data_clear (&data);
  pipe_clear (&pipe);
}

static void
test_cancelled_at_call_closed (void)
{
  ReadData data;
  Pipe pipe;
  g_autoptr(AgenGenerator) gen = read_new (&data, &pipe, READ_PROPAGATE);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;

  g_test_summary ("on a CLOSED generator too, a cancellable already "
                  "cancelled gives G_IO_ERROR_CANCELLED, not finished");

  g_assert_true (agen_test_close (gen, NULL, &r));
  g_cancellable_cancel (cancellable);

  g_assert_false (agen_test_next (gen, cancellable, &r));
  agen_test_assert_failed (&r, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_false (agen_test_close (gen, cancellable, &r));
  g_assert_error (r.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_CLOSED);
  read_data_clear (&data);
  pipe_clear (&pipe);
}

/* Starts gen (a read_body) with cancellable; the body ends up awaiting a
 * read that only a write or a cancellation will finish. */
static void
start_reading (AgenGenerator  *gen,
               GCancellable   *cancellable,
               AgenTestResult *r)
{
  agen_test_result_clear (r);
  agen_generator_next_async (gen, cancellable, agen_test_next_cb, r);
  g_assert_false (r->done);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_RUNNING);
}

static void
test_cancel_while_awaiting_handled (void)
{
  ReadData data;
  Pipe pipe;
  g_autoptr(AgenGenerator) gen = read_new (&data, &pipe, READ_HANDLE);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;

  g_test_summary ("cancelling the op while the body awaits with the step "
                  "cancellable makes the await fail with CANCELLED inside the "
                  "body; a body that handles it and yields v gives TRUE + v "
                  "(never lost) and stays SUSPENDED and usable");

  start_reading (gen, cancellable, &r);
  g_cancellable_cancel (cancellable);
  agen_test_spin_until (&r.done, 5000);

  g_assert_no_error (r.error);
  g_assert_true (r.ok);
  agen_test_assert_string (&r.value, "cancelled");
  g_assert_error (data.first_error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_SUSPENDED);

  /* The link ended with the step: the next step's cancellable is fresh */
  pipe_write (&pipe, "after");
  g_assert_true (agen_test_next (gen, NULL, &r));
  agen_test_assert_string (&r.value, "after");
  g_assert_cmpuint (data.reads, ==, 2);
  g_assert_cmpuint (data.reads_cancelled_at_start, ==, 0);

  g_assert_true (agen_test_close (gen, NULL, &r));
  read_data_clear (&data);
  pipe_clear (&pipe);
}

static void
test_cancel_while_awaiting_propagated (void)
{
  ReadData data;
  Pipe pipe;
  g_autoptr(AgenGenerator) gen = read_new (&data, &pipe, READ_PROPAGATE);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;

  g_test_summary ("a body that lets the CANCELLED of its await out fails the "
                  "op with G_IO_ERROR_CANCELLED; the generator is CLOSED");

  start_reading (gen, cancellable, &r);
  g_cancellable_cancel (cancellable);
  agen_test_spin_until (&r.done, 5000);

  agen_test_assert_failed (&r, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_CLOSED);
  g_assert_cmpuint (data.destroyed, ==, 1);
  read_data_clear (&data);
  pipe_clear (&pipe);
}

static void
test_cancel_is_level_triggered (void)
{
  ReadData data;
  Pipe pipe;
  g_autoptr(AgenGenerator) gen = read_new (&data, &pipe, READ_HANDLE_RETRY);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;

  g_test_summary ("the step cancellable stays cancelled until the step ends: "
                  "a second await with it after catching CANCELLED fails at "
                  "once");

  start_reading (gen, cancellable, &r);
  g_cancellable_cancel (cancellable);
  agen_test_spin_until (&r.done, 5000);

  g_assert_true (r.ok);
  agen_test_assert_string (&r.value, "cancelled twice");
  g_assert_error (data.first_error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_error (data.second_error, G_IO_ERROR, G_IO_ERROR_CANCELLED);

  g_assert_true (agen_test_close (gen, NULL, &r));
  read_data_clear (&data);
  pipe_clear (&pipe);
}

static void
test_cancel_ignored_completes_later (void)
{
  ReadData data;
  Pipe pipe;
  g_autoptr(AgenGenerator) gen = read_new (&data, &pipe, READ_PROPAGATE);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;

  g_test_summary ("cancellation never completes the op early: a body whose "
                  "await ignores it completes later with TRUE + its value");

  data.null_cancellable = TRUE;
  start_reading (gen, cancellable, &r);
  g_cancellable_cancel (cancellable);

  spin_for (50);
  g_assert_false (r.done);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_RUNNING);

  pipe_write (&pipe, "late");
  agen_test_spin_until (&r.done, 5000);
  g_assert_no_error (r.error);
  g_assert_true (r.ok);
  agen_test_assert_string (&r.value, "late");
  g_assert_null (data.first_error);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_SUSPENDED);

  g_assert_true (agen_test_close (gen, NULL, &r));
  read_data_clear (&data);
  pipe_clear (&pipe);
}

typedef struct
{
  guint steps;
  guint steps_cancelled;
} StepData;

/* Yields 1, 2, 3, … without awaiting; counts the steps that started with
 * their step cancellable already cancelled. */
static gboolean
step_body (AgenGenerator  *self,
           gpointer        user_data,
           GError        **error)
{
  StepData *data = user_data;
  gint i;

  for (i = 1; ; i++)
    {
      data->steps++;
      if (g_cancellable_is_cancelled (agen_generator_get_cancellable (self)))
        data->steps_cancelled++;
      if (!agen_test_yield_int (self, i, NULL, error))
        return FALSE;
    }
}

static void
test_cancel_after_step_changes_nothing (void)
{
  StepData data = { 0, 0 };
  g_autoptr(AgenGenerator) gen = agen_generator_new (step_body, &data, NULL);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GCancellable) later = g_cancellable_new ();
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;

  g_test_summary ("cancelling after the step ended changes nothing: between "
                  "the yield and the callback the value is kept; after it the "
                  "SUSPENDED generator is neither interrupted nor closed, and "
                  "the next step's cancellable is not cancelled");

  /* On the owner thread the body yields inside the call: the step is over
   * before the cancellation, only the callback is still to come. */
  agen_generator_next_async (gen, cancellable, agen_test_next_cb, &r);
  g_assert_cmpuint (data.steps, ==, 1);
  g_cancellable_cancel (cancellable);
  g_assert_false (r.done);
  agen_test_spin_until (&r.done, 5000);
  agen_test_assert_yielded_int (&r, 1);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_SUSPENDED);

  g_assert_true (agen_test_next (gen, NULL, &r));
  agen_test_assert_yielded_int (&r, 2);

  /* Cancelled after its callback */
  g_assert_true (agen_test_next (gen, later, &r));
  agen_test_assert_yielded_int (&r, 3);
  g_cancellable_cancel (later);
  spin_for (20);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_SUSPENDED);

  g_assert_true (agen_test_next (gen, NULL, &r));
  agen_test_assert_yielded_int (&r, 4);
  g_assert_cmpuint (data.steps, ==, 4);
  g_assert_cmpuint (data.steps_cancelled, ==, 0);

  g_assert_true (agen_test_close (gen, NULL, &r));
  g_assert_no_error (r.error);
}

static void
test_cancel_during_close_cleanup (void)
{
  ReadData data;
  Pipe pipe;
  g_autoptr(AgenGenerator) gen = read_new (&data, &pipe, READ_PROPAGATE);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;

  g_test_summary ("a close whose cleanup awaits with the step cancellable, "
                  "gets CANCELLED and lets it out gives FALSE + CANCELLED; "
                  "the generator is CLOSED");

  data.cleanup_reads = TRUE;
  pipe_write (&pipe, "x");
  g_assert_true (agen_test_next (gen, NULL, &r));
  agen_test_assert_string (&r.value, "x");

  agen_test_result_clear (&r);
  agen_generator_close_async (gen, cancellable, agen_test_close_cb, &r);
  g_assert_false (r.done);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_RUNNING);
  g_cancellable_cancel (cancellable);
  agen_test_spin_until (&r.done, 5000);

  g_assert_false (r.ok);
  g_assert_error (r.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_error (data.cleanup_error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_CLOSED);
  g_assert_cmpuint (data.destroyed, ==, 1);
  read_data_clear (&data);
  pipe_clear (&pipe);
}

static gboolean
delegate_body (AgenGenerator  *self,
               gpointer        user_data,
               GError        **error)
{
  AgenGenerator *inner = user_data;
  g_auto(GValue) rv = G_VALUE_INIT;

  return agen_generator_yield_from (self, inner, &rv, error);
}

static void
test_cancel_reaches_yield_from_inner (void)
{
  ReadData data;
  Pipe pipe;
  g_autoptr(AgenGenerator) inner = read_new (&data, &pipe, READ_HANDLE);
  g_autoptr(AgenGenerator) outer = agen_generator_new (delegate_body, inner, NULL);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;

  g_test_summary ("yield_from passes the step cancellable to the inner's "
                  "ops: cancelling the outer's op lands at the inner's await");

  start_reading (outer, cancellable, &r);
  g_assert_cmpint (agen_generator_get_state (inner), ==, AGEN_GENERATOR_STATE_RUNNING);
  g_cancellable_cancel (cancellable);
  agen_test_spin_until (&r.done, 5000);

  g_assert_no_error (r.error);
  g_assert_true (r.ok);
  agen_test_assert_string (&r.value, "cancelled");
  g_assert_error (data.first_error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (agen_generator_get_state (outer), ==, AGEN_GENERATOR_STATE_SUSPENDED);
  g_assert_cmpint (agen_generator_get_state (inner), ==, AGEN_GENERATOR_STATE_SUSPENDED);

  g_assert_true (agen_test_close (outer, NULL, &r));
  g_assert_no_error (r.error);
  g_assert_cmpint (agen_generator_get_state (inner), ==, AGEN_GENERATOR_STATE_CLOSED);
  read_data_clear (&data);
  pipe_clear (&pipe);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Agen/Await/file-chunks", test_file_chunks);
  g_test_add_func ("/Agen/Await/file-lines", test_file_lines);
  g_test_add_func ("/Agen/Await/query-info", test_query_info);
  g_test_add_func ("/Agen/Await/task-completed-from-idle", test_task_completed_from_idle);
  g_test_add_func ("/Agen/Await/several-awaits-one-step", test_several_awaits_one_step);
  g_test_add_func ("/Agen/Await/running-while-awaiting", test_running_while_awaiting);
  g_test_add_func ("/Agen/Await/close-cleanup-awaits", test_close_cleanup_awaits);
  g_test_add_func ("/Agen/Await/close-cleanup-awaits-and-returns", test_close_cleanup_awaits_and_returns);
  g_test_add_func ("/Agen/Await/close-cleanup-raises", test_close_cleanup_raises);
  g_test_add_func ("/Agen/Await/outside-body", test_await_outside_body);
  g_test_add_func ("/Agen/Await/in-other-body", test_await_in_other_body);
  g_test_add_func ("/Agen/Await/pending-when-body-returns", test_pending_when_body_returns);
  g_test_add_func ("/Agen/Await/result-while-suspended", test_result_while_suspended);
  g_test_add_func ("/Agen/Await/spurious-resume-refused", test_spurious_resume_refused);
  g_test_add_func ("/Agen/Await/result-from-other-thread", test_result_from_other_thread);
  g_test_add_func ("/Agen/Await/cancelled-at-call-created", test_cancelled_at_call_created);
  g_test_add_func ("/Agen/Await/cancelled-at-call-suspended", test_cancelled_at_call_suspended);
  g_test_add_func ("/Agen/Await/cancelled-at-call-closed", test_cancelled_at_call_closed);
  g_test_add_func ("/Agen/Await/cancel-while-awaiting-handled", test_cancel_while_awaiting_handled);
  g_test_add_func ("/Agen/Await/cancel-while-awaiting-propagated", test_cancel_while_awaiting_propagated);
  g_test_add_func ("/Agen/Await/cancel-is-level-triggered", test_cancel_is_level_triggered);
  g_test_add_func ("/Agen/Await/cancel-ignored-completes-later", test_cancel_ignored_completes_later);
  g_test_add_func ("/Agen/Await/cancel-after-step-changes-nothing", test_cancel_after_step_changes_nothing);
  g_test_add_func ("/Agen/Await/cancel-during-close-cleanup", test_cancel_during_close_cleanup);
  g_test_add_func ("/Agen/Await/cancel-reaches-yield-from-inner", test_cancel_reaches_yield_from_inner);

  return g_test_run ();
}
