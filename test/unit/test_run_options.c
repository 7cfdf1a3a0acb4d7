/* The pith run options added for usability (cli/args.c): --timeout durations
 * as timeout(1) reads them, --machine, their pith.json keys, and the option
 * table behind "did you mean". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/args.h"
#include "cli/manifest.h"

#include "check.h"

static int parse(enum pith_command cmd, struct pith_args *a, char *err, const char *const *words)
{
    static char *argv[32];   /* the parsed args point into it after return */
    int argc = 0;
    for (; words[argc]; argc++)
        argv[argc] = (char *)words[argc];
    argv[argc] = NULL;
    err[0] = '\0';
    return args_parse(cmd, argc, argv, a, err, 256);
}

static void check_durations(void)
{
    static const struct { const char *text; uint64_t ms; } good[] = {
        { "0", 0 }, { "0s", 0 }, { "0.0", 0 }, { "30", 30000 }, { "30s", 30000 }, { "1.5s", 1500 },
        { "1.5", 1500 }, { ".5", 500 }, { "5.", 5000 }, { "500ms", 500 }, { "2m", 120000 },
        { "1.5m", 90000 }, { "2h", 7200000 }, { "1d", 86400000 }, { "0.25d", 21600000 },
        { "0.0001s", 1 },                      /* rounded up: nonzero never becomes "never" */
        { "1.0005s", 1001 }, { "0.0000000000001s", 1 }, { "1.5000000000000s", 1500 },
        { "3650d", 3650ull * 86400000 },
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        uint64_t ms = 12345;
        char err[128] = "";
        int rc = args_parse_duration(good[i].text, &ms, err, sizeof err);
        CHECK(rc == 0 && ms == good[i].ms, "duration '%s': rc %d, %llu ms, expected %llu (%s)", good[i].text, rc,
              (unsigned long long)ms, (unsigned long long)good[i].ms, err);
    }
    static const char *const bad[] = { "", "xyz", "s", ".", "-1", "+1", "1e3", "inf", "nan", "0x10", " 1", "1 ",
                                       "1S", "1sec", "1.5.5", "1,5", "3651d", "99999999999999999999999", "1mss" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint64_t ms = 12345;
        char err[128] = "";
        int rc = args_parse_duration(bad[i], &ms, err, sizeof err);
        CHECK(rc != 0 && ms == 12345 && strstr(err, "--timeout") && strstr(err, bad[i]),
              "duration '%s' accepted or a message without it: '%s'", bad[i], err);
    }
}

static void check_command_line(void)
{
    struct pith_args a;
    char err[256];

    const char *const none[] = { "run", "p", NULL };
    CHECK_THAT(parse(CMD_RUN, &a, err, none) == 0 && a.machine == MACHINE_AUTO && a.timeout_ms == 0);
    args_free(&a);

    const char *const both[] = { "run", "--timeout", "1.5s", "--machine=microvm", "p", NULL };
    CHECK_THAT(parse(CMD_RUN, &a, err, both) == 0 && a.timeout_ms == 1500 && a.machine == MACHINE_MICROVM);
    args_free(&a);

    const char *const q35[] = { "run", "--machine", "q35", "--timeout=2m", "p", NULL };
    CHECK_THAT(parse(CMD_RUN, &a, err, q35) == 0 && a.timeout_ms == 120000 && a.machine == MACHINE_Q35);
    args_free(&a);

    const char *const vax[] = { "run", "--machine", "vax", "p", NULL };
    CHECK_THAT(parse(CMD_RUN, &a, err, vax) == -1 && strstr(err, "'vax'"));
    args_free(&a);

    /* run-only: build does not boot */
    const char *const build[] = { "build", "-o", "x", "--timeout", "1", "p", NULL };
    CHECK_THAT(parse(CMD_BUILD, &a, err, build) != 0 && strstr(err, "unknown option '--timeout'"));
    args_free(&a);

    const char *const typo[] = { "run", "--tiemout=3s", "p", NULL };
    CHECK_THAT(parse(CMD_RUN, &a, err, typo) == ARGS_HINTED &&
               strcmp(err, "unknown option '--tiemout=3s' (did you mean '--timeout'?)") == 0);
    args_free(&a);

    const char *const build_typo[] = { "build", "--ouptut", "x", "p", NULL };
    CHECK_THAT(parse(CMD_BUILD, &a, err, build_typo) == -1 && strcmp(err, "unknown option '--ouptut'") == 0);
    args_free(&a);

    const char *const unrelated[] = { "run", "--frobnicate", "p", NULL };
    CHECK_THAT(parse(CMD_RUN, &a, err, unrelated) == -1 && strcmp(err, "unknown option '--frobnicate'") == 0);
    args_free(&a);
}

