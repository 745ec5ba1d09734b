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
 *       if (!agen_generator_yield_uint (self, i, error))
 *         return FALSE;   // closed or thrown into: clean up and let it out
 *     }
 *
 *   return TRUE;
 * }
 * ```
 *
 * [method@Generator.yield] takes any [struct@GObject.Value]; the typed
 * yields ([method@Generator.yield_uint], [method@Generator.yield_string],
 * …) spare the boilerplate.
 *
 * Consumers drive it with [method@Generator.next_async],
 * [method@Generator.send_async], [method@Generator.throw_async] and
 * [method@Generator.close_async], or with the blocking forms
 * ([method@Generator.next], [method@Generator.next_int] …), which inside
 * another generator's body suspend only that body, or with
 * [method@Generator.foreach_async], a function per value.
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
 *
 * Since: 0.1
 */

#include "config.h"

#include <glib/gi18n-lib.h>
#ifdef HAVE_DLADDR
# include <dlfcn.h>
#endif

#include "agen-enum-types.h"
#include "agen-error.h"
#include "agen-generator-impl-private.h"
#include "agen-result-private.h"

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

GType agen_generator_type_id;

/* The fiber layer cannot see the public header; both say the same. */
G_STATIC_ASSERT (AGEN_GENERATOR_MAX_STACK_SIZE == AGEN_FIBER_MAX_STACK_SIZE);
G_STATIC_ASSERT (AGEN_GENERATOR_DEFAULT_STACK_SIZE == AGEN_FIBER_DEFAULT_STACK_SIZE);

static void agen_generator_set_stack_size (AgenGenerator *self,
                                           gsize          stack_size);

/* ------------------------------------------------------------------------
 * Small helpers
 * ------------------------------------------------------------------------ */

/* An unnamed generator's body function as the dynamic linker knows it:
 * "name()" when the function is an exported symbol, "(unnamed, body at
 * file+0xoffset)" otherwise (static functions, programs linked without
 * -rdynamic), which addr2line turns into a source line; NULL where the
 * platform cannot tell. Interned: one string per body function, for as
 * long as the process lives. Costs a symbol-table search, so only messages
 * ask for it. */
static const char *
body_function_name (AgenGenerator *self)
{
#ifdef HAVE_DLADDR
  gpointer func = self->func != NULL ? (gpointer) self->func : (gpointer) self->step_func;
  g_autofree char *name = NULL;
  Dl_info info;

  if (func == NULL || dladdr (func, &info) == 0 || info.dli_fname == NULL)
    return NULL;

  /* dladdr() names the nearest symbol below: only an exact match is the
   * function's own name. */
  if (info.dli_sname != NULL && info.dli_saddr == func)
    name = g_strdup_printf ("%s()", info.dli_sname);
  else
    {
      g_autofree char *file = g_path_get_basename (info.dli_fname);
      /* Formatted apart: xgettext cannot read a G_GINTPTR_MODIFIER. */
      g_autofree char *offset =
        g_strdup_printf ("%#" G_GINTPTR_MODIFIER "x",
                         (gintptr) ((guint8 *) func - (guint8 *) info.dli_fbase));

      /* TRANSLATORS: what messages call a generator that has no name:
       * the file and the offset in it of its body function */
      name = g_strdup_printf (_("(unnamed, body at %s+%s)"), file, offset);
    }

  return g_intern_string (name);
#else
  return NULL;
#endif
}

const char *
agen_generator_display_name (AgenGenerator *self)
{
  const char *name;

  if (self->name != NULL)
    return self->name;

  name = body_function_name (self);
  return name != NULL ? name : _("(unnamed)");
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

/* The state changed since the last emission of notify::state. Handlers are user code, possibly a binding's: they never
 * run on a fiber's stack. On the thread's stack GObject's own check for
 * handlers is the cheapest (a flag). On a fiber's, one lookup tells
 * whether switching to the thread's stack is needed at all.
 *
 * (Overriding GObjectClass.dispatch_properties_changed to move every
 * emission would be simpler, but GObject then freezes the notify queue
 * around every construction and disposal: a third more per short-lived
 * generator.) */
void
agen_generator_notify_state_slow (AgenGenerator *self)
{
  if (!agen_on_fiber_stack ())
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
void
agen_generator_release_body (AgenGenerator *self)
{
  DestroyCall call = { self->user_data_destroy, self->user_data };

  if (self->body_released)
    return;

  /* A driven body's step function is on the stack: a binding may be
   * running the very closure this frees. It runs once that returns. */
  if (self->in_step > 0)
    {
      self->release_deferred = TRUE;
      return;
    }

  self->body_released = TRUE;
  self->user_data = NULL;
  self->user_data_destroy = NULL;

  if (call.destroy != NULL)
    agen_fiber_call_on_thread_stack (destroy_call_run, &call);
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
  agen_generator_runner_run (self);
}

void
agen_generator_set_ignored_exit (AgenGenerator *self,
                                 AgenOp        *op,
                                 GValue        *value)
{
  if (value != NULL)
    agen_value_clear (value);
  self->ignored_exit = TRUE;
  agen_op_set_error (op, AGEN_ERROR, AGEN_ERROR_IGNORED_EXIT,
                     _("Generator “%s” yielded instead of closing: after a yield "
                       "fails with AGEN_ERROR_EXIT the body must return"),
                     agen_generator_display_name (self));
}

void
agen_generator_set_ended (AgenGenerator *self,
                          AgenOp        *op,
                          GError        *error)
{
  self->returned = error == NULL;

  /* A close succeeds when the body returns or lets the exit out. */
  if (error == NULL ||
      (op->kind == AGEN_OP_CLOSE && g_error_matches (error, AGEN_ERROR, AGEN_ERROR_EXIT)))
    {
      g_clear_error (&error);
      agen_op_set_finished (op);
    }
  else
    {
      agen_op_take_error (op, error);
    }

  agen_generator_set_state (self, AGEN_GENERATOR_STATE_CLOSED);
}

static void
agen_generator_run_op (AgenGenerator *self,
                       AgenOp        *op)
{
  GError *error = NULL;

  if (G_UNLIKELY (self->try_step != NULL) &&
      !agen_generator_try_step_admits (self, op))
    return;

  switch (agen_generator_rule (self->state, op->kind))
    {
    case AGEN_RULE_REFUSE_RUNNING:
      agen_op_set_error (op, AGEN_ERROR, AGEN_ERROR_RUNNING,
                         _("Generator “%s” is already running"),
                         agen_generator_display_name (self));
      op->complete (op);
      return;

    case AGEN_RULE_FINISHED:
      if (self->deferred_error != NULL && op->kind != AGEN_OP_CLOSE)
        agen_op_take_error (op, g_steal_pointer (&self->deferred_error));
      else
        agen_op_set_finished (op);
      g_clear_error (&self->deferred_error);
      op->complete (op);
      return;

    case AGEN_RULE_NOT_STARTED:
      agen_op_set_error (op, AGEN_ERROR, AGEN_ERROR_NOT_STARTED,
                         _("Cannot send a value to generator “%s”: it has not started"),
                         agen_generator_display_name (self));
      op->complete (op);
      return;

    case AGEN_RULE_END_UNSTARTED:
      agen_generator_set_state (self, AGEN_GENERATOR_STATE_CLOSED);
      agen_generator_release_body (self);
      if (op->kind == AGEN_OP_THROW)
        agen_op_take_error (op, g_error_copy (op->in_error));
      else
        agen_op_set_finished (op);
      agen_generator_notify_changes (self);
      op->complete (op);
      return;

    case AGEN_RULE_RUN:
    default:
      /* A first run needs what the body runs on: a stack, say. */
      if (self->state == AGEN_GENERATOR_STATE_CREATED &&
          !agen_generator_runner_prepare (self, &error))
        {
          agen_op_take_error (op, error);
          op->complete (op);
          return;
        }
      agen_generator_run_body (self, op);
      return;
    }
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

/* The first op (docs/semantics.md, "The first operation"): the owner,
 * tracking, the first_iter hook (synchronously, but on the thread's
 * stack) and the finalizer as it is now. */
void
agen_generator_first_op (AgenGenerator *self)
{
  AgenDispatcher *owner = agen_dispatcher_get_thread_default ();
  AgenHookFunc first_iter;

  if (!g_atomic_pointer_compare_and_exchange (&self->owner, NULL, owner))
    return;

  agen_dispatcher_ref (owner);
  self->hooks = agen_hooks_track (owner, &self->track_link, self, self->name);

  first_iter = self->hooks ? self->hooks->first_iter : NULL;
  if (first_iter != NULL)
    agen_fiber_call_on_thread_stack (run_first_iter_hook, self);
}

void
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
  if (agen_dispatcher_is_current_thread (self->owner))
    {
      agen_generator_run_op (self, op);
    }
  else
    {
      RunOpItem *run = g_new0 (RunOpItem, 1);

      run->item.func = run_op_item_dispatch;
      run->self = g_object_ref (self);
      run->op = op;
      agen_dispatcher_queue (self->owner, &run->item);
    }
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
  agen_hooks_end_pending_close (self->owner);
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

  agen_hooks_begin_pending_close (self->owner);
  agen_dispatcher_invoke (self->owner, abandoned_close_run, self);
}

void
agen_generator_close_if_owed (AgenGenerator *self,
                              gboolean       exit_pending,
                              gboolean       exit_ran)
{
  AgenGeneratorState state;

  g_return_if_fail (AGEN_IS_GENERATOR (self));

  state = agen_generator_get_state (self);
  if ((exit_pending && state != AGEN_GENERATOR_STATE_CLOSED) ||
      (exit_ran && state == AGEN_GENERATOR_STATE_SUSPENDED && !self->ignored_exit))
    agen_generator_close_abandoned (self);
}

static void
run_finalizer_hook (gpointer data)
{
  AgenGenerator *self = data;
  AgenFinalizerFunc finalizer = self->hooks->finalizer;

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
    agen_hooks_untrack (self->owner, &self->track_link);

  /* Dropped while paused at a yield: revive once and hand it to the
   * finalizer hook, or close it on the owner context so that the body's
   * cleanup runs (docs/semantics.md, "Dropping the last reference"). */
  if (self->state == AGEN_GENERATOR_STATE_SUSPENDED &&
      !self->finalizer_ran && !self->ignored_exit)
    {
      self->finalizer_ran = TRUE;
      if (self->hooks != NULL && self->hooks->finalizer != NULL)
        agen_dispatcher_invoke (self->owner, run_finalizer_hook, g_object_ref (self));
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

  if (self->state == AGEN_GENERATOR_STATE_SUSPENDED)
    g_warning ("Generator '%s' was destroyed while suspended without a "
               "completed close; its cleanup code did not run",
               agen_generator_display_name (self));
  if (self->fiber != NULL)
    agen_fiber_clear (g_steal_pointer (&self->fiber));

  agen_generator_release_body (self);

  agen_generator_try_step_drop (self);
  g_clear_object (&self->await_pending);
  g_clear_object (&self->await_current);
  g_clear_error (&self->deferred_error);
  if (G_IS_VALUE (&self->return_value))
    g_value_unset (&self->return_value);
  g_clear_pointer (&self->hooks, agen_hooks_unref);
  g_clear_pointer (&self->owner, agen_dispatcher_unref);
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

  agen_generator_type_id = G_TYPE_FROM_CLASS (klass);

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
   *
   * Since: 0.1
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
   *
   * Since: 0.1
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
   *
   * Since: 0.1
   */
  properties[PROP_RUNNING] =
    g_param_spec_boolean ("running", NULL, NULL,
                          FALSE,
                          (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * AgenGenerator:stack-size:
   *
   * The address space reserved for the body's stack, in bytes. Setting 0
   * means %AGEN_GENERATOR_DEFAULT_STACK_SIZE, the default; at most
   * %AGEN_GENERATOR_MAX_STACK_SIZE. Only pages the body touches are
   * committed.
   *
   * A body that runs off the end of its stack hits the guard pages below
   * it, and the process aborts with a message naming the generator (see
   * [property@Generator:name]). The guard is 128 KiB (64 KiB on 32-bit
   * systems): a single frame that overflows the stack by more than that
   * (a large local array, say) can jump it and overwrite another
   * generator's stack, unless the code running on the stack was compiled
   * with `-fstack-clash-protection`. Give a body with large frames a
   * larger stack.
   *
   * It can be set until the body first runs (normally at construction,
   * or with [ctor@Generator.new_full]); later it is refused with a
   * critical. It is not a construct property because GObject would then
   * set its default on every construction, through a GValue: a fifth of
   * the cost of a short-lived generator.
   *
   * Since: 0.1
   */
  properties[PROP_STACK_SIZE] =
    g_param_spec_uint64 ("stack-size", NULL, NULL,
                         0, AGEN_GENERATOR_MAX_STACK_SIZE, AGEN_GENERATOR_DEFAULT_STACK_SIZE,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * AgenGenerator:context:
   *
   * The main context that owns the generator, or %NULL before the first
   * operation. Set once; not notified.
   *
   * Since: 0.1
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
 * agen_generator_new: (skip)
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
 *
 * Since: 0.1
 */
AgenGenerator *
agen_generator_new (AgenGeneratorFunc func,
                    gpointer          user_data,
                    GDestroyNotify    user_data_destroy)
{
  return agen_generator_new_full (func, user_data, user_data_destroy, NULL, 0);
}

/**
 * agen_generator_new_full: (skip)
 * @func: (scope notified) (closure user_data) (destroy user_data_destroy): the body
 * @user_data: data passed to @func
 * @user_data_destroy: (nullable): destroys @user_data once the body can
 *   never run again
 * @name: (nullable): the [property@Generator:name]
 * @stack_size: the [property@Generator:stack-size], 0 for the default,
 *   at most %AGEN_GENERATOR_MAX_STACK_SIZE
 *
 * Like [ctor@Generator.new], with a name and a stack size.
 *
 * The stack is mapped when the body first runs; if the system refuses the
 * memory then, that operation fails with a %G_IO_ERROR naming the
 * generator, which stays unstarted.
 *
 * Returns: (transfer full): a new generator
 *
 * Since: 0.1
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
  g_return_val_if_fail (stack_size <= AGEN_GENERATOR_MAX_STACK_SIZE, NULL);

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
 *
 * Since: 0.1
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
 *
 * Since: 0.1
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
 *
 * Since: 0.1
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
 *
 * Since: 0.1
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
 *
 * Since: 0.1
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
 *
 * Since: 0.1
 */
GMainContext *
agen_generator_get_context (AgenGenerator *self)
{
  AgenDispatcher *owner;

  g_return_val_if_fail (AGEN_IS_GENERATOR (self), NULL);

  owner = g_atomic_pointer_get (&self->owner);
  return owner ? agen_dispatcher_get_main_context (owner) : NULL;
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
 *
 * Since: 0.1
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
  AgenResult *result = agen_generator_new_result (self, source_tag, callback, user_data);
  AgenOp *op = agen_result_get_op (result);

  agen_op_init (op, kind, in_value, in_error, cancellable, agen_result_complete_op);
  agen_generator_start_op (self, op);
}

/* The _finish preconditions, each a programmer error: no error already
 * set, result from this generator's _async call with this tag, and not
 * finished before (GTask's rules). */
static gboolean
agen_generator_check_result (AgenGenerator  *self,
                             GAsyncResult   *result,
                             gpointer        source_tag,
                             GError        **error)
{
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!agen_result_is_valid (result, self, source_tag))
    {
      g_critical ("The GAsyncResult passed to a _finish function of generator '%s' "
                  "does not come from the matching _async call",
                  agen_generator_display_name (self));
      return FALSE;
    }

  if (!agen_result_claim (AGEN_RESULT (result)))
    {
      g_critical ("A _finish function of generator '%s' was called twice "
                  "for the same result", agen_generator_display_name (self));
      return FALSE;
    }

  return TRUE;
}

gboolean
agen_generator_finish_op (AgenGenerator  *self,
                          GAsyncResult   *result,
                          gpointer        source_tag,
                          GValue         *value,
                          GError        **error)
{
  if (!agen_generator_check_result (self, result, source_tag, error))
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
 *
 * Since: 0.1
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
 *
 * Since: 0.1
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
 * @in_value: (nullable): the value the paused yield returns in its `sent`
 *   argument; %NULL or None makes this a [method@Generator.next_async]
 * @cancellable: (nullable): a cancellable
 * @callback: (scope async) (closure user_data): called when the body has
 *   yielded, finished or failed
 * @user_data: data for @callback
 *
 * Resumes the body with @in_value and runs it until it yields again or ends.
 * Sending a value other than None to a generator that has not started
 * fails with %AGEN_ERROR_NOT_STARTED.
 *
 * Since: 0.1
 */
void
agen_generator_send_async (AgenGenerator       *self,
                           const GValue        *in_value,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_return_if_fail (AGEN_IS_GENERATOR (self));
  g_return_if_fail (in_value == NULL || G_IS_VALUE (in_value));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  agen_generator_start_async (self, AGEN_OP_SEND, in_value, NULL, cancellable,
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
 *
 * Since: 0.1
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
 * @in_error: the error to raise at the paused yield (copied)
 * @cancellable: (nullable): a cancellable
 * @callback: (scope async) (closure user_data): called when the body has
 *   yielded, finished or failed
 * @user_data: data for @callback
 *
 * Raises @in_error inside the body, where it is paused: its yield returns
 * %FALSE with @in_error. The body may handle it and yield again. On a
 * generator that has not started, the body never runs: the operation
 * fails with a copy of @in_error and the generator is closed.
 *
 * Since: 0.1
 */
void
agen_generator_throw_async (AgenGenerator       *self,
                            const GError        *in_error,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_return_if_fail (AGEN_IS_GENERATOR (self));
  g_return_if_fail (in_error != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  agen_generator_start_async (self, AGEN_OP_THROW, NULL, in_error, cancellable,
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
 *
 * Since: 0.1
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
 *
 * Since: 0.1
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
 *
 * Since: 0.1
 */
gboolean
agen_generator_close_finish (AgenGenerator  *self,
                             GAsyncResult   *result,
                             GError        **error)
{
  g_return_val_if_fail (AGEN_IS_GENERATOR (self), FALSE);

  if (!agen_generator_check_result (self, result, agen_generator_close_async, error))
    return FALSE;

  return agen_op_propagate_close (agen_result_get_op (AGEN_RESULT (result)), error);
}
