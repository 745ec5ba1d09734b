/* test-hooks.c — per-main-context generator hooks (first_iter, finalizer),
 * the default finalizer, and shutdown (docs/semantics.md, "Owner, hooks,
 * finalization and shutdown")
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include <agen.h>

#include "agen-test-util.h"

/* Most tests run on a fresh GMainContext pushed as the thread-default one
 * (the fixture): hooks and the shut-down mark are per context, so the
 * global default context stays untouched for the other tests. Tests about
 * the global default context restore its hooks before they return. */

typedef struct
{
  GMainContext *context;
} Fixture;

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  fixture->context = g_main_context_new ();
  g_main_context_push_thread_default (fixture->context);
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  agen_set_generator_hooks (fixture->context, NULL, NULL, NULL, NULL);

  /* Let deferred work (notifications, releases) run. */
  while (g_main_context_iteration (fixture->context, FALSE))
    ;

  g_main_context_pop_thread_default (fixture->context);
  g_main_context_unref (fixture->context);
}

/* The context the calling code runs under, the global default resolved. */
static GMainContext *
current_context (void)
{
  GMainContext *context = g_main_context_get_thread_default ();

  return context != NULL ? context : g_main_context_default ();
}

/* Iterates the thread-default context for ms without waiting for anything
 * in particular. */
static void
spin_for (guint ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) ms * 1000;

  while (g_get_monotonic_time () < end)
    {
      if (!g_main_context_iteration (g_main_context_get_thread_default (), FALSE))
        g_usleep (1000);
    }
}

/* Iterates the thread-default context until *finalized is set (see
 * agen_test_watch_finalize()), or fails after timeout_ms. */
static void
spin_until_finalized (gint  *finalized,
                      guint  timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  while (!g_atomic_int_get (finalized))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("a generator was not finalized within %u ms", timeout_ms);
      if (!g_main_context_iteration (g_main_context_get_thread_default (), FALSE))
        g_usleep (1000);
    }
}

/* A body ------------------------------------------------------------------
 *
 * body_func yields 0, 1, 2, … (forever, or limit values and returns TRUE).
 * On AGEN_ERROR_EXIT it counts a cleanup, optionally awaits sleep_ms, and
 * then does what mode says. It asserts that it always runs on the context
 * that owns it (context, when set).
 */

typedef enum
{
  CLEANUP_PROPAGATE,    /* return FALSE + EXIT: a clean close */
  CLEANUP_RAISE,        /* return FALSE + AGEN_TEST_ERROR_BOOM */
  CLEANUP_YIELD_AGAIN,  /* yield once more: IGNORED_EXIT */
} CleanupMode;

typedef struct _Hooks Hooks;

typedef struct
{
  guint          limit;
  CleanupMode    mode;
  guint          sleep_ms;
  GMainContext  *context;       /* the expected owner, or NULL: unchecked */
  Hooks         *hooks;         /* to check that first_iter ran first */

  guint          started;
  guint          first_iter_calls_at_start;
  guint          yields;
  guint          cleanups;
  gboolean       cleanup_done;
  guint          resumed_after_ignoring;
  guint          destroyed;
  AgenGenerator *gen;           /* borrowed, for comparisons */
  gint           finalized;
} Body;

struct _Hooks
{
  GMainContext      *context;     /* where the hooks are set */
  enum { FINALIZER_CLOSE, FINALIZER_KEEP, FINALIZER_DROP } finalizer_mode;

  guint              first_iter_calls;
  AgenGenerator     *first_iter_generator;
  AgenGeneratorState first_iter_state;
  GMainContext      *first_iter_owner;
  GThread           *first_iter_thread;
  gboolean           first_iter_closes;  /* the hook closes the generator */

  gboolean           in_unref;     /* set by the test around its unref */
  guint              finalizer_calls;
  AgenGenerator     *finalizer_generator;
  AgenGeneratorState finalizer_state;
  gboolean           finalizer_during_unref;
  gboolean           finalizer_on_owner;
  GThread           *finalizer_thread;
  AgenGenerator     *kept;         /* FINALIZER_KEEP: the reference */

  guint              closes_done;
  gboolean           close_ok;

  guint              destroyed;
};

static void
body_destroy (gpointer user_data)
{
  Body *body = user_data;

  body->destroyed++;
}

static void
body_check_context (Body *body)
{
  if (body->context != NULL)
    g_assert_true (current_context () == body->context);
}

static gboolean
body_func (AgenGenerator  *self,
           gpointer        user_data,
           GError        **error)
{
  Body *body = user_data;
  guint i;

  body->started++;
  if (body->hooks != NULL)
    body->first_iter_calls_at_start = body->hooks->first_iter_calls;
  body_check_context (body);

  for (i = 0; body->limit == 0 || i < body->limit; i++)
    {
      g_autoptr(GError) local = NULL;

      body->yields++;
      if (agen_test_yield_int (self, (gint) i, NULL, &local))
        continue;

      if (!g_error_matches (local, AGEN_ERROR, AGEN_ERROR_EXIT))
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }

      /* Cleanup */
      body->cleanups++;
      body_check_context (body);
      if (body->sleep_ms > 0 && !agen_test_sleep (self, body->sleep_ms, NULL, error))
        return FALSE;

      switch (body->mode)
        {
        case CLEANUP_PROPAGATE:
          body->cleanup_done = TRUE;
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;

        case CLEANUP_RAISE:
          body->cleanup_done = TRUE;
          g_set_error (error, AGEN_TEST_ERROR, AGEN_TEST_ERROR_BOOM, "cleanup failed");
          return FALSE;

        case CLEANUP_YIELD_AGAIN:
        default:
          {
            g_autoptr(GError) again = NULL;

            body->cleanup_done = TRUE;
            /* Nothing on the heap across this yield: the fiber is freed
             * without unwinding when the generator is destroyed. */
            g_clear_error (&local);
            /* Ignores the exit; should never be resumed again */
            agen_test_yield_int (self, -1, NULL, &again);
            body->resumed_after_ignoring++;
            if (again != NULL)
              {
                g_propagate_error (error, g_steal_pointer (&again));
                return FALSE;
              }
            return TRUE;
          }
        }
    }

  return TRUE;
}

static AgenGenerator *
body_new (Body       *body,
          const char *name)
{
  AgenGenerator *gen = agen_generator_new (body_func, body, body_destroy);

  if (name != NULL)
    agen_generator_set_name (gen, name);
  body->gen = gen;
  agen_test_watch_finalize (gen, &body->finalized);

  return gen;
}

/* Starts gen and leaves it SUSPENDED at its first yield (value 0). */
static void
body_start (AgenGenerator *gen)
{
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;

  g_assert_true (agen_test_next (gen, NULL, &r));
  agen_test_assert_yielded_int (&r, 0);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_SUSPENDED);
}

/* Hooks ------------------------------------------------------------------- */

static void
hooks_destroy (gpointer user_data)
{
  Hooks *hooks = user_data;

  hooks->destroyed++;
}

static void
first_iter_hook (AgenGenerator *generator,
                 gpointer       user_data)
{
  Hooks *hooks = user_data;

  g_assert_true (AGEN_IS_GENERATOR (generator));
  hooks->first_iter_calls++;
  hooks->first_iter_generator = generator;
  hooks->first_iter_state = agen_generator_get_state (generator);
  hooks->first_iter_owner = agen_generator_get_context (generator);
  hooks->first_iter_thread = g_thread_self ();

  if (hooks->first_iter_closes)
    {
      g_autoptr(GError) error = NULL;

      g_assert_true (agen_generator_close (generator, NULL, &error));
      g_assert_no_error (error);
    }
}

static void
finalizer_close_cb (GObject      *source,
                    GAsyncResult *res,
                    gpointer      user_data)
{
  Hooks *hooks = user_data;
  g_autoptr(GError) error = NULL;

  hooks->close_ok = agen_generator_close_finish (AGEN_GENERATOR (source), res, &error);
  g_assert_no_error (error);
  hooks->closes_done++;

  /* The reference the finalizer received */
  g_object_unref (source);
}

