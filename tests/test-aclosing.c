/* test-aclosing.c — AgenAclosing: enter hands out the generator untouched,
 * exit closes it, an abandoned aclosing closes it, misuse is critical
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include <agen.h>

#include "agen-test-util.h"

/* A scripted body ----------------------------------------------------------
 *
 * script_body yields 1, 2, … n_yields and returns TRUE. When a yield
 * returns FALSE (closed or thrown into) it counts a cleanup and does what
 * cleanup says.
 */

typedef enum
{
  CLEANUP_PROPAGATE,      /* let the error out */
  CLEANUP_IGNORE_EXIT,    /* yield 100 instead (then propagate) */
  CLEANUP_RAISE_OTHER,    /* raise AGEN_TEST_ERROR_OTHER "cleanup failed" */
  CLEANUP_SLEEP,          /* await a timeout (no cancellable), then propagate */
  CLEANUP_GATE,           /* await the gate, then propagate */
  CLEANUP_SLEEP_STEP,     /* await a timeout with the step cancellable, then
                           * let out the await's error (or the original) */
} Cleanup;

typedef struct
{
  Cleanup       cleanup;
  gint          n_yields;
  guint         started;
  guint         cleanups;
  guint         finished;
  guint         destroyed;
  GError       *caught;     /* what the failing yield returned */
  AgenTestGate  gate;
} Script;

static void
script_init (Script  *script,
             Cleanup  cleanup)
{
  memset (script, 0, sizeof *script);
  script->cleanup = cleanup;
  script->n_yields = 3;
}

static void
script_clear (Script *script)
{
  g_clear_error (&script->caught);
}

static void
script_destroy (gpointer user_data)
{
  Script *script = user_data;

  script->destroyed++;
}

static gboolean
script_body (AgenGenerator  *self,
             gpointer        user_data,
             GError        **error)
{
  Script *script = user_data;
  gint i;

  script->started++;

  for (i = 1; i <= script->n_yields; i++)
    {
      g_autoptr(GError) local = NULL;

      if (agen_test_yield_int (self, i, NULL, &local))
        continue;

      script->cleanups++;
      g_clear_error (&script->caught);
      script->caught = g_error_copy (local);
      script->finished++;

      switch (script->cleanup)
        {
        case CLEANUP_PROPAGATE:
          break;

        case CLEANUP_IGNORE_EXIT:
          g_clear_error (&local);
          if (!agen_test_yield_int (self, 100, NULL, &local))
            break;
          return TRUE;

        case CLEANUP_RAISE_OTHER:
          g_set_error_literal (error, AGEN_TEST_ERROR, AGEN_TEST_ERROR_OTHER,
                               "cleanup failed");
          return FALSE;

        case CLEANUP_SLEEP:
          g_assert_true (agen_test_sleep (self, 20, NULL, NULL));
          break;

        case CLEANUP_GATE:
          g_assert_true (agen_test_gate_wait (&script->gate, self, NULL));
          break;

        case CLEANUP_SLEEP_STEP:
          {
            GError *sleep_error = NULL;

            if (!agen_test_sleep (self, 200,
                                  agen_generator_get_cancellable (self),
                                  &sleep_error))
              {
                g_propagate_error (error, sleep_error);
                return FALSE;
              }
          }
          break;

        default:
          g_assert_not_reached ();
        }

      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }

  script->finished++;
  return TRUE;
}

static AgenGenerator *
script_new (Script *script)
{
  return agen_generator_new (script_body, script, script_destroy);
}

/* Drives a fresh script generator to its first yield. */
static void
script_start (AgenGenerator *gen)
{
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;

  g_assert_true (agen_test_next (gen, NULL, &r));
  agen_test_assert_yielded_int (&r, 1);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_SUSPENDED);
}

/* Async helpers --------------------------------------------------------- */

typedef struct
{
  gboolean       done;
  gboolean       ok;
  AgenGenerator *gen;      /* enter: what it returned (borrowed) */
  GError        *error;
} Outcome;

#define OUTCOME_INIT { FALSE, FALSE, NULL, NULL }

