/* fuzz-model.h — the fuzzer's reference model of AgenGenerator
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A plain C state machine, written from the rules of PEP 525 async
 * generators as agen applies them (the state x operation table, the body
 * rules, yield_from, cancellation, finalization; see the API docs in
 * agen/agen-generator.h and agen/agen-hooks.h). Given the scripted bodies
 * it predicts, for every consumer step, the outcome, the states, and the
 * events (FzEvent) that the real run must produce in the same order.
 *
 * The model runs each step to completion before the harness runs it on
 * the library. Steps are atomic: the harness waits for everything a step
 * started before it starts the next. Inside a step, the only things that
 * happen "meanwhile" are those whose outcome does not depend on timing:
 * the probes (started at the step's first await, on generators that are
 * RUNNING or CLOSED then, or with a cancelled cancellable) and async ops a
 * body starts on such generators. References a body takes are released
 * by the harness between steps, in order, so that finalization (and the
 * default finalizer's close) also happens between steps.
 */

#pragma once

#include "fuzz-script.h"

/* The states, with AgenGeneratorState's values. */
enum
{
  FZ_ST_CREATED,
  FZ_ST_SUSPENDED,
  FZ_ST_RUNNING,
  FZ_ST_CLOSED,
};

#define FZ_MAX_CANCEL   64   /* cancellable ids: one per step */
#define FZ_MAX_RELEASES 256

typedef struct
{
  int      state;
  int      pc;
  bool     started;
  bool     ended;          /* the body function returned */
  bool     body_released;  /* user_data destroyed */
  bool     returned;       /* the body returned TRUE */
  bool     rv_set;
  FzVal    rv;
  bool     has_saved;      /* an error was caught, for FZ_I_RERAISE */
  FzErr    saved;
  bool     has_owner;
  bool     ignored_exit;
  bool     finalizer_ran;
  bool     finalized;
  bool     table;          /* the consumer holds its reference */
  int      refs;           /* every reference that outlives a step */
  int      holding;        /* the inner of the yield_from in progress, or -1 */
  int      step_cancel;    /* the step's cancellable id, or -1 */
  int      destroyed;
  bool     in_step_fn;     /* driven: the body runs inside its step
                              function's call (it has not left the thread
                              since the step began) */
  bool     release_pending;  /* see FzModel.defer_release */
  int      try_state;      /* FZ_TRY_* below */
  FzOutcome try_out;       /* FZ_TRY_DONE: the outcome to collect */
} FzModelGen;

/* A generator's try_next step (docs/semantics.md, "Synchronous
 * completion"). */
enum
{
  FZ_TRY_NONE,      /* none */
  FZ_TRY_DONE,      /* ended; its outcome waits to be collected */
};

/* An async op whose outcome is checked when its callback runs. */
typedef struct
{
  uint8_t   target;
  FzOpSpec  op;
  bool      cancelled;     /* started with a cancelled cancellable */
  bool      blocking;      /* a probe in the blocking form */
  FzOutcome expect;
} FzAsyncExpect;

typedef struct
{
  FzOutcome outcome;
  bool      skipped;        /* no generator left to target */
  bool      snapped;        /* the step awaited: snapshot at its first await */
  int       snap_state[FZ_MAX_GENS];   /* states right after the _async call */
  bool      snap_finalized[FZ_MAX_GENS];
  int       first_async;    /* async ids this step started: [first, end) */
  int       end_async;
} FzStepExpect;

typedef struct
{
  const FzProgram *prog;
  FzEventLog      *log;
  FzModelGen       g[FZ_MAX_GENS];
  bool             cancelled[FZ_MAX_CANCEL];

  /* The consumer step in progress: what happens at its first await. */
  bool             armed;
  int              arm_cancel;
  FzStep          *arm_step;
  bool             snapped;
  int              snap_state[FZ_MAX_GENS];
  bool             snap_finalized[FZ_MAX_GENS];

  /* A FZ_STEP_TRY in progress: its try_next is running the body of
   * try_gen (-1 otherwise), try_blocked once that body waited (try_next
   * then gives WOULD_BLOCK and the waits are made), try_waiter the async
   * id of the wait that gets the outcome (-1 if none). */
  int              try_gen;
  bool             try_blocked;
  int              try_waiter;

  /* Set around an op whose completion is observable synchronously (the
   * default finalizer's close): a driven body that ends inside its step
   * function has its user_data destroyed only after that. */
  bool             defer_release;

  /* How often a body left the thread (at_first_await() calls), and the
   * _async calls made on each generator during the step: a try_next from
   * a body (FzOpSpec.try_form) is made only on a generator with none,
   * whose callback might still be to come (try_next then refuses with
   * RUNNING, or not, depending on the order of the main loop's sources);
   * on the others the body makes a plain next. The harness counts the
   * same. */
  int              leaves;
  int              issued[FZ_MAX_GENS];

  /* References to release between steps, in order. */
  int              release[FZ_MAX_RELEASES];
  int              rel_head, rel_tail;

  FzAsyncExpect    async[FZ_MAX_ASYNC];
  int              n_async;

  /* Set when a limit was hit: the input is not worth checking. */
  bool             overflow;
} FzModel;

void fz_model_init (FzModel         *m,
                    const FzProgram *prog,
                    FzEventLog      *log);

/* Adjusts a step to what can be run: a target the consumer no longer
 * holds is replaced by the next one it holds; a worker thread's op on a
 * generator with no owner yet becomes a blocking op on the main thread
 * (from a plain worker thread it would make the global default context the
 * owner), and an async op from another context an async op from the
 * owner's (that context would become the owner: one owner context per
 * program keeps the main loop simple). Returns false when no generator is
 * held any more. */
bool fz_model_fixup_step (FzModel *m,
                          FzStep  *step);

/* Predicts step (already fixed up), with id as its cancellable's id. May
 * mark its probes as skipped or cancelled; the harness must then run them
 * as marked. */
void fz_model_run_step (FzModel      *m,
                        FzStep       *step,
                        int           id,
                        FzStepExpect *expect);

/* The return value get_return_value() gives: TRUE + value, or FALSE. */
bool fz_model_return_value (const FzModel *m,
                            int            gen,
                            FzVal         *value);
