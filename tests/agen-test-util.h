/* agen-test-util.h — small helpers shared by the test programs
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <agen.h>

G_BEGIN_DECLS

/* Iterates the thread-default main context until *flag becomes TRUE, or
 * fails the test after timeout_ms. */
void agen_test_spin_until (gboolean *flag,
                           guint     timeout_ms);

/* Iterates the thread-default main context until *counter reaches target,
 * or fails the test after timeout_ms. */
void agen_test_spin_until_count (guint *counter,
                                 guint  target,
                                 guint  timeout_ms);

/* Drops the caller's reference to object and iterates the thread-default
 * main context until it is finalized, or fails the test after timeout_ms. */
void agen_test_assert_finalized (gpointer object,
                                 guint    timeout_ms);

/* An error domain of the tests' own, for throw and raise. */
#define AGEN_TEST_ERROR (agen_test_error_quark ())
GQuark agen_test_error_quark (void);

typedef enum
{
  AGEN_TEST_ERROR_BOOM = 1,
  AGEN_TEST_ERROR_OTHER,
} AgenTestError;

/* GValues. Each initialises a zeroed value and returns it. */
GValue   *agen_test_value_int    (GValue     *value,
                                  gint        v);
GValue   *agen_test_value_string (GValue     *value,
                                  const char *v);
GValue   *agen_test_value_none   (GValue     *value);
/* TRUE if value is None: a G_TYPE_POINTER GValue holding NULL. */
gboolean  agen_test_value_is_none (const GValue *value);

#define agen_test_assert_none(v) \
  g_assert_true (agen_test_value_is_none (v))
#define agen_test_assert_int(v, n) G_STMT_START { \
    const GValue *_v = (v); \
    g_assert_true (G_VALUE_HOLDS_INT (_v)); \
    g_assert_cmpint (g_value_get_int (_v), ==, (n)); \
  } G_STMT_END
#define agen_test_assert_string(v, s) G_STMT_START { \
    const GValue *_v = (v); \
    g_assert_true (G_VALUE_HOLDS_STRING (_v)); \
    g_assert_cmpstr (g_value_get_string (_v), ==, (s)); \
  } G_STMT_END

/* Body side: yield an int, a string or None (see agen_generator_yield). */
gboolean agen_test_yield_int    (AgenGenerator  *self,
                                 gint            v,
                                 GValue         *sent,
                                 GError        **error);
gboolean agen_test_yield_string (AgenGenerator  *self,
                                 const char     *v,
                                 GValue         *sent,
                                 GError        **error);

/* Body side: awaits a timeout of ms milliseconds through a GTask, so the
 * body really leaves its fiber. With a cancellable that is cancelled by the
 * time the timeout fires, fails with G_IO_ERROR_CANCELLED (GTask's check). */
gboolean agen_test_sleep (AgenGenerator  *self,
                          guint           ms,
                          GCancellable   *cancellable,
                          GError        **error);

/* A gate: the body awaits it until the test opens it from plain code. */
typedef struct
{
  GTask *task;
} AgenTestGate;

/* Body side: awaits the gate; TRUE when opened. */
gboolean agen_test_gate_wait    (AgenTestGate   *gate,
                                 AgenGenerator  *self,
                                 GError        **error);
/* TRUE while a body waits at the gate. */
gboolean agen_test_gate_waiting (AgenTestGate   *gate);
/* Plain code: lets the waiting body go on (from a later iteration). */
void     agen_test_gate_open    (AgenTestGate   *gate);

/* The outcome of one consumer op, filled in by the callbacks below. */
typedef struct
{
  gboolean  done;
  gboolean  ok;
  GValue    value;
  GError   *error;
} AgenTestResult;

#define AGEN_TEST_RESULT_INIT { FALSE, FALSE, G_VALUE_INIT, NULL }

void agen_test_result_clear (AgenTestResult *result);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (AgenTestResult, agen_test_result_clear)

/* GAsyncReadyCallbacks; user_data is an AgenTestResult that is not done. */
void agen_test_next_cb  (GObject      *source,
                         GAsyncResult *res,
                         gpointer      user_data);
