/* agen-context.c — per-GMainContext state and its dispatch source
 *
 * Copyright 2026 The agen authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "agen-context-private.h"
#include "agen-fiber-private.h"

struct _AgenContext
{
  GSource           source;

  GMainContext     *context;      /* borrowed: the source lives in it */

  /* Items queued and not yet seen by check(). Any thread, under lock. */
  GMutex            lock;
  AgenDispatchItem *incoming_head;
  AgenDispatchItem *incoming_tail;

  /* Items check() has claimed for this iteration's dispatch. Only the
   * thread iterating the context touches these. */
  AgenDispatchItem *ready_head;
  AgenDispatchItem *ready_tail;
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

static __thread ContextCache thread_cache;

static gboolean
agen_context_prepare (GSource *source,
                      int     *timeout)
{
  AgenContext *self = (AgenContext *) source;
  gboolean pending;

  g_mutex_lock (&self->lock);
  pending = self->incoming_head != NULL;
  g_mutex_unlock (&self->lock);

  /* Never ready in prepare(): check() must run to claim the items, so that
   * what is queued after check() waits for the next iteration. */
  *timeout = pending ? 0 : -1;
  return FALSE;
}

static gboolean
agen_context_check (GSource *source)
{
  AgenContext *self = (AgenContext *) source;

  g_mutex_lock (&self->lock);
  if (self->incoming_head != NULL)
    {
      if (self->ready_tail != NULL)
        self->ready_tail->next = self->incoming_head;
      else
        self->ready_head = self->incoming_head;
      self->ready_tail = self->incoming_tail;
      self->incoming_head = self->incoming_tail = NULL;
    }
  g_mutex_unlock (&self->lock);

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

AgenContext *
agen_context_ref (AgenContext *self)
{
  g_source_ref ((GSource *) self);
  return self;
}

void
agen_context_unref (AgenContext *self)
{
  g_source_unref ((GSource *) self);
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

  g_mutex_lock (&self->lock);
  was_empty = self->incoming_head == NULL;
  if (self->incoming_tail != NULL)
    self->incoming_tail->next = item;
  else
    self->incoming_head = item;
  self->incoming_tail = item;
  g_mutex_unlock (&self->lock);

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
