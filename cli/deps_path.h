/* Path handling for the dependency resolver: resolving a path the way the
 * kernel would inside a root directory (a sysroot, or "" for the host), and
 * the loader's configured search directories. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#define DEPS_PATH_MAX 4096

/* Lexically normalise an absolute path (".", "..", "//" removed). Returns 0,
 * or -1 if `in` is relative or the result does not fit. */

/* Resolve `path` (absolute, inside `root`) as if `root` were "/": symlinks
 * are followed (absolute targets restart at root, ".." stops at root), the
 * last component only when follow_last. out gets the canonical path inside
 * root (root not included). Returns 0 or a negative errno (-ENOENT,
 * -ENOTDIR, -ELOOP, -ENAMETOOLONG, -EACCES ...). */
int dpath_resolve(const char *root, const char *path, bool follow_last, char *out, size_t outlen);

/* A growing list of strings. */
struct strlist {
    char **v;
    size_t n, cap;
};
int strlist_add(struct strlist *l, const char *s);   /* 0, or -1 when out of memory */
void strlist_free(struct strlist *l);

/* The directories glibc's ld.so.cache would cover: every directory line of
 * ROOT/etc/ld.so.conf and the files its `include` globs name (globs are
 * matched inside root), in file order, without duplicates. A missing
 * ld.so.conf gives an empty list. */
int dpath_ld_so_conf(const char *root, struct strlist *dirs, char *err, size_t errlen);

/* musl's system search path: ROOT/etc/ld-musl-x86_64.path (entries split at
 * ':' or newline) when present, else /lib:/usr/local/lib:/usr/lib. */
int dpath_musl_path(const char *root, struct strlist *dirs, char *err, size_t errlen);
