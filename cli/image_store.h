/* The user's local image store: images kept by name, so `pith run --image
 * NAME`, `pith image export NAME`, `pith instance create --image NAME` and
 * the cloud uploads (cli/cloud/) can name them.
 *
 * Layout, under the data directory (cli/user_dirs.h):
 *   images/NAME/disk.img   the image, exactly as `pith build` writes it (sparse)
 *   images/NAME/meta       "program PATH", "created UNIXTIME", "size BYTES" lines
 * An image is built in images/.NAME.tmp-XXXXXX/ and renamed into place whole,
 * so the store never shows a half-written one. */
#pragma once
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define IMAGE_STORE_NAME_MAX 64

/* Resolve what the user typed where an image is expected: a path (anything
 * with a '/', or an existing file) is taken as it is; otherwise the stored
 * image of that name. out gets the image file's path. 0, or -1 with
 * "CULPRIT: reason" in err (no such file and no stored image of that name). */
int image_resolve(const char *name_or_path, char *out, size_t outlen, char *err, size_t errlen);

/* NAME: 1 to 64 of [A-Za-z0-9._-], not starting with '.' or '-'. */
bool image_store_name_ok(const char *name);

/* The store's directory (created when create is set), NAME's directory and
 * NAME's image file. 0, or -1 with the reason in err. */
int image_store_dir(int create, char *out, size_t outlen, char *err, size_t errlen);
int image_store_image_path(const char *name, char *out, size_t outlen, char *err, size_t errlen);

struct image_store_meta {
    char program[PATH_MAX];   /* PROG as given to `pith image create` */
    time_t created;
    uint64_t size;            /* the image file's length */
};

/* Read NAME's metadata (fields missing from the file stay zero/empty). 0, or
 * -1 with the reason in err. */
int image_store_read_meta(const char *name, struct image_store_meta *m, char *err, size_t errlen);
/* Write the metadata file into directory dir. 0, or -1 with the reason. */
int image_store_write_meta(const char *dir, const struct image_store_meta *m, char *err, size_t errlen);

/* Every stored image's name, sorted; *names is malloc'ed (free each, then it).
 * Returns the count, or -1 with the reason in err. */
int image_store_list(char ***names, char *err, size_t errlen);
