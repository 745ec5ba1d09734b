/* fuzz-model.c — the fuzzer's reference model of AgenGenerator
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * See fuzz-model.h. The model is a direct interpreter: an op on a
 * generator runs its scripted body right away, recursively for the ops a
 * body makes on other generators, until the body yields, returns or
 * raises. A suspended body is a program counter (and, inside a yield_from,
 * the inner it delegates to), so no coroutines are needed.
 *
 * The rules, in the order agen applies them to every op:
 *  1. a cancellable that is already cancelled: G_IO_ERROR_CANCELLED and
 *     nothing else happens (not even the first-op bookkeeping);
 *  2. the first op that gets past 1 records the owner and runs the
 *     first_iter hook;
 *  3. the state table:
 *       RUNNING    any op: AGEN_ERROR_RUNNING, nothing else changes
 *       CLOSED     close: TRUE; anything else: finished (FALSE, no error)
 *       CREATED    next: start the body; send(v): NOT_STARTED and stay
 *                  startable; throw(e): FALSE + e, CLOSED without running;
 *                  close: TRUE, CLOSED without running
 *       SUSPENDED  resume the yield: next/send give TRUE (with the sent
 *                  value), throw gives FALSE + e, close FALSE + EXIT
 *     and the step's outcome: a yield gives TRUE + value and SUSPENDED,
 *     except during a close, where it gives IGNORED_EXIT (value dropped,
 *     still SUSPENDED and usable); returning gives finished (close: TRUE);
 *     raising gives FALSE + error (close: TRUE if the error is EXIT);
 *     both end in CLOSED, and user_data is destroyed when the body ends.
 */

#include <string.h>

#include "fuzz-model.h"

typedef enum
{
  RESUME_START = -1,   /* otherwise an FzOpKind */
} ResumeKind;

typedef struct
{
  int   kind;
  FzVal val;
  FzErr err;
} Resume;

typedef enum
{
  EXIT_YIELDED,
  EXIT_RETURNED,
  EXIT_RAISED,
} ExitKind;

typedef struct
{
  ExitKind type;
  FzVal    val;
  FzErr    err;
  bool     unanswered;   /* driven: the step function failed the step
                            (returned FALSE) instead of answering */
  bool     in_fn;        /* driven: answered (or failed) inside the step
                            function's call */
} Exit;

static FzOutcome m_op (FzModel *m, int gi, FzOpSpec op, int cancel, bool deferred);

static const FzErr no_error = { FZ_DOM_NONE, 0 };
static const FzVal none = { FZ_VAL_NONE, 0 };

static FzOutcome
outcome_error (uint8_t domain,
               uint8_t code)
{
  FzOutcome out = { false, none, { domain, code } };

  return out;
}

static FzOutcome
outcome_finished (bool ret)
{
  FzOutcome out = { ret, none, no_error };

  return out;
}

static void
log_event (FzModel *m,
           uint8_t  type,
           int      gen,
           int      pc,
           uint32_t a,
           uint32_t b,
           uint32_t c)
{
  fz_log_add (m->log, type, (uint8_t) gen, (uint8_t) pc, a, b, c);
}

void
fz_model_init (FzModel         *m,
               const FzProgram *prog,
               FzEventLog      *log)
{
  int i;

  memset (m, 0, sizeof *m);
  m->prog = prog;
  m->log = log;
  m->arm_cancel = -1;
  m->try_gen = -1;
  m->try_waiter = -1;

  for (i = 0; i < FZ_MAX_GENS; i++)
    {
      FzModelGen *g = &m->g[i];

      g->state = FZ_ST_CREATED;
      g->holding = -1;
      g->step_cancel = -1;
      if (i < prog->n_gens)
        {
          g->table = true;
          g->refs = 1;
        }
      else
        {
          g->finalized = true;
          g->body_released = true;
          g->destroyed = 1;
        }
    }
}

bool
fz_model_return_value (const FzModel *m,
                       int            gen,
                       FzVal         *value)
{
  const FzModelGen *g = &m->g[gen];

  if (g->state == FZ_ST_CLOSED && g->returned && g->rv_set)
    {
      *value = g->rv;
      return true;
    }

  *value = none;
  return false;
}

/* References and finalization ---------------------------------------------- */

static void
push_release (FzModel *m,
              int      gen)
{
  if (m->rel_tail >= FZ_MAX_RELEASES)
    {
      m->overflow = true;
      return;
    }
  m->release[m->rel_tail++] = gen;
}

/* user_data is destroyed once the body can never run again. The harness's
 * destroy notify also gives back the reference a body holds on the inner
 * of a yield_from it never finished (destroyed without unwinding). */
static void
release_body (FzModel *m,
              int      gi)
{
  FzModelGen *g = &m->g[gi];

  if (g->body_released)
    return;

  g->body_released = true;
  g->destroyed++;
  log_event (m, FZ_EV_DESTROY, gi, 0, 0, 0, 0);
  if (g->holding >= 0)
    {
      push_release (m, g->holding);
      g->holding = -1;
    }
}

