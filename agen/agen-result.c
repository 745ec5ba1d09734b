/* agen-result.c — the GAsyncResult of agen's _async calls
 *
 * Copyright 2026 The agen authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "agen-result-private.h"
#include "agen-tsan-private.h"

struct _AgenResult
{
  GObject              parent_instance;

  AgenDispatchItem     item;
  AgenOp               op;

  GObject             *source_object;
  gpointer             source_tag;
  GAsyncReadyCallback  callback;
  gpointer             user_data;
  AgenDispatcher      *dispatcher;  /* the caller's context's; owned */
  gboolean             completed;
  gboolean             claimed;     /* by a _finish call */
  gint                *outstanding; /* decremented before the callback */

  AgenResult          *pool_next;
};

/* Results are recycled through a small per-thread pool: creating and
 * finalizing a GObject per item costs several times what the rest of an
 * operation does. A result goes back to the pool only when nobody else
 * can see it any more (the last reference, no qdata: no weak references,
 * toggle references or user data), so reuse is unobservable. */
#define POOL_MAX 64

typedef struct
{
  AgenResult *head;
  guint       length;
} ResultPool;

static void result_pool_free (gpointer data);

static GPrivate result_pool_key = G_PRIVATE_INIT (result_pool_free);

static void
result_pool_free (gpointer data)
{
  ResultPool *pool = data;

  while (pool->head != NULL)
    {
      AgenResult *result = pool->head;

      pool->head = result->pool_next;
      g_object_unref (result);
    }
  g_free (pool);
}

static inline ResultPool *
result_pool_get (void)
{
  ResultPool *pool = g_private_get (&result_pool_key);

  if (G_UNLIKELY (pool == NULL))
    {
      pool = g_new0 (ResultPool, 1);
      g_private_set (&result_pool_key, pool);
    }

  return pool;
}

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
  /* The callback read the generator; its owner may drop the last
   * reference (see agen-tsan-private.h). */
  AGEN_TSAN_RELEASE_REF (self->source_object);
  g_clear_object (&self->source_object);
  g_clear_pointer (&self->dispatcher, agen_dispatcher_unref);

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

static inline gboolean
agen_result_is_private (AgenResult *self)
{
  GObject *object = G_OBJECT (self);
  gsize qdata = (gsize) g_atomic_pointer_get (&object->qdata);

  return g_atomic_int_get (&object->ref_count) == 1 &&
         (qdata & ~(gsize) G_DATALIST_FLAGS_MASK) == 0;
}

static void
agen_result_recycle (AgenResult *self)
{
  ResultPool *pool = result_pool_get ();

  if (pool->length >= POOL_MAX || !agen_result_is_private (self))
    {
      g_object_unref (self);
      return;
    }

  agen_op_clear (&self->op);
  AGEN_TSAN_RELEASE_REF (self->source_object);
  g_clear_object (&self->source_object);
  self->callback = NULL;
  self->user_data = NULL;
  self->source_tag = NULL;
  self->completed = FALSE;
  self->claimed = FALSE;
  self->outstanding = NULL;
  /* A pooled result must not keep its context alive. */
  g_clear_pointer (&self->dispatcher, agen_dispatcher_unref);

  self->pool_next = pool->head;
  pool->head = self;
  pool->length++;
}

static void
agen_result_dispatch (AgenDispatchItem *item)
{
  AgenResult *self = G_STRUCT_MEMBER_P (item, -G_STRUCT_OFFSET (AgenResult, item));

  /* Before the callback, which may start the next operation. */
  if (self->outstanding != NULL)
    g_atomic_int_dec_and_test (self->outstanding);

  if (self->callback != NULL)
    self->callback (self->source_object, (GAsyncResult *) self, self->user_data);

  agen_result_recycle (self);
}

AgenResult *
agen_result_new (gpointer            source_object,
                 gpointer            source_tag,
                 GAsyncReadyCallback callback,
                 gpointer            user_data)
{
  ResultPool *pool = result_pool_get ();
  AgenDispatcher *dispatcher = agen_dispatcher_get_thread_default ();
  AgenResult *self;

  if (pool->head != NULL)
    {
      self = pool->head;
      pool->head = self->pool_next;
      pool->length--;
      self->pool_next = NULL;
    }
  else
    {
      self = g_object_new (AGEN_TYPE_RESULT, NULL);
      self->item.func = agen_result_dispatch;
    }

  self->dispatcher = agen_dispatcher_ref (dispatcher);

  self->source_object = source_object ? g_object_ref (source_object) : NULL;
  self->source_tag = source_tag;
  self->callback = callback;
  self->user_data = user_data;

  return self;
}

void
agen_result_count_outstanding (AgenResult *self,
                               gint       *counter)
{
  self->outstanding = counter;
  g_atomic_int_inc (counter);
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
  if (op->complete_in_pass)
    agen_dispatcher_queue_in_pass (self->dispatcher, &self->item);
  else
    agen_dispatcher_queue (self->dispatcher, &self->item);
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

gboolean
agen_result_claim (AgenResult *self)
{
  if (self->claimed)
    return FALSE;

  self->claimed = TRUE;
  return TRUE;
}
