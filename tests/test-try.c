/* test-try.c — try_next and wait: synchronous completion for bindings
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "agen-test-util.h"

/* A body that yields 0 .. n-1; before the items listed in await_before
 * (a bit mask) it awaits a gate; on an exit it counts a cleanup. */
typedef struct
{
  int           n;
  guint         await_before;
  AgenTestGate  gate;
  guint         cleanups;
  gboolean      honour_cancel;   /* await a read of quiet instead of the gate */
  GInputStream *quiet;           /* nothing ever arrives */
} Body;

/* Awaits a read that only the step's cancellable ends. */
static gboolean
read_nothing (AgenGenerator  *self,
              GInputStream   *stream,
              GError        **error)
{
  char byte;

  g_input_stream_read_async (stream, &byte, 1, G_PRIORITY_DEFAULT,
                             agen_generator_get_cancellable (self),
                             AGEN_AWAIT_CALLBACK (self));
  return g_input_stream_read_finish (stream, agen_generator_await (self), error) >= 0;
}

static gboolean
body_func (AgenGenerator *self,
           gpointer       data,
           GError       **error)
{
  Body *body = data;
  GError *local = NULL;

  for (int i = 0; i < body->n; i++)
    {
      g_auto(GValue) v = G_VALUE_INIT;

      if (body->await_before & (1u << i))
        {
          if (body->honour_cancel)
            {
              if (!read_nothing (self, body->quiet, &local))
                {
                  /* Handled: the item after the cancellation is a string. */
                  g_assert_error (local, G_IO_ERROR, G_IO_ERROR_CANCELLED);
                  g_clear_error (&local);
                  if (!agen_test_yield_string (self, "cancelled", NULL, error))
                    return FALSE;
                  continue;
                }
            }
          else if (!agen_test_gate_wait (&body->gate, self, error))
            return FALSE;
        }

      if (!agen_generator_yield (self, agen_test_value_int (&v, i), NULL, &local))
        {
          body->cleanups++;
          g_propagate_error (error, local);
          return FALSE;
        }
    }

  return TRUE;
}

static AgenGenerator *
body_new (Body *body)
{
  return agen_generator_new (body_func, body, NULL);
}

/* Closes gen before the test's Body goes out of scope. */
static void
close_now (AgenGenerator *gen)
{
  GError *error = NULL;

  g_assert_true (agen_generator_close (gen, NULL, &error));
  g_assert_no_error (error);
}

static void
assert_would_block (AgenGenerator *gen)
{
  g_auto(GValue) v = G_VALUE_INIT;
  GError *error = NULL;

  g_assert_false (agen_generator_try_next (gen, &v, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
  agen_test_assert_none (&v);
  g_clear_error (&error);
}

static void
wait_cb (GObject      *source,
         GAsyncResult *res,
         gpointer      user_data)
{
  AgenTestResult *result = user_data;

  g_assert_false (result->done);
  result->ok = agen_generator_wait_finish (AGEN_GENERATOR (source), res,
                                           &result->value, &result->error);
  result->done = TRUE;
}

/* Starts a wait, checks it does not call back inside the call, and spins
 * until it does. */
static gboolean
wait_for (AgenGenerator  *gen,
          GCancellable   *cancellable,
          AgenTestResult *result)
{
  agen_test_result_clear (result);
  agen_generator_wait_async (gen, cancellable, wait_cb, result);
  g_assert_false (result->done);
  agen_test_spin_until (&result->done, 5000);
  return result->ok;
}

static void
test_try_yields_at_once (void)
{
  Body body = { .n = 3 };
  g_autoptr(AgenGenerator) gen = body_new (&body);
  GError *error = NULL;

  for (int i = 0; i < 3; i++)
    {
      g_auto(GValue) v = G_VALUE_INIT;

      g_assert_true (agen_generator_try_next (gen, &v, &error));
      g_assert_no_error (error);
      agen_test_assert_int (&v, i);
      g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_SUSPENDED);
    }

  for (int i = 0; i < 2; i++)
    {
      g_auto(GValue) v = G_VALUE_INIT;

      g_assert_false (agen_generator_try_next (gen, &v, &error));
      g_assert_no_error (error);
      agen_test_assert_none (&v);
      g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_CLOSED);
    }

  /* value is optional. */
  g_assert_false (agen_generator_try_next (gen, NULL, &error));
  g_assert_no_error (error);
}

