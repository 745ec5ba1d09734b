/* fuzz-script.h — the scripted programs the generator fuzzer runs
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A fuzz input decodes into a FzProgram: a few generators, each with a
 * small scripted body, and a list of consumer operations. The reference
 * model (fuzz-model.c) and the harness that drives the real library
 * (fuzz-generator.c) both read these types, and both write FzEvents, which
 * are compared.
 *
 * Plain C on purpose: the model must not depend on GLib, so that it cannot
 * inherit the library's mistakes.
 */

#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FZ_MAX_GENS    4
#define FZ_MAX_INS     8
#define FZ_MAX_OPS     24
#define FZ_MAX_PROBES  2
#define FZ_MAX_ASYNC   256   /* async ops with a checked outcome per input */
#define FZ_MAX_EVENTS  4096
#define FZ_MAX_CLOSE_TRIES 8 /* closes per generator at the end of an input */

/* Body kinds: the same script runs as a C body on a fiber, or as a
 * driven generator (agen_generator_new_driven()) whose step function
 * interprets it on the thread's own stack, as a language binding's
 * coroutine would, and answers each step inside the step function or
 * later (FzAnswerMode). */
typedef enum
{
  FZ_BODY_FIBER,
  FZ_BODY_DRIVEN,
  FZ_N_BODY_KINDS,
} FzBodyKind;

/* When a driven body answers a step it has reached the end of (a yield,
 * a return, a raise): */
typedef enum
{
  FZ_ANSWER_NOW,       /* right there (in the step function, or in the
                          callback the body went on from) */
  FZ_ANSWER_IDLE,      /* from an idle of the owner context */
  FZ_ANSWER_TIMEOUT,   /* from a 0 ms timeout */
  FZ_ANSWER_THREAD,    /* from another thread */
  FZ_N_ANSWER_MODES,
} FzAnswerMode;

/* Values that cross a yield, a send or a return value. */
typedef enum
{
  FZ_VAL_NULL,   /* a NULL GValue pointer: None */
  FZ_VAL_NONE,   /* a G_TYPE_POINTER GValue holding NULL: None */
  FZ_VAL_INT,    /* G_TYPE_INT n */
  FZ_VAL_STR,    /* G_TYPE_STRING "s<n>" */
  FZ_VAL_BAD,    /* (actual side only) anything else, or unset */
} FzValKind;

typedef struct
{
  uint8_t kind;
  uint8_t n;
} FzVal;

/* Errors, by domain and code. */
typedef enum
{
  FZ_DOM_NONE,
  FZ_DOM_AGEN,     /* AGEN_ERROR, code = AgenError */
  FZ_DOM_FUZZ,     /* the fuzzer's own domain */
  FZ_DOM_IO,       /* G_IO_ERROR */
  FZ_DOM_OTHER,
} FzErrDomain;

/* Codes of AGEN_ERROR, repeated here so that the model needs no header of
 * the library (they are part of the ABI). */
enum
{
  FZ_AGEN_FAILED,
  FZ_AGEN_RUNNING,
  FZ_AGEN_EXIT,
  FZ_AGEN_IGNORED_EXIT,
  FZ_AGEN_NOT_STARTED,
  FZ_AGEN_DIDNT_YIELD,
  FZ_AGEN_DIDNT_STOP,
  FZ_AGEN_WRONG_CONTEXT,
};

/* G_IO_ERROR_CANCELLED, G_IO_ERROR_WOULD_BLOCK */
#define FZ_IO_CANCELLED 19
#define FZ_IO_WOULD_BLOCK 27

/* The fuzzer's domain: thrown errors and what bodies raise. */
enum
{
  FZ_FUZZ_BOOM = 1,
  FZ_FUZZ_OTHER = 2,
  FZ_FUZZ_RAISED = 16,   /* + n: FZ_I_RAISE n */
};

typedef struct
{
  uint8_t domain;
  uint8_t code;
} FzErr;

/* Operations, consumer side and inside bodies. A send of None is a next. */
typedef enum
{
  FZ_OP_NEXT,
  FZ_OP_SEND,
  FZ_OP_THROW,
  FZ_OP_CLOSE,
} FzOpKind;

/* Body instructions. Each that can fail has a handler (FzIns.fail):
 * 0 propagates the error (the body returns FALSE with it), k > 0 catches
 * it (kept for FZ_I_RERAISE) and goes on at pc + k. Jumps only go
 * forward, so every body ends. */
