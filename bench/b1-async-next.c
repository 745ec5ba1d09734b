/* b1-async-next.c — B1, the GIO async path: next_async() → callback loop
 * under a GMainLoop, the body yielding ints without awaiting
 *
 * Copyright 2026 The agen authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <agen.h>

#include "bench-counter.h"
#include "bench-util.h"

/* What every variant's consumer keeps: the values are summed and checked
 * so that no variant can get away with skipping work. */
typedef struct
{
  GMainLoop *loop;
  guint64    limit;
  guint64    received;
  guint64    sum;
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
  consumer->failed = FALSE;
}

/* Frees the loop; returns elapsed, or -1 if the items were not 0 … limit - 1. */
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

/* agen ------------------------------------------------------------------- */

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

static void
agen_next_cb (GObject      *source,
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
      agen_generator_next_async (gen, NULL, agen_next_cb, consumer);
      return;
    }

  if (error != NULL)
    {
      g_printerr ("agen: %s\n", error->message);
      consumer->failed = TRUE;
    }
  g_main_loop_quit (consumer->loop);
}

static gint64
run_agen (guint64  iterations,
          gpointer user_data)
{
  Consumer consumer;
  AgenGenerator *gen;
  gint64 start, elapsed;

  consumer_init (&consumer, iterations);
  gen = agen_generator_new (int_body, GINT_TO_POINTER ((gint) iterations), NULL);

  /* The loop runs until the body has returned: the end of iteration is
   * part of the run, as in an `async for`. */
  start = bench_now_ns ();
  agen_generator_next_async (gen, NULL, agen_next_cb, &consumer);
  g_main_loop_run (consumer.loop);
  elapsed = bench_now_ns () - start;

  g_object_unref (gen);

  return consumer_finish (&consumer, elapsed, "agen");
}

/* The hand-written GTask iterator (bench-counter.c) ------------------------ */

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

/* The floor of any design with one main-loop pass per item ----------------- */

static gboolean
idle_cb (gpointer user_data)
{
  Consumer *consumer = user_data;

  consumer->sum += consumer->received++;
  if (consumer->received < consumer->limit)
    g_idle_add (idle_cb, consumer);
  else
    g_main_loop_quit (consumer->loop);

  return G_SOURCE_REMOVE;
}

static gint64
run_idle (guint64  iterations,
          gpointer user_data)
{
  Consumer consumer;
  gint64 start, elapsed;

  consumer_init (&consumer, iterations);

  start = bench_now_ns ();
  g_idle_add (idle_cb, &consumer);
  g_main_loop_run (consumer.loop);
  elapsed = bench_now_ns () - start;

  return consumer_finish (&consumer, elapsed, "glib-idle");
}

int
main (int    argc,
      char **argv)
{
  BenchOptions options;
  const BenchVariant variants[] = {
    { "gtask", "hand-written GObject iterator, one GTask per item (bench-counter.c)",
      run_gtask, NULL },
    { "agen", "agen_generator_next_async() callback loop, body yields G_TYPE_INT",
      run_agen, NULL },
    { "glib-idle", "reference: one g_idle_add() dispatch per item, no object, no value",
      run_idle, NULL },
  };

  bench_parse_options (&options,
                       "B1: next_async -> callback loop under a GMainLoop. "
                       "Target (issue 4): agen <= 0.5x gtask, stretch 0.43x.",
                       NULL, 100000, 1000000, &argc, &argv);
  if (options.iterations > G_MAXINT)
    {
      g_printerr ("--iterations: at most %d\n", G_MAXINT);
      return 2;
    }

  return bench_run_variants ("B1 next_async -> callback loop (ns per item)",
                             variants, G_N_ELEMENTS (variants), 0, &options);
}
