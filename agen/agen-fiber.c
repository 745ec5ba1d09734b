/* agen-fiber.c — fibers: a function running on a stack of its own
 *
 * Copyright 2026 The agen authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#if defined(__linux__) && (defined(__x86_64__) || defined(__aarch64__))
# include <ucontext.h>
# define AGEN_FIBER_HAVE_FAULT_SP 1
#endif

#include "agen-fiber-inline-private.h"

/*
 * Who runs when
 * -------------
 *
 * Each fiber keeps two switch contexts: its own (valid while it is not
 * running) and its resumer's (valid while it runs). Resuming
 * (agen_fiber_switch_in(), behind agen_fiber_resume()) saves the running
 * code — the thread's own stack or another fiber — into the resumed
 * fiber's resumer context and switches to the fiber's own;
 * agen_fiber_suspend() does the reverse. So control always goes back to
 * exactly the code that resumed, nesting works without any per-thread
 * stack of fibers (A resumes B: B's resumer context is A's; when B
 * suspends, A continues), and the next resume may come from somewhere else
 * entirely: it simply overwrites the resumer context.
 *
 * The only per-thread state is the current fiber, needed by
 * agen_fiber_suspend() and by the SIGSEGV handler, the fiber in the middle
 * of switching away (for the handler too) and a flag saying the thread has
 * its alternate signal stack.
 *
 * A fiber's function returning is the end of its stack's life, but the
 * stack is still in use while the fiber switches away for the last time.
 * So the fiber only marks itself finished, and the resume, back on the
 * resumer's stack, gives the stack back to the pool.
 *
 * The code a suspended fiber continues in (agen_fiber_switch_out()) never
 * touches thread-local variables after its switch returns: the compiler
 * may compute a thread-local's address once per function, and a fiber
 * resumed on another thread would then use the old thread's copy. It
 * reads the fiber struct instead. agen_fiber_switch_in() may: whoever
 * called it stays on this thread until the fiber it resumed comes back,
 * and that fiber can only come back on the thread it runs on.
 *
 * The switching itself is in agen-fiber-inline-private.h, inline, so that
 * the generator's per-item paths reach it without intermediate frames;
 * see there why that matters.
 *
 * Stack overflow
 * --------------
 *
 * Running off the low end of a fiber stack hits its guard, many pages
 * large so that a large frame does not jump it (agen-stack.c). A
 * SIGSEGV/SIGBUS handler, installed when the first fiber is created,
 * recognises a fault in the guard of a fiber stack in use on the
 * faulting thread (the current fiber's, nearly always) and aborts with a
 * message naming the generator, instead of a bare "Segmentation fault".
 * The handler runs on an alternate signal stack since the faulting stack is
 * by definition full; each thread gets one the first time it creates or
 * resumes a fiber, unless it already has one. Any other fault goes to
 * whatever handler was installed before ours.
 */

/* The per-thread state agen-fiber-inline-private.h declares. */
AGEN_FIBER_TLS AgenFiber *agen_fiber_current;
AGEN_FIBER_TLS AgenFiber *agen_fiber_leaving;
AGEN_FIBER_TLS AgenFiberThreadCall *agen_fiber_thread_call;
AGEN_FIBER_TLS gboolean agen_fiber_thread_ready;

/* The handlers that were installed before ours, chained to for faults that
 * are not fiber stack overflows. */
static struct sigaction agen_fiber_previous_segv;
static struct sigaction agen_fiber_previous_bus;

/* The alternate signal stack we mapped for a thread; unmapped at thread
 * exit. */
typedef struct
{
  guint8 *mapping;
  gsize   mapping_size;
  guint8 *base;
} AgenFiberAltStack;

static void agen_fiber_alt_stack_free (gpointer data);

static GPrivate agen_fiber_alt_stack_private = G_PRIVATE_INIT (agen_fiber_alt_stack_free);

/* Enough for our handler (which uses a few hundred bytes) and for a
 * chained handler doing something reasonable, such as a sanitizer's
 * report. */
#define AGEN_FIBER_ALT_STACK_SIZE (64 * 1024)

/* Async-signal-safe helpers for the overflow message: no stdio, no
 * allocation. */
static gsize
agen_fiber_append (char       *buffer,
                   gsize       buffer_size,
                   gsize       length,
                   const char *text)
{
  while (*text != '\0' && length + 1 < buffer_size)
    buffer[length++] = *text++;

  return length;
}

