/* test-yield-from.c — agen_generator_yield_from: delegation to an inner
 * generator as Python's "yield from" (docs/semantics.md, "Delegation:
 * yield_from")
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include <agen.h>

#include "agen-fiber-private.h"
#include "agen-test-util.h"

/* The inner generator ------------------------------------------------------
 *
 * Yields 1, 2, … (a sent int v makes the next value v * 10) n times, then
 * sets rv (when not NULL) and returns TRUE, or raises BOOM if raise_at_end.
 * A failing yield is handled as mode says. With await_ms, it awaits a
 * timeout before each yield and in its cleanup.
 *
 * inner_new() makes it a fiber body (inner_body) or, when inner_driven is
 * set, a driven generator (inner_step) with the same behaviour, so each
 * test that uses inner_new() runs with both kinds of inner.
 */

static gboolean inner_driven;

typedef enum
{
  INNER_PROPAGATE,        /* clean up and let the error out */
  INNER_CATCH_YIELD_ONCE, /* first error: yield "caught" and go on */
  INNER_CATCH_RETURN,     /* set rv "handled" and return TRUE */
} InnerMode;

typedef struct
{
  InnerMode   mode;
  gint        n;
  const char *rv;
  gboolean    raise_at_end;
  guint       await_ms;

  guint       started;
  guint       resumed;
  guint       caught;
  guint       cleanups;
  guint       destroyed;
  GError     *last_error;
  GValue      last_sent;

  /* the driven inner's state: where inner_body would be */
  AgenGenerator *gen;
  gint        i;             /* the loop index */
  gint        value;         /* the next int to yield */
  gboolean    at_caught;     /* paused at the "caught" yield */
  GError     *pending_error; /* let out after the cleanup */
} InnerData;

static void
inner_init (InnerData *data,
            InnerMode  mode,
            gint       n,
            const char *rv)
{
  memset (data, 0, sizeof *data);
  data->mode = mode;
  data->n = n;
  data->rv = rv;
}

static void
inner_clear (InnerData *data)
{
  g_clear_error (&data->last_error);
  g_clear_error (&data->pending_error);
  if (G_IS_VALUE (&data->last_sent))
    g_value_unset (&data->last_sent);
}

static void
inner_destroy (gpointer user_data)
{
  InnerData *data = user_data;

  data->destroyed++;
}

static gboolean
inner_cleanup (AgenGenerator  *self,
               InnerData      *data,
               GError        **error)
{
  if (data->await_ms > 0 && !agen_test_sleep (self, data->await_ms, NULL, error))
    return FALSE;
  data->cleanups++;
  return TRUE;
}

static gboolean
inner_body (AgenGenerator  *self,
            gpointer        user_data,
            GError        **error)
{
  InnerData *data = user_data;
  gint value = 1;
  gint i;

  data->started++;

  for (i = 0; i < data->n; i++)
    {
      g_autoptr(GError) local = NULL;
      g_auto(GValue) sent = G_VALUE_INIT;

      if (data->await_ms > 0 && !agen_test_sleep (self, data->await_ms, NULL, error))
        return FALSE;

      if (agen_test_yield_int (self, value, &sent, &local))
        {
          data->resumed++;
          if (G_IS_VALUE (&data->last_sent))
            g_value_unset (&data->last_sent);
          g_value_init (&data->last_sent, G_VALUE_TYPE (&sent));
          g_value_copy (&sent, &data->last_sent);
          value = G_VALUE_HOLDS_INT (&sent) ? g_value_get_int (&sent) * 10 : value + 1;
          continue;
        }

      data->caught++;
      g_clear_error (&data->last_error);
      data->last_error = g_error_copy (local);

      switch (data->mode)
        {
        case INNER_PROPAGATE:
          break;

        case INNER_CATCH_YIELD_ONCE:
          if (data->caught == 1)
            {
              g_clear_error (&local);
              if (agen_test_yield_string (self, "caught", NULL, &local))
                {
                  value++;
                  continue;
                }
              data->caught++;
              g_clear_error (&data->last_error);
              data->last_error = g_error_copy (local);
            }
          break;

        case INNER_CATCH_RETURN:
          {
            g_auto(GValue) rv = G_VALUE_INIT;

            agen_generator_set_return_value (self, agen_test_value_string (&rv, "handled"));
            return TRUE;
          }

        default:
          g_assert_not_reached ();
        }

      if (!inner_cleanup (self, data, error))
        return FALSE;
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }

  if (data->raise_at_end)
    {
      g_set_error_literal (error, AGEN_TEST_ERROR, AGEN_TEST_ERROR_BOOM, "inner boom");
      return FALSE;
    }

  if (data->rv != NULL)
    {
      g_auto(GValue) rv = G_VALUE_INIT;

      agen_generator_set_return_value (self, agen_test_value_string (&rv, data->rv));
    }

  return TRUE;
}

/* The driven inner: inner_body as a state machine of steps, answered in
 * the step function or, where inner_body awaits, from a timeout of await_ms
 * (docs/semantics.md, "Driven generators"). */

/* inner_body at the top of its loop (after any await): yield or end */
static void
inner_driven_yield_or_end (InnerData *data)
{
  g_auto(GValue) v = G_VALUE_INIT;

  if (data->i < data->n)
    {
      agen_generator_answer_yield (data->gen, agen_test_value_int (&v, data->value));
    }
  else if (data->raise_at_end)
    {
      g_autoptr(GError) boom = g_error_new_literal (AGEN_TEST_ERROR, AGEN_TEST_ERROR_BOOM, "inner boom");

      agen_generator_answer_error (data->gen, boom);
    }
  else
    {
      agen_generator_answer_return (data->gen, data->rv != NULL ? agen_test_value_string (&v, data->rv) : NULL);
    }
}

