/* agen-gtk-demo.c — a GtkListView that fills from a directory walk while
 * the window stays responsive
 *
 * Copyright 2026 The agen authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Usage: agen-gtk-demo [--suffix=.EXT] [DIRECTORY]
 *        agen-gtk-demo --print [--suffix=.EXT] DIRECTORY
 *        agen-gtk-demo --self-test --screenshot=FILE.png [--suffix=.EXT] DIRECTORY
 *
 * The pipeline, three generators:
 *
 *   agen_file_children (RECURSIVE)   every file and directory of the tree,
 *                                    read in batches underneath
 *   agen_generator_filter            regular files (with the suffix, if any)
 *   agen_generator_map               each GFileInfo to a GtkStringObject
 *                                    holding the path relative to DIRECTORY
 *
 * and agen_generator_fill_list_store_async() appends the rows to the
 * GListStore behind the view as they arrive. The filter and map functions
 * run on the thread's own stack; the main loop runs between batches, so
 * the "Click me" button answers and the Stop button cancels the walk.
 *
 * --print walks without a window and prints the rows, one per line (the
 * Python and JavaScript versions in examples/ print the same).
 *
 * --self-test drives the window as a test would: it clicks "Click me"
 * every 5 ms during the walk, presses Stop once rows have appeared and
 * three clicks were answered, checks
 * that clicks were answered during the walk and that no rows come after
 * Stop, saves a screenshot, and exits with 0 when all held.
 */

#include <agen.h>
#include <gtk/gtk.h>

#include <locale.h>
#include <stdio.h>

typedef struct
{
  GFile         *root;
  char          *suffix;
  gboolean       self_test;
  char          *screenshot;

  GtkWindow     *window;
  GListStore    *store;
  GtkLabel      *progress;
  GtkSpinner    *spinner;
  GtkButton     *click_button;
  GtkButton     *stop_button;
  GCancellable  *cancellable;
  guint          clicks;
  gboolean       walking;

  /* --self-test */
  guint          clicks_during_walk;
  guint          rows_at_stop;
  guint          rows_at_end;
  gint64         last_tick;
  gint64         longest_stall;
  int            status;
} Demo;

/* The filter: regular files, with the suffix if one was given. */
static gboolean
keep_file (GValue   *item,
           gpointer  user_data,
           GError  **error)
{
  Demo *demo = user_data;
  GFileInfo *info = g_value_get_object (item);

  if (g_file_info_get_file_type (info) != G_FILE_TYPE_REGULAR)
    return FALSE;

  return demo->suffix == NULL || g_str_has_suffix (g_file_info_get_name (info), demo->suffix);
}

/* The map: a GFileInfo to the row, its path relative to the root. */
static gboolean
to_row (GValue   *item,
        GValue   *result,
        gpointer  user_data,
        GError  **error)
{
  Demo *demo = user_data;
  GFileInfo *info = g_value_get_object (item);
  GFile *parent = G_FILE (g_file_info_get_attribute_object (info, AGEN_FILE_ATTRIBUTE_PARENT));
  g_autoptr(GFile) file = g_file_get_child (parent, g_file_info_get_name (info));
  g_autofree char *path = g_file_get_relative_path (demo->root, file);

  g_value_init (result, GTK_TYPE_STRING_OBJECT);
  g_value_take_object (result, gtk_string_object_new (path));
  return TRUE;
}

static AgenGenerator *
rows_new (Demo *demo)
{
  g_autoptr(AgenGenerator) children = NULL;
  g_autoptr(AgenGenerator) files = NULL;

  children = agen_file_children (demo->root, G_FILE_ATTRIBUTE_STANDARD_NAME ","
                                 G_FILE_ATTRIBUTE_STANDARD_TYPE,
                                 G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS,
                                 AGEN_CHILDREN_FLAGS_RECURSIVE |
                                 AGEN_CHILDREN_FLAGS_REPORT_ERRORS);
  files = agen_generator_filter (children, keep_file, demo, NULL);
  return agen_generator_map (files, to_row, demo, NULL);
}

