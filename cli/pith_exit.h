/* pith's own exit statuses (docs/cli.md, "Exit status"), and the one-line
 * report every command gives for bad input. */
#pragma once
#include <stdio.h>

/* The program's own status after a boot; 2 for bad input; 125 when the
 * guest or QEMU stopped without reporting a status. */
#define PITH_EXIT_USAGE 2
#define PITH_EXIT_NO_STATUS 125
#define PITH_EXIT_TIMEOUT 124   /* --timeout expired, as timeout(1) */

/* "pith: CULPRIT: reason" on stderr; returns PITH_EXIT_USAGE. */
static inline int pith_complain(const char *culprit, const char *reason)
{
    fprintf(stderr, "pith: %s: %s\n", culprit, reason);
    return PITH_EXIT_USAGE;
}
