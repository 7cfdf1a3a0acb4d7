/* Checking and storing one setting of struct pith_args, whoever gives it:
 * the command line (args.c) or pith.json (config.c). */
#define _GNU_SOURCE
#include "settings.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image_handle.h"

char *args_keep(struct pith_args *a, char *s)
{
    if (!s)
        return NULL;
    if (a->nowned == a->owned_cap) {
        int ncap = a->owned_cap ? a->owned_cap * 2 : 16;
        void **n = realloc(a->owned, (size_t)ncap * sizeof *n);
        if (!n) {
            free(s);
            return NULL;
        }
        a->owned = n;
        a->owned_cap = ncap;
    }
    a->owned[a->nowned++] = s;
    return s;
}

int args_parse_boot(const char *v, enum boot_mode *out, char *err, size_t errlen)
{
    if (strcmp(v, "pvh") == 0)
        *out = BOOT_PVH;
    else if (strcmp(v, "disk") == 0 || strcmp(v, "bios") == 0)
        *out = BOOT_DISK;
    else if (strcmp(v, "uefi") == 0)
        *out = BOOT_UEFI;
    else {
        snprintf(err, errlen, "--boot: expected pvh, disk (bios) or uefi, not '%s'", v);
        return -1;
    }
    return 0;
}

int args_parse_machine(const char *v, enum machine_mode *out, char *err, size_t errlen)
{
    if (strcmp(v, "auto") == 0)
        *out = MACHINE_AUTO;
    else if (strcmp(v, "microvm") == 0)
        *out = MACHINE_MICROVM;
    else if (strcmp(v, "q35") == 0)
        *out = MACHINE_Q35;
    else {
        snprintf(err, errlen, "--machine: expected auto, microvm or q35, not '%s'", v);
        return -1;
    }
    return 0;
}

/* Ten years: far beyond any run, small enough that a deadline computed as
 * now + timeout cannot overflow. */
#define MAX_TIMEOUT_MS (3650ull * 24 * 3600 * 1000)
/* Fraction digits kept exactly; later ones only decide rounding up. */
#define FRACTION_DIGITS 9

/* By hand rather than with strtod, which would also take "inf", "nan", hex
 * and exponents, and read the decimal point from the locale. */
int args_parse_duration(const char *v, uint64_t *out_ms, char *err, size_t errlen)
{
    const char *p = v;
    uint64_t whole = 0, frac = 0, frac_scale = 1;
    int digits = 0, frac_beyond = 0;
    for (; *p >= '0' && *p <= '9'; p++, digits++) {
        whole = whole * 10 + (uint64_t)(*p - '0');
        if (whole > MAX_TIMEOUT_MS)
            goto too_long;
    }
    if (*p == '.') {
        for (p++; *p >= '0' && *p <= '9'; p++, digits++) {
            if (frac_scale < 1000000000ull) {
                frac = frac * 10 + (uint64_t)(*p - '0');
                frac_scale *= 10;
            } else if (*p != '0') {
                frac_beyond = 1;
            }
        }
    }
    uint64_t unit_ms;
    if (*p == '\0' || strcmp(p, "s") == 0)
        unit_ms = 1000;
    else if (strcmp(p, "ms") == 0)
        unit_ms = 1;
    else if (strcmp(p, "m") == 0)
        unit_ms = 60 * 1000;
    else if (strcmp(p, "h") == 0)
        unit_ms = 3600 * 1000;
    else if (strcmp(p, "d") == 0)
        unit_ms = 24 * 3600 * 1000;
    else
        digits = 0;
    if (digits == 0) {
        snprintf(err, errlen, "--timeout: expected a duration such as 30s, 1.5m or 2h, not '%s'", v);
        return -1;
    }
    if (whole > MAX_TIMEOUT_MS / unit_ms)
        goto too_long;
    /* Round up: a timeout given as nonzero must not become 0, "never". */
    uint64_t part = frac * unit_ms;
    uint64_t ms = whole * unit_ms + part / frac_scale + (part % frac_scale != 0 || frac_beyond);
    if (ms > MAX_TIMEOUT_MS)
        goto too_long;
    *out_ms = ms;
    return 0;
too_long:
    snprintf(err, errlen, "--timeout: '%s' is too long, at most 3650d", v);
    return -1;
}

/* QEMU's -m syntax: a number of MiB, or a number with a k/M/G suffix. */
#define MIN_MEMORY_BYTES (2ull << 20)

int args_check_memory(const char *v, char *err, size_t errlen)
{
    char *end;
    unsigned long long n = strtoull(v, &end, 10);
    unsigned shift = 20;
    if (end == v || n == 0 || (*end && end[1]) || v[0] == '-' || v[0] == '+') {
        snprintf(err, errlen, "-m: expected a size such as 64M or 1G, not '%s'", v);
        return -1;
    }
    switch (*end) {
    case '\0': case 'm': case 'M': shift = 20; break;
    case 'k': case 'K': shift = 10; break;
    case 'g': case 'G': shift = 30; break;
    default:
        snprintf(err, errlen, "-m: expected a size such as 64M or 1G, not '%s'", v);
        return -1;
    }
    /* Below this the kernel (loaded at 1 MiB) does not fit in RAM and the
     * guest hangs without a word; measured: hello runs at 2M. */
    if (n > (1ull << 40) || (n << shift) < MIN_MEMORY_BYTES) {
        snprintf(err, errlen, "-m: '%s' is too small (at least 2M)", v);
        return -1;
    }
    return 0;
}

