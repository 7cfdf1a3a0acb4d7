/* Data trees an interpreter reads at run time that no ELF header names:
 * python's standard library is a directory of .py files (and lib-dynload
 * modules), not a DT_NEEDED library, so the dependency collector (deps.c)
 * cannot find it. A small table maps interpreter names to such trees;
 * `pith run /usr/bin/python3 -c ...` then works without -d. */
#pragma once
#include <stddef.h>

struct manifest;

struct runtime_tree {
    char host[4096];                /* the tree on the host (inside the sysroot) */
    char guest[4096];               /* where the guest's interpreter looks for it */
    const char *const *skip;        /* directory names left out, at any depth */
};

/* If `program` (a host path; symlinks resolved, inside sysroot when given)
 * is named like an interpreter of the table (python3.11...) and its tree
 * exists, fill t and return 1; else 0. */
int runtime_tree_find(const char *program, const char *sysroot, struct runtime_tree *t);

/* Add the tree's directories, files and symlinks to m, except the skipped
 * directories and any guest path already taken (a -f/-d wins). on_file is
 * called for every regular file added (the caller follows ELF modules'
 * libraries). 0, or -1 with "CULPRIT: reason" in err. */
int runtime_tree_add(const struct runtime_tree *t, struct manifest *m,
                     int (*on_file)(void *ctx, const char *host, const char *guest), void *ctx,
                     char *err, size_t errlen);
