/* agen-dispatcher.c — one dispatch source per GMainContext
 *
 * Copyright 2026 The agen authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <unistd.h>

#include <glib/gi18n-lib.h>

#include "agen-dispatcher-private.h"
#include "agen-fiber-private.h"
#include "agen-tsan-private.h"

struct _AgenDispatcher
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

  /* The generator layer's data (agen_dispatcher_ensure_data()), under
   * lock until set, then read-only. */
  gpointer          data;
  GDestroyNotify    data_destroy;
};

/* GMainContext has no qdata, so the contexts we know live in a table,
 * keyed by address. A source is removed from it when its context
 * destroys it, so an address reused by a new context never finds a stale
 * entry. The per-thread cache below carries the table's generation to
 * notice removals without taking the lock: the generation is written
 * under the lock but read without it, so every access is atomic. */
G_LOCK_DEFINE_STATIC (contexts);
static GHashTable *contexts;
static guint contexts_generation;

typedef struct
{
  GMainContext *context;
  AgenDispatcher  *state;
  guint         generation;
} ContextCache;

/* initial-exec: one load off the thread pointer instead of a
 * __tls_get_addr() call per lookup (this is on every operation's path). */
static __thread __attribute__ ((tls_model ("initial-exec"))) ContextCache thread_cache;

/* The dispatcher whose dispatch() runs on this thread right now, if any:
 * agen_dispatcher_queue_in_pass() adds to its current pass. */
static __thread __attribute__ ((tls_model ("initial-exec"))) AgenDispatcher *dispatching;

/* A per-thread address, as a cheap identity of the calling thread. */
static inline gpointer
current_thread_id (void)
{
  return &thread_cache;
}

/* The locks, made visible to ThreadSanitizer (see agen-tsan-private.h). */
static inline void
contexts_lock (void)
{
  G_LOCK (contexts);
  AGEN_TSAN_ACQUIRE (&contexts);
}

static inline void
contexts_unlock (void)
{
  AGEN_TSAN_RELEASE (&contexts);
  G_UNLOCK (contexts);
}

static inline void
context_lock (AgenDispatcher *self)
{
  g_mutex_lock (&self->lock);
  AGEN_TSAN_ACQUIRE (&self->lock);
}

static inline void
context_unlock (AgenDispatcher *self)
{
  AGEN_TSAN_RELEASE (&self->lock);
  g_mutex_unlock (&self->lock);
}

