/* An image or volume opened from the host: the file, its TFS partition and
 * (once mounted) the filesystem. Shared by `pith image`'s subcommands, `pith
 * volume` and whatever else reads an image on the host. */
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

struct image_handle {
    const char *path;          /* as the user named it: a path or a stored image's name */
    char file_path[4096];      /* the file opened (cli/image_store.h: image_resolve) */
    struct file_blockdev file;
    struct part_blockdev part;
    struct tfs *fs;
};

/* Open IMAGE (a path, or the name of a stored image) and find its TFS
 * partition (read-only unless writable). On failure prints the "pith: ..."
 * line and returns false. */
bool image_open(struct image_handle *img, const char *path, bool writable);
/* image_open, then mount read-only. */
bool image_open_mounted(struct image_handle *img, const char *path);
void image_close(struct image_handle *img);

/* Print "pith: CULPRIT: reason" on stderr; returns IMAGE_EXIT_BAD_INPUT. */
int image_fail(const char *culprit, const char *reason);
/* The same with "IMAGE:PATH" as the culprit. */
int image_fail_path(const struct image_handle *img, const char *path, const char *reason);

/* "64M", "1G", "4096": bytes, K/M/G/T suffixes are powers of 1024. Returns
 * false for anything else (and for 0 or overflow). */
bool image_parse_size(const char *s, uint64_t *out);
