/* agen-test-coverage.c — linked into the test programs of a coverage build
 * only (-Db_coverage=true, tests/meson.build; .ci/coverage.sh).
 *
 * gcov writes a program's counters when it exits normally. The test
 * subprocesses that check a fatal path (g_test_trap_subprocess(): a fiber
 * stack overflow, a critical warning made fatal by G_DEBUG=fatal-warnings)
 * end in abort(), so the code they ran would be reported as never run.
 * This writes the counters on SIGABRT first; abort() then goes on and
 * kills the process as before, so no test sees a difference. */

#include <gcov.h>
#include <signal.h>
#include <string.h>

static void
agen_test_coverage_on_abort (int signum)
{
  (void) signum;
  __gcov_dump ();
  /* Returning lets abort() restore the default action and raise again. */
}

__attribute__((constructor)) static void
agen_test_coverage_init (void)
{
  struct sigaction action;

  memset (&action, 0, sizeof action);
  action.sa_handler = agen_test_coverage_on_abort;
  sigemptyset (&action.sa_mask);
  action.sa_flags = SA_RESETHAND;
  sigaction (SIGABRT, &action, NULL);
}
