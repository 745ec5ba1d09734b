/* test-generator.c — AgenGenerator: the state × operation table, step and
 * close outcomes, the body side, user data, callbacks and properties
 * (docs/semantics.md, "States and operations" and "The body")
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include <agen.h>

#include "agen-fiber-private.h"
#include "agen-test-util.h"

/* A scripted body ----------------------------------------------------------
 *
 * rec_body yields 1, 2, … n_yields and returns TRUE. It records what each
 * yield returned. When a yield returns FALSE ("catching") it does what
 * on_error says.
 */

typedef enum
{
  ON_ERROR_PROPAGATE,    /* return FALSE with the error */
  ON_ERROR_YIELD_ONCE,   /* first time: yield 100 + i and go on; then propagate */
  ON_ERROR_RETURN,       /* return TRUE */
  ON_ERROR_RAISE_OTHER,  /* return FALSE with AGEN_TEST_ERROR_OTHER */
} OnError;

typedef struct
{
  OnError   on_error;
  gint      n_yields;
  guint     started;
  guint     resumed;     /* yields that returned TRUE */
  guint     caught;      /* yields that returned FALSE */
  guint     finished;    /* the body reached its end (any way) */
  guint     destroyed;
  GError   *last_error;  /* what the last failing yield returned */
  GValue    last_sent;   /* what the last succeeding yield received */
} Rec;

static void
rec_init (Rec     *rec,
          OnError  on_error)
{
  memset (rec, 0, sizeof *rec);
  rec->on_error = on_error;
  rec->n_yields = 3;
}

static void
rec_clear (Rec *rec)
{
  g_clear_error (&rec->last_error);
  if (G_IS_VALUE (&rec->last_sent))
    g_value_unset (&rec->last_sent);
}

static void
rec_destroy (gpointer user_data)
{
  Rec *rec = user_data;

  rec->destroyed++;
}

static gboolean
rec_body (AgenGenerator  *self,
          gpointer        user_data,
          GError        **error)
{
  Rec *rec = user_data;
  gint i;

  rec->started++;

  for (i = 1; i <= rec->n_yields; i++)
    {
      g_autoptr(GError) local = NULL;
      g_auto(GValue) sent = G_VALUE_INIT;

      if (agen_test_yield_int (self, i, &sent, &local))
        {
          rec->resumed++;
          if (G_IS_VALUE (&rec->last_sent))
            g_value_unset (&rec->last_sent);
          g_value_init (&rec->last_sent, G_VALUE_TYPE (&sent));
          g_value_copy (&sent, &rec->last_sent);
          continue;
        }

      rec->caught++;
      g_clear_error (&rec->last_error);
      rec->last_error = g_error_copy (local);

      switch (rec->on_error)
        {
        case ON_ERROR_PROPAGATE:
          rec->finished++;
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;

        case ON_ERROR_YIELD_ONCE:
          if (rec->caught == 1)
            {
              g_clear_error (&local);
              if (agen_test_yield_int (self, 100 + i, NULL, &local))
                {
                  rec->resumed++;
                  continue;
                }
              rec->caught++;
              g_clear_error (&rec->last_error);
              rec->last_error = g_error_copy (local);
            }
          rec->finished++;
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;

        case ON_ERROR_RETURN:
          rec->finished++;
          return TRUE;

        case ON_ERROR_RAISE_OTHER:
          rec->finished++;
          g_set_error_literal (error, AGEN_TEST_ERROR, AGEN_TEST_ERROR_OTHER, "other");
          return FALSE;

        default:
          g_assert_not_reached ();
        }
    }

  rec->finished++;
  return TRUE;
}

static AgenGenerator *
rec_new (Rec *rec)
{
  return agen_generator_new (rec_body, rec, rec_destroy);
}

/* Drives a fresh rec generator to its first yield. */
static void
rec_start (AgenGenerator *gen)
{
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;

  agen_test_next (gen, NULL, &r);
  agen_test_assert_yielded_int (&r, 1);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_SUSPENDED);
}

static GError *
boom_new (void)
{
  return g_error_new_literal (AGEN_TEST_ERROR, AGEN_TEST_ERROR_BOOM, "boom");
}

/* A body that waits at a gate before it yields 1 ------------------------- */

typedef struct
{
  AgenTestGate gate;
  guint        caught;
  guint        destroyed;
  gboolean     running_inside;
  gboolean     running_prop_inside;
  AgenGeneratorState state_inside;
  AgenGeneratorState state_prop_inside;
} GateData;

static void
gate_data_destroy (gpointer user_data)
{
  GateData *data = user_data;

  data->destroyed++;
}

static gboolean
gate_body (AgenGenerator  *self,
           gpointer        user_data,
           GError        **error)
{
  GateData *data = user_data;
  g_autoptr(GError) local = NULL;

  data->running_inside = agen_generator_get_running (self);
  data->state_inside = agen_generator_get_state (self);
  g_object_get (self,
                "running", &data->running_prop_inside,
                "state", &data->state_prop_inside,
                NULL);

  if (!agen_test_gate_wait (&data->gate, self, error))
    return FALSE;

  if (!agen_test_yield_int (self, 1, NULL, &local))
    {
      data->caught++;
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }

  return TRUE;
}

/* Starts gen (a gate_body), which stops at the gate: the op stays pending
 * in first. */
static void
gate_start (AgenGenerator  *gen,
            GateData       *data,
            AgenTestResult *first)
{
  agen_test_result_clear (first);
  agen_generator_next_async (gen, NULL, agen_test_next_cb, first);
  g_assert_false (first->done);
  g_assert_true (agen_test_gate_waiting (&data->gate));
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_RUNNING);
  g_assert_true (agen_generator_get_running (gen));
}

/* Opens the gate and checks that the pending op yields 1, then closes. */
static void
gate_finish (AgenGenerator  *gen,
             GateData       *data,
             AgenTestResult *first)
{
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;

  g_assert_false (first->done);
  agen_test_gate_open (&data->gate);
  agen_test_spin_until (&first->done, 5000);
  agen_test_assert_yielded_int (first, 1);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_SUSPENDED);
  g_assert_cmpuint (data->caught, ==, 0);

  g_assert_true (agen_test_close (gen, NULL, &r));
  g_assert_no_error (r.error);
  g_assert_cmpuint (data->caught, ==, 1);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_CLOSED);
}

/* The table: CREATED ------------------------------------------------------- */

static void
test_created_next_starts_body (void)
{
  Rec rec;
  g_autoptr(AgenGenerator) gen = NULL;
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;

  g_test_summary ("next on a CREATED generator starts the body: TRUE + the "
                  "first yielded value, state SUSPENDED");

  rec_init (&rec, ON_ERROR_PROPAGATE);
  gen = rec_new (&rec);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_CREATED);
  g_assert_cmpuint (rec.started, ==, 0);

  g_assert_true (agen_test_next (gen, NULL, &r));
  agen_test_assert_yielded_int (&r, 1);
  g_assert_cmpuint (rec.started, ==, 1);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_SUSPENDED);

  agen_test_close (gen, NULL, &r);
  rec_clear (&rec);
}

static void
test_created_send_none_starts_body (void)
{
  Rec rec1, rec2;
  g_autoptr(AgenGenerator) gen1 = NULL;
  g_autoptr(AgenGenerator) gen2 = NULL;
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;
  g_auto(GValue) none = G_VALUE_INIT;

  g_test_summary ("send(None) on a CREATED generator starts the body like "
                  "next, whether None is NULL or a G_TYPE_POINTER NULL");

  rec_init (&rec1, ON_ERROR_PROPAGATE);
  gen1 = rec_new (&rec1);
  g_assert_true (agen_test_send (gen1, NULL, NULL, &r));
  agen_test_assert_yielded_int (&r, 1);
  g_assert_cmpuint (rec1.started, ==, 1);
  g_assert_cmpint (agen_generator_get_state (gen1), ==, AGEN_GENERATOR_STATE_SUSPENDED);

  rec_init (&rec2, ON_ERROR_PROPAGATE);
  gen2 = rec_new (&rec2);
  g_assert_true (agen_test_send (gen2, agen_test_value_none (&none), NULL, &r));
  agen_test_assert_yielded_int (&r, 1);
  g_assert_cmpuint (rec2.started, ==, 1);
  g_assert_cmpint (agen_generator_get_state (gen2), ==, AGEN_GENERATOR_STATE_SUSPENDED);

  agen_test_close (gen1, NULL, &r);
  agen_test_close (gen2, NULL, &r);
  rec_clear (&rec1);
  rec_clear (&rec2);
}

static void
test_created_send_value_not_started (void)
{
  Rec rec;
  g_autoptr(AgenGenerator) gen = NULL;
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;
  g_auto(GValue) v = G_VALUE_INIT;

  g_test_summary ("send(v) with v not None on a CREATED generator fails with "
                  "NOT_STARTED; the body does not run and the generator "
                  "stays CREATED and startable");

  rec_init (&rec, ON_ERROR_PROPAGATE);
  gen = rec_new (&rec);

  g_assert_false (agen_test_send (gen, agen_test_value_int (&v, 5), NULL, &r));
  agen_test_assert_failed (&r, AGEN_ERROR, AGEN_ERROR_NOT_STARTED);
  g_assert_cmpuint (rec.started, ==, 0);
  g_assert_cmpuint (rec.destroyed, ==, 0);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_CREATED);

  /* Still startable */
  g_assert_true (agen_test_next (gen, NULL, &r));
  agen_test_assert_yielded_int (&r, 1);
  g_assert_cmpuint (rec.started, ==, 1);

  agen_test_close (gen, NULL, &r);
  rec_clear (&rec);
}

static void
test_created_throw_closes_without_running (void)
{
  Rec rec;
  g_autoptr(AgenGenerator) gen = NULL;
  g_autoptr(GError) boom = boom_new ();
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;

  g_test_summary ("throw(e) on a CREATED generator gives FALSE + a copy of e "
                  "and CLOSED; the body never runs");

  rec_init (&rec, ON_ERROR_PROPAGATE);
  gen = rec_new (&rec);

  g_assert_false (agen_test_throw (gen, boom, NULL, &r));
  agen_test_assert_failed (&r, AGEN_TEST_ERROR, AGEN_TEST_ERROR_BOOM);
  g_assert_cmpstr (r.error->message, ==, "boom");
  g_assert_true (r.error != boom);
  g_assert_cmpuint (rec.started, ==, 0);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_CLOSED);

  /* The body can never run */
  g_assert_false (agen_test_next (gen, NULL, &r));
  agen_test_assert_finished (&r);
  g_assert_cmpuint (rec.started, ==, 0);
  rec_clear (&rec);
}

static void
test_created_close_closes_without_running (void)
{
  Rec rec;
  g_autoptr(AgenGenerator) gen = NULL;
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;

  g_test_summary ("close on a CREATED generator gives TRUE and CLOSED; the "
                  "body never runs");

  rec_init (&rec, ON_ERROR_PROPAGATE);
  gen = rec_new (&rec);

  g_assert_true (agen_test_close (gen, NULL, &r));
  g_assert_no_error (r.error);
  g_assert_cmpuint (rec.started, ==, 0);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_CLOSED);

  g_assert_false (agen_test_next (gen, NULL, &r));
  agen_test_assert_finished (&r);
  g_assert_cmpuint (rec.started, ==, 0);
  rec_clear (&rec);
}

/* The table: SUSPENDED ----------------------------------------------------- */

static void
test_suspended_next_resumes (void)
{
  Rec rec;
  g_autoptr(AgenGenerator) gen = NULL;
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;

  g_test_summary ("next on a SUSPENDED generator resumes the body: its yield "
                  "returns TRUE with sent = None, and the op gives the next "
                  "yielded value");

  rec_init (&rec, ON_ERROR_PROPAGATE);
  gen = rec_new (&rec);
  rec_start (gen);

  g_assert_true (agen_test_next (gen, NULL, &r));
  agen_test_assert_yielded_int (&r, 2);
  g_assert_cmpuint (rec.resumed, ==, 1);
  g_assert_cmpuint (rec.caught, ==, 0);
  agen_test_assert_none (&rec.last_sent);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_SUSPENDED);

  agen_test_close (gen, NULL, &r);
  rec_clear (&rec);
}

static void
test_suspended_send_value_resumes (void)
{
  Rec rec;
  g_autoptr(AgenGenerator) gen = NULL;
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;
  g_auto(GValue) v = G_VALUE_INIT;

  g_test_summary ("send(v) on a SUSPENDED generator resumes the body: its "
                  "yield returns TRUE with sent = a copy of v");

  rec_init (&rec, ON_ERROR_PROPAGATE);
  gen = rec_new (&rec);
  rec_start (gen);

  agen_test_value_string (&v, "hello");
  g_assert_true (agen_test_send (gen, &v, NULL, &r));
  agen_test_assert_yielded_int (&r, 2);
  g_assert_cmpuint (rec.resumed, ==, 1);
  agen_test_assert_string (&rec.last_sent, "hello");
  /* A copy: the body's value does not share the caller's string */
  g_assert_true (g_value_get_string (&rec.last_sent) != g_value_get_string (&v));
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_SUSPENDED);

  agen_test_close (gen, NULL, &r);
  rec_clear (&rec);
}

static void
test_suspended_throw_body_propagates (void)
{
  Rec rec;
  g_autoptr(AgenGenerator) gen = NULL;
  g_autoptr(GError) boom = boom_new ();
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;

  g_test_summary ("throw(e) on a SUSPENDED generator makes its yield return "
                  "FALSE + e; a body that lets it out gives FALSE + e and "
                  "CLOSED");

  rec_init (&rec, ON_ERROR_PROPAGATE);
  gen = rec_new (&rec);
  rec_start (gen);

  g_assert_false (agen_test_throw (gen, boom, NULL, &r));
  agen_test_assert_failed (&r, AGEN_TEST_ERROR, AGEN_TEST_ERROR_BOOM);
  g_assert_cmpstr (r.error->message, ==, "boom");
  g_assert_cmpuint (rec.caught, ==, 1);
  g_assert_error (rec.last_error, AGEN_TEST_ERROR, AGEN_TEST_ERROR_BOOM);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_CLOSED);
  rec_clear (&rec);
}

