/* agen-gio-streams.c — lines and chunks of a GInputStream, a file or a
 * subprocess's output
 *
 * Copyright 2026 The agen authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "agen-gio.h"
#include "agen-values.h"

/*
 * Each adapter is a fiber body: it awaits the stream's reads in straight
 * line code, reading large chunks and splitting them itself, so a line
 * costs a memchr() and a copy, not an asynchronous operation of its own.
 * None of them calls code of the application's, so running on a fiber is
 * safe for bindings too.
 */

/* What the adapters read per request: large enough that the per-read cost
 * (a GTask, a thread hop for files) vanishes behind the lines it holds. */
#define READ_SIZE (64 * 1024)

typedef struct
{
  GInputStream    *stream;   /* NULL for agen_file_lines until opened */
  GFile           *file;     /* agen_file_lines */
  GSubprocess     *subprocess;
  AgenStreamFlags  flags;
  gsize            limit;    /* line length or chunk size */
} StreamData;

static void
stream_data_free (gpointer data)
{
  StreamData *sd = data;

  g_clear_object (&sd->stream);
  g_clear_object (&sd->file);
  g_clear_object (&sd->subprocess);
  g_free (sd);
}

static StreamData *
stream_data_new (GInputStream    *stream,
                 AgenStreamFlags  flags,
                 gsize            limit)
{
  StreamData *sd = g_new0 (StreamData, 1);

  sd->stream = stream ? g_object_ref (stream) : NULL;
  sd->flags = flags;
  sd->limit = limit;

  return sd;
}

/* Closes the stream unless asked not to, after the body's work is over
 * (successfully or not). Never with the step cancellable, which may be
 * cancelled already: the stream must be closed regardless. ok is what the
 * body had so far; a failed close is reported only when nothing failed
 * before. */
static gboolean
finish_stream (AgenGenerator  *self,
               StreamData     *sd,
               gboolean        ok,
               GError        **error)
{
  GError *close_error = NULL;

  if (sd->stream == NULL || (sd->flags & AGEN_STREAM_FLAGS_KEEP_OPEN) != 0 ||
      g_input_stream_is_closed (sd->stream))
    return ok;

  g_input_stream_close_async (sd->stream, G_PRIORITY_DEFAULT, NULL,
                              AGEN_AWAIT_CALLBACK (self));
  if (!g_input_stream_close_finish (sd->stream, agen_generator_await (self),
                                    &close_error))
    {
      if (ok)
        g_propagate_error (error, close_error);
      else
        g_clear_error (&close_error);
      return FALSE;
    }

  return ok;
}

/* g_utf8_validate_len(), with a fast path for what most lines of text are:
 * ASCII without NUL, checked a word at a time (GLib's validator goes byte
 * by byte, and was the largest single cost per line). */
static gboolean
validate_utf8 (const char *text,
               gsize       len)
{
  const char *p = text;
  const char *end = text + len;
  const guint64 high = G_GUINT64_CONSTANT (0x8080808080808080);
  const guint64 ones = G_GUINT64_CONSTANT (0x0101010101010101);

  while (end - p >= 8)
    {
      guint64 word;

      memcpy (&word, p, sizeof word);
      /* A byte ≥ 0x80, or a zero byte: leave it to GLib. */
      if ((word & high) != 0 || ((word - ones) & ~word & high) != 0)
        break;
      p += 8;
    }
  while (p < end && (guint) (guchar) *p - 1u < 0x7fu)
    p++;

  return p == end || g_utf8_validate_len (p, end - p, NULL);
}

