/* test-matrix.c — the state × operation table, run as data: every row
 * through three consumer paths and two kinds of body
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include "agen-fiber-private.h"
#include "agen-test-util.h"

/*
 * A row names a starting state (and how it was reached), one operation,
 * what the body does from that point on (a small script), and what the
 * operation must give: its outcome, the state after it, whether the body
 * ran for it, the return value. Some rows go on with a follow-up op or
 * two (a generator still startable, an error reported once, a generator
 * still usable after IGNORED_EXIT).
 *
 * Every row runs as six GTest cases, /Agen/Matrix/ROW/PATH/BODY:
 *
 * - PATH is how the consumer calls: "async" (_async and _finish, through
 *   the agen_test_* helpers), "blocking" (the blocking forms from plain
 *   code) or "in-fiber" (the blocking forms inside another generator's
 *   body, which hands the outcome back and returns);
 * - BODY is a fiber body or a driven step function. Both interpret the
 *   same script, so they share the row's expectations.
 *
 * After every op the test checks the return value, the out value (an int,
 * or None: it is always initialised), the error, the state and running,
 * the return value, whether the body ran and what it received, and that
 * user_data_destroy ran exactly once by the time the generator is CLOSED.
 */

/* Operations ---------------------------------------------------------------- */

typedef enum
{
  OP_NONE,           /* ends a list of follow-up ops */
  OP_NEXT,
  OP_SEND_NONE,
  OP_SEND,           /* sends SENT */
  OP_THROW,          /* throws AGEN_TEST_ERROR_BOOM */
  OP_THROW_EXIT,     /* throws AGEN_ERROR_EXIT */
  OP_CLOSE,
} Op;

#define SENT 42

/* What the body receives when the op resumes it at a yield; the op that
 * starts the body gives it "none". */
static const char *const op_delivers[] = {
  [OP_NEXT] = "none", [OP_SEND_NONE] = "none", [OP_SEND] = "42",
  [OP_THROW] = "boom", [OP_THROW_EXIT] = "exit", [OP_CLOSE] = "exit",
};

/* The step a driven body is asked for, for each op. */
static const AgenStepKind op_step_kind[] = {
  [OP_NEXT] = AGEN_STEP_NEXT, [OP_SEND_NONE] = AGEN_STEP_NEXT,
  [OP_SEND] = AGEN_STEP_SEND, [OP_THROW] = AGEN_STEP_THROW,
  [OP_THROW_EXIT] = AGEN_STEP_THROW, [OP_CLOSE] = AGEN_STEP_CLOSE,
};

/* Errors -------------------------------------------------------------------- */

typedef enum
{
  E_NONE,
  E_BOOM,
  E_OTHER,
  E_EXIT,
  E_IGNORED_EXIT,
  E_NOT_STARTED,
  E_RUNNING,
  N_ERRORS
} Err;

static const char *const err_names[] = {
  "", "boom", "other", "exit", "ignored-exit", "not-started", "running",
};

static GQuark
err_domain (Err e)
{
  return e == E_BOOM || e == E_OTHER ? AGEN_TEST_ERROR : AGEN_ERROR;
}

static gint
err_code (Err e)
{
  static const gint codes[] = {
    [E_BOOM] = AGEN_TEST_ERROR_BOOM, [E_OTHER] = AGEN_TEST_ERROR_OTHER,
    [E_EXIT] = AGEN_ERROR_EXIT, [E_IGNORED_EXIT] = AGEN_ERROR_IGNORED_EXIT,
    [E_NOT_STARTED] = AGEN_ERROR_NOT_STARTED, [E_RUNNING] = AGEN_ERROR_RUNNING,
  };

  g_assert (e > E_NONE && e < N_ERRORS);
  return codes[e];
}

static GError *
err_new (Err e)
{
  return g_error_new_literal (err_domain (e), err_code (e), err_names[e]);
}

static const char *
err_name (const GError *error)
{
  for (Err e = E_BOOM; e < N_ERRORS; e++)
    if (g_error_matches (error, err_domain (e), err_code (e)))
      return err_names[e];
  return "unknown";
}

/* Scripts ------------------------------------------------------------------- */

/* One thing the body does, at its start or each time it is resumed. */
enum
{
  A_END,       /* let the error it received out; otherwise return (no value) */
  A_YIELD,     /* yield arg */
  A_RETURN,    /* return, with the return value arg (0: none set) */
  A_RAISE,     /* raise the error arg (an Err) */
  A_LET_OUT,   /* let the error it received out */
  A_KIND  = 0xff,
  A_LATER = 0x100,  /* first await a timeout (fiber) / answer from an idle (driven) */
  A_GATE  = 0x200,  /* first wait until the test opens the gate (RUNNING rows) */
};

typedef struct
{
  guint what;
  gint  arg;
} Act;

#define Y(v)              { A_YIELD, (v) }
#define Y_LATER(v)        { A_YIELD | A_LATER, (v) }
#define RET(v)            { A_RETURN, (v) }
#define RET_LATER(v)      { A_RETURN | A_LATER, (v) }
#define RAISE(e)          { A_RAISE, E_##e }
#define RAISE_LATER(e)    { A_RAISE | A_LATER, E_##e }
#define OUT               { A_LET_OUT, 0 }
#define OUT_LATER         { A_LET_OUT | A_LATER, 0 }
#define Y_AFTER_GATE(v)   { A_YIELD | A_GATE, (v) }

