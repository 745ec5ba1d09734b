/* agen-generator.h — AgenGenerator, an asynchronous generator
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

#include "agen-version-macros.h"

G_BEGIN_DECLS

/**
 * AgenGeneratorState:
 * @AGEN_GENERATOR_STATE_CREATED: the body has not started yet
 * @AGEN_GENERATOR_STATE_SUSPENDED: the body is paused at a yield
 * @AGEN_GENERATOR_STATE_RUNNING: an operation is in progress (the body is
 *   running or awaiting)
 * @AGEN_GENERATOR_STATE_CLOSED: finished: the body returned, raised, or the
 *   generator was closed
 *
 * The states of an [class@Generator].
 *
 * Since: 0.1
 */
typedef enum
{
  AGEN_GENERATOR_STATE_CREATED,
  AGEN_GENERATOR_STATE_SUSPENDED,
  AGEN_GENERATOR_STATE_RUNNING,
  AGEN_GENERATOR_STATE_CLOSED,
} AgenGeneratorState;

/**
 * AgenStepKind:
 * @AGEN_STEP_NEXT: produce the next value (a next, a send of None, and the
 *   first step)
 * @AGEN_STEP_SEND: resume with the value the consumer sent
 * @AGEN_STEP_THROW: raise the thrown error at the paused point
 * @AGEN_STEP_CLOSE: raise %AGEN_ERROR_EXIT at the paused point
 *
 * What a driven generator's [callback@StepFunc] is asked to do.
 *
 * Since: 0.1
 */
typedef enum
{
  AGEN_STEP_NEXT,
  AGEN_STEP_SEND,
  AGEN_STEP_THROW,
  AGEN_STEP_CLOSE,
} AgenStepKind;

#define AGEN_TYPE_GENERATOR (agen_generator_get_type ())

AGEN_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (AgenGenerator, agen_generator, AGEN, GENERATOR, GObject)

/**
 * AgenGeneratorFunc:
 * @self: the generator whose body this is
 * @user_data: the data passed to [ctor@Generator.new]
 * @error: return location for the error the body raises
 *
 * The body of a generator. It runs on a fiber of its own inside the
 * [struct@GLib.MainContext] that owns the generator, and may call
 * [method@Generator.yield], [method@Generator.yield_from] and
 * [method@Generator.await].
 *
 * Returns: %TRUE to finish normally, %FALSE with @error set to raise
 *
 * Since: 0.1
 */
typedef gboolean (*AgenGeneratorFunc) (AgenGenerator  *self,
                                       gpointer        user_data,
                                       GError        **error);

/**
 * AgenStepFunc:
 * @generator: the driven generator
 * @kind: what to do
 * @value: (nullable): for %AGEN_STEP_SEND, the value sent
 * @thrown: (nullable): for %AGEN_STEP_THROW, the error thrown in; for
 *   %AGEN_STEP_CLOSE, %AGEN_ERROR_EXIT
 * @cancellable: (nullable): the operation's cancellable
 * @user_data: the data passed to [ctor@Generator.new_driven]
 * @error: return location for an error
 *
 * One step of a driven generator's body: what a language binding
 * implements to make a generator out of its own kind of coroutine. It is
 * called on the thread's own stack (never a fiber's) in the owner
 * context, and never synchronously inside the consumer's `_async` call.
 *
 * Answer with exactly one of [method@Generator.answer_yield],
 * [method@Generator.answer_return] and [method@Generator.answer_error],
 * inside this call or later; until then the generator is running, as a
 * body awaiting something is. Returning %FALSE instead fails the step
 * with @error (%AGEN_ERROR_FAILED when none is set).
 *
 * Returns: %TRUE when the step has been or will be answered; %FALSE with
 *   @error set to fail it
 *
 * Since: 0.1
 */
typedef gboolean (*AgenStepFunc) (AgenGenerator  *generator,
                                  AgenStepKind    kind,
                                  GValue         *value,
                                  GError         *thrown,
                                  GCancellable   *cancellable,
                                  gpointer        user_data,
                                  GError        **error);

/**
 * AGEN_GENERATOR_DEFAULT_STACK_SIZE:
 *
 * The address space reserved for a body's stack unless
 * [property@Generator:stack-size] says otherwise. Pages are committed by the
 * kernel only when the body touches them.
 *
 * Since: 0.1
 */
