/* agen-error.c — the AGEN_ERROR domain
 *
 * Copyright 2026 The agen authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "agen-error.h"

/**
 * agen_error_quark:
 *
 * The quark of the %AGEN_ERROR domain.
 *
 * Returns: the error domain quark
 *
 * Since: 0.1
 */
G_DEFINE_QUARK (agen-error-quark, agen_error)
