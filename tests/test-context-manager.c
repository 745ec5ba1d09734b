/* test-context-manager.c — AgenContextManager: the rules of
 * asynccontextmanager (docs/semantics.md, "AgenContextManager"), async and
 * blocking forms
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include <agen.h>

#include "agen-test-util.h"

/* A scripted body ----------------------------------------------------------
 *
 * cm_body sets up (optionally awaiting), then does what `enter` says:
 * yield 42, return without yielding, or raise. When its yield returns, it
 * tears down (optionally awaiting) and does what `resumed` (yield returned
 * TRUE) or `thrown` (yield returned FALSE) says. If that is to yield again
 * (2), what it does with the close that follows is `second`.
 */

typedef enum
{
  ENTER_YIELD,           /* yield 42 */
  ENTER_RETURN,          /* return TRUE without yielding */
  ENTER_RAISE,           /* raise BOOM "setup failed" */
} Enter;

typedef enum
{
  THEN_RETURN,           /* return TRUE */
  THEN_PROPAGATE,        /* let the yield's error out (thrown only) */
  THEN_RAISE,            /* raise OTHER "teardown failed" */
  THEN_YIELD,            /* yield 2 */
} Then;

typedef enum
{
  SECOND_PROPAGATE,      /* let the close's EXIT out */
  SECOND_RAISE,          /* raise OTHER "close failed" */
  SECOND_YIELD,          /* yield 3 (ignore the close), then return */
} Second;

typedef enum
{
  AWAIT_NONE,
  AWAIT_SLEEP,           /* a short timeout */
  AWAIT_GATE,            /* the script's gate */
  AWAIT_SLEEP_STEP,      /* a timeout with the step cancellable; its error
                          * is raised */
} Await;

typedef struct
{
  Enter         enter;
  Then          resumed;
  Then          thrown;
  Second        second;
  Await         await_setup;
  Await         await_teardown;

  guint         setups;
  guint         teardowns;
  guint         second_closes;   /* the second yield got EXIT */
  guint         destroyed;
  GError       *caught;          /* what the first yield returned */
  AgenTestGate  gate;
} Script;

static void
script_init (Script *script)
{
  memset (script, 0, sizeof *script);
  script->enter = ENTER_YIELD;
  script->resumed = THEN_RETURN;
  script->thrown = THEN_PROPAGATE;
  script->second = SECOND_PROPAGATE;
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
script_await (Script         *script,
              AgenGenerator  *self,
              Await           how,
              GError        **error)
{
  switch (how)
    {
    case AWAIT_NONE:
      return TRUE;

    case AWAIT_SLEEP:
      g_assert_true (agen_test_sleep (self, 20, NULL, NULL));
      return TRUE;

    case AWAIT_GATE:
      g_assert_true (agen_test_gate_wait (&script->gate, self, NULL));
      return TRUE;

    case AWAIT_SLEEP_STEP:
      return agen_test_sleep (self, 200, agen_generator_get_cancellable (self), error);

    default:
      g_assert_not_reached ();
    }
}

static gboolean
cm_body (AgenGenerator  *self,
         gpointer        user_data,
         GError        **error)
{
  Script *script = user_data;
  g_autoptr(GError) local = NULL;
  g_autoptr(GError) second_error = NULL;
  gboolean resumed;
  Then then;

  script->setups++;
  if (!script_await (script, self, script->await_setup, error))
    return FALSE;

  switch (script->enter)
    {
    case ENTER_YIELD:
      break;

    case ENTER_RETURN:
      return TRUE;

    case ENTER_RAISE:
      g_set_error_literal (error, AGEN_TEST_ERROR, AGEN_TEST_ERROR_BOOM,
                           "setup failed");
      return FALSE;

    default:
      g_assert_not_reached ();
    }

  resumed = agen_test_yield_int (self, 42, NULL, &local);

  script->teardowns++;
  g_clear_error (&script->caught);
  if (local != NULL)
    script->caught = g_error_copy (local);
  if (!script_await (script, self, script->await_teardown, error))
    return FALSE;

  then = resumed ? script->resumed : script->thrown;
  switch (then)
    {
    case THEN_RETURN:
      return TRUE;

    case THEN_PROPAGATE:
      g_assert_nonnull (local);
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;

    case THEN_RAISE:
      g_set_error_literal (error, AGEN_TEST_ERROR, AGEN_TEST_ERROR_OTHER,
                           "teardown failed");
      return FALSE;

    case THEN_YIELD:
      break;

    default:
      g_assert_not_reached ();
    }

  if (agen_test_yield_int (self, 2, NULL, &second_error))
    return TRUE;
  if (script->second == SECOND_YIELD)
    {
      script->second_closes++;
      g_clear_error (&second_error);
      return agen_test_yield_int (self, 3, NULL, error);
    }

  g_assert_error (second_error, AGEN_ERROR, AGEN_ERROR_EXIT);
  script->second_closes++;

  switch (script->second)
    {
    case SECOND_PROPAGATE:
      g_propagate_error (error, g_steal_pointer (&second_error));
      return FALSE;

    case SECOND_RAISE:
      g_set_error_literal (error, AGEN_TEST_ERROR, AGEN_TEST_ERROR_OTHER,
                           "close failed");
      return FALSE;

    case SECOND_YIELD:
    default:
      g_assert_not_reached ();
    }
}

static AgenContextManager *
script_new (Script *script)
{
  return agen_context_manager_new (cm_body, script, script_destroy);
}

static GError *
block_error_new (void)
{
  return g_error_new_literal (AGEN_TEST_ERROR, AGEN_TEST_ERROR_BOOM,
                              "the block failed");
}

/* Async and blocking helpers ------------------------------------------- */

typedef struct
{
  gboolean  done;
  gboolean  ok;
  GValue    value;
  GError   *error;
} Outcome;

#define OUTCOME_INIT { FALSE, FALSE, G_VALUE_INIT, NULL }

static void
outcome_clear (Outcome *outcome)
{
  outcome->done = FALSE;
  outcome->ok = FALSE;
  if (G_IS_VALUE (&outcome->value))
    g_value_unset (&outcome->value);
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
  outcome->ok = agen_context_manager_enter_finish (AGEN_CONTEXT_MANAGER (source),
                                                   result, &outcome->value,
                                                   &outcome->error);
  /* Always initialised */
  g_assert_true (G_IS_VALUE (&outcome->value));
  outcome->done = TRUE;
}

static void
exit_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Outcome *outcome = user_data;

  g_assert_false (outcome->done);
  outcome->ok = agen_context_manager_exit_finish (AGEN_CONTEXT_MANAGER (source),
                                                  result, &outcome->error);
  outcome->done = TRUE;
}

/* Enters cm with the blocking or the async form (then asserting that the
 * callback did not run inside the call) into outcome. */