static void
finalize (FzModel *m,
          int      gi)
{
  FzModelGen *g = &m->g[gi];

  g->finalized = true;
  /* A body that started and never returned is paused at a yield: its
   * stack is freed without unwinding, and the library says so. */
  if (g->started && !g->ended)
    log_event (m, FZ_EV_WARN_UNCLEANED, 0xff, 0, 0, 0, 0);
  release_body (m, gi);
  log_event (m, FZ_EV_FINALIZED, gi, 0, 0, 0, 0);
}

static void unref (FzModel *m, int gi);

/* The last reference went. A generator paused at a yield is revived once
 * and closed on its owner context by the default finalizer (there is no
 * finalizer hook), unless a close of it already came back IGNORED_EXIT.
 * The close runs on its own, between steps: no consumer step is armed. */
static void
dispose (FzModel *m,
         int      gi)
{
  FzModelGen *g = &m->g[gi];

  if (g->state == FZ_ST_SUSPENDED && !g->finalizer_ran && !g->ignored_exit)
    {
      FzOpSpec close;
      FzOutcome out;

      memset (&close, 0, sizeof close);
      close.kind = FZ_OP_CLOSE;

      g->finalizer_ran = true;
      g->refs = 1;   /* revived */

      switch (m->prog->hook)
        {
        case FZ_HOOK_CLOSE:
          /* The hook gets the reference, closes, and drops it when the
           * close is done. */
          log_event (m, FZ_EV_HOOK, gi, 0, 0, 0, 0);
          m->issued[gi]++;
          out = m_op (m, gi, close, -1, true);
          log_event (m, FZ_EV_HOOK_CLOSED, gi, 0, fz_err_code (out.err), out.ret, 0);
          break;

        case FZ_HOOK_DROP:
          /* The hook drops it: destroyed uncleaned. */
          log_event (m, FZ_EV_HOOK, gi, 0, 0, 0, 0);
          break;

        case FZ_HOOK_NONE:
        default:
          /* The default finalizer's close logs its failure as it
           * completes, which for a driven body that ends inside its step
           * function is before its user_data goes: that waits until the
           * step function has returned (docs/semantics.md, "Driven
           * generators", user_data). */
          m->defer_release = true;
          out = m_op (m, gi, close, -1, true);
          m->defer_release = false;
          if (!out.ret)
            log_event (m, FZ_EV_WARN_CLOSE_FAILED, 0xff, 0, 0, 0, 0);
          if (g->release_pending)
            {
              g->release_pending = false;
              release_body (m, gi);
            }
          break;
        }
      unref (m, gi);
      return;
    }

  finalize (m, gi);
}

static void
unref (FzModel *m,
       int      gi)
{
  FzModelGen *g = &m->g[gi];

  if (g->refs <= 0 || g->finalized)
    {
      m->overflow = true;   /* a bug of the model itself: give up */
      return;
    }

  if (--g->refs > 0)
    return;

  dispose (m, gi);
}

static void
process_releases (FzModel *m)
{
  while (m->rel_head < m->rel_tail && !m->overflow)
    unref (m, m->release[m->rel_head++]);
}

/* The consumer step's first await ----------------------------------------- */

/* The moment the consumer's _async call returns: at the step's first
 * await, or at its end if it never awaits. A consumer that drops its
 * reference while the op is pending does it here; the op's own reference
 * keeps the generator until its callback has run. */
static void
snapshot (FzModel *m)
{
  int i;

  if (m->arm_step != NULL && m->arm_step->unref_pending)
    m->g[m->arm_step->target].table = false;

  m->snapped = true;
  for (i = 0; i < FZ_MAX_GENS; i++)
    {
      m->snap_state[i] = m->g[i].state;
      m->snap_finalized[i] = m->g[i].finalized;
    }
}

static int
add_async (FzModel        *m,
           int             target,
           const FzOpSpec *op,
           bool            cancelled,
           bool            blocking,
           FzOutcome       expect)
{
  FzAsyncExpect *a;

  if (m->n_async >= FZ_MAX_ASYNC)
    {
      m->overflow = true;
      return -1;
    }

  if (!blocking)
    m->issued[target]++;
  a = &m->async[m->n_async];
  a->target = (uint8_t) target;
  a->op = *op;
  a->cancelled = cancelled;
  a->blocking = blocking;
  a->expect = expect;
  return m->n_async++;
}

/* The first await of a consumer step is where the step first leaves the
 * thread to the main loop: the harness cancels the step's cancellable
 * (FZ_CANCEL_DURING) and starts the probes there, before what the await
 * waits for completes. */
