/* agen-generator-list-model.c — a GListModel that pulls its items from a
 * generator as a view asks for them
 *
 * Copyright 2026 The agen authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <glib/gi18n-lib.h>

#include "agen-generator-list-model.h"
#include "agen-generator-private.h"

/**
 * AgenGeneratorListModel:
 *
 * A [iface@Gio.ListModel] over a generator of objects that loads lazily:
 * it pulls the next batch ([method@Generator.next_many_async]) only when
 * asked, either because a view requested an item near the end of what the
 * model has (endless scrolling over a paged source) or because the
 * application called [method@GeneratorListModel.load_more].
 *
 * The first batch is requested from an idle callback after construction.
 * After that, [method@Gio.ListModel.get_item] for a position less than
 * [property@GeneratorListModel:batch-size] items from the end schedules
 * the next batch, also from an idle callback: a view never waits, and the
 * model never runs the generator's body inside a call from the view. So a
 * view over the model loads at most what it shows plus two batches. Each
 * batch arrives with one [signal@Gio.ListModel::items-changed] emission.
 *
 * While a batch is being pulled, [property@GeneratorListModel:loading] is
 * %TRUE. When the generator finishes,
 * [property@GeneratorListModel:complete] becomes %TRUE; when it fails, or
 * yields something that is not an object of the model's item type, the
 * error is kept in [property@GeneratorListModel:error], the generator is
 * closed and the model is complete with the items it had.
 *
 * [method@GeneratorListModel.close], or dropping the model, closes the
 * generator (after cancelling a batch in flight), so its cleanup runs.
 *
 * ```c
 * AgenGeneratorListModel *model =
 *   agen_generator_list_model_new (files, G_TYPE_FILE_INFO, 100);
 * gtk_list_view_set_model (view, GTK_SELECTION_MODEL (
 *   gtk_no_selection_new (G_LIST_MODEL (model))));
 * ```
 *
 * Since: 0.1
 */

#define DEFAULT_BATCH_SIZE 64

struct _AgenGeneratorListModel
{
  GObject         parent_instance;

  AgenGenerator  *generator;
  GType           item_type;
  guint           batch_size;

  GPtrArray      *items;
  GError         *error;
  /* The batch in flight: its cancellable, set while loading. */
  GCancellable   *cancellable;
  guint           load_source;

  guint           loading : 1;
  guint           complete : 1;
  guint           closed : 1;
};

enum
{
  PROP_0,
  PROP_GENERATOR,
  PROP_ITEM_TYPE,
  PROP_BATCH_SIZE,
  PROP_N_ITEMS,
  PROP_LOADING,
  PROP_COMPLETE,
  PROP_ERROR,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (AgenGeneratorListModel, agen_generator_list_model, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

static void
close_generator (AgenGeneratorListModel *self)
{
  /* Nobody waits for the close: its result keeps the generator alive
   * until it is done, and a failure is the generator's own to report. */
  if (self->generator != NULL)
    agen_generator_close_async (self->generator, NULL, NULL, NULL);
}

/* Appends the batch; on a value the model cannot hold, keeps the ones
 * before it and records the error. */
static void
append_batch (AgenGeneratorListModel *self,
              GArray                 *values)
{
  guint position = self->items->len;
  guint added = 0;

  for (guint i = 0; i < values->len; i++)
    {
      GValue *value = &g_array_index (values, GValue, i);
      GObject *object = G_VALUE_HOLDS_OBJECT (value) ? g_value_get_object (value) : NULL;

      if (object == NULL || !g_type_is_a (G_OBJECT_TYPE (object), self->item_type))
        {
          g_set_error (&self->error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       _("Generator “%s” yielded a value of type %s; the list model holds %s objects"),
                       agen_generator_display_name (self->generator),
                       object != NULL ? G_OBJECT_TYPE_NAME (object) : G_VALUE_TYPE_NAME (value),
                       g_type_name (self->item_type));
          break;
        }

      g_ptr_array_add (self->items, g_object_ref (object));
      added++;
    }

  if (added > 0)
    {
      g_list_model_items_changed (G_LIST_MODEL (self), position, 0, added);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
    }
}

static void
load_done_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  AgenGeneratorListModel *self = user_data;
  g_autoptr(GArray) values = NULL;
  GError *error = NULL;
  gboolean was_complete = self->complete;
  gboolean ok;

  ok = agen_generator_next_many_finish (AGEN_GENERATOR (source), result, &values, &error);

  self->loading = FALSE;
  g_clear_object (&self->cancellable);

  g_object_freeze_notify (G_OBJECT (self));

  if (ok)
    {
      if (!self->closed)
        append_batch (self, values);
    }
  else if (error != NULL && !self->closed)
    {
      self->error = g_steal_pointer (&error);
    }
  else
    {
      /* Finished; or failed after close() cancelled it, which is not the
       * model's error. */
      self->complete = TRUE;
    }
  g_clear_error (&error);

  if (self->error != NULL)
    {
      self->complete = TRUE;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ERROR]);
    }

  if (self->closed || self->error != NULL)
    close_generator (self);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
  if (self->complete != was_complete)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_COMPLETE]);
  g_object_thaw_notify (G_OBJECT (self));

  g_object_unref (self);
}