static gboolean
enter (AgenContextManager *cm,
       gboolean            blocking,
       GCancellable       *cancellable,
       Outcome            *outcome)
{
  outcome_clear (outcome);

  if (blocking)
    {
      outcome->ok = agen_context_manager_enter (cm, cancellable, &outcome->value,
                                                &outcome->error);
      g_assert_true (G_IS_VALUE (&outcome->value));
      outcome->done = TRUE;
    }
  else
    {
      agen_context_manager_enter_async (cm, cancellable, enter_cb, outcome);
      g_assert_false (outcome->done);
      agen_test_spin_until (&outcome->done, 5000);
    }

  g_assert_true (outcome->ok == (outcome->error == NULL));
  return outcome->ok;
}

static gboolean
exit_ (AgenContextManager *cm,
       gboolean            blocking,
       const GError       *block_error,
       GCancellable       *cancellable,
       Outcome            *outcome)
{
  outcome_clear (outcome);

  if (blocking)
    {
      outcome->ok = agen_context_manager_exit (cm, block_error, cancellable,
                                               &outcome->error);
      outcome->done = TRUE;
    }
  else
    {
      agen_context_manager_exit_async (cm, block_error, cancellable, exit_cb, outcome);
      g_assert_false (outcome->done);
      agen_test_spin_until (&outcome->done, 5000);
    }

  g_assert_true (outcome->ok == (outcome->error == NULL));
  return outcome->ok;
}

static void
drain (void)
{
  for (guint i = 0; i < 100 && g_main_context_iteration (NULL, FALSE); i++)
    ;
}

#define FORMS(blocking) \
  for (gboolean blocking = FALSE; blocking <= TRUE; blocking++)

/* Enter ------------------------------------------------------------------ */

static void
test_enter_yields_value (void)
{
  g_test_summary ("enter runs the body to its yield and gives TRUE and the "
                  "yielded value; the generator is SUSPENDED and the "
                  "teardown has not run (async and blocking)");

  FORMS (blocking)
    {
      Script script;
      g_autoptr(AgenContextManager) cm = NULL;
      g_auto(Outcome) o = OUTCOME_INIT;
      AgenGenerator *gen;

      script_init (&script);
      cm = script_new (&script);
      gen = agen_context_manager_get_generator (cm);
      g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_CREATED);
      g_assert_cmpuint (script.setups, ==, 0);

      g_assert_true (enter (cm, blocking, NULL, &o));
      agen_test_assert_int (&o.value, 42);
      g_assert_cmpuint (script.setups, ==, 1);
      g_assert_cmpuint (script.teardowns, ==, 0);
      g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_SUSPENDED);

      g_assert_true (exit_ (cm, blocking, NULL, NULL, &o));
      g_assert_cmpuint (script.teardowns, ==, 1);
      script_clear (&script);
    }
}

static void
enter_discard_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  Outcome *outcome = user_data;

  g_assert_false (outcome->done);
  outcome->ok = agen_context_manager_enter_finish (AGEN_CONTEXT_MANAGER (source),
                                                   result, NULL,
                                                   &outcome->error);
  outcome->done = TRUE;
}

static void
test_enter_value_optional (void)
{
  Script script;
  g_autoptr(AgenContextManager) cm1 = NULL;
  g_autoptr(AgenContextManager) cm2 = NULL;
  g_autoptr(AgenContextManager) cm3 = NULL;
  g_auto(Outcome) o = OUTCOME_INIT;
  g_autoptr(GError) error = NULL;

  g_test_summary ("enter's value may be NULL: the yielded value is "
                  "discarded (async and blocking), also on failure");

  script_init (&script);
  cm1 = script_new (&script);
  cm2 = script_new (&script);

  g_assert_true (agen_context_manager_enter (cm1, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (agen_context_manager_exit (cm1, NULL, NULL, &error));
  g_assert_no_error (error);

  agen_context_manager_enter_async (cm2, NULL, enter_discard_cb, &o);
  g_assert_false (o.done);
  agen_test_spin_until (&o.done, 5000);
  g_assert_no_error (o.error);
  g_assert_true (o.ok);
  g_assert_true (agen_context_manager_exit (cm2, NULL, NULL, &error));
  g_assert_no_error (error);

  g_assert_cmpuint (script.setups, ==, 2);
  g_assert_cmpuint (script.teardowns, ==, 2);
  script_clear (&script);

  script_init (&script);
  script.enter = ENTER_RETURN;
  cm3 = script_new (&script);
  g_assert_false (agen_context_manager_enter (cm3, NULL, NULL, &error));
  g_assert_error (error, AGEN_ERROR, AGEN_ERROR_DIDNT_YIELD);
  script_clear (&script);
}

static void
test_enter_didnt_yield (void)
{
  g_test_summary ("enter on a body that returns without yielding fails "
                  "with AGEN_ERROR_DIDNT_YIELD \"generator didn't yield\"; "
                  "the value is None and the generator CLOSED");

  FORMS (blocking)
    {
      Script script;
      g_autoptr(AgenContextManager) cm = NULL;
      g_auto(Outcome) o = OUTCOME_INIT;
      AgenGenerator *gen;

      script_init (&script);
      script.enter = ENTER_RETURN;
      cm = script_new (&script);
      gen = agen_context_manager_get_generator (cm);

      g_assert_false (enter (cm, blocking, NULL, &o));
      g_assert_error (o.error, AGEN_ERROR, AGEN_ERROR_DIDNT_YIELD);
      g_assert_cmpstr (o.error->message, ==, "generator didn't yield");
      agen_test_assert_none (&o.value);
      g_assert_cmpuint (script.setups, ==, 1);
      g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_CLOSED);
      g_assert_cmpuint (script.destroyed, ==, 1);
      script_clear (&script);
    }
}

static void
test_enter_error (void)
{
  g_test_summary ("enter on a body that raises before yielding fails with "
                  "that error; the value is None and the generator CLOSED");

  FORMS (blocking)
    {
      Script script;
      g_autoptr(AgenContextManager) cm = NULL;
      g_auto(Outcome) o = OUTCOME_INIT;
      AgenGenerator *gen;

      script_init (&script);
      script.enter = ENTER_RAISE;
      cm = script_new (&script);
      gen = agen_context_manager_get_generator (cm);

      g_assert_false (enter (cm, blocking, NULL, &o));
      g_assert_error (o.error, AGEN_TEST_ERROR, AGEN_TEST_ERROR_BOOM);
      g_assert_cmpstr (o.error->message, ==, "setup failed");
      agen_test_assert_none (&o.value);
      g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_CLOSED);
      g_assert_cmpuint (script.destroyed, ==, 1);
      script_clear (&script);
    }
}