static void
at_first_await (FzModel *m)
{
  FzStep *step = m->arm_step;
  int p;

  m->leaves++;
  if (!m->armed)
    return;
  m->armed = false;

  /* A try_next whose body waits: it returns WOULD_BLOCK here, and the
   * harness makes its waits at once, before the cancellation and the
   * probes. The first wait gets the step's outcome (filled in when the
   * step ends); a second is refused with RUNNING ("a second wait on the
   * same step"), and so is a try_next while the step runs (the state
   * table: RUNNING). Cancelling the wait's cancellable, already at the
   * call or at this await, cancels the step's cancellable. */
  if (m->try_gen >= 0)
    {
      FzOpSpec next;

      memset (&next, 0, sizeof next);
      m->try_blocked = true;
      if (step->try_waits != FZ_TRY_NO_WAIT)
        {
          m->try_waiter = add_async (m, m->try_gen, &next, false, false,
                                     outcome_finished (false));
          if (step->try_waits == FZ_TRY_WAIT_TWICE)
            add_async (m, m->try_gen, &next, false, false,
                       outcome_error (FZ_DOM_AGEN, FZ_AGEN_RUNNING));
          else if (step->try_waits == FZ_TRY_WAIT_TRY)
            add_async (m, m->try_gen, &next, false, true,
                       outcome_error (FZ_DOM_AGEN, FZ_AGEN_RUNNING));
          if (step->cancel == FZ_CANCEL_BEFORE || step->cancel == FZ_CANCEL_DURING)
            m->cancelled[m->g[m->try_gen].step_cancel] = true;
        }
    }
  else if (m->arm_cancel >= 0)
    m->cancelled[m->arm_cancel] = true;

  snapshot (m);

  for (p = 0; p < step->n_probes; p++)
    {
      FzProbe *probe = &step->probes[p];
      FzModelGen *t = &m->g[probe->target];
      FzOutcome out;

      if (!t->table)
        {
          probe->skip = true;
          continue;
        }

      /* Only outcomes that cannot depend on what the step does next. */
      if (!probe->cancelled && t->state != FZ_ST_RUNNING && t->state != FZ_ST_CLOSED)
        probe->cancelled = true;

      if (probe->cancelled)
        out = outcome_error (FZ_DOM_IO, FZ_IO_CANCELLED);
      else
        out = m_op (m, probe->target, probe->op, -1, !probe->blocking);

      add_async (m, probe->target, &probe->op, probe->cancelled, probe->blocking, out);
    }
}

/* Bodies ------------------------------------------------------------------- */

static bool
is_driven (const FzModel *m,
           int            gi)
{
  return m->prog->scripts[gi].kind == FZ_BODY_DRIVEN;
}

/* A driven body leaves the thread: its step function (or the callback it
 * went on from) returns to the main loop and it goes on from a later
 * callback. Where the consumer's step first waits, unless it did before. */
static void
driven_leave (FzModel *m,
              int      gi)
{
  m->g[gi].in_step_fn = false;
  at_first_await (m);
}

/* An op a body makes on another generator. A fiber body uses the
 * blocking form, which suspends only the body; a driven body, whose step
 * function must not block, the _async form, and goes on from its
 * callback: the op is deferred (a driven target's step starts from a
 * later pass) and the body leaves the thread until the callback. */
static FzOutcome
body_op (FzModel  *m,
         int       gi,
         int       target,
         FzOpSpec  op,
         int       cancel)
{
  FzOutcome out;

  if (!is_driven (m, gi))
    return m_op (m, target, op, cancel, false);

  m->issued[target]++;
  out = m_op (m, target, op, cancel, true);
  driven_leave (m, gi);
  return out;
}

/* A try_next a body makes on target (docs/semantics.md, "Synchronous
 * completion"), on the owner's thread: an uncollected outcome is
 * returned; otherwise a next runs inside the call (no cancellable: the
 * target's step cancellable is one of its own, never cancelled), and if
 * anything in that step left the thread, try_next gives WOULD_BLOCK and
 * the body makes a wait_async and waits for it, which gets the step's
 * outcome. */
static FzOutcome
body_try (FzModel *m,
          int      gi,
          int      target)
{
  FzModelGen *t = &m->g[target];
  FzOpSpec next;
  FzOutcome out;
  int leaves = m->leaves;

  if (t->try_state == FZ_TRY_DONE)
    {
      t->try_state = FZ_TRY_NONE;
      return t->try_out;
    }

  memset (&next, 0, sizeof next);
  next.kind = FZ_OP_NEXT;
  out = m_op (m, target, next, -1, false);
  if (m->leaves == leaves)
    return out;

  m->issued[target]++;
  if (is_driven (m, gi))
    driven_leave (m, gi);
  else
    at_first_await (m);
  return out;
}

/* A failing instruction: propagate (the body ends raising err) or catch
 * and go on at pc + fail. Returns true when the body ends. */
static bool
fail_at (FzModel *m,
         int      gi,
         int     *pc,
         FzErr    err,
         Exit    *exit)
{
  FzModelGen *g = &m->g[gi];
  const FzIns *ins = &m->prog->scripts[gi].ins[*pc];

  if (ins->fail == 0)
    {
      g->ended = true;
      log_event (m, FZ_EV_END, gi, 0, 0, 0, 0);
      exit->type = EXIT_RAISED;
      exit->err = err;
      return true;
    }

  g->has_saved = true;
  g->saved = err;
  *pc += ins->fail;
  return false;
}