static void
start_load (AgenGeneratorListModel *self)
{
  self->loading = TRUE;
  self->cancellable = g_cancellable_new ();
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);

  agen_generator_next_many_async (self->generator, self->batch_size, self->cancellable,
                                  load_done_cb, g_object_ref (self));
}

static gboolean
can_load (AgenGeneratorListModel *self)
{
  return !self->loading && !self->complete && !self->closed;
}

static gboolean
load_idle_cb (gpointer user_data)
{
  AgenGeneratorListModel *self = user_data;

  self->load_source = 0;
  if (can_load (self))
    start_load (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_load (AgenGeneratorListModel *self)
{
  if (self->load_source != 0 || !can_load (self))
    return;

  self->load_source = g_idle_add (load_idle_cb, self);
  g_source_set_static_name (g_main_context_find_source_by_id (NULL, self->load_source),
                            "[agen] list model load");
}

static GType
agen_generator_list_model_get_item_type (GListModel *list)
{
  return AGEN_GENERATOR_LIST_MODEL (list)->item_type;
}

static guint
agen_generator_list_model_get_n_items (GListModel *list)
{
  return AGEN_GENERATOR_LIST_MODEL (list)->items->len;
}

static gpointer
agen_generator_list_model_get_item (GListModel *list,
                                    guint       position)
{
  AgenGeneratorListModel *self = AGEN_GENERATOR_LIST_MODEL (list);

  /* A view asking near the end: fetch the next batch, later. */
  if ((guint64) position + self->batch_size >= self->items->len)
    schedule_load (self);

  if (position >= self->items->len)
    return NULL;

  return g_object_ref (g_ptr_array_index (self->items, position));
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = agen_generator_list_model_get_item_type;
  iface->get_n_items = agen_generator_list_model_get_n_items;
  iface->get_item = agen_generator_list_model_get_item;
}

static void
agen_generator_list_model_constructed (GObject *object)
{
  AgenGeneratorListModel *self = AGEN_GENERATOR_LIST_MODEL (object);

  G_OBJECT_CLASS (agen_generator_list_model_parent_class)->constructed (object);

  if (self->generator == NULL)
    {
      g_critical ("AgenGeneratorListModel needs a generator");
      self->complete = TRUE;
      return;
    }

  schedule_load (self);
}

static void
agen_generator_list_model_dispose (GObject *object)
{
  AgenGeneratorListModel *self = AGEN_GENERATOR_LIST_MODEL (object);

  /* No batch is in flight: it would hold a reference. */
  if (!self->closed)
    {
      self->closed = TRUE;
      close_generator (self);
    }
  g_clear_handle_id (&self->load_source, g_source_remove);
  g_clear_object (&self->generator);

  G_OBJECT_CLASS (agen_generator_list_model_parent_class)->dispose (object);
}

static void
agen_generator_list_model_finalize (GObject *object)
{
  AgenGeneratorListModel *self = AGEN_GENERATOR_LIST_MODEL (object);

  g_ptr_array_unref (self->items);
  g_clear_error (&self->error);

  G_OBJECT_CLASS (agen_generator_list_model_parent_class)->finalize (object);
}

static void
agen_generator_list_model_get_property (GObject    *object,
                                        guint       prop_id,
                                        GValue     *value,
                                        GParamSpec *pspec)
{
  AgenGeneratorListModel *self = AGEN_GENERATOR_LIST_MODEL (object);

  switch (prop_id)
    {
    case PROP_GENERATOR:
      g_value_set_object (value, self->generator);
      break;
    case PROP_ITEM_TYPE:
      g_value_set_gtype (value, self->item_type);
      break;
    case PROP_BATCH_SIZE:
      g_value_set_uint (value, self->batch_size);
      break;
    case PROP_N_ITEMS:
      g_value_set_uint (value, self->items->len);
      break;
    case PROP_LOADING:
      g_value_set_boolean (value, self->loading);
      break;
    case PROP_COMPLETE:
      g_value_set_boolean (value, self->complete);
      break;
    case PROP_ERROR:
      g_value_set_boxed (value, self->error);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
agen_generator_list_model_set_property (GObject      *object,
                                        guint         prop_id,
                                        const GValue *value,
                                        GParamSpec   *pspec)
{
  AgenGeneratorListModel *self = AGEN_GENERATOR_LIST_MODEL (object);

  switch (prop_id)
    {
    case PROP_GENERATOR:
      self->generator = g_value_dup_object (value);
      break;
    case PROP_ITEM_TYPE:
      self->item_type = g_value_get_gtype (value);
      break;
    case PROP_BATCH_SIZE:
      self->batch_size = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
agen_generator_list_model_class_init (AgenGeneratorListModelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = agen_generator_list_model_constructed;
  object_class->dispose = agen_generator_list_model_dispose;
  object_class->finalize = agen_generator_list_model_finalize;
  object_class->get_property = agen_generator_list_model_get_property;
  object_class->set_property = agen_generator_list_model_set_property;

  /**
   * AgenGeneratorListModel:generator:
   *
   * The generator the items come from.
   *
   * Since: 0.1
   */
  properties[PROP_GENERATOR] =
    g_param_spec_object ("generator", NULL, NULL, AGEN_TYPE_GENERATOR,
                         (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));

  /**
   * AgenGeneratorListModel:item-type:
   *
   * The type of the items: every value the generator yields must be an
   * object of this type.
   *
   * Since: 0.1
   */
  properties[PROP_ITEM_TYPE] =
    g_param_spec_gtype ("item-type", NULL, NULL, G_TYPE_OBJECT,
                        (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));

  /**
   * AgenGeneratorListModel:batch-size:
   *
   * The most items pulled at once; a view asking for an item less than
   * this many from the end schedules the next batch.
   *
   * Since: 0.1
   */
  properties[PROP_BATCH_SIZE] =
    g_param_spec_uint ("batch-size", NULL, NULL, 1, G_MAXINT, DEFAULT_BATCH_SIZE,
                       (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));

  /**
   * AgenGeneratorListModel:n-items:
   *
   * The number of items loaded so far.
   *
   * Since: 0.1
   */
  properties[PROP_N_ITEMS] =
    g_param_spec_uint ("n-items", NULL, NULL, 0, G_MAXUINT, 0,
                       (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * AgenGeneratorListModel:loading:
   *
   * Whether a batch is being pulled from the generator.
   *
   * Since: 0.1
   */
  properties[PROP_LOADING] =
    g_param_spec_boolean ("loading", NULL, NULL, FALSE,
                          (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * AgenGeneratorListModel:complete:
   *
   * Whether no more items will come: the generator finished or failed, or
   * the model was closed.
   *
   * Since: 0.1
   */
  properties[PROP_COMPLETE] =
    g_param_spec_boolean ("complete", NULL, NULL, FALSE,
                          (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * AgenGeneratorListModel:error:
   *
   * Why loading stopped early: the generator's error, or a value that was
   * not an object of the item type; %NULL otherwise.
   *
   * Since: 0.1
   */
  properties[PROP_ERROR] =
    g_param_spec_boxed ("error", NULL, NULL, G_TYPE_ERROR,
                        (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
agen_generator_list_model_init (AgenGeneratorListModel *self)
{
  self->items = g_ptr_array_new_with_free_func (g_object_unref);
  self->item_type = G_TYPE_OBJECT;
  self->batch_size = DEFAULT_BATCH_SIZE;
}

/**
 * agen_generator_list_model_new:
 * @generator: a generator of objects of @item_type
 * @item_type: the type of the items, %G_TYPE_OBJECT or a subtype
 * @batch_size: the most items pulled at once, at least 1
 *
 * Creates a list model over @generator. The first batch is pulled from an
 * idle callback of the thread-default main context.
 *
 * Returns: (transfer full): a new list model
 *
 * Since: 0.1
 */
AgenGeneratorListModel *
agen_generator_list_model_new (AgenGenerator *generator,
                               GType          item_type,
                               guint          batch_size)
{
  g_return_val_if_fail (AGEN_IS_GENERATOR (generator), NULL);
  g_return_val_if_fail (g_type_is_a (item_type, G_TYPE_OBJECT), NULL);
  g_return_val_if_fail (batch_size >= 1 && batch_size <= G_MAXINT, NULL);

  return g_object_new (AGEN_TYPE_GENERATOR_LIST_MODEL,
                       "generator", generator,
                       "item-type", item_type,
                       "batch-size", batch_size,
                       NULL);
}

/**
 * agen_generator_list_model_get_generator:
 * @self: a list model
 *
 * Gets the generator the model pulls its items from.
 *
 * Returns: (transfer none) (nullable): the generator, %NULL once disposed
 *
 * Since: 0.1
 */
AgenGenerator *
agen_generator_list_model_get_generator (AgenGeneratorListModel *self)
{
  g_return_val_if_fail (AGEN_IS_GENERATOR_LIST_MODEL (self), NULL);

  return self->generator;
}

/**
 * agen_generator_list_model_get_batch_size:
 * @self: a list model
 *
 * Gets how many items the model pulls at once at most.
 *
 * Returns: the most items pulled at once
 *
 * Since: 0.1
 */
guint
agen_generator_list_model_get_batch_size (AgenGeneratorListModel *self)
{
  g_return_val_if_fail (AGEN_IS_GENERATOR_LIST_MODEL (self), 0);

  return self->batch_size;
}

/**
 * agen_generator_list_model_get_loading:
 * @self: a list model
 *
 * Gets whether the model is pulling a batch of items.
 *
 * Returns: whether a batch is being pulled
 *
 * Since: 0.1
 */
gboolean
agen_generator_list_model_get_loading (AgenGeneratorListModel *self)
{
  g_return_val_if_fail (AGEN_IS_GENERATOR_LIST_MODEL (self), FALSE);

  return self->loading;
}

/**
 * agen_generator_list_model_get_complete:
 * @self: a list model
 *
 * Gets whether the model has all the items it will have.
 *
 * Returns: whether no more items will come
 *
 * Since: 0.1
 */
gboolean
agen_generator_list_model_get_complete (AgenGeneratorListModel *self)
{
  g_return_val_if_fail (AGEN_IS_GENERATOR_LIST_MODEL (self), FALSE);

  return self->complete || self->closed;
}

/**
 * agen_generator_list_model_get_error:
 * @self: a list model
 *
 * Gets the error that stopped the model loading early.
 *
 * Returns: (transfer none) (nullable): why loading stopped early, or %NULL
 *
 * Since: 0.1
 */
const GError *
agen_generator_list_model_get_error (AgenGeneratorListModel *self)
{
  g_return_val_if_fail (AGEN_IS_GENERATOR_LIST_MODEL (self), NULL);

  return self->error;
}

/**
 * agen_generator_list_model_load_more:
 * @self: a list model
 *
 * Pulls the next batch now (a "load more" button), unless one is being
 * pulled already. The items arrive later, with
 * [signal@Gio.ListModel::items-changed].
 *
 * Returns: %TRUE when a batch is being pulled after this call; %FALSE when
 *   the model is complete
 *
 * Since: 0.1
 */
gboolean
agen_generator_list_model_load_more (AgenGeneratorListModel *self)
{
  g_return_val_if_fail (AGEN_IS_GENERATOR_LIST_MODEL (self), FALSE);

  if (can_load (self))
    {
      g_clear_handle_id (&self->load_source, g_source_remove);
      start_load (self);
    }

  return self->loading;
}

/**
 * agen_generator_list_model_close:
 * @self: a list model
 *
 * Stops loading and closes the generator, so that its cleanup runs: a
 * batch in flight is cancelled, and the generator is closed once it is
 * back. The items loaded so far stay. Dropping the model does the same.
 *
 * Since: 0.1
 */
void
agen_generator_list_model_close (AgenGeneratorListModel *self)
{
  g_return_if_fail (AGEN_IS_GENERATOR_LIST_MODEL (self));

  if (self->closed)
    return;

  self->closed = TRUE;
  g_clear_handle_id (&self->load_source, g_source_remove);
  if (self->loading)
    g_cancellable_cancel (self->cancellable);
  else
    close_generator (self);

  if (!self->complete)
    {
      self->complete = TRUE;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_COMPLETE]);
    }
}
