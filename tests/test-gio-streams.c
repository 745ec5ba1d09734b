/* test-gio-streams.c — lines and chunks of streams, files, pipes, sockets
 * and subprocesses (agen/agen-gio-streams.c, agen/agen-gio-socket.c)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <gio/gunixinputstream.h>
#include <gio/gunixoutputstream.h>

#include "agen-test-util.h"

/* Helpers ------------------------------------------------------------------ */

/* Takes every item with blocking next (the default context is iterated
 * meanwhile) and returns the strings; *error on failure. */
static GPtrArray *
drain_strings (AgenGenerator  *gen,
               GError        **error)
{
  GPtrArray *lines = g_ptr_array_new_with_free_func (g_free);

  for (;;)
    {
      g_auto(GValue) value = G_VALUE_INIT;

      if (!agen_generator_next (gen, NULL, &value, error))
        break;
      if (G_VALUE_HOLDS (&value, G_TYPE_BYTES))
        {
          GBytes *bytes = g_value_get_boxed (&value);
          gsize size;
          const char *data = g_bytes_get_data (bytes, &size);

          g_ptr_array_add (lines, g_strndup (data, size));
        }
      else
        {
          g_assert_true (G_VALUE_HOLDS_STRING (&value));
          g_ptr_array_add (lines, g_value_dup_string (&value));
        }
    }

  return lines;
}

static void
assert_lines (GPtrArray   *lines,
              const char **expected)
{
  guint n = g_strv_length ((char **) expected);

  for (guint i = 0; i < MIN (n, lines->len); i++)
    g_assert_cmpstr (g_ptr_array_index (lines, i), ==, expected[i]);
  g_assert_cmpuint (lines->len, ==, n);
}

static char *
write_temp_file (const char *contents,
                 gssize      length)
{
  g_autoptr(GError) error = NULL;
  char *path = NULL;
  int fd = g_file_open_tmp ("agen-test-XXXXXX", &path, &error);

  g_assert_no_error (error);
  close (fd);
  g_file_set_contents (path, contents, length, &error);
  g_assert_no_error (error);

  return path;
}

static GInputStream *
memory_stream (const char *contents)
{
  return g_memory_input_stream_new_from_data (g_strdup (contents), -1, g_free);
}

/* Lines -------------------------------------------------------------------- */

static void
test_lines_file_endings (void)
{
  g_autofree char *path = write_temp_file ("one\ntwo\r\n\nfour\r\n\r\nsix", -1);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(AgenGenerator) gen = agen_file_lines (file, AGEN_STREAM_FLAGS_NONE, 0);
  g_autoptr(GPtrArray) lines = NULL;
  g_autoptr(GError) error = NULL;
  const char *expected[] = { "one", "two", "", "four", "", "six", NULL };

  g_test_summary ("LF and CRLF end lines, empty lines count, a last line "
                  "without a newline is yielded");

  lines = drain_strings (gen, &error);
  g_assert_no_error (error);
  assert_lines (lines, expected);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_CLOSED);
  g_unlink (path);
}

static void
test_lines_empty (void)
{
  g_autoptr(GInputStream) stream = memory_stream ("");
  g_autoptr(AgenGenerator) gen = agen_input_stream_lines (stream, AGEN_STREAM_FLAGS_NONE, 0);
  g_autoptr(GPtrArray) lines = NULL;
  g_autoptr(GError) error = NULL;
  const char *expected[] = { NULL };

  lines = drain_strings (gen, &error);
  g_assert_no_error (error);
  assert_lines (lines, expected);
  g_assert_true (g_input_stream_is_closed (stream));
}

