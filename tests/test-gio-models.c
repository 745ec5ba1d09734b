/* test-gio-models.c — the items of a GListModel and the emissions of a
 * signal (agen/agen-gio-list-model.c, agen/agen-gio-signal.c)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include "agen-test-util.h"

/* A list store of GApplication objects, each named by its number; any
 * GObject with a string property would do. */
static GObject *
numbered_new (guint n)
{
  g_autofree char *id = g_strdup_printf ("org.agen.N%u", n);

  return g_object_new (G_TYPE_APPLICATION, "application-id", id, NULL);
}

static guint
numbered_get (GObject *object)
{
  const char *id = g_application_get_application_id (G_APPLICATION (object));

  return (guint) g_ascii_strtoull (id + strlen ("org.agen.N"), NULL, 10);
}

static GListStore *
store_new (guint n)
{
  GListStore *store = g_list_store_new (G_TYPE_APPLICATION);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GObject) object = numbered_new (i);
      g_list_store_append (store, object);
    }

  return store;
}

/* Steps gen once with next_async; returns the item's number, or -1 at the
 * end. */
static int
next_number (AgenGenerator *gen)
{
  AgenTestResult r = AGEN_TEST_RESULT_INIT;
  int n = -1;

  agen_test_next (gen, NULL, &r);
  g_assert_no_error (r.error);
  if (r.ok)
    {
      g_assert_true (G_VALUE_HOLDS (&r.value, G_TYPE_APPLICATION));
      n = numbered_get (g_value_get_object (&r.value));
    }
  agen_test_result_clear (&r);

  return n;
}

static void
test_list_model_items (void)
{
  g_autoptr(GListStore) store = store_new (5);
  g_autoptr(AgenGenerator) gen = agen_list_model_items (G_LIST_MODEL (store));

  for (int i = 0; i < 5; i++)
    g_assert_cmpint (next_number (gen), ==, i);
  g_assert_cmpint (next_number (gen), ==, -1);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_CLOSED);
}

static void
test_list_model_changes (void)
{
  g_autoptr(GListStore) store = store_new (10);
  g_autoptr(AgenGenerator) gen = agen_list_model_items (G_LIST_MODEL (store));
  g_autoptr(GObject) n100 = numbered_new (100);
  g_autoptr(GObject) n101 = numbered_new (101);
  g_autoptr(GObject) n102 = numbered_new (102);
  g_autoptr(GObject) n103 = numbered_new (103);
  g_autoptr(GObject) n104 = numbered_new (104);
  gpointer replacement[] = { n103, n104 };

  g_test_summary ("The items-changed rule: what is inserted after the "
                  "cursor is yielded, before it is not; removed items are "
                  "not; items present throughout are yielded once");

  g_assert_cmpint (next_number (gen), ==, 0);
  g_assert_cmpint (next_number (gen), ==, 1);
  g_assert_cmpint (next_number (gen), ==, 2);          /* cursor before 3 */

  g_list_store_remove (store, 0);                      /* before: 1 2 | 3 ... */
  g_assert_cmpint (next_number (gen), ==, 3);
  g_list_store_insert (store, 0, n100);                /* before: not yielded */
  g_assert_cmpint (next_number (gen), ==, 4);
  /* At the cursor (between 4 and 5): yielded next. */
  g_list_store_insert (store, 5, n101);
  g_assert_cmpint (next_number (gen), ==, 101);
  g_assert_cmpint (next_number (gen), ==, 5);
  /* Removed after the cursor (item 6, the next one): not yielded. */
  g_list_store_remove (store, 7);
  /* A range straddling the cursor (5 | 7) replaced by 103, 104: the cursor
   * goes to the start of the range, the new items are yielded. */
  g_list_store_splice (store, 6, 2, replacement, 2);
  g_assert_cmpint (next_number (gen), ==, 103);
  g_assert_cmpint (next_number (gen), ==, 104);
  g_assert_cmpint (next_number (gen), ==, 8);
  g_list_store_append (store, n102);                   /* after: yielded */
  g_assert_cmpint (next_number (gen), ==, 9);
  g_assert_cmpint (next_number (gen), ==, 102);
  g_assert_cmpint (next_number (gen), ==, -1);
}

