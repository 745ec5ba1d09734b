/* test-gio-ops.c — combinators and sinks (agen/agen-ops.c,
 * agen/agen-ops-concurrent.c, agen/agen-ops-sinks.c)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>
#include <unistd.h>

#include <gio/gunixinputstream.h>
#include <gio/gunixoutputstream.h>
#include <glib-unix.h>

#include "agen-fiber-private.h"
#include "agen-test-util.h"

/* A source: yields base, base + 1, ... (n items) and returns n. Options:
 * fail instead of yielding item fail_at; wait at the gate before item
 * gate_at; sleep sleep_ms (with the step cancellable) before each item, or
 * only before item sleep_at when that is set. Records what happened. */
typedef struct
{
  int           n;
  int           base;
  int           fail_at;
  int           gate_at;
  AgenTestGate  gate;
  guint         sleep_ms;
  int           sleep_at;
  gboolean      started;
  gboolean      cleaned;
  int           pulled;
} Source;

/* Awaits ms milliseconds, or until cancellable is cancelled (then fails
 * with CANCELLED at once, unlike agen_test_sleep(), whose GTask only
 * reports the cancellation when the time is up). */
typedef struct
{
  GTask   *task;
  GSource *timer;
  GSource *cancel;
} Sleeper;

static void
sleeper_done (Sleeper *sleeper)
{
  GTask *task = sleeper->task;

  g_source_destroy (sleeper->timer);
  g_source_unref (sleeper->timer);
  if (sleeper->cancel != NULL)
    {
      g_source_destroy (sleeper->cancel);
      g_source_unref (sleeper->cancel);
    }
  g_free (sleeper);
  if (!g_task_return_error_if_cancelled (task))
    g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

static gboolean
sleeper_timer_cb (gpointer data)
{
  sleeper_done (data);
  return G_SOURCE_REMOVE;
}

static gboolean
sleeper_cancel_cb (GCancellable *cancellable,
                   gpointer      data)
{
  sleeper_done (data);
  return G_SOURCE_REMOVE;
}

static gboolean
cancellable_sleep (AgenGenerator  *self,
                   guint           ms,
                   GError        **error)
{
  GCancellable *cancellable = agen_generator_get_cancellable (self);
  Sleeper *sleeper = g_new0 (Sleeper, 1);
  GMainContext *context = g_main_context_get_thread_default ();

  sleeper->task = g_task_new (NULL, cancellable, AGEN_AWAIT_CALLBACK (self));
  sleeper->timer = g_timeout_source_new (ms);
  g_source_set_callback (sleeper->timer, sleeper_timer_cb, sleeper, NULL);
  g_source_attach (sleeper->timer, context);
  if (cancellable != NULL)
    {
      sleeper->cancel = g_cancellable_source_new (cancellable);
      g_source_set_callback (sleeper->cancel, G_SOURCE_FUNC (sleeper_cancel_cb), sleeper, NULL);
      g_source_attach (sleeper->cancel, context);
    }

  return g_task_propagate_boolean (G_TASK (agen_generator_await (self)), error);
}

static gboolean
source_body (AgenGenerator  *self,
             gpointer        data,
             GError        **error)
{
  Source *s = data;
  g_auto(GValue) rv = G_VALUE_INIT;

  s->started = TRUE;
  for (int i = 0; i < s->n; i++)
    {
      if (i == s->gate_at && !agen_test_gate_wait (&s->gate, self, error))
        goto failed;
      if (s->sleep_ms > 0 && (s->sleep_at < 0 || i == s->sleep_at) &&
          !cancellable_sleep (self, s->sleep_ms, error))
        goto failed;
      if (i == s->fail_at)
        {
          g_set_error (error, AGEN_TEST_ERROR, AGEN_TEST_ERROR_BOOM, "boom at %d", i);
          goto failed;
        }
      s->pulled++;
      if (!agen_test_yield_int (self, s->base + i, NULL, error))
        goto failed;
    }

  agen_generator_set_return_value (self, agen_test_value_int (&rv, s->n));
  s->cleaned = TRUE;
  return TRUE;

failed:
  s->cleaned = TRUE;
  return FALSE;
}

static void
source_release (gpointer data)
{
  g_rc_box_release (data);
}

/* A new source and, in *out, the record (a reference: release it). */
static AgenGenerator *
source_new (Source **out,
            int      n)
{
  Source *s = g_rc_box_new0 (Source);

  s->n = n;
  s->fail_at = -1;
  s->gate_at = -1;
  s->sleep_at = -1;
  *out = g_rc_box_acquire (s);

  return agen_generator_new (source_body, s, source_release);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Source, source_release)

/* Blocking next until the end; the ints in order. */
static GArray *
drain_ints (AgenGenerator  *gen,
            GError        **error)
{
  GArray *ints = g_array_new (FALSE, FALSE, sizeof (int));

  for (;;)
    {
      g_auto(GValue) value = G_VALUE_INIT;
      int v;

      if (!agen_generator_next (gen, NULL, &value, error))
        break;
      g_assert_true (G_VALUE_HOLDS_INT (&value));
      v = g_value_get_int (&value);
      g_array_append_val (ints, v);
    }

  return ints;
}

static void
assert_ints (GArray    *ints,
             const int *expected,
             guint      n)
{
  g_assert_cmpuint (ints->len, ==, n);
  for (guint i = 0; i < n; i++)
    g_assert_cmpint (g_array_index (ints, int, i), ==, expected[i]);
}

static int
next_int (AgenGenerator *gen)
{
  AgenTestResult r = AGEN_TEST_RESULT_INIT;
  int v;

  agen_test_next (gen, NULL, &r);
  g_assert_no_error (r.error);
  g_assert_true (r.ok);
  g_assert_true (G_VALUE_HOLDS_INT (&r.value));
  v = g_value_get_int (&r.value);
  agen_test_result_clear (&r);

  return v;
}

/* The ints of a yielded GValueArray, as a string "a,b,c". */
static char *
tuple_string (const GValue *value)
{
  GValueArray *array;
  g_autoptr(GString) s = g_string_new (NULL);

  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  g_assert_true (G_VALUE_HOLDS (value, g_value_array_get_type ()));
  array = g_value_get_boxed (value);
  for (guint i = 0; i < array->n_values; i++)
    {
      GValue *v = g_value_array_get_nth (array, i);

      if (i > 0)
        g_string_append_c (s, ',');
      if (G_VALUE_HOLDS_UINT64 (v))
        g_string_append_printf (s, "%" G_GUINT64_FORMAT, g_value_get_uint64 (v));
      else
        g_string_append_printf (s, "%d", g_value_get_int (v));
    }
  G_GNUC_END_IGNORE_DEPRECATIONS

  return g_string_free (g_steal_pointer (&s), FALSE);
}

static char *
next_tuple (AgenGenerator *gen)
{
  AgenTestResult r = AGEN_TEST_RESULT_INIT;
  char *s = NULL;

  agen_test_next (gen, NULL, &r);
  g_assert_no_error (r.error);
  if (r.ok)
    s = tuple_string (&r.value);
  agen_test_result_clear (&r);

  return s;
}

#define assert_next_tuple(gen, str) G_STMT_START { \
    g_autofree char *_t = next_tuple (gen); \
    g_assert_cmpstr (_t, ==, (str)); \
  } G_STMT_END

static void
assert_end (AgenGenerator *gen)
{
  AgenTestResult r = AGEN_TEST_RESULT_INIT;

  agen_test_next (gen, NULL, &r);
  agen_test_assert_finished (&r);
  agen_test_result_clear (&r);
}