static gsize
agen_fiber_append_size (char  *buffer,
                        gsize  buffer_size,
                        gsize  length,
                        gsize  value)
{
  char digits[24];
  gsize n = sizeof digits;

  digits[--n] = '\0';
  do
    {
      digits[--n] = (char) ('0' + value % 10);
      value /= 10;
    }
  while (value != 0 && n > 0);

  return agen_fiber_append (buffer, buffer_size, length, digits + n);
}

static void G_GNUC_NORETURN
agen_fiber_report_overflow (AgenFiber       *fiber,
                            const AgenStack *stack)
{
  /* Long labels are cut rather than allocated for. */
  char message[512];
  const char *label = g_atomic_pointer_get (&fiber->label);
  gsize length = 0;
  gsize written = 0;

  length = agen_fiber_append (message, sizeof message, length, "agen: ");
  if (label != NULL)
    {
      length = agen_fiber_append (message, sizeof message, length, "generator '");
      length = agen_fiber_append (message, sizeof message, length, label);
      length = agen_fiber_append (message, sizeof message, length, "'");
    }
  else
    {
      length = agen_fiber_append (message, sizeof message, length, "an unnamed generator");
    }
  length = agen_fiber_append (message, sizeof message, length, " overflowed its ");
  length = agen_fiber_append_size (message, sizeof message, length, stack->size);
  length = agen_fiber_append (message, sizeof message, length, "-byte stack; aborting\n");

  while (written < length)
    {
      ssize_t n = write (STDERR_FILENO, message + written, length - written);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      written += (gsize) n;
    }

  abort ();
}

static gboolean
agen_fiber_is_guard_hit (AgenFiber     *fiber,
                         gconstpointer  addr)
{
  AgenStack *stack = fiber->stack;

  return stack != NULL && agen_stack_is_guard_hit (stack, addr);
}

/* The stack pointer of the code that faulted, or NULL. */
static const guint8 *
agen_fiber_fault_sp (void *ucontext)
{
#if defined(AGEN_FIBER_HAVE_FAULT_SP) && defined(__x86_64__)
  return (const guint8 *) (guintptr) ((ucontext_t *) ucontext)->uc_mcontext.gregs[REG_RSP];
#elif defined(AGEN_FIBER_HAVE_FAULT_SP) && defined(__aarch64__)
  return (const guint8 *) (guintptr) ((ucontext_t *) ucontext)->uc_mcontext.sp;
#else
  return NULL;
#endif
}

/* How far below the fault's stack pointer a faulting access may be for a
 * frame that jumped past the guard (a call's return address, a probe or a
 * spill just below it). */
#define AGEN_FIBER_FAULT_SP_SLACK (64 * 1024)

/* A frame larger than the guard moved fiber's stack pointer below its
 * stack at once (code compiled without -fstack-clash-protection), and the
 * first access there faulted: in unmapped memory below the slab, or in
 * the guard of another stack. The guard cannot catch that, the stack
 * pointer can: it lies below the stack, not far, and the access is next
 * to it. When the access lands in a neighbour's stack instead nothing
 * faults: see docs/limits.md. */
static gboolean
agen_fiber_is_jump_past_guard (AgenFiber     *fiber,
                               gconstpointer  addr,
                               void          *ucontext)
{
  const AgenStack *stack = fiber->stack;
  const guint8 *sp = agen_fiber_fault_sp (ucontext);
  const guint8 *p = addr;

  if (stack == NULL || sp == NULL)
    return FALSE;

  return sp < stack->base &&
         (gsize) (stack->base - sp) <= AGEN_FIBER_MAX_STACK_SIZE &&
         p < stack->base &&
         p + AGEN_FIBER_FAULT_SP_SLACK >= sp;
}