/* inner_cleanup (after any await), then let the pending error out */
static void
inner_driven_cleanup_and_fail (InnerData *data)
{
  g_autoptr(GError) pending = g_steal_pointer (&data->pending_error);

  data->cleanups++;
  agen_generator_answer_error (data->gen, pending);
}

static gboolean
inner_driven_continue (gpointer user_data)
{
  InnerData *data = user_data;

  if (data->pending_error != NULL)
    inner_driven_cleanup_and_fail (data);
  else
    inner_driven_yield_or_end (data);
  return G_SOURCE_REMOVE;
}

/* Go on as inner_body does: awaiting await_ms first before a yield of the
 * loop and in the cleanup, not before the end. */
static void
inner_driven_await_and_continue (InnerData *data)
{
  if (data->await_ms > 0 && (data->pending_error != NULL || data->i < data->n))
    g_timeout_add (data->await_ms, inner_driven_continue, data);
  else
    inner_driven_continue (data);
}

static gboolean
inner_step (AgenGenerator  *gen,
            AgenStepKind    kind,
            GValue         *value,
            GError         *thrown,
            GCancellable   *cancellable,
            gpointer        user_data,
            GError        **error)
{
  InnerData *data = user_data;
  g_auto(GValue) v = G_VALUE_INIT;

  g_assert_null (agen_fiber_get_current ());
  g_assert_null (data->pending_error);

  if (data->started == 0)
    {
      g_assert_cmpint (kind, ==, AGEN_STEP_NEXT);
      data->started++;
      data->gen = gen;
      data->value = 1;
      inner_driven_await_and_continue (data);
      return TRUE;
    }

  if (kind == AGEN_STEP_NEXT || kind == AGEN_STEP_SEND)
    {
      if (data->at_caught)
        {
          data->at_caught = FALSE;
          data->value++;
        }
      else
        {
          data->resumed++;
          if (G_IS_VALUE (&data->last_sent))
            g_value_unset (&data->last_sent);
          if (value != NULL)
            {
              g_value_init (&data->last_sent, G_VALUE_TYPE (value));
              g_value_copy (value, &data->last_sent);
            }
          else
            {
              agen_test_value_none (&data->last_sent);
            }
          data->value = value != NULL && G_VALUE_HOLDS_INT (value) ? g_value_get_int (value) * 10 : data->value + 1;
        }
      data->i++;
      inner_driven_await_and_continue (data);
      return TRUE;
    }

  /* THROW or CLOSE: the yield inner_body is paused at fails with thrown */
  data->caught++;
  g_clear_error (&data->last_error);
  data->last_error = g_error_copy (thrown);

  switch (data->mode)
    {
    case INNER_PROPAGATE:
      break;

    case INNER_CATCH_YIELD_ONCE:
      if (data->caught == 1)
        {
          data->at_caught = TRUE;
          agen_generator_answer_yield (gen, agen_test_value_string (&v, "caught"));
          return TRUE;
        }
      break;

    case INNER_CATCH_RETURN:
      agen_generator_answer_return (gen, agen_test_value_string (&v, "handled"));
      return TRUE;

    default:
      g_assert_not_reached ();
    }

  data->pending_error = g_error_copy (thrown);
  inner_driven_await_and_continue (data);
  return TRUE;
}

/* The outer generator ------------------------------------------------------
 *
 * Delegates to inner with yield_from. On TRUE it yields the return value it
 * got and returns TRUE. On FALSE it records the error and either lets it out
 * or (OUTER_CATCH) yields "recovered" and returns TRUE.
 */

typedef enum
{
  OUTER_PROPAGATE,
  OUTER_CATCH,
} OuterMode;

typedef struct
{
  AgenGenerator      *inner;
  OuterMode           mode;

  guint               started;
  gboolean            returned;   /* yield_from returned */
  gboolean            ret;
  GError             *error;
  GValue              rv;
  AgenGeneratorState  inner_state_after;
  guint               inner_cleanups_after;
  InnerData          *inner_data; /* optional, for inner_cleanups_after */
  guint               destroyed;
} OuterData;

static void
outer_init (OuterData     *data,
            AgenGenerator *inner,
            InnerData     *inner_data,
            OuterMode      mode)
{
  memset (data, 0, sizeof *data);
  data->inner = inner;
  data->inner_data = inner_data;
  data->mode = mode;
}

static void
outer_clear (OuterData *data)
{
  g_clear_error (&data->error);
  if (G_IS_VALUE (&data->rv))
    g_value_unset (&data->rv);
}

static void
outer_destroy (gpointer user_data)
{
  OuterData *data = user_data;

  data->destroyed++;
}

static gboolean
outer_body (AgenGenerator  *self,
            gpointer        user_data,
            GError        **error)
{
  OuterData *data = user_data;
  g_autoptr(GError) local = NULL;
  g_auto(GValue) rv = G_VALUE_INIT;

  data->started++;
  data->ret = agen_generator_yield_from (self, data->inner, &rv, &local);
  data->returned = TRUE;
  data->inner_state_after = agen_generator_get_state (data->inner);
  if (data->inner_data != NULL)
    data->inner_cleanups_after = data->inner_data->cleanups;

  if (data->ret)
    {
      g_assert_no_error (local);
      g_value_init (&data->rv, G_VALUE_TYPE (&rv));
      g_value_copy (&rv, &data->rv);
      if (!agen_generator_yield (self, &rv, NULL, error))
        return FALSE;
      return TRUE;
    }

  g_assert_nonnull (local);
  data->error = g_error_copy (local);

  if (data->mode == OUTER_CATCH)
    {
      if (!agen_test_yield_string (self, "recovered", NULL, error))
        return FALSE;
      return TRUE;
    }

  g_propagate_error (error, g_steal_pointer (&local));
  return FALSE;
}

static AgenGenerator *
outer_new (OuterData *data)
{
  return agen_generator_new (outer_body, data, outer_destroy);
}

