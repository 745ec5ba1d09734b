/* b1-async-next.c — B1, the GIO async path: next_async() → callback loop
 * under a GMainLoop, the body yielding ints without awaiting
 *
 * Copyright 2026 The agen authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <agen.h>

#include "bench-loops.h"
#include "bench-util.h"

/* The floor of any design with one main-loop pass per item ----------------- */

static gboolean
idle_cb (gpointer user_data)
{
  BenchConsumer *consumer = user_data;

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
  BenchConsumer consumer;
  gint64 start, elapsed;

  bench_consumer_init (&consumer, iterations);

  start = bench_now_ns ();
  g_idle_add (idle_cb, &consumer);
  g_main_loop_run (consumer.loop);
  elapsed = bench_now_ns () - start;

  return bench_consumer_finish (&consumer, elapsed, "glib-idle");
}

int
main (int    argc,
      char **argv)
{
  BenchOptions options;
  const BenchVariant variants[] = {
    { "gtask", "hand-written GObject iterator, one GTask per item (bench-counter.c)",
      bench_run_gtask, "gtask" },
    { "agen", "agen_generator_next_async() callback loop, body yields G_TYPE_INT",
      bench_run_agen_next, "agen" },
    { "agen-driven", "the agen loop over a driven generator, a C step function answering "
      "each next at once (bench-loops.c)",
      bench_run_agen_driven_next, "agen-driven" },
    { "glib-idle", "reference: one g_idle_add() dispatch per item, no object, no value",
      run_idle, NULL },
  };

  bench_parse_options (&options,
                       "B1: next_async -> callback loop under a GMainLoop. "
                       "Target (docs/performance.md): agen <= 0.5x gtask, stretch 0.43x. "
                       "agen-driven: the same loop over a driven generator "
                       "(agen_generator_new_driven), to compare with agen.",
                       NULL, 100000, 1000000, &argc, &argv);
  if (options.iterations > G_MAXINT)
    {
      g_printerr ("--iterations: at most %d\n", G_MAXINT);
      return 2;
    }

  return bench_run_variants ("B1 next_async -> callback loop (ns per item)",
                             variants, G_N_ELEMENTS (variants), 0, &options);
}