static void
test_enter_cancelled_keeps_value (void)
{
  Script script;
  g_autoptr(AgenContextManager) cm = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_auto(Outcome) o = OUTCOME_INIT;

  g_test_summary ("a cancellation during the enter that the body ignores "
                  "does not replace the value it yields: TRUE + the value");

  script_init (&script);
  script.await_setup = AWAIT_GATE;
  cm = script_new (&script);

  agen_context_manager_enter_async (cm, cancellable, enter_cb, &o);
  g_assert_false (o.done);
  g_assert_true (agen_test_gate_waiting (&script.gate));
  g_cancellable_cancel (cancellable);
  drain ();
  g_assert_false (o.done);
  agen_test_gate_open (&script.gate);
  agen_test_spin_until (&o.done, 5000);

  g_assert_no_error (o.error);
  g_assert_true (o.ok);
  agen_test_assert_int (&o.value, 42);

  g_assert_true (exit_ (cm, FALSE, NULL, NULL, &o));
  script_clear (&script);
}

static gboolean
cancel_cb (gpointer data)
{
  g_cancellable_cancel (data);
  return G_SOURCE_REMOVE;
}

static void
test_enter_cancellable_reaches_body (void)
{
  g_test_summary ("enter's cancellable is the body's step cancellable: "
                  "an await with it fails with CANCELLED, and the body "
                  "letting that out makes the enter fail with it; CLOSED "
                  "(async and blocking)");

  FORMS (blocking)
    {
      Script script;
      g_autoptr(AgenContextManager) cm = NULL;
      g_autoptr(GCancellable) cancellable = g_cancellable_new ();
      g_auto(Outcome) o = OUTCOME_INIT;
      AgenGenerator *gen;

      script_init (&script);
      script.await_setup = AWAIT_SLEEP_STEP;
      cm = script_new (&script);
      gen = agen_context_manager_get_generator (cm);

      if (blocking)
        {
          /* Cancelled from a timeout while the blocking enter iterates */
          GSource *source = g_timeout_source_new (10);

          g_source_set_callback (source, cancel_cb, cancellable, NULL);
          g_source_attach (source, NULL);
          g_source_unref (source);
          g_assert_false (enter (cm, TRUE, cancellable, &o));
        }
      else
        {
          agen_context_manager_enter_async (cm, cancellable, enter_cb, &o);
          g_assert_false (o.done);
          g_cancellable_cancel (cancellable);
          agen_test_spin_until (&o.done, 5000);
          g_assert_false (o.ok);
        }

      g_assert_error (o.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
      agen_test_assert_none (&o.value);
      g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_CLOSED);
      script_clear (&script);
    }
}

/* Exit without an error ------------------------------------------------ */

static void
test_exit_normal (void)
{
  g_test_summary ("exit(NULL) resumes the body, which finishes: TRUE; the "
                  "teardown ran with its yield returning TRUE; CLOSED; the "
                  "user data destroyed once");

  FORMS (blocking)
    {
      Script script;
      g_autoptr(AgenContextManager) cm = NULL;
      g_auto(Outcome) o = OUTCOME_INIT;
      AgenGenerator *gen;

      script_init (&script);
      cm = script_new (&script);
      gen = agen_context_manager_get_generator (cm);

      g_assert_true (enter (cm, blocking, NULL, &o));
      g_assert_true (exit_ (cm, blocking, NULL, NULL, &o));
      g_assert_no_error (o.error);

      g_assert_cmpuint (script.teardowns, ==, 1);
      g_assert_null (script.caught);
      g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_CLOSED);
      g_assert_cmpuint (script.destroyed, ==, 1);

      g_clear_object (&cm);
      g_assert_cmpuint (script.destroyed, ==, 1);
      script_clear (&script);
    }
}

static void
test_exit_normal_error (void)
{
  g_test_summary ("exit(NULL) when the teardown raises: FALSE + that error; "
                  "CLOSED");

  FORMS (blocking)
    {
      Script script;
      g_autoptr(AgenContextManager) cm = NULL;
      g_auto(Outcome) o = OUTCOME_INIT;
      AgenGenerator *gen;

      script_init (&script);
      script.resumed = THEN_RAISE;
      cm = script_new (&script);
      gen = agen_context_manager_get_generator (cm);

      g_assert_true (enter (cm, blocking, NULL, &o));
      g_assert_false (exit_ (cm, blocking, NULL, NULL, &o));
      g_assert_error (o.error, AGEN_TEST_ERROR, AGEN_TEST_ERROR_OTHER);
      g_assert_cmpstr (o.error->message, ==, "teardown failed");
      g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_CLOSED);
      g_assert_cmpuint (script.destroyed, ==, 1);
      script_clear (&script);
    }
}

static void
test_exit_normal_didnt_stop (void)
{
  g_test_summary ("exit(NULL) when the body yields again: the generator is "
                  "closed (its yield gets EXIT), then AGEN_ERROR_DIDNT_STOP "
                  "\"generator didn't stop\"; CLOSED");

  FORMS (blocking)
    {
      Script script;
      g_autoptr(AgenContextManager) cm = NULL;
      g_auto(Outcome) o = OUTCOME_INIT;
      AgenGenerator *gen;

      script_init (&script);
      script.resumed = THEN_YIELD;
      cm = script_new (&script);
      gen = agen_context_manager_get_generator (cm);

      g_assert_true (enter (cm, blocking, NULL, &o));
      g_assert_false (exit_ (cm, blocking, NULL, NULL, &o));
      g_assert_error (o.error, AGEN_ERROR, AGEN_ERROR_DIDNT_STOP);
      g_assert_cmpstr (o.error->message, ==, "generator didn't stop");
      g_assert_cmpuint (script.second_closes, ==, 1);
      g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_CLOSED);
      g_assert_cmpuint (script.destroyed, ==, 1);
      script_clear (&script);
    }
}

static void
test_exit_normal_didnt_stop_close_fails (void)
{
  g_test_summary ("exit(NULL) when the body yields again and the close "
                  "that follows fails: the close's error replaces "
                  "DIDNT_STOP; CLOSED");

  FORMS (blocking)
    {
      Script script;
      g_autoptr(AgenContextManager) cm = NULL;
      g_auto(Outcome) o = OUTCOME_INIT;
      AgenGenerator *gen;

      script_init (&script);
      script.resumed = THEN_YIELD;
      script.second = SECOND_RAISE;
      cm = script_new (&script);
      gen = agen_context_manager_get_generator (cm);

      g_assert_true (enter (cm, blocking, NULL, &o));
      g_assert_false (exit_ (cm, blocking, NULL, NULL, &o));
      g_assert_error (o.error, AGEN_TEST_ERROR, AGEN_TEST_ERROR_OTHER);
      g_assert_cmpstr (o.error->message, ==, "close failed");
      g_assert_cmpuint (script.second_closes, ==, 1);
      g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_CLOSED);
      script_clear (&script);
    }
}

/* Exit with the block's error ------------------------------------------ */

