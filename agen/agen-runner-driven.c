/* agen-runner-driven.c — a body that a language binding drives by
 * answering steps
 *
 * Copyright 2026 The agen authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <glib/gi18n-lib.h>

#include "agen-error.h"
#include "agen-generator-impl-private.h"

/*
 * A driven generator has no fiber: for every step the state table lets
 * through, agen calls the step function on the thread's own stack (Python
 * and JavaScript cannot run on a fiber's), and the binding answers with a
 * yield, a return or an error, then or later. Everything else (the state
 * table, the owner, hooks, finalization, yield_from) is the generator's
 * own and does not know which runner it has.
 *
 * When the step function runs: if the caller waits anyway (a blocking
 * form), inside its call, on the thread's stack (switching there from a
 * fiber if the caller is a body); otherwise from the owner context's
 * dispatch, so that it never runs inside the consumer's _async call.
 */

static AgenStepKind
step_kind (AgenOpKind kind)
{
  switch (kind)
    {
    case AGEN_OP_SEND:
      return AGEN_STEP_SEND;
    case AGEN_OP_THROW:
      return AGEN_STEP_THROW;
    case AGEN_OP_CLOSE:
      return AGEN_STEP_CLOSE;
    case AGEN_OP_NEXT:
    default:
      return AGEN_STEP_NEXT;
    }
}

/* Completes the pending step's op with an outcome set by set: the end of
 * every answer. Owner thread. */
static void
complete_step (AgenGenerator *self,
               AgenOp        *op)
{
  if (self->state == AGEN_GENERATOR_STATE_CLOSED)
    agen_generator_release_body (self);
  agen_generator_notify_changes (self);
  /* Answered inside the step that a dispatch pass ran: the callback may
   * run in that pass, as a fiber body's does when it yields inside the
   * _async call's own pass. One item per pass either way. */
  op->complete_in_pass = self->step_dispatched;
  op->complete (op);
}

/* Calls the step function for self->op. Thread's stack, owner thread.
 * dispatched: called by a dispatch pass of the owner's (see
 * complete_step()). */
static void
run_step (AgenGenerator *self,
          gboolean       dispatched)
{
  AgenOp *op = self->op;
  gboolean outer_dispatched = self->step_dispatched;
  GMainContext *owner = agen_dispatcher_get_main_context (self->owner);
  GMainContext *thread_default = g_main_context_get_thread_default ();
  gboolean push = owner != (thread_default ? thread_default : g_main_context_default ());
  AgenStepKind kind = step_kind (op->kind);
  GError *exit_error = NULL;
  GError *error = NULL;
  gboolean ok;

  /* Answering may complete the last op holding self (a finalizer's
   * close); the step function still has it. */
  g_object_ref (self);
  self->step_dispatched = dispatched;

  if (kind == AGEN_STEP_CLOSE)
    exit_error = g_error_new_literal (AGEN_ERROR, AGEN_ERROR_EXIT,
                                      agen_generator_exit_message ());

  if (push)
    g_main_context_push_thread_default (owner);
  self->in_step++;
  ok = self->step_func (self, kind,
                        kind == AGEN_STEP_SEND ? &op->in_value : NULL,
                        kind == AGEN_STEP_THROW ? op->in_error : exit_error,
                        agen_op_get_cancellable (op), self->user_data, &error);
  self->in_step--;
  if (push)
    g_main_context_pop_thread_default (owner);

  g_clear_error (&exit_error);

  if (!ok)
    {
      if (error == NULL)
        error = g_error_new (AGEN_ERROR, AGEN_ERROR_FAILED,
                             _("The step function of generator “%s” failed without an error"),
                             agen_generator_display_name (self));

      if (self->op == op)
        {
          /* Unanswered: the failure is the step's outcome. */
          self->op = NULL;
          agen_generator_set_ended (self, op, g_steal_pointer (&error));
          complete_step (self, op);
        }
      else
        {
          g_warning ("The step function of generator '%s' failed after "
                     "answering; the failure is dropped: %s",
                     agen_generator_display_name (self), error->message);
          g_clear_error (&error);
        }
    }
  else if (error != NULL)
    {
      g_critical ("The step function of generator '%s' returned TRUE but set an error: %s",
                  agen_generator_display_name (self), error->message);
      g_clear_error (&error);
    }

  /* Unanswered, the step goes on: run inside a caller's call (a blocking
   * form, try_next), the generator is RUNNING now, which nothing has
   * notified yet (a dispatched step notified when it was queued). */
  agen_generator_notify_changes (self);

  /* The user data of a body that ended inside the call is released only
   * now: a binding may be running the very closure it frees. */
  if (self->release_deferred && self->in_step == 0)
    {
      self->release_deferred = FALSE;
      agen_generator_release_body (self);
    }

  self->step_dispatched = outer_dispatched;
  g_object_unref (self);
}

