/* test-scale.c — many generators at once, generators dropped while
 * suspended (default finalizer), and stack overflow
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <unistd.h>

#include <agen.h>

#include "agen-stack-private.h"
#include "agen-test-util.h"

/* Many generators alive at once -------------------------------------------- */

#define N_GENERATORS 10000

typedef struct _Tally Tally;

typedef struct
{
  Tally         *tally;
  gint           index;
  guint          started;
  guint          cleanups;
  guint          destroyed;
  AgenGenerator *weak;
} Item;

struct _Tally
{
  gint  round;
  guint completed;
};

static void
item_destroy (gpointer user_data)
{
  Item *item = user_data;

  item->destroyed++;
}

/* Yields index, index + N, index + 2N, … until closed. */
static gboolean
item_body (AgenGenerator  *self,
           gpointer        user_data,
           GError        **error)
{
  Item *item = user_data;
  gint round;

  item->started++;

  for (round = 0; ; round++)
    {
      g_autoptr(GError) local = NULL;

      if (!agen_test_yield_int (self, item->index + round * N_GENERATORS, NULL, &local))
        {
          g_assert_error (local, AGEN_ERROR, AGEN_ERROR_EXIT);
          item->cleanups++;
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
    }
}

static void
item_next_cb (GObject      *source,
              GAsyncResult *res,
              gpointer      user_data)
{
  Item *item = user_data;
  g_autoptr(GError) error = NULL;
  g_auto(GValue) v = G_VALUE_INIT;

  g_assert_true (agen_generator_next_finish (AGEN_GENERATOR (source), res, &v, &error));
  g_assert_no_error (error);
  agen_test_assert_int (&v, item->index + item->tally->round * N_GENERATORS);
  item->tally->completed++;
}

static void
item_close_cb (GObject      *source,
               GAsyncResult *res,
               gpointer      user_data)
{
  Item *item = user_data;
  g_autoptr(GError) error = NULL;

  g_assert_true (agen_generator_close_finish (AGEN_GENERATOR (source), res, &error));
  g_assert_no_error (error);
  item->tally->completed++;
}

static void
test_many_alive (void)
{
  Tally tally = { 0, 0 };
  Item *items = g_new0 (Item, N_GENERATORS);
  AgenGenerator **gens = g_new0 (AgenGenerator *, N_GENERATORS);
  guint i;

  g_test_summary ("10,000 generators alive at once: each started and "
                  "suspended at its first yield, then advanced once more, "
                  "then closed; every value right, every cleanup run and "
                  "every user_data destroyed exactly once");

  for (i = 0; i < N_GENERATORS; i++)
    {
      items[i].tally = &tally;
      items[i].index = (gint) i;
      gens[i] = agen_generator_new (item_body, &items[i], item_destroy);
      items[i].weak = gens[i];
      g_object_add_weak_pointer (G_OBJECT (gens[i]), (gpointer *) &items[i].weak);
    }

  /* Start every one: all are SUSPENDED at their first yield together */
  tally.round = 0;
  tally.completed = 0;
  for (i = 0; i < N_GENERATORS; i++)
    agen_generator_next_async (gens[i], NULL, item_next_cb, &items[i]);
  agen_test_spin_until_count (&tally.completed, N_GENERATORS, 60000);
  for (i = 0; i < N_GENERATORS; i++)
    {
      g_assert_cmpuint (items[i].started, ==, 1);
      g_assert_cmpint (agen_generator_get_state (gens[i]), ==, AGEN_GENERATOR_STATE_SUSPENDED);
    }

  /* Advance every one once more */
  tally.round = 1;
  tally.completed = 0;
  for (i = 0; i < N_GENERATORS; i++)
    agen_generator_next_async (gens[i], NULL, item_next_cb, &items[i]);
  agen_test_spin_until_count (&tally.completed, N_GENERATORS, 60000);
  for (i = 0; i < N_GENERATORS; i++)
    {
      g_assert_cmpint (agen_generator_get_state (gens[i]), ==, AGEN_GENERATOR_STATE_SUSPENDED);
      g_assert_cmpuint (items[i].destroyed, ==, 0);
    }

  /* Close them all */
  tally.completed = 0;
  for (i = 0; i < N_GENERATORS; i++)
    agen_generator_close_async (gens[i], NULL, item_close_cb, &items[i]);
  agen_test_spin_until_count (&tally.completed, N_GENERATORS, 60000);
  for (i = 0; i < N_GENERATORS; i++)
    {
      g_assert_cmpint (agen_generator_get_state (gens[i]), ==, AGEN_GENERATOR_STATE_CLOSED);
      g_assert_cmpuint (items[i].cleanups, ==, 1);
      g_assert_cmpuint (items[i].destroyed, ==, 1);
    }

  for (i = 0; i < N_GENERATORS; i++)
    g_object_unref (gens[i]);
  for (i = 0; i < N_GENERATORS; i++)
    {
      gint64 deadline = g_get_monotonic_time () + G_USEC_PER_SEC;

      while (items[i].weak != NULL && g_get_monotonic_time () < deadline)
        g_main_context_iteration (NULL, FALSE);
      g_assert_null (items[i].weak);
      g_assert_cmpuint (items[i].destroyed, ==, 1);
    }

  g_free (gens);
  g_free (items);
}

static void
test_many_created_dropped (void)
{
  Item *items = g_new0 (Item, N_GENERATORS);
  guint i;

  g_test_summary ("10,000 generators created and dropped without starting: "
                  "each is destroyed, its body never runs, its user_data is "
                  "destroyed exactly once");

  for (i = 0; i < N_GENERATORS; i++)
    {
      AgenGenerator *gen = agen_generator_new (item_body, &items[i], item_destroy);

      items[i].weak = gen;
      g_object_add_weak_pointer (G_OBJECT (gen), (gpointer *) &items[i].weak);
      g_object_unref (gen);
    }

  for (i = 0; i < N_GENERATORS; i++)
    {
      gint64 deadline = g_get_monotonic_time () + G_USEC_PER_SEC;

      while (items[i].weak != NULL && g_get_monotonic_time () < deadline)
        g_main_context_iteration (NULL, FALSE);
      g_assert_null (items[i].weak);
      g_assert_cmpuint (items[i].started, ==, 0);
      g_assert_cmpuint (items[i].destroyed, ==, 1);
    }

  g_free (items);
}

/* Dropped while SUSPENDED: the default finalizer --------------------------- */

typedef struct
{
  guint          cleanups;
  guint          destroyed;
  guint          await_ms;
  gboolean       cleanup_done;
  GError        *cleanup_error;
  AgenGenerator *weak;
} DropData;

static void
drop_data_destroy (gpointer user_data)
{
  DropData *data = user_data;

  data->destroyed++;
}

static gboolean
drop_body (AgenGenerator  *self,
           gpointer        user_data,
           GError        **error)
{
  DropData *data = user_data;
  g_autoptr(GError) local = NULL;

  if (agen_test_yield_int (self, 1, NULL, &local))
    return TRUE;

  data->cleanups++;
  data->cleanup_error = g_error_copy (local);
  if (data->await_ms > 0 && !agen_test_sleep (self, data->await_ms, NULL, error))
    return FALSE;
  data->cleanup_done = TRUE;

  g_propagate_error (error, g_steal_pointer (&local));
  return FALSE;
}

static void
drop_suspended (DropData *data)
{
  AgenGenerator *gen;
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;

  gen = agen_generator_new (drop_body, data, drop_data_destroy);
  data->weak = gen;
  g_object_add_weak_pointer (G_OBJECT (gen), (gpointer *) &data->weak);

  g_assert_true (agen_test_next (gen, NULL, &r));
  agen_test_assert_yielded_int (&r, 1);
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_SUSPENDED);

  g_object_unref (gen);
}