static void
finalizer_hook (AgenGenerator *generator,
                gpointer       user_data)
{
  Hooks *hooks = user_data;

  g_assert_true (AGEN_IS_GENERATOR (generator));
  hooks->finalizer_calls++;
  hooks->finalizer_generator = generator;
  hooks->finalizer_state = agen_generator_get_state (generator);
  hooks->finalizer_during_unref = hooks->in_unref;
  hooks->finalizer_on_owner =
    agen_generator_get_context (generator) != NULL &&
    g_main_context_is_owner (agen_generator_get_context (generator));
  hooks->finalizer_thread = g_thread_self ();

  switch (hooks->finalizer_mode)
    {
    case FINALIZER_CLOSE:
      agen_generator_close_async (generator, NULL, finalizer_close_cb, hooks);
      break;

    case FINALIZER_KEEP:
      g_assert_null (hooks->kept);
      hooks->kept = generator;
      break;

    case FINALIZER_DROP:
    default:
      g_object_unref (generator);
      break;
    }
}

static void
hooks_set (Hooks        *hooks,
           GMainContext *context,
           gboolean      with_first_iter,
           gboolean      with_finalizer)
{
  hooks->context = context;
  agen_set_generator_hooks (context,
                            with_first_iter ? first_iter_hook : NULL,
                            with_finalizer ? finalizer_hook : NULL,
                            hooks, hooks_destroy);
}

/* Clears the hooks of hooks->context and waits until their user_data is
 * destroyed: every test clears its hooks (on its stack) before returning,
 * once no generator holds them. */
static void
hooks_unset (Hooks *hooks)
{
  agen_set_generator_hooks (hooks->context, NULL, NULL, NULL, NULL);
  agen_test_spin_until_count (&hooks->destroyed, 1, 5000);
  g_assert_cmpuint (hooks->destroyed, ==, 1);
}

/* Drops the test's (last) reference to gen, noting that it happens. */
static void
drop (Hooks         *hooks,
      AgenGenerator *gen)
{
  if (hooks != NULL)
    hooks->in_unref = TRUE;
  g_object_unref (gen);
  if (hooks != NULL)
    hooks->in_unref = FALSE;
}

/* first_iter ---------------------------------------------------------------- */

static void
test_first_iter_once_before_body (Fixture       *fixture,
                                  gconstpointer  data)
{
  Hooks hooks = { 0, };
  Body body = { 0, };
  g_autoptr(AgenGenerator) gen = NULL;
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;

  g_test_summary ("first_iter is called synchronously, once, at the first "
                  "op, with the generator, before the body runs, on the "
                  "context that becomes its owner");

  hooks_set (&hooks, fixture->context, TRUE, TRUE);
  body.hooks = &hooks;
  body.context = fixture->context;
  gen = body_new (&body, "first-iter");

  g_assert_null (agen_generator_get_context (gen));
  g_assert_cmpuint (hooks.first_iter_calls, ==, 0);

  agen_generator_next_async (gen, NULL, agen_test_next_cb, &r);
  /* Synchronously, inside the call */
  g_assert_cmpuint (hooks.first_iter_calls, ==, 1);
  g_assert_false (r.done);
  agen_test_spin_until (&r.done, 5000);
  agen_test_assert_yielded_int (&r, 0);

  g_assert_true (hooks.first_iter_generator == gen);
  g_assert_cmpint (hooks.first_iter_state, ==, AGEN_GENERATOR_STATE_CREATED);
  g_assert_true (hooks.first_iter_owner == fixture->context);
  g_assert_true (hooks.first_iter_thread == g_thread_self ());
  g_assert_true (agen_generator_get_context (gen) == fixture->context);
  /* The body saw the hook already called */
  g_assert_cmpuint (body.started, ==, 1);
  g_assert_cmpuint (body.first_iter_calls_at_start, ==, 1);

  /* Never again */
  g_assert_true (agen_test_next (gen, NULL, &r));
  agen_test_assert_yielded_int (&r, 1);
  g_assert_true (agen_test_close (gen, NULL, &r));
  g_assert_true (agen_test_close (gen, NULL, &r));
  agen_test_next (gen, NULL, &r);
  agen_test_assert_finished (&r);
  g_assert_cmpuint (hooks.first_iter_calls, ==, 1);
  g_assert_cmpuint (hooks.finalizer_calls, ==, 0);

  g_clear_object (&gen);
  hooks_unset (&hooks);
}

static void
test_first_iter_blocking (Fixture       *fixture,
                          gconstpointer  data)
{
  Hooks hooks = { 0, };
  Body body = { 0, };
  g_autoptr(AgenGenerator) gen = NULL;
  g_auto(GValue) v = G_VALUE_INIT;
  g_autoptr(GError) error = NULL;

  g_test_summary ("first_iter is called once for a first op made with the "
                  "blocking form, before the body runs");

  hooks_set (&hooks, fixture->context, TRUE, FALSE);
  body.hooks = &hooks;
  body.context = fixture->context;
  gen = body_new (&body, NULL);

  g_assert_true (agen_generator_next (gen, NULL, &v, &error));
  g_assert_no_error (error);
  agen_test_assert_int (&v, 0);
  g_assert_cmpuint (hooks.first_iter_calls, ==, 1);
  g_assert_cmpuint (body.first_iter_calls_at_start, ==, 1);
  g_assert_true (hooks.first_iter_owner == fixture->context);

  g_assert_true (agen_generator_close (gen, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (hooks.first_iter_calls, ==, 1);

  g_clear_object (&gen);
  hooks_unset (&hooks);
}

static void
test_first_iter_closes (Fixture       *fixture,
                        gconstpointer  data)
{
  Hooks hooks = { 0, };
  Body body = { 0, };
  g_autoptr(AgenGenerator) gen = NULL;
  g_auto(GValue) v = G_VALUE_INIT;
  g_autoptr(GError) error = NULL;

  g_test_summary ("a first_iter hook that closes the generator: the blocking "
                  "next that started it finds it closed (finished, the body "
                  "never runs)");

  hooks_set (&hooks, fixture->context, TRUE, FALSE);
  hooks.first_iter_closes = TRUE;
  body.hooks = &hooks;
  body.context = fixture->context;
  gen = body_new (&body, NULL);

  g_assert_false (agen_generator_next (gen, NULL, &v, &error));
  g_assert_no_error (error);
  agen_test_assert_none (&v);
  g_assert_cmpuint (hooks.first_iter_calls, ==, 1);
  g_assert_cmpuint (body.started, ==, 0);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_CLOSED);

  g_clear_object (&gen);
  hooks_unset (&hooks);
}

typedef enum
{
  FRESH_CLOSE,
  FRESH_THROW,
  FRESH_SEND_VALUE,
} FreshOp;

static void
test_first_iter_fresh_op (Fixture       *fixture,
                          gconstpointer  data)
{
  FreshOp fresh = GPOINTER_TO_INT (data);
  Hooks hooks = { 0, };
  Body body = { 0, };
  g_autoptr(AgenGenerator) gen = NULL;
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;

  g_test_summary ("first_iter is also called, once, for a close or a throw "
                  "on a fresh generator and for a refused send(v), with the "
                  "generator still CREATED; the body never runs for it");

  hooks_set (&hooks, fixture->context, TRUE, TRUE);
  body.hooks = &hooks;
  gen = body_new (&body, NULL);

  switch (fresh)
    {
    case FRESH_CLOSE:
      agen_generator_close_async (gen, NULL, agen_test_close_cb, &r);
      break;

    case FRESH_THROW:
      {
        g_autoptr(GError) boom = g_error_new (AGEN_TEST_ERROR, AGEN_TEST_ERROR_BOOM, "boom");

        agen_generator_throw_async (gen, boom, NULL, agen_test_throw_cb, &r);
      }
      break;

    case FRESH_SEND_VALUE:
    default:
      {
        g_auto(GValue) v = G_VALUE_INIT;

        agen_generator_send_async (gen, agen_test_value_int (&v, 5), NULL,
                                   agen_test_send_cb, &r);
      }
      break;
    }

  g_assert_cmpuint (hooks.first_iter_calls, ==, 1);
  g_assert_true (hooks.first_iter_generator == gen);
  g_assert_cmpint (hooks.first_iter_state, ==, AGEN_GENERATOR_STATE_CREATED);
  g_assert_true (hooks.first_iter_owner == fixture->context);
  g_assert_false (r.done);
  agen_test_spin_until (&r.done, 5000);
  g_assert_true (agen_generator_get_context (gen) == fixture->context);

  switch (fresh)
    {
    case FRESH_CLOSE:
      g_assert_no_error (r.error);
      g_assert_true (r.ok);
      g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_CLOSED);
      break;

    case FRESH_THROW:
      agen_test_assert_failed (&r, AGEN_TEST_ERROR, AGEN_TEST_ERROR_BOOM);
      g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_CLOSED);
      break;

    case FRESH_SEND_VALUE:
    default:
      agen_test_assert_failed (&r, AGEN_ERROR, AGEN_ERROR_NOT_STARTED);
      g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_CREATED);
      /* Still startable; the hook is not called again */
      g_assert_true (agen_test_next (gen, NULL, &r));
      agen_test_assert_yielded_int (&r, 0);
      g_assert_true (agen_test_close (gen, NULL, &r));
      break;
    }

  g_assert_cmpuint (hooks.first_iter_calls, ==, 1);
  g_assert_cmpuint (body.started, ==, fresh == FRESH_SEND_VALUE ? 1 : 0);
  g_assert_cmpuint (hooks.finalizer_calls, ==, 0);

  g_clear_object (&gen);
  hooks_unset (&hooks);
}