void agen_test_send_cb  (GObject      *source,
                         GAsyncResult *res,
                         gpointer      user_data);
void agen_test_throw_cb (GObject      *source,
                         GAsyncResult *res,
                         gpointer      user_data);
void agen_test_close_cb (GObject      *source,
                         GAsyncResult *res,
                         gpointer      user_data);

/* Each one clears result, starts the op, asserts that the callback did not
 * run inside the _async call, iterates the thread-default context until it
 * did, and returns result->ok. */
gboolean agen_test_next  (AgenGenerator  *gen,
                          GCancellable   *cancellable,
                          AgenTestResult *result);
gboolean agen_test_send  (AgenGenerator  *gen,
                          const GValue   *value,
                          GCancellable   *cancellable,
                          AgenTestResult *result);
gboolean agen_test_throw (AgenGenerator  *gen,
                          const GError   *error,
                          GCancellable   *cancellable,
                          AgenTestResult *result);
gboolean agen_test_close (AgenGenerator  *gen,
                          GCancellable   *cancellable,
                          AgenTestResult *result);

/* Asserts the outcome of a finished op. */
#define agen_test_assert_yielded_int(r, n) G_STMT_START { \
    AgenTestResult *_r = (r); \
    g_assert_no_error (_r->error); \
    g_assert_true (_r->ok); \
    agen_test_assert_int (&_r->value, (n)); \
  } G_STMT_END
#define agen_test_assert_finished(r) G_STMT_START { \
    AgenTestResult *_r = (r); \
    g_assert_no_error (_r->error); \
    g_assert_false (_r->ok); \
    agen_test_assert_none (&_r->value); \
  } G_STMT_END
#define agen_test_assert_failed(r, dom, code) G_STMT_START { \
    AgenTestResult *_r = (r); \
    g_assert_error (_r->error, (dom), (code)); \
    g_assert_false (_r->ok); \
    agen_test_assert_none (&_r->value); \
  } G_STMT_END

/* A connected pair of local stream sockets: reads on one end wait until the
 * other end writes, and honour their GCancellable. */
void agen_test_socket_pair (GIOStream **a,
                            GIOStream **b);

/* Threads ------------------------------------------------------------------ */

/* Iterates the thread-default main context until g_atomic_int_get (counter)
 * reaches target, or fails the test after timeout_ms. Another thread that
 * changes *counter (with g_atomic_*) must then call g_main_context_wakeup()
 * on that context. */
void agen_test_spin_until_atomic (gint *counter,
                                  gint  target,
                                  guint timeout_ms);

/* Waits, without iterating any context, until g_atomic_int_get (counter)
 * reaches target, or fails the test after timeout_ms. */
void agen_test_wait_atomic (gint *counter,
                            gint  target,
                            guint timeout_ms);

/* Sets *finalized to 1 (g_atomic_int_set) when object is finalized, from
 * whichever thread finalizes it. Unlike a weak pointer, which GObject
 * clears in dispose, it is not set when dispose revives the object. */
void agen_test_watch_finalize (gpointer  object,
                               gint     *finalized);

/* Warnings ------------------------------------------------------------------ */

/* While a catcher is installed, warnings of log_domain (from any thread)
 * are recorded instead of being printed and aborting the program under
 * G_DEBUG=fatal-warnings. For tests where the number of warnings is not
 * part of the contract; otherwise use g_test_expect_message(). One at a
 * time. */
typedef struct _AgenTestWarnings AgenTestWarnings;

AgenTestWarnings *agen_test_warnings_catch (const char       *log_domain);
/* How many recorded warnings match pattern (g_pattern_match_simple). */
guint             agen_test_warnings_count (AgenTestWarnings *warnings,
                                            const char       *pattern);
/* How many warnings were recorded in all. */
guint             agen_test_warnings_total (AgenTestWarnings *warnings);
/* Uninstalls the catcher and frees it. */
void              agen_test_warnings_free  (AgenTestWarnings *warnings);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AgenTestWarnings, agen_test_warnings_free)

G_END_DECLS
