/* The dependency resolver; the search rules are described in deps.h. Every
 * object is known by three paths: the guest path the loader opens it under,
 * its path inside its root (a sysroot, or "" for the host) as opened, which
 * $ORIGIN is taken from, and its canonical path there, which identifies it. */
#define _GNU_SOURCE
#include "deps.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "deps_elf.h"
#include "deps_path.h"
#include "../klib/path.h"
#include "manifest.h"

#define MAX_SYMLINK_HOPS 40
#define MAX_OBJECTS 4096

static const char *const glibc_default_dirs[] = {
    "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64", "/lib", "/usr/lib",
};
/* Debian's glibc expands $LIB to its multiarch directory. */
#define GLIBC_LIB "lib/x86_64-linux-gnu"
#define GLIBC_PLATFORM "x86_64"

#define GCONV_DIR "/usr/lib/x86_64-linux-gnu/gconv"
static const char *const gconv_modules[] = {
    "UTF-16.so", "UTF-32.so", "UTF-7.so", "UNICODE.so", "ISO8859-15.so", "CP1252.so",
};

struct object {
    char *guest;            /* as the loader opens it */
    const char *root;       /* "" or the sysroot */
    char *jpath;            /* inside root, as opened: $ORIGIN comes from here */
    char *canon;            /* canonical inside root */
    dev_t dev;
    ino_t ino;
    int loader;             /* index of the object whose DT_NEEDED brought it, -1 */
    char *name;             /* that DT_NEEDED name, NULL for the program and interpreter */
    bool is_interp;
    struct dyn_info dyn;
};

/* One directory to try: the same place seen from the guest and from the host. */
struct search_dir {
    char guest[DEPS_PATH_MAX];
    const char *root;
    char jpath[DEPS_PATH_MAX];
};

struct ctx {
    struct deps *d;
    const char *sysroot;    /* canonical, "" for the host */
    struct object *objs;
    size_t nobjs, cap;
    struct strlist sys_dirs;    /* ld.so.conf or musl's path */
    char *err;
    size_t errlen;
};

static int fail(struct ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct ctx *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err, c->errlen, fmt, ap);
    va_end(ap);
    return -1;
}

static int oom(struct ctx *c) { return fail(c, "out of memory"); }

static void host_path(const char *root, const char *p, char *out, size_t outlen)
{
    snprintf(out, outlen, "%s%s", root, p);
}

/* ---- the result list ---- */

static struct deps_file *find_file(struct deps *d, const char *guest)
{
    for (size_t i = 0; i < d->nfiles; i++)
        if (strcmp(d->files[i].guest, guest) == 0) return &d->files[i];
    return NULL;
}

static int add_file(struct ctx *c, const char *guest, const char *host, const char *target, enum deps_role role)
{
    struct deps *d = c->d;
    if (d->nfiles == d->cap) {
        size_t ncap = d->cap ? d->cap * 2 : 32;
        struct deps_file *nf = realloc(d->files, ncap * sizeof *nf);
        if (!nf) return oom(c);
        d->files = nf;
        d->cap = ncap;
    }
    struct deps_file *f = &d->files[d->nfiles];
    *f = (struct deps_file){ .role = role };
    f->guest = strdup(guest);
    f->host = host ? strdup(host) : NULL;
    f->target = target ? strdup(target) : NULL;
    if (!f->guest || (host && !f->host) || (target && !f->target)) {
        free(f->guest);
        free(f->host);
        free(f->target);
        return oom(c);
    }
    d->nfiles++;
    return 0;
}

/* Copy with truncation; callers bound their inputs, this only keeps the copy safe. */
static void scopy(char *out, size_t outlen, const char *in)
{
    size_t n = strlen(in);
    if (n >= outlen) n = outlen - 1;
    memcpy(out, in, n);
    out[n] = 0;
}

static void dirname_of(const char *path, char *out, size_t outlen)
{
    scopy(out, outlen, path);
    char *slash = strrchr(out, '/');
    if (slash == out) out[1] = 0;
    else if (slash) *slash = 0;
}