static void
test_first_iter_not_when_cancelled (Fixture       *fixture,
                                    gconstpointer  data)
{
  Hooks hooks = { 0, };
  Body body = { 0, };
  g_autoptr(AgenGenerator) gen = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;
  g_auto(GValue) v = G_VALUE_INIT;
  g_autoptr(GError) boom = g_error_new (AGEN_TEST_ERROR, AGEN_TEST_ERROR_BOOM, "boom");

  g_test_summary ("an op refused because its cancellable was already "
                  "cancelled is not a first op: no first_iter, no owner; "
                  "the next real op is");

  hooks_set (&hooks, fixture->context, TRUE, TRUE);
  body.hooks = &hooks;
  gen = body_new (&body, NULL);
  g_cancellable_cancel (cancellable);

  agen_test_next (gen, cancellable, &r);
  agen_test_assert_failed (&r, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  agen_test_send (gen, agen_test_value_int (&v, 1), cancellable, &r);
  agen_test_assert_failed (&r, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  agen_test_throw (gen, boom, cancellable, &r);
  agen_test_assert_failed (&r, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  agen_test_close (gen, cancellable, &r);
  g_assert_error (r.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_false (r.ok);

  g_assert_cmpuint (hooks.first_iter_calls, ==, 0);
  g_assert_null (agen_generator_get_context (gen));
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_CREATED);
  g_assert_cmpuint (body.started, ==, 0);

  g_assert_true (agen_test_next (gen, NULL, &r));
  agen_test_assert_yielded_int (&r, 0);
  g_assert_cmpuint (hooks.first_iter_calls, ==, 1);
  g_assert_cmpuint (body.first_iter_calls_at_start, ==, 1);
  g_assert_true (agen_generator_get_context (gen) == fixture->context);

  g_assert_true (agen_test_close (gen, NULL, &r));

  g_clear_object (&gen);
  hooks_unset (&hooks);
}

/* finalizer ------------------------------------------------------------------ */

static void
test_finalizer_closes (Fixture       *fixture,
                       gconstpointer  data)
{
  Hooks hooks = { 0, };
  Body body = { 0, };
  AgenGenerator *gen;

  g_test_summary ("the finalizer hook receives a SUSPENDED generator whose "
                  "last reference was dropped, dispatched on the owner "
                  "context and not inside the unref, with a reference it "
                  "owns: it closes the generator, the cleanup runs, and "
                  "dropping that reference destroys it");

  hooks.finalizer_mode = FINALIZER_CLOSE;
  hooks_set (&hooks, fixture->context, TRUE, TRUE);
  body.context = fixture->context;
  gen = body_new (&body, "finalized");
  body_start (gen);

  drop (&hooks, gen);
  /* Not synchronously inside the unref */
  g_assert_cmpuint (hooks.finalizer_calls, ==, 0);
  g_assert_false (body.finalized);
  g_assert_cmpuint (body.cleanups, ==, 0);

  agen_test_spin_until_count (&hooks.finalizer_calls, 1, 5000);
  g_assert_false (hooks.finalizer_during_unref);
  g_assert_true (hooks.finalizer_generator == body.gen);
  g_assert_cmpint (hooks.finalizer_state, ==, AGEN_GENERATOR_STATE_SUSPENDED);
  g_assert_true (hooks.finalizer_on_owner);
  g_assert_true (hooks.finalizer_thread == g_thread_self ());

  agen_test_spin_until_count (&hooks.closes_done, 1, 5000);
  g_assert_true (hooks.close_ok);
  g_assert_cmpuint (body.cleanups, ==, 1);
  g_assert_true (body.cleanup_done);

  spin_until_finalized (&body.finalized, 5000);
  g_assert_cmpuint (body.destroyed, ==, 1);
  g_assert_cmpuint (hooks.finalizer_calls, ==, 1);
  g_assert_cmpuint (hooks.first_iter_calls, ==, 1);

  hooks_unset (&hooks);
}

static void
test_finalizer_owns_reference (Fixture       *fixture,
                               gconstpointer  data)
{
  Hooks hooks = { 0, };
  Body body = { 0, };
  AgenGenerator *gen;
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;

  g_test_summary ("the finalizer's reference is transfer full: a hook that "
                  "keeps it keeps the generator alive and SUSPENDED, usable, "
                  "until the hook's owner closes it and drops it");

  hooks.finalizer_mode = FINALIZER_KEEP;
  hooks_set (&hooks, fixture->context, FALSE, TRUE);
  gen = body_new (&body, NULL);
  body_start (gen);
  drop (&hooks, gen);

  agen_test_spin_until_count (&hooks.finalizer_calls, 1, 5000);
  g_assert_true (hooks.kept == gen);
  spin_for (50);
  g_assert_false (body.finalized);
  g_assert_cmpint (agen_generator_get_state (hooks.kept), ==, AGEN_GENERATOR_STATE_SUSPENDED);
  g_assert_cmpuint (body.cleanups, ==, 0);
  g_assert_cmpuint (body.destroyed, ==, 0);

  /* Still a working generator */
  g_assert_true (agen_test_next (hooks.kept, NULL, &r));
  agen_test_assert_yielded_int (&r, 1);
  g_assert_true (agen_test_close (hooks.kept, NULL, &r));
  g_assert_cmpuint (body.cleanups, ==, 1);

  g_object_unref (g_steal_pointer (&hooks.kept));
  spin_until_finalized (&body.finalized, 5000);
  g_assert_cmpuint (body.destroyed, ==, 1);
  /* Finalized at most once */
  g_assert_cmpuint (hooks.finalizer_calls, ==, 1);

  hooks_unset (&hooks);
}

static void
test_finalizer_drops_unclosed (Fixture       *fixture,
                               gconstpointer  data)
{
  Hooks hooks = { 0, };
  Body body = { 0, };
  AgenGenerator *gen;

  g_test_summary ("a finalizer that drops its reference without closing "
                  "destroys the generator uncleaned, with a warning naming it; "
                  "the finalizer is not called again");

  hooks.finalizer_mode = FINALIZER_DROP;
  hooks_set (&hooks, fixture->context, FALSE, TRUE);
  gen = body_new (&body, "dropped-unclosed");
  body_start (gen);

  g_test_expect_message ("Agen", G_LOG_LEVEL_WARNING, "*dropped-unclosed*");
  drop (&hooks, gen);
  spin_until_finalized (&body.finalized, 5000);
  g_test_assert_expected_messages ();

  g_assert_cmpuint (hooks.finalizer_calls, ==, 1);
  g_assert_cmpuint (body.cleanups, ==, 0);
  g_assert_cmpuint (body.destroyed, ==, 1);

  hooks_unset (&hooks);
}

static void
test_finalizer_captured_at_first_op (Fixture       *fixture,
                                     gconstpointer  data)
{
  Hooks a = { 0, };
  Hooks b = { 0, };
  Body body1 = { 0, };
  Body body2 = { 0, };
  Body body3 = { 0, };
  AgenGenerator *gen1, *gen2, *gen3;

  g_test_summary ("a generator keeps the finalizer current at its first op: "
                  "changing or clearing the hooks afterwards doesn't affect "
                  "it, and the old hooks' user_data lives until it is gone");

  a.finalizer_mode = FINALIZER_CLOSE;
  b.finalizer_mode = FINALIZER_CLOSE;

  /* gen3: started with no hooks at all: the default finalizer */
  gen3 = body_new (&body3, NULL);
  body_start (gen3);

  /* gen1: started under a */
  hooks_set (&a, fixture->context, FALSE, TRUE);
  gen1 = body_new (&body1, NULL);
  body_start (gen1);

  /* gen2: started under b */
  hooks_set (&b, fixture->context, FALSE, TRUE);
  gen2 = body_new (&body2, NULL);
  body_start (gen2);

  /* The hooks are cleared; a is still held by gen1 */
  agen_set_generator_hooks (fixture->context, NULL, NULL, NULL, NULL);
  spin_for (10);
  g_assert_cmpuint (a.destroyed, ==, 0);

  drop (&a, gen1);
  agen_test_spin_until_count (&a.closes_done, 1, 5000);
  g_assert_cmpuint (a.finalizer_calls, ==, 1);
  g_assert_cmpuint (b.finalizer_calls, ==, 0);
  g_assert_cmpuint (body1.cleanups, ==, 1);
  spin_until_finalized (&body1.finalized, 5000);
  g_assert_cmpuint (body1.destroyed, ==, 1);
  /* Nobody holds a now */
  agen_test_spin_until_count (&a.destroyed, 1, 5000);

  drop (&b, gen2);
  agen_test_spin_until_count (&b.closes_done, 1, 5000);
  g_assert_cmpuint (b.finalizer_calls, ==, 1);
  g_assert_cmpuint (a.finalizer_calls, ==, 1);
  g_assert_cmpuint (body2.cleanups, ==, 1);
  spin_until_finalized (&body2.finalized, 5000);
  agen_test_spin_until_count (&b.destroyed, 1, 5000);

  /* gen3: hooks set after its first op don't apply */
  hooks_set (&b, fixture->context, FALSE, TRUE);
  b.destroyed = 0;
  drop (&b, gen3);
  agen_test_spin_until (&body3.cleanup_done, 5000);
  spin_until_finalized (&body3.finalized, 5000);
  g_assert_cmpuint (body3.cleanups, ==, 1);
  g_assert_cmpuint (body3.destroyed, ==, 1);
  g_assert_cmpuint (a.finalizer_calls, ==, 1);
  g_assert_cmpuint (b.finalizer_calls, ==, 1);

  spin_for (10);
  g_assert_cmpuint (a.destroyed, ==, 1);
  g_assert_cmpuint (b.destroyed, ==, 0);
  agen_set_generator_hooks (fixture->context, NULL, NULL, NULL, NULL);
  agen_test_spin_until_count (&b.destroyed, 1, 5000);
  spin_for (10);
  g_assert_cmpuint (b.destroyed, ==, 1);
}

static void
test_first_iter_only_default_finalizer (Fixture       *fixture,
                                        gconstpointer  data)
{
  Hooks hooks = { 0, };
  Body body = { 0, };
  AgenGenerator *gen;

  g_test_summary ("hooks with a first_iter and no finalizer: a generator "
                  "dropped while SUSPENDED gets the default finalizer");

  hooks_set (&hooks, fixture->context, TRUE, FALSE);
  gen = body_new (&body, NULL);
  body_start (gen);
  g_assert_cmpuint (hooks.first_iter_calls, ==, 1);

  drop (&hooks, gen);
  g_assert_cmpuint (body.cleanups, ==, 0);
  agen_test_spin_until (&body.cleanup_done, 5000);
  spin_until_finalized (&body.finalized, 5000);
  g_assert_cmpuint (body.cleanups, ==, 1);
  g_assert_cmpuint (body.destroyed, ==, 1);

  hooks_unset (&hooks);
}

static void
test_created_dropped_no_hook (Fixture       *fixture,
                              gconstpointer  data)
{
  Hooks hooks = { 0, };
  Body body = { 0, };
  AgenGenerator *gen;

  g_test_summary ("a CREATED generator dropped: no hook runs and it is "
                  "destroyed at once; its body never runs");

  hooks.finalizer_mode = FINALIZER_CLOSE;
  hooks_set (&hooks, fixture->context, TRUE, TRUE);
  gen = body_new (&body, NULL);

  drop (&hooks, gen);
  g_assert_true (body.finalized);
  g_assert_cmpuint (body.destroyed, ==, 1);
  spin_for (20);
  g_assert_cmpuint (hooks.first_iter_calls, ==, 0);
  g_assert_cmpuint (hooks.finalizer_calls, ==, 0);
  g_assert_cmpuint (body.started, ==, 0);

  hooks_unset (&hooks);
}

typedef enum
{
  CLOSED_BY_RETURN,
  CLOSED_BY_CLOSE,
  CLOSED_BEFORE_START,
  CLOSED_BY_RAISE,
} ClosedHow;

static void
test_closed_dropped_no_hook (Fixture       *fixture,
                             gconstpointer  data)
{
  ClosedHow how = GPOINTER_TO_INT (data);
  Hooks hooks = { 0, };
  Body body = { 0, };
  AgenGenerator *gen;
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;

  g_test_summary ("a CLOSED generator dropped (returned, closed, closed "
                  "before start, raised): no finalizer, destroyed at once");

  hooks.finalizer_mode = FINALIZER_CLOSE;
  hooks_set (&hooks, fixture->context, TRUE, TRUE);
  body.limit = 1;
  gen = body_new (&body, NULL);

  switch (how)
    {
    case CLOSED_BY_RETURN:
      body_start (gen);
      agen_test_next (gen, NULL, &r);
      agen_test_assert_finished (&r);
      break;

    case CLOSED_BY_CLOSE:
      body_start (gen);
      g_assert_true (agen_test_close (gen, NULL, &r));
      g_assert_cmpuint (body.cleanups, ==, 1);
      break;

    case CLOSED_BEFORE_START:
      g_assert_true (agen_test_close (gen, NULL, &r));
      break;

    case CLOSED_BY_RAISE:
    default:
      {
        g_autoptr(GError) boom = g_error_new (AGEN_TEST_ERROR, AGEN_TEST_ERROR_BOOM, "boom");

        body_start (gen);
        agen_test_throw (gen, boom, NULL, &r);
        agen_test_assert_failed (&r, AGEN_TEST_ERROR, AGEN_TEST_ERROR_BOOM);
      }
      break;
    }

  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_CLOSED);
  g_assert_cmpuint (hooks.first_iter_calls, ==, 1);

  drop (&hooks, gen);
  g_assert_true (body.finalized);
  g_assert_cmpuint (body.destroyed, ==, 1);
  spin_for (20);
  g_assert_cmpuint (hooks.finalizer_calls, ==, 0);

  hooks_unset (&hooks);
}

/* Per context ------------------------------------------------------------- */

static void
test_hooks_per_context (Fixture       *fixture,
                        gconstpointer  data)
{
  Hooks custom = { 0, };
  Hooks global = { 0, };
  Body body1 = { 0, };
  Body body2 = { 0, };
  AgenGenerator *gen;

  g_test_summary ("hooks are per context: hooks on a custom context don't "
                  "fire for generators owned by the global default context, "
                  "and the other way round");

  custom.finalizer_mode = FINALIZER_CLOSE;
  global.finalizer_mode = FINALIZER_CLOSE;
  hooks_set (&custom, fixture->context, TRUE, TRUE);

  /* Owned by the global default context */
  g_main_context_push_thread_default (NULL);
  body1.context = g_main_context_default ();
  gen = body_new (&body1, NULL);
  body_start (gen);
  g_assert_true (agen_generator_get_context (gen) == g_main_context_default ());
  drop (&custom, gen);
  agen_test_spin_until (&body1.cleanup_done, 5000);
  spin_until_finalized (&body1.finalized, 5000);
  g_main_context_pop_thread_default (NULL);

  g_assert_cmpuint (custom.first_iter_calls, ==, 0);
  g_assert_cmpuint (custom.finalizer_calls, ==, 0);
  g_assert_cmpuint (body1.cleanups, ==, 1);
  g_assert_cmpuint (body1.destroyed, ==, 1);

  /* Owned by the custom context, hooks on the global default one */
  agen_set_generator_hooks (fixture->context, NULL, NULL, NULL, NULL);
  agen_test_spin_until_count (&custom.destroyed, 1, 5000);
  hooks_set (&global, NULL, TRUE, TRUE);

  body2.context = fixture->context;
  gen = body_new (&body2, NULL);
  body_start (gen);
  g_assert_true (agen_generator_get_context (gen) == fixture->context);
  drop (&global, gen);
  agen_test_spin_until (&body2.cleanup_done, 5000);
  spin_until_finalized (&body2.finalized, 5000);

  g_assert_cmpuint (global.first_iter_calls, ==, 0);
  g_assert_cmpuint (global.finalizer_calls, ==, 0);
  g_assert_cmpuint (body2.cleanups, ==, 1);
  g_assert_cmpuint (body2.destroyed, ==, 1);

  agen_set_generator_hooks (NULL, NULL, NULL, NULL, NULL);
  g_assert_cmpuint (global.destroyed, ==, 1);
}

static void
test_null_restores_default (void)
{
  Hooks hooks = { 0, };
  Body body = { 0, };
  AgenGenerator *gen;

  g_test_summary ("setting NULL, NULL on the global default context "
                  "restores the built-in default finalizer: a SUSPENDED "
                  "generator dropped is closed, its cleanup runs after the "
                  "context iterates, user_data destroyed once; the replaced "
                  "hooks' user_data is destroyed once");

  hooks.finalizer_mode = FINALIZER_KEEP;
  hooks_set (&hooks, NULL, TRUE, TRUE);
  agen_set_generator_hooks (NULL, NULL, NULL, NULL, NULL);
  agen_test_spin_until_count (&hooks.destroyed, 1, 5000);

  body.context = g_main_context_default ();
  gen = body_new (&body, NULL);
  body_start (gen);

  drop (NULL, gen);
  /* Not inside the unref */
  g_assert_cmpuint (body.cleanups, ==, 0);
  g_assert_cmpuint (body.destroyed, ==, 0);

  agen_test_spin_until (&body.cleanup_done, 5000);
  spin_until_finalized (&body.finalized, 5000);
  g_assert_cmpuint (body.cleanups, ==, 1);
  g_assert_cmpuint (body.destroyed, ==, 1);

  g_assert_cmpuint (hooks.first_iter_calls, ==, 0);
  g_assert_cmpuint (hooks.finalizer_calls, ==, 0);
  g_assert_cmpuint (hooks.destroyed, ==, 1);
}

static void
test_user_data_destroy_on_replace (Fixture       *fixture,
                                   gconstpointer  data)
{
  Hooks h1 = { 0, };
  Hooks h2 = { 0, };
  Hooks h3 = { 0, };
  Body body = { 0, };
  AgenGenerator *gen;
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;

  g_test_summary ("the hooks' user_data_destroy runs once when they are "
                  "replaced, once no generator holds them any more");

  hooks_set (&h1, fixture->context, TRUE, TRUE);
  hooks_set (&h2, fixture->context, TRUE, TRUE);
  agen_test_spin_until_count (&h1.destroyed, 1, 5000);
  g_assert_cmpuint (h2.destroyed, ==, 0);

  /* A generator started under h2 captures it */
  gen = body_new (&body, NULL);
  body_start (gen);
  g_assert_cmpuint (h2.first_iter_calls, ==, 1);

  hooks_set (&h3, fixture->context, TRUE, FALSE);
  spin_for (20);
  g_assert_cmpuint (h2.destroyed, ==, 0);

  /* Cleared: h3 had no generator */
  agen_set_generator_hooks (fixture->context, NULL, NULL, NULL, NULL);
  agen_test_spin_until_count (&h3.destroyed, 1, 5000);
  g_assert_cmpuint (h2.destroyed, ==, 0);

  g_assert_true (agen_test_close (gen, NULL, &r));
  g_object_unref (gen);
  spin_until_finalized (&body.finalized, 5000);
  agen_test_spin_until_count (&h2.destroyed, 1, 5000);

  spin_for (20);
  g_assert_cmpuint (h1.destroyed, ==, 1);
  g_assert_cmpuint (h2.destroyed, ==, 1);
  g_assert_cmpuint (h3.destroyed, ==, 1);
  g_assert_cmpuint (h2.finalizer_calls, ==, 0);
}

/* The default finalizer's failures ----------------------------------------- */

static void
test_default_finalizer_cleanup_raises (Fixture       *fixture,
                                       gconstpointer  data)
{
  Body body = { 0, };
  AgenGenerator *gen;

  g_test_summary ("the default finalizer closing a body whose cleanup "
                  "raises logs a warning naming the generator");

  body.mode = CLEANUP_RAISE;
  gen = body_new (&body, "raising-cleanup");
  body_start (gen);

  g_test_expect_message ("Agen", G_LOG_LEVEL_WARNING, "*raising-cleanup*");
  g_object_unref (gen);
  agen_test_spin_until (&body.cleanup_done, 5000);
  spin_until_finalized (&body.finalized, 5000);
  g_test_assert_expected_messages ();

  g_assert_cmpuint (body.cleanups, ==, 1);
  g_assert_cmpuint (body.destroyed, ==, 1);
}

static void
test_default_finalizer_ignored_exit (Fixture       *fixture,
                                     gconstpointer  data)
{
  Body body = { 0, };
  AgenGenerator *gen;
  g_autoptr(AgenTestWarnings) warnings = NULL;

  g_test_summary ("a body that ignores the exit (yields again in cleanup) "
                  "when dropped: warning(s) naming it, the close is not "
                  "retried, and the generator is destroyed");

  body.mode = CLEANUP_YIELD_AGAIN;
  gen = body_new (&body, "ignores-exit");
  body_start (gen);

  warnings = agen_test_warnings_catch ("Agen");
  g_object_unref (gen);
  agen_test_spin_until (&body.cleanup_done, 5000);
  spin_until_finalized (&body.finalized, 5000);
  spin_for (50);

  g_assert_cmpuint (agen_test_warnings_total (warnings), >=, 1);
  g_assert_cmpuint (agen_test_warnings_count (warnings, "*ignores-exit*"), ==,
                    agen_test_warnings_total (warnings));
  g_clear_pointer (&warnings, agen_test_warnings_free);

  g_assert_cmpuint (body.cleanups, ==, 1);
  g_assert_cmpuint (body.resumed_after_ignoring, ==, 0);
  g_assert_cmpuint (body.destroyed, ==, 1);
}

/* Shutdown ------------------------------------------------------------------ */

typedef struct
{
  gboolean      done;
  gboolean      ok;
  GError       *error;
  GThread      *thread;
  GMainContext *context;
  /* Checked when the callback runs */
  Body         *bodies;
  guint         n_bodies;
  guint         cleanups_done_at_callback;
} Shutdown;

static void
shutdown_clear (Shutdown *shutdown)
{
  g_clear_error (&shutdown->error);
}

static void
shutdown_cb (GObject      *source,
             GAsyncResult *res,
             gpointer      user_data)
{
  Shutdown *shutdown = user_data;

  g_assert_false (shutdown->done);
  shutdown->ok = agen_shutdown_generators_finish (res, &shutdown->error);
  shutdown->thread = g_thread_self ();
  shutdown->context = current_context ();
  for (guint i = 0; i < shutdown->n_bodies; i++)
    {
      if (shutdown->bodies[i].cleanup_done)
        shutdown->cleanups_done_at_callback++;
    }
  shutdown->done = TRUE;
}

/* Runs a shutdown of context and waits for its callback. */
static void
shutdown_run (GMainContext *context,
              GCancellable *cancellable,
              Shutdown     *shutdown)
{
  agen_shutdown_generators_async (context, cancellable, shutdown_cb, shutdown);
  g_assert_false (shutdown->done);
  agen_test_spin_until (&shutdown->done, 30000);
}

static void
test_shutdown_keeps_unstarted (Fixture       *fixture,
                               gconstpointer  data)
{
  Body body = { 0, };
  g_autoptr(AgenGenerator) gen = NULL;
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;
  g_auto(GValue) sent = G_VALUE_INIT;
  Shutdown first = { 0, };
  Shutdown second = { 0, };

  g_test_summary ("a generator whose first operation left it CREATED (a "
                  "refused send) is tracked; a shutdown leaves it alone, and "
                  "a later shutdown closes it once it has started");

  body.context = fixture->context;
  gen = body_new (&body, NULL);
  g_assert_false (agen_test_send (gen, agen_test_value_int (&sent, 1), NULL, &r));
  agen_test_assert_failed (&r, AGEN_ERROR, AGEN_ERROR_NOT_STARTED);

  shutdown_run (fixture->context, NULL, &first);
  g_assert_true (first.ok);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_CREATED);
  g_assert_cmpuint (body.started, ==, 0);

  /* Started after the shutdown, it is still tracked (its first op came
   * before the shutdown: no warning). */
  body_start (gen);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_SUSPENDED);

  shutdown_run (fixture->context, NULL, &second);
  g_assert_true (second.ok);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_CLOSED);
  g_assert_cmpuint (body.cleanups, ==, 1);
}