static AgenGenerator *
inner_new (InnerData *data)
{
  if (inner_driven)
    return agen_generator_new_driven (inner_step, data, inner_destroy);
  return agen_generator_new (inner_body, data, inner_destroy);
}

/* Tests --------------------------------------------------------------------- */

static void
test_empty_inner_returns_at_once (void)
{
  InnerData inner_data;
  OuterData outer_data;
  g_autoptr(AgenGenerator) inner = NULL;
  g_autoptr(AgenGenerator) outer = NULL;
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;

  g_test_summary ("yield_from on an inner that finishes at once returns TRUE "
                  "immediately with the inner's return value; nothing is "
                  "yielded to the consumer");

  inner_init (&inner_data, INNER_PROPAGATE, 0, "empty-rv");
  inner = inner_new (&inner_data);
  outer_init (&outer_data, inner, &inner_data, OUTER_PROPAGATE);
  outer = outer_new (&outer_data);

  /* The first value the consumer sees is the outer's yield of rv */
  g_assert_true (agen_test_next (outer, NULL, &r));
  g_assert_no_error (r.error);
  agen_test_assert_string (&r.value, "empty-rv");

  g_assert_true (outer_data.returned);
  g_assert_true (outer_data.ret);
  agen_test_assert_string (&outer_data.rv, "empty-rv");
  g_assert_cmpuint (inner_data.started, ==, 1);
  g_assert_cmpint (outer_data.inner_state_after, ==, AGEN_GENERATOR_STATE_CLOSED);

  g_assert_false (agen_test_next (outer, NULL, &r));
  agen_test_assert_finished (&r);
  inner_clear (&inner_data);
  outer_clear (&outer_data);
}

static void
test_empty_inner_without_return_value (void)
{
  InnerData inner_data;
  OuterData outer_data;
  g_autoptr(AgenGenerator) inner = NULL;
  g_autoptr(AgenGenerator) outer = NULL;
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;

  g_test_summary ("yield_from on an inner that finishes without a return "
                  "value returns TRUE with rv = None");

  inner_init (&inner_data, INNER_PROPAGATE, 0, NULL);
  inner = inner_new (&inner_data);
  outer_init (&outer_data, inner, &inner_data, OUTER_PROPAGATE);
  outer = outer_new (&outer_data);

  g_assert_true (agen_test_next (outer, NULL, &r));
  agen_test_assert_none (&r.value);
  g_assert_true (outer_data.ret);
  agen_test_assert_none (&outer_data.rv);

  g_assert_false (agen_test_next (outer, NULL, &r));
  agen_test_assert_finished (&r);
  inner_clear (&inner_data);
  outer_clear (&outer_data);
}

static void
test_values_forwarded (void)
{
  InnerData inner_data;
  OuterData outer_data;
  g_autoptr(AgenGenerator) inner = NULL;
  g_autoptr(AgenGenerator) outer = NULL;
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;
  gint i;

  g_test_summary ("the inner's yields reach the outer's consumer as the "
                  "outer's own; the inner's return value comes back from "
                  "yield_from");

  inner_init (&inner_data, INNER_PROPAGATE, 3, "done");
  inner = inner_new (&inner_data);
  outer_init (&outer_data, inner, &inner_data, OUTER_PROPAGATE);
  outer = outer_new (&outer_data);

  for (i = 1; i <= 3; i++)
    {
      g_assert_true (agen_test_next (outer, NULL, &r));
      agen_test_assert_yielded_int (&r, i);
      g_assert_false (outer_data.returned);
      g_assert_cmpint (agen_generator_get_state (outer), ==, AGEN_GENERATOR_STATE_SUSPENDED);
      g_assert_cmpint (agen_generator_get_state (inner), ==, AGEN_GENERATOR_STATE_SUSPENDED);
    }

  g_assert_true (agen_test_next (outer, NULL, &r));
  agen_test_assert_string (&r.value, "done");
  g_assert_true (outer_data.ret);
  g_assert_cmpint (agen_generator_get_state (inner), ==, AGEN_GENERATOR_STATE_CLOSED);
  g_assert_cmpuint (inner_data.destroyed, ==, 1);

  g_assert_false (agen_test_next (outer, NULL, &r));
  agen_test_assert_finished (&r);
  g_assert_cmpuint (outer_data.destroyed, ==, 1);
  inner_clear (&inner_data);
  outer_clear (&outer_data);
}

static void
test_send_forwarded (void)
{
  InnerData inner_data;
  OuterData outer_data;
  g_autoptr(AgenGenerator) inner = NULL;
  g_autoptr(AgenGenerator) outer = NULL;
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;
  g_auto(GValue) v = G_VALUE_INIT;

  g_test_summary ("send(v) to the outer is inner.send(v): the inner's yield "
                  "receives a copy of v");

  inner_init (&inner_data, INNER_PROPAGATE, 3, NULL);
  inner = inner_new (&inner_data);
  outer_init (&outer_data, inner, &inner_data, OUTER_PROPAGATE);
  outer = outer_new (&outer_data);

  agen_test_next (outer, NULL, &r);
  agen_test_assert_yielded_int (&r, 1);

  g_assert_true (agen_test_send (outer, agen_test_value_int (&v, 7), NULL, &r));
  agen_test_assert_yielded_int (&r, 70);
  agen_test_assert_int (&inner_data.last_sent, 7);

  g_value_unset (&v);
  g_assert_true (agen_test_send (outer, agen_test_value_string (&v, "str"), NULL, &r));
  agen_test_assert_yielded_int (&r, 71);
  agen_test_assert_string (&inner_data.last_sent, "str");
  g_assert_cmpuint (inner_data.resumed, ==, 2);

  g_assert_true (agen_test_close (outer, NULL, &r));
  inner_clear (&inner_data);
  outer_clear (&outer_data);
}

