/* fuzz-generator.c — model-based fuzzer of AgenGenerator (libFuzzer)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Each input decodes into a program (fuzz-script.h): scripted generator
 * bodies and consumer steps. For every step the reference model
 * (fuzz-model.c) predicts the outcome, the states, the async outcomes and
 * the ordered events; then the step runs on the library, here, and any
 * difference aborts with a report. See tests/fuzz/README.md.
 *
 * Everything runs in a fresh GMainContext per input, pushed as the main
 * thread's thread-default, which owns every generator. Steps are atomic:
 * the harness iterates the context until everything a step started has
 * completed before it goes on. References a body takes on other
 * generators go to a release list that is emptied, in order, between
 * steps (so that finalization happens there too).
 *
 * Environment:
 *   FUZZ_VERBOSE=1     print each program and each step's outcome
 *   FUZZ_KNOWN_BUGS=abandon-await,second-finish,spurious-resume (or 1, all)
 *                      also generate cases of library bugs known and being
 *                      fixed (FZ_BUG_* in fuzz-script.h)
 */

#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <agen.h>

#include "fuzz-model.h"
#include "fuzz-script.h"

typedef struct _Fuzz Fuzz;

typedef struct
{
  Fuzz          *fz;
  int            idx;
  AgenGenerator *gen;      /* the consumer's reference, or NULL */
  AgenGenerator *obj;      /* borrowed; valid until finalized */
  AgenGenerator *held;     /* the inner of the body's yield_from in progress */
  GError        *saved;    /* the error the body caught last */
  int            destroyed;
  gboolean       finalized;
  gboolean       notified;        /* notify::state seen */
  int            notified_state;  /* the state it reported last */

  /* A driven body: where its script is, and what its step has. */
  gboolean       started;
  int            pc;
  FzVal          rv;
  gboolean       rv_set;
  gboolean       in_step_fn;      /* its step function is on the stack */
  GCancellable  *cancellable;     /* the step's, until it is answered */
  FzOpKind       inner_kind;      /* the op it made on its inner or target */
  gboolean       inner_closing;   /* yield_from: closing the inner */
  AgenGenerator *target;          /* FZ_I_OP: the target, while the op runs */
  GInputStream  *stream;          /* FZ_AWAIT_STREAM */
} FzGen;

struct _Fuzz
{
  FzProgram     prog;
  FzModel       model;
  FzEventLog    expected;
  FzEventLog    actual;

  GMainContext *ctx;
  GMainContext *other_ctx;   /* where FZ_FORM_ASYNC_OTHER_CONTEXT calls
                                from; created on first use */
  GSource      *watchdog;
  FzGen         gens[FZ_MAX_GENS];
  GPtrArray    *releases;

  /* The step in progress */
  int           step_index;
  FzStep       *step;
  GCancellable *step_cancellable;
  gboolean      armed;       /* its first await is still to come */
  gboolean      in_call;     /* inside an _async call of the consumer */
  gboolean      in_try;      /* inside the calls of a FZ_STEP_TRY */

  int           issued[FZ_MAX_GENS];   /* _async calls per generator in
                                          the step (FzModel.issued) */
  int           next_async;  /* async ids issued */
  gboolean      delivered[FZ_MAX_ASYNC];

  int           suppress_logs;
};

static Fuzz fuzz;
static gboolean verbose;
static unsigned known_bugs;   /* FZ_BUG_* */
static Fuzz *current;   /* for the log writer */
static GThread *main_thread;
static const char *stack_lo, *stack_hi;   /* the main thread's own stack */

G_DEFINE_QUARK (agen-fuzz-error-quark, fz_error)

/* ------------------------------------------------------------------------
 * Failure reports
 * ------------------------------------------------------------------------ */

static void
print_logs (Fuzz *fz)
{
  size_t n = MAX (fz->expected.n, fz->actual.n);
  size_t i;

  fprintf (stderr, "events (expected | actual):\n");
  for (i = 0; i < n; i++)
    {
      char e[160] = "", a[160] = "";
      gboolean same = i < fz->expected.n && i < fz->actual.n &&
                      memcmp (&fz->expected.ev[i], &fz->actual.ev[i], sizeof (FzEvent)) == 0;

      if (i < fz->expected.n)
        fz_describe_event (e, sizeof e, &fz->expected.ev[i]);
      if (i < fz->actual.n)
        fz_describe_event (a, sizeof a, &fz->actual.ev[i]);
      fprintf (stderr, "  %s%3zu  %-58s | %s\n", same ? "  " : "!!", i, e, a);
    }
}

static void G_GNUC_PRINTF (2, 3) G_GNUC_NORETURN
fz_fail (Fuzz       *fz,
         const char *format,
         ...)
{
  va_list args;

  fprintf (stderr, "\n==== agen fuzz: MISMATCH ====\n");
  va_start (args, format);
  vfprintf (stderr, format, args);
  va_end (args);
  fprintf (stderr, "\nat step %d\n", fz->step_index);
  fz_program_print (&fz->prog);
  print_logs (fz);
  fflush (stderr);
  abort ();
}

/* ------------------------------------------------------------------------
 * Values and errors
 * ------------------------------------------------------------------------ */

static char strings[64][4];

static GValue *
value_init (GValue *value,
            FzVal   v)
{
  switch (v.kind)
    {
    case FZ_VAL_NONE:
      g_value_init (value, G_TYPE_POINTER);
      g_value_set_pointer (value, NULL);
      return value;
    case FZ_VAL_INT:
      g_value_init (value, G_TYPE_INT);
      g_value_set_int (value, v.n);
      return value;
    case FZ_VAL_STR:
      /* Static: a body destroyed without unwinding (at a yield, after an
       * ignored exit) must not leak the value it yielded. */
      g_value_init (value, G_TYPE_STRING);
      g_value_set_static_string (value, strings[v.n & 63]);
      return value;
    case FZ_VAL_NULL:
    default:
      return NULL;
    }
}

static FzVal
value_read (const GValue *value)
{
  if (!G_IS_VALUE (value))
    return fz_val (FZ_VAL_BAD, 0);

  if (G_VALUE_HOLDS_POINTER (value) && g_value_get_pointer (value) == NULL)
    return fz_val (FZ_VAL_NONE, 0);

  if (G_VALUE_HOLDS_INT (value))
    {
      int n = g_value_get_int (value);

      return n >= 0 && n < 256 ? fz_val (FZ_VAL_INT, (uint8_t) n) : fz_val (FZ_VAL_BAD, 1);
    }

  if (G_VALUE_HOLDS_STRING (value))
    {
      const char *s = g_value_get_string (value);
      guint64 n;

      if (s != NULL && s[0] == 's' &&
          g_ascii_string_to_unsigned (s + 1, 10, 0, 255, &n, NULL))
        return fz_val (FZ_VAL_STR, (uint8_t) n);
      return fz_val (FZ_VAL_BAD, 2);
    }

  return fz_val (FZ_VAL_BAD, 3);
}

static void
value_clear (GValue *value)
{
  if (G_IS_VALUE (value))
    g_value_unset (value);
}

static FzErr
error_read (const GError *error)
{
  if (error == NULL)
    return fz_err (FZ_DOM_NONE, 0);
  if (error->domain == AGEN_ERROR)
    return fz_err (FZ_DOM_AGEN, (uint8_t) error->code);
  if (error->domain == fz_error_quark ())
    return fz_err (FZ_DOM_FUZZ, (uint8_t) error->code);
  if (error->domain == G_IO_ERROR)
    return fz_err (FZ_DOM_IO, (uint8_t) error->code);
  return fz_err (FZ_DOM_OTHER, (uint8_t) error->code);
}

static GError *
error_new (FzErr e)
{
  GQuark domain;

  switch (e.domain)
    {
    case FZ_DOM_AGEN: domain = AGEN_ERROR; break;
    case FZ_DOM_IO: domain = G_IO_ERROR; break;
    case FZ_DOM_FUZZ:
    default: domain = fz_error_quark (); break;
    }

  return g_error_new (domain, e.code, "fuzz error %u", e.code);
}

/* ------------------------------------------------------------------------
 * Events
 * ------------------------------------------------------------------------ */

static void
ev (Fuzz     *fz,
    uint8_t   type,
    int       gen,
    int       pc,
    uint32_t  a,
    uint32_t  b,
    uint32_t  c)
{
  fz_log_add (&fz->actual, type, (uint8_t) gen, (uint8_t) pc, a, b, c);
}

static int
gen_index (Fuzz          *fz,
           AgenGenerator *gen)
{
  int i;

  for (i = 0; i < fz->prog.n_gens; i++)
    if (fz->gens[i].obj == gen && !fz->gens[i].finalized)
      return i;
  return 0xff;
}

/* User code (callbacks, notify handlers, destroy notifies, hooks) must
 * run on the thread's own stack, never on a fiber's. */
static void
check_thread_stack (Fuzz       *fz,
                    const char *what)
{
  volatile char here = 0;

  if (g_thread_self () != main_thread)
    return;
  if ((const char *) &here < stack_lo || (const char *) &here >= stack_hi)
    fz_fail (fz, "%s ran on a fiber's stack", what);
}

static void
init_stack_bounds (void)
{
  pthread_attr_t attr;
  void *addr;
  size_t size;

  if (pthread_getattr_np (pthread_self (), &attr) != 0 ||
      pthread_attr_getstack (&attr, &addr, &size) != 0)
    g_error ("cannot find the main thread's stack");
  stack_lo = addr;
  stack_hi = (const char *) addr + size;
  pthread_attr_destroy (&attr);
}

static GLogWriterOutput
log_writer (GLogLevelFlags   log_level,
            const GLogField *fields,
            gsize            n_fields,
            gpointer         user_data)
{
  Fuzz *fz = current;
  const char *message = "";
  gsize i;

  if (fz == NULL || (log_level & (G_LOG_LEVEL_WARNING | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_ERROR)) == 0)
    {
      if (log_level & (G_LOG_LEVEL_DEBUG | G_LOG_LEVEL_INFO))
        return G_LOG_WRITER_HANDLED;
      return g_log_writer_default (log_level, fields, n_fields, user_data);
    }

  for (i = 0; i < n_fields; i++)
    if (g_strcmp0 (fields[i].key, "MESSAGE") == 0 && fields[i].length < 0)
      message = fields[i].value;

  if (fz->suppress_logs > 0)
    return G_LOG_WRITER_HANDLED;

  if (g_thread_self () != main_thread)
    {
      fprintf (stderr, "agen fuzz: message from another thread: %s\n", message);
      abort ();
    }

  if (strstr (message, "Closing abandoned generator") != NULL)
    ev (fz, FZ_EV_WARN_CLOSE_FAILED, 0xff, 0, 0, 0, 0);
  else if (strstr (message, "was destroyed while suspended") != NULL)
    ev (fz, FZ_EV_WARN_UNCLEANED, 0xff, 0, 0, 0, 0);
  else if (strstr (message, "returned FALSE without setting an error") != NULL)
    ev (fz, FZ_EV_CRIT_NO_ERROR, 0xff, 0, 0, 0, 0);
  else if (strstr (message, "returned TRUE but set an error") != NULL)
    ev (fz, FZ_EV_CRIT_TRUE_ERROR, 0xff, 0, 0, 0, 0);
  else if (strstr (message, "agen_generator_await() may only be called from the body") != NULL ||
           strstr (message, "agen_generator_set_return_value() may only be called from") != NULL)
    ev (fz, FZ_EV_CRIT_FOREIGN, 0xff, 0, 0, 0, 0);
  else
    {
      fprintf (stderr, "agen fuzz: unexpected log message: %s\n", message);
      ev (fz, FZ_EV_LOG_UNKNOWN, 0xff, 0, 0, 0, 0);
    }

  return G_LOG_WRITER_HANDLED;
}

