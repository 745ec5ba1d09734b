/* agen-helper-phase-private.h — the one enter and one exit of AgenAclosing
 * and AgenContextManager
 *
 * Copyright 2026 The agen authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/* Where a helper is: entered once, then exited once, and only after a
 * successful enter. */
typedef enum
{
  AGEN_HELPER_NEW,
  AGEN_HELPER_ENTERING,      /* an enter is under way */
  AGEN_HELPER_ENTERED,
  AGEN_HELPER_ENTER_FAILED,
  AGEN_HELPER_EXITED,
} AgenHelperPhase;

/* Whether helper (a GObject, named in the message) in phase may be
 * entered by func; a critical otherwise, and the caller does nothing. */
static inline gboolean
agen_helper_may_enter (gpointer         helper,
                       AgenHelperPhase  phase,
                       const char      *func)
{
  if (phase == AGEN_HELPER_NEW)
    return TRUE;

  g_critical ("%s: the %s was already entered; enter it only once",
              func, G_OBJECT_TYPE_NAME (helper));
  return FALSE;
}

/* The same for an exit. */
static inline gboolean
agen_helper_may_exit (gpointer         helper,
                      AgenHelperPhase  phase,
                      const char      *func)
{
  switch (phase)
    {
    case AGEN_HELPER_ENTERED:
      return TRUE;

    case AGEN_HELPER_EXITED:
      g_critical ("%s: the %s was already exited; exit it only once",
                  func, G_OBJECT_TYPE_NAME (helper));
      return FALSE;

    case AGEN_HELPER_NEW:
    case AGEN_HELPER_ENTERING:
    case AGEN_HELPER_ENTER_FAILED:
    default:
      g_critical ("%s: the %s was not entered successfully; exit it only "
                  "after a successful enter", func, G_OBJECT_TYPE_NAME (helper));
      return FALSE;
    }
}

G_END_DECLS
