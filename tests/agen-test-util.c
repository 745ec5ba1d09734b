/* agen-test-util.c — small helpers shared by the test programs
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "agen-test-util.h"

static gboolean
spin_timeout_cb (gpointer data)
{
  guint timeout_ms = GPOINTER_TO_UINT (data);

  g_error ("timed out after %u ms waiting for a callback", timeout_ms);
  return G_SOURCE_REMOVE;
}

void
agen_test_spin_until (gboolean *flag,
                      guint     timeout_ms)
{
  GMainContext *context = g_main_context_ref_thread_default ();
  GSource *timeout = g_timeout_source_new (timeout_ms);

  g_source_set_callback (timeout, spin_timeout_cb, GUINT_TO_POINTER (timeout_ms), NULL);
  g_source_attach (timeout, context);

  while (!*flag)
    g_main_context_iteration (context, TRUE);

  g_source_destroy (timeout);
  g_source_unref (timeout);
  g_main_context_unref (context);
}
