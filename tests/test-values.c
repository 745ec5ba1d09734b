/* test-values.c — the C conveniences: typed yields and reads,
 * foreach_async, the blocking shutdown, the exit check
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <agen.h>

#include "agen-test-util.h"

/* Typed yields and reads ------------------------------------------------ */

static gboolean
every_type_body (AgenGenerator  *self,
                 gpointer        user_data,
                 GError        **error)
{
  g_autoptr(GCancellable) object = g_cancellable_new ();
  g_autoptr(GBytes) bytes = g_bytes_new_static ("abc", 3);
  static int pointee;

  return agen_generator_yield_int (self, -7, error) &&
         agen_generator_yield_uint (self, 7u, error) &&
         agen_generator_yield_int64 (self, G_GINT64_CONSTANT (1) << 40, error) &&
         agen_generator_yield_double (self, 2.5, error) &&
         agen_generator_yield_boolean (self, TRUE, error) &&
         agen_generator_yield_string (self, "text", error) &&
         agen_generator_take_string (self, g_strdup_printf ("taken %d", 1), error) &&
         agen_generator_yield_object (self, object, error) &&
         agen_generator_take_object (self, g_object_ref (object), error) &&
         agen_generator_yield_boxed (self, G_TYPE_BYTES, bytes, error) &&
         agen_generator_yield_pointer (self, &pointee, error) &&
         agen_generator_yield_string (self, NULL, error) &&
         agen_generator_yield_object (self, NULL, error);
}

static void
test_typed_round_trip (void)
{
  g_autoptr(AgenGenerator) gen = agen_generator_new (every_type_body, NULL, NULL);
  g_autoptr(GError) error = NULL;
  int i;
  guint u;
  gint64 i64;
  double d;
  gboolean b;
  char *s;
  gpointer p;

  g_test_summary ("each typed yield comes out of the typed read of its type");

  g_assert_true (agen_generator_next_int (gen, NULL, &i, &error));
  g_assert_cmpint (i, ==, -7);
  g_assert_true (agen_generator_next_uint (gen, NULL, &u, &error));
  g_assert_cmpuint (u, ==, 7);
  g_assert_true (agen_generator_next_int64 (gen, NULL, &i64, &error));
  g_assert_cmpint (i64, ==, G_GINT64_CONSTANT (1) << 40);
  g_assert_true (agen_generator_next_double (gen, NULL, &d, &error));
  g_assert_cmpfloat (d, ==, 2.5);
  g_assert_true (agen_generator_next_boolean (gen, NULL, &b, &error));
  g_assert_true (b);
  g_assert_true (agen_generator_next_string (gen, NULL, &s, &error));
  g_assert_cmpstr (s, ==, "text");
  g_free (s);
  g_assert_true (agen_generator_next_string (gen, NULL, &s, &error));
  g_assert_cmpstr (s, ==, "taken 1");
  g_free (s);
  g_assert_true (agen_generator_next_object (gen, NULL, &p, &error));
  g_assert_true (G_IS_CANCELLABLE (p));
  g_object_unref (p);
  g_assert_true (agen_generator_next_object (gen, NULL, &p, &error));
  g_assert_true (G_IS_CANCELLABLE (p));
  g_object_unref (p);
  g_assert_true (agen_generator_next_boxed (gen, G_TYPE_BYTES, NULL, &p, &error));
  g_assert_cmpuint (g_bytes_get_size (p), ==, 3);
  g_bytes_unref (p);
  g_assert_true (agen_generator_next_pointer (gen, NULL, &p, &error));
  g_assert_nonnull (p);
  g_assert_true (agen_generator_next_string (gen, NULL, &s, &error));
  g_assert_null (s);
  /* A NULL object is None, which an object read takes as NULL */
  g_assert_true (agen_generator_next_object (gen, NULL, &p, &error));
  g_assert_null (p);
  g_assert_no_error (error);

  g_assert_false (agen_generator_next_int (gen, NULL, &i, &error));
  g_assert_no_error (error);
  g_assert_cmpint (i, ==, 0);
}

static gboolean
mixed_body (AgenGenerator  *self,
            gpointer        user_data,
            GError        **error)
{
  return agen_generator_yield_int (self, 3, error) &&
         agen_generator_yield_string (self, "x", error) &&
         agen_generator_yield_int (self, 4, error);
}

