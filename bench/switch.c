/* switch.c — the floor under B2: a bare fiber resume + suspend round trip
 * (agen's private fiber layer, no generator, no GValue), against glibc's
 * swapcontext() doing the same
 *
 * Copyright 2026 The agen authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <ucontext.h>

#include "agen-fiber-private.h"
#include "bench-util.h"

/* agen fibers ------------------------------------------------------------- */

typedef struct
{
  gboolean stop;
  guint64  rounds;
} Bouncer;

static void
bounce (gpointer data)
{
  Bouncer *bouncer = data;

  while (!bouncer->stop)
    {
      bouncer->rounds++;
      agen_fiber_suspend ();
    }
}

/* agen fibers, three frames deep on each side ------------------------------ */

/* The same round trip with two more functions between each loop and the
 * switch: what every frame that is live across a switch costs, since the
 * returns after a switch are mispredicted (see
 * agen/agen-fiber-inline-private.h). */
static G_NO_INLINE void
deep_suspend_2 (void)
{
  agen_fiber_suspend ();
  __asm__ volatile ("");  /* not a tail call: the frame stays live */
}

static G_NO_INLINE void
deep_suspend_1 (void)
{
  deep_suspend_2 ();
  __asm__ volatile ("");
}

static G_NO_INLINE void
deep_resume_2 (AgenFiber *fiber)
{
  agen_fiber_resume (fiber);
  __asm__ volatile ("");
}

static G_NO_INLINE void
deep_resume_1 (AgenFiber *fiber)
{
  deep_resume_2 (fiber);
  __asm__ volatile ("");
}

static void
deep_bounce (gpointer data)
{
  Bouncer *bouncer = data;

  while (!bouncer->stop)
    {
      bouncer->rounds++;
      deep_suspend_1 ();
    }
}

/* How a variant bounces: the fiber's function and how the loop resumes. */
typedef struct
{
  AgenFiberFunc  bounce;
  void         (*resume) (AgenFiber *fiber);
} SwitchVariant;

static gint64
run_agen_fiber (guint64  iterations,
                gpointer user_data)
{
  const SwitchVariant *variant = user_data;
  Bouncer bouncer = { FALSE, 0 };
  AgenFiber *fiber = agen_fiber_new (variant->bounce, &bouncer, 0, "bench");
  gint64 start, elapsed;

  start = bench_now_ns ();
  for (guint64 i = 0; i < iterations; i++)
    variant->resume (fiber);
  elapsed = bench_now_ns () - start;

  bouncer.stop = TRUE;
  agen_fiber_resume (fiber);
  if (!agen_fiber_is_finished (fiber) || bouncer.rounds != iterations)
    return -1;
  agen_fiber_free (fiber);

  return elapsed;
}

/* glibc ucontext ---------------------------------------------------------- */

static ucontext_t uc_main;
static ucontext_t uc_fiber;
static Bouncer uc_bouncer;

static void
uc_bounce (void)
{
  while (!uc_bouncer.stop)
    {
      uc_bouncer.rounds++;
      swapcontext (&uc_fiber, &uc_main);
    }
}

static gint64
run_ucontext (guint64  iterations,
              gpointer user_data)
{
  gsize stack_size = 64 * 1024;
  g_autofree guint8 *stack = g_malloc (stack_size);
  gint64 start, elapsed;

  uc_bouncer.stop = FALSE;
  uc_bouncer.rounds = 0;
  getcontext (&uc_fiber);
  uc_fiber.uc_stack.ss_sp = stack;
  uc_fiber.uc_stack.ss_size = stack_size;
  uc_fiber.uc_link = &uc_main;
  makecontext (&uc_fiber, uc_bounce, 0);

  start = bench_now_ns ();
  for (guint64 i = 0; i < iterations; i++)
    swapcontext (&uc_main, &uc_fiber);
  elapsed = bench_now_ns () - start;

  /* Let uc_bounce() return through uc_link, so the stack is free to go. */
  uc_bouncer.stop = TRUE;
  swapcontext (&uc_main, &uc_fiber);

  return uc_bouncer.rounds == iterations ? elapsed : -1;
}

int
main (int    argc,
      char **argv)
{
  BenchOptions options;
  static const SwitchVariant direct = { bounce, agen_fiber_resume };
  static const SwitchVariant deep = { deep_bounce, deep_resume_1 };
  const BenchVariant variants[] = {
    { "agen-fiber", "agen_fiber_resume() + agen_fiber_suspend() (private API, asm switch)",
      run_agen_fiber, (gpointer) &direct },
    { "agen-deep", "the same with two more frames live across the switch on each side",
      run_agen_fiber, (gpointer) &deep },
    { "ucontext", "reference: glibc swapcontext() there and back (a sigprocmask each way)",
      run_ucontext, NULL },
  };

  bench_parse_options (&options,
                       "The raw stack switch under B2: ns per resume + suspend round trip.",
                       NULL, 500000, 5000000, &argc, &argv);

  return bench_run_variants ("Fiber switch round trip (ns per resume + suspend)",
                             variants, G_N_ELEMENTS (variants), 0, &options);
}
