/* agen-context.c — per-GMainContext state and its dispatch source
 *
 * Copyright 2026 The agen authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <unistd.h>

#include <glib/gi18n-lib.h>

#include "agen-context-private.h"
#include "agen-fiber-private.h"
#include "agen-generator.h"
#include "agen-hooks.h"
#include "agen-tsan-private.h"

struct _AgenContext
{
  GSource           source;

  GMainContext     *context;      /* borrowed: the source lives in it */

  /* The thread iterating the context, as last seen by prepare(); NULL
   * until it is first iterated. */
  gpointer          iter_thread;

  /* Items queued and not yet seen by check(). Any thread, under lock. */
  GMutex            lock;
  AgenDispatchItem *incoming_head;
  AgenDispatchItem *incoming_tail;

  /* Items check() has claimed for this iteration's dispatch. Only the
   * thread iterating the context touches these. */
  AgenDispatchItem *ready_head;
  AgenDispatchItem *ready_tail;

  /* Hooks, tracking and shutdown, under lock (docs/semantics.md,
   * "Owner, hooks, finalization and shutdown"). tracked: generators
   * first run under this context, as plain pointers; each removes itself
   * in dispose, which GObject runs before the last reference goes, so a
   * reference taken under the lock is always safe. */
  AgenHooks        *hooks;
  AgenTrackLink    *tracked;       /* a list through the generators */
  guint             pending_closes;
  GSList           *close_waiters;   /* ShutdownData waiting for pending_closes == 0 */
  gboolean          shut_down;
};

/* GMainContext has no qdata, so the contexts we know live in a table,
 * keyed by address. A source is removed from it when its context
 * destroys it, so an address reused by a new context never finds a stale
 * entry. The per-thread cache below carries the table's generation to
 * notice removals without taking the lock. */
G_LOCK_DEFINE_STATIC (contexts);
static GHashTable *contexts;
static guint contexts_generation;

typedef struct
{
  GMainContext *context;
  AgenContext  *state;
  guint         generation;
} ContextCache;

/* initial-exec: one load off the thread pointer instead of a
 * __tls_get_addr() call per lookup (this is on every operation's path). */
static __thread __attribute__ ((tls_model ("initial-exec"))) ContextCache thread_cache;

/* A per-thread address, as a cheap identity of the calling thread. */
static inline gpointer
current_thread_id (void)
{
  return &thread_cache;
}

/* The lock, made visible to ThreadSanitizer (see agen-tsan-private.h). */
static inline void
context_lock (AgenContext *self)
{
  g_mutex_lock (&self->lock);
  AGEN_TSAN_ACQUIRE (&self->lock);
}

static inline void
context_unlock (AgenContext *self)
{
  AGEN_TSAN_RELEASE (&self->lock);
  g_mutex_unlock (&self->lock);
}

static gboolean
agen_context_prepare (GSource *source,
                      int     *timeout)
{
  AgenContext *self = (AgenContext *) source;
  gpointer me = current_thread_id ();
  gboolean pending;

  if (G_UNLIKELY (g_atomic_pointer_get (&self->iter_thread) != me))
    g_atomic_pointer_set (&self->iter_thread, me);

  context_lock (self);
  pending = self->incoming_head != NULL;
  context_unlock (self);

  /* Never ready in prepare(): check() must run to claim the items, so that
   * what is queued after check() waits for the next iteration. */
  *timeout = pending ? 0 : -1;
  return FALSE;
}

static gboolean
agen_context_check (GSource *source)
{
  AgenContext *self = (AgenContext *) source;

  context_lock (self);
  if (self->incoming_head != NULL)
    {
      if (self->ready_tail != NULL)
        self->ready_tail->next = self->incoming_head;
      else
        self->ready_head = self->incoming_head;
      self->ready_tail = self->incoming_tail;
      self->incoming_head = self->incoming_tail = NULL;
    }
  context_unlock (self);

  return self->ready_head != NULL;
}

static gboolean
agen_context_dispatch (GSource     *source,
                       GSourceFunc  callback,
                       gpointer     user_data)
{
  AgenContext *self = (AgenContext *) source;

  /* One item at a time off the shared list: an item may iterate the
   * context recursively (a blocking call), and the nested dispatch then
   * carries on with the same list. */
  while (self->ready_head != NULL)
    {
      AgenDispatchItem *item = self->ready_head;

      self->ready_head = item->next;
      if (self->ready_head == NULL)
        self->ready_tail = NULL;
      item->next = NULL;

      AGEN_TSAN_ACQUIRE (item);
      item->func (item);
    }

  return G_SOURCE_CONTINUE;
}