static gboolean
fail_func (AgenGenerator *self,
           gpointer       data,
           GError       **error)
{
  g_set_error_literal (error, AGEN_TEST_ERROR, AGEN_TEST_ERROR_BOOM, "boom");
  return FALSE;
}

static void
test_try_failure (void)
{
  g_autoptr(AgenGenerator) gen = agen_generator_new (fail_func, NULL, NULL);
  g_auto(GValue) v = G_VALUE_INIT;
  GError *error = NULL;

  g_assert_false (agen_generator_try_next (gen, &v, &error));
  g_assert_error (error, AGEN_TEST_ERROR, AGEN_TEST_ERROR_BOOM);
  agen_test_assert_none (&v);
  g_clear_error (&error);
}

static void
test_try_awaits_then_wait (void)
{
  Body body = { .n = 3, .await_before = 0x2 };
  g_autoptr(AgenGenerator) gen = body_new (&body);
  g_auto(AgenTestResult) result = AGEN_TEST_RESULT_INIT;
  g_auto(GValue) v = G_VALUE_INIT;
  GError *error = NULL;

  g_assert_true (agen_generator_try_next (gen, &v, &error));
  agen_test_assert_int (&v, 0);
  g_value_unset (&v);

  assert_would_block (gen);
  g_assert_true (agen_generator_get_running (gen));
  g_assert_true (agen_test_gate_waiting (&body.gate));

  agen_test_gate_open (&body.gate);
  g_assert_true (wait_for (gen, NULL, &result));
  agen_test_assert_yielded_int (&result, 1);

  g_assert_true (agen_generator_try_next (gen, &v, &error));
  agen_test_assert_int (&v, 2);
  g_value_unset (&v);
  g_assert_false (agen_generator_try_next (gen, &v, &error));
  g_assert_no_error (error);
}

/* The step ends before anyone waits: the next try_next (or the wait)
 * returns its outcome. */
static void
test_try_outcome_before_wait (void)
{
  Body body = { .n = 3, .await_before = 0x3 };
  g_autoptr(AgenGenerator) gen = body_new (&body);
  g_auto(AgenTestResult) result = AGEN_TEST_RESULT_INIT;
  g_auto(GValue) v = G_VALUE_INIT;
  GError *error = NULL;
  gboolean idle_ran = FALSE;

  assert_would_block (gen);
  agen_test_gate_open (&body.gate);
  while (agen_test_gate_waiting (&body.gate) || !idle_ran)
    {
      g_main_context_iteration (NULL, TRUE);
      idle_ran = !agen_generator_get_running (gen);
    }

  /* Delivered by try_next. */
  g_assert_true (agen_generator_try_next (gen, &v, &error));
  g_assert_no_error (error);
  agen_test_assert_int (&v, 0);
  g_value_unset (&v);

  /* Delivered by wait. */
  assert_would_block (gen);
  agen_test_gate_open (&body.gate);
  while (agen_generator_get_running (gen))
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (wait_for (gen, NULL, &result));
  agen_test_assert_yielded_int (&result, 1);

  close_now (gen);
}

