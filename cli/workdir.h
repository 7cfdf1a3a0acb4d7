/* A run's private temp directory, $TMPDIR/pith.XXXXXX: the image, the kernel
 * ELF, the control channel and the mounts file of one boot. It only ever
 * holds plain files pith created, and is removed on every path out. */
#pragma once
#include <limits.h>
#include <stddef.h>

/* Room is left in PATH_MAX for the file names workdir_file appends. */
struct workdir {
    char path[PATH_MAX - 32];
};

/* 0, or -1 after printing the "pith: ..." line (w->path is then empty). */
int workdir_create(struct workdir *w);
/* out = the path of NAME inside w. */
void workdir_file(const struct workdir *w, const char *name, char *out, size_t outlen);
/* Remove the directory and its files; nothing if it was never created. */
void workdir_remove(struct workdir *w);