static void
test_suspended_throw_body_catches_and_yields (void)
{
  Rec rec;
  g_autoptr(AgenGenerator) gen = NULL;
  g_autoptr(GError) boom = boom_new ();
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;

  g_test_summary ("throw(e) caught by a body that yields v gives TRUE + v; "
                  "the generator stays SUSPENDED and usable");

  rec_init (&rec, ON_ERROR_YIELD_ONCE);
  gen = rec_new (&rec);
  rec_start (gen);

  g_assert_true (agen_test_throw (gen, boom, NULL, &r));
  agen_test_assert_yielded_int (&r, 101);
  g_assert_error (rec.last_error, AGEN_TEST_ERROR, AGEN_TEST_ERROR_BOOM);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_SUSPENDED);

  g_assert_true (agen_test_next (gen, NULL, &r));
  agen_test_assert_yielded_int (&r, 2);

  agen_test_close (gen, NULL, &r);
  rec_clear (&rec);
}

static void
test_suspended_throw_body_catches_and_returns (void)
{
  Rec rec;
  g_autoptr(AgenGenerator) gen = NULL;
  g_autoptr(GError) boom = boom_new ();
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;

  g_test_summary ("throw(e) caught by a body that returns TRUE gives "
                  "finished (FALSE, no error) and CLOSED");

  rec_init (&rec, ON_ERROR_RETURN);
  gen = rec_new (&rec);
  rec_start (gen);

  g_assert_false (agen_test_throw (gen, boom, NULL, &r));
  agen_test_assert_finished (&r);
  g_assert_cmpuint (rec.caught, ==, 1);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_CLOSED);
  rec_clear (&rec);
}

static void
test_suspended_throw_exit_caught_yields (void)
{
  Rec rec;
  g_autoptr(AgenGenerator) gen = NULL;
  g_autoptr(GError) exit_error = g_error_new_literal (AGEN_ERROR, AGEN_ERROR_EXIT, "exit");
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;

  g_test_summary ("throw(EXIT) is an ordinary throw: a body that yields on it "
                  "gives TRUE + the value, not IGNORED_EXIT");

  rec_init (&rec, ON_ERROR_YIELD_ONCE);
  gen = rec_new (&rec);
  rec_start (gen);

  g_assert_true (agen_test_throw (gen, exit_error, NULL, &r));
  agen_test_assert_yielded_int (&r, 101);
  g_assert_error (rec.last_error, AGEN_ERROR, AGEN_ERROR_EXIT);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_SUSPENDED);

  agen_test_close (gen, NULL, &r);
  rec_clear (&rec);
}

static void
test_suspended_throw_exit_propagates (void)
{
  Rec rec;
  g_autoptr(AgenGenerator) gen = NULL;
  g_autoptr(GError) exit_error = g_error_new_literal (AGEN_ERROR, AGEN_ERROR_EXIT, "exit");
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;

  g_test_summary ("throw(EXIT) that the body lets out gives FALSE + EXIT "
                  "(only close turns EXIT into success); state CLOSED");

  rec_init (&rec, ON_ERROR_PROPAGATE);
  gen = rec_new (&rec);
  rec_start (gen);

  g_assert_false (agen_test_throw (gen, exit_error, NULL, &r));
  agen_test_assert_failed (&r, AGEN_ERROR, AGEN_ERROR_EXIT);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_CLOSED);
  rec_clear (&rec);
}

static void
test_suspended_close_body_propagates_exit (void)
{
  Rec rec;
  g_autoptr(AgenGenerator) gen = NULL;
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;

  g_test_summary ("close on a SUSPENDED generator makes its yield return "
                  "FALSE + EXIT; a body that lets EXIT out gives TRUE, CLOSED");

  rec_init (&rec, ON_ERROR_PROPAGATE);
  gen = rec_new (&rec);
  rec_start (gen);

  g_assert_true (agen_test_close (gen, NULL, &r));
  g_assert_no_error (r.error);
  g_assert_cmpuint (rec.caught, ==, 1);
  g_assert_error (rec.last_error, AGEN_ERROR, AGEN_ERROR_EXIT);
  g_assert_cmpuint (rec.finished, ==, 1);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_CLOSED);
  rec_clear (&rec);
}

static void
test_suspended_close_body_returns (void)
{
  Rec rec;
  g_autoptr(AgenGenerator) gen = NULL;
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;

  g_test_summary ("close whose body catches EXIT and returns TRUE gives TRUE, "
                  "CLOSED");

  rec_init (&rec, ON_ERROR_RETURN);
  gen = rec_new (&rec);
  rec_start (gen);

  g_assert_true (agen_test_close (gen, NULL, &r));
  g_assert_no_error (r.error);
  g_assert_error (rec.last_error, AGEN_ERROR, AGEN_ERROR_EXIT);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_CLOSED);
  rec_clear (&rec);
}

static void
test_suspended_close_body_raises_other (void)
{
  Rec rec;
  g_autoptr(AgenGenerator) gen = NULL;
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;

  g_test_summary ("close whose body raises another error gives FALSE + that "
                  "error, CLOSED");

  rec_init (&rec, ON_ERROR_RAISE_OTHER);
  gen = rec_new (&rec);
  rec_start (gen);

  g_assert_false (agen_test_close (gen, NULL, &r));
  g_assert_error (r.error, AGEN_TEST_ERROR, AGEN_TEST_ERROR_OTHER);
  g_assert_error (rec.last_error, AGEN_ERROR, AGEN_ERROR_EXIT);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_CLOSED);

  /* The error is reported once */
  g_assert_true (agen_test_close (gen, NULL, &r));
  g_assert_no_error (r.error);
  rec_clear (&rec);
}

static void
test_suspended_close_body_ignores_exit (void)
{
  Rec rec;
  g_autoptr(AgenGenerator) gen = NULL;
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;

  g_test_summary ("close whose body yields again gives IGNORED_EXIT; the "
                  "yielded value is discarded, the generator stays SUSPENDED "
                  "at that yield and usable, and a second close sends EXIT "
                  "again");

  rec_init (&rec, ON_ERROR_YIELD_ONCE);
  gen = rec_new (&rec);
  rec_start (gen);

  g_assert_false (agen_test_close (gen, NULL, &r));
  g_assert_error (r.error, AGEN_ERROR, AGEN_ERROR_IGNORED_EXIT);
  g_assert_cmpuint (rec.caught, ==, 1);
  g_assert_error (rec.last_error, AGEN_ERROR, AGEN_ERROR_EXIT);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_SUSPENDED);
  g_assert_cmpuint (rec.destroyed, ==, 0);

  /* next resumes the yield of 101 with TRUE; the body goes on to yield 2.
   * 101 itself never reaches a consumer. */
  g_assert_true (agen_test_next (gen, NULL, &r));
  agen_test_assert_yielded_int (&r, 2);
  g_assert_cmpuint (rec.resumed, ==, 1);

  /* A second close sends EXIT again; this time it is let out */
  g_assert_true (agen_test_close (gen, NULL, &r));
  g_assert_no_error (r.error);
  g_assert_cmpuint (rec.caught, ==, 2);
  g_assert_error (rec.last_error, AGEN_ERROR, AGEN_ERROR_EXIT);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_CLOSED);
  g_assert_cmpuint (rec.destroyed, ==, 1);
  rec_clear (&rec);
}

/* The table: RUNNING ------------------------------------------------------- */

static void
test_running_next_is_running (void)
{
  GateData data = { 0, };
  g_autoptr(AgenGenerator) gen = agen_generator_new (gate_body, &data, gate_data_destroy);
  g_auto(AgenTestResult) first = AGEN_TEST_RESULT_INIT;
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;

  g_test_summary ("next on a RUNNING generator fails with RUNNING and leaves "
                  "the step in progress alone");

  gate_start (gen, &data, &first);

  g_assert_false (agen_test_next (gen, NULL, &r));
  agen_test_assert_failed (&r, AGEN_ERROR, AGEN_ERROR_RUNNING);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_RUNNING);
  g_assert_true (agen_test_gate_waiting (&data.gate));

  gate_finish (gen, &data, &first);
}

static void
test_running_send_is_running (void)
{
  GateData data = { 0, };
  g_autoptr(AgenGenerator) gen = agen_generator_new (gate_body, &data, gate_data_destroy);
  g_auto(AgenTestResult) first = AGEN_TEST_RESULT_INIT;
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;
  g_auto(GValue) v = G_VALUE_INIT;

  g_test_summary ("send, with None or a value, on a RUNNING generator fails "
                  "with RUNNING and leaves the step alone");

  gate_start (gen, &data, &first);

  g_assert_false (agen_test_send (gen, NULL, NULL, &r));
  agen_test_assert_failed (&r, AGEN_ERROR, AGEN_ERROR_RUNNING);
  g_assert_false (agen_test_send (gen, agen_test_value_int (&v, 7), NULL, &r));
  agen_test_assert_failed (&r, AGEN_ERROR, AGEN_ERROR_RUNNING);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_RUNNING);
  g_assert_true (agen_test_gate_waiting (&data.gate));

  gate_finish (gen, &data, &first);
}

static void
test_running_throw_is_running (void)
{
  GateData data = { 0, };
  g_autoptr(AgenGenerator) gen = agen_generator_new (gate_body, &data, gate_data_destroy);
  g_autoptr(GError) boom = boom_new ();
  g_auto(AgenTestResult) first = AGEN_TEST_RESULT_INIT;
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;

  g_test_summary ("throw on a RUNNING generator fails with RUNNING; nothing "
                  "is thrown into the body");

  gate_start (gen, &data, &first);

  g_assert_false (agen_test_throw (gen, boom, NULL, &r));
  agen_test_assert_failed (&r, AGEN_ERROR, AGEN_ERROR_RUNNING);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_RUNNING);
  g_assert_true (agen_test_gate_waiting (&data.gate));

  /* gate_finish checks that the body saw no error */
  gate_finish (gen, &data, &first);
}

static void
test_running_close_is_running (void)
{
  GateData data = { 0, };
  g_autoptr(AgenGenerator) gen = agen_generator_new (gate_body, &data, gate_data_destroy);
  g_auto(AgenTestResult) first = AGEN_TEST_RESULT_INIT;
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;

  g_test_summary ("close on a RUNNING generator fails with RUNNING; the body "
                  "gets no EXIT and the generator is not closed");

  gate_start (gen, &data, &first);

  g_assert_false (agen_test_close (gen, NULL, &r));
  g_assert_error (r.error, AGEN_ERROR, AGEN_ERROR_RUNNING);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_RUNNING);
  g_assert_true (agen_test_gate_waiting (&data.gate));
  g_assert_cmpuint (data.destroyed, ==, 0);

  gate_finish (gen, &data, &first);
}

/* The table: CLOSED -------------------------------------------------------- */

static AgenGenerator *
closed_new (Rec *rec)
{
  AgenGenerator *gen;
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;

  rec_init (rec, ON_ERROR_PROPAGATE);
  gen = rec_new (rec);
  rec_start (gen);
  g_assert_true (agen_test_close (gen, NULL, &r));
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_CLOSED);
  g_assert_cmpuint (rec->finished, ==, 1);
  return gen;
}

static void
test_closed_next_is_finished (void)
{
  Rec rec;
  g_autoptr(AgenGenerator) gen = closed_new (&rec);
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;

  g_test_summary ("next on a CLOSED generator gives finished");

  g_assert_false (agen_test_next (gen, NULL, &r));
  agen_test_assert_finished (&r);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_CLOSED);
  g_assert_cmpuint (rec.started, ==, 1);
  rec_clear (&rec);
}

static void
test_closed_send_is_finished (void)
{
  Rec rec;
  g_autoptr(AgenGenerator) gen = closed_new (&rec);
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;
  g_auto(GValue) v = G_VALUE_INIT;

  g_test_summary ("send, with None or a value, on a CLOSED generator gives "
                  "finished");

  g_assert_false (agen_test_send (gen, agen_test_value_int (&v, 3), NULL, &r));
  agen_test_assert_finished (&r);
  g_assert_false (agen_test_send (gen, NULL, NULL, &r));
  agen_test_assert_finished (&r);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_CLOSED);
  rec_clear (&rec);
}

static void
test_closed_throw_is_finished (void)
{
  Rec rec;
  g_autoptr(AgenGenerator) gen = closed_new (&rec);
  g_autoptr(GError) boom = boom_new ();
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;

  g_test_summary ("throw on a CLOSED generator gives finished (FALSE, no "
                  "error), not the thrown error");

  g_assert_false (agen_test_throw (gen, boom, NULL, &r));
  agen_test_assert_finished (&r);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_CLOSED);
  g_assert_cmpuint (rec.caught, ==, 1);
  rec_clear (&rec);
}

static void
test_closed_close_is_true (void)
{
  Rec rec;
  g_autoptr(AgenGenerator) gen = closed_new (&rec);
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;

  g_test_summary ("close on a CLOSED generator gives TRUE and runs nothing");

  g_assert_true (agen_test_close (gen, NULL, &r));
  g_assert_no_error (r.error);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_CLOSED);
  g_assert_cmpuint (rec.caught, ==, 1);
  g_assert_cmpuint (rec.finished, ==, 1);
  g_assert_cmpuint (rec.destroyed, ==, 1);
  rec_clear (&rec);
}

static void
test_closed_error_reported_once (void)
{
  Rec rec;
  g_autoptr(AgenGenerator) gen = NULL;
  g_autoptr(GError) boom = boom_new ();
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;

  g_test_summary ("a body's error is reported once; later ops on the CLOSED "
                  "generator see finished");

  rec_init (&rec, ON_ERROR_PROPAGATE);
  gen = rec_new (&rec);
  rec_start (gen);

  g_assert_false (agen_test_throw (gen, boom, NULL, &r));
  agen_test_assert_failed (&r, AGEN_TEST_ERROR, AGEN_TEST_ERROR_BOOM);

  g_assert_false (agen_test_next (gen, NULL, &r));
  agen_test_assert_finished (&r);
  g_assert_false (agen_test_next (gen, NULL, &r));
  agen_test_assert_finished (&r);
  g_assert_true (agen_test_close (gen, NULL, &r));
  g_assert_no_error (r.error);
  rec_clear (&rec);
}

