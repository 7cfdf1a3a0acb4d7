/* The package cache's layout and its small commands (ls, path, rm, clean).
 * Each tree carries its own record, CACHE/NAME/.pith-pkg:
 *   pith-pkg FORMAT                   PKG_FORMAT when written
 *   package NAME VERSION DEBFILE      one line per unpacked package, NAME's first
 * The .deb files stay in CACHE/.debs, so a tree rebuilt (or another tree that
 * shares libc6) costs no download. */
#define _GNU_SOURCE
#include "pkg.h"
#include "pkg_internal.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int pkg_fmt(char *out, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(out, len, fmt, ap);
    va_end(ap);
    return n;
}

int pkg_valid_name(const char *name)
{
    size_t n = strlen(name);
    if (n < 2 || n > 100 || !((name[0] >= 'a' && name[0] <= 'z') || (name[0] >= '0' && name[0] <= '9')))
        return 0;
    for (size_t i = 1; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.'))
            return 0;
    }
    return 1;
}

static int mkdir_p(const char *path)
{
    char buf[PATH_MAX];
    if (pkg_fmt(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
        return -1;
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0755) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return mkdir(buf, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

int pkg_cache_dir(char *out, size_t outlen, int create, char *err, size_t errlen)
{
    const char *env = getenv("PITH_PKG_DIR"), *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    int n;
    if (env && *env)
        n = pkg_fmt(out, outlen, "%s", env);
    else if (xdg && *xdg)
        n = pkg_fmt(out, outlen, "%s/pith/pkg", xdg);
    else if (home && *home)
        n = pkg_fmt(out, outlen, "%s/.cache/pith/pkg", home);
    else {
        pkg_fmt(err, errlen, "pkg: no cache directory: set XDG_CACHE_HOME, HOME or PITH_PKG_DIR");
        return -1;
    }
    if (n < 0 || (size_t)n >= outlen) {
        pkg_fmt(err, errlen, "pkg: cache directory path too long");
        return -1;
    }
    if (create && mkdir_p(out) != 0) {
        pkg_fmt(err, errlen, "%s: %s", out, strerror(errno));
        return -1;
    }
    return 0;
}

int pkg_tree_dir(const char *name, char *out, size_t outlen, char *err, size_t errlen)
{
    char cache[PATH_MAX], rec[PATH_MAX + 16];
    if (!pkg_valid_name(name)) {
        pkg_fmt(err, errlen, "%s: not a Debian package name", name);
        return -1;
    }
    if (pkg_cache_dir(cache, sizeof cache, 0, err, errlen) != 0)
        return -1;
    if ((size_t)pkg_fmt(out, outlen, "%s/%s", cache, name) >= outlen) {
        pkg_fmt(err, errlen, "%s: path too long", name);
        return -1;
    }
    pkg_fmt(rec, sizeof rec, "%s/" PKG_RECORD, out);
    if (access(rec, F_OK) != 0) {
        pkg_fmt(err, errlen, "%s: not fetched (run 'pith pkg get %s' first)", name, name);
        return -1;
    }
    return 0;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path) != 0 && errno != ENOENT ? -1 : 0;
}

int pkg_remove_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return errno == ENOENT ? 0 : -1;
    /* Trees hold read-only directories (dpkg-deb keeps the packages' modes). */
    if (S_ISDIR(st.st_mode))
        chmod(path, 0755);
    return nftw(path, remove_one, 32, FTW_DEPTH | FTW_PHYS);
}

int pkg_record_read(const char *tree, struct pkg_list *out)
{
    char path[PATH_MAX + 16], line[1024];
    pkg_fmt(path, sizeof path, "%s/" PKG_RECORD, tree);
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    int ok = fgets(line, sizeof line, f) && sscanf(line, "pith-pkg %d", &out->format) == 1 && out->format >= 1 &&
             out->format <= PKG_FORMAT;
    while (ok && fgets(line, sizeof line, f)) {
        struct pkg_item it;
        memset(&it, 0, sizeof it);
        if (sscanf(line, "package %127s %127s %255s", it.name, it.version, it.deb) != 3 || out->n == PKG_MAX) {
            ok = 0;
            break;
        }
        out->v[out->n++] = it;
    }
    fclose(f);
    return ok && out->n > 0 ? 0 : -1;
}

int pkg_record_write(const char *tree, const struct pkg_list *l)
{
    char path[PATH_MAX + 16];
    pkg_fmt(path, sizeof path, "%s/" PKG_RECORD, tree);
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fprintf(f, "pith-pkg %d\n", PKG_FORMAT);
    for (int i = 0; i < l->n; i++)
        fprintf(f, "package %s %s %s\n", l->v[i].name, l->v[i].version, l->v[i].deb);
    return fclose(f);
}

/* .tmp.PID.XXXXXX directories of a pith that is gone (killed mid-get). */
void pkg_sweep_stale(const char *cache)
{
    DIR *d = opendir(cache);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        int pid;
        if (sscanf(e->d_name, ".tmp.%d.", &pid) != 1 || pid <= 0 || pid == getpid())
            continue;
        if (kill(pid, 0) == 0 || errno == EPERM)
            continue;
        char path[PATH_MAX];
        if ((size_t)pkg_fmt(path, sizeof path, "%s/%s", cache, e->d_name) < sizeof path)
            pkg_remove_tree(path);
    }
    closedir(d);
}

/* nftw has no context argument. */
static unsigned long long du_total;

static int du_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)path;
    (void)flag;
    (void)ftw;
    du_total += (unsigned long long)st->st_blocks * 512;
    return 0;
}

