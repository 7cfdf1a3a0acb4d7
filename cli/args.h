/* Command-line parsing for `pith run` and `pith build`. Options come first; the
 * first non-option word is the program and everything after it is its argv. */
#pragma once
#include <stddef.h>
#include "qemu.h"

enum pith_command { CMD_RUN, CMD_BUILD };

struct file_arg {
    const char *host;
    char *guest;       /* NULL: derived from the host path (see run.c) */
};

struct pith_args {
    enum pith_command command;
    int trace, gdb, no_check, help;
    enum boot_mode boot;
    enum accel_mode accel;
    const char *memory;
    int cpus;
    const char *keep_image;   /* run: keep the built image here */
    const char *image;        /* run: boot this existing image */
    const char *output;       /* build: -o */
    const char **env;         /* KEY=VALUE strings */
    int envc;
    struct file_arg *files;
    int filec;
    const char *program;      /* as given: becomes argv[0] */
    char **prog_args;         /* argv[1..] */
    int prog_argc;
};

/* Parse argv (argv[0] is the subcommand word). 0 on success, -1 with a one-line
 * message in err (usage errors: the caller exits 2). */
int args_parse(enum pith_command cmd, int argc, char **argv, struct pith_args *a,
               char *err, size_t errlen);
void args_free(struct pith_args *a);