/* The body: yield ---------------------------------------------------------- */

static void
test_body_yield_next_sends_none (void)
{
  Rec rec;
  g_autoptr(AgenGenerator) gen = NULL;
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;

  g_test_summary ("a yield resumed by next returns TRUE with sent = None");

  rec_init (&rec, ON_ERROR_PROPAGATE);
  gen = rec_new (&rec);
  rec_start (gen);
  agen_test_next (gen, NULL, &r);
  g_assert_cmpuint (rec.resumed, ==, 1);
  agen_test_assert_none (&rec.last_sent);

  agen_test_close (gen, NULL, &r);
  rec_clear (&rec);
}

static void
test_body_yield_send_none_sends_none (void)
{
  Rec rec;
  g_autoptr(AgenGenerator) gen = NULL;
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;
  g_auto(GValue) none = G_VALUE_INIT;

  g_test_summary ("a yield resumed by send(None) (NULL or a G_TYPE_POINTER "
                  "NULL) returns TRUE with sent = None");

  rec_init (&rec, ON_ERROR_PROPAGATE);
  gen = rec_new (&rec);
  rec_start (gen);

  g_assert_true (agen_test_send (gen, NULL, NULL, &r));
  agen_test_assert_yielded_int (&r, 2);
  agen_test_assert_none (&rec.last_sent);

  g_assert_true (agen_test_send (gen, agen_test_value_none (&none), NULL, &r));
  agen_test_assert_yielded_int (&r, 3);
  agen_test_assert_none (&rec.last_sent);
  g_assert_cmpuint (rec.resumed, ==, 2);

  agen_test_close (gen, NULL, &r);
  rec_clear (&rec);
}

static void
test_body_yield_send_value_copies (void)
{
  Rec rec;
  g_autoptr(AgenGenerator) gen = NULL;
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;
  GValue v = G_VALUE_INIT;

  g_test_summary ("a yield resumed by send(v) returns TRUE with sent = a "
                  "copy of v that outlives the caller's value");

  rec_init (&rec, ON_ERROR_PROPAGATE);
  gen = rec_new (&rec);
  rec_start (gen);

  agen_test_value_int (&v, 1234);
  g_assert_true (agen_test_send (gen, &v, NULL, &r));
  g_value_unset (&v);
  agen_test_assert_int (&rec.last_sent, 1234);

  agen_test_value_string (&v, "sent string");
  g_assert_true (agen_test_send (gen, &v, NULL, &r));
  g_value_unset (&v);
  agen_test_assert_string (&rec.last_sent, "sent string");

  agen_test_close (gen, NULL, &r);
  rec_clear (&rec);
}

typedef struct
{
  gboolean ok;
  guint    resumed;
} NullSentData;

static gboolean
null_sent_body (AgenGenerator  *self,
                gpointer        user_data,
                GError        **error)
{
  NullSentData *data = user_data;

  while (agen_test_yield_int (self, (gint) data->resumed, NULL, error))
    data->resumed++;

  return FALSE;
}

static void
test_body_yield_sent_may_be_null (void)
{
  NullSentData data = { 0, };
  g_autoptr(AgenGenerator) gen = agen_generator_new (null_sent_body, &data, NULL);
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;
  g_auto(GValue) v = G_VALUE_INIT;

  g_test_summary ("a body may pass NULL for sent; a sent value is then "
                  "dropped and the yield still returns TRUE");

  agen_test_next (gen, NULL, &r);
  agen_test_assert_yielded_int (&r, 0);
  g_assert_true (agen_test_send (gen, agen_test_value_string (&v, "dropped"), NULL, &r));
  agen_test_assert_yielded_int (&r, 1);
  g_assert_true (agen_test_next (gen, NULL, &r));
  agen_test_assert_yielded_int (&r, 2);
  g_assert_cmpuint (data.resumed, ==, 2);

  g_assert_true (agen_test_close (gen, NULL, &r));
}

static void
test_body_yield_throw_gives_error (void)
{
  Rec rec;
  g_autoptr(AgenGenerator) gen = NULL;
  g_autoptr(GError) boom = boom_new ();
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;

  g_test_summary ("a yield resumed by throw(e) returns FALSE with *error = a "
                  "copy of e (domain, code and message)");

  rec_init (&rec, ON_ERROR_RETURN);
  gen = rec_new (&rec);
  rec_start (gen);

  agen_test_throw (gen, boom, NULL, &r);
  g_assert_cmpuint (rec.caught, ==, 1);
  g_assert_error (rec.last_error, AGEN_TEST_ERROR, AGEN_TEST_ERROR_BOOM);
  g_assert_cmpstr (rec.last_error->message, ==, "boom");
  g_assert_cmpuint (rec.resumed, ==, 0);
  rec_clear (&rec);
}

static void
test_body_yield_close_gives_exit (void)
{
  Rec rec;
  g_autoptr(AgenGenerator) gen = NULL;
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;

  g_test_summary ("a yield resumed by close returns FALSE with *error = "
                  "AGEN_ERROR_EXIT");

  rec_init (&rec, ON_ERROR_RETURN);
  gen = rec_new (&rec);
  rec_start (gen);

  agen_test_close (gen, NULL, &r);
  g_assert_cmpuint (rec.caught, ==, 1);
  g_assert_error (rec.last_error, AGEN_ERROR, AGEN_ERROR_EXIT);
  g_assert_cmpuint (rec.resumed, ==, 0);
  rec_clear (&rec);
}

/* The body: ending the body ------------------------------------------------ */

static gboolean
return_true_body (AgenGenerator  *self,
                  gpointer        user_data,
                  GError        **error)
{
  guint *runs = user_data;

  (*runs)++;
  return TRUE;
}

static void
test_body_return_true_finishes (void)
{
  guint runs = 0;
  g_autoptr(AgenGenerator) gen = agen_generator_new (return_true_body, &runs, NULL);
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;

  g_test_summary ("a body that returns TRUE finishes: the op gives finished "
                  "and the state is CLOSED");

  g_assert_false (agen_test_next (gen, NULL, &r));
  agen_test_assert_finished (&r);
  g_assert_cmpuint (runs, ==, 1);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_CLOSED);
}

static gboolean
raise_body (AgenGenerator  *self,
            gpointer        user_data,
            GError        **error)
{
  g_set_error_literal (error, AGEN_TEST_ERROR, AGEN_TEST_ERROR_BOOM, "raised");
  return FALSE;
}

static void
test_body_return_false_raises (void)
{
  g_autoptr(AgenGenerator) gen = agen_generator_new (raise_body, NULL, NULL);
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;

  g_test_summary ("a body that returns FALSE + err raises: the op gives "
                  "FALSE + err and the state is CLOSED");

  g_assert_false (agen_test_next (gen, NULL, &r));
  agen_test_assert_failed (&r, AGEN_TEST_ERROR, AGEN_TEST_ERROR_BOOM);
  g_assert_cmpstr (r.error->message, ==, "raised");
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_CLOSED);
}

static gboolean
return_false_no_error_body (AgenGenerator  *self,
                            gpointer        user_data,
                            GError        **error)
{
  return FALSE;
}

static void
test_body_return_false_without_error (void)
{
  g_autoptr(AgenGenerator) gen = NULL;
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;

  g_test_summary ("a body that returns FALSE without setting an error is a "
                  "programmer error: g_critical, then the op fails with "
                  "AGEN_ERROR_FAILED (never a normal finish); CLOSED");

  if (!g_test_undefined ())
    return;

  gen = agen_generator_new (return_false_no_error_body, NULL, NULL);

  g_test_expect_message ("Agen", G_LOG_LEVEL_CRITICAL, "*");
  g_assert_false (agen_test_next (gen, NULL, &r));
  g_test_assert_expected_messages ();

  agen_test_assert_failed (&r, AGEN_ERROR, AGEN_ERROR_FAILED);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_CLOSED);
}

static gboolean
return_true_with_error_body (AgenGenerator  *self,
                             gpointer        user_data,
                             GError        **error)
{
  g_set_error_literal (error, AGEN_TEST_ERROR, AGEN_TEST_ERROR_BOOM, "stray");
  return TRUE;
}

static void
test_body_return_true_with_error (void)
{
  g_autoptr(AgenGenerator) gen = NULL;
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;

  g_test_summary ("a body that returns TRUE with *error set: the library logs "
                  "g_critical and frees the error; the body returned, so the "
                  "op gives finished");

  if (!g_test_undefined ())
    return;

  gen = agen_generator_new (return_true_with_error_body, NULL, NULL);

  g_test_expect_message ("Agen", G_LOG_LEVEL_CRITICAL, "*");
  g_assert_false (agen_test_next (gen, NULL, &r));
  g_test_assert_expected_messages ();

  agen_test_assert_finished (&r);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_CLOSED);
}

/* The body: body-side calls from the wrong place --------------------------- */

static void
test_body_yield_outside_body (void)
{
  Rec rec;
  g_autoptr(AgenGenerator) gen = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;
  g_auto(GValue) v = G_VALUE_INIT;
  g_auto(GValue) sent = G_VALUE_INIT;

  g_test_summary ("agen_generator_yield from plain code fails with "
                  "WRONG_CONTEXT and does nothing, on a CREATED and on a "
                  "SUSPENDED generator");

  rec_init (&rec, ON_ERROR_PROPAGATE);
  gen = rec_new (&rec);
  agen_test_value_int (&v, 9);

  g_assert_false (agen_generator_yield (gen, &v, &sent, &error));
  g_assert_error (error, AGEN_ERROR, AGEN_ERROR_WRONG_CONTEXT);
  g_clear_error (&error);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_CREATED);
  g_assert_cmpuint (rec.started, ==, 0);

  rec_start (gen);

  if (G_IS_VALUE (&sent))
    g_value_unset (&sent);
  g_assert_false (agen_generator_yield (gen, NULL, &sent, &error));
  g_assert_error (error, AGEN_ERROR, AGEN_ERROR_WRONG_CONTEXT);
  g_clear_error (&error);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_SUSPENDED);
  g_assert_cmpuint (rec.resumed, ==, 0);
  g_assert_cmpuint (rec.caught, ==, 0);

  /* The body is undisturbed */
  g_assert_true (agen_test_next (gen, NULL, &r));
  agen_test_assert_yielded_int (&r, 2);

  agen_test_close (gen, NULL, &r);
  rec_clear (&rec);
}

typedef struct
{
  AgenGenerator *victim;
  AgenGenerator *inner;
  GError        *yield_error;
  GError        *yield_from_error;
  gboolean       yield_ret;
  gboolean       yield_from_ret;
} ForeignData;

static gboolean
foreign_yield_body (AgenGenerator  *self,
                    gpointer        user_data,
                    GError        **error)
{
  ForeignData *data = user_data;
  g_auto(GValue) v = G_VALUE_INIT;
  g_auto(GValue) rv = G_VALUE_INIT;

  data->yield_ret = agen_generator_yield (data->victim,
                                          agen_test_value_int (&v, 77),
                                          NULL, &data->yield_error);
  if (data->inner != NULL)
    data->yield_from_ret = agen_generator_yield_from (data->victim, data->inner,
                                                      &rv, &data->yield_from_error);

  return agen_test_yield_int (self, 5, NULL, error);
}

static void
test_body_yield_in_other_body (void)
{
  Rec rec;
  ForeignData data = { 0, };
  g_autoptr(AgenGenerator) victim = NULL;
  g_autoptr(AgenGenerator) other = NULL;
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;

  g_test_summary ("agen_generator_yield on generator A from the body of "
                  "generator B fails with WRONG_CONTEXT and leaves A alone");

  rec_init (&rec, ON_ERROR_PROPAGATE);
  victim = rec_new (&rec);
  rec_start (victim);

  data.victim = victim;
  other = agen_generator_new (foreign_yield_body, &data, NULL);
  g_assert_true (agen_test_next (other, NULL, &r));
  agen_test_assert_yielded_int (&r, 5);

  g_assert_false (data.yield_ret);
  g_assert_error (data.yield_error, AGEN_ERROR, AGEN_ERROR_WRONG_CONTEXT);
  g_assert_cmpint (agen_generator_get_state (victim), ==, AGEN_GENERATOR_STATE_SUSPENDED);

  /* A's body never saw anything; it goes on normally */
  g_assert_true (agen_test_next (victim, NULL, &r));
  agen_test_assert_yielded_int (&r, 2);
  g_assert_cmpuint (rec.caught, ==, 0);

  agen_test_close (other, NULL, &r);
  agen_test_close (victim, NULL, &r);
  g_clear_error (&data.yield_error);
  rec_clear (&rec);
}

static void
test_body_yield_from_outside_body (void)
{
  Rec rec, inner_rec;
  g_autoptr(AgenGenerator) gen = NULL;
  g_autoptr(AgenGenerator) inner = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GValue) rv = G_VALUE_INIT;

  g_test_summary ("agen_generator_yield_from from plain code fails with "
                  "WRONG_CONTEXT and does not touch the inner generator");

  rec_init (&rec, ON_ERROR_PROPAGATE);
  rec_init (&inner_rec, ON_ERROR_PROPAGATE);
  gen = rec_new (&rec);
  inner = rec_new (&inner_rec);

  g_assert_false (agen_generator_yield_from (gen, inner, &rv, &error));
  g_assert_error (error, AGEN_ERROR, AGEN_ERROR_WRONG_CONTEXT);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_CREATED);
  g_assert_cmpint (agen_generator_get_state (inner), ==, AGEN_GENERATOR_STATE_CREATED);
  g_assert_cmpuint (inner_rec.started, ==, 0);
  g_assert_cmpuint (rec.started, ==, 0);
  rec_clear (&rec);
  rec_clear (&inner_rec);
}