/* Iterates until the dropped generator's cleanup ran and it is finalized,
 * or 5 s passed. */
static void
wait_until_gone (DropData *data)
{
  gint64 deadline;

  agen_test_spin_until (&data->cleanup_done, 5000);

  deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  while ((data->weak != NULL || data->destroyed == 0) &&
         g_get_monotonic_time () < deadline)
    {
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (1000);
    }
}

static void
test_drop_suspended_default_finalizer (void)
{
  DropData data = { 0, };

  g_test_summary ("a generator dropped (last unref) while SUSPENDED is closed "
                  "by the default finalizer on its owner context: its cleanup "
                  "runs once the context iterates, then it is finalized and "
                  "user_data_destroy runs once");

  drop_suspended (&data);

  /* Nothing runs inside the unref */
  g_assert_cmpuint (data.cleanups, ==, 0);
  g_assert_cmpuint (data.destroyed, ==, 0);

  wait_until_gone (&data);
  g_assert_cmpuint (data.cleanups, ==, 1);
  g_assert_error (data.cleanup_error, AGEN_ERROR, AGEN_ERROR_EXIT);
  g_assert_null (data.weak);
  g_assert_cmpuint (data.destroyed, ==, 1);
  g_clear_error (&data.cleanup_error);
}

static void
test_drop_suspended_cleanup_awaits (void)
{
  DropData data = { 0, };

  g_test_summary ("the default finalizer's close lets cleanup await: the "
                  "cleanup completes, then the generator is finalized and "
                  "user_data destroyed once");

  data.await_ms = 20;
  drop_suspended (&data);
  g_assert_cmpuint (data.cleanups, ==, 0);

  wait_until_gone (&data);
  g_assert_true (data.cleanup_done);
  g_assert_null (data.weak);
  g_assert_cmpuint (data.destroyed, ==, 1);
  g_clear_error (&data.cleanup_error);
}

