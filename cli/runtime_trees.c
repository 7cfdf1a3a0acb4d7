/* The table is the whole policy: one line per interpreter family. Trees are
 * copied file by file (not as one manifest tree) so the skip list can keep
 * the image small: the test suite and the host's third-party packages
 * (site-packages, dist-packages) stay out; add them with -d when needed. */
#define _GNU_SOURCE
#include "runtime_trees.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "deps.h"
#include "deps_path.h"
#include "guest_etc.h"
#include "manifest.h"

struct runtime_rule {
    const char *prefix;             /* the program is named PREFIX + version ("3.11") */
    const char *tree;               /* guest directory; %s is the program's name */
    const char *const *skip;
};

/* __pycache__ is kept: the compiled modules spare the guest compiling the
 * standard library on every run (it cannot keep them: each run is a fresh image). */
static const char *const python_skip[] = { "test", "tests", "idle_test", "site-packages", "dist-packages", NULL };

static const struct runtime_rule rules[] = {
    { "python", "/usr/lib/%s", python_skip },
};

/* PREFIX followed by a dotted version, nothing else: python3.11 yes,
 * python3 (a symlink we resolve first) and python3.11-config no. */
static int matches(const char *name, const char *prefix)
{
    size_t n = strlen(prefix);
    if (strncmp(name, prefix, n) != 0)
        return 0;
    const char *p = name + n;
    int dots = 0;
    for (;;) {
        if (!isdigit((unsigned char)*p))
            return 0;
        while (isdigit((unsigned char)*p))
            p++;
        if (*p == '\0')
            return dots > 0;
        if (*p != '.')
            return 0;
        p++;
        dots++;
    }
}

/* The program's real name: /usr/bin/python3 -> python3.11. */
static int resolved_name(const char *program, const char *sysroot, char *out, size_t outlen)
{
    char guest[PATH_MAX], real[PATH_MAX];
    if (sysroot && *sysroot && deps_program_guest_path(program, sysroot, guest, sizeof guest) == 0 &&
        dpath_resolve(sysroot, guest, true, real, sizeof real) == 0) {
        /* resolved inside the sysroot */
    } else if (!realpath(program, real)) {
        return -1;
    }
    const char *base = strrchr(real, '/');
    base = base ? base + 1 : real;
    return (size_t)snprintf(out, outlen, "%s", base) < outlen ? 0 : -1;
}

int runtime_tree_find(const char *program, const char *sysroot, struct runtime_tree *t)
{
    char name[256];
    if (resolved_name(program, sysroot, name, sizeof name) != 0)
        return 0;
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++) {
        if (!matches(name, rules[i].prefix))
            continue;
        int n = snprintf(t->guest, sizeof t->guest, rules[i].tree, name);
        if (n < 0 || (size_t)n >= sizeof t->guest)
            return 0;
        n = snprintf(t->host, sizeof t->host, "%s%s", sysroot && *sysroot ? sysroot : "", t->guest);
        if (n < 0 || (size_t)n >= sizeof t->host)
            return 0;
        struct stat st;
        if (stat(t->host, &st) != 0 || !S_ISDIR(st.st_mode))
            return 0;
        t->skip = rules[i].skip;
        return 1;
    }
    return 0;
}

static int skipped(const struct runtime_tree *t, const char *name)
{
    for (const char *const *s = t->skip; s && *s; s++)
        if (strcmp(*s, name) == 0)
            return 1;
    return 0;
}

struct walk {
    const struct runtime_tree *t;
    struct manifest *m;
    int (*on_file)(void *ctx, const char *host, const char *guest);
    void *ctx;
    char *err;
    size_t errlen;
};

static int walk_dir(struct walk *w, const char *host, const char *guest, int depth)
{
    if (depth > 32)
        return 0;
    DIR *d = opendir(host);
    if (!d)
        return 0;   /* an unreadable corner of the host's tree: left out, as python would fail on it there */
    char *hp = malloc(PATH_MAX), *gp = malloc(PATH_MAX), *target = malloc(PATH_MAX), why[512];
    int rc = hp && gp && target ? 0 : -1;
    if (rc)
        snprintf(w->err, w->errlen, "%s: out of memory", host);
    struct dirent *e;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if ((size_t)snprintf(hp, PATH_MAX, "%s/%s", host, e->d_name) >= PATH_MAX ||
            (size_t)snprintf(gp, PATH_MAX, "%s/%s", guest, e->d_name) >= PATH_MAX)
            continue;
        struct stat st;
        if (lstat(hp, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            if (skipped(w->t, e->d_name))
                continue;
            if (!guest_path_taken(w->m, gp) && manifest_add_dir(w->m, gp, st.st_mode & 07777, why, sizeof why) != 0)
                rc = -1;
            else
                rc = walk_dir(w, hp, gp, depth + 1);
        } else if (guest_path_taken(w->m, gp)) {
            continue;
        } else if (S_ISREG(st.st_mode)) {
            if (access(hp, R_OK) != 0)
                continue;
            if (manifest_add_file(w->m, gp, hp, MANIFEST_MODE_FROM_HOST, why, sizeof why) != 0)
                rc = -1;
            else if (w->on_file && w->on_file(w->ctx, hp, gp) != 0)
                rc = -1, snprintf(why, sizeof why, "out of memory");
        } else if (S_ISLNK(st.st_mode)) {
            ssize_t n = readlink(hp, target, PATH_MAX - 1);
            if (n <= 0)
                continue;
            target[n] = '\0';
            if (manifest_add_symlink(w->m, gp, target, why, sizeof why) != 0)
                rc = -1;
        }
        if (rc && !w->err[0])
            snprintf(w->err, w->errlen, "%s: %s", hp, why);
    }
    closedir(d);
    free(hp);
    free(gp);
    free(target);
    return rc;
}

int runtime_tree_add(const struct runtime_tree *t, struct manifest *m,
                     int (*on_file)(void *ctx, const char *host, const char *guest), void *ctx,
                     char *err, size_t errlen)
{
    /* The user's own copy of the tree (-f/-d) wins as a whole. */
    if (guest_path_taken(m, t->guest))
        return 0;
    char why[512];
    struct stat st;
    if (stat(t->host, &st) != 0) {
        snprintf(err, errlen, "%s: %s", t->host, strerror(errno));
        return -1;
    }
    if (manifest_add_dir(m, t->guest, st.st_mode & 07777, why, sizeof why) != 0) {
        snprintf(err, errlen, "%s: %s", t->host, why);
        return -1;
    }
    if (err && errlen)
        err[0] = '\0';
    struct walk w = { t, m, on_file, ctx, err, errlen };
    return walk_dir(&w, t->host, t->guest, 0);
}