/* Put guest path g (jpath j inside root) into the result. A symlink stays a
 * symlink when the guest, resolving it lexically in its plain directories,
 * reaches the same file as the host does; its target is then placed too.
 * Otherwise the file itself is copied to g. */
static int place(struct ctx *c, const char *g, const char *root, const char *j, enum deps_role role, int hops)
{
    if (find_file(c->d, g)) return 0;
    if (hops > MAX_SYMLINK_HOPS) return fail(c, "%s: too many levels of symbolic links", g);
    char entry[DEPS_PATH_MAX], canon[DEPS_PATH_MAX], host[2 * DEPS_PATH_MAX];
    int rc = dpath_resolve(root, j, false, entry, sizeof entry);
    if (rc == 0) rc = dpath_resolve(root, j, true, canon, sizeof canon);
    if (rc != 0) {
        host_path(root, j, host, sizeof host);
        return fail(c, "%s: %s", host, strerror(-rc));
    }
    host_path(root, entry, host, sizeof host);
    struct stat st;
    if (lstat(host, &st) != 0) return fail(c, "%s: %s", host, strerror(errno));
    if (S_ISLNK(st.st_mode)) {
        char t[DEPS_PATH_MAX], tg[DEPS_PATH_MAX], tj[2 * DEPS_PATH_MAX], tcanon[DEPS_PATH_MAX], dir[DEPS_PATH_MAX];
        ssize_t n = readlink(host, t, sizeof t - 1);
        if (n <= 0) return fail(c, "%s: %s", host, n < 0 ? strerror(errno) : "empty symlink");
        t[n] = 0;
        const char *troot = root;
        if (t[0] == '/') {
            troot = c->sysroot;     /* absolute targets point into the image's root */
            snprintf(tj, sizeof tj, "%s", t);
            if (path_normalize(t, tg, sizeof tg) != 0) return fail(c, "%s: symlink target too long", host);
        } else {
            dirname_of(g, dir, sizeof dir);
            snprintf(tj, sizeof tj, "%s/%s", dir, t);
            if (path_normalize(tj, tg, sizeof tg) != 0) return fail(c, "%s: symlink target too long", host);
            dirname_of(entry, dir, sizeof dir);
            snprintf(tj, sizeof tj, "%s/%s", dir, t);
        }
        if (strcmp(troot, root) == 0 && dpath_resolve(troot, tj, true, tcanon, sizeof tcanon) == 0 &&
            strcmp(tcanon, canon) == 0) {
            if (add_file(c, g, NULL, strchr(t, '/') ? tg : t, role) != 0) return -1;
            return place(c, tg, troot, tj, role, hops + 1);
        }
    }
    host_path(root, canon, host, sizeof host);
    if (stat(host, &st) != 0) return fail(c, "%s: %s", host, strerror(errno));
    if (!S_ISREG(st.st_mode)) return fail(c, "%s: not a regular file", host);
    return add_file(c, g, host, NULL, role);
}

/* ---- objects ---- */

static struct object *new_object(struct ctx *c)
{
    if (c->nobjs >= MAX_OBJECTS) {
        fail(c, "more than %d shared objects", MAX_OBJECTS);
        return NULL;
    }
    if (c->nobjs == c->cap) {
        size_t ncap = c->cap ? c->cap * 2 : 32;
        struct object *no = realloc(c->objs, ncap * sizeof *no);
        if (!no) {
            oom(c);
            return NULL;
        }
        c->objs = no;
        c->cap = ncap;
    }
    struct object *o = &c->objs[c->nobjs++];
    memset(o, 0, sizeof *o);
    o->loader = -1;
    return o;
}

static void free_objects(struct ctx *c)
{
    for (size_t i = 0; i < c->nobjs; i++) {
        struct object *o = &c->objs[i];
        free(o->guest);
        free(o->jpath);
        free(o->canon);
        free(o->name);
        dyn_free(&o->dyn);
    }
    free(c->objs);
}

static void obj_host(const struct object *o, char *out, size_t outlen)
{
    host_path(o->root, o->canon, out, outlen);
}