#define AGEN_GENERATOR_DEFAULT_STACK_SIZE (256 * 1024)

/**
 * AGEN_GENERATOR_MAX_STACK_SIZE:
 *
 * The largest [property@Generator:stack-size] a generator accepts (1 GiB);
 * asking for more is a programmer error, refused when it is asked.
 *
 * Since: 0.1
 */
#define AGEN_GENERATOR_MAX_STACK_SIZE ((gsize) 1 << 30)

AGEN_AVAILABLE_IN_ALL
AgenGenerator      *agen_generator_new              (AgenGeneratorFunc   func,
                                                     gpointer            user_data,
                                                     GDestroyNotify      user_data_destroy) G_GNUC_WARN_UNUSED_RESULT;
AGEN_AVAILABLE_IN_ALL
AgenGenerator      *agen_generator_new_full         (AgenGeneratorFunc   func,
                                                     gpointer            user_data,
                                                     GDestroyNotify      user_data_destroy,
                                                     const char         *name,
                                                     gsize               stack_size) G_GNUC_WARN_UNUSED_RESULT;
AGEN_AVAILABLE_IN_ALL
AgenGenerator      *agen_generator_new_driven       (AgenStepFunc        func,
                                                     gpointer            user_data,
                                                     GDestroyNotify      user_data_destroy) G_GNUC_WARN_UNUSED_RESULT;
AGEN_AVAILABLE_IN_ALL
void                agen_generator_answer_yield     (AgenGenerator      *self,
                                                     const GValue       *value);
AGEN_AVAILABLE_IN_ALL
void                agen_generator_answer_return    (AgenGenerator      *self,
                                                     const GValue       *value);
AGEN_AVAILABLE_IN_ALL
void                agen_generator_answer_error     (AgenGenerator      *self,
                                                     const GError       *error);

AGEN_AVAILABLE_IN_ALL
const char         *agen_generator_get_name         (AgenGenerator      *self);
AGEN_AVAILABLE_IN_ALL
void                agen_generator_set_name         (AgenGenerator      *self,
                                                     const char         *name);
AGEN_AVAILABLE_IN_ALL
gsize               agen_generator_get_stack_size   (AgenGenerator      *self);
AGEN_AVAILABLE_IN_ALL
AgenGeneratorState  agen_generator_get_state        (AgenGenerator      *self);
AGEN_AVAILABLE_IN_ALL
gboolean            agen_generator_get_running      (AgenGenerator      *self);
AGEN_AVAILABLE_IN_ALL
GMainContext       *agen_generator_get_context      (AgenGenerator      *self);
AGEN_AVAILABLE_IN_ALL
gboolean            agen_generator_get_return_value (AgenGenerator      *self,
                                                     GValue             *value);

/* Consumer side */

AGEN_AVAILABLE_IN_ALL
void                agen_generator_next_async       (AgenGenerator      *self,
                                                     GCancellable       *cancellable,
                                                     GAsyncReadyCallback callback,
                                                     gpointer            user_data);
AGEN_AVAILABLE_IN_ALL
gboolean            agen_generator_next_finish      (AgenGenerator      *self,
                                                     GAsyncResult       *result,
                                                     GValue             *value,
                                                     GError            **error);
AGEN_AVAILABLE_IN_ALL
void                agen_generator_send_async       (AgenGenerator      *self,
                                                     const GValue       *in_value,
                                                     GCancellable       *cancellable,
                                                     GAsyncReadyCallback callback,
                                                     gpointer            user_data);
AGEN_AVAILABLE_IN_ALL
gboolean            agen_generator_send_finish      (AgenGenerator      *self,
                                                     GAsyncResult       *result,
                                                     GValue             *value,
                                                     GError            **error);
AGEN_AVAILABLE_IN_ALL
void                agen_generator_throw_async      (AgenGenerator      *self,
                                                     const GError       *in_error,
                                                     GCancellable       *cancellable,
                                                     GAsyncReadyCallback callback,
                                                     gpointer            user_data);
AGEN_AVAILABLE_IN_ALL
gboolean            agen_generator_throw_finish     (AgenGenerator      *self,
                                                     GAsyncResult       *result,
                                                     GValue             *value,
                                                     GError            **error);
AGEN_AVAILABLE_IN_ALL
void                agen_generator_close_async      (AgenGenerator      *self,
                                                     GCancellable       *cancellable,
                                                     GAsyncReadyCallback callback,
                                                     gpointer            user_data);