/* --print ------------------------------------------------------------------ */

static int
print_rows (Demo *demo)
{
  g_autoptr(AgenGenerator) rows = rows_new (demo);
  g_autoptr(GError) error = NULL;

  for (;;)
    {
      g_auto(GValue) row = G_VALUE_INIT;

      if (!agen_generator_next (rows, NULL, &row, &error))
        break;
      printf ("%s\n", gtk_string_object_get_string (g_value_get_object (&row)));
    }

  if (error != NULL)
    {
      g_printerr ("agen-gtk-demo: %s\n", error->message);
      return 1;
    }
  return 0;
}

/* The window -------------------------------------------------------------- */

static void
update_progress (Demo *demo)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (demo->store));
  g_autofree char *text = NULL;

  text = g_strdup_printf (demo->walking ? "%u files so far…" : "%u files.", n);
  gtk_label_set_text (demo->progress, text);
}

static void
store_changed_cb (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  gpointer    user_data)
{
  update_progress (user_data);
}

static void
setup_row_cb (GtkSignalListItemFactory *factory,
              GtkListItem              *item,
              gpointer                  user_data)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_list_item_set_child (item, label);
}

static void
bind_row_cb (GtkSignalListItemFactory *factory,
             GtkListItem              *item,
             gpointer                  user_data)
{
  GtkStringObject *row = gtk_list_item_get_item (item);

  gtk_label_set_text (GTK_LABEL (gtk_list_item_get_child (item)),
                      gtk_string_object_get_string (row));
}

static void
click_cb (GtkButton *button,
          gpointer   user_data)
{
  Demo *demo = user_data;
  g_autofree char *label = NULL;

  demo->clicks++;
  if (demo->walking)
    demo->clicks_during_walk++;
  label = g_strdup_printf ("Clicked %u times", demo->clicks);
  gtk_button_set_label (button, label);
}

static void
stop_cb (GtkButton *button,
         gpointer   user_data)
{
  Demo *demo = user_data;

  g_cancellable_cancel (demo->cancellable);
}

static void self_test_finish (Demo *demo);