/* An AgenInvokeFunc, for agen_fiber_call_on_thread_stack(). */
static void
call_step (gpointer data)
{
  run_step (data, FALSE);
}

static void
call_step_dispatch (AgenDispatchItem *item)
{
  AgenGenerator *self = G_STRUCT_MEMBER_P (item, -G_STRUCT_OFFSET (AgenGenerator, step_item));

  run_step (self, TRUE);
}

void
agen_generator_drive_step (AgenGenerator *self)
{
  if (!self->op->caller_waits)
    {
      /* The op holds self until it completes, and it cannot complete
       * before its step has run. */
      self->step_item.func = call_step_dispatch;
      agen_dispatcher_queue (self->owner, &self->step_item);
      agen_generator_notify_changes (self);
    }
  else if (agen_on_fiber_stack ())
    {
      agen_fiber_call_on_thread_stack (call_step, self);
    }
  else
    {
      run_step (self, FALSE);
    }
}

/* Whether a step of self waits for its answer; a critical otherwise. */
static gboolean
check_pending_step (AgenGenerator *self,
                    const char    *what)
{
  if (!self->driven)
    {
      g_critical ("%s: generator '%s' is not driven", what,
                  agen_generator_display_name (self));
      return FALSE;
    }

  if (self->op == NULL || self->state != AGEN_GENERATOR_STATE_RUNNING)
    {
      g_critical ("%s: generator '%s' has no step waiting for an answer "
                  "(answered twice, or never asked)",
                  what, agen_generator_display_name (self));
      return FALSE;
    }

  return TRUE;
}

typedef enum
{
  ANSWER_YIELD,
  ANSWER_RETURN,
  ANSWER_ERROR,
} AnswerKind;

typedef struct
{
  AgenGenerator *self;    /* owned */
  AnswerKind     kind;
  GValue         value;   /* unset = None */
  GError        *error;
} Answer;

/* value is moved (unset = None); error is taken. Owner thread. */
static void
answer (AgenGenerator *self,
        AnswerKind     kind,
        GValue        *value,
        GError        *error)
{
  static const char *const names[] = {
    "agen_generator_answer_yield()",
    "agen_generator_answer_return()",
    "agen_generator_answer_error()",
  };
  AgenOp *op;

  if (!check_pending_step (self, names[kind]))
    {
      agen_value_clear (value);
      g_clear_error (&error);
      return;
    }

  op = g_steal_pointer (&self->op);

  switch (kind)
    {
    case ANSWER_YIELD:
      agen_generator_set_yielded (self, op, value);
      break;

    case ANSWER_RETURN:
      if (G_IS_VALUE (&self->return_value))
        g_value_unset (&self->return_value);
      if (G_VALUE_TYPE (value) != G_TYPE_INVALID)
        {
          self->return_value = *value;
          *value = (GValue) G_VALUE_INIT;
        }
      agen_generator_set_ended (self, op, NULL);
      break;

    case ANSWER_ERROR:
    default:
      agen_generator_set_ended (self, op, error);
      break;
    }

  complete_step (self, op);
}

static void
answer_run (gpointer data)
{
  Answer *item = data;

  answer (item->self, item->kind, &item->value, item->error);
  g_object_unref (item->self);
  g_free (item);
}