/* musl's loader answers these names with itself: libc, libm, libpthread ... are one file. */
static bool musl_builtin_name(const char *name)
{
    static const char *const builtin[] = { "c", "pthread", "rt", "m", "dl", "util", "xnet" };
    if (strncmp(name, "lib", 3) != 0) return false;
    for (size_t i = 0; i < sizeof builtin / sizeof builtin[0]; i++) {
        size_t l = strlen(builtin[i]);
        if (strncmp(name + 3, builtin[i], l) == 0 && (!name[3 + l] || strncmp(name + 3 + l, ".so", 3) == 0))
            return true;
    }
    return false;
}

static bool already_loaded(struct ctx *c, const char *name)
{
    for (size_t i = 0; i < c->nobjs; i++) {
        const struct object *o = &c->objs[i];
        if ((o->name && strcmp(o->name, name) == 0) || (o->dyn.soname && strcmp(o->dyn.soname, name) == 0))
            return true;
        if (o->is_interp && c->d->musl && musl_builtin_name(name)) return true;
    }
    return false;
}

/* ---- search directories ---- */

/* Substitute the dynamic string tokens in `in`. origin: the directory to use
 * for $ORIGIN; only $ORIGIN is known to musl. Returns whether $ORIGIN occurred. */
static bool subst(const char *in, const char *origin, bool musl, char *out, size_t outlen, bool *overflow)
{
    static const struct { const char *name; const char *glibc_only; } toks[] = {
        { "ORIGIN", NULL }, { "LIB", GLIBC_LIB }, { "PLATFORM", GLIBC_PLATFORM },
    };
    size_t o = 0;
    bool used_origin = false;
    *overflow = false;
    for (const char *p = in; *p;) {
        const char *val = NULL;
        size_t skip = 0;
        if (*p == '$') {
            for (size_t i = 0; i < sizeof toks / sizeof toks[0] && !val; i++) {
                size_t l = strlen(toks[i].name);
                if (toks[i].glibc_only && musl) continue;
                if (p[1] == '{' && strncmp(p + 2, toks[i].name, l) == 0 && p[2 + l] == '}') skip = l + 3;
                else if (strncmp(p + 1, toks[i].name, l) == 0 && !(p[1 + l] == '_' || (p[1 + l] >= 'a' && p[1 + l] <= 'z') ||
                                                                   (p[1 + l] >= 'A' && p[1 + l] <= 'Z') ||
                                                                   (p[1 + l] >= '0' && p[1 + l] <= '9')))
                    skip = l + 1;
                if (skip) {
                    val = toks[i].glibc_only ? toks[i].glibc_only : origin;
                    used_origin |= !toks[i].glibc_only;
                }
            }
        }
        if (!val) {
            if (o + 1 >= outlen) { *overflow = true; break; }
            out[o++] = *p++;
            continue;
        }
        size_t l = strlen(val);
        if (o + l >= outlen) { *overflow = true; break; }
        memcpy(out + o, val, l);
        o += l;
        p += skip;
    }
    out[o < outlen ? o : outlen - 1] = 0;
    return used_origin;
}

struct dir_list {
    struct search_dir *v;
    size_t n, cap;
};

static int push_dir(struct ctx *c, struct dir_list *l, const char *guest, const char *root, const char *jpath)
{
    char g[DEPS_PATH_MAX], rel[DEPS_PATH_MAX + 2];
    /* A relative entry is relative to the current directory, "/" in the guest. */
    if (guest[0] != '/') {
        snprintf(rel, sizeof rel, "/%s", guest);
        guest = jpath = rel;
    }
    if (path_normalize(guest, g, sizeof g) != 0) return 0;
    for (size_t i = 0; i < l->n; i++)   /* ld.so.conf often repeats the default directories */
        if (strcmp(l->v[i].guest, g) == 0 && l->v[i].root == root && strcmp(l->v[i].jpath, jpath) == 0) return 0;
    if (l->n == l->cap) {
        size_t ncap = l->cap ? l->cap * 2 : 16;
        struct search_dir *nv = realloc(l->v, ncap * sizeof *nv);
        if (!nv) return oom(c);
        l->v = nv;
        l->cap = ncap;
    }
    struct search_dir *s = &l->v[l->n++];
    scopy(s->guest, sizeof s->guest, g);
    s->root = root;
    scopy(s->jpath, sizeof s->jpath, jpath);
    return 0;
}