static void
agen_fiber_fault_handler (int        signum,
                          siginfo_t *info,
                          void      *ucontext)
{
  int saved_errno = errno;
  const struct sigaction *previous;

  /* si_addr only means something for a fault the kernel raised (si_code
   * > 0), not for a SIGSEGV someone sent with kill(). */
  if (info != NULL && info->si_code > 0)
    {
      AgenFiber *leaving = agen_fiber_leaving;

      /* Nearly always the current fiber overflowed. But around a switch
       * the frame agen_switch_swap() pushes lands on the stack being left,
       * which is either the fiber switching away or, while resuming, the
       * current fiber's resumer; so look at every stack in use on this
       * thread. */
      if (leaving != NULL && agen_fiber_is_guard_hit (leaving, info->si_addr))
        agen_fiber_report_overflow (leaving, leaving->stack);

      for (AgenFiber *fiber = agen_fiber_current; fiber != NULL; fiber = fiber->resumer)
        {
          if (agen_fiber_is_guard_hit (fiber, info->si_addr))
            agen_fiber_report_overflow (fiber, fiber->stack);
        }

      /* Not in a guard: a frame that jumped past it? Only the running
       * fiber's own code can have moved its stack pointer there, and not
       * in the middle of a switch. */
      if (leaving == NULL && agen_fiber_current != NULL &&
          agen_fiber_is_jump_past_guard (agen_fiber_current, info->si_addr, ucontext))
        agen_fiber_report_overflow (agen_fiber_current, agen_fiber_current->stack);
    }

  /* Not ours. Hand the signal to whoever was there before us. */
  previous = signum == SIGBUS ? &agen_fiber_previous_bus : &agen_fiber_previous_segv;

  if ((previous->sa_flags & SA_SIGINFO) != 0)
    {
      previous->sa_sigaction (signum, info, ucontext);
    }
  else if (previous->sa_handler == SIG_DFL || previous->sa_handler == SIG_IGN)
    {
      /* Put the old disposition back and return: a faulting instruction
       * runs again and this time gets the default treatment (the kernel
       * does not let a synchronous fault be ignored), core dump included.
       * A sent signal would not come back by itself, so send it again; it
       * stays blocked until this handler returns. */
      sigaction (signum, previous, NULL);
      if (info == NULL || info->si_code <= 0)
        raise (signum);
    }
  else
    {
      previous->sa_handler (signum);
    }

  errno = saved_errno;
}

static void
agen_fiber_install_fault_handler (void)
{
  static gsize installed;

  if (g_once_init_enter (&installed))
    {
      struct sigaction action;

      memset (&action, 0, sizeof action);
      action.sa_sigaction = agen_fiber_fault_handler;
      action.sa_flags = SA_SIGINFO | SA_ONSTACK;
      sigemptyset (&action.sa_mask);

      if (sigaction (SIGSEGV, &action, &agen_fiber_previous_segv) != 0 ||
          sigaction (SIGBUS, &action, &agen_fiber_previous_bus) != 0)
        g_warning ("agen: could not install the stack overflow handler: %s",
                   g_strerror (errno));

      g_once_init_leave (&installed, 1);
    }
}

static void
agen_fiber_alt_stack_free (gpointer data)
{
  AgenFiberAltStack *alt_stack = data;
  stack_t current;

  /* Only disable it if it is still ours: someone may have replaced it. */
  if (sigaltstack (NULL, &current) == 0 &&
      (current.ss_flags & SS_DISABLE) == 0 &&
      (guint8 *) current.ss_sp == alt_stack->base)
    {
      stack_t disable;

      memset (&disable, 0, sizeof disable);
      disable.ss_flags = SS_DISABLE;
      sigaltstack (&disable, NULL);
    }

  munmap (alt_stack->mapping, alt_stack->mapping_size);
  g_free (alt_stack);
}

/* Gives the thread an alternate signal stack, so the overflow handler has
 * somewhere to run, unless it has one already. */
void
agen_fiber_setup_thread (void)
{
  AgenFiberAltStack *alt_stack;
  stack_t current;
  stack_t ours;
  gsize page_size = (gsize) sysconf (_SC_PAGESIZE);
  gsize size = AGEN_FIBER_ALT_STACK_SIZE;
  guint8 *mapping;

  agen_fiber_thread_ready = TRUE;

  if (sigaltstack (NULL, &current) == 0 && (current.ss_flags & SS_DISABLE) == 0)
    return;

#ifdef _SC_SIGSTKSZ
  {
    long minimum = sysconf (_SC_SIGSTKSZ);

    if (minimum > 0 && (gsize) minimum > size)
      size = ((gsize) minimum + page_size - 1) & ~(page_size - 1);
  }
#endif

  /* With a guard page of its own: a handler overflowing the alternate
   * stack should fault, not corrupt whatever is mapped below. */
  mapping = mmap (NULL,
                  size + page_size,
                  PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK,
                  -1,
                  0);
  if (mapping == MAP_FAILED)
    {
      g_warning ("agen: could not map an alternate signal stack: %s",
                 g_strerror (errno));
      return;
    }
  mprotect (mapping, page_size, PROT_NONE);

  memset (&ours, 0, sizeof ours);
  ours.ss_sp = mapping + page_size;
  ours.ss_size = size;
  ours.ss_flags = 0;

  if (sigaltstack (&ours, NULL) != 0)
    {
      g_warning ("agen: could not install an alternate signal stack: %s",
                 g_strerror (errno));
      munmap (mapping, size + page_size);
      return;
    }

  alt_stack = g_new0 (AgenFiberAltStack, 1);
  alt_stack->mapping = mapping;
  alt_stack->mapping_size = size + page_size;
  alt_stack->base = mapping + page_size;
  g_private_set (&agen_fiber_alt_stack_private, alt_stack);
}