static void
agen_context_finalize (GSource *source)
{
  AgenContext *self = (AgenContext *) source;

  G_LOCK (contexts);
  if (contexts != NULL &&
      g_hash_table_lookup (contexts, self->context) == self)
    g_hash_table_remove (contexts, self->context);
  contexts_generation++;
  G_UNLOCK (contexts);

  /* Items still queued belong to a context that will never run again;
   * their owners (results, generators) are leaked rather than run on a
   * foreign thread. Run shutdown before dropping a context. */
  if (self->incoming_head != NULL || self->ready_head != NULL)
    g_warning ("A GMainContext with pending agen work was destroyed; "
               "that work will never run");

  g_clear_pointer (&self->hooks, agen_hooks_unref);
  g_mutex_clear (&self->lock);
}

static GSourceFuncs agen_context_funcs = {
  .prepare = agen_context_prepare,
  .check = agen_context_check,
  .dispatch = agen_context_dispatch,
  .finalize = agen_context_finalize,
};

static AgenContext *
agen_context_new (GMainContext *context)
{
  AgenContext *self;

  self = (AgenContext *) g_source_new (&agen_context_funcs, sizeof *self);
  g_mutex_init (&self->lock);
  self->context = context;
  g_source_set_static_name ((GSource *) self, "[agen] dispatch");
  g_source_set_priority ((GSource *) self, G_PRIORITY_DEFAULT);
  /* Blocking calls iterate the context from inside an item. */
  g_source_set_can_recurse ((GSource *) self, TRUE);
  g_source_attach ((GSource *) self, context);

  return self;
}

AgenContext *
agen_context_get (GMainContext *context)
{
  AgenContext *self;

  if (context == NULL)
    context = g_main_context_default ();

  if (thread_cache.context == context &&
      thread_cache.generation == (guint) g_atomic_int_get (&contexts_generation))
    return thread_cache.state;

  G_LOCK (contexts);
  if (contexts == NULL)
    contexts = g_hash_table_new (NULL, NULL);
  self = g_hash_table_lookup (contexts, context);
  if (self == NULL)
    {
      self = agen_context_new (context);
      g_hash_table_insert (contexts, context, self);
      /* The context holds the source; the table does not. */
      g_source_unref ((GSource *) self);
    }
  thread_cache.context = context;
  thread_cache.state = self;
  thread_cache.generation = contexts_generation;
  G_UNLOCK (contexts);

  return self;
}

AgenContext *
agen_context_get_thread_default (void)
{
  return agen_context_get (g_main_context_get_thread_default ());
}

/* The AgenContext lives exactly as long as its GMainContext (which holds
 * the attached source), so a reference to one is a reference to the
 * other: an atomic increment, no lock. */
AgenContext *
agen_context_ref (AgenContext *self)
{
  g_main_context_ref (self->context);
  return self;
}

void
agen_context_unref (AgenContext *self)
{
  g_main_context_unref (self->context);
}

static gboolean
is_main_thread (void)
{
#ifdef __linux__
  /* The main thread's id is the process id. */
  return gettid () == getpid ();
#else
  return TRUE;
#endif
}

gboolean
agen_context_is_current_thread (AgenContext *self)
{
  gpointer iter_thread = g_atomic_pointer_get (&self->iter_thread);

  if (G_LIKELY (iter_thread != NULL))
    return iter_thread == current_thread_id ();

  /* Never iterated yet: the context is this thread's if this thread has
   * it as its thread-default, except the global default context, which
   * every thread without a context of its own sees as its thread-default
   * and which belongs to the main thread. Remember the answer: the thread
   * that iterates it will correct it in prepare() if need be. */
  if (self != agen_context_get_thread_default ())
    return FALSE;

  if (self->context == g_main_context_default () && !is_main_thread ())
    return FALSE;

  g_atomic_pointer_compare_and_exchange (&self->iter_thread, NULL, current_thread_id ());
  return TRUE;
}

GMainContext *
agen_context_get_main_context (AgenContext *self)
{
  return self->context;
}

void
agen_context_queue (AgenContext      *self,
                    AgenDispatchItem *item)
{
  gboolean was_empty;

  item->next = NULL;
  AGEN_TSAN_RELEASE (item);

  context_lock (self);
  was_empty = self->incoming_head == NULL;
  if (self->incoming_tail != NULL)
    self->incoming_tail->next = item;
  else
    self->incoming_head = item;
  self->incoming_tail = item;
  context_unlock (self);

  /* The thread iterating the context runs prepare() again before it polls,
   * so only another thread (or a context nobody holds right now) needs a
   * wakeup, and only for the first item. */
  if (was_empty && !g_main_context_is_owner (self->context))
    g_main_context_wakeup (self->context);
}

typedef struct
{
  AgenDispatchItem item;
  AgenInvokeFunc   func;
  gpointer         data;
} InvokeItem;

static void
invoke_item_run (AgenDispatchItem *item)
{
  InvokeItem *invoke = (InvokeItem *) item;

  invoke->func (invoke->data);
  g_free (invoke);
}

