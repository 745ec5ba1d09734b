/* agen-batch-private.h — next_many's batch, which a yield may fill directly
 *
 * Copyright 2026 The agen authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <string.h>

#include "agen-generator-impl-private.h"

G_BEGIN_DECLS

#define AGEN_BATCH_INLINE_ITEMS 64

/* One next_many: runs steps one after the other while they complete
 * within the call that started them, collecting the values, and hands the
 * batch over when it is full, when the generator ends, or after a step
 * that had to wait (the values should not wait for more). */
struct _AgenBatch
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
  /* Where items point first: room for AGEN_BATCH_INLINE_ITEMS values in the
   * same allocation as the batch, so that a batch of up to that many
   * values allocates nothing else. */
  GValue          inline_items[];
};

/* Whether a yield may put its value straight into batch and go on, as if
 * the batch's driver had taken it and resumed the body with a next, which
 * is all it would do (two switches and an op set-up fewer per value):
 * when the driver waits for the step within its own call and there is
 * room after this value. */
static inline gboolean
agen_batch_has_room (AgenBatch *batch)
{
  return batch->stepping && batch->n_items + 1 < batch->max;
}

/* The place for the next value, to be initialised by the caller. A plain
 * array, grown by doubling: appending is on the per-value path of a batch,
 * where g_array_append_vals() cost as much as the rest of a yield. */
static inline GValue *
agen_batch_append_slot (AgenBatch *batch)
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
agen_batch_append (AgenBatch *batch,
              GValue *value)
{
  GValue *slot = agen_batch_append_slot (batch);

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
agen_batch_append_copy (AgenBatch    *batch,
                   const GValue *value)
{
  GValue *slot = agen_batch_append_slot (batch);

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

G_END_DECLS
