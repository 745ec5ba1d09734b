/* agen-gio-signal.c — the emissions of a GObject signal
 *
 * Copyright 2026 The agen authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <glib/gi18n-lib.h>

#include "agen-gio.h"

/*
 * A driven generator. A closure of our own on the signal records each
 * emission: straight into the waiting step when one waits, otherwise into
 * a bounded queue that the next steps drain. The step, the emission and
 * the step cancellable's handler may each come first; the lock decides who
 * takes the waiting step.
 */

typedef struct
{
  GMutex              lock;
  GObject            *instance;   /* weak; NULL once finalized */
  gulong              handler;
  GQueue              buffer;     /* of GValue*, oldest first */
  guint               max_buffered;
  AgenOverflowPolicy  policy;
  gboolean            overflowed;
  char               *signal_name;
  AgenGenerator      *waiting;    /* the generator whose step waits */
  GCancellable       *cancellable; /* the waiting step's */
  gulong              cancel_handler;
} Emissions;

static void
value_free (gpointer data)
{
  GValue *value = data;

  g_value_unset (value);
  g_free (value);
}

static void
instance_gone_cb (gpointer  data,
                  GObject  *where_the_object_was);

/* The memory, once the last reference is released. */
static void
emissions_clear (gpointer data)
{
  Emissions *em = data;

  g_queue_clear_full (&em->buffer, value_free);
  g_free (em->signal_name);
  g_mutex_clear (&em->lock);
}

/* The generator's destroy notify: it will not step again; disconnect. */
static void
emissions_free (gpointer data)
{
  Emissions *em = data;

  if (em->cancellable != NULL)
    {
      g_cancellable_disconnect (em->cancellable, em->cancel_handler);
      g_clear_object (&em->cancellable);
    }
  if (em->instance != NULL)
    {
      g_clear_signal_handler (&em->handler, em->instance);
      g_object_weak_unref (em->instance, instance_gone_cb, em);
      em->instance = NULL;
    }
  g_rc_box_release_full (em, emissions_clear);
}

/* Takes the waiting step, if any, and forgets its cancellable. Called
 * with the lock held; the caller answers the step after unlocking. */
static AgenGenerator *
take_waiting (Emissions     *em,
              GCancellable **cancellable,
              gulong        *cancel_handler)
{
  AgenGenerator *gen = g_steal_pointer (&em->waiting);

  *cancellable = g_steal_pointer (&em->cancellable);
  *cancel_handler = em->cancel_handler;
  em->cancel_handler = 0;

  return gen;
}

static void
drop_cancellable (GCancellable *cancellable,
                  gulong        handler)
{
  if (cancellable != NULL)
    {
      g_cancellable_disconnect (cancellable, handler);
      g_object_unref (cancellable);
    }
}

static void
instance_gone_cb (gpointer  data,
                  GObject  *where_the_object_was)
{
  Emissions *em = data;
  AgenGenerator *gen = NULL;
  GCancellable *cancellable = NULL;
  gulong handler = 0;

  g_mutex_lock (&em->lock);
  em->instance = NULL;
  em->handler = 0;   /* GObject disconnects it */
  if (g_queue_is_empty (&em->buffer))
    gen = take_waiting (em, &cancellable, &handler);
  g_mutex_unlock (&em->lock);

  drop_cancellable (cancellable, handler);
  if (gen != NULL)
    agen_generator_answer_return (gen, NULL);
}