static void
fill_done_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Demo *demo = user_data;
  g_autoptr(GError) error = NULL;

  demo->walking = FALSE;
  gtk_spinner_stop (demo->spinner);
  gtk_widget_set_sensitive (GTK_WIDGET (demo->stop_button), FALSE);

  if (!agen_generator_fill_list_store_finish (AGEN_GENERATOR (source), result, NULL, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_printerr ("agen-gtk-demo: %s\n", error->message);

  demo->rows_at_end = g_list_model_get_n_items (G_LIST_MODEL (demo->store));
  update_progress (demo);
  if (error != NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_autofree char *text = g_strdup_printf ("Stopped at %u files.", demo->rows_at_end);

      gtk_label_set_text (demo->progress, text);
    }

  if (demo->self_test)
    self_test_finish (demo);
}

static void
start_walk (Demo *demo)
{
  g_autoptr(AgenGenerator) rows = rows_new (demo);

  demo->walking = TRUE;
  demo->cancellable = g_cancellable_new ();
  gtk_spinner_start (demo->spinner);
  agen_generator_fill_list_store_async (rows, demo->store, demo->cancellable,
                                        fill_done_cb, demo);
}

static void
activate_cb (GtkApplication *app,
             gpointer        user_data)
{
  Demo *demo = user_data;
  g_autoptr(GtkListItemFactory) factory = gtk_signal_list_item_factory_new ();
  GtkWidget *box, *bar, *scrolled, *view, *stop;
  g_autofree char *title = NULL;
  g_autofree char *root = g_file_get_parse_name (demo->root);

  demo->window = GTK_WINDOW (gtk_application_window_new (app));
  title = g_strdup_printf ("Files under %s", root);
  gtk_window_set_title (demo->window, title);
  gtk_window_set_default_size (demo->window, 480, 400);

  box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  bar = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  demo->spinner = GTK_SPINNER (gtk_spinner_new ());
  demo->progress = GTK_LABEL (gtk_label_new (""));
  demo->click_button = GTK_BUTTON (gtk_button_new_with_label ("Click me"));
  stop = gtk_button_new_with_label ("Stop");
  demo->stop_button = GTK_BUTTON (stop);
  gtk_widget_set_hexpand (GTK_WIDGET (demo->progress), TRUE);
  gtk_label_set_xalign (demo->progress, 0);
  gtk_box_append (GTK_BOX (bar), GTK_WIDGET (demo->spinner));
  gtk_box_append (GTK_BOX (bar), GTK_WIDGET (demo->progress));
  gtk_box_append (GTK_BOX (bar), GTK_WIDGET (demo->click_button));
  gtk_box_append (GTK_BOX (bar), stop);

  g_signal_connect (factory, "setup", G_CALLBACK (setup_row_cb), NULL);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_row_cb), NULL);
  view = gtk_list_view_new (GTK_SELECTION_MODEL (gtk_no_selection_new (
                              G_LIST_MODEL (g_object_ref (demo->store)))),
                            g_object_ref (factory));
  scrolled = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), view);
  gtk_widget_set_vexpand (scrolled, TRUE);

  gtk_box_append (GTK_BOX (box), bar);
  gtk_box_append (GTK_BOX (box), scrolled);
  gtk_window_set_child (demo->window, box);

  g_signal_connect (demo->click_button, "clicked", G_CALLBACK (click_cb), demo);
  g_signal_connect (stop, "clicked", G_CALLBACK (stop_cb), demo);
  g_signal_connect (demo->store, "items-changed", G_CALLBACK (store_changed_cb), demo);

  gtk_window_present (demo->window);
  start_walk (demo);
}

/* --self-test ------------------------------------------------------------- */

#define SELF_TEST_ROWS 200

static gboolean
self_test_tick_cb (gpointer user_data)
{
  Demo *demo = user_data;
  gint64 now = g_get_monotonic_time ();

  if (demo->last_tick != 0)
    demo->longest_stall = MAX (demo->longest_stall, now - demo->last_tick);
  demo->last_tick = now;

  if (!demo->walking)
    return G_SOURCE_REMOVE;

  /* A click, as the user would make one, answered by the main loop. */
  g_signal_emit_by_name (demo->click_button, "clicked");

  if (demo->rows_at_stop == 0 && demo->clicks_during_walk >= 3 &&
      g_list_model_get_n_items (G_LIST_MODEL (demo->store)) >= SELF_TEST_ROWS)
    {
      demo->rows_at_stop = g_list_model_get_n_items (G_LIST_MODEL (demo->store));
      g_signal_emit_by_name (demo->stop_button, "clicked");
    }

  return G_SOURCE_CONTINUE;
}

static gboolean
save_screenshot (Demo *demo)
{
  GtkWidget *widget = GTK_WIDGET (demo->window);
  g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new (widget);
  g_autoptr(GtkSnapshot) snapshot = gtk_snapshot_new ();
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);

  gdk_paintable_snapshot (paintable, snapshot, width, height);
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
  if (node == NULL)
    return FALSE;

  texture = gsk_renderer_render_texture (gtk_native_get_renderer (GTK_NATIVE (widget)),
                                         node, &GRAPHENE_RECT_INIT (0, 0, width, height));
  return gdk_texture_save_to_png (texture, demo->screenshot);
}