static void
test_body_yield_from_in_other_body (void)
{
  Rec rec, inner_rec;
  ForeignData data = { 0, };
  g_autoptr(AgenGenerator) victim = NULL;
  g_autoptr(AgenGenerator) inner = NULL;
  g_autoptr(AgenGenerator) other = NULL;
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;

  g_test_summary ("agen_generator_yield_from on generator A from the body of "
                  "generator B fails with WRONG_CONTEXT; neither A nor the "
                  "inner generator is touched");

  rec_init (&rec, ON_ERROR_PROPAGATE);
  rec_init (&inner_rec, ON_ERROR_PROPAGATE);
  victim = rec_new (&rec);
  inner = rec_new (&inner_rec);
  rec_start (victim);

  data.victim = victim;
  data.inner = inner;
  other = agen_generator_new (foreign_yield_body, &data, NULL);
  g_assert_true (agen_test_next (other, NULL, &r));
  agen_test_assert_yielded_int (&r, 5);

  g_assert_false (data.yield_from_ret);
  g_assert_error (data.yield_from_error, AGEN_ERROR, AGEN_ERROR_WRONG_CONTEXT);
  g_assert_cmpint (agen_generator_get_state (victim), ==, AGEN_GENERATOR_STATE_SUSPENDED);
  g_assert_cmpint (agen_generator_get_state (inner), ==, AGEN_GENERATOR_STATE_CREATED);
  g_assert_cmpuint (inner_rec.started, ==, 0);

  agen_test_close (other, NULL, &r);
  agen_test_close (victim, NULL, &r);
  g_clear_error (&data.yield_error);
  g_clear_error (&data.yield_from_error);
  rec_clear (&rec);
  rec_clear (&inner_rec);
}

/* The body: return values -------------------------------------------------- */

typedef enum
{
  RV_SET_AND_RETURN,       /* set 42, return TRUE */
  RV_SET_TWICE,            /* set 1, then "two", return TRUE */
  RV_UNSET,                /* return TRUE without setting */
  RV_SET_AND_RAISE,        /* set 42, raise */
  RV_SET_YIELD_RETURN,     /* set 42, yield 1, return TRUE */
  RV_CATCH_AND_RETURN,     /* yield 1; on error set 7 and return TRUE */
} RvMode;

static gboolean
rv_body (AgenGenerator  *self,
         gpointer        user_data,
         GError        **error)
{
  RvMode mode = GPOINTER_TO_INT (user_data);
  g_auto(GValue) v = G_VALUE_INIT;

  switch (mode)
    {
    case RV_SET_AND_RETURN:
      agen_generator_set_return_value (self, agen_test_value_int (&v, 42));
      return TRUE;

    case RV_SET_TWICE:
      agen_generator_set_return_value (self, agen_test_value_int (&v, 1));
      g_value_unset (&v);
      agen_generator_set_return_value (self, agen_test_value_string (&v, "two"));
      return TRUE;

    case RV_UNSET:
      return TRUE;

    case RV_SET_AND_RAISE:
      agen_generator_set_return_value (self, agen_test_value_int (&v, 42));
      g_set_error_literal (error, AGEN_TEST_ERROR, AGEN_TEST_ERROR_BOOM, "boom");
      return FALSE;

    case RV_SET_YIELD_RETURN:
      agen_generator_set_return_value (self, agen_test_value_int (&v, 42));
      return agen_test_yield_int (self, 1, NULL, error);

    case RV_CATCH_AND_RETURN:
      {
        g_autoptr(GError) local = NULL;

        if (!agen_test_yield_int (self, 1, NULL, &local))
          agen_generator_set_return_value (self, agen_test_value_int (&v, 7));
        return TRUE;
      }

    default:
      g_assert_not_reached ();
    }
}

static AgenGenerator *
rv_new (RvMode mode)
{
  return agen_generator_new (rv_body, GINT_TO_POINTER (mode), NULL);
}

static void
test_return_value_set_and_returned (void)
{
  g_autoptr(AgenGenerator) gen = rv_new (RV_SET_AND_RETURN);
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;
  g_auto(GValue) rv = G_VALUE_INIT;

  g_test_summary ("a body that set a return value and returned TRUE: "
                  "get_return_value gives TRUE + a copy");

  g_assert_false (agen_test_next (gen, NULL, &r));
  agen_test_assert_finished (&r);
  g_assert_true (agen_generator_get_return_value (gen, &rv));
  agen_test_assert_int (&rv, 42);
}

static void
test_return_value_last_set_wins (void)
{
  g_autoptr(AgenGenerator) gen = rv_new (RV_SET_TWICE);
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;
  g_auto(GValue) rv = G_VALUE_INIT;

  g_test_summary ("the return value is the one set last");

  agen_test_next (gen, NULL, &r);
  agen_test_assert_finished (&r);
  g_assert_true (agen_generator_get_return_value (gen, &rv));
  agen_test_assert_string (&rv, "two");
}

static void
test_return_value_none_when_unset (void)
{
  g_autoptr(AgenGenerator) gen = rv_new (RV_UNSET);
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;
  g_auto(GValue) rv = G_VALUE_INIT;

  g_test_summary ("a body that returned without setting a return value: "
                  "get_return_value gives FALSE + None");

  agen_test_next (gen, NULL, &r);
  agen_test_assert_finished (&r);
  g_assert_false (agen_generator_get_return_value (gen, &rv));
  agen_test_assert_none (&rv);
}

static void
test_return_value_not_after_raise (void)
{
  g_autoptr(AgenGenerator) gen = rv_new (RV_SET_AND_RAISE);
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;
  g_auto(GValue) rv = G_VALUE_INIT;

  g_test_summary ("a body that set a return value but raised: "
                  "get_return_value gives FALSE + None");

  agen_test_next (gen, NULL, &r);
  agen_test_assert_failed (&r, AGEN_TEST_ERROR, AGEN_TEST_ERROR_BOOM);
  g_assert_false (agen_generator_get_return_value (gen, &rv));
  agen_test_assert_none (&rv);
}

static void
test_return_value_not_before_closed (void)
{
  g_autoptr(AgenGenerator) gen = rv_new (RV_SET_YIELD_RETURN);
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;
  g_auto(GValue) rv = G_VALUE_INIT;

  g_test_summary ("get_return_value gives FALSE + None before the generator "
                  "is CLOSED, even if the body already set a value");

  g_assert_false (agen_generator_get_return_value (gen, &rv));
  agen_test_assert_none (&rv);
  g_value_unset (&rv);

  agen_test_next (gen, NULL, &r);
  agen_test_assert_yielded_int (&r, 1);
  g_assert_false (agen_generator_get_return_value (gen, &rv));
  agen_test_assert_none (&rv);
  g_value_unset (&rv);

  agen_test_next (gen, NULL, &r);
  agen_test_assert_finished (&r);
  g_assert_true (agen_generator_get_return_value (gen, &rv));
  agen_test_assert_int (&rv, 42);
}

static void
test_return_value_after_catching_exit (void)
{
  g_autoptr(AgenGenerator) gen = rv_new (RV_CATCH_AND_RETURN);
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;
  g_auto(GValue) rv = G_VALUE_INIT;

  g_test_summary ("a body that catches EXIT, sets a return value and returns "
                  "TRUE: close gives TRUE and get_return_value TRUE + value");

  agen_test_next (gen, NULL, &r);
  agen_test_assert_yielded_int (&r, 1);
  g_assert_true (agen_test_close (gen, NULL, &r));
  g_assert_no_error (r.error);
  g_assert_true (agen_generator_get_return_value (gen, &rv));
  agen_test_assert_int (&rv, 7);
}

static void
test_return_value_after_catching_throw (void)
{
  g_autoptr(AgenGenerator) gen = rv_new (RV_CATCH_AND_RETURN);
  g_autoptr(GError) boom = boom_new ();
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;
  g_auto(GValue) rv = G_VALUE_INIT;

  g_test_summary ("a body that catches a thrown error, sets a return value "
                  "and returns TRUE: throw gives finished and "
                  "get_return_value TRUE + value");

  agen_test_next (gen, NULL, &r);
  g_assert_false (agen_test_throw (gen, boom, NULL, &r));
  agen_test_assert_finished (&r);
  g_assert_true (agen_generator_get_return_value (gen, &rv));
  agen_test_assert_int (&rv, 7);
}

static void
test_return_value_stays_readable (void)
{
  g_autoptr(AgenGenerator) gen = rv_new (RV_SET_AND_RETURN);
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;
  guint i;

  g_test_summary ("the return value stays readable: every get_return_value "
                  "gives a fresh copy, also after more ops");

  agen_test_next (gen, NULL, &r);
  for (i = 0; i < 3; i++)
    {
      g_auto(GValue) rv = G_VALUE_INIT;

      g_assert_true (agen_generator_get_return_value (gen, &rv));
      agen_test_assert_int (&rv, 42);
      agen_test_next (gen, NULL, &r);
      agen_test_assert_finished (&r);
    }
}

static void
test_return_value_not_when_closed_before_start (void)
{
  g_autoptr(AgenGenerator) gen = rv_new (RV_SET_AND_RETURN);
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;
  g_auto(GValue) rv = G_VALUE_INIT;

  g_test_summary ("a generator closed before it started has no return value");

  agen_test_close (gen, NULL, &r);
  g_assert_false (agen_generator_get_return_value (gen, &rv));
  agen_test_assert_none (&rv);
}

/* user_data_destroy -------------------------------------------------------- */

static void
test_destroy_finished (void)
{
  Rec rec;
  AgenGenerator *gen;
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;

  g_test_summary ("user_data_destroy runs exactly once when the body "
                  "finishes, not before, and not again at finalization");

  rec_init (&rec, ON_ERROR_PROPAGATE);
  rec.n_yields = 1;
  gen = rec_new (&rec);
  rec_start (gen);
  g_assert_cmpuint (rec.destroyed, ==, 0);

  agen_test_next (gen, NULL, &r);
  agen_test_assert_finished (&r);
  g_assert_cmpuint (rec.destroyed, ==, 1);

  agen_test_assert_finalized (gen, 1000);
  g_assert_cmpuint (rec.destroyed, ==, 1);
  rec_clear (&rec);
}

static void
test_destroy_raised (void)
{
  Rec rec;
  AgenGenerator *gen;
  g_autoptr(GError) boom = boom_new ();
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;

  g_test_summary ("user_data_destroy runs exactly once when the body raises");

  rec_init (&rec, ON_ERROR_PROPAGATE);
  gen = rec_new (&rec);
  rec_start (gen);
  agen_test_throw (gen, boom, NULL, &r);
  agen_test_assert_failed (&r, AGEN_TEST_ERROR, AGEN_TEST_ERROR_BOOM);
  g_assert_cmpuint (rec.destroyed, ==, 1);

  agen_test_assert_finalized (gen, 1000);
  g_assert_cmpuint (rec.destroyed, ==, 1);
  rec_clear (&rec);
}

static void
test_destroy_closed_before_start (void)
{
  Rec rec;
  AgenGenerator *gen;
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;

  g_test_summary ("user_data_destroy runs exactly once when a CREATED "
                  "generator is closed");

  rec_init (&rec, ON_ERROR_PROPAGATE);
  gen = rec_new (&rec);
  agen_test_close (gen, NULL, &r);
  g_assert_cmpuint (rec.destroyed, ==, 1);

  agen_test_assert_finalized (gen, 1000);
  g_assert_cmpuint (rec.destroyed, ==, 1);
  g_assert_cmpuint (rec.started, ==, 0);
  rec_clear (&rec);
}

static void
test_destroy_thrown_before_start (void)
{
  Rec rec;
  AgenGenerator *gen;
  g_autoptr(GError) boom = boom_new ();
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;

  g_test_summary ("user_data_destroy runs exactly once when a CREATED "
                  "generator is thrown into");

  rec_init (&rec, ON_ERROR_PROPAGATE);
  gen = rec_new (&rec);
  agen_test_throw (gen, boom, NULL, &r);
  g_assert_cmpuint (rec.destroyed, ==, 1);

  agen_test_assert_finalized (gen, 1000);
  g_assert_cmpuint (rec.destroyed, ==, 1);
  rec_clear (&rec);
}

static void
test_destroy_closed_while_suspended (void)
{
  Rec rec;
  AgenGenerator *gen;
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;

  g_test_summary ("user_data_destroy does not run while SUSPENDED and runs "
                  "exactly once when the generator is closed");

  rec_init (&rec, ON_ERROR_PROPAGATE);
  gen = rec_new (&rec);
  rec_start (gen);
  agen_test_next (gen, NULL, &r);
  g_assert_cmpuint (rec.destroyed, ==, 0);

  agen_test_close (gen, NULL, &r);
  g_assert_cmpuint (rec.destroyed, ==, 1);

  agen_test_assert_finalized (gen, 1000);
  g_assert_cmpuint (rec.destroyed, ==, 1);
  rec_clear (&rec);
}

static void
test_destroy_finalized_never_started (void)
{
  Rec rec;
  AgenGenerator *gen;

  g_test_summary ("user_data_destroy runs exactly once when a generator that "
                  "never started is finalized; the body never runs");

  rec_init (&rec, ON_ERROR_PROPAGATE);
  gen = rec_new (&rec);
  g_assert_cmpuint (rec.destroyed, ==, 0);

  agen_test_assert_finalized (gen, 1000);
  g_assert_cmpuint (rec.destroyed, ==, 1);
  g_assert_cmpuint (rec.started, ==, 0);
  rec_clear (&rec);
}

static void
test_destroy_null_notify (void)
{
  AgenGenerator *gen;
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;
  guint runs = 0;

  g_test_summary ("a NULL user_data_destroy is allowed");

  gen = agen_generator_new (return_true_body, &runs, NULL);
  agen_test_next (gen, NULL, &r);
  agen_test_assert_finished (&r);
  agen_test_assert_finalized (gen, 1000);
  g_assert_cmpuint (runs, ==, 1);
}

/* Callbacks are never synchronous ------------------------------------------ */

typedef struct
{
  gboolean done;
} Flag;

static void
flag_next_cb (GObject      *source,
              GAsyncResult *res,
              gpointer      user_data)
{
  g_auto(GValue) v = G_VALUE_INIT;

  agen_generator_next_finish (AGEN_GENERATOR (source), res, &v, NULL);
  ((Flag *) user_data)->done = TRUE;
}

