/* `pith ldd [--sysroot DIR] PROG`: print what would go into the image for
 * PROG, one line per file: "GUEST <- HOST" for a copied file and
 * "GUEST -> TARGET" for a symlink. Exit 0; 2 with one "pith: ..." line on
 * error or bad usage. argv[0] is the word "ldd". */
#pragma once

int ldd_main(int argc, char **argv);