static void
outcome_clear (Outcome *outcome)
{
  outcome->done = FALSE;
  outcome->ok = FALSE;
  outcome->gen = NULL;
  g_clear_error (&outcome->error);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Outcome, outcome_clear)

static void
enter_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  Outcome *outcome = user_data;

  g_assert_false (outcome->done);
  outcome->gen = agen_aclosing_enter_finish (AGEN_ACLOSING (source), result,
                                             &outcome->error);
  outcome->ok = outcome->gen != NULL;
  outcome->done = TRUE;
}

static void
exit_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Outcome *outcome = user_data;

  g_assert_false (outcome->done);
  outcome->ok = agen_aclosing_exit_finish (AGEN_ACLOSING (source), result,
                                           &outcome->error);
  outcome->done = TRUE;
}

/* Each one starts the op, asserts that the callback did not run inside the
 * _async call, and iterates until it did. */
static AgenGenerator *
enter_async (AgenAclosing *closing,
             GCancellable *cancellable,
             Outcome      *outcome)
{
  outcome_clear (outcome);
  agen_aclosing_enter_async (closing, cancellable, enter_cb, outcome);
  g_assert_false (outcome->done);
  agen_test_spin_until (&outcome->done, 5000);
  return outcome->gen;
}

static gboolean
exit_async (AgenAclosing *closing,
            GCancellable *cancellable,
            Outcome      *outcome)
{
  outcome_clear (outcome);
  agen_aclosing_exit_async (closing, cancellable, exit_cb, outcome);
  g_assert_false (outcome->done);
  agen_test_spin_until (&outcome->done, 5000);
  return outcome->ok;
}

/* Iterates the thread-default context while it has something to do. */
static void
drain (void)
{
  for (guint i = 0; i < 100 && g_main_context_iteration (NULL, FALSE); i++)
    ;
}

/* Tests ------------------------------------------------------------------ */

static void
test_enter_returns_generator_unstarted (void)
{
  Script script;
  g_autoptr(AgenGenerator) gen = NULL;
  g_autoptr(AgenAclosing) closing = NULL;
  g_auto(Outcome) o = OUTCOME_INIT;
  g_autoptr(GError) error = NULL;

  g_test_summary ("enter gives back the generator itself without iterating "
                  "it: the body has not started and the state is CREATED "
                  "(async and blocking forms)");

  script_init (&script, CLEANUP_PROPAGATE);

  /* async */
  gen = script_new (&script);
  closing = agen_aclosing_new (gen);
  g_assert_true (enter_async (closing, NULL, &o) == gen);
  g_assert_no_error (o.error);
  g_assert_cmpuint (script.started, ==, 0);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_CREATED);
  g_assert_null (agen_generator_get_context (gen));

  g_assert_true (agen_aclosing_exit (closing, NULL, &error));
  g_assert_no_error (error);
  g_clear_object (&closing);
  g_clear_object (&gen);

  /* blocking */
  gen = script_new (&script);
  closing = agen_aclosing_new (gen);
  g_assert_true (agen_aclosing_enter (closing, NULL, &error) == gen);
  g_assert_no_error (error);
  g_assert_cmpuint (script.started, ==, 0);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_CREATED);

  g_assert_true (agen_aclosing_exit (closing, NULL, &error));
  g_assert_no_error (error);

  g_assert_cmpuint (script.started, ==, 0);
  script_clear (&script);
}

static void
test_generator_property (void)
{
  Script script;
  g_autoptr(AgenGenerator) gen = NULL;
  g_autoptr(AgenAclosing) closing = NULL;
  g_autoptr(AgenGenerator) prop = NULL;

  g_test_summary ("the generator property and getter give the wrapped "
                  "generator; the aclosing holds a reference to it and "
                  "does not touch it");

  script_init (&script, CLEANUP_PROPAGATE);
  gen = script_new (&script);
  closing = agen_aclosing_new (gen);

  g_assert_true (agen_aclosing_get_generator (closing) == gen);
  g_object_get (closing, "generator", &prop, NULL);
  g_assert_true (prop == gen);

  /* Not entered: dropping it leaves the generator alone */
  g_clear_object (&closing);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_CREATED);
  g_assert_null (agen_generator_get_context (gen));

  g_clear_object (&prop);
  agen_test_assert_finalized (g_steal_pointer (&gen), 1000);
  g_assert_cmpuint (script.started, ==, 0);
  g_assert_cmpuint (script.destroyed, ==, 1);
  script_clear (&script);
}