/* Expectations -------------------------------------------------------------- */

typedef enum
{
  O_YIELD,      /* TRUE + int arg */
  O_FINISHED,   /* FALSE, no error, None */
  O_FAIL,       /* FALSE + the error arg (an Err), None */
  O_OK,         /* close: TRUE */
} Outcome;

typedef struct
{
  Outcome            outcome;
  gint               arg;
  AgenGeneratorState state;   /* after the op */
  gboolean           runs;    /* the body was started or resumed by the op */
  gint               rv;      /* get_return_value: TRUE + rv, or FALSE for 0 */
} Expect;

#define YIELDS(v)   O_YIELD, (v)
#define FINISHED    O_FINISHED, 0
#define FAILS(e)    O_FAIL, E_##e
#define CLOSE_OK    O_OK, 0

#define CREATED     AGEN_GENERATOR_STATE_CREATED
#define SUSPENDED   AGEN_GENERATOR_STATE_SUSPENDED
#define RUNNING     AGEN_GENERATOR_STATE_RUNNING
#define CLOSED      AGEN_GENERATOR_STATE_CLOSED

#define RAN         TRUE
#define NOT_RUN     FALSE
#define NO_RV       0

typedef struct
{
  Op     op;
  Expect expect;
} OpCheck;

/* Starting states ----------------------------------------------------------- */

typedef enum
{
  S_CREATED,
  S_SUSPENDED,          /* at its first yield (1) */
  S_RUNNING,            /* a next_async started the body, which waits at a gate */
  S_RUNNING_RESUMED,    /* a next_async resumed the body, which waits at a gate */
  S_CLOSED_RETURNED,    /* the body returned 7 */
  S_CLOSED_RAISED,      /* the body raised BOOM from a next */
  S_CLOSED_CLOSED,      /* closed at its first yield */
  S_CLOSED_UNSTARTED,   /* closed before it started */
  S_CLOSED_THROWN,      /* thrown into before it started */
} Start;

/* How a starting state is reached: the body's script up to there, the ops
 * that lead there (through the path under test), and for RUNNING a
 * next_async left pending, with what it gives once the gate opens. */
typedef struct
{
  Act     prefix[2];
  OpCheck setup[2];
  gboolean pending;
  Expect   pending_expect;
} StartDef;

static const StartDef starts[] = {
  [S_CREATED] = { { { 0 } } },
  [S_SUSPENDED] = {
    { Y (1) },
    { { OP_NEXT, { YIELDS (1), SUSPENDED, RAN, NO_RV } } } },
  [S_RUNNING] = {
    { Y_AFTER_GATE (1) }, { { 0 } },
    TRUE, { YIELDS (1), SUSPENDED, RAN, NO_RV } },
  [S_RUNNING_RESUMED] = {
    { Y (1), Y_AFTER_GATE (2) },
    { { OP_NEXT, { YIELDS (1), SUSPENDED, RAN, NO_RV } } },
    TRUE, { YIELDS (2), SUSPENDED, RAN, NO_RV } },
  [S_CLOSED_RETURNED] = {
    { Y (1), RET (7) },
    { { OP_NEXT, { YIELDS (1), SUSPENDED, RAN, NO_RV } },
      { OP_NEXT, { FINISHED, CLOSED, RAN, 7 } } } },
  [S_CLOSED_RAISED] = {
    { Y (1), RAISE (BOOM) },
    { { OP_NEXT, { YIELDS (1), SUSPENDED, RAN, NO_RV } },
      { OP_NEXT, { FAILS (BOOM), CLOSED, RAN, NO_RV } } } },
  [S_CLOSED_CLOSED] = {
    { Y (1) },
    { { OP_NEXT, { YIELDS (1), SUSPENDED, RAN, NO_RV } },
      { OP_CLOSE, { CLOSE_OK, CLOSED, RAN, NO_RV } } } },
  [S_CLOSED_UNSTARTED] = {
    { { 0 } },
    { { OP_CLOSE, { CLOSE_OK, CLOSED, NOT_RUN, NO_RV } } } },
  [S_CLOSED_THROWN] = {
    { { 0 } },
    { { OP_THROW, { FAILS (BOOM), CLOSED, NOT_RUN, NO_RV } } } },
};

/* The table ----------------------------------------------------------------- */

typedef struct
{
  const char *name;
  Start       start;
  Op          op;
  Act         body[4];   /* what the body does from the op on */
  Expect      expect;
  OpCheck     then[2];   /* follow-up ops */
} Row;

/* Follow-ups used by several rows */
#define THEN_NEXT_FINISHED(rv)   { OP_NEXT, { FINISHED, CLOSED, NOT_RUN, rv } }
#define THEN_CLOSE_NOTHING(rv)   { OP_CLOSE, { CLOSE_OK, CLOSED, NOT_RUN, rv } }