/* The entries of a DT_RPATH/DT_RUNPATH string of object `oi`. */
static int push_path_string(struct ctx *c, struct dir_list *l, const char *str, size_t oi)
{
    const struct object *o = &c->objs[oi];
    char gorigin[DEPS_PATH_MAX], jorigin[DEPS_PATH_MAX], entry[DEPS_PATH_MAX];
    char g[DEPS_PATH_MAX], j[DEPS_PATH_MAX];
    dirname_of(o->guest, gorigin, sizeof gorigin);
    dirname_of(o->jpath, jorigin, sizeof jorigin);
    for (const char *p = str; *p;) {
        size_t n = strcspn(p, ":");
        if (n > 0 && n < sizeof entry) {
            memcpy(entry, p, n);
            entry[n] = 0;
            bool of1, of2;
            bool origin = subst(entry, gorigin, c->d->musl, g, sizeof g, &of1);
            subst(entry, jorigin, c->d->musl, j, sizeof j, &of2);
            if (!of1 && !of2 && push_dir(c, l, g, origin ? o->root : c->sysroot, j) != 0) return -1;
        }
        p += n;
        if (*p == ':') p++;
    }
    return 0;
}

static int search_dirs(struct ctx *c, size_t from, struct dir_list *l)
{
    const struct object *f = &c->objs[from];
    if (c->d->musl) {
        for (int i = (int)from; i >= 0; i = c->objs[i].loader) {
            const char *p = c->objs[i].dyn.runpath ? c->objs[i].dyn.runpath : c->objs[i].dyn.rpath;
            if (p && push_path_string(c, l, p, (size_t)i) != 0) return -1;
        }
    } else {
        if (!f->dyn.runpath)
            for (int i = (int)from; i >= 0; i = c->objs[i].loader)
                if (c->objs[i].dyn.rpath && !c->objs[i].dyn.runpath &&
                    push_path_string(c, l, c->objs[i].dyn.rpath, (size_t)i) != 0)
                    return -1;
        if (f->dyn.runpath && push_path_string(c, l, f->dyn.runpath, from) != 0) return -1;
    }
    for (size_t i = 0; i < c->sys_dirs.n; i++)
        if (push_dir(c, l, c->sys_dirs.v[i], c->sysroot, c->sys_dirs.v[i]) != 0) return -1;
    if (!c->d->musl)
        for (size_t i = 0; i < sizeof glibc_default_dirs / sizeof glibc_default_dirs[0]; i++)
            if (push_dir(c, l, glibc_default_dirs[i], c->sysroot, glibc_default_dirs[i]) != 0) return -1;
    return 0;
}

/* ---- resolving one DT_NEEDED ---- */

/* Outcome of trying one candidate file. */
enum try_result { TRY_FOUND, TRY_ABSENT, TRY_SKIPPED, TRY_ERROR };

