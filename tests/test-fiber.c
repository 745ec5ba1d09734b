/* test-fiber.c — the fiber engine: switching, nesting, stacks, overflow
 *
 * Copyright 2026 The agen authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "agen-fiber-private.h"
#include "agen-stack-private.h"
#include "agen-tsan-private.h"

#ifdef HAVE_VALGRIND
# include <valgrind/valgrind.h>
#endif

/* A stack, or the test fails. */
static AgenStack *
acquire_stack (gsize size)
{
  g_autoptr(GError) error = NULL;
  AgenStack *stack = agen_stack_acquire (size, &error);

  g_assert_no_error (error);
  return stack;
}

/* ------------------------------------------------------------------------
 * resume / suspend
 */

typedef struct
{
  AgenFiber *fiber;
  int        in;
  int        out;
  int        rounds;
  gboolean   returned;
} PingPong;

static void
ping_pong_func (gpointer data)
{
  PingPong *state = data;

  g_assert_true (agen_fiber_get_current () == state->fiber);
  g_assert_true (agen_fiber_get_data (state->fiber) == state);

  for (int i = 0; i < state->rounds; i++)
    {
      state->out = state->in * 2 + 1;
      agen_fiber_suspend ();
      g_assert_true (agen_fiber_get_current () == state->fiber);
    }

  state->returned = TRUE;
}

static void
test_resume_suspend (void)
{
  PingPong state = { NULL, 0, 0, 100, FALSE };

  state.fiber = agen_fiber_new (ping_pong_func, &state, 0, "ping-pong");
  g_assert_nonnull (state.fiber);
  g_assert_false (agen_fiber_is_started (state.fiber));
  g_assert_false (agen_fiber_is_finished (state.fiber));
  g_assert_null (agen_fiber_get_current ());

  for (int i = 0; i < state.rounds; i++)
    {
      state.in = i;
      agen_fiber_resume (state.fiber);
      g_assert_null (agen_fiber_get_current ());
      g_assert_cmpint (state.out, ==, i * 2 + 1);
      g_assert_true (agen_fiber_is_started (state.fiber));
      g_assert_false (agen_fiber_is_finished (state.fiber));
    }

  g_assert_false (state.returned);
  agen_fiber_resume (state.fiber);
  g_assert_true (state.returned);
  g_assert_true (agen_fiber_is_finished (state.fiber));

  agen_fiber_free (state.fiber);
}

/* ------------------------------------------------------------------------
 * The entry function gets an ABI-aligned stack
 */

static void
alignment_func (gpointer data)
{
  /* Asking for the frame address makes the compiler set up a frame
   * pointer: on x86_64 that is the entry %rsp minus 8 (the pushed %rbp),
   * 16-aligned exactly when %rsp was 8 (mod 16) at entry as the ABI
   * wants; on aarch64 it is the frame record, at the 16-aligned sp. */
  *(guintptr *) data = (guintptr) __builtin_frame_address (0);
}

static void
test_alignment (void)
{
  /* A few sizes, including ones that are not multiples of 16 before
   * rounding to pages. */
  static const gsize sizes[] = { 0, 4096, 12345, 65536 + 8 };

  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      guintptr frame = 0;
      AgenFiber *fiber = agen_fiber_new (alignment_func, &frame, sizes[i], NULL);

      agen_fiber_resume (fiber);
      g_assert_cmpuint (frame, !=, 0);
      g_assert_cmpuint (frame % 16, ==, 0);
      agen_fiber_free (fiber);
    }
}

/* ------------------------------------------------------------------------
 * The function returning: finished, stack back in the pool
 */

static void
record_stack_address_func (gpointer data)
{
  /* The frame itself rather than a local's address: with ASan's
   * use-after-return detection, locals live on a "fake stack" elsewhere. */
  *(guintptr *) data = (guintptr) __builtin_frame_address (0);
}

static void
test_finish (void)
{
  guintptr address = 0;
  AgenFiber *fiber = agen_fiber_new (record_stack_address_func, &address, 0, NULL);
  guint mapped;
  AgenStack *stack;

  agen_fiber_resume (fiber);
  g_assert_true (agen_fiber_is_finished (fiber));
  g_assert_cmpuint (address, !=, 0);

  /* The stack already went back to the pool: the next default-size stack
   * is that one, and taking it maps nothing. The fiber struct is still
   * there to ask. */
  mapped = agen_stack_get_mapped_count ();
  stack = acquire_stack (0);
  g_assert_cmpuint (agen_stack_get_mapped_count (), ==, mapped);
  g_assert_cmpuint (address, >=, (guintptr) stack->base);
  g_assert_cmpuint (address, <, (guintptr) stack->base + stack->size);
  agen_stack_release (stack);

  g_assert_true (agen_fiber_is_started (fiber));
  g_assert_true (agen_fiber_is_finished (fiber));
  agen_fiber_free (fiber);
}