static void
assert_fails (AgenGenerator *gen,
              GQuark         domain,
              int            code)
{
  AgenTestResult r = AGEN_TEST_RESULT_INIT;

  agen_test_next (gen, NULL, &r);
  agen_test_assert_failed (&r, domain, code);
  /* Once: then finished. */
  agen_test_next (gen, NULL, &r);
  agen_test_assert_finished (&r);
  agen_test_result_clear (&r);
}

static void
assert_close (AgenGenerator *gen)
{
  AgenTestResult r = AGEN_TEST_RESULT_INIT;

  agen_test_close (gen, NULL, &r);
  g_assert_no_error (r.error);
  g_assert_true (r.ok);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_CLOSED);
  agen_test_result_clear (&r);
}

/* map ---------------------------------------------------------------------- */

typedef struct
{
  int      fail_at;     /* fail on this item */
  guint    calls;
  gboolean destroyed;
} Callback;

static gboolean
double_cb (GValue    *item,
           GValue    *result,
           gpointer   user_data,
           GError   **error)
{
  Callback *cb = user_data;

  g_assert_null (agen_fiber_get_current ());   /* the thread's own stack */
  cb->calls++;
  if (g_value_get_int (item) == cb->fail_at)
    {
      g_set_error_literal (error, AGEN_TEST_ERROR, AGEN_TEST_ERROR_OTHER, "no");
      return FALSE;
    }
  agen_test_value_int (result, 2 * g_value_get_int (item));
  return TRUE;
}

static gboolean
even_cb (GValue    *item,
         gpointer   user_data,
         GError   **error)
{
  Callback *cb = user_data;

  g_assert_null (agen_fiber_get_current ());
  cb->calls++;
  if (g_value_get_int (item) == cb->fail_at)
    {
      g_set_error_literal (error, AGEN_TEST_ERROR, AGEN_TEST_ERROR_OTHER, "no");
      return FALSE;
    }
  return g_value_get_int (item) % 2 == 0;
}

static void
callback_destroy (gpointer data)
{
  Callback *cb = data;

  g_assert_false (cb->destroyed);
  cb->destroyed = TRUE;
}

static void
test_map (void)
{
  g_autoptr(Source) s = NULL;
  g_autoptr(AgenGenerator) source = source_new (&s, 4);
  Callback cb = { -1, 0, FALSE };
  g_autoptr(AgenGenerator) gen = agen_generator_map (source, double_cb, &cb, callback_destroy);
  g_autoptr(GArray) ints = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GValue) rv = G_VALUE_INIT;
  const int expected[] = { 0, 2, 4, 6 };

  g_test_summary ("map yields func (item) for each item, on the thread's "
                  "stack; the source's return value passes through; the "
                  "user data is destroyed once, when it ends");

  ints = drain_ints (gen, &error);
  g_assert_no_error (error);
  assert_ints (ints, expected, 4);
  g_assert_cmpuint (cb.calls, ==, 4);
  g_assert_true (cb.destroyed);
  g_assert_true (agen_generator_get_return_value (gen, &rv));
  agen_test_assert_int (&rv, 4);
}

static void
test_map_async (void)
{
  g_autoptr(Source) s = NULL;
  g_autoptr(AgenGenerator) source = source_new (&s, 3);
  Callback cb = { -1, 0, FALSE };
  g_autoptr(AgenGenerator) gen = agen_generator_map (source, double_cb, &cb, callback_destroy);

  s->sleep_ms = 1;
  g_assert_cmpint (next_int (gen), ==, 0);
  g_assert_cmpint (next_int (gen), ==, 2);
  g_assert_cmpint (next_int (gen), ==, 4);
  assert_end (gen);
  g_assert_true (s->cleaned);
}

static void
test_map_error (void)
{
  g_autoptr(Source) s = NULL;
  g_autoptr(AgenGenerator) source = source_new (&s, 10);
  Callback cb = { 2, 0, FALSE };
  g_autoptr(AgenGenerator) gen = agen_generator_map (source, double_cb, &cb, callback_destroy);

  g_test_summary ("When the map function fails, the source is closed and "
                  "the error reaches the consumer once");

  g_assert_cmpint (next_int (gen), ==, 0);
  g_assert_cmpint (next_int (gen), ==, 2);
  assert_fails (gen, AGEN_TEST_ERROR, AGEN_TEST_ERROR_OTHER);
  g_assert_true (s->cleaned);
  g_assert_cmpint (agen_generator_get_state (source), ==, AGEN_GENERATOR_STATE_CLOSED);
  g_assert_true (cb.destroyed);
}

static void
test_map_source_error (void)
{
  g_autoptr(Source) s = NULL;
  g_autoptr(AgenGenerator) source = source_new (&s, 10);
  Callback cb = { -1, 0, FALSE };
  g_autoptr(AgenGenerator) gen = agen_generator_map (source, double_cb, &cb, callback_destroy);

  s->fail_at = 1;
  g_assert_cmpint (next_int (gen), ==, 0);
  assert_fails (gen, AGEN_TEST_ERROR, AGEN_TEST_ERROR_BOOM);
  g_assert_cmpuint (cb.calls, ==, 1);
}

static void
test_map_close (void)
{
  g_autoptr(Source) s = NULL;
  g_autoptr(AgenGenerator) source = source_new (&s, 10);
  Callback cb = { -1, 0, FALSE };
  g_autoptr(AgenGenerator) gen = agen_generator_map (source, double_cb, &cb, callback_destroy);

  g_test_summary ("Closing map early closes its source (its cleanup runs)");

  g_assert_cmpint (next_int (gen), ==, 0);
  g_assert_false (s->cleaned);
  assert_close (gen);
  g_assert_true (s->cleaned);
  g_assert_true (cb.destroyed);
}