static void
test_send_none_is_next (void)
{
  InnerData inner_data;
  OuterData outer_data;
  g_autoptr(AgenGenerator) inner = NULL;
  g_autoptr(AgenGenerator) outer = NULL;
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;
  g_auto(GValue) none = G_VALUE_INIT;

  g_test_summary ("next and send(None) to the outer are inner.next: the "
                  "inner's yield receives None");

  inner_init (&inner_data, INNER_PROPAGATE, 3, NULL);
  inner = inner_new (&inner_data);
  outer_init (&outer_data, inner, &inner_data, OUTER_PROPAGATE);
  outer = outer_new (&outer_data);

  agen_test_send (outer, NULL, NULL, &r);
  agen_test_assert_yielded_int (&r, 1);
  g_assert_true (agen_test_send (outer, agen_test_value_none (&none), NULL, &r));
  agen_test_assert_yielded_int (&r, 2);
  agen_test_assert_none (&inner_data.last_sent);
  g_assert_true (agen_test_next (outer, NULL, &r));
  agen_test_assert_yielded_int (&r, 3);
  agen_test_assert_none (&inner_data.last_sent);

  g_assert_true (agen_test_close (outer, NULL, &r));
  inner_clear (&inner_data);
  outer_clear (&outer_data);
}

static void
test_throw_inner_catches_and_yields (void)
{
  InnerData inner_data;
  OuterData outer_data;
  g_autoptr(AgenGenerator) inner = NULL;
  g_autoptr(AgenGenerator) outer = NULL;
  g_autoptr(GError) boom = g_error_new_literal (AGEN_TEST_ERROR, AGEN_TEST_ERROR_BOOM, "boom");
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;

  g_test_summary ("throw(e) to the outer is inner.throw(e): an inner that "
                  "catches and yields gives the consumer TRUE + that value; "
                  "delegation goes on");

  inner_init (&inner_data, INNER_CATCH_YIELD_ONCE, 3, "end");
  inner = inner_new (&inner_data);
  outer_init (&outer_data, inner, &inner_data, OUTER_PROPAGATE);
  outer = outer_new (&outer_data);

  agen_test_next (outer, NULL, &r);
  g_assert_true (agen_test_throw (outer, boom, NULL, &r));
  g_assert_no_error (r.error);
  agen_test_assert_string (&r.value, "caught");
  g_assert_error (inner_data.last_error, AGEN_TEST_ERROR, AGEN_TEST_ERROR_BOOM);
  g_assert_cmpstr (inner_data.last_error->message, ==, "boom");
  g_assert_false (outer_data.returned);

  g_assert_true (agen_test_next (outer, NULL, &r));
  agen_test_assert_yielded_int (&r, 2);

  g_assert_true (agen_test_close (outer, NULL, &r));
  inner_clear (&inner_data);
  outer_clear (&outer_data);
}

static void
test_throw_inner_catches_and_returns (void)
{
  InnerData inner_data;
  OuterData outer_data;
  g_autoptr(AgenGenerator) inner = NULL;
  g_autoptr(AgenGenerator) outer = NULL;
  g_autoptr(GError) boom = g_error_new_literal (AGEN_TEST_ERROR, AGEN_TEST_ERROR_BOOM, "boom");
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;

  g_test_summary ("an inner that handles a thrown error by returning makes "
                  "yield_from return TRUE with its return value");

  inner_init (&inner_data, INNER_CATCH_RETURN, 3, NULL);
  inner = inner_new (&inner_data);
  outer_init (&outer_data, inner, &inner_data, OUTER_PROPAGATE);
  outer = outer_new (&outer_data);

  agen_test_next (outer, NULL, &r);
  g_assert_true (agen_test_throw (outer, boom, NULL, &r));
  agen_test_assert_string (&r.value, "handled");
  g_assert_true (outer_data.returned);
  g_assert_true (outer_data.ret);
  agen_test_assert_string (&outer_data.rv, "handled");
  g_assert_cmpint (agen_generator_get_state (inner), ==, AGEN_GENERATOR_STATE_CLOSED);

  g_assert_false (agen_test_next (outer, NULL, &r));
  agen_test_assert_finished (&r);
  inner_clear (&inner_data);
  outer_clear (&outer_data);
}

static void
test_throw_inner_reraises (void)
{
  InnerData inner_data;
  OuterData outer_data;
  g_autoptr(AgenGenerator) inner = NULL;
  g_autoptr(AgenGenerator) outer = NULL;
  g_autoptr(GError) boom = g_error_new_literal (AGEN_TEST_ERROR, AGEN_TEST_ERROR_BOOM, "boom");
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;

  g_test_summary ("an inner that lets a thrown error out makes yield_from "
                  "return FALSE + that error; an outer that lets it out "
                  "fails the throw with it");

  inner_init (&inner_data, INNER_PROPAGATE, 3, NULL);
  inner = inner_new (&inner_data);
  outer_init (&outer_data, inner, &inner_data, OUTER_PROPAGATE);
  outer = outer_new (&outer_data);

  agen_test_next (outer, NULL, &r);
  g_assert_false (agen_test_throw (outer, boom, NULL, &r));
  agen_test_assert_failed (&r, AGEN_TEST_ERROR, AGEN_TEST_ERROR_BOOM);
  g_assert_cmpstr (r.error->message, ==, "boom");

  g_assert_false (outer_data.ret);
  g_assert_error (outer_data.error, AGEN_TEST_ERROR, AGEN_TEST_ERROR_BOOM);
  g_assert_error (inner_data.last_error, AGEN_TEST_ERROR, AGEN_TEST_ERROR_BOOM);
  g_assert_cmpuint (inner_data.cleanups, ==, 1);
  g_assert_cmpint (agen_generator_get_state (inner), ==, AGEN_GENERATOR_STATE_CLOSED);
  g_assert_cmpint (agen_generator_get_state (outer), ==, AGEN_GENERATOR_STATE_CLOSED);
  inner_clear (&inner_data);
  outer_clear (&outer_data);
}

