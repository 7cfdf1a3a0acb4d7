/* Hand-written parsing rather than getopt_long: pith must stop at the program
 * name (its arguments belong to the guest) and getopt's permutation would eat
 * them. Both "--opt VALUE" and "--opt=VALUE" are accepted. */
#define _GNU_SOURCE
#include "args.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "image_cmd.h"
#include "suggest.h"

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

/* If argv[*i] is option `name`, store its value (next word or after '=') and
 * return 1; return -1 if the value is missing; 0 if it is another option. */
static int take_value(int argc, char **argv, int *i, const char *name, const char **value,
                      char *err, size_t errlen)
{
    const char *arg = argv[*i];
    size_t n = strlen(name);
    if (strncmp(arg, name, n) != 0)
        return 0;
    if (arg[n] == '=' && name[1] == '-') {
        *value = arg + n + 1;
        return 1;
    }
    if (arg[n] != '\0')
        return 0;
    if (*i + 1 >= argc) {
        snprintf(err, errlen, "option %s needs a value", name);
        return -1;
    }
    *value = argv[++*i];
    return 1;
}

int args_parse_boot(const char *v, enum boot_mode *out, char *err, size_t errlen)
{
    if (strcmp(v, "pvh") == 0)
        *out = BOOT_PVH;
    else if (strcmp(v, "disk") == 0)
        *out = BOOT_DISK;
    else {
        snprintf(err, errlen, "--boot: expected pvh or disk, not '%s'", v);
        return -1;
    }
    return 0;
}

static int parse_accel(const char *v, struct pith_args *a, char *err, size_t errlen)
{
    if (strcmp(v, "auto") == 0)
        a->accel = ACCEL_AUTO;
    else if (strcmp(v, "kvm") == 0)
        a->accel = ACCEL_KVM;
    else if (strcmp(v, "tcg") == 0)
        a->accel = ACCEL_TCG;
    else {
        snprintf(err, errlen, "--accel: expected auto, kvm or tcg, not '%s'", v);
        return -1;
    }
    return 0;
}

