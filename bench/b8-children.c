/* b8-children.c — B8, the children of a big directory: agen_file_children()
 * consumed with next_async and next_many, against a hand-written
 * g_file_enumerator_next_files_async() loop with the same batch size
 *
 * Copyright 2026 The agen authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <string.h>

#include <agen.h>
#include <glib/gstdio.h>

#include "bench-util.h"

/*
 * A directory of N empty files, made once (under $TMPDIR, or --dir) and
 * listed by every run, so that after the warm-up the kernel's dentry and
 * inode caches serve every variant alike. A run lists the whole directory
 * under a GMainLoop, opening the enumerator included, and checks that it
 * saw N files.
 *
 * The baseline is what an application writes without agen:
 * g_file_enumerate_children_async(), then next_files_async() for batches of
 * 100 (the batch size agen_file_children() uses) until an empty batch, and
 * close_async().
 */

#define BATCH 100

static char *dir_path;
static char *attributes;

static void
make_directory (guint64 n)
{
  g_autoptr(GError) error = NULL;

  for (guint64 i = 0; i < n; i++)
    {
      g_autofree char *name = g_strdup_printf ("%s/file-%07" G_GUINT64_FORMAT, dir_path, i);

      g_file_set_contents (name, "", 0, &error);
      g_assert_no_error (error);
    }
}

static void
remove_directory (void)
{
  GDir *dir = g_dir_open (dir_path, 0, NULL);
  const char *name;

  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (dir_path, name, NULL);
      g_unlink (child);
    }
  g_dir_close (dir);
  g_rmdir (dir_path);
}

typedef struct
{
  GMainLoop       *loop;
  GFile           *dir;
  GFileEnumerator *enumerator;
  AgenGenerator   *gen;
  guint64          files;
  gboolean         failed;
} Run;

static gint64
finish_run (Run     *run,
            guint64  iterations,
            gint64   start)
{
  gint64 elapsed = bench_now_ns () - start;

  if (run->failed || run->files != iterations)
    {
      g_printerr ("listed %" G_GUINT64_FORMAT " files, expected %" G_GUINT64_FORMAT "\n",
                  run->files, iterations);
      return -1;
    }
  return elapsed;
}

/* gio: next_files_async ------------------------------------------------------ */

static void
closed_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  Run *run = user_data;

  g_file_enumerator_close_finish (run->enumerator, result, NULL);
  g_main_loop_quit (run->loop);
}

static void
next_files_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  Run *run = user_data;
  g_autoptr(GError) error = NULL;
  GList *infos;

  infos = g_file_enumerator_next_files_finish (run->enumerator, result, &error);
  if (infos == NULL)
    {
      run->failed = error != NULL;
      g_file_enumerator_close_async (run->enumerator, G_PRIORITY_DEFAULT, NULL,
                                     closed_cb, run);
      return;
    }

  for (GList *l = infos; l != NULL; l = l->next)
    if (g_file_info_get_name (l->data) != NULL)
      run->files++;
  g_list_free_full (infos, g_object_unref);
  g_file_enumerator_next_files_async (run->enumerator, BATCH, G_PRIORITY_DEFAULT, NULL,
                                      next_files_cb, run);
}

static void
enumerated_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  Run *run = user_data;
  g_autoptr(GError) error = NULL;

  run->enumerator = g_file_enumerate_children_finish (run->dir, result, &error);
  if (run->enumerator == NULL)
    {
      run->failed = TRUE;
      g_main_loop_quit (run->loop);
      return;
    }
  g_file_enumerator_next_files_async (run->enumerator, BATCH, G_PRIORITY_DEFAULT, NULL,
                                      next_files_cb, run);
}

static gint64
run_gio (guint64  iterations,
         gpointer user_data)
{
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(GFile) dir = g_file_new_for_path (dir_path);
  Run run = { loop, dir, NULL, NULL, 0, FALSE };
  gint64 start, elapsed;

  start = bench_now_ns ();
  g_file_enumerate_children_async (dir, attributes, G_FILE_QUERY_INFO_NONE,
                                   G_PRIORITY_DEFAULT, NULL, enumerated_cb, &run);
  g_main_loop_run (loop);
  elapsed = finish_run (&run, iterations, start);
  g_clear_object (&run.enumerator);

  return elapsed;
}

/* agen: next_async --------------------------------------------------------- */