static void
test_exit_closes (void)
{
  g_test_summary ("exit closes the generator: the suspended body gets "
                  "AGEN_ERROR_EXIT, its cleanup runs, exit gives TRUE and "
                  "the state is CLOSED (async and blocking forms)");

  for (guint blocking = 0; blocking < 2; blocking++)
    {
      Script script;
      g_autoptr(AgenGenerator) gen = NULL;
      g_autoptr(AgenAclosing) closing = NULL;
      g_auto(Outcome) o = OUTCOME_INIT;
      g_autoptr(GError) error = NULL;

      script_init (&script, CLEANUP_PROPAGATE);
      gen = script_new (&script);
      closing = agen_aclosing_new (gen);

      if (blocking)
        g_assert_true (agen_aclosing_enter (closing, NULL, &error) == gen);
      else
        g_assert_true (enter_async (closing, NULL, &o) == gen);
      g_assert_no_error (error);
      g_assert_no_error (o.error);

      script_start (gen);

      if (blocking)
        g_assert_true (agen_aclosing_exit (closing, NULL, &error));
      else
        {
          g_assert_true (exit_async (closing, NULL, &o));
          error = g_steal_pointer (&o.error);
        }
      g_assert_no_error (error);

      g_assert_cmpuint (script.cleanups, ==, 1);
      g_assert_error (script.caught, AGEN_ERROR, AGEN_ERROR_EXIT);
      g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_CLOSED);
      g_assert_cmpuint (script.destroyed, ==, 1);

      g_clear_object (&closing);
      agen_test_assert_finalized (g_steal_pointer (&gen), 1000);
      g_assert_cmpuint (script.destroyed, ==, 1);
      script_clear (&script);
    }
}

static void
test_exit_closes_unstarted (void)
{
  g_test_summary ("exit on a generator that never started closes it "
                  "without running the body: TRUE, CLOSED, user data "
                  "destroyed (async and blocking forms)");

  for (guint blocking = 0; blocking < 2; blocking++)
    {
      Script script;
      g_autoptr(AgenGenerator) gen = NULL;
      g_autoptr(AgenAclosing) closing = NULL;
      g_auto(Outcome) o = OUTCOME_INIT;
      g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;
      g_autoptr(GError) error = NULL;

      script_init (&script, CLEANUP_PROPAGATE);
      gen = script_new (&script);
      closing = agen_aclosing_new (gen);
      g_assert_true (enter_async (closing, NULL, &o) == gen);

      if (blocking)
        g_assert_true (agen_aclosing_exit (closing, NULL, &error));
      else
        {
          g_assert_true (exit_async (closing, NULL, &o));
          error = g_steal_pointer (&o.error);
        }
      g_assert_no_error (error);

      g_assert_cmpuint (script.started, ==, 0);
      g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_CLOSED);
      g_assert_cmpuint (script.destroyed, ==, 1);

      g_assert_false (agen_test_next (gen, NULL, &r));
      agen_test_assert_finished (&r);
      g_assert_cmpuint (script.started, ==, 0);
      script_clear (&script);
    }
}

