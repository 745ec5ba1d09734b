/* agen-test-util.h — small helpers shared by the test programs
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <agen.h>

G_BEGIN_DECLS

/* Iterates the thread-default main context until *flag becomes TRUE, or
 * fails the test after timeout_ms. */
void agen_test_spin_until (gboolean *flag,
                           guint     timeout_ms);

G_END_DECLS