/* agen_generator_yield_from: returns true when the body yields (a value
 * of the inner's) and false when the yield_from returned, with *ok, *rv
 * and *err. in is NULL when it starts, else how the body was resumed.
 *
 * The rules: start with inner.next. Each inner op gets this generator's
 * current step cancellable. Inner yields y: yield y. Resumed by next or
 * send(v): inner.next or inner.send(v). By close or throw(EXIT): close
 * the inner, then return FALSE + that close's error, or else FALSE + the
 * EXIT that came in. By throw(e): inner.throw(e). Inner finished: TRUE +
 * its return value (None if none). Inner raised (RUNNING included): FALSE
 * + that error. */
static bool
yield_from (FzModel      *m,
            int           gi,
            const Resume *in,
            bool         *ok,
            FzVal        *rv,
            FzErr        *err,
            Exit         *exit)
{
  FzModelGen *g = &m->g[gi];
  int inner = g->holding;
  FzOpSpec op;
  FzOutcome out;

  memset (&op, 0, sizeof op);
  op.kind = FZ_OP_NEXT;

  if (in != NULL)
    {
      switch (in->kind)
        {
        case FZ_OP_SEND:
          op.kind = FZ_OP_SEND;
          op.val = in->val;
          break;

        case FZ_OP_THROW:
          if (!fz_err_is (in->err, FZ_DOM_AGEN, FZ_AGEN_EXIT))
            {
              op.kind = FZ_OP_THROW;
              op.err = in->err;
              break;
            }
          /* fall through: throw(EXIT) closes the inner, as close does */
        case FZ_OP_CLOSE:
          op.kind = FZ_OP_CLOSE;
          out = body_op (m, gi, inner, op, g->step_cancel);
          *ok = false;
          if (!out.ret)
            *err = out.err;
          else if (in->kind == FZ_OP_THROW)
            *err = in->err;
          else
            *err = fz_err (FZ_DOM_AGEN, FZ_AGEN_EXIT);
          return false;

        case FZ_OP_NEXT:
        default:
          break;
        }
    }

  out = body_op (m, gi, inner, op, g->step_cancel);
  if (out.ret)
    {
      exit->type = EXIT_YIELDED;
      exit->val = out.val;
      return true;
    }

  if (out.err.domain != FZ_DOM_NONE)
    {
      *ok = false;
      *err = out.err;
      return false;
    }

  *ok = true;
  fz_model_return_value (m, inner, rv);
  return false;
}

/* The yield_from returned: record it and give back the inner. Returns
 * true when the body ends (the error propagates). */
static bool
yield_from_done (FzModel *m,
                 int      gi,
                 int     *pc,
                 bool     ok,
                 FzVal    rv,
                 FzErr    err,
                 Exit    *exit)
{
  FzModelGen *g = &m->g[gi];

  push_release (m, g->holding);
  g->holding = -1;

  if (ok)
    {
      log_event (m, FZ_EV_YIELD_FROM, gi, *pc, fz_val_code (rv), 1, 0);
      (*pc)++;
      return false;
    }

  log_event (m, FZ_EV_YIELD_FROM, gi, *pc, fz_err_code (err), 0, 0);
  return fail_at (m, gi, pc, err, exit);
}

/* The interpreter of a body's script, for both kinds: a fiber body runs
 * it in one go on its fiber; a driven body's step function runs it on the
 * thread's stack and goes on from callbacks where it would wait, which
 * the model marks with driven_leave(). Where the two kinds differ:
 * - an op on another generator (FZ_I_OP, and yield_from's ops on its
 *   inner) is a blocking op for a fiber body, an _async one for a driven
 *   body (body_op());
 * - body-side calls are refused in a step function even on the driven
 *   generator itself (docs/semantics.md, "Driven generators": a step
 *   function is not a body), so FZ_I_FOREIGN on itself is not skipped;
 * - the two ways of ending wrongly are the step function's: returning
 *   FALSE without an error fails the step with FAILED, without a
 *   critical; once the body went on from a callback there is no step
 *   function to return from, and the harness answers FAILED instead.
 *   TRUE with an error set is a critical only from the step function.
 * The events are the same. */
