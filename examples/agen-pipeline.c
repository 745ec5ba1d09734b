/* agen-pipeline.c — a pipeline of generators, consumed with the blocking
 * API: two ranges chained with yield_from, the odd numbers kept, squared.
 *
 * usage: agen-pipeline
 *
 * Copyright 2026 The agen authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <locale.h>

#include <agen.h>

/* range (from, to): yields from … to - 1. */
typedef struct { int from, to; } Range;

static gboolean
range (AgenGenerator *self, gpointer user_data, GError **error)
{
  Range *r = user_data;

  for (int i = r->from; i < r->to; i++)
    if (!agen_generator_yield_int (self, i, error))
      return FALSE;
  return TRUE;
}

static AgenGenerator *
range_new (int from, int to)
{
  Range *r = g_new (Range, 1);

  r->from = from;
  r->to = to;
  return agen_generator_new (range, r, g_free);
}

/* chain (a, b): everything a yields, then everything b yields. */
static gboolean
chain (AgenGenerator *self, gpointer user_data, GError **error)
{
  GPtrArray *parts = user_data;

  for (guint i = 0; i < parts->len; i++)
    if (!agen_generator_yield_from (self, parts->pdata[i], NULL, error))
      return FALSE;
  return TRUE;
}

/* filter (inner, keep) and map (inner, f): pull from inner with the
 * blocking next, which inside a body suspends only that body. */
typedef struct
{
  AgenGenerator *inner;
  int          (*f) (int);
} Stage;

static void
stage_free (gpointer data)
{
  Stage *stage = data;

  g_object_unref (stage->inner);
  g_free (stage);
}

static AgenGenerator *
stage_new (AgenGeneratorFunc body, AgenGenerator *inner, int (*f) (int))
{
  Stage *stage = g_new (Stage, 1);

  stage->inner = inner;
  stage->f = f;
  return agen_generator_new (body, stage, stage_free);
}

static gboolean
filter (AgenGenerator *self, gpointer user_data, GError **error)
{
  Stage *stage = user_data;
  int v;

  while (agen_generator_next_int (stage->inner, NULL, &v, error))
    if (stage->f (v) && !agen_generator_yield_int (self, v, error))
      return FALSE;
  return *error == NULL;
}

static gboolean
map (AgenGenerator *self, gpointer user_data, GError **error)
{
  Stage *stage = user_data;
  int v;

  while (agen_generator_next_int (stage->inner, NULL, &v, error))
    if (!agen_generator_yield_int (self, stage->f (v), error))
      return FALSE;
  return *error == NULL;
}

static int is_odd (int v) { return v % 2 != 0; }
static int square (int v) { return v * v; }

int
main (void)
{
  g_autoptr(GPtrArray) parts = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(AgenGenerator) pipeline = NULL;
  g_autoptr(GError) error = NULL;
  int v, total = 0;

  setlocale (LC_ALL, "");
  g_ptr_array_add (parts, range_new (1, 6));
  g_ptr_array_add (parts, range_new (10, 14));
  pipeline = stage_new (map,
                        stage_new (filter,
                                   agen_generator_new (chain, g_ptr_array_ref (parts),
                                                       (GDestroyNotify) g_ptr_array_unref),
                                   is_odd),
                        square);

  while (agen_generator_next_int (pipeline, NULL, &v, &error))
    {
      g_print ("%d\n", v);
      total += v;
    }
  if (error != NULL)
    {
      g_printerr ("agen-pipeline: %s\n", error->message);
      return 1;
    }
  g_print ("total %d\n", total);
  return 0;
}
