/* agen-error.h — the AGEN_ERROR domain
 *
 * Copyright 2026 The agen authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(AGEN_INSIDE) && !defined(AGEN_COMPILATION)
# error "Only <agen.h> can be included directly."
#endif

#include <glib.h>

#include "agen-version-macros.h"

G_BEGIN_DECLS

/**
 * AGEN_ERROR:
 *
 * The error domain of libagen. Errors in it use the codes of [enum@Error].
 *
 * Since: 0.1
 */
#define AGEN_ERROR (agen_error_quark ())

/**
 * AgenError:
 * @AGEN_ERROR_FAILED: a generic failure, also what a body that returned
 *   %FALSE without setting an error raises
 * @AGEN_ERROR_RUNNING: an operation was started while another one on the
 *   same generator was in progress
 * @AGEN_ERROR_EXIT: delivered into a body by a close (Python's
 *   `GeneratorExit`); a body should clean up and let it out
 * @AGEN_ERROR_IGNORED_EXIT: the body yielded again after receiving
 *   %AGEN_ERROR_EXIT
 * @AGEN_ERROR_NOT_STARTED: a value other than None was sent to a generator
 *   that has not started
 * @AGEN_ERROR_DIDNT_YIELD: context manager: the generator finished without
 *   yielding
 * @AGEN_ERROR_DIDNT_STOP: context manager: the generator yielded a second
 *   time
 * @AGEN_ERROR_WRONG_CONTEXT: a body-side call (yield, yield_from, await) was
 *   made outside the generator's own body
 *
 * Error codes of the %AGEN_ERROR domain.
 *
 * Since: 0.1
 */
typedef enum
{
  AGEN_ERROR_FAILED,
  AGEN_ERROR_RUNNING,
  AGEN_ERROR_EXIT,
  AGEN_ERROR_IGNORED_EXIT,
  AGEN_ERROR_NOT_STARTED,
  AGEN_ERROR_DIDNT_YIELD,
  AGEN_ERROR_DIDNT_STOP,
  AGEN_ERROR_WRONG_CONTEXT,
} AgenError;

AGEN_AVAILABLE_IN_ALL
GQuark agen_error_quark (void);

G_END_DECLS