/* ------------------------------------------------------------------------
 * Main loop helpers
 * ------------------------------------------------------------------------ */

static gboolean
watchdog_cb (gpointer data)
{
  fz_fail (data, "hang: the main context was iterated for 30 s (a callback or "
           "resume that never comes)");
  return G_SOURCE_REMOVE;
}

/* Callbacks handed to the callback thread and not yet delivered: the main
 * loop has nothing to see of them yet, but must wait. */
static gint callback_jobs;

/* Iterates until nothing is ready any more. Everything the harness starts
 * completes through idles, 0 ms timeouts and the callback thread, so this
 * is quiescence. */
static void
settle (Fuzz *fz)
{
  int quiet = 0;
  int i;

  for (i = 0; i < 200000; i++)
    {
      gboolean dispatched = g_main_context_iteration (fz->ctx, FALSE);

      if (fz->other_ctx != NULL)
        dispatched |= g_main_context_iteration (fz->other_ctx, FALSE);
      if (dispatched)
        quiet = 0;
      else if (g_atomic_int_get (&callback_jobs) > 0)
        {
          quiet = 0;
          g_thread_yield ();
        }
      /* A pass that dispatched nothing saw every source attached before
       * it: only another thread can make something ready now. */
      else if (++quiet >= 2)
        return;
    }

  fz_fail (fz, "the main context never settles");
}

static void
defer_release (Fuzz          *fz,
               AgenGenerator *gen)
{
  g_ptr_array_add (fz->releases, gen);
}

static void
process_releases (Fuzz *fz)
{
  while (fz->releases->len > 0)
    {
      gpointer gen = g_ptr_array_steal_index (fz->releases, 0);

      g_object_unref (gen);
      settle (fz);
    }
}

/* ------------------------------------------------------------------------
 * Ops
 * ------------------------------------------------------------------------ */

/* The blocking forms. */
static FzOutcome
run_blocking (AgenGenerator   *gen,
              const FzOpSpec  *op,
              GCancellable    *cancellable,
              GError         **error_out)
{
  GValue in = G_VALUE_INIT;
  GValue out = G_VALUE_INIT;
  GError *error = NULL;
  FzOutcome outcome;

  switch (op->kind)
    {
    case FZ_OP_NEXT:
      outcome.ret = agen_generator_next (gen, cancellable, &out, &error);
      break;
    case FZ_OP_SEND:
      outcome.ret = agen_generator_send (gen, value_init (&in, op->val), cancellable,
                                         &out, &error);
      break;
    case FZ_OP_THROW:
      {
        GError *thrown = error_new (op->err);

        outcome.ret = agen_generator_throw (gen, thrown, cancellable, &out, &error);
        g_error_free (thrown);
      }
      break;
    case FZ_OP_CLOSE:
    default:
      outcome.ret = agen_generator_close (gen, cancellable, &error);
      g_value_init (&out, G_TYPE_POINTER);   /* close has no value: None */
      break;
    }

  outcome.val = value_read (&out);
  outcome.err = error_read (error);
  value_clear (&in);
  value_clear (&out);

  if (error_out != NULL)
    *error_out = error;
  else
    g_clear_error (&error);

  return outcome;
}

typedef struct
{
  Fuzz          *fz;
  int            id;       /* an async expectation, or -1: the step's op */
  GMainContext  *caller;   /* the thread-default of the _async call */
  FzOpKind       kind;
  AgenGenerator *source;
  gboolean       done;
  FzOutcome      outcome;
} Call;

/* Besides the FzOpKinds: a wait_async. */
#define FZ_OP_WAIT 4

static FzOutcome
finish_op (AgenGenerator *gen,
           FzOpKind       kind,
           GAsyncResult  *result)
{
  GValue out = G_VALUE_INIT;
  GError *error = NULL;
  FzOutcome outcome;

  switch ((int) kind)
    {
    case FZ_OP_WAIT:
      outcome.ret = agen_generator_wait_finish (gen, result, &out, &error);
      break;
    case FZ_OP_NEXT:
      outcome.ret = agen_generator_next_finish (gen, result, &out, &error);
      break;
    case FZ_OP_SEND:
      outcome.ret = agen_generator_send_finish (gen, result, &out, &error);
      break;
    case FZ_OP_THROW:
      outcome.ret = agen_generator_throw_finish (gen, result, &out, &error);
      break;
    case FZ_OP_CLOSE:
    default:
      outcome.ret = agen_generator_close_finish (gen, result, &error);
      g_value_init (&out, G_TYPE_POINTER);
      break;
    }

  outcome.val = value_read (&out);
  outcome.err = error_read (error);
  value_clear (&out);
  g_clear_error (&error);

  return outcome;
}

static FzOutcome
run_try_next (AgenGenerator *gen)
{
  GValue out = G_VALUE_INIT;
  GError *error = NULL;
  FzOutcome outcome;

  outcome.ret = agen_generator_try_next (gen, &out, &error);
  outcome.val = value_read (&out);
  outcome.err = error_read (error);
  value_clear (&out);
  g_clear_error (&error);
  return outcome;
}

static gboolean
outcome_equal (const FzOutcome *a,
               const FzOutcome *b)
{
  return a->ret == b->ret &&
         fz_val_code (a->val) == fz_val_code (b->val) &&
         fz_err_code (a->err) == fz_err_code (b->err);
}

static void
check_outcome (Fuzz            *fz,
               const char      *what,
               const FzOutcome *expected,
               const FzOutcome *actual)
{
  char e[128], a[128];

  if (outcome_equal (expected, actual))
    return;

  fz_describe_outcome (e, sizeof e, expected);
  fz_describe_outcome (a, sizeof a, actual);
  fz_fail (fz, "%s:\n  expected %s\n  actual   %s", what, e, a);
}

static void
check_async (Fuzz            *fz,
             int              id,
             const FzOutcome *actual)
{
  char what[96];

  if (id >= fz->model.n_async)
    fz_fail (fz, "async op %d was started, but the model started only %d", id,
             fz->model.n_async);
  if (fz->delivered[id])
    fz_fail (fz, "async op %d completed twice", id);
  fz->delivered[id] = TRUE;

  snprintf (what, sizeof what, "outcome of async op %d (on g%u)", id,
            fz->model.async[id].target);
  check_outcome (fz, what, &fz->model.async[id].expect, actual);
}

static void
call_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      data)
{
  Call *call = data;
  Fuzz *fz = call->fz;
  FzOutcome outcome;

  check_thread_stack (fz, "an async callback");
  if (fz->in_call || fz->in_try)
    fz_fail (fz, "a callback ran inside the _async call");
  if (g_main_current_source () == NULL ||
      g_source_get_context (g_main_current_source ()) != call->caller)
    fz_fail (fz, "a callback ran outside the caller's thread-default context");
  if (source != (GObject *) call->source)
    fz_fail (fz, "a callback got the wrong source object");

  outcome = finish_op (call->source, call->kind, result);

  if (call->id < 0)
    {
      if (known_bugs & FZ_BUG_SECOND_FINISH)
        {
          FzOutcome again;

          /* Known bug: a second _finish must not succeed again. */
          fz->suppress_logs++;
          again = finish_op (call->source, call->kind, result);
          fz->suppress_logs--;
          if (again.ret)
            fz_fail (fz, "a second _finish on the same result returned TRUE");
        }

      call->outcome = outcome;
      call->done = TRUE;
      /* What runs after this (a finalizer's close) is not the step. */
      fz->armed = FALSE;
      return;
    }

  check_async (fz, call->id, &outcome);
  g_free (call);
}

static void
count_issued (Fuzz          *fz,
              AgenGenerator *gen)
{
  int i = gen_index (fz, gen);

  if (i < FZ_MAX_GENS)
    fz->issued[i]++;
}

static Fuzz *
fz_of_call (Call *call)
{
  return call->fz;
}

static void
start_async (AgenGenerator  *gen,
             const FzOpSpec *op,
             GCancellable   *cancellable,
             Call           *call)
{
  GValue in = G_VALUE_INIT;

  call->kind = op->kind;
  call->source = gen;
  call->caller = g_main_context_get_thread_default ();
  count_issued (fz_of_call (call), gen);

  switch (op->kind)
    {
    case FZ_OP_NEXT:
      agen_generator_next_async (gen, cancellable, call_cb, call);
      break;
    case FZ_OP_SEND:
      agen_generator_send_async (gen, value_init (&in, op->val), cancellable, call_cb, call);
      value_clear (&in);
      break;
    case FZ_OP_THROW:
      {
        GError *thrown = error_new (op->err);

        agen_generator_throw_async (gen, thrown, cancellable, call_cb, call);
        g_error_free (thrown);
      }
      break;
    case FZ_OP_CLOSE:
    default:
      agen_generator_close_async (gen, cancellable, call_cb, call);
      break;
    }
}

/* An op whose outcome the model keeps as async expectation `id`. */
static void
issue_async (Fuzz           *fz,
             AgenGenerator  *gen,
             const FzOpSpec *op,
             GCancellable   *cancellable)
{
  Call *call = g_new0 (Call, 1);

  call->fz = fz;
  call->id = fz->next_async++;
  if (call->id >= FZ_MAX_ASYNC)
    fz_fail (fz, "too many async ops");
  start_async (gen, op, cancellable, call);
}

/* ------------------------------------------------------------------------
 * The step's first await: cancellation and probes
 * ------------------------------------------------------------------------ */