static void
test_lines_big_file (void)
{
  g_autoptr(GString) contents = g_string_new (NULL);
  g_autofree char *path = NULL;
  g_autoptr(GFile) file = NULL;
  g_autoptr(AgenGenerator) gen = NULL;
  g_autoptr(GPtrArray) lines = NULL;
  g_autoptr(GError) error = NULL;
  guint n = 20000;

  g_test_summary ("A file of many 64 KiB reads: lines that straddle two "
                  "reads come out whole, CRLF split across reads too");

  for (guint i = 0; i < n; i++)
    {
      g_string_append_printf (contents, "line %u ", i);
      for (guint j = 0; j < i % 37; j++)
        g_string_append_c (contents, 'a' + (j % 26));
      g_string_append (contents, i % 3 == 0 ? "\r\n" : "\n");
    }
  path = write_temp_file (contents->str, contents->len);
  file = g_file_new_for_path (path);
  gen = agen_file_lines (file, AGEN_STREAM_FLAGS_NONE, 100);

  lines = drain_strings (gen, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (lines->len, ==, n);
  for (guint i = 0; i < n; i++)
    {
      const char *line = g_ptr_array_index (lines, i);
      g_autofree char *prefix = g_strdup_printf ("line %u ", i);

      g_assert_true (g_str_has_prefix (line, prefix));
      g_assert_cmpuint (strlen (line), ==, strlen (prefix) + i % 37);
    }
  g_unlink (path);
}

static void
test_lines_too_long (void)
{
  g_autoptr(GInputStream) stream = memory_stream ("short\nthis one is too long\nnever\n");
  g_autoptr(AgenGenerator) gen = agen_input_stream_lines (stream, AGEN_STREAM_FLAGS_NONE, 10);
  g_autoptr(GPtrArray) lines = NULL;
  g_autoptr(GError) error = NULL;
  const char *expected[] = { "short", NULL };

  g_test_summary ("A line longer than the maximum fails with "
                  "G_IO_ERROR_MESSAGE_TOO_LARGE, once; the stream is closed");

  lines = drain_strings (gen, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE);
  assert_lines (lines, expected);
  g_assert_true (g_input_stream_is_closed (stream));
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_CLOSED);
}

static void
test_lines_too_long_unterminated (void)
{
  g_autofree char *huge = g_strnfill (300 * 1024, 'x');
  g_autoptr(GInputStream) stream = memory_stream (huge);
  g_autoptr(AgenGenerator) gen = agen_input_stream_lines (stream, AGEN_STREAM_FLAGS_NONE, 1000);
  g_autoptr(GPtrArray) lines = NULL;
  g_autoptr(GError) error = NULL;

  g_test_summary ("A line without end longer than the maximum fails before "
                  "the whole stream is buffered");

  lines = drain_strings (gen, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE);
  g_assert_cmpuint (lines->len, ==, 0);
  /* Failed at the first read, not after reading everything. */
  g_assert_false (g_input_stream_has_pending (stream));
}

static void
test_lines_invalid_utf8 (void)
{
  g_autoptr(GInputStream) stream = memory_stream ("good\nbad \xff\xfe\nafter\n");
  g_autoptr(AgenGenerator) gen = agen_input_stream_lines (stream, AGEN_STREAM_FLAGS_NONE, 0);
  g_autoptr(GPtrArray) lines = NULL;
  g_autoptr(GError) error = NULL;
  const char *expected[] = { "good", NULL };

  lines = drain_strings (gen, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  assert_lines (lines, expected);
}

#define CASE(literal) literal, sizeof (literal) - 1

static void
test_lines_utf8_cases (void)
{
  struct {
    const char *data;
    gsize       len;
    gboolean    valid;
  } cases[] = {
    { CASE ("plain ascii, longer than a word or two\n"), TRUE },
    { CASE ("0123456789abcdef\xc3\xa9 accent after two words\n"), TRUE },
    { CASE ("\xf0\x9f\x98\x80 emoji first, then ascii text\n"), TRUE },
    { CASE ("0123456789abcdef0123\xff bad byte after ascii\n"), FALSE },
    { CASE ("01234567\0 a NUL in the second word\n"), FALSE },
    { CASE ("0123456789abc\0\n"), FALSE },
    { CASE ("overlong \xc0\xaf slash\n"), FALSE },
    { CASE ("truncated at the end \xe2\x82\n"), FALSE },
    { CASE ("\n"), TRUE },
  };

  g_test_summary ("UTF-8 is checked exactly, on either side of the "
                  "word-at-a-time ASCII fast path: NUL, stray and overlong "
                  "bytes fail, multi-byte characters pass");

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GInputStream) stream =
        g_memory_input_stream_new_from_data (g_memdup2 (cases[i].data, cases[i].len),
                                             cases[i].len, g_free);
      g_autoptr(AgenGenerator) gen = agen_input_stream_lines (stream, AGEN_STREAM_FLAGS_NONE, 0);
      g_autoptr(GPtrArray) lines = NULL;
      g_autoptr(GError) error = NULL;

      lines = drain_strings (gen, &error);
      if (cases[i].valid)
        {
          g_assert_no_error (error);
          g_assert_cmpuint (lines->len, ==, 1);
          g_assert_cmpuint (strlen (g_ptr_array_index (lines, 0)), ==, cases[i].len - 1);
        }
      else
        {
          g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
          g_assert_cmpuint (lines->len, ==, 0);
        }
    }
}

