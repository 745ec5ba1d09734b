/* agen-generator-list-model.h — a GListModel that pulls its items from a
 * generator as a view asks for them
 *
 * Copyright 2026 The agen authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(AGEN_INSIDE) && !defined(AGEN_COMPILATION)
# error "Only <agen.h> can be included directly."
#endif

#include <gio/gio.h>

#include "agen-generator.h"
#include "agen-version-macros.h"

G_BEGIN_DECLS

#define AGEN_TYPE_GENERATOR_LIST_MODEL (agen_generator_list_model_get_type ())

AGEN_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (AgenGeneratorListModel, agen_generator_list_model,
                      AGEN, GENERATOR_LIST_MODEL, GObject)

AGEN_AVAILABLE_IN_ALL
AgenGeneratorListModel *agen_generator_list_model_new            (AgenGenerator          *generator,
                                                                  GType                   item_type,
                                                                  guint                   batch_size) G_GNUC_WARN_UNUSED_RESULT;
AGEN_AVAILABLE_IN_ALL
AgenGenerator          *agen_generator_list_model_get_generator  (AgenGeneratorListModel *self);
AGEN_AVAILABLE_IN_ALL
guint                   agen_generator_list_model_get_batch_size (AgenGeneratorListModel *self);
AGEN_AVAILABLE_IN_ALL
gboolean                agen_generator_list_model_get_loading    (AgenGeneratorListModel *self);
AGEN_AVAILABLE_IN_ALL
gboolean                agen_generator_list_model_get_complete   (AgenGeneratorListModel *self);
AGEN_AVAILABLE_IN_ALL
const GError           *agen_generator_list_model_get_error      (AgenGeneratorListModel *self);

AGEN_AVAILABLE_IN_ALL
gboolean                agen_generator_list_model_load_more      (AgenGeneratorListModel *self);
AGEN_AVAILABLE_IN_ALL
void                    agen_generator_list_model_close          (AgenGeneratorListModel *self);

G_END_DECLS
