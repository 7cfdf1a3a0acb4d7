/* `pith image`: look inside and maintain Pith disk images from the host.
 *   pith image ls IMAGE [PATH]       ls -l of a file or directory in the image (without
 *                                    PATH: the root, after a "used U of T (F free)" line)
 *   pith image cat IMAGE PATH        a file's contents to stdout
 *   pith image cp IMAGE:PATH DEST    copy a file or tree out to the host
 *   pith image fsck IMAGE            check the filesystem ("clean" and the used line, exit 0;
 *                                    else the problems, exit 1)
 *   pith image resize IMAGE SIZE     grow or shrink the image file and its filesystem
 * Bad input: one line "pith: CULPRIT: reason" on stderr, exit 2, nothing
 * half-written. Behaviour is described in docs/cli.md.
 *
 *   pith image create NAME [options] PROG [ARGS...]   build an image into the store
 *   pith image ls                    the stored images: name, size, used, created, program
 *   pith image rm NAME               delete a stored image
 *   pith image export NAME -o FILE.raw|FILE.tar.gz    write it out (raw, or GCP's disk.raw in a tar.gz)
 * Wherever an IMAGE is asked for, a stored image's NAME does too (cli/image_store.h).
 *
 * cmd_image.c dispatches; each subcommand lives in its own cmd_image_*.c and
 * takes argv with argv[0] the subcommand's word. Each returns the exit status. */
#pragma once

/* argv[0] is "image". */
int image_main(int argc, char **argv);

int image_ls(int argc, char **argv);       /* cmd_image_inspect.c */
int image_cat(int argc, char **argv);      /* cmd_image_inspect.c */
int image_fsck(int argc, char **argv);     /* cmd_image_inspect.c */
int image_cp(int argc, char **argv);       /* cmd_image_cp.c */
int image_resize(int argc, char **argv);   /* cmd_image_resize.c */
int image_create(int argc, char **argv);   /* cmd_image_store.c */
int image_store_ls(void);                  /* cmd_image_store.c: `pith image ls` alone */
int image_rm(int argc, char **argv);       /* cmd_image_store.c */
int image_export(int argc, char **argv);   /* cmd_image_export.c */
/* image_upload: cmd_image_upload.h */