void pkg_format_size(unsigned long long b, char *out, size_t len)
{
    if (b >= (1ull << 30))
        pkg_fmt(out, len, "%.1fG", b / (double)(1ull << 30));
    else if (b >= (1ull << 20))
        pkg_fmt(out, len, "%.1fM", b / (double)(1ull << 20));
    else
        pkg_fmt(out, len, "%lluK", (b + 1023) / 1024);
}

static int names_cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The trees in the cache, sorted; *n set. Free each and the array. */
static char **list_trees(const char *cache, int *n)
{
    *n = 0;
    DIR *d = opendir(cache);
    if (!d)
        return NULL;
    char **v = NULL;
    int cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char rec[PATH_MAX];
        if (e->d_name[0] == '.' ||
            (size_t)pkg_fmt(rec, sizeof rec, "%s/%s/" PKG_RECORD, cache, e->d_name) >= sizeof rec ||
            access(rec, F_OK) != 0)
            continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            char **nv = realloc(v, (size_t)cap * sizeof *v);
            if (!nv)
                break;
            v = nv;
        }
        if (!(v[*n] = strdup(e->d_name)))
            break;
        (*n)++;
    }
    closedir(d);
    if (*n)
        qsort(v, (size_t)*n, sizeof *v, names_cmp);
    return v;
}

int pkg_ls(void)
{
    char cache[PATH_MAX], err[512];
    if (pkg_cache_dir(cache, sizeof cache, 0, err, sizeof err) != 0) {
        fprintf(stderr, "pith: %s\n", err);
        return 2;
    }
    int n;
    char **names = list_trees(cache, &n);
    for (int i = 0; i < n; i++) {
        char tree[PATH_MAX], size[32];
        struct pkg_list l;
        pkg_fmt(tree, sizeof tree, "%s/%s", cache, names[i]);
        if (pkg_record_read(tree, &l) != 0) {
            printf("%s (damaged: no readable %s; pith pkg rm %s)\n", names[i], PKG_RECORD, names[i]);
        } else {
            du_total = 0;
            nftw(tree, du_one, 32, FTW_PHYS);
            pkg_format_size(du_total, size, sizeof size);
            printf("%s %s (%d package%s, %s)\n", names[i], l.v[0].version, l.n, l.n == 1 ? "" : "s", size);
        }
        free(names[i]);
    }
    free(names);
    return 0;
}

int pkg_rm(int argc, char **argv)
{
    char cache[PATH_MAX], err[512];
    if (argc < 2) {
        fprintf(stderr, "pith: pkg rm: usage: pith pkg rm NAME...\n");
        return 2;
    }
    if (pkg_cache_dir(cache, sizeof cache, 0, err, sizeof err) != 0) {
        fprintf(stderr, "pith: %s\n", err);
        return 2;
    }
    /* All names checked before anything goes. */
    for (int i = 1; i < argc; i++) {
        char tree[PATH_MAX];
        if (pkg_tree_dir(argv[i], tree, sizeof tree, err, sizeof err) != 0) {
            fprintf(stderr, "pith: pkg rm: %s\n", err);
            return 2;
        }
    }
    for (int i = 1; i < argc; i++) {
        char tree[PATH_MAX], doomed[PATH_MAX];
        pkg_fmt(tree, sizeof tree, "%s/%s", cache, argv[i]);
        /* Gone at once for everyone, however long the deletion takes. */
        pkg_fmt(doomed, sizeof doomed, "%s/.tmp.%d.rm-%s", cache, (int)getpid(), argv[i]);
        if (rename(tree, doomed) != 0 || pkg_remove_tree(doomed) != 0) {
            fprintf(stderr, "pith: pkg rm: %s: %s\n", tree, strerror(errno));
            return 2;
        }
    }
    return 0;
}

int pkg_clean(void)
{
    char cache[PATH_MAX], debs[PATH_MAX + 8], err[512];
    if (pkg_cache_dir(cache, sizeof cache, 0, err, sizeof err) != 0) {
        fprintf(stderr, "pith: %s\n", err);
        return 2;
    }
    pkg_sweep_stale(cache);
    int n;
    char **names = list_trees(cache, &n);
    static struct pkg_list used[64];
    int nused = 0;
    for (int i = 0; i < n; i++) {
        char tree[PATH_MAX];
        pkg_fmt(tree, sizeof tree, "%s/%s", cache, names[i]);
        if (nused < 64 && pkg_record_read(tree, &used[nused]) == 0)
            nused++;
        free(names[i]);
    }
    free(names);
    if (n > 64) {
        fprintf(stderr, "pith: pkg clean: more than 64 trees; nothing removed\n");
        return 2;
    }
    pkg_fmt(debs, sizeof debs, "%s/" PKG_DEBS, cache);
    DIR *d = opendir(debs);
    unsigned long long freed = 0;
    int removed = 0;
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (e->d_name[0] == '.')
                continue;
            int keep = 0;
            for (int t = 0; t < nused && !keep; t++)
                for (int k = 0; k < used[t].n && !keep; k++)
                    keep = strcmp(used[t].v[k].deb, e->d_name) == 0;
            char path[PATH_MAX * 2];
            struct stat st;
            pkg_fmt(path, sizeof path, "%s/%s", debs, e->d_name);
            if (!keep && lstat(path, &st) == 0 && unlink(path) == 0) {
                freed += (unsigned long long)st.st_size;
                removed++;
            }
        }
        closedir(d);
    }
    char size[32];
    pkg_format_size(freed, size, sizeof size);
    printf("removed %d .deb file%s (%s)\n", removed, removed == 1 ? "" : "s", size);
    return 0;
}
