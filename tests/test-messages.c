/* test-messages.c — the first message names the cause: misuse reported
 * as what it is, unnamed generators named by their body function, a
 * frame that jumps the stack's guard reported as an overflow
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <agen.h>

#include "agen-test-util.h"

/* An unset GValue ------------------------------------------------------- */

static gboolean
unset_value_body (AgenGenerator  *self,
                  gpointer        user_data,
                  GError        **error)
{
  GValue unset = G_VALUE_INIT;
  GValue sent = G_VALUE_INIT;
  gboolean ok;

  ok = agen_generator_yield (self, &unset, &sent, error);
  /* sent is initialised even so */
  g_assert_true (G_IS_VALUE (&sent));
  g_value_unset (&sent);
  return ok;
}

static void
test_yield_unset_value (void)
{
  g_autoptr(AgenGenerator) gen = NULL;
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;

  g_test_summary ("yielding an unset GValue is a GError that says to pass NULL "
                  "for None, not a critical");

  gen = agen_generator_new_full (unset_value_body, NULL, NULL, "unset", 0);
  g_assert_false (agen_test_next (gen, NULL, &r));
  agen_test_assert_failed (&r, AGEN_ERROR, AGEN_ERROR_FAILED);
  g_assert_nonnull (strstr (r.error->message, "pass NULL to yield None"));
  g_assert_nonnull (strstr (r.error->message, "“unset”"));
  g_assert_cmpint (agen_generator_get_state (gen), ==, AGEN_GENERATOR_STATE_CLOSED);
}

/* A yield after a failed yield ------------------------------------------ */

static gboolean
careless_body (AgenGenerator  *self,
               gpointer        user_data,
               GError        **error)
{
  /* The return values ignored: the mistake under test. */
  agen_test_yield_int (self, 1, NULL, error);
  agen_test_yield_int (self, 2, NULL, error);
  return FALSE;
}

static void
test_yield_after_failed_yield (void)
{
  g_autoptr(AgenGenerator) gen = NULL;
  g_autoptr(GError) boom = g_error_new_literal (AGEN_TEST_ERROR, AGEN_TEST_ERROR_BOOM, "boom");
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;

  g_test_summary ("a yield with the error of a failed yield still set says so, "
                  "naming the earlier failure, in the first message");

  if (!g_test_undefined ())
    return;

  gen = agen_generator_new_full (careless_body, NULL, NULL, "careless", 0);
  g_assert_true (agen_test_next (gen, NULL, &r));
  agen_test_assert_yielded_int (&r, 1);

  g_test_expect_message ("Agen", G_LOG_LEVEL_CRITICAL,
                         "agen_generator_yield(): the body of generator 'careless' went on "
                         "after a failed call and yielded again with its error still set; "
                         "the earlier failure was: boom*");
  g_assert_false (agen_test_throw (gen, boom, NULL, &r));
  g_test_assert_expected_messages ();
  /* The first error is what comes out. */
  agen_test_assert_failed (&r, AGEN_TEST_ERROR, AGEN_TEST_ERROR_BOOM);
}

static gboolean
careless_from_body (AgenGenerator  *self,
                    gpointer        user_data,
                    GError        **error)
{
  g_autoptr(AgenGenerator) inner = agen_generator_new ((AgenGeneratorFunc) user_data, NULL, NULL);

  agen_test_yield_int (self, 1, NULL, error);
  agen_generator_yield_from (self, inner, NULL, error);
  return FALSE;
}

static void
test_yield_from_after_failed_yield (void)
{
  g_autoptr(AgenGenerator) gen = NULL;
  g_autoptr(GError) boom = g_error_new_literal (AGEN_TEST_ERROR, AGEN_TEST_ERROR_BOOM, "boom");
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;

  g_test_summary ("so does a yield_from");

  if (!g_test_undefined ())
    return;

  gen = agen_generator_new_full (careless_from_body, careless_body, NULL, "careless", 0);
  g_assert_true (agen_test_next (gen, NULL, &r));
  g_test_expect_message ("Agen", G_LOG_LEVEL_CRITICAL,
                         "agen_generator_yield_from(): *'careless'*earlier failure was: boom*");
  g_assert_false (agen_test_throw (gen, boom, NULL, &r));
  g_test_assert_expected_messages ();
  agen_test_assert_failed (&r, AGEN_TEST_ERROR, AGEN_TEST_ERROR_BOOM);
}

/* Unnamed generators ------------------------------------------------------ */

/* Exported (the test program links with -rdynamic): the dynamic linker
 * knows its name. */
