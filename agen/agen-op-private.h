/* agen-op-private.h — one consumer operation on a generator
 *
 * Copyright 2026 The agen authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * An AgenOp is one next/send/throw/close: what goes into the body and what
 * comes out of it. The generator fills in the outcome and then calls
 * op->complete (op) exactly once, on the owner thread and possibly on a
 * fiber's stack: completion functions only record and hand over (queue a
 * callback, wake a waiter); they never run user code.
 *
 * The async forms embed an op in an AgenResult; the blocking forms keep one
 * on the caller's stack.
 */

typedef enum
{
  AGEN_OP_NEXT,
  AGEN_OP_SEND,
  AGEN_OP_THROW,
  AGEN_OP_CLOSE,
} AgenOpKind;

typedef enum
{
  AGEN_OP_PENDING,
  AGEN_OP_YIELDED,   /* out_value holds the value */
  AGEN_OP_FINISHED,  /* end of iteration; for close: closed cleanly */
  AGEN_OP_FAILED,    /* out_error holds the error */
} AgenOpOutcome;

typedef struct _AgenOp AgenOp;
typedef struct _AgenBatch AgenBatch;

typedef void (*AgenOpCompleteFunc) (AgenOp *op);

struct _AgenOp
{
  AgenOpKind          kind;
  AgenOpOutcome       outcome;
  GCancellable       *cancellable;   /* owned */
  GValue              in_value;      /* AGEN_OP_SEND: a value other than None */
  GError             *in_error;      /* AGEN_OP_THROW */
  GValue              out_value;
  GError             *out_error;
  AgenOpCompleteFunc  complete;
  /* The next_many batch this op is a step of, which a yield may fill
   * directly (agen-batch-private.h); NULL for every other op. */
  AgenBatch          *batch;
  /* The caller is blocked until the op completes (a blocking form), so
   * the body may run inside its call. */
  gboolean            caller_waits;
  /* Set by whoever completes the op from inside a dispatch pass that the
   * op did not start in: an async op's callback may then run in that same
   * pass (agen_dispatcher_queue_in_pass()). */
  gboolean            complete_in_pass;
  /* The op has no cancellable of its own, but its body gets one when it
   * asks (agen_generator_try_next(): see agen-generator-try.c). */
  gboolean            cancellable_on_demand;
};

/* TRUE for None (docs/semantics.md, "Values and None"): NULL, an unset
 * GValue, or a G_TYPE_POINTER GValue holding NULL. */
gboolean  agen_value_is_none   (const GValue  *value);

/* Initialises value (unset on entry) to None. */
void      agen_value_init_none (GValue        *value);

gboolean  agen_value_type_is_plain_derived (GType  type);
void      agen_value_copy_slow (const GValue  *src,
                                GValue        *dest);

/* Types whose GValue is plain data: copying is copying the struct and
 * unsetting frees nothing. The generic GValue calls look up the type's
 * value table under a lock each time, which costs more than a whole
 * fiber switch; values crossing a yield are mostly of these types. Inline:
 * it is on the per-value path of every operation. */
static inline gboolean
agen_value_type_is_plain (GType type)
{
  switch (type)
    {
    case G_TYPE_CHAR:
    case G_TYPE_UCHAR:
    case G_TYPE_BOOLEAN:
    case G_TYPE_INT:
    case G_TYPE_UINT:
    case G_TYPE_LONG:
    case G_TYPE_ULONG:
    case G_TYPE_INT64:
    case G_TYPE_UINT64:
    case G_TYPE_FLOAT:
    case G_TYPE_DOUBLE:
    case G_TYPE_POINTER:
      return TRUE;

    default:
      return type > G_TYPE_FUNDAMENTAL_MAX && agen_value_type_is_plain_derived (type);
    }
}

/* Initialises dest (unset or uninitialised memory on entry) to a copy of
 * src; cheap for plain-data types (numbers, pointers, enums, flags). */
static inline void
agen_value_copy_into (const GValue *src,
                      GValue       *dest)
{
  if (agen_value_type_is_plain (G_VALUE_TYPE (src)))
    *dest = *src;
  else
    agen_value_copy_slow (src, dest);
}

/* Unsets value if it is set; cheap for plain-data types. */
static inline void
agen_value_clear (GValue *value)
{
  GType type = G_VALUE_TYPE (value);

  if (type == G_TYPE_INVALID)
    return;

  if (agen_value_type_is_plain (type))
    *value = (GValue) G_VALUE_INIT;
  else
    g_value_unset (value);
}