static void
test_map_dropped (void)
{
  g_autoptr(Source) s = NULL;
  g_autoptr(AgenGenerator) source = source_new (&s, 10);
  Callback cb = { -1, 0, FALSE };
  AgenGenerator *gen = agen_generator_map (source, double_cb, &cb, callback_destroy);
  gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;

  g_test_summary ("Dropping a suspended map: the default finalizer closes "
                  "it, and so its source");

  g_assert_cmpint (next_int (gen), ==, 0);
  g_object_unref (gen);
  while (!(s->cleaned && cb.destroyed) && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (s->cleaned);
  g_assert_true (cb.destroyed);
}

static void
test_map_send_throw (void)
{
  g_autoptr(Source) s = NULL;
  g_autoptr(AgenGenerator) source = source_new (&s, 10);
  Callback cb = { -1, 0, FALSE };
  g_autoptr(AgenGenerator) gen = agen_generator_map (source, double_cb, &cb, callback_destroy);
  g_autoptr(GError) boom = g_error_new_literal (AGEN_TEST_ERROR, AGEN_TEST_ERROR_BOOM, "thrown");
  AgenTestResult r = AGEN_TEST_RESULT_INIT;

  g_test_summary ("A thrown error goes to the source, whose outcome is the "
                  "throw's");

  g_assert_cmpint (next_int (gen), ==, 0);
  agen_test_throw (gen, boom, NULL, &r);
  agen_test_assert_failed (&r, AGEN_TEST_ERROR, AGEN_TEST_ERROR_BOOM);
  g_assert_true (s->cleaned);
  agen_test_result_clear (&r);
}

/* A consumer that is itself a fiber body, taking map's items with the
 * blocking next: the map function still runs on the thread's stack. */
static gboolean
consumer_body (AgenGenerator  *self,
               gpointer        user_data,
               GError        **error)
{
  AgenGenerator *inner = user_data;

  for (;;)
    {
      g_auto(GValue) value = G_VALUE_INIT;

      if (!agen_generator_next (inner, NULL, &value, error))
        return *error == NULL;
      if (!agen_generator_yield (self, &value, NULL, error))
        return FALSE;
    }
}

static void
test_map_in_fiber (void)
{
  g_autoptr(Source) s = NULL;
  g_autoptr(AgenGenerator) source = source_new (&s, 3);
  Callback cb = { -1, 0, FALSE };
  g_autoptr(AgenGenerator) mapped = agen_generator_map (source, double_cb, &cb, callback_destroy);
  g_autoptr(AgenGenerator) outer = agen_generator_new (consumer_body, g_object_ref (mapped),
                                                       g_object_unref);

  g_test_summary ("Consumed from another generator's body, map's function "
                  "still runs on the thread's stack (double_cb asserts it)");

  s->sleep_ms = 1;
  s->sleep_at = 1;
  g_assert_cmpint (next_int (outer), ==, 0);
  g_assert_cmpint (next_int (outer), ==, 2);
  g_assert_cmpint (next_int (outer), ==, 4);
  assert_end (outer);
  g_assert_cmpuint (cb.calls, ==, 3);
}

/* filter ------------------------------------------------------------------- */

static void
test_filter (void)
{
  g_autoptr(Source) s = NULL;
  g_autoptr(AgenGenerator) source = source_new (&s, 9);
  Callback cb = { -1, 0, FALSE };
  g_autoptr(AgenGenerator) gen = agen_generator_filter (source, even_cb, &cb, callback_destroy);
  g_autoptr(GArray) ints = NULL;
  g_autoptr(GError) error = NULL;
  const int expected[] = { 0, 2, 4, 6, 8 };

  ints = drain_ints (gen, &error);
  g_assert_no_error (error);
  assert_ints (ints, expected, 5);
  g_assert_cmpuint (cb.calls, ==, 9);
  g_assert_true (cb.destroyed);
}

static void
test_filter_error_close (void)
{
  g_autoptr(Source) s1 = NULL;
  g_autoptr(Source) s2 = NULL;
  g_autoptr(AgenGenerator) source1 = source_new (&s1, 10);
  g_autoptr(AgenGenerator) source2 = source_new (&s2, 10);
  Callback cb1 = { 3, 0, FALSE };
  Callback cb2 = { -1, 0, FALSE };
  g_autoptr(AgenGenerator) failing = agen_generator_filter (source1, even_cb, &cb1, callback_destroy);
  g_autoptr(AgenGenerator) closing = agen_generator_filter (source2, even_cb, &cb2, callback_destroy);

  g_test_summary ("filter: a failing function closes the source and fails "
                  "once; closing early closes the source");

  g_assert_cmpint (next_int (failing), ==, 0);
  g_assert_cmpint (next_int (failing), ==, 2);
  assert_fails (failing, AGEN_TEST_ERROR, AGEN_TEST_ERROR_OTHER);
  g_assert_true (s1->cleaned);

  g_assert_cmpint (next_int (closing), ==, 0);
  assert_close (closing);
  g_assert_true (s2->cleaned);
}

/* take, skip, enumerate ---------------------------------------------------- */

static void
test_take (void)
{
  g_autoptr(Source) s = NULL;
  g_autoptr(AgenGenerator) source = source_new (&s, 10);
  g_autoptr(AgenGenerator) gen = agen_generator_take (source, 3);
  g_autoptr(Source) s0 = NULL;
  g_autoptr(AgenGenerator) source0 = source_new (&s0, 10);
  g_autoptr(AgenGenerator) gen0 = agen_generator_take (source0, 0);
  g_autoptr(GArray) ints = NULL;
  g_autoptr(GError) error = NULL;
  const int expected[] = { 0, 1, 2 };

  g_test_summary ("take (n) yields n items, then closes its source and "
                  "finishes; take (0) never starts the source");

  ints = drain_ints (gen, &error);
  g_assert_no_error (error);
  assert_ints (ints, expected, 3);
  g_assert_cmpint (s->pulled, ==, 3);
  g_assert_true (s->cleaned);

  assert_end (gen0);
  g_assert_false (s0->started);
  g_assert_cmpint (agen_generator_get_state (source0), ==, AGEN_GENERATOR_STATE_CLOSED);
}

static void
test_take_short_source (void)
{
  g_autoptr(Source) s = NULL;
  g_autoptr(AgenGenerator) source = source_new (&s, 2);
  g_autoptr(AgenGenerator) gen = agen_generator_take (source, 5);
  g_autoptr(GArray) ints = NULL;
  g_autoptr(GError) error = NULL;
  const int expected[] = { 0, 1 };
  g_auto(GValue) rv = G_VALUE_INIT;

  ints = drain_ints (gen, &error);
  g_assert_no_error (error);
  assert_ints (ints, expected, 2);
  g_assert_true (agen_generator_get_return_value (gen, &rv));
  agen_test_assert_int (&rv, 2);
}

static void
test_take_close_error (void)
{
  g_autoptr(Source) s = NULL;
  g_autoptr(AgenGenerator) source = source_new (&s, 10);
  g_autoptr(AgenGenerator) gen = agen_generator_take (source, 5);
  g_autoptr(Source) s2 = NULL;
  g_autoptr(AgenGenerator) source2 = source_new (&s2, 10);
  g_autoptr(AgenGenerator) gen2 = agen_generator_take (source2, 5);

  g_assert_cmpint (next_int (gen), ==, 0);
  assert_close (gen);
  g_assert_true (s->cleaned);

  s2->fail_at = 1;
  g_assert_cmpint (next_int (gen2), ==, 0);
  assert_fails (gen2, AGEN_TEST_ERROR, AGEN_TEST_ERROR_BOOM);
}

static void
test_skip (void)
{
  g_autoptr(Source) s = NULL;
  g_autoptr(AgenGenerator) source = source_new (&s, 5);
  g_autoptr(AgenGenerator) gen = agen_generator_skip (source, 3);
  g_autoptr(Source) s2 = NULL;
  g_autoptr(AgenGenerator) source2 = source_new (&s2, 5);
  g_autoptr(AgenGenerator) gen2 = agen_generator_skip (source2, 10);
  g_autoptr(Source) s3 = NULL;
  g_autoptr(AgenGenerator) source3 = source_new (&s3, 10);
  g_autoptr(AgenGenerator) gen3 = agen_generator_skip (source3, 2);

  g_assert_cmpint (next_int (gen), ==, 3);
  g_assert_cmpint (next_int (gen), ==, 4);
  assert_end (gen);

  assert_end (gen2);
  g_assert_cmpint (s2->pulled, ==, 5);

  g_assert_cmpint (next_int (gen3), ==, 2);
  assert_close (gen3);
  g_assert_true (s3->cleaned);

  {
    g_autoptr(Source) s4 = NULL;
    g_autoptr(AgenGenerator) source4 = source_new (&s4, 10);
    g_autoptr(AgenGenerator) gen4 = agen_generator_skip (source4, 2);

    s4->fail_at = 1;
    assert_fails (gen4, AGEN_TEST_ERROR, AGEN_TEST_ERROR_BOOM);
  }
}

static void
test_enumerate (void)
{
  g_autoptr(Source) s = NULL;
  g_autoptr(AgenGenerator) source = source_new (&s, 3);
  g_autoptr(AgenGenerator) gen = agen_generator_enumerate (source, 10);
  g_autoptr(Source) s2 = NULL;
  g_autoptr(AgenGenerator) source2 = source_new (&s2, 3);
  g_autoptr(AgenGenerator) gen2 = agen_generator_enumerate (source2, 0);

  g_test_summary ("enumerate yields (index, item) pairs as GValueArrays");

  s->base = 100;
  assert_next_tuple (gen, "10,100");
  assert_next_tuple (gen, "11,101");
  assert_next_tuple (gen, "12,102");
  assert_end (gen);

  assert_next_tuple (gen2, "0,0");
  assert_close (gen2);
  g_assert_true (s2->cleaned);

  {
    g_autoptr(Source) s3 = NULL;
    g_autoptr(AgenGenerator) source3 = source_new (&s3, 3);
    g_autoptr(AgenGenerator) gen3 = agen_generator_enumerate (source3, 0);

    s3->fail_at = 1;
    assert_next_tuple (gen3, "0,0");
    assert_fails (gen3, AGEN_TEST_ERROR, AGEN_TEST_ERROR_BOOM);
  }
}

static void
wait_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  AgenTestResult *r = user_data;

  r->ok = agen_generator_wait_finish (AGEN_GENERATOR (object), result, &r->value, &r->error);
  r->done = TRUE;
}

