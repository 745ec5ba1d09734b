/* agen-gio-list-model.c — the items of a GListModel
 *
 * Copyright 2026 The agen authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "agen-gio.h"

/*
 * A driven generator: nothing to await, so each step is answered inside
 * the step function, on the thread's stack. A cursor (the position of the
 * next item) follows the model's items-changed signal.
 */

typedef struct
{
  GListModel *model;
  gulong      handler;
  guint       cursor;
} Items;

static void
items_free (gpointer data)
{
  Items *items = data;

  g_clear_signal_handler (&items->handler, items->model);
  g_clear_object (&items->model);
  g_free (items);
}

/* The rule documented at agen_list_model_items(): the cursor stands between
 * two items; what is inserted after it will be yielded, what is inserted
 * before it will not. */
static void
items_changed_cb (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  gpointer    user_data)
{
  Items *items = user_data;

  if (position >= items->cursor)
    return;                               /* all after the cursor */
  if (position + removed <= items->cursor)
    items->cursor = items->cursor - removed + added;   /* all before it */
  else
    items->cursor = position;             /* the cursor's item went */
}

static gboolean
items_step (AgenGenerator  *generator,
            AgenStepKind    kind,
            GValue         *value,
            GError         *thrown,
            GCancellable   *cancellable,
            gpointer        user_data,
            GError        **error)
{
  Items *items = user_data;
  g_auto(GValue) item = G_VALUE_INIT;
  gpointer object;

  switch (kind)
    {
    case AGEN_STEP_THROW:
    case AGEN_STEP_CLOSE:
      agen_generator_answer_error (generator, thrown);
      return TRUE;
    case AGEN_STEP_NEXT:
    case AGEN_STEP_SEND:
    default:
      break;
    }

  object = g_list_model_get_item (items->model, items->cursor);
  if (object == NULL)
    {
      agen_generator_answer_return (generator, NULL);
      return TRUE;
    }

  items->cursor++;
  g_value_init (&item, G_OBJECT_TYPE (object));
  g_value_take_object (&item, object);
  agen_generator_answer_yield (generator, &item);

  return TRUE;
}

/**
 * agen_list_model_items:
 * @model: the model
 *
 * Makes a generator that yields the items of @model, in order, and
 * finishes after the last one. A sent value is ignored.
 *
 * The model may change during the iteration. Think of a cursor standing
 * between the last item yielded and the next: items inserted after it will
 * be yielded, items inserted before it will not, removed items are not
 * yielded any more, and every item that stays in the model throughout is
 * yielded exactly once. When the item under the cursor is removed together
 * with others (a range that straddles the cursor), the cursor moves to the
 * start of that range, so the items that replace the range are yielded.
 * Items added at the end after the generator finished are not seen.
 *
 * The generator holds a reference to @model and follows its
 * [signal@Gio.ListModel::items-changed] until it ends. Each step is
 * answered at once; the items are those of the model at the time of the
 * step.
 *
 * Returns: (transfer full): a new generator
 *
 * Since: 0.1
 */
AgenGenerator *
agen_list_model_items (GListModel *model)
{
  AgenGenerator *gen;
  Items *items;

  g_return_val_if_fail (G_IS_LIST_MODEL (model), NULL);

  items = g_new0 (Items, 1);
  items->model = g_object_ref (model);
  items->handler = g_signal_connect (model, "items-changed",
                                     G_CALLBACK (items_changed_cb), items);

  gen = agen_generator_new_driven (items_step, items, items_free);
  agen_generator_set_name (gen, "list-model-items");

  return gen;
}
