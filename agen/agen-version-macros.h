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

#define AGEN_VERSION_1_0 (G_ENCODE_VERSION (1, 0))

#define AGEN_AVAILABLE_IN_ALL _AGEN_EXTERN
#define AGEN_AVAILABLE_IN_1_0 _AGEN_EXTERN