#define N_DROPPED 1000

static void
test_many_dropped_suspended (void)
{
  DropData *data = g_new0 (DropData, N_DROPPED);
  guint i;

  g_test_summary ("1,000 generators dropped while SUSPENDED are all closed "
                  "by the default finalizer: every cleanup runs once, every "
                  "user_data destroyed once");

  for (i = 0; i < N_DROPPED; i++)
    drop_suspended (&data[i]);

  for (i = 0; i < N_DROPPED; i++)
    {
      wait_until_gone (&data[i]);
      g_assert_cmpuint (data[i].cleanups, ==, 1);
      g_assert_null (data[i].weak);
      g_assert_cmpuint (data[i].destroyed, ==, 1);
      g_clear_error (&data[i].cleanup_error);
    }

  g_free (data);
}

/* Stack overflow ----------------------------------------------------------- */

static G_GNUC_NO_INLINE guint
recurse (guint depth)
{
  volatile char frame[1024];
  guint below;

  frame[0] = (char) depth;
  if (depth == 0)
    return frame[0];

  below = recurse (depth - 1);
  /* Touch the frame after the call so that it stays live across it */
  frame[sizeof frame - 1] = (char) below;
  return below + (guint) frame[0] + (guint) frame[sizeof frame - 1];
}

static gboolean
deep_recursion_body (AgenGenerator  *self,
                     gpointer        user_data,
                     GError        **error)
{
  volatile guint result;

  /* 1 KiB per frame, far beyond a 64 KiB stack */
  result = recurse (1024 * 1024);
  return agen_test_yield_int (self, (gint) result, NULL, error);
}

static void
test_stack_overflow_names_generator (void)
{
  g_test_summary ("a body that recurses past its stack kills the process "
                  "with a message naming the generator");

  if (g_test_subprocess ())
    {
      g_autoptr(AgenGenerator) gen = NULL;
      g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;

      gen = agen_generator_new_full (deep_recursion_body, NULL, NULL,
                                     "deep-recursion", 64 * 1024);
      agen_test_next (gen, NULL, &r);
      /* Not reached */
      return;
    }

  g_test_trap_subprocess (NULL, 30 * G_USEC_PER_SEC, 0);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*deep-recursion*");
}

/* Frames larger than a page -------------------------------------------------
 *
 * Without -fstack-clash-protection (see tests/meson.build) a function
 * with a large frame moves the stack pointer past the whole frame at once
 * and touches its low end first. If the frame is larger than the guard
 * below the stack, that touch lands beyond the guard: in the stack below,
 * whose top holds a suspended neighbour's frames. The guard must be large
 * enough to catch such frames with the overflow message instead.
 *
 * The neighbour is created first so that its stack is the one right below
 * (a slab hands out its lowest free stack first; the subprocess starts
 * with no stacks of these sizes). Its body fills most of its stack with a
 * pattern, yields, and checks the pattern when resumed: a frame that
 * jumped the guard and landed in it shows up there. */

/* What the neighbour leaves of its stack for its own frames below the
 * pattern. */
#define NEIGHBOUR_RESERVE (16 * 1024)