static void
test_exit_error_suppressed (void)
{
  g_test_summary ("exit(err) when the body catches err and returns: TRUE "
                  "(err suppressed); the yield got a copy of err; CLOSED");

  FORMS (blocking)
    {
      Script script;
      g_autoptr(AgenContextManager) cm = NULL;
      g_autoptr(GError) block_error = block_error_new ();
      g_auto(Outcome) o = OUTCOME_INIT;
      AgenGenerator *gen;

      script_init (&script);
      script.thrown = THEN_RETURN;
      cm = script_new (&script);
      gen = agen_context_manager_get_generator (cm);

      g_assert_true (enter (cm, blocking, NULL, &o));
      g_assert_true (exit_ (cm, blocking, block_error, NULL, &o));
      g_assert_no_error (o.error);

      g_assert_error (script.caught, AGEN_TEST_ERROR, AGEN_TEST_ERROR_BOOM);
      g_assert_cmpstr (script.caught->message, ==, "the block failed");
      g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_CLOSED);
      g_assert_cmpuint (script.destroyed, ==, 1);
      script_clear (&script);
    }
}

static void
test_exit_error_reraised (void)
{
  g_test_summary ("exit(err) when the body lets err out: FALSE + err with "
                  "its domain, code and message intact (a copy; the "
                  "caller's error is untouched); CLOSED");

  FORMS (blocking)
    {
      Script script;
      g_autoptr(AgenContextManager) cm = NULL;
      g_autoptr(GError) block_error = block_error_new ();
      g_auto(Outcome) o = OUTCOME_INIT;
      AgenGenerator *gen;

      script_init (&script);
      script.thrown = THEN_PROPAGATE;
      cm = script_new (&script);
      gen = agen_context_manager_get_generator (cm);

      g_assert_true (enter (cm, blocking, NULL, &o));
      g_assert_false (exit_ (cm, blocking, block_error, NULL, &o));
      g_assert_error (o.error, AGEN_TEST_ERROR, AGEN_TEST_ERROR_BOOM);
      g_assert_cmpstr (o.error->message, ==, "the block failed");
      g_assert_true (o.error != block_error);
      g_assert_error (block_error, AGEN_TEST_ERROR, AGEN_TEST_ERROR_BOOM);
      g_assert_cmpstr (block_error->message, ==, "the block failed");
      g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_CLOSED);
      script_clear (&script);
    }
}

static void
test_exit_error_replaced (void)
{
  g_test_summary ("exit(err) when the body raises another error: FALSE + "
                  "the new error; CLOSED");

  FORMS (blocking)
    {
      Script script;
      g_autoptr(AgenContextManager) cm = NULL;
      g_autoptr(GError) block_error = block_error_new ();
      g_auto(Outcome) o = OUTCOME_INIT;
      AgenGenerator *gen;

      script_init (&script);
      script.thrown = THEN_RAISE;
      cm = script_new (&script);
      gen = agen_context_manager_get_generator (cm);

      g_assert_true (enter (cm, blocking, NULL, &o));
      g_assert_false (exit_ (cm, blocking, block_error, NULL, &o));
      g_assert_error (o.error, AGEN_TEST_ERROR, AGEN_TEST_ERROR_OTHER);
      g_assert_cmpstr (o.error->message, ==, "teardown failed");
      g_assert_error (script.caught, AGEN_TEST_ERROR, AGEN_TEST_ERROR_BOOM);
      g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_CLOSED);
      script_clear (&script);
    }
}

static void
test_exit_error_didnt_stop (void)
{
  g_test_summary ("exit(err) when the body catches err and yields: the "
                  "generator is closed, then AGEN_ERROR_DIDNT_STOP "
                  "\"generator didn't stop after throw\"; CLOSED");

  FORMS (blocking)
    {
      Script script;
      g_autoptr(AgenContextManager) cm = NULL;
      g_autoptr(GError) block_error = block_error_new ();
      g_auto(Outcome) o = OUTCOME_INIT;
      AgenGenerator *gen;

      script_init (&script);
      script.thrown = THEN_YIELD;
      cm = script_new (&script);
      gen = agen_context_manager_get_generator (cm);

      g_assert_true (enter (cm, blocking, NULL, &o));
      g_assert_false (exit_ (cm, blocking, block_error, NULL, &o));
      g_assert_error (o.error, AGEN_ERROR, AGEN_ERROR_DIDNT_STOP);
      g_assert_cmpstr (o.error->message, ==, "generator didn't stop after throw");
      g_assert_cmpuint (script.second_closes, ==, 1);
      g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_CLOSED);
      g_assert_cmpuint (script.destroyed, ==, 1);
      script_clear (&script);
    }
}

static void
test_exit_error_didnt_stop_close_fails (void)
{
  g_test_summary ("exit(err) when the body yields and the close that "
                  "follows fails: the close's error replaces DIDNT_STOP; "
                  "CLOSED");

  FORMS (blocking)
    {
      Script script;
      g_autoptr(AgenContextManager) cm = NULL;
      g_autoptr(GError) block_error = block_error_new ();
      g_auto(Outcome) o = OUTCOME_INIT;
      AgenGenerator *gen;

      script_init (&script);
      script.thrown = THEN_YIELD;
      script.second = SECOND_RAISE;
      cm = script_new (&script);
      gen = agen_context_manager_get_generator (cm);

      g_assert_true (enter (cm, blocking, NULL, &o));
      g_assert_false (exit_ (cm, blocking, block_error, NULL, &o));
      g_assert_error (o.error, AGEN_TEST_ERROR, AGEN_TEST_ERROR_OTHER);
      g_assert_cmpstr (o.error->message, ==, "close failed");
      g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_CLOSED);
      script_clear (&script);
    }
}

static void
test_exit_didnt_stop_close_not_cancellable (void)
{
  Script script;
  g_autoptr(AgenContextManager) cm = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_auto(Outcome) o = OUTCOME_INIT;
  AgenGenerator *gen;

  g_test_summary ("when the exit's cancellable is cancelled during the step "
                  "and the body yields anyway, the close that follows still "
                  "runs (it is not given the cancellable): DIDNT_STOP, CLOSED");

  script_init (&script);
  script.await_teardown = AWAIT_GATE;
  script.resumed = THEN_YIELD;
  cm = script_new (&script);
  gen = agen_context_manager_get_generator (cm);

  g_assert_true (enter (cm, FALSE, NULL, &o));

  outcome_clear (&o);
  agen_context_manager_exit_async (cm, NULL, cancellable, exit_cb, &o);
  g_assert_true (agen_test_gate_waiting (&script.gate));
  g_cancellable_cancel (cancellable);
  agen_test_gate_open (&script.gate);
  agen_test_spin_until (&o.done, 5000);

  g_assert_false (o.ok);
  g_assert_error (o.error, AGEN_ERROR, AGEN_ERROR_DIDNT_STOP);
  g_assert_cmpuint (script.second_closes, ==, 1);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_CLOSED);
  script_clear (&script);
}