static void
test_try_refuses_to_overtake (void)
{
  Body body = { .n = 3 };
  g_autoptr(AgenGenerator) gen = body_new (&body);
  g_auto(AgenTestResult) result = AGEN_TEST_RESULT_INIT;
  g_auto(GValue) v = G_VALUE_INIT;
  GError *error = NULL;

  /* next_async's body yields inside the call; its callback is queued. */
  agen_generator_next_async (gen, NULL, agen_test_next_cb, &result);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_SUSPENDED);

  g_assert_false (agen_generator_try_next (gen, &v, &error));
  g_assert_error (error, AGEN_ERROR, AGEN_ERROR_RUNNING);
  g_clear_error (&error);
  agen_test_assert_none (&v);
  g_value_unset (&v);

  agen_test_spin_until (&result.done, 5000);
  agen_test_assert_yielded_int (&result, 0);

  g_assert_true (agen_generator_try_next (gen, &v, &error));
  agen_test_assert_int (&v, 1);

  close_now (gen);
}

static void
test_try_other_ops_refused (void)
{
  Body body = { .n = 3, .await_before = 0x1 };
  g_autoptr(AgenGenerator) gen = body_new (&body);
  g_auto(AgenTestResult) result = AGEN_TEST_RESULT_INIT;
  g_auto(GValue) v = G_VALUE_INIT;
  GError *error = NULL;

  assert_would_block (gen);

  /* Running. */
  g_assert_false (agen_generator_next (gen, NULL, &v, &error));
  g_assert_error (error, AGEN_ERROR, AGEN_ERROR_RUNNING);
  g_clear_error (&error);
  g_value_unset (&v);
  g_assert_false (agen_generator_try_next (gen, &v, &error));
  g_assert_error (error, AGEN_ERROR, AGEN_ERROR_RUNNING);
  g_clear_error (&error);
  g_value_unset (&v);

  /* Ended, not collected: the blocking and async forms, next_many too. */
  agen_test_gate_open (&body.gate);
  while (agen_generator_get_running (gen))
    g_main_context_iteration (NULL, TRUE);

  g_assert_false (agen_generator_next (gen, NULL, &v, &error));
  g_assert_error (error, AGEN_ERROR, AGEN_ERROR_RUNNING);
  g_assert_nonnull (strstr (error->message, "has not collected"));
  g_clear_error (&error);
  g_value_unset (&v);
  g_assert_false (agen_test_next (gen, NULL, &result));
  agen_test_assert_failed (&result, AGEN_ERROR, AGEN_ERROR_RUNNING);

  /* The wait still has it. */
  g_assert_true (wait_for (gen, NULL, &result));
  agen_test_assert_yielded_int (&result, 0);

  g_assert_true (agen_generator_next (gen, NULL, &v, &error));
  agen_test_assert_int (&v, 1);

  close_now (gen);
}

/* A close discards an outcome nobody collected, and closes the body. */
static void
test_try_close_discards (void)
{
  Body body = { .n = 3, .await_before = 0x1 };
  g_autoptr(AgenGenerator) gen = body_new (&body);
  GError *error = NULL;

  assert_would_block (gen);
  agen_test_gate_open (&body.gate);
  while (agen_generator_get_running (gen))
    g_main_context_iteration (NULL, TRUE);

  g_assert_true (agen_generator_close (gen, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (body.cleanups, ==, 1);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_CLOSED);
}

/* A step nobody waits for holds the generator only while it runs. */
static void
test_try_unwaited_step_releases (void)
{
  Body body = { .n = 3, .await_before = 0x1 };
  AgenGenerator *gen = body_new (&body);
  gint finalized = 0;

  agen_test_watch_finalize (gen, &finalized);
  assert_would_block (gen);
  g_object_unref (gen);
  g_assert_cmpint (g_atomic_int_get (&finalized), ==, 0);

  /* The body yields into the step; the generator, dropped while suspended,
   * is closed (cleanup) and finalized. */
  agen_test_gate_open (&body.gate);
  agen_test_spin_until_atomic (&finalized, 1, 5000);
  g_assert_cmpuint (body.cleanups, ==, 1);
}

/* An outcome that ends the generator, never collected, is freed with it
 * (valgrind and ASan check the error is not leaked). */
static gboolean
gate_then_fail_func (AgenGenerator *self,
                     gpointer       data,
                     GError       **error)
{
  if (!agen_test_gate_wait (data, self, error))
    return FALSE;
  g_set_error_literal (error, AGEN_TEST_ERROR, AGEN_TEST_ERROR_BOOM, "boom");
  return FALSE;
}

static void
test_try_uncollected_failure_freed (void)
{
  AgenTestGate gate = { NULL };
  AgenGenerator *gen = agen_generator_new (gate_then_fail_func, &gate, NULL);

  assert_would_block (gen);
  agen_test_gate_open (&gate);
  while (agen_generator_get_running (gen))
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_CLOSED);
  agen_test_assert_finalized (gen, 5000);
}