static const Row rows[] = {
  /* CREATED × next / send(None): start the body; the step outcome */
  { "created/next/yield", S_CREATED, OP_NEXT, { Y (1) },
    { YIELDS (1), SUSPENDED, RAN, NO_RV } },
  { "created/next/yield-later", S_CREATED, OP_NEXT, { Y_LATER (1) },
    { YIELDS (1), SUSPENDED, RAN, NO_RV } },
  { "created/next/return", S_CREATED, OP_NEXT, { RET (7) },
    { FINISHED, CLOSED, RAN, 7 }, { THEN_NEXT_FINISHED (7) } },
  { "created/next/return-no-value", S_CREATED, OP_NEXT, { RET (0) },
    { FINISHED, CLOSED, RAN, NO_RV } },
  { "created/next/raise", S_CREATED, OP_NEXT, { RAISE (OTHER) },
    { FAILS (OTHER), CLOSED, RAN, NO_RV },
    { THEN_NEXT_FINISHED (NO_RV), THEN_CLOSE_NOTHING (NO_RV) } },
  { "created/next/raise-later", S_CREATED, OP_NEXT, { RAISE_LATER (OTHER) },
    { FAILS (OTHER), CLOSED, RAN, NO_RV } },
  { "created/send-none/yield", S_CREATED, OP_SEND_NONE, { Y (1) },
    { YIELDS (1), SUSPENDED, RAN, NO_RV } },
  { "created/send-none/return-later", S_CREATED, OP_SEND_NONE, { RET_LATER (7) },
    { FINISHED, CLOSED, RAN, 7 } },
  { "created/send-none/raise", S_CREATED, OP_SEND_NONE, { RAISE (OTHER) },
    { FAILS (OTHER), CLOSED, RAN, NO_RV } },

  /* CREATED × send(v): NOT_STARTED, still startable */
  { "created/send/not-started", S_CREATED, OP_SEND, { Y (1) },
    { FAILS (NOT_STARTED), CREATED, NOT_RUN, NO_RV },
    { { OP_NEXT, { YIELDS (1), SUSPENDED, RAN, NO_RV } } } },

  /* CREATED × throw / close: closed, the body never runs */
  { "created/throw/never-runs", S_CREATED, OP_THROW, { { 0 } },
    { FAILS (BOOM), CLOSED, NOT_RUN, NO_RV },
    { THEN_NEXT_FINISHED (NO_RV), THEN_CLOSE_NOTHING (NO_RV) } },
  { "created/throw-exit/never-runs", S_CREATED, OP_THROW_EXIT, { { 0 } },
    { FAILS (EXIT), CLOSED, NOT_RUN, NO_RV },
    { THEN_NEXT_FINISHED (NO_RV) } },
  { "created/close/never-runs", S_CREATED, OP_CLOSE, { { 0 } },
    { CLOSE_OK, CLOSED, NOT_RUN, NO_RV },
    { THEN_NEXT_FINISHED (NO_RV) } },

  /* SUSPENDED × next / send(None) / send(v): the yield returns TRUE */
  { "suspended/next/yield", S_SUSPENDED, OP_NEXT, { Y (2) },
    { YIELDS (2), SUSPENDED, RAN, NO_RV } },
  { "suspended/next/yield-later", S_SUSPENDED, OP_NEXT, { Y_LATER (2) },
    { YIELDS (2), SUSPENDED, RAN, NO_RV } },
  { "suspended/next/return", S_SUSPENDED, OP_NEXT, { RET (7) },
    { FINISHED, CLOSED, RAN, 7 }, { THEN_CLOSE_NOTHING (7) } },
  { "suspended/next/raise", S_SUSPENDED, OP_NEXT, { RAISE (OTHER) },
    { FAILS (OTHER), CLOSED, RAN, NO_RV }, { THEN_NEXT_FINISHED (NO_RV) } },
  { "suspended/send-none/yield", S_SUSPENDED, OP_SEND_NONE, { Y (2) },
    { YIELDS (2), SUSPENDED, RAN, NO_RV } },
  { "suspended/send-none/return", S_SUSPENDED, OP_SEND_NONE, { RET (7) },
    { FINISHED, CLOSED, RAN, 7 } },
  { "suspended/send/yield", S_SUSPENDED, OP_SEND, { Y (2) },
    { YIELDS (2), SUSPENDED, RAN, NO_RV } },
  { "suspended/send/return", S_SUSPENDED, OP_SEND, { RET (7) },
    { FINISHED, CLOSED, RAN, 7 } },
  { "suspended/send/raise-later", S_SUSPENDED, OP_SEND, { RAISE_LATER (OTHER) },
    { FAILS (OTHER), CLOSED, RAN, NO_RV } },

  /* SUSPENDED × throw(e): the yield returns FALSE + e */
  { "suspended/throw/catch-yield", S_SUSPENDED, OP_THROW, { Y (2) },
    { YIELDS (2), SUSPENDED, RAN, NO_RV } },
  { "suspended/throw/catch-yield-later", S_SUSPENDED, OP_THROW, { Y_LATER (2) },
    { YIELDS (2), SUSPENDED, RAN, NO_RV } },
  { "suspended/throw/catch-return", S_SUSPENDED, OP_THROW, { RET (7) },
    { FINISHED, CLOSED, RAN, 7 } },
  { "suspended/throw/let-out", S_SUSPENDED, OP_THROW, { OUT },
    { FAILS (BOOM), CLOSED, RAN, NO_RV },
    { THEN_NEXT_FINISHED (NO_RV), THEN_CLOSE_NOTHING (NO_RV) } },
  { "suspended/throw/let-out-later", S_SUSPENDED, OP_THROW, { OUT_LATER },
    { FAILS (BOOM), CLOSED, RAN, NO_RV } },
  { "suspended/throw/raise-other", S_SUSPENDED, OP_THROW, { RAISE (OTHER) },
    { FAILS (OTHER), CLOSED, RAN, NO_RV } },

  /* SUSPENDED × throw(EXIT): an ordinary throw, no IGNORED_EXIT */
  { "suspended/throw-exit/catch-yield", S_SUSPENDED, OP_THROW_EXIT, { Y (2) },
    { YIELDS (2), SUSPENDED, RAN, NO_RV },
    { { OP_NEXT, { FINISHED, CLOSED, RAN, NO_RV } } } },
  { "suspended/throw-exit/let-out", S_SUSPENDED, OP_THROW_EXIT, { OUT },
    { FAILS (EXIT), CLOSED, RAN, NO_RV }, { THEN_NEXT_FINISHED (NO_RV) } },
  { "suspended/throw-exit/catch-return", S_SUSPENDED, OP_THROW_EXIT, { RET (7) },
    { FINISHED, CLOSED, RAN, 7 } },

  /* SUSPENDED × close: the yield returns FALSE + EXIT; the close outcome */
  { "suspended/close/let-out", S_SUSPENDED, OP_CLOSE, { OUT },
    { CLOSE_OK, CLOSED, RAN, NO_RV }, { THEN_NEXT_FINISHED (NO_RV) } },
  { "suspended/close/let-out-later", S_SUSPENDED, OP_CLOSE, { OUT_LATER },
    { CLOSE_OK, CLOSED, RAN, NO_RV } },
  { "suspended/close/raise-exit", S_SUSPENDED, OP_CLOSE, { RAISE (EXIT) },
    { CLOSE_OK, CLOSED, RAN, NO_RV } },
  { "suspended/close/return", S_SUSPENDED, OP_CLOSE, { RET (7) },
    { CLOSE_OK, CLOSED, RAN, 7 }, { THEN_CLOSE_NOTHING (7) } },
  { "suspended/close/return-no-value", S_SUSPENDED, OP_CLOSE, { RET (0) },
    { CLOSE_OK, CLOSED, RAN, NO_RV } },
  { "suspended/close/return-later", S_SUSPENDED, OP_CLOSE, { RET_LATER (7) },
    { CLOSE_OK, CLOSED, RAN, 7 } },
  { "suspended/close/raise-other", S_SUSPENDED, OP_CLOSE, { RAISE (OTHER) },
    { FAILS (OTHER), CLOSED, RAN, NO_RV },
    { THEN_CLOSE_NOTHING (NO_RV), THEN_NEXT_FINISHED (NO_RV) } },
  { "suspended/close/raise-other-later", S_SUSPENDED, OP_CLOSE, { RAISE_LATER (OTHER) },
    { FAILS (OTHER), CLOSED, RAN, NO_RV } },
  { "suspended/close/yield-then-next", S_SUSPENDED, OP_CLOSE, { Y (9), Y (2) },
    { FAILS (IGNORED_EXIT), SUSPENDED, RAN, NO_RV },
    { { OP_NEXT, { YIELDS (2), SUSPENDED, RAN, NO_RV } },
      { OP_CLOSE, { CLOSE_OK, CLOSED, RAN, NO_RV } } } },
  { "suspended/close/yield-then-close", S_SUSPENDED, OP_CLOSE, { Y (9), RET (7) },
    { FAILS (IGNORED_EXIT), SUSPENDED, RAN, NO_RV },
    { { OP_CLOSE, { CLOSE_OK, CLOSED, RAN, 7 } } } },
  { "suspended/close/yield-later", S_SUSPENDED, OP_CLOSE, { Y_LATER (9), RAISE (OTHER) },
    { FAILS (IGNORED_EXIT), SUSPENDED, RAN, NO_RV },
    { { OP_CLOSE, { FAILS (OTHER), CLOSED, RAN, NO_RV } } } },

  /* RUNNING × every op: RUNNING, the step is left alone. Once the gate
   * opens the pending next yields; a next then shows that the op under
   * test delivered nothing to the body. */
  { "running/next", S_RUNNING, OP_NEXT, { Y (2) },
    { FAILS (RUNNING), RUNNING, NOT_RUN, NO_RV },
    { { OP_NEXT, { YIELDS (2), SUSPENDED, RAN, NO_RV } } } },
  { "running/send-none", S_RUNNING, OP_SEND_NONE, { Y (2) },
    { FAILS (RUNNING), RUNNING, NOT_RUN, NO_RV },
    { { OP_NEXT, { YIELDS (2), SUSPENDED, RAN, NO_RV } } } },
  { "running/send", S_RUNNING, OP_SEND, { Y (2) },
    { FAILS (RUNNING), RUNNING, NOT_RUN, NO_RV },
    { { OP_NEXT, { YIELDS (2), SUSPENDED, RAN, NO_RV } } } },
  { "running/throw", S_RUNNING, OP_THROW, { Y (2) },
    { FAILS (RUNNING), RUNNING, NOT_RUN, NO_RV },
    { { OP_NEXT, { YIELDS (2), SUSPENDED, RAN, NO_RV } } } },
  { "running/throw-exit", S_RUNNING, OP_THROW_EXIT, { Y (2) },
    { FAILS (RUNNING), RUNNING, NOT_RUN, NO_RV },
    { { OP_NEXT, { YIELDS (2), SUSPENDED, RAN, NO_RV } } } },
  { "running/close", S_RUNNING, OP_CLOSE, { Y (2) },
    { FAILS (RUNNING), RUNNING, NOT_RUN, NO_RV },
    { { OP_NEXT, { YIELDS (2), SUSPENDED, RAN, NO_RV } } } },
  { "running-resumed/send", S_RUNNING_RESUMED, OP_SEND, { Y (3) },
    { FAILS (RUNNING), RUNNING, NOT_RUN, NO_RV },
    { { OP_NEXT, { YIELDS (3), SUSPENDED, RAN, NO_RV } } } },
  { "running-resumed/throw", S_RUNNING_RESUMED, OP_THROW, { Y (3) },
    { FAILS (RUNNING), RUNNING, NOT_RUN, NO_RV },
    { { OP_NEXT, { YIELDS (3), SUSPENDED, RAN, NO_RV } } } },
  { "running-resumed/close", S_RUNNING_RESUMED, OP_CLOSE, { Y (3) },
    { FAILS (RUNNING), RUNNING, NOT_RUN, NO_RV },
    { { OP_NEXT, { YIELDS (3), SUSPENDED, RAN, NO_RV } } } },

  /* CLOSED × every op: finished, close TRUE, nothing runs; the return
   * value stays readable */
  { "closed/next", S_CLOSED_RETURNED, OP_NEXT, { { 0 } },
    { FINISHED, CLOSED, NOT_RUN, 7 } },
  { "closed/send-none", S_CLOSED_RETURNED, OP_SEND_NONE, { { 0 } },
    { FINISHED, CLOSED, NOT_RUN, 7 } },
  { "closed/send", S_CLOSED_RETURNED, OP_SEND, { { 0 } },
    { FINISHED, CLOSED, NOT_RUN, 7 } },
  { "closed/throw", S_CLOSED_RETURNED, OP_THROW, { { 0 } },
    { FINISHED, CLOSED, NOT_RUN, 7 } },
  { "closed/throw-exit", S_CLOSED_RETURNED, OP_THROW_EXIT, { { 0 } },
    { FINISHED, CLOSED, NOT_RUN, 7 } },
  { "closed/close", S_CLOSED_RETURNED, OP_CLOSE, { { 0 } },
    { CLOSE_OK, CLOSED, NOT_RUN, 7 }, { THEN_NEXT_FINISHED (7) } },

  /* CLOSED by an error: reported once, then finished */
  { "closed-raised/next", S_CLOSED_RAISED, OP_NEXT, { { 0 } },
    { FINISHED, CLOSED, NOT_RUN, NO_RV }, { THEN_CLOSE_NOTHING (NO_RV) } },
  { "closed-raised/send", S_CLOSED_RAISED, OP_SEND, { { 0 } },
    { FINISHED, CLOSED, NOT_RUN, NO_RV } },
  { "closed-raised/throw", S_CLOSED_RAISED, OP_THROW, { { 0 } },
    { FINISHED, CLOSED, NOT_RUN, NO_RV } },
  { "closed-raised/close", S_CLOSED_RAISED, OP_CLOSE, { { 0 } },
    { CLOSE_OK, CLOSED, NOT_RUN, NO_RV } },

  /* CLOSED by close, and before the body started */
  { "closed-closed/next", S_CLOSED_CLOSED, OP_NEXT, { { 0 } },
    { FINISHED, CLOSED, NOT_RUN, NO_RV } },
  { "closed-closed/throw-exit", S_CLOSED_CLOSED, OP_THROW_EXIT, { { 0 } },
    { FINISHED, CLOSED, NOT_RUN, NO_RV } },
  { "closed-closed/close", S_CLOSED_CLOSED, OP_CLOSE, { { 0 } },
    { CLOSE_OK, CLOSED, NOT_RUN, NO_RV } },
  { "closed-unstarted/next", S_CLOSED_UNSTARTED, OP_NEXT, { { 0 } },
    { FINISHED, CLOSED, NOT_RUN, NO_RV } },
  { "closed-unstarted/send", S_CLOSED_UNSTARTED, OP_SEND, { { 0 } },
    { FINISHED, CLOSED, NOT_RUN, NO_RV } },
  { "closed-unstarted/close", S_CLOSED_UNSTARTED, OP_CLOSE, { { 0 } },
    { CLOSE_OK, CLOSED, NOT_RUN, NO_RV } },
  { "closed-thrown/next", S_CLOSED_THROWN, OP_NEXT, { { 0 } },
    { FINISHED, CLOSED, NOT_RUN, NO_RV } },
  { "closed-thrown/throw", S_CLOSED_THROWN, OP_THROW, { { 0 } },
    { FINISHED, CLOSED, NOT_RUN, NO_RV } },
};

