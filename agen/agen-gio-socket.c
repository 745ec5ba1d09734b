/* agen-gio-socket.c — the incoming connections of a GSocketListener
 *
 * Copyright 2026 The agen authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "agen-gio.h"

static gboolean
connections_body (AgenGenerator  *self,
                  gpointer        user_data,
                  GError        **error)
{
  GSocketListener *listener = user_data;

  for (;;)
    {
      g_autoptr(GSocketConnection) connection = NULL;
      g_auto(GValue) value = G_VALUE_INIT;

      g_socket_listener_accept_async (listener,
                                      agen_generator_get_cancellable (self),
                                      AGEN_AWAIT_CALLBACK (self));
      connection = g_socket_listener_accept_finish (listener,
                                                    agen_generator_await (self),
                                                    NULL, error);
      if (connection == NULL)
        return FALSE;

      g_value_init (&value, G_TYPE_SOCKET_CONNECTION);
      g_value_set_object (&value, connection);
      if (!agen_generator_yield (self, &value, NULL, error))
        return FALSE;
    }
}

/**
 * agen_socket_listener_connections:
 * @listener: a listener with at least one address or port added
 *
 * Makes a generator that yields each connection @listener accepts, as a
 * [class@Gio.SocketConnection], with
 * [method@Gio.SocketListener.accept_async].
 *
 * It never finishes by itself: it fails with the listener's error (for
 * instance %G_IO_ERROR_CLOSED once the listener is closed), and with
 * %G_IO_ERROR_CANCELLED when a step waiting for a connection is cancelled.
 * Closing the generator leaves @listener open; connections that arrive
 * while no step waits are kept by the system's listen backlog.
 *
 * Returns: (transfer full): a new generator
 *
 * Since: 0.1
 */
AgenGenerator *
agen_socket_listener_connections (GSocketListener *listener)
{
  AgenGenerator *gen;

  g_return_val_if_fail (G_IS_SOCKET_LISTENER (listener), NULL);

  gen = agen_generator_new (connections_body, g_object_ref (listener),
                            g_object_unref);
  agen_generator_set_name (gen, "socket-listener-connections");

  return gen;
}
