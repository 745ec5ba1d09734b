/* bench-util.c — timing, statistics, option parsing and /proc helpers
 *
 * Copyright 2026 The agen authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <time.h>

#include "bench-util.h"

#ifndef BENCH_BUILDTYPE
# define BENCH_BUILDTYPE "unknown"
#endif

gint64
bench_now_ns (void)
{
  struct timespec ts;

  /* Not g_get_monotonic_time(): microseconds are too coarse for the
   * callgrind-sized runs. */
  clock_gettime (CLOCK_MONOTONIC, &ts);

  return (gint64) ts.tv_sec * G_GINT64_CONSTANT (1000000000) + ts.tv_nsec;
}

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  gdouble x = *(const gdouble *) a;
  gdouble y = *(const gdouble *) b;

  return (x > y) - (x < y);
}

void
bench_stats (gdouble *values,
             guint    n,
             gdouble *median,
             gdouble *min,
             gdouble *max)
{
  g_return_if_fail (n > 0);

  qsort (values, n, sizeof *values, compare_doubles);

  *min = values[0];
  *max = values[n - 1];
  if (n % 2 == 1)
    *median = values[n / 2];
  else
    *median = (values[n / 2 - 1] + values[n / 2]) / 2.0;
}

gint64
bench_status_kib (const char *field)
{
  FILE *file = fopen ("/proc/self/status", "re");
  gsize field_len = strlen (field);
  char line[256];
  gint64 kib = -1;

  if (file == NULL)
    return -1;

  while (fgets (line, sizeof line, file) != NULL)
    {
      if (strncmp (line, field, field_len) == 0 && line[field_len] == ':')
        {
          kib = g_ascii_strtoll (line + field_len + 1, NULL, 10);
          break;
        }
    }

  fclose (file);

  return kib;
}

gint64
bench_count_mappings (void)
{
  FILE *file = fopen ("/proc/self/maps", "re");
  char buffer[65536];
  gsize n_read;
  gint64 lines = 0;

  if (file == NULL)
    return -1;

  /* Counted in blocks rather than read whole: with 100,000 generators the
   * file is several megabytes. */
  while ((n_read = fread (buffer, 1, sizeof buffer, file)) > 0)
    {
      const char *p = buffer;
      const char *end = buffer + n_read;

      while ((p = memchr (p, '\n', end - p)) != NULL)
        {
          lines++;
          p++;
        }
    }

  fclose (file);

  return lines;
}

gint64
bench_max_mappings (void)
{
  g_autofree char *contents = NULL;

  if (!g_file_get_contents ("/proc/sys/vm/max_map_count", &contents, NULL, NULL))
    return -1;

  return g_ascii_strtoll (contents, NULL, 10);
}

guint64
bench_raise_fd_limit (void)
{
  struct rlimit limit;

  if (getrlimit (RLIMIT_NOFILE, &limit) != 0)
    return 0;

  if (limit.rlim_cur < limit.rlim_max)
    {
      limit.rlim_cur = limit.rlim_max;
      if (setrlimit (RLIMIT_NOFILE, &limit) != 0)
        getrlimit (RLIMIT_NOFILE, &limit);
    }

  return limit.rlim_cur;
}