/* Paths and bodies ---------------------------------------------------------- */

typedef enum { PATH_ASYNC, PATH_BLOCKING, PATH_IN_FIBER, N_PATHS } Path;
typedef enum { BODY_FIBER, BODY_DRIVEN, N_BODIES } Body;

static const char *const path_names[] = { "async", "blocking", "in-fiber" };
static const char *const body_names[] = { "fiber", "driven" };

/* Combinations where the library disagrees with the table: skipped, with
 * the reason. path or body -1 matches all. */
static const struct
{
  const char *row;
  int         path;
  int         body;
  const char *reason;
} known[] = {
  { NULL, 0, 0, NULL },
};

typedef struct
{
  const Row *row;
  Path       path;
  Body       body;
} Case;

/* The script a body interprets, and what it saw. */
typedef struct
{
  Body           body;
  Act            acts[8];     /* the start's prefix, then the row's body; A_END after */
  guint          pc;
  Op             op;          /* the op in progress, set by run_op() */
  guint          resumes;     /* starts and resumes of the body */
  char           received[16];  /* what the last one gave it */
  GError        *last_error;  /* the error it received last time, if any */
  guint          destroyed;
  gboolean       in_step;
  AgenGenerator *gen;         /* borrowed: for answers from an idle or the gate */
  const Act     *later;       /* driven: the answer an idle gives */
  const Act     *gated;       /* driven: the answer held until the gate opens */
  gboolean       at_gate;
  AgenTestGate   gate;        /* fiber: the gate the body awaits */
} Script;

