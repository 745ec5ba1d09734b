/* agentest.h — C-made generators and C consumers for the binding tests
 *
 * Copyright 2026 The agen authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A small introspected library (AgenTest-1.0, not installed) so that the
 * Python and GJS tests can consume generators whose bodies are C fibers,
 * and hand their own generators to C consumers.
 */

#pragma once

#include <agen.h>

G_BEGIN_DECLS

AgenGenerator *agentest_count            (int            n);
AgenGenerator *agentest_count_slowly     (int            n,
                                          guint          ms);
AgenGenerator *agentest_echo             (void);
AgenGenerator *agentest_with_cleanup     (int            n);
guint          agentest_cleanups         (void);
AgenGenerator *agentest_fail_after       (int            n,
                                          const char    *message);
AgenGenerator *agentest_wait_for_cancel  (void);
AgenGenerator *agentest_delegate         (AgenGenerator *inner,
                                          guint          depth);

gint64         agentest_sum_blocking     (AgenGenerator *generator,
                                          GError       **error);
GPtrArray     *agentest_collect_blocking (AgenGenerator *generator,
                                          GError       **error);
void           agentest_sum_async        (AgenGenerator       *generator,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);
gint64         agentest_sum_finish       (GAsyncResult  *result,
                                          GError       **error);
gboolean       agentest_with_context_manager (AgenGenerator *generator,
                                              GValue        *entered,
                                              GError       **error);

G_END_DECLS
