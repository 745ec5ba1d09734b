/* agen-result-private.h — the GAsyncResult of agen's _async calls
 *
 * Copyright 2026 The agen authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

#include "agen-dispatcher-private.h"
#include "agen-op-private.h"

G_BEGIN_DECLS

/*
 * A lighter GTask: it carries one AgenOp and, when completed, delivers the
 * callback through the caller's AgenDispatcher dispatch source, from a later
 * iteration of the caller's thread-default context and from the thread's
 * own stack. Unlike GTask it never calls back inline, so completing from a
 * fiber is safe, and every result ready in a pass goes out in one dispatch.
 */

#define AGEN_TYPE_RESULT (agen_result_get_type ())

G_DECLARE_FINAL_TYPE (AgenResult, agen_result, AGEN, RESULT, GObject)

/* Captures the calling thread's thread-default context. */
AgenResult *agen_result_new          (gpointer             source_object,
                                      gpointer             source_tag,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data);

/* Counts the result in *counter (atomically) until just before its
 * callback runs. */
void        agen_result_count_outstanding (AgenResult     *self,
                                           gint           *counter);

/* The op it carries; initialise it with agen_result_complete_op as its
 * complete function. */
AgenOp     *agen_result_get_op       (AgenResult          *self);

/* An AgenOpCompleteFunc: queues the callback of the result embedding op.
 * Consumes the reference the _async call handed to the op. */
void        agen_result_complete_op  (AgenOp              *op);

/* For _finish: result came from agen_result_new with this source object
 * and tag, and has been completed. */
gboolean    agen_result_is_valid     (GAsyncResult        *result,
                                      gpointer             source_object,
                                      gpointer             source_tag);

/* For _finish, once agen_result_is_valid() holds: TRUE the first time,
 * FALSE on every later call (the outcome has been handed out). */
gboolean    agen_result_claim        (AgenResult          *self);

G_END_DECLS