static void
test_lines_raw (void)
{
  g_autoptr(GInputStream) stream = memory_stream ("good\nbad \xff\xfe\r\nafter");
  g_autoptr(AgenGenerator) gen = agen_input_stream_lines (stream, AGEN_STREAM_FLAGS_RAW, 0);
  g_autoptr(GPtrArray) lines = NULL;
  g_autoptr(GError) error = NULL;
  const char *expected[] = { "good", "bad \xff\xfe", "after", NULL };

  g_test_summary ("With AGEN_STREAM_FLAGS_RAW, lines are GBytes and are not "
                  "checked for UTF-8");

  lines = drain_strings (gen, &error);
  g_assert_no_error (error);
  assert_lines (lines, expected);
}

static void
test_lines_missing_file (void)
{
  g_autoptr(GFile) file = g_file_new_for_path ("/nonexistent/agen/file");
  g_autoptr(AgenGenerator) gen = agen_file_lines (file, AGEN_STREAM_FLAGS_NONE, 0);
  AgenTestResult r = AGEN_TEST_RESULT_INIT;

  agen_test_next (gen, NULL, &r);
  agen_test_assert_failed (&r, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  agen_test_next (gen, NULL, &r);
  agen_test_assert_finished (&r);
  agen_test_result_clear (&r);
}

/* A pipe: GUnixOutputStream → GUnixInputStream, written in pieces ---------- */

typedef struct
{
  GOutputStream  *out;
  const char    **pieces;
  guint           next;
  gboolean        close_at_end;
} Writer;

/* Writes the next piece from a timeout, so that the reader sees the data
 * arrive in pieces, with main-loop passes in between. */
static gboolean
write_piece_cb (gpointer data)
{
  Writer *w = data;
  g_autoptr(GError) error = NULL;
  const char *piece = w->pieces[w->next];

  g_output_stream_write_all (w->out, piece, strlen (piece), NULL, NULL, &error);
  g_assert_no_error (error);
  w->next++;

  /* Done with the last piece: gone before its data can be read. */
  if (w->pieces[w->next] == NULL)
    {
      if (w->close_at_end)
        g_output_stream_close (w->out, NULL, &error);
      g_assert_no_error (error);
      return G_SOURCE_REMOVE;
    }

  return G_SOURCE_CONTINUE;
}

static void
make_pipe (GInputStream  **in,
           GOutputStream **out)
{
  int fds[2];

  g_assert_cmpint (pipe (fds), ==, 0);
  *in = g_unix_input_stream_new (fds[0], TRUE);
  *out = g_unix_output_stream_new (fds[1], TRUE);
}

static void
test_lines_pipe_pieces (void)
{
  g_autoptr(GInputStream) in = NULL;
  g_autoptr(GOutputStream) out = NULL;
  g_autoptr(AgenGenerator) gen = NULL;
  const char *pieces[] = { "hel", "lo\nwor", "ld\r", "\n", "\nlast", NULL };
  const char *expected[] = { "hello", "world", "", "last", NULL };
  Writer w = { NULL, pieces, 0, TRUE };
  AgenTestResult r = AGEN_TEST_RESULT_INIT;

  g_test_summary ("Lines of a pipe whose data arrive in pieces, a CRLF "
                  "split between two of them, consumed with next_async");

  make_pipe (&in, &out);
  w.out = out;
  g_timeout_add (2, write_piece_cb, &w);
  gen = agen_input_stream_lines (in, AGEN_STREAM_FLAGS_NONE, 0);

  for (guint i = 0; expected[i] != NULL; i++)
    {
      agen_test_next (gen, NULL, &r);
      g_assert_no_error (r.error);
      g_assert_true (r.ok);
      agen_test_assert_string (&r.value, expected[i]);
    }
  agen_test_next (gen, NULL, &r);
  agen_test_assert_finished (&r);
  g_assert_true (g_input_stream_is_closed (in));
  g_assert_cmpuint (w.next, ==, G_N_ELEMENTS (pieces) - 1);
  agen_test_result_clear (&r);
}

static void
test_lines_pipe_close_early (void)
{
  g_autoptr(GInputStream) in = NULL;
  g_autoptr(GOutputStream) out = NULL;
  g_autoptr(AgenGenerator) gen = NULL;
  AgenTestResult r = AGEN_TEST_RESULT_INIT;
  g_autoptr(GError) error = NULL;

  g_test_summary ("Closing the lines generator early closes the stream it "
                  "read; with KEEP_OPEN it does not");

  make_pipe (&in, &out);
  g_output_stream_write_all (out, "a\nb\n", 4, NULL, NULL, &error);
  g_assert_no_error (error);

  gen = agen_input_stream_lines (in, AGEN_STREAM_FLAGS_NONE, 0);
  agen_test_next (gen, NULL, &r);
  agen_test_assert_string (&r.value, "a");
  g_assert_false (g_input_stream_is_closed (in));
  agen_test_close (gen, NULL, &r);
  g_assert_no_error (r.error);
  g_assert_true (r.ok);
  g_assert_true (g_input_stream_is_closed (in));
  g_clear_object (&gen);
  g_clear_object (&in);
  g_clear_object (&out);

  make_pipe (&in, &out);
  g_output_stream_write_all (out, "a\nb\n", 4, NULL, NULL, &error);
  gen = agen_input_stream_lines (in, AGEN_STREAM_FLAGS_KEEP_OPEN, 0);
  agen_test_next (gen, NULL, &r);
  agen_test_close (gen, NULL, &r);
  g_assert_true (r.ok);
  g_assert_false (g_input_stream_is_closed (in));
  agen_test_result_clear (&r);
}

static void
test_lines_pipe_cancel (void)
{
  g_autoptr(GInputStream) in = NULL;
  g_autoptr(GOutputStream) out = NULL;
  g_autoptr(AgenGenerator) gen = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  AgenTestResult r = AGEN_TEST_RESULT_INIT;

  g_test_summary ("A step waiting for a read is cancelled by its "
                  "cancellable; the generator fails with CANCELLED and "
                  "closes the stream");

  make_pipe (&in, &out);
  gen = agen_input_stream_lines (in, AGEN_STREAM_FLAGS_NONE, 0);
  agen_generator_next_async (gen, cancellable, agen_test_next_cb, &r);
  g_main_context_iteration (NULL, FALSE);
  g_assert_false (r.done);
  g_cancellable_cancel (cancellable);
  agen_test_spin_until (&r.done, 5000);
  agen_test_assert_failed (&r, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_true (g_input_stream_is_closed (in));
  agen_test_result_clear (&r);
}

static void
test_lines_socket_pair (void)
{
  g_autoptr(GIOStream) a = NULL;
  g_autoptr(GIOStream) b = NULL;
  g_autoptr(AgenGenerator) gen = NULL;
  const char *pieces[] = { "GET / HTTP/1.0\r", "\nHost: x\r\n", "\r\n", NULL };
  const char *expected[] = { "GET / HTTP/1.0", "Host: x", "", NULL };
  Writer w = { NULL, pieces, 0, FALSE };
  AgenTestResult r = AGEN_TEST_RESULT_INIT;
  g_autoptr(GError) error = NULL;

  g_test_summary ("Lines of a socket, written in pieces from the other end");

  agen_test_socket_pair (&a, &b);
  w.out = g_io_stream_get_output_stream (b);
  g_timeout_add (2, write_piece_cb, &w);
  gen = agen_input_stream_lines (g_io_stream_get_input_stream (a),
                                 AGEN_STREAM_FLAGS_KEEP_OPEN, 0);

  for (guint i = 0; expected[i] != NULL; i++)
    {
      agen_test_next (gen, NULL, &r);
      g_assert_no_error (r.error);
      agen_test_assert_string (&r.value, expected[i]);
    }
  /* The peer goes: the end of the stream. */
  g_io_stream_close (b, NULL, &error);
  g_assert_no_error (error);
  agen_test_next (gen, NULL, &r);
  agen_test_assert_finished (&r);
  agen_test_result_clear (&r);
}

/* Chunks ------------------------------------------------------------------- */

static void
test_chunks_pipe (void)
{
  g_autoptr(GInputStream) in = NULL;
  g_autoptr(GOutputStream) out = NULL;
  g_autoptr(AgenGenerator) gen = NULL;
  const char *pieces[] = { "abc", "defgh", "ij", NULL };
  Writer w = { NULL, pieces, 0, TRUE };
  g_autoptr(GString) all = g_string_new (NULL);
  guint n = 0;

  g_test_summary ("Chunks of a pipe are GBytes of at most chunk_size bytes, "
                  "never empty, and together the whole stream");

  make_pipe (&in, &out);
  w.out = out;
  g_timeout_add (2, write_piece_cb, &w);
  gen = agen_input_stream_chunks (in, AGEN_STREAM_FLAGS_NONE, 4);

  for (;;)
    {
      g_auto(GValue) value = G_VALUE_INIT;
      g_autoptr(GError) error = NULL;
      GBytes *bytes;

      if (!agen_generator_next (gen, NULL, &value, &error))
        {
          g_assert_no_error (error);
          break;
        }
      g_assert_true (G_VALUE_HOLDS (&value, G_TYPE_BYTES));
      bytes = g_value_get_boxed (&value);
      g_assert_cmpuint (g_bytes_get_size (bytes), >, 0);
      g_assert_cmpuint (g_bytes_get_size (bytes), <=, 4);
      g_string_append_len (all, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
      n++;
    }

  g_assert_cmpstr (all->str, ==, "abcdefghij");
  g_assert_cmpuint (n, >=, 4);
  g_assert_true (g_input_stream_is_closed (in));
}

static void
test_chunks_close_early (void)
{
  g_autoptr(GInputStream) stream = memory_stream ("0123456789");
  g_autoptr(AgenGenerator) gen = agen_input_stream_chunks (stream, AGEN_STREAM_FLAGS_NONE, 3);
  AgenTestResult r = AGEN_TEST_RESULT_INIT;

  agen_test_next (gen, NULL, &r);
  g_assert_true (r.ok);
  agen_test_close (gen, NULL, &r);
  g_assert_true (r.ok);
  g_assert_true (g_input_stream_is_closed (stream));
  agen_test_result_clear (&r);
}

static void
test_stream_read_error (void)
{
  int fds[2];
  g_autoptr(GInputStream) bad_lines = NULL;
  g_autoptr(GInputStream) bad_chunks = NULL;
  g_autoptr(AgenGenerator) lines = NULL;
  g_autoptr(AgenGenerator) chunks = NULL;
  AgenTestResult r = AGEN_TEST_RESULT_INIT;

  g_test_summary ("A read that fails fails the generator with the stream's "
                  "error, once");

  /* Streams on descriptors that are not open: every read fails (EBADF). */
  g_assert_cmpint (pipe (fds), ==, 0);
  close (fds[0]);
  close (fds[1]);
  bad_lines = g_unix_input_stream_new (fds[0], FALSE);
  bad_chunks = g_unix_input_stream_new (fds[1], FALSE);
  lines = agen_input_stream_lines (bad_lines, AGEN_STREAM_FLAGS_NONE, 0);
  chunks = agen_input_stream_chunks (bad_chunks, AGEN_STREAM_FLAGS_NONE, 0);

  agen_test_next (lines, NULL, &r);
  g_assert_nonnull (r.error);
  g_assert_true (r.error->domain == G_IO_ERROR);
  g_assert_false (r.ok);
  agen_test_next (lines, NULL, &r);
  agen_test_assert_finished (&r);

  agen_test_next (chunks, NULL, &r);
  g_assert_nonnull (r.error);
  g_assert_false (r.ok);
  agen_test_next (chunks, NULL, &r);
  agen_test_assert_finished (&r);
  agen_test_result_clear (&r);
}

/* Subprocess --------------------------------------------------------------- */

static void
test_subprocess_lines (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) sub = NULL;
  g_autoptr(AgenGenerator) gen = NULL;
  g_autoptr(GPtrArray) lines = NULL;
  const char *expected[] = { "alpha", "beta", "gamma", NULL };

  g_test_summary ("Lines of a subprocess's stdout, then its exit status");

  sub = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error,
                          "sh", "-c", "printf 'alpha\\nbeta\\n'; sleep 0.01; printf gamma", NULL);
  g_assert_no_error (error);
  gen = agen_subprocess_lines (sub, AGEN_STREAM_FLAGS_NONE, 0);
  lines = drain_strings (gen, &error);
  g_assert_no_error (error);
  assert_lines (lines, expected);
  g_assert_true (g_subprocess_get_if_exited (sub));
}

static void
test_subprocess_lines_exit_status (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) sub = NULL;
  g_autoptr(AgenGenerator) gen = NULL;
  g_autoptr(GPtrArray) lines = NULL;
  const char *expected[] = { "x", NULL };

  g_test_summary ("A subprocess that exits with a failure status fails the "
                  "generator after its last line");

  sub = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error,
                          "sh", "-c", "echo x; exit 3", NULL);
  g_assert_no_error (error);
  gen = agen_subprocess_lines (sub, AGEN_STREAM_FLAGS_NONE, 0);
  lines = drain_strings (gen, &error);
  g_assert_error (error, G_SPAWN_EXIT_ERROR, 3);
  assert_lines (lines, expected);
}