static void
script_received (Script       *s,
                 const GValue *sent,
                 const GError *error)
{
  s->resumes++;
  g_clear_error (&s->last_error);
  if (error != NULL)
    {
      s->last_error = g_error_copy (error);
      g_strlcpy (s->received, err_name (error), sizeof s->received);
    }
  else if (sent == NULL || agen_test_value_is_none (sent))
    g_strlcpy (s->received, "none", sizeof s->received);
  else
    g_snprintf (s->received, sizeof s->received, "%d", g_value_get_int (sent));
}

static void
script_destroy (gpointer data)
{
  Script *s = data;

  g_assert_null (agen_fiber_get_current ());
  g_assert_false (s->in_step);
  s->destroyed++;
}

/* The fiber body: the script, in order. */
static gboolean
fiber_body (AgenGenerator  *self,
            gpointer        user_data,
            GError        **error)
{
  Script *s = user_data;

  g_assert_nonnull (agen_fiber_get_current ());
  script_received (s, NULL, NULL);

  for (;;)
    {
      const Act *act = &s->acts[s->pc++];
      g_auto(GValue) sent = G_VALUE_INIT;
      g_autoptr(GError) caught = NULL;

      g_assert_cmpuint (s->pc, <=, G_N_ELEMENTS (s->acts));
      if (act->what & A_GATE)
        {
          s->at_gate = TRUE;
          if (!agen_test_gate_wait (&s->gate, self, error))
            return FALSE;
        }
      if ((act->what & A_LATER) && !agen_test_sleep (self, 1, NULL, error))
        return FALSE;

      switch (act->what & A_KIND)
        {
        case A_YIELD:
          if (agen_test_yield_int (self, act->arg, &sent, &caught))
            script_received (s, &sent, NULL);
          else
            script_received (s, NULL, caught);
          break;

        case A_RETURN:
          if (act->arg != 0)
            {
              g_auto(GValue) rv = G_VALUE_INIT;

              agen_generator_set_return_value (self, agen_test_value_int (&rv, act->arg));
            }
          return TRUE;

        case A_RAISE:
          g_propagate_error (error, err_new (act->arg));
          return FALSE;

        case A_END:
          if (s->last_error == NULL)
            return TRUE;
          G_GNUC_FALLTHROUGH;
        case A_LET_OUT:
          g_assert_nonnull (s->last_error);
          g_propagate_error (error, g_error_copy (s->last_error));
          return FALSE;

        default:
          g_assert_not_reached ();
        }
    }
}

