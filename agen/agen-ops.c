/* agen-ops.c — map, filter, take, skip, enumerate and chain
 *
 * Copyright 2026 The agen authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <glib/gi18n-lib.h>

#include "agen-error.h"
#include "agen-ops-private.h"

/*
 * Every combinator is a driven generator: its step function runs on the
 * thread's own stack, and so do the application's map and filter
 * functions, which a binding may have written in Python or JavaScript. A
 * step passes the operation on to the source with the _async calls and
 * answers from their callbacks, as agen_generator_yield_from() would:
 *
 *   next, send(v), throw(e)  → the same on the source, then the item goes
 *                              through the combinator's own rule;
 *   close                    → close of the source, then of the others
 *                              (chain): closing a combinator early closes
 *                              its sources;
 *   the source finishes      → the combinator finishes, with the source's
 *                              return value;
 *   the source fails         → the combinator fails with that error, once
 *                              (it is CLOSED afterwards).
 *
 * Each answer is the last thing a callback does with the combinator's
 * data: answering may end the generator, which frees that data.
 */

typedef enum
{
  RELAY_MAP,
  RELAY_FILTER,
  RELAY_TAKE,
  RELAY_SKIP,
  RELAY_ENUMERATE,
} RelayKind;

typedef struct
{
  RelayKind       kind;
  AgenGenerator  *source;
  AgenGenerator  *self;         /* during a step; the op keeps it alive */
  GCancellable   *cancellable;  /* the step's */
  AgenStepKind    op;           /* what the source was asked */
  gboolean        waiting;      /* for a try_next step, with wait_async */
  gpointer        func;
  gpointer        func_data;
  GDestroyNotify  func_destroy;
  guint64         n;            /* take, skip: the count; enumerate: start */
  guint64         count;        /* items taken from the source */
  GError         *pending;      /* an error to answer once the source closed */
} Relay;

static void
relay_free (gpointer data)
{
  Relay *relay = data;

  if (relay->func_destroy != NULL)
    relay->func_destroy (relay->func_data);
  g_clear_object (&relay->source);
  g_clear_object (&relay->cancellable);
  g_clear_error (&relay->pending);
  g_free (relay);
}

static void relay_item_cb (GObject      *object,
                           GAsyncResult *result,
                           gpointer      user_data);
static gboolean relay_item (Relay  *relay,
                            GValue *item);
static void relay_end (Relay  *relay,
                       GError *error);

/* Asks the source for items until one is answered. The fast path: while
 * the source yields within the call (a fiber body that does not await, a
 * driven step answered at once), agen_generator_try_next() hands the items
 * over with no callback and no main-loop pass, so a chain of combinators
 * over such a source costs a few function calls per item. A source that
 * has to wait is collected with agen_generator_wait_async(). */
static void
relay_pull (Relay *relay)
{
  for (;;)
    {
      GValue item = G_VALUE_INIT;
      GError *error = NULL;
      gboolean answered;

      relay->op = AGEN_STEP_NEXT;
      if (!agen_generator_try_next (relay->source, &item, &error))
        {
          g_value_unset (&item);
          if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
            {
              g_error_free (error);
              relay->waiting = TRUE;
              agen_generator_wait_async (relay->source, relay->cancellable,
                                         relay_item_cb, relay);
              return;
            }
          if (g_error_matches (error, AGEN_ERROR, AGEN_ERROR_WRONG_CONTEXT))
            {
              /* A source owned by another thread's context: the ordinary
               * path, which hands the step over to that thread. */
              g_error_free (error);
              agen_generator_next_async (relay->source, relay->cancellable,
                                         relay_item_cb, relay);
              return;
            }
          relay_end (relay, error);
          return;
        }

      answered = relay_item (relay, &item);
      g_value_unset (&item);
      if (answered)
        return;
    }
}

/* The source has been closed after the combinator decided to end: answer
 * what was decided (an error, or the end). */
static void
relay_closed_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Relay *relay = user_data;
  AgenGenerator *self = relay->self;
  g_autoptr(GError) error = NULL;

  if (!agen_generator_close_finish (relay->source, result, &error) &&
      relay->pending == NULL)
    {
      /* The source's cleanup failed: that is the outcome. */
      agen_generator_answer_error (self, error);
      return;
    }

  if (relay->pending != NULL)
    {
      g_autoptr(GError) pending = g_steal_pointer (&relay->pending);

      agen_generator_answer_error (self, pending);
    }
  else
    {
      agen_generator_answer_return (self, NULL);
    }
}

