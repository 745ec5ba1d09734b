/* b2-fiber-next.c — B2, inside a fiber: the blocking agen_generator_next()
 * called from another generator's body, no main-loop pass per item
 *
 * Copyright 2026 The agen authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <agen.h>

#include "bench-loops.h"
#include "bench-util.h"

/* The inner generator of every agen variant: 0, 1, 2, … until closed. */
typedef struct
{
  AgenGenerator *inner;
  guint64        count;
  guint64        sum;
  gint64         elapsed;
  gboolean       typed;    /* agen_generator_next_int() instead of a GValue */
} Pull;

/* Pulls pull->count items from pull->inner with the blocking next and
 * times it. Runs on whatever stack calls it. */
static gboolean
pull_items (Pull    *pull,
            GError **error)
{
  gint64 start = bench_now_ns ();

  if (pull->typed)
    {
      for (guint64 i = 0; i < pull->count; i++)
        {
          int v;

          if (!agen_generator_next_int (pull->inner, NULL, &v, error))
            return FALSE;
          pull->sum += v;
        }

      pull->elapsed = bench_now_ns () - start;
      return TRUE;
    }

  for (guint64 i = 0; i < pull->count; i++)
    {
      g_auto(GValue) value = G_VALUE_INIT;

      if (!agen_generator_next (pull->inner, NULL, &value, error))
        return FALSE;
      pull->sum += g_value_get_int (&value);
    }

  pull->elapsed = bench_now_ns () - start;

  return TRUE;
}

static gint64
pull_check (Pull          *pull,
            const GError  *error,
            const char    *name)
{
  guint64 expected = pull->count * (pull->count - 1) / 2;
  g_autoptr(GError) close_error = NULL;

  if (!agen_generator_close (pull->inner, NULL, &close_error))
    error = close_error;
  g_clear_object (&pull->inner);

  if (error != NULL || pull->sum != expected || pull->elapsed < 0)
    {
      g_printerr ("%s: %s (sum %" G_GUINT64_FORMAT ", expected %" G_GUINT64_FORMAT ")\n",
                  name, error ? error->message : "wrong items", pull->sum, expected);
      return -1;
    }

  return pull->elapsed;
}

/* agen-fiber: the consumer is another generator's body ---------------------- */

static gboolean
consumer_body (AgenGenerator  *self,
               gpointer        user_data,
               GError        **error)
{
  return pull_items (user_data, error);
}

/* What an agen variant pulls from: a new inner generator yielding 0, 1,
 * 2, … until closed, and the variant's name. */
typedef struct
{
  const char     *name;
  AgenGenerator *(*new_inner) (void);
  gboolean        typed;
} InnerVariant;

static gint64
run_agen_fiber (guint64  iterations,
                gpointer user_data)
{
  const InnerVariant *variant = user_data;
  Pull pull = { NULL, iterations, 0, -1, variant->typed };
  g_autoptr(AgenGenerator) consumer = NULL;
  g_autoptr(GError) error = NULL;

  pull.inner = variant->new_inner ();
  consumer = agen_generator_new (consumer_body, &pull, NULL);

  /* The consumer's body runs to its end inside this one call, and times
   * itself: the call's own cost is not part of the figure. */
  if (agen_generator_next (consumer, NULL, NULL, &error))
    g_set_error_literal (&error, G_IO_ERROR, G_IO_ERROR_FAILED, "the consumer yielded");

  return pull_check (&pull, error, variant->name);
}

/* agen-reuse: agen-fiber with a body that keeps one GValue ----------------- */

/* The cheapest GValue traffic the API allows: the body initialises one
 * GValue and only sets it per item (agen_generator_yield() copies it); the
 * consumer still unsets what it receives, as the API requires. */
static gboolean
reusing_int_body (AgenGenerator  *self,
                  gpointer        user_data,
                  GError        **error)
{
  g_auto(GValue) value = G_VALUE_INIT;

  g_value_init (&value, G_TYPE_INT);
  for (gint i = 0; ; i++)
    {
      g_value_set_int (&value, i);
      if (!agen_generator_yield (self, &value, NULL, error))
        return FALSE;
    }
}

static AgenGenerator *
new_reusing_inner (void)
{
  return agen_generator_new (reusing_int_body, NULL, NULL);
}

/* agen-typed: agen-fiber with the typed yield and read ---------------------- */

/* agen_generator_yield_int() in the body, agen_generator_next_int() in
 * the consumer: no GValue in user code. */
static gboolean
typed_int_body (AgenGenerator  *self,
                gpointer        user_data,
                GError        **error)
{
  for (gint i = 0; ; i++)
    if (!agen_generator_yield_int (self, i, error))
      return FALSE;
}

