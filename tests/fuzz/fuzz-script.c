/* fuzz-script.c — decoding fuzz inputs into scripted programs, and
 * printing them
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The input format (every byte optional: a missing one reads as 0):
 *
 *   header   1 byte   bits 0-1: generators - 1; bit 2: close every
 *                     generator before dropping it at the end; bits 3-4:
 *                     FzHookKind (3 reads as 0)
 *   script   per generator: 1 byte (bits 0-3: n_ins % 9, bit 4: body
 *            kind (FzBodyKind), bits 5-6: FzAnswerMode of a driven body),
 *            then 3 bytes per instruction:
 *              byte 0  bits 0-3: FzInsKind (mod the number of kinds),
 *                      bits 4-5: failure handler (0 propagate, k: catch,
 *                      go on at pc + k)
 *              byte 1  a          byte 2  b
 *   steps    until the input ends (at most FZ_MAX_OPS):
 *              byte 0  bit 7 set: bits 0-1 target, bits 2-3: 1 try_next,
 *                      2 wait_async, 0 or 3 drop the consumer's reference;
 *                      try_next and wait_async have a byte 1:
 *                        bits 0-1 FzTryWaits (try_next), bit 2 a
 *                        next_async first (try_next), bits 3-4
 *                        FzCancelMode of the wait's cancellable, bits 5-6
 *                        probes (try_next), bit 7 from the worker thread
 *                        (try_next), then the probe bytes;
 *                      otherwise an op:
 *                      bits 0-1 target, bits 2-3 FzOpKind, bits 4-5 form
 *                      (0 async, 1 blocking, 2 worker thread, 3 async from
 *                      another context),
 *                      bit 6: async only, drop the reference while pending
 *              byte 1  (ops only) bits 0-2: argument (send value or thrown
 *                      error), bits 3-4: FzCancelMode, bits 5-6: probes
 *              then one byte per probe: bits 0-1 target, bits 2-3 kind,
 *                      bit 4 blocking, bit 5 cancelled before, bits 6-7
 *                      argument
 *
 * tests/fuzz/make-corpus.py writes inputs in this format.
 */

#include <stdio.h>
#include <string.h>

#include "fuzz-script.h"

typedef struct
{
  const uint8_t *data;
  size_t         size;
  size_t         pos;
} Reader;

static uint8_t
next_byte (Reader *r)
{
  if (r->pos >= r->size)
    return 0;
  return r->data[r->pos++];
}

static bool
at_end (const Reader *r)
{
  return r->pos >= r->size;
}

FzVal
fz_decode_val (uint8_t byte)
{
  return fz_val (byte & 3, (byte >> 2) & 0x3f);
}

/* The value a consumer sends: a few of each kind. */
static FzVal
decode_send_val (uint8_t index)
{
  static const FzVal table[8] = {
    { FZ_VAL_NULL, 0 }, { FZ_VAL_NONE, 0 }, { FZ_VAL_INT, 1 }, { FZ_VAL_INT, 2 },
    { FZ_VAL_STR, 1 }, { FZ_VAL_STR, 2 }, { FZ_VAL_INT, 3 }, { FZ_VAL_STR, 3 },
  };

  return table[index & 7];
}

FzErr
fz_decode_throw_error (uint8_t index)
{
  static const FzErr table[4] = {
    { FZ_DOM_FUZZ, FZ_FUZZ_BOOM },
    { FZ_DOM_FUZZ, FZ_FUZZ_OTHER },
    { FZ_DOM_AGEN, FZ_AGEN_EXIT },
    { FZ_DOM_IO, FZ_IO_CANCELLED },
  };

  return table[index & 3];
}

static FzOpSpec
decode_op (uint8_t kind,
           uint8_t arg)
{
  FzOpSpec op;

  memset (&op, 0, sizeof op);
  op.kind = kind & 3;
  op.val = fz_val (FZ_VAL_NULL, 0);
  op.err = fz_err (FZ_DOM_NONE, 0);
  if (op.kind == FZ_OP_SEND)
    op.val = decode_send_val (arg);
  else if (op.kind == FZ_OP_THROW)
    op.err = fz_decode_throw_error (arg);

  return op;
}

