#define _GNU_SOURCE
#include "deps_path.h"
#include "../klib/path.h"

#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Linux gives up after 40 symlinks in one lookup; so do we. */
#define MAX_SYMLINKS 40
#define MAX_INCLUDE_DEPTH 8

int dpath_resolve(const char *root, const char *path, bool follow_last, char *out, size_t outlen)
{
    char rest[2 * DEPS_PATH_MAX], host[2 * DEPS_PATH_MAX], link[DEPS_PATH_MAX];
    size_t o = 0;   /* out[0..o) is the canonical prefix; "" stands for "/" */
    int links = 0;
    if (path[0] != '/') return -EINVAL;
    if (strlen(path) >= sizeof rest) return -ENAMETOOLONG;
    strcpy(rest, path);
    size_t r = 0;   /* next unread byte of rest */
    for (;;) {
        while (rest[r] == '/') r++;
        if (!rest[r]) break;
        size_t s = r;
        while (rest[r] && rest[r] != '/') r++;
        size_t n = r - s;
        bool last = true;
        for (size_t k = r; rest[k]; k++)
            if (rest[k] != '/') { last = false; break; }
        if (n == 1 && rest[s] == '.') continue;
        if (n == 2 && rest[s] == '.' && rest[s + 1] == '.') {
            while (o > 0 && out[o - 1] != '/') o--;
            if (o > 0) o--;
            continue;
        }
        if (o + 1 + n + 1 > outlen) return -ENAMETOOLONG;
        size_t before = o;
        out[o++] = '/';
        memcpy(out + o, rest + s, n);
        o += n;
        out[o] = 0;
        if (last && !follow_last) break;
        if ((size_t)snprintf(host, sizeof host, "%s%s", root, out) >= sizeof host) return -ENAMETOOLONG;
        struct stat st;
        if (lstat(host, &st) != 0) return -errno;
        if (S_ISLNK(st.st_mode)) {
            if (++links > MAX_SYMLINKS) return -ELOOP;
            ssize_t len = readlink(host, link, sizeof link - 1);
            if (len < 0) return -errno;
            if (len == 0) return -ENOENT;
            link[len] = 0;
            /* rest becomes TARGET + what was left after this component */
            size_t left = strlen(rest + r);
            if ((size_t)len + 1 + left + 1 > sizeof rest) return -ENAMETOOLONG;
            memmove(rest + len + 1, rest + r, left + 1);
            memcpy(rest, link, (size_t)len);
            rest[len] = '/';
            r = 0;
            o = link[0] == '/' ? 0 : before;
            continue;
        }
        if (!last && !S_ISDIR(st.st_mode)) return -ENOTDIR;
    }
    if (o == 0) out[o++] = '/';
    out[o] = 0;
    return 0;
}

int strlist_add(struct strlist *l, const char *s)
{
    if (l->n == l->cap) {
        size_t ncap = l->cap ? l->cap * 2 : 16;
        char **nv = realloc(l->v, ncap * sizeof *nv);
        if (!nv) return -1;
        l->v = nv;
        l->cap = ncap;
    }
    if (!(l->v[l->n] = strdup(s))) return -1;
    l->n++;
    return 0;
}

void strlist_free(struct strlist *l)
{
    for (size_t i = 0; i < l->n; i++) free(l->v[i]);
    free(l->v);
    memset(l, 0, sizeof *l);
}

/* Add an absolute directory once. Relative entries mean nothing to the loader. */
static int add_dir(struct strlist *dirs, const char *dir)
{
    char norm[DEPS_PATH_MAX];
    if (path_normalize(dir, norm, sizeof norm) != 0) return 0;
    for (size_t i = 0; i < dirs->n; i++)
        if (strcmp(dirs->v[i], norm) == 0) return 0;
    return strlist_add(dirs, norm);
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t') s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r')) s[--n] = 0;
    return s;
}

static int read_conf(const char *root, const char *conf, int depth, struct strlist *dirs, char *err, size_t errlen)
{
    char host[2 * DEPS_PATH_MAX];
    snprintf(host, sizeof host, "%s%s", root, conf);
    FILE *f = fopen(host, "re");
    if (!f) return 0;   /* a missing file adds nothing, as for ldconfig */
    if (depth > MAX_INCLUDE_DEPTH) {
        fclose(f);
        snprintf(err, errlen, "%s: includes nested too deep (an include loop?)", host);
        return -1;
    }
    char line[DEPS_PATH_MAX];
    int rc = 0;
    while (rc == 0 && fgets(line, sizeof line, f)) {
        char *hash = strchr(line, '#');
        if (hash) *hash = 0;
        char *s = trim(line);
        if (!*s) continue;
        if (strncmp(s, "include", 7) == 0 && (s[7] == ' ' || s[7] == '\t')) {
            char *pat = trim(s + 8), full[2 * DEPS_PATH_MAX], base[DEPS_PATH_MAX];
            /* ldconfig reads a relative pattern from the including file's directory */
            if (pat[0] != '/') {
                snprintf(base, sizeof base, "%s", conf);
                char *slash = strrchr(base, '/');
                if (slash) slash[1] = 0;
                snprintf(full, sizeof full, "%s%s%s", root, base, pat);
            } else {
                snprintf(full, sizeof full, "%s%s", root, pat);
            }
            glob_t g;
            if (glob(full, 0, NULL, &g) == 0) {
                size_t rootlen = strlen(root);
                for (size_t i = 0; rc == 0 && i < g.gl_pathc; i++)
                    rc = read_conf(root, g.gl_pathv[i] + rootlen, depth + 1, dirs, err, errlen);
            }
            globfree(&g);
            continue;
        }
        if (strncmp(s, "hwcap", 5) == 0 && (s[5] == ' ' || s[5] == '\t')) continue;
        /* old syntax "DIR=TYPE" */
        char *eq = strchr(s, '=');
        if (eq) *eq = 0;
        if (s[0] == '/' && add_dir(dirs, trim(s)) != 0) {
            snprintf(err, errlen, "out of memory");
            rc = -1;
        }
    }
    fclose(f);
    return rc;
}

int dpath_ld_so_conf(const char *root, struct strlist *dirs, char *err, size_t errlen)
{
    return read_conf(root, "/etc/ld.so.conf", 0, dirs, err, errlen);
}

int dpath_musl_path(const char *root, struct strlist *dirs, char *err, size_t errlen)
{
    char host[2 * DEPS_PATH_MAX], buf[DEPS_PATH_MAX];
    snprintf(host, sizeof host, "%s/etc/ld-musl-x86_64.path", root);
    FILE *f = fopen(host, "re");
    size_t n = 0;
    if (f) {
        n = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
    } else {
        strcpy(buf, "/lib:/usr/local/lib:/usr/lib");
        n = strlen(buf);
    }
    buf[n] = 0;
    for (char *save = NULL, *tok = strtok_r(buf, ":\n", &save); tok; tok = strtok_r(NULL, ":\n", &save)) {
        if (add_dir(dirs, trim(tok)) != 0) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
    }
    return 0;
}
