/* test-threads.c — generators used from several threads: the body always
 * runs on its owner context's thread, consumers on other threads get their
 * results in their own context (async) or by blocking without spinning
 * (docs/semantics.md, "Threads", and "Owner, hooks, finalization and
 * shutdown" for the owner context and dropping from another thread)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>
#include <pthread.h>
#include <sys/resource.h>
#include <time.h>

#include <agen.h>

#include "agen-test-util.h"

#ifdef HAVE_VALGRIND
# include <valgrind/valgrind.h>
#endif

/* Unless a test says otherwise, generators here are owned by the global
 * default context: the main thread creates each one and issues its first op
 * (which consumes a first None, the "ready" marker) under that context,
 * then iterates it while worker threads consume. Flags shared between
 * threads are only touched with g_atomic_*, and a thread that changes one
 * the main thread waits for wakes the default context. */

static GThread *main_thread;

static GMainContext *
current_context (void)
{
  GMainContext *context = g_main_context_get_thread_default ();

  return context != NULL ? context : g_main_context_default ();
}

/* Sets *flag to value and wakes the global default context, which the main
 * thread may be iterating, waiting for it. */
static void
signal_main (gint *flag,
             gint  value)
{
  g_atomic_int_set (flag, value);
  g_main_context_wakeup (NULL);
}

static void
increment_main (gint *counter)
{
  g_atomic_int_inc (counter);
  g_main_context_wakeup (NULL);
}

/* Waits until *finalized is set (agen_test_watch_finalize()), iterating
 * the thread-default context meanwhile: the last reference to a generator
 * may go on another thread, shortly after the one a test drops. */
static void
wait_finalized (gint *finalized)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  while (!g_atomic_int_get (finalized))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("a generator was not finalized within 10 s");
      if (!g_main_context_iteration (g_main_context_get_thread_default (), FALSE))
        g_usleep (1000);
    }
}

/* A body --------------------------------------------------------------------
 *
 * tbody yields None (the marker), then 0 … n_values - 1 (forever when
 * n_values < 0), then returns TRUE. Before each value it awaits sleep_ms
 * when set. Every time it runs it asserts that it runs on thread, under
 * context. On EXIT it counts a cleanup and propagates it.
 */

typedef struct
{
  gint          n_values;
  guint         sleep_ms;
  GThread      *thread;
  GMainContext *context;

  gint          steps;         /* runs of the body: start + each resume */
  gint          cleanups;
  gint          cleanup_done;
  gint          destroyed;
  gint          finalized;
} TBody;

static void
tbody_destroy (gpointer user_data)
{
  TBody *body = user_data;

  g_atomic_int_inc (&body->destroyed);
}

static void
tbody_check (TBody *body)
{
  g_assert_true (g_thread_self () == body->thread);
  g_assert_true (current_context () == body->context);
}

static gboolean
tbody_func (AgenGenerator  *self,
            gpointer        user_data,
            GError        **error)
{
  TBody *body = user_data;
  g_autoptr(GError) local = NULL;
  gint i;

  g_atomic_int_inc (&body->steps);
  tbody_check (body);

  if (!agen_generator_yield (self, NULL, NULL, &local))
    goto caught;
  g_atomic_int_inc (&body->steps);

  for (i = 0; body->n_values < 0 || i < body->n_values; i++)
    {
      tbody_check (body);
      if (body->sleep_ms > 0 && !agen_test_sleep (self, body->sleep_ms, NULL, error))
        return FALSE;
      tbody_check (body);

      if (!agen_test_yield_int (self, i, NULL, &local))
        goto caught;
      g_atomic_int_inc (&body->steps);
    }

  return TRUE;

caught:
  g_atomic_int_inc (&body->steps);
  tbody_check (body);
  if (g_error_matches (local, AGEN_ERROR, AGEN_ERROR_EXIT))
    {
      g_atomic_int_inc (&body->cleanups);
      increment_main (&body->cleanup_done);
    }
  g_propagate_error (error, g_steal_pointer (&local));
  return FALSE;
}

/* A generator owned by the global default context, created and started by
 * the main thread: SUSPENDED after its marker. */
static AgenGenerator *
tbody_new_started (TBody *body,
                   gint   n_values)
{
  AgenGenerator *gen;
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;

  g_assert_true (g_thread_self () == main_thread);
  g_assert_null (g_main_context_get_thread_default ());

  body->n_values = n_values;
  body->thread = main_thread;
  body->context = g_main_context_default ();
  gen = agen_generator_new (tbody_func, body, tbody_destroy);
  agen_test_watch_finalize (gen, &body->finalized);

  g_assert_true (agen_test_next (gen, NULL, &r));
  g_assert_no_error (r.error);
  agen_test_assert_none (&r.value);
  g_assert_true (agen_generator_get_context (gen) == g_main_context_default ());
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_SUSPENDED);

  return gen;
}

/* Blocking consumers on worker threads -------------------------------------- */

#define N_WORKERS 4
#define N_VALUES 10000

typedef struct
{
  AgenGenerator *gen;
  gboolean       own_context;   /* push a context of its own first */
  gint          *done;
  gint           received;
} Drain;