static void
test_exit_returns_ignored_exit (void)
{
  g_test_summary ("exit returns the close's error: a body that yields after "
                  "AGEN_ERROR_EXIT makes exit fail with IGNORED_EXIT, and the "
                  "generator stays SUSPENDED (async and blocking forms)");

  for (guint blocking = 0; blocking < 2; blocking++)
    {
      Script script;
      g_autoptr(AgenGenerator) gen = NULL;
      g_autoptr(AgenAclosing) closing = NULL;
      g_auto(Outcome) o = OUTCOME_INIT;
      g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;
      g_autoptr(GError) error = NULL;

      script_init (&script, CLEANUP_IGNORE_EXIT);
      gen = script_new (&script);
      closing = agen_aclosing_new (gen);
      g_assert_true (enter_async (closing, NULL, &o) == gen);
      script_start (gen);

      if (blocking)
        g_assert_false (agen_aclosing_exit (closing, NULL, &error));
      else
        {
          g_assert_false (exit_async (closing, NULL, &o));
          error = g_steal_pointer (&o.error);
        }
      g_assert_error (error, AGEN_ERROR, AGEN_ERROR_IGNORED_EXIT);

      g_assert_cmpuint (script.cleanups, ==, 1);
      g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_SUSPENDED);

      /* Still usable: finish it by hand */
      g_assert_false (agen_test_next (gen, NULL, &r));
      agen_test_assert_finished (&r);
      g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_CLOSED);
      g_assert_cmpuint (script.destroyed, ==, 1);
      script_clear (&script);
    }
}

static void
test_exit_returns_cleanup_error (void)
{
  g_test_summary ("exit returns the close's error: a cleanup that raises "
                  "another error makes exit fail with exactly that error; "
                  "CLOSED (async and blocking forms)");

  for (guint blocking = 0; blocking < 2; blocking++)
    {
      Script script;
      g_autoptr(AgenGenerator) gen = NULL;
      g_autoptr(AgenAclosing) closing = NULL;
      g_auto(Outcome) o = OUTCOME_INIT;
      g_autoptr(GError) error = NULL;

      script_init (&script, CLEANUP_RAISE_OTHER);
      gen = script_new (&script);
      closing = agen_aclosing_new (gen);
      g_assert_true (enter_async (closing, NULL, &o) == gen);
      script_start (gen);

      if (blocking)
        g_assert_false (agen_aclosing_exit (closing, NULL, &error));
      else
        {
          g_assert_false (exit_async (closing, NULL, &o));
          error = g_steal_pointer (&o.error);
        }
      g_assert_error (error, AGEN_TEST_ERROR, AGEN_TEST_ERROR_OTHER);
      g_assert_cmpstr (error->message, ==, "cleanup failed");

      g_assert_cmpuint (script.cleanups, ==, 1);
      g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_CLOSED);
      g_assert_cmpuint (script.destroyed, ==, 1);
      script_clear (&script);
    }
}

static void
test_exit_cleanup_awaits (void)
{
  Script script;
  g_autoptr(AgenGenerator) gen = NULL;
  g_autoptr(AgenAclosing) closing = NULL;
  g_auto(Outcome) o = OUTCOME_INIT;
  g_autoptr(GError) error = NULL;

  g_test_summary ("a cleanup that awaits: the exit completes only after the "
                  "await, the generator is RUNNING meanwhile; then TRUE and "
                  "CLOSED (async with a gate, blocking with a timeout)");

  /* async */
  script_init (&script, CLEANUP_GATE);
  gen = script_new (&script);
  closing = agen_aclosing_new (gen);
  g_assert_true (enter_async (closing, NULL, &o) == gen);
  script_start (gen);

  outcome_clear (&o);
  agen_aclosing_exit_async (closing, NULL, exit_cb, &o);
  g_assert_false (o.done);
  g_assert_true (agen_test_gate_waiting (&script.gate));
  drain ();
  g_assert_false (o.done);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_RUNNING);

  agen_test_gate_open (&script.gate);
  agen_test_spin_until (&o.done, 5000);
  g_assert_no_error (o.error);
  g_assert_true (o.ok);
  g_assert_cmpuint (script.cleanups, ==, 1);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_CLOSED);
  g_clear_object (&closing);
  g_clear_object (&gen);
  script_clear (&script);

  /* blocking */
  script_init (&script, CLEANUP_SLEEP);
  gen = script_new (&script);
  closing = agen_aclosing_new (gen);
  g_assert_true (agen_aclosing_enter (closing, NULL, &error) == gen);
  script_start (gen);

  g_assert_true (agen_aclosing_exit (closing, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (script.cleanups, ==, 1);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_CLOSED);
  script_clear (&script);
}