int args_add_env(struct pith_args *a, const char *kv, char *err, size_t errlen)
{
    if (!strchr(kv, '=') || kv[0] == '=') {
        snprintf(err, errlen, "-e: expected KEY=VALUE, not '%s'", kv);
        return -1;
    }
    if (a->envc == a->env_cap) {
        int ncap = a->env_cap ? a->env_cap * 2 : 16;
        char **n = realloc(a->env, (size_t)ncap * sizeof *n);
        if (!n)
            goto oom;
        a->env = n;
        a->env_cap = ncap;
    }
    if (!(a->env[a->envc] = args_keep(a, strdup(kv))))
        goto oom;
    a->envc++;
    return 0;
oom:
    snprintf(err, errlen, "out of memory");
    return -1;
}

int args_add_file(struct pith_args *a, const char *spec, int dir_only, const char *base_dir,
                  char *err, size_t errlen)
{
    const char *opt = dir_only ? "-d" : "-f";
    /* HOST[:GUEST]; the last ":/" separates them so host paths may hold ':'. */
    const char *sep = NULL;
    for (const char *p = spec; (p = strstr(p, ":/")) != NULL; p++)
        sep = p;
    size_t hostlen = sep ? (size_t)(sep - spec) : strlen(spec);
    if (hostlen == 0) {
        snprintf(err, errlen, "%s: expected HOST[:/GUEST], not '%s'", opt, spec);
        return -1;
    }
    if (a->filec == a->file_cap) {
        int ncap = a->file_cap ? a->file_cap * 2 : 16;
        struct file_arg *n = realloc(a->files, (size_t)ncap * sizeof *n);
        if (!n)
            goto oom;
        a->files = n;
        a->file_cap = ncap;
    }
    struct file_arg *f = &a->files[a->filec];
    f->dir_only = dir_only;
    f->guest = NULL;
    /* A config's relative host paths are relative to the config's directory. */
    if (base_dir && spec[0] != '/') {
        char *host = NULL;
        if (asprintf(&host, "%s/%.*s", base_dir, (int)hostlen, spec) < 0)
            goto oom;
        f->host = host;
    } else {
        f->host = strndup(spec, hostlen);
    }
    if (!f->host)
        goto oom;
    if (sep && !(f->guest = strdup(sep + 1))) {
        free(f->host);
        goto oom;
    }
    a->filec++;
    return 0;
oom:
    snprintf(err, errlen, "out of memory");
    return -1;
}

/* The image format stores sizes in 32-bit sector counts: stay below 2 TiB. */
#define MAX_SIZE_BYTES (1ull << 40)

int args_parse_size(const char *v, uint64_t *out, char *err, size_t errlen)
{
    if (!image_parse_size(v, out)) {
        snprintf(err, errlen, "--size: expected a size such as 64M or 1G, not '%s'", v);
        return -1;
    }
    if (*out > MAX_SIZE_BYTES) {
        snprintf(err, errlen, "--size: '%s' is too large (at most 1T)", v);
        return -1;
    }
    return 0;
}

int args_add_mount(struct pith_args *a, const char *spec, const char *base_dir, char *err, size_t errlen)
{
    const char *sep = NULL;
    for (const char *p = spec; (p = strstr(p, ":/")) != NULL; p++)
        sep = p;
    if (!sep || sep == spec) {
        snprintf(err, errlen, "--mount: expected VOLUME:/PATH, not '%s'", spec);
        return -1;
    }
    if (a->mountc == PITH_MAX_MOUNTS) {
        snprintf(err, errlen, "--mount: at most %d volumes", PITH_MAX_MOUNTS);
        return -1;
    }
    if (a->mountc == a->mount_cap) {
        int ncap = a->mount_cap ? a->mount_cap * 2 : 4;
        struct mount_arg *n = realloc(a->mounts, (size_t)ncap * sizeof *n);
        if (!n)
            goto oom;
        a->mounts = n;
        a->mount_cap = ncap;
    }
    struct mount_arg *m = &a->mounts[a->mountc];
    int vlen = (int)(sep - spec);
    char *vol = NULL;
    if (base_dir && spec[0] != '/' ? asprintf(&vol, "%s/%.*s", base_dir, vlen, spec) < 0
                                   : !(vol = strndup(spec, (size_t)vlen)))
        goto oom;
    m->volume = args_keep(a, vol);
    m->path = args_keep(a, strdup(sep + 1));
    if (!m->volume || !m->path)
        goto oom;
    a->mountc++;
    return 0;
oom:
    snprintf(err, errlen, "out of memory");
    return -1;
}

int args_load_env_file(struct pith_args *a, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int lineno = 0, rc = 0;
    while (rc == 0 && (n = getline(&line, &cap, f)) >= 0) {
        lineno++;
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = '\0';
        const char *p = line + strspn(line, " \t");
        if (*p == '\0' || *p == '#')
            continue;
        if ((size_t)n != strlen(line)) {
            snprintf(err, errlen, "%s:%d: NUL byte in the line", path, lineno);
            rc = -1;
        } else if (!strchr(p, '=') || p[0] == '=' || strcspn(p, " \t") < strcspn(p, "=")) {
            snprintf(err, errlen, "%s:%d: expected KEY=VALUE, not '%.60s'", path, lineno, p);
            rc = -1;
        } else {
            rc = args_add_env(a, p, err, errlen);
        }
    }
    if (rc == 0 && ferror(f)) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        rc = -1;
    }
    free(line);
    fclose(f);
    return rc;
}

void args_free(struct pith_args *a)
{
    for (int f = 0; f < a->filec; f++) {
        free(a->files[f].host);
        free(a->files[f].guest);
    }
    for (int i = 0; i < a->nowned; i++)
        free(a->owned[i]);
    free(a->owned);
    free(a->env);
    free(a->files);
    free(a->mounts);
    memset(a, 0, sizeof *a);
}