static Exit
body (FzModel      *m,
      int           gi,
      const Resume *in)
{
  bool driven = is_driven (m, gi);

  FzModelGen *g = &m->g[gi];
  const FzScript *script = &m->prog->scripts[gi];
  Exit exit;
  int pc;

  memset (&exit, 0, sizeof exit);

  if (in->kind == RESUME_START)
    {
      g->started = true;
      log_event (m, FZ_EV_START, gi, 0, 0, 0, 0);
      pc = 0;
    }
  else
    {
      const FzIns *ins;

      pc = g->pc;
      ins = &script->ins[pc];

      if (ins->kind == FZ_I_YIELD)
        {
          if (in->kind == FZ_OP_NEXT || in->kind == FZ_OP_SEND)
            {
              log_event (m, FZ_EV_RESUMED, gi, pc,
                         fz_val_code (in->kind == FZ_OP_SEND ? in->val : none), 0, 0);
              pc++;
            }
          else
            {
              FzErr err = in->kind == FZ_OP_THROW ? in->err : fz_err (FZ_DOM_AGEN, FZ_AGEN_EXIT);

              log_event (m, FZ_EV_YIELD_FAILED, gi, pc, fz_err_code (err), 0, 0);
              if (fail_at (m, gi, &pc, err, &exit))
                return exit;
            }
        }
      else
        {
          /* Paused inside a yield_from */
          bool ok = false;
          FzVal rv = none;
          FzErr err = no_error;

          if (yield_from (m, gi, in, &ok, &rv, &err, &exit))
            return exit;
          if (yield_from_done (m, gi, &pc, ok, rv, err, &exit))
            return exit;
        }
    }

  while (pc < script->n_ins && !m->overflow)
    {
      const FzIns *ins = &script->ins[pc];

      switch (ins->kind)
        {
        case FZ_I_YIELD:
          g->pc = pc;
          exit.type = EXIT_YIELDED;
          exit.val = fz_decode_val (ins->a);
          return exit;

        case FZ_I_AWAIT:
          {
            bool fails;

            /* An await whose result is already there does not leave the
             * body: it is not where the step first waits. */
            if (fz_await_suspends (ins->a))
              {
                if (driven)
                  driven_leave (m, gi);
                else
                  at_first_await (m);
              }
            /* The await checks its cancellable when it completes, which
             * is after any cancellation at the first await. */
            fails = ins->b && g->step_cancel >= 0 && m->cancelled[g->step_cancel];
            if (!fails)
              {
                log_event (m, FZ_EV_AWAITED, gi, pc, fz_err_code (no_error), 0, 0);
                pc++;
                break;
              }
            log_event (m, FZ_EV_AWAITED, gi, pc,
                       fz_err_code (fz_err (FZ_DOM_IO, FZ_IO_CANCELLED)), 0, 0);
            if (fail_at (m, gi, &pc, fz_err (FZ_DOM_IO, FZ_IO_CANCELLED), &exit))
              return exit;
          }
          break;

        case FZ_I_YIELD_FROM:
          {
            int inner = ins->a;
            bool ok = false;
            FzVal rv = none;
            FzErr err = no_error;

            if (!m->g[inner].table)
              {
                log_event (m, FZ_EV_SKIP, gi, pc, 0, 0, 0);
                pc++;
                break;
              }

            m->g[inner].refs++;
            g->holding = inner;
            if (yield_from (m, gi, NULL, &ok, &rv, &err, &exit))
              {
                g->pc = pc;
                return exit;
              }
            if (yield_from_done (m, gi, &pc, ok, rv, err, &exit))
              return exit;
          }
          break;

        case FZ_I_OP:
          {
            int target = ins->a;
            FzOpSpec op = fz_decode_body_op (ins->b);
            FzOutcome out;

            if (!m->g[target].table)
              {
                log_event (m, FZ_EV_SKIP, gi, pc, 0, 0, 0);
                pc++;
                break;
              }

            m->g[target].refs++;
            if (op.try_form && m->issued[target] == 0)
              out = body_try (m, gi, target);
            else
              out = body_op (m, gi, target, op, op.step_cancellable ? g->step_cancel : -1);
            push_release (m, target);
            log_event (m, FZ_EV_OP, gi, pc, fz_val_code (out.val), out.ret,
                       fz_err_code (out.err));
            if (out.err.domain == FZ_DOM_NONE)
              {
                pc++;
                break;
              }
            if (fail_at (m, gi, &pc, out.err, &exit))
              return exit;
          }
          break;

        case FZ_I_ASYNC_OP:
          {
            int target = ins->a;
            FzOpSpec op = fz_decode_body_op (ins->b);
            FzModelGen *t = &m->g[target];

            if (!t->table)
              {
                log_event (m, FZ_EV_SKIP, gi, pc, 0, 0, 0);
              }
            else if (t->state == FZ_ST_RUNNING || t->state == FZ_ST_CLOSED)
              {
                int cancel = op.step_cancellable ? g->step_cancel : -1;
                FzOutcome out = m_op (m, target, op, cancel, true);

                add_async (m, target, &op, false, false, out);
                log_event (m, FZ_EV_ASYNC, gi, pc, (uint32_t) target, 1, 0);
              }
            else
              {
                log_event (m, FZ_EV_ASYNC, gi, pc, (uint32_t) target, 0, 0);
              }
            pc++;
          }
          break;

        case FZ_I_SET_RV:
          {
            FzVal v = fz_decode_val (ins->a);

            g->rv_set = v.kind != FZ_VAL_NULL;   /* NULL clears it */
            g->rv = v;
            pc++;
          }
          break;

        case FZ_I_RETURN:
          g->ended = true;
          log_event (m, FZ_EV_END, gi, 0, 0, 0, 0);
          switch (ins->a)
            {
            case FZ_RETURN_FALSE_NO_ERROR:
              /* A programmer error: logged, then raised as FAILED. A
               * step function's FALSE without an error is no programmer
               * error: the step fails with FAILED. */
              if (!driven)
                log_event (m, FZ_EV_CRIT_NO_ERROR, 0xff, 0, 0, 0, 0);
              else
                exit.unanswered = g->in_step_fn;
              exit.type = EXIT_RAISED;
              exit.err = fz_err (FZ_DOM_AGEN, FZ_AGEN_FAILED);
              return exit;

            case FZ_RETURN_TRUE_WITH_ERROR:
              /* Logged, the error dropped: a normal return. */
              if (!driven || g->in_step_fn)
                log_event (m, FZ_EV_CRIT_TRUE_ERROR, 0xff, 0, 0, 0, 0);
              exit.type = EXIT_RETURNED;
              return exit;

            case FZ_RETURN_TRUE:
            default:
              exit.type = EXIT_RETURNED;
              return exit;
            }

        case FZ_I_RAISE:
          g->ended = true;
          log_event (m, FZ_EV_END, gi, 0, 0, 0, 0);
          exit.type = EXIT_RAISED;
          exit.err = fz_err (FZ_DOM_FUZZ, FZ_FUZZ_RAISED + ins->a);
          return exit;

        case FZ_I_FOREIGN:
          if ((ins->a == gi && !driven) || !m->g[ins->a].table)
            {
              log_event (m, FZ_EV_SKIP, gi, pc, 0, 0, 0);
              pc++;
              break;
            }
          /* Body-side calls only work on the caller's own generator. */
          if (ins->b == FZ_FOREIGN_YIELD || ins->b == FZ_FOREIGN_YIELD_FROM)
            {
              FzErr err = fz_err (FZ_DOM_AGEN, FZ_AGEN_WRONG_CONTEXT);

              log_event (m, FZ_EV_FOREIGN, gi, pc, fz_err_code (err), 0, 0);
              if (fail_at (m, gi, &pc, err, &exit))
                return exit;
              break;
            }
          log_event (m, FZ_EV_CRIT_FOREIGN, 0xff, 0, 0, 0, 0);
          log_event (m, FZ_EV_FOREIGN, gi, pc, 0, 0, 0);
          pc++;
          break;

        case FZ_I_ABANDON_AWAIT:
          /* Known bug: what the op's late callback does must go
           * unnoticed (no event, no message). */
          g->ended = true;
          log_event (m, FZ_EV_END, gi, 0, 0, 0, 0);
          exit.type = EXIT_RETURNED;
          return exit;

        case FZ_I_RERAISE:
          g->ended = true;
          log_event (m, FZ_EV_END, gi, 0, 0, 0, 0);
          exit.type = EXIT_RAISED;
          exit.err = g->has_saved ? g->saved : fz_err (FZ_DOM_FUZZ, FZ_FUZZ_BOOM);
          return exit;

        default:
          pc++;
          break;
        }
    }

  g->ended = true;
  log_event (m, FZ_EV_END, gi, 0, 0, 0, 0);
  exit.type = EXIT_RETURNED;
  return exit;
}

