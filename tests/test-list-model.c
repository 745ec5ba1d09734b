/* test-list-model.c — AgenGeneratorListModel, a lazily loading GListModel
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "agen-test-util.h"

/* A body yielding up to n objects (each with its index as "index" data),
 * awaiting a gate before the items listed in gate_every (every that many
 * items, 0 for never); fails after fail_after items if that is not 0;
 * yields a string instead of the object at index bad_at (if not 0). */
typedef struct
{
  guint         n;
  guint         gate_every;
  guint         fail_after;
  guint         bad_at;
  AgenTestGate  gate;
  guint         produced;
  gboolean      cleaned_up;
} Source;

static gboolean
source_body (AgenGenerator *self,
             gpointer       data,
             GError       **error)
{
  Source *source = data;
  GError *local = NULL;

  for (guint i = 0; i < source->n; i++)
    {
      g_auto(GValue) v = G_VALUE_INIT;

      if (source->fail_after != 0 && i == source->fail_after)
        {
          source->cleaned_up = TRUE;
          g_set_error_literal (error, AGEN_TEST_ERROR, AGEN_TEST_ERROR_BOOM, "boom");
          return FALSE;
        }

      if (source->gate_every != 0 && i % source->gate_every == 0 &&
          !agen_test_gate_wait (&source->gate, self, &local))
        {
          source->cleaned_up = TRUE;
          g_propagate_error (error, local);
          return FALSE;
        }

      if (source->bad_at != 0 && i == source->bad_at)
        {
          agen_test_value_string (&v, "not an object");
        }
      else
        {
          GObject *object = g_object_new (G_TYPE_OBJECT, NULL);

          g_object_set_data (object, "index", GUINT_TO_POINTER (i));
          g_value_init (&v, G_TYPE_OBJECT);
          g_value_take_object (&v, object);
        }

      source->produced++;
      if (!agen_generator_yield (self, &v, NULL, &local))
        {
          source->cleaned_up = TRUE;
          g_propagate_error (error, local);
          return FALSE;
        }
    }

  source->cleaned_up = TRUE;
  return TRUE;
}

static void
count_changes_cb (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  gpointer    user_data)
{
  guint *changes = user_data;

  g_assert_cmpuint (removed, ==, 0);
  g_assert_cmpuint (position + added, ==, g_list_model_get_n_items (model));
  (*changes)++;
}

/* Iterates the default context until nothing is pending. */
static void
settle (void)
{
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

/* Drops the model and lets the close of its generator complete. */
static void
drop_model (AgenGeneratorListModel *model)
{
  g_object_unref (model);
  settle ();
}

static guint
item_index (GListModel *model,
            guint       position)
{
  g_autoptr(GObject) item = g_list_model_get_item (model, position);

  g_assert_nonnull (item);
  return GPOINTER_TO_UINT (g_object_get_data (item, "index"));
}

#define VISIBLE 20
#define BATCH 50

/* A simulated view over a generator of a million items: scrolling to row
 * k, asking for the visible rows at each step as a view does, loads at
 * most k plus what it shows plus two batches. */
static void
test_list_model_loads_what_the_view_needs (void)
{
  Source source = { .n = 1000000 };
  g_autoptr(AgenGenerator) gen = agen_generator_new (source_body, &source, NULL);
  AgenGeneratorListModel *model = agen_generator_list_model_new (gen, G_TYPE_OBJECT, BATCH);
  GListModel *list = G_LIST_MODEL (model);
  guint changes = 0;
  const guint targets[] = { 0, 10, 300, 5000 };

  g_signal_connect (model, "items-changed", G_CALLBACK (count_changes_cb), &changes);
  g_assert_cmpuint (g_list_model_get_n_items (list), ==, 0);
  g_assert_true (g_list_model_get_item_type (list) == G_TYPE_OBJECT);

  settle ();
  g_assert_cmpuint (g_list_model_get_n_items (list), ==, BATCH);
  g_assert_cmpuint (changes, ==, 1);

  for (guint t = 0; t < G_N_ELEMENTS (targets); t++)
    {
      guint k = targets[t];

      for (guint top = 0; top <= k; top += 5)
        {
          for (guint row = top; row < top + VISIBLE && row < g_list_model_get_n_items (list); row++)
            g_assert_cmpuint (item_index (list, row), ==, row);
          settle ();
        }

      g_assert_cmpuint (g_list_model_get_n_items (list), >=, k + VISIBLE);
      g_assert_cmpuint (g_list_model_get_n_items (list), <=, k + VISIBLE + 2 * BATCH);
      g_assert_cmpuint (source.produced, ==, g_list_model_get_n_items (list));
      /* One items-changed per batch. */
      g_assert_cmpuint (changes, ==, g_list_model_get_n_items (list) / BATCH);
    }

  g_assert_false (agen_generator_list_model_get_complete (model));
  g_assert_false (source.cleaned_up);

  /* Dropping the model closes the generator. */
  g_object_unref (model);
  settle ();
  g_assert_true (source.cleaned_up);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_CLOSED);
}

static void
test_list_model_to_the_end (void)
{
  Source source = { .n = 120 };
  g_autoptr(AgenGenerator) gen = agen_generator_new (source_body, &source, NULL);
  AgenGeneratorListModel *model = agen_generator_list_model_new (gen, G_TYPE_OBJECT, BATCH);
  GListModel *list = G_LIST_MODEL (model);

  settle ();
  while (agen_generator_list_model_load_more (model))
    settle ();

  g_assert_cmpuint (g_list_model_get_n_items (list), ==, 120);
  g_assert_true (agen_generator_list_model_get_complete (model));
  g_assert_null (agen_generator_list_model_get_error (model));
  g_assert_false (agen_generator_list_model_get_loading (model));
  g_assert_true (source.cleaned_up);
  g_assert_null (g_list_model_get_item (list, 120));
  g_assert_cmpuint (item_index (list, 119), ==, 119);

  drop_model (model);
}

