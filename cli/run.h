/* `pith run` and `pith build`: validate the inputs, write the image, boot it. */
#pragma once
#include "args.h"

/* Exit status for pith: the program's own status after a boot; 2 for bad
 * input; 125 when the guest or QEMU stopped without reporting a status. */
#define PITH_EXIT_USAGE 2
#define PITH_EXIT_NO_STATUS 125
#define PITH_EXIT_TIMEOUT 124   /* --timeout expired, as timeout(1) */

int run_command(struct pith_args *a);
int build_command(const struct pith_args *a);

/* The guest path of a host file: the host path itself if absolute, else
 * "/" + its last component. Writes into out; -1 if it does not fit. */
int run_guest_path(const char *host, char *out, size_t outlen);