/* ------------------------------------------------------------------------
 * Nesting: A resumes B, B suspends back into A, B later resumed from the
 * thread's stack
 */

typedef struct
{
  AgenFiber *a;
  AgenFiber *b;
  GString   *log;
} Nested;

static void
nested_b_func (gpointer data)
{
  Nested *nested = data;

  g_assert_true (agen_fiber_get_current () == nested->b);
  g_string_append (nested->log, "b1 ");
  agen_fiber_suspend ();

  /* Resumed from the thread's stack this time. */
  g_assert_true (agen_fiber_get_current () == nested->b);
  g_string_append (nested->log, "b2 ");
}

static void
nested_a_func (gpointer data)
{
  Nested *nested = data;

  g_string_append (nested->log, "a1 ");
  agen_fiber_resume (nested->b);

  /* B suspended: back in A, not on the thread's stack. */
  g_assert_true (agen_fiber_get_current () == nested->a);
  g_assert_false (agen_fiber_is_finished (nested->b));
  g_string_append (nested->log, "a2 ");
  agen_fiber_suspend ();

  g_string_append (nested->log, "a3 ");
}

static void
test_nested (void)
{
  Nested nested;

  nested.log = g_string_new (NULL);
  nested.a = agen_fiber_new (nested_a_func, &nested, 0, "a");
  nested.b = agen_fiber_new (nested_b_func, &nested, 0, "b");

  agen_fiber_resume (nested.a);
  g_assert_null (agen_fiber_get_current ());
  g_assert_cmpstr (nested.log->str, ==, "a1 b1 a2 ");

  agen_fiber_resume (nested.b);
  g_assert_null (agen_fiber_get_current ());
  g_assert_true (agen_fiber_is_finished (nested.b));
  g_assert_false (agen_fiber_is_finished (nested.a));

  agen_fiber_resume (nested.a);
  g_assert_true (agen_fiber_is_finished (nested.a));
  g_assert_cmpstr (nested.log->str, ==, "a1 b1 a2 b2 a3 ");

  agen_fiber_free (nested.a);
  agen_fiber_free (nested.b);
  g_string_free (nested.log, TRUE);
}

/* A chain three deep, unwinding one level at a time. */

typedef struct
{
  AgenFiber *fibers[3];
  int        depth_reached;
} Chain;

static void
chain_func (gpointer data)
{
  Chain *chain = data;
  AgenFiber *self = agen_fiber_get_current ();
  int level = 0;

  while (chain->fibers[level] != self)
    level++;

  chain->depth_reached = MAX (chain->depth_reached, level);
  if (level + 1 < (int) G_N_ELEMENTS (chain->fibers))
    {
      agen_fiber_resume (chain->fibers[level + 1]);
      g_assert_true (agen_fiber_get_current () == self);
      g_assert_true (agen_fiber_is_finished (chain->fibers[level + 1]));
    }
}

/* agen_fiber_call_on_thread_stack(): from the inner fiber of a chain, the
 * function runs on the thread's stack (outside both fiber stacks), sees no
 * current fiber, may resume an unrelated fiber, and control comes back to
 * the caller, with the chain intact. */
typedef struct
{
  AgenFiber *outer;
  AgenFiber *inner;
  AgenFiber *other;
  guintptr   called_at;
  AgenFiber *current_in_call;
  GString   *log;
} ThreadCall;

static void
thread_call_other_func (gpointer data)
{
  ThreadCall *tc = data;

  g_string_append (tc->log, "other ");
}

static void
thread_call_func (gpointer data)
{
  ThreadCall *tc = data;
  volatile int marker = 0;

  tc->called_at = (guintptr) &marker;
  tc->current_in_call = agen_fiber_get_current ();
  g_string_append (tc->log, "call ");
  agen_fiber_resume (tc->other);
}

static void
thread_call_inner_func (gpointer data)
{
  ThreadCall *tc = data;

  g_string_append (tc->log, "inner1 ");
  agen_fiber_call_on_thread_stack (thread_call_func, tc);
  g_assert_true (agen_fiber_get_current () == tc->inner);
  g_string_append (tc->log, "inner2 ");
  agen_fiber_suspend ();
  g_string_append (tc->log, "inner3 ");
}

static void
thread_call_outer_func (gpointer data)
{
  ThreadCall *tc = data;

  agen_fiber_resume (tc->inner);
  g_assert_true (agen_fiber_get_current () == tc->outer);
  g_string_append (tc->log, "outer ");
  agen_fiber_resume (tc->inner);
}

