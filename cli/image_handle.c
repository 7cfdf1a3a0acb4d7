/* Opening an image (or volume) from the host for `pith image` and the other
 * commands that look inside one; the "pith: CULPRIT: reason" line they share. */
#include "image_handle.h"
#include "host_heap.h"
#include "image_store.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int image_fail(const char *culprit, const char *reason)
{
    fprintf(stderr, "pith: %s: %s\n", culprit, reason);
    return IMAGE_EXIT_BAD_INPUT;
}

int image_fail_path(const struct image_handle *img, const char *path, const char *reason)
{
    fprintf(stderr, "pith: %s:%s: %s\n", img->path, path, reason);
    return IMAGE_EXIT_BAD_INPUT;
}

bool image_open(struct image_handle *img, const char *path, bool writable)
{
    memset(img, 0, sizeof *img);
    img->path = path;
    img->file.fd = -1;
    char why[512];
    if (image_resolve(path, img->file_path, sizeof img->file_path, why, sizeof why) != 0) {
        fprintf(stderr, "pith: %s\n", why);
        return false;
    }
    int rc = file_blockdev_open(&img->file, img->file_path, writable);
    if (rc != 0) {
        image_fail(path, strerror(-rc));
        return false;
    }
    if (img->file.dev.sectors == 0) {
        image_fail(path, "empty file, not a Pith image");
        image_close(img);
        return false;
    }
    char err[256];
    rc = mbr_open_partition(&img->file.dev, MBR_TYPE_TFS, &img->part, err, sizeof err);
    if (rc != 0) {
        /* The message already names the image ("mbr: IMAGE: ..."). */
        fprintf(stderr, "pith: %s\n", err);
        image_close(img);
        return false;
    }
    return true;
}

bool image_open_mounted(struct image_handle *img, const char *path)
{
    if (!image_open(img, path, false)) return false;
    char err[512];
    if (tfs_mount(host_heap(), &img->part.dev, &img->fs, err, sizeof err) != 0) {
        image_fail(path, err);
        image_close(img);
        return false;
    }
    return true;
}

void image_close(struct image_handle *img)
{
    if (img->fs) tfs_unmount(img->fs);
    img->fs = NULL;
    file_blockdev_close(&img->file);
}

bool image_parse_size(const char *s, uint64_t *out)
{
    if (!s || !*s || *s == '-' || *s == '+') return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s) return false;
    unsigned shift = 0;
    if (*end) {
        switch (*end) {
        case 'k': case 'K': shift = 10; break;
        case 'm': case 'M': shift = 20; break;
        case 'g': case 'G': shift = 30; break;
        case 't': case 'T': shift = 40; break;
        default: return false;
        }
        end++;
        if (*end == 'i' && end[1] == 'B') end += 2;   /* also accept "64MiB" */
        else if (*end == 'B') end++;
        if (*end) return false;
    }
    if (v == 0 || v > (UINT64_MAX >> shift)) return false;
    *out = (uint64_t)v << shift;
    return true;
}
