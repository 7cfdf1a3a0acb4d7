/* `pith pkg get|ls|path|rm|clean`: the words, the help, and the dispatch. */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "cmd_pkg.h"
#include "pkg.h"
#include "pkg_internal.h"
#include "suggest.h"

static const char pkg_help[] =
    "usage: pith pkg get NAME...    fetch Debian package NAME and what it depends on (resolved and\n"
    "                               checked by apt from this host's lists) into a tree of its own\n"
    "       pith pkg ls             the fetched trees: name, version, packages, size\n"
    "       pith pkg path NAME      the tree's directory\n"
    "       pith pkg rm NAME...     delete trees\n"
    "       pith pkg clean          delete downloaded .deb files no tree uses\n"
    "\n"
    "Run a program of a tree with 'pith run --pkg NAME PROG' (e.g. --pkg nginx /usr/sbin/nginx).\n"
    "Trees live in ${XDG_CACHE_HOME:-~/.cache}/pith/pkg ($PITH_PKG_DIR moves them).\n"
    "Bad input and failures print one 'pith: ...' line and exit 2.\n";

static const char *const words[] = { "get", "ls", "path", "rm", "clean", "help" };

int pkg_main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(pkg_help, stderr);
        return 2;
    }
    const char *w = argv[1];
    if (!strcmp(w, "help") || !strcmp(w, "--help") || !strcmp(w, "-h")) {
        fputs(pkg_help, stdout);
        return 0;
    }
    if (!strcmp(w, "get"))
        return pkg_get(argc - 1, argv + 1);
    if (!strcmp(w, "rm"))
        return pkg_rm(argc - 1, argv + 1);
    if (!strcmp(w, "ls") || !strcmp(w, "clean") || !strcmp(w, "path")) {
        int want = !strcmp(w, "path") ? 3 : 2;
        if (argc != want) {
            fprintf(stderr, "pith: pkg %s: usage: pith pkg %s%s\n", w, w, want == 3 ? " NAME" : "");
            return 2;
        }
        if (!strcmp(w, "ls"))
            return pkg_ls();
        if (!strcmp(w, "clean"))
            return pkg_clean();
        char tree[PATH_MAX], err[512];
        if (pkg_tree_dir(argv[2], tree, sizeof tree, err, sizeof err) != 0) {
            fprintf(stderr, "pith: pkg path: %s\n", err);
            return 2;
        }
        puts(tree);
        return 0;
    }
    const char *close = suggest_closest(w, words, sizeof words / sizeof words[0]);
    if (close)
        fprintf(stderr, "pith: unknown pkg command '%s' (did you mean '%s'?)\n", w, close);
    else
        fprintf(stderr, "pith: unknown pkg command '%s' (try 'pith pkg --help')\n", w);
    return 2;
}