/* The driven body: answers a step as the script says. */
static void
driven_answer (Script    *s,
               const Act *act)
{
  g_auto(GValue) value = G_VALUE_INIT;
  g_autoptr(GError) error = NULL;

  switch (act->what & A_KIND)
    {
    case A_YIELD:
      agen_generator_answer_yield (s->gen, agen_test_value_int (&value, act->arg));
      break;

    case A_RETURN:
      agen_generator_answer_return (s->gen, act->arg != 0 ? agen_test_value_int (&value, act->arg) : NULL);
      break;

    case A_RAISE:
      error = err_new (act->arg);
      agen_generator_answer_error (s->gen, error);
      break;

    case A_END:
      if (s->last_error == NULL)
        {
          agen_generator_answer_return (s->gen, NULL);
          break;
        }
      G_GNUC_FALLTHROUGH;
    case A_LET_OUT:
      g_assert_nonnull (s->last_error);
      agen_generator_answer_error (s->gen, s->last_error);
      break;

    default:
      g_assert_not_reached ();
    }
}

static gboolean
answer_later_cb (gpointer data)
{
  Script *s = data;

  g_assert_null (agen_fiber_get_current ());
  driven_answer (s, g_steal_pointer (&s->later));
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
  Script *s = user_data;
  const Act *act;

  g_assert_null (agen_fiber_get_current ());
  g_assert_false (s->in_step);
  g_assert_cmpint (kind, ==, op_step_kind[s->op]);
  g_assert_true ((value != NULL) == (kind == AGEN_STEP_SEND));
  g_assert_true ((thrown != NULL) == (kind == AGEN_STEP_THROW || kind == AGEN_STEP_CLOSE));
  if (kind == AGEN_STEP_CLOSE)
    g_assert_error (thrown, AGEN_ERROR, AGEN_ERROR_EXIT);

  script_received (s, value, thrown);
  s->gen = gen;
  act = &s->acts[s->pc++];
  g_assert_cmpuint (s->pc, <=, G_N_ELEMENTS (s->acts));

  if (act->what & A_GATE)
    {
      s->gated = act;
      s->at_gate = TRUE;
      return TRUE;
    }
  if (act->what & A_LATER)
    {
      g_assert_null (s->later);
      s->later = act;
      g_idle_add (answer_later_cb, s);
      return TRUE;
    }

  s->in_step = TRUE;
  driven_answer (s, act);
  s->in_step = FALSE;
  return TRUE;
}