/* Yields the line text[0..len), without its line end. */
static gboolean
yield_line (AgenGenerator  *self,
            StreamData     *sd,
            const char     *text,
            gsize           len,
            guint64         number,
            GError        **error)
{
  if (sd->limit != 0 && len > sd->limit)
    {
      /* Numbers as strings: xgettext cannot read format macros. */
      g_autofree char *line = g_strdup_printf ("%" G_GUINT64_FORMAT, number);
      g_autofree char *limit = g_strdup_printf ("%" G_GSIZE_FORMAT, sd->limit);

      g_set_error (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
                   _("Line %s is longer than %s bytes"), line, limit);
      return FALSE;
    }

  if ((sd->flags & AGEN_STREAM_FLAGS_RAW) != 0)
    {
      GValue value = G_VALUE_INIT;
      gboolean ok;

      g_value_init (&value, G_TYPE_BYTES);
      g_value_take_boxed (&value, g_bytes_new (text, len));
      ok = agen_generator_yield (self, &value, NULL, error);
      g_value_unset (&value);

      return ok;
    }

  if (!validate_utf8 (text, len))
    {
      g_autofree char *line = g_strdup_printf ("%" G_GUINT64_FORMAT, number);

      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _("Line %s is not valid UTF-8"), line);
      return FALSE;
    }

  /* The generator takes the copy: no second one for the yield. */
  return agen_generator_take_string (self, g_strndup (text, len), error);
}

/* The line splitter, shared by all the line adapters. The stream is open. */
static gboolean
read_lines (AgenGenerator  *self,
            StreamData     *sd,
            GError        **error)
{
  g_autofree char *buffer = g_malloc (READ_SIZE);
  g_autoptr(GByteArray) pending = g_byte_array_new ();
  guint64 number = 0;

  for (;;)
    {
      gssize n_read;
      const char *start = buffer;
      const char *end;
      const char *newline;

      g_input_stream_read_async (sd->stream, buffer, READ_SIZE,
                                 G_PRIORITY_DEFAULT,
                                 agen_generator_get_cancellable (self),
                                 AGEN_AWAIT_CALLBACK (self));
      n_read = g_input_stream_read_finish (sd->stream,
                                           agen_generator_await (self), error);
      if (n_read < 0)
        return FALSE;
      if (n_read == 0)
        break;

      end = buffer + n_read;
      while ((newline = memchr (start, '\n', end - start)) != NULL)
        {
          const char *text = start;
          gsize len = newline - start;

          number++;
          if (pending->len > 0)
            {
              g_byte_array_append (pending, (const guint8 *) start, len);
              text = (const char *) pending->data;
              len = pending->len;
            }
          if (len > 0 && text[len - 1] == '\r')
            len--;

          if (!yield_line (self, sd, text, len, number, error))
            return FALSE;

          g_byte_array_set_size (pending, 0);
          start = newline + 1;
        }

      /* The incomplete tail waits for the next read; one that has grown
       * past the limit (plus its possible '\r') fails now, not at the end
       * of a huge line. */
      g_byte_array_append (pending, (const guint8 *) start, end - start);
      if (sd->limit != 0 && pending->len > sd->limit + 1)
        return yield_line (self, sd, (const char *) pending->data,
                           pending->len, number + 1, error);
    }

  /* The last line may lack its newline. */
  if (pending->len > 0)
    return yield_line (self, sd, (const char *) pending->data, pending->len,
                       number + 1, error);

  return TRUE;
}

static gboolean
lines_body (AgenGenerator  *self,
            gpointer        user_data,
            GError        **error)
{
  StreamData *sd = user_data;
  gboolean ok = read_lines (self, sd, error);

  return finish_stream (self, sd, ok, error);
}

