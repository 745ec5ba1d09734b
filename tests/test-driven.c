/* test-driven.c — generators whose body a binding drives by answering
 * steps (agen_generator_new_driven)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "agen-fiber-private.h"
#include "agen-test-util.h"

/* A counting body: yields 1, 2, …, n, then returns n. It records every
 * step and asserts that none runs on a fiber's stack. Answers inside the
 * step function, or from an idle when later is set. */
typedef struct
{
  int        n;
  int        next;
  gboolean   later;
  guint      steps;
  AgenStepKind last_kind;
  gboolean   in_step;
  gboolean   destroyed;
  gboolean   destroyed_in_step;
  AgenGenerator *gen;     /* for the idle's answer */
  GValue     pending;     /* what the idle answers: int yield, or unset = return */
} Counter;

static void
counter_destroy (gpointer data)
{
  Counter *c = data;

  g_assert_false (c->destroyed);
  c->destroyed = TRUE;
  c->destroyed_in_step = c->in_step;
  g_assert_null (agen_fiber_get_current ());
}

static gboolean
answer_later_cb (gpointer data)
{
  Counter *c = data;

  if (G_IS_VALUE (&c->pending))
    {
      agen_generator_answer_yield (c->gen, &c->pending);
      g_value_unset (&c->pending);
    }
  else
    {
      g_auto(GValue) rv = G_VALUE_INIT;

      agen_generator_answer_return (c->gen, agen_test_value_int (&rv, c->n));
    }
  return G_SOURCE_REMOVE;
}

static gboolean
counter_step (AgenGenerator  *gen,
              AgenStepKind    kind,
              GValue         *value,
              GError         *thrown,
              GCancellable   *cancellable,
              gpointer        user_data,
              GError        **error)
{
  Counter *c = user_data;
  g_auto(GValue) out = G_VALUE_INIT;

  g_assert_null (agen_fiber_get_current ());
  g_assert_false (c->in_step);
  c->steps++;
  c->last_kind = kind;

  if (kind == AGEN_STEP_THROW || kind == AGEN_STEP_CLOSE)
    {
      g_assert_nonnull (thrown);
      if (kind == AGEN_STEP_CLOSE)
        g_assert_error (thrown, AGEN_ERROR, AGEN_ERROR_EXIT);
      c->in_step = TRUE;
      agen_generator_answer_error (gen, thrown);
      c->in_step = FALSE;
      return TRUE;
    }

  if (kind == AGEN_STEP_SEND)
    {
      g_assert_nonnull (value);
      g_assert_true (G_VALUE_HOLDS_INT (value));
      c->next = g_value_get_int (value);
    }
  else
    {
      g_assert_null (value);
    }

  c->next++;
  if (c->later)
    {
      c->gen = gen;
      if (c->next <= c->n)
        agen_test_value_int (&c->pending, c->next);
      g_idle_add (answer_later_cb, c);
      return TRUE;
    }

  c->in_step = TRUE;
  if (c->next <= c->n)
    {
      agen_generator_answer_yield (gen, agen_test_value_int (&out, c->next));
    }
  else
    {
      agen_generator_answer_return (gen, agen_test_value_int (&out, c->n));
    }
  c->in_step = FALSE;
  return TRUE;
}

static void
assert_return_value (AgenGenerator *gen,
                     int            n)
{
  g_auto(GValue) rv = G_VALUE_INIT;

  g_assert_true (agen_generator_get_return_value (gen, &rv));
  agen_test_assert_int (&rv, n);
}

static void
test_async (void)
{
  Counter c = { .n = 3 };
  g_autoptr(AgenGenerator) gen = agen_generator_new_driven (counter_step, &c, counter_destroy);
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;

  g_test_summary ("a driven generator consumed with next_async yields what its "
                  "step function answers, then finishes with its return value; "
                  "the step function never runs inside the _async call");

  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_CREATED);

  agen_generator_next_async (gen, NULL, agen_test_next_cb, &r);
  g_assert_cmpuint (c.steps, ==, 0);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_RUNNING);
  g_assert_true (agen_generator_get_running (gen));
  while (!r.done)
    g_main_context_iteration (NULL, TRUE);
  agen_test_assert_yielded_int (&r, 1);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_SUSPENDED);

  for (int i = 2; i <= 3; i++)
    {
      agen_test_next (gen, NULL, &r);
      agen_test_assert_yielded_int (&r, i);
    }
  g_assert_false (agen_test_next (gen, NULL, &r));
  agen_test_assert_finished (&r);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_CLOSED);
  assert_return_value (gen, 3);
  g_assert_true (c.destroyed);
  g_assert_false (c.destroyed_in_step);
  g_assert_cmpuint (c.steps, ==, 4);

  g_assert_false (agen_test_next (gen, NULL, &r));
  agen_test_assert_finished (&r);
  g_assert_cmpuint (c.steps, ==, 4);
}