static enum try_result try_candidate(struct ctx *c, size_t from, const char *name, const struct search_dir *s,
                                     char *note, size_t notelen)
{
    char g[DEPS_PATH_MAX], j[2 * DEPS_PATH_MAX], canon[DEPS_PATH_MAX], host[2 * DEPS_PATH_MAX], why[256];
    snprintf(j, sizeof j, "%s/%s", s->guest, name);
    if (path_normalize(j, g, sizeof g) != 0) return TRY_ABSENT;
    snprintf(j, sizeof j, "%s/%s", s->jpath, name);
    int rc = dpath_resolve(s->root, j, true, canon, sizeof canon);
    if (rc == -ENOENT || rc == -ENOTDIR) return TRY_ABSENT;
    host_path(s->root, rc == 0 ? canon : j, host, sizeof host);
    if (rc != 0) {
        if (!note[0]) snprintf(note, notelen, "%s: %s", host, strerror(-rc));
        return TRY_SKIPPED;
    }
    struct dyn_info dyn;
    rc = dyn_read(host, true, &dyn, why, sizeof why);
    if (rc == DYN_MALFORMED) {
        char needer[2 * DEPS_PATH_MAX];
        obj_host(&c->objs[from], needer, sizeof needer);
        fail(c, "%s: %s (needed by %s)", host, why, needer);
        return TRY_ERROR;
    }
    if (rc != 0) {
        /* Like ld.so: remember why and keep looking in the next directory. */
        if (!note[0]) snprintf(note, notelen, "%s: %s", host, why);
        return TRY_SKIPPED;
    }
    struct stat st;
    if (stat(host, &st) != 0) {
        dyn_free(&dyn);
        return TRY_ABSENT;
    }
    for (size_t i = 0; i < c->nobjs; i++) {
        if (c->objs[i].dev == st.st_dev && c->objs[i].ino == st.st_ino) {
            /* The same file under another name: the loader reuses it, but
             * opens this path first, so the path must exist in the guest. */
            dyn_free(&dyn);
            return place(c, g, s->root, j, DEPS_LIBRARY, 0) == 0 ? TRY_FOUND : TRY_ERROR;
        }
    }
    struct object *o = new_object(c);
    if (!o) {
        dyn_free(&dyn);
        return TRY_ERROR;
    }
    o->dyn = dyn;
    o->root = s->root;
    o->dev = st.st_dev;
    o->ino = st.st_ino;
    o->loader = (int)from;
    o->guest = strdup(g);
    o->jpath = strdup(j);
    o->canon = strdup(canon);
    o->name = strdup(name);
    if (!o->guest || !o->jpath || !o->canon || !o->name) {
        oom(c);
        return TRY_ERROR;
    }
    return place(c, g, s->root, j, DEPS_LIBRARY, 0) == 0 ? TRY_FOUND : TRY_ERROR;
}

static int resolve_needed(struct ctx *c, size_t from, const char *name, bool optional)
{
    if (already_loaded(c, name)) return 0;
    struct dir_list dirs = { 0 };
    char note[2 * DEPS_PATH_MAX + 512] = "";
    const char *leaf = name;
    int rc = 0;
    if (strchr(name, '/')) {
        /* A path: opened as it is (relative to the guest's "/"), no search. */
        char dir[DEPS_PATH_MAX], abs[DEPS_PATH_MAX + 2];
        snprintf(abs, sizeof abs, "%s%s", name[0] == '/' ? "" : "/", name);
        dirname_of(abs, dir, sizeof dir);
        leaf = strrchr(name, '/') + 1;
        rc = push_dir(c, &dirs, dir, c->sysroot, dir);
    } else {
        rc = search_dirs(c, from, &dirs);
    }
    enum try_result r = TRY_ABSENT;
    for (size_t i = 0; rc == 0 && i < dirs.n; i++) {
        r = try_candidate(c, from, leaf, &dirs.v[i], note, sizeof note);
        if (r == TRY_ERROR) rc = -1;
        if (r == TRY_FOUND || r == TRY_ERROR) break;
    }
    if (rc == 0 && r != TRY_FOUND && !optional) {
        char needer[2 * DEPS_PATH_MAX], searched[1024] = "";
        obj_host(&c->objs[from], needer, sizeof needer);
        size_t o = 0;
        for (size_t i = 0; i < dirs.n && o < sizeof searched; i++)
            o += (size_t)snprintf(searched + o, sizeof searched - o, "%s%s", i ? ":" : "", dirs.v[i].guest);
        if (o >= sizeof searched) strcpy(searched + sizeof searched - 4, "...");
        if (note[0])
            fail(c, "%s: needs %s, no usable copy: %s (searched %s%s)", needer, name, note, searched,
                 c->sysroot[0] ? " in the sysroot" : "");
        else
            fail(c, "%s: needs %s, not found (searched %s%s)", needer, name, searched,
                 c->sysroot[0] ? " in the sysroot" : "");
        rc = -1;
    }
    free(dirs.v);
    return rc;
}

/* ---- extras ---- */