static void
test_list_model_close (void)
{
  GListStore *store = store_new (3);
  AgenGenerator *gen = agen_list_model_items (G_LIST_MODEL (store));
  AgenTestResult r = AGEN_TEST_RESULT_INIT;

  g_test_summary ("Closing early lets go of the model and its signal");

  g_assert_cmpint (next_number (gen), ==, 0);
  agen_test_close (gen, NULL, &r);
  g_assert_true (r.ok);
  g_assert_false (g_signal_has_handler_pending (store,
                                                g_signal_lookup ("items-changed", G_TYPE_LIST_STORE),
                                                0, FALSE));
  agen_test_assert_finalized (gen, 5000);
  agen_test_assert_finalized (store, 5000);
  agen_test_result_clear (&r);
}

/* Signals ------------------------------------------------------------------ */

#define TEST_TYPE_EMITTER (test_emitter_get_type ())
G_DECLARE_FINAL_TYPE (TestEmitter, test_emitter, TEST, EMITTER, GObject)

struct _TestEmitter
{
  GObject parent_instance;
};

G_DEFINE_FINAL_TYPE (TestEmitter, test_emitter, G_TYPE_OBJECT)

enum { SIGNAL_PING, SIGNAL_COUNT, SIGNAL_PAIR, N_SIGNALS };
static guint signals[N_SIGNALS];

static void
test_emitter_class_init (TestEmitterClass *klass)
{
  signals[SIGNAL_PING] = g_signal_new ("ping", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                       0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_COUNT] = g_signal_new ("count", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                        0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_INT);
  signals[SIGNAL_PAIR] = g_signal_new ("pair", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                       0, NULL, NULL, NULL, G_TYPE_NONE, 2,
                                       G_TYPE_INT, G_TYPE_STRING);
}

static void
test_emitter_init (TestEmitter *self)
{
}

static void
emit_count (TestEmitter *emitter,
            int          n)
{
  g_signal_emit (emitter, signals[SIGNAL_COUNT], 0, n);
}

static int
next_int (AgenGenerator *gen)
{
  AgenTestResult r = AGEN_TEST_RESULT_INIT;
  int n;

  agen_test_next (gen, NULL, &r);
  g_assert_no_error (r.error);
  g_assert_true (r.ok);
  g_assert_true (G_VALUE_HOLDS_INT (&r.value));
  n = g_value_get_int (&r.value);
  agen_test_result_clear (&r);

  return n;
}

static void
test_signal_values (void)
{
  g_autoptr(TestEmitter) emitter = g_object_new (TEST_TYPE_EMITTER, NULL);
  g_autoptr(AgenGenerator) ping = agen_signal_emissions (G_OBJECT (emitter), "ping", 4, AGEN_OVERFLOW_ERROR);
  g_autoptr(AgenGenerator) pair = agen_signal_emissions (G_OBJECT (emitter), "pair", 4, AGEN_OVERFLOW_ERROR);
  AgenTestResult r = AGEN_TEST_RESULT_INIT;
  GValueArray *array;

  g_test_summary ("No argument yields None, several a GValueArray");

  g_signal_emit (emitter, signals[SIGNAL_PING], 0);
  g_signal_emit (emitter, signals[SIGNAL_PAIR], 0, 7, "seven");

  agen_test_next (ping, NULL, &r);
  g_assert_true (r.ok);
  agen_test_assert_none (&r.value);

  agen_test_next (pair, NULL, &r);
  g_assert_true (r.ok);
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  g_assert_true (G_VALUE_HOLDS (&r.value, g_value_array_get_type ()));
  array = g_value_get_boxed (&r.value);
  g_assert_cmpuint (array->n_values, ==, 2);
  agen_test_assert_int (g_value_array_get_nth (array, 0), 7);
  agen_test_assert_string (g_value_array_get_nth (array, 1), "seven");
  G_GNUC_END_IGNORE_DEPRECATIONS
  agen_test_result_clear (&r);
}

