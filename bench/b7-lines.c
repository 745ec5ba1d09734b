/* b7-lines.c — B7, the lines of a file: agen_input_stream_lines() consumed
 * with next_async and with next_many, against a hand-written
 * g_data_input_stream_read_line_async() loop
 *
 * Copyright 2026 The agen authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <string.h>
#include <unistd.h>

#include <agen.h>
#include <glib/gstdio.h>

#include "bench-util.h"

/*
 * One file of N lines of 11 to 110 bytes (65 on average, so the default
 * 1,600,000 lines of --full make 100 MB), written once and read by every
 * run, so that after the warm-up it comes from the page cache in every
 * variant. Each run opens the file (not measured), reads every line under
 * a GMainLoop (measured), checks the number of lines and their total
 * length, and closes it.
 *
 * The baseline is what an application writes without agen: a
 * GDataInputStream (its buffer raised to 64 KiB, the size the agen adapter
 * reads) and a read_line_async callback that asks for the next line.
 */

#define BUFFER_SIZE (64 * 1024)
#define MANY 256

static char *path;
static guint64 total_length;   /* of all lines, without newlines */

static void
write_file (guint64 lines)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) contents = g_string_sized_new (lines * 66);
  int fd;

  fd = g_file_open_tmp ("agen-b7-XXXXXX", &path, &error);
  g_assert_no_error (error);
  close (fd);

  total_length = 0;
  for (guint64 i = 0; i < lines; i++)
    {
      gsize before = contents->len;

      g_string_append_printf (contents, "line %05" G_GUINT64_FORMAT " ", i % 100000);
      for (guint j = 0; j < (i * 7) % 100; j++)
        g_string_append_c (contents, 'a' + (j % 26));
      total_length += contents->len - before;
      g_string_append_c (contents, '\n');
    }

  g_file_set_contents (path, contents->str, contents->len, &error);
  g_assert_no_error (error);
}

typedef struct
{
  GMainLoop       *loop;
  GDataInputStream *data;
  AgenGenerator   *gen;
  guint64          lines;
  guint64          length;
  gboolean         failed;
} Run;

static GInputStream *
open_file (void)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GError) error = NULL;
  GFileInputStream *stream = g_file_read (file, NULL, &error);

  g_assert_no_error (error);
  return G_INPUT_STREAM (stream);
}

static gint64
finish_run (Run     *run,
            guint64  iterations,
            gint64   start)
{
  gint64 elapsed = bench_now_ns () - start;

  if (run->failed || run->lines != iterations || run->length != total_length)
    {
      g_printerr ("got %" G_GUINT64_FORMAT " lines of %" G_GUINT64_FORMAT
                  " bytes, expected %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT "\n",
                  run->lines, run->length, iterations, total_length);
      return -1;
    }
  return elapsed;
}

/* gio: read_line_async ------------------------------------------------------ */

static void
read_line_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  Run *run = user_data;
  g_autoptr(GError) error = NULL;
  gsize length;
  char *line;

  line = g_data_input_stream_read_line_finish (run->data, result, &length, &error);
  if (line == NULL)
    {
      run->failed = error != NULL;
      g_main_loop_quit (run->loop);
      return;
    }

  run->lines++;
  run->length += length;
  g_free (line);
  g_data_input_stream_read_line_async (run->data, G_PRIORITY_DEFAULT, NULL,
                                       read_line_cb, run);
}

static gint64
run_gio (guint64  iterations,
         gpointer user_data)
{
  g_autoptr(GInputStream) stream = open_file ();
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(GDataInputStream) data = g_data_input_stream_new (stream);
  Run run = { loop, data, NULL, 0, 0, FALSE };
  gint64 start;

  g_buffered_input_stream_set_buffer_size (G_BUFFERED_INPUT_STREAM (data), BUFFER_SIZE);

  start = bench_now_ns ();
  g_data_input_stream_read_line_async (data, G_PRIORITY_DEFAULT, NULL, read_line_cb, &run);
  g_main_loop_run (loop);

  return finish_run (&run, iterations, start);
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

  run->lines++;
  run->length += strlen (g_value_get_string (&value));
  agen_generator_next_async (run->gen, NULL, next_cb, run);
}

static gint64
run_agen (guint64  iterations,
          gpointer user_data)
{
  g_autoptr(GInputStream) stream = open_file ();
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(AgenGenerator) gen = agen_input_stream_lines (stream, AGEN_STREAM_FLAGS_NONE, 0);
  Run run = { loop, NULL, gen, 0, 0, FALSE };
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
    run->length += strlen (g_value_get_string (&g_array_index (values, GValue, i)));
  run->lines += values->len;
  agen_generator_next_many_async (run->gen, MANY, NULL, next_many_cb, run);
}

static gint64
run_agen_many (guint64  iterations,
               gpointer user_data)
{
  g_autoptr(GInputStream) stream = open_file ();
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(AgenGenerator) gen = agen_input_stream_lines (stream, AGEN_STREAM_FLAGS_NONE, 0);
  Run run = { loop, NULL, gen, 0, 0, FALSE };
  gint64 start;

  start = bench_now_ns ();
  agen_generator_next_many_async (gen, MANY, NULL, next_many_cb, &run);
  g_main_loop_run (loop);

  return finish_run (&run, iterations, start);
}

int
main (int    argc,
      char **argv)
{
  BenchOptions options;
  const BenchVariant variants[] = {
    { "gio", "hand-written g_data_input_stream_read_line_async loop, 64 KiB buffer",
      run_gio, NULL },
    { "agen", "agen_input_stream_lines, a next_async callback per line",
      run_agen, NULL },
    { "agen-many", "agen_input_stream_lines, next_many_async of up to 256 lines",
      run_agen_many, NULL },
  };
  g_autofree char *title = NULL;
  int status;

  bench_parse_options (&options,
                       "B7: the lines of a file through agen_input_stream_lines() "
                       "against a GDataInputStream read_line_async loop "
                       "(--iterations: lines, 65 bytes on average).",
                       NULL, 160000, 1600000, &argc, &argv);

  write_file (options.iterations);
  title = g_strdup_printf ("B7: lines of a %.1f MB file (%" G_GUINT64_FORMAT " lines)",
                           (total_length + options.iterations) / 1e6, options.iterations);
  status = bench_run_variants (title, variants, G_N_ELEMENTS (variants), 0, &options);

  g_unlink (path);
  g_free (path);

  return status;
}
