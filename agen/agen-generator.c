/* agen-generator.c — AgenGenerator, an asynchronous generator
 *
 * Copyright 2026 The agen authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * AgenGenerator:
 *
 * An asynchronous generator: Python's `async def` with `yield`, for GLib.
 *
 * The body is a plain C function, [callback@GeneratorFunc], that runs on a
 * fiber (a small stack of its own) inside the [struct@GLib.MainContext] that
 * owns the generator. It hands values out with [method@Generator.yield],
 * delegates to another generator with [method@Generator.yield_from] and
 * awaits any GIO asynchronous operation in straight-line code:
 *
 * ```c
 * static gboolean
 * count_lines (AgenGenerator *self,
 *              gpointer       user_data,
 *              GError       **error)
 * {
 *   GFile *file = user_data;
 *   g_autoptr(GFileInputStream) stream = NULL;
 *
 *   g_file_read_async (file, G_PRIORITY_DEFAULT,
 *                      agen_generator_get_cancellable (self),
 *                      AGEN_AWAIT_CALLBACK (self));
 *   stream = g_file_read_finish (file, agen_generator_await (self), error);
 *   if (stream == NULL)
 *     return FALSE;
 *
 *   for (guint i = 0; i < 3; i++)
 *     {
 *       g_auto(GValue) value = G_VALUE_INIT;
 *
 *       g_value_init (&value, G_TYPE_UINT);
 *       g_value_set_uint (&value, i);
 *       if (!agen_generator_yield (self, &value, NULL, error))
 *         return FALSE;   // closed or thrown into: clean up and let it out
 *     }
 *
 *   return TRUE;
 * }
 * ```
 *
 * Consumers drive it with [method@Generator.next_async],
 * [method@Generator.send_async], [method@Generator.throw_async] and
 * [method@Generator.close_async], or with the blocking forms
 * ([method@Generator.next] …), which inside another generator's body
 * suspend only that body.
 *
 * The semantics follow PEP 525 async generators: the body does not start
 * before the first next; a close delivers %AGEN_ERROR_EXIT at the paused
 * yield; an error the body raises is reported once and the generator is
 * closed from then on; callbacks never run from inside the `_async` call.
 *
 * The body only ever runs on the thread of its owner context, the
 * thread-default main context of the first operation
 * ([method@Generator.get_context]). A generator dropped while suspended is
 * closed on that context, so its cleanup code runs.
 */

#include "config.h"

#include <glib/gi18n-lib.h>

#include "agen-context-private.h"
#include "agen-enum-types.h"
#include "agen-error.h"
#include "agen-fiber-inline-private.h"
#include "agen-generator.h"
#include "agen-generator-private.h"
#include "agen-hooks.h"
#include "agen-op-private.h"
#include "agen-result-private.h"
#include "agen-tsan-private.h"

struct _AgenGenerator
{
  GObject             parent_instance;

  AgenGeneratorFunc   func;
  gpointer            user_data;
  GDestroyNotify      user_data_destroy;

  char               *name;
  gsize               stack_size;

  /* Set once, by the first operation; then only read. */
  AgenContext        *owner;
  AgenHooks          *hooks;       /* captured at the first op, or NULL */
  AgenTrackLink       track_link;  /* in the owner's list of live generators */

  /* Everything below is only touched on the owner's thread. */
  AgenGeneratorState  state;
  /* The body's fiber: fiber_storage while the body has one (from its
   * first run until it ends), NULL before and after. Embedded rather
   * than allocated, to save an allocation per generator. */
  AgenFiber          *fiber;
  AgenFiber           fiber_storage;

  /* The operation the body is running for (RUNNING only). */
  AgenOp             *op;
  /* Handed from the fiber to the code that resumed it: an op the body
   * finished (by yielding or ending) that must now be completed. */
  AgenOp             *completed_op;

  /* The body's await: the result a resume callback delivered and not yet
   * taken, and the one await returned last (kept until the next await). */
  GAsyncResult       *await_pending;
  GAsyncResult       *await_current;

  GValue              return_value;

  /* An error the body raised after a batch (next_many) had already taken
   * values: reported by the next operation instead, once. */
  GError             *deferred_error;

  /* State as last notified, to emit notify::state/running on change. */
  AgenGeneratorState  notified_state;

  guint               awaiting : 1;        /* suspended in agen_generator_await */
  guint               returned : 1;        /* the body returned TRUE */
  guint               body_released : 1;   /* user_data destroyed */
  guint               finalizer_ran : 1;   /* revived once to be closed */
  guint               ignored_exit : 1;    /* a close came back IGNORED_EXIT */
};

enum {
  PROP_0,
  PROP_NAME,
  PROP_STATE,
  PROP_RUNNING,
  PROP_STACK_SIZE,
  PROP_CONTEXT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];
static guint notify_signal_id;

G_DEFINE_FINAL_TYPE (AgenGenerator, agen_generator, G_TYPE_OBJECT)

/* The type, for the argument checks of the per-item calls, where
 * AGEN_IS_GENERATOR() would call agen_generator_get_type() every time.
 * The type is final, so an exact match is the whole check. Set by
 * class_init, before any instance exists. */
static GType agen_generator_type;

#define IS_GENERATOR(instance) \
  ((instance) != NULL && \
   ((GTypeInstance *) (instance))->g_class != NULL && \
   ((GTypeInstance *) (instance))->g_class->g_type == agen_generator_type)

static void agen_generator_resume_fiber   (AgenGenerator *self);
static void agen_generator_set_stack_size (AgenGenerator *self,
                                           gsize          stack_size);

/* ------------------------------------------------------------------------
 * Small helpers
 * ------------------------------------------------------------------------ */

static inline gboolean
agen_generator_in_own_body (AgenGenerator *self)
{
  return self->fiber != NULL && agen_fiber_peek_current () == self->fiber;
}

static inline gboolean
on_fiber_stack (void)
{
  return agen_fiber_peek_current () != NULL;
}

static const char *
agen_generator_display_name (AgenGenerator *self)
{
  return self->name != NULL ? self->name : _("(unnamed)");
}

/* Whether "running" differs from what was last notified. */
static inline gboolean
running_changed (AgenGenerator *self)
{
  return (self->state == AGEN_GENERATOR_STATE_RUNNING) !=
         (self->notified_state == AGEN_GENERATOR_STATE_RUNNING);
}

static void
notify_state_change (gpointer data)
{
  AgenGenerator *self = data;
  gboolean notify_running = running_changed (self);

  self->notified_state = self->state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
  if (notify_running)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
}

/* Whether notify::NAME has a handler, connected with that detail or none
 * (detail 0 would only find the latter). */
static gboolean
has_notify_handler (AgenGenerator *self,
                    GParamSpec    *pspec)
{
  return g_signal_has_handler_pending (self, notify_signal_id,
                                       g_param_spec_get_name_quark (pspec), TRUE);
}

/* Emits notify::state and notify::running if the state changed since the
 * last emission. Handlers are user code, possibly a binding's: they never
 * run on a fiber's stack. On the thread's stack GObject's own check for
 * handlers is the cheapest (a flag). On a fiber's, one lookup tells
 * whether switching to the thread's stack is needed at all.
 *
 * (Overriding GObjectClass.dispatch_properties_changed to move every
 * emission would be simpler, but GObject then freezes the notify queue
 * around every construction and disposal: a third more per short-lived
 * generator.) */
static inline void
agen_generator_notify_changes (AgenGenerator *self)
{
  if (self->state == self->notified_state)
    return;

  if (!on_fiber_stack ())
    notify_state_change (self);
  else if (has_notify_handler (self, properties[PROP_STATE]) ||
           (running_changed (self) &&
            has_notify_handler (self, properties[PROP_RUNNING])))
    agen_fiber_call_on_thread_stack (notify_state_change, self);
  else
    self->notified_state = self->state;
}

typedef struct
{
  GObject    *object;
  GParamSpec *pspec;
} NotifyCall;

static void
notify_call_run (gpointer data)
{
  NotifyCall *call = data;

  g_object_notify_by_pspec (call->object, call->pspec);
}

/* g_object_notify_by_pspec() for the other properties, which a body may
 * change too (its name): the handlers run on the thread's stack. */
static void
agen_generator_notify (AgenGenerator *self,
                       GParamSpec    *pspec)
{
  NotifyCall call = { G_OBJECT (self), pspec };

  agen_fiber_call_on_thread_stack (notify_call_run, &call);
}

typedef struct
{
  GDestroyNotify destroy;
  gpointer       data;
} DestroyCall;

static void
destroy_call_run (gpointer data)
{
  DestroyCall *call = data;

  call->destroy (call->data);
}

/* Destroys user_data once the body can never run again. The destroy
 * notify may come from a binding: never call it on a fiber's stack. */
static void
agen_generator_release_body (AgenGenerator *self)
{
  DestroyCall call = { self->user_data_destroy, self->user_data };

  if (self->body_released)
    return;

  self->body_released = TRUE;
  self->user_data = NULL;
  self->user_data_destroy = NULL;

  if (call.destroy != NULL)
    agen_fiber_call_on_thread_stack (destroy_call_run, &call);
}

