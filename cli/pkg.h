/* `pith pkg`: Debian packages as sysroot trees for `pith run --pkg NAME`.
 *
 *   pith pkg get NAME...   NAME and what it depends on, resolved by apt
 *                          against the host's (signed) lists, downloaded with
 *                          apt-get download, unpacked with dpkg-deb -x, into
 *                          CACHE/NAME/, a usrmerge'd root tree
 *   pith pkg ls            the trees in the cache
 *   pith pkg path NAME     the tree's directory (for --sysroot, scripts)
 *   pith pkg rm NAME...    delete trees
 *   pith pkg clean         delete downloaded .deb files no tree uses
 *
 * CACHE is $PITH_PKG_DIR, else ${XDG_CACHE_HOME:-~/.cache}/pith/pkg. A tree
 * appears whole or not at all: it is built under CACHE/.tmp.PID.XXXXXX and
 * renamed into place. docs/cli.md, "Packages". */
#pragma once
#include <stddef.h>

struct pith_args;

/* CACHE (created when create), into out. 0, or -1 with err. */
int pkg_cache_dir(char *out, size_t outlen, int create, char *err, size_t errlen);
/* CACHE/NAME when that tree exists. 0, or -1 with err ("NAME: not fetched ..."). */
int pkg_tree_dir(const char *name, char *out, size_t outlen, char *err, size_t errlen);
/* A Debian package name (policy 5.6.1: [a-z0-9][a-z0-9+.-]+). */
int pkg_valid_name(const char *name);

/* `pith run/build --pkg NAME PROG`: PROG is looked up inside NAME's tree
 * (a bare name along PATH there), the tree becomes the sysroot, and its data
 * (everything but other programs, the library directories the collector
 * serves and documentation) goes into the image. argv[0] stays PROG as typed.
 * 0, or -1 with err. */
int pkg_apply(struct pith_args *a, char *err, size_t errlen);