/* A pipeline of combinators over a source that awaits: map over filter
 * over skip over take, consumed with try_next and wait as a binding does. */
static void
test_pipeline_try_next (void)
{
  g_autoptr(Source) s = NULL;
  g_autoptr(AgenGenerator) source = source_new (&s, 20);
  Callback even = { -1, 0, FALSE };
  Callback twice = { -1, 0, FALSE };
  g_autoptr(AgenGenerator) taken = agen_generator_take (source, 12);
  g_autoptr(AgenGenerator) skipped = agen_generator_skip (taken, 2);
  g_autoptr(AgenGenerator) kept = agen_generator_filter (skipped, even_cb, &even, callback_destroy);
  g_autoptr(AgenGenerator) gen = agen_generator_map (kept, double_cb, &twice, callback_destroy);
  g_autoptr(GArray) got = g_array_new (FALSE, FALSE, sizeof (int));
  const int expected[] = { 4, 8, 12, 16, 20 };
  guint waits = 0;

  g_test_summary ("A pipeline over a source that awaits now and then, "
                  "through try_next and wait_async: the same items, the "
                  "source closed by take");

  s->sleep_ms = 1;
  s->sleep_at = 5;
  for (;;)
    {
      GValue value = G_VALUE_INIT;
      GError *error = NULL;
      gboolean ok = agen_generator_try_next (gen, &value, &error);

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        {
          AgenTestResult r = AGEN_TEST_RESULT_INIT;

          g_clear_error (&error);
          g_value_unset (&value);
          waits++;
          agen_generator_wait_async (gen, NULL, wait_cb, &r);
          agen_test_spin_until (&r.done, 5000);
          g_assert_no_error (r.error);
          ok = r.ok;
          if (ok)
            g_value_copy (&r.value, g_value_init (&value, G_VALUE_TYPE (&r.value)));
          agen_test_result_clear (&r);
        }
      g_assert_no_error (error);
      if (!ok)
        break;
      g_array_append_val (got, value.data[0].v_int);
      g_value_unset (&value);
    }

  assert_ints (got, expected, 5);
  g_assert_cmpuint (waits, >=, 1);
  g_assert_true (s->cleaned);
  g_assert_cmpint (s->pulled, ==, 12);
}

/* chain -------------------------------------------------------------------- */

static void
test_chain (void)
{
  g_autoptr(Source) a = NULL;
  g_autoptr(Source) b = NULL;
  g_autoptr(AgenGenerator) ga = source_new (&a, 3);
  g_autoptr(AgenGenerator) gb = source_new (&b, 2);
  AgenGenerator *sources[] = { ga, gb };
  g_autoptr(AgenGenerator) gen = agen_chain (sources, 2);
  g_autoptr(GArray) ints = NULL;
  g_autoptr(GError) error = NULL;
  const int expected[] = { 0, 1, 2, 100, 101 };
  g_autoptr(AgenGenerator) empty = agen_chain (NULL, 0);

  b->base = 100;
  ints = drain_ints (gen, &error);
  g_assert_no_error (error);
  assert_ints (ints, expected, 5);

  assert_end (empty);
}

static void
test_chain_close_error (void)
{
  g_autoptr(Source) a = NULL;
  g_autoptr(Source) b = NULL;
  g_autoptr(AgenGenerator) ga = source_new (&a, 3);
  g_autoptr(AgenGenerator) gb = source_new (&b, 2);
  AgenGenerator *sources[] = { ga, gb };
  g_autoptr(AgenGenerator) gen = agen_chain (sources, 2);
  g_autoptr(Source) c = NULL;
  g_autoptr(Source) d = NULL;
  g_autoptr(AgenGenerator) gc = source_new (&c, 1);
  g_autoptr(AgenGenerator) gd = source_new (&d, 5);
  AgenGenerator *sources2[] = { gc, gd };
  g_autoptr(AgenGenerator) gen2 = agen_chain (sources2, 2);

  g_test_summary ("Closing a chain closes the current source and the later "
                  "ones; an error in a later source reaches the consumer once");

  g_assert_cmpint (next_int (gen), ==, 0);
  assert_close (gen);
  g_assert_true (a->cleaned);
  g_assert_false (b->started);
  g_assert_cmpint (agen_generator_get_state (gb), ==, AGEN_GENERATOR_STATE_CLOSED);

  d->fail_at = 1;
  g_assert_cmpint (next_int (gen2), ==, 0);
  g_assert_cmpint (next_int (gen2), ==, 0);
  assert_fails (gen2, AGEN_TEST_ERROR, AGEN_TEST_ERROR_BOOM);
}

/* zip ---------------------------------------------------------------------- */

static void
test_zip (void)
{
  g_autoptr(Source) a = NULL;
  g_autoptr(Source) b = NULL;
  g_autoptr(AgenGenerator) ga = source_new (&a, 3);
  g_autoptr(AgenGenerator) gb = source_new (&b, 5);
  AgenGenerator *sources[] = { ga, gb };
  g_autoptr(AgenGenerator) gen = agen_zip (sources, 2);

  g_test_summary ("zip yields tuples until the shortest source ends, then "
                  "closes the others");

  b->base = 100;
  b->sleep_ms = 1;
  assert_next_tuple (gen, "0,100");
  assert_next_tuple (gen, "1,101");
  assert_next_tuple (gen, "2,102");
  assert_end (gen);
  g_assert_true (a->cleaned);
  g_assert_true (b->cleaned);
  g_assert_cmpint (b->pulled, ==, 4);
}

static void
test_zip_close_error (void)
{
  g_autoptr(Source) a = NULL;
  g_autoptr(Source) b = NULL;
  g_autoptr(AgenGenerator) ga = source_new (&a, 3);
  g_autoptr(AgenGenerator) gb = source_new (&b, 5);
  AgenGenerator *sources[] = { ga, gb };
  g_autoptr(AgenGenerator) gen = agen_zip (sources, 2);
  g_autoptr(Source) c = NULL;
  g_autoptr(Source) d = NULL;
  g_autoptr(AgenGenerator) gc = source_new (&c, 3);
  g_autoptr(AgenGenerator) gd = source_new (&d, 5);
  AgenGenerator *sources2[] = { gc, gd };
  g_autoptr(AgenGenerator) gen2 = agen_zip (sources2, 2);

  assert_next_tuple (gen, "0,0");
  assert_close (gen);
  g_assert_true (a->cleaned);
  g_assert_true (b->cleaned);

  c->fail_at = 1;
  assert_next_tuple (gen2, "0,0");
  assert_fails (gen2, AGEN_TEST_ERROR, AGEN_TEST_ERROR_BOOM);
  g_assert_true (d->cleaned);
}