/* From any thread: answers on the owner's. */
static void
answer_on_owner (AgenGenerator *self,
                 AnswerKind     kind,
                 const GValue  *value,
                 const GError  *error)
{
  GValue copy = G_VALUE_INIT;

  if (value != NULL && !agen_value_is_none (value))
    agen_value_copy_into (value, &copy);

  if (self->owner != NULL && !agen_dispatcher_is_current_thread (self->owner))
    {
      Answer *item = g_new0 (Answer, 1);

      item->self = g_object_ref (self);
      item->kind = kind;
      item->value = copy;
      item->error = error != NULL ? g_error_copy (error) : NULL;
      agen_dispatcher_invoke (self->owner, answer_run, item);
      return;
    }

  answer (self, kind, &copy, error != NULL ? g_error_copy (error) : NULL);
}

/**
 * agen_generator_new_driven:
 * @func: (scope notified) (closure user_data) (destroy user_data_destroy):
 *   the step function
 * @user_data: data passed to @func
 * @user_data_destroy: (nullable): destroys @user_data once the body can
 *   never run again; never while @func is running
 *
 * Creates a generator whose body is driven from outside: every operation
 * that the state table lets through to the body becomes a call of @func,
 * which answers it with [method@Generator.answer_yield],
 * [method@Generator.answer_return] or [method@Generator.answer_error].
 * This is how a language binding makes a generator out of its own kind of
 * coroutine (a Python or JavaScript async generator) that C code consumes
 * like any other: the rules of states, close, cancellation, hooks,
 * finalization and yield_from are the same.
 *
 * Returns: (transfer full): a new generator
 *
 * Since: 0.1
 */
AgenGenerator *
agen_generator_new_driven (AgenStepFunc   func,
                           gpointer       user_data,
                           GDestroyNotify user_data_destroy)
{
  AgenGenerator *self;

  g_return_val_if_fail (func != NULL, NULL);

  self = g_object_new (AGEN_TYPE_GENERATOR, NULL);
  self->driven = TRUE;
  self->step_func = func;
  self->user_data = user_data;
  self->user_data_destroy = user_data_destroy;

  return self;
}

/**
 * agen_generator_answer_yield:
 * @self: a driven generator whose step waits for an answer
 * @value: (nullable): the value yielded (copied); %NULL yields None
 *
 * Answers the pending step: the body yielded @value and is now paused.
 * The operation completes with @value (a close the body answers this way
 * fails with %AGEN_ERROR_IGNORED_EXIT, and @value is dropped).
 *
 * Answering when no step waits is a programmer error: a critical, and
 * nothing changes. From any thread; the answer takes effect on the owner
 * context's thread.
 *
 * Since: 0.1
 */
void
agen_generator_answer_yield (AgenGenerator *self,
                             const GValue  *value)
{
  g_return_if_fail (AGEN_IS_GENERATOR (self));
  g_return_if_fail (value == NULL || G_IS_VALUE (value));

  answer_on_owner (self, ANSWER_YIELD, value, NULL);
}

/**
 * agen_generator_answer_return:
 * @self: a driven generator whose step waits for an answer
 * @value: (nullable): the return value (copied), or %NULL for none
 *
 * Answers the pending step: the body returned, with @value as its return
 * value ([method@Generator.get_return_value]). The generator is closed;
 * the operation sees the end of iteration (a close succeeds).
 *
 * Answering when no step waits is a programmer error: a critical, and
 * nothing changes. From any thread.
 *
 * Since: 0.1
 */
void
agen_generator_answer_return (AgenGenerator *self,
                              const GValue  *value)
{
  g_return_if_fail (AGEN_IS_GENERATOR (self));
  g_return_if_fail (value == NULL || G_IS_VALUE (value));

  answer_on_owner (self, ANSWER_RETURN, value, NULL);
}

/**
 * agen_generator_answer_error:
 * @self: a driven generator whose step waits for an answer
 * @error: the error the body raised (copied)
 *
 * Answers the pending step: the body raised @error. The generator is
 * closed; the operation fails with @error, except a close, which succeeds
 * when @error is %AGEN_ERROR_EXIT.
 *
 * Answering when no step waits is a programmer error: a critical, and
 * nothing changes. From any thread.
 *
 * Since: 0.1
 */
void
agen_generator_answer_error (AgenGenerator *self,
                             const GError  *error)
{
  g_return_if_fail (AGEN_IS_GENERATOR (self));
  g_return_if_fail (error != NULL);

  answer_on_owner (self, ANSWER_ERROR, NULL, error);
}