static void
test_close_closes_inner (void)
{
  InnerData inner_data;
  OuterData outer_data;
  g_autoptr(AgenGenerator) inner = NULL;
  g_autoptr(AgenGenerator) outer = NULL;
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;

  g_test_summary ("close of the outer closes the inner first (its cleanup "
                  "runs, it is CLOSED), then yield_from returns FALSE + EXIT; "
                  "an outer that lets it out finishes the close with TRUE");

  inner_init (&inner_data, INNER_PROPAGATE, 3, NULL);
  inner = inner_new (&inner_data);
  outer_init (&outer_data, inner, &inner_data, OUTER_PROPAGATE);
  outer = outer_new (&outer_data);

  agen_test_next (outer, NULL, &r);
  g_assert_true (agen_test_close (outer, NULL, &r));
  g_assert_no_error (r.error);

  g_assert_error (inner_data.last_error, AGEN_ERROR, AGEN_ERROR_EXIT);
  g_assert_cmpuint (inner_data.cleanups, ==, 1);
  g_assert_false (outer_data.ret);
  g_assert_error (outer_data.error, AGEN_ERROR, AGEN_ERROR_EXIT);
  /* The inner was closed before yield_from returned */
  g_assert_cmpint (outer_data.inner_state_after, ==, AGEN_GENERATOR_STATE_CLOSED);
  g_assert_cmpuint (outer_data.inner_cleanups_after, ==, 1);
  g_assert_cmpint (agen_generator_get_state (outer), ==, AGEN_GENERATOR_STATE_CLOSED);
  g_assert_cmpuint (inner_data.destroyed, ==, 1);
  g_assert_cmpuint (outer_data.destroyed, ==, 1);
  inner_clear (&inner_data);
  outer_clear (&outer_data);
}

static void
test_close_inner_cleanup_awaits (void)
{
  InnerData inner_data;
  OuterData outer_data;
  g_autoptr(AgenGenerator) inner = NULL;
  g_autoptr(AgenGenerator) outer = NULL;
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;

  g_test_summary ("an inner closed through yield_from may await in its "
                  "cleanup; the outer's close completes after it, TRUE");

  inner_init (&inner_data, INNER_PROPAGATE, 3, NULL);
  inner_data.await_ms = 5;
  inner = inner_new (&inner_data);
  outer_init (&outer_data, inner, &inner_data, OUTER_PROPAGATE);
  outer = outer_new (&outer_data);

  agen_test_next (outer, NULL, &r);
  agen_test_assert_yielded_int (&r, 1);

  agen_test_result_clear (&r);
  agen_generator_close_async (outer, NULL, agen_test_close_cb, &r);
  g_assert_false (r.done);
  g_assert_cmpuint (inner_data.cleanups, ==, 0);
  g_assert_cmpint (agen_generator_get_state (outer), ==, AGEN_GENERATOR_STATE_RUNNING);
  agen_test_spin_until (&r.done, 5000);

  g_assert_true (r.ok);
  g_assert_no_error (r.error);
  g_assert_cmpuint (inner_data.cleanups, ==, 1);
  g_assert_cmpint (agen_generator_get_state (inner), ==, AGEN_GENERATOR_STATE_CLOSED);
  g_assert_cmpint (agen_generator_get_state (outer), ==, AGEN_GENERATOR_STATE_CLOSED);
  inner_clear (&inner_data);
  outer_clear (&outer_data);
}

static void
test_throw_exit_closes_inner (void)
{
  InnerData inner_data;
  OuterData outer_data;
  g_autoptr(AgenGenerator) inner = NULL;
  g_autoptr(AgenGenerator) outer = NULL;
  g_autoptr(GError) exit_error = g_error_new_literal (AGEN_ERROR, AGEN_ERROR_EXIT, "exit");
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;

  g_test_summary ("throw(EXIT) to the outer closes the inner (cleanup runs, "
                  "CLOSED) and yield_from returns FALSE + EXIT; as an "
                  "ordinary throw, the outer letting it out gives FALSE + EXIT");

  inner_init (&inner_data, INNER_PROPAGATE, 3, NULL);
  inner = inner_new (&inner_data);
  outer_init (&outer_data, inner, &inner_data, OUTER_PROPAGATE);
  outer = outer_new (&outer_data);

  agen_test_next (outer, NULL, &r);
  g_assert_false (agen_test_throw (outer, exit_error, NULL, &r));
  agen_test_assert_failed (&r, AGEN_ERROR, AGEN_ERROR_EXIT);

  g_assert_error (inner_data.last_error, AGEN_ERROR, AGEN_ERROR_EXIT);
  g_assert_cmpuint (inner_data.cleanups, ==, 1);
  g_assert_error (outer_data.error, AGEN_ERROR, AGEN_ERROR_EXIT);
  g_assert_cmpint (outer_data.inner_state_after, ==, AGEN_GENERATOR_STATE_CLOSED);
  g_assert_cmpint (agen_generator_get_state (outer), ==, AGEN_GENERATOR_STATE_CLOSED);
  inner_clear (&inner_data);
  outer_clear (&outer_data);
}