static void
notify_count_cb (GObject    *object,
                 GParamSpec *pspec,
                 gpointer    user_data)
{
  guint *count = user_data;

  (*count)++;
}

/* A source that awaits before every batch: loading is TRUE meanwhile, and
 * closing cancels the batch in flight and closes the generator. */
static void
test_list_model_loading_and_close (void)
{
  Source source = { .n = 1000, .gate_every = 10 };
  g_autoptr(AgenGenerator) gen = agen_generator_new (source_body, &source, NULL);
  AgenGeneratorListModel *model = agen_generator_list_model_new (gen, G_TYPE_OBJECT, BATCH);
  GListModel *list = G_LIST_MODEL (model);
  guint loading_notifies = 0;

  g_signal_connect (model, "notify::loading", G_CALLBACK (notify_count_cb), &loading_notifies);
  settle ();
  g_assert_true (agen_generator_list_model_get_loading (model));
  g_assert_true (agen_test_gate_waiting (&source.gate));
  g_assert_cmpuint (loading_notifies, ==, 1);

  agen_test_gate_open (&source.gate);
  while (agen_generator_list_model_get_loading (model))
    g_main_context_iteration (NULL, TRUE);
  /* Delivered right after the step that waited: a batch of one. */
  g_assert_cmpuint (g_list_model_get_n_items (list), ==, 1);
  g_assert_cmpuint (loading_notifies, ==, 2);

  /* The next batch: nine values at once, then a step that waits, and the
   * batch with it. */
  g_assert_true (agen_generator_list_model_load_more (model));
  settle ();
  g_assert_true (agen_generator_list_model_get_loading (model));
  g_assert_true (agen_test_gate_waiting (&source.gate));

  /* Close cancels the batch; a gate does not look at the cancellable, so
   * open it, as a late answer would come. */
  agen_generator_list_model_close (model);
  g_assert_true (agen_generator_list_model_get_complete (model));
  agen_test_gate_open (&source.gate);
  while (agen_generator_list_model_get_loading (model))
    g_main_context_iteration (NULL, TRUE);
  settle ();

  /* The late batch was dropped, and the generator closed. */
  g_assert_cmpuint (g_list_model_get_n_items (list), ==, 1);
  g_assert_true (source.cleaned_up);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_CLOSED);
  g_assert_null (agen_generator_list_model_get_error (model));
  g_assert_false (agen_generator_list_model_load_more (model));

  drop_model (model);
}

static void
test_list_model_generator_fails (void)
{
  Source source = { .n = 1000, .fail_after = 70 };
  g_autoptr(AgenGenerator) gen = agen_generator_new (source_body, &source, NULL);
  AgenGeneratorListModel *model = agen_generator_list_model_new (gen, G_TYPE_OBJECT, BATCH);
  guint error_notifies = 0;

  g_signal_connect (model, "notify::error", G_CALLBACK (notify_count_cb), &error_notifies);
  settle ();
  while (agen_generator_list_model_load_more (model))
    settle ();

  /* Values are never lost: the 20 before the error came as a batch. */
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 70);
  g_assert_error (agen_generator_list_model_get_error (model), AGEN_TEST_ERROR, AGEN_TEST_ERROR_BOOM);
  g_assert_true (agen_generator_list_model_get_complete (model));
  g_assert_cmpuint (error_notifies, ==, 1);

  drop_model (model);
}

static void
test_list_model_wrong_type (void)
{
  Source source = { .n = 1000, .bad_at = 60 };
  g_autoptr(AgenGenerator) gen = agen_generator_new (source_body, &source, NULL);
  AgenGeneratorListModel *model = agen_generator_list_model_new (gen, G_TYPE_OBJECT, BATCH);
  const GError *error;

  agen_generator_set_name (gen, "strings");
  settle ();
  while (agen_generator_list_model_load_more (model))
    settle ();
  settle ();

  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 60);
  error = agen_generator_list_model_get_error (model);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, "strings"));
  g_assert_nonnull (strstr (error->message, "gchararray"));
  /* The generator was closed: its cleanup ran. */
  g_assert_true (source.cleaned_up);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_CLOSED);

  drop_model (model);
}

static void
test_list_model_item_type_subclass (void)
{
  Source source = { .n = 3 };
  g_autoptr(AgenGenerator) gen = agen_generator_new (source_body, &source, NULL);
  AgenGeneratorListModel *model =
    agen_generator_list_model_new (gen, G_TYPE_FILE_INFO, BATCH);

  /* Plain GObjects are not GFileInfos. */
  settle ();
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 0);
  g_assert_error (agen_generator_list_model_get_error (model), G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_assert_true (g_list_model_get_item_type (G_LIST_MODEL (model)) == G_TYPE_FILE_INFO);

  drop_model (model);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Agen/ListModel/loads-what-the-view-needs", test_list_model_loads_what_the_view_needs);
  g_test_add_func ("/Agen/ListModel/to-the-end", test_list_model_to_the_end);
  g_test_add_func ("/Agen/ListModel/loading-and-close", test_list_model_loading_and_close);
  g_test_add_func ("/Agen/ListModel/generator-fails", test_list_model_generator_fails);
  g_test_add_func ("/Agen/ListModel/wrong-type", test_list_model_wrong_type);
  g_test_add_func ("/Agen/ListModel/item-type", test_list_model_item_type_subclass);

  return g_test_run ();
}
