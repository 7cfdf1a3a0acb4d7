/* `pith instance create|ls|logs|stop|rm [--provider NAME] ...`: the verb and
 * the provider; the provider does the rest (cli/instance.h). */
#include "instance.h"

#include <stdio.h>
#include <string.h>

#include "pith_exit.h"

static const char instance_help[] =
    "usage: pith instance create NAME [--provider P] [run options] --image IMAGE\n"
    "       pith instance create NAME [--provider P] [run options] PROG [ARGS...]\n"
    "       pith instance ls [--provider P]          instances, their state and exit status\n"
    "       pith instance logs [--provider P] [-f] NAME   the console (-f: follow while it runs)\n"
    "       pith instance stop [--provider P] NAME    shut it down (QMP quit, then by force)\n"
    "       pith instance rm [--provider P] NAME      stop it if needed and remove everything it left\n"
    "\n"
    "--provider local (the default) boots the image under QEMU on this host, in the\n"
    "background; its state, console log and exit status are kept under\n"
    "${XDG_DATA_HOME:-~/.local/share}/pith/instances/NAME. IMAGE is a stored image's\n"
    "name ('pith image create') or an image file; the instance boots its own copy.\n"
    "--provider aws: EC2 instances of an AMI made by 'pith image upload'; create takes\n"
    "--image AMI_NAME|ami-ID (default NAME), --type T (default t3.micro), and every verb\n"
    "--region R and --endpoint-url URL (docs/cli.md, \"Instances on AWS\").\n"
    "--provider goes right after the verb or after NAME.\n";

static int is_provider_word(const char *w)
{
    return strcmp(w, "--provider") == 0 || strncmp(w, "--provider=", 11) == 0;
}

/* Take "--provider P" (or "--provider=P") out of argv at index at; returns
 * P, or NULL with *bad set when the value is missing. */
static const char *take_provider(int *argc, char **argv, int at, int *bad)
{
    const char *value;
    int words = 1;
    if (argv[at][10] == '=') {
        value = argv[at] + 11;
    } else if (at + 1 < *argc) {
        value = argv[at + 1];
        words = 2;
    } else {
        *bad = 1;
        return NULL;
    }
    memmove(argv + at, argv + at + words, (size_t)(*argc - at - words + 1) * sizeof *argv);
    *argc -= words;
    return value;
}

int instance_main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(instance_help, argc < 2 ? stderr : stdout);
        return argc < 2 ? PITH_EXIT_USAGE : 0;
    }
    argc--, argv++;   /* argv[0]: the verb */
    const char *provider = "local";
    int bad = 0;
    for (int at = 1; at <= 2 && at < argc; at++)
        if (is_provider_word(argv[at])) {
            provider = take_provider(&argc, argv, at, &bad);
            break;
        }
    if (bad || !provider || !*provider)
        return pith_complain("--provider", "needs a value (local, or a cloud such as aws)");
    const struct instance_provider *p = instance_provider_find(provider);
    if (!p) {
        char known[128], why[200];
        instance_provider_names(known, sizeof known);
        snprintf(why, sizeof why, "unknown provider (known: %s)", known);
        return pith_complain(provider, why);
    }
    const char *verb = argv[0];
    int (*fn)(int, char **) = !strcmp(verb, "create") ? p->create
                              : !strcmp(verb, "ls")   ? p->ls
                              : !strcmp(verb, "logs") ? p->logs
                              : !strcmp(verb, "stop") ? p->stop
                              : !strcmp(verb, "rm")   ? p->rm
                                                      : NULL;
    if (!fn) {
        fprintf(stderr, "pith: instance: unknown verb '%s' (try 'pith instance --help')\n", verb);
        return PITH_EXIT_USAGE;
    }
    return fn(argc, argv);
}