/**
 * agen_input_stream_lines:
 * @stream: the stream to read
 * @flags: options
 * @max_line_length: the longest line accepted, in bytes without the line
 *   end; 0 for no limit
 *
 * Makes a generator that yields the lines of @stream.
 *
 * Lines end with `"\n"` or `"\r\n"`; the line end is not part of the value.
 * A last line without a line end is yielded too; an empty stream yields
 * nothing. Each line is a string (`G_TYPE_STRING`), or a [struct@GLib.Bytes]
 * with %AGEN_STREAM_FLAGS_RAW.
 *
 * The generator reads large chunks (64 KiB) and splits them itself, passing
 * the step's cancellable to every read. It fails with
 * %G_IO_ERROR_MESSAGE_TOO_LARGE on a line longer than @max_line_length, with
 * %G_IO_ERROR_INVALID_DATA on a line that is not valid UTF-8 (unless
 * %AGEN_STREAM_FLAGS_RAW), and with the stream's own errors. When it ends,
 * however it ends (the last line consumed, an error, or closed early), it
 * closes @stream, unless %AGEN_STREAM_FLAGS_KEEP_OPEN is given.
 *
 * Returns: (transfer full): a new generator
 *
 * Since: 0.1
 */
AgenGenerator *
agen_input_stream_lines (GInputStream    *stream,
                         AgenStreamFlags  flags,
                         gsize            max_line_length)
{
  AgenGenerator *gen;

  g_return_val_if_fail (G_IS_INPUT_STREAM (stream), NULL);

  gen = agen_generator_new (lines_body,
                            stream_data_new (stream, flags, max_line_length),
                            stream_data_free);
  agen_generator_set_name (gen, "input-stream-lines");

  return gen;
}

static gboolean
file_lines_body (AgenGenerator  *self,
                 gpointer        user_data,
                 GError        **error)
{
  StreamData *sd = user_data;
  GFileInputStream *file_stream;
  gboolean ok;

  g_file_read_async (sd->file, G_PRIORITY_DEFAULT,
                     agen_generator_get_cancellable (self),
                     AGEN_AWAIT_CALLBACK (self));
  file_stream = g_file_read_finish (sd->file, agen_generator_await (self),
                                    error);
  if (file_stream == NULL)
    return FALSE;
  sd->stream = G_INPUT_STREAM (file_stream);

  ok = read_lines (self, sd, error);

  return finish_stream (self, sd, ok, error);
}

/**
 * agen_file_lines:
 * @file: the file to read
 * @flags: options; %AGEN_STREAM_FLAGS_KEEP_OPEN is ignored
 * @max_line_length: the longest line accepted, in bytes without the line
 *   end; 0 for no limit
 *
 * Makes a generator that opens @file, yields its lines as
 * [func@input_stream_lines] does, and closes it.
 *
 * The file is opened at the first step, so a file that cannot be read fails
 * that step with the error of [method@Gio.File.read_async].
 *
 * Returns: (transfer full): a new generator
 *
 * Since: 0.1
 */
AgenGenerator *
agen_file_lines (GFile           *file,
                 AgenStreamFlags  flags,
                 gsize            max_line_length)
{
  AgenGenerator *gen;
  StreamData *sd;

  g_return_val_if_fail (G_IS_FILE (file), NULL);

  sd = stream_data_new (NULL, flags & ~AGEN_STREAM_FLAGS_KEEP_OPEN,
                        max_line_length);
  sd->file = g_object_ref (file);
  gen = agen_generator_new (file_lines_body, sd, stream_data_free);
  agen_generator_set_name (gen, "file-lines");

  return gen;
}

static gboolean
chunks_body (AgenGenerator  *self,
             gpointer        user_data,
             GError        **error)
{
  StreamData *sd = user_data;
  gboolean ok = TRUE;

  while (ok)
    {
      GBytes *bytes;
      GValue value = G_VALUE_INIT;

      g_input_stream_read_bytes_async (sd->stream, sd->limit,
                                       G_PRIORITY_DEFAULT,
                                       agen_generator_get_cancellable (self),
                                       AGEN_AWAIT_CALLBACK (self));
      bytes = g_input_stream_read_bytes_finish (sd->stream,
                                                agen_generator_await (self),
                                                error);
      if (bytes == NULL)
        {
          ok = FALSE;
          break;
        }
      if (g_bytes_get_size (bytes) == 0)
        {
          g_bytes_unref (bytes);
          break;
        }

      g_value_init (&value, G_TYPE_BYTES);
      g_value_take_boxed (&value, bytes);
      ok = agen_generator_yield (self, &value, NULL, error);
      g_value_unset (&value);
    }

  return finish_stream (self, sd, ok, error);
}