static gboolean
agen_dispatcher_prepare (GSource *source,
                      int     *timeout)
{
  AgenDispatcher *self = (AgenDispatcher *) source;
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
agen_dispatcher_check (GSource *source)
{
  AgenDispatcher *self = (AgenDispatcher *) source;

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
agen_dispatcher_dispatch (GSource     *source,
                       GSourceFunc  callback,
                       gpointer     user_data)
{
  AgenDispatcher *self = (AgenDispatcher *) source;
  AgenDispatcher *outer = dispatching;

  dispatching = self;

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

  dispatching = outer;
  return G_SOURCE_CONTINUE;
}

static void
agen_dispatcher_finalize (GSource *source)
{
  AgenDispatcher *self = (AgenDispatcher *) source;

  contexts_lock ();
  if (contexts != NULL &&
      g_hash_table_lookup (contexts, self->context) == self)
    g_hash_table_remove (contexts, self->context);
  g_atomic_int_inc (&contexts_generation);
  contexts_unlock ();

  /* Items still queued belong to a context that will never run again;
   * their owners (results, generators) are leaked rather than run on a
   * foreign thread. Run shutdown before dropping a context. */
  if (self->incoming_head != NULL || self->ready_head != NULL)
    g_warning ("A GMainContext with pending agen work was destroyed; "
               "that work will never run");

  if (self->data_destroy != NULL)
    self->data_destroy (self->data);
  g_mutex_clear (&self->lock);
}

static GSourceFuncs agen_dispatcher_funcs = {
  .prepare = agen_dispatcher_prepare,
  .check = agen_dispatcher_check,
  .dispatch = agen_dispatcher_dispatch,
  .finalize = agen_dispatcher_finalize,
};

static AgenDispatcher *
agen_dispatcher_new (GMainContext *context)
{
  AgenDispatcher *self;

  self = (AgenDispatcher *) g_source_new (&agen_dispatcher_funcs, sizeof *self);
  g_mutex_init (&self->lock);
  self->context = context;
  g_source_set_static_name ((GSource *) self, "[agen] dispatch");
  g_source_set_priority ((GSource *) self, G_PRIORITY_DEFAULT);
  /* Blocking calls iterate the context from inside an item. */
  g_source_set_can_recurse ((GSource *) self, TRUE);
  g_source_attach ((GSource *) self, context);

  return self;
}

AgenDispatcher *
agen_dispatcher_get (GMainContext *context)
{
  AgenDispatcher *self;

  if (context == NULL)
    context = g_main_context_default ();

  if (thread_cache.context == context &&
      thread_cache.generation == (guint) g_atomic_int_get (&contexts_generation))
    return thread_cache.state;

  contexts_lock ();
  if (contexts == NULL)
    contexts = g_hash_table_new (NULL, NULL);
  self = g_hash_table_lookup (contexts, context);
  if (self == NULL)
    {
      self = agen_dispatcher_new (context);
      g_hash_table_insert (contexts, context, self);
      /* The context holds the source; the table does not. */
      g_source_unref ((GSource *) self);
    }
  thread_cache.context = context;
  thread_cache.state = self;
  thread_cache.generation = (guint) g_atomic_int_get (&contexts_generation);
  contexts_unlock ();

  return self;
}

AgenDispatcher *
agen_dispatcher_get_thread_default (void)
{
  return agen_dispatcher_get (g_main_context_get_thread_default ());
}

/* The AgenDispatcher lives exactly as long as its GMainContext (which holds
 * the attached source), so a reference to one is a reference to the
 * other: an atomic increment, no lock. */
AgenDispatcher *
agen_dispatcher_ref (AgenDispatcher *self)
{
  g_main_context_ref (self->context);
  return self;
}

void
agen_dispatcher_unref (AgenDispatcher *self)
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
agen_dispatcher_is_current_thread (AgenDispatcher *self)
{
  gpointer iter_thread = g_atomic_pointer_get (&self->iter_thread);

  if (G_LIKELY (iter_thread != NULL))
    return iter_thread == current_thread_id ();

  /* Never iterated yet: the context is this thread's if this thread has
   * it as its thread-default, except the global default context, which
   * every thread without a context of its own sees as its thread-default
   * and which belongs to the main thread. Remember the answer: the thread
   * that iterates it will correct it in prepare() if need be. */
  if (self != agen_dispatcher_get_thread_default ())
    return FALSE;

  if (self->context == g_main_context_default () && !is_main_thread ())
    return FALSE;

  g_atomic_pointer_compare_and_exchange (&self->iter_thread, NULL, current_thread_id ());
  return TRUE;
}

GMainContext *
agen_dispatcher_get_main_context (AgenDispatcher *self)
{
  return self->context;
}

void
agen_dispatcher_queue (AgenDispatcher      *self,
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
agen_dispatcher_invoke (AgenDispatcher    *self,
                     AgenInvokeFunc  func,
                     gpointer        data)
{
  InvokeItem *invoke = g_new0 (InvokeItem, 1);

  invoke->item.func = invoke_item_run;
  invoke->func = func;
  invoke->data = data;
  agen_dispatcher_queue (self, &invoke->item);
}

gpointer
agen_dispatcher_ensure_data (AgenDispatcher  *self,
                             gpointer       (*create) (void),
                             GDestroyNotify   destroy)
{
  gpointer data = g_atomic_pointer_get (&self->data);

  if (G_LIKELY (data != NULL))
    return data;

  context_lock (self);
  if (self->data == NULL)
    {
      self->data_destroy = destroy;
      g_atomic_pointer_set (&self->data, create ());
    }
  data = self->data;
  context_unlock (self);

  return data;
}

void
agen_dispatcher_queue_in_pass (AgenDispatcher   *self,
                               AgenDispatchItem *item)
{
  if (dispatching != self)
    {
      agen_dispatcher_queue (self, item);
      return;
    }

  /* The ready list belongs to the thread iterating the context, which is
   * this one, inside dispatch(): no lock. */
  item->next = NULL;
  if (self->ready_tail != NULL)
    self->ready_tail->next = item;
  else
    self->ready_head = item;
  self->ready_tail = item;
}