static int place_if_present(struct ctx *c, const char *guest)
{
    char canon[DEPS_PATH_MAX];
    if (dpath_resolve(c->sysroot, guest, true, canon, sizeof canon) != 0) return 0;
    return place(c, guest, c->sysroot, guest, DEPS_EXTRA, 0);
}

static int add_gconv(struct ctx *c)
{
    char path[DEPS_PATH_MAX], canon[DEPS_PATH_MAX], host[2 * DEPS_PATH_MAX];
    if (place_if_present(c, GCONV_DIR "/gconv-modules") != 0 ||
        place_if_present(c, GCONV_DIR "/gconv-modules.cache") != 0)
        return -1;
    for (size_t i = 0; i < sizeof gconv_modules / sizeof gconv_modules[0]; i++) {
        snprintf(path, sizeof path, GCONV_DIR "/%s", gconv_modules[i]);
        if (place_if_present(c, path) != 0) return -1;
    }
    if (dpath_resolve(c->sysroot, GCONV_DIR "/gconv-modules.d", true, canon, sizeof canon) != 0) return 0;
    host_path(c->sysroot, canon, host, sizeof host);
    DIR *d = opendir(host);
    if (!d) return 0;
    struct dirent *e;
    int rc = 0;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (n < 6 || strcmp(e->d_name + n - 5, ".conf") != 0) continue;
        snprintf(path, sizeof path, GCONV_DIR "/gconv-modules.d/%s", e->d_name);
        rc = place_if_present(c, path);
    }
    closedir(d);
    return rc;
}

static int add_extras(struct ctx *c)
{
    if (place_if_present(c, "/etc/ssl/certs/ca-certificates.crt") != 0) return -1;
    if (c->d->musl) return 0;
    if (place_if_present(c, "/etc/nsswitch.conf") != 0) return -1;
    /* glibc dlopens these from libc; like a DT_NEEDED of the program, but optional. */
    size_t first_new = c->nobjs;
    if (resolve_needed(c, 0, "libnss_files.so.2", true) != 0 || resolve_needed(c, 0, "libnss_dns.so.2", true) != 0)
        return -1;
    for (size_t i = first_new; i < c->nobjs; i++)
        for (size_t k = 0; k < c->objs[i].dyn.nneeded; k++)
            if (resolve_needed(c, i, c->objs[i].dyn.needed[k], false) != 0) return -1;
    return add_gconv(c);
}

/* ---- entry points ---- */

int deps_program_guest_path(const char *program, const char *sysroot, char *out, size_t outlen)
{
    char real[PATH_MAX], root[PATH_MAX];
    int n;
    if (sysroot && sysroot[0] && realpath(program, real) && realpath(sysroot, root)) {
        size_t rl = strlen(root);
        if (strcmp(root, "/") != 0 && strncmp(real, root, rl) == 0 && real[rl] == '/') {
            n = snprintf(out, outlen, "%s", real + rl);
            return n > 1 && (size_t)n < outlen ? 0 : -1;
        }
    }
    if (program[0] == '/') {
        n = snprintf(out, outlen, "%s", program);
    } else {
        const char *base = strrchr(program, '/');
        n = snprintf(out, outlen, "/%s", base ? base + 1 : program);
    }
    return n > 1 && (size_t)n < outlen ? 0 : -1;
}

static int load_program(struct ctx *c, const char *program, const char *guest)
{
    char why[256], real[PATH_MAX], norm[DEPS_PATH_MAX];
    struct object *o = new_object(c);
    if (!o) return -1;
    int rc = dyn_read(program, false, &o->dyn, why, sizeof why);
    if (rc != 0) return fail(c, "%s: %s", program, why);
    if (!realpath(program, real)) return fail(c, "%s: %s", program, strerror(errno));
    if (path_normalize(guest, norm, sizeof norm) != 0) return fail(c, "%s: bad guest path %s", program, guest);
    size_t rl = strlen(c->sysroot);
    o->root = rl && strncmp(real, c->sysroot, rl) == 0 && real[rl] == '/' ? c->sysroot : "";
    o->guest = strdup(norm);
    o->jpath = strdup(real + strlen(o->root));
    o->canon = strdup(real + strlen(o->root));
    struct stat st;
    if (!o->guest || !o->jpath || !o->canon) return oom(c);
    if (stat(real, &st) != 0) return fail(c, "%s: %s", program, strerror(errno));
    o->dev = st.st_dev;
    o->ino = st.st_ino;
    if (o->dyn.nneeded && !o->dyn.interp)
        return fail(c, "%s: needs shared libraries but names no interpreter (PT_INTERP)", program);
    return add_file(c, norm, program, NULL, DEPS_PROGRAM);
}