static AgenGenerator *
new_typed_inner (void)
{
  return agen_generator_new (typed_int_body, NULL, NULL);
}

/* agen-thread: the same loop on the thread's own stack ---------------------- */

static gint64
run_agen_thread (guint64  iterations,
                 gpointer user_data)
{
  const InnerVariant *variant = user_data;
  Pull pull = { NULL, iterations, 0, -1, variant->typed };
  g_autoptr(GError) error = NULL;

  pull.inner = variant->new_inner ();
  pull_items (&pull, &error);

  return pull_check (&pull, error, variant->name);
}

/* The inner generators ------------------------------------------------------ */

/* The fiber body of agen-fiber and agen-thread. */
static AgenGenerator *
new_int_inner (void)
{
  return agen_generator_new (bench_int_body, NULL, NULL);
}

/* agen-driven, agen-driven-fiber: no fiber, a C step function answering
 * each next inside the step (bench-loops.c), called on the thread's stack
 * within agen_generator_next(); from a body, agen switches to the
 * thread's stack to call it. */
static AgenGenerator *
new_driven_inner (void)
{
  return bench_int_driven_new (0);
}

/* c-iterator: no suspension at all ------------------------------------------ */

/* A plain C iterator with the same interface shape (fill a GValue, say
 * whether there was one), called through a pointer so that it cannot be
 * inlined into the loop: the cost of the call and the GValue traffic that
 * any design pays, with nothing else. */
typedef struct
{
  gint next;
} CIterator;

typedef gboolean (*CIteratorNext) (CIterator *self, GValue *value);

static gboolean
c_iterator_next (CIterator *self,
                 GValue    *value)
{
  g_value_init (value, G_TYPE_INT);
  g_value_set_int (value, self->next++);

  return TRUE;
}

static volatile CIteratorNext c_iterator_next_func = c_iterator_next;

static gint64
run_c_iterator (guint64  iterations,
                gpointer user_data)
{
  CIterator iter = { 0 };
  CIteratorNext next = c_iterator_next_func;
  guint64 sum = 0;
  gint64 start, elapsed;

  start = bench_now_ns ();
  for (guint64 i = 0; i < iterations; i++)
    {
      g_auto(GValue) value = G_VALUE_INIT;

      if (!next (&iter, &value))
        return -1;
      sum += g_value_get_int (&value);
    }
  elapsed = bench_now_ns () - start;

  if (sum != iterations * (iterations - 1) / 2)
    return -1;

  return elapsed;
}

int
main (int    argc,
      char **argv)
{
  BenchOptions options;
  static const InnerVariant fiber = { "agen-fiber", new_int_inner };
  static const InnerVariant reuse = { "agen-reuse", new_reusing_inner };
  static const InnerVariant typed = { "agen-typed", new_typed_inner, TRUE };
  static const InnerVariant thread = { "agen-thread", new_int_inner };
  static const InnerVariant driven = { "agen-driven", new_driven_inner };
  static const InnerVariant driven_fiber = { "agen-driven-fiber", new_driven_inner };
  const BenchVariant variants[] = {
    { "c-iterator", "reference: a plain C next() through a function pointer, same GValue traffic",
      run_c_iterator, NULL },
    { "agen-fiber", "agen_generator_next() from another generator's body (the B2 case)",
      run_agen_fiber, (gpointer) &fiber },
    { "agen-reuse", "agen-fiber, the body setting one GValue instead of a new one per item",
      run_agen_fiber, (gpointer) &reuse },
    { "agen-typed", "agen-fiber with agen_generator_yield_int() and agen_generator_next_int()",
      run_agen_fiber, (gpointer) &typed },
    { "agen-thread", "agen_generator_next() from a plain loop on the thread's stack",
      run_agen_thread, (gpointer) &thread },
    { "agen-driven", "agen-thread's loop over a driven generator, a C step function "
      "answering each next at once",
      run_agen_thread, (gpointer) &driven },
    { "agen-driven-fiber", "agen-fiber's consumer body over the driven generator of agen-driven",
      run_agen_fiber, (gpointer) &driven_fiber },
  };

  bench_parse_options (&options,
                       "B2: blocking agen_generator_next() from inside a fiber, no main-loop "
                       "pass per item. Target (docs/performance.md): <= 30 ns per item. "
                       "agen-driven and agen-driven-fiber pull from a driven generator "
                       "(agen_generator_new_driven) instead of a fiber body: "
                       "compare agen-driven with agen-thread.",
                       NULL, 1000000, 10000000, &argc, &argv);

  return bench_run_variants ("B2 blocking next from a fiber (ns per item)",
                             variants, G_N_ELEMENTS (variants), 0, &options);
}
