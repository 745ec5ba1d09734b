/* agen-runner-fiber.c — running a generator's body on its own fiber
 *
 * Copyright 2026 The agen authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <glib/gi18n-lib.h>

#include "agen-error.h"
#include "agen-generator-impl-private.h"
#include "agen-runner-fiber-private.h"

/* Runs on the fiber. Turns how the body ended into the outcome of the op
 * that was running (docs/semantics.md, "Step outcome", "Close outcome"
 * and "Ending the body"). */
static void
agen_generator_body_entry (gpointer data)
{
  AgenGenerator *self = data;
  GError *error = NULL;
  gboolean ok;
  AgenOp *op;

  ok = self->func (self, self->user_data, &error);

  if (ok && error != NULL)
    {
      g_critical ("The body of generator '%s' returned TRUE but set an error: %s",
                  agen_generator_display_name (self), error->message);
      g_clear_error (&error);
    }
  else if (!ok && error == NULL)
    {
      g_critical ("The body of generator '%s' returned FALSE without setting an error",
                  agen_generator_display_name (self));
      error = g_error_new (AGEN_ERROR, AGEN_ERROR_FAILED,
                           _("The body of generator “%s” failed without an error"),
                           agen_generator_display_name (self));
    }

  g_clear_object (&self->await_pending);
  g_clear_object (&self->await_current);

  op = g_steal_pointer (&self->op);
  agen_generator_set_ended (self, op, g_steal_pointer (&error));
  self->completed_op = op;
}

/* Gives a body that is about to start its fiber; done at the last moment,
 * so that stack-size may be set until then. FALSE with error set, and
 * nothing changed, when the kernel refuses the stack's memory: the step
 * fails and the generator stays startable. */
gboolean
agen_generator_create_fiber (AgenGenerator  *self,
                             GError        **error)
{
  g_autoptr(GError) local_error = NULL;

  if (self->fiber != NULL)
    return TRUE;

  if (!agen_fiber_init (&self->fiber_storage, agen_generator_body_entry, self,
                        self->stack_size, self->name, &local_error))
    {
      g_set_error (error, local_error->domain, local_error->code,
                   _("Could not start generator “%s”: %s"),
                   agen_generator_display_name (self), local_error->message);
      return FALSE;
    }

  self->fiber = &self->fiber_storage;
  return TRUE;
}

G_NO_INLINE void
agen_generator_resume_fiber (AgenGenerator *self)
{
  agen_generator_resume_fiber_inline (self);
}
