/* cli/args.c: options stop at the program name, values in both spellings,
 * -f splitting, and refusals of malformed command lines. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/args.h"

#include "check.h"

static int parse(enum pith_command cmd, struct pith_args *a, char *err, const char *const *words)
{
    static char *argv[32];   /* the parsed args point into it after return */
    int argc = 0;
    for (; words[argc]; argc++)
        argv[argc] = (char *)words[argc];
    argv[argc] = NULL;
    return args_parse(cmd, argc, argv, a, err, 256);
}

int main(void)
{
    struct pith_args a;
    char err[256];

    const char *const run1[] = { "run", "--trace", "--boot=disk", "-m", "128M", "-e", "A=1", "-f", "x.txt",
                                 "-f", "/h/y:z:/guest/y", "prog", "--trace", "-e", "arg", NULL };
    CHECK_THAT(parse(CMD_RUN, &a, err, run1) == 0);
    CHECK_THAT(a.trace && a.boot == BOOT_DISK && strcmp(a.memory, "128M") == 0);
    CHECK_THAT(a.envc == 1 && strcmp(a.env[0], "A=1") == 0);
    CHECK_THAT(a.filec == 2 && strcmp(a.files[0].host, "x.txt") == 0 && a.files[0].guest == NULL);
    CHECK_THAT(strcmp(a.files[1].host, "/h/y:z") == 0 && strcmp(a.files[1].guest, "/guest/y") == 0);
    CHECK_THAT(strcmp(a.program, "prog") == 0 && a.prog_argc == 3 && strcmp(a.prog_args[0], "--trace") == 0);
    args_free(&a);

    const char *const run2[] = { "run", "--", "-weird-name", NULL };
    CHECK_THAT(parse(CMD_RUN, &a, err, run2) == 0 && strcmp(a.program, "-weird-name") == 0 && a.prog_argc == 0);
    args_free(&a);

    const char *const image[] = { "run", "--image", "x.img", "--boot", "pvh", NULL };
    CHECK_THAT(parse(CMD_RUN, &a, err, image) == 0 && strcmp(a.image, "x.img") == 0 && !a.program);
    args_free(&a);

    const char *const build[] = { "build", "-o", "out.img", "prog", "a", NULL };
    CHECK_THAT(parse(CMD_BUILD, &a, err, build) == 0 && strcmp(a.output, "out.img") == 0 && a.prog_argc == 1);
    args_free(&a);

    const char *const bad[][6] = {
        { "run", NULL },                                 /* no program */
        { "run", "--boot", "floppy", "p", NULL },
        { "run", "--accel", "xen", "p", NULL },
        { "run", "-m", "0", "p", NULL },
        { "run", "-m", "12Q", "p", NULL },
        { "run", "-m", "1M", "p", NULL },               /* too small to hold the kernel */
        { "run", "-m", "1024k", "p", NULL },
        { "run", "-e", "NOEQUALS", "p", NULL },
        { "run", "-e", "=x", "p", NULL },
        { "run", "-m", NULL },                           /* missing value */
        { "run", "--nope", "p", NULL },
        { "run", "--image", "i", "prog", NULL },         /* image and program */
        { "run", "--cpus", "0", "p", NULL },
        { "build", "prog", NULL },                       /* no -o */
        { "build", "--gdb", "-o", "x", "p", NULL },      /* run-only option */
        { "run", "--disk", "floppy", "p", NULL },
        { "run", "--user", "a:b", "p", NULL },
        { "run", "--image", "i", "--sysroot", "/", NULL }, /* image and sysroot */
        { "run", "--env-file", "/nonexistent/env", "p", NULL },
        { "run", "-c", "/nonexistent/pith.json", "p", NULL },
    };
    const char *const more[] = { "run", "--disk=nvme", "--sysroot", "/sr", "-d", "/h/d:/g", "-d", "rel",
                                 "--user", "alice", "-e", "K=1", "-e", "K=2", "prog", NULL };
    CHECK_THAT(parse(CMD_RUN, &a, err, more) == 0);
    CHECK_THAT(a.disk == DISK_NVME && strcmp(a.sysroot, "/sr") == 0 && strcmp(a.user, "alice") == 0);
    CHECK_THAT(a.filec == 2 && a.files[0].dir_only && strcmp(a.files[0].guest, "/g") == 0 && !a.files[1].guest);
    CHECK_THAT(a.envc == 2 && strcmp(a.env[1], "K=2") == 0 && strcmp(a.memory, "64M") == 0);
    args_free(&a);

    /* --env-file and a config; the command line wins over the config. */
    char dir[] = "/tmp/pith-test-args.XXXXXX";
    if (mkdtemp(dir)) {
        char envf[128], cfg[128];
        snprintf(envf, sizeof envf, "%s/env", dir);
        snprintf(cfg, sizeof cfg, "%s/pith.json", dir);
        FILE *f = fopen(envf, "w");
        fputs("# comment\n\nA=1\n  B=two words\r\nC=x=y\n", f);
        fclose(f);
        f = fopen(cfg, "w");
        fputs("{\"args\": [\"c1\", \"\"], \"env\": {\"A\": \"cfg\", \"D\": \"d\"},\n"
              " \"files\": [\"rel.txt\", \"/abs:/g/abs\"], \"dirs\": [\"sub:/s\"],\n"
              " \"memory\": \"128M\", \"trace\": true, \"boot\": \"disk\", \"sysroot\": \"root\"}", f);
        fclose(f);
        const char *const withcfg[] = { "run", "--env-file", envf, "-c", cfg, "-m", "256M", "prog", NULL };
        CHECK_THAT(parse(CMD_RUN, &a, err, withcfg) == 0);
        CHECK_THAT(a.prog_argc == 2 && strcmp(a.prog_args[0], "c1") == 0 && strcmp(a.prog_args[1], "") == 0);
        /* config entries first, so the env file's A=1 (later) wins */
        CHECK_THAT(a.envc == 5 && strcmp(a.env[0], "A=cfg") == 0 && strcmp(a.env[1], "D=d") == 0);
        CHECK_THAT(strcmp(a.env[2], "A=1") == 0 && strcmp(a.env[3], "B=two words") == 0 && strcmp(a.env[4], "C=x=y") == 0);
        CHECK_THAT(a.filec == 3 && strncmp(a.files[0].host, dir, strlen(dir)) == 0 && strstr(a.files[0].host, "/rel.txt"));
        CHECK_THAT(strcmp(a.files[1].host, "/abs") == 0 && strcmp(a.files[1].guest, "/g/abs") == 0);
        CHECK_THAT(a.files[2].dir_only && strcmp(a.files[2].guest, "/s") == 0);
        CHECK_THAT(strcmp(a.memory, "256M") == 0 && a.trace && a.boot == BOOT_DISK && strstr(a.sysroot, "/root"));
        args_free(&a);

        const char *const argsbeat[] = { "run", "-c", cfg, "prog", "mine", NULL };
        CHECK_THAT(parse(CMD_RUN, &a, err, argsbeat) == 0 && a.prog_argc == 1 && strcmp(a.prog_args[0], "mine") == 0);
        args_free(&a);

        f = fopen(envf, "w");
        fputs("A=1\nNOEQUALS\n", f);
        fclose(f);
        const char *const badenv[] = { "run", "--env-file", envf, "prog", NULL };
        CHECK_THAT(parse(CMD_RUN, &a, err, badenv) != 0 && strstr(err, ":2: expected KEY=VALUE"));
        args_free(&a);

        f = fopen(cfg, "w");
        fputs("{\n  \"args\": [],\n  \"colour\": 1\n}", f);
        fclose(f);
        const char *const badcfg[] = { "run", "-c", cfg, "prog", NULL };
        CHECK_THAT(parse(CMD_RUN, &a, err, badcfg) != 0 && strstr(err, "pith.json:3:13: unknown key \"colour\""));
        args_free(&a);
        unlink(envf);
        unlink(cfg);
        rmdir(dir);
    }

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        int rc = parse(strcmp(bad[i][0], "build") == 0 ? CMD_BUILD : CMD_RUN, &a, err, bad[i]);
        if (rc == 0 || err[0] == '\0') {
            printf("FAIL bad command line %zu accepted or no message\n", i);
            failures++;
        }
        args_free(&a);
    }
    return failures != 0;
}
