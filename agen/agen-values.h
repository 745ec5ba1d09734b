/* agen-values.h — typed yields and reads: agen without GValue boilerplate
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

/* A body yields an int, a string or an object in one call, and a consumer
 * reads one back the same way, where agen_generator_yield() and
 * agen_generator_next() take a GValue:
 *
 * ```c
 * static gboolean
 * countdown (AgenGenerator *self, gpointer user_data, GError **error)
 * {
 *   for (int i = GPOINTER_TO_INT (user_data); i > 0; i--)
 *     if (!agen_generator_yield_int (self, i, error))
 *       return FALSE;
 *   return TRUE;
 * }
 *
 * int n;
 * while (agen_generator_next_int (gen, NULL, &n, &error))
 *   g_print ("%d\n", n);
 * ```
 *
 * They are C conveniences, left out of the introspection data (bindings
 * have their own values); the reference shows them all the same.
 *
 * The typed yields are defined in agen-generator-body.c and the typed
 * reads in agen-generator-blocking.c: each reaches the stack switch
 * itself, as agen_generator_yield() and agen_generator_next() do, so that
 * they cost no more than those per item.
 */

/* Body side: yield one value of a C type. */

AGEN_AVAILABLE_IN_ALL
gboolean agen_generator_yield_int      (AgenGenerator  *self,
                                        int             v,
                                        GError        **error);
AGEN_AVAILABLE_IN_ALL
gboolean agen_generator_yield_uint     (AgenGenerator  *self,
                                        guint           v,
                                        GError        **error);
AGEN_AVAILABLE_IN_ALL
gboolean agen_generator_yield_int64    (AgenGenerator  *self,
                                        gint64          v,
                                        GError        **error);
AGEN_AVAILABLE_IN_ALL
gboolean agen_generator_yield_double   (AgenGenerator  *self,
                                        double          v,
                                        GError        **error);
AGEN_AVAILABLE_IN_ALL
gboolean agen_generator_yield_boolean  (AgenGenerator  *self,
                                        gboolean        v,
                                        GError        **error);
AGEN_AVAILABLE_IN_ALL
gboolean agen_generator_yield_string   (AgenGenerator  *self,
                                        const char     *v,
                                        GError        **error);
AGEN_AVAILABLE_IN_ALL
gboolean agen_generator_take_string    (AgenGenerator  *self,
                                        char           *v,
                                        GError        **error);
AGEN_AVAILABLE_IN_ALL
gboolean agen_generator_yield_object   (AgenGenerator  *self,
                                        gpointer        v,
                                        GError        **error);
AGEN_AVAILABLE_IN_ALL
gboolean agen_generator_take_object    (AgenGenerator  *self,
                                        gpointer        v,
                                        GError        **error);
AGEN_AVAILABLE_IN_ALL
gboolean agen_generator_yield_boxed    (AgenGenerator  *self,
                                        GType           boxed_type,
                                        gconstpointer   v,
                                        GError        **error);
AGEN_AVAILABLE_IN_ALL
gboolean agen_generator_yield_pointer  (AgenGenerator  *self,
                                        gpointer        v,
                                        GError        **error);

/* Consumer side: the blocking next, read as a C type. */

AGEN_AVAILABLE_IN_ALL
gboolean agen_generator_next_int       (AgenGenerator  *self,
                                        GCancellable   *cancellable,
                                        int            *out,
                                        GError        **error);
AGEN_AVAILABLE_IN_ALL
gboolean agen_generator_next_uint      (AgenGenerator  *self,
                                        GCancellable   *cancellable,
                                        guint          *out,
                                        GError        **error);
AGEN_AVAILABLE_IN_ALL
gboolean agen_generator_next_int64     (AgenGenerator  *self,
                                        GCancellable   *cancellable,
                                        gint64         *out,
                                        GError        **error);
AGEN_AVAILABLE_IN_ALL
gboolean agen_generator_next_double    (AgenGenerator  *self,
                                        GCancellable   *cancellable,
                                        double         *out,
                                        GError        **error);
AGEN_AVAILABLE_IN_ALL
gboolean agen_generator_next_boolean   (AgenGenerator  *self,
                                        GCancellable   *cancellable,
                                        gboolean       *out,
                                        GError        **error);
AGEN_AVAILABLE_IN_ALL
gboolean agen_generator_next_string    (AgenGenerator  *self,
                                        GCancellable   *cancellable,
                                        char          **out,
                                        GError        **error);
AGEN_AVAILABLE_IN_ALL
gboolean agen_generator_next_object    (AgenGenerator  *self,
                                        GCancellable   *cancellable,
                                        gpointer       *out,
                                        GError        **error);
AGEN_AVAILABLE_IN_ALL
gboolean agen_generator_next_boxed     (AgenGenerator  *self,
                                        GType           boxed_type,
                                        GCancellable   *cancellable,
                                        gpointer       *out,
                                        GError        **error);
AGEN_AVAILABLE_IN_ALL
gboolean agen_generator_next_pointer   (AgenGenerator  *self,
                                        GCancellable   *cancellable,
                                        gpointer       *out,
                                        GError        **error);

/**
 * AgenForeachFunc:
 * @generator: the generator being consumed
 * @value: the value it yielded
 * @user_data: the data passed to [method@Generator.foreach_async]
 * @error: return location for an error
 *
 * Called by [method@Generator.foreach_async] for each value, on the
 * thread's own stack in the caller's main context.
 *
 * Returns: %TRUE to go on; %FALSE to stop: the generator is closed and
 *   the foreach completes with @error, or successfully when it is not set
 *
 * Since: 0.1
 */
typedef gboolean (*AgenForeachFunc) (AgenGenerator  *generator,
                                     const GValue   *value,
                                     gpointer        user_data,
                                     GError        **error);

AGEN_AVAILABLE_IN_ALL
void     agen_generator_foreach_async  (AgenGenerator       *self,
                                        AgenForeachFunc      func,
                                        gpointer             func_data,
                                        GDestroyNotify       func_data_destroy,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data);
AGEN_AVAILABLE_IN_ALL
gboolean agen_generator_foreach_finish (AgenGenerator       *self,
                                        GAsyncResult        *result,
                                        GError             **error);

G_END_DECLS
