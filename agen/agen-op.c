/* agen-op.c — one consumer operation on a generator
 *
 * Copyright 2026 The agen authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "agen-op-private.h"

gboolean
agen_value_is_none (const GValue *value)
{
  if (value == NULL || G_VALUE_TYPE (value) == G_TYPE_INVALID)
    return TRUE;

  return G_VALUE_HOLDS_POINTER (value) && g_value_get_pointer (value) == NULL;
}

void
agen_value_init_none (GValue *value)
{
  /* What g_value_init (value, G_TYPE_POINTER) leaves, without the type
   * system's lookups. */
  memset (value, 0, sizeof *value);
  value->g_type = G_TYPE_POINTER;
}

gboolean
agen_value_type_is_plain_derived (GType type)
{
  type = g_type_fundamental (type);

  return type == G_TYPE_ENUM || type == G_TYPE_FLAGS;
}

void
agen_value_copy_slow (const GValue *src,
                      GValue       *dest)
{
  /* dest may be uninitialised memory (a batch's next slot), which
   * g_value_init() would take for a set value. */
  *dest = (GValue) G_VALUE_INIT;
  g_value_init (dest, G_VALUE_TYPE (src));
  g_value_copy (src, dest);
}

void
agen_op_init_inputs (AgenOp             *op,
                     const GValue       *in_value,
                     const GError       *in_error,
                     GCancellable       *cancellable)
{
  if (cancellable != NULL)
    op->cancellable = g_object_ref (cancellable);

  if (op->kind == AGEN_OP_SEND)
    agen_value_copy_into (in_value, &op->in_value);
  else if (op->kind == AGEN_OP_THROW)
    op->in_error = g_error_copy (in_error);
}

GCancellable *
agen_op_create_cancellable (AgenOp *op)
{
  op->cancellable = g_cancellable_new ();
  return op->cancellable;
}

void
agen_op_clear_slow (AgenOp *op)
{
  if (op->cancellable != NULL)
    g_clear_object (&op->cancellable);
  if (G_VALUE_TYPE (&op->in_value) != G_TYPE_INVALID)
    agen_value_clear (&op->in_value);
  if (G_VALUE_TYPE (&op->out_value) != G_TYPE_INVALID)
    agen_value_clear (&op->out_value);
  if (op->in_error != NULL)
    g_clear_error (&op->in_error);
  if (op->out_error != NULL)
    g_clear_error (&op->out_error);
}

void
agen_op_set_finished (AgenOp *op)
{
  g_assert (op->outcome == AGEN_OP_PENDING);

  op->outcome = AGEN_OP_FINISHED;
}

void
agen_op_take_error (AgenOp *op,
                    GError *error)
{
  g_assert (op->outcome == AGEN_OP_PENDING);
  g_assert (error != NULL);

  op->outcome = AGEN_OP_FAILED;
  op->out_error = error;
}

void
agen_op_set_error (AgenOp     *op,
                   GQuark      domain,
                   int         code,
                   const char *format,
                   ...)
{
  va_list args;

  va_start (args, format);
  agen_op_take_error (op, g_error_new_valist (domain, code, format, args));
  va_end (args);
}

gboolean
agen_op_propagate_slow (AgenOp  *op,
                        GValue  *value,
                        GError **error)
{
  /* A yielded value is moved out by agen_op_propagate(), once: a second
   * _finish on the same result is refused before it gets here. */
  g_assert (op->outcome == AGEN_OP_FINISHED || op->outcome == AGEN_OP_FAILED);

  if (value != NULL)
    agen_value_init_none (value);

  if (op->outcome == AGEN_OP_FAILED)
    {
      if (error != NULL)
        *error = g_steal_pointer (&op->out_error);
      return FALSE;
    }

  return FALSE;
}

gboolean
agen_op_propagate_close (AgenOp  *op,
                         GError **error)
{
  g_assert (op->kind == AGEN_OP_CLOSE);
  g_assert (op->outcome == AGEN_OP_FINISHED || op->outcome == AGEN_OP_FAILED);

  if (op->outcome == AGEN_OP_FAILED)
    {
      if (error != NULL)
        *error = g_steal_pointer (&op->out_error);
      return FALSE;
    }

  return TRUE;
}
