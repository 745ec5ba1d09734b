/* agen-head.c — the first lines of a file, read by a generator that
 * awaits each read; the consumer takes what it needs and closes it early,
 * and the generator's cleanup (which awaits too) runs.
 *
 * usage: agen-head [-n LINES] FILE
 *
 * Copyright 2026 The agen authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <locale.h>
#include <stdlib.h>

#include <agen.h>

/* The body: yields the lines of the GFile it is given, one per next. */
static gboolean
read_lines (AgenGenerator  *self,
            gpointer        user_data,
            GError        **error)
{
  GFile *file = user_data;
  g_autoptr(GFileInputStream) input = NULL;
  g_autoptr(GDataInputStream) data = NULL;
  guint count = 0;
  char *line;

  g_file_read_async (file, G_PRIORITY_DEFAULT, agen_generator_get_cancellable (self),
                     AGEN_AWAIT_CALLBACK (self));
  input = g_file_read_finish (file, agen_generator_await (self), error);
  if (input == NULL)
    return FALSE;
  data = g_data_input_stream_new (G_INPUT_STREAM (input));

  for (;;)
    {
      g_data_input_stream_read_line_async (data, G_PRIORITY_DEFAULT,
                                           agen_generator_get_cancellable (self),
                                           AGEN_AWAIT_CALLBACK (self));
      line = g_data_input_stream_read_line_finish_utf8 (data, agen_generator_await (self),
                                                        NULL, error);
      if (line == NULL)
        return *error == NULL;          /* the end, or a read error */
      count++;
      if (!agen_generator_take_string (self, line, error))
        break;                          /* closed (AGEN_ERROR_EXIT) */
    }

  /* The consumer closed us: clean up, awaiting the stream's close (with
   * no cancellable: cleanup must not be cut short), then let the
   * AGEN_ERROR_EXIT out. */
  g_input_stream_close_async (G_INPUT_STREAM (data), G_PRIORITY_DEFAULT, NULL,
                              AGEN_AWAIT_CALLBACK (self));
  g_input_stream_close_finish (G_INPUT_STREAM (data), agen_generator_await (self), NULL);
  g_print ("(closed after %u lines)\n", count);
  return FALSE;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GFile) file = NULL;
  g_autoptr(AgenGenerator) lines = NULL;
  int n = 3;
  char *line;

  setlocale (LC_ALL, "");
  if (argc == 4 && g_str_equal (argv[1], "-n"))
    n = atoi (argv[2]);
  else if (argc != 2)
    {
      g_printerr ("usage: agen-head [-n LINES] FILE\n");
      return 2;
    }

  file = g_file_new_for_commandline_arg (argv[argc - 1]);
  lines = agen_generator_new_full (read_lines, g_object_ref (file), g_object_unref, "lines", 0);

  /* The blocking next runs the main context until the body has a line. */
  for (int i = 0; i < n && agen_generator_next_string (lines, NULL, &line, &error); i++)
    {
      g_print ("%s\n", line);
      g_free (line);
    }

  if (error == NULL)
    agen_generator_close (lines, NULL, &error);   /* early: runs the cleanup */
  if (error != NULL)
    {
      g_printerr ("agen-head: %s\n", error->message);
      return 1;
    }
  return 0;
}
