/* test-resources.c — running out of memory, and sizes nobody can have
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <gio/gio.h>

#include "agen-test-util.h"

#ifdef HAVE_VALGRIND
# include <valgrind/valgrind.h>
#endif

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
# define UNDER_SANITIZER 1
#elif defined(__has_feature)
# if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#  define UNDER_SANITIZER 1
# endif
#endif

static gboolean
count_body (AgenGenerator  *self,
            gpointer        user_data,
            GError        **error)
{
  for (int i = 1;; i++)
    if (!agen_test_yield_int (self, i, NULL, error))
      return FALSE;
}

/* The process's address space now, in bytes. */
static gsize
address_space_size (void)
{
  g_autofree char *statm = NULL;
  guint64 pages;

  g_assert_true (g_file_get_contents ("/proc/self/statm", &statm, NULL, NULL));
  pages = g_ascii_strtoull (statm, NULL, 10);
  g_assert_cmpuint (pages, >, 0);
  return pages * (gsize) sysconf (_SC_PAGESIZE);
}

static void
next_async_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  GError **error = user_data;
  g_auto(GValue) value = G_VALUE_INIT;

  g_assert_false (agen_generator_next_finish (AGEN_GENERATOR (source), result, &value, error));
  g_assert_nonnull (*error);
}

/* Runs in a subprocess: it lowers the address-space limit. */
static void
stack_map_failure_child (void)
{
  g_autoptr(AgenGenerator) running = agen_generator_new (count_body, NULL, NULL);
  g_autoptr(AgenGenerator) big = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) async_error = NULL;
  g_auto(GValue) value = G_VALUE_INIT;
  struct rlimit saved, limited;

  /* A generator that already has its stack. */
  g_assert_true (agen_generator_next (running, NULL, &value, &error));
  agen_test_assert_int (&value, 1);
  g_value_unset (&value);

  /* Stacks of a size nobody has mapped yet: a new slab, several MiB. */
  big = agen_generator_new_full (count_body, NULL, NULL, "big-one", 4 * 1024 * 1024);

  g_assert_cmpint (getrlimit (RLIMIT_AS, &saved), ==, 0);
  limited = saved;
  limited.rlim_cur = address_space_size () + 2 * 1024 * 1024;
  g_assert_cmpint (setrlimit (RLIMIT_AS, &limited), ==, 0);

  /* Blocking and async: the step fails, naming the generator, which
   * stays startable. */
  g_assert_false (agen_generator_next (big, NULL, &value, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE);
  g_assert_nonnull (strstr (error->message, "big-one"));
  agen_test_assert_none (&value);
  g_value_unset (&value);
  g_clear_error (&error);
  g_assert_cmpint (agen_generator_get_state (big), ==, AGEN_GENERATOR_STATE_CREATED);

  agen_generator_next_async (big, NULL, next_async_cb, &async_error);
  while (async_error == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_error (async_error, G_IO_ERROR, G_IO_ERROR_NO_SPACE);
  g_assert_cmpint (agen_generator_get_state (big), ==, AGEN_GENERATOR_STATE_CREATED);

  /* Everything else goes on. */
  g_assert_true (agen_generator_next (running, NULL, &value, &error));
  agen_test_assert_int (&value, 2);
  g_value_unset (&value);

  /* With memory back, the generator starts. */
  g_assert_cmpint (setrlimit (RLIMIT_AS, &saved), ==, 0);
  g_assert_true (agen_generator_next (big, NULL, &value, &error));
  g_assert_no_error (error);
  agen_test_assert_int (&value, 1);

  g_assert_true (agen_generator_close (big, NULL, &error));
  g_assert_true (agen_generator_close (running, NULL, &error));
}

static void
test_stack_map_failure (void)
{
  g_test_summary ("when the kernel refuses a body's stack, the operation that "
                  "would start it fails with G_IO_ERROR_NO_SPACE naming the "
                  "generator, which stays CREATED and starts once memory is "
                  "back; other generators go on");

#ifdef UNDER_SANITIZER
  g_test_skip ("sanitizers reserve address space: RLIMIT_AS cannot be used");
  return;
#endif
#ifdef HAVE_VALGRIND
  if (RUNNING_ON_VALGRIND)
    {
      g_test_skip ("Valgrind manages the address space itself");
      return;
    }
#endif

  if (g_test_subprocess ())
    {
      stack_map_failure_child ();
      return;
    }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
}

static void
test_absurd_stack_size (void)
{
  g_autoptr(AgenGenerator) gen = NULL;
  AgenGenerator *refused;
  guint64 size = 0;

  g_test_summary ("a stack size over AGEN_GENERATOR_MAX_STACK_SIZE is refused "
                  "when asked for: new_full returns NULL with a critical, the "
                  "property keeps its value with GObject's warning");

  if (!g_test_undefined ())
    return;

  g_test_expect_message ("Agen", G_LOG_LEVEL_CRITICAL, "*AGEN_GENERATOR_MAX_STACK_SIZE*");
  refused = agen_generator_new_full (count_body, NULL, NULL, "absurd", (gsize) 1 << 62);
  g_test_assert_expected_messages ();
  g_assert_null (refused);

  gen = agen_generator_new_full (count_body, NULL, NULL, "largest", AGEN_GENERATOR_MAX_STACK_SIZE);
  g_object_get (gen, "stack-size", &size, NULL);
  g_assert_cmpuint (size, ==, AGEN_GENERATOR_MAX_STACK_SIZE);

  g_test_expect_message ("GLib-GObject", G_LOG_LEVEL_WARNING, "*out of range*");
  g_object_set (gen, "stack-size", (guint64) AGEN_GENERATOR_MAX_STACK_SIZE + 1, NULL);
  g_test_assert_expected_messages ();
  g_object_get (gen, "stack-size", &size, NULL);
  g_assert_cmpuint (size, ==, AGEN_GENERATOR_MAX_STACK_SIZE);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Agen/Resources/stack-map-failure", test_stack_map_failure);
  g_test_add_func ("/Agen/Resources/absurd-stack-size", test_absurd_stack_size);

  return g_test_run ();
}