static void
test_exit_cancellable_reaches_cleanup (void)
{
  Script script;
  g_autoptr(AgenGenerator) gen = NULL;
  g_autoptr(AgenAclosing) closing = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_auto(Outcome) o = OUTCOME_INIT;

  g_test_summary ("exit's cancellable is the close's: cancelling it while "
                  "the cleanup awaits with the step cancellable fails that "
                  "await; the cleanup lets CANCELLED out, so exit fails with "
                  "it; CLOSED");

  script_init (&script, CLEANUP_SLEEP_STEP);
  gen = script_new (&script);
  closing = agen_aclosing_new (gen);
  g_assert_true (enter_async (closing, NULL, &o) == gen);
  script_start (gen);

  outcome_clear (&o);
  agen_aclosing_exit_async (closing, cancellable, exit_cb, &o);
  g_assert_false (o.done);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_RUNNING);
  g_cancellable_cancel (cancellable);
  agen_test_spin_until (&o.done, 5000);

  g_assert_false (o.ok);
  g_assert_error (o.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (script.cleanups, ==, 1);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_CLOSED);
  script_clear (&script);
}

static void
test_enter_cancelled (void)
{
  Script script;
  g_autoptr(AgenGenerator) gen = NULL;
  g_autoptr(AgenAclosing) closing = NULL;
  g_autoptr(AgenAclosing) closing2 = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_auto(Outcome) o = OUTCOME_INIT;
  g_autoptr(GError) error = NULL;

  g_test_summary ("an enter with a cancellable that is already cancelled "
                  "fails with G_IO_ERROR_CANCELLED (GIO convention) and "
                  "counts as not entered: dropping the aclosing leaves the "
                  "generator alone (async and blocking forms)");

  script_init (&script, CLEANUP_PROPAGATE);
  gen = script_new (&script);
  script_start (gen);
  g_cancellable_cancel (cancellable);

  closing = agen_aclosing_new (gen);
  g_assert_null (enter_async (closing, cancellable, &o));
  g_assert_false (o.ok);
  g_assert_error (o.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);

  closing2 = agen_aclosing_new (gen);
  g_assert_null (agen_aclosing_enter (closing2, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);

  g_clear_object (&closing);
  g_clear_object (&closing2);
  drain ();
  g_assert_cmpuint (script.cleanups, ==, 0);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_SUSPENDED);

  g_assert_true (agen_generator_close (gen, NULL, NULL));
  script_clear (&script);
}

static void
test_dropped_entered_closes (void)
{
  Script script;
  g_autoptr(AgenGenerator) gen = NULL;
  AgenAclosing *closing;
  g_auto(Outcome) o = OUTCOME_INIT;

  g_test_summary ("an aclosing that is entered and dropped without exit "
                  "closes its generator like the default finalizer: not "
                  "inside the unref, but once the owner context iterates; "
                  "the cleanup runs, the state becomes CLOSED and the user "
                  "data is destroyed once");

  script_init (&script, CLEANUP_PROPAGATE);
  gen = script_new (&script);
  closing = agen_aclosing_new (gen);
  g_assert_true (enter_async (closing, NULL, &o) == gen);
  script_start (gen);

  /* The test keeps its own reference to the generator: only the aclosing
   * can close it. */
  agen_test_assert_finalized (closing, 1000);
  g_assert_cmpuint (script.cleanups, ==, 0);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_SUSPENDED);

  agen_test_spin_until_count (&script.cleanups, 1, 5000);
  drain ();
  g_assert_cmpuint (script.cleanups, ==, 1);
  g_assert_error (script.caught, AGEN_ERROR, AGEN_ERROR_EXIT);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_CLOSED);
  g_assert_cmpuint (script.destroyed, ==, 1);

  agen_test_assert_finalized (g_steal_pointer (&gen), 1000);
  g_assert_cmpuint (script.cleanups, ==, 1);
  g_assert_cmpuint (script.destroyed, ==, 1);
  script_clear (&script);
}

