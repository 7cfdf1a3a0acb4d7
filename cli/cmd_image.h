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