static void
test_blocking (void)
{
  Counter c = { .n = 3 };
  g_autoptr(AgenGenerator) gen = agen_generator_new_driven (counter_step, &c, counter_destroy);
  g_autoptr(GError) error = NULL;
  g_auto(GValue) v = G_VALUE_INIT;

  g_test_summary ("a driven generator consumed with the blocking next and send");

  for (int i = 1; i <= 2; i++)
    {
      g_assert_true (agen_generator_next (gen, NULL, &v, &error));
      g_assert_no_error (error);
      agen_test_assert_int (&v, i);
      g_value_unset (&v);
    }

  /* send: the step gets the value; the counter goes on from it. */
  {
    g_auto(GValue) sent = G_VALUE_INIT;

    c.n = 10;
    g_assert_true (agen_generator_send (gen, agen_test_value_int (&sent, 7), NULL, &v, &error));
    agen_test_assert_int (&v, 8);
    g_value_unset (&v);
    g_assert_cmpint (c.last_kind, ==, AGEN_STEP_SEND);
  }

  g_assert_true (agen_generator_close (gen, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (c.last_kind, ==, AGEN_STEP_CLOSE);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_CLOSED);
  g_assert_true (c.destroyed);
}

static void
test_answer_later (void)
{
  Counter c = { .n = 2, .later = TRUE };
  g_autoptr(AgenGenerator) gen = agen_generator_new_driven (counter_step, &c, counter_destroy);
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;
  g_autoptr(GError) error = NULL;
  g_auto(GValue) v = G_VALUE_INIT;

  g_test_summary ("a step answered later, from an idle: the generator stays "
                  "RUNNING meanwhile; async and blocking consumers both wait");

  g_assert_true (agen_generator_next (gen, NULL, &v, &error));
  agen_test_assert_int (&v, 1);

  agen_test_next (gen, NULL, &r);
  agen_test_assert_yielded_int (&r, 2);

  g_assert_false (agen_generator_next (gen, NULL, NULL, &error));
  g_assert_no_error (error);
  assert_return_value (gen, 2);
  g_assert_true (c.destroyed);
}

static void
record_state_cb (GObject    *object,
                 GParamSpec *pspec,
                 gpointer    data)
{
  int *last = data;

  *last = agen_generator_get_state (AGEN_GENERATOR (object));
}

/* Found by the fuzzer (tests/fuzz): a step function run inside a call
 * that waits for it (a blocking form, try_next, a yield_from from a
 * body) that returned without answering left the generator RUNNING
 * without notify::state saying so. */
static void
test_notify_unanswered_inline (void)
{
  Counter c = { .n = 1, .later = TRUE };
  g_autoptr(AgenGenerator) gen = agen_generator_new_driven (counter_step, &c, counter_destroy);
  g_autoptr(GError) error = NULL;
  int last = -1;

  g_test_summary ("notify::state reports RUNNING when a step run inside the "
                  "caller's call returns without answering");

  g_signal_connect (gen, "notify::state", G_CALLBACK (record_state_cb), &last);

  g_assert_false (agen_generator_try_next (gen, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_RUNNING);
  g_assert_cmpint (last, ==, AGEN_GENERATOR_STATE_RUNNING);

  while (last != AGEN_GENERATOR_STATE_SUSPENDED)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_SUSPENDED);
  g_assert_true (agen_generator_close (gen, NULL, NULL));
}

/* A body inside whose step the user data must not be freed: the step
 * returns, and only then may destroy run. */
static void
test_destroy_deferred (void)
{
  Counter c = { .n = 0 };
  g_autoptr(AgenGenerator) gen = agen_generator_new_driven (counter_step, &c, counter_destroy);
  g_autoptr(GError) error = NULL;

  g_test_summary ("answering return inside the step function finishes the "
                  "generator, but its user_data is destroyed only after the "
                  "step function returned");

  g_assert_false (agen_generator_next (gen, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (c.destroyed);
  g_assert_false (c.destroyed_in_step);
}

static gboolean
failing_step (AgenGenerator  *gen,
              AgenStepKind    kind,
              GValue         *value,
              GError         *thrown,
              GCancellable   *cancellable,
              gpointer        user_data,
              GError        **error)
{
  if (GPOINTER_TO_INT (user_data))
    g_set_error_literal (error, AGEN_TEST_ERROR, AGEN_TEST_ERROR_BOOM, "boom");
  return FALSE;
}

static void
test_step_fails (void)
{
  g_autoptr(AgenGenerator) with_error = agen_generator_new_driven (failing_step, GINT_TO_POINTER (1), NULL);
  g_autoptr(AgenGenerator) without = agen_generator_new_driven (failing_step, GINT_TO_POINTER (0), NULL);
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;

  g_test_summary ("a step function returning FALSE fails the step with its "
                  "error, or AGEN_ERROR_FAILED without one; the generator is "
                  "closed");

  g_assert_false (agen_test_next (with_error, NULL, &r));
  agen_test_assert_failed (&r, AGEN_TEST_ERROR, AGEN_TEST_ERROR_BOOM);
  g_assert_cmpint (agen_generator_get_state (with_error), ==, AGEN_GENERATOR_STATE_CLOSED);

  g_assert_false (agen_test_next (without, NULL, &r));
  agen_test_assert_failed (&r, AGEN_ERROR, AGEN_ERROR_FAILED);
  g_assert_cmpint (agen_generator_get_state (without), ==, AGEN_GENERATOR_STATE_CLOSED);
}

/* Keeps the generator whose step is pending, to answer it from the test. */
static gboolean
holding_step (AgenGenerator  *gen,
              AgenStepKind    kind,
              GValue         *value,
              GError         *thrown,
              GCancellable   *cancellable,
              gpointer        user_data,
              GError        **error)
{
  guint *steps = user_data;

  (*steps)++;
  return TRUE;
}

static gboolean
never_runs_body (AgenGenerator  *self,
                 gpointer        user_data,
                 GError        **error)
{
  g_assert_not_reached ();
}

static void
test_answer_misuse (void)
{
  guint steps = 0;
  g_autoptr(AgenGenerator) gen = agen_generator_new_driven (holding_step, &steps, NULL);
  g_autoptr(AgenGenerator) fiber = agen_generator_new (never_runs_body, NULL, NULL);
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;
  g_auto(GValue) v = G_VALUE_INIT;

  g_test_summary ("answering when no step waits (before the first, twice), or "
                  "answering a generator that is not driven, is a critical and "
                  "changes nothing");

  if (!g_test_undefined ())
    return;

  g_test_expect_message ("Agen", G_LOG_LEVEL_CRITICAL, "*no step waiting*");
  agen_generator_answer_yield (gen, agen_test_value_int (&v, 1));
  g_test_assert_expected_messages ();
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_CREATED);

  agen_generator_next_async (gen, NULL, agen_test_next_cb, &r);
  while (steps == 0)
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (r.done);
  g_value_unset (&v);
  agen_generator_answer_yield (gen, agen_test_value_int (&v, 5));

  g_test_expect_message ("Agen", G_LOG_LEVEL_CRITICAL, "*no step waiting*");
  agen_generator_answer_return (gen, NULL);
  g_test_assert_expected_messages ();
  while (!r.done)
    g_main_context_iteration (NULL, TRUE);
  agen_test_assert_yielded_int (&r, 5);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_SUSPENDED);

  g_test_expect_message ("Agen", G_LOG_LEVEL_CRITICAL, "*not driven*");
  agen_generator_answer_return (fiber, NULL);
  g_test_assert_expected_messages ();
  g_assert_cmpint (agen_generator_get_state (fiber), ==, AGEN_GENERATOR_STATE_CREATED);

  /* The pending generator is suspended: closing it asks the step. */
  agen_test_result_clear (&r);
  agen_generator_close_async (gen, NULL, agen_test_close_cb, &r);
  while (steps == 1)
    g_main_context_iteration (NULL, TRUE);
  {
    g_autoptr(GError) exit_error = g_error_new_literal (AGEN_ERROR, AGEN_ERROR_EXIT, "exit");

    agen_generator_answer_error (gen, exit_error);
  }
  while (!r.done)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (r.ok);
  g_assert_no_error (r.error);
}

/* Answers from another thread ------------------------------------------- */

typedef struct
{
  AgenGenerator *gen;
  int            next;
  int            n;
} ThreadAnswer;

static gpointer
answer_thread (gpointer data)
{
  ThreadAnswer *t = data;
  g_auto(GValue) v = G_VALUE_INIT;

  if (t->next <= t->n)
    agen_generator_answer_yield (t->gen, agen_test_value_int (&v, t->next));
  else
    agen_generator_answer_return (t->gen, agen_test_value_int (&v, t->n));
  return NULL;
}

static gboolean
thread_answer_step (AgenGenerator  *gen,
                    AgenStepKind    kind,
                    GValue         *value,
                    GError         *thrown,
                    GCancellable   *cancellable,
                    gpointer        user_data,
                    GError        **error)
{
  ThreadAnswer *t = user_data;

  t->gen = gen;
  t->next++;
  /* Joined at once: the answer is queued to the owner, which is busy
   * right here, so it can only take effect after this returns. */
  g_thread_join (g_thread_new ("answer", answer_thread, t));
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_RUNNING);
  return TRUE;
}

