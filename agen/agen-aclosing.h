/* agen-aclosing.h — AgenAclosing, closes a generator at the end of a block
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

#define AGEN_TYPE_ACLOSING (agen_aclosing_get_type ())

AGEN_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (AgenAclosing, agen_aclosing, AGEN, ACLOSING, GObject)

AGEN_AVAILABLE_IN_ALL
AgenAclosing  *agen_aclosing_new           (AgenGenerator       *generator) G_GNUC_WARN_UNUSED_RESULT;
AGEN_AVAILABLE_IN_ALL
AgenGenerator *agen_aclosing_get_generator (AgenAclosing        *self);

AGEN_AVAILABLE_IN_ALL
void           agen_aclosing_enter_async   (AgenAclosing        *self,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data);
AGEN_AVAILABLE_IN_ALL
AgenGenerator *agen_aclosing_enter_finish  (AgenAclosing        *self,
                                            GAsyncResult        *result,
                                            GError             **error);
AGEN_AVAILABLE_IN_ALL
void           agen_aclosing_exit_async    (AgenAclosing        *self,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data);
AGEN_AVAILABLE_IN_ALL
gboolean       agen_aclosing_exit_finish   (AgenAclosing        *self,
                                            GAsyncResult        *result,
                                            GError             **error);

AGEN_AVAILABLE_IN_ALL
AgenGenerator *agen_aclosing_enter         (AgenAclosing        *self,
                                            GCancellable        *cancellable,
                                            GError             **error);
AGEN_AVAILABLE_IN_ALL
gboolean       agen_aclosing_exit          (AgenAclosing        *self,
                                            GCancellable        *cancellable,
                                            GError             **error);

G_END_DECLS
