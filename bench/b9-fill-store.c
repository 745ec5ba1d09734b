/* b9-fill-store.c — B9, filling a GListStore through filter and map:
 * items per second, and the longest main-loop stall
 *
 * Copyright 2026 The agen authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <time.h>

#include <agen.h>

#include "bench-util.h"

/*
 * The pipeline a file list of a GUI would run: a source yields 2N ints
 * without awaiting, a filter keeps the even ones, a map makes a GFileInfo
 * named after each, and agen_generator_fill_list_store_async() appends them
 * to a GListStore as they arrive. N items reach the store.
 *
 * Besides the time per item, the program records the longest stretch the
 * main loop spent away from poll() (the poll function is wrapped): that is
 * the longest a window would have gone without redrawing or handling input.
 * A window must never stall more than one frame (16 ms).
 *
 * The baseline, `idle`, is what one writes without agen for the same job:
 * an idle callback that makes and filters the next items and appends 256
 * of them per dispatch with one g_list_store_splice().
 */

#define BATCH 256

/* Each stall is measured twice: in wall-clock time, which on a shared
 * machine includes the times the process was not running at all, and in
 * the thread's CPU time, which is the work the loop did between two polls
 * (what a window on a machine of its own would see). */
static gint64 poll_returned;      /* wall ns when the last poll() returned, or 0 */
static gint64 poll_returned_cpu;
static gint64 longest_stall;      /* ns, for the current run */
static gint64 longest_stall_cpu;
static GPollFunc default_poll;

static gint64
thread_cpu_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return (gint64) ts.tv_sec * G_GINT64_CONSTANT (1000000000) + ts.tv_nsec;
}

static gint
timed_poll (GPollFD *fds,
            guint    nfds,
            gint     timeout)
{
  gint64 now = bench_now_ns ();
  gint64 cpu = thread_cpu_ns ();
  gint ret;

  if (poll_returned != 0)
    {
      longest_stall = MAX (longest_stall, now - poll_returned);
      longest_stall_cpu = MAX (longest_stall_cpu, cpu - poll_returned_cpu);
    }
  ret = default_poll (fds, nfds, timeout);
  poll_returned = bench_now_ns ();
  poll_returned_cpu = thread_cpu_ns ();

  return ret;
}

typedef struct
{
  const char *name;
  GArray     *wall;        /* longest stall of each run, ns */
  GArray     *cpu;
} Stalls;

static Stalls stalls[2] = { { "idle", NULL, NULL }, { "agen", NULL, NULL } };

static void
start_timing (void)
{
  poll_returned = 0;
  longest_stall = 0;
  longest_stall_cpu = 0;
}

static void
end_timing (Stalls *s)
{
  gdouble wall = longest_stall, cpu = longest_stall_cpu;

  if (s->wall == NULL)
    {
      s->wall = g_array_new (FALSE, FALSE, sizeof (gdouble));
      s->cpu = g_array_new (FALSE, FALSE, sizeof (gdouble));
    }
  g_array_append_val (s->wall, wall);
  g_array_append_val (s->cpu, cpu);
}

/* The source: 0, 1, …, 2N − 1, without awaiting. */
static gboolean
count_body (AgenGenerator  *self,
            gpointer        user_data,
            GError        **error)
{
  guint64 n = GPOINTER_TO_SIZE (user_data);
  GValue value = G_VALUE_INIT;

  g_value_init (&value, G_TYPE_UINT64);
  for (guint64 i = 0; i < n; i++)
    {
      g_value_set_uint64 (&value, i);
      if (!agen_generator_yield (self, &value, NULL, error))
        return FALSE;
    }

  return TRUE;
}

static gboolean
is_even (GValue   *item,
         gpointer  user_data,
         GError  **error)
{
  return g_value_get_uint64 (item) % 2 == 0;
}

static GFileInfo *
make_info (guint64 i)
{
  GFileInfo *info = g_file_info_new ();
  char name[32];

  g_snprintf (name, sizeof name, "file-%07" G_GUINT64_FORMAT, i);
  g_file_info_set_name (info, name);
  g_file_info_set_file_type (info, G_FILE_TYPE_REGULAR);

  return info;
}

static gboolean
to_info (GValue   *item,
         GValue   *result,
         gpointer  user_data,
         GError  **error)
{
  g_value_init (result, G_TYPE_FILE_INFO);
  g_value_take_object (result, make_info (g_value_get_uint64 (item)));

  return TRUE;
}

typedef struct
{
  GMainLoop  *loop;
  GListStore *store;
  guint64     next;        /* idle: the next int */
  guint64     end;
  gboolean    failed;
} Run;