static void
test_call_on_thread_stack (void)
{
  ThreadCall tc = { NULL, };
  volatile int here = 0;
  guintptr thread_sp = (guintptr) &here;

  tc.log = g_string_new (NULL);
  tc.outer = agen_fiber_new (thread_call_outer_func, &tc, 0, "outer");
  tc.inner = agen_fiber_new (thread_call_inner_func, &tc, 0, "inner");
  tc.other = agen_fiber_new (thread_call_other_func, &tc, 0, "other");

  agen_fiber_resume (tc.outer);

  g_assert_cmpstr (tc.log->str, ==, "inner1 call other inner2 outer inner3 ");
  g_assert_null (tc.current_in_call);
  /* Within a few KiB of this frame, far from any 256 KiB fiber stack. */
  g_assert_cmpuint (thread_sp > tc.called_at ? thread_sp - tc.called_at : tc.called_at - thread_sp, <, 64 * 1024);
  g_assert_true (agen_fiber_is_finished (tc.outer));
  g_assert_true (agen_fiber_is_finished (tc.inner));
  g_assert_true (agen_fiber_is_finished (tc.other));

  /* From the thread's stack it is a plain call. */
  agen_fiber_free (tc.other);
  tc.other = agen_fiber_new (thread_call_other_func, &tc, 0, "other");
  agen_fiber_call_on_thread_stack (thread_call_func, &tc);
  g_assert_cmpstr (tc.log->str, ==, "inner1 call other inner2 outer inner3 call other ");

  agen_fiber_free (tc.outer);
  agen_fiber_free (tc.inner);
  agen_fiber_free (tc.other);
  g_string_free (tc.log, TRUE);
}

static void
test_nested_chain (void)
{
  Chain chain = { { NULL, }, -1 };

  for (guint i = 0; i < G_N_ELEMENTS (chain.fibers); i++)
    chain.fibers[i] = agen_fiber_new (chain_func, &chain, 0, NULL);

  agen_fiber_resume (chain.fibers[0]);
  g_assert_cmpint (chain.depth_reached, ==, 2);

  for (guint i = 0; i < G_N_ELEMENTS (chain.fibers); i++)
    {
      g_assert_true (agen_fiber_is_finished (chain.fibers[i]));
      agen_fiber_free (chain.fibers[i]);
    }
}

/* ------------------------------------------------------------------------
 * Freeing a suspended fiber runs nothing more of it
 */

static void
count_twice_func (gpointer data)
{
  int *count = data;

  (*count)++;
  agen_fiber_suspend ();
  (*count)++;
}

static void
test_free_suspended (void)
{
  int count = 0;
  AgenFiber *fiber = agen_fiber_new (count_twice_func, &count, 0, NULL);
  guint mapped;
  AgenStack *stack;

  agen_fiber_resume (fiber);
  g_assert_cmpint (count, ==, 1);
  g_assert_true (agen_fiber_is_started (fiber));
  g_assert_false (agen_fiber_is_finished (fiber));

  agen_fiber_free (fiber);
  g_assert_cmpint (count, ==, 1);

  /* Its stack is reusable right away. */
  mapped = agen_stack_get_mapped_count ();
  stack = acquire_stack (0);
  g_assert_cmpuint (agen_stack_get_mapped_count (), ==, mapped);
  agen_stack_release (stack);

  /* Never started: the function never runs at all. */
  fiber = agen_fiber_new (count_twice_func, &count, 0, NULL);
  agen_fiber_free (fiber);
  g_assert_cmpint (count, ==, 1);
}

/* ------------------------------------------------------------------------
 * The stack pool
 */

/* Fibers created and finished to show the steady state. ThreadSanitizer
 * creates and destroys a thread state with each fiber, several
 * milliseconds here: 10,000 of them took test-fiber past its timeout on a
 * loaded machine, and a thousand show the same. */
#ifdef AGEN_TSAN
# define N_STEADY 1000
#else
# define N_STEADY 10000
#endif

static void
nothing_func (gpointer data)
{
  (*(guint *) data)++;
}

