/* Hand-written parsing rather than getopt_long: pith must stop at the program
 * name (its arguments belong to the guest) and getopt's permutation would eat
 * them. Both "--opt VALUE" and "--opt=VALUE" are accepted. */
#define _GNU_SOURCE
#include "args.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static int parse_boot(const char *v, struct pith_args *a, char *err, size_t errlen)
{
    if (strcmp(v, "pvh") == 0)
        a->boot = BOOT_PVH;
    else if (strcmp(v, "disk") == 0)
        a->boot = BOOT_DISK;
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

/* QEMU's -m syntax: a number of MiB, or a number with a k/M/G suffix. */
#define MIN_MEMORY_BYTES (2ull << 20)

static int parse_memory(const char *v, char *err, size_t errlen)
{
    char *end;
    unsigned long long n = strtoull(v, &end, 10);
    unsigned shift = 20;
    if (end == v || n == 0 || (*end && end[1])) {
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

static int parse_file(const char *v, struct file_arg *f, char *err, size_t errlen)
{
    /* HOST[:GUEST]; the last ":/" separates them so host paths may hold ':'. */
    const char *sep = NULL;
    for (const char *p = v; (p = strstr(p, ":/")) != NULL; p++)
        sep = p;
    f->host = v;
    f->guest = NULL;
    if (sep) {
        f->host = strndup(v, (size_t)(sep - v));
        f->guest = strdup(sep + 1);
    } else {
        f->host = strdup(v);
    }
    if (!f->host || !*f->host) {
        snprintf(err, errlen, "-f: expected HOST[:/GUEST], not '%s'", v);
        return -1;
    }
    return 0;
}

static int parse_option(int argc, char **argv, int *i, struct pith_args *a, char *err, size_t errlen)
{
    const char *arg = argv[*i], *v;
    int r;
#define VALUE(name) ((r = take_value(argc, argv, i, name, &v, err, errlen)) != 0)
    if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0)
        a->help = 1;
    else if (strcmp(arg, "--trace") == 0)
        a->trace = 1;
    else if (strcmp(arg, "--no-check") == 0)   /* undocumented: tests feed bad ELFs to the loader */
        a->no_check = 1;
    else if (a->command == CMD_RUN && strcmp(arg, "--gdb") == 0)
        a->gdb = 1;
    else if (VALUE("-e")) {
        if (r < 0)
            return -1;
        if (!strchr(v, '=') || v[0] == '=') {
            snprintf(err, errlen, "-e: expected KEY=VALUE, not '%s'", v);
            return -1;
        }
        a->env[a->envc++] = v;
    } else if (VALUE("-f")) {
        if (r < 0 || parse_file(v, &a->files[a->filec++], err, errlen) < 0)
            return -1;
    } else if (a->command == CMD_BUILD && VALUE("-o")) {
        if (r < 0)
            return -1;
        a->output = v;
    } else if (a->command == CMD_RUN && VALUE("--boot")) {
        if (r < 0 || parse_boot(v, a, err, errlen) < 0)
            return -1;
    } else if (a->command == CMD_RUN && VALUE("--accel")) {
        if (r < 0 || parse_accel(v, a, err, errlen) < 0)
            return -1;
    } else if (a->command == CMD_RUN && VALUE("-m")) {
        if (r < 0 || parse_memory(v, err, errlen) < 0)
            return -1;
        a->memory = v;
    } else if (a->command == CMD_RUN && VALUE("--cpus")) {
        if (r < 0)
            return -1;
        a->cpus = atoi(v);
        if (a->cpus < 1 || a->cpus > 64) {
            snprintf(err, errlen, "--cpus: expected 1..64, not '%s'", v);
            return -1;
        }
    } else if (a->command == CMD_RUN && VALUE("--keep-image")) {
        if (r < 0)
            return -1;
        a->keep_image = v;
    } else if (a->command == CMD_RUN && VALUE("--image")) {
        if (r < 0)
            return -1;
        a->image = v;
    } else {
        snprintf(err, errlen, "unknown option '%s'", arg);
        return -1;
    }
#undef VALUE
    return 0;
}

int args_parse(enum pith_command cmd, int argc, char **argv, struct pith_args *a,
               char *err, size_t errlen)
{
    memset(a, 0, sizeof *a);
    a->command = cmd;
    a->boot = BOOT_PVH;
    a->accel = ACCEL_AUTO;
    a->memory = "64M";
    a->cpus = 1;
    a->env = calloc((size_t)argc + 1, sizeof *a->env);
    a->files = calloc((size_t)argc + 1, sizeof *a->files);
    if (!a->env || !a->files) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int i = 1;
    for (; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0) {
            i++;
            break;
        }
        if (argv[i][0] != '-' || argv[i][1] == '\0')
            break;
        if (parse_option(argc, argv, &i, a, err, errlen) < 0)
            return -1;
    }
    if (a->help)
        return 0;
    if (i < argc) {
        a->program = argv[i];
        a->prog_args = argv + i + 1;
        a->prog_argc = argc - i - 1;
    }
    if (a->image) {
        if (a->program || a->envc || a->filec || a->trace || a->keep_image || a->no_check) {
            snprintf(err, errlen, "--image boots an existing image: no program, -e, -f, --trace or --keep-image");
            return -1;
        }
        return 0;
    }
    if (!a->program) {
        snprintf(err, errlen, "no program given");
        return -1;
    }
    if (cmd == CMD_BUILD && !a->output) {
        snprintf(err, errlen, "build needs -o IMAGE");
        return -1;
    }
    for (int f = 0; f < a->filec; f++)
        if (a->files[f].guest && a->files[f].guest[0] != '/') {
            snprintf(err, errlen, "-f: guest path '%s' must be absolute", a->files[f].guest);
            return -1;
        }
    return 0;
}

void args_free(struct pith_args *a)
{
    for (int f = 0; f < a->filec; f++) {
        free((char *)a->files[f].host);
        free(a->files[f].guest);
    }
    free(a->env);
    free(a->files);
}