static gboolean
neighbour_body (AgenGenerator  *self,
                gpointer        user_data,
                GError        **error)
{
  gsize pattern_size = GPOINTER_TO_SIZE (user_data);
  volatile guint8 pattern[pattern_size];

  for (gsize i = 0; i < pattern_size; i++)
    pattern[i] = (guint8) (i * 7 + 1);

  if (!agen_test_yield_int (self, 0, NULL, error))
    return FALSE;

  for (gsize i = 0; i < pattern_size; i++)
    if (pattern[i] != (guint8) (i * 7 + 1))
      g_error ("the suspended neighbour's stack was overwritten at %" G_GSIZE_FORMAT
               " bytes below its pattern's end", pattern_size - i);

  return agen_test_yield_int (self, 1, NULL, error);
}

/* Frames larger than their stacks, touched at their low end. */
static G_GNUC_NO_INLINE char
large_frame_64k (void)
{
  volatile char frame[64 * 1024];

  frame[0] = 1;
  return frame[0];
}

static G_GNUC_NO_INLINE char
large_frame_320k (void)
{
  volatile char frame[320 * 1024];

  frame[0] = 1;
  return frame[0];
}

static gboolean
large_frame_body (AgenGenerator  *self,
                  gpointer        user_data,
                  GError        **error)
{
  char (*large_frame) (void) = (char (*) (void)) user_data;

  if (large_frame () != 1)
    g_assert_not_reached ();
  return agen_test_yield_int (self, 2, NULL, error);
}

/* A stack of stack_size runs large_frame, whose frame ends about
 * stack_size - frame_size bytes below the stack, in what the guard must
 * cover. */
static void
run_large_frame (gsize   stack_size,
                 char  (*large_frame) (void))
{
  if (g_test_subprocess ())
    {
      g_autoptr(AgenGenerator) neighbour = NULL;
      g_autoptr(AgenGenerator) gen = NULL;
      g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;

      neighbour = agen_generator_new_full (neighbour_body,
                                           GSIZE_TO_POINTER (stack_size - NEIGHBOUR_RESERVE),
                                           NULL, "neighbour", stack_size);
      gen = agen_generator_new_full (large_frame_body, (gpointer) large_frame, NULL,
                                     "large-frame", stack_size);

      g_assert_true (agen_test_next (neighbour, NULL, &r));
      agen_test_assert_yielded_int (&r, 0);

      /* Overflows: not expected to come back */
      agen_test_next (gen, NULL, &r);

      /* The frame jumped the guard. Whether or not the write hit the
       * neighbour, this is a failure. */
      g_assert_true (agen_test_next (neighbour, NULL, &r));
      agen_test_assert_yielded_int (&r, 1);
      g_error ("the large frame was not caught by the guard");
    }

  g_test_trap_subprocess (NULL, 30 * G_USEC_PER_SEC, 0);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr_unmatched ("*neighbour's stack was overwritten*");
  g_test_trap_assert_stderr_unmatched ("*not caught by the guard*");
  {
    g_autofree char *message =
      g_strdup_printf ("*agen: generator 'large-frame' overflowed its %" G_GSIZE_FORMAT
                       "-byte stack; aborting*", stack_size);

    g_test_trap_assert_stderr (message);
  }
}

static void
test_large_frame_64k (void)
{
  g_test_summary ("a 64 KiB frame that overflows a stack by 8 KiB is caught by "
                  "the guard, with the overflow message, before it reaches the "
                  "suspended neighbour's stack");

  /* The frame's low end lands about 8 KiB below the stack */
  run_large_frame (56 * 1024, large_frame_64k);
}

static void
test_large_frame_320k (void)
{
  g_test_summary ("a 320 KiB frame that overflows a default-size stack by "
                  "64 KiB is caught by the guard, with the overflow message, "
                  "before it reaches the suspended neighbour's stack");

  run_large_frame (AGEN_GENERATOR_DEFAULT_STACK_SIZE, large_frame_320k);
}

/* AddressSanitizer's shadow of freed stacks -------------------------------
 *
 * ASan keeps one shadow byte per 8 bytes of memory, 32 KiB for a default
 * stack. Frames poison parts of it, and a stack given back must have it
 * all unpoisoned; unpoisoning by writing zeros keeps every page of it
 * resident even after the stack's own pages went back to the kernel.
 * Generators that were alive at once have distinct stacks: once they are
 * all gone, their shadow must be gone too. */

#if defined(__SANITIZE_ADDRESS__)
# define TEST_ASAN 1
#elif defined(__has_feature)
# if __has_feature(address_sanitizer)
#  define TEST_ASAN 1
# endif
#endif

#ifdef TEST_ASAN

