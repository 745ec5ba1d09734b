/* b6-pipes.c — B6, real I/O concurrency: many generators each awaiting a
 * read on its own pipe, consumed concurrently, against the same workload
 * written with plain GIO callbacks
 *
 * Copyright 2026 The agen authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <errno.h>
#include <unistd.h>

#include <agen.h>
#include <gio/gunixinputstream.h>
#include <glib-unix.h>

#include "bench-util.h"

/*
 * The workload, the same in both variants: P pipes, K items each. An item
 * is one 8-byte message, read with g_input_stream_read_async() on a
 * GUnixInputStream. The writer sends a pipe's next message only once its
 * previous item has been consumed *and the next read is pending*, so every
 * read really waits for the pipe to become readable (through poll() in the
 * main loop) rather than finding data already there. With P pipes in
 * flight, a main-loop iteration finds many of them ready at once.
 */

typedef struct _Workload Workload;

typedef struct
{
  Workload      *workload;
  int            write_fd;
  GInputStream  *stream;
  guint64        message;     /* the read buffer */
  guint          consumed;
  AgenGenerator *gen;
} Pipe;

struct _Workload
{
  GMainLoop *loop;
  Pipe      *pipes;
  guint      n_pipes;
  guint      items;           /* per pipe */
  guint      finished;        /* pipes done */
  guint64    consumed;        /* items, all pipes */
  gboolean   failed;
};

static guint n_pipes_option;

static void
workload_fail (Workload   *workload,
               const char *format,
               ...) G_GNUC_PRINTF (2, 3);

static void
workload_fail (Workload   *workload,
               const char *format,
               ...)
{
  va_list args;

  /* Only the first failure: the others are usually its consequences. */
  if (!workload->failed)
    {
      g_autofree char *message = NULL;

      va_start (args, format);
      message = g_strdup_vprintf (format, args);
      va_end (args);
      g_printerr ("%s\n", message);
    }
  workload->failed = TRUE;
  g_main_loop_quit (workload->loop);
}

static void
pipe_write (Pipe    *pipe,
            guint64  message)
{
  ssize_t n;

  do
    n = write (pipe->write_fd, &message, sizeof message);
  while (n < 0 && errno == EINTR);

  if (n != sizeof message)
    workload_fail (pipe->workload, "write: %s", n < 0 ? g_strerror (errno) : "short write");
}

static gboolean
workload_setup (Workload *workload,
                guint     n_pipes,
                guint     items)
{
  workload->loop = g_main_loop_new (NULL, FALSE);
  workload->pipes = g_new0 (Pipe, n_pipes);
  workload->n_pipes = 0;
  workload->items = items;
  workload->finished = 0;
  workload->consumed = 0;
  workload->failed = FALSE;

  for (guint i = 0; i < n_pipes; i++)
    {
      Pipe *pipe = &workload->pipes[i];
      g_autoptr(GError) error = NULL;
      int fds[2];

      if (!g_unix_open_pipe (fds, FD_CLOEXEC, &error) ||
          !g_unix_set_fd_nonblocking (fds[0], TRUE, &error) ||
          !g_unix_set_fd_nonblocking (fds[1], TRUE, &error))
        {
          g_printerr ("pipe %u: %s\n", i, error->message);
          return FALSE;
        }

      pipe->workload = workload;
      pipe->write_fd = fds[1];
      pipe->stream = g_unix_input_stream_new (fds[0], TRUE);
      workload->n_pipes++;
    }

  return TRUE;
}

/* Returns elapsed, or -1 if anything went wrong. */
static gint64
workload_teardown (Workload *workload,
                   gint64    elapsed)
{
  guint64 expected = (guint64) workload->n_pipes * workload->items;

  for (guint i = 0; i < workload->n_pipes; i++)
    {
      Pipe *pipe = &workload->pipes[i];

      g_clear_object (&pipe->gen);
      g_clear_object (&pipe->stream);   /* closes the read end */
      close (pipe->write_fd);
    }
  g_clear_pointer (&workload->pipes, g_free);
  g_clear_pointer (&workload->loop, g_main_loop_unref);

  if (workload->failed || workload->consumed != expected)
    {
      g_printerr ("consumed %" G_GUINT64_FORMAT " items, expected %" G_GUINT64_FORMAT "\n",
                  workload->consumed, expected);
      return -1;
    }

  return elapsed;
}