/* Closes the source, then answers error (NULL: the end). */
static void
relay_close_source (Relay        *relay,
                    const GError *error)
{
  g_clear_error (&relay->pending);
  if (error != NULL)
    relay->pending = g_error_copy (error);
  agen_generator_close_async (relay->source, NULL, relay_closed_cb, relay);
}

/* Applies the combinator's rule to an item of the source. Returns FALSE
 * when the item was dropped and the caller should pull again; TRUE when
 * the step has been (or is being) answered. */
static gboolean
relay_item (Relay  *relay,
            GValue *item)
{
  AgenGenerator *self = relay->self;
  g_autoptr(GError) error = NULL;

  switch (relay->kind)
    {
    case RELAY_MAP:
      {
        g_auto(GValue) result = G_VALUE_INIT;

        if (!((AgenMapFunc) relay->func) (item, &result, relay->func_data,
                                          &error))
          {
            if (error == NULL)
              g_set_error_literal (&error, AGEN_ERROR, AGEN_ERROR_FAILED,
                                   _("The map function failed without an error"));
            relay_close_source (relay, error);
            return TRUE;
          }
        agen_generator_answer_yield (self, G_IS_VALUE (&result) ? &result : NULL);
        return TRUE;
      }

    case RELAY_FILTER:
      if (((AgenFilterFunc) relay->func) (item, relay->func_data, &error))
        agen_generator_answer_yield (self, item);
      else if (error != NULL)
        relay_close_source (relay, error);
      else
        return FALSE;
      return TRUE;

    case RELAY_TAKE:
      relay->count++;
      agen_generator_answer_yield (self, item);
      return TRUE;

    case RELAY_SKIP:
      if (relay->count < relay->n)
        {
          relay->count++;
          return FALSE;
        }
      agen_generator_answer_yield (self, item);
      return TRUE;

    case RELAY_ENUMERATE:
    default:
      {
        g_auto(GValue) pair = G_VALUE_INIT;
        GValue values[2] = { G_VALUE_INIT, G_VALUE_INIT };

        g_value_init (&values[0], G_TYPE_UINT64);
        g_value_set_uint64 (&values[0], relay->n + relay->count);
        relay->count++;
        values[1] = *item;
        agen_ops_value_set_tuple (&pair, values, 2);
        agen_generator_answer_yield (self, &pair);
        return TRUE;
      }
    }
}

/* The source has finished (error NULL) or failed: so does the
 * combinator. */
static void
relay_end (Relay  *relay,
           GError *error)
{
  if (error != NULL)
    {
      agen_generator_answer_error (relay->self, error);
      g_error_free (error);
    }
  else
    {
      g_auto(GValue) return_value = G_VALUE_INIT;

      agen_generator_get_return_value (relay->source, &return_value);
      agen_generator_answer_return (relay->self, &return_value);
    }
}

static void
relay_item_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  Relay *relay = user_data;
  g_auto(GValue) item = G_VALUE_INIT;
  GError *error = NULL;
  gboolean ok;

  if (relay->waiting)
    {
      relay->waiting = FALSE;
      ok = agen_generator_wait_finish (relay->source, result, &item, &error);
    }
  else if (relay->op == AGEN_STEP_SEND)
    ok = agen_generator_send_finish (relay->source, result, &item, &error);
  else if (relay->op == AGEN_STEP_THROW)
    ok = agen_generator_throw_finish (relay->source, result, &item, &error);
  else
    ok = agen_generator_next_finish (relay->source, result, &item, &error);

  if (!ok)
    relay_end (relay, error);
  else if (!relay_item (relay, &item))
    relay_pull (relay);
}