static gboolean
first_await_cb (gpointer data)
{
  Fuzz *fz = data;
  FzStep *step = fz->step;
  int p;

  if (step->cancel == FZ_CANCEL_DURING)
    g_cancellable_cancel (fz->step_cancellable);

  for (p = 0; p < step->n_probes; p++)
    {
      FzProbe *probe = &step->probes[p];
      AgenGenerator *gen = fz->gens[probe->target].gen;
      GCancellable *cancellable = NULL;

      if (probe->skip)
        continue;
      if (gen == NULL)
        fz_fail (fz, "probe %d: the model thinks g%u is still held", p, probe->target);

      if (probe->cancelled)
        {
          cancellable = g_cancellable_new ();
          g_cancellable_cancel (cancellable);
        }

      if (probe->blocking)
        {
          int id = fz->next_async++;
          FzOutcome outcome = run_blocking (gen, &probe->op, cancellable, NULL);

          check_async (fz, id, &outcome);
        }
      else
        {
          issue_async (fz, gen, &probe->op, cancellable);
        }

      g_clear_object (&cancellable);
    }

  return G_SOURCE_REMOVE;
}

/* Every await of a body calls this first: at the first await of the step
 * in progress, an idle above the default priority runs before what is
 * awaited can complete. */
static void
at_await (Fuzz *fz)
{
  GSource *source;

  if (!fz->armed)
    return;
  fz->armed = FALSE;

  source = g_idle_source_new ();
  g_source_set_priority (source, G_PRIORITY_HIGH);
  g_source_set_callback (source, first_await_cb, fz, NULL);
  g_source_attach (source, fz->ctx);
  g_source_unref (source);
}

/* ------------------------------------------------------------------------
 * What bodies await
 * ------------------------------------------------------------------------ */

static gboolean
return_task_cb (gpointer data)
{
  g_task_return_boolean (G_TASK (data), TRUE);
  return G_SOURCE_REMOVE;
}

/* Callbacks delivered from another thread, as some libraries do: one
 * thread for the whole run, fed through a queue. */
typedef struct
{
  GTask         *task;
  AgenGenerator *gen;
  gint          *delivered;   /* set once the callback returned, or NULL */
  GFunc          func;        /* or else this, with task and func_data */
  gpointer       func_data;
} CallbackJob;

static GAsyncQueue *callback_queue;

static gpointer
callback_thread_main (gpointer data)
{
  for (;;)
    {
      CallbackJob *job = g_async_queue_pop (callback_queue);

      if (job->func != NULL)
        job->func (job->task, job->func_data);
      else
        agen_generator_resume_callback (NULL, G_ASYNC_RESULT (job->task), job->gen);
      g_clear_object (&job->task);
      if (job->delivered != NULL)
        g_atomic_int_set (job->delivered, 1);
      g_free (job);
      g_atomic_int_add (&callback_jobs, -1);
    }

  return NULL;
}

static void
callback_thread_push_job (CallbackJob *job)
{
  if (callback_queue == NULL)
    {
      callback_queue = g_async_queue_new ();
      g_thread_unref (g_thread_new ("fuzz-callbacks", callback_thread_main, NULL));
    }

  g_atomic_int_inc (&callback_jobs);
  g_async_queue_push (callback_queue, job);
}

static void
callback_thread_push (GTask         *task,
                      AgenGenerator *gen,
                      gint          *delivered)
{
  CallbackJob *job = g_new0 (CallbackJob, 1);

  job->task = g_object_ref (task);
  job->gen = gen;
  job->delivered = delivered;
  callback_thread_push_job (job);
}

/* Runs func (task, data) on the callback thread; task may be NULL. */
static void
callback_thread_run (GFunc     func,
                     GTask    *task,
                     gpointer  data,
                     gint     *delivered)
{
  CallbackJob *job = g_new0 (CallbackJob, 1);

  job->task = task != NULL ? g_object_ref (task) : NULL;
  job->func = func;
  job->func_data = data;
  job->delivered = delivered;
  callback_thread_push_job (job);
}

typedef struct
{
  GTask         *task;
  AgenGenerator *gen;
} Handoff;

/* From the main loop, so after the body waits. */
static gboolean
handoff_cb (gpointer data)
{
  Handoff *handoff = data;

  callback_thread_push (handoff->task, handoff->gen, NULL);
  g_object_unref (handoff->task);
  g_free (handoff);
  return G_SOURCE_REMOVE;
}

/* A GTask that has its result already, for a callback made by hand. */
static GTask *
task_returned (GCancellable *cancellable)
{
  GTask *task = g_task_new (NULL, cancellable, NULL, NULL);

  g_task_return_boolean (task, TRUE);
  return task;
}

static gboolean
await_something (Fuzz           *fz,
                 AgenGenerator  *self,
                 FzAwaitKind     kind,
                 GCancellable   *cancellable,
                 GError        **error)
{
  GAsyncResult *result;
  GTask *task;

  if (fz_await_suspends (kind))
    at_await (fz);

  switch (kind)
    {
    case FZ_AWAIT_THREAD:
      {
        Handoff *handoff = g_new0 (Handoff, 1);
        GSource *source = g_idle_source_new ();

        handoff->task = task_returned (cancellable);
        handoff->gen = agen_generator_prepare_await (self);
        g_source_set_callback (source, handoff_cb, handoff, NULL);
        g_source_attach (source, g_main_context_get_thread_default ());
        g_source_unref (source);
      }
      break;

    case FZ_AWAIT_THREAD_EARLY:
      {
        gint delivered = 0;

        task = task_returned (cancellable);
        callback_thread_push (task, agen_generator_prepare_await (self), &delivered);
        g_object_unref (task);
        while (!g_atomic_int_get (&delivered))
          g_thread_yield ();
      }
      break;

    case FZ_AWAIT_SYNC:
      task = task_returned (cancellable);
      agen_generator_resume_callback (NULL, G_ASYNC_RESULT (task),
                                      agen_generator_prepare_await (self));
      g_object_unref (task);
      break;

    case FZ_AWAIT_STREAM:
      {
        static char buffer[8];
        GInputStream *stream = g_memory_input_stream_new_from_data ("abc", 3, NULL);
        gssize n;

        g_input_stream_read_async (stream, buffer, sizeof buffer, G_PRIORITY_DEFAULT,
                                   cancellable, AGEN_AWAIT_CALLBACK (self));
        result = agen_generator_await (self);
        n = g_input_stream_read_finish (stream, result, error);
        g_object_unref (stream);
        if (n < 0)
          return FALSE;
        if (n != 3)
          fz_fail (fz, "the stream read %" G_GSSIZE_FORMAT " bytes", n);
        return TRUE;
      }

    case FZ_AWAIT_GTASK:
      task = g_task_new (NULL, cancellable, AGEN_AWAIT_CALLBACK (self));
      /* Returned at once: GTask calls back from a later iteration. */
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
      break;

    case FZ_AWAIT_TIMEOUT:
    case FZ_AWAIT_IDLE:
    case FZ_N_AWAIT_KINDS:
    default:
      {
        GSource *source = kind == FZ_AWAIT_TIMEOUT ? g_timeout_source_new (0)
                                                   : g_idle_source_new ();

        task = g_task_new (NULL, cancellable, AGEN_AWAIT_CALLBACK (self));
        /* The source owns the task. */
        g_source_set_callback (source, return_task_cb, task, g_object_unref);
        g_source_attach (source, g_main_context_get_thread_default ());
        g_source_unref (source);
      }
      break;
    }

  result = agen_generator_await (self);
  if (!G_IS_TASK (result))
    fz_fail (fz, "await returned something that is not the task awaited");
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ------------------------------------------------------------------------
 * The body
 * ------------------------------------------------------------------------ */

/* FZ_I_FOREIGN, from a fiber body or a step function (self): the
 * body-side call ins->b on target, which must refuse it; where names the
 * caller in a failure report. Records the event. TRUE when the call
 * succeeded or failed without an error; FALSE with *local set otherwise. */
static gboolean
foreign_call (FzGen          *fg,
              const FzIns    *ins,
              int             pc,
              AgenGenerator  *self,
              AgenGenerator  *target,
              const char     *where,
              GError        **local)
{
  Fuzz *fz = fg->fz;
  GValue value = G_VALUE_INIT;
  GValue out = G_VALUE_INIT;
  gboolean ok = TRUE;

  switch (ins->b)
    {
    case FZ_FOREIGN_YIELD:
      ok = agen_generator_yield (target, value_init (&value, fz_val (FZ_VAL_INT, 1)),
                                 &out, local);
      break;
    case FZ_FOREIGN_YIELD_FROM:
      ok = agen_generator_yield_from (target, self, &out, local);
      break;
    case FZ_FOREIGN_AWAIT:
      if (agen_generator_await (target) != NULL)
        fz_fail (fz, "g%d: %s returned a result", fg->idx, where);
      break;
    case FZ_FOREIGN_SET_RV:
    default:
      agen_generator_set_return_value (target, value_init (&value, fz_val (FZ_VAL_INT, 2)));
      break;
    }
  value_clear (&value);
  if ((ins->b == FZ_FOREIGN_YIELD || ins->b == FZ_FOREIGN_YIELD_FROM) &&
      fz_val_code (value_read (&out)) != fz_val_code (fz_val (FZ_VAL_NONE, 0)))
    fz_fail (fz, "g%d: a refused body-side call left its out value other than None",
             fg->idx);
  value_clear (&out);

  ev (fz, FZ_EV_FOREIGN, fg->idx, pc, fz_err_code (error_read (*local)), 0, 0);
  if (ok || *local == NULL)
    {
      g_clear_error (local);
      return TRUE;
    }
  return FALSE;
}

/* A failing instruction: propagate (TRUE: the body returns FALSE with
 * *local) or catch and go on at pc + fail. */
static gboolean
body_fail (FzGen        *fg,
           int          *pc,
           const FzIns  *ins,
           GError      **local,
           GError      **error)
{
  if (ins->fail == 0)
    {
      ev (fg->fz, FZ_EV_END, fg->idx, 0, 0, 0, 0);
      g_propagate_error (error, g_steal_pointer (local));
      return TRUE;
    }

  g_clear_error (&fg->saved);
  fg->saved = g_steal_pointer (local);
  *pc += ins->fail;
  return FALSE;
}

static gboolean
abandon_idle_cb (gpointer data)
{
  g_task_return_boolean (G_TASK (data), TRUE);
  return G_SOURCE_REMOVE;
}

/* Finishes a wait and hands its outcome to the GTask a body awaits. */
static void
relay_wait_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      data)
{
  GTask *task = data;
  FzOutcome *outcome = g_new (FzOutcome, 1);

  *outcome = finish_op (AGEN_GENERATOR (source), FZ_OP_WAIT, result);
  g_task_return_pointer (task, outcome, g_free);
  g_object_unref (task);
}