/* One step of a body, whatever its kind; the op rules in m_op() are the
 * same for every kind. deferred: the op is an _async call on the owner
 * thread, inside which a driven body's step function never runs: it
 * starts from a later pass of the owner context, so the consumer's step
 * first waits before it (docs/semantics.md, "Driven generators", "Where
 * it runs"). A driven body that answers later than where it ended
 * leaves the thread there too. */
static Exit
run_body (FzModel      *m,
          int           gi,
          const Resume *in,
          bool          deferred)
{
  Exit exit;

  if (!is_driven (m, gi))
    return body (m, gi, in);

  if (deferred)
    at_first_await (m);
  m->g[gi].in_step_fn = true;
  exit = body (m, gi, in);
  /* (A failure the step function returns is the step's outcome once it
   * has returned.) */
  exit.in_fn = m->g[gi].in_step_fn && !exit.unanswered &&
               m->prog->scripts[gi].answer == FZ_ANSWER_NOW;
  if (!exit.unanswered && m->prog->scripts[gi].answer != FZ_ANSWER_NOW)
    driven_leave (m, gi);
  m->g[gi].in_step_fn = false;
  return exit;
}

/* Ops ---------------------------------------------------------------------- */

static FzOutcome
m_op (FzModel  *m,
      int       gi,
      FzOpSpec  op,
      int       cancel,
      bool      deferred)
{
  FzModelGen *g = &m->g[gi];
  bool defer_release = m->defer_release;   /* this op's only */
  Resume in;
  Exit exit;

  m->defer_release = false;
  if (m->overflow)
    return outcome_finished (false);

  if (op.kind == FZ_OP_SEND && fz_val_is_none (op.val))
    op.kind = FZ_OP_NEXT;

  /* (1) an already cancelled cancellable: nothing else happens */
  if (cancel >= 0 && m->cancelled[cancel])
    return outcome_error (FZ_DOM_IO, FZ_IO_CANCELLED);

  /* (2) the first op past (1) */
  if (!g->has_owner)
    {
      g->has_owner = true;
      log_event (m, FZ_EV_FIRST_ITER, gi, 0, 0, 0, 0);
    }

  /* An outcome of try_next nobody collected: a close discards it, any
   * other op is refused (it would overtake that outcome). */
  if (g->try_state == FZ_TRY_DONE)
    {
      if (op.kind != FZ_OP_CLOSE)
        return outcome_error (FZ_DOM_AGEN, FZ_AGEN_RUNNING);
      g->try_state = FZ_TRY_NONE;
    }

  /* (3) the state table */
  switch (g->state)
    {
    case FZ_ST_RUNNING:
      return outcome_error (FZ_DOM_AGEN, FZ_AGEN_RUNNING);

    case FZ_ST_CLOSED:
      return outcome_finished (op.kind == FZ_OP_CLOSE);

    case FZ_ST_CREATED:
      switch (op.kind)
        {
        case FZ_OP_SEND:
          return outcome_error (FZ_DOM_AGEN, FZ_AGEN_NOT_STARTED);
        case FZ_OP_THROW:
          g->state = FZ_ST_CLOSED;
          release_body (m, gi);
          return outcome_error (op.err.domain, op.err.code);
        case FZ_OP_CLOSE:
          g->state = FZ_ST_CLOSED;
          release_body (m, gi);
          return outcome_finished (true);
        default:
          break;
        }
      in.kind = RESUME_START;
      break;

    case FZ_ST_SUSPENDED:
    default:
      in.kind = op.kind;
      break;
    }

  in.val = op.val;
  in.err = op.err;

  g->state = FZ_ST_RUNNING;
  g->step_cancel = cancel;
  exit = run_body (m, gi, &in, deferred);

  switch (exit.type)
    {
    case EXIT_YIELDED:
      g->state = FZ_ST_SUSPENDED;
      if (op.kind == FZ_OP_CLOSE)
        {
          g->ignored_exit = true;
          return outcome_error (FZ_DOM_AGEN, FZ_AGEN_IGNORED_EXIT);
        }
      {
        FzOutcome out = { true, exit.val, no_error };

        if (out.val.kind == FZ_VAL_NULL)
          out.val = none;
        return out;
      }

    case EXIT_RETURNED:
      g->state = FZ_ST_CLOSED;
      g->returned = true;
      /* A driven body returns with agen_generator_answer_return(), for
       * which None is no return value. */
      if (is_driven (m, gi) && fz_val_is_none (g->rv))
        g->rv_set = false;
      if (exit.in_fn && defer_release)
        g->release_pending = true;
      else
        release_body (m, gi);
      return outcome_finished (op.kind == FZ_OP_CLOSE);

    case EXIT_RAISED:
    default:
      g->state = FZ_ST_CLOSED;
      g->returned = false;
      if (exit.in_fn && defer_release)
        g->release_pending = true;
      else
        release_body (m, gi);
      if (op.kind == FZ_OP_CLOSE && fz_err_is (exit.err, FZ_DOM_AGEN, FZ_AGEN_EXIT))
        return outcome_finished (true);
      return outcome_error (exit.err.domain, exit.err.code);
    }
}

