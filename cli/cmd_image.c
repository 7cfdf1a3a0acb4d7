/* `pith image SUBCOMMAND ...`: the help text and the dispatch to each
 * subcommand's file (cmd_image_*.c). */
#include "cmd_image.h"
#include "image_handle.h"
#include "cmd_image_upload.h"
#include <stdio.h>
#include <string.h>

static const char image_help[] =
    "usage: pith image create NAME [options] PROG [ARGS...]   build an image into the store as NAME\n"
    "                                       (the options of 'pith build' but -o)\n"
    "       pith image ls                   the stored images: name, size, used, created, program\n"
    "       pith image rm NAME              delete a stored image\n"
    "       pith image export NAME -o FILE.raw|FILE.tar.gz   write it out as a raw disk, or as\n"
    "                                       disk.raw in a gzip'd tar (GCP's format)\n"
    "       pith image ls IMAGE [PATH]      list a file or directory (like ls -l); without PATH the root,\n"
    "                                       after a line with the used and free space\n"
    "       pith image cat IMAGE PATH       write a file's contents to stdout\n"
    "       pith image cp IMAGE:PATH DEST   copy a file or directory tree out of the image\n"
    "       pith image fsck IMAGE           check the filesystem: 'clean' and the used space (exit 0),\n"
    "                                       or the problems (exit 1)\n"
    "       pith image resize IMAGE SIZE    grow or shrink the image and its filesystem to SIZE bytes (K/M/G/T)\n"
    "       pith image upload IMAGE --provider aws [options]   upload as an AMI ('pith image upload --help')\n"
    "\n"
    "IMAGE is a file, or the NAME of a stored image (a file of that name wins).\n"
    "The store is ${XDG_DATA_HOME:-~/.local/share}/pith/images.\n"
    "Bad input prints one 'pith: ...' line and exits 2.\n";

int image_main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(image_help, argc < 2 ? stderr : stdout);
        return argc < 2 ? IMAGE_EXIT_BAD_INPUT : IMAGE_EXIT_OK;
    }
    const char *sub = argv[1];
    argc--, argv++;
    if (strcmp(sub, "ls") == 0) return argc == 1 ? image_store_ls() : image_ls(argc, argv);
    if (strcmp(sub, "create") == 0) return image_create(argc, argv);
    if (strcmp(sub, "rm") == 0) return image_rm(argc, argv);
    if (strcmp(sub, "export") == 0) return image_export(argc, argv);
    if (strcmp(sub, "cat") == 0) return image_cat(argc, argv);
    if (strcmp(sub, "cp") == 0) return image_cp(argc, argv);
    if (strcmp(sub, "fsck") == 0) return image_fsck(argc, argv);
    if (strcmp(sub, "resize") == 0) return image_resize(argc, argv);
    if (strcmp(sub, "upload") == 0) return image_upload(argc, argv);
    fprintf(stderr, "pith: image: unknown subcommand '%s' (try 'pith image --help')\n", sub);
    return IMAGE_EXIT_BAD_INPUT;
}