static inline void
agen_generator_set_state (AgenGenerator      *self,
                          AgenGeneratorState  state)
{
  /* Only the owner's thread writes the state; other threads merely read
   * it (agen_generator_get_state()). A release store is a plain store on
   * x86, where g_atomic_int_set()'s sequentially consistent one is a
   * locked exchange: two per item, about a fifth of a blocking step. */
  __atomic_store_n (&self->state, state, __ATOMIC_RELEASE);
}

/* ------------------------------------------------------------------------
 * The body's fiber
 * ------------------------------------------------------------------------ */

/* Runs on the fiber. Turns how the body ended into the outcome of the op
 * that was running, as SEMANTICS.md (a) and (b) say. */
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

  self->returned = ok;
  g_clear_object (&self->await_pending);
  g_clear_object (&self->await_current);

  op = g_steal_pointer (&self->op);

  if (op->kind == AGEN_OP_CLOSE &&
      (ok || g_error_matches (error, AGEN_ERROR, AGEN_ERROR_EXIT)))
    {
      g_clear_error (&error);
      agen_op_set_finished (op);
    }
  else if (ok)
    agen_op_set_finished (op);
  else
    agen_op_take_error (op, g_steal_pointer (&error));

  agen_generator_set_state (self, AGEN_GENERATOR_STATE_CLOSED);
  self->completed_op = op;
}

/* Switches into the body and, once it is back (yielded, ended, or waiting
 * for something), completes the op it finished, if any. Owner thread only;
 * may be called from the thread's stack or from another fiber. Inline
 * into the blocking next, which then reaches the switch without a frame
 * in between (see agen-fiber-inline-private.h); everything else calls
 * agen_generator_resume_fiber(). */