FzOpSpec
fz_decode_body_op (uint8_t byte)
{
  FzOpSpec op = decode_op (byte & 3, (byte >> 2) & 7);

  op.step_cancellable = (byte & 0x20) != 0;
  op.try_form = (byte & 0x40) != 0 && op.kind == FZ_OP_NEXT;
  return op;
}

static void
decode_script (Reader   *r,
               FzScript *script,
               uint8_t   n_gens,
               unsigned  known_bugs)
{
  uint8_t n_kinds = FZ_N_INS_KINDS + ((known_bugs & FZ_BUG_ABANDON_AWAIT) ? 1 : 0);
  uint8_t head = next_byte (r);
  uint8_t i;

  memset (script, 0, sizeof *script);
  script->n_ins = (head & 0x0f) % (FZ_MAX_INS + 1);
  script->kind = (head >> 4) & 1;
  script->answer = script->kind == FZ_BODY_DRIVEN ? (head >> 5) & 3 : 0;

  for (i = 0; i < script->n_ins; i++)
    {
      FzIns *ins = &script->ins[i];
      uint8_t b0 = next_byte (r);

      ins->kind = (b0 & 0x0f) % n_kinds;
      ins->fail = (b0 >> 4) & 3;
      ins->a = next_byte (r);
      ins->b = next_byte (r);

      switch (ins->kind)
        {
        case FZ_I_YIELD_FROM:
        case FZ_I_OP:
        case FZ_I_ASYNC_OP:
          ins->a %= n_gens;
          break;
        case FZ_I_FOREIGN:
          ins->a %= n_gens;
          ins->b %= FZ_N_FOREIGN_KINDS;
          break;
        case FZ_I_AWAIT:
          ins->a %= FZ_N_AWAIT_KINDS;
          ins->b &= 1;
          break;
        case FZ_I_RETURN:
          ins->a %= FZ_N_RETURN_KINDS;
          break;
        case FZ_I_RAISE:
          ins->a &= 7;
          break;
        default:
          break;
        }
    }
}

static void
decode_probe (Reader          *r,
              const FzProgram *prog,
              FzProbe         *probe)
{
  uint8_t pb = next_byte (r);

  probe->target = (pb & 3) % prog->n_gens;
  probe->op = decode_op ((pb >> 2) & 3, (pb >> 6) & 3);
  probe->blocking = (pb & 0x10) != 0;
  probe->cancelled = (pb & 0x20) != 0;
}