/* Every name offered as a suggestion must be one the parser takes. */
static void check_option_table(void)
{
    for (int c = 0; c < 2; c++) {
        enum pith_command cmd = c ? CMD_BUILD : CMD_RUN;
        size_t n;
        const char *const *names = args_option_names(cmd, &n);
        CHECK_THAT(n > 10);
        for (size_t i = 0; i < n; i++) {
            struct pith_args a;
            char err[256];
            const char *const words[] = { c ? "build" : "run", names[i], "1", "p", NULL };
            parse(cmd, &a, err, words);
            CHECK(!strstr(err, "unknown option"), "%s: listed option %s is refused as unknown", words[0], names[i]);
            args_free(&a);
        }
    }
}

static void check_config(void)
{
    char dir[] = "/tmp/pith-test-run-options.XXXXXX";
    if (!mkdtemp(dir)) {
        CHECK(0, "mkdtemp failed");
        return;
    }
    char cfg[128];
    snprintf(cfg, sizeof cfg, "%s/pith.json", dir);
    struct pith_args a;
    char err[256];

    FILE *f = fopen(cfg, "w");
    fputs("{\"timeout\": \"30s\", \"machine\": \"q35\"}", f);
    fclose(f);
    const char *const from_config[] = { "run", "-c", cfg, "p", NULL };
    CHECK_THAT(parse(CMD_RUN, &a, err, from_config) == 0 && a.timeout_ms == 30000 && a.machine == MACHINE_Q35);
    args_free(&a);
    /* The command line wins, also when it asks for the defaults. */
    const char *const cmdline_wins[] = { "run", "--timeout", "0", "--machine", "auto", "-c", cfg, "p", NULL };
    CHECK_THAT(parse(CMD_RUN, &a, err, cmdline_wins) == 0 && a.timeout_ms == 0 && a.machine == MACHINE_AUTO);
    args_free(&a);

    f = fopen(cfg, "w");
    fputs("{\n  \"timeout\": \"soon\"\n}", f);
    fclose(f);
    CHECK_THAT(parse(CMD_RUN, &a, err, from_config) != 0 && strstr(err, "pith.json:2:14: --timeout") && strstr(err, "'soon'"));
    args_free(&a);

    f = fopen(cfg, "w");
    fputs("{\"machine\": 35}", f);
    fclose(f);
    CHECK_THAT(parse(CMD_RUN, &a, err, from_config) != 0 && strstr(err, "\"machine\" must be a string"));
    args_free(&a);

    /* "core": a guest path or none; --core wins. */
    f = fopen(cfg, "w");
    fputs("{\"core\": \"/var/app.core\"}", f);
    fclose(f);
    CHECK_THAT(parse(CMD_RUN, &a, err, from_config) == 0 && a.core && !strcmp(a.core, "/var/app.core"));
    args_free(&a);
    const char *const core_wins[] = { "run", "--core", "none", "-c", cfg, "p", NULL };
    CHECK_THAT(parse(CMD_RUN, &a, err, core_wins) == 0 && a.core && !strcmp(a.core, "none"));
    args_free(&a);
    const char *const core_relative[] = { "run", "--core", "core", "p", NULL };
    CHECK_THAT(parse(CMD_RUN, &a, err, core_relative) != 0 && strstr(err, "--core: want an absolute guest path or none"));
    args_free(&a);
    f = fopen(cfg, "w");
    fputs("{\"core\": \"crash\"}", f);
    fclose(f);
    CHECK_THAT(parse(CMD_RUN, &a, err, from_config) != 0 && strstr(err, "core: want an absolute guest path"));
    args_free(&a);

    /* The mitigations (cli/hardening_opts.h): --NAME and "NAME": true add up. */
    f = fopen(cfg, "w");
    fputs("{\"exec-protection\": true, \"no-wx\": false}", f);
    fclose(f);
    const char *const harden[] = { "run", "--no-wx", "-c", cfg, "p", NULL };
    CHECK_THAT(parse(CMD_RUN, &a, err, harden) == 0 && a.hardening == (MANIFEST_FLAG_NO_WX | MANIFEST_FLAG_EXEC_PROTECTION));
    args_free(&a);
    const char *const harden_build[] = { "build", "-o", "x", "--readonly-program", "p", NULL };
    CHECK_THAT(parse(CMD_BUILD, &a, err, harden_build) == 0 && a.hardening == MANIFEST_FLAG_READONLY_PROGRAM);
    args_free(&a);
    f = fopen(cfg, "w");
    fputs("{\"no-wx\": \"yes\"}", f);
    fclose(f);
    CHECK_THAT(parse(CMD_RUN, &a, err, from_config) != 0 && strstr(err, "\"no-wx\" must be"));
    args_free(&a);

    unlink(cfg);
    rmdir(dir);
}

int main(void)
{
    check_durations();
    check_command_line();
    check_option_table();
    check_config();
    return check_report("test_run_options");
}
