/* `pith instance VERB ...`: the same verbs for every place an instance can
 * run. cmd_instance.c parses the verb and `--provider NAME` (default
 * "local") and hands the rest of the words to that provider:
 *
 *   local   cli/instance_local.c: the image under QEMU on this host, in the
 *           background (a supervisor process per instance)
 *   aws     cli/cloud/ (EC2)
 *
 * A provider is one struct instance_provider, listed in
 * cli/instance_providers.c. Each verb gets argv with argv[0] the verb and
 * "--provider NAME" already taken out, and returns pith's exit status; bad
 * input is one "pith: CULPRIT: reason" line and PITH_EXIT_USAGE. */
#pragma once
#include <stdbool.h>

struct instance_provider {
    const char *name;
    /* create NAME [options] [--image IMAGE | PROG ARGS...] */
    int (*create)(int argc, char **argv);
    /* ls: one line per instance with its state */
    int (*ls)(int argc, char **argv);
    /* logs [-f] NAME: the console, -f follows it while the instance runs */
    int (*logs)(int argc, char **argv);
    /* stop NAME: shut it down cleanly, bounded, then by force */
    int (*stop)(int argc, char **argv);
    /* rm NAME: stop if needed, then remove everything it left */
    int (*rm)(int argc, char **argv);
};

/* The provider called name, or NULL. */
const struct instance_provider *instance_provider_find(const char *name);
/* "local, aws": for the error naming the known ones. */
void instance_provider_names(char *out, unsigned long outlen);

/* NAME: 1 to 64 of [A-Za-z0-9._-], not starting with '.' or '-' (as images). */
bool instance_name_ok(const char *name);

/* `pith instance ...`; argv[0] is "instance". */
int instance_main(int argc, char **argv);