static void
test_dropped_exited_does_nothing (void)
{
  Script script;
  g_autoptr(AgenGenerator) gen = NULL;
  AgenAclosing *closing;
  g_auto(Outcome) o = OUTCOME_INIT;
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;

  g_test_summary ("an aclosing whose exit failed with IGNORED_EXIT does not "
                  "close the generator again when dropped");

  script_init (&script, CLEANUP_IGNORE_EXIT);
  gen = script_new (&script);
  closing = agen_aclosing_new (gen);
  g_assert_true (enter_async (closing, NULL, &o) == gen);
  script_start (gen);
  g_assert_false (exit_async (closing, NULL, &o));
  g_assert_error (o.error, AGEN_ERROR, AGEN_ERROR_IGNORED_EXIT);

  agen_test_assert_finalized (closing, 1000);
  drain ();
  g_assert_cmpuint (script.cleanups, ==, 1);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_SUSPENDED);

  g_assert_false (agen_test_next (gen, NULL, &r));
  agen_test_assert_finished (&r);
  script_clear (&script);
}

static void
test_dropped_after_cancelled_exit_closes (void)
{
  g_test_summary ("an exit whose cancellable was already cancelled fails "
                  "with CANCELLED and leaves the generator suspended; "
                  "dropping the aclosing then closes it (async and "
                  "blocking)");

  for (guint blocking = 0; blocking < 2; blocking++)
    {
      Script script;
      g_autoptr(AgenGenerator) gen = NULL;
      g_autoptr(GCancellable) cancellable = g_cancellable_new ();
      g_autoptr(GError) error = NULL;
      AgenAclosing *closing;
      g_auto(Outcome) o = OUTCOME_INIT;

      script_init (&script, CLEANUP_PROPAGATE);
      gen = script_new (&script);
      closing = agen_aclosing_new (gen);
      g_assert_true (enter_async (closing, NULL, &o) == gen);
      script_start (gen);

      g_cancellable_cancel (cancellable);
      if (blocking)
        g_assert_false (agen_aclosing_exit (closing, cancellable, &error));
      else
        {
          g_assert_false (exit_async (closing, cancellable, &o));
          error = g_steal_pointer (&o.error);
        }
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
      g_assert_cmpuint (script.cleanups, ==, 0);
      g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_SUSPENDED);

      agen_test_assert_finalized (closing, 1000);
      agen_test_spin_until_count (&script.cleanups, 1, 5000);
      drain ();
      g_assert_error (script.caught, AGEN_ERROR, AGEN_ERROR_EXIT);
      g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_CLOSED);
      g_assert_cmpuint (script.destroyed, ==, 1);
      script_clear (&script);
    }
}

static void
test_misuse_exit_before_enter (void)
{
  Script script;
  g_autoptr(AgenGenerator) gen = NULL;
  g_autoptr(AgenAclosing) closing = NULL;
  g_auto(Outcome) o = OUTCOME_INIT;
  g_autoptr(GError) error = NULL;

  g_test_summary ("exit before enter is a programmer error: a critical, the "
                  "async callback never runs, the blocking form returns "
                  "FALSE without an error, and the generator is untouched");

  if (!g_test_undefined ())
    return;

  script_init (&script, CLEANUP_PROPAGATE);
  gen = script_new (&script);
  script_start (gen);
  closing = agen_aclosing_new (gen);

  g_test_expect_message ("Agen", G_LOG_LEVEL_CRITICAL, "*not entered successfully*");
  agen_aclosing_exit_async (closing, NULL, exit_cb, &o);
  g_test_assert_expected_messages ();

  g_test_expect_message ("Agen", G_LOG_LEVEL_CRITICAL, "*not entered successfully*");
  g_assert_false (agen_aclosing_exit (closing, NULL, &error));
  g_test_assert_expected_messages ();
  g_assert_no_error (error);

  drain ();
  g_assert_false (o.done);
  g_assert_cmpuint (script.cleanups, ==, 0);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_SUSPENDED);

  /* Still enterable afterwards */
  g_assert_true (enter_async (closing, NULL, &o) == gen);
  g_assert_true (agen_aclosing_exit (closing, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (script.cleanups, ==, 1);
  script_clear (&script);
}

static void
test_misuse_enter_twice (void)
{
  Script script;
  g_autoptr(AgenGenerator) gen = NULL;
  g_autoptr(AgenAclosing) closing = NULL;
  g_auto(Outcome) o = OUTCOME_INIT;
  g_autoptr(GError) error = NULL;

  g_test_summary ("a second enter is a programmer error: a critical, the "
                  "async callback never runs, the blocking form returns NULL "
                  "without an error; the first enter still holds");

  if (!g_test_undefined ())
    return;

  script_init (&script, CLEANUP_PROPAGATE);
  gen = script_new (&script);
  closing = agen_aclosing_new (gen);
  g_assert_true (agen_aclosing_enter (closing, NULL, &error) == gen);

  g_test_expect_message ("Agen", G_LOG_LEVEL_CRITICAL, "*already entered*");
  agen_aclosing_enter_async (closing, NULL, enter_cb, &o);
  g_test_assert_expected_messages ();

  g_test_expect_message ("Agen", G_LOG_LEVEL_CRITICAL, "*already entered*");
  g_assert_null (agen_aclosing_enter (closing, NULL, &error));
  g_test_assert_expected_messages ();
  g_assert_no_error (error);

  drain ();
  g_assert_false (o.done);

  script_start (gen);
  g_assert_true (exit_async (closing, NULL, &o));
  g_assert_cmpuint (script.cleanups, ==, 1);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_CLOSED);
  script_clear (&script);
}