static void
flag_send_cb (GObject      *source,
              GAsyncResult *res,
              gpointer      user_data)
{
  g_auto(GValue) v = G_VALUE_INIT;

  agen_generator_send_finish (AGEN_GENERATOR (source), res, &v, NULL);
  ((Flag *) user_data)->done = TRUE;
}

static void
flag_throw_cb (GObject      *source,
               GAsyncResult *res,
               gpointer      user_data)
{
  g_auto(GValue) v = G_VALUE_INIT;

  agen_generator_throw_finish (AGEN_GENERATOR (source), res, &v, NULL);
  ((Flag *) user_data)->done = TRUE;
}

static void
flag_close_cb (GObject      *source,
               GAsyncResult *res,
               gpointer      user_data)
{
  agen_generator_close_finish (AGEN_GENERATOR (source), res, NULL);
  ((Flag *) user_data)->done = TRUE;
}

#define ASSERT_NOT_SYNCHRONOUS(call, flag) G_STMT_START { \
    (flag).done = FALSE; \
    call; \
    g_assert_false ((flag).done); \
    agen_test_spin_until (&(flag).done, 5000); \
  } G_STMT_END

static void
test_callback_never_synchronous (void)
{
  Rec rec1, rec2, rec3;
  GateData gate_data = { 0, };
  g_autoptr(AgenGenerator) gen1 = NULL;
  g_autoptr(AgenGenerator) gen2 = NULL;
  g_autoptr(AgenGenerator) gen3 = NULL;
  g_autoptr(AgenGenerator) gated = NULL;
  g_autoptr(GError) boom = boom_new ();
  g_autoptr(GCancellable) cancelled = g_cancellable_new ();
  g_auto(GValue) v = G_VALUE_INIT;
  g_auto(AgenTestResult) first = AGEN_TEST_RESULT_INIT;
  Flag flag = { FALSE };

  g_test_summary ("callbacks never run inside the _async call: for ops that "
                  "complete at once (early errors, CLOSED, CREATED throw and "
                  "close) and for steps that end inside the call");

  g_cancellable_cancel (cancelled);
  agen_test_value_int (&v, 1);

  rec_init (&rec1, ON_ERROR_PROPAGATE);
  gen1 = rec_new (&rec1);
  /* Refused send, cancelled ops */
  ASSERT_NOT_SYNCHRONOUS (agen_generator_send_async (gen1, &v, NULL, flag_send_cb, &flag), flag);
  ASSERT_NOT_SYNCHRONOUS (agen_generator_next_async (gen1, cancelled, flag_next_cb, &flag), flag);
  ASSERT_NOT_SYNCHRONOUS (agen_generator_close_async (gen1, cancelled, flag_close_cb, &flag), flag);
  /* The body runs to its yield inside these calls */
  ASSERT_NOT_SYNCHRONOUS (agen_generator_next_async (gen1, NULL, flag_next_cb, &flag), flag);
  ASSERT_NOT_SYNCHRONOUS (agen_generator_send_async (gen1, &v, NULL, flag_send_cb, &flag), flag);
  g_assert_cmpuint (rec1.resumed, ==, 1);
  /* The body finishes inside these */
  ASSERT_NOT_SYNCHRONOUS (agen_generator_close_async (gen1, NULL, flag_close_cb, &flag), flag);
  g_assert_cmpuint (rec1.finished, ==, 1);
  /* CLOSED */
  ASSERT_NOT_SYNCHRONOUS (agen_generator_next_async (gen1, NULL, flag_next_cb, &flag), flag);
  ASSERT_NOT_SYNCHRONOUS (agen_generator_send_async (gen1, &v, NULL, flag_send_cb, &flag), flag);
  ASSERT_NOT_SYNCHRONOUS (agen_generator_throw_async (gen1, boom, NULL, flag_throw_cb, &flag), flag);
  ASSERT_NOT_SYNCHRONOUS (agen_generator_close_async (gen1, NULL, flag_close_cb, &flag), flag);

  /* CREATED throw and close */
  rec_init (&rec2, ON_ERROR_PROPAGATE);
  gen2 = rec_new (&rec2);
  ASSERT_NOT_SYNCHRONOUS (agen_generator_throw_async (gen2, boom, NULL, flag_throw_cb, &flag), flag);
  rec_init (&rec3, ON_ERROR_PROPAGATE);
  gen3 = rec_new (&rec3);
  ASSERT_NOT_SYNCHRONOUS (agen_generator_close_async (gen3, NULL, flag_close_cb, &flag), flag);

  /* RUNNING */
  gated = agen_generator_new (gate_body, &gate_data, gate_data_destroy);
  gate_start (gated, &gate_data, &first);
  ASSERT_NOT_SYNCHRONOUS (agen_generator_next_async (gated, NULL, flag_next_cb, &flag), flag);
  ASSERT_NOT_SYNCHRONOUS (agen_generator_throw_async (gated, boom, NULL, flag_throw_cb, &flag), flag);
  gate_finish (gated, &gate_data, &first);

  rec_clear (&rec1);
  rec_clear (&rec2);
  rec_clear (&rec3);
}

typedef struct
{
  AgenTestResult  result;
  GMainContext   *ran_in;
} ContextResult;

static void
context_next_cb (GObject      *source,
                 GAsyncResult *res,
                 gpointer      user_data)
{
  ContextResult *cr = user_data;
  GSource *current = g_main_current_source ();

  cr->ran_in = current != NULL ? g_source_get_context (current) : NULL;
  agen_test_next_cb (source, res, &cr->result);
}

/* Iterates both contexts until cr is done. */
static void
spin_both (GMainContext  *other,
           ContextResult *cr)
{
  gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;

  while (!cr->result.done)
    {
      gboolean busy;

      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      busy = g_main_context_iteration (other, FALSE);
      busy |= g_main_context_iteration (NULL, FALSE);
      if (!busy)
        g_usleep (1000);
    }
}

static void
test_callback_caller_context (void)
{
  Rec rec;
  g_autoptr(AgenGenerator) gen = NULL;
  g_autoptr(GMainContext) other = g_main_context_new ();
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;
  ContextResult cr = { AGEN_TEST_RESULT_INIT, NULL };

  g_test_summary ("the callback runs in the thread-default main context of "
                  "the caller of the _async function, not the owner's");

  rec_init (&rec, ON_ERROR_PROPAGATE);
  gen = rec_new (&rec);
  rec_start (gen);
  g_assert_true (agen_generator_get_context (gen) == g_main_context_default ());

  g_main_context_push_thread_default (other);
  agen_generator_next_async (gen, NULL, context_next_cb, &cr);
  g_assert_false (cr.result.done);
  spin_both (other, &cr);
  g_main_context_pop_thread_default (other);

  g_assert_true (cr.ran_in == other);
  agen_test_assert_yielded_int (&cr.result, 2);
  /* The owner does not change */
  g_assert_true (agen_generator_get_context (gen) == g_main_context_default ());

  agen_test_close (gen, NULL, &r);
  g_assert_true (r.ok);
  agen_test_result_clear (&cr.result);
  rec_clear (&rec);
}

static void
test_callback_first_op_sets_owner (void)
{
  Rec rec;
  g_autoptr(AgenGenerator) gen = NULL;
  g_autoptr(GMainContext) other = g_main_context_new ();
  ContextResult cr = { AGEN_TEST_RESULT_INIT, NULL };

  g_test_summary ("the thread-default context at the first op becomes the "
                  "owner; the callback runs there");

  rec_init (&rec, ON_ERROR_PROPAGATE);
  gen = rec_new (&rec);

  g_main_context_push_thread_default (other);
  agen_generator_next_async (gen, NULL, context_next_cb, &cr);
  g_assert_false (cr.result.done);
  spin_both (other, &cr);
  g_assert_true (cr.ran_in == other);
  agen_test_assert_yielded_int (&cr.result, 1);
  g_assert_true (agen_generator_get_context (gen) == other);

  /* Close it on its owner */
  agen_test_close (gen, NULL, &cr.result);
  g_assert_true (cr.result.ok);
  g_assert_cmpuint (rec.destroyed, ==, 1);
  g_main_context_pop_thread_default (other);

  agen_test_result_clear (&cr.result);
  rec_clear (&rec);
}

/* Re-entrant calls from the body ------------------------------------------- */

typedef struct
{
  AgenTestResult next;
  AgenTestResult send;
  AgenTestResult throw;
  AgenTestResult close;
  gboolean       synchronous;
} ReentrantAsync;

static gboolean
reentrant_async_body (AgenGenerator  *self,
                      gpointer        user_data,
                      GError        **error)
{
  ReentrantAsync *data = user_data;
  g_autoptr(GError) boom = boom_new ();
  g_auto(GValue) v = G_VALUE_INIT;

  agen_generator_next_async (self, NULL, agen_test_next_cb, &data->next);
  agen_generator_send_async (self, agen_test_value_int (&v, 3), NULL, agen_test_send_cb, &data->send);
  agen_generator_throw_async (self, boom, NULL, agen_test_throw_cb, &data->throw);
  agen_generator_close_async (self, NULL, agen_test_close_cb, &data->close);
  data->synchronous = data->next.done || data->send.done ||
                      data->throw.done || data->close.done;

  /* The ops failed without touching this step: go on as usual */
  if (!agen_test_yield_int (self, 1, NULL, error))
    return FALSE;
  return TRUE;
}

static void
test_reentrant_async_is_running (void)
{
  ReentrantAsync data = {
    AGEN_TEST_RESULT_INIT, AGEN_TEST_RESULT_INIT,
    AGEN_TEST_RESULT_INIT, AGEN_TEST_RESULT_INIT, FALSE
  };
  g_autoptr(AgenGenerator) gen = agen_generator_new (reentrant_async_body, &data, NULL);
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;

  g_test_summary ("next/send/throw/close_async on its own generator from "
                  "inside the body fail with RUNNING (delivered later); the "
                  "step goes on");

  g_assert_true (agen_test_next (gen, NULL, &r));
  agen_test_assert_yielded_int (&r, 1);
  g_assert_false (data.synchronous);

  agen_test_spin_until (&data.next.done, 5000);
  agen_test_spin_until (&data.send.done, 5000);
  agen_test_spin_until (&data.throw.done, 5000);
  agen_test_spin_until (&data.close.done, 5000);
  agen_test_assert_failed (&data.next, AGEN_ERROR, AGEN_ERROR_RUNNING);
  agen_test_assert_failed (&data.send, AGEN_ERROR, AGEN_ERROR_RUNNING);
  agen_test_assert_failed (&data.throw, AGEN_ERROR, AGEN_ERROR_RUNNING);
  g_assert_false (data.close.ok);
  g_assert_error (data.close.error, AGEN_ERROR, AGEN_ERROR_RUNNING);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_SUSPENDED);

  g_assert_false (agen_test_next (gen, NULL, &r));
  agen_test_assert_finished (&r);

  agen_test_result_clear (&data.next);
  agen_test_result_clear (&data.send);
  agen_test_result_clear (&data.throw);
  agen_test_result_clear (&data.close);
}

typedef struct
{
  GError   *next_error;
  GError   *send_error;
  GError   *throw_error;
  GError   *close_error;
  gboolean  next_ret;
  gboolean  send_ret;
  gboolean  throw_ret;
  gboolean  close_ret;
  gboolean  next_value_none;
} ReentrantBlocking;

static gboolean
reentrant_blocking_body (AgenGenerator  *self,
                         gpointer        user_data,
                         GError        **error)
{
  ReentrantBlocking *data = user_data;
  g_autoptr(GError) boom = boom_new ();
  g_auto(GValue) in = G_VALUE_INIT;
  g_auto(GValue) out1 = G_VALUE_INIT;
  g_auto(GValue) out2 = G_VALUE_INIT;
  g_auto(GValue) out3 = G_VALUE_INIT;

  data->next_ret = agen_generator_next (self, NULL, &out1, &data->next_error);
  data->next_value_none = agen_test_value_is_none (&out1);
  data->send_ret = agen_generator_send (self, agen_test_value_int (&in, 3), NULL,
                                        &out2, &data->send_error);
  data->throw_ret = agen_generator_throw (self, boom, NULL, &out3, &data->throw_error);
  data->close_ret = agen_generator_close (self, NULL, &data->close_error);

  /* The body handled the errors and goes on */
  return agen_test_yield_int (self, 1, NULL, error);
}

static void
test_reentrant_blocking_is_running (void)
{
  ReentrantBlocking data = { 0, };
  g_autoptr(AgenGenerator) gen = agen_generator_new (reentrant_blocking_body, &data, NULL);
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;

  g_test_summary ("the blocking next/send/throw/close on its own generator "
                  "from inside the body fail with RUNNING at once; the body "
                  "may handle that and go on");

  g_assert_true (agen_test_next (gen, NULL, &r));
  agen_test_assert_yielded_int (&r, 1);

  g_assert_false (data.next_ret);
  g_assert_error (data.next_error, AGEN_ERROR, AGEN_ERROR_RUNNING);
  g_assert_true (data.next_value_none);
  g_assert_false (data.send_ret);
  g_assert_error (data.send_error, AGEN_ERROR, AGEN_ERROR_RUNNING);
  g_assert_false (data.throw_ret);
  g_assert_error (data.throw_error, AGEN_ERROR, AGEN_ERROR_RUNNING);
  g_assert_false (data.close_ret);
  g_assert_error (data.close_error, AGEN_ERROR, AGEN_ERROR_RUNNING);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_SUSPENDED);

  g_assert_false (agen_test_next (gen, NULL, &r));
  agen_test_assert_finished (&r);

  g_clear_error (&data.next_error);
  g_clear_error (&data.send_error);
  g_clear_error (&data.throw_error);
  g_clear_error (&data.close_error);
}

/* Properties --------------------------------------------------------------- */

static AgenGeneratorState
prop_state (AgenGenerator *gen)
{
  AgenGeneratorState state;

  g_object_get (gen, "state", &state, NULL);
  g_assert_cmpint (state, ==, agen_generator_get_state (gen));
  return state;
}

static gboolean
prop_running (AgenGenerator *gen)
{
  gboolean running;

  g_object_get (gen, "running", &running, NULL);
  g_assert_cmpint (running, ==, agen_generator_get_running (gen));
  return running;
}