#define N_SHUTDOWN 1000
#define N_CREATED 10
#define N_FINISHED 10

static void
test_shutdown_closes_live (Fixture       *fixture,
                           gconstpointer  data)
{
  Body *live = g_new0 (Body, N_SHUTDOWN);
  Body *created = g_new0 (Body, N_CREATED);
  Body *finished = g_new0 (Body, N_FINISHED);
  AgenGenerator **live_gens = g_new0 (AgenGenerator *, N_SHUTDOWN);
  AgenGenerator **created_gens = g_new0 (AgenGenerator *, N_CREATED);
  AgenGenerator **finished_gens = g_new0 (AgenGenerator *, N_FINISHED);
  Shutdown shutdown = { 0, };
  guint i;

  g_test_summary ("shutdown closes 1,000 live SUSPENDED generators (each "
                  "cleanup runs exactly once, all CLOSED afterwards), and "
                  "leaves CREATED ones (never tracked) and finished ones "
                  "untouched");

  for (i = 0; i < N_SHUTDOWN; i++)
    {
      live[i].context = fixture->context;
      live_gens[i] = body_new (&live[i], NULL);
      body_start (live_gens[i]);
    }
  for (i = 0; i < N_CREATED; i++)
    created_gens[i] = body_new (&created[i], NULL);
  for (i = 0; i < N_FINISHED; i++)
    {
      g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;

      finished[i].limit = 1;
      finished_gens[i] = body_new (&finished[i], NULL);
      body_start (finished_gens[i]);
      agen_test_next (finished_gens[i], NULL, &r);
      agen_test_assert_finished (&r);
    }

  shutdown.bodies = live;
  shutdown.n_bodies = N_SHUTDOWN;
  shutdown_run (fixture->context, NULL, &shutdown);
  g_assert_no_error (shutdown.error);
  g_assert_true (shutdown.ok);
  g_assert_true (shutdown.context == fixture->context);
  g_assert_cmpuint (shutdown.cleanups_done_at_callback, ==, N_SHUTDOWN);

  for (i = 0; i < N_SHUTDOWN; i++)
    {
      g_assert_cmpint (agen_generator_get_state (live_gens[i]), ==, AGEN_GENERATOR_STATE_CLOSED);
      g_assert_cmpuint (live[i].cleanups, ==, 1);
      g_assert_cmpuint (live[i].destroyed, ==, 1);
    }
  for (i = 0; i < N_CREATED; i++)
    {
      g_assert_cmpint (agen_generator_get_state (created_gens[i]), ==, AGEN_GENERATOR_STATE_CREATED);
      g_assert_null (agen_generator_get_context (created_gens[i]));
      g_assert_cmpuint (created[i].started, ==, 0);
      g_assert_cmpuint (created[i].destroyed, ==, 0);
    }
  for (i = 0; i < N_FINISHED; i++)
    {
      g_assert_cmpint (agen_generator_get_state (finished_gens[i]), ==, AGEN_GENERATOR_STATE_CLOSED);
      g_assert_cmpuint (finished[i].started, ==, 1);
      g_assert_cmpuint (finished[i].cleanups, ==, 0);
    }

  /* Our references were never taken away */
  for (i = 0; i < N_SHUTDOWN; i++)
    {
      g_assert_false (live[i].finalized);
      g_object_unref (live_gens[i]);
    }
  for (i = 0; i < N_CREATED; i++)
    g_object_unref (created_gens[i]);
  for (i = 0; i < N_FINISHED; i++)
    g_object_unref (finished_gens[i]);
  for (i = 0; i < N_SHUTDOWN; i++)
    spin_until_finalized (&live[i].finalized, 5000);
  for (i = 0; i < N_CREATED; i++)
    {
      spin_until_finalized (&created[i].finalized, 5000);
      g_assert_cmpuint (created[i].started, ==, 0);
      g_assert_cmpuint (created[i].destroyed, ==, 1);
    }
  for (i = 0; i < N_FINISHED; i++)
    spin_until_finalized (&finished[i].finalized, 5000);

  shutdown_clear (&shutdown);
  g_free (live);
  g_free (created);
  g_free (finished);
  g_free (live_gens);
  g_free (created_gens);
  g_free (finished_gens);
}

