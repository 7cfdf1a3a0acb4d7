/* The volumes an image remembers (`pith build --mount`, stored in its boot
 * config), read on the host so `pith run --image` attaches them again. */
#pragma once
#include "settings.h"

/* Add a --mount to a for each volume a->image was built with, except where
 * a --mount already names the same mount point. An image the host cannot
 * read adds nothing (the kernel's refusal is the message the user should
 * see). 0, or PITH_EXIT_USAGE after the "pith: ..." line. */
int image_mounts_add(struct pith_args *a);