static gboolean
fiber_body (AgenGenerator  *self,
            gpointer        user_data,
            GError        **error)
{
  FzGen *fg = user_data;
  Fuzz *fz = fg->fz;
  const FzScript *script = &fz->prog.scripts[fg->idx];
  int pc = 0;

  ev (fz, FZ_EV_START, fg->idx, 0, 0, 0, 0);

  while (pc < script->n_ins)
    {
      const FzIns *ins = &script->ins[pc];
      GError *local = NULL;

      if (agen_generator_get_state (self) != AGEN_GENERATOR_STATE_RUNNING ||
          !agen_generator_get_running (self))
        fz_fail (fz, "g%d: its body runs while its state is %s", fg->idx,
                 fz_state_name (agen_generator_get_state (self)));

      switch (ins->kind)
        {
        case FZ_I_YIELD:
          {
            GValue value = G_VALUE_INIT;
            GValue sent = G_VALUE_INIT;
            gboolean ok;

            ok = agen_generator_yield (self, value_init (&value, fz_decode_val (ins->a)),
                                       &sent, &local);
            value_clear (&value);
            if (ok)
              {
                ev (fz, FZ_EV_RESUMED, fg->idx, pc, fz_val_code (value_read (&sent)), 0, 0);
                value_clear (&sent);
                pc++;
                break;
              }
            if (fz_val_code (value_read (&sent)) != fz_val_code (fz_val (FZ_VAL_NONE, 0)))
              fz_fail (fz, "g%d: a failed yield left sent other than None", fg->idx);
            value_clear (&sent);
            ev (fz, FZ_EV_YIELD_FAILED, fg->idx, pc, fz_err_code (error_read (local)), 0, 0);
            if (body_fail (fg, &pc, ins, &local, error))
              return FALSE;
          }
          break;

        case FZ_I_AWAIT:
          {
            GCancellable *cancellable = ins->b ? agen_generator_get_cancellable (self) : NULL;

            if (await_something (fz, self, ins->a, cancellable, &local))
              {
                ev (fz, FZ_EV_AWAITED, fg->idx, pc, 0, 0, 0);
                pc++;
                break;
              }
            ev (fz, FZ_EV_AWAITED, fg->idx, pc, fz_err_code (error_read (local)), 0, 0);
            if (body_fail (fg, &pc, ins, &local, error))
              return FALSE;
          }
          break;

        case FZ_I_YIELD_FROM:
          {
            AgenGenerator *inner = fz->gens[ins->a].gen;
            GValue rv = G_VALUE_INIT;
            gboolean ok;

            if (inner == NULL)
              {
                ev (fz, FZ_EV_SKIP, fg->idx, pc, 0, 0, 0);
                pc++;
                break;
              }

            fg->held = g_object_ref (inner);
            ok = agen_generator_yield_from (self, inner, &rv, &local);
            defer_release (fz, g_steal_pointer (&fg->held));
            if (ok)
              {
                ev (fz, FZ_EV_YIELD_FROM, fg->idx, pc, fz_val_code (value_read (&rv)), 1, 0);
                value_clear (&rv);
                pc++;
                break;
              }
            if (fz_val_code (value_read (&rv)) != fz_val_code (fz_val (FZ_VAL_NONE, 0)))
              fz_fail (fz, "g%d: a failed yield_from left its return value other than None",
                       fg->idx);
            value_clear (&rv);
            ev (fz, FZ_EV_YIELD_FROM, fg->idx, pc, fz_err_code (error_read (local)), 0, 0);
            if (body_fail (fg, &pc, ins, &local, error))
              return FALSE;
          }
          break;

        case FZ_I_OP:
          {
            AgenGenerator *target = fz->gens[ins->a].gen;
            FzOpSpec op = fz_decode_body_op (ins->b);
            FzOutcome outcome;

            if (target == NULL)
              {
                ev (fz, FZ_EV_SKIP, fg->idx, pc, 0, 0, 0);
                pc++;
                break;
              }

            g_object_ref (target);
            if (op.try_form && fz->issued[ins->a] == 0)
              {
                /* try_next from the body; if the target waits, so does
                 * the body, for a wait_async. */
                outcome = run_try_next (target);
                if (fz_err_is (outcome.err, FZ_DOM_IO, FZ_IO_WOULD_BLOCK))
                  {
                    /* Through a GTask: the result the body awaits stays
                     * its own until its next await, and the wait's
                     * result would keep target alive that long. */
                    GTask *task = g_task_new (NULL, NULL, AGEN_AWAIT_CALLBACK (self));
                    FzOutcome *waited;

                    count_issued (fz, target);
                    agen_generator_wait_async (target, NULL, relay_wait_cb, task);
                    at_await (fz);
                    waited = g_task_propagate_pointer (G_TASK (agen_generator_await (self)), NULL);
                    outcome = *waited;
                    g_free (waited);
                  }
                if (outcome.err.domain != FZ_DOM_NONE)
                  local = error_new (outcome.err);
              }
            else
              outcome = run_blocking (target, &op,
                                      op.step_cancellable ? agen_generator_get_cancellable (self) : NULL,
                                      &local);
            defer_release (fz, target);
            ev (fz, FZ_EV_OP, fg->idx, pc, fz_val_code (outcome.val), outcome.ret,
                fz_err_code (outcome.err));
            if (local == NULL)
              {
                pc++;
                break;
              }
            if (body_fail (fg, &pc, ins, &local, error))
              return FALSE;
          }
          break;

        case FZ_I_ASYNC_OP:
          {
            AgenGenerator *target = fz->gens[ins->a].gen;
            FzOpSpec op = fz_decode_body_op (ins->b);
            AgenGeneratorState state;

            pc++;
            if (target == NULL)
              {
                ev (fz, FZ_EV_SKIP, fg->idx, pc - 1, 0, 0, 0);
                break;
              }

            state = agen_generator_get_state (target);
            if (state != AGEN_GENERATOR_STATE_RUNNING && state != AGEN_GENERATOR_STATE_CLOSED)
              {
                ev (fz, FZ_EV_ASYNC, fg->idx, pc - 1, ins->a, 0, 0);
                break;
              }

            issue_async (fz, target, &op,
                         op.step_cancellable ? agen_generator_get_cancellable (self) : NULL);
            ev (fz, FZ_EV_ASYNC, fg->idx, pc - 1, ins->a, 1, 0);
          }
          break;

        case FZ_I_SET_RV:
          {
            GValue value = G_VALUE_INIT;

            agen_generator_set_return_value (self, value_init (&value, fz_decode_val (ins->a)));
            value_clear (&value);
            pc++;
          }
          break;

        case FZ_I_RETURN:
          ev (fz, FZ_EV_END, fg->idx, 0, 0, 0, 0);
          switch (ins->a)
            {
            case FZ_RETURN_FALSE_NO_ERROR:
              return FALSE;
            case FZ_RETURN_TRUE_WITH_ERROR:
              g_set_error_literal (error, fz_error_quark (), FZ_FUZZ_OTHER, "returned TRUE");
              return TRUE;
            case FZ_RETURN_TRUE:
            default:
              return TRUE;
            }

        case FZ_I_RAISE:
          ev (fz, FZ_EV_END, fg->idx, 0, 0, 0, 0);
          g_set_error (error, fz_error_quark (), FZ_FUZZ_RAISED + ins->a, "raised %u", ins->a);
          return FALSE;

        case FZ_I_RERAISE:
          ev (fz, FZ_EV_END, fg->idx, 0, 0, 0, 0);
          if (fg->saved != NULL)
            g_propagate_error (error, g_steal_pointer (&fg->saved));
          else
            g_set_error_literal (error, fz_error_quark (), FZ_FUZZ_BOOM, "boom");
          return FALSE;

        case FZ_I_FOREIGN:
          {
            AgenGenerator *target = fz->gens[ins->a].gen;

            if (target == NULL || ins->a == fg->idx)
              {
                ev (fz, FZ_EV_SKIP, fg->idx, pc, 0, 0, 0);
                pc++;
                break;
              }

            if (foreign_call (fg, ins, pc, self, target, "await on another generator", &local))
              {
                pc++;
                break;
              }
            if (body_fail (fg, &pc, ins, &local, error))
              return FALSE;
          }
          break;

        case FZ_I_ABANDON_AWAIT:
          {
            /* Known bug: an op started for the await, never awaited. */
            GTask *task = g_task_new (NULL, NULL, AGEN_AWAIT_CALLBACK (self));
            GSource *source = g_idle_source_new ();

            g_source_set_callback (source, abandon_idle_cb, task, g_object_unref);
            g_source_attach (source, g_main_context_get_thread_default ());
            g_source_unref (source);
            ev (fz, FZ_EV_END, fg->idx, 0, 0, 0, 0);
            return TRUE;
          }

        default:
          pc++;
          break;
        }
    }

  ev (fz, FZ_EV_END, fg->idx, 0, 0, 0, 0);
  return TRUE;
}

/* ------------------------------------------------------------------------
 * The driven body
 * ------------------------------------------------------------------------ */

/* A driven generator's step function interprets the same script on the
 * thread's own stack, as a language binding's coroutine runs: where a
 * fiber body would wait (an await, an op on another generator, a
 * yield_from's op on its inner) it starts the _async form and returns,
 * and the script goes on from the callback. It answers a step where the
 * script yields, returns or raises, at once or later (FzAnswerMode). */

typedef enum
{
  DR_DONE,             /* answered, or an answer is on its way */
  DR_WAITING,          /* goes on from a callback */
  DR_FAIL_NO_ERROR,    /* the step function is to return FALSE, no error */
  DR_TRUE_WITH_ERROR,  /* answered; it is to return TRUE with an error */
} DrivenResult;

static DrivenResult driven_run (FzGen *fg);

typedef struct
{
  AgenGenerator *gen;
  int            kind;    /* 0 yield, 1 return, 2 error */
  FzVal          val;
  gboolean       has_val;
  FzErr          err;
} DrivenAnswer;

static void
driven_answer_now (DrivenAnswer *a)
{
  GValue value = G_VALUE_INIT;
  GError *error;

  switch (a->kind)
    {
    case 0:
      agen_generator_answer_yield (a->gen, value_init (&value, a->val));
      break;
    case 1:
      agen_generator_answer_return (a->gen, a->has_val ? value_init (&value, a->val) : NULL);
      break;
    default:
      error = error_new (a->err);
      agen_generator_answer_error (a->gen, error);
      g_error_free (error);
      break;
    }
  value_clear (&value);
}

static gboolean
driven_answer_cb (gpointer data)
{
  driven_answer_now (data);
  return G_SOURCE_REMOVE;
}

static void
driven_answer_job (gpointer task,
                   gpointer data)
{
  driven_answer_now (data);
  g_free (data);
}

/* Answers the step, now or later. The op in progress holds the generator
 * until the answer. */
