/* agen-fiber-private.h — fibers: a function running on a stack of its own
 *
 * Copyright 2026 The agen authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * A fiber runs one function on a stack of its own. It is resumed by the
 * code that wants it to run (the thread's own stack, or another fiber) and
 * runs until it suspends itself or its function returns; control then goes
 * back to exactly that resumer. Fibers never migrate between threads while
 * suspended mid-function in practice (the generator layer guarantees it),
 * but nothing here depends on the thread: only the per-thread "current
 * fiber" pointer.
 *
 * Nothing in this layer knows about GObject or main contexts.
 */

typedef struct _AgenFiber AgenFiber;

typedef void (*AgenFiberFunc) (gpointer data);

/* Creates a fiber that will run func (data) on its first resume. The stack
 * (stack_size bytes of usable address space, rounded up to whole pages, plus
 * a guard below it; 0 means AGEN_FIBER_DEFAULT_STACK_SIZE, at most
 * AGEN_FIBER_MAX_STACK_SIZE) is taken from the calling thread's pool.
 * label names the fiber in the message printed when it overflows its stack
 * (copied; may be NULL). Aborts if no stack can be mapped: for the tests
 * and benchmarks of this layer; the generator uses agen_fiber_init(). */
AgenFiber  *agen_fiber_new          (AgenFiberFunc  func,
                                     gpointer       data,
                                     gsize          stack_size,
                                     const char    *label);

/* The same for a fiber embedded in a struct of its caller's (see
 * agen-fiber-inline-private.h for the struct), saving an allocation:
 * agen_fiber_clear() then does what agen_fiber_free() does, without the
 * free. FALSE with a G_IO_ERROR, and fiber untouched, when the kernel
 * refuses the stack's memory. */
gboolean    agen_fiber_init         (AgenFiber     *fiber,
                                     AgenFiberFunc  func,
                                     gpointer       data,
                                     gsize          stack_size,
                                     const char    *label,
                                     GError       **error);
void        agen_fiber_clear        (AgenFiber     *fiber);

/* Switches to fiber and returns when it suspends or its function returns.
 * Must not be called on a fiber that is running (current or one of the
 * resumers of the current one) or finished. When the function returned,
 * the stack has already gone back to the pool by the time this returns. */
void        agen_fiber_resume       (AgenFiber     *fiber);

/* From inside a fiber: switches back to its resumer. Returns when someone
 * resumes this fiber again. */
void        agen_fiber_suspend      (void);

/* The fiber running on this thread, or NULL on the thread's own stack. */
AgenFiber  *agen_fiber_get_current  (void);

gpointer    agen_fiber_get_data     (AgenFiber     *fiber);

/* TRUE once the fiber's function has returned. */
gboolean    agen_fiber_is_finished  (AgenFiber     *fiber);

/* TRUE once resumed at least once (the function has started). */
gboolean    agen_fiber_is_started   (AgenFiber     *fiber);

void        agen_fiber_set_label    (AgenFiber     *fiber,
                                     const char    *label);

/* Runs func (data) on the thread's own stack and returns: from a fiber, by
 * switching to the thread's stack and back (the fiber and those that
 * resumed it stay as they are); elsewhere, by calling it. For code that
 * must never run on a fiber's stack, such as callbacks that may come from
 * a language binding whose interpreter checks the native stack. func must
 * not suspend or resume any fiber of the current chain. */
void        agen_fiber_call_on_thread_stack (AgenFiberFunc  func,
                                             gpointer       data);

/* Frees a fiber that is not running. A fiber suspended mid-function has its
 * stack released without unwinding: no code after its suspend point runs. */
void        agen_fiber_free         (AgenFiber     *fiber);

G_END_DECLS