static void
test_throw_exit_closes_not_throws (void)
{
  InnerData inner_data;
  OuterData outer_data;
  g_autoptr(AgenGenerator) inner = NULL;
  g_autoptr(AgenGenerator) outer = NULL;
  g_autoptr(GError) exit_error = g_error_new_literal (AGEN_ERROR, AGEN_ERROR_EXIT, "exit");
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;

  g_test_summary ("throw(EXIT) reaches the inner as a close, not a throw: "
                  "an inner that yields on it fails that close with "
                  "IGNORED_EXIT, which yield_from returns");

  inner_init (&inner_data, INNER_CATCH_YIELD_ONCE, 3, NULL);
  inner = inner_new (&inner_data);
  outer_init (&outer_data, inner, &inner_data, OUTER_PROPAGATE);
  outer = outer_new (&outer_data);

  agen_test_next (outer, NULL, &r);
  g_assert_false (agen_test_throw (outer, exit_error, NULL, &r));
  agen_test_assert_failed (&r, AGEN_ERROR, AGEN_ERROR_IGNORED_EXIT);
  g_assert_error (outer_data.error, AGEN_ERROR, AGEN_ERROR_IGNORED_EXIT);
  g_assert_cmpint (agen_generator_get_state (outer), ==, AGEN_GENERATOR_STATE_CLOSED);

  /* The inner stays SUSPENDED at its second yield; close it for good */
  g_assert_cmpint (agen_generator_get_state (inner), ==, AGEN_GENERATOR_STATE_SUSPENDED);
  g_assert_true (agen_test_close (inner, NULL, &r));
  g_assert_no_error (r.error);
  g_assert_cmpint (agen_generator_get_state (inner), ==, AGEN_GENERATOR_STATE_CLOSED);
  inner_clear (&inner_data);
  outer_clear (&outer_data);
}

static void
test_close_inner_ignored_exit (void)
{
  InnerData inner_data;
  OuterData outer_data;
  g_autoptr(AgenGenerator) inner = NULL;
  g_autoptr(AgenGenerator) outer = NULL;
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;

  g_test_summary ("when the inner's close fails with IGNORED_EXIT, yield_from "
                  "returns that error instead of EXIT; the outer letting it "
                  "out fails its close with it and is CLOSED");

  inner_init (&inner_data, INNER_CATCH_YIELD_ONCE, 3, NULL);
  inner = inner_new (&inner_data);
  outer_init (&outer_data, inner, &inner_data, OUTER_PROPAGATE);
  outer = outer_new (&outer_data);

  agen_test_next (outer, NULL, &r);
  g_assert_false (agen_test_close (outer, NULL, &r));
  g_assert_error (r.error, AGEN_ERROR, AGEN_ERROR_IGNORED_EXIT);
  g_assert_error (outer_data.error, AGEN_ERROR, AGEN_ERROR_IGNORED_EXIT);
  g_assert_error (inner_data.last_error, AGEN_ERROR, AGEN_ERROR_EXIT);
  g_assert_cmpint (agen_generator_get_state (outer), ==, AGEN_GENERATOR_STATE_CLOSED);

  g_assert_cmpint (agen_generator_get_state (inner), ==, AGEN_GENERATOR_STATE_SUSPENDED);
  g_assert_true (agen_test_close (inner, NULL, &r));
  g_assert_no_error (r.error);
  g_assert_cmpuint (inner_data.cleanups, ==, 1);
  inner_clear (&inner_data);
  outer_clear (&outer_data);
}

static void
test_inner_raises (void)
{
  InnerData inner_data;
  OuterData outer_data;
  g_autoptr(AgenGenerator) inner = NULL;
  g_autoptr(AgenGenerator) outer = NULL;
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;

  g_test_summary ("an inner that raises makes yield_from return FALSE + its "
                  "error; an outer that lets it out fails the op with it");

  inner_init (&inner_data, INNER_PROPAGATE, 1, NULL);
  inner_data.raise_at_end = TRUE;
  inner = inner_new (&inner_data);
  outer_init (&outer_data, inner, &inner_data, OUTER_PROPAGATE);
  outer = outer_new (&outer_data);

  agen_test_next (outer, NULL, &r);
  agen_test_assert_yielded_int (&r, 1);
  g_assert_false (agen_test_next (outer, NULL, &r));
  agen_test_assert_failed (&r, AGEN_TEST_ERROR, AGEN_TEST_ERROR_BOOM);
  g_assert_cmpstr (r.error->message, ==, "inner boom");
  g_assert_error (outer_data.error, AGEN_TEST_ERROR, AGEN_TEST_ERROR_BOOM);
  g_assert_cmpint (agen_generator_get_state (inner), ==, AGEN_GENERATOR_STATE_CLOSED);
  g_assert_cmpint (agen_generator_get_state (outer), ==, AGEN_GENERATOR_STATE_CLOSED);
  inner_clear (&inner_data);
  outer_clear (&outer_data);
}

static void
test_inner_raises_outer_catches (void)
{
  InnerData inner_data;
  OuterData outer_data;
  g_autoptr(AgenGenerator) inner = NULL;
  g_autoptr(AgenGenerator) outer = NULL;
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;

  g_test_summary ("the outer may catch a FALSE from yield_from and yield "
                  "something else; the consumer gets TRUE + that value");

  inner_init (&inner_data, INNER_PROPAGATE, 1, NULL);
  inner_data.raise_at_end = TRUE;
  inner = inner_new (&inner_data);
  outer_init (&outer_data, inner, &inner_data, OUTER_CATCH);
  outer = outer_new (&outer_data);

  agen_test_next (outer, NULL, &r);
  agen_test_assert_yielded_int (&r, 1);
  g_assert_true (agen_test_next (outer, NULL, &r));
  g_assert_no_error (r.error);
  agen_test_assert_string (&r.value, "recovered");
  g_assert_error (outer_data.error, AGEN_TEST_ERROR, AGEN_TEST_ERROR_BOOM);
  g_assert_cmpint (agen_generator_get_state (outer), ==, AGEN_GENERATOR_STATE_SUSPENDED);

  g_assert_false (agen_test_next (outer, NULL, &r));
  agen_test_assert_finished (&r);
  inner_clear (&inner_data);
  outer_clear (&outer_data);
}

typedef struct
{
  AgenTestGate gate;
} BusyData;

static gboolean
busy_body (AgenGenerator  *self,
           gpointer        user_data,
           GError        **error)
{
  BusyData *data = user_data;

  if (!agen_test_gate_wait (&data->gate, self, error))
    return FALSE;
  return agen_test_yield_int (self, 1, NULL, error);
}