static DrivenResult
driven_answer (FzGen *fg,
               int    kind,
               FzVal  val,
               FzErr  err)
{
  const FzScript *script = &fg->fz->prog.scripts[fg->idx];
  DrivenAnswer *a = g_new0 (DrivenAnswer, 1);

  a->gen = fg->obj;
  a->kind = kind;
  a->val = val;
  a->has_val = kind == 0 || fg->rv_set;
  if (kind == 1)
    a->val = fg->rv;
  a->err = err;
  /* The step is over for the body: its cancellable goes. */
  g_clear_object (&fg->cancellable);

  switch (script->answer)
    {
    case FZ_ANSWER_IDLE:
    case FZ_ANSWER_TIMEOUT:
      {
        GSource *source = script->answer == FZ_ANSWER_IDLE ? g_idle_source_new ()
                                                           : g_timeout_source_new (0);

        at_await (fg->fz);
        g_source_set_callback (source, driven_answer_cb, a, g_free);
        g_source_attach (source, fg->fz->ctx);
        g_source_unref (source);
      }
      break;

    case FZ_ANSWER_THREAD:
      at_await (fg->fz);
      callback_thread_run (driven_answer_job, NULL, a, NULL);
      break;

    case FZ_ANSWER_NOW:
    default:
      driven_answer_now (a);
      g_free (a);
      break;
    }

  return DR_DONE;
}

/* The end of the body: FZ_EV_END, then the answer. */
static DrivenResult
driven_end (FzGen *fg,
            int    kind,
            FzErr  err)
{
  ev (fg->fz, FZ_EV_END, fg->idx, 0, 0, 0, 0);
  return driven_answer (fg, kind, fz_val (FZ_VAL_NULL, 0), err);
}

/* A failing instruction: propagate (the body ends raising it) or catch
 * and go on at pc + fail. Takes local. */
static gboolean
driven_fail (FzGen        *fg,
             const FzIns  *ins,
             GError      **local,
             DrivenResult *result)
{
  if (ins->fail == 0)
    {
      FzErr err = error_read (*local);

      g_clear_error (local);
      *result = driven_end (fg, 2, err);
      return TRUE;
    }

  g_clear_error (&fg->saved);
  fg->saved = g_steal_pointer (local);
  fg->pc += ins->fail;
  return FALSE;
}

/* Goes on from a callback. */
static void
driven_continue (FzGen *fg)
{
  DrivenResult r;

  check_thread_stack (fg->fz, "a driven body's callback");
  r = driven_run (fg);
  if (r == DR_FAIL_NO_ERROR || r == DR_TRUE_WITH_ERROR)
    fz_fail (fg->fz, "g%d: a step function's return outside the step function", fg->idx);
}

/* After an await: FZ_EV_AWAITED, then on. */
static void
driven_awaited (FzGen  *fg,
                GError *local)
{
  const FzIns *ins = &fg->fz->prog.scripts[fg->idx].ins[fg->pc];
  DrivenResult r;

  ev (fg->fz, FZ_EV_AWAITED, fg->idx, fg->pc, fz_err_code (error_read (local)), 0, 0);
  if (local == NULL)
    fg->pc++;
  else if (driven_fail (fg, ins, &local, &r))
    return;
  driven_continue (fg);
}

static void
driven_await_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      data)
{
  FzGen *fg = data;
  GError *local = NULL;

  g_task_propagate_boolean (G_TASK (result), &local);
  driven_awaited (fg, local);
}

static void
driven_stream_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      data)
{
  FzGen *fg = data;
  GError *local = NULL;
  gssize n;

  n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, &local);
  g_clear_object (&fg->stream);
  if (n >= 0 && n != 3)
    fz_fail (fg->fz, "the stream read %" G_GSSIZE_FORMAT " bytes", n);
  driven_awaited (fg, local);
}

static void
return_task_job (gpointer task,
                 gpointer data)
{
  g_task_return_boolean (task, TRUE);
}

/* FZ_I_AWAIT: TRUE when it went on at once (FZ_AWAIT_SYNC). */
static gboolean
driven_await (FzGen        *fg,
              FzAwaitKind   kind,
              GCancellable *cancellable,
              GError      **error)
{
  Fuzz *fz = fg->fz;
  GTask *task;

  switch (kind)
    {
    case FZ_AWAIT_SYNC:
      task = task_returned (cancellable);
      g_task_propagate_boolean (task, error);
      g_object_unref (task);
      return TRUE;

    case FZ_AWAIT_THREAD:
    case FZ_AWAIT_THREAD_EARLY:
      {
        gint delivered = 0;

        /* Returned on another thread: GTask calls back in the owner
         * context, where it was made. */
        task = g_task_new (NULL, cancellable, driven_await_cb, fg);
        callback_thread_run (return_task_job, task, NULL,
                             kind == FZ_AWAIT_THREAD_EARLY ? &delivered : NULL);
        g_object_unref (task);
        if (kind == FZ_AWAIT_THREAD_EARLY)
          while (!g_atomic_int_get (&delivered))
            g_thread_yield ();
      }
      break;

    case FZ_AWAIT_STREAM:
      {
        static char buffer[8];

        fg->stream = g_memory_input_stream_new_from_data ("abc", 3, NULL);
        g_input_stream_read_async (fg->stream, buffer, sizeof buffer, G_PRIORITY_DEFAULT,
                                   cancellable, driven_stream_cb, fg);
      }
      break;

    case FZ_AWAIT_GTASK:
      task = g_task_new (NULL, cancellable, driven_await_cb, fg);
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
      break;

    case FZ_AWAIT_TIMEOUT:
    case FZ_AWAIT_IDLE:
    case FZ_N_AWAIT_KINDS:
    default:
      {
        GSource *source = kind == FZ_AWAIT_TIMEOUT ? g_timeout_source_new (0)
                                                   : g_idle_source_new ();

        task = g_task_new (NULL, cancellable, driven_await_cb, fg);
        g_source_set_callback (source, return_task_cb, task, g_object_unref);
        g_source_attach (source, g_main_context_get_thread_default ());
        g_source_unref (source);
      }
      break;
    }

  at_await (fz);
  fg->in_step_fn = FALSE;
  return FALSE;
}

/* Starts op on gen, the _async form, with callback. */
static void
driven_start_op (FzGen              *fg,
                 AgenGenerator      *gen,
                 const FzOpSpec     *op,
                 GCancellable       *cancellable,
                 GAsyncReadyCallback callback)
{
  GValue in = G_VALUE_INIT;

  fg->inner_kind = op->kind;
  count_issued (fg->fz, gen);
  switch (op->kind)
    {
    case FZ_OP_NEXT:
      agen_generator_next_async (gen, cancellable, callback, fg);
      break;
    case FZ_OP_SEND:
      agen_generator_send_async (gen, value_init (&in, op->val), cancellable, callback, fg);
      value_clear (&in);
      break;
    case FZ_OP_THROW:
      {
        GError *thrown = error_new (op->err);

        agen_generator_throw_async (gen, thrown, cancellable, callback, fg);
        g_error_free (thrown);
      }
      break;
    case FZ_OP_CLOSE:
    default:
      agen_generator_close_async (gen, cancellable, callback, fg);
      break;
    }

  /* The body waits for the callback: a driven target's step starts from
   * a later pass, so this is where the consumer's step first waits if it
   * has not yet. */
  at_await (fg->fz);
  fg->in_step_fn = FALSE;
}

static void
driven_op_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      data)
{
  FzGen *fg = data;
  const FzIns *ins = &fg->fz->prog.scripts[fg->idx].ins[fg->pc];
  FzOutcome outcome = finish_op (AGEN_GENERATOR (source), fg->inner_kind, result);
  DrivenResult r;

  defer_release (fg->fz, g_steal_pointer (&fg->target));
  ev (fg->fz, FZ_EV_OP, fg->idx, fg->pc, fz_val_code (outcome.val), outcome.ret,
      fz_err_code (outcome.err));
  if (outcome.err.domain == FZ_DOM_NONE)
    fg->pc++;
  else
    {
      GError *local = error_new (outcome.err);

      if (driven_fail (fg, ins, &local, &r))
        return;
    }
  driven_continue (fg);
}

/* yield_from: the inner's op came back. */
static void
driven_yield_from_cb (GObject      *source,
                      GAsyncResult *result,
                      gpointer      data)
{
  FzGen *fg = data;
  const FzIns *ins = &fg->fz->prog.scripts[fg->idx].ins[fg->pc];
  FzOutcome outcome = finish_op (AGEN_GENERATOR (source), fg->inner_kind, result);
  gboolean closing = fg->inner_closing;
  DrivenResult r;
  FzErr err;

  fg->inner_closing = FALSE;
  if (!closing && outcome.ret)
    {
      /* The inner yielded: so does the body, and it stays in the
       * yield_from. */
      driven_answer (fg, 0, outcome.val, fz_err (FZ_DOM_NONE, 0));
      return;
    }

  if (!closing && outcome.err.domain == FZ_DOM_NONE)
    {
      GValue rv = G_VALUE_INIT;

      agen_generator_get_return_value (fg->held, &rv);
      defer_release (fg->fz, g_steal_pointer (&fg->held));
      ev (fg->fz, FZ_EV_YIELD_FROM, fg->idx, fg->pc, fz_val_code (value_read (&rv)), 1, 0);
      value_clear (&rv);
      fg->pc++;
      driven_continue (fg);
      return;
    }

  /* Raised, or closed: the close's error, else EXIT. */
  err = outcome.err.domain != FZ_DOM_NONE ? outcome.err : fz_err (FZ_DOM_AGEN, FZ_AGEN_EXIT);
  defer_release (fg->fz, g_steal_pointer (&fg->held));
  ev (fg->fz, FZ_EV_YIELD_FROM, fg->idx, fg->pc, fz_err_code (err), 0, 0);
  {
    GError *local = error_new (err);

    if (driven_fail (fg, ins, &local, &r))
      return;
  }
  driven_continue (fg);
}

/* Passes the step on to the inner of the yield_from in progress. */
static void
driven_yield_from_step (FzGen         *fg,
                        AgenStepKind   kind,
                        const GValue  *value,
                        const GError  *thrown)
{
  FzOpSpec op;

  memset (&op, 0, sizeof op);
  op.kind = FZ_OP_NEXT;
  op.val = fz_val (FZ_VAL_NULL, 0);
  switch (kind)
    {
    case AGEN_STEP_SEND:
      op.kind = FZ_OP_SEND;
      op.val = value_read (value);
      break;
    case AGEN_STEP_THROW:
      if (!g_error_matches (thrown, AGEN_ERROR, AGEN_ERROR_EXIT))
        {
          op.kind = FZ_OP_THROW;
          op.err = error_read (thrown);
          break;
        }
      /* fall through: throw(EXIT) closes the inner, as close does */
    case AGEN_STEP_CLOSE:
      op.kind = FZ_OP_CLOSE;
      fg->inner_closing = TRUE;
      break;
    case AGEN_STEP_NEXT:
    default:
      break;
    }

  driven_start_op (fg, fg->held, &op, fg->cancellable, driven_yield_from_cb);
}