void
fz_program_decode (FzProgram     *prog,
                   const uint8_t *data,
                   size_t         size,
                   unsigned       known_bugs)
{
  Reader r = { data, size, 0 };
  uint8_t head;
  uint8_t i;

  memset (prog, 0, sizeof *prog);

  head = next_byte (&r);
  prog->n_gens = 1 + (head & 3);
  prog->close_all_at_end = (head & 4) != 0;
  prog->hook = ((head >> 3) & 3) % FZ_N_HOOK_KINDS;

  for (i = 0; i < prog->n_gens; i++)
    decode_script (&r, &prog->scripts[i], prog->n_gens, known_bugs);

  while (!at_end (&r) && prog->n_steps < FZ_MAX_OPS)
    {
      FzStep *step = &prog->steps[prog->n_steps++];
      uint8_t s0 = next_byte (&r);
      uint8_t s1;
      uint8_t p;

      memset (step, 0, sizeof *step);
      step->target = (s0 & 3) % prog->n_gens;

      if (s0 & 0x80)
        {
          uint8_t sub = (s0 >> 2) & 3;

          if ((known_bugs & FZ_BUG_SPURIOUS_RESUME) && (s0 & 0x40))
            {
              step->kind = FZ_STEP_SPURIOUS_RESUME;
              continue;
            }
          if (sub != 1 && sub != 2)
            {
              step->kind = FZ_STEP_UNREF;
              continue;
            }

          s1 = next_byte (&r);
          step->op = decode_op (FZ_OP_NEXT, 0);
          step->cancel = (s1 >> 3) & 3;
          if (sub == 2)
            {
              step->kind = FZ_STEP_WAIT;
              continue;
            }
          step->kind = FZ_STEP_TRY;
          step->try_waits = s1 & 3;
          step->try_after_async = (s1 & 4) != 0;
          step->form = (s1 & 0x80) ? FZ_FORM_WORKER : FZ_FORM_BLOCKING;
          step->n_probes = ((s1 >> 5) & 3) % (FZ_MAX_PROBES + 1);
          for (p = 0; p < step->n_probes; p++)
            decode_probe (&r, prog, &step->probes[p]);
          continue;
        }

      step->kind = FZ_STEP_OP;
      s1 = next_byte (&r);
      step->op = decode_op ((s0 >> 2) & 3, s1 & 7);
      switch ((s0 >> 4) & 3)
        {
        case 1: step->form = FZ_FORM_BLOCKING; break;
        case 2: step->form = FZ_FORM_WORKER; break;
        case 3: step->form = FZ_FORM_ASYNC_OTHER_CONTEXT; break;
        default: step->form = FZ_FORM_ASYNC; break;
        }
      step->unref_pending = (s0 & 0x40) != 0 &&
                            (step->form == FZ_FORM_ASYNC ||
                             step->form == FZ_FORM_ASYNC_OTHER_CONTEXT);
      step->cancel = (s1 >> 3) & 3;
      step->n_probes = ((s1 >> 5) & 3) % (FZ_MAX_PROBES + 1);

      for (p = 0; p < step->n_probes; p++)
        decode_probe (&r, prog, &step->probes[p]);
    }
}

/* ------------------------------------------------------------------------
 * Printing
 * ------------------------------------------------------------------------ */

void
fz_log_add (FzEventLog *log,
            uint8_t     type,
            uint8_t     gen,
            uint8_t     pc,
            uint32_t    a,
            uint32_t    b,
            uint32_t    c)
{
  FzEvent *ev;

  if (log->n >= FZ_MAX_EVENTS)
    {
      log->overflow = true;
      return;
    }

  ev = &log->ev[log->n++];
  ev->type = type;
  ev->gen = gen;
  ev->pc = pc;
  ev->a = a;
  ev->b = b;
  ev->c = c;
}

const char *
fz_state_name (int state)
{
  switch (state)
    {
    case 0: return "CREATED";
    case 1: return "SUSPENDED";
    case 2: return "RUNNING";
    case 3: return "CLOSED";
    default: return "?";
    }
}

void
fz_describe_val (char   *buf,
                 size_t  size,
                 FzVal   v)
{
  switch (v.kind)
    {
    case FZ_VAL_NULL: snprintf (buf, size, "NULL"); break;
    case FZ_VAL_NONE: snprintf (buf, size, "None"); break;
    case FZ_VAL_INT: snprintf (buf, size, "%u", v.n); break;
    case FZ_VAL_STR: snprintf (buf, size, "\"s%u\"", v.n); break;
    default: snprintf (buf, size, "<bad value>"); break;
    }
}

static const char *
agen_code_name (uint8_t code)
{
  static const char *names[] = {
    "FAILED", "RUNNING", "EXIT", "IGNORED_EXIT", "NOT_STARTED",
    "DIDNT_YIELD", "DIDNT_STOP", "WRONG_CONTEXT",
  };

  return code < sizeof names / sizeof names[0] ? names[code] : "?";
}

