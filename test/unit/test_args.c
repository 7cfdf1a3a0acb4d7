/* cli/args.c: options stop at the program name, values in both spellings,
 * -f splitting, and refusals of malformed command lines. */
#include <stdio.h>
#include <string.h>

#include "cli/args.h"

static int failures;

#define CHECK(cond)                                                 \
    do {                                                            \
        if (!(cond)) {                                              \
            printf("FAIL line %d: %s\n", __LINE__, #cond);          \
            failures++;                                             \
        }                                                           \
    } while (0)

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
    CHECK(parse(CMD_RUN, &a, err, run1) == 0);
    CHECK(a.trace && a.boot == BOOT_DISK && strcmp(a.memory, "128M") == 0);
    CHECK(a.envc == 1 && strcmp(a.env[0], "A=1") == 0);
    CHECK(a.filec == 2 && strcmp(a.files[0].host, "x.txt") == 0 && a.files[0].guest == NULL);
    CHECK(strcmp(a.files[1].host, "/h/y:z") == 0 && strcmp(a.files[1].guest, "/guest/y") == 0);
    CHECK(strcmp(a.program, "prog") == 0 && a.prog_argc == 3 && strcmp(a.prog_args[0], "--trace") == 0);
    args_free(&a);

    const char *const run2[] = { "run", "--", "-weird-name", NULL };
    CHECK(parse(CMD_RUN, &a, err, run2) == 0 && strcmp(a.program, "-weird-name") == 0 && a.prog_argc == 0);
    args_free(&a);

    const char *const image[] = { "run", "--image", "x.img", "--boot", "pvh", NULL };
    CHECK(parse(CMD_RUN, &a, err, image) == 0 && strcmp(a.image, "x.img") == 0 && !a.program);
    args_free(&a);

    const char *const build[] = { "build", "-o", "out.img", "prog", "a", NULL };
    CHECK(parse(CMD_BUILD, &a, err, build) == 0 && strcmp(a.output, "out.img") == 0 && a.prog_argc == 1);
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
    };
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