static DrivenResult
driven_run (FzGen *fg)
{
  Fuzz *fz = fg->fz;
  const FzScript *script = &fz->prog.scripts[fg->idx];
  AgenGenerator *self = fg->obj;

  while (fg->pc < script->n_ins)
    {
      const FzIns *ins = &script->ins[fg->pc];
      int pc = fg->pc;
      GError *local = NULL;
      DrivenResult r;

      if (agen_generator_get_state (self) != AGEN_GENERATOR_STATE_RUNNING)
        fz_fail (fz, "g%d: its driven body runs while its state is %s", fg->idx,
                 fz_state_name (agen_generator_get_state (self)));

      switch (ins->kind)
        {
        case FZ_I_YIELD:
          return driven_answer (fg, 0, fz_decode_val (ins->a), fz_err (FZ_DOM_NONE, 0));

        case FZ_I_AWAIT:
          {
            GCancellable *cancellable = ins->b ? fg->cancellable : NULL;

            if (!driven_await (fg, ins->a, cancellable, &local))
              return DR_WAITING;
            ev (fz, FZ_EV_AWAITED, fg->idx, pc, fz_err_code (error_read (local)), 0, 0);
            if (local == NULL)
              fg->pc++;
            else if (driven_fail (fg, ins, &local, &r))
              return r;
          }
          break;

        case FZ_I_YIELD_FROM:
          {
            AgenGenerator *inner = fz->gens[ins->a].gen;

            if (inner == NULL)
              {
                ev (fz, FZ_EV_SKIP, fg->idx, pc, 0, 0, 0);
                fg->pc++;
                break;
              }
            fg->held = g_object_ref (inner);
            driven_yield_from_step (fg, AGEN_STEP_NEXT, NULL, NULL);
            return DR_WAITING;
          }

        case FZ_I_OP:
          {
            AgenGenerator *target = fz->gens[ins->a].gen;
            FzOpSpec op = fz_decode_body_op (ins->b);

            if (target == NULL)
              {
                ev (fz, FZ_EV_SKIP, fg->idx, pc, 0, 0, 0);
                fg->pc++;
                break;
              }
            fg->target = g_object_ref (target);
            if (op.try_form && fz->issued[ins->a] == 0)
              {
                FzOutcome outcome = run_try_next (target);

                if (fz_err_is (outcome.err, FZ_DOM_IO, FZ_IO_WOULD_BLOCK))
                  {
                    /* The target waits: so does the body, for a wait. */
                    fg->inner_kind = FZ_OP_WAIT;
                    count_issued (fz, target);
                    agen_generator_wait_async (target, NULL, driven_op_cb, fg);
                    at_await (fz);
                    fg->in_step_fn = FALSE;
                    return DR_WAITING;
                  }
                defer_release (fz, g_steal_pointer (&fg->target));
                ev (fz, FZ_EV_OP, fg->idx, pc, fz_val_code (outcome.val), outcome.ret,
                    fz_err_code (outcome.err));
                if (outcome.err.domain == FZ_DOM_NONE)
                  fg->pc++;
                else
                  {
                    local = error_new (outcome.err);
                    if (driven_fail (fg, ins, &local, &r))
                      return r;
                  }
                break;
              }
            driven_start_op (fg, target, &op, op.step_cancellable ? fg->cancellable : NULL,
                             driven_op_cb);
            return DR_WAITING;
          }

        case FZ_I_ASYNC_OP:
          {
            AgenGenerator *target = fz->gens[ins->a].gen;
            FzOpSpec op = fz_decode_body_op (ins->b);
            AgenGeneratorState state;

            fg->pc++;
            if (target == NULL)
              {
                ev (fz, FZ_EV_SKIP, fg->idx, pc, 0, 0, 0);
                break;
              }
            state = agen_generator_get_state (target);
            if (state != AGEN_GENERATOR_STATE_RUNNING && state != AGEN_GENERATOR_STATE_CLOSED)
              {
                ev (fz, FZ_EV_ASYNC, fg->idx, pc, ins->a, 0, 0);
                break;
              }
            issue_async (fz, target, &op, op.step_cancellable ? fg->cancellable : NULL);
            ev (fz, FZ_EV_ASYNC, fg->idx, pc, ins->a, 1, 0);
          }
          break;

        case FZ_I_SET_RV:
          fg->rv = fz_decode_val (ins->a);
          fg->rv_set = fg->rv.kind != FZ_VAL_NULL;
          fg->pc++;
          break;

        case FZ_I_RETURN:
          switch (ins->a)
            {
            case FZ_RETURN_FALSE_NO_ERROR:
              /* In the step function: return FALSE without an error;
               * after a callback, the same failure as an answer. */
              if (fg->in_step_fn)
                {
                  ev (fz, FZ_EV_END, fg->idx, 0, 0, 0, 0);
                  g_clear_object (&fg->cancellable);
                  return DR_FAIL_NO_ERROR;
                }
              return driven_end (fg, 2, fz_err (FZ_DOM_AGEN, FZ_AGEN_FAILED));
            case FZ_RETURN_TRUE_WITH_ERROR:
              driven_end (fg, 1, fz_err (FZ_DOM_NONE, 0));
              return fg->in_step_fn ? DR_TRUE_WITH_ERROR : DR_DONE;
            case FZ_RETURN_TRUE:
            default:
              return driven_end (fg, 1, fz_err (FZ_DOM_NONE, 0));
            }

        case FZ_I_RAISE:
          return driven_end (fg, 2, fz_err (FZ_DOM_FUZZ, FZ_FUZZ_RAISED + ins->a));

        case FZ_I_RERAISE:
          {
            FzErr err = fg->saved != NULL ? error_read (fg->saved)
                                          : fz_err (FZ_DOM_FUZZ, FZ_FUZZ_BOOM);

            g_clear_error (&fg->saved);
            return driven_end (fg, 2, err);
          }

        case FZ_I_FOREIGN:
          {
            /* Refused even on itself: a step function is not a body. */
            AgenGenerator *target = fz->gens[ins->a].gen;

            if (target == NULL)
              {
                ev (fz, FZ_EV_SKIP, fg->idx, pc, 0, 0, 0);
                fg->pc++;
                break;
              }

            if (foreign_call (fg, ins, pc, self, target, "await from a step function", &local))
              {
                fg->pc++;
                break;
              }
            if (driven_fail (fg, ins, &local, &r))
              return r;
          }
          break;

        case FZ_I_ABANDON_AWAIT:
          /* (A fiber body's known bug; a driven body just returns.) */
          return driven_end (fg, 1, fz_err (FZ_DOM_NONE, 0));

        default:
          fg->pc++;
          break;
        }
    }

  return driven_end (fg, 1, fz_err (FZ_DOM_NONE, 0));
}

static gboolean
driven_step (AgenGenerator  *self,
             AgenStepKind    kind,
             GValue         *value,
             GError         *thrown,
             GCancellable   *cancellable,
             gpointer        user_data,
             GError        **error)
{
  FzGen *fg = user_data;
  Fuzz *fz = fg->fz;
  const FzScript *script = &fz->prog.scripts[fg->idx];
  DrivenResult r = DR_DONE;

  check_thread_stack (fz, "a step function");
  if (fz->in_call && fz->step != NULL && fz->step->target == fg->idx)
    fz_fail (fz, "g%d: the step function ran inside the consumer's _async call", fg->idx);
  if (fg->obj != self)
    fz_fail (fz, "g%d: the step function got another generator", fg->idx);

  g_set_object (&fg->cancellable, cancellable);
  fg->in_step_fn = TRUE;

  if (!fg->started)
    {
      fg->started = TRUE;
      fg->pc = 0;
      ev (fz, FZ_EV_START, fg->idx, 0, 0, 0, 0);
      r = driven_run (fg);
    }
  else if (fg->pc < script->n_ins && script->ins[fg->pc].kind == FZ_I_YIELD_FROM &&
           fg->held != NULL)
    {
      driven_yield_from_step (fg, kind, value, thrown);
      r = DR_WAITING;
    }
  else
    {
      const FzIns *ins = &script->ins[fg->pc];

      if (kind == AGEN_STEP_NEXT || kind == AGEN_STEP_SEND)
        {
          FzVal sent = kind == AGEN_STEP_SEND ? value_read (value) : fz_val (FZ_VAL_NONE, 0);

          ev (fz, FZ_EV_RESUMED, fg->idx, fg->pc, fz_val_code (sent), 0, 0);
          fg->pc++;
          r = driven_run (fg);
        }
      else
        {
          GError *local = g_error_copy (thrown);

          if ((kind == AGEN_STEP_CLOSE) != g_error_matches (thrown, AGEN_ERROR, AGEN_ERROR_EXIT) &&
              kind == AGEN_STEP_CLOSE)
            fz_fail (fz, "g%d: a close step without EXIT", fg->idx);
          ev (fz, FZ_EV_YIELD_FAILED, fg->idx, fg->pc, fz_err_code (error_read (local)), 0, 0);
          if (!driven_fail (fg, ins, &local, &r))
            r = driven_run (fg);
        }
    }

  fg->in_step_fn = FALSE;
  switch (r)
    {
    case DR_FAIL_NO_ERROR:
      return FALSE;
    case DR_TRUE_WITH_ERROR:
      g_set_error_literal (error, fz_error_quark (), FZ_FUZZ_OTHER, "returned TRUE");
      return TRUE;
    case DR_DONE:
    case DR_WAITING:
    default:
      return TRUE;
    }
}

static void
body_destroy (gpointer data)
{
  FzGen *fg = data;

  check_thread_stack (fg->fz, "user_data_destroy");
  fg->destroyed++;
  ev (fg->fz, FZ_EV_DESTROY, fg->idx, 0, 0, 0, 0);
  /* Destroyed without unwinding inside a yield_from: give back the inner. */
  if (fg->held != NULL)
    defer_release (fg->fz, g_steal_pointer (&fg->held));
}

static void
finalized_cb (gpointer data)
{
  FzGen *fg = data;

  check_thread_stack (fg->fz, "finalization");
  fg->finalized = TRUE;
  ev (fg->fz, FZ_EV_FINALIZED, fg->idx, 0, 0, 0, 0);
}