void
fz_describe_err (char   *buf,
                 size_t  size,
                 FzErr   e)
{
  switch (e.domain)
    {
    case FZ_DOM_NONE: snprintf (buf, size, "no error"); break;
    case FZ_DOM_AGEN: snprintf (buf, size, "AGEN_ERROR_%s", agen_code_name (e.code)); break;
    case FZ_DOM_FUZZ:
      if (e.code == FZ_FUZZ_BOOM)
        snprintf (buf, size, "BOOM");
      else if (e.code == FZ_FUZZ_OTHER)
        snprintf (buf, size, "OTHER");
      else
        snprintf (buf, size, "RAISED%d", e.code - FZ_FUZZ_RAISED);
      break;
    case FZ_DOM_IO:
      if (e.code == FZ_IO_CANCELLED)
        snprintf (buf, size, "G_IO_ERROR_CANCELLED");
      else if (e.code == FZ_IO_WOULD_BLOCK)
        snprintf (buf, size, "G_IO_ERROR_WOULD_BLOCK");
      else
        snprintf (buf, size, "G_IO_ERROR %u", e.code);
      break;
    default: snprintf (buf, size, "foreign error %u", e.code); break;
    }
}

void
fz_describe_outcome (char            *buf,
                     size_t           size,
                     const FzOutcome *o)
{
  char v[32], e[48];

  fz_describe_val (v, sizeof v, o->val);
  fz_describe_err (e, sizeof e, o->err);
  snprintf (buf, size, "%s, value %s, %s", o->ret ? "TRUE" : "FALSE", v, e);
}

void
fz_describe_op (char           *buf,
                size_t          size,
                const FzOpSpec *op)
{
  char arg[48];

  switch (op->kind)
    {
    case FZ_OP_NEXT:
      snprintf (buf, size, op->try_form ? "try_next" : "next");
      break;
    case FZ_OP_SEND:
      fz_describe_val (arg, sizeof arg, op->val);
      snprintf (buf, size, "send(%s)", arg);
      break;
    case FZ_OP_THROW:
      fz_describe_err (arg, sizeof arg, op->err);
      snprintf (buf, size, "throw(%s)", arg);
      break;
    case FZ_OP_CLOSE:
    default:
      snprintf (buf, size, "close");
      break;
    }
}

static FzVal
val_from_code (uint32_t code)
{
  return fz_val ((code >> 8) & 0xff, code & 0xff);
}

static FzErr
err_from_code (uint32_t code)
{
  return fz_err ((code >> 8) & 0xff, code & 0xff);
}