static gpointer
drain_thread (gpointer data)
{
  Drain *drain = data;
  GMainContext *context = NULL;
  gint expected;

  if (drain->own_context)
    {
      context = g_main_context_new ();
      g_main_context_push_thread_default (context);
    }

  for (expected = 0; ; expected++)
    {
      g_auto(GValue) v = G_VALUE_INIT;
      g_autoptr(GError) error = NULL;

      if (!agen_generator_next (drain->gen, NULL, &v, &error))
        {
          g_assert_no_error (error);
          agen_test_assert_none (&v);
          break;
        }
      agen_test_assert_int (&v, expected);
      drain->received++;
    }
  g_assert_cmpint (expected, ==, N_VALUES);
  g_assert_cmpint (agen_generator_get_state (drain->gen), ==, AGEN_GENERATOR_STATE_CLOSED);

  if (context != NULL)
    {
      g_main_context_pop_thread_default (context);
      g_main_context_unref (context);
    }

  increment_main (drain->done);
  return NULL;
}

static void
test_blocking_workers_drain (gconstpointer data)
{
  gboolean own_context = GPOINTER_TO_INT (data);
  TBody bodies[N_WORKERS] = { { 0, }, };
  Drain drains[N_WORKERS] = { { 0, }, };
  GThread *threads[N_WORKERS];
  gint done = 0;
  guint i;

  g_test_summary ("four worker threads each drain their own generator "
                  "(owned by the main context) with the blocking form while "
                  "the main thread runs the main loop: every body step runs "
                  "on the main thread, each worker receives 0 … 9,999 "
                  "exactly once and in order, then the end");

  for (i = 0; i < N_WORKERS; i++)
    {
      drains[i].gen = tbody_new_started (&bodies[i], N_VALUES);
      drains[i].own_context = own_context;
      drains[i].done = &done;
    }
  for (i = 0; i < N_WORKERS; i++)
    threads[i] = g_thread_new ("drain", drain_thread, &drains[i]);

  agen_test_spin_until_atomic (&done, N_WORKERS, 240000);

  for (i = 0; i < N_WORKERS; i++)
    {
      g_thread_join (threads[i]);
      g_assert_cmpint (drains[i].received, ==, N_VALUES);
      /* start + N resumes + the one that returned */
      g_assert_cmpint (g_atomic_int_get (&bodies[i].steps), ==, N_VALUES + 2);
      g_assert_cmpint (g_atomic_int_get (&bodies[i].destroyed), ==, 1);
      g_object_unref (drains[i].gen);
      wait_finalized (&bodies[i].finalized);
    }
}

/* An async consumer on a worker thread with its own context ------------------ */

#define N_ASYNC 100

typedef struct
{
  AgenGenerator *gen;
  GMainContext  *context;
  GThread       *thread;
  gint           expected;
  gboolean       done;
  gint          *finished;
} AsyncConsumer;

static void
async_next_cb (GObject      *source,
               GAsyncResult *res,
               gpointer      user_data)
{
  AsyncConsumer *consumer = user_data;
  g_auto(GValue) v = G_VALUE_INIT;
  g_autoptr(GError) error = NULL;

  g_assert_true (g_thread_self () == consumer->thread);
  g_assert_true (g_main_context_get_thread_default () == consumer->context);
  g_assert_true (g_main_context_is_owner (consumer->context));

  g_assert_true (agen_generator_next_finish (AGEN_GENERATOR (source), res, &v, &error));
  g_assert_no_error (error);
  agen_test_assert_int (&v, consumer->expected);
  consumer->done = TRUE;
}

static void
async_close_cb (GObject      *source,
                GAsyncResult *res,
                gpointer      user_data)
{
  AsyncConsumer *consumer = user_data;
  g_autoptr(GError) error = NULL;

  g_assert_true (g_thread_self () == consumer->thread);
  g_assert_true (g_main_context_get_thread_default () == consumer->context);

  g_assert_true (agen_generator_close_finish (AGEN_GENERATOR (source), res, &error));
  g_assert_no_error (error);
  consumer->done = TRUE;
}

static gpointer
async_consumer_thread (gpointer data)
{
  AsyncConsumer *consumer = data;

  consumer->thread = g_thread_self ();
  consumer->context = g_main_context_new ();
  g_main_context_push_thread_default (consumer->context);

  for (consumer->expected = 0; consumer->expected < N_ASYNC; consumer->expected++)
    {
      consumer->done = FALSE;
      agen_generator_next_async (consumer->gen, NULL, async_next_cb, consumer);
      g_assert_false (consumer->done);
      agen_test_spin_until (&consumer->done, 10000);
    }

  consumer->done = FALSE;
  agen_generator_close_async (consumer->gen, NULL, async_close_cb, consumer);
  agen_test_spin_until (&consumer->done, 10000);

  g_main_context_pop_thread_default (consumer->context);
  g_main_context_unref (consumer->context);

  increment_main (consumer->finished);
  return NULL;
}

static void
test_async_from_worker_context (void)
{
  TBody body = { 0, };
  AsyncConsumer consumer = { 0, };
  gint finished = 0;
  GThread *thread;

  g_test_summary ("a consumer thread with its own GMainContext (pushed as "
                  "thread-default) uses the async form on a generator owned "
                  "by the main context: the callbacks run in the worker's "
                  "context, on the worker, the body runs on the main thread");

  consumer.gen = tbody_new_started (&body, -1);
  consumer.finished = &finished;
  thread = g_thread_new ("async-consumer", async_consumer_thread, &consumer);
  agen_test_spin_until_atomic (&finished, 1, 60000);
  g_thread_join (thread);

  g_assert_cmpint (agen_generator_get_state (consumer.gen), ==, AGEN_GENERATOR_STATE_CLOSED);
  g_assert_cmpint (g_atomic_int_get (&body.cleanups), ==, 1);
  g_assert_cmpint (g_atomic_int_get (&body.steps), ==, N_ASYNC + 2);
  g_object_unref (consumer.gen);
  wait_finalized (&body.finalized);
  g_assert_cmpint (g_atomic_int_get (&body.destroyed), ==, 1);
}