static void
test_pool_reuse (void)
{
  gsize page_size = (gsize) sysconf (_SC_PAGESIZE);
  AgenStack *first;
  AgenStack *second;
  AgenStack *other;
  guint8 *base;
  guint mapped;
  guint runs = 0;

  /* Sizes are whole pages; 0 means the default. */
  first = acquire_stack (0);
  g_assert_cmpuint (first->size, ==, AGEN_FIBER_DEFAULT_STACK_SIZE);
  g_assert_cmpuint (first->mapping_size, >=, first->size + page_size);
  g_assert_true (agen_stack_is_guard_hit (first, first->base - 1));
  g_assert_true (agen_stack_is_guard_hit (first, first->mapping));
  /* Large enough for a frame with a 64 KiB buffer and then some */
  g_assert_cmpuint (first->base - first->mapping, >=, 64 * 1024 + page_size);
  g_assert_true (agen_stack_is_guard_hit (first, first->base - 64 * 1024 - page_size));
  g_assert_false (agen_stack_is_guard_hit (first, first->base));
  g_assert_false (agen_stack_is_guard_hit (first, first->base + first->size - 1));
  agen_stack_release (first);

  other = acquire_stack (100000);
  g_assert_cmpuint (other->size % page_size, ==, 0);
  g_assert_cmpuint (other->size, >=, 100000);
  g_assert_cmpuint (other->size, <, 100000 + page_size);

  /* The same size gets the same mapping back, without mapping anything;
   * another size does not get it. */
  first = acquire_stack (0);
  base = first->base;
  agen_stack_release (first);
  mapped = agen_stack_get_mapped_count ();
  second = acquire_stack (AGEN_FIBER_DEFAULT_STACK_SIZE);
  g_assert_true (second->base == base);
  g_assert_cmpuint (agen_stack_get_mapped_count (), ==, mapped);
  agen_stack_release (second);

  agen_stack_release (other);
  other = acquire_stack (100000);
  g_assert_true (other->base != base);
  agen_stack_release (other);

  /* Steady state: create and finish N_STEADY fibers, no new mapping. */
  agen_fiber_free (agen_fiber_new (nothing_func, &runs, 0, NULL));
  mapped = agen_stack_get_mapped_count ();
  for (guint i = 0; i < N_STEADY; i++)
    {
      AgenFiber *fiber = agen_fiber_new (nothing_func, &runs, 0, NULL);

      agen_fiber_resume (fiber);
      g_assert_true (agen_fiber_is_finished (fiber));
      agen_fiber_free (fiber);
    }
  g_assert_cmpuint (runs, ==, N_STEADY);
  g_assert_cmpuint (agen_stack_get_mapped_count (), ==, mapped);

  /* Trimming unmaps the pool; the next stack is a new mapping. */
  agen_stack_pool_trim ();
  first = acquire_stack (0);
  g_assert_cmpuint (agen_stack_get_mapped_count (), ==, mapped + 1);
  agen_stack_release (first);
}

static void
test_pool_bound (void)
{
  AgenStack *stacks[24];
  guint kept;

  agen_stack_pool_trim ();

  for (guint i = 0; i < G_N_ELEMENTS (stacks); i++)
    stacks[i] = acquire_stack (0);
  for (guint i = 0; i < G_N_ELEMENTS (stacks); i++)
    agen_stack_release (stacks[i]);

  /* Only a bounded number stay in this thread's pool; the rest went back
   * to their slab. */
  kept = agen_stack_pool_count (0);
  g_assert_cmpuint (kept, >, 0);
  g_assert_cmpuint (kept, <, G_N_ELEMENTS (stacks));
  g_test_message ("%u default-size stacks kept in the pool", kept);

  agen_stack_pool_trim ();
  g_assert_cmpuint (agen_stack_pool_count (0), ==, 0);
}

static guint
count_mappings (void)
{
  g_autofree char *maps = NULL;
  guint lines = 0;

  g_assert_true (g_file_get_contents ("/proc/self/maps", &maps, NULL, NULL));
  for (const char *p = maps; *p != '\0'; p++)
    if (*p == '\n')
      lines++;

  return lines;
}

/* Stacks come in slabs: with MADV_GUARD_INSTALL a slab is one mapping
 * however many guarded stacks it holds, and a slab whose stacks all came
 * back is unmapped. */
static void
test_slab_mappings (void)
{
  AgenStack *stacks[1000];
  gboolean count = TRUE;
  guint before;
  guint during;

  /* Valgrind shows its own view of the mappings, and sanitizers map
   * memory of their own as the test goes: count only in a plain run. */
#ifdef HAVE_VALGRIND
  if (RUNNING_ON_VALGRIND)
    count = FALSE;
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(AGEN_TSAN)
  count = FALSE;
#endif

  agen_stack_pool_trim ();
  before = count_mappings ();

  for (guint i = 0; i < G_N_ELEMENTS (stacks); i++)
    stacks[i] = acquire_stack (0);
  during = count_mappings ();

  if (!count)
    g_test_message ("not counting mappings under Valgrind or a sanitizer");
  else if (agen_stack_has_guard_install ())
    g_assert_cmpuint (during - before, <=, G_N_ELEMENTS (stacks) / 32 + 2);
  else
    g_test_message ("MADV_GUARD_INSTALL unsupported: %u mappings for %u stacks",
                    during - before, (guint) G_N_ELEMENTS (stacks));

  /* Every stack works and its guard is where it should be. */
  for (guint i = 0; i < G_N_ELEMENTS (stacks); i++)
    {
      stacks[i]->base[0] = 1;
      stacks[i]->base[stacks[i]->size - 1] = 1;
      g_assert_true (agen_stack_is_guard_hit (stacks[i], stacks[i]->base - 1));
    }

  for (guint i = 0; i < G_N_ELEMENTS (stacks); i++)
    agen_stack_release (stacks[i]);
  agen_stack_pool_trim ();

  if (count)
    g_assert_cmpuint (count_mappings (), <=, before);
}