static int parse_disk(const char *v, struct pith_args *a, char *err, size_t errlen)
{
    if (strcmp(v, "blk") == 0)
        a->disk = DISK_BLK;
    else if (strcmp(v, "nvme") == 0)
        a->disk = DISK_NVME;
    else if (strcmp(v, "scsi") == 0)
        a->disk = DISK_SCSI;
    else {
        snprintf(err, errlen, "--disk: expected blk, nvme or scsi, not '%s'", v);
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

/* What "did you mean" chooses from; test_run_options checks that the parser
 * accepts each. --no-check is left out: it is for tests only. */
static const char *const run_options[] = {
    "--help", "-h", "--trace", "--gdb", "-e", "--env-file", "-f", "-d", "-c", "--sysroot", "--user",
    "--size", "--core", "--mount", "--boot", "--accel", "--disk", "--machine", "--timeout", "-m", "--cpus",
    "--keep-image", "--image",
};
static const char *const build_options[] = {
    "--help", "-h", "--trace", "-e", "--env-file", "-f", "-d", "-c", "--sysroot", "--user",
    "--size", "--core", "--mount", "-o",
};

const char *const *args_option_names(enum pith_command cmd, size_t *n)
{
    if (cmd == CMD_BUILD) {
        *n = sizeof build_options / sizeof build_options[0];
        return build_options;
    }
    *n = sizeof run_options / sizeof run_options[0];
    return run_options;
}

/* "unknown option", with the closest known one when it looks like a typo. */
static int unknown_option(enum pith_command cmd, const char *arg, char *err, size_t errlen)
{
    char name[SUGGEST_MAX_LEN + 1];
    snprintf(name, sizeof name, "%.*s", (int)strcspn(arg, "="), arg);   /* --tiemout=30s */
    size_t n;
    const char *const *known = args_option_names(cmd, &n);
    const char *close = suggest_closest(name, known, n);
    if (!close) {
        snprintf(err, errlen, "unknown option '%s'", arg);
        return -1;
    }
    snprintf(err, errlen, "unknown option '%s' (did you mean '%s'?)", arg, close);
    return ARGS_HINTED;
}

static int parse_option(int argc, char **argv, int *i, struct pith_args *a, char *err, size_t errlen)
{
    const char *arg = argv[*i], *v;
    int r;
    int run = a->command == CMD_RUN;
#define VALUE(name) ((r = take_value(argc, argv, i, name, &v, err, errlen)) != 0)
    if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0)
        a->help = 1;
    else if (strcmp(arg, "--trace") == 0)
        a->trace = 1;
    else if (strcmp(arg, "--no-check") == 0)   /* undocumented: tests feed bad ELFs to the loader */
        a->no_check = 1;
    else if (run && strcmp(arg, "--gdb") == 0)
        a->gdb = 1;
    else if (VALUE("-e")) {
        if (r < 0 || args_add_env(a, v, err, errlen) < 0)
            return -1;
    } else if (VALUE("--env-file")) {
        if (r < 0 || args_load_env_file(a, v, err, errlen) < 0)
            return -1;
    } else if (VALUE("-f")) {
        if (r < 0 || args_add_file(a, v, 0, NULL, err, errlen) < 0)
            return -1;
    } else if (VALUE("-d")) {
        if (r < 0 || args_add_file(a, v, 1, NULL, err, errlen) < 0)
            return -1;
    } else if (VALUE("-c")) {
        if (r < 0)
            return -1;
        a->config = v;
    } else if (VALUE("--sysroot")) {
        if (r < 0)
            return -1;
        a->sysroot = v;
        a->sysroot_set = 1;
    } else if (VALUE("--user")) {
        if (r < 0)
            return -1;
        if (!*v || strpbrk(v, ":\n/ ") || strlen(v) > 32) {
            snprintf(err, errlen, "--user: '%s' is not a valid user name", v);
            return -1;
        }
        a->user = v;
    } else if (VALUE("--size")) {
        if (r < 0 || args_parse_size(v, &a->min_size, err, errlen) < 0)
            return -1;
        a->size_set = 1;
    } else if (VALUE("--core")) {
        if (r < 0)
            return -1;
        if (strcmp(v, "none") != 0 && strcmp(v, "off") != 0 && (v[0] != '/' || !v[1])) {
            snprintf(err, errlen, "--core: want an absolute guest path or none, not '%s'", v);
            return -1;
        }
        a->core = v;
    } else if (VALUE("--mount")) {   /* build: the image remembers its volumes */
        if (r < 0 || args_add_mount(a, v, NULL, err, errlen) < 0)
            return -1;
    } else if (a->command == CMD_BUILD && VALUE("-o")) {
        if (r < 0)
            return -1;
        a->output = v;
    } else if (run && VALUE("--boot")) {
        if (r < 0 || args_parse_boot(v, &a->boot, err, errlen) < 0)
            return -1;
        a->boot_set = 1;
    } else if (run && VALUE("--accel")) {
        if (r < 0 || parse_accel(v, a, err, errlen) < 0)
            return -1;
    } else if (run && VALUE("--disk")) {
        if (r < 0 || parse_disk(v, a, err, errlen) < 0)
            return -1;
    } else if (run && VALUE("--machine")) {
        if (r < 0 || args_parse_machine(v, &a->machine, err, errlen) < 0)
            return -1;
        a->machine_set = 1;
    } else if (run && VALUE("--timeout")) {
        if (r < 0 || args_parse_duration(v, &a->timeout_ms, err, errlen) < 0)
            return -1;
        a->timeout_set = 1;
    } else if (run && VALUE("-m")) {
        if (r < 0 || args_check_memory(v, err, errlen) < 0)
            return -1;
        a->memory = v;
        a->memory_set = 1;
    } else if (run && VALUE("--cpus")) {
        if (r < 0)
            return -1;
        a->cpus = atoi(v);
        if (a->cpus < 1 || a->cpus > 64) {
            snprintf(err, errlen, "--cpus: expected 1..64, not '%s'", v);
            return -1;
        }
    } else if (run && VALUE("--keep-image")) {
        if (r < 0)
            return -1;
        a->keep_image = v;
    } else if (run && VALUE("--image")) {
        if (r < 0)
            return -1;
        a->image = v;
    } else {
        return unknown_option(a->command, arg, err, errlen);
    }
#undef VALUE
    return 0;
}

/* pith.json in the program's directory, if there is one. */
static const char *find_config(struct pith_args *a)
{
    const char *slash = strrchr(a->program, '/');
    char *path = NULL;
    if (asprintf(&path, "%.*s/pith.json", slash ? (int)(slash - a->program) : 1,
                 slash ? a->program : ".") < 0)
        return NULL;
    if (access(path, F_OK) != 0) {
        free(path);
        return NULL;
    }
    return args_keep(a, path);
}

int args_parse(enum pith_command cmd, int argc, char **argv, struct pith_args *a,
               char *err, size_t errlen)
{
    memset(a, 0, sizeof *a);
    a->command = cmd;
    a->boot = BOOT_PVH;
    a->accel = ACCEL_AUTO;
    a->disk = DISK_BLK;
    a->machine = MACHINE_AUTO;
    a->cpus = 1;
    int i = 1;
    for (; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0) {
            i++;
            break;
        }
        if (argv[i][0] != '-' || argv[i][1] == '\0')
            break;
        int rc = parse_option(argc, argv, &i, a, err, errlen);
        if (rc < 0)
            return rc;
    }
    if (a->help)
        return 0;
    if (i < argc) {
        a->program = argv[i];
        a->prog_args = argv + i + 1;
        a->prog_argc = argc - i - 1;
        a->args_set = a->prog_argc > 0;
    }
    if (a->image) {
        if (a->program || a->envc || a->filec || a->trace || a->keep_image || a->no_check || a->sysroot ||
            a->config || a->user || a->size_set || a->core) {
            snprintf(err, errlen,
                     "--image boots an existing image: no program, -e, -f, -d, -c, --sysroot, --user, --trace, --size, --core or --keep-image (grow it with 'pith image resize')");
            return -1;
        }
    } else if (!a->program) {
        snprintf(err, errlen, "no program given");
        return -1;
    }
    if (cmd == CMD_BUILD && !a->output) {
        snprintf(err, errlen, "build needs -o IMAGE");
        return -1;
    }
    const char *config = a->config;
    if (!config && a->program)
        config = find_config(a);
    if (config && config_load(config, a, err, errlen) != 0)
        return -1;
    if (!a->memory)
        a->memory = "64M";
    return 0;
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
