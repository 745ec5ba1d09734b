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
 * A first-iteration or finalizer hook; see [func@set_generator_hooks].
 */
typedef void (*AgenHookFunc) (AgenGenerator *generator,
                              gpointer       user_data);

AGEN_AVAILABLE_IN_ALL
void     agen_set_generator_hooks        (GMainContext        *context,
                                          AgenHookFunc         first_iter,
                                          AgenHookFunc         finalizer,
                                          gpointer             user_data,
                                          GDestroyNotify       user_data_destroy);
AGEN_AVAILABLE_IN_ALL
void     agen_shutdown_generators_async  (GMainContext        *context,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);
AGEN_AVAILABLE_IN_ALL
gboolean agen_shutdown_generators_finish (GAsyncResult        *result,
                                          GError             **error);

G_END_DECLS