static void
test_try_wait_cancelled (void)
{
  Body body = { .n = 2, .await_before = 0x1, .honour_cancel = TRUE };
  g_autoptr(AgenGenerator) gen = body_new (&body);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_auto(AgenTestResult) result = AGEN_TEST_RESULT_INIT;
  g_auto(GValue) v = G_VALUE_INIT;
  GError *error = NULL;

  g_autoptr(GIOStream) a = NULL;
  g_autoptr(GIOStream) b = NULL;

  agen_test_socket_pair (&a, &b);
  body.quiet = g_io_stream_get_input_stream (b);
  assert_would_block (gen);
  agen_generator_wait_async (gen, cancellable, wait_cb, &result);
  g_cancellable_cancel (cancellable);
  agen_test_spin_until (&result.done, 5000);

  /* The value the body yielded after handling the cancellation. */
  g_assert_no_error (result.error);
  g_assert_true (result.ok);
  agen_test_assert_string (&result.value, "cancelled");

  g_assert_true (agen_generator_try_next (gen, &v, &error));
  agen_test_assert_int (&v, 1);

  close_now (gen);
}

static void
test_try_wait_already_cancelled (void)
{
  Body body = { .n = 2, .await_before = 0x1, .honour_cancel = TRUE };
  g_autoptr(AgenGenerator) gen = body_new (&body);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_auto(AgenTestResult) result = AGEN_TEST_RESULT_INIT;

  g_autoptr(GIOStream) a = NULL;
  g_autoptr(GIOStream) b = NULL;

  agen_test_socket_pair (&a, &b);
  body.quiet = g_io_stream_get_input_stream (b);
  assert_would_block (gen);
  g_cancellable_cancel (cancellable);
  g_assert_true (wait_for (gen, cancellable, &result));
  agen_test_assert_string (&result.value, "cancelled");

  close_now (gen);
}

static void
test_try_wait_misuse (void)
{
  Body body = { .n = 2, .await_before = 0x1 };
  g_autoptr(AgenGenerator) gen = body_new (&body);
  g_auto(AgenTestResult) first = AGEN_TEST_RESULT_INIT;
  g_auto(AgenTestResult) result = AGEN_TEST_RESULT_INIT;

  /* Nothing to wait for. */
  g_assert_false (wait_for (gen, NULL, &result));
  agen_test_assert_failed (&result, AGEN_ERROR, AGEN_ERROR_FAILED);

  /* A second wait. */
  assert_would_block (gen);
  agen_generator_wait_async (gen, NULL, wait_cb, &first);
  g_assert_false (wait_for (gen, NULL, &result));
  agen_test_assert_failed (&result, AGEN_ERROR, AGEN_ERROR_RUNNING);
  g_assert_false (first.done);

  agen_test_gate_open (&body.gate);
  agen_test_spin_until (&first.done, 5000);
  agen_test_assert_yielded_int (&first, 0);

  close_now (gen);
}

static gpointer
try_on_other_thread (gpointer data)
{
  AgenGenerator *gen = data;
  g_auto(GValue) v = G_VALUE_INIT;
  GError *error = NULL;

  g_assert_false (agen_generator_try_next (gen, &v, &error));
  g_assert_error (error, AGEN_ERROR, AGEN_ERROR_WRONG_CONTEXT);
  agen_test_assert_none (&v);
  g_clear_error (&error);
  return NULL;
}

