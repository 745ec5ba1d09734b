/* agen-hooks.c — per-context generator hooks, tracking of live
 * generators, closes of abandoned ones, and shutdown
 *
 * Copyright 2026 The agen authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <stdio.h>

#include <glib/gi18n-lib.h>

#include "agen-fiber-private.h"
#include "agen-generator.h"
#include "agen-generator-private.h"
#include "agen-hooks.h"
#include "agen-hooks-private.h"
#include "agen-tsan-private.h"

/* What agen knows about the generators of one GMainContext, kept in its
 * dispatcher's data slot (docs/semantics.md, "Owner, hooks, finalization
 * and shutdown"). tracked: the generators first run under the
 * context, as plain pointers; each removes itself in dispose, which
 * GObject runs before the last reference goes, so a reference taken under
 * the lock is always safe. */
typedef struct
{
  GMutex         lock;
  AgenHooks     *hooks;
  AgenTrackLink *tracked;         /* a list through the generators */
  guint          pending_closes;
  GSList        *close_waiters;   /* ShutdownData waiting for pending_closes == 0 */
  gboolean       shut_down;
} Registry;

static gpointer
registry_new (void)
{
  Registry *self = g_new0 (Registry, 1);

  g_mutex_init (&self->lock);
  return self;
}

static void
registry_free (gpointer data)
{
  Registry *self = data;

  g_clear_pointer (&self->hooks, agen_hooks_unref);
  g_mutex_clear (&self->lock);
  g_free (self);
}

static inline Registry *
registry_get (AgenDispatcher *dispatcher)
{
  return agen_dispatcher_ensure_data (dispatcher, registry_new, registry_free);
}

/* Takes link out of the tracked list; under the lock. */
static void
registry_unlink (Registry      *self,
                 AgenTrackLink *link)
{
  if (link->prev != NULL)
    link->prev->next = link->next;
  else
    self->tracked = link->next;
  if (link->next != NULL)
    link->next->prev = link->prev;
  link->prev = link->next = NULL;
  link->generator = NULL;
}

/* The lock, made visible to ThreadSanitizer (see agen-tsan-private.h). */
static inline void
registry_lock (Registry *self)
{
  g_mutex_lock (&self->lock);
  AGEN_TSAN_ACQUIRE (&self->lock);
}

static inline void
registry_unlock (Registry *self)
{
  AGEN_TSAN_RELEASE (&self->lock);
  g_mutex_unlock (&self->lock);
}

/* ------------------------------------------------------------------------
 * Hooks and tracking (docs/semantics.md, "Hooks" and "Tracking")
 * ------------------------------------------------------------------------ */

AgenHooks *
agen_hooks_ref (AgenHooks *hooks)
{
  g_atomic_ref_count_inc (&hooks->ref_count);
  return hooks;
}

static void
hooks_destroy_user_data (gpointer data)
{
  AgenHooks *hooks = data;

  hooks->user_data_destroy (hooks->user_data);
  g_free (hooks);
}

void
agen_hooks_unref (AgenHooks *hooks)
{
  if (!g_atomic_ref_count_dec (&hooks->ref_count))
    return;

  if (hooks->user_data_destroy == NULL)
    {
      g_free (hooks);
      return;
    }

  /* The destroy notify may come from a binding: not on a fiber's stack. */
  agen_fiber_call_on_thread_stack (hooks_destroy_user_data, hooks);
}

/**
 * agen_set_generator_hooks:
 * @context: (nullable): a main context, %NULL for the global default one
 * @first_iter: (nullable) (scope notified) (closure user_data): called
 *   synchronously, once, at the first operation on each generator that
 *   @context comes to own
 * @finalizer: (nullable) (scope notified) (closure user_data) (destroy user_data_destroy):
 *   called on @context with a new reference to a generator whose last
 *   reference was dropped while it was suspended; it owns that reference,
 *   and normally starts a close and drops the reference when the close
 *   completes
 * @user_data: data for both hooks
 * @user_data_destroy: (nullable): destroys @user_data once neither hook
 *   can be called any more
 *
 * Sets the generator hooks of @context, like Python's
 * `sys.set_asyncgen_hooks()` (which is per thread; these are per main
 * context). A generator captures the finalizer current at its first
 * operation; later changes do not affect it.
 *
 * Passing %NULL for both hooks restores the built-in behaviour: a
 * generator dropped while suspended is closed on its owner context, so its
 * cleanup code runs. Thread-safe.
 *
 * Since: 0.1
 */
