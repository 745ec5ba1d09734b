/* agen-lines.c — print a text file with numbered lines, through generators
 *
 * Copyright 2026 The agen authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Usage: agen-lines FILE
 *
 * Three generators, each a C function running on its own fiber:
 *
 *   lines_body     opens FILE with g_file_read_async() and reads it with
 *                  g_input_stream_read_bytes_async(), awaiting each GIO
 *                  operation with agen_generator_await(), and yields every
 *                  line as a string;
 *   number_body    pulls the lines with the blocking agen_generator_next()
 *                  (inside a body that suspends only its fiber), yields them
 *                  numbered, and returns the number of lines;
 *   document_body  takes the first numbered line, yields a title and that
 *                  line, then delegates the rest to the numbering generator
 *                  with agen_generator_yield_from(), and returns what that
 *                  one returned.
 *
 * main() drives the outermost generator with agen_generator_next_async()
 * under a GMainLoop, and finally prints a footer from its return value.
 */

#include <agen.h>

#include <locale.h>
#include <stdio.h>
#include <string.h>

/* Bytes asked for per read; small enough that a README needs several reads,
 * so lines that straddle two chunks are exercised. */
#define CHUNK_SIZE 4096

#define USAGE \
  "Usage: agen-lines FILE\n" \
  "Print FILE with numbered lines, read through agen generators.\n"

/* lines_body: the file, line by line ------------------------------------ */

/* Yields the line text[0..len) (without its newline) as a string. */
static gboolean
yield_line (AgenGenerator  *self,
            const char     *text,
            gsize           len,
            GError        **error)
{
  g_auto(GValue) value = G_VALUE_INIT;

  g_value_init (&value, G_TYPE_STRING);
  g_value_take_string (&value, g_strndup (text, len));

  return agen_generator_yield (self, &value, NULL, error);
}

static gboolean
lines_body (AgenGenerator  *self,
            gpointer        user_data,
            GError        **error)
{
  GFile *file = user_data;
  g_autoptr(GFileInputStream) file_stream = NULL;
  g_autoptr(GString) pending = NULL;
  GInputStream *stream;
  GError *close_error = NULL;
  gboolean ok = TRUE;

  g_file_read_async (file, G_PRIORITY_DEFAULT,
                     agen_generator_get_cancellable (self),
                     AGEN_AWAIT_CALLBACK (self));
  file_stream = g_file_read_finish (file, agen_generator_await (self), error);
  if (file_stream == NULL)
    return FALSE;

  stream = G_INPUT_STREAM (file_stream);
  pending = g_string_new (NULL);

  while (ok)
    {
      g_autoptr(GBytes) bytes = NULL;
      const char *line;
      const char *newline;
      const char *end;

      g_input_stream_read_bytes_async (stream, CHUNK_SIZE, G_PRIORITY_DEFAULT,
                                       agen_generator_get_cancellable (self),
                                       AGEN_AWAIT_CALLBACK (self));
      bytes = g_input_stream_read_bytes_finish (stream,
                                                agen_generator_await (self),
                                                error);
      if (bytes == NULL)
        {
          ok = FALSE;
          break;
        }
      if (g_bytes_get_size (bytes) == 0)
        break;  /* end of file */

      g_string_append_len (pending,
                           g_bytes_get_data (bytes, NULL),
                           g_bytes_get_size (bytes));

      /* Yield every complete line; keep the incomplete tail for later. */
      line = pending->str;
      end = pending->str + pending->len;
      while ((newline = memchr (line, '\n', end - line)) != NULL)
        {
          /* FALSE: our consumer closed us (AGEN_ERROR_EXIT) or threw an
           * error in. Either way, stop reading and clean up below. */
          if (!yield_line (self, line, newline - line, error))
            {
              ok = FALSE;
              break;
            }
          line = newline + 1;
        }
      g_string_erase (pending, 0, line - pending->str);
    }

  /* The last line may lack its newline. */
  if (ok && pending->len > 0)
    ok = yield_line (self, pending->str, pending->len, error);

  /* Clean up, even after a close: a body may await while it cleans up.
   * Not with the step's cancellable, which stays cancelled once cancelled:
   * the stream must be closed regardless. */
  g_input_stream_close_async (stream, G_PRIORITY_DEFAULT, NULL,
                              AGEN_AWAIT_CALLBACK (self));
  if (!g_input_stream_close_finish (stream, agen_generator_await (self),
                                    &close_error))
    {
      /* Report a failed close only if nothing went wrong before. */
      if (ok)
        g_propagate_error (error, close_error);
      else
        g_clear_error (&close_error);
      ok = FALSE;
    }

  return ok;
}

/* number_body: "     1  first line" ------------------------------------ */

static gboolean
number_body (AgenGenerator  *self,
             gpointer        user_data,
             GError        **error)
{
  AgenGenerator *lines = user_data;
  g_auto(GValue) count_value = G_VALUE_INIT;
  guint count = 0;

  for (;;)
    {
      g_auto(GValue) line = G_VALUE_INIT;
      g_auto(GValue) numbered = G_VALUE_INIT;
      g_autoptr(GError) local_error = NULL;

      /* The blocking form: inside a body it suspends only this fiber until
       * the lines generator has produced its next line. */
      if (!agen_generator_next (lines, agen_generator_get_cancellable (self),
                                &line, &local_error))
        {
          if (local_error != NULL)
            {
              g_propagate_error (error, g_steal_pointer (&local_error));
              return FALSE;
            }
          break;  /* no more lines */
        }

      count++;
      g_value_init (&numbered, G_TYPE_STRING);
      if (*g_value_get_string (&line) == '\0')
        g_value_take_string (&numbered, g_strdup_printf ("%6u", count));
      else
        g_value_take_string (&numbered,
                             g_strdup_printf ("%6u  %s", count,
                                              g_value_get_string (&line)));

      if (!agen_generator_yield (self, &numbered, NULL, error))
        {
          /* Closed or thrown into: close the lines generator too, which
           * runs its cleanup (closing the file) before we go. */
          agen_generator_close (lines, NULL, NULL);
          return FALSE;
        }
    }

  g_value_init (&count_value, G_TYPE_UINT);
  g_value_set_uint (&count_value, count);
  agen_generator_set_return_value (self, &count_value);

  return TRUE;
}

