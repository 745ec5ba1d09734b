/* agen-switch-ucontext.c — the portable fiber stack switch, on ucontext
 *
 * Copyright 2026 The agen authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <ucontext.h>

#include "agen-switch-private.h"

/*
 * For CPUs without an assembly switch. swapcontext() also saves and
 * restores the signal mask, which costs a system call per switch, so this
 * is more than ten times slower than the assembly (about 450 against 35 ns
 * per resume + suspend round trip on an x86_64 VM); it works wherever the
 * C library has the ucontext family (glibc does; musl needs libucontext).
 */

/* makecontext() passes int arguments only, so a pointer travels as two
 * 32-bit halves. */
static void
agen_switch_trampoline (unsigned int high,
                        unsigned int low)
{
  guint64 bits = ((guint64) high << 32) | low;
  AgenSwitchContext *context = (AgenSwitchContext *) (uintptr_t) bits;

  context->entry (context->arg);

  /* The entry function leaves by switching away for good; with uc_link
   * NULL, returning here would end the thread. */
  abort ();
}

void
agen_switch_init (AgenSwitchContext *context,
                  guint8            *stack_base,
                  gsize              stack_size,
                  AgenSwitchEntry    entry,
                  gpointer           arg)
{
  guint64 bits = (guint64) (uintptr_t) context;

  /* Also captures the creator's float control state, which the fiber then
   * starts with, as on the assembly paths. */
  if (getcontext (&context->uc) != 0)
    g_error ("agen: getcontext() failed: %s", g_strerror (errno));

  context->uc.uc_stack.ss_sp = stack_base;
  context->uc.uc_stack.ss_size = stack_size;
  context->uc.uc_link = NULL;
  context->entry = entry;
  context->arg = arg;

  makecontext (&context->uc,
               (void (*) (void)) agen_switch_trampoline,
               2,
               (unsigned int) (bits >> 32),
               (unsigned int) (bits & 0xffffffffu));
}

void
agen_switch_swap (AgenSwitchContext *save,
                  AgenSwitchContext *to)
{
  if (swapcontext (&save->uc, &to->uc) != 0)
    g_error ("agen: swapcontext() failed: %s", g_strerror (errno));
}