static void
test_misuse_exit_twice (void)
{
  Script script;
  g_autoptr(AgenGenerator) gen = NULL;
  g_autoptr(AgenAclosing) closing = NULL;
  g_auto(Outcome) o = OUTCOME_INIT;
  g_autoptr(GError) error = NULL;

  g_test_summary ("a second exit is a programmer error: a critical, the "
                  "async callback never runs, the blocking form returns "
                  "FALSE without an error");

  if (!g_test_undefined ())
    return;

  script_init (&script, CLEANUP_PROPAGATE);
  gen = script_new (&script);
  closing = agen_aclosing_new (gen);
  g_assert_true (enter_async (closing, NULL, &o) == gen);
  script_start (gen);
  g_assert_true (exit_async (closing, NULL, &o));

  outcome_clear (&o);
  g_test_expect_message ("Agen", G_LOG_LEVEL_CRITICAL, "*already exited*");
  agen_aclosing_exit_async (closing, NULL, exit_cb, &o);
  g_test_assert_expected_messages ();

  g_test_expect_message ("Agen", G_LOG_LEVEL_CRITICAL, "*already exited*");
  g_assert_false (agen_aclosing_exit (closing, NULL, &error));
  g_test_assert_expected_messages ();
  g_assert_no_error (error);

  drain ();
  g_assert_false (o.done);
  g_assert_cmpuint (script.cleanups, ==, 1);
  script_clear (&script);
}

static void
test_misuse_exit_after_cancelled_enter (void)
{
  Script script;
  g_autoptr(AgenGenerator) gen = NULL;
  g_autoptr(AgenAclosing) closing = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;

  g_test_summary ("exit after an enter that failed is a programmer error");

  if (!g_test_undefined ())
    return;

  script_init (&script, CLEANUP_PROPAGATE);
  gen = script_new (&script);
  closing = agen_aclosing_new (gen);
  g_cancellable_cancel (cancellable);
  g_assert_null (agen_aclosing_enter (closing, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);

  g_test_expect_message ("Agen", G_LOG_LEVEL_CRITICAL, "*not entered successfully*");
  g_assert_false (agen_aclosing_exit (closing, NULL, &error));
  g_test_assert_expected_messages ();
  g_assert_no_error (error);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_CREATED);
  script_clear (&script);
}

/* Blocking forms inside another generator's body ----------------------- */

typedef struct
{
  Script   *script;
  gint      sum;
  gboolean  exit_ok;
} DriverData;

/* Takes the first two items of a sleepy script generator under an aclosing,
 * then exits (the cleanup awaits) and yields their sum. */