/* document_body: a title, then the numbered lines ------------------------ */

typedef struct
{
  char          *title;
  AgenGenerator *numbered;
} Document;

static void
document_free (gpointer data)
{
  Document *document = data;

  g_free (document->title);
  g_clear_object (&document->numbered);
  g_free (document);
}

static gboolean
document_body (AgenGenerator  *self,
               gpointer        user_data,
               GError        **error)
{
  Document *document = user_data;
  g_auto(GValue) title = G_VALUE_INIT;
  g_auto(GValue) first = G_VALUE_INIT;
  g_auto(GValue) count = G_VALUE_INIT;
  g_autoptr(GError) local_error = NULL;
  gboolean have_first;

  /* Take the first line before the title, so that a file that cannot be
   * read gets an error and no title. */
  have_first = agen_generator_next (document->numbered,
                                    agen_generator_get_cancellable (self),
                                    &first, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  g_value_init (&title, G_TYPE_STRING);
  g_value_set_string (&title, document->title);
  if (!agen_generator_yield (self, &title, NULL, error) ||
      (have_first && !agen_generator_yield (self, &first, NULL, error)))
    {
      /* Closed (or thrown into) by our consumer: close what we started. */
      agen_generator_close (document->numbered, NULL, NULL);
      return FALSE;
    }

  if (have_first)
    {
      /* The rest: everything the numbering generator yields goes straight
       * to our consumer, and a close or a throw from our consumer goes to
       * it. Its return value, the number of lines, becomes ours. */
      if (!agen_generator_yield_from (self, document->numbered, &count, error))
        return FALSE;
    }
  else
    {
      /* An empty file: the numbering generator has finished already. */
      agen_generator_get_return_value (document->numbered, &count);
    }

  agen_generator_set_return_value (self, &count);

  return TRUE;
}

/* main: drive the document generator under a main loop ----------------- */

typedef struct
{
  GMainLoop *loop;
  GError    *error;
} Demo;

/* Prints a line exactly as read: g_print() would convert it to the locale's
 * character set, mangling a UTF-8 file under LANG=C. */
static void
print_line (const char *line)
{
  fputs (line, stdout);
  putchar ('\n');
}

static void
next_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  AgenGenerator *generator = AGEN_GENERATOR (source);
  Demo *demo = user_data;
  g_auto(GValue) value = G_VALUE_INIT;

  if (agen_generator_next_finish (generator, result, &value, &demo->error))
    {
      if (G_VALUE_HOLDS_STRING (&value) && g_value_get_string (&value) != NULL)
        print_line (g_value_get_string (&value));
      agen_generator_next_async (generator, NULL, next_cb, demo);
      return;
    }

  /* Finished (no error) or failed (demo->error set). */
  g_main_loop_quit (demo->loop);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GMainLoop) loop = NULL;
  g_autoptr(GFile) file = NULL;
  g_autoptr(AgenGenerator) lines = NULL;
  g_autoptr(AgenGenerator) numbered = NULL;
  g_autoptr(AgenGenerator) document_generator = NULL;
  g_auto(GValue) count = G_VALUE_INIT;
  Document *document;
  Demo demo = { NULL, NULL };

  setlocale (LC_ALL, "");

  if (argc == 2 &&
      (g_str_equal (argv[1], "--help") || g_str_equal (argv[1], "-h")))
    {
      g_print ("%s", USAGE);
      return 0;
    }
  if (argc != 2)
    {
      g_printerr ("%s", USAGE);
      return 2;
    }

  file = g_file_new_for_commandline_arg (argv[1]);

  lines = agen_generator_new (lines_body, g_object_ref (file), g_object_unref);
  agen_generator_set_name (lines, "lines");

  numbered = agen_generator_new (number_body, g_object_ref (lines),
                                 g_object_unref);
  agen_generator_set_name (numbered, "numbered");

  document = g_new0 (Document, 1);
  document->title = g_strdup_printf ("==> %s <==", argv[1]);
  document->numbered = g_object_ref (numbered);
  document_generator = agen_generator_new (document_body, document,
                                           document_free);
  agen_generator_set_name (document_generator, "document");

  loop = g_main_loop_new (NULL, FALSE);
  demo.loop = loop;

  agen_generator_next_async (document_generator, NULL, next_cb, &demo);
  g_main_loop_run (loop);

  if (demo.error != NULL)
    {
      g_printerr ("agen-lines: %s\n", demo.error->message);
      g_clear_error (&demo.error);
      return 1;
    }

  /* The document body returned the line count it got from yield_from. */
  if (agen_generator_get_return_value (document_generator, &count) &&
      G_VALUE_HOLDS_UINT (&count))
    g_print ("-- %u %s\n", g_value_get_uint (&count),
             g_value_get_uint (&count) == 1 ? "line" : "lines");

  return 0;
}
