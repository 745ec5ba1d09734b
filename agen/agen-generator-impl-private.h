/* agen-generator-impl-private.h — what the generator's own files share
 *
 * Copyright 2026 The agen authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "agen-dispatcher-private.h"
#include "agen-hooks-private.h"
#include "agen-fiber-inline-private.h"
#include "agen-generator.h"
#include "agen-generator-private.h"
#include "agen-hooks.h"
#include "agen-op-private.h"
#include "agen-result-private.h"

G_BEGIN_DECLS

/*
 * The generator is one object in several files, one job each:
 *
 *   agen-generator.c           the class, properties, the owner and first
 *                              operation, the state table, finalization,
 *                              the _async/_finish pairs
 *   agen-generator-blocking.c  the blocking forms and how they wait
 *   agen-generator-body.c      what a body calls: yield, yield_from,
 *                              await, the return value
 *   agen-runner-fiber.c        running a body on its fiber
 *   agen-runner-driven.c       running a body that a binding drives by
 *                              answering steps
 *   agen-batch.c               next_many
 *   agen-generator-try.c       try_next and wait: synchronous completion
 *                              for bindings
 *
 * They share the struct below and the functions declared here.
 */

typedef struct _AgenTryStep AgenTryStep;

struct _AgenGenerator
{
  GObject             parent_instance;

  /* The body: a fiber body's function, or a driven generator's step
   * function (agen-runner-driven.c). */
  AgenGeneratorFunc   func;
  AgenStepFunc        step_func;
  gpointer            user_data;
  GDestroyNotify      user_data_destroy;

  char               *name;
  gsize               stack_size;

  /* Set once, by the first operation; then only read. */
  AgenDispatcher        *owner;
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
  /* Results announced by agen_generator_prepare_await() and not yet
   * delivered to agen_generator_resume_callback(); each holds a reference
   * to the generator. Atomic: a result may arrive on any thread. */
  gint                awaits_prepared;

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
  guint               driven : 1;          /* steps answered by a binding */
  guint               release_deferred : 1; /* user_data waits for the step to return */
  guint               step_dispatched : 1; /* the step function runs from a dispatch pass */

  /* Driven: how many step functions are on the stack, and the queued
   * call of the next one. */
  guint               in_step;
  AgenDispatchItem    step_item;

  /* The step a try_next left running, or whose outcome nobody has
   * collected yet (agen-generator-try.c); NULL otherwise. */
  AgenTryStep        *try_step;
  /* How many of this generator's _async results have not called back
   * yet: try_next must not overtake them. Atomic: any thread. */
  gint                async_outstanding;
};

/* The type, for the argument checks of the per-item calls, where
 * AGEN_IS_GENERATOR() would call agen_generator_get_type() every time.
 * The type is final, so an exact match is the whole check. Set by
 * class_init, before any instance exists. */
extern GType agen_generator_type_id;

#define AGEN_GENERATOR_IS_EXACTLY(instance) \
  ((instance) != NULL && \
   ((GTypeInstance *) (instance))->g_class != NULL && \
   ((GTypeInstance *) (instance))->g_class->g_type == agen_generator_type_id)

/* ------------------------------------------------------------------------
 * agen-generator.c
 * ------------------------------------------------------------------------ */

/* agen-generator-body.c: the FALSE (and message) of a yield given an unset
 * GValue or a set *error. */
gboolean    agen_generator_yield_misused  (AgenGenerator  *self,
                                           const GValue   *value,
                                           GError        **error,
                                           const char     *what);

/* Destroys user_data once the body can never run again, on the thread's
 * stack. */
void        agen_generator_release_body   (AgenGenerator *self);

/* notify::state and notify::running for a state changed since the last
 * emission; see agen_generator_notify_changes(). */
void        agen_generator_notify_state_slow (AgenGenerator *self);

/* A close the body ignored by yielding value (dropped): op fails with
 * IGNORED_EXIT, and finalization will not try again. */
void        agen_generator_set_ignored_exit (AgenGenerator *self,
                                             AgenOp        *op,
                                             GValue        *value);

/* The body ended, for op, taken from self->op: it returned (error NULL)
 * or raised error (taken). Sets op's outcome by the state table and the
 * state CLOSED; the caller completes op. */
void        agen_generator_set_ended      (AgenGenerator *self,
                                           AgenOp        *op,
                                           GError        *error);

/* The first-op bookkeeping: owner, tracking, first_iter hook, finalizer.
 * Once; any thread. */
void        agen_generator_first_op       (AgenGenerator *self);

/* Every op enters here, on the caller's thread: the cancel check, the
 * first op, then the state table on the owner's thread (queued there
 * from any other). */
void        agen_generator_start_op       (AgenGenerator *self,
                                           AgenOp        *op);

/* The _finish of an op whose value comes out through value. */
gboolean    agen_generator_finish_op      (AgenGenerator  *self,
                                           GAsyncResult   *result,
                                           gpointer        source_tag,
                                           GValue         *value,
                                           GError        **error);

/* A result for one of self's _async calls, counted in
 * self->async_outstanding until its callback runs. */
static inline AgenResult *
agen_generator_new_result (AgenGenerator       *self,
                           gpointer             source_tag,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  AgenResult *result = agen_result_new (self, source_tag, callback, user_data);

  agen_result_count_outstanding (result, &self->async_outstanding);
  return result;
}

/* ------------------------------------------------------------------------
 * agen-generator-try.c
 * ------------------------------------------------------------------------ */

/* For an op that is not try_next's own, on a generator with a try step
 * (self->try_step != NULL): whether the state table may go on with op. A
 * close discards an outcome nobody collected; any other op is refused
 * with AGEN_ERROR_RUNNING (completed here), since it would overtake that
 * outcome. Owner thread. */
