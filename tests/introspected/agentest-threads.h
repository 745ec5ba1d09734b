/* agentest-threads.h — a C consumer that iterates from a worker thread,
 * for the binding tests
 *
 * Copyright 2026 The agen authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <agen.h>

G_BEGIN_DECLS

void    agentest_sum_in_thread_async  (AgenGenerator       *generator,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data);
gint64  agentest_sum_in_thread_finish (GAsyncResult        *result,
                                       GError             **error);

G_END_DECLS