/* Steps -------------------------------------------------------------------- */

/* agen_generator_try_next() (docs/semantics.md, "Synchronous completion:
 * try_next and wait"), as step runs it, with id as the step cancellable's
 * id (the one the body gets on demand, which the wait's cancels):
 *  - from a thread other than the owner's: WRONG_CONTEXT;
 *  - an uncollected outcome of an earlier try step: that outcome;
 *  - a callback of an _async call still to come: RUNNING;
 *  - otherwise a next (the checks and the state table as for any op) run
 *    inside the call: its outcome, unless the body waits, which gives
 *    WOULD_BLOCK; the step then goes on, and its outcome goes to the wait
 *    made at once (at_first_await()) or is kept to be collected. */
static FzOutcome
m_try (FzModel *m,
       FzStep  *step,
       int      id)
{
  FzModelGen *g = &m->g[step->target];
  FzOpSpec next;
  FzOutcome out;

  memset (&next, 0, sizeof next);
  next.kind = FZ_OP_NEXT;

  if (step->try_after_async)
    {
      /* The step's first wait, if that next waits, is its own: it has
       * no cancellable, so only the probes run there. */
      int saved_cancel = m->arm_cancel;
      int a = add_async (m, step->target, &next, false, false, outcome_finished (false));

      m->arm_cancel = -1;
      out = m_op (m, step->target, next, -1, true);
      m->arm_cancel = saved_cancel;
      if (a >= 0)
        m->async[a].expect = out;
    }

  if (step->form == FZ_FORM_WORKER)
    return outcome_error (FZ_DOM_AGEN, FZ_AGEN_WRONG_CONTEXT);

  if (g->try_state == FZ_TRY_DONE)
    {
      g->try_state = FZ_TRY_NONE;
      return g->try_out;
    }

  if (step->try_after_async)
    return outcome_error (FZ_DOM_AGEN, FZ_AGEN_RUNNING);

  m->try_gen = step->target;
  m->try_blocked = false;
  m->try_waiter = -1;
  out = m_op (m, step->target, next, id, false);
  m->try_gen = -1;

  if (!m->try_blocked)
    return out;

  if (m->try_waiter >= 0)
    m->async[m->try_waiter].expect = out;
  else
    {
      g->try_state = FZ_TRY_DONE;
      g->try_out = out;
    }
  return outcome_error (FZ_DOM_IO, FZ_IO_WOULD_BLOCK);
}