typedef enum
{
  FZ_I_YIELD,       /* a: value byte */
  FZ_I_AWAIT,       /* a: FzAwaitKind; b: 1 = with the step's cancellable */
  FZ_I_YIELD_FROM,  /* a: target generator */
  FZ_I_OP,          /* a: target; b: op byte; blocking, from the body */
  FZ_I_ASYNC_OP,    /* a: target; b: op byte; only on a RUNNING or CLOSED
                       target, else skipped (the outcome is then known) */
  FZ_I_SET_RV,      /* a: value byte (FZ_VAL_NULL clears it) */
  FZ_I_RETURN,      /* a: FzReturnKind */
  FZ_I_RAISE,       /* a: n, raises FZ_FUZZ_RAISED + n */
  FZ_I_RERAISE,     /* raises the last caught error, or BOOM */
  FZ_I_FOREIGN,     /* a: target; b: FzForeignKind: a body-side call on
                       another generator (skipped on itself) */
  FZ_N_INS_KINDS,
  /* Known library bugs, decoded only with FUZZ_KNOWN_BUGS=1: */
  FZ_I_ABANDON_AWAIT = FZ_N_INS_KINDS,  /* start an op with AGEN_AWAIT_CALLBACK,
                                           then return TRUE without awaiting it */
} FzInsKind;

typedef enum
{
  FZ_AWAIT_IDLE,     /* a GTask returned from an idle */
  FZ_AWAIT_TIMEOUT,  /* a GTask returned from a 0 ms timeout */
  FZ_AWAIT_GTASK,    /* a GTask returned at once (GTask defers the callback) */
  FZ_AWAIT_STREAM,   /* g_input_stream_read_async() on a memory stream */
  FZ_AWAIT_THREAD,   /* the callback comes from another thread, once the
                        body waits */
  /* The callback comes before the body awaits: */
  FZ_AWAIT_THREAD_EARLY,  /* from another thread: agen hands the result to
                             the owner's thread, so the await still waits
                             for the next main-loop pass */
  FZ_AWAIT_SYNC,          /* from inside the op's call, on the body's own
                             thread: the await returns at once without
                             leaving the body */
  FZ_N_AWAIT_KINDS,
} FzAwaitKind;

/* Whether an await of this kind leaves the body (and the thread) until
 * the result comes. */
static inline bool
fz_await_suspends (uint8_t kind)
{
  return kind != FZ_AWAIT_SYNC;
}

/* Body-side calls made from another generator's body: each is refused. */
typedef enum
{
  FZ_FOREIGN_YIELD,       /* FALSE + WRONG_CONTEXT */
  FZ_FOREIGN_YIELD_FROM,  /* FALSE + WRONG_CONTEXT */
  FZ_FOREIGN_AWAIT,       /* a critical, NULL */
  FZ_FOREIGN_SET_RV,      /* a critical, nothing set */
  FZ_N_FOREIGN_KINDS,
} FzForeignKind;

/* Finalizer hooks (agen_set_generator_hooks), per program. */
typedef enum
{
  FZ_HOOK_NONE,    /* the default finalizer: close, warn if that fails */
  FZ_HOOK_CLOSE,   /* a hook that closes it and drops it when closed */
  FZ_HOOK_DROP,    /* a hook that drops it without closing it */
  FZ_N_HOOK_KINDS,
} FzHookKind;

typedef enum
{
  FZ_RETURN_TRUE,
  FZ_RETURN_FALSE_NO_ERROR,   /* programmer error: critical, then FAILED */
  FZ_RETURN_TRUE_WITH_ERROR,  /* programmer error: critical, error freed */
  FZ_N_RETURN_KINDS,
} FzReturnKind;

typedef struct
{
  uint8_t kind;   /* FzInsKind */
  uint8_t fail;   /* 0 = propagate, k = catch and go to pc + k */
  uint8_t a, b;
} FzIns;

typedef struct
{
  uint8_t kind;   /* FzBodyKind */
  uint8_t answer; /* FzAnswerMode, driven bodies only */
  uint8_t n_ins;
  FzIns   ins[FZ_MAX_INS];
} FzScript;

/* An op as both sides spell it: kind plus its argument. */
typedef struct
{
  uint8_t kind;       /* FzOpKind */
  FzVal   val;        /* send */
  FzErr   err;        /* throw */
  bool    step_cancellable;  /* inside a body: pass the step's cancellable */
  bool    try_form;   /* inside a body, a next: agen_generator_try_next(),
                         and if the target waits, a wait_async (no
                         cancellable) that the body waits for */
} FzOpSpec;

