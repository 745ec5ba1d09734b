/* b3-next-many.c — B3, batching: agen_generator_next_many_async() delivering
 * up to N values per callback, against the per-item paths of B1
 *
 * Copyright 2026 The agen authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <agen.h>

#include "bench-counter.h"
#include "bench-util.h"

static gint batch_size = 64;

typedef struct
{
  GMainLoop *loop;
  guint64    limit;
  guint64    received;
  guint64    sum;
  guint64    callbacks;
  gboolean   failed;
} Consumer;

static void
consumer_init (Consumer *consumer,
               guint64   limit)
{
  consumer->loop = g_main_loop_new (NULL, FALSE);
  consumer->limit = limit;
  consumer->received = 0;
  consumer->sum = 0;
  consumer->callbacks = 0;
  consumer->failed = FALSE;
}

static gint64
consumer_finish (Consumer   *consumer,
                 gint64      elapsed,
                 const char *name)
{
  guint64 expected = consumer->limit * (consumer->limit - 1) / 2;

  g_clear_pointer (&consumer->loop, g_main_loop_unref);

  if (consumer->failed || consumer->received != consumer->limit || consumer->sum != expected)
    {
      g_printerr ("%s: got %" G_GUINT64_FORMAT " items summing to %" G_GUINT64_FORMAT
                  ", expected %" G_GUINT64_FORMAT " summing to %" G_GUINT64_FORMAT "\n",
                  name, consumer->received, consumer->sum, consumer->limit, expected);
      return -1;
    }

  return elapsed;
}

/* The same body as B1: 0 … limit - 1, never waiting. */
static gboolean
int_body (AgenGenerator  *self,
          gpointer        user_data,
          GError        **error)
{
  gint limit = GPOINTER_TO_INT (user_data);

  for (gint i = 0; i < limit; i++)
    {
      g_auto(GValue) value = G_VALUE_INIT;

      g_value_init (&value, G_TYPE_INT);
      g_value_set_int (&value, i);
      if (!agen_generator_yield (self, &value, NULL, error))
        return FALSE;
    }

  return TRUE;
}

/* agen-many: a batch per callback ------------------------------------------- */

static void
many_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  AgenGenerator *gen = AGEN_GENERATOR (source);
  Consumer *consumer = user_data;
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
  Consumer consumer;
  AgenGenerator *gen;
  gint64 start, elapsed;

  consumer_init (&consumer, iterations);
  gen = agen_generator_new (int_body, GINT_TO_POINTER ((gint) iterations), NULL);

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

  return consumer_finish (&consumer, elapsed, "agen-many");
}

/* agen-next: one value per callback (B1's loop) ---------------------------- */

static void
next_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  AgenGenerator *gen = AGEN_GENERATOR (source);
  Consumer *consumer = user_data;
  g_auto(GValue) value = G_VALUE_INIT;
  g_autoptr(GError) error = NULL;

  if (agen_generator_next_finish (gen, result, &value, &error))
    {
      consumer->sum += g_value_get_int (&value);
      consumer->received++;
      agen_generator_next_async (gen, NULL, next_cb, consumer);
      return;
    }

  if (error != NULL)
    {
      g_printerr ("agen-next: %s\n", error->message);
      consumer->failed = TRUE;
    }
  g_main_loop_quit (consumer->loop);
}

static gint64
run_agen_next (guint64  iterations,
               gpointer user_data)
{
  Consumer consumer;
  AgenGenerator *gen;
  gint64 start, elapsed;

  consumer_init (&consumer, iterations);
  gen = agen_generator_new (int_body, GINT_TO_POINTER ((gint) iterations), NULL);

  start = bench_now_ns ();
  agen_generator_next_async (gen, NULL, next_cb, &consumer);
  g_main_loop_run (consumer.loop);
  elapsed = bench_now_ns () - start;

  g_object_unref (gen);

  return consumer_finish (&consumer, elapsed, "agen-next");
}

/* gtask: the hand-written iterator, one GTask per value --------------------- */

static void
counter_next_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  BenchCounter *counter = BENCH_COUNTER (source);
  Consumer *consumer = user_data;
  g_auto(GValue) value = G_VALUE_INIT;
  g_autoptr(GError) error = NULL;

  if (bench_counter_next_finish (counter, result, &value, &error))
    {
      consumer->sum += g_value_get_int (&value);
      consumer->received++;
      bench_counter_next_async (counter, NULL, counter_next_cb, consumer);
      return;
    }

  if (error != NULL)
    {
      g_printerr ("gtask: %s\n", error->message);
      consumer->failed = TRUE;
    }
  g_main_loop_quit (consumer->loop);
}

static gint64
run_gtask (guint64  iterations,
           gpointer user_data)
{
  Consumer consumer;
  BenchCounter *counter;
  gint64 start, elapsed;

  consumer_init (&consumer, iterations);
  counter = bench_counter_new ((gint) iterations);

  start = bench_now_ns ();
  bench_counter_next_async (counter, NULL, counter_next_cb, &consumer);
  g_main_loop_run (consumer.loop);
  elapsed = bench_now_ns () - start;

  g_object_unref (counter);

  return consumer_finish (&consumer, elapsed, "gtask");
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
      run_gtask, NULL },
    { "agen-next", "agen_generator_next_async(): one value per callback (as B1)",
      run_agen_next, NULL },
    { "agen-many", "agen_generator_next_many_async(): a batch of --batch values per callback",
      run_agen_many, NULL },
  };
  g_autofree char *title = NULL;

  bench_parse_options (&options,
                       "B3: next_many_async() delivering up to N values per callback. "
                       "Target (issue 4): <= 60 ns per item at N = 64.",
                       entries, 200000, 2000000, &argc, &argv);
  if (options.iterations > G_MAXINT || batch_size < 1)
    {
      g_printerr ("--iterations: at most %d; --batch: at least 1\n", G_MAXINT);
      return 2;
    }

  title = g_strdup_printf ("B3 batches of %d values per callback (ns per item)", batch_size);

  return bench_run_variants (title, variants, G_N_ELEMENTS (variants), 0, &options);
}