static gboolean
self_test_check_cb (gpointer user_data)
{
  Demo *demo = user_data;
  guint rows = g_list_model_get_n_items (G_LIST_MODEL (demo->store));
  gboolean ok = TRUE;

  printf ("rows at stop: %u, when the walk ended: %u, now: %u, clicks answered during the walk: %u, "
          "longest main-loop gap: %.1f ms\n",
          demo->rows_at_stop, demo->rows_at_end, rows, demo->clicks_during_walk,
          demo->longest_stall / 1000.0);

  if (demo->rows_at_stop < SELF_TEST_ROWS)
    {
      printf ("FAIL: the walk ended before %u rows appeared\n", SELF_TEST_ROWS);
      ok = FALSE;
    }
  /* What was already on its way when Stop was pressed may still land,
   * but nothing after the fill completed. */
  if (rows != demo->rows_at_end || rows < demo->rows_at_stop)
    {
      printf ("FAIL: rows changed after the walk stopped\n");
      ok = FALSE;
    }
  if (demo->clicks_during_walk < 3)
    {
      printf ("FAIL: clicks were not answered during the walk\n");
      ok = FALSE;
    }
  if (demo->screenshot != NULL && !save_screenshot (demo))
    {
      printf ("FAIL: could not save the screenshot %s\n", demo->screenshot);
      ok = FALSE;
    }

  demo->status = ok ? 0 : 1;
  gtk_window_destroy (demo->window);
  return G_SOURCE_REMOVE;
}

static void
self_test_finish (Demo *demo)
{
  /* Let the window draw the last rows, then check nothing else came. */
  g_timeout_add (300, self_test_check_cb, demo);
}

static void
self_test_start_cb (GtkApplication *app,
                    gpointer        user_data)
{
  Demo *demo = user_data;

  g_timeout_add (5, self_test_tick_cb, demo);
}

/* main -------------------------------------------------------------------- */

int
main (int   argc,
      char *argv[])
{
  Demo demo = { 0 };
  gboolean print = FALSE;
  g_autofree char *suffix = NULL;
  g_autofree char *screenshot = NULL;
  g_auto(GStrv) rest = NULL;
  g_autoptr(GOptionContext) options = NULL;
  g_autoptr(GError) error = NULL;
  GOptionEntry entries[] = {
    { "print", 0, 0, G_OPTION_ARG_NONE, &print, "Print the rows instead of showing them", NULL },
    { "suffix", 0, 0, G_OPTION_ARG_STRING, &suffix, "Only files whose name ends so", ".EXT" },
    { "self-test", 0, 0, G_OPTION_ARG_NONE, &demo.self_test, "Drive the window and check it", NULL },
    { "screenshot", 0, 0, G_OPTION_ARG_FILENAME, &screenshot, "With --self-test: save the window", "FILE.png" },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &rest, NULL, "[DIRECTORY]" },
    { NULL }
  };
  g_autoptr(GtkApplication) app = NULL;

  setlocale (LC_ALL, "");
  options = g_option_context_new (NULL);
  g_option_context_add_main_entries (options, entries, NULL);
  if (!g_option_context_parse (options, &argc, &argv, &error))
    {
      g_printerr ("agen-gtk-demo: %s\n", error->message);
      return 2;
    }

  demo.root = g_file_new_for_commandline_arg (rest != NULL && rest[0] != NULL ? rest[0] : ".");
  demo.suffix = suffix;
  demo.screenshot = screenshot;

  if (print)
    {
      int status = print_rows (&demo);

      g_object_unref (demo.root);
      return status;
    }

  demo.store = g_list_store_new (GTK_TYPE_STRING_OBJECT);
  app = gtk_application_new ("org.agen.GtkDemo", G_APPLICATION_NON_UNIQUE);
  g_signal_connect (app, "activate", G_CALLBACK (activate_cb), &demo);
  if (demo.self_test)
    g_signal_connect_after (app, "activate", G_CALLBACK (self_test_start_cb), &demo);

  g_application_run (G_APPLICATION (app), 1, argv);

  g_clear_object (&demo.cancellable);
  g_clear_object (&demo.store);
  g_object_unref (demo.root);
  return demo.status;
}