static gboolean
relay_step (AgenGenerator  *generator,
            AgenStepKind    kind,
            GValue         *value,
            GError         *thrown,
            GCancellable   *cancellable,
            gpointer        user_data,
            GError        **error)
{
  Relay *relay = user_data;

  relay->self = generator;
  g_set_object (&relay->cancellable, cancellable);
  relay->op = kind;

  switch (kind)
    {
    case AGEN_STEP_CLOSE:
      agen_generator_close_async (relay->source, NULL, relay_closed_cb, relay);
      break;
    case AGEN_STEP_THROW:
      agen_generator_throw_async (relay->source, thrown, cancellable,
                                  relay_item_cb, relay);
      break;
    case AGEN_STEP_SEND:
      if (relay->kind == RELAY_TAKE && relay->count >= relay->n)
        relay_close_source (relay, NULL);
      else
        agen_generator_send_async (relay->source, value, cancellable,
                                   relay_item_cb, relay);
      break;
    case AGEN_STEP_NEXT:
    default:
      if (relay->kind == RELAY_TAKE && relay->count >= relay->n)
        relay_close_source (relay, NULL);
      else
        relay_pull (relay);
      break;
    }

  return TRUE;
}

static AgenGenerator *
relay_new (AgenGenerator  *source,
           RelayKind       kind,
           const char     *name,
           gpointer        func,
           gpointer        func_data,
           GDestroyNotify  func_destroy,
           guint64         n)
{
  Relay *relay = g_new0 (Relay, 1);
  AgenGenerator *gen;

  relay->kind = kind;
  relay->source = g_object_ref (source);
  relay->func = func;
  relay->func_data = func_data;
  relay->func_destroy = func_destroy;
  relay->n = n;

  gen = agen_generator_new_driven (relay_step, relay, relay_free);
  agen_generator_set_name (gen, name);

  return gen;
}

/**
 * agen_generator_map:
 * @self: the source
 * @func: (scope notified) (closure user_data) (destroy user_data_destroy):
 *   turns each item into the one to yield
 * @user_data: data for @func
 * @user_data_destroy: (nullable): frees @user_data when the new generator
 *   has ended
 *
 * Makes a generator that yields `func (item)` for each item of @self.
 *
 * Like every combinator, the new generator owns its source and passes
 * every operation on to it: a sent value and a thrown error go to @self,
 * closing it closes @self, and it finishes (with @self's return value) or
 * fails (with @self's error, once) when @self does. When @func fails, @self
 * is closed and the new generator fails with @func's error. The step's
 * cancellable goes to @self's steps. @func runs on the thread's own stack,
 * in the owner context, never on a fiber.
 *
 * Returns: (transfer full): a new generator
 *
 * Since: 0.1
 */
AgenGenerator *
agen_generator_map (AgenGenerator  *self,
                    AgenMapFunc     func,
                    gpointer        user_data,
                    GDestroyNotify  user_data_destroy)
{
  g_return_val_if_fail (AGEN_IS_GENERATOR (self), NULL);
  g_return_val_if_fail (func != NULL, NULL);

  return relay_new (self, RELAY_MAP, "map", func, user_data,
                    user_data_destroy, 0);
}

/**
 * agen_generator_filter:
 * @self: the source
 * @func: (scope notified) (closure user_data) (destroy user_data_destroy):
 *   decides which items to keep
 * @user_data: data for @func
 * @user_data_destroy: (nullable): frees @user_data when the new generator
 *   has ended
 *
 * Makes a generator that yields the items of @self for which @func returns
 * %TRUE, and drops the others. When @func fails, @self is closed and the
 * new generator fails with @func's error; otherwise it behaves as
 * [method@Generator.map] says of every combinator.
 *
 * Returns: (transfer full): a new generator
 *
 * Since: 0.1
 */
AgenGenerator *
agen_generator_filter (AgenGenerator  *self,
                       AgenFilterFunc  func,
                       gpointer        user_data,
                       GDestroyNotify  user_data_destroy)
{
  g_return_val_if_fail (AGEN_IS_GENERATOR (self), NULL);
  g_return_val_if_fail (func != NULL, NULL);

  return relay_new (self, RELAY_FILTER, "filter", func, user_data,
                    user_data_destroy, 0);
}

/**
 * agen_generator_take:
 * @self: the source
 * @n: how many items to yield
 *
 * Makes a generator that yields the first @n items of @self. The step after
 * the @n-th item closes @self (running its cleanup) and finishes; if @self
 * ends sooner, so does the new generator.
 *
 * Returns: (transfer full): a new generator
 *
 * Since: 0.1
 */