void
agen_context_invoke (AgenContext    *self,
                     AgenInvokeFunc  func,
                     gpointer        data)
{
  InvokeItem *invoke = g_new0 (InvokeItem, 1);

  invoke->item.func = invoke_item_run;
  invoke->func = func;
  invoke->data = data;
  agen_context_queue (self, &invoke->item);
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
 * @finalizer: (nullable) (scope notified) (closure user_data): called on
 *   @context with a new reference (transfer full) to a generator whose last
 *   reference was dropped while it was suspended; it normally starts a
 *   close and drops the reference when the close completes
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
 */
void
agen_set_generator_hooks (GMainContext   *context,
                          AgenHookFunc    first_iter,
                          AgenHookFunc    finalizer,
                          gpointer        user_data,
                          GDestroyNotify  user_data_destroy)
{
  AgenContext *self = agen_context_get (context);
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

  context_lock (self);
  old = g_steal_pointer (&self->hooks);
  self->hooks = hooks;
  context_unlock (self);

  g_clear_pointer (&old, agen_hooks_unref);
}

AgenHooks *
agen_context_track (AgenContext   *self,
                    AgenTrackLink *link,
                    gpointer       generator,
                    const char    *name)
{
  AgenHooks *hooks;
  gboolean shut_down;

  context_lock (self);
  link->generator = generator;
  link->prev = NULL;
  link->next = self->tracked;
  if (self->tracked != NULL)
    self->tracked->prev = link;
  self->tracked = link;
  hooks = self->hooks ? agen_hooks_ref (self->hooks) : NULL;
  shut_down = self->shut_down;
  context_unlock (self);

  if (shut_down)
    g_warning ("Generator '%s' was first run under a main context whose "
               "generators have been shut down",
               name ? name : "(unnamed)");

  return hooks;
}

void
agen_context_untrack (AgenContext   *self,
                      AgenTrackLink *link)
{
  context_lock (self);
  if (link->generator != NULL)
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
  context_unlock (self);
}

/* ------------------------------------------------------------------------
 * Shutdown
 * ------------------------------------------------------------------------ */

typedef struct
{
  GTask       *task;
  AgenContext *context;        /* the one being shut down */
  guint        outstanding;    /* closes in flight + 1 while waiting for finalizer closes */
} ShutdownData;

static void
shutdown_return (gpointer data)
{
  ShutdownData *shutdown = data;
  GTask *task = g_steal_pointer (&shutdown->task);

  agen_context_unref (shutdown->context);
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
  agen_context_invoke (agen_context_get (task_context), shutdown_return, shutdown);
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
      const char *name = agen_generator_get_name (generator);

      g_warning ("Shutdown could not close generator '%s': %s",
                 name ? name : "(unnamed)", error->message);
    }

  shutdown_step_done (shutdown);
}

static void
shutdown_finalizer_closes_done (gpointer data)
{
  shutdown_step_done (data);
}

void
agen_context_begin_pending_close (AgenContext *self)
{
  context_lock (self);
  self->pending_closes++;
  context_unlock (self);
}

void
agen_context_end_pending_close (AgenContext *self)
{
  GSList *waiters = NULL;

  context_lock (self);
  g_assert (self->pending_closes > 0);
  if (--self->pending_closes == 0)
    waiters = g_steal_pointer (&self->close_waiters);
  context_unlock (self);

  /* Possibly on a fiber: hand each waiter to its task's context. */
  for (GSList *l = waiters; l != NULL; l = l->next)
    {
      ShutdownData *shutdown = l->data;
      GMainContext *task_context = g_task_get_context (shutdown->task);

      agen_context_invoke (agen_context_get (task_context),
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
 */
void
agen_shutdown_generators_async (GMainContext        *context,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  AgenContext *self;
  g_autoptr(GTask) task = NULL;
  g_autoptr(GPtrArray) generators = NULL;
  ShutdownData *shutdown;

  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  self = agen_context_get (context);
  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, agen_shutdown_generators_async);
  g_task_set_check_cancellable (task, FALSE);

  if (g_task_return_error_if_cancelled (task))
    return;

  generators = g_ptr_array_new_with_free_func (g_object_unref);

  shutdown = g_new0 (ShutdownData, 1);
  shutdown->task = g_object_ref (task);
  shutdown->context = agen_context_ref (self);
  shutdown->outstanding = 1;   /* the wait for finalizer closes */

  context_lock (self);
  self->shut_down = TRUE;
  while (self->tracked != NULL)
    {
      AgenTrackLink *link = self->tracked;
      AgenGeneratorState state = agen_generator_get_state (link->generator);

      if (state != AGEN_GENERATOR_STATE_CREATED &&
          state != AGEN_GENERATOR_STATE_CLOSED)
        g_ptr_array_add (generators, g_object_ref (link->generator));

      self->tracked = link->next;
      link->prev = link->next = NULL;
      link->generator = NULL;
    }
  if (self->pending_closes > 0)
    self->close_waiters = g_slist_prepend (self->close_waiters, shutdown);
  else
    shutdown->outstanding--;
  context_unlock (self);

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
 */
gboolean
agen_shutdown_generators_finish (GAsyncResult  *result,
                                 GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == agen_shutdown_generators_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
