/* bench-loops.h — the consumer loops and body several benchmarks share
 *
 * Copyright 2026 The agen authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <agen.h>

G_BEGIN_DECLS

/* What every variant's consumer keeps: the values are summed and checked
 * so that no variant can get away with skipping work. */
typedef struct
{
  GMainLoop *loop;
  guint64    limit;
  guint64    received;
  guint64    sum;
  guint64    callbacks;
  gboolean   failed;
} BenchConsumer;

void      bench_consumer_init   (BenchConsumer  *consumer,
                                 guint64         limit);

/* Frees the loop; returns elapsed, or -1 (after saying why) if the items
 * were not 0 … limit - 1. */
gint64    bench_consumer_finish (BenchConsumer  *consumer,
                                 gint64          elapsed,
                                 const char     *name);

/* A body yielding G_TYPE_INT 0, 1, 2, … without ever waiting:
 * GPOINTER_TO_INT (user_data) values, or forever if that is 0. */
gboolean  bench_int_body        (AgenGenerator  *self,
                                 gpointer        user_data,
                                 GError        **error);

/* The same values from a driven generator (agen_generator_new_driven())
 * whose C step function answers every next at once, inside the step, with
 * agen_generator_answer_yield() of a G_TYPE_INT, as a binding's coroutine
 * that yields without awaiting would: limit values, or forever if 0, then
 * agen_generator_answer_return(). A throw or close is answered with the
 * error it raises, as bench_int_body() lets agen_generator_yield()'s error
 * propagate. */
AgenGenerator *bench_int_driven_new (gint    limit);

/* BenchVariant functions (user_data: the variant's name, for messages):
 * iterations values through the agen_generator_next_async() callback loop,
 * and through the hand-written GTask iterator (bench-counter.c). */
gint64    bench_run_agen_next   (guint64         iterations,
                                 gpointer        user_data);
/* The same callback loop over bench_int_driven_new()'s generator. */
gint64    bench_run_agen_driven_next (guint64    iterations,
                                      gpointer   user_data);
gint64    bench_run_gtask       (guint64         iterations,
                                 gpointer        user_data);

G_END_DECLS
