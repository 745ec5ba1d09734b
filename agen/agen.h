/* agen.h — the single public include of libagen
 *
 * Copyright 2026 The agen authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

#define AGEN_INSIDE
# include "agen-version.h"
# include "agen-version-macros.h"
# include "agen-enum-types.h"
# include "agen-error.h"
# include "agen-generator.h"
# include "agen-aclosing.h"
# include "agen-context-manager.h"
# include "agen-generator-list-model.h"
# include "agen-hooks.h"
# include "agen-gio.h"
# include "agen-ops.h"
# include "agen-values.h"
#undef AGEN_INSIDE
