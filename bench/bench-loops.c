/* bench-loops.c — the consumer loops and body several benchmarks share
 *
 * Copyright 2026 The agen authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "bench-loops.h"

#include "bench-counter.h"
#include "bench-util.h"

void
bench_consumer_init (BenchConsumer *consumer,
                     guint64        limit)
{
  consumer->loop = g_main_loop_new (NULL, FALSE);
  consumer->limit = limit;
  consumer->received = 0;
  consumer->sum = 0;
  consumer->callbacks = 0;
  consumer->failed = FALSE;
}

gint64
bench_consumer_finish (BenchConsumer *consumer,
                       gint64         elapsed,
                       const char    *name)
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

gboolean
bench_int_body (AgenGenerator  *self,
                gpointer        user_data,
                GError        **error)
{
  gint limit = GPOINTER_TO_INT (user_data);

  for (gint i = 0; limit == 0 || i < limit; i++)
    {
      g_auto(GValue) value = G_VALUE_INIT;

      g_value_init (&value, G_TYPE_INT);
      g_value_set_int (&value, i);
      if (!agen_generator_yield (self, &value, NULL, error))
        return FALSE;
    }

  return TRUE;
}

typedef struct
{
  gint next;
  gint limit;
} IntStep;

static gboolean
int_step (AgenGenerator  *gen,
          AgenStepKind    kind,
          GValue         *value,
          GError         *thrown,
          GCancellable   *cancellable,
          gpointer        user_data,
          GError        **error)
{
  IntStep *step = user_data;
  g_auto(GValue) out = G_VALUE_INIT;

  if (kind == AGEN_STEP_THROW || kind == AGEN_STEP_CLOSE)
    {
      agen_generator_answer_error (gen, thrown);
      return TRUE;
    }

  if (step->limit != 0 && step->next >= step->limit)
    {
      agen_generator_answer_return (gen, NULL);
      return TRUE;
    }

  g_value_init (&out, G_TYPE_INT);
  g_value_set_int (&out, step->next++);
  agen_generator_answer_yield (gen, &out);

  return TRUE;
}

AgenGenerator *
bench_int_driven_new (gint limit)
{
  IntStep *step = g_new0 (IntStep, 1);

  step->limit = limit;

  return agen_generator_new_driven (int_step, step, g_free);
}

/* Ends the loop; an error (not the end) marks the run failed. */
static void
consumer_stop (BenchConsumer *consumer,
               const char    *name,
               GError        *error)
{
  if (error != NULL)
    {
      g_printerr ("%s: %s\n", name, error->message);
      consumer->failed = TRUE;
    }
  g_main_loop_quit (consumer->loop);
}

typedef struct
{
  BenchConsumer  consumer;
  const char    *name;
} NamedConsumer;

static void
agen_next_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  AgenGenerator *gen = AGEN_GENERATOR (source);
  NamedConsumer *named = user_data;
  g_auto(GValue) value = G_VALUE_INIT;
  g_autoptr(GError) error = NULL;

  if (agen_generator_next_finish (gen, result, &value, &error))
    {
      named->consumer.sum += g_value_get_int (&value);
      named->consumer.received++;
      agen_generator_next_async (gen, NULL, agen_next_cb, named);
      return;
    }

  consumer_stop (&named->consumer, named->name, error);
}

/* The callback loop over gen (taken), timed. */
static gint64
run_agen_next_loop (AgenGenerator *gen,
                    guint64        iterations,
                    const char    *name)
{
  NamedConsumer named = { .name = name };
  gint64 start, elapsed;

  bench_consumer_init (&named.consumer, iterations);

  /* The loop runs until the body has returned: the end of iteration is
   * part of the run, as in an `async for`. */
  start = bench_now_ns ();
  agen_generator_next_async (gen, NULL, agen_next_cb, &named);
  g_main_loop_run (named.consumer.loop);
  elapsed = bench_now_ns () - start;

  g_object_unref (gen);

  return bench_consumer_finish (&named.consumer, elapsed, named.name);
}

gint64
bench_run_agen_next (guint64  iterations,
                     gpointer user_data)
{
  return run_agen_next_loop (agen_generator_new (bench_int_body,
                                                 GINT_TO_POINTER ((gint) iterations), NULL),
                             iterations, user_data);
}

gint64
bench_run_agen_driven_next (guint64  iterations,
                            gpointer user_data)
{
  return run_agen_next_loop (bench_int_driven_new ((gint) iterations), iterations, user_data);
}

static void
counter_next_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  BenchCounter *counter = BENCH_COUNTER (source);
  NamedConsumer *named = user_data;
  g_auto(GValue) value = G_VALUE_INIT;
  g_autoptr(GError) error = NULL;

  if (bench_counter_next_finish (counter, result, &value, &error))
    {
      named->consumer.sum += g_value_get_int (&value);
      named->consumer.received++;
      bench_counter_next_async (counter, NULL, counter_next_cb, named);
      return;
    }

  consumer_stop (&named->consumer, named->name, error);
}

gint64
bench_run_gtask (guint64  iterations,
                 gpointer user_data)
{
  NamedConsumer named = { .name = user_data };
  BenchCounter *counter;
  gint64 start, elapsed;

  bench_consumer_init (&named.consumer, iterations);
  counter = bench_counter_new ((gint) iterations);

  start = bench_now_ns ();
  bench_counter_next_async (counter, NULL, counter_next_cb, &named);
  g_main_loop_run (named.consumer.loop);
  elapsed = bench_now_ns () - start;

  g_object_unref (counter);

  return bench_consumer_finish (&named.consumer, elapsed, named.name);
}