static void
test_properties_state (void)
{
  GateData data = { 0, };
  g_autoptr(AgenGenerator) gen = agen_generator_new (gate_body, &data, gate_data_destroy);
  g_auto(AgenTestResult) first = AGEN_TEST_RESULT_INIT;
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;
  GParamSpec *pspec;

  g_test_summary ("the \"state\" property (an AgenGeneratorState) follows "
                  "CREATED, RUNNING (inside the body and while it awaits), "
                  "SUSPENDED, CLOSED");

  pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (gen), "state");
  g_assert_nonnull (pspec);
  g_assert_true (G_PARAM_SPEC_VALUE_TYPE (pspec) == AGEN_TYPE_GENERATOR_STATE);

  g_assert_cmpint (prop_state (gen), ==, AGEN_GENERATOR_STATE_CREATED);

  gate_start (gen, &data, &first);
  g_assert_cmpint (data.state_inside, ==, AGEN_GENERATOR_STATE_RUNNING);
  g_assert_cmpint (data.state_prop_inside, ==, AGEN_GENERATOR_STATE_RUNNING);
  g_assert_cmpint (prop_state (gen), ==, AGEN_GENERATOR_STATE_RUNNING);

  agen_test_gate_open (&data.gate);
  agen_test_spin_until (&first.done, 5000);
  agen_test_assert_yielded_int (&first, 1);
  g_assert_cmpint (prop_state (gen), ==, AGEN_GENERATOR_STATE_SUSPENDED);

  agen_test_close (gen, NULL, &r);
  g_assert_cmpint (prop_state (gen), ==, AGEN_GENERATOR_STATE_CLOSED);
}

static void
test_properties_running (void)
{
  GateData data = { 0, };
  g_autoptr(AgenGenerator) gen = agen_generator_new (gate_body, &data, gate_data_destroy);
  g_auto(AgenTestResult) first = AGEN_TEST_RESULT_INIT;
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;
  GParamSpec *pspec;

  g_test_summary ("the \"running\" property is TRUE exactly while an op is in "
                  "progress: inside the body and while it awaits, not when "
                  "CREATED, SUSPENDED or CLOSED");

  pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (gen), "running");
  g_assert_nonnull (pspec);
  g_assert_true (G_PARAM_SPEC_VALUE_TYPE (pspec) == G_TYPE_BOOLEAN);

  g_assert_false (prop_running (gen));

  gate_start (gen, &data, &first);
  g_assert_true (data.running_inside);
  g_assert_true (data.running_prop_inside);
  g_assert_true (prop_running (gen));

  agen_test_gate_open (&data.gate);
  agen_test_spin_until (&first.done, 5000);
  agen_test_assert_yielded_int (&first, 1);
  g_assert_false (prop_running (gen));

  agen_test_close (gen, NULL, &r);
  g_assert_false (prop_running (gen));
}

/* Notifications: what each handler saw. */
typedef struct
{
  GArray   *states;          /* AgenGeneratorState at each notify::state */
  guint     running_notifies;
  guint     on_fiber_stack;  /* handlers that ran on a fiber's stack */
} Notified;

static void
on_notify (GObject    *object,
           GParamSpec *pspec,
           gpointer    user_data)
{
  Notified *notified = user_data;

  if (agen_fiber_get_current () != NULL)
    notified->on_fiber_stack++;

  if (g_str_equal (pspec->name, "state"))
    {
      AgenGeneratorState state = agen_generator_get_state (AGEN_GENERATOR (object));

      g_array_append_val (notified->states, state);
    }
  else if (g_str_equal (pspec->name, "running"))
    {
      notified->running_notifies++;
    }
}

static void
on_name_notify (GObject    *object,
                GParamSpec *pspec,
                gpointer    user_data)
{
  guint *count = user_data;

  g_assert_null (agen_fiber_get_current ());
  (*count)++;
}

static gboolean
renaming_body (AgenGenerator  *self,
               gpointer        user_data,
               GError        **error)
{
  /* From inside the body: its handler must still run off the fiber. */
  agen_generator_set_name (self, "renamed");

  return agen_test_yield_int (self, 1, NULL, error) &&
         agen_test_yield_int (self, 2, NULL, error);
}

/* A consumer body pulling the inner generator with the blocking next. */
static gboolean
pulling_body (AgenGenerator  *self,
              gpointer        user_data,
              GError        **error)
{
  AgenGenerator *inner = user_data;
  g_auto(GValue) value = G_VALUE_INIT;

  if (!agen_generator_next (inner, NULL, &value, error))
    return FALSE;
  g_assert_cmpint (g_value_get_int (&value), ==, 1);
  g_value_unset (&value);

  /* The inner body returns after its second value: pulled later. */
  return TRUE;
}