gboolean      agen_generator_try_step_admits (AgenGenerator *self,
                                              AgenOp        *op);

/* Frees a try step's uncollected outcome, at finalization. */
void          agen_generator_try_step_drop   (AgenGenerator *self);

/* ------------------------------------------------------------------------
 * agen-generator-body.c
 * ------------------------------------------------------------------------ */

/* The message of the AGEN_ERROR_EXIT a close delivers, translated once. */
const char *agen_generator_exit_message   (void);

/* ------------------------------------------------------------------------
 * agen-runner-fiber.c
 * ------------------------------------------------------------------------ */

/* Gives the body its fiber, before it first runs. FALSE with error set,
 * nothing changed, when the kernel refuses the stack. */
gboolean    agen_generator_create_fiber   (AgenGenerator  *self,
                                           GError        **error);

/* Switches into the body for self->op (or back to an await) and completes
 * the op the body finished, if any. Owner thread. */
void        agen_generator_resume_fiber   (AgenGenerator *self);

/* ------------------------------------------------------------------------
 * agen-runner-driven.c
 * ------------------------------------------------------------------------ */

/* Calls the step function for self->op, on the thread's stack: right away
 * when the caller waits for it (a blocking form), from the owner
 * context's dispatch otherwise. Owner thread. */
void        agen_generator_drive_step     (AgenGenerator *self);

/* ------------------------------------------------------------------------
 * The two runners behind one call each
 * ------------------------------------------------------------------------ */

/* Before the body first runs: what it needs to run. FALSE with error set,
 * nothing changed, when that cannot be had. */
static inline gboolean
agen_generator_runner_prepare (AgenGenerator  *self,
                               GError        **error)
{
  return self->driven || agen_generator_create_fiber (self, error);
}

/* Runs the body for self->op; the state is RUNNING. */
static inline void
agen_generator_runner_run (AgenGenerator *self)
{
  if (self->driven)
    agen_generator_drive_step (self);
  else
    agen_generator_resume_fiber (self);
}

/* ------------------------------------------------------------------------
 * agen-generator-blocking.c
 * ------------------------------------------------------------------------ */

/* A blocking op by the general path (the state table), as yield_from
 * runs its inner's. */
gboolean    agen_generator_run_blocking   (AgenGenerator  *self,
                                           AgenOpKind      kind,
                                           const GValue   *in_value,
                                           const GError   *in_error,
                                           GCancellable   *cancellable,
                                           GValue         *value,
                                           GError        **error);

/* ------------------------------------------------------------------------
 * Inline helpers, for the per-item paths
 * ------------------------------------------------------------------------ */

static inline gboolean
agen_generator_in_own_body (AgenGenerator *self)
{
  return self->fiber != NULL && agen_fiber_peek_current () == self->fiber;
}

static inline gboolean
agen_on_fiber_stack (void)
{
  return agen_fiber_peek_current () != NULL;
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

/* The state table (docs/semantics.md, "States and operations"): what an
 * op of kind does to a generator in state, before anything runs. The one
 * place it is written; agen_generator_run_op() carries it out, and the
 * blocking forms' direct path takes it when it says RUN. */
typedef enum
{
  AGEN_RULE_RUN,              /* start or resume the body */
  AGEN_RULE_REFUSE_RUNNING,   /* AGEN_ERROR_RUNNING, nothing changes */
  AGEN_RULE_NOT_STARTED,      /* send(v) before start: AGEN_ERROR_NOT_STARTED */
  AGEN_RULE_END_UNSTARTED,    /* throw or close before start: CLOSED, body never runs */
  AGEN_RULE_FINISHED,         /* CLOSED: finished (close: TRUE) */
} AgenRule;

static inline AgenRule
agen_generator_rule (AgenGeneratorState state,
                     AgenOpKind         kind)
{
  switch (state)
    {
    case AGEN_GENERATOR_STATE_SUSPENDED:
      return AGEN_RULE_RUN;
    case AGEN_GENERATOR_STATE_RUNNING:
      return AGEN_RULE_REFUSE_RUNNING;
    case AGEN_GENERATOR_STATE_CLOSED:
      return AGEN_RULE_FINISHED;
    case AGEN_GENERATOR_STATE_CREATED:
    default:
      switch (kind)
        {
        case AGEN_OP_SEND:
          return AGEN_RULE_NOT_STARTED;
        case AGEN_OP_THROW:
        case AGEN_OP_CLOSE:
          return AGEN_RULE_END_UNSTARTED;
        case AGEN_OP_NEXT:
        default:
          return AGEN_RULE_RUN;
        }
    }
}

/* The body yielded value (moved; NULL or unset = None) for op, taken
 * from self->op: op gets the value, or for a close, which the body
 * ignored, IGNORED_EXIT and the value is dropped. The generator is then
 * SUSPENDED; the caller completes op. */
static inline void
agen_generator_set_yielded (AgenGenerator *self,
                            AgenOp        *op,
                            GValue        *value)
{
  if (G_UNLIKELY (op->kind == AGEN_OP_CLOSE))
    agen_generator_set_ignored_exit (self, op, value);
  else
    agen_op_set_yielded (op, value);

  agen_generator_set_state (self, AGEN_GENERATOR_STATE_SUSPENDED);
}

/* Emits notify::state and notify::running if the state changed since the
 * last emission: the net change only, so that a step that yields within
 * the call that started it (SUSPENDED -> RUNNING -> SUSPENDED) costs one
 * comparison. */
static inline void
agen_generator_notify_changes (AgenGenerator *self)
{
  if (self->state != self->notified_state)
    agen_generator_notify_state_slow (self);
}

G_END_DECLS
