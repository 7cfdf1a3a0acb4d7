/* `pith build -o IMAGE [options] PROG [ARGS...]`. */
#pragma once
#include "settings.h"

/* Returns 0, or PITH_EXIT_USAGE after the "pith: ..." line. */
int build_command(const struct pith_args *a);
