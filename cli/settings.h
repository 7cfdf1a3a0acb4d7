/* The settings of `pith run` and `pith build` (struct pith_args) and the
 * checks and adders for each: the command line (cli/args.c) and the JSON
 * config (cli/config.c) both fill one through these, so neither reads the
 * other's code. */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include "../fs/mounts_list.h"
#include "net_opts.h"
#include "qemu.h"

/* CMD_CREATE: `pith image create NAME`, the options of build but -o. */
enum pith_command { CMD_RUN, CMD_BUILD, CMD_CREATE };

struct file_arg {
    char *host;
    char *guest;       /* NULL: derived from the host path (see image_build.c) */
    int dir_only;      /* from -d or "dirs": HOST must be a directory */
};

/* --mount VOLUME:/PATH: an extra TFS volume the guest sees at PATH. */
struct mount_arg {
    char *volume;      /* host file: a volume (`pith volume create`) or any Pith image */
    char *path;        /* absolute guest mount point, as given */
};

#define PITH_MAX_MOUNTS MOUNTS_LIST_MAX   /* what the kernel mounts */

struct pith_args {
    enum pith_command command;
    int trace, gdb, no_check, help;
    int no_kaslr;                /* --no-kaslr: the kernel at its link address (cli/kaslr_slide.h) */
    uint32_t hardening;          /* --no-wx ... / pith.json: MANIFEST_FLAG_* (cli/hardening_opts.h) */
    int cloud_like;              /* --cloud-like: q35, NVMe, nothing QEMU-only (cli/qemu.h) */
    enum boot_mode boot;
    enum accel_mode accel;
    enum disk_mode disk;
    enum machine_mode machine;   /* --machine auto|microvm|q35 (default auto) */
    uint64_t timeout_ms;         /* --timeout DURATION: stop the VM after it; 0 = never */
    const char *memory;
    int cpus;
    const char *keep_image;   /* run: keep the built image here */
    const char *image;        /* run: boot this existing image */
    const char *output;       /* build: -o */
    const char *sysroot;      /* look the program's libraries up in this tree */
    const char *user;         /* the name of uid 0 in /etc/passwd (default root) */
    const char *core;         /* --core / "core": core file path or "none"; NULL = /core */
    const char *selftest;     /* --selftest NAME (undocumented): a kernel self-test instead of the program */
    const char *config;       /* -c FILE, or the pith.json that was found */
    const char *monitor_socket;  /* a QMP socket QEMU listens on (`pith instance stop`); not an option */
    char **env;               /* KEY=VALUE strings, later ones override earlier */
    int envc, env_cap;
    struct file_arg *files;
    int filec, file_cap;
    uint64_t min_size;        /* --size / "size": filesystem bytes at least; 0 = just big enough */
    struct mount_arg *mounts; /* --mount / "mounts" */
    int mountc, mount_cap;
    const char *program;      /* as given: becomes argv[0] */
    char **prog_args;         /* argv[1..] */
    int prog_argc;
    /* What the command line set explicitly (the config may fill the rest). */
    int memory_set, boot_set, sysroot_set, args_set, size_set, timeout_set, machine_set;
    void **owned;             /* strings allocated while parsing, freed by args_free */
    int nowned, owned_cap;
    struct net_opts net;      /* -p, --net, --ip ... (cli/net_opts.h) */
    const char *pkg;          /* --pkg NAME: run PROG from that `pith pkg` tree (cli/pkg_run.c) */
    const char *program_argv0;   /* set when --pkg made program a host path: argv[0] as typed */
};

/* Free everything a holds (strings, lists); a is zeroed. */
void args_free(struct pith_args *a);

/* Each returns 0, or -1 with a one-line message in err. */
char *args_keep(struct pith_args *a, char *s);   /* a takes ownership; NULL if s is NULL or out of memory */
int args_add_env(struct pith_args *a, const char *kv, char *err, size_t errlen);
int args_add_file(struct pith_args *a, const char *spec, int dir_only, const char *base_dir,
                  char *err, size_t errlen);
int args_check_memory(const char *v, char *err, size_t errlen);
int args_parse_boot(const char *v, enum boot_mode *out, char *err, size_t errlen);
/* timeout(1)'s DURATION ("30s", "1.5m", "2h", "1d", "500ms"; no unit:
 * seconds) in milliseconds, rounded up; "0" is 0 (no timeout). */
int args_parse_duration(const char *v, uint64_t *out_ms, char *err, size_t errlen);
int args_parse_machine(const char *v, enum machine_mode *out, char *err, size_t errlen);
/* "64M", "1G"...: bytes (K/M/G/T are powers of 1024). */
int args_parse_size(const char *v, uint64_t *out, char *err, size_t errlen);
/* VOLUME:/PATH, split at the last ":/"; a relative VOLUME is taken relative
 * to base_dir when given (a config's directory). */
int args_add_mount(struct pith_args *a, const char *spec, const char *base_dir, char *err, size_t errlen);
/* Read an env file: KEY=VALUE lines, '#' comments and blank lines. */
int args_load_env_file(struct pith_args *a, const char *path, char *err, size_t errlen);