AgenGenerator *
agen_generator_take (AgenGenerator *self,
                     guint64        n)
{
  g_return_val_if_fail (AGEN_IS_GENERATOR (self), NULL);

  return relay_new (self, RELAY_TAKE, "take", NULL, NULL, NULL, n);
}

/**
 * agen_generator_skip:
 * @self: the source
 * @n: how many items to drop
 *
 * Makes a generator that drops the first @n items of @self, then yields the
 * others.
 *
 * Returns: (transfer full): a new generator
 *
 * Since: 0.1
 */
AgenGenerator *
agen_generator_skip (AgenGenerator *self,
                     guint64        n)
{
  g_return_val_if_fail (AGEN_IS_GENERATOR (self), NULL);

  return relay_new (self, RELAY_SKIP, "skip", NULL, NULL, NULL, n);
}

/**
 * agen_generator_enumerate:
 * @self: the source
 * @start: the index of the first item
 *
 * Makes a generator that yields, for each item of @self, a pair: a
 * [struct@GObject.ValueArray] of the index (a `guint64`, counting from
 * @start) and the item, as Python's `enumerate()` does.
 *
 * Returns: (transfer full): a new generator
 *
 * Since: 0.1
 */
AgenGenerator *
agen_generator_enumerate (AgenGenerator *self,
                          guint64        start)
{
  g_return_val_if_fail (AGEN_IS_GENERATOR (self), NULL);

  return relay_new (self, RELAY_ENUMERATE, "enumerate", NULL, NULL, NULL,
                    start);
}

/* chain ------------------------------------------------------------------ */

typedef struct
{
  GPtrArray     *sources;
  guint          current;
  AgenGenerator *self;
  GCancellable  *cancellable;
  AgenStepKind   op;
  gboolean       waiting;      /* for a try_next step, with wait_async */
  GError        *close_error;  /* the first error closing the sources */
} Chain;

static void
chain_free (gpointer data)
{
  Chain *chain = data;

  g_ptr_array_unref (chain->sources);
  g_clear_object (&chain->cancellable);
  g_clear_error (&chain->close_error);
  g_free (chain);
}

static void chain_item_cb (GObject      *object,
                           GAsyncResult *result,
                           gpointer      user_data);

/* Pulls the current source, going on to the next one when it finishes;
 * the same fast path as relay_pull(). */
static void
chain_pull (Chain *chain)
{
  while (chain->current < chain->sources->len)
    {
      AgenGenerator *source = g_ptr_array_index (chain->sources, chain->current);
      g_auto(GValue) item = G_VALUE_INIT;
      GError *error = NULL;

      chain->op = AGEN_STEP_NEXT;
      if (agen_generator_try_next (source, &item, &error))
        {
          agen_generator_answer_yield (chain->self, &item);
          return;
        }
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        {
          g_error_free (error);
          chain->waiting = TRUE;
          agen_generator_wait_async (source, chain->cancellable, chain_item_cb, chain);
          return;
        }
      if (g_error_matches (error, AGEN_ERROR, AGEN_ERROR_WRONG_CONTEXT))
        {
          /* Owned by another thread's context: see relay_pull(). */
          g_error_free (error);
          agen_generator_next_async (source, chain->cancellable, chain_item_cb, chain);
          return;
        }
      if (error != NULL)
        {
          /* The sources after this one never started: nothing to clean
           * up there, they are dropped with the chain. */
          agen_generator_answer_error (chain->self, error);
          g_error_free (error);
          return;
        }
      chain->current++;
    }

  agen_generator_answer_return (chain->self, NULL);
}

static void
chain_item_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  Chain *chain = user_data;
  AgenGenerator *source = AGEN_GENERATOR (object);
  g_auto(GValue) item = G_VALUE_INIT;
  g_autoptr(GError) error = NULL;
  gboolean ok;

  if (chain->waiting)
    {
      chain->waiting = FALSE;
      ok = agen_generator_wait_finish (source, result, &item, &error);
    }
  else if (chain->op == AGEN_STEP_SEND)
    ok = agen_generator_send_finish (source, result, &item, &error);
  else if (chain->op == AGEN_STEP_THROW)
    ok = agen_generator_throw_finish (source, result, &item, &error);
  else
    ok = agen_generator_next_finish (source, result, &item, &error);

  if (ok)
    {
      agen_generator_answer_yield (chain->self, &item);
    }
  else if (error != NULL)
    {
      agen_generator_answer_error (chain->self, error);
    }
  else
    {
      chain->current++;
      chain_pull (chain);
    }
}

