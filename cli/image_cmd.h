/* `pith image`: look inside and maintain a Pith disk image from the host.
 *   pith image ls IMAGE [PATH]       ls -l of a file or directory in the image (without
 *                                    PATH: the root, after a "used U of T (F free)" line)
 *   pith image cat IMAGE PATH        a file's contents to stdout
 *   pith image cp IMAGE:PATH DEST    copy a file or tree out to the host
 *   pith image fsck IMAGE            check the filesystem ("clean" and the used line, exit 0;
 *                                    else the problems, exit 1)
 *   pith image resize IMAGE SIZE     grow or shrink the image file and its filesystem
 * Bad input: one line "pith: CULPRIT: reason" on stderr, exit 2, nothing
 * half-written. Behaviour is described in docs/cli.md. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../fs/mbr.h"
#include "../fs/tfs.h"
#include "file_blockdev.h"

#define IMAGE_EXIT_OK 0
#define IMAGE_EXIT_PROBLEMS 1   /* fsck found problems */
#define IMAGE_EXIT_BAD_INPUT 2

/* argv[0] is "image". Returns the exit status. */
int image_main(int argc, char **argv);

/* ---- shared by the subcommands (cli/image_cmd.c, image_cp.c, image_resize.c) ---- */

/* An open image: the file, its TFS partition, and (once mounted) the filesystem. */
struct image_handle {
    const char *path;
    struct file_blockdev file;
    struct part_blockdev part;
    struct tfs *fs;
};

/* Open IMAGE and find its TFS partition (read-only). On failure prints the
 * "pith: ..." line and returns false. */
bool image_open(struct image_handle *img, const char *path, bool writable);
/* image_open, then mount read-only. */
bool image_open_mounted(struct image_handle *img, const char *path);
void image_close(struct image_handle *img);

/* Print "pith: CULPRIT: reason" on stderr; returns IMAGE_EXIT_BAD_INPUT. */
int image_fail(const char *culprit, const char *reason);
/* The same with "IMAGE:PATH" as the culprit. */
int image_fail_path(const struct image_handle *img, const char *path, const char *reason);

int image_cp(int argc, char **argv);
int image_resize(int argc, char **argv);

/* "64M", "1G", "4096": bytes, K/M/G/T suffixes are powers of 1024. Returns
 * false for anything else (and for 0 or overflow). */
bool image_parse_size(const char *s, uint64_t *out);
