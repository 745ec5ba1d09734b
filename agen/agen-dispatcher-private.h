/* agen-dispatcher-private.h — per-GMainContext state and its dispatch source
 *
 * Copyright 2026 The agen authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * Every GMainContext that agen touches gets one AgenDispatcher: a GSource
 * attached to it that runs queued work items on the thread iterating that
 * context, always from the thread's own stack (never a fiber's). It is how
 * agen completes consumer callbacks ("never synchronously, always from a
 * later iteration") and how work is handed to the thread that owns a
 * generator.
 *
 * An item queued during an iteration runs in a later one: the source moves
 * what has been queued to its run list in check(), and dispatch() only runs
 * that list. Everything ready in a pass runs in that one dispatch.
 */

typedef struct _AgenDispatcher   AgenDispatcher;
typedef struct _AgenDispatchItem AgenDispatchItem;

typedef void (*AgenDispatchFunc) (AgenDispatchItem *item);
typedef void (*AgenInvokeFunc)   (gpointer          data);

struct _AgenDispatchItem
{
  AgenDispatchItem *next;
  AgenDispatchFunc  func;
};

/* The AgenDispatcher of context (NULL = the global default context), created
 * on first use. The pointer stays valid as long as the GMainContext lives;
 * agen_dispatcher_ref() keeps both alive (it refs the GMainContext).
 * Thread-safe. */
AgenDispatcher  *agen_dispatcher_get                (GMainContext     *context);

/* The AgenDispatcher of the calling thread's thread-default context. */
AgenDispatcher  *agen_dispatcher_get_thread_default (void);

AgenDispatcher  *agen_dispatcher_ref                (AgenDispatcher      *self);
void          agen_dispatcher_unref              (AgenDispatcher      *self);

/* TRUE if the calling thread is the one that iterates self's context: the
 * thread that last ran its dispatch source's prepare(), or before the
 * first iteration, the thread whose thread-default context it is (for the
 * global default context: the main thread). Work for the context from any
 * other thread is queued, never run inline. */
gboolean      agen_dispatcher_is_current_thread  (AgenDispatcher      *self);

/* Borrowed: the context this state belongs to (never NULL). */
GMainContext *agen_dispatcher_get_main_context   (AgenDispatcher      *self);

/* Queues item->func (item) to run from a later iteration of self's context,
 * on the thread that iterates it. item must stay valid until then. Any
 * thread. */
void          agen_dispatcher_queue              (AgenDispatcher      *self,
                                               AgenDispatchItem *item);

/* Like agen_dispatcher_queue(), but when self's dispatch is running on
 * this thread right now, item runs later in that same dispatch, in this
 * pass: for work that completes what an item of this pass started (the
 * answer to a step that item ran), which would otherwise cost a whole
 * main-loop pass more. Never for work that could start more of the same,
 * which would keep the pass from ending. */
void          agen_dispatcher_queue_in_pass     (AgenDispatcher      *self,
                                                 AgenDispatchItem *item);

/* Convenience: runs func (data) as a queued item (allocates). */
void          agen_dispatcher_invoke             (AgenDispatcher      *self,
                                               AgenInvokeFunc    func,
                                               gpointer          data);

/* A slot for the generator layer's data about this context (the
 * registry of agen-hooks.c): created by create (data) under the
 * dispatcher's lock on first use, freed with destroy when the context
 * goes. The dispatcher itself knows nothing of generators. Any thread. */
gpointer      agen_dispatcher_ensure_data        (AgenDispatcher      *self,
                                                  gpointer           (*create) (void),
                                                  GDestroyNotify       destroy);

G_END_DECLS
