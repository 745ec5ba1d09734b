/* agen-switch-private.h — the raw stack switch underneath fibers
 *
 * Copyright 2026 The agen authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib.h>

#ifdef AGEN_SWITCH_UCONTEXT
# include <ucontext.h>
#endif

G_BEGIN_DECLS

/*
 * This is the only part of the fiber engine that knows how a CPU keeps its
 * execution state. It saves the registers the calling convention says a
 * callee must preserve, switches the stack pointer and restores the other
 * side's registers; everything else (who resumes whom, sanitizers,
 * Valgrind, the stack pool) lives in agen-fiber.c so that each backend stays
 * a handful of lines.
 *
 * Two backends implement it: agen-switch-<cpu>.S (AGEN_SWITCH_ASM) and
 * agen-switch-ucontext.c (AGEN_SWITCH_UCONTEXT).
 */

/* The first code a fiber runs, on its own stack. It must never return:
 * there is no frame to return to. It leaves by switching away for the last
 * time. */
typedef void (*AgenSwitchEntry) (gpointer arg);

typedef struct _AgenSwitchContext AgenSwitchContext;

struct _AgenSwitchContext
{
#ifdef AGEN_SWITCH_UCONTEXT
  ucontext_t      uc;
  /* Read by the trampoline on the first switch: makecontext() can only
   * pass ints, so it passes a pointer to this context instead. */
  AgenSwitchEntry entry;
  gpointer        arg;
#else
  /* Everything else lives on the suspended stack itself, pushed by
   * agen_switch_swap(); this is where that stack's top was left. */
  gpointer        sp;
#endif
};

/* Prepares context so that the first agen_switch_swap() into it runs
 * entry (arg) on [stack_base, stack_base + stack_size), with the stack
 * aligned as the ABI requires at a function's entry. The floating-point
 * control state (rounding mode, exception masks) starts as the caller's. */
void  agen_switch_init  (AgenSwitchContext *context,
                         guint8            *stack_base,
                         gsize              stack_size,
                         AgenSwitchEntry    entry,
                         gpointer           arg);

/* Saves the running state into save and continues from to. Returns when
 * someone else switches back into save. save and to must differ. */
void  agen_switch_swap  (AgenSwitchContext *save,
                         AgenSwitchContext *to);

G_END_DECLS