void
agen_set_generator_hooks (GMainContext   *context,
                          AgenHookFunc    first_iter,
                          AgenFinalizerFunc finalizer,
                          gpointer        user_data,
                          GDestroyNotify  user_data_destroy)
{
  Registry *self = registry_get (agen_dispatcher_get (context));
  AgenHooks *hooks = NULL;
  AgenHooks *old;

  if (first_iter != NULL || finalizer != NULL)
    {
      hooks = g_new0 (AgenHooks, 1);
      g_atomic_ref_count_init (&hooks->ref_count);
      hooks->first_iter = first_iter;
      hooks->finalizer = finalizer;
      hooks->user_data = user_data;
      hooks->user_data_destroy = user_data_destroy;
    }
  else if (user_data_destroy != NULL)
    {
      user_data_destroy (user_data);
    }

  registry_lock (self);
  old = g_steal_pointer (&self->hooks);
  self->hooks = hooks;
  registry_unlock (self);

  g_clear_pointer (&old, agen_hooks_unref);
}

AgenHooks *
agen_hooks_track (AgenDispatcher   *dispatcher,
                    AgenTrackLink *link,
                    gpointer       generator,
                    const char    *name)
{
  Registry *self = registry_get (dispatcher);
  AgenHooks *hooks;
  gboolean shut_down;

  registry_lock (self);
  link->generator = generator;
  link->prev = NULL;
  link->next = self->tracked;
  if (self->tracked != NULL)
    self->tracked->prev = link;
  self->tracked = link;
  hooks = self->hooks ? agen_hooks_ref (self->hooks) : NULL;
  shut_down = self->shut_down;
  registry_unlock (self);

  if (shut_down)
    g_warning ("Generator '%s' was first run under a main context whose "
               "generators have been shut down",
               name ? name : agen_generator_display_name (generator));

  return hooks;
}

void
agen_hooks_untrack (AgenDispatcher   *dispatcher,
                      AgenTrackLink *link)
{
  Registry *self = registry_get (dispatcher);
  registry_lock (self);
  if (link->generator != NULL)
    registry_unlink (self, link);
  registry_unlock (self);
}

/* ------------------------------------------------------------------------
 * Shutdown
 * ------------------------------------------------------------------------ */

typedef struct
{
  GTask       *task;
  AgenDispatcher *dispatcher;     /* of the context being shut down */
  guint        outstanding;    /* closes in flight + 1 while waiting for finalizer closes */
} ShutdownData;

static void
shutdown_return (gpointer data)
{
  ShutdownData *shutdown = data;
  GTask *task = g_steal_pointer (&shutdown->task);

  agen_dispatcher_unref (shutdown->dispatcher);
  g_free (shutdown);

  g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

static void
shutdown_step_done (ShutdownData *shutdown)
{
  GMainContext *task_context;

  g_assert (shutdown->outstanding > 0);
  if (--shutdown->outstanding > 0)
    return;

  /* Return from the task's own context, from the thread's stack, never
   * from a fiber or from inside a close. */
  task_context = g_task_get_context (shutdown->task);
  agen_dispatcher_invoke (agen_dispatcher_get (task_context), shutdown_return, shutdown);
}

static void
shutdown_close_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  AgenGenerator *generator = AGEN_GENERATOR (source);
  ShutdownData *shutdown = user_data;
  g_autoptr(GError) error = NULL;

  if (!agen_generator_close_finish (generator, result, &error))
    {
      g_warning ("Shutdown could not close generator '%s': %s",
                 agen_generator_display_name (generator), error->message);
    }

  shutdown_step_done (shutdown);
}

/* Drops shutdown's reference to a generator that its owner thread may
 * finalize (see agen-tsan-private.h). */
static void
shutdown_unref_generator (gpointer generator)
{
  AGEN_TSAN_RELEASE (generator);
  g_object_unref (generator);
}

static void
shutdown_finalizer_closes_done (gpointer data)
{
  shutdown_step_done (data);
}

/* Closes of abandoned generators scheduled and not yet completed, in all
 * contexts: what the exit check below reports. */
static gint abandoned_closes_pending;

/* A program that drops a suspended generator and then never iterates its
 * context again (no main loop, or one that has quit) never runs the
 * body's cleanup, silently. Checked once, at exit, for one atomic
 * increment and decrement per abandoned generator: a message on stderr
 * (not a g_warning(), which G_DEBUG=fatal-warnings would turn into an
 * abort at exit) saying what to do. */
#if defined(__GNUC__) || defined(__clang__)
__attribute__((destructor))
static void
agen_hooks_check_at_exit (void)
{
  int pending = g_atomic_int_get (&abandoned_closes_pending);

  if (pending > 0 && g_getenv ("AGEN_NO_EXIT_CHECK") == NULL)
    fprintf (stderr,
             "agen: %d dropped generator(s) never ran their cleanup: their main "
             "context was not iterated again after they were dropped. Iterate it "
             "until they have closed, or call agen_shutdown_generators() before "
             "exiting.\n", pending);
}
#endif

void
agen_hooks_begin_pending_close (AgenDispatcher *dispatcher)
{
  Registry *self = registry_get (dispatcher);

  g_atomic_int_inc (&abandoned_closes_pending);
  registry_lock (self);
  self->pending_closes++;
  registry_unlock (self);
}

