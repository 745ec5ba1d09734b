/* agen-hooks.h — per-main-context generator hooks and shutdown
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
 * AgenHookFunc:
 * @generator: the generator
 * @user_data: the data passed to [func@set_generator_hooks]
 *
 * A first-iteration hook; see [func@set_generator_hooks].
 *
 * Since: 0.1
 */
typedef void (*AgenHookFunc) (AgenGenerator *generator,
                              gpointer       user_data);

/**
 * AgenFinalizerFunc:
 * @generator: (transfer full): the generator, revived with a reference
 *   that passes to the hook
 * @user_data: the data passed to [func@set_generator_hooks]
 *
 * A finalizer hook; see [func@set_generator_hooks]. It owns the reference
 * to @generator it is given: it normally starts a close and drops the
 * reference when the close completes.
 *
 * Since: 0.1
 */
typedef void (*AgenFinalizerFunc) (AgenGenerator *generator,
                                   gpointer       user_data);

AGEN_AVAILABLE_IN_ALL
void     agen_set_generator_hooks        (GMainContext        *context,
                                          AgenHookFunc         first_iter,
                                          AgenFinalizerFunc    finalizer,
                                          gpointer             user_data,
                                          GDestroyNotify       user_data_destroy);
AGEN_AVAILABLE_IN_ALL
void     agen_shutdown_generators_async  (GMainContext        *context,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);
AGEN_AVAILABLE_IN_ALL
void     agen_reopen_generators          (GMainContext        *context);
AGEN_AVAILABLE_IN_ALL
gboolean agen_shutdown_generators_finish (GAsyncResult        *result,
                                          GError             **error);
AGEN_AVAILABLE_IN_ALL
gboolean agen_shutdown_generators        (GMainContext        *context,
                                          GCancellable        *cancellable,
                                          GError             **error);

G_END_DECLS
