/* Command-line parsing for `pith run` and `pith build`. Options come first; the
 * first non-option word is the program and everything after it is its argv.
 * Settings may also come from a JSON config (cli/config.c): `-c FILE`, or
 * pith.json next to the program; the command line wins over it. */
#pragma once
#include <stddef.h>
#include "settings.h"

/* Parse argv (argv[0] is the subcommand word). 0 on success, -1 with a one-line
 * message in err (usage errors: the caller exits 2 and points at --help), or
 * ARGS_HINTED when the message already ends in its own hint ("unknown option
 * '--tiemout' (did you mean '--timeout'?)"). */
#define ARGS_HINTED (-2)
/* If argv[*i] is option `name` ("--opt VALUE", "--opt=VALUE", "-p VALUE"),
 * store its value and return 1; return -1 if the value is missing (err
 * says so); 0 if it is another option. Shared by every option parser. */
int args_take_value(int argc, char **argv, int *i, const char *name, const char **value, char *err, size_t errlen);
int args_parse(enum pith_command cmd, int argc, char **argv, struct pith_args *a,
               char *err, size_t errlen);

/* The options cmd accepts, as typed ("--timeout", "-m"), for suggestions;
 * sets *n. */
const char *const *args_option_names(enum pith_command cmd, size_t *n);