static void
agen_fiber_release_stack (AgenFiber *fiber)
{
  AgenStack *stack = fiber->stack;

  fiber->stack = NULL;

#ifdef HAVE_VALGRIND
  VALGRIND_STACK_DEREGISTER (fiber->valgrind_stack_id);
#endif

#ifdef AGEN_ASAN
  /* Frames that never returned (the entry frame always, every frame of a
   * fiber freed while suspended) leave their redzones poisoned; the next
   * fiber on this stack would trip over them. Unpoisoned by giving the
   * shadow pages back rather than by writing zeros, which would keep all
   * of the stack's shadow resident (agen-asan-private.h). */
  agen_asan_release_region (stack->base, stack->size);
#endif

  agen_stack_release (stack);
}

static void
agen_fiber_entry (gpointer arg)
{
  AgenFiber *fiber = arg;

#ifdef AGEN_ASAN
  /* First landing on this stack: no fake stack to restore yet. */
  __sanitizer_finish_switch_fiber (NULL,
                                   &fiber->resumer_stack_bottom,
                                   &fiber->resumer_stack_size);
#endif

  fiber->func (fiber->data);

  fiber->finished = TRUE;
  agen_fiber_switch_out (fiber, TRUE);

  /* Nobody switches back into a finished fiber. */
  g_assert_not_reached ();
}

gboolean
agen_fiber_init (AgenFiber     *fiber,
                 AgenFiberFunc  func,
                 gpointer       data,
                 gsize          stack_size,
                 const char    *label,
                 GError       **error)
{
  AgenStack *stack;

  g_return_val_if_fail (fiber != NULL, FALSE);
  g_return_val_if_fail (func != NULL, FALSE);
  g_return_val_if_fail (stack_size <= AGEN_FIBER_MAX_STACK_SIZE, FALSE);

  agen_fiber_install_fault_handler ();
  if (!agen_fiber_thread_ready)
    agen_fiber_setup_thread ();

  stack = agen_stack_acquire (stack_size, error);
  if (stack == NULL)
    return FALSE;

  memset (fiber, 0, sizeof *fiber);
  fiber->func = func;
  fiber->data = data;
  fiber->label = g_strdup (label);
  fiber->stack = stack;

#ifdef HAVE_VALGRIND
  /* Before agen_switch_init() writes the first frame on it. */
  fiber->valgrind_stack_id =
    VALGRIND_STACK_REGISTER (fiber->stack->base,
                             fiber->stack->base + fiber->stack->size);
#endif

#ifdef AGEN_TSAN
  fiber->tsan_fiber = __tsan_create_fiber (0);
#endif

  agen_switch_init (&fiber->context,
                    fiber->stack->base,
                    fiber->stack->size,
                    agen_fiber_entry,
                    fiber);

  return TRUE;
}

AgenFiber *
agen_fiber_new (AgenFiberFunc  func,
                gpointer       data,
                gsize          stack_size,
                const char    *label)
{
  AgenFiber *fiber;
  GError *error = NULL;

  g_return_val_if_fail (func != NULL, NULL);

  fiber = g_new (AgenFiber, 1);
  /* For the tests and benchmarks of this layer, which have no use for a
   * failure they cannot report. */
  if (!agen_fiber_init (fiber, func, data, stack_size, label, &error))
    g_error ("%s", error->message);

  return fiber;
}

void
agen_fiber_resume (AgenFiber *fiber)
{
  g_return_if_fail (fiber != NULL);
  g_return_if_fail (!fiber->running);
  g_return_if_fail (!fiber->finished);

  agen_fiber_switch_in (fiber);
}

/* The rare part of agen_fiber_switch_in(), after the switch came back:
 * serve the requests of the fibers of the chain to run something on this
 * stack, and give a finished fiber's stack back. */