/* Lets the body waiting at the gate go on. */
static void
script_open_gate (Script *s)
{
  g_assert_true (s->at_gate);
  s->at_gate = FALSE;
  if (s->body == BODY_FIBER)
    agen_test_gate_open (&s->gate);
  else
    driven_answer (s, g_steal_pointer (&s->gated));
}

/* The three consumer paths ---------------------------------------------------- */

static GError *
op_error (Op op)
{
  return err_new (op == OP_THROW_EXIT ? E_EXIT : E_BOOM);
}

static void
async_op (AgenGenerator  *gen,
          Op              op,
          AgenTestResult *r)
{
  g_auto(GValue) in = G_VALUE_INIT;
  g_autoptr(GError) thrown = NULL;

  switch (op)
    {
    case OP_NEXT:
      agen_test_next (gen, NULL, r);
      break;
    case OP_SEND_NONE:
      agen_test_send (gen, NULL, NULL, r);
      break;
    case OP_SEND:
      agen_test_send (gen, agen_test_value_int (&in, SENT), NULL, r);
      break;
    case OP_THROW:
    case OP_THROW_EXIT:
      thrown = op_error (op);
      agen_test_throw (gen, thrown, NULL, r);
      break;
    case OP_CLOSE:
      agen_test_close (gen, NULL, r);
      break;
    case OP_NONE:
    default:
      g_assert_not_reached ();
    }
}

/* The blocking forms; the out value is passed uninitialised. send(None)
 * goes as a None GValue here, as NULL in async_op(). */
static void
blocking_op (AgenGenerator  *gen,
             Op              op,
             AgenTestResult *r)
{
  g_auto(GValue) in = G_VALUE_INIT;
  g_autoptr(GError) thrown = NULL;

  agen_test_result_clear (r);
  switch (op)
    {
    case OP_NEXT:
      r->ok = agen_generator_next (gen, NULL, &r->value, &r->error);
      break;
    case OP_SEND_NONE:
      r->ok = agen_generator_send (gen, agen_test_value_none (&in), NULL, &r->value, &r->error);
      break;
    case OP_SEND:
      r->ok = agen_generator_send (gen, agen_test_value_int (&in, SENT), NULL, &r->value, &r->error);
      break;
    case OP_THROW:
    case OP_THROW_EXIT:
      thrown = op_error (op);
      r->ok = agen_generator_throw (gen, thrown, NULL, &r->value, &r->error);
      break;
    case OP_CLOSE:
      r->ok = agen_generator_close (gen, NULL, &r->error);
      break;
    case OP_NONE:
    default:
      g_assert_not_reached ();
    }
  r->done = TRUE;
}

typedef struct
{
  AgenGenerator  *gen;
  Op              op;
  AgenTestResult *r;
} InFiber;

/* A helper generator's body: the blocking op on the generator under test,
 * which suspends only this body; the outcome goes back through r. */
static gboolean
in_fiber_body (AgenGenerator  *self,
               gpointer        user_data,
               GError        **error)
{
  InFiber *data = user_data;

  g_assert_nonnull (agen_fiber_get_current ());
  blocking_op (data->gen, data->op, data->r);
  return TRUE;
}

static void
run_op (Script         *s,
        Path            path,
        AgenGenerator  *gen,
        Op              op,
        AgenTestResult *r)
{
  s->op = op;
  switch (path)
    {
    case PATH_ASYNC:
      async_op (gen, op, r);
      break;

    case PATH_BLOCKING:
      blocking_op (gen, op, r);
      break;

    case PATH_IN_FIBER:
      {
        InFiber data = { gen, op, r };
        g_autoptr(AgenGenerator) helper = agen_generator_new (in_fiber_body, &data, NULL);
        g_auto(AgenTestResult) hr = AGEN_TEST_RESULT_INIT;

        agen_test_result_clear (r);
        agen_test_next (helper, NULL, &hr);
        agen_test_assert_finished (&hr);
        g_assert_cmpint (agen_generator_get_state (helper), ==, CLOSED);
      }
      break;

    case N_PATHS:
    default:
      g_assert_not_reached ();
    }
  g_assert_true (r->done);
}

/* Checks ---------------------------------------------------------------------- */

