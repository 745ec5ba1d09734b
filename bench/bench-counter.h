/* bench-counter.h — the baseline the agen benchmarks compare against: an
 * iterator written by hand as a GObject with a GTask-based
 * next_async()/next_finish() pair
 *
 * Copyright 2026 The agen authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define BENCH_TYPE_COUNTER (bench_counter_get_type ())

G_DECLARE_FINAL_TYPE (BenchCounter, bench_counter, BENCH, COUNTER, GObject)

/* Yields the ints 0, 1, …, limit - 1 (G_TYPE_INT GValues), then the end of
 * iteration; limit < 0: never ends. */
BenchCounter *bench_counter_new         (gint                 limit);

void          bench_counter_next_async  (BenchCounter        *self,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data);

/* As agen_generator_next_finish(): TRUE and *value set to the next int;
 * FALSE without an error at the end (then *value is a NULL
 * G_TYPE_POINTER); FALSE with *error on failure. */
gboolean      bench_counter_next_finish (BenchCounter        *self,
                                         GAsyncResult        *result,
                                         GValue              *value,
                                         GError             **error);

G_END_DECLS