static gboolean
emit_later_cb (gpointer data)
{
  emit_count (data, 42);
  return G_SOURCE_REMOVE;
}

static void
test_signal_waiting (void)
{
  g_autoptr(TestEmitter) emitter = g_object_new (TEST_TYPE_EMITTER, NULL);
  g_autoptr(AgenGenerator) gen = agen_signal_emissions (G_OBJECT (emitter), "count", 2, AGEN_OVERFLOW_ERROR);

  g_test_summary ("Buffered emissions come first, in order; a step that "
                  "waits is completed by the next emission");

  emit_count (emitter, 1);
  emit_count (emitter, 2);
  g_assert_cmpint (next_int (gen), ==, 1);
  g_assert_cmpint (next_int (gen), ==, 2);
  g_idle_add (emit_later_cb, emitter);
  g_assert_cmpint (next_int (gen), ==, 42);
}

static void
test_signal_overflow (void)
{
  g_autoptr(TestEmitter) emitter = g_object_new (TEST_TYPE_EMITTER, NULL);
  g_autoptr(AgenGenerator) oldest = agen_signal_emissions (G_OBJECT (emitter), "count", 3, AGEN_OVERFLOW_DROP_OLDEST);
  g_autoptr(AgenGenerator) newest = agen_signal_emissions (G_OBJECT (emitter), "count", 3, AGEN_OVERFLOW_DROP_NEWEST);
  g_autoptr(AgenGenerator) fail = agen_signal_emissions (G_OBJECT (emitter), "count", 3, AGEN_OVERFLOW_ERROR);
  AgenTestResult r = AGEN_TEST_RESULT_INIT;

  g_test_summary ("A full buffer: DROP_OLDEST keeps the latest emissions, "
                  "DROP_NEWEST the earliest, ERROR fails after the kept ones");

  for (int i = 1; i <= 5; i++)
    emit_count (emitter, i);

  g_assert_cmpint (next_int (oldest), ==, 3);
  g_assert_cmpint (next_int (oldest), ==, 4);
  g_assert_cmpint (next_int (oldest), ==, 5);

  g_assert_cmpint (next_int (newest), ==, 1);
  g_assert_cmpint (next_int (newest), ==, 2);
  g_assert_cmpint (next_int (newest), ==, 3);

  g_assert_cmpint (next_int (fail), ==, 1);
  g_assert_cmpint (next_int (fail), ==, 2);
  g_assert_cmpint (next_int (fail), ==, 3);
  agen_test_next (fail, NULL, &r);
  agen_test_assert_failed (&r, G_IO_ERROR, G_IO_ERROR_NO_SPACE);
  agen_test_next (fail, NULL, &r);
  agen_test_assert_finished (&r);
  agen_test_result_clear (&r);
}

static void
test_signal_instance_gone (void)
{
  TestEmitter *emitter = g_object_new (TEST_TYPE_EMITTER, NULL);
  g_autoptr(AgenGenerator) gen = agen_signal_emissions (G_OBJECT (emitter), "count", 4, AGEN_OVERFLOW_ERROR);
  g_autoptr(AgenGenerator) waiting = agen_signal_emissions (G_OBJECT (emitter), "count", 4, AGEN_OVERFLOW_ERROR);
  AgenTestResult r = AGEN_TEST_RESULT_INIT;
  AgenTestResult w = AGEN_TEST_RESULT_INIT;

  g_test_summary ("The generator holds its instance weakly and finishes, "
                  "after the kept emissions, when it is finalized; a step "
                  "waiting then finishes too");

  emit_count (emitter, 9);
  g_assert_cmpint (next_int (waiting), ==, 9);
  agen_generator_next_async (waiting, NULL, agen_test_next_cb, &w);
  g_main_context_iteration (NULL, FALSE);
  g_assert_false (w.done);

  g_object_unref (emitter);
  g_assert_cmpint (next_int (gen), ==, 9);
  agen_test_next (gen, NULL, &r);
  agen_test_assert_finished (&r);
  agen_test_spin_until (&w.done, 5000);
  agen_test_assert_finished (&w);
  agen_test_result_clear (&r);
  agen_test_result_clear (&w);
}