/* merge -------------------------------------------------------------------- */

static void
test_merge_concurrent (void)
{
  g_autoptr(Source) a = NULL;
  g_autoptr(Source) b = NULL;
  g_autoptr(AgenGenerator) ga = source_new (&a, 2);
  g_autoptr(AgenGenerator) gb = source_new (&b, 3);
  AgenGenerator *sources[] = { ga, gb };
  g_autoptr(AgenGenerator) gen = agen_merge (sources, 2);

  g_test_summary ("merge pulls every source at once: while one is blocked, "
                  "the other's items come through; then the blocked one's");

  a->base = 100;
  a->gate_at = 0;
  g_assert_cmpint (next_int (gen), ==, 0);
  g_assert_true (agen_test_gate_waiting (&a->gate));
  g_assert_cmpint (next_int (gen), ==, 1);
  g_assert_cmpint (next_int (gen), ==, 2);
  agen_test_gate_open (&a->gate);
  g_assert_cmpint (next_int (gen), ==, 100);
  g_assert_cmpint (next_int (gen), ==, 101);
  assert_end (gen);
}

static void
test_merge_speeds (void)
{
  g_autoptr(Source) fast = NULL;
  g_autoptr(Source) slow = NULL;
  g_autoptr(AgenGenerator) gf = source_new (&fast, 20);
  g_autoptr(AgenGenerator) gs = source_new (&slow, 3);
  AgenGenerator *sources[] = { gs, gf };
  g_autoptr(AgenGenerator) gen = agen_merge (sources, 2);
  g_autoptr(GArray) ints = NULL;
  g_autoptr(GError) error = NULL;
  int next_fast = 0, next_slow = 100;

  g_test_summary ("merge with sources producing at different speeds: every "
                  "item once, each source's in order");

  fast->sleep_ms = 1;
  slow->sleep_ms = 15;
  slow->base = 100;
  ints = drain_ints (gen, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ints->len, ==, 23);
  for (guint i = 0; i < ints->len; i++)
    {
      int v = g_array_index (ints, int, i);

      if (v >= 100)
        g_assert_cmpint (v, ==, next_slow++);
      else
        g_assert_cmpint (v, ==, next_fast++);
    }
  g_assert_cmpint (next_fast, ==, 20);
  g_assert_cmpint (next_slow, ==, 103);
}

static void
test_merge_error (void)
{
  g_autoptr(Source) a = NULL;
  g_autoptr(Source) b = NULL;
  g_autoptr(AgenGenerator) ga = source_new (&a, 5);
  g_autoptr(AgenGenerator) gb = source_new (&b, 5);
  AgenGenerator *sources[] = { ga, gb };
  g_autoptr(AgenGenerator) gen = agen_merge (sources, 2);

  g_test_summary ("A failing source: the merge cancels the others' pulls, "
                  "closes them, and fails once");

  a->fail_at = 1;
  b->sleep_ms = 60000;          /* cancelled, not waited for */
  b->base = 100;
  g_assert_cmpint (next_int (gen), ==, 0);
  assert_fails (gen, AGEN_TEST_ERROR, AGEN_TEST_ERROR_BOOM);
  g_assert_true (a->cleaned);
  g_assert_true (b->cleaned);
  g_assert_cmpint (agen_generator_get_state (gb), ==, AGEN_GENERATOR_STATE_CLOSED);
}

static void
test_merge_close (void)
{
  g_autoptr(Source) a = NULL;
  g_autoptr(Source) b = NULL;
  g_autoptr(AgenGenerator) ga = source_new (&a, 5);
  g_autoptr(AgenGenerator) gb = source_new (&b, 5);
  AgenGenerator *sources[] = { ga, gb };
  g_autoptr(AgenGenerator) gen = agen_merge (sources, 2);

  g_test_summary ("Closing a merge while pulls are in flight cancels them "
                  "and closes every source");

  a->sleep_ms = 60000;
  b->base = 100;
  g_assert_cmpint (next_int (gen), ==, 100);
  assert_close (gen);
  g_assert_true (a->cleaned);
  g_assert_true (b->cleaned);
}