static void
test_exit_didnt_stop_ignored_exit (void)
{
  Script script;
  g_autoptr(AgenGenerator) gen = NULL;
  AgenContextManager *cm;
  g_auto(Outcome) o = OUTCOME_INIT;
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;

  g_test_summary ("exit(NULL) when the body yields again and then ignores "
                  "the close: IGNORED_EXIT replaces DIDNT_STOP; the "
                  "generator stays SUSPENDED and dropping the manager does "
                  "not try to close it again");

  script_init (&script);
  script.resumed = THEN_YIELD;
  script.second = SECOND_YIELD;
  gen = agen_generator_new (cm_body, &script, script_destroy);
  cm = agen_context_manager_new_for_generator (gen);

  g_assert_true (enter (cm, FALSE, NULL, &o));
  g_assert_false (exit_ (cm, FALSE, NULL, NULL, &o));
  g_assert_error (o.error, AGEN_ERROR, AGEN_ERROR_IGNORED_EXIT);
  g_assert_cmpuint (script.second_closes, ==, 1);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_SUSPENDED);

  /* A second close would log a warning, fatal here */
  agen_test_assert_finalized (cm, 1000);
  drain ();
  g_assert_cmpuint (script.second_closes, ==, 1);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_SUSPENDED);

  g_assert_false (agen_test_next (gen, NULL, &r));
  agen_test_assert_finished (&r);
  g_assert_cmpuint (script.destroyed, ==, 1);
  script_clear (&script);
}

static void
test_exit_error_closed_elsewhere (void)
{
  g_test_summary ("a generator closed during the block by someone else "
                  "cannot suppress the block's error: exit(err) gives FALSE "
                  "+ a copy of err; exit(NULL) gives TRUE (async and "
                  "blocking)");

  FORMS (blocking)
    {
      Script script;
      g_autoptr(AgenContextManager) cm = NULL;
      g_autoptr(AgenContextManager) cm2 = NULL;
      g_autoptr(GError) block_error = block_error_new ();
      g_autoptr(GError) error = NULL;
      g_auto(Outcome) o = OUTCOME_INIT;
      AgenGenerator *gen;

      script_init (&script);
      script.thrown = THEN_RETURN;   /* would suppress a thrown error */
      cm = script_new (&script);
      gen = agen_context_manager_get_generator (cm);

      g_assert_true (enter (cm, blocking, NULL, &o));
      g_assert_true (agen_generator_close (gen, NULL, &error));
      g_assert_no_error (error);
      g_assert_error (script.caught, AGEN_ERROR, AGEN_ERROR_EXIT);

      g_assert_false (exit_ (cm, blocking, block_error, NULL, &o));
      g_assert_error (o.error, AGEN_TEST_ERROR, AGEN_TEST_ERROR_BOOM);
      g_assert_cmpstr (o.error->message, ==, "the block failed");
      g_assert_cmpuint (script.teardowns, ==, 1);

      cm2 = script_new (&script);
      gen = agen_context_manager_get_generator (cm2);
      g_assert_true (enter (cm2, blocking, NULL, &o));
      g_assert_true (agen_generator_close (gen, NULL, &error));
      g_assert_no_error (error);
      g_assert_true (exit_ (cm2, blocking, NULL, NULL, &o));
      g_assert_cmpuint (script.teardowns, ==, 2);
      script_clear (&script);
    }
}

static void
test_dropped_after_cancelled_exit_closes (void)
{
  g_test_summary ("an exit whose cancellable was already cancelled fails "
                  "with CANCELLED and leaves the body suspended; dropping "
                  "the manager then closes the generator like an exit that "
                  "never happened (async and blocking)");

  FORMS (blocking)
    {
      Script script;
      g_autoptr(AgenGenerator) gen = NULL;
      g_autoptr(GCancellable) cancellable = g_cancellable_new ();
      AgenContextManager *cm;
      g_auto(Outcome) o = OUTCOME_INIT;

      script_init (&script);
      gen = agen_generator_new (cm_body, &script, script_destroy);
      cm = agen_context_manager_new_for_generator (gen);
      g_assert_true (enter (cm, blocking, NULL, &o));

      g_cancellable_cancel (cancellable);
      g_assert_false (exit_ (cm, blocking, NULL, cancellable, &o));
      g_assert_error (o.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
      g_assert_cmpuint (script.teardowns, ==, 0);
      g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_SUSPENDED);

      agen_test_assert_finalized (cm, 1000);
      agen_test_spin_until_count (&script.teardowns, 1, 5000);
      drain ();
      g_assert_error (script.caught, AGEN_ERROR, AGEN_ERROR_EXIT);
      g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_CLOSED);
      g_assert_cmpuint (script.destroyed, ==, 1);
      script_clear (&script);
    }
}

/* Awaiting ---------------------------------------------------------------- */

static void
test_await_in_enter_and_exit (void)
{
  Script script;
  g_autoptr(AgenContextManager) cm = NULL;
  g_auto(Outcome) o = OUTCOME_INIT;
  AgenGenerator *gen;

  g_test_summary ("a body that awaits during the enter and during the exit: "
                  "each completes only after its await, with the generator "
                  "RUNNING meanwhile (async with a gate; blocking with "
                  "timeouts)");

  /* async */
  script_init (&script);
  script.await_setup = AWAIT_GATE;
  script.await_teardown = AWAIT_GATE;
  cm = script_new (&script);
  gen = agen_context_manager_get_generator (cm);

  agen_context_manager_enter_async (cm, NULL, enter_cb, &o);
  g_assert_true (agen_test_gate_waiting (&script.gate));
  drain ();
  g_assert_false (o.done);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_RUNNING);
  agen_test_gate_open (&script.gate);
  agen_test_spin_until (&o.done, 5000);
  g_assert_true (o.ok);
  agen_test_assert_int (&o.value, 42);

  outcome_clear (&o);
  agen_context_manager_exit_async (cm, NULL, NULL, exit_cb, &o);
  g_assert_true (agen_test_gate_waiting (&script.gate));
  drain ();
  g_assert_false (o.done);
  g_assert_cmpuint (script.teardowns, ==, 1);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_RUNNING);
  agen_test_gate_open (&script.gate);
  agen_test_spin_until (&o.done, 5000);
  g_assert_true (o.ok);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_CLOSED);
  g_clear_object (&cm);
  script_clear (&script);

  /* blocking, with the block's error re-raised after the await */
  script_init (&script);
  script.await_setup = AWAIT_SLEEP;
  script.await_teardown = AWAIT_SLEEP;
  cm = script_new (&script);
  gen = agen_context_manager_get_generator (cm);

  g_assert_true (enter (cm, TRUE, NULL, &o));
  agen_test_assert_int (&o.value, 42);
  {
    g_autoptr(GError) block_error = block_error_new ();

    g_assert_false (exit_ (cm, TRUE, block_error, NULL, &o));
    g_assert_error (o.error, AGEN_TEST_ERROR, AGEN_TEST_ERROR_BOOM);
    g_assert_cmpstr (o.error->message, ==, "the block failed");
  }
  g_assert_cmpuint (script.teardowns, ==, 1);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_CLOSED);
  script_clear (&script);
}