/**
 * agen_input_stream_chunks:
 * @stream: the stream to read
 * @flags: options (%AGEN_STREAM_FLAGS_RAW makes no difference)
 * @chunk_size: the most bytes per chunk; 0 for 64 KiB
 *
 * Makes a generator that yields the contents of @stream as
 * [struct@GLib.Bytes], each what one read gave: at most @chunk_size bytes,
 * never empty.
 *
 * Every read gets the step's cancellable. When the generator ends, however
 * it ends, it closes @stream, unless %AGEN_STREAM_FLAGS_KEEP_OPEN is given.
 *
 * Returns: (transfer full): a new generator
 *
 * Since: 0.1
 */
AgenGenerator *
agen_input_stream_chunks (GInputStream    *stream,
                          AgenStreamFlags  flags,
                          gsize            chunk_size)
{
  AgenGenerator *gen;

  g_return_val_if_fail (G_IS_INPUT_STREAM (stream), NULL);

  if (chunk_size == 0)
    chunk_size = READ_SIZE;
  gen = agen_generator_new (chunks_body,
                            stream_data_new (stream, flags, chunk_size),
                            stream_data_free);
  agen_generator_set_name (gen, "input-stream-chunks");

  return gen;
}

static gboolean
subprocess_lines_body (AgenGenerator  *self,
                       gpointer        user_data,
                       GError        **error)
{
  StreamData *sd = user_data;

  if (!finish_stream (self, sd, read_lines (self, sd, error), error))
    return FALSE;

  /* All of the output has been read: the child's exit status decides. */
  g_subprocess_wait_check_async (sd->subprocess,
                                 agen_generator_get_cancellable (self),
                                 AGEN_AWAIT_CALLBACK (self));
  return g_subprocess_wait_check_finish (sd->subprocess,
                                         agen_generator_await (self), error);
}

/**
 * agen_subprocess_lines:
 * @subprocess: a subprocess started with %G_SUBPROCESS_FLAGS_STDOUT_PIPE
 * @flags: options
 * @max_line_length: the longest line accepted, in bytes without the line
 *   end; 0 for no limit
 *
 * Makes a generator that yields the lines of @subprocess's standard output
 * as [func@input_stream_lines] does, then waits for the subprocess to exit.
 *
 * After the last line the generator finishes when the subprocess exits
 * successfully, and fails as [method@Gio.Subprocess.wait_check_async] does
 * otherwise (%G_SPAWN_EXIT_ERROR with the exit status, or a signal). Closed
 * early, it closes the pipe (unless %AGEN_STREAM_FLAGS_KEEP_OPEN), which a
 * child still writing notices as `SIGPIPE` or `EPIPE`; it does not wait for
 * the child nor kill it.
 *
 * Returns: (transfer full): a new generator
 *
 * Since: 0.1
 */
AgenGenerator *
agen_subprocess_lines (GSubprocess     *subprocess,
                       AgenStreamFlags  flags,
                       gsize            max_line_length)
{
  AgenGenerator *gen;
  GInputStream *stream;
  StreamData *sd;

  g_return_val_if_fail (G_IS_SUBPROCESS (subprocess), NULL);
  stream = g_subprocess_get_stdout_pipe (subprocess);
  g_return_val_if_fail (stream != NULL, NULL);

  sd = stream_data_new (stream, flags, max_line_length);
  sd->subprocess = g_object_ref (subprocess);
  gen = agen_generator_new (subprocess_lines_body, sd, stream_data_free);
  agen_generator_set_name (gen, "subprocess-lines");

  return gen;
}
