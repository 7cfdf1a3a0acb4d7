/* `pith run [options] PROG [ARGS...]` and `pith run --image IMAGE`. */
#pragma once
#include "settings.h"

/* Returns pith's exit status (cli/pith_exit.h). */
int run_command(struct pith_args *a);
