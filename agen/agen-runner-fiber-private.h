/* agen-runner-fiber-private.h — resuming a body's fiber, inline
 *
 * Copyright 2026 The agen authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "agen-generator-impl-private.h"

G_BEGIN_DECLS

/* Switches into the body and, once it is back (yielded, ended, or waiting
 * for something), completes the op it finished, if any. Owner thread only;
 * may be called from the thread's stack or from another fiber. Inline
 * into the blocking next, which then reaches the switch without a frame
 * in between (see agen-fiber-inline-private.h); everything else calls
 * agen_generator_resume_fiber() (agen-runner-fiber.c). */
G_ALWAYS_INLINE static inline void
agen_generator_resume_fiber_inline (AgenGenerator *self)
{
  AgenFiber *current = agen_fiber_peek_current ();
  GMainContext *owner = NULL;
  gboolean push;
  AgenOp *completed;

  /* GIO operations the body starts deliver their callbacks to the
   * thread-default context: make that the owner for the body's run. A
   * body resumed from the body of a generator with the same owner has it
   * already (the common yield_from case, checked without a lookup). */
  if (current != NULL &&
      ((AgenGenerator *) current->data)->owner == self->owner)
    {
      push = FALSE;
    }
  else
    {
      GMainContext *thread_default = g_main_context_get_thread_default ();

      owner = agen_dispatcher_get_main_context (self->owner);
      push = owner != (thread_default ? thread_default : g_main_context_default ());
    }
  if (push)
    g_main_context_push_thread_default (owner);
  agen_fiber_switch_in (self->fiber);
  if (push)
    g_main_context_pop_thread_default (owner);

  /* Notify the net change only: a step that yields within the call that
   * started it goes SUSPENDED -> RUNNING -> SUSPENDED unobservably, and
   * checking for handlers twice per item would cost more than the rest
   * of the step. */
  agen_generator_notify_changes (self);

  completed = g_steal_pointer (&self->completed_op);
  if (completed == NULL)
    return;   /* awaiting: the step goes on later */

  if (self->fiber->finished)
    {
      agen_fiber_clear (g_steal_pointer (&self->fiber));
      agen_generator_release_body (self);
    }

  /* Last: completing may drop the last reference to self (a finalizer's
   * close). */
  completed->complete (completed);
}

G_END_DECLS