/* The blocking form does not spin --------------------------------------------- */

typedef struct
{
  AgenGenerator *gen;
  gboolean       own_context;
  gint64         wall_us;
  gint64         cpu_us;
  gint64         rusage_us;
  gint           done;
} NoSpin;

static gint64
process_cpu_us (void)
{
  struct timespec ts;

  g_assert_cmpint (clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts), ==, 0);
  return (gint64) ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000;
}

static gint64
rusage_cpu_us (void)
{
  struct rusage usage;

  g_assert_cmpint (getrusage (RUSAGE_SELF, &usage), ==, 0);
  return ((gint64) usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * G_USEC_PER_SEC +
         usage.ru_utime.tv_usec + usage.ru_stime.tv_usec;
}

static gpointer
no_spin_thread (gpointer data)
{
  NoSpin *no_spin = data;
  g_auto(GValue) v = G_VALUE_INIT;
  g_autoptr(GError) error = NULL;
  GMainContext *context = NULL;
  gint64 wall, cpu, rusage;

  if (no_spin->own_context)
    {
      context = g_main_context_new ();
      g_main_context_push_thread_default (context);
    }

  wall = g_get_monotonic_time ();
  cpu = process_cpu_us ();
  rusage = rusage_cpu_us ();

  g_assert_true (agen_generator_next (no_spin->gen, NULL, &v, &error));

  no_spin->wall_us = g_get_monotonic_time () - wall;
  no_spin->cpu_us = process_cpu_us () - cpu;
  no_spin->rusage_us = rusage_cpu_us () - rusage;

  g_assert_no_error (error);
  agen_test_assert_int (&v, 0);

  if (context != NULL)
    {
      g_main_context_pop_thread_default (context);
      g_main_context_unref (context);
    }

  signal_main (&no_spin->done, 1);
  return NULL;
}

static void
test_blocking_does_not_spin (gconstpointer data)
{
  TBody body = { 0, };
  NoSpin no_spin = { 0, };
  GThread *thread;
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;

  g_test_summary ("the blocking form called from a worker while the owner "
                  "thread runs the main loop does not spin: across a next "
                  "whose body awaits 200 ms, the process uses less CPU time "
                  "than half the wall time");

  body.sleep_ms = 200;
  no_spin.own_context = GPOINTER_TO_INT (data);
  no_spin.gen = tbody_new_started (&body, -1);
  thread = g_thread_new ("no-spin", no_spin_thread, &no_spin);
  agen_test_spin_until_atomic (&no_spin.done, 1, 10000);
  g_thread_join (thread);

  g_test_message ("wall %" G_GINT64_FORMAT " us, process CPU %" G_GINT64_FORMAT
                  " us (rusage %" G_GINT64_FORMAT " us)",
                  no_spin.wall_us, no_spin.cpu_us, no_spin.rusage_us);
  g_assert_cmpint (no_spin.wall_us, >=, 190 * 1000);
  g_assert_cmpint (no_spin.cpu_us, <, no_spin.wall_us / 2);
  g_assert_cmpint (no_spin.rusage_us, <, no_spin.wall_us / 2);

  g_assert_true (agen_test_close (no_spin.gen, NULL, &r));
  g_assert_cmpint (g_atomic_int_get (&body.cleanups), ==, 1);
  g_object_unref (no_spin.gen);
  wait_finalized (&body.finalized);
}

/* The op is handed over, never run inline on the calling thread --------------- */

typedef struct
{
  AgenGenerator *gen;
  gboolean       async;
  gint           calling;
  gint           done;
  gboolean       async_done;
  GThread       *thread;
  GMainContext  *context;
} Handover;

static void
handover_next_cb (GObject      *source,
                  GAsyncResult *res,
                  gpointer      user_data)
{
  Handover *handover = user_data;
  g_auto(GValue) v = G_VALUE_INIT;
  g_autoptr(GError) error = NULL;

  g_assert_true (g_thread_self () == handover->thread);
  g_assert_true (agen_generator_next_finish (AGEN_GENERATOR (source), res, &v, &error));
  g_assert_no_error (error);
  agen_test_assert_int (&v, 0);
  handover->async_done = TRUE;
}

static gpointer
handover_thread (gpointer data)
{
  Handover *handover = data;

  handover->thread = g_thread_self ();

  if (handover->async)
    {
      handover->context = g_main_context_new ();
      g_main_context_push_thread_default (handover->context);

      agen_generator_next_async (handover->gen, NULL, handover_next_cb, handover);
      g_atomic_int_set (&handover->calling, 1);
      agen_test_spin_until (&handover->async_done, 10000);

      g_main_context_pop_thread_default (handover->context);
      g_main_context_unref (handover->context);
    }
  else
    {
      g_auto(GValue) v = G_VALUE_INIT;
      g_autoptr(GError) error = NULL;

      g_atomic_int_set (&handover->calling, 1);
      g_assert_true (agen_generator_next (handover->gen, NULL, &v, &error));
      g_assert_no_error (error);
      agen_test_assert_int (&v, 0);
    }

  signal_main (&handover->done, 1);
  return NULL;
}

static void
test_handover_waits_for_owner (gconstpointer data)
{
  TBody body = { 0, };
  Handover handover = { 0, };
  GThread *thread;
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;

  g_test_summary ("an op started from a worker on a generator owned by the "
                  "global default context is handed to the thread that "
                  "iterates that context: while the main thread does not "
                  "iterate, the body does not run (never inline on the "
                  "worker, though the context is free); once it iterates, "
                  "the body runs on the main thread");

  handover.async = GPOINTER_TO_INT (data);
  handover.gen = tbody_new_started (&body, -1);
  g_assert_cmpint (g_atomic_int_get (&body.steps), ==, 1);

  thread = g_thread_new ("handover", handover_thread, &handover);

  /* Not iterating */
  agen_test_wait_atomic (&handover.calling, 1, 10000);
  g_usleep (100 * 1000);
  g_assert_cmpint (g_atomic_int_get (&body.steps), ==, 1);
  g_assert_cmpint (g_atomic_int_get (&handover.done), ==, 0);

  agen_test_spin_until_atomic (&handover.done, 1, 10000);
  g_thread_join (thread);
  g_assert_cmpint (g_atomic_int_get (&body.steps), ==, 2);

  g_assert_true (agen_test_close (handover.gen, NULL, &r));
  g_object_unref (handover.gen);
  wait_finalized (&body.finalized);
}

/* A generator owned by a worker's context ------------------------------------ */

typedef struct
{
  AgenGenerator *gen;
  TBody         *body;
  GMainContext  *context;
  GThread       *thread;
  gint           ready;
  gint           stop;
} Owner;

static gpointer
owner_thread (gpointer data)
{
  Owner *owner = data;
  g_auto(GValue) v = G_VALUE_INIT;
  g_autoptr(GError) error = NULL;
  GMainContext *context = g_main_context_new ();

  g_main_context_push_thread_default (context);
  owner->body->thread = g_thread_self ();
  owner->body->context = context;
  owner->thread = g_thread_self ();
  owner->context = context;

  /* The first op, here: this context owns the generator */
  g_assert_true (agen_generator_next (owner->gen, NULL, &v, &error));
  g_assert_no_error (error);
  agen_test_assert_none (&v);
  g_assert_true (agen_generator_get_context (owner->gen) == context);

  signal_main (&owner->ready, 1);

  while (!g_atomic_int_get (&owner->stop))
    g_main_context_iteration (context, TRUE);

  /* Let what is left run (nothing should be) */
  while (g_main_context_iteration (context, FALSE))
    ;
  g_main_context_pop_thread_default (context);
  g_main_context_unref (context);

  return NULL;
}

typedef struct
{
  gboolean done;
  gint     expected;
} MainNext;

static void
main_next_cb (GObject      *source,
              GAsyncResult *res,
              gpointer      user_data)
{
  MainNext *next = user_data;
  g_auto(GValue) v = G_VALUE_INIT;
  g_autoptr(GError) error = NULL;

  g_assert_true (g_thread_self () == main_thread);
  g_assert_null (g_main_context_get_thread_default ());
  g_assert_true (agen_generator_next_finish (AGEN_GENERATOR (source), res, &v, &error));
  g_assert_no_error (error);
  agen_test_assert_int (&v, next->expected);
  next->done = TRUE;
}

static void
test_owned_by_worker_context (void)
{
  TBody body = { 0, };
  Owner owner = { 0, };
  GThread *thread;
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;
  gint i;

  g_test_summary ("a generator owned by a worker thread's context (the "
                  "worker pushes its context, does the first op and "
                  "iterates its context) consumed from the main thread with "
                  "next_async: the body runs on the worker, the callbacks on "
                  "the main thread");

  body.n_values = -1;
  owner.body = &body;
  owner.gen = agen_generator_new (tbody_func, &body, tbody_destroy);
  agen_test_watch_finalize (owner.gen, &body.finalized);

  thread = g_thread_new ("owner", owner_thread, &owner);
  agen_test_spin_until_atomic (&owner.ready, 1, 10000);
  g_assert_true (agen_generator_get_context (owner.gen) == owner.context);

  for (i = 0; i < 10; i++)
    {
      MainNext next = { FALSE, i };

      agen_generator_next_async (owner.gen, NULL, main_next_cb, &next);
      g_assert_false (next.done);
      agen_test_spin_until (&next.done, 10000);
    }

  /* The cleanup runs on the worker too (the body checks) */
  g_assert_true (agen_test_close (owner.gen, NULL, &r));
  g_assert_no_error (r.error);
  g_assert_cmpint (g_atomic_int_get (&body.cleanups), ==, 1);
  g_assert_cmpint (g_atomic_int_get (&body.steps), ==, 12);

  g_object_unref (owner.gen);
  wait_finalized (&body.finalized);

  g_atomic_int_set (&owner.stop, 1);
  g_main_context_wakeup (owner.context);
  g_thread_join (thread);
}

/* Cancellation from another thread ------------------------------------------- */

typedef struct
{
  GIOStream *a;
  GIOStream *b;
  gint       awaiting;
  gint       cancelled_inside;
  GThread   *thread;      /* the owner's */
} Reader;

/* Yields None, then reads one byte of a with the step cancellable: when the
 * read fails with CANCELLED it yields 42, else the byte; then returns. */
static gboolean
reader_body (AgenGenerator  *self,
             gpointer        user_data,
             GError        **error)
{
  Reader *reader = user_data;
  GInputStream *in = g_io_stream_get_input_stream (reader->a);
  g_autoptr(GError) local = NULL;
  guint8 byte = 0;
  gssize n;

  if (!agen_generator_yield (self, NULL, NULL, error))
    return FALSE;

  g_assert_true (g_thread_self () == reader->thread);
  g_assert_nonnull (agen_generator_get_cancellable (self));
  g_input_stream_read_async (in, &byte, 1, G_PRIORITY_DEFAULT,
                             agen_generator_get_cancellable (self),
                             AGEN_AWAIT_CALLBACK (self));
  g_atomic_int_set (&reader->awaiting, 1);
  n = g_input_stream_read_finish (in, agen_generator_await (self), &local);
  g_atomic_int_set (&reader->awaiting, 0);
  g_assert_true (g_thread_self () == reader->thread);

  if (n < 0)
    {
      g_assert_error (local, G_IO_ERROR, G_IO_ERROR_CANCELLED);
      g_atomic_int_set (&reader->cancelled_inside, 1);
      return agen_test_yield_int (self, 42, NULL, error);
    }

  return agen_test_yield_int (self, byte, NULL, error);
}

static AgenGenerator *
reader_new_started (Reader *reader)
{
  AgenGenerator *gen;
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;

  agen_test_socket_pair (&reader->a, &reader->b);
  reader->thread = main_thread;
  gen = agen_generator_new (reader_body, reader, NULL);
  g_assert_true (agen_test_next (gen, NULL, &r));
  agen_test_assert_none (&r.value);

  return gen;
}

static void
reader_clear (Reader *reader)
{
  g_clear_object (&reader->a);
  g_clear_object (&reader->b);
}

typedef struct
{
  AgenGenerator  *gen;
  Reader         *reader;
  AgenTestResult  result;
  gint            done;
} CancelConsumer;

static gpointer
cancel_consumer_thread (gpointer data)
{
  CancelConsumer *consumer = data;
  GMainContext *context = g_main_context_new ();
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;

  g_main_context_push_thread_default (context);

  agen_generator_next_async (consumer->gen, cancellable, agen_test_next_cb, &consumer->result);
  /* The body, on the main thread, gets to its read */
  agen_test_wait_atomic (&consumer->reader->awaiting, 1, 10000);
  g_usleep (20 * 1000);
  g_assert_false (consumer->result.done);

  g_cancellable_cancel (cancellable);
  agen_test_spin_until (&consumer->result.done, 10000);

  /* Blocking close from here: the body is at its last yield */
  g_assert_true (agen_generator_close (consumer->gen, NULL, &error));
  g_assert_no_error (error);

  g_main_context_pop_thread_default (context);
  g_main_context_unref (context);

  signal_main (&consumer->done, 1);
  return NULL;
}

static void
test_cancel_from_consumer_thread (void)
{
  Reader reader = { 0, };
  CancelConsumer consumer = { 0, };
  GThread *thread;

  g_test_summary ("a consumer on another thread cancels the GCancellable of "
                  "its next while the body (on the main thread) awaits a "
                  "socket read with the step cancellable: the read fails "
                  "with G_IO_ERROR_CANCELLED inside the body, which handles "
                  "it and yields a value that the consumer receives");

  consumer.gen = reader_new_started (&reader);
  consumer.reader = &reader;
  thread = g_thread_new ("cancel-consumer", cancel_consumer_thread, &consumer);
  agen_test_spin_until_atomic (&consumer.done, 1, 20000);
  g_thread_join (thread);

  agen_test_assert_yielded_int (&consumer.result, 42);
  g_assert_true (g_atomic_int_get (&reader.cancelled_inside));
  g_assert_cmpint (agen_generator_get_state (consumer.gen), ==, AGEN_GENERATOR_STATE_CLOSED);

  agen_test_result_clear (&consumer.result);
  g_object_unref (consumer.gen);
  reader_clear (&reader);
}

typedef struct
{
  GCancellable *cancellable;
  Reader       *reader;
} Canceller;

static gpointer
canceller_thread (gpointer data)
{
  Canceller *canceller = data;

  agen_test_wait_atomic (&canceller->reader->awaiting, 1, 10000);
  g_usleep (20 * 1000);
  g_cancellable_cancel (canceller->cancellable);

  return NULL;
}

static void
test_cancel_from_third_thread (void)
{
  Reader reader = { 0, };
  Canceller canceller = { 0, };
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  AgenGenerator *gen;
  GThread *thread;
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;

  g_test_summary ("the main thread (consumer and owner) calls next_async "
                  "with a cancellable that another thread cancels while the "
                  "body awaits a socket read: the body gets "
                  "G_IO_ERROR_CANCELLED, handles it and yields a value that "
                  "the consumer receives");

  gen = reader_new_started (&reader);
  canceller.cancellable = cancellable;
  canceller.reader = &reader;
  thread = g_thread_new ("canceller", canceller_thread, &canceller);

  agen_generator_next_async (gen, cancellable, agen_test_next_cb, &r);
  agen_test_spin_until (&r.done, 20000);
  g_thread_join (thread);

  agen_test_assert_yielded_int (&r, 42);
  g_assert_true (g_atomic_int_get (&reader.cancelled_inside));

  g_assert_true (agen_test_close (gen, NULL, &r));
  g_object_unref (gen);
  reader_clear (&reader);
}

/* Dropped on another thread ---------------------------------------------------- */

typedef struct
{
  AgenGenerator *gen;       /* the reference the worker drops */
  gint           advance;   /* blocking nexts before dropping */
  gint           advanced;
  gint           go;
  gint           dropped;
} Dropper;

static gpointer
dropper_thread (gpointer data)
{
  Dropper *dropper = data;
  GMainContext *context = NULL;
  gint i;

  /* Blocking nexts from a thread with a context of its own */
  if (dropper->advance > 0)
    {
      context = g_main_context_new ();
      g_main_context_push_thread_default (context);
    }

  for (i = 0; i < dropper->advance; i++)
    {
      g_auto(GValue) v = G_VALUE_INIT;
      g_autoptr(GError) error = NULL;

      g_assert_true (agen_generator_next (dropper->gen, NULL, &v, &error));
      g_assert_no_error (error);
      agen_test_assert_int (&v, i);
    }
  signal_main (&dropper->advanced, 1);

  /* The main thread has stopped iterating */
  agen_test_wait_atomic (&dropper->go, 1, 10000);
  g_object_unref (g_steal_pointer (&dropper->gen));
  g_atomic_int_set (&dropper->dropped, 1);

  if (context != NULL)
    {
      g_main_context_pop_thread_default (context);
      g_main_context_unref (context);
    }
  return NULL;
}

typedef struct
{
  gint     calls;
  gint     destroyed;
  gboolean close_done;
} FinalizerHook;

static void
hook_close_cb (GObject      *source,
               GAsyncResult *res,
               gpointer      user_data)
{
  FinalizerHook *hook = user_data;
  g_autoptr(GError) error = NULL;

  g_assert_true (g_thread_self () == main_thread);
  g_assert_true (agen_generator_close_finish (AGEN_GENERATOR (source), res, &error));
  g_assert_no_error (error);
  hook->close_done = TRUE;
  g_object_unref (source);
}

static void
finalizer_hook (AgenGenerator *generator,
                gpointer       user_data)
{
  FinalizerHook *hook = user_data;

  /* Dispatched on the owner context, on its thread */
  g_assert_true (g_thread_self () == main_thread);
  g_assert_true (g_main_context_is_owner (g_main_context_default ()));
  g_assert_cmpint (agen_generator_get_state (generator), ==, AGEN_GENERATOR_STATE_SUSPENDED);
  g_atomic_int_inc (&hook->calls);
  agen_generator_close_async (generator, NULL, hook_close_cb, hook);
}

static void
finalizer_hook_destroy (gpointer user_data)
{
  FinalizerHook *hook = user_data;

  g_atomic_int_inc (&hook->destroyed);
}

enum
{
  DROP_WITH_HOOK = 1 << 0,   /* a finalizer hook on the default context */
  DROP_ADVANCE   = 1 << 1,   /* the worker consumes a few values first */
};

static void
test_drop_suspended_from_other_thread (gconstpointer data)
{
  gint flags = GPOINTER_TO_INT (data);
  gboolean with_hook = (flags & DROP_WITH_HOOK) != 0;
  FinalizerHook hook = { 0, };
  TBody body = { 0, };
  Dropper dropper = { 0, };
  GThread *thread;

  g_test_summary ("a SUSPENDED generator (owned by the main context) whose "
                  "last reference a consumer drops on another thread: its "
                  "cleanup (or the finalizer hook) runs on the owner thread "
                  "once the owner context iterates, not in the unref");

  if (with_hook)
    agen_set_generator_hooks (NULL, NULL, finalizer_hook, &hook, finalizer_hook_destroy);

  dropper.gen = tbody_new_started (&body, -1);
  dropper.advance = (flags & DROP_ADVANCE) ? 3 : 0;
  thread = g_thread_new ("dropper", dropper_thread, &dropper);

  /* The worker's blocking nexts need the owner to iterate */
  agen_test_spin_until_atomic (&dropper.advanced, 1, 10000);

  /* Not iterating while the worker drops its reference */
  g_atomic_int_set (&dropper.go, 1);
  g_thread_join (thread);
  g_assert_true (g_atomic_int_get (&dropper.dropped));

  /* Nothing ran in the unref, on the worker */
  g_assert_cmpint (g_atomic_int_get (&body.cleanups), ==, 0);
  g_assert_cmpint (g_atomic_int_get (&hook.calls), ==, 0);
  g_assert_false (g_atomic_int_get (&body.finalized));

  agen_test_spin_until_atomic (&body.cleanup_done, 1, 10000);
  agen_test_spin_until_atomic (&body.finalized, 1, 10000);
  g_assert_cmpint (g_atomic_int_get (&body.cleanups), ==, 1);
  g_assert_cmpint (g_atomic_int_get (&body.destroyed), ==, 1);
  g_assert_cmpint (g_atomic_int_get (&hook.calls), ==, with_hook ? 1 : 0);

  if (with_hook)
    {
      g_assert_true (hook.close_done);
      agen_set_generator_hooks (NULL, NULL, NULL, NULL, NULL);
      g_assert_cmpint (g_atomic_int_get (&hook.destroyed), ==, 1);
    }
}

/* Shutdown from a worker ------------------------------------------------------- */

#define N_SHUTDOWN 20

typedef struct
{
  gboolean      own_context;
  GMainContext *context;
  gboolean      done;
  gboolean      ok;
  GError       *error;
  GThread      *callback_thread;
  gint          finished;
} ShutdownWorker;

static void
worker_shutdown_cb (GObject      *source,
                    GAsyncResult *res,
                    gpointer      user_data)
{
  ShutdownWorker *worker = user_data;

  worker->ok = agen_shutdown_generators_finish (res, &worker->error);
  worker->callback_thread = g_thread_self ();
  g_assert_true (g_main_context_get_thread_default () == worker->context);
  if (worker->own_context)
    worker->done = TRUE;
  else
    signal_main (&worker->finished, 1);
}

static gpointer
shutdown_worker_thread (gpointer data)
{
  ShutdownWorker *worker = data;

  if (!worker->own_context)
    {
      /* The callback goes to the global default context, on main */
      agen_shutdown_generators_async (NULL, NULL, worker_shutdown_cb, worker);
      return NULL;
    }

  worker->context = g_main_context_new ();
  g_main_context_push_thread_default (worker->context);

  agen_shutdown_generators_async (NULL, NULL, worker_shutdown_cb, worker);
  agen_test_spin_until (&worker->done, 30000);

  g_main_context_pop_thread_default (worker->context);
  g_main_context_unref (worker->context);

  signal_main (&worker->finished, 1);
  return NULL;
}

static void
test_shutdown_from_worker (gconstpointer data)
{
  gboolean own_context = GPOINTER_TO_INT (data);

  g_test_summary ("shutdown of the global default context called from a "
                  "worker thread while the main thread iterates it: every "
                  "live generator is closed, its cleanup on the main thread; "
                  "the callback runs in the worker's thread-default context "
                  "(in a subprocess: it marks the context shut down)");

  if (g_test_subprocess ())
    {
      TBody bodies[N_SHUTDOWN] = { { 0, }, };
      AgenGenerator *gens[N_SHUTDOWN];
      ShutdownWorker worker = { 0, };
      GThread *thread;
      guint i;

      for (i = 0; i < N_SHUTDOWN; i++)
        {
          bodies[i].sleep_ms = i % 2 ? 10 : 0;
          gens[i] = tbody_new_started (&bodies[i], -1);
        }
      /* Some on their first value, the others at the marker */
      for (i = 0; i < N_SHUTDOWN; i += 3)
        {
          g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;

          g_assert_true (agen_test_next (gens[i], NULL, &r));
          agen_test_assert_yielded_int (&r, 0);
        }

      worker.own_context = own_context;
      thread = g_thread_new ("shutdown", shutdown_worker_thread, &worker);
      agen_test_spin_until_atomic (&worker.finished, 1, 30000);
      g_thread_join (thread);

      g_assert_no_error (worker.error);
      g_assert_true (worker.ok);
      g_assert_true (worker.callback_thread == (own_context ? thread : main_thread));

      for (i = 0; i < N_SHUTDOWN; i++)
        {
          g_assert_cmpint (agen_generator_get_state (gens[i]), ==, AGEN_GENERATOR_STATE_CLOSED);
          g_assert_cmpint (g_atomic_int_get (&bodies[i].cleanups), ==, 1);
          g_object_unref (gens[i]);
          wait_finalized (&bodies[i].finalized);
        }
      return;
    }

  g_test_trap_subprocess (NULL, 120 * G_USEC_PER_SEC, 0);
  g_test_trap_assert_passed ();
}

/* Await results that arrive on another thread, as fast as it can send
 * them: each may arrive before or after the body has suspended in its
 * await. A stress test of the handover to the owner (it once lost or
 * double-delivered a result under this load). The hand-off queue uses
 * pthreads, which ThreadSanitizer sees, unlike GLib's locks. */
#define N_FOREIGN_AWAITS 100000

typedef struct
{
  GTask    *task;     /* NULL: stop */
  gpointer  token;    /* from agen_generator_prepare_await() */
} ForeignResult;

typedef struct
{
  pthread_mutex_t  lock;
  pthread_cond_t   cond;
  GQueue           results;
  guint            n;
} ForeignAwaits;

static void
foreign_push (ForeignAwaits *awaits,
              GTask         *task,
              gpointer       token)
{
  ForeignResult *result = g_new0 (ForeignResult, 1);

  result->task = task;
  result->token = token;
  pthread_mutex_lock (&awaits->lock);
  g_queue_push_tail (&awaits->results, result);
  pthread_cond_signal (&awaits->cond);
  pthread_mutex_unlock (&awaits->lock);
}

static gpointer
foreign_result_thread (gpointer data)
{
  ForeignAwaits *awaits = data;

  for (;;)
    {
      ForeignResult *result;

      pthread_mutex_lock (&awaits->lock);
      while (g_queue_is_empty (&awaits->results))
        pthread_cond_wait (&awaits->cond, &awaits->lock);
      result = g_queue_pop_head (&awaits->results);
      pthread_mutex_unlock (&awaits->lock);

      if (result->task == NULL)
        {
          g_free (result);
          return NULL;
        }
      /* Only the delivery happens here: a GTask returned on this thread
       * would hand itself to the owner through GLib's own locks, which
       * ThreadSanitizer does not see. */
      agen_generator_resume_callback (NULL, G_ASYNC_RESULT (result->task), result->token);
      g_object_unref (result->task);
      g_free (result);
    }
}

static gboolean
foreign_awaits_body (AgenGenerator *self,
                     gpointer       data,
                     GError       **error)
{
  ForeignAwaits *awaits = data;
  g_auto(GValue) v = G_VALUE_INIT;
  int sum = 0;

  for (guint i = 0; i < awaits->n; i++)
    {
      GTask *task = g_task_new (NULL, NULL, NULL, NULL);
      GAsyncResult *res;
      gssize got;

      foreign_push (awaits, task, agen_generator_prepare_await (self));
      res = agen_generator_await (self);
      g_assert_true (res == G_ASYNC_RESULT (task));
      g_task_return_int (task, 1);
      got = g_task_propagate_int (task, error);
      if (got != 1)
        return FALSE;
      sum += got;
    }

  return agen_generator_yield (self, agen_test_value_int (&v, sum), NULL, error);
}

static void
test_await_results_from_other_thread (void)
{
  ForeignAwaits awaits = { .n = N_FOREIGN_AWAITS };
  g_autoptr(AgenGenerator) gen = NULL;
  g_auto(GValue) v = G_VALUE_INIT;
  GError *error = NULL;
  GThread *thread;

#ifdef HAVE_VALGRIND
  if (RUNNING_ON_VALGRIND)
    awaits.n = 2000;
#endif

  pthread_mutex_init (&awaits.lock, NULL);
  pthread_cond_init (&awaits.cond, NULL);
  g_queue_init (&awaits.results);
  gen = agen_generator_new (foreign_awaits_body, &awaits, NULL);
  thread = g_thread_new ("results", foreign_result_thread, &awaits);

  g_assert_true (agen_generator_next (gen, NULL, &v, &error));
  g_assert_no_error (error);
  agen_test_assert_int (&v, (int) awaits.n);
  g_assert_true (agen_generator_close (gen, NULL, &error));

  foreign_push (&awaits, NULL, NULL);
  g_thread_join (thread);
  pthread_cond_destroy (&awaits.cond);
  pthread_mutex_destroy (&awaits.lock);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  main_thread = g_thread_self ();

  /* Create the global default context on the main thread. Run alone, a
   * test whose first use of it is on a worker would have the worker create
   * it, under GLib's lock, which ThreadSanitizer does not see: it then
   * reports the main thread's first poll of the context's wakeup fd. */
  g_main_context_default ();

  g_test_add_data_func ("/Agen/Threads/blocking-workers-drain",
                        GINT_TO_POINTER (FALSE), test_blocking_workers_drain);
  g_test_add_data_func ("/Agen/Threads/blocking-workers-drain-own-context",
                        GINT_TO_POINTER (TRUE), test_blocking_workers_drain);
  g_test_add_func ("/Agen/Threads/async-from-worker-context", test_async_from_worker_context);
  g_test_add_data_func ("/Agen/Threads/blocking-does-not-spin",
                        GINT_TO_POINTER (FALSE), test_blocking_does_not_spin);
  g_test_add_data_func ("/Agen/Threads/blocking-does-not-spin-own-context",
                        GINT_TO_POINTER (TRUE), test_blocking_does_not_spin);
  g_test_add_data_func ("/Agen/Threads/handover-waits-for-owner/blocking",
                        GINT_TO_POINTER (FALSE), test_handover_waits_for_owner);
  g_test_add_data_func ("/Agen/Threads/handover-waits-for-owner/async",
                        GINT_TO_POINTER (TRUE), test_handover_waits_for_owner);
  g_test_add_func ("/Agen/Threads/owned-by-worker-context", test_owned_by_worker_context);
  g_test_add_func ("/Agen/Threads/await-results-from-other-thread", test_await_results_from_other_thread);
  g_test_add_func ("/Agen/Threads/cancel-from-consumer-thread", test_cancel_from_consumer_thread);
  g_test_add_func ("/Agen/Threads/cancel-from-third-thread", test_cancel_from_third_thread);
  g_test_add_data_func ("/Agen/Threads/drop-suspended-from-other-thread",
                        GINT_TO_POINTER (0), test_drop_suspended_from_other_thread);
  g_test_add_data_func ("/Agen/Threads/drop-suspended-from-other-thread-after-consuming",
                        GINT_TO_POINTER (DROP_ADVANCE), test_drop_suspended_from_other_thread);
  g_test_add_data_func ("/Agen/Threads/drop-suspended-from-other-thread-finalizer-hook",
                        GINT_TO_POINTER (DROP_WITH_HOOK | DROP_ADVANCE), test_drop_suspended_from_other_thread);
  g_test_add_data_func ("/Agen/Threads/shutdown-from-worker",
                        GINT_TO_POINTER (TRUE), test_shutdown_from_worker);
  g_test_add_data_func ("/Agen/Threads/shutdown-from-worker-callback-on-main",
                        GINT_TO_POINTER (FALSE), test_shutdown_from_worker);

  return g_test_run ();
}
