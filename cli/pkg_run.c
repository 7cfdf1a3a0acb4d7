/* `pith run --pkg NAME PROG`: the tree is the program's sysroot, so the one
 * library collector (cli/deps.c) finds the interpreter and libraries inside
 * it; this file only turns NAME and PROG into --sysroot, a host path for
 * PROG, and -d/-f entries for the tree's data.
 *
 * What of the tree goes into the image: everything except
 *  - other programs (/usr/bin, /usr/sbin, /usr/games, /usr/libexec): the
 *    guest runs one program and has no execve;
 *  - the library directories (/usr/lib/x86_64-linux-gnu, /usr/lib64 ...):
 *    the collector adds what the program and the tree's own modules
 *    (e.g. /usr/lib/nginx/modules) load;
 *  - documentation and translations (/usr/share/doc, man, info, locale ...);
 *  - symlinks that sit beside those directories (/bin -> usr/bin ...).
 * So /etc (the package's configuration), /usr/share/NAME, /var and the rest
 * arrive as the package left them. */
#define _GNU_SOURCE
#include "pkg.h"
#include "pkg_internal.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "deps_path.h"
#include "settings.h"

static const char *const left_out[] = {
    "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32",
    "/usr/bin", "/usr/sbin", "/usr/games", "/usr/libexec", "/usr/local/bin", "/usr/local/sbin",
    "/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib32", "/usr/libx32",
    "/usr/share/doc", "/usr/share/doc-base", "/usr/share/man", "/usr/share/info", "/usr/share/lintian",
    "/usr/share/locale", "/usr/share/bug", "/usr/share/bash-completion", "/usr/share/zsh", "/usr/share/menu",
    NULL,
};

/* Where a bare PROG is looked up (Debian's default PATH for root). */
static const char *const path_dirs[] = { "/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin" };

struct walk {
    struct pith_args *a;
    const char *tree;
    const char *program;    /* its guest path: added by run.c itself */
    const char *const *own; /* guest paths of the user's -f/-d: theirs win */
    int nown;
    char *err;
    size_t errlen;
};

static int excluded(const struct walk *w, const char *rel)
{
    if (!strcmp(rel, w->program))
        return 1;
    for (int i = 0; i < w->nown; i++)
        if (!strcmp(w->own[i], rel))
            return 1;
    for (const char *const *p = left_out; *p; p++)
        if (!strcmp(*p, rel))
            return 1;
    return 0;
}

/* Something under rel is left out: rel must be walked, not added whole. */
static int holds_excluded(const struct walk *w, const char *rel)
{
    size_t n = strlen(rel);
    if (!strncmp(w->program, rel, n) && w->program[n] == '/')
        return 1;
    for (int i = 0; i < w->nown; i++)
        if (!strncmp(w->own[i], rel, n) && w->own[i][n] == '/')
            return 1;
    for (const char *const *p = left_out; *p; p++)
        if (!strncmp(*p, rel, n) && (*p)[n] == '/')
            return 1;
    return 0;
}

static int add(struct walk *w, const char *host, const char *rel, int dir)
{
    char spec[PATH_MAX * 2 + 2];
    if ((size_t)snprintf(spec, sizeof spec, "%s:%s", host, rel) >= sizeof spec) {
        snprintf(w->err, w->errlen, "%s: path too long", host);
        return -1;
    }
    return args_add_file(w->a, spec, dir, NULL, w->err, w->errlen);
}

/* rel: "" for the root, else "/usr/share"... */
static int walk_dir(struct walk *w, const char *rel, int depth)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s%s", w->tree, rel);
    struct dirent **names;
    int n = scandir(dir, &names, NULL, alphasort);
    if (n < 0)
        return 0;
    int rc = 0;
    for (int i = 0; i < n; i++) {
        const char *name = names[i]->d_name;
        char crel[PATH_MAX], host[PATH_MAX];
        struct stat st;
        if (rc || !strcmp(name, ".") || !strcmp(name, "..") || (depth == 0 && !strncmp(name, PKG_RECORD, strlen(PKG_RECORD))) ||
            (size_t)snprintf(crel, sizeof crel, "%s/%s", rel, name) >= sizeof crel ||
            (size_t)snprintf(host, sizeof host, "%s%s", w->tree, crel) >= sizeof host || excluded(w, crel) ||
            lstat(host, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode))
            rc = holds_excluded(w, crel) ? walk_dir(w, crel, depth + 1) : add(w, host, crel, 1);
        else if (S_ISREG(st.st_mode))
            rc = add(w, host, crel, 0);
        /* symlinks here stand beside left-out directories: left out too */
    }
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return rc;
}

