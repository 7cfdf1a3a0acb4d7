/* Boot an image under QEMU and report how it ended (cli/guest_boot.c). */
#pragma once
#include <stdint.h>

#include "accel.h"
#include "settings.h"
#include "volume_check.h"
#include "workdir.h"

/* Boot image_path with a's machine settings, the volumes vols, on the engine
 * accel chose; w receives the kernel, control and mounts files. seed: the
 * layout seed the image was built with (for --gdb's hint). Returns pith's
 * exit status: the program's, or one of PITH_EXIT_*. */
int guest_boot(const struct pith_args *a, struct workdir *w, const char *image_path, uint64_t seed,
               const struct volume_set *vols, const struct accel_choice *accel);
