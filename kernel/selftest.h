#pragma once

/* If the boot config's kernel options (fs/tfs.h, kernel_options) say
 * "selftest=NAME", run that self-test (kernel/selftest.c); each ends in a
 * panic. Otherwise nothing. */
void selftest_run(const char *options);