static void
test_answer_from_thread (void)
{
  ThreadAnswer t = { NULL, 0, 3 };
  g_autoptr(AgenGenerator) gen = agen_generator_new_driven (thread_answer_step, &t, NULL);
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;
  g_autoptr(GError) error = NULL;
  g_auto(GValue) v = G_VALUE_INIT;
  g_auto(GValue) rv = G_VALUE_INIT;

  g_test_summary ("answers given from another thread take effect on the "
                  "owner's thread: async and blocking consumers get them");

  agen_test_next (gen, NULL, &r);
  agen_test_assert_yielded_int (&r, 1);
  g_assert_true (agen_generator_next (gen, NULL, &v, &error));
  agen_test_assert_int (&v, 2);
  agen_test_next (gen, NULL, &r);
  agen_test_assert_yielded_int (&r, 3);
  g_assert_false (agen_test_next (gen, NULL, &r));
  agen_test_assert_finished (&r);
  g_assert_true (agen_generator_get_return_value (gen, &rv));
  agen_test_assert_int (&rv, 3);
}

static gboolean
answers_then_fails_step (AgenGenerator  *gen,
                         AgenStepKind    kind,
                         GValue         *value,
                         GError         *thrown,
                         GCancellable   *cancellable,
                         gpointer        user_data,
                         GError        **error)
{
  g_auto(GValue) v = G_VALUE_INIT;

  /* The close when the test drops it. */
  if (kind == AGEN_STEP_CLOSE)
    {
      agen_generator_answer_error (gen, thrown);
      return TRUE;
    }

  agen_generator_answer_yield (gen, agen_test_value_int (&v, 1));
  g_set_error_literal (error, AGEN_TEST_ERROR, AGEN_TEST_ERROR_BOOM, "late");
  /* TRUE with an error, or FALSE after answering: both are mistakes. */
  return GPOINTER_TO_INT (user_data);
}