static void
test_properties_notify (void)
{
  g_autoptr(AgenGenerator) gen = agen_generator_new (renaming_body, NULL, NULL);
  g_autoptr(AgenGenerator) consumer = agen_generator_new (pulling_body, gen, NULL);
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;
  Notified notified = { g_array_new (FALSE, FALSE, sizeof (AgenGeneratorState)), 0, 0 };
  guint name_notifies = 0;
  g_autoptr(GError) error = NULL;
  g_auto(GValue) value = G_VALUE_INIT;

  g_test_summary ("notify::state, notify::running and notify::name are "
                  "emitted for net changes, whether the op comes from the "
                  "thread's stack, from inside another body or from the "
                  "body itself, and their handlers never run on a fiber's "
                  "stack");

  g_signal_connect (gen, "notify::state", G_CALLBACK (on_notify), &notified);
  g_signal_connect (gen, "notify::running", G_CALLBACK (on_notify), &notified);
  g_signal_connect (gen, "notify::name", G_CALLBACK (on_name_notify), &name_notifies);

  /* The first value, pulled from inside another body (a fiber) */
  g_assert_false (agen_generator_next (consumer, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (agen_generator_get_name (gen), ==, "renamed");
  g_assert_cmpuint (name_notifies, ==, 1);
  g_assert_cmpuint (notified.states->len, ==, 1);
  g_assert_cmpint (g_array_index (notified.states, AgenGeneratorState, 0), ==,
                   AGEN_GENERATOR_STATE_SUSPENDED);
  /* CREATED -> SUSPENDED: "running" was FALSE before and after */
  g_assert_cmpuint (notified.running_notifies, ==, 0);

  /* The second, from the thread's stack: SUSPENDED -> SUSPENDED, nothing */
  g_assert_true (agen_generator_next (gen, NULL, &value, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (notified.states->len, ==, 1);

  /* The end, async: CLOSED */
  agen_test_next (gen, NULL, &r);
  agen_test_assert_finished (&r);
  g_assert_cmpuint (notified.states->len, ==, 2);
  g_assert_cmpint (g_array_index (notified.states, AgenGeneratorState, 1), ==,
                   AGEN_GENERATOR_STATE_CLOSED);

  g_assert_cmpuint (notified.on_fiber_stack, ==, 0);
  g_array_unref (notified.states);
}

static void
test_properties_name (void)
{
  g_autoptr(AgenGenerator) gen = NULL;
  g_autoptr(AgenGenerator) named = NULL;
  g_autofree char *name = NULL;

  g_test_summary ("the \"name\" property: NULL by default, set by "
                  "new_full, set_name and g_object_set, read by get_name and "
                  "g_object_get");

  gen = agen_generator_new (return_true_body, NULL, NULL);
  g_assert_null (agen_generator_get_name (gen));

  agen_generator_set_name (gen, "first");
  g_assert_cmpstr (agen_generator_get_name (gen), ==, "first");
  g_object_get (gen, "name", &name, NULL);
  g_assert_cmpstr (name, ==, "first");
  g_clear_pointer (&name, g_free);

  g_object_set (gen, "name", "second", NULL);
  g_assert_cmpstr (agen_generator_get_name (gen), ==, "second");
  g_object_get (gen, "name", &name, NULL);
  g_assert_cmpstr (name, ==, "second");
  g_clear_pointer (&name, g_free);

  agen_generator_set_name (gen, NULL);
  g_assert_null (agen_generator_get_name (gen));

  named = agen_generator_new_full (return_true_body, NULL, NULL, "named", 0);
  g_assert_cmpstr (agen_generator_get_name (named), ==, "named");
}

static void
test_properties_stack_size (void)
{
  g_autoptr(AgenGenerator) gen = NULL;
  g_autoptr(AgenGenerator) small = NULL;
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;
  guint runs = 0;

  g_test_summary ("get_stack_size: 0 (the default) or the default size for "
                  "agen_generator_new, the requested size for new_full; a "
                  "small stack runs a body; the property can be set until "
                  "the body runs, not after");

  /* The default reads back as 0 ("the default") or as its actual size */
  gen = agen_generator_new (return_true_body, &runs, NULL);
  g_assert_true (agen_generator_get_stack_size (gen) == 0 ||
                 agen_generator_get_stack_size (gen) == AGEN_GENERATOR_DEFAULT_STACK_SIZE);

  small = agen_generator_new_full (return_true_body, &runs, NULL, NULL, 64 * 1024);
  g_assert_cmpuint (agen_generator_get_stack_size (small), ==, 64 * 1024);
  agen_test_next (small, NULL, &r);
  agen_test_assert_finished (&r);
  g_assert_cmpuint (runs, ==, 1);

  /* The property: settable until the body runs (0 = the default), then
   * refused with a critical */
  g_object_set (gen, "stack-size", (guint64) (128 * 1024), NULL);
  g_assert_cmpuint (agen_generator_get_stack_size (gen), ==, 128 * 1024);
  g_object_set (gen, "stack-size", (guint64) 0, NULL);
  g_assert_cmpuint (agen_generator_get_stack_size (gen), ==, AGEN_GENERATOR_DEFAULT_STACK_SIZE);

  g_test_expect_message ("Agen", G_LOG_LEVEL_CRITICAL, "*cannot change*already run*");
  g_object_set (small, "stack-size", (guint64) (128 * 1024), NULL);
  g_test_assert_expected_messages ();
  g_assert_cmpuint (agen_generator_get_stack_size (small), ==, 64 * 1024);
}

static void
test_properties_context (void)
{
  Rec rec;
  g_autoptr(AgenGenerator) gen = NULL;
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;
  g_auto(GValue) v = G_VALUE_INIT;

  g_test_summary ("get_context is NULL before the first op and the caller's "
                  "thread-default context after it, even a refused one");

  rec_init (&rec, ON_ERROR_PROPAGATE);
  gen = rec_new (&rec);
  g_assert_null (agen_generator_get_context (gen));

  agen_test_send (gen, agen_test_value_int (&v, 1), NULL, &r);
  agen_test_assert_failed (&r, AGEN_ERROR, AGEN_ERROR_NOT_STARTED);
  g_assert_true (agen_generator_get_context (gen) == g_main_context_default ());

  rec_start (gen);
  g_assert_true (agen_generator_get_context (gen) == g_main_context_default ());
  agen_test_close (gen, NULL, &r);
  rec_clear (&rec);
}

/* Values are never dropped or duplicated ----------------------------------- */

#define N_VALUES 10000

static gboolean
count_body (AgenGenerator  *self,
            gpointer        user_data,
            GError        **error)
{
  gint n = GPOINTER_TO_INT (user_data);
  gint i;

  for (i = 0; i < n; i++)
    if (!agen_test_yield_int (self, i, NULL, error))
      return FALSE;

  return TRUE;
}

typedef struct
{
  gint     expected;
  gboolean in_call;
  gboolean done;
} Sequence;

static void
sequence_next_cb (GObject      *source,
                  GAsyncResult *res,
                  gpointer      user_data)
{
  AgenGenerator *gen = AGEN_GENERATOR (source);
  Sequence *seq = user_data;
  g_autoptr(GError) error = NULL;
  g_auto(GValue) v = G_VALUE_INIT;

  g_assert_false (seq->in_call);

  if (!agen_generator_next_finish (gen, res, &v, &error))
    {
      g_assert_no_error (error);
      agen_test_assert_none (&v);
      seq->done = TRUE;
      return;
    }

  agen_test_assert_int (&v, seq->expected);
  seq->expected++;

  seq->in_call = TRUE;
  agen_generator_next_async (gen, NULL, sequence_next_cb, seq);
  seq->in_call = FALSE;
}

static void
test_values_ten_thousand_in_order (void)
{
  g_autoptr(AgenGenerator) gen = agen_generator_new (count_body, GINT_TO_POINTER (N_VALUES), NULL);
  Sequence seq = { 0, FALSE, FALSE };

  g_test_summary ("10,000 yielded ints consumed through next_async callbacks "
                  "arrive exactly once each, in order, then finished");

  seq.in_call = TRUE;
  agen_generator_next_async (gen, NULL, sequence_next_cb, &seq);
  seq.in_call = FALSE;
  agen_test_spin_until (&seq.done, 60000);

  g_assert_cmpint (seq.expected, ==, N_VALUES);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_CLOSED);
}

static void
test_values_blocking_in_order (void)
{
  g_autoptr(AgenGenerator) gen = agen_generator_new (count_body, GINT_TO_POINTER (N_VALUES), NULL);
  g_autoptr(GError) error = NULL;
  gint expected = 0;

  g_test_summary ("10,000 yielded ints consumed with the blocking next arrive "
                  "exactly once each, in order, then finished");

  while (TRUE)
    {
      g_auto(GValue) v = G_VALUE_INIT;

      if (!agen_generator_next (gen, NULL, &v, &error))
        {
          agen_test_assert_none (&v);
          break;
        }
      agen_test_assert_int (&v, expected);
      expected++;
    }

  g_assert_no_error (error);
  g_assert_cmpint (expected, ==, N_VALUES);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_CLOSED);
}

/* None --------------------------------------------------------------------- */

static gboolean
none_body (AgenGenerator  *self,
           gpointer        user_data,
           GError        **error)
{
  g_auto(GValue) none = G_VALUE_INIT;

  /* NULL value, then a G_TYPE_POINTER NULL, then a string */
  if (!agen_generator_yield (self, NULL, NULL, error))
    return FALSE;
  if (!agen_generator_yield (self, agen_test_value_none (&none), NULL, error))
    return FALSE;
  if (!agen_test_yield_string (self, "text", NULL, error))
    return FALSE;
  g_set_error_literal (error, AGEN_TEST_ERROR, AGEN_TEST_ERROR_BOOM, "boom");
  return FALSE;
}

static void
test_none_yielded (void)
{
  g_autoptr(AgenGenerator) gen = agen_generator_new (none_body, NULL, NULL);
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;

  g_test_summary ("a body that yields NULL or a G_TYPE_POINTER NULL: the "
                  "consumer gets TRUE + None (G_TYPE_POINTER holding NULL)");

  g_assert_true (agen_test_next (gen, NULL, &r));
  g_assert_no_error (r.error);
  agen_test_assert_none (&r.value);

  g_assert_true (agen_test_next (gen, NULL, &r));
  g_assert_no_error (r.error);
  agen_test_assert_none (&r.value);

  agen_test_close (gen, NULL, &r);
}

static void
test_none_finished_and_failed (void)
{
  g_autoptr(AgenGenerator) gen = agen_generator_new (none_body, NULL, NULL);
  g_autoptr(AgenGenerator) fresh = agen_generator_new (none_body, NULL, NULL);
  g_autoptr(GError) boom = boom_new ();
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;
  g_auto(GValue) v = G_VALUE_INIT;

  g_test_summary ("every _finish with a value leaves it initialised to None "
                  "when the generator is finished or the op failed");

  agen_test_next (gen, NULL, &r);
  agen_test_next (gen, NULL, &r);
  agen_test_next (gen, NULL, &r);
  agen_test_assert_string (&r.value, "text");

  /* The body raises */
  agen_test_next (gen, NULL, &r);
  agen_test_assert_failed (&r, AGEN_TEST_ERROR, AGEN_TEST_ERROR_BOOM);
  /* Finished, through each op */
  agen_test_next (gen, NULL, &r);
  agen_test_assert_finished (&r);
  agen_test_send (gen, agen_test_value_int (&v, 1), NULL, &r);
  agen_test_assert_finished (&r);
  agen_test_throw (gen, boom, NULL, &r);
  agen_test_assert_finished (&r);

  /* Refused */
  agen_test_send (fresh, &v, NULL, &r);
  agen_test_assert_failed (&r, AGEN_ERROR, AGEN_ERROR_NOT_STARTED);
  /* throw on CREATED */
  agen_test_throw (fresh, boom, NULL, &r);
  agen_test_assert_failed (&r, AGEN_TEST_ERROR, AGEN_TEST_ERROR_BOOM);
}

static void
test_none_send_pointer_null_is_next (void)
{
  Rec rec;
  g_autoptr(AgenGenerator) gen = NULL;
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;
  g_auto(GValue) ptr = G_VALUE_INIT;

  g_test_summary ("a G_TYPE_POINTER holding NULL is None, but one holding "
                  "another pointer is a value: send of it to a CREATED "
                  "generator fails with NOT_STARTED");

  rec_init (&rec, ON_ERROR_PROPAGATE);
  gen = rec_new (&rec);

  g_value_init (&ptr, G_TYPE_POINTER);
  g_value_set_pointer (&ptr, &rec);
  g_assert_false (agen_test_send (gen, &ptr, NULL, &r));
  agen_test_assert_failed (&r, AGEN_ERROR, AGEN_ERROR_NOT_STARTED);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_CREATED);

  g_value_set_pointer (&ptr, NULL);
  g_assert_true (agen_test_send (gen, &ptr, NULL, &r));
  agen_test_assert_yielded_int (&r, 1);

  agen_test_close (gen, NULL, &r);
  rec_clear (&rec);
}

static void
discard_next_cb (GObject      *source,
                 GAsyncResult *res,
                 gpointer      user_data)
{
  AgenTestResult *result = user_data;

  result->ok = agen_generator_next_finish (AGEN_GENERATOR (source), res, NULL, &result->error);
  result->done = TRUE;
}

static void
test_none_value_may_be_null (void)
{
  g_autoptr(AgenGenerator) gen = agen_generator_new (none_body, NULL, NULL);
  g_autoptr(GError) error = NULL;
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;
  guint i;

  g_test_summary ("a consumer may pass NULL for the value to discard it");

  for (i = 0; i < 3; i++)
    {
      agen_test_result_clear (&r);
      agen_generator_next_async (gen, NULL, discard_next_cb, &r);
      agen_test_spin_until (&r.done, 5000);
      g_assert_no_error (r.error);
      g_assert_true (r.ok);
    }

  g_assert_false (agen_generator_next (gen, NULL, NULL, &error));
  g_assert_error (error, AGEN_TEST_ERROR, AGEN_TEST_ERROR_BOOM);
  g_clear_error (&error);
  g_assert_false (agen_generator_next (gen, NULL, NULL, &error));
  g_assert_no_error (error);
}

/* Blocking forms ----------------------------------------------------------- */

typedef struct
{
  guint  cleanups;
  gint   raise_on_close;  /* 0: let EXIT out, else raise AGEN_TEST_ERROR_OTHER */
} SleepyData;

/* Awaits before each yield; echoes sent ints ×10; on a thrown BOOM awaits and
 * yields -1; on EXIT awaits, then lets it out. */
static gboolean
sleepy_body (AgenGenerator  *self,
             gpointer        user_data,
             GError        **error)
{
  SleepyData *data = user_data;
  gint next = 1;

  while (TRUE)
    {
      g_autoptr(GError) local = NULL;
      g_auto(GValue) sent = G_VALUE_INIT;

      if (!agen_test_sleep (self, 5, NULL, error))
        return FALSE;

      if (agen_test_yield_int (self, next, &sent, &local))
        {
          next = G_VALUE_HOLDS_INT (&sent) ? g_value_get_int (&sent) * 10 : next + 1;
          continue;
        }

      if (g_error_matches (local, AGEN_TEST_ERROR, AGEN_TEST_ERROR_BOOM))
        {
          next = -1;
          continue;
        }

      /* Cleanup that awaits */
      if (!agen_test_sleep (self, 5, NULL, error))
        return FALSE;
      data->cleanups++;
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
}

static void
test_blocking_next_iterates_context (void)
{
  SleepyData data = { 0, };
  g_autoptr(AgenGenerator) gen = agen_generator_new (sleepy_body, &data, NULL);
  g_autoptr(GError) error = NULL;
  gint i;

  g_test_summary ("the blocking next from plain code on the owner thread "
                  "iterates the context while the body awaits, and returns "
                  "each value");

  for (i = 1; i <= 3; i++)
    {
      g_auto(GValue) v = G_VALUE_INIT;

      g_assert_true (agen_generator_next (gen, NULL, &v, &error));
      g_assert_no_error (error);
      agen_test_assert_int (&v, i);
      g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_SUSPENDED);
    }

  g_assert_true (agen_generator_close (gen, NULL, &error));
  g_assert_no_error (error);
}

static void
test_blocking_send (void)
{
  SleepyData data = { 0, };
  g_autoptr(AgenGenerator) gen = agen_generator_new (sleepy_body, &data, NULL);
  g_autoptr(GError) error = NULL;
  g_auto(GValue) in = G_VALUE_INIT;
  g_auto(GValue) v1 = G_VALUE_INIT;
  g_auto(GValue) v2 = G_VALUE_INIT;
  g_auto(GValue) v3 = G_VALUE_INIT;

  g_test_summary ("the blocking send: refused with NOT_STARTED on CREATED, "
                  "then delivers the value into the body");

  agen_test_value_int (&in, 4);
  g_assert_false (agen_generator_send (gen, &in, NULL, &v1, &error));
  g_assert_error (error, AGEN_ERROR, AGEN_ERROR_NOT_STARTED);
  agen_test_assert_none (&v1);
  g_clear_error (&error);

  g_assert_true (agen_generator_send (gen, NULL, NULL, &v2, &error));
  agen_test_assert_int (&v2, 1);

  g_assert_true (agen_generator_send (gen, &in, NULL, &v3, &error));
  g_assert_no_error (error);
  agen_test_assert_int (&v3, 40);

  g_assert_true (agen_generator_close (gen, NULL, &error));
}

static void
test_blocking_throw (void)
{
  SleepyData data = { 0, };
  g_autoptr(AgenGenerator) gen = agen_generator_new (sleepy_body, &data, NULL);
  g_autoptr(AgenGenerator) fresh = agen_generator_new (sleepy_body, &data, NULL);
  g_autoptr(GError) boom = boom_new ();
  g_autoptr(GError) error = NULL;
  g_auto(GValue) v1 = G_VALUE_INIT;
  g_auto(GValue) v2 = G_VALUE_INIT;
  g_auto(GValue) v3 = G_VALUE_INIT;

  g_test_summary ("the blocking throw: a body that catches and yields after "
                  "awaiting gives TRUE + value; on CREATED FALSE + e");

  g_assert_true (agen_generator_next (gen, NULL, &v1, &error));
  g_assert_true (agen_generator_throw (gen, boom, NULL, &v2, &error));
  g_assert_no_error (error);
  agen_test_assert_int (&v2, -1);

  g_assert_false (agen_generator_throw (fresh, boom, NULL, &v3, &error));
  g_assert_error (error, AGEN_TEST_ERROR, AGEN_TEST_ERROR_BOOM);
  agen_test_assert_none (&v3);
  g_clear_error (&error);
  g_assert_cmpint (agen_generator_get_state (fresh), ==, AGEN_GENERATOR_STATE_CLOSED);

  g_assert_true (agen_generator_close (gen, NULL, &error));
}

static void
test_blocking_close_cleanup_awaits (void)
{
  SleepyData data = { 0, };
  g_autoptr(AgenGenerator) gen = agen_generator_new (sleepy_body, &data, NULL);
  g_autoptr(GError) error = NULL;
  g_auto(GValue) v = G_VALUE_INIT;

  g_test_summary ("the blocking close returns only after cleanup that "
                  "awaits; TRUE and CLOSED; then finished for next");

  g_assert_true (agen_generator_next (gen, NULL, &v, &error));
  g_value_unset (&v);

  g_assert_true (agen_generator_close (gen, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (data.cleanups, ==, 1);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_CLOSED);

  g_assert_false (agen_generator_next (gen, NULL, &v, &error));
  g_assert_no_error (error);
  agen_test_assert_none (&v);
}

typedef struct
{
  AgenGenerator *inner;
  gint           values[4];
  GError        *close_error;
  gboolean       close_ret;
  gboolean       after_finished;
} DriverData;

/* Drives inner (a sleepy_body) with the blocking forms, then yields the sum. */
static gboolean
driver_body (AgenGenerator  *self,
             gpointer        user_data,
             GError        **error)
{
  DriverData *data = user_data;
  g_autoptr(GError) boom = boom_new ();
  g_auto(GValue) in = G_VALUE_INIT;
  g_auto(GValue) v0 = G_VALUE_INIT;
  g_auto(GValue) v1 = G_VALUE_INIT;
  g_auto(GValue) v2 = G_VALUE_INIT;
  g_auto(GValue) v3 = G_VALUE_INIT;
  g_auto(GValue) v4 = G_VALUE_INIT;

  if (!agen_generator_next (data->inner, NULL, &v0, error))
    return FALSE;
  data->values[0] = g_value_get_int (&v0);
  if (!agen_generator_next (data->inner, NULL, &v1, error))
    return FALSE;
  data->values[1] = g_value_get_int (&v1);
  if (!agen_generator_send (data->inner, agen_test_value_int (&in, 5), NULL, &v2, error))
    return FALSE;
  data->values[2] = g_value_get_int (&v2);
  if (!agen_generator_throw (data->inner, boom, NULL, &v3, error))
    return FALSE;
  data->values[3] = g_value_get_int (&v3);

  data->close_ret = agen_generator_close (data->inner, NULL, &data->close_error);
  data->after_finished = !agen_generator_next (data->inner, NULL, &v4, NULL);

  return agen_test_yield_int (self,
                              data->values[0] + data->values[1] +
                              data->values[2] + data->values[3],
                              NULL, error);
}

static void
test_blocking_inside_other_body (void)
{
  SleepyData inner_data = { 0, };
  DriverData data = { 0, };
  g_autoptr(AgenGenerator) inner = agen_generator_new (sleepy_body, &inner_data, NULL);
  g_autoptr(AgenGenerator) outer = NULL;
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;

  g_test_summary ("the blocking forms called inside another generator's body "
                  "suspend only that body (the _async call returns, the "
                  "thread is not blocked) and give the same results");

  data.inner = inner;
  outer = agen_generator_new (driver_body, &data, NULL);

  agen_generator_next_async (outer, NULL, agen_test_next_cb, &r);
  /* The driver waits on inner, which awaits a timeout: nothing is done yet */
  g_assert_false (r.done);
  g_assert_cmpint (agen_generator_get_state (outer), ==, AGEN_GENERATOR_STATE_RUNNING);
  g_assert_cmpint (agen_generator_get_state (inner), ==, AGEN_GENERATOR_STATE_RUNNING);
  agen_test_spin_until (&r.done, 5000);

  agen_test_assert_yielded_int (&r, 1 + 2 + 50 + -1);
  g_assert_cmpint (data.values[0], ==, 1);
  g_assert_cmpint (data.values[1], ==, 2);
  g_assert_cmpint (data.values[2], ==, 50);
  g_assert_cmpint (data.values[3], ==, -1);
  g_assert_true (data.close_ret);
  g_assert_no_error (data.close_error);
  g_assert_true (data.after_finished);
  g_assert_cmpuint (inner_data.cleanups, ==, 1);
  g_assert_cmpint (agen_generator_get_state (inner), ==, AGEN_GENERATOR_STATE_CLOSED);

  g_assert_false (agen_test_next (outer, NULL, &r));
  agen_test_assert_finished (&r);
}

/* The GAsyncResult contract ---------------------------------------------- */

static void
keep_result_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

/* Starts a next (close_async when close is set) and returns its result,
 * kept beyond the callback so that the test can finish it as it likes. */
static GAsyncResult *
start_and_keep (AgenGenerator *gen,
                gboolean       close)
{
  GAsyncResult *result = NULL;

  if (close)
    agen_generator_close_async (gen, NULL, keep_result_cb, &result);
  else
    agen_generator_next_async (gen, NULL, keep_result_cb, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  return result;
}

static gboolean
yield_two_then_raise_body (AgenGenerator  *self,
                           gpointer        user_data,
                           GError        **error)
{
  if (!agen_test_yield_int (self, 1, NULL, error) ||
      !agen_test_yield_int (self, 2, NULL, error))
    return FALSE;
  g_set_error_literal (error, AGEN_TEST_ERROR, AGEN_TEST_ERROR_BOOM, "boom");
  return FALSE;
}

static void
test_finish_twice (void)
{
  g_autoptr(AgenGenerator) gen = agen_generator_new (yield_two_then_raise_body, NULL, NULL);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GValue) value = G_VALUE_INIT;

  g_test_summary ("a second _finish on the same result is a critical and "
                  "returns FALSE with None, for a yielded value and an error alike");

  if (!g_test_undefined ())
    return;

  result = start_and_keep (gen, FALSE);
  g_assert_true (agen_generator_next_finish (gen, result, &value, &error));
  agen_test_assert_int (&value, 1);
  g_value_unset (&value);

  g_test_expect_message ("Agen", G_LOG_LEVEL_CRITICAL, "*called twice*");
  g_assert_false (agen_generator_next_finish (gen, result, &value, &error));
  g_test_assert_expected_messages ();
  g_assert_no_error (error);
  agen_test_assert_none (&value);
  g_value_unset (&value);
  g_clear_object (&result);

  /* Discarding the value the first time changes nothing. */
  result = start_and_keep (gen, FALSE);
  g_assert_true (agen_generator_next_finish (gen, result, NULL, NULL));
  g_test_expect_message ("Agen", G_LOG_LEVEL_CRITICAL, "*called twice*");
  g_assert_false (agen_generator_next_finish (gen, result, NULL, NULL));
  g_test_assert_expected_messages ();
  g_clear_object (&result);

  result = start_and_keep (gen, FALSE);
  g_assert_false (agen_generator_next_finish (gen, result, &value, &error));
  g_assert_error (error, AGEN_TEST_ERROR, AGEN_TEST_ERROR_BOOM);
  g_clear_error (&error);
  g_value_unset (&value);
  g_test_expect_message ("Agen", G_LOG_LEVEL_CRITICAL, "*called twice*");
  g_assert_false (agen_generator_next_finish (gen, result, &value, &error));
  g_test_assert_expected_messages ();
  g_assert_no_error (error);
  agen_test_assert_none (&value);
  g_clear_object (&result);

  result = start_and_keep (gen, TRUE);
  g_assert_true (agen_generator_close_finish (gen, result, NULL));
  g_test_expect_message ("Agen", G_LOG_LEVEL_CRITICAL, "*called twice*");
  g_assert_false (agen_generator_close_finish (gen, result, NULL));
  g_test_assert_expected_messages ();
}

static void
test_finish_error_already_set (void)
{
  g_autoptr(AgenGenerator) gen = agen_generator_new (yield_two_then_raise_body, NULL, NULL);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  GError *earlier = NULL;
  g_auto(GValue) value = G_VALUE_INIT;

  g_test_summary ("a _finish called with *error already set is a critical and "
                  "overwrites nothing; the result can still be finished properly");

  if (!g_test_undefined ())
    return;

  result = start_and_keep (gen, FALSE);

  earlier = g_error_new_literal (AGEN_TEST_ERROR, AGEN_TEST_ERROR_OTHER, "earlier");
  error = earlier;
  g_test_expect_message ("Agen", G_LOG_LEVEL_CRITICAL, "*error == NULL*");
  g_assert_false (agen_generator_next_finish (gen, result, NULL, &error));
  g_test_assert_expected_messages ();
  g_assert_true (error == earlier);
  g_assert_error (error, AGEN_TEST_ERROR, AGEN_TEST_ERROR_OTHER);
  g_clear_error (&error);

  g_assert_true (agen_generator_next_finish (gen, result, &value, &error));
  agen_test_assert_int (&value, 1);
  g_clear_object (&result);

  result = start_and_keep (gen, TRUE);
  error = g_error_new_literal (AGEN_TEST_ERROR, AGEN_TEST_ERROR_OTHER, "earlier");
  g_test_expect_message ("Agen", G_LOG_LEVEL_CRITICAL, "*error == NULL*");
  g_assert_false (agen_generator_close_finish (gen, result, &error));
  g_test_assert_expected_messages ();
  g_assert_error (error, AGEN_TEST_ERROR, AGEN_TEST_ERROR_OTHER);
  g_clear_error (&error);
  g_assert_true (agen_generator_close_finish (gen, result, &error));
  g_assert_no_error (error);
}

static void
test_properties_through_gobject (void)
{
  g_autoptr(AgenGenerator) gen = agen_generator_new_full (yield_two_then_raise_body, NULL, NULL, "props", 123456);
  g_autofree char *name = NULL;
  AgenGeneratorState state;
  gboolean running;
  guint64 stack_size;
  GMainContext *context = NULL;
  g_autoptr(GError) error = NULL;

  g_test_summary ("every property reads back through g_object_get");

  agen_generator_next (gen, NULL, NULL, &error);
  g_object_get (gen, "name", &name, "state", &state, "running", &running,
                "stack-size", &stack_size, "context", &context, NULL);
  g_assert_cmpstr (name, ==, "props");
  g_assert_cmpint (state, ==, AGEN_GENERATOR_STATE_SUSPENDED);
  g_assert_false (running);
  g_assert_cmpuint (stack_size, ==, 123456);
  g_assert_true (context == g_main_context_default ());
  g_main_context_unref (context);
  agen_generator_close (gen, NULL, &error);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Agen/Generator/created/next-starts-body", test_created_next_starts_body);
  g_test_add_func ("/Agen/Generator/created/send-none-starts-body", test_created_send_none_starts_body);
  g_test_add_func ("/Agen/Generator/created/send-value-not-started", test_created_send_value_not_started);
  g_test_add_func ("/Agen/Generator/created/throw-closes-without-running", test_created_throw_closes_without_running);
  g_test_add_func ("/Agen/Generator/created/close-closes-without-running", test_created_close_closes_without_running);

  g_test_add_func ("/Agen/Generator/suspended/next-resumes", test_suspended_next_resumes);
  g_test_add_func ("/Agen/Generator/suspended/send-value-resumes", test_suspended_send_value_resumes);
  g_test_add_func ("/Agen/Generator/suspended/throw-body-propagates", test_suspended_throw_body_propagates);
  g_test_add_func ("/Agen/Generator/suspended/throw-body-catches-and-yields", test_suspended_throw_body_catches_and_yields);
  g_test_add_func ("/Agen/Generator/suspended/throw-body-catches-and-returns", test_suspended_throw_body_catches_and_returns);
  g_test_add_func ("/Agen/Generator/suspended/throw-exit-caught-yields", test_suspended_throw_exit_caught_yields);
  g_test_add_func ("/Agen/Generator/suspended/throw-exit-propagates", test_suspended_throw_exit_propagates);
  g_test_add_func ("/Agen/Generator/suspended/close-body-propagates-exit", test_suspended_close_body_propagates_exit);
  g_test_add_func ("/Agen/Generator/suspended/close-body-returns", test_suspended_close_body_returns);
  g_test_add_func ("/Agen/Generator/suspended/close-body-raises-other", test_suspended_close_body_raises_other);
  g_test_add_func ("/Agen/Generator/suspended/close-body-ignores-exit", test_suspended_close_body_ignores_exit);

  g_test_add_func ("/Agen/Generator/running/next-is-running", test_running_next_is_running);
  g_test_add_func ("/Agen/Generator/running/send-is-running", test_running_send_is_running);
  g_test_add_func ("/Agen/Generator/running/throw-is-running", test_running_throw_is_running);
  g_test_add_func ("/Agen/Generator/running/close-is-running", test_running_close_is_running);

  g_test_add_func ("/Agen/Generator/closed/next-is-finished", test_closed_next_is_finished);
  g_test_add_func ("/Agen/Generator/closed/send-is-finished", test_closed_send_is_finished);
  g_test_add_func ("/Agen/Generator/closed/throw-is-finished", test_closed_throw_is_finished);
  g_test_add_func ("/Agen/Generator/closed/close-is-true", test_closed_close_is_true);
  g_test_add_func ("/Agen/Generator/closed/error-reported-once", test_closed_error_reported_once);

  g_test_add_func ("/Agen/Generator/body/yield-next-sends-none", test_body_yield_next_sends_none);
  g_test_add_func ("/Agen/Generator/body/yield-send-none-sends-none", test_body_yield_send_none_sends_none);
  g_test_add_func ("/Agen/Generator/body/yield-send-value-copies", test_body_yield_send_value_copies);
  g_test_add_func ("/Agen/Generator/body/yield-sent-may-be-null", test_body_yield_sent_may_be_null);
  g_test_add_func ("/Agen/Generator/body/yield-throw-gives-error", test_body_yield_throw_gives_error);
  g_test_add_func ("/Agen/Generator/body/yield-close-gives-exit", test_body_yield_close_gives_exit);
  g_test_add_func ("/Agen/Generator/body/return-true-finishes", test_body_return_true_finishes);
  g_test_add_func ("/Agen/Generator/body/return-false-raises", test_body_return_false_raises);
  g_test_add_func ("/Agen/Generator/body/return-false-without-error", test_body_return_false_without_error);
  g_test_add_func ("/Agen/Generator/body/return-true-with-error", test_body_return_true_with_error);
  g_test_add_func ("/Agen/Generator/body/yield-outside-body", test_body_yield_outside_body);
  g_test_add_func ("/Agen/Generator/body/yield-in-other-body", test_body_yield_in_other_body);
  g_test_add_func ("/Agen/Generator/body/yield-from-outside-body", test_body_yield_from_outside_body);
  g_test_add_func ("/Agen/Generator/body/yield-from-in-other-body", test_body_yield_from_in_other_body);

  g_test_add_func ("/Agen/Generator/return-value/set-and-returned", test_return_value_set_and_returned);
  g_test_add_func ("/Agen/Generator/return-value/last-set-wins", test_return_value_last_set_wins);
  g_test_add_func ("/Agen/Generator/return-value/none-when-unset", test_return_value_none_when_unset);
  g_test_add_func ("/Agen/Generator/return-value/not-after-raise", test_return_value_not_after_raise);
  g_test_add_func ("/Agen/Generator/return-value/not-before-closed", test_return_value_not_before_closed);
  g_test_add_func ("/Agen/Generator/return-value/after-catching-exit", test_return_value_after_catching_exit);
  g_test_add_func ("/Agen/Generator/return-value/after-catching-throw", test_return_value_after_catching_throw);
  g_test_add_func ("/Agen/Generator/return-value/stays-readable", test_return_value_stays_readable);
  g_test_add_func ("/Agen/Generator/return-value/not-when-closed-before-start", test_return_value_not_when_closed_before_start);

  g_test_add_func ("/Agen/Generator/destroy/finished", test_destroy_finished);
  g_test_add_func ("/Agen/Generator/destroy/raised", test_destroy_raised);
  g_test_add_func ("/Agen/Generator/destroy/closed-before-start", test_destroy_closed_before_start);
  g_test_add_func ("/Agen/Generator/destroy/thrown-before-start", test_destroy_thrown_before_start);
  g_test_add_func ("/Agen/Generator/destroy/closed-while-suspended", test_destroy_closed_while_suspended);
  g_test_add_func ("/Agen/Generator/destroy/finalized-never-started", test_destroy_finalized_never_started);
  g_test_add_func ("/Agen/Generator/destroy/null-notify", test_destroy_null_notify);

  g_test_add_func ("/Agen/Generator/callback/never-synchronous", test_callback_never_synchronous);
  g_test_add_func ("/Agen/Generator/callback/caller-context", test_callback_caller_context);
  g_test_add_func ("/Agen/Generator/callback/first-op-sets-owner", test_callback_first_op_sets_owner);

  g_test_add_func ("/Agen/Generator/properties/through-gobject", test_properties_through_gobject);
  g_test_add_func ("/Agen/Generator/finish/twice", test_finish_twice);
  g_test_add_func ("/Agen/Generator/finish/error-already-set", test_finish_error_already_set);

  g_test_add_func ("/Agen/Generator/reentrant/async-is-running", test_reentrant_async_is_running);
  g_test_add_func ("/Agen/Generator/reentrant/blocking-is-running", test_reentrant_blocking_is_running);

  g_test_add_func ("/Agen/Generator/properties/state", test_properties_state);
  g_test_add_func ("/Agen/Generator/properties/running", test_properties_running);
  g_test_add_func ("/Agen/Generator/properties/notify", test_properties_notify);
  g_test_add_func ("/Agen/Generator/properties/name", test_properties_name);
  g_test_add_func ("/Agen/Generator/properties/stack-size", test_properties_stack_size);
  g_test_add_func ("/Agen/Generator/properties/context", test_properties_context);

  g_test_add_func ("/Agen/Generator/values/ten-thousand-in-order", test_values_ten_thousand_in_order);
  g_test_add_func ("/Agen/Generator/values/blocking-in-order", test_values_blocking_in_order);

  g_test_add_func ("/Agen/Generator/none/yielded", test_none_yielded);
  g_test_add_func ("/Agen/Generator/none/finished-and-failed", test_none_finished_and_failed);
  g_test_add_func ("/Agen/Generator/none/send-pointer-null-is-next", test_none_send_pointer_null_is_next);
  g_test_add_func ("/Agen/Generator/none/value-may-be-null", test_none_value_may_be_null);

  g_test_add_func ("/Agen/Generator/blocking/next-iterates-context", test_blocking_next_iterates_context);
  g_test_add_func ("/Agen/Generator/blocking/send", test_blocking_send);
  g_test_add_func ("/Agen/Generator/blocking/throw", test_blocking_throw);
  g_test_add_func ("/Agen/Generator/blocking/close-cleanup-awaits", test_blocking_close_cleanup_awaits);
  g_test_add_func ("/Agen/Generator/blocking/inside-other-body", test_blocking_inside_other_body);

  return g_test_run ();
}