static void
test_shutdown_nothing (Fixture       *fixture,
                       gconstpointer  data)
{
  Shutdown shutdown = { 0, };

  g_test_summary ("shutdown of a context that owns no generator completes "
                  "TRUE, from a later iteration");

  shutdown_run (fixture->context, NULL, &shutdown);
  g_assert_no_error (shutdown.error);
  g_assert_true (shutdown.ok);
  shutdown_clear (&shutdown);
}

#define N_AWAITING 20

static void
test_shutdown_waits_for_awaiting_cleanup (Fixture       *fixture,
                                          gconstpointer  data)
{
  Body bodies[N_AWAITING] = { { 0, }, };
  AgenGenerator *gens[N_AWAITING];
  Shutdown shutdown = { 0, };
  guint i;

  g_test_summary ("shutdown waits for cleanups that await: its callback "
                  "runs after every one has completed");

  for (i = 0; i < N_AWAITING; i++)
    {
      bodies[i].sleep_ms = 20 + 5 * i;
      bodies[i].context = fixture->context;
      gens[i] = body_new (&bodies[i], NULL);
      body_start (gens[i]);
    }

  shutdown.bodies = bodies;
  shutdown.n_bodies = N_AWAITING;
  shutdown_run (fixture->context, NULL, &shutdown);
  g_assert_no_error (shutdown.error);
  g_assert_true (shutdown.ok);
  g_assert_cmpuint (shutdown.cleanups_done_at_callback, ==, N_AWAITING);

  for (i = 0; i < N_AWAITING; i++)
    {
      g_assert_cmpint (agen_generator_get_state (gens[i]), ==, AGEN_GENERATOR_STATE_CLOSED);
      g_assert_cmpuint (bodies[i].cleanups, ==, 1);
      g_object_unref (gens[i]);
      spin_until_finalized (&bodies[i].finalized, 5000);
      g_assert_cmpuint (bodies[i].destroyed, ==, 1);
    }
  shutdown_clear (&shutdown);
}