/* agen_generator_wait_async() between steps, when no try step runs: the
 * uncollected outcome, or FAILED without one. Its cancellable does not
 * matter then. */
static FzOutcome
m_wait (FzModel *m,
        int      gi)
{
  FzModelGen *g = &m->g[gi];

  if (g->try_state == FZ_TRY_DONE)
    {
      g->try_state = FZ_TRY_NONE;
      return g->try_out;
    }
  return outcome_error (FZ_DOM_AGEN, FZ_AGEN_FAILED);
}

bool
fz_model_fixup_step (FzModel *m,
                     FzStep  *step)
{
  int n = m->prog->n_gens;
  int i;

  if (!m->g[step->target].table)
    {
      for (i = 1; i < n; i++)
        {
          int t = (step->target + i) % n;

          if (m->g[t].table)
            {
              step->target = (uint8_t) t;
              break;
            }
        }
      if (!m->g[step->target].table)
        return false;
    }

  if (step->kind == FZ_STEP_OP && step->form == FZ_FORM_WORKER &&
      !m->g[step->target].has_owner)
    step->form = FZ_FORM_BLOCKING;

  if (step->kind == FZ_STEP_OP && step->form == FZ_FORM_ASYNC_OTHER_CONTEXT &&
      !m->g[step->target].has_owner)
    step->form = FZ_FORM_ASYNC;

  /* try_next from a plain worker thread would make the global default
   * context the owner, as a worker's op would. */
  if (step->kind == FZ_STEP_TRY && step->form == FZ_FORM_WORKER &&
      !m->g[step->target].has_owner)
    step->form = FZ_FORM_BLOCKING;

  return true;
}

void
fz_model_run_step (FzModel      *m,
                   FzStep       *step,
                   int           id,
                   FzStepExpect *expect)
{
  int cancel = -1;

  memset (expect, 0, sizeof *expect);
  expect->first_async = m->n_async;
  memset (m->issued, 0, sizeof m->issued);

  if (step->kind == FZ_STEP_SPURIOUS_RESUME)
    {
      /* Known bug: must change nothing. */
      expect->end_async = m->n_async;
      return;
    }

  if (step->kind == FZ_STEP_UNREF)
    {
      m->g[step->target].table = false;
      unref (m, step->target);
      process_releases (m);
      expect->end_async = m->n_async;
      return;
    }

  if (step->kind == FZ_STEP_WAIT)
    {
      expect->outcome = m_wait (m, step->target);
      process_releases (m);
      expect->end_async = m->n_async;
      return;
    }

  if (step->cancel != FZ_CANCEL_NONE || step->kind == FZ_STEP_TRY)
    {
      if (id < 0 || id >= FZ_MAX_CANCEL)
        {
          m->overflow = true;
          return;
        }
      cancel = id;
      m->cancelled[id] = step->cancel == FZ_CANCEL_BEFORE &&
                         step->kind != FZ_STEP_TRY;
    }

  m->armed = true;
  m->arm_cancel = step->cancel == FZ_CANCEL_DURING ? id : -1;
  m->arm_step = step;
  m->snapped = false;

  if (step->kind == FZ_STEP_TRY)
    expect->outcome = m_try (m, step, id);
  else
    {
      bool async = step->form == FZ_FORM_ASYNC ||
                   step->form == FZ_FORM_ASYNC_OTHER_CONTEXT;

      if (async)
        m->issued[step->target]++;
      expect->outcome = m_op (m, step->target, step->op, cancel, async);
    }

  m->armed = false;
  expect->snapped = m->snapped;
  if (!m->snapped)
    snapshot (m);
  m->arm_step = NULL;
  memcpy (expect->snap_state, m->snap_state, sizeof expect->snap_state);
  memcpy (expect->snap_finalized, m->snap_finalized, sizeof expect->snap_finalized);

  /* The references that lasted the step: the callback's (dropped once it
   * ran) and then, if the consumer dropped its own while the op was
   * pending, the generator may go now, before what bodies released. */
  if (step->unref_pending)
    unref (m, step->target);

  process_releases (m);
  expect->end_async = m->n_async;
}