/* A generator with body kind `kind`. */
static AgenGenerator *
body_new (FzGen      *fg,
          FzBodyKind  kind)
{
  char name[8];

  snprintf (name, sizeof name, "g%d", fg->idx);
  switch (kind)
    {
    case FZ_BODY_DRIVEN:
      {
        AgenGenerator *gen = agen_generator_new_driven (driven_step, fg, body_destroy);

        agen_generator_set_name (gen, name);
        return gen;
      }
    case FZ_BODY_FIBER:
    case FZ_N_BODY_KINDS:
    default:
      return agen_generator_new_full (fiber_body, fg, body_destroy, name, 0);
    }
}

static void
first_iter_cb (AgenGenerator *gen,
               gpointer       data)
{
  Fuzz *fz = data;

  check_thread_stack (fz, "the first_iter hook");
  ev (fz, FZ_EV_FIRST_ITER, gen_index (fz, gen), 0, 0, 0, 0);
}

static void
hook_close_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      data)
{
  Fuzz *fz = data;
  FzOutcome outcome;

  check_thread_stack (fz, "the finalizer hook's close callback");
  outcome = finish_op (AGEN_GENERATOR (source), FZ_OP_CLOSE, result);
  ev (fz, FZ_EV_HOOK_CLOSED, gen_index (fz, AGEN_GENERATOR (source)), 0,
      fz_err_code (outcome.err), outcome.ret, 0);
  /* The hook's reference (transfer full) */
  g_object_unref (source);
}

static void
finalizer_cb (AgenGenerator *gen,
              gpointer       data)
{
  Fuzz *fz = data;

  check_thread_stack (fz, "the finalizer hook");
  ev (fz, FZ_EV_HOOK, gen_index (fz, gen), 0, 0, 0, 0);
  if (fz->prog.hook == FZ_HOOK_CLOSE)
    {
      count_issued (fz, gen);
      agen_generator_close_async (gen, NULL, hook_close_cb, fz);
    }
  else
    g_object_unref (gen);
}

static void
notify_state_cb (GObject    *object,
                 GParamSpec *pspec,
                 gpointer    data)
{
  FzGen *fg = data;
  AgenGeneratorState state;

  check_thread_stack (fg->fz, "a notify::state handler");
  g_object_get (object, "state", &state, NULL);
  if (state != agen_generator_get_state (AGEN_GENERATOR (object)))
    fz_fail (fg->fz, "g%d: the state property disagrees with get_state()", fg->idx);
  fg->notified = TRUE;
  fg->notified_state = state;
}

/* ------------------------------------------------------------------------
 * Steps
 * ------------------------------------------------------------------------ */

typedef struct
{
  Fuzz          *fz;
  AgenGenerator *gen;
  FzOpSpec       op;
  GCancellable  *cancellable;
  gboolean       try_next;   /* agen_generator_try_next() instead */
  FzOutcome      outcome;
  gint           done;
} Worker;


/* One worker thread for the whole run, fed through a queue: a thread per
 * op would cost more than the rest of an input. */
static GAsyncQueue *worker_queue;

static gpointer
worker_main (gpointer data)
{
  for (;;)
    {
      Worker *w = g_async_queue_pop (worker_queue);
      GMainContext *ctx = w->fz->ctx;

      if (w->try_next)
        w->outcome = run_try_next (w->gen);
      else
        w->outcome = run_blocking (w->gen, &w->op, w->cancellable, NULL);
      g_atomic_int_set (&w->done, 1);
      g_main_context_wakeup (ctx);
      /* Neither w nor ctx are touched after this. */
      g_atomic_int_set (&w->done, 2);
    }

  return NULL;
}

static void
check_states (Fuzz       *fz,
              const char *when,
              const int  *states,
              const bool *finalized)
{
  int i;

  for (i = 0; i < fz->prog.n_gens; i++)
    {
      FzGen *fg = &fz->gens[i];
      const FzModelGen *mg = &fz->model.g[i];
      AgenGeneratorState state;
      int expected = states != NULL ? states[i] : mg->state;
      bool expected_finalized = finalized != NULL ? finalized[i] : mg->finalized;

      if (fg->finalized != expected_finalized)
        fz_fail (fz, "%s: g%d is %sfinalized, the model says it %s", when, i,
                 fg->finalized ? "" : "not ", expected_finalized ? "is" : "is not");
      if (fg->finalized)
        continue;

      state = agen_generator_get_state (fg->obj);
      if ((int) state != expected)
        fz_fail (fz, "%s: g%d is %s, expected %s", when, i, fz_state_name (state),
                 fz_state_name (expected));
      /* notify::state reports every net change by the time the library
       * hands control back. */
      if ((fg->notified ? fg->notified_state : AGEN_GENERATOR_STATE_CREATED) != (int) state)
        fz_fail (fz, "%s: g%d is %s, but notify::state last said %s", when, i,
                 fz_state_name (state),
                 fg->notified ? fz_state_name (fg->notified_state) : "nothing");
      if (agen_generator_get_running (fg->obj) != (state == AGEN_GENERATOR_STATE_RUNNING))
        fz_fail (fz, "%s: g%d: running disagrees with state %s", when, i,
                 fz_state_name (state));
    }
}

static void
check_after_step (Fuzz *fz)
{
  int i;

  if (fz->actual.overflow || fz->expected.overflow)
    fz_fail (fz, "event log overflow");

  if (fz->actual.n != fz->expected.n ||
      memcmp (fz->actual.ev, fz->expected.ev, fz->actual.n * sizeof (FzEvent)) != 0)
    fz_fail (fz, "the events differ");

  if (fz->next_async != fz->model.n_async)
    fz_fail (fz, "%d async ops started, the model expected %d", fz->next_async,
             fz->model.n_async);
  for (i = 0; i < fz->next_async; i++)
    if (!fz->delivered[i])
      fz_fail (fz, "async op %d never completed", i);

  check_states (fz, "after the step", NULL, NULL);

  for (i = 0; i < fz->prog.n_gens; i++)
    {
      FzGen *fg = &fz->gens[i];
      const FzModelGen *mg = &fz->model.g[i];

      if ((fg->gen != NULL) != mg->table)
        fz_fail (fz, "g%d: the harness and the model disagree on who holds it", i);
      if (fg->destroyed != mg->destroyed)
        fz_fail (fz, "g%d: user_data destroyed %d times, expected %d", i,
                 fg->destroyed, mg->destroyed);

      if (!fg->finalized &&
          agen_generator_get_context (fg->obj) != (mg->has_owner ? fz->ctx : NULL))
        fz_fail (fz, "g%d: get_context() is not %s", i,
                 mg->has_owner ? "the owner context" : "NULL before the first op");

      if (!fg->finalized)
        {
          GValue rv = G_VALUE_INIT;
          FzVal expected_rv;
          gboolean expected_ok = fz_model_return_value (&fz->model, i, &expected_rv);
          gboolean ok = agen_generator_get_return_value (fg->obj, &rv);

          if (ok != expected_ok || fz_val_code (value_read (&rv)) != fz_val_code (expected_rv))
            {
              char e[32], a[32];

              fz_describe_val (e, sizeof e, expected_rv);
              fz_describe_val (a, sizeof a, value_read (&rv));
              fz_fail (fz, "g%d: get_return_value gives %s %s, expected %s %s", i,
                       ok ? "TRUE" : "FALSE", a, expected_ok ? "TRUE" : "FALSE", e);
            }
          value_clear (&rv);
        }
    }
}