static void
test_shutdown_waits_for_finalizer_closes (Fixture       *fixture,
                                          gconstpointer  data)
{
  Body bodies[2] = { { 0, }, };
  AgenGenerator *gens[2];
  Shutdown shutdown = { 0, };
  guint i;

  g_test_summary ("shutdown waits for closes the default finalizer had "
                  "already scheduled: one not started yet, one whose "
                  "cleanup is awaiting");

  for (i = 0; i < G_N_ELEMENTS (bodies); i++)
    {
      bodies[i].sleep_ms = 100;
      bodies[i].context = fixture->context;
      gens[i] = body_new (&bodies[i], NULL);
      body_start (gens[i]);
    }

  /* The first one's close is under way, its cleanup awaiting */
  g_object_unref (gens[0]);
  while (bodies[0].cleanups == 0)
    g_main_context_iteration (fixture->context, TRUE);
  g_assert_false (bodies[0].cleanup_done);

  /* The second one's close is scheduled and has not run yet */
  g_object_unref (gens[1]);
  g_assert_cmpuint (bodies[1].cleanups, ==, 0);

  shutdown.bodies = bodies;
  shutdown.n_bodies = G_N_ELEMENTS (bodies);
  shutdown_run (fixture->context, NULL, &shutdown);
  g_assert_no_error (shutdown.error);
  g_assert_true (shutdown.ok);
  g_assert_cmpuint (shutdown.cleanups_done_at_callback, ==, G_N_ELEMENTS (bodies));

  for (i = 0; i < G_N_ELEMENTS (bodies); i++)
    {
      spin_until_finalized (&bodies[i].finalized, 5000);
      g_assert_cmpuint (bodies[i].cleanups, ==, 1);
      g_assert_cmpuint (bodies[i].destroyed, ==, 1);
    }
  shutdown_clear (&shutdown);
}