static void
test_subprocess_lines_close_early (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) sub = NULL;
  g_autoptr(AgenGenerator) gen = NULL;
  AgenTestResult r = AGEN_TEST_RESULT_INIT;
  gboolean exited = FALSE;

  g_test_summary ("Closing early closes the pipe: a child that goes on "
                  "writing ends (SIGPIPE)");

  sub = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error, "yes", NULL);
  g_assert_no_error (error);
  gen = agen_subprocess_lines (sub, AGEN_STREAM_FLAGS_NONE, 0);
  agen_test_next (gen, NULL, &r);
  agen_test_assert_string (&r.value, "y");
  agen_test_close (gen, NULL, &r);
  g_assert_true (r.ok);
  g_assert_true (g_input_stream_is_closed (g_subprocess_get_stdout_pipe (sub)));

  /* SIGPIPE, or EPIPE where the signal is ignored: it ends either way. */
  g_subprocess_wait (sub, NULL, &error);
  g_assert_no_error (error);
  exited = g_subprocess_get_if_signaled (sub) ||
           (g_subprocess_get_if_exited (sub) && g_subprocess_get_exit_status (sub) != 0);
  g_assert_true (exited);
  agen_test_result_clear (&r);
}

/* Socket listener ---------------------------------------------------------- */

static void
connected_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  GSocketConnection **connection = user_data;
  g_autoptr(GError) error = NULL;

  *connection = g_socket_client_connect_to_host_finish (G_SOCKET_CLIENT (object),
                                                        result, &error);
  g_assert_no_error (error);
}