static void
emission_marshal (GClosure     *closure,
                  GValue       *return_value,
                  guint         n_param_values,
                  const GValue *param_values,
                  gpointer      invocation_hint,
                  gpointer      marshal_data)
{
  Emissions *em = closure->data;
  GValue *value = g_new0 (GValue, 1);
  AgenGenerator *gen = NULL;
  GCancellable *cancellable = NULL;
  gulong handler = 0;

  /* No argument: None; one: that value; more: all of them. */
  if (n_param_values <= 1)
    {
      g_value_init (value, G_TYPE_POINTER);
    }
  else if (n_param_values == 2)
    {
      g_value_init (value, G_VALUE_TYPE (&param_values[1]));
      g_value_copy (&param_values[1], value);
    }
  else
    {
      GValueArray *array;

      G_GNUC_BEGIN_IGNORE_DEPRECATIONS
      array = g_value_array_new (n_param_values - 1);
      for (guint i = 1; i < n_param_values; i++)
        g_value_array_append (array, &param_values[i]);
      g_value_init (value, g_value_array_get_type ());
      g_value_take_boxed (value, array);
      G_GNUC_END_IGNORE_DEPRECATIONS
    }

  g_mutex_lock (&em->lock);
  if (em->waiting != NULL)
    {
      gen = take_waiting (em, &cancellable, &handler);
    }
  else if (g_queue_get_length (&em->buffer) < em->max_buffered)
    {
      g_queue_push_tail (&em->buffer, g_steal_pointer (&value));
    }
  else
    {
      switch (em->policy)
        {
        case AGEN_OVERFLOW_DROP_OLDEST:
          value_free (g_queue_pop_head (&em->buffer));
          g_queue_push_tail (&em->buffer, g_steal_pointer (&value));
          break;
        case AGEN_OVERFLOW_ERROR:
          em->overflowed = TRUE;
          break;
        case AGEN_OVERFLOW_DROP_NEWEST:
        default:
          break;
        }
    }
  g_mutex_unlock (&em->lock);

  drop_cancellable (cancellable, handler);
  if (gen != NULL)
    agen_generator_answer_yield (gen, value);
  if (value != NULL)
    value_free (value);
}

typedef struct
{
  Emissions     *em;     /* a reference */
  AgenGenerator *gen;    /* a reference */
} Cancelled;

static gboolean
answer_cancelled_cb (gpointer user_data)
{
  Cancelled *c = user_data;
  gboolean answer;

  g_mutex_lock (&c->em->lock);
  answer = c->em->waiting == c->gen;
  if (answer)
    c->em->waiting = NULL;
  g_mutex_unlock (&c->em->lock);

  if (answer)
    {
      g_autoptr(GError) error = NULL;

      g_set_error_literal (&error, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                           _("Operation was cancelled"));
      agen_generator_answer_error (c->gen, error);
    }

  return G_SOURCE_REMOVE;
}

static void
cancelled_free (gpointer data)
{
  Cancelled *c = data;

  g_rc_box_release_full (c->em, emissions_clear);
  g_object_unref (c->gen);
  g_free (c);
}

/* Answers from the owner context, not here: answering may end the
 * generator and tear its data down, which disconnects this very handler,
 * and a cancellable's handler cannot be disconnected from inside itself. */
static void
step_cancelled_cb (GCancellable *cancellable,
                   gpointer      user_data)
{
  Emissions *em = user_data;
  Cancelled *c = NULL;

  g_mutex_lock (&em->lock);
  if (em->waiting != NULL)
    {
      c = g_new0 (Cancelled, 1);
      c->em = g_rc_box_acquire (em);
      c->gen = g_object_ref (em->waiting);
    }
  g_mutex_unlock (&em->lock);

  if (c != NULL)
    {
      GSource *source = g_idle_source_new ();

      g_source_set_callback (source, answer_cancelled_cb, c, cancelled_free);
      g_source_set_static_name (source, "[agen] signal emissions cancelled");
      g_source_attach (source, agen_generator_get_context (c->gen));
      g_source_unref (source);
    }
}

static gboolean
emissions_step (AgenGenerator  *generator,
                AgenStepKind    kind,
                GValue         *value,
                GError         *thrown,
                GCancellable   *cancellable,
                gpointer        user_data,
                GError        **error)
{
  Emissions *em = user_data;
  GValue *item = NULL;
  gboolean overflowed = FALSE;
  gboolean gone = FALSE;
  GCancellable *old_cancellable;
  gulong old_handler;

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

  g_mutex_lock (&em->lock);
  old_cancellable = g_steal_pointer (&em->cancellable);
  old_handler = em->cancel_handler;
  em->cancel_handler = 0;
  item = g_queue_pop_head (&em->buffer);
  if (item == NULL)
    {
      overflowed = em->overflowed;
      gone = em->instance == NULL;
      if (!overflowed && !gone)
        em->waiting = generator;
    }
  g_mutex_unlock (&em->lock);

  drop_cancellable (old_cancellable, old_handler);

  if (item != NULL)
    {
      agen_generator_answer_yield (generator, item);
      value_free (item);
    }
  else if (overflowed)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE,
                   _("More than %u emissions of “%s” were waiting"),
                   em->max_buffered, em->signal_name);
      return FALSE;
    }
  else if (gone)
    {
      agen_generator_answer_return (generator, NULL);
    }
  else if (cancellable != NULL)
    {
      /* Runs step_cancelled_cb at once if it is cancelled already. */
      gulong handler = g_cancellable_connect (cancellable,
                                              G_CALLBACK (step_cancelled_cb),
                                              em, NULL);

      g_mutex_lock (&em->lock);
      em->cancellable = g_object_ref (cancellable);
      em->cancel_handler = handler;
      g_mutex_unlock (&em->lock);
    }

  return TRUE;
}

