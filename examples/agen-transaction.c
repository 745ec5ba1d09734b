/* agen-transaction.c — a transaction as a context manager: the
 * generator begins it, hands the accounts to the block, commits when the
 * block ends normally and rolls back when an error is thrown in.
 *
 * usage: agen-transaction
 *
 * Copyright 2026 The agen authors
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <locale.h>

#include <agen.h>

typedef struct { int alice, bob; } Accounts;

/* The body: Python's @asynccontextmanager with try/except around its
 * yield. */
static gboolean
transaction (AgenGenerator *self, gpointer user_data, GError **error)
{
  Accounts *accounts = user_data;
  Accounts saved = *accounts;

  g_print ("BEGIN\n");
  if (!agen_generator_yield_pointer (self, accounts, error))
    {
      *accounts = saved;
      g_print ("ROLLBACK: %s\n", (*error)->message);
      return FALSE;                       /* the block's error goes on */
    }
  g_print ("COMMIT\n");
  return TRUE;
}

/* The with-block: moves amount from alice to bob. */
static gboolean
transfer (Accounts *accounts, int amount, GError **error)
{
  accounts->alice -= amount;
  accounts->bob += amount;
  if (accounts->alice < 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "alice cannot pay %d", amount);
      return FALSE;
    }
  return TRUE;
}

static gboolean
run_transfer (Accounts *accounts, int amount, GError **error)
{
  g_autoptr(AgenContextManager) cm = agen_context_manager_new (transaction, accounts, NULL);
  g_auto(GValue) entered = G_VALUE_INIT;
  g_autoptr(GError) block_error = NULL;

  if (!agen_context_manager_enter (cm, NULL, &entered, error))
    return FALSE;
  transfer (g_value_get_pointer (&entered), amount, &block_error);
  /* exit throws block_error into the body; it fails with it again */
  return agen_context_manager_exit (cm, block_error, NULL, error);
}

int
main (void)
{
  Accounts accounts = { 100, 0 };
  const int amounts[] = { 30, 500, 50 };

  setlocale (LC_ALL, "");
  for (guint i = 0; i < G_N_ELEMENTS (amounts); i++)
    {
      g_autoptr(GError) error = NULL;

      g_print ("transfer %d\n", amounts[i]);
      if (!run_transfer (&accounts, amounts[i], &error))
        g_print ("failed: %s\n", error->message);
      g_print ("alice %d, bob %d\n", accounts.alice, accounts.bob);
    }
  return accounts.alice == 20 && accounts.bob == 80 ? 0 : 1;
}