static gboolean
driver_body (AgenGenerator  *self,
             gpointer        user_data,
             GError        **error)
{
  DriverData *data = user_data;
  g_autoptr(AgenGenerator) inner = script_new (data->script);
  g_autoptr(AgenAclosing) closing = agen_aclosing_new (inner);
  AgenGenerator *gen;

  gen = agen_aclosing_enter (closing, NULL, error);
  if (gen == NULL)
    return FALSE;

  for (guint i = 0; i < 2; i++)
    {
      g_auto(GValue) v = G_VALUE_INIT;

      if (!agen_generator_next (gen, NULL, &v, error))
        return FALSE;
      data->sum += g_value_get_int (&v);
    }

  data->exit_ok = agen_aclosing_exit (closing, NULL, error);
  if (!data->exit_ok)
    return FALSE;

  return agen_test_yield_int (self, data->sum, NULL, error);
}

static void
test_blocking_inside_other_body (void)
{
  Script script;
  DriverData data = { &script, 0, FALSE };
  g_autoptr(AgenGenerator) driver = NULL;
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;

  g_test_summary ("the blocking enter and exit inside another generator's "
                  "body suspend only that body: the driver is RUNNING while "
                  "the inner cleanup awaits, and the thread stays free");

  script_init (&script, CLEANUP_SLEEP);
  driver = agen_generator_new (driver_body, &data, NULL);

  agen_generator_next_async (driver, NULL, agen_test_next_cb, &r);
  g_assert_false (r.done);
  /* The exit's close waits for the cleanup's timeout */
  g_assert_cmpint (agen_generator_get_state (driver), ==, AGEN_GENERATOR_STATE_RUNNING);
  g_assert_cmpuint (script.cleanups, ==, 1);
  g_assert_cmpuint (script.destroyed, ==, 0);
  agen_test_spin_until (&r.done, 5000);

  agen_test_assert_yielded_int (&r, 1 + 2);
  g_assert_true (data.exit_ok);
  g_assert_cmpuint (script.cleanups, ==, 1);
  g_assert_error (script.caught, AGEN_ERROR, AGEN_ERROR_EXIT);
  /* The inner generator was dropped in the body; nothing else closed it */
  g_assert_cmpuint (script.destroyed, ==, 1);

  g_assert_false (agen_test_next (driver, NULL, &r));
  agen_test_assert_finished (&r);
  script_clear (&script);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Agen/Aclosing/enter-returns-generator-unstarted", test_enter_returns_generator_unstarted);
  g_test_add_func ("/Agen/Aclosing/generator-property", test_generator_property);
  g_test_add_func ("/Agen/Aclosing/enter-cancelled", test_enter_cancelled);
  g_test_add_func ("/Agen/Aclosing/exit-closes", test_exit_closes);
  g_test_add_func ("/Agen/Aclosing/exit-closes-unstarted", test_exit_closes_unstarted);
  g_test_add_func ("/Agen/Aclosing/exit-returns-ignored-exit", test_exit_returns_ignored_exit);
  g_test_add_func ("/Agen/Aclosing/exit-returns-cleanup-error", test_exit_returns_cleanup_error);
  g_test_add_func ("/Agen/Aclosing/exit-cleanup-awaits", test_exit_cleanup_awaits);
  g_test_add_func ("/Agen/Aclosing/exit-cancellable-reaches-cleanup", test_exit_cancellable_reaches_cleanup);
  g_test_add_func ("/Agen/Aclosing/dropped-entered-closes", test_dropped_entered_closes);
  g_test_add_func ("/Agen/Aclosing/dropped-exited-does-nothing", test_dropped_exited_does_nothing);
  g_test_add_func ("/Agen/Aclosing/dropped-after-cancelled-exit-closes", test_dropped_after_cancelled_exit_closes);
  g_test_add_func ("/Agen/Aclosing/misuse/exit-before-enter", test_misuse_exit_before_enter);
  g_test_add_func ("/Agen/Aclosing/misuse/enter-twice", test_misuse_enter_twice);
  g_test_add_func ("/Agen/Aclosing/misuse/exit-twice", test_misuse_exit_twice);
  g_test_add_func ("/Agen/Aclosing/misuse/exit-after-cancelled-enter", test_misuse_exit_after_cancelled_enter);
  g_test_add_func ("/Agen/Aclosing/blocking/inside-other-body", test_blocking_inside_other_body);

  return g_test_run ();
}