static int load_interp(struct ctx *c, const char *program)
{
    const char *interp = c->objs[0].dyn.interp;
    char canon[DEPS_PATH_MAX], host[2 * DEPS_PATH_MAX], why[256];
    const char *base = strrchr(interp, '/') + 1;
    c->d->musl = strncmp(base, "ld-musl-", 8) == 0;
    if (!(c->d->interp = strdup(interp))) return oom(c);
    int rc = dpath_resolve(c->sysroot, interp, true, canon, sizeof canon);
    if (rc != 0)
        return fail(c, "%s: interpreter %s: %s%s", program, interp, strerror(-rc), c->sysroot[0] ? " in the sysroot" : "");
    host_path(c->sysroot, canon, host, sizeof host);
    struct object *o = new_object(c);
    if (!o) return -1;
    o->is_interp = true;
    o->root = c->sysroot;
    rc = dyn_read(host, true, &o->dyn, why, sizeof why);
    if (rc != 0) return fail(c, "%s: %s (the interpreter of %s)", host, why, program);
    struct stat st;
    if (stat(host, &st) != 0) return fail(c, "%s: %s", host, strerror(errno));
    o->dev = st.st_dev;
    o->ino = st.st_ino;
    o->guest = strdup(interp);
    o->jpath = strdup(interp);
    o->canon = strdup(canon);
    if (!o->guest || !o->jpath || !o->canon) return oom(c);
    return place(c, interp, c->sysroot, interp, DEPS_INTERP, 0);
}

/* The objects of opt->extra become roots of their own loader chains (for
 * $ORIGIN and RPATH); they are already in the image, so nothing is placed
 * for them, only for what they need. */
static int add_extra_objects(struct ctx *c, const struct deps_options *opt)
{
    size_t first = c->nobjs;
    for (size_t e = 0; e < opt->nextra; e++) {
        char why[256], real[PATH_MAX], norm[DEPS_PATH_MAX];
        struct dyn_info dyn;
        struct stat st;
        /* What the guest's loader would refuse is not followed either. */
        if (dyn_read(opt->extra[e].host, true, &dyn, why, sizeof why) != 0) continue;
        bool skip = !dyn.nneeded || !realpath(opt->extra[e].host, real) || stat(real, &st) != 0 ||
                    path_normalize(opt->extra[e].guest, norm, sizeof norm) != 0;
        for (size_t i = 0; i < c->nobjs && !skip; i++)
            skip = c->objs[i].dev == st.st_dev && c->objs[i].ino == st.st_ino;
        if (skip) {
            dyn_free(&dyn);
            continue;
        }
        struct object *o = new_object(c);
        if (!o) {
            dyn_free(&dyn);
            return -1;
        }
        size_t rl = strlen(c->sysroot);
        o->dyn = dyn;
        o->root = rl && strncmp(real, c->sysroot, rl) == 0 && real[rl] == '/' ? c->sysroot : "";
        o->dev = st.st_dev;
        o->ino = st.st_ino;
        o->guest = strdup(norm);
        o->jpath = strdup(real + strlen(o->root));
        o->canon = strdup(real + strlen(o->root));
        if (!o->guest || !o->jpath || !o->canon) return oom(c);
    }
    for (size_t i = first; i < c->nobjs; i++)
        for (size_t k = 0; k < c->objs[i].dyn.nneeded; k++)
            if (resolve_needed(c, i, c->objs[i].dyn.needed[k], true) != 0) return -1;
    return 0;
}

