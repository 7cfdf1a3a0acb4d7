/* `pith run` / `pith build` / `pith image create`: from the settings to a
 * bootable image file. */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "settings.h"
#include "workdir.h"

/* The program and every -f/-d path exist and are what they claim (a sane
 * x86_64 ELF unless --no-check); --sysroot is a directory. 0, or
 * PITH_EXIT_USAGE after the "pith: ..." line. */
int image_check_inputs(const struct pith_args *a);
/* A file that goes into the image must be a readable regular file. 0, or
 * PITH_EXIT_USAGE after the line. */
int image_check_regular_file(const char *path, struct stat *st);

/* Write the image for a at out_path (a temp file renamed into place: see
 * docs/image.md). w holds the generated /etc files on the way. seed: the
 * address-space layout seed for the kernel, 0 for a random one. 0, or
 * PITH_EXIT_USAGE after the line. */
int image_build(const struct pith_args *a, const char *out_path, const struct workdir *w, uint64_t seed);

/* The guest path of a host file: the host path itself if absolute, else
 * "/" + its last component. Writes into out; -1 if it does not fit. */
int image_guest_path(const char *host, char *out, size_t outlen);