/* Closes the current source and every later one, one after another. */
static void
chain_close_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  Chain *chain = user_data;
  GError *error = NULL;

  if (object != NULL &&
      !agen_generator_close_finish (AGEN_GENERATOR (object), result, &error))
    {
      if (chain->close_error == NULL)
        chain->close_error = error;
      else
        g_error_free (error);
    }

  if (object != NULL)
    chain->current++;

  if (chain->current < chain->sources->len)
    {
      agen_generator_close_async (g_ptr_array_index (chain->sources,
                                                     chain->current),
                                  NULL, chain_close_cb, chain);
      return;
    }

  if (chain->close_error != NULL)
    {
      g_autoptr(GError) close_error = g_steal_pointer (&chain->close_error);

      agen_generator_answer_error (chain->self, close_error);
    }
  else
    {
      agen_generator_answer_return (chain->self, NULL);
    }
}

static gboolean
chain_step (AgenGenerator  *generator,
            AgenStepKind    kind,
            GValue         *value,
            GError         *thrown,
            GCancellable   *cancellable,
            gpointer        user_data,
            GError        **error)
{
  Chain *chain = user_data;
  AgenGenerator *source;

  chain->self = generator;
  g_set_object (&chain->cancellable, cancellable);
  chain->op = kind;

  if (kind == AGEN_STEP_CLOSE)
    {
      chain_close_cb (NULL, NULL, chain);
      return TRUE;
    }
  if (chain->current >= chain->sources->len)
    {
      agen_generator_answer_return (generator, NULL);
      return TRUE;
    }

  source = g_ptr_array_index (chain->sources, chain->current);
  switch (kind)
    {
    case AGEN_STEP_SEND:
      agen_generator_send_async (source, value, cancellable, chain_item_cb, chain);
      break;
    case AGEN_STEP_THROW:
      agen_generator_throw_async (source, thrown, cancellable, chain_item_cb, chain);
      break;
    case AGEN_STEP_CLOSE:
    case AGEN_STEP_NEXT:
    default:
      chain_pull (chain);
      break;
    }

  return TRUE;
}

GPtrArray *
agen_ops_sources_new (AgenGenerator **sources,
                      guint           n_sources)
{
  GPtrArray *array = g_ptr_array_new_full (n_sources, g_object_unref);

  for (guint i = 0; i < n_sources; i++)
    {
      if (!AGEN_IS_GENERATOR (sources[i]))
        {
          g_critical ("agen: source %u is not an AgenGenerator", i);
          g_ptr_array_unref (array);
          return NULL;
        }
      g_ptr_array_add (array, g_object_ref (sources[i]));
    }

  return array;
}

/**
 * agen_chain:
 * @sources: (array length=n_sources): the generators to chain
 * @n_sources: how many there are
 *
 * Makes a generator that yields every item of the first source, then every
 * item of the second, and so on, as Python's `itertools.chain()`.
 *
 * Operations go to the current source, as [method@Generator.map] says;
 * closing the chain closes the current source and every later one (which
 * only marks those not started as closed). An error of a source ends the
 * chain with that error.
 *
 * Returns: (transfer full): a new generator
 *
 * Since: 0.1
 */
AgenGenerator *
agen_chain (AgenGenerator **sources,
            guint           n_sources)
{
  AgenGenerator *gen;
  Chain *chain;
  GPtrArray *array;

  g_return_val_if_fail (sources != NULL || n_sources == 0, NULL);

  array = agen_ops_sources_new (sources, n_sources);
  if (array == NULL)
    return NULL;

  chain = g_new0 (Chain, 1);
  chain->sources = array;
  gen = agen_generator_new_driven (chain_step, chain, chain_free);
  agen_generator_set_name (gen, "chain");

  return gen;
}

void
agen_ops_value_set_tuple (GValue *value,
                           GValue *values,
                           guint   n_values)
{
  GValueArray *array;

  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  array = g_value_array_new (n_values);
  for (guint i = 0; i < n_values; i++)
    g_value_array_append (array, &values[i]);
  g_value_init (value, g_value_array_get_type ());
  G_GNUC_END_IGNORE_DEPRECATIONS
  g_value_take_boxed (value, array);
}
