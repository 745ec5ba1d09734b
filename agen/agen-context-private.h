/* agen-context-private.h — per-GMainContext state and its dispatch source
 *
 * Copyright 2026 The agen authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * Every GMainContext that agen touches gets one AgenContext: a GSource
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

typedef struct _AgenContext      AgenContext;
typedef struct _AgenDispatchItem AgenDispatchItem;

typedef void (*AgenDispatchFunc) (AgenDispatchItem *item);
typedef void (*AgenInvokeFunc)   (gpointer          data);

struct _AgenDispatchItem
{
  AgenDispatchItem *next;
  AgenDispatchFunc  func;
};

/* The AgenContext of context (NULL = the global default context), created
 * on first use. The pointer stays valid as long as the GMainContext lives;
 * agen_context_ref() keeps both alive (it refs the GMainContext).
 * Thread-safe. */
AgenContext  *agen_context_get                (GMainContext     *context);

/* The AgenContext of the calling thread's thread-default context. */
AgenContext  *agen_context_get_thread_default (void);

AgenContext  *agen_context_ref                (AgenContext      *self);
void          agen_context_unref              (AgenContext      *self);

/* TRUE if the calling thread is the one that iterates self's context: the
 * thread that last ran its dispatch source's prepare(), or before the
 * first iteration, the thread whose thread-default context it is (for the
 * global default context: the main thread). Work for the context from any
 * other thread is queued, never run inline. */
gboolean      agen_context_is_current_thread  (AgenContext      *self);

/* Borrowed: the context this state belongs to (never NULL). */
GMainContext *agen_context_get_main_context   (AgenContext      *self);

/* Queues item->func (item) to run from a later iteration of self's context,
 * on the thread that iterates it. item must stay valid until then. Any
 * thread. */
void          agen_context_queue              (AgenContext      *self,
                                               AgenDispatchItem *item);

/* Convenience: runs func (data) as a queued item (allocates). */
void          agen_context_invoke             (AgenContext      *self,
                                               AgenInvokeFunc    func,
                                               gpointer          data);

/* Hooks (agen_set_generator_hooks): a refcounted snapshot, so that a
 * generator keeps the finalizer that was current at its first op. */
typedef struct _AgenHooks AgenHooks;

struct _AgenHooks
{
  gatomicrefcount  ref_count;
  gpointer         first_iter;   /* AgenHookFunc */
  gpointer         finalizer;    /* AgenHookFunc */
  gpointer         user_data;
  GDestroyNotify   user_data_destroy;
};

AgenHooks    *agen_hooks_ref                  (AgenHooks        *hooks);
void          agen_hooks_unref                (AgenHooks        *hooks);

/* A tracked generator's place in its context's list: embedded in the
 * generator, so tracking costs no allocation and no lookup. */
typedef struct _AgenTrackLink AgenTrackLink;

struct _AgenTrackLink
{
  AgenTrackLink *prev;
  AgenTrackLink *next;
  gpointer       generator;   /* NULL while not tracked */
};

/* The generator side of the first op (docs/semantics.md, "The first
 * operation"): starts tracking generator through link (a weak pointer:
 * never keeps it alive) and returns the hooks current now (a new
 * reference, or NULL for the built-in behaviour). Warns if the context
 * has been shut down. Any thread. */
AgenHooks    *agen_context_track              (AgenContext      *self,
                                               AgenTrackLink    *link,
                                               gpointer          generator,
                                               const char       *name);

/* Stops tracking; call from the generator's dispose. Any thread. */
void          agen_context_untrack            (AgenContext      *self,
                                               AgenTrackLink    *link);

/* Counts closes the default finalizer has scheduled and not completed,
 * which shutdown waits for. Any thread. */
void          agen_context_begin_pending_close (AgenContext     *self);
void          agen_context_end_pending_close   (AgenContext     *self);

G_END_DECLS