static void
test_try_wrong_thread (void)
{
  Body body = { .n = 2 };
  g_autoptr(AgenGenerator) gen = body_new (&body);
  g_auto(GValue) v = G_VALUE_INIT;
  GError *error = NULL;

  g_assert_true (agen_generator_try_next (gen, &v, &error));
  g_thread_join (g_thread_new ("other", try_on_other_thread, gen));

  close_now (gen);
}

/* Driven: the step function runs inside try_next; answered later, the
 * wait collects the answer; the step has a cancellable. */
typedef struct
{
  int            next;
  gboolean       later;
  GCancellable  *cancellable;
  AgenGenerator *gen;
} Driven;

static gboolean
driven_answer_cb (gpointer data)
{
  Driven *d = data;
  g_auto(GValue) v = G_VALUE_INIT;

  agen_generator_answer_yield (d->gen, agen_test_value_int (&v, d->next++));
  return G_SOURCE_REMOVE;
}

static gboolean
driven_step (AgenGenerator  *gen,
             AgenStepKind    kind,
             GValue         *value,
             GError         *thrown,
             GCancellable   *cancellable,
             gpointer        user_data,
             GError        **error)
{
  Driven *d = user_data;

  if (kind == AGEN_STEP_CLOSE)
    {
      agen_generator_answer_return (gen, NULL);
      return TRUE;
    }

  g_assert_true (G_IS_CANCELLABLE (cancellable));
  g_set_object (&d->cancellable, cancellable);
  d->gen = gen;
  if (d->later)
    g_idle_add (driven_answer_cb, d);
  else
    driven_answer_cb (d);
  return TRUE;
}

static void
test_try_driven (void)
{
  Driven d = { 0 };
  g_autoptr(AgenGenerator) gen = agen_generator_new_driven (driven_step, &d, NULL);
  g_auto(AgenTestResult) result = AGEN_TEST_RESULT_INIT;
  g_auto(GValue) v = G_VALUE_INIT;
  GError *error = NULL;

  g_assert_true (agen_generator_try_next (gen, &v, &error));
  agen_test_assert_int (&v, 0);

  d.later = TRUE;
  assert_would_block (gen);
  g_assert_true (wait_for (gen, NULL, &result));
  agen_test_assert_yielded_int (&result, 1);

  g_clear_object (&d.cancellable);

  close_now (gen);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Agen/Try/yields-at-once", test_try_yields_at_once);
  g_test_add_func ("/Agen/Try/failure", test_try_failure);
  g_test_add_func ("/Agen/Try/awaits-then-wait", test_try_awaits_then_wait);
  g_test_add_func ("/Agen/Try/outcome-before-wait", test_try_outcome_before_wait);
  g_test_add_func ("/Agen/Try/refuses-to-overtake", test_try_refuses_to_overtake);
  g_test_add_func ("/Agen/Try/other-ops-refused", test_try_other_ops_refused);
  g_test_add_func ("/Agen/Try/close-discards", test_try_close_discards);
  g_test_add_func ("/Agen/Try/unwaited-step-releases", test_try_unwaited_step_releases);
  g_test_add_func ("/Agen/Try/uncollected-failure-freed", test_try_uncollected_failure_freed);
  g_test_add_func ("/Agen/Try/wait-cancelled", test_try_wait_cancelled);
  g_test_add_func ("/Agen/Try/wait-already-cancelled", test_try_wait_already_cancelled);
  g_test_add_func ("/Agen/Try/wait-misuse", test_try_wait_misuse);
  g_test_add_func ("/Agen/Try/wrong-thread", test_try_wrong_thread);
  g_test_add_func ("/Agen/Try/driven", test_try_driven);

  return g_test_run ();
}