#define SHADOW_GENERATORS 1024

/* Recursion depth: about 48 KiB of frames, redzones and all */
#define SHADOW_DEPTH 48

static gboolean
shadow_body (AgenGenerator  *self,
             gpointer        user_data,
             GError        **error)
{
  volatile guint result = recurse (SHADOW_DEPTH);

  return agen_test_yield_int (self, (gint) (result & 1), NULL, error);
}

/* Resident bytes of the process, shadow memory included. */
static gsize
resident_bytes (void)
{
  g_autofree char *statm = NULL;
  g_auto(GStrv) fields = NULL;

  g_assert_true (g_file_get_contents ("/proc/self/statm", &statm, NULL, NULL));
  fields = g_strsplit (statm, " ", -1);
  g_assert_cmpuint (g_strv_length (fields), >=, 2);

  return (gsize) g_ascii_strtoull (fields[1], NULL, 10) * (gsize) sysconf (_SC_PAGESIZE);
}

#endif /* TEST_ASAN */

static void
test_asan_shadow_released (gconstpointer data)
{
#ifdef TEST_ASAN
  gsize stack_size = GPOINTER_TO_SIZE (data);
  AgenGenerator **gens = g_new0 (AgenGenerator *, SHADOW_GENERATORS);
  gsize before;
  gsize peak;
  gsize after;
#endif

  g_test_summary ("under AddressSanitizer, the shadow memory of the stacks "
                  "of generators that were alive at once goes back to the "
                  "kernel once they are all freed");

#ifndef TEST_ASAN
  g_test_skip ("only meaningful under AddressSanitizer");
#else
  /* Only what this test frees counts */
  agen_stack_pool_trim ();
  before = resident_bytes ();

  for (guint i = 0; i < SHADOW_GENERATORS; i++)
    {
      g_autoptr(GError) error = NULL;
      g_auto(GValue) value = G_VALUE_INIT;

      gens[i] = agen_generator_new_full (shadow_body, NULL, NULL, "shadow", stack_size);
      g_assert_true (agen_generator_next (gens[i], NULL, &value, &error));
      g_assert_no_error (error);
    }

  peak = resident_bytes ();

  for (guint i = 0; i < SHADOW_GENERATORS; i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_true (agen_generator_close (gens[i], NULL, &error));
      g_assert_no_error (error);
      g_clear_object (&gens[i]);
    }
  g_free (gens);

  agen_stack_pool_trim ();
  after = resident_bytes ();
  g_test_message ("resident: %" G_GSIZE_FORMAT " KiB before, %" G_GSIZE_FORMAT
                  " KiB with %u generators suspended, %" G_GSIZE_FORMAT
                  " KiB after freeing them",
                  before / 1024, peak / 1024, SHADOW_GENERATORS, after / 1024);

  /* Left dirty, the shadow of a stack keeps an eighth of its size. What
   * stays is the freed objects in ASan's quarantine. */
  g_assert_cmpuint (after, <, before + SHADOW_GENERATORS * (stack_size / 8 / 4));
#endif
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Agen/Scale/many-alive", test_many_alive);
  g_test_add_func ("/Agen/Scale/many-created-dropped", test_many_created_dropped);
  g_test_add_func ("/Agen/Scale/drop-suspended-default-finalizer", test_drop_suspended_default_finalizer);
  g_test_add_func ("/Agen/Scale/drop-suspended-cleanup-awaits", test_drop_suspended_cleanup_awaits);
  g_test_add_func ("/Agen/Scale/many-dropped-suspended", test_many_dropped_suspended);
  g_test_add_func ("/Agen/Scale/stack-overflow-names-generator", test_stack_overflow_names_generator);
  g_test_add_func ("/Agen/Scale/large-frame-64k", test_large_frame_64k);
  g_test_add_func ("/Agen/Scale/large-frame-320k", test_large_frame_320k);
  /* A default stack's shadow is whole pages here; a stack of 100,000
   * bytes shares shadow pages with its neighbours. */
  g_test_add_data_func ("/Agen/Scale/asan-shadow-released",
                        GSIZE_TO_POINTER (AGEN_GENERATOR_DEFAULT_STACK_SIZE),
                        test_asan_shadow_released);
  g_test_add_data_func ("/Agen/Scale/asan-shadow-released-odd-size",
                        GSIZE_TO_POINTER (100000),
                        test_asan_shadow_released);

  return g_test_run ();
}
