/* b3-next-many.c — B3, batching: agen_generator_next_many_async() delivering
 * up to N values per callback, against the per-item paths of B1
 *
 * Copyright 2026 The agen authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <agen.h>

#include "bench-loops.h"
#include "bench-util.h"

static gint batch_size = 64;

/* agen-many: a batch per callback ------------------------------------------- */

static void
many_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  AgenGenerator *gen = AGEN_GENERATOR (source);
  BenchConsumer *consumer = user_data;
  g_autoptr(GArray) values = NULL;
  g_autoptr(GError) error = NULL;

  consumer->callbacks++;

  if (agen_generator_next_many_finish (gen, result, &values, &error))
    {
      for (guint i = 0; i < values->len; i++)
        consumer->sum += g_value_get_int (&g_array_index (values, GValue, i));
      consumer->received += values->len;
      agen_generator_next_many_async (gen, batch_size, NULL, many_cb, consumer);
      return;
    }

  if (error != NULL)
    {
      g_printerr ("agen-many: %s\n", error->message);
      consumer->failed = TRUE;
    }
  g_main_loop_quit (consumer->loop);
}

static gint64
run_agen_many (guint64  iterations,
               gpointer user_data)
{
  BenchConsumer consumer;
  AgenGenerator *gen;
  gint64 start, elapsed;

  bench_consumer_init (&consumer, iterations);
  gen = agen_generator_new (bench_int_body, GINT_TO_POINTER ((gint) iterations), NULL);

  start = bench_now_ns ();
  agen_generator_next_many_async (gen, batch_size, NULL, many_cb, &consumer);
  g_main_loop_run (consumer.loop);
  elapsed = bench_now_ns () - start;

  g_object_unref (gen);

  /* A full batch per callback, bar the last ones: anything else means the
   * figure is not measuring batches of the size asked for. */
  if (consumer.callbacks > iterations / batch_size + 2)
    {
      g_printerr ("agen-many: %" G_GUINT64_FORMAT " callbacks for %" G_GUINT64_FORMAT
                  " items in batches of %d\n", consumer.callbacks, iterations, batch_size);
      consumer.failed = TRUE;
    }

  return bench_consumer_finish (&consumer, elapsed, "agen-many");
}

int
main (int    argc,
      char **argv)
{
  BenchOptions options;
  const GOptionEntry entries[] = {
    { "batch", 'b', 0, G_OPTION_ARG_INT, &batch_size,
      "Values per agen_generator_next_many_async() callback (default 64)", "N" },
    { NULL }
  };
  const BenchVariant variants[] = {
    { "gtask", "hand-written GObject iterator, one GTask per item (bench-counter.c)",
      bench_run_gtask, "gtask" },
    { "agen-next", "agen_generator_next_async(): one value per callback (as B1)",
      bench_run_agen_next, "agen-next" },
    { "agen-many", "agen_generator_next_many_async(): a batch of --batch values per callback",
      run_agen_many, NULL },
  };
  g_autofree char *title = NULL;

  bench_parse_options (&options,
                       "B3: next_many_async() delivering up to N values per callback. "
                       "Target (docs/performance.md): <= 60 ns per item at "
                       "N = 64.",
                       entries, 200000, 2000000, &argc, &argv);
  if (options.iterations > G_MAXINT || batch_size < 1)
    {
      g_printerr ("--iterations: at most %d; --batch: at least 1\n", G_MAXINT);
      return 2;
    }

  title = g_strdup_printf ("B3 batches of %d values per callback (ns per item)", batch_size);

  return bench_run_variants (title, variants, G_N_ELEMENTS (variants), 0, &options);
}