/* PROG inside the tree: its canonical path there (symlinks resolved inside
 * the tree, so /bin/busybox -> /usr/bin/busybox). */
static int find_program(const char *tree, const char *prog, char *out, size_t outlen, char *err, size_t errlen)
{
    if (strchr(prog, '/')) {
        if (prog[0] != '/') {
            snprintf(err, errlen, "--pkg: %s: give the program's absolute path inside the package (or a bare name)", prog);
            return -1;
        }
        int rc = dpath_resolve(tree, prog, true, out, outlen);
        if (rc != 0) {
            snprintf(err, errlen, "--pkg: %s: not in the package's tree (%s): %s", prog, tree, strerror(-rc));
            return -1;
        }
    } else {
        int found = 0;
        for (size_t i = 0; !found && i < sizeof path_dirs / sizeof path_dirs[0]; i++) {
            char cand[PATH_MAX], host[PATH_MAX * 2];
            struct stat st;
            snprintf(cand, sizeof cand, "%s/%s", path_dirs[i], prog);
            if (dpath_resolve(tree, cand, true, out, outlen) != 0)
                continue;
            snprintf(host, sizeof host, "%s%s", tree, out);
            found = stat(host, &st) == 0 && S_ISREG(st.st_mode);
        }
        if (!found) {
            snprintf(err, errlen, "--pkg: %s: no such program in the package's tree (looked in /usr/local/sbin, "
                                  "/usr/local/bin, /usr/sbin, /usr/bin, /sbin, /bin)", prog);
            return -1;
        }
    }
    return 0;
}

int pkg_apply(struct pith_args *a, char *err, size_t errlen)
{
    char tree[PATH_MAX], why[600], guest[PATH_MAX], host[PATH_MAX * 2];
    if (a->sysroot) {
        snprintf(err, errlen, "--pkg %s: the package's tree is the sysroot: no --sysroot with it", a->pkg);
        return -1;
    }
    if (pkg_tree_dir(a->pkg, tree, sizeof tree, why, sizeof why) != 0) {
        snprintf(err, errlen, "--pkg %s", why);
        return -1;
    }
    char real[PATH_MAX];
    if (realpath(tree, real))
        snprintf(tree, sizeof tree, "%s", real);
    if (find_program(tree, a->program, guest, sizeof guest, err, errlen) != 0)
        return -1;
    snprintf(host, sizeof host, "%s%s", tree, guest);
    a->program_argv0 = a->program;
    a->program = args_keep(a, strdup(host));
    a->sysroot = args_keep(a, strdup(tree));
    a->sysroot_set = 1;
    if (!a->program || !a->sysroot) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    /* What -f/-d (command line and config) put somewhere stays theirs. */
    int nown = a->filec;
    char **own = calloc((size_t)nown + 1, sizeof *own);
    if (!own) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (int i = 0; i < nown; i++) {
        char g[PATH_MAX];
        if (a->files[i].guest)
            snprintf(g, sizeof g, "%s", a->files[i].guest);
        else   /* image_build.c's rule (linking it would pull the boot blobs into unit tests) */
            snprintf(g, sizeof g, "/%s", strrchr(a->files[i].host, '/') ? strrchr(a->files[i].host, '/') + 1 : a->files[i].host);
        if (a->files[i].host[0] == '/' && !a->files[i].guest)
            snprintf(g, sizeof g, "%s", a->files[i].host);
        size_t l = strlen(g);
        while (l > 1 && g[l - 1] == '/')
            g[--l] = '\0';
        own[i] = strdup(g);
    }
    struct walk w = { a, a->sysroot, guest, (const char *const *)own, nown, err, errlen };
    int rc = walk_dir(&w, "", 0);
    for (int i = 0; i < nown; i++)
        free(own[i]);
    free(own);
    return rc;
}
