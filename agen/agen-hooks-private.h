/* agen-hooks-private.h — hooks, tracking and pending closes: what the
 * generator tells agen-hooks.c about itself
 *
 * Copyright 2026 The agen authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "agen-dispatcher-private.h"

G_BEGIN_DECLS

/* Hooks (agen_set_generator_hooks): a refcounted snapshot, so that a
 * generator keeps the finalizer that was current at its first op. */
typedef struct _AgenHooks AgenHooks;

struct _AgenHooks
{
  gatomicrefcount  ref_count;
  gpointer         first_iter;   /* AgenHookFunc */
  gpointer         finalizer;    /* AgenFinalizerFunc */
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
AgenHooks    *agen_hooks_track              (AgenDispatcher      *self,
                                               AgenTrackLink    *link,
                                               gpointer          generator,
                                               const char       *name);

/* Stops tracking; call from the generator's dispose. Any thread. */
void          agen_hooks_untrack            (AgenDispatcher      *self,
                                               AgenTrackLink    *link);

/* Counts closes the default finalizer has scheduled and not completed,
 * which shutdown waits for. Any thread. */
void          agen_hooks_begin_pending_close (AgenDispatcher     *self);
void          agen_hooks_end_pending_close   (AgenDispatcher     *self);

G_END_DECLS