void
fz_describe_event (char          *buf,
                   size_t         size,
                   const FzEvent *ev)
{
  char v[32], e[48];
  char who[16];

  if (ev->gen == 0xff)
    snprintf (who, sizeof who, "-");
  else
    snprintf (who, sizeof who, "g%u", ev->gen);

  switch (ev->type)
    {
    case FZ_EV_FIRST_ITER:
      snprintf (buf, size, "%s first_iter hook", who);
      break;
    case FZ_EV_START:
      snprintf (buf, size, "%s body starts", who);
      break;
    case FZ_EV_RESUMED:
      fz_describe_val (v, sizeof v, val_from_code (ev->a));
      snprintf (buf, size, "%s@%u yield -> TRUE, sent %s", who, ev->pc, v);
      break;
    case FZ_EV_YIELD_FAILED:
      fz_describe_err (e, sizeof e, err_from_code (ev->a));
      snprintf (buf, size, "%s@%u yield -> FALSE, %s", who, ev->pc, e);
      break;
    case FZ_EV_AWAITED:
      fz_describe_err (e, sizeof e, err_from_code (ev->a));
      snprintf (buf, size, "%s@%u await -> %s", who, ev->pc, e);
      break;
    case FZ_EV_YIELD_FROM:
      if (ev->b)
        {
          fz_describe_val (v, sizeof v, val_from_code (ev->a));
          snprintf (buf, size, "%s@%u yield_from -> TRUE, rv %s", who, ev->pc, v);
        }
      else
        {
          fz_describe_err (e, sizeof e, err_from_code (ev->a));
          snprintf (buf, size, "%s@%u yield_from -> FALSE, %s", who, ev->pc, e);
        }
      break;
    case FZ_EV_OP:
      fz_describe_val (v, sizeof v, val_from_code (ev->a));
      fz_describe_err (e, sizeof e, err_from_code (ev->c));
      snprintf (buf, size, "%s@%u blocking op -> %s, value %s, %s", who, ev->pc,
                ev->b ? "TRUE" : "FALSE", v, e);
      break;
    case FZ_EV_ASYNC:
      snprintf (buf, size, "%s@%u async op on g%u %s", who, ev->pc, ev->a,
                ev->b ? "issued" : "not issued (target CREATED or SUSPENDED)");
      break;
    case FZ_EV_SKIP:
      snprintf (buf, size, "%s@%u skipped: target dropped", who, ev->pc);
      break;
    case FZ_EV_END:
      snprintf (buf, size, "%s body returns (cleanup ran)", who);
      break;
    case FZ_EV_DESTROY:
      snprintf (buf, size, "%s user_data destroyed", who);
      break;
    case FZ_EV_FINALIZED:
      snprintf (buf, size, "%s finalized", who);
      break;
    case FZ_EV_WARN_CLOSE_FAILED:
      snprintf (buf, size, "warning: closing abandoned generator failed");
      break;
    case FZ_EV_WARN_UNCLEANED:
      snprintf (buf, size, "warning: destroyed while suspended");
      break;
    case FZ_EV_CRIT_NO_ERROR:
      snprintf (buf, size, "critical: body returned FALSE without an error");
      break;
    case FZ_EV_CRIT_TRUE_ERROR:
      snprintf (buf, size, "critical: body returned TRUE with an error");
      break;
    case FZ_EV_FOREIGN:
      fz_describe_err (e, sizeof e, err_from_code (ev->a));
      snprintf (buf, size, "%s@%u body-side call on another generator -> %s", who, ev->pc, e);
      break;
    case FZ_EV_CRIT_FOREIGN:
      snprintf (buf, size, "critical: body-side call outside the body");
      break;
    case FZ_EV_HOOK:
      snprintf (buf, size, "%s finalizer hook", who);
      break;
    case FZ_EV_HOOK_CLOSED:
      fz_describe_err (e, sizeof e, err_from_code (ev->a));
      snprintf (buf, size, "%s finalizer hook's close -> %s, %s", who,
                ev->b ? "TRUE" : "FALSE", e);
      break;
    case FZ_EV_LOG_UNKNOWN:
    default:
      snprintf (buf, size, "unexpected log message (see above)");
      break;
    }
}

static const char *
ins_name (uint8_t kind)
{
  static const char *names[] = {
    "yield", "await", "yield_from", "op", "async_op", "set_rv", "return",
    "raise", "reraise", "foreign", "abandon-await",
  };

  return kind <= FZ_I_ABANDON_AWAIT ? names[kind] : "?";
}

static void
describe_ins (char        *buf,
              size_t       size,
              const FzIns *ins)
{
  static const char *await_names[] = { "idle", "timeout", "gtask", "stream",
                                       "thread", "thread-early", "sync" };
  static const char *foreign_names[] = { "yield", "yield_from", "await", "set_rv" };
  static const char *return_names[] = { "TRUE", "FALSE-without-error", "TRUE-with-error" };
  char arg[64];
  char handler[24];

  arg[0] = '\0';
  switch (ins->kind)
    {
    case FZ_I_YIELD:
    case FZ_I_SET_RV:
      fz_describe_val (arg, sizeof arg, fz_decode_val (ins->a));
      break;
    case FZ_I_AWAIT:
      snprintf (arg, sizeof arg, "%s%s", await_names[ins->a % FZ_N_AWAIT_KINDS],
                ins->b ? ", step cancellable" : "");
      break;
    case FZ_I_YIELD_FROM:
      snprintf (arg, sizeof arg, "g%u", ins->a);
      break;
    case FZ_I_OP:
    case FZ_I_ASYNC_OP:
      {
        FzOpSpec op = fz_decode_body_op (ins->b);
        char o[48];

        if (ins->kind == FZ_I_ASYNC_OP)
          op.try_form = false;
        fz_describe_op (o, sizeof o, &op);
        snprintf (arg, sizeof arg, "g%u %s%s", ins->a, o,
                  op.step_cancellable ? ", step cancellable" : "");
      }
      break;
    case FZ_I_RETURN:
      snprintf (arg, sizeof arg, "%s", return_names[ins->a % FZ_N_RETURN_KINDS]);
      break;
    case FZ_I_RAISE:
      snprintf (arg, sizeof arg, "RAISED%u", ins->a);
      break;
    case FZ_I_FOREIGN:
      snprintf (arg, sizeof arg, "%s on g%u", foreign_names[ins->b % FZ_N_FOREIGN_KINDS], ins->a);
      break;
    default:
      break;
    }

  if (ins->fail == 0)
    handler[0] = '\0';
  else
    snprintf (handler, sizeof handler, " [catch: +%u]", ins->fail);

  snprintf (buf, size, "%s %s%s", ins_name (ins->kind), arg, handler);
}