static void
test_inner_running (void)
{
  BusyData busy = { { NULL } };
  OuterData outer_data;
  g_autoptr(AgenGenerator) inner = agen_generator_new (busy_body, &busy, NULL);
  g_autoptr(AgenGenerator) outer = NULL;
  g_auto(AgenTestResult) inner_r = AGEN_TEST_RESULT_INIT;
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;

  g_test_summary ("yield_from on a busy (RUNNING) inner returns FALSE + "
                  "RUNNING and leaves the inner's op alone");

  agen_generator_next_async (inner, NULL, agen_test_next_cb, &inner_r);
  g_assert_cmpint (agen_generator_get_state (inner), ==, AGEN_GENERATOR_STATE_RUNNING);

  outer_init (&outer_data, inner, NULL, OUTER_PROPAGATE);
  outer = outer_new (&outer_data);
  g_assert_false (agen_test_next (outer, NULL, &r));
  agen_test_assert_failed (&r, AGEN_ERROR, AGEN_ERROR_RUNNING);
  g_assert_error (outer_data.error, AGEN_ERROR, AGEN_ERROR_RUNNING);
  g_assert_cmpint (agen_generator_get_state (outer), ==, AGEN_GENERATOR_STATE_CLOSED);

  /* The inner's own op is unaffected */
  g_assert_cmpint (agen_generator_get_state (inner), ==, AGEN_GENERATOR_STATE_RUNNING);
  g_assert_false (inner_r.done);
  agen_test_gate_open (&busy.gate);
  agen_test_spin_until (&inner_r.done, 5000);
  agen_test_assert_yielded_int (&inner_r, 1);

  g_assert_true (agen_test_close (inner, NULL, &r));
  outer_clear (&outer_data);
}

static void
test_self_is_running (void)
{
  OuterData outer_data;
  g_autoptr(AgenGenerator) outer = NULL;
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;

  g_test_summary ("yield_from on the generator's own self finds it RUNNING: "
                  "FALSE + RUNNING, which the body may handle");

  outer_init (&outer_data, NULL, NULL, OUTER_CATCH);
  outer = outer_new (&outer_data);
  outer_data.inner = outer;

  g_assert_true (agen_test_next (outer, NULL, &r));
  agen_test_assert_string (&r.value, "recovered");
  g_assert_false (outer_data.ret);
  g_assert_error (outer_data.error, AGEN_ERROR, AGEN_ERROR_RUNNING);

  g_assert_false (agen_test_next (outer, NULL, &r));
  agen_test_assert_finished (&r);
  outer_clear (&outer_data);
}

static void
test_inner_awaits (void)
{
  InnerData inner_data;
  OuterData outer_data;
  g_autoptr(AgenGenerator) inner = NULL;
  g_autoptr(AgenGenerator) outer = NULL;
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;
  gint i;

  g_test_summary ("an inner that awaits between yields: the outer stays "
                  "RUNNING meanwhile and its consumer gets every value");

  inner_init (&inner_data, INNER_PROPAGATE, 3, "awaited");
  inner_data.await_ms = 5;
  inner = inner_new (&inner_data);
  outer_init (&outer_data, inner, &inner_data, OUTER_PROPAGATE);
  outer = outer_new (&outer_data);

  for (i = 1; i <= 3; i++)
    {
      agen_test_result_clear (&r);
      agen_generator_next_async (outer, NULL, agen_test_next_cb, &r);
      g_assert_false (r.done);
      g_assert_cmpint (agen_generator_get_state (outer), ==, AGEN_GENERATOR_STATE_RUNNING);
      g_assert_true (agen_generator_get_running (outer));
      agen_test_spin_until (&r.done, 5000);
      agen_test_assert_yielded_int (&r, i);
    }

  g_assert_true (agen_test_next (outer, NULL, &r));
  agen_test_assert_string (&r.value, "awaited");
  g_assert_false (agen_test_next (outer, NULL, &r));
  agen_test_assert_finished (&r);
  inner_clear (&inner_data);
  outer_clear (&outer_data);
}

/* A deep chain ------------------------------------------------------------- */

#define CHAIN_DEPTH 100
#define CHAIN_VALUES 1000
#define CHAIN_BOTTOM_RV 5000

typedef struct _ChainLevel ChainLevel;

struct _ChainLevel
{
  ChainLevel    *below;      /* NULL for the innermost */
  AgenGenerator *gen;        /* weak */
  guint          destroyed;
};

static void
chain_destroy (gpointer user_data)
{
  ChainLevel *level = user_data;

  level->destroyed++;
}

static gboolean
chain_body (AgenGenerator  *self,
            gpointer        user_data,
            GError        **error)
{
  ChainLevel *level = user_data;
  g_autoptr(AgenGenerator) inner = NULL;
  g_auto(GValue) rv = G_VALUE_INIT;
  g_auto(GValue) out = G_VALUE_INIT;

  if (level->below == NULL)
    {
      gint i;

      for (i = 0; i < CHAIN_VALUES; i++)
        if (!agen_test_yield_int (self, i, NULL, error))
          return FALSE;

      agen_generator_set_return_value (self, agen_test_value_int (&out, CHAIN_BOTTOM_RV));
      return TRUE;
    }

  inner = agen_generator_new (chain_body, level->below, chain_destroy);
  level->below->gen = inner;
  g_object_add_weak_pointer (G_OBJECT (inner), (gpointer *) &level->below->gen);

  if (!agen_generator_yield_from (self, inner, &rv, error))
    return FALSE;

  g_assert_true (G_VALUE_HOLDS_INT (&rv));
  agen_generator_set_return_value (self, agen_test_value_int (&out, g_value_get_int (&rv) + 1));
  return TRUE;
}

/* Every inner generator was finalized (they are dropped by their outer
 * bodies) and every level's user data destroyed exactly once. */
