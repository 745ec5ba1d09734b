/* agen-result.c — the GAsyncResult of agen's _async calls
 *
 * Copyright 2026 The agen authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "agen-result-private.h"

struct _AgenResult
{
  GObject              parent_instance;

  AgenDispatchItem     item;
  AgenOp               op;

  GObject             *source_object;
  gpointer             source_tag;
  GAsyncReadyCallback  callback;
  gpointer             user_data;
  AgenContext         *context;     /* the caller's; owned */
  gboolean             completed;
};

static void async_result_iface_init (GAsyncResultIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (AgenResult, agen_result, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_ASYNC_RESULT,
                                                      async_result_iface_init))

static gpointer
agen_result_get_user_data (GAsyncResult *result)
{
  return AGEN_RESULT (result)->user_data;
}

static GObject *
agen_result_get_source_object (GAsyncResult *result)
{
  AgenResult *self = AGEN_RESULT (result);

  return self->source_object ? g_object_ref (self->source_object) : NULL;
}

static gboolean
agen_result_is_tagged (GAsyncResult *result,
                       gpointer      source_tag)
{
  return AGEN_RESULT (result)->source_tag == source_tag;
}

static void
async_result_iface_init (GAsyncResultIface *iface)
{
  iface->get_user_data = agen_result_get_user_data;
  iface->get_source_object = agen_result_get_source_object;
  iface->is_tagged = agen_result_is_tagged;
}

static void
agen_result_finalize (GObject *object)
{
  AgenResult *self = AGEN_RESULT (object);

  agen_op_clear (&self->op);
  g_clear_object (&self->source_object);
  g_clear_pointer (&self->context, agen_context_unref);

  G_OBJECT_CLASS (agen_result_parent_class)->finalize (object);
}

static void
agen_result_class_init (AgenResultClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = agen_result_finalize;
}

static void
agen_result_init (AgenResult *self)
{
}

static void
agen_result_dispatch (AgenDispatchItem *item)
{
  AgenResult *self = G_STRUCT_MEMBER_P (item, -G_STRUCT_OFFSET (AgenResult, item));

  if (self->callback != NULL)
    self->callback (self->source_object, G_ASYNC_RESULT (self), self->user_data);

  g_object_unref (self);
}

AgenResult *
agen_result_new (gpointer            source_object,
                 gpointer            source_tag,
                 GAsyncReadyCallback callback,
                 gpointer            user_data)
{
  AgenResult *self;

  self = g_object_new (AGEN_TYPE_RESULT, NULL);
  self->source_object = source_object ? g_object_ref (source_object) : NULL;
  self->source_tag = source_tag;
  self->callback = callback;
  self->user_data = user_data;
  self->context = agen_context_ref (agen_context_get_thread_default ());
  self->item.func = agen_result_dispatch;

  return self;
}

AgenOp *
agen_result_get_op (AgenResult *self)
{
  return &self->op;
}

void
agen_result_complete_op (AgenOp *op)
{
  AgenResult *self = G_STRUCT_MEMBER_P (op, -G_STRUCT_OFFSET (AgenResult, op));

  g_assert (!self->completed);

  self->completed = TRUE;
  agen_context_queue (self->context, &self->item);
}

gboolean
agen_result_is_valid (GAsyncResult *result,
                      gpointer      source_object,
                      gpointer      source_tag)
{
  AgenResult *self;

  if (!AGEN_IS_RESULT (result))
    return FALSE;

  self = AGEN_RESULT (result);
  return (gpointer) self->source_object == source_object &&
         self->source_tag == source_tag &&
         self->completed;
}