void
fz_step_print (const FzStep *step,
               int           index)
{
  static const char *forms[] = { "async", "blocking", "worker", "async (other context)" };
  static const char *cancels[] = { "", ", fresh cancellable", ", cancelled before",
                                   ", cancelled during" };
  char op[64];
  uint8_t p;

  if (step->kind == FZ_STEP_UNREF)
    {
      fprintf (stderr, "  step %d: unref g%u\n", index, step->target);
      return;
    }
  if (step->kind == FZ_STEP_SPURIOUS_RESUME)
    {
      fprintf (stderr, "  step %d: spurious resume_callback on g%u\n", index, step->target);
      return;
    }
  if (step->kind == FZ_STEP_WAIT)
    {
      fprintf (stderr, "  step %d: wait_async g%u%s\n", index, step->target,
               cancels[step->cancel & 3]);
      return;
    }

  if (step->kind == FZ_STEP_TRY)
    {
      static const char *waits[] = { "", ", then wait", ", then wait twice",
                                     ", then wait and try_next again" };

      fprintf (stderr, "  step %d: %stry_next g%u%s%s (wait's%s)\n", index,
               step->try_after_async ? "next_async, then " : "", step->target,
               step->form == FZ_FORM_WORKER ? " from the worker thread" : "",
               waits[step->try_waits & 3], cancels[step->cancel & 3]);
    }
  else
    {
      fz_describe_op (op, sizeof op, &step->op);
      fprintf (stderr, "  step %d: %s g%u %s%s%s\n", index, forms[step->form % 4],
               step->target, op, cancels[step->cancel & 3],
               step->unref_pending ? ", unref while pending" : "");
    }
  for (p = 0; p < step->n_probes; p++)
    {
      const FzProbe *probe = &step->probes[p];

      fz_describe_op (op, sizeof op, &probe->op);
      fprintf (stderr, "      probe at first await: %s g%u %s%s%s\n",
               probe->blocking ? "blocking" : "async", probe->target, op,
               probe->cancelled ? ", cancelled before" : "",
               probe->skip ? " (skipped)" : "");
    }
}

void
fz_program_print (const FzProgram *prog)
{
  uint8_t i, j;

  static const char *hooks[] = { "", ", finalizer hook that closes",
                                 ", finalizer hook that drops" };

  fprintf (stderr, "program: %u generators%s%s\n", prog->n_gens,
           prog->close_all_at_end ? ", close all at the end" : "",
           hooks[prog->hook % FZ_N_HOOK_KINDS]);
  for (i = 0; i < prog->n_gens; i++)
    {
      const FzScript *script = &prog->scripts[i];

      static const char *answers[] = { "now", "from an idle", "from a timeout",
                                       "from another thread" };

      if (script->kind == FZ_BODY_DRIVEN)
        fprintf (stderr, "  g%u (driven body, answers %s):\n", i,
                 answers[script->answer & 3]);
      else
        fprintf (stderr, "  g%u (fiber body):\n", i);
      for (j = 0; j < script->n_ins; j++)
        {
          char buf[128];

          describe_ins (buf, sizeof buf, &script->ins[j]);
          fprintf (stderr, "    %u: %s\n", j, buf);
        }
      fprintf (stderr, "    %u: (end: return TRUE)\n", script->n_ins);
    }
  for (i = 0; i < prog->n_steps; i++)
    fz_step_print (&prog->steps[i], i);
}