static void
workload_pipe_finished (Workload *workload)
{
  if (++workload->finished == workload->n_pipes)
    g_main_loop_quit (workload->loop);
}

/* Splits the iteration count into pipes × items, as run() only gets the
 * total. */
static gboolean
workload_shape (guint64  iterations,
                guint   *n_pipes,
                guint   *items)
{
  *n_pipes = n_pipes_option;
  *items = iterations / n_pipes_option;

  return *items > 0;
}

/* agen: one generator per pipe ---------------------------------------------- */

static gboolean
pipe_body (AgenGenerator  *self,
           gpointer        user_data,
           GError        **error)
{
  Pipe *pipe = user_data;

  for (guint i = 0; i < pipe->workload->items; i++)
    {
      g_auto(GValue) value = G_VALUE_INIT;
      gssize n;

      g_input_stream_read_async (pipe->stream, &pipe->message, sizeof pipe->message,
                                 G_PRIORITY_DEFAULT, agen_generator_get_cancellable (self),
                                 AGEN_AWAIT_CALLBACK (self));
      n = g_input_stream_read_finish (pipe->stream, agen_generator_await (self), error);
      if (n < 0)
        return FALSE;
      if (n != sizeof pipe->message)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_PARTIAL_INPUT,
                       "read %" G_GSSIZE_FORMAT " bytes", n);
          return FALSE;
        }

      g_value_init (&value, G_TYPE_INT);
      g_value_set_int (&value, (gint) pipe->message);
      if (!agen_generator_yield (self, &value, NULL, error))
        return FALSE;
    }

  return TRUE;
}

static void
pipe_next_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Pipe *pipe = user_data;
  Workload *workload = pipe->workload;
  g_auto(GValue) value = G_VALUE_INIT;
  g_autoptr(GError) error = NULL;

  if (agen_generator_next_finish (pipe->gen, result, &value, &error))
    {
      if (g_value_get_int (&value) != (gint) pipe->consumed)
        {
          workload_fail (workload, "agen: item %d, expected %u",
                         g_value_get_int (&value), pipe->consumed);
          return;
        }
      pipe->consumed++;
      workload->consumed++;

      /* Ask first, so that the body is waiting on the pipe when the
       * message arrives. */
      agen_generator_next_async (pipe->gen, NULL, pipe_next_cb, pipe);
      if (pipe->consumed < workload->items)
        pipe_write (pipe, pipe->consumed);
      return;
    }

  if (error != NULL)
    {
      workload_fail (workload, "agen: %s", error->message);
      return;
    }

  workload_pipe_finished (workload);
}

static gint64
run_agen (guint64  iterations,
          gpointer user_data)
{
  Workload workload;
  guint n_pipes, items;
  gint64 start, elapsed = -1;

  if (!workload_shape (iterations, &n_pipes, &items))
    return -1;
  if (workload_setup (&workload, n_pipes, items))
    {
      for (guint i = 0; i < workload.n_pipes; i++)
        workload.pipes[i].gen = agen_generator_new (pipe_body, &workload.pipes[i], NULL);

      start = bench_now_ns ();
      for (guint i = 0; i < workload.n_pipes; i++)
        agen_generator_next_async (workload.pipes[i].gen, NULL, pipe_next_cb, &workload.pipes[i]);
      for (guint i = 0; i < workload.n_pipes; i++)
        pipe_write (&workload.pipes[i], 0);
      g_main_loop_run (workload.loop);
      elapsed = bench_now_ns () - start;
    }

  return workload_teardown (&workload, elapsed);
}

/* gio: a read callback per pipe that re-arms itself ------------------------- */

