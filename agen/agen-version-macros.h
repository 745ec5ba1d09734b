/* agen-version-macros.h — symbol visibility and availability annotations
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

#include "agen-version.h"

#ifndef _AGEN_EXTERN
# define _AGEN_EXTERN __attribute__((visibility("default"))) extern
#endif

/* Every symbol so far is in the first version; per-version macros
 * (AGEN_AVAILABLE_IN_0_2, …) come with the symbols that need them. */
#define AGEN_AVAILABLE_IN_ALL _AGEN_EXTERN