gboolean agen_test_messages_exported_body (AgenGenerator  *self,
                                           gpointer        user_data,
                                           GError        **error);

gboolean
agen_test_messages_exported_body (AgenGenerator  *self,
                                  gpointer        user_data,
                                  GError        **error)
{
  return TRUE;
}

static gboolean
static_body (AgenGenerator  *self,
             gpointer        user_data,
             GError        **error)
{
  return TRUE;
}

/* The message of a body-side call made outside the body. */
static char *
wrong_context_message (AgenGenerator *gen)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (agen_generator_yield (gen, NULL, NULL, &error));
  g_assert_error (error, AGEN_ERROR, AGEN_ERROR_WRONG_CONTEXT);
  return g_strdup (error->message);
}

static void
test_unnamed_exported (void)
{
  g_autoptr(AgenGenerator) gen = NULL;
  g_autofree char *message = NULL;

  g_test_summary ("an unnamed generator whose body is an exported function is "
                  "named by that function in messages");

  gen = agen_generator_new (agen_test_messages_exported_body, NULL, NULL);
  message = wrong_context_message (gen);
#ifdef HAVE_DLADDR
  g_assert_cmpstr (message, ==,
                   "agen_generator_yield() may only be called from the body of "
                   "generator “agen_test_messages_exported_body()”");
#else
  g_assert_nonnull (strstr (message, "(unnamed)"));
#endif
  g_assert_null (agen_generator_get_name (gen));
}

static void
test_unnamed_static (void)
{
  g_autoptr(AgenGenerator) gen = NULL;
  g_autofree char *message = NULL;

  g_test_summary ("an unnamed generator whose body the dynamic linker cannot "
                  "name is named by its file and offset (for addr2line)");

  gen = agen_generator_new (static_body, NULL, NULL);
  message = wrong_context_message (gen);
#ifdef HAVE_DLADDR
  g_assert_true (g_pattern_match_simple ("*generator “(unnamed, body at test-messages+0x*)”",
                                         message));
#else
  g_assert_nonnull (strstr (message, "(unnamed)"));
#endif
}

static void
test_named (void)
{
  g_autoptr(AgenGenerator) gen = NULL;
  g_autofree char *message = NULL;

  g_test_summary ("a name, when there is one, is what messages say");

  gen = agen_generator_new_full (agen_test_messages_exported_body, NULL, NULL, "mine", 0);
  message = wrong_context_message (gen);
  g_assert_nonnull (strstr (message, "generator “mine”"));
}

/* A frame larger than the guard ----------------------------------------- */

/* Built without -fstack-clash-protection (tests/meson.build), as Debian's
 * gcc does by default: the stack pointer moves past the whole frame at
 * once and the first access is at its low end, far below the guard. */
static G_GNUC_NO_INLINE char
large_frame_512k (void)
{
  volatile char frame[512 * 1024];

  frame[0] = 1;
  return frame[0];
}

static gboolean
large_frame_body (AgenGenerator  *self,
                  gpointer        user_data,
                  GError        **error)
{
  if (large_frame_512k () != 1)
    g_assert_not_reached ();
  return TRUE;
}

static void
test_large_frame_512k (void)
{
  g_test_summary ("a body with a 512 KiB frame on a 256 KiB stack (past the "
                  "128 KiB guard) dies with agen's overflow message, not a bare "
                  "segmentation fault");

  if (g_test_subprocess ())
    {
      g_autoptr(AgenGenerator) gen = NULL;
      g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;

      gen = agen_generator_new_full (large_frame_body, NULL, NULL, "big-frame", 0);
      agen_test_next (gen, NULL, &r);
      g_error ("the large frame did not fault");
    }

  g_test_trap_subprocess (NULL, 30 * G_USEC_PER_SEC, 0);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*agen: generator 'big-frame' overflowed its 262144-byte stack; aborting*");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Agen/Messages/yield-unset-value", test_yield_unset_value);
  g_test_add_func ("/Agen/Messages/yield-after-failed-yield", test_yield_after_failed_yield);
  g_test_add_func ("/Agen/Messages/yield-from-after-failed-yield", test_yield_from_after_failed_yield);
  g_test_add_func ("/Agen/Messages/unnamed-exported", test_unnamed_exported);
  g_test_add_func ("/Agen/Messages/unnamed-static", test_unnamed_static);
  g_test_add_func ("/Agen/Messages/named", test_named);
  g_test_add_func ("/Agen/Messages/large-frame-512k", test_large_frame_512k);

  return g_test_run ();
}
