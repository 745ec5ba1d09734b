/* consumer.c — a third-party program written only against the public API,
 * built by test-installed.sh with `pkg-config --cflags --libs agen-1`
 * against an installed copy of the library.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <agen.h>

#if !AGEN_CHECK_VERSION (0, 1, 0)
# error "AGEN_CHECK_VERSION is broken"
#endif

static gboolean
count_to_three (AgenGenerator  *self,
                gpointer        user_data,
                GError        **error)
{
  for (int i = 1; i <= 3; i++)
    {
      g_auto(GValue) value = G_VALUE_INIT;

      g_value_init (&value, G_TYPE_INT);
      g_value_set_int (&value, i);
      if (!agen_generator_yield (self, &value, NULL, error))
        return FALSE;
    }

  return TRUE;
}

typedef struct
{
  GMainLoop *loop;
  int        sum;
  gboolean   failed;
} Consumer;

static void
next_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Consumer *consumer = user_data;
  g_auto(GValue) value = G_VALUE_INIT;
  g_autoptr(GError) error = NULL;

  if (agen_generator_next_finish (AGEN_GENERATOR (source), result, &value, &error))
    {
      consumer->sum += g_value_get_int (&value);
      agen_generator_next_async (AGEN_GENERATOR (source), NULL, next_cb, consumer);
      return;
    }

  consumer->failed = error != NULL;
  g_main_loop_quit (consumer->loop);
}

int
main (void)
{
  g_autoptr(AgenGenerator) generator = agen_generator_new (count_to_three, NULL, NULL);
  Consumer consumer = { g_main_loop_new (NULL, FALSE), 0, FALSE };
  g_autoptr(GError) error = NULL;

  g_assert (AGEN_IS_GENERATOR (generator));
  g_assert (g_type_is_a (AGEN_TYPE_GENERATOR_STATE, G_TYPE_ENUM));
  g_assert (g_type_is_a (AGEN_TYPE_ERROR, G_TYPE_ENUM));
  g_assert (agen_error_quark () == AGEN_ERROR);

  agen_generator_next_async (generator, NULL, next_cb, &consumer);
  g_main_loop_run (consumer.loop);
  g_main_loop_unref (consumer.loop);

  if (consumer.failed || consumer.sum != 6 ||
      agen_generator_get_state (generator) != AGEN_GENERATOR_STATE_CLOSED ||
      !agen_generator_close (generator, NULL, &error))
    {
      g_printerr ("consumer: unexpected result (sum %d)\n", consumer.sum);
      return 1;
    }

  g_print ("consumer: sum %d, version %d.%d.%d\n", consumer.sum,
           AGEN_MAJOR_VERSION, AGEN_MINOR_VERSION, AGEN_MICRO_VERSION);
  return 0;
}
