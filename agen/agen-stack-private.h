/* agen-stack-private.h — guarded fiber stacks and their per-thread pool
 *
 * Copyright 2026 The agen authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define AGEN_FIBER_DEFAULT_STACK_SIZE (256 * 1024)
/* The largest stack a fiber may ask for; larger requests are programmer
 * errors, refused where they are made. */
#define AGEN_FIBER_MAX_STACK_SIZE ((gsize) 1 << 30)

typedef struct _AgenStack AgenStack;

struct _AgenStack
{
  /* Usable stack: [base, base + size). The guard pages sit just below
   * base, so running off the low end faults, even with a frame of up to
   * the guard's size (agen-stack.c) touched at its low end first. */
  guint8    *base;
  gsize      size;
  /* This stack's part of its slab: the guard, then the stack. */
  guint8    *mapping;
  gsize      mapping_size;
  AgenStack *pool_next;
  gpointer   slab;
};

/* Takes a stack of at least size usable bytes (0 = default, at most
 * AGEN_FIBER_MAX_STACK_SIZE) from this thread's pool, or maps a new one;
 * NULL with a G_IO_ERROR when the kernel refuses the memory. */
AgenStack  *agen_stack_acquire      (gsize       size,
                                     GError    **error);

/* Gives a stack back to this thread's pool (which may unmap it). */
void        agen_stack_release      (AgenStack  *stack);

/* TRUE if addr lies in the guard of stack, [mapping, base).
 * Async-signal-safe. */
gboolean    agen_stack_is_guard_hit (const AgenStack *stack,
                                     gconstpointer    addr);

/* Unmaps every stack in this thread's pool (they are unmapped at thread
 * exit anyway). */
void        agen_stack_pool_trim    (void);

/* How many slabs of stacks have been mapped since the process started, on
 * any thread: with the pool warm this stays put. For tests and
 * benchmarks. */
guint       agen_stack_get_mapped_count (void);

/* How many stacks of size this thread's pool holds. For tests. */
guint       agen_stack_pool_count   (gsize       size);

/* TRUE once a slab got its guard pages with MADV_GUARD_INSTALL (one
 * mapping per slab); FALSE before the first slab or with the mprotect
 * fallback (two mappings per stack). */
gboolean    agen_stack_has_guard_install (void);

G_END_DECLS
