/* test-translations.c — agen's messages in German and French, from the
 * build tree's message catalogs
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <locale.h>
#include <libintl.h>

#include <agen.h>

#include "agen-test-util.h"

/* Switches agen's messages to language (NULL: untranslated). LANGUAGE
 * picks the catalog; the locale only has to be something other than
 * "C", for which gettext never translates: C.UTF-8 is built into glibc
 * 2.35 and later, no locale package needed. */
static gboolean
use_language (const char *language)
{
  if (language != NULL)
    g_setenv ("LANGUAGE", language, TRUE);
  else
    g_unsetenv ("LANGUAGE");

  /* Changing the locale also makes gettext drop what it looked up under
   * the previous LANGUAGE; setting the same one again would not. */
  setlocale (LC_ALL, "C");
  return setlocale (LC_ALL, "C.UTF-8") != NULL;
}

static gboolean
forever_body (AgenGenerator  *self,
              gpointer        user_data,
              GError        **error)
{
  AgenTestGate *gate = user_data;

  return agen_test_gate_wait (gate, self, error);
}

/* The message of a next on a running generator. */
static char *
running_message (void)
{
  AgenTestGate gate = { NULL };
  g_autoptr(AgenGenerator) gen = agen_generator_new_full (forever_body, &gate, NULL, "g", 0);
  g_auto(AgenTestResult) first = AGEN_TEST_RESULT_INIT;
  g_auto(AgenTestResult) second = AGEN_TEST_RESULT_INIT;
  char *message;

  agen_generator_next_async (gen, NULL, agen_test_next_cb, &first);
  while (!agen_test_gate_waiting (&gate))
    g_main_context_iteration (NULL, TRUE);

  g_assert_false (agen_test_next (gen, NULL, &second));
  g_assert_error (second.error, AGEN_ERROR, AGEN_ERROR_RUNNING);
  message = g_strdup (second.error->message);

  agen_test_gate_open (&gate);
  agen_test_spin_until (&first.done, 5000);
  return message;
}

static gboolean
unset_value_body (AgenGenerator  *self,
                  gpointer        user_data,
                  GError        **error)
{
  GValue unset = G_VALUE_INIT;

  return agen_generator_yield (self, &unset, NULL, error);
}

static char *
unset_value_message (void)
{
  g_autoptr(AgenGenerator) gen = agen_generator_new_full (unset_value_body, NULL, NULL, "g", 0);
  g_auto(AgenTestResult) r = AGEN_TEST_RESULT_INIT;

  g_assert_false (agen_test_next (gen, NULL, &r));
  g_assert_error (r.error, AGEN_ERROR, AGEN_ERROR_FAILED);
  return g_strdup (r.error->message);
}

static char *
wrong_context_message (void)
{
  g_autoptr(AgenGenerator) gen = agen_generator_new (unset_value_body, NULL, NULL);
  g_autoptr(GError) error = NULL;

  g_assert_false (agen_generator_yield_int (gen, 1, &error));
  g_assert_error (error, AGEN_ERROR, AGEN_ERROR_WRONG_CONTEXT);
  return g_strdup (error->message);
}

typedef struct
{
  const char *language;
  const char *running;
  const char *unset_value;
  const char *wrong_context;
} Expected;

static const Expected expected[] = {
  { NULL,
    "Generator “g” is already running",
    "agen_generator_yield(): the body of generator “g” yielded an unset GValue; "
    "pass NULL to yield None",
    "agen_generator_yield_int() may only be called from the body of generator "
    "“(unnamed, body at test-translations+0x*)”" },
  { "de",
    "Der Generator „g“ läuft bereits",
    "agen_generator_yield(): Der Rumpf des Generators „g“ hat einen nicht "
    "initialisierten GValue geliefert; übergeben Sie NULL, um None zu liefern",
    "agen_generator_yield_int() darf nur aus dem Rumpf des Generators "
    "„(unbenannt, Rumpf bei test-translations+0x*)“ aufgerufen werden" },
  { "fr",
    "Le générateur « g » est déjà en cours d’exécution",
    "agen_generator_yield() : le corps du générateur « g » a produit une GValue "
    "non initialisée ; passez NULL pour produire None",
    "agen_generator_yield_int() ne peut être appelé que depuis le corps du "
    "générateur « (sans nom, corps à test-translations+0x*) »" },
};

static void
test_language (gconstpointer data)
{
  const Expected *e = data;
  g_autofree char *running = NULL;
  g_autofree char *unset_value = NULL;
  g_autofree char *wrong_context = NULL;

  g_test_summary ("agen's error messages come out in the language LANGUAGE asks for");

  if (!use_language (e->language))
    {
      g_test_skip ("the C.UTF-8 locale is not available");
      return;
    }

  running = running_message ();
  unset_value = unset_value_message ();
  wrong_context = wrong_context_message ();
  use_language (NULL);

  g_assert_cmpstr (running, ==, e->running);
  g_assert_cmpstr (unset_value, ==, e->unset_value);
#ifdef HAVE_DLADDR
  if (!g_pattern_match_simple (e->wrong_context, wrong_context))
    g_error ("“%s” does not match “%s”", wrong_context, e->wrong_context);
#endif
}

int
main (int   argc,
      char *argv[])
{
  const char *localedir = g_getenv ("AGEN_TEST_LOCALEDIR");

  g_test_init (&argc, &argv, NULL);

  /* The library binds its domain to the installed catalogs when its
   * class is set up; the test's binding, to the build tree's, comes
   * after. */
  g_type_class_unref (g_type_class_ref (AGEN_TYPE_GENERATOR));
  g_assert_nonnull (localedir);
  bindtextdomain (GETTEXT_PACKAGE, localedir);

  g_test_add_data_func ("/Agen/Translations/en", &expected[0], test_language);
  g_test_add_data_func ("/Agen/Translations/de", &expected[1], test_language);
  g_test_add_data_func ("/Agen/Translations/fr", &expected[2], test_language);

  return g_test_run ();
}