static void
test_socket_listener (void)
{
  g_autoptr(GSocketListener) listener = g_socket_listener_new ();
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(AgenGenerator) gen = NULL;
  g_autoptr(AgenGenerator) lines = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  GSocketConnection *outgoing[2] = { NULL, NULL };
  AgenTestResult r = AGEN_TEST_RESULT_INIT;
  guint16 port;

  g_test_summary ("Connections a listener accepts, read line by line; a "
                  "waiting step is cancelled by its cancellable");

  port = g_socket_listener_add_any_inet_port (listener, NULL, &error);
  g_assert_no_error (error);
  gen = agen_socket_listener_connections (listener);

  for (guint i = 0; i < 2; i++)
    {
      g_autofree char *line = g_strdup_printf ("client %u\n", i);
      g_autofree char *want = g_strdup_printf ("client %u", i);
      GSocketConnection *incoming;

      g_socket_client_connect_to_host_async (client, "127.0.0.1", port, NULL,
                                             connected_cb, &outgoing[i]);
      agen_test_next (gen, NULL, &r);
      g_assert_no_error (r.error);
      g_assert_true (G_VALUE_HOLDS (&r.value, G_TYPE_SOCKET_CONNECTION));
      incoming = g_value_get_object (&r.value);
      while (outgoing[i] == NULL)
        g_main_context_iteration (NULL, TRUE);

      g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (outgoing[i])),
                                 line, strlen (line), NULL, NULL, &error);
      g_assert_no_error (error);
      lines = agen_input_stream_lines (g_io_stream_get_input_stream (G_IO_STREAM (incoming)),
                                       AGEN_STREAM_FLAGS_NONE, 0);
      agen_test_result_clear (&r);
      agen_test_next (lines, NULL, &r);
      g_assert_no_error (r.error);
      agen_test_assert_string (&r.value, want);
      agen_test_close (lines, NULL, &r);
      g_clear_object (&lines);
    }

  agen_test_result_clear (&r);
  agen_generator_next_async (gen, cancellable, agen_test_next_cb, &r);
  g_cancellable_cancel (cancellable);
  agen_test_spin_until (&r.done, 5000);
  agen_test_assert_failed (&r, G_IO_ERROR, G_IO_ERROR_CANCELLED);

  for (guint i = 0; i < 2; i++)
    g_clear_object (&outgoing[i]);
  agen_test_result_clear (&r);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Agen/Gio/Lines/file-endings", test_lines_file_endings);
  g_test_add_func ("/Agen/Gio/Lines/empty", test_lines_empty);
  g_test_add_func ("/Agen/Gio/Lines/big-file", test_lines_big_file);
  g_test_add_func ("/Agen/Gio/Lines/too-long", test_lines_too_long);
  g_test_add_func ("/Agen/Gio/Lines/too-long-unterminated", test_lines_too_long_unterminated);
  g_test_add_func ("/Agen/Gio/Lines/invalid-utf8", test_lines_invalid_utf8);
  g_test_add_func ("/Agen/Gio/Lines/utf8-cases", test_lines_utf8_cases);
  g_test_add_func ("/Agen/Gio/Lines/raw", test_lines_raw);
  g_test_add_func ("/Agen/Gio/Lines/missing-file", test_lines_missing_file);
  g_test_add_func ("/Agen/Gio/Lines/pipe-pieces", test_lines_pipe_pieces);
  g_test_add_func ("/Agen/Gio/Lines/pipe-close-early", test_lines_pipe_close_early);
  g_test_add_func ("/Agen/Gio/Lines/pipe-cancel", test_lines_pipe_cancel);
  g_test_add_func ("/Agen/Gio/Lines/socket-pair", test_lines_socket_pair);
  g_test_add_func ("/Agen/Gio/Chunks/pipe", test_chunks_pipe);
  g_test_add_func ("/Agen/Gio/Chunks/close-early", test_chunks_close_early);
  g_test_add_func ("/Agen/Gio/Streams/read-error", test_stream_read_error);
  g_test_add_func ("/Agen/Gio/Subprocess/lines", test_subprocess_lines);
  g_test_add_func ("/Agen/Gio/Subprocess/exit-status", test_subprocess_lines_exit_status);
  g_test_add_func ("/Agen/Gio/Subprocess/close-early", test_subprocess_lines_close_early);
  g_test_add_func ("/Agen/Gio/SocketListener/connections", test_socket_listener);

  return g_test_run ();
}