/* Construction and lifetime -------------------------------------------- */

static void
test_new_for_generator (void)
{
  Script script;
  g_autoptr(AgenGenerator) gen = NULL;
  g_autoptr(AgenContextManager) cm = NULL;
  g_autoptr(AgenGenerator) prop = NULL;
  g_auto(Outcome) o = OUTCOME_INIT;

  g_test_summary ("new_for_generator wraps an existing generator without "
                  "touching it; the getter and the generator property give "
                  "it back; enter and exit drive it");

  script_init (&script);
  gen = agen_generator_new (cm_body, &script, script_destroy);
  cm = agen_context_manager_new_for_generator (gen);

  g_assert_true (agen_context_manager_get_generator (cm) == gen);
  g_object_get (cm, "generator", &prop, NULL);
  g_assert_true (prop == gen);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_CREATED);
  g_assert_null (agen_generator_get_context (gen));

  g_assert_true (enter (cm, FALSE, NULL, &o));
  agen_test_assert_int (&o.value, 42);
  g_assert_true (exit_ (cm, FALSE, NULL, NULL, &o));
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_CLOSED);

  g_clear_object (&cm);
  g_clear_object (&prop);
  agen_test_assert_finalized (g_steal_pointer (&gen), 1000);
  g_assert_cmpuint (script.destroyed, ==, 1);
  script_clear (&script);
}

static void
test_dropped_entered_closes (void)
{
  Script script;
  g_autoptr(AgenGenerator) gen = NULL;
  AgenContextManager *cm;
  g_auto(Outcome) o = OUTCOME_INIT;

  g_test_summary ("a context manager entered and dropped without exit "
                  "closes its generator, even one with other references: "
                  "the teardown gets EXIT from a later iteration; CLOSED; "
                  "the user data destroyed once");

  script_init (&script);
  gen = agen_generator_new (cm_body, &script, script_destroy);
  cm = agen_context_manager_new_for_generator (gen);
  g_assert_true (enter (cm, FALSE, NULL, &o));

  agen_test_assert_finalized (cm, 1000);
  g_assert_cmpuint (script.teardowns, ==, 0);

  agen_test_spin_until_count (&script.teardowns, 1, 5000);
  drain ();
  g_assert_error (script.caught, AGEN_ERROR, AGEN_ERROR_EXIT);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_CLOSED);
  g_assert_cmpuint (script.destroyed, ==, 1);

  agen_test_assert_finalized (g_steal_pointer (&gen), 1000);
  g_assert_cmpuint (script.teardowns, ==, 1);
  g_assert_cmpuint (script.destroyed, ==, 1);
  script_clear (&script);
}

static void
test_dropped_unentered (void)
{
  Script script;
  AgenContextManager *cm;

  g_test_summary ("a context manager dropped without enter never runs the "
                  "body; the user data is destroyed once");

  script_init (&script);
  cm = script_new (&script);
  agen_test_assert_finalized (cm, 1000);
  drain ();
  g_assert_cmpuint (script.setups, ==, 0);
  g_assert_cmpuint (script.destroyed, ==, 1);
  script_clear (&script);
}

/* Misuse ------------------------------------------------------------------ */

static void
test_misuse_exit_before_enter (void)
{
  Script script;
  g_autoptr(AgenContextManager) cm = NULL;
  g_auto(Outcome) o = OUTCOME_INIT;
  g_autoptr(GError) error = NULL;

  g_test_summary ("exit before enter is a programmer error: a critical, the "
                  "async callback never runs, the blocking form returns "
                  "FALSE without an error; the body never ran");

  if (!g_test_undefined ())
    return;

  script_init (&script);
  cm = script_new (&script);

  g_test_expect_message ("Agen", G_LOG_LEVEL_CRITICAL, "*not entered successfully*");
  agen_context_manager_exit_async (cm, NULL, NULL, exit_cb, &o);
  g_test_assert_expected_messages ();

  g_test_expect_message ("Agen", G_LOG_LEVEL_CRITICAL, "*not entered successfully*");
  g_assert_false (agen_context_manager_exit (cm, NULL, NULL, &error));
  g_test_assert_expected_messages ();
  g_assert_no_error (error);

  drain ();
  g_assert_false (o.done);
  g_assert_cmpuint (script.setups, ==, 0);
  g_assert_cmpint (agen_generator_get_state (agen_context_manager_get_generator (cm)),
                   ==, AGEN_GENERATOR_STATE_CREATED);
  script_clear (&script);
}

static void
test_misuse_exit_after_failed_enter (void)
{
  Script script;
  g_autoptr(AgenContextManager) cm = NULL;
  g_auto(Outcome) o = OUTCOME_INIT;
  g_autoptr(GError) error = NULL;

  g_test_summary ("exit after an enter that failed (DIDNT_YIELD) is a "
                  "programmer error: a critical, nothing runs");

  if (!g_test_undefined ())
    return;

  script_init (&script);
  script.enter = ENTER_RETURN;
  cm = script_new (&script);
  g_assert_false (enter (cm, FALSE, NULL, &o));

  outcome_clear (&o);
  g_test_expect_message ("Agen", G_LOG_LEVEL_CRITICAL, "*not entered successfully*");
  agen_context_manager_exit_async (cm, NULL, NULL, exit_cb, &o);
  g_test_assert_expected_messages ();

  g_test_expect_message ("Agen", G_LOG_LEVEL_CRITICAL, "*not entered successfully*");
  g_assert_false (agen_context_manager_exit (cm, NULL, NULL, &error));
  g_test_assert_expected_messages ();
  g_assert_no_error (error);

  drain ();
  g_assert_false (o.done);
  script_clear (&script);
}

static void
test_misuse_exit_while_entering (void)
{
  Script script;
  g_autoptr(AgenContextManager) cm = NULL;
  g_auto(Outcome) o = OUTCOME_INIT;
  g_auto(Outcome) o2 = OUTCOME_INIT;

  g_test_summary ("exit while the enter is still in progress is a "
                  "programmer error: a critical; the enter completes "
                  "normally");

  if (!g_test_undefined ())
    return;

  script_init (&script);
  script.await_setup = AWAIT_GATE;
  cm = script_new (&script);

  agen_context_manager_enter_async (cm, NULL, enter_cb, &o);
  g_test_expect_message ("Agen", G_LOG_LEVEL_CRITICAL, "*not entered successfully*");
  agen_context_manager_exit_async (cm, NULL, NULL, exit_cb, &o2);
  g_test_assert_expected_messages ();

  agen_test_gate_open (&script.gate);
  agen_test_spin_until (&o.done, 5000);
  g_assert_true (o.ok);
  g_assert_false (o2.done);
  g_assert_true (exit_ (cm, FALSE, NULL, NULL, &o2));
  script_clear (&script);
}

