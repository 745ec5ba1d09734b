/* agen-generator-private.h — AgenGenerator internals shared within agen
 *
 * Copyright 2026 The agen authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "agen-generator.h"

G_BEGIN_DECLS

/* The generator's name for messages: its name; unnamed, its body
 * function's where the platform can tell, or "(unnamed)". Only for
 * messages: it may look the function up in the symbol tables. */
const char *agen_generator_display_name (AgenGenerator *self);

/* Closes generator the way the default finalizer closes an abandoned one:
 * takes a reference of its own, runs the close on the owner context (the
 * calling thread's context if the generator never ran), logs a failure
 * with g_warning naming the generator, and drops the reference when the
 * close completes. Any thread. */
void agen_generator_close_abandoned (AgenGenerator *generator);

/* For the helpers that owe their generator a close (AgenAclosing,
 * AgenContextManager), when they are dropped: closes it as above if the
 * exit never ran (exit_pending) and it is not closed, or if the exit ran
 * without effect (a cancellable cancelled before it started, a busy
 * generator) and it is still suspended; never after a close of it came
 * back IGNORED_EXIT, which would only come back again. */
void agen_generator_close_if_owed (AgenGenerator *generator,
                                   gboolean       exit_pending,
                                   gboolean       exit_ran);

G_END_DECLS