static void
test_shutdown_close_fails (Fixture       *fixture,
                           gconstpointer  data)
{
  Body good = { 0, };
  Body bad = { 0, };
  AgenGenerator *good_gen, *bad_gen;
  Shutdown shutdown = { 0, };

  g_test_summary ("a close that fails during shutdown is logged with a "
                  "warning; shutdown still returns TRUE and closes the "
                  "others");

  good_gen = body_new (&good, NULL);
  body_start (good_gen);
  bad.mode = CLEANUP_RAISE;
  bad_gen = body_new (&bad, "failing-close");
  body_start (bad_gen);

  g_test_expect_message ("Agen", G_LOG_LEVEL_WARNING, "*");
  shutdown_run (fixture->context, NULL, &shutdown);
  g_test_assert_expected_messages ();
  g_assert_no_error (shutdown.error);
  g_assert_true (shutdown.ok);

  g_assert_cmpint (agen_generator_get_state (good_gen), ==, AGEN_GENERATOR_STATE_CLOSED);
  g_assert_cmpint (agen_generator_get_state (bad_gen), ==, AGEN_GENERATOR_STATE_CLOSED);
  g_assert_cmpuint (good.cleanups, ==, 1);
  g_assert_cmpuint (bad.cleanups, ==, 1);

  g_object_unref (good_gen);
  g_object_unref (bad_gen);
  spin_until_finalized (&good.finalized, 5000);
  spin_until_finalized (&bad.finalized, 5000);
  shutdown_clear (&shutdown);
}

/* Awaits the gate, then yields 7 and returns. */
static gboolean
gate_body (AgenGenerator  *self,
           gpointer        user_data,
           GError        **error)
{
  AgenTestGate *gate = user_data;

  if (!agen_test_gate_wait (gate, self, error))
    return FALSE;
  if (!agen_test_yield_int (self, 7, NULL, error))
    return FALSE;
  return TRUE;
}

static void
test_shutdown_running_warns (Fixture       *fixture,
                             gconstpointer  data)
{
  Body good = { 0, };
  AgenGenerator *good_gen;
  AgenGenerator *busy;
  AgenTestGate gate = { NULL };
  Shutdown shutdown = { 0, };
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;
  g_auto(AgenTestResult) busy_r = AGEN_TEST_RESULT_INIT;

  g_test_summary ("shutdown while a generator is RUNNING (awaiting in a "
                  "step): its close fails with RUNNING, logged with a "
                  "warning; the step is left alone; shutdown returns TRUE");

  good_gen = body_new (&good, NULL);
  body_start (good_gen);

  busy = agen_generator_new (gate_body, &gate, NULL);
  agen_generator_next_async (busy, NULL, agen_test_next_cb, &busy_r);
  g_assert_true (agen_test_gate_waiting (&gate));
  g_assert_true (agen_generator_get_running (busy));

  g_test_expect_message ("Agen", G_LOG_LEVEL_WARNING, "*");
  shutdown_run (fixture->context, NULL, &shutdown);
  g_test_assert_expected_messages ();
  g_assert_no_error (shutdown.error);
  g_assert_true (shutdown.ok);
  g_assert_cmpint (agen_generator_get_state (good_gen), ==, AGEN_GENERATOR_STATE_CLOSED);

  /* The step goes on and yields */
  g_assert_true (agen_generator_get_running (busy));
  g_assert_false (busy_r.done);
  agen_test_gate_open (&gate);
  agen_test_spin_until (&busy_r.done, 5000);
  agen_test_assert_yielded_int (&busy_r, 7);
  g_assert_true (agen_test_close (busy, NULL, &r));

  g_object_unref (busy);
  g_object_unref (good_gen);
  spin_until_finalized (&good.finalized, 5000);
  shutdown_clear (&shutdown);
}

static void
test_shutdown_then_first_run_warns (Fixture       *fixture,
                                    gconstpointer  data)
{
  Body body = { 0, };
  AgenGenerator *gen;
  Shutdown shutdown = { 0, };
  Shutdown again = { 0, };
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;

  g_test_summary ("a generator first run under a context after its "
                  "shutdown triggers a warning, still works, and is still "
                  "tracked: a later shutdown closes it");

  shutdown_run (fixture->context, NULL, &shutdown);
  g_assert_true (shutdown.ok);

  gen = body_new (&body, "late");
  g_test_expect_message ("Agen", G_LOG_LEVEL_WARNING, "*");
  g_assert_true (agen_test_next (gen, NULL, &r));
  g_test_assert_expected_messages ();
  agen_test_assert_yielded_int (&r, 0);
  g_assert_true (agen_test_next (gen, NULL, &r));
  agen_test_assert_yielded_int (&r, 1);
  g_assert_true (agen_generator_get_context (gen) == fixture->context);

  shutdown_run (fixture->context, NULL, &again);
  g_assert_no_error (again.error);
  g_assert_true (again.ok);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_CLOSED);
  g_assert_cmpuint (body.cleanups, ==, 1);

  g_object_unref (gen);
  spin_until_finalized (&body.finalized, 5000);
  shutdown_clear (&shutdown);
  shutdown_clear (&again);
}

static void
test_shutdown_reopen (Fixture       *fixture,
                      gconstpointer  data)
{
  Body body = { 0, };
  AgenGenerator *gen;
  Shutdown shutdown = { 0, };
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;

  g_test_summary ("after agen_reopen_generators() a generator first run "
                  "under a context that was shut down triggers no warning");

  shutdown_run (fixture->context, NULL, &shutdown);
  g_assert_true (shutdown.ok);
  agen_reopen_generators (fixture->context);

  /* A warning would abort: G_DEBUG=fatal-warnings. */
  gen = body_new (&body, "after-reopen");
  g_assert_true (agen_test_next (gen, NULL, &r));
  agen_test_assert_yielded_int (&r, 0);
  g_assert_true (agen_generator_close (gen, NULL, NULL));

  g_object_unref (gen);
  spin_until_finalized (&body.finalized, 5000);
  shutdown_clear (&shutdown);
}