typedef enum
{
  FZ_FORM_ASYNC,
  FZ_FORM_BLOCKING,
  FZ_FORM_WORKER,     /* the blocking form from a worker thread */
  FZ_FORM_ASYNC_OTHER_CONTEXT,  /* async, called with another context as
                                   the thread-default: the callback runs
                                   there */
} FzForm;

typedef enum
{
  FZ_CANCEL_NONE,     /* no cancellable */
  FZ_CANCEL_FRESH,    /* a cancellable nobody cancels */
  FZ_CANCEL_BEFORE,   /* cancelled before the call */
  FZ_CANCEL_DURING,   /* cancelled at the step's first await; an async
                         step that never awaits is cancelled once the call
                         returns, before its callback (no effect) */
} FzCancelMode;

/* An op started while the consumer's op is in progress: at the step's
 * first await (when the step never awaits, it is not started at all). The
 * model turns one whose outcome would depend on the interleaving (its
 * target is CREATED or SUSPENDED then) into one with a cancelled
 * cancellable, which has no effect at all. */
typedef struct
{
  uint8_t  target;
  FzOpSpec op;
  bool     blocking;
  bool     cancelled;
  bool     skip;       /* set by the model: target already dropped */
} FzProbe;

typedef enum
{
  FZ_STEP_OP,       /* a consumer op */
  FZ_STEP_UNREF,    /* the consumer drops its reference */
  /* Known library bug, decoded only with FUZZ_KNOWN_BUGS=1: */
  FZ_STEP_SPURIOUS_RESUME,  /* agen_generator_resume_callback() on a
                               generator that is not awaiting */
  FZ_STEP_TRY,      /* agen_generator_try_next(), maybe followed at once
                       by waits (FzStep.try_waits) */
  FZ_STEP_WAIT,     /* agen_generator_wait_async() on its own */
} FzStepKind;

/* What a FZ_STEP_TRY does right after try_next gave WOULD_BLOCK. */
typedef enum
{
  FZ_TRY_NO_WAIT,      /* nothing: the outcome stays to be collected */
  FZ_TRY_WAIT,         /* wait_async with the step's cancellable */
  FZ_TRY_WAIT_TWICE,   /* and a second wait: RUNNING */
  FZ_TRY_WAIT_TRY,     /* a wait, then try_next again: RUNNING */
} FzTryWaits;

typedef struct
{
  uint8_t  kind;    /* FzStepKind */
  uint8_t  target;
  FzOpSpec op;
  uint8_t  form;    /* FzForm */
  uint8_t  cancel;  /* FzCancelMode */
  bool     unref_pending;   /* async: drop the reference before the callback */
  uint8_t  try_waits;       /* FZ_STEP_TRY: FzTryWaits */
  bool     try_after_async; /* FZ_STEP_TRY: first a next_async whose
                               callback is still to come */
  uint8_t  n_probes;
  FzProbe  probes[FZ_MAX_PROBES];
} FzStep;

typedef struct
{
  uint8_t  n_gens;
  bool     close_all_at_end;
  uint8_t  hook;      /* FzHookKind */
  FzScript scripts[FZ_MAX_GENS];
  uint8_t  n_steps;
  FzStep   steps[FZ_MAX_OPS];
} FzProgram;

/* The decoded outcome of an op. */
typedef struct
{
  bool  ret;
  FzVal val;   /* FZ_VAL_NONE unless ret is TRUE for a next/send/throw */
  FzErr err;
} FzOutcome;

