/* agen-fiber-inline-private.h — the fiber switches, inline for the hot paths
 *
 * Copyright 2026 The agen authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "agen-asan-private.h"
#include "agen-fiber-private.h"
#include "agen-stack-private.h"
#include "agen-switch-private.h"
#include "agen-tsan-private.h"

G_BEGIN_DECLS

/*
 * Why inline
 * ----------
 *
 * A switch lands in code that then returns up the frames it was called
 * through. The CPU predicts returns from a stack of its own (the return
 * stack buffer), filled by the calls made on the stack it just left, so
 * every one of those returns is mispredicted: about 8 ns each here, more
 * than the switch itself. A blocking next that went through five frames on
 * each side to reach the switch spent most of its time there.
 *
 * So the per-item paths (the blocking next, the yield) call
 * agen_switch_swap() from the very function the application called, with
 * everything between inlined from here: one mispredicted return on each
 * side, where the application's call returns. agen-fiber.c builds its
 * checked, out-of-line functions from the same inline code.
 *
 * Only agen-fiber.c and agen-generator.c include this header.
 */

/* Sanitizers must be told about every stack switch, or they take the new
 * stack for a wild jump of the old one (ASan) or lose track of which
 * accesses happen-before which (TSan). gcc says so with __SANITIZE_*__,
 * clang with __has_feature(): agen-asan-private.h defines AGEN_ASAN and
 * agen-tsan-private.h AGEN_TSAN, each with its sanitizer's interface. */

#ifdef HAVE_VALGRIND
# include <valgrind/valgrind.h>
#endif

struct _AgenFiber
{
  AgenSwitchContext  context;
  AgenSwitchContext  resumer_context;

  AgenFiberFunc      func;
  gpointer           data;

  /* Who resumed it, while it runs: NULL for the thread's own stack. */
  AgenFiber         *resumer;

  /* NULL once the stack went back to the pool: after the function
   * returned, or on agen_fiber_free(). Read by the SIGSEGV handler. */
  AgenStack         *stack;

  /* Read by the SIGSEGV handler, possibly while another thread replaces
   * it: replaced labels stay allocated until the fiber is freed. */
  char              *label;
  GSList            *retired_labels;

  guint              started : 1;
  guint              running : 1;
  guint              finished : 1;

#ifdef HAVE_VALGRIND
  guint              valgrind_stack_id;
#endif

#ifdef AGEN_ASAN
  /* The bounds of the resumer's stack, learnt when switching in, to be
   * given back to ASan when switching out. */
  const void        *resumer_stack_bottom;
  size_t             resumer_stack_size;
#endif

#ifdef AGEN_TSAN
  void              *tsan_fiber;
  void              *tsan_resumer;
#endif
};

/* Read on every switch. In a shared library the default TLS model goes
 * through a __tls_get_addr() call (about 10 ns of a ~35 ns resume + suspend
 * round trip, measured on x86_64); initial-exec is one load relative to the
 * thread pointer. The price is a few bytes of static TLS if libagen gets
 * dlopen()ed, which glibc's reserve covers. It also keeps the SIGSEGV
 * handler's read of the current fiber free of any lazy TLS allocation. */
#define AGEN_FIBER_TLS __thread __attribute__ ((tls_model ("initial-exec")))

/* The fiber running on this thread, or NULL on the thread's own stack. */
extern AGEN_FIBER_TLS AgenFiber *agen_fiber_current;

/* The fiber switching away, from the moment it stops being current until
 * the switch lands back in the resumer. Only for the SIGSEGV
 * handler: the switch itself pushes a frame on the leaving stack, which
 * may be the push that overflows it. */
extern AGEN_FIBER_TLS AgenFiber *agen_fiber_leaving;

/* A request, from a fiber, to run a function on the thread's own stack:
 * see agen_fiber_call_on_thread_stack(). */
typedef struct
{
  AgenFiberFunc  func;
  gpointer       data;
  AgenFiber     *caller;
} AgenFiberThreadCall;

extern AGEN_FIBER_TLS AgenFiberThreadCall *agen_fiber_thread_call;

/* Whether this thread has an alternate signal stack (ours or someone
 * else's). */
extern AGEN_FIBER_TLS gboolean agen_fiber_thread_ready;


void  agen_fiber_setup_thread  (void);
void  agen_fiber_resume_tail   (AgenFiber *fiber);

/* agen_fiber_get_current() without the call. */
static inline AgenFiber *
agen_fiber_peek_current (void)
{
  return agen_fiber_current;
}

/* agen_fiber_resume() without its argument checks: fiber must be neither
 * running nor finished. */
static inline void
agen_fiber_switch_in (AgenFiber *fiber)
{
#ifdef AGEN_ASAN
  void *fake_stack = NULL;
#endif

  if (G_UNLIKELY (!agen_fiber_thread_ready))
    agen_fiber_setup_thread ();

  fiber->started = TRUE;
  fiber->running = TRUE;
  fiber->resumer = agen_fiber_current;
  agen_fiber_current = fiber;

#ifdef AGEN_ASAN
  __sanitizer_start_switch_fiber (&fake_stack, fiber->stack->base, fiber->stack->size);
#endif
#ifdef AGEN_TSAN
  fiber->tsan_resumer = __tsan_get_current_fiber ();
  __tsan_switch_to_fiber (fiber->tsan_fiber, 0);
#endif

  agen_switch_swap (&fiber->resumer_context, &fiber->context);

  /* Back: the fiber suspended or finished, or a fiber of the chain it
   * heads wants something run on this stack (see
   * agen_fiber_call_on_thread_stack()). The fiber put back the current
   * fiber: ours, since whoever resumed stays on this thread until the
   * fiber comes back, and it can only come back on the thread it runs
   * on. */
  agen_fiber_leaving = NULL;
#ifdef AGEN_ASAN
  __sanitizer_finish_switch_fiber (fake_stack, NULL, NULL);
#endif

  if (G_UNLIKELY (agen_fiber_thread_call != NULL || fiber->finished))
    agen_fiber_resume_tail (fiber);
}

/* Switches from fiber, the current fiber, to its resumer, for good if
 * final. Returns when the fiber is resumed again.
 *
 * The code after the switch must not touch thread-local variables: the
 * compiler may compute a thread-local's address once per function, and
 * a fiber resumed on another thread would then use the old thread's copy.
 * (The generator layer never moves a body between threads, but this layer
 * does not rely on it.) So every thread-local access is before the
 * switch, and so must be those of any function this is inlined into. */
static inline void
agen_fiber_switch_out (AgenFiber *fiber,
                       gboolean   final)
{
#ifdef AGEN_ASAN
  void *fake_stack = NULL;
#endif

  agen_fiber_leaving = fiber;
  agen_fiber_current = fiber->resumer;
  fiber->resumer = NULL;
  fiber->running = FALSE;

#ifdef AGEN_ASAN
  /* NULL on the final switch lets ASan free this fiber's fake stack. */
  __sanitizer_start_switch_fiber (final ? NULL : &fake_stack,
                                  fiber->resumer_stack_bottom,
                                  fiber->resumer_stack_size);
#endif
#ifdef AGEN_TSAN
  __tsan_switch_to_fiber (fiber->tsan_resumer, 0);
#endif

  agen_switch_swap (&fiber->context, &fiber->resumer_context);

  /* Resumed again. */
#ifdef AGEN_ASAN
  __sanitizer_finish_switch_fiber (fake_stack,
                                   &fiber->resumer_stack_bottom,
                                   &fiber->resumer_stack_size);
#endif
}

G_END_DECLS
