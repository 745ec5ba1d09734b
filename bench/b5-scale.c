/* b5-scale.c — B5, scale and memory: N generators suspended at once; RSS
 * before, at the peak, after closing them all and after malloc_trim(), and
 * the memory mappings they need
 *
 * Copyright 2026 The agen authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <string.h>

#include <agen.h>

#ifdef __GLIBC__
# include <malloc.h>
#endif

#include "bench-loops.h"
#include "bench-util.h"

/* Mappings left alone for everything else in the process (malloc arenas,
 * GLib's threads, …) when deciding whether another batch of generators
 * fits under vm.max_map_count. */
#define MAPPING_RESERVE 1024

/* 0, 1, 2, … until closed; the stack is touched the way a small real body
 * touches it. */
typedef struct
{
  guint   created;          /* how many got suspended */
  gboolean stopped_early;
  gint64  rss_before;       /* KiB */
  gint64  rss_peak;
  gint64  rss_closed;
  gint64  rss_trimmed;
  gint64  pte_before;
  gint64  pte_peak;
  gint64  maps_before;
  gint64  maps_peak;
  gint64  maps_after;
  gint64  create_ns;        /* new + first next, all of them */
  gint64  close_ns;         /* close + unref, all of them */
} Round;

static void
trim (void)
{
#ifdef __GLIBC__
  malloc_trim (0);
#endif
}

/* Whether `batch` more generators, at `per_generator` mappings each, fit. */
static gboolean
mappings_fit (gint64  max_maps,
              gint64  maps_now,
              gdouble per_generator,
              guint   batch)
{
  if (max_maps < 0)
    return TRUE;   /* unknown: hope for the best */

  return maps_now + per_generator * batch + MAPPING_RESERVE <= max_maps;
}

static gboolean
run_round (guint    count,
           Round   *round,
           GError **error)
{
  g_autoptr(GPtrArray) gens = g_ptr_array_new_full (count, NULL);
  gint64 max_maps = bench_max_mappings ();
  gdouble per_generator = 4.0;   /* a pessimistic guess until measured */
  gint64 start;

  memset (round, 0, sizeof *round);

  trim ();
  round->rss_before = bench_status_kib ("VmRSS");
  round->pte_before = bench_status_kib ("VmPTE");
  round->maps_before = bench_count_mappings ();

  /* Today every stack is a mapping of its own plus a guard split off it,
   * and running out of mappings makes the library abort. So the program
   * counts mappings as it goes and stops short of vm.max_map_count: it
   * checks after batches that halve with the room left, which keeps the
   * (slow, O(mappings)) counting rare. */
  start = bench_now_ns ();
  while (round->created < count)
    {
      gint64 maps_now = bench_count_mappings ();
      guint batch;
      gint64 room;

      if (round->created > 0)
        per_generator = MAX ((gdouble) (maps_now - round->maps_before) / round->created, 0.01);

      room = max_maps < 0 ? G_MAXINT : max_maps - MAPPING_RESERVE - maps_now;
      batch = MIN (MAX (room / per_generator / 2, 256), count - round->created);
      if (!mappings_fit (max_maps, maps_now, per_generator, batch))
        {
          round->stopped_early = TRUE;
          break;
        }

      for (guint i = 0; i < batch; i++)
        {
          AgenGenerator *gen = agen_generator_new (bench_int_body, NULL, NULL);
          g_auto(GValue) value = G_VALUE_INIT;

          g_ptr_array_add (gens, gen);
          if (!agen_generator_next (gen, NULL, &value, error))
            return FALSE;
          round->created++;
        }
    }
  round->create_ns = bench_now_ns () - start;

  round->rss_peak = bench_status_kib ("VmRSS");
  round->pte_peak = bench_status_kib ("VmPTE");
  round->maps_peak = bench_count_mappings ();

  start = bench_now_ns ();
  for (guint i = 0; i < gens->len; i++)
    {
      AgenGenerator *gen = g_ptr_array_index (gens, i);

      if (!agen_generator_close (gen, NULL, error))
        return FALSE;
      g_object_unref (gen);
    }
  g_ptr_array_set_size (gens, 0);
  round->close_ns = bench_now_ns () - start;

  round->rss_closed = bench_status_kib ("VmRSS");
  trim ();
  round->rss_trimmed = bench_status_kib ("VmRSS");
  round->maps_after = bench_count_mappings ();

  return TRUE;
}