G_ALWAYS_INLINE static inline void
agen_generator_resume_fiber_inline (AgenGenerator *self)
{
  AgenFiber *current = agen_fiber_peek_current ();
  GMainContext *owner = NULL;
  gboolean push;
  AgenOp *completed;

  if (self->fiber == NULL)
    {
      agen_fiber_init (&self->fiber_storage, agen_generator_body_entry, self,
                       self->stack_size, self->name);
      self->fiber = &self->fiber_storage;
    }

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

      owner = agen_context_get_main_context (self->owner);
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

G_NO_INLINE static void
agen_generator_resume_fiber (AgenGenerator *self)
{
  agen_generator_resume_fiber_inline (self);
}

/* ------------------------------------------------------------------------
 * Running an operation (owner thread)
 * ------------------------------------------------------------------------ */

/* Starts or resumes the body for op, which the state table let through.
 * No reference is taken for the step: every op holds one for as long as
 * it is pending (an async op's result holds its source object; a
 * blocking op's caller holds one by the GObject calling convention; an
 * abandoned close holds the revived one). */
static inline void
agen_generator_run_body (AgenGenerator *self,
                         AgenOp        *op)
{
  self->op = op;
  agen_generator_set_state (self, AGEN_GENERATOR_STATE_RUNNING);
  agen_generator_resume_fiber (self);
}

static void
agen_generator_run_op (AgenGenerator *self,
                       AgenOp        *op)
{
  switch (self->state)
    {
    case AGEN_GENERATOR_STATE_RUNNING:
      agen_op_set_error (op, AGEN_ERROR, AGEN_ERROR_RUNNING,
                         _("Generator “%s” is already running"),
                         agen_generator_display_name (self));
      op->complete (op);
      return;

    case AGEN_GENERATOR_STATE_CLOSED:
      if (self->deferred_error != NULL && op->kind != AGEN_OP_CLOSE)
        agen_op_take_error (op, g_steal_pointer (&self->deferred_error));
      else
        agen_op_set_finished (op);
      g_clear_error (&self->deferred_error);
      op->complete (op);
      return;

    case AGEN_GENERATOR_STATE_CREATED:
      switch (op->kind)
        {
        case AGEN_OP_SEND:
          agen_op_set_error (op, AGEN_ERROR, AGEN_ERROR_NOT_STARTED,
                             _("Cannot send a value to generator “%s”: it has not started"),
                             agen_generator_display_name (self));
          op->complete (op);
          return;

        case AGEN_OP_THROW:
        case AGEN_OP_CLOSE:
          /* The body never runs. */
          agen_generator_set_state (self, AGEN_GENERATOR_STATE_CLOSED);
          agen_generator_release_body (self);
          if (op->kind == AGEN_OP_THROW)
            agen_op_take_error (op, g_error_copy (op->in_error));
          else
            agen_op_set_finished (op);
          agen_generator_notify_changes (self);
          op->complete (op);
          return;

        case AGEN_OP_NEXT:
        default:
          break;
        }
      break;

    case AGEN_GENERATOR_STATE_SUSPENDED:
    default:
      break;
    }

  agen_generator_run_body (self, op);
}

typedef struct
{
  AgenDispatchItem  item;
  AgenGenerator    *self;
  AgenOp           *op;
} RunOpItem;

static void
run_op_item_dispatch (AgenDispatchItem *item)
{
  RunOpItem *run = (RunOpItem *) item;

  agen_generator_run_op (run->self, run->op);
  AGEN_TSAN_RELEASE (run->self);   /* see agen-tsan-private.h */
  g_object_unref (run->self);
  g_free (run);
}

static void
run_first_iter_hook (gpointer data)
{
  AgenGenerator *self = data;
  AgenHookFunc first_iter = self->hooks->first_iter;

  first_iter (self, self->hooks->user_data);
}

/* SEMANTICS.md (d), first op: the owner, tracking, the first_iter hook
 * (synchronously, but on the thread's stack) and the finalizer as it is
 * now. */
static void
agen_generator_first_op (AgenGenerator *self)
{
  AgenContext *context = agen_context_get_thread_default ();
  AgenHookFunc first_iter;

  if (!g_atomic_pointer_compare_and_exchange (&self->owner, NULL, context))
    return;

  agen_context_ref (context);
  self->hooks = agen_context_track (context, &self->track_link, self, self->name);

  first_iter = self->hooks ? self->hooks->first_iter : NULL;
  if (first_iter != NULL)
    agen_fiber_call_on_thread_stack (run_first_iter_hook, self);
}

/* Every op enters here, on the caller's thread. */
static void
agen_generator_start_op (AgenGenerator *self,
                         AgenOp        *op)
{
  /* (1) An already cancelled cancellable: nothing else happens. */
  if (op->cancellable != NULL && g_cancellable_is_cancelled (op->cancellable))
    {
      agen_op_set_error (op, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                         _("Operation was cancelled"));
      op->complete (op);
      return;
    }

  /* (2) First-op bookkeeping: the owner context. */
  if (g_atomic_pointer_get (&self->owner) == NULL)
    agen_generator_first_op (self);

  /* (3) The state table, on the owner's thread. */
  if (agen_context_is_current_thread (self->owner))
    {
      agen_generator_run_op (self, op);
    }
  else
    {
      RunOpItem *run = g_new0 (RunOpItem, 1);

      run->item.func = run_op_item_dispatch;
      run->self = g_object_ref (self);
      run->op = op;
      agen_context_queue (self->owner, &run->item);
    }
}

/* ------------------------------------------------------------------------
 * Blocking forms
 * ------------------------------------------------------------------------ */

typedef struct
{
  AgenOp          op;
  gboolean        done;
  /* Waiting from a fiber: the generator whose body waits, and whether it
   * has suspended (rather than the op completing while it was still in
   * the call). */
  AgenGenerator  *waiter;
  gboolean        waiting;
  /* Waiting from another thread. */
  GMutex          mutex;
  GCond           cond;
  gboolean        cross_thread;
} BlockingOp;

/* An AgenInvokeFunc: resumes a body that waits (for an await or a
 * blocking op), queued on its owner context when the wake-up comes from
 * elsewhere. */
static void
resume_fiber_cb (gpointer data)
{
  agen_generator_resume_fiber (data);
}

static void
blocking_op_complete (AgenOp *op)
{
  BlockingOp *blocking = (BlockingOp *) op;

  if (blocking->cross_thread)
    {
      /* GMutex is invisible to ThreadSanitizer: annotate the handover. */
      g_mutex_lock (&blocking->mutex);
      AGEN_TSAN_ACQUIRE (&blocking->mutex);
      blocking->done = TRUE;
      g_cond_signal (&blocking->cond);
      AGEN_TSAN_RELEASE (&blocking->mutex);
      g_mutex_unlock (&blocking->mutex);
      return;
    }

  blocking->done = TRUE;

  if (blocking->waiting)
    {
      AgenGenerator *waiter = blocking->waiter;

      blocking->waiting = FALSE;
      /* Resume the waiting body right here when we are on its thread's
       * stack; from a fiber (or another context) go through the owner's
       * dispatch source. */
      if (!on_fiber_stack () && agen_context_is_current_thread (waiter->owner))
        agen_generator_resume_fiber (waiter);
      else
        agen_context_invoke (waiter->owner, resume_fiber_cb, waiter);
    }
}

static inline void
blocking_op_init (BlockingOp         *blocking,
                  AgenOpKind          kind,
                  const GValue       *in_value,
                  const GError       *in_error,
                  GCancellable       *cancellable)
{
  /* Field by field: zeroing the whole struct (mutex and cond included)
   * shows on the per-item path; agen_op_init() clears the op. */
  blocking->done = FALSE;
  blocking->waiter = NULL;
  blocking->waiting = FALSE;
  blocking->cross_thread = FALSE;

  agen_op_init (&blocking->op, kind, in_value, in_error, cancellable,
                blocking_op_complete);
}

/* The blocking forms' return: the op's outcome, then the op cleared. */
static inline gboolean
blocking_op_finish (BlockingOp  *blocking,
                    GValue      *value,
                    GError     **error)
{
  gboolean ret;

  if (blocking->op.kind == AGEN_OP_CLOSE)
    ret = agen_op_propagate_close (&blocking->op, error);
  else
    ret = agen_op_propagate (&blocking->op, value, error);
  agen_op_clear (&blocking->op);

  return ret;
}

/* Waits on the owner's thread for a blocking op the body has not
 * completed yet (it awaits something): inside a body, by suspending that
 * body until blocking_op_complete() resumes it; on the thread's stack, by
 * iterating the owner context. */
static void
agen_generator_wait_blocking (AgenGenerator *self,
                              BlockingOp    *blocking)
{
  if (blocking->waiter != NULL)
    {
      blocking->waiting = TRUE;
      agen_fiber_suspend ();
      return;
    }

  while (!blocking->done)
    g_main_context_iteration (agen_context_get_main_context (self->owner), TRUE);
}

/* Whether the caller runs on self's owner thread (the owner is set).
 * fiber is the current fiber or NULL. A body runs only on its owner's
 * thread, so from inside one of the same owner that needs no lookup. */
static inline gboolean
on_owner_thread (AgenGenerator *self,
                 AgenFiber     *fiber)
{
  if (fiber != NULL &&
      ((AgenGenerator *) fiber->data)->owner == self->owner)
    return TRUE;

  return agen_context_is_current_thread (self->owner);
}

/* Whether a blocking op may resume the body right away, skipping what
 * agen_generator_start_op() and agen_generator_run_op() would only find
 * out: the per-item case of a consumer's loop. It holds when there is no
 * cancellable to check, the body is suspended at a yield (so the owner is
 * settled and the state table says "resume") and we are on the owner's
 * thread. The state may only be trusted once we know we are on the
 * owner's thread, where it changes; read on another thread it merely
 * sends us down the general path. */
static inline gboolean
can_resume_directly (AgenGenerator *self,
                     GCancellable  *cancellable,
                     AgenFiber     *fiber)
{
  AgenGeneratorState state = g_atomic_int_get (&self->state);

  if (cancellable != NULL || state != AGEN_GENERATOR_STATE_SUSPENDED)
    return FALSE;

  return on_owner_thread (self, fiber);
}

/* The same for the first next of a generator that has not started: the
 * start of every short-lived generator's life. The owner is settled here,
 * as agen_generator_start_op() would, first. */
static inline gboolean
can_start_directly (AgenGenerator *self,
                    GCancellable  *cancellable,
                    AgenFiber     *fiber)
{
  if (cancellable != NULL ||
      g_atomic_int_get (&self->state) != AGEN_GENERATOR_STATE_CREATED)
    return FALSE;

  if (g_atomic_pointer_get (&self->owner) == NULL)
    {
      agen_generator_first_op (self);
      /* Its first_iter hook may have done anything, to this generator
       * too: leave that to the state table. */
      if (g_atomic_int_get (&self->state) != AGEN_GENERATOR_STATE_CREATED)
        return FALSE;
    }

  return on_owner_thread (self, fiber);
}

static gboolean
agen_generator_run_blocking (AgenGenerator  *self,
                             AgenOpKind      kind,
                             const GValue   *in_value,
                             const GError   *in_error,
                             GCancellable   *cancellable,
                             GValue         *value,
                             GError        **error)
{
  BlockingOp blocking;
  AgenFiber *fiber = agen_fiber_peek_current ();

  blocking_op_init (&blocking, kind, in_value, in_error, cancellable);

  if (fiber != NULL)
    {
      /* Inside a body: suspend only that body until the op completes. */
      blocking.waiter = fiber->data;

      if (self->owner != NULL && !agen_context_is_current_thread (self->owner))
        {
          /* Owned by another thread: the completion comes back through
           * our owner context, which cannot run before we suspend, so
           * suspend in any case. */
          blocking.waiting = TRUE;
          agen_generator_start_op (self, &blocking.op);
          agen_fiber_suspend ();
        }
      else
        {
          agen_generator_start_op (self, &blocking.op);
          if (!blocking.done)
            agen_generator_wait_blocking (self, &blocking);
        }
      g_assert (blocking.done);
    }
  else
    {
      /* Whether the op will run here is only known after the first-op
       * bookkeeping, so settle the owner first (unless the op is refused
       * for its cancellable, which must not record one). */
      if (g_atomic_pointer_get (&self->owner) == NULL &&
          !(cancellable != NULL && g_cancellable_is_cancelled (cancellable)))
        agen_generator_first_op (self);

      if (self->owner != NULL && !agen_context_is_current_thread (self->owner))
        {
          blocking.cross_thread = TRUE;
          g_mutex_init (&blocking.mutex);
          g_cond_init (&blocking.cond);
        }

      agen_generator_start_op (self, &blocking.op);

      if (blocking.cross_thread)
        {
          g_mutex_lock (&blocking.mutex);
          AGEN_TSAN_ACQUIRE (&blocking.mutex);
          while (!blocking.done)
            {
              AGEN_TSAN_RELEASE (&blocking.mutex);
              g_cond_wait (&blocking.cond, &blocking.mutex);
              AGEN_TSAN_ACQUIRE (&blocking.mutex);
            }
          AGEN_TSAN_RELEASE (&blocking.mutex);
          g_mutex_unlock (&blocking.mutex);
          g_mutex_clear (&blocking.mutex);
          g_cond_clear (&blocking.cond);
        }
      else if (!blocking.done)
        {
          agen_generator_wait_blocking (self, &blocking);
        }
    }

  return blocking_op_finish (&blocking, value, error);
}

/* A blocking op when can_resume_directly() holds: straight into the body,
 * with no frame between the caller and the switch (inlined into the
 * blocking forms). The per-item case of a consumer's loop, a next or a
 * send, is what it is for; a close or throw merely skips the state table
 * too. fiber is the current fiber or NULL. */
G_ALWAYS_INLINE static inline gboolean
agen_generator_step_here (AgenGenerator  *self,
                          AgenOpKind      kind,
                          const GValue   *in_value,
                          const GError   *in_error,
                          AgenFiber      *fiber,
                          GValue         *value,
                          GError        **error)
{
  BlockingOp blocking;

  blocking_op_init (&blocking, kind, in_value, in_error, NULL);
  if (fiber != NULL)
    blocking.waiter = fiber->data;

  self->op = &blocking.op;
  agen_generator_set_state (self, AGEN_GENERATOR_STATE_RUNNING);
  agen_generator_resume_fiber_inline (self);

  /* Unless the body awaits something before it yields. */
  if (!blocking.done)
    agen_generator_wait_blocking (self, &blocking);

  return blocking_op_finish (&blocking, value, error);
}

/* Every blocking form: the direct path when it applies (a generator that
 * has not started only for a next: a send, throw or close of one has its
 * own rules in the state table), the general one otherwise. Inline, so
 * that the public function itself reaches the switch. */
G_ALWAYS_INLINE static inline gboolean
agen_generator_blocking (AgenGenerator  *self,
                         AgenOpKind      kind,
                         const GValue   *in_value,
                         const GError   *in_error,
                         GCancellable   *cancellable,
                         GValue         *value,
                         GError        **error)
{
  AgenFiber *fiber = agen_fiber_peek_current ();

  if (G_LIKELY (can_resume_directly (self, cancellable, fiber)) ||
      (kind == AGEN_OP_NEXT && can_start_directly (self, cancellable, fiber)))
    return agen_generator_step_here (self, kind, in_value, in_error, fiber, value, error);

  return agen_generator_run_blocking (self, kind, in_value, in_error,
                                      cancellable, value, error);
}

/* ------------------------------------------------------------------------
 * GObject
 * ------------------------------------------------------------------------ */

/* A close nobody waits for: the op and the generator reference it holds
 * until done. */
typedef struct
{
  AgenOp         op;
  AgenGenerator *self;
} AbandonedClose;

static void
abandoned_close_done (AgenOp *op)
{
  /* Completed on the owner thread, maybe on a fiber; logging only. */
  AbandonedClose *close_op = (AbandonedClose *) op;
  AgenGenerator *self = close_op->self;

  if (op->outcome == AGEN_OP_FAILED)
    g_warning ("Closing abandoned generator '%s' failed: %s",
               agen_generator_display_name (self), op->out_error->message);

  agen_op_clear (op);
  g_free (close_op);
  agen_context_end_pending_close (self->owner);
  AGEN_TSAN_RELEASE (self);
  g_object_unref (self);
}

static void
abandoned_close_run (gpointer data)
{
  AgenGenerator *self = data;
  AbandonedClose *close_op = g_new0 (AbandonedClose, 1);

  close_op->self = self;
  agen_op_init (&close_op->op, AGEN_OP_CLOSE, NULL, NULL, NULL,
                abandoned_close_done);
  agen_generator_run_op (self, &close_op->op);
}

/* Takes over one reference to self. */
static void
agen_generator_schedule_abandoned_close (AgenGenerator *self)
{
  if (g_atomic_pointer_get (&self->owner) == NULL)
    agen_generator_first_op (self);

  agen_context_begin_pending_close (self->owner);
  agen_context_invoke (self->owner, abandoned_close_run, self);
}

void
agen_generator_close_if_owed (AgenGenerator *self,
                              gboolean       exit_pending,
                              gboolean       exit_ran,
                              gboolean       ignored_exit)
{
  AgenGeneratorState state;

  g_return_if_fail (AGEN_IS_GENERATOR (self));

  state = agen_generator_get_state (self);
  if ((exit_pending && state != AGEN_GENERATOR_STATE_CLOSED) ||
      (exit_ran && state == AGEN_GENERATOR_STATE_SUSPENDED && !ignored_exit))
    agen_generator_close_abandoned (self);
}

static void
run_finalizer_hook (gpointer data)
{
  AgenGenerator *self = data;
  AgenHookFunc finalizer = self->hooks->finalizer;

  /* transfer full: the hook owns the revived reference. */
  finalizer (self, self->hooks->user_data);
}

void
agen_generator_close_abandoned (AgenGenerator *self)
{
  g_return_if_fail (AGEN_IS_GENERATOR (self));

  agen_generator_schedule_abandoned_close (g_object_ref (self));
}

static void
agen_generator_dispose (GObject *object)
{
  AgenGenerator *self = AGEN_GENERATOR (object);

  /* The last reference may go on another thread than the one that last
   * used the generator (see agen-tsan-private.h). */
  AGEN_TSAN_ACQUIRE (self);

  if (self->owner != NULL)
    agen_context_untrack (self->owner, &self->track_link);

  /* Dropped while paused at a yield: revive once and hand it to the
   * finalizer hook, or close it on the owner context so that the body's
   * cleanup runs (SEMANTICS.md (d)). */
  if (self->state == AGEN_GENERATOR_STATE_SUSPENDED &&
      !self->finalizer_ran && !self->ignored_exit)
    {
      self->finalizer_ran = TRUE;
      if (self->hooks != NULL && self->hooks->finalizer != NULL)
        agen_context_invoke (self->owner, run_finalizer_hook, g_object_ref (self));
      else
        agen_generator_schedule_abandoned_close (g_object_ref (self));
    }

  G_OBJECT_CLASS (agen_generator_parent_class)->dispose (object);
}

static void
agen_generator_finalize (GObject *object)
{
  AgenGenerator *self = AGEN_GENERATOR (object);

  /* Revived by dispose, it may be finalized on yet another thread. */
  AGEN_TSAN_ACQUIRE (self);

  if (self->fiber != NULL)
    {
      if (self->state == AGEN_GENERATOR_STATE_SUSPENDED)
        g_warning ("Generator '%s' was destroyed while suspended without a "
                   "completed close; its cleanup code did not run",
                   agen_generator_display_name (self));
      agen_fiber_clear (g_steal_pointer (&self->fiber));
    }

  agen_generator_release_body (self);

  g_clear_object (&self->await_pending);
  g_clear_object (&self->await_current);
  g_clear_error (&self->deferred_error);
  if (G_IS_VALUE (&self->return_value))
    g_value_unset (&self->return_value);
  g_clear_pointer (&self->hooks, agen_hooks_unref);
  g_clear_pointer (&self->owner, agen_context_unref);
  g_clear_pointer (&self->name, g_free);

  G_OBJECT_CLASS (agen_generator_parent_class)->finalize (object);
}

static void
agen_generator_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  AgenGenerator *self = AGEN_GENERATOR (object);

  switch (prop_id)
    {
    case PROP_NAME:
      g_value_set_string (value, self->name);
      break;

    case PROP_STATE:
      g_value_set_enum (value, agen_generator_get_state (self));
      break;

    case PROP_RUNNING:
      g_value_set_boolean (value, agen_generator_get_running (self));
      break;

    case PROP_STACK_SIZE:
      g_value_set_uint64 (value, agen_generator_get_stack_size (self));
      break;

    case PROP_CONTEXT:
      g_value_set_boxed (value, agen_generator_get_context (self));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
agen_generator_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  AgenGenerator *self = AGEN_GENERATOR (object);

  switch (prop_id)
    {
    case PROP_NAME:
      agen_generator_set_name (self, g_value_get_string (value));
      break;

    case PROP_STACK_SIZE:
      agen_generator_set_stack_size (self, g_value_get_uint64 (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
agen_generator_class_init (AgenGeneratorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  agen_generator_type = G_TYPE_FROM_CLASS (klass);

  /* Our messages are translatable: every error reaching a user goes
   * through this class, so bind the domain here, once. */
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");

  object_class->dispose = agen_generator_dispose;
  object_class->finalize = agen_generator_finalize;
  object_class->get_property = agen_generator_get_property;
  object_class->set_property = agen_generator_set_property;

  notify_signal_id = g_signal_lookup ("notify", G_TYPE_OBJECT);

  /**
   * AgenGenerator:name:
   *
   * A name for messages and debugging, e.g. the one printed when the body
   * overflows its stack.
   */
  properties[PROP_NAME] =
    g_param_spec_string ("name", NULL, NULL,
                         NULL,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * AgenGenerator:state:
   *
   * Where the generator is in its life: created, suspended at a yield,
   * running an operation, or closed.
   */
  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL,
                       AGEN_TYPE_GENERATOR_STATE,
                       AGEN_GENERATOR_STATE_CREATED,
                       (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * AgenGenerator:running:
   *
   * %TRUE exactly while an operation is in progress: from the `_async`
   * call until the step ends, awaits included.
   */
  properties[PROP_RUNNING] =
    g_param_spec_boolean ("running", NULL, NULL,
                          FALSE,
                          (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * AgenGenerator:stack-size:
   *
   * The address space reserved for the body's stack, in bytes. Setting 0
   * means %AGEN_GENERATOR_DEFAULT_STACK_SIZE, the default. Only pages the
   * body touches are committed.
   *
   * It can be set until the body first runs (normally at construction,
   * or with [ctor@Generator.new_full]); later it is refused with a
   * critical. It is not a construct property because GObject would then
   * set its default on every construction, through a GValue: a fifth of
   * the cost of a short-lived generator.
   */
  properties[PROP_STACK_SIZE] =
    g_param_spec_uint64 ("stack-size", NULL, NULL,
                         0, G_MAXSIZE, AGEN_GENERATOR_DEFAULT_STACK_SIZE,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * AgenGenerator:context:
   *
   * The main context that owns the generator, or %NULL before the first
   * operation. Set once; not notified.
   */
  properties[PROP_CONTEXT] =
    g_param_spec_boxed ("context", NULL, NULL,
                        G_TYPE_MAIN_CONTEXT,
                        (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

}

static void
agen_generator_init (AgenGenerator *self)
{
  self->state = AGEN_GENERATOR_STATE_CREATED;
  self->notified_state = AGEN_GENERATOR_STATE_CREATED;
  self->stack_size = AGEN_GENERATOR_DEFAULT_STACK_SIZE;
}

/* ------------------------------------------------------------------------
 * Construction and properties
 * ------------------------------------------------------------------------ */

/**
 * agen_generator_new:
 * @func: (scope notified) (closure user_data) (destroy user_data_destroy): the body
 * @user_data: data passed to @func
 * @user_data_destroy: (nullable): destroys @user_data once the body can
 *   never run again
 *
 * Creates a generator whose body is @func. The body does not start before
 * the first [method@Generator.next_async] (or a send of None).
 *
 * @user_data_destroy runs exactly once: when the body has finished, when
 * the generator is closed before it started, or when it is finalized.
 *
 * Returns: (transfer full): a new generator
 */
AgenGenerator *
agen_generator_new (AgenGeneratorFunc func,
                    gpointer          user_data,
                    GDestroyNotify    user_data_destroy)
{
  return agen_generator_new_full (func, user_data, user_data_destroy, NULL, 0);
}

/**
 * agen_generator_new_full:
 * @func: (scope notified) (closure user_data) (destroy user_data_destroy): the body
 * @user_data: data passed to @func
 * @user_data_destroy: (nullable): destroys @user_data once the body can
 *   never run again
 * @name: (nullable): the [property@Generator:name]
 * @stack_size: the [property@Generator:stack-size], 0 for the default
 *
 * Like [ctor@Generator.new], with a name and a stack size.
 *
 * Returns: (transfer full): a new generator
 */
AgenGenerator *
agen_generator_new_full (AgenGeneratorFunc  func,
                         gpointer           user_data,
                         GDestroyNotify     user_data_destroy,
                         const char        *name,
                         gsize              stack_size)
{
  AgenGenerator *self;

  g_return_val_if_fail (func != NULL, NULL);

  /* The property by name would cost a lookup and a GValue. */
  self = g_object_new (AGEN_TYPE_GENERATOR, NULL);
  if (stack_size != 0)
    self->stack_size = stack_size;
  self->func = func;
  self->user_data = user_data;
  self->user_data_destroy = user_data_destroy;
  self->name = g_strdup (name);

  return self;
}

/**
 * agen_generator_get_name:
 * @self: a generator
 *
 * Gets the [property@Generator:name].
 *
 * Returns: (nullable): the name
 */
const char *
agen_generator_get_name (AgenGenerator *self)
{
  g_return_val_if_fail (AGEN_IS_GENERATOR (self), NULL);

  return self->name;
}

/**
 * agen_generator_set_name:
 * @self: a generator
 * @name: (nullable): the new name
 *
 * Sets the [property@Generator:name].
 */
void
agen_generator_set_name (AgenGenerator *self,
                         const char    *name)
{
  g_return_if_fail (AGEN_IS_GENERATOR (self));

  if (g_strcmp0 (self->name, name) == 0)
    return;

  g_free (self->name);
  self->name = g_strdup (name);
  if (self->fiber != NULL)
    agen_fiber_set_label (self->fiber, name);

  agen_generator_notify (self, properties[PROP_NAME]);
}

/**
 * agen_generator_get_stack_size:
 * @self: a generator
 *
 * Gets the [property@Generator:stack-size].
 *
 * Returns: the address space reserved for the body's stack, in bytes
 */
gsize
agen_generator_get_stack_size (AgenGenerator *self)
{
  g_return_val_if_fail (AGEN_IS_GENERATOR (self), 0);

  return self->stack_size;
}

/* The setter behind the property: until the body first runs. */
static void
agen_generator_set_stack_size (AgenGenerator *self,
                               gsize          stack_size)
{
  if (stack_size == 0)
    stack_size = AGEN_GENERATOR_DEFAULT_STACK_SIZE;

  /* A body that has run has left CREATED for good. */
  if (self->state != AGEN_GENERATOR_STATE_CREATED)
    {
      g_critical ("The stack size of generator '%s' cannot change: its body "
                  "has already run", agen_generator_display_name (self));
      return;
    }

  if (self->stack_size != stack_size)
    {
      self->stack_size = stack_size;
      agen_generator_notify (self, properties[PROP_STACK_SIZE]);
    }
}

/**
 * agen_generator_get_state:
 * @self: a generator
 *
 * Gets the [property@Generator:state]. Any thread may call this; the answer
 * may be out of date by the time it returns if the generator is in use on
 * another thread.
 *
 * Returns: the state
 */
AgenGeneratorState
agen_generator_get_state (AgenGenerator *self)
{
  g_return_val_if_fail (AGEN_IS_GENERATOR (self), AGEN_GENERATOR_STATE_CLOSED);

  return g_atomic_int_get (&self->state);
}

/**
 * agen_generator_get_running:
 * @self: a generator
 *
 * Gets the [property@Generator:running].
 *
 * Returns: %TRUE while an operation is in progress
 */
gboolean
agen_generator_get_running (AgenGenerator *self)
{
  g_return_val_if_fail (AGEN_IS_GENERATOR (self), FALSE);

  return g_atomic_int_get (&self->state) == AGEN_GENERATOR_STATE_RUNNING;
}

/**
 * agen_generator_get_context:
 * @self: a generator
 *
 * Gets the main context that owns the generator: the thread-default
 * context of its first operation. The body only ever runs on the thread
 * iterating it.
 *
 * Returns: (nullable) (transfer none): the owner context, or %NULL before
 *   the first operation
 */
GMainContext *
agen_generator_get_context (AgenGenerator *self)
{
  AgenContext *owner;

  g_return_val_if_fail (AGEN_IS_GENERATOR (self), NULL);

  owner = g_atomic_pointer_get (&self->owner);
  return owner ? agen_context_get_main_context (owner) : NULL;
}

/**
 * agen_generator_get_return_value:
 * @self: a generator
 * @value: (out caller-allocates): return location for the value
 *
 * Gets the body's return value: what it last passed to
 * [method@Generator.set_return_value] before returning %TRUE.
 *
 * Returns: %TRUE and a copy in @value when the generator is closed after its
 *   body returned having set a value; otherwise %FALSE and None in @value
 */
gboolean
agen_generator_get_return_value (AgenGenerator *self,
                                 GValue        *value)
{
  g_return_val_if_fail (AGEN_IS_GENERATOR (self), FALSE);
  g_return_val_if_fail (value != NULL, FALSE);

  if (agen_generator_get_state (self) == AGEN_GENERATOR_STATE_CLOSED &&
      self->returned && G_IS_VALUE (&self->return_value))
    {
      agen_value_copy_into (&self->return_value, value);
      return TRUE;
    }

  agen_value_init_none (value);
  return FALSE;
}

/* ------------------------------------------------------------------------
 * Consumer side: async forms
 * ------------------------------------------------------------------------ */

static void
agen_generator_start_async (AgenGenerator       *self,
                            AgenOpKind           kind,
                            const GValue        *in_value,
                            const GError        *in_error,
                            GCancellable        *cancellable,
                            gpointer             source_tag,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  AgenResult *result = agen_result_new (self, source_tag, callback, user_data);
  AgenOp *op = agen_result_get_op (result);

  agen_op_init (op, kind, in_value, in_error, cancellable, agen_result_complete_op);
  agen_generator_start_op (self, op);
}

/* The _finish precondition: result came from this generator's _async call
 * with this tag. A programmer error otherwise. */
static gboolean
agen_generator_check_result (AgenGenerator *self,
                             GAsyncResult  *result,
                             gpointer       source_tag)
{
  if (agen_result_is_valid (result, self, source_tag))
    return TRUE;

  g_critical ("The GAsyncResult passed to a _finish function of generator '%s' "
              "does not come from the matching _async call",
              agen_generator_display_name (self));
  return FALSE;
}

static gboolean
agen_generator_finish_op (AgenGenerator  *self,
                          GAsyncResult   *result,
                          gpointer        source_tag,
                          GValue         *value,
                          GError        **error)
{
  if (!agen_generator_check_result (self, result, source_tag))
    {
      if (value != NULL)
        agen_value_init_none (value);
      return FALSE;
    }

  return agen_op_propagate (agen_result_get_op (AGEN_RESULT (result)), value, error);
}

/**
 * agen_generator_next_async:
 * @self: a generator
 * @cancellable: (nullable): a cancellable, the body's step cancellable
 *   ([method@Generator.get_cancellable]) for this step
 * @callback: (scope async) (closure user_data): called when the body has
 *   yielded, finished or failed
 * @user_data: data for @callback
 *
 * Starts the body, or resumes it from the yield where it is suspended
 * (which then returns %TRUE with None sent), and runs it until it yields
 * again or ends.
 *
 * On the owner context's thread the body runs inside this call; @callback
 * runs from a later iteration of the caller's thread-default main context,
 * never inside this call. Finish with [method@Generator.next_finish].
 */
void
agen_generator_next_async (AgenGenerator       *self,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_return_if_fail (AGEN_IS_GENERATOR (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  agen_generator_start_async (self, AGEN_OP_NEXT, NULL, NULL, cancellable,
                              agen_generator_next_async, callback, user_data);
}

/**
 * agen_generator_next_finish:
 * @self: a generator
 * @result: the result passed to the callback
 * @value: (out caller-allocates) (optional): return location for the yielded
 *   value; always initialised, to None (a %G_TYPE_POINTER holding %NULL)
 *   when nothing was yielded
 * @error: return location for an error
 *
 * Finishes [method@Generator.next_async].
 *
 * Returns: %TRUE with the yielded value; %FALSE without an error when the
 *   generator has finished; %FALSE with @error set when the body raised or
 *   the operation was not allowed
 */
gboolean
agen_generator_next_finish (AgenGenerator  *self,
                            GAsyncResult   *result,
                            GValue         *value,
                            GError        **error)
{
  g_return_val_if_fail (AGEN_IS_GENERATOR (self), FALSE);

  return agen_generator_finish_op (self, result, agen_generator_next_async, value, error);
}

/**
 * agen_generator_send_async:
 * @self: a generator
 * @value: (nullable): the value the paused yield returns in its `sent`
 *   argument; %NULL or None makes this a [method@Generator.next_async]
 * @cancellable: (nullable): a cancellable
 * @callback: (scope async) (closure user_data): called when the body has
 *   yielded, finished or failed
 * @user_data: data for @callback
 *
 * Resumes the body with @value and runs it until it yields again or ends.
 * Sending a value other than None to a generator that has not started
 * fails with %AGEN_ERROR_NOT_STARTED.
 */
void
agen_generator_send_async (AgenGenerator       *self,
                           const GValue        *value,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_return_if_fail (AGEN_IS_GENERATOR (self));
  g_return_if_fail (value == NULL || G_IS_VALUE (value));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  agen_generator_start_async (self, AGEN_OP_SEND, value, NULL, cancellable,
                              agen_generator_send_async, callback, user_data);
}

/**
 * agen_generator_send_finish:
 * @self: a generator
 * @result: the result passed to the callback
 * @value: (out caller-allocates) (optional): return location for the yielded
 *   value; always initialised
 * @error: return location for an error
 *
 * Finishes [method@Generator.send_async].
 *
 * Returns: as [method@Generator.next_finish]
 */
gboolean
agen_generator_send_finish (AgenGenerator  *self,
                            GAsyncResult   *result,
                            GValue         *value,
                            GError        **error)
{
  g_return_val_if_fail (AGEN_IS_GENERATOR (self), FALSE);

  return agen_generator_finish_op (self, result, agen_generator_send_async, value, error);
}

/**
 * agen_generator_throw_async:
 * @self: a generator
 * @error: the error to raise at the paused yield (copied)
 * @cancellable: (nullable): a cancellable
 * @callback: (scope async) (closure user_data): called when the body has
 *   yielded, finished or failed
 * @user_data: data for @callback
 *
 * Raises @error inside the body, where it is paused: its yield returns
 * %FALSE with @error. The body may handle it and yield again. On a
 * generator that has not started, the body never runs: the operation
 * fails with a copy of @error and the generator is closed.
 */
void
agen_generator_throw_async (AgenGenerator       *self,
                            const GError        *error,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_return_if_fail (AGEN_IS_GENERATOR (self));
  g_return_if_fail (error != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  agen_generator_start_async (self, AGEN_OP_THROW, NULL, error, cancellable,
                              agen_generator_throw_async, callback, user_data);
}

/**
 * agen_generator_throw_finish:
 * @self: a generator
 * @result: the result passed to the callback
 * @value: (out caller-allocates) (optional): return location for the yielded
 *   value; always initialised
 * @error: return location for an error
 *
 * Finishes [method@Generator.throw_async].
 *
 * Returns: as [method@Generator.next_finish]
 */
gboolean
agen_generator_throw_finish (AgenGenerator  *self,
                             GAsyncResult   *result,
                             GValue         *value,
                             GError        **error)
{
  g_return_val_if_fail (AGEN_IS_GENERATOR (self), FALSE);

  return agen_generator_finish_op (self, result, agen_generator_throw_async, value, error);
}

/**
 * agen_generator_close_async:
 * @self: a generator
 * @cancellable: (nullable): a cancellable
 * @callback: (scope async) (closure user_data): called when the generator
 *   is closed or the close failed
 * @user_data: data for @callback
 *
 * Closes the generator. A suspended body's yield returns %FALSE with
 * %AGEN_ERROR_EXIT; the body cleans up (it may await) and lets the error
 * out or returns. A body that yields instead makes the close fail with
 * %AGEN_ERROR_IGNORED_EXIT and stays suspended. Closing a generator that
 * has not started or has finished succeeds and runs nothing.
 */
void
agen_generator_close_async (AgenGenerator       *self,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_return_if_fail (AGEN_IS_GENERATOR (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  agen_generator_start_async (self, AGEN_OP_CLOSE, NULL, NULL, cancellable,
                              agen_generator_close_async, callback, user_data);
}

/**
 * agen_generator_close_finish:
 * @self: a generator
 * @result: the result passed to the callback
 * @error: return location for an error
 *
 * Finishes [method@Generator.close_async].
 *
 * Returns: %TRUE when the generator is closed; %FALSE with @error set when
 *   the body raised an error other than %AGEN_ERROR_EXIT, yielded
 *   (%AGEN_ERROR_IGNORED_EXIT), or the close was not allowed
 */
gboolean
agen_generator_close_finish (AgenGenerator  *self,
                             GAsyncResult   *result,
                             GError        **error)
{
  g_return_val_if_fail (AGEN_IS_GENERATOR (self), FALSE);

  if (!agen_generator_check_result (self, result, agen_generator_close_async))
    return FALSE;

  return agen_op_propagate_close (agen_result_get_op (AGEN_RESULT (result)), error);
}

/* ------------------------------------------------------------------------
 * Batches: next_many
 * ------------------------------------------------------------------------ */

/* One next_many: runs steps one after the other while they complete
 * within the call that started them, collecting the values, and hands the
 * batch over when it is full, when the generator ends, or after a step
 * that had to wait (the values should not wait for more). */
typedef struct
{
  AgenOp          step;
  AgenGenerator  *self;
  AgenOp         *op;         /* the batch's own op, in its AgenResult */
  GValue         *items;      /* the values so far; a GArray only at the end */
  guint           n_items;
  guint           capacity;
  guint           max;
  GError         *error;
  gboolean        stepping;   /* inside agen_generator_start_op() */
  gboolean        step_done;
  gboolean        has_owned;  /* some value owns memory: the array needs a clear func */
  /* Where items point first: room for BATCH_INLINE_ITEMS values in the
   * same allocation as the batch, so that a batch of up to that many
   * values allocates nothing else. */
  GValue          inline_items[];
} Batch;

#define BATCH_INLINE_ITEMS 64

static void batch_finish (Batch *batch);

static void
clear_value (gpointer data)
{
  agen_value_clear (data);
}

/* The place for the next value, to be initialised by the caller. A plain
 * array, grown by doubling: appending is on the per-value path of a batch,
 * where g_array_append_vals() cost as much as the rest of a yield. */
static inline GValue *
batch_append_slot (Batch *batch)
{
  if (G_UNLIKELY (batch->n_items == batch->capacity))
    {
      batch->capacity = MIN (batch->capacity * 2, batch->max);
      if (batch->items == batch->inline_items)
        {
          batch->items = g_new (GValue, batch->capacity);
          memcpy (batch->items, batch->inline_items, batch->n_items * sizeof (GValue));
        }
      else
        {
          batch->items = g_renew (GValue, batch->items, batch->capacity);
        }
    }

  return &batch->items[batch->n_items++];
}

/* value is moved; NULL or unset is None. */
static inline void
batch_append (Batch  *batch,
              GValue *value)
{
  GValue *slot = batch_append_slot (batch);

  if (value == NULL || G_VALUE_TYPE (value) == G_TYPE_INVALID)
    {
      agen_value_init_none (slot);
      return;
    }

  if (!agen_value_type_is_plain (G_VALUE_TYPE (value)))
    batch->has_owned = TRUE;
  *slot = *value;
  *value = (GValue) G_VALUE_INIT;
}

/* value is copied straight into its place; NULL is None. */
static inline void
batch_append_copy (Batch        *batch,
                   const GValue *value)
{
  GValue *slot = batch_append_slot (batch);

  if (value == NULL)
    {
      agen_value_init_none (slot);
    }
  else if (agen_value_type_is_plain (G_VALUE_TYPE (value)))
    {
      *slot = *value;
    }
  else
    {
      batch->has_owned = TRUE;
      agen_value_copy_slow (value, slot);
    }
}

/* Takes the outcome of the step just done. TRUE to go on. */
static gboolean
batch_absorb (Batch *batch)
{
  AgenOp *step = &batch->step;
  gboolean go_on = FALSE;

  switch (step->outcome)
    {
    case AGEN_OP_YIELDED:
      batch_append (batch, &step->out_value);
      go_on = batch->n_items < batch->max;
      break;

    case AGEN_OP_FAILED:
      batch->error = g_steal_pointer (&step->out_error);
      break;

    case AGEN_OP_FINISHED:
    case AGEN_OP_PENDING:
    default:
      break;
    }

  agen_op_clear (step);
  return go_on;
}

static void
batch_step_complete (AgenOp *op)
{
  Batch *batch = (Batch *) op;

  batch->step_done = TRUE;
  if (batch->stepping)
    return;   /* the driver loop takes it from here */

  /* The step had to wait: deliver what there is. */
  batch_absorb (batch);
  batch_finish (batch);
}

static void
batch_run (Batch *batch)
{
  for (;;)
    {
      agen_op_init (&batch->step, AGEN_OP_NEXT, NULL, NULL,
                    batch->op->cancellable, batch_step_complete);
      batch->step_done = FALSE;
      batch->stepping = TRUE;
      agen_generator_start_op (batch->self, &batch->step);
      batch->stepping = FALSE;

      if (!batch->step_done)
        return;   /* batch_step_complete() finishes it */

      if (!batch_absorb (batch))
        break;
    }

  batch_finish (batch);
}

static void
batch_finish (Batch *batch)
{
  AgenGenerator *self = batch->self;
  AgenOp *op = batch->op;

  if (batch->n_items > 0)
    {
      GValue value = G_VALUE_INIT;
      GArray *values;

      /* Values are never dropped: an error the body raised after some
       * came out is reported by the next operation. An error that changed
       * nothing (a busy generator, a cancellable cancelled before the
       * step) is dropped; the next call meets it again. */
      if (batch->error != NULL)
        {
          if (agen_generator_get_state (self) == AGEN_GENERATOR_STATE_CLOSED)
            {
              g_clear_error (&self->deferred_error);
              self->deferred_error = g_steal_pointer (&batch->error);
            }
          g_clear_error (&batch->error);
        }

      values = g_array_sized_new (FALSE, FALSE, sizeof (GValue), batch->n_items);
      /* Without a clear func, freeing an array of numbers frees just the
       * array, instead of calling the func for every value. */
      if (batch->has_owned)
        g_array_set_clear_func (values, clear_value);
      g_array_append_vals (values, batch->items, batch->n_items);
      batch->n_items = 0;

      g_value_init (&value, G_TYPE_ARRAY);
      g_value_take_boxed (&value, values);
      agen_op_set_yielded (op, &value);
    }
  else if (batch->error != NULL)
    {
      agen_op_take_error (op, g_steal_pointer (&batch->error));
    }
  else
    {
      agen_op_set_finished (op);
    }

  if (batch->items != batch->inline_items)
    g_free (batch->items);
  g_free (batch);

  op->complete (op);
}

/**
 * agen_generator_next_many_async:
 * @self: a generator
 * @max_items: the most values to deliver at once, at least 1
 * @cancellable: (nullable): a cancellable, the step cancellable of every
 *   step of the batch
 * @callback: (scope async) (closure user_data): called with the batch
 * @user_data: data for @callback
 *
 * Like [method@Generator.next_async], but runs the body for up to
 * @max_items values and delivers them in one callback: one main-loop pass
 * for the lot instead of one per value.
 *
 * Steps run one after the other for as long as each completes without
 * waiting; the batch is delivered when it is full, when the body finishes,
 * or right after a step that had to wait (for I/O, say), so values never
 * wait for more to come. Values are never lost: if the body raises after
 * some values of a batch, the batch is delivered and the error comes with
 * the next operation.
 */
void
agen_generator_next_many_async (AgenGenerator       *self,
                                guint                max_items,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  AgenResult *result;
  AgenOp *op;
  Batch *batch;
  guint capacity;

  g_return_if_fail (AGEN_IS_GENERATOR (self));
  g_return_if_fail (max_items > 0);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  result = agen_result_new (self, agen_generator_next_many_async, callback, user_data);
  op = agen_result_get_op (result);
  agen_op_init (op, AGEN_OP_NEXT, NULL, NULL, cancellable, agen_result_complete_op);

  /* A cancellable already cancelled refuses the first step, which fails
   * the batch with nothing else done, as for any op. */
  capacity = MIN (max_items, BATCH_INLINE_ITEMS);
  /* The values need no zeroing: each is written before it is read. */
  batch = g_malloc (sizeof (Batch) + capacity * sizeof (GValue));
  memset (batch, 0, sizeof (Batch));
  batch->self = self;
  batch->op = op;
  batch->max = max_items;
  batch->items = batch->inline_items;
  batch->capacity = capacity;

  batch_run (batch);
}

/**
 * agen_generator_next_many_finish:
 * @self: a generator
 * @result: the result passed to the callback
 * @values: (out) (optional) (nullable) (transfer full) (element-type GValue):
 *   return location for the values, in order; %NULL when none
 * @error: return location for an error
 *
 * Finishes [method@Generator.next_many_async].
 *
 * Returns: %TRUE with at least one value; %FALSE without an error when the
 *   generator has finished; %FALSE with @error set when the body raised
 *   (before any value of this batch) or the operation was not allowed
 */
gboolean
agen_generator_next_many_finish (AgenGenerator  *self,
                                 GAsyncResult   *result,
                                 GArray        **values,
                                 GError        **error)
{
  GValue value = G_VALUE_INIT;
  gboolean ok;

  g_return_val_if_fail (AGEN_IS_GENERATOR (self), FALSE);

  if (values != NULL)
    *values = NULL;

  ok = agen_generator_finish_op (self, result, agen_generator_next_many_async, &value, error);
  if (ok && values != NULL)
    *values = g_value_dup_boxed (&value);
  g_value_unset (&value);

  return ok;
}

/* ------------------------------------------------------------------------
 * Consumer side: blocking forms
 * ------------------------------------------------------------------------ */

/**
 * agen_generator_next:
 * @self: a generator
 * @cancellable: (nullable): a cancellable
 * @value: (out caller-allocates) (optional): return location for the yielded
 *   value; always initialised
 * @error: return location for an error
 *
 * The blocking form of [method@Generator.next_async], with the same
 * results. Called inside a generator's body, it suspends only that body
 * (no thread blocks, no main loop is nested). Called from plain code, it
 * blocks the calling thread until done, iterating the generator's owner
 * context meanwhile if that is the calling thread's thread-default
 * context. A body calling it on its own generator gets
 * %AGEN_ERROR_RUNNING.
 *
 * Returns: as [method@Generator.next_finish]
 */
gboolean
agen_generator_next (AgenGenerator  *self,
                     GCancellable   *cancellable,
                     GValue         *value,
                     GError        **error)
{
  g_return_val_if_fail (IS_GENERATOR (self), FALSE);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return agen_generator_blocking (self, AGEN_OP_NEXT, NULL, NULL,
                                  cancellable, value, error);
}

/**
 * agen_generator_send:
 * @self: a generator
 * @in_value: (nullable): the value to send; %NULL or None is a next
 * @cancellable: (nullable): a cancellable
 * @value: (out caller-allocates) (optional): return location for the yielded
 *   value; always initialised
 * @error: return location for an error
 *
 * The blocking form of [method@Generator.send_async]; see
 * [method@Generator.next] for where it may block.
 *
 * Returns: as [method@Generator.next_finish]
 */
gboolean
agen_generator_send (AgenGenerator  *self,
                     const GValue   *in_value,
                     GCancellable   *cancellable,
                     GValue         *value,
                     GError        **error)
{
  g_return_val_if_fail (IS_GENERATOR (self), FALSE);
  g_return_val_if_fail (in_value == NULL || G_IS_VALUE (in_value), FALSE);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return agen_generator_blocking (self, AGEN_OP_SEND, in_value, NULL,
                                  cancellable, value, error);
}

/**
 * agen_generator_throw:
 * @self: a generator
 * @in_error: the error to raise in the body (copied)
 * @cancellable: (nullable): a cancellable
 * @value: (out caller-allocates) (optional): return location for the yielded
 *   value; always initialised
 * @error: return location for an error
 *
 * The blocking form of [method@Generator.throw_async]; see
 * [method@Generator.next] for where it may block.
 *
 * Returns: as [method@Generator.next_finish]
 */
gboolean
agen_generator_throw (AgenGenerator  *self,
                      const GError   *in_error,
                      GCancellable   *cancellable,
                      GValue         *value,
                      GError        **error)
{
  g_return_val_if_fail (AGEN_IS_GENERATOR (self), FALSE);
  g_return_val_if_fail (in_error != NULL, FALSE);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return agen_generator_blocking (self, AGEN_OP_THROW, NULL, in_error,
                                  cancellable, value, error);
}

/**
 * agen_generator_close:
 * @self: a generator
 * @cancellable: (nullable): a cancellable
 * @error: return location for an error
 *
 * The blocking form of [method@Generator.close_async]; see
 * [method@Generator.next] for where it may block.
 *
 * Returns: as [method@Generator.close_finish]
 */
gboolean
agen_generator_close (AgenGenerator  *self,
                      GCancellable   *cancellable,
                      GError        **error)
{
  g_return_val_if_fail (AGEN_IS_GENERATOR (self), FALSE);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return agen_generator_blocking (self, AGEN_OP_CLOSE, NULL, NULL,
                                  cancellable, NULL, error);
}

/* ------------------------------------------------------------------------
 * Body side
 * ------------------------------------------------------------------------ */

static const char *
exit_message (void)
{
  static gsize message;

  if (g_once_init_enter (&message))
    g_once_init_leave (&message, (gsize) _("The generator is being closed"));

  return (const char *) message;
}

static gboolean
wrong_context (AgenGenerator  *self,
               const char     *what,
               GError        **error)
{
  g_set_error (error, AGEN_ERROR, AGEN_ERROR_WRONG_CONTEXT,
               _("%s may only be called from the body of generator “%s”"),
               what, agen_generator_display_name (self));
  return FALSE;
}

/* The batch a yield may go straight into, or NULL: one that still has room
 * after this value, while the batch's driver waits for the step within its
 * own call. The value then goes into the batch and the body goes on, as if
 * the driver had taken it and resumed the body with a next, which is all
 * it would do. Two switches and an op set-up fewer per value. */
G_ALWAYS_INLINE static inline Batch *
agen_generator_open_batch (AgenGenerator *self)
{
  Batch *batch;

  if (self->op->complete != batch_step_complete)
    return NULL;

  batch = (Batch *) self->op;
  if (!batch->stepping || batch->n_items + 1 >= batch->max)
    return NULL;

  return batch;
}

/* The yield itself. value is moved (NULL = None). On return, *sent (if
 * given) is initialised. */
G_ALWAYS_INLINE static inline gboolean
agen_generator_yield_take (AgenGenerator  *self,
                           GValue         *value,
                           GValue         *sent,
                           GError        **error)
{
  AgenOp *op;
  Batch *batch;

  batch = agen_generator_open_batch (self);
  if (batch != NULL)
    {
      batch_append (batch, value);
      if (sent != NULL)
        agen_value_init_none (sent);
      return TRUE;
    }

  op = g_steal_pointer (&self->op);

  if (op->kind == AGEN_OP_CLOSE)
    {
      /* The body ignored the exit request: the value is discarded, the
       * close fails, and the generator stays usable at this yield. */
      if (value != NULL)
        agen_value_clear (value);
      self->ignored_exit = TRUE;
      agen_op_set_error (op, AGEN_ERROR, AGEN_ERROR_IGNORED_EXIT,
                         _("Generator “%s” yielded instead of closing"),
                         agen_generator_display_name (self));
    }
  else
    {
      agen_op_set_yielded (op, value);
    }

  agen_generator_set_state (self, AGEN_GENERATOR_STATE_SUSPENDED);
  self->completed_op = op;

  /* Inline, and so is this function: the body's call returns from
   * here without a frame in between (see
   * agen-fiber-inline-private.h). */
  agen_fiber_switch_out (self->fiber, FALSE);

  /* Resumed by agen_generator_run_op with the next op. */
  op = self->op;

  switch (op->kind)
    {
    case AGEN_OP_SEND:
      if (sent != NULL)
        agen_value_copy_into (&op->in_value, sent);
      return TRUE;

    case AGEN_OP_THROW:
      if (sent != NULL)
        agen_value_init_none (sent);
      g_propagate_error (error, g_error_copy (op->in_error));
      return FALSE;

    case AGEN_OP_CLOSE:
      if (sent != NULL)
        agen_value_init_none (sent);
      /* Every close of a suspended generator makes one: a fixed message,
       * translated once, keeps gettext and printf off that path. */
      g_set_error_literal (error, AGEN_ERROR, AGEN_ERROR_EXIT, exit_message ());
      return FALSE;

    case AGEN_OP_NEXT:
    default:
      if (sent != NULL)
        agen_value_init_none (sent);
      return TRUE;
    }
}

/**
 * agen_generator_yield:
 * @self: the generator whose body is calling
 * @value: (nullable): the value to hand out (copied); %NULL yields None
 * @sent: (out caller-allocates) (optional): return location for the value
 *   sent in; None for a next; always initialised
 * @error: return location for the error thrown in
 *
 * Hands @value to the operation in progress, which completes with it, and
 * pauses the body until the next operation resumes it.
 *
 * Only from inside @self's own body; elsewhere it fails with
 * %AGEN_ERROR_WRONG_CONTEXT.
 *
 * Returns: %TRUE when resumed by a next or send; %FALSE with @error set to
 *   the error thrown in, or to %AGEN_ERROR_EXIT for a close. The body
 *   should then clean up and normally return %FALSE propagating it.
 */
gboolean
agen_generator_yield (AgenGenerator  *self,
                      const GValue   *value,
                      GValue         *sent,
                      GError        **error)
{
  GValue copy = G_VALUE_INIT;
  Batch *batch;

  g_return_val_if_fail (IS_GENERATOR (self), FALSE);
  /* Not G_IS_VALUE(): that is a type-system lookup per item. */
  g_return_val_if_fail (value == NULL || G_VALUE_TYPE (value) != G_TYPE_INVALID, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!agen_generator_in_own_body (self))
    {
      if (sent != NULL)
        agen_value_init_none (sent);
      return wrong_context (self, "agen_generator_yield()", error);
    }

  batch = agen_generator_open_batch (self);
  if (batch != NULL)
    {
      batch_append_copy (batch, value);
      if (sent != NULL)
        agen_value_init_none (sent);
      return TRUE;
    }

  if (value != NULL)
    agen_value_copy_into (value, &copy);

  return agen_generator_yield_take (self, value != NULL ? &copy : NULL, sent, error);
}

/**
 * agen_generator_yield_from:
 * @self: the generator whose body is calling
 * @inner: the generator to delegate to
 * @return_value: (out caller-allocates) (optional): return location for
 *   @inner's return value; always initialised
 * @error: return location for an error
 *
 * Delegates to @inner until it finishes, like Python's `yield from`: its
 * values go out as if @self yielded them, and what @self's consumer does
 * is forwarded: next and send to @inner, a throw into it, a close (or a
 * throw of %AGEN_ERROR_EXIT) closes it and then raises %AGEN_ERROR_EXIT
 * here. Each of @inner's operations gets this step's cancellable.
 *
 * Only from inside @self's own body; elsewhere it fails with
 * %AGEN_ERROR_WRONG_CONTEXT.
 *
 * Returns: %TRUE with @inner's return value (None if it set none) when it
 *   finished; %FALSE with @error set when it raised, when @self was
 *   closed, or when closing @inner failed
 */
gboolean
agen_generator_yield_from (AgenGenerator  *self,
                           AgenGenerator  *inner,
                           GValue         *return_value,
                           GError        **error)
{
  AgenOpKind kind = AGEN_OP_NEXT;
  GValue send_value = G_VALUE_INIT;
  GError *throw_error = NULL;

  g_return_val_if_fail (AGEN_IS_GENERATOR (self), FALSE);
  g_return_val_if_fail (AGEN_IS_GENERATOR (inner), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (return_value != NULL)
    agen_value_init_none (return_value);

  if (!agen_generator_in_own_body (self))
    return wrong_context (self, "agen_generator_yield_from()", error);

  for (;;)
    {
      GCancellable *cancellable = agen_generator_get_cancellable (self);
      GValue item = G_VALUE_INIT;
      GValue sent = G_VALUE_INIT;
      GError *inner_error = NULL;
      GError *resume_error = NULL;
      gboolean yielded;

      yielded = agen_generator_run_blocking (inner, kind,
                                             kind == AGEN_OP_SEND ? &send_value : NULL,
                                             throw_error, cancellable,
                                             &item, &inner_error);
      agen_value_clear (&send_value);
      g_clear_error (&throw_error);

      if (!yielded)
        {
          g_value_unset (&item);
          if (inner_error != NULL)
            {
              g_propagate_error (error, inner_error);
              return FALSE;
            }

          if (return_value != NULL)
            {
              g_value_unset (return_value);
              agen_generator_get_return_value (inner, return_value);
            }
          return TRUE;
        }

      if (agen_generator_yield_take (self, &item, &sent, &resume_error))
        {
          if (agen_value_is_none (&sent))
            {
              kind = AGEN_OP_NEXT;
              g_value_unset (&sent);
            }
          else
            {
              kind = AGEN_OP_SEND;
              send_value = sent;
            }
          continue;
        }

      g_value_unset (&sent);

      if (g_error_matches (resume_error, AGEN_ERROR, AGEN_ERROR_EXIT))
        {
          GError *close_error = NULL;

          /* Close the inner rather than throwing into it, as the
           * async_generator library does; its failure wins. */
          if (!agen_generator_close (inner, agen_generator_get_cancellable (self),
                                     &close_error))
            {
              g_clear_error (&resume_error);
              g_propagate_error (error, close_error);
              return FALSE;
            }

          g_propagate_error (error, resume_error);
          return FALSE;
        }

      kind = AGEN_OP_THROW;
      throw_error = resume_error;
    }
}

/**
 * agen_generator_set_return_value:
 * @self: the generator whose body is calling
 * @value: (nullable): the value (copied); %NULL clears it
 *
 * Sets what [method@Generator.get_return_value] and a delegating
 * [method@Generator.yield_from] get once the body returns %TRUE. Only
 * from inside @self's own body.
 */
void
agen_generator_set_return_value (AgenGenerator *self,
                                 const GValue  *value)
{
  g_return_if_fail (AGEN_IS_GENERATOR (self));
  g_return_if_fail (value == NULL || G_IS_VALUE (value));

  if (!agen_generator_in_own_body (self))
    {
      g_critical ("agen_generator_set_return_value() may only be called from "
                  "the body of generator '%s'", agen_generator_display_name (self));
      return;
    }

  if (G_IS_VALUE (&self->return_value))
    g_value_unset (&self->return_value);

  if (value != NULL)
    {
      g_value_init (&self->return_value, G_VALUE_TYPE (value));
      g_value_copy (value, &self->return_value);
    }
}

/**
 * agen_generator_get_cancellable:
 * @self: the generator whose body is calling
 *
 * Gets the cancellable of the current step: the one passed to the
 * operation that started or resumed the body. Pass it to what the body
 * awaits, so that cancelling the operation makes that await fail with
 * %G_IO_ERROR_CANCELLED where the body waits. The body decides what
 * follows; a value it yields is never lost.
 *
 * Returns: (nullable) (transfer none): the step's cancellable, or %NULL
 */
GCancellable *
agen_generator_get_cancellable (AgenGenerator *self)
{
  g_return_val_if_fail (AGEN_IS_GENERATOR (self), NULL);

  if (self->op == NULL)
    return NULL;

  return self->op->cancellable;
}

/**
 * agen_generator_resume_callback:
 * @source: (nullable): the source object of the operation
 * @result: its result
 * @self: (type AgenGenerator): the generator whose body awaits
 *
 * The [callback@Gio.AsyncReadyCallback] to pass (with @self as its data)
 * to a GIO `_async` call whose result the body then takes with
 * [method@Generator.await]; [func@AWAIT_CALLBACK] spells both.
 */
void
agen_generator_resume_callback (GObject      *source,
                                GAsyncResult *result,
                                gpointer      self_ptr)
{
  AgenGenerator *self = self_ptr;

  g_return_if_fail (AGEN_IS_GENERATOR (self));
  g_return_if_fail (G_IS_ASYNC_RESULT (result));

  if (self->await_pending != NULL)
    {
      g_critical ("Generator '%s' was resumed by a second result before it "
                  "awaited the first", agen_generator_display_name (self));
      return;
    }

  self->await_pending = g_object_ref (result);

  if (!self->awaiting)
    return;   /* delivered before the body got to its await */

  self->awaiting = FALSE;
  if (agen_context_is_current_thread (self->owner))
    agen_generator_resume_fiber (self);
  else
    agen_context_invoke (self->owner, resume_fiber_cb, self);
}

/**
 * agen_generator_await:
 * @self: the generator whose body is calling
 *
 * Pauses the body until the operation started with
 * [func@AWAIT_CALLBACK] (@self) completes, and returns its result, to pass
 * to that operation's `_finish` function. The generator stays running
 * meanwhile.
 *
 * Only from inside @self's own body; elsewhere it logs a critical and
 * returns %NULL.
 *
 * Returns: (transfer none) (nullable): the result, valid until the next
 *   await
 */
GAsyncResult *
agen_generator_await (AgenGenerator *self)
{
  g_return_val_if_fail (AGEN_IS_GENERATOR (self), NULL);

  if (!agen_generator_in_own_body (self))
    {
      g_critical ("agen_generator_await() may only be called from the body "
                  "of generator '%s'", agen_generator_display_name (self));
      return NULL;
    }

  g_clear_object (&self->await_current);

  if (self->await_pending == NULL)
    {
      self->awaiting = TRUE;
      agen_fiber_suspend ();
    }

  self->await_current = g_steal_pointer (&self->await_pending);
  return self->await_current;
}