void
agen_hooks_end_pending_close (AgenDispatcher *dispatcher)
{
  Registry *self = registry_get (dispatcher);
  GSList *waiters = NULL;

  g_atomic_int_add (&abandoned_closes_pending, -1);
  registry_lock (self);
  g_assert (self->pending_closes > 0);
  if (--self->pending_closes == 0)
    waiters = g_steal_pointer (&self->close_waiters);
  registry_unlock (self);

  /* Possibly on a fiber: hand each waiter to its task's context. */
  for (GSList *l = waiters; l != NULL; l = l->next)
    {
      ShutdownData *shutdown = l->data;
      GMainContext *task_context = g_task_get_context (shutdown->task);

      agen_dispatcher_invoke (agen_dispatcher_get (task_context),
                           shutdown_finalizer_closes_done, shutdown);
    }
  g_slist_free (waiters);
}

/**
 * agen_shutdown_generators_async:
 * @context: (nullable): a main context, %NULL for the global default one
 * @cancellable: (nullable): a cancellable, passed to every close
 * @callback: (scope async) (closure user_data): called when every close
 *   has completed
 * @user_data: data for @callback
 *
 * Closes every live generator that @context owns and that has started and
 * not finished, like asyncio's `loop.shutdown_asyncgens()`: all at once,
 * waiting for every close, and for closes of abandoned generators already
 * scheduled there. A close that fails is logged with g_warning; shutdown
 * itself succeeds. Generators first run under @context afterwards trigger
 * a warning.
 *
 * A closing generator's cleanup runs on @context, so keep iterating it
 * until @callback has run. Run this before dropping a context that will no
 * longer be iterated: generators waiting to be closed there are otherwise
 * kept alive and never cleaned up.
 *
 * Since: 0.1
 */
void
agen_shutdown_generators_async (GMainContext        *context,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  AgenDispatcher *dispatcher;
  Registry *self;
  g_autoptr(GTask) task = NULL;
  g_autoptr(GPtrArray) generators = NULL;
  ShutdownData *shutdown;

  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  dispatcher = agen_dispatcher_get (context);
  self = registry_get (dispatcher);
  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, agen_shutdown_generators_async);
  g_task_set_check_cancellable (task, FALSE);

  if (g_task_return_error_if_cancelled (task))
    return;

  generators = g_ptr_array_new_with_free_func (shutdown_unref_generator);

  shutdown = g_new0 (ShutdownData, 1);
  shutdown->task = g_object_ref (task);
  shutdown->dispatcher = agen_dispatcher_ref (dispatcher);
  shutdown->outstanding = 1;   /* the wait for finalizer closes */

  registry_lock (self);
  self->shut_down = TRUE;
  /* Every tracked generator leaves the list but those that have not
   * started: a first op that left one CREATED (a refused send, a stack the
   * kernel refused) tracked it once and for all, and a later shutdown
   * must still find it if it starts. */
  for (AgenTrackLink *link = self->tracked, *next; link != NULL; link = next)
    {
      AgenGeneratorState state = agen_generator_get_state (link->generator);

      next = link->next;
      if (state == AGEN_GENERATOR_STATE_CREATED)
        continue;
      if (state != AGEN_GENERATOR_STATE_CLOSED)
        g_ptr_array_add (generators, g_object_ref (link->generator));
      registry_unlink (self, link);
    }
  if (self->pending_closes > 0)
    self->close_waiters = g_slist_prepend (self->close_waiters, shutdown);
  else
    shutdown->outstanding--;
  registry_unlock (self);

  shutdown->outstanding += generators->len;

  if (shutdown->outstanding == 0)
    {
      shutdown->outstanding = 1;
      shutdown_step_done (shutdown);
      return;
    }

  for (guint i = 0; i < generators->len; i++)
    agen_generator_close_async (generators->pdata[i], cancellable,
                                shutdown_close_cb, shutdown);
}

/**
 * agen_shutdown_generators_finish:
 * @result: the result passed to the callback
 * @error: return location for an error
 *
 * Finishes [func@shutdown_generators_async].
 *
 * Returns: %TRUE, or %FALSE with %G_IO_ERROR_CANCELLED when the
 *   cancellable was already cancelled at the call
 *
 * Since: 0.1
 */
/**
 * agen_reopen_generators:
 * @context: (nullable): a main context, %NULL for the global default one
 *
 * Clears the mark that [func@shutdown_generators_async] leaves on
 * @context, for a runner that takes the context over again, as each of
 * asyncio's event loops starts afresh: generators first run under
 * @context afterwards no longer trigger the warning. Those that a
 * shutdown closed stay closed. Thread-safe.
 *
 * Since: 0.1
 */
void
agen_reopen_generators (GMainContext *context)
{
  Registry *self = registry_get (agen_dispatcher_get (context));

  registry_lock (self);
  self->shut_down = FALSE;
  registry_unlock (self);
}

gboolean
agen_shutdown_generators_finish (GAsyncResult  *result,
                                 GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == agen_shutdown_generators_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