static void
test_misuse_enter_twice (void)
{
  Script script;
  g_autoptr(AgenContextManager) cm = NULL;
  g_auto(Outcome) o = OUTCOME_INIT;
  g_auto(GValue) value = G_VALUE_INIT;
  g_autoptr(GError) error = NULL;

  g_test_summary ("a second enter is a programmer error: a critical, the "
                  "async callback never runs, the blocking form returns "
                  "FALSE with the value None and no error; the generator "
                  "is not iterated again");

  if (!g_test_undefined ())
    return;

  script_init (&script);
  cm = script_new (&script);
  g_assert_true (enter (cm, FALSE, NULL, &o));

  outcome_clear (&o);
  g_test_expect_message ("Agen", G_LOG_LEVEL_CRITICAL, "*already entered*");
  agen_context_manager_enter_async (cm, NULL, enter_cb, &o);
  g_test_assert_expected_messages ();

  g_test_expect_message ("Agen", G_LOG_LEVEL_CRITICAL, "*already entered*");
  g_assert_false (agen_context_manager_enter (cm, NULL, &value, &error));
  g_test_assert_expected_messages ();
  g_assert_no_error (error);
  agen_test_assert_none (&value);

  drain ();
  g_assert_false (o.done);
  g_assert_cmpuint (script.setups, ==, 1);
  g_assert_cmpuint (script.teardowns, ==, 0);
  g_assert_cmpint (agen_generator_get_state (agen_context_manager_get_generator (cm)),
                   ==, AGEN_GENERATOR_STATE_SUSPENDED);

  g_assert_true (exit_ (cm, FALSE, NULL, NULL, &o));
  script_clear (&script);
}

static void
test_misuse_enter_after_failed_enter (void)
{
  Script script;
  g_autoptr(AgenContextManager) cm = NULL;
  g_auto(Outcome) o = OUTCOME_INIT;

  g_test_summary ("enter again after an enter that failed is a programmer "
                  "error too: enter once, whatever the outcome");

  if (!g_test_undefined ())
    return;

  script_init (&script);
  script.enter = ENTER_RAISE;
  cm = script_new (&script);
  g_assert_false (enter (cm, TRUE, NULL, &o));

  outcome_clear (&o);
  g_test_expect_message ("Agen", G_LOG_LEVEL_CRITICAL, "*already entered*");
  agen_context_manager_enter_async (cm, NULL, enter_cb, &o);
  g_test_assert_expected_messages ();
  drain ();
  g_assert_false (o.done);
  g_assert_cmpuint (script.setups, ==, 1);
  script_clear (&script);
}

static void
test_misuse_exit_twice (void)
{
  Script script;
  g_autoptr(AgenContextManager) cm = NULL;
  g_auto(Outcome) o = OUTCOME_INIT;
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) block_error = block_error_new ();

  g_test_summary ("a second exit is a programmer error: a critical, the "
                  "async callback never runs, the blocking form returns "
                  "FALSE without an error");

  if (!g_test_undefined ())
    return;

  script_init (&script);
  cm = script_new (&script);
  g_assert_true (enter (cm, FALSE, NULL, &o));
  g_assert_true (exit_ (cm, FALSE, NULL, NULL, &o));

  outcome_clear (&o);
  g_test_expect_message ("Agen", G_LOG_LEVEL_CRITICAL, "*already exited*");
  agen_context_manager_exit_async (cm, block_error, NULL, exit_cb, &o);
  g_test_assert_expected_messages ();

  g_test_expect_message ("Agen", G_LOG_LEVEL_CRITICAL, "*already exited*");
  g_assert_false (agen_context_manager_exit (cm, NULL, NULL, &error));
  g_test_assert_expected_messages ();
  g_assert_no_error (error);

  drain ();
  g_assert_false (o.done);
  g_assert_cmpuint (script.teardowns, ==, 1);
  script_clear (&script);
}

/* Blocking forms inside another generator's body ----------------------- */

typedef struct
{
  Script   *script;
  gboolean  with_error;
  GError   *exit_error;
} DriverData;

/* Uses a context manager whose body awaits in setup and teardown with the
 * blocking forms, then yields the entered value + 1. */
static gboolean
driver_body (AgenGenerator  *self,
             gpointer        user_data,
             GError        **error)
{
  DriverData *data = user_data;
  g_autoptr(AgenContextManager) cm = script_new (data->script);
  g_autoptr(GError) block_error = NULL;
  g_auto(GValue) value = G_VALUE_INIT;
  gint v;

  if (!agen_context_manager_enter (cm, NULL, &value, error))
    return FALSE;
  v = g_value_get_int (&value);

  if (data->with_error)
    block_error = block_error_new ();

  if (!agen_context_manager_exit (cm, block_error, NULL, &data->exit_error) &&
      !data->with_error)
    {
      g_propagate_error (error, g_steal_pointer (&data->exit_error));
      return FALSE;
    }

  return agen_test_yield_int (self, v + 1, NULL, error);
}

static void
test_blocking_inside_other_body (void)
{
  g_test_summary ("the blocking enter and exit inside another generator's "
                  "body suspend only that body: the driver is RUNNING while "
                  "the managed body awaits, then gets the value and the "
                  "exit's outcome (with and without a block error)");

  for (guint with_error = 0; with_error < 2; with_error++)
    {
      Script script;
      DriverData data = { &script, with_error, NULL };
      g_autoptr(AgenGenerator) driver = NULL;
      g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;

      script_init (&script);
      script.await_setup = AWAIT_SLEEP;
      script.await_teardown = AWAIT_SLEEP;
      driver = agen_generator_new (driver_body, &data, NULL);

      agen_generator_next_async (driver, NULL, agen_test_next_cb, &r);
      g_assert_false (r.done);
      g_assert_cmpint (agen_generator_get_state (driver), ==, AGEN_GENERATOR_STATE_RUNNING);
      g_assert_cmpuint (script.setups, ==, 1);
      g_assert_cmpuint (script.teardowns, ==, 0);
      agen_test_spin_until (&r.done, 5000);

      agen_test_assert_yielded_int (&r, 43);
      g_assert_cmpuint (script.teardowns, ==, 1);
      g_assert_cmpuint (script.destroyed, ==, 1);
      if (with_error)
        {
          g_assert_error (data.exit_error, AGEN_TEST_ERROR, AGEN_TEST_ERROR_BOOM);
          g_assert_cmpstr (data.exit_error->message, ==, "the block failed");
          g_assert_error (script.caught, AGEN_TEST_ERROR, AGEN_TEST_ERROR_BOOM);
        }
      else
        g_assert_no_error (data.exit_error);

      g_assert_false (agen_test_next (driver, NULL, &r));
      agen_test_assert_finished (&r);
      g_clear_error (&data.exit_error);
      script_clear (&script);
    }
}