static void
test_step_mistakes (void)
{
  g_autoptr(AgenGenerator) late_failure = agen_generator_new_driven (answers_then_fails_step, GINT_TO_POINTER (FALSE), NULL);
  g_autoptr(AgenGenerator) true_with_error = agen_generator_new_driven (answers_then_fails_step, GINT_TO_POINTER (TRUE), NULL);
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;

  g_test_summary ("a step function that fails after answering has its "
                  "failure dropped with a warning; one that returns TRUE with "
                  "an error set gets a critical; the answer stands in both");

  if (!g_test_undefined ())
    return;

  g_test_expect_message ("Agen", G_LOG_LEVEL_WARNING, "*failed after answering*late*");
  agen_test_next (late_failure, NULL, &r);
  g_test_assert_expected_messages ();
  agen_test_assert_yielded_int (&r, 1);

  g_test_expect_message ("Agen", G_LOG_LEVEL_CRITICAL, "*returned TRUE but set an error*");
  agen_test_next (true_with_error, NULL, &r);
  g_test_assert_expected_messages ();
  agen_test_assert_yielded_int (&r, 1);
}

typedef struct
{
  AgenGenerator *gen;
  guint          received;
  guint          target;
} PassLoop;

static void
pass_loop_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  PassLoop *loop = user_data;
  g_auto(GValue) v = G_VALUE_INIT;
  g_autoptr(GError) error = NULL;

  g_assert_true (agen_generator_next_finish (loop->gen, result, &v, &error));
  loop->received++;
  if (loop->received < loop->target)
    agen_generator_next_async (loop->gen, NULL, pass_loop_cb, loop);
}