static void
next_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  Run *run = user_data;
  g_auto(GValue) value = G_VALUE_INIT;
  g_autoptr(GError) error = NULL;

  if (!agen_generator_next_finish (run->gen, result, &value, &error))
    {
      run->failed = error != NULL;
      g_main_loop_quit (run->loop);
      return;
    }

  if (g_file_info_get_name (g_value_get_object (&value)) != NULL)
    run->files++;
  agen_generator_next_async (run->gen, NULL, next_cb, run);
}

static gint64
run_agen (guint64  iterations,
          gpointer user_data)
{
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(GFile) dir = g_file_new_for_path (dir_path);
  g_autoptr(AgenGenerator) gen = agen_file_children (dir, attributes, G_FILE_QUERY_INFO_NONE,
                                                     AGEN_CHILDREN_FLAGS_NONE);
  Run run = { loop, dir, NULL, gen, 0, FALSE };
  gint64 start;

  start = bench_now_ns ();
  agen_generator_next_async (gen, NULL, next_cb, &run);
  g_main_loop_run (loop);

  return finish_run (&run, iterations, start);
}

/* agen: next_many ---------------------------------------------------------- */

static void
next_many_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  Run *run = user_data;
  g_autoptr(GArray) values = NULL;
  g_autoptr(GError) error = NULL;

  if (!agen_generator_next_many_finish (run->gen, result, &values, &error))
    {
      run->failed = error != NULL;
      g_main_loop_quit (run->loop);
      return;
    }

  for (guint i = 0; i < values->len; i++)
    if (g_file_info_get_name (g_value_get_object (&g_array_index (values, GValue, i))) != NULL)
      run->files++;
  agen_generator_next_many_async (run->gen, BATCH, NULL, next_many_cb, run);
}

static gint64
run_agen_many (guint64  iterations,
               gpointer user_data)
{
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(GFile) dir = g_file_new_for_path (dir_path);
  g_autoptr(AgenGenerator) gen = agen_file_children (dir, attributes, G_FILE_QUERY_INFO_NONE,
                                                     AGEN_CHILDREN_FLAGS_NONE);
  Run run = { loop, dir, NULL, gen, 0, FALSE };
  gint64 start;

  start = bench_now_ns ();
  agen_generator_next_many_async (gen, BATCH, NULL, next_many_cb, &run);
  g_main_loop_run (loop);

  return finish_run (&run, iterations, start);
}

int
main (int    argc,
      char **argv)
{
  BenchOptions options;
  g_autofree char *base = NULL;
  const GOptionEntry entries[] = {
    { "dir", 'd', 0, G_OPTION_ARG_FILENAME, &base,
      "Make the directory under DIR (default: $TMPDIR)", "DIR" },
    { "attributes", 'a', 0, G_OPTION_ARG_STRING, &attributes,
      "The attributes to query (default standard::name,standard::type,standard::size,time::modified)",
      "LIST" },
    { NULL }
  };
  const BenchVariant variants[] = {
    { "gio", "hand-written next_files_async loop, batches of 100", run_gio, NULL },
    { "agen", "agen_file_children, a next_async callback per file", run_agen, NULL },
    { "agen-many", "agen_file_children, next_many_async of up to 100 files",
      run_agen_many, NULL },
  };
  g_autoptr(GError) error = NULL;
  g_autofree char *title = NULL;
  g_autofree char *template = NULL;
  int status;

  bench_parse_options (&options,
                       "B8: the children of a directory of N files through "
                       "agen_file_children() against a next_files_async loop "
                       "(--iterations: files).",
                       entries, 10000, 100000, &argc, &argv);
  if (attributes == NULL)
    attributes = g_strdup ("standard::name,standard::type,standard::size,time::modified");

  template = g_build_filename (base != NULL ? base : g_get_tmp_dir (), "agen-b8-XXXXXX", NULL);
  dir_path = g_mkdtemp (template) ? g_strdup (template) : NULL;
  if (dir_path == NULL)
    {
      g_printerr ("cannot make a directory from %s\n", template);
      return 1;
    }
  make_directory (options.iterations);

  title = g_strdup_printf ("B8: children of a directory of %" G_GUINT64_FORMAT " files (%s)",
                           options.iterations, attributes);
  status = bench_run_variants (title, variants, G_N_ELEMENTS (variants), 0, &options);

  remove_directory ();
  g_free (dir_path);
  g_free (attributes);

  return status;
}