/* Uses the async forms, awaited, then yields the entered value + 1. */
static gboolean
awaiting_driver_body (AgenGenerator  *self,
                      gpointer        user_data,
                      GError        **error)
{
  Script *script = user_data;
  g_autoptr(AgenContextManager) cm = script_new (script);
  g_auto(GValue) value = G_VALUE_INIT;

  agen_context_manager_enter_async (cm, agen_generator_get_cancellable (self),
                                    AGEN_AWAIT_CALLBACK (self));
  if (!agen_context_manager_enter_finish (cm, agen_generator_await (self),
                                          &value, error))
    return FALSE;

  agen_context_manager_exit_async (cm, NULL, agen_generator_get_cancellable (self),
                                   AGEN_AWAIT_CALLBACK (self));
  if (!agen_context_manager_exit_finish (cm, agen_generator_await (self), error))
    return FALSE;

  return agen_test_yield_int (self, g_value_get_int (&value) + 1, NULL, error);
}

static void
test_async_awaited_inside_other_body (void)
{
  Script script;
  g_autoptr(AgenGenerator) driver = NULL;
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;

  g_test_summary ("the async enter and exit awaited from another "
                  "generator's body with AGEN_AWAIT_CALLBACK work, the "
                  "managed body awaiting too");

  script_init (&script);
  script.await_setup = AWAIT_SLEEP;
  script.await_teardown = AWAIT_SLEEP;
  driver = agen_generator_new (awaiting_driver_body, &script, NULL);

  g_assert_true (agen_test_next (driver, NULL, &r));
  agen_test_assert_yielded_int (&r, 43);
  g_assert_cmpuint (script.setups, ==, 1);
  g_assert_cmpuint (script.teardowns, ==, 1);
  g_assert_cmpuint (script.destroyed, ==, 1);

  g_assert_false (agen_test_next (driver, NULL, &r));
  agen_test_assert_finished (&r);
  script_clear (&script);
}

static void
exit_normally_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  Outcome *outcome = user_data;

  g_assert_false (outcome->done);
  outcome->ok = agen_context_manager_exit_normally_finish (AGEN_CONTEXT_MANAGER (source),
                                                           result, &outcome->error);
  outcome->done = TRUE;
}

static void
test_exit_normally (void)
{
  Script script;
  g_autoptr(AgenContextManager) cm1 = NULL;
  g_autoptr(AgenContextManager) cm2 = NULL;
  g_auto(Outcome) o = OUTCOME_INIT;
  g_autoptr(GError) error = NULL;

  g_test_summary ("exit_normally (async and blocking) is exit with no block "
                  "error: the generator is resumed and finishes its teardown");

  script_init (&script);
  cm1 = script_new (&script);
  cm2 = script_new (&script);

  g_assert_true (agen_context_manager_enter (cm1, NULL, NULL, &error));
  g_assert_true (agen_context_manager_exit_normally (cm1, NULL, &error));
  g_assert_no_error (error);

  g_assert_true (agen_context_manager_enter (cm2, NULL, NULL, &error));
  agen_context_manager_exit_normally_async (cm2, NULL, exit_normally_cb, &o);
  g_assert_false (o.done);
  agen_test_spin_until (&o.done, 5000);
  g_assert_no_error (o.error);
  g_assert_true (o.ok);

  g_assert_cmpuint (script.setups, ==, 2);
  g_assert_cmpuint (script.teardowns, ==, 2);
  script_clear (&script);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Agen/ContextManager/enter-yields-value", test_enter_yields_value);
  g_test_add_func ("/Agen/ContextManager/exit-normally", test_exit_normally);
  g_test_add_func ("/Agen/ContextManager/enter-value-optional", test_enter_value_optional);
  g_test_add_func ("/Agen/ContextManager/enter-didnt-yield", test_enter_didnt_yield);
  g_test_add_func ("/Agen/ContextManager/enter-error", test_enter_error);
  g_test_add_func ("/Agen/ContextManager/enter-cancelled-keeps-value", test_enter_cancelled_keeps_value);
  g_test_add_func ("/Agen/ContextManager/enter-cancellable-reaches-body", test_enter_cancellable_reaches_body);

  g_test_add_func ("/Agen/ContextManager/exit-normal", test_exit_normal);
  g_test_add_func ("/Agen/ContextManager/exit-normal-error", test_exit_normal_error);
  g_test_add_func ("/Agen/ContextManager/exit-normal-didnt-stop", test_exit_normal_didnt_stop);
  g_test_add_func ("/Agen/ContextManager/exit-normal-didnt-stop-close-fails", test_exit_normal_didnt_stop_close_fails);
  g_test_add_func ("/Agen/ContextManager/exit-error-suppressed", test_exit_error_suppressed);
  g_test_add_func ("/Agen/ContextManager/exit-error-reraised", test_exit_error_reraised);
  g_test_add_func ("/Agen/ContextManager/exit-error-replaced", test_exit_error_replaced);
  g_test_add_func ("/Agen/ContextManager/exit-error-didnt-stop", test_exit_error_didnt_stop);
  g_test_add_func ("/Agen/ContextManager/exit-error-didnt-stop-close-fails", test_exit_error_didnt_stop_close_fails);
  g_test_add_func ("/Agen/ContextManager/exit-didnt-stop-close-not-cancellable", test_exit_didnt_stop_close_not_cancellable);
  g_test_add_func ("/Agen/ContextManager/exit-didnt-stop-ignored-exit", test_exit_didnt_stop_ignored_exit);
  g_test_add_func ("/Agen/ContextManager/exit-error-closed-elsewhere", test_exit_error_closed_elsewhere);

  g_test_add_func ("/Agen/ContextManager/await-in-enter-and-exit", test_await_in_enter_and_exit);

  g_test_add_func ("/Agen/ContextManager/new-for-generator", test_new_for_generator);
  g_test_add_func ("/Agen/ContextManager/dropped-entered-closes", test_dropped_entered_closes);
  g_test_add_func ("/Agen/ContextManager/dropped-unentered", test_dropped_unentered);
  g_test_add_func ("/Agen/ContextManager/dropped-after-cancelled-exit-closes", test_dropped_after_cancelled_exit_closes);

  g_test_add_func ("/Agen/ContextManager/misuse/exit-before-enter", test_misuse_exit_before_enter);
  g_test_add_func ("/Agen/ContextManager/misuse/exit-after-failed-enter", test_misuse_exit_after_failed_enter);
  g_test_add_func ("/Agen/ContextManager/misuse/exit-while-entering", test_misuse_exit_while_entering);
  g_test_add_func ("/Agen/ContextManager/misuse/enter-twice", test_misuse_enter_twice);
  g_test_add_func ("/Agen/ContextManager/misuse/enter-after-failed-enter", test_misuse_enter_after_failed_enter);
  g_test_add_func ("/Agen/ContextManager/misuse/exit-twice", test_misuse_exit_twice);

  g_test_add_func ("/Agen/ContextManager/blocking/inside-other-body", test_blocking_inside_other_body);
  g_test_add_func ("/Agen/ContextManager/async/awaited-inside-other-body", test_async_awaited_inside_other_body);

  return g_test_run ();
}
