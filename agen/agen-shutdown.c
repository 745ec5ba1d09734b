/* agen-shutdown.c — the blocking form of agen_shutdown_generators_async()
 *
 * Copyright 2026 The agen authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <glib/gi18n-lib.h>

#include "agen-fiber-private.h"
#include "agen-hooks.h"
#include "agen-tsan-private.h"

typedef struct
{
  GMainContext *context;
  GCancellable *cancellable;
  GMutex        mutex;
  GCond         cond;
  gboolean      done;
  gboolean      ok;
  GError       *error;
} Shutdown;

static void
shutdown_done_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  Shutdown *shutdown = user_data;
  GError *error = NULL;
  gboolean ok = agen_shutdown_generators_finish (result, &error);

  /* Iterating the context itself, the caller must wake up; waiting on
   * the condition, it may return (and shutdown go) once the lock is
   * released: so the wake-up comes first. */
  g_main_context_wakeup (shutdown->context);
  /* GMutex is invisible to ThreadSanitizer: annotate the handover. */
  g_mutex_lock (&shutdown->mutex);
  AGEN_TSAN_ACQUIRE (&shutdown->mutex);
  shutdown->ok = ok;
  shutdown->error = error;
  shutdown->done = TRUE;
  g_cond_signal (&shutdown->cond);
  AGEN_TSAN_RELEASE (&shutdown->mutex);
  g_mutex_unlock (&shutdown->mutex);
}

/* Starts the shutdown on the thread that owns the context, with the
 * context as thread default, so the closes and the completion run there. */
static gboolean
shutdown_start_cb (gpointer user_data)
{
  Shutdown *shutdown = user_data;

  g_main_context_push_thread_default (shutdown->context);
  agen_shutdown_generators_async (shutdown->context, shutdown->cancellable,
                                  shutdown_done_cb, shutdown);
  g_main_context_pop_thread_default (shutdown->context);
  return G_SOURCE_REMOVE;
}

/**
 * agen_shutdown_generators:
 * @context: (nullable): a main context, %NULL for the global default one
 * @cancellable: (nullable): a cancellable, passed to every close
 * @error: return location for an error
 *
 * Closes every live, started, unfinished generator that @context owns,
 * and returns when every close has completed: the blocking form of
 * [func@shutdown_generators_async], for the end of a program that has no
 * main loop (or whose loop has quit), so that suspended bodies run their
 * cleanup before it exits:
 *
 * ```c
 * int
 * main (void)
 * {
 *   …use generators with the blocking API…
 *   agen_shutdown_generators (NULL, NULL, NULL);
 *   return 0;
 * }
 * ```
 *
 * When the calling thread can acquire @context (it is the thread that
 * iterates it, or nobody does), @context is iterated here until the
 * shutdown is done. Otherwise the shutdown is started on the thread that
 * iterates @context and this call waits for it, without iterating
 * anything. Not from inside a generator's body (a programmer error).
 *
 * Returns: %TRUE, or %FALSE with %G_IO_ERROR_CANCELLED when @cancellable
 *   was already cancelled at the call
 *
 * Since: 0.1
 */
gboolean
agen_shutdown_generators (GMainContext  *context,
                          GCancellable  *cancellable,
                          GError       **error)
{
  Shutdown shutdown = { 0, };
  gboolean ok;

  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  /* It would iterate a context on the body's stack, where no callback may
   * run. */
  if (agen_fiber_get_current () != NULL)
    {
      g_critical ("agen_shutdown_generators() may not be called from a generator's "
                  "body; use agen_shutdown_generators_async()");
      return FALSE;
    }

  shutdown.context = context != NULL ? g_main_context_ref (context)
                                     : g_main_context_ref (g_main_context_default ());
  shutdown.cancellable = cancellable;
  g_mutex_init (&shutdown.mutex);
  g_cond_init (&shutdown.cond);

  if (g_main_context_acquire (shutdown.context))
    {
      shutdown_start_cb (&shutdown);
      while (!shutdown.done)
        g_main_context_iteration (shutdown.context, TRUE);
      g_main_context_release (shutdown.context);
    }
  else
    {
      g_main_context_invoke (shutdown.context, shutdown_start_cb, &shutdown);
      g_mutex_lock (&shutdown.mutex);
      while (!shutdown.done)
        g_cond_wait (&shutdown.cond, &shutdown.mutex);
      AGEN_TSAN_ACQUIRE (&shutdown.mutex);
      g_mutex_unlock (&shutdown.mutex);
    }

  ok = shutdown.ok;
  if (!ok)
    g_propagate_error (error, shutdown.error);

  g_mutex_clear (&shutdown.mutex);
  g_cond_clear (&shutdown.cond);
  g_main_context_unref (shutdown.context);
  return ok;
}