static gboolean
fill_idle_cb (gpointer user_data)
{
  Run *run = user_data;
  gpointer items[BATCH];
  guint n = 0;

  while (n < BATCH && run->next < run->end)
    {
      guint64 i = run->next++;

      if (i % 2 == 0)
        items[n++] = make_info (i);
    }
  g_list_store_splice (run->store, g_list_model_get_n_items (G_LIST_MODEL (run->store)),
                       0, items, n);
  for (guint j = 0; j < n; j++)
    g_object_unref (items[j]);

  if (run->next < run->end)
    return G_SOURCE_CONTINUE;
  g_main_loop_quit (run->loop);
  return G_SOURCE_REMOVE;
}

static gint64
check_run (Run     *run,
           guint64  iterations,
           gint64   start)
{
  gint64 elapsed = bench_now_ns () - start;
  guint n = g_list_model_get_n_items (G_LIST_MODEL (run->store));

  if (run->failed || n != iterations)
    {
      g_printerr ("the store got %u items, expected %" G_GUINT64_FORMAT "\n", n, iterations);
      return -1;
    }
  return elapsed;
}

static gint64
run_idle (guint64  iterations,
          gpointer user_data)
{
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(GListStore) store = g_list_store_new (G_TYPE_FILE_INFO);
  Run run = { loop, store, 0, 2 * iterations, FALSE };
  gint64 start, elapsed;

  start_timing ();
  start = bench_now_ns ();
  g_idle_add_full (G_PRIORITY_DEFAULT_IDLE, fill_idle_cb, &run, NULL);
  g_main_loop_run (loop);
  elapsed = check_run (&run, iterations, start);
  end_timing (&stalls[0]);

  return elapsed;
}

static void
filled_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  Run *run = user_data;
  g_autoptr(GError) error = NULL;

  if (!agen_generator_fill_list_store_finish (AGEN_GENERATOR (object), result, NULL, &error))
    {
      g_printerr ("%s\n", error->message);
      run->failed = TRUE;
    }
  g_main_loop_quit (run->loop);
}

static gint64
run_agen (guint64  iterations,
          gpointer user_data)
{
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(GListStore) store = g_list_store_new (G_TYPE_FILE_INFO);
  g_autoptr(AgenGenerator) source = NULL;
  g_autoptr(AgenGenerator) even = NULL;
  g_autoptr(AgenGenerator) infos = NULL;
  Run run = { loop, store, 0, 0, FALSE };
  gint64 start, elapsed;

  start_timing ();
  start = bench_now_ns ();
  source = agen_generator_new (count_body, GSIZE_TO_POINTER (2 * iterations), NULL);
  even = agen_generator_filter (source, is_even, NULL, NULL);
  infos = agen_generator_map (even, to_info, NULL, NULL);
  agen_generator_fill_list_store_async (infos, store, NULL, filled_cb, &run);
  g_main_loop_run (loop);
  elapsed = check_run (&run, iterations, start);
  end_timing (&stalls[1]);

  return elapsed;
}

int
main (int    argc,
      char **argv)
{
  BenchOptions options;
  const BenchVariant variants[] = {
    { "idle", "hand-written idle callback, 256 items per g_list_store_splice()",
      run_idle, NULL },
    { "agen", "count, filter, map, agen_generator_fill_list_store_async()",
      run_agen, NULL },
  };
  g_autofree char *title = NULL;
  int status;

  bench_parse_options (&options,
                       "B9: a GListStore filled through filter and map, with the longest "
                       "main-loop stall (--iterations: items that reach the store).",
                       NULL, 20000, 100000, &argc, &argv);

  default_poll = g_main_context_get_poll_func (NULL);
  g_main_context_set_poll_func (NULL, timed_poll);

  title = g_strdup_printf ("B9: %" G_GUINT64_FORMAT " GFileInfos into a GListStore through "
                           "filter and map", options.iterations);
  status = bench_run_variants (title, variants, G_N_ELEMENTS (variants), 0, &options);

  g_print ("  longest main-loop stall of a run, in ms: median (min-max) over the runs\n");
  for (guint i = 0; i < G_N_ELEMENTS (stalls); i++)
    if (stalls[i].wall != NULL)
      {
        gdouble median, min, max, cmedian, cmin, cmax;

        bench_stats ((gdouble *) (gpointer) stalls[i].wall->data, stalls[i].wall->len,
                     &median, &min, &max);
        bench_stats ((gdouble *) (gpointer) stalls[i].cpu->data, stalls[i].cpu->len,
                     &cmedian, &cmin, &cmax);
        g_print ("  %-8s wall %.2f (%.2f-%.2f)   thread CPU %.2f (%.2f-%.2f)\n",
                 stalls[i].name, median / 1e6, min / 1e6, max / 1e6,
                 cmedian / 1e6, cmin / 1e6, cmax / 1e6);
        g_array_unref (stalls[i].wall);
        g_array_unref (stalls[i].cpu);
      }

  return status;
}
