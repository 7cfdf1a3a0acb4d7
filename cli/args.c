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
#include "pkg.h"
#include "suggest.h"
#include "hardening_opts.h"

int args_take_value(int argc, char **argv, int *i, const char *name, const char **value, char *err, size_t errlen)
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

/* What "did you mean" chooses from; test_run_options checks that the parser
 * accepts each. --no-check is left out: it is for tests only. */
static const char *const run_options[] = {
    "--help", "-h", "--trace", "--gdb", "--no-kaslr", "-e", "--env-file", "-f", "-d", "-c", "--sysroot", "--pkg", "--user",
    "--size", "--core", "--mount", "--boot", "--accel", "--disk", "--machine", "--timeout", "-m", "--cpus",
    "--keep-image", "--image", "--cloud-like", "-p", "--net", "--ip", "--netmask", "--gateway", "--dns", "--hostname",
    "--no-wx", "--readonly-program", "--exec-protection",
};
static const char *const build_options[] = {
    "--help", "-h", "--trace", "-e", "--env-file", "-f", "-d", "-c", "--sysroot", "--pkg", "--user",
    "--size", "--core", "--mount", "-o", "--ip", "--netmask", "--gateway", "--dns", "--hostname",
    "--no-wx", "--readonly-program", "--exec-protection",
};

const char *const *args_option_names(enum pith_command cmd, size_t *n)
{
    if (cmd != CMD_RUN) {
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
#define VALUE(name) ((r = args_take_value(argc, argv, i, name, &v, err, errlen)) != 0)
    if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0)
        a->help = 1;
    else if (strcmp(arg, "--trace") == 0)
        a->trace = 1;
    else if (arg[0] == '-' && arg[1] == '-' && hardening_option_flag(arg + 2))
        a->hardening |= hardening_option_flag(arg + 2);
    else if (strcmp(arg, "--no-check") == 0)   /* undocumented: tests feed bad ELFs to the loader */
        a->no_check = 1;
    else if (run && strcmp(arg, "--gdb") == 0)
        a->gdb = 1;
    else if (run && strcmp(arg, "--no-kaslr") == 0)
        a->no_kaslr = 1;
    else if (run && strcmp(arg, "--cloud-like") == 0)
        a->cloud_like = 1;
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
    } else if (VALUE("--selftest")) {   /* undocumented: test/harden/ panics the kernel on purpose */
        if (r < 0)
            return -1;
        a->selftest = v;
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
    } else if (VALUE("--pkg")) {
        if (r < 0)
            return -1;
        a->pkg = v;
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
    } else if ((r = net_opts_parse_option(&a->net, run, argc, argv, i, err, errlen)) != 0) {
        if (r < 0)
            return -1;
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
            a->config || a->user || a->size_set || a->core || a->pkg || a->hardening) {
            snprintf(err, errlen,
                     "--image boots an existing image: no program, -e, -f, -d, -c, --sysroot, --pkg, --user, --trace, --no-wx and the like, --size, --core or --keep-image (grow it with 'pith image resize')");
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
    if (!config && a->program && !a->pkg)   /* --pkg: PROG names a file inside the package's tree */
        config = find_config(a);
    if (config && config_load(config, a, err, errlen) != 0)
        return -1;
    if (net_opts_finish(&a->net, a->image != NULL, err, errlen) != 0)
        return -1;
    if (a->pkg && pkg_apply(a, err, errlen) != 0)
        return -1;
    if (!a->memory)
        a->memory = "64M";
    return 0;
}
