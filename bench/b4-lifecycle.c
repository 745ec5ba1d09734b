/* b4-lifecycle.c — B4, a generator's whole life: create it, take its first
 * item, close it, drop it (stacks come from the warm per-thread pool)
 *
 * Copyright 2026 The agen authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <agen.h>

#include "bench-counter.h"
#include "bench-loops.h"
#include "bench-util.h"

/* 0, 1, 2, … until closed: close() has a suspended body to unwind. */
/* One cycle with the blocking calls; fails on anything unexpected. */
static gboolean
blocking_cycle (GError **error)
{
  g_autoptr(AgenGenerator) gen = agen_generator_new (bench_int_body, NULL, NULL);
  g_auto(GValue) value = G_VALUE_INIT;

  if (!agen_generator_next (gen, NULL, &value, error))
    return FALSE;
  if (g_value_get_int (&value) != 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, "wrong first item");
      return FALSE;
    }

  return agen_generator_close (gen, NULL, error);
}

static gint64
run_cycles (guint64 cycles,
            GError **error)
{
  gint64 start = bench_now_ns ();

  for (guint64 i = 0; i < cycles; i++)
    if (!blocking_cycle (error))
      return -1;

  return bench_now_ns () - start;
}

/* agen-plain: from plain code on the thread's stack ------------------------ */

static gint64
run_agen_plain (guint64  iterations,
                gpointer user_data)
{
  g_autoptr(GError) error = NULL;
  gint64 elapsed = run_cycles (iterations, &error);

  if (error != NULL)
    g_printerr ("agen-plain: %s\n", error->message);

  return elapsed;
}

/* agen-fiber: the same cycles inside another generator's body --------------- */

typedef struct
{
  guint64 cycles;
  gint64  elapsed;
} Driver;

static gboolean
driver_body (AgenGenerator  *self,
             gpointer        user_data,
             GError        **error)
{
  Driver *driver = user_data;

  driver->elapsed = run_cycles (driver->cycles, error);

  return driver->elapsed >= 0;
}

static gint64
run_agen_fiber (guint64  iterations,
                gpointer user_data)
{
  Driver driver = { iterations, -1 };
  g_autoptr(AgenGenerator) gen = agen_generator_new (driver_body, &driver, NULL);
  g_autoptr(GError) error = NULL;

  if (agen_generator_next (gen, NULL, NULL, &error) || error != NULL)
    {
      g_printerr ("agen-fiber: %s\n", error ? error->message : "the driver yielded");
      return -1;
    }

  return driver.elapsed;
}

/* agen-async: next_async + close_async under a GMainLoop -------------------- */

typedef struct
{
  GMainLoop *loop;
  guint64    remaining;
  gboolean   failed;
} Cycler;

static void agen_async_start (Cycler *cycler);

static void
agen_close_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  Cycler *cycler = user_data;
  g_autoptr(AgenGenerator) gen = AGEN_GENERATOR (source);   /* the cycle's reference */
  g_autoptr(GError) error = NULL;

  if (!agen_generator_close_finish (gen, result, &error))
    {
      g_printerr ("agen-async: close: %s\n", error->message);
      cycler->failed = TRUE;
      g_main_loop_quit (cycler->loop);
      return;
    }

  agen_async_start (cycler);
}

static void
agen_next_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  AgenGenerator *gen = AGEN_GENERATOR (source);
  Cycler *cycler = user_data;
  g_auto(GValue) value = G_VALUE_INIT;
  g_autoptr(GError) error = NULL;

  if (!agen_generator_next_finish (gen, result, &value, &error) ||
      g_value_get_int (&value) != 0)
    {
      g_printerr ("agen-async: next: %s\n", error ? error->message : "wrong item");
      cycler->failed = TRUE;
      g_main_loop_quit (cycler->loop);
      return;
    }

  agen_generator_close_async (gen, NULL, agen_close_cb, cycler);
}

static void
agen_async_start (Cycler *cycler)
{
  if (cycler->remaining == 0)
    {
      g_main_loop_quit (cycler->loop);
      return;
    }
  cycler->remaining--;

  /* The reference goes to agen_close_cb(). */
  agen_generator_next_async (agen_generator_new (bench_int_body, NULL, NULL), NULL,
                             agen_next_cb, cycler);
}

static gint64
run_cycler (guint64  iterations,
            void   (*start_func) (Cycler *cycler))
{
  Cycler cycler = { g_main_loop_new (NULL, FALSE), iterations, FALSE };
  gint64 start, elapsed;

  start = bench_now_ns ();
  start_func (&cycler);
  g_main_loop_run (cycler.loop);
  elapsed = bench_now_ns () - start;

  g_main_loop_unref (cycler.loop);

  return cycler.failed ? -1 : elapsed;
}

static gint64
run_agen_async (guint64  iterations,
                gpointer user_data)
{
  return run_cycler (iterations, agen_async_start);
}

/* gtask: the hand-written iterator's life: new, first item, unref ---------- */

static void gtask_start (Cycler *cycler);

static void
counter_next_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(BenchCounter) counter = BENCH_COUNTER (source);   /* the cycle's reference */
  Cycler *cycler = user_data;
  g_auto(GValue) value = G_VALUE_INIT;
  g_autoptr(GError) error = NULL;

  if (!bench_counter_next_finish (counter, result, &value, &error) ||
      g_value_get_int (&value) != 0)
    {
      g_printerr ("gtask: %s\n", error ? error->message : "wrong item");
      cycler->failed = TRUE;
      g_main_loop_quit (cycler->loop);
      return;
    }

  /* Nothing to close: dropping the object is the end of its life. */
  gtask_start (cycler);
}

static void
gtask_start (Cycler *cycler)
{
  if (cycler->remaining == 0)
    {
      g_main_loop_quit (cycler->loop);
      return;
    }
  cycler->remaining--;

  bench_counter_next_async (bench_counter_new (-1), NULL, counter_next_cb, cycler);
}

static gint64
run_gtask (guint64  iterations,
           gpointer user_data)
{
  return run_cycler (iterations, gtask_start);
}

int
main (int    argc,
      char **argv)
{
  BenchOptions options;
  const BenchVariant variants[] = {
    { "gtask", "hand-written GTask iterator: new, next_async -> callback, unref",
      run_gtask, NULL },
    { "agen-plain", "new, agen_generator_next(), agen_generator_close(), unref on the thread's stack",
      run_agen_plain, NULL },
    { "agen-fiber", "the same, called from inside another generator's body",
      run_agen_fiber, NULL },
    { "agen-async", "new, next_async -> callback, close_async -> callback, unref",
      run_agen_async, NULL },
  };
  gint64 maps_before;
  int status;

  bench_parse_options (&options,
                       "B4: a generator's life: create, first item, close, unref, with the "
                       "stack pool warm. Target (docs/performance.md): <= 1 us per "
                       "cycle (libdex: 3.2 us).",
                       NULL, 50000, 500000, &argc, &argv);

  maps_before = bench_count_mappings ();
  status = bench_run_variants ("B4 generator lifecycle (ns per cycle)",
                               variants, G_N_ELEMENTS (variants), 0, &options);
  /* A pool that works maps a stack or two at the start and none after. */
  if (status == 0 && !options.once)
    g_print ("  memory mappings before the first run: %" G_GINT64_FORMAT
             ", after the last: %" G_GINT64_FORMAT "\n\n",
             maps_before, bench_count_mappings ());

  return status;
}