void
agen_fiber_resume_tail (AgenFiber *fiber)
{
  AgenFiberThreadCall *call;
#ifdef AGEN_ASAN
  void *fake_stack = NULL;
#endif

  while ((call = g_steal_pointer (&agen_fiber_thread_call)) != NULL)
    {
      call->func (call->data);

      agen_fiber_current = call->caller;
#ifdef AGEN_ASAN
      __sanitizer_start_switch_fiber (&fake_stack, call->caller->stack->base,
                                      call->caller->stack->size);
#endif
#ifdef AGEN_TSAN
      __tsan_switch_to_fiber (call->caller->tsan_fiber, 0);
#endif
      agen_switch_swap (&fiber->resumer_context, &call->caller->context);

      agen_fiber_leaving = NULL;
#ifdef AGEN_ASAN
      __sanitizer_finish_switch_fiber (fake_stack, NULL, NULL);
#endif
    }

  if (fiber->finished)
    agen_fiber_release_stack (fiber);
}

void
agen_fiber_suspend (void)
{
  AgenFiber *fiber = agen_fiber_current;

  g_return_if_fail (fiber != NULL);

  agen_fiber_switch_out (fiber, FALSE);
}

AgenFiber *
agen_fiber_get_current (void)
{
  return agen_fiber_current;
}

gpointer
agen_fiber_get_data (AgenFiber *fiber)
{
  g_return_val_if_fail (fiber != NULL, NULL);

  return fiber->data;
}

gboolean
agen_fiber_is_finished (AgenFiber *fiber)
{
  g_return_val_if_fail (fiber != NULL, FALSE);

  return fiber->finished;
}

gboolean
agen_fiber_is_started (AgenFiber *fiber)
{
  g_return_val_if_fail (fiber != NULL, FALSE);

  return fiber->started;
}

void
agen_fiber_set_label (AgenFiber  *fiber,
                      const char *label)
{
  char *old_label;

  g_return_if_fail (fiber != NULL);

  if (g_strcmp0 (fiber->label, label) == 0)
    return;

  old_label = g_atomic_pointer_exchange (&fiber->label, g_strdup (label));

  /* The overflow handler may be reading it right now. */
  if (old_label != NULL)
    fiber->retired_labels = g_slist_prepend (fiber->retired_labels, old_label);
}

void
agen_fiber_clear (AgenFiber *fiber)
{
  g_return_if_fail (fiber != NULL);
  g_return_if_fail (!fiber->running);

  /* Suspended mid-function or never started: the stack goes back to the
   * pool as it is, nothing on it runs again. (Under ASan with
   * use-after-return detection, the fake frames of a fiber freed while
   * suspended are never handed back: ASan has no call for that.) */
  if (fiber->stack != NULL)
    agen_fiber_release_stack (fiber);

#ifdef AGEN_TSAN
  g_clear_pointer (&fiber->tsan_fiber, __tsan_destroy_fiber);
#endif

  if (fiber->retired_labels != NULL)
    g_slist_free_full (g_steal_pointer (&fiber->retired_labels), g_free);
  g_clear_pointer (&fiber->label, g_free);
}

void
agen_fiber_free (AgenFiber *fiber)
{
  if (fiber == NULL)
    return;

  g_return_if_fail (!fiber->running);

  agen_fiber_clear (fiber);
  g_free (fiber);
}

/* The chain of fibers running on this thread starts at a fiber resumed
 * from the thread's stack, whose resume (agen_fiber_switch_in()) waits in
 * its switch. Switch straight there, leaving every fiber of the chain as
 * it is (each still waits in its own switch), let that resume run func
 * (in agen_fiber_resume_tail()), and have it switch straight back. */
void
agen_fiber_call_on_thread_stack (AgenFiberFunc func,
                                 gpointer      data)
{
  AgenFiber *fiber = agen_fiber_current;
  AgenFiberThreadCall call;
  AgenFiber *root;
#ifdef AGEN_ASAN
  void *fake_stack = NULL;
#endif

  if (fiber == NULL)
    {
      func (data);
      return;
    }

  for (root = fiber; root->resumer != NULL; root = root->resumer)
    ;

  call.func = func;
  call.data = data;
  call.caller = fiber;
  agen_fiber_thread_call = &call;
  agen_fiber_current = NULL;

#ifdef AGEN_ASAN
  __sanitizer_start_switch_fiber (&fake_stack, root->resumer_stack_bottom,
                                  root->resumer_stack_size);
#endif
#ifdef AGEN_TSAN
  __tsan_switch_to_fiber (root->tsan_resumer, 0);
#endif

  agen_switch_swap (&fiber->context, &root->resumer_context);

  /* Back, on the same thread: the thread's stack only ever switches back
   * into the caller. */
#ifdef AGEN_ASAN
  __sanitizer_finish_switch_fiber (fake_stack, NULL, NULL);
#endif
}