static void
test_merge_cancel (void)
{
  g_autoptr(Source) a = NULL;
  g_autoptr(Source) b = NULL;
  g_autoptr(AgenGenerator) ga = source_new (&a, 5);
  g_autoptr(AgenGenerator) gb = source_new (&b, 5);
  AgenGenerator *sources[] = { ga, gb };
  g_autoptr(AgenGenerator) gen = agen_merge (sources, 2);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  AgenTestResult r = AGEN_TEST_RESULT_INIT;

  g_test_summary ("Cancelling a merge's waiting step cancels the pulls in "
                  "flight: the sources fail with CANCELLED, the merge "
                  "reports it once and closes them");

  a->sleep_ms = 60000;
  b->sleep_ms = 60000;
  agen_generator_next_async (gen, cancellable, agen_test_next_cb, &r);
  g_main_context_iteration (NULL, FALSE);
  g_assert_false (r.done);
  g_cancellable_cancel (cancellable);
  agen_test_spin_until (&r.done, 5000);
  agen_test_assert_failed (&r, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_true (a->cleaned);
  g_assert_true (b->cleaned);
  agen_test_next (gen, NULL, &r);
  agen_test_assert_finished (&r);
  agen_test_result_clear (&r);
}

static void
test_merge_error_then_close (void)
{
  g_autoptr(Source) a = NULL;
  g_autoptr(Source) b = NULL;
  g_autoptr(AgenGenerator) ga = source_new (&a, 5);
  g_autoptr(AgenGenerator) gb = source_new (&b, 5);
  AgenGenerator *sources[] = { ga, gb };
  g_autoptr(AgenGenerator) gen = agen_merge (sources, 2);

  g_test_summary ("A source fails while no step waits, and the consumer "
                  "closes the merge while it shuts its sources down: the "
                  "close succeeds, every source is closed once");

  a->fail_at = 1;
  b->sleep_ms = 60000;
  g_assert_cmpint (next_int (gen), ==, 0);
  assert_close (gen);
  g_assert_true (a->cleaned);
  g_assert_true (b->cleaned);
  assert_end (gen);
}

/* A finalizer hook that drops a generator without closing it. */
static void
drop_finalizer (AgenGenerator *gen,
                gpointer       user_data)
{
  (*(guint *) user_data)++;
  g_object_unref (gen);
}

static void
test_merge_destroyed_pulling (void)
{
  g_autoptr(Source) a = NULL;
  g_autoptr(Source) b = NULL;
  g_autoptr(Source) c = NULL;
  g_autoptr(AgenTestWarnings) warnings = agen_test_warnings_catch ("Agen");
  AgenGenerator *ga, *gb, *gc, *merge, *batch;
  AgenGenerator *sources[2];
  guint dropped = 0;
  gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  g_autoptr(GError) error = NULL;

  g_test_summary ("A merge and a batch destroyed without a close (a "
                  "finalizer hook drops them) while pulls are in flight: "
                  "the pulls are cancelled, their outcomes dropped, nothing "
                  "is touched after it is freed");

  agen_set_generator_hooks (NULL, NULL, drop_finalizer, &dropped, NULL);

  ga = source_new (&a, 5);
  gb = source_new (&b, 5);
  gc = source_new (&c, 5);
  a->sleep_ms = 60000;
  b->base = 100;
  c->sleep_ms = 60000;
  c->sleep_at = 1;
  sources[0] = ga;
  sources[1] = gb;
  merge = agen_merge (sources, 2);
  batch = agen_generator_batch (gc, 10, 1);

  g_assert_cmpint (next_int (merge), ==, 100);   /* a's pull in flight */
  assert_next_tuple (batch, "0");                /* c's pull in flight */
  g_object_unref (merge);
  g_object_unref (batch);

  while (!(a->cleaned && c->cleaned && dropped >= 2) &&
         g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (a->cleaned);
  g_assert_true (c->cleaned);
  g_assert_cmpuint (dropped, >=, 2);

  agen_set_generator_hooks (NULL, NULL, NULL, NULL, NULL);
  agen_generator_close (gb, NULL, &error);
  g_assert_no_error (error);
  g_object_unref (ga);
  g_object_unref (gb);
  g_object_unref (gc);
  while (g_main_context_pending (NULL))
    g_main_context_iteration (NULL, FALSE);
}

static void
test_no_sources (void)
{
  g_autoptr(AgenGenerator) chain = agen_chain (NULL, 0);
  g_autoptr(AgenGenerator) zip = agen_zip (NULL, 0);
  g_autoptr(AgenGenerator) merge = agen_merge (NULL, 0);

  assert_end (chain);
  assert_end (zip);
  assert_end (merge);
}

/* batch -------------------------------------------------------------------- */

static void
test_batch (void)
{
  g_autoptr(Source) s = NULL;
  g_autoptr(AgenGenerator) source = source_new (&s, 10);
  g_autoptr(AgenGenerator) gen = agen_generator_batch (source, 4, 0);

  assert_next_tuple (gen, "0,1,2,3");
  assert_next_tuple (gen, "4,5,6,7");
  assert_next_tuple (gen, "8,9");
  assert_end (gen);
}

static void
test_batch_timeout (void)
{
  g_autoptr(Source) s = NULL;
  g_autoptr(AgenGenerator) source = source_new (&s, 3);
  g_autoptr(AgenGenerator) gen = agen_generator_batch (source, 10, 5);

  g_test_summary ("A batch is yielded when its timeout expires, while the "
                  "next pull waits; that item starts the next batch");

  s->gate_at = 2;
  assert_next_tuple (gen, "0,1");
  g_assert_true (agen_test_gate_waiting (&s->gate));
  agen_test_gate_open (&s->gate);
  assert_next_tuple (gen, "2");
  assert_end (gen);
}

static void
test_batch_error_close (void)
{
  g_autoptr(Source) s = NULL;
  g_autoptr(AgenGenerator) source = source_new (&s, 10);
  g_autoptr(AgenGenerator) gen = agen_generator_batch (source, 10, 0);
  g_autoptr(Source) s2 = NULL;
  g_autoptr(AgenGenerator) source2 = source_new (&s2, 10);
  g_autoptr(AgenGenerator) gen2 = agen_generator_batch (source2, 10, 5);

  g_test_summary ("The items before a source's error come first, then the "
                  "error, once; closing while a pull is in flight cancels it "
                  "and closes the source");

  s->fail_at = 3;
  assert_next_tuple (gen, "0,1,2");
  assert_fails (gen, AGEN_TEST_ERROR, AGEN_TEST_ERROR_BOOM);

  s2->sleep_ms = 60000;
  s2->sleep_at = 2;
  assert_next_tuple (gen2, "0,1");
  assert_close (gen2);
  g_assert_true (s2->cleaned);
}

/* Sinks -------------------------------------------------------------------- */

typedef struct
{
  gboolean   done;
  GPtrArray *items;
  gboolean   ok;
  guint64    count;
  GError    *error;
} SinkResult;

static void
collect_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  SinkResult *r = user_data;

  r->items = agen_generator_collect_finish (AGEN_GENERATOR (object), result, &r->error);
  r->done = TRUE;
}

static void
write_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  SinkResult *r = user_data;

  r->ok = agen_generator_write_to_stream_finish (AGEN_GENERATOR (object), result,
                                                 &r->count, &r->error);
  r->done = TRUE;
}

static void
fill_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  SinkResult *r = user_data;

  r->ok = agen_generator_fill_list_store_finish (AGEN_GENERATOR (object), result,
                                                 &r->count, &r->error);
  r->done = TRUE;
}

static void
sink_result_clear (SinkResult *r)
{
  g_clear_pointer (&r->items, g_ptr_array_unref);
  g_clear_error (&r->error);
  r->done = FALSE;
}

static void
test_collect (void)
{
  g_autoptr(Source) s = NULL;
  g_autoptr(AgenGenerator) source = source_new (&s, 600);
  g_autoptr(Source) s2 = NULL;
  g_autoptr(AgenGenerator) source2 = source_new (&s2, 10);
  SinkResult r = { 0, };

  g_test_summary ("collect gathers every item in order; a source's error "
                  "fails it");

  agen_generator_collect_async (source, NULL, collect_cb, &r);
  g_assert_false (r.done);
  agen_test_spin_until (&r.done, 5000);
  g_assert_no_error (r.error);
  g_assert_cmpuint (r.items->len, ==, 600);
  for (guint i = 0; i < 600; i++)
    agen_test_assert_int ((GValue *) g_ptr_array_index (r.items, i), (int) i);
  sink_result_clear (&r);

  s2->fail_at = 4;
  agen_generator_collect_async (source2, NULL, collect_cb, &r);
  agen_test_spin_until (&r.done, 5000);
  g_assert_error (r.error, AGEN_TEST_ERROR, AGEN_TEST_ERROR_BOOM);
  g_assert_null (r.items);
  sink_result_clear (&r);
}

