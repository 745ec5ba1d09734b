/* bench-util.h — timing, statistics, option parsing and /proc helpers
 * shared by the benchmark programs
 *
 * Copyright 2026 The agen authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Options every benchmark program understands. */
typedef struct
{
  guint     runs;          /* measured runs per variant (median of these) */
  guint     warmup;        /* unmeasured runs per variant first */
  guint64   iterations;    /* items per run; 0 until parsed = the default */
  gboolean  full;          /* --full or AGEN_BENCH_FULL=1: the big sizes */
  gboolean  once;          /* one run, no warm-up, no table: for valgrind */
  char     *variant;       /* only this variant (comma-separated list), or NULL */
} BenchOptions;

/* One way of doing the work a benchmark measures. run() does its own set-up
 * and tear-down and returns the nanoseconds spent in the measured part for
 * `iterations` items, or a negative number if the work went wrong (wrong
 * values, an error): the program then fails. */
typedef struct
{
  const char *name;
  const char *description;
  gint64    (*run) (guint64  iterations,
                    gpointer user_data);
  gpointer    user_data;
} BenchVariant;

/* Parses argv: the common options, plus `extra` (NULL-terminated, may be
 * NULL) for the program's own. quick and full are the default iteration
 * counts. Exits with a message on a bad command line. */
void      bench_parse_options   (BenchOptions       *options,
                                 const char         *summary,
                                 const GOptionEntry *extra,
                                 guint64             quick_iterations,
                                 guint64             full_iterations,
                                 int                *argc,
                                 char             ***argv);

/* Whether the --variant filter lets this variant run. */
gboolean  bench_variant_selected (const BenchOptions *options,
                                  const char         *name);

/* Runs the variants round-robin (variant 0, 1, …, then again), so that a
 * slow patch of a noisy machine hits every variant alike, and prints one
 * table row per variant: median, min and max ns per item over
 * options->runs runs and the ratio of the medians against the variant at
 * index `baseline` (or no ratio if baseline is out of range or filtered
 * out). With options->once, runs each selected variant once and prints its
 * ns per item: the mode to run under valgrind. Returns the exit status. */
int       bench_run_variants    (const char         *title,
                                 const BenchVariant *variants,
                                 guint               n_variants,
                                 guint               baseline,
                                 const BenchOptions *options);

/* CLOCK_MONOTONIC in nanoseconds. */
gint64    bench_now_ns          (void);

/* Median, min and max of n values (n > 0); values is left sorted. */
void      bench_stats           (gdouble            *values,
                                 guint               n,
                                 gdouble            *median,
                                 gdouble            *min,
                                 gdouble            *max);

/* A field of /proc/self/status in KiB ("VmRSS", "VmPTE", …), or -1. */
gint64    bench_status_kib      (const char         *field);

/* Lines of /proc/self/maps: how many memory mappings the process has. */
gint64    bench_count_mappings  (void);

/* vm.max_map_count, or -1 if unknown. */
gint64    bench_max_mappings    (void);

/* Raises RLIMIT_NOFILE's soft limit to its hard limit; returns the limit
 * now in force. */
guint64   bench_raise_fd_limit  (void);

/* Prints the common header: what, when, where, how many runs. */
void      bench_print_header    (const char         *title,
                                 const BenchOptions *options);

G_END_DECLS