static void
pipe_read_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Pipe *pipe = user_data;
  Workload *workload = pipe->workload;
  g_autoptr(GError) error = NULL;
  gssize n;

  n = g_input_stream_read_finish (pipe->stream, result, &error);
  if (n != sizeof pipe->message)
    {
      workload_fail (workload, "gio: %s", error ? error->message : "short read");
      return;
    }
  if (pipe->message != pipe->consumed)
    {
      workload_fail (workload, "gio: item %" G_GUINT64_FORMAT ", expected %u",
                     pipe->message, pipe->consumed);
      return;
    }
  pipe->consumed++;
  workload->consumed++;

  if (pipe->consumed == workload->items)
    {
      workload_pipe_finished (workload);
      return;
    }

  g_input_stream_read_async (pipe->stream, &pipe->message, sizeof pipe->message,
                             G_PRIORITY_DEFAULT, NULL, pipe_read_cb, pipe);
  pipe_write (pipe, pipe->consumed);
}

static gint64
run_gio (guint64  iterations,
         gpointer user_data)
{
  Workload workload;
  guint n_pipes, items;
  gint64 start, elapsed = -1;

  if (!workload_shape (iterations, &n_pipes, &items))
    return -1;
  if (workload_setup (&workload, n_pipes, items))
    {
      start = bench_now_ns ();
      for (guint i = 0; i < workload.n_pipes; i++)
        {
          Pipe *pipe = &workload.pipes[i];

          g_input_stream_read_async (pipe->stream, &pipe->message, sizeof pipe->message,
                                     G_PRIORITY_DEFAULT, NULL, pipe_read_cb, pipe);
        }
      for (guint i = 0; i < workload.n_pipes; i++)
        pipe_write (&workload.pipes[i], 0);
      g_main_loop_run (workload.loop);
      elapsed = bench_now_ns () - start;
    }

  return workload_teardown (&workload, elapsed);
}

int
main (int    argc,
      char **argv)
{
  BenchOptions options;
  gint n_pipes = 0;
  gint items = 0;
  const GOptionEntry entries[] = {
    { "pipes", 'p', 0, G_OPTION_ARG_INT, &n_pipes,
      "Pipes, one generator each (default 1000, with --full 5000)", "P" },
    { "items", 'k', 0, G_OPTION_ARG_INT, &items,
      "Items per pipe (default 20, with --full 100)", "K" },
    { NULL }
  };
  const BenchVariant variants[] = {
    { "gio", "plain GIO: a read_async callback per pipe that re-arms itself",
      run_gio, NULL },
    { "agen", "a generator per pipe awaiting read_async, consumed with next_async callbacks",
      run_agen, NULL },
  };
  guint64 fd_limit;
  g_autofree char *title = NULL;

  bench_parse_options (&options,
                       "B6: P generators each awaiting a pipe read per item, consumed "
                       "concurrently, against plain GIO callbacks (--iterations is ignored: "
                       "use --pipes and --items).",
                       entries, 1, 1, &argc, &argv);
  if (n_pipes <= 0)
    n_pipes = options.full ? 5000 : 1000;
  if (items <= 0)
    items = options.full ? 100 : 20;

  /* Two descriptors per pipe, plus a few for GLib. */
  fd_limit = bench_raise_fd_limit ();
  if ((guint64) n_pipes * 2 + 64 > fd_limit)
    {
      g_printerr ("%d pipes need %d file descriptors; RLIMIT_NOFILE is %" G_GUINT64_FORMAT "\n",
                  n_pipes, n_pipes * 2 + 64, fd_limit);
      return 1;
    }

  n_pipes_option = n_pipes;
  options.iterations = (guint64) n_pipes * items;

  title = g_strdup_printf ("B6 %d pipes x %d items, consumed concurrently (ns per item; "
                           "RLIMIT_NOFILE %" G_GUINT64_FORMAT ")",
                           n_pipes, items, fd_limit);

  return bench_run_variants (title, variants, G_N_ELEMENTS (variants), 0, &options);
}
