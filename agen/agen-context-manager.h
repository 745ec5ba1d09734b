/* agen-context-manager.h — AgenContextManager, a generator as a context
 * manager (Python's contextlib.asynccontextmanager)
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

#define AGEN_TYPE_CONTEXT_MANAGER (agen_context_manager_get_type ())

AGEN_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (AgenContextManager, agen_context_manager, AGEN, CONTEXT_MANAGER, GObject)

AGEN_AVAILABLE_IN_ALL
AgenContextManager *agen_context_manager_new               (AgenGeneratorFunc     func,
                                                            gpointer              user_data,
                                                            GDestroyNotify        user_data_destroy) G_GNUC_WARN_UNUSED_RESULT;
AGEN_AVAILABLE_IN_ALL
AgenContextManager *agen_context_manager_new_for_generator (AgenGenerator        *generator) G_GNUC_WARN_UNUSED_RESULT;
AGEN_AVAILABLE_IN_ALL
AgenGenerator      *agen_context_manager_get_generator     (AgenContextManager   *self);

AGEN_AVAILABLE_IN_ALL
void                agen_context_manager_enter_async       (AgenContextManager   *self,
                                                            GCancellable         *cancellable,
                                                            GAsyncReadyCallback   callback,
                                                            gpointer              user_data);
AGEN_AVAILABLE_IN_ALL
gboolean            agen_context_manager_enter_finish      (AgenContextManager   *self,
                                                            GAsyncResult         *result,
                                                            GValue               *value,
                                                            GError              **error);
AGEN_AVAILABLE_IN_ALL
void                agen_context_manager_exit_async        (AgenContextManager   *self,
                                                            const GError         *block_error,
                                                            GCancellable         *cancellable,
                                                            GAsyncReadyCallback   callback,
                                                            gpointer              user_data);
AGEN_AVAILABLE_IN_ALL
gboolean            agen_context_manager_exit_finish       (AgenContextManager   *self,
                                                            GAsyncResult         *result,
                                                            GError              **error);

AGEN_AVAILABLE_IN_ALL
gboolean            agen_context_manager_enter             (AgenContextManager   *self,
                                                            GCancellable         *cancellable,
                                                            GValue               *value,
                                                            GError              **error);
AGEN_AVAILABLE_IN_ALL
gboolean            agen_context_manager_exit              (AgenContextManager   *self,
                                                            const GError         *block_error,
                                                            GCancellable         *cancellable,
                                                            GError              **error);

AGEN_AVAILABLE_IN_ALL
void                agen_context_manager_exit_normally_async  (AgenContextManager   *self,
                                                               GCancellable         *cancellable,
                                                               GAsyncReadyCallback   callback,
                                                               gpointer              user_data);
AGEN_AVAILABLE_IN_ALL
gboolean            agen_context_manager_exit_normally_finish (AgenContextManager   *self,
                                                               GAsyncResult         *result,
                                                               GError              **error);
AGEN_AVAILABLE_IN_ALL
gboolean            agen_context_manager_exit_normally        (AgenContextManager   *self,
                                                               GCancellable         *cancellable,
                                                               GError              **error);

G_END_DECLS