/* Events: what both sides record, in order. */
typedef enum
{
  FZ_EV_FIRST_ITER,    /* the first_iter hook ran */
  FZ_EV_START,         /* the body started */
  FZ_EV_RESUMED,       /* a yield returned TRUE; a = sent value */
  FZ_EV_YIELD_FAILED,  /* a yield returned FALSE; a = error */
  FZ_EV_AWAITED,       /* an await finished; a = error or none */
  FZ_EV_YIELD_FROM,    /* yield_from returned; a = rv or error, b = ret */
  FZ_EV_OP,            /* a blocking op inside the body; a = value, b = ret, c = error */
  FZ_EV_ASYNC,         /* an async op from the body; a = target, b = issued */
  FZ_EV_SKIP,          /* the instruction's target was dropped */
  FZ_EV_END,           /* the body function returned */
  FZ_EV_DESTROY,       /* user_data_destroy ran */
  FZ_EV_FINALIZED,     /* the generator was finalized */
  FZ_EV_WARN_CLOSE_FAILED,  /* the default finalizer's close failed */
  FZ_EV_WARN_UNCLEANED,     /* destroyed while suspended */
  FZ_EV_CRIT_NO_ERROR,      /* body returned FALSE without an error */
  FZ_EV_CRIT_TRUE_ERROR,    /* body returned TRUE with an error */
  FZ_EV_FOREIGN,            /* a body-side call on another generator; a = error */
  FZ_EV_CRIT_FOREIGN,       /* its critical (await, set_return_value) */
  FZ_EV_HOOK,               /* the finalizer hook got the generator */
  FZ_EV_HOOK_CLOSED,        /* the hook's close finished; a = error, b = ret */
  FZ_EV_LOG_UNKNOWN,        /* (actual only) any other warning or critical */
} FzEventType;

typedef struct
{
  uint8_t  type;
  uint8_t  gen;    /* 0xff when not known */
  uint8_t  pc;
  uint32_t a, b, c;
} FzEvent;

typedef struct
{
  size_t  n;
  bool    overflow;
  FzEvent ev[FZ_MAX_EVENTS];
} FzEventLog;

void fz_log_add (FzEventLog *log,
                 uint8_t     type,
                 uint8_t     gen,
                 uint8_t     pc,
                 uint32_t    a,
                 uint32_t    b,
                 uint32_t    c);

/* Packing for events and comparisons. */
static inline uint32_t
fz_val_code (FzVal v)
{
  /* Both spellings of None are the same value once received. */
  if (v.kind == FZ_VAL_NULL)
    v.kind = FZ_VAL_NONE;
  if (v.kind == FZ_VAL_NONE)
    v.n = 0;
  return ((uint32_t) v.kind << 8) | v.n;
}

static inline uint32_t
fz_err_code (FzErr e)
{
  return ((uint32_t) e.domain << 8) | e.code;
}

static inline FzVal
fz_val (uint8_t kind, uint8_t n)
{
  FzVal v = { kind, n };
  return v;
}

static inline FzErr
fz_err (uint8_t domain, uint8_t code)
{
  FzErr e = { domain, code };
  return e;
}

static inline bool
fz_val_is_none (FzVal v)
{
  return v.kind == FZ_VAL_NULL || v.kind == FZ_VAL_NONE;
}

static inline bool
fz_err_is (FzErr e, uint8_t domain, uint8_t code)
{
  return e.domain == domain && e.code == code;
}

/* Cases of library bugs known (and being fixed) when the fuzzer was
 * written, generated only on request (FUZZ_KNOWN_BUGS). */
enum
{
  FZ_BUG_ABANDON_AWAIT = 1 << 0,    /* FZ_I_ABANDON_AWAIT */
  FZ_BUG_SECOND_FINISH = 1 << 1,    /* a second _finish on each async result */
  FZ_BUG_SPURIOUS_RESUME = 1 << 2,  /* FZ_STEP_SPURIOUS_RESUME */
};

/* Decoding. Never fails: missing bytes read as 0. known_bugs (FZ_BUG_*)
 * also decodes the cases of those bugs. */
void fz_program_decode (FzProgram     *prog,
                        const uint8_t *data,
                        size_t         size,
                        unsigned       known_bugs);

/* Decoding helpers shared by the model and the harness. */
FzVal    fz_decode_val         (uint8_t byte);
FzErr    fz_decode_throw_error (uint8_t index);
/* The op byte of FZ_I_OP and FZ_I_ASYNC_OP: bits 0-1 kind, bits 2-4
 * argument, bit 5 with the step's cancellable, bit 6 (FZ_I_OP, a next)
 * the try_next form. */
FzOpSpec fz_decode_body_op     (uint8_t byte);

/* Human-readable dumps, for failure reports. */
const char *fz_state_name (int state);
void fz_describe_val (char *buf, size_t size, FzVal v);
void fz_describe_err (char *buf, size_t size, FzErr e);
void fz_describe_outcome (char *buf, size_t size, const FzOutcome *o);
void fz_describe_op (char *buf, size_t size, const FzOpSpec *op);
void fz_describe_event (char *buf, size_t size, const FzEvent *ev);
void fz_program_print (const FzProgram *prog);
void fz_step_print (const FzStep *step, int index);