/**
 * agen_signal_emissions:
 * @instance: (type GObject.Object): the object whose signal to follow
 * @detailed_signal: the signal, as for g_signal_connect(), such as
 *   `"notify::label"`
 * @max_buffered: how many emissions to keep while no step waits; at least 1
 * @policy: what to do with an emission that finds the buffer full
 *
 * Makes a generator that yields one value per emission of @detailed_signal
 * on @instance: None for a signal without arguments, the argument for a
 * signal with one, and a [struct@GObject.ValueArray] of the arguments for a
 * signal with more.
 *
 * The generator follows the signal from the moment it is made. An emission
 * while a step waits completes that step; otherwise it is kept, up to
 * @max_buffered emissions, and the next steps take the kept ones first,
 * oldest first. An emission that finds the buffer full is handled as
 * @policy says: %AGEN_OVERFLOW_DROP_OLDEST keeps the latest emissions,
 * %AGEN_OVERFLOW_DROP_NEWEST the earliest, and with %AGEN_OVERFLOW_ERROR the
 * generator, once it has yielded the kept emissions, fails with
 * %G_IO_ERROR_NO_SPACE.
 *
 * The generator never ends by itself while @instance lives: it holds only a
 * weak reference, and finishes (after the kept emissions) when @instance is
 * finalized. A step that waits fails with %G_IO_ERROR_CANCELLED when its
 * cancellable is cancelled. Closing the generator disconnects it. Signals
 * with a return value get the default value of its type from this handler.
 *
 * Use it on the thread that owns @instance; emissions from other threads
 * are recorded too, but @instance must not be finalized meanwhile.
 *
 * Returns: (transfer full): a new generator
 *
 * Since: 0.1
 */
AgenGenerator *
agen_signal_emissions (GObject            *instance,
                       const char         *detailed_signal,
                       guint               max_buffered,
                       AgenOverflowPolicy  policy)
{
  AgenGenerator *gen;
  Emissions *em;
  GClosure *closure;
  guint signal_id;
  GQuark detail;

  g_return_val_if_fail (G_IS_OBJECT (instance), NULL);
  g_return_val_if_fail (detailed_signal != NULL, NULL);
  g_return_val_if_fail (max_buffered > 0, NULL);
  if (!g_signal_parse_name (detailed_signal, G_OBJECT_TYPE (instance),
                            &signal_id, &detail, TRUE))
    {
      g_critical ("%s: signal “%s” is invalid for an instance of type “%s”",
                  G_STRFUNC, detailed_signal, G_OBJECT_TYPE_NAME (instance));
      return NULL;
    }

  em = g_rc_box_new0 (Emissions);
  g_mutex_init (&em->lock);
  g_queue_init (&em->buffer);
  em->instance = instance;
  em->max_buffered = max_buffered;
  em->policy = policy;
  em->signal_name = g_strdup (detailed_signal);

  closure = g_closure_new_simple (sizeof (GClosure), em);
  g_closure_set_marshal (closure, emission_marshal);
  em->handler = g_signal_connect_closure_by_id (instance, signal_id, detail,
                                                closure, FALSE);
  g_object_weak_ref (instance, instance_gone_cb, em);

  gen = agen_generator_new_driven (emissions_step, em, emissions_free);
  agen_generator_set_name (gen, "signal-emissions");

  return gen;
}