static int collect(struct ctx *c, const char *program, const struct deps_options *opt)
{
    char guest[DEPS_PATH_MAX];
    if (opt && opt->program_guest) snprintf(guest, sizeof guest, "%s", opt->program_guest);
    else if (deps_program_guest_path(program, c->sysroot, guest, sizeof guest) != 0)
        return fail(c, "%s: path too long", program);
    if (load_program(c, program, guest) != 0) return -1;
    if (!c->objs[0].dyn.interp) return 0;   /* static: nothing to load */
    if (load_interp(c, program) != 0) return -1;
    int rc = c->d->musl ? dpath_musl_path(c->sysroot, &c->sys_dirs, c->err, c->errlen)
                        : dpath_ld_so_conf(c->sysroot, &c->sys_dirs, c->err, c->errlen);
    if (rc != 0) return -1;
    /* Breadth first, like ld.so: every object's DT_NEEDED in order; the
     * interpreter's own needs are its business (it has none). */
    for (size_t i = 0; i < c->nobjs; i++) {
        if (c->objs[i].is_interp) continue;
        for (size_t k = 0; k < c->objs[i].dyn.nneeded; k++)
            if (resolve_needed(c, i, c->objs[i].dyn.needed[k], false) != 0) return -1;
    }
    if (opt && opt->nextra && add_extra_objects(c, opt) != 0) return -1;
    /* The loader's own configuration decides where the guest looks, so it
     * is not an optional extra: musl reads its path file; glibc reaches the
     * ld.so.conf directories only through ld.so.cache. */
    if (place_if_present(c, c->d->musl ? "/etc/ld-musl-x86_64.path" : "/etc/ld.so.cache") != 0) return -1;
    if (opt && (opt->flags & DEPS_NO_EXTRAS)) return 0;
    return add_extras(c);
}

int deps_collect(const char *program, const struct deps_options *opt, struct deps **out, char *err, size_t errlen)
{
    *out = NULL;
    struct ctx c = { .err = err, .errlen = errlen, .sysroot = "" };
    char root[PATH_MAX];
    if (opt && opt->sysroot && opt->sysroot[0]) {
        struct stat st;
        if (!realpath(opt->sysroot, root) || stat(root, &st) != 0) {
            snprintf(err, errlen, "%s: %s", opt->sysroot, strerror(errno));
            return -1;
        }
        if (!S_ISDIR(st.st_mode)) {
            snprintf(err, errlen, "%s: sysroot is not a directory", opt->sysroot);
            return -1;
        }
        c.sysroot = strcmp(root, "/") == 0 ? "" : root;
    }
    if (!(c.d = calloc(1, sizeof *c.d))) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int rc = collect(&c, program, opt);
    free_objects(&c);
    strlist_free(&c.sys_dirs);
    if (rc != 0) {
        deps_free(c.d);
        return -1;
    }
    *out = c.d;
    return 0;
}

void deps_free(struct deps *d)
{
    if (!d) return;
    for (size_t i = 0; i < d->nfiles; i++) {
        free(d->files[i].guest);
        free(d->files[i].host);
        free(d->files[i].target);
    }
    free(d->files);
    free(d->interp);
    free(d);
}

int deps_add_to_manifest(const struct deps *d, struct manifest *m, char *err, size_t errlen)
{
    for (size_t i = 0; i < d->nfiles; i++) {
        const struct deps_file *f = &d->files[i];
        if (f->role == DEPS_PROGRAM) continue;
        bool present = false;
        for (size_t k = 0; k < m->nentries && !present; k++)
            present = strcmp(m->entries[k].guest, f->guest) == 0;
        if (present) continue;
        char why[512] = "";
        int rc = f->target ? manifest_add_symlink(m, f->guest, f->target, why, sizeof why)
                           : manifest_add_file(m, f->guest, f->host, MANIFEST_MODE_FROM_HOST, why, sizeof why);
        if (rc != 0) {
            snprintf(err, errlen, "%s: %s", f->target ? f->guest : f->host, why);
            return -1;
        }
    }
    return 0;
}
