#pragma once

/* If the boot config's kernel options (fs/tfs.h, kernel_options) say
 * "selftest=NAME", run that self-test (kernel/selftest.c); each ends in a
 * panic. Otherwise nothing. */
void selftest_run(const char *options);
/* Two threads, two stack guards, each in the per-CPU slot while its thread
 * runs (kernel/selftest_canary.c); returns if so, panics if not. */
void selftest_stack_canary_threads(void);