static void
test_one_pass_per_item (void)
{
  Counter c = { .n = 1000 };
  g_autoptr(AgenGenerator) gen = agen_generator_new_driven (counter_step, &c, NULL);
  PassLoop loop = { gen, 0, 200 };
  guint passes = 0;

  g_test_summary ("a next_async loop over a driven generator whose step "
                  "answers at once takes one main-loop pass per item, as over "
                  "a fiber body: the answer's callback runs in the pass that "
                  "ran the step, never inside the _async call");

  agen_generator_next_async (gen, NULL, pass_loop_cb, &loop);
  g_assert_cmpuint (c.steps, ==, 0);
  while (loop.received < loop.target)
    {
      g_main_context_iteration (NULL, TRUE);
      passes++;
    }

  g_assert_cmpuint (c.steps, ==, loop.target);
  /* One pass per item, and never several items in one pass. */
  g_assert_cmpuint (passes, >=, loop.target);
  g_assert_cmpuint (passes, <=, loop.target + 2);
  agen_generator_close (gen, NULL, NULL);
}

/* A chain of 50 generators, fiber and driven in turn ----------------------- */

#define CHAIN_LEVELS 50

/* The innermost: yields 1; then doubles what is sent, yields 99 for a
 * throw it catches, returns 0 when sent -1, and notes a close. */
static gboolean
echo_body (AgenGenerator  *self,
           gpointer        user_data,
           GError        **error)
{
  gboolean *closed = user_data;
  int out = 1;

  for (;;)
    {
      g_auto(GValue) sent = G_VALUE_INIT;
      GError *resume_error = NULL;

      if (!agen_test_yield_int (self, out, &sent, &resume_error))
        {
          if (g_error_matches (resume_error, AGEN_ERROR, AGEN_ERROR_EXIT))
            {
              *closed = TRUE;
              g_propagate_error (error, resume_error);
              return FALSE;
            }
          g_assert_error (resume_error, AGEN_TEST_ERROR, AGEN_TEST_ERROR_BOOM);
          g_clear_error (&resume_error);
          out = 99;
          continue;
        }

      if (G_VALUE_HOLDS_INT (&sent) && g_value_get_int (&sent) == -1)
        {
          g_auto(GValue) rv = G_VALUE_INIT;

          agen_generator_set_return_value (self, agen_test_value_int (&rv, 0));
          return TRUE;
        }
      out = G_VALUE_HOLDS_INT (&sent) ? 2 * g_value_get_int (&sent) : out + 1;
    }
}

/* A fiber level: yield_from the inner, return its return value + 1. */
static gboolean
delegate_body (AgenGenerator  *self,
               gpointer        user_data,
               GError        **error)
{
  AgenGenerator *inner = user_data;
  g_auto(GValue) rv = G_VALUE_INIT;
  g_auto(GValue) mine = G_VALUE_INIT;

  if (!agen_generator_yield_from (self, inner, &rv, error))
    return FALSE;

  agen_generator_set_return_value (self, agen_test_value_int (&mine, g_value_get_int (&rv) + 1));
  return TRUE;
}

/* A driven level: relays each step to the inner with the async calls, as
 * a binding's own "yield from" would, and answers from their callbacks. */
typedef struct
{
  AgenGenerator *self;
  AgenGenerator *inner;   /* owned */
  guint          steps;
} Relay;

static void
relay_free (gpointer data)
{
  Relay *relay = data;

  g_assert_null (agen_fiber_get_current ());
  g_object_unref (relay->inner);
  g_free (relay);
}

