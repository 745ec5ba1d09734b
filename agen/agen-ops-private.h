/* agen-ops-private.h — what the combinator files share
 *
 * Copyright 2026 The agen authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "agen-ops.h"

G_BEGIN_DECLS

/* Refs each of sources into a new array; NULL, after a g_critical(), if
 * one of them is not a generator. */
GPtrArray *agen_ops_sources_new (AgenGenerator **sources,
                                 guint           n_sources);

/* A GValueArray GValue holding copies of values[0..n_values), for the
 * combinators that yield tuples. */
void       agen_ops_value_set_tuple (GValue  *value,
                                      GValue  *values,
                                      guint    n_values);

G_END_DECLS