void
bench_parse_options (BenchOptions       *options,
                     const char         *summary,
                     const GOptionEntry *extra,
                     guint64             quick_iterations,
                     guint64             full_iterations,
                     int                *argc,
                     char             ***argv)
{
  gint64 iterations = 0;
  gint runs = 7;
  gint warmup = 1;
  const char *env;
  GOptionEntry entries[] = {
    { "iterations", 'n', 0, G_OPTION_ARG_INT64, &iterations,
      "Items per run (default: the quick size, or the full one with --full)", "N" },
    { "runs", 'r', 0, G_OPTION_ARG_INT, &runs, "Measured runs per variant (default 7)", "R" },
    { "warmup", 'w', 0, G_OPTION_ARG_INT, &warmup, "Unmeasured runs first (default 1)", "W" },
    { "full", 0, 0, G_OPTION_ARG_NONE, &options->full,
      "The big sizes (also AGEN_BENCH_FULL=1)", NULL },
    { "once", 0, 0, G_OPTION_ARG_NONE, &options->once,
      "One run per selected variant, no warm-up, no table (for valgrind)", NULL },
    { "variant", 0, 0, G_OPTION_ARG_STRING, &options->variant,
      "Only these variants (comma-separated names)", "NAME" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;

  memset (options, 0, sizeof *options);

  env = g_getenv ("AGEN_BENCH_FULL");
  if (env != NULL && *env != '\0' && strcmp (env, "0") != 0)
    options->full = TRUE;

  context = g_option_context_new (NULL);
  g_option_context_set_summary (context, summary);
  g_option_context_add_main_entries (context, entries, NULL);
  if (extra != NULL)
    g_option_context_add_main_entries (context, extra, NULL);

  if (!g_option_context_parse (context, argc, argv, &error))
    {
      g_printerr ("%s\n", error->message);
      exit (2);
    }

  if (iterations < 0 || runs < 1 || warmup < 0)
    {
      g_printerr ("--iterations, --runs and --warmup must be positive\n");
      exit (2);
    }

  options->runs = runs;
  options->warmup = warmup;
  if (iterations > 0)
    options->iterations = iterations;
  else
    options->iterations = options->full ? full_iterations : quick_iterations;
}

gboolean
bench_variant_selected (const BenchOptions *options,
                        const char         *name)
{
  g_auto(GStrv) names = NULL;

  if (options->variant == NULL)
    return TRUE;

  names = g_strsplit (options->variant, ",", -1);

  return g_strv_contains ((const char * const *) names, name);
}

void
bench_print_header (const char         *title,
                    const BenchOptions *options)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *date = g_date_time_format (now, "%Y-%m-%d %H:%M");
  struct utsname uts;

  if (uname (&uts) != 0)
    memset (&uts, 0, sizeof uts);

  g_print ("%s\n", title);
  g_print ("  %s, %s %s %s, %u CPUs, GLib %u.%u.%u, %s build\n",
           date, uts.sysname, uts.release, uts.machine,
           g_get_num_processors (),
           glib_major_version, glib_minor_version, glib_micro_version,
           BENCH_BUILDTYPE);
}

int
bench_run_variants (const char         *title,
                    const BenchVariant *variants,
                    guint               n_variants,
                    guint               baseline,
                    const BenchOptions *options)
{
  g_autofree gdouble *samples = g_new0 (gdouble, (gsize) n_variants * options->runs);
  g_autofree gboolean *selected = g_new0 (gboolean, n_variants);
  gdouble baseline_median = 0.0;
  guint n_selected = 0;

  for (guint v = 0; v < n_variants; v++)
    {
      selected[v] = bench_variant_selected (options, variants[v].name);
      n_selected += selected[v] ? 1 : 0;
    }

  if (n_selected == 0)
    {
      g_printerr ("No variant named \"%s\"; the variants are:", options->variant);
      for (guint v = 0; v < n_variants; v++)
        g_printerr (" %s", variants[v].name);
      g_printerr ("\n");
      return 2;
    }

  bench_print_header (title, options);
  if (!options->once)
    g_print ("  %" G_GUINT64_FORMAT " items per run, median of %u runs after %u warm-up%s,"
             " variants interleaved\n",
             options->iterations, options->runs, options->warmup,
             options->warmup == 1 ? "" : "s");

  if (options->once)
    {
      for (guint v = 0; v < n_variants; v++)
        {
          gint64 ns;

          if (!selected[v])
            continue;

          ns = variants[v].run (options->iterations, variants[v].user_data);
          if (ns < 0)
            {
              g_printerr ("%s: the run failed\n", variants[v].name);
              return 1;
            }
          g_print ("  %-18s %" G_GUINT64_FORMAT " items, %.1f ns/item\n",
                   variants[v].name, options->iterations,
                   (gdouble) ns / options->iterations);
        }

      return 0;
    }

  for (guint round = 0; round < options->warmup + options->runs; round++)
    {
      for (guint v = 0; v < n_variants; v++)
        {
          gint64 ns;

          if (!selected[v])
            continue;

          ns = variants[v].run (options->iterations, variants[v].user_data);
          if (ns < 0)
            {
              g_printerr ("%s: run %u failed\n", variants[v].name, round);
              return 1;
            }

          if (round >= options->warmup)
            samples[v * options->runs + round - options->warmup] =
              (gdouble) ns / options->iterations;
        }
    }

  g_print ("\n  %-18s %10s %10s %10s %12s %9s\n",
           "variant", "median", "min", "max", "items/s", "ratio");
  g_print ("  %-18s %10s %10s %10s %12s %9s\n",
           "", "ns/item", "ns/item", "ns/item", "(median)", "(median)");

  if (baseline < n_variants && selected[baseline])
    {
      gdouble min, max;

      bench_stats (samples + baseline * options->runs, options->runs,
                   &baseline_median, &min, &max);
    }

  for (guint v = 0; v < n_variants; v++)
    {
      gdouble median, min, max;
      g_autofree char *ratio = NULL;

      if (!selected[v])
        continue;

      bench_stats (samples + v * options->runs, options->runs, &median, &min, &max);

      if (v == baseline)
        ratio = g_strdup ("baseline");
      else if (baseline_median > 0.0)
        ratio = g_strdup_printf ("%.2fx", median / baseline_median);
      else
        ratio = g_strdup ("-");

      g_print ("  %-18s %10.1f %10.1f %10.1f %12.0f %9s\n",
               variants[v].name, median, min, max, 1e9 / median, ratio);
    }

  g_print ("\n");
  for (guint v = 0; v < n_variants; v++)
    if (selected[v])
      g_print ("  %-18s %s\n", variants[v].name, variants[v].description);
  g_print ("\n");

  return 0;
}
