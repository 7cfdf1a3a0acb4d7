#include "cmd_ldd.h"

#include <stdio.h>
#include <string.h>

#include "deps.h"

static const char ldd_help[] =
    "usage: pith ldd [--sysroot DIR] PROG\n"
    "\n"
    "Print the files an image for PROG would hold: the program, its interpreter,\n"
    "its shared libraries (found by reading the ELF files, as the guest's loader\n"
    "would search for them) and the extras (CA certificates; for glibc: NSS and\n"
    "gconv modules, ld.so.cache). One line per file:\n"
    "  GUEST <- HOST     a file copied from the host\n"
    "  GUEST -> TARGET   a symlink\n"
    "\n"
    "  --sysroot DIR     look everything up inside DIR instead of /\n";

int ldd_main(int argc, char **argv)
{
    const char *sysroot = NULL, *prog = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(ldd_help, stdout);
            return 0;
        } else if (strcmp(a, "--sysroot") == 0) {
            if (++i >= argc) {
                fprintf(stderr, "pith: --sysroot needs a directory (try 'pith ldd --help')\n");
                return 2;
            }
            sysroot = argv[i];
        } else if (strncmp(a, "--sysroot=", 10) == 0) {
            sysroot = a + 10;
        } else if (strcmp(a, "--") == 0 && i + 1 < argc && !prog) {
            prog = argv[++i];
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "pith: unknown option '%s' (try 'pith ldd --help')\n", a);
            return 2;
        } else if (prog) {
            fprintf(stderr, "pith: ldd takes one program, got '%s' too\n", a);
            return 2;
        } else {
            prog = a;
        }
    }
    if (!prog) {
        fprintf(stderr, "pith: ldd needs a program (try 'pith ldd --help')\n");
        return 2;
    }
    struct deps_options opt = { .sysroot = sysroot };
    struct deps *d;
    char err[1024];
    if (deps_collect(prog, &opt, &d, err, sizeof err) != 0) {
        fprintf(stderr, "pith: %s\n", err);
        return 2;
    }
    for (size_t i = 0; i < d->nfiles; i++) {
        const struct deps_file *f = &d->files[i];
        if (f->target) printf("%s -> %s\n", f->guest, f->target);
        else printf("%s <- %s\n", f->guest, f->host);
    }
    deps_free(d);
    if (fflush(stdout) != 0) {
        fprintf(stderr, "pith: cannot write the list\n");
        return 2;
    }
    return 0;
}