AGEN_AVAILABLE_IN_ALL
gboolean            agen_generator_close_finish     (AgenGenerator      *self,
                                                     GAsyncResult       *result,
                                                     GError            **error);

AGEN_AVAILABLE_IN_ALL
void                agen_generator_next_many_async  (AgenGenerator      *self,
                                                     guint               max_items,
                                                     GCancellable       *cancellable,
                                                     GAsyncReadyCallback callback,
                                                     gpointer            user_data);
AGEN_AVAILABLE_IN_ALL
gboolean            agen_generator_next_many_finish (AgenGenerator      *self,
                                                     GAsyncResult       *result,
                                                     GArray            **values,
                                                     GError            **error);

AGEN_AVAILABLE_IN_ALL
gboolean            agen_generator_next             (AgenGenerator      *self,
                                                     GCancellable       *cancellable,
                                                     GValue             *value,
                                                     GError            **error);
AGEN_AVAILABLE_IN_ALL
gboolean            agen_generator_send             (AgenGenerator      *self,
                                                     const GValue       *in_value,
                                                     GCancellable       *cancellable,
                                                     GValue             *value,
                                                     GError            **error);
AGEN_AVAILABLE_IN_ALL
gboolean            agen_generator_throw            (AgenGenerator      *self,
                                                     const GError       *in_error,
                                                     GCancellable       *cancellable,
                                                     GValue             *value,
                                                     GError            **error);
AGEN_AVAILABLE_IN_ALL
gboolean            agen_generator_close            (AgenGenerator      *self,
                                                     GCancellable       *cancellable,
                                                     GError            **error);

/* Synchronous completion, for bindings */

AGEN_AVAILABLE_IN_ALL
gboolean            agen_generator_try_next         (AgenGenerator      *self,
                                                     GValue             *value,
                                                     GError            **error);
AGEN_AVAILABLE_IN_ALL
void                agen_generator_wait_async       (AgenGenerator      *self,
                                                     GCancellable       *cancellable,
                                                     GAsyncReadyCallback callback,
                                                     gpointer            user_data);
AGEN_AVAILABLE_IN_ALL
gboolean            agen_generator_wait_finish      (AgenGenerator      *self,
                                                     GAsyncResult       *result,
                                                     GValue             *value,
                                                     GError            **error);

/* Body side */

AGEN_AVAILABLE_IN_ALL
gboolean            agen_generator_yield            (AgenGenerator      *self,
                                                     const GValue       *value,
                                                     GValue             *sent,
                                                     GError            **error);
AGEN_AVAILABLE_IN_ALL
gboolean            agen_generator_yield_from       (AgenGenerator      *self,
                                                     AgenGenerator      *inner,
                                                     GValue             *return_value,
                                                     GError            **error);
AGEN_AVAILABLE_IN_ALL
void                agen_generator_set_return_value (AgenGenerator      *self,
                                                     const GValue       *value);
AGEN_AVAILABLE_IN_ALL
GCancellable       *agen_generator_get_cancellable  (AgenGenerator      *self);
AGEN_AVAILABLE_IN_ALL
gpointer            agen_generator_prepare_await    (AgenGenerator      *self);
AGEN_AVAILABLE_IN_ALL
void                agen_generator_resume_callback  (GObject            *source,
                                                     GAsyncResult       *result,
                                                     gpointer            self);
AGEN_AVAILABLE_IN_ALL
GAsyncResult       *agen_generator_await            (AgenGenerator      *self);

/**
 * AGEN_AWAIT_CALLBACK:
 * @gen: the generator whose body is awaiting
 *
 * Expands to the callback and user data to pass to any GIO `_async`
 * function so that [method@Generator.await] returns its result:
 *
 * ```c
 * g_file_read_async (file, G_PRIORITY_DEFAULT,
 *                    agen_generator_get_cancellable (self),
 *                    AGEN_AWAIT_CALLBACK (self));
 * stream = g_file_read_finish (file, agen_generator_await (self), error);
 * ```
 *
 * The operation keeps the generator alive until it completes, even if the
 * body returns without awaiting it ([method@Generator.prepare_await]).
 *
 * Since: 0.1
 */
#define AGEN_AWAIT_CALLBACK(gen) \
  agen_generator_resume_callback, agen_generator_prepare_await (gen)

G_END_DECLS