void      agen_op_init_inputs  (AgenOp             *op,
                                const GValue       *in_value,
                                const GError       *in_error,
                                GCancellable       *cancellable);
void      agen_op_clear_slow   (AgenOp        *op);
gboolean  agen_op_propagate_slow (AgenOp      *op,
                                  GValue      *value,
                                  GError     **error);

/* Prepares op for an operation. A send with None becomes a next.
 * in_value, in_error and cancellable are copied or referenced.
 *
 * This and the next few are inline because they run once per item on
 * every path, and a next with no cancellable (nearly every item) needs
 * only a few stores: see agen-fiber-inline-private.h for why the blocking
 * path counts calls. */
static inline void
agen_op_init (AgenOp             *op,
              AgenOpKind          kind,
              const GValue       *in_value,
              const GError       *in_error,
              GCancellable       *cancellable,
              AgenOpCompleteFunc  complete)
{
  if (kind == AGEN_OP_SEND && agen_value_is_none (in_value))
    kind = AGEN_OP_NEXT;

  /* Field by field rather than a memset of the whole op. */
  op->kind = kind;
  op->outcome = AGEN_OP_PENDING;
  op->cancellable = NULL;
  op->in_value = (GValue) G_VALUE_INIT;
  op->in_error = NULL;
  op->out_value = (GValue) G_VALUE_INIT;
  op->out_error = NULL;
  op->complete = complete;
  op->batch = NULL;
  op->caller_waits = FALSE;
  op->complete_in_pass = FALSE;
  op->cancellable_on_demand = FALSE;

  if (kind != AGEN_OP_NEXT || cancellable != NULL)
    agen_op_init_inputs (op, in_value, in_error, cancellable);
}

GCancellable *agen_op_create_cancellable (AgenOp *op);

/* The cancellable the body of op sees: op's own, created now if the op
 * gets one on demand. Owner thread. */
static inline GCancellable *
agen_op_get_cancellable (AgenOp *op)
{
  if (G_LIKELY (op->cancellable != NULL || !op->cancellable_on_demand))
    return op->cancellable;

  return agen_op_create_cancellable (op);
}

/* Frees what op holds. */
static inline void
agen_op_clear (AgenOp *op)
{
  if (op->cancellable != NULL ||
      G_VALUE_TYPE (&op->in_value) != G_TYPE_INVALID ||
      G_VALUE_TYPE (&op->out_value) != G_TYPE_INVALID ||
      op->in_error != NULL || op->out_error != NULL)
    agen_op_clear_slow (op);
}

/* Outcomes; each sets op->outcome. */
void      agen_op_set_finished (AgenOp        *op);
void      agen_op_take_error   (AgenOp        *op,
                                GError        *error);   /* transfer full */
void      agen_op_set_error    (AgenOp        *op,
                                GQuark         domain,
                                int            code,
                                const char    *format,
                                ...) G_GNUC_PRINTF (4, 5);

/* The body yielded value (moved; NULL or unset = None). */
static inline void
agen_op_set_yielded (AgenOp *op,
                     GValue *value)
{
  op->outcome = AGEN_OP_YIELDED;
  if (value != NULL && G_VALUE_TYPE (value) != G_TYPE_INVALID)
    {
      op->out_value = *value;
      *value = (GValue) G_VALUE_INIT;
    }
  else
    {
      agen_value_init_none (&op->out_value);
    }
}

/* The _finish contract: TRUE + *value moved out, FALSE (finished), or
 * FALSE + *error. *value (if not NULL) is always initialised on return. */
static inline gboolean
agen_op_propagate (AgenOp  *op,
                   GValue  *value,
                   GError **error)
{
  if (op->outcome == AGEN_OP_YIELDED &&
      G_VALUE_TYPE (&op->out_value) != G_TYPE_INVALID)
    {
      /* A GValue is plain data: moving it is a copy of the struct. */
      if (value != NULL)
        {
          *value = op->out_value;
          op->out_value = (GValue) G_VALUE_INIT;
        }
      return TRUE;
    }

  return agen_op_propagate_slow (op, value, error);
}

/* For close: TRUE when closed, FALSE + *error otherwise. */
gboolean  agen_op_propagate_close (AgenOp     *op,
                                   GError    **error);

G_END_DECLS