static void
relay_step_done (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Relay *relay = user_data;
  g_auto(GValue) value = G_VALUE_INIT;
  g_autoptr(GError) error = NULL;

  g_assert_null (agen_fiber_get_current ());

  /* next_finish reads any of next/send/throw's results alike here: they
   * share a source tag only by kind, so finish by the right one. */
  if (g_async_result_is_tagged (result, agen_generator_close_async))
    {
      if (agen_generator_close_finish (relay->inner, result, &error))
        {
          g_autoptr(GError) exit_error = g_error_new_literal (AGEN_ERROR, AGEN_ERROR_EXIT, "exit");

          agen_generator_answer_error (relay->self, exit_error);
        }
      else
        agen_generator_answer_error (relay->self, error);
      return;
    }

  if ((g_async_result_is_tagged (result, agen_generator_next_async) &&
       agen_generator_next_finish (relay->inner, result, &value, &error)) ||
      (g_async_result_is_tagged (result, agen_generator_send_async) &&
       agen_generator_send_finish (relay->inner, result, &value, &error)) ||
      (g_async_result_is_tagged (result, agen_generator_throw_async) &&
       agen_generator_throw_finish (relay->inner, result, &value, &error)))
    {
      agen_generator_answer_yield (relay->self, &value);
    }
  else if (error != NULL)
    {
      agen_generator_answer_error (relay->self, error);
    }
  else
    {
      g_auto(GValue) rv = G_VALUE_INIT;
      g_auto(GValue) mine = G_VALUE_INIT;

      g_assert_true (agen_generator_get_return_value (relay->inner, &rv));
      agen_generator_answer_return (relay->self,
                                    agen_test_value_int (&mine, g_value_get_int (&rv) + 1));
    }
}

static gboolean
relay_step (AgenGenerator  *gen,
            AgenStepKind    kind,
            GValue         *value,
            GError         *thrown,
            GCancellable   *cancellable,
            gpointer        user_data,
            GError        **error)
{
  Relay *relay = user_data;

  g_assert_null (agen_fiber_get_current ());
  relay->self = gen;
  relay->steps++;

  switch (kind)
    {
    case AGEN_STEP_SEND:
      agen_generator_send_async (relay->inner, value, cancellable, relay_step_done, relay);
      break;
    case AGEN_STEP_THROW:
      agen_generator_throw_async (relay->inner, thrown, cancellable, relay_step_done, relay);
      break;
    case AGEN_STEP_CLOSE:
      agen_generator_close_async (relay->inner, cancellable, relay_step_done, relay);
      break;
    case AGEN_STEP_NEXT:
    default:
      agen_generator_next_async (relay->inner, cancellable, relay_step_done, relay);
      break;
    }
  return TRUE;
}

/* Builds the chain; gens[0] is the innermost, gens[CHAIN_LEVELS - 1] the
 * one to consume. Odd levels are driven. Borrowed pointers: each level
 * owns its inner, the caller the outermost. */
static AgenGenerator *
build_chain (gboolean       *closed,
             AgenGenerator **gens)
{
  gens[0] = agen_generator_new (echo_body, closed, NULL);
  for (int i = 1; i < CHAIN_LEVELS; i++)
    {
      if (i % 2 == 1)
        {
          Relay *relay = g_new0 (Relay, 1);

          relay->inner = gens[i - 1];
          gens[i] = agen_generator_new_driven (relay_step, relay, relay_free);
        }
      else
        {
          gens[i] = agen_generator_new (delegate_body, gens[i - 1], g_object_unref);
        }
    }
  return gens[CHAIN_LEVELS - 1];
}

/* One op on the outermost, blocking or async; the outcome in r. */
typedef enum { OP_NEXT, OP_SEND, OP_THROW, OP_CLOSE } ChainOp;