static void
chain_assert_all_gone (ChainLevel *levels)
{
  guint i;

  for (i = 0; i < CHAIN_DEPTH; i++)
    {
      gint64 deadline = g_get_monotonic_time () + G_USEC_PER_SEC;

      while (levels[i].gen != NULL && g_get_monotonic_time () < deadline)
        g_main_context_iteration (NULL, FALSE);
      g_assert_null (levels[i].gen);
    }

  for (i = 0; i <= CHAIN_DEPTH; i++)
    g_assert_cmpuint (levels[i].destroyed, ==, 1);
}

static void
test_deep_chain (void)
{
  ChainLevel *levels = g_new0 (ChainLevel, CHAIN_DEPTH + 1);
  AgenGenerator *top;
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;
  g_auto(GValue) rv = G_VALUE_INIT;
  gint expected;
  guint i;

  g_test_summary ("a chain of 100 yield_from levels over an inner that yields "
                  "0..999: every value arrives exactly once, in order, and the "
                  "return value propagates to the top");

  for (i = 1; i <= CHAIN_DEPTH; i++)
    levels[i].below = &levels[i - 1];

  top = agen_generator_new (chain_body, &levels[CHAIN_DEPTH], chain_destroy);
  levels[CHAIN_DEPTH].gen = top;

  for (expected = 0; expected < CHAIN_VALUES; expected++)
    {
      g_assert_true (agen_test_next (top, NULL, &r));
      agen_test_assert_yielded_int (&r, expected);
    }

  g_assert_false (agen_test_next (top, NULL, &r));
  agen_test_assert_finished (&r);
  g_assert_true (agen_generator_get_return_value (top, &rv));
  agen_test_assert_int (&rv, CHAIN_BOTTOM_RV + CHAIN_DEPTH);

  agen_test_assert_finalized (top, 1000);
  chain_assert_all_gone (levels);
  g_free (levels);
}

static void
test_deep_chain_close (void)
{
  ChainLevel *levels = g_new0 (ChainLevel, CHAIN_DEPTH + 1);
  AgenGenerator *top;
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;
  guint i;

  g_test_summary ("closing the top of a 100-level yield_from chain closes "
                  "every level: close TRUE, all user data destroyed");

  for (i = 1; i <= CHAIN_DEPTH; i++)
    levels[i].below = &levels[i - 1];

  top = agen_generator_new (chain_body, &levels[CHAIN_DEPTH], chain_destroy);

  g_assert_true (agen_test_next (top, NULL, &r));
  agen_test_assert_yielded_int (&r, 0);
  g_assert_true (agen_test_next (top, NULL, &r));
  agen_test_assert_yielded_int (&r, 1);

  g_assert_true (agen_test_close (top, NULL, &r));
  g_assert_no_error (r.error);
  g_assert_cmpint (agen_generator_get_state (top), ==, AGEN_GENERATOR_STATE_CLOSED);
  for (i = 0; i <= CHAIN_DEPTH; i++)
    g_assert_cmpuint (levels[i].destroyed, ==, 1);

  agen_test_assert_finalized (top, 1000);
  chain_assert_all_gone (levels);
  g_free (levels);
}

/* The tests whose inner comes from inner_new(), run with each kind of inner */
typedef struct
{
  const char *name;
  GTestFunc   func;
} InnerTest;

static const InnerTest inner_tests[] = {
  { "empty-inner-returns-at-once", test_empty_inner_returns_at_once },
  { "empty-inner-without-return-value", test_empty_inner_without_return_value },
  { "values-forwarded", test_values_forwarded },
  { "send-forwarded", test_send_forwarded },
  { "send-none-is-next", test_send_none_is_next },
  { "throw-inner-catches-and-yields", test_throw_inner_catches_and_yields },
  { "throw-inner-catches-and-returns", test_throw_inner_catches_and_returns },
  { "throw-inner-reraises", test_throw_inner_reraises },
  { "close-closes-inner", test_close_closes_inner },
  { "close-inner-cleanup-awaits", test_close_inner_cleanup_awaits },
  { "throw-exit-closes-inner", test_throw_exit_closes_inner },
  { "throw-exit-closes-not-throws", test_throw_exit_closes_not_throws },
  { "close-inner-ignored-exit", test_close_inner_ignored_exit },
  { "inner-raises", test_inner_raises },
  { "inner-raises-outer-catches", test_inner_raises_outer_catches },
  { "inner-awaits", test_inner_awaits },
};

static void
run_with_fiber_inner (gconstpointer test)
{
  inner_driven = FALSE;
  ((const InnerTest *) test)->func ();
}

static void
run_with_driven_inner (gconstpointer test)
{
  inner_driven = TRUE;
  ((const InnerTest *) test)->func ();
}

int
main (int   argc,
      char *argv[])
{
  gsize i;

  g_test_init (&argc, &argv, NULL);

  for (i = 0; i < G_N_ELEMENTS (inner_tests); i++)
    {
      g_autofree char *path = g_strconcat ("/Agen/YieldFrom/", inner_tests[i].name, NULL);

      g_test_add_data_func (path, &inner_tests[i], run_with_fiber_inner);
    }
  g_test_add_func ("/Agen/YieldFrom/inner-running", test_inner_running);
  g_test_add_func ("/Agen/YieldFrom/self-is-running", test_self_is_running);
  g_test_add_func ("/Agen/YieldFrom/deep-chain", test_deep_chain);
  g_test_add_func ("/Agen/YieldFrom/deep-chain-close", test_deep_chain_close);

  for (i = 0; i < G_N_ELEMENTS (inner_tests); i++)
    {
      g_autofree char *path = g_strconcat ("/Agen/YieldFrom/driven-inner/", inner_tests[i].name, NULL);

      g_test_add_data_func (path, &inner_tests[i], run_with_driven_inner);
    }

  return g_test_run ();
}