/* ------------------------------------------------------------------------
 * Many fibers suspended at once
 */

/* ThreadSanitizer gives each fiber a full thread state of its own (about a
 * megabyte, eagerly mapped), so 10,000 of them at once exhaust memory
 * there; a thousand still checks the annotations. */
#ifdef AGEN_TSAN
# define N_MANY 1000
#else
# define N_MANY 10000
#endif

static void
many_func (gpointer data)
{
  guint *slot = data;

  *slot = 1;
  agen_fiber_suspend ();
  *slot = 2;
}

static void
test_many (void)
{
  AgenFiber **fibers = g_new0 (AgenFiber *, N_MANY);
  guint *slots = g_new0 (guint, N_MANY);

  for (guint i = 0; i < N_MANY; i++)
    {
      fibers[i] = agen_fiber_new (many_func, &slots[i], 0, NULL);
      agen_fiber_resume (fibers[i]);
      g_assert_cmpuint (slots[i], ==, 1);
    }

  /* All N_MANY are suspended now; finish them in the other order. */
  for (guint i = N_MANY; i > 0; i--)
    {
      agen_fiber_resume (fibers[i - 1]);
      g_assert_cmpuint (slots[i - 1], ==, 2);
      g_assert_true (agen_fiber_is_finished (fibers[i - 1]));
      agen_fiber_free (fibers[i - 1]);
    }

  g_free (slots);
  g_free (fibers);
}

/* ------------------------------------------------------------------------
 * Deep stacks: most of the stack is usable, running off it is reported
 */

#define FRAME_SIZE 1024

/* Recurses with FRAME_SIZE-byte frames, each written all over, until the
 * frames reach target bytes below top; returns the lowest frame's address
 * (as an integer: it is not for dereferencing).
 * Measuring in bytes rather than frames keeps this right when sanitizers
 * make frames bigger. */
static G_GNUC_NO_INLINE guintptr
recurse (guint8 *top,
         gsize   target)
{
  volatile guint8 frame[FRAME_SIZE];
  guintptr lowest;

  for (guint i = 0; i < sizeof frame; i++)
    frame[i] = (guint8) i;

  /* Frame addresses, not the array's: with ASan's use-after-return
   * detection, arrays live on a "fake stack" elsewhere. */
  if ((gsize) (top - (guint8 *) __builtin_frame_address (0)) >= target)
    return (guintptr) __builtin_frame_address (0);

  /* Not a tail call: the frame must stay live across the recursion. */
  lowest = recurse (top, target);
  frame[0] = frame[1];

  return lowest;
}

typedef struct
{
  gsize  target;
  gsize  used;
} DeepStack;

static void
deep_stack_func (gpointer data)
{
  DeepStack *deep = data;
  guint8 *top = __builtin_frame_address (0);
  guintptr lowest;

  lowest = recurse (top, deep->target);
  deep->used = (gsize) ((guintptr) top - lowest);
}

static void
test_deep_stack (void)
{
  /* ~200 KiB of a 256 KiB stack. */
  DeepStack deep = { 200 * 1024, 0 };
  AgenFiber *fiber = agen_fiber_new (deep_stack_func, &deep, 0, "deep");

  agen_fiber_resume (fiber);
  g_assert_true (agen_fiber_is_finished (fiber));
  g_assert_cmpuint (deep.used, >=, 200 * 1024);
  g_assert_cmpuint (deep.used, <, AGEN_FIBER_DEFAULT_STACK_SIZE);
  agen_fiber_free (fiber);
}

static void
overflow_func (gpointer data)
{
  /* Deeper than any stack: only the guard page stops it. */
  recurse (__builtin_frame_address (0), G_MAXSIZE);
}

/* The trapped children crash on purpose; no point in core dumps. */
static void
disable_core_dumps (void)
{
  struct rlimit limit = { 0, 0 };

  setrlimit (RLIMIT_CORE, &limit);
}

/* The trapped child runs natively even under Valgrind (it does not follow
 * children by default), so the overflow handling itself is not what gets
 * in the way there. But g_test_trap_subprocess() watches the child from a
 * GLib worker thread that is never joined, which memcheck reports as a
 * "possibly lost" thread block and counts as an error. Nothing of the
 * fiber code is checked by running these under Valgrind, so skip them. */
