/* agen-ops.h — combinators over generators, and sinks that consume them
 *
 * Copyright 2026 The agen authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(AGEN_INSIDE) && !defined(AGEN_COMPILATION)
# error "Only <agen.h> can be included directly."
#endif

#include <gio/gio.h>

#include "agen-generator.h"
#include "agen-version-macros.h"

G_BEGIN_DECLS

/**
 * AgenMapFunc:
 * @item: the item the source yielded
 * @result: (out caller-allocates): the item to yield instead; leaving it
 *   unset yields None
 * @user_data: the data passed to [method@Generator.map]
 * @error: return location for an error
 *
 * Turns one item into another, for [method@Generator.map]. It is called
 * on the thread's own stack, in the generator's owner context.
 *
 * Returns: %TRUE with @result set, %FALSE with @error set to fail the
 *   generator
 *
 * Since: 0.1
 */
typedef gboolean (*AgenMapFunc) (GValue    *item,
                                 GValue    *result,
                                 gpointer   user_data,
                                 GError   **error);

/**
 * AgenFilterFunc:
 * @item: the item the source yielded
 * @user_data: the data passed to [method@Generator.filter]
 * @error: return location for an error
 *
 * Decides whether an item goes on, for [method@Generator.filter]. It is
 * called on the thread's own stack, in the generator's owner context.
 *
 * Returns: %TRUE to keep @item; %FALSE to drop it, or, with @error set,
 *   to fail the generator
 *
 * Since: 0.1
 */
typedef gboolean (*AgenFilterFunc) (GValue    *item,
                                    gpointer   user_data,
                                    GError   **error);

/**
 * AgenWriteFlags:
 * @AGEN_WRITE_FLAGS_NONE: write each item as it is
 * @AGEN_WRITE_FLAGS_LINES: write a `"\n"` after each item
 * @AGEN_WRITE_FLAGS_CLOSE: close the stream when done (also after an
 *   error)
 *
 * Options of [method@Generator.write_to_stream_async].
 *
 * Since: 0.1
 */
typedef enum /*< flags >*/
{
  AGEN_WRITE_FLAGS_NONE  = 0,
  AGEN_WRITE_FLAGS_LINES = 1 << 0,
  AGEN_WRITE_FLAGS_CLOSE = 1 << 1,
} AgenWriteFlags;

/* Combinators: each returns a new generator that owns its sources. */

AGEN_AVAILABLE_IN_ALL
AgenGenerator *agen_generator_map        (AgenGenerator   *self,
                                          AgenMapFunc      func,
                                          gpointer         user_data,
                                          GDestroyNotify   user_data_destroy) G_GNUC_WARN_UNUSED_RESULT;
AGEN_AVAILABLE_IN_ALL
AgenGenerator *agen_generator_filter     (AgenGenerator   *self,
                                          AgenFilterFunc   func,
                                          gpointer         user_data,
                                          GDestroyNotify   user_data_destroy) G_GNUC_WARN_UNUSED_RESULT;
AGEN_AVAILABLE_IN_ALL
AgenGenerator *agen_generator_take       (AgenGenerator   *self,
                                          guint64          n) G_GNUC_WARN_UNUSED_RESULT;
AGEN_AVAILABLE_IN_ALL
AgenGenerator *agen_generator_skip       (AgenGenerator   *self,
                                          guint64          n) G_GNUC_WARN_UNUSED_RESULT;
AGEN_AVAILABLE_IN_ALL
AgenGenerator *agen_generator_enumerate  (AgenGenerator   *self,
                                          guint64          start) G_GNUC_WARN_UNUSED_RESULT;
AGEN_AVAILABLE_IN_ALL
AgenGenerator *agen_generator_batch      (AgenGenerator   *self,
                                          guint            max_items,
                                          guint            timeout_ms) G_GNUC_WARN_UNUSED_RESULT;

AGEN_AVAILABLE_IN_ALL
AgenGenerator *agen_chain                (AgenGenerator  **sources,
                                          guint            n_sources) G_GNUC_WARN_UNUSED_RESULT;
AGEN_AVAILABLE_IN_ALL
AgenGenerator *agen_zip                  (AgenGenerator  **sources,
                                          guint            n_sources) G_GNUC_WARN_UNUSED_RESULT;
AGEN_AVAILABLE_IN_ALL
AgenGenerator *agen_merge                (AgenGenerator  **sources,
                                          guint            n_sources) G_GNUC_WARN_UNUSED_RESULT;

/* Sinks */

AGEN_AVAILABLE_IN_ALL
void           agen_generator_collect_async         (AgenGenerator       *self,
                                                     GCancellable        *cancellable,
                                                     GAsyncReadyCallback  callback,
                                                     gpointer             user_data);
AGEN_AVAILABLE_IN_ALL
GPtrArray     *agen_generator_collect_finish        (AgenGenerator       *self,
                                                     GAsyncResult        *result,
                                                     GError             **error);
AGEN_AVAILABLE_IN_ALL
void           agen_generator_write_to_stream_async  (AgenGenerator       *self,
                                                     GOutputStream       *stream,
                                                     AgenWriteFlags       flags,
                                                     GCancellable        *cancellable,
                                                     GAsyncReadyCallback  callback,
                                                     gpointer             user_data);
AGEN_AVAILABLE_IN_ALL
gboolean       agen_generator_write_to_stream_finish (AgenGenerator       *self,
                                                     GAsyncResult        *result,
                                                     guint64             *bytes_written,
                                                     GError             **error);
AGEN_AVAILABLE_IN_ALL
void           agen_generator_fill_list_store_async  (AgenGenerator       *self,
                                                     GListStore          *store,
                                                     GCancellable        *cancellable,
                                                     GAsyncReadyCallback  callback,
                                                     gpointer             user_data);
AGEN_AVAILABLE_IN_ALL
gboolean       agen_generator_fill_list_store_finish (AgenGenerator       *self,
                                                     GAsyncResult        *result,
                                                     guint64             *n_items,
                                                     GError             **error);

G_END_DECLS