static void
test_shutdown_cancelled (Fixture       *fixture,
                         gconstpointer  data)
{
  Body body = { 0, };
  AgenGenerator *gen;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  Shutdown shutdown = { 0, };
  Shutdown real = { 0, };

  g_test_summary ("shutdown with an already-cancelled cancellable fails "
                  "with G_IO_ERROR_CANCELLED and closes nothing");

  body.context = fixture->context;
  gen = body_new (&body, NULL);
  body_start (gen);

  g_cancellable_cancel (cancellable);
  shutdown_run (fixture->context, cancellable, &shutdown);
  g_assert_error (shutdown.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_false (shutdown.ok);

  spin_for (20);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_SUSPENDED);
  g_assert_cmpuint (body.cleanups, ==, 0);

  /* Still tracked: a real shutdown closes it */
  shutdown_run (fixture->context, NULL, &real);
  g_assert_no_error (real.error);
  g_assert_true (real.ok);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_CLOSED);
  g_assert_cmpuint (body.cleanups, ==, 1);

  g_object_unref (gen);
  spin_until_finalized (&body.finalized, 5000);
  shutdown_clear (&shutdown);
  shutdown_clear (&real);
}

static void
test_shutdown_custom_context (void)
{
  GMainContext *context = g_main_context_new ();
  Body custom = { 0, };
  Body global = { 0, };
  AgenGenerator *custom_gen, *global_gen;
  Shutdown shutdown = { 0, };
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;

  g_test_summary ("shutdown of a custom GMainContext pushed as "
                  "thread-default closes the generators it owns, with their "
                  "cleanup on that context, and not those of the global "
                  "default context; its callback runs on that context");

  /* Owned by the global default context */
  global.context = g_main_context_default ();
  global_gen = body_new (&global, NULL);
  body_start (global_gen);

  g_main_context_push_thread_default (context);
  custom.context = context;
  custom.sleep_ms = 10;
  custom_gen = body_new (&custom, NULL);
  body_start (custom_gen);
  g_assert_true (agen_generator_get_context (custom_gen) == context);

  shutdown.bodies = &custom;
  shutdown.n_bodies = 1;
  shutdown_run (context, NULL, &shutdown);
  g_assert_no_error (shutdown.error);
  g_assert_true (shutdown.ok);
  g_assert_true (shutdown.context == context);
  g_assert_cmpuint (shutdown.cleanups_done_at_callback, ==, 1);
  g_assert_cmpint (agen_generator_get_state (custom_gen), ==, AGEN_GENERATOR_STATE_CLOSED);
  g_assert_cmpuint (custom.cleanups, ==, 1);

  g_object_unref (custom_gen);
  spin_until_finalized (&custom.finalized, 5000);
  g_main_context_pop_thread_default (context);

  /* Untouched */
  spin_for (20);
  g_assert_cmpint (agen_generator_get_state (global_gen), ==, AGEN_GENERATOR_STATE_SUSPENDED);
  g_assert_cmpuint (global.cleanups, ==, 0);
  g_assert_true (agen_test_next (global_gen, NULL, &r));
  agen_test_assert_yielded_int (&r, 1);
  g_assert_true (agen_test_close (global_gen, NULL, &r));
  g_assert_cmpuint (global.cleanups, ==, 1);

  g_object_unref (global_gen);
  spin_until_finalized (&global.finalized, 5000);
  shutdown_clear (&shutdown);

  while (g_main_context_iteration (context, FALSE))
    ;
  g_main_context_unref (context);
}

static void
test_shutdown_default_context (void)
{
  g_test_summary ("shutdown of the global default context (NULL) closes "
                  "its live generators (in a subprocess: it marks the "
                  "context shut down for good)");

  if (g_test_subprocess ())
    {
      Body bodies[3] = { { 0, }, };
      AgenGenerator *gens[3];
      Shutdown shutdown = { 0, };

      for (guint i = 0; i < G_N_ELEMENTS (bodies); i++)
        {
          bodies[i].context = g_main_context_default ();
          gens[i] = body_new (&bodies[i], NULL);
          body_start (gens[i]);
        }

      shutdown_run (NULL, NULL, &shutdown);
      g_assert_no_error (shutdown.error);
      g_assert_true (shutdown.ok);

      for (guint i = 0; i < G_N_ELEMENTS (bodies); i++)
        {
          g_assert_cmpint (agen_generator_get_state (gens[i]), ==, AGEN_GENERATOR_STATE_CLOSED);
          g_assert_cmpuint (bodies[i].cleanups, ==, 1);
          g_object_unref (gens[i]);
          spin_until_finalized (&bodies[i].finalized, 5000);
        }
      shutdown_clear (&shutdown);
      return;
    }

  g_test_trap_subprocess (NULL, 60 * G_USEC_PER_SEC, 0);
  g_test_trap_assert_passed ();
}

#define ADD(path, func, data) \
  g_test_add ("/Agen/Hooks/" path, Fixture, data, fixture_setup, func, fixture_teardown)

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  ADD ("first-iter-once-before-body", test_first_iter_once_before_body, NULL);
  ADD ("first-iter-blocking", test_first_iter_blocking, NULL);
  ADD ("first-iter-closes", test_first_iter_closes, NULL);
  ADD ("first-iter-close-fresh", test_first_iter_fresh_op, GINT_TO_POINTER (FRESH_CLOSE));
  ADD ("first-iter-throw-fresh", test_first_iter_fresh_op, GINT_TO_POINTER (FRESH_THROW));
  ADD ("first-iter-refused-send", test_first_iter_fresh_op, GINT_TO_POINTER (FRESH_SEND_VALUE));
  ADD ("first-iter-not-when-cancelled", test_first_iter_not_when_cancelled, NULL);
  ADD ("finalizer-closes", test_finalizer_closes, NULL);
  ADD ("finalizer-owns-reference", test_finalizer_owns_reference, NULL);
  ADD ("finalizer-drops-unclosed", test_finalizer_drops_unclosed, NULL);
  ADD ("finalizer-captured-at-first-op", test_finalizer_captured_at_first_op, NULL);
  ADD ("first-iter-only-default-finalizer", test_first_iter_only_default_finalizer, NULL);
  ADD ("created-dropped-no-hook", test_created_dropped_no_hook, NULL);
  ADD ("closed-dropped-no-hook/returned", test_closed_dropped_no_hook, GINT_TO_POINTER (CLOSED_BY_RETURN));
  ADD ("closed-dropped-no-hook/closed", test_closed_dropped_no_hook, GINT_TO_POINTER (CLOSED_BY_CLOSE));
  ADD ("closed-dropped-no-hook/closed-before-start", test_closed_dropped_no_hook, GINT_TO_POINTER (CLOSED_BEFORE_START));
  ADD ("closed-dropped-no-hook/raised", test_closed_dropped_no_hook, GINT_TO_POINTER (CLOSED_BY_RAISE));
  ADD ("per-context", test_hooks_per_context, NULL);
  g_test_add_func ("/Agen/Hooks/null-restores-default", test_null_restores_default);
  ADD ("user-data-destroy-on-replace", test_user_data_destroy_on_replace, NULL);
  ADD ("default-finalizer-cleanup-raises", test_default_finalizer_cleanup_raises, NULL);
  ADD ("default-finalizer-ignored-exit", test_default_finalizer_ignored_exit, NULL);
  ADD ("shutdown-closes-live", test_shutdown_closes_live, NULL);
  ADD ("shutdown-keeps-unstarted", test_shutdown_keeps_unstarted, NULL);
  ADD ("shutdown-nothing", test_shutdown_nothing, NULL);
  ADD ("shutdown-waits-for-awaiting-cleanup", test_shutdown_waits_for_awaiting_cleanup, NULL);
  ADD ("shutdown-waits-for-finalizer-closes", test_shutdown_waits_for_finalizer_closes, NULL);
  ADD ("shutdown-close-fails", test_shutdown_close_fails, NULL);
  ADD ("shutdown-running-warns", test_shutdown_running_warns, NULL);
  ADD ("shutdown-then-first-run-warns", test_shutdown_then_first_run_warns, NULL);
  ADD ("shutdown-reopen", test_shutdown_reopen, NULL);
  ADD ("shutdown-cancelled", test_shutdown_cancelled, NULL);
  g_test_add_func ("/Agen/Hooks/shutdown-custom-context", test_shutdown_custom_context);
  g_test_add_func ("/Agen/Hooks/shutdown-default-context", test_shutdown_default_context);

  return g_test_run ();
}