static void
test_collect_cancel (void)
{
  g_autoptr(Source) s = NULL;
  g_autoptr(AgenGenerator) source = source_new (&s, 10);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  SinkResult r = { 0, };

  s->sleep_ms = 60000;
  s->sleep_at = 3;
  agen_generator_collect_async (source, cancellable, collect_cb, &r);
  while (s->pulled < 3)
    g_main_context_iteration (NULL, TRUE);
  g_cancellable_cancel (cancellable);
  agen_test_spin_until (&r.done, 5000);
  g_assert_error (r.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_true (s->cleaned);
  sink_result_clear (&r);
}

static gboolean
to_string_cb (GValue    *item,
              GValue    *result,
              gpointer   user_data,
              GError   **error)
{
  guint size = GPOINTER_TO_UINT (user_data);

  if (size == 0)
    {
      g_value_init (result, G_TYPE_STRING);
      g_value_take_string (result, g_strdup_printf ("%d", g_value_get_int (item)));
    }
  else
    {
      g_value_init (result, G_TYPE_BYTES);
      g_value_take_boxed (result, g_bytes_new_take (g_malloc0 (size), size));
    }
  return TRUE;
}

static void
test_write_lines (void)
{
  g_autoptr(Source) s = NULL;
  g_autoptr(AgenGenerator) source = source_new (&s, 3);
  g_autoptr(AgenGenerator) strings = agen_generator_map (source, to_string_cb, NULL, NULL);
  g_autoptr(GOutputStream) out = g_memory_output_stream_new_resizable ();
  g_autoptr(Source) s2 = NULL;
  g_autoptr(AgenGenerator) ints = source_new (&s2, 3);
  g_autoptr(GOutputStream) out2 = g_memory_output_stream_new_resizable ();
  SinkResult r = { 0, };

  g_test_summary ("write_to_stream writes strings (and bytes) with a newline "
                  "each; an item of another type fails and closes the source");

  agen_generator_write_to_stream_async (strings, out, AGEN_WRITE_FLAGS_LINES | AGEN_WRITE_FLAGS_CLOSE,
                                        NULL, write_cb, &r);
  agen_test_spin_until (&r.done, 5000);
  g_assert_no_error (r.error);
  g_assert_true (r.ok);
  g_assert_cmpuint (r.count, ==, 6);
  g_assert_true (g_output_stream_is_closed (out));
  g_assert_cmpmem (g_memory_output_stream_get_data (G_MEMORY_OUTPUT_STREAM (out)),
                   g_memory_output_stream_get_data_size (G_MEMORY_OUTPUT_STREAM (out)),
                   "0\n1\n2\n", 6);
  sink_result_clear (&r);

  agen_generator_write_to_stream_async (ints, out2, AGEN_WRITE_FLAGS_NONE, NULL, write_cb, &r);
  agen_test_spin_until (&r.done, 5000);
  g_assert_error (r.error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_assert_true (s2->cleaned);
  g_assert_false (g_output_stream_is_closed (out2));
  sink_result_clear (&r);
}

static void
test_write_flow_control (void)
{
  g_autoptr(Source) s = NULL;
  g_autoptr(AgenGenerator) source = source_new (&s, 100000);
  g_autoptr(AgenGenerator) blocks = agen_generator_map (source, to_string_cb,
                                                        GUINT_TO_POINTER (16 * 1024), NULL);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GInputStream) in = NULL;
  g_autoptr(GOutputStream) out = NULL;
  SinkResult r = { 0, };
  int fds[2];

  g_test_summary ("Writing to a pipe nobody reads: the source is asked for "
                  "no more than one batch beyond what the pipe took");

  g_assert_cmpint (pipe (fds), ==, 0);
  /* Writes that would block wait in the main loop instead. */
  g_assert_true (g_unix_set_fd_nonblocking (fds[1], TRUE, NULL));
  in = g_unix_input_stream_new (fds[0], TRUE);
  out = g_unix_output_stream_new (fds[1], TRUE);

  agen_generator_write_to_stream_async (blocks, out, AGEN_WRITE_FLAGS_NONE, cancellable,
                                        write_cb, &r);
  for (guint i = 0; i < 200; i++)
    g_main_context_iteration (NULL, FALSE);
  g_assert_false (r.done);
  g_assert_cmpint (s->pulled, >, 0);
  g_assert_cmpint (s->pulled, <=, 2 * 256);

  g_cancellable_cancel (cancellable);
  agen_test_spin_until (&r.done, 5000);
  g_assert_error (r.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_true (s->cleaned);
  sink_result_clear (&r);
}

static void
test_write_error (void)
{
  g_autoptr(Source) s = NULL;
  g_autoptr(AgenGenerator) source = source_new (&s, 10);
  g_autoptr(AgenGenerator) strings = agen_generator_map (source, to_string_cb, NULL, NULL);
  g_autoptr(GOutputStream) out = g_memory_output_stream_new_resizable ();
  g_autoptr(GError) error = NULL;
  SinkResult r = { 0, };

  g_test_summary ("A write that fails (a closed stream) stops the sink with "
                  "its error, after closing the source");

  g_output_stream_close (out, NULL, &error);
  g_assert_no_error (error);
  agen_generator_write_to_stream_async (strings, out, AGEN_WRITE_FLAGS_LINES, NULL, write_cb, &r);
  agen_test_spin_until (&r.done, 5000);
  g_assert_error (r.error, G_IO_ERROR, G_IO_ERROR_CLOSED);
  g_assert_false (r.ok);
  g_assert_true (s->cleaned);
  g_assert_cmpint (agen_generator_get_state (strings), ==, AGEN_GENERATOR_STATE_CLOSED);
  sink_result_clear (&r);
}

static void
test_fill_cancel (void)
{
  g_autoptr(Source) s = NULL;
  g_autoptr(AgenGenerator) source = source_new (&s, 10);
  g_autoptr(GListStore) store = g_list_store_new (G_TYPE_OBJECT);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  SinkResult r = { 0, };

  g_test_summary ("Cancelling a fill while the source waits: the source "
                  "sees the cancellation, the fill fails with CANCELLED");

  s->sleep_ms = 60000;
  agen_generator_fill_list_store_async (source, store, cancellable, fill_cb, &r);
  g_main_context_iteration (NULL, FALSE);
  g_assert_false (r.done);
  g_cancellable_cancel (cancellable);
  agen_test_spin_until (&r.done, 5000);
  g_assert_error (r.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_true (s->cleaned);
  g_assert_cmpuint (r.count, ==, 0);
  sink_result_clear (&r);
}

/* A whole pipeline in a thread with a main context of its own: every
 * timeout, idle and callback of the combinators and sinks must land in that
 * context (nobody iterates the global default one meanwhile). */
static gpointer
pipeline_thread (gpointer data)
{
  GMainContext *context = g_main_context_new ();
  g_autoptr(Source) a = NULL;
  g_autoptr(Source) b = NULL;
  AgenGenerator *ga, *gb, *merged, *batched, *firsts;
  AgenGenerator *sources[2];
  SinkResult r = { 0, };
  guint total = 0;

  g_main_context_push_thread_default (context);

  ga = source_new (&a, 6);
  gb = source_new (&b, 4);
  a->sleep_ms = 1;
  b->base = 100;
  b->sleep_ms = 2;
  sources[0] = ga;
  sources[1] = gb;
  merged = agen_merge (sources, 2);
  batched = agen_generator_batch (merged, 3, 1);
  firsts = agen_generator_take (batched, 100);
  agen_generator_collect_async (firsts, NULL, collect_cb, &r);
  while (!r.done)
    g_main_context_iteration (context, TRUE);

  g_assert_no_error (r.error);
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  for (guint i = 0; i < r.items->len; i++)
    {
      GValueArray *batch = g_value_get_boxed (g_ptr_array_index (r.items, i));

      g_assert_cmpuint (batch->n_values, >=, 1);
      g_assert_cmpuint (batch->n_values, <=, 3);
      total += batch->n_values;
    }
  G_GNUC_END_IGNORE_DEPRECATIONS
  g_assert_cmpuint (total, ==, 10);
  g_assert_true (a->cleaned);
  g_assert_true (b->cleaned);
  sink_result_clear (&r);

  g_object_unref (firsts);
  g_object_unref (batched);
  g_object_unref (merged);
  g_object_unref (ga);
  g_object_unref (gb);
  while (g_main_context_pending (context))
    g_main_context_iteration (context, FALSE);
  g_main_context_pop_thread_default (context);
  g_main_context_unref (context);

  return GINT_TO_POINTER (TRUE);
}

static void
test_pipeline_other_thread (void)
{
  GThread *thread;

  g_test_summary ("merge, batch (with its timeout), take and collect in a "
                  "thread whose own main context is the owner");

  thread = g_thread_new ("pipeline", pipeline_thread, NULL);
  g_assert_true (GPOINTER_TO_INT (g_thread_join (thread)));
}

/* A source owned by a worker thread's context, pulled by a map and a
 * collect in the main thread: try_next cannot run its body here, so both
 * fall back to next_async, which hands each step over to the owner. */
typedef struct
{
  AgenGenerator *source;
  AgenGenerator *source2;
  gint           started;   /* atomic */
  gint           stop;      /* atomic */
  GMainContext  *context;
} Owner;

static gpointer
owner_thread (gpointer data)
{
  Owner *owner = data;
  g_auto(GValue) first = G_VALUE_INIT;
  g_autoptr(GError) error = NULL;

  g_main_context_push_thread_default (owner->context);
  /* The first operation makes this thread's context the owner. */
  g_assert_true (agen_generator_next (owner->source, NULL, &first, &error));
  agen_test_assert_int (&first, 0);
  g_value_unset (&first);
  g_assert_true (agen_generator_next (owner->source2, NULL, &first, &error));
  g_atomic_int_set (&owner->started, 1);
  while (!g_atomic_int_get (&owner->stop))
    g_main_context_iteration (owner->context, TRUE);
  g_main_context_pop_thread_default (owner->context);

  return NULL;
}

static void
test_source_other_thread (void)
{
  g_autoptr(Source) s = NULL;
  g_autoptr(Source) s2 = NULL;
  Owner owner = { NULL, NULL, 0, 0, g_main_context_new () };
  Callback cb = { -1, 0, FALSE };
  g_autoptr(AgenGenerator) gen = NULL;
  g_autoptr(GArray) ints = NULL;
  g_autoptr(GError) error = NULL;
  SinkResult r = { 0, };
  const int expected[] = { 2, 4, 6, 8 };
  GThread *thread;

  g_test_summary ("A source owned by another thread's context: map and "
                  "collect fall back from try_next to next_async");

  owner.source = source_new (&s, 5);
  owner.source2 = source_new (&s2, 300);
  thread = g_thread_new ("owner", owner_thread, &owner);
  agen_test_wait_atomic (&owner.started, 1, 5000);

  /* Item 0 went to the owner thread. */
  gen = agen_generator_map (owner.source, double_cb, &cb, callback_destroy);
  ints = drain_ints (gen, &error);
  g_assert_no_error (error);
  assert_ints (ints, expected, 4);

  agen_generator_collect_async (owner.source2, NULL, collect_cb, &r);
  agen_test_spin_until (&r.done, 5000);
  g_assert_no_error (r.error);
  g_assert_cmpuint (r.items->len, ==, 299);
  agen_test_assert_int ((GValue *) g_ptr_array_index (r.items, 298), 299);
  sink_result_clear (&r);

  g_atomic_int_set (&owner.stop, 1);
  g_main_context_wakeup (owner.context);
  g_thread_join (thread);
  g_clear_object (&gen);
  g_clear_object (&owner.source);
  g_clear_object (&owner.source2);
  g_main_context_unref (owner.context);
}

static void
count_changes_cb (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  gpointer    user_data)
{
  (*(guint *) user_data)++;
}

static void
test_fill_list_store (void)
{
  g_autoptr(GListStore) from = g_list_store_new (G_TYPE_SIMPLE_ACTION);
  g_autoptr(GListStore) to = g_list_store_new (G_TYPE_ACTION);
  g_autoptr(GListStore) wrong = g_list_store_new (G_TYPE_FILE_INFO);
  g_autoptr(AgenGenerator) items = NULL;
  g_autoptr(AgenGenerator) items2 = NULL;
  SinkResult r = { 0, };
  guint changes = 0;

  g_test_summary ("fill_list_store appends objects as they arrive, a batch "
                  "per items-changed; an object of the wrong type fails it");

  for (guint i = 0; i < 300; i++)
    {
      g_autofree char *name = g_strdup_printf ("a%u", i);
      g_autoptr(GSimpleAction) action = g_simple_action_new (name, NULL);

      g_list_store_append (from, action);
    }

  g_signal_connect (to, "items-changed", G_CALLBACK (count_changes_cb), &changes);
  items = agen_list_model_items (G_LIST_MODEL (from));
  agen_generator_fill_list_store_async (items, to, NULL, fill_cb, &r);
  agen_test_spin_until (&r.done, 5000);
  g_assert_no_error (r.error);
  g_assert_true (r.ok);
  g_assert_cmpuint (r.count, ==, 300);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (to)), ==, 300);
  /* The source yields without waiting: batches of 256, then the rest. */
  g_assert_cmpuint (changes, ==, 2);
  {
    g_autoptr(GAction) last = g_list_model_get_item (G_LIST_MODEL (to), 299);
    g_assert_cmpstr (g_action_get_name (last), ==, "a299");
  }
  sink_result_clear (&r);

  items2 = agen_list_model_items (G_LIST_MODEL (from));
  agen_generator_fill_list_store_async (items2, wrong, NULL, fill_cb, &r);
  agen_test_spin_until (&r.done, 5000);
  g_assert_error (r.error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (wrong)), ==, 0);
  g_assert_cmpint (agen_generator_get_state (items2), ==, AGEN_GENERATOR_STATE_CLOSED);
  sink_result_clear (&r);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Agen/Ops/map", test_map);
  g_test_add_func ("/Agen/Ops/map-async", test_map_async);
  g_test_add_func ("/Agen/Ops/map-error", test_map_error);
  g_test_add_func ("/Agen/Ops/map-source-error", test_map_source_error);
  g_test_add_func ("/Agen/Ops/map-close", test_map_close);
  g_test_add_func ("/Agen/Ops/map-throw", test_map_send_throw);
  g_test_add_func ("/Agen/Ops/map-dropped", test_map_dropped);
  g_test_add_func ("/Agen/Ops/map-in-fiber", test_map_in_fiber);
  g_test_add_func ("/Agen/Ops/filter", test_filter);
  g_test_add_func ("/Agen/Ops/filter-error-close", test_filter_error_close);
  g_test_add_func ("/Agen/Ops/take", test_take);
  g_test_add_func ("/Agen/Ops/take-short-source", test_take_short_source);
  g_test_add_func ("/Agen/Ops/take-close-error", test_take_close_error);
  g_test_add_func ("/Agen/Ops/skip", test_skip);
  g_test_add_func ("/Agen/Ops/enumerate", test_enumerate);
  g_test_add_func ("/Agen/Ops/pipeline-try-next", test_pipeline_try_next);
  g_test_add_func ("/Agen/Ops/chain", test_chain);
  g_test_add_func ("/Agen/Ops/chain-close-error", test_chain_close_error);
  g_test_add_func ("/Agen/Ops/zip", test_zip);
  g_test_add_func ("/Agen/Ops/zip-close-error", test_zip_close_error);
  g_test_add_func ("/Agen/Ops/merge-concurrent", test_merge_concurrent);
  g_test_add_func ("/Agen/Ops/merge-speeds", test_merge_speeds);
  g_test_add_func ("/Agen/Ops/merge-error", test_merge_error);
  g_test_add_func ("/Agen/Ops/merge-close", test_merge_close);
  g_test_add_func ("/Agen/Ops/merge-cancel", test_merge_cancel);
  g_test_add_func ("/Agen/Ops/merge-error-then-close", test_merge_error_then_close);
  g_test_add_func ("/Agen/Ops/merge-destroyed-pulling", test_merge_destroyed_pulling);
  g_test_add_func ("/Agen/Ops/no-sources", test_no_sources);
  g_test_add_func ("/Agen/Ops/batch", test_batch);
  g_test_add_func ("/Agen/Ops/batch-timeout", test_batch_timeout);
  g_test_add_func ("/Agen/Ops/batch-error-close", test_batch_error_close);
  g_test_add_func ("/Agen/Sinks/collect", test_collect);
  g_test_add_func ("/Agen/Sinks/collect-cancel", test_collect_cancel);
  g_test_add_func ("/Agen/Sinks/write-lines", test_write_lines);
  g_test_add_func ("/Agen/Sinks/write-flow-control", test_write_flow_control);
  g_test_add_func ("/Agen/Sinks/write-error", test_write_error);
  g_test_add_func ("/Agen/Sinks/pipeline-other-thread", test_pipeline_other_thread);
  g_test_add_func ("/Agen/Sinks/source-other-thread", test_source_other_thread);
  g_test_add_func ("/Agen/Sinks/fill-list-store", test_fill_list_store);
  g_test_add_func ("/Agen/Sinks/fill-cancel", test_fill_cancel);

  return g_test_run ();
}
