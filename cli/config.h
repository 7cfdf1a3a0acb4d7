/* pith.json: the settings of `pith run`/`pith build` in a file, so a program
 * can carry its own. Format (every key optional, unknown keys are errors):
 *   {"args": ["a", "b"], "env": {"K": "V"}, "files": ["host:/guest"],
 *    "dirs": ["hostdir:/guestdir"], "memory": "64M", "trace": false,
 *    "boot": "pvh", "sysroot": "DIR", "no-wx": true}
 * (and the rest of docs/cli.md's list: the mitigations are cli/hardening_opts.h's names)
 * Relative host paths are relative to the file's directory. */
#pragma once
#include <stddef.h>

struct pith_args;

/* Merge the config at `path` into a: what the command line set stays. 0, or
 * -1 with "FILE:LINE:COL: message" (or "FILE: reason") in err. */
int config_load(const char *path, struct pith_args *a, char *err, size_t errlen);