static void
test_typed_mismatch (void)
{
  g_autoptr(AgenGenerator) gen = agen_generator_new_full (mixed_body, NULL, NULL, "mixed", 0);
  g_autoptr(GError) error = NULL;
  double d;
  int i;

  g_test_summary ("a number converts; any other type is G_IO_ERROR_INVALID_DATA "
                  "naming both types, and the generator goes on");

  g_assert_true (agen_generator_next_double (gen, NULL, &d, &error));
  g_assert_cmpfloat (d, ==, 3.0);
  g_assert_false (agen_generator_next_int (gen, NULL, &i, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_assert_cmpstr (error->message, ==,
                   "Generator “mixed” yielded a value of type gchararray where gint was expected");
  g_clear_error (&error);
  g_assert_true (agen_generator_next_int (gen, NULL, &i, &error));
  g_assert_cmpint (i, ==, 4);
}

static gboolean
typed_closed_body (AgenGenerator  *self,
                   gpointer        user_data,
                   GError        **error)
{
  gboolean *cleaned = user_data;

  for (int i = 0;; i++)
    if (!agen_generator_yield_int (self, i, error))
      {
        *cleaned = g_error_matches (*error, AGEN_ERROR, AGEN_ERROR_EXIT);
        return FALSE;
      }
}

static void
test_typed_yield_closed (void)
{
  gboolean cleaned = FALSE;
  g_autoptr(AgenGenerator) gen = agen_generator_new (typed_closed_body, &cleaned, NULL);
  g_autoptr(GError) error = NULL;
  int i;

  g_test_summary ("a typed yield fails with AGEN_ERROR_EXIT on close, as yield does");

  g_assert_true (agen_generator_next_int (gen, NULL, &i, &error));
  g_assert_true (agen_generator_close (gen, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (cleaned);
}

static void
test_typed_wrong_context (void)
{
  g_autoptr(AgenGenerator) gen = agen_generator_new_full (mixed_body, NULL, NULL, "mixed", 0);
  g_autoptr(GError) error = NULL;

  g_test_summary ("a typed yield outside the body is AGEN_ERROR_WRONG_CONTEXT");

  g_assert_false (agen_generator_yield_int (gen, 1, &error));
  g_assert_error (error, AGEN_ERROR, AGEN_ERROR_WRONG_CONTEXT);
  g_assert_cmpstr (error->message, ==,
                   "agen_generator_yield_int() may only be called from the body of generator “mixed”");
}

/* foreach_async ------------------------------------------------------------ */

typedef struct
{
  int       n;
  gboolean  cleaned;
  gboolean  fail;
} Counting;

static gboolean
counting_body (AgenGenerator  *self,
               gpointer        user_data,
               GError        **error)
{
  Counting *counting = user_data;

  for (int i = 0; i < counting->n; i++)
    {
      if (!agen_generator_yield_int (self, i, error))
        {
          counting->cleaned = TRUE;
          return FALSE;
        }
    }

  if (counting->fail)
    {
      g_set_error_literal (error, AGEN_TEST_ERROR, AGEN_TEST_ERROR_BOOM, "boom");
      return FALSE;
    }
  return TRUE;
}

typedef struct
{
  GArray   *seen;
  int       stop_at;        /* -1: never */
  gboolean  stop_with_error;
  gboolean  destroyed;
} Consumer;

static gboolean
collect_item (AgenGenerator  *generator,
              const GValue   *value,
              gpointer        user_data,
              GError        **error)
{
  Consumer *consumer = user_data;
  int v = g_value_get_int (value);

  g_array_append_val (consumer->seen, v);
  if (v == consumer->stop_at)
    {
      if (consumer->stop_with_error)
        g_set_error_literal (error, AGEN_TEST_ERROR, AGEN_TEST_ERROR_OTHER, "enough");
      return FALSE;
    }
  return TRUE;
}

static void
consumer_destroy (gpointer data)
{
  ((Consumer *) data)->destroyed = TRUE;
}

static void
foreach_cb (GObject      *source,
            GAsyncResult *res,
            gpointer      user_data)
{
  AgenTestResult *result = user_data;

  g_assert_false (result->done);
  result->ok = agen_generator_foreach_finish (AGEN_GENERATOR (source), res, &result->error);
  result->done = TRUE;
}

static gboolean
run_foreach (AgenGenerator  *gen,
             Consumer       *consumer,
             GError        **error)
{
  AgenTestResult r = AGEN_TEST_RESULT_INIT;
  gboolean ok;

  consumer->seen = g_array_new (FALSE, FALSE, sizeof (int));
  agen_generator_foreach_async (gen, collect_item, consumer, consumer_destroy, NULL,
                                foreach_cb, &r);
  g_assert_false (r.done);
  agen_test_spin_until (&r.done, 5000);
  ok = r.ok;
  if (r.error != NULL)
    g_propagate_error (error, g_steal_pointer (&r.error));
  agen_test_result_clear (&r);
  g_assert_true (consumer->destroyed);
  return ok;
}

static void
test_foreach_all (void)
{
  Counting counting = { 5, FALSE, FALSE };
  Consumer consumer = { NULL, -1, FALSE, FALSE };
  g_autoptr(AgenGenerator) gen = agen_generator_new (counting_body, &counting, NULL);
  g_autoptr(GError) error = NULL;

  g_test_summary ("foreach_async calls the function for every item in order "
                  "and completes once when the generator finishes");

  g_assert_true (run_foreach (gen, &consumer, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (consumer.seen->len, ==, 5);
  for (guint i = 0; i < 5; i++)
    g_assert_cmpint (g_array_index (consumer.seen, int, i), ==, i);
  g_array_unref (consumer.seen);
}

static void
test_foreach_stop (void)
{
  Counting counting = { 5, FALSE, FALSE };
  Consumer consumer = { NULL, 2, FALSE, FALSE };
  g_autoptr(AgenGenerator) gen = agen_generator_new (counting_body, &counting, NULL);
  g_autoptr(GError) error = NULL;

  g_test_summary ("a function that returns FALSE stops the foreach: the "
                  "generator is closed (its cleanup runs) and the foreach succeeds");

  g_assert_true (run_foreach (gen, &consumer, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (consumer.seen->len, ==, 3);
  g_assert_true (counting.cleaned);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_CLOSED);
  g_array_unref (consumer.seen);
}

static void
test_foreach_stop_error (void)
{
  Counting counting = { 5, FALSE, FALSE };
  Consumer consumer = { NULL, 1, TRUE, FALSE };
  g_autoptr(AgenGenerator) gen = agen_generator_new (counting_body, &counting, NULL);
  g_autoptr(GError) error = NULL;

  g_test_summary ("a function that fails stops the foreach with its error, "
                  "after closing the generator");

  g_assert_false (run_foreach (gen, &consumer, &error));
  g_assert_error (error, AGEN_TEST_ERROR, AGEN_TEST_ERROR_OTHER);
  g_assert_true (counting.cleaned);
  g_array_unref (consumer.seen);
}

static void
test_foreach_body_error (void)
{
  Counting counting = { 2, FALSE, TRUE };
  Consumer consumer = { NULL, -1, FALSE, FALSE };
  g_autoptr(AgenGenerator) gen = agen_generator_new (counting_body, &counting, NULL);
  g_autoptr(GError) error = NULL;

  g_test_summary ("the body's error is the foreach's, after every item before it");

  g_assert_false (run_foreach (gen, &consumer, &error));
  g_assert_error (error, AGEN_TEST_ERROR, AGEN_TEST_ERROR_BOOM);
  g_assert_cmpuint (consumer.seen->len, ==, 2);
  g_array_unref (consumer.seen);
}

/* The blocking shutdown --------------------------------------------------- */

/* A shutdown is for good: each test shuts down a context of its own,
 * pushed as the thread default. */
static void
in_own_context (gconstpointer data)
{
  void (*test) (void) = (void (*) (void)) data;
  GMainContext *context = g_main_context_new ();

  g_main_context_push_thread_default (context);
  test ();
  g_main_context_pop_thread_default (context);
  g_main_context_unref (context);
}

static void
test_shutdown_blocking (void)
{
  Counting counting = { 5, FALSE, FALSE };
  g_autoptr(AgenGenerator) gen = agen_generator_new (counting_body, &counting, NULL);
  g_autoptr(GError) error = NULL;
  int i;

  g_test_summary ("agen_shutdown_generators() closes a suspended generator and "
                  "returns once its cleanup has run, with no main loop");

  g_assert_true (agen_generator_next_int (gen, NULL, &i, &error));
  g_assert_true (agen_shutdown_generators (g_main_context_get_thread_default (), NULL, &error));
  g_assert_no_error (error);
  g_assert_true (counting.cleaned);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_CLOSED);
}

static void
test_shutdown_blocking_dropped (void)
{
  Counting counting = { 5, FALSE, FALSE };
  AgenGenerator *gen = agen_generator_new (counting_body, &counting, NULL);
  g_autoptr(GError) error = NULL;
  int i;

  g_test_summary ("agen_shutdown_generators() also waits for the close of a "
                  "generator dropped while suspended");

  g_assert_true (agen_generator_next_int (gen, NULL, &i, &error));
  g_object_unref (gen);
  g_assert_false (counting.cleaned);
  g_assert_true (agen_shutdown_generators (g_main_context_get_thread_default (), NULL, &error));
  g_assert_no_error (error);
  g_assert_true (counting.cleaned);
}

typedef struct
{
  GMainContext *context;
  GMainLoop    *loop;
  Counting     *counting;
  AgenGenerator *gen;
  gint          ready;
} Worker;

static gpointer
worker_thread (gpointer data)
{
  Worker *worker = data;
  int i;

  g_main_context_push_thread_default (worker->context);
  worker->gen = agen_generator_new (counting_body, worker->counting, NULL);
  g_assert_true (agen_generator_next_int (worker->gen, NULL, &i, NULL));
  g_atomic_int_set (&worker->ready, 1);
  g_main_loop_run (worker->loop);
  g_clear_object (&worker->gen);
  g_main_context_pop_thread_default (worker->context);
  return NULL;
}

static gboolean
quit_cb (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

static void
test_shutdown_blocking_other_thread (void)
{
  Counting counting = { 5, FALSE, FALSE };
  Worker worker = { 0, };
  g_autoptr(GError) error = NULL;
  GThread *thread;

  g_test_summary ("agen_shutdown_generators() on a context another thread "
                  "iterates starts there and waits for it");

  worker.context = g_main_context_new ();
  worker.loop = g_main_loop_new (worker.context, FALSE);
  worker.counting = &counting;
  thread = g_thread_new ("worker", worker_thread, &worker);
  agen_test_wait_atomic (&worker.ready, 1, 5000);

  g_assert_true (agen_shutdown_generators (worker.context, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (counting.cleaned);

  g_main_context_invoke (worker.context, quit_cb, worker.loop);
  g_thread_join (thread);
  g_main_loop_unref (worker.loop);
  g_main_context_unref (worker.context);
}

static gboolean
shutdown_in_body (AgenGenerator  *self,
                  gpointer        user_data,
                  GError        **error)
{
  g_assert_false (agen_shutdown_generators (NULL, NULL, error));
  return TRUE;
}

static void
test_shutdown_blocking_in_body (void)
{
  g_autoptr(AgenGenerator) gen = agen_generator_new (shutdown_in_body, NULL, NULL);
  g_autoptr(GError) error = NULL;

  g_test_summary ("agen_shutdown_generators() from a body is refused with a "
                  "critical that names the async form");

  if (!g_test_undefined ())
    return;

  g_test_expect_message ("Agen", G_LOG_LEVEL_CRITICAL,
                         "*may not be called from a generator's body*");
  g_assert_false (agen_generator_next (gen, NULL, NULL, &error));
  g_assert_no_error (error);
  g_test_assert_expected_messages ();
}

/* The exit check ------------------------------------------------------------ */

static void
test_exit_check (void)
{
  g_test_summary ("a program that exits with dropped generators whose cleanup "
                  "never ran is told so on stderr, and what to do");

  if (g_test_subprocess ())
    {
      static Counting counting = { 5, FALSE, FALSE };
      AgenGenerator *gen = agen_generator_new (counting_body, &counting, NULL);
      int i;

      g_assert_true (agen_generator_next_int (gen, NULL, &i, NULL));
      g_object_unref (gen);
      exit (0);   /* never iterating the context again */
    }

  g_test_trap_subprocess (NULL, 30 * G_USEC_PER_SEC, 0);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stderr ("*agen: 1 dropped generator(s) never ran their cleanup*"
                             "agen_shutdown_generators()*");
}

static void
test_exit_check_quiet (void)
{
  g_test_summary ("a program that shut its generators down exits quietly");

  if (g_test_subprocess ())
    {
      static Counting counting = { 5, FALSE, FALSE };
      AgenGenerator *gen = agen_generator_new (counting_body, &counting, NULL);
      int i;

      g_assert_true (agen_generator_next_int (gen, NULL, &i, NULL));
      g_object_unref (gen);
      agen_shutdown_generators (NULL, NULL, NULL);
      g_assert_true (counting.cleaned);
      exit (0);
    }

  g_test_trap_subprocess (NULL, 30 * G_USEC_PER_SEC, 0);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stderr_unmatched ("*agen:*");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Agen/Values/round-trip", test_typed_round_trip);
  g_test_add_func ("/Agen/Values/mismatch", test_typed_mismatch);
  g_test_add_func ("/Agen/Values/yield-closed", test_typed_yield_closed);
  g_test_add_func ("/Agen/Values/wrong-context", test_typed_wrong_context);
  g_test_add_func ("/Agen/Foreach/all", test_foreach_all);
  g_test_add_func ("/Agen/Foreach/stop", test_foreach_stop);
  g_test_add_func ("/Agen/Foreach/stop-error", test_foreach_stop_error);
  g_test_add_func ("/Agen/Foreach/body-error", test_foreach_body_error);
  g_test_add_data_func ("/Agen/Shutdown/blocking", (gconstpointer) test_shutdown_blocking, in_own_context);
  g_test_add_data_func ("/Agen/Shutdown/blocking-dropped", (gconstpointer) test_shutdown_blocking_dropped,
                        in_own_context);
  g_test_add_func ("/Agen/Shutdown/blocking-other-thread", test_shutdown_blocking_other_thread);
  g_test_add_func ("/Agen/Shutdown/blocking-in-body", test_shutdown_blocking_in_body);
  g_test_add_func ("/Agen/Shutdown/exit-check", test_exit_check);
  g_test_add_func ("/Agen/Shutdown/exit-check-quiet", test_exit_check_quiet);

  return g_test_run ();
}