int
main (int    argc,
      char **argv)
{
  BenchOptions options;
  gint count = 0;
  gint rounds = 3;
  const GOptionEntry entries[] = {
    { "count", 'c', 0, G_OPTION_ARG_INT, &count,
      "Generators alive at once (default 10000, with --full 100000)", "N" },
    { "rounds", 0, 0, G_OPTION_ARG_INT, &rounds,
      "Bursts one after the other (default 3): memory must come back each time", "R" },
    { NULL }
  };
  gboolean stopped_early = FALSE;
  gint64 max_maps;

  /* --iterations is accepted as a synonym of --count. */
  bench_parse_options (&options,
                       "B5: N generators suspended at once; RSS and mappings. Target "
                       "(docs/performance.md): 100,000 without touching sysctls, "
                       "<= 8 KiB RSS each, memory returned after the burst.",
                       entries, 10000, 100000, &argc, &argv);
  if (count <= 0)
    count = (gint) MIN (options.iterations, (guint64) G_MAXINT);
  if (options.once)
    rounds = 1;
  if (rounds < 1)
    rounds = 1;

  {
    /* Warm everything up that is paid once per process (types, the
     * context's dispatch source, the stack pool, the fault handler), so
     * that "before" is a fair baseline. */
    g_autoptr(AgenGenerator) gen = agen_generator_new (bench_int_body, NULL, NULL);

    agen_generator_next (gen, NULL, NULL, NULL);
    agen_generator_close (gen, NULL, NULL);
  }

  max_maps = bench_max_mappings ();
  bench_print_header ("B5 scale and memory: generators suspended at once", &options);
  g_print ("  %d generators per round, %d round%s; vm.max_map_count %" G_GINT64_FORMAT
           "; default stack size %u KiB\n\n",
           count, rounds, rounds == 1 ? "" : "s", max_maps,
           AGEN_GENERATOR_DEFAULT_STACK_SIZE / 1024);

  g_print ("  %-5s %8s %9s %9s %9s %9s %9s %9s %8s %8s %8s %8s\n",
           "round", "alive", "RSS", "RSS", "RSS", "RSS", "RSS/gen", "PTE/gen",
           "maps", "maps", "create", "close");
  g_print ("  %-5s %8s %9s %9s %9s %9s %9s %9s %8s %8s %8s %8s\n",
           "", "at peak", "before", "peak", "closed", "trimmed", "(bytes)", "(bytes)",
           "at peak", "per gen", "ns/gen", "ns/gen");
  g_print ("  %-5s %8s %9s %9s %9s %9s %9s %9s %8s %8s %8s %8s\n",
           "", "", "(KiB)", "(KiB)", "(KiB)", "(KiB)", "", "", "", "", "", "");

  for (gint r = 0; r < rounds; r++)
    {
      Round round;
      g_autoptr(GError) error = NULL;
      guint alive;

      if (!run_round (count, &round, &error))
        {
          g_printerr ("round %d: %s\n", r + 1, error->message);
          return 1;
        }

      alive = MAX (round.created, 1);
      stopped_early |= round.stopped_early;
      g_print ("  %-5d %8u %9" G_GINT64_FORMAT " %9" G_GINT64_FORMAT " %9" G_GINT64_FORMAT
               " %9" G_GINT64_FORMAT " %9.0f %9.0f %8" G_GINT64_FORMAT " %8.2f %8.0f %8.0f%s\n",
               r + 1, round.created,
               round.rss_before, round.rss_peak, round.rss_closed, round.rss_trimmed,
               (round.rss_peak - round.rss_before) * 1024.0 / alive,
               (round.pte_peak - round.pte_before) * 1024.0 / alive,
               round.maps_peak,
               (gdouble) (round.maps_peak - round.maps_before) / alive,
               (gdouble) round.create_ns / alive,
               (gdouble) round.close_ns / alive,
               round.stopped_early ? "  (stopped early)" : "");
    }

  g_print ("\n");
  if (stopped_early)
    g_print ("  STOPPED EARLY: the next batch of generators would have crossed "
             "vm.max_map_count (%" G_GINT64_FORMAT "),\n"
             "  which makes the stack allocator abort; the rows above say how many were "
             "alive at the peak.\n"
             "  This build's stacks need the mappings per generator shown above; one "
             "mapping per slab\n"
             "  of stacks (guard pages that do not split it) lifts the limit.\n\n",
             max_maps);

  g_print ("  RSS/gen = (peak - before) / alive, everything included: stack pages the "
           "body touched,\n"
           "  the GObject, its fiber and bookkeeping. PTE/gen: page tables on top "
           "(VmPTE, not in VmRSS).\n"
           "  create = agen_generator_new() + first agen_generator_next(); close = "
           "agen_generator_close() + unref.\n\n");

  /* Not an error: how far it got is the result. */
  return 0;
}
