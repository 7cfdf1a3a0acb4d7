/* Lexical path arithmetic shared by the kernel and the host tools: fold
 * ".", ".." and repeated slashes without looking at any filesystem. */
#pragma once
#include "types.h"

/* Step through a path's components: returns the next one (its length in
 * *len) and advances *p past it, or NULL at the end. Slashes are skipped. */
const char *path_component(const char **p, size_t *len);
/* Canonical form of absolute path `in` ("/a/./b/../c//" -> "/a/c").
 * 0, or -1 if `in` is not absolute or the result does not fit. */
int path_normalize(const char *in, char *out, size_t outlen);
/* path if absolute, else dir/path, in canonical form (dir must be absolute). */
int path_join(const char *dir, const char *path, char *out, size_t outlen);