static void
test_signal_cancel (void)
{
  g_autoptr(TestEmitter) emitter = g_object_new (TEST_TYPE_EMITTER, NULL);
  g_autoptr(AgenGenerator) gen = agen_signal_emissions (G_OBJECT (emitter), "count", 4, AGEN_OVERFLOW_ERROR);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  AgenTestResult r = AGEN_TEST_RESULT_INIT;

  g_test_summary ("A waiting step fails with CANCELLED when its cancellable "
                  "is; emissions afterwards reach nobody");

  agen_generator_next_async (gen, cancellable, agen_test_next_cb, &r);
  g_main_context_iteration (NULL, FALSE);
  g_assert_false (r.done);
  g_cancellable_cancel (cancellable);
  agen_test_spin_until (&r.done, 5000);
  agen_test_assert_failed (&r, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_false (g_signal_has_handler_pending (emitter, signals[SIGNAL_COUNT], 0, FALSE));
  emit_count (emitter, 1);
  agen_test_result_clear (&r);
}

static void
test_signal_close (void)
{
  g_autoptr(TestEmitter) emitter = g_object_new (TEST_TYPE_EMITTER, NULL);
  AgenGenerator *gen = agen_signal_emissions (G_OBJECT (emitter), "count", 4, AGEN_OVERFLOW_ERROR);
  AgenTestResult r = AGEN_TEST_RESULT_INIT;

  g_test_summary ("Closing disconnects; the buffered emissions are dropped");

  emit_count (emitter, 1);
  emit_count (emitter, 2);
  g_assert_cmpint (next_int (gen), ==, 1);
  agen_test_close (gen, NULL, &r);
  g_assert_true (r.ok);
  g_assert_false (g_signal_has_handler_pending (emitter, signals[SIGNAL_COUNT], 0, FALSE));
  agen_test_assert_finalized (gen, 5000);
  agen_test_result_clear (&r);
}

static void
test_signal_drop_unstarted (void)
{
  g_autoptr(TestEmitter) emitter = g_object_new (TEST_TYPE_EMITTER, NULL);
  AgenGenerator *gen = agen_signal_emissions (G_OBJECT (emitter), "count", 4, AGEN_OVERFLOW_ERROR);

  emit_count (emitter, 1);
  agen_test_assert_finalized (gen, 5000);
  g_assert_false (g_signal_has_handler_pending (emitter, signals[SIGNAL_COUNT], 0, FALSE));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Agen/Gio/ListModel/items", test_list_model_items);
  g_test_add_func ("/Agen/Gio/ListModel/items-changed", test_list_model_changes);
  g_test_add_func ("/Agen/Gio/ListModel/close", test_list_model_close);
  g_test_add_func ("/Agen/Gio/Signal/values", test_signal_values);
  g_test_add_func ("/Agen/Gio/Signal/waiting", test_signal_waiting);
  g_test_add_func ("/Agen/Gio/Signal/overflow", test_signal_overflow);
  g_test_add_func ("/Agen/Gio/Signal/instance-gone", test_signal_instance_gone);
  g_test_add_func ("/Agen/Gio/Signal/cancel", test_signal_cancel);
  g_test_add_func ("/Agen/Gio/Signal/close", test_signal_close);
  g_test_add_func ("/Agen/Gio/Signal/drop-unstarted", test_signal_drop_unstarted);

  return g_test_run ();
}