static void
check (Script               *s,
       AgenGenerator        *gen,
       Op                    op,
       const AgenTestResult *r,
       const Expect         *x,
       guint                 resumes_before)
{
  g_auto(GValue) rv = G_VALUE_INIT;
  AgenGeneratorState state = agen_generator_get_state (gen);

  switch (x->outcome)
    {
    case O_YIELD:
      g_assert_no_error (r->error);
      g_assert_true (r->ok);
      agen_test_assert_int (&r->value, x->arg);
      break;
    case O_FINISHED:
      g_assert_no_error (r->error);
      g_assert_false (r->ok);
      break;
    case O_FAIL:
      g_assert_error (r->error, err_domain (x->arg), err_code (x->arg));
      g_assert_false (r->ok);
      break;
    case O_OK:
      g_assert_no_error (r->error);
      g_assert_true (r->ok);
      break;
    default:
      g_assert_not_reached ();
    }
  if (op == OP_CLOSE)
    g_assert_false (G_IS_VALUE (&r->value));
  else if (x->outcome != O_YIELD)
    agen_test_assert_none (&r->value);

  g_assert_cmpint (state, ==, x->state);
  g_assert_cmpint (agen_generator_get_running (gen), ==, state == RUNNING);

  g_assert_cmpuint (s->resumes - resumes_before, ==, x->runs ? 1 : 0);
  if (x->runs)
    g_assert_cmpstr (s->received, ==, resumes_before == 0 ? "none" : op_delivers[op]);

  if (x->rv != 0)
    {
      g_assert_true (agen_generator_get_return_value (gen, &rv));
      agen_test_assert_int (&rv, x->rv);
    }
  else
    g_assert_false (agen_generator_get_return_value (gen, &rv));

  g_assert_cmpuint (s->destroyed, ==, state == CLOSED ? 1 : 0);
}

static void
run_and_check (Script        *s,
               Path           path,
               AgenGenerator *gen,
               const OpCheck *step)
{
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;
  guint before = s->resumes;

  run_op (s, path, gen, step->op, &r);
  check (s, gen, step->op, &r, &step->expect, before);
}

static void
test_row (gconstpointer data)
{
  const Case *c = data;
  const Row *row = c->row;
  const StartDef *start = &starts[row->start];
  Script s;
  AgenGenerator *gen;
  g_auto(AgenTestResult) pending = AGEN_TEST_RESULT_INIT;
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;
  guint pending_before = 0, n = 0;

  for (guint i = 0; known[i].row != NULL; i++)
    if (strcmp (known[i].row, row->name) == 0 &&
        (known[i].path < 0 || known[i].path == (int) c->path) &&
        (known[i].body < 0 || known[i].body == (int) c->body))
      {
        g_test_skip (known[i].reason);
        return;
      }

  memset (&s, 0, sizeof s);
  s.body = c->body;
  for (guint i = 0; i < G_N_ELEMENTS (start->prefix) && start->prefix[i].what != A_END; i++)
    s.acts[n++] = start->prefix[i];
  for (guint i = 0; i < G_N_ELEMENTS (row->body) && row->body[i].what != A_END; i++)
    s.acts[n++] = row->body[i];
  g_assert_cmpuint (n, <, G_N_ELEMENTS (s.acts));

  if (c->body == BODY_FIBER)
    gen = agen_generator_new (fiber_body, &s, script_destroy);
  else
    gen = agen_generator_new_driven (driven_step, &s, script_destroy);

  /* Reach the starting state */
  for (guint i = 0; i < G_N_ELEMENTS (start->setup) && start->setup[i].op != OP_NONE; i++)
    run_and_check (&s, c->path, gen, &start->setup[i]);
  if (start->pending)
    {
      pending_before = s.resumes;
      s.op = OP_NEXT;
      agen_generator_next_async (gen, NULL, agen_test_next_cb, &pending);
      agen_test_spin_until (&s.at_gate, 5000);
      g_assert_false (pending.done);
      g_assert_cmpint (agen_generator_get_state (gen), ==, RUNNING);
    }

  /* The op under test */
  {
    OpCheck step = { row->op, row->expect };

    run_and_check (&s, c->path, gen, &step);
  }

  if (start->pending)
    {
      script_open_gate (&s);
      agen_test_spin_until (&pending.done, 5000);
      check (&s, gen, OP_NEXT, &pending, &start->pending_expect, pending_before);
    }

  for (guint i = 0; i < G_N_ELEMENTS (row->then) && row->then[i].op != OP_NONE; i++)
    run_and_check (&s, c->path, gen, &row->then[i]);

  /* Close what is left suspended (the script's end lets EXIT out), then
   * the generator must go, having destroyed its user data once. */
  if (agen_generator_get_state (gen) == SUSPENDED)
    {
      s.op = OP_CLOSE;
      g_assert_true (agen_test_close (gen, NULL, &r));
      g_assert_no_error (r.error);
    }
  g_assert_null (s.later);
  g_assert_false (s.at_gate);
  agen_test_assert_finalized (gen, 5000);
  g_assert_cmpuint (s.destroyed, ==, 1);
  g_clear_error (&s.last_error);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    for (Path p = 0; p < N_PATHS; p++)
      for (Body b = 0; b < N_BODIES; b++)
        {
          Case *c = g_new (Case, 1);
          g_autofree char *name = g_strdup_printf ("/Agen/Matrix/%s/%s/%s", rows[i].name,
                                                   path_names[p], body_names[b]);

          c->row = &rows[i];
          c->path = p;
          c->body = b;
          g_test_add_data_func_full (name, c, test_row, g_free);
        }

  return g_test_run ();
}