static gboolean
skip_trap_under_valgrind (void)
{
#ifdef HAVE_VALGRIND
  if (RUNNING_ON_VALGRIND)
    {
      g_test_skip ("g_test_trap_subprocess() leaks a GLib worker thread under Valgrind");
      return TRUE;
    }
#endif

  return FALSE;
}

static void
test_overflow_child (const char *label,
                     gboolean    relabel)
{
  AgenFiber *fiber;

  disable_core_dumps ();

  fiber = agen_fiber_new (overflow_func, NULL, 0, relabel ? "old-label" : label);
  if (relabel)
    agen_fiber_set_label (fiber, label);

  agen_fiber_resume (fiber);

  /* Not reached. */
  agen_fiber_free (fiber);
}

static void
test_overflow (void)
{
  if (skip_trap_under_valgrind ())
    return;

  if (g_test_subprocess ())
    {
      test_overflow_child ("my-label", FALSE);
      return;
    }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*agen: generator 'my-label' overflowed its 262144-byte stack; aborting*");
}

static void
test_overflow_relabelled (void)
{
  if (skip_trap_under_valgrind ())
    return;

  if (g_test_subprocess ())
    {
      test_overflow_child ("new-label", TRUE);
      return;
    }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*agen: generator 'new-label' overflowed its 262144-byte stack; aborting*");
  g_test_trap_assert_stderr_unmatched ("*old-label*");
}

static void
test_overflow_unnamed (void)
{
  if (skip_trap_under_valgrind ())
    return;

  if (g_test_subprocess ())
    {
      test_overflow_child (NULL, FALSE);
      return;
    }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*agen: an unnamed generator overflowed its 262144-byte stack; aborting*");
}

/* Suspending at every level of the recursion: the overflow may then come
 * from any frame, including the ones the switch itself pushes, and must be
 * reported all the same. */
static G_GNUC_NO_INLINE void
recurse_suspending (guint depth)
{
  volatile guint8 frame[48];

  for (guint i = 0; i < sizeof frame; i++)
    frame[i] = (guint8) (depth + i);

  agen_fiber_suspend ();
  if (depth < G_MAXUINT)
    recurse_suspending (depth + 1);
  frame[0] = frame[1];
}

static void
overflow_suspending_func (gpointer data)
{
  recurse_suspending (0);
}

static void
test_overflow_suspending (void)
{
  if (skip_trap_under_valgrind ())
    return;

  if (g_test_subprocess ())
    {
      AgenFiber *fiber;

      disable_core_dumps ();
      fiber = agen_fiber_new (overflow_suspending_func, NULL, 65536, "suspender");
      while (!agen_fiber_is_finished (fiber))
        agen_fiber_resume (fiber);

      /* Not reached. */
      agen_fiber_free (fiber);
      return;
    }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*agen: generator 'suspender' overflowed its 65536-byte stack; aborting*");
}

/* A fiber overflowing while nested inside another is reported under its
 * own name. */
static void
overflow_inner_func (gpointer data)
{
  recurse (__builtin_frame_address (0), G_MAXSIZE);
}

static void
overflow_outer_func (gpointer data)
{
  AgenFiber *inner = agen_fiber_new (overflow_inner_func, NULL, 0, "inner");

  agen_fiber_resume (inner);
  agen_fiber_free (inner);
}

static void
test_overflow_nested (void)
{
  if (skip_trap_under_valgrind ())
    return;

  if (g_test_subprocess ())
    {
      AgenFiber *fiber;

      disable_core_dumps ();
      fiber = agen_fiber_new (overflow_outer_func, NULL, 0, "outer");
      agen_fiber_resume (fiber);

      /* Not reached. */
      agen_fiber_free (fiber);
      return;
    }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*agen: generator 'inner' overflowed its 262144-byte stack; aborting*");
  g_test_trap_assert_stderr_unmatched ("*outer*");
}

/* A crash that is not a fiber overflow still crashes as before: the
 * handler passes it on to the previous handler or the default action. */
static void
bad_access_func (gpointer data)
{
  volatile int *pointer = data;

  *pointer = 42;
}