static void
run_step (Fuzz               *fz,
          FzStep             *step,
          const FzStepExpect *expect)
{
  FzGen *fg = &fz->gens[step->target];
  GCancellable *cancellable = NULL;
  FzOutcome outcome;

  memset (fz->issued, 0, sizeof fz->issued);
  if (step->kind == FZ_STEP_UNREF)
    {
      g_clear_object (&fg->gen);
      settle (fz);
      process_releases (fz);
      return;
    }

  if (step->kind == FZ_STEP_SPURIOUS_RESUME)
    {
      GTask *task = g_task_new (NULL, NULL, NULL, NULL);

      /* Known bug: a stray result must not reach a later await. */
      g_task_return_boolean (task, TRUE);
      fz->suppress_logs++;
      agen_generator_resume_callback (NULL, G_ASYNC_RESULT (task), fg->gen);
      fz->suppress_logs--;
      g_object_unref (task);
      settle (fz);
      return;
    }

  if (step->cancel != FZ_CANCEL_NONE)
    {
      cancellable = g_cancellable_new ();
      if (step->cancel == FZ_CANCEL_BEFORE)
        g_cancellable_cancel (cancellable);
    }

  if (step->kind == FZ_STEP_WAIT)
    {
      Call call = { fz, -1, NULL, 0, NULL, FALSE, { 0, } };

      call.kind = FZ_OP_WAIT;
      call.source = fg->gen;
      call.caller = g_main_context_get_thread_default ();
      fz->in_call = TRUE;
      agen_generator_wait_async (fg->gen, cancellable, call_cb, &call);
      fz->in_call = FALSE;
      if (step->cancel == FZ_CANCEL_DURING)
        g_cancellable_cancel (cancellable);
      settle (fz);
      if (!call.done)
        fz_fail (fz, "the wait's callback never ran");
      check_outcome (fz, "outcome of the wait", &expect->outcome, &call.outcome);
      process_releases (fz);
      g_clear_object (&cancellable);
      return;
    }

  fz->step = step;
  fz->step_cancellable = cancellable;
  fz->armed = TRUE;

  if (step->kind == FZ_STEP_TRY)
    {
      FzOpSpec next;

      memset (&next, 0, sizeof next);
      next.kind = FZ_OP_NEXT;
      fz->in_try = TRUE;
      if (step->try_after_async)
        {
          issue_async (fz, fg->gen, &next, NULL);
          /* A driven step starts from a later pass: the first wait. */
          if (fz->armed &&
              agen_generator_get_state (fg->gen) == AGEN_GENERATOR_STATE_RUNNING)
            at_await (fz);
        }

      if (step->form == FZ_FORM_WORKER)
        {
          Worker w = { fz, g_object_ref (fg->gen), next, NULL, TRUE, { 0, }, 0 };

          if (worker_queue == NULL)
            {
              worker_queue = g_async_queue_new ();
              g_thread_unref (g_thread_new ("fuzz-worker", worker_main, NULL));
            }
          g_async_queue_push (worker_queue, &w);
          while (g_atomic_int_get (&w.done) != 2)
            g_thread_yield ();
          g_object_unref (w.gen);
          outcome = w.outcome;
        }
      else
        outcome = run_try_next (fg->gen);

      /* The body waits: the waits come at once. */
      if (fz_err_is (outcome.err, FZ_DOM_IO, FZ_IO_WOULD_BLOCK) &&
          step->try_waits != FZ_TRY_NO_WAIT)
        {
          int n = step->try_waits == FZ_TRY_WAIT_TWICE ? 2 : 1;
          int k;

          for (k = 0; k < n; k++)
            {
              Call *call = g_new0 (Call, 1);

              call->fz = fz;
              call->id = fz->next_async++;
              if (call->id >= FZ_MAX_ASYNC)
                fz_fail (fz, "too many async ops");
              call->kind = FZ_OP_WAIT;
              call->source = fg->gen;
              call->caller = g_main_context_get_thread_default ();
              count_issued (fz, fg->gen);
              agen_generator_wait_async (fg->gen, cancellable, call_cb, call);
            }
          if (step->try_waits == FZ_TRY_WAIT_TRY)
            {
              int id = fz->next_async++;
              FzOutcome again = run_try_next (fg->gen);

              check_async (fz, id, &again);
            }
        }
      fz->in_try = FALSE;

      if (step->cancel == FZ_CANCEL_DURING && fz->armed)
        g_cancellable_cancel (cancellable);
      check_states (fz, "right after try_next", expect->snap_state, expect->snap_finalized);
      fz->armed = FALSE;
      check_outcome (fz, "outcome of try_next", &expect->outcome, &outcome);
      settle (fz);
      process_releases (fz);
      g_clear_object (&cancellable);
      fz->step_cancellable = NULL;
      return;
    }

  switch (step->form)
    {
    case FZ_FORM_BLOCKING:
      outcome = run_blocking (fg->gen, &step->op, cancellable, NULL);
      fz->armed = FALSE;
      break;

    case FZ_FORM_WORKER:
      {
        Worker w = { fz, g_object_ref (fg->gen), step->op, cancellable, FALSE, { 0, }, 0 };

        if (worker_queue == NULL)
          {
            worker_queue = g_async_queue_new ();
            g_thread_unref (g_thread_new ("fuzz-worker", worker_main, NULL));
          }
        g_async_queue_push (worker_queue, &w);
        while (!g_atomic_int_get (&w.done))
          g_main_context_iteration (fz->ctx, TRUE);
        while (g_atomic_int_get (&w.done) != 2)
          g_thread_yield ();
        g_object_unref (w.gen);
        outcome = w.outcome;
        fz->armed = FALSE;
      }
      break;

    case FZ_FORM_ASYNC:
    case FZ_FORM_ASYNC_OTHER_CONTEXT:
    default:
      {
        Call call = { fz, -1, NULL, 0, NULL, FALSE, { 0, } };

        if (step->form == FZ_FORM_ASYNC_OTHER_CONTEXT)
          {
            if (fz->other_ctx == NULL)
              fz->other_ctx = g_main_context_new ();
            g_main_context_push_thread_default (fz->other_ctx);
          }
        fz->in_call = TRUE;
        start_async (fg->gen, &step->op, cancellable, &call);
        fz->in_call = FALSE;
        if (step->form == FZ_FORM_ASYNC_OTHER_CONTEXT)
          g_main_context_pop_thread_default (fz->other_ctx);

        /* A driven step never runs inside the _async call: it starts
         * from a later pass, and the step first waits here. */
        if (fz->armed &&
            agen_generator_get_state (fg->gen) == AGEN_GENERATOR_STATE_RUNNING)
          at_await (fz);

        /* A step that never awaited is over, its callback still to come:
         * cancelling now must change nothing. */
        if (step->cancel == FZ_CANCEL_DURING && fz->armed)
          g_cancellable_cancel (cancellable);

        check_states (fz, "right after the _async call", expect->snap_state,
                      expect->snap_finalized);

        if (step->unref_pending)
          g_clear_object (&fg->gen);

        settle (fz);
        if (!call.done)
          fz_fail (fz, "the step's callback never ran");
        outcome = call.outcome;
      }
      break;
    }

  check_outcome (fz, "outcome of the step", &expect->outcome, &outcome);
  settle (fz);
  process_releases (fz);
  g_clear_object (&cancellable);
  fz->step_cancellable = NULL;
}

static void
do_step (Fuzz   *fz,
         FzStep *step,
         int     id)
{
  FzStepExpect expect;

  fz->step_index = id;
  fz_model_run_step (&fz->model, step, id, &expect);
  if (fz->model.overflow)
    return;

  run_step (fz, step, &expect);

  if (verbose)
    {
      char o[128];

      fz_step_print (step, id);
      if (step->kind == FZ_STEP_OP || step->kind == FZ_STEP_TRY ||
          step->kind == FZ_STEP_WAIT)
        {
          fz_describe_outcome (o, sizeof o, &expect.outcome);
          fprintf (stderr, "      -> %s\n", o);
        }
    }

  check_after_step (fz);
}

/* ------------------------------------------------------------------------
 * One input
 * ------------------------------------------------------------------------ */

static void
shutdown_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      data)
{
  gboolean *done = data;
  GError *error = NULL;

  if (!agen_shutdown_generators_finish (result, &error))
    fz_fail (current, "shutdown failed: %s", error->message);
  *done = TRUE;
}

static void
setup (Fuzz *fz)
{
  int i;

  fz_model_init (&fz->model, &fz->prog, &fz->expected);

  fz->ctx = g_main_context_new ();
  g_main_context_push_thread_default (fz->ctx);
  agen_set_generator_hooks (fz->ctx, first_iter_cb,
                            fz->prog.hook != FZ_HOOK_NONE ? finalizer_cb : NULL,
                            fz, NULL);

  fz->watchdog = g_timeout_source_new_seconds (30);
  g_source_set_callback (fz->watchdog, watchdog_cb, fz, NULL);
  g_source_attach (fz->watchdog, fz->ctx);

  fz->releases = g_ptr_array_new ();

  for (i = 0; i < fz->prog.n_gens; i++)
    {
      FzGen *fg = &fz->gens[i];

      fg->fz = fz;
      fg->idx = i;
      fg->gen = body_new (fg, fz->prog.scripts[i].kind);
      fg->obj = fg->gen;
      g_object_set_data_full (G_OBJECT (fg->gen), "agen-fuzz", fg, finalized_cb);
      g_signal_connect (fg->gen, "notify::state", G_CALLBACK (notify_state_cb), fg);
    }
}

static void
teardown (Fuzz *fz)
{
  gboolean done = FALSE;
  int i;

  /* Leave nothing behind, whatever happened. */
  if (!fz->model.overflow)
    {
      for (i = 0; i < fz->prog.n_gens; i++)
        {
          if (!fz->model.g[i].finalized)
            fz_fail (fz, "the model never finalizes g%d (a reference cycle?)", i);
          if (fz->gens[i].destroyed != 1)
            fz_fail (fz, "g%d: user_data destroyed %d times", i, fz->gens[i].destroyed);
        }

      agen_shutdown_generators_async (fz->ctx, NULL, shutdown_cb, &done);
      settle (fz);
      if (!done)
        fz_fail (fz, "shutdown never completed");
      check_after_step (fz);
    }
  else
    {
      /* The model gave up (a limit): just drop everything. */
      for (i = 0; i < fz->prog.n_gens; i++)
        g_clear_object (&fz->gens[i].gen);
      settle (fz);
      process_releases (fz);
    }

  for (i = 0; i < fz->prog.n_gens; i++)
    g_clear_error (&fz->gens[i].saved);

  g_ptr_array_unref (fz->releases);
  g_source_destroy (fz->watchdog);
  g_source_unref (fz->watchdog);
  g_main_context_pop_thread_default (fz->ctx);
  g_main_context_unref (fz->ctx);
  g_clear_pointer (&fz->other_ctx, g_main_context_unref);
}

static void
run_input (Fuzz          *fz,
           const uint8_t *data,
           size_t         size)
{
  int i;

  memset (fz, 0, sizeof *fz);
  fz_program_decode (&fz->prog, data, size, known_bugs);
  current = fz;

  setup (fz);
  if (verbose)
    fz_program_print (&fz->prog);

  for (i = 0; i < fz->prog.n_steps && !fz->model.overflow; i++)
    {
      FzStep *step = &fz->prog.steps[i];

      if (!fz_model_fixup_step (&fz->model, step))
        break;
      do_step (fz, step, i);
    }

  /* The end: optionally close what is still held (again while it ignores
   * the exit), then drop it all. */
  if (fz->prog.close_all_at_end)
    {
      for (i = 0; i < fz->prog.n_gens && !fz->model.overflow; i++)
        {
          int tries;

          for (tries = 0; tries < FZ_MAX_CLOSE_TRIES && fz->model.g[i].table; tries++)
            {
              FzStep step;

              memset (&step, 0, sizeof step);
              step.kind = FZ_STEP_OP;
              step.target = (uint8_t) i;
              step.op.kind = FZ_OP_CLOSE;
              step.form = FZ_FORM_BLOCKING;
              do_step (fz, &step, FZ_MAX_OPS + i);
              if (!fz->model.g[i].table ||
                  fz->model.g[i].state != FZ_ST_SUSPENDED)
                break;
            }
        }
    }

  for (i = 0; i < fz->prog.n_gens && !fz->model.overflow; i++)
    {
      if (fz->model.g[i].table)
        {
          FzStep step;

          memset (&step, 0, sizeof step);
          step.kind = FZ_STEP_UNREF;
          step.target = (uint8_t) i;
          do_step (fz, &step, FZ_MAX_OPS + i);
        }
    }

  teardown (fz);
  if (verbose)
    print_logs (fz);
  current = NULL;
}

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  /* GLib 2.74 allocates GObjects (generators, tasks, cancellables) with
   * its slice allocator, whose memory AddressSanitizer does not watch:
   * use-after-free of a generator would go unseen. The variable is read
   * when GLib starts, before this runs, so set it and start again. */
  if (g_strcmp0 (g_getenv ("G_SLICE"), "always-malloc") != 0)
    {
      g_setenv ("G_SLICE", "always-malloc", TRUE);
      execv ("/proc/self/exe", *argv);
      g_error ("could not restart with G_SLICE=always-malloc: %s", g_strerror (errno));
    }

  verbose = g_strcmp0 (g_getenv ("FUZZ_VERBOSE"), "1") == 0;
  {
    static const GDebugKey bugs[] = {
      { "abandon-await", FZ_BUG_ABANDON_AWAIT },
      { "second-finish", FZ_BUG_SECOND_FINISH },
      { "spurious-resume", FZ_BUG_SPURIOUS_RESUME },
    };
    const char *env = g_getenv ("FUZZ_KNOWN_BUGS");

    if (g_strcmp0 (env, "1") == 0)
      env = "all";
    known_bugs = g_parse_debug_string (env, bugs, G_N_ELEMENTS (bugs));
  }
  main_thread = g_thread_self ();
  init_stack_bounds ();
  for (int i = 0; i < 64; i++)
    snprintf (strings[i], sizeof strings[i], "s%d", i);
  g_log_set_writer_func (log_writer, NULL, NULL);
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  run_input (&fuzz, data, size);
  return 0;
}