static void
chain_op (AgenGenerator  *gen,
          gboolean        blocking,
          ChainOp         op,
          int             send,
          AgenTestResult *r)
{
  g_auto(GValue) in = G_VALUE_INIT;
  g_autoptr(GError) boom = g_error_new_literal (AGEN_TEST_ERROR, AGEN_TEST_ERROR_BOOM, "boom");

  if (!blocking)
    {
      switch (op)
        {
        case OP_NEXT: agen_test_next (gen, NULL, r); break;
        case OP_SEND: agen_test_send (gen, agen_test_value_int (&in, send), NULL, r); break;
        case OP_THROW: agen_test_throw (gen, boom, NULL, r); break;
        case OP_CLOSE: default: agen_test_close (gen, NULL, r); break;
        }
      return;
    }

  agen_test_result_clear (r);
  switch (op)
    {
    case OP_NEXT:
      r->ok = agen_generator_next (gen, NULL, &r->value, &r->error);
      break;
    case OP_SEND:
      r->ok = agen_generator_send (gen, agen_test_value_int (&in, send), NULL, &r->value, &r->error);
      break;
    case OP_THROW:
      r->ok = agen_generator_throw (gen, boom, NULL, &r->value, &r->error);
      break;
    case OP_CLOSE:
    default:
      r->ok = agen_generator_close (gen, NULL, &r->error);
      break;
    }
  r->done = TRUE;
}

static void
run_chain (gboolean blocking)
{
  AgenGenerator *gens[CHAIN_LEVELS];
  gboolean closed = FALSE;
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;
  g_autoptr(AgenGenerator) outer = build_chain (&closed, gens);
  g_autoptr(AgenGenerator) finishing = NULL;
  g_auto(GValue) rv = G_VALUE_INIT;

  /* next, send, throw and close reach the innermost and come back out. */
  chain_op (outer, blocking, OP_NEXT, 0, &r);
  agen_test_assert_yielded_int (&r, 1);
  chain_op (outer, blocking, OP_SEND, 21, &r);
  agen_test_assert_yielded_int (&r, 42);
  chain_op (outer, blocking, OP_THROW, 0, &r);
  agen_test_assert_yielded_int (&r, 99);
  chain_op (outer, blocking, OP_NEXT, 0, &r);
  agen_test_assert_yielded_int (&r, 100);
  for (int i = 0; i < CHAIN_LEVELS; i++)
    g_assert_cmpint (agen_generator_get_state (gens[i]), ==, AGEN_GENERATOR_STATE_SUSPENDED);

  chain_op (outer, blocking, OP_CLOSE, 0, &r);
  g_assert_no_error (r.error);
  g_assert_true (r.ok);
  g_assert_true (closed);
  g_assert_cmpint (agen_generator_get_state (outer), ==, AGEN_GENERATOR_STATE_CLOSED);

  /* A return value, one more at every level. */
  closed = FALSE;
  finishing = build_chain (&closed, gens);
  chain_op (finishing, blocking, OP_NEXT, 0, &r);
  agen_test_assert_yielded_int (&r, 1);
  chain_op (finishing, blocking, OP_SEND, -1, &r);
  agen_test_assert_finished (&r);
  g_assert_false (closed);
  g_assert_true (agen_generator_get_return_value (finishing, &rv));
  agen_test_assert_int (&rv, CHAIN_LEVELS - 1);
}

static void
test_chain_blocking (void)
{
  g_test_summary ("a chain of 50 generators, fiber and driven in turn, each "
                  "delegating to the next: next, send, throw and close pass "
                  "through, the return value comes back out; blocking consumer; "
                  "no step function runs on a fiber");
  run_chain (TRUE);
}

static void
test_chain_async (void)
{
  g_test_summary ("the same chain of 50 with the async consumer calls");
  run_chain (FALSE);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Agen/Driven/async", test_async);
  g_test_add_func ("/Agen/Driven/blocking", test_blocking);
  g_test_add_func ("/Agen/Driven/answer-later", test_answer_later);
  g_test_add_func ("/Agen/Driven/notify-unanswered-inline", test_notify_unanswered_inline);
  g_test_add_func ("/Agen/Driven/destroy-deferred", test_destroy_deferred);
  g_test_add_func ("/Agen/Driven/step-fails", test_step_fails);
  g_test_add_func ("/Agen/Driven/answer-misuse", test_answer_misuse);
  g_test_add_func ("/Agen/Driven/answer-from-thread", test_answer_from_thread);
  g_test_add_func ("/Agen/Driven/step-mistakes", test_step_mistakes);
  g_test_add_func ("/Agen/Driven/one-pass-per-item", test_one_pass_per_item);
  g_test_add_func ("/Agen/Driven/chain-blocking", test_chain_blocking);
  g_test_add_func ("/Agen/Driven/chain-async", test_chain_async);

  return g_test_run ();
}