static void
test_other_fault (void)
{
  if (skip_trap_under_valgrind ())
    return;

  if (g_test_subprocess ())
    {
      AgenFiber *fiber;
      /* Inaccessible, but not a guard page. */
      void *page = mmap (NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

      g_assert_true (page != MAP_FAILED);
      disable_core_dumps ();
      fiber = agen_fiber_new (bad_access_func, page, 0, "not-an-overflow");
      agen_fiber_resume (fiber);
      agen_fiber_free (fiber);
      return;
    }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr_unmatched ("*overflowed*");
}

/* A SIGSEGV handler installed before the first fiber still gets the
 * faults that are not overflows. */
static void
previous_segv_handler (int        signum,
                       siginfo_t *info,
                       void      *ucontext)
{
  static const char message[] = "previous handler called\n";

  if (write (STDERR_FILENO, message, sizeof message - 1) < 0)
    _exit (4);
  _exit (3);
}

static void
test_other_fault_chained (void)
{
  if (skip_trap_under_valgrind ())
    return;

  if (g_test_subprocess ())
    {
      struct sigaction action;
      AgenFiber *fiber;
      void *page = mmap (NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

      g_assert_true (page != MAP_FAILED);
      memset (&action, 0, sizeof action);
      action.sa_sigaction = previous_segv_handler;
      action.sa_flags = SA_SIGINFO | SA_ONSTACK;
      sigemptyset (&action.sa_mask);
      sigaction (SIGSEGV, &action, NULL);

      fiber = agen_fiber_new (bad_access_func, page, 0, "not-an-overflow");
      agen_fiber_resume (fiber);
      agen_fiber_free (fiber);
      return;
    }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*previous handler called*");
  g_test_trap_assert_stderr_unmatched ("*overflowed*");
}

/* ------------------------------------------------------------------------
 * The floating-point control state belongs to each side of a switch
 */

#if defined(__x86_64__)
static guint32
get_float_control (void)
{
  guint32 mxcsr;

  __asm__ volatile ("stmxcsr %0" : "=m" (mxcsr));
  return mxcsr;
}

static void
set_float_control (guint32 mxcsr)
{
  __asm__ volatile ("ldmxcsr %0" : : "m" (mxcsr));
}

/* Rounding control: bits 13-14; 3 is round toward zero. */
# define FLOAT_ROUNDING_MASK   (3u << 13)
# define FLOAT_ROUND_TO_ZERO   (3u << 13)
# define HAVE_FLOAT_CONTROL 1
#elif defined(__aarch64__)
static guint32
get_float_control (void)
{
  guint64 fpcr;

  __asm__ volatile ("mrs %0, fpcr" : "=r" (fpcr));
  return (guint32) fpcr;
}

static void
set_float_control (guint32 value)
{
  guint64 fpcr = value;

  __asm__ volatile ("msr fpcr, %0" : : "r" (fpcr));
}

/* RMode: bits 22-23; 3 is round toward zero. */
# define FLOAT_ROUNDING_MASK   (3u << 22)
# define FLOAT_ROUND_TO_ZERO   (3u << 22)
# define HAVE_FLOAT_CONTROL 1
#endif

#ifdef HAVE_FLOAT_CONTROL
static void
float_env_func (gpointer data)
{
  guint32 *seen = data;

  set_float_control ((get_float_control () & ~FLOAT_ROUNDING_MASK) | FLOAT_ROUND_TO_ZERO);
  agen_fiber_suspend ();

  /* The resumer's setting did not leak in either. */
  *seen = get_float_control () & FLOAT_ROUNDING_MASK;
}

static void
test_float_env (void)
{
  guint32 saved = get_float_control ();
  guint32 seen = 0;
  AgenFiber *fiber = agen_fiber_new (float_env_func, &seen, 0, NULL);

  g_assert_cmpuint (saved & FLOAT_ROUNDING_MASK, !=, FLOAT_ROUND_TO_ZERO);

  agen_fiber_resume (fiber);
  g_assert_cmpuint (get_float_control (), ==, saved);

  agen_fiber_resume (fiber);
  g_assert_cmpuint (seen, ==, FLOAT_ROUND_TO_ZERO);
  g_assert_cmpuint (get_float_control (), ==, saved);

  agen_fiber_free (fiber);
}
#endif

/* ------------------------------------------------------------------------
 * Threads: each runs its own fibers at the same time
 */

#define N_THREAD_FIBERS 64
#define N_THREAD_ROUNDS 200

typedef struct
{
  guint     id;
  guint64   sum;
} ThreadFiberState;

static void
thread_fiber_func (gpointer data)
{
  ThreadFiberState *state = data;

  for (guint i = 0; i < N_THREAD_ROUNDS; i++)
    {
      state->sum += state->id * 1000 + i;
      agen_fiber_suspend ();
    }
}

static gpointer
fiber_thread_func (gpointer data)
{
  guint thread_id = GPOINTER_TO_UINT (data);
  AgenFiber *fibers[N_THREAD_FIBERS];
  ThreadFiberState states[N_THREAD_FIBERS];
  gboolean all_finished = FALSE;

  g_assert_null (agen_fiber_get_current ());

  for (guint i = 0; i < N_THREAD_FIBERS; i++)
    {
      char *label = g_strdup_printf ("thread-%u-fiber-%u", thread_id, i);

      states[i].id = thread_id * N_THREAD_FIBERS + i;
      states[i].sum = 0;
      fibers[i] = agen_fiber_new (thread_fiber_func, &states[i], 0, label);
      g_free (label);
    }

  /* Round-robin until everything finished. */
  while (!all_finished)
    {
      all_finished = TRUE;
      for (guint i = 0; i < N_THREAD_FIBERS; i++)
        {
          if (agen_fiber_is_finished (fibers[i]))
            continue;
          agen_fiber_resume (fibers[i]);
          g_assert_null (agen_fiber_get_current ());
          all_finished = FALSE;
        }
    }

  for (guint i = 0; i < N_THREAD_FIBERS; i++)
    {
      guint64 expected = (guint64) states[i].id * 1000 * N_THREAD_ROUNDS +
                         (guint64) N_THREAD_ROUNDS * (N_THREAD_ROUNDS - 1) / 2;

      g_assert_cmpuint (states[i].sum, ==, expected);
      agen_fiber_free (fibers[i]);
    }

  return NULL;
}

static void
test_threads (void)
{
  GThread *threads[2];

  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    threads[i] = g_thread_new ("fiber-thread", fiber_thread_func, GUINT_TO_POINTER (i));

  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    g_thread_join (threads[i]);
}

/* A fiber started on one thread, suspended, then resumed and freed on
 * another: nothing in the fiber layer is tied to the thread. */

typedef struct
{
  AgenFiber *fiber;
  GThread   *first_thread;
  GThread   *second_thread;
} Migrate;

static void
migrate_func (gpointer data)
{
  Migrate *migrate = data;

  migrate->first_thread = g_thread_self ();
  agen_fiber_suspend ();
  migrate->second_thread = g_thread_self ();
  g_assert_true (agen_fiber_get_current () == migrate->fiber);
}

static gpointer
migrate_thread_func (gpointer data)
{
  Migrate *migrate = data;

  agen_fiber_resume (migrate->fiber);
  g_assert_true (agen_fiber_is_finished (migrate->fiber));
  g_assert_null (agen_fiber_get_current ());

  /* The stack lands in this thread's pool, unmapped when it exits. */
  agen_fiber_free (migrate->fiber);
  migrate->fiber = NULL;

  return NULL;
}

static void
test_migrate (void)
{
  Migrate migrate = { NULL, NULL, NULL };
  GThread *thread;

  migrate.fiber = agen_fiber_new (migrate_func, &migrate, 0, "migrant");
  agen_fiber_resume (migrate.fiber);
  g_assert_true (migrate.first_thread == g_thread_self ());

  thread = g_thread_new ("migrate", migrate_thread_func, &migrate);
  g_thread_join (thread);

  g_assert_null (migrate.fiber);
  g_assert_nonnull (migrate.second_thread);
  g_assert_true (migrate.second_thread != migrate.first_thread);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Agen/Fiber/resume-suspend", test_resume_suspend);
  g_test_add_func ("/Agen/Fiber/alignment", test_alignment);
  g_test_add_func ("/Agen/Fiber/finish", test_finish);
  g_test_add_func ("/Agen/Fiber/nested", test_nested);
  g_test_add_func ("/Agen/Fiber/nested-chain", test_nested_chain);
  g_test_add_func ("/Agen/Fiber/call-on-thread-stack", test_call_on_thread_stack);
  g_test_add_func ("/Agen/Fiber/free-suspended", test_free_suspended);
  g_test_add_func ("/Agen/Fiber/pool-reuse", test_pool_reuse);
  g_test_add_func ("/Agen/Fiber/pool-bound", test_pool_bound);
  g_test_add_func ("/Agen/Fiber/slab-mappings", test_slab_mappings);
  g_test_add_func ("/Agen/Fiber/many", test_many);
  g_test_add_func ("/Agen/Fiber/deep-stack", test_deep_stack);
  g_test_add_func ("/Agen/Fiber/overflow", test_overflow);
  g_test_add_func ("/Agen/Fiber/overflow-relabelled", test_overflow_relabelled);
  g_test_add_func ("/Agen/Fiber/overflow-unnamed", test_overflow_unnamed);
  g_test_add_func ("/Agen/Fiber/overflow-suspending", test_overflow_suspending);
  g_test_add_func ("/Agen/Fiber/overflow-nested", test_overflow_nested);
  g_test_add_func ("/Agen/Fiber/other-fault", test_other_fault);
  g_test_add_func ("/Agen/Fiber/other-fault-chained", test_other_fault_chained);
#ifdef HAVE_FLOAT_CONTROL
  g_test_add_func ("/Agen/Fiber/float-env", test_float_env);
#endif
  g_test_add_func ("/Agen/Fiber/threads", test_threads);
  g_test_add_func ("/Agen/Fiber/migrate", test_migrate);

  return g_test_run ();
}
